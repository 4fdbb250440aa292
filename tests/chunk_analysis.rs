//! Chunk-by-chunk analysis (what the scorer caches) against whole-comment analysis on every
//! comment of the shared test splits: where the chunks do not say they may interact, the
//! tokens and case cues must be the same. Skips, visibly, when `../shared/datasets` is absent.

use moderato::io::{LabelledSpec, TrainingSet};
use moderato::text::{AnalyzedDoc, Analyzer, AnalyzerConfig, Language};
use std::path::Path;

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
                match analyzer.summary_by_chunks(text, &mut a) {
                    Some(got) => assert_eq!(
                        got,
                        analyzer.summary_whole(text, &mut b),
                        "{name}: {text:?}"
                    ),
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
