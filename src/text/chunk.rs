//! Comments analysed piece by piece, for callers that cache the analysis of each piece.
//!
//! A chunk is a run of a comment between ASCII whitespace. Normalisation works character by
//! character, de-obfuscation and tokenisation work on space-separated pieces of the normalised
//! text, and the case cues count letters and words that whitespace ends, so a chunk analyses
//! the same alone as inside its comment, with two exceptions: single letters written apart
//! over several chunks (`s t u p i d`, read as one word), and a chunk whose normalised form
//! holds a space (Unicode spaces). [`ChunkProfile`] records what a chunk looks like at its
//! edges so that a caller can tell when its chunks may interact; then it must analyse the
//! whole comment instead.

use super::normalize::Normalized;
use super::{chars, AnalyzedDoc, Analyzer, TokenKind};

/// Letter-case counts of a text, from which the case cues are derived; they add up over the
/// chunks of a comment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseCounts {
    /// Letters.
    pub letters: u32,
    /// Capital letters.
    pub upper: u32,
    /// Words of two or more letters written all in capitals.
    pub capital_words: u32,
}

impl CaseCounts {
    /// Counts the letters, capitals and all-capital words of `text`.
    pub fn of(text: &str) -> Self {
        if !text.is_ascii() {
            return Self::by_character(text);
        }
        if text.len() < SHORT {
            return Self::count(
                text.bytes(),
                b' ',
                |b| b.is_ascii_alphabetic(),
                |b| b.is_ascii_uppercase(),
            );
        }
        Self::count_ascii(text.as_bytes())
    }

    /// The counts a character at a time: what [`Self::of`] computes, the slow way (for tests
    /// and the fuzz targets).
    pub(crate) fn by_character(text: &str) -> Self {
        Self::count(text.chars(), ' ', chars::is_alphabetic, chars::is_uppercase)
    }

    /// [`Self::count`] over ASCII bytes, eight at a time in a `u64` (no branch per byte, where
    /// the general loop mispredicts at every word end). Each byte's flags are whole bytes
    /// (`0xFF` set); an all-capital word is a run of capitals whose first byte follows a
    /// non-letter (a bounded start) and whose next byte is a non-letter. Adding `0x01` at every
    /// bounded start carries through the run and leaves `0x01` on the byte after it, so the
    /// words are the bytes after such runs that are not letters, less the runs of one letter.
    fn count_ascii(bytes: &[u8]) -> Self {
        let blocks = bytes.chunks_exact(8);
        let mut tail = [0u8; 8];
        tail[..blocks.remainder().len()].copy_from_slice(blocks.remainder());
        let words = blocks
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
            .chain([u64::from_le_bytes(tail), 0]);
        let mut counts = CaseCounts::default();
        let (mut previous_letter, mut previous_start, mut carry) = (0u64, 0u64, 0u64);
        let mut single = 0u32;
        for x in words {
            let (letter, upper) = ascii_letter_flags(x);
            counts.letters += letter.count_ones() / 8;
            counts.upper += upper.count_ones() / 8;
            let before = (letter << 8) | (previous_letter >> 56);
            let start = upper & !before;
            let (sum, c1) = upper.overflowing_add(start & ONES);
            let (sum, c2) = sum.overflowing_add(carry);
            let after = sum & !letter & ONES;
            counts.capital_words += after.count_ones();
            let start_before = (start << 8) | (previous_start >> 56);
            single += (after & start_before).count_ones();
            (previous_letter, previous_start, carry) = (letter, start, u64::from(c1 | c2));
        }
        counts.capital_words -= single;
        counts
    }

    /// Counts over `items` (bytes or characters) with their letter and capital tests; `space`
    /// is a non-letter, which ends the last word.
    fn count<T: Copy>(
        items: impl Iterator<Item = T>,
        space: T,
        is_letter: impl Fn(T) -> bool,
        is_capital: impl Fn(T) -> bool,
    ) -> Self {
        let mut counts = CaseCounts::default();
        let (mut word_len, mut word_upper) = (0u32, true);
        for c in items.chain(std::iter::once(space)) {
            if is_letter(c) {
                counts.letters += 1;
                word_len += 1;
                if is_capital(c) {
                    counts.upper += 1;
                } else {
                    word_upper = false;
                }
            } else {
                if word_len >= 2 && word_upper {
                    counts.capital_words += 1;
                }
                (word_len, word_upper) = (0, true);
            }
        }
        counts
    }

    /// Adds the counts of another chunk of the same comment.
    pub fn add(&mut self, other: CaseCounts) {
        self.letters += other.letters;
        self.upper += other.upper;
        self.capital_words += other.capital_words;
    }

    /// Whether the text is shouted: at least 8 letters, 70 % or more of them capitals.
    pub fn shouting(&self) -> bool {
        self.letters >= 8 && self.upper * 10 >= self.letters * 7
    }
}

/// ASCII texts shorter than this (most chunks) are counted a byte at a time.
const SHORT: usize = 24;
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Flags of eight ASCII bytes (little-endian in `x`): letters and capitals, each byte `0xFF`
/// when set and `0x00` when not.
#[inline]
fn ascii_letter_flags(x: u64) -> (u64, u64) {
    // The high bit of each byte of `at_least(x, c)` is set when that byte is `c` or more; the
    // bytes are below 0x80, so no addition carries into the next byte.
    let at_least = |x: u64, c: u8| x.wrapping_add(ONES * u64::from(0x80 - c)) & HIGH;
    let upper = at_least(x, b'A') & !at_least(x, b'Z' + 1);
    let folded = x | (ONES * 0x20);
    let letter = at_least(folded, b'a') & !at_least(folded, b'z' + 1);
    ((letter >> 7) * 0xFF, (upper >> 7) * 0xFF)
}

/// The chunks of `text`: its runs between ASCII whitespace, empty ones left out.
pub fn chunks(text: &str) -> impl Iterator<Item = &str> {
    // The same split as `split(char::is_ascii_whitespace)` without the empty runs, a byte at a
    // time instead of decoding every character.
    text.split_ascii_whitespace()
}

/// What a chunk analysed alone looks like at its edges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkProfile(u8);

impl ChunkProfile {
    /// The first token is a one-letter word at the chunk's start.
    const STARTS_SINGLE: u8 = 1;
    /// The last token is a one-letter word at the chunk's end.
    const ENDS_SINGLE: u8 = 2;
    /// De-obfuscation could start a run of spaced letters here: at most three bytes, a
    /// lowercase letter at the end and only punctuation before it.
    const SPACED_HEAD: u8 = 4;
    /// A lowercase letter first, then nothing or punctuation: the next letter of such a run.
    const SPACED_NEXT: u8 = 8;
    /// The normalised chunk holds a space: it cannot be analysed alone.
    const SPLIT: u8 = 16;

    /// Whether the chunk cannot be analysed apart from its comment.
    pub fn is_split(self) -> bool {
        self.0 & Self::SPLIT != 0
    }

    /// Whether this chunk followed by `next` may analyse differently together than apart
    /// (letters written apart over both).
    pub fn may_join(self, next: ChunkProfile) -> bool {
        (self.0 & Self::ENDS_SINGLE != 0 && next.0 & Self::STARTS_SINGLE != 0)
            || (self.0 & Self::SPACED_HEAD != 0 && next.0 & Self::SPACED_NEXT != 0)
    }

    /// The profile as a number, for storing it.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// A profile stored with [`ChunkProfile::bits`].
    pub fn from_bits(bits: u8) -> Self {
        ChunkProfile(bits)
    }
}

/// Where the word of a plain chunk lies, when the chunk is one: opening quotes or brackets,
/// then ASCII letters with single apostrophes between them, then closing punctuation
/// (`"word`, `don't,`, `(end).`), and no letter three times in a row. Such a chunk needs none
/// of the analysis: normalised, it is itself lowercased (nothing to fold); de-obfuscation
/// leaves it as it is (its "plain" case); and its one token is the word. About four in five of
/// the distinct chunks of English comments are plain.
#[inline]
fn plain_word(chunk: &[u8]) -> Option<(usize, usize)> {
    let n = chunk.len();
    let start = chunk
        .iter()
        .take_while(|b| matches!(b, b'"' | b'(' | b'\''))
        .count();
    let mut end = start;
    // The letter before and how many times in a row it came (lowercased).
    let (mut prev, mut run) = (0u8, 0u32);
    loop {
        let from = end;
        while end < n && chunk[end].is_ascii_alphabetic() {
            let letter = chunk[end].to_ascii_lowercase();
            run = if letter == prev { run + 1 } else { 1 };
            if run == 3 {
                return None;
            }
            prev = letter;
            end += 1;
        }
        if end == from {
            return None;
        }
        if end + 1 < n && chunk[end] == b'\'' && chunk[end + 1].is_ascii_alphabetic() {
            (prev, run) = (b'\'', 1);
            end += 1;
            continue;
        }
        break;
    }
    let closing = chunk[end..]
        .iter()
        .all(|b| matches!(b, b'.' | b',' | b';' | b':' | b'"' | b')' | b'\''));
    closing.then_some((start, end))
}

impl Analyzer {
    /// Analyses one chunk (see [`chunks`]) alone into `doc`, as [`Analyzer::analyze`] does a
    /// comment; returns how it may interact with its neighbours and its letter-case counts
    /// (zero when the analyzer has no case cues).
    pub fn analyze_chunk(&self, chunk: &str, doc: &mut AnalyzedDoc) -> (ChunkProfile, CaseCounts) {
        self.analyze_chunk_with(chunk, doc, true)
    }

    /// [`Self::analyze_chunk`], taking the shortcut for a plain chunk (see [`plain_word`]) only
    /// when `shortcut` is set; tests and the analyzer fuzz target check that both agree.
    pub(crate) fn analyze_chunk_with(
        &self,
        chunk: &str,
        doc: &mut AnalyzedDoc,
        shortcut: bool,
    ) -> (ChunkProfile, CaseCounts) {
        match plain_word(chunk.as_bytes()).filter(|_| shortcut) {
            Some((start, end)) => {
                let lowercase = |out: &mut Normalized| {
                    out.clear();
                    out.text.push_str(chunk);
                    out.text.make_ascii_lowercase();
                };
                if self.config().deobfuscate {
                    lowercase(&mut doc.unfolded);
                }
                lowercase(&mut doc.normalized);
                doc.tokens.clear();
                doc.tokens
                    .push(super::Token::at(TokenKind::Word, start, end));
            }
            None => self.analyze_tokens(chunk, doc, false),
        }
        let case = self.case_counts(chunk);
        self.set_cues(doc, case);
        let text = doc.normalized.text.as_str();
        let mut bits = 0u8;
        if text.contains(' ') || (self.config().deobfuscate && doc.unfolded.text.contains(' ')) {
            bits |= ChunkProfile::SPLIT;
        }
        let single =
            |t: &super::Token| t.kind == TokenKind::Word && t.text(text).chars().count() == 1;
        if let Some(first) = doc.tokens.first() {
            if first.start == 0 && single(first) {
                bits |= ChunkProfile::STARTS_SINGLE;
            }
        }
        // Joined tokens come after the pieces they span; the last piece is what borders the
        // next chunk.
        if let Some(last) = doc
            .tokens
            .iter()
            .rev()
            .find(|t| t.kind != TokenKind::Joined)
        {
            if last.end as usize == text.len() && single(last) {
                bits |= ChunkProfile::ENDS_SINGLE;
            }
        }
        let raw = if self.config().deobfuscate {
            doc.unfolded.text.as_bytes()
        } else {
            text.as_bytes()
        };
        if let Some((&last, before)) = raw.split_last() {
            if raw.len() <= 3
                && last.is_ascii_lowercase()
                && before.iter().all(u8::is_ascii_punctuation)
            {
                bits |= ChunkProfile::SPACED_HEAD;
            }
        }
        if let Some((&first, after)) = raw.split_first() {
            if first.is_ascii_lowercase() && after.iter().all(u8::is_ascii_punctuation) {
                bits |= ChunkProfile::SPACED_NEXT;
            }
        }
        (ChunkProfile(bits), case)
    }

    /// What the scorer takes from the analysis of `text` whole: each token's kind and text,
    /// whether the comment is shouted, and its number of all-capital words (for tests and
    /// inspection).
    pub fn summary_whole(&self, text: &str, doc: &mut AnalyzedDoc) -> AnalysisSummary {
        self.analyze(text, doc, false);
        let tokens = doc
            .tokens
            .iter()
            .map(|t| (t.kind, t.text(&doc.normalized.text).to_string()))
            .collect();
        (tokens, doc.shouting, doc.capital_words)
    }

    /// The same summary from the chunks of `text` analysed alone, as the scorer's chunk cache
    /// combines them; `None` when the chunks say they may read differently together than apart
    /// (for tests and inspection: the cache is the scorer's).
    pub fn summary_by_chunks(&self, text: &str, doc: &mut AnalyzedDoc) -> Option<AnalysisSummary> {
        let (mut tokens, mut case) = (Vec::new(), CaseCounts::default());
        let mut prev: Option<ChunkProfile> = None;
        for chunk in chunks(text) {
            let (profile, chunk_case) = self.analyze_chunk(chunk, doc);
            if profile.is_split() || prev.is_some_and(|p| p.may_join(profile)) {
                return None;
            }
            prev = Some(profile);
            tokens.extend(
                doc.tokens
                    .iter()
                    .map(|t| (t.kind, t.text(&doc.normalized.text).to_string())),
            );
            case.add(chunk_case);
        }
        let cues = self.config().cues;
        Some((tokens, cues && case.shouting(), case.capital_words))
    }
}

/// Tokens (kind and text), shouting cue and all-capital word count: see
/// [`Analyzer::summary_whole`].
pub type AnalysisSummary = (Vec<(TokenKind, String)>, bool, u32);

/// Panics unless `chunk` analyses the same with and without the plain-chunk shortcut (for
/// tests and the analyzer fuzz target); returns whether the shortcut applied.
pub(crate) fn check_plain_shortcut(analyzer: &Analyzer, chunk: &str) -> bool {
    let analysed = |shortcut: bool| {
        let mut doc = AnalyzedDoc::default();
        let (profile, case) = analyzer.analyze_chunk_with(chunk, &mut doc, shortcut);
        let unfolded = analyzer
            .config()
            .deobfuscate
            .then(|| doc.unfolded.text.clone());
        (
            profile,
            case,
            doc.normalized.text,
            unfolded,
            doc.tokens,
            doc.shouting,
            doc.capital_words,
        )
    };
    assert_eq!(
        analysed(true),
        analysed(false),
        "the plain-chunk shortcut differs from the full analysis on {chunk:?}"
    );
    plain_word(chunk.as_bytes()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{AnalyzerConfig, Language};

    #[test]
    fn chunks_are_the_runs_between_ascii_whitespace() {
        let text = " a\tb\n\nc\u{c}d\re f\u{a0}g\u{2003}h  ";
        let by_char: Vec<&str> = text
            .split(|c: char| c.is_ascii_whitespace())
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(chunks(text).collect::<Vec<_>>(), by_char);
        assert_eq!(by_char, ["a", "b", "c", "d", "e", "f\u{a0}g\u{2003}h"]);
    }

    #[test]
    fn plain_chunks_take_the_shortcut_and_analyse_as_in_full() {
        let plain = [
            "word",
            "Word,",
            "\"Quoted\"",
            "(bracketed).",
            "don't",
            "DON'T.",
            "it's:",
            "'tis",
            "students'",
            "a",
            "A",
            "I",
            "a'",
            "'a'",
            "ok;",
            "http:",
            "end...",
            "x\"),",
        ];
        let not_plain = [
            "why?",
            "no!",
            "e-mail",
            "u.s.",
            "a.b",
            "idiiiot",
            "Cooool",
            "f*ck",
            "sh1t",
            "@ss",
            "$hit",
            "wik!",
            "2024",
            "abc123",
            "don''t",
            "'",
            "\"\"",
            "",
            "naïve",
            "ｉｄｉｏｔ",
            "x.com",
            "www",
            "WWW.",
            "www.x.com",
            "joe@x.org",
            "a-",
            "-a",
            "[a]",
            "a:b",
        ];
        for config in [
            AnalyzerConfig::default(),
            AnalyzerConfig {
                deobfuscate: false,
                ..AnalyzerConfig::default()
            },
            AnalyzerConfig {
                languages: vec![Language::Russian],
                ..AnalyzerConfig::default()
            },
        ] {
            let analyzer = Analyzer::new(config);
            for chunk in plain {
                assert!(check_plain_shortcut(&analyzer, chunk), "{chunk:?} is plain");
            }
            for chunk in not_plain {
                assert!(
                    !check_plain_shortcut(&analyzer, chunk),
                    "{chunk:?} is not plain"
                );
            }
            // Every chunk of the project's own comments, plain or not.
            let corpus = include_str!("../../training-data/comments.csv");
            let (mut seen, mut shortcut) = (0, 0);
            for chunk in chunks(corpus) {
                seen += 1;
                shortcut += usize::from(check_plain_shortcut(&analyzer, chunk));
            }
            assert!(
                shortcut > seen / 2,
                "{shortcut} of {seen} chunks took the shortcut"
            );
        }
    }

    #[test]
    fn chunks_analyse_like_the_whole_comment_or_say_they_cannot() {
        let texts = [
            "You are an IDIOT, a total idiot!!",
            "WIN a FREE prize NOW at www.win-prize.com or e-mail joe@spam.com",
            "s t u p i d people",
            "what a s t u p i d idea",
            "(a b c) and $a b c$ and u r dumb",
            "hello,a b c",
            "st.upid f*ck f_u_c_k idiiiot sh1t @ss",
            "fullwidth ｉｄｉｏｔ and cyrillic іdіоt",
            "a\u{00A0}b c",
            "zero\u{200B}width and\ttabs\nand   spaces",
            "I think a lot, I do",
            "x",
            "",
            "  ",
            "2024-01-01 12:30 $100 50% 🙂🙂 !!! ???",
            "p e o p l e, listen",
            "i h a t e you",
            "e-mail me: me@x.org.",
        ];
        for languages in [vec![Language::English], vec![Language::German]] {
            let analyzer = Analyzer::new(AnalyzerConfig {
                languages,
                ..AnalyzerConfig::default()
            });
            let mut fell_back = 0;
            for text in texts {
                let (mut a, mut b) = (AnalyzedDoc::default(), AnalyzedDoc::default());
                match analyzer.summary_by_chunks(text, &mut a) {
                    Some(got) => assert_eq!(got, analyzer.summary_whole(text, &mut b), "{text:?}"),
                    None => fell_back += 1,
                }
            }
            // The spaced-letter texts must be caught; the others go through chunks.
            assert!((5..=9).contains(&fell_back), "{fell_back} fell back");
        }
    }

    #[test]
    fn case_counts_add_up_over_chunks() {
        let text = "WIN a FREE prize NOW, ÄRGER über ALLES";
        let mut sum = CaseCounts::default();
        for chunk in chunks(text) {
            sum.add(CaseCounts::of(chunk));
        }
        assert_eq!(sum, CaseCounts::of(text));
        assert_eq!(sum.capital_words, 5);
    }

    #[test]
    fn case_counts_match_the_general_count() {
        let texts = [
            "",
            "A",
            "AB",
            "a",
            "aB cD EF",
            "WIN a FREE prize NOW!!",
            "I AM SO ANGRY",
            "x YZ-QQ,R2D2 ok",
            "NOW",
            "  lead and trail  ",
        ];
        for text in texts {
            assert_eq!(
                CaseCounts::of(text),
                CaseCounts::by_character(text),
                "{text:?}"
            );
        }
        assert_eq!(CaseCounts::of("x YZ-QQ,R2D2 ok").capital_words, 2);
        // Every length around the 8-byte blocks, from an alphabet that makes runs of every
        // kind likely.
        let alphabet: Vec<char> = "AAZZBazb 1-@[`{ \tÉéßÄ\u{2003}".chars().collect();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for len in 0..40 {
            for _ in 0..200 {
                let text: String = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        alphabet[(state % alphabet.len() as u64) as usize]
                    })
                    .collect();
                assert_eq!(
                    CaseCounts::of(&text),
                    CaseCounts::by_character(&text),
                    "{text:?}"
                );
            }
        }
    }
}
