// The parts of the starter that the book shows, generated from ../src/bin/client.rs by
// `cargo xtask exercise generate`: do not edit.
// To start the exercise, run `cargo xtask exercise start 04`.
// ANCHOR: one_call
/// One call: dial, say `message`, print the reply, hang up.
fn one_call(addr: SocketAddr, message: &str) -> anyhow::Result<()> {
    todo!(
        "TcpStream::connect (errors through common::dial_error); write_all the \
         message; one read of up to 1024 bytes; print `the server says: \
         <reply>` (from_utf8_lossy, common::printable; 0 bytes: the server \
         hung up without replying); hang up"
    )
}
// ANCHOR_END: one_call
