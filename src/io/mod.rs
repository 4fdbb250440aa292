//! Input and output: comment readers, labelled training files, score writers.

pub mod comment;
pub mod disqus;
pub mod error_log;
pub mod format;
pub mod json_fields;
pub mod labelled;
pub mod output;
pub mod readers;
pub mod thread_page;
pub mod train_config;

pub use comment::Comment;
pub use error_log::ErrorLog;
pub use format::InputFormat;
pub use labelled::{LabelledSpec, TrainingSet};
pub use output::{CsvSink, JsonlSink, OutputFormat, ScoreSink};
pub use readers::{open_comments, open_input, CommentStream, InputSpec, OpenedInput};
