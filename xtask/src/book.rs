//! The book: build, serve, and check it.
//!
//! mdBook stays silent when `{{#include file:anchor}}` names an anchor that is not there (it
//! includes nothing) and only logs a missing file, so a renamed anchor would quietly empty a
//! chapter. [`check_includes`] makes that an error, and a test runs it on every `cargo test`.
//!
//! mdBook also builds a book whose diagram has a syntax error (the reader sees an error
//! picture) or whose page breaks in the browser. [`check`] builds the book with its plugins
//! (mdbook-linkcheck2 fails the build on a broken link), then opens every chapter in headless
//! Chromium, the way a reader would, and fails on a JavaScript error, a diagram that did not
//! become a picture, or a chapter of `SUMMARY.md` that is missing from the built book.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};

use crate::translation::{self, TRANSLATIONS, Translation};
use crate::{testrun, tools};

/// The book's folder.
pub fn book_dir() -> PathBuf {
    tools::workspace_root().join("book")
}

/// Where mdBook writes the HTML. It is `book/book/html/`, not `book/book/`, because the book
/// has a second output (the link check).
pub fn html_dir() -> PathBuf {
    book_dir().join("book").join("html")
}

/// Builds the English book into [`html_dir`] and each translation into a folder of it
/// (`zh-CN/`), the way the site is published.
pub fn build() -> anyhow::Result<()> {
    build_all(&book_dir().join("book"), &[], Translations::IfPossible)?;
    let index = html_dir().join("index.html");
    println!("xtask: the book is in {}", index.display());
    for translation in &TRANSLATIONS {
        let code = translation.code;
        let index = html_dir().join(code).join("index.html");
        if index.is_file() {
            println!("xtask: the {code} edition is in {}", index.display());
        }
    }
    Ok(())
}

/// Whether a translation that cannot be built fails the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Translations {
    /// The book check: the Chinese book must build.
    Required,
    /// A reader's build: without the plugin (offline, say) the English book still comes.
    IfPossible,
}

/// Builds every language into `root` (English in `root/html/`, each translation in
/// `root/html/<code>/`), with settings of book.toml overridden by `env` (`MDBOOK_*`).
fn build_all(root: &Path, env: &[(&str, &str)], translations: Translations) -> anyhow::Result<()> {
    check_includes_cmd()?;
    mdbook_into(root, env)?;
    for translation in &TRANSLATIONS {
        match translation::build(translation, root, env) {
            Err(err) if translations == Translations::IfPossible => eprintln!(
                "xtask: the {} edition was not built ({err:#}); the English book is ready. \
                 `cargo xtask book tools` installs the translation plugin.",
                translation.code
            ),
            result => result?,
        }
    }
    Ok(())
}

/// Installs mdBook if it is missing, and runs `mdbook build book -d <dest>`, with settings of
/// book.toml overridden by `env` (mdBook reads `MDBOOK_*` variables as settings).
pub fn mdbook_into(dest: &Path, env: &[(&str, &str)]) -> anyhow::Result<()> {
    tools::ensure(tools::MDBOOK)?;
    let mut mdbook = tools::command("mdbook");
    mdbook.envs(env.iter().copied());
    let status = mdbook
        .arg("build")
        .arg(book_dir())
        .arg("--dest-dir")
        .arg(dest)
        .status()?;
    ensure!(status.success(), "mdbook build failed");
    Ok(())
}

/// Serves the book, both languages, at http://127.0.0.1:PORT/, and builds it again when a
/// chapter, a translation or a lesson's code changes. (`mdbook serve` serves one language.)
///
/// Each build goes to a fresh folder of its own (`book/book/serve-N/`), and the server
/// switches to it only when it is complete: a reader never sees a half-built book.
pub fn serve(open: bool, port: u16) -> anyhow::Result<()> {
    // The builds an earlier `serve` left.
    tools::remove_leftovers(&book_dir().join("book"), "serve-");
    let serving = Arc::new(Mutex::new(build_to_serve(0)?));
    let address = format!("127.0.0.1:{port}");
    let server = tiny_http::Server::http(&address).map_err(|err| {
        anyhow::anyhow!(
            "could not serve the book on {address}: {err}. Is another `book serve` running? \
             Try another port: `cargo xtask book serve --port 3001`."
        )
    })?;
    let url = format!("http://{address}/");
    println!("xtask: serving the book at {url} (中文版: {url}zh-CN/); Ctrl-C stops");
    if open {
        open_in_browser(&url);
    }
    let watched = Arc::clone(&serving);
    std::thread::spawn(move || rebuild_on_change(&watched));
    // Only this computer's own names: a web page elsewhere that renames its server to
    // 127.0.0.1 (DNS rebinding) gets nothing.
    for request in server.incoming_requests() {
        let host = request
            .headers()
            .iter()
            .find(|header| header.field.equiv("Host"))
            .map(|header| header.value.as_str());
        let response = if !is_this_computer(host, port) {
            tiny_http::Response::from_string("403: this server answers only 127.0.0.1")
                .with_status_code(403)
                .boxed()
        } else {
            let root = serving.lock().unwrap().join("html");
            respond_with_file(&root, request.url())
        };
        let _ = request.respond(response);
    }
    Ok(())
}

/// Whether a request's `Host` names this computer at `port` (127.0.0.1 or localhost).
fn is_this_computer(host: Option<&str>, port: u16) -> bool {
    let ours = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    host.is_some_and(|host| ours.iter().any(|ok| host == ok))
}

/// Builds both languages into `book/book/serve-<number>/` and returns that folder.
fn build_to_serve(number: u32) -> anyhow::Result<PathBuf> {
    let root = book_dir().join("book").join(format!("serve-{number}"));
    let _ = std::fs::remove_dir_all(&root);
    build_all(&root, &[], Translations::IfPossible)?;
    Ok(root)
}

type Response = tiny_http::ResponseBox;

/// The file `url` names under `root`: a folder's `index.html`, a redirect for a folder
/// named without its `/` (so that the page's links work), the book's `404.html` (with
/// status 404) for what is not there.
fn respond_with_file(root: &Path, url: &str) -> Response {
    let not_in_the_book = || {
        tiny_http::Response::from_string("404: not in the book")
            .with_status_code(404)
            .boxed()
    };
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let Some(file) = served_file(root, path) else {
        return not_in_the_book();
    };
    if file.is_dir() && !path.ends_with('/') {
        let location =
            tiny_http::Header::from_bytes("Location", format!("{path}/")).expect("a valid header");
        return tiny_http::Response::empty(301)
            .with_header(location)
            .boxed();
    }
    let file = if file.is_dir() {
        file.join("index.html")
    } else {
        file
    };
    // What is not there gets the 404 page of the language the address is in.
    let (file, status) = if file.is_file() {
        (file, 200)
    } else {
        let language = TRANSLATIONS
            .iter()
            .find(|t| path.starts_with(&format!("/{}/", t.code)));
        (
            root.join(language.map_or("", |t| t.code)).join("404.html"),
            404,
        )
    };
    let Ok(content) = std::fs::File::open(&file) else {
        return not_in_the_book();
    };
    let header =
        tiny_http::Header::from_bytes("Content-Type", content_type(&file)).expect("a valid header");
    tiny_http::Response::from_file(content)
        .with_header(header)
        .with_status_code(status)
        .boxed()
}

/// The path under `root` that the address `path` names, or `None` for one that could leave
/// it: only plain names between the `/`s (no `..`, no `C:` or `\` on Windows).
fn served_file(root: &Path, path: &str) -> Option<PathBuf> {
    let mut file = root.to_path_buf();
    for part in path.split('/').filter(|part| !part.is_empty()) {
        let plain = part != "." && part != ".." && !part.contains(['\\', ':']);
        if !plain {
            return None;
        }
        file.push(part);
    }
    Some(file)
}

fn content_type(file: &Path) -> &'static str {
    match file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" | "md" | "mmd" | "rs" | "py" | "toml" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Builds the book again whenever a file it is made of changes (looked at once a second),
/// and switches `serving` to the new build.
fn rebuild_on_change(serving: &Mutex<PathBuf>) {
    let root = tools::workspace_root();
    let watched = [
        "book/src",
        "book/po",
        "book/transcripts",
        "book/theme",
        "lessons",
        "common/src",
    ];
    let newest = || {
        let files = watched
            .iter()
            .flat_map(|dir| walkdir::WalkDir::new(root.join(dir)));
        let times = files
            .flatten()
            .filter_map(|f| f.metadata().ok()?.modified().ok());
        times.max()
    };
    let mut built = newest();
    for number in 1.. {
        std::thread::sleep(Duration::from_secs(1));
        let now = newest();
        if now == built {
            continue;
        }
        built = now;
        println!("xtask: a file changed; building the book again (reload the page to see it)");
        match build_to_serve(number) {
            Ok(fresh) => {
                let old = std::mem::replace(&mut *serving.lock().unwrap(), fresh);
                let _ = std::fs::remove_dir_all(old);
            }
            Err(err) => eprintln!("xtask: the book did not build: {err:#}"),
        }
    }
}

fn open_in_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        Command::new("open").arg(url).status()
    } else if cfg!(windows) {
        Command::new("cmd").args(["/C", "start", url]).status()
    } else {
        Command::new("xdg-open").arg(url).status()
    };
    if !opener.is_ok_and(|status| status.success()) {
        println!("xtask: open {url} in your browser");
    }
}

/// Installs mdBook and the book's plugins at their pinned versions (CI calls this).
pub fn install_tools() -> anyhow::Result<()> {
    std::iter::once(tools::MDBOOK)
        .chain(tools::BOOK_PLUGINS)
        .try_for_each(tools::ensure)
}

/// Everything a maintainer wants to know about the book before a push: every include finds
/// its code, the book builds with its plugins (no broken link), and every chapter works in a
/// real browser.
pub fn check() -> anyhow::Result<()> {
    let chromium = tools::chromium().context(
        "the book check needs Chromium, and it is not installed. On Debian or Ubuntu: \
         `sudo apt-get install chromium`; elsewhere set CHROMIUM=/path/to/chrome.",
    )?;
    install_tools()?;
    let started = Instant::now();
    // This build also loads book/overflow-probe.js, which reports listings, diagrams and
    // tables too wide for a laptop screen (mdBook reads MDBOOK_* as book.toml settings).
    // A reader's `mdbook build` or `book build` leaves the probe out.
    let probe =
        r#"["mermaid.min.js", "mermaid-init.js", "language-picker.js", "overflow-probe.js"]"#;
    let env = [("MDBOOK_OUTPUT__HTML__ADDITIONAL_JS", probe)];
    build_all(&book_dir().join("book"), &env, Translations::Required)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "xtask: mdbook build of every language with its plugins took {secs:.2} s (no broken links)"
    );
    // The terminal transcripts the chapters show: each script in book/transcripts/ runs
    // again, and a program that now prints something else fails the check.
    crate::cargo("test --package test-support --test transcripts")
        .context("the book's transcripts differ from a fresh run")?;
    // What the translations lack after English changes: listed, never a failure. And the
    // proof that the list sees an English change.
    translation::check_report()?;
    crate::cargo(
        "test --package xtask --bin xtask -- --ignored --exact \
         translation::tests::an_edited_chapter_shows_in_the_report_until_translated",
    )?;
    check_in_browser(&chromium, None)?;
    TRANSLATIONS
        .iter()
        .try_for_each(|translation| check_in_browser(&chromium, Some(translation)))
}

/// Opens every chapter of the built book in headless Chromium and fails on what a reader
/// would see broken.
/// `translation` is `None` for the English book, at the root of [`html_dir`].
pub fn check_in_browser(chromium: &Path, translation: Option<&Translation>) -> anyhow::Result<()> {
    let started = Instant::now();
    let summary = std::fs::read_to_string(book_dir().join("src").join("SUMMARY.md"))
        .context("could not read book/src/SUMMARY.md")?;
    let (chapters, drafts) = summary_chapters(&summary);
    let (code, root) = match translation {
        Some(translation) => (translation.code, html_dir().join(translation.code)),
        None => ("en", html_dir()),
    };
    // Problems name a page as it is on the site: `zh-CN/index.html`.
    let folder = translation.map_or(String::new(), |t| format!("{}/", t.code));
    let (pages, mut problems) = pages_to_load(&root, &chapters);
    let mut doms = Vec::new();
    for (page, seen) in pages.iter().zip(load_pages(chromium, &root, &pages)) {
        match seen {
            Ok((dom, console)) => {
                let mut found = page_problems(&dom, &console);
                found.extend(language_problems(page, &dom, code));
                let shown = format!("{}{page}", folder);
                problems.extend(found.iter().map(|problem| format!("{shown}: {problem}")));
                doms.push((page.clone(), dom));
            }
            Err(err) => problems.push(format!("{folder}{page}: {err:#}")),
        }
    }
    problems.extend(missing_from_sidebar(&doms, &chapters));
    problems.extend(broken_anchors(&doms));
    if let Some(translation) = translation {
        problems.extend(untranslated_start_page(&doms, translation)?);
    }
    if !drafts.is_empty() {
        let (count, titles) = (drafts.len(), drafts.join(", "));
        println!(
            "xtask: note: SUMMARY.md still has {count} draft chapter(s) without a page: {titles}"
        );
    }
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("book check: {problem}");
        }
        bail!("the book check found {} problem(s)", problems.len());
    }
    let diagrams: usize = doms
        .iter()
        .filter(|(page, _)| page != "print.html")
        .map(|(_, dom)| dom.matches(r#"<pre class="mermaid""#).count())
        .sum();
    println!(
        "xtask: the book ({code}) works in Chromium: {} pages, {} chapters, {diagrams} \
         diagrams drawn by mermaid {}, no JavaScript errors ({:.1} s)",
        pages.len(),
        chapters.len(),
        tools::MERMAID_JS,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The pages to load (the start page, the print page and every chapter's), and a problem
/// for each chapter missing from the built book.
fn pages_to_load(root: &Path, chapters: &[Chapter]) -> (Vec<String>, Vec<String>) {
    let mut pages = vec!["index.html".to_string(), "print.html".to_string()];
    let mut problems = Vec::new();
    for chapter in chapters {
        let page = chapter.html_path();
        if !root.join(&page).is_file() {
            problems.push(format!(
                "{}: the chapter \"{}\" is in SUMMARY.md but not in the built book (no {page})",
                chapter.path, chapter.title
            ));
        } else if !pages.contains(&page) {
            pages.push(page);
        }
    }
    (pages, problems)
}

/// What is wrong with a page's language: the `<html lang>` is not `code`, or the language
/// picker does not lead to the same page in the other language. `page` is the path under
/// its book's root (`intro/why-sockets.html`).
pub fn language_problems(page: &str, dom: &str, code: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if !dom.contains(&format!("<html lang=\"{code}\"")) {
        problems.push(format!("the page is not marked as {code} (<html lang>)"));
    }
    // On the site, English pages are at the root, and each translation in its folder.
    let (here, there) = match code {
        "en" => (page.to_string(), format!("{}/{page}", TRANSLATIONS[0].code)),
        code => (format!("{code}/{page}"), page.to_string()),
    };
    let picker = dom
        .split_once(r#"id="language-picker""#)
        .map(|(_, rest)| rest);
    let href = picker.and_then(|rest| {
        rest.split('>')
            .next()?
            .split_once(r#" href=""#)?
            .1
            .split('"')
            .next()
    });
    match href {
        None => problems.push("the language picker is missing".to_string()),
        Some(href) if resolve(&here, href) != there => {
            problems.push(format!(
                "the language picker leads to {href}, not to {there}"
            ));
        }
        Some(_) => {}
    }
    problems
}

/// A translated start page must show its translated heading: mdbook-gettext silently builds
/// English when it finds no PO file for the language.
fn untranslated_start_page(
    doms: &[(String, String)],
    translation: &Translation,
) -> anyhow::Result<Vec<String>> {
    let heading = translation::start_page_heading(translation)?;
    let start = doms.iter().find(|(page, _)| page == "index.html");
    Ok(match start {
        Some((_, dom)) if dom.contains(&heading) => Vec::new(),
        _ => vec![format!(
            "{}/index.html does not show {heading:?}: the build did not use book/po/{}.po",
            translation.code, translation.code
        )],
    })
}

/// The chapters that the sidebar of the start page does not link to.
fn missing_from_sidebar(doms: &[(String, String)], chapters: &[Chapter]) -> Vec<String> {
    let Some((_, index)) = doms.iter().find(|(page, _)| page == "index.html") else {
        return Vec::new();
    };
    chapters
        .iter()
        .filter(|chapter| !index.contains(&format!(r#"href="{}""#, chapter.html_path())))
        .map(|chapter| {
            let (title, path) = (&chapter.title, &chapter.path);
            format!("index.html: the sidebar has no link to \"{title}\" ({path})")
        })
        .collect()
}

/// A chapter of `SUMMARY.md` that has a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chapter {
    pub title: String,
    /// As written in `SUMMARY.md`, relative to `book/src/`, e.g. `intro/why-sockets.md`.
    pub path: String,
}

impl Chapter {
    /// The page mdBook makes of it: `x.md` becomes `x.html`, and `README.md` `index.html`.
    pub fn html_path(&self) -> String {
        let stem = self.path.strip_suffix(".md").unwrap_or(&self.path);
        match stem.strip_suffix("README") {
            Some(folder) => format!("{folder}index.html"),
            None => format!("{stem}.html"),
        }
    }
}

/// The chapters in `SUMMARY.md` with a file, and the titles of the drafts (`- [Title]()`).
pub fn summary_chapters(summary: &str) -> (Vec<Chapter>, Vec<String>) {
    let (mut chapters, mut drafts) = (Vec::new(), Vec::new());
    let link = |line: &str| {
        let link = line
            .trim_start()
            .strip_prefix("- ")
            .unwrap_or(line.trim_start());
        let (title, rest) = link.strip_prefix('[')?.split_once("](")?;
        Some((
            title.to_string(),
            rest.split_once(')')?.0.trim().to_string(),
        ))
    };
    for (title, path) in summary.lines().filter_map(link) {
        if path.is_empty() {
            drafts.push(title);
        } else {
            chapters.push(Chapter { title, path });
        }
    }
    (chapters, drafts)
}

/// The longest a page may take to load, with its diagrams. A page takes about a second.
const PAGE_DEADLINE: Duration = Duration::from_secs(60);

/// Headless, as root in a container, with nothing that dials out: the flags measured in the
/// project's notes. The console goes to stderr; the final page (`--dump-dom`) to stdout.
const CHROMIUM_FLAGS: &str = "--headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --enable-logging=stderr --v=0 --virtual-time-budget=10000 --window-size=1280,800";

/// Loads `pages` (paths under the HTML folder) in headless Chromium, a few at a time.
/// What Chromium saw on each page: the page after its scripts ran, and the console.
fn load_pages(
    chromium: &Path,
    root: &Path,
    pages: &[String],
) -> Vec<anyhow::Result<(String, String)>> {
    let work = std::env::temp_dir().join(format!("xtask-book-check-{}", std::process::id()));
    let workers = testrun::default_threads().min(4);
    // A browser profile per worker: Chromium takes seconds to make a new one.
    let profiles: Vec<PathBuf> = (0..workers).map(|n| work.join(n.to_string())).collect();
    let profiles = Mutex::new(profiles);
    let seen = testrun::in_parallel(pages.iter().collect(), workers, |page| {
        let profile = profiles.lock().unwrap().pop().expect("one for each worker");
        let seen = load_page(chromium, &root.join(page), &profile);
        profiles.lock().unwrap().push(profile);
        seen
    });
    let _ = std::fs::remove_dir_all(&work);
    seen
}

/// Loads one page and returns it as the browser left it after its scripts ran.
/// `profile` is the browser's profile folder, used by one page at a time.
fn load_page(chromium: &Path, page: &Path, profile: &Path) -> anyhow::Result<(String, String)> {
    std::fs::create_dir_all(profile)?;
    let dom_file = profile.join("page.html");
    let console_file = profile.join("page.log");
    let mut command = Command::new(chromium);
    // A group of its own: a page that hangs is stopped with Chromium's helper processes.
    let mut child = test_support::in_own_group(&mut command)
        .args(CHROMIUM_FLAGS.split_whitespace())
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&dom_file)?)
        .stderr(std::fs::File::create(&console_file)?)
        .spawn()
        .with_context(|| format!("could not start {}", chromium.display()))?;
    let status = testrun::wait_at_most(&mut child, PAGE_DEADLINE)?.with_context(|| {
        let secs = PAGE_DEADLINE.as_secs();
        format!("Chromium did not finish loading the page in {secs} s")
    })?;
    let dom = std::fs::read_to_string(&dom_file).unwrap_or_default();
    let console = std::fs::read_to_string(&console_file).unwrap_or_default();
    if !status.success() || dom.is_empty() {
        let last = console.lines().last().unwrap_or("no output");
        bail!("Chromium could not load the page ({status}): {last}");
    }
    Ok((dom, console))
}

/// Links between the book's pages whose `#part` names nothing on the target page (the link
/// check only checks that the page exists). `pages` are (path under the HTML folder, the page
/// after its scripts ran); links to pages that are not in `pages` are not checked.
pub fn broken_anchors(pages: &[(String, String)]) -> Vec<String> {
    let all_ids: Vec<(&str, Vec<&str>)> = pages
        .iter()
        .map(|(page, dom)| (page.as_str(), attributes(dom, "id")))
        .collect();
    let mut problems = Vec::new();
    for (page, dom) in pages.iter().filter(|(page, _)| page != "print.html") {
        for href in attributes(dom, "href") {
            let Some((path, anchor)) = href.split_once('#') else {
                continue;
            };
            if anchor.is_empty() || path.contains(':') || path.starts_with("//") {
                continue;
            }
            let target = if path.is_empty() {
                page.clone()
            } else {
                resolve(page, path)
            };
            let Some((_, target_ids)) = all_ids.iter().find(|(page, _)| *page == target) else {
                continue;
            };
            if !target_ids.contains(&anchor) {
                problems.push(format!(
                    "{page}: the link {href} points to a heading that {target} does not have"
                ));
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

/// The values of every `name="..."` attribute in `dom`.
fn attributes<'a>(dom: &'a str, name: &str) -> Vec<&'a str> {
    let start = format!(" {name}=\"");
    let values = dom.split(&start).skip(1);
    values
        .filter_map(|rest| Some(rest.split_once('"')?.0))
        .collect()
}

/// `path` (relative, as in a link) seen from the page `from`, e.g. `intro/a.html` and
/// `../b.html` give `b.html`.
fn resolve(from: &str, path: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop(); // the page itself
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// What a reader would find broken on one page: a JavaScript error, a diagram that is an
/// error picture or no picture at all, or no heading (an empty chapter).
pub fn page_problems(dom: &str, console: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for line in console.lines().filter(|line| line.contains(":CONSOLE")) {
        // [pid:tid:time:INFO:CONSOLE:line] "message", source: file:///... (line)
        let message = line.split_once("] ").map_or(line, |(_, message)| message);
        if message.starts_with("\"Uncaught") || message.starts_with("\"mermaid:") {
            problems.push(format!("JavaScript error: {message}"));
        }
    }
    for (number, diagram) in dom.split(r#"<pre class="mermaid""#).skip(1).enumerate() {
        let which = format!("diagram {} (counting from the top of the page)", number + 1);
        let diagram = diagram.split("</pre>").next().unwrap_or(diagram);
        if !diagram.contains("<svg") {
            problems.push(format!("{which} was not drawn"));
        } else if diagram.contains(r#"aria-roledescription="error""#) {
            problems.push(format!(
                "{which} is an error picture: its mermaid text has a mistake"
            ));
        }
    }
    if dom.contains(r#"class="language-mermaid""#) {
        problems.push("a ```mermaid block stayed text: did mermaid-init.js run?".to_string());
    }
    // What book/overflow-probe.js found too wide at 1280 px, one line each.
    let overflow = dom
        .split_once(r#"<pre id="overflow-report">"#)
        .map(|(_, rest)| rest);
    let overflow = overflow
        .and_then(|rest| rest.split_once("</pre>"))
        .map(|(found, _)| found);
    for found in overflow
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
    {
        problems.push(format!("at 1280 px, {found}"));
    }
    let main = dom.split_once("<main>").map_or("", |(_, main)| main);
    if !main.contains("<h1") {
        problems.push("the page has no heading: is the chapter empty?".to_string());
    }
    problems
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
    for chapter in tools::files_under(src, "md") {
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
    let links = text.split("{{#").skip(1);
    let links = links.filter_map(|rest| Some(rest.split_once("}}")?.0.trim()));
    links
        .filter(|link| link.starts_with("include ") || link.starts_with("rustdoc_include "))
        .collect()
}

/// The name of an mdBook anchor line of `kind` (`ANCHOR:` or `ANCHOR_END:`): `// ANCHOR: name`
/// in Rust, `# ANCHOR: name` in a script.
pub fn anchor_name<'a>(line: &'a str, kind: &str) -> Option<&'a str> {
    let line = line.trim();
    let comment = line.strip_prefix("//").or(line.strip_prefix('#'))?;
    comment.trim().strip_prefix(kind).map(str::trim)
}

fn check_one(chapter: &Path, link: &str) -> Result<(), String> {
    let target = link.split_whitespace().nth(1).ok_or("no file named")?;
    let (file, anchor) = target
        .split_once(':')
        .map_or((target, None), |(file, anchor)| (file, Some(anchor)));
    let path = chapter.parent().unwrap_or(Path::new(".")).join(file);
    let code = std::fs::read_to_string(&path)
        .map_err(|_| format!("no file {file} (from the chapter's folder)"))?;
    let Some(anchor) = anchor else {
        return Ok(());
    };
    if anchor.chars().next().is_some_and(|c| c.is_ascii_digit()) || anchor.is_empty() {
        return Err("line numbers break silently when the code moves: use an anchor".into());
    }
    let has = |kind| {
        code.lines()
            .any(|line| anchor_name(line, kind) == Some(anchor))
    };
    match (has("ANCHOR:"), has("ANCHOR_END:")) {
        (true, true) => Ok(()),
        (false, _) => Err(format!("{file} has no `ANCHOR: {anchor}`")),
        (true, false) => Err(format!("{file} has no `ANCHOR_END: {anchor}`")),
    }
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

    #[test]
    fn summary_lines_become_chapters_and_drafts() {
        let summary = "# Summary\n\n[Welcome](README.md)\n\n# Part\n\n- [One](intro/one.md)\n  \
                       - [Deeper](intro/deeper/README.md)\n- [Later]()\n---\n- [Two]( two.md )\n";
        let (chapters, drafts) = summary_chapters(summary);
        let pages: Vec<String> = chapters.iter().map(Chapter::html_path).collect();
        assert_eq!(
            pages,
            [
                "index.html",
                "intro/one.html",
                "intro/deeper/index.html",
                "two.html"
            ]
        );
        assert_eq!(chapters[1].title, "One");
        assert_eq!(drafts, ["Later"]);
    }

    /// The real book: every chapter of SUMMARY.md has its file (mdBook would fail too, as
    /// `create-missing = false`, but this says which).
    #[test]
    fn every_chapter_in_the_summary_has_its_file() {
        let src = book_dir().join("src");
        let summary = std::fs::read_to_string(src.join("SUMMARY.md")).unwrap();
        let (chapters, _) = summary_chapters(&summary);
        assert!(chapters.len() > 1, "{chapters:?}");
        for chapter in chapters {
            assert!(src.join(&chapter.path).is_file(), "{chapter:?}");
        }
    }

    const GOOD_PAGE: &str = r#"<html><body><main><h1 id="a">A</h1>
<pre class="mermaid" data-processed="true"><svg aria-roledescription="sequence" id="m1"><g></g></svg></pre>
<pre class="mermaid" data-processed="true"><svg aria-roledescription="flowchart-v2"></svg></pre>
</main></body></html>"#;

    #[test]
    fn a_good_page_has_no_problems() {
        let console = "[1:1:1126/063202.896551:INFO:CONSOLE:6] \"Could not find the language \
                       'mermaid'\", source: file:///book/highlight.js (6)\n";
        assert_eq!(page_problems(GOOD_PAGE, console), Vec::<String>::new());
    }

    #[test]
    fn the_browser_check_sees_each_kind_of_breakage() {
        let error_picture = GOOD_PAGE.replace(
            r#"aria-roledescription="flowchart-v2""#,
            r#"aria-roledescription="error""#,
        );
        let problems = page_problems(&error_picture, "");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("diagram 2") && problems[0].contains("error picture"));

        let not_drawn = GOOD_PAGE.replace(
            r#"<svg aria-roledescription="sequence" id="m1"><g></g></svg>"#,
            "sequenceDiagram",
        );
        let problems = page_problems(&not_drawn, "");
        assert!(problems[0].contains("diagram 1") && problems[0].contains("not drawn"));

        let left_as_text = GOOD_PAGE.replace(
            "</main>",
            r#"<pre><code class="language-mermaid">sequenceDiagram</code></pre></main>"#,
        );
        assert!(page_problems(&left_as_text, "")[0].contains("stayed text"));

        let console = "[9:9:1126/063203.773051:INFO:CONSOLE:178] \"Uncaught ReferenceError: \
                       x is not defined\", source: file:///book/b.html (178)\n";
        let problems = page_problems(GOOD_PAGE, console);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("JavaScript error: \"Uncaught ReferenceError"));

        let empty = "<html><body><main></main></body></html>";
        assert!(page_problems(empty, "")[0].contains("no heading"));

        let too_wide = GOOD_PAGE.replace(
            "</body>",
            "<pre id=\"overflow-report\">a listing is 24 px too wide: fn main() {</pre></body>",
        );
        let problems = page_problems(&too_wide, "");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems[0],
            "at 1280 px, a listing is 24 px too wide: fn main() {"
        );
        let nothing = GOOD_PAGE.replace("</body>", "<pre id=\"overflow-report\"></pre></body>");
        assert!(page_problems(&nothing, "").is_empty());
    }

    #[test]
    fn links_to_a_missing_heading_are_found() {
        let pages = vec![
            (
                "intro/a.html".to_string(),
                r##"<main><h1 id="a">A</h1><a href="../b.html#here">ok</a>
                <a href="../b.html#gone">broken</a><a href="#a">self</a><a href="#nope">self</a>
                <a href="https://example.org/#x">web</a><a href="../c.html#x">other</a></main>"##
                    .to_string(),
            ),
            (
                "b.html".to_string(),
                r#"<main><h2 id="here">Here</h2></main>"#.to_string(),
            ),
        ];
        let problems = broken_anchors(&pages);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("the link ../b.html#gone"))
        );
        assert!(problems.iter().any(|p| p.contains("the link #nope")));
        assert_eq!(resolve("intro/a.html", "../b.html"), "b.html");
        assert_eq!(resolve("index.html", "intro/a.html"), "intro/a.html");
    }

    /// Code listings and transcripts are not translated (they are what the programs are
    /// and print): each has `<!-- i18n:skip -->` on the line before it, or mdbook-xgettext
    /// would offer every comment and string of the code to the translators.
    #[test]
    fn every_listing_is_skipped_by_the_translation() {
        let src = book_dir().join("src");
        let mut unmarked = Vec::new();
        for file in tools::files_under(&src, "md") {
            let text = std::fs::read_to_string(&file).unwrap();
            let mut previous = "";
            let mut in_listing = false;
            for (number, line) in text.lines().enumerate() {
                let fence = line.trim_start().starts_with("```");
                if fence && !in_listing {
                    let diagram = line.trim_start().starts_with("```mermaid");
                    if !diagram && previous.trim() != "<!-- i18n:skip -->" {
                        let shown = file.strip_prefix(&src).unwrap().display();
                        unmarked.push(format!("book/src/{shown}:{}", number + 1));
                    }
                }
                in_listing ^= fence;
                previous = line;
            }
        }
        assert!(
            unmarked.is_empty(),
            "put <!-- i18n:skip --> on the line before these listings:\n{}",
            unmarked.join("\n")
        );
    }

    #[test]
    fn the_language_picker_must_lead_to_the_same_page() {
        let page = |lang: &str, href: &str| {
            format!(
                r#"<html lang="{lang}"><body><div class="right-buttons"><a id="language-picker" class="language-picker" href="{href}">x</a></div></body></html>"#
            )
        };
        assert_eq!(
            language_problems(
                "lessons/a.html",
                &page("en", "../zh-CN/lessons/a.html"),
                "en"
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            language_problems("index.html", &page("zh-CN", "../index.html"), "zh-CN"),
            Vec::<String>::new()
        );
        let wrong = language_problems("lessons/a.html", &page("en", "../zh-CN/index.html"), "en");
        assert!(
            wrong[0].contains("not to zh-CN/lessons/a.html"),
            "{wrong:?}"
        );
        let english = language_problems("index.html", &page("en", "../index.html"), "zh-CN");
        assert!(english[0].contains("not marked as zh-CN"), "{english:?}");
        let none = language_problems(
            "index.html",
            r#"<html lang="en"><body></body></html>"#,
            "en",
        );
        assert_eq!(none, ["the language picker is missing"]);
    }

    #[test]
    fn the_served_book_stays_in_its_folder() {
        let root = Path::new("/book");
        let served = served_file(root, "/zh-CN/print.html");
        assert_eq!(served, Some(root.join("zh-CN/print.html")));
        assert_eq!(served_file(root, "/"), Some(root.to_path_buf()));
        assert_eq!(served_file(root, "/../../etc/passwd"), None);
        assert_eq!(served_file(root, "/a/../../x"), None);
        assert_eq!(served_file(root, "/C:/Users/x/.ssh/id_rsa"), None);
        assert_eq!(served_file(root, r"/a\..\..\x"), None);
    }

    #[test]
    fn the_server_answers_only_this_computer() {
        assert!(is_this_computer(Some("127.0.0.1:3000"), 3000));
        assert!(is_this_computer(Some("localhost:3000"), 3000));
        assert!(!is_this_computer(Some("evil.example:3000"), 3000));
        assert!(!is_this_computer(Some("127.0.0.1:3001"), 3000));
        assert!(!is_this_computer(None, 3000));
    }

    /// What `book serve` answers: a page, a folder's index, a redirect for a folder named
    /// without its `/`, the language's own 404 page, and nothing outside the book.
    #[test]
    fn the_server_answers_pages_folders_and_missing_pages() {
        let root = tempfile::tempdir().unwrap();
        let zh = root.path().join("zh-CN");
        std::fs::create_dir_all(&zh).unwrap();
        for (file, text) in [
            (root.path().join("index.html"), "en"),
            (root.path().join("404.html"), "en 404"),
            (zh.join("index.html"), "zh"),
            (zh.join("404.html"), "zh 404"),
        ] {
            std::fs::write(file, text).unwrap();
        }
        let status = |url: &str| respond_with_file(root.path(), url).status_code().0;
        assert_eq!(status("/"), 200);
        assert_eq!(status("/index.html?x=1"), 200);
        assert_eq!(status("/zh-CN/"), 200);
        assert_eq!(status("/zh-CN"), 301);
        assert_eq!(status("/zh-CN/gone.html"), 404);
        assert_eq!(status("/gone.html"), 404);
        assert_eq!(status("/../index.html"), 404);
    }

    /// `book/mermaid.min.js` is the mermaid release that tools.rs says it is.
    #[test]
    fn the_committed_mermaid_is_the_pinned_one() {
        let js = std::fs::read_to_string(book_dir().join("mermaid.min.js")).unwrap();
        let pinned = format!(r#"version:"{}""#, tools::MERMAID_JS);
        assert!(
            js.contains(&pinned),
            "book/mermaid.min.js is not mermaid {}",
            tools::MERMAID_JS
        );
    }

    /// Every diagram in book/src/diagrams/ is shown in some chapter.
    #[test]
    fn every_diagram_file_is_in_a_chapter() {
        let src = book_dir().join("src");
        let chapters: String = tools::files_under(&src, "md")
            .iter()
            .map(|file| std::fs::read_to_string(file).unwrap())
            .collect();
        for entry in std::fs::read_dir(src.join("diagrams")).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                chapters.contains(&format!("diagrams/{name}}}}}")),
                "book/src/diagrams/{name} is in no chapter"
            );
        }
    }

    /// Every diagram can be translated later: mdbook-i18n-helpers offers a ```mermaid block
    /// for translation only when it contains `"` (or `//`), so each diagram quotes its labels.
    #[test]
    fn every_diagram_quotes_its_labels() {
        let src = book_dir().join("src");
        let mut diagrams = Vec::new();
        for file in tools::files_under(&src, "md") {
            let text = std::fs::read_to_string(&file).unwrap();
            for block in text.split("```mermaid").skip(1) {
                let block = block.split("```").next().unwrap_or_default();
                if !block.contains("{{#include") {
                    diagrams.push((file.display().to_string(), block.to_string()));
                }
            }
        }
        if let Ok(entries) = std::fs::read_dir(src.join("diagrams")) {
            for entry in entries.flatten() {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                diagrams.push((entry.path().display().to_string(), text));
            }
        }
        for (file, diagram) in diagrams {
            assert!(
                diagram.contains('"'),
                "{file}: a diagram without a quoted label"
            );
        }
    }
}
