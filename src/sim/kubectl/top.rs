//! `kubectl top nodes` / `kubectl top pods`: what metrics-server serves, printed as kubectl does.
//!
//! Mirrors: kubectl v1.32 `top node` (`NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%)`, CPU in
//! millicores `250m`, memory in `Mi`, `<unknown>` for a node without metrics) and `top pod`
//! (`NAME CPU(cores) MEMORY(bytes)`, `NAMESPACE` first with `-A`).
//! Simplified: the figures are each kubelet's last sync (see `kubelet::stats`), not a 15 s
//! window; a node whose kubelet is stopped has no metrics.

use std::collections::BTreeMap;

use serde_json::Value;

use super::cmd::Ctx;
use super::logs::str_at;
use super::table::tabwrite;
use super::verb_util::{parse, Flag, Takes};
use super::Output;
use crate::sim::apiserver::request::{ApiRequest, Credentials, Verb};
use crate::sim::kubelet::stats::PodUsage;

const TOP_FLAGS: &[Flag] = &[
    ("all-namespaces", Some('A'), Takes::Bool),
    ("no-headers", None, Takes::Bool),
    ("selector", Some('l'), Takes::Value),
];

fn mebibytes(bytes: u64) -> String {
    format!("{}Mi", bytes / (1024 * 1024))
}

/// `kubectl top ARGS...` (without `top`).
pub fn run(args: &[String], ctx: &mut Ctx) -> Output {
    // cobra names the subcommand in its errors: `kubectl top node`, `kubectl top pod`.
    let path = match args.first().map(String::as_str) {
        Some("node" | "nodes" | "no") => "kubectl top node",
        Some("pod" | "pods" | "po") => "kubectl top pod",
        _ => "kubectl top",
    };
    let a = match parse(path, args, TOP_FLAGS, true) {
        Ok(a) => a,
        Err(out) => return out,
    };
    let what = a.positional.first().map(String::as_str).unwrap_or("");
    let name = a.positional.get(1).map(String::as_str);
    match what {
        "node" | "nodes" | "no" => nodes(ctx, name, a.has("no-headers")),
        "pod" | "pods" | "po" => pods(
            ctx,
            name,
            (!a.has("all-namespaces")).then(|| a.namespace()),
            a.has("no-headers"),
        ),
        _ if a.has("help") || what.is_empty() => Output::ok(
            "Display resource (CPU/memory) usage.\n\nAvailable Commands:\n  node          Display resource (CPU/memory) usage of nodes\n  pod           Display resource (CPU/memory) usage of pods\n\nUsage:\n  kubectl top [flags] [options]\n",
        ),
        other => Output::fail(format!(
            "error: unknown command \"{other}\" for \"kubectl top\"\n"
        )),
    }
}

fn list(ctx: &mut Ctx, resource: &str, namespace: Option<String>) -> Vec<Value> {
    let mut req = ApiRequest::new(Credentials::admin(), Verb::List, resource);
    if let Some(ns) = namespace {
        req = req.namespace(ns);
    }
    ctx.call(req)
        .ok()
        .and_then(|r| r.body.get("items").and_then(Value::as_array).cloned())
        .unwrap_or_default()
}

/// The node's kubelet answers metrics-server only while it runs.
fn has_metrics(ctx: &Ctx, node: &str) -> bool {
    ctx.backend.node(node).is_some()
        && ctx
            .backend
            .component_running(&format!("kubelet@{node}"))
            .unwrap_or(false)
}

fn nodes(ctx: &mut Ctx, only: Option<&str>, no_headers: bool) -> Output {
    let mut rows = Vec::new();
    if !no_headers {
        rows.push(
            ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
                .map(String::from)
                .to_vec(),
        );
    }
    let mut found = false;
    for node in list(ctx, "nodes", None) {
        let name = str_at(&node, "/metadata/name").to_string();
        if only.is_some_and(|o| o != name) {
            continue;
        }
        found = true;
        let handle = ctx.backend.node(&name);
        match handle.filter(|_| has_metrics(ctx, &name)) {
            Some(h) => {
                let usage = h.node_usage();
                let (cpu_pct, mem_pct) = usage.percentages();
                rows.push(vec![
                    name,
                    format!("{}m", usage.cpu_millis),
                    format!("{cpu_pct}%"),
                    mebibytes(usage.memory_bytes),
                    format!("{mem_pct}%"),
                ]);
            }
            None => rows.push(vec![
                name,
                "<unknown>".into(),
                "<unknown>".into(),
                "<unknown>".into(),
                "<unknown>".into(),
            ]),
        }
    }
    if let (Some(name), false) = (only, found) {
        return Output::fail(format!(
            "Error from server (NotFound): nodemetrics.metrics.k8s.io \"{name}\" not found\n"
        ));
    }
    Output::ok(tabwrite(&rows))
}

fn pods(ctx: &mut Ctx, only: Option<&str>, namespace: Option<String>, no_headers: bool) -> Output {
    // Metrics by namespace/name, from every node whose kubelet answers.
    let mut usage: BTreeMap<(String, String), PodUsage> = BTreeMap::new();
    for node in ctx.backend.node_names() {
        if !has_metrics(ctx, &node) {
            continue;
        }
        if let Some(h) = ctx.backend.node(&node) {
            for pod in h.pod_usage().into_values() {
                usage.insert((pod.namespace.clone(), pod.name.clone()), pod);
            }
        }
    }
    // Only pods the apiserver still has (a deleted pod's figures linger until the next sync).
    let live: Vec<(String, String)> = list(ctx, "pods", namespace.clone())
        .iter()
        .map(|p| {
            (
                str_at(p, "/metadata/namespace").to_string(),
                str_at(p, "/metadata/name").to_string(),
            )
        })
        .collect();
    let mut rows = Vec::new();
    if !no_headers {
        let mut h = vec!["NAME", "CPU(cores)", "MEMORY(bytes)"];
        if namespace.is_none() {
            h.insert(0, "NAMESPACE");
        }
        rows.push(h.into_iter().map(String::from).collect());
    }
    let mut count = 0;
    for key in &live {
        if only.is_some_and(|o| o != key.1) {
            continue;
        }
        let Some(pod) = usage.get(key) else { continue };
        count += 1;
        let mut row = vec![
            key.1.clone(),
            format!("{}m", pod.cpu_millis()),
            mebibytes(pod.memory_bytes()),
        ];
        if namespace.is_none() {
            row.insert(0, key.0.clone());
        }
        rows.push(row);
    }
    if count == 0 {
        let ns = namespace.unwrap_or_default();
        return match only {
            Some(name) => Output::fail(format!(
                "Error from server (NotFound): podmetrics.metrics.k8s.io \"{ns}/{name}\" not found\n"
            )),
            None if ns.is_empty() => Output::fail("No resources found\n"),
            None => Output::fail(format!("No resources found in {ns} namespace.\n")),
        };
    }
    Output::ok(tabwrite(&rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_prints_in_whole_mebibytes() {
        assert_eq!(mebibytes(310 * 1024 * 1024 + 5), "310Mi");
        assert_eq!(mebibytes(0), "0Mi");
    }
}
