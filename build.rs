//! Builds, at compile time, the hash table of the English word list that de-obfuscation
//! consults (`src/text/dictionary.rs`), so that no run pays for building it: keys and ranks as
//! little-endian arrays in `OUT_DIR`, laid out exactly as `dictionary::listed_rank` probes them.

use std::path::Path;

const LIST: &str = "src/text/words_en.txt";

fn main() {
    println!("cargo:rerun-if-changed={LIST}");
    println!("cargo:rerun-if-changed=build.rs");
    let text = std::fs::read_to_string(LIST).expect("read the word list");
    let words: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    // Under half full, as a power of two: a missing word (most lookups) stops after one or two
    // probes.
    let capacity = (words.len() * 2).next_power_of_two();
    let mask = capacity - 1;
    let mut keys = vec![0u64; capacity];
    let mut ranks = vec![u32::MAX; capacity];
    for (rank, word) in words.iter().enumerate() {
        let key = xxhash_rust::xxh3::xxh3_64(word.as_bytes());
        // 0 marks an empty slot.
        assert_ne!(key, 0, "the word {word:?} hashes to 0");
        let mut slot = key as usize & mask;
        while keys[slot] != 0 && keys[slot] != key {
            slot = (slot + 1) & mask;
        }
        // A repeated word keeps its first (most frequent) rank.
        if keys[slot] == 0 {
            keys[slot] = key;
            ranks[slot] = rank as u32;
        }
    }
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out);
    let keys: Vec<u8> = keys.iter().flat_map(|k| k.to_le_bytes()).collect();
    let ranks: Vec<u8> = ranks.iter().flat_map(|r| r.to_le_bytes()).collect();
    std::fs::write(out.join("words_en.keys"), keys).expect("write the word keys");
    std::fs::write(out.join("words_en.ranks"), ranks).expect("write the word ranks");
}
