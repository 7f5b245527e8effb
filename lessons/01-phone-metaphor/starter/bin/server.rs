// The parts of the starter that the book shows, generated from ../src/bin/server.rs by
// `cargo xtask exercise generate`: do not edit.
// To start the exercise, run `cargo xtask exercise start 01`.
// ANCHOR: take_the_call
/// One phone call on the `phone` that is switched on: wait for it to ring and pick
/// up, listen to the caller, answer, hang up. Each step prints one line in phone
/// words.
fn take_the_call(phone: &Socket) -> anyhow::Result<()> {
    todo!(
        "pick up with phone.accept() and print the caller's number; read at \
         most 1024 bytes (common::receive; 0 bytes: the caller hung up without \
         a word) and print them (from_utf8_lossy, common::printable); type a \
         reply (common::read_message; end of input means \"bye\") and write_all \
         it; hang up (common::hang_up). The lines to print are in the contract \
         appendix."
    )
    // The book's markers for the solution's steps; leave them (they may stay empty):
    // ANCHOR: accept
    // ANCHOR_END: accept
    // ANCHOR: recv
    // ANCHOR_END: recv
    // ANCHOR: send
    // ANCHOR_END: send
    // ANCHOR: close
    // ANCHOR_END: close
}
// ANCHOR_END: take_the_call
