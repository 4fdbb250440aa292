//! The thread-page parser on the project's own fixtures and on the shared example page.

use moderato::io::thread_page::parse_thread_page;
use std::path::Path;

fn page(name: &str) -> moderato::io::thread_page::ThreadPage {
    let path = format!(
        "{}/tests/fixtures/threads/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    parse_thread_page(&std::fs::read_to_string(path).unwrap())
}

#[test]
fn wpdiscuz_page() {
    let p = page("wpdiscuz.txt");
    assert!(p.article.contains("voted 7-4"));
    let texts: Vec<&str> = p.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(p.comments.len(), 4, "{texts:?}");
    assert!(texts
        .iter()
        .all(|t| !t.contains("Notify of") && !t.contains("years ago") && !t.contains("Reply")));
    assert_eq!(p.comments[0].author.as_deref(), Some("Margaret Lowe"));
    assert_eq!(p.comments[1].parent.as_deref(), Some("c1"));
    assert_eq!(p.comments[2].author.as_deref(), Some("Dan_Harper88"));
    assert_eq!(p.comments[3].author, None);
}

#[test]
fn disqus_like_page() {
    let p = page("disqus_page.txt");
    let texts: Vec<&str> = p.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        vec![
            "What a finish! Best derby in years.",
            "@Jake Turner lucky goal, the ref was blind all game",
            "The atmosphere was brilliant, well done to both sets of fans.",
        ]
    );
    assert_eq!(
        p.comments[1].author.as_deref(),
        Some("Rovers4Life"),
        "'· 2 hours ago' is dropped"
    );
    assert_eq!(
        p.comments[1].parent.as_deref(),
        Some("c1"),
        "@mention links the reply"
    );
    assert!(
        !texts.iter().any(|t| t.contains("Transfer rumours")),
        "the footer is not a comment"
    );
}

#[test]
fn nested_replies_by_indentation() {
    let p = page("nested.txt");
    let parents: Vec<Option<&str>> = p.comments.iter().map(|c| c.parent.as_deref()).collect();
    assert_eq!(
        parents,
        vec![None, Some("c1"), Some("c1"), None, Some("c4")]
    );
    assert_eq!(p.comments[3].author.as_deref(), Some("Tom Becker"));
}

#[test]
fn page_without_comments() {
    let p = page("no_comments.txt");
    assert!(p.comments.is_empty());
    assert!(p.article.contains("Heavy rain"));
}

#[test]
fn shared_example_page() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/examples/000_d89a1fc585dc487a.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("SKIPPED: ../shared/examples is absent");
        return;
    };
    let p = parse_thread_page(&text);
    assert!(p.article.contains("joint patrol"));
    assert!(!p.article.contains("Who cares?"));
    assert_eq!(p.comments.len(), 4);
    assert!(p.comments[0].text.starts_with("Who cares?"));
    assert_eq!(p.comments[1].author.as_deref(), Some("Jim Bim"));
    assert_eq!(p.comments[3].text, "it is Putin idea");
    assert!(p
        .comments
        .iter()
        .all(|c| !c.text.contains("Would love your thoughts")));
}
