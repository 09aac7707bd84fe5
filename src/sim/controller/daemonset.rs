//! The DaemonSet controller: one pod on every eligible node.
//!
//! Mirrors: `pkg/controller/daemon/daemon_controller.go` (`syncDaemonSet`, `manage`:
//! `podsShouldBeOnNode` per node, create where missing, delete where not wanted or doubled,
//! `updateDaemonSetStatus`'s numbers; a refused create is a `FailedCreate` Warning,
//! `Error creating: ...`, and the key is retried on the rate limiter's back-off), `util/daemonset_util.go` (`AddOrUpdateDaemonPodTolerations`:
//! not-ready and unreachable NoExecute, disk-pressure, memory-pressure, pid-pressure and
//! unschedulable NoSchedule, network-unavailable for hostNetwork pods; and
//! `ReplaceDaemonSetPodNodeNameNodeAffinity`: the pod names its node through
//! `requiredDuringSchedulingIgnoredDuringExecution` `matchFields metadata.name`, so the default
//! scheduler binds it, as upstream does since 1.12).
//! Simplified: no `controller-revision-hash` / ControllerRevisions, so no rolling update of
//! daemon pods (a template change affects new pods only); eligibility checks taints,
//! `nodeSelector` and `spec.unschedulable`, not resources.

use crate::sim::api::JsonPointer;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::controller_utils::{self as cu, is_controlled_by, is_pod_active, is_pod_ready, key_of};
use super::node_lifecycle::{taints, tolerates, NOT_READY_TAINT, UNREACHABLE_TAINT};
use super::{credentials, event, request, status_patch, WorkQueue};
use crate::sim::apiserver::events::EventType;
use crate::sim::apiserver::{ApiError, ApiRequest, ApiResponse, Credentials, Verb};
use crate::sim::clock::{seconds_to_ticks, Ticks};
use crate::sim::component::{Component, Context, Decision, DecisionId, ObjectEvent, Reconcile};
use crate::sim::trace::{Actor, Seq};

pub const COMPONENT: &str = "daemonset-controller";

pub struct DaemonSetsController {
    queue: WorkQueue,
    /// A node or an unowned pod changed: every DaemonSet needs a look.
    all: Option<Seq>,
    /// Refused pod creates (`Error creating: ...`), reported and retried on the work queue's
    /// back-off, as `syncDaemonSet`'s error requeues the key rate-limited.
    failures: cu::CreateFailures,
}

/// `DefaultControllerRateLimiter`'s per-item back-off: 5 ms doubling to 1000 s.
const FAILURE_BACKOFF_BASE_TICKS: Ticks = 5;
const FAILURE_BACKOFF_MAX_TICKS: Ticks = seconds_to_ticks(1000);

impl Default for DaemonSetsController {
    fn default() -> Self {
        DaemonSetsController {
            queue: WorkQueue::default(),
            all: None,
            failures: cu::CreateFailures::new(
                FAILURE_BACKOFF_BASE_TICKS,
                FAILURE_BACKOFF_MAX_TICKS,
            ),
        }
    }
}

impl DaemonSetsController {
    pub fn new() -> Self {
        DaemonSetsController::default()
    }

    /// The key of the DaemonSet that controls `pod`, if one does.
    fn owner_key(pod: &Value) -> Option<String> {
        let r = cu::get_controller_of(pod)?;
        if r.get("kind").and_then(Value::as_str) != Some("DaemonSet") {
            return None;
        }
        let name = r.get("name").and_then(Value::as_str).unwrap_or("");
        Some(format!("{}/{name}", crate::sim::api::namespace(pod)))
    }
}

/// `AddOrUpdateDaemonPodTolerations`.
pub fn add_daemon_tolerations(spec: &mut Value) {
    let host_network = spec.get("hostNetwork").and_then(Value::as_bool) == Some(true);
    let mut wanted = vec![
        (NOT_READY_TAINT, "NoExecute"),
        (UNREACHABLE_TAINT, "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    if host_network {
        wanted.push(("node.kubernetes.io/network-unavailable", "NoSchedule"));
    }
    if !spec.get("tolerations").is_some_and(Value::is_array) {
        spec["tolerations"] = json!([]);
    }
    if let Some(list) = spec.get_mut("tolerations").and_then(Value::as_array_mut) {
        for (key, effect) in wanted {
            let present = list.iter().any(|t| {
                t.get("key").and_then(Value::as_str) == Some(key)
                    && t.get("effect").and_then(Value::as_str) == Some(effect)
            });
            if !present {
                list.push(json!({"key": key, "operator": "Exists", "effect": effect}));
            }
        }
    }
}

/// `podsShouldBeOnNode`'s predicate: the daemon pod (with its added tolerations) fits the node's
/// taints and the template's nodeSelector.
pub fn should_run_on(pod_spec: &Value, node: &Value) -> bool {
    fits(pod_spec, node, &["NoSchedule", "NoExecute"])
}

/// `shouldContinueRunning`: a pod already there stays unless a NoExecute taint evicts it.
pub fn should_continue_running(pod_spec: &Value, node: &Value) -> bool {
    fits(pod_spec, node, &["NoExecute"])
}

fn fits(pod_spec: &Value, node: &Value, effects: &[&str]) -> bool {
    let tolerations = pod_spec
        .get("tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let tolerated = taints(node)
        .iter()
        .filter(|t| {
            t.get("effect")
                .and_then(Value::as_str)
                .is_some_and(|e| effects.contains(&e))
        })
        .all(|t| tolerations.iter().any(|tol| tolerates(tol, t)));
    let labels = crate::sim::api::labels(node);
    let selected = crate::sim::api::string_map(pod_spec.get("nodeSelector"))
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v));
    tolerated && selected
}

/// The node a daemon pod is for: its nodeName, or the matchFields affinity it was created with.
pub fn target_node(pod: &Value) -> String {
    let bound = cu::node_name(pod);
    if !bound.is_empty() {
        return bound.to_string();
    }
    pod.ptr("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchFields/0/values/0")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

impl DaemonSetsController {
    fn sync_daemon_set(&mut self, ctx: &mut Context, key: &str, cause: Seq, out: &mut Reconcile) {
        let (ns, name) = cu::split_key(key);
        let Some(ds) = ctx.lister.get("daemonsets", ns, name) else {
            return;
        };
        let ns = ns.unwrap_or("default");
        let mut template = ds.ptr("/spec/template").cloned().unwrap_or(json!({}));
        if !template.get("spec").is_some_and(Value::is_object) {
            template["spec"] = json!({});
        }
        add_daemon_tolerations(&mut template["spec"]);
        let nodes = ctx.lister.list("nodes", None);
        let pods: Vec<Value> = ctx
            .lister
            .list("pods", Some(ns))
            .into_iter()
            .filter(|p| is_controlled_by(p, &ds) && is_pod_active(p))
            .collect();
        let mut by_node: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
        for p in &pods {
            by_node.entry(target_node(p)).or_default().push(p);
        }
        let mut create = Decision::new("SuccessfulCreate", String::new())
            .caused_by(cause)
            .id(DecisionId(0));
        let backing_off = self.failures.backing_off(key, ctx.now);
        let mut missing = 0;
        let mut delete = Decision::new("SuccessfulDelete", String::new()).caused_by(cause);
        let mut wanted_nodes = Vec::new();
        let deleting = cu::is_being_deleted(&ds);
        for node in &nodes {
            let node_name = crate::sim::api::name(node).to_string();
            let existing = by_node.remove(&node_name).unwrap_or_default();
            let should = !deleting
                && (should_run_on(&template["spec"], node)
                    || (!existing.is_empty() && should_continue_running(&template["spec"], node)));
            if should {
                wanted_nodes.push(node_name.clone());
                if existing.is_empty() {
                    missing += 1;
                }
                if existing.is_empty() && !backing_off {
                    let pod = self.new_pod(ctx, &ds, &template, &node_name);
                    let pod_name = crate::sim::api::name(&pod).to_string();
                    create
                        .actions
                        .push(request(Verb::Create, "pods", Some(ns)).body(pod));
                    create.actions.push(event(
                        ctx,
                        &ds,
                        EventType::Normal,
                        "SuccessfulCreate",
                        &format!("Created pod: {pod_name}"),
                        COMPONENT,
                    ));
                } else {
                    // Doubled up: keep the oldest.
                    for extra in existing.iter().skip(1) {
                        delete.actions.push(super::delete("pods", extra));
                    }
                }
            } else {
                for p in existing {
                    delete.actions.push(super::delete("pods", p));
                    delete.actions.push(event(
                        ctx,
                        &ds,
                        EventType::Normal,
                        "SuccessfulDelete",
                        &format!("Deleted pod: {}", crate::sim::api::name(p)),
                        COMPONENT,
                    ));
                }
            }
        }
        // Pods for nodes that no longer exist.
        for (_, stale) in by_node {
            for p in stale {
                delete.actions.push(super::delete("pods", p));
            }
        }
        if missing == 0 {
            // A sync with nothing to create forgets the back-off (`queue.Forget`).
            self.failures.forget(key);
        }
        let creating = create.actions.len() / 2;
        if creating > 0 {
            create.message = format!(
                "daemonset {key}: {} eligible node(s), {creating} without a daemon pod: creating {creating}",
                wanted_nodes.len()
            );
            out.decisions.push(create);
        }
        if !delete.actions.is_empty() {
            delete.message =
                format!("daemonset {key}: deleting daemon pods on nodes that should not run them");
            out.decisions.push(delete);
        }
        // updateDaemonSetStatus.
        let scheduled = wanted_nodes
            .iter()
            .filter(|n| pods.iter().any(|p| target_node(p) == **n))
            .count();
        let misscheduled = pods
            .iter()
            .filter(|p| !wanted_nodes.contains(&target_node(p)))
            .count();
        let ready = pods
            .iter()
            .filter(|p| wanted_nodes.contains(&target_node(p)) && is_pod_ready(p))
            .count();
        let desired = wanted_nodes.len();
        let generation = ds
            .ptr("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let status = json!({
            "currentNumberScheduled": scheduled,
            "numberMisscheduled": misscheduled,
            "desiredNumberScheduled": desired,
            "numberReady": ready,
            "updatedNumberScheduled": scheduled,
            "numberAvailable": ready,
            "numberUnavailable": desired.saturating_sub(ready),
            "observedGeneration": generation,
        });
        let current = ds.get("status").cloned().unwrap_or(json!({}));
        let changed = status.as_object().is_some_and(|m| {
            m.iter()
                .any(|(k, v)| current.get(k).unwrap_or(&json!(0)) != v)
        });
        if changed {
            out.decisions.push(
                Decision::new(
                    "UpdateStatus",
                    format!(
                        "daemonset {key}: desired {desired}, scheduled {scheduled}, ready {ready}"
                    ),
                )
                .caused_by(cause)
                .action(status_patch("daemonsets", &ds, status)),
            );
        }
    }

    fn new_pod(&self, ctx: &mut Context, ds: &Value, template: &Value, node: &str) -> Value {
        let prefix = format!("{}-", crate::sim::api::name(ds));
        let mut pod = cu::pod_from_template(ds, template, &prefix);
        pod["metadata"]["name"] = json!(cu::generate_name(&prefix, ctx.rng));
        pod["spec"]["affinity"] = crate::sim::api::json_text(
            r#"{"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms":
                [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["${node}"]}]}]}}}"#,
            &[("node", node)],
        );
        pod
    }
}

impl Component for DaemonSetsController {
    fn name(&self) -> String {
        COMPONENT.to_string()
    }

    fn actor(&self) -> Actor {
        Actor::controller(&self.name())
    }

    fn credentials(&self) -> Credentials {
        credentials()
    }

    fn watches(&self) -> Vec<&'static str> {
        vec!["daemonsets", "nodes", "pods"]
    }

    fn observe(&mut self, ev: &ObjectEvent) {
        match ev.resource {
            "daemonsets" => {
                let key = key_of(&ev.object);
                self.failures.retry_now(&key);
                self.queue.add(key, ev.seq);
            }
            "nodes" => self.all = Some(ev.seq),
            "pods" => {
                if let Some(key) = Self::owner_key(&ev.object) {
                    self.failures.retry_now(&key);
                    self.queue.add(key, ev.seq);
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, ctx: &mut Context) -> Reconcile {
        let mut out = Reconcile::default();
        let mut work = self.queue.take();
        if let Some(seq) = self.all.take() {
            for ds in ctx.lister.list("daemonsets", None) {
                work.entry(key_of(&ds)).or_insert(seq);
            }
        }
        // Refusals to report (caused by the decision that sent the create), back-offs ended.
        for f in self.failures.report(ctx.now) {
            let (ns, name) = cu::split_key(&f.key);
            if let Some(ds) = ctx.lister.get("daemonsets", ns, name) {
                let warning = event(
                    ctx,
                    &ds,
                    EventType::Warning,
                    "FailedCreate",
                    &f.message,
                    COMPONENT,
                );
                out.decisions.push(
                    Decision::new(
                        "FailedCreate",
                        format!("daemonset {}: {}", f.key, f.message),
                    )
                    .caused_by(f.cause)
                    .action(warning),
                );
            }
            work.entry(f.key).or_insert(f.cause);
        }
        for (key, cause) in self.failures.due(ctx.now) {
            work.entry(key).or_insert(cause);
        }
        for (key, cause) in work {
            self.sync_daemon_set(ctx, &key, cause, &mut out);
        }
        out.requeue_after = self.failures.requeue_after(ctx.now);
        out
    }

    fn on_recorded(&mut self, _id: DecisionId, seq: Seq) {
        self.failures.create_recorded(seq);
    }

    fn requeue_after_responses(&mut self) -> Option<Ticks> {
        self.failures.unreported().then_some(1)
    }

    fn on_response(&mut self, request: &ApiRequest, result: &Result<ApiResponse, ApiError>) {
        if let (Verb::Create, Err(e)) = (request.verb, result) {
            if let Some(key) = request.body.as_ref().and_then(Self::owner_key) {
                self.failures.refused(key, &e.message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daemon_pods_tolerate_node_problems_but_not_the_control_plane_taint() {
        let mut spec = json!({});
        add_daemon_tolerations(&mut spec);
        let master = json!({"metadata": {"name": "master"}, "spec": {"taints": [
            {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]}});
        let unreachable = json!({"metadata": {"name": "node2"}, "spec": {"taints": [
            {"key": UNREACHABLE_TAINT, "effect": "NoExecute"},
            {"key": UNREACHABLE_TAINT, "effect": "NoSchedule"}]}});
        let plain = json!({"metadata": {"name": "node1"}});
        assert!(!should_run_on(&spec, &master));
        assert!(should_run_on(&spec, &plain));
        // NoSchedule for unreachable is not among the added tolerations.
        assert!(!should_run_on(&spec, &unreachable));
        assert!(should_continue_running(&spec, &unreachable));
        spec["tolerations"]
            .as_array_mut()
            .unwrap()
            .push(json!({"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}));
        assert!(should_run_on(&spec, &master));
        spec["nodeSelector"] = json!({"disk": "ssd"});
        assert!(!should_run_on(&spec, &plain));
    }
}
