//! Names, text and bytes: the Rust in the first lines of every lesson program.
//! Run it: `cargo run -p rust-onramp --bin names`

fn main() {
    // ANCHOR: let
    // Python: port = 8001
    let port = 8001;
    // A name is fixed unless it says `mut` (Python names can always change).
    let mut callers = 0;
    callers += 1;
    println!("port {port}, callers {callers}");
    // ANCHOR_END: let

    // ANCHOR: text
    // `String` owns its text and can grow;
    // `&str` borrows text that lives somewhere else.
    let greeting: &str = "hello";
    let mut line: String = String::from(greeting);
    line.push_str(", server");
    // Python: f"{line} ({len(line)} bytes)"
    println!("{line} ({} bytes)", line.len());
    // ANCHOR_END: text

    // ANCHOR: bytes
    // A socket sends bytes, not text.
    // Python: "你好".encode() gives b'\xe4\xbd\xa0\xe5\xa5\xbd'.
    let message = "你好";
    let bytes: &[u8] = message.as_bytes();
    println!(
        "{message} is {} characters and {} bytes: {bytes:?}",
        message.chars().count(),
        bytes.len()
    );
    // What arrives is bytes too. Python: data.decode(errors="replace")
    let received: Vec<u8> = vec![0xe4, 0xbd, 0xa0, 0xff];
    println!("received: {}", String::from_utf8_lossy(&received));
    // ANCHOR_END: bytes
}
