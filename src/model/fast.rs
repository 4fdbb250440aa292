//! The scoring fast path: the same numbers as vectorising a comment and taking dot products,
//! computed with a per-distinct-word cache of the character n-gram part.
//!
//! Each distinct word (cache entry) keeps its resolved word features, its character n-grams
//! merged within the word (feature id, count, weight `(1 + ln count) · idf`), and the word's
//! partial dot product with every label's weights and partial squared norm over those
//! n-grams. A comment's character block is then the sum of its words' partials, corrected
//! exactly for the n-grams that two distinct words share or that a repeated word contributes
//! more than once: those are taken out of the partials and counted again from their true
//! counts. The result equals the plain computation up to float rounding.

use super::Model;
use crate::text::analyzer::{cue_capital_words_key, cue_shout_key, ngram_key};
use crate::text::{AnalyzedDoc, Block, TokenKeys, TokenKind};
use rustc_hash::FxHashMap;

/// Distinct tokens per cache: past it the cache is emptied, which bounds memory on huge inputs.
const CACHE_LIMIT: usize = 200_000;
const EMPTY: u32 = u32::MAX;

/// A distinct token's cached features.
#[derive(Debug, Clone)]
struct Entry {
    term_key: u64,
    /// Number of the last comment the token was seen in, and its index among that comment's
    /// distinct tokens.
    stamp: u32,
    local: u32,
    /// Range of its resolved word features (term and extras) in `FastScratch::word_ids`.
    words: (u32, u32),
    /// Range of its merged character n-grams in `FastScratch::grams`.
    grams: (u32, u32),
    /// Squared norm of its n-gram weights.
    sq: f32,
}

/// One character n-gram of a word: feature id, occurrences in the word, tf-idf weight.
#[derive(Debug, Clone, Copy)]
struct Gram {
    id: u32,
    count: u32,
    weight: f32,
}

/// A slot of the per-comment n-gram table.
#[derive(Debug, Clone, Copy)]
struct Slot {
    id: u32,
    count: u32,
    /// The n-gram's cached weight does not hold: another distinct word (or a repeat of the
    /// same word) contributes to its count.
    shared: bool,
}

const FREE: Slot = Slot {
    id: EMPTY,
    count: 0,
    shared: false,
};

/// Reusable state of the fast path on one thread.
#[derive(Debug, Default)]
pub(crate) struct FastScratch {
    doc: AnalyzedDoc,
    term_buf: String,
    keys: TokenKeys,
    lookup: FxHashMap<Box<str>, u32>,
    entries: Vec<Entry>,
    word_ids: Vec<u32>,
    grams: Vec<Gram>,
    /// Partial dot products, `labels` per entry.
    partial: Vec<f32>,
    /// Entry of each token of the current comment.
    token_entries: Vec<u32>,
    /// Distinct tokens of the current comment: entry and multiplicity.
    distinct: Vec<(u32, u32)>,
    /// Word-block occurrence counts per feature (saturating; zero between comments).
    counts: Vec<u16>,
    touched: Vec<u32>,
    bigrams: Vec<(u64, u32)>,
    table: Vec<Slot>,
    used: Vec<u32>,
    /// Table slot of each n-gram of each distinct token, in order.
    gram_slots: Vec<u32>,
    comment: u32,
    resolved: Vec<u32>,
    word_dot: Vec<f32>,
    char_dot: Vec<f32>,
    labels: usize,
}

#[inline]
fn tf_weight(count: u32, idf: f32) -> f32 {
    (1.0 + (count.min(u16::MAX as u32) as f32).ln()) * idf
}

impl FastScratch {
    fn reset_cache(&mut self, labels: usize) {
        self.lookup.clear();
        self.entries.clear();
        self.word_ids.clear();
        self.grams.clear();
        self.partial.clear();
        self.labels = labels;
    }
}

impl Model {
    #[inline]
    fn weight_row(&self, id: u32) -> &[f32] {
        let nl = self.labels.len();
        let base = id as usize * nl;
        &self.weights[base..base + nl]
    }

    /// Adds a new cache entry for the token whose cache term is in `s.term_buf`.
    fn add_entry(&self, s: &mut FastScratch, kind: TokenKind) -> u32 {
        let analyzer = self.vectorizer.analyzer();
        let vocab = self.vectorizer.vocabulary();
        let nl = self.labels.len();
        analyzer.token_keys(kind, &s.term_buf, &mut s.keys);
        for &k in &s.keys.chars {
            vocab.prefetch(k);
        }
        let words_start = s.word_ids.len() as u32;
        if let Some(id) = vocab.index(s.keys.term) {
            s.word_ids.push(id);
        }
        for &k in &s.keys.extras {
            if let Some(id) = vocab.index(k) {
                s.word_ids.push(id);
            }
        }
        let words_end = s.word_ids.len() as u32;
        s.resolved.clear();
        s.resolved
            .extend(s.keys.chars.iter().filter_map(|&k| vocab.index(k)));
        s.resolved.sort_unstable();
        let grams_start = s.grams.len() as u32;
        let mut i = 0;
        while i < s.resolved.len() {
            let id = s.resolved[i];
            let mut j = i + 1;
            while j < s.resolved.len() && s.resolved[j] == id {
                j += 1;
            }
            let count = (j - i) as u32;
            s.grams.push(Gram {
                id,
                count,
                weight: tf_weight(count, vocab.idf(id)),
            });
            i = j;
        }
        let grams_end = s.grams.len() as u32;
        let base = s.partial.len();
        s.partial.resize(base + nl, 0.0);
        let mut sq = 0f32;
        for g in &s.grams[grams_start as usize..grams_end as usize] {
            sq += g.weight * g.weight;
            for (p, w) in s.partial[base..].iter_mut().zip(self.weight_row(g.id)) {
                *p += g.weight * w;
            }
        }
        let index = s.entries.len() as u32;
        s.entries.push(Entry {
            term_key: s.keys.term,
            stamp: u32::MAX,
            local: 0,
            words: (words_start, words_end),
            grams: (grams_start, grams_end),
            sq,
        });
        s.lookup.insert(s.term_buf.as_str().into(), index);
        index
    }

    /// Margins (bias plus dot product) of every label for `text`.
    pub(crate) fn margins_fast<'s>(&self, text: &str, s: &'s mut FastScratch) -> &'s [f32] {
        let analyzer = self.vectorizer.analyzer();
        let vocab = self.vectorizer.vocabulary();
        let nl = self.labels.len();
        if s.labels != nl || s.entries.len() > CACHE_LIMIT {
            s.reset_cache(nl);
        }
        if s.counts.len() != vocab.len() {
            s.counts = vec![0; vocab.len()];
        }
        s.comment = s.comment.wrapping_add(1);
        if s.comment == u32::MAX {
            // Stamps would be ambiguous: start the cache afresh.
            s.comment = 0;
            s.reset_cache(nl);
        }
        let comment = s.comment;
        let mut doc = std::mem::take(&mut s.doc);
        analyzer.analyze(text, &mut doc, false);

        // Tokens to cache entries, distinct tokens with multiplicities, word n-gram keys.
        let max_n = analyzer.config().word_ngram_max;
        s.token_entries.clear();
        s.distinct.clear();
        s.bigrams.clear();
        s.touched.clear();
        let (mut prev1, mut prev2): (Option<u64>, Option<u64>) = (None, None);
        for token in &doc.tokens {
            let term = analyzer.token_term(&doc, token, &mut s.term_buf);
            let e = match s.lookup.get(term) {
                Some(&e) => e,
                None => self.add_entry(s, token.kind),
            };
            let entry = &mut s.entries[e as usize];
            if entry.stamp != comment {
                entry.stamp = comment;
                entry.local = s.distinct.len() as u32;
                s.distinct.push((e, 0));
            }
            s.distinct[entry.local as usize].1 += 1;
            s.token_entries.push(e);
            if token.kind == TokenKind::Joined {
                continue;
            }
            let key = entry.term_key;
            if max_n >= 2 {
                if let Some(p1) = prev1 {
                    let k = ngram_key(p1, key);
                    vocab.prefetch(k);
                    s.bigrams.push((k, 0));
                    if max_n >= 3 {
                        if let Some(p2) = prev2 {
                            let k = ngram_key(ngram_key(p2, p1), key);
                            vocab.prefetch(k);
                            s.bigrams.push((k, 0));
                        }
                    }
                }
            }
            prev2 = prev1;
            prev1 = Some(key);
        }

        // Word block: exact counts.
        let FastScratch {
            counts,
            touched,
            word_ids,
            entries,
            token_entries,
            bigrams,
            ..
        } = s;
        let mut count = |id: u32| {
            let c = &mut counts[id as usize];
            if *c == 0 {
                touched.push(id);
            }
            *c = c.saturating_add(1);
        };
        for &e in token_entries.iter() {
            let (a, b) = entries[e as usize].words;
            for &id in &word_ids[a as usize..b as usize] {
                count(id);
            }
        }
        for &(k, _) in bigrams.iter() {
            if let Some(id) = vocab.index(k) {
                count(id);
            }
        }
        let doc_cues = [
            doc.shouting.then(cue_shout_key),
            cue_capital_words_key(doc.capital_words),
        ];
        for key in doc_cues.into_iter().flatten() {
            if let Some(id) = vocab.index(key) {
                count(id);
            }
        }
        s.word_dot.clear();
        s.word_dot.resize(nl, 0.0);
        let mut word_sq = 0f32;
        for &id in s.touched.iter() {
            let tf = s.counts[id as usize];
            s.counts[id as usize] = 0;
            let w = tf_weight(tf as u32, vocab.idf(id));
            debug_assert_eq!(vocab.block(id), Block::Word);
            word_sq += w * w;
            for (d, x) in s.word_dot.iter_mut().zip(self.weight_row(id)) {
                *d += w * x;
            }
        }

        // Character block: per-comment n-gram counts to find the shared n-grams.
        let total: usize = s
            .distinct
            .iter()
            .map(|&(e, _)| {
                let (a, b) = s.entries[e as usize].grams;
                (b - a) as usize
            })
            .sum();
        let capacity = (total * 2).next_power_of_two().max(64);
        if s.table.len() < capacity {
            s.table.clear();
            s.table.resize(capacity, FREE);
        }
        let mask = s.table.len() - 1;
        let shift = 64 - s.table.len().trailing_zeros();
        s.used.clear();
        s.gram_slots.clear();
        for &(e, m) in &s.distinct {
            let (a, b) = s.entries[e as usize].grams;
            for g in &s.grams[a as usize..b as usize] {
                let add = g.count.saturating_mul(m);
                let mut slot =
                    ((g.id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize & mask;
                loop {
                    let t = &mut s.table[slot];
                    if t.id == g.id {
                        t.count = t.count.saturating_add(add);
                        t.shared = true;
                        break;
                    }
                    if t.id == EMPTY {
                        *t = Slot {
                            id: g.id,
                            count: add,
                            shared: m > 1,
                        };
                        s.used.push(slot as u32);
                        break;
                    }
                    slot = (slot + 1) & mask;
                }
                s.gram_slots.push(slot as u32);
            }
        }
        s.char_dot.clear();
        s.char_dot.resize(nl, 0.0);
        let mut char_sq = 0f32;
        let mut at = 0usize;
        for &(e, m) in &s.distinct {
            let entry = &s.entries[e as usize];
            let (a, b) = entry.grams;
            let len = (b - a) as usize;
            let grams = &s.grams[a as usize..b as usize];
            let slots = &s.gram_slots[at..at + len];
            at += len;
            if m > 1 || len == 0 {
                continue;
            }
            let shared = slots
                .iter()
                .filter(|&&k| s.table[k as usize].shared)
                .count();
            if shared == 0 {
                char_sq += entry.sq;
                let p = &s.partial[e as usize * nl..(e as usize + 1) * nl];
                for (d, x) in s.char_dot.iter_mut().zip(p) {
                    *d += x;
                }
            } else if shared * 2 < len {
                // The word's partial minus its shared n-grams.
                let mut sq = entry.sq;
                let p = &s.partial[e as usize * nl..(e as usize + 1) * nl];
                for (d, x) in s.char_dot.iter_mut().zip(p) {
                    *d += x;
                }
                for (g, &k) in grams.iter().zip(slots) {
                    if s.table[k as usize].shared {
                        sq -= g.weight * g.weight;
                        for (d, x) in s.char_dot.iter_mut().zip(self.weight_row(g.id)) {
                            *d -= g.weight * x;
                        }
                    }
                }
                char_sq += sq.max(0.0);
            } else {
                // Mostly shared: add the unshared n-grams one by one.
                for (g, &k) in grams.iter().zip(slots) {
                    if !s.table[k as usize].shared {
                        char_sq += g.weight * g.weight;
                        for (d, x) in s.char_dot.iter_mut().zip(self.weight_row(g.id)) {
                            *d += g.weight * x;
                        }
                    }
                }
            }
        }
        for &k in &s.used {
            let t = s.table[k as usize];
            s.table[k as usize] = FREE;
            if t.shared {
                let w = tf_weight(t.count, vocab.idf(t.id));
                char_sq += w * w;
                for (d, x) in s.char_dot.iter_mut().zip(self.weight_row(t.id)) {
                    *d += w * x;
                }
            }
        }

        let scale = |sq: f32| if sq > 0.0 { sq.sqrt().recip() } else { 0.0 };
        let (ws, cs) = (scale(word_sq), scale(char_sq));
        for ((d, c), l) in s.word_dot.iter_mut().zip(&s.char_dot).zip(&self.labels) {
            *d = l.bias + *d * ws + *c * cs;
        }
        s.doc = doc;
        &s.word_dot
    }
}

#[cfg(test)]
mod tests {
    use crate::model::ScoreScratch;

    #[test]
    fn fast_path_matches_the_plain_computation() {
        let texts = [
            "you idiot, you stupid idiot",
            "what a lovely day for a walk",
            "stupid stupid stupid people",
            "nice work on the article, thanks",
            "idiot! go away idiot",
            "great job, thank you so much",
            "s t u p i d and f*ck you",
            "the theory of the thesis",
        ];
        let model = crate::model::test_models::trained(
            &texts,
            &[
                (
                    "toxic",
                    &[true, false, true, false, true, false, true, false],
                ),
                (
                    "spam",
                    &[false, true, false, false, false, true, false, true],
                ),
            ],
        );
        let (mut a, mut b) = (ScoreScratch::default(), ScoreScratch::default());
        let probes = [
            "you idiot",
            "idiot idiot idiot, the the the",
            "",
            "ünïcödé ✨ https://www.win.com/x @joe 0906 170",
            "thesis theory the other then",
            "what a lovely stupid day",
            "YOU ARE ALL STUPID IDIOTS!!!",
        ];
        // Twice: the second pass goes through the warm cache.
        for _ in 0..2 {
            for text in probes.iter().chain(texts.iter()) {
                let (mut fast, mut plain) = (Vec::new(), Vec::new());
                model.probabilities(text, &mut a, &mut fast);
                model.probabilities_plain(text, &mut b, &mut plain);
                for (x, y) in fast.iter().zip(&plain) {
                    assert!((x - y).abs() < 1e-5, "{text:?}: {fast:?} vs {plain:?}");
                }
            }
        }
    }
}
