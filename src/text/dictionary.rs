//! A list of common English words ranked by frequency (`words_en.txt`), used only to choose
//! between the readings of an obfuscated word: which letter a `*` masks (`p*ople`), whether a
//! separator was inserted (`peo.ple`) or stands for a letter, whether a letter run was a
//! double (`gooooood`), whether an edge digit is leetspeak (`7he`, but `4th`, `mp3`), and
//! where the words of spaced-out letters end (`y o u a r e s t u p i d`). Never consulted for
//! a plain word, so it cannot make a clean word abusive.

use super::lexicon::is_listed_abusive;
use std::sync::OnceLock;

const WORDS: &str = include_str!("words_en.txt");

/// Rank given to a listed abusive word that the word list lacks.
const ABUSIVE_RANK: u32 = 5_000;

/// The word list as an open-addressing table: each slot holds a word's byte offset in
/// [`WORDS`] (bits 0-31), its length (bits 32-47, 0 for an empty slot) and its rank (bits
/// 48-63). Built at the first obfuscated word of a run, which is nearly every run: one pass over
/// the 434 kB list, a hash per word, no allocation per word, the table zeroed by the allocator
/// (a `HashMap<&str, u32>` built from `lines()` took 11.5M instructions, about 3 ms).
struct WordTable {
    slots: Vec<u64>,
    mask: usize,
}

impl WordTable {
    fn build() -> Self {
        // At least twice as many slots as words (a word is at least one letter and a newline).
        let capacity = (WORDS.len() / 4).next_power_of_two().max(16);
        let mut table = WordTable {
            slots: vec![0; capacity],
            mask: capacity - 1,
        };
        let mut rank = 0u64;
        let mut add = |start: usize, end: usize| {
            let line = &WORDS.as_bytes()[start..end];
            if line.is_empty() || line[0] == b'#' {
                return;
            }
            let mut at = Self::home(line) & table.mask;
            while table.slots[at] != 0 {
                at = (at + 1) & table.mask;
            }
            table.slots[at] = start as u64 | (line.len() as u64) << 32 | rank << 48;
            rank += 1;
        };
        // A plain loop over the bytes: `str::split` and `lines` search for each newline with a
        // call that costs more than these short lines.
        let mut start = 0;
        for (i, &b) in WORDS.as_bytes().iter().enumerate() {
            if b == b'\n' {
                add(start, i);
                start = i + 1;
            }
        }
        add(start, WORDS.len());
        table
    }

    fn home(word: &[u8]) -> usize {
        xxhash_rust::xxh3::xxh3_64(word) as usize
    }

    fn get(&self, word: &str) -> Option<u32> {
        let word = word.as_bytes();
        let mut at = Self::home(word) & self.mask;
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return None;
            }
            let start = (slot & 0xFFFF_FFFF) as usize;
            let len = (slot >> 32 & 0xFFFF) as usize;
            if WORDS.as_bytes()[start..start + len] == *word {
                return Some((slot >> 48) as u32);
            }
            at = (at + 1) & self.mask;
        }
    }
}

fn words() -> &'static WordTable {
    static WORDS_TABLE: OnceLock<WordTable> = OnceLock::new();
    WORDS_TABLE.get_or_init(WordTable::build)
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
    words()
        .get(word)
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
            assert_eq!(super::words().get(w), Some(i as u32), "{w}");
            n += 1;
        }
        assert!(n >= 50_000 && n < usize::from(u16::MAX));
        assert_eq!(super::words().get("qqqzzz"), None);
        assert_eq!(super::words().get(""), None);
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
