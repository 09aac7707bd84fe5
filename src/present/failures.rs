//! The Failures panel's view model: the buttons that break things, each a line a student could
//! type on `master`, and the containers one can stop.
//!
//! Mirrors: how the course breaks its lab: `vagrant halt node2` from the host, `systemctl stop
//! kubelet` / `containerd` on a node (here `ssh node2 systemctl ...`, OpenSSH's remote command,
//! so the terminal stays on master), an iptables rule that drops the node's traffic to the
//! apiserver, and kubeadm's way to stop a static pod: moving its manifest out of
//! `/etc/kubernetes/manifests`. Nothing here changes the cluster: the page runs the line in the
//! terminal, so it is seen, traced and animated like any other command.

use crate::sim::api::JsonPointer;
use serde_json::Value;

use crate::present::cluster_view::objects_at;
use crate::present::session::Session;
use crate::sim::vms::{VmRole, LAB_VMS};

/// What a row of buttons stops and starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Vm,
    Kubelet,
    Containerd,
    Network,
    Scheduler,
    ControllerManager,
}

impl Target {
    /// Stable id for `data-failure`.
    pub fn id(self) -> &'static str {
        match self {
            Target::Vm => "vm",
            Target::Kubelet => "kubelet",
            Target::Containerd => "containerd",
            Target::Network => "network",
            Target::Scheduler => "kube-scheduler",
            Target::ControllerManager => "kube-controller-manager",
        }
    }
}

/// One row: a target on a VM and the lines that stop and start it again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureRow {
    pub vm: &'static str,
    pub target: Target,
    pub stop: String,
    pub start: String,
}

/// The apiserver's address, which a node is cut from.
fn apiserver_ip() -> &'static str {
    LAB_VMS
        .iter()
        .find(|vm| vm.role == VmRole::ControlPlane)
        .map_or("172.16.20.11", |vm| vm.ip)
}

/// Every row, VM by VM: master's static pods, then each worker's VM, kubelet, containerd and
/// network. (master cannot be halted: the sandbox's control plane lives there.)
pub fn rows() -> Vec<FailureRow> {
    let mut rows = Vec::new();
    for vm in LAB_VMS {
        let name = vm.name;
        if vm.role == VmRole::ControlPlane {
            for (target, file) in [
                (Target::Scheduler, "kube-scheduler.yaml"),
                (Target::ControllerManager, "kube-controller-manager.yaml"),
            ] {
                rows.push(FailureRow {
                    vm: name,
                    target,
                    stop: format!("mv /etc/kubernetes/manifests/{file} /etc/kubernetes/"),
                    start: format!("mv /etc/kubernetes/{file} /etc/kubernetes/manifests/"),
                });
            }
            continue;
        }
        let ip = apiserver_ip();
        rows.push(FailureRow {
            vm: name,
            target: Target::Vm,
            stop: format!("vagrant halt {name}"),
            start: format!("vagrant up {name}"),
        });
        for (target, unit) in [
            (Target::Kubelet, "kubelet"),
            (Target::Containerd, "containerd"),
        ] {
            rows.push(FailureRow {
                vm: name,
                target,
                stop: format!("ssh {name} systemctl stop {unit}"),
                start: format!("ssh {name} systemctl start {unit}"),
            });
        }
        rows.push(FailureRow {
            vm: name,
            target: Target::Network,
            stop: format!("ssh {name} iptables -A OUTPUT -d {ip} -j DROP"),
            start: format!("ssh {name} iptables -D OUTPUT -d {ip} -j DROP"),
        });
    }
    rows
}

/// A running container on a worker, and the line that stops it (`crictl stop` with the short
/// id `crictl ps` prints).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Killable {
    /// `namespace/name` of its pod.
    pub pod: String,
    pub container: String,
    pub node: String,
    pub line: String,
}

/// The running containers of the workers' pods, now (kube-system's own left out: stopping
/// them is a lesson for another day).
pub fn killable(session: &Session) -> Vec<Killable> {
    let store = session.cluster().store();
    let mut out = Vec::new();
    for pod in objects_at(store, "/registry/pods/", None) {
        let text = |p: &str| pod.ptr(p).and_then(Value::as_str).unwrap_or("");
        let (namespace, name, node) = (
            text("/metadata/namespace"),
            text("/metadata/name"),
            text("/spec/nodeName"),
        );
        let worker = LAB_VMS
            .iter()
            .any(|vm| vm.name == node && vm.role == VmRole::Worker);
        if !worker || namespace == "kube-system" {
            continue;
        }
        let statuses = pod
            .ptr("/status/containerStatuses")
            .and_then(Value::as_array);
        for status in statuses.into_iter().flatten() {
            let running = status.ptr("/state/running").is_some();
            let id = status
                .get("containerID")
                .and_then(Value::as_str)
                .and_then(|id| id.split("://").nth(1))
                .unwrap_or("");
            if !running || id.is_empty() {
                continue;
            }
            let container = status.get("name").and_then(Value::as_str).unwrap_or("");
            let short: String = id.chars().take(13).collect();
            out.push(Killable {
                pod: format!("{namespace}/{name}"),
                container: container.to_string(),
                node: node.to_string(),
                line: format!("ssh {node} crictl stop {short}"),
            });
        }
    }
    out
}
