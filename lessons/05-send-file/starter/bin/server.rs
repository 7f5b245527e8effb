// The parts of the starter that the book shows, generated from ../src/bin/server.rs by
// `cargo xtask exercise generate`: do not edit.
// To start the exercise, run `cargo xtask exercise start 05`.
// ANCHOR: read_header
/// Reads "SBPF", the version, the name's length and the name, and the size.
/// `read_exact` waits until it has exactly that many bytes, however many pieces they
/// come in.
fn read_header(line: &mut impl Read) -> Result<Header, Refusal> {
    todo!(
        "read_exact the 4-byte MAGIC (else ERR BAD_MAGIC), 1 VERSION byte \
         (else BAD_VERSION), a big-endian u16 name length (over NAME_LIMIT: \
         BAD_NAME), the name (UTF-8, else BAD_NAME), a big-endian u64 size"
    )
}
// ANCHOR_END: read_header

// ANCHOR: receive_body
/// Copies exactly `size` bytes from the caller into `file`, one chunk at a time, and
/// returns their SHA-256. Memory stays one chunk, whatever `size` says: never a
/// buffer of `size` bytes, which a caller could set to 16 EiB (u64::MAX).
fn receive_body(
    line: &mut impl Read,
    file: &mut impl Write,
    size: u64,
) -> Result<[u8; 32], Refusal> {
    todo!(
        "read from line.take(size) into a CHUNK-sized buffer until 0 bytes; \
         hash each piece (Sha256::update) and write_all it to file; fewer than \
         size bytes: ERR SHORT; return the finalized digest"
    )
}
// ANCHOR_END: receive_body
