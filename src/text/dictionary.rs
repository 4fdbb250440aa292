//! A list of common English words ranked by frequency (`words_en.txt`), used only to choose
//! between the readings of an obfuscated word: which letter a `*` masks (`p*ople`), whether a
//! separator was inserted (`peo.ple`) or stands for a letter, whether a letter run was a
//! double (`gooooood`), whether an edge digit is leetspeak (`7he`, but `4th`, `mp3`), and
//! where the words of spaced-out letters end (`y o u a r e s t u p i d`). Never consulted for
//! a plain word, so it cannot make a clean word abusive.

use super::lexicon::is_listed_abusive;

/// The word list, one word a line, most frequent first (`#` lines are its header).
#[cfg(test)]
const WORDS: &str = include_str!("words_en.txt");

/// Rank given to a listed abusive word that the word list lacks.
const ABUSIVE_RANK: u32 = 5_000;

/// The word list as an open-addressing hash table from the hash of a word ([`word_hash`]) to
/// its rank (line), built at compile time by `build.rs`: little-endian 64-bit keys (0 marks an
/// empty slot) and, slot for slot, 32-bit ranks. Being part of the binary, it costs a run
/// nothing to build (building it at the first obfuscated word took about 3.4 ms and 2 MB of
/// fresh memory) and only the pages a run reads.
static WORD_KEYS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/words_en.keys"));
static WORD_RANKS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/words_en.ranks"));

/// The key of a word in the table: distinct words colliding in 64 bits is as unlikely as it is
/// for the vocabulary's feature keys.
fn word_hash(word: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(word)
}

/// The rank of the word whose hash is `key`, if the list has it (linear probing from the
/// slot its low bits name, as `build.rs` inserted it).
fn listed_rank(key: u64) -> Option<u32> {
    let slots = WORD_KEYS.len() / 8;
    if key == 0 || slots == 0 {
        return None;
    }
    let mask = slots - 1;
    let mut slot = key as usize & mask;
    loop {
        let k = WORD_KEYS[slot * 8..]
            .first_chunk::<8>()
            .map(|b| u64::from_le_bytes(*b))?;
        if k == 0 {
            return None;
        }
        if k == key {
            return WORD_RANKS[slot * 4..]
                .first_chunk::<4>()
                .map(|b| u32::from_le_bytes(*b));
        }
        slot = (slot + 1) & mask;
    }
}

/// The frequency rank of a known word (0 = most frequent), or `None`. Listed abusive words
/// are known too.
pub fn rank(word: &str) -> Option<u32> {
    if let Some((stem, suffix)) = word.split_once('\'') {
        // Contractions: `that's`, `you're`, `isn't`, `don't`, `can't`, ranked as their stem.
        return match suffix {
            "s" | "re" | "ve" | "ll" | "d" | "m" => known(stem),
            "t" => NOT_CONTRACTIONS
                .iter()
                .find(|(n, _)| *n == stem)
                .and_then(|&(_, base)| known(base)),
            _ => None,
        };
    }
    known(word)
}

/// The `n't` contractions (before the apostrophe) and the word each is ranked as.
const NOT_CONTRACTIONS: &[(&str, &str)] = &[
    ("don", "do"),
    ("doesn", "does"),
    ("didn", "did"),
    ("isn", "is"),
    ("aren", "are"),
    ("wasn", "was"),
    ("weren", "were"),
    ("haven", "have"),
    ("hasn", "has"),
    ("hadn", "had"),
    ("couldn", "could"),
    ("wouldn", "would"),
    ("shouldn", "should"),
    ("mustn", "must"),
    ("needn", "need"),
    ("ain", "not"),
    ("can", "can"),
    ("won", "will"),
    ("shan", "shall"),
];

fn known(word: &str) -> Option<u32> {
    listed_rank(word_hash(word.as_bytes()))
        .or_else(|| is_listed_abusive(word).then_some(ABUSIVE_RANK))
}

/// Cost of a word in a segmentation (Zipf's law: -log of its probability, up to a constant).
fn word_cost(rank: u32) -> f32 {
    ((rank as f32 + 1.0) * (50_000f32).ln()).ln()
}

/// Cost of a letter left outside any known word: more than any known word.
const UNKNOWN_LETTER_COST: f32 = 40.0;

/// Longest word tried in a segmentation.
const MAX_WORD: usize = 24;

/// Splits a run of lowercase ASCII letters into the likeliest sequence of known words, with
/// letters that fit no known word left as single letters. Returns the end (exclusive byte
/// index) of each piece and whether it is a known word. Single letters count as words only
/// for `a` and `i`.
pub fn segment(letters: &str) -> Vec<(usize, bool)> {
    let b = letters.as_bytes();
    let n = b.len();
    // best[i]: cost of the best segmentation of letters[..i], and where its last piece starts.
    let mut best: Vec<(f32, usize, bool)> = vec![(f32::INFINITY, 0, false); n + 1];
    best[0].0 = 0.0;
    for end in 1..=n {
        let mut here = (best[end - 1].0 + UNKNOWN_LETTER_COST, end - 1, false);
        for start in end.saturating_sub(MAX_WORD)..end {
            if !best[start].0.is_finite() {
                continue;
            }
            let word = &letters[start..end];
            if word.len() == 1 && word != "a" && word != "i" {
                continue;
            }
            if let Some(r) = rank(word) {
                let cost = best[start].0 + word_cost(r);
                if cost < here.0 {
                    here = (cost, start, true);
                }
            }
        }
        best[end] = here;
    }
    let mut pieces = Vec::new();
    let mut end = n;
    while end > 0 {
        let (_, start, known) = best[end];
        pieces.push((end, known));
        end = start;
    }
    pieces.reverse();
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<String> {
        let mut from = 0;
        segment(s)
            .into_iter()
            .map(|(end, known)| {
                let piece = &s[from..end];
                from = end;
                if known {
                    piece.to_string()
                } else {
                    format!("?{piece}")
                }
            })
            .collect()
    }

    #[test]
    fn the_table_ranks_every_listed_word_by_its_line() {
        let words = WORDS
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        let mut n = 0;
        for (i, w) in words.enumerate() {
            assert_eq!(known(w), Some(i as u32), "{w}");
            n += 1;
        }
        assert!(n >= 50_000);
        assert_eq!(known("qqqzzz"), None);
        assert_eq!(known(""), None);
    }

    #[test]
    fn ranks_common_words_and_listed_abusive_ones() {
        assert_eq!(rank("the"), Some(0));
        assert!(rank("people").unwrap() < rank("stupid").unwrap());
        assert!(rank("idiot").is_some());
        assert!(
            rank("arschloch").is_some(),
            "listed abusive words are known"
        );
        assert_eq!(rank("mpe"), None);
        assert_eq!(rank("4th"), None);
        assert_eq!(rank("that's"), rank("that"));
        assert_eq!(rank("isn't"), rank("is"));
        assert_eq!(rank("can't"), rank("can"));
        assert_eq!(rank("atn't"), None);
        assert_eq!(rank("that'x"), None);
        assert!(rank("dont").is_some(), "informal spellings are known");
    }

    #[test]
    fn segments_spaced_out_sentences() {
        assert_eq!(split("youarestupid"), ["you", "are", "stupid"]);
        assert_eq!(split("ihateyou"), ["i", "hate", "you"]);
        assert_eq!(split("stupid"), ["stupid"]);
        assert_eq!(split("xqz"), ["?x", "?q", "?z"]);
    }
}
