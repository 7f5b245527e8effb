//! Terminal transcripts for the book, made by running the real programs.
//!
//! A chapter shows what a reader sees in each terminal. Copying that by hand lets it drift
//! from the programs, so each transcript is a small script in `book/transcripts/NAME.script`,
//! and what it printed is kept in `book/transcripts/NAME/TERMINAL.txt`, which the chapter
//! includes. The test `test-support/tests/transcripts.rs` runs every script again and fails
//! when a program now prints something else. After a deliberate change of a message:
//!
//! ```text
//! TRANSCRIPTS_BLESS=1 cargo test -p test-support --test transcripts
//! ```
//!
//! (`TRANSCRIPTS_ONLY=02-` in front runs only the scripts whose names contain `02-`.)
//!
//! A script has one step per line, `TERMINAL ACTION`, done in order:
//!
//! - `server $ cargo run -p PKG --bin NAME [-- ARGS]`: start a program in terminal `server`,
//!   as a reader types it (`NAME=VALUE` words before `cargo` set the environment). A `server`
//!   without `--addr` gets a free port (`--addr 127.0.0.1:0`); a `client` without `--addr`
//!   calls the last server started. The server's real port is shown as the `port` below.
//!   A second `$` in the same terminal waits until the first program has ended, as a shell
//!   does, and its transcript follows the first one's.
//! - `caller $ ANY SHELL COMMAND`: any other command runs in bash, in the workspace's folder
//!   (`python3 lessons/02-chat-loop/python/server.py`, `printf 'hi\n' > /dev/tcp/...`).
//!   In it, `{8001}` is a port: the last server's real port when 8001 is the script's `port`,
//!   else a free port found for it; the transcript shows `8001`. A part in `[[...]]` is run
//!   but not shown (`python3 server.py [[0]]`, `client.py [[{8001}]]`). A `listening on
//!   HOST:PORT` line from any program makes that program the last server started.
//! - `client < TEXT`: wait until the program shows a prompt (its output ends with `> `),
//!   then type TEXT and Enter. The transcript shows TEXT after the prompt, as a terminal does.
//!   `client << TEXT` types at once, without waiting for a prompt: for a program that shows
//!   none (`nc`, lesson 06's client); wait with `?` for what must come first.
//! - `server ? TEXT`: wait until the program prints TEXT (after what the last `?` in that
//!   terminal found, and after the last line typed there). `client ?>`: wait for a new
//!   prompt without typing (before a `^C`, so that the program is really waiting).
//! - `server ... TEXT`: a long run of lines that contain TEXT (10,000 timestamps) is shown as
//!   its first two lines, `...`, and its last line.
//! - `server ^D`: end the input (Ctrl-D). `server ^C`: press Ctrl-C: the terminal shows `^C`
//!   and the program gets SIGINT, as from a keyboard (a Python program prints its
//!   `KeyboardInterrupt`); it must end within the deadline.
//! - `server @ NAME TEXT`: a part of the transcript called NAME begins at the first line
//!   that contains TEXT (the first part: leave TEXT out, it begins at the top). The kept file
//!   gets `# ANCHOR: NAME` lines (mdBook drops them; the `#` is for the book check), so a
//!   chapter can show a terminal a part at a time.
//! - `port 8001`: the port the book shows for the server (the lesson's default).
//! - `stop`: the transcripts end here, in every terminal at once: the programs still running
//!   are stopped, and nothing they print from now on is shown (two programs that wait for
//!   each other for ever, where a Ctrl-C in one would make the other print a race).
//! - `listens {8002}`: wait until a program listens on that port (for one that prints no
//!   `listening on` line, like `socat`; Linux only).
//! - `connected {8061} 2`: wait until at least 2 calls to that port are through (for a caller
//!   that prints nothing when its call goes through, like `nc`; Linux only). A call that is
//!   through may still wait in the server's queue: the server has not picked it up yet.
//! - `scratch`: the programs started from now on run in a new empty folder (removed at the
//!   end), so that the files they make never land in the repository. The transcript does not
//!   show it: a reader runs the same commands in the workspace's folder. Lesson programs and
//!   `cargo run` in a shell command are still built from the workspace.
//! - `varies`: the experiment's outcome is random (which trials glue, which rounds lose a
//!   message). The kept transcript is one real run: the check runs the script (so every
//!   wait, `?`, must still be met) but does not compare the output. A bless keeps the run
//!   the chapter describes, and records a new one only when the script is named in
//!   `TRANSCRIPTS_ONLY` (after a program's message changed, say). The chapter says how often
//!   each outcome came up over several runs.
//!
//! What is kept is what a reader would see, with two changes so it fits a page: the
//! workspace's folder is shown as `...` (Python tracebacks name files by their full path),
//! and a run of more than ten of the same letter or digit is shortened to three, `…`, and
//! three (`长长长…长长长`).
//!
//! A line that ends with ` \` goes on on the next one, in the transcript too, as in a shell.
//!
//! At the end every program must have ended by itself (or by `^C` or `stop`). Lines starting with `#`
//! are comments. Every wait has a deadline ([`crate::TIMEOUT`]).
//!
//! Ports, times and timestamps change from run to run: the comparison ignores every run of
//! digits, dots, colons and dashes that holds four digits or more (`127.0.0.1:41234`,
//! `1795675552.119620`, `2026-11-26 14:45:52`), and the number of a speed (`1 MB/s`).
//! Everything else must match to the letter.
//!
//! The scripts use bash, `/dev/tcp` and Linux's answers, so the check runs on Linux.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::{Lesson, TIMEOUT};

/// Closes every inherited descriptor above 2, then runs `"$0" "$@"` with stderr on stdout.
const CLEAN_START: &str = r#"for fd in /proc/$$/fd/*; do
  n=${fd##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi
done 2>/dev/null
exec "$0" "$@" 2>&1"#;

/// Whether this system's `env` has `--default-signal` (GNU coreutils 8.31 and later).
fn env_restores_ctrl_c() -> bool {
    static RESTORES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *RESTORES.get_or_init(|| {
        let env = Command::new("env")
            .args(["--default-signal=INT", "true"])
            .stderr(Stdio::null())
            .status();
        env.is_ok_and(|status| status.success())
    })
}

/// The environment variable that rewrites the kept transcripts from a fresh run.
pub const BLESS_ENV: &str = "TRANSCRIPTS_BLESS";

/// The environment variable that runs only the scripts whose names contain one of its words
/// (`TRANSCRIPTS_ONLY="02- 04-trap"`), to bless or check a few at a time.
pub const ONLY_ENV: &str = "TRANSCRIPTS_ONLY";

/// What one terminal printed, with what was typed in it.
#[derive(Debug, Default)]
struct Screen {
    bytes: Vec<u8>,
    /// Where the output stood when the last line was typed: a prompt must come after it.
    typed_at: usize,
    /// The transcript ends here (`stop`): what the program prints from now on is not shown.
    frozen: bool,
    /// Where the last `?` found its text, or the last line was typed: the next `?` looks
    /// after it.
    seen_until: usize,

    ended: bool,
}

type Shared = Arc<(Mutex<Screen>, Condvar)>;

/// One program running in one terminal.
#[derive(Debug)]
struct Terminal {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    screen: Shared,
    /// The named parts of the transcript and the text of the line each begins at
    /// (`TERMINAL @ NAME TEXT`).
    parts: Vec<(String, String)>,
    /// Long runs of similar lines to show as two, `...` and the last (`TERMINAL ... TEXT`).
    elide: Vec<String>,
}

/// A script being run.
#[derive(Debug, Default)]
struct Run {
    terminals: Vec<Terminal>,
    server: Option<String>,
    shown_port: Option<String>,
    /// Ports the script names in `{PORT}` but no server of the script owns: the shown port
    /// and the free port found for it.
    free_ports: Vec<(String, String)>,
    varies: bool,
    /// The folder the programs run in after a `scratch` step (removed when the run ends).
    scratch: Option<tempfile::TempDir>,
}

/// A script's transcripts: each terminal's name and text, and whether the outcome varies.
#[derive(Debug)]
pub struct Transcripts {
    pub terminals: Vec<(String, String)>,
    pub varies: bool,
}

/// Runs the script at `path` and returns each terminal's transcript, in the order the
/// terminals were opened, with the server's port shown as the script's `port`.
pub fn run(path: &Path) -> Vec<(String, String)> {
    run_script(path).terminals
}

/// Runs the script at `path`: [`run`], and whether the script says its outcome `varies`.
pub fn run_script(path: &Path) -> Transcripts {
    let script = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    let mut run = Run::default();
    let mut lines = script.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let mut line = line.trim().to_string();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // A command too long for a page goes on the next line after ` \`, as in a shell.
        while line.ends_with(" \\") {
            let Some((_, next)) = lines.next() else { break };
            line.push('\n');
            line.push_str(next.trim_end());
        }
        let at = format!("{}:{}", path.display(), number + 1);
        run.step(&line, &at);
    }
    run.finish()
}

impl Run {
    fn step(&mut self, line: &str, at: &str) {
        let (who, rest) = line.split_once(' ').unwrap_or((line, ""));
        if who == "port" {
            self.shown_port = Some(rest.trim().to_string());
            return;
        }
        if who == "listens" {
            // A program that prints no `listening on` line (socat): wait for its port.
            let port = self.with_ports(rest.trim(), true);
            wait_for_sockets(&port, LISTEN, 1, at);
            return;
        }
        if who == "connected" {
            // A caller that prints nothing when its call goes through (nc): count the calls.
            let (port, count) = rest.trim().split_once(' ').unwrap_or((rest.trim(), "1"));
            let port = self.with_ports(port, true);
            let count = count
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("{at}: `connected {{PORT}} N` takes a number"));
            wait_for_sockets(&port, ESTABLISHED, count, at);
            return;
        }
        if who == "scratch" {
            let folder = tempfile::tempdir().expect("a scratch folder in the system's temp folder");
            self.scratch = Some(folder);
            return;
        }
        if who == "varies" {
            self.varies = true;
            return;
        }
        if who == "stop" {
            // Freeze every screen at once, then end the programs.
            for terminal in &self.terminals {
                terminal.screen.0.lock().unwrap().frozen = true;
            }
            for terminal in &mut self.terminals {
                terminal.end_group();
            }
            return;
        }
        let (action, text) = rest.split_once(' ').unwrap_or((rest, ""));
        match action {
            "$" => self.open(who, text, at),
            "<" => self.terminal(who, at).type_line(text, at),
            "<<" => self.terminal(who, at).type_now(text, at),
            "?" => self.terminal(who, at).wait_for_text(text, at),
            "?>" => self.terminal(who, at).wait_for_prompt(at),
            "..." => self.terminal(who, at).elide.push(text.to_string()),
            "^D" => self.terminal(who, at).stdin = None,
            "@" => {
                let (part, from) = text.split_once(' ').unwrap_or((text, ""));
                let terminal = self.terminal(who, at);
                terminal.parts.push((part.to_string(), from.to_string()));
            }
            "^C" => self.terminal(who, at).interrupt(at),
            _ => panic!("{at}: unknown step {action:?} (use $, <, <<, ?, ?>, ..., @, ^C or ^D)"),
        }
    }

    fn terminal(&mut self, name: &str, at: &str) -> &mut Terminal {
        self.terminals
            .iter_mut()
            .rfind(|t| t.name == name)
            .unwrap_or_else(|| panic!("{at}: no program was started in terminal {name:?}"))
    }

    /// Starts `command`: a lesson program (`[VAR=value ...] cargo run -p PKG --bin NAME [--
    /// ARGS]`) or any other command, in bash.
    fn open(&mut self, name: &str, command: &str, at: &str) {
        // A terminal runs one command at a time: the next is typed when the last has ended.
        if let Some(last) = self.terminals.iter().rfind(|t| t.name == name) {
            last.wait(at, "the command before to end", |s| s.ended);
        }
        self.find_server();
        let (shown, runs) = self.shell_command(command);
        let folder = self
            .scratch
            .as_ref()
            .map_or_else(|| workspace().to_path_buf(), |d| d.path().to_path_buf());
        let mut words = runs.split_whitespace().peekable();
        let mut env = Vec::new();
        while let Some((key, value)) = words.peek().and_then(|w| w.split_once('=')) {
            env.push((key.to_string(), value.to_string()));
            words.next();
        }
        let words: Vec<&str> = words.collect();
        let shell = |w: &&str| w.contains(['|', '>', '<', ';', '&', '\'', '"', '$']);
        let (package, program, mut args) = match words.as_slice() {
            ["cargo", "run", "-p", package, "--bin", program, rest @ ..]
                if !rest.iter().any(shell) =>
            {
                let args = rest.strip_prefix(&["--"]).unwrap_or(rest);
                (
                    *package,
                    *program,
                    args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                )
            }
            _ => return self.open_in_bash(name, &runs, &shown, &folder),
        };
        let has_addr = args.iter().any(|a: &String| a.starts_with("--addr"));
        match (program, &self.server) {
            ("server", _) if !has_addr => args.extend(["--addr".into(), "127.0.0.1:0".into()]),
            ("client", Some(addr)) if !has_addr => args.extend(["--addr".into(), addr.clone()]),
            _ => {}
        }
        let program_path = fresh_program(package, program);
        let terminal = Terminal::start(name, &program_path, &args, &env, &shown, &folder);
        if program == "server" && !has_addr {
            // (or for its end: a server given a wrong option stops at once)
            terminal.wait(at, "the `listening on` line", |s| {
                (contains(s, "listening on ") && s.bytes.ends_with(b"\n")) || s.ended
            });
            let screen = terminal.screen.0.lock().unwrap().bytes.clone();
            let screen = String::from_utf8_lossy(&screen);
            let addr = screen.lines().find_map(|l| l.strip_prefix("listening on "));
            if let Some(addr) = addr {
                self.server = Some(addr.trim().to_string());
            }
        }
        self.terminals.push(terminal);
    }

    /// Any other command, or a lesson program in a pipe: bash runs it, and cargo keeps its
    /// compiling lines to itself.
    fn open_in_bash(&mut self, name: &str, runs: &str, shown: &str, folder: &Path) {
        // (From a scratch folder, cargo must be told where the workspace is.)
        let quiet = match &self.scratch {
            None => "cargo run --quiet ".to_string(),
            Some(_) => format!(
                "cargo run --quiet --manifest-path {} ",
                workspace().join("Cargo.toml").display()
            ),
        };
        let args = ["-c".into(), runs.replace("cargo run ", &quiet)];
        let terminal = Terminal::start(name, Path::new("bash"), &args, &[], shown, folder);
        self.terminals.push(terminal);
    }

    /// The last `listening on HOST:PORT` line of any terminal opened so far names the server
    /// that clients call.
    fn find_server(&mut self) {
        for terminal in &self.terminals {
            let screen = terminal.screen.0.lock().unwrap().bytes.clone();
            let screen = String::from_utf8_lossy(&screen);
            let found = screen
                .lines()
                .filter_map(|l| l.strip_prefix("listening on "))
                .next_back();
            if let Some(addr) = found {
                self.server = Some(addr.trim().to_string());
            }
        }
    }

    /// A shell command as the transcript shows it and as it runs: `[[...]]` runs but is not
    /// shown; `{PORT}` runs with a real port and shows PORT.
    fn shell_command(&mut self, command: &str) -> (String, String) {
        let (mut shown, mut runs) = (String::new(), String::new());
        let mut rest = command;
        while let Some(start) = rest.find("[[") {
            shown.push_str(&rest[..start]);
            runs.push_str(&rest[..start]);
            let end = rest[start..].find("]]").map_or(rest.len(), |e| start + e);
            runs.push_str(&rest[start + 2..end]);
            rest = rest.get(end + 2..).unwrap_or("");
            // A hidden part that stood between two spaces leaves one.
            if shown.ends_with(' ') && (rest.starts_with(' ') || rest.is_empty()) {
                shown.pop();
            }
        }
        shown.push_str(rest);
        runs.push_str(rest);
        (self.with_ports(&shown, false), self.with_ports(&runs, true))
    }

    /// `text` with every `{PORT}` replaced by the port shown (`real` false) or the real one.
    fn with_ports(&mut self, text: &str, real: bool) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            let inside = &rest[start + 1..start + len];
            out.push_str(&rest[..start]);
            if inside.is_empty() || !inside.chars().all(|c| c.is_ascii_digit()) {
                out.push_str(&rest[start..=start + len]);
            } else if !real {
                out.push_str(inside);
            } else {
                out.push_str(&self.real_port(inside));
            }
            rest = &rest[start + len + 1..];
        }
        out.push_str(rest);
        out
    }

    fn real_port(&mut self, shown: &str) -> String {
        let server_port = self.server.as_ref().and_then(|a| a.rsplit(':').next());
        if self.shown_port.as_deref() == Some(shown) {
            if let Some(port) = server_port {
                return port.to_string();
            }
        }
        if let Some((_, real)) = self.free_ports.iter().find(|(s, _)| s == shown) {
            return real.clone();
        }
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let real = probe.local_addr().unwrap().port().to_string();
        self.free_ports.push((shown.to_string(), real.clone()));
        real
    }

    /// Waits for every program to end, then gives each terminal's transcript.
    fn finish(mut self) -> Transcripts {
        self.find_server();
        let real_port = self
            .server
            .clone()
            .and_then(|a| a.rsplit(':').next().map(String::from));
        let mut port_changes: Vec<(String, String)> = self.free_ports.clone();
        if let Some(port) = real_port.zip(self.shown_port.clone()) {
            port_changes.push((port.1, port.0));
        }
        let mut transcripts: Vec<(String, String)> = Vec::new();
        for terminal in &mut self.terminals {
            terminal.stdin = None;
            let at = format!("the end of the script, terminal {:?}", terminal.name);
            terminal.wait(&at, "the program to end", |s| s.ended);
            let _ = terminal.child.wait();
            let bytes = terminal.screen.0.lock().unwrap().bytes.clone();
            let mut text = String::from_utf8_lossy(&bytes).into_owned();
            for marker in &terminal.elide {
                text = elided(&text, marker);
            }
            let mut text = with_anchors(&text, &terminal.parts);
            for (shown, real) in &port_changes {
                text = text.replace(&format!(":{real}"), &format!(":{shown}"));
            }
            let text = shortened(&text.replace(&format!("{}/", workspace().display()), ".../"));
            match transcripts
                .iter_mut()
                .find(|(name, _)| *name == terminal.name)
            {
                Some((_, earlier)) => earlier.push_str(&text),
                None => transcripts.push((terminal.name.clone(), text)),
            }
        }
        Transcripts {
            terminals: transcripts,
            varies: self.varies,
        }
    }
}

/// A socket's state in `/proc/net/tcp`: a call that is through.
const ESTABLISHED: &str = "01";
/// A socket's state in `/proc/net/tcp`: listening.
const LISTEN: &str = "0A";

/// Waits until at least `count` loopback sockets on local port `port` are in `state`
/// (Linux: `/proc/net/tcp`).
fn wait_for_sockets(port: &str, state: &str, count: usize, at: &str) {
    let port: u16 = port
        .parse()
        .unwrap_or_else(|_| panic!("{at}: {port:?} is not a port"));
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        if count_sockets(port, state) >= count {
            return;
        }
        thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("{at}: port {port} never had {count} socket(s) in state {state} within {TIMEOUT:?}");
}

/// How many IPv4 sockets on local port `port` are in `state` (Linux: `/proc/net/tcp`).
fn count_sockets(port: u16, state: &str) -> usize {
    let local = format!(":{port:04X}");
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    // Local address and port, then the remote one, then the state.
    table
        .lines()
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.len() > 3 && fields[1].ends_with(&local) && fields[3] == state
        })
        .count()
}

/// The workspace's folder: where every command runs (unless a script asks for `scratch`).
fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("test-support is in the workspace")
}

/// The text with every run of more than ten of the same letter or digit shortened to three, `…`
/// and three, so that a long line fits a page (`长长长…长长长`).
pub fn shortened(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|&&c| c == chars[i]).count();
        if run > 10 && chars[i].is_alphanumeric() {
            let three: String = std::iter::repeat_n(chars[i], 3).collect();
            out.push_str(&format!("{three}…{three}"));
        } else {
            out.extend(&chars[i..i + run]);
        }
        i += run;
    }
    out
}

impl Terminal {
    fn start(
        name: &str,
        program: &Path,
        args: &[String],
        env: &[(String, String)],
        shown: &str,
        folder: &Path,
    ) -> Self {
        // A terminal shows stdout and stderr together, in the order they were written.
        // It starts with only those three open: bash first closes every other descriptor
        // this test inherited (from CI, say), since a program that counts what it can
        // still open (the backlog experiment) would print another number.
        // And Ctrl-C works in it: a test started in the background (`cargo test &`, or by
        // a CI runner) inherits SIGINT ignored, and bash can neither trap nor restore a
        // signal that was ignored when it started; GNU env can (coreutils 8.31 and later).
        let mut command = Command::new("env");
        if env_restores_ctrl_c() {
            command.arg("--default-signal=INT");
        }
        command
            .args(["bash", "-c", CLEAN_START])
            .arg(program)
            .args(args)
            .current_dir(folder)
            // Python buffers its output when it goes to a pipe; a terminal shows it at once.
            .env("PYTHONUNBUFFERED", "1")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // Its own process group, like a terminal's job, so that Ctrl-C reaches all of it.
        crate::in_own_group(&mut command);
        let mut child = command
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", program.display()));
        let screen: Shared = Arc::default();
        screen.0.lock().unwrap().bytes = format!("$ {shown}\n").into_bytes();
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let shared = Arc::clone(&screen);
        thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            loop {
                let size = stdout.read(&mut chunk).unwrap_or(0);
                let (lock, changed) = &*shared;
                // A failed wait panics while it holds the lock: go on regardless, so that
                // the failure shows alone, not with a PoisonError from this thread.
                let mut screen = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if size == 0 {
                    screen.ended = true;
                } else if screen.bytes.len() < crate::OUTPUT_LIMIT && !screen.frozen {
                    screen.bytes.extend_from_slice(&chunk[..size]);
                }
                changed.notify_all();
                if size == 0 {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        Terminal {
            name: name.to_string(),
            child,
            stdin,
            screen,
            parts: Vec::new(),
            elide: Vec::new(),
        }
    }

    /// Waits until the program prints `text`, after where the last such wait found its text.
    fn wait_for_text(&self, text: &str, at: &str) {
        self.wait(at, &format!("{text:?}"), |s| find_after(s, text).is_some());
        let mut screen = self.screen.0.lock().unwrap();
        if let Some(end) = find_after(&screen, text) {
            screen.seen_until = end;
        }
    }

    /// Waits for a new prompt: output that ends with `> `, after the last typed line.
    fn wait_for_prompt(&self, at: &str) {
        self.wait(at, "a prompt (output ending with `> `)", |s| {
            s.bytes.len() > s.typed_at && s.bytes.ends_with(b"> ")
        });
    }

    /// Waits for a new prompt, then types `text` and Enter.
    fn type_line(&mut self, text: &str, at: &str) {
        self.wait_for_prompt(at);
        self.type_now(text, at);
    }

    /// Types `text` and Enter at once (a program that shows no prompt).
    fn type_now(&mut self, text: &str, at: &str) {
        let mut screen = self.screen.0.lock().unwrap();
        screen.bytes.extend(format!("{text}\n").as_bytes());
        screen.typed_at = screen.bytes.len();
        screen.seen_until = screen.bytes.len();
        drop(screen);
        let stdin = self
            .stdin
            .as_mut()
            .unwrap_or_else(|| panic!("{at}: input was ended"));
        let _ = stdin.write_all(format!("{text}\n").as_bytes());
        let _ = stdin.flush();
    }

    /// Ctrl-C: the terminal shows `^C`, and the program's process group gets SIGINT (where
    /// there is no `kill`, the program is killed). It must end within the deadline.
    fn interrupt(&mut self, at: &str) {
        self.screen.0.lock().unwrap().bytes.extend(b"^C");
        // A signal that comes after a program printed its prompt but before it began to
        // read is handled, and then the read waits anyway (Python's input() does this): so,
        // like a person at a terminal, press Ctrl-C again while the program goes on.
        for _ in 0..5 {
            if !crate::signal_group(self.child.id(), "INT") {
                let _ = self.child.kill();
            }
            if self.ends_within(Duration::from_millis(500)) {
                break;
            }
        }
        self.wait(at, "the program to end after Ctrl-C", |s| s.ended);
        let _ = self.child.wait();
        let mut screen = self.screen.0.lock().unwrap();
        if !screen.bytes.ends_with(b"\n") {
            screen.bytes.push(b'\n');
        }
    }

    /// Whether the program's output ends within `limit`.
    fn ends_within(&self, limit: Duration) -> bool {
        let (lock, changed) = &*self.screen;
        let screen = lock.lock().unwrap();
        let (screen, _) = changed
            .wait_timeout_while(screen, limit, |s| !s.ended)
            .unwrap();
        screen.ended
    }

    fn wait(&self, at: &str, what: &str, done: impl Fn(&Screen) -> bool) {
        let (lock, changed) = &*self.screen;
        let deadline = Instant::now() + TIMEOUT;
        let mut screen = lock.lock().unwrap();
        while !done(&screen) {
            let now = Instant::now();
            if now >= deadline || screen.ended {
                panic!(
                    "{at}: waited for {what} in terminal {:?}, {}. It shows:\n{}",
                    self.name,
                    if screen.ended {
                        "but its program ended"
                    } else {
                        "in vain"
                    },
                    String::from_utf8_lossy(&screen.bytes)
                );
            }
            screen = changed.wait_timeout(screen, deadline - now).unwrap().0;
        }
    }
}

impl Terminal {
    /// Kills the program and whatever it started: a shell command may have started
    /// programs of its own.
    fn end_group(&mut self) {
        crate::kill_group(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.end_group();
    }
}

/// The program as it is now: `cargo build` first (nothing to do when it is up to date), so a
/// transcript never comes from an old build, also under `cargo test -p test-support`.
fn fresh_program(package: &str, program: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo)
        .args(["build", "--quiet", "-p", package, "--bin", program])
        .status()
        .unwrap_or_else(|err| panic!("cannot run cargo to build {package}: {err}"));
    assert!(
        built.success(),
        "`cargo build -p {package} --bin {program}` failed"
    );
    Lesson::new(Box::leak(package.to_string().into_boxed_str())).program(program)
}

/// The text with mdBook's `ANCHOR:` lines around each named part, so a chapter can show a
/// terminal one part at a time (`{{#include ../../transcripts/NAME/TERMINAL.txt:PART}}`).
/// A part begins at the first line (after the previous part's start) that contains its text,
/// or at the top when its text is empty; it ends where the next part begins.
fn with_anchors(text: &str, parts: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut lines = text.split_inclusive('\n').peekable();
    for (index, (name, from)) in parts.iter().enumerate() {
        if index > 0 {
            // The line that began the previous part belongs to it.
            if !parts[index - 1].1.is_empty() {
                out.extend(lines.next());
            }
            while let Some(line) = lines.next_if(|line| !line.contains(from.as_str())) {
                out.push_str(line);
            }
            out.push_str(&format!("# ANCHOR_END: {}\n", parts[index - 1].0));
        }
        out.push_str(&format!("# ANCHOR: {name}\n"));
    }
    out.extend(lines);
    if let Some((last, _)) = parts.last() {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("# ANCHOR_END: {last}\n"));
    }
    out
}

/// Where `text` ends, when the program printed it after the last `?` found its own text.
fn find_after(screen: &Screen, text: &str) -> Option<usize> {
    let header = screen.bytes.iter().position(|&b| b == b'\n')? + 1;
    let from = header.max(screen.seen_until);
    let printed = &screen.bytes[from..];
    let at = printed
        .windows(text.len().max(1))
        .position(|w| w == text.as_bytes())?;
    Some(from + at + text.len())
}

/// The text with each long run of lines that contain `marker` shown as its first two lines,
/// `...`, and its last line.
pub fn elided(text: &str, marker: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let run = lines[i..]
            .iter()
            .take_while(|l| l.contains(marker) && !l.starts_with("$ "))
            .count();
        if run > 5 {
            out.extend(lines[i..i + 2].iter().copied());
            out.push_str("...\n");
            out.push_str(lines[i + run - 1]);
            i += run;
        } else {
            out.push_str(lines[i]);
            i += 1;
        }
    }
    out
}

/// Whether the program printed `text` (the command line above its output does not count).
fn contains(screen: &Screen, text: &str) -> bool {
    let printed = String::from_utf8_lossy(&screen.bytes);
    printed
        .split_once('\n')
        .is_some_and(|(_, output)| output.contains(text))
}

/// The text with every run of digits, `.`, `:` and `-` that holds four digits or more
/// replaced by `#`: ports, times and timestamps, which change from run to run. A speed
/// (`1 MB/s`) changes too, however few its digits: its number becomes `#` as well.
pub fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().filter(char::is_ascii_digit).count() >= 4 {
            out.push('#');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || matches!(c, '.' | ':' | '-') {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    let mut masked = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(at) = rest.find(" MB/s") {
        let before =
            rest[..at].trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '#');
        masked.push_str(before);
        if before.len() < at {
            masked.push('#');
        }
        masked.push_str(" MB/s");
        rest = &rest[at + " MB/s".len()..];
    }
    masked.push_str(rest);
    masked
}

/// Runs every script in `dir` and compares each terminal with its kept transcript
/// (`NAME/TERMINAL.txt`), or rewrites them when `bless` is true. Returns one line per
/// difference or missing file. Only the scripts named in `TRANSCRIPTS_ONLY` run, when it is
/// set: see [`check_scripts`].
pub fn check_dir(dir: &Path, bless: bool) -> Vec<String> {
    check_scripts(dir, bless, std::env::var(ONLY_ENV).ok().as_deref())
}

/// [`check_dir`], for the scripts whose file names contain one of the words in `only`
/// (every script when it is `None`).
pub fn check_scripts(dir: &Path, bless: bool, only: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "script"))
        .collect();
    scripts.sort();
    if let Some(only) = only {
        // The script's own name, not its folder's (a worktree called `05-x` would match all).
        let wanted = |p: &PathBuf| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            only.split_whitespace().any(|w| name.contains(w))
        };
        scripts.retain(wanted);
    }
    for script in scripts {
        let folder = script.with_extension("");
        let transcripts = run_script(&script);
        for (terminal, actual) in transcripts.terminals {
            let kept = folder.join(format!("{terminal}.txt"));
            let expected = std::fs::read_to_string(&kept).unwrap_or_default();
            if bless {
                // A transcript that differs only in ports and times stays as it is, so a
                // bless changes only what changed. A random experiment's run is kept too,
                // because its chapter describes it, unless the script was named in
                // TRANSCRIPTS_ONLY: then it is recorded anew.
                let renew = if transcripts.varies {
                    only.is_some() || expected.is_empty()
                } else {
                    difference(&expected, &actual).is_some()
                };
                if renew {
                    std::fs::create_dir_all(&folder).unwrap();
                    std::fs::write(&kept, &actual).unwrap();
                }
                continue;
            }
            if transcripts.varies && !expected.is_empty() {
                continue;
            }
            if let Some(difference) = difference(&expected, &actual) {
                problems.push(format!("{}: {difference}", kept.display()));
            }
        }
    }
    problems
}

/// The first line where `expected` and `actual` differ, ignoring what [`mask`] hides.
pub fn difference(expected: &str, actual: &str) -> Option<String> {
    let (expected_masked, actual_masked) = (mask(expected), mask(actual));
    if expected_masked == actual_masked {
        return None;
    }
    let mut lines = expected.lines().zip(actual.lines()).enumerate();
    let found = lines.find(|(_, (e, a))| mask(e) != mask(a));
    Some(match found {
        Some((n, (e, a))) => format!(
            "line {}: the book shows {e:?}, the program printed {a:?}",
            n + 1
        ),
        None => format!(
            "the book shows {} lines, the program printed {}",
            expected.lines().count(),
            actual.lines().count()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(text: &str) -> Transcripts {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("t.script");
        std::fs::write(&path, text).unwrap();
        run_script(&path)
    }

    #[test]
    fn long_runs_of_one_character_are_shortened() {
        let line = format!("client says: {}\n", "长".repeat(341));
        assert_eq!(shortened(&line), "client says: 长长长…长长长\n");
        assert_eq!(shortened("1111111111 ok\n"), "1111111111 ok\n");
    }

    #[test]
    fn hidden_parts_run_but_are_not_shown_and_ports_are_shown_as_the_script_says() {
        let mut run = Run {
            shown_port: Some("8001".into()),
            server: Some("127.0.0.1:41234".into()),
            ..Run::default()
        };
        let (shown, runs) = run.shell_command("python3 client.py [[{8001}]]");
        assert_eq!(shown, "python3 client.py");
        assert_eq!(runs, "python3 client.py 41234");
        let (shown, runs) = run.shell_command("printf 'x' > /dev/tcp/127.0.0.1/{8002}");
        assert_eq!(shown, "printf 'x' > /dev/tcp/127.0.0.1/8002");
        assert!(
            !runs.contains("{8002}") && !runs.ends_with("/8002"),
            "{runs}"
        );
        let (_, again) = run.shell_command("nc 127.0.0.1 {8002}");
        assert!(
            runs.ends_with(again.rsplit(' ').next().unwrap()),
            "one port per name"
        );
    }

    #[test]
    fn a_shell_terminal_is_typed_into_and_shows_what_was_typed() {
        let out = script("t $ printf 'name> '; read n; echo \"hello $n\"\nt < 小文\n");
        let text = &out.terminals[0].1;
        assert!(text.contains("name> 小文\nhello 小文\n"), "{text}");
        assert!(!out.varies);
    }

    #[test]
    fn a_terminal_without_a_prompt_is_typed_into_at_once() {
        let out = script("t $ read n; echo \"hello $n\"\nt << 小文\nt ? hello\n");
        let text = &out.terminals[0].1;
        assert!(text.contains("小文\nhello 小文\n"), "{text}");
    }

    #[test]
    fn ctrl_c_sends_sigint_and_the_terminal_shows_it() {
        let out = script(
            "t $ trap 'echo caught; exit 0' INT; echo ready; while :; do sleep 0.05; done\n\
             t ? ready\nt ^C\nvaries\n",
        );
        let text = &out.terminals[0].1;
        assert!(text.ends_with("ready\n^Ccaught\n"), "{text:?}");
        assert!(out.varies);
    }

    #[test]
    fn a_program_without_a_prompt_is_typed_into_at_once() {
        let out = script("t $ read a; echo \"got $a\"\nt << 你好\n");
        assert_eq!(
            out.terminals[0].1,
            "$ read a; echo \"got $a\"\n你好\ngot 你好\n"
        );
    }

    #[test]
    fn a_second_command_waits_for_the_first_and_scratch_keeps_files_out_of_the_workspace() {
        let out = script(
            "scratch\nt $ sleep 0.2; echo one > t56-scratch.txt\nt $ cat t56-scratch.txt; pwd\n",
        );
        let text = &out.terminals[0].1;
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..3],
            [
                "$ sleep 0.2; echo one > t56-scratch.txt",
                "$ cat t56-scratch.txt; pwd",
                "one"
            ],
            "{text}"
        );
        assert_ne!(Path::new(lines[3]), workspace(), "{text}");
        assert!(!workspace().join("t56-scratch.txt").exists());
        assert!(
            !Path::new(lines[3]).exists(),
            "the scratch folder is removed at the end"
        );
    }

    #[test]
    #[cfg_attr(not(target_os = "linux"), ignore = "counts sockets in /proc/net/tcp")]
    fn sockets_are_counted_by_port_and_state() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert_eq!(count_sockets(port, LISTEN), 1);
        assert_eq!(count_sockets(port, ESTABLISHED), 0);
        // Through, but not picked up yet: it waits in the queue, and counts.
        let _call = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        wait_for_sockets(&port.to_string(), ESTABLISHED, 1, "the test");
        assert_eq!(count_sockets(port, ESTABLISHED), 1);
    }

    #[test]
    fn the_workspace_folder_is_shown_as_dots() {
        let out = script("t $ pwd\n");
        assert_eq!(
            out.terminals[0].1,
            "$ pwd\n...\n".replace("...\n", &format!("{}\n", workspace().display()))
        );
        let out = script("t $ echo \"$PWD/lessons\"\n");
        assert_eq!(out.terminals[0].1, "$ echo \"$PWD/lessons\"\n.../lessons\n");
    }

    #[test]
    fn a_wait_looks_after_the_last_wait_and_long_runs_of_lines_are_elided() {
        let out = script(
            "t $ for i in 1 2 3 4 5 6 7 8; do echo \"sent $i\"; done; echo one; echo one\n\
             t ? one\nt ? one\nt ... sent \n",
        );
        assert_eq!(
            out.terminals[0].1.lines().skip(1).collect::<Vec<_>>(),
            ["sent 1", "sent 2", "...", "sent 8", "one", "one"]
        );
    }
}
