//! `kubectl describe pod|node|deployment|service NAME`: the object and its Events.
//!
//! Mirrors: kubectl v1.32 `describe` (`pkg/describe/describe.go`): the `Name:`/`Namespace:`/...
//! layout through a tabwriter with padding 2, container `State:`/`Ready:`/`Restart Count:`,
//! `Conditions:`, `QoS Class:`, `Tolerations:`, and the `Events:` table (`Type Reason Age From
//! Message`, `AGE (xN over AGE)` for repeated events).
//! Simplified: fewer fields (no volumes' details, no System Info on nodes, no Allocated
//! resources); events are matched by the involved object's kind and name.

use crate::sim::api::JsonPointer;
use serde_json::Value;

use super::cmd::Ctx;
use super::errors::api_error_text;
use super::logs::str_at;
use super::table::human_duration;
use super::verb_util::{parse, Takes};
use super::Output;
use crate::sim::apiserver::request::{ApiRequest, Credentials, Verb};
use crate::sim::clock::unix_from_rfc3339;
use crate::sim::controller::controller_utils::is_controlled_by;
use crate::sim::sort::StableSort;

/// Go's text/tabwriter (minwidth 0, padding 2), as describe's `tabbedString` uses it: a cell
/// is text ended by a tab; a column's width is set per block of consecutive lines having it.
pub fn tabwrite(text: &str) -> String {
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    let mut widths: Vec<Vec<usize>> = lines.iter().map(|c| vec![0; c.len()]).collect();
    fn block(lines: &[Vec<&str>], widths: &mut [Vec<usize>], start: usize, end: usize, col: usize) {
        let mut i = start;
        while i < end {
            if lines[i].len() <= col + 1 {
                i += 1;
                continue;
            }
            let mut j = i;
            let mut w = 0;
            while j < end && lines[j].len() > col + 1 {
                w = w.max(lines[j][col].chars().count() + 2);
                j += 1;
            }
            for row in widths.iter_mut().take(j).skip(i) {
                row[col] = w;
            }
            block(lines, widths, i, j, col + 1);
            i = j;
        }
    }
    block(&lines, &mut widths, 0, lines.len(), 0);
    let mut out = String::new();
    for (cells, w) in lines.iter().zip(&widths) {
        let mut line = String::new();
        for (k, cell) in cells.iter().enumerate() {
            line.push_str(cell);
            if k + 1 < cells.len() {
                let pad = w[k].saturating_sub(cell.chars().count());
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `Sun, 01 Jun 2025 00:00:05 +0000`: Go's RFC1123Z, as describe prints times.
pub fn rfc1123z(timestamp: &str) -> String {
    let Some(t) = unix_from_rfc3339(timestamp) else {
        return "<unknown>".to_string();
    };
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = crate::sim::clock::civil_from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS.get(m as usize - 1).copied().unwrap_or("Jan"),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// `Labels:` / `Annotations:` values: one `k=v` a line, continuation lines indented by a tab.
/// describe.go's `printLabelsMultiline` then `printAnnotationsMultiline`, which every describer
/// prints after the name.
fn labels_and_annotations(obj: &Value) -> String {
    map_lines(obj.ptr("/metadata/labels"), "Labels:", "")
        + &map_lines(obj.ptr("/metadata/annotations"), "Annotations:", "")
}

fn map_lines(v: Option<&Value>, key: &str, indent: &str) -> String {
    let entries: Vec<String> = v
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(k, _)| *k != "kubectl.kubernetes.io/last-applied-configuration")
                .map(|(k, v)| match v.as_str() {
                    Some(s) if key == "Annotations:" => format!("{k}: {s}"),
                    Some(s) => format!("{k}={s}"),
                    None => format!("{k}={v}"),
                })
                .collect()
        })
        .unwrap_or_default();
    if entries.is_empty() {
        return format!("{indent}{key}\t<none>\n");
    }
    let mut s = String::new();
    for (i, e) in entries.iter().enumerate() {
        if i == 0 {
            s.push_str(&format!("{indent}{key}\t{e}\n"));
        } else {
            s.push_str(&format!("{indent}\t{e}\n"));
        }
    }
    s
}

fn get(
    ctx: &mut Ctx,
    resource: &str,
    namespace: Option<&str>,
    name: &str,
) -> Result<Value, Output> {
    let mut req = ApiRequest::new(Credentials::admin(), Verb::Get, resource).name(name.to_string());
    if let Some(ns) = namespace {
        req = req.namespace(ns.to_string());
    }
    ctx.call(req)
        .map(|r| r.body)
        .map_err(|e| Output::fail(api_error_text(&e)))
}

fn list(ctx: &mut Ctx, resource: &str, namespace: Option<&str>) -> Vec<Value> {
    let mut req = ApiRequest::new(Credentials::admin(), Verb::List, resource);
    if let Some(ns) = namespace {
        req = req.namespace(ns.to_string());
    }
    ctx.call(req)
        .ok()
        .and_then(|r| r.body.get("items").and_then(Value::as_array).cloned())
        .unwrap_or_default()
}

/// One row of describe's `Events:` table, as data: what `kubectl describe` prints and the
/// Inspector panel lists (one function makes both, so they cannot disagree).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventLine {
    /// `Normal` or `Warning`.
    pub event_type: String,
    /// `Scheduled`, `Pulled`, `Started`, ...
    pub reason: String,
    /// The Age column: `18s`, or `2m (x3 over 5m)` for a repeated event.
    pub age: String,
    /// The From column: `default-scheduler`, `kubelet`.
    pub from: String,
    pub message: String,
    /// When it was first and last seen (RFC 3339, as stored), and how many times.
    pub first_timestamp: String,
    pub last_timestamp: String,
    pub count: i64,
}

/// The events about the object `kind`/`name` among `events`, oldest first, as describe lists
/// them; ages are counted back from `now` (unix seconds).
pub fn event_lines(events: &[Value], kind: &str, name: &str, now: i64) -> Vec<EventLine> {
    let mut evs: Vec<&Value> = events
        .iter()
        .filter(|e| {
            str_at(e, "/involvedObject/kind") == kind && str_at(e, "/involvedObject/name") == name
        })
        .collect();
    evs.stable_sort_by_key(|e| {
        (
            unix_from_rfc3339(str_at(e, "/lastTimestamp")).unwrap_or(0),
            str_at(e, "/metadata/name").to_string(),
        )
    });
    evs.into_iter()
        .map(|e| {
            let since = |p: &str| {
                unix_from_rfc3339(str_at(e, p))
                    .map(|t| human_duration(now - t))
                    .unwrap_or_else(|| "<unknown>".into())
            };
            let count = e.get("count").and_then(Value::as_i64).unwrap_or(1);
            let age = if count > 1 {
                format!(
                    "{} (x{count} over {})",
                    since("/lastTimestamp"),
                    since("/firstTimestamp")
                )
            } else {
                since("/firstTimestamp")
            };
            let from = match str_at(e, "/source/component") {
                "" => str_at(e, "/reportingComponent"),
                c => c,
            };
            EventLine {
                event_type: str_at(e, "/type").to_string(),
                reason: str_at(e, "/reason").to_string(),
                age,
                from: from.to_string(),
                message: str_at(e, "/message").trim_end().to_string(),
                first_timestamp: str_at(e, "/firstTimestamp").to_string(),
                last_timestamp: str_at(e, "/lastTimestamp").to_string(),
                count,
            }
        })
        .collect()
}

/// The `Events:` section for the object `kind`/`name`.
fn events(ctx: &mut Ctx, kind: &str, namespace: Option<&str>, name: &str) -> String {
    let now = ctx.backend.unix_seconds();
    let ns = namespace.unwrap_or("default");
    let lines = event_lines(&list(ctx, "events", Some(ns)), kind, name, now);
    if lines.is_empty() {
        return "Events:\t<none>\n".to_string();
    }
    let mut s = String::from(
        "Events:\n  Type\tReason\tAge\tFrom\tMessage\n  ----\t------\t----\t----\t-------\n",
    );
    for e in &lines {
        s.push_str(&format!(
            "  {}\t{}\t{}\t{}\t{}\n",
            e.event_type, e.reason, e.age, e.from, e.message
        ));
    }
    s
}

/// `kubectl describe ARGS...` (without `describe`).
pub fn run(args: &[String], ctx: &mut Ctx) -> Output {
    let a = match parse(
        "kubectl describe",
        args,
        &[
            ("all-namespaces", Some('A'), Takes::Bool),
            ("selector", Some('l'), Takes::Value),
        ],
        true,
    ) {
        Ok(a) => a,
        Err(out) => return out,
    };
    let mut positional: Vec<String> = Vec::new();
    for p in &a.positional {
        match p.split_once('/') {
            Some((k, n)) => {
                positional.push(k.to_string());
                positional.push(n.to_string());
            }
            None => positional.push(p.clone()),
        }
    }
    let Some(kind) = positional.first() else {
        return Output::fail(
            "You must specify the type of resource to describe. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl describe -h' for help and examples\n",
        );
    };
    let ns = a.namespace();
    let names: Vec<String> = positional.get(1..).unwrap_or(&[]).to_vec();
    let (resource, namespaced) = match kind.to_ascii_lowercase().as_str() {
        "pod" | "pods" | "po" => ("pods", true),
        "node" | "nodes" | "no" => ("nodes", false),
        "deployment" | "deployments" | "deploy" | "deployment.apps" => ("deployments", true),
        "service" | "services" | "svc" => ("services", true),
        "replicaset" | "replicasets" | "rs" | "replicaset.apps" => ("replicasets", true),
        "resourcequota" | "resourcequotas" | "quota" => ("resourcequotas", true),
        "namespace" | "namespaces" | "ns" => ("namespaces", false),
        "cronjob" | "cronjobs" | "cj" | "cronjob.batch" | "cronjobs.batch" => ("cronjobs", true),
        "serviceaccount" | "serviceaccounts" | "sa" => ("serviceaccounts", true),
        "configmap" | "configmaps" | "cm" => ("configmaps", true),
        "clusterrole" | "clusterroles" | "clusterrole.rbac.authorization.k8s.io" => {
            ("clusterroles", false)
        }
        "role" | "roles" | "role.rbac.authorization.k8s.io" => ("roles", true),
        // A kind the apiserver serves but this describe cannot print yet says so honestly.
        other => match crate::sim::api::resources::lookup(other) {
            Some(info) => {
                return Output::fail(format!(
                    "error: \"kubectl describe {}\" is a real kubectl command that this sandbox does not run yet\n",
                    info.plural
                ))
            }
            None => {
                return Output::fail(format!(
                    "error: the server doesn't have a resource type \"{other}\"\n"
                ))
            }
        },
    };
    let names = if names.is_empty() {
        let mut req = ApiRequest::new(Credentials::admin(), Verb::List, resource);
        if namespaced {
            req = req.namespace(ns.clone());
        }
        req.list_options.label_selector = a.value("selector").map(String::from);
        let found: Vec<Value> = match ctx.call(req) {
            Ok(r) => r
                .body
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            Err(e) => return Output::fail(api_error_text(&e)),
        };
        if found.is_empty() {
            return Output::fail(if namespaced {
                format!("No resources found in {ns} namespace.\n")
            } else {
                "No resources found\n".to_string()
            });
        }
        found
            .iter()
            .map(|o| str_at(o, "/metadata/name").to_string())
            .collect()
    } else {
        names
    };
    let mut out = Output::default();
    let mut blocks = Vec::new();
    for name in &names {
        let obj = match get(ctx, resource, namespaced.then_some(ns.as_str()), name) {
            Ok(o) => o,
            Err(e) => {
                out.stderr.push_str(&e.stderr);
                out.exit_code = 1;
                continue;
            }
        };
        let text = match resource {
            "pods" => pod(ctx, &obj),
            "nodes" => node(ctx, &obj),
            "deployments" => deployment(ctx, &obj),
            "replicasets" => replica_set(ctx, &obj),
            "resourcequotas" => quota_table(&obj, false),
            "namespaces" => namespace(ctx, &obj),
            "cronjobs" => cron_job(ctx, &obj),
            "serviceaccounts" => service_account(ctx, &obj),
            "configmaps" => config_map(ctx, &obj),
            "clusterroles" | "roles" => role(&obj),
            _ => service(ctx, &obj),
        };
        blocks.push(tabwrite(&text));
    }
    // describe.go separates objects with one blank line pair.
    out.stdout = blocks.join("\n\n");
    out
}

fn container_state(state: Option<&Value>, label: &str) -> String {
    let Some(state) = state
        .and_then(Value::as_object)
        .and_then(|m| m.iter().next())
    else {
        return String::new();
    };
    let (which, v) = state;
    let mut s = String::new();
    match which.as_str() {
        "running" => {
            s.push_str(&format!("    {label}\tRunning\n"));
            s.push_str(&format!(
                "      Started:\t{}\n",
                rfc1123z(str_at(v, "/startedAt"))
            ));
        }
        "waiting" => {
            s.push_str(&format!("    {label}\tWaiting\n"));
            s.push_str(&format!("      Reason:\t{}\n", str_at(v, "/reason")));
        }
        _ => {
            s.push_str(&format!("    {label}\tTerminated\n"));
            s.push_str(&format!("      Reason:\t{}\n", str_at(v, "/reason")));
            s.push_str(&format!(
                "      Exit Code:\t{}\n",
                v.get("exitCode").and_then(Value::as_i64).unwrap_or(0)
            ));
            s.push_str(&format!(
                "      Started:\t{}\n",
                rfc1123z(str_at(v, "/startedAt"))
            ));
            s.push_str(&format!(
                "      Finished:\t{}\n",
                rfc1123z(str_at(v, "/finishedAt"))
            ));
        }
    }
    s
}

fn pod(ctx: &mut Ctx, p: &Value) -> String {
    let name = str_at(p, "/metadata/name");
    let ns = str_at(p, "/metadata/namespace");
    let node = str_at(p, "/spec/nodeName");
    let mut s = format!("Name:\t{name}\nNamespace:\t{ns}\n");
    s.push_str(&format!(
        "Priority:\t{}\n",
        p.ptr("/spec/priority").and_then(Value::as_i64).unwrap_or(0)
    ));
    let pc = str_at(p, "/spec/priorityClassName");
    if !pc.is_empty() {
        s.push_str(&format!("Priority Class Name:\t{pc}\n"));
    }
    let sa = match str_at(p, "/spec/serviceAccountName") {
        "" => "default",
        sa => sa,
    };
    s.push_str(&format!("Service Account:\t{sa}\n"));
    if node.is_empty() {
        s.push_str("Node:\t<none>\n");
    } else {
        s.push_str(&format!("Node:\t{node}/{}\n", str_at(p, "/status/hostIP")));
    }
    if let Some(start) = p.ptr("/status/startTime").and_then(Value::as_str) {
        s.push_str(&format!("Start Time:\t{}\n", rfc1123z(start)));
    }
    s.push_str(&labels_and_annotations(p));
    let status = if p.ptr("/metadata/deletionTimestamp").is_some() {
        "Terminating".to_string()
    } else {
        str_at(p, "/status/phase").to_string()
    };
    s.push_str(&format!("Status:\t{status}\n"));
    let ip = str_at(p, "/status/podIP");
    s.push_str(&format!("IP:\t{ip}\n"));
    if ip.is_empty() {
        s.push_str("IPs:\t<none>\n");
    } else {
        s.push_str(&format!("IPs:\n  IP:\t{ip}\n"));
    }
    if let Some(owner) = p
        .ptr("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .and_then(|o| {
            o.iter()
                .find(|r| r.get("controller") == Some(&Value::Bool(true)))
        })
    {
        s.push_str(&format!(
            "Controlled By:\t{}/{}\n",
            str_at(owner, "/kind"),
            str_at(owner, "/name")
        ));
    }
    s.push_str("Containers:\n");
    let statuses: Vec<Value> = p
        .ptr("/status/containerStatuses")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for c in p
        .ptr("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let cname = str_at(c, "/name");
        let st = statuses.iter().find(|x| str_at(x, "/name") == cname);
        s.push_str(&format!("  {cname}:\n"));
        if let Some(st) = st {
            let id = str_at(st, "/containerID");
            if !id.is_empty() {
                s.push_str(&format!("    Container ID:\t{id}\n"));
            }
        }
        s.push_str(&format!("    Image:\t{}\n", str_at(c, "/image")));
        s.push_str(&format!(
            "    Image ID:\t{}\n",
            st.map(|x| str_at(x, "/imageID")).unwrap_or("")
        ));
        container_ports(&mut s, c);
        if let Some(st) = st {
            s.push_str(&container_state(st.get("state"), "State:"));
            if st
                .ptr("/lastState")
                .and_then(Value::as_object)
                .is_some_and(|m| !m.is_empty())
            {
                s.push_str(&container_state(st.get("lastState"), "Last State:"));
            }
            s.push_str(&format!(
                "    Ready:\t{}\n",
                if st.get("ready") == Some(&Value::Bool(true)) {
                    "True"
                } else {
                    "False"
                }
            ));
            s.push_str(&format!(
                "    Restart Count:\t{}\n",
                st.get("restartCount").and_then(Value::as_i64).unwrap_or(0)
            ));
        } else {
            s.push_str("    State:\tWaiting\n      Reason:\tContainerCreating\n    Ready:\tFalse\n    Restart Count:\t0\n");
        }
        container_resources_and_env(&mut s, c);
        s.push_str("    Mounts:\t<none>\n");
    }
    let conditions: Vec<&Value> = p
        .ptr("/status/conditions")
        .and_then(Value::as_array)
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    if !conditions.is_empty() {
        s.push_str("Conditions:\n  Type\tStatus\n");
        for c in conditions {
            s.push_str(&format!(
                "  {}\t{}\n",
                str_at(c, "/type"),
                str_at(c, "/status")
            ));
        }
    }
    volumes(&mut s, p.ptr("/spec/volumes"), "");
    s.push_str(&format!("QoS Class:\t{}\n", str_at(p, "/status/qosClass")));
    s.push_str(&map_lines(
        p.ptr("/spec/nodeSelector"),
        "Node-Selectors:",
        "",
    ));
    tolerations(&mut s, p.ptr("/spec/tolerations"), "");
    s.push_str(&events(ctx, "Pod", Some(ns), name));
    s
}

/// A container's `Port:` and `Host Port:` lines (`<none>`, or `80/TCP, 443/TCP`).
fn container_ports(s: &mut String, c: &Value) {
    let ports: Vec<String> = c
        .get("ports")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let proto = match str_at(p, "/protocol") {
                        "" => "TCP",
                        x => x,
                    };
                    format!(
                        "{}/{proto}",
                        p.get("containerPort").and_then(Value::as_i64).unwrap_or(0)
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if ports.is_empty() {
        s.push_str("    Port:\t<none>\n    Host Port:\t<none>\n");
    } else {
        s.push_str(&format!(
            "    Port:\t{}\n    Host Port:\t0/TCP\n",
            ports.join(", ")
        ));
    }
}

/// A container's `Limits:`, `Requests:` and `Environment:`.
fn container_resources_and_env(s: &mut String, c: &Value) {
    for (key, label) in [("limits", "Limits:"), ("requests", "Requests:")] {
        if let Some(m) = c
            .ptr(&format!("/resources/{key}"))
            .and_then(Value::as_object)
            .filter(|m| !m.is_empty())
        {
            s.push_str(&format!("    {label}\n"));
            for (k, v) in m {
                s.push_str(&format!("      {k}:\t{}\n", v.as_str().unwrap_or("")));
            }
        }
    }
    let env = c
        .get("env")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty());
    match env {
        None => s.push_str("    Environment:\t<none>\n"),
        Some(env) => {
            s.push_str("    Environment:\n");
            for e in env {
                s.push_str(&format!(
                    "      {}:\t{}\n",
                    str_at(e, "/name"),
                    str_at(e, "/value")
                ));
            }
        }
    }
}

/// The `Conditions:` table of a Deployment or ReplicaSet (type, status, reason), when it has any.
fn conditions_table(s: &mut String, obj: &Value) {
    let conditions = obj.ptr("/status/conditions").and_then(Value::as_array);
    if let Some(conditions) = conditions.filter(|c| !c.is_empty()) {
        s.push_str("Conditions:\n  Type\tStatus\tReason\n  ----\t------\t------\n");
        for c in conditions {
            s.push_str(&format!(
                "  {} \t{}\t{}\n",
                str_at(c, "/type"),
                str_at(c, "/status"),
                str_at(c, "/reason")
            ));
        }
    }
}

/// `describeVolumes`: each volume's name and what backs it (the common kinds), or `<none>`.
fn volumes(s: &mut String, list: Option<&Value>, indent: &str) {
    let Some(list) = list.and_then(Value::as_array).filter(|v| !v.is_empty()) else {
        s.push_str(&format!("{indent}Volumes:\t<none>\n"));
        return;
    };
    s.push_str(&format!("{indent}Volumes:\n"));
    for v in list {
        // kubectl's levels: a name two spaces in (one more in a template), its lines four.
        let name_indent = if indent.is_empty() { "  " } else { "   " };
        s.push_str(&format!("{name_indent}{}:\n", str_at(v, "/name")));
        let line = |s: &mut String, key: &str, value: &str| {
            s.push_str(&format!("    {key}:\t{value}\n"));
        };
        let flag = |b: Option<&Value>| (b == Some(&Value::Bool(true))).to_string();
        if let Some(e) = v.get("emptyDir") {
            line(
                s,
                "Type",
                "EmptyDir (a temporary directory that shares a pod's lifetime)",
            );
            line(s, "Medium", str_at(e, "/medium"));
            let limit = e.get("sizeLimit").map(|l| match l {
                Value::String(t) => t.clone(),
                n => n.to_string(),
            });
            line(s, "SizeLimit", limit.as_deref().unwrap_or("<unset>"));
        } else if let Some(c) = v.get("configMap") {
            line(s, "Type", "ConfigMap (a volume populated by a ConfigMap)");
            line(s, "Name", str_at(c, "/name"));
            line(s, "Optional", &flag(c.get("optional")));
        } else if let Some(c) = v.get("secret") {
            line(s, "Type", "Secret (a volume populated by a Secret)");
            line(s, "SecretName", str_at(c, "/secretName"));
            line(s, "Optional", &flag(c.get("optional")));
        } else if let Some(h) = v.get("hostPath") {
            line(s, "Type", "HostPath (bare host directory volume)");
            line(s, "Path", str_at(h, "/path"));
            line(s, "HostPathType", str_at(h, "/type"));
        } else if let Some(c) = v.get("persistentVolumeClaim") {
            line(
                s,
                "Type",
                "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)",
            );
            line(s, "ClaimName", str_at(c, "/claimName"));
            line(s, "ReadOnly", &flag(c.get("readOnly")));
        }
    }
}

/// `printPodTolerationsMultiline`: `Tolerations:` with one toleration a line, or `<none>`.
fn tolerations(s: &mut String, list: Option<&Value>, indent: &str) {
    let tolerations: Vec<String> = list
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    let mut x = str_at(t, "/key").to_string();
                    let value = str_at(t, "/value");
                    if !value.is_empty() {
                        x.push_str(&format!("={value}"));
                    }
                    let effect = str_at(t, "/effect");
                    if !effect.is_empty() {
                        x.push_str(&format!(":{effect}"));
                    }
                    if str_at(t, "/operator") == "Exists" {
                        x.push_str(" op=Exists");
                    }
                    if let Some(secs) = t.get("tolerationSeconds").and_then(Value::as_i64) {
                        x.push_str(&format!(" for {secs}s"));
                    }
                    x
                })
                .collect()
        })
        .unwrap_or_default();
    if tolerations.is_empty() {
        s.push_str(&format!("{indent}Tolerations:\t<none>\n"));
    } else {
        for (i, t) in tolerations.iter().enumerate() {
            let key = if i == 0 { "Tolerations:" } else { "" };
            s.push_str(&format!("{indent}{key}\t{t}\n"));
        }
    }
}

fn node(ctx: &mut Ctx, n: &Value) -> String {
    let name = str_at(n, "/metadata/name");
    let labels = n.ptr("/metadata/labels").and_then(Value::as_object);
    let roles: Vec<String> = labels
        .map(|m| {
            m.keys()
                .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let mut s = format!(
        "Name:\t{name}\nRoles:\t{}\n",
        if roles.is_empty() {
            "<none>".to_string()
        } else {
            roles.join(",")
        }
    );
    s.push_str(&labels_and_annotations(n));
    s.push_str(&format!(
        "CreationTimestamp:\t{}\n",
        rfc1123z(str_at(n, "/metadata/creationTimestamp"))
    ));
    let taints: Vec<String> = n
        .ptr("/spec/taints")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    let v = str_at(t, "/value");
                    let v = if v.is_empty() {
                        String::new()
                    } else {
                        format!("={v}")
                    };
                    format!("{}{v}:{}", str_at(t, "/key"), str_at(t, "/effect"))
                })
                .collect()
        })
        .unwrap_or_default();
    if taints.is_empty() {
        s.push_str("Taints:\t<none>\n");
    } else {
        for (i, t) in taints.iter().enumerate() {
            s.push_str(&format!("{}\t{t}\n", if i == 0 { "Taints:" } else { "" }));
        }
    }
    s.push_str(&format!(
        "Unschedulable:\t{}\n",
        n.ptr("/spec/unschedulable")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    ));
    s.push_str("Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n  ----\t------\t-----------------\t------------------\t------\t-------\n");
    for c in n
        .ptr("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        s.push_str(&format!(
            "  {}\t{}\t{}\t{}\t{}\t{}\n",
            str_at(c, "/type"),
            str_at(c, "/status"),
            rfc1123z(str_at(c, "/lastHeartbeatTime")),
            rfc1123z(str_at(c, "/lastTransitionTime")),
            str_at(c, "/reason"),
            str_at(c, "/message")
        ));
    }
    s.push_str("Addresses:\n");
    for addr in n
        .ptr("/status/addresses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        s.push_str(&format!(
            "  {}:\t{}\n",
            str_at(addr, "/type"),
            str_at(addr, "/address")
        ));
    }
    for (key, label) in [("capacity", "Capacity:"), ("allocatable", "Allocatable:")] {
        s.push_str(&format!("{label}\n"));
        for (k, v) in n
            .ptr(&format!("/status/{key}"))
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            s.push_str(&format!("  {k}:\t{}\n", v.as_str().unwrap_or("")));
        }
    }
    let cidr = str_at(n, "/spec/podCIDR");
    s.push_str(&format!("PodCIDR:\t{cidr}\nPodCIDRs:\t{cidr}\n"));
    let now = ctx.backend.unix_seconds();
    let pods: Vec<Value> = list(ctx, "pods", None)
        .into_iter()
        .filter(|p| {
            str_at(p, "/spec/nodeName") == name
                && !matches!(str_at(p, "/status/phase"), "Succeeded" | "Failed")
        })
        .collect();
    s.push_str(&format!(
        "Non-terminated Pods:\t({} in total)\n",
        pods.len()
    ));
    s.push_str("  Namespace\tName\tCPU Requests\tMemory Requests\tAge\n  ---------\t----\t------------\t---------------\t---\n");
    for p in &pods {
        let sum = |what: &str| -> String {
            let v: Vec<String> = p
                .ptr("/spec/containers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.ptr(&format!("/resources/requests/{what}")))
                .filter_map(Value::as_str)
                .map(String::from)
                .collect();
            if v.is_empty() {
                "0 (0%)".to_string()
            } else {
                v.join("+")
            }
        };
        let age = unix_from_rfc3339(str_at(p, "/metadata/creationTimestamp"))
            .map(|t| human_duration(now - t))
            .unwrap_or_default();
        s.push_str(&format!(
            "  {}\t{}\t{}\t{}\t{age}\n",
            str_at(p, "/metadata/namespace"),
            str_at(p, "/metadata/name"),
            sum("cpu"),
            sum("memory")
        ));
    }
    s.push_str(&events(ctx, "Node", None, name));
    s
}

fn deployment(ctx: &mut Ctx, d: &Value) -> String {
    let name = str_at(d, "/metadata/name");
    let ns = str_at(d, "/metadata/namespace");
    let int = |p: &str| d.ptr(p).and_then(Value::as_i64).unwrap_or(0);
    let mut s = format!("Name:\t{name}\nNamespace:\t{ns}\n");
    s.push_str(&format!(
        "CreationTimestamp:\t{}\n",
        rfc1123z(str_at(d, "/metadata/creationTimestamp"))
    ));
    s.push_str(&labels_and_annotations(d));
    let selector = super::table::selector_string(d.ptr("/spec/selector"));
    s.push_str(&format!("Selector:\t{selector}\n"));
    s.push_str(&format!(
        "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
        int("/spec/replicas"),
        int("/status/updatedReplicas"),
        int("/status/replicas"),
        int("/status/availableReplicas"),
        int("/status/unavailableReplicas")
    ));
    let strategy = match str_at(d, "/spec/strategy/type") {
        "" => "RollingUpdate",
        t => t,
    };
    s.push_str(&format!("StrategyType:\t{strategy}\n"));
    s.push_str(&format!(
        "MinReadySeconds:\t{}\n",
        int("/spec/minReadySeconds")
    ));
    if let Some(ru) = d.ptr("/spec/strategy/rollingUpdate") {
        let text = |v: Option<&Value>| match v {
            Some(Value::String(t)) => t.clone(),
            Some(n) => n.to_string(),
            None => String::new(),
        };
        s.push_str(&format!(
            "RollingUpdateStrategy:\t{} max unavailable, {} max surge\n",
            text(ru.get("maxUnavailable")),
            text(ru.get("maxSurge"))
        ));
    }
    pod_template(&mut s, d, "/spec");
    conditions_table(&mut s, d);
    // The ReplicaSets it controls: the one whose template is the Deployment's, and the others.
    let template = d.ptr("/spec/template").unwrap_or(&Value::Null);
    let (mut old, mut new) = (Vec::new(), Vec::new());
    for rs in list(ctx, "replicasets", Some(ns)) {
        if !is_controlled_by(&rs, d) {
            continue;
        }
        let line = format!(
            "{} ({}/{} replicas created)",
            str_at(&rs, "/metadata/name"),
            rs.ptr("/status/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            rs.ptr("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(0)
        );
        let rs_template = rs.ptr("/spec/template").unwrap_or(&Value::Null);
        if new.is_empty()
            && crate::sim::controller::deployment_util::equal_ignore_hash(rs_template, template)
        {
            new.push(line);
        } else {
            old.push(line);
        }
    }
    let joined = |v: &[String]| match v.is_empty() {
        true => "<none>".to_string(),
        false => v.join(", "),
    };
    s.push_str(&format!("OldReplicaSets:\t{}\n", joined(&old)));
    s.push_str(&format!("NewReplicaSet:\t{}\n", joined(&new)));
    s.push_str(&events(ctx, "Deployment", Some(ns), name));
    s
}

/// `DescribePodTemplate`: `Pod Template:` with its labels (and annotations), each container's
/// image, ports, resources, environment and mounts, the volumes, node selectors and tolerations;
/// `spec` points at the spec that holds the template (`/spec`, or a CronJob's
/// `/spec/jobTemplate/spec`).
fn pod_template(s: &mut String, obj: &Value, spec: &str) {
    let template = obj.ptr(&format!("{spec}/template")).unwrap_or(&Value::Null);
    s.push_str("Pod Template:\n");
    s.push_str(&map_lines(
        template.ptr("/metadata/labels"),
        "Labels:",
        "  ",
    ));
    if let Some(a) = template
        .ptr("/metadata/annotations")
        .filter(|a| a.as_object().is_some_and(|m| !m.is_empty()))
    {
        s.push_str(&map_lines(Some(a), "Annotations:", "  "));
    }
    s.push_str("  Containers:\n");
    for c in template
        .ptr("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        s.push_str(&format!(
            "   {}:\n    Image:\t{}\n",
            str_at(c, "/name"),
            str_at(c, "/image")
        ));
        container_ports(s, c);
        container_resources_and_env(s, c);
        let mounts = c.get("volumeMounts").and_then(Value::as_array);
        match mounts.filter(|m| !m.is_empty()) {
            None => s.push_str("    Mounts:\t<none>\n"),
            Some(mounts) => {
                s.push_str("    Mounts:\n");
                for m in mounts {
                    let mode = if m.get("readOnly") == Some(&Value::Bool(true)) {
                        "ro"
                    } else {
                        "rw"
                    };
                    s.push_str(&format!(
                        "      {} from {} ({mode})\n",
                        str_at(m, "/mountPath"),
                        str_at(m, "/name")
                    ));
                }
            }
        }
    }
    volumes(s, template.ptr("/spec/volumes"), "  ");
    s.push_str(&map_lines(
        template.ptr("/spec/nodeSelector"),
        "Node-Selectors:",
        "  ",
    ));
    tolerations(s, template.ptr("/spec/tolerations"), "  ");
}

/// `describeReplicaSet`: the counts, the pods' phases, the template, the conditions
/// (`ReplicaFailure` while pod creates are refused) and the events.
fn replica_set(ctx: &mut Ctx, rs: &Value) -> String {
    let name = str_at(rs, "/metadata/name");
    let ns = str_at(rs, "/metadata/namespace");
    let mut s = format!("Name:\t{name}\nNamespace:\t{ns}\n");
    let selector = super::table::selector_string(rs.ptr("/spec/selector"));
    s.push_str(&format!("Selector:\t{selector}\n"));
    s.push_str(&labels_and_annotations(rs));
    for r in rs
        .ptr("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if r["controller"] == true {
            s.push_str(&format!(
                "Controlled By:\t{}/{}\n",
                str_at(r, "/kind"),
                str_at(r, "/name")
            ));
        }
    }
    let int = |p: &str| rs.ptr(p).and_then(Value::as_i64).unwrap_or(0);
    s.push_str(&format!(
        "Replicas:\t{} current / {} desired\n",
        int("/status/replicas"),
        int("/spec/replicas")
    ));
    let mut phases = [0; 4];
    for p in list(ctx, "pods", Some(ns)) {
        let owned = is_controlled_by(&p, rs);
        let i = ["Running", "Pending", "Succeeded", "Failed"]
            .iter()
            .position(|ph| *ph == str_at(&p, "/status/phase"));
        if let (true, Some(i)) = (owned, i) {
            phases[i] += 1;
        }
    }
    s.push_str(&format!(
        "Pods Status:\t{} Running / {} Waiting / {} Succeeded / {} Failed\n",
        phases[0], phases[1], phases[2], phases[3]
    ));
    pod_template(&mut s, rs, "/spec");
    conditions_table(&mut s, rs);
    s.push_str(&events(ctx, "ReplicaSet", Some(ns), name));
    s
}

/// The `Resource Used Hard` rows of a quota, by resource name: `describeQuota` (with `Name:` and
/// `Namespace:` above, the used value shown in the hard value's format) or, `in_namespace`, one
/// quota of `DescribeResourceQuotas` under `describe namespace`.
fn quota_table(q: &Value, in_namespace: bool) -> String {
    use crate::sim::api::quota::resource_list;
    let name = str_at(q, "/metadata/name");
    let used = resource_list(q.ptr("/status/used"));
    let (pad, dashes) = if in_namespace {
        ("  ", "---")
    } else {
        ("", "----")
    };
    let mut s = format!("{pad}Name:\t{name}\n");
    if !in_namespace {
        s.push_str(&format!(
            "Namespace:\t{}\n",
            str_at(q, "/metadata/namespace")
        ));
    }
    s.push_str(&format!(
        "{pad}Resource\tUsed\tHard\n{pad}--------\t{dashes}\t{dashes}\n"
    ));
    for (k, hard) in resource_list(q.ptr("/status/hard")) {
        let mut u = used
            .get(&k)
            .copied()
            .unwrap_or_else(|| crate::sim::api::Quantity::from_millis(0));
        if !in_namespace && u.format != hard.format {
            if let Ok(mut whole) = crate::sim::api::Quantity::parse(&u.value().to_string()) {
                whole.format = hard.format;
                u = whole;
            }
        }
        s.push_str(&format!("{pad}{k}\t{u}\t{hard}\n"));
    }
    s
}

/// `describeNamespace`: its labels, status and quotas (limit ranges are not served here, so
/// they are left out as kubectl leaves out a kind its server does not have).
fn namespace(ctx: &mut Ctx, n: &Value) -> String {
    let name = str_at(n, "/metadata/name");
    let mut s = format!("Name:\t{name}\n");
    s.push_str(&labels_and_annotations(n));
    s.push_str(&format!("Status:\t{}\n\n", str_at(n, "/status/phase")));
    let quotas = list(ctx, "resourcequotas", Some(name));
    if quotas.is_empty() {
        s.push_str("No resource quota.\n");
    } else {
        s.push_str("Resource Quotas\n");
        for q in &quotas {
            s.push_str(&quota_table(q, true));
        }
    }
    s
}

/// `describeServiceAccount`: its pull secrets, mountable secrets and legacy tokens (the lab's
/// service accounts have none: tokens are projected, as since 1.24) and its events.
/// kubectl 1.32's `RoleDescriber` and `ClusterRoleDescriber`: the rules broken down to one verb,
/// resource and name each, those of one group, resource and name merged again (their verbs in
/// the order met), and sorted by the Go text of each rule (`&PolicyRule{Verbs:[get list],...}`),
/// so by their verbs first.
fn role(role: &Value) -> String {
    #[derive(Default)]
    struct Rule {
        verbs: Vec<String>,
        groups: Vec<String>,
        resources: Vec<String>,
        names: Vec<String>,
        urls: Vec<String>,
    }
    let list = |v: &Value, key: &str| -> Vec<String> {
        v.get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(String::from))
            .collect()
    };
    let mut compact: Vec<Rule> = Vec::new();
    for rule in role
        .ptr("/rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let verbs = list(rule, "verbs");
        let names = list(rule, "resourceNames");
        let name_choices: Vec<Option<String>> = if names.is_empty() {
            vec![None]
        } else {
            names.into_iter().map(Some).collect()
        };
        for group in list(rule, "apiGroups") {
            for resource in list(rule, "resources") {
                for verb in &verbs {
                    for name in &name_choices {
                        // A rule of one group, resource and name: merged with its like.
                        let same = compact.iter().position(|r| {
                            r.groups.first() == Some(&group)
                                && r.resources.first() == Some(&resource)
                                && r.names.first() == name.as_ref()
                        });
                        match same {
                            Some(at) => {
                                if !compact[at].verbs.contains(verb) {
                                    compact[at].verbs.push(verb.clone());
                                }
                            }
                            None => compact.push(Rule {
                                verbs: vec![verb.clone()],
                                groups: vec![group.clone()],
                                resources: vec![resource.clone()],
                                names: name.iter().cloned().collect(),
                                urls: Vec::new(),
                            }),
                        }
                    }
                }
            }
        }
        for url in list(rule, "nonResourceURLs") {
            for verb in &verbs {
                compact.push(Rule {
                    verbs: vec![verb.clone()],
                    urls: vec![url.clone()],
                    ..Rule::default()
                });
            }
        }
    }
    let go = |v: &[String]| format!("[{}]", v.join(" "));
    let text = |r: &Rule| {
        format!(
            "&PolicyRule{{Verbs:{},APIGroups:{},Resources:{},ResourceNames:{},NonResourceURLs:{},}}",
            go(&r.verbs),
            go(&r.groups),
            go(&r.resources),
            go(&r.names),
            go(&r.urls)
        )
    };
    compact.stable_sort_by(|a, b| text(a).cmp(&text(b)));
    let name = str_at(role, "/metadata/name");
    let mut s = format!("Name:\t{name}\n");
    s.push_str(&labels_and_annotations(role));
    s.push_str("PolicyRule:\n  Resources\tNon-Resource URLs\tResource Names\tVerbs\n  ---------\t-----------------\t--------------\t-----\n");
    for r in &compact {
        // CombineResourceGroup: `deployments.apps`, `pods/log`, `deployments.apps/scale`.
        let resource = match r.resources.first() {
            None => String::new(),
            Some(first) => {
                let (base, sub) = match first.split_once('/') {
                    Some((b, sub)) => (b, Some(sub)),
                    None => (first.as_str(), None),
                };
                let mut combined = base.to_string();
                if let Some(group) = r.groups.first().filter(|g| !g.is_empty()) {
                    combined = format!("{combined}.{group}");
                }
                if let Some(sub) = sub {
                    combined = format!("{combined}/{sub}");
                }
                combined
            }
        };
        s.push_str(&format!(
            "  {resource}\t{}\t{}\t{}\n",
            go(&r.urls),
            go(&r.names),
            go(&r.verbs)
        ));
    }
    s
}

/// kubectl 1.32's `ConfigMapDescriber`: each data key, a `----` rule and its value; binary data
/// by size.
fn config_map(ctx: &mut Ctx, cm: &Value) -> String {
    let name = str_at(cm, "/metadata/name");
    let ns = str_at(cm, "/metadata/namespace");
    let mut s = format!("Name:\t{name}\nNamespace:\t{ns}\n");
    s.push_str(&labels_and_annotations(cm));
    s.push_str("\nData\n====\n");
    for (key, value) in cm
        .ptr("/data")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        s.push_str(&format!(
            "{key}:\n----\n{}\n\n",
            value.as_str().unwrap_or_default()
        ));
    }
    s.push_str("\nBinaryData\n====\n");
    for (key, value) in cm
        .ptr("/binaryData")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(value.as_str().unwrap_or_default())
            .map_or(0, |b| b.len());
        s.push_str(&format!("{key}: {bytes} bytes\n"));
    }
    s.push('\n');
    s.push_str(&events(ctx, "ConfigMap", Some(ns), name));
    s
}

fn service_account(ctx: &mut Ctx, sa: &Value) -> String {
    let name = str_at(sa, "/metadata/name");
    let ns = str_at(sa, "/metadata/namespace");
    let mut s = format!("Name:\t{name}\nNamespace:\t{ns}\n");
    s.push_str(&labels_and_annotations(sa));
    for (label, field) in [
        ("Image pull secrets:", "/imagePullSecrets"),
        ("Mountable secrets:", "/secrets"),
    ] {
        let names: Vec<&str> = sa
            .ptr(field)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|r| str_at(r, "/name"))
            .collect();
        match names.split_first() {
            None => s.push_str(&format!("{label}\t<none>\n")),
            Some((first, rest)) => {
                s.push_str(&format!("{label}\t{first}\n"));
                for n in rest {
                    s.push_str(&format!("\t{n}\n"));
                }
            }
        }
    }
    s.push_str("Tokens:\t<none>\n");
    s.push_str(&events(ctx, "ServiceAccount", Some(ns), name));
    s
}

/// `describeCronJob` with `describeJobTemplate` and `printActiveJobs`.
fn cron_job(ctx: &mut Ctx, cj: &Value) -> String {
    let name = str_at(cj, "/metadata/name");
    let ns = str_at(cj, "/metadata/namespace");
    let or_unset = |p: &str, unit: &str| match cj.ptr(p) {
        Some(Value::Bool(b)) => (if *b { "True" } else { "False" }).to_string(),
        Some(Value::Number(n)) => format!("{n}{unit}"),
        Some(Value::Object(_)) => super::table::selector_string(cj.ptr(p)),
        _ => "<unset>".to_string(),
    };
    let mut s = format!("Name:\t{name}\nNamespace:\t{ns}\n");
    s.push_str(&labels_and_annotations(cj));
    let spec = "/spec/jobTemplate/spec";
    for (label, pointer, unit) in [
        ("Schedule", "/spec/schedule", ""),
        ("Concurrency Policy", "/spec/concurrencyPolicy", ""),
        ("Suspend", "/spec/suspend", ""),
        (
            "Successful Job History Limit",
            "/spec/successfulJobsHistoryLimit",
            "",
        ),
        (
            "Failed Job History Limit",
            "/spec/failedJobsHistoryLimit",
            "",
        ),
        (
            "Starting Deadline Seconds",
            "/spec/startingDeadlineSeconds",
            "s",
        ),
        ("Selector", &format!("{spec}/selector"), ""),
        ("Parallelism", &format!("{spec}/parallelism"), ""),
        ("Completions", &format!("{spec}/completions"), ""),
    ] {
        let value = match cj.ptr(pointer) {
            Some(Value::String(text)) => text.clone(),
            _ => or_unset(pointer, unit),
        };
        s.push_str(&format!("{label}:\t{value}\n"));
    }
    pod_template(&mut s, cj, spec);
    let last = match str_at(cj, "/status/lastScheduleTime") {
        "" => "<unset>".to_string(),
        t => rfc1123z(t),
    };
    s.push_str(&format!("Last Schedule Time:\t{last}\n"));
    let active: Vec<&str> = cj
        .ptr("/status/active")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| str_at(r, "/name"))
        .collect();
    let active = if active.is_empty() {
        "<none>".to_string()
    } else {
        active.join(", ")
    };
    s.push_str(&format!("Active Jobs:\t{active}\n"));
    s.push_str(&events(ctx, "CronJob", Some(ns), name));
    s
}

/// kubectl 1.32's `describeService`, with the Service's Endpoints object for `Endpoints:`.
fn service(ctx: &mut Ctx, svc: &Value) -> String {
    let name = str_at(svc, "/metadata/name");
    let ns = str_at(svc, "/metadata/namespace");
    let mut s = format!("Name:\t{name}\nNamespace:\t{ns}\n");
    s.push_str(&labels_and_annotations(svc));
    // labels.FormatLabels: sorted `k=v` pairs joined by commas.
    let selector: Vec<String> = svc
        .ptr("/spec/selector")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    let or_none = |list: Vec<String>, sep: &str| {
        if list.is_empty() {
            "<none>".to_string()
        } else {
            list.join(sep)
        }
    };
    s.push_str(&format!("Selector:\t{}\n", or_none(selector, ",")));
    s.push_str(&format!("Type:\t{}\n", str_at(svc, "/spec/type")));
    let strings = |at: &str| -> Vec<String> {
        svc.ptr(at)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    };
    if let Some(policy) = svc.ptr("/spec/ipFamilyPolicy").and_then(Value::as_str) {
        s.push_str(&format!("IP Family Policy:\t{policy}\n"));
    }
    s.push_str(&format!(
        "IP Families:\t{}\n",
        or_none(strings("/spec/ipFamilies"), ",")
    ));
    s.push_str(&format!("IP:\t{}\n", str_at(svc, "/spec/clusterIP")));
    s.push_str(&format!(
        "IPs:\t{}\n",
        or_none(strings("/spec/clusterIPs"), ",")
    ));
    let external = strings("/spec/externalIPs");
    if !external.is_empty() {
        s.push_str(&format!("External IPs:\t{}\n", external.join(",")));
    }
    for (at, label) in [
        ("/spec/loadBalancerIP", "Desired LoadBalancer IP"),
        ("/spec/externalName", "External Name"),
    ] {
        if !str_at(svc, at).is_empty() {
            s.push_str(&format!("{label}:\t{}\n", str_at(svc, at)));
        }
    }
    let ingress: Vec<String> = svc
        .ptr("/status/loadBalancer/ingress")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|i| match (str_at(i, "/ip"), str_at(i, "/ipMode")) {
            ("", _) => str_at(i, "/hostname").to_string(),
            (ip, "") => ip.to_string(),
            (ip, mode) => format!("{ip} ({mode})"),
        })
        .collect();
    if !ingress.is_empty() {
        s.push_str(&format!("LoadBalancer Ingress:\t{}\n", ingress.join(", ")));
    }
    let endpoints = get(ctx, "endpoints", Some(ns), name).ok();
    for p in svc
        .ptr("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let pname = match str_at(p, "/name") {
            "" => "<unset>",
            n => n,
        };
        let proto = str_at(p, "/protocol");
        s.push_str(&format!(
            "Port:\t{pname}\t{}/{proto}\n",
            p.get("port").and_then(Value::as_i64).unwrap_or(0)
        ));
        let target = p
            .get("targetPort")
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| v.to_string())
            })
            .unwrap_or_default();
        s.push_str(&format!("TargetPort:\t{target}/{proto}\n"));
        if !str_at(p, "/appProtocol").is_empty() {
            s.push_str(&format!("AppProtocol:\t{}\n", str_at(p, "/appProtocol")));
        }
        if let Some(node_port) = p
            .get("nodePort")
            .and_then(Value::as_i64)
            .filter(|n| *n != 0)
        {
            s.push_str(&format!("NodePort:\t{pname}\t{node_port}/{proto}\n"));
        }
        s.push_str(&format!(
            "Endpoints:\t{}\n",
            endpoints_text(endpoints.as_ref(), str_at(p, "/name"))
        ));
    }
    s.push_str(&format!(
        "Session Affinity:\t{}\n",
        str_at(svc, "/spec/sessionAffinity")
    ));
    for (at, label) in [
        ("/spec/externalTrafficPolicy", "External Traffic Policy"),
        ("/spec/internalTrafficPolicy", "Internal Traffic Policy"),
    ] {
        if !str_at(svc, at).is_empty() {
            s.push_str(&format!("{label}:\t{}\n", str_at(svc, at)));
        }
    }
    if let Some(port) = svc
        .ptr("/spec/healthCheckNodePort")
        .and_then(Value::as_i64)
        .filter(|p| *p != 0)
    {
        s.push_str(&format!("HealthCheck NodePort:\t{port}\n"));
    }
    let ranges = strings("/spec/loadBalancerSourceRanges");
    if !ranges.is_empty() {
        s.push_str(&format!(
            "LoadBalancer Source Ranges:\t{}\n",
            ranges.join(",")
        ));
    }
    s.push_str(&events(ctx, "Service", Some(ns), name));
    s
}

/// kubectl 1.32's `formatEndpoints`: the first three `IP:PORT` of the port named `port`, then
/// `+ N more...`; `<none>` without subsets (or without an Endpoints object).
fn endpoints_text(endpoints: Option<&Value>, port: &str) -> String {
    let subsets = endpoints
        .and_then(|e| e.ptr("/subsets"))
        .and_then(Value::as_array)
        .filter(|s| !s.is_empty());
    let Some(subsets) = subsets else {
        return "<none>".to_string();
    };
    let mut list = Vec::new();
    let mut count = 0;
    const MAX: usize = 3;
    for subset in subsets {
        let addresses: Vec<&str> = subset
            .ptr("/addresses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|a| str_at(a, "/ip"))
            .collect();
        let ports: Vec<&Value> = subset
            .ptr("/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        if ports.is_empty() {
            for ip in &addresses {
                if list.len() < MAX {
                    list.push(ip.to_string());
                }
                count += 1;
            }
        }
        for p in ports.iter().filter(|p| str_at(p, "/name") == port) {
            for ip in &addresses {
                if list.len() < MAX {
                    list.push(format!(
                        "{ip}:{}",
                        p.get("port").and_then(Value::as_i64).unwrap_or(0)
                    ));
                }
                count += 1;
            }
        }
    }
    if count > MAX {
        format!("{} + {} more...", list.join(","), count - MAX)
    } else {
        list.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roles_rules_are_broken_down_merged_and_sorted_as_kubectl_does() {
        let role_json = serde_json::json!({"metadata": {"name": "r"}, "rules": [
            {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["watch", "get"]},
            {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["update"],
             "resourceNames": ["web", "api"]},
            {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]});
        let text = tabwrite(&role(&role_json));
        let rows: Vec<&str> = text.lines().skip(6).map(str::trim_end).collect();
        assert_eq!(
            rows,
            vec![
                // Sorted by `&PolicyRule{Verbs:[...` first: `[get list watch]` < `[get list]`
                // < `[get]` < `[update]`.
                "  pods                    []                 []              [get list watch]",
                "  pods/log                []                 []              [get list]",
                "                          [/healthz]         []              [get]",
                "  deployments.apps/scale  []                 [api]           [update]",
                "  deployments.apps/scale  []                 [web]           [update]",
            ]
        );
    }

    #[test]
    fn times_print_as_go_rfc1123z() {
        assert_eq!(
            rfc1123z("2025-06-01T00:00:05Z"),
            "Sun, 01 Jun 2025 00:00:05 +0000"
        );
        assert_eq!(
            rfc1123z("1970-01-01T00:00:00Z"),
            "Thu, 01 Jan 1970 00:00:00 +0000"
        );
        assert_eq!(rfc1123z("garbage"), "<unknown>");
    }

    #[test]
    fn a_column_is_as_wide_as_its_block_plus_two() {
        let text =
            "Name:\tweb\nService Account:\tdefault\nContainers:\n  nginx:\n    Image:\tnginx\n";
        assert_eq!(
            tabwrite(text),
            "Name:             web\nService Account:  default\nContainers:\n  nginx:\n    Image:  nginx\n"
        );
    }
}
