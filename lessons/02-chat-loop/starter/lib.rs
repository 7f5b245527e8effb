// The parts of the starter that the book shows, generated from ../src/lib.rs by
// `cargo xtask exercise generate`: do not edit.
// To start the exercise, run `cargo xtask exercise start 02`.
// ANCHOR: bye
/// The one rule of this tiny protocol that ends the chat: a message that is exactly
/// `bye`. Whoever sends it hangs up after sending, whoever hears it hangs up after
/// hearing. `Bye` or `bye!` are ordinary messages, as in the original.
pub fn says_bye(message: &str) -> bool {
    todo!("true for the message bye, exactly; false for any other message")
}
// ANCHOR_END: bye
