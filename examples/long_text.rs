//! Time against text length: scores one comment of growing size (built from the project's own
//! training comments, several scripts and obfuscations mixed in) and prints the time per
//! megabyte. Linear time shows as a flat ms/MB column; the last line is the ratio of the
//! largest to the smallest ms/MB.
//!
//!     cargo run --release --example long_text -- [models/default.model]

use moderato::model::{file, ScoreScratch};
use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let model_path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "models/default.model".into());
    let model = file::load(Path::new(&model_path))?;
    let mut reader = csv::Reader::from_path("training-data/comments.csv")?;
    let mut unit = String::new();
    for row in reader.records() {
        unit.push_str(&row?[1]);
        unit.push(' ');
    }
    unit.push_str("f4ck 1d10t s t u p i d ｓｔｕｐｉｄ stu\u{200B}pid привет Straße 😀 idiiiiot\n");
    // The same comments in ASCII only, one per line: the fast paths of normalisation.
    let ascii: String = unit
        .chars()
        .filter(char::is_ascii)
        .map(|c| if c == ' ' { '\n' } else { c })
        .collect();
    let mut scratch = ScoreScratch::default();
    for (kind, unit) in [("mixed scripts", &unit), ("ASCII, many lines", &ascii)] {
        println!("\n{kind}\n\n| size MB | ms | ms per MB |");
        println!("|---|---|---|");
        let mut per_mb = Vec::new();
        for mb in [0.25f64, 0.5, 1.0, 2.0, 5.0, 10.0] {
            let target = (mb * 1_048_576.0) as usize;
            let mut text = String::with_capacity(target + unit.len());
            while text.len() < target {
                text.push_str(unit);
            }
            let size = text.len() as f64 / 1_048_576.0;
            // Best of three, to see past a busy machine.
            let best = (0..3)
                .map(|_| {
                    let start = Instant::now();
                    let scored = model.score(&text, &mut scratch, 0);
                    std::hint::black_box(scored);
                    start.elapsed().as_secs_f64() * 1e3
                })
                .fold(f64::INFINITY, f64::min);
            per_mb.push(best / size);
            println!("| {size:.2} | {best:.0} | {:.0} |", best / size);
        }
        let (first, last) = (per_mb[0], per_mb[per_mb.len() - 1]);
        println!(
            "\nms/MB at 10 MB over ms/MB at 0.25 MB: {:.2}",
            last / first
        );
    }
    Ok(())
}
