//! Lesson 05's row: MB/s for one file sent over loopback in SBPF/1. The lesson's client
//! sends to the lesson's server; then each of them works with a Python peer from
//! `lessons/05-send-file/python/`; and the floor is SHA-256 alone over the same bytes, in
//! the bench itself (the sha2 crate, as the lesson's programs use it). Both sides of a
//! transfer hash every byte, so no transfer can be faster than the hashing.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest, Sha256};
use tempfile::TempDir;

use super::process;
use super::programs::{Programs, with_args};
use super::run::Run;
use super::{Contender, Goal, Row, Sample, Size};

const PACKAGE: &str = "lesson-05-send-file";
const RUST: &str = "Rust client -> Rust server";
const PYTHON_SENDER: &str = "Python sender -> Rust server";
const PYTHON_RECEIVER: &str = "Rust client -> Python receiver";
const HASHING: &str = "SHA-256 alone (sha2)";
/// A megabyte as the lesson's client counts them: a million bytes.
const MB: u64 = 1_000_000;
/// The name the file is sent and saved under.
const NAME: &str = "sample.bin";

/// The row: the three transfers and the hashing alone.
pub fn transfer(programs: &Programs, size: Size) -> anyhow::Result<Row> {
    let megabytes = match size {
        Size::Full => 256,
        Size::Quick => 8,
    };
    let work = Arc::new(Work::new(megabytes)?);
    // Both receivers take the folder to save in as their last argument (added per run).
    let rust_server = with_args(
        &programs.lesson(PACKAGE, "server")?,
        &["--addr", "127.0.0.1:0", "--dir"],
    );
    let mut python_receiver = programs.peer("05-send-file", "recv_file.py");
    python_receiver.push("0".into());
    let rust_client = Sender::Rust(with_args(&programs.lesson(PACKAGE, "client")?, &[]));
    let python_sender = Sender::Python(programs.peer("05-send-file", "send_file.py"));
    let transfer = |name, receiver: &Vec<OsString>, sender: &Sender| {
        let (receiver, sender, work) = (receiver.clone(), sender.clone(), Arc::clone(&work));
        Contender {
            name,
            run: Box::new(move || one_run(&receiver, &sender, &work)),
        }
    };
    let hashing = Arc::clone(&work);
    let at_least = |versus, times| Goal::RateAtLeast { versus, times };
    Ok(Row {
        title: format!(
            "lesson 05: one file of {megabytes} MB (a million bytes each) over loopback, \
             the files in {}",
            scratch().display()
        ),
        unit: "MB",
        units: "MB",
        contenders: vec![
            transfer(RUST, &rust_server, &rust_client),
            transfer(PYTHON_SENDER, &rust_server, &python_sender),
            transfer(PYTHON_RECEIVER, &python_receiver, &rust_client),
            Contender {
                name: HASHING,
                run: Box::new(move || hash_alone(&hashing)),
            },
        ],
        // "Within 1.5x of hashing alone": taking at most 1.5 times as long.
        goals: vec![
            at_least(HASHING, 1.0 / 1.5),
            at_least(PYTHON_SENDER, 1.0),
            at_least(PYTHON_RECEIVER, 1.0),
        ],
    })
}

/// Where the files go: in memory (`/dev/shm`) where Linux has it, so that the disk does
/// not count.
fn scratch() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.into()
    } else {
        std::env::temp_dir()
    }
}

/// The file every run sends, in a folder of its own in [`scratch`], removed with the folder
/// when the bench ends.
struct Work {
    folder: TempDir,
    file: PathBuf,
    megabytes: u64,
}

impl Work {
    fn new(megabytes: u64) -> anyhow::Result<Work> {
        let folder = tempfile::Builder::new()
            .prefix("xtask-bench-")
            .tempdir_in(scratch())?;
        let file = folder.path().join(NAME);
        let mut out = BufWriter::new(File::create(&file)?);
        let piece: Vec<u8> = (0..MB).map(|i| (i * 31 % 251) as u8).collect();
        for _ in 0..megabytes {
            out.write_all(&piece)?;
        }
        out.flush()?;
        Ok(Work {
            folder,
            file,
            megabytes,
        })
    }
}

/// Who sends: the lesson's client (`FILE --addr HOST:PORT`) or the Python peer
/// (`FILE PORT`).
#[derive(Clone)]
enum Sender {
    Rust(Vec<OsString>),
    Python(Vec<OsString>),
}

impl Sender {
    fn command(&self, file: &Path, addr: SocketAddr) -> Vec<OsString> {
        let (mut command, args) = match self {
            Sender::Rust(client) => (client.clone(), vec!["--addr".into(), addr.to_string()]),
            Sender::Python(sender) => (sender.clone(), vec![addr.port().to_string()]),
        };
        command.push(file.into());
        command.extend(args.into_iter().map(OsString::from));
        command
    }
}

/// One run: start the receiver with a new, empty folder, start the sender with the clock
/// running, and stop the clock when the sender has ended (it ends after the receiver's
/// `OK`). The file is complete only if the receiver saved all of it: both receivers give it
/// its name only after its SHA-256 matched, so a short or broken transfer leaves no file.
fn one_run(receiver: &[OsString], sender: &Sender, work: &Work) -> anyhow::Result<Sample> {
    let saved_in = tempfile::tempdir_in(work.folder.path())?;
    let mut command = receiver.to_vec();
    command.push(saved_in.path().into());
    let mut run = Run::server(&command, "", "")?;
    let sender = sender.command(&work.file, run.server.addr);
    let client = run.start_client(&sender, Stdio::null(), Stdio::null())?;
    run.sample_at_exit(client, work.megabytes, || {
        let saved = std::fs::metadata(saved_in.path().join(NAME)).map_or(0, |file| file.len());
        saved / MB
    })
}

/// The floor: SHA-256 over the same bytes, 64 KiB at a time as the lesson's programs hash
/// them, with no network and no files (the bytes are read into memory before the clock
/// starts). Its CPU time is the hashing thread's, shown in the server's column.
fn hash_alone(work: &Work) -> anyhow::Result<Sample> {
    let bytes = std::fs::read(&work.file)?;
    let cpu_before = process::this_thread_cpu_time();
    let start = Instant::now();
    let mut hasher = Sha256::new();
    for chunk in bytes.chunks(64 * 1024) {
        hasher.update(chunk);
    }
    std::hint::black_box(hasher.finalize());
    let seconds = start.elapsed().as_secs_f64();
    let cpu_after = process::this_thread_cpu_time();
    Ok(Sample {
        rate: bytes.len() as f64 / MB as f64 / seconds,
        cpu_per_unit: process::per_unit(cpu_before, cpu_after, work.megabytes),
        client_cpu_per_unit: None,
        lost: 0,
        delay: None,
    })
}
