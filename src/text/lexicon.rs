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
    // Per needle, where its next match may start: each needle's matches do not overlap.
    let mut next_from = [0usize; EMBEDDABLE.len()];
    // Chars before byte `counted.0` (positions come in order, so counting goes on from there).
    let mut counted = (0usize, 0usize);
    // One pass over the word; at each byte only the needles starting with it are tried. The
    // needles are ASCII, so byte matches are character matches.
    for (at, &b) in bytes.iter().enumerate() {
        let mut candidates = NEEDLES_BY_FIRST_BYTE[b as usize];
        while candidates != 0 {
            let n = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            let bad = EMBEDDABLE[n];
            if at < next_from[n] || !bytes[at..].starts_with(bad.as_bytes()) {
                continue;
            }
            let byte_end = at + bad.len();
            next_from[n] = byte_end;
            let is_itself = at == 0 && ABUSIVE_ENDINGS.contains(&&word[byte_end..]);
            let listed = *listed.get_or_insert_with(|| ABUSIVE.contains(&word));
            if !is_itself && !listed {
                let start = if word.is_ascii() {
                    at
                } else {
                    counted = (at, counted.1 + word[counted.0..at].chars().count());
                    counted.1
                };
                spans.push((start, start + bad.len()));
            }
        }
    }
    spans
}

/// For each byte, the bit set of the [`EMBEDDABLE`] needles that start with it.
const NEEDLES_BY_FIRST_BYTE: [u32; 256] = {
    assert!(EMBEDDABLE.len() <= 32);
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < EMBEDDABLE.len() {
        table[EMBEDDABLE[n].as_bytes()[0] as usize] |= 1 << n;
        n += 1;
    }
    table
};

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

    /// The spans the plain way: each needle searched on its own, left to right.
    fn spans_needle_by_needle(word: &str) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        for bad in EMBEDDABLE {
            let mut from = 0;
            while let Some(pos) = word[from..].find(bad) {
                let start = from + pos;
                let end = start + bad.len();
                let is_itself = start == 0 && ABUSIVE_ENDINGS.contains(&&word[end..]);
                if !is_itself && !ABUSIVE.contains(&word) {
                    let chars = word[..start].chars().count();
                    spans.push((chars, chars + bad.len()));
                }
                from = end;
            }
        }
        spans.sort_unstable();
        spans
    }

    #[test]
    fn one_pass_finds_what_a_search_per_needle_finds() {
        let words = [
            "scunthorpe",
            "assassin",
            "fuckfuckfuckfuck",
            "assassassass",
            "hellohellshell",
            "überassholeäcock",
            "ñññfuckñass",
            "shitshitshits",
            "nignigniggg",
            "arschlochficken",
            "",
            "a",
            "ass",
        ];
        for word in words {
            let mut fast = embedded_abusive_spans(word);
            fast.sort_unstable();
            assert_eq!(fast, spans_needle_by_needle(word), "{word}");
        }
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
