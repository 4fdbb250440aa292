//! Seeing through obfuscation, word by word, after Unicode normalisation: look-alike letters
//! from other scripts, leetspeak (`f4ck`, `sh1t`, `b@stard`, `$hit`, `@ss`), and letter runs
//! (`idiiiot`). URLs and e-mail addresses are left alone, and nothing here matches substrings,
//! so clean words that contain a bad one (Scunthorpe, assassin, classic) stay as they are.
//!
//! Spaced letters (`s t u p i d`) and inserted punctuation (`st.upid`, `f*ck`, `f_u_c_k`) are
//! joined by the tokenizer as extra tokens; see [`super::tokenize`].

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

fn is_link_like(chunk: &str) -> bool {
    chunk.contains("://")
        || chunk.contains("www.")
        || (chunk.contains('@') && chunk.contains('.') && !chunk.starts_with('@'))
        || (chunk.contains('.') && is_bare_domain(chunk.trim_end_matches(['.', ',', '!', '?'])))
}

/// Rewrites `input` into `out`, word by word, keeping the map back to the original text.
pub fn deobfuscate_into(input: &Normalized, out: &mut Normalized, homoglyphs: Homoglyphs) {
    out.clear();
    let record = !input.origin.is_empty();
    let text = &input.text;
    let mut chars: Vec<(char, u32)> = Vec::new();
    let mut pos = 0usize;
    for chunk in text.split(' ') {
        let start = pos;
        pos += chunk.len() + 1;
        if is_plain(chunk) {
            out.text.push_str(chunk);
            if record {
                out.origin
                    .extend_from_slice(&input.origin[start..start + chunk.len()]);
            }
            if pos <= text.len() {
                out.text.push(' ');
                if record {
                    out.origin.push(input.origin[pos - 1]);
                }
            }
            continue;
        }
        chars.clear();
        chars.extend(chunk.char_indices().map(|(i, c)| {
            let origin = if record { input.origin[start + i] } else { 0 };
            (c, origin)
        }));
        if !is_link_like(chunk) {
            fold_chunk(&mut chars, homoglyphs);
        }
        for &(c, origin) in &chars {
            let before = out.text.len();
            out.text.push(c);
            if record {
                out.origin
                    .extend(std::iter::repeat_n(origin, out.text.len() - before));
            }
        }
        if pos <= text.len() {
            out.text.push(' ');
            if record {
                out.origin.push(input.origin[pos - 1]);
            }
        }
    }
}

/// A chunk with nothing to undo: lowercase ASCII letters with ordinary punctuation at its
/// end (`word`, `word.`, `word,`) or no letters at all (`2024`, `...`), and no run of three
/// equal letters.
fn is_plain(chunk: &str) -> bool {
    let core = chunk.trim_end_matches(['.', ',', ';', ':', '"', ')', '\'']);
    let core = core.trim_start_matches(['"', '(', '\'']);
    let b = core.as_bytes();
    let letters_only = b
        .iter()
        .all(|&c| c.is_ascii_lowercase() || c == b'-' || c == b'\'');
    let no_letters = b.iter().all(|&c| c.is_ascii() && !c.is_ascii_alphabetic());
    (letters_only && !b.windows(3).any(|w| w[0] == w[1] && w[1] == w[2]))
        || (no_letters && !b.contains(&b'@') && !b.contains(&b'$'))
}

fn fold_chunk(chars: &mut Vec<(char, u32)>, homoglyphs: Homoglyphs) {
    // Look-alike letters.
    let has_latin = chars.iter().any(|(c, _)| c.is_ascii_alphabetic());
    let has_glyph = chars.iter().any(|(c, _)| homoglyph(*c).is_some());
    if has_glyph && (homoglyphs == Homoglyphs::Fold || has_latin) {
        for (c, _) in chars.iter_mut() {
            if let Some(l) = homoglyph(*c) {
                *c = l;
            }
        }
    }
    let letters = chars.iter().filter(|(c, _)| c.is_alphabetic()).count();
    if letters >= 1 {
        // `$` before a letter.
        for i in 0..chars.len() {
            if chars[i].0 == '$' && chars.get(i + 1).is_some_and(|(n, _)| n.is_alphabetic()) {
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
        let letter_at = |k: usize| chars.get(k).is_some_and(|(c, _)| c.is_alphabetic());
        let inside = |&(s, e): &(usize, usize)| s > 0 && letter_at(s - 1) && letter_at(e);
        let any_inside = runs.iter().any(inside);
        // Certain runs are read as letters; a lone edge symbol or digit (`5tupid`, `@ss`) only
        // when that spells an abusive word, so `4chan` and `mp3` stay as written.
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
    // Runs of three or more of the same letter become one.
    let mut k = 0;
    let mut kept: Vec<(char, u32)> = Vec::with_capacity(chars.len());
    while k < chars.len() {
        let c = chars[k].0;
        let mut e = k + 1;
        while e < chars.len() && chars[e].0 == c {
            e += 1;
        }
        if c.is_alphabetic() && e - k >= 3 {
            kept.push(chars[k]);
        } else {
            kept.extend_from_slice(&chars[k..e]);
        }
        k = e;
    }
    *chars = kept;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize::normalize_into;

    fn fold(s: &str) -> String {
        let mut a = Normalized::default();
        normalize_into(s, &mut a, true);
        let mut b = Normalized::default();
        deobfuscate_into(&a, &mut b, Homoglyphs::Fold);
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
        deobfuscate_into(&a, &mut b, Homoglyphs::FoldMixed);
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
    }
}
