//! The lexicon: the analysis of the tokens that training saw most often, stored in the model
//! so that scoring does not redo it.
//!
//! The scoring fast path keeps, per run, a cache entry for every distinct token: its word
//! features and its character n-grams' partial dot products (see [`super::fast`]). Building one
//! means stemming the token, hashing its n-grams and looking each up at random in megabyte
//! tables, which is most of the cost of a token seen for the first time in a run. A lexicon
//! entry holds what that work yields for one token, so that a run's first sight of a common
//! word is a copy:
//!
//! `[term key (2 words), word features n, squared norm, partial per head, word feature id × n]`
//!
//! in 32-bit words, floats as their bits. Only models whose cache entries keep no n-grams (the
//! per-word character block, or no character block) have one. Scores are the same bit for bit
//! with or without it.

use crate::features::table::FeatureTable;
use std::sync::OnceLock;

pub(crate) const L_KEY: usize = 0;
pub(crate) const L_WORDS: usize = 2;
pub(crate) const L_SQ: usize = 3;
pub(crate) const L_HEADER: usize = 4;
/// Word features one token can have (its term and its extras); more marks a corrupt lexicon.
const MAX_WORDS: u32 = 64;

/// Token hashes and their precomputed cache entries.
#[derive(Debug, Clone, Default)]
pub struct Lexicon {
    /// Token hash (the fast path's cache key) of each entry.
    keys: Vec<u64>,
    /// The entries back to back.
    data: Vec<u32>,
    /// Where each entry starts in `data`.
    starts: Vec<u32>,
    /// Token hash → entry number, built on first use so that loading stays cheap.
    table: OnceLock<FeatureTable>,
}

impl Lexicon {
    /// A lexicon of `keys` and their entries `data` for a model of `heads` heads and
    /// `features` features; an error says what does not fit.
    pub fn from_parts(
        keys: Vec<u64>,
        data: Vec<u32>,
        heads: usize,
        features: usize,
    ) -> Result<Self, String> {
        if u32::try_from(data.len()).is_err() {
            return Err(format!("the lexicon's {} words are too many", data.len()));
        }
        let mut starts = Vec::with_capacity(keys.len());
        let mut at = 0usize;
        while at < data.len() {
            if starts.len() == keys.len() {
                return Err(format!(
                    "the lexicon has more entries than its {} keys",
                    keys.len()
                ));
            }
            let fixed = L_HEADER + heads;
            let n = match data.get(at + L_WORDS) {
                Some(&n) if n <= MAX_WORDS && at + fixed <= data.len() => n as usize,
                _ => return Err(format!("lexicon entry {} is malformed", starts.len())),
            };
            let ids = data
                .get(at + fixed..at + fixed + n)
                .ok_or_else(|| format!("lexicon entry {} runs past the end", starts.len()))?;
            if ids.iter().any(|&id| id as usize >= features) {
                return Err(format!(
                    "lexicon entry {} names a feature the model does not have",
                    starts.len()
                ));
            }
            starts.push(at as u32);
            at += fixed + n;
        }
        if starts.len() != keys.len() {
            return Err(format!(
                "the lexicon has {} keys for {} entries",
                keys.len(),
                starts.len()
            ));
        }
        Ok(Lexicon {
            keys,
            data,
            starts,
            table: OnceLock::new(),
        })
    }

    /// The token hashes and the entries, as stored.
    pub(crate) fn parts(&self) -> (&[u64], &[u32]) {
        (&self.keys, &self.data)
    }

    /// Entries.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The entry of the token whose fast-path hash is `hash`, if the lexicon has it.
    #[inline]
    pub(crate) fn get(&self, hash: u64) -> Option<&[u32]> {
        if self.keys.is_empty() {
            return None;
        }
        let table = self
            .table
            .get_or_init(|| FeatureTable::from_keys(&self.keys));
        let i = table.get(hash)? as usize;
        let start = self.starts[i] as usize;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.data.len(), |&e| e as usize);
        Some(&self.data[start..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: u64, heads: usize, ids: &[u32]) -> Vec<u32> {
        let mut e = vec![
            key as u32,
            (key >> 32) as u32,
            ids.len() as u32,
            1f32.to_bits(),
        ];
        e.extend(std::iter::repeat_n(0.5f32.to_bits(), heads));
        e.extend_from_slice(ids);
        e
    }

    #[test]
    fn finds_each_entry_by_its_token_hash() {
        let mut data = entry(7, 2, &[1, 3]);
        data.extend(entry(9, 2, &[]));
        let lexicon = Lexicon::from_parts(vec![70, 90], data, 2, 4).unwrap();
        assert_eq!(lexicon.len(), 2);
        assert_eq!(lexicon.get(70), Some(&entry(7, 2, &[1, 3])[..]));
        assert_eq!(lexicon.get(90), Some(&entry(9, 2, &[])[..]));
        assert_eq!(lexicon.get(80), None);
        assert_eq!(Lexicon::default().get(70), None);
    }

    #[test]
    fn refuses_entries_that_do_not_fit_the_model() {
        let good = entry(7, 2, &[1, 3]);
        let err =
            |keys: Vec<u64>, data: Vec<u32>| Lexicon::from_parts(keys, data, 2, 4).unwrap_err();
        assert!(err(vec![1, 2], good.clone()).contains("2 keys for 1 entries"));
        assert!(err(vec![], good.clone()).contains("more entries than"));
        assert!(err(vec![1], good[..good.len() - 1].to_vec()).contains("runs past the end"));
        assert!(err(vec![1], entry(7, 2, &[4])).contains("does not have"));
        let mut huge = good.clone();
        huge[L_WORDS] = 1000;
        assert!(err(vec![1], huge).contains("malformed"));
        assert!(err(vec![1], good[..3].to_vec()).contains("malformed"));
    }
}
