//! Running other programs with a time limit and bounded output, and running the lessons'
//! test executables one test at a time. Shared by `exercise check`, `grade` and the book check.
//!
//! Every program here runs in a process group of its own, and a time limit kills the whole
//! group: a test executable that is killed cannot clean up the servers it started, so they
//! would otherwise live on.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use serde::Deserialize;

use test_support::kill_group;

use crate::tools;

/// At most this much of a program's stdout and of its stderr is kept; the rest is read and
/// dropped, so a program that floods its output costs no memory.
pub const KEEP: usize = 256 * 1024;

/// How a program run by [`run`] ended.
#[derive(Debug)]
pub struct Ran {
    /// `None` when the time limit killed it.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub seconds: f64,
}

impl Ran {
    pub fn success(&self) -> bool {
        self.status.is_some_and(|status| status.success())
    }

    /// True when this was a run of one test (see [`run_test`]) and the test passed.
    pub fn passed_one(&self) -> bool {
        self.success() && self.stdout.contains("test result: ok. 1 passed")
    }
}

/// Why a test that [`run`] stopped at `limit` failed.
pub fn stopped_after(limit: Duration) -> String {
    let secs = limit.as_secs();
    format!("took longer than {secs}s and was stopped: a program may be waiting forever")
}

/// Runs `command` (stdin closed) until it ends or `limit` passes.
pub fn run(mut command: Command, limit: Duration) -> std::io::Result<Ran> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    test_support::in_own_group(&mut command);
    let started = Instant::now();
    let mut child = command.spawn()?;
    let stdout = keep_some(child.stdout.take().expect("stdout is piped"));
    let stderr = keep_some(child.stderr.take().expect("stderr is piped"));
    let status = wait_at_most(&mut child, limit)?;
    // Whatever the program left behind in its group (a server a killed test started) goes
    // too, or it would hold the pipes open.
    kill_group(child.id());
    Ok(Ran {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Waits until `child` ends or `limit` passes; then kills it and its process group (what it
/// started, when it was started `in_own_group`), and returns `None`.
pub fn wait_at_most(child: &mut Child, limit: Duration) -> std::io::Result<Option<ExitStatus>> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        thread::sleep(Duration::from_millis(10));
    }
    kill_group(child.id());
    let _ = child.kill();
    let _ = child.wait();
    Ok(None)
}

/// Reads a pipe to its end on a thread of its own, keeping the first [`KEEP`] bytes.
fn keep_some(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let _ = pipe.by_ref().take(KEEP as u64).read_to_end(&mut kept);
        let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        String::from_utf8_lossy(&kept).into_owned()
    })
}

/// One test executable built by cargo.
#[derive(Debug, Clone)]
pub struct TestExe {
    pub package: String,
    /// The target: `behaviour` for `tests/behaviour.rs`, `server` for the unit tests in
    /// `src/bin/server.rs`.
    pub target: String,
    /// True for an integration test (`tests/*.rs`): the behavioural tests.
    pub behavioural: bool,
    pub path: PathBuf,
    /// The package's folder: cargo runs tests there, so we do too.
    pub dir: PathBuf,
}

/// What xtask reads of one `compiler-artifact` line of cargo's `--message-format=json`.
#[derive(Debug, Deserialize)]
struct Artifact {
    reason: String,
    target: Target,
    profile: Profile,
    executable: Option<PathBuf>,
    manifest_path: PathBuf,
}

#[derive(Debug, Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Profile {
    test: bool,
}

/// Cargo, run in `workspace` with its builds in `target_dir`, stopped after `limit`.
#[derive(Debug, Clone, Copy)]
pub struct Cargo<'a> {
    workspace: &'a Path,
    target_dir: &'a Path,
    limit: Duration,
}

impl<'a> Cargo<'a> {
    pub fn new(workspace: &'a Path, target_dir: &'a Path, limit: Duration) -> Self {
        Cargo {
            workspace,
            target_dir,
            limit,
        }
    }

    /// `cargo test --no-run --package <package>`: every test executable it built.
    pub fn build_tests(&self, package: &str) -> Result<Vec<TestExe>, String> {
        let json = "--message-format=json-render-diagnostics";
        let stdout = self.run(&["test", "--no-run", "--package", package, json])?;
        let mut exes: Vec<TestExe> = executables_in(&stdout)
            .into_iter()
            .filter(|artifact| artifact.profile.test)
            .map(|artifact| TestExe {
                package: package.to_string(),
                behavioural: artifact.target.kind.iter().any(|kind| kind == "test"),
                target: artifact.target.name,
                path: artifact.executable.unwrap_or_default(),
                dir: artifact
                    .manifest_path
                    .parent()
                    .unwrap_or(self.workspace)
                    .into(),
            })
            .collect();
        exes.sort_by(|a, b| (&a.target, &a.path).cmp(&(&b.target, &b.path)));
        Ok(exes)
    }

    /// Runs `cargo <args>`: its stdout, or one line that says why it failed.
    fn run(&self, args: &[&str]) -> Result<String, String> {
        let mut command = tools::cargo();
        command
            .args(args)
            .current_dir(self.workspace)
            .env("CARGO_TARGET_DIR", self.target_dir)
            .env("CARGO_TERM_COLOR", "never")
            // The workspace being built has its own toolchain file, if any; ours must not leak.
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("CARGO_MANIFEST_DIR");
        cargo_stdout(command, self.limit)
    }

    /// The names of the packages of the workspace itself (`cargo metadata --no-deps`).
    pub fn packages(&self) -> Result<Vec<String>, String> {
        let stdout = self.run(&["metadata", "--no-deps", "--format-version", "1"])?;
        let metadata: serde_json::Value =
            serde_json::from_str(&stdout).map_err(|err| format!("cargo metadata: {err}"))?;
        let packages = metadata["packages"].as_array().into_iter().flatten();
        let names = packages.filter_map(|package| package["name"].as_str());
        Ok(names.map(String::from).collect())
    }
}

/// Every artifact that is an executable, in cargo's JSON messages.
fn executables_in(stdout: &str) -> Vec<Artifact> {
    let artifacts = stdout
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok());
    let is_program = |a: &Artifact| a.reason == "compiler-artifact" && a.executable.is_some();
    artifacts.filter(is_program).collect()
}

/// Builds the programs of the package at `manifest` (an untrusted checkout) apart from us:
/// run from `outside` (so the checkout's `.cargo/config.toml` and toolchain file are not
/// read), into `target_dir`, with an environment that names nothing of ours. Every program
/// it built, as (name, path).
pub fn build_apart(
    manifest: &Path,
    target_dir: &Path,
    outside: &Path,
    limit: Duration,
) -> Result<Vec<(String, PathBuf)>, String> {
    let mut command = tools::cargo();
    command.env_clear().current_dir(outside);
    for name in "PATH HOME CARGO_HOME RUSTUP_HOME RUSTUP_TOOLCHAIN LANG".split(' ') {
        command.envs(std::env::var_os(name).map(|value| (name, value)));
    }
    command
        .env("CARGO_TARGET_DIR", target_dir)
        .env("CARGO_TERM_COLOR", "never")
        .arg("build")
        .arg("--manifest-path")
        .arg(manifest)
        .args(["--bins", "--message-format=json-render-diagnostics"]);
    let stdout = cargo_stdout(command, limit)?;
    let program = |a: Artifact| (a.target.name, a.executable.unwrap_or_default());
    Ok(executables_in(&stdout).into_iter().map(program).collect())
}

/// Runs cargo: its stdout, or one line that says why it failed.
fn cargo_stdout(command: Command, limit: Duration) -> Result<String, String> {
    let ran = run(command, limit).map_err(|err| format!("could not run cargo: {err}"))?;
    if !ran.success() {
        return Err(failure_of_cargo(&ran, limit));
    }
    Ok(ran.stdout)
}

/// One line that says why cargo failed: its first `error`, or the time limit.
fn failure_of_cargo(ran: &Ran, limit: Duration) -> String {
    if ran.status.is_none() {
        let secs = limit.as_secs();
        return format!("the build took longer than {secs}s and was stopped");
    }
    let mut lines = ran.stderr.lines().map(str::trim);
    let Some(first_error) = lines.find(|line| line.starts_with("error")) else {
        return "cargo failed without saying why".into();
    };
    // "error[E0425]: cannot find value `x`" is more useful with where it is.
    match lines.find_map(|line| line.strip_prefix("--> ")) {
        Some(place) => shorten(&format!("{first_error} ({place})")),
        None => shorten(first_error),
    }
}

/// The names of the tests in `exe` that run by default (not `#[ignore]`d).
pub fn list_tests(exe: &TestExe, limit: Duration) -> Result<Vec<String>, String> {
    let listed = |ignored: bool| -> Result<Vec<String>, String> {
        let mut command = Command::new(&exe.path);
        command
            .current_dir(&exe.dir)
            .args(["--list", "--format", "terse"])
            .args(ignored.then_some("--ignored"));
        let ran = run(command, limit).map_err(|err| format!("could not list tests: {err}"))?;
        if !ran.success() {
            return Err(format!("{} --list failed", exe.path.display()));
        }
        let names = ran
            .stdout
            .lines()
            .filter_map(|line| line.strip_suffix(": test"));
        Ok(names.map(str::to_string).collect())
    };
    let ignored = listed(true)?;
    Ok(listed(false)?
        .into_iter()
        .filter(|name| !ignored.contains(name))
        .collect())
}

/// The outcome of one test: `Err` with one line that says why it failed.
pub type Outcome = Result<(), String>;

/// The arguments of a test executable that run the one test `name`, alone and plainly.
pub fn one_test(name: &str) -> [&str; 4] {
    [name, "--exact", "--test-threads=1", "--color=never"]
}

/// Runs the one test `name` of `exe`, with `env` set, killed after `limit`.
pub fn run_test(
    exe: &TestExe,
    name: &str,
    env: &[(&str, &Path)],
    limit: Duration,
) -> (Outcome, f64) {
    let mut command = Command::new(&exe.path);
    command
        .current_dir(&exe.dir)
        .args(one_test(name))
        .env("RUST_BACKTRACE", "0")
        .env("CARGO_MANIFEST_DIR", &exe.dir)
        .env("CARGO_PKG_NAME", &exe.package)
        .envs(env.iter().copied());
    let ran = match run(command, limit) {
        Ok(ran) => ran,
        Err(err) => return (Err(format!("could not run the test: {err}")), 0.0),
    };
    let outcome = if ran.status.is_none() {
        Err(stopped_after(limit))
    } else if ran.passed_one() {
        Ok(())
    } else if ran.success() {
        Err(format!("no test named `{name}` ran"))
    } else {
        Err(failure_reason(&ran.stdout))
    };
    (outcome, ran.seconds)
}

/// The first useful line of a failed test's output: the first line of its panic message,
/// and, when the output of the program under test is quoted further down, the line there
/// that says why the program stopped (its own panic, or its `error:` line).
pub fn failure_reason(output: &str) -> String {
    let is_panic = |line: &str| line.starts_with("thread '") && line.contains("panicked at");
    // "thread 'x' panicked at file:line:col:" then the message on the next lines.
    let mut lines = output.lines().skip_while(|line| !is_panic(line)).skip(1);
    let Some(message) = lines.by_ref().map(str::trim).find(|line| !line.is_empty()) else {
        let crashed = output.contains("SIGSEGV") || output.contains("signal: ");
        return if crashed {
            "the test run crashed"
        } else {
            "failed (no message)"
        }
        .into();
    };
    // A bare `assert_eq!` says only "assertion `left == right` failed": add both sides.
    let mut message = message.to_string();
    if message.ends_with("`left == right` failed") {
        let sides: Vec<&str> = lines.clone().map(str::trim).take(2).collect();
        message = format!("{message} ({})", sides.join(", "));
    }
    let message = message.as_str();
    // assert_cmd quotes the program's stderr after `stderr=` with \' for '.
    let unquote = |line: &str| {
        line.trim()
            .trim_start_matches("stderr=")
            .trim_matches('`')
            .replace("\\'", "'")
    };
    let rest: Vec<String> = lines
        .take_while(|l| !l.starts_with("failures:"))
        .map(unquote)
        .collect();
    // The program's own panic first (its message is on the next line), even after an
    // earlier `error:` line of it; else its first `error:` line.
    let panic = rest.iter().position(|line| is_panic(line)).and_then(|at| {
        let panic = rest[at + 1..].iter().find(|l| !l.is_empty())?;
        let todo = panic.starts_with("not yet implemented");
        Some(format!("{}{panic}", if todo { "" } else { "panicked: " }))
    });
    let error = |line: &&String| line.starts_with("error:") && !message.contains(line.as_str());
    let Some(why) = panic.or_else(|| rest.iter().find(error).cloned()) else {
        return shorten(message);
    };
    // test-support's wait says "(its stderr below may say why)"; here the reason follows.
    let message = shorten_to(&message.replace(" (its stderr below may say why)", ""), 120);
    format!("{message} [the program: {}]", shorten_to(&why, 120))
}

/// At most 200 characters of one line, cut at a character boundary.
pub fn shorten(line: &str) -> String {
    shorten_to(line, 200)
}

/// At most `max` characters of one line, cut at a character boundary.
pub fn shorten_to(line: &str, max: usize) -> String {
    let line = line.trim();
    match line.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line.to_string(),
    }
}

/// Runs `jobs` on up to `threads` threads; the results come back in the order of `jobs`.
pub fn in_parallel<J: Send, R: Send>(
    jobs: Vec<J>,
    threads: usize,
    work: impl Fn(J) -> R + Sync,
) -> Vec<R> {
    let queue = Mutex::new(jobs.into_iter().enumerate());
    let results = Mutex::new(Vec::new());
    thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                loop {
                    // The queue's lock is let go before the work starts.
                    let next = queue.lock().unwrap().next();
                    let Some((index, job)) = next else { return };
                    let result = work(job);
                    results.lock().unwrap().push((index, result));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// How many tests to run at once: the machine's cores, at most 8 (each test runs programs
/// of its own).
pub fn default_threads() -> usize {
    thread::available_parallelism().map_or(2, |n| n.get().min(8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_the_first_line_of_the_panic() {
        let output = "\nrunning 1 test\ntest one ... FAILED\n\nfailures:\n\n---- one stdout ----\n\n\
                      thread 'one' panicked at lessons/x/tests/behaviour.rs:10:5:\n\
                      waited for \"listening on \" on stdout from `server`, after 10s.\n\
                      --- stdout ---\n\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            failure_reason(output),
            "waited for \"listening on \" on stdout from `server`, after 10s."
        );
        assert_eq!(failure_reason("nothing useful"), "failed (no message)");
        // The program's own reason, when the test quotes its output.
        let output = "thread 'two' panicked at tests/behaviour.rs:3:5:\nUnexpected failure.\n\
                      code=101\nstderr=``````\n\nthread \\'main\\' (9) panicked at src/bin/client.rs:82:5:\n\
                      not yet implemented: take the time\n```\n\nfailures:\n    two\n";
        assert_eq!(
            failure_reason(output),
            "Unexpected failure. [the program: not yet implemented: take the time]"
        );
        let output = "thread 'three' panicked at tests/behaviour.rs:3:5:\nwaited for \"x\"\n\
                      --- stderr ---\nerror: could not reach 127.0.0.1:1 (connection refused)\n";
        assert!(
            failure_reason(output).ends_with(
                "[the program: error: could not reach 127.0.0.1:1 (connection refused)]"
            )
        );
        let output = "thread 'four' panicked at tests/behaviour.rs:3:5:\nwaited for \"x\"\n\
                      --- stderr ---\nthread 'main' (7) panicked at src/bin/server.rs:9:5:\n\
                      called `Option::unwrap()` on a `None` value\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            failure_reason(output),
            "waited for \"x\" [the program: panicked: called `Option::unwrap()` on a `None` value]"
        );
        assert_eq!(shorten(&"长".repeat(300)).chars().count(), 203);
        // The program's panic shows even after an earlier `error:` line of it.
        let output = "thread 'five' panicked at tests/behaviour.rs:3:5:\nwaited for \"x\"\n\
                      --- stderr ---\nerror: first\nthread 'main' (7) panicked at src/bin/server.rs:9:5:\n\
                      index out of bounds\n";
        assert_eq!(
            failure_reason(output),
            "waited for \"x\" [the program: panicked: index out of bounds]"
        );
        // A bare assert_eq! shows both sides.
        let output = "thread 'six' panicked at tests/behaviour.rs:3:5:\n\
                      assertion `left == right` failed\n  left: 1\n right: 2\n";
        assert_eq!(
            failure_reason(output),
            "assertion `left == right` failed (left: 1, right: 2)"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_hang_is_stopped_and_a_flood_is_bounded() {
        let mut hang = Command::new("sh");
        hang.args(["-c", "sleep 30 & sleep 30"]);
        let ran = run(hang, Duration::from_millis(300)).unwrap();
        assert!(ran.status.is_none());
        assert!(ran.seconds < 5.0, "{ran:?}");

        let mut flood = Command::new("sh");
        flood.args(["-c", "yes flood | head -c 5000000; echo done >&2"]);
        let ran = run(flood, Duration::from_secs(20)).unwrap();
        assert!(ran.success());
        assert_eq!(ran.stdout.len(), KEEP);
        assert_eq!(ran.stderr, "done\n");
    }

    #[test]
    fn parallel_results_keep_their_order() {
        let out = in_parallel((0..50).collect(), 4, |n: u32| n * 2);
        assert_eq!(out, (0..50).map(|n| n * 2).collect::<Vec<_>>());
    }
}
