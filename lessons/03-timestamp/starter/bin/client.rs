// The parts of the starter that the book shows, generated from ../src/bin/client.rs by
// `cargo xtask exercise generate`: do not edit.
// To start the exercise, run `cargo xtask exercise start 03`.
// ANCHOR: send_timestamp
/// Sends the current Unix time, like `1732470000.123456`, and a `\n`, in one write.
/// Returns the text that was sent, without the `\n`.
fn send_timestamp(line: &mut TcpStream) -> io::Result<String> {
    todo!(
        "take the time since 1970 (SystemTime::now, duration_since \
         UNIX_EPOCH), write it like 1732470000.123456 plus a newline, send \
         both in one write_all"
    )
}
// ANCHOR_END: send_timestamp
