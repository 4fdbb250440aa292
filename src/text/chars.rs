//! Character classes for the analyzer's per-character loops. The standard library answers
//! `char::is_alphabetic` for a non-ASCII letter with a search of its Unicode tables (about 300
//! instructions), which made Cyrillic and Greek text several times slower to analyse than
//! English; here the code points below U+0800 (Latin, Greek, Cyrillic, Armenian, Hebrew,
//! Arabic) are answered from bit tables made from the standard library's own answers (a unit
//! test compares every one), and the rest fall back to it.

/// Code points below this are answered from the tables.
const TABLE_END: u32 = 0x800;

/// Like [`char::is_alphabetic`].
#[inline]
pub fn is_alphabetic(c: char) -> bool {
    class(
        c,
        char::is_ascii_alphabetic,
        |c| in_table(&ALPHABETIC, c),
        char::is_alphabetic,
    )
}

/// Like [`char::is_alphanumeric`].
#[inline]
pub fn is_alphanumeric(c: char) -> bool {
    class(
        c,
        char::is_ascii_alphanumeric,
        |c| in_table(&ALPHABETIC, c) || in_table(&NUMERIC, c),
        char::is_alphanumeric,
    )
}

/// Like [`char::is_uppercase`].
#[inline]
pub fn is_uppercase(c: char) -> bool {
    class(
        c,
        char::is_ascii_uppercase,
        |c| in_table(&UPPERCASE, c),
        char::is_uppercase,
    )
}

/// A character class answered by `ascii` for ASCII, `table` below [`TABLE_END`], and the
/// standard library's `general` answer elsewhere.
#[inline(always)]
fn class(
    c: char,
    ascii: impl Fn(&char) -> bool,
    table: impl Fn(char) -> bool,
    general: impl Fn(char) -> bool,
) -> bool {
    if c.is_ascii() {
        ascii(&c)
    } else if (c as u32) < TABLE_END {
        table(c)
    } else {
        general(c)
    }
}

#[inline]
fn in_table(table: &[u64; (TABLE_END / 64) as usize], c: char) -> bool {
    let cp = c as u32;
    table[(cp / 64) as usize] >> (cp % 64) & 1 == 1
}

// Generated from `char::is_alphabetic`, `char::is_numeric` and `char::is_uppercase` for every
// code point below `TABLE_END`; bit `cp % 64` of word `cp / 64`.
const ALPHABETIC: [u64; 32] = [
    0x0000000000000000,
    0x07fffffe07fffffe,
    0x0420040000000000,
    0xff7fffffff7fffff,
    0xffffffffffffffff,
    0xffffffffffffffff,
    0xffffffffffffffff,
    0xffffffffffffffff,
    0xffffffffffffffff,
    0xffffffffffffffff,
    0xffffffffffffffff,
    0x0000501f0003ffc3,
    0x0000000000000000,
    0xbcdffff800000020,
    0xfffffffbffffd740,
    0xffbfffffffffffff,
    0xffffffffffffffff,
    0xffffffffffffffff,
    0xfffffffffffffc03,
    0xffffffffffffffff,
    0xfffeffffffffffff,
    0xffffffff027fffff,
    0xbfff0000000001ff,
    0x000787ffffff00b6,
    0xffffffff07ff0000,
    0xffffc000feffffff,
    0xffffffffffffffff,
    0x9c00e1fe1fefffff,
    0xffffffffffff0000,
    0xffffffffffffe000,
    0x0003ffffffffffff,
    0x043007fffffffc00,
];
const NUMERIC: [u64; 32] = [
    0x03ff000000000000,
    0x0000000000000000,
    0x720c000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x000003ff00000000,
    0x0000000000000000,
    0x03ff000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x00000000000003ff,
];
const UPPERCASE: [u64; 32] = [
    0x0000000000000000,
    0x0000000007fffffe,
    0x0000000000000000,
    0x000000007f7fffff,
    0xaa55555555555555,
    0x2b555555555554aa,
    0x11aed2d5b1dbced6,
    0x55d255554aaaa490,
    0x6c05555555555555,
    0x000000000000557a,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x8045000000000000,
    0x00000ffbfffed740,
    0xe6905555551c8000,
    0x0000ffffffffffff,
    0x5555555500000000,
    0x5555555555555401,
    0x5555555555552aab,
    0xfffe555555555555,
    0x00000000007fffff,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_agree_with_the_standard_library_everywhere() {
        for cp in 0..0x11_0000u32 {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            assert_eq!(is_alphabetic(c), c.is_alphabetic(), "U+{cp:04X}");
            assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "U+{cp:04X}");
            assert_eq!(is_uppercase(c), c.is_uppercase(), "U+{cp:04X}");
        }
    }
}
