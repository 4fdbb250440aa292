//! Copy-paste spam: the same or almost the same comment posted several times in one batch
//! (across threads or authors). Exact copies are found by a hash of the comment's words; near
//! copies by MinHash over its set of words (16 hashes in 8 bands of 2), confirmed when the
//! word sets' Jaccard similarity is at least 0.75.

use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::xxh3_64;

/// Comments shorter than this (in letters and digits) or with fewer words are never treated
/// as copies: "first!", "lol" and "thank you" are said by many people.
const MIN_CHARS: usize = 24;
const MIN_WORDS: usize = 4;
const MIN_JACCARD: f64 = 0.75;
const HASHES: usize = 16;
const BANDS: usize = 8;
/// The index stops growing past this many comments (memory stays bounded on huge inputs).
const MAX_ENTRIES: usize = 1_000_000;

/// What the index knows about an earlier comment.
#[derive(Debug, Clone)]
struct Seen {
    id: String,
    copies: u32,
    /// Sorted, deduplicated hashes of its words.
    words: Vec<u32>,
}

/// Remembers the comments of a batch and tells which ones repeat an earlier one.
#[derive(Debug, Default)]
pub struct DuplicateIndex {
    exact: FxHashMap<u64, usize>,
    bands: FxHashMap<u64, Vec<usize>>,
    seen: Vec<Seen>,
    /// Working buffers: the comment's lowercased words joined by spaces, and their hashes.
    joined: String,
    /// Each word's hash and byte span in `joined`.
    words: Vec<(u64, u32, u32)>,
}

/// A comment found to repeat an earlier one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// Id of the first comment with this text.
    pub first: String,
    /// How many times the text has now been seen (2 for the first repeat).
    pub copies: u32,
}

fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    both as f64 / (a.len() + b.len() - both) as f64
}

/// MurmurHash3's 64-bit finaliser: a cheap bijective mix, so that one word hash yields many
/// independent-looking MinHash functions.
#[inline]
fn fmix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

impl DuplicateIndex {
    /// Counts one more copy of entry `idx` and says which comment it repeats.
    fn repeat_of(&mut self, idx: usize) -> Repeat {
        let seen = &mut self.seen[idx];
        seen.copies += 1;
        Repeat {
            first: seen.id.clone(),
            copies: seen.copies,
        }
    }

    /// Records a comment and returns the earlier comment it repeats, if any.
    pub fn check(&mut self, id: &str, text: &str) -> Option<Repeat> {
        // Lowercased words of letters and digits, joined by single spaces.
        self.joined.clear();
        self.words.clear();
        let mut letters = 0usize;
        for w in text.split(|c: char| !c.is_alphanumeric()) {
            if w.is_empty() {
                continue;
            }
            if !self.joined.is_empty() {
                self.joined.push(' ');
            }
            let start = self.joined.len();
            if w.is_ascii() {
                self.joined.push_str(w);
                self.joined[start..].make_ascii_lowercase();
                letters += w.len();
            } else {
                let lower = w.to_lowercase();
                letters += lower.chars().count();
                self.joined.push_str(&lower);
            }
            let end = self.joined.len();
            let hash = xxh3_64(&self.joined.as_bytes()[start..]);
            self.words.push((hash, start as u32, end as u32));
        }
        if letters < MIN_CHARS || self.words.len() < MIN_WORDS {
            return None;
        }
        let exact_key = xxh3_64(self.joined.as_bytes());
        if let Some(&idx) = self.exact.get(&exact_key) {
            // The same words as an earlier comment: no need for its word set or MinHash.
            return Some(self.repeat_of(idx));
        }
        let mut set: Vec<u32> = self.words.iter().map(|w| w.0 as u32).collect();
        set.sort_unstable();
        set.dedup();
        // MinHash over the distinct words: a repeated word cannot change a minimum.
        let joined = self.joined.as_bytes();
        let word = |w: &(u64, u32, u32)| &joined[w.1 as usize..w.2 as usize];
        self.words
            .sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| word(a).cmp(word(b))));
        self.words.dedup_by(|a, b| a.0 == b.0 && word(a) == word(b));
        // The 16 hash functions are derived from the word's one hash by a mixing step.
        let mut mins = [u64::MAX; HASHES];
        for w in &self.words {
            for (k, m) in mins.iter_mut().enumerate() {
                *m = (*m).min(fmix64(
                    w.0 ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                ));
            }
        }
        let rows = HASHES / BANDS;
        let mut band_keys = [0u64; BANDS];
        for (b, key) in band_keys.iter_mut().enumerate() {
            let mut bytes = [0u8; 1 + 8 * (HASHES / BANDS)];
            bytes[0] = b as u8;
            for (r, m) in mins[b * rows..(b + 1) * rows].iter().enumerate() {
                bytes[1 + 8 * r..9 + 8 * r].copy_from_slice(&m.to_le_bytes());
            }
            *key = xxh3_64(&bytes);
        }
        let found = {
            // A candidate in several bands is judged once; the Jaccard similarity cannot
            // exceed the ratio of the two set sizes, which rules most candidates out unread.
            let mut judged: Vec<usize> = Vec::new();
            band_keys.iter().find_map(|k| {
                self.bands.get(k).and_then(|list| {
                    list.iter().copied().find(|&idx| {
                        let words = &self.seen[idx].words;
                        let (small, large) = if words.len() < set.len() {
                            (words.len(), set.len())
                        } else {
                            (set.len(), words.len())
                        };
                        if (small as f64 / large as f64) < MIN_JACCARD {
                            return false;
                        }
                        if judged.contains(&idx) {
                            return false;
                        }
                        judged.push(idx);
                        jaccard(words, &set) >= MIN_JACCARD
                    })
                })
            })
        };
        if let Some(idx) = found {
            return Some(self.repeat_of(idx));
        }
        if self.seen.len() < MAX_ENTRIES {
            let idx = self.seen.len();
            self.seen.push(Seen {
                id: id.to_string(),
                copies: 1,
                words: set,
            });
            self.exact.insert(exact_key, idx);
            for k in band_keys {
                self.bands.entry(k).or_default().push(idx);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exact_and_near_copies_but_not_short_or_different_comments() {
        let mut index = DuplicateIndex::default();
        let spam = "Check out my new channel for free gift cards, subscribe and share with friends";
        assert_eq!(index.check("a", spam), None);
        assert_eq!(
            index.check("b", "I really enjoyed this video, the chorus is great"),
            None
        );
        let r = index.check("c", &spam.to_uppercase()).unwrap();
        assert_eq!((r.first.as_str(), r.copies), ("a", 2));
        let near =
            "Check out my new channel for free gift cards, subscribe and share with your friends!!";
        assert_eq!(
            index.check("d", near).map(|r| r.first),
            Some("a".to_string())
        );
        assert_eq!(index.check("e", "first!"), None);
        assert_eq!(
            index.check("f", "first!"),
            None,
            "short comments are not copies"
        );
        assert_eq!(
            index.check(
                "g",
                "The council meeting is on Tuesday at the town hall, all welcome"
            ),
            None
        );
    }
}
