//! One run of one row's work: start the server, start the client against it with the clock
//! running, and turn what happened into a [`Sample`].

use std::ffi::OsString;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::Sample;
use super::process::{self, RUN_LIMIT, Server};

/// A run in progress: the server, and the clock and its CPU time when the client started.
pub struct Run {
    pub server: Server,
    deadline: Instant,
    start: Instant,
    cpu_before: Option<Duration>,
}

impl Run {
    /// Starts the server `command` (see [`Server::start`] for `marker` and `end`).
    pub fn server(
        command: &[OsString],
        marker: &'static str,
        end: &'static str,
    ) -> anyhow::Result<Run> {
        let server = Server::start(command, marker, end)?;
        let now = Instant::now();
        // The clock and the CPU reading are taken again when the client starts.
        Ok(Run {
            server,
            deadline: now + RUN_LIMIT,
            start: now,
            cpu_before: None,
        })
    }

    /// Starts the `client` command line with `--addr <the server's address> <args>`; the clock
    /// starts here.
    pub fn client(
        &mut self,
        client: &[OsString],
        args: &[&str],
        stdin: Stdio,
        stdout: Stdio,
    ) -> anyhow::Result<Child> {
        let mut command = client.to_vec();
        command.extend(["--addr".into(), self.server.addr.to_string().into()]);
        command.extend(args.iter().map(OsString::from));
        self.start_client(&command, stdin, stdout)
    }

    /// Starts `command` as it is (it names the server's address itself); the clock starts
    /// here.
    pub fn start_client(
        &mut self,
        command: &[OsString],
        stdin: Stdio,
        stdout: Stdio,
    ) -> anyhow::Result<Child> {
        self.start_clock();
        let (program, args) = command.split_first().context("an empty command")?;
        let child = Command::new(program)
            .args(args)
            .stdin(stdin)
            .stdout(stdout)
            .spawn()
            .with_context(|| format!("could not start {}", program.to_string_lossy()))?;
        Ok(child)
    }

    /// Starts the clock, and reads the server's CPU time.
    pub fn start_clock(&mut self) {
        self.start = Instant::now();
        self.cpu_before = self.server.cpu_time();
    }

    /// The deadline of this run: a wait that reaches it gives up.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The work is over: `done` of `count` pieces arrived, the last one at `end`. Reads the
    /// server's CPU time, waits for the client to end, and makes the sample.
    pub fn sample(
        &self,
        mut client: Child,
        done: u64,
        count: u64,
        end: Instant,
    ) -> anyhow::Result<Sample> {
        let cpu_after = self.server.cpu_time();
        // A client that fails says why on stderr; what it did not do counts as lost.
        let client_cpu = process::finish(&mut client, self.deadline)?;
        Ok(self.measured(done, count, end, cpu_after, client_cpu))
    }

    /// The work is over when the client ends: waits for it (the clock stops then), reads
    /// the server's CPU time, and makes the sample; `done()` tells how much of the work
    /// arrived.
    pub fn sample_at_exit(
        &self,
        mut client: Child,
        count: u64,
        done: impl FnOnce() -> u64,
    ) -> anyhow::Result<Sample> {
        let client_cpu = process::finish(&mut client, self.deadline)?;
        let end = Instant::now();
        let cpu_after = self.server.cpu_time();
        Ok(self.measured(done(), count, end, cpu_after, client_cpu))
    }

    /// The sample of `done` of `count` pieces, the last at `end`, from CPU times read then.
    pub fn measured(
        &self,
        done: u64,
        count: u64,
        end: Instant,
        server_cpu: Option<Duration>,
        client_cpu: Option<Duration>,
    ) -> Sample {
        Sample {
            rate: done as f64 / (end - self.start).as_secs_f64(),
            cpu_per_unit: process::per_unit(self.cpu_before, server_cpu, count),
            client_cpu_per_unit: process::per_unit(Some(Duration::ZERO), client_cpu, count),
            lost: count.saturating_sub(done),
            delay: None,
        }
    }
}
