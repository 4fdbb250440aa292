//! End-to-end tests through the real `moderato` binary: train on the project's own training
//! data, score every input format, evaluate, explain, and refuse bad models and rows.

mod common;

use common::{csv_rows, run, run_stdin, stderr, stdout};
use std::path::{Path, PathBuf};
use std::process::Output;

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn model() -> &'static str {
    common::trained_model()
}

#[test]
fn train_writes_model_and_card() {
    let m = model();
    assert!(Path::new(m).exists());
    let card = PathBuf::from(m).with_extension("card.md");
    let card = std::fs::read_to_string(card).unwrap();
    assert!(
        card.contains("| toxic |") && card.contains("| spam |"),
        "{card}"
    );
    assert!(card.contains("training-data/comments.csv"));
    assert!(card.contains("sha256"));
    assert!(card.contains("- Character block: per word"), "{card}");
}

#[test]
fn char_block_is_chosen_by_flag_or_config_but_not_both() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.model");
    let train = |extra: &[&str]| {
        let mut args = vec!["train", "-q", "-o", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        run(&args)
    };
    let o = train(&["-i", "training-data/comments.csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let card = std::fs::read_to_string(out.with_extension("card.md")).unwrap();
    assert!(card.contains("- Character block: per word"), "{card}");
    assert!(card.contains("- Lexicon: the analysis"), "{card}");
    let lexicon_tokens = || {
        let o = run(&["inspect", "--json", "--model", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        let card: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        card["lexicon_tokens"].as_u64().unwrap()
    };
    assert!(lexicon_tokens() > 0);
    let o = train(&["-i", "training-data/comments.csv", "--char-block", "exact"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let card = std::fs::read_to_string(out.with_extension("card.md")).unwrap();
    assert!(card.contains("- Character block: exact"), "{card}");
    assert!(card.contains("- Lexicon: none."), "{card}");
    assert_eq!(lexicon_tokens(), 0);
    let o = run(&[
        "score",
        "--model",
        out.to_str().unwrap(),
        &fixture("comments.txt"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    let o = train(&["-i", "training-data/comments.csv", "--char-block", "fancy"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("not exact or per-word"),
        "{}",
        stderr(&o)
    );

    let config = dir.path().join("c.json");
    std::fs::write(
        &config,
        r#"{"inputs": [{"path": "training-data/comments.csv"}], "char_block": "exact"}"#,
    )
    .unwrap();
    let o = train(&["--config", config.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let card = std::fs::read_to_string(out.with_extension("card.md")).unwrap();
    assert!(card.contains("- Character block: exact"), "{card}");
    let o = train(&[
        "--config",
        config.to_str().unwrap(),
        "--char-block",
        "per-word",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not both"), "{}", stderr(&o));
}

#[test]
fn fast_models_score_through_the_direct_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fast.model");
    let out = out.to_str().unwrap();
    let o = run(&[
        "train",
        "-q",
        "--fast",
        "-i",
        "training-data/comments.csv",
        "-o",
        out,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let card = std::fs::read_to_string(Path::new(out).with_extension("card.md")).unwrap();
    assert!(card.contains("- Scoring: the direct path"), "{card}");
    assert!(
        card.contains("letters written apart, masked letters): off"),
        "{card}"
    );
    assert!(card.contains("stemming: off"), "{card}");
    let o = run(&["inspect", "--json", "--model", out]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["lexicon_tokens"].as_u64(), Some(0));
    // It still tells abuse from spam from clean comments on held-out rows.
    let o = run(&[
        "eval",
        "--json",
        "--model",
        out,
        "-i",
        &fixture("heldout.csv"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for l in v["labels"].as_array().unwrap() {
        assert!(l["roc_auc"].as_f64().unwrap() > 0.8, "{l}");
    }
    let o = run(&["score", "--model", out, &fixture("comments.txt")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = std::fs::read_to_string(fixture("comments.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    assert_eq!(stdout(&o).lines().count(), lines + 1);
    // --fast fixes the character n-grams: asking for them too is refused.
    let o = run(&[
        "train",
        "-q",
        "--fast",
        "--char-ngrams",
        "2-4",
        "-i",
        "training-data/comments.csv",
        "-o",
        out,
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
}

/// training-data/comments.csv as two files in `dir`, `a.csv` and `b.csv`: the records for which
/// `in_b` is true go to `b.csv`, which keeps only its first `b_columns` columns (all when
/// `None`). Returns both paths and the number of records in `a.csv`.
fn split_training_data(
    dir: &Path,
    in_b: impl Fn(usize) -> bool,
    b_columns: Option<usize>,
) -> (PathBuf, PathBuf, usize) {
    let mut reader = csv::Reader::from_path("training-data/comments.csv").unwrap();
    let header = reader.headers().unwrap().clone();
    let (fa, fb) = (dir.join("a.csv"), dir.join("b.csv"));
    let mut a = csv::Writer::from_path(&fa).unwrap();
    let mut b = csv::Writer::from_path(&fb).unwrap();
    let b_columns = b_columns.unwrap_or(header.len());
    a.write_record(&header).unwrap();
    b.write_record(header.iter().take(b_columns)).unwrap();
    let mut in_a = 0;
    for (i, record) in reader.records().enumerate() {
        let record = record.unwrap();
        if in_b(i) {
            b.write_record(record.iter().take(b_columns)).unwrap();
        } else {
            a.write_record(&record).unwrap();
            in_a += 1;
        }
    }
    a.flush().unwrap();
    b.flush().unwrap();
    (fa, fb, in_a)
}

#[test]
fn source_experts_train_from_two_files_and_score_with_explanations() {
    let dir = tempfile::tempdir().unwrap();
    // training-data/comments.csv as two files: odd and even records.
    let (fa, fb, _) = split_training_data(dir.path(), |i| i % 2 == 1, None);
    let out = dir.path().join("m.model");
    let o = run(&[
        "train",
        "-q",
        "-i",
        fa.to_str().unwrap(),
        "-i",
        fb.to_str().unwrap(),
        "--source-experts",
        "toxic",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let card = std::fs::read_to_string(out.with_extension("card.md")).unwrap();
    assert!(card.contains("gated mixture of source experts"), "{card}");
    assert!(card.contains("a.csv") && card.contains("b.csv"), "{card}");
    let o = run_stdin(
        &[
            "score",
            "--model",
            out.to_str().unwrap(),
            "--format",
            "jsonl",
            "--explain",
            "3",
            "-",
        ],
        b"you are a stupid idiot\nthanks for the helpful article\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = jsonl(&o);
    assert_eq!(rows.len(), 2);
    let toxic = |r: &serde_json::Value| r["scores"]["toxic"].as_f64().unwrap();
    assert!(toxic(&rows[0]) > toxic(&rows[1]), "{rows:?}");
    assert_eq!(
        rows[0]["scores"].as_object().unwrap().len(),
        2,
        "no expert columns"
    );

    let o = run(&[
        "train",
        "-q",
        "-i",
        fa.to_str().unwrap(),
        "--source-experts",
        "hate",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("'hate'"), "{}", stderr(&o));
}

#[test]
fn a_label_some_files_lack_uses_its_own_idf_unless_shared_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    // training-data/comments.csv as two files; the second has no spam column (the last of
    // id,text,toxic,spam).
    let (fa, fb, spam_rows) = split_training_data(dir.path(), |i| i >= 216, Some(3));
    let header = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .next()
            .map(str::to_string)
    };
    assert_eq!(header(&fa).as_deref(), Some("id,text,toxic,spam"));
    assert_eq!(header(&fb).as_deref(), Some("id,text,toxic"));
    let out = dir.path().join("m.model");
    let note = format!("IDF over the {spam_rows} rows that carry this label");
    let card = |extra: &[&str]| {
        let mut args = vec!["train", "-q", "-o", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read_to_string(out.with_extension("card.md")).unwrap()
    };
    let inputs = ["-i", fa.to_str().unwrap(), "-i", fb.to_str().unwrap()];
    let own = card(&inputs);
    assert!(
        own.contains(&format!("Note on `spam`: features weighed by their {note}")),
        "{own}"
    );
    assert_eq!(
        own.matches("features weighed by their IDF").count(),
        1,
        "{own}"
    );
    let shared = card(&[&inputs[..], &["--shared-idf"]].concat());
    assert!(!shared.contains("IDF over the"), "{shared}");

    let config = dir.path().join("c.json");
    std::fs::write(
        &config,
        format!(
            r#"{{"inputs": [{{"path": "{}"}}, {{"path": "{}"}}], "shared_idf": true}}"#,
            fa.display(),
            fb.display()
        ),
    )
    .unwrap();
    let from_config = card(&["--config", config.to_str().unwrap()]);
    assert!(!from_config.contains("IDF over the"), "{from_config}");
}

#[test]
fn score_csv_keeps_ids_order_and_header() {
    let o = run(&["score", "--model", model(), &fixture("heldout.csv")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = csv_rows(&stdout(&o));
    assert_eq!(
        rows[0],
        vec!["id", "toxic", "spam", "flags", "decision", "duplicate_of"]
    );
    assert_eq!(rows.len(), 21, "one row per comment plus the header");
    for (i, r) in rows[1..].iter().enumerate() {
        assert_eq!(r[0], format!("h{}", i + 1), "input order kept");
        for p in &r[1..3] {
            let p: f64 = p.parse().unwrap();
            assert!((0.0..=1.0).contains(&p));
        }
        assert!(["allow", "review", "block"].contains(&r[4].as_str()));
    }
    // Plain cases: a clean comment is allowed, an insult flagged toxic, spam flagged spam.
    assert_eq!(rows[1][4], "allow", "{:?}", rows[1]);
    assert!(rows[9][3].contains("toxic"), "{:?}", rows[9]);
    assert!(rows[15][3].contains("spam"), "{:?}", rows[15]);
    assert!(stderr(&o).contains("read 20, scored 20, errors 0"));
}

#[test]
fn eval_reports_metrics_as_table_and_json() {
    let heldout = fixture("heldout.csv");
    let eval_json = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["eval", "--model", model(), "-i", &heldout, "--json"];
        args.extend_from_slice(extra);
        let o = run(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let v = eval_json(&[]);
    let labels = v["labels"].as_array().unwrap();
    assert_eq!(labels.len(), 2);
    for l in labels {
        let auc = l["roc_auc"].as_f64().unwrap();
        assert!(auc > 0.85, "{l}");
        let c = &l["confusion"];
        let total: u64 = [
            "true_positives",
            "false_positives",
            "false_negatives",
            "true_negatives",
        ]
        .iter()
        .map(|k| c[k].as_u64().unwrap())
        .sum();
        assert_eq!(total, 20);
        assert!(l["pr_auc"].as_f64().is_some() && l["f1"].as_f64().is_some());
    }
    assert_eq!(v["pass_seconds"].as_array().unwrap().len(), 1);
    let o = run(&["eval", "--model", model(), "-i", &heldout]);
    assert!(stdout(&o).contains("| toxic |") && stdout(&o).contains("mean ROC AUC"));
    assert!(
        stdout(&o).contains("comments/s (one pass)"),
        "{}",
        stdout(&o)
    );
    // Several passes, each from empty caches: every pass timed, the same metrics.
    let w = eval_json(&["--passes", "3"]);
    assert_eq!(w["pass_seconds"].as_array().unwrap().len(), 3);
    assert_eq!(w["scoring_seconds"], w["pass_seconds"][0]);
    assert_eq!(w["labels"], v["labels"]);
    let o = run(&["eval", "-m", model(), "-i", &heldout, "--passes", "0"]);
    assert!(!o.status.success());
    // A warm-up (other comments through the same caches first) changes no score.
    let warm_up = fixture("comments.jsonl");
    let w = eval_json(&["--warm-up", &warm_up, "--passes", "2"]);
    assert_eq!(w["labels"], v["labels"]);
    assert!(w["warm_up_rows"].as_u64().unwrap() > 0, "{w}");
    assert_eq!(v["warm_up_rows"], 0);
    // A warm-up file with a bad line is an error that names it.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad-warm-up.jsonl");
    std::fs::write(&bad, "{\"text\": \"fine\"}\nnot json\n").unwrap();
    let bad = bad.to_str().unwrap();
    let o = run(&["eval", "-m", model(), "-i", &heldout, "--warm-up", bad]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("bad-warm-up.jsonl:2"), "{}", stderr(&o));
}

#[test]
fn score_jsonl_in_and_out() {
    let o = run(&[
        "score",
        "--model",
        model(),
        &fixture("comments.jsonl"),
        "--format",
        "jsonl",
        "--explain",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["id"], "a1");
    assert_eq!(lines[2]["id"], "3", "line number when the id is missing");
    assert!(lines[1]["scores"]["toxic"].as_f64().unwrap() > 0.5);
    assert_eq!(lines[1]["flags"][0], "toxic");
    let why = &lines[1]["why"][0];
    assert_eq!(why["label"], "toxic");
    let tokens: Vec<&str> = why["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["text"].as_str().unwrap())
        .collect();
    assert!(
        tokens.contains(&"idiot") || tokens.contains(&"stupid"),
        "{tokens:?}"
    );
}

#[test]
fn score_text_file_and_stdin_agree() {
    let o = run(&["score", "--model", model(), &fixture("comments.txt")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let from_file = csv_rows(&stdout(&o));
    assert_eq!(from_file.len(), 4, "blank lines are not comments");
    assert_eq!(from_file[2][0], "3", "ids are line numbers");

    let o = run_stdin(
        &["score", "--model", model(), "-", "--input-format", "text"],
        &std::fs::read(fixture("comments.txt")).unwrap(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(csv_rows(&stdout(&o)), from_file);
}

#[test]
fn stdin_format_is_sniffed() {
    let o = run_stdin(
        &["score", "--model", model(), "--format", "jsonl"],
        b"{\"id\": \"x\", \"text\": \"hello there\"}\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("{\"id\":\"x\""), "{}", stdout(&o));
}

#[test]
fn bad_rows_are_reported_and_counted_without_losing_others() {
    let o = run(&["score", "--model", model(), &fixture("ragged.csv")]);
    assert_eq!(o.status.code(), Some(3), "row errors exit with 3");
    let rows = csv_rows(&stdout(&o));
    assert_eq!(rows.len(), 3, "two good rows scored");
    let err = stderr(&o);
    assert!(
        err.contains("ragged.csv:3: row has 3 fields but the header has 2"),
        "{err}"
    );
    assert!(err.contains("read 3, scored 2, errors 1"), "{err}");
}

#[test]
fn missing_text_column_and_unreadable_files_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.csv");
    std::fs::write(&f, "a,b\n1,2\n").unwrap();
    let o = run(&["score", "--model", model(), f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no text column"), "{}", stderr(&o));
    let o = run(&["score", "--model", model(), "/nonexistent/file.csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("/nonexistent/file.csv"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn broken_models_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(model()).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", bytes[..bytes.len() / 2].to_vec(), "truncated"),
        (
            "foreign",
            b"PK\x03\x04 this is a zip file".to_vec(),
            "not a moderato model",
        ),
        (
            "corrupt",
            {
                let mut b = bytes.clone();
                let n = b.len();
                b[n - 10] ^= 0xff;
                b
            },
            "corrupted",
        ),
        (
            "version",
            {
                let mut b = bytes.clone();
                b[8] = 99;
                b
            },
            "version 99",
        ),
        (
            "trailing",
            {
                let mut b = bytes.clone();
                b.extend_from_slice(b"junk");
                b
            },
            "trailing bytes",
        ),
    ];
    for (name, content, expect) in cases {
        let p = dir.path().join(format!("{name}.model"));
        std::fs::write(&p, content).unwrap();
        let o = run(&[
            "score",
            "--model",
            p.to_str().unwrap(),
            &fixture("comments.txt"),
        ]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        assert!(stderr(&o).contains(expect), "{name}: {}", stderr(&o));
        assert!(
            stdout(&o).is_empty(),
            "{name}: no output from a broken model"
        );
    }
    let o = run(&[
        "score",
        "--model",
        "/nonexistent.model",
        &fixture("comments.txt"),
    ]);
    assert!(
        stderr(&o).contains("no model at /nonexistent.model"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn version_1_and_2_models_still_score() {
    // Written by moderato before model format versions 2 and 3; see model::file's tests.
    for fixture_name in ["model-v1.model", "model-v2.model"] {
        let o = run(&[
            "score",
            "--model",
            &fixture(fixture_name),
            &fixture("comments.txt"),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            stdout(&o).starts_with("id,toxic,spam,flags,decision"),
            "{fixture_name}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn training_refuses_unusable_rows_with_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("t.csv");
    let mut content = String::from("text,toxic\n");
    let good = std::fs::read_to_string("training-data/comments.csv").unwrap();
    for r in csv_rows(&good).iter().skip(1) {
        content.push_str(&format!("\"{}\",{}\n", r[1].replace('"', "\"\""), r[2]));
    }
    content.push_str("\"odd one\",maybe\n");
    std::fs::write(&f, content).unwrap();
    let out = dir.path().join("m.model");
    let o = run(&[
        "train",
        "-i",
        f.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--labels",
        "toxic",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("refused 1 rows") && err.contains("'maybe'"),
        "{err}"
    );
}

#[test]
fn explain_points_at_the_words() {
    let text = "You are an IDIOT, honestly";
    let o = run(&["explain", "--model", model(), "--json", text]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let toxic = v["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == "toxic")
        .unwrap();
    let chars: Vec<char> = text.chars().collect();
    for t in toxic["tokens"].as_array().unwrap() {
        let (s, e) = (
            t["start"].as_u64().unwrap() as usize,
            t["end"].as_u64().unwrap() as usize,
        );
        let span: String = chars[s..e].iter().collect();
        assert_eq!(span, t["text"].as_str().unwrap());
    }
    assert_eq!(toxic["tokens"][0]["text"], "IDIOT", "{toxic}");
}

#[test]
fn default_model_scores_plain_cases() {
    if !Path::new("models/default.model").exists() {
        eprintln!("SKIPPED: models/default.model is absent");
        return;
    }
    let cases: &[(&str, &[&str], &str)] = &[
        ("Thank you for this thoughtful article.", &[], "allow"),
        (
            "Scunthorpe United won 2-0 at home on Saturday.",
            &[],
            "allow",
        ),
        (
            "The assassin in the novel was a classic villain.",
            &[],
            "allow",
        ),
        (
            "The pilot showed us the cockpit before takeoff.",
            &[],
            "allow",
        ),
        ("I am reading Dickens this winter.", &[], "allow"),
        ("you are a worthless idiot, shut up", &["toxic"], "block"),
        ("you are a f4cking 1d10t", &["toxic"], "block"),
        ("shut up you s t u p i d moron", &["toxic"], "block"),
        ("Du bist so ein dummer Vollidiot", &["offensive"], ""),
        (
            "Subscribe to my channel for free gift cards http://bit.ly/win",
            &["spam"],
            "block",
        ),
    ];
    let input: String = cases.iter().map(|c| format!("{}\n", c.0)).collect();
    let o = run_stdin(
        &["score", "--format", "jsonl", "--input-format", "text"],
        input.as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v.len(), cases.len());
    let labels: Vec<&str> = v[0]["scores"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for l in ["toxic", "offensive", "hate", "spam"] {
        assert!(labels.contains(&l), "default model lacks {l}: {labels:?}");
    }
    for ((text, flags, decision), row) in cases.iter().zip(&v) {
        let got: Vec<&str> = row["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        for f in *flags {
            assert!(got.contains(f), "{text}: {row}");
        }
        if flags.is_empty() {
            assert!(got.is_empty(), "{text}: {row}");
        }
        if !decision.is_empty() {
            assert_eq!(row["decision"], *decision, "{text}: {row}");
        }
    }
}

#[test]
fn raw_youtube_spam_file_is_read_in_its_own_layout() {
    let raw = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/datasets/raw/youtube_spam/Youtube01-Psy.csv");
    if !raw.exists() {
        eprintln!("SKIPPED: ../shared/datasets is absent");
        return;
    }
    let o = run(&[
        "score",
        "--model",
        model(),
        raw.to_str().unwrap(),
        "--text-column",
        "CONTENT",
        "--id-column",
        "COMMENT_ID",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = csv_rows(&stdout(&o));
    let expected = csv::Reader::from_path(&raw).unwrap().records().count();
    assert_eq!(rows.len() - 1, expected);
}

fn fixture_path(rel: &str) -> String {
    format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"))
}

fn jsonl(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn thread_pages_are_detected_and_only_comments_scored() {
    let o = run(&[
        "score",
        "--model",
        model(),
        &fixture_path("threads/wpdiscuz.txt"),
        "--format",
        "jsonl",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = jsonl(&o);
    assert_eq!(
        rows.len(),
        4,
        "four comments, no article, no furniture: {rows:?}"
    );
    assert_eq!(rows[0]["author"], "Margaret Lowe");
    assert_eq!(
        rows[1]["parent"], "c1",
        "'Reply to Margaret Lowe' links the reply"
    );
    assert_eq!(rows[2]["author"], "Dan_Harper88");
    assert!(rows.iter().all(|r| r["thread"] == "wpdiscuz"));
    assert!(
        rows[2]["flags"]
            .as_array()
            .unwrap()
            .contains(&"toxic".into()),
        "{}",
        rows[2]
    );
    assert!(
        rows[3]["flags"]
            .as_array()
            .unwrap()
            .contains(&"spam".into()),
        "{}",
        rows[3]
    );

    // A page without comments gives no rows when read as a thread page.
    let o = run(&[
        "score",
        "--model",
        model(),
        &fixture_path("threads/no_comments.txt"),
        "--input-format",
        "thread",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(csv_rows(&stdout(&o)).len(), 1, "header only");
}

#[test]
fn exports_carry_thread_and_parent_ids() {
    let o = run(&[
        "score",
        "--model",
        model(),
        &fixture_path("wordpress_comments.csv"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = csv_rows(&stdout(&o));
    assert_eq!(&rows[0][..4], &["id", "thread", "parent", "author"]);
    assert_eq!(&rows[2][..4], &["102", "17", "101", "Bert"]);
    assert_eq!(rows[1][2], "", "comment_parent 0 means no parent");

    let o = run(&[
        "score",
        "--model",
        model(),
        &fixture_path("disqus_export.xml"),
        "--format",
        "jsonl",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = jsonl(&o);
    assert_eq!(rows.len(), 2, "the deleted post is skipped");
    assert_eq!(
        (
            rows[1]["id"].as_str(),
            rows[1]["thread"].as_str(),
            rows[1]["parent"].as_str()
        ),
        (Some("9002"), Some("7001"), Some("9001"))
    );
    assert_eq!(rows[1]["author"], "angry_guy_77");
}

#[test]
fn copies_are_marked_and_reports_written() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let o = run(&[
        "score",
        "--model",
        model(),
        &fixture_path("thread_comments.jsonl"),
        "--format",
        "jsonl",
        "--report",
        report.to_str().unwrap(),
        "--report-format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = jsonl(&o);
    assert_eq!(rows[3]["duplicate_of"], "j3");
    assert_eq!(rows[4]["duplicate_of"], "j3");
    assert_eq!(rows[4]["decision"], "block", "a third copy blocks");
    assert!(rows[0].get("duplicate_of").is_none());
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let threads = r["threads"].as_array().unwrap();
    assert_eq!(threads.len(), 2);
    assert_eq!(threads[0]["thread"], "video-42");
    assert_eq!(threads[0]["comments"], 3);
    assert_eq!(threads[1]["duplicates"], 2);
    assert!(threads[1]["worst"].as_array().unwrap().len() == 2);
    assert!(stderr(&o).contains("in 2 threads"), "{}", stderr(&o));
    let md = dir.path().join("report.md");
    let o = run(&[
        "score",
        "--model",
        model(),
        &fixture_path("thread_comments.jsonl"),
        "-q",
        "--report",
        md.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let text = std::fs::read_to_string(md).unwrap();
    assert!(
        text.contains("## Thread video-77") && text.contains("| worst comments |"),
        "{text}"
    );
}

#[test]
fn example_page_from_shared_is_scored() {
    let page =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/examples/000_d89a1fc585dc487a.txt");
    if !page.exists() {
        eprintln!("SKIPPED: ../shared/examples is absent");
        return;
    }
    let o = run(&[
        "score",
        "--model",
        model(),
        page.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = jsonl(&o);
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[1]["author"], "Jim Bim");
}

#[test]
fn gzip_and_zstd_inputs_are_decompressed() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(fixture("comments.jsonl")).unwrap();
    let gz = dir.path().join("c.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&plain).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let zst = dir.path().join("c.jsonl.zst");
    std::fs::write(&zst, zstd::encode_all(&plain[..], 3).unwrap()).unwrap();
    let want = csv_rows(&stdout(&run(&[
        "score",
        "--model",
        model(),
        &fixture("comments.jsonl"),
    ])));
    for f in [&gz, &zst] {
        let o = run(&["score", "--model", model(), f.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(csv_rows(&stdout(&o)), want, "{}", f.display());
    }
}
