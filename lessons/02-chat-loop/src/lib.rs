//! Lesson 02: the two halves of every round of the chat, shared by the server and the
//! client. Each program's loop is just "their turn, our turn" (the server) or "our
//! turn, their turn" (the client).

use std::io::Write;
use std::net::TcpStream;

use common::MESSAGE_LIMIT;

/// How a turn ended: the chat goes on, or it is over (somebody said bye, or hung up).
#[derive(Debug, PartialEq, Eq)]
pub enum Chat {
    GoesOn,
    Over,
}

// ANCHOR: hear
/// Their turn: wait for one message from the other side (`peer`: "client" or
/// "server") and print it on a line of its own.
pub fn hear(line: &mut TcpStream, peer: &str) -> anyhow::Result<Chat> {
    // read() blocks: the program stops here until the other side sends something or
    // hangs up. One read of up to 1024 bytes, like Python's recv(1024).
    println!("waiting for the {peer}...");
    std::io::stdout().flush()?;
    let mut buffer = [0u8; MESSAGE_LIMIT];
    let size = common::receive(line, &mut buffer)?;
    // ANCHOR: hung-up
    // 0 bytes is not an empty message: nobody can send 0 bytes. It means the other
    // side hung up. (The original took it for an empty message: it printed a blank
    // line and asked for a reply to nobody.)
    if size == 0 {
        println!("the {peer} hung up without saying bye");
        return Ok(Chat::Over);
    }
    // ANCHOR_END: hung-up
    // ANCHOR: lossy
    // Python's .decode('utf-8') crashes on bytes that are not UTF-8, such as a
    // Chinese character cut in two at byte 1024. from_utf8_lossy shows them as �
    // instead.
    let message = String::from_utf8_lossy(&buffer[..size]);
    // ANCHOR_END: lossy
    // A peer like netcat ends each message with a line ending: drop it, so that its
    // "bye" counts too.
    let message = message.trim_end_matches(['\r', '\n']);
    // common::printable shows control characters as escapes (\r, \x1b), so that the
    // other side cannot play tricks with our terminal.
    println!("{peer} says: {}", common::printable(message));
    if says_bye(message) {
        println!("the {peer} said bye: hanging up");
        return Ok(Chat::Over);
    }
    Ok(Chat::GoesOn)
}
// ANCHOR_END: hear

// ANCHOR: speak
/// Our turn: the user types one message, and we send it with one write of at most
/// 1024 bytes. Python: conn.send(message.encode('utf-8'))
pub fn speak(line: &mut TcpStream, peer: &str) -> anyhow::Result<Chat> {
    // Typing blocks too: while we type, nobody reads the line.
    let message = type_message()?;
    if let Err(err) = line.write_all(message.as_bytes()) {
        if common::is_hang_up(&err) {
            println!("the {peer} hung up without saying bye");
            return Ok(Chat::Over);
        }
        return Err(err.into());
    }
    if says_bye(&message) {
        println!("we said bye: hanging up");
        return Ok(Chat::Over);
    }
    Ok(Chat::GoesOn)
}
// ANCHOR_END: speak

// ANCHOR: bye
/// The one rule of this tiny protocol that ends the chat: a message that is exactly
/// `bye`. Whoever sends it hangs up after sending, whoever hears it hangs up after
/// hearing. `Bye` or `bye!` are ordinary messages, as in the original.
pub fn says_bye(message: &str) -> bool {
    // EXERCISE: true for the message bye, exactly; false for any other message
    // Python: if message == 'bye':
    message == "bye"
    // EXERCISE_END
}
// ANCHOR_END: bye

// ANCHOR: type
/// The user types one message, at the prompt `you> `. `common::read_message` asks
/// again when the line is longer than 1024 bytes (the other side reads at most that
/// much at once) or empty (0 bytes: nothing would travel, and both sides would wait
/// for each other forever). End of input (Ctrl-D) counts as "bye", so the other side
/// is not left waiting.
pub fn type_message() -> anyhow::Result<String> {
    let Some(text) = common::read_message("you> ")? else {
        println!("(end of input: saying bye)");
        return Ok("bye".to_string());
    };
    Ok(text)
}
// ANCHOR_END: type
