//! The bad-input corpus: every kind of broken file a pipeline sees, each with the behaviour
//! it must get. Scoring never loses a comment (every row is scored or reported, and the
//! summary says read = scored + errors); a file that cannot be read at all fails naming the
//! file and why; training refuses what it cannot use and says so.

mod common;

use common::{bin, csv_rows, run, stderr, stdout};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

/// One case of the corpus.
struct Case {
    name: &'static str,
    file: &'static str,
    bytes: Vec<u8>,
    extra: &'static [&'static str],
    /// Exit code: 0 all scored, 1 unreadable input, 2 usage error, 3 some rows in error.
    code: i32,
    /// Output rows (without the header) when the run gets that far.
    rows: Option<usize>,
    /// Each of these must appear on standard error.
    messages: &'static [&'static str],
}

fn corpus() -> Vec<Case> {
    let long_comment = {
        let mut s = b"id,text\n1,\"".to_vec();
        while s.len() < 10 << 20 {
            s.extend_from_slice(b"a long comment, with \"\"quotes\"\" and idiot words. ");
        }
        s.extend_from_slice(b"\"\n");
        s
    };
    vec![
        Case {
            name: "invalid UTF-8 in one row",
            file: "utf8.csv",
            bytes: b"id,text\n1,fine\n2,bad \xff\xfe bytes\n3,fine too\n".to_vec(),
            extra: &[],
            code: 3,
            rows: Some(2),
            messages: &["utf8.csv:3: text is not valid UTF-8"],
        },
        Case {
            name: "ragged rows",
            file: "ragged.csv",
            bytes: b"id,text\n1,fine\n2,one,too many\n3\n4,fine\n".to_vec(),
            extra: &[],
            code: 3,
            rows: Some(2),
            messages: &[
                "ragged.csv:3: row has 3 fields but the header has 2",
                "ragged.csv:4: row has 1 fields but the header has 2",
            ],
        },
        Case {
            name: "a quote never closed",
            file: "quote.csv",
            bytes: b"id,text\n1,fine\n2,\"opened\n3,swallowed\n4,too\n".to_vec(),
            extra: &[],
            code: 3,
            rows: Some(1),
            messages: &["quote.csv:3: a quote opened on line 3 is never closed"],
        },
        Case {
            name: "no text column",
            file: "nocol.csv",
            bytes: b"id,words\n1,hello\n".to_vec(),
            extra: &[],
            code: 1,
            rows: None,
            messages: &["nocol.csv: no text column found", "--text-column"],
        },
        Case {
            name: "empty file",
            file: "empty.csv",
            bytes: Vec::new(),
            extra: &[],
            code: 1,
            rows: None,
            messages: &["empty.csv: empty file"],
        },
        Case {
            name: "empty file of unknown format",
            file: "empty",
            bytes: Vec::new(),
            extra: &[],
            code: 1,
            rows: None,
            messages: &["empty: input is empty"],
        },
        Case {
            name: "header only",
            file: "header.csv",
            bytes: b"id,text\n".to_vec(),
            extra: &[],
            code: 0,
            rows: Some(0),
            messages: &["read 0, scored 0, errors 0"],
        },
        Case {
            name: "byte-order mark",
            file: "bom.csv",
            bytes: b"\xEF\xBB\xBFid,text\nb1,hello\n".to_vec(),
            extra: &[],
            code: 0,
            rows: Some(1),
            messages: &[],
        },
        Case {
            name: "CRLF line ends, errors on the right line",
            file: "crlf.csv",
            bytes: b"id,text\r\n1,hello\r\n2,\"two\r\nlines\"\r\n3,\xff\r\n4,bye\r\n".to_vec(),
            extra: &[],
            code: 3,
            rows: Some(3),
            messages: &["crlf.csv:5: text is not valid UTF-8"],
        },
        Case {
            name: "newlines inside quoted fields",
            file: "multiline.csv",
            bytes: b"id,text\n1,\"first line\nsecond line, with a comma\n\nand more\"\n2,next\n"
                .to_vec(),
            extra: &[],
            code: 0,
            rows: Some(2),
            messages: &[],
        },
        Case {
            name: "NUL bytes inside a comment",
            file: "nul.csv",
            bytes: b"id,text\n1,nul\x00inside\n2,fine\n".to_vec(),
            extra: &[],
            code: 0,
            rows: Some(2),
            messages: &[],
        },
        Case {
            name: "binary data",
            file: "data.bin",
            bytes: (0u8..=255).cycle().take(5000).collect(),
            extra: &[],
            code: 1,
            rows: None,
            messages: &["data.bin: the file looks like binary data"],
        },
        Case {
            name: "UTF-16 with a byte-order mark",
            file: "utf16.csv",
            bytes: [0xFF, 0xFE]
                .into_iter()
                .chain("id,text\n1,hi\n".bytes().flat_map(|b| [b, 0]))
                .collect(),
            extra: &[],
            code: 1,
            rows: None,
            messages: &["utf16.csv: the file is UTF-16 text", "iconv"],
        },
        Case {
            name: "a single 10 MB comment",
            file: "long.csv",
            bytes: long_comment,
            extra: &[],
            code: 0,
            rows: Some(1),
            messages: &[],
        },
        Case {
            name: "JSON Lines with broken lines and missing fields",
            file: "broken.jsonl",
            bytes: b"{\"id\": 1, \"text\": \"fine\"}\n{\"id\": 2, \"text\": \n{\"id\": 3}\n[1, 2]\n{\"text\": 5}\n\n{\"text\": \"no id\"}\n"
                .to_vec(),
            extra: &[],
            code: 3,
            rows: Some(2),
            messages: &[
                "broken.jsonl:2: invalid JSON",
                "broken.jsonl:3: missing field 'text'",
                "broken.jsonl:4: expected a JSON object",
                "broken.jsonl:5: field 'text' is not a string",
            ],
        },
        Case {
            name: "invalid UTF-8 in a text file",
            file: "lines.txt",
            bytes: b"good line\n\xc3\x28 bad\nanother\n".to_vec(),
            extra: &[],
            code: 3,
            rows: Some(2),
            messages: &["lines.txt:2: line is not valid UTF-8"],
        },
        Case {
            name: "unknown input format",
            file: "x.csv",
            bytes: b"id,text\n1,a\n".to_vec(),
            extra: &["--input-format", "yaml"],
            code: 2,
            rows: None,
            messages: &["unknown input format 'yaml'"],
        },
        Case {
            name: "truncated gzip",
            file: "cut.csv.gz",
            bytes: {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), Default::default());
                writeln!(e, "id,text").unwrap();
                for i in 0..20000 {
                    writeln!(e, "{i},comment number {i}").unwrap();
                }
                let mut gz = e.finish().unwrap();
                gz.truncate(gz.len() / 2);
                gz
            },
            extra: &[],
            code: 1,
            rows: None,
            messages: &["cut.csv.gz"],
        },
    ]
}

/// The counts on the summary line: read, scored, errors.
fn summary(err: &str) -> Option<(u64, u64, u64)> {
    let line = err
        .lines()
        .find(|l| l.contains("read ") && l.contains("scored "))?;
    let num = |key: &str| -> Option<u64> {
        let at = line.find(key)? + key.len();
        line[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    Some((num("read ")?, num("scored ")?, num("errors ")?))
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn every_bad_input_gets_its_expected_answer() {
    let dir = tempfile::tempdir().unwrap();
    let model = common::trained_model();
    let mut failures = Vec::new();
    for case in corpus() {
        let path = write(dir.path(), case.file, &case.bytes);
        let path = path.to_str().unwrap();
        let mut args = vec!["score", "-m", model, path];
        args.extend_from_slice(case.extra);
        let o = run(&args);
        let (out, err) = (stdout(&o), stderr(&o));
        let mut problems = Vec::new();
        if o.status.code() != Some(case.code) {
            problems.push(format!("exit {:?}, want {}", o.status.code(), case.code));
        }
        if err.contains("panicked") {
            problems.push("panicked".into());
        }
        for m in case.messages {
            if !err.contains(m) {
                problems.push(format!("no message {m:?}"));
            }
        }
        if let Some(rows) = case.rows {
            let got = csv_rows(&out).len().saturating_sub(1);
            if got != rows {
                problems.push(format!("{got} rows, want {rows}"));
            }
            match summary(&err) {
                Some((read, scored, errors)) => {
                    if read != scored + errors || scored != rows as u64 {
                        problems.push(format!(
                            "summary read {read} scored {scored} errors {errors}"
                        ));
                    }
                    let reported = err
                        .lines()
                        .filter(|l| l.contains(case.file) && l.contains(':'))
                        .count() as u64;
                    if reported != errors {
                        problems.push(format!("{reported} errors reported, summary says {errors}"));
                    }
                }
                None => problems.push("no summary line".into()),
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n  stderr: {err}",
                case.name,
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_records_go_to_the_errors_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "mixed.csv",
        b"id,text\n1,fine\n2,a,b\n3,\xff\n4,fine\n",
    );
    for (name, check) in [
        ("errors.csv", "file,line,error\n"),
        ("errors.jsonl", "{\"error\":"),
    ] {
        let errors = dir.path().join(name);
        let o = run(&[
            "score",
            "-m",
            common::trained_model(),
            input.to_str().unwrap(),
            "--errors",
            errors.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(3));
        let err = stderr(&o);
        assert_eq!(summary(&err), Some((4, 2, 2)), "{err}");
        assert!(
            !err.contains("not valid UTF-8"),
            "records go to the file: {err}"
        );
        let records = std::fs::read_to_string(&errors).unwrap();
        assert!(records.starts_with(check), "{records}");
        assert!(records.contains("mixed.csv") && records.contains("not valid UTF-8"));
        let lines = records.lines().count() - usize::from(name.ends_with(".csv"));
        assert_eq!(lines, 2, "{records}");
    }
}

#[test]
fn training_refuses_what_it_cannot_use_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = String::from("text,toxic,spam\n");
    let words = [
        "you idiot",
        "lovely day",
        "buy cheap pills",
        "great point",
        "stupid",
    ];
    for i in 0..60 {
        let w = words[i % words.len()];
        let toxic = u8::from(w.contains("idiot") || w.contains("stupid"));
        let spam = u8::from(w.contains("buy"));
        let toxic = if i == 7 {
            "maybe".to_string()
        } else {
            toxic.to_string()
        };
        rows.push_str(&format!("{w} number {i},{toxic},{spam}\n"));
    }
    // The same text labelled both ways.
    rows.push_str("you idiot number 0,0,0\n");
    let input = write(dir.path(), "labels.csv", rows.as_bytes());
    let out = dir.path().join("m.model");
    let (input, out) = (input.to_str().unwrap(), out.to_str().unwrap());

    // Auto-detected labels: the nearly boolean column is named, not dropped silently.
    let o = run(&["train", "-i", input, "-o", out]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("column 'toxic' looks like a label") && err.contains("line 9, 'maybe'"),
        "{err}"
    );

    // Named labels: the bad row is refused with its line; the conflicting copies are named.
    let o = run(&["train", "-i", input, "-o", out, "--labels", "toxic,spam"]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("refused 1 rows") && err.contains("labels.csv:9: label 'toxic'"),
        "{err}"
    );
    assert!(
        err.contains("carry label 'toxic' both ways")
            && err.contains("labels.csv:2 and ")
            && err.contains("labels.csv:62"),
        "{err}"
    );

    // Nothing usable: a clear failure, and no model.
    let none = write(
        dir.path(),
        "none.csv",
        b"text,toxic\n\"never closed,1\nx,0\n",
    );
    let model = dir.path().join("none.model");
    let o = run(&[
        "train",
        "-i",
        none.to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("never closed"), "{}", stderr(&o));
    assert!(!model.exists());
}

/// A CSV file of `n` comments.
fn big_csv(dir: &Path, n: usize) -> PathBuf {
    let mut s = String::from("id,text\n");
    for i in 0..n {
        s.push_str(&format!(
            "{i},comment {i} about the article you idiot or not\n"
        ));
    }
    write(dir, "big.csv", s.as_bytes())
}

#[test]
fn a_closed_pipe_ends_scoring_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let input = big_csv(dir.path(), 200_000);
    let mut child = bin()
        .args([
            "score",
            "-m",
            common::trained_model(),
            input.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("id,"), "{first}");
    // Dropping the reader closes the pipe, as `| head -1` does.
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "nothing on stderr");
}

/// Sends SIGINT to a child process.
#[cfg(unix)]
fn interrupt(child: &std::process::Child) {
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -INT");
}

/// Waits until the child has written something to standard output.
#[cfg(unix)]
fn wait_for_output(stdout: &mut std::process::ChildStdout) -> Vec<u8> {
    let mut first = vec![0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    first
}

#[cfg(unix)]
#[test]
fn ctrl_c_ends_scoring_cleanly_after_the_rows_read() {
    let dir = tempfile::tempdir().unwrap();
    let n = 400_000;
    let input = big_csv(dir.path(), n);
    let mut child = bin()
        .args([
            "score",
            "-m",
            common::trained_model(),
            "--threads",
            "1",
            input.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut bytes = wait_for_output(&mut out);
    interrupt(&child);
    out.read_to_end(&mut bytes).unwrap();
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    let (read, scored, errors) = summary(&err).expect("a summary line");
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(read, scored + errors);
    assert!(read < n as u64, "stopped early: {err}");
    // Every row that was read was written whole.
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.ends_with('\n'));
    assert_eq!(csv_rows(&text).len() - 1, scored as usize);
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_training_leaves_no_model_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from("text,toxic\n");
    for i in 0..150_000 {
        let bad = i % 3 == 0;
        s.push_str(&format!(
            "comment {i} w{} w{} {}\n",
            i % 997,
            i % 1013,
            if bad { "you idiot,1" } else { "thanks,0" }
        ));
    }
    let input = write(dir.path(), "big-train.csv", s.as_bytes());
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let model = out_dir.join("m.model");
    let child = bin()
        .args([
            "train",
            "-i",
            input.to_str().unwrap(),
            "-o",
            model.to_str().unwrap(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    interrupt(&child);
    let o: Output = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted; nothing was written"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&out_dir).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[cfg(unix)]
#[test]
fn a_full_disk_during_training_leaves_no_model_behind() {
    // A file-size limit makes the model write fail part-way, as a full disk does.
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.model");
    let script = format!(
        "trap '' XFSZ; ulimit -f 16; exec '{}' train -q -i training-data/comments.csv -o '{}'",
        env!("CARGO_BIN_EXE_moderato"),
        model.display()
    );
    let o = std::process::Command::new("sh")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["-c", &script])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("m.model") && err.contains("File too large"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
