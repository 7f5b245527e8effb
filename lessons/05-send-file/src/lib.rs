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
/// 10 bytes). Most file systems allow 255 bytes in one name.
pub const NAME_LIMIT: usize = 255;
/// How much of the body is read, hashed and written at a time. Memory stays this
/// small whatever size the file is.
pub const CHUNK: usize = 64 * 1024;
/// The longest reply line we read (`OK` and 64 hex digits, or an `ERR` with a few
/// words).
pub const REPLY_LIMIT: u64 = 1024;
// ANCHOR_END: protocol

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
