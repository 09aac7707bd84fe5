//! Cluster networking as a pure library: pod IPs (CNI IPAM), Service IPs and ports, kube-proxy's
//! iptables rules, cluster DNS, and a request routed hop by hop from a pod or VM to a pod.
//!
//! Mirrors: the pieces a kubeadm + flannel cluster runs for networking: the `host-local` IPAM
//! plugin flannel's CNI delegates to ([`ipam`]), kube-apiserver's ClusterIP and NodePort
//! allocators ([`service_ip`]), kube-proxy in iptables mode ([`proxy`], [`iptables`]), CoreDNS's
//! `kubernetes` plugin ([`dns`]), the Linux forwarding path across the flannel VXLAN overlay
//! ([`route`]) and `kubectl port-forward` ([`port_forward`]).
//!
//! Simplified: IPv4 single-stack only; nothing here talks to the apiserver. Every function takes
//! typed objects (the Service, EndpointSlice and Pod views of [`crate::sim::api::core_v1`]) and
//! returns values, so the components that later wire this in (kube-proxy per node, coredns, the
//! kubelet's CNI call) decide when to call it and what to trace. Randomness only comes from the caller's [`crate::sim::rng::Rng`].

pub mod chain_hash;
pub mod cidr;
pub mod components;
pub mod dns;
pub mod fixtures;
pub mod ipam;
pub mod iptables;
pub mod port_forward;
pub mod proxy;
pub mod route;
pub mod service_ip;

pub use cidr::Ipv4Cidr;

use std::net::Ipv4Addr;

/// The cluster-wide pod network, kubeadm's `--pod-network-cidr` for flannel.
pub const CLUSTER_CIDR: Ipv4Cidr = Ipv4Cidr::new_unchecked(Ipv4Addr::new(10, 244, 0, 0), 16);

/// kube-apiserver's default `--service-cluster-ip-range`, as kubeadm sets it.
pub const SERVICE_CIDR: Ipv4Cidr = Ipv4Cidr::new_unchecked(Ipv4Addr::new(10, 96, 0, 0), 12);

/// The cluster domain kubelet and CoreDNS are configured with.
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// kube-dns's ClusterIP: kubeadm takes the tenth address of the service range.
pub const CLUSTER_DNS_IP: Ipv4Addr = Ipv4Addr::new(10, 96, 0, 10);

/// The `kubernetes` Service's ClusterIP: the apiserver takes the first address of the range.
pub const KUBERNETES_SERVICE_IP: Ipv4Addr = Ipv4Addr::new(10, 96, 0, 1);

/// One of the sandbox's three VMs: its name, its address on the host network and the pod CIDR the
/// node-ipam controller gave it (`spec.podCIDR`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeNet {
    pub name: String,
    pub ip: Ipv4Addr,
    pub pod_cidr: Ipv4Cidr,
}

impl NodeNet {
    pub fn new(name: &str, ip: Ipv4Addr, pod_cidr: Ipv4Cidr) -> Self {
        NodeNet {
            name: name.to_string(),
            ip,
            pod_cidr,
        }
    }
}

/// The sandbox's VMs as kubeadm + flannel lay them out: node-ipam hands out /24s of 10.244.0.0/16
/// in the order nodes register, so master (which registers first) gets 10.244.0.0/24.
pub fn default_nodes() -> Vec<NodeNet> {
    crate::sim::vms::LAB_VMS
        .iter()
        .map(|vm| {
            // The table is the lab's own constant: an address that does not parse is a bug there.
            let ip: Ipv4Addr = vm.ip.parse().expect("LAB_VMS holds IPv4 addresses");
            let cidr = Ipv4Cidr::parse(vm.pod_cidr).expect("LAB_VMS holds pod CIDRs");
            NodeNet::new(vm.name, ip, cidr)
        })
        .collect()
}
