//! Analyzer throughput: normalisation, de-obfuscation, tokenisation and feature keys, on the
//! project's own comments (no shared data needed). `cargo bench --bench analyzer`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moderato::features::extract::Extractor;
use moderato::io::{LabelledSpec, TrainingSet};
use moderato::text::{AnalyzedDoc, Analyzer, AnalyzerConfig};

fn texts() -> Vec<String> {
    let path = format!("{}/training-data/comments.csv", env!("CARGO_MANIFEST_DIR"));
    let set = TrainingSet::read(&[LabelledSpec::parse(&path).unwrap()], None, None).unwrap();
    set.texts
}

fn bench(c: &mut Criterion) {
    let texts = texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let analyzer = Analyzer::new(AnalyzerConfig::default());
    let mut group = c.benchmark_group("analyzer");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("normalise+tokenise", |b| {
        let mut doc = AnalyzedDoc::default();
        b.iter(|| {
            for t in &texts {
                analyzer.analyze(t, &mut doc, false);
            }
        })
    });
    group.bench_function("feature keys (warm word cache)", |b| {
        let mut ex: Extractor<u64> = Extractor::default();
        b.iter(|| {
            let mut n = 0usize;
            for t in &texts {
                ex.extract(&analyzer, t, false, Some, |_| n += 1);
            }
            n
        })
    });
    group.bench_function("feature keys (cold word cache)", |b| {
        b.iter(|| {
            let mut ex: Extractor<u64> = Extractor::default();
            let mut n = 0usize;
            for t in &texts {
                ex.extract(&analyzer, t, false, Some, |_| n += 1);
            }
            n
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
