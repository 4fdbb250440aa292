//! Readers that turn CSV, TSV, JSON Lines and plain-text inputs into a stream of comments.
//!
//! A file that cannot be read at all is an error at open time; a row that cannot be used is a
//! row error in the stream (naming file and line), and reading goes on.

use super::comment::Comment;
use super::format::{resolve, InputFormat, TEXT_COLUMNS};
use super::json_fields::pick_fields;
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// A stream of comments or row errors, in input order.
pub type CommentStream = Box<dyn Iterator<Item = Result<Comment>> + Send>;

/// What to read and how.
#[derive(Debug, Clone, Default)]
pub struct InputSpec {
    /// File path, or `-` for standard input.
    pub path: String,
    /// Format; detected from the extension or content when `None`.
    pub format: Option<InputFormat>,
    /// Column (CSV/TSV) or field (JSON Lines) holding the text; detected when `None`.
    pub text_column: Option<String>,
    /// Column or field holding the id; `id` when `None`.
    pub id_column: Option<String>,
}

impl InputSpec {
    /// The path as shown in messages (`<stdin>` for `-`).
    pub fn display_path(&self) -> PathBuf {
        if self.path == "-" {
            PathBuf::from("<stdin>")
        } else {
            PathBuf::from(&self.path)
        }
    }
}

/// Opens a byte source: a file, or standard input for `-`; gzip and zstd streams (by their
/// magic bytes) are decompressed on the fly.
pub fn open_source(path: &str) -> Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn BufRead + Send> = if path == "-" {
        Box::new(BufReader::with_capacity(1 << 18, std::io::stdin()))
    } else {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(Error::input(path, "is a directory, not a file"));
        }
        Box::new(BufReader::with_capacity(1 << 18, file))
    };
    decompressing(raw, path)
}

/// Wraps a source in a gzip or zstd decoder when its first bytes say so.
fn decompressing(mut raw: Box<dyn BufRead + Send>, path: &str) -> Result<Box<dyn BufRead + Send>> {
    let head = raw.fill_buf().map_err(|e| Error::io(path, e))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let decoder = flate2::bufread::MultiGzDecoder::new(raw);
        return Ok(Box::new(BufReader::with_capacity(1 << 18, decoder)));
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let mut decoder =
            zstd::stream::read::Decoder::with_buffer(raw).map_err(|e| Error::io(path, e))?;
        // Dumps such as Reddit's are written with long windows.
        decoder.window_log_max(31).map_err(|e| Error::io(path, e))?;
        return Ok(Box::new(BufReader::with_capacity(1 << 18, decoder)));
    }
    Ok(raw)
}

/// The path without a compression suffix, for format detection (`a.jsonl.zst` → `a.jsonl`).
fn logical_path(path: &str) -> &Path {
    let lower = path.to_ascii_lowercase();
    for suffix in [".gz", ".zst", ".zstd"] {
        if lower.ends_with(suffix) {
            return Path::new(&path[..path.len() - suffix.len()]);
        }
    }
    Path::new(path)
}

/// An opened input: its comments and whether they carry thread and parent ids.
pub struct OpenedInput {
    pub stream: CommentStream,
    pub format: InputFormat,
    /// The input names threads or parents (thread pages, exports, CSV or JSON Lines with such
    /// columns or fields).
    pub threaded: bool,
}

/// Opens an input as a stream of comments.
pub fn open_comments(spec: &InputSpec) -> Result<CommentStream> {
    open_input(spec).map(|o| o.stream)
}

/// Opens an input, detecting its format.
pub fn open_input(spec: &InputSpec) -> Result<OpenedInput> {
    open_reader(open_source(&spec.path)?, spec)
}

/// Reads comments from an already opened byte source; `spec.path` names it in messages and
/// its extension helps detect the format. Refuses text in UTF-16 or UTF-32 and binary data.
pub fn open_reader(mut source: Box<dyn BufRead + Send>, spec: &InputSpec) -> Result<OpenedInput> {
    let path = spec.display_path();
    let head = source.fill_buf().map_err(|e| Error::io(&path, e))?.to_vec();
    check_encoding(&head).map_err(|m| Error::input(&path, m))?;
    let format = resolve(spec.format, logical_path(&spec.path), &head).map_err(|e| match e {
        Error::Input { message, .. } => Error::input(&path, message),
        other => other,
    })?;
    let opened = |stream: CommentStream, threaded: bool| OpenedInput {
        stream,
        format,
        threaded,
    };
    match format {
        InputFormat::Csv | InputFormat::Tsv => {
            let delimiter = if format == InputFormat::Tsv {
                b'\t'
            } else {
                b','
            };
            let csv = CsvComments::new(source, path, delimiter, spec)?;
            let threaded = csv.thread.is_some() || csv.parent.is_some();
            Ok(opened(Box::new(csv), threaded))
        }
        InputFormat::Jsonl => {
            let first = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
            let threaded = serde_json::from_slice::<serde_json::Value>(first)
                .ok()
                .and_then(|v| {
                    v.as_object()
                        .map(|o| o.contains_key("thread") || o.contains_key("parent"))
                })
                .unwrap_or(false);
            Ok(opened(
                Box::new(JsonlComments::new(source, path, spec)),
                threaded,
            ))
        }
        InputFormat::Text => Ok(opened(Box::new(TextComments::new(source, path)), false)),
        InputFormat::Thread => {
            let mut bytes = Vec::new();
            source
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io(&path, e))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                Error::input(
                    &path,
                    format!(
                        "page is not valid UTF-8 (at byte {})",
                        e.utf8_error().valid_up_to()
                    ),
                )
            })?;
            let thread = logical_path(&spec.path)
                .file_stem()
                .map_or_else(|| "stdin".to_string(), |s| s.to_string_lossy().into_owned());
            let page = super::thread_page::parse_thread_page(&text);
            let comments: Vec<Result<Comment>> = page
                .comments
                .into_iter()
                .map(|c| {
                    Ok(Comment {
                        id: c.id,
                        text: c.text,
                        line: c.line,
                        thread: Some(thread.clone()),
                        parent: c.parent,
                        author: c.author,
                    })
                })
                .collect();
            Ok(opened(Box::new(comments.into_iter()), true))
        }
        InputFormat::Disqus => {
            let mut bytes = Vec::new();
            source
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io(&path, e))?;
            let posts = super::disqus::read_disqus(&bytes, &path)?;
            Ok(opened(Box::new(posts.into_iter()), true))
        }
    }
}

/// Refuses inputs that are not UTF-8 text: a UTF-16 or UTF-32 byte-order mark, or NUL and
/// other control bytes in more than a few places of the first block (binary data, a
/// spreadsheet, a UTF-16 file without a mark). A stray NUL in a text stays a row matter.
pub fn check_encoding(head: &[u8]) -> std::result::Result<(), String> {
    const CONVERT: &str = "convert it to UTF-8 first (for example with iconv -t UTF-8)";
    if head.starts_with(&[0xFF, 0xFE, 0, 0]) || head.starts_with(&[0, 0, 0xFE, 0xFF]) {
        return Err(format!("the file is UTF-32 text; {CONVERT}"));
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(format!("the file is UTF-16 text; {CONVERT}"));
    }
    let sample = &head[..head.len().min(8192)];
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B))
        .count();
    if controls > 8 && controls * 100 > sample.len() {
        let nuls = sample.iter().filter(|&&b| b == 0).count();
        if nuls * 3 >= sample.len() {
            return Err(format!(
                "the file looks like UTF-16 or UTF-32 text (every other byte is NUL); {CONVERT}"
            ));
        }
        return Err(format!(
            "the file looks like binary data, not comments ({controls} control bytes in its first {} bytes)",
            sample.len()
        ));
    }
    Ok(())
}

/// Finds the text column among `headers`: the named one, or the first recognised name.
pub fn find_text_column(headers: &[String], explicit: Option<&str>, path: &Path) -> Result<usize> {
    let lower: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
    if let Some(name) = explicit {
        let want = name.trim().to_lowercase();
        return lower.iter().position(|h| *h == want).ok_or_else(|| {
            Error::input(
                path,
                format!(
                    "no column named '{name}'; columns are: {}",
                    headers.join(", ")
                ),
            )
        });
    }
    TEXT_COLUMNS
        .iter()
        .find_map(|c| lower.iter().position(|h| h == c))
        .ok_or_else(|| {
            Error::input(
                path,
                format!(
                    "no text column found (looked for {}); columns are: {}; choose one with --text-column",
                    TEXT_COLUMNS.join(", "),
                    headers.join(", ")
                ),
            )
        })
}

/// Finds the id column: the named one (which must exist) or `id` if present.
pub fn find_id_column(
    headers: &[String],
    explicit: Option<&str>,
    path: &Path,
) -> Result<Option<usize>> {
    let lower: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
    match explicit {
        Some(name) => {
            let want = name.trim().to_lowercase();
            lower
                .iter()
                .position(|h| *h == want)
                .map(Some)
                .ok_or_else(|| Error::input(path, format!("no id column named '{name}'")))
        }
        None => Ok(["id", "comment_id", "post_id_comment"]
            .iter()
            .find_map(|n| lower.iter().position(|h| h == n))),
    }
}

/// Reads the header row of a CSV reader, without a byte-order mark.
pub fn read_headers<R: Read>(reader: &mut csv::Reader<R>, path: &Path) -> Result<Vec<String>> {
    let headers = reader
        .byte_headers()
        .map_err(|e| Error::input(path, format!("cannot read the header row: {e}")))?
        .clone();
    if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
        return Err(Error::input(path, "empty file: no header row"));
    }
    headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = if i == 0 {
                h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h)
            } else {
                h
            };
            String::from_utf8(h.to_vec())
                .map_err(|_| Error::input(path, "header row is not valid UTF-8"))
        })
        .collect()
}

/// Column names recognised as thread, parent and author (WordPress exports and others).
const THREAD_COLUMNS: &[&str] = &[
    "thread",
    "thread_id",
    "comment_post_id",
    "post_id",
    "video_id",
    "article_id",
];
const PARENT_COLUMNS: &[&str] = &["parent", "parent_id", "comment_parent", "in_reply_to"];
const AUTHOR_COLUMNS: &[&str] = &["author", "comment_author", "user", "username", "user_name"];

fn find_optional(headers: &[String], names: &[&str]) -> Option<usize> {
    let lower: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
    names.iter().find_map(|n| lower.iter().position(|h| h == n))
}

/// An empty field, or a WordPress-style `0` parent, means none.
fn non_empty(field: &[u8], zero_is_none: bool) -> Option<String> {
    let s = String::from_utf8_lossy(field).trim().to_string();
    (!(s.is_empty() || (zero_is_none && s == "0"))).then_some(s)
}

/// A reader that counts the quote bytes passing through and whether it reached the end, to
/// tell a quote left open at the end of a CSV file (which the csv crate reads leniently as
/// one long field), and whether lines end in CRLF (for which the csv crate numbers records
/// one line too low: see [`record_line`]).
pub struct QuoteCounter<R> {
    inner: R,
    quotes: u64,
    at_end: bool,
    /// Bytes read so far.
    offset: u64,
    /// Offsets of the `\n` of CRLF line ends not yet passed by the parser.
    crlf_ends: std::collections::VecDeque<u64>,
    last: u8,
}

impl<R: Read> QuoteCounter<R> {
    /// Wraps a reader.
    pub fn new(inner: R) -> Self {
        QuoteCounter {
            inner,
            quotes: 0,
            at_end: false,
            offset: 0,
            crlf_ends: std::collections::VecDeque::new(),
            last: 0,
        }
    }

    /// Whether the byte at `offset` is the `\n` of a CRLF line end. Offsets must be asked in
    /// increasing order (the ends before it are forgotten).
    fn is_crlf_end(&mut self, offset: u64) -> bool {
        while self.crlf_ends.front().is_some_and(|&o| o < offset) {
            self.crlf_ends.pop_front();
        }
        self.crlf_ends.front() == Some(&offset)
    }
}

/// The line a CSV record starts on. The csv crate places a record that follows a CRLF line end
/// on the `\n` of that end (`starts_on_crlf_end`), one line before the record's own line.
pub fn record_line(csv_line: u64, starts_on_crlf_end: bool) -> u64 {
    csv_line + u64::from(starts_on_crlf_end)
}

impl<R: Read> Read for QuoteCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = &buf[..n];
        self.quotes += read.iter().filter(|&&b| b == b'"').count() as u64;
        let mut previous = self.last;
        for (i, &b) in read.iter().enumerate() {
            if b == b'\n' && previous == b'\r' {
                self.crlf_ends.push_back(self.offset + i as u64);
            }
            previous = b;
        }
        self.last = previous;
        self.offset += n as u64;
        self.at_end |= n == 0 && !buf.is_empty();
        Ok(n)
    }
}

/// The message for a record that a quote left open stretched to the end of the file, if it
/// is one: an odd number of quotes in the file, and a record that ends at the end of the
/// file after running over several lines.
pub fn unclosed_quote(
    quotes: u64,
    at_end: bool,
    first_line: u64,
    last_line: u64,
) -> Option<String> {
    (quotes % 2 == 1 && at_end && last_line > first_line).then(|| {
        format!(
            "a quote opened on line {first_line} is never closed: lines {first_line} to {last_line} would be read as one field; fix the quoting"
        )
    })
}

/// Comments from CSV or TSV with a header row.
pub struct CsvComments<R: Read> {
    reader: csv::Reader<QuoteCounter<R>>,
    path: PathBuf,
    text: usize,
    id: Option<usize>,
    thread: Option<usize>,
    parent: Option<usize>,
    author: Option<usize>,
    columns: usize,
    record: csv::ByteRecord,
    row: u64,
    done: bool,
}

impl<R: Read> CsvComments<R> {
    fn new(source: R, path: PathBuf, delimiter: u8, spec: &InputSpec) -> Result<Self> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(QuoteCounter::new(source));
        let headers = read_headers(&mut reader, &path)?;
        let text = find_text_column(&headers, spec.text_column.as_deref(), &path)?;
        let id = find_id_column(&headers, spec.id_column.as_deref(), &path)?;
        Ok(CsvComments {
            reader,
            path,
            text,
            id,
            thread: find_optional(&headers, THREAD_COLUMNS),
            parent: find_optional(&headers, PARENT_COLUMNS),
            author: find_optional(&headers, AUTHOR_COLUMNS),
            columns: headers.len(),
            record: csv::ByteRecord::new(),
            row: 0,
            done: false,
        })
    }
}

impl<R: Read> Iterator for CsvComments<R> {
    type Item = Result<Comment>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => {
                self.done = true;
                None
            }
            Ok(true) => {
                self.row += 1;
                let (csv_line, start) = self
                    .record
                    .position()
                    .map_or((0, 0), |p| (p.line(), p.byte()));
                let line = record_line(csv_line, self.reader.get_mut().is_crlf_end(start));
                let counter = self.reader.get_ref();
                // The reader's position is the start of the next line.
                let last_line = self.reader.position().line().saturating_sub(1);
                if let Some(message) =
                    unclosed_quote(counter.quotes, counter.at_end, line, last_line)
                {
                    return Some(Err(Error::row(&self.path, line, message)));
                }
                let rec = &self.record;
                if rec.len() != self.columns {
                    return Some(Err(Error::row(
                        &self.path,
                        line,
                        format!(
                            "row has {} fields but the header has {}",
                            rec.len(),
                            self.columns
                        ),
                    )));
                }
                let text = match std::str::from_utf8(&rec[self.text]) {
                    Ok(t) => t.to_string(),
                    Err(_) => {
                        return Some(Err(Error::row(&self.path, line, "text is not valid UTF-8")))
                    }
                };
                let id = match self.id {
                    Some(i) => String::from_utf8_lossy(&rec[i]).into_owned(),
                    None => self.row.to_string(),
                };
                Some(Ok(Comment {
                    id,
                    text,
                    line,
                    thread: self.thread.and_then(|i| non_empty(&rec[i], false)),
                    parent: self.parent.and_then(|i| non_empty(&rec[i], true)),
                    author: self.author.and_then(|i| non_empty(&rec[i], false)),
                }))
            }
            Err(e) => {
                let (csv_line, start) = e.position().map_or((0, 0), |p| (p.line(), p.byte()));
                let line = record_line(csv_line, self.reader.get_mut().is_crlf_end(start));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    self.done = true;
                    return Some(Err(Error::input(&self.path, format!("read failed: {e}"))));
                }
                Some(Err(Error::row(&self.path, line, e.to_string())))
            }
        }
    }
}

/// Reads the next line as bytes without its line ending; `None` at the end.
fn next_line<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>, path: &Path) -> Option<Result<()>> {
    buf.clear();
    match reader.read_until(b'\n', buf) {
        Ok(0) => None,
        Ok(_) => {
            if buf.last() == Some(&b'\n') {
                buf.pop();
            }
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            Some(Ok(()))
        }
        Err(e) => Some(Err(Error::io(path, e))),
    }
}

/// The non-blank lines of a line-based input (a byte-order mark before the first is dropped),
/// with their line numbers; shared by the JSON Lines and plain-text readers.
struct ContentLines<R: BufRead> {
    reader: R,
    path: PathBuf,
    /// The current line's bytes, without its line ending.
    buf: Vec<u8>,
    /// The current line's number (1-based).
    line: u64,
    done: bool,
}

impl<R: BufRead> ContentLines<R> {
    fn new(reader: R, path: PathBuf) -> Self {
        ContentLines {
            reader,
            path,
            buf: Vec::new(),
            line: 0,
            done: false,
        }
    }

    /// Moves to the next non-blank line; `None` at the end or after a read error.
    fn advance(&mut self) -> Option<Result<()>> {
        while !self.done {
            match next_line(&mut self.reader, &mut self.buf, &self.path) {
                None => self.done = true,
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Some(Ok(())) => {
                    self.line += 1;
                    if self.line == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
                        self.buf.drain(..3);
                    }
                    if !self.buf.iter().all(u8::is_ascii_whitespace) {
                        return Some(Ok(()));
                    }
                }
            }
        }
        None
    }

    /// An error about the current line.
    fn error(&self, message: impl Into<String>) -> Error {
        Error::row(&self.path, self.line, message)
    }
}

/// Comments from JSON Lines: one object per line with a text field and an optional id.
pub struct JsonlComments<R: BufRead> {
    lines: ContentLines<R>,
    text_field: String,
    id_field: String,
}

impl<R: BufRead> JsonlComments<R> {
    fn new(reader: R, path: PathBuf, spec: &InputSpec) -> Self {
        JsonlComments {
            lines: ContentLines::new(reader, path),
            text_field: spec.text_column.clone().unwrap_or_else(|| "text".into()),
            id_field: spec.id_column.clone().unwrap_or_else(|| "id".into()),
        }
    }
    fn parse(&self) -> Result<Comment> {
        let bad = |m: String| self.lines.error(m);
        let names = [
            self.text_field.as_str(),
            self.id_field.as_str(),
            "thread",
            "parent",
            "author",
        ];
        // Only the fields read are built; a line that is not one JSON object is parsed again
        // whole, to say what is wrong with it.
        let [text, id, thread, parent, author] = match pick_fields(&self.lines.buf, &names) {
            Ok(fields) => fields,
            Err(e) => return Err(self.explain_bad_line(e)),
        };
        let text = match text {
            Some(serde_json::Value::String(s)) => s,
            Some(_) => return Err(bad(format!("field '{}' is not a string", self.text_field))),
            None => return Err(bad(format!("missing field '{}'", self.text_field))),
        };
        let scalar = |value: Option<serde_json::Value>, name: &str| -> Result<Option<String>> {
            match value {
                Some(serde_json::Value::String(s)) => Ok(Some(s)),
                Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(_) => Err(bad(format!("field '{name}' is not a string or number"))),
            }
        };
        let id = scalar(id, &self.id_field)?.unwrap_or_else(|| self.lines.line.to_string());
        Ok(Comment {
            id,
            text,
            line: self.lines.line,
            thread: scalar(thread, "thread")?,
            parent: scalar(parent, "parent")?,
            author: scalar(author, "author")?,
        })
    }

    /// The error for a line whose fields could not be read (`picking` says why).
    fn explain_bad_line(&self, picking: serde_json::Error) -> Error {
        let message = match serde_json::from_slice::<serde_json::Value>(&self.lines.buf) {
            Err(e) => format!("invalid JSON: {e}"),
            Ok(v) if !v.is_object() => "expected a JSON object".into(),
            Ok(_) => format!("invalid JSON: {picking}"),
        };
        self.lines.error(message)
    }
}

impl<R: BufRead> Iterator for JsonlComments<R> {
    type Item = Result<Comment>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(match self.lines.advance()? {
            Ok(()) => self.parse(),
            Err(e) => Err(e),
        })
    }
}

/// Comments from plain text: one per non-blank line, identified by line number.
pub struct TextComments<R: BufRead> {
    lines: ContentLines<R>,
}

impl<R: BufRead> TextComments<R> {
    fn new(reader: R, path: PathBuf) -> Self {
        TextComments {
            lines: ContentLines::new(reader, path),
        }
    }
}

impl<R: BufRead> Iterator for TextComments<R> {
    type Item = Result<Comment>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Err(e) = self.lines.advance()? {
            return Some(Err(e));
        }
        let lines = &self.lines;
        Some(match std::str::from_utf8(&lines.buf) {
            Ok(t) => Ok(Comment {
                id: lines.line.to_string(),
                text: t.to_string(),
                line: lines.line,
                ..Comment::default()
            }),
            Err(_) => Err(lines.error("line is not valid UTF-8")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn spec() -> InputSpec {
        InputSpec {
            path: "t".into(),
            ..Default::default()
        }
    }

    fn collect(
        it: impl Iterator<Item = Result<Comment>>,
    ) -> Vec<std::result::Result<(String, String), String>> {
        it.map(|r| r.map(|c| (c.id, c.text)).map_err(|e| e.to_string()))
            .collect()
    }

    #[test]
    fn csv_detects_text_and_id_and_reports_ragged_rows() {
        let data = "\u{feff}ID,Comment_Text,toxic\n7,\"hello, you\",0\n8,x\n9,\"multi\nline\",1\n";
        let r = CsvComments::new(Cursor::new(data), "f.csv".into(), b',', &spec()).unwrap();
        let got = collect(r);
        assert_eq!(got[0], Ok(("7".into(), "hello, you".into())));
        assert_eq!(
            got[1],
            Err("f.csv:3: row has 2 fields but the header has 3".into())
        );
        assert_eq!(got[2], Ok(("9".into(), "multi\nline".into())));
    }

    #[test]
    fn csv_reports_a_quote_left_open_to_the_end() {
        let data = "id,text\n1,fine\n2,\"open\n3,swallowed\n4,too\n";
        let r = CsvComments::new(Cursor::new(data), "q.csv".into(), b',', &spec()).unwrap();
        let got = collect(r);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], Ok(("1".into(), "fine".into())));
        let err = got[1].as_ref().unwrap_err();
        assert!(
            err.starts_with("q.csv:3: a quote opened on line 3 is never closed"),
            "{err}"
        );
        // A closed multi-line field at the end, with or without a final newline, is fine.
        for data in [
            "id,text\n1,\"a\nb\"\n",
            "id,text\n1,\"a\nb\"",
            "id,text\n1,5\" screen",
        ] {
            let r = CsvComments::new(Cursor::new(data), "q.csv".into(), b',', &spec()).unwrap();
            assert!(collect(r)[0].is_ok(), "{data:?}");
        }
    }

    #[test]
    fn csv_line_numbers_are_right_with_crlf_line_ends() {
        let data = "id,text\r\n1,a\r\n2,\"multi\r\nline\"\r\n3,x,extra\r\n4,\"open\r\n5,b\r\n";
        let r = CsvComments::new(Cursor::new(data), "c.csv".into(), b',', &spec()).unwrap();
        let lines: Vec<String> = r
            .map(|r| r.map_or_else(|e| e.to_string(), |c| format!("ok {}", c.line)))
            .collect();
        assert_eq!(lines[0], "ok 2");
        assert_eq!(lines[1], "ok 3");
        assert!(
            lines[2].starts_with("c.csv:5: row has 3 fields"),
            "{lines:?}"
        );
        assert!(
            lines[3].starts_with("c.csv:6: a quote opened on line 6"),
            "{lines:?}"
        );
        // Mixed line ends (found by the fuzzer): each record's own line end counts.
        let data = "id,text\r\n1,\"multi\nline\"\n3,x\r\n4,y\n";
        let r = CsvComments::new(Cursor::new(data), "m.csv".into(), b',', &spec()).unwrap();
        let lines: Vec<u64> = r.map(|c| c.unwrap().line).collect();
        assert_eq!(lines, vec![2, 4, 5]);
    }

    #[test]
    fn encoding_check_refuses_utf16_and_binary() {
        assert!(check_encoding(b"\xFF\xFEi\0d\0")
            .unwrap_err()
            .contains("UTF-16"));
        let utf16: Vec<u8> = "id,text\n1,hello there\n"
            .bytes()
            .flat_map(|b| [b, 0])
            .collect();
        assert!(check_encoding(&utf16).unwrap_err().contains("UTF-16"));
        let binary: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
        assert!(check_encoding(&binary).unwrap_err().contains("binary"));
        assert!(check_encoding(b"id,text\n1,a stray \0 NUL is a row matter\n").is_ok());
        assert!(check_encoding("\u{feff}id,text\r\n1,caf\u{e9}\r\n".as_bytes()).is_ok());
    }

    #[test]
    fn csv_without_id_uses_row_numbers_and_names_missing_columns() {
        let r = CsvComments::new(Cursor::new("body\na\nb\n"), "f".into(), b',', &spec()).unwrap();
        assert_eq!(
            collect(r),
            vec![Ok(("1".into(), "a".into())), Ok(("2".into(), "b".into()))]
        );
        let err = CsvComments::new(Cursor::new("x,y\n1,2\n"), "f.csv".into(), b',', &spec())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("f.csv") && err.contains("no text column"),
            "{err}"
        );
        let err = CsvComments::new(Cursor::new(""), "e.csv".into(), b',', &spec())
            .err()
            .unwrap();
        assert!(err.to_string().contains("empty file"), "{err}");
    }

    #[test]
    fn jsonl_reads_ids_and_reports_bad_lines() {
        let data = "{\"id\": 5, \"text\": \"hi\"}\n\nnot json\n{\"text\": 3}\n{\"text\": \"ok\"}\n";
        let got = collect(JsonlComments::new(Cursor::new(data), "j".into(), &spec()));
        assert_eq!(got[0], Ok(("5".into(), "hi".into())));
        assert!(got[1]
            .as_ref()
            .unwrap_err()
            .starts_with("j:3: invalid JSON"));
        assert_eq!(got[2], Err("j:4: field 'text' is not a string".into()));
        assert_eq!(got[3], Ok(("5".into(), "ok".into())));
    }

    #[test]
    fn text_lines_skip_blanks_and_keep_line_numbers() {
        let data = b"first\r\n\n  \nfourth\n\xff\xfe\n".to_vec();
        let got = collect(TextComments::new(Cursor::new(data), "t.txt".into()));
        assert_eq!(got[0], Ok(("1".into(), "first".into())));
        assert_eq!(got[1], Ok(("4".into(), "fourth".into())));
        assert_eq!(got[2], Err("t.txt:5: line is not valid UTF-8".into()));
    }
}
