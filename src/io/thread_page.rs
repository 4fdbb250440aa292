//! Thread pages: the text of a news page with its comment thread, as a scraper extracts it
//! (donation widget, article, comment plug-in furniture such as "Notify of" or "Newest Most
//! Voted", author names alone on a line, "Reply to …" markers). The parser separates the
//! article from the comments, drops the furniture, keeps authors and reply links as metadata,
//! and yields only the comments.

/// One comment found on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageComment {
    /// `c1`, `c2`, … in page order.
    pub id: String,
    pub author: Option<String>,
    /// Id of the comment this one replies to, when the page says so.
    pub parent: Option<String>,
    pub text: String,
    /// Line of the page where the comment starts (1-based).
    pub line: u64,
}

/// A parsed page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadPage {
    /// The article text (not scored).
    pub article: String,
    pub comments: Vec<PageComment>,
}

/// Lines that open a comment section.
const SECTION_MARKERS: &[&str] = &[
    "notify of",
    "newest most voted",
    "oldest newest most voted",
    "inline feedbacks",
    "view all comments",
    "leave a reply",
    "leave a comment",
    "join the discussion",
    "comments",
    "discussion",
    "sort by best",
    "sort by newest",
    "sort by oldest",
    "what do you think?",
];

/// Comment plug-in furniture: dropped wherever it appears in the comment section.
const FURNITURE: &[&str] = &[
    "reply",
    "share",
    "report",
    "flag",
    "like",
    "dislike",
    "upvote",
    "downvote",
    "edit",
    "delete",
    "load more comments",
    "load more",
    "show more replies",
    "hide replies",
    "view replies",
    "guest",
    "log in",
    "login",
    "sign in",
    "sign up",
    "subscribe",
    "cancel reply",
    "post comment",
    "submit",
    "name",
    "email",
    "website",
    "best",
    "newest",
    "oldest",
    "top",
    "your email address will not be published.",
    "your email address will not be published. required fields are marked *",
    "required fields are marked *",
    "would love your thoughts, please comment.x",
    "would love your thoughts, please comment.",
    "powered by disqus",
    "disqus",
    "save my name, email, and website in this browser for the next time i comment.",
    "log in to reply",
    "login to reply",
    "(edited)",
    "edited",
    "x",
    "•",
    "·",
    "|",
    "start the discussion…",
    "start the discussion...",
    "be the first to comment.",
    "be the first to comment!",
    "recommend",
    "tweet",
    "favorite",
    "sort by",
    "member",
    "author",
];

/// Lines that end the comment section (page footer).
const END_MARKERS: &[&str] = &[
    "related posts",
    "related articles",
    "you may also like",
    "privacy policy",
    "popular posts",
    "recent posts",
    "read next",
    "more from",
    "all rights reserved",
    "terms of use",
];

fn squash(line: &str) -> String {
    line.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(['›', '»', '→'])
        .trim()
        .to_lowercase()
}

fn is_count_line(l: &str, nouns: &[&str]) -> bool {
    let mut words = l.split(' ');
    let first = words.next().unwrap_or("");
    let rest: Vec<&str> = words.collect();
    first.chars().all(|c| c.is_ascii_digit() || c == ',')
        && !first.is_empty()
        && rest.len() == 1
        && nouns.contains(&rest[0])
}

fn is_section_marker(line: &str) -> bool {
    let l = squash(line);
    SECTION_MARKERS.contains(&l.as_str())
        || is_count_line(
            &l,
            &["comment", "comments", "response", "responses", "replies"],
        )
        || (l.contains(" thoughts on ")
            && l.split(' ')
                .next()
                .is_some_and(|w| w.parse::<u32>().is_ok()))
}

fn is_end_marker(line: &str) -> bool {
    let l = squash(line);
    END_MARKERS.iter().any(|m| l.starts_with(m)) || l.starts_with("copyright") || l.starts_with('©')
}

/// Relative times and vote counts: "3 years ago", "12", "+4 points", "2 replies".
fn is_meta_line(l: &str) -> bool {
    if l.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ',' | ' '))
    {
        return true;
    }
    let words: Vec<&str> = l.split(' ').collect();
    if words.len() == 3 && words[2] == "ago" && words[0].parse::<u32>().is_ok() {
        return true;
    }
    if l.ends_with(" ago") && (l.starts_with("a ") || l.starts_with("an ")) && words.len() == 3 {
        return true;
    }
    is_count_line(
        l,
        &[
            "point", "points", "vote", "votes", "reply", "replies", "like", "likes",
        ],
    ) || (words.len() == 3 && words[0] == "view" && words[2].starts_with("repl"))
}

fn is_furniture(line: &str) -> bool {
    let l = squash(line);
    FURNITURE.contains(&l.as_str()) || is_section_marker(line) || is_meta_line(&l)
}

/// "Reply to Jim Bim", "↳ Reply to Jim Bim", "In reply to Jim Bim": the name replied to.
fn reply_target(line: &str) -> Option<String> {
    let t = line.trim().trim_start_matches(['↳', '>', '-', ' ']);
    let lower = t.to_lowercase();
    for prefix in ["reply to ", "in reply to ", "replying to ", "replied to "] {
        if lower.starts_with(prefix) {
            let name = t[prefix.len()..].trim().trim_end_matches([':', '.']).trim();
            if !name.is_empty() && name.split_whitespace().count() <= 4 {
                return Some(name.trim_start_matches('@').to_string());
            }
        }
    }
    None
}

/// A short line that names a person or handle: one to four words without sentence
/// punctuation, each capitalised (`Jim Bim`), or one handle with digits or underscores.
/// A trailing "· 3 years ago" or "| date" part is allowed and dropped.
fn author_name(line: &str) -> Option<String> {
    let main = line.split(['·', '|', '•']).next().unwrap_or("").trim();
    if main.is_empty() || main.chars().count() > 40 {
        return None;
    }
    if main.ends_with(['.', '!', '?', ',', ';', ':', '"', ')']) {
        return None;
    }
    let words: Vec<&str> = main.split_whitespace().collect();
    if words.is_empty() || words.len() > 4 {
        return None;
    }
    let capitalised = |w: &str| w.chars().next().is_some_and(|c| c.is_uppercase());
    let handle = |w: &str| {
        w.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && w.chars().any(|c| c.is_ascii_digit() || c == '_')
            && w.chars().any(char::is_alphabetic)
    };
    let ok = if words.len() == 1 {
        handle(words[0]) || (capitalised(words[0]) && words[0].chars().count() >= 2)
    } else {
        words
            .iter()
            .all(|w| capitalised(w) || matches!(*w, "van" | "de" | "von" | "der" | "da" | "al"))
    };
    ok.then(|| main.to_string())
}

/// A name that can open a new comment in the middle of a block: two or more capitalised
/// words, or a handle (a single capitalised word could be a one-word comment).
fn mid_block_author(line: &str) -> bool {
    author_name(line).is_some_and(|name| {
        let words = name.split_whitespace().count();
        words >= 2 || name.chars().any(|c| c.is_ascii_digit() || c == '_')
    })
}

/// Parses a thread page.
pub fn parse_thread_page(text: &str) -> ThreadPage {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| is_section_marker(l));
    let Some(start) = start else {
        return ThreadPage {
            article: text.trim().to_string(),
            comments: Vec::new(),
        };
    };
    let article = lines[..start].join("\n").trim().to_string();
    let mut page = ThreadPage {
        article,
        comments: Vec::new(),
    };
    // Blocks of consecutive content lines; furniture lines are dropped but also end a block.
    struct Block {
        line: u64,
        lines: Vec<String>,
        indented: bool,
    }
    let mut blocks: Vec<Block> = Vec::new();
    let mut current: Option<Block> = None;
    for (i, raw) in lines.iter().enumerate().skip(start + 1) {
        if is_end_marker(raw) {
            break;
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() || is_furniture(trimmed) {
            if let Some(b) = current.take() {
                blocks.push(b);
            }
            continue;
        }
        let indented = raw.starts_with([' ', '\t']) || raw.starts_with('>');
        // A new comment starts at a change of indentation, at every indented line (each is a
        // reply), and at a full name or handle on its own line.
        let starts_new = current.as_ref().is_some_and(|b| {
            b.indented != indented || indented || (!b.lines.is_empty() && mid_block_author(trimmed))
        });
        if starts_new {
            if let Some(b) = current.take() {
                blocks.push(b);
            }
        }
        match current.as_mut() {
            Some(b) => b.lines.push(trimmed.to_string()),
            None => {
                current = Some(Block {
                    line: i as u64 + 1,
                    lines: vec![trimmed.to_string()],
                    indented: raw.starts_with([' ', '\t']) || raw.starts_with('>'),
                })
            }
        }
    }
    if let Some(b) = current.take() {
        blocks.push(b);
    }
    let mut author: Option<String> = None;
    let mut reply_to: Option<String> = None;
    let mut last_top_level: Option<String> = None;
    for b in blocks {
        let mut body: Vec<String> = b.lines;
        let mut line = b.line;
        // Leading metadata lines of a block: author name, "Reply to" marker.
        while let Some(first) = body.first() {
            if let Some(target) = reply_target(first) {
                reply_to = Some(target);
            } else if body.len() > 1 || author.is_none() {
                match author_name(first) {
                    Some(name) if body.len() > 1 => author = Some(name),
                    Some(name) => {
                        // A name alone: the author of the next block.
                        author = Some(name);
                        body.clear();
                        break;
                    }
                    None => break,
                }
            } else {
                break;
            }
            body.remove(0);
            line += 1;
        }
        if body.is_empty() {
            continue;
        }
        let text = body.join("\n");
        let id = format!("c{}", page.comments.len() + 1);
        let last_by = |matches: &dyn Fn(&str) -> bool| {
            page.comments
                .iter()
                .rev()
                .find(|c| c.author.as_deref().is_some_and(matches))
                .map(|c| c.id.clone())
        };
        let mut parent = None;
        if let Some(target) = reply_to.take() {
            parent = last_by(&|a: &str| a.eq_ignore_ascii_case(&target));
        } else if let Some(mention) = text.strip_prefix('@') {
            let name: String = mention
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            parent = last_by(&|a: &str| name.starts_with(a) || a.starts_with(&name));
        }
        if parent.is_none() && b.indented {
            parent = last_top_level.clone();
        }
        if parent.is_none() {
            last_top_level = Some(id.clone());
        }
        page.comments.push(PageComment {
            id,
            author: author.take(),
            parent,
            text,
            line,
        });
    }
    page
}

/// True when a text looks like a page with a comment plug-in (for format detection).
pub fn looks_like_thread_page(text: &str) -> bool {
    let mut markers = 0;
    for line in text.lines() {
        let l = squash(line);
        if matches!(
            l.as_str(),
            "notify of"
                | "newest most voted"
                | "oldest newest most voted"
                | "inline feedbacks"
                | "view all comments"
                | "leave a reply"
                | "join the discussion"
                | "powered by disqus"
                | "would love your thoughts, please comment.x"
                | "sort by best"
                | "sort by newest"
        ) || is_count_line(&l, &["comment", "comments", "responses"])
        {
            markers += 1;
        }
    }
    markers >= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_furniture() {
        assert_eq!(author_name("Jim Bim"), Some("Jim Bim".into()));
        assert_eq!(
            author_name("truth_seeker77 · 3 years ago"),
            Some("truth_seeker77".into())
        );
        assert_eq!(author_name("Who cares?"), None);
        assert_eq!(author_name("it is Putin idea"), None);
        assert_eq!(author_name("Great article"), None);
        assert!(is_furniture("Newest Most Voted"));
        assert!(is_furniture("3 years ago"));
        assert!(is_furniture("12"));
        assert!(is_furniture("Would love your thoughts, please comment.x"));
        assert!(!is_furniture("I like this"));
        assert_eq!(reply_to_name("↳ Reply to  Jim Bim"), Some("Jim Bim".into()));
    }

    fn reply_to_name(l: &str) -> Option<String> {
        reply_target(l).map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    #[test]
    fn page_without_comment_section_has_no_comments() {
        let page = parse_thread_page("Title\n\nSome article text.\nMore text.\n");
        assert!(page.comments.is_empty());
        assert!(page.article.contains("Some article text."));
    }
}
