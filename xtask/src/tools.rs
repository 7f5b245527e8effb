//! The external tools the project uses, their pinned versions (the one place they are
//! pinned), and how to get them.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, ensure};

/// A tool installed with `cargo install --locked <crate> --version <version>`.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    pub krate: &'static str,
    pub version: &'static str,
    /// What installing it costs on a laptop, said before the first install.
    pub note: &'static str,
}

/// mdBook itself. Everything that reads the book needs it.
pub const MDBOOK: Tool = Tool {
    krate: "mdbook",
    version: "0.5.4",
    note: "the first time takes a few minutes",
};

/// The book's diagrams: turns ```mermaid blocks into pictures. 0.17 is the release for
/// mdBook 0.5 (0.16 is for mdBook 0.4 and fails with exit 101). Its `mdbook-mermaid install`
/// wrote `book/mermaid.min.js` ([`MERMAID_JS`]), which the book commits, so readers without
/// the plugin still get the pictures. Optional in `book/book.toml`.
pub const MDBOOK_MERMAID: Tool = Tool {
    krate: "mdbook-mermaid",
    version: "0.17.1",
    note: "about a minute",
};

/// The book's link check: fails the build on a link to a chapter or file that does not exist.
/// 0.13 is the release for mdBook 0.5 (the old `mdbook-linkcheck` 0.7 is for mdBook 0.4).
/// Optional in `book/book.toml`.
pub const MDBOOK_LINKCHECK: Tool = Tool {
    krate: "mdbook-linkcheck2",
    version: "0.13.0",
    note: "about three minutes",
};

/// The translations (the Chinese edition): mdbook-xgettext extracts the English messages,
/// mdbook-gettext puts the translated ones in their place. Pinned with mdBook 0.5.4, as in
/// the project's notes (the traps found there are handled in xtask/src/translation.rs).
/// Optional in `book/book.toml`: without it, the English book still builds.
pub const MDBOOK_I18N: Tool = Tool {
    krate: "mdbook-i18n-helpers",
    version: "0.4.0",
    note: "about three minutes",
};

/// The plugins `cargo xtask book check` (and so CI) needs. Readers need none of them.
pub const BOOK_PLUGINS: [Tool; 3] = [MDBOOK_MERMAID, MDBOOK_LINKCHECK, MDBOOK_I18N];

/// The mermaid release in `book/mermaid.min.js` (the one mdbook-mermaid 0.17.1 ships). To
/// update: install the new plugin, run `mdbook-mermaid install` in an empty folder (it
/// rewrites the `book.toml` it finds), copy its `mermaid.min.js` into `book/`, and change
/// this line. A test checks that the file and this line agree.
pub const MERMAID_JS: &str = "11.6.0";

/// The browsers `cargo xtask book check` can drive, in the order it looks for them. On
/// Debian and Ubuntu: `apt-get install chromium`. `CHROMIUM=/path/to/chrome` picks another.
const CHROMIUM_NAMES: &str = "chromium chromium-browser google-chrome google-chrome-stable";

/// The headless browser for the book check, if one is installed.
pub fn chromium() -> Option<PathBuf> {
    let installed = || CHROMIUM_NAMES.split_whitespace().find(|name| on_path(name));
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| installed().map(PathBuf::from))
}

/// The workspace root (the folder above `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// `PATH` with cargo's bin folder (`$CARGO_HOME/bin`, by default `~/.cargo/bin`) in front,
/// so that mdBook finds its plugins.
fn path_with_cargo_bin() -> std::ffi::OsString {
    let home = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo"));
    let cargo_home = std::env::var_os("CARGO_HOME").map(PathBuf::from).or(home);
    let path = std::env::var_os("PATH").unwrap_or_default();
    let bin = cargo_home.map(|dir| dir.join("bin"));
    std::env::join_paths(bin.into_iter().chain(std::env::split_paths(&path))).unwrap_or_default()
}

/// What `program --version` prints, if it runs (on `PATH` or in cargo's bin folder).
fn version_of(program: &str) -> Option<String> {
    let out = command(program).arg("--version").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// True when `program` runs (it is on `PATH` or in cargo's bin folder).
pub fn on_path(program: &str) -> bool {
    version_of(program).is_some()
}

/// Makes sure `tool` is installed at its pinned version; installs it when it is not.
pub fn ensure(tool: Tool) -> anyhow::Result<()> {
    let (krate, version, note) = (tool.krate, tool.version, tool.note);
    if version_of(krate).is_some_and(|found| found.contains(version))
        || installed_by_cargo(krate, version)
    {
        return Ok(());
    }
    println!("xtask: installing {krate} {version} with cargo install ({note})");
    let status = cargo()
        .args(["install", "--locked", krate, "--version", version])
        .status()
        .with_context(|| format!("could not run cargo install {krate}"))?;
    ensure!(status.success(), "installing {krate} {version} failed");
    Ok(())
}

/// True when `cargo install --list` lists `krate` at `version` (for a crate like
/// mdbook-i18n-helpers, whose programs have other names and no `--version`).
fn installed_by_cargo(krate: &str, version: &str) -> bool {
    let Ok(out) = cargo().args(["install", "--list"]).output() else {
        return false;
    };
    let listed = format!("{krate} v{version}:");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|line| line == listed)
}

/// A command for an installed tool, with cargo's bin folder on its `PATH`.
pub fn command(program: &str) -> Command {
    let mut command = Command::new(program);
    command.env("PATH", path_with_cargo_bin());
    command
}

/// A command for the cargo that runs xtask (`$CARGO`), or the one on `PATH`.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Removes the folders in `dir` whose names start with `prefix`: what a run that was
/// stopped left behind.
pub fn remove_leftovers(dir: &Path, prefix: &str) {
    for old in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if old.file_name().to_string_lossy().starts_with(prefix) {
            let _ = std::fs::remove_dir_all(old.path());
        }
    }
}

/// All files under `dir` (in every folder below it) whose name ends in `.ext`, sorted.
pub fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let walk = walkdir::WalkDir::new(dir).sort_by_file_name().into_iter();
    let paths = walk.flatten().map(walkdir::DirEntry::into_path);
    paths
        .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == ext))
        .collect()
}
