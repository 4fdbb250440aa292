//! Chunk-by-chunk analysis (what the scorer caches) against whole-comment analysis on every
//! comment of the shared test splits: where the chunks do not say they may interact, the
//! tokens and case cues must be the same. Skips, visibly, when `../shared/datasets` is absent.

use moderato::io::{LabelledSpec, TrainingSet};
use moderato::text::chunk::{chunks, CaseCounts};
use moderato::text::{AnalyzedDoc, Analyzer, AnalyzerConfig, Language, TokenKind};
use std::path::Path;

type Analysis = (Vec<(TokenKind, String)>, bool, u32);

fn whole(analyzer: &Analyzer, text: &str, doc: &mut AnalyzedDoc) -> Analysis {
    analyzer.analyze(text, doc, false);
    let tokens = doc
        .tokens
        .iter()
        .map(|t| (t.kind, t.text(&doc.normalized.text).to_string()))
        .collect();
    (tokens, doc.shouting, doc.capital_words)
}

fn by_chunks(analyzer: &Analyzer, text: &str, doc: &mut AnalyzedDoc) -> Option<Analysis> {
    let (mut tokens, mut case) = (Vec::new(), CaseCounts::default());
    let mut prev = None;
    for chunk in chunks(text) {
        let (profile, chunk_case) = analyzer.analyze_chunk(chunk, doc);
        if profile.is_split()
            || prev.is_some_and(|p: moderato::text::chunk::ChunkProfile| p.may_join(profile))
        {
            return None;
        }
        prev = Some(profile);
        tokens.extend(
            doc.tokens
                .iter()
                .map(|t| (t.kind, t.text(&doc.normalized.text).to_string())),
        );
        case.add(chunk_case);
    }
    Some((tokens, case.shouting(), case.capital_words))
}

#[test]
fn chunks_analyse_like_whole_comments_on_the_shared_test_splits() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/norm");
    if !dir.exists() {
        println!("SKIPPED: {} absent", dir.display());
        return;
    }
    let splits = std::env::var("CHUNK_SPLITS").unwrap_or_else(|_| "test".into());
    for (name, language) in [
        ("jigsaw_toxic", Language::English),
        ("youtube_spam", Language::English),
        ("davidson_hate", Language::English),
        ("olid", Language::English),
        ("sms_spam", Language::English),
        ("ru_toxic_2ch_pikabu", Language::Russian),
        ("stormfront_hate", Language::English),
        ("germeval2018", Language::German),
    ] {
        for split in splits.split(',') {
            let path = dir.join(format!("{name}.{split}.csv"));
            let spec = LabelledSpec::parse(path.to_str().unwrap()).unwrap();
            let set = TrainingSet::read(&[spec], None, None).unwrap();
            let analyzer = Analyzer::new(AnalyzerConfig {
                languages: vec![language],
                ..AnalyzerConfig::default()
            });
            let (mut a, mut b) = (AnalyzedDoc::default(), AnalyzedDoc::default());
            let mut fell_back = 0;
            for text in &set.texts {
                match by_chunks(&analyzer, text, &mut a) {
                    Some(got) => {
                        assert_eq!(got, whole(&analyzer, text, &mut b), "{name}: {text:?}")
                    }
                    None => fell_back += 1,
                }
            }
            println!(
                "{name}.{split}: {} comments, {fell_back} analysed whole",
                set.texts.len()
            );
        }
    }
}
