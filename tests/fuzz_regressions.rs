//! Replays every input kept for the fuzz targets through their entry points: the seeds in
//! `fuzz/seeds/<target>/` and, in `fuzz/regressions/<target>/`, the inputs that once broke a
//! reader, the analyzer or the model decoder.

use std::path::Path;

#[test]
fn kept_fuzz_inputs_still_pass() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    let kept = ["seeds", "regressions"]
        .iter()
        .filter_map(|d| std::fs::read_dir(fuzz.join(d)).ok())
        .flatten();
    for target in kept {
        let target = target.unwrap().path();
        let name = target.file_name().unwrap().to_string_lossy().into_owned();
        for input in std::fs::read_dir(&target).unwrap() {
            let input = input.unwrap().path();
            let bytes = std::fs::read(&input).unwrap();
            let outcome = std::panic::catch_unwind(|| moderato::harness::run_target(&name, &bytes));
            assert!(outcome.is_ok(), "{} fails again", input.display());
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no inputs under {}", fuzz.display());
}
