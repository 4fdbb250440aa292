//! Labelled CSV files for training and evaluation: text column and label columns detected or
//! chosen, label columns mapped to model labels, several files merged into one training set in
//! which a label missing from a file is unknown (not negative) for that file's rows.

use super::readers::{find_id_column, find_text_column, read_headers};
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
    pub columns: Vec<LabelColumn>,
    pub rejected: Vec<Rejected>,
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
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    let delimiter = if spec.path.to_ascii_lowercase().ends_with(".tsv") {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes.as_slice());
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
    let mapped_columns: Vec<usize> = candidates.iter().map(|c| c.1).collect();
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
    let _ = mapped_columns;

    let mut records = Vec::new();
    let mut rejected = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
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
                records.push((line, record.clone()));
            }
            Err(e) => rejected.push(Rejected {
                line: e.position().map_or(0, |p| p.line()),
                reason: e.to_string(),
            }),
        }
    }

    // Without explicit labels, keep the candidate columns whose values all parse.
    let explicit = wanted.is_some() || !spec.mapping.is_empty();
    if !explicit {
        candidates.retain(|&(_, idx)| {
            let mut any = false;
            let ok = records.iter().all(|(_, r)| {
                let v = std::str::from_utf8(&r[idx]).unwrap_or("?");
                match parse_label(v) {
                    Ok(Some(_)) => {
                        any = true;
                        true
                    }
                    Ok(None) => true,
                    Err(InvalidLabel) => false,
                }
            });
            ok && any
        });
    }

    let mut ids = Vec::with_capacity(records.len());
    let mut texts = Vec::with_capacity(records.len());
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
        columns,
        rejected,
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
        for f in files {
            let n = f.texts.len();
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
        Ok(set)
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
