//! Node heartbeats: the Lease in `kube-node-lease` and the Node's status.
//!
//! Mirrors: `pkg/kubelet/nodelease` (renew the Lease every 10 s, `leaseDurationSeconds: 40`) and
//! `pkg/kubelet/kubelet_node_status.go` (`tryUpdateNodeStatus`: compute status every
//! `nodeStatusUpdateFrequency` = 10 s, write it when it changed or when
//! `nodeStatusReportFrequency` = 5 min has passed) with `nodestatus/setters.go` (conditions and
//! their reasons, capacity, allocatable, nodeInfo, images).
//! Simplified: allocatable = capacity minus the kubelet's default hard-eviction threshold
//! (`memory.available<100Mi`); kubeadm reserves nothing else (no kube-reserved/system-reserved).

use crate::sim::api::{json_template, json_text};
use serde_json::{json, Value};

use crate::sim::clock::{seconds_to_ticks, Ticks, TICKS_PER_SECOND};

use super::cri::ImageInfo;
use super::status::timestamp;
use crate::sim::sort::StableSort;

pub const LEASE_DURATION_SECONDS: u64 = 40;
pub const LEASE_RENEW_INTERVAL_TICKS: Ticks = seconds_to_ticks(10);
pub const NODE_STATUS_UPDATE_TICKS: Ticks = seconds_to_ticks(10);
pub const NODE_STATUS_REPORT_TICKS: Ticks = seconds_to_ticks(300);
/// `maxWaitForContainerRuntime`: how long the runtime may be silent before it counts as down.
pub const RUNTIME_DOWN_AFTER_TICKS: Ticks = seconds_to_ticks(30);
/// The PLEG's relist threshold: 3 minutes without a relist make it unhealthy.
pub const PLEG_THRESHOLD_TICKS: Ticks = seconds_to_ticks(180);

pub const KUBELET_VERSION: &str = "v1.32.0";
pub const CONTAINER_RUNTIME_VERSION: &str = "containerd://1.7.24";
pub const OS_IMAGE: &str = "Ubuntu 22.04.4 LTS";
pub const KERNEL_VERSION: &str = "5.15.0-119-generic";
const EVICTION_HARD_MEMORY_BYTES: u64 = 100 * 1024 * 1024;

/// A MicroTime, as Lease `renewTime` is written: `2025-06-01T00:00:10.000000Z`.
pub fn micro_time(epoch_unix_seconds: i64, ticks: Ticks) -> String {
    let seconds = timestamp(epoch_unix_seconds, ticks);
    let micros = (ticks % TICKS_PER_SECOND) * 1000;
    format!("{}.{micros:06}Z", seconds.trim_end_matches('Z'))
}

/// The node's Lease as the kubelet writes it.
pub fn lease(node: &str, node_uid: &str, renew_time: &str) -> Value {
    let mut lease = json_template(
        r#"{
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "${node}", "namespace": "kube-node-lease",
                     "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "${node}",
                                          "uid": "${uid}"}]},
        "spec": {"holderIdentity": "${node}", "leaseDurationSeconds": "${duration}",
                 "renewTime": "${renewTime}"}
    }"#,
        &[
            ("node", node.into()),
            ("uid", node_uid.into()),
            ("duration", LEASE_DURATION_SECONDS.into()),
            ("renewTime", renew_time.into()),
        ],
    );
    if node_uid.is_empty() {
        if let Some(Value::Object(metadata)) = lease.get_mut("metadata") {
            metadata.remove("ownerReferences");
        }
    }
    lease
}

/// What the Ready condition says, from the runtime's health as the kubelet sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readiness {
    pub ready: bool,
    pub reason: &'static str,
    pub message: String,
}

/// `ReadyCondition` of `nodestatus/setters.go`: the runtime and PLEG errors joined by commas.
/// `runtime_down_since` is when containerd stopped answering; `synced` is false until the
/// kubelet's first runtime status check after it (re)started.
pub fn readiness(runtime_down_since: Option<Ticks>, synced: bool, now: Ticks) -> Readiness {
    let mut errors: Vec<String> = Vec::new();
    if !synced {
        errors.push("container runtime status check may not have completed yet".into());
    }
    if let Some(since) = runtime_down_since {
        let down = now.saturating_sub(since);
        if down >= RUNTIME_DOWN_AFTER_TICKS {
            errors.push("container runtime is down".into());
        }
        if down >= PLEG_THRESHOLD_TICKS {
            errors.push(format!(
                "PLEG is not healthy: pleg was last seen active {} ago; threshold is 3m0s",
                super::backoff::go_duration(down)
            ));
        }
    }
    if errors.is_empty() {
        Readiness {
            ready: true,
            reason: "KubeletReady",
            message: "kubelet is posting ready status".into(),
        }
    } else {
        Readiness {
            ready: false,
            reason: "KubeletNotReady",
            message: errors.join(","),
        }
    }
}

/// Capacity and allocatable of a VM.
pub fn resources(cpus: u32, memory_bytes: u64) -> (Value, Value) {
    let block = |memory: u64| {
        json_text(
            r#"{"cpu": "${cpu}", "ephemeral-storage": "19475Mi", "hugepages-2Mi": "0",
                "memory": "${memory}", "pods": "110"}"#,
            &[
                ("cpu", &cpus.to_string()),
                ("memory", &format!("{}Ki", memory / 1024)),
            ],
        )
    };
    (
        block(memory_bytes),
        block(memory_bytes.saturating_sub(EVICTION_HARD_MEMORY_BYTES)),
    )
}

/// The node status conditions (without timestamps), in upstream's order.
pub fn conditions(
    ready: &Readiness,
    memory_pressure: bool,
) -> Vec<(&'static str, bool, &'static str, String)> {
    vec![
        if memory_pressure {
            (
                "MemoryPressure",
                true,
                "KubeletHasInsufficientMemory",
                "kubelet has insufficient memory available".to_string(),
            )
        } else {
            (
                "MemoryPressure",
                false,
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available".to_string(),
            )
        },
        (
            "DiskPressure",
            false,
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure".into(),
        ),
        (
            "PIDPressure",
            false,
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available".into(),
        ),
        ("Ready", ready.ready, ready.reason, ready.message.clone()),
    ]
}

/// `status.images`, largest first as upstream sorts them.
pub fn images_json(images: &[ImageInfo]) -> Value {
    let mut sorted: Vec<&ImageInfo> = images.iter().collect();
    sorted.stable_sort_by(|a, b| {
        b.size_bytes
            .cmp(&a.size_bytes)
            .then(a.repo_digest.cmp(&b.repo_digest))
    });
    Value::Array(
        sorted
            .into_iter()
            .map(|i| {
                let mut names = vec![i.repo_digest.clone()];
                names.extend(i.repo_tags.iter().cloned());
                json!({"names": names, "sizeBytes": i.size_bytes})
            })
            .collect(),
    )
}

/// `status.nodeInfo`.
pub fn node_info(boot_id: &str, machine_id: &str) -> Value {
    json_text(
        r#"{"architecture": "amd64", "bootID": "${bootID}",
            "containerRuntimeVersion": "${runtime}", "kernelVersion": "${kernel}",
            "kubeProxyVersion": "${kubelet}", "kubeletVersion": "${kubelet}",
            "machineID": "${machineID}", "operatingSystem": "linux", "osImage": "${os}",
            "systemUUID": "${machineID}"}"#,
        &[
            ("bootID", boot_id),
            ("runtime", CONTAINER_RUNTIME_VERSION),
            ("kernel", KERNEL_VERSION),
            ("kubelet", KUBELET_VERSION),
            ("machineID", machine_id),
            ("os", OS_IMAGE),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renew_time_has_microseconds() {
        assert_eq!(
            micro_time(1_748_736_000, 10_250),
            "2025-06-01T00:00:10.250000Z"
        );
    }

    #[test]
    fn the_ready_condition_words_runtime_trouble_as_upstream() {
        for (down_since, synced, now, ready, message) in [
            (None, true, 0, true, "kubelet is posting ready status"),
            (None, false, 0, false, "container runtime status check may not have completed yet"),
            (Some(0), true, 10_000, true, "kubelet is posting ready status"),
            (Some(0), true, 30_000, false, "container runtime is down"),
            (
                Some(0),
                true,
                185_000,
                false,
                "container runtime is down,PLEG is not healthy: pleg was last seen active 3m5s ago; threshold is 3m0s",
            ),
        ] {
            let r = readiness(down_since, synced, now);
            assert_eq!((r.ready, r.message.as_str()), (ready, message), "{down_since:?} {now}");
        }
    }

    #[test]
    fn allocatable_keeps_the_eviction_threshold_out() {
        let (capacity, allocatable) = resources(1, 1024 * 1024 * 1024);
        assert_eq!(capacity["memory"], "1048576Ki");
        assert_eq!(allocatable["memory"], "946176Ki");
        assert_eq!(allocatable["cpu"], "1");
    }
}
