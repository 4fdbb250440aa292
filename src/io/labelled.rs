//! Labelled CSV files for training and evaluation: text column and label columns detected or
//! chosen, label columns mapped to model labels, several files merged into one training set in
//! which a label missing from a file is unknown (not negative) for that file's rows.

use super::readers::{
    check_encoding, find_id_column, find_text_column, read_headers, record_line, unclosed_quote,
};
use crate::error::{Error, Result};
use crate::model::card::TrainingFile;
use sha2::{Digest, Sha256};
use std::path::Path;

/// A labelled input: its path and optional `label=column` mappings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledSpec {
    pub path: String,
    /// Pairs of (model label, column in this file).
    pub mapping: Vec<(String, String)>,
}

impl LabelledSpec {
    /// Parses `file.csv` or `file.csv:label=column,label2=column2`.
    pub fn parse(s: &str) -> Result<Self> {
        if let Some((path, maps)) = s.rsplit_once(':') {
            if maps.contains('=') && !path.is_empty() {
                let mut mapping = Vec::new();
                for pair in maps.split(',') {
                    let (label, column) = pair.split_once('=').ok_or_else(|| {
                        Error::Config(format!("'{pair}' in '{s}' is not label=column"))
                    })?;
                    let (label, column) = (label.trim(), column.trim());
                    if label.is_empty() || column.is_empty() {
                        return Err(Error::Config(format!(
                            "'{pair}' in '{s}' is not label=column"
                        )));
                    }
                    mapping.push((label.to_string(), column.to_string()));
                }
                return Ok(LabelledSpec {
                    path: path.to_string(),
                    mapping,
                });
            }
        }
        Ok(LabelledSpec {
            path: s.to_string(),
            mapping: Vec::new(),
        })
    }
}

/// A label value that is none of 0/1, true/false, yes/no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidLabel;

/// Parses a label value: 0/1, true/false, yes/no (any case); empty means unknown.
pub fn parse_label(value: &str) -> std::result::Result<Option<bool>, InvalidLabel> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "1" | "1.0" | "true" | "yes" | "y" | "t" => Ok(Some(true)),
        "0" | "0.0" | "false" | "no" | "n" | "f" => Ok(Some(false)),
        _ => Err(InvalidLabel),
    }
}

/// One label column of a file, already mapped to a model label.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelColumn {
    /// The model label.
    pub label: String,
    /// The column it was read from.
    pub column: String,
    /// Value per kept row; `None` when empty.
    pub values: Vec<Option<bool>>,
}

/// A row that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub line: u64,
    pub reason: String,
}

/// The usable content of one labelled file.
#[derive(Debug, Clone)]
pub struct LabelledFile {
    pub path: String,
    pub sha256: String,
    pub ids: Vec<String>,
    pub texts: Vec<String>,
    /// Line of each kept row.
    pub lines: Vec<u64>,
    pub columns: Vec<LabelColumn>,
    pub rejected: Vec<Rejected>,
    /// Things the user should know that do not stop training (columns left out, ...).
    pub notes: Vec<String>,
}

/// Reads a labelled CSV file. `wanted` restricts (and requires) model labels; without it every
/// column whose values are all 0/1, true/false or yes/no is a label.
pub fn read_labelled(
    spec: &LabelledSpec,
    text_column: Option<&str>,
    wanted: Option<&[String]>,
) -> Result<LabelledFile> {
    let path = Path::new(&spec.path);
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_labelled(&bytes, spec, text_column, wanted)
}

/// Share of a column's non-empty values that must be labels for it to be named as a likely
/// label column left out (rather than ignored as an ordinary column).
const LIKELY_LABEL_SHARE: f64 = 0.9;

/// Parses the bytes of a labelled CSV file; `spec.path` names it in messages.
pub fn parse_labelled(
    bytes: &[u8],
    spec: &LabelledSpec,
    text_column: Option<&str>,
    wanted: Option<&[String]>,
) -> Result<LabelledFile> {
    let path = Path::new(&spec.path);
    check_encoding(bytes).map_err(|m| Error::input(path, m))?;
    let sha256 = format!("{:x}", Sha256::digest(bytes));
    let delimiter = if spec.path.to_ascii_lowercase().ends_with(".tsv") {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes);
    let headers = read_headers(&mut reader, path)?;
    let text_idx = find_text_column(&headers, text_column, path)?;
    let id_idx = find_id_column(&headers, None, path)?;
    let lower: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
    let column_of = |name: &str| lower.iter().position(|h| *h == name.trim().to_lowercase());

    // (model label, column index) pairs to read.
    let mut candidates: Vec<(String, usize)> = Vec::new();
    for (label, column) in &spec.mapping {
        let idx = column_of(column).ok_or_else(|| {
            Error::input(
                path,
                format!(
                    "no column named '{column}' (mapped to label '{label}'); columns are: {}",
                    headers.join(", ")
                ),
            )
        })?;
        candidates.push((label.clone(), idx));
    }
    let mapped_labels: Vec<String> = candidates.iter().map(|c| c.0.clone()).collect();
    match wanted {
        Some(labels) => {
            for l in labels {
                if mapped_labels.contains(l) {
                    continue;
                }
                if let Some(idx) = column_of(l) {
                    candidates.push((l.clone(), idx));
                }
            }
        }
        None if spec.mapping.is_empty() => {
            for (i, h) in headers.iter().enumerate() {
                if i != text_idx && Some(i) != id_idx {
                    candidates.push((h.trim().to_string(), i));
                }
            }
        }
        None => {}
    }

    let quotes = bytes.iter().filter(|&&b| b == b'"').count() as u64;
    let line_of = |p: &csv::Position| {
        let at = p.byte() as usize;
        let crlf_end = at > 0 && bytes.get(at) == Some(&b'\n') && bytes[at - 1] == b'\r';
        record_line(p.line(), crlf_end)
    };
    let mut records = Vec::new();
    let mut rejected = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, line_of);
                let at_end = reader.position().byte() as usize >= bytes.len();
                let last_line = reader.position().line().saturating_sub(1);
                if let Some(reason) = unclosed_quote(quotes, at_end, line, last_line) {
                    rejected.push(Rejected { line, reason });
                    continue;
                }
                if record.len() != headers.len() {
                    rejected.push(Rejected {
                        line,
                        reason: format!(
                            "row has {} fields but the header has {}",
                            record.len(),
                            headers.len()
                        ),
                    });
                    continue;
                }
                // A compact copy: `clone` would copy the reader's whole field buffer, which is
                // as large as the longest row so far (9 GB of copies for 1M rows).
                records.push((line, record.iter().collect::<csv::ByteRecord>()));
            }
            Err(e) => rejected.push(Rejected {
                line: e.position().map_or(0, line_of),
                reason: e.to_string(),
            }),
        }
    }

    // Without explicit labels, keep the candidate columns whose values all parse, and name
    // the ones that almost do: a typo in a label column must not drop the label silently.
    let explicit = wanted.is_some() || !spec.mapping.is_empty();
    let mut notes = Vec::new();
    if !explicit {
        candidates.retain(|(name, idx)| {
            let (mut labels, mut invalid, mut first_bad) = (0usize, 0usize, None);
            for (line, r) in &records {
                let v = std::str::from_utf8(&r[*idx]).unwrap_or("\u{FFFD}");
                match parse_label(v) {
                    Ok(Some(_)) => labels += 1,
                    Ok(None) => {}
                    Err(InvalidLabel) => {
                        invalid += 1;
                        first_bad.get_or_insert((*line, v.chars().take(40).collect::<String>()));
                    }
                }
            }
            if invalid > 0 && labels as f64 >= LIKELY_LABEL_SHARE * (labels + invalid) as f64 {
                if let Some((line, value)) = first_bad {
                    notes.push(format!(
                        "{}: column '{name}' looks like a label but {invalid} of its values are not 0/1, true/false or yes/no (first: line {line}, '{value}'); it is left out. Name it with --labels to train it and refuse those rows",
                        spec.path
                    ));
                }
            }
            invalid == 0 && labels > 0
        });
    }

    let mut ids = Vec::with_capacity(records.len());
    let mut texts = Vec::with_capacity(records.len());
    let mut lines = Vec::with_capacity(records.len());
    let mut columns: Vec<LabelColumn> = candidates
        .iter()
        .map(|(label, idx)| LabelColumn {
            label: label.clone(),
            column: headers[*idx].trim().to_string(),
            values: Vec::with_capacity(records.len()),
        })
        .collect();
    'rows: for (row_no, (line, r)) in records.iter().enumerate() {
        let text = match std::str::from_utf8(&r[text_idx]) {
            Ok(t) => t,
            Err(_) => {
                rejected.push(Rejected {
                    line: *line,
                    reason: "text is not valid UTF-8".into(),
                });
                continue;
            }
        };
        let mut values = Vec::with_capacity(candidates.len());
        for (label, idx) in &candidates {
            let raw = String::from_utf8_lossy(&r[*idx]);
            match parse_label(&raw) {
                Ok(v) => values.push(v),
                Err(InvalidLabel) => {
                    rejected.push(Rejected {
                        line: *line,
                        reason: format!(
                            "label '{label}' (column '{}') has value '{}'; expected 0/1, true/false or yes/no",
                            headers[*idx].trim(),
                            raw.chars().take(40).collect::<String>()
                        ),
                    });
                    continue 'rows;
                }
            }
        }
        ids.push(id_idx.map_or_else(
            || (row_no + 1).to_string(),
            |i| String::from_utf8_lossy(&r[i]).into_owned(),
        ));
        texts.push(text.to_string());
        lines.push(*line);
        for (c, v) in columns.iter_mut().zip(values) {
            c.values.push(v);
        }
    }
    rejected.sort_by_key(|r| r.line);
    Ok(LabelledFile {
        path: spec.path.clone(),
        sha256,
        ids,
        texts,
        lines,
        columns,
        rejected,
        notes,
    })
}

/// Labelled comments from one or more files, ready for training.
#[derive(Debug, Clone, Default)]
pub struct TrainingSet {
    pub texts: Vec<String>,
    /// Model labels, in output order.
    pub labels: Vec<String>,
    /// `targets[label][row]`: `None` where the row's file does not carry the label.
    pub targets: Vec<Vec<Option<bool>>>,
    /// What each file contributed.
    pub files: Vec<TrainingFile>,
    /// Rejected rows per file path.
    pub rejected: Vec<(String, Rejected)>,
    /// Things the user should know that did not stop reading (see [`LabelledFile::notes`]).
    pub notes: Vec<String>,
}

impl TrainingSet {
    /// Reads and merges labelled files.
    pub fn read(
        specs: &[LabelledSpec],
        text_column: Option<&str>,
        labels: Option<&[String]>,
    ) -> Result<Self> {
        let files = specs
            .iter()
            .map(|s| read_labelled(s, text_column, labels))
            .collect::<Result<Vec<_>>>()?;
        Self::merge(files, labels)
    }

    /// Merges files already read.
    pub fn merge(files: Vec<LabelledFile>, labels: Option<&[String]>) -> Result<Self> {
        let mut names: Vec<String> = labels.map(<[String]>::to_vec).unwrap_or_default();
        if labels.is_none() {
            for f in &files {
                for c in &f.columns {
                    if !names.contains(&c.label) {
                        names.push(c.label.clone());
                    }
                }
            }
        }
        if files.iter().all(|f| f.texts.is_empty()) {
            let refused: Vec<String> = files
                .iter()
                .flat_map(|f| f.rejected.iter().map(move |r| (f, r)))
                .take(3)
                .map(|(f, r)| format!("{}:{}: {}", f.path, r.line, r.reason))
                .collect();
            let count: usize = files.iter().map(|f| f.rejected.len()).sum();
            return Err(Error::Training(if count == 0 {
                "the input has no rows".into()
            } else {
                format!(
                    "no usable rows: all {count} were refused; first: {}",
                    refused.join("; ")
                )
            }));
        }
        if names.is_empty() {
            return Err(Error::Training(
                "no label columns found: name them with --labels, or give columns of 0/1, true/false or yes/no values".into(),
            ));
        }
        for name in &names {
            if !files
                .iter()
                .any(|f| f.columns.iter().any(|c| &c.label == name))
            {
                return Err(Error::Training(format!(
                    "label '{name}' is in none of the input files"
                )));
            }
        }
        let mut set = TrainingSet {
            labels: names.clone(),
            targets: vec![Vec::new(); names.len()],
            ..Default::default()
        };
        let mut origins: Vec<(usize, u64)> = Vec::new();
        for (file_no, f) in files.into_iter().enumerate() {
            let n = f.texts.len();
            origins.extend(f.lines.iter().map(|&l| (file_no, l)));
            set.notes.extend(f.notes.iter().cloned());
            for (li, name) in names.iter().enumerate() {
                match f.columns.iter().find(|c| &c.label == name) {
                    Some(c) => set.targets[li].extend_from_slice(&c.values),
                    None => set.targets[li].extend(std::iter::repeat_n(None, n)),
                }
            }
            set.files.push(TrainingFile {
                path: f.path.clone(),
                sha256: f.sha256.clone(),
                rows: n as u64,
                rejected: f.rejected.len() as u64,
                labels: f
                    .columns
                    .iter()
                    .filter(|c| names.contains(&c.label))
                    .map(|c| {
                        if c.label == c.column {
                            c.label.clone()
                        } else {
                            format!("{}={}", c.label, c.column)
                        }
                    })
                    .collect(),
            });
            set.rejected
                .extend(f.rejected.into_iter().map(|r| (f.path.clone(), r)));
            set.texts.extend(f.texts);
        }
        set.drop_conflicting_labels(&origins);
        Ok(set)
    }

    /// Where the same text carries a label both ways, the label is unknown for all its copies
    /// (each is still used for its other labels); a note counts them and names the first.
    fn drop_conflicting_labels(&mut self, origins: &[(usize, u64)]) {
        let mut copies: rustc_hash::FxHashMap<&str, Vec<usize>> = Default::default();
        for (row, text) in self.texts.iter().enumerate() {
            copies.entry(text.trim()).or_default().push(row);
        }
        let mut groups: Vec<&Vec<usize>> = copies.values().filter(|rows| rows.len() > 1).collect();
        groups.sort_unstable_by_key(|rows| rows[0]);
        let place = |row: usize| {
            let (file, line) = origins[row];
            format!("{}:{line}", self.files[file].path)
        };
        for (label, targets) in self.labels.iter().zip(self.targets.iter_mut()) {
            let mut conflicting = 0usize;
            let mut examples = Vec::new();
            for rows in &groups {
                let has = |want: bool| rows.iter().any(|&r| targets[r] == Some(want));
                if has(true) && has(false) {
                    conflicting += 1;
                    if examples.len() < 3 {
                        let at: Vec<String> = rows.iter().take(3).map(|&r| place(r)).collect();
                        examples.push(at.join(" and "));
                    }
                    for &r in rows.iter() {
                        targets[r] = None;
                    }
                }
            }
            if conflicting > 0 {
                self.notes.push(format!(
                    "{conflicting} text(s) carry label '{label}' both ways (for example {}); '{label}' is left unknown for every copy of them",
                    examples.join("; ")
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(content: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        f.write_all(content.as_bytes()).unwrap();
        f
    }

    #[test]
    fn parses_specs_with_mappings() {
        let s = LabelledSpec::parse("data/a.csv:offensive=abusive,hate=hs").unwrap();
        assert_eq!(s.path, "data/a.csv");
        assert_eq!(
            s.mapping,
            vec![
                ("offensive".into(), "abusive".into()),
                ("hate".into(), "hs".into())
            ]
        );
        assert_eq!(LabelledSpec::parse("C:/x.csv").unwrap().mapping, vec![]);
        assert!(LabelledSpec::parse("a.csv:=x").is_err());
    }

    #[test]
    fn detects_label_columns_and_rejects_bad_values() {
        let f =
            file("id,comment,toxic,spam,score\n1,hi,0,no,0.3\n2,bad,1,yes,0.9\n3,x,maybe,no,0.1\n");
        let spec = LabelledSpec::parse(f.path().to_str().unwrap()).unwrap();
        // 'toxic' has 'maybe' so auto-detection drops it; 'score' is not boolean.
        let lf = read_labelled(&spec, None, None).unwrap();
        let labels: Vec<&str> = lf.columns.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, vec!["spam"]);
        // Asked for explicitly, 'toxic' is read and the bad row is rejected with its line.
        let lf = read_labelled(&spec, None, Some(&["toxic".to_string()])).unwrap();
        assert_eq!(lf.texts, vec!["hi", "bad"]);
        assert_eq!(lf.rejected.len(), 1);
        assert_eq!(lf.rejected[0].line, 4);
        assert!(lf.rejected[0].reason.contains("maybe"));
    }

    fn parse(name: &str, content: &str) -> LabelledFile {
        parse_labelled(
            content.as_bytes(),
            &LabelledSpec::parse(name).unwrap(),
            None,
            None,
        )
        .unwrap()
    }

    #[test]
    fn a_nearly_boolean_column_is_named_not_dropped_silently() {
        let mut csv = String::from("text,toxic\r\n");
        for i in 0..20 {
            csv.push_str(&format!("comment {i},{}\r\n", i % 2));
        }
        csv.push_str("odd one,maybe\r\n");
        let lf = parse("n.csv", &csv);
        assert!(lf.columns.is_empty());
        assert_eq!(lf.notes.len(), 1, "{:?}", lf.notes);
        assert!(
            lf.notes[0].contains("column 'toxic' looks like a label")
                && lf.notes[0].contains("line 22, 'maybe'"),
            "{}",
            lf.notes[0]
        );
    }

    #[test]
    fn an_unclosed_quote_is_refused_with_its_line() {
        let lf = parse("q.csv", "text,toxic\nfine,0\n\"open,1\nswallowed,0\n");
        assert_eq!(lf.texts, vec!["fine"]);
        assert_eq!(lf.rejected.len(), 1);
        assert_eq!(lf.rejected[0].line, 3);
        assert!(lf.rejected[0].reason.contains("never closed"));
    }

    #[test]
    fn conflicting_copies_leave_that_label_unknown() {
        let a = parse("a.csv", "text,toxic,spam\nsame words,1,0\nother,0,0\n");
        let b = parse("b.csv", "text,toxic,spam\n same words ,0,0\nother,0,1\n");
        let set = TrainingSet::merge(vec![a, b], None).unwrap();
        assert_eq!(set.labels, vec!["toxic", "spam"]);
        assert_eq!(set.targets[0], vec![None, Some(false), None, Some(false)]);
        assert_eq!(set.targets[1], vec![Some(false), None, Some(false), None]);
        assert_eq!(set.notes.len(), 2, "{:?}", set.notes);
        assert!(
            set.notes[0].contains("a.csv:2 and b.csv:2"),
            "{}",
            set.notes[0]
        );
    }

    #[test]
    fn merging_leaves_missing_labels_unknown() {
        let a = file("text,toxic\nyou fool,1\nhello,0\n");
        let b = file("text,spam\nbuy now,1\n");
        let specs: Vec<LabelledSpec> = [a.path(), b.path()]
            .iter()
            .map(|p| LabelledSpec::parse(p.to_str().unwrap()).unwrap())
            .collect();
        let set = TrainingSet::read(&specs, None, None).unwrap();
        assert_eq!(set.labels, vec!["toxic", "spam"]);
        assert_eq!(set.targets[0], vec![Some(true), Some(false), None]);
        assert_eq!(set.targets[1], vec![None, None, Some(true)]);
        assert_eq!(set.files.len(), 2);
        assert_eq!(set.files[0].sha256.len(), 64);
    }

    #[test]
    fn mapping_renames_a_column() {
        let a = file("text,abusive\nyou fool,1\nhello,0\n");
        let spec =
            LabelledSpec::parse(&format!("{}:offensive=abusive", a.path().display())).unwrap();
        let set = TrainingSet::read(&[spec], None, None).unwrap();
        assert_eq!(set.labels, vec!["offensive"]);
        assert_eq!(set.files[0].labels, vec!["offensive=abusive"]);
    }
}
