//! Memory budgets: parsing sizes such as `4G`, the default limit, and printing sizes.

use crate::error::{Error, Result};

const KIB: u64 = 1024;
const GIB: u64 = KIB * KIB * KIB;

/// The default training memory limit: 4 GiB, or half the machine's memory when that is less.
pub fn default_limit() -> u64 {
    let four = 4 * GIB;
    match total_memory() {
        Some(total) => four.min(total / 2).max(256 * KIB * KIB),
        None => four,
    }
}

/// `MemTotal` from `/proc/meminfo`, when the system has one.
fn total_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line
        .trim_start_matches("MemTotal:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * KIB)
}

/// Parses a size: a number with an optional binary unit `K`, `M`, `G` or `T` (also written
/// `KB`, `KiB`, ...; any case); a bare number is bytes.
pub fn parse_size(s: &str) -> Result<u64> {
    let bad = || {
        Error::Config(format!(
            "'{s}' is not a size (examples: 4G, 512M, 1.5GiB, 1000000)"
        ))
    };
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number.parse().map_err(|_| bad())?;
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit.trim_end_matches('b').trim_end_matches('i');
    let scale = match unit {
        "" => 1,
        "k" => KIB,
        "m" => KIB * KIB,
        "g" => GIB,
        "t" => GIB * KIB,
        _ => return Err(bad()),
    };
    let bytes = value * scale as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as u64)
}

/// A size for people: `3.2 GiB`, `410 MiB`, `12 KiB`.
pub fn format_size(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes >= GIB {
        format!("{:.1} GiB", b / GIB as f64)
    } else if bytes >= KIB * KIB {
        format!("{:.0} MiB", b / (KIB * KIB) as f64)
    } else {
        format!("{:.0} KiB", b / KIB as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes_with_and_without_units() {
        assert_eq!(parse_size("4G").ok(), Some(4 * GIB));
        assert_eq!(parse_size("4GiB").ok(), Some(4 * GIB));
        assert_eq!(parse_size("512m").ok(), Some(512 * KIB * KIB));
        assert_eq!(parse_size("1.5G").ok(), Some(3 * GIB / 2));
        assert_eq!(parse_size("1000").ok(), Some(1000));
        for bad in ["", "G", "4X", "-1G", "0", "1e400"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert!(default_limit() >= 256 * KIB * KIB);
        assert_eq!(format_size(3 * GIB / 2), "1.5 GiB");
    }
}
