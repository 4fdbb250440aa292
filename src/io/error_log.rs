//! `--errors FILE`: one record per row that could not be scored, as CSV (`file,line,error`)
//! when the file name ends in `.csv`, else as JSON Lines (`{"file", "line", "error"}`).

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file of error records.
pub struct ErrorLog {
    path: PathBuf,
    out: Records,
    written: u64,
}

enum Records {
    Csv(Box<csv::Writer<File>>),
    Jsonl(BufWriter<File>),
}

impl ErrorLog {
    /// Creates (or truncates) the file; the format follows its extension.
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let out = if is_csv {
            let mut w = csv::Writer::from_writer(file);
            w.write_record(["file", "line", "error"])
                .map_err(|e| Error::Output(format!("{}: {e}", path.display())))?;
            Records::Csv(Box::new(w))
        } else {
            Records::Jsonl(BufWriter::new(file))
        };
        Ok(ErrorLog {
            path: path.to_path_buf(),
            out,
            written: 0,
        })
    }

    /// Writes one record for a row error (other errors are recorded with line 0).
    pub fn record(&mut self, error: &Error) -> Result<()> {
        let (file, line, message) = match error {
            Error::Row {
                path,
                line,
                message,
            } => (path.display().to_string(), *line, message.clone()),
            other => (String::new(), 0, other.to_string()),
        };
        let failed = |e: String| Error::Output(format!("{}: {e}", self.path.display()));
        match &mut self.out {
            Records::Csv(w) => w
                .write_record([file.as_str(), &line.to_string(), message.as_str()])
                .map_err(|e| failed(e.to_string()))?,
            Records::Jsonl(w) => {
                let record = serde_json::json!({"file": file, "line": line, "error": message});
                serde_json::to_writer(&mut *w, &record).map_err(|e| failed(e.to_string()))?;
                w.write_all(b"\n").map_err(|e| failed(e.to_string()))?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Records written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes the file.
    pub fn finish(self) -> Result<()> {
        let flushed = match self.out {
            Records::Csv(mut w) => w.flush(),
            Records::Jsonl(mut w) => w.flush(),
        };
        flushed.map_err(|e| Error::io(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_csv_or_json_lines_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        let row = Error::row("in.csv", 7, "text is not valid UTF-8, \"really\"");
        for (name, want) in [
            (
                "e.csv",
                "file,line,error\nin.csv,7,\"text is not valid UTF-8, \"\"really\"\"\"\n",
            ),
            (
                "e.jsonl",
                "{\"error\":\"text is not valid UTF-8, \\\"really\\\"\",\"file\":\"in.csv\",\"line\":7}\n",
            ),
        ] {
            let path = dir.path().join(name);
            let mut log = ErrorLog::create(&path).unwrap();
            log.record(&row).unwrap();
            assert_eq!(log.written(), 1);
            log.finish().unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), want);
        }
    }
}
