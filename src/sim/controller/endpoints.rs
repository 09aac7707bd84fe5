//! The Endpoints controller: a Service's selector → the IPs of its pods, ready or not.
//!
//! Mirrors: `pkg/controller/endpoint/endpoints_controller.go` (`syncService`: pods matching the
//! selector with an IP, `addresses` when Ready, `notReadyAddresses` otherwise, terminating pods
//! left out; `podToEndpointAddressForService` with `nodeName` and a Pod `targetRef`;
//! `findPort` resolving a named `targetPort` against the pod's container ports, pods without
//! that port left out of that port's subset; Services without a selector are left to the user).
//! Simplified: subsets are grouped by identical port lists (upstream's `RepackSubsets` has the
//! same effect); no `last-change-trigger-time` annotation; no hostname/subdomain.

use crate::sim::api::JsonPointer;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::controller_utils::{is_being_deleted, is_pod_ready, key_of, uid};
use super::{credentials, request, WorkQueue};
use crate::sim::api::selector::LabelSelector;
use crate::sim::apiserver::{Credentials, Verb};
use crate::sim::component::{Component, Context, Decision, ObjectEvent, Reconcile};
use crate::sim::sort::StableSort;
use crate::sim::trace::{Actor, Seq};

#[derive(Default)]
pub struct EndpointsController {
    queue: WorkQueue,
    namespaces: BTreeMap<String, Seq>,
}

impl EndpointsController {
    pub fn new() -> Self {
        EndpointsController::default()
    }
}

/// The service's selector, `None` for a Service without one (its Endpoints are the user's).
pub fn service_selector(svc: &Value) -> Option<LabelSelector> {
    let map = crate::sim::api::string_map(svc.ptr("/spec/selector"));
    if map.is_empty() {
        return None;
    }
    Some(LabelSelector {
        match_labels: map,
        match_expressions: Vec::new(),
    })
}

/// `findPort`: the container port a Service port's `targetPort` means for this pod.
pub fn find_port(pod: &Value, service_port: &Value) -> Option<i64> {
    let target = service_port
        .get("targetPort")
        .or_else(|| service_port.get("port"))?;
    if let Some(n) = target.as_i64() {
        return Some(n);
    }
    let wanted = target.as_str()?;
    if let Ok(n) = wanted.parse::<i64>() {
        return Some(n);
    }
    let protocol = service_port
        .get("protocol")
        .and_then(Value::as_str)
        .unwrap_or("TCP");
    pod.ptr("/spec/containers")
        .and_then(Value::as_array)?
        .iter()
        .flat_map(|c| {
            c.get("ports")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .find(|p| {
            p.get("name").and_then(Value::as_str) == Some(wanted)
                && p.get("protocol").and_then(Value::as_str).unwrap_or("TCP") == protocol
        })
        .and_then(|p| p.get("containerPort").and_then(Value::as_i64))
}

/// The pods a Service selects, with IPs, not terminating, in name order.
pub fn selected_pods(
    ctx: &Context,
    svc: &Value,
    selector: &LabelSelector,
    include_terminating: bool,
) -> Vec<Value> {
    let ns = crate::sim::api::namespace(svc);
    let Ok(selector) = selector.to_selector() else {
        return Vec::new();
    };
    ctx.lister
        .list_shared("pods", Some(ns))
        .into_iter()
        .filter(|p| selector.matches_labels_of(p))
        .filter(|p| {
            p.ptr("/status/podIP")
                .and_then(Value::as_str)
                .is_some_and(|ip| !ip.is_empty())
        })
        .filter(|p| include_terminating || !is_being_deleted(p))
        .filter(|p| {
            !matches!(
                p.ptr("/status/phase").and_then(Value::as_str),
                Some("Succeeded" | "Failed")
            )
        })
        .map(|p| Value::clone(&p))
        .collect()
}

pub fn target_ref(pod: &Value) -> Value {
    json!({"kind": "Pod", "namespace": crate::sim::api::namespace(pod),
           "name": crate::sim::api::name(pod), "uid": uid(pod)})
}

/// The `subsets` of the Endpoints object for `svc`.
pub fn subsets_for(svc: &Value, pods: &[Value]) -> Vec<Value> {
    let service_ports = svc
        .ptr("/spec/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // port list (as JSON text, to group by) → (ports, ready, not ready)
    type Subset = (Vec<Value>, Vec<Value>, Vec<Value>);
    let mut groups: BTreeMap<String, Subset> = BTreeMap::new();
    for pod in pods {
        let ports: Vec<Value> = service_ports
            .iter()
            .filter_map(|sp| {
                let port = find_port(pod, sp)?;
                let mut p = json!({"port": port,
                    "protocol": sp.get("protocol").and_then(Value::as_str).unwrap_or("TCP")});
                if let Some(name) = sp.get("name").and_then(Value::as_str) {
                    p["name"] = json!(name);
                }
                Some(p)
            })
            .collect();
        if ports.is_empty() && !service_ports.is_empty() {
            continue;
        }
        let mut address = json!({
            "ip": pod.ptr("/status/podIP").and_then(Value::as_str).unwrap_or(""),
            "targetRef": target_ref(pod),
        });
        let node = super::controller_utils::node_name(pod);
        if !node.is_empty() {
            address["nodeName"] = json!(node);
        }
        let entry = groups
            .entry(Value::Array(ports.clone()).to_string())
            .or_insert_with(|| (ports, Vec::new(), Vec::new()));
        if is_pod_ready(pod) {
            entry.1.push(address);
        } else {
            entry.2.push(address);
        }
    }
    let by_ip = |a: &Value, b: &Value| a["ip"].as_str().cmp(&b["ip"].as_str());
    groups
        .into_values()
        .map(|(ports, mut ready, mut not_ready)| {
            ready.stable_sort_by(by_ip);
            not_ready.stable_sort_by(by_ip);
            let mut subset = json!({});
            if !ready.is_empty() {
                subset["addresses"] = json!(ready);
            }
            if !not_ready.is_empty() {
                subset["notReadyAddresses"] = json!(not_ready);
            }
            if !ports.is_empty() {
                subset["ports"] = json!(ports);
            }
            subset
        })
        .collect()
}

impl EndpointsController {
    fn sync_service(&mut self, ctx: &mut Context, key: &str, cause: Seq, out: &mut Reconcile) {
        let (ns, name) = super::controller_utils::split_key(key);
        let existing = ctx.lister.get("endpoints", ns, name);
        let Some(svc) = ctx.lister.get("services", ns, name) else {
            // The Service is gone: so are its Endpoints (upstream deletes them here).
            if let Some(ep) = existing {
                out.decisions.push(
                    Decision::new(
                        "DeleteEndpoints",
                        format!("service {key} is gone: deleting its endpoints"),
                    )
                    .caused_by(cause)
                    .action(super::delete("endpoints", &ep)),
                );
            }
            return;
        };
        let Some(selector) = service_selector(&svc) else {
            return;
        };
        let pods = selected_pods(ctx, &svc, &selector, false);
        let subsets = subsets_for(&svc, &pods);
        let ready: usize = subsets
            .iter()
            .map(|s| {
                s.get("addresses")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len)
            })
            .sum();
        let not_ready: usize = subsets
            .iter()
            .map(|s| {
                s.get("notReadyAddresses")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len)
            })
            .sum();
        let labels = svc.ptr("/metadata/labels").cloned().unwrap_or(json!({}));
        let mut body = json!({
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": name, "namespace": crate::sim::api::namespace(&svc)},
        });
        if labels.as_object().is_some_and(|m| !m.is_empty()) {
            body["metadata"]["labels"] = labels.clone();
        }
        if !subsets.is_empty() {
            body["subsets"] = json!(subsets);
        }
        let message = format!(
            "service {key}: selector matches {} pod(s) with an IP: {ready} ready, {not_ready} not ready",
            pods.len()
        );
        match existing {
            None => out.decisions.push(
                Decision::new("CreateEndpoints", message)
                    .caused_by(cause)
                    .action(request(Verb::Create, "endpoints", ns).body(body)),
            ),
            Some(ep) => {
                let current_subsets = ep.get("subsets").cloned().unwrap_or(json!([]));
                let current_labels = ep.ptr("/metadata/labels").cloned().unwrap_or(json!({}));
                if current_subsets == json!(subsets) && current_labels == labels {
                    return;
                }
                let mut update = body;
                update["metadata"] = ep["metadata"].clone();
                update["metadata"]["labels"] = labels;
                if subsets.is_empty() {
                    if let Some(o) = update.as_object_mut() {
                        o.remove("subsets");
                    }
                }
                out.decisions.push(
                    Decision::new("UpdateEndpoints", message)
                        .caused_by(cause)
                        .action(
                            request(Verb::Update, "endpoints", ns)
                                .name(name)
                                .body(update),
                        ),
                );
            }
        }
    }
}

impl Component for EndpointsController {
    fn name(&self) -> String {
        "endpoints-controller".to_string()
    }

    fn actor(&self) -> Actor {
        Actor::controller(&self.name())
    }

    fn credentials(&self) -> Credentials {
        credentials()
    }

    fn watches(&self) -> Vec<&'static str> {
        vec!["services", "pods", "endpoints"]
    }

    fn observe(&mut self, ev: &ObjectEvent) {
        match ev.resource {
            "services" | "endpoints" => self.queue.add(key_of(&ev.object), ev.seq),
            "pods" => {
                self.namespaces
                    .insert(crate::sim::api::namespace(&ev.object).to_string(), ev.seq);
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        let mut work = self.queue.take();
        for (ns, seq) in std::mem::take(&mut self.namespaces) {
            for svc in ctx.lister.list("services", Some(&ns)) {
                work.insert(key_of(&svc), seq);
            }
        }
        for (key, cause) in work {
            self.sync_service(ctx, &key, cause, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_target_port_resolves_against_the_pods_container_ports() {
        let pod =
            json!({"spec": {"containers": [{"ports": [{"name": "http", "containerPort": 8080}]}]}});
        assert_eq!(
            find_port(&pod, &json!({"port": 80, "targetPort": "http"})),
            Some(8080)
        );
        assert_eq!(
            find_port(&pod, &json!({"port": 80, "targetPort": 9090})),
            Some(9090)
        );
        assert_eq!(find_port(&pod, &json!({"port": 80})), Some(80));
        assert_eq!(
            find_port(&pod, &json!({"port": 80, "targetPort": "metrics"})),
            None
        );
    }
}
