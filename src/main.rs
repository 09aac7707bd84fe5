//! `kube-sandbox shell`: the browser terminal's shell on a native terminal.
//!
//! Reads command lines from stdin and prints exactly what the browser terminal prints; the
//! prompt appears only when stdin is a terminal, so scripts and golden tests see bare output.

use std::io::{BufRead, IsTerminal, Write};

use kube_sandbox::sim::clock::TICKS_PER_SECOND;
use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

const USAGE: &str = "Usage: kube-sandbox shell [--seed N] [--settle SECONDS]
       kube-sandbox serve [--seed N] [--settle SECONDS] [--clock settle|wall|wall:SPEED]
                          [--port PORT] [--kubeconfig FILE]
       kube-sandbox verify-code --lesson FILE --code CODE < LINES

Runs the sandbox's terminal shell (kubectl, etcdctl, cat <<EOF ...) on a fresh simulated
cluster, reading command lines from standard input.

serve boots the same cluster and serves its Kubernetes API over HTTPS on 127.0.0.1, so that
the real kubectl drives it: it writes a kubeconfig (default ./kube-sandbox.kubeconfig) and
prints how to use it (docs/serve.md).

verify-code replays the lines a student typed (one per line on standard input, as the
lesson's summary lists them) on a fresh lab from the lesson's seed and setup, and says
whether they finish the lesson and give CODE.

Options:
  --seed N            seed of the simulation's random generator (default 1)
  --settle SECONDS    simulated seconds the cluster may run after each line (default 120)
  --port PORT         serve: the port on 127.0.0.1 (default 6443; 0 picks a free one)
  --kubeconfig FILE   serve: where to write the kubeconfig
  --clock MODE        serve: `wall` (default) runs simulated time with the wall clock, `wall:10`
                      ten times as fast; `settle` lets the lab settle after each write instead
  -h, --help          print this help
";

struct Options {
    command: &'static str,
    seed: u64,
    settle_seconds: u64,
    port: u16,
    kubeconfig: String,
    /// serve's clock: None settles after each write; Some(speed) follows the wall clock.
    wall_clock_speed: Option<f64>,
}

fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    let mut options = Options {
        command: "shell",
        seed: 1,
        settle_seconds: 120,
        port: 6443,
        kubeconfig: "kube-sandbox.kubeconfig".to_string(),
        wall_clock_speed: Some(1.0),
    };
    let mut iter = args.iter();
    let mut command = None;
    while let Some(arg) = iter.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        match name {
            "-h" | "--help" => return Ok(None),
            "--seed" | "--settle" | "--port" | "--kubeconfig" | "--clock" => {
                let value = match inline.or_else(|| iter.next().cloned()) {
                    Some(v) => v,
                    None => return Err(format!("flag needs an argument: {name}")),
                };
                if name == "--kubeconfig" {
                    options.kubeconfig = value;
                    continue;
                }
                if name == "--clock" {
                    options.wall_clock_speed = match value.split_once(':') {
                        None if value == "settle" => None,
                        None if value == "wall" => Some(1.0),
                        Some(("wall", speed)) => match speed.parse::<f64>() {
                            Ok(s) if s > 0.0 && s.is_finite() => Some(s),
                            _ => return Err(format!("invalid speed {speed:?} for --clock")),
                        },
                        _ => {
                            return Err(format!(
                                "invalid value {value:?} for --clock: settle, wall or wall:SPEED"
                            ))
                        }
                    };
                    continue;
                }
                let number: u64 = value.parse().map_err(|_| {
                    format!("invalid value {value:?} for {name}: expected a whole number")
                })?;
                if name == "--seed" {
                    options.seed = number;
                } else if name == "--port" {
                    options.port = u16::try_from(number)
                        .map_err(|_| format!("invalid value {value:?} for --port"))?;
                } else {
                    options.settle_seconds = number;
                }
            }
            flag if flag.starts_with('-') => return Err(format!("unknown flag: {flag}")),
            "shell" if command.is_none() => command = Some("shell"),
            "serve" if command.is_none() => command = Some("serve"),
            other => return Err(format!("unknown command {other:?}")),
        }
    }
    match command {
        Some(c) => {
            options.command = c;
            Ok(Some(options))
        }
        None => Err("missing command: shell or serve".to_string()),
    }
}

/// `verify-code --lesson FILE --code CODE`: exit 0 when the lines on stdin finish the lesson and
/// give CODE; 1 otherwise, saying why.
fn verify_code(args: &[String]) -> i32 {
    let mut lesson_path = None;
    let mut code = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let value = inline.or_else(|| iter.next().cloned());
        match (name, value) {
            ("--lesson", Some(v)) => lesson_path = Some(v),
            ("--code", Some(v)) => code = Some(v),
            (other, _) => {
                eprintln!("kube-sandbox verify-code: unexpected argument {other:?}\n\n{USAGE}");
                return 2;
            }
        }
    }
    let (Some(path), Some(code)) = (lesson_path, code) else {
        eprintln!("kube-sandbox verify-code: needs --lesson FILE and --code CODE\n\n{USAGE}");
        return 2;
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("kube-sandbox verify-code: {path}: {e}");
            return 2;
        }
    };
    let lesson = match kube_sandbox::present::lessons::load(&path, &text) {
        Ok(lesson) => lesson,
        Err(e) => {
            eprintln!("kube-sandbox verify-code: {e}");
            return 2;
        }
    };
    let lines: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .collect();
    match kube_sandbox::present::lessons::verify(&lesson, &lines) {
        Ok(got) if got.eq_ignore_ascii_case(code.trim()) => {
            println!(
                "ok: {} lines finish lesson {:?} and give {got}",
                lines.len(),
                lesson.id
            );
            0
        }
        Ok(got) => {
            println!(
                "mismatch: the lines finish lesson {:?} but give {got}, not {code}",
                lesson.id
            );
            1
        }
        Err(why) => {
            println!("not verified: {why}");
            1
        }
    }
}

/// `serve`: the lab's API over HTTPS until the process is stopped.
#[cfg(not(target_arch = "wasm32"))]
fn serve(options: &Options) -> i32 {
    use kube_sandbox::serve::net::Clock;
    let serve_options = kube_sandbox::serve::net::Options {
        seed: options.seed,
        clock: match options.wall_clock_speed {
            Some(speed) => Clock::Wall { speed },
            None => Clock::Settle,
        },
        port: options.port,
        kubeconfig: options.kubeconfig.clone().into(),
        settle_seconds: options.settle_seconds,
    };
    let result = kube_sandbox::serve::net::serve(serve_options, |started| {
        println!(
            "kube-sandbox serve: the lab (seed {}) answers on https://{}\n\n  export KUBECONFIG={}\n  kubectl get nodes",
            options.seed,
            started.address,
            started.kubeconfig.display()
        );
    });
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("kube-sandbox serve: {e}");
            1
        }
    }
}

/// The binary is also built for wasm32 by the browser tests; serving needs sockets.
#[cfg(target_arch = "wasm32")]
fn serve(_: &Options) -> i32 {
    eprintln!("kube-sandbox serve: runs natively only");
    2
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("verify-code") {
        std::process::exit(verify_code(&args[1..]));
    }
    let options = match parse_args(&args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return;
        }
        Err(message) => {
            eprintln!("kube-sandbox: {message}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    if options.command == "serve" {
        std::process::exit(serve(&options));
    }
    let mut shell = Shell::new(Lab::boot(options.seed));
    shell.set_settle_ticks(options.settle_seconds.saturating_mul(TICKS_PER_SECOND));
    // The browser has no disk; natively `-f PATH` may fall back to the real file system.
    shell.set_file_reader(Box::new(|path| std::fs::read_to_string(path).ok()));
    // kubectl explain's docs: beside the binary's sources, as the page fetches them from dist/.
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/www/explain.txt");
    if let Ok(text) = std::fs::read_to_string(docs) {
        shell.set_explain_docs(text);
    }
    let interactive = std::io::stdin().is_terminal();
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    let mut last_exit = 0;
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            let _ = write!(stdout, "{}", shell.prompt());
            let _ = stdout.flush();
        }
        let Some(Ok(line)) = lines.next() else { break };
        if !shell.is_continuing()
            && shell.host() == "master"
            && matches!(line.trim(), "exit" | "logout")
        {
            break;
        }
        let out = shell.run_line(&line);
        if out.clear_screen && interactive {
            let _ = write!(stdout, "\x1b[2J\x1b[H");
        }
        let _ = write!(stdout, "{}", out.stdout);
        let _ = stdout.flush();
        let _ = write!(stderr, "{}", out.stderr);
        if !shell.is_continuing() {
            last_exit = out.exit_code;
        }
    }
    std::process::exit(if interactive { 0 } else { last_exit });
}
