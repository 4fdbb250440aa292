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
    let chars: Vec<char> = word.chars().collect();
    let lower: String = chars.iter().collect::<String>();
    let mut spans = Vec::new();
    for bad in EMBEDDABLE {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(bad) {
            let byte_start = from + pos;
            let start = lower[..byte_start].chars().count();
            let end = start + bad.chars().count();
            let before = &chars[..start];
            let after: String = chars[end..].iter().collect();
            let is_itself = before.is_empty() && ABUSIVE_ENDINGS.contains(&after.as_str());
            if !is_itself && ABUSIVE.iter().all(|w| *w != lower) {
                spans.push((start, end));
            }
            from = byte_start + bad.len();
        }
    }
    spans
}

/// True for a listed abusive word.
pub fn is_abusive(word: &str) -> bool {
    ABUSIVE.contains(&word) || EMBEDDABLE.contains(&word)
}

/// Resolves a masked word: `*` stands for exactly one letter. Returns the first listed word
/// of the same length whose other letters match, if any.
pub fn unmask(pattern: &str) -> Option<&'static str> {
    let pat: Vec<char> = pattern.chars().collect();
    if !pat.contains(&'*') || pat.iter().all(|&c| c == '*') {
        return None;
    }
    ABUSIVE.iter().copied().find(|w| {
        let wc: Vec<char> = w.chars().collect();
        wc.len() == pat.len() && wc.iter().zip(&pat).all(|(a, p)| *p == '*' || a == p)
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
