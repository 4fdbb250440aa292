//! Disqus XML exports: `<thread dsq:id>` elements (link, title) and `<post dsq:id>` elements
//! (message in HTML, author name, `<thread dsq:id>` and `<parent dsq:id>` references).

use super::comment::Comment;
use crate::error::{Error, Result};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::path::Path;

/// Text of an HTML fragment: tags removed, `<br>` and `</p>` as line breaks, entities decoded.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let Some(gt) = rest[lt..].find('>') else {
            out.push_str(&rest[lt..]);
            rest = "";
            break;
        };
        let tag = rest[lt + 1..lt + gt].trim().to_ascii_lowercase();
        if tag.starts_with("br") || tag == "/p" || tag.starts_with("/div") {
            out.push('\n');
        }
        rest = &rest[lt + gt + 1..];
    }
    out.push_str(rest);
    decode_entities(out.trim())
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ if name.starts_with("#x") => u32::from_str_radix(&name[2..], 16)
                    .ok()
                    .and_then(char::from_u32),
                _ if name.starts_with('#') => name[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn dsq_id(e: &BytesStart) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let key = a.key.as_ref();
        (key == b"dsq:id" || key.ends_with(b":id"))
            .then(|| String::from_utf8_lossy(&a.value).into_owned())
    })
}

/// Reads every post of a Disqus export, in file order. Deleted posts are skipped; a post
/// without a message is a row error.
pub fn read_disqus(bytes: &[u8], path: &Path) -> Result<Vec<Result<Comment>>> {
    let text = String::from_utf8_lossy(bytes);
    let line_at = |pos: usize| {
        text.as_bytes()[..pos.min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1
    };
    let mut reader = Reader::from_str(&text);
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut posts = Vec::new();
    let mut saw_root = false;
    #[derive(Default)]
    struct Post {
        id: Option<String>,
        message: String,
        author: Option<String>,
        thread: Option<String>,
        parent: Option<String>,
        deleted: bool,
        line: u64,
    }
    let mut post: Option<Post> = None;
    loop {
        let pos = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            Error::input(path, format!("invalid XML near line {}: {e}", line_at(pos)))
        })?;
        match event {
            Event::Start(e) => {
                let name = e.name().as_ref().to_vec();
                if !saw_root {
                    saw_root = true;
                    if name != b"disqus" {
                        return Err(Error::input(
                            path,
                            "XML is not a Disqus export (no <disqus> root element)",
                        ));
                    }
                }
                if name == b"post" {
                    post = Some(Post {
                        id: dsq_id(&e),
                        line: line_at(pos),
                        ..Post::default()
                    });
                } else if let Some(p) = post.as_mut() {
                    if name == b"parent" {
                        p.parent = dsq_id(&e);
                    } else if name == b"thread" {
                        p.thread = dsq_id(&e);
                    }
                }
                stack.push(name);
            }
            Event::Empty(e) => {
                if let Some(p) = post.as_mut() {
                    match e.name().as_ref() {
                        b"thread" => p.thread = dsq_id(&e),
                        b"parent" => p.parent = dsq_id(&e),
                        _ => {}
                    }
                }
            }
            Event::Text(t) => {
                if let (Some(p), Some(top)) = (post.as_mut(), stack.last()) {
                    let value = t.unescape().map(|c| c.into_owned()).unwrap_or_default();
                    fill(p, top, stack.get(stack.len().wrapping_sub(2)), &value);
                }
            }
            Event::CData(t) => {
                if let (Some(p), Some(top)) = (post.as_mut(), stack.last()) {
                    let value = String::from_utf8_lossy(&t).into_owned();
                    fill(p, top, stack.get(stack.len().wrapping_sub(2)), &value);
                }
            }
            Event::End(e) => {
                stack.pop();
                if e.name().as_ref() == b"post" {
                    if let Some(p) = post.take() {
                        if p.deleted {
                            continue;
                        }
                        let id =
                            p.id.clone()
                                .unwrap_or_else(|| format!("post-{}", posts.len() + 1));
                        let message = html_to_text(&p.message);
                        posts.push(if message.is_empty() {
                            Err(Error::row(
                                path,
                                p.line,
                                format!("post {id} has no message"),
                            ))
                        } else {
                            Ok(Comment {
                                id,
                                text: message,
                                line: p.line,
                                thread: p.thread,
                                parent: p.parent,
                                author: p.author,
                            })
                        });
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(Error::input(path, "empty XML: no Disqus export"));
    }
    fn fill(p: &mut Post, top: &[u8], parent_tag: Option<&Vec<u8>>, value: &str) {
        match top {
            b"message" => p.message.push_str(value),
            b"name" if parent_tag.is_some_and(|t| t == b"author") => {
                p.author = Some(value.trim().to_string())
            }
            b"isDeleted" => p.deleted = value.trim() == "true",
            _ => {}
        }
    }
    Ok(posts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_becomes_text() {
        assert_eq!(
            html_to_text("<p>Hello &amp; <b>welcome</b></p><p>bye&#33;</p>"),
            "Hello & welcome\nbye!"
        );
        assert_eq!(html_to_text("a &lt; b &unknown; c"), "a < b &unknown; c");
    }

    #[test]
    fn reads_posts_with_threads_parents_and_authors() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals">
  <thread dsq:id="t1"><link>https://news.example/a</link><title>A</title></thread>
  <post dsq:id="p1"><message><![CDATA[<p>First!</p>]]></message><author><name>Ann</name></author><thread dsq:id="t1"/></post>
  <post dsq:id="p2"><message><![CDATA[<p>you fool</p>]]></message><author><name>Bob</name></author><thread dsq:id="t1"/><parent dsq:id="p1"/></post>
  <post dsq:id="p3"><message><![CDATA[gone]]></message><isDeleted>true</isDeleted><thread dsq:id="t1"/></post>
  <post dsq:id="p4"><message></message><thread dsq:id="t1"/></post>
</disqus>"#;
        let posts = read_disqus(xml.as_bytes(), Path::new("d.xml")).unwrap();
        assert_eq!(posts.len(), 3);
        let p2 = posts[1].as_ref().unwrap();
        assert_eq!((p2.id.as_str(), p2.text.as_str()), ("p2", "you fool"));
        assert_eq!(p2.parent.as_deref(), Some("p1"));
        assert_eq!(p2.thread.as_deref(), Some("t1"));
        assert_eq!(p2.author.as_deref(), Some("Bob"));
        let err = posts[2].as_ref().unwrap_err().to_string();
        assert!(err.contains("d.xml:7: post p4 has no message"), "{err}");
        assert!(read_disqus(b"<rss></rss>", Path::new("r.xml")).is_err());
    }
}
