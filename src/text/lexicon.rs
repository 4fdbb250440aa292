//! A small built-in list of abusive words, used only to restore letters that a writer masked
//! with `*` (`f*ck`, `a**hole`); never to match substrings of clean words.

/// Abusive words in English and German, most common first (the first match wins).
const ABUSIVE: &[&str] = &[
    "fuck",
    "fucking",
    "fucked",
    "fucker",
    "fuckers",
    "motherfucker",
    "shit",
    "shitty",
    "bullshit",
    "bitch",
    "bitches",
    "bastard",
    "asshole",
    "assholes",
    "ass",
    "dumbass",
    "jackass",
    "cunt",
    "dick",
    "dickhead",
    "cock",
    "pussy",
    "whore",
    "slut",
    "idiot",
    "idiots",
    "moron",
    "morons",
    "stupid",
    "dumb",
    "retard",
    "retarded",
    "loser",
    "losers",
    "crap",
    "damn",
    "hell",
    "piss",
    "pissed",
    "wanker",
    "twat",
    "bollocks",
    "prick",
    "douche",
    "douchebag",
    "faggot",
    "fag",
    "nigger",
    "nigga",
    "scheisse",
    "scheiße",
    "arschloch",
    "fotze",
    "hure",
    "wichser",
    "vollidiot",
    "depp",
    "spast",
    "schlampe",
    "missgeburt",
    "drecksau",
    "hurensohn",
    "kacke",
    "fick",
    "ficken",
];

/// Short abusive words that also hide inside clean ones (Scunthorpe, Dickens, classic,
/// cockpit, assassin, shell, Michelle). See [`embedded_abusive_spans`].
const EMBEDDABLE: &[&str] = &[
    "fuck", "shit", "cunt", "dick", "cock", "ass", "tit", "fag", "piss", "crap", "hell", "damn",
    "slut", "twat", "prick", "whore", "anal", "anus", "homo", "nazi", "rape", "nig", "spic",
    "kike", "arsch", "fick", "hure",
];

/// Endings that keep a word abusive (`dicks`, `fucking`, `shitty`).
const ABUSIVE_ENDINGS: &[&str] = &[
    "", "s", "es", "ing", "in", "er", "ers", "ed", "y", "ty", "head", "heads", "face",
];

/// Character spans (start, end, in chars) of short abusive words hidden inside a longer word
/// that is not itself that abusive word with a usual ending. Character n-grams that lie wholly
/// inside such a span are left out, so that `Dickens` does not look like `dick`.
pub fn embedded_abusive_spans(word: &str) -> Vec<(usize, usize)> {
    let bytes = word.as_bytes();
    let mut spans = Vec::new();
    // Listed abusive words stay whole; decided once, and only when something is found.
    let mut listed: Option<bool> = None;
    for bad in EMBEDDABLE {
        let needle = bad.as_bytes();
        let first = needle[0];
        let mut from = 0;
        // Plain byte search: the needles are ASCII, so byte matches are character matches.
        while from + needle.len() <= bytes.len() {
            let Some(pos) = bytes[from..=bytes.len() - needle.len()]
                .iter()
                .enumerate()
                .position(|(i, &b)| b == first && bytes[from + i..].starts_with(needle))
            else {
                break;
            };
            let byte_start = from + pos;
            let byte_end = byte_start + needle.len();
            let is_itself = byte_start == 0 && ABUSIVE_ENDINGS.contains(&&word[byte_end..]);
            let listed = *listed.get_or_insert_with(|| ABUSIVE.contains(&word));
            if !is_itself && !listed {
                let start = if word.is_ascii() {
                    byte_start
                } else {
                    word[..byte_start].chars().count()
                };
                spans.push((start, start + bad.chars().count()));
            }
            from = byte_end;
        }
    }
    spans
}

/// True for a word of the list of abusive words (not the short embeddable ones).
pub fn is_listed_abusive(word: &str) -> bool {
    ABUSIVE.contains(&word)
}

/// True for a listed abusive word.
pub fn is_abusive(word: &str) -> bool {
    ABUSIVE.contains(&word) || EMBEDDABLE.contains(&word)
}

/// Resolves a masked word: `*` stands for exactly one letter. Returns the first listed word
/// of the same length whose other letters match, if any.
pub fn unmask(pattern: &str) -> Option<&'static str> {
    if !pattern.contains('*') || pattern.chars().all(|c| c == '*') {
        return None;
    }
    let len = pattern.chars().count();
    ABUSIVE.iter().copied().find(|w| {
        w.chars().count() == len
            && w.chars()
                .zip(pattern.chars())
                .all(|(a, p)| p == '*' || a == p)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_bad_words_hidden_in_clean_ones_only() {
        assert_eq!(embedded_abusive_spans("scunthorpe"), vec![(1, 5)]);
        assert_eq!(embedded_abusive_spans("dickens"), vec![(0, 4)]);
        assert_eq!(embedded_abusive_spans("cockpit"), vec![(0, 4)]);
        assert!(embedded_abusive_spans("classic").contains(&(2, 5)));
        assert!(embedded_abusive_spans("dick").is_empty());
        assert!(embedded_abusive_spans("dicks").is_empty());
        assert!(embedded_abusive_spans("fucking").is_empty());
        assert!(embedded_abusive_spans("shithead").is_empty());
        assert!(
            embedded_abusive_spans("motherfucker").is_empty(),
            "listed abusive words stay whole"
        );
        assert!(embedded_abusive_spans("hello").contains(&(0, 4)));
    }

    #[test]
    fn restores_masked_letters_only_for_full_matches() {
        assert_eq!(unmask("f*ck"), Some("fuck"));
        assert_eq!(unmask("sh*t"), Some("shit"));
        assert_eq!(unmask("a**hole"), Some("asshole"));
        assert_eq!(unmask("b*tch"), Some("bitch"));
        assert_eq!(unmask("c*t"), None);
        assert_eq!(unmask("****"), None);
        assert_eq!(unmask("fuck"), None, "nothing masked, nothing to do");
    }
}
