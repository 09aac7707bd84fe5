//! The lab a student starts with: the course notes' kubeadm + Vagrant cluster, booted.
//!
//! Mirrors: `kubeadm init` on `master` (172.16.20.11) and `kubeadm join` on `node1` and `node2`:
//! registered Nodes, RBAC, namespaces (from [`Cluster::new`]), then kube-scheduler,
//! kube-controller-manager's loops and a kubelet on every VM, which on master runs the control
//! plane from its static pod manifests; then the add-ons (see [`super::addons`]): CoreDNS,
//! kube-proxy and flannel, whose pods the controllers create and the scheduler places like any
//! other pods.
//! Simplified: the control-plane processes are modelled by the cluster itself; their static pods
//! are what `kubectl get pods -n kube-system` shows of them. Every node registers at once (no
//! `kubeadm join` later than `init`).
//!
//! One place assembles the lab, so the native shell, the browser and the tests boot the same
//! cluster.

use super::addons;
use super::clock::TICKS_PER_SECOND;
use super::cluster::Cluster;
use super::controller::controller_manager;
use super::kubelet::failures::NodeHandle;
use super::kubelet::Kubelet;
use super::scheduler::component::Scheduler;

/// The lab's VMs' names, in the order the page draws them (from [`crate::sim::vms::LAB_VMS`]).
pub const LAB_NODES: [&str; 3] = [
    crate::sim::vms::LAB_VMS[0].name,
    crate::sim::vms::LAB_VMS[1].name,
    crate::sim::vms::LAB_VMS[2].name,
];

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
    /// kubeadm cluster: nodes registered, control-plane pods, CoreDNS, kube-proxy and flannel
    /// Running.
    pub fn boot(seed: u64) -> Lab {
        let mut lab = Lab::boot_staged(seed);
        lab.cluster.run_until_idle(BOOT_SETTLE_TICKS);
        lab
    }

    /// The same boot, stopped before any component has run, for the lesson that plays the boot
    /// step by step: the Nodes are registered, the components added (their informers have listed
    /// what exists) and the add-on objects (Deployment `coredns`, DaemonSets `kube-proxy` and
    /// `kube-flannel-ds`, ...) written, but no controller, scheduler or kubelet has reconciled yet:
    /// no pod exists. Drive it with [`Cluster::step`] (one delivery-and-reconcile round at a time),
    /// or [`Cluster::run_until_idle`] with [`BOOT_SETTLE_TICKS`] to reach what [`Lab::boot`]
    /// returns (the same trace, seq for seq).
    pub fn boot_staged(seed: u64) -> Lab {
        let mut cluster = Cluster::new(seed);
        cluster.add_component(Box::new(Scheduler::default()));
        for component in controller_manager() {
            cluster.add_component(component);
        }
        super::network::components::lab_components()
            .into_iter()
            .for_each(|c| cluster.add_component(c));
        let mut nodes = Vec::new();
        // One Docker Hub, registry.k8s.io and hub.example.com for the whole lab: an image
        // pushed from master is what node1 and node2 pull.
        let registries = std::rc::Rc::new(std::cell::RefCell::new(
            crate::sim::runtime::Registries::standard(),
        ));
        for name in LAB_NODES {
            let kubelet = Kubelet::lab_with(name, std::rc::Rc::clone(&registries))
                .expect("every lab node has a kubelet config");
            nodes.push((name.to_string(), kubelet.handle()));
            cluster.add_component(Box::new(kubelet));
        }
        addons::install(&mut cluster);
        Lab { cluster, nodes }
    }

    pub fn node(&self, name: &str) -> Option<&NodeHandle> {
        self.nodes.iter().find(|(n, _)| n == name).map(|(_, h)| h)
    }
}
