//! Says, visibly, whether the tests that read `../shared` will run or skip: cargo captures the
//! output of passing tests, so this harness-less test prints the notice itself.

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared");
    for (what, path, tests) in [
        (
            "datasets",
            "datasets/raw/youtube_spam",
            "cli::raw_youtube_spam_file_is_read_in_its_own_layout",
        ),
        (
            "test splits",
            "datasets/norm/jigsaw_toxic.test.csv",
            "chunk_analysis::chunks_analyse_like_whole_comments_on_the_shared_test_splits",
        ),
        (
            "example page",
            "examples/000_d89a1fc585dc487a.txt",
            "cli::example_page_from_shared_is_scored, thread_pages::shared_example_page",
        ),
    ] {
        if root.join(path).exists() {
            println!(
                "shared {what}: present at {}; {tests} run",
                root.join(path).display()
            );
        } else {
            println!(
                "SKIPPED: shared {what} absent ({} not found); {tests} pass without checking it",
                root.join(path).display()
            );
        }
    }
}
