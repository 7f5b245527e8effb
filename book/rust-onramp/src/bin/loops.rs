//! Loops and closures, as the lessons use them.
//! Run it: `cargo run -p rust-onramp --bin loops`

fn main() {
    let count = 3;

    // ANCHOR: for
    // Python: for round in range(1, count + 1):
    for round in 1..=count {
        println!("round {round} of {count}");
    }
    // ANCHOR_END: for

    // ANCHOR: loop
    // Python: while True: ... break
    let mut heard = 0;
    loop {
        heard += 1;
        if heard == 3 {
            println!("heard 3 messages, hanging up");
            break;
        }
    }
    // ANCHOR_END: loop

    // ANCHOR: closure
    // A closure is a small function without a name.
    // Python: lambda text: text.strip() == "bye"
    let is_bye = |text: &str| text.trim() == "bye";
    for said in ["hello", "bye "] {
        println!("{said:?} ends the call: {}", is_bye(said));
    }
    // ANCHOR_END: closure
}
