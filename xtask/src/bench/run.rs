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
        self.start = Instant::now();
        self.cpu_before = self.server.cpu_time();
        let (program, first_args) = client.split_first().context("an empty command")?;
        let child = Command::new(program)
            .args(first_args)
            .args(["--addr", &self.server.addr.to_string()])
            .args(args)
            .stdin(stdin)
            .stdout(stdout)
            .spawn()?;
        Ok(child)
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
        Ok(Sample {
            rate: done as f64 / (end - self.start).as_secs_f64(),
            cpu_per_unit: process::per_unit(self.cpu_before, cpu_after, count),
            client_cpu_per_unit: process::per_unit(Some(Duration::ZERO), client_cpu, count),
            lost: count.saturating_sub(done),
        })
    }
}
