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
//! A script has one step per line, `TERMINAL ACTION`, done in order:
//!
//! - `server $ cargo run -p PKG --bin NAME [-- ARGS]`: start a program in terminal `server`,
//!   as a reader types it (`NAME=VALUE` words before `cargo` set the environment). A `server`
//!   without `--addr` gets a free port (`--addr 127.0.0.1:0`); a `client` without `--addr`
//!   calls the last server started. The server's real port is shown as the `port` below.
//! - `client $ python3 FILE [ARGS]`: start a Python program (FILE from the workspace root,
//!   like `lessons/03-timestamp/python/client.py`). An argument equal to the script's `port`
//!   is given as the real port of the last server started.
//! - `client < TEXT`: wait until the program shows a prompt (its output ends with `> `),
//!   then type TEXT and Enter. The transcript shows TEXT after the prompt, as a terminal does.
//! - `server ? TEXT`: wait until the terminal shows TEXT.
//! - `server ^D`: end the input (Ctrl-D). `server ^C`: stop the program (Ctrl-C).
//! - `server @ NAME TEXT`: a part of the transcript called NAME begins at the first line
//!   that contains TEXT (the first part: leave TEXT out, it begins at the top). The kept file
//!   gets mdBook `ANCHOR:` lines, so a chapter can show a terminal a part at a time.
//! - `port 8001`: the port the book shows for the server (the lesson's default).
//!
//! At the end every program must have ended by itself (or by `^C`). Lines starting with `#`
//! are comments. Every wait has a deadline ([`crate::TIMEOUT`]).
//!
//! Ports, times and timestamps change from run to run: the comparison ignores every run of
//! digits, dots, colons and dashes that holds four digits or more (`127.0.0.1:41234`,
//! `1795675552.119620`, `2026-11-26 14:45:52`). Everything else must match to the letter.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Instant;

use crate::{Lesson, TIMEOUT};

/// The environment variable that rewrites the kept transcripts from a fresh run.
pub const BLESS_ENV: &str = "TRANSCRIPTS_BLESS";

/// What one terminal printed, with what was typed in it.
#[derive(Debug, Default)]
struct Screen {
    bytes: Vec<u8>,
    /// Where the output stood when the last line was typed: a prompt must come after it.
    typed_at: usize,

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
}

/// A script being run.
#[derive(Debug, Default)]
struct Run {
    terminals: Vec<Terminal>,
    server: Option<String>,
    shown_port: Option<String>,
}

/// Runs the script at `path` and returns each terminal's transcript, in the order the
/// terminals were opened, with the server's port shown as the script's `port`.
pub fn run(path: &Path) -> Vec<(String, String)> {
    let script = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    let mut run = Run::default();
    for (number, line) in script.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("{}:{}", path.display(), number + 1);
        run.step(line, &at);
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
        let (action, text) = rest.split_once(' ').unwrap_or((rest, ""));
        match action {
            "$" => self.open(who, text, at),
            "<" => self.terminal(who, at).type_line(text, at),
            "?" => self.terminal(who, at).wait(at, text, |s| contains(s, text)),
            "^D" => self.terminal(who, at).stdin = None,
            "@" => {
                let (part, from) = text.split_once(' ').unwrap_or((text, ""));
                let terminal = self.terminal(who, at);
                terminal.parts.push((part.to_string(), from.to_string()));
            }
            "^C" => {
                // Ctrl-C: the terminal shows `^C`, and the program ends (here, killed).
                let terminal = self.terminal(who, at);
                let _ = terminal.child.kill();
                let _ = terminal.child.wait();
                terminal.wait(at, "the end of its output", |s| s.ended);
                terminal.screen.0.lock().unwrap().bytes.extend(b"^C\n");
            }
            _ => panic!("{at}: unknown step {action:?} (use $, <, ?, @, ^C or ^D)"),
        }
    }

    fn terminal(&mut self, name: &str, at: &str) -> &mut Terminal {
        self.terminals
            .iter_mut()
            .rfind(|t| t.name == name)
            .unwrap_or_else(|| panic!("{at}: no program was started in terminal {name:?}"))
    }

    /// Starts `command` (`[VAR=value ...] cargo run -p PKG --bin NAME [-- ARGS]`).
    fn open(&mut self, name: &str, command: &str, at: &str) {
        let mut words = command.split_whitespace().peekable();
        let mut env = Vec::new();
        while let Some((key, value)) = words.peek().and_then(|w| w.split_once('=')) {
            env.push((key.to_string(), value.to_string()));
            words.next();
        }
        let words: Vec<&str> = words.collect();
        let (package, program, mut args) = match words.as_slice() {
            ["cargo", "run", "-p", package, "--bin", program, rest @ ..] => {
                let args = rest.strip_prefix(&["--"]).unwrap_or(rest);
                (
                    *package,
                    *program,
                    args.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                )
            }
            ["python3", file, rest @ ..] => {
                let args = self.python_args(file, rest);
                let terminal = Terminal::start(name, Path::new("python3"), &args, &env, command);
                self.terminals.push(terminal);
                return;
            }
            _ => panic!(
                "{at}: start programs as `cargo run -p PKG --bin NAME [-- ARGS]` or \
                 `python3 FILE [ARGS]`"
            ),
        };
        let has_addr = args.iter().any(|a: &String| a.starts_with("--addr"));
        match (program, &self.server) {
            ("server", _) if !has_addr => args.extend(["--addr".into(), "127.0.0.1:0".into()]),
            ("client", Some(addr)) if !has_addr => args.extend(["--addr".into(), addr.clone()]),
            _ => {}
        }
        let terminal =
            Terminal::start(name, &fresh_program(package, program), &args, &env, command);
        if program == "server" && !has_addr {
            terminal.wait(at, "the `listening on` line", |s| {
                contains(s, "listening on ") && s.bytes.ends_with(b"\n")
            });
            let screen = terminal.screen.0.lock().unwrap().bytes.clone();
            let screen = String::from_utf8_lossy(&screen);
            let addr = screen.lines().find_map(|l| l.strip_prefix("listening on "));
            self.server = addr.map(|a| a.trim().to_string());
        }
        self.terminals.push(terminal);
    }

    /// The arguments for `python3 FILE ARGS`: unbuffered (`-u`, so that its lines show at
    /// once), FILE from the workspace root, and the script's `port` replaced by the real
    /// port of the last server started.
    fn python_args(&self, file: &str, rest: &[&str]) -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let real_port = self.server.as_deref().and_then(|a| a.rsplit(':').next());
        let mut args = vec!["-u".to_string(), root.join(file).display().to_string()];
        for word in rest {
            match real_port {
                Some(port) if Some(*word) == self.shown_port.as_deref() => args.push(port.into()),
                _ => args.push(word.to_string()),
            }
        }
        args
    }

    /// Waits for every program to end, then gives each terminal's transcript.
    fn finish(mut self) -> Vec<(String, String)> {
        let real_port = self.server.as_ref().and_then(|a| a.rsplit(':').next());
        let port_change = real_port.zip(self.shown_port.as_deref());
        let mut transcripts: Vec<(String, String)> = Vec::new();
        for terminal in &mut self.terminals {
            terminal.stdin = None;
            let at = format!("the end of the script, terminal {:?}", terminal.name);
            terminal.wait(&at, "the program to end", |s| s.ended);
            let _ = terminal.child.wait();
            let bytes = terminal.screen.0.lock().unwrap().bytes.clone();
            let mut text = with_anchors(&String::from_utf8_lossy(&bytes), &terminal.parts);
            if let Some((real, shown)) = port_change {
                text = text.replace(&format!(":{real}"), &format!(":{shown}"));
            }
            match transcripts
                .iter_mut()
                .find(|(name, _)| *name == terminal.name)
            {
                Some((_, earlier)) => earlier.push_str(&text),
                None => transcripts.push((terminal.name.clone(), text)),
            }
        }
        transcripts
    }
}

impl Terminal {
    fn start(
        name: &str,
        program: &Path,
        args: &[String],
        env: &[(String, String)],
        shown: &str,
    ) -> Self {
        // A terminal shows stdout and stderr together, in the order they were written.
        let mut command = Command::new("sh");
        command
            .args(["-c", "exec \"$0\" \"$@\" 2>&1"])
            .arg(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
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
                let mut screen = lock.lock().unwrap();
                if size == 0 {
                    screen.ended = true;
                } else if screen.bytes.len() < crate::OUTPUT_LIMIT {
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
        }
    }

    /// Waits for a new prompt, then types `text` and Enter.
    fn type_line(&mut self, text: &str, at: &str) {
        self.wait(at, "a prompt (output ending with `> `)", |s| {
            s.bytes.len() > s.typed_at && s.bytes.ends_with(b"> ")
        });
        let mut screen = self.screen.0.lock().unwrap();
        screen.bytes.extend(format!("{text}\n").as_bytes());
        screen.typed_at = screen.bytes.len();
        drop(screen);
        let stdin = self
            .stdin
            .as_mut()
            .unwrap_or_else(|| panic!("{at}: input was ended"));
        let _ = stdin.write_all(format!("{text}\n").as_bytes());
        let _ = stdin.flush();
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

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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

fn contains(screen: &Screen, text: &str) -> bool {
    String::from_utf8_lossy(&screen.bytes).contains(text)
}

/// The text with every run of digits, `.`, `:` and `-` that holds four digits or more
/// replaced by `#`: ports, times and timestamps, which change from run to run.
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
    out
}

/// Runs every script in `dir` and compares each terminal with its kept transcript
/// (`NAME/TERMINAL.txt`), or rewrites them when `bless` is true. Returns one line per
/// difference or missing file.
pub fn check_dir(dir: &Path, bless: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "script"))
        .collect();
    scripts.sort();
    for script in scripts {
        let folder = script.with_extension("");
        for (terminal, actual) in run(&script) {
            let kept = folder.join(format!("{terminal}.txt"));
            if bless {
                std::fs::create_dir_all(&folder).unwrap();
                std::fs::write(&kept, &actual).unwrap();
                continue;
            }
            let expected = std::fs::read_to_string(&kept).unwrap_or_default();
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
