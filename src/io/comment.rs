//! The comment record that flows from readers to the scorer.

/// One comment to score.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comment {
    /// The input's own id, or the comment's line or row number when it has none.
    pub id: String,
    /// The comment text as read.
    pub text: String,
    /// Line in the input file where the comment starts (1-based).
    pub line: u64,
    /// The thread (article, post, video) the comment belongs to, when the input says.
    pub thread: Option<String>,
    /// The id of the comment this one replies to, when the input says.
    pub parent: Option<String>,
    /// Who wrote it, when the input says.
    pub author: Option<String>,
}
