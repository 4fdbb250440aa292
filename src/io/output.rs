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

/// Appends `p` rounded to 6 decimals to `out`, as `format!("{:.6}", rounded(p))` writes it:
/// for a probability in [0, 1] the digits of the integer number of millionths, without
/// floating-point formatting or an allocation (CSV output writes millions of them).
fn push_six_decimals(p: f32, out: &mut Vec<u8>) {
    if !(0.0..=1.0).contains(&p) || p.is_sign_negative() {
        // Not a probability (or -0.0, which formats with its sign): the general way.
        out.extend_from_slice(format!("{:.6}", rounded(p)).as_bytes());
        return;
    }
    // `rounded(p)` is the double nearest millionths / 10⁶, so its 6 decimals are exactly
    // those of `millionths`.
    let millionths = (p as f64 * 1e6).round() as u32;
    out.push(b'0' + (millionths / 1_000_000) as u8);
    out.push(b'.');
    let mut digits = [0u8; 6];
    let mut rest = millionths % 1_000_000;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.extend_from_slice(&digits);
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
    /// The row being written, and the bytes of one field: reused from row to row.
    record: csv::ByteRecord,
    field: Vec<u8>,
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
            record: csv::ByteRecord::new(),
            field: Vec::new(),
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
        let (rec, field) = (&mut self.record, &mut self.field);
        rec.clear();
        rec.push_field(comment.id.as_bytes());
        if self.threaded {
            for v in [&comment.thread, &comment.parent, &comment.author] {
                rec.push_field(v.as_deref().unwrap_or_default().as_bytes());
            }
        }
        for &p in &scored.probabilities {
            field.clear();
            push_six_decimals(p, field);
            rec.push_field(field);
        }
        field.clear();
        for (k, &i) in scored.verdict.flags.iter().enumerate() {
            if k > 0 {
                field.push(b';');
            }
            field.extend_from_slice(self.labels[i].as_bytes());
        }
        rec.push_field(field);
        rec.push_field(scored.verdict.decision.as_str().as_bytes());
        rec.push_field(
            scored
                .duplicate_of
                .as_deref()
                .unwrap_or_default()
                .as_bytes(),
        );
        if self.explain {
            rec.push_field(why_line(scored).as_bytes());
        }
        self.writer.write_byte_record(rec).map_err(csv_error)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn six(p: f32) -> String {
        let mut out = Vec::new();
        push_six_decimals(p, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn six_decimals_are_those_of_the_general_formatting() {
        let general = |p: f32| format!("{:.6}", rounded(p));
        // Every millionth, and the floats on either side of each half-millionth, where
        // rounding turns.
        for n in 0..=1_000_000u32 {
            let at = (n as f64 / 1e6) as f32;
            let half = ((n as f64 + 0.5) / 1e6) as f32;
            // The floats either side of `half` (positive) by their bits: `next_up` is newer than
            // the crate's minimum Rust.
            let (below, above) = (
                f32::from_bits(half.to_bits() - 1),
                f32::from_bits(half.to_bits() + 1),
            );
            for p in [at, half, below, above] {
                if (0.0..=1.0).contains(&p) {
                    assert_eq!(six(p), general(p), "{p:e}");
                }
            }
        }
        for p in [
            0.0,
            1.0,
            f32::MIN_POSITIVE,
            1e-30,
            0.9999995,
            0.99999994,
            f32::from_bits(1.0f32.to_bits() - 1),
        ] {
            assert_eq!(six(p), general(p), "{p:e}");
        }
        // Outside [0, 1] (never a probability) it is the general formatting too.
        for p in [-0.0, -1e-9, 1.5, f32::NAN, f32::INFINITY] {
            assert_eq!(six(p), general(p), "{p:e}");
        }
        assert_eq!(six(0.25), "0.250000");
        assert_eq!(six(1.0), "1.000000");
    }
}
