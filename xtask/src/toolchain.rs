//! Installs what the build and the tests need, each step skipped when already satisfied.
//!
//! - Rust's `wasm32-unknown-unknown` target (rustup)
//! - the pinned nightly that builds the shipped module, with `rust-src` (rustup; see
//!   `SHIPPED_TOOLCHAIN`)
//! - `wasm-pack` (cargo install)
//! - `wasm-bindgen` CLI at exactly the version Cargo.lock pins: wasm-bindgen refuses a module
//!   built by a different version of its macro crate
//! - `wasm-opt` from the npm package `binaryen`, into `target/tools` (Debian's binaryen is too
//!   old for current rustc output: "parse exception: invalid code after misc prefix")
//! - Chromium, chromedriver, etcd, a CJK font: Debian packages (elsewhere we say what to install)

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::proc::{self, output, run, which};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The toolchain of the shipped (release) module: a pinned nightly, because only nightly can
/// rebuild the standard library for size (`-Z build-std` with `optimize_for_size`), abort on a
/// panic without formatting it (`-C panic=immediate-abort`) and leave out panic locations
/// (`-Z location-detail=none`): 67 KB of gzip less, measured on 2026-12-06 (docs/build.md). Tests,
/// benches and debug builds stay on stable; the code is the same, so is the trace.
pub const SHIPPED_TOOLCHAIN: &str = "nightly-2026-05-20";

/// The flags of the shipped build (see `SHIPPED_TOOLCHAIN`).
pub const SHIPPED_RUSTFLAGS: &str =
    "-Zlocation-detail=none -Zunstable-options -Cpanic=immediate-abort";
pub const SHIPPED_CARGO_ARGS: &[&str] = &[
    "-Z",
    "build-std=std,panic_abort",
    "-Z",
    "build-std-features=optimize_for_size",
];
/// The binaryen release whose `wasm-opt` reads what current rustc emits.
const BINARYEN_NPM_VERSION: &str = "132.0.0";

pub fn tools_dir() -> PathBuf {
    crate::root().join("target/tools")
}

fn tools_bin() -> PathBuf {
    tools_dir().join("node_modules/.bin")
}

/// Puts the project-local tools (wasm-opt) first on a command's PATH.
pub fn with_tools_path(cmd: &mut Command) {
    let mut paths = vec![tools_bin()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    if let Ok(joined) = std::env::join_paths(paths) {
        cmd.env("PATH", joined);
    }
}

fn step_ok(what: &str) {
    println!("ok  {what}");
}

fn step_install(what: &str) {
    println!("--> installing {what}");
}

pub fn ensure_wasm_toolchain() -> Result<(), String> {
    ensure_wasm_target()?;
    ensure_shipped_toolchain()?;
    ensure_wasm_pack()?;
    ensure_wasm_bindgen()?;
    ensure_wasm_opt()?;
    Ok(())
}

fn ensure_wasm_target() -> Result<(), String> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]));
    match installed {
        Some(list) if list.lines().any(|l| l.trim() == WASM_TARGET) => {
            step_ok(&format!("Rust target {WASM_TARGET}"));
            Ok(())
        }
        Some(_) => {
            step_install(&format!("Rust target {WASM_TARGET}"));
            run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
        }
        None => Err(format!(
            "rustup not found: install Rust with rustup (https://rustup.rs), \
             or add the {WASM_TARGET} target to your toolchain yourself"
        )),
    }
}

fn ensure_shipped_toolchain() -> Result<(), String> {
    let src = output(Command::new("rustup").args([
        "component",
        "list",
        "--installed",
        "--toolchain",
        SHIPPED_TOOLCHAIN,
    ]));
    if src.is_some_and(|list| list.lines().any(|l| l.starts_with("rust-src"))) {
        step_ok(&format!(
            "{SHIPPED_TOOLCHAIN} with rust-src (the shipped build)"
        ));
        return Ok(());
    }
    step_install(&format!(
        "{SHIPPED_TOOLCHAIN} with rust-src (rustup, minimal profile)"
    ));
    run(Command::new("rustup").args([
        "toolchain",
        "install",
        SHIPPED_TOOLCHAIN,
        "--profile",
        "minimal",
        "--component",
        "rust-src",
    ]))
}

fn ensure_wasm_pack() -> Result<(), String> {
    if let Some(v) = output(Command::new("wasm-pack").arg("--version")) {
        step_ok(v.trim());
        return Ok(());
    }
    step_install("wasm-pack (cargo install, a few minutes)");
    run(proc::cargo().args(["install", "wasm-pack"]))
}

/// The version of `package` that Cargo.lock pins, if it is in the lock file once.
pub fn locked_version(lock: &str, package: &str) -> Option<String> {
    let wanted = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    let mut found = None;
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim();
            let version = version.strip_prefix("version = \"")?.strip_suffix('"')?;
            if found.is_some() {
                return None;
            }
            found = Some(version.to_string());
        }
    }
    found
}

fn ensure_wasm_bindgen() -> Result<(), String> {
    let lock = std::fs::read_to_string(crate::root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let version = locked_version(&lock, "wasm-bindgen")
        .ok_or("Cargo.lock pins no single wasm-bindgen version")?;
    let have = output(Command::new("wasm-bindgen").arg("--version"));
    if have.as_deref().map(str::trim) == Some(format!("wasm-bindgen {version}").as_str()) {
        step_ok(&format!("wasm-bindgen {version} (matches Cargo.lock)"));
        return Ok(());
    }
    step_install(&format!(
        "wasm-bindgen-cli {version} to match Cargo.lock (cargo install, a few minutes)"
    ));
    run(proc::cargo().args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &format!("={version}"),
    ]))
}

pub fn wasm_opt() -> Command {
    let mut cmd = Command::new(tools_bin().join("wasm-opt"));
    with_tools_path(&mut cmd);
    cmd
}

fn ensure_wasm_opt() -> Result<(), String> {
    let want = BINARYEN_NPM_VERSION.split('.').next().unwrap_or_default();
    let have = output(wasm_opt().arg("--version"));
    if let Some(v) = have.as_deref() {
        if v.contains(&format!("version {want}")) {
            step_ok(&format!("{} (target/tools)", v.trim()));
            return Ok(());
        }
    }
    if which("npm").is_none() {
        ensure_apt(&[("npm", &["nodejs", "npm"])])?;
    }
    step_install(&format!(
        "wasm-opt: npm package binaryen@{BINARYEN_NPM_VERSION} into target/tools"
    ));
    std::fs::create_dir_all(tools_dir()).map_err(|e| e.to_string())?;
    run(Command::new("npm")
        .args([
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--prefix",
        ])
        .arg(tools_dir())
        .arg(format!("binaryen@{BINARYEN_NPM_VERSION}")))?;
    output(wasm_opt().arg("--version"))
        .map(|_| ())
        .ok_or_else(|| "wasm-opt was installed but does not run".to_string())
}

/// Where the browser tests and the end-to-end test find Chromium.
#[derive(Clone, Debug)]
pub struct Browser {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

fn find_chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(which)
}

pub fn ensure_browser() -> Result<Browser, String> {
    if find_chromium().is_none() || which("chromedriver").is_none() {
        ensure_apt(&[
            ("chromium", &["chromium"]),
            ("chromedriver", &["chromium-driver"]),
        ])?;
    }
    let chromium = find_chromium().ok_or("chromium is not installed")?;
    let chromedriver = which("chromedriver").ok_or("chromedriver is not installed")?;
    step_ok(&format!(
        "{} and {}",
        chromium.display(),
        chromedriver.display()
    ));
    Ok(Browser {
        chromium,
        chromedriver,
    })
}

/// Real etcd, which a native test compares our store against.
pub fn ensure_etcd() -> Result<(), String> {
    if which("etcd").is_some() && which("etcdctl").is_some() {
        step_ok("etcd and etcdctl");
        return Ok(());
    }
    ensure_apt(&[("etcd", &["etcd-server"]), ("etcdctl", &["etcd-client"])])
}

pub fn ensure_cjk_font() -> Result<(), String> {
    let korean = output(Command::new("fc-list").arg(":lang=ko")).unwrap_or_default();
    if !korean.trim().is_empty() {
        step_ok("a font with Korean glyphs");
        return Ok(());
    }
    ensure_apt(&[("", &["fonts-noto-cjk"])])
}

static APT_UPDATED: AtomicBool = AtomicBool::new(false);

/// Installs the Debian packages for each missing program (`""`: install unconditionally).
fn ensure_apt(needs: &[(&str, &[&str])]) -> Result<(), String> {
    let packages: Vec<&str> = needs
        .iter()
        .filter(|(program, _)| program.is_empty() || which(program).is_none())
        .flat_map(|(_, pkgs)| pkgs.iter().copied())
        .collect();
    if packages.is_empty() {
        return Ok(());
    }
    let list = packages.join(" ");
    if which("apt-get").is_none() || !Path::new("/etc/debian_version").exists() {
        return Err(format!(
            "this is not a Debian-like system: install these with your package manager \
             (Debian names: {list}), then run the command again"
        ));
    }
    let root = output(Command::new("id").arg("-u")).map(|s| s.trim() == "0");
    let sudo = if root == Some(true) {
        None
    } else if which("sudo").is_some() {
        Some("sudo")
    } else {
        return Err(format!(
            "run as root, or install: apt-get install -y {list}"
        ));
    };
    let apt = |args: &[&str]| {
        let mut cmd = match sudo {
            Some(s) => {
                let mut c = Command::new(s);
                c.arg("apt-get");
                c
            }
            None => Command::new("apt-get"),
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    step_install(&format!("Debian packages: {list}"));
    if !APT_UPDATED.swap(true, Ordering::SeqCst) {
        run(&mut apt(&["update"]))?;
    }
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend(&packages);
    run(&mut apt(&args))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "wasm-bindgen-backend"
version = "0.2.99"
"#;

    #[test]
    fn the_wasm_bindgen_version_is_read_from_the_lock_file() {
        assert_eq!(
            locked_version(LOCK, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(
            locked_version(LOCK, "wasm-bindgen-backend").as_deref(),
            Some("0.2.99")
        );
    }

    #[test]
    fn a_package_missing_or_locked_twice_has_no_single_version() {
        assert_eq!(locked_version(LOCK, "yew"), None);
        let twice = format!("{LOCK}\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.1\"\n");
        assert_eq!(locked_version(&twice, "wasm-bindgen"), None);
    }

    #[test]
    fn the_page_is_built_with_yews_tracing_compiled_out() {
        // 10 KB of gzip (docs/build.md): yew's log events, which no subscriber in the page reads.
        let manifest =
            std::fs::read_to_string(crate::root().join("Cargo.toml")).expect("Cargo.toml");
        let wasm_deps = manifest
            .split("[target.'cfg(target_arch = \"wasm32\")'.dependencies]")
            .nth(1)
            .and_then(|rest| rest.split("\n[").next())
            .expect("the wasm32 dependencies");
        let tracing = wasm_deps
            .lines()
            .find(|l| l.starts_with("tracing ="))
            .expect("tracing among the wasm32 dependencies");
        assert!(tracing.contains("\"release_max_level_off\""), "{tracing}");
    }

    #[test]
    fn this_repository_pins_one_wasm_bindgen() {
        let lock = std::fs::read_to_string(crate::root().join("Cargo.lock")).expect("Cargo.lock");
        assert!(locked_version(&lock, "wasm-bindgen").is_some());
    }
}
