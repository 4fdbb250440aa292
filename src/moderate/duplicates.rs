//! Copy-paste spam: the same or almost the same comment posted several times in one batch
//! (across threads or authors). Exact copies are found by a hash of the comment's words; near
//! copies by MinHash over its set of words (30 hashes in 10 bands of 3), confirmed when the
//! word sets' Jaccard similarity is at least 0.75.
//!
//! The work per comment is bounded whatever the batch size: each band bucket holds at most
//! [`BUCKET_CAP`] comments, so a comment is judged against at most `BANDS × BUCKET_CAP`
//! earlier ones. With bands of 3 a pair at Jaccard 0.75 shares a band with probability
//! 1 − (1 − 0.75³)¹⁰ ≈ 0.996, and an unrelated pair of long comments (Jaccard about 0.15,
//! their common words) with probability about 0.03; with bands of 2 that was 0.17, and every
//! comment was judged against a share of all earlier ones (quadratic in the batch).

use crate::text::chars;
use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::xxh3_64;

/// Comments shorter than this (in letters and digits) or with fewer words are never treated
/// as copies: "first!", "lol" and "thank you" are said by many people.
const MIN_CHARS: usize = 24;
const MIN_WORDS: usize = 4;
/// The least Jaccard similarity of two comments' word sets for a near copy: 3/4.
const MIN_JACCARD: (usize, usize) = (3, 4);
const ROWS: usize = 3;
const BANDS: usize = 10;
const HASHES: usize = ROWS * BANDS;
/// Most comments one band bucket holds; a bucket this full is a band that many unrelated
/// comments share (their commonest words), which tells little.
const BUCKET_CAP: usize = 16;
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
    /// Hash of a comment's raw text → the entry it was found to be or repeat: a byte-for-byte
    /// copy (the commonest kind) is known without reading its words.
    raw: FxHashMap<u64, u32>,
    /// Hash of a comment's lowercased words → its entry.
    exact: FxHashMap<u64, usize>,
    /// Per band key: the last comment that has it (in `members`) and how many have it.
    bands: FxHashMap<u64, (u32, u32)>,
    /// Bucket members as linked lists: the comment (index into `seen`), its number of distinct
    /// words, and the previous member of the same bucket (`u32::MAX` ends the list).
    members: Vec<Member>,
    seen: Vec<Seen>,
    /// Working buffers: the comment's lowercased words joined by spaces, and where each word
    /// is in them.
    joined: String,
    spans: Vec<(u32, u32)>,
    /// Candidates of the comment being checked.
    candidates: Vec<u32>,
}

/// One comment in one band bucket.
#[derive(Debug, Clone, Copy)]
struct Member {
    seen: u32,
    words: u32,
    previous: u32,
}

/// A comment found to repeat an earlier one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// Id of the first comment with this text.
    pub first: String,
    /// How many times the text has now been seen (2 for the first repeat).
    pub copies: u32,
}

/// Whether sets of `a` and `b` elements can reach [`MIN_JACCARD`]: the similarity is at most
/// the ratio of the two sizes.
fn sizes_allow(a: usize, b: usize) -> bool {
    let (num, den) = MIN_JACCARD;
    a.min(b) * den >= a.max(b) * num
}

/// Whether two sorted, deduplicated sets have a Jaccard similarity of at least
/// [`MIN_JACCARD`]; stops as soon as the elements left cannot get there.
fn similar(a: &[u32], b: &[u32]) -> bool {
    // |A ∩ B| / |A ∪ B| ≥ n/d  ⇔  |A ∩ B| ≥ n (|A| + |B|) / (n + d).
    let (num, den) = MIN_JACCARD;
    let needed = (num * (a.len() + b.len())).div_ceil(num + den);
    // Elements of either set outside the intersection that can still be afforded.
    let mut slack = (a.len() + b.len()).saturating_sub(2 * needed);
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
                continue;
            }
        }
        if slack == 0 {
            return false;
        }
        slack -= 1;
    }
    both >= needed
}

/// MurmurHash3's 64-bit finaliser: a cheap bijective mix, so that one word hash yields many
/// independent-looking MinHash functions.
#[inline]
const fn fmix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// MinHash functions computed: [`HASHES`] rounded up to whole 256-bit vectors of 32-bit lanes.
const LANES: usize = HASHES.next_multiple_of(8);

/// Multipliers (odd) and offsets of the MinHash functions `h ↦ a·h + b` (mod 2³²), drawn once
/// from a fixed SplitMix64 sequence.
const MIN_HASH_PARAMS: ([u32; LANES], [u32; LANES]) = {
    let (mut a, mut b) = ([0u32; LANES], [0u32; LANES]);
    let mut state = 0x6d6f_6465_7261_746fu64;
    let mut k = 0;
    while k < LANES {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        a[k] = fmix64(state) as u32 | 1;
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        b[k] = fmix64(state) as u32;
        k += 1;
    }
    (a, b)
};

/// The MinHash signature of a set of word hashes (the low 32 bits of xxh3, so already
/// uniform): per function `h ↦ a·h + b` of [`MIN_HASH_PARAMS`], the least value over the set
/// (the first [`HASHES`] of [`LANES`]). Multiply-add hashing of uniform keys (the
/// multiply-shift family: the minimum reads the top bits, which depend on every bit of `h`)
/// costs a multiplication and an addition a word and function, and in 32-bit lanes eight
/// functions take one AVX2 instruction each.
fn min_hashes(words: &[u32]) -> [u32; LANES] {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { min_hashes_avx2(words) };
    }
    min_hashes_portable(words)
}

/// [`min_hashes`] compiled for AVX2: the same code, so the same answers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn min_hashes_avx2(words: &[u32]) -> [u32; LANES] {
    min_hashes_portable(words)
}

/// [`min_hashes`] for any CPU.
#[inline(always)]
fn min_hashes_portable(words: &[u32]) -> [u32; LANES] {
    let (a, b) = &MIN_HASH_PARAMS;
    let mut mins = [u32::MAX; LANES];
    for &h in words {
        for k in 0..LANES {
            mins[k] = mins[k].min(h.wrapping_mul(a[k]).wrapping_add(b[k]));
        }
    }
    mins
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

    /// Reads the lowercased words of letters and digits of `text` into `joined` (joined by
    /// single spaces) and where each one is in `joined` into `spans`; returns the number of
    /// characters in them.
    fn read_words(&mut self, text: &str) -> usize {
        self.joined.clear();
        self.spans.clear();
        let mut letters = 0usize;
        for w in text.split(|c: char| !chars::is_alphanumeric(c)) {
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
            } else if w.contains('Σ') {
                // The one lowercase mapping that depends on context (a word-final sigma).
                let lower = w.to_lowercase();
                letters += lower.chars().count();
                self.joined.push_str(&lower);
            } else {
                for lower in w.chars().flat_map(char::to_lowercase) {
                    self.joined.push(lower);
                    letters += 1;
                }
            }
            self.spans.push((start as u32, self.joined.len() as u32));
        }
        letters
    }

    /// Remembers that the raw text whose hash is `raw_key` is (or repeats) entry `idx`.
    fn remember_raw(&mut self, raw_key: u64, idx: usize) {
        if self.raw.len() < MAX_ENTRIES {
            self.raw.insert(raw_key, idx as u32);
        }
    }

    /// Records a comment and returns the earlier comment it repeats, if any.
    pub fn check(&mut self, id: &str, text: &str) -> Option<Repeat> {
        // The same bytes as a comment already judged: the same answer, as the index only ever
        // adds later entries (so the earliest similar one stays the same).
        let raw_key = xxh3_64(text.as_bytes());
        if let Some(&idx) = self.raw.get(&raw_key) {
            return Some(self.repeat_of(idx as usize));
        }
        let letters = self.read_words(text);
        if letters < MIN_CHARS || self.spans.len() < MIN_WORDS {
            return None;
        }
        let exact_key = xxh3_64(self.joined.as_bytes());
        if let Some(&idx) = self.exact.get(&exact_key) {
            // The same words as an earlier comment: no need for its word set or MinHash.
            self.remember_raw(raw_key, idx);
            return Some(self.repeat_of(idx));
        }
        // The word set: the low 32 bits of each word's hash, sorted, once each.
        let joined = self.joined.as_bytes();
        let mut set: Vec<u32> = self
            .spans
            .iter()
            .map(|&(a, b)| xxh3_64(&joined[a as usize..b as usize]) as u32)
            .collect();
        set.sort_unstable();
        set.dedup();
        // MinHash over the word set: it holds the low 32 bits the functions read, once each.
        let mins = min_hashes(&set);
        let mut band_keys = [0u64; BANDS];
        for (b, key) in band_keys.iter_mut().enumerate() {
            let mut bytes = [0u8; 1 + 4 * ROWS];
            bytes[0] = b as u8;
            for (r, m) in mins[b * ROWS..(b + 1) * ROWS].iter().enumerate() {
                bytes[1 + 4 * r..5 + 4 * r].copy_from_slice(&m.to_le_bytes());
            }
            *key = xxh3_64(&bytes);
        }
        // Every earlier comment sharing a band and of a size that allows the similarity (the
        // Jaccard similarity cannot exceed the ratio of the two set sizes), judged once each,
        // earliest first.
        self.candidates.clear();
        for k in &band_keys {
            let mut at = self.bands.get(k).map_or(u32::MAX, |b| b.0);
            while let Some(m) = self.members.get(at as usize) {
                if sizes_allow(m.words as usize, set.len()) {
                    self.candidates.push(m.seen);
                }
                at = m.previous;
            }
        }
        self.candidates.sort_unstable();
        self.candidates.dedup();
        let found = self
            .candidates
            .iter()
            .map(|&idx| idx as usize)
            .find(|&idx| similar(&self.seen[idx].words, &set));
        if let Some(idx) = found {
            self.remember_raw(raw_key, idx);
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
            self.remember_raw(raw_key, idx);
            let len = self.seen[idx].words.len() as u32;
            for k in band_keys {
                let (last, count) = self.bands.entry(k).or_insert((u32::MAX, 0));
                if (*count as usize) < BUCKET_CAP {
                    self.members.push(Member {
                        seen: idx as u32,
                        words: len,
                        previous: *last,
                    });
                    *last = (self.members.len() - 1) as u32;
                    *count += 1;
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain_jaccard(a: &[u32], b: &[u32]) -> f64 {
        let both = a.iter().filter(|x| b.contains(x)).count();
        both as f64 / (a.len() + b.len() - both) as f64
    }

    #[test]
    fn similar_agrees_with_the_plain_jaccard_similarity() {
        // Sets drawn from small ranges so that every similarity occurs, 0.75 exactly included.
        let mut state = 7u64;
        let mut next = |m: u64| {
            state = fmix64(state.wrapping_add(0x9E37_79B9_7F4A_7C15));
            (state % m) as u32
        };
        for _ in 0..20_000 {
            let range = 4 + u64::from(next(40));
            let mut a: Vec<u32> = (0..next(24)).map(|_| next(range)).collect();
            let mut b: Vec<u32> = (0..next(24)).map(|_| next(range)).collect();
            for v in [&mut a, &mut b] {
                v.sort_unstable();
                v.dedup();
            }
            if a.is_empty() && b.is_empty() {
                continue;
            }
            let j = plain_jaccard(&a, &b);
            assert_eq!(similar(&a, &b), j >= 0.75, "{a:?} {b:?} {j}");
            if similar(&a, &b) {
                assert!(sizes_allow(a.len(), b.len()));
            }
        }
        assert!(similar(&[1, 2, 3, 4], &[1, 2, 3]), "exactly 3/4");
        assert!(!similar(&[1, 2, 3, 4, 5], &[1, 2, 3, 6]));
    }

    /// A comment of `n` words drawn from a few common ones and `n` words of its own, so that
    /// comments share many words but none is a near copy of another.
    fn chatter(seed: u64, n: usize) -> String {
        const COMMON: [&str; 8] = ["the", "a", "is", "to", "and", "of", "this", "that"];
        let common = (0..n).map(|i| COMMON[(fmix64(seed * 1000 + i as u64) % 8) as usize]);
        let own = (0..n).map(|i| format!("w{seed}x{i}"));
        common
            .map(str::to_string)
            .chain(own)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// How often two random sets of `n` words with `shared` words in common share a band, over
    /// `trials` pairs.
    fn band_hit_rate(n: usize, shared: usize, trials: u64) -> f64 {
        let bands = |mins: [u32; LANES]| -> Vec<Vec<u32>> {
            mins[..HASHES].chunks(ROWS).map(<[u32]>::to_vec).collect()
        };
        let mut hits = 0;
        for t in 0..trials {
            let word = |i: u64| xxh3_64(&(t << 32 | i).to_le_bytes()) as u32;
            let a: Vec<u32> = (0..n as u64).map(word).collect();
            let b: Vec<u32> = (0..shared as u64)
                .chain((0..(n - shared) as u64).map(|i| 1_000_000 + i))
                .map(word)
                .collect();
            let (ba, bb) = (bands(min_hashes(&a)), bands(min_hashes(&b)));
            hits += u32::from(ba.iter().zip(&bb).any(|(x, y)| x == y));
        }
        f64::from(hits) / trials as f64
    }

    #[test]
    fn words_are_read_as_the_standard_library_splits_and_lowercases_them() {
        let texts = [
            "Plain ASCII words, 42 of them!",
            "ΟΔΥΣΣΕΥΣ και ΣΙΣΥΦΟΣ: Σ σ ς",
            "Ärger über STRAßE — İstanbul ǅemal",
            "Привет, МИР! ёЁ 123 ٣٤ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀 🙂x",
            "  leading, trailing  ",
            "a",
            "日本語のテキスト、中文。½ ²³ ⅷ x²",
            "é",
            "",
        ];
        let mut index = DuplicateIndex::default();
        for text in texts {
            let words: Vec<String> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect();
            let letters = index.read_words(text);
            assert_eq!(index.joined, words.join(" "), "{text}");
            assert_eq!(
                letters,
                words.iter().map(|w| w.chars().count()).sum::<usize>()
            );
            let spans: Vec<&str> = index
                .spans
                .iter()
                .map(|&(a, b)| &index.joined[a as usize..b as usize])
                .collect();
            assert_eq!(spans, words, "{text}");
        }
    }

    #[test]
    fn min_hashes_find_near_copies_and_few_unrelated_pairs() {
        // Jaccard 0.75 (35 of 40 words shared: 35 / 45 = 0.78) and 0.15 (10 of 40: 10 / 70):
        // in theory 1 − (1 − J³)¹⁰ = 0.998 and 0.029 (see the module's doc).
        let near = band_hit_rate(40, 35, 2000);
        let far = band_hit_rate(40, 10, 2000);
        assert!(near >= 0.985, "near copies share a band in {near} of pairs");
        assert!(
            far <= 0.06,
            "unrelated pairs share a band in {far} of pairs"
        );
        // The functions differ from each other.
        let mins = min_hashes(&[1, 2, 3]);
        assert!(mins.iter().collect::<std::collections::HashSet<_>>().len() == LANES);
        // The AVX2 build answers as the portable one.
        let words: Vec<u32> = (0..100u64)
            .map(|i| xxh3_64(&i.to_le_bytes()) as u32)
            .collect();
        for n in [0, 1, 7, 100] {
            assert_eq!(min_hashes(&words[..n]), min_hashes_portable(&words[..n]));
        }
    }

    #[test]
    fn work_per_comment_stays_bounded_and_copies_are_still_found() {
        let mut index = DuplicateIndex::default();
        let first =
            "Check out my new channel for free gift cards, subscribe and share with friends";
        assert_eq!(index.check("spam-0", first), None);
        // Thousands of different comments that share their commonest words.
        for i in 0..3000 {
            let text = chatter(i, 6);
            assert_eq!(index.check(&format!("c{i}"), &text), None, "{text}");
            assert!(index.candidates.len() <= BANDS * BUCKET_CAP);
        }
        assert!(index.bands.values().all(|b| b.1 as usize <= BUCKET_CAP));
        assert!(
            index.bands.values().any(|b| b.1 as usize == BUCKET_CAP),
            "the test fills some buckets"
        );
        let near =
            "check out my new channel for free gift cards, subscribe and share with my friends";
        let r = index
            .check("spam-1", near)
            .expect("a near copy of the first comment");
        assert_eq!((r.first.as_str(), r.copies), ("spam-0", 2));
        let again = chatter(42, 6);
        assert_eq!(
            index.check("again", &again).map(|r| r.first),
            Some("c42".into())
        );
    }

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
        // Byte-for-byte copies of a near copy and of an exact-words copy name the same first
        // comment, and count on.
        let r = index.check("h", near).unwrap();
        assert_eq!((r.first.as_str(), r.copies), ("a", 4));
        let r = index.check("i", &spam.to_uppercase()).unwrap();
        assert_eq!((r.first.as_str(), r.copies), ("a", 5));
        assert_eq!(index.raw.len(), 5, "a, b, c, d and g");
        assert_eq!(index.check("j", "first!"), None);
    }
}
