// The parts of the starter that the book shows, generated from ../src/bin/server.rs by
// `cargo xtask exercise generate`: do not edit.
// To start the exercise, run `cargo xtask exercise start 03`.
// ANCHOR: receive_line
/// Reads one line from the caller, without its line ending (`\n`, or `\r\n` as
/// Windows programs send it).
///
/// - `Ok(None)`: the caller hung up; nothing was left.
/// - A last line without `\n` before the caller hangs up counts as a line.
/// - A line longer than [`LINE_LIMIT`] bytes (its line ending not counted) is an
///   `InvalidData` error, read no further than the limit: whatever a caller sends,
///   the server keeps at most that much of it.
fn receive_line(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    todo!(
        "read up to the next newline, but never more than LINE_LIMIT + 2 \
         bytes (Read::take, BufRead::read_until); 0 bytes means the caller \
         hung up; drop the \\n or \\r\\n; longer than LINE_LIMIT is an \
         InvalidData error"
    )
}
// ANCHOR_END: receive_line
