//! Pod status as the kubelet reports it: phase, conditions and container statuses.
//!
//! Mirrors: `pkg/kubelet/kubelet_pods.go` (`getPhase`, `generateAPIPodStatus`,
//! `convertToAPIContainerStatuses`) and `pkg/kubelet/status/generate.go` (the Initialized,
//! ContainersReady, Ready and PodReadyToStartContainers conditions, with their reasons
//! `ContainersNotInitialized`, `ContainersNotReady`, `PodCompleted`).
//! Simplified: no sidecar (restartable init) containers, no ephemeral containers, no resize.

use serde_json::{json, Value};

use crate::sim::clock::{rfc3339_from_unix, Ticks, TICKS_PER_SECOND};

/// A container's current state, as `status.containerStatuses[].state` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerState {
    /// Not running: `ContainerCreating`, `PodInitializing`, `ErrImagePull`,
    /// `ImagePullBackOff`, `CrashLoopBackOff`, `CreateContainerError`.
    Waiting {
        reason: String,
        message: String,
    },
    Running {
        started_ticks: Ticks,
    },
    Terminated(Terminated),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terminated {
    pub exit_code: i32,
    /// `Completed`, `Error`, `OOMKilled`, `StartError`.
    pub reason: String,
    pub started_ticks: Ticks,
    pub finished_ticks: Ticks,
    pub container_id: String,
}

/// What the status of one container is made from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerStatusView {
    pub name: String,
    /// The spec's image until the runtime resolved it (`docker.io/library/nginx:latest`).
    pub image: String,
    /// `docker.io/library/nginx@sha256:...`; empty before the first pull.
    pub image_id: String,
    /// The 64 hex digits of the current container, if any.
    pub container_id: Option<String>,
    pub state: ContainerState,
    pub last_state: Option<Terminated>,
    pub ready: bool,
    pub started: bool,
    pub restart_count: u32,
}

/// Upstream's `getPhase` (see the module doc): the API phase from the container states.
pub fn api_phase(
    restart_policy: &str,
    init: &[ContainerStatusView],
    containers: &[ContainerStatusView],
) -> &'static str {
    // An init container that failed under `Never` fails the pod; one still to finish holds it.
    for c in init {
        match &c.state {
            ContainerState::Terminated(t) if t.exit_code == 0 => continue,
            ContainerState::Terminated(_) if restart_policy == "Never" => return "Failed",
            _ => return "Pending",
        }
    }
    let (mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0);
    for c in containers {
        match &c.state {
            ContainerState::Running { .. } => running += 1,
            ContainerState::Terminated(t) => {
                stopped += 1;
                if t.exit_code == 0 {
                    succeeded += 1;
                }
            }
            ContainerState::Waiting { .. } if c.last_state.is_some() => stopped += 1,
            ContainerState::Waiting { .. } => waiting += 1,
        }
    }
    if waiting > 0 {
        "Pending"
    } else if running > 0 {
        "Running"
    } else if stopped > 0 {
        match restart_policy {
            "Always" => "Running",
            _ if stopped == succeeded => "Succeeded",
            "OnFailure" => "Running",
            _ => "Failed",
        }
    } else {
        "Pending"
    }
}

/// Ticks to RFC 3339, given the Unix seconds at tick 0.
pub fn timestamp(epoch_unix_seconds: i64, ticks: Ticks) -> String {
    rfc3339_from_unix(epoch_unix_seconds + (ticks / TICKS_PER_SECOND) as i64)
}

fn terminated_json(t: &Terminated, epoch: i64) -> Value {
    json!({
        "exitCode": t.exit_code,
        "reason": t.reason,
        "startedAt": timestamp(epoch, t.started_ticks),
        "finishedAt": timestamp(epoch, t.finished_ticks),
        "containerID": format!("containerd://{}", t.container_id),
    })
}

/// One entry of `status.containerStatuses`.
pub fn container_status_json(c: &ContainerStatusView, epoch: i64) -> Value {
    let state = match &c.state {
        ContainerState::Waiting { reason, message } if message.is_empty() => {
            json!({"waiting": {"reason": reason}})
        }
        ContainerState::Waiting { reason, message } => {
            json!({"waiting": {"reason": reason, "message": message}})
        }
        ContainerState::Running { started_ticks } => {
            json!({"running": {"startedAt": timestamp(epoch, *started_ticks)}})
        }
        ContainerState::Terminated(t) => json!({"terminated": terminated_json(t, epoch)}),
    };
    let mut status = json!({
        "name": c.name,
        "image": c.image,
        "imageID": c.image_id,
        "ready": c.ready,
        "started": c.started,
        "restartCount": c.restart_count,
        "state": state,
        "lastState": match &c.last_state {
            Some(t) => json!({"terminated": terminated_json(t, epoch)}),
            None => json!({}),
        },
    });
    if let Some(id) = &c.container_id {
        status["containerID"] = json!(format!("containerd://{id}"));
    }
    status
}

/// The conditions the kubelet owns, each `(type, status, reason, message)`, in upstream's order.
pub fn kubelet_conditions(
    phase: &str,
    sandbox_ready: bool,
    init: &[ContainerStatusView],
    containers: &[ContainerStatusView],
) -> Vec<(&'static str, bool, &'static str, String)> {
    let completed = matches!(phase, "Succeeded" | "Failed");
    let incomplete: Vec<&str> = init
        .iter()
        .filter(|c| !matches!(&c.state, ContainerState::Terminated(t) if t.exit_code == 0))
        .map(|c| c.name.as_str())
        .collect();
    let unready: Vec<&str> = containers
        .iter()
        .filter(|c| !c.ready)
        .map(|c| c.name.as_str())
        .collect();
    let initialized = incomplete.is_empty() || (completed && phase == "Succeeded");
    let (init_reason, init_message) = if initialized {
        ("", String::new())
    } else {
        (
            "ContainersNotInitialized",
            format!(
                "containers with incomplete status: [{}]",
                incomplete.join(" ")
            ),
        )
    };
    let ready = unready.is_empty() && !completed && initialized;
    let (ready_reason, ready_message) = if ready {
        ("", String::new())
    } else if completed {
        ("PodCompleted", String::new())
    } else if !initialized {
        (
            "ContainersNotInitialized",
            format!(
                "containers with incomplete status: [{}]",
                incomplete.join(" ")
            ),
        )
    } else {
        (
            "ContainersNotReady",
            format!("containers with unready status: [{}]", unready.join(" ")),
        )
    };
    vec![
        (
            "PodReadyToStartContainers",
            sandbox_ready,
            "",
            String::new(),
        ),
        ("Initialized", initialized, init_reason, init_message),
        ("Ready", ready, ready_reason, ready_message.clone()),
        ("ContainersReady", ready, ready_reason, ready_message),
    ]
}

/// The pod conditions the kubelet owns (upstream's `kubetypes.PodConditionsByKubelet`, less
/// `PodScheduled`, which the scheduler writes first and the kubelet only carries over).
pub const KUBELET_CONDITIONS: [&str; 4] = [
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
];

/// The status (`True` → true) of the condition `kind` in a pod status, if it has one.
pub fn condition_status(status: &Value, kind: &str) -> Option<bool> {
    status
        .get("conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))?
        .get("status")
        .and_then(Value::as_str)
        .map(|s| s == "True")
}

/// Upstream's `isPodStatusByKubeletEqual` (`pkg/kubelet/status/status_manager.go`), on what
/// matters here: does the apiserver's copy of a pod's status (`api`) still say what the kubelet
/// last sent (`sent`): the same phase, and each condition the kubelet owns with the same status?
/// It does not when another writer changed it: the node lifecycle controller's
/// `MarkPodsNotReady` sets `Ready` to False while the kubelet is stopped or cut off.
/// Simplified: upstream also compares every other field after normalizing timestamps; here only
/// the kubelet writes those, so they cannot drift.
pub fn status_by_kubelet_equal(api: &Value, sent: &Value) -> bool {
    api.get("phase") == sent.get("phase")
        && KUBELET_CONDITIONS
            .iter()
            .all(|kind| condition_status(api, kind) == condition_status(sent, kind))
}

/// A condition as the API writes it.
pub fn condition_json(
    kind: &str,
    status: bool,
    reason: &str,
    message: &str,
    transition: &str,
) -> Value {
    let mut c = json!({
        "type": kind,
        "status": if status { "True" } else { "False" },
        "lastProbeTime": null,
        "lastTransitionTime": transition,
    });
    if !reason.is_empty() {
        c["reason"] = json!(reason);
    }
    if !message.is_empty() {
        c["message"] = json!(message);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(name: &str, state: ContainerState, last: bool, ready: bool) -> ContainerStatusView {
        ContainerStatusView {
            name: name.into(),
            image: "nginx".into(),
            image_id: String::new(),
            container_id: None,
            state,
            last_state: last.then(|| exited(1)),
            ready,
            started: ready,
            restart_count: u32::from(last),
        }
    }

    fn exited(code: i32) -> Terminated {
        Terminated {
            exit_code: code,
            reason: if code == 0 { "Completed" } else { "Error" }.into(),
            started_ticks: 0,
            finished_ticks: 1_000,
            container_id: "ab".repeat(32),
        }
    }

    fn waiting(reason: &str) -> ContainerState {
        ContainerState::Waiting {
            reason: reason.into(),
            message: String::new(),
        }
    }

    #[test]
    fn the_phase_follows_upstreams_get_phase() {
        let running = ContainerState::Running { started_ticks: 0 };
        let done = ContainerState::Terminated(exited(0));
        let failed = ContainerState::Terminated(exited(1));
        for (policy, init, containers, phase) in [
            (
                "Always",
                vec![],
                vec![view("a", waiting("ContainerCreating"), false, false)],
                "Pending",
            ),
            (
                "Always",
                vec![],
                vec![view("a", running.clone(), false, true)],
                "Running",
            ),
            // A crash-looping container keeps its pod Running: it has a last state.
            (
                "Always",
                vec![],
                vec![view("a", waiting("CrashLoopBackOff"), true, false)],
                "Running",
            ),
            (
                "Never",
                vec![],
                vec![view("a", done.clone(), false, false)],
                "Succeeded",
            ),
            (
                "Never",
                vec![],
                vec![view("a", failed.clone(), false, false)],
                "Failed",
            ),
            (
                "OnFailure",
                vec![],
                vec![view("a", failed.clone(), false, false)],
                "Running",
            ),
            (
                "OnFailure",
                vec![],
                vec![view("a", done.clone(), false, false)],
                "Succeeded",
            ),
            (
                "Always",
                vec![view("i", running.clone(), false, false)],
                vec![view("a", waiting("PodInitializing"), false, false)],
                "Pending",
            ),
            (
                "Never",
                vec![view("i", failed.clone(), false, false)],
                vec![view("a", waiting("PodInitializing"), false, false)],
                "Failed",
            ),
            (
                "Always",
                vec![view("i", done.clone(), false, false)],
                vec![view("a", running.clone(), false, true)],
                "Running",
            ),
        ] {
            assert_eq!(
                api_phase(policy, &init, &containers),
                phase,
                "{policy} {containers:?}"
            );
        }
    }

    #[test]
    fn conditions_name_the_unready_and_uninitialized_containers() {
        let init = vec![view("init-db", waiting("PodInitializing"), false, false)];
        let containers = vec![view("web", waiting("PodInitializing"), false, false)];
        let conditions = kubelet_conditions("Pending", true, &init, &containers);
        assert_eq!(conditions[1].0, "Initialized");
        assert_eq!(
            conditions[1].3,
            "containers with incomplete status: [init-db]"
        );
        assert_eq!(conditions[2].2, "ContainersNotInitialized");
        let containers = vec![
            view(
                "web",
                ContainerState::Running { started_ticks: 0 },
                false,
                false,
            ),
            view(
                "log",
                ContainerState::Running { started_ticks: 0 },
                false,
                false,
            ),
        ];
        let conditions = kubelet_conditions("Running", true, &[], &containers);
        assert_eq!(conditions[3].3, "containers with unready status: [web log]");
        let done = kubelet_conditions("Succeeded", false, &[], &[]);
        assert_eq!((done[2].1, done[2].2), (false, "PodCompleted"));
    }

    #[test]
    fn a_status_another_writer_changed_is_not_what_the_kubelet_sent() {
        let sent = json!({"phase": "Running", "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": "2025-06-01T00:00:12Z"},
            {"type": "ContainersReady", "status": "True"},
            {"type": "PodScheduled", "status": "True"},
        ]});
        // Read back as sent, or with only its times or a condition the kubelet does not own
        // changed: nothing to send again.
        let mut same = sent.clone();
        same["conditions"][0]["lastTransitionTime"] = json!("2025-06-01T00:01:00Z");
        same["conditions"][2]["status"] = json!("False");
        assert!(status_by_kubelet_equal(&same, &sent));
        // MarkPodsNotReady turned Ready to False behind the kubelet's back.
        let mut marked = sent.clone();
        marked["conditions"][0]["status"] = json!("False");
        assert!(!status_by_kubelet_equal(&marked, &sent));
        let mut failed = sent.clone();
        failed["phase"] = json!("Failed");
        assert!(!status_by_kubelet_equal(&failed, &sent));
    }

    #[test]
    fn a_container_status_carries_ids_and_the_last_termination() {
        let mut c = view(
            "web",
            ContainerState::Running {
                started_ticks: 12_000,
            },
            true,
            true,
        );
        c.container_id = Some("cd".repeat(32));
        let s = container_status_json(&c, 1_748_736_000);
        assert_eq!(s["state"]["running"]["startedAt"], "2025-06-01T00:00:12Z");
        assert_eq!(s["lastState"]["terminated"]["reason"], "Error");
        assert_eq!(
            s["containerID"],
            format!("containerd://{}", "cd".repeat(32))
        );
        assert_eq!(s["restartCount"], 1);
    }
}
