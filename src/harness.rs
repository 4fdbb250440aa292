//! Entry points for the fuzz targets (`fuzz/`) and for replaying their regression corpus in
//! the tests: each takes raw bytes, runs one reader, the analyzer or the model decoder to the
//! end, and panics only when an invariant breaks. Errors are fine; they must name the input.

use crate::io::labelled::{parse_labelled, LabelledSpec};
use crate::io::readers::{open_reader, InputSpec};
use crate::io::{InputFormat, TrainingSet};
use crate::text::analyzer::{AnalyzedDoc, Analyzer, AnalyzerConfig};
use crate::text::normalize::normalize;
use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

/// The name inputs are given in messages.
const NAME: &str = "fuzz-input";

/// Lines in `bytes` (a last line without a line end counts).
fn line_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1
}

/// Reads `bytes` as comments in `format` (detected when `None`) to the end.
pub fn read_comments(bytes: &[u8], format: Option<InputFormat>) {
    let spec = InputSpec {
        path: NAME.into(),
        format,
        ..InputSpec::default()
    };
    let lines = line_count(bytes);
    match open_reader(Box::new(Cursor::new(bytes.to_vec())), &spec) {
        Err(e) => assert!(e.to_string().contains(NAME), "unnamed error: {e}"),
        Ok(opened) => {
            for item in opened.stream {
                match item {
                    Ok(c) => assert!(c.line <= lines, "line {} of {lines}", c.line),
                    Err(e) => assert!(e.to_string().contains(NAME), "unnamed error: {e}"),
                }
            }
        }
    }
}

/// Reads the fields of every line of `bytes` as the JSON Lines reader does, and checks them
/// against a full parse of the line.
pub fn pick_json_fields(bytes: &[u8]) {
    use crate::io::json_fields::{pick_fields, pick_fields_through_value};
    let names = ["text", "id", "thread", "parent", "author"];
    for line in bytes.split(|&b| b == b'\n') {
        assert_eq!(
            pick_fields(line, &names).ok(),
            pick_fields_through_value(line, &names),
            "fields of {:?}",
            String::from_utf8_lossy(line)
        );
    }
}

/// Reads `bytes` as a labelled training file and merges it into a training set.
pub fn read_labelled(bytes: &[u8]) {
    let spec = LabelledSpec {
        path: NAME.into(),
        mapping: Vec::new(),
    };
    let lines = line_count(bytes);
    match parse_labelled(bytes, &spec, None, None) {
        Err(e) => assert!(e.to_string().contains(NAME), "unnamed error: {e}"),
        Ok(file) => {
            assert_eq!(file.texts.len(), file.lines.len());
            for c in &file.columns {
                assert_eq!(c.values.len(), file.texts.len());
            }
            assert!(file.rejected.iter().all(|r| r.line <= lines));
            if let Ok(set) = TrainingSet::merge(vec![file], None) {
                assert!(set.targets.iter().all(|t| t.len() == set.texts.len()));
            }
        }
    }
}

/// Normalises and analyses `bytes` (as lossy UTF-8): normalisation is idempotent, every
/// token and every mapped-back span lies within its text, on character boundaries, and the
/// shortcuts (plain words, case counts by block) agree with the general rules.
pub fn analyze(bytes: &[u8]) {
    static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
    let analyzer = ANALYZER.get_or_init(|| Analyzer::new(AnalyzerConfig::default()));
    let text = String::from_utf8_lossy(bytes);
    let once = normalize(&text);
    assert_eq!(normalize(&once), once, "normalisation is not idempotent");
    let mut doc = AnalyzedDoc::default();
    analyzer.analyze(&text, &mut doc, true);
    let normalized = &doc.normalized.text;
    for token in &doc.tokens {
        let (start, end) = (token.start as usize, token.end as usize);
        assert!(
            start <= end && end <= normalized.len(),
            "token out of range"
        );
        assert!(normalized.is_char_boundary(start) && normalized.is_char_boundary(end));
        let (from, to) = doc.normalized.input_span(&text, start, end);
        assert!(from <= to && to <= text.len(), "span out of range");
        assert!(text.is_char_boundary(from) && text.is_char_boundary(to));
    }
    for chunk in crate::text::chunk::chunks(&text) {
        crate::text::chunk::check_plain_shortcut(analyzer, chunk);
    }
    for input in [normalized.as_str(), &text] {
        let tokens = |shortcut| {
            let mut tokens = Vec::new();
            crate::text::tokenize::tokenize_with(input, &mut tokens, shortcut);
            tokens
        };
        assert_eq!(
            tokens(true),
            tokens(false),
            "the plain-word shortcut differs"
        );
        assert_eq!(
            crate::text::chunk::CaseCounts::of(input),
            crate::text::chunk::CaseCounts::by_character(input),
            "the block case counts differ"
        );
    }
}

/// Decodes `bytes` as a model file: refused or loaded, never a panic.
pub fn load_model(bytes: &[u8]) {
    let _ = crate::model::file::from_bytes(bytes, Path::new(NAME));
}

/// Parses `bytes` as a Disqus export.
pub fn read_disqus(bytes: &[u8]) {
    if let Ok(posts) = crate::io::disqus::read_disqus(bytes, Path::new(NAME)) {
        for p in posts.into_iter().flatten() {
            assert!(!p.id.is_empty() || p.text.is_empty() || p.line > 0);
        }
    }
}

/// Runs the fuzz entry point named `target` (a folder name of `fuzz/regressions/`).
pub fn run_target(target: &str, bytes: &[u8]) {
    match target {
        "csv" => read_comments(bytes, Some(InputFormat::Csv)),
        "jsonl" => {
            read_comments(bytes, Some(InputFormat::Jsonl));
            pick_json_fields(bytes);
        }
        "text" => read_comments(bytes, Some(InputFormat::Text)),
        "thread" => read_comments(bytes, Some(InputFormat::Thread)),
        "sniffed" => read_comments(bytes, None),
        "disqus" => read_disqus(bytes),
        "labelled" => read_labelled(bytes),
        "analyzer" => analyze(bytes),
        "model" => load_model(bytes),
        other => panic!("unknown fuzz target {other}"),
    }
}
