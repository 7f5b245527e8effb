// Not written yet: see the lesson's issue.
fn main() {}
