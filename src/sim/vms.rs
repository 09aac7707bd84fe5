//! The lab's virtual machines: the one place their facts are written.
//!
//! Mirrors: the course notes' Vagrantfile for a kubeadm study lab: `master` (172.16.20.11, 2 vCPU)
//! runs the control plane, `node1` and `node2` (.12, .13, 1 vCPU) are workers, 1 GiB each, and
//! flannel gives each node a /24 of 10.244.0.0/16 in join order.
//! Everything else reads this table: the Node objects kubeadm registers, each kubelet's
//! configuration, the network's addresses, the lab's boot order and the page's VM cards.

/// What a VM is for, as kubeadm set it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmRole {
    /// `kubeadm init`: the control plane runs here as static pods; tainted NoSchedule.
    ControlPlane,
    /// `kubeadm join`.
    Worker,
}

/// One VM of the lab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmSpec {
    pub name: &'static str,
    /// Its address on the Vagrant private network (the node's InternalIP).
    pub ip: &'static str,
    pub role: VmRole,
    pub vcpus: u32,
    pub memory_bytes: u64,
    /// The pod CIDR flannel gives the node.
    pub pod_cidr: &'static str,
}

const GIB_BYTES: u64 = 1 << 30;

/// The lab's VMs, in the order the page draws them and kubeadm registers them.
pub const LAB_VMS: [VmSpec; 3] = [
    VmSpec {
        name: "master",
        ip: "172.16.20.11",
        role: VmRole::ControlPlane,
        vcpus: 2,
        memory_bytes: GIB_BYTES,
        pod_cidr: "10.244.0.0/24",
    },
    VmSpec {
        name: "node1",
        ip: "172.16.20.12",
        role: VmRole::Worker,
        vcpus: 1,
        memory_bytes: GIB_BYTES,
        pod_cidr: "10.244.1.0/24",
    },
    VmSpec {
        name: "node2",
        ip: "172.16.20.13",
        role: VmRole::Worker,
        vcpus: 1,
        memory_bytes: GIB_BYTES,
        pod_cidr: "10.244.2.0/24",
    },
];

/// The VM named `name`, if the lab has one.
pub fn lab_vm(name: &str) -> Option<&'static VmSpec> {
    LAB_VMS.iter().find(|vm| vm.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_is_the_one_control_plane_and_every_address_is_on_the_lab_network() {
        let control_planes: Vec<&str> = LAB_VMS
            .iter()
            .filter(|vm| vm.role == VmRole::ControlPlane)
            .map(|vm| vm.name)
            .collect();
        assert_eq!(control_planes, ["master"]);
        for vm in LAB_VMS {
            assert!(vm.ip.starts_with("172.16.20."), "{}", vm.name);
            assert!(vm.pod_cidr.starts_with("10.244."), "{}", vm.name);
        }
        assert_eq!(lab_vm("node2").map(|v| v.ip), Some("172.16.20.13"));
        assert_eq!(lab_vm("node3"), None);
    }
}
