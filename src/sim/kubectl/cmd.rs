//! kubectl: the command table, and the `get`, `apply`, `create`, `delete` commands.
//!
//! Mirrors: kubectl v1.32's cobra command tree (`COMMANDS`: each command's name, its group and
//! line in `kubectl --help`, and what runs it; unknown commands with cobra's suggestions), the
//! pflag command line of `verb_util::parse` (`--flag=value`, `--flag value`, `-n ns`, `-nns`,
//! flags before or after the command, `--` ends flags, one flag set per (sub)command with its
//! error texts), the global `--as`/`--as-group` sent with every request as impersonation
//! headers, and the `get`, `apply`, `create`, `delete`, `api-resources`, `version`
//! commands with their output lines (`deployment.apps/web created`, `pod "web" deleted`, ...);
//! `get` prints tables (`-o wide`, `-L`, `--show-labels`) or, as kubectl's `printGeneric`, one
//! object or one `List` through yaml/json/name/jsonpath/custom-columns, sorted by `--sort-by`.
//! Simplified: always the `kubernetes-admin` credentials of kubeadm's admin.conf (impersonated
//! with `--as`); no kubeconfig, no watch (`-w`), no waiting for deletions (the shell lets the cluster settle after each line).

use crate::sim::api::JsonPointer;
use serde_json::{json, Map, Value};

use super::apply::{original_of, three_way_patch, with_last_applied};
use super::errors::{api_error_text, api_error_text_from};
use super::json;
use super::printers::{sort_objects, sort_table_rows, template_printer};
use super::table::{header, row, tabwrite, TableOptions};
use super::verb_util::{self as vu, admin, DryRun, Flag, Parsed, Takes};
use super::yaml::to_yaml;
use super::{Backend, Output};
use crate::sim::api::decode::{check_kind, decode_documents, DecodeErrorKind};
use crate::sim::api::resources::{
    by_kind, group_version, lookup, ResourceInfo, RESOURCES, REVIEWS,
};
use crate::sim::apiserver::request::{
    ApiError, ApiRequest, ApiResponse, Impersonate, PatchType, StatusReason, Verb,
};
use crate::sim::sort::StableSort;

/// What a kubectl run can reach: the cluster, the heredoc body as stdin, and files.
pub struct Ctx<'a> {
    pub backend: &'a mut dyn Backend,
    pub stdin: Option<&'a str>,
    pub read_file: &'a dyn Fn(&str) -> Option<String>,
    /// `--as` / `--as-group` of this line: every request asks to act as them.
    pub impersonate: Option<Impersonate>,
    /// `kubectl explain`'s docs (`www/explain.txt`), once someone has handed them to the shell.
    pub explain_docs: Option<&'a str>,
}

impl Ctx<'_> {
    /// Sends a request as kubectl does: with the line's impersonation headers, and its user
    /// agent, `kubectl/v1.32...`, which names the field manager of a write that names none.
    pub fn call(&mut self, mut request: ApiRequest) -> Result<ApiResponse, ApiError> {
        request.impersonate = self.impersonate.clone();
        // Managers matter only where fields are tracked (server-side apply).
        if cfg!(feature = "server-side-apply")
            && request.field_manager.is_none()
            && is_write(request.verb)
        {
            request.field_manager = Some("kubectl".into());
        }
        self.backend.call(request)
    }
}

fn is_write(verb: Verb) -> bool {
    matches!(verb, Verb::Create | Verb::Update | Verb::Patch)
}

const GET_FLAGS: &[Flag] = &[
    ("all-namespaces", Some('A'), Takes::Bool),
    ("output", Some('o'), Takes::Value),
    ("selector", Some('l'), Takes::Value),
    ("field-selector", None, Takes::Value),
    ("filename", Some('f'), Takes::Value),
    ("watch", Some('w'), Takes::Bool),
    ("show-labels", None, Takes::Bool),
    ("label-columns", Some('L'), Takes::Value),
    ("sort-by", None, Takes::Value),
    ("no-headers", None, Takes::Bool),
    ("show-managed-fields", None, Takes::Bool),
    // Lists come whole from the lab's apiserver, which prints what kubectl's chunks add up to.
    ("chunk-size", None, Takes::Value),
];

const APPLY_FLAGS: &[Flag] = &[
    ("output", Some('o'), Takes::Value),
    ("selector", Some('l'), Takes::Value),
    ("filename", Some('f'), Takes::Value),
    ("dry-run", None, Takes::Optional),
    ("all", None, Takes::Bool),
    ("force", None, Takes::Bool),
    ("server-side", None, Takes::Bool),
    ("force-conflicts", None, Takes::Bool),
    ("field-manager", None, Takes::Value),
    ("show-managed-fields", None, Takes::Bool),
];

/// What kubectl adds to an apply's conflict (`fieldManagerConflictErr` in kubectl's apply).
#[cfg(feature = "server-side-apply")]
const FIELD_MANAGER_CONFLICT: &str =
    "Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the `--force-conflicts` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
";

const CREATE_FLAGS: &[Flag] = &[
    ("output", Some('o'), Takes::Value),
    ("filename", Some('f'), Takes::Value),
    ("dry-run", None, Takes::Optional),
    ("save-config", None, Takes::Bool),
];

/// `kubectl create deployment`'s own flags, beside create's.
const CREATE_DEPLOYMENT_FLAGS: &[Flag] = &[
    ("output", Some('o'), Takes::Value),
    ("dry-run", None, Takes::Optional),
    ("save-config", None, Takes::Bool),
    ("image", None, Takes::Value),
    ("replicas", Some('r'), Takes::Value),
    ("port", None, Takes::Value),
];

const DELETE_FLAGS: &[Flag] = &[
    ("all-namespaces", Some('A'), Takes::Bool),
    ("selector", Some('l'), Takes::Value),
    ("field-selector", None, Takes::Value),
    ("filename", Some('f'), Takes::Value),
    ("dry-run", None, Takes::Optional),
    ("all", None, Takes::Bool),
    ("grace-period", None, Takes::Value),
    ("force", None, Takes::Bool),
    ("now", None, Takes::Bool),
    ("wait", None, Takes::Bool),
];

/// The groups of `kubectl --help`, in its order.
const GROUPS: &[&str] = &[
    "Basic Commands (Beginner)",
    "Basic Commands (Intermediate)",
    "Deploy Commands",
    "Cluster Management Commands",
    "Troubleshooting and Debugging Commands",
    "Advanced Commands",
    "Settings Commands",
    "Other Commands",
];

/// How a command runs: with the words after its name.
type Run = fn(&[String], &mut Ctx) -> Output;

/// One kubectl command: its name, its group in `kubectl --help` (an index into `GROUPS`), its
/// one-line help as kubectl prints it, and what runs it; `None` is a real kubectl command this
/// sandbox does not run yet, named so that the answer is honest.
struct Command(&'static str, u8, &'static str, Option<Run>);

/// kubectl's commands, in the order of `kubectl --help`: the one place a command is named.
const COMMANDS: &[Command] = &[
    Command("create", 0, "Create a resource from a file or from stdin", Some(create)),
    Command("expose", 0, "Take a replication controller, service, deployment or pod and expose it as a new Kubernetes service", Some(super::run_expose::expose)),
    Command("run", 0, "Run a particular image on the cluster", Some(super::run_expose::run)),
    Command("set", 0, "Set specific features on objects", Some(super::scale_set::set)),
    Command("explain", 1, "Get documentation for a resource", Some(super::explain::run)),
    Command("get", 1, "Display one or many resources", Some(get)),
    // The page's shell opens its Editor panel before it gets here (`Shell::open_edit`).
    Command("edit", 1, "Edit a resource on the server", Some(|_, _| Output::fail(
        "error: kubectl edit opens the page's Editor panel; this terminal has no editor attached\n",
    ))),
    Command("delete", 1, "Delete resources by file names, stdin, resources and names, or by resources and label selector", Some(delete)),
    Command("rollout", 2, "Manage the rollout of a resource", Some(super::rollout::run)),
    Command("scale", 2, "Set a new size for a deployment, replica set, or replication controller", Some(super::scale_set::scale)),
    Command("autoscale", 2, "Auto-scale a deployment, replica set, stateful set, or replication controller", None),
    Command("certificate", 3, "Modify certificate resources", None),
    Command("cluster-info", 3, "Display cluster information", Some(|a, c| super::auth_cmd::info("cluster-info", a, c))),
    Command("top", 3, "Display resource (CPU/memory) usage", Some(super::top::run)),
    Command("cordon", 3, "Mark node as unschedulable", Some(super::node_verbs::cordon)),
    Command("uncordon", 3, "Mark node as schedulable", Some(super::node_verbs::uncordon)),
    Command("drain", 3, "Drain node in preparation for maintenance", Some(super::node_verbs::drain)),
    Command("taint", 3, "Update the taints on one or more nodes", Some(super::node_verbs::taint)),
    Command("describe", 4, "Show details of a specific resource or group of resources", Some(super::describe::run)),
    Command("logs", 4, "Print the logs for a container in a pod", Some(super::logs::run)),
    Command("attach", 4, "Attach to a running container", None),
    Command("exec", 4, "Execute a command in a container", Some(super::exec::run)),
    Command("port-forward", 4, "Forward one or more local ports to a pod", Some(super::port_forward_cmd::run)),
    Command("proxy", 4, "Run a proxy to the Kubernetes API server", None),
    Command("cp", 4, "Copy files and directories to and from containers", None),
    Command("auth", 4, "Inspect authorization", Some(super::auth_cmd::run)),
    Command("debug", 4, "Create debugging sessions for troubleshooting workloads and nodes", None),
    Command("events", 4, "List events", None),
    Command("diff", 5, "Diff the live version against a would-be applied version", None),
    Command("apply", 5, "Apply a configuration to a resource by file name or stdin", Some(apply)),
    Command("patch", 5, "Update fields of a resource", Some(super::scale_set::patch)),
    Command("replace", 5, "Replace a resource by file name or stdin", None),
    Command("wait", 5, "Experimental: Wait for a specific condition on one or many resources", None),
    Command("kustomize", 5, "Build a kustomization target from a directory or URL", None),
    Command("label", 6, "Update the labels on a resource", Some(|a, c| super::labels_cmd::run(a, c, super::labels_cmd::What::Labels))),
    Command("annotate", 6, "Update the annotations on a resource", Some(|a, c| super::labels_cmd::run(a, c, super::labels_cmd::What::Annotations))),
    Command("completion", 6, "Output shell completion code for the specified shell (bash, zsh, fish, or powershell)", None),
    Command("api-resources", 7, "Print the supported API resources on the server", Some(api_resources)),
    Command("api-versions", 7, "Print the supported API versions on the server, in the form of \"group/version\"", Some(|a, c| super::auth_cmd::info("api-versions", a, c))),
    Command("config", 7, "Modify kubeconfig files", None),
    Command("plugin", 7, "Provides utilities for interacting with plugins", None),
    Command("version", 7, "Print the client and server version information", Some(version)),
    Command("options", 7, "Print the list of flags inherited by all commands", None),
];

/// Runs `kubectl ARGS...` (without the leading `kubectl`).
pub fn run(args: &[String], ctx: &mut Ctx) -> Output {
    let Some(i) = vu::first_word(args, vu::GLOBAL) else {
        return match vu::parse("kubectl", args, vu::GLOBAL, false) {
            Err(out) => out,
            Ok(_) => Output::ok(help()),
        };
    };
    let name = args[i].as_str();
    ctx.impersonate = match vu::impersonation(args) {
        Ok(asked) => asked,
        Err(out) => return out,
    };
    let mut rest = args.to_vec();
    rest.remove(i);
    let command = COMMANDS.iter().find(|c| c.0 == name);
    match command {
        Some(Command(_, _, _, Some(run))) => run(&rest, ctx),
        Some(_) => Output::fail(format!(
            "error: \"kubectl {name}\" is a real kubectl command that this sandbox does not run yet\n"
        )),
        None if name == "help" => Output::ok(help()),
        None => {
            let mut text = format!("Error: unknown command \"{name}\" for \"kubectl\"\n");
            let mut suggestions = COMMANDS
                .iter()
                .map(|c| c.0)
                .filter(|c| levenshtein(name, c) <= 2 || c.starts_with(name))
                .peekable();
            if suggestions.peek().is_some() {
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

/// `kubectl --help`: kubectl's groups and lines, the commands this sandbox does not run marked.
fn help() -> String {
    let mut text = String::from("kubectl controls the Kubernetes cluster manager.\n");
    for (g, title) in GROUPS.iter().enumerate() {
        text.push_str(&format!("\n{title}:\n"));
        for Command(name, _, line, run) in COMMANDS.iter().filter(|c| usize::from(c.1) == g) {
            let mark = if run.is_some() { "" } else { " *" };
            text.push_str(&format!("  {name:<15} {line}{mark}\n"));
        }
    }
    text.push_str("\n* a real kubectl command this sandbox does not run yet\n\nUsage:\n  kubectl [flags] [options]\n\nUse \"kubectl <command> --help\" for more information about a given command.\n");
    text
}

fn version(args: &[String], _: &mut Ctx) -> Output {
    let p = match vu::parse(
        "kubectl version",
        args,
        &[("client", None, Takes::Bool)],
        false,
    ) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let client = "Client Version: v1.32.0\nKustomize Version: v5.5.0\n";
    if p.has("help") {
        Output::ok("Print the client and server version information for the current context.\n")
    } else if p.has("client") {
        Output::ok(client)
    } else {
        Output::ok(format!("{client}Server Version: v1.32.0\n"))
    }
}

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

/// Parses a command's flags; `--help` answers with kubectl's help.
fn parsed(path: &str, args: &[String], defs: &[Flag]) -> Result<Parsed, Output> {
    let p = vu::parse(path, args, defs, false)?;
    if p.has("help") {
        return Err(Output::ok(help()));
    }
    Ok(p)
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
    obj.ptr("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn unknown_type(name: &str) -> Output {
    Output::fail(format!(
        "error: the server doesn't have a resource type \"{name}\"\n"
    ))
}

/// Kinds in `all`, kubectl's category for the workload kinds.
pub const ALL_CATEGORY: &[&str] = &[
    "pods",
    "services",
    "daemonsets",
    "deployments",
    "replicasets",
    "replicationcontrollers",
    "cronjobs",
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

/// `-L a,b -L c`: the labels shown as extra columns.
fn label_columns(p: &Parsed) -> Vec<&str> {
    let all = p.values("label-columns").iter();
    all.flat_map(|v| v.split(','))
        .filter(|k| !k.is_empty())
        .collect()
}

/// Lists or gets the objects of one kind; errors for missing names are returned beside them.
fn fetch(
    ctx: &mut Ctx,
    info: &'static ResourceInfo,
    names: &[String],
    p: &Parsed,
) -> (Vec<Value>, Vec<ApiError>) {
    let ns = p.namespace();
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    if names.is_empty() {
        let mut req = admin(Verb::List, info);
        if info.namespaced && !p.has("all-namespaces") {
            req = req.namespace(ns);
        }
        req.list_options.label_selector = p.value("selector").map(String::from);
        req.list_options.field_selector = p.value("field-selector").map(String::from);
        match ctx.call(req) {
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
            match ctx.call(req) {
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

fn get(args: &[String], ctx: &mut Ctx) -> Output {
    let p = &match parsed("kubectl get", args, GET_FLAGS) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let args = &p.positional;
    if p.has("watch") {
        // A watch never ends, and the terminal runs one line at a time.
        return Output::fail("error: --watch is a real kubectl flag this sandbox does not run yet: repeat the command (or `sleep N` first) to see changes\n");
    }
    let format = p.value("output").unwrap_or_default().to_string();
    // kubectl builds its printer before it asks the server for anything.
    let template = match template_printer(&format, ctx.read_file) {
        Ok(t) => t,
        Err(e) => return Output::fail(format!("error: {e}\n")),
    };
    if template.is_none() && !matches!(format.as_str(), "" | "wide" | "yaml" | "json" | "name") {
        return bad_output_format(&format);
    }
    let mut groups = if !p.values("filename").is_empty() {
        match manifests(p, ctx, "get") {
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
    if named > 0 && p.has("all-namespaces") && p.values("filename").is_empty() {
        return Output::fail(
            "error: a resource cannot be retrieved by name across all namespaces\n",
        );
    }
    let with_kind = groups.len() > 1;
    let mut fetched = Vec::new();
    let mut stderr = String::new();
    for (info, names) in groups.drain(..) {
        let (objects, errors) = fetch(ctx, info, &names, p);
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
        if let (Some(sort_by), false) = (p.value("sort-by").filter(|v| !v.is_empty()), single) {
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
                (Some(printer), false) => match printer.print(&doc, p.has("no-headers")) {
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
                (None, false) => {
                    let mut doc = doc;
                    if cfg!(feature = "server-side-apply") && !p.has("show-managed-fields") {
                        vu::omit_managed_fields(&mut doc);
                    }
                    stdout = match format.as_str() {
                        "yaml" => to_yaml(&doc),
                        _ => json::sorted(&doc),
                    };
                }
            }
        }
    } else {
        let opts = TableOptions {
            wide: format == "wide",
            with_namespace: p.has("all-namespaces"),
            with_kind,
        };
        let mut tables = Vec::new();
        for (info, mut objects) in fetched {
            if let Some(sort_by) = p.value("sort-by").filter(|v| !v.is_empty()) {
                if let Err(e) = sort_table_rows(&mut objects, |o| o, sort_by) {
                    return Output::fail(format!("{stderr}error: {e}\n"));
                }
            }
            if !objects.is_empty() {
                tables.push(render_table(info, &objects, opts, p, now));
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
        let message = if namespaced && !p.has("all-namespaces") {
            format!("No resources found in {} namespace.\n", p.namespace())
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
    p: &Parsed,
    now: i64,
) -> String {
    let with_ns = opts.with_namespace && info.namespaced;
    let mut rows = Vec::new();
    if !p.has("no-headers") {
        let mut h: Vec<String> = header(info, opts.wide)
            .into_iter()
            .map(String::from)
            .collect();
        if with_ns {
            h.insert(0, "NAMESPACE".to_string());
        }
        // -L columns: the label key's last path segment, upper-cased (formatLabelHeaders).
        for key in &label_columns(p) {
            let last = key.rsplit('/').next().unwrap_or(key);
            h.push(last.to_uppercase());
        }
        if p.has("show-labels") {
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
                .ptr("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("");
            cells.insert(0, ns.to_string());
        }
        for key in &label_columns(p) {
            let value = obj
                .ptr("/metadata/labels")
                .and_then(|labels| labels.get(key))
                .and_then(Value::as_str)
                .unwrap_or("");
            cells.push(value.to_string());
        }
        if p.has("show-labels") {
            let labels = match obj.ptr("/metadata/labels") {
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
    p: &Parsed,
    ctx: &Ctx,
    verb: &str,
) -> Result<Vec<(String, Value, &'static ResourceInfo)>, Output> {
    let mut out = Vec::new();
    for path in p.values("filename") {
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
                    .ptr("/metadata/namespace")
                    .and_then(Value::as_str)
                    .map(String::from);
                match (&obj_ns, p.value("namespace")) {
                    (Some(o), Some(flag)) if o != flag => {
                        return Err(Output::fail(format!(
                            "error: the namespace from the provided object \"{o}\" does not match the namespace \"{flag}\". You must pass '--namespace={o}' to perform this operation.\n"
                        )));
                    }
                    (None, _) => {
                        let ns = p.namespace();
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
    obj.ptr("/metadata/namespace")
        .and_then(Value::as_str)
        .map(String::from)
}

fn apply(args: &[String], ctx: &mut Ctx) -> Output {
    let p = &match parsed("kubectl apply", args, APPLY_FLAGS) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if !p.positional.is_empty() {
        return vu::usage_error(
            "kubectl apply",
            &format!("Unexpected args: [{}]", p.positional.join(" ")),
        );
    }
    if p.values("filename").is_empty() {
        return Output::fail("error: must specify one of -f and -k\n");
    }
    let format = p.value("output").unwrap_or_default().to_string();
    if !matches!(format.as_str(), "" | "yaml" | "json" | "name") {
        return bad_output_format(&format);
    }
    let (dry, warning) = match vu::dry_run(p) {
        Ok(d) => d,
        Err(out) => return out,
    };
    let server_side = p.has("server-side");
    if p.has("force-conflicts") && !server_side {
        return Output::fail(
            "error: --force-conflicts only works with --server-side
",
        );
    }
    if server_side && dry == DryRun::Client {
        return Output::fail("error: --dry-run=client doesn't work with --server-side (did you mean --dry-run=server instead?)
");
    }
    let objs = match manifests(p, ctx, "apply") {
        Ok(o) => o,
        Err(out) => return out,
    };
    let mut out = Output {
        stderr: warning,
        ..Output::default()
    };
    if server_side {
        for (_, obj, info) in objs {
            server_side_apply(p, ctx, obj, info, &format, dry, &mut out);
        }
        return out;
    }
    let manager = p
        .value("field-manager")
        .unwrap_or("kubectl-client-side-apply");
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
        let result = match ctx.call(get_req) {
            Err(e) if e.reason == StatusReason::NotFound => {
                if dry == DryRun::Client {
                    Ok((modified.clone(), "created"))
                } else {
                    let mut req = admin(Verb::Create, info).body(modified.clone());
                    req.dry_run = dry == DryRun::Server;
                    req.field_manager = Some(manager.into());
                    if let Some(ns) = &ns {
                        req = req.namespace(ns.clone());
                    }
                    ctx.call(req)
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
                    req.field_manager = Some(manager.into());
                    if let Some(ns) = &ns {
                        req = req.namespace(ns.clone());
                    }
                    // kubectl's patcher adds the source once (`error when patching "web.yaml": `)
                    // and apply once more around it.
                    ctx.call(req)
                        .map(|r| (r.body, "configured"))
                        .map_err(|mut e| {
                            e.message = format!("error when patching \"{source}\": {}", e.message);
                            api_error_text_from(&e, Some((&what, &source)))
                        })
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

/// `apply --server-side`: the whole object as an apply patch, by `--field-manager` (kubectl's
/// own name by default); the apiserver merges it and answers a conflict with the fields' owners.
/// An object a client-side apply made is then moved over as kubectl moves it: its annotation is
/// brought up to date (manager `kubectl-last-applied`), the fields of the client-side managers
/// are handed to the applier in one JSON patch of `managedFields`, and the apply runs again.
#[cfg(feature = "server-side-apply")]
fn server_side_apply(
    p: &Parsed,
    ctx: &mut Ctx,
    obj: Value,
    info: &'static ResourceInfo,
    format: &str,
    dry: DryRun,
    out: &mut Output,
) {
    let manager = p.value("field-manager").unwrap_or("kubectl").to_string();
    let request = |verb_body: (PatchType, Value), manager: &str| {
        let mut req = admin(Verb::Patch, info)
            .name(name_of(&obj).to_string())
            .patch(verb_body.0, verb_body.1);
        if let Some(ns) = namespace_of(&obj) {
            req = req.namespace(ns);
        }
        req.dry_run = dry == DryRun::Server;
        req.field_manager = Some(manager.to_string());
        req
    };
    let apply = (
        PatchType::Apply {
            force: p.has("force-conflicts"),
        },
        obj.clone(),
    );
    let mut result = ctx.call(request(apply.clone(), &manager));
    if let (Ok(applied), false) = (&result, dry == DryRun::Server) {
        let mut current = applied.body.clone();
        // kubectl keeps a client-side apply's annotation, in an apply entry of its own, so that
        // the next apply does not drop it.
        let annotation = current
            .ptr("/metadata/annotations")
            .and_then(|a| a.get(super::apply::LAST_APPLIED))
            .cloned();
        if let (Some(text), "kubectl") = (annotation, manager.as_str()) {
            if owners_of_last_applied(&current, "Apply").is_empty() {
                let mut just_annotation = json!({
                    "apiVersion": obj.get("apiVersion").cloned().unwrap_or(Value::Null),
                    "kind": obj.get("kind").cloned().unwrap_or(Value::Null),
                    "metadata": {
                        "name": name_of(&obj),
                        "annotations": {super::apply::LAST_APPLIED: text},
                    },
                });
                if let Some(ns) = namespace_of(&obj) {
                    just_annotation["metadata"]["namespace"] = json!(ns);
                }
                let patch = (PatchType::Apply { force: false }, just_annotation);
                if let Ok(r) = ctx.call(request(patch, "kubectl-last-applied")) {
                    current = r.body;
                }
            }
        }
        if let Some(upgrade) = client_side_upgrade(&current, &manager) {
            if ctx
                .call(request((PatchType::Json, upgrade), &manager))
                .is_ok()
            {
                result = ctx.call(request(apply, &manager));
            }
        }
    }
    match result {
        Ok(response) => out.stdout.push_str(&match format {
            "yaml" if p.has("show-managed-fields") => to_yaml(&response.body),
            "json" if p.has("show-managed-fields") => json::sorted(&response.body),
            _ => print_result(info, &response.body, format, "serverside-applied", dry),
        }),
        Err(e) if e.reason == StatusReason::Conflict && !e.causes.is_empty() => {
            out.stderr
                .push_str(&format!("error: {}\n{FIELD_MANAGER_CONFLICT}", e.message));
            out.exit_code = 1;
        }
        Err(e) => {
            out.stderr.push_str(&api_error_text_from(&e, None));
            out.exit_code = 1;
        }
    }
}

#[cfg(not(feature = "server-side-apply"))]
fn server_side_apply(
    _p: &Parsed,
    _ctx: &mut Ctx,
    _obj: Value,
    _info: &'static ResourceInfo,
    _format: &str,
    _dry: DryRun,
    out: &mut Output,
) {
    out.stderr = format!(
        "error: {}\n",
        crate::sim::apiserver::SERVER_SIDE_APPLY_LEFT_OUT
    );
    out.exit_code = 1;
}

/// The managers whose `operation` entry owns the last-applied annotation.
#[cfg(feature = "server-side-apply")]
fn owners_of_last_applied(current: &Value, operation: &str) -> Vec<String> {
    let entries = current
        .ptr("/metadata/managedFields")
        .and_then(Value::as_array);
    entries
        .into_iter()
        .flatten()
        .filter(|e| e.get("operation").and_then(Value::as_str) == Some(operation))
        .filter(|e| {
            e.ptr("/fieldsV1/f:metadata/f:annotations")
                .and_then(|a| a.get(format!("f:{}", super::apply::LAST_APPLIED)))
                .is_some()
        })
        .filter_map(|e| e.get("manager").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// kubectl's `csaupgrade`: the JSON patch that hands the fields of the client-side managers
/// (the `Update` entries that own the last-applied annotation: `kubectl-client-side-apply`, or
/// `before-first-apply` for an object stored before it had managedFields) to `manager`'s apply
/// entry; None when there are none.
#[cfg(feature = "server-side-apply")]
fn client_side_upgrade(current: &Value, manager: &str) -> Option<Value> {
    let client_side = owners_of_last_applied(current, "Update");
    if client_side.is_empty() {
        return None;
    }
    let entries = current.ptr("/metadata/managedFields")?.as_array()?;
    let is_client_side = |e: &Value| {
        e.get("operation").and_then(Value::as_str) == Some("Update")
            && e.get("manager")
                .and_then(Value::as_str)
                .is_some_and(|m| client_side.iter().any(|c| c == m))
    };
    let mut fields = Value::Object(Map::new());
    for e in entries.iter().filter(|e| is_client_side(e)) {
        union_fields(&mut fields, e.get("fieldsV1").unwrap_or(&Value::Null));
    }
    let mut upgraded: Vec<Value> = Vec::new();
    for e in entries.iter().filter(|e| !is_client_side(e)) {
        let mut e = e.clone();
        if e.get("manager").and_then(Value::as_str) == Some(manager)
            && e.get("operation").and_then(Value::as_str) == Some("Apply")
        {
            union_fields(&mut fields, e.get("fieldsV1").unwrap_or(&Value::Null));
            e["fieldsV1"] = std::mem::take(&mut fields);
        }
        upgraded.push(e);
    }
    let rv = current.ptr("/metadata/resourceVersion").cloned()?;
    Some(json!([
        {"op": "replace", "path": "/metadata/managedFields", "value": upgraded},
        {"op": "replace", "path": "/metadata/resourceVersion", "value": rv},
    ]))
}

/// Adds the fields of one `fieldsV1` tree to another.
#[cfg(feature = "server-side-apply")]
fn union_fields(into: &mut Value, from: &Value) {
    let (Value::Object(into), Value::Object(from)) = (into, from) else {
        return;
    };
    for (k, v) in from {
        union_fields(into.entry(k.clone()).or_insert_with(|| json!({})), v);
    }
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

/// One object's line after create/apply (`deployment.apps/web created`), or the object itself
/// with `-o`.
fn print_result(info: &ResourceInfo, obj: &Value, format: &str, verb: &str, dry: DryRun) -> String {
    let reference = format!("{}/{}", kind_ref(info), name_of(obj));
    vu::print_result(obj, &reference, format, &format!("{verb}{}", dry.suffix()))
}

/// [`print_result`] of an object `create deployment` built: typed, so `-o json` keeps its order.
fn print_built(info: &ResourceInfo, obj: &Value, format: &str, dry: DryRun) -> String {
    let reference = format!("{}/{}", kind_ref(info), name_of(obj));
    vu::print_built(obj, &reference, format, &format!("created{}", dry.suffix()))
}

fn create(args: &[String], ctx: &mut Ctx) -> Output {
    // The subcommand picks the flags: `create deployment` has --image, `create` has -f.
    let at = vu::first_word(args, CREATE_FLAGS);
    let sub = at.map_or("", |i| args[i].as_str());
    let mut without_sub = args.to_vec();
    if let Some(i) = at {
        without_sub.remove(i);
    }
    // The generators of `create_kinds.rs`: configmap, secret, service, job, role, ...
    if let Some(out) = super::create_kinds::run(sub, &without_sub, ctx) {
        return out;
    }
    let (path, defs, rest) = match sub {
        "namespace" | "ns" => (
            "kubectl create namespace",
            &CREATE_DEPLOYMENT_FLAGS[..3],
            &without_sub[..],
        ),
        "deployment" | "deploy" => (
            "kubectl create deployment",
            CREATE_DEPLOYMENT_FLAGS,
            &without_sub[..],
        ),
        _ => ("kubectl create", CREATE_FLAGS, args),
    };
    let p = &match parsed(path, rest, defs) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let format = p.value("output").unwrap_or_default().to_string();
    if !matches!(format.as_str(), "" | "yaml" | "json" | "name") {
        return bad_output_format(&format);
    }
    let (dry, warning) = match vu::dry_run(p) {
        Ok(d) => d,
        Err(out) => return out,
    };
    let names = &p.positional;
    let object = match sub {
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
            if p.values("image").is_empty() {
                return Output::fail("error: required flag(s) \"image\" not set\n");
            }
            let replicas = match p.value("replicas") {
                None => 1,
                Some(text) => match text.parse::<i32>() {
                    Ok(n) => i64::from(n),
                    Err(_) => {
                        return vu::flag_error(
                            "kubectl create deployment",
                            &format!("invalid argument \"{text}\" for \"-r, --replicas\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax"),
                        )
                    }
                },
            };
            let port = match p.value("port") {
                None => None,
                Some(text) => match text.parse::<i32>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        return vu::flag_error(
                            "kubectl create deployment",
                            &format!("invalid argument \"{text}\" for \"--port\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax"),
                        )
                    }
                },
            };
            let name = names.first().cloned().unwrap_or_default();
            deployment_object(
                &name,
                p.values("image"),
                replicas,
                port,
                p.value("namespace"),
            )
        }
        other if !other.is_empty() && p.values("filename").is_empty() => {
            return vu::usage_error(
                "kubectl create",
                &format!("Unexpected args: [{}]", names.join(" ")),
            );
        }
        _ => return create_from_files(p, ctx, &format, dry, warning),
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
        out.stdout = print_built(info, &object, &format, dry);
        return out;
    }
    match vu::create(ctx, info, object, dry, Some(p.namespace())) {
        Ok(created) => out.stdout = print_built(info, &created, &format, dry),
        Err(e) => {
            let word = if sub == "deploy" { "deployment" } else { sub };
            out.stderr
                .push_str(&super::create_kinds::create_error_text(word, &e));
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
    let mut deployment = crate::sim::api::json_template(
        r#"{
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"creationTimestamp": null, "labels": {"app": "${name}"}, "name": "${name}"},
        "spec": {
            "replicas": "${replicas}",
            "selector": {"matchLabels": {"app": "${name}"}},
            "strategy": {},
            "template": {
                "metadata": {"creationTimestamp": null, "labels": {"app": "${name}"}},
                "spec": {"containers": "${containers}"}
            }
        },
        "status": {}
    }"#,
        &[
            ("name", name.into()),
            ("replicas", replicas.into()),
            ("containers", containers.into()),
        ],
    );
    if let Some(ns) = namespace {
        deployment["metadata"]["namespace"] = ns.into();
    }
    deployment
}

/// `registry.k8s.io/pause:3.9` → `pause`: the last path segment without tag or digest.
fn container_name(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    let bare = last.split(['@', ':']).next().unwrap_or(last);
    bare.to_string()
}

fn create_from_files(
    p: &Parsed,
    ctx: &mut Ctx,
    format: &str,
    dry: DryRun,
    warning: String,
) -> Output {
    if p.values("filename").is_empty() {
        return Output::fail("error: must specify one of -f and -k\n");
    }
    let objs = match manifests(p, ctx, "create") {
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
        match vu::create(ctx, info, obj, dry, ns) {
            Ok(created) => out
                .stdout
                .push_str(&print_result(info, &created, format, "created", dry)),
            Err(e) => {
                out.stderr
                    .push_str(&api_error_text_from(&e, Some(("creating", &source))));
                out.exit_code = 1;
            }
        }
    }
    out
}

fn delete(args: &[String], ctx: &mut Ctx) -> Output {
    let p = &match parsed("kubectl delete", args, DELETE_FLAGS) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let args = &p.positional;
    let (dry, warning) = match vu::dry_run(p) {
        Ok(d) => d,
        Err(out) => return out,
    };
    let mut grace = match p.value("grace-period") {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            Ok(_) => None,
            Err(_) => {
                return vu::flag_error(
                    "kubectl delete",
                    &format!("invalid argument \"{text}\" for \"--grace-period\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax"),
                )
            }
        },
    };
    if p.has("now") {
        grace = Some(1);
    }
    let mut out = Output {
        stderr: warning,
        ..Output::default()
    };
    // `--force --grace-period=0`: kubectl says `force deleted` of each.
    let forced = p.has("force") && grace == Some(0);
    if forced {
        out.stderr.push_str("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n");
    }
    // (resource, namespace, name, source file)
    let mut victims: Vec<(
        &'static ResourceInfo,
        Option<String>,
        String,
        Option<String>,
    )> = Vec::new();
    if !p.values("filename").is_empty() {
        match manifests(p, ctx, "delete") {
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
                if !p.has("all")
                    && p.value("selector").is_none()
                    && p.value("field-selector").is_none()
                {
                    return Output::fail(
                        "error: resource(s) were provided, but no name was specified\n",
                    );
                }
                let (objects, errors) = fetch(ctx, info, &[], p);
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
                    let ns = info.namespaced.then(|| p.namespace());
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
        let deleted = if forced { "force deleted" } else { "deleted" };
        let line = format!("{} \"{name}\" {deleted}{}\n", kind_ref(info), dry.suffix());
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
        match ctx.call(req) {
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

fn api_resources(args: &[String], _: &mut Ctx) -> Output {
    let a = match parsed(
        "kubectl api-resources",
        args,
        &[("namespaced", None, Takes::Value)],
    ) {
        Ok(a) => a,
        Err(out) => return out,
    };
    let namespaced = match a.value("namespaced") {
        None => None,
        Some(v) => match v.parse::<bool>() {
            Ok(b) => Some(b),
            Err(_) => {
                return Output::fail(format!(
                    "Error: invalid argument \"{v}\" for \"--namespaced\" flag: strconv.ParseBool: parsing \"{v}\": invalid syntax\nSee 'kubectl api-resources --help' for usage.\n"
                ))
            }
        },
    };
    let mut rows = vec![vec![
        "NAME".to_string(),
        "SHORTNAMES".to_string(),
        "APIVERSION".to_string(),
        "NAMESPACED".to_string(),
        "KIND".to_string(),
    ]];
    // (group, name, short names, namespaced, kind): the stored kinds and the reviews.
    let stored = RESOURCES.iter().map(|r| {
        let short = r.short_names.join(",");
        (r.group, r.version, r.plural, short, r.namespaced, r.kind)
    });
    let reviews = REVIEWS
        .iter()
        .map(|(g, v, plural, kind)| (*g, *v, *plural, String::new(), false, *kind));
    let mut sorted: Vec<_> = stored.chain(reviews).collect();
    // kubectl sorts by group (core first), then by name.
    sorted.stable_sort_by(|a, b| (a.0, a.2).cmp(&(b.0, b.2)));
    for (group, version, plural, short, is_namespaced, kind) in sorted {
        if namespaced.is_some_and(|n| n != is_namespaced) {
            continue;
        }
        rows.push(vec![
            plural.to_string(),
            short,
            group_version(group, version),
            is_namespaced.to_string(),
            kind.to_string(),
        ]);
    }
    Output::ok(tabwrite(&rows))
}
