//! Text to weighted sparse row: the analyzer's features looked up in the vocabulary, weighted by
//! sublinear term frequency times IDF, each block (words, character n-grams) L2-normalised.

use super::extract::{Emitted, Extractor};
use super::sparse::{CsrMatrix, SparseVec};
use super::vocabulary::Vocabulary;
use crate::text::{AnalyzedDoc, Analyzer, AnalyzerConfig, Block};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "VectorizerData", into = "VectorizerData")]
pub struct Vectorizer {
    analyzer: Analyzer,
    vocabulary: Vocabulary,
}

#[derive(Serialize, Deserialize)]
struct VectorizerData {
    analyzer: AnalyzerConfig,
    vocabulary: Vocabulary,
}

impl From<VectorizerData> for Vectorizer {
    fn from(d: VectorizerData) -> Self {
        Vectorizer {
            analyzer: Analyzer::new(d.analyzer),
            vocabulary: d.vocabulary,
        }
    }
}

impl From<Vectorizer> for VectorizerData {
    fn from(v: Vectorizer) -> Self {
        VectorizerData {
            analyzer: v.analyzer.config().clone(),
            vocabulary: v.vocabulary,
        }
    }
}

/// Reusable buffers for vectorising comments on one thread.
#[derive(Debug, Default)]
pub struct VectorizerScratch {
    extractor: Extractor<u32>,
    /// Occurrences per feature of the current comment (saturating; zero between comments).
    counts: Vec<u16>,
    touched: Vec<u32>,
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
        let VectorizerScratch {
            extractor,
            counts,
            touched,
        } = scratch;
        touched.clear();
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
        for &id in touched.iter() {
            let tf = counts[id as usize];
            counts[id as usize] = 0;
            let w = (1.0 + (tf as f32).ln()) * vocab.idf(id);
            match vocab.block(id) {
                Block::Word => word_sq += w * w,
                Block::Char => char_sq += w * w,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::vocabulary::{DocumentFrequencies, VocabularyConfig};

    fn fitted(texts: &[&str]) -> Vectorizer {
        let analyzer = Analyzer::new(AnalyzerConfig::default());
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

    #[test]
    fn each_block_has_unit_norm() {
        let v = fitted(&["you are an idiot", "what a lovely day", "idiot idiot"]);
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
        assert!((norm(Block::Char) - 1.0).abs() < 1e-5);
        let mut seen = row.indices.clone();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), row.indices.len(), "indices are unique");
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
