//! The default table output of `kubectl get`, per kind, with kubectl's alignment and AGE.
//!
//! Mirrors: kubectl's server-side table columns (`pkg/printers/internalversion/printers.go`:
//! `printPod`, `printDeployment`, `printService`, `printNode`, `printEvent`, ...), the tabwriter
//! kubectl prints through (`minwidth 6, padding 3`, cells measured in runes, the last column
//! never padded) and `duration.HumanDuration` from apimachinery for AGE.
//! Simplified: the columns are computed here from the object, as kubectl's client-side fallback
//! does, instead of asking the apiserver for a `Table`.

use crate::sim::api::JsonPointer;
use serde_json::Value;

use crate::sim::api::resources::ResourceInfo;
use crate::sim::clock::unix_from_rfc3339;

const TAB_MIN_WIDTH: usize = 6;
const TAB_PADDING: usize = 3;

/// Aligns rows of cells as Go's text/tabwriter does for kubectl.
pub fn tabwrite(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < row.len() {
                let w = (cell.chars().count() + TAB_PADDING).max(TAB_MIN_WIDTH);
                if let Some(slot) = widths.get_mut(i) {
                    *slot = (*slot).max(w);
                }
            }
        }
    }
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths.get(i).copied().unwrap_or(0) - cell.chars().count();
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
    }
    out
}

/// apimachinery's `HumanDuration`: `5s`, `2m3s`, `10m`, `3h5m`, `2d`, `2y45d`.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// kubectl's `translateTimestampSince`: `<unknown>` when the field is missing.
pub fn age(timestamp: Option<&Value>, now_unix: i64) -> String {
    match timestamp
        .and_then(Value::as_str)
        .and_then(unix_from_rfc3339)
    {
        Some(t) => human_duration(now_unix - t),
        None => "<unknown>".to_string(),
    }
}

/// How a table is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableOptions {
    pub wide: bool,
    /// `-A`: a NAMESPACE column first.
    pub with_namespace: bool,
    /// Several kinds in one `get`: names print as `pod/web`.
    pub with_kind: bool,
}

/// Header and rows (without the NAMESPACE column) for one kind.
pub fn header(info: &ResourceInfo, wide: bool) -> Vec<&'static str> {
    let (base, extra): (&[&str], &[&str]) = match info.plural {
        "pods" => (
            &["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
            &["IP", "NODE", "NOMINATED NODE", "READINESS GATES"],
        ),
        "deployments" => (
            &["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        "replicasets" | "replicationcontrollers" => (
            &["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        "daemonsets" => (
            &[
                "NAME",
                "DESIRED",
                "CURRENT",
                "READY",
                "UP-TO-DATE",
                "AVAILABLE",
                "NODE SELECTOR",
                "AGE",
            ],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        "jobs" => (
            &["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        "cronjobs" => (
            &[
                "NAME",
                "SCHEDULE",
                "TIMEZONE",
                "SUSPEND",
                "ACTIVE",
                "LAST SCHEDULE",
                "AGE",
            ],
            &["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        "services" => (
            &[
                "NAME",
                "TYPE",
                "CLUSTER-IP",
                "EXTERNAL-IP",
                "PORT(S)",
                "AGE",
            ],
            &["SELECTOR"],
        ),
        "nodes" => (
            &["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
            &[
                "INTERNAL-IP",
                "EXTERNAL-IP",
                "OS-IMAGE",
                "KERNEL-VERSION",
                "CONTAINER-RUNTIME",
            ],
        ),
        "namespaces" => (&["NAME", "STATUS", "AGE"], &[]),
        "events" => (&["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], &[]),
        "configmaps" => (&["NAME", "DATA", "AGE"], &[]),
        "secrets" => (&["NAME", "TYPE", "DATA", "AGE"], &[]),
        "serviceaccounts" => (&["NAME", "SECRETS", "AGE"], &[]),
        "endpoints" => (&["NAME", "ENDPOINTS", "AGE"], &[]),
        "endpointslices" => (&["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], &[]),
        "leases" => (&["NAME", "HOLDER", "AGE"], &[]),
        "roles" | "clusterroles" => (&["NAME", "CREATED AT"], &[]),
        "rolebindings" | "clusterrolebindings" => (
            &["NAME", "ROLE", "AGE"],
            &["USERS", "GROUPS", "SERVICEACCOUNTS"],
        ),
        "priorityclasses" => (
            &["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"],
            &[],
        ),
        "resourcequotas" => (&["NAME", "AGE", "REQUEST", "LIMIT"], &[]),
        _ => (&["NAME", "AGE"], &[]),
    };
    if wide && info.plural == "events" {
        // Events interleave their wide columns (printers.go's eventColumnDefinitions).
        return vec![
            "LAST SEEN",
            "TYPE",
            "REASON",
            "OBJECT",
            "SUBOBJECT",
            "SOURCE",
            "MESSAGE",
            "FIRST SEEN",
            "COUNT",
            "NAME",
        ];
    }
    let mut columns = base.to_vec();
    if wide {
        columns.extend_from_slice(extra);
    }
    columns
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    Some(cur)
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    s(v, path).and_then(Value::as_str).unwrap_or("")
}

fn int_at(v: &Value, path: &[&str]) -> i64 {
    s(v, path).and_then(Value::as_i64).unwrap_or(0)
}

fn len_at(v: &Value, path: &[&str]) -> usize {
    match s(v, path) {
        Some(Value::Object(m)) => m.len(),
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    }
}

fn or_none(text: String) -> String {
    if text.is_empty() {
        "<none>".to_string()
    } else {
        text
    }
}

/// `app=web,tier=front` from a map of labels (sorted, as Go's labels.Set.String()).
pub(crate) fn labels_string(map: Option<&Value>) -> String {
    match map {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
            .collect::<Vec<_>>()
            .join(","),
        _ => String::new(),
    }
}

/// metav1.LabelSelector as kubectl prints it: matchLabels, then matchExpressions.
pub(crate) fn selector_string(selector: Option<&Value>) -> String {
    let Some(selector) = selector else {
        return "<none>".to_string();
    };
    let mut parts = Vec::new();
    let labels = labels_string(selector.get("matchLabels"));
    if !labels.is_empty() {
        parts.push(labels);
    }
    if let Some(Value::Array(exprs)) = selector.get("matchExpressions") {
        for e in exprs {
            let key = str_at(e, &["key"]);
            let values: Vec<&str> = match e.get("values") {
                Some(Value::Array(vs)) => vs.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            let part = match str_at(e, &["operator"]) {
                "In" => format!("{key} in ({})", values.join(",")),
                "NotIn" => format!("{key} notin ({})", values.join(",")),
                "Exists" => key.to_string(),
                "DoesNotExist" => format!("!{key}"),
                other => format!("{key} {other}"),
            };
            parts.push(part);
        }
    }
    or_none(parts.join(","))
}

fn containers_and_images(template_spec: Option<&Value>) -> (String, String) {
    let mut names = Vec::new();
    let mut images = Vec::new();
    if let Some(Value::Array(cs)) = template_spec.and_then(|t| t.get("containers")) {
        for c in cs {
            names.push(str_at(c, &["name"]).to_string());
            images.push(str_at(c, &["image"]).to_string());
        }
    }
    (names.join(","), images.join(","))
}

/// One row of cells (without NAMESPACE) for an object; `name` is already kind-qualified if asked.
pub fn row(info: &ResourceInfo, obj: &Value, name: String, wide: bool, now: i64) -> Vec<String> {
    let age_cell = || age(s(obj, &["metadata", "creationTimestamp"]), now);
    let mut cells = vec![name];
    match info.plural {
        "pods" => {
            let (ready, total, restarts) = pod_container_counts(obj);
            cells.push(format!("{ready}/{total}"));
            cells.push(pod_status(obj));
            cells.push(match last_restart(obj) {
                // printPod: `4 (38s ago)`, since the latest container termination.
                Some(finished) if restarts != 0 => {
                    format!("{restarts} ({} ago)", age(Some(finished), now))
                }
                _ => restarts.to_string(),
            });
            cells.push(age_cell());
            if wide {
                cells.push(or_none(str_at(obj, &["status", "podIP"]).to_string()));
                cells.push(or_none(str_at(obj, &["spec", "nodeName"]).to_string()));
                cells.push(or_none(
                    str_at(obj, &["status", "nominatedNodeName"]).to_string(),
                ));
                cells.push(readiness_gates(obj));
            }
        }
        "deployments" => {
            let desired = s(obj, &["spec", "replicas"])
                .and_then(Value::as_i64)
                .unwrap_or(1);
            cells.push(format!(
                "{}/{desired}",
                int_at(obj, &["status", "readyReplicas"])
            ));
            cells.push(int_at(obj, &["status", "updatedReplicas"]).to_string());
            cells.push(int_at(obj, &["status", "availableReplicas"]).to_string());
            cells.push(age_cell());
            if wide {
                push_workload_wide(&mut cells, obj);
            }
        }
        "replicasets" | "replicationcontrollers" => {
            let desired = s(obj, &["spec", "replicas"])
                .and_then(Value::as_i64)
                .unwrap_or(1);
            cells.push(desired.to_string());
            cells.push(int_at(obj, &["status", "replicas"]).to_string());
            cells.push(int_at(obj, &["status", "readyReplicas"]).to_string());
            cells.push(age_cell());
            if wide {
                push_workload_wide(&mut cells, obj);
            }
        }
        "daemonsets" => {
            for field in [
                "desiredNumberScheduled",
                "currentNumberScheduled",
                "numberReady",
                "updatedNumberScheduled",
                "numberAvailable",
            ] {
                cells.push(int_at(obj, &["status", field]).to_string());
            }
            cells.push(or_none(labels_string(s(
                obj,
                &["spec", "template", "spec", "nodeSelector"],
            ))));
            cells.push(age_cell());
            if wide {
                push_workload_wide(&mut cells, obj);
            }
        }
        "jobs" => {
            cells.push(job_status(obj));
            let completions = s(obj, &["spec", "completions"]).and_then(Value::as_i64);
            let succeeded = int_at(obj, &["status", "succeeded"]);
            cells.push(match completions {
                Some(c) => format!("{succeeded}/{c}"),
                None => format!("{succeeded}/1 of {}", int_at(obj, &["spec", "parallelism"])),
            });
            let start = s(obj, &["status", "startTime"])
                .and_then(Value::as_str)
                .and_then(unix_from_rfc3339);
            let end = s(obj, &["status", "completionTime"])
                .and_then(Value::as_str)
                .and_then(unix_from_rfc3339);
            cells.push(match (start, end) {
                (Some(a), Some(b)) => human_duration(b - a),
                (Some(a), None) => human_duration(now - a),
                _ => String::new(),
            });
            cells.push(age_cell());
            if wide {
                push_workload_wide(&mut cells, obj);
            }
        }
        "cronjobs" => {
            // printCronJob: printBoolPtr for suspend, translateTimestampSince for the times.
            cells.push(str_at(obj, &["spec", "schedule"]).to_string());
            cells.push(or_none(str_at(obj, &["spec", "timeZone"]).to_string()));
            cells.push(
                match s(obj, &["spec", "suspend"]).and_then(Value::as_bool) {
                    Some(true) => "True".into(),
                    Some(false) => "False".into(),
                    None => "<unset>".into(),
                },
            );
            cells.push(len_at(obj, &["status", "active"]).to_string());
            cells.push(match s(obj, &["status", "lastScheduleTime"]) {
                Some(t) => age(Some(t), now),
                None => "<none>".into(),
            });
            cells.push(age_cell());
            if wide {
                let template = s(obj, &["spec", "jobTemplate", "spec"]);
                let (names, images) =
                    containers_and_images(template.and_then(|t| t.ptr("/template/spec")));
                cells.push(names);
                cells.push(images);
                cells.push(selector_string(template.and_then(|t| t.get("selector"))));
            }
        }
        "services" => {
            let svc_type = match str_at(obj, &["spec", "type"]) {
                "" => "ClusterIP",
                t => t,
            };
            cells.push(svc_type.to_string());
            cells.push(or_none(str_at(obj, &["spec", "clusterIP"]).to_string()));
            cells.push(service_external_ip(obj, svc_type));
            cells.push(service_ports(obj));
            cells.push(age_cell());
            if wide {
                cells.push(or_none(labels_string(s(obj, &["spec", "selector"]))));
            }
        }
        "nodes" => {
            cells.push(node_status(obj));
            cells.push(node_roles(obj));
            cells.push(age_cell());
            cells.push(str_at(obj, &["status", "nodeInfo", "kubeletVersion"]).to_string());
            if wide {
                cells.push(node_address(obj, "InternalIP"));
                cells.push(node_address(obj, "ExternalIP"));
                for field in ["osImage", "kernelVersion", "containerRuntimeVersion"] {
                    cells.push(or_unknown(str_at(obj, &["status", "nodeInfo", field])));
                }
            }
        }
        "namespaces" => {
            cells.push(str_at(obj, &["status", "phase"]).to_string());
            cells.push(age_cell());
        }
        "events" => {
            // LAST SEEN replaces NAME; -o wide shows the name last (printEvent).
            cells.clear();
            let present = |path: &[&str]| s(obj, path).filter(|v| !v.is_null());
            let first = present(&["firstTimestamp"])
                .or_else(|| present(&["eventTime"]))
                .or_else(|| present(&["metadata", "creationTimestamp"]));
            let last = present(&["series", "lastObservedTime"])
                .or_else(|| present(&["lastTimestamp"]))
                .or(first);
            let count = match s(obj, &["series", "count"]).and_then(Value::as_i64) {
                Some(c) => c,
                None => match int_at(obj, &["count"]) {
                    0 => 1,
                    c => c,
                },
            };
            let kind = str_at(obj, &["involvedObject", "kind"]).to_ascii_lowercase();
            let target = match str_at(obj, &["involvedObject", "name"]) {
                "" => kind,
                name => format!("{kind}/{name}"),
            };
            cells.push(age(last, now));
            cells.push(str_at(obj, &["type"]).to_string());
            cells.push(str_at(obj, &["reason"]).to_string());
            cells.push(target);
            if wide {
                cells.push(str_at(obj, &["involvedObject", "fieldPath"]).to_string());
                cells.push(event_source(obj));
            }
            cells.push(str_at(obj, &["message"]).trim().to_string());
            if wide {
                cells.push(age(first, now));
                cells.push(count.to_string());
                cells.push(str_at(obj, &["metadata", "name"]).to_string());
            }
        }
        "configmaps" => {
            cells.push((len_at(obj, &["data"]) + len_at(obj, &["binaryData"])).to_string());
            cells.push(age_cell());
        }
        "secrets" => {
            cells.push(str_at(obj, &["type"]).to_string());
            cells.push((len_at(obj, &["data"]) + len_at(obj, &["stringData"])).to_string());
            cells.push(age_cell());
        }
        "serviceaccounts" => {
            cells.push(len_at(obj, &["secrets"]).to_string());
            cells.push(age_cell());
        }
        "endpoints" => {
            cells.push(endpoints_string(obj));
            cells.push(age_cell());
        }
        "endpointslices" => {
            cells.push(str_at(obj, &["addressType"]).to_string());
            let ports: Vec<String> = match obj.get("ports") {
                Some(Value::Array(ps)) => ps
                    .iter()
                    .filter_map(|p| p.get("port").and_then(Value::as_i64))
                    .map(|p| p.to_string())
                    .collect(),
                _ => Vec::new(),
            };
            cells.push(if ports.is_empty() {
                "<unset>".to_string()
            } else {
                ports.join(",")
            });
            let mut addresses = Vec::new();
            if let Some(Value::Array(eps)) = obj.get("endpoints") {
                for ep in eps {
                    if let Some(Value::Array(addrs)) = ep.get("addresses") {
                        addresses.extend(addrs.iter().filter_map(Value::as_str));
                    }
                }
            }
            cells.push(more_list(&addresses, "<unset>"));
            cells.push(age_cell());
        }
        "leases" => {
            cells.push(or_none(
                str_at(obj, &["spec", "holderIdentity"]).to_string(),
            ));
            cells.push(age_cell());
        }
        "roles" | "clusterroles" => {
            cells.push(str_at(obj, &["metadata", "creationTimestamp"]).to_string());
        }
        "rolebindings" | "clusterrolebindings" => {
            cells.push(format!(
                "{}/{}",
                str_at(obj, &["roleRef", "kind"]),
                str_at(obj, &["roleRef", "name"])
            ));
            cells.push(age_cell());
            if wide {
                let mut users = Vec::new();
                let mut groups = Vec::new();
                let mut sas = Vec::new();
                if let Some(Value::Array(subjects)) = obj.get("subjects") {
                    for subject in subjects {
                        let name = str_at(subject, &["name"]);
                        match str_at(subject, &["kind"]) {
                            "User" => users.push(name.to_string()),
                            "Group" => groups.push(name.to_string()),
                            "ServiceAccount" => {
                                sas.push(format!("{}/{name}", str_at(subject, &["namespace"])))
                            }
                            _ => {}
                        }
                    }
                }
                cells.push(users.join(", "));
                cells.push(groups.join(", "));
                cells.push(sas.join(", "));
            }
        }
        "priorityclasses" => {
            cells.push(int_at(obj, &["value"]).to_string());
            let global = s(obj, &["globalDefault"])
                .and_then(Value::as_bool)
                .unwrap_or(false);
            cells.push(global.to_string());
            cells.push(age_cell());
            cells.push(or_none(str_at(obj, &["preemptionPolicy"]).to_string()));
        }
        "resourcequotas" => {
            // `printResourceQuota`: `used/hard` of each status.hard resource by name, limits.*
            // in LIMIT and the rest in REQUEST.
            use crate::sim::api::quota::resource_list;
            let used = resource_list(obj.ptr("/status/used"));
            let (mut request, mut limit) = (Vec::new(), Vec::new());
            for (k, hard) in resource_list(obj.ptr("/status/hard")) {
                let u = used.get(&k).map_or("0".into(), |q| q.canonical());
                let column = if k.starts_with("limits.") {
                    &mut limit
                } else {
                    &mut request
                };
                column.push(format!("{k}: {u}/{hard}"));
            }
            cells.push(age_cell());
            cells.push(request.join(", "));
            cells.push(limit.join(", "));
        }
        _ => cells.push(age_cell()),
    }
    cells
}

/// `formatEventSource`: `component, host`, falling back to the reporting controller/instance.
fn event_source(event: &Value) -> String {
    let first_non_empty = |a: &str, b: &str| if a.is_empty() { b } else { a }.to_string();
    let component = first_non_empty(
        str_at(event, &["source", "component"]),
        str_at(event, &["reportingComponent"]),
    );
    let instance = first_non_empty(
        str_at(event, &["source", "host"]),
        str_at(event, &["reportingInstance"]),
    );
    if instance.is_empty() {
        component
    } else {
        format!("{component}, {instance}")
    }
}

fn or_unknown(s: &str) -> String {
    if s.is_empty() {
        "<unknown>".to_string()
    } else {
        s.to_string()
    }
}

fn push_workload_wide(cells: &mut Vec<String>, obj: &Value) {
    let (names, images) = containers_and_images(s(obj, &["spec", "template", "spec"]));
    cells.push(names);
    cells.push(images);
    let selector = if obj.get("kind").and_then(Value::as_str) == Some("ReplicationController") {
        or_none(labels_string(s(obj, &["spec", "selector"])))
    } else {
        selector_string(s(obj, &["spec", "selector"]))
    };
    cells.push(selector);
}

/// When a container of the pod last terminated (`lastState.terminated.finishedAt`, the latest).
fn last_restart(pod: &Value) -> Option<&Value> {
    let statuses = s(pod, &["status", "containerStatuses"])?.as_array()?;
    statuses
        .iter()
        .filter_map(|st| st.ptr("/lastState/terminated/finishedAt"))
        .filter(|t| t.as_str().is_some_and(|t| !t.is_empty()))
        .max_by(|a, b| a.as_str().cmp(&b.as_str()))
}

/// `(ready containers, containers, restarts)`.
pub fn pod_container_counts(pod: &Value) -> (usize, usize, i64) {
    let total = len_at(pod, &["spec", "containers"]);
    let mut ready = 0;
    let mut restarts = 0;
    if let Some(Value::Array(statuses)) = s(pod, &["status", "containerStatuses"]) {
        for st in statuses {
            restarts += int_at(st, &["restartCount"]);
            if st.get("ready").and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
        }
    }
    (ready, total, restarts)
}

/// The STATUS column: phase, overridden by the reason the user most needs to see
/// (`Init:0/1`, `ContainerCreating`, `CrashLoopBackOff`, `Completed`, `Terminating`).
pub fn pod_status(pod: &Value) -> String {
    let mut reason = match str_at(pod, &["status", "reason"]) {
        "" => str_at(pod, &["status", "phase"]).to_string(),
        r => r.to_string(),
    };
    let mut initializing = false;
    if let Some(Value::Array(inits)) = s(pod, &["status", "initContainerStatuses"]) {
        let total = len_at(pod, &["spec", "initContainers"]);
        for (i, st) in inits.iter().enumerate() {
            let terminated = s(st, &["state", "terminated"]);
            let waiting = s(st, &["state", "waiting"]);
            if let Some(t) = terminated {
                if int_at(t, &["exitCode"]) == 0 {
                    continue;
                }
                reason = match str_at(t, &["reason"]) {
                    "" => format!("Init:ExitCode:{}", int_at(t, &["exitCode"])),
                    r => format!("Init:{r}"),
                };
            } else if let Some(w) = waiting.filter(|w| {
                !str_at(w, &["reason"]).is_empty() && str_at(w, &["reason"]) != "PodInitializing"
            }) {
                reason = format!("Init:{}", str_at(w, &["reason"]));
            } else {
                reason = format!("Init:{i}/{total}");
            }
            initializing = true;
            break;
        }
    }
    if !initializing {
        let mut has_running = false;
        if let Some(Value::Array(statuses)) = s(pod, &["status", "containerStatuses"]) {
            for st in statuses.iter().rev() {
                if let Some(w) = s(st, &["state", "waiting"]) {
                    if !str_at(w, &["reason"]).is_empty() {
                        reason = str_at(w, &["reason"]).to_string();
                    }
                } else if let Some(t) = s(st, &["state", "terminated"]) {
                    reason = match str_at(t, &["reason"]) {
                        "" if int_at(t, &["signal"]) != 0 => {
                            format!("Signal:{}", int_at(t, &["signal"]))
                        }
                        "" => format!("ExitCode:{}", int_at(t, &["exitCode"])),
                        r => r.to_string(),
                    };
                } else if s(st, &["state", "running"]).is_some()
                    && st.get("ready").and_then(Value::as_bool) == Some(true)
                {
                    has_running = true;
                }
            }
        }
        if reason == "Completed" && has_running {
            reason = if pod_is_ready(pod) {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }
    if s(pod, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null()) {
        reason = if str_at(pod, &["status", "reason"]) == "NodeLost" {
            "Unknown".to_string()
        } else {
            "Terminating".to_string()
        };
    }
    reason
}

fn pod_is_ready(pod: &Value) -> bool {
    match s(pod, &["status", "conditions"]) {
        Some(Value::Array(conds)) => conds
            .iter()
            .any(|c| str_at(c, &["type"]) == "Ready" && str_at(c, &["status"]) == "True"),
        _ => false,
    }
}

fn readiness_gates(pod: &Value) -> String {
    let Some(Value::Array(gates)) = s(pod, &["spec", "readinessGates"]) else {
        return "<none>".to_string();
    };
    if gates.is_empty() {
        return "<none>".to_string();
    }
    let conds = match s(pod, &["status", "conditions"]) {
        Some(Value::Array(c)) => c.as_slice(),
        _ => &[],
    };
    let true_count = gates
        .iter()
        .filter(|g| {
            let t = str_at(g, &["conditionType"]);
            conds
                .iter()
                .any(|c| str_at(c, &["type"]) == t && str_at(c, &["status"]) == "True")
        })
        .count();
    format!("{true_count}/{}", gates.len())
}

fn job_status(job: &Value) -> String {
    let conds = match s(job, &["status", "conditions"]) {
        Some(Value::Array(c)) => c.as_slice(),
        _ => &[],
    };
    let has = |t: &str| {
        conds
            .iter()
            .any(|c| str_at(c, &["type"]) == t && str_at(c, &["status"]) == "True")
    };
    if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if s(job, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null()) {
        "Terminating"
    } else if has("SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else if has("Suspended") {
        "Suspended"
    } else {
        "Running"
    }
    .to_string()
}

fn service_external_ip(svc: &Value, svc_type: &str) -> String {
    let external: Vec<&str> = match s(svc, &["spec", "externalIPs"]) {
        Some(Value::Array(ips)) => ips.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    match svc_type {
        "ClusterIP" | "NodePort" => {
            if external.is_empty() {
                "<none>".to_string()
            } else {
                external.join(",")
            }
        }
        "LoadBalancer" => {
            let mut ips: Vec<String> = match s(svc, &["status", "loadBalancer", "ingress"]) {
                Some(Value::Array(ing)) => ing
                    .iter()
                    .map(|i| match str_at(i, &["ip"]) {
                        "" => str_at(i, &["hostname"]).to_string(),
                        ip => ip.to_string(),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            ips.extend(external.iter().map(|s| s.to_string()));
            if ips.is_empty() {
                "<pending>".to_string()
            } else {
                ips.join(",")
            }
        }
        "ExternalName" => str_at(svc, &["spec", "externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    }
}

fn service_ports(svc: &Value) -> String {
    let Some(Value::Array(ports)) = s(svc, &["spec", "ports"]) else {
        return "<none>".to_string();
    };
    if ports.is_empty() {
        return "<none>".to_string();
    }
    ports
        .iter()
        .map(|p| {
            let port = int_at(p, &["port"]);
            let protocol = match str_at(p, &["protocol"]) {
                "" => "TCP",
                proto => proto,
            };
            match int_at(p, &["nodePort"]) {
                0 => format!("{port}/{protocol}"),
                node_port => format!("{port}:{node_port}/{protocol}"),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn node_status(node: &Value) -> String {
    let ready = match s(node, &["status", "conditions"]) {
        Some(Value::Array(conds)) => conds
            .iter()
            .find(|c| str_at(c, &["type"]) == "Ready")
            // printNode: any Ready status but True is `NotReady` (a silent node's
            // Unknown too); `Unknown` only when there is no Ready condition at all.
            .map(|c| match str_at(c, &["status"]) {
                "True" => "Ready",
                _ => "NotReady",
            }),
        _ => None,
    }
    .unwrap_or("Unknown");
    let mut status = ready.to_string();
    if s(node, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true) {
        status.push_str(",SchedulingDisabled");
    }
    status
}

fn node_roles(node: &Value) -> String {
    let mut roles = std::collections::BTreeSet::new();
    if let Some(Value::Object(labels)) = s(node, &["metadata", "labels"]) {
        for (k, v) in labels {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                if !role.is_empty() {
                    roles.insert(role.to_string());
                }
            } else if k == "kubernetes.io/role" {
                if let Some(role) = v.as_str().filter(|r| !r.is_empty()) {
                    roles.insert(role.to_string());
                }
            }
        }
    }
    or_none(roles.into_iter().collect::<Vec<_>>().join(","))
}

fn node_address(node: &Value, kind: &str) -> String {
    match s(node, &["status", "addresses"]) {
        Some(Value::Array(addrs)) => addrs
            .iter()
            .find(|a| str_at(a, &["type"]) == kind)
            .map(|a| str_at(a, &["address"]).to_string())
            .unwrap_or_else(|| "<none>".to_string()),
        _ => "<none>".to_string(),
    }
}

/// Endpoints as `ip:port,ip:port + 2 more...`, three at most, as kubectl's `formatEndpoints`:
/// per subset, port by port, each port with every address (a subset without ports lists bare IPs).
fn endpoints_string(ep: &Value) -> String {
    let mut list = Vec::new();
    for subset in array_at(ep, "subsets") {
        let addrs: Vec<&str> = array_at(subset, "addresses")
            .iter()
            .map(|a| str_at(a, &["ip"]))
            .collect();
        let ports = array_at(subset, "ports");
        if ports.is_empty() {
            list.extend(addrs.iter().map(|ip| ip.to_string()));
        }
        for p in ports {
            let port = int_at(p, &["port"]);
            list.extend(addrs.iter().map(|ip| format!("{ip}:{port}")));
        }
    }
    let refs: Vec<&str> = list.iter().map(String::as_str).collect();
    more_list(&refs, "<none>")
}

fn array_at<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    match v.get(key) {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

fn more_list(items: &[&str], empty: &str) -> String {
    const MAX: usize = 3;
    if items.is_empty() {
        return empty.to_string();
    }
    let shown = items
        .iter()
        .take(MAX)
        .copied()
        .collect::<Vec<_>>()
        .join(",");
    if items.len() > MAX {
        format!("{shown} + {} more...", items.len() - MAX)
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::resources::lookup;
    use serde_json::json;

    #[test]
    fn ages_read_as_kubectl_human_durations() {
        for (seconds, expected) in [
            (-5, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (5, "5s"),
            (119, "119s"),
            (120, "2m"),
            (123, "2m3s"),
            (599, "9m59s"),
            (600, "10m"),
            (3 * 3600 - 1, "179m"),
            (3 * 3600 + 5 * 60, "3h5m"),
            (5 * 3600, "5h"),
            (8 * 3600, "8h"),
            (47 * 3600 + 59 * 60, "47h"),
            (2 * 86_400, "2d"),
            (2 * 86_400 + 3 * 3600, "2d3h"),
            (8 * 86_400, "8d"),
            (729 * 86_400, "729d"),
            (730 * 86_400, "2y"),
            (775 * 86_400, "2y45d"),
            (9 * 365 * 86_400, "9y"),
        ] {
            assert_eq!(human_duration(seconds), expected, "{seconds}");
        }
    }

    #[test]
    fn columns_are_padded_to_the_widest_cell_plus_three_and_at_least_six() {
        let rows = vec![
            vec!["NAME".to_string(), "AGE".to_string()],
            vec!["a".to_string(), "5s".to_string()],
        ];
        assert_eq!(tabwrite(&rows), "NAME   AGE\na      5s\n");
        let narrow = vec![vec!["A".to_string(), "B".to_string()]];
        assert_eq!(tabwrite(&narrow), "A     B\n");
        // Runes, not bytes: Korean text counts one column per character.
        let korean = vec![
            vec!["이름".to_string(), "x".to_string()],
            vec!["abcdef".to_string(), "y".to_string()],
        ];
        assert_eq!(tabwrite(&korean), "이름       x\nabcdef   y\n");
    }

    #[test]
    fn a_pod_row_shows_ready_containers_status_restarts_and_wide_columns() {
        let pod = json!({
            "metadata": {"name": "web-1", "creationTimestamp": "2025-06-01T00:00:00Z"},
            "spec": {"nodeName": "node1", "containers": [{"name": "a"}, {"name": "b"}]},
            "status": {"phase": "Running", "podIP": "10.244.1.5",
                "containerStatuses": [
                    {"name": "a", "ready": true, "restartCount": 1, "state": {"running": {}}},
                    {"name": "b", "ready": false, "restartCount": 2,
                     "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}
        });
        let info = lookup("pods").expect("pods");
        assert_eq!(
            row(info, &pod, "web-1".into(), true, 1_748_736_000 + 125),
            vec![
                "web-1",
                "1/2",
                "CrashLoopBackOff",
                "3",
                "2m5s",
                "10.244.1.5",
                "node1",
                "<none>",
                "<none>"
            ]
        );
    }

    #[test]
    fn restarts_say_how_long_ago_the_latest_container_terminated() {
        let pod = json!({
            "metadata": {"name": "crash", "creationTimestamp": "2025-06-01T00:00:00Z"},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "a", "restartCount": 1, "state": {"running": {}},
                 "lastState": {"terminated": {"finishedAt": "2025-06-01T00:01:00Z"}}},
                {"name": "b", "restartCount": 3, "state": {"running": {}},
                 "lastState": {"terminated": {"finishedAt": "2025-06-01T00:01:47Z"}}}]}
        });
        let info = lookup("pods").expect("pods");
        let cells = row(info, &pod, "crash".into(), false, 1_748_736_000 + 125);
        assert_eq!(cells[3], "4 (18s ago)");
        let fresh =
            json!({"status": {"containerStatuses": [{"restartCount": 0, "lastState": {}}]}});
        assert_eq!(row(info, &fresh, "p".into(), false, 0)[3], "0");
    }

    #[test]
    fn pod_status_prefers_the_most_telling_reason() {
        for (pod, expected) in [
            (json!({"status": {"phase": "Pending"}}), "Pending"),
            (
                json!({"status": {"phase": "Pending", "containerStatuses": [
                    {"state": {"waiting": {"reason": "ContainerCreating"}}}]}}),
                "ContainerCreating",
            ),
            (
                json!({"status": {"phase": "Succeeded", "containerStatuses": [
                    {"state": {"terminated": {"reason": "Completed", "exitCode": 0}}}]}}),
                "Completed",
            ),
            (
                json!({"status": {"phase": "Failed", "containerStatuses": [
                    {"state": {"terminated": {"exitCode": 2}}}]}}),
                "ExitCode:2",
            ),
            (
                json!({"spec": {"initContainers": [{}, {}]}, "status": {"phase": "Pending",
                    "initContainerStatuses": [{"state": {"running": {}}}]}}),
                "Init:0/2",
            ),
            (
                json!({"metadata": {"deletionTimestamp": "2025-06-01T00:00:00Z"},
                    "status": {"phase": "Running"}}),
                "Terminating",
            ),
            (
                json!({"status": {"phase": "Failed", "reason": "Evicted"}}),
                "Evicted",
            ),
        ] {
            assert_eq!(pod_status(&pod), expected, "{pod}");
        }
    }

    #[test]
    fn service_rows_show_type_ports_and_external_ip() {
        let svc = json!({"metadata": {"name": "web"},
            "spec": {"type": "NodePort", "clusterIP": "10.96.0.10",
                "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
                "selector": {"app": "web"}}});
        let info = lookup("svc").expect("services");
        assert_eq!(
            row(info, &svc, "web".into(), true, 0),
            vec![
                "web",
                "NodePort",
                "10.96.0.10",
                "<none>",
                "80:30080/TCP,53/UDP",
                "<unknown>",
                "app=web"
            ]
        );
    }

    #[test]
    fn node_rows_show_readiness_roles_and_version() {
        let node = json!({"metadata": {"name": "master",
                "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                "nodeInfo": {"kubeletVersion": "v1.32.0"}}});
        let info = lookup("nodes").expect("nodes");
        assert_eq!(
            row(info, &node, "master".into(), false, 0),
            vec![
                "master",
                "Ready,SchedulingDisabled",
                "control-plane",
                "<unknown>",
                "v1.32.0"
            ]
        );
    }

    #[test]
    fn event_rows_name_the_involved_object_by_lowercase_kind() {
        let ev = json!({"metadata": {"name": "x.1"}, "type": "Normal", "reason": "Scheduled",
            "lastTimestamp": "2025-06-01T00:00:00Z",
            "involvedObject": {"kind": "Pod", "name": "web-1"},
            "message": "Successfully assigned default/web-1 to node1"});
        let info = lookup("events").expect("events");
        assert_eq!(
            row(info, &ev, "x.1".into(), false, 1_748_736_000 + 30),
            vec![
                "30s",
                "Normal",
                "Scheduled",
                "pod/web-1",
                "Successfully assigned default/web-1 to node1"
            ]
        );
    }

    #[test]
    fn wide_event_rows_add_subobject_source_first_seen_count_and_name() {
        let ev = json!({"metadata": {"name": "web-1.17f", "creationTimestamp": "2025-06-01T00:00:00Z"},
            "type": "Normal", "reason": "Pulled", "count": 2,
            "firstTimestamp": "2025-06-01T00:00:00Z", "lastTimestamp": "2025-06-01T00:00:20Z",
            "involvedObject": {"kind": "Pod", "name": "web-1", "fieldPath": "spec.containers{nginx}"},
            "source": {"component": "kubelet", "host": "node1"},
            "message": "Container image \"nginx\" already present on machine"});
        let info = lookup("events").expect("events");
        assert_eq!(header(info, true).len(), 10);
        assert_eq!(
            row(info, &ev, "web-1.17f".into(), true, 1_748_736_000 + 30),
            vec![
                "10s",
                "Normal",
                "Pulled",
                "pod/web-1",
                "spec.containers{nginx}",
                "kubelet, node1",
                "Container image \"nginx\" already present on machine",
                "30s",
                "2",
                "web-1.17f"
            ]
        );
    }

    #[test]
    fn endpoints_list_at_most_three_addresses() {
        let ep = json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"},
            {"ip": "10.0.0.3"}, {"ip": "10.0.0.4"}], "ports": [{"port": 80}]}]});
        assert_eq!(
            endpoints_string(&ep),
            "10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more..."
        );
        assert_eq!(endpoints_string(&json!({})), "<none>");
    }

    #[test]
    fn endpoints_go_port_by_port_each_with_every_address_as_kube_dns_prints() {
        let ep = json!({"subsets": [{"addresses": [{"ip": "10.244.1.2"}, {"ip": "10.244.2.2"}],
            "ports": [{"name": "dns", "port": 53}, {"name": "dns-tcp", "port": 53},
                      {"name": "metrics", "port": 9153}]}]});
        assert_eq!(
            endpoints_string(&ep),
            "10.244.1.2:53,10.244.2.2:53,10.244.1.2:53 + 3 more..."
        );
        let headless = json!({"subsets": [{"addresses": [{"ip": "10.244.1.9"}]}]});
        assert_eq!(endpoints_string(&headless), "10.244.1.9");
    }

    #[test]
    fn deployment_rows_count_ready_of_desired_and_wide_adds_the_selector() {
        let d = json!({"metadata": {"name": "web"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}},
            "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}});
        let info = lookup("deploy").expect("deployments");
        assert_eq!(
            row(info, &d, "web".into(), true, 0),
            vec![
                "web",
                "2/3",
                "3",
                "2",
                "<unknown>",
                "nginx",
                "nginx:1.25",
                "app=web"
            ]
        );
    }
}

#[cfg(test)]
mod every_kind {
    use super::*;
    use crate::sim::api::resources::lookup;
    use serde_json::json;

    const BOOT: i64 = 1_748_736_000;

    #[test]
    fn each_kind_prints_its_kubectl_columns() {
        let ts = "2025-06-01T00:00:00Z";
        for (kind, obj, expected_header, expected_row) in [
            (
                "rs",
                json!({"metadata": {"name": "web-5d", "creationTimestamp": ts},
                "spec": {"replicas": 3}, "status": {"replicas": 3, "readyReplicas": 2}}),
                "NAME DESIRED CURRENT READY AGE",
                "web-5d 3 3 2 60s",
            ),
            (
                "ds",
                json!({"metadata": {"name": "kube-proxy", "creationTimestamp": ts},
                "spec": {"template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"}}}},
                "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 3,
                    "updatedNumberScheduled": 3, "numberAvailable": 3}}),
                "NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE",
                "kube-proxy 3 3 3 3 3 kubernetes.io/os=linux 60s",
            ),
            (
                "jobs",
                json!({"metadata": {"name": "pi", "creationTimestamp": ts},
                "spec": {"completions": 1},
                "status": {"succeeded": 1, "startTime": ts, "completionTime": "2025-06-01T00:00:12Z",
                    "conditions": [{"type": "Complete", "status": "True"}]}}),
                "NAME STATUS COMPLETIONS DURATION AGE",
                "pi Complete 1/1 12s 60s",
            ),
            (
                "ns",
                json!({"metadata": {"name": "default", "creationTimestamp": ts}, "status": {"phase": "Active"}}),
                "NAME STATUS AGE",
                "default Active 60s",
            ),
            (
                "cm",
                json!({"metadata": {"name": "kube-root-ca.crt", "creationTimestamp": ts}, "data": {"ca.crt": "x"}}),
                "NAME DATA AGE",
                "kube-root-ca.crt 1 60s",
            ),
            (
                "secret",
                json!({"metadata": {"name": "s", "creationTimestamp": ts}, "type": "Opaque", "data": {"a": "", "b": ""}}),
                "NAME TYPE DATA AGE",
                "s Opaque 2 60s",
            ),
            (
                "sa",
                json!({"metadata": {"name": "default", "creationTimestamp": ts}}),
                "NAME SECRETS AGE",
                "default 0 60s",
            ),
            (
                "lease",
                json!({"metadata": {"name": "node1", "creationTimestamp": ts}, "spec": {"holderIdentity": "node1"}}),
                "NAME HOLDER AGE",
                "node1 node1 60s",
            ),
            (
                "role",
                json!({"metadata": {"name": "pod-reader", "creationTimestamp": ts}}),
                "NAME CREATED AT",
                "pod-reader 2025-06-01T00:00:00Z",
            ),
            (
                "clusterrolebinding",
                json!({"metadata": {"name": "kubeadm:cluster-admins", "creationTimestamp": ts},
                "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}}),
                "NAME ROLE AGE",
                "kubeadm:cluster-admins ClusterRole/cluster-admin 60s",
            ),
            (
                "endpointslices",
                json!({"metadata": {"name": "kubernetes", "creationTimestamp": ts}, "addressType": "IPv4",
                "ports": [{"port": 6443}], "endpoints": [{"addresses": ["172.16.20.11"]}]}),
                "NAME ADDRESSTYPE PORTS ENDPOINTS AGE",
                "kubernetes IPv4 6443 172.16.20.11 60s",
            ),
            (
                "pc",
                json!({"metadata": {"name": "system-node-critical", "creationTimestamp": ts}, "value": 2000001000,
                "preemptionPolicy": "PreemptLowerPriority"}),
                "NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY",
                "system-node-critical 2000001000 false 60s PreemptLowerPriority",
            ),
            (
                "rc",
                json!({"metadata": {"name": "old", "creationTimestamp": ts}, "spec": {"replicas": 1}, "status": {"replicas": 1, "readyReplicas": 1}}),
                "NAME DESIRED CURRENT READY AGE",
                "old 1 1 1 60s",
            ),
        ] {
            let info = lookup(kind).expect("served kind");
            let name = obj
                .ptr("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            // Compare cells joined by single spaces: the alignment is tabwrite's, tested above.
            assert_eq!(header(info, false).join(" "), expected_header, "{kind}");
            assert_eq!(
                row(info, &obj, name, false, BOOT + 60).join(" "),
                expected_row,
                "{kind}"
            );
        }
    }
}
