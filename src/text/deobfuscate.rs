//! Seeing through obfuscation, word by word, after Unicode normalisation: look-alike letters
//! from other scripts, leetspeak (`f4ck`, `sh1t`, `b@stard`, `$hit`, `@ss`), and letter runs
//! (`idiiiot`). URLs and e-mail addresses are left alone, and nothing here matches substrings,
//! so clean words that contain a bad one (Scunthorpe, assassin, classic) stay as they are.
//!
//! Spaced letters (`s t u p i d`) and inserted punctuation (`st.upid`, `f*ck`, `f_u_c_k`) are
//! joined by the tokenizer as extra tokens; see [`super::tokenize`].

use super::chars;
use super::dictionary::{rank, segment};
use super::lexicon::unmask;
use super::normalize::Normalized;
use super::tokenize::is_bare_domain;

/// Cyrillic and Greek letters (lowercase) that look like Latin ones.
fn homoglyph(c: char) -> Option<char> {
    Some(match c {
        'а' => 'a',
        'в' => 'b',
        'е' | 'ё' => 'e',
        'к' => 'k',
        'м' => 'm',
        'н' => 'h',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'т' => 't',
        'у' => 'y',
        'х' => 'x',
        'і' => 'i',
        'ј' => 'j',
        'ѕ' => 's',
        'ԁ' => 'd',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'ɡ' => 'g',
        'ь' => 'b',
        'п' => 'n',
        'α' => 'a',
        'β' => 'b',
        'ε' => 'e',
        'η' => 'n',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ο' => 'o',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'γ' => 'y',
        'ω' => 'w',
        'ϲ' => 'c',
        'ѵ' => 'v',
        _ => return None,
    })
}

/// Digits read as letters in leetspeak, wherever letters surround them.
fn leet_digit(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        _ => return None,
    })
}

/// Symbols read as letters, only between letters.
fn leet_symbol(c: char) -> Option<char> {
    Some(match c {
        '@' => 'a',
        '$' => 's',
        '!' => 'i',
        '|' => 'l',
        _ => return None,
    })
}

fn leet_any(c: char) -> Option<char> {
    leet_digit(c).or_else(|| leet_symbol(c))
}

/// How look-alike letters from other scripts are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Homoglyphs {
    /// Fold them to Latin everywhere (for languages written in Latin script).
    Fold,
    /// Fold them only in words that also contain Latin letters (for Russian, Greek).
    FoldMixed,
}

fn is_link_like(chunk: &str, dictionary: bool) -> bool {
    chunk.contains("://")
        || chunk.contains("www.")
        || (!chunk.starts_with('@')
            && chunk
                .trim_end_matches(['.', ',', '!', '?'])
                .split_once('@')
                .is_some_and(|(_, domain)| domain.contains('.')))
        || (chunk.contains('.')
            && is_bare_domain(chunk.trim_end_matches(['.', ',', '!', '?']))
            && !(dictionary && is_dotted_word(chunk)))
}

/// A bare "domain" whose letters spell a known word (`mu.ch`, `ti.me`, `ho.me`): a word with
/// a dot put in, not a web address (`bit.ly`, `goo.gl`, `spam.com` stay addresses).
fn is_dotted_word(chunk: &str) -> bool {
    let core = chunk.trim_end_matches(['.', ',', '!', '?']);
    core.matches('.').count() == 1
        && core.len() >= 4
        && core.bytes().all(|b| b.is_ascii_lowercase() || b == b'.')
        && rank(&core.replace('.', "")).is_some()
}

/// Rewrites `input` into `out`, word by word, keeping the map back to the original text.
/// With `dictionary` (for English), a list of common words chooses between readings of an
/// obfuscated word (see [`super::dictionary`]) and letters spaced out over several words
/// (`y o u a r e d u m b`) are read as the words they spell.
pub fn deobfuscate_into(
    input: &Normalized,
    out: &mut Normalized,
    homoglyphs: Homoglyphs,
    dictionary: bool,
) {
    out.clear();
    let record = !input.origin.is_empty();
    let text = &input.text;
    let origin_at = |i: usize| if record { input.origin[i] } else { 0 };
    let mut chars: Vec<(char, u32)> = Vec::new();
    let mut pos = 0usize;
    loop {
        let start = pos;
        // A byte loop: pieces are a few bytes long, too short for `str::find`'s set-up.
        let mut end = text.as_bytes()[pos..]
            .iter()
            .position(|&b| b == b' ')
            .map_or(text.len(), |i| pos + i);
        let chunk = &text[start..end];
        let spaced = if dictionary && chunk.len() <= 3 {
            spaced_letters(text, start)
        } else {
            None
        };
        if let Some(run) = spaced {
            // Letters written apart, read as the words they spell.
            let letters: String = run
                .letters
                .iter()
                .map(|&i| text.as_bytes()[i] as char)
                .collect();
            chars.clear();
            let first = run.letters[0];
            chars.extend((start..first).map(|i| (text.as_bytes()[i] as char, origin_at(i))));
            let mut from = 0;
            for (to, _) in segment(&letters) {
                if from > 0 {
                    // The space after the previous letter.
                    chars.push((' ', origin_at(run.letters[from - 1] + 1)));
                }
                for &i in &run.letters[from..to] {
                    chars.push((text.as_bytes()[i] as char, origin_at(i)));
                }
                from = to;
            }
            chars.extend((run.suffix..run.end).map(|i| (text.as_bytes()[i] as char, origin_at(i))));
            push_chars(out, &chars, record);
            end = run.end;
        } else if is_plain(chunk) {
            out.text.push_str(chunk);
            if record {
                out.origin.extend_from_slice(&input.origin[start..end]);
            }
        } else {
            chars.clear();
            chars.extend(chunk.char_indices().map(|(i, c)| (c, origin_at(start + i))));
            if !is_link_like(chunk, dictionary) {
                fold_chunk(&mut chars, homoglyphs, dictionary);
            } else {
                // Look-alike letters in a web address (`yоutube.com`) are folded all the same.
                fold_homoglyphs(&mut chars, homoglyphs);
            }
            push_chars(out, &chars, record);
        }
        if end >= text.len() {
            break;
        }
        out.text.push(' ');
        if record {
            out.origin.push(input.origin[end]);
        }
        pos = end + 1;
    }
}

fn push_chars(out: &mut Normalized, chars: &[(char, u32)], record: bool) {
    for &(c, origin) in chars {
        let before = out.text.len();
        out.text.push(c);
        if record {
            out.origin
                .extend(std::iter::repeat_n(origin, out.text.len() - before));
        }
    }
}

/// Three or more single letters separated by single spaces (`"s t u p i d!`), the first
/// possibly after opening punctuation and the last possibly before closing punctuation.
struct SpacedRun {
    /// Byte positions of the letters.
    letters: Vec<usize>,
    /// Where the closing punctuation starts (= `end` when there is none).
    suffix: usize,
    /// End of the last chunk of the run.
    end: usize,
}

/// Longest run of spaced letters segmented at once (a longer one goes on as a new run), so
/// that memory stays bounded on adversarial input.
const MAX_SPACED: usize = 1_000;

fn spaced_letters(text: &str, start: usize) -> Option<SpacedRun> {
    let b = text.as_bytes();
    let n = b.len();
    let punct = |c: u8| c.is_ascii_punctuation();
    let mut p = start;
    while p < n && punct(b[p]) {
        p += 1;
    }
    if p >= n || !b[p].is_ascii_lowercase() || p + 1 >= n || b[p + 1] != b' ' {
        return None;
    }
    // Cheap test before any allocation: the next chunk must be a single letter too.
    if !(p + 2 < n
        && b[p + 2].is_ascii_lowercase()
        && (p + 3 == n || b[p + 3] == b' ' || punct(b[p + 3])))
    {
        return None;
    }
    let mut letters = vec![p];
    let mut q = p + 1; // at the space after the last letter
    let (mut suffix, mut end) = (q, q);
    while letters.len() < MAX_SPACED && q + 1 < n && b[q] == b' ' && b[q + 1].is_ascii_lowercase() {
        let after = q + 2;
        if after == n || b[after] == b' ' {
            letters.push(q + 1);
            q = after;
            (suffix, end) = (q, q);
            continue;
        }
        let mut r = after;
        while r < n && punct(b[r]) {
            r += 1;
        }
        if r > after && (r == n || b[r] == b' ') {
            letters.push(q + 1);
            (suffix, end) = (after, r);
        }
        break;
    }
    (letters.len() >= 3).then_some(SpacedRun {
        letters,
        suffix,
        end,
    })
}

/// A chunk with nothing to undo: lowercase ASCII letters with ordinary punctuation at its
/// end (`word`, `word.`, `word,`) or no letters at all (`2024`, `...`), and no run of three
/// equal letters. A hyphen inside (`stu-pid`, `well-known`) is something to look at.
fn is_plain(chunk: &str) -> bool {
    let core = chunk.trim_end_matches(['.', ',', ';', ':', '"', ')', '\'']);
    let core = core.trim_start_matches(['"', '(', '\'']);
    let b = core.as_bytes();
    let letters_only = b.iter().all(|&c| c.is_ascii_lowercase() || c == b'\'');
    let no_letters = b.iter().all(|&c| c.is_ascii() && !c.is_ascii_alphabetic());
    (letters_only && !b.windows(3).any(|w| w[0] == w[1] && w[1] == w[2]))
        || (no_letters && !b.contains(&b'@') && !b.contains(&b'$'))
}

/// Characters written between the letters of a word (`st.upid`, `s_t_u_p_i_d`), or standing
/// for a letter (`*`).
fn is_separator(c: char) -> bool {
    matches!(c, '.' | '-' | '_' | '*' | '~' | '+' | '#' | '^')
}

/// Look-alike letters from other scripts folded to Latin ones.
fn fold_homoglyphs(chars: &mut [(char, u32)], homoglyphs: Homoglyphs) {
    let has_latin = chars.iter().any(|(c, _)| c.is_ascii_alphabetic());
    let has_glyph = chars.iter().any(|(c, _)| homoglyph(*c).is_some());
    if has_glyph && (homoglyphs == Homoglyphs::Fold || has_latin) {
        for (c, _) in chars.iter_mut() {
            if let Some(l) = homoglyph(*c) {
                *c = l;
            }
        }
    }
}

/// The word a chunk spells once leading and trailing punctuation is set aside, if it is all
/// lowercase ASCII letters.
fn core_word(chars: impl Iterator<Item = char>) -> Option<String> {
    let s: String = chars.collect();
    let core = s.trim_matches(|c: char| !chars::is_alphanumeric(c));
    (!core.is_empty() && core.bytes().all(|b| b.is_ascii_lowercase())).then(|| core.to_string())
}

/// Bounds of a chunk's core: the chunk without leading and trailing punctuation.
fn core_bounds(chars: &[(char, u32)]) -> (usize, usize) {
    let s = chars
        .iter()
        .position(|(c, _)| chars::is_alphanumeric(*c))
        .unwrap_or(chars.len());
    let e = chars
        .iter()
        .rposition(|(c, _)| chars::is_alphanumeric(*c))
        .map_or(s, |e| e + 1);
    (s, e)
}

fn fold_chunk(chars: &mut Vec<(char, u32)>, homoglyphs: Homoglyphs, dictionary: bool) {
    fold_homoglyphs(chars, homoglyphs);
    let letters = chars
        .iter()
        .filter(|(c, _)| chars::is_alphabetic(*c))
        .count();
    if letters >= 1 {
        // `$` before a letter.
        for i in 0..chars.len() {
            if chars[i].0 == '$'
                && chars
                    .get(i + 1)
                    .is_some_and(|(n, _)| chars::is_alphabetic(*n))
            {
                chars[i].0 = 's';
            }
        }
        // Runs of leet characters: inside a word (letters on both sides) they are letters; at
        // a word's edge, digit runs of two or more (or any, once the inside had leet) are too.
        let n = chars.len();
        let mut runs = Vec::new();
        let mut i = 0;
        while i < n {
            if leet_any(chars[i].0).is_none() {
                i += 1;
                continue;
            }
            let s = i;
            while i < n && leet_any(chars[i].0).is_some() {
                i += 1;
            }
            runs.push((s, i));
        }
        let letter_at = |k: usize| chars.get(k).is_some_and(|(c, _)| chars::is_alphabetic(*c));
        let inside = |&(s, e): &(usize, usize)| s > 0 && letter_at(s - 1) && letter_at(e);
        let any_inside = runs.iter().any(inside);
        // Certain runs are read as letters; a lone edge symbol or digit (`5tupid`, `@ss`) only
        // when that spells an abusive word, or (with the dictionary) a word more common than
        // the rest of the chunk alone (`7he`, `@nd`, but `4th`, `mp3`, `tax!`).
        let mut certain = Vec::new();
        let mut tentative = Vec::new();
        for run in &runs {
            let (s, e) = *run;
            let digits_only = chars[s..e].iter().all(|(c, _)| leet_digit(*c).is_some());
            let edge = (s == 0 && letter_at(e)) || (e == n && s > 0 && letter_at(s - 1));
            let enough = letters >= 2 || e - s >= 2;
            if enough && (inside(run) || (edge && digits_only && (e - s >= 2 || any_inside))) {
                certain.push(*run);
            } else if edge && letters >= 2 {
                tentative.push(*run);
            }
        }
        let mut mapped = vec![false; n];
        for &(s, e) in &certain {
            for (k, (c, _)) in chars[s..e].iter_mut().enumerate() {
                if let Some(l) = leet_any(*c) {
                    *c = l;
                    mapped[s + k] = true;
                }
            }
        }
        // A leet character may stand for any letter (`f4ck`): prefer an abusive word that
        // fits the other letters exactly, else keep the usual reading.
        let mut wild = mapped.clone();
        for &(s, e) in &tentative {
            wild[s..e].iter_mut().for_each(|w| *w = true);
        }
        // With the dictionary, the usual reading of every leet character left in the word
        // (`7h3` → `the`, `pag3.` → `page`, `it5` → `its`, `sh0t` → `shot`) wins when it is a
        // known word.
        if dictionary
            && (read_leet_as_letters(chars) || (mapped.contains(&true) && spells_known_word(chars)))
        {
            return finish_chunk(chars, dictionary);
        }
        if wild.iter().any(|&m| m) {
            let pattern: String = chars
                .iter()
                .zip(&wild)
                .map(|(&(c, _), &m)| if m { '*' } else { c })
                .collect();
            if let Some(word) = unmask(&pattern) {
                for ((c, _), w) in chars.iter_mut().zip(word.chars()) {
                    *c = w;
                }
            }
        }
    }
    finish_chunk(chars, dictionary);
}

/// The last steps of [`fold_chunk`]: letter runs, then separators and masks.
fn finish_chunk(chars: &mut Vec<(char, u32)>, dictionary: bool) {
    squeeze_runs(chars, dictionary);
    if dictionary {
        join_separated(chars);
    }
}

/// Reads every leet character left in the chunk's core as its letter when that spells a known
/// word; returns whether it did. A leading `@` (a mention) or `!` and a trailing `!` are read
/// as letters only when the word without them is unknown or less common (`@nd` → `and`,
/// `wik!` → `wiki`, but `@men` and `tax!` stay). Digits are read as
/// letters only inside such a known word, so `4th`, `mp3`, `1st` and `4chan` stay.
fn read_leet_as_letters(chars: &mut [(char, u32)]) -> bool {
    read_leet_within(chars, true) || read_leet_within(chars, false)
}

/// [`read_leet_as_letters`] with a trailing `!` in the word or (`bang` false) left out.
fn read_leet_within(chars: &mut [(char, u32)], bang: bool) -> bool {
    let s = chars
        .iter()
        .position(|&(c, _)| chars::is_alphanumeric(c) || matches!(c, '@' | '$' | '!'))
        .unwrap_or(chars.len());
    let e = chars
        .iter()
        .rposition(|&(c, _)| {
            chars::is_alphanumeric(c) || matches!(c, '@' | '$') || (bang && c == '!')
        })
        .map_or(s, |e| e + 1);
    if e < s + 3 {
        return false;
    }
    let core = &chars[s..e];
    if !core.iter().any(|&(c, _)| leet_any(c).is_some())
        || !core.iter().any(|&(c, _)| c.is_ascii_lowercase())
        || !core
            .iter()
            .all(|&(c, _)| c.is_ascii_lowercase() || c == '\'' || leet_any(c).is_some())
    {
        return false;
    }
    let letter = |&(c, _): &(char, u32)| leet_any(c).unwrap_or(c);
    let read: String = core.iter().map(letter).collect();
    let Some(r) = rank(&read) else {
        return false;
    };
    // A leading `@` or `!` and a trailing `!` are more often a mention or punctuation.
    let from = usize::from(matches!(core[0].0, '@' | '!'));
    let to = core.len() - usize::from(core[core.len() - 1].0 == '!');
    if (from, to) != (0, core.len()) {
        let rest: String = core[from..to].iter().map(letter).collect();
        if rank(&rest).is_some_and(|l| l <= r) {
            return false;
        }
    }
    for (c, _) in chars[s..e].iter_mut() {
        *c = leet_any(*c).unwrap_or(*c);
    }
    true
}

/// Whether the chunk, without leading and trailing punctuation, is a known word.
fn spells_known_word(chars: &[(char, u32)]) -> bool {
    core_word(chars.iter().map(|&(c, _)| c))
        .as_deref()
        .and_then(rank)
        .is_some()
}

/// Runs of three or more of the same letter become one, or (with the dictionary) two when
/// that spells a more common word (`gooood` → `good`, `sooooo` → `so`).
fn squeeze_runs(chars: &mut Vec<(char, u32)>, dictionary: bool) {
    let mut k = 0;
    let mut kept: Vec<(char, u32)> = Vec::with_capacity(chars.len());
    let mut squeezed: Vec<usize> = Vec::new();
    while k < chars.len() {
        let c = chars[k].0;
        let mut e = k + 1;
        while e < chars.len() && chars[e].0 == c {
            e += 1;
        }
        if chars::is_alphabetic(c) && e - k >= 3 {
            squeezed.push(kept.len());
            kept.push(chars[k]);
        } else {
            kept.extend_from_slice(&chars[k..e]);
        }
        k = e;
    }
    if dictionary && !squeezed.is_empty() && squeezed.len() <= 3 {
        // Each squeezed run read as one letter or two: the most common known word wins.
        let spelled = |doubled: usize| {
            core_word(kept.iter().enumerate().flat_map(|(k, &(c, _))| {
                let twice = squeezed
                    .iter()
                    .position(|&s| s == k)
                    .is_some_and(|i| doubled & (1 << i) != 0);
                std::iter::repeat_n(c, if twice { 2 } else { 1 })
            }))
        };
        let mut best: Option<(u32, usize)> = None;
        for doubled in 0..(1usize << squeezed.len()) {
            if let Some(r) = spelled(doubled).as_deref().and_then(rank) {
                if best.is_none_or(|(b, _)| r < b) {
                    best = Some((r, doubled));
                }
            }
        }
        if let Some((_, doubled)) = best.filter(|&(_, d)| d != 0) {
            for (i, &at) in squeezed.iter().enumerate().rev() {
                if doubled & (1 << i) != 0 {
                    let twin = kept[at];
                    kept.insert(at, twin);
                }
            }
        }
    }
    *chars = kept;
}

/// A word split by separators (`st.upid`, `s_t_u_p_i_d`) or with a masked letter (`p*ople`):
/// read as the listed abusive word its masks fit (`f**k`), else as the most common known word
/// among the letters joined and, for one `*`, the `*` read as each letter in turn. Left as it
/// is when none is known (`well-known`, `end.of`): the tokenizer then adds the joined letters
/// as an extra token.
fn join_separated(chars: &mut Vec<(char, u32)>) {
    let (s, e) = core_bounds(chars);
    let core = &chars[s..e];
    let letter = |c: char| c.is_ascii_lowercase() || c == '\'';
    if !core.iter().any(|&(c, _)| is_separator(c))
        || !core.iter().all(|&(c, _)| letter(c) || is_separator(c))
    {
        return;
    }
    // No gap of more than three separators.
    if core.split(|&(c, _)| letter(c)).any(|gap| gap.len() > 3) {
        return;
    }
    let joined: Vec<(char, u32)> = core.iter().copied().filter(|&(c, _)| letter(c)).collect();
    let masked: Vec<(char, u32)> = core
        .iter()
        .copied()
        .filter(|&(c, _)| letter(c) || c == '*')
        .collect();
    if masked.len() < 3 {
        return;
    }
    let masks = masked.len() - joined.len();
    let spell = |v: &[(char, u32)]| v.iter().map(|&(c, _)| c).collect::<String>();
    // The most common known word among the letters joined and the mask filled.
    let plain = spell(&joined);
    let mut best: Option<(u32, String)> = (joined.len() >= 3)
        .then(|| rank(&plain).map(|r| (r, plain)))
        .flatten();
    let mut from_masked = false;
    if masks == 1 {
        let pattern = spell(&masked);
        for l in 'a'..='z' {
            let filled = pattern.replace('*', l.encode_utf8(&mut [0; 4]));
            if let Some(r) = rank(&filled) {
                if best.as_ref().is_none_or(|(b, _)| r < *b) {
                    best = Some((r, filled));
                    from_masked = true;
                }
            }
        }
    }
    // Masks are mostly put on abusive words (`f*ck`, `sh*t`, `a**hole`): a listed one that
    // fits wins, unless one of the most common words fits too (`wh*re` is `where`).
    if masks > 0 && best.as_ref().is_none_or(|&(r, _)| r >= COMMON_RANK) {
        if let Some(word) = unmask(&spell(&masked)) {
            best = Some((0, word.to_string()));
            from_masked = true;
        }
    }
    let Some((_, word)) = best else {
        return;
    };
    let source = if from_masked { masked } else { joined };
    let rewritten: Vec<(char, u32)> = source
        .iter()
        .zip(word.chars())
        .map(|(&(_, origin), c)| (c, origin))
        .collect();
    chars.splice(s..e, rewritten);
}

/// Words this common win over a listed abusive word that fits the same mask.
const COMMON_RANK: u32 = 1_000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize::normalize_into;

    fn fold(s: &str) -> String {
        let mut a = Normalized::default();
        normalize_into(s, &mut a, true);
        let mut b = Normalized::default();
        deobfuscate_into(&a, &mut b, Homoglyphs::Fold, true);
        assert_eq!(b.origin.len(), b.text.len());
        b.text
    }

    #[test]
    fn sees_through_leetspeak() {
        assert_eq!(fold("f4ck you"), "fuck you");
        assert_eq!(fold("f4il"), "fail");
        assert_eq!(fold("sh1t"), "shit");
        assert_eq!(fold("@ss"), "ass");
        assert_eq!(fold("$hit"), "shit");
        assert_eq!(fold("b@stard"), "bastard");
        assert_eq!(fold("1d10t"), "idiot");
        assert_eq!(fold("sh!t"), "shit");
        assert_eq!(fold("h3ll0"), "hello");
        assert_eq!(fold("a55"), "ass");
        assert_eq!(fold("5tupid"), "stupid");
        assert_eq!(fold("@sshole"), "asshole");
    }

    #[test]
    fn leaves_numbers_handles_and_links_alone() {
        assert_eq!(
            fold("mp3 4chan covid19 2024 $5 50%"),
            "mp3 4chan covid19 2024 $5 50%"
        );
        assert_eq!(fold("wow!! @bob1 me@mail.com"), "wow!! @bob1 me@mail.com");
        assert_eq!(fold("see www.l33t.com"), "see www.l33t.com");
    }

    #[test]
    fn squeezes_letter_runs_and_folds_look_alikes() {
        assert_eq!(fold("idiiiot sooooo good"), "idiot so good");
        // Cyrillic а, о and Greek ρ inside Latin words.
        assert_eq!(fold("stuрid іdiоt"), "stupid idiot");
        assert_eq!(fold("Ѕтupid"), "stupid");
    }

    #[test]
    fn keeps_russian_words_when_only_mixed_words_fold() {
        let mut a = Normalized::default();
        normalize_into("привет stuрid", &mut a, false);
        let mut b = Normalized::default();
        deobfuscate_into(&a, &mut b, Homoglyphs::FoldMixed, true);
        assert_eq!(b.text, "привет stupid");
    }

    #[test]
    fn clean_words_with_bad_substrings_stay_clean() {
        for w in [
            "scunthorpe",
            "assassin",
            "classic",
            "cockpit",
            "dickens",
            "therapist",
            "grapes",
            "sussex",
        ] {
            assert_eq!(fold(w), w);
        }
        // A mask or separator in them restores the clean word, not an abusive one.
        assert_eq!(
            fold("c*ckpit d*ckens cl*ssic ass*ssin"),
            "cockpit dickens classic assassin"
        );
    }

    #[test]
    fn reads_edge_leetspeak_when_it_spells_a_known_word() {
        assert_eq!(fold("7h3 th3 5ome 7w0 it5 to0"), "the the some two its too");
        assert_eq!(
            fold("pag3. (7alk) bu7, welcom3!"),
            "page. (talk) but, welcome!"
        );
        assert_eq!(fold("w4$ h@$ $0me article$"), "was has some articles");
        assert_eq!(fold("@nd @bout !sn't wik!"), "and about isn't wiki");
        // The usual reading beats an abusive word that fits the other letters.
        assert_eq!(fold("sh0t wh3re h3re"), "shot where here");
        assert_eq!(fold("f4ck"), "fuck");
        // Numbers, ordinals, mentions and exclamations stay.
        assert_eq!(
            fold("4th 1st 3rd mp3 4chan @john @men tax! hi!"),
            "4th 1st 3rd mp3 4chan @john @men tax! hi!"
        );
    }

    #[test]
    fn restores_masked_letters_and_joins_separated_ones() {
        assert_eq!(
            fold("p*ople wh*t y*u d*n't th*t's"),
            "people what you don't that's"
        );
        assert_eq!(fold("st*pid f*ck sh*t a**hole"), "stupid fuck shit asshole");
        assert_eq!(
            fold("stu.pid peo-ple s_t_u_p_i_d h*e*l*l*o"),
            "stupid people stupid hello"
        );
        assert_eq!(fold("\"stu*pid!\""), "\"stupid!\"");
        // Nothing known: left for the tokenizer to join.
        assert_eq!(
            fold("well-known end.of a.m. e.g."),
            "well-known end.of a.m. e.g."
        );
        // A dotted word is not a web address; real short addresses stay.
        assert_eq!(fold("mu.ch ti.me bit.ly goo.gl"), "much time bit.ly goo.gl");
        assert_eq!(fold("p@ge. ag@!n."), "page. again.");
    }

    #[test]
    fn letter_runs_keep_a_double_letter_when_that_spells_a_word() {
        assert_eq!(
            fold("gooooood alllll seeeee hellllo idiiiot"),
            "good all see hello idiot"
        );
        assert_eq!(fold("sooooo xxxxx"), "so x");
    }

    #[test]
    fn spaced_letters_are_read_as_the_words_they_spell() {
        assert_eq!(fold("y o u a r e s t u p i d"), "you are stupid");
        assert_eq!(fold("\"i h a t e y o u!\" ok"), "\"i hate you!\" ok");
        assert_eq!(fold("a s t u p i d man"), "a stupid man");
        // Letters that spell nothing known stay apart.
        assert_eq!(fold("x q z"), "x q z");
    }

    #[test]
    fn folds_look_alikes_in_web_addresses() {
        assert_eq!(fold("see www.yоutube.com"), "see www.youtube.com");
    }

    #[test]
    fn without_the_dictionary_only_the_old_rules_apply() {
        let mut a = Normalized::default();
        normalize_into("7he p*ople y o u", &mut a, false);
        let mut b = Normalized::default();
        deobfuscate_into(&a, &mut b, Homoglyphs::Fold, false);
        assert_eq!(b.text, "7he p*ople y o u");
    }

    #[test]
    fn origins_follow_rewritten_words() {
        let input = "y o u st*pid";
        let mut a = Normalized::default();
        normalize_into(input, &mut a, true);
        let mut b = Normalized::default();
        deobfuscate_into(&a, &mut b, Homoglyphs::Fold, true);
        assert_eq!(b.text, "you stupid");
        assert_eq!(b.origin.len(), b.text.len());
        let (s, e) = b.input_span(input, 0, 3);
        assert_eq!(&input[s..e], "y o u");
        let (s, e) = b.input_span(input, 4, 10);
        assert_eq!(&input[s..e], "st*pid");
    }
}
