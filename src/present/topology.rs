//! The machines of the sandbox and the Kubernetes components on each, as the page draws them.
//!
//! Mirrors: a kubeadm cluster of three VMs: one control-plane node (`master`) that runs etcd,
//! kube-apiserver, kube-scheduler and kube-controller-manager as static pods, and every node
//! (master included) running kubelet, kube-proxy and a container runtime.
//! The VMs' facts come from the one table the simulation boots from ([`LAB_VMS`]); what changes
//! while the lab runs (Ready, halted, pods) is the scene's
//! ([`crate::present::cluster_view::ClusterView`]).

use std::fmt;

use crate::sim::vms::{VmRole, VmSpec, LAB_VMS};

/// One Kubernetes component process, named as upstream names its binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    KubeApiserver,
    Etcd,
    KubeScheduler,
    KubeControllerManager,
    Kubelet,
    KubeProxy,
    /// The CRI container runtime; kubeadm clusters today use containerd.
    ContainerRuntime,
}

impl Component {
    /// The four control-plane components kubeadm runs as static pods, in the order a request
    /// meets them: the apiserver first, the store behind it, then the two watchers.
    pub const CONTROL_PLANE: [Component; 4] = [
        Component::KubeApiserver,
        Component::Etcd,
        Component::KubeScheduler,
        Component::KubeControllerManager,
    ];

    /// What runs on every node, control plane included.
    pub const NODE: [Component; 3] = [
        Component::Kubelet,
        Component::KubeProxy,
        Component::ContainerRuntime,
    ];

    /// The process name, verbatim (never translated: it is what `ps` and the docs show).
    pub fn name(self) -> &'static str {
        match self {
            Component::KubeApiserver => "kube-apiserver",
            Component::Etcd => "etcd",
            Component::KubeScheduler => "kube-scheduler",
            Component::KubeControllerManager => "kube-controller-manager",
            Component::Kubelet => "kubelet",
            Component::KubeProxy => "kube-proxy",
            Component::ContainerRuntime => "containerd",
        }
    }

    /// A stable id for DOM attributes and tests (`data-component="kube-apiserver"`).
    pub fn id(self) -> &'static str {
        match self {
            Component::ContainerRuntime => "container-runtime",
            other => other.name(),
        }
    }

    pub fn is_control_plane(self) -> bool {
        Component::CONTROL_PLANE.contains(&self)
    }
}

/// The role a VM plays, as `kubectl get nodes` shows it in the ROLES column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    ControlPlane,
    Worker,
}

impl Role {
    /// The ROLES column of `kubectl get nodes`: kubeadm labels only the control plane, so a
    /// worker shows `<none>`.
    pub fn kubectl_roles(self) -> &'static str {
        match self {
            Role::ControlPlane => "control-plane",
            Role::Worker => "<none>",
        }
    }
}

/// An IPv4 address, kept as octets so it can be compared and printed without parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ipv4(pub [u8; 4]);

impl fmt::Display for Ipv4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

/// One simulated virtual machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vm {
    pub name: String,
    pub ip: Ipv4,
    pub role: Role,
    pub vcpus: u32,
    pub memory_bytes: u64,
    /// Control-plane components first, then node components, each in the order of
    /// [`Component::CONTROL_PLANE`] and [`Component::NODE`].
    pub components: Vec<Component>,
}

const GIB_BYTES: u64 = 1 << 30;
const MIB_BYTES: u64 = 1 << 20;

impl Vm {
    /// The page's view of one of the lab's VMs ([`crate::sim::vms::LAB_VMS`]).
    fn from_spec(spec: &VmSpec) -> Vm {
        let role = match spec.role {
            VmRole::ControlPlane => Role::ControlPlane,
            VmRole::Worker => Role::Worker,
        };
        let mut components = Vec::new();
        if role == Role::ControlPlane {
            components.extend(Component::CONTROL_PLANE);
        }
        components.extend(Component::NODE);
        let ip: std::net::Ipv4Addr = spec.ip.parse().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
        Vm {
            name: spec.name.to_string(),
            ip: Ipv4(ip.octets()),
            role,
            vcpus: spec.vcpus,
            memory_bytes: spec.memory_bytes,
            components,
        }
    }

    pub fn control_plane_components(&self) -> impl Iterator<Item = Component> + '_ {
        self.components
            .iter()
            .copied()
            .filter(|c| c.is_control_plane())
    }

    pub fn node_components(&self) -> impl Iterator<Item = Component> + '_ {
        self.components
            .iter()
            .copied()
            .filter(|c| !c.is_control_plane())
    }

    /// Memory in the binary units Kubernetes quantities use (`1 GiB`, `512 MiB`).
    pub fn memory_label(&self) -> String {
        memory_label(self.memory_bytes)
    }

    /// `2 vCPU`: the unit cloud consoles print, the same in every language.
    pub fn vcpu_label(&self) -> String {
        format!("{} vCPU", self.vcpus)
    }
}

/// Formats a byte count as whole GiB when it divides evenly, else whole MiB, else bytes.
pub fn memory_label(bytes: u64) -> String {
    if bytes >= GIB_BYTES && bytes.is_multiple_of(GIB_BYTES) {
        format!("{} GiB", bytes / GIB_BYTES)
    } else if bytes >= MIB_BYTES && bytes.is_multiple_of(MIB_BYTES) {
        format!("{} MiB", bytes / MIB_BYTES)
    } else {
        format!("{bytes} B")
    }
}

/// Every VM of the sandbox, in the order the page draws them left to right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    pub vms: Vec<Vm>,
}

impl Topology {
    /// The cluster a student starts with: `master` (2 vCPU) and two workers (1 vCPU each),
    /// 1 GiB each, on 172.16.20.0/24.
    pub fn initial() -> Topology {
        Topology {
            vms: LAB_VMS.iter().map(Vm::from_spec).collect(),
        }
    }

    pub fn vm(&self, name: &str) -> Option<&Vm> {
        self.vms.iter().find(|vm| vm.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_initial_cluster_has_master_node1_node2_in_that_order() {
        let topology = Topology::initial();
        let names: Vec<&str> = topology.vms.iter().map(|vm| vm.name.as_str()).collect();
        assert_eq!(names, ["master", "node1", "node2"]);
    }

    #[test]
    fn each_vm_has_the_address_cpu_and_memory_of_the_spec() {
        let topology = Topology::initial();
        let table = [
            ("master", "172.16.20.11", 2, "1 GiB"),
            ("node1", "172.16.20.12", 1, "1 GiB"),
            ("node2", "172.16.20.13", 1, "1 GiB"),
        ];
        for (name, ip, vcpus, memory) in table {
            let vm = topology
                .vm(name)
                .expect("the VM is in the initial topology");
            assert_eq!(vm.ip.to_string(), ip, "{name}");
            assert_eq!(vm.vcpus, vcpus, "{name}");
            assert_eq!(vm.memory_label(), memory, "{name}");
        }
    }

    #[test]
    fn only_master_runs_the_control_plane() {
        let topology = Topology::initial();
        let master = topology.vm("master").expect("master exists");
        assert_eq!(
            master.control_plane_components().collect::<Vec<_>>(),
            Component::CONTROL_PLANE
        );
        assert_eq!(master.role.kubectl_roles(), "control-plane");
        for worker in ["node1", "node2"] {
            let vm = topology.vm(worker).expect("worker exists");
            assert_eq!(vm.control_plane_components().count(), 0, "{worker}");
            assert_eq!(vm.role.kubectl_roles(), "<none>");
        }
    }

    #[test]
    fn every_vm_runs_kubelet_kube_proxy_and_a_container_runtime() {
        for vm in Topology::initial().vms {
            assert_eq!(
                vm.node_components().collect::<Vec<_>>(),
                Component::NODE,
                "{}",
                vm.name
            );
        }
    }

    #[test]
    fn component_names_are_the_upstream_binary_names() {
        let names: Vec<&str> = Component::CONTROL_PLANE
            .iter()
            .chain(Component::NODE.iter())
            .map(|c| c.name())
            .collect();
        assert_eq!(
            names,
            [
                "kube-apiserver",
                "etcd",
                "kube-scheduler",
                "kube-controller-manager",
                "kubelet",
                "kube-proxy",
                "containerd"
            ]
        );
    }

    #[test]
    fn memory_is_printed_in_the_largest_binary_unit_that_divides_it() {
        let table = [
            (1 << 30, "1 GiB"),
            (2 << 30, "2 GiB"),
            (512 << 20, "512 MiB"),
            ((1 << 30) + (1 << 20), "1025 MiB"),
            (1000, "1000 B"),
            (0, "0 B"),
        ];
        for (bytes, want) in table {
            assert_eq!(memory_label(bytes), want, "{bytes}");
        }
    }
}
