//! Lesson 02: what the server and the client share.

// ANCHOR: type
/// The user types one message, at the prompt `you> `. `common::read_message` asks again when
/// the line is longer than 1024 bytes (the other side reads at most that much at once) or
/// empty (0 bytes: nothing would travel, and both sides would wait for each other forever).
/// End of input (Ctrl-D) counts as "bye", so the other side is not left waiting.
pub fn type_message() -> anyhow::Result<String> {
    let Some(text) = common::read_message("you> ")? else {
        println!("(end of input: saying bye)");
        return Ok("bye".to_string());
    };
    Ok(text)
}
// ANCHOR_END: type
