//! ResourceQuota arithmetic: what one object uses, what a namespace uses, and whether a new
//! object fits every quota of its namespace.
//!
//! Mirrors: `pkg/quota/v1` (`Add`, `Mask`, `LessThanOrEqual`, `CalculateUsage`), the evaluators
//! of `pkg/quota/v1/evaluator/core` (pods: `pods`, `count/pods`, `requests.*`, `limits.*` and
//! `cpu`/`memory` as requests, nothing for a Succeeded or Failed pod but `count/pods`; services:
//! `services`, `services.nodeports`, `services.loadbalancers`; every other kind: `count/<resource>.<group>`
//! and, for the core kinds that had them first, the bare plural), the pod evaluator's
//! `Constraints` (`must specify limits.cpu for: web`) and the admission plugin's `checkRequest`
//! in `plugin/pkg/admission/resourcequota/controller.go` (a quota the controller has not
//! processed yet, without `status.hard`, is not enforced; `status unknown for quota`;
//! `exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2`).
//! Simplified: no quota scopes or scope selectors (a quota with `spec.scopes` is enforced as if
//! it had none); no `requests.storage` or `ephemeral-storage`, hugepages or extended resources;
//! a terminating pod counts until it is gone (upstream stops counting it once its grace period
//! has passed); pod overhead is not added.

use crate::sim::api::JsonPointer;
use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::quantity::Quantity;
use super::resources::ResourceInfo;

/// A `ResourceList`: quota resource name → quantity, in name order.
pub type ResourceList = BTreeMap<String, Quantity>;

/// Names a ResourceQuota may limit without a `/` (`IsStandardQuotaResourceName`).
pub const STANDARD_QUOTA_RESOURCES: &[&str] = &[
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
    "cpu",
    "memory",
    "requests.cpu",
    "requests.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "ephemeral-storage",
    "storage",
];

/// The resources whose quantities must be whole numbers (`IsIntegerResourceName`): the object
/// counts (the first nine above) and every `count/...`.
pub fn is_integer_resource(name: &str) -> bool {
    STANDARD_QUOTA_RESOURCES[..9].contains(&name) || name.starts_with("count/")
}

/// The pod evaluator's compute resources: a quota on any of them makes every container say how
/// much it wants (`validationSet`).
const COMPUTE: [&str; 6] = [
    "cpu",
    "limits.cpu",
    "limits.memory",
    "memory",
    "requests.cpu",
    "requests.memory",
];

/// The kinds whose object count had a bare name before `count/` existed.
const LEGACY_COUNTS: [&str; 5] = [
    "configmaps",
    "secrets",
    "replicationcontrollers",
    "resourcequotas",
    "persistentvolumeclaims",
];

/// A ResourceList read from JSON (`{"pods": "2", "requests.cpu": "500m"}`); unparsable entries
/// are left out (strict decoding refuses them before they are stored).
pub fn resource_list(v: Option<&Value>) -> ResourceList {
    let Some(Value::Object(m)) = v else {
        return ResourceList::new();
    };
    m.iter()
        .filter_map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((k.clone(), Quantity::parse(&text).ok()?))
        })
        .collect()
}

/// The JSON form, each quantity in its canonical spelling.
pub fn list_json(list: &ResourceList) -> Value {
    let m: Map<String, Value> = list
        .iter()
        .map(|(k, q)| (k.clone(), json!(q.canonical())))
        .collect();
    Value::Object(m)
}

fn zero() -> Quantity {
    Quantity::from_millis(0)
}

fn one() -> Quantity {
    Quantity::from_millis(1000)
}

fn add_to(list: &mut ResourceList, name: &str, q: Quantity) {
    let sum = list.get(name).copied().unwrap_or_else(zero).plus(q);
    list.insert(name.to_string(), sum);
}

/// `prettyPrint`: `pods=1,requests.cpu=500m`, by name.
pub fn pretty(list: &ResourceList) -> String {
    let parts: Vec<String> = list.iter().map(|(k, q)| format!("{k}={q}")).collect();
    parts.join(",")
}

/// `QuotaV1Pod`: Succeeded and Failed pods no longer use compute resources nor the `pods` count.
pub fn is_terminal(pod: &Value) -> bool {
    matches!(
        pod.ptr("/status/phase").and_then(Value::as_str),
        Some("Succeeded" | "Failed")
    )
}

/// Does the evaluator of `info` know quota resource `name` (`MatchingResources`)?
pub fn tracks(info: &ResourceInfo, name: &str) -> bool {
    if name.strip_prefix("count/") == Some(&info.qualified_plural()) {
        return true;
    }
    match info.plural {
        "pods" => name == "pods" || COMPUTE.contains(&name),
        "services" => matches!(
            name,
            "services" | "services.nodeports" | "services.loadbalancers"
        ),
        plural => LEGACY_COUNTS.contains(&plural) && name == plural,
    }
}

/// The requests (`requests` = true) or limits of a pod: its containers summed, then each resource
/// raised to the largest init container's (`PodRequests` / `PodLimits`).
fn pod_compute(spec: &Value, field: &str) -> ResourceList {
    let read = |c: &Value| resource_list(c.ptr(&format!("/resources/{field}")));
    let mut sum = ResourceList::new();
    for c in spec["containers"].as_array().into_iter().flatten() {
        for (k, q) in read(c) {
            add_to(&mut sum, &k, q);
        }
    }
    for c in spec["initContainers"].as_array().into_iter().flatten() {
        for (k, q) in read(c) {
            if sum.get(&k).is_none_or(|s| q > *s) {
                sum.insert(k, q);
            }
        }
    }
    sum
}

/// What one object of `info` uses (`Usage`).
pub fn usage(info: &ResourceInfo, obj: &Value) -> ResourceList {
    let mut used = ResourceList::new();
    used.insert(format!("count/{}", info.qualified_plural()), one());
    match info.plural {
        // `count/pods` tracks every pod in storage; the rest ends with the pod's life.
        "pods" if !is_terminal(obj) => {
            used.insert("pods".into(), one());
            let spec = obj.get("spec").unwrap_or(&Value::Null);
            for (field, prefix) in [("requests", "requests."), ("limits", "limits.")] {
                for (k, q) in pod_compute(spec, field) {
                    if k == "cpu" || k == "memory" {
                        if field == "requests" {
                            used.insert(k.clone(), q);
                        }
                        used.insert(format!("{prefix}{k}"), q);
                    }
                }
            }
        }
        "services" => {
            used.insert("services".into(), one());
            let ports = obj.ptr("/spec/ports").and_then(Value::as_array);
            let ports = ports.map_or(0, Vec::len) as i64;
            match obj.ptr("/spec/type").and_then(Value::as_str) {
                Some("NodePort") => {
                    used.insert(
                        "services.nodeports".into(),
                        Quantity::from_millis(ports * 1000),
                    );
                }
                Some("LoadBalancer") => {
                    used.insert("services.loadbalancers".into(), one());
                    used.insert(
                        "services.nodeports".into(),
                        Quantity::from_millis(ports * 1000),
                    );
                }
                _ => {}
            }
        }
        plural if LEGACY_COUNTS.contains(&plural) => {
            used.insert(plural.to_string(), one());
        }
        _ => {}
    }
    used
}

/// `CalculateUsage`: what `objects` (every object of the namespace, with its kind) use of the
/// resources `hard` names; every hard resource appears, 0 when nothing uses it.
pub fn calculate_usage<'a>(
    hard: &ResourceList,
    objects: impl IntoIterator<Item = (&'a ResourceInfo, &'a Value)>,
) -> ResourceList {
    let mut used: ResourceList = hard.keys().map(|k| (k.clone(), zero())).collect();
    for (info, obj) in objects {
        for (k, q) in usage(info, obj) {
            if hard.contains_key(&k) {
                add_to(&mut used, &k, q);
            }
        }
    }
    used
}

/// The pod evaluator's `Constraints`: with a quota on cpu or memory, every container must state
/// its request (or limit) for each of them.
pub fn constraints(info: &ResourceInfo, obj: &Value, restricted: &[&str]) -> Result<(), String> {
    if info.plural != "pods" {
        return Ok(());
    }
    let required: Vec<&str> = COMPUTE
        .into_iter()
        .filter(|r| restricted.contains(r))
        .collect();
    // Missing resource → the containers that lack it, both in name order (`required` is).
    let mut missing: Vec<(&str, Vec<&str>)> = required.iter().map(|r| (*r, Vec::new())).collect();
    let spec = obj.get("spec").unwrap_or(&Value::Null);
    for list in ["containers", "initContainers"] {
        for c in spec[list].as_array().into_iter().flatten() {
            let has = |field: &str, r: &str| c.ptr(&format!("/resources/{field}/{r}")).is_some();
            for r in &required {
                let present = match r.split_once('.') {
                    Some((field, res)) => has(field, res),
                    None => has("requests", r),
                };
                if !present {
                    let name = c.get("name").and_then(Value::as_str).unwrap_or("");
                    if let Some((_, names)) = missing.iter_mut().find(|(m, _)| m == r) {
                        names.push(name);
                    }
                }
            }
        }
    }
    missing.retain(|(_, names)| !names.is_empty());
    if missing.is_empty() {
        return Ok(());
    }
    let parts: Vec<String> = missing
        .into_iter()
        .map(|(r, mut names)| {
            names.sort_unstable();
            names.dedup();
            format!("{r} for: {}", names.join(","))
        })
        .collect();
    Err(format!("must specify {}", parts.join("; ")))
}

/// The admission plugin's answer for one write: the quotas (by index) whose `status.used`
/// changes, with the new usage, or why the write is forbidden.
pub fn check(
    info: &ResourceInfo,
    new: &Value,
    old: Option<&Value>,
    quotas: &[Value],
) -> Result<Vec<(usize, ResourceList)>, String> {
    let mut interesting = Vec::new();
    for (i, q) in quotas.iter().enumerate() {
        let name = super::name(q);
        let hard = resource_list(q.ptr("/status/hard"));
        let restricted: Vec<&str> = hard
            .keys()
            .map(String::as_str)
            .filter(|k| tracks(info, k))
            .collect();
        if restricted.is_empty() {
            continue;
        }
        constraints(info, new, &restricted).map_err(|e| format!("failed quota: {name}: {e}"))?;
        let used = resource_list(q.ptr("/status/used"));
        if restricted.iter().any(|r| !used.contains_key(*r)) {
            return Err(format!(
                "status unknown for quota: {name}, resources: {}",
                restricted.join(",")
            ));
        }
        interesting.push((i, name, hard, used));
    }
    let mut delta = usage(info, new);
    if let Some(old) = old {
        for (k, q) in usage(info, old) {
            let d = delta.get(&k).copied().unwrap_or_else(zero).minus(q);
            delta.insert(k, d);
        }
    }
    let mut changed = Vec::new();
    for (i, name, hard, used) in interesting {
        let requested: ResourceList = delta
            .iter()
            .filter(|(k, q)| hard.contains_key(*k) && !q.is_zero())
            .map(|(k, q)| (k.clone(), *q))
            .collect();
        if requested.is_empty() {
            continue;
        }
        let mut new_used = used.clone();
        for (k, q) in &requested {
            add_to(&mut new_used, k, *q);
        }
        let exceeded: Vec<&String> = requested
            .keys()
            .filter(|k| q_positive(&requested, k) && new_used[*k] > hard[*k])
            .collect();
        if !exceeded.is_empty() {
            let only = |l: &ResourceList| -> ResourceList {
                exceeded
                    .iter()
                    .map(|k| ((*k).clone(), l.get(*k).copied().unwrap_or_else(zero)))
                    .collect()
            };
            return Err(format!(
                "exceeded quota: {name}, requested: {}, used: {}, limited: {}",
                pretty(&only(&requested)),
                pretty(&only(&used)),
                pretty(&only(&hard))
            ));
        }
        new_used.retain(|k, _| hard.contains_key(k));
        changed.push((i, new_used));
    }
    Ok(changed)
}

/// Only what a write adds can exceed a quota: an update that frees something never does.
fn q_positive(list: &ResourceList, k: &str) -> bool {
    list.get(k).is_some_and(|q| !q.is_negative())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::resources::by_plural;

    fn quota(name: &str, hard: Value, used: Value) -> Value {
        json!({"metadata": {"name": name}, "status": {"hard": hard, "used": used}})
    }

    fn pod(name: &str, resources: Value, phase: &str) -> Value {
        json!({"metadata": {"name": name},
               "spec": {"containers": [{"name": "web", "resources": resources}]},
               "status": {"phase": phase}})
    }

    #[test]
    fn a_pod_over_the_pod_count_is_refused_with_upstreams_words() {
        let pods = by_plural("pods").unwrap();
        let q = [quota("q", json!({"pods": "2"}), json!({"pods": "2"}))];
        let err = check(pods, &pod("p", json!({}), "Pending"), None, &q).unwrap_err();
        assert_eq!(
            err,
            "exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2"
        );
        let q = [quota("q", json!({"pods": "2"}), json!({"pods": "1"}))];
        let ok = check(pods, &pod("p", json!({}), "Pending"), None, &q).unwrap();
        assert_eq!(
            ok,
            vec![(0, [("pods".to_string(), one().plus(one()))].into())]
        );
    }

    #[test]
    fn a_cpu_quota_makes_every_container_state_its_request_and_limit() {
        let pods = by_plural("pods").unwrap();
        let q = [quota(
            "compute",
            json!({"requests.cpu": "1", "limits.memory": "1Gi"}),
            json!({"requests.cpu": "0", "limits.memory": "0"}),
        )];
        let err = check(pods, &pod("p", json!({}), "Pending"), None, &q).unwrap_err();
        assert_eq!(
            err,
            "failed quota: compute: must specify limits.memory for: web; requests.cpu for: web"
        );
        let fits = pod(
            "p",
            json!({"requests": {"cpu": "600m"}, "limits": {"memory": "128Mi"}}),
            "Pending",
        );
        let changed = check(pods, &fits, None, &q).unwrap();
        assert_eq!(
            list_json(&changed[0].1),
            json!({"limits.memory": "128Mi", "requests.cpu": "600m"})
        );
        let q = [quota(
            "compute",
            json!({"requests.cpu": "1", "limits.memory": "1Gi"}),
            json!({"requests.cpu": "600m", "limits.memory": "128Mi"}),
        )];
        assert_eq!(
            check(pods, &fits, None, &q).unwrap_err(),
            "exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1"
        );
    }

    #[test]
    fn terminal_pods_use_only_their_object_count() {
        let pods = by_plural("pods").unwrap();
        let hard = resource_list(Some(
            &json!({"pods": "5", "count/pods": "5", "requests.cpu": "2"}),
        ));
        let running = pod("a", json!({"requests": {"cpu": "500m"}}), "Running");
        let done = pod("b", json!({"requests": {"cpu": "500m"}}), "Succeeded");
        let failed = pod("c", json!({"requests": {"cpu": "500m"}}), "Failed");
        let used = calculate_usage(&hard, [(pods, &running), (pods, &done), (pods, &failed)]);
        assert_eq!(
            list_json(&used),
            json!({"count/pods": "3", "pods": "1", "requests.cpu": "500m"})
        );
    }

    #[test]
    fn object_counts_name_the_resource_and_its_group() {
        let deploy = by_plural("deployments").unwrap();
        let cm = by_plural("configmaps").unwrap();
        let q = [quota(
            "counts",
            json!({"count/deployments.apps": "1", "configmaps": "1"}),
            json!({"count/deployments.apps": "1", "configmaps": "0"}),
        )];
        let d = json!({"metadata": {"name": "web"}});
        assert_eq!(
            check(deploy, &d, None, &q).unwrap_err(),
            "exceeded quota: counts, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1"
        );
        assert_eq!(check(cm, &d, None, &q).unwrap().len(), 1);
        // An unprocessed quota (no status yet) is not enforced.
        let fresh = [json!({"metadata": {"name": "new"}, "spec": {"hard": {"pods": "0"}}})];
        assert_eq!(check(deploy, &d, None, &fresh), Ok(vec![]));
    }

    #[test]
    fn node_ports_count_per_port_and_an_update_is_charged_its_difference() {
        let svc = by_plural("services").unwrap();
        let q = [quota(
            "net",
            json!({"services.nodeports": "1"}),
            json!({"services.nodeports": "0"}),
        )];
        let cluster_ip =
            json!({"spec": {"type": "ClusterIP", "ports": [{"port": 80}, {"port": 443}]}});
        let mut node_port = cluster_ip.clone();
        node_port["spec"]["type"] = json!("NodePort");
        assert_eq!(check(svc, &cluster_ip, None, &q), Ok(vec![]));
        assert_eq!(
            check(svc, &node_port, Some(&cluster_ip), &q).unwrap_err(),
            "exceeded quota: net, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1"
        );
    }
}
