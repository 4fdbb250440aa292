//! An obfuscator for measuring robustness: rewrites words the way people dodge filters
//! (leetspeak, inserted punctuation, masked letters, letter runs, spaced or separated letters,
//! look-alike letters, zero-width and combining characters, fullwidth forms, odd capitals).
//! Deterministic for a given text and seed.

use crate::rng::SplitMix as Rng;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The kinds of rewriting, one chosen at random per obfuscated word.
pub const TRANSFORMS: &[&str] = &[
    "leet",
    "punct",
    "mask",
    "run",
    "spaced",
    "separated",
    "homoglyph",
    "zero-width",
    "combining",
    "fullwidth",
    "case",
];

fn leet(c: char, rng: &mut Rng) -> Option<char> {
    let opts: &[char] = match c.to_ascii_lowercase() {
        'a' => &['4', '@'],
        'e' => &['3'],
        'i' => &['1', '!'],
        'o' => &['0'],
        's' => &['5', '$'],
        't' => &['7'],
        _ => return None,
    };
    Some(opts[rng.below(opts.len())])
}

fn homoglyph(c: char) -> Option<char> {
    Some(match c {
        'a' => 'а',
        'e' => 'е',
        'o' => 'о',
        'p' => 'р',
        'c' => 'с',
        'y' => 'у',
        'x' => 'х',
        'i' => 'і',
        's' => 'ѕ',
        'j' => 'ј',
        'A' => 'А',
        'E' => 'Е',
        'O' => 'О',
        'P' => 'Р',
        'C' => 'С',
        'T' => 'Т',
        'H' => 'Н',
        'K' => 'К',
        'M' => 'М',
        'B' => 'В',
        'X' => 'Х',
        _ => return None,
    })
}

fn transform(word: &[char], kind: &str, rng: &mut Rng) -> String {
    let n = word.len();
    let interior = |rng: &mut Rng| 1 + rng.below(n.saturating_sub(2).max(1));
    match kind {
        "leet" => {
            let mut out: Vec<char> = word.to_vec();
            let candidates: Vec<usize> = (0..n).filter(|&i| leet(word[i], rng).is_some()).collect();
            if candidates.is_empty() {
                return transform(word, "punct", rng);
            }
            for _ in 0..(1 + rng.below(2)) {
                let i = candidates[rng.below(candidates.len())];
                if let Some(l) = leet(word[i], rng) {
                    out[i] = l;
                }
            }
            out.into_iter().collect()
        }
        "punct" => {
            let at = interior(rng);
            let p = ['.', '*', '_', '-'][rng.below(4)];
            word[..at]
                .iter()
                .chain(std::iter::once(&p))
                .chain(&word[at..])
                .collect()
        }
        "mask" => {
            let vowels: Vec<usize> = (1..n.saturating_sub(1))
                .filter(|&i| "aeiouAEIOU".contains(word[i]))
                .collect();
            if vowels.is_empty() {
                return transform(word, "run", rng);
            }
            let i = vowels[rng.below(vowels.len())];
            word.iter()
                .enumerate()
                .map(|(k, &c)| if k == i { '*' } else { c })
                .collect()
        }
        "run" => {
            let i = rng.below(n);
            let times = 3 + rng.below(3);
            word[..i]
                .iter()
                .chain(std::iter::repeat_n(&word[i], times))
                .chain(&word[i + 1..])
                .collect()
        }
        "spaced" | "separated" => {
            let sep = if kind == "spaced" {
                ' '
            } else {
                ['.', '_', '-', '*'][rng.below(4)]
            };
            let mut s = String::new();
            for (k, c) in word.iter().enumerate() {
                if k > 0 {
                    s.push(sep);
                }
                s.push(*c);
            }
            s
        }
        "homoglyph" => {
            let mut out: Vec<char> = word.to_vec();
            let candidates: Vec<usize> = (0..n).filter(|&i| homoglyph(word[i]).is_some()).collect();
            if candidates.is_empty() {
                return transform(word, "zero-width", rng);
            }
            for _ in 0..(1 + rng.below(3)) {
                let i = candidates[rng.below(candidates.len())];
                out[i] = homoglyph(word[i]).unwrap_or(word[i]);
            }
            out.into_iter().collect()
        }
        "zero-width" => {
            let at = interior(rng);
            word[..at]
                .iter()
                .chain(std::iter::once(&'\u{200B}'))
                .chain(&word[at..])
                .collect()
        }
        "combining" => {
            let at = rng.below(n) + 1;
            word[..at]
                .iter()
                .chain(std::iter::once(&'\u{0301}'))
                .chain(&word[at..])
                .collect()
        }
        "fullwidth" => word
            .iter()
            .map(|&c| {
                if c.is_ascii_graphic() {
                    char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c)
                } else {
                    c
                }
            })
            .collect(),
        _ => word
            .iter()
            .map(|&c| {
                if rng.chance(0.5) {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect(),
    }
}

/// Obfuscates each ASCII word of three or more letters with probability `rate`, choosing one
/// of [`TRANSFORMS`] at random; the same text and seed always give the same result.
pub fn obfuscate(text: &str, rate: f64, seed: u64) -> String {
    obfuscate_with(text, rate, seed, TRANSFORMS)
}

/// [`obfuscate`] choosing only among `kinds` (names from [`TRANSFORMS`]), to measure what
/// each kind of rewriting costs. A kind that finds nothing to change in a word falls back to
/// another, as in [`obfuscate`].
pub fn obfuscate_with(text: &str, rate: f64, seed: u64, kinds: &[&str]) -> String {
    let mut rng = Rng(xxh3_64_with_seed(text.as_bytes(), seed));
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_alphabetic() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_alphabetic() {
            i += 1;
        }
        let word = &chars[start..i];
        if word.len() >= 3 && rng.chance(rate) {
            let kind = kinds[rng.below(kinds.len())];
            out.push_str(&transform(word, kind, &mut rng));
        } else {
            out.extend(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{Analyzer, AnalyzerConfig, TokenKind};

    #[test]
    fn is_deterministic_and_changes_words() {
        let t = "you are a stupid idiot and a moron";
        assert_eq!(obfuscate(t, 1.0, 7), obfuscate(t, 1.0, 7));
        assert_ne!(obfuscate(t, 1.0, 7), t);
        assert_eq!(obfuscate(t, 0.0, 7), t);
    }

    #[test]
    fn kinds_can_be_chosen() {
        let t = "you are a stupid idiot and a moron";
        assert_eq!(obfuscate(t, 0.5, 3), obfuscate_with(t, 0.5, 3, TRANSFORMS));
        assert_eq!(
            obfuscate_with(t, 1.0, 3, &["spaced"]),
            "y o u a r e a s t u p i d i d i o t a n d a m o r o n"
        );
    }

    #[test]
    fn the_analyzer_recovers_most_obfuscated_words() {
        // Every transform applied to "stupid": the analyzer must find the word again.
        let analyzer = Analyzer::new(AnalyzerConfig::default());
        let word: Vec<char> = "stupid".chars().collect();
        for kind in TRANSFORMS {
            for seed in 0..5 {
                let mut rng = Rng(seed);
                let text = format!("you are {}", transform(&word, kind, &mut rng));
                let words: Vec<String> = analyzer
                    .terms(&text)
                    .into_iter()
                    .filter(|(k, _)| matches!(k, TokenKind::Word | TokenKind::Joined))
                    .map(|(_, t)| t)
                    .collect();
                assert!(
                    words.iter().any(|w| w == "stupid"),
                    "{kind}: {text:?} gave {words:?}"
                );
            }
        }
    }
}
