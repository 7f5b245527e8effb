//! The book: build, serve, and check that it includes only code that exists.
//!
//! mdBook stays silent when `{{#include file:anchor}}` names an anchor that is not there (it
//! includes nothing) and only logs a missing file, so a renamed anchor would quietly empty a
//! chapter. [`check_includes`] makes that an error, and a test runs it on every `cargo test`.

use std::path::{Path, PathBuf};

use anyhow::bail;

use crate::tools;

/// The book's folder.
pub fn book_dir() -> PathBuf {
    tools::workspace_root().join("book")
}

pub fn build() -> anyhow::Result<()> {
    check_includes_cmd()?;
    tools::ensure(tools::MDBOOK)?;
    let status = tools::command("mdbook")
        .arg("build")
        .arg(book_dir())
        .status()?;
    if !status.success() {
        bail!("mdbook build failed");
    }
    Ok(())
}

pub fn serve(open: bool) -> anyhow::Result<()> {
    check_includes_cmd()?;
    tools::ensure(tools::MDBOOK)?;
    let mut command = tools::command("mdbook");
    command.arg("serve").arg(book_dir());
    if open {
        command.arg("--open");
    }
    let status = command.status()?;
    if !status.success() {
        bail!("mdbook serve failed");
    }
    Ok(())
}

pub fn check_includes_cmd() -> anyhow::Result<()> {
    let problems = check_includes(&book_dir().join("src"));
    if problems.is_empty() {
        println!("xtask: every {{{{#include}}}} in the book finds its code");
        return Ok(());
    }
    for problem in &problems {
        eprintln!("{problem}");
    }
    bail!("{} broken include(s) in the book", problems.len());
}

/// Every `{{#include ...}}` and `{{#rustdoc_include ...}}` under `src` whose file or anchor
/// is missing, as one line each: `chapter.md: what is wrong`.
pub fn check_includes(src: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for chapter in markdown_files(src) {
        let text = std::fs::read_to_string(&chapter).unwrap_or_default();
        let shown = chapter.strip_prefix(src).unwrap_or(&chapter).display();
        for link in includes(&text) {
            if let Err(problem) = check_one(&chapter, link) {
                problems.push(format!("book/src/{shown}: {{{{#{link}}}}}: {problem}"));
            }
        }
    }
    problems
}

/// The `include path:anchor` parts of every `{{#include ...}}` in `text`.
fn includes(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{#") {
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else { break };
        let link = after[..end].trim();
        if link.starts_with("include ") || link.starts_with("rustdoc_include ") {
            found.push(link);
        }
        rest = &after[end..];
    }
    found
}

fn check_one(chapter: &Path, link: &str) -> Result<(), String> {
    let target = link.split_whitespace().nth(1).ok_or("no file named")?;
    let (file, anchor) = match target.split_once(':') {
        Some((file, anchor)) => (file, Some(anchor)),
        None => (target, None),
    };
    let path = chapter.parent().unwrap_or(Path::new(".")).join(file);
    let code = std::fs::read_to_string(&path)
        .map_err(|_| format!("no file {file} (from the chapter's folder)"))?;
    let Some(anchor) = anchor else {
        return Ok(());
    };
    if anchor.chars().next().is_some_and(|c| c.is_ascii_digit()) || anchor.is_empty() {
        return Err("line numbers break silently when the code moves: use an anchor".into());
    }
    let has = |marker: &str| {
        code.lines().any(|line| {
            line.trim_start()
                .strip_prefix("//")
                .or_else(|| line.trim_start().strip_prefix('#'))
                .map(str::trim)
                .and_then(|comment| comment.strip_prefix(marker))
                .is_some_and(|name| name.trim() == anchor)
        })
    };
    match (has("ANCHOR:"), has("ANCHOR_END:")) {
        (true, true) => Ok(()),
        (false, _) => Err(format!("{file} has no `ANCHOR: {anchor}`")),
        (true, false) => Err(format!("{file} has no `ANCHOR_END: {anchor}`")),
    }
}

/// All `.md` files under `dir`, sorted.
fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The drift check: the real book includes only code that exists. Rename an anchor in a
    /// lesson, and this fails.
    #[test]
    fn every_include_in_the_book_finds_its_code() {
        let problems = check_includes(&book_dir().join("src"));
        assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    }

    #[test]
    fn the_check_catches_each_kind_of_drift() {
        let dir = std::env::temp_dir().join(format!("xtask-includes-{}", std::process::id()));
        let chapters = dir.join("src");
        std::fs::create_dir_all(&chapters).unwrap();
        std::fs::write(
            dir.join("code.rs"),
            "// ANCHOR: whole\nfn a() {}\n// ANCHOR_END: whole\n// ANCHOR: open\n",
        )
        .unwrap();
        let chapter = "{{#include ../code.rs:whole}}\n{{#include ../code.rs}}\n\
                       {{#include ../code.rs:renamed}}\n{{#include ../gone.rs:whole}}\n\
                       {{#rustdoc_include ../code.rs:open}}\n{{#include ../code.rs:2:3}}\n";
        std::fs::write(chapters.join("chapter.md"), chapter).unwrap();
        let problems = check_includes(&chapters);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems[0].contains("no `ANCHOR: renamed`"));
        assert!(problems[1].contains("no file ../gone.rs"));
        assert!(problems[2].contains("no `ANCHOR_END: open`"));
        assert!(problems[3].contains("use an anchor"));
    }
}
