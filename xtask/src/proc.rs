//! Running tools: echoed before they run, output streamed live and kept for parsing.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::thread;

pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(crate::root());
    c
}

pub fn wasm_pack() -> Command {
    let mut c = Command::new("wasm-pack");
    crate::toolchain::with_tools_path(&mut c);
    c
}

pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs to completion with inherited output; an error when it cannot start or exits non-zero.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    println!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

/// Runs and captures stdout (stderr inherited); for tools whose answer we read.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

pub struct Streamed {
    pub success: bool,
    pub code: Option<i32>,
    /// stdout and stderr lines, each stream in order.
    pub lines: Vec<String>,
}

impl Streamed {
    pub fn describe_failure(&self) -> String {
        match self.code {
            Some(c) => format!("exited with status {c}"),
            None => "killed by a signal".to_string(),
        }
    }
}

/// Runs while echoing both streams line by line, and returns every line for parsing.
pub fn run_streaming(cmd: &mut Command) -> Result<Streamed, String> {
    println!("$ {}", describe(cmd));
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", describe(cmd)))?;
    let stderr = child
        .stderr
        .take()
        .map(|s| thread::spawn(move || pump(s, true)));
    let mut lines = child
        .stdout
        .take()
        .map(|s| pump(s, false))
        .unwrap_or_default();
    if let Some(Ok(err_lines)) = stderr.map(|h| h.join()) {
        lines.extend(err_lines);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok(Streamed {
        success: status.success(),
        code: status.code(),
        lines,
    })
}

fn pump(stream: impl Read, to_stderr: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for line in BufReader::new(stream).split(b'\n').map_while(Result::ok) {
        let line = String::from_utf8_lossy(&line)
            .trim_end_matches('\r')
            .to_string();
        if to_stderr {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
        lines.push(line);
    }
    lines
}

/// Whether a program is on PATH.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}
