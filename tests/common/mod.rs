//! Helpers shared by the end-to-end tests.

use std::process::Command;
use std::sync::OnceLock;

/// A model trained once per test binary, with the real binary, on training-data/comments.csv.
pub fn trained_model() -> &'static str {
    static MODEL: OnceLock<(tempfile::TempDir, String)> = OnceLock::new();
    &MODEL
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("td.model").display().to_string();
            let o = Command::new(env!("CARGO_BIN_EXE_moderato"))
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .args([
                    "train",
                    "-q",
                    "-i",
                    "training-data/comments.csv",
                    "-o",
                    &path,
                ])
                .output()
                .expect("moderato runs");
            assert!(
                o.status.success(),
                "train failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            (dir, path)
        })
        .1
}
