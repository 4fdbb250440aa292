//! The analyzer: one value, built from a serialisable config stored in the model, that turns a
//! comment into normalised text, tokens, and feature keys (stemmed word n-grams, character
//! n-grams within words, a few cues), so that training and scoring can never disagree.

use super::chunk::CaseCounts;
use super::deobfuscate::{deobfuscate_into, Homoglyphs};
use super::language::Language;
use super::lexicon::{embedded_abusive_spans, is_abusive, unmask};
use super::normalize::{normalize_into, Normalized};
use super::tokenize::{joined_letters, tokenize_into, url_host, Token, TokenKind};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

const SEED_WORD: u64 = 0x6d6f_6465_7261_746f;
const SEED_NGRAM: u64 = 0x9e37_79b9_7f4a_7c15;
const SEED_CHAR: u64 = 0xc2b2_ae3d_27d4_eb4f;

/// How a comment's character n-gram block is built from its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CharBlock {
    /// TF-IDF over the whole comment: n-gram `g` counted `c = Σ_w m_w · k_wg` times over the
    /// comment's distinct tokens `w` (`m_w` occurrences of the token, `k_wg` of `g` in it),
    /// valued `(1 + ln c) · idf_g`, the block L2-normalised. What models of format versions 1
    /// and 2 use.
    Exact,
    /// A weighted sum of per-word vectors: `x = Σ_w (1 + ln m_w) · c_w`, where `c_w` values
    /// each n-gram of the token `(1 + ln k_wg) · idf_g`, divided by the approximate norm
    /// `sqrt(Σ_w (1 + ln m_w)² · ‖c_w‖²)` (cross terms between words left out). Scoring then
    /// needs each word's cached partial dot products only, no per-comment n-gram counts. The
    /// default for new models (docs/quality.md, "Character block": ROC AUC within 0.001 of
    /// exact on the shared datasets, scoring about 1.5× faster).
    #[default]
    PerWord,
}

impl CharBlock {
    /// The name used on the command line and in configs.
    pub fn name(self) -> &'static str {
        match self {
            CharBlock::Exact => "exact",
            CharBlock::PerWord => "per-word",
        }
    }
}

impl std::str::FromStr for CharBlock {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "exact" => Ok(CharBlock::Exact),
            "per-word" => Ok(CharBlock::PerWord),
            _ => Err(format!("'{s}' is not exact or per-word")),
        }
    }
}

/// Settings of the analyzer; stored inside every model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyzerConfig {
    /// Stemming languages; the first is the main one. Each further language whose stem of a
    /// word differs adds that stem as an extra word feature.
    pub languages: Vec<Language>,
    /// See through obfuscation: look-alike letters, leetspeak, letter runs, letters written
    /// apart or split by punctuation, masked letters.
    pub deobfuscate: bool,
    /// Whether words are stemmed before word n-grams are formed.
    pub stem: bool,
    /// Longest word n-gram (1 = words only, 2 = words and pairs, 3 = up to triples).
    pub word_ngram_max: u8,
    /// Shortest and longest character n-gram within a word (padded with spaces); `0` disables.
    pub char_ngram_min: u8,
    /// Longest character n-gram within a word.
    pub char_ngram_max: u8,
    /// Emit cue features (URL present, shouting).
    pub cues: bool,
    /// How the character n-gram block is built (models of format versions 1 and 2: exact).
    pub char_block: CharBlock,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        AnalyzerConfig {
            languages: vec![Language::English],
            deobfuscate: true,
            stem: true,
            word_ngram_max: 2,
            char_ngram_min: 2,
            char_ngram_max: 5,
            cues: true,
            char_block: CharBlock::PerWord,
        }
    }
}

impl AnalyzerConfig {
    /// Checks that the settings make sense.
    pub fn validate(&self) -> Result<(), String> {
        if self.languages.is_empty() {
            return Err("at least one language is needed".into());
        }
        if !(1..=3).contains(&self.word_ngram_max) {
            return Err(format!(
                "word n-grams must be 1 to 3 long, not {}",
                self.word_ngram_max
            ));
        }
        if self.char_ngram_min != 0
            && (self.char_ngram_min > self.char_ngram_max || self.char_ngram_max > 8)
        {
            return Err(format!(
                "character n-gram range {}-{} is invalid (use 0 to disable, or a range within 1-8)",
                self.char_ngram_min, self.char_ngram_max
            ));
        }
        Ok(())
    }

    /// True when character n-grams are produced.
    pub fn has_char_ngrams(&self) -> bool {
        self.char_ngram_min > 0
    }
}

/// A comment after normalisation and tokenisation.
#[derive(Debug, Default, Clone)]
pub struct AnalyzedDoc {
    /// Normalised text (and, when requested, the origin of each byte).
    pub normalized: Normalized,
    /// Normalised text before de-obfuscation (a working buffer).
    pub unfolded: Normalized,
    /// Tokens of the normalised text.
    pub tokens: Vec<Token>,
    /// The comment is written mostly in capitals.
    pub shouting: bool,
    /// Number of words of two or more letters written all in capitals.
    pub capital_words: u32,
}

/// Which block of the feature space a feature belongs to; each block is L2-normalised alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Block {
    /// Word n-grams and cues.
    Word,
    /// Character n-grams.
    Char,
}

/// Feature keys of one distinct token, computed once and cached by callers.
#[derive(Debug, Clone, Default)]
pub struct TokenKeys {
    /// Key of the token's term (stemmed word, number shape, URL host ...).
    pub term: u64,
    /// Extra word-block keys: cues ("has a URL") and stems in further languages.
    pub extras: Vec<u64>,
    /// Keys of the character n-grams of a word.
    pub chars: Vec<u64>,
}

/// The analyzer value; cheap to build from its config.
pub struct Analyzer {
    config: AnalyzerConfig,
    stemmers: Vec<rust_stemmers::Stemmer>,
    homoglyphs: Homoglyphs,
    /// Whether the English word list helps read obfuscated words (English is a language).
    dictionary: bool,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("config", &self.config)
            .finish()
    }
}

impl Clone for Analyzer {
    fn clone(&self) -> Self {
        Analyzer::new(self.config.clone())
    }
}

/// The word a joined token spells: its letters, with masked letters restored when an abusive
/// word fits (`f*ck` → `fuck`), else with the masks dropped.
fn joined_word(surface: &str) -> String {
    let letters = joined_letters(surface);
    if letters.contains('*') {
        return unmask(&letters).map_or_else(|| letters.replace('*', ""), str::to_string);
    }
    letters
}

/// Key of the "comment contains a URL" cue.
pub fn cue_url_key() -> u64 {
    xxh3_64_with_seed(b"<cue:url>", SEED_WORD)
}

/// Key of the "comment is shouted" cue.
pub fn cue_shout_key() -> u64 {
    xxh3_64_with_seed(b"<cue:shout>", SEED_WORD)
}

/// Key of the feature of a token's canonical term (see [`Analyzer::canonical_term`]).
#[inline]
pub fn term_key(term: &str) -> u64 {
    xxh3_64_with_seed(term.as_bytes(), SEED_WORD)
}

/// Key of a word n-gram extending `prefix` (the key of the n-gram so far) by `next`.
pub fn ngram_key(prefix: u64, next: u64) -> u64 {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&prefix.to_le_bytes());
    bytes[8..].copy_from_slice(&next.to_le_bytes());
    xxh3_64_with_seed(&bytes, SEED_NGRAM)
}

impl Analyzer {
    /// Builds the analyzer for a config.
    pub fn new(config: AnalyzerConfig) -> Self {
        let stemmers = config
            .languages
            .iter()
            .map(|l| rust_stemmers::Stemmer::create(l.algorithm()))
            .collect();
        let non_latin = config
            .languages
            .iter()
            .any(|l| matches!(l, Language::Russian | Language::Greek));
        let homoglyphs = if non_latin {
            Homoglyphs::FoldMixed
        } else {
            Homoglyphs::Fold
        };
        let dictionary = config.languages.contains(&Language::English);
        Analyzer {
            config,
            stemmers,
            homoglyphs,
            dictionary,
        }
    }

    /// The analyzer's settings.
    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// Normalises and tokenises `text` into `doc`; `record_origin` keeps the map back to `text`.
    pub fn analyze(&self, text: &str, doc: &mut AnalyzedDoc, record_origin: bool) {
        self.analyze_tokens(text, doc, record_origin);
        self.set_cues(doc, self.case_counts(text));
    }

    /// Normalises and tokenises `text` into `doc`, leaving its case cues as they are.
    pub(crate) fn analyze_tokens(&self, text: &str, doc: &mut AnalyzedDoc, record_origin: bool) {
        if self.config.deobfuscate {
            normalize_into(text, &mut doc.unfolded, record_origin);
            deobfuscate_into(
                &doc.unfolded,
                &mut doc.normalized,
                self.homoglyphs,
                self.dictionary,
            );
        } else {
            normalize_into(text, &mut doc.normalized, record_origin);
        }
        tokenize_into(&doc.normalized.text, &mut doc.tokens);
    }

    /// The letter-case counts of `text` behind the case cues (zero when cues are off).
    pub(crate) fn case_counts(&self, text: &str) -> CaseCounts {
        if self.config.cues {
            CaseCounts::of(text)
        } else {
            CaseCounts::default()
        }
    }

    /// Sets `doc`'s case cues from its text's letter-case counts.
    pub(crate) fn set_cues(&self, doc: &mut AnalyzedDoc, case: CaseCounts) {
        doc.shouting = self.config.cues && case.shouting();
        doc.capital_words = case.capital_words;
    }

    /// Writes into `buf` the string that identifies a token for caching: a kind tag followed by
    /// the token's surface form in the normalised text.
    pub fn token_term<'a>(&self, doc: &AnalyzedDoc, token: &Token, buf: &'a mut String) -> &'a str {
        buf.clear();
        buf.push(match token.kind {
            TokenKind::Word => 'w',
            TokenKind::Number => 'n',
            TokenKind::Url => 'u',
            TokenKind::Email => 'e',
            TokenKind::Mention => 'm',
            TokenKind::Emoji => 'j',
            TokenKind::Punct => 'p',
            TokenKind::Symbol => 's',
            TokenKind::Joined => 'J',
        });
        buf.push_str(token.text(&doc.normalized.text));
        buf
    }

    /// The canonical term of a token: the stem of a word, or a shape for the other kinds
    /// (number length, URL host, ...).
    pub fn canonical_term<'a>(
        &self,
        kind: TokenKind,
        surface: &'a str,
    ) -> std::borrow::Cow<'a, str> {
        use std::borrow::Cow;
        match kind {
            TokenKind::Word => self.stem(surface),
            TokenKind::Joined => Cow::Owned(self.stem(&joined_word(surface)).into_owned()),
            TokenKind::Emoji | TokenKind::Symbol => Cow::Borrowed(surface),
            TokenKind::Number => {
                let digits = surface.bytes().filter(u8::is_ascii_digit).count().min(12);
                Cow::Owned(format!("<num{digits}>"))
            }
            TokenKind::Url => Cow::Owned(format!("<url>{}", url_host(surface))),
            TokenKind::Email => Cow::Borrowed("<email>"),
            TokenKind::Mention => Cow::Borrowed("<mention>"),
            TokenKind::Punct => {
                let q = surface.contains('?');
                let e = surface.contains('!');
                let repeated = surface.len() > 1;
                Cow::Borrowed(match (q, e, repeated) {
                    (true, true, _) => "<?!>",
                    (true, false, false) => "<?>",
                    (true, false, true) => "<??>",
                    (false, _, false) => "<!>",
                    (false, _, true) => "<!!>",
                })
            }
        }
    }

    /// Computes the feature keys of one token from its cache term (see [`Self::token_term`]).
    pub fn token_keys(&self, kind: TokenKind, cache_term: &str, out: &mut TokenKeys) {
        self.token_keys_of(kind, cache_term.get(1..).unwrap_or(""), out);
    }

    /// Computes the feature keys of one token of `kind` from its text in the normalised
    /// comment.
    pub fn token_keys_of(&self, kind: TokenKind, surface: &str, out: &mut TokenKeys) {
        out.chars.clear();
        out.extras.clear();
        let joined;
        let surface = if kind == TokenKind::Joined {
            joined = joined_word(surface);
            joined.as_str()
        } else {
            surface
        };
        let kind = if kind == TokenKind::Joined {
            TokenKind::Word
        } else {
            kind
        };
        let mut term = self.canonical_term(kind, surface);
        // A stem must not turn a clean word into an abusive one (German "dickens" → "dick").
        let has_chars = matches!(
            kind,
            TokenKind::Word
                | TokenKind::Number
                | TokenKind::Url
                | TokenKind::Email
                | TokenKind::Mention
        ) && self.config.has_char_ngrams();
        // Computed once for both uses below.
        let spans = if self.config.deobfuscate && (kind == TokenKind::Word || has_chars) {
            embedded_abusive_spans(surface)
        } else {
            Vec::new()
        };
        let hides_abuse = kind == TokenKind::Word && !spans.is_empty();
        if hides_abuse && is_abusive(&term) {
            term = std::borrow::Cow::Borrowed(surface);
        }
        out.term = term_key(&term);
        if kind == TokenKind::Url && self.config.cues {
            out.extras.push(cue_url_key());
        }
        if kind == TokenKind::Word && self.config.stem {
            for stemmer in &self.stemmers[1..] {
                let other = stemmer.stem(surface);
                if other != term && !(hides_abuse && is_abusive(&other)) {
                    out.extras
                        .push(xxh3_64_with_seed(other.as_bytes(), SEED_WORD));
                }
            }
        }
        if has_chars {
            self.char_keys_with(surface, &spans, &mut out.chars);
        }
    }

    /// Keys of the character n-grams of `word` padded with one space on each side, leaving out
    /// those wholly inside a short abusive word hidden in a clean one (see
    /// [`embedded_abusive_spans`]) when de-obfuscation is on.
    pub fn char_keys(&self, word: &str, out: &mut Vec<u64>) {
        let spans = if self.config.deobfuscate {
            embedded_abusive_spans(word)
        } else {
            Vec::new()
        };
        self.char_keys_with(word, &spans, out);
    }

    /// [`Self::char_keys`] given the word's [`embedded_abusive_spans`] (empty when
    /// de-obfuscation is off).
    fn char_keys_with(&self, word: &str, spans: &[(usize, usize)], out: &mut Vec<u64>) {
        let (lo, hi) = (
            self.config.char_ngram_min as usize,
            self.config.char_ngram_max as usize,
        );
        if word.is_ascii() && word.len() <= 62 {
            // ASCII fast path: one byte per character, the padded word on the stack.
            let mut padded = [b' '; 64];
            padded[1..=word.len()].copy_from_slice(word.as_bytes());
            let chars = word.len() + 2;
            let padded = &padded[..chars];
            let mut cover = [0u8; 64];
            let hidden = hidden_cover(spans, chars, &mut cover);
            for n in lo..=hi.min(chars) {
                for start in 0..=(chars - n) {
                    if hidden && start + n <= cover[start] as usize {
                        continue;
                    }
                    out.push(xxh3_64_with_seed(
                        &padded[start..start + n],
                        SEED_CHAR ^ n as u64,
                    ));
                }
            }
            return;
        }
        let mut padded = String::with_capacity(word.len() + 2);
        padded.push(' ');
        padded.push_str(word);
        padded.push(' ');
        let mut bounds: Vec<usize> = padded.char_indices().map(|(i, _)| i).collect();
        bounds.push(padded.len());
        let chars = bounds.len() - 1;
        let mut cover = vec![0usize; chars];
        let hidden = hidden_cover(spans, chars, &mut cover);
        for n in lo..=hi.min(chars) {
            for start in 0..=(chars - n) {
                if hidden && start + n <= cover[start] {
                    continue;
                }
                let gram = &padded.as_bytes()[bounds[start]..bounds[start + n]];
                out.push(xxh3_64_with_seed(gram, SEED_CHAR ^ n as u64));
            }
        }
    }

    /// Character n-grams of `word` as strings (for display and tests).
    pub fn char_ngrams(&self, word: &str) -> Vec<String> {
        let padded: Vec<char> = std::iter::once(' ')
            .chain(word.chars())
            .chain(std::iter::once(' '))
            .collect();
        let (lo, hi) = (
            self.config.char_ngram_min as usize,
            self.config.char_ngram_max as usize,
        );
        let mut grams = Vec::new();
        for n in lo..=hi.min(padded.len()) {
            for w in padded.windows(n) {
                grams.push(w.iter().collect());
            }
        }
        grams
    }

    /// The canonical terms of a text's tokens (stems, number shapes, URL hosts, joined words),
    /// with their kinds: what the word features are made of, for inspection and tests.
    pub fn terms(&self, text: &str) -> Vec<(TokenKind, String)> {
        let mut doc = AnalyzedDoc::default();
        self.analyze(text, &mut doc, false);
        doc.tokens
            .iter()
            .map(|t| {
                (
                    t.kind,
                    self.canonical_term(t.kind, t.text(&doc.normalized.text))
                        .into_owned(),
                )
            })
            .collect()
    }

    /// The stem of a (normalised) word under this analyzer's settings.
    pub fn stem<'a>(&self, word: &'a str) -> std::borrow::Cow<'a, str> {
        if self.config.stem {
            self.stemmers[0].stem(word)
        } else {
            std::borrow::Cow::Borrowed(word)
        }
    }
}

/// Marks the n-grams of the padded word (of `padded_len` chars) that the word's
/// [`embedded_abusive_spans`] hide: afterwards the n-gram at char `start` of length `n` is
/// hidden when `start + n <= cover[start]`. A span at the word's edge takes the padding space
/// with it. Returns whether anything is hidden. Linear in the word, however many spans it has
/// (a long run of repeated abuse has hundreds).
fn hidden_cover<T>(spans: &[(usize, usize)], padded_len: usize, cover: &mut [T]) -> bool
where
    T: Copy + Ord + TryFrom<usize> + Default,
{
    if spans.is_empty() {
        return false;
    }
    for &(s, e) in spans {
        let start = if s == 0 { 0 } else { s + 1 };
        let end = if e + 2 == padded_len {
            padded_len
        } else {
            e + 1
        };
        if let (Some(slot), Ok(end)) = (cover.get_mut(start), T::try_from(end)) {
            *slot = (*slot).max(end);
        }
    }
    // A span starting earlier covers a later start too, up to its end.
    let mut reach = T::default();
    for slot in cover.iter_mut().take(padded_len) {
        reach = reach.max(*slot);
        *slot = reach;
    }
    true
}

/// Key of the cue "the comment has this many words in capitals" (bucketed: 1, 2-3, 4+).
pub fn cue_capital_words_key(count: u32) -> Option<u64> {
    let bucket: &[u8] = match count {
        0 => return None,
        1 => b"<cue:caps1>",
        2..=3 => b"<cue:caps2>",
        _ => b"<cue:caps4>",
    };
    Some(xxh3_64_with_seed(bucket, SEED_WORD))
}

#[cfg(test)]
fn is_shouting(text: &str) -> bool {
    CaseCounts::of(text).shouting()
}

#[cfg(test)]
fn case_profile(text: &str) -> (bool, u32) {
    let case = CaseCounts::of(text);
    (case.shouting(), case.capital_words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_cover_hides_exactly_the_grams_inside_a_region() {
        // Regions as the n-gram filter used to test them, one by one.
        let spans = [(0, 4), (2, 5), (7, 10), (8, 9), (12, 15)];
        let padded_len = 17;
        let regions: Vec<(usize, usize)> = spans
            .iter()
            .map(|&(s, e)| {
                let start = if s == 0 { 0 } else { s + 1 };
                let end = if e + 2 == padded_len {
                    padded_len
                } else {
                    e + 1
                };
                (start, end)
            })
            .collect();
        let mut cover = vec![0usize; padded_len];
        assert!(hidden_cover(&spans, padded_len, &mut cover));
        let mut small = [0u8; 64];
        assert!(hidden_cover(&spans, padded_len, &mut small));
        for n in 1..=6 {
            for start in 0..=(padded_len - n) {
                let want = regions.iter().any(|&(s, e)| start >= s && start + n <= e);
                assert_eq!(start + n <= cover[start], want, "{start} {n}");
                assert_eq!(start + n <= small[start] as usize, want, "{start} {n}");
            }
        }
        assert!(!hidden_cover(&[], padded_len, &mut cover));
    }

    fn terms(analyzer: &Analyzer, text: &str) -> Vec<String> {
        analyzer.terms(text).into_iter().map(|(_, t)| t).collect()
    }

    #[test]
    fn terms_canonicalise_non_words() {
        let a = Analyzer::new(AnalyzerConfig::default());
        assert_eq!(
            terms(
                &a,
                "Call 0906 170 1461 now!!! https://www.win.com/x @joe a@b.com"
            ),
            vec![
                "call",
                "<num4>",
                "<num3>",
                "<num4>",
                "now",
                "<!!>",
                "<url>win.com",
                "<mention>",
                "<email>"
            ]
        );
    }

    #[test]
    fn inflections_share_a_word_key() {
        let a = Analyzer::new(AnalyzerConfig::default());
        let (mut k1, mut k2) = (TokenKeys::default(), TokenKeys::default());
        a.token_keys(TokenKind::Word, "widiots", &mut k1);
        a.token_keys(TokenKind::Word, "widiot", &mut k2);
        assert_eq!(k1.term, k2.term);
        assert_ne!(k1.chars, k2.chars);
    }

    #[test]
    fn char_ngrams_are_padded_and_bounded() {
        let a = Analyzer::new(AnalyzerConfig::default());
        let grams = a.char_ngrams("ab");
        assert_eq!(grams, vec![" a", "ab", "b ", " ab", "ab ", " ab "]);
        let mut keys = Vec::new();
        a.char_keys("ab", &mut keys);
        assert_eq!(keys.len(), grams.len());
    }

    fn word_terms(analyzer: &Analyzer, text: &str) -> Vec<String> {
        let words =
            |k: &TokenKind| matches!(k, TokenKind::Word | TokenKind::Joined | TokenKind::Url);
        analyzer
            .terms(text)
            .into_iter()
            .filter(|(k, _)| words(k))
            .map(|(_, t)| t)
            .collect()
    }

    #[test]
    fn obfuscated_words_analyze_like_clean_ones() {
        let a = Analyzer::new(AnalyzerConfig::default());
        let cases = [
            ("f4ck", "fuck"),
            ("sh1t", "shit"),
            ("@ss", "ass"),
            ("$hit", "shit"),
            ("st.upid", "stupid"),
            ("f*ck", "fuck"),
            ("f_u_c_k", "fuck"),
            ("idiiiot", "idiot"),
            ("s t u p i d", "stupid"),
            ("you are a s t u p i d", "stupid"),
            ("ѕтupіd", "stupid"),
            ("stuρid", "stupid"),
            ("ｓｔｕｐｉｄ", "stupid"),
            ("stu\u{200B}pid", "stupid"),
            ("stu\u{0301}pid", "stupid"),
            (
                "S\u{0336}T\u{0336}U\u{0336}P\u{0336}I\u{0336}D\u{0336}",
                "stupid",
            ),
            ("1d10t", "idiot"),
            ("b@stard", "bastard"),
            // Read with the word list (issue 3).
            ("p*ople", "people"),
            ("st*pid", "stupid"),
            ("d*n't", "don't"),
            ("7h3", "the"),
            ("pag3.", "page"),
            ("it5", "its"),
            ("w4$", "was"),
            ("@nd", "and"),
            ("!diot", "idiot"),
            ("sh0t", "shot"),
            ("gooooood", "good"),
            ("mu.ch", "much"),
            ("y o u a r e s t u p i d", "stupid"),
            ("y o u a r e s t u p i d", "are"),
            ("visit www.yоutube.com", "<url>youtube.com"),
        ];
        for (obfuscated, clean) in cases {
            let want = a.stem(clean).into_owned();
            let got = word_terms(&a, obfuscated);
            assert!(
                got.contains(&want),
                "{obfuscated:?} gave {got:?}, wanted {want:?}"
            );
        }
    }

    #[test]
    fn words_read_whole_leave_no_pieces_behind() {
        let a = Analyzer::new(AnalyzerConfig::default());
        // The word list reads these as one word: the pieces are not tokens of their own.
        for (text, want) in [
            ("stu.pid", vec!["stupid"]),
            ("s_t_u_p_i_d", vec!["stupid"]),
            ("p*ople", vec!["peopl"]),
            ("y o u a r e s t u p i d", vec!["you", "are", "stupid"]),
        ] {
            assert_eq!(
                a.terms(text)
                    .into_iter()
                    .map(|(_, t)| t)
                    .collect::<Vec<_>>(),
                want,
                "{text}"
            );
        }
        // Unknown joins keep the pieces and the joined reading.
        assert_eq!(
            word_terms(&a, "well-known"),
            vec!["well", "known", "wellknown"]
        );
        // Without English among the languages, the word list is not used.
        let de = Analyzer::new(AnalyzerConfig {
            languages: vec![Language::German],
            ..AnalyzerConfig::default()
        });
        let people = de.stem("people").into_owned();
        assert!(!word_terms(&de, "p*ople").contains(&people));
    }

    #[test]
    fn clean_words_with_bad_substrings_emit_no_bad_features() {
        let a = Analyzer::new(AnalyzerConfig {
            languages: vec![Language::English, Language::German],
            ..AnalyzerConfig::default()
        });
        let bad_terms: Vec<u64> = ["fuck", "shit", "cunt", "dick", "cock", "ass", "tit", "hell"]
            .iter()
            .map(|w| xxh3_64_with_seed(w.as_bytes(), SEED_WORD))
            .collect();
        let bad_grams: Vec<u64> = [
            " dick", "dick", "cunt", "cock", " cock", "ass", "ass ", " cunt",
        ]
        .iter()
        .map(|g| xxh3_64_with_seed(g.as_bytes(), SEED_CHAR ^ g.chars().count() as u64))
        .collect();
        for word in [
            "Scunthorpe",
            "assassin",
            "classic",
            "cockpit",
            "Dickens",
            "Sussex",
            "therapist",
            "shell",
            "c*ckpit",
            "D*ckens",
            "cl*ssic",
            "ass*ssin",
            "c.o.c.k.p.i.t",
        ] {
            let mut doc = AnalyzedDoc::default();
            a.analyze(word, &mut doc, false);
            let mut keys = TokenKeys::default();
            let mut buf = String::new();
            for t in &doc.tokens {
                let term = a.token_term(&doc, t, &mut buf).to_string();
                a.token_keys(t.kind, &term, &mut keys);
                assert!(
                    !bad_terms.contains(&keys.term),
                    "{word}: abusive word feature"
                );
                assert!(
                    keys.extras.iter().all(|k| !bad_terms.contains(k)),
                    "{word}: abusive stem"
                );
                assert!(
                    keys.chars.iter().all(|k| !bad_grams.contains(k)),
                    "{word}: abusive n-gram"
                );
            }
        }
        // The abusive words themselves keep their features.
        let mut keys = TokenKeys::default();
        a.token_keys(TokenKind::Word, "wdick", &mut keys);
        assert!(bad_terms.contains(&keys.term));
    }

    #[test]
    fn shouting_needs_enough_capitals() {
        assert!(is_shouting("YOU ARE ALL LIARS"));
        assert!(!is_shouting("OK then"));
        assert!(!is_shouting("This is Fine"));
        assert_eq!(case_profile("WIN a FREE prize NOW").1, 3);
        assert_eq!(case_profile("I am OK").1, 1);
    }
}
