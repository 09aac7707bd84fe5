//! kubectl: argument parsing, the commands, and their output.
//!
//! Mirrors: kubectl v1.32's cobra/pflag command line (`--flag=value`, `--flag value`, `-n ns`,
//! `-n=ns`, `-nns`, flags before or after the command, `--` ends flags, per-command flag sets and
//! their error texts) and the `get`, `apply`, `create`, `delete`, `api-resources`, `version`
//! commands with their output lines (`deployment.apps/web created`, `pod "web" deleted`, ...);
//! `get` prints tables (`-o wide`, `-L`, `--show-labels`) or, as kubectl's `printGeneric`, one
//! object or one `List` through yaml/json/name/jsonpath/custom-columns, sorted by `--sort-by`.
//! Simplified: always the `kubernetes-admin` identity of kubeadm's admin.conf; no kubeconfig,
//! no watch (`-w`), no waiting for deletions (the shell lets the cluster settle after each line).

use serde_json::{json, Map, Value};

use super::apply::{original_of, three_way_patch, with_last_applied};
use super::errors::{api_error_text, api_error_text_from};
use super::printers::{sort_objects, sort_table_rows, template_printer};
use super::table::{header, row, tabwrite, TableOptions};
use super::yaml::{to_json, to_yaml};
use super::{Backend, Output};
use crate::sim::api::decode::{check_kind, decode_documents, DecodeErrorKind};
use crate::sim::api::resources::{by_kind, lookup, ResourceInfo, RESOURCES};
use crate::sim::apiserver::request::{
    ApiError, ApiRequest, Credentials, PatchType, StatusReason, Verb,
};
use crate::sim::sort::StableSort;

/// What a kubectl run can reach: the cluster, the heredoc body as stdin, and files.
pub struct Ctx<'a> {
    pub backend: &'a mut dyn Backend,
    pub stdin: Option<&'a str>,
    pub read_file: &'a dyn Fn(&str) -> Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Arity {
    Bool,
    Value,
    /// `--dry-run`: a value only with `=`; bare means the deprecated "client".
    OptionalValue,
}

struct FlagSpec {
    long: &'static str,
    short: Option<char>,
    arity: Arity,
    /// The commands that define this flag; empty: every command.
    commands: &'static [&'static str],
}

const GET: &str = "get";
const APPLY: &str = "apply";
const CREATE: &str = "create";
const DELETE: &str = "delete";

const FLAGS: &[FlagSpec] = &[
    FlagSpec {
        long: "namespace",
        short: Some('n'),
        arity: Arity::Value,
        commands: &[],
    },
    FlagSpec {
        long: "help",
        short: Some('h'),
        arity: Arity::Bool,
        commands: &[],
    },
    FlagSpec {
        long: "all-namespaces",
        short: Some('A'),
        arity: Arity::Bool,
        commands: &[GET, DELETE],
    },
    FlagSpec {
        long: "output",
        short: Some('o'),
        arity: Arity::Value,
        commands: &[GET, APPLY, CREATE],
    },
    FlagSpec {
        long: "selector",
        short: Some('l'),
        arity: Arity::Value,
        commands: &[GET, APPLY, DELETE],
    },
    FlagSpec {
        long: "field-selector",
        short: None,
        arity: Arity::Value,
        commands: &[GET, DELETE],
    },
    FlagSpec {
        long: "filename",
        short: Some('f'),
        arity: Arity::Value,
        commands: &[GET, APPLY, CREATE, DELETE],
    },
    FlagSpec {
        long: "dry-run",
        short: None,
        arity: Arity::OptionalValue,
        commands: &[APPLY, CREATE, DELETE],
    },
    FlagSpec {
        long: "image",
        short: None,
        arity: Arity::Value,
        commands: &[CREATE],
    },
    FlagSpec {
        long: "replicas",
        short: Some('r'),
        arity: Arity::Value,
        commands: &[CREATE],
    },
    FlagSpec {
        long: "port",
        short: None,
        arity: Arity::Value,
        commands: &[CREATE],
    },
    FlagSpec {
        long: "show-labels",
        short: None,
        arity: Arity::Bool,
        commands: &[GET],
    },
    FlagSpec {
        long: "label-columns",
        short: Some('L'),
        arity: Arity::Value,
        commands: &[GET],
    },
    FlagSpec {
        long: "sort-by",
        short: None,
        arity: Arity::Value,
        commands: &[GET],
    },
    FlagSpec {
        long: "no-headers",
        short: None,
        arity: Arity::Bool,
        commands: &[GET],
    },
    FlagSpec {
        long: "all",
        short: None,
        arity: Arity::Bool,
        commands: &[DELETE, APPLY],
    },
    FlagSpec {
        long: "grace-period",
        short: None,
        arity: Arity::Value,
        commands: &[DELETE],
    },
    FlagSpec {
        long: "force",
        short: None,
        arity: Arity::Bool,
        commands: &[DELETE, APPLY],
    },
    FlagSpec {
        long: "now",
        short: None,
        arity: Arity::Bool,
        commands: &[DELETE],
    },
    FlagSpec {
        long: "wait",
        short: None,
        arity: Arity::Bool,
        commands: &[DELETE],
    },
    FlagSpec {
        long: "client",
        short: None,
        arity: Arity::Bool,
        commands: &["version"],
    },
    FlagSpec {
        long: "save-config",
        short: None,
        arity: Arity::Bool,
        commands: &[CREATE],
    },
];

/// The parsed flags of one kubectl line.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    pub namespace: Option<String>,
    pub help: bool,
    pub all_namespaces: bool,
    pub output: Option<String>,
    pub selector: Option<String>,
    pub field_selector: Option<String>,
    pub filenames: Vec<String>,
    pub dry_run: Option<String>,
    pub images: Vec<String>,
    pub replicas: Option<String>,
    pub port: Option<String>,
    pub show_labels: bool,
    /// `-L a,b -L c`: extra columns with these labels' values.
    pub label_columns: Vec<String>,
    pub sort_by: Option<String>,
    pub watch: bool,
    pub no_headers: bool,
    pub all: bool,
    pub grace_period: Option<String>,
    pub force: bool,
    pub now: bool,
    pub save_config: bool,
    pub client: bool,
}

/// The command words and flags of one line; `flag_error` is pflag's complaint, if any.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub positional: Vec<String>,
    pub flags: Flags,
    pub flag_error: Option<String>,
    /// Flags seen, by long name, to check them against the command once it is known.
    pub seen: Vec<&'static str>,
}

/// Splits kubectl's arguments into words and flags, in any order.
pub fn parse(args: &[String]) -> Parsed {
    let mut p = Parsed::default();
    let mut i = 0;
    let mut only_positional = false;
    while let Some(arg) = args.get(i) {
        i += 1;
        if only_positional || arg == "-" || !arg.starts_with('-') {
            p.positional.push(arg.clone());
            continue;
        }
        if arg == "--" {
            only_positional = true;
            continue;
        }
        let (spec, inline, shown) = if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            match FLAGS.iter().find(|f| f.long == name) {
                Some(spec) => (spec, inline, format!("--{name}")),
                None => {
                    p.flag_error
                        .get_or_insert_with(|| format!("unknown flag: --{name}"));
                    continue;
                }
            }
        } else {
            let rest = &arg[1..];
            let mut chars = rest.chars();
            let Some(c) = chars.next() else { continue };
            let tail: String = chars.collect();
            match FLAGS.iter().find(|f| f.short == Some(c)) {
                Some(spec) => {
                    let inline = if tail.is_empty() {
                        None
                    } else if spec.arity == Arity::Bool {
                        // Combined short booleans (`-Ah`) are rare; treat the rest as unknown.
                        p.flag_error.get_or_insert_with(|| {
                            format!(
                                "unknown shorthand flag: '{}' in -{rest}",
                                tail.chars().next().unwrap_or(' ')
                            )
                        });
                        continue;
                    } else {
                        Some(tail.strip_prefix('=').unwrap_or(&tail).to_string())
                    };
                    (spec, inline, format!("'{c}' in -{c}"))
                }
                None => {
                    p.flag_error
                        .get_or_insert_with(|| format!("unknown shorthand flag: '{c}' in -{rest}"));
                    continue;
                }
            }
        };
        let value = match spec.arity {
            Arity::Bool => inline.unwrap_or_else(|| "true".to_string()),
            Arity::OptionalValue => inline.unwrap_or_default(),
            Arity::Value => match inline {
                Some(v) => v,
                None => match args.get(i) {
                    Some(v) => {
                        i += 1;
                        v.clone()
                    }
                    None => {
                        p.flag_error
                            .get_or_insert_with(|| format!("flag needs an argument: {shown}"));
                        continue;
                    }
                },
            },
        };
        p.seen.push(spec.long);
        if let Err(e) = set_flag(&mut p.flags, spec, value) {
            p.flag_error.get_or_insert(e);
        }
    }
    p
}

fn set_flag(f: &mut Flags, spec: &FlagSpec, value: String) -> Result<(), String> {
    let boolean = |v: &str| {
        match v {
        "true" | "1" | "t" | "T" | "TRUE" | "True" => Ok(true),
        "false" | "0" | "f" | "F" | "FALSE" | "False" => Ok(false),
        _ => Err(format!(
            "invalid argument \"{v}\" for \"--{}\" flag: strconv.ParseBool: parsing \"{v}\": invalid syntax",
            spec.long
        )),
    }
    };
    match spec.long {
        "namespace" => f.namespace = Some(value),
        "help" => f.help = boolean(&value)?,
        "all-namespaces" => f.all_namespaces = boolean(&value)?,
        "output" => f.output = Some(value),
        "selector" => f.selector = Some(value),
        "field-selector" => f.field_selector = Some(value),
        "filename" => f.filenames.push(value),
        "dry-run" => f.dry_run = Some(value),
        "image" => f.images.push(value),
        "replicas" => f.replicas = Some(value),
        "port" => f.port = Some(value),
        "watch" => f.watch = boolean(&value)?,
        "show-labels" => f.show_labels = boolean(&value)?,
        // pflag's stringSlice: comma-separated, repeatable.
        "label-columns" if !value.is_empty() => {
            f.label_columns.extend(value.split(',').map(str::to_string))
        }
        // kubectl sorts only when the field is non-empty.
        "sort-by" => f.sort_by = Some(value).filter(|v| !v.is_empty()),
        "no-headers" => f.no_headers = boolean(&value)?,
        "all" => f.all = boolean(&value)?,
        "grace-period" => f.grace_period = Some(value),
        "force" => f.force = boolean(&value)?,
        "now" => f.now = boolean(&value)?,
        "save-config" => f.save_config = boolean(&value)?,
        "client" => f.client = boolean(&value)?,
        _ => {}
    }
    Ok(())
}

const KNOWN_COMMANDS: &[&str] = &[
    "get",
    "apply",
    "create",
    "delete",
    "api-resources",
    "version",
    "help",
    "describe",
    "logs",
    "exec",
    "top",
];

/// The workload verbs, each in its own module with its own flags.
const WORKLOAD_VERBS: &[&str] = &[
    "run", "expose", "label", "annotate", "scale", "set", "patch", "rollout",
];

/// Real kubectl commands this sandbox does not run yet: named so the message is honest.
const LATER_COMMANDS: &[&str] = &[
    "edit",
    "replace",
    "explain",
    "attach",
    "cp",
    "config",
    "events",
    "wait",
    "diff",
    "certificate",
    "proxy",
    "debug",
    "autoscale",
    "kustomize",
    "plugin",
    "completion",
    "options",
];

fn usage_error(command_path: &str, message: &str) -> Output {
    Output::fail(format!(
        "Error: {message}\nSee '{command_path} --help' for usage.\n"
    ))
}

/// Node and access verbs with their own flag parsers (`node_verbs.rs`, `port_forward_cmd.rs`,
/// `auth_cmd.rs`).
const NODE_AND_ACCESS_VERBS: &[&str] = &[
    "cordon",
    "uncordon",
    "drain",
    "taint",
    "port-forward",
    "auth",
    "cluster-info",
    "api-versions",
];

/// The commands with their own flag parsers (`logs`, `top`, `describe`, `exec`, the workload
/// verbs, the node and access verbs): finds the command word (skipping `-n NS`) and its index.
fn node_side_command(args: &[String]) -> Option<(usize, &str)> {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        match arg.as_str() {
            "--" => return None,
            "-n" | "--namespace" | "--as" | "--as-group" => i += 2,
            a if a.starts_with('-') => i += 1,
            a => {
                let own_parser = matches!(a, "logs" | "top" | "describe" | "exec")
                    || NODE_AND_ACCESS_VERBS.contains(&a)
                    || WORKLOAD_VERBS.contains(&a);
                return own_parser.then_some((i, a));
            }
        }
    }
    None
}

/// Runs `kubectl ARGS...` (without the leading `kubectl`).
pub fn run(args: &[String], ctx: &mut Ctx) -> Output {
    // `kubectl create configmap|secret|service|job|role|...` (create_kinds.rs): the first two
    // words that are no flag nor `-n`'s value.
    let mut words = (0..args.len()).filter(|&i| {
        !args[i].starts_with('-')
            && (i == 0 || !matches!(args[i - 1].as_str(), "-n" | "--namespace"))
    });
    if let (Some(i), Some(j)) = (words.next(), words.next()) {
        let mut rest = args.to_vec();
        let sub = rest.remove(j);
        if rest.remove(i) == "create" {
            if let Some(out) = super::create_kinds::run(&sub, &rest, ctx) {
                return out;
            }
        }
    }
    if let Some((index, command)) = node_side_command(args) {
        let mut rest = args.to_vec();
        rest.remove(index);
        return match command {
            "logs" => super::logs::run(&rest, ctx),
            "top" => super::top::run(&rest, ctx),
            "describe" => super::describe::run(&rest, ctx),
            "cordon" => super::node_verbs::cordon(&rest, ctx),
            "uncordon" => super::node_verbs::uncordon(&rest, ctx),
            "drain" => super::node_verbs::drain(&rest, ctx),
            "taint" => super::node_verbs::taint(&rest, ctx),
            "port-forward" => super::port_forward_cmd::run(&rest, ctx),
            "auth" => super::auth_cmd::run(&rest, ctx),
            "cluster-info" | "api-versions" => super::auth_cmd::info(command, &rest, ctx),
            "run" => super::run_expose::run(&rest, ctx),
            "expose" => super::run_expose::expose(&rest, ctx),
            "label" => super::labels_cmd::run(&rest, ctx, super::labels_cmd::What::Labels),
            "annotate" => super::labels_cmd::run(&rest, ctx, super::labels_cmd::What::Annotations),
            "scale" => super::scale_set::scale(&rest, ctx),
            "set" => super::scale_set::set(&rest, ctx),
            "patch" => super::scale_set::patch(&rest, ctx),
            "rollout" => super::rollout::run(&rest, ctx),
            _ => super::exec::run(&rest, ctx),
        };
    }
    let parsed = parse(args);
    let command = parsed.positional.first().cloned().unwrap_or_default();
    let path = match (command.as_str(), parsed.positional.get(1)) {
        ("create", Some(sub))
            if matches!(sub.as_str(), "namespace" | "ns" | "deployment" | "deploy") =>
        {
            format!(
                "kubectl create {}",
                if sub.starts_with('n') {
                    "namespace"
                } else {
                    "deployment"
                }
            )
        }
        ("", _) => "kubectl".to_string(),
        (c, _) => format!("kubectl {c}"),
    };
    if let Some(err) = &parsed.flag_error {
        return usage_error(&path, err);
    }
    for long in &parsed.seen {
        let spec = FLAGS.iter().find(|f| f.long == *long);
        if let Some(spec) = spec {
            if !spec.commands.is_empty() && !spec.commands.contains(&command.as_str()) {
                return usage_error(&path, &format!("unknown flag: --{long}"));
            }
        }
    }
    let rest = parsed.positional.get(1..).unwrap_or(&[]).to_vec();
    let f = &parsed.flags;
    if f.help || command.is_empty() || command == "help" {
        return Output::ok(HELP);
    }
    match command.as_str() {
        "get" => get(&rest, f, ctx),
        "apply" => apply(f, ctx),
        "create" => create(&rest, f, ctx),
        "delete" => delete(&rest, f, ctx),
        "api-resources" => Output::ok(api_resources()),
        "version" => {
            let client = "Client Version: v1.32.0\nKustomize Version: v5.5.0\n";
            if f.client {
                Output::ok(client)
            } else {
                Output::ok(format!("{client}Server Version: v1.32.0\n"))
            }
        }
        other if LATER_COMMANDS.contains(&other) => Output::fail(format!(
            "error: \"kubectl {other}\" is a real kubectl command that this sandbox does not run yet\n"
        )),
        other => {
            let suggestions: Vec<&str> = KNOWN_COMMANDS
                .iter()
                .chain(WORKLOAD_VERBS)
                .chain(NODE_AND_ACCESS_VERBS)
                .chain(LATER_COMMANDS)
                .copied()
                .filter(|c| levenshtein(other, c) <= 2 || c.starts_with(other))
                .collect();
            let mut text = format!("Error: unknown command \"{other}\" for \"kubectl\"\n");
            if !suggestions.is_empty() {
                text.push_str("\nDid you mean this?\n");
                for s in suggestions {
                    text.push_str(&format!("\t{s}\n"));
                }
                text.push('\n');
            }
            Output::fail(text)
        }
    }
}

const HELP: &str = "kubectl controls the Kubernetes cluster manager.

Commands in this sandbox:
  get             Display one or many resources
  apply           Apply a configuration to a resource by file name or stdin
  create          Create a resource from a file or from stdin (also: namespace, deployment)
  delete          Delete resources by file names, stdin, resources and names, or by resources and label selector
  describe        Show details of a pod, node, deployment or service, with its events
  logs            Print the logs for a container in a pod
  exec            Execute a command in a container
  top             Display resource (CPU/memory) usage of nodes or pods
  run             Run a particular image on the cluster
  expose          Take a replication controller, service, deployment or pod and expose it as a new Kubernetes service
  label           Update the labels on a resource
  annotate        Update the annotations on a resource
  scale           Set a new size for a deployment, replica set, or replication controller
  set image       Update the image of a pod template
  patch           Update fields of a resource
  rollout         Manage the rollout of a resource (status, history, undo, pause, resume, restart)
  cordon          Mark node as unschedulable
  uncordon        Mark node as schedulable
  drain           Drain node in preparation for maintenance
  taint           Update the taints on one or more nodes
  port-forward    Forward one or more local ports to a pod
  auth can-i      Check whether an action is allowed
  cluster-info    Display cluster information
  api-versions    Print the supported API versions on the server, in the form of \"group/version\"
  api-resources   Print the supported API resources on the server
  version         Print the client and server version information

Examples:
  kubectl get pods -A -o wide
  kubectl create deployment web --image=nginx --replicas=3
  kubectl apply -f web.yaml
  kubectl delete deployment web
";

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let best = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            cur.push(best);
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

fn admin(verb: Verb, info: &ResourceInfo) -> ApiRequest {
    ApiRequest::new(Credentials::admin(), verb, info.plural)
}

/// `deployment.apps` / `pod`: how kubectl names a kind in `created` lines and `-o name`.
pub(super) fn kind_ref(info: &ResourceInfo) -> String {
    let kind = info.kind.to_ascii_lowercase();
    if info.group.is_empty() {
        kind
    } else {
        format!("{kind}.{}", info.group)
    }
}

fn name_of(obj: &Value) -> &str {
    obj.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn effective_namespace(f: &Flags) -> String {
    f.namespace.clone().unwrap_or_else(|| "default".to_string())
}

fn unknown_type(name: &str) -> Output {
    Output::fail(format!(
        "error: the server doesn't have a resource type \"{name}\"\n"
    ))
}

/// Kinds in `all`, kubectl's category for the workload kinds.
const ALL_CATEGORY: &[&str] = &[
    "pods",
    "services",
    "daemonsets",
    "deployments",
    "replicasets",
    "replicationcontrollers",
    "jobs",
];

/// `KIND NAME...`, `KIND/NAME...` or `KIND1,KIND2` into kinds with their names.
pub(super) fn targets(
    args: &[String],
) -> Result<Vec<(&'static ResourceInfo, Vec<String>)>, Output> {
    let mut out: Vec<(&'static ResourceInfo, Vec<String>)> = Vec::new();
    let slashed = args.iter().filter(|a| a.contains('/')).count();
    if slashed > 0 {
        if slashed != args.len() {
            return Err(Output::fail("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'\n"));
        }
        for arg in args {
            let (kind, name) = arg.split_once('/').unwrap_or((arg, ""));
            let Some(info) = lookup(kind) else {
                return Err(unknown_type(kind));
            };
            if name.is_empty() {
                return Err(Output::fail(
                    "error: arguments in resource/name form must have a single resource and name
",
                ));
            }
            match out.iter_mut().find(|(i, _)| i.plural == info.plural) {
                Some((_, names)) => names.push(name.to_string()),
                None => out.push((info, vec![name.to_string()])),
            }
        }
        return Ok(out);
    }
    let Some((kinds, names)) = args.split_first() else {
        return Ok(out);
    };
    for kind in kinds.split(',').filter(|k| !k.is_empty()) {
        if kind == "all" {
            for plural in ALL_CATEGORY {
                if let Some(info) = lookup(plural) {
                    out.push((info, names.to_vec()));
                }
            }
            continue;
        }
        let Some(info) = lookup(kind) else {
            return Err(unknown_type(kind));
        };
        if !out.iter().any(|(i, _)| i.plural == info.plural) {
            out.push((info, names.to_vec()));
        }
    }
    Ok(out)
}

/// Lists or gets the objects of one kind; errors for missing names are returned beside them.
fn fetch(
    ctx: &mut Ctx,
    info: &'static ResourceInfo,
    names: &[String],
    f: &Flags,
) -> (Vec<Value>, Vec<ApiError>) {
    let ns = effective_namespace(f);
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    if names.is_empty() {
        let mut req = admin(Verb::List, info);
        if info.namespaced && !f.all_namespaces {
            req = req.namespace(ns);
        }
        req.list_options.label_selector = f.selector.clone();
        req.list_options.field_selector = f.field_selector.clone();
        match ctx.backend.call(req) {
            Ok(resp) => {
                if let Some(Value::Array(items)) = resp.body.get("items") {
                    objects.extend(items.iter().cloned());
                }
            }
            Err(e) => errors.push(e),
        }
    } else {
        for name in names {
            let mut req = admin(Verb::Get, info).name(name.clone());
            if info.namespaced {
                req = req.namespace(ns.clone());
            }
            match ctx.backend.call(req) {
                Ok(resp) => objects.push(resp.body),
                Err(e) => errors.push(e),
            }
        }
    }
    for obj in &mut objects {
        if let Some(map) = obj.as_object_mut() {
            map.entry("apiVersion")
                .or_insert_with(|| Value::String(info.api_version()));
            map.entry("kind")
                .or_insert_with(|| Value::String(info.kind.to_string()));
        }
    }
    (objects, errors)
}

fn list_of(items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})
}

const OUTPUT_FORMATS: &str = "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml";

fn bad_output_format(format: &str) -> Output {
    Output::fail(format!(
        "error: unable to match a printer suitable for the output format \"{format}\", allowed formats are: {OUTPUT_FORMATS}\n"
    ))
}

fn get(args: &[String], f: &Flags, ctx: &mut Ctx) -> Output {
    if f.watch {
        // A watch never ends, and the terminal runs one line at a time.
        return Output::fail("error: --watch is a real kubectl flag this sandbox does not run yet: repeat the command (or `sleep N` first) to see changes\n");
    }
    let format = f.output.clone().unwrap_or_default();
    // kubectl builds its printer before it asks the server for anything.
    let template = match template_printer(&format, ctx.read_file) {
        Ok(t) => t,
        Err(e) => return Output::fail(format!("error: {e}\n")),
    };
    if template.is_none() && !matches!(format.as_str(), "" | "wide" | "yaml" | "json" | "name") {
        return bad_output_format(&format);
    }
    let mut groups = if !f.filenames.is_empty() {
        match manifests(f, ctx, "get") {
            Ok(objs) => {
                let mut g: Vec<(&'static ResourceInfo, Vec<String>)> = Vec::new();
                for (_, obj, info) in objs {
                    g.push((info, vec![name_of(&obj).to_string()]));
                }
                g
            }
            Err(out) => return out,
        }
    } else {
        match targets(args) {
            Ok(t) => t,
            Err(out) => return out,
        }
    };
    if groups.is_empty() {
        return Output::fail("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for help and examples\n");
    }
    let now = ctx.backend.unix_seconds();
    let named = groups.iter().map(|(_, n)| n.len()).sum::<usize>();
    if named > 0 && f.all_namespaces && f.filenames.is_empty() {
        return Output::fail(
            "error: a resource cannot be retrieved by name across all namespaces\n",
        );
    }
    let with_kind = groups.len() > 1;
    let mut fetched = Vec::new();
    let mut stderr = String::new();
    for (info, names) in groups.drain(..) {
        let (objects, errors) = fetch(ctx, info, &names, f);
        for e in &errors {
            stderr.push_str(&api_error_text(e));
        }
        fetched.push((info, objects));
    }
    let exit_code = i32::from(!stderr.is_empty());
    let total: usize = fetched.iter().map(|(_, o)| o.len()).sum();
    let namespaced = fetched.iter().any(|(i, _)| i.namespaced);
    let mut stdout = String::new();
    // Everything but the tables goes through kubectl's printGeneric: one object when one was
    // named, else one List across kinds, sorted as a whole by --sort-by.
    let generic = template.is_some() || matches!(format.as_str(), "yaml" | "json" | "name");
    if generic {
        let mut all: Vec<(&'static ResourceInfo, Value)> = fetched
            .into_iter()
            .flat_map(|(info, objects)| objects.into_iter().map(move |o| (info, o)))
            .collect();
        let single = named == 1 && all.len() == 1;
        if let (Some(sort_by), false) = (&f.sort_by, single) {
            if let Err(e) = sort_objects(&mut all, |(_, o)| o, sort_by) {
                stderr.push_str(&format!("error: {e}\n"));
                return Output {
                    stdout,
                    stderr,
                    exit_code: 1,
                    clear_screen: false,
                };
            }
        }
        if format == "name" {
            for (info, obj) in &all {
                stdout.push_str(&format!("{}/{}\n", kind_ref(info), name_of(obj)));
            }
        } else {
            let doc = if single {
                all.pop().map(|(_, o)| o).unwrap_or(Value::Null)
            } else if named > 0 && all.is_empty() {
                Value::Null
            } else {
                list_of(all.into_iter().map(|(_, o)| o).collect())
            };
            match (&template, doc.is_null()) {
                (_, true) => {}
                (Some(printer), false) => match printer.print(&doc, f.no_headers) {
                    Ok(text) => stdout = text,
                    Err(e) => {
                        stderr.push_str(&format!("error: {e}\n"));
                        return Output {
                            stdout,
                            stderr,
                            exit_code: 1,
                            clear_screen: false,
                        };
                    }
                },
                (None, false) if format == "yaml" => stdout = to_yaml(&doc),
                (None, false) => stdout = to_json(&doc),
            }
        }
    } else {
        let opts = TableOptions {
            wide: format == "wide",
            with_namespace: f.all_namespaces,
            with_kind,
        };
        let mut tables = Vec::new();
        for (info, mut objects) in fetched {
            if let Some(sort_by) = &f.sort_by {
                if let Err(e) = sort_table_rows(&mut objects, |o| o, sort_by) {
                    return Output::fail(format!("{stderr}error: {e}\n"));
                }
            }
            if !objects.is_empty() {
                tables.push(render_table(info, &objects, opts, f, now));
            }
        }
        stdout = tables.join("\n");
    }
    if total == 0
        && named == 0
        && exit_code == 0
        && template.is_none()
        && !matches!(format.as_str(), "yaml" | "json")
    {
        let message = if namespaced && !f.all_namespaces {
            format!(
                "No resources found in {} namespace.\n",
                effective_namespace(f)
            )
        } else {
            "No resources found\n".to_string()
        };
        stderr.push_str(&message);
    }
    Output {
        stdout,
        stderr,
        exit_code,
        clear_screen: false,
    }
}

fn render_table(
    info: &ResourceInfo,
    objects: &[Value],
    opts: TableOptions,
    f: &Flags,
    now: i64,
) -> String {
    let with_ns = opts.with_namespace && info.namespaced;
    let mut rows = Vec::new();
    if !f.no_headers {
        let mut h: Vec<String> = header(info, opts.wide)
            .into_iter()
            .map(String::from)
            .collect();
        if with_ns {
            h.insert(0, "NAMESPACE".to_string());
        }
        // -L columns: the label key's last path segment, upper-cased (formatLabelHeaders).
        for key in &f.label_columns {
            let last = key.rsplit('/').next().unwrap_or(key);
            h.push(last.to_uppercase());
        }
        if f.show_labels {
            h.push("LABELS".to_string());
        }
        rows.push(h);
    }
    for obj in objects {
        let name = if opts.with_kind {
            format!("{}/{}", kind_ref(info), name_of(obj))
        } else {
            name_of(obj).to_string()
        };
        let mut cells = row(info, obj, name, opts.wide, now);
        if with_ns {
            let ns = obj
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("");
            cells.insert(0, ns.to_string());
        }
        for key in &f.label_columns {
            let value = obj
                .pointer("/metadata/labels")
                .and_then(|labels| labels.get(key))
                .and_then(Value::as_str)
                .unwrap_or("");
            cells.push(value.to_string());
        }
        if f.show_labels {
            let labels = match obj.pointer("/metadata/labels") {
                Some(Value::Object(m)) if !m.is_empty() => m
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join(","),
                _ => "<none>".to_string(),
            };
            cells.push(labels);
        }
        rows.push(cells);
    }
    tabwrite(&rows)
}

/// Reads `-f` files (or stdin for `-`) into objects with their source name and resource.
fn manifests(
    f: &Flags,
    ctx: &Ctx,
    verb: &str,
) -> Result<Vec<(String, Value, &'static ResourceInfo)>, Output> {
    let mut out = Vec::new();
    for path in &f.filenames {
        let (source, text) = if path == "-" {
            ("STDIN".to_string(), ctx.stdin.unwrap_or("").to_string())
        } else {
            match (ctx.read_file)(path) {
                Some(text) => (path.clone(), text),
                None => {
                    return Err(Output::fail(format!(
                        "error: the path \"{path}\" does not exist\n"
                    )))
                }
            }
        };
        let docs = decode_documents(&text)
            .map_err(|e| Output::fail(format!("error: error parsing {source}: {e}\n")))?;
        for mut doc in docs {
            let info = match check_kind(&doc) {
                Ok(info) => info,
                Err(e) => {
                    let text = match &e.kind {
                        DecodeErrorKind::MissingKind | DecodeErrorKind::MissingApiVersion => {
                            // kubectl's schema check names what is missing before decoding.
                            let mut missing = Vec::new();
                            if doc.get("apiVersion").and_then(Value::as_str).is_none_or(str::is_empty) {
                                missing.push("apiVersion not set");
                            }
                            if doc.get("kind").and_then(Value::as_str).is_none_or(str::is_empty) {
                                missing.push("kind not set");
                            }
                            let listed = match missing.as_slice() {
                                [one] => one.to_string(),
                                many => format!("[{}]", many.join(", ")),
                            };
                            format!("error: error validating \"{source}\": error validating data: {listed}; if you choose to ignore these errors, turn validation off with --validate=false\n")
                        }
                        DecodeErrorKind::NoKindMatch { name, namespace, .. } => format!(
                            "error: resource mapping not found for name: \"{name}\" namespace: \"{namespace}\" from \"{source}\": {}\nensure CRDs are installed first\n",
                            e.message
                        ),
                        _ => format!("error: {e}\n"),
                    };
                    return Err(Output::fail(text));
                }
            };
            if info.namespaced {
                let obj_ns = doc
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .map(String::from);
                match (&obj_ns, &f.namespace) {
                    (Some(o), Some(flag)) if o != flag => {
                        return Err(Output::fail(format!(
                            "error: the namespace from the provided object \"{o}\" does not match the namespace \"{flag}\". You must pass '--namespace={o}' to perform this operation.\n"
                        )));
                    }
                    (None, _) => {
                        let ns = effective_namespace(f);
                        if let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut) {
                            meta.insert("namespace".into(), Value::String(ns));
                        } else if let Some(map) = doc.as_object_mut() {
                            map.insert("metadata".into(), json!({ "namespace": ns }));
                        }
                    }
                    _ => {}
                }
            }
            out.push((source.clone(), doc, info));
        }
    }
    if out.is_empty() {
        return Err(Output::fail(format!(
            "error: no objects passed to {verb}\n"
        )));
    }
    Ok(out)
}

fn namespace_of(obj: &Value) -> Option<String> {
    obj.pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .map(String::from)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DryRun {
    None,
    Client,
    Server,
}

fn dry_run(f: &Flags) -> Result<(DryRun, String), Output> {
    match f.dry_run.as_deref() {
        None | Some("none") => Ok((DryRun::None, String::new())),
        Some("client") => Ok((DryRun::Client, String::new())),
        Some("") => Ok((
            DryRun::Client,
            "--dry-run is deprecated and can be replaced with --dry-run=client.\n".to_string(),
        )),
        Some("server") => Ok((DryRun::Server, String::new())),
        Some(other) => Err(Output::fail(format!(
            "error: Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\".\n"
        ))),
    }
}

fn dry_suffix(d: DryRun) -> &'static str {
    match d {
        DryRun::None => "",
        DryRun::Client => " (dry run)",
        DryRun::Server => " (server dry run)",
    }
}

fn apply(f: &Flags, ctx: &mut Ctx) -> Output {
    if f.filenames.is_empty() {
        return Output::fail("error: must specify one of -f and -k\n");
    }
    let format = f.output.clone().unwrap_or_default();
    if !matches!(format.as_str(), "" | "yaml" | "json" | "name") {
        return bad_output_format(&format);
    }
    let (dry, warning) = match dry_run(f) {
        Ok(d) => d,
        Err(out) => return out,
    };
    let objs = match manifests(f, ctx, "apply") {
        Ok(o) => o,
        Err(out) => return out,
    };
    let mut out = Output {
        stderr: warning,
        ..Output::default()
    };
    for (source, obj, info) in objs {
        let name = name_of(&obj).to_string();
        let ns = namespace_of(&obj);
        let (_, modified) = with_last_applied(&obj);
        if name.is_empty() {
            out.stderr.push_str(&format!(
                "error: error when retrieving current configuration of:\n{}\nfrom server for: \"{source}\": resource name may not be empty\n",
                info_string(info, "", ns.as_deref().unwrap_or(""))
            ));
            out.exit_code = 1;
            continue;
        }
        let mut get_req = admin(Verb::Get, info).name(name.clone());
        if let Some(ns) = &ns {
            get_req = get_req.namespace(ns.clone());
        }
        let result = match ctx.backend.call(get_req) {
            Err(e) if e.reason == StatusReason::NotFound => {
                if dry == DryRun::Client {
                    Ok((modified.clone(), "created"))
                } else {
                    let mut req = admin(Verb::Create, info).body(modified.clone());
                    req.dry_run = dry == DryRun::Server;
                    req.field_manager = Some("kubectl-client-side-apply".into());
                    if let Some(ns) = &ns {
                        req = req.namespace(ns.clone());
                    }
                    ctx.backend
                        .call(req)
                        .map(|r| (r.body, "created"))
                        .map_err(|e| api_error_text_from(&e, Some(("creating", &source))))
                }
            }
            Err(e) => {
                let what = format!(
                    "retrieving current configuration of:\n{}\nfrom server for:",
                    info_string(info, &name, ns.as_deref().unwrap_or(""))
                );
                Err(api_error_text_from(&e, Some((&what, &source))))
            }
            Ok(current) => {
                let current = current.body;
                let original = original_of(&current);
                if original.is_none() {
                    out.stderr.push_str(&format!(
                        "Warning: resource {}/{name} is missing the kubectl.kubernetes.io/last-applied-configuration annotation which is required by kubectl apply. kubectl apply should only be used on resources created declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be patched automatically.\n",
                        info.plural
                    ));
                }
                let patch = three_way_patch(original.as_ref(), &modified, &current);
                if patch.as_object().is_some_and(Map::is_empty) {
                    Ok((current, "unchanged"))
                } else if dry == DryRun::Client {
                    Ok((current, "configured"))
                } else {
                    let what = format!(
                        "applying patch:\n{}\nto:\n{}\nfor:",
                        serde_json::to_string(&patch).unwrap_or_default(),
                        info_string(info, &name, ns.as_deref().unwrap_or(""))
                    );
                    let mut req = admin(Verb::Patch, info)
                        .name(name.clone())
                        .patch(PatchType::StrategicMerge, patch);
                    req.dry_run = dry == DryRun::Server;
                    req.field_manager = Some("kubectl-client-side-apply".into());
                    if let Some(ns) = &ns {
                        req = req.namespace(ns.clone());
                    }
                    ctx.backend
                        .call(req)
                        .map(|r| (r.body, "configured"))
                        .map_err(|e| api_error_text_from(&e, Some((&what, &source))))
                }
            }
        };
        match result {
            Ok((obj, verb)) => {
                out.stdout
                    .push_str(&print_result(info, &obj, &format, verb, dry));
            }
            Err(text) => {
                out.stderr.push_str(&text);
                out.exit_code = 1;
            }
        }
    }
    out
}

/// cli-runtime's `Info.String()`: the REST mapping and the object's name, as kubectl prints it
/// inside apply errors. The core group prints as an empty group before the slash.
fn info_string(info: &ResourceInfo, name: &str, namespace: &str) -> String {
    format!(
        "Resource: \"{group}/{version}, Resource={plural}\", GroupVersionKind: \"{group}/{version}, Kind={kind}\"\nName: \"{name}\", Namespace: \"{namespace}\"",
        group = info.group,
        version = info.version,
        plural = info.plural,
        kind = info.kind
    )
}

/// One object's line after create/apply, or the object itself with `-o`.
fn print_result(info: &ResourceInfo, obj: &Value, format: &str, verb: &str, dry: DryRun) -> String {
    match format {
        "yaml" => to_yaml(obj),
        "json" => to_json(obj),
        "name" => format!("{}/{}\n", kind_ref(info), name_of(obj)),
        _ => format!(
            "{}/{} {verb}{}\n",
            kind_ref(info),
            name_of(obj),
            dry_suffix(dry)
        ),
    }
}

fn create(args: &[String], f: &Flags, ctx: &mut Ctx) -> Output {
    let format = f.output.clone().unwrap_or_default();
    if !matches!(format.as_str(), "" | "yaml" | "json" | "name") {
        return bad_output_format(&format);
    }
    let (dry, warning) = match dry_run(f) {
        Ok(d) => d,
        Err(out) => return out,
    };
    let (sub, names) = match args.split_first() {
        Some((sub, names)) => (sub.as_str(), names),
        None => ("", &[][..]),
    };
    let object = match sub {
        "" => return create_from_files(f, ctx, &format, dry, warning),
        "namespace" | "ns" => {
            if names.len() != 1 {
                return Output::fail(format!(
                    "error: exactly one NAME is required, got {}\nSee 'kubectl create namespace -h' for help and examples\n",
                    names.len()
                ));
            }
            let name = names.first().cloned().unwrap_or_default();
            json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"creationTimestamp": null, "name": name}, "spec": {}, "status": {}})
        }
        "deployment" | "deploy" => {
            if names.len() != 1 {
                return Output::fail(format!(
                    "error: exactly one NAME is required, got {}\nSee 'kubectl create deployment -h' for help and examples\n",
                    names.len()
                ));
            }
            if f.images.is_empty() {
                return Output::fail("error: required flag(s) \"image\" not set\n");
            }
            let replicas = match &f.replicas {
                None => 1,
                Some(text) => match text.parse::<i32>() {
                    Ok(n) => i64::from(n),
                    Err(_) => {
                        return usage_error(
                            "kubectl create deployment",
                            &format!("invalid argument \"{text}\" for \"-r, --replicas\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax"),
                        )
                    }
                },
            };
            let port = match &f.port {
                None => None,
                Some(text) => match text.parse::<i32>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        return usage_error(
                            "kubectl create deployment",
                            &format!("invalid argument \"{text}\" for \"--port\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax"),
                        )
                    }
                },
            };
            let name = names.first().cloned().unwrap_or_default();
            deployment_object(&name, &f.images, replicas, port, f.namespace.as_deref())
        }
        other if !other.is_empty() && f.filenames.is_empty() => {
            return Output::fail(format!(
                "error: Unexpected args: [{other}]\nSee 'kubectl create -h' for help and examples\n"
            ));
        }
        _ => return create_from_files(f, ctx, &format, dry, warning),
    };
    let Some(info) = object.get("kind").and_then(Value::as_str).and_then(|k| {
        by_kind(
            object
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or(""),
            k,
        )
    }) else {
        return Output::fail("error: internal: unknown generated kind\n");
    };
    let mut out = Output {
        stderr: warning,
        ..Output::default()
    };
    if dry == DryRun::Client {
        out.stdout = print_result(info, &object, &format, "created", dry);
        return out;
    }
    let mut req = admin(Verb::Create, info).body(object);
    req.dry_run = dry == DryRun::Server;
    req.field_manager = Some("kubectl-create".into());
    if info.namespaced {
        req = req.namespace(effective_namespace(f));
    }
    match ctx.backend.call(req) {
        Ok(resp) => out.stdout = print_result(info, &resp.body, &format, "created", dry),
        Err(e) => {
            out.stderr.push_str(&api_error_text(&e));
            out.exit_code = 1;
        }
    }
    out
}

/// The Deployment `kubectl create deployment` builds, field for field.
pub fn deployment_object(
    name: &str,
    images: &[String],
    replicas: i64,
    port: Option<i32>,
    namespace: Option<&str>,
) -> Value {
    let containers: Vec<Value> = images
        .iter()
        .enumerate()
        .map(|(i, image)| {
            let mut c = json!({"image": image, "name": container_name(image), "resources": {}});
            if let (0, Some(p)) = (i, port) {
                c["ports"] = json!([{ "containerPort": p }]);
            }
            c
        })
        .collect();
    let mut metadata = json!({"creationTimestamp": null, "labels": {"app": name}, "name": name});
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {},
            "template": {
                "metadata": {"creationTimestamp": null, "labels": {"app": name}},
                "spec": {"containers": containers}
            }
        },
        "status": {}
    })
}

/// `registry.k8s.io/pause:3.9` → `pause`: the last path segment without tag or digest.
fn container_name(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    let bare = last.split(['@', ':']).next().unwrap_or(last);
    bare.to_string()
}

fn create_from_files(
    f: &Flags,
    ctx: &mut Ctx,
    format: &str,
    dry: DryRun,
    warning: String,
) -> Output {
    if f.filenames.is_empty() {
        return Output::fail("error: must specify one of -f and -k\n");
    }
    let objs = match manifests(f, ctx, "create") {
        Ok(o) => o,
        Err(out) => return out,
    };
    let mut out = Output {
        stderr: warning,
        ..Output::default()
    };
    for (source, obj, info) in objs {
        if dry == DryRun::Client {
            out.stdout
                .push_str(&print_result(info, &obj, format, "created", dry));
            continue;
        }
        let ns = namespace_of(&obj);
        let mut req = admin(Verb::Create, info).body(obj);
        req.dry_run = dry == DryRun::Server;
        req.field_manager = Some("kubectl-create".into());
        if let (true, Some(ns)) = (info.namespaced, ns) {
            req = req.namespace(ns);
        }
        match ctx.backend.call(req) {
            Ok(resp) => out
                .stdout
                .push_str(&print_result(info, &resp.body, format, "created", dry)),
            Err(e) => {
                out.stderr
                    .push_str(&api_error_text_from(&e, Some(("creating", &source))));
                out.exit_code = 1;
            }
        }
    }
    out
}

fn delete(args: &[String], f: &Flags, ctx: &mut Ctx) -> Output {
    let (dry, warning) = match dry_run(f) {
        Ok(d) => d,
        Err(out) => return out,
    };
    let mut grace = match &f.grace_period {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            Ok(_) => None,
            Err(_) => {
                return usage_error(
                    "kubectl delete",
                    &format!("invalid argument \"{text}\" for \"--grace-period\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax"),
                )
            }
        },
    };
    if f.now {
        grace = Some(1);
    }
    let mut out = Output {
        stderr: warning,
        ..Output::default()
    };
    if f.force && grace == Some(0) {
        out.stderr.push_str("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n");
    }
    // (resource, namespace, name, source file)
    let mut victims: Vec<(
        &'static ResourceInfo,
        Option<String>,
        String,
        Option<String>,
    )> = Vec::new();
    if !f.filenames.is_empty() {
        match manifests(f, ctx, "delete") {
            Ok(objs) => {
                for (source, obj, info) in objs {
                    let ns = if info.namespaced {
                        namespace_of(&obj)
                    } else {
                        None
                    };
                    victims.push((info, ns, name_of(&obj).to_string(), Some(source)));
                }
            }
            Err(o) => return o,
        }
    } else {
        let groups = match targets(args) {
            Ok(t) => t,
            Err(o) => return o,
        };
        if groups.is_empty() {
            return Output::fail("error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'\n");
        }
        for (info, names) in groups {
            if names.is_empty() {
                if !f.all && f.selector.is_none() && f.field_selector.is_none() {
                    return Output::fail(
                        "error: resource(s) were provided, but no name was specified\n",
                    );
                }
                let (objects, errors) = fetch(ctx, info, &[], f);
                for e in errors {
                    out.stderr.push_str(&api_error_text(&e));
                    out.exit_code = 1;
                }
                for obj in objects {
                    let ns = if info.namespaced {
                        namespace_of(&obj)
                    } else {
                        None
                    };
                    victims.push((info, ns, name_of(&obj).to_string(), None));
                }
            } else {
                for name in names {
                    let ns = info.namespaced.then(|| effective_namespace(f));
                    victims.push((info, ns, name, None));
                }
            }
        }
        if victims.is_empty() && out.exit_code == 0 {
            out.stderr.push_str("No resources found\n");
            return out;
        }
    }
    for (info, ns, name, source) in victims {
        let line = format!("{} \"{name}\" deleted{}\n", kind_ref(info), dry_suffix(dry));
        if dry == DryRun::Client {
            out.stdout.push_str(&line);
            continue;
        }
        let mut req = admin(Verb::Delete, info).name(name.clone());
        req.dry_run = dry == DryRun::Server;
        req.delete_options.grace_period_seconds = grace;
        if let Some(ns) = ns {
            req = req.namespace(ns);
        }
        match ctx.backend.call(req) {
            Ok(_) => out.stdout.push_str(&line),
            Err(e) => {
                let source = source.as_deref().map(|s| ("deleting", s));
                out.stderr.push_str(&api_error_text_from(&e, source));
                out.exit_code = 1;
            }
        }
    }
    out
}

fn api_resources() -> String {
    let mut rows = vec![vec![
        "NAME".to_string(),
        "SHORTNAMES".to_string(),
        "APIVERSION".to_string(),
        "NAMESPACED".to_string(),
        "KIND".to_string(),
    ]];
    let mut sorted: Vec<&ResourceInfo> = RESOURCES.iter().collect();
    // kubectl sorts by group (core first), then by name.
    sorted.stable_sort_by(|a, b| (a.group, a.plural).cmp(&(b.group, b.plural)));
    for r in sorted {
        rows.push(vec![
            r.plural.to_string(),
            r.short_names.join(","),
            r.api_version(),
            r.namespaced.to_string(),
            r.kind.to_string(),
        ]);
    }
    tabwrite(&rows)
}
