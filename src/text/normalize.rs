//! Unicode normalisation: compatibility folding, case folding, removal of invisible characters,
//! with an optional map from every output byte back to the input byte it came from.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};
use unicode_normalization::UnicodeNormalization;

/// Text after normalisation, with the origin of each byte when requested.
#[derive(Debug, Default, Clone)]
pub struct Normalized {
    /// The normalised text.
    pub text: String,
    /// For each byte of `text`, the byte offset of the input character it came from
    /// (empty unless offsets were requested).
    pub origin: Vec<u32>,
    /// Folds of the non-ASCII characters met so far (kept across texts).
    memo: FoldMemo,
}

/// Characters of a fold kept in [`FoldMemo`]; longer folds (`ﬃ` gives 3, `㎒` more) are
/// computed each time.
const MEMO_CHARS: usize = 3;
/// Entries of [`FoldMemo`] (a power of two).
const MEMO_ENTRIES: usize = 512;

/// A direct-mapped cache from a non-ASCII character to its fold (see [`normalize_into`]):
/// folding one runs NFKC decomposition and composition, which costs hundreds of instructions,
/// and text in Cyrillic or Greek is made of a few dozen characters used over and over.
#[derive(Debug, Default, Clone)]
struct FoldMemo {
    /// Character, fold length, then the fold; allocated at the first non-ASCII character.
    entries: Vec<(char, u8, [char; MEMO_CHARS])>,
}

impl FoldMemo {
    fn slot(c: char) -> usize {
        (c as usize).wrapping_mul(0x9E37_79B9) >> 7 & (MEMO_ENTRIES - 1)
    }

    fn get(&self, c: char) -> Option<([char; MEMO_CHARS], usize)> {
        let &(key, len, fold) = self.entries.get(Self::slot(c))?;
        (key == c).then_some((fold, len as usize))
    }

    fn put(&mut self, c: char, fold: &[char]) {
        if fold.len() > MEMO_CHARS {
            return;
        }
        if self.entries.is_empty() {
            // '\0' is ASCII, so never a key: the slots start empty.
            self.entries = vec![('\0', 0, ['\0'; MEMO_CHARS]); MEMO_ENTRIES];
        }
        let mut stored = ['\0'; MEMO_CHARS];
        stored[..fold.len()].copy_from_slice(fold);
        self.entries[Self::slot(c)] = (c, fold.len() as u8, stored);
    }
}

impl Normalized {
    /// Clears the buffers for reuse.
    pub fn clear(&mut self) {
        self.text.clear();
        self.origin.clear();
    }

    /// Maps a byte range of the normalised text back to a byte range of `input`.
    ///
    /// Requires offsets to have been recorded; the end is the end of the input
    /// character that produced the last byte of the range.
    pub fn input_span(&self, input: &str, start: usize, end: usize) -> (usize, usize) {
        if self.origin.is_empty() || start >= end || end > self.origin.len() {
            return (0, 0);
        }
        let first = self.origin[start] as usize;
        let last = self.origin[end - 1] as usize;
        let last_len = input[last..].chars().next().map_or(0, char::len_utf8);
        (first, last + last_len)
    }
}

/// Characters that render as nothing and are used to break words apart invisibly.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
    )
}

/// Normalises `input` into `out`: NFKC compatibility folding (fullwidth forms, ligatures),
/// accents removed from Latin letters, lowercase, invisible and stray combining characters
/// dropped, curly quotes and all whitespace made ASCII, C1 control characters read as the
/// Windows-1252 characters they stand for.
pub fn normalize_into(input: &str, out: &mut Normalized, record_origin: bool) {
    out.clear();
    if input.is_ascii() {
        // Fast path: lowercase and plain spaces, one byte in, one byte out.
        out.text.push_str(input);
        out.text.make_ascii_lowercase();
        // Other ASCII whitespace (newlines, tabs) becomes plain spaces, in one pass (a
        // replacement per character would move the rest of the text each time).
        if out
            .text
            .bytes()
            .any(|b| b != b' ' && b.is_ascii_whitespace())
        {
            let mut bytes = std::mem::take(&mut out.text).into_bytes();
            for b in &mut bytes {
                if b.is_ascii_whitespace() {
                    *b = b' ';
                }
            }
            // Still ASCII, so still UTF-8.
            out.text = String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        }
        if record_origin {
            out.origin.extend(0..input.len() as u32);
        }
        return;
    }
    out.text.reserve(input.len());
    if record_origin {
        out.origin.reserve(input.len());
    }
    let push = |out: &mut Normalized, c: char, at: usize| {
        let before = out.text.len();
        out.text.push(c);
        if record_origin {
            for _ in before..out.text.len() {
                out.origin.push(at as u32);
            }
        }
    };
    let (mut folded, mut again) = (Vec::new(), Vec::new());
    let mut at = 0;
    while let Some(c) = input[at..].chars().next() {
        if c.is_ascii() {
            // The run of ASCII up to the next other character, in bulk.
            let end = input.as_bytes()[at..]
                .iter()
                .position(|b| !b.is_ascii())
                .map_or(input.len(), |p| at + p);
            push_ascii(out, &input[at..end], at, record_origin);
            at = end;
            continue;
        }
        if let Some((fold, len)) = out.memo.get(c) {
            for &f in &fold[..len] {
                push(out, f, at);
            }
            at += c.len_utf8();
            continue;
        }
        // Fold the character, then fold what came out until nothing changes: NFKC and
        // lowercasing can produce characters that folding maps again (U+0149 gives U+02BC, a
        // quote; 'İ' lowercases to 'i' plus a combining dot), and a second pass over the text
        // must find nothing left to do.
        folded.clear();
        fold_char(c, &mut folded);
        for _ in 0..3 {
            if folded.iter().all(char::is_ascii) {
                break;
            }
            again.clear();
            for &f in &folded {
                fold_char(f, &mut again);
            }
            if again == folded {
                break;
            }
            std::mem::swap(&mut folded, &mut again);
        }
        for &f in &folded {
            push(out, f, at);
        }
        out.memo.put(c, &folded);
        at += c.len_utf8();
    }
}

/// Appends the ASCII text `run` (at byte `at` of the input) folded: letters lowercase,
/// whitespace as plain spaces.
fn push_ascii(out: &mut Normalized, run: &str, at: usize, record_origin: bool) {
    let before = out.text.len();
    if run.bytes().any(|b| b != b' ' && b.is_ascii_whitespace()) {
        out.text.extend(run.chars().map(fold_ascii));
    } else {
        out.text.push_str(run);
        out.text[before..].make_ascii_lowercase();
    }
    if record_origin {
        out.origin.extend(at as u32..(at + run.len()) as u32);
    }
}

/// An ASCII character folded: whitespace as a space, letters lowercase.
fn fold_ascii(c: char) -> char {
    if c.is_ascii_whitespace() {
        ' '
    } else {
        c.to_ascii_lowercase()
    }
}

/// The character that a C1 control character (U+0080–U+009F) stands for when it is a
/// Windows-1252 byte read as Latin-1, the usual way such controls get into comments (legacy
/// pages, SMS gateways): `don\u{92}t` is `don’t`, `\u{93}quoted\u{94}` is “quoted”, `\u{80}5`
/// is €5. `None` for every other character and for the five bytes Windows-1252 leaves
/// undefined.
fn windows_1252_c1(c: char) -> Option<char> {
    const C1: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    let read = *C1.get((c as u32).checked_sub(0x80)? as usize)?;
    (read != c).then_some(read)
}

/// One folding step of one character into `out`.
fn fold_char(c: char, out: &mut Vec<char>) {
    if c.is_ascii() {
        out.push(fold_ascii(c));
        return;
    }
    if is_invisible(c) || is_combining_mark(c) {
        return;
    }
    if let Some(read) = windows_1252_c1(c) {
        // Folded again by the caller (’ then becomes ', … three dots).
        out.push(read);
        return;
    }
    if c.is_whitespace() {
        out.push(' ');
        return;
    }
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '\u{02BC}' => {
            out.push('\'');
            return;
        }
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => {
            out.push('"');
            return;
        }
        _ => {}
    }
    // Compatibility decomposition: if the character's base letters are ASCII, keep just
    // those (é -> e, Ａ -> a, ﬁ -> fi); otherwise keep its NFKC form, lowercased.
    let mut ascii = [0u8; 8];
    let mut n = 0usize;
    let mut all_ascii = true;
    decompose_compatible(c, |d| {
        if is_combining_mark(d) {
            return;
        }
        if d.is_ascii() && n < ascii.len() {
            ascii[n] = d as u8;
            n += 1;
        } else {
            all_ascii = false;
        }
    });
    if all_ascii && n > 0 {
        out.extend(ascii[..n].iter().map(|&b| fold_ascii(b as char)));
        return;
    }
    for composed in std::iter::once(c).nfkc() {
        if is_combining_mark(composed) || is_invisible(composed) {
            continue;
        }
        out.extend(composed.to_lowercase());
    }
}

/// Convenience wrapper returning the normalised text alone.
pub fn normalize(input: &str) -> String {
    let mut out = Normalized::default();
    normalize_into(input, &mut out, false);
    out.text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_folds_are_the_folds() {
        // Characters of the first planes: folded with an empty memo, and folded again from
        // the memo, they must give the same text and origins.
        let mut out = Normalized::default();
        let mut fresh = Normalized::default();
        for cp in (0x80u32..0x3_0000).step_by(3) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            let text = format!("a{c}b");
            fresh.memo = FoldMemo::default();
            normalize_into(&text, &mut fresh, true);
            normalize_into(&text, &mut out, true);
            normalize_into(&text, &mut out, true);
            assert!(fold_len(&fresh, c) > MEMO_CHARS || out.memo.get(c).is_some());
            assert_eq!(out.text, fresh.text, "U+{cp:04X}");
            assert_eq!(out.origin, fresh.origin, "U+{cp:04X}");
        }
    }

    /// Characters in the fold of `c` (from a text `a{c}b`).
    fn fold_len(n: &Normalized, _c: char) -> usize {
        n.text.chars().count() - 2
    }

    #[test]
    fn folds_case_width_accents_and_invisibles() {
        assert_eq!(normalize("HeLLo"), "hello");
        assert_eq!(normalize("Ｓｔｕｐｉｄ"), "stupid");
        assert_eq!(normalize("café naïve"), "cafe naive");
        assert_eq!(normalize("stu\u{200B}pid"), "stupid");
        assert_eq!(normalize("don\u{2019}t"), "don't");
        assert_eq!(normalize("a\u{00A0}b\tc"), "a b c");
        assert_eq!(normalize("ﬁne"), "fine");
    }

    #[test]
    fn folding_what_folding_produced_makes_it_idempotent() {
        // Found by the fuzzer: U+0149 decomposes to a modifier apostrophe and n.
        assert_eq!(normalize("\u{0149}d"), "'nd");
        // 'İ' lowercases to i plus a combining dot, which is then dropped.
        assert_eq!(normalize("İstanbul"), "istanbul");
        for s in ["\u{0149}d", "İ", "ǅ", "ß", "ﬁ", "Ⅻ", "㎏", "ΐ"] {
            let once = normalize(s);
            assert_eq!(normalize(&once), once, "{s}");
        }
    }

    #[test]
    fn reads_c1_controls_as_the_windows_1252_characters_they_stand_for() {
        assert_eq!(normalize("that\u{92}s"), "that's");
        assert_eq!(normalize("I DON\u{92}T"), "i don't");
        assert_eq!(normalize("\u{93}Harry\u{94}"), "\"harry\"");
        assert_eq!(normalize("wait\u{85}"), "wait...");
        assert_eq!(normalize("\u{80}5 \u{99}"), "€5 tm");
        assert_eq!(normalize("\u{8A}koda"), "skoda");
        // The bytes Windows-1252 leaves undefined stay what they are.
        assert_eq!(normalize("a\u{81}b"), "a\u{81}b");
        for c in (0x80u32..0xA0).filter_map(char::from_u32) {
            let once = normalize(&format!("a{c}b"));
            assert_eq!(normalize(&once), once, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn keeps_non_latin_letters_lowercased() {
        assert_eq!(normalize("ПРИВЕТ мир"), "привет мир");
        assert_eq!(normalize("йод"), "йод");
        assert_eq!(normalize("Straße"), "straße");
    }

    #[test]
    fn origin_maps_output_bytes_back_to_input() {
        let input = "Ｆoo é";
        let mut out = Normalized::default();
        normalize_into(input, &mut out, true);
        assert_eq!(out.text, "foo e");
        assert_eq!(out.origin.len(), out.text.len());
        let (s, e) = out.input_span(input, 0, 3);
        assert_eq!(&input[s..e], "Ｆoo");
        let (s, e) = out.input_span(input, 4, 5);
        assert_eq!(&input[s..e], "é");
    }
}
