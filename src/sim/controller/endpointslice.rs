//! The EndpointSlice controller: the same selection as Endpoints, written as
//! `discovery.k8s.io/v1` EndpointSlices that kube-proxy reads.
//!
//! Mirrors: `pkg/controller/endpointslice` (`reconciler.go`: slices labelled
//! `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by:
//! endpointslice-controller.k8s.io`, owned by the Service, named from `generateName: <svc>-`;
//! `utils.go` `podToEndpoint`: conditions ready / serving / terminating, `nodeName`, a Pod
//! `targetRef`; one slice per distinct port mapping; an empty placeholder slice when nothing
//! matches).
//! Simplified: at most one slice per port mapping (upstream splits at 100 endpoints); no
//! topology hints or zone.

use crate::sim::api::JsonPointer;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::controller_utils::{self as cu, is_being_deleted, is_pod_ready, key_of};
use super::endpoints::{find_port, selected_pods, service_selector, target_ref};
use super::{credentials, request, WorkQueue};
use crate::sim::apiserver::{Credentials, Verb};
use crate::sim::component::{Component, Context, Decision, ObjectEvent, Reconcile};
use crate::sim::sort::StableSort;
use crate::sim::trace::{Actor, Seq};

pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
pub const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";

#[derive(Default)]
pub struct EndpointSliceController {
    queue: WorkQueue,
    namespaces: BTreeMap<String, Seq>,
}

impl EndpointSliceController {
    pub fn new() -> Self {
        EndpointSliceController::default()
    }
}

/// `podToEndpoint`.
pub fn pod_to_endpoint(pod: &Value) -> Value {
    let terminating = is_being_deleted(pod);
    let ready = is_pod_ready(pod);
    let mut ep = json!({
        "addresses": [pod.ptr("/status/podIP").and_then(Value::as_str).unwrap_or("")],
        "conditions": {"ready": ready && !terminating, "serving": ready, "terminating": terminating},
        "targetRef": target_ref(pod),
    });
    let node = cu::node_name(pod);
    if !node.is_empty() {
        ep["nodeName"] = json!(node);
    }
    ep
}

/// The endpoints of `svc`, grouped by their port list.
pub fn desired_slices(svc: &Value, pods: &[Value]) -> BTreeMap<String, (Vec<Value>, Vec<Value>)> {
    let service_ports = svc
        .ptr("/spec/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut groups: BTreeMap<String, (Vec<Value>, Vec<Value>)> = BTreeMap::new();
    for pod in pods {
        let ports: Vec<Value> = service_ports
            .iter()
            .filter_map(|sp| {
                let port = find_port(pod, sp)?;
                Some(json!({
                    "name": sp.get("name").and_then(Value::as_str).unwrap_or(""),
                    "port": port,
                    "protocol": sp.get("protocol").and_then(Value::as_str).unwrap_or("TCP"),
                }))
            })
            .collect();
        let entry = groups
            .entry(Value::Array(ports.clone()).to_string())
            .or_insert_with(|| (ports, Vec::new()));
        entry.1.push(pod_to_endpoint(pod));
    }
    for (_, endpoints) in groups.values_mut() {
        endpoints
            .stable_sort_by(|a, b| a["addresses"][0].as_str().cmp(&b["addresses"][0].as_str()));
    }
    groups
}

impl EndpointSliceController {
    fn sync_service(&mut self, ctx: &mut Context, key: &str, cause: Seq, out: &mut Reconcile) {
        let (ns, name) = cu::split_key(key);
        let ns_name = ns.unwrap_or("default");
        let existing: Vec<Value> = ctx
            .lister
            .list("endpointslices", Some(ns_name))
            .into_iter()
            .filter(|s| {
                let labels = crate::sim::api::labels(s);
                labels.get(SERVICE_NAME_LABEL).map(String::as_str) == Some(name)
                    && labels.get(MANAGED_BY_LABEL).map(String::as_str) == Some(CONTROLLER_NAME)
            })
            .collect();
        let Some(svc) = ctx.lister.get("services", ns, name) else {
            // The garbage collector removes slices of a deleted Service (they are owned).
            return;
        };
        if service_selector(&svc).is_none() {
            return;
        }
        let Some(selector) = service_selector(&svc) else {
            return;
        };
        let pods = selected_pods(ctx, &svc, &selector, true);
        let mut groups = desired_slices(&svc, &pods);
        if groups.is_empty() {
            // A placeholder: kube-proxy sees "no endpoints" rather than "no slice".
            groups.insert("[]".into(), (Vec::new(), Vec::new()));
        }
        let mut labels = svc
            .ptr("/metadata/labels")
            .cloned()
            .filter(Value::is_object)
            .unwrap_or(json!({}));
        labels[SERVICE_NAME_LABEL] = json!(name);
        labels[MANAGED_BY_LABEL] = json!(CONTROLLER_NAME);
        let mut unused: Vec<&Value> = existing.iter().collect();
        for (ports_key, (ports, endpoints)) in groups {
            let ready = endpoints
                .iter()
                .filter(|e| e["conditions"]["ready"] == json!(true))
                .count();
            let message = format!(
                "service {key}: {} endpoint(s), {ready} ready, ports {ports_key}",
                endpoints.len()
            );
            let wanted_ports = Value::Array(ports.clone());
            let found = unused
                .iter()
                .position(|s| s.get("ports").unwrap_or(&json!([])) == &wanted_ports);
            match found {
                Some(pos) => {
                    let slice = unused.remove(pos);
                    let same = slice.get("endpoints").cloned().unwrap_or(json!([]))
                        == json!(endpoints)
                        && slice.ptr("/metadata/labels") == Some(&labels);
                    if same {
                        continue;
                    }
                    let mut update = slice.clone();
                    update["endpoints"] = json!(endpoints);
                    update["metadata"]["labels"] = labels.clone();
                    out.decisions.push(
                        Decision::new("UpdateEndpointSlice", message)
                            .caused_by(cause)
                            .action(
                                request(Verb::Update, "endpointslices", Some(ns_name))
                                    .name(crate::sim::api::name(slice))
                                    .body(update),
                            ),
                    );
                }
                None => {
                    let body = json!({
                        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                        "metadata": {"generateName": format!("{name}-"), "namespace": ns_name,
                                     "labels": labels.clone(),
                                     "ownerReferences": [cu::new_controller_ref(&svc)]},
                        "addressType": "IPv4",
                        "endpoints": endpoints,
                        "ports": ports,
                    });
                    out.decisions.push(
                        Decision::new("CreateEndpointSlice", message)
                            .caused_by(cause)
                            .action(
                                request(Verb::Create, "endpointslices", Some(ns_name)).body(body),
                            ),
                    );
                }
            }
        }
        for slice in unused {
            out.decisions.push(
                Decision::new(
                    "DeleteEndpointSlice",
                    format!(
                        "service {key}: slice {} is no longer needed",
                        crate::sim::api::name(slice)
                    ),
                )
                .caused_by(cause)
                .action(super::delete("endpointslices", slice)),
            );
        }
    }
}

impl Component for EndpointSliceController {
    fn name(&self) -> String {
        "endpointslice-controller".to_string()
    }

    fn actor(&self) -> Actor {
        Actor::controller(&self.name())
    }

    fn credentials(&self) -> Credentials {
        credentials()
    }

    fn watches(&self) -> Vec<&'static str> {
        vec!["services", "pods", "endpointslices"]
    }

    fn observe(&mut self, ev: &ObjectEvent) {
        match ev.resource {
            "services" => self.queue.add(key_of(&ev.object), ev.seq),
            "endpointslices" => {
                let labels = crate::sim::api::labels(&ev.object);
                if let Some(svc) = labels.get(SERVICE_NAME_LABEL) {
                    let ns = crate::sim::api::namespace(&ev.object);
                    self.queue.add(format!("{ns}/{svc}"), ev.seq);
                }
            }
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
