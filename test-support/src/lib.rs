//! What every lesson's black-box tests share.
//!
//! - [`lesson!`] names the lesson whose tests are running; [`Lesson::program`] finds *that*
//!   lesson's own `server` or `client` (see "The trap" below).
//! - [`Lesson::start`] starts a program with piped stdin/stdout/stderr, waits for its
//!   `listening on HOST:PORT` line and returns a [`Running`] program that is killed when it
//!   is dropped, also when a test panics.
//! - [`Lesson::command`] gives an `assert_cmd` command with a timeout, for a program that
//!   runs to its end (a client with piped input, `--help`, an error case).
//! - [`dial`], [`listen`], [`accept`] and [`read_some`] are raw loopback sockets with
//!   timeouts, for tests that play the other side by hand.
//!
//! Every wait here has a deadline ([`TIMEOUT`]), so a hang fails a test in seconds.
//! A failed wait is reported at the line of the test that waited (`#[track_caller]`), so a
//! student sees which check of theirs failed, not a line in here.
//!
//! # The trap
//! Every lesson names its programs `server` and `client`. `cargo test` at the workspace root
//! builds them all, and each one is copied to the same `target/debug/server`: the last one
//! wins (cargo warns "output filename collision"), and `CARGO_BIN_EXE_server` points at that
//! shared file too. Cargo also keeps each package's own copy, under a hashed name, in
//! `target/debug/deps/server-<hash>`, and records which package and program every hash
//! belongs to in `target/debug/.fingerprint/`. So [`Lesson::program`] looks there, next to
//! the running test executable, and takes this lesson's own copy.
//!
//! # Grading other programs
//! When `SOCKETS_BY_PHONE_PROGRAMS` names a folder, [`Lesson::program`] takes
//! `<folder>/<package>/<program>` instead: any executable that keeps the contract (a
//! student's build, or a script that runs a Python program). Such a program starts with a
//! cleared environment ([`GRADED_ENV`] and what the test itself sets) in its `HOME`, a
//! fresh folder the grader made: nothing in it points into the grader's tree.

pub mod transcript;

pub mod relay;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The longest any test waits for anything: a line, a process to end, a byte to arrive.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// At most this much of a program's output is kept (the rest is read and dropped), so a
/// program that floods its output cannot fill the memory of the tests.
pub const OUTPUT_LIMIT: usize = 1 << 20;

/// The environment variable that points [`Lesson::program`] at other programs to grade.
pub const PROGRAMS_ENV: &str = "SOCKETS_BY_PHONE_PROGRAMS";

/// The variables a graded program keeps (when [`PROGRAMS_ENV`] is set); the test's own
/// variables (`TZ` for a time zone check) come on top.
pub const GRADED_ENV: [&str; 4] = ["PATH", "LANG", "TZ", "HOME"];

/// Under grading ([`PROGRAMS_ENV`] set), `command` gets a cleared environment but for
/// [`GRADED_ENV`], and runs in `HOME` (the grader gives each check a fresh one). Otherwise
/// it is left as it is.
pub fn sandbox(command: &mut Command) -> &mut Command {
    if std::env::var_os(PROGRAMS_ENV).is_none() {
        return command;
    }
    command.env_clear();
    for name in GRADED_ENV {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    if let Some(home) = std::env::var_os("HOME") {
        command.current_dir(home);
    }
    command
}

/// Puts the program `command` starts in a process group of its own (on Unix), so that
/// [`kill_group`] or [`signal_group`] reach whatever it starts in turn, as a terminal's job.
pub fn in_own_group(command: &mut Command) -> &mut Command {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(command, 0);
    command
}

/// Sends `signal` (`INT`, `KILL`) to the process group of `leader`, a child started
/// [`in_own_group`]: `kill -SIGNAL -- -PID`. True when it was sent; false where there is
/// no `kill` (not Unix) or the group is gone.
pub fn signal_group(leader: u32, signal: &str) -> bool {
    kill(signal, &format!("-{leader}"))
}

/// `kill -SIGNAL -- TARGET` (a process id, or `-PID` for a group). True when it was sent;
/// false where there is no `kill` (not Unix) or the target is gone.
fn kill(signal: &str, target: &str) -> bool {
    cfg!(unix)
        && Command::new("kill")
            .args([&format!("-{signal}"), "--", target])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
}

/// Kills the process group of `leader` (see [`signal_group`]): what a program started goes
/// with it, and cannot hold its pipes open.
pub fn kill_group(leader: u32) {
    signal_group(leader, "KILL");
}

/// The lesson whose tests are running: `lesson!()` in a lesson's `tests/*.rs`.
#[macro_export]
macro_rules! lesson {
    () => {
        $crate::Lesson::new(env!("CARGO_PKG_NAME"))
    };
}

/// One lesson crate, known by its package name.
#[derive(Debug, Clone, Copy)]
pub struct Lesson {
    package: &'static str,
    env: &'static [(&'static str, &'static str)],
}

impl Lesson {
    pub fn new(package: &'static str) -> Self {
        Lesson { package, env: &[] }
    }

    /// The same lesson, whose programs [`Lesson::start`] and [`Lesson::spawn`] run with these
    /// extra environment variables, e.g. `lesson!().with_env(&[("TZ", "Asia/Shanghai")])`.
    /// (For [`Lesson::command`], use `assert_cmd`'s own `.env(...)`.)
    pub fn with_env(self, env: &'static [(&'static str, &'static str)]) -> Self {
        Lesson { env, ..self }
    }

    /// The package name, e.g. `lesson-01-phone-metaphor`.
    pub fn package(&self) -> &'static str {
        self.package
    }

    /// The path of this lesson's own program `name` (`server`, `client`, ...).
    #[track_caller]
    pub fn program(&self, name: &str) -> PathBuf {
        if let Some(folder) = std::env::var_os(PROGRAMS_ENV) {
            let path = Path::new(&folder).join(self.package).join(name);
            assert!(
                path.is_file(),
                "{PROGRAMS_ENV} is set, but there is no program {}",
                path.display()
            );
            return path;
        }
        let test_exe = std::env::current_exe().expect("the test knows where it runs");
        let deps = test_exe
            .parent()
            .expect("the test executable is in a folder");
        find_own_program(deps, self.package, name).unwrap_or_else(|| {
            panic!(
                "found no `{name}` program of {} in {}: build it with `cargo build -p {} --bin {name}`",
                self.package,
                deps.display(),
                self.package
            )
        })
    }

    /// An `assert_cmd` command for program `name` that is killed after [`TIMEOUT`].
    pub fn command(&self, name: &str) -> assert_cmd::Command {
        let mut program = Command::new(self.program(name));
        sandbox(&mut program);
        let mut command = assert_cmd::Command::from_std(program);
        command.timeout(TIMEOUT);
        command
    }

    /// Starts program `name` with `args` and waits for its `listening on HOST:PORT` line.
    #[track_caller]
    pub fn start(&self, name: &str, args: &[&str]) -> Running {
        let running = self.spawn(name, args);
        await_listening(running, name)
    }

    /// Like [`Lesson::start`], with the number of files the program may open limited to
    /// `limit` (bash's `ulimit -n`, as a student would type it; Unix only).
    #[track_caller]
    pub fn start_with_open_files(&self, name: &str, limit: u32, args: &[&str]) -> Running {
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
            .arg(self.program(name))
            .args(args);
        command.envs(self.env.iter().copied());
        await_listening(Running::spawn(name, command), name)
    }

    /// Starts program `name` with `args`, without waiting for anything.
    #[track_caller]
    pub fn spawn(&self, name: &str, args: &[&str]) -> Running {
        let mut command = Command::new(self.program(name));
        sandbox(&mut command).args(args);
        command.envs(self.env.iter().copied());
        Running::spawn(name, command)
    }
}

/// Waits for the `listening on HOST:PORT` line of a program just started, and keeps the
/// address.
#[track_caller]
fn await_listening(mut running: Running, name: &str) -> Running {
    let line = running.wait_for("listening on ");
    let addr = line
        .lines()
        .find_map(|line| line.strip_prefix("listening on "))
        .and_then(|addr| addr.trim().parse().ok());
    match addr {
        Some(addr) => running.addr = Some(addr),
        None => panic!("`{name}` printed a `listening on` line without an address:\n{line}"),
    }
    let first = running
        .stdout()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        first.starts_with("listening on "),
        "`{name}` printed something before its `listening on` line: {first:?}"
    );
    running
}

/// The contract's common table, checked the same way for every lesson: each lesson's tests
/// call these, so that one rule is written once. Under grading, they pass over an
/// experiment (a program but `server` and `client`) that the submission does not have: the
/// exercise does not ask for it, and its own checks are scored apart.
impl Lesson {
    fn passed_over(&self, program: &str) -> bool {
        let Some(folder) = std::env::var_os(PROGRAMS_ENV) else {
            return false;
        };
        let path = Path::new(&folder).join(self.package).join(program);
        !["server", "client"].contains(&program) && !path.is_file()
    }

    /// `--version` of every program names this lesson's package: the tests run this lesson's
    /// own programs, not another lesson's `server` (see "The trap" above).
    #[track_caller]
    pub fn assert_own_programs(&self, programs: &[&str]) {
        for program in programs {
            if self.passed_over(program) {
                continue;
            }
            let output = self.command(program).arg("--version").output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success() && stdout.contains(self.package),
                "`{program} --version` should name {}, it printed: {stdout:?}",
                self.package
            );
        }
    }

    /// The reader of the server's stdout goes away: the very `server | head -1` a student
    /// types, run by bash (so that the pipe belongs to bash and its two children alone; a
    /// pipe made here could be held open by a program another test thread starts at the
    /// same moment). `head` prints the ready line and ends, a caller sends `message`, and
    /// the server's next line of output has nowhere to go. It must end quietly: exit 0, no
    /// panic, no backtrace.
    #[track_caller]
    pub fn assert_quiet_when_stdout_closes(&self, program: &str, message: &[u8]) {
        self.assert_quiet_when_stdout_closes_with(program, &[], message);
    }

    /// Like [`Lesson::assert_quiet_when_stdout_closes`], with more arguments for the program
    /// after `--addr 127.0.0.1:0` (e.g. lesson 05's `--dir` in a scratch folder).
    #[track_caller]
    pub fn assert_quiet_when_stdout_closes_with(
        &self,
        program: &str,
        args: &[&str],
        message: &[u8],
    ) {
        // After `head` has ended, its group closes its own copy of the pipe too (`exec 0<&-`)
        // and says so: only then is nobody left to read, and only then do we call. (Calling
        // as soon as the ready line arrives raced with `head`'s exit: the server's next lines
        // could still go into the pipe.)
        let script = r#""$0" --addr 127.0.0.1:0 "$@" | { head -1; exec 0<&-; echo "head ended"; }; echo "status ${PIPESTATUS[0]}""#;
        let mut command = Command::new("bash");
        sandbox(&mut command)
            .args(["-c", script])
            .arg(self.program(program))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // A process group of its own: a server that does not end can be stopped with bash,
        // so that it cannot hold the pipes open (and this test waiting) for ever.
        in_own_group(&mut command);
        let mut shell = command.spawn().unwrap();
        let stderr = read_all(shell.stderr.take().unwrap());
        let (lines, from_shell) = std::sync::mpsc::channel();
        let stdout = BufReader::new(shell.stdout.take().unwrap());
        thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let ready = from_shell.recv_timeout(TIMEOUT).unwrap_or_default();
        let ended = from_shell.recv_timeout(TIMEOUT).unwrap_or_default();
        let addr: SocketAddr = ready
            .trim()
            .strip_prefix("listening on ")
            .and_then(|addr| addr.parse().ok())
            .filter(|_| ended == "head ended")
            .unwrap_or_else(|| {
                let _ = shell.kill();
                panic!("expected the ready line and `head ended`, got {ready:?} and {ended:?}")
            });
        // A server that prints a second line at once (`waiting for callers`) may find the
        // pipe closed already and end before we dial: then there is nobody to call, and its
        // quiet end is what we check below.
        let _caller = TcpStream::connect_timeout(&addr, TIMEOUT).map(|mut caller| {
            let _ = caller.write_all(message);
            caller
        });
        let status = from_shell.recv_timeout(TIMEOUT);
        kill_group(shell.id());
        let _ = shell.kill();
        let _ = shell.wait();
        let stderr = stderr.join().unwrap();
        let status = status.unwrap_or_else(|_| {
            panic!("{program} went on running after its stdout was closed and a caller spoke; its stderr: {stderr:?}")
        });
        assert!(
            status == "status 0" && stderr.is_empty(),
            "with its stdout closed, {program} should end quietly (exit 0, nothing on stderr); it ended with {status:?} and printed {stderr:?}"
        );
    }

    /// The lesson's client, run to its end against a raw server: the user types `typed`
    /// (one line), the server checks that it heard that line, answers `reply` and hangs up.
    /// Returns what the client printed on stdout.
    #[track_caller]
    pub fn client_output_for_reply(&self, typed: &str, reply: &[u8]) -> String {
        let (listener, addr) = listen();
        let (lesson, input) = (*self, format!("{typed}\n"));
        let client = thread::spawn(move || {
            lesson
                .command("client")
                .args(["--addr", &addr.to_string()])
                .write_stdin(input)
                .output()
        });
        let mut line = accept(&listener);
        assert_eq!(
            read_some(&mut line),
            typed.as_bytes(),
            "the client should send the line the user typed, in one write"
        );
        line.write_all(reply).unwrap();
        drop(line);
        let output = client.join().unwrap().unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// A client calls where nobody listens (with `args` besides `--addr`, and `stdin` typed):
    /// exit 1, stdout exactly `stdout`, and the one `error:` line of a refused call.
    #[track_caller]
    pub fn assert_refused(&self, args: &[&str], stdin: &str, stdout: &str) {
        self.command("client")
            .args(["--addr", &unused_addr().to_string()])
            .args(args)
            .write_stdin(stdin)
            .assert()
            .code(1)
            .stdout(stdout.to_string())
            .stderr(error_line(
                "(connection refused): is the server running? Start it first.",
            ));
    }

    /// `program` asked to listen on `addr`, which a running server holds: exit 1, nothing on
    /// stdout, and the one `error:` line of a busy port.
    #[track_caller]
    pub fn assert_port_in_use(&self, program: &str, addr: &str) {
        if self.passed_over(program) {
            return;
        }
        self.command(program)
            .args(["--addr", addr])
            .assert()
            .code(1)
            .stdout("")
            .stderr(error_line(
                "is already in use: is another server still running? --addr 127.0.0.1:0 picks a free port.",
            ));
    }

    /// Every `(program, args, mentions)` is a bad command line: exit 2, nothing on stdout,
    /// one `error:` line that names `mentions` and points to `--help`.
    #[track_caller]
    pub fn assert_bad_command_lines(&self, cases: &[(&str, &[&str], &str)]) {
        for (program, args, mentions) in cases {
            if self.passed_over(program) {
                continue;
            }
            let output = self.command(program).args(*args).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            let shown = format!("`{program} {}`", args.join(" "));
            assert_eq!(output.status.code(), Some(2), "{shown}: {stderr}");
            assert!(output.stdout.is_empty(), "{shown} printed on stdout");
            assert!(
                stderr.lines().count() == 1 && stderr.starts_with("error: "),
                "{shown} should print one `error:` line, it printed: {stderr:?}"
            );
            assert!(
                stderr.contains(mentions),
                "{shown} should name {mentions}: {stderr}"
            );
            assert!(
                stderr.contains("--help"),
                "{shown} should point to --help: {stderr}"
            );
        }
    }

    /// The contract's bad `--addr` values and an unknown option, for each of `programs`.
    #[track_caller]
    pub fn assert_bad_addresses(&self, programs: &[&str]) {
        for program in programs {
            self.assert_bad_command_lines(&[
                (program, &["--addr", "nonsense"], "--addr"),
                (program, &["--addr", "127.0.0.1"], "--addr"),
                (program, &["--frobnicate"], "--frobnicate"),
            ]);
        }
    }

    /// `--help` of every program describes each of its options.
    #[track_caller]
    pub fn assert_help(&self, expected: &[(&str, &[&str])]) {
        for (program, options) in expected {
            if self.passed_over(program) {
                continue;
            }
            let output = self.command(program).arg("--help").output().unwrap();
            assert!(output.status.success(), "`{program} --help` failed");
            let help = String::from_utf8_lossy(&output.stdout);
            for option in *options {
                assert!(
                    help.contains(option),
                    "`{program} --help` should describe {option}:\n{help}"
                );
            }
        }
    }
}

/// In a cargo `deps` folder, the program `name` of package `package`.
///
/// Cargo keeps its own records next to `deps`: a folder `.fingerprint/<package>-<hash>` for
/// every target it built, holding a file `bin-<name>` for a program (and `test-bin-<name>`
/// for the unit tests of that program, which also end up as `deps/<name>-<hash>`). The
/// program itself is `deps/<name>-<hash>`, with the same hash (and `_` for each `-` in the
/// name). `cargo xtask bench` asks the same of `target/release/deps`.
pub fn find_own_program(deps: &Path, package: &str, name: &str) -> Option<PathBuf> {
    let fingerprints = deps.parent()?.join(".fingerprint");
    let prefix = format!("{package}-");
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(fingerprints).ok()?.flatten() {
        let folder = entry.file_name().to_string_lossy().into_owned();
        let Some(hash) = folder.strip_prefix(&prefix) else {
            continue;
        };
        if !entry.path().join(format!("bin-{name}")).is_file() {
            continue;
        }
        // A program's file name in `deps` is its crate name: `lock-stall` becomes `lock_stall`.
        let file = name.replace('-', "_");
        let program = deps.join(format!("{file}-{hash}{}", std::env::consts::EXE_SUFFIX));
        let Ok(modified) = program.metadata().and_then(|meta| meta.modified()) else {
            continue;
        };
        if newest.as_ref().is_none_or(|(time, _)| modified > *time) {
            newest = Some((modified, program));
        }
    }
    newest.map(|(_, program)| program)
}

/// What a program printed, shared between the test and the threads that read its pipes.
#[derive(Default)]
struct Captured {
    stdout: String,
    stderr: String,
    stdout_done: bool,
    stderr_done: bool,
}

type Shared = Arc<(Mutex<Captured>, Condvar)>;

/// A program started by a test. Dropping it kills the program.
pub struct Running {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    shared: Shared,
    addr: Option<SocketAddr>,
}

/// How a program ended and what it printed.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// For `assert_cmd`'s assertions: `finished.output().assert().success()`.
    pub fn output(&self) -> Output {
        Output {
            status: self.status,
            stdout: self.stdout.clone().into_bytes(),
            stderr: self.stderr.clone().into_bytes(),
        }
    }
}

impl Running {
    #[track_caller]
    fn spawn(name: &str, mut command: Command) -> Running {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|err| panic!("could not start `{name}`: {err}"));
        let shared: Shared = Arc::default();
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        collect(stdout, shared.clone(), |c| {
            (&mut c.stdout, &mut c.stdout_done)
        });
        collect(stderr, shared.clone(), |c| {
            (&mut c.stderr, &mut c.stderr_done)
        });
        Running {
            name: name.to_string(),
            stdin: child.stdin.take(),
            child,
            shared,
            addr: None,
        }
    }

    /// The program's process id (to read its memory use in `/proc/<id>/status`, say).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The address from the `listening on` line.
    pub fn addr(&self) -> SocketAddr {
        self.addr
            .unwrap_or_else(|| panic!("`{}` was not started with `start`", self.name))
    }

    /// The program's process id, e.g. to count its threads with [`thread_count`].
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The address as `--addr` wants it.
    pub fn addr_arg(&self) -> String {
        self.addr().to_string()
    }

    /// Types `line` and Enter on the program's stdin.
    pub fn type_line(&mut self, line: &str) {
        self.type_bytes(format!("{line}\n").as_bytes());
    }

    /// Writes raw bytes to the program's stdin.
    pub fn type_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        // The program may have ended already; the test's later assertions will say so.
        let _ = stdin.write_all(bytes).and_then(|()| stdin.flush());
    }

    /// Closes stdin: for the program, the user pressed Ctrl-D.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Everything printed on stdout so far.
    pub fn stdout(&self) -> String {
        self.shared.0.lock().unwrap().stdout.clone()
    }

    /// Everything printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.shared.0.lock().unwrap().stderr.clone()
    }

    /// Waits until stdout contains `text`; returns all stdout so far.
    #[track_caller]
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} on stdout"), |c| c.stdout.contains(text))
            .0
    }

    /// Like [`Running::wait_for`], for a check that a student reads: when `text` does not
    /// come, the failure also says what the program should print, e.g. `expected` =
    /// "`0 -> 1970-01-01 00:00:00` (`<line> -> YYYY-MM-DD HH:MM:SS`)".
    #[track_caller]
    pub fn wait_for_expected(&self, text: &str, expected: &str) -> String {
        let what = format!("{text:?} on stdout (expected a line like {expected})");
        self.wait_until(&what, |c| c.stdout.contains(text)).0
    }

    /// Waits until stdout contains `text` at least `count` times; returns all stdout so far.
    #[track_caller]
    pub fn wait_for_count(&self, text: &str, count: usize) -> String {
        self.wait_until(&format!("{count} x {text:?} on stdout"), |c| {
            c.stdout.matches(text).count() >= count
        })
        .0
    }

    /// Waits until stderr contains `text`; returns all stderr so far.
    #[track_caller]
    pub fn wait_for_stderr(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?} on stderr"), |c| c.stderr.contains(text))
            .1
    }

    /// Waits until `done` holds for the output so far; returns (stdout, stderr).
    #[track_caller]
    fn wait_until(&self, what: &str, done: impl Fn(&Captured) -> bool) -> (String, String) {
        let (lock, changed) = &*self.shared;
        let deadline = Instant::now() + TIMEOUT;
        let mut captured = lock.lock().unwrap();
        loop {
            if done(&captured) {
                return (captured.stdout.clone(), captured.stderr.clone());
            }
            let now = Instant::now();
            if now >= deadline || (captured.stdout_done && captured.stderr_done) {
                let ended = if now >= deadline {
                    format!("after {TIMEOUT:?}")
                } else {
                    "but the program ended first (its stderr below may say why)".to_string()
                };
                panic!(
                    "waited for {what} from `{}`, {ended}.\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    self.name, captured.stdout, captured.stderr
                );
            }
            captured = changed.wait_timeout(captured, deadline - now).unwrap().0;
        }
    }

    /// Closes stdin and waits for the program to end by itself (killing it after
    /// [`TIMEOUT`], which fails the test).
    #[track_caller]
    pub fn finish(mut self) -> Finished {
        self.close_stdin();
        self.wait()
    }

    /// Waits for the program to end by itself, with its stdin still open (killing it after
    /// [`TIMEOUT`], which fails the test): for a program that must end without any typing.
    #[track_caller]
    pub fn wait(mut self) -> Finished {
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waiting for a child") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "`{}` did not end within {TIMEOUT:?}.\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    self.name,
                    self.stdout(),
                    self.stderr()
                );
            }
            thread::sleep(Duration::from_millis(5));
        };
        self.collected(status)
    }

    /// Stops the program (for servers that serve until stopped) and returns its output.
    pub fn kill(mut self) -> Finished {
        let _ = self.child.kill();
        let status = self.child.wait().expect("waiting for a killed child");
        self.collected(status)
    }

    /// Waits for the pipes to close, then returns what the program printed.
    fn collected(&self, status: ExitStatus) -> Finished {
        let (lock, changed) = &*self.shared;
        let deadline = Instant::now() + TIMEOUT;
        let mut captured = lock.lock().unwrap();
        while !(captured.stdout_done && captured.stderr_done) && Instant::now() < deadline {
            captured = changed
                .wait_timeout(captured, Duration::from_millis(50))
                .unwrap()
                .0;
        }
        Finished {
            status,
            stdout: captured.stdout.clone(),
            stderr: captured.stderr.clone(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads one pipe of a child into `shared`, keeping at most [`OUTPUT_LIMIT`] bytes.
fn collect(
    pipe: impl Read + Send + 'static,
    shared: Shared,
    field: fn(&mut Captured) -> (&mut String, &mut bool),
) {
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut chunk = Vec::new();
        loop {
            chunk.clear();
            let done = !matches!(reader.read_until(b'\n', &mut chunk), Ok(n) if n > 0);
            let (lock, changed) = &*shared;
            let mut captured = lock.lock().unwrap();
            let (text, finished) = field(&mut captured);
            if text.len() < OUTPUT_LIMIT {
                text.push_str(&String::from_utf8_lossy(&chunk));
                if text.len() >= OUTPUT_LIMIT {
                    // The grader looks for these words to name the reason.
                    text.push_str("\n[flooded output: more than 1 MiB; the rest is dropped]\n");
                }
            }
            *finished = done;
            changed.notify_all();
            if done {
                return;
            }
        }
    });
}

/// Dials `addr` as a raw caller, with read and write timeouts of [`TIMEOUT`].
pub fn dial(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT)
        .unwrap_or_else(|err| panic!("could not dial {addr}: {err}"));
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// A raw listener on `127.0.0.1`, port chosen by the system, for a test playing the server.
pub fn listen() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Accepts one caller on `listener` within [`TIMEOUT`]; the stream has timeouts too.
pub fn accept(listener: &TcpListener) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).unwrap();
                stream.set_read_timeout(Some(TIMEOUT)).unwrap();
                stream.set_write_timeout(Some(TIMEOUT)).unwrap();
                return stream;
            }
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    Instant::now() < deadline,
                    "nobody called within {TIMEOUT:?}"
                );
                thread::sleep(Duration::from_millis(5));
            }
            Err(err) => panic!("accept failed: {err}"),
        }
    }
}

/// One `recv(1024)`, as the original does: whatever has arrived, up to 1024 bytes. An empty
/// result means the other side hung up.
pub fn read_some(stream: &mut TcpStream) -> Vec<u8> {
    let mut buffer = [0u8; 1024];
    let size = stream
        .read(&mut buffer)
        .unwrap_or_else(|err| panic!("reading from the program failed: {err}"));
    buffer[..size].to_vec()
}

/// Reads until the other side hangs up (or [`TIMEOUT`] passes, which fails the test).
pub fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut bytes = Vec::new();
    stream
        .read_to_end(&mut bytes)
        .unwrap_or_else(|err| panic!("reading until hang-up failed: {err}"));
    bytes
}

/// Hangs up abruptly: the other side gets a reset (RST) instead of an orderly end, as when
/// a program crashes or a machine on the way gives up (`SO_LINGER` 0, then close).
pub fn reset(stream: TcpStream) {
    socket2::SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(stream);
}

/// A port on loopback where nobody listens (bound, then released at once).
pub fn unused_addr() -> SocketAddr {
    listen().1
}

/// Starts `python3 -u -c <code> <args>`: for tests that talk to a peer written the way the
/// original tutorial's Python is. Like [`Lesson::spawn`], the program dies with the handle.
pub fn python(code: &str, args: &[&str]) -> Running {
    let mut command = Command::new("python3");
    command.arg("-u").arg("-c").arg(code).args(args);
    Running::spawn("python3", command)
}

/// The contract's error shape: stderr is exactly one line, it starts with `error: ` and
/// contains `text`. Use it as `.stderr(error_line("is already in use"))`.
pub fn error_line(text: &'static str) -> impl predicates::Predicate<str> {
    predicates::function::function(move |stderr: &str| {
        stderr.lines().count() == 1 && stderr.starts_with("error: ") && stderr.contains(text)
    })
    .fn_name("one `error:` line")
}

/// How many threads the process `pid` has now: the entries of `/proc/PID/task`. Linux
/// only; `None` elsewhere (a test that needs it says so and passes).
pub fn thread_count(pid: u32) -> Option<usize> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    Some(tasks.count())
}

/// How much processor time the process `pid` has used so far, user and system, in the
/// clock ticks of `/proc/PID/stat` (usually 100 a second). Linux only; `None` elsewhere.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    // utime is the 12th field after the program's name, stime the 13th.
    let fields = stat_fields(pid)?;
    let ticks = |n: usize| fields.get(n)?.parse::<u64>().ok();
    Some(ticks(11)? + ticks(12)?)
}

/// How much processor time (see [`cpu_ticks`]) the process `pid` uses during the next
/// `span`: this waits `span`, the time that is measured. Linux only; `None` elsewhere.
pub fn cpu_ticks_during(pid: u32, span: Duration) -> Option<u64> {
    let before = cpu_ticks(pid)?;
    thread::sleep(span);
    Some(cpu_ticks(pid)? - before)
}

/// The state of process `pid` from `/proc/PID/stat` (`S` asleep, `R` running, `T`
/// stopped). Linux only; `None` elsewhere.
pub fn process_state(pid: u32) -> Option<char> {
    stat_fields(pid)?.first()?.chars().next()
}

/// The fields of `/proc/PID/stat` after the program's name in parentheses (which may hold
/// spaces): the state first. Linux only; `None` elsewhere.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    Some(after_name.split_whitespace().map(str::to_string).collect())
}

/// Ctrl-Z, then `fg`, for the program `pid` while it waits: once it sleeps (where `/proc`
/// tells), `SIGSTOP`, and `SIGCONT` once it has stopped. On Linux a read with a timeout
/// (`SO_RCVTIMEO`) that was stopped and continued returns "interrupted" (EINTR, see
/// signal(7)), even with no signal handler: a program must then read again. Unix only;
/// elsewhere nothing happens.
pub fn stop_and_continue(pid: u32) {
    let wait_until = |state: char| {
        let deadline = Instant::now() + TIMEOUT;
        while process_state(pid).is_some_and(|now| now != state) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    let signal = |name: &str| {
        let sent = kill(name, &pid.to_string());
        assert!(sent || !cfg!(unix), "kill -{name} {pid} failed");
    };
    if cfg!(unix) {
        wait_until('S');
        signal("STOP");
        wait_until('T');
        signal("CONT");
    }
}

/// True when this machine has IPv6 loopback (`::1`); some containers do not.
pub fn has_ipv6_loopback() -> bool {
    TcpListener::bind("[::1]:0").is_ok()
}

/// Reads all of `pipe` in a thread (at most [`OUTPUT_LIMIT`] bytes kept), for a program whose
/// output is checked once it has ended.
fn read_all(pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let _ = pipe.take(OUTPUT_LIMIT as u64).read_to_end(&mut kept);
        String::from_utf8_lossy(&kept).into_owned()
    })
}

/// A seeded stream of `count` random messages, the same for the same `seed`: what a broken or
/// hostile peer might send. Each is 0 to `longest` bytes, of one of five kinds: any bytes
/// (mostly not UTF-8), text with NULs, text with control characters and escape sequences,
/// Chinese text cut at any byte (so sometimes in the middle of a character), and lines with
/// `\n` and `\r\n` endings. No `rand` crate: a few lines of xorshift are enough for a test.
pub fn random_messages(seed: u64, count: usize, longest: usize) -> Vec<Vec<u8>> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        // xorshift64* (Marsaglia, Vigna): small, fast, and good enough to pick bytes.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut messages = Vec::with_capacity(count);
    for _ in 0..count {
        let size = (next() % (longest as u64 + 1)) as usize;
        let kind = next() % 5;
        let mut message = Vec::with_capacity(size);
        while message.len() < size {
            let pick = next();
            match kind {
                0 => message.push(pick as u8),
                1 => message.extend_from_slice(if pick % 3 == 0 { b"\0" } else { b"ab" }),
                2 => {
                    const NASTY: [&[u8]; 8] = [
                        b"\x1b[2J",
                        b"\x1b]0;title\x07",
                        b"\r",
                        b"\x7f",
                        "\u{9b}31m".as_bytes(),
                        "\u{85}".as_bytes(),
                        b"\x08\x0b\x0c",
                        b"text ",
                    ];
                    message.extend_from_slice(NASTY[(pick % 8) as usize]);
                }
                3 => message.extend_from_slice("你好，世界".as_bytes()),
                _ => message.extend_from_slice(if pick % 2 == 0 { b"12\n" } else { b"x y\r\n" }),
            }
        }
        message.truncate(size);
        messages.push(message);
    }
    messages
}

/// What a program printed shows every character a peer sent as something visible: no control
/// character but tabs and line breaks (`\n`) reached the terminal.
#[track_caller]
pub fn assert_printable(what: &str, text: &str) {
    let raw = |c: &char| c.is_control() && *c != '\n' && *c != '\t';
    if let Some(line) = text.split('\n').find(|line| line.chars().any(|c| raw(&c))) {
        let bad = line.chars().find(raw).unwrap_or_default();
        let start: String = line.chars().take(120).collect();
        panic!(
            "{what} printed the control character {bad:?} as it is (it should be escaped, like \\x1b), in the line starting {start:?}"
        );
    }
}
