//! Property tests: normalisation is idempotent, explanation spans point at the right characters
//! of any Unicode input, tokens lie within their text, scores are probabilities, the same on
//! every call, and the fast path scores like the plain computation.

use moderato::io::{LabelledSpec, TrainingSet};
use moderato::model::{Model, ScoreScratch};
use moderato::train::{train, NoProgress, TrainOptions};
use proptest::prelude::*;
use std::sync::OnceLock;

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = format!("{}/training-data/comments.csv", env!("CARGO_MANIFEST_DIR"));
        let spec = LabelledSpec::parse(&path).unwrap();
        let set = TrainingSet::read(&[spec], None, None).unwrap();
        train(&set, &TrainOptions::default(), &NoProgress).unwrap()
    })
}

/// Text mixing insults, obfuscation, emoji, combining marks, zero-width and other scripts.
fn comment() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "you",
        "idiot",
        "st.upid",
        "f*ck",
        "s t u p i d",
        "1d10t",
        "ｓｔｕｐｉｄ",
        "stu\u{200B}pid",
        "e\u{301}",
        "😀",
        "👍🏽",
        "привет",
        "Straße",
        "الكلب",
        "中文",
        "  ",
        "\n",
        "!!!",
        "@bob",
        "http://x.com/a",
        "$5",
        "ﬁne",
        "\u{0336}",
        "ǅ",
        "İ",
        "ß",
        "\u{FEFF}",
        "a",
    ]);
    (prop::collection::vec(pieces, 0..12), any::<String>()).prop_map(|(p, noise)| {
        let mut s = p.join(" ");
        s.push_str(&noise);
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn spans_lie_within_the_input_and_match_its_characters(text in comment()) {
        let m = model();
        let mut scratch = ScoreScratch::default();
        let scored = m.explain(&text, &mut scratch, 10);
        let chars: Vec<char> = text.chars().collect();
        for e in &scored.explanations {
            for t in &e.tokens {
                prop_assert!(t.start <= t.end && t.end <= chars.len(), "{t:?} in {text:?}");
                let span: String = chars[t.start..t.end].iter().collect();
                prop_assert_eq!(&span, &t.text);
            }
        }
    }

    #[test]
    fn scores_are_probabilities_and_deterministic(text in comment()) {
        let m = model();
        let (mut a, mut b) = (ScoreScratch::default(), ScoreScratch::default());
        let first = m.score(&text, &mut a, 0).probabilities;
        let second = m.score(&text, &mut b, 0).probabilities;
        let again = m.score(&text, &mut a, 0).probabilities;
        prop_assert!(first.iter().all(|p| (0.0..=1.0).contains(p)));
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(&first, &again);
    }

    #[test]
    fn fast_path_scores_like_the_plain_computation(text in comment()) {
        // The fast path analyses chunk by chunk through its caches; the plain path analyses
        // the whole comment. Twice: the second time through warm caches.
        let m = model();
        let (mut a, mut b) = (ScoreScratch::default(), ScoreScratch::default());
        let (mut fast, mut plain) = (Vec::new(), Vec::new());
        m.probabilities_plain(&text, &mut b, &mut plain);
        for _ in 0..2 {
            m.probabilities(&text, &mut a, &mut fast);
            for (x, y) in fast.iter().zip(&plain) {
                prop_assert!((x - y).abs() < 1e-5, "{text:?}: {fast:?} vs {plain:?}");
            }
        }
    }

    #[test]
    fn normalisation_is_idempotent(text in comment()) {
        let once = moderato::text::normalize::normalize(&text);
        prop_assert_eq!(moderato::text::normalize::normalize(&once), once);
    }

    #[test]
    fn tokens_and_their_spans_lie_within_the_text(text in comment()) {
        // The fuzz harness's invariants, on structured input.
        moderato::harness::analyze(text.as_bytes());
    }
}
