//! Docker on the lab's VMs making and sharing images: `docker build`, `history`, `tag`, `rmi`,
//! `inspect`, `login`, `push`, `pull`.
//!
//! ```text
//!   cat > app.js, cat > Dockerfile ──▶ docker build -t kubia .
//!        parse (line numbers) ─▶ FROM: the registry's node:7 ─▶ ADD: a layer of app.js's bytes
//!        ─▶ the image in this VM's image store, as `docker images` lists it
//!   rebuild: every step's cache key known ─▶ CACHED / ---> Using cache, the same image id
//! ```
//!
//! Mirrors: the docker CLI 28/29 with BuildKit (the tty progress as it stands when the build
//! ends, `ERROR: failed to build: failed to solve: ...` with the Dockerfile excerpt) and, with
//! `DOCKER_BUILDKIT=0`, the legacy builder (`Sending build context`, `Step 1/3 : FROM node:7`,
//! ` ---> Using cache`, `Successfully built`, `Successfully tagged kubia:latest`); `docker
//! history`'s columns with CREATED BY cut at 45 characters; `docker tag`, `docker rmi`
//! (`Untagged:` / `Deleted:`), `docker inspect`'s JSON; `docker push` (`Layer already exists`
//! / `Pushed`, then `latest: digest: sha256:... size: N`), refused with `denied: requested
//! access to the resource is denied` on Docker Hub outside the logged-in user's namespace;
//! `docker pull` (`Already exists` / `Pull complete`, `Status: Downloaded newer image for`).
//! Simplified: the registries are the lab's one shared value (`SharedRegistries`), so what
//! master pushes the kubelets pull; any password logs in; push and pull print each layer's
//! final state only and move the clock by the bytes moved at the VM's bandwidth; the image store is the VM's containerd store (the one `crictl images` lists);
//! BuildKit's progress is written to standard output (the real CLI writes it to standard
//! error, which this terminal would draw red); the build's durations are simulated, and the
//! clock moves by the time the base image's missing layers take to download.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde::Serialize;

use super::node_cmds::{NodeState, DOCKER_DOWN};
use super::{Backend, Output};
use crate::sim::clock::{Ticks, TICKS_PER_SECOND};
use crate::sim::runtime::build::{self, BuildError, BuildInput, Built};
use crate::sim::runtime::digest::sha256_hex;
use crate::sim::runtime::dockerfile::{self, Instruction, Keyword};
use crate::sim::runtime::image_store::DEFAULT_BANDWIDTH_BYTES_PER_SECOND;
use crate::sim::runtime::reference::{parse_image_ref, ImageRef};
use crate::sim::runtime::registry::{ImageSpec, PullErrorKind, Registries, KNOWN_REGISTRY_HOSTS};
use crate::sim::runtime::views::{
    human_duration, human_size, human_size_with_precision, short, tabwrite,
};
use crate::sim::runtime::Runtime;
use crate::sim::trace::{ImageAction, LayerPull};

/// What Docker on one VM keeps besides its images: the build cache and the logins.
#[derive(Clone, Debug, Default)]
pub struct DockerEngine {
    /// Cache keys of the build steps this engine has run.
    pub build_cache: BTreeSet<String>,
    /// `docker login`: registry domain → user name (`~/.docker/config.json`).
    pub logins: BTreeMap<String, String>,
}

/// One `docker ...` line: its words after `docker`, the environment it runs with and the
/// shell's files (the build context).
pub struct Invocation<'a> {
    pub args: &'a [String],
    pub env: &'a BTreeMap<String, String>,
    pub files: &'a BTreeMap<String, String>,
}

/// The width BuildKit's tty progress is drawn at.
const PROGRESS_WIDTH: usize = 80;
/// How fast an unpacked layer is extracted (simulated): 100 MB/s.
const EXTRACT_BYTES_PER_SECOND: u64 = 100_000_000;

/// Runs the docker subcommands this module owns; None leaves the line to `node_cmds`.
pub fn run(
    inv: &Invocation<'_>,
    state: &mut NodeState,
    backend: &mut dyn Backend,
) -> Option<Output> {
    let (sub, rest) = inv.args.split_first()?;
    let shared = backend
        .node(&state.host)
        .and_then(|h| h.registries())
        .unwrap_or_else(|| Rc::new(RefCell::new(Registries::standard())));
    if let Some(out) = super::docker_run::run(inv.args, state, backend, &shared) {
        return Some(out);
    }
    let (sub, rest) = match (sub.as_str(), rest.split_first()) {
        ("image", Some((verb, rest)))
            if matches!(
                verb.as_str(),
                "build" | "history" | "tag" | "rm" | "inspect" | "push" | "pull"
            ) =>
        {
            (if verb == "rm" { "rmi" } else { verb.as_str() }, rest)
        }
        ("builder", Some((verb, rest))) if verb == "build" => ("build", rest),
        ("buildx", Some((verb, rest))) if verb == "build" => ("build", rest),
        (s, _) => (s, rest),
    };
    if !matches!(
        sub,
        "build" | "history" | "tag" | "rmi" | "inspect" | "login" | "logout" | "push" | "pull"
    ) {
        return None;
    }
    let handle = backend.node(&state.host);
    let Some(runtime) = handle.as_ref().and_then(|h| h.runtime()) else {
        return Some(Output::fail(DOCKER_DOWN));
    };
    let registries = shared;
    if !runtime.borrow().is_up() {
        return Some(Output::fail(DOCKER_DOWN));
    }
    let out = match sub {
        "build" => build_cmd(rest, inv, state, backend, &runtime, &registries),
        "login" => login(rest, state),
        "logout" => logout(rest, state),
        "push" => {
            let (out, pushed) = push(rest, state, &runtime.borrow(), &mut registries.borrow_mut());
            if let Some((image, layers)) = pushed {
                transfer(backend, ImageAction::Push, &image, &state.host, layers);
            }
            out
        }
        "pull" => pull(rest, &state.host, &runtime, &registries.borrow(), backend),
        "history" => history(rest, &runtime.borrow(), backend.unix_seconds()),
        "tag" => tag(rest, &mut runtime.borrow_mut(), backend.now_ticks()),
        "rmi" => rmi(rest, &mut runtime.borrow_mut()),
        _ => inspect(rest, &runtime.borrow()),
    };
    Some(out)
}

/// Finds a local image as the daemon does: by name (`kubia` is `kubia:latest`) or id prefix.
fn find_image<'a>(runtime: &'a Runtime, name: &str) -> Option<&'a ImageSpec> {
    let store = runtime.images();
    let by_ref = parse_image_ref(name)
        .ok()
        .and_then(|r| store.find(&r.to_string()));
    let by_id = || {
        let hex = name.strip_prefix("sha256:").unwrap_or(name);
        let ok = !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
        let mut matches = store
            .images()
            .filter(|r| ok && r.id.trim_start_matches("sha256:").starts_with(hex));
        let first = matches.next();
        first.filter(|_| matches.next().is_none())
    };
    by_ref.or_else(by_id).map(|r| &r.spec)
}

/// `kubia` → `kubia:latest`, as Docker names a reference in its messages.
fn familiar(r: &ImageRef) -> String {
    match r.tag_or_latest() {
        Some(tag) => format!("{}:{tag}", r.familiar_name()),
        None => r.familiar_name(),
    }
}

fn no_such_image(name: &str) -> Output {
    let shown = parse_image_ref(name)
        .ok()
        .filter(|_| !name.contains("sha256:"))
        .map(|r| familiar(&r))
        .unwrap_or_else(|| name.to_string());
    Output::fail(format!(
        "Error response from daemon: No such image: {shown}\n"
    ))
}

fn usage_error(command: &str, rule: &str, usage: &str, what: &str) -> Output {
    Output::fail(format!(
        "\"docker {command}\" requires {rule}.\nSee 'docker {command} --help'.\n\nUsage:  docker {command} {usage}\n\n{what}\n"
    ))
}

// ---------------------------------------------------------------------------------- build

struct BuildFlags {
    tags: Vec<String>,
    file: Option<String>,
    no_cache: bool,
    quiet: bool,
    context: Vec<String>,
}

fn build_flags(args: &[String]) -> Result<BuildFlags, String> {
    let mut flags = BuildFlags {
        tags: Vec::new(),
        file: None,
        no_cache: false,
        quiet: false,
        context: Vec::new(),
    };
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        let (name, inline) = split_flag(arg);
        let mut value = |attached: Option<&str>| {
            flag_value(
                args,
                &mut i,
                name,
                inline.clone().or(attached.map(str::to_string)),
            )
        };
        match name {
            "-t" | "--tag" => flags.tags.push(value(None)?),
            "-f" | "--file" => flags.file = Some(value(None)?),
            "--no-cache" => flags.no_cache = true,
            "-q" | "--quiet" => flags.quiet = true,
            "--pull" | "--rm" | "--load" => {}
            "--progress" | "--build-arg" | "--platform" | "--target" | "--network" => {
                value(None)?;
            }
            n if n.starts_with("-t") && n.len() > 2 => flags.tags.push(value(Some(&n[2..]))?),
            n if n.starts_with("-f") && n.len() > 2 => flags.file = Some(value(Some(&n[2..]))?),
            "-" => flags.context.push(arg.clone()),
            n if n.starts_with('-') => {
                let shown = if n.starts_with("--") {
                    n.to_string()
                } else {
                    format!(
                        "shorthand flag: '{}' in {n}",
                        n.chars().nth(1).unwrap_or('-')
                    )
                };
                return Err(format!("unknown flag: {shown}"));
            }
            _ => flags.context.push(arg.clone()),
        }
    }
    Ok(flags)
}

/// `--name=value` split at its `=` (pflag's long form); any other word as it is.
pub(super) fn split_flag(arg: &str) -> (&str, Option<String>) {
    match arg.split_once('=') {
        Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
        _ => (arg, None),
    }
}

/// A flag's value: given with it (`--tag=kubia`, `-tkubia`) or the next word, which `i`
/// then steps over; pflag's error when there is none.
pub(super) fn flag_value(
    args: &[String],
    i: &mut usize,
    name: &str,
    given: Option<String>,
) -> Result<String, String> {
    if let Some(v) = given {
        return Ok(v);
    }
    let v = args
        .get(*i)
        .cloned()
        .ok_or_else(|| format!("flag needs an argument: {name}"))?;
    *i += 1;
    Ok(v)
}

/// The shell's file key for a path (the home directory's files are keyed without `/root/`).
fn file_key(path: &str) -> String {
    let p = path
        .strip_prefix("/root/")
        .or_else(|| path.strip_prefix("~/"))
        .unwrap_or(path);
    let p = p.trim_start_matches("./");
    if p == "/root" || p == "~" {
        return ".".into();
    }
    p.trim_end_matches('/').to_string()
}

/// The files under a context directory, relative to it.
fn context_files(files: &BTreeMap<String, String>, dir: &str) -> Vec<String> {
    files
        .keys()
        .filter_map(|k| {
            if dir == "." {
                (!k.starts_with('/')).then(|| k.clone())
            } else {
                k.strip_prefix(&format!("{dir}/")).map(str::to_string)
            }
        })
        .collect()
}

fn build_cmd(
    args: &[String],
    inv: &Invocation<'_>,
    state: &mut NodeState,
    backend: &mut dyn Backend,
    runtime: &Rc<RefCell<Runtime>>,
    registries: &Rc<RefCell<Registries>>,
) -> Output {
    let buildkit = !matches!(
        inv.env.get("DOCKER_BUILDKIT").map(String::as_str),
        Some("0" | "false")
    );
    let fail = |text: String| {
        if buildkit {
            Output::fail(format!("ERROR: {text}\n"))
        } else {
            Output::fail(format!("{text}\n"))
        }
    };
    let flags = match build_flags(args) {
        Ok(f) => f,
        Err(e) => {
            let command = if buildkit { "buildx build" } else { "build" };
            return Output::fail(format!("{e}\nSee 'docker {command} --help'.\n"));
        }
    };
    if flags.context.len() != 1 {
        let out = if buildkit {
            usage_error(
                "buildx build",
                "exactly 1 argument",
                "[OPTIONS] PATH | URL | -",
                "Start a build",
            )
        } else {
            usage_error(
                "build",
                "exactly 1 argument",
                "[OPTIONS] PATH | URL | -",
                "Build an image from a Dockerfile",
            )
        };
        return if buildkit {
            Output::fail(format!("ERROR: {}", out.stderr))
        } else {
            out
        };
    }
    let mut tags = Vec::new();
    for tag in &flags.tags {
        match parse_image_ref(tag) {
            Ok(r) if r.digest.is_none() => tags.push(r),
            Ok(_) => return fail(format!("invalid tag {tag:?}: invalid reference format")),
            Err(e) => {
                let text = e.to_string();
                let reason = text
                    .strip_prefix("invalid reference format: ")
                    .unwrap_or(&text);
                let reason = match reason.find("repository name (") {
                    Some(_) if reason.ends_with("must be lowercase") => {
                        "repository name must be lowercase"
                    }
                    _ => reason,
                };
                return fail(format!("invalid tag {tag:?}: {reason}"));
            }
        }
    }
    let dir = file_key(&flags.context[0]);
    let files = inv.files;
    let context = context_files(files, &dir);
    if dir != "." && context.is_empty() {
        return fail(format!(
            "unable to prepare context: path {:?} not found",
            flags.context[0]
        ));
    }
    let (dockerfile_name, dockerfile_key) = match &flags.file {
        Some(f) => (f.clone(), file_key(f)),
        None if dir == "." => ("Dockerfile".to_string(), "Dockerfile".to_string()),
        None => ("Dockerfile".to_string(), format!("{dir}/Dockerfile")),
    };
    let Some(text) = files.get(&dockerfile_key) else {
        return if buildkit {
            fail(format!("failed to build: failed to solve: failed to read dockerfile: open {dockerfile_name}: no such file or directory"))
        } else {
            let absolute = if dockerfile_key.starts_with('/') {
                dockerfile_key.clone()
            } else {
                format!("/root/{dockerfile_key}")
            };
            fail(format!("unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat {absolute}: no such file or directory"))
        };
    };
    let mut report = Report::new(buildkit, &dockerfile_name, text);
    let instructions = match dockerfile::parse(text) {
        Ok(i) if i.is_empty() => {
            return report.fail_early(
                if buildkit {
                    "the Dockerfile cannot be empty".to_string()
                } else {
                    format!("the Dockerfile ({dockerfile_name}) cannot be empty")
                },
                None,
            )
        }
        Ok(i) => i,
        Err(e) => return report.fail_early(e.to_string(), Some(e.line)),
    };

    let engine = state.docker.entry(state.host.clone()).or_default();
    let empty = BTreeSet::new();
    let cache = if flags.no_cache {
        &empty
    } else {
        &engine.build_cache
    };
    let prefix = if dir == "." {
        String::new()
    } else {
        format!("{dir}/")
    };
    let read = |p: &str| files.get(&format!("{prefix}{p}")).cloned();
    let registries = registries.borrow();
    let local = runtime.borrow();
    let resolve = |r: &ImageRef| match local.images().find(&r.to_string()) {
        Some(record) => Ok(record.spec.clone()),
        None => registries.resolve(r).cloned(),
    };
    let result = build::build(&BuildInput {
        instructions: &instructions,
        read_context: &read,
        context_files: &context,
        resolve_base: &resolve,
        cache,
        now_unix_seconds: backend.unix_seconds(),
    });
    let context_bytes: u64 = context
        .iter()
        .filter_map(|p| read(p))
        .map(|t| t.len() as u64)
        .sum();
    let built = match result {
        Ok(b) => b,
        Err(e) => {
            drop(local);
            return report.fail_build(&e, &instructions, context_bytes, context.len());
        }
    };
    let base_layers = pulled_layers(&local, &built.base);
    let missing: Vec<(String, u64)> = base_layers
        .iter()
        .filter(|l| !l.cached)
        .map(|l| (l.digest.clone(), l.size_bytes))
        .collect();
    let base_local = local.images().find(&base_ref(&built).to_string()).is_some();
    drop(local);

    let now = backend.now_ticks();
    {
        let mut rt = runtime.borrow_mut();
        if !buildkit && !base_local {
            // The legacy builder pulls the base as an image of its own (`docker images` lists it).
            rt.load_image(&built.base, &base_ref(&built).to_string(), now);
        }
        for tag in &tags {
            rt.load_image(&built.image, &tag.to_string(), now);
        }
        if tags.is_empty() {
            // An untagged build: the image is `<none>:<none>`, found by its id.
            rt.load_image(&built.image, &format!("@{}", built.image.id), now);
        }
    }
    if let Some(engine) = state.docker.get_mut(&state.host) {
        engine
            .build_cache
            .extend(built.steps.iter().map(|s| s.cache_key.clone()));
    }
    let stdout = if flags.quiet {
        format!("{}\n", built.image.id)
    } else if buildkit {
        report.buildkit_success(&built, &missing, built.context_read_bytes, &tags)
    } else {
        report.classic_success(
            &built,
            &base_layers,
            base_local,
            tar_bytes(context_bytes, context.len()),
            &tags,
        )
    };
    // The trace: the base's layers (downloaded or already here), then the built ones.
    let mut layers = base_layers;
    layers.extend(built.steps.iter().filter_map(|step| {
        step.layer.as_ref().map(|l| LayerPull {
            digest: l.digest.clone(),
            size_bytes: l.size_bytes,
            cached: step.cached,
        })
    }));
    let image = tags
        .first()
        .map_or_else(|| built.image.id.clone(), ImageRef::to_string);
    transfer(backend, ImageAction::Build, &image, &state.host, layers);
    Output {
        stdout,
        stderr: report.stderr,
        ..Output::default()
    }
}

/// The base image's reference as the Dockerfile's FROM names it, normalized.
fn base_ref(built: &Built) -> ImageRef {
    let name = built.steps[0]
        .instruction
        .args
        .split_whitespace()
        .next()
        .unwrap_or("");
    parse_image_ref(name).unwrap_or_else(|_| ImageRef {
        domain: String::new(),
        path: built.base.repository.clone(),
        tag: None,
        digest: None,
    })
}

/// The text of one build, as BuildKit's tty display or the legacy builder prints it.
struct Report<'a> {
    buildkit: bool,
    dockerfile_name: &'a str,
    dockerfile: &'a str,
    /// BuildKit's vertices, in the order the display lists them.
    vertices: Vec<Vertex>,
    stderr: String,
}

/// One line of BuildKit's display (name, seconds) and its sub-lines.
type Vertex = (String, f64, Vec<(String, f64)>);

fn seconds(bytes: u64, per_second: u64) -> f64 {
    bytes as f64 / per_second as f64
}

fn progress_line(prefix: &str, text: &str, secs: f64) -> String {
    let time = format!("{secs:.1}s");
    let body = format!("{prefix}{text}");
    let width = PROGRESS_WIDTH.saturating_sub(time.len());
    if body.chars().count() + 1 >= width {
        format!("{body} {time}\n")
    } else {
        format!("{body:<width$}{time}\n")
    }
}

impl<'a> Report<'a> {
    fn new(buildkit: bool, dockerfile_name: &'a str, dockerfile: &'a str) -> Self {
        let mut report = Report {
            buildkit,
            dockerfile_name,
            dockerfile,
            vertices: Vec::new(),
            stderr: String::new(),
        };
        if buildkit {
            report.vertex(
                format!("[internal] load build definition from {dockerfile_name}"),
                0.0,
                vec![(
                    format!("transferring dockerfile: {}B", dockerfile.len()),
                    0.0,
                )],
            );
        } else {
            report.stderr.push_str("DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n            BuildKit is currently disabled; enable it by removing the DOCKER_BUILDKIT=0\n            environment-variable.\n\n");
        }
        report
    }

    fn vertex(&mut self, name: String, secs: f64, subs: Vec<(String, f64)>) {
        self.vertices.push((name, secs, subs));
    }

    fn render(&self) -> String {
        let total: f64 = self.vertices.iter().map(|v| v.1).sum();
        let n = self.vertices.len();
        let head = format!("[+] Building {total:.1}s ({n}/{n}) FINISHED");
        let driver = "docker:default";
        let pad = PROGRESS_WIDTH
            .saturating_sub(head.len() + driver.len())
            .max(1);
        let mut out = format!("{head}{}{driver}\n", " ".repeat(pad));
        for (name, secs, subs) in &self.vertices {
            out.push_str(&progress_line(" => ", name, *secs));
            for (text, s) in subs {
                out.push_str(&progress_line(" => => ", text, *s));
            }
        }
        out
    }

    /// The Dockerfile excerpt BuildKit prints under a failed build: the lines around `line`,
    /// the failing one marked `>>>`.
    fn excerpt(&self, line: usize, end_line: usize) -> String {
        let lines: Vec<&str> = self.dockerfile.lines().collect();
        let first = line.saturating_sub(4).max(1);
        let last = (end_line + 2).min(lines.len());
        let mut out = format!("{}:{line}\n--------------------\n", self.dockerfile_name);
        for n in first..=last {
            let marker = if (line..=end_line).contains(&n) {
                ">>> "
            } else {
                "    "
            };
            let text = lines.get(n - 1).copied().unwrap_or("");
            out.push_str(&format!("{n:>4} | {marker}{text}\n").replace("|     \n", "|\n"));
        }
        out.push_str("--------------------\n");
        out
    }

    /// A Dockerfile that does not parse (or has no stage): nothing was built.
    fn fail_early(mut self, message: String, line: Option<usize>) -> Output {
        if !self.buildkit {
            let mut out = Output::fail(format!("Error response from daemon: {message}\n"));
            out.stderr = format!("{}{}", self.stderr, out.stderr);
            return out;
        }
        self.vertex(
            "[internal] load .dockerignore".into(),
            0.0,
            vec![("transferring context: 2B".into(), 0.0)],
        );
        let mut stdout = self.render();
        if let Some(line) = line {
            stdout.push_str(&self.excerpt(line, line));
        }
        solve_failure(stdout, &message)
    }

    fn fail_build(
        mut self,
        error: &BuildError,
        instructions: &[Instruction],
        context_bytes: u64,
        context_files: usize,
    ) -> Output {
        let at = instructions.iter().find(|i| i.line == error.line());
        let end_line = at.map_or(error.line(), |i| i.end_line);
        let text = at.map(Instruction::text).unwrap_or_default();
        let (buildkit_message, classic_message) = match error {
            BuildError::NoBuildStage { .. } => (
                "no build stage in current context".to_string(),
                "Error response from daemon: no build stage in current context".to_string(),
            ),
            BuildError::BadBase { message, .. } => (
                message.clone(),
                format!("Error response from daemon: {message}"),
            ),
            BuildError::Base { error, .. } => {
                let r = &error.reference;
                let reason = error.to_string();
                let reason = reason
                    .rsplit_once(&format!("failed to resolve reference \"{r}\": "))
                    .map_or(reason.clone(), |(_, tail)| tail.to_string());
                let familiar = parse_image_ref(r)
                    .map(|x| x.familiar_name())
                    .unwrap_or_else(|_| r.clone());
                (
                    format!(
                        "{}: failed to resolve source metadata for {r}: {reason}",
                        at.map(|i| i.args.clone()).unwrap_or_default()
                    ),
                    if error.is_not_found() {
                        format!(
                            "manifest for {} not found: manifest unknown: manifest unknown",
                            familiar_tag(r)
                        )
                    } else {
                        format!("pull access denied for {familiar}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied")
                    },
                )
            }
            BuildError::MissingFile { path, .. } => {
                let seed = sha256_hex(&format!("ref {}", self.dockerfile));
                let reference = format!(
                    "{}-{}-{}-{}-{}::{}",
                    &seed[0..8],
                    &seed[8..12],
                    &seed[12..16],
                    &seed[16..20],
                    &seed[20..32],
                    base36(&seed[32..])
                );
                (
                    format!("failed to compute cache key: failed to calculate checksum of ref {reference}: {path:?}: not found"),
                    format!(
                        "{} failed: file not found in build context or excluded by .dockerignore: stat {}: file does not exist",
                        at.map_or("COPY", |i| i.keyword.name()),
                        path.trim_start_matches('/')
                    ),
                )
            }
        };
        if !self.buildkit {
            let mut stdout = format!(
                "Sending build context to Docker daemon  {}\n",
                human_size_with_precision(tar_bytes(context_bytes, context_files), 4)
            );
            let total = instructions.len();
            if let Some(i) = at {
                let n = instructions
                    .iter()
                    .position(|x| x.line == i.line)
                    .unwrap_or(0)
                    + 1;
                if !matches!(error, BuildError::NoBuildStage { .. }) {
                    stdout.push_str(&format!("Step {n}/{total} : {text}\n"));
                }
            }
            return Output {
                stdout,
                stderr: format!("{}{classic_message}\n", self.stderr),
                exit_code: 1,
                ..Output::default()
            };
        }
        self.vertex(
            "[internal] load .dockerignore".into(),
            0.0,
            vec![("transferring context: 2B".into(), 0.0)],
        );
        let mut detail = String::new();
        match error {
            BuildError::Base { error, .. } => {
                self.vertex(
                    format!("ERROR [internal] load metadata for {}", error.reference),
                    0.6,
                    Vec::new(),
                );
            }
            BuildError::MissingFile { step, .. } => {
                let numbered = instructions
                    .iter()
                    .filter(|i| i.keyword.makes_layer())
                    .count()
                    + 1;
                let from = instructions
                    .iter()
                    .rfind(|i| i.keyword == Keyword::From)
                    .map(|i| i.args.clone())
                    .unwrap_or_default();
                self.vertex(
                    format!(
                        "[internal] load metadata for {}",
                        parse_image_ref(from.split_whitespace().next().unwrap_or(""))
                            .map(|r| r.to_string())
                            .unwrap_or(from.clone())
                    ),
                    0.6,
                    Vec::new(),
                );
                self.vertex(
                    "[internal] load build context".into(),
                    0.0,
                    vec![(format!("transferring context: {context_bytes}B"), 0.0)],
                );
                let name = format!("[{step}/{numbered}] {text}");
                self.vertex(format!("ERROR {name}"), 0.0, Vec::new());
                detail = format!("------\n > {name}:\n------\n");
            }
            _ => {}
        }
        let mut stdout = self.render();
        stdout.push_str(&detail);
        stdout.push_str(&self.excerpt(error.line(), end_line));
        solve_failure(stdout, &buildkit_message)
    }

    fn buildkit_success(
        &mut self,
        built: &Built,
        missing: &[(String, u64)],
        context_bytes: u64,
        tags: &[ImageRef],
    ) -> String {
        let base = base_ref(built);
        let base_name = ImageRef {
            digest: None,
            ..base.clone()
        }
        .to_string();
        self.vertex(
            format!("[internal] load metadata for {base_name}"),
            0.6,
            Vec::new(),
        );
        self.vertex(
            "[internal] load .dockerignore".into(),
            0.0,
            vec![("transferring context: 2B".into(), 0.0)],
        );
        let numbered = built
            .steps
            .iter()
            .filter(|s| s.instruction.keyword.makes_layer())
            .count()
            + 1;
        let pinned = format!("{base_name}@{}", built.base.manifest_digest);
        let mut subs = vec![(format!("resolve {pinned}"), 0.0)];
        let mut pull_secs = 0.0;
        for (digest, bytes) in missing {
            let s = seconds(*bytes, DEFAULT_BANDWIDTH_BYTES_PER_SECOND);
            pull_secs += s;
            let size = human_size_with_precision(*bytes, 4);
            subs.push((format!("{digest} {size} / {size}"), s));
        }
        for (digest, bytes) in missing {
            let s = seconds(*bytes, EXTRACT_BYTES_PER_SECOND);
            pull_secs += s;
            subs.push((format!("extracting {digest}"), s));
        }
        self.vertex(format!("[1/{numbered}] FROM {pinned}"), pull_secs, subs);
        let mut context_sent = false;
        let mut number = 1;
        for step in &built.steps[1..] {
            let keyword = step.instruction.keyword;
            if !keyword.makes_layer() {
                continue;
            }
            number += 1;
            if matches!(keyword, Keyword::Add | Keyword::Copy) && !context_sent {
                context_sent = true;
                self.vertex(
                    "[internal] load build context".into(),
                    0.0,
                    vec![(format!("transferring context: {context_bytes}B"), 0.0)],
                );
            }
            let name = format!("[{number}/{numbered}] {}", step.instruction.text());
            if step.cached {
                self.vertex(format!("CACHED {name}"), 0.0, Vec::new());
            } else {
                let secs = if keyword == Keyword::Run { 0.4 } else { 0.1 };
                self.vertex(name, secs, Vec::new());
            }
        }
        let mut subs = vec![
            ("exporting layers".to_string(), 0.0),
            (format!("writing image {}", built.image.id), 0.0),
        ];
        for tag in tags {
            subs.push((format!("naming to {tag}"), 0.0));
        }
        self.vertex("exporting to image".into(), 0.1, subs);
        self.render()
    }

    fn classic_success(
        &mut self,
        built: &Built,
        base_layers: &[LayerPull],
        base_local: bool,
        context_bytes: u64,
        tags: &[ImageRef],
    ) -> String {
        let total = built.steps.len();
        let mut out = format!(
            "Sending build context to Docker daemon  {}\n",
            human_size_with_precision(context_bytes, 4)
        );
        for (n, step) in built.steps.iter().enumerate() {
            out.push_str(&format!(
                "Step {}/{total} : {}\n",
                n + 1,
                step.instruction.text()
            ));
            if n == 0 {
                if !base_local {
                    let base = base_ref(built);
                    let tag = base.tag_or_latest().unwrap_or("latest");
                    out.push_str(&format!("{tag}: Pulling from {}\n", base.path));
                    out.push_str(&pull_lines(base_layers));
                    out.push_str(&format!(
                        "Digest: {}\nStatus: Downloaded newer image for {}\n",
                        built.base.manifest_digest,
                        familiar(&base)
                    ));
                }
                out.push_str(&format!(" ---> {}\n", short(&step.image_id, 12)));
                continue;
            }
            if step.cached {
                out.push_str(" ---> Using cache\n");
            } else if !matches!(step.instruction.keyword, Keyword::Add | Keyword::Copy) {
                let container = short(&build::container_id(&step.cache_key), 12);
                out.push_str(&format!(" ---> Running in {container}\n ---> Removed intermediate container {container}\n"));
            }
            out.push_str(&format!(" ---> {}\n", short(&step.image_id, 12)));
        }
        out.push_str(&format!(
            "Successfully built {}\n",
            short(&built.image.id, 12)
        ));
        for tag in tags {
            out.push_str(&format!("Successfully tagged {}\n", familiar(tag)));
        }
        out
    }
}

/// A BuildKit build that failed: its display so far, and the error line.
fn solve_failure(stdout: String, message: &str) -> Output {
    Output {
        stdout,
        stderr: format!("ERROR: failed to build: failed to solve: {message}\n"),
        exit_code: 1,
        ..Output::default()
    }
}

/// `nginx:9.9` from `docker.io/library/nginx:9.9`.
fn familiar_tag(reference: &str) -> String {
    parse_image_ref(reference)
        .map(|r| familiar(&r))
        .unwrap_or_else(|_| reference.to_string())
}

/// BuildKit's session ids are 25 characters of base 36.
fn base36(hex: &str) -> String {
    hex.bytes()
        .take(25)
        .map(|b| char::from(b"0123456789abcdefghijklmnopqrstuvwxyz"[(b as usize * 7) % 36]))
        .collect()
}

/// The size of the context's tar: a 512-byte header per file, contents in 512-byte blocks,
/// and the two zero blocks at the end.
fn tar_bytes(content_bytes: u64, files: usize) -> u64 {
    let blocks = content_bytes.div_ceil(512) + files as u64;
    blocks * 512 + 1024
}

// ------------------------------------------------------------------ login, push, pull

/// What moving an image's layers costs: a trace event saying which layers moved and which the
/// destination had, and the clock moved on by the bytes that moved at the VM's bandwidth.
pub(super) fn transfer(
    backend: &mut dyn Backend,
    action: ImageAction,
    image: &str,
    host: &str,
    layers: Vec<LayerPull>,
) {
    let moved_bytes: u64 = layers
        .iter()
        .filter(|l| !l.cached)
        .map(|l| l.size_bytes)
        .sum();
    if let Some(cluster) = backend.cluster_mut() {
        cluster.note_image(action, image, host, layers);
    }
    let ticks = moved_bytes * TICKS_PER_SECOND / DEFAULT_BANDWIDTH_BYTES_PER_SECOND;
    if ticks > 0 {
        backend.advance(ticks);
    }
}

/// Where `docker login` with no server logs in, as the CLI names it.
const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";

fn login(args: &[String], state: &mut NodeState) -> Output {
    let mut user = None;
    let mut password = None;
    let mut password_stdin = false;
    let mut server = None;
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        let (name, inline) = split_flag(arg);
        let mut take = || {
            flag_value(args, &mut i, name, inline.clone())
                .map_err(|e| Output::fail(format!("{e}\nSee 'docker login --help'.\n")))
        };
        match name {
            "-u" | "--username" => match take() {
                Ok(v) => user = Some(v),
                Err(out) => return out,
            },
            "-p" | "--password" => match take() {
                Ok(v) => password = Some(v),
                Err(out) => return out,
            },
            "--password-stdin" => password_stdin = true,
            n if n.starts_with('-') => {
                return Output::fail(format!("unknown flag: {n}\nSee 'docker login --help'.\n"))
            }
            _ if server.is_none() => server = Some(arg.clone()),
            _ => return usage_error(
                "login",
                "at most 1 argument",
                "[OPTIONS] [SERVER]",
                "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
            ),
        }
    }
    if password_stdin {
        // The shell gives `docker` no standard input of its own; a password piped in is taken
        // as given.
        password = Some("stdin".to_string());
    }
    let mut out = Output::default();
    if password.is_some() && !password_stdin {
        out.stderr
            .push_str("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    }
    let (Some(user), Some(_)) = (user, password) else {
        out.stderr
            .push_str("Error: Cannot perform an interactive login from a non TTY device\n");
        out.exit_code = 1;
        return out;
    };
    let domain = match server.as_deref() {
        None
        | Some("docker.io" | "index.docker.io" | "registry-1.docker.io" | DOCKER_HUB_SERVER) => {
            "docker.io".to_string()
        }
        Some(s) => s
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string(),
    };
    if !KNOWN_REGISTRY_HOSTS.contains(&domain.as_str()) {
        out.stderr.push_str(&format!("Error response from daemon: Get \"https://{domain}/v2/\": dial tcp: lookup {domain} on 127.0.0.53:53: no such host\n"));
        out.exit_code = 1;
        return out;
    }
    state
        .docker
        .entry(state.host.clone())
        .or_default()
        .logins
        .insert(domain, user);
    out.stderr.push_str("WARNING! Your credentials are stored unencrypted in '/root/.docker/config.json'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n");
    out.stdout.push_str("Login Succeeded\n");
    out
}

fn logout(args: &[String], state: &mut NodeState) -> Output {
    let server = args.iter().find(|a| !a.starts_with('-'));
    let (domain, shown) = match server.map(String::as_str) {
        None | Some("docker.io") => ("docker.io".to_string(), DOCKER_HUB_SERVER.to_string()),
        Some(s) => (s.to_string(), s.to_string()),
    };
    let engine = state.docker.entry(state.host.clone()).or_default();
    if engine.logins.remove(&domain).is_some() {
        Output::ok(format!("Removing login credentials for {shown}\n"))
    } else {
        Output::ok(format!("Not logged in to {shown}\n"))
    }
}

/// May the VM's logged-in user push to `target`? Docker Hub: only to their own namespace;
/// the course's hub.example.com is an open lab registry.
fn may_push(state: &NodeState, target: &ImageRef) -> bool {
    if target.domain != "docker.io" {
        return true;
    }
    let namespace = target.path.split('/').next().unwrap_or("");
    state
        .docker
        .get(&state.host)
        .and_then(|e| e.logins.get("docker.io"))
        .is_some_and(|user| user == namespace)
}

fn push(
    args: &[String],
    state: &NodeState,
    runtime: &Runtime,
    registries: &mut Registries,
) -> (Output, Option<(String, Vec<LayerPull>)>) {
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let [name] = names.as_slice() else {
        let usage = usage_error(
            "push",
            "exactly 1 argument",
            "[OPTIONS] NAME[:TAG]",
            "Upload an image to a registry",
        );
        return (usage, None);
    };
    let target = match parse_image_ref(name) {
        Ok(r) => r,
        Err(_) => return (Output::fail("invalid reference format\n"), None),
    };
    let mut out = Output::default();
    if !names_tag(name) {
        out.stdout.push_str("Using default tag: latest\n");
    }
    out.stdout.push_str(&format!(
        "The push refers to repository [{}]\n",
        target.name()
    ));
    let Some(spec) = runtime
        .images()
        .find(&target.to_string())
        .map(|r| r.spec.clone())
    else {
        out.stderr.push_str(&format!(
            "An image does not exist locally with the tag: {}\n",
            target.familiar_name()
        ));
        out.exit_code = 1;
        return (out, None);
    };
    if !KNOWN_REGISTRY_HOSTS.contains(&target.domain.as_str()) {
        out.stderr.push_str(&format!(
            "Get \"https://{0}/v2/\": dial tcp: lookup {0} on 127.0.0.53:53: no such host\n",
            target.domain
        ));
        out.exit_code = 1;
        return (out, None);
    }
    if !may_push(state, &target) {
        for layer in spec.layers.iter().rev() {
            out.stdout
                .push_str(&format!("{}: Preparing\n", short(&layer.digest, 12)));
        }
        out.stderr
            .push_str("denied: requested access to the resource is denied\n");
        out.exit_code = 1;
        return (out, None);
    }
    let pushed = registries.push_image(&spec, &target);
    for layer in pushed.layers.iter().rev() {
        let state = if layer.existed {
            "Layer already exists"
        } else {
            "Pushed"
        };
        out.stdout
            .push_str(&format!("{}: {state} \n", short(&layer.digest, 12)));
    }
    out.stdout.push_str(&format!(
        "{}: digest: {} size: {}\n",
        target.tag_or_latest().unwrap_or("latest"),
        pushed.manifest_digest,
        pushed.manifest_bytes
    ));
    let layers = pushed
        .layers
        .iter()
        .map(|l| LayerPull {
            digest: l.digest.clone(),
            size_bytes: l.size_bytes,
            cached: l.existed,
        })
        .collect();
    (out, Some((target.to_string(), layers)))
}

/// Did the user name a tag or digest (`kubia:v1`, `x@sha256:...`; not `localhost:5000/x`)?
fn names_tag(name: &str) -> bool {
    name.contains('@')
        || name
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'))
}

fn pull(
    args: &[String],
    host: &str,
    runtime: &Rc<RefCell<Runtime>>,
    registries: &Registries,
    backend: &mut dyn Backend,
) -> Output {
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let [name] = names.as_slice() else {
        return usage_error(
            "pull",
            "exactly 1 argument",
            "[OPTIONS] NAME[:TAG|@DIGEST]",
            "Download an image from a registry",
        );
    };
    let reference = match parse_image_ref(name) {
        Ok(r) => r,
        Err(e) => {
            return Output::fail(format!("invalid reference format: {e}\n").replace(
                "invalid reference format: invalid reference format",
                "invalid reference format",
            ))
        }
    };
    let mut out = Output::default();
    if !names_tag(name) {
        out.stdout.push_str("Using default tag: latest\n");
    }
    let spec = match registries.resolve(&reference) {
        Ok(spec) => spec.clone(),
        Err(error) => {
            let text = match &error.kind {
                PullErrorKind::NotFound => format!("manifest for {} not found: manifest unknown: manifest unknown", familiar(&reference)),
                PullErrorKind::NoSuchHost { host, .. } => format!("Get \"https://{}/v2/\": dial tcp: lookup {host} on 127.0.0.53:53: no such host", reference.domain),
                _ => format!("pull access denied for {}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", reference.familiar_name()),
            };
            out.stderr
                .push_str(&format!("Error response from daemon: {text}\n"));
            out.exit_code = 1;
            return out;
        }
    };
    let tag = reference.tag_or_latest().unwrap_or("latest").to_string();
    let familiar_ref = familiar(&reference);
    let mut rt = runtime.borrow_mut();
    let up_to_date = rt
        .images()
        .find(&reference.to_string())
        .is_some_and(|r| r.id == spec.id);
    if up_to_date {
        out.stdout.push_str(&format!("{tag}: Pulling from {}\nDigest: {}\nStatus: Image is up to date for {familiar_ref}\n{reference}\n", reference.path, spec.manifest_digest));
        return out;
    }
    out.stdout
        .push_str(&format!("{tag}: Pulling from {}\n", reference.path));
    let layers = pulled_layers(&rt, &spec);
    out.stdout.push_str(&pull_lines(&layers));
    out.stdout.push_str(&format!(
        "Digest: {}\nStatus: Downloaded newer image for {familiar_ref}\n{reference}\n",
        spec.manifest_digest
    ));
    let now = backend.now_ticks();
    rt.load_image(&spec, &reference.to_string(), now);
    drop(rt);
    transfer(
        backend,
        ImageAction::Pull,
        &reference.to_string(),
        host,
        layers,
    );
    out
}

/// `docker pull`'s final line per layer: `Already exists` or `Pull complete` (with the
/// trailing space the progress display leaves).
pub(super) fn pull_lines(layers: &[LayerPull]) -> String {
    layers
        .iter()
        .map(|l| {
            let state = if l.cached {
                "Already exists"
            } else {
                "Pull complete"
            };
            format!("{}: {state} \n", short(&l.digest, 12))
        })
        .collect()
}

/// An image's layers, each `cached` when the VM's store has it already.
pub(super) fn pulled_layers(runtime: &Runtime, spec: &ImageSpec) -> Vec<LayerPull> {
    spec.layers
        .iter()
        .map(|l| LayerPull {
            digest: l.digest.clone(),
            size_bytes: l.size_bytes,
            cached: runtime.images().layer(&l.digest).is_some(),
        })
        .collect()
}

// ------------------------------------------------------------------ history, tag, rmi, inspect

fn history(args: &[String], runtime: &Runtime, now_unix: i64) -> Output {
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let [name] = names.as_slice() else {
        return usage_error(
            "history",
            "exactly 1 argument",
            "[OPTIONS] IMAGE",
            "Show the history of an image",
        );
    };
    let no_trunc = args.iter().any(|a| a == "--no-trunc");
    let Some(image) = find_image(runtime, name) else {
        return no_such_image(name);
    };
    let mut rows = vec![["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]
        .map(String::from)
        .to_vec()];
    for (i, entry) in image.history.iter().rev().enumerate() {
        let id = if i == 0 {
            short(&image.id, 12)
        } else {
            "<missing>".to_string()
        };
        let age = (now_unix - entry.created_unix_seconds).max(0) as u64 * TICKS_PER_SECOND;
        let created_by = if no_trunc || entry.created_by.chars().count() <= 45 {
            entry.created_by.clone()
        } else {
            let cut: String = entry.created_by.chars().take(44).collect();
            format!("{cut}…")
        };
        rows.push(vec![
            id,
            format!("{} ago", human_duration(age)),
            created_by,
            human_size(entry.size_bytes),
            entry.comment.clone(),
        ]);
    }
    Output::ok(tabwrite(&rows, 10, 3))
}

fn tag(args: &[String], runtime: &mut Runtime, now: Ticks) -> Output {
    let [source, target] = args else {
        return usage_error(
            "tag",
            "exactly 2 arguments",
            "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
            "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
        );
    };
    let target_ref =
        match parse_image_ref(target) {
            Ok(r) if r.digest.is_none() => r,
            Ok(_) => return Output::fail(
                "Error response from daemon: refusing to create a tag with a digest reference\n",
            ),
            Err(e) => {
                return Output::fail(format!(
                    "Error parsing reference: {target:?} is not a valid repository/tag: {e}\n"
                ))
            }
        };
    let Some(image) = find_image(runtime, source).cloned() else {
        return no_such_image(source);
    };
    runtime.load_image(&image, &target_ref.to_string(), now);
    Output::default()
}

fn rmi(args: &[String], runtime: &mut Runtime) -> Output {
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if names.is_empty() {
        return usage_error(
            "rmi",
            "at least 1 argument",
            "[OPTIONS] IMAGE [IMAGE...]",
            "Remove one or more images",
        );
    }
    let mut out = Output::default();
    for name in names {
        let by_ref = parse_image_ref(name)
            .ok()
            .map(|r| r.to_string())
            .filter(|r| runtime.images().find(r).is_some());
        let result = match by_ref {
            Some(reference) => runtime
                .untag_image(&reference)
                .map(|(id, deleted)| (vec![reference], id, deleted)),
            None => match find_image(runtime, name).map(|s| s.id.clone()) {
                Some(id) => {
                    let tags: Vec<String> = runtime
                        .images()
                        .find(&id)
                        .map(|r| r.repo_tags.iter().cloned().collect())
                        .unwrap_or_default();
                    if tags.len() > 1 {
                        out.stderr.push_str(&format!("Error response from daemon: conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories\n", short(&id, 12)));
                        out.exit_code = 1;
                        continue;
                    }
                    if tags.is_empty() {
                        // `<none>`: nothing to untag, the image goes.
                        let deleted = runtime.remove_image(&id).is_ok();
                        Some((tags, id, deleted))
                    } else {
                        let mut last = None;
                        for t in &tags {
                            last = runtime.untag_image(t);
                        }
                        last.map(|(id, deleted)| (tags, id, deleted))
                    }
                }
                None => None,
            },
        };
        match result {
            Some((untagged, id, deleted)) => {
                for reference in untagged {
                    out.stdout
                        .push_str(&format!("Untagged: {}\n", familiar_tag(&reference)));
                }
                if deleted {
                    out.stdout.push_str(&format!("Deleted: {id}\n"));
                }
            }
            None => {
                let err = no_such_image(name);
                out.stderr.push_str(&err.stderr);
                out.exit_code = 1;
            }
        }
    }
    out
}

fn inspect(args: &[String], runtime: &Runtime) -> Output {
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if names.is_empty() {
        return usage_error(
            "inspect",
            "at least 1 argument",
            "[OPTIONS] NAME|ID [NAME|ID...]",
            "Return low-level information on Docker objects",
        );
    }
    let mut found = Vec::new();
    let mut out = Output::default();
    for name in names {
        let Some(spec) = find_image(runtime, name) else {
            out.stderr
                .push_str(&format!("Error: No such object: {name}\n"));
            out.exit_code = 1;
            continue;
        };
        let record = runtime.images().find(&spec.id);
        let tags: Vec<String> = record
            .map(|r| r.repo_tags.iter().map(|t| familiar_tag(t)).collect())
            .unwrap_or_default();
        let ports: BTreeMap<String, BTreeMap<String, String>> = spec
            .exposed_ports
            .iter()
            .map(|p| (format!("{p}/tcp"), BTreeMap::new()))
            .collect();
        let labels: BTreeMap<String, String> = spec.labels.iter().cloned().collect();
        let built_here = spec.history.iter().any(|h| !h.comment.is_empty());
        found.push(InspectImage {
            id: spec.id.clone(),
            repo_tags: tags,
            repo_digests: Vec::new(),
            comment: if built_here {
                build::BUILDKIT_COMMENT
            } else {
                ""
            }
            .to_string(),
            created: crate::sim::clock::rfc3339_from_unix(spec.created_unix_seconds),
            config: InspectConfig {
                user: spec.user.clone(),
                exposed_ports: (!ports.is_empty()).then_some(ports),
                env: spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                cmd: (!spec.cmd.is_empty()).then(|| spec.cmd.clone()),
                working_dir: spec.working_dir.clone(),
                entrypoint: (!spec.entrypoint.is_empty()).then(|| spec.entrypoint.clone()),
                labels: (!labels.is_empty()).then_some(labels),
            },
            architecture: "amd64",
            os: "linux",
            size: spec.unpacked_bytes,
            root_fs: InspectRootFs {
                kind: "layers",
                layers: spec.layers.iter().map(|l| l.digest.clone()).collect(),
            },
        });
    }
    let mut bytes = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, formatter);
    if found.serialize(&mut serializer).is_ok() {
        out.stdout = format!("{}\n", String::from_utf8_lossy(&bytes));
    }
    out
}

/// `docker inspect IMAGE`'s fields, in the Engine API's order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InspectImage {
    id: String,
    repo_tags: Vec<String>,
    repo_digests: Vec<String>,
    comment: String,
    created: String,
    config: InspectConfig,
    architecture: &'static str,
    os: &'static str,
    size: u64,
    #[serde(rename = "RootFS")]
    root_fs: InspectRootFs,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InspectConfig {
    user: String,
    exposed_ports: Option<BTreeMap<String, BTreeMap<String, String>>>,
    env: Vec<String>,
    cmd: Option<Vec<String>>,
    working_dir: String,
    entrypoint: Option<Vec<String>>,
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InspectRootFs {
    #[serde(rename = "Type")]
    kind: &'static str,
    layers: Vec<String>,
}
