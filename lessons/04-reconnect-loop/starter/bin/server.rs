// The parts of the starter that the book shows, generated from ../src/bin/server.rs by
// `cargo xtask exercise generate`: do not edit.
// To start the exercise, run `cargo xtask exercise start 04`.
// ANCHOR: open
/// socket(), bind() and listen(), once: the phone the server keeps for its whole
/// life.
fn open_the_line(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    todo!(
        "socket2's Socket::new, set_reuse_address(true) on Unix, bind (errors \
         through common::listen_error), listen(QUEUE), then .into() a \
         TcpListener"
    )
}
// ANCHOR_END: open

// ANCHOR: serve_one
/// One call: hear one message (waiting at most `timeout`), print it, send one reply
/// (TEXT, or the next typed line), hang up. Trouble with this caller is a note, never
/// an error: the next caller is waiting.
fn serve_one_caller(
    mut line: TcpStream,
    caller: SocketAddr,
    reply: Option<&str>,
    timeout: Duration,
) -> io::Result<Call> {
    todo!(
        "set_read_timeout(timeout); one read of up to 1024 bytes (read again \
         if it was Interrupted; 0 bytes, a timeout (common::is_timeout) or an \
         error: print a note, return Call::Over); print `<caller> says: \
         <text>` (from_utf8_lossy, common::printable); next_reply(reply) (None: \
         return Call::InputEnded); write_all; hang up with common::hang_up"
    )
}
// ANCHOR_END: serve_one
