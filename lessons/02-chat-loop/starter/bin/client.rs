// The parts of the starter that the book shows, generated from ../src/bin/client.rs by
// `cargo xtask exercise generate`: do not edit.
// To start the exercise, run `cargo xtask exercise start 02`.
// ANCHOR: loop
/// The chat: we speak first, then we take turns, one message each, until one side
/// says bye or hangs up (then `speak` or `hear` says `Chat::Over`).
fn take_turns(line: &mut TcpStream) -> anyhow::Result<()> {
    todo!(
        "a loop: speak first, then hear (\"server\" is the other side); leave \
         the loop (break) as soon as either one returns Chat::Over"
    )
}
// ANCHOR_END: loop
