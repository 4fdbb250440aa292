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
