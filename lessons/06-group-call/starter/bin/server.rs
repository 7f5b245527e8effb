// The parts of the starter that the book shows, generated from ../src/bin/server.rs by
// `cargo xtask exercise generate`: do not edit.
// To start the exercise, run `cargo xtask exercise start 06`.
    // ANCHOR: broadcast
    /// Passes `line` to everyone in the room but `from`. Holds the lock only to queue
    /// the line in each outbox, which never blocks; a caller whose outbox is full (or
    /// whose call broke) is collected, and removed once the lock is released.
    fn broadcast(&self, from: Option<Id>, line: &str) {
        todo!(
            "under the lock, push one Arc<str> to the outbox of every \
             announced caller but the sender, and note whose push fails; \
             notify_all; after the lock, remove those (\"too slow\", or None if \
             the call is closed)"
        )
    }
    // ANCHOR_END: broadcast
