//! The lab a student starts with: the course notes' kubeadm + Vagrant cluster, booted.
//!
//! Mirrors: `kubeadm init` on `master` (172.16.20.11) and `kubeadm join` on `node1` and `node2`:
//! registered Nodes, RBAC, namespaces (from [`Cluster::new`]), then kube-scheduler, kube-controller-manager's loops and a kubelet on every
//! VM, which on master runs the control plane from its static pod manifests.
//! Simplified: the control-plane processes are modelled by the cluster itself; their static pods
//! are what `kubectl get pods -n kube-system` shows of them.
//!
//! One place assembles the lab, so the native shell, the browser and the tests boot the same
//! cluster.

use super::clock::TICKS_PER_SECOND;
use super::cluster::Cluster;
use super::controller::controller_manager;
use super::kubelet::failures::NodeHandle;
use super::kubelet::Kubelet;
use super::scheduler::component::Scheduler;

/// The lab's VMs, in the order the page draws them.
pub const LAB_NODES: [&str; 3] = ["master", "node1", "node2"];

/// Simulated time the boot may take to settle: long enough for the static pods to pull and run.
pub const BOOT_SETTLE_TICKS: u64 = 120 * TICKS_PER_SECOND;

/// A booted lab cluster and the handles that inject node failures.
pub struct Lab {
    pub cluster: Cluster,
    /// One per VM, in [`LAB_NODES`] order.
    pub nodes: Vec<(String, NodeHandle)>,
}

impl Lab {
    /// Boots the lab from `seed` and lets it settle, so it starts as a student finds a fresh
    /// kubeadm cluster: nodes registered, control-plane pods Running.
    pub fn boot(seed: u64) -> Lab {
        let mut cluster = Cluster::new(seed);
        cluster.add_component(Box::new(Scheduler::default()));
        for component in controller_manager() {
            cluster.add_component(component);
        }
        super::network::components::lab_components()
            .into_iter()
            .for_each(|c| cluster.add_component(c));
        let mut nodes = Vec::new();
        for name in LAB_NODES {
            let kubelet = Kubelet::lab(name).expect("every lab node has a kubelet config");
            nodes.push((name.to_string(), kubelet.handle()));
            cluster.add_component(Box::new(kubelet));
        }
        cluster.run_until_idle(BOOT_SETTLE_TICKS);
        Lab { cluster, nodes }
    }

    pub fn node(&self, name: &str) -> Option<&NodeHandle> {
        self.nodes.iter().find(|(n, _)| n == name).map(|(_, h)| h)
    }
}
