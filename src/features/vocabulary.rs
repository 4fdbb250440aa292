//! The vocabulary: which feature keys the model uses, learnt once from the training corpus by
//! document frequency, with their IDF weights.

use super::extract::Extractor;
use super::table::FeatureTable;
use crate::text::{Analyzer, Block};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// How the vocabulary is chosen from document frequencies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VocabularyConfig {
    /// A feature must occur in at least this many training comments.
    pub min_df: u32,
    /// At most this many word features (most frequent first).
    pub max_word_features: u32,
    /// At most this many character n-gram features (most frequent first).
    pub max_char_features: u32,
}

impl Default for VocabularyConfig {
    fn default() -> Self {
        VocabularyConfig {
            min_df: 2,
            max_word_features: 200_000,
            max_char_features: 200_000,
        }
    }
}

/// Feature keys with their indices and IDF weights; word features come first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "VocabularyData", into = "VocabularyData")]
pub struct Vocabulary {
    keys: Vec<u64>,
    idf: Vec<f32>,
    word_features: u32,
    table: FeatureTable,
}

#[derive(Serialize, Deserialize)]
struct VocabularyData {
    keys: Vec<u64>,
    idf: Vec<f32>,
    word_features: u32,
}

impl From<VocabularyData> for Vocabulary {
    fn from(d: VocabularyData) -> Self {
        let table = FeatureTable::from_keys(&d.keys);
        Vocabulary {
            keys: d.keys,
            idf: d.idf,
            word_features: d.word_features,
            table,
        }
    }
}

impl From<Vocabulary> for VocabularyData {
    fn from(v: Vocabulary) -> Self {
        VocabularyData {
            keys: v.keys,
            idf: v.idf,
            word_features: v.word_features,
        }
    }
}

/// Document frequencies of feature keys over a corpus.
#[derive(Debug, Default)]
pub struct DocumentFrequencies {
    counts: FxHashMap<u64, (u32, Block)>,
    documents: u32,
    /// Highest document frequency ever pruned away by [`DocumentFrequencies::count_bounded`]
    /// (0: counts are exact).
    pruned_up_to: u32,
}

/// Texts counted between two checks of the table's size in [`DocumentFrequencies::count_bounded`].
const COUNT_BLOCK: usize = 50_000;

/// Bytes one distinct key costs in the counting table, counting the hash table's slack and
/// growth (an entry is 16 bytes plus a control byte; tables are at most 7/8 full and double).
pub const BYTES_PER_COUNTED_KEY: u64 = 48;

impl DocumentFrequencies {
    /// Counts, in parallel, in how many of `texts` each feature key occurs.
    pub fn count<S: AsRef<str> + Sync>(analyzer: &Analyzer, texts: &[S]) -> Self {
        texts
            .par_chunks(2048)
            .map(|chunk| {
                let mut local = DocumentFrequencies::default();
                let mut extractor: Extractor<u64> = Extractor::default();
                let mut keys: Vec<(u64, Block)> = Vec::new();
                for text in chunk {
                    keys.clear();
                    extractor.extract(analyzer, text.as_ref(), false, Some, |e| {
                        keys.push((e.id, e.block))
                    });
                    keys.sort_unstable_by_key(|k| k.0);
                    keys.dedup_by_key(|k| k.0);
                    for &(key, block) in &keys {
                        local.counts.entry(key).or_insert((0, block)).0 += 1;
                    }
                    local.documents += 1;
                }
                local
            })
            .reduce(DocumentFrequencies::default, DocumentFrequencies::merge)
    }

    /// Counts like [`DocumentFrequencies::count`], a block of texts at a time, keeping the table
    /// at most `max_keys` distinct keys (plus one block's worth): when it grows past that, the
    /// keys with the lowest counts are dropped until at most half remain (lossy counting, as in
    /// Manku and Motwani 2002). Rare keys that survive may then be undercounted by at most
    /// [`DocumentFrequencies::pruned_up_to`]; frequent keys, the ones a vocabulary keeps, are
    /// unaffected. When the table never grows past `max_keys` the counts equal `count`'s.
    pub fn count_bounded<S: AsRef<str> + Sync>(
        analyzer: &Analyzer,
        texts: &[S],
        max_keys: usize,
    ) -> crate::error::Result<Self> {
        let mut total = DocumentFrequencies::default();
        for block in texts.chunks(COUNT_BLOCK) {
            crate::interrupt::check()?;
            total = total.merge(Self::count(analyzer, block));
            if total.counts.len() > max_keys {
                total.prune(max_keys / 2);
            }
        }
        Ok(total)
    }

    /// Drops the keys of lowest document frequency until at most `target` remain.
    fn prune(&mut self, target: usize) {
        const BUCKETS: usize = 256;
        let mut histogram = [0usize; BUCKETS + 1];
        for &(df, _) in self.counts.values() {
            histogram[(df as usize).min(BUCKETS)] += 1;
        }
        let mut remaining = self.counts.len();
        let mut cut = 0u32;
        for (df, &n) in histogram.iter().enumerate().take(BUCKETS) {
            if remaining <= target {
                break;
            }
            remaining -= n;
            cut = df as u32;
        }
        self.counts.retain(|_, &mut (df, _)| df > cut);
        self.counts.shrink_to_fit();
        self.pruned_up_to = self.pruned_up_to.max(cut);
    }

    /// The highest document frequency pruned while counting (0 when the counts are exact).
    pub fn pruned_up_to(&self) -> u32 {
        self.pruned_up_to
    }

    fn merge(mut self, other: DocumentFrequencies) -> Self {
        let (mut big, small) = if self.counts.len() >= other.counts.len() {
            (std::mem::take(&mut self.counts), other.counts)
        } else {
            (other.counts, std::mem::take(&mut self.counts))
        };
        for (key, (df, block)) in small {
            big.entry(key).or_insert((0, block)).0 += df;
        }
        DocumentFrequencies {
            counts: big,
            documents: self.documents + other.documents,
            pruned_up_to: self.pruned_up_to.max(other.pruned_up_to),
        }
    }

    /// Number of documents counted.
    pub fn documents(&self) -> u32 {
        self.documents
    }

    /// Number of distinct keys seen.
    pub fn distinct(&self) -> usize {
        self.counts.len()
    }
}

impl Vocabulary {
    /// Chooses the features by document frequency and computes smoothed IDF:
    /// `idf = ln((1 + n) / (1 + df)) + 1`.
    pub fn select(freqs: &DocumentFrequencies, config: &VocabularyConfig) -> Self {
        let pick = |block: Block, cap: u32| -> Vec<(u64, u32)> {
            let mut list: Vec<(u64, u32)> = freqs
                .counts
                .iter()
                .filter(|(_, &(df, b))| b == block && df >= config.min_df)
                .map(|(&k, &(df, _))| (k, df))
                .collect();
            list.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            list.truncate(cap as usize);
            list
        };
        let words = pick(Block::Word, config.max_word_features);
        let chars = pick(Block::Char, config.max_char_features);
        let n = freqs.documents as f64;
        let mut keys = Vec::with_capacity(words.len() + chars.len());
        let mut idf = Vec::with_capacity(words.len() + chars.len());
        for &(key, df) in words.iter().chain(chars.iter()) {
            keys.push(key);
            idf.push((((1.0 + n) / (1.0 + df as f64)).ln() + 1.0) as f32);
        }
        let table = FeatureTable::from_keys(&keys);
        Vocabulary {
            keys,
            idf,
            word_features: words.len() as u32,
            table,
        }
    }

    /// The parts a model file stores: keys, IDF weights, number of word features.
    pub(crate) fn parts(&self) -> (&[u64], &[f32], u32) {
        (&self.keys, &self.idf, self.word_features)
    }

    /// Reassembles a vocabulary from its stored parts (building the feature table).
    pub(crate) fn from_parts(
        keys: Vec<u64>,
        idf: Vec<f32>,
        word_features: u32,
    ) -> Result<Self, String> {
        if idf.len() != keys.len() || word_features as usize > keys.len() {
            return Err(format!(
                "{} feature keys, {} IDF weights, {word_features} word features",
                keys.len(),
                idf.len()
            ));
        }
        let table = FeatureTable::from_keys(&keys);
        Ok(Vocabulary {
            keys,
            idf,
            word_features,
            table,
        })
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when the vocabulary has no features.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of word features (indices below it are word features).
    pub fn word_features(&self) -> usize {
        self.word_features as usize
    }

    /// The index of a feature key.
    #[inline]
    pub fn index(&self, key: u64) -> Option<u32> {
        self.table.get(key)
    }

    /// Starts loading the table slot of a feature key (see [`FeatureTable::prefetch`]).
    #[inline]
    pub fn prefetch(&self, key: u64) {
        self.table.prefetch(key);
    }

    /// IDF weight of a feature index.
    #[inline]
    pub fn idf(&self, index: u32) -> f32 {
        self.idf[index as usize]
    }

    /// The IDF weights of all features, by index.
    pub fn idfs(&self) -> &[f32] {
        &self.idf
    }

    /// The block a feature index belongs to.
    #[inline]
    pub fn block(&self, index: u32) -> Block {
        if index < self.word_features {
            Block::Word
        } else {
            Block::Char
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::AnalyzerConfig;

    #[test]
    fn prunes_rare_features_and_weights_common_ones_less() {
        let analyzer = Analyzer::new(AnalyzerConfig::default());
        let texts = ["the cat sat", "the dog sat", "the bird flew"];
        let freqs = DocumentFrequencies::count(&analyzer, &texts);
        assert_eq!(freqs.documents(), 3);
        let vocab = Vocabulary::select(&freqs, &VocabularyConfig::default());
        let key = |w: &str| {
            let mut k = crate::text::TokenKeys::default();
            analyzer.token_keys(crate::text::TokenKind::Word, &format!("w{w}"), &mut k);
            k.term
        };
        let the = vocab.index(key("the")).expect("'the' is in every text");
        let sat = vocab.index(key("sat")).expect("'sat' is in two texts");
        assert!(vocab.index(key("flew")).is_none(), "min_df=2 prunes 'flew'");
        assert!(vocab.idf(the) < vocab.idf(sat));
        assert_eq!(vocab.block(the), Block::Word);
    }

    #[test]
    fn bounded_counting_is_exact_under_the_cap_and_keeps_frequent_keys_over_it() {
        let analyzer = Analyzer::new(AnalyzerConfig::default());
        let texts: Vec<String> = (0..3000)
            .map(|i| format!("common words here plus rare{i} token{}", i % 7))
            .collect();
        let exact = DocumentFrequencies::count(&analyzer, &texts);
        let roomy = DocumentFrequencies::count_bounded(&analyzer, &texts, usize::MAX).unwrap();
        assert_eq!(roomy.counts, exact.counts);
        assert_eq!(roomy.pruned_up_to(), 0);
        let cap = exact.distinct() / 4;
        let mut tight = DocumentFrequencies::default();
        for block in texts.chunks(500) {
            tight = tight.merge(DocumentFrequencies::count(&analyzer, block));
            if tight.counts.len() > cap {
                tight.prune(cap / 2);
            }
        }
        assert!(tight.distinct() < exact.distinct());
        assert!(tight.pruned_up_to() >= 1);
        let mut everywhere = 0;
        for (key, &(df, _)) in &exact.counts {
            if df == 3000 {
                everywhere += 1;
                assert_eq!(tight.counts.get(key).map(|c| c.0), Some(3000));
            }
        }
        assert!(everywhere > 10);
    }

    #[test]
    fn caps_each_block() {
        let analyzer = Analyzer::new(AnalyzerConfig::default());
        let texts = ["alpha beta gamma", "alpha beta gamma", "alpha beta delta"];
        let freqs = DocumentFrequencies::count(&analyzer, &texts);
        let config = VocabularyConfig {
            min_df: 1,
            max_word_features: 2,
            max_char_features: 3,
        };
        let vocab = Vocabulary::select(&freqs, &config);
        assert_eq!(vocab.word_features(), 2);
        assert_eq!(vocab.len(), 5);
    }
}
