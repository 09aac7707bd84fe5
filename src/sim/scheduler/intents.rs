//! The API requests a cycle's outcome turns into; the scheduler component returns these as
//! intents and the cluster applies them through the apiserver.
//!
//! Mirrors: `schedule_one.go` (`bind`, `handleSchedulingFailure`), `util.PatchPodStatus`, the
//! scheduler's event recorder (`Scheduled`, `FailedScheduling`, `Preempted`) and
//! `preemption.prepareCandidate` (delete victims, set `status.nominatedNodeName`).
//! Simplified: core/v1 Events (upstream records events.k8s.io/v1, which `kubectl get events`
//! shows the same way); victims are deleted without first adding the DisruptionTarget condition.

use serde_json::{json, Value};

use super::node_info::PodInfo;
use super::plugins::default_binder::{bind, scheduler_credentials};
use super::record::CycleRecord;
use crate::sim::apiserver::request::PatchType;
use crate::sim::apiserver::{ApiRequest, Verb};
use crate::sim::clock::{rfc3339_from_unix, Ticks, DEFAULT_EPOCH_UNIX_SECONDS, TICKS_PER_SECOND};

fn timestamp(now: Ticks) -> String {
    rfc3339_from_unix(DEFAULT_EPOCH_UNIX_SECONDS + (now / TICKS_PER_SECOND) as i64)
}

/// A core/v1 Event about a pod, named `<pod>.<hex nanoseconds>` as client-go's recorder names it.
pub fn pod_event(
    pod: &PodInfo,
    event_type: &str,
    reason: &str,
    message: &str,
    now: Ticks,
) -> ApiRequest {
    let unix_nanos =
        (DEFAULT_EPOCH_UNIX_SECONDS as u128) * 1_000_000_000 + (now as u128) * 1_000_000;
    let ts = timestamp(now);
    let body = crate::sim::api::json_text(
        r#"{
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "${event}", "namespace": "${namespace}"},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "${name}",
                           "namespace": "${namespace}", "uid": "${uid}"},
        "reason": "${reason}", "message": "${message}", "type": "${type}",
        "source": {"component": "default-scheduler"},
        "reportingComponent": "default-scheduler",
        "reportingInstance": "default-scheduler-master",
        "firstTimestamp": "${ts}", "lastTimestamp": "${ts}",
        "count": 1
    }"#,
        &[
            ("event", &format!("{}.{:x}", pod.name, unix_nanos)),
            ("namespace", &pod.namespace),
            ("name", &pod.name),
            ("uid", &pod.uid),
            ("reason", reason),
            ("message", message),
            ("type", event_type),
            ("ts", &ts),
        ],
    );
    ApiRequest::new(scheduler_credentials(), Verb::Create, "events")
        .namespace(pod.namespace.clone())
        .body(body)
}

fn status_patch(pod: &PodInfo, status: Value) -> ApiRequest {
    ApiRequest::new(scheduler_credentials(), Verb::Patch, "pods")
        .namespace(pod.namespace.clone())
        .name(pod.name.clone())
        .subresource("status")
        .patch(PatchType::StrategicMerge, json!({ "status": status }))
}

/// What the scheduler asks of the apiserver after a cycle, in order.
pub fn requests_for(pod: &PodInfo, record: &CycleRecord, now: Ticks) -> Vec<ApiRequest> {
    if let Some(node) = record.selected_node() {
        return vec![
            bind(pod, node),
            pod_event(
                pod,
                "Normal",
                "Scheduled",
                &format!(
                    "Successfully assigned {}/{} to {node}",
                    pod.namespace, pod.name
                ),
                now,
            ),
        ];
    }
    let mut requests = Vec::new();
    if let Some(preemption) = &record.preemption {
        if let Some(node) = &preemption.nominated_node {
            for victim in &preemption.victims {
                let (namespace, name) = victim
                    .split_once('/')
                    .unwrap_or(("default", victim.as_str()));
                requests.push(
                    ApiRequest::new(scheduler_credentials(), Verb::Delete, "pods")
                        .namespace(namespace)
                        .name(name),
                );
            }
            requests.push(status_patch(pod, json!({ "nominatedNodeName": node })));
        }
    }
    let message = record.failure_message().unwrap_or_default();
    requests.push(pod_event(pod, "Warning", "FailedScheduling", message, now));
    // Upstream's updatePod writes the condition only when it changes (podutil.UpdatePodCondition):
    // a retry that fails the same way leaves the pod alone.
    let already = pod
        .pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|conditions| {
            conditions.iter().any(|c| {
                c.type_ == "PodScheduled"
                    && c.status == "False"
                    && c.reason.as_deref() == Some("Unschedulable")
                    && c.message.as_deref() == Some(message)
            })
        });
    if already {
        return requests;
    }
    requests.push(status_patch(
        pod,
        crate::sim::api::json_text(
            r#"{"conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "${message}", "lastProbeTime": null, "lastTransitionTime": "${now}"}]}"#,
            &[("message", message), ("now", &timestamp(now))],
        ),
    ));
    requests
}

/// The `Preempted` event on a victim: `Preempted by pod <uid> on node <node>`.
pub fn preempted_event(
    victim: &PodInfo,
    preemptor: &PodInfo,
    node: &str,
    now: Ticks,
) -> ApiRequest {
    pod_event(
        victim,
        "Normal",
        "Preempted",
        &format!("Preempted by pod {} on node {node}", preemptor.uid),
        now,
    )
}
