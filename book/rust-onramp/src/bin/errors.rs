//! Errors: `Result`, `match`, `?` and `anyhow`, where Python uses try/except.
//! Run it: `cargo run -p rust-onramp --bin errors`

use anyhow::Context;

// ANCHOR: match
/// A function that can fail says so in its type: `Result<value, error>`.
fn parse_port(text: &str) -> Result<u16, std::num::ParseIntError> {
    text.parse::<u16>()
}

fn show(text: &str) {
    // Python: try: port = int(text) ... except ValueError as err: ...
    match parse_port(text) {
        Ok(port) => println!("{text:?} is port {port}"),
        Err(err) => println!("{text:?} is no port: {err}"),
    }
}
// ANCHOR_END: match

// ANCHOR: question
/// `?` means: if this failed, stop here and hand the error to my caller.
/// `.context(...)` adds a sentence that says what we were doing (anyhow).
fn port_plus_one(text: &str) -> anyhow::Result<u16> {
    let doing = format!("reading the port {text:?}");
    let port = parse_port(text).context(doing)?;
    Ok(port + 1)
}
// ANCHOR_END: question

fn main() {
    show("8001");
    show("80O1");
    show("70000");
    println!("{:?}", port_plus_one("8001").ok());
    // ANCHOR: report
    if let Err(err) = port_plus_one("eighty") {
        // `{:#}` prints the context and the cause on one line.
        println!("error: {err:#}");
    }
    // ANCHOR_END: report
}
