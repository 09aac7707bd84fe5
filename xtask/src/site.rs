//! Builds the static site in `dist/` and measures it.
//!
//! `dist/` holds `index.html`, everything in `www/`, and `pkg/` (the wasm module and its JS glue
//! from wasm-pack `--target web`). Every URL in it is relative, so it works from any static
//! host and under any sub-path (GitHub Pages serves a project at `/<repo>/`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::proc::{self, run};
use crate::toolchain;

/// The size budget: gzip -9 of every file in dist/ the page loads at start, together. Students
/// open the page on school networks; one megabyte is about a second on a slow one.
pub const GZIP_BUDGET_BYTES: u64 = 1_000_000;

/// The Cargo features the shipped page is built with, after `--no-default-features`: `lessons`
/// since the page was made small enough for it; the default `image-chapter` is left out while it
/// does not fit the size budget (docs/build.md). Adding one here ships it (and its end-to-end
/// check runs).
pub const SHIPPED_FEATURES: &[&str] = &["lessons"];

/// Whether the shipped page has the lesson picker (Cargo feature `lessons`).
pub fn ships_lessons() -> bool {
    SHIPPED_FEATURES.contains(&"lessons")
}

/// Files in dist/ the page fetches only when a student asks (`kubectl explain`'s docs): shipped,
/// reported on their own, and not counted in the budget.
pub const ON_DEMAND: &[&str] = &["explain.txt"];

/// Folders of dist/ fetched only on demand: the built-in lessons (`lessons/`), fetched when a
/// student opens the lesson picker.
pub const ON_DEMAND_DIRS: &[&str] = &["lessons/"];

/// Is this file of dist/ (a path relative to it) fetched only on demand?
pub fn is_on_demand(name: &str) -> bool {
    let name = name.replace('\\', "/");
    ON_DEMAND.contains(&name.as_str()) || ON_DEMAND_DIRS.iter().any(|d| name.starts_with(d))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Profile {
    /// Unoptimised, with debug info: the fastest rebuild.
    Dev,
    /// The release profile of Cargo.toml (tuned for size) and wasm-opt.
    Release,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WasmOpt {
    On,
    /// For measuring what wasm-opt saves.
    Off,
}

pub fn dist_dir() -> PathBuf {
    crate::root().join("dist")
}

/// wasm features that rustc enables by default for wasm32-unknown-unknown today; wasm-opt
/// must be told, or it refuses the module.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

pub fn build(profile: Profile, opt: WasmOpt) -> Result<PathBuf, String> {
    build_with(profile, opt, &[])
}

/// [`build`] with Cargo features beside [`SHIPPED_FEATURES`] (the page benchmark's
/// `page-marks`): not the shipped page.
pub fn build_with(profile: Profile, opt: WasmOpt, extra: &[&str]) -> Result<PathBuf, String> {
    let root = crate::root();
    let pkg = root.join("target/wasm-pkg");
    let mut wasm_pack = proc::wasm_pack();
    wasm_pack
        .args(["build", "--target", "web", "--no-typescript", "--no-pack"])
        // We run wasm-opt ourselves: wasm-pack would try to download its own copy.
        .arg("--no-opt")
        .arg("--out-name")
        .arg("kube_sandbox")
        .arg("--out-dir")
        .arg(&pkg)
        .arg(match profile {
            Profile::Dev => "--dev",
            Profile::Release => "--release",
        })
        .arg(&root)
        // Cargo's own arguments: the page with only SHIPPED_FEATURES of the default ones.
        .args(["--", "--no-default-features"]);
    let features: Vec<&str> = SHIPPED_FEATURES.iter().chain(extra).copied().collect();
    if !features.is_empty() {
        wasm_pack.arg("--features").arg(features.join(","));
    }
    if profile == Profile::Release {
        // The pinned nightly, in its own target dir so that it never invalidates stable's.
        for var in ["CARGO", "RUSTC", "RUSTDOC"] {
            wasm_pack.env_remove(var);
        }
        wasm_pack
            .env("RUSTUP_TOOLCHAIN", toolchain::SHIPPED_TOOLCHAIN)
            .env("RUSTFLAGS", toolchain::SHIPPED_RUSTFLAGS)
            .env("CARGO_TARGET_DIR", root.join("target/shipped"))
            .args(toolchain::SHIPPED_CARGO_ARGS);
    }
    run(&mut wasm_pack)?;

    let wasm = pkg.join("kube_sandbox_bg.wasm");
    if profile == Profile::Release && opt == WasmOpt::On {
        let before = file_len(&wasm)?;
        // --converge repeats -Oz until the module stops shrinking: about 1% more, measured.
        run(toolchain::wasm_opt()
            .args(["-Oz", "--converge"])
            // Custom sections no browser reads: which compilers built it, which features it uses.
            .args(["--strip-producers", "--strip-target-features"])
            .args(WASM_FEATURES)
            .arg(&wasm)
            .arg("-o")
            .arg(&wasm))?;
        println!(
            "wasm-opt -Oz --converge: {} -> {} bytes",
            before,
            file_len(&wasm)?
        );
    }

    let dist = dist_dir();
    if dist.exists() {
        fs::remove_dir_all(&dist).map_err(|e| format!("cannot clear {}: {e}", dist.display()))?;
    }
    fs::create_dir_all(dist.join("pkg")).map_err(|e| e.to_string())?;
    copy(&root.join("index.html"), &dist.join("index.html"))?;
    copy_tree(&root.join("www"), &dist)?;
    // The built-in lessons, beside the page, as a teacher's pack would be (when the page has
    // the lesson picker to open them).
    if ships_lessons() {
        fs::create_dir_all(dist.join("lessons")).map_err(|e| e.to_string())?;
        copy_tree(&root.join("lessons"), &dist.join("lessons"))?;
    }
    for name in ["kube_sandbox.js", "kube_sandbox_bg.wasm"] {
        copy(&pkg.join(name), &dist.join("pkg").join(name))?;
    }
    // The stylesheet's comments are for whoever edits it: the page goes without them (1.2 KB
    // of gzip, measured).
    let css = dist.join("style.css");
    if let Ok(text) = fs::read_to_string(&css) {
        fs::write(&css, strip_css_comments(&text))
            .map_err(|e| format!("{}: {e}", css.display()))?;
    }
    // The same for wasm-bindgen's glue: its doc comments and indentation (about 950 bytes of
    // gzip, measured on 2026-12-05).
    // The page's own start-up script and its HTML lose their comments too.
    for (name, strip) in [
        ("pkg/kube_sandbox.js", strip_js_layout as fn(&str) -> String),
        ("boot.js", strip_js_layout),
        ("index.html", strip_html_comments),
    ] {
        let path = dist.join(name);
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        fs::write(&path, strip(&text)).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    for page in ["index.html", "style.css", "boot.js"] {
        let path = dist.join(page);
        if let Ok(text) = fs::read_to_string(&path) {
            check_relative_urls(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(dist)
}

/// CSS without its `/* ... */` comments (not those inside strings), and without the blank lines
/// they leave.
pub fn strip_css_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    let mut quote: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        match quote {
            Some(q) => {
                if c == '\\' {
                    let escaped: String = rest.chars().take(2).collect();
                    out.push_str(&escaped);
                    rest = &rest[escaped.len()..];
                    continue;
                }
                if c == q {
                    quote = None;
                }
            }
            None if rest.starts_with("/*") => {
                rest = rest[2..].find("*/").map_or("", |end| &rest[2 + end + 2..]);
                continue;
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None => {}
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.join("\n") + "\n"
}

/// JavaScript without its indentation, blank lines, and the comments that fill whole lines
/// (`// ...` and `/* ... */` blocks that start a line). It works line by line, so it leaves the
/// text as it is when a template literal spans lines (an odd count of backticks on a line), where
/// a line's leading spaces would be part of a string.
pub fn strip_js_layout(js: &str) -> String {
    if js.lines().any(|l| l.matches('`').count() % 2 == 1) {
        return js.to_string();
    }
    let mut out = String::with_capacity(js.len());
    let mut in_block = false;
    for line in js.lines() {
        let mut line = line.trim();
        let comment_from = if in_block {
            Some(0)
        } else if line.starts_with("/*") {
            Some(2)
        } else {
            None
        };
        if let Some(from) = comment_from {
            // Code after the comment's end on the same line is kept.
            match line[from..].find("*/") {
                Some(end) => {
                    in_block = false;
                    line = line[from + end + 2..].trim();
                }
                None => {
                    in_block = true;
                    continue;
                }
            }
        }
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// HTML without its `<!-- ... -->` comments and the lines they leave empty. For the page's own
/// `index.html`, which has no script or style text where `<!--` could mean something else.
pub fn strip_html_comments(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<!--") {
        out.push_str(&rest[..at]);
        rest = rest[at + 4..]
            .find("-->")
            .map_or("", |end| &rest[at + 4 + end + 3..]);
    }
    out.push_str(rest);
    let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.join("\n") + "\n"
}

/// Refuses root-relative and absolute URLs, which break under a sub-path or another host.
pub fn check_relative_urls(text: &str) -> Result<(), String> {
    for pattern in [
        "src=\"/",
        "href=\"/",
        "src='/",
        "href='/",
        "url(/",
        "url(\"/",
        "url('/",
        "from \"/",
        "from '/",
        "import(\"/",
        "import('/",
        "http://",
        "https://",
    ] {
        if let Some(at) = text.find(pattern) {
            let end = text[at..].find('\n').map_or(text.len(), |n| at + n);
            return Err(format!(
                "a URL that is not relative: {}",
                text[at..end].trim()
            ));
        }
    }
    Ok(())
}

fn file_len(path: &Path) -> Result<u64, String> {
    fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    let entries = fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            fs::create_dir_all(&target).map_err(|e| e.to_string())?;
            copy_tree(&entry.path(), &target)?;
        } else {
            copy(&entry.path(), &target)?;
        }
    }
    Ok(())
}

pub struct SizeReport {
    /// (path relative to dist/, raw bytes, gzip -9 bytes), sorted by path.
    pub files: Vec<(String, u64, u64)>,
}

impl SizeReport {
    pub fn raw_total(&self) -> u64 {
        self.at_start().map(|f| f.1).sum()
    }
    /// What the page loads at start: every file but the [`ON_DEMAND`] ones.
    pub fn gzip_total(&self) -> u64 {
        self.at_start().map(|f| f.2).sum()
    }
    fn at_start(&self) -> impl Iterator<Item = &(String, u64, u64)> {
        self.files.iter().filter(|f| !is_on_demand(&f.0))
    }
}

pub fn gzip_len(bytes: &[u8]) -> u64 {
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(bytes);
    gz.finish().map(|v| v.len() as u64).unwrap_or(u64::MAX)
}

pub fn size_report(dir: &Path) -> Result<SizeReport, String> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort();
    Ok(SizeReport { files })
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<(String, u64, u64)>) -> Result<(), String> {
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(base, &path, out)?;
        } else {
            let bytes = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let name = path
                .strip_prefix(base)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            out.push((name, bytes.len() as u64, gzip_len(&bytes)));
        }
    }
    Ok(())
}

pub fn print_size_report(report: &SizeReport) {
    println!("\n{:<32} {:>12} {:>12}", "file", "raw bytes", "gzip -9");
    for (name, raw, gz) in &report.files {
        let mark = if is_on_demand(name) {
            " (on demand)"
        } else {
            ""
        };
        println!("{name:<32} {raw:>12} {gz:>12}{mark}");
    }
    println!(
        "{:<32} {:>12} {:>12}",
        "total at start (the budget)",
        report.raw_total(),
        report.gzip_total()
    );
}

pub fn check_budget(report: &SizeReport) -> Result<(), String> {
    let total = report.gzip_total();
    if total <= GZIP_BUDGET_BYTES {
        Ok(())
    } else {
        Err(format!(
            "dist/ (what the page loads at start) is {total} bytes gzipped, over the budget of {GZIP_BUDGET_BYTES}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_urls_pass_and_root_relative_or_absolute_ones_fail() {
        let table = [
            (r#"<link rel="stylesheet" href="style.css">"#, true),
            (
                r#"<script type="module">import init from "./pkg/kube_sandbox.js";</script>"#,
                true,
            ),
            (r#"<link href="/style.css">"#, false),
            (r#"<script src="/pkg/kube_sandbox.js">"#, false),
            ("background: url(/img.png);", false),
            (r#"<a href="https://example.org">"#, false),
        ];
        for (text, ok) in table {
            assert_eq!(check_relative_urls(text).is_ok(), ok, "{text}");
        }
    }

    #[test]
    fn the_checked_in_page_uses_relative_urls_only() {
        let root = crate::root();
        for file in ["index.html", "www/style.css", "www/boot.js"] {
            let text = fs::read_to_string(root.join(file)).expect("file exists");
            assert_eq!(check_relative_urls(&text), Ok(()), "{file}");
        }
    }

    #[test]
    fn css_comments_go_and_strings_stay() {
        let css = "/* head */\n.a { color: red; } /* why */\n\n.b::before { content: \"/* not a comment */\"; }\n.c { content: '\\'/*'; }\n/* unclosed";
        assert_eq!(
            strip_css_comments(css),
            ".a { color: red; } \n.b::before { content: \"/* not a comment */\"; }\n.c { content: '\\'/*'; }\n"
        );
    }

    #[test]
    fn js_glue_loses_comments_and_indentation_but_not_code() {
        let glue = "/**\n * Doc.\n */ let x;\n/* a */ f();\nexport function f(a) {\n    // why\n    const s = '/* kept */';\n\n    return `${a}`; /* tail kept */\n}\n";
        assert_eq!(
            strip_js_layout(glue),
            "let x;\nf();\nexport function f(a) {\nconst s = '/* kept */';\nreturn `${a}`; /* tail kept */\n}\n"
        );
        // A template literal over several lines: its indentation is text, so nothing changes.
        let multi = "const t = `a\n    b`;\n    // c\n";
        assert_eq!(strip_js_layout(multi), multi);
    }

    #[test]
    fn html_loses_its_comments_only() {
        let page =
            "<head>\n  <!-- why\n       more -->\n  <meta a>\n<p>x <!-- y --> z</p>\n</head>\n";
        assert_eq!(
            strip_html_comments(page),
            "<head>\n  <meta a>\n<p>x  z</p>\n</head>\n"
        );
    }

    #[test]
    fn the_checked_in_page_has_no_inline_script_or_style() {
        let page = fs::read_to_string(crate::root().join("index.html")).expect("index.html");
        assert!(page.contains("<meta http-equiv=\"Content-Security-Policy\""));
        for (at, _) in page.match_indices("<script") {
            let tag = &page[at..at + page[at..].find('>').expect("a closed tag")];
            assert!(tag.contains(" src="), "an inline script: {tag}");
        }
        assert!(!page.contains(" style="), "an inline style attribute");
        assert!(!page.contains("<style"), "an inline style element");
    }

    #[test]
    fn the_app_never_writes_html_or_inline_style() {
        // User text reaches the DOM as text only (yew escapes it); markup written as a string
        // would be parsed, and a `style` attribute is refused by the page's policy.
        let dir = crate::root().join("src/web");
        let mut files = vec![dir.clone()];
        let mut seen = 0;
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in fs::read_dir(&path).expect("readable dir") {
                    files.push(entry.expect("entry").path());
                }
                continue;
            }
            let text = fs::read_to_string(&path).expect("readable file");
            seen += 1;
            for banned in [
                "inner_html",
                "outer_html",
                "insert_adjacent_html",
                "from_html_unchecked",
                "set_attribute(\"style\"",
                "style={",
                "style=\"",
            ] {
                assert!(!text.contains(banned), "{}: {banned}", path.display());
            }
        }
        assert!(seen > 5, "src/web was read");
    }

    #[test]
    fn the_budget_leaves_out_what_the_page_fetches_on_demand() {
        let report = SizeReport {
            files: vec![
                ("explain.txt".into(), 300_000, 80_000),
                ("pkg/kube_sandbox_bg.wasm".into(), 3_000_000, 990_000),
            ],
        };
        assert_eq!(report.gzip_total(), 990_000);
        assert_eq!(report.raw_total(), 3_000_000);
        assert_eq!(check_budget(&report), Ok(()));
    }

    #[test]
    fn the_budget_counts_gzip_bytes_of_all_files() {
        let report = SizeReport {
            files: vec![("a".into(), 2_000_000, 600_000), ("b".into(), 10, 400_000)],
        };
        assert_eq!(check_budget(&report), Ok(()));
        let over = SizeReport {
            files: vec![("a".into(), 1, GZIP_BUDGET_BYTES + 1)],
        };
        assert!(check_budget(&over).is_err());
    }

    #[test]
    fn gzip_shrinks_repetitive_text() {
        let text = "kube-apiserver ".repeat(1000);
        assert!(gzip_len(text.as_bytes()) < 200);
    }
}
