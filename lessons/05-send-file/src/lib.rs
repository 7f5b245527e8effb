//! Lesson 05: what the sender and the receiver of a file agree on.
//!
//! The protocol is called SBPF/1 ("sockets by phone, file", version 1). One call
//! carries one file. All numbers are big-endian ("network byte order"), so a program
//! on any machine, in any language, reads them the same way.
//!
//! ```text
//! caller -> server   "SBPF" 1 | name length (u16) | name (UTF-8) | size (u64)
//! server -> caller   "GO\n"  or  "ERR <CODE> <words>\n"
//! caller -> server   the body (size bytes) | its SHA-256 (32 bytes)
//! server -> caller   "OK <hex digest>\n"  or  "ERR <CODE> <words>\n"
//! ```

// ANCHOR: protocol
/// The first four bytes of every call: "this is a file, in our protocol". A program
/// that dials the wrong server (lesson 02's chat client, a web browser) is caught at
/// once.
pub const MAGIC: &[u8; 4] = b"SBPF";
/// The version byte after the magic. A future SBPF/2 gets `ERR BAD_VERSION` from this
/// server.
pub const VERSION: u8 = 1;
/// The longest name, in bytes of UTF-8 (not characters: `报告.txt` is 6 characters,
/// 10
/// bytes). Most file systems allow 255 bytes in one name.
pub const NAME_LIMIT: usize = 255;
/// How much of the body is read, hashed and written at a time. Memory stays this
/// small whatever size the file is.
pub const CHUNK: usize = 64 * 1024;
/// The longest reply line we read (`OK` and 64 hex digits, or an `ERR` with a few
/// words).
pub const REPLY_LIMIT: u64 = 1024;
// ANCHOR_END: protocol

/// Unicode's invisible "format" characters (general category Cf, Unicode 15): a
/// zero-width space (U+200B), the right-to-left override (U+202E) that shows
/// `report\u{202E}txt.exe` as "reportexe.txt", a byte order mark (U+FEFF), ... They
/// change how a name looks, not what it is, so two names that look the same can be
/// different files. Rust's standard library has no table of categories, so here is
/// this one (from the Unicode data file).
const FORMAT_CHARACTERS: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{0600}', '\u{0605}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{06DD}', '\u{06DD}'),
    ('\u{070F}', '\u{070F}'),
    ('\u{0890}', '\u{0891}'),
    ('\u{08E2}', '\u{08E2}'),
    ('\u{180E}', '\u{180E}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{2064}'),
    ('\u{2066}', '\u{206F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFF9}', '\u{FFFB}'),
    ('\u{110BD}', '\u{110BD}'),
    ('\u{110CD}', '\u{110CD}'),
    ('\u{13430}', '\u{1343F}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0001}', '\u{E0001}'),
    ('\u{E0020}', '\u{E007F}'),
];

/// True for an invisible format character (see [`FORMAT_CHARACTERS`]).
pub fn is_format_character(c: char) -> bool {
    FORMAT_CHARACTERS
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

/// A SHA-256 digest as 64 lower-case hex digits, the way `sha256sum` prints it.
pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A number of bytes per second, in MB/s (millions of bytes, like network speeds),
/// KB/s (thousands) or bytes/s, whichever shows at least one digit that is not 0.
pub fn speed(bytes: u64, seconds: f64) -> String {
    let per_second = bytes as f64 / seconds.max(1e-9);
    if per_second >= 1e6 {
        format!("{:.0} MB/s", per_second / 1e6)
    } else if per_second >= 1e3 {
        format!("{:.0} KB/s", per_second / 1e3)
    } else {
        format!("{per_second:.0} bytes/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_characters_are_found_and_letters_are_not() {
        for c in ['\u{200B}', '\u{202E}', '\u{FEFF}', '\u{E0041}', '\u{00AD}'] {
            assert!(is_format_character(c), "{c:?}");
        }
        for c in ['a', '报', ' ', '-', '\u{00E9}', '\u{0301}', '\u{1F600}'] {
            assert!(!is_format_character(c), "{c:?}");
        }
    }

    #[test]
    fn a_speed_has_a_unit_that_shows_its_digits() {
        assert_eq!(speed(268_435_456, 0.5), "537 MB/s");
        assert_eq!(speed(2000, 0.069), "29 KB/s");
        assert_eq!(speed(10, 1.0), "10 bytes/s");
        assert_eq!(speed(0, 0.001), "0 bytes/s");
    }

    #[test]
    fn hex_is_lower_case_with_leading_zeros() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
    }
}
