//! Writers of scored comments: CSV (`id,<label>...,flags,decision[,why]`) and JSON Lines.

use crate::error::{Error, Result};
use crate::io::Comment;
use crate::model::Scored;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::io::Write;
use std::str::FromStr;

/// Output formats of `score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Csv,
    Jsonl,
}

impl FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(OutputFormat::Csv),
            "jsonl" | "ndjson" => Ok(OutputFormat::Jsonl),
            other => Err(format!(
                "unknown output format '{other}' (use csv or jsonl)"
            )),
        }
    }
}

/// Where scored comments go.
pub trait ScoreSink {
    /// Writes one scored comment.
    fn write(&mut self, comment: &Comment, scored: &Scored) -> Result<()>;
    /// Flushes everything written.
    fn finish(&mut self) -> Result<()>;
}

fn output_error(e: std::io::Error) -> Error {
    Error::io("<output>", e)
}

fn csv_error(e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => output_error(io),
        other => Error::Output(format!("{other:?}")),
    }
}

/// A probability rounded to 6 decimals for output.
fn rounded(p: f32) -> f64 {
    (p as f64 * 1e6).round() / 1e6
}

/// Explanations in one line: `toxic: idiot (+1.23), moron (+0.80); spam: ...`.
pub fn why_line(scored: &Scored) -> String {
    scored
        .explanations
        .iter()
        .map(|e| {
            let tokens: Vec<String> = e
                .tokens
                .iter()
                .map(|t| format!("{} (+{:.2})", t.cue.as_deref().unwrap_or(&t.text), t.weight))
                .collect();
            format!("{}: {}", e.label, tokens.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// CSV writer.
pub struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
    labels: Vec<String>,
    explain: bool,
    threaded: bool,
    header_written: bool,
}

impl<W: Write> CsvSink<W> {
    /// A CSV writer for `labels`; `threaded` adds `thread`, `parent` and `author` columns,
    /// `explain` a `why` column.
    pub fn new(out: W, labels: Vec<String>, explain: bool, threaded: bool) -> Self {
        CsvSink {
            writer: csv::Writer::from_writer(out),
            labels,
            explain,
            threaded,
            header_written: false,
        }
    }

    fn header(&mut self) -> Result<()> {
        let mut h = vec!["id".to_string()];
        if self.threaded {
            h.extend(["thread".into(), "parent".into(), "author".into()]);
        }
        h.extend(self.labels.iter().cloned());
        h.push("flags".into());
        h.push("decision".into());
        h.push("duplicate_of".into());
        if self.explain {
            h.push("why".into());
        }
        self.writer.write_record(&h).map_err(csv_error)?;
        self.header_written = true;
        Ok(())
    }
}

impl<W: Write> ScoreSink for CsvSink<W> {
    fn write(&mut self, comment: &Comment, scored: &Scored) -> Result<()> {
        if !self.header_written {
            self.header()?;
        }
        let mut rec = Vec::with_capacity(self.labels.len() + 8);
        rec.push(comment.id.clone());
        if self.threaded {
            for v in [&comment.thread, &comment.parent, &comment.author] {
                rec.push(v.clone().unwrap_or_default());
            }
        }
        rec.extend(
            scored
                .probabilities
                .iter()
                .map(|&p| format!("{:.6}", rounded(p))),
        );
        rec.push(
            scored
                .verdict
                .flags
                .iter()
                .map(|&i| self.labels[i].as_str())
                .collect::<Vec<_>>()
                .join(";"),
        );
        rec.push(scored.verdict.decision.to_string());
        rec.push(scored.duplicate_of.clone().unwrap_or_default());
        if self.explain {
            rec.push(why_line(scored));
        }
        self.writer.write_record(&rec).map_err(csv_error)
    }

    fn finish(&mut self) -> Result<()> {
        if !self.header_written {
            self.header()?;
        }
        self.writer.flush().map_err(output_error)
    }
}

/// JSON Lines writer.
pub struct JsonlSink<W: Write> {
    out: W,
    labels: Vec<String>,
}

impl<W: Write> JsonlSink<W> {
    /// A JSON Lines writer for `labels`.
    pub fn new(out: W, labels: Vec<String>) -> Self {
        JsonlSink { out, labels }
    }

    /// The writer, back.
    pub fn into_inner(self) -> W {
        self.out
    }
}

struct Scores<'a>(&'a [String], &'a [f32]);

impl Serialize for Scores<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (l, &p) in self.0.iter().zip(self.1) {
            m.serialize_entry(l, &rounded(p))?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct JsonRow<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    thread: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<&'a str>,
    scores: Scores<'a>,
    flags: Vec<&'a str>,
    decision: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    duplicate_of: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    why: &'a [crate::moderate::LabelExplanation],
}

impl<W: Write> ScoreSink for JsonlSink<W> {
    fn write(&mut self, comment: &Comment, scored: &Scored) -> Result<()> {
        let row = JsonRow {
            id: &comment.id,
            thread: comment.thread.as_deref(),
            parent: comment.parent.as_deref(),
            author: comment.author.as_deref(),
            duplicate_of: scored.duplicate_of.as_deref(),
            scores: Scores(&self.labels, &scored.probabilities),
            flags: scored
                .verdict
                .flags
                .iter()
                .map(|&i| self.labels[i].as_str())
                .collect(),
            decision: scored.verdict.decision.as_str(),
            why: &scored.explanations,
        };
        serde_json::to_writer(&mut self.out, &row).map_err(|e| match e.io_error_kind() {
            Some(kind) => output_error(std::io::Error::from(kind)),
            None => Error::Output(e.to_string()),
        })?;
        self.out.write_all(b"\n").map_err(output_error)
    }

    fn finish(&mut self) -> Result<()> {
        self.out.flush().map_err(output_error)
    }
}
