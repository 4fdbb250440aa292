//! Span quality of explanations: the character-level F1 of SemEval-2021 Task 5 (toxic spans).
//!
//! Input: one comment per line, toxic spans marked with square brackets (the project's own
//! `training-data/toxic_spans.txt`). For each comment the predicted span is the characters of
//! the tokens that pushed the `toxic` score up by at least a share of the strongest token,
//! when the comment is flagged toxic; an empty prediction for an empty gold set scores 1.
//!
//!     cargo run --release --example span_f1 -- [training-data/toxic_spans.txt] [models/default.model]

use moderato::model::{file, ScoreScratch};
use std::collections::BTreeSet;
use std::path::Path;

/// Strips `[` and `]` and returns the text with the character offsets inside brackets.
fn parse_line(line: &str) -> (String, BTreeSet<usize>) {
    let (mut text, mut gold, mut inside) = (String::new(), BTreeSet::new(), false);
    let mut n = 0;
    for c in line.chars() {
        match c {
            '[' => inside = true,
            ']' => inside = false,
            _ => {
                if inside {
                    gold.insert(n);
                }
                text.push(c);
                n += 1;
            }
        }
    }
    (text, gold)
}

fn f1(pred: &BTreeSet<usize>, gold: &BTreeSet<usize>) -> f64 {
    if gold.is_empty() {
        return if pred.is_empty() { 1.0 } else { 0.0 };
    }
    if pred.is_empty() {
        return 0.0;
    }
    let both = pred.intersection(gold).count() as f64;
    let (p, r) = (both / pred.len() as f64, both / gold.len() as f64);
    if both == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = args
        .get(1)
        .map_or("training-data/toxic_spans.txt", String::as_str);
    let model_path = args.get(2).map_or("models/default.model", String::as_str);
    let model = file::load(Path::new(model_path)).unwrap_or_else(|e| panic!("{e}"));
    let toxic = model
        .label_index("toxic")
        .expect("the model has a toxic label");
    let text = std::fs::read_to_string(data).unwrap_or_else(|e| panic!("{data}: {e}"));
    let mut scratch = ScoreScratch::default();
    println!("| share of the strongest token | comments | mean span F1 (SemEval-2021 Task 5) |");
    println!("|---|---|---|");
    for share in [0.2f32, 0.35, 0.5] {
        let mut total = 0.0;
        let mut n = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let (comment, gold) = parse_line(line);
            let scored = model.explain(&comment, &mut scratch, 20);
            let mut pred = BTreeSet::new();
            if scored.verdict.flags.contains(&toxic) {
                let tokens = &scored.explanations[toxic].tokens;
                let top = tokens.first().map_or(0.0, |t| t.weight);
                for t in tokens.iter().filter(|t| {
                    t.weight >= share * top && t.text.chars().any(char::is_alphanumeric)
                }) {
                    pred.extend(t.start..t.end);
                }
            }
            total += f1(&pred, &gold);
            n += 1;
        }
        println!("| {share} | {n} | {:.3} |", total / n as f64);
    }
}
