//! Deterministic hold-out split by text, so the same comment always lands on the same side.

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// True when `text` belongs to the held-out part, about `fraction` of all texts.
pub fn is_held_out(text: &str, fraction: f64, seed: u64) -> bool {
    if fraction <= 0.0 {
        return false;
    }
    let h = xxh3_64_with_seed(text.as_bytes(), seed ^ 0x5eed);
    ((h >> 11) as f64 / (1u64 << 53) as f64) < fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_out_about_the_fraction_and_is_stable() {
        let texts: Vec<String> = (0..10_000).map(|i| format!("comment {i}")).collect();
        let held = texts.iter().filter(|t| is_held_out(t, 0.1, 1)).count();
        assert!((800..1200).contains(&held), "{held}");
        assert_eq!(is_held_out("same", 0.1, 1), is_held_out("same", 0.1, 1));
        assert!(!is_held_out("x", 0.0, 1));
    }
}
