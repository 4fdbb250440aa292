//! Tokenisation of normalised text into words, numbers, URLs, e-mail addresses, @mentions,
//! emoji and runs of `!`/`?`, each with its byte span in the normalised text.

use super::chars;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Letters (and digits mixed with letters), with internal apostrophes.
    Word,
    /// Digits, possibly with internal `.`, `,` or `:`.
    Number,
    /// A web address (with a scheme, `www.`, or a bare domain with a known top-level domain).
    Url,
    /// An e-mail address.
    Email,
    /// An @mention of a user.
    Mention,
    /// One emoji or pictograph.
    Emoji,
    /// A run of `!` and `?`.
    Punct,
    /// A currency sign or `%`.
    Symbol,
    /// Letters written apart (`s t u p i d`, `st.upid`, `f*ck`, `f_u_c_k`), read as one word.
    /// Added after the pieces it spans, which stay tokens of their own.
    Joined,
}

/// A token: its kind and byte range in the normalised text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: u32,
    pub end: u32,
}

impl Token {
    /// A token of `kind` over the byte range `start..end`.
    pub(crate) fn at(kind: TokenKind, start: usize, end: usize) -> Self {
        Token {
            kind,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The token's text within the normalised text it was cut from.
    pub fn text<'a>(&self, normalized: &'a str) -> &'a str {
        &normalized[self.start as usize..self.end as usize]
    }
}

/// Top-level domains that make a bare `name.tld` a web address.
const TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "io", "co", "ru", "de", "uk", "us", "me", "tv", "ly", "gl",
    "gg", "xyz", "top", "site", "online", "club", "shop", "app", "dev", "ws", "cc", "in", "eu",
    "fr", "it", "es", "nl", "pl", "br", "au", "ca", "ch", "at", "se", "dk", "fi", "cz", "jp", "cn",
    "tk", "ml", "ga", "cf", "gq", "pw", "link", "click", "live", "store", "vip", "win", "bid",
    "gov", "edu", "su", "ua", "by", "kz", "to", "fm", "am", "be",
];

fn is_pictograph(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2300..=0x23FF | 0x3030 | 0x303D
        | 0x3297 | 0x3299 | 0x2190..=0x21FF | 0x2900..=0x297F)
}

fn is_word_char(c: char) -> bool {
    chars::is_alphanumeric(c)
}

/// Characters that may continue a URL, e-mail or mention chunk.
fn is_chunk_char(c: char) -> bool {
    chars::is_alphanumeric(c)
        || matches!(
            c,
            '.' | '_' | '-' | '/' | ':' | '%' | '+' | '&' | '=' | '?' | '~' | '#' | '@'
        )
}

fn trim_trailing_punct(s: &str) -> &str {
    s.trim_end_matches(['.', ',', '!', '?', ';', ':', ')', '-', '/', '\''])
}

/// Returns true when `chunk` looks like `name.tld` or `name.tld/path`.
pub(crate) fn is_bare_domain(chunk: &str) -> bool {
    let host = chunk.split(['/', '?', '#']).next().unwrap_or("");
    let mut labels = host.split('.');
    let first = labels.next().unwrap_or("");
    if first.is_empty() || !first.chars().all(|c| chars::is_alphanumeric(c) || c == '-') {
        return false;
    }
    let mut last = None;
    for label in labels {
        if label.is_empty() {
            return false;
        }
        last = Some(label);
    }
    last.is_some_and(|tld| TLDS.contains(&tld))
}

/// Whether a URL, e-mail address or mention may start at byte `i`: only chunks with `@`,
/// `.`, `/` or `:` before the next space can be one, which spares ordinary words the scan.
fn may_be_special(bytes: &[u8], i: usize) -> bool {
    if bytes[i] == b'@' {
        return true;
    }
    for &b in &bytes[i..] {
        match b {
            b'.' | b'@' | b'/' | b':' => return true,
            b' ' | b'\n' | b'\t' | b',' | b'!' | b'?' | b';' | b'"' | b'(' | b')' => return false,
            _ => {}
        }
    }
    false
}

const LETTER: u8 = 1;
const DIGIT: u8 = 2;

/// `LETTER` for the ASCII letters, `DIGIT` for the ASCII digits, 0 for every other byte.
static ASCII_CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        class[b] = if c.is_ascii_alphabetic() {
            LETTER
        } else if c.is_ascii_digit() {
            DIGIT
        } else {
            0
        };
        b += 1;
    }
    class
};

/// A run of ASCII letters and digits at `start` that the general rules below would read as
/// one word or number and nothing else: the byte after it cannot make it a web address, an
/// e-mail address or a mention (no `.`, `@`, `/` or `:` before the chunk ends) nor continue it
/// (an apostrophe, or `.`, `,` or `:` between digits). Returns its kind and end; `None` sends
/// the position to the general rules. Most words of a comment end this way.
#[inline]
fn plain_ascii_word(bytes: &[u8], start: usize) -> Option<(TokenKind, usize)> {
    let mut seen = 0u8;
    let mut end = start;
    for &b in &bytes[start..] {
        let class = ASCII_CLASS[usize::from(b)];
        if class == 0 {
            break;
        }
        seen |= class;
        end += 1;
    }
    if end == start {
        return None;
    }
    let (digits, letters) = (seen & DIGIT != 0, seen & LETTER != 0);
    let ends = match bytes.get(end) {
        None => true,
        Some(b' ' | b'\n' | b'\t' | b'!' | b'?' | b';' | b'"' | b'(' | b')') => true,
        // A comma joins digits (`1,000`), not letters.
        Some(b',') => !digits,
        Some(_) => false,
    };
    let kind = if letters {
        TokenKind::Word
    } else {
        TokenKind::Number
    };
    ends.then_some((kind, end))
}

/// Splits normalised text into tokens, appending them to `out`.
pub fn tokenize_into(text: &str, out: &mut Vec<Token>) {
    tokenize_with(text, out, true);
}

/// [`tokenize_into`], reading plain ASCII words by [`plain_ascii_word`] only when `shortcut`
/// is set; tests and the analyzer fuzz target check that both agree.
pub(crate) fn tokenize_with(text: &str, out: &mut Vec<Token>, shortcut: bool) {
    out.clear();
    let bytes = text.as_bytes();
    let mut i = 0usize;
    while i < text.len() {
        if bytes[i] == b' ' {
            i += 1;
            continue;
        }
        if shortcut {
            if let Some((kind, end)) = plain_ascii_word(bytes, i) {
                out.push(Token::at(kind, i, end));
                i = end;
                continue;
            }
            // An ASCII byte that starts no token (punctuation, quotes, other whitespace).
            let b = bytes[i];
            if b.is_ascii()
                && !b.is_ascii_alphanumeric()
                && !matches!(b, b'@' | b'!' | b'?' | b'$' | b'%')
            {
                i += 1;
                continue;
            }
        }
        let c = match text[i..].chars().next() {
            Some(c) => c,
            None => break,
        };
        let clen = c.len_utf8();
        if c == ' ' || c.is_whitespace() {
            i += clen;
            continue;
        }
        if (chars::is_alphanumeric(c) || c == '@') && may_be_special(bytes, i) {
            if let Some((kind, end)) = special_chunk(text, i) {
                out.push(Token::at(kind, i, end));
                i = end;
                continue;
            }
        }
        if is_word_char(c) {
            let end = word_end(text, i);
            let slice = &text[i..end];
            let kind = if slice
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b':'))
            {
                TokenKind::Number
            } else {
                TokenKind::Word
            };
            out.push(Token::at(kind, i, end));
            i = end;
            continue;
        }
        if c == '!' || c == '?' {
            let mut end = i;
            while end < bytes.len() && (bytes[end] == b'!' || bytes[end] == b'?') {
                end += 1;
            }
            out.push(Token::at(TokenKind::Punct, i, end));
            i = end;
            continue;
        }
        if matches!(c, '$' | '£' | '€' | '¥' | '₹' | '₽' | '%') {
            out.push(Token::at(TokenKind::Symbol, i, i + clen));
            i += clen;
            continue;
        }
        if is_pictograph(c) {
            out.push(Token::at(TokenKind::Emoji, i, i + clen));
        }
        i += clen;
    }
    add_joined(text, out);
}

/// Characters (all ASCII) that split a word into pieces that are joined again (`st.upid`,
/// `f*ck`).
fn is_inner_separator(b: u8) -> bool {
    matches!(
        b,
        b'.' | b'-' | b'_' | b'*' | b'\'' | b'~' | b'+' | b'|' | b'#' | b'^'
    )
}

/// The length in bytes of the UTF-8 character that starts with byte `first`.
fn utf8_len(first: u8) -> usize {
    match first {
        0..=0x7F => 1,
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        _ => 2,
    }
}

/// Adds a [`TokenKind::Joined`] token after each group of words written apart: three or more
/// single letters separated by single spaces, or pieces separated by up to three separator
/// characters and no space.
fn add_joined(text: &str, tokens: &mut Vec<Token>) {
    let bytes = text.as_bytes();
    // A word of one character: its first byte's UTF-8 length is the word's.
    let single = |t: &Token| {
        let len = (t.end - t.start) as usize;
        t.kind == TokenKind::Word
            && bytes
                .get(t.start as usize)
                .is_some_and(|&b| utf8_len(b) == len)
    };
    let mut joined = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].kind != TokenKind::Word {
            i += 1;
            continue;
        }
        let (mut j, mut spaced, mut glued) = (i, 0usize, 0usize);
        while j + 1 < tokens.len() && tokens[j + 1].kind == TokenKind::Word {
            let gap = &bytes[tokens[j].end as usize..tokens[j + 1].start as usize];
            if gap == b" " {
                // Spaced single letters, or the end of the group (a space is no separator).
                if glued == 0 && single(&tokens[j]) && single(&tokens[j + 1]) {
                    spaced += 1;
                } else {
                    break;
                }
            } else if spaced == 0
                && (1..=3).contains(&gap.len())
                && gap.iter().all(|&b| is_inner_separator(b))
            {
                glued += 1;
            } else {
                break;
            }
            j += 1;
        }
        let pieces = j - i + 1;
        if (glued > 0 && pieces >= 2) || (spaced > 0 && pieces >= 3) {
            joined.push((
                j,
                Token {
                    kind: TokenKind::Joined,
                    start: tokens[i].start,
                    end: tokens[j].end,
                },
            ));
            // "a s t u p i d", "i h a t e": the first letter may be a word of its own.
            let first = &text[tokens[i].start as usize..tokens[i].end as usize];
            if spaced > 0 && pieces >= 4 && matches!(first, "a" | "i" | "u") {
                joined.push((
                    j,
                    Token {
                        kind: TokenKind::Joined,
                        start: tokens[i + 1].start,
                        end: tokens[j].end,
                    },
                ));
            }
        }
        i = j + 1;
    }
    if joined.is_empty() {
        return;
    }
    // Merged in one pass, a run of tokens at a time (inserting one by one is quadratic on long
    // texts). `joined` is in order of the token each one follows.
    let mut merged = Vec::with_capacity(tokens.len() + joined.len());
    let mut from = 0;
    for (after, token) in joined {
        merged.extend_from_slice(&tokens[from..=after]);
        merged.push(token);
        from = after + 1;
    }
    merged.extend_from_slice(&tokens[from..]);
    *tokens = merged;
}

/// The letters of a joined token: separators and spaces removed, `*` kept as a mask.
pub fn joined_letters(surface: &str) -> String {
    surface
        .chars()
        .filter(|&c| c == '*' || chars::is_alphanumeric(c))
        .collect()
}

/// End of the word starting at `start`: word characters, with single internal apostrophes,
/// and for digit runs internal `.`, `,` or `:` between digits.
fn word_end(text: &str, start: usize) -> usize {
    // ASCII fast path: letters and digits up to a byte that cannot continue a word.
    let bytes = text.as_bytes();
    let mut i = start;
    while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
        i += 1;
    }
    if i == bytes.len() || (bytes[i].is_ascii() && !matches!(bytes[i], b'\'' | b'.' | b',' | b':'))
    {
        return i;
    }
    let mut end = start;
    let mut chars = text[start..].char_indices().peekable();
    while let Some((off, c)) = chars.next() {
        if is_word_char(c) {
            end = start + off + c.len_utf8();
            continue;
        }
        let prev_digit = text[..start + off]
            .chars()
            .next_back()
            .is_some_and(|p| p.is_ascii_digit());
        let next = chars.peek().map(|&(_, n)| n);
        let joins = match c {
            '\'' => next.is_some_and(is_word_char),
            '.' | ',' | ':' => prev_digit && next.is_some_and(|n| n.is_ascii_digit()),
            _ => false,
        };
        if !joins {
            break;
        }
    }
    end
}

/// Recognises a URL, e-mail address or mention starting at `start`.
fn special_chunk(text: &str, start: usize) -> Option<(TokenKind, usize)> {
    let rest = &text[start..];
    let scheme =
        rest.starts_with("http://") || rest.starts_with("https://") || rest.starts_with("www.");
    let mut end = start;
    for (off, c) in rest.char_indices() {
        if is_chunk_char(c)
            || (scheme
                && !c.is_whitespace()
                && !matches!(c, '"' | '<' | '>' | '(' | ')' | '[' | ']' | '{' | '}'))
        {
            end = start + off + c.len_utf8();
        } else {
            break;
        }
    }
    let chunk = trim_trailing_punct(&text[start..end]);
    let end = start + chunk.len();
    if chunk.is_empty() {
        return None;
    }
    if scheme {
        return (chunk.len() > 7).then_some((TokenKind::Url, end));
    }
    if let Some(name) = chunk.strip_prefix('@') {
        let name_len = name
            .char_indices()
            .find(|&(_, c)| !(chars::is_alphanumeric(c) || c == '_'))
            .map_or(name.len(), |(o, _)| o);
        return (name_len > 0).then_some((TokenKind::Mention, start + 1 + name_len));
    }
    if let Some(at) = chunk.find('@') {
        let (user, domain) = (&chunk[..at], &chunk[at + 1..]);
        if !user.is_empty() && domain.contains('.') && is_bare_domain(domain) {
            return Some((TokenKind::Email, end));
        }
        return None;
    }
    if chunk.contains('.') && is_bare_domain(chunk) {
        return Some((TokenKind::Url, end));
    }
    None
}

/// The host of a URL token without scheme, `www.` or path.
pub fn url_host(url: &str) -> &str {
    let without_scheme = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    let host = without_scheme
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or(without_scheme);
    host.strip_prefix("www.").unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<(TokenKind, &str)> {
        let mut out = Vec::new();
        tokenize_into(text, &mut out);
        out.iter().map(|t| (t.kind, t.text(text))).collect()
    }

    #[test]
    fn plain_words_read_the_same_with_and_without_the_shortcut() {
        let texts = [
            "you're wrong, 3.5 times!! ok? 1,000 or 12:30 (maybe) \"quoted\" a;b",
            "visit example.com or www.x.org/a?b=c, mail joe@x.org, ping @joe: done.",
            "abc1, 2abc; 42 4chan mp3. end",
            "caf\u{e9} na\u{ef}ve \u{1f642}\u{1f642} tab\there\nnew",
            "s t u p i d f*ck st.upid f_u_c_k",
            "",
            "x",
        ];
        let corpus = include_str!("../../training-data/comments.csv");
        let (mut words, mut shortcut_words) = (0, 0);
        for text in texts.into_iter().chain(corpus.lines()) {
            let (mut with, mut without) = (Vec::new(), Vec::new());
            tokenize_with(text, &mut with, true);
            tokenize_with(text, &mut without, false);
            assert_eq!(with, without, "{text:?}");
            let bytes = text.as_bytes();
            words += with.len();
            shortcut_words += with
                .iter()
                .filter(|t| plain_ascii_word(bytes, t.start as usize).is_some())
                .count();
        }
        assert!(shortcut_words * 2 > words, "{shortcut_words} of {words}");
    }

    #[test]
    fn words_numbers_and_punctuation() {
        use TokenKind::*;
        assert_eq!(
            toks("you're wrong, 3.5 times!! ok?"),
            vec![
                (Word, "you're"),
                (Word, "wrong"),
                (Number, "3.5"),
                (Word, "times"),
                (Punct, "!!"),
                (Word, "ok"),
                (Punct, "?")
            ]
        );
        assert_eq!(
            toks("win £1000 or 50% off"),
            vec![
                (Word, "win"),
                (Symbol, "£"),
                (Number, "1000"),
                (Word, "or"),
                (Number, "50"),
                (Symbol, "%"),
                (Word, "off")
            ]
        );
        assert_eq!(
            toks("sh1t mp3 2024"),
            vec![(Word, "sh1t"), (Word, "mp3"), (Number, "2024")]
        );
    }

    #[test]
    fn urls_emails_mentions_emoji() {
        use TokenKind::*;
        assert_eq!(
            toks("see https://example.com/a?b=1. or www.spam.net, mail me@x.org @bob_1 hi 😀"),
            vec![
                (Word, "see"),
                (Url, "https://example.com/a?b=1"),
                (Word, "or"),
                (Url, "www.spam.net"),
                (Word, "mail"),
                (Email, "me@x.org"),
                (Mention, "@bob_1"),
                (Word, "hi"),
                (Emoji, "😀")
            ]
        );
        assert_eq!(
            toks("visit murdev.com now"),
            vec![(Word, "visit"), (Url, "murdev.com"), (Word, "now")]
        );
        assert_eq!(
            toks("end.of sentence"),
            vec![
                (Word, "end"),
                (Word, "of"),
                (Joined, "end.of"),
                (Word, "sentence")
            ]
        );
        assert_eq!(url_host("https://www.example.com/x"), "example.com");
    }

    #[test]
    fn letters_written_apart_are_joined() {
        use TokenKind::*;
        let joined = |t: &str| -> Vec<String> {
            let mut out = Vec::new();
            tokenize_into(t, &mut out);
            out.iter()
                .filter(|x| x.kind == Joined)
                .map(|x| joined_letters(x.text(t)))
                .collect()
        };
        assert_eq!(joined("you s t u p i d man"), vec!["stupid"]);
        assert_eq!(
            joined("you are a s t u p i d man"),
            vec!["astupid", "stupid"]
        );
        assert_eq!(
            joined("st.upid f*ck f_u_c_k a**hole"),
            vec!["stupid", "f*ck", "fuck", "a**hole"]
        );
        assert_eq!(joined("i am a cat. so is he"), Vec::<String>::new());
        assert_eq!(joined("u r a winner"), vec!["ura"]);
        assert_eq!(toks("f*ck")[..2], [(Word, "f"), (Word, "ck")]);
    }

    #[test]
    fn non_latin_words() {
        use TokenKind::*;
        assert_eq!(toks("привет, мир"), vec![(Word, "привет"), (Word, "мир")]);
        assert_eq!(
            toks("schöne grüße"),
            vec![(Word, "schöne"), (Word, "grüße")]
        );
    }
}
