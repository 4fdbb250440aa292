//! Text to weighted sparse row: the analyzer's features looked up in the vocabulary, weighted by
//! sublinear term frequency times IDF, each block (words, character n-grams) L2-normalised.
//! The character block is either exact TF-IDF over the comment or a sum of per-word vectors
//! ([`CharBlock`]).

use super::extract::{Emitted, Extractor};
use super::sparse::{CsrMatrix, SparseVec};
use super::vocabulary::Vocabulary;
use crate::text::{AnalyzedDoc, Analyzer, Block, CharBlock};
use rayon::prelude::*;

/// Where one feature of a vectorised comment came from (for explanations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureOrigin {
    /// Feature index.
    pub feature: u32,
    /// First and last token index covered, or [`super::extract::NO_TOKEN`].
    pub first_token: u32,
    pub last_token: u32,
}

/// The analyzer plus the vocabulary: everything needed to turn text into a model's input.
#[derive(Debug, Clone)]
pub struct Vectorizer {
    analyzer: Analyzer,
    vocabulary: Vocabulary,
}

/// Reusable buffers for vectorising comments on one thread.
#[derive(Debug, Default)]
pub struct VectorizerScratch {
    extractor: Extractor<u32>,
    /// Occurrences per feature of the current comment (saturating; zero between comments).
    /// With per-word character blocks, a character feature's entry only marks it as seen.
    counts: Vec<u16>,
    touched: Vec<u32>,
    /// Per-word character blocks: value per feature of the current comment (zero between
    /// comments), and the character features of each distinct token's first occurrence
    /// (distinct-token index, feature).
    values: Vec<f32>,
    word_grams: Vec<(u32, u32)>,
}

impl VectorizerScratch {
    /// The last analysed comment (normalised text, tokens).
    pub fn doc(&self) -> &AnalyzedDoc {
        &self.extractor.doc
    }
}

impl Vectorizer {
    /// Combines an analyzer with a vocabulary learnt under it.
    pub fn new(analyzer: Analyzer, vocabulary: Vocabulary) -> Self {
        Vectorizer {
            analyzer,
            vocabulary,
        }
    }

    /// The analyzer.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The vocabulary.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// Number of features.
    pub fn nfeatures(&self) -> usize {
        self.vocabulary.len()
    }

    /// Vectorises `text` into `out`.
    pub fn vectorize(&self, text: &str, scratch: &mut VectorizerScratch, out: &mut SparseVec) {
        self.vectorize_inner(text, scratch, out, None);
    }

    /// Vectorises `text` and records where each feature came from; the scratch keeps the
    /// analysed comment with its map back to `text`.
    pub fn vectorize_traced(
        &self,
        text: &str,
        scratch: &mut VectorizerScratch,
        out: &mut SparseVec,
        origins: &mut Vec<FeatureOrigin>,
    ) {
        origins.clear();
        self.vectorize_inner(text, scratch, out, Some(origins));
    }

    fn vectorize_inner(
        &self,
        text: &str,
        scratch: &mut VectorizerScratch,
        out: &mut SparseVec,
        mut origins: Option<&mut Vec<FeatureOrigin>>,
    ) {
        out.clear();
        let vocab = &self.vocabulary;
        if scratch.counts.len() != vocab.len() {
            scratch.counts = vec![0; vocab.len()];
        }
        let per_word = self.analyzer.config().char_block == CharBlock::PerWord;
        if per_word && scratch.values.len() != vocab.len() {
            scratch.values = vec![0.0; vocab.len()];
        }
        let VectorizerScratch {
            extractor,
            counts,
            touched,
            values,
            word_grams,
        } = scratch;
        touched.clear();
        word_grams.clear();
        let record = origins.is_some();
        extractor.extract(
            &self.analyzer,
            text,
            record,
            |key| vocab.index(key),
            |e: Emitted<u32>| {
                let c = &mut counts[e.id as usize];
                if *c == 0 {
                    touched.push(e.id);
                }
                *c = c.saturating_add(1);
                if per_word && e.block == Block::Char && !e.repeat {
                    word_grams.push((e.distinct, e.id));
                }
                if let Some(o) = origins.as_deref_mut() {
                    o.push(FeatureOrigin {
                        feature: e.id,
                        first_token: e.first_token,
                        last_token: e.last_token,
                    });
                }
            },
        );
        let (mut word_sq, mut char_sq) = (0f32, 0f32);
        if per_word {
            char_sq = per_word_char_values(vocab, extractor.multiplicities(), word_grams, values);
        }
        for &id in touched.iter() {
            let tf = counts[id as usize];
            counts[id as usize] = 0;
            let w = match vocab.block(id) {
                Block::Char if per_word => std::mem::take(&mut values[id as usize]),
                _ => (1.0 + (tf as f32).ln()) * vocab.idf(id),
            };
            match vocab.block(id) {
                Block::Word => word_sq += w * w,
                Block::Char if !per_word => char_sq += w * w,
                Block::Char => {}
            }
            out.indices.push(id);
            out.values.push(w);
        }
        let word_scale = if word_sq > 0.0 {
            word_sq.sqrt().recip()
        } else {
            0.0
        };
        let char_scale = if char_sq > 0.0 {
            char_sq.sqrt().recip()
        } else {
            0.0
        };
        for (id, v) in out.indices.iter().zip(out.values.iter_mut()) {
            *v *= match vocab.block(*id) {
                Block::Word => word_scale,
                Block::Char => char_scale,
            };
        }
    }

    /// Vectorises many texts in parallel into a CSR matrix, keeping their order.
    pub fn vectorize_all<S: AsRef<str> + Sync>(&self, texts: &[S]) -> CsrMatrix {
        let parts: Vec<CsrMatrix> = texts
            .par_chunks(1024)
            .map(|chunk| {
                let mut scratch = VectorizerScratch::default();
                let mut row = SparseVec::default();
                let mut m = CsrMatrix::new(self.nfeatures());
                for t in chunk {
                    self.vectorize(t.as_ref(), &mut scratch, &mut row);
                    m.push(&row);
                }
                m
            })
            .collect();
        let mut all = CsrMatrix::with_capacity(
            self.nfeatures(),
            texts.len(),
            parts.iter().map(CsrMatrix::nnz).sum(),
        );
        for p in parts {
            all.append(&p);
        }
        all
    }
}

/// The per-word character block of a comment ([`CharBlock::PerWord`]): adds
/// `(1 + ln m_w) · (1 + ln k_wg) · idf_g` into `values[g]` for every distinct token `w` (with
/// `m_w` occurrences) and n-gram `g` (occurring `k_wg` times in `w`), and returns the
/// approximate squared norm `Σ_w (1 + ln m_w)² · Σ_g ((1 + ln k_wg) · idf_g)²`.
///
/// `word_grams` holds the n-grams of each distinct token's first occurrence, one token after
/// the other (it is reordered); `multiplicities` the tokens' occurrences.
fn per_word_char_values(
    vocab: &Vocabulary,
    multiplicities: &[u32],
    word_grams: &mut [(u32, u32)],
    values: &mut [f32],
) -> f32 {
    let mut sq = 0f32;
    for grams in word_grams.chunk_by_mut(|a, b| a.0 == b.0) {
        let t = 1.0 + (multiplicities[grams[0].0 as usize] as f32).ln();
        grams.sort_unstable_by_key(|g| g.1);
        let mut word_sq = 0f32;
        for same in grams.chunk_by(|a, b| a.1 == b.1) {
            let id = same[0].1;
            let w = (1.0 + (same.len() as f32).ln()) * vocab.idf(id);
            word_sq += w * w;
            values[id as usize] += t * w;
        }
        sq += t * t * word_sq;
    }
    sq
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::vocabulary::{DocumentFrequencies, VocabularyConfig};
    use crate::text::AnalyzerConfig;

    fn fitted(texts: &[&str]) -> Vectorizer {
        fitted_with(texts, CharBlock::default())
    }

    fn fitted_with(texts: &[&str], char_block: CharBlock) -> Vectorizer {
        let analyzer = Analyzer::new(AnalyzerConfig {
            char_block,
            ..AnalyzerConfig::default()
        });
        let freqs = DocumentFrequencies::count(&analyzer, texts);
        let vocab = Vocabulary::select(
            &freqs,
            &VocabularyConfig {
                min_df: 1,
                ..Default::default()
            },
        );
        Vectorizer::new(analyzer, vocab)
    }

    /// Each block has unit norm; with per-word character blocks the character block's norm is
    /// only approximately 1 (at least 1: the cross terms left out are positive).
    #[test]
    fn each_block_has_unit_norm() {
        for char_block in [CharBlock::Exact, CharBlock::PerWord] {
            block_norms(char_block);
        }
    }

    fn block_norms(char_block: CharBlock) {
        let texts = ["you are an idiot", "what a lovely day", "idiot idiot"];
        let v = fitted_with(&texts, char_block);
        let mut scratch = VectorizerScratch::default();
        let mut row = SparseVec::default();
        v.vectorize("You are an IDIOT, idiot", &mut scratch, &mut row);
        let vocab = v.vocabulary();
        let norm = |b: Block| -> f32 {
            row.indices
                .iter()
                .zip(&row.values)
                .filter(|(i, _)| vocab.block(**i) == b)
                .map(|(_, x)| x * x)
                .sum()
        };
        assert!((norm(Block::Word) - 1.0).abs() < 1e-5);
        match char_block {
            CharBlock::Exact => assert!((norm(Block::Char) - 1.0).abs() < 1e-5),
            CharBlock::PerWord => {
                let n = norm(Block::Char);
                assert!(n > 1.0 + 1e-3 && n < 2.0, "{n}");
            }
        }
        let mut seen = row.indices.clone();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), row.indices.len(), "indices are unique");
    }

    /// Character 2-grams only, no stemming, de-obfuscation or cues, fitted on "aaa ab" and "ab":
    /// idf is 1 for " a", "ab" and "b " (in both comments) and `I = 1 + ln 1.5` for "aa" and
    /// "a " (in one of the two).
    fn char_bigram_model(char_block: CharBlock) -> (Vectorizer, Vec<(&'static str, u32)>) {
        let analyzer = Analyzer::new(AnalyzerConfig {
            deobfuscate: false,
            stem: false,
            word_ngram_max: 1,
            char_ngram_min: 2,
            char_ngram_max: 2,
            cues: false,
            char_block,
            ..AnalyzerConfig::default()
        });
        let texts = ["aaa ab", "ab"];
        let freqs = DocumentFrequencies::count(&analyzer, &texts);
        let vocab = Vocabulary::select(
            &freqs,
            &VocabularyConfig {
                min_df: 1,
                ..Default::default()
            },
        );
        let mut ids = Vec::new();
        for gram in [" a", "aa", "a ", "ab", "b "] {
            let word = if ["ab", "b "].contains(&gram) {
                "ab"
            } else {
                "aaa"
            };
            let mut keys = Vec::new();
            analyzer.char_keys(word, &mut keys);
            let at = analyzer.char_ngrams(word).iter().position(|g| g == gram);
            ids.push((gram, vocab.index(keys[at.unwrap()]).unwrap()));
        }
        (Vectorizer::new(analyzer, vocab), ids)
    }

    /// The character block of "aaa aaa ab" by both definitions, against numbers worked out by
    /// hand (`L = 1 + ln 2`, `I = 1 + ln 1.5`).
    #[test]
    fn per_word_char_block_on_a_worked_example() {
        let (l, i) = (1.0 + 2f64.ln(), 1.0 + 1.5f64.ln());
        // Per word: c_aaa = {" a": 1, "aa": L·I, "a ": I} ("aa" twice in "aaa"), c_ab = {" a": 1,
        // "ab": 1, "b ": 1}; "aaa" occurs twice (weight L), "ab" once (weight 1). Approximate
        // squared norm: L²·‖c_aaa‖² + ‖c_ab‖² = L²·(1 + L²I² + I²) + 3.
        let norm = (l * l * (1.0 + l * l * i * i + i * i) + 3.0).sqrt();
        let per_word = [
            (" a", (l + 1.0) / norm),
            ("aa", l * l * i / norm),
            ("a ", l * i / norm),
            ("ab", 1.0 / norm),
            ("b ", 1.0 / norm),
        ];
        // Exact: counts over the comment " a" 3, "aa" 4, "a " 2, "ab" 1, "b " 1.
        let exact_raw = [
            (" a", 1.0 + 3f64.ln()),
            ("aa", (1.0 + 4f64.ln()) * i),
            ("a ", l * i),
            ("ab", 1.0),
            ("b ", 1.0),
        ];
        let exact_norm = exact_raw.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
        let exact = exact_raw.map(|(g, v)| (g, v / exact_norm));
        // Hand-evaluated numbers, as a check on the formulas above.
        assert!((per_word[1].1 - 0.764_670).abs() < 1e-6);
        assert!((exact[1].1 - 0.694_582).abs() < 1e-6);
        for (char_block, want) in [(CharBlock::PerWord, per_word), (CharBlock::Exact, exact)] {
            let (v, ids) = char_bigram_model(char_block);
            let mut scratch = VectorizerScratch::default();
            let mut row = SparseVec::default();
            v.vectorize("aaa aaa ab", &mut scratch, &mut row);
            let value = |id: u32| {
                let at = row.indices.iter().position(|&j| j == id).unwrap();
                row.values[at]
            };
            for ((gram, id), (g, x)) in ids.iter().zip(want) {
                assert_eq!(*gram, g);
                let got = value(*id);
                assert!(
                    (f64::from(got) - x).abs() < 1e-6,
                    "{char_block:?} {gram:?}: {got} vs {x}"
                );
            }
            // The word block is the same either way: "aaa" twice (idf I), "ab" once (idf 1).
            let chars = ids.iter().map(|&(_, id)| id).collect::<Vec<_>>();
            let mut words: Vec<f32> = row
                .indices
                .iter()
                .zip(&row.values)
                .filter(|(j, _)| !chars.contains(j))
                .map(|(_, &x)| x)
                .collect();
            words.sort_by(f32::total_cmp);
            let wn = (l * l * i * i + 1.0).sqrt();
            assert_eq!(words.len(), 2);
            assert!((f64::from(words[0]) - 1.0 / wn).abs() < 1e-6);
            assert!((f64::from(words[1]) - l * i / wn).abs() < 1e-6);
        }
    }

    #[test]
    fn unknown_text_gives_an_empty_row_and_batches_match_single_rows() {
        let v = fitted(&["alpha beta", "gamma delta"]);
        let mut scratch = VectorizerScratch::default();
        let mut row = SparseVec::default();
        v.vectorize("", &mut scratch, &mut row);
        assert_eq!(row.nnz(), 0);
        let m = v.vectorize_all(&["alpha", "zzz", "gamma delta"]);
        assert_eq!(m.nrows(), 3);
        v.vectorize("gamma delta", &mut scratch, &mut row);
        assert_eq!(m.row(2), (&row.indices[..], &row.values[..]));
    }
}
