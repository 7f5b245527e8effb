//! Lesson 06, the server: a group call. Many callers at once; whatever one says, the
//! others hear; and a caller who stops listening cannot stall the rest.
//!
//! Every server so far answered one caller at a time: the others waited in the queue
//! that the original's `listen(5)` talks about. Here each caller gets threads of
//! their own. Two rules keep the room healthy, and this file is built around them:
//!
//! 1. Never write to a socket while holding a lock. A write blocks when the other
//!    side does not read, and everyone who needs the lock would wait with it.
//! 2. Bound everything: the number of callers (and so of threads), the length of a
//!    line, and the bytes waiting for each caller.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use clap::Parser;
use lesson_06_group_call::{Heard, LINE_LIMIT, hear, name_problem};

/// Lesson 06: a group call. Everyone in the room hears what anyone says.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The phone number to listen on, HOST:PORT. Port 0 lets the system pick a free
    /// port.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8061", value_parser = common::parse_addr)]
    addr: SocketAddr,
    /// How many callers may be in the room at once (1 to 1000). One more hears `ROOM
    /// FULL`.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = parse_max_callers)]
    max_callers: usize,
    /// How many bytes may wait for one caller who reads too slowly (8192 to
    /// 1073741824; the default is 1 MiB). A caller who falls further behind is
    /// removed: "too slow".
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 20, value_parser = parse_outbox_bytes)]
    outbox_bytes: usize,
    /// Seconds a new caller has for their first line (their name). A caller who says
    /// nothing for that long joins under their address: nobody listens to the room
    /// unseen.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = common::parse_seconds)]
    first_line: f64,
}

fn main() -> ExitCode {
    let args: Args = common::parse_args();
    common::finish(serve(args))
}

fn serve(args: Args) -> anyhow::Result<()> {
    // ANCHOR: listen
    // socket + bind + listen in one call, as in lessons 02 to 04.
    let phone = TcpListener::bind(args.addr)
        .map_err(|err| common::listen_error(args.addr, err))?;
    common::announce_listening(phone.local_addr()?)?;
    println!(
        "the room is open for up to {} callers (Ctrl-C closes it)",
        args.max_callers
    );
    let room = Room::new(args.max_callers, args.outbox_bytes);
    // ANCHOR_END: listen

    // ANCHOR: scope
    // thread::scope: every thread started in here may *borrow* the room, because the
    // scope does not end before all of its threads have ended. So `room` needs no
    // Arc. (With thread::spawn, the room would have to live for ever: 'static.
    // Python's threads may share any object, and its garbage collector keeps it
    // alive.)
    let room = &room;
    let first_line = Duration::from_secs_f64(args.first_line);
    // Every open socket is a file to the system, and a program may open only so many
    // (`ulimit -n`). We keep one spare: when the system lets us open no more, we give
    // it back for a moment, to pick up the call and say ROOM FULL instead of leaving
    // the caller waiting without a word.
    let mut spare = phone.try_clone().ok();
    thread::scope(|scope| {
        let mut calls: u64 = 0;
        loop {
            let (line, caller) = match phone.accept() {
                Ok(call) => call,
                Err(err) => {
                    cannot_pick_up(&phone, &mut spare, &err);
                    continue;
                }
            };
            calls += 1;
            let id = calls;
            // One socket, three holders: the room (to hang up), the listening thread
            // and the speaking thread. An Arc shares it; try_clone() would open two
            // more files.
            let line = Arc::new(line);
            if !room.seat(id, caller, &line) {
                println!("{caller} called, but the room is full");
                turn_away(&line);
                continue;
            }
            // Two threads per caller: one listens to them, one speaks to them. A
            // thread blocks in read() or write_all() without holding up anybody else.
            let writer = Arc::clone(&line);
            scope.spawn(move || listen_to(room, id, caller, &line));
            scope.spawn(move || speak_to(room, id, &writer, first_line));
        }
    });
    // ANCHOR_END: scope
    Ok(())
}

/// Callers are known by the number of their call: 1, 2, 3...
type Id = u64;

// ANCHOR: room
/// The room: every caller's name and outbox, behind one lock.
struct Room {
    callers: Mutex<BTreeMap<Id, Caller>>,
    /// Rung whenever an outbox gets lines or a caller leaves: the speaking threads
    /// wait here.
    changed: Condvar,
    max_callers: usize,
    outbox_bytes: usize,
}

struct Caller {
    name: String,
    /// True once `* <name> joined` went out. Only then does this caller hear the
    /// room, and the room hear `left`: nobody listens unseen.
    announced: bool,
    /// A handle on the call, to hang up on a caller who is removed.
    line: Arc<TcpStream>,
    outbox: Outbox,
}

/// What waits to be sent to one caller. Its size is counted in bytes, not lines: one
/// line may be 5 bytes or 4 KiB, and it is the bytes that fill the memory.
#[derive(Default)]
struct Outbox {
    /// Every line is written once, and shared (`Arc`) by the outboxes of all
    /// listeners.
    lines: VecDeque<Arc<str>>,
    /// Bytes waiting, including those that the speaking thread is writing right now.
    bytes: usize,
    /// The speaking thread could not write any more: the call is broken.
    closed: bool,
}
// ANCHOR_END: room

impl Room {
    fn new(max_callers: usize, outbox_bytes: usize) -> Room {
        Room {
            callers: Mutex::new(BTreeMap::new()),
            changed: Condvar::new(),
            max_callers,
            outbox_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<Id, Caller>> {
        // A thread that panicked while holding the lock leaves it "poisoned"; the map
        // itself is still whole (every change to it is one step), so the others carry
        // on.
        self.callers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    // ANCHOR: seat
    /// Gives the caller a seat, named by their address, unless the room is full. The
    /// check and the seat are one step under the lock, so two callers cannot both
    /// take the last seat.
    fn seat(&self, id: Id, caller: SocketAddr, line: &Arc<TcpStream>) -> bool {
        let line = Arc::clone(line);
        let mut callers = self.lock();
        if callers.len() >= self.max_callers {
            return false;
        }
        let name = caller.to_string();
        let outbox = Outbox::default();
        let seat = Caller {
            name,
            announced: false,
            line,
            outbox,
        };
        callers.insert(id, seat);
        true
    }
    // ANCHOR_END: seat
}

// ANCHOR: turn_away
/// One caller too many: say so at once, and hang up. The accepting thread does it,
/// without waiting for anything: a thread of its own for each would let fifty callers
/// start fifty threads, and a wait would let them hold up everybody who calls after
/// them.
fn turn_away(mut line: &TcpStream) {
    let _ = line.write_all(b"ROOM FULL\n");
    // Hang up gently: shut down our sending side, then read what the caller has sent
    // already (a `NAME` line, say). Closing with unread bytes would answer with a
    // reset instead of a normal hang-up, and some systems (Windows) then drop our
    // ROOM FULL.
    let _ = line.shutdown(Shutdown::Write);
    let _ = line.set_nonblocking(true);
    let _ = io::copy(&mut line.take(64 * 1024), &mut io::sink());
}
// ANCHOR_END: turn_away

// ANCHOR: cannot_pick_up
/// accept() failed. Most often because the program may open no more files: the caller
/// stays in the queue, and every accept() fails at once (Linux fails it even when
/// nobody is calling). So close the spare, pick up if somebody is there, say ROOM
/// FULL, hang up, and take the spare back.
fn cannot_pick_up(
    phone: &TcpListener,
    spare: &mut Option<TcpListener>,
    err: &io::Error,
) {
    if !common::is_out_of_files(err) {
        common::could_not_pick_up(err);
        return;
    }
    let mut turned_away = false;
    if spare.take().is_some() {
        // Only a caller who is waiting already: this accept() must not wait for one.
        let _ = phone.set_nonblocking(true);
        if let Ok((line, caller)) = phone.accept() {
            let _ = line.set_nonblocking(false);
            eprintln!(
                "error: {caller} called, but this program may open no more files: \
                 raise the limit (`ulimit -n`) or lower --max-callers"
            );
            println!("{caller} called, but the room is full");
            turn_away(&line);
            turned_away = true;
        }
        let _ = phone.set_nonblocking(false);
        *spare = phone.try_clone().ok();
    }
    if !turned_away {
        // Nobody to turn away: wait until somebody leaves or calls, without spinning.
        thread::sleep(Duration::from_millis(50));
    }
}
// ANCHOR_END: cannot_pick_up

// ANCHOR: speak_to
/// One caller's speaking thread: waits for lines in their outbox and writes them,
/// *without* the lock. If this caller does not read, write_all() blocks here, in
/// their own thread, and nobody else waits.
fn speak_to(room: &Room, id: Id, line: &TcpStream, first_line: Duration) {
    // First, the caller joins: with their first line, or after `first_line` without
    // one.
    room.wait_to_join(id, first_line);
    let mut writer = BufWriter::new(line);
    loop {
        // Take everything waiting, under the lock...
        let batch: Vec<Arc<str>> = {
            let mut callers = room.lock();
            loop {
                match callers.get_mut(&id) {
                    None => return, // removed: the call is over
                    Some(caller) if !caller.outbox.lines.is_empty() => {
                        break caller.outbox.lines.drain(..).collect();
                    }
                    Some(_) => {
                        callers = room
                            .changed
                            .wait(callers)
                            .unwrap_or_else(|poisoned| poisoned.into_inner());
                    }
                }
            }
        };
        // ...and write it with the lock released.
        let mut written = 0;
        let mut result = Ok(());
        for text in &batch {
            result = writer.write_all(text.as_bytes());
            if result.is_err() {
                break;
            }
            written += text.len();
        }
        let result = result.and_then(|()| writer.flush());
        let mut callers = room.lock();
        let Some(caller) = callers.get_mut(&id) else {
            return;
        };
        caller.outbox.bytes -= written.min(caller.outbox.bytes);
        if result.is_err() {
            // The call broke. Mark the outbox, and hang up so that the listening
            // thread ends too; the next broadcast or the listening thread removes the
            // caller.
            caller.outbox.closed = true;
            let _ = caller.line.shutdown(Shutdown::Both);
            return;
        }
    }
}
// ANCHOR_END: speak_to

// ANCHOR: push
impl Outbox {
    /// Queues `line` unless that would pass `limit` bytes (or the call is broken).
    /// Never blocks, never writes to a socket: it only adds to a list in memory.
    fn push(&mut self, line: &Arc<str>, limit: usize) -> bool {
        if self.closed || self.bytes + line.len() > limit {
            return false;
        }
        self.bytes += line.len();
        self.lines.push_back(Arc::clone(line));
        true
    }
}
// ANCHOR_END: push

// What happens in the room: a line for everyone, a caller who goes, a note for one.
impl Room {
    // ANCHOR: broadcast
    /// Passes `line` to everyone in the room but `from`. Holds the lock only to queue
    /// the line in each outbox, which never blocks; a caller whose outbox is full (or
    /// whose call broke) is collected, and removed once the lock is released.
    fn broadcast(&self, from: Option<Id>, line: &str) {
        // EXERCISE: under the lock, push one Arc<str> to the outbox of every
        //           announced caller but the sender, and note whose push fails;
        //           notify_all; after the lock, remove those ("too slow", or None if
        //           the call is closed)
        let line: Arc<str> = Arc::from(line);
        let mut dropped = Vec::new();
        {
            let mut callers = self.lock();
            for (id, caller) in callers.iter_mut() {
                // Not the sender, and only callers the room has heard join.
                if Some(*id) == from || !caller.announced {
                    continue;
                }
                if !caller.outbox.push(&line, self.outbox_bytes) {
                    let reason = if caller.outbox.closed {
                        None
                    } else {
                        Some("too slow")
                    };
                    dropped.push((*id, reason));
                }
            }
            // Wake the speaking threads: there is something to send.
            self.changed.notify_all();
        } // The lock is released here, before anybody is removed.
        for (id, reason) in dropped {
            // remove() tells the room, which is a broadcast again: it takes the lock
            // itself, so we must not hold it here.
            self.remove(id, reason);
        }
        // EXERCISE_END
    }
    // ANCHOR_END: broadcast

    // ANCHOR: remove
    /// Takes a caller out of the room (once: whoever takes them out tells the room),
    /// hangs up on them, and tells the others, with a reason if there is one.
    fn remove(&self, id: Id, reason: Option<&str>) {
        let Some(gone) = self.lock().remove(&id) else {
            return; // somebody else removed them already
        };
        // Their speaking thread wakes up, finds them gone, and ends.
        self.changed.notify_all();
        // Hanging up also wakes their listening thread, and a speaking thread that is
        // stuck in write_all(): both get an error and end.
        let _ = gone.line.shutdown(Shutdown::Both);
        if !gone.announced {
            // The room never heard them join, so it hears nothing now; only our log
            // does.
            match reason {
                Some(reason) => {
                    println!("{} was removed before joining: {reason}", gone.name)
                }
                None => println!("{} hung up before joining", gone.name),
            }
            return;
        }
        let note = match reason {
            Some(reason) => format!("* {} left: {reason}\n", gone.name),
            None => format!("* {} left\n", gone.name),
        };
        self.broadcast(None, &note);
        print!("{note}");
    }
    // ANCHOR_END: remove

    // ANCHOR: tell
    /// A note for one caller only, like `* line too long`. It counts against the same
    /// outbox limit: a caller who never reads cannot grow their own notes without
    /// end.
    fn tell(&self, to: Id, note: &str) {
        let line: Arc<str> = Arc::from(note);
        let full = match self.lock().get_mut(&to) {
            Some(caller) => !caller.outbox.push(&line, self.outbox_bytes),
            None => false,
        };
        self.changed.notify_all();
        if full {
            self.remove(to, Some("too slow"));
        }
    }
    // ANCHOR_END: tell
}

// ANCHOR: listen_to
/// One caller's listening thread: reads their lines and passes each on to the room,
/// until they say `bye`, hang up, or are removed.
fn listen_to(room: &Room, id: Id, caller: SocketAddr, line: &TcpStream) {
    let mut reader = BufReader::new(line);
    let mut first = true;
    loop {
        let heard = match hear(&mut reader) {
            Ok(heard) => heard,
            Err(err) => {
                println!("lost the call with {caller} ({})", common::short(&err));
                Heard::HungUp
            }
        };
        let text = match heard {
            Heard::Line(text) => text,
            Heard::TooLong => {
                room.tell(
                    id,
                    &format!("* line too long (at most {LINE_LIMIT} bytes)\n"),
                );
                continue;
            }
            Heard::HungUp => break,
        };
        // Only the first line may ask for a name; either way, the room hears the
        // join. (Unless the caller joined already: their time for a first line ran
        // out, see speak_to.)
        let joined_now = first && room.announce(id, text.strip_prefix("NAME "));
        first = false;
        if text.starts_with("NAME ") {
            if !joined_now {
                room.tell(
                    id,
                    "* name refused: a name can only be asked for in the first \
                     line\n",
                );
            }
            continue;
        }
        if text == "bye" {
            break; // ends this caller's call only; `bye` is not passed on
        }
        let Some(name) = room.name_of(id) else {
            break; // removed: too slow
        };
        // Control characters go out escaped (`\r` as the two characters \ and r): a
        // caller with a raw `nc` must not see a forged line, or have their screen
        // cleared.
        let text = common::printable(&text);
        // No caller hears their own lines back: `from` is left out.
        room.broadcast(Some(id), &format!("{name}: {text}\n"));
    }
    room.remove(id, None);
}
// ANCHOR_END: listen_to

// How a caller gets their name and joins the room.
impl Room {
    // ANCHOR: name
    /// The caller's first line decided their name: the one they asked for (`NAME
    /// <name>`) if it is good and free, else their address. Now the room hears that
    /// they joined. False if they had joined already (or are gone): then nothing
    /// changes.
    fn announce(&self, id: Id, wanted: Option<&str>) -> bool {
        let mut refused = None;
        let note = {
            let mut callers = self.lock();
            if let Some(wanted) = wanted {
                match name_problem(wanted) {
                    Some(problem) => refused = Some(problem.to_string()),
                    None if callers.values().any(|caller| caller.name == wanted) => {
                        refused = Some(format!("{wanted} is taken"));
                    }
                    None => {}
                }
            }
            let Some(caller) = callers.get_mut(&id) else {
                return false; // removed in the meantime
            };
            if caller.announced {
                return false; // joined already, under their address: see wait_to_join
            }
            if let (Some(wanted), None) = (wanted, &refused) {
                caller.name = wanted.to_string();
            }
            caller.announced = true;
            format!("* {} joined\n", caller.name)
        };
        if let Some(problem) = refused {
            self.tell(id, &format!("* name refused: {problem}\n"));
        }
        self.broadcast(Some(id), &note);
        // The server's own log, after the room has it (a test waits for this line).
        print!("{note}");
        true
    }
    // ANCHOR_END: name

    // ANCHOR: wait_to_join
    /// Waits until the caller has joined, but at most `first_line`. One who has not
    /// sent a whole first line by then joins now, under their address: until a caller
    /// joins, the broadcast leaves them out, and nobody may listen to the room
    /// unseen.
    fn wait_to_join(&self, id: Id, first_line: Duration) {
        let callers = self.lock();
        // wait_timeout_while sleeps until `changed` rings and the test is false, or
        // the time is up (announce() and remove() ring it).
        let (callers, _) = self
            .changed
            .wait_timeout_while(callers, first_line, |callers| {
                callers.get(&id).is_some_and(|caller| !caller.announced)
            })
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        drop(callers); // announce() takes the lock itself
        self.announce(id, None); // does nothing if they joined (or left) meanwhile
    }
    // ANCHOR_END: wait_to_join

    fn name_of(&self, id: Id) -> Option<String> {
        self.lock().get(&id).map(|caller| caller.name.clone())
    }
}

fn parse_max_callers(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => {
            Err("expected a whole number of callers from 1 to 1000, like 8"
                .to_string())
        }
    }
}

fn parse_outbox_bytes(text: &str) -> Result<usize, String> {
    // At least two of the longest lines, so that one long line never removes anybody.
    match text.trim().parse::<usize>() {
        Ok(n) if (8192..=1 << 30).contains(&n) => Ok(n),
        _ => Err(
            "expected a number of bytes from 8192 to 1073741824, like 1048576"
                .to_string(),
        ),
    }
}
