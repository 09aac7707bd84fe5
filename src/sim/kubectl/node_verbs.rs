//! `kubectl cordon`, `uncordon`, `drain` and `taint`: the commands that take a node out of
//! service and put it back.
//!
//! Mirrors: kubectl v1.32 `pkg/cmd/drain` (`RunCordonOrUncordon`: `node/node1 cordoned`,
//! `already cordoned`, a strategic-merge patch of `spec.unschedulable`; `RunDrain`: `error: unable
//! to drain node "node1" due to error: ..., continuing command...`, `There are pending nodes to be
//! drained:`), `pkg/drain` (the pod filters in their upstream order: DaemonSet-managed, mirror,
//! emptyDir, unreplicated; `Warning: ignoring DaemonSet-managed Pods: ...`; `evicting pod ns/name`
//! then `pod/name evicted` once the pod is gone, polled once a second as `waitForDelete` does), and
//! `pkg/cmd/taint` (`parseTaints`, `reorganizeTaints`: `node/node1 tainted`, `untainted`,
//! `modified`, `taint "k:NoSchedule" not found`).
//! Drain evicts through the apiserver's `pods/eviction` subresource (policy/v1 Eviction), which
//! the sandbox's apiserver serves; if a backend answers 404 for it, drain falls back to DELETE and
//! prints `pod/name deleted`, as kubectl does against a server without eviction.
//! Simplified: no PodDisruptionBudgets (an eviction is never refused with 429); drain waits for
//! the evicted pods at most `--timeout` (default: 120 simulated seconds instead of forever);
//! `-o`, `--chunk-size` and `--skip-wait-for-delete-timeout` are accepted and ignored.

use crate::sim::api::JsonPointer;
use serde_json::{json, Value};

use super::cmd::Ctx;
use super::errors::api_error_text;
use super::logs::{str_at, usage_error};
use super::verb_util::{parse, Flag, Parsed, Takes};
use super::Output;
use crate::sim::api::validation::names::{is_label_value, is_qualified_name};
use crate::sim::apiserver::request::{
    ApiError, ApiRequest, Credentials, PatchType, StatusReason, Verb,
};
use crate::sim::clock::TICKS_PER_SECOND;

/// How long drain waits for evicted pods when `--timeout` is not given.
const DRAIN_WAIT_SECONDS_DEFAULT: u64 = 120;

fn admin(verb: Verb, resource: &str) -> ApiRequest {
    ApiRequest::new(Credentials::admin(), verb, resource)
}

fn fail_with(err: &ApiError) -> Output {
    Output::fail(api_error_text(err))
}

fn dry_run_flag(args: &Parsed) -> Result<bool, String> {
    match args.value("dry-run") {
        None | Some("none") => Ok(false),
        Some("client" | "server" | "true") => Ok(true),
        Some(other) => Err(format!(
            "Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."
        )),
    }
}

/// The nodes a command names: `NODE...`, or `-l SELECTOR`. Errors as kubectl's builder prints
/// them.
fn nodes(ctx: &mut Ctx, names: &[String], selector: Option<&str>) -> Result<Vec<Value>, Output> {
    if let Some(selector) = selector.filter(|s| !s.is_empty()) {
        let mut req = admin(Verb::List, "nodes");
        req.list_options.label_selector = Some(selector.to_string());
        let list = ctx.call(req).map_err(|e| fail_with(&e))?;
        let items: Vec<Value> = list
            .body
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // An empty selection is not an error: kubectl's builder just visits nothing.
        return Ok(items);
    }
    let mut found = Vec::new();
    for name in names {
        let name = name
            .strip_prefix("node/")
            .or_else(|| name.strip_prefix("nodes/"))
            .unwrap_or(name);
        match ctx.call(admin(Verb::Get, "nodes").name(name)) {
            Ok(resp) => found.push(resp.body),
            Err(e) => return Err(fail_with(&e)),
        }
    }
    Ok(found)
}

fn is_unschedulable(node: &Value) -> bool {
    node.ptr("/spec/unschedulable")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// `RunCordonOrUncordon`: one line per node on stdout, errors on stderr.
fn cordon_nodes(ctx: &mut Ctx, nodes: &[Value], desired: bool, dry: bool, out: &mut Output) {
    let verb = if desired { "cordon" } else { "uncordon" };
    let suffix = if dry { " (dry run)" } else { "" };
    for node in nodes {
        let name = str_at(node, "/metadata/name").to_string();
        if is_unschedulable(node) == desired {
            out.stdout
                .push_str(&format!("node/{name} already {verb}ed{suffix}\n"));
            continue;
        }
        if !dry {
            // The two-way merge patch from the old node to the new: `false` is omitted from a
            // Node, so uncordoning removes the field.
            let value = if desired { json!(true) } else { Value::Null };
            let req = admin(Verb::Patch, "nodes").name(name.clone()).patch(
                PatchType::StrategicMerge,
                json!({ "spec": { "unschedulable": value } }),
            );
            if let Err(e) = ctx.call(req) {
                out.stderr.push_str(&format!(
                    "error: unable to {verb} node \"{name}\": {}\n",
                    e.message
                ));
                continue;
            }
        }
        out.stdout
            .push_str(&format!("node/{name} {verb}ed{suffix}\n"));
    }
}

const CORDON_FLAGS: &[Flag] = &[
    ("dry-run", None, Takes::Value),
    ("selector", Some('l'), Takes::Value),
];

fn cordon_or_uncordon(args: &[String], ctx: &mut Ctx, desired: bool) -> Output {
    let command = if desired { "cordon" } else { "uncordon" };
    let parsed = match parse(&format!("kubectl {command}"), args, CORDON_FLAGS, true) {
        Ok(a) => a,
        Err(out) => return out,
    };
    if parsed.has("help") {
        return Output::ok(format!(
            "Mark node as {}schedulable.\n\nUsage:\n  kubectl {command} NODE [options]\n",
            if desired { "un" } else { "" }
        ));
    }
    let selector = parsed.value("selector");
    if parsed.positional.is_empty() && selector.is_none() {
        return usage_error(command, &format!("USAGE: {command} NODE [flags]"));
    }
    if !parsed.positional.is_empty() && selector.is_some_and(|s| !s.is_empty()) {
        return usage_error(
            command,
            "error: cannot specify both a node name and a --selector option",
        );
    }
    let dry = match dry_run_flag(&parsed) {
        Ok(d) => d,
        Err(e) => return Output::fail(format!("error: {e}\n")),
    };
    let found = match nodes(ctx, &parsed.positional, selector) {
        Ok(n) => n,
        Err(out) => return out,
    };
    let mut out = Output::default();
    cordon_nodes(ctx, &found, desired, dry, &mut out);
    if !out.stderr.is_empty() {
        out.exit_code = 1;
    }
    out
}

/// `kubectl cordon NODE`: marks the node unschedulable.
pub fn cordon(args: &[String], ctx: &mut Ctx) -> Output {
    cordon_or_uncordon(args, ctx, true)
}

/// `kubectl uncordon NODE`: makes the node schedulable again.
pub fn uncordon(args: &[String], ctx: &mut Ctx) -> Output {
    cordon_or_uncordon(args, ctx, false)
}

// ---- drain -----------------------------------------------------------------------------------

const DAEMON_SET_FATAL: &str = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)";
const DAEMON_SET_WARNING: &str = "ignoring DaemonSet-managed Pods";
const LOCAL_STORAGE_FATAL: &str =
    "Pods with local storage (use --delete-emptydir-data to override)";
const LOCAL_STORAGE_WARNING: &str = "deleting Pods with local storage";
const UNMANAGED_FATAL: &str =
    "cannot delete Pods that declare no controller (use --force to override)";
const UNMANAGED_WARNING: &str = "deleting Pods that declare no controller";

/// `PodDeleteStatus`: what the filters decided for one pod.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PodDelete {
    Okay,
    Skip,
    Warning { delete: bool, message: &'static str },
    Error(String),
}

impl PodDelete {
    fn deletes(&self) -> bool {
        matches!(
            self,
            PodDelete::Okay | PodDelete::Warning { delete: true, .. }
        )
    }
}

struct DrainOptions {
    ignore_daemonsets: bool,
    delete_emptydir_data: bool,
    force: bool,
    grace_period_seconds: Option<i64>,
    disable_eviction: bool,
}

fn controller_of(pod: &Value) -> Option<(&str, &str)> {
    pod.ptr("/metadata/ownerReferences")
        .and_then(Value::as_array)?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .map(|r| (str_at(r, "/kind"), str_at(r, "/name")))
}

fn finished(pod: &Value) -> bool {
    matches!(str_at(pod, "/status/phase"), "Succeeded" | "Failed")
}

/// `makeFilters` in their upstream order; the first filter that keeps the pod decides.
fn filter_pod(ctx: &mut Ctx, pod: &Value, o: &DrainOptions) -> PodDelete {
    let namespace = str_at(pod, "/metadata/namespace");
    let mut last = PodDelete::Okay;
    // daemonSetFilter
    if let Some(("DaemonSet", ds)) = controller_of(pod) {
        if !finished(pod) {
            let req = admin(Verb::Get, "daemonsets")
                .namespace(namespace.to_string())
                .name(ds.to_string());
            let status = match ctx.call(req) {
                Err(e) if e.reason == StatusReason::NotFound && o.force => PodDelete::Warning {
                    delete: true,
                    message: "DaemonSet not found",
                },
                Err(e) => PodDelete::Error(e.message),
                Ok(_) if !o.ignore_daemonsets => PodDelete::Error(DAEMON_SET_FATAL.into()),
                Ok(_) => PodDelete::Warning {
                    delete: false,
                    message: DAEMON_SET_WARNING,
                },
            };
            if !status.deletes() {
                return status;
            }
            last = status;
        }
    }
    // mirrorPodFilter: static pods cannot be deleted through the apiserver.
    if pod
        .ptr("/metadata/annotations/kubernetes.io~1config.mirror")
        .is_some()
    {
        return PodDelete::Skip;
    }
    // localStorageFilter
    let has_empty_dir = pod
        .ptr("/spec/volumes")
        .and_then(Value::as_array)
        .is_some_and(|vs| vs.iter().any(|v| v.get("emptyDir").is_some()));
    if has_empty_dir && !finished(pod) {
        if !o.delete_emptydir_data {
            return PodDelete::Error(LOCAL_STORAGE_FATAL.into());
        }
        last = PodDelete::Warning {
            delete: true,
            message: LOCAL_STORAGE_WARNING,
        };
    }
    // unreplicatedFilter
    if !finished(pod) && controller_of(pod).is_none() {
        if !o.force {
            return PodDelete::Error(UNMANAGED_FATAL.into());
        }
        last = PodDelete::Warning {
            delete: true,
            message: UNMANAGED_WARNING,
        };
    }
    last
}

/// `GetPodsForDeletion`: the node's pods, each with its filter decision.
fn pods_for_deletion(
    ctx: &mut Ctx,
    node: &str,
    pod_selector: Option<&str>,
    o: &DrainOptions,
) -> Result<Vec<(Value, PodDelete)>, ApiError> {
    let mut req = admin(Verb::List, "pods");
    req.list_options.field_selector = Some(format!("spec.nodeName={node}"));
    req.list_options.label_selector = pod_selector.map(str::to_string);
    let list = ctx.call(req)?;
    let pods: Vec<Value> = list
        .body
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok(pods
        .into_iter()
        .map(|pod| {
            let status = filter_pod(ctx, &pod, o);
            (pod, status)
        })
        .collect())
}

fn pod_ref(pod: &Value) -> String {
    format!(
        "{}/{}",
        str_at(pod, "/metadata/namespace"),
        str_at(pod, "/metadata/name")
    )
}

/// `PodDeleteList.errors()`, each message with its pods; sorted, as Go's map order is not ours.
fn drain_errors(list: &[(Value, PodDelete)]) -> Vec<String> {
    let mut by_message: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (pod, status) in list {
        if let PodDelete::Error(message) = status {
            let message = if message.is_empty() {
                "unexpected error".to_string()
            } else {
                message.clone()
            };
            by_message.entry(message).or_default().push(pod_ref(pod));
        }
    }
    by_message
        .into_iter()
        .map(|(message, pods)| {
            if message.to_ascii_lowercase().starts_with("cannot delete") {
                format!("{message}: {}", pods.join(", "))
            } else {
                format!("cannot delete {message}: {}", pods.join(", "))
            }
        })
        .collect()
}

/// `PodDeleteList.Warnings()`.
fn drain_warnings(list: &[(Value, PodDelete)]) -> String {
    let mut by_message: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for (pod, status) in list {
        if let PodDelete::Warning { message, .. } = status {
            by_message.entry(message).or_default().push(pod_ref(pod));
        }
    }
    by_message
        .into_iter()
        .map(|(message, pods)| format!("{message}: {}", pods.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// utilerrors.NewAggregate's text: one error alone, several in brackets.
fn aggregate(errors: &[String]) -> String {
    match errors {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

/// Evicts (or deletes) each pod, then waits for them to be gone. Ok(lines), or the error text.
fn evict_pods(
    ctx: &mut Ctx,
    pods: &[Value],
    o: &DrainOptions,
    wait_seconds: u64,
    out: &mut Output,
) -> Result<(), String> {
    let mut evicting = !o.disable_eviction;
    let mut waiting: Vec<(String, String, String, &str)> = Vec::new();
    for pod in pods {
        let namespace = str_at(pod, "/metadata/namespace").to_string();
        let name = str_at(pod, "/metadata/name").to_string();
        let uid = str_at(pod, "/metadata/uid").to_string();
        let mut delete_options = json!({});
        if let Some(g) = o.grace_period_seconds {
            delete_options = json!({ "gracePeriodSeconds": g });
        }
        if evicting {
            out.stdout
                .push_str(&format!("evicting pod {namespace}/{name}\n"));
            let mut req = admin(Verb::Create, "pods")
                .namespace(namespace.clone())
                .name(name.clone())
                .subresource("eviction")
                .body(json!({
                    "apiVersion": "policy/v1",
                    "kind": "Eviction",
                    "metadata": { "name": name, "namespace": namespace },
                    "deleteOptions": delete_options,
                }));
            req.delete_options.grace_period_seconds = o.grace_period_seconds;
            match ctx.call(req) {
                Ok(_) => {
                    waiting.push((namespace, name, uid, "evicted"));
                    continue;
                }
                // A server without the eviction subresource: kubectl deletes instead.
                Err(e)
                    if e.reason == StatusReason::NotFound
                        && e.message == "the server could not find the requested resource" =>
                {
                    evicting = false;
                }
                Err(e) if e.reason == StatusReason::NotFound => continue,
                Err(e) => {
                    return Err(format!(
                        "error when evicting pods/\"{name}\" -n \"{namespace}\": {}",
                        e.message
                    ))
                }
            }
        }
        let mut req = admin(Verb::Delete, "pods")
            .namespace(namespace.clone())
            .name(name.clone());
        req.delete_options.grace_period_seconds = o.grace_period_seconds;
        match ctx.call(req) {
            Ok(_) => waiting.push((namespace, name, uid, "deleted")),
            Err(e) if e.reason == StatusReason::NotFound => {}
            Err(e) => return Err(e.message),
        }
    }
    // waitForDelete: poll once a second until each pod is gone (or replaced by a new uid).
    let mut waited_seconds = 0;
    loop {
        let mut still = Vec::new();
        for entry in waiting {
            let (namespace, name, uid, verb) = &entry;
            let get = admin(Verb::Get, "pods")
                .namespace(namespace.clone())
                .name(name.clone());
            let gone = match ctx.call(get) {
                Err(e) => e.reason == StatusReason::NotFound,
                Ok(resp) => str_at(&resp.body, "/metadata/uid") != uid,
            };
            if gone {
                out.stdout.push_str(&format!("pod/{name} {verb}\n"));
            } else {
                still.push(entry);
            }
        }
        waiting = still;
        if waiting.is_empty() {
            return Ok(());
        }
        if waited_seconds >= wait_seconds {
            let errors: Vec<String> = waiting
                .iter()
                .map(|(namespace, name, _, _)| {
                    format!(
                        "error when waiting for pod \"{name}\" in namespace \"{namespace}\" to terminate: global timeout reached: {}",
                        duration_text(wait_seconds)
                    )
                })
                .collect();
            return Err(aggregate(&errors));
        }
        ctx.backend.advance(TICKS_PER_SECOND);
        waited_seconds += 1;
    }
}

/// Go's `time.Duration` text for whole seconds: `2m0s`, `45s`, `1h0m0s`.
fn duration_text(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// `--timeout=90s`, `2m`, `1h`, `0` (0: the sandbox's default wait).
fn parse_timeout_seconds(text: &str) -> Option<u64> {
    if text == "0" {
        return Some(0);
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().ok()?;
        number.clear();
        total = total.checked_add(match c {
            'h' => n.checked_mul(3600)?,
            'm' => n.checked_mul(60)?,
            's' => n,
            _ => return None,
        })?;
    }
    number.is_empty().then_some(total)
}

/// `deleteOrEvictPodsSimple` after a failure: the pods still waiting on the node.
fn pending_pods(
    ctx: &mut Ctx,
    node: &str,
    pod_selector: Option<&str>,
    o: &DrainOptions,
    error: &str,
    out: &mut Output,
) {
    match pods_for_deletion(ctx, node, pod_selector, o) {
        Ok(list) => {
            let pending: Vec<&Value> = list
                .iter()
                .filter(|(_, s)| s.deletes())
                .map(|(p, _)| p)
                .collect();
            if !pending.is_empty() {
                out.stderr.push_str(&format!(
                    "There are pending pods in node \"{node}\" when an error occurred: {error}\n"
                ));
                for pod in pending {
                    out.stderr
                        .push_str(&format!("pod/{}\n", str_at(pod, "/metadata/name")));
                }
            }
        }
        Err(e) => out.stderr.push_str(&format!(
            "Following errors occurred while getting the list of pods to delete:\n{}",
            e.message
        )),
    }
}

const DRAIN_FLAGS: &[Flag] = &[
    ("ignore-daemonsets", None, Takes::Bool),
    ("delete-emptydir-data", None, Takes::Bool),
    ("delete-local-data", None, Takes::Bool),
    ("force", None, Takes::Bool),
    ("grace-period", None, Takes::Value),
    ("timeout", None, Takes::Value),
    ("dry-run", None, Takes::Value),
    ("selector", Some('l'), Takes::Value),
    ("pod-selector", None, Takes::Value),
    ("disable-eviction", None, Takes::Bool),
    ("chunk-size", None, Takes::Value),
    ("skip-wait-for-delete-timeout", None, Takes::Value),
];

/// `kubectl drain NODE`: cordons the node, then evicts its pods so their controllers recreate
/// them elsewhere.
pub fn drain(args: &[String], ctx: &mut Ctx) -> Output {
    let parsed = match parse("kubectl drain", args, DRAIN_FLAGS, true) {
        Ok(a) => a,
        Err(out) => return out,
    };
    if parsed.has("help") {
        return Output::ok("Drain node in preparation for maintenance.\n\nUsage:\n  kubectl drain NODE [options]\n");
    }
    let selector = parsed.value("selector");
    if parsed.positional.is_empty() && selector.is_none() {
        return usage_error("drain", "USAGE: drain NODE [flags]");
    }
    if !parsed.positional.is_empty() && selector.is_some_and(|s| !s.is_empty()) {
        return usage_error(
            "drain",
            "error: cannot specify both a node name and a --selector option",
        );
    }
    let grace_period_seconds = match parsed.value("grace-period") {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(g) if g < 0 => None,
            Ok(g) => Some(g),
            Err(_) => {
                return usage_error(
                    "drain",
                    &format!("invalid argument \"{text}\" for \"--grace-period\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax"),
                )
            }
        },
    };
    let wait_seconds = match parsed.value("timeout") {
        None => DRAIN_WAIT_SECONDS_DEFAULT,
        Some(text) => match parse_timeout_seconds(text) {
            Some(0) => DRAIN_WAIT_SECONDS_DEFAULT,
            Some(s) => s,
            None => {
                return usage_error(
                    "drain",
                    &format!("invalid argument \"{text}\" for \"--timeout\" flag: time: invalid duration \"{text}\""),
                )
            }
        },
    };
    let dry = match dry_run_flag(&parsed) {
        Ok(d) => d,
        Err(e) => return Output::fail(format!("error: {e}\n")),
    };
    let options = DrainOptions {
        ignore_daemonsets: parsed.has("ignore-daemonsets"),
        delete_emptydir_data: parsed.has("delete-emptydir-data") || parsed.has("delete-local-data"),
        force: parsed.has("force"),
        grace_period_seconds,
        disable_eviction: parsed.has("disable-eviction"),
    };
    let pod_selector = parsed.value("pod-selector").filter(|s| !s.is_empty());
    let found = match nodes(ctx, &parsed.positional, selector) {
        Ok(n) => n,
        Err(out) => return out,
    };
    let mut out = Output::default();
    if parsed.has("delete-local-data") {
        out.stderr.push_str("Flag --delete-local-data has been deprecated, This option is deprecated and will be deleted. Use --delete-emptydir-data.\n");
    }
    cordon_nodes(ctx, &found, true, dry, &mut out);
    let suffix = if dry { " (dry run)" } else { "" };
    let mut fatal: Vec<String> = Vec::new();
    let mut remaining: Vec<String> = Vec::new();
    for node in &found {
        let name = str_at(node, "/metadata/name").to_string();
        let result = match pods_for_deletion(ctx, &name, pod_selector, &options) {
            Err(e) => Err(e.message),
            Ok(list) => {
                let errors = drain_errors(&list);
                if !errors.is_empty() {
                    Err(aggregate(&errors))
                } else {
                    let warnings = drain_warnings(&list);
                    if !warnings.is_empty() {
                        out.stderr.push_str(&format!("Warning: {warnings}\n"));
                    }
                    let pods: Vec<Value> = list
                        .into_iter()
                        .filter(|(_, s)| s.deletes())
                        .map(|(p, _)| p)
                        .collect();
                    if dry {
                        for pod in &pods {
                            out.stdout
                                .push_str(&format!("evicting pod {} (dry run)\n", pod_ref(pod)));
                        }
                        Ok(())
                    } else {
                        let result = evict_pods(ctx, &pods, &options, wait_seconds, &mut out);
                        if let Err(e) = &result {
                            pending_pods(ctx, &name, pod_selector, &options, e, &mut out);
                        }
                        result
                    }
                }
            }
        };
        match result {
            Ok(()) => out
                .stdout
                .push_str(&format!("node/{name} drained{suffix}\n")),
            Err(e) => {
                out.stderr.push_str(&format!(
                    "error: unable to drain node \"{name}\" due to error: {e}, continuing command...\n"
                ));
                fatal.push(e);
                remaining.push(name);
            }
        }
    }
    if !remaining.is_empty() {
        out.stderr
            .push_str("There are pending nodes to be drained:\n");
        for name in &remaining {
            out.stderr.push_str(&format!(" {name}\n"));
        }
        out.stderr
            .push_str(&format!("error: {}\n", aggregate(&fatal)));
        out.exit_code = 1;
    }
    out
}

// ---- taint -----------------------------------------------------------------------------------

/// One `corev1.Taint` as kubectl parses it from `key=value:Effect`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Taint {
    key: String,
    value: String,
    effect: String,
}

impl Taint {
    /// `Taint.ToString()`: `key=value:effect`, `key:effect`, `key=value` or `key`.
    fn text(&self) -> String {
        match (self.value.is_empty(), self.effect.is_empty()) {
            (true, true) => self.key.clone(),
            (false, true) => format!("{}={}", self.key, self.value),
            (true, false) => format!("{}:{}", self.key, self.effect),
            (false, false) => format!("{}={}:{}", self.key, self.value, self.effect),
        }
    }

    /// `MatchTaint`: same key and effect.
    fn matches(&self, other: &Taint) -> bool {
        self.key == other.key && self.effect == other.effect
    }

    fn of(v: &Value) -> Taint {
        Taint {
            key: str_at(v, "/key").to_string(),
            value: str_at(v, "/value").to_string(),
            effect: str_at(v, "/effect").to_string(),
        }
    }

    fn to_json(&self, original: Option<&Value>) -> Value {
        // An unchanged taint keeps its other fields (timeAdded of NoExecute taints).
        if let Some(o) = original {
            return o.clone();
        }
        let mut m = serde_json::Map::new();
        m.insert("key".into(), json!(self.key));
        if !self.value.is_empty() {
            m.insert("value".into(), json!(self.value));
        }
        m.insert("effect".into(), json!(self.effect));
        Value::Object(m)
    }
}

/// `parseTaint`: `key=value:effect`, `key:effect` or `key`.
fn parse_taint(spec: &str) -> Result<Taint, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (key, value, effect) = match parts.as_slice() {
        [key] => (*key, "", ""),
        [kv, effect] => {
            if !matches!(*effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
                return Err(format!(
                    "invalid taint effect: {effect}, unsupported taint effect"
                ));
            }
            let kv: Vec<&str> = kv.split('=').collect();
            match kv.as_slice() {
                [key] => (*key, "", *effect),
                [key, value] => {
                    let errs = is_label_value(value);
                    if !errs.is_empty() {
                        return Err(format!("invalid taint spec: {spec}, {}", errs.join("; ")));
                    }
                    (*key, *value, *effect)
                }
                _ => return Err(format!("invalid taint spec: {spec}")),
            }
        }
        _ => return Err(format!("invalid taint spec: {spec}")),
    };
    let errs = is_qualified_name(key);
    if !errs.is_empty() {
        return Err(format!("invalid taint spec: {spec}, {}", errs.join("; ")));
    }
    Ok(Taint {
        key: key.to_string(),
        value: value.to_string(),
        effect: effect.to_string(),
    })
}

/// `parseTaints`: taints to add and taints to remove (`key:effect-`, `key-`).
fn parse_taints(specs: &[String]) -> Result<(Vec<Taint>, Vec<Taint>), String> {
    let mut add: Vec<Taint> = Vec::new();
    let mut remove = Vec::new();
    for spec in specs {
        if let Some(stripped) = spec.strip_suffix('-') {
            let t = parse_taint(stripped)?;
            remove.push(Taint {
                value: String::new(),
                ..t
            });
        } else {
            let t = parse_taint(spec)?;
            if t.effect.is_empty() {
                return Err(format!("invalid taint spec: {spec}"));
            }
            if add.iter().any(|a| a.matches(&t)) {
                // Go prints the struct with %v: {key value effect <nil>}.
                return Err(format!(
                    "duplicated taints with the same key and effect: {{{} {} {} <nil>}}",
                    t.key, t.value, t.effect
                ));
            }
            add.push(t);
        }
    }
    Ok((add, remove))
}

const TAINT_FLAGS: &[Flag] = &[
    ("overwrite", None, Takes::Bool),
    ("all", None, Takes::Bool),
    ("selector", Some('l'), Takes::Value),
    ("dry-run", None, Takes::Value),
    ("output", Some('o'), Takes::Value),
    ("field-manager", None, Takes::Value),
    ("validate", None, Takes::Value),
];

/// `kubectl taint nodes NODE key=value:Effect ...`: adds, replaces or removes node taints.
pub fn taint(args: &[String], ctx: &mut Ctx) -> Output {
    let parsed = match parse("kubectl taint", args, TAINT_FLAGS, true) {
        Ok(a) => a,
        Err(out) => return out,
    };
    if parsed.has("help") {
        return Output::ok("Update the taints on one or more nodes.\n\nUsage:\n  kubectl taint NODE NAME KEY_1=VAL_1:TAINT_EFFECT_1 ... KEY_N=VAL_N:TAINT_EFFECT_N [options]\n");
    }
    let fail = |text: &str| Output::fail(format!("error: {text}\n"));
    let mut resources: Vec<String> = Vec::new();
    let mut taint_args: Vec<String> = Vec::new();
    for s in &parsed.positional {
        let is_taint = s.contains('=') || s.contains(':') || s.ends_with('-');
        match (taint_args.is_empty(), is_taint) {
            (_, true) => taint_args.push(s.clone()),
            (true, false) => resources.push(s.clone()),
            (false, false) => {
                return fail(&format!(
                    "all resources must be specified before taint changes: {s}"
                ))
            }
        }
    }
    let Some(kind) = resources.first() else {
        return fail("one or more resources must be specified as <resource> <name>");
    };
    if taint_args.is_empty() {
        return fail("at least one taint update is required");
    }
    let (add, remove) = match parse_taints(&taint_args) {
        Ok(t) => t,
        Err(e) => return usage_error("taint", &e),
    };
    let kind = kind.to_ascii_lowercase();
    match crate::sim::api::resources::lookup(&kind) {
        Some(info) if info.kind == "Node" => {}
        Some(_) => {
            return fail(&format!(
                "invalid resource type {kind}, only node types are supported"
            ))
        }
        None => {
            return fail(&format!(
                "the server doesn't have a resource type \"{kind}\""
            ))
        }
    }
    let mut conflicts = Vec::new();
    for a in &add {
        for r in &remove {
            if a.key == r.key && (r.effect.is_empty() || a.effect == r.effect) {
                conflicts.push(format!("{{\"{}\":\"{}\"}}", r.key, r.effect));
            }
        }
    }
    if !conflicts.is_empty() {
        return fail(&format!(
            "can not both modify and remove the following taint(s) in the same command: {}",
            conflicts.join(", ")
        ));
    }
    let all = parsed.has("all");
    let selector = parsed.value("selector").filter(|s| !s.is_empty());
    if all && selector.is_some() {
        return fail("setting 'all' parameter with a non empty selector is prohibited");
    }
    if !all && selector.is_none() && resources.len() < 2 {
        return fail(
            "at least one resource name must be specified since 'all' parameter is not set",
        );
    }
    let dry = match dry_run_flag(&parsed) {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    let overwrite = parsed.has("overwrite");
    let found = if all {
        match ctx.call(admin(Verb::List, "nodes")) {
            Ok(resp) => resp
                .body
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            Err(e) => return fail_with(&e),
        }
    } else {
        match nodes(ctx, resources.get(1..).unwrap_or(&[]), selector) {
            Ok(n) => n,
            Err(out) => return out,
        }
    };
    let mut out = Output::default();
    for node in &found {
        let name = str_at(node, "/metadata/name").to_string();
        let old_json: Vec<Value> = node
            .ptr("/spec/taints")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let old: Vec<Taint> = old_json.iter().map(Taint::of).collect();
        if !overwrite {
            let exists: Vec<&str> = add
                .iter()
                .filter(|a| old.iter().any(|o| o.matches(a)))
                .map(|a| a.key.as_str())
                .collect();
            if !exists.is_empty() {
                out.stderr.push_str(&format!(
                    "error: node {name} already has {} taint(s) with same effect(s) and --overwrite is false\n",
                    exists.join(",")
                ));
                out.exit_code = 1;
                return out;
            }
        }
        // reorganizeTaints: the new taints first, then the old ones they do not replace.
        let mut new: Vec<(Taint, Option<&Value>)> = add.iter().map(|t| (t.clone(), None)).collect();
        for (o, json) in old.iter().zip(&old_json) {
            if !new.iter().any(|(n, _)| n.matches(o)) {
                new.push((o.clone(), Some(json)));
            }
        }
        let added = old.len() != new.len();
        let mut errors = Vec::new();
        let mut removed = false;
        for r in &remove {
            let before = new.len();
            new.retain(|(t, _)| {
                if r.effect.is_empty() {
                    t.key != r.key
                } else {
                    !r.matches(t)
                }
            });
            removed = before != new.len();
            if !removed {
                errors.push(format!("taint \"{}\" not found", r.text()));
            }
        }
        if !errors.is_empty() {
            out.stderr
                .push_str(&format!("error: {}\n", aggregate(&errors)));
            out.exit_code = 1;
            return out;
        }
        let operation = if (added && removed) || overwrite {
            "modified"
        } else if added {
            "tainted"
        } else {
            "untainted"
        };
        if !dry {
            let taints: Vec<Value> = new.iter().map(|(t, o)| t.to_json(*o)).collect();
            let taints = if taints.is_empty() {
                Value::Null
            } else {
                Value::Array(taints)
            };
            // A strategic merge patch replaces the taints list: Node's taints have no merge key.
            let mut req = admin(Verb::Patch, "nodes").name(name.clone()).patch(
                PatchType::StrategicMerge,
                json!({ "spec": { "taints": taints } }),
            );
            req.field_manager = Some(
                parsed
                    .value("field-manager")
                    .unwrap_or("kubectl-taint")
                    .to_string(),
            );
            if let Err(e) = ctx.call(req) {
                out.append(fail_with(&e));
                return out;
            }
        }
        let suffix = if dry { " (dry run)" } else { "" };
        out.stdout
            .push_str(&format!("node/{name} {operation}{suffix}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taint_specs_parse_as_kubectl_parses_them() {
        let t = |k: &str, v: &str, e: &str| Taint {
            key: k.into(),
            value: v.into(),
            effect: e.into(),
        };
        assert_eq!(
            parse_taint("dedicated=gpu:NoSchedule"),
            Ok(t("dedicated", "gpu", "NoSchedule"))
        );
        assert_eq!(
            parse_taint("dedicated:NoExecute"),
            Ok(t("dedicated", "", "NoExecute"))
        );
        assert_eq!(parse_taint("dedicated"), Ok(t("dedicated", "", "")));
        assert_eq!(
            parse_taint("a:Sometimes"),
            Err("invalid taint effect: Sometimes, unsupported taint effect".into())
        );
        assert_eq!(
            parse_taint("a=b=c:NoSchedule"),
            Err("invalid taint spec: a=b=c:NoSchedule".into())
        );
        // Adding needs an effect; `a=b` without one is read as a key, which `=` makes invalid.
        assert_eq!(
            parse_taints(&["a".to_string()]),
            Err("invalid taint spec: a".into())
        );
        assert!(parse_taints(&["a=b".to_string()])
            .is_err_and(|e| e.starts_with("invalid taint spec: a=b, name part must consist")));
        assert!(parse_taint("bad key:NoSchedule")
            .is_err_and(|e| e.starts_with("invalid taint spec: bad key:NoSchedule, ")));
    }

    #[test]
    fn taints_print_as_go_prints_them() {
        let t = |k: &str, v: &str, e: &str| Taint {
            key: k.into(),
            value: v.into(),
            effect: e.into(),
        };
        assert_eq!(t("k", "", "").text(), "k");
        assert_eq!(t("k", "", "NoSchedule").text(), "k:NoSchedule");
        assert_eq!(t("k", "v", "NoSchedule").text(), "k=v:NoSchedule");
    }

    #[test]
    fn drain_timeouts_read_go_durations() {
        assert_eq!(parse_timeout_seconds("90s"), Some(90));
        assert_eq!(parse_timeout_seconds("2m"), Some(120));
        assert_eq!(parse_timeout_seconds("1h1m1s"), Some(3661));
        assert_eq!(parse_timeout_seconds("5"), None);
        assert_eq!(parse_timeout_seconds("x"), None);
        assert_eq!(duration_text(120), "2m0s");
        assert_eq!(duration_text(45), "45s");
    }
}
