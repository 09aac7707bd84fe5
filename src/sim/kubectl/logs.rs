//! `kubectl logs`, plus the pod look-ups the node-side commands share.
//!
//! Mirrors: kubectl v1.32 `logs` (`POD [CONTAINER]`, `TYPE/NAME`, `-c`, `--tail`, `--previous`,
//! `--timestamps`, `Defaulted container "a" out of: a, b`), the apiserver's pod log checks
//! (`container x is not valid for pod p`) and the kubelet's `validateContainerLogStatus`
//! (`container "c" in pod "p" is waiting to start: ContainerCreating`, `previous terminated
//! container "c" in pod "p" not found`), all as `Error from server (BadRequest): ...`.
//! Simplified: `-f` of a running container prints what the log holds and returns, because the
//! terminal is line-based (of a container that ended it returns as kubectl does);
//! `TYPE/NAME` picks the first pod of the object's selector.

use crate::sim::api::JsonPointer;
use serde_json::Value;

use super::cmd::Ctx;
use super::errors::api_error_text;
use super::verb_util::{parse, Flag, Takes};
use super::Output;
use crate::sim::apiserver::request::{ApiRequest, Credentials, Verb};
use crate::sim::runtime::logs::LogLine;
use crate::sim::runtime::Runtime;
use crate::sim::sort::StableSort;

pub(super) fn usage_error(command: &str, message: &str) -> Output {
    Output::fail(format!(
        "error: {message}\nSee 'kubectl {command} -h' for help and examples\n"
    ))
}

fn bad_request(message: String) -> Output {
    Output::fail(format!("Error from server (BadRequest): {message}\n"))
}

fn admin_get(resource: &str, namespace: &str, name: &str) -> ApiRequest {
    ApiRequest::new(Credentials::admin(), Verb::Get, resource)
        .namespace(namespace.to_string())
        .name(name.to_string())
}

pub(super) fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.ptr(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `web`, `pod/web`, `deploy/web`, `deployment.apps/web`, `rs/web-5d4f`: the pod kubectl picks.
/// Prints `Found N pods, using pod/NAME` to `notes` as kubectl does when a selector matched many.
pub(super) fn resolve_pod(
    ctx: &mut Ctx,
    namespace: &str,
    target: &str,
    notes: &mut String,
) -> Result<Value, Output> {
    let (kind, name) = match target.split_once('/') {
        Some((k, n)) => (k.to_ascii_lowercase(), n),
        None => ("pod".to_string(), target),
    };
    let resource = match kind.as_str() {
        "pod" | "pods" | "po" => "pods",
        "deployment" | "deployments" | "deploy" | "deployment.apps" => "deployments",
        "replicaset" | "replicasets" | "rs" | "replicaset.apps" => "replicasets",
        "daemonset" | "daemonsets" | "ds" | "daemonset.apps" => "daemonsets",
        _ => {
            return Err(Output::fail(format!(
                "error: the server doesn't have a resource type \"{kind}\"\n"
            )))
        }
    };
    let object = ctx
        .call(admin_get(resource, namespace, name))
        .map_err(|e| Output::fail(api_error_text(&e)))?
        .body;
    if resource == "pods" {
        return Ok(object);
    }
    let selector = super::table::labels_string(object.ptr("/spec/selector/matchLabels"));
    let mut list =
        ApiRequest::new(Credentials::admin(), Verb::List, "pods").namespace(namespace.to_string());
    list.list_options.label_selector = Some(selector);
    let pods: Vec<Value> = ctx
        .call(list)
        .ok()
        .and_then(|r| r.body.get("items").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    // kubectl sorts by "most likely to have useful logs": running before pending.
    let mut ranked: Vec<&Value> = pods.iter().collect();
    ranked.stable_sort_by_key(|p| {
        (
            str_at(p, "/status/phase") != "Running",
            str_at(p, "/metadata/name").to_string(),
        )
    });
    match ranked.first() {
        Some(pod) => {
            if pods.len() > 1 {
                notes.push_str(&format!(
                    "Found {} pods, using pod/{}\n",
                    pods.len(),
                    str_at(pod, "/metadata/name")
                ));
            }
            Ok((*pod).clone())
        }
        // kubectl waits --pod-running-timeout (20 s) for a pod, then gives up.
        None => Err(Output::fail("error: timed out waiting for the condition\n")),
    }
}

/// Names of a pod's containers (init containers first, as `AllContainerNames` lists them).
pub(super) fn container_names(pod: &Value) -> Vec<String> {
    ["/spec/initContainers", "/spec/containers"]
        .iter()
        .filter_map(|p| pod.ptr(p).and_then(Value::as_array))
        .flatten()
        .map(|c| str_at(c, "/name").to_string())
        .collect()
}

/// The container kubectl uses when `-c` is missing: the `kubectl.kubernetes.io/default-container`
/// annotation, else the first; `Defaulted container ...` goes to `notes` when there was a choice.
pub(super) fn default_container(pod: &Value, notes: &mut String) -> Option<String> {
    let containers: Vec<String> = pod
        .ptr("/spec/containers")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|c| str_at(c, "/name").to_string()).collect())
        .unwrap_or_default();
    let annotated = str_at(
        pod,
        "/metadata/annotations/kubectl.kubernetes.io~1default-container",
    );
    if !annotated.is_empty() && containers.iter().any(|c| c == annotated) {
        return Some(annotated.to_string());
    }
    let first = containers.first()?.clone();
    if container_names(pod).len() > 1 {
        notes.push_str(&format!(
            "Defaulted container \"{first}\" out of: {}\n",
            container_names(pod).join(", ")
        ));
    }
    Some(first)
}

/// The runtime's id of a pod's container (current, or with `previous` the last terminated
/// one), checked as the kubelet's `validateContainerLogStatus` checks it.
pub(super) fn log_container_id(
    pod: &Value,
    container: &str,
    previous: bool,
) -> Result<String, Output> {
    container_log_id(pod, container, previous).map_err(bad_request)
}

/// The last `tail` lines (all with None) of a container's log on its node's runtime, one per
/// line, with RFC 3339 timestamps first when asked: what `kubectl logs` prints and what
/// `GET pods/NAME/log` answers (`kube-sandbox serve`).
pub fn log_text(runtime: &Runtime, id: &str, tail: Option<usize>, timestamps: bool) -> String {
    match runtime.container_log(id) {
        Some(log) => lines_text(runtime, log.tail(tail), timestamps),
        None => String::new(),
    }
}

/// Log lines of `runtime` as `kubectl logs` prints them: one per line, with RFC 3339 timestamps
/// first when asked (`kube-sandbox serve`'s `logs -f` sends the new ones this way too).
pub fn lines_text(runtime: &Runtime, lines: Vec<&LogLine>, timestamps: bool) -> String {
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.display(runtime.config.epoch_unix_seconds, timestamps));
        text.push('\n');
    }
    text
}

/// The status of `container` of `pod` (an init container's too), if the kubelet reported one.
pub fn container_status<'a>(pod: &'a Value, container: &str) -> Option<&'a Value> {
    ["/status/initContainerStatuses", "/status/containerStatuses"]
        .iter()
        .filter_map(|p| pod.ptr(p).and_then(Value::as_array))
        .flatten()
        .find(|s| str_at(s, "/name") == container)
}

/// Whether `container` of `pod` runs now, by the pod's status.
pub fn container_running(pod: &Value, container: &str) -> bool {
    container_status(pod, container).is_some_and(|s| s.ptr("/state/running").is_some())
}

/// [`log_container_id`] with the apiserver's BadRequest message as the error: what
/// `GET pods/NAME/log` answers (`kube-sandbox serve`).
pub fn container_log_id(pod: &Value, container: &str, previous: bool) -> Result<String, String> {
    let pod_name = str_at(pod, "/metadata/name");
    if !container_names(pod).iter().any(|c| c == container) {
        return Err(format!(
            "container {container} is not valid for pod {pod_name}"
        ));
    }
    if str_at(pod, "/spec/nodeName").is_empty() {
        return Err(format!(
            "container \"{container}\" in pod \"{pod_name}\" is waiting to start: ContainerCreating"
        ));
    }
    let Some(status) = container_status(pod, container) else {
        return Err(format!(
            "container \"{container}\" in pod \"{pod_name}\" is waiting to start: ContainerCreating"
        ));
    };
    let id_of = |v: &str| v.split_once("://").map(|(_, id)| id.to_string());
    let last = id_of(str_at(status, "/lastState/terminated/containerID"));
    if previous {
        return last.ok_or_else(|| {
            format!("previous terminated container \"{container}\" in pod \"{pod_name}\" not found")
        });
    }
    if status.ptr("/state/running").is_some() || status.ptr("/state/terminated").is_some() {
        if let Some(id) = id_of(str_at(status, "/containerID")) {
            return Ok(id);
        }
        return Err(format!(
            "container \"{container}\" in pod \"{pod_name}\" is terminated"
        ));
    }
    if let Some(id) = last {
        return Ok(id);
    }
    let reason = str_at(status, "/state/waiting/reason");
    Err(match reason {
        "ErrImagePull" | "ImagePullBackOff" => format!(
            "container \"{container}\" in pod \"{pod_name}\" is waiting to start: trying and failing to pull image"
        ),
        "ErrImageNeverPull" => format!(
            "container \"{container}\" in pod \"{pod_name}\" is waiting to start: image can't be pulled"
        ),
        "" => format!(
            "container \"{container}\" in pod \"{pod_name}\" is waiting to start: ContainerCreating"
        ),
        r => format!("container \"{container}\" in pod \"{pod_name}\" is waiting to start: {r}"),
    })
}

const LOGS_FLAGS: &[Flag] = &[
    ("container", Some('c'), Takes::Value),
    ("tail", None, Takes::Value),
    ("previous", Some('p'), Takes::Bool),
    ("timestamps", None, Takes::Bool),
    ("follow", Some('f'), Takes::Bool),
];

/// `kubectl logs ARGS...` (without `logs`).
pub fn run(args: &[String], ctx: &mut Ctx) -> Output {
    let a = match parse("kubectl logs", args, LOGS_FLAGS, true) {
        Ok(a) => a,
        Err(out) => return out,
    };
    if a.has("help") {
        return Output::ok(LOGS_HELP);
    }
    let Some(target) = a.positional.first() else {
        return Output::fail(
            "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command\nSee 'kubectl logs -h' for help and examples\n",
        );
    };
    let tail = match a.value("tail") {
        None => None,
        Some(t) => match t.parse::<i64>() {
            Ok(n) if n < 0 => None,
            Ok(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            Err(_) => {
                return usage_error(
                    "logs",
                    &format!("invalid argument \"{t}\" for \"--tail\" flag: strconv.ParseInt: parsing \"{t}\": invalid syntax"),
                )
            }
        },
    };
    let mut notes = String::new();
    let pod = match resolve_pod(ctx, &a.namespace(), target, &mut notes) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let container = match (a.value("container"), a.positional.get(1)) {
        (Some(c), _) => c.to_string(),
        (None, Some(c)) => c.clone(),
        (None, None) => match default_container(&pod, &mut notes) {
            Some(c) => c,
            None => return Output::fail("error: pod has no containers\n"),
        },
    };
    // kubectl checks the container against the pod it fetched before asking for the log.
    if !container_names(&pod).contains(&container) {
        return Output::fail(format!(
            "{notes}error: container {container} is not valid for pod {}\n",
            str_at(&pod, "/metadata/name")
        ));
    }
    let id = match log_container_id(&pod, &container, a.has("previous")) {
        Ok(id) => id,
        Err(mut out) => {
            out.stderr = notes + &out.stderr;
            return out;
        }
    };
    let node = str_at(&pod, "/spec/nodeName");
    let mut out = Output {
        stderr: notes,
        ..Output::default()
    };
    if let Some(runtime) = ctx.backend.node(node).and_then(|h| h.runtime()) {
        out.stdout = log_text(&runtime.borrow(), &id, tail, a.has("timestamps"));
    }
    // A container that ended has nothing more to say: `-f` returns after its log, as the real
    // one does. A running one would go on, which a line-based terminal cannot show.
    if a.has("follow") && container_running(&pod, &container) {
        out.stderr.push_str(
            "(this terminal is line-based: -f printed the log so far and returned; run it again for new lines)\n",
        );
    }
    out
}

const LOGS_HELP: &str = "Print the logs for a container in a pod or specified resource.

Examples:
  kubectl logs nginx
  kubectl logs nginx -c nginx --tail=20 --timestamps
  kubectl logs -p nginx
  kubectl logs deploy/web

Options:
  -c, --container='': Print the logs of this container
  -f, --follow=false: Specify if the logs should be streamed (here: prints what is there and returns)
  -p, --previous=false: Print the logs for the previous instance of the container
      --tail=-1: Lines of recent log file to display
      --timestamps=false: Include timestamps on each line in the log output
";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn flags_take_values_inline_or_from_the_next_word() {
        let a = parse(
            "kubectl logs",
            &words("web -c nginx --tail=5 -p -n kube-system"),
            LOGS_FLAGS,
            true,
        )
        .expect("parses");
        assert_eq!(a.positional, vec!["web"]);
        assert_eq!(a.value("container"), Some("nginx"));
        assert_eq!(a.value("tail"), Some("5"));
        assert!(a.has("previous"));
        assert_eq!(a.namespace(), "kube-system");
    }

    #[test]
    fn an_unknown_flag_or_a_missing_value_is_an_error() {
        // As kubectl 1.32 prints them (cobra's flag errors).
        let err = |line: &str| {
            parse("kubectl logs", &words(line), LOGS_FLAGS, true)
                .err()
                .map(|out| out.stderr)
        };
        assert_eq!(
            err("web --bogus").as_deref(),
            Some("Error: unknown flag: --bogus\nSee 'kubectl logs --help' for usage.\n")
        );
        assert_eq!(
            err("web -c").as_deref(),
            Some(
                "Error: flag needs an argument: 'c' in -c\nSee 'kubectl logs --help' for usage.\n"
            )
        );
    }

    #[test]
    fn a_waiting_container_has_no_logs_yet() {
        let pod = json!({"metadata": {"name": "web"}, "spec": {"nodeName": "node1",
            "containers": [{"name": "nginx"}]}, "status": {"containerStatuses": [
            {"name": "nginx", "state": {"waiting": {"reason": "ContainerCreating"}}}]}});
        let err = log_container_id(&pod, "nginx", false).expect_err("refused");
        assert_eq!(
            err.stderr,
            "Error from server (BadRequest): container \"nginx\" in pod \"web\" is waiting to start: ContainerCreating\n"
        );
        let err = log_container_id(&pod, "nginx", true).expect_err("refused");
        assert!(err
            .stderr
            .contains("previous terminated container \"nginx\" in pod \"web\" not found"));
        let err = log_container_id(&pod, "x", false).expect_err("refused");
        assert!(err.stderr.contains("container x is not valid for pod web"));
    }
}
