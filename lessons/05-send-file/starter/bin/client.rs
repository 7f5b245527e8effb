// The parts of the starter that the book shows, generated from ../src/bin/client.rs by
// `cargo xtask exercise generate`: do not edit.
// To start the exercise, run `cargo xtask exercise start 05`.
// ANCHOR: send_header
/// The header: "SBPF", version 1, the name's length in bytes (big-endian u16), the
/// name in UTF-8, the size in bytes (big-endian u64). One write_all of the whole
/// header.
fn send_header(line: &mut impl Write, name: &str, size: u64) -> io::Result<()> {
    todo!(
        "MAGIC, VERSION, name.len() (bytes, not chars!) as a big-endian u16 \
         (to_be_bytes; too long: an InvalidInput error), the name's bytes, \
         size as a big-endian u64; write_all"
    )
}
// ANCHOR_END: send_header

// ANCHOR: send_body
/// Sends exactly `size` bytes of `file`, a chunk at a time, and returns their
/// SHA-256.
fn send_body(
    file: &mut impl Read,
    line: &mut impl Write,
    size: u64,
    bar: &ProgressBar,
) -> io::Result<[u8; 32]> {
    todo!(
        "read file.take(size) into a CHUNK-sized buffer until 0 bytes; hash \
         each piece (Sha256::update), write_all it to line, bar.inc; fewer \
         than size bytes: an error; return the finalized digest"
    )
}
// ANCHOR_END: send_body
