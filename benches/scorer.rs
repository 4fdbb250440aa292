//! Scorer throughput: raw text to calibrated probabilities with a model trained on the
//! project's own comments (default settings, and `--fast`), single thread.
//! `cargo bench --bench scorer`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moderato::io::{LabelledSpec, TrainingSet};
use moderato::model::ScoreScratch;
use moderato::train::{train, NoProgress, TrainOptions};

fn bench(c: &mut Criterion) {
    let path = format!("{}/training-data/comments.csv", env!("CARGO_MANIFEST_DIR"));
    let set = TrainingSet::read(&[LabelledSpec::parse(&path).unwrap()], None, None).unwrap();
    let model = train(&set, &TrainOptions::default(), &NoProgress).unwrap();
    let mut group = c.benchmark_group("scorer");
    group.throughput(Throughput::Elements(set.texts.len() as u64));
    group.bench_function("probabilities", |b| {
        let mut scratch = ScoreScratch::default();
        let mut out = Vec::new();
        b.iter(|| {
            for t in &set.texts {
                model.probabilities(t, &mut scratch, &mut out);
            }
        })
    });
    group.bench_function("score with explanations", |b| {
        let mut scratch = ScoreScratch::default();
        b.iter(|| {
            for t in &set.texts {
                let _ = model.score(t, &mut scratch, 5);
            }
        })
    });
    // A `--fast` model: word n-grams only, scored through the direct path.
    let mut fast_options = TrainOptions::default();
    fast_options.analyzer.deobfuscate = false;
    fast_options.analyzer.stem = false;
    fast_options.analyzer.char_ngram_min = 0;
    fast_options.analyzer.char_ngram_max = 0;
    let fast = train(&set, &fast_options, &NoProgress).unwrap();
    group.bench_function("probabilities, --fast model (direct path)", |b| {
        let mut scratch = ScoreScratch::default();
        let mut out = Vec::new();
        b.iter(|| {
            for t in &set.texts {
                fast.probabilities(t, &mut scratch, &mut out);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
