//! Walks a comment's tokens and emits its features, with a per-distinct-token cache so that
//! stemming and character n-gram hashing happen once per word, not once per occurrence.

use crate::text::analyzer::{cue_capital_words_key, cue_shout_key, ngram_key};
use crate::text::{AnalyzedDoc, Analyzer, Block, TokenKeys, TokenKind};
use rustc_hash::FxHashMap;

/// Tokens-per-cache limit: past it the cache is emptied, which bounds memory on huge inputs.
const CACHE_LIMIT: usize = 200_000;

/// Marks a feature that belongs to the whole comment rather than to tokens.
pub const NO_TOKEN: u32 = u32::MAX;

/// One emitted feature: its resolved id, block, and the tokens it came from.
#[derive(Debug, Clone, Copy)]
pub struct Emitted<Id> {
    pub id: Id,
    pub block: Block,
    /// Index of the first token the feature covers, or [`NO_TOKEN`].
    pub first_token: u32,
    /// Index of the last token the feature covers, or [`NO_TOKEN`].
    pub last_token: u32,
    /// For a feature of one token (its term, extras, character n-grams): the token's index
    /// among the comment's distinct tokens (see [`Extractor::multiplicities`]); else
    /// [`NO_TOKEN`].
    pub distinct: u32,
    /// The feature comes from a repeat of a distinct token already seen in this comment.
    pub repeat: bool,
}

#[derive(Debug, Clone)]
struct CachedToken<Id> {
    /// The comment that last saw the token, and the token's index among its distinct tokens.
    stamp: u64,
    local: u32,
    term_key: u64,
    term: Option<Id>,
    extras: Vec<Id>,
    chars: Vec<Id>,
}

/// Reusable state for extracting features, generic over what a feature key resolves to
/// (the key itself while counting a vocabulary, a feature index when vectorising).
#[derive(Debug)]
pub struct Extractor<Id> {
    /// The last analysed comment.
    pub doc: AnalyzedDoc,
    cache: FxHashMap<Box<str>, CachedToken<Id>>,
    term_buf: String,
    keys: TokenKeys,
    /// Comments analysed so far (stamps of the cache entries).
    comment: u64,
    /// Occurrences of each distinct token of the last comment, in order of first occurrence.
    multiplicities: Vec<u32>,
}

impl<Id> Default for Extractor<Id> {
    fn default() -> Self {
        Extractor {
            doc: AnalyzedDoc::default(),
            cache: FxHashMap::default(),
            term_buf: String::new(),
            keys: TokenKeys::default(),
            comment: 0,
            multiplicities: Vec::new(),
        }
    }
}

impl<Id> Extractor<Id> {
    /// How often each distinct token of the last comment occurs in it, indexed by
    /// [`Emitted::distinct`]. Tokens are distinct by kind and normalised text.
    pub fn multiplicities(&self) -> &[u32] {
        &self.multiplicities
    }
}

impl<Id: Copy> Extractor<Id> {
    /// Analyses `text` and calls `emit` for every feature whose key `resolve` accepts.
    pub fn extract<R, E>(
        &mut self,
        analyzer: &Analyzer,
        text: &str,
        record_origin: bool,
        resolve: R,
        mut emit: E,
    ) where
        R: Fn(u64) -> Option<Id>,
        E: FnMut(Emitted<Id>),
    {
        analyzer.analyze(text, &mut self.doc, record_origin);
        if self.cache.len() > CACHE_LIMIT {
            self.cache.clear();
        }
        self.comment += 1;
        self.multiplicities.clear();
        let max_n = analyzer.config().word_ngram_max;
        let (mut prev1, mut prev2): (Option<u64>, Option<u64>) = (None, None);
        for (index, token) in self.doc.tokens.iter().enumerate() {
            let ti = index as u32;
            let term = analyzer.token_term(&self.doc, token, &mut self.term_buf);
            let cached = match self.cache.get_mut(term) {
                Some(c) => c,
                None => {
                    analyzer.token_keys(token.kind, term, &mut self.keys);
                    let entry = CachedToken {
                        stamp: 0,
                        local: 0,
                        term_key: self.keys.term,
                        term: resolve(self.keys.term),
                        extras: self
                            .keys
                            .extras
                            .iter()
                            .filter_map(|&k| resolve(k))
                            .collect(),
                        chars: self.keys.chars.iter().filter_map(|&k| resolve(k)).collect(),
                    };
                    self.cache.entry(term.into()).or_insert(entry)
                }
            };
            let repeat = cached.stamp == self.comment;
            if !repeat {
                cached.stamp = self.comment;
                cached.local = self.multiplicities.len() as u32;
                self.multiplicities.push(0);
            }
            let distinct = cached.local;
            self.multiplicities[distinct as usize] += 1;
            let own = |id, block| Emitted {
                id,
                block,
                first_token: ti,
                last_token: ti,
                distinct,
                repeat,
            };
            let word = |id, first| Emitted {
                id,
                block: Block::Word,
                first_token: first,
                last_token: ti,
                distinct: NO_TOKEN,
                repeat: false,
            };
            if let Some(id) = cached.term {
                emit(own(id, Block::Word));
            }
            for &id in &cached.extras {
                emit(own(id, Block::Word));
            }
            for &id in &cached.chars {
                emit(own(id, Block::Char));
            }
            if token.kind == TokenKind::Joined {
                // An extra reading of pieces already in the sequence: no n-grams.
                continue;
            }
            let key = cached.term_key;
            if max_n >= 2 {
                if let Some(p1) = prev1 {
                    let bigram = ngram_key(p1, key);
                    if let Some(id) = resolve(bigram) {
                        emit(word(id, ti - 1));
                    }
                    if max_n >= 3 {
                        if let Some(p2) = prev2 {
                            if let Some(id) = resolve(ngram_key(ngram_key(p2, p1), key)) {
                                emit(word(id, ti - 2));
                            }
                        }
                    }
                }
            }
            prev2 = prev1;
            prev1 = Some(key);
        }
        let doc_cues = [
            self.doc.shouting.then(cue_shout_key),
            cue_capital_words_key(self.doc.capital_words),
        ];
        for key in doc_cues.into_iter().flatten() {
            if let Some(id) = resolve(key) {
                emit(Emitted {
                    id,
                    block: Block::Word,
                    first_token: NO_TOKEN,
                    last_token: NO_TOKEN,
                    distinct: NO_TOKEN,
                    repeat: false,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::AnalyzerConfig;

    #[test]
    fn emits_words_pairs_and_char_ngrams_with_their_tokens() {
        let analyzer = Analyzer::new(AnalyzerConfig::default());
        let mut ex: Extractor<u64> = Extractor::default();
        let mut seen = Vec::new();
        ex.extract(&analyzer, "you idiot", false, Some, |e| seen.push(e));
        let words: Vec<_> = seen.iter().filter(|e| e.block == Block::Word).collect();
        // two words and one pair
        assert_eq!(words.len(), 3);
        assert!(words
            .iter()
            .any(|e| e.first_token == 0 && e.last_token == 1));
        let chars = seen.iter().filter(|e| e.block == Block::Char).count();
        assert_eq!(
            chars,
            analyzer.char_ngrams("you").len() + analyzer.char_ngrams("idiot").len()
        );
        // A second pass through the cache gives the same features.
        let mut again = Vec::new();
        ex.extract(&analyzer, "you idiot", false, Some, |e| again.push(e.id));
        assert_eq!(again, seen.iter().map(|e| e.id).collect::<Vec<_>>());
    }

    #[test]
    fn tells_distinct_tokens_and_their_repeats() {
        let analyzer = Analyzer::new(AnalyzerConfig::default());
        let mut ex: Extractor<u64> = Extractor::default();
        let mut seen = Vec::new();
        for _ in 0..2 {
            seen.clear();
            ex.extract(&analyzer, "you idiot you", false, Some, |e| seen.push(e));
            assert_eq!(ex.multiplicities(), [2, 1]);
            for e in &seen {
                // Token features carry their distinct token; pairs and cues none.
                let want = match (e.first_token, e.last_token) {
                    (0, 0) => (0, false),
                    (1, 1) => (1, false),
                    (2, 2) => (0, true),
                    _ => (NO_TOKEN, false),
                };
                assert_eq!((e.distinct, e.repeat), want, "{e:?}");
            }
        }
    }
}
