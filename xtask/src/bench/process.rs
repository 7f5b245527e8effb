//! Starting the programs of one run, watching what they print, and reading the server's CPU
//! time. Every wait has a deadline, and every program is killed when its run is over.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The longest one run may take before the bench gives up on it.
pub const RUN_LIMIT: Duration = Duration::from_secs(120);

/// What a server printed so far: the lines that contain the row's marker.
#[derive(Debug, Default, Clone, Copy)]
pub struct Printed {
    /// How many lines contained the marker.
    pub lines: u64,
    /// When the last of them arrived.
    pub last: Option<Instant>,
    /// The server printed the end marker, or closed its output: no more lines will come.
    pub ended: bool,
    /// How many marked lines the bench waits for: the counting thread wakes it then.
    wanted: u64,
}

type Shared = Arc<(Mutex<Printed>, Condvar)>;

/// A server started for one run. Dropping it kills it.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    printed: Shared,
}

impl Server {
    /// Starts `command` and waits for its `listening on HOST:PORT` line. From then on a
    /// thread counts the lines of its output that contain `marker`, until one contains `end`.
    pub fn start(
        command: &[OsString],
        marker: &'static str,
        end: &'static str,
    ) -> anyhow::Result<Server> {
        let (program, args) = command.split_first().context("an empty command")?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("could not start {}", program.to_string_lossy()))?;
        let mut output =
            BufReader::with_capacity(1 << 16, child.stdout.take().context("no stdout")?);
        let mut ready = String::new();
        output.read_line(&mut ready)?;
        let Some(addr) = ready
            .trim()
            .strip_prefix("listening on ")
            .and_then(|addr| addr.parse().ok())
        else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("expected `listening on HOST:PORT` first, got {ready:?}");
        };
        let printed: Shared = Arc::new((
            Mutex::new(Printed {
                wanted: u64::MAX,
                ..Printed::default()
            }),
            Condvar::new(),
        ));
        let shared = Arc::clone(&printed);
        std::thread::spawn(move || count_lines(output, marker, end, &shared));
        Ok(Server {
            child,
            addr,
            printed,
        })
    }

    /// Waits until `lines` marked lines arrived, the server ended its output, or `deadline`.
    pub fn wait_for(&self, lines: u64, deadline: Instant) -> Printed {
        let (lock, arrived) = &*self.printed;
        let mut printed = lock.lock().unwrap();
        printed.wanted = lines;
        while printed.lines < lines && !printed.ended {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            printed = arrived.wait_timeout(printed, left).unwrap().0;
        }
        *printed
    }

    /// The server's CPU time so far (see [`cpu_time`]).
    pub fn cpu_time(&self) -> Option<Duration> {
        cpu_time(self.child.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads a server's output in big pieces and counts the lines that contain `marker`. It
/// wakes the bench only when the count reaches what the bench waits for, or at the end,
/// so that counting costs little next to the work measured.
fn count_lines(mut output: BufReader<ChildStdout>, marker: &str, end: &str, printed: &Shared) {
    let (lock, arrived) = &**printed;
    // What has arrived of a line whose end has not.
    let mut pending = Vec::new();
    loop {
        let size = {
            let piece = output.fill_buf().unwrap_or_default();
            pending.extend_from_slice(piece);
            piece.len()
        };
        output.consume(size);
        let now = Instant::now();
        let complete = pending
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |at| at + 1);
        let (mut marked, mut ended) = (0, size == 0);
        for line in pending[..complete].split(|b| *b == b'\n') {
            ended |= contains(line, end);
            marked += u64::from(!ended && contains(line, marker));
        }
        pending.drain(..complete);
        let mut state = lock.lock().unwrap();
        state.lines += marked;
        if marked > 0 {
            state.last = Some(now);
        }
        state.ended |= ended;
        if state.lines >= state.wanted || state.ended {
            arrived.notify_all();
        }
        drop(state);
        if ended {
            // Read on (and drop) whatever comes, so that the server never blocks on a full pipe.
            let _ = std::io::copy(&mut output, &mut std::io::sink());
            return;
        }
    }
}

fn contains(line: &[u8], text: &str) -> bool {
    !text.is_empty()
        && line
            .windows(text.len())
            .any(|window| window == text.as_bytes())
}

/// `command`, run on CPU 0 with `taskset -c 0` where Linux has taskset. A server and a
/// client that take turns, as in lesson 04, cost very different CPU times on one processor
/// and on two (waking a program on the other processor is dear: for the plain server 73
/// against 10 us per call, on the machine of the book's table), and the system moves them
/// from run to run. On one CPU the figures compare the programs, not where they ran.
pub fn on_one_cpu(command: Vec<OsString>) -> Vec<OsString> {
    if !cfg!(target_os = "linux") || !crate::tools::on_path("taskset") {
        return command;
    }
    let mut pinned: Vec<OsString> = vec!["taskset".into(), "-c".into(), "0".into()];
    pinned.extend(command);
    pinned
}

/// Waits for a program to end, at most until `deadline` (then kills it), and returns its
/// CPU time, read just before the system forgets it.
pub fn finish(child: &mut Child, deadline: Instant) -> anyhow::Result<Option<Duration>> {
    while Instant::now() < deadline {
        // A program that has ended keeps its figures until it is waited for: read them first.
        let cpu = cpu_time(child.id());
        if child.try_wait()?.is_some() {
            return Ok(cpu);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    bail!(
        "a program ran longer than {} s; killed it",
        RUN_LIMIT.as_secs()
    )
}

/// Reads all of `output` in a thread; the result arrives on the returned channel.
pub fn read_all(mut output: impl Read + Send + 'static) -> std::sync::mpsc::Receiver<Vec<u8>> {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = output.read_to_end(&mut bytes);
        let _ = send.send(bytes);
    });
    receive
}

/// The CPU time (user + system) that process `pid` used so far, from Linux's `/proc`:
/// `/proc/PID/task/TID/schedstat` counts it in nanoseconds for each thread (the lesson 06
/// server has many, the others one); `/proc/PID/stat` (fields 14 and 15, utime and stime)
/// in clock ticks of 10 ms, if schedstat is missing. `None` elsewhere. A thread that has
/// ended is no longer counted: the servers here keep theirs while the work is measured.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    if let Ok(threads) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        let mut nanos = 0;
        for thread in threads.flatten() {
            let path = thread.path().join("schedstat");
            let Ok(text) = std::fs::read_to_string(path) else {
                continue; // the thread ended meanwhile
            };
            nanos += text.split_whitespace().next()?.parse::<u64>().ok()?;
        }
        if nanos > 0 {
            return Some(Duration::from_nanos(nanos));
        }
    }
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The program's name (field 2) is in parentheses and may hold spaces: count after it.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ, the unit of these fields, is 100 on Linux.
    Some(Duration::from_millis(ticks * 10))
}

/// The CPU time this thread of the bench used so far (Linux; `None` elsewhere).
pub fn this_thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// The CPU time between two readings, per piece of work; `None` without readings.
pub fn per_unit(before: Option<Duration>, after: Option<Duration>, count: u64) -> Option<Duration> {
    let used = after?.checked_sub(before?)?;
    Some(used.div_f64(count.max(1) as f64))
}
