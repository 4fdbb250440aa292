//! The scorer's warm start: the cache entries of the chunks that training saw most often,
//! computed when the model is trained and stored in the model file.
//!
//! The fast path caches, per run and thread, each distinct chunk's analysis and each distinct
//! token's features and partial dot products (see [`super::fast`]). On a fresh run every
//! common word is new, and computing its entry (stemming, hashing its n-grams, looking them
//! up at random in megabyte tables) costs more than scoring it warm. A warm cache starts every
//! run with the entries of the commonest chunks already made, so that a small batch scores as
//! fast as a large one. It changes no score: an entry is the same whenever it is made.

use super::fast::{self, FastScratch};
use super::Model;
use crate::features::table::FeatureTable;
use crate::text::chunk::chunks;
use std::collections::HashMap;
use xxhash_rust::xxh3::xxh3_64;

/// Most chunks a warm cache holds.
const MAX_CHUNKS: usize = 20_000;
/// Size bound of a warm cache's token arena, in 32-bit words (4 MB).
const MAX_ARENA: usize = 1 << 20;
/// Training comments read to count chunks.
const MAX_TEXTS: usize = 200_000;

/// Cache entries made ahead of scoring (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WarmCache {
    /// Token hash → entry offset in `arena`.
    pub(super) tokens: Vec<(u64, u32)>,
    pub(super) arena: Vec<u32>,
    /// Chunk hash → entry offset in `chunk_arena`.
    pub(super) chunks: Vec<(u64, u32)>,
    pub(super) chunk_arena: Vec<u32>,
}

/// A warm cache ready to copy into a scratch: its tables built.
#[derive(Debug, Clone, Default)]
pub(super) struct WarmTables {
    pub(super) index: FeatureTable,
    pub(super) arena: Vec<u32>,
    pub(super) entries: usize,
    pub(super) chunk_index: FeatureTable,
    pub(super) chunk_arena: Vec<u32>,
}

impl WarmCache {
    /// The entries of the chunks seen at least twice in `texts`, commonest first, within the
    /// size bounds. Deterministic: the same texts give the same cache.
    pub fn build(model: &Model, texts: &[String]) -> WarmCache {
        let mut counts: HashMap<&str, u32> = HashMap::new();
        for text in texts.iter().take(MAX_TEXTS) {
            for chunk in chunks(text) {
                *counts.entry(chunk).or_default() += 1;
            }
        }
        let mut common: Vec<(&str, u32)> = counts.into_iter().filter(|&(_, n)| n >= 2).collect();
        common.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let mut scratch = FastScratch::default();
        for &(chunk, _) in common.iter().take(MAX_CHUNKS) {
            if scratch.arena_len() > MAX_ARENA {
                break;
            }
            model.add_chunk_entry(&mut scratch, chunk, xxh3_64(chunk.as_bytes()));
        }
        scratch.into_warm()
    }

    /// Number of chunks and of tokens it holds.
    pub fn len(&self) -> (usize, usize) {
        (self.chunks.len(), self.tokens.len())
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty() && self.tokens.is_empty()
    }

    /// Checks that the cache fits a model of `labels` labels and `features` features: every
    /// entry well formed, every offset the start of an entry, every feature id in range, so
    /// that a damaged file cannot make scoring read out of bounds.
    pub fn validate(&self, labels: usize, features: usize) -> Result<(), String> {
        let starts = fast::entry_starts(&self.arena, labels, features)?;
        for &(_, off) in &self.tokens {
            if starts.binary_search(&off).is_err() {
                return Err(format!(
                    "warm cache token entry at {off} is not an entry start"
                ));
            }
        }
        let chunk_starts = fast::chunk_entry_starts(&self.chunk_arena, &starts)?;
        for &(_, off) in &self.chunks {
            if chunk_starts.binary_search(&off).is_err() {
                return Err(format!(
                    "warm cache chunk entry at {off} is not an entry start"
                ));
            }
        }
        Ok(())
    }

    /// Its tables built, to copy into each thread's scratch.
    pub(super) fn tables(&self) -> WarmTables {
        let mut index = FeatureTable::default();
        for &(k, v) in &self.tokens {
            index.insert_growing(k, v);
        }
        let mut chunk_index = FeatureTable::default();
        for &(k, v) in &self.chunks {
            chunk_index.insert_growing(k, v);
        }
        WarmTables {
            index,
            arena: self.arena.clone(),
            entries: self.tokens.len(),
            chunk_index,
            chunk_arena: self.chunk_arena.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::ScoreScratch;

    fn model() -> crate::model::Model {
        let texts = [
            "you idiot, you stupid idiot",
            "what a lovely day for a walk",
            "stupid stupid stupid people",
            "nice work on the article, thanks",
            "idiot! go away idiot",
            "great job, thank you so much",
        ];
        crate::model::test_models::trained(
            &texts,
            &[("toxic", &[true, false, true, false, true, false])],
        )
    }

    #[test]
    fn a_warm_cache_changes_no_score() {
        let mut model = model();
        let texts: Vec<String> = ["you idiot", "you idiot", "what a day", "what a day", "once"]
            .iter()
            .map(|t| t.to_string())
            .collect();
        let cold = {
            let mut m = model.clone();
            m.warm_up(&[]);
            m
        };
        model.warm_up(&texts);
        // Chunks seen twice: "you", "idiot", "what", "a", "day".
        assert_eq!(model.warm_cache().len().0, 5);
        model
            .warm_cache()
            .validate(1, model.vectorizer().vocabulary().len())
            .unwrap();
        let probes = [
            "you idiot",
            "what a stupid day",
            "s t u p i d",
            "once more",
            "",
        ];
        let (mut a, mut b) = (ScoreScratch::default(), ScoreScratch::default());
        for text in probes.iter().chain(probes.iter()) {
            let (mut x, mut y) = (Vec::new(), Vec::new());
            model.probabilities(text, &mut a, &mut x);
            cold.probabilities(text, &mut b, &mut y);
            assert_eq!(x, y, "{text:?}");
        }
    }

    #[test]
    fn a_damaged_warm_cache_is_refused() {
        let mut model = model();
        let texts: Vec<String> = ["you idiot", "you idiot"]
            .iter()
            .map(|t| t.to_string())
            .collect();
        model.warm_up(&texts);
        let warm = model.warm_cache().clone();
        let features = model.vectorizer().vocabulary().len();
        assert!(warm.validate(1, features).is_ok());
        assert!(warm.validate(1, 0).is_err(), "features out of range");
        assert!(warm.validate(7, features).is_err(), "another label count");
        let mut cut = warm.clone();
        cut.arena.pop();
        assert!(cut.validate(1, features).is_err(), "cut short");
        let mut moved = warm.clone();
        moved.tokens[0].1 += 1;
        assert!(
            moved.validate(1, features).is_err(),
            "offset inside an entry"
        );
        let mut chunk = warm.clone();
        let last = chunk.chunk_arena.len() - 1;
        chunk.chunk_arena[last] = u32::MAX >> 1;
        assert!(
            chunk.validate(1, features).is_err(),
            "chunk token not an entry"
        );
        let mut stamped = warm;
        stamped.arena[0] = 3;
        assert!(stamped.validate(1, features).is_err(), "stamped entry");
    }
}
