// The parts of the starter that the book shows, generated from ../src/bin/server.rs by
// `cargo xtask exercise generate`: do not edit.
// To start the exercise, run `cargo xtask exercise start 02`.
// ANCHOR: loop
/// The chat: the client speaks first, then we take turns, one message each, until one
/// side says bye or hangs up (then `hear` or `speak` says `Chat::Over`).
fn take_turns(line: &mut TcpStream) -> anyhow::Result<()> {
    todo!(
        "a loop: hear first, then speak (\"client\" is the other side); leave \
         the loop (break) as soon as either one returns Chat::Over"
    )
}
// ANCHOR_END: loop
