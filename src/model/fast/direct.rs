//! The direct scoring path, for models whose analyzer is cheap: no de-obfuscation, no
//! stemming and no character n-grams (`moderato train --char-ngrams 0 --no-stem
//! --no-deobfuscate`). Each comment is analysed whole and its tokens' feature keys are looked up
//! straight in the vocabulary, with none of the per-run caches of the fast path.
//!
//! Those caches pay for themselves when a token's first sight is dear (stems, n-gram hashing,
//! de-obfuscation). For a cheap analyzer they cost more than they save: normalising and
//! tokenising a comment is then cheaper than hashing its chunks and walking the cache entries
//! (see docs/speed.md, "Session 13: the direct path"). The numbers are the same as the plain
//! computation, up to float rounding.

use super::{count_row_features, FastScratch};
use crate::model::Model;
use crate::text::analyzer::{cue_capital_words_key, cue_shout_key, ngram_key, term_key};
use crate::text::TokenKind;

impl Model {
    /// Whether this model scores through the direct path: its analyzer neither de-obfuscates
    /// nor stems and it has no character n-grams.
    pub(crate) fn scores_directly(&self) -> bool {
        let config = self.vectorizer.analyzer().config();
        !config.deobfuscate && !config.stem && !config.has_char_ngrams()
    }

    /// Margins (bias plus dot product) of every label for `text`, through the direct path.
    /// Not inlined, so that the fast path's code is laid out as without it.
    #[inline(never)]
    pub(crate) fn margins_direct<'s>(&self, text: &str, s: &'s mut FastScratch) -> &'s [f32] {
        let analyzer = self.vectorizer.analyzer();
        let config = analyzer.config();
        let vocab = self.vectorizer.vocabulary();
        let rows = self.feature_rows();
        let mut doc = std::mem::take(&mut s.doc);
        analyzer.analyze(text, &mut doc, false);

        // Every feature key of the comment, one per occurrence, prefetched: each token's term
        // and extra keys, then its word n-grams (a joined token has none and does not break
        // them).
        let max_n = config.word_ngram_max;
        s.bigrams.clear();
        let (mut prev1, mut prev2): (Option<u64>, Option<u64>) = (None, None);
        for token in &doc.tokens {
            let surface = token.text(&doc.normalized.text);
            let key = if token.kind == TokenKind::Word {
                // Without stemming and de-obfuscation a word is its own canonical term, with
                // no further keys.
                term_key(surface)
            } else {
                analyzer.token_keys_of(token.kind, surface, &mut s.keys);
                for &k in &s.keys.extras {
                    vocab.prefetch(k);
                    s.bigrams.push(k);
                }
                s.keys.term
            };
            vocab.prefetch(key);
            s.bigrams.push(key);
            if token.kind == TokenKind::Joined {
                continue;
            }
            if max_n >= 2 {
                if let Some(p1) = prev1 {
                    let k = ngram_key(p1, key);
                    vocab.prefetch(k);
                    s.bigrams.push(k);
                    if let (true, Some(p2)) = (max_n >= 3, prev2) {
                        let k = ngram_key(ngram_key(p2, p1), key);
                        vocab.prefetch(k);
                        s.bigrams.push(k);
                    }
                }
            }
            prev2 = prev1;
            prev1 = Some(key);
        }
        let cues = if config.cues {
            [
                doc.shouting.then(cue_shout_key),
                cue_capital_words_key(doc.capital_words),
            ]
        } else {
            [None, None]
        };
        s.doc = doc;

        // Counts per feature in the small per-comment table; rows prefetched as they appear.
        s.words.prepare(s.bigrams.len() + 2);
        let keys = s.bigrams.iter().copied();
        count_row_features(
            &mut s.words,
            vocab,
            rows,
            keys.chain(cues.into_iter().flatten()),
        );

        // Sublinear tf × idf, the block's L2 norm and the dot products.
        let nl = self.labels.len();
        s.word_dot.clear();
        s.word_dot.resize(nl, 0.0);
        let mut sq = 0f32;
        for i in 0..s.words.used.len() {
            let t = s.words.take(s.words.used[i]);
            let row = rows.row(t.id);
            let w = s.tf.weight(t.count, row[0]);
            sq += w * w;
            super::add_scaled(&mut s.word_dot, w, &row[1..]);
        }
        let scale = if sq > 0.0 { sq.sqrt().recip() } else { 0.0 };
        for (d, l) in s.word_dot.iter_mut().zip(&self.labels) {
            *d = l.bias + *d * scale;
        }
        &s.word_dot
    }
}
