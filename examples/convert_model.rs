//! Rewrites a model file in the current format (for example a version-1 or -2 model as version 3,
//! keeping its exact character block):
//! `cargo run --release --example convert_model -- IN.model OUT.model`. Scores are unchanged.

use moderato::model::file;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        return Err("usage: convert_model IN.model OUT.model".into());
    };
    let model = file::load(Path::new(input))?;
    file::save(&model, Path::new(output))?;
    let size = |p: &str| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "{input} ({} bytes) -> {output} ({} bytes, format version {})",
        size(input),
        size(output),
        file::FORMAT_VERSION
    );
    Ok(())
}
