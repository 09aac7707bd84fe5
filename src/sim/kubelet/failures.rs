//! Failures a lesson or the UI injects into one node, and the handle that carries them (plus the
//! usage figures `kubectl top` reads) between the outside and the node's kubelet.
//!
//! Mirrors: what an operator does on a VM: `systemctl stop kubelet` (use
//! `Cluster::stop_component("kubelet@node1")`: the watches close and heartbeats stop),
//! `systemctl stop containerd`, a VM power-off, `iptables -A OUTPUT -d 172.16.20.11 -j DROP`,
//! `kill -9` of a container's process, a memory hog that wakes the kernel's OOM killer, and a
//! static pod's manifest moved out of (and back into) `/etc/kubernetes/manifests`.
//! Simplified: the kubelet picks requests up at its next sync (at most one PLEG period, 1 s,
//! later while it has pods; at most one heartbeat interval, 10 s, on an empty node).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::stats::{NodeUsage, PodUsage};
use crate::sim::runtime::Runtime;

/// One failure (or its repair) for a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// `systemctl stop containerd`: CRI calls fail, containers keep running under their shims;
    /// after 30 s the node reports `container runtime is down`.
    StopRuntime,
    StartRuntime,
    /// The VM powers off: kubelet, runtime and every container are gone. Stop the kubelet
    /// component too (`Cluster::stop_component`) so that heartbeats stop.
    StopVm,
    /// The VM boots again: a fresh runtime; the kubelet re-creates every pod's sandbox and
    /// containers (each container's restartCount goes up by one).
    StartVm,
    /// The node can no longer reach the apiserver (`iptables -A OUTPUT -d 172.16.20.11 -j DROP`):
    /// no heartbeats, no status, no watch events.
    CutNetwork,
    RestoreNetwork,
    /// `kill -9` of a container's main process: exit 137, then restart per restartPolicy.
    KillContainer {
        namespace: String,
        pod: String,
        container: String,
    },
    /// A process outside any pod eats the node's memory: the OOM killer kills the container
    /// using the most memory (exit 137, reason OOMKilled) and MemoryPressure turns True.
    ExhaustNodeMemory,
    /// A static pod's manifest leaves `/etc/kubernetes/manifests` (`mv
    /// /etc/kubernetes/manifests/kube-scheduler.yaml /etc/kubernetes/`): the kubelet stops the
    /// static pod whose manifest names it `name` (`kube-scheduler`) and deletes its mirror pod.
    RemoveStaticPod {
        name: String,
    },
    /// The manifest is back in the directory: the static pod runs again and gets a mirror pod.
    RestoreStaticPod {
        name: String,
    },
    /// Makes one container leak memory until its own limit OOM-kills it.
    LeakMemory {
        namespace: String,
        pod: String,
        container: String,
        bytes_per_second: u64,
    },
}

/// What the outside and the kubelet share.
#[derive(Clone, Debug, Default)]
pub struct Shared {
    pub inbox: Vec<Failure>,
    pub pods: BTreeMap<String, PodUsage>,
    pub node: NodeUsage,
    /// What the kubelet noted about the last failure it handled (for the UI's toast).
    pub last_outcome: Option<String>,
    /// The node's containerd, shared with the kubelet (None for scripted runtimes); replaced
    /// at each VM boot.
    pub runtime: Option<Rc<RefCell<Runtime>>>,
    /// The registries the node pulls from (shared by the lab's nodes), for `docker push/pull`.
    pub registries: Option<crate::sim::runtime::registry::SharedRegistries>,
}

/// The handle the UI keeps for a node. Cloning it shares the same node.
#[derive(Clone, Debug, Default)]
pub struct NodeHandle(pub Rc<RefCell<Shared>>);

impl NodeHandle {
    /// Queues a failure for the kubelet's next sync.
    pub fn inject(&self, failure: Failure) {
        self.0.borrow_mut().inbox.push(failure);
    }

    pub(crate) fn take_inbox(&self) -> Vec<Failure> {
        std::mem::take(&mut self.0.borrow_mut().inbox)
    }

    /// `kubectl top pods` figures, by `namespace/name`.
    pub fn pod_usage(&self) -> BTreeMap<String, PodUsage> {
        self.0.borrow().pods.clone()
    }

    /// `kubectl top nodes` figures.
    pub fn node_usage(&self) -> NodeUsage {
        self.0.borrow().node.clone()
    }

    /// The node's containerd as the terminal reads it (`crictl`, `kubectl logs`/`exec`).
    pub fn runtime(&self) -> Option<Rc<RefCell<Runtime>>> {
        self.0.borrow().runtime.clone()
    }

    /// The registries this node's containerd pulls from.
    pub fn registries(&self) -> Option<crate::sim::runtime::registry::SharedRegistries> {
        self.0.borrow().registries.clone()
    }

    pub fn last_outcome(&self) -> Option<String> {
        self.0.borrow().last_outcome.clone()
    }
}
