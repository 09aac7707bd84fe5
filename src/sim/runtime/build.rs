//! `docker build`: a Dockerfile and a build context turned into an image of layers.
//!
//! ```text
//!   FROM node:7              base: the registry's manifest, its layers reused as they are
//!   ADD app.js /app.js       layer: digest = SHA-256 of the files it adds (path, size, bytes)
//!   ENTRYPOINT [...]         config only: a history entry marked empty_layer
//!
//!   cache key(step n) = SHA-256(cache key(step n-1), instruction, digest of files it reads)
//!   a key the engine has seen before is "CACHED" / " ---> Using cache"
//! ```
//! The same Dockerfile and files give the same layers and the same image id; changing `app.js`
//! changes the ADD layer and every cache key after it, and nothing before it.
//!
//! Mirrors: the Dockerfile-to-image conversion of buildkit's dockerfile2llb and moby's classic
//! builder (layers only for ADD/COPY/RUN/WORKDIR; ENV, CMD, ENTRYPOINT, EXPOSE, LABEL, USER in
//! the config), image ids as the digest of the config, layer digests of the content.
//! Simplified: RUN does not execute: its layer digest comes from its cache key and its size is
//! drawn from that digest (a few kB); no .dockerignore, globs or remote ADD sources; a layer's
//! "compressed" size is its files' size; the image's config has no creation time, so a rebuild
//! from scratch gives the same id as a cached one.

use std::collections::{BTreeMap, BTreeSet};

use super::apps::AppKind;
use super::digest::{digest_of, sha256_hex};
use super::dockerfile::{Instruction, Keyword};
use super::reference::{parse_image_ref, ImageRef};
use super::registry::{HistoryEntry, ImageSpec, Layer, PullError};

/// What a build reads from outside the Dockerfile.
pub struct BuildInput<'a> {
    pub instructions: &'a [Instruction],
    /// A file of the build context by its path relative to the context directory.
    pub read_context: &'a dyn Fn(&str) -> Option<String>,
    /// Every file of the context (for `COPY . /app`), relative paths, sorted.
    pub context_files: &'a [String],
    /// The base image's manifest and config, as the registry (or the local store) has it.
    pub resolve_base: &'a dyn Fn(&ImageRef) -> Result<ImageSpec, PullError>,
    /// Cache keys of steps this engine has built before.
    pub cache: &'a BTreeSet<String>,
    /// When the build runs, for the new layers' history.
    pub now_unix_seconds: i64,
}

/// One Dockerfile instruction's part in the build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub instruction: Instruction,
    pub cache_key: String,
    /// The engine had this step already: nothing was done.
    pub cached: bool,
    /// The layer this step added (ADD, COPY, RUN, WORKDIR).
    pub layer: Option<Layer>,
    /// The id of the image after this step (classic builder's ` ---> 3c8d7a1e3e0b`).
    pub image_id: String,
}

/// A finished build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Built {
    pub base: ImageSpec,
    pub steps: Vec<Step>,
    pub image: ImageSpec,
    /// Bytes of the context files ADD and COPY read (what BuildKit transfers).
    pub context_read_bytes: u64,
}

/// Why a build stopped; `Display` is the text after BuildKit's `ERROR: failed to solve: `.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// An instruction before the first FROM (or no FROM at all).
    NoBuildStage { line: usize },
    /// FROM names an image that cannot be resolved.
    Base { line: usize, error: PullError },
    /// FROM's argument is not a valid reference.
    BadBase { line: usize, message: String },
    /// ADD/COPY names a file the context does not have.
    MissingFile {
        line: usize,
        step: usize,
        path: String,
    },
}

impl BuildError {
    pub fn line(&self) -> usize {
        match self {
            BuildError::NoBuildStage { line }
            | BuildError::Base { line, .. }
            | BuildError::BadBase { line, .. }
            | BuildError::MissingFile { line, .. } => *line,
        }
    }
}

/// Builds the image. The caller adds the steps' cache keys to its cache afterwards.
pub fn build(input: &BuildInput<'_>) -> Result<Built, BuildError> {
    let instructions = input.instructions;
    let Some(first) = instructions.iter().position(|i| i.keyword != Keyword::Arg) else {
        return Err(BuildError::NoBuildStage {
            line: instructions.first().map_or(1, |i| i.line),
        });
    };
    // The last stage is the one built (`FROM a AS b ... FROM b`: earlier stages are skipped).
    let stage = instructions
        .iter()
        .rposition(|i| i.keyword == Keyword::From)
        .unwrap_or(first);
    if instructions[first].keyword != Keyword::From {
        return Err(BuildError::NoBuildStage {
            line: instructions[first].line,
        });
    }
    let from = &instructions[stage];
    let base_name = from.args.split_whitespace().next().unwrap_or("");
    let base_ref = parse_image_ref(base_name).map_err(|e| BuildError::BadBase {
        line: from.line,
        message: e.to_string(),
    })?;
    let base = (input.resolve_base)(&base_ref).map_err(|error| BuildError::Base {
        line: from.line,
        error,
    })?;

    let mut image = base.clone();
    image.tags = Vec::new();
    image.repository = String::new();
    if image.history.is_empty() {
        image.history = image
            .layers
            .iter()
            .map(|l| HistoryEntry::layer(&l.created_by, base.created_unix_seconds))
            .collect();
    }
    let mut workdir = "/".to_string();
    let mut added: BTreeMap<String, String> = BTreeMap::new();
    let mut key = base.id.clone();
    let mut steps = vec![Step {
        instruction: from.clone(),
        cache_key: key.clone(),
        cached: true,
        layer: None,
        image_id: base.id.clone(),
    }];
    let numbered = instructions[stage..]
        .iter()
        .filter(|i| i.keyword.makes_layer())
        .count()
        + 1;
    let mut step_number = 1;
    for instruction in &instructions[stage + 1..] {
        let mut content_digest = String::new();
        let mut layer = None;
        let created_by = format!("{} {}", instruction.keyword.name(), instruction.args);
        match instruction.keyword {
            Keyword::Add | Keyword::Copy => {
                step_number += 1;
                let files = context_files(instruction, &workdir, input).map_err(|path| {
                    BuildError::MissingFile {
                        line: instruction.line,
                        step: step_number,
                        path,
                    }
                })?;
                let mut tar = String::new();
                let mut size_bytes = 0u64;
                for (path, text) in &files {
                    tar.push_str(&format!("{path}\n{}\n{text}", text.len()));
                    size_bytes += text.len() as u64;
                }
                content_digest = digest_of(&tar);
                layer = Some(Layer {
                    digest: content_digest.clone(),
                    size_bytes,
                    created_by: format!("{created_by} # buildkit"),
                });
                added.extend(files);
            }
            Keyword::Run => {
                step_number += 1;
                let digest = digest_of(&format!("run {key} {}", instruction.args));
                let hex = digest.trim_start_matches("sha256:");
                let size_bytes = 512 + u64::from_str_radix(&hex[..4], 16).unwrap_or(0) % 8192;
                layer = Some(Layer {
                    digest,
                    size_bytes,
                    created_by: format!("RUN /bin/sh -c {} # buildkit", instruction.args),
                });
            }
            Keyword::Workdir => {
                step_number += 1;
                workdir = join(&workdir, &expand(&instruction.args, &image.env));
                image.working_dir = workdir.clone();
                layer = Some(Layer {
                    digest: digest_of(&format!("workdir {workdir}")),
                    size_bytes: 0,
                    created_by: created_by.clone(),
                });
            }
            Keyword::Env => {
                for (k, v) in instruction.pairs() {
                    let v = expand(&v, &image.env);
                    image.env.retain(|(old, _)| *old != k);
                    image.env.push((k, v));
                }
            }
            Keyword::Cmd => image.cmd = instruction.command_words(),
            Keyword::Entrypoint => {
                image.entrypoint = instruction.command_words();
                // Docker resets CMD when ENTRYPOINT is set in this stage.
                image.cmd = Vec::new();
            }
            Keyword::Expose => {
                for port in instruction.words() {
                    let number = port.split('/').next().unwrap_or("");
                    if let Ok(p) = number.parse::<u16>() {
                        if !image.exposed_ports.contains(&p) {
                            image.exposed_ports.push(p);
                        }
                    }
                }
            }
            Keyword::Label => {
                for (k, v) in instruction.pairs() {
                    image.labels.retain(|(old, _)| *old != k);
                    image.labels.push((k, v));
                }
            }
            Keyword::User => image.user = instruction.args.clone(),
            Keyword::StopSignal
            | Keyword::Arg
            | Keyword::Volume
            | Keyword::Maintainer
            | Keyword::From => {}
        }
        key = digest_of(&format!("{key}\n{}\n{content_digest}", instruction.text()));
        let history = HistoryEntry {
            created_by: match &layer {
                Some(l) => l.created_by.clone(),
                None => config_created_by(instruction, &image),
            },
            created_unix_seconds: input.now_unix_seconds,
            size_bytes: layer.as_ref().map_or(0, |l| l.size_bytes),
            empty_layer: layer.is_none(),
            comment: BUILDKIT_COMMENT.to_string(),
        };
        image.history.push(history);
        if let Some(l) = &layer {
            image.layers.push(l.clone());
            image.unpacked_bytes += l.size_bytes;
        }
        steps.push(Step {
            instruction: instruction.clone(),
            cached: input.cache.contains(&key),
            cache_key: key.clone(),
            layer,
            image_id: digest_of(&format!("image {key}")),
        });
    }
    debug_assert_eq!(step_number, numbered);
    let steps_len = steps.len();
    image.app = recognize_app(&image, &added).unwrap_or(base.app);
    if let Some(program) = image.entrypoint.iter().chain(&image.cmd).next() {
        image.program = program.rsplit('/').next().unwrap_or(program).to_string();
    }
    image.id = config_digest(&image);
    // The last step's image is the image itself.
    if let Some(last) = steps.last_mut().filter(|_| steps_len > 1) {
        last.image_id = image.id.clone();
    }
    image.manifest_digest = digest_of(&format!("manifest {}", image.id));
    image.created_unix_seconds = input.now_unix_seconds;
    let context_read_bytes = added.values().map(|t| t.len() as u64).sum();
    Ok(Built {
        base,
        steps,
        image,
        context_read_bytes,
    })
}

/// What `docker history` shows in COMMENT for a step BuildKit made.
pub const BUILDKIT_COMMENT: &str = "buildkit.dockerfile.v0";

/// CREATED BY of a step that changed only the config, as BuildKit writes it: Go's `%v` of the
/// values (`ENTRYPOINT ["node" "app.js"]`, `EXPOSE map[8080/tcp:{}]`).
fn config_created_by(instruction: &Instruction, image: &ImageSpec) -> String {
    let go_list = |words: &[String]| {
        let quoted: Vec<String> = words.iter().map(|w| format!("{w:?}")).collect();
        format!("[{}]", quoted.join(" "))
    };
    let name = instruction.keyword.name();
    match instruction.keyword {
        Keyword::Cmd => format!("CMD {}", go_list(&image.cmd)),
        Keyword::Entrypoint => format!("ENTRYPOINT {}", go_list(&image.entrypoint)),
        Keyword::Expose => {
            let ports: Vec<String> = instruction
                .words()
                .iter()
                .map(|p| {
                    if p.contains('/') {
                        format!("{p}:{{}}")
                    } else {
                        format!("{p}/tcp:{{}}")
                    }
                })
                .collect();
            format!("EXPOSE map[{}]", ports.join(" "))
        }
        _ => format!("{name} {}", instruction.args),
    }
}

/// The config's digest: what the image runs and the layers it has, and nothing else.
fn config_digest(image: &ImageSpec) -> String {
    let layers: Vec<&str> = image.layers.iter().map(|l| l.digest.as_str()).collect();
    let history: Vec<&str> = image
        .history
        .iter()
        .map(|h| h.created_by.as_str())
        .collect();
    digest_of(&format!(
        "config\nlayers={}\nenv={:?}\nentrypoint={:?}\ncmd={:?}\nworkdir={}\nuser={}\nports={:?}\nlabels={:?}\nhistory={}",
        layers.join(","),
        image.env,
        image.entrypoint,
        image.cmd,
        image.working_dir,
        image.user,
        image.exposed_ports,
        image.labels,
        history.join("\n"),
    ))
}

/// The files an ADD/COPY puts in the image: (absolute destination, text). Err names the first
/// source the context lacks, as BuildKit reports it (`/app.js`).
fn context_files(
    instruction: &Instruction,
    workdir: &str,
    input: &BuildInput<'_>,
) -> Result<BTreeMap<String, String>, String> {
    let words = instruction.words();
    let Some((dest, sources)) = words.split_last() else {
        return Ok(BTreeMap::new());
    };
    let dest_dir = dest.ends_with('/') || dest == "." || sources.len() > 1;
    let dest = join(workdir, dest);
    let mut files = BTreeMap::new();
    for source in sources {
        let clean = source.trim_start_matches("./").trim_end_matches('/');
        if clean.is_empty() || clean == "." {
            for path in input.context_files {
                if let Some(text) = (input.read_context)(path) {
                    files.insert(join(&dest, path), text);
                }
            }
            continue;
        }
        let Some(text) = (input.read_context)(clean) else {
            return Err(format!("/{clean}"));
        };
        let name = clean.rsplit('/').next().unwrap_or(clean);
        let target = if dest_dir {
            join(&dest, name)
        } else {
            dest.clone()
        };
        files.insert(target, text);
    }
    Ok(files)
}

/// The sandbox knows the course's programs by what they print: `app.js` of chapter 2 is the
/// kubia app (`You've hit <hostname>`), and its v2 and v3 of the rolling-update chapter.
fn recognize_app(image: &ImageSpec, added: &BTreeMap<String, String>) -> Option<AppKind> {
    let argv: Vec<&String> = image.entrypoint.iter().chain(&image.cmd).collect();
    let program = argv.first()?;
    if program.rsplit('/').next() != Some("node") {
        return None;
    }
    // `node` with a script this build added: the course's app, or one the sandbox cannot run.
    let script = argv.get(1)?;
    let text = added.get(&join(&image.working_dir, script))?;
    Some(course_app(text).unwrap_or(AppKind::Unsupported))
}

/// Which of the course's programs a script is, by what it answers.
fn course_app(text: &str) -> Option<AppKind> {
    if text.contains("This is v2 running in pod") {
        Some(AppKind::Kubia { version: 2 })
    } else if text.contains("This is v3 running in pod") {
        Some(AppKind::Kubia { version: 3 })
    } else if text.contains("I'm not well") {
        Some(AppKind::KubiaUnhealthy)
    } else if text.contains("You've hit") {
        Some(AppKind::Kubia { version: 1 })
    } else {
        None
    }
}

/// `$VAR` and `${VAR}` from the image's environment (Dockerfile substitution, no modifiers).
fn expand(text: &str, env: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, tail) = if let Some(braced) = after.strip_prefix('{') {
            match braced.split_once('}') {
                Some((n, t)) => (n, t),
                None => (braced, ""),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        if name.is_empty() {
            out.push('$');
        } else if let Some((_, v)) = env.iter().rev().find(|(k, _)| k == name) {
            out.push_str(v);
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// `path` resolved against `dir`, `.` and `..` folded, no trailing slash.
pub fn join(dir: &str, path: &str) -> String {
    let full = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{dir}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in full.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// A short hex id derived from `seed`, for the classic builder's intermediate containers.
pub fn container_id(seed: &str) -> String {
    sha256_hex(&format!("container {seed}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::runtime::dockerfile::parse;
    use crate::sim::runtime::Registries;

    const DOCKERFILE: &str = "FROM node:7\nADD app.js /app.js\nENTRYPOINT [\"node\", \"app.js\"]\n";
    const APP_JS: &str = "const http = require('http');\nconst os = require('os');\nvar handler = function(request, response) {\n  response.writeHead(200);\n  response.end(\"You've hit \" + os.hostname() + \"\\n\");\n};\nhttp.createServer(handler).listen(8080);\n";

    fn build_with(
        dockerfile: &str,
        app_js: &str,
        cache: &BTreeSet<String>,
    ) -> Result<Built, BuildError> {
        let registries = Registries::standard();
        let instructions = parse(dockerfile).expect("parses");
        let read = |p: &str| (p == "app.js").then(|| app_js.to_string());
        let resolve = |r: &ImageRef| registries.resolve(r).cloned();
        build(&BuildInput {
            instructions: &instructions,
            read_context: &read,
            context_files: &["app.js".to_string()],
            resolve_base: &resolve,
            cache,
            now_unix_seconds: 1_748_736_000,
        })
    }

    #[test]
    fn the_same_dockerfile_and_files_give_the_same_image_id() {
        let a = build_with(DOCKERFILE, APP_JS, &BTreeSet::new()).unwrap();
        let b = build_with(DOCKERFILE, APP_JS, &BTreeSet::new()).unwrap();
        assert_eq!(a.image.id, b.image.id);
        assert_eq!(a.image.layers, b.image.layers);
        assert_eq!(a.image.app, AppKind::Kubia { version: 1 });
        assert_eq!(a.image.entrypoint, vec!["node", "app.js"]);
    }

    #[test]
    fn changing_app_js_changes_only_the_last_layer() {
        let a = build_with(DOCKERFILE, APP_JS, &BTreeSet::new()).unwrap();
        let changed = APP_JS.replace("8080", "8081");
        let b = build_with(DOCKERFILE, &changed, &BTreeSet::new()).unwrap();
        let n = a.image.layers.len();
        assert_eq!(n, a.base.layers.len() + 1);
        assert_eq!(a.image.layers[..n - 1], b.image.layers[..n - 1]);
        assert_ne!(a.image.layers[n - 1].digest, b.image.layers[n - 1].digest);
        assert_ne!(a.image.id, b.image.id);
        assert_eq!(
            a.image.layers[n - 1].digest,
            digest_of(&format!("/app.js\n{}\n{APP_JS}", APP_JS.len()))
        );
    }

    #[test]
    fn a_rebuild_finds_every_step_in_the_cache() {
        let first = build_with(DOCKERFILE, APP_JS, &BTreeSet::new()).unwrap();
        assert!(first.steps[1..].iter().all(|s| !s.cached));
        let cache: BTreeSet<String> = first.steps.iter().map(|s| s.cache_key.clone()).collect();
        let again = build_with(DOCKERFILE, APP_JS, &cache).unwrap();
        assert!(again.steps.iter().all(|s| s.cached));
        let changed = build_with(DOCKERFILE, "console.log(1)\n", &cache).unwrap();
        assert_eq!(
            changed.steps.iter().map(|s| s.cached).collect::<Vec<_>>(),
            vec![true, false, false]
        );
    }

    #[test]
    fn bad_dockerfiles_name_their_line() {
        let missing = build_with(
            "FROM node:7\nCOPY nope.js /nope.js\n",
            APP_JS,
            &BTreeSet::new(),
        );
        assert_eq!(
            missing,
            Err(BuildError::MissingFile {
                line: 2,
                step: 2,
                path: "/nope.js".into()
            })
        );
        let no_from = build_with("ADD app.js /app.js\n", APP_JS, &BTreeSet::new()).unwrap_err();
        assert_eq!(no_from, BuildError::NoBuildStage { line: 1 });
        let no_base = build_with("FROM nodee:7\n", APP_JS, &BTreeSet::new()).unwrap_err();
        assert_eq!(no_base.line(), 1);
    }

    #[test]
    fn workdir_env_and_copy_dot_place_files() {
        let built = build_with(
            "FROM node:7\nENV APP=/srv\nWORKDIR $APP\nCOPY . .\nCMD node app.js\nEXPOSE 8080/tcp\nUSER node\nLABEL a=b\n",
            APP_JS,
            &BTreeSet::new(),
        )
        .unwrap();
        assert_eq!(built.image.working_dir, "/srv");
        assert_eq!(built.image.cmd, vec!["/bin/sh", "-c", "node app.js"]);
        assert_eq!(built.image.user, "node");
        assert!(built.image.exposed_ports.contains(&8080));
        assert_eq!(built.image.labels, vec![("a".to_string(), "b".to_string())]);
        assert_eq!(built.image.layers.len(), built.base.layers.len() + 2);
    }
}
