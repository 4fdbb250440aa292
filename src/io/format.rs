//! Input formats and their detection by file extension or by the first bytes.

use crate::error::{Error, Result};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// Formats moderato reads comments from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// JSON Lines: one object per line with a `text` field.
    Jsonl,
    /// Plain text: one comment per line.
    Text,
    /// The text of a page with a comment thread (article, plug-in furniture, comments).
    Thread,
    /// A Disqus XML export.
    Disqus,
}

impl FromStr for InputFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(InputFormat::Csv),
            "tsv" => Ok(InputFormat::Tsv),
            "jsonl" | "ndjson" | "json" => Ok(InputFormat::Jsonl),
            "text" | "txt" => Ok(InputFormat::Text),
            "thread" | "page" => Ok(InputFormat::Thread),
            "disqus" | "xml" => Ok(InputFormat::Disqus),
            other => Err(format!(
                "unknown input format '{other}' (use csv, tsv, jsonl, text, thread or disqus)"
            )),
        }
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFormat::Csv => "csv",
            InputFormat::Tsv => "tsv",
            InputFormat::Jsonl => "jsonl",
            InputFormat::Text => "text",
            InputFormat::Thread => "thread",
            InputFormat::Disqus => "disqus",
        })
    }
}

/// Column names recognised as the comment text, in order of preference.
pub const TEXT_COLUMNS: &[&str] = &[
    "text",
    "comment_text",
    "comment",
    "content",
    "message",
    "body",
    "comment_content",
];

/// The format a file's extension names, if any.
pub fn from_extension(path: &Path) -> Option<InputFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Some(InputFormat::Csv),
        "tsv" | "tab" => Some(InputFormat::Tsv),
        "jsonl" | "ndjson" | "json" => Some(InputFormat::Jsonl),
        "xml" => Some(InputFormat::Disqus),
        _ => None,
    }
}

/// Guesses a format from the first bytes of an input.
pub fn sniff(head: &[u8]) -> InputFormat {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let trimmed = first_line.trim_ascii_start();
    if trimmed.starts_with(b"{") {
        return InputFormat::Jsonl;
    }
    if trimmed.starts_with(b"<?xml") || trimmed.starts_with(b"<disqus") {
        return InputFormat::Disqus;
    }
    let line = String::from_utf8_lossy(first_line).to_ascii_lowercase();
    for (sep, fmt) in [(',', InputFormat::Csv), ('\t', InputFormat::Tsv)] {
        if line.contains(sep)
            && line
                .split(sep)
                .any(|c| TEXT_COLUMNS.contains(&c.trim().trim_matches('"')))
        {
            return fmt;
        }
    }
    if super::thread_page::looks_like_thread_page(&String::from_utf8_lossy(head)) {
        return InputFormat::Thread;
    }
    InputFormat::Text
}

/// Resolves the format of an input: explicit choice, then extension, then the first bytes.
pub fn resolve(explicit: Option<InputFormat>, path: &Path, head: &[u8]) -> Result<InputFormat> {
    if let Some(f) = explicit {
        return Ok(f);
    }
    if let Some(f) = from_extension(path) {
        return Ok(f);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if matches!(ext.as_deref(), Some("txt" | "text")) {
        let page = super::thread_page::looks_like_thread_page(&String::from_utf8_lossy(head));
        return Ok(if page {
            InputFormat::Thread
        } else {
            InputFormat::Text
        });
    }
    if head.is_empty() {
        return Err(Error::input(path, "input is empty; nothing to score"));
    }
    Ok(sniff(head))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_then_content() {
        assert_eq!(from_extension(Path::new("a.CSV")), Some(InputFormat::Csv));
        assert_eq!(
            from_extension(Path::new("a.ndjson")),
            Some(InputFormat::Jsonl)
        );
        assert_eq!(from_extension(Path::new("page")), None);
        assert_eq!(
            from_extension(Path::new("page.txt")),
            None,
            ".txt is sniffed: text or thread"
        );
        assert_eq!(
            sniff(b"Title\n\nArticle.\n\nNotify of\nNewest Most Voted\n\nHi\n"),
            InputFormat::Thread
        );
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?>\n<disqus>"),
            InputFormat::Disqus
        );
        assert_eq!(sniff(b"{\"text\": \"hi\"}\n"), InputFormat::Jsonl);
        assert_eq!(
            sniff(b"\xEF\xBB\xBFid,comment_text,toxic\n1,hi,0\n"),
            InputFormat::Csv
        );
        assert_eq!(sniff(b"id\ttext\n"), InputFormat::Tsv);
        assert_eq!(sniff(b"just some words, really\n"), InputFormat::Text);
        assert!("yaml".parse::<InputFormat>().is_err());
    }
}
