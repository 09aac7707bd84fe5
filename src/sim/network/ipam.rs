//! Pod IP addresses: the node-ipam controller's per-node pod CIDRs, and the `host-local` IPAM
//! plugin that hands out addresses inside one node's CIDR when the kubelet's CNI ADD runs.
//!
//! Mirrors: `containernetworking/plugins/plugins/ipam/host-local` as flannel configures it
//! (`subnet: 10.244.1.0/24`, no rangeStart/rangeEnd): the range is `.1`–`.254`, the gateway
//! `.1` (the node's `cni0` bridge) is never handed out, so the first pod gets `.2`. Allocation is
//! round-robin from the last reserved address + 1 (host-local keeps `last_reserved_ip.0` on disk),
//! so a released address is not reused until the range wraps: a student who deletes a pod and
//! sees its replacement get a *new* IP is seeing upstream behaviour. Errors are host-local's texts.
//! Also mirrors the node-ipam controller's `RangeAllocator`: /24s of the cluster CIDR in the
//! order nodes register, the lowest free one first.
//!
//! Simplified: one range per node, one interface (`eth0`) per pod, IPv4 only; the store is a
//! map in memory instead of files under `/var/lib/cni/networks/cbr0/`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;

use super::cidr::Ipv4Cidr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpamError {
    /// The range is full.
    Exhausted { range_set: String },
    /// The container already holds an address from this range.
    DuplicateAllocation { ip: Ipv4Addr, id: String },
    /// The node CIDR is too small to hold a range (a /31 or /32).
    RangeTooSmall { cidr: Ipv4Cidr },
}

impl fmt::Display for IpamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // host-local's allocator error, wrapped by its cmdAdd as `failed to allocate for
            // range 0: ...`, which is how it reaches the kubelet's FailedCreatePodSandBox event.
            IpamError::Exhausted { range_set } => write!(
                f,
                "failed to allocate for range 0: no IP addresses available in range set: {range_set}"
            ),
            IpamError::DuplicateAllocation { ip, id } => write!(
                f,
                "failed to allocate for range 0: {ip} has been allocated to {id}, duplicate allocation is not allowed"
            ),
            IpamError::RangeTooSmall { cidr } => {
                write!(f, "Network {cidr} too small to allocate from")
            }
        }
    }
}

/// host-local's allocator for one node's pod CIDR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostLocalIpam {
    subnet: Ipv4Cidr,
    range_start: Ipv4Addr,
    range_end: Ipv4Addr,
    gateway: Ipv4Addr,
    /// Address → the container id holding it (host-local writes one file per address).
    allocated: BTreeMap<Ipv4Addr, String>,
    /// `last_reserved_ip.0`: where the next round-robin search begins.
    last_reserved: Option<Ipv4Addr>,
}

impl HostLocalIpam {
    /// A range over `subnet` as flannel's CNI config gives it: `.1`–`.254`, gateway `.1`.
    pub fn new(subnet: Ipv4Cidr) -> Result<Self, IpamError> {
        if subnet.prefix_len() > 30 {
            return Err(IpamError::RangeTooSmall { cidr: subnet });
        }
        let range_start = subnet
            .nth(1)
            .ok_or(IpamError::RangeTooSmall { cidr: subnet })?;
        let range_end = Ipv4Addr::from(u32::from(subnet.broadcast()) - 1);
        Ok(HostLocalIpam {
            subnet,
            range_start,
            range_end,
            gateway: range_start,
            allocated: BTreeMap::new(),
            last_reserved: None,
        })
    }

    pub fn subnet(&self) -> Ipv4Cidr {
        self.subnet
    }

    /// The bridge's address, which every pod on the node uses as its default gateway.
    pub fn gateway(&self) -> Ipv4Addr {
        self.gateway
    }

    /// `10.244.1.1-10.244.1.254`, as host-local prints its range set.
    pub fn range_set(&self) -> String {
        format!("{}-{}", self.range_start, self.range_end)
    }

    /// CNI ADD: the next free address after the last one reserved, wrapping once around.
    pub fn allocate(&mut self, id: &str) -> Result<Ipv4Addr, IpamError> {
        if let Some((ip, _)) = self.allocated.iter().find(|(_, holder)| *holder == id) {
            return Err(IpamError::DuplicateAllocation {
                ip: *ip,
                id: id.to_string(),
            });
        }
        let start = u32::from(self.range_start);
        let end = u32::from(self.range_end);
        let span = end - start + 1;
        // The first candidate is last_reserved + 1 (or rangeStart on a fresh node).
        let first_offset = match self.last_reserved {
            Some(last) if (start..=end).contains(&u32::from(last)) => {
                (u32::from(last) - start + 1) % span
            }
            _ => 0,
        };
        for step in 0..span {
            let candidate = Ipv4Addr::from(start + (first_offset + step) % span);
            if candidate == self.gateway || self.allocated.contains_key(&candidate) {
                continue;
            }
            self.allocated.insert(candidate, id.to_string());
            self.last_reserved = Some(candidate);
            return Ok(candidate);
        }
        Err(IpamError::Exhausted {
            range_set: self.range_set(),
        })
    }

    /// CNI DEL: frees whatever `id` holds. Like host-local, releasing an unknown id is not an
    /// error (DEL must be idempotent); the freed address is returned when there was one.
    pub fn release(&mut self, id: &str) -> Option<Ipv4Addr> {
        let ip = self
            .allocated
            .iter()
            .find(|(_, holder)| *holder == id)
            .map(|(ip, _)| *ip)?;
        self.allocated.remove(&ip);
        Some(ip)
    }

    pub fn holder(&self, ip: Ipv4Addr) -> Option<&str> {
        self.allocated.get(&ip).map(String::as_str)
    }

    pub fn allocated(&self) -> impl Iterator<Item = (Ipv4Addr, &str)> {
        self.allocated.iter().map(|(ip, id)| (*ip, id.as_str()))
    }
}

/// The node-ipam controller's range allocator: a /24 of the cluster CIDR per node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeCidrAllocator {
    cluster_cidr: Ipv4Cidr,
    node_mask_size: u8,
    /// Node name → its pod CIDR, and the set of CIDRs in use.
    by_node: BTreeMap<String, Ipv4Cidr>,
    used: BTreeSet<Ipv4Cidr>,
}

impl NodeCidrAllocator {
    /// kube-controller-manager `--cluster-cidr=10.244.0.0/16 --node-cidr-mask-size=24`.
    pub fn new(cluster_cidr: Ipv4Cidr, node_mask_size: u8) -> Self {
        assert!(
            node_mask_size >= cluster_cidr.prefix_len() && node_mask_size <= 32,
            "node mask size must lie within the cluster CIDR"
        );
        NodeCidrAllocator {
            cluster_cidr,
            node_mask_size,
            by_node: BTreeMap::new(),
            used: BTreeSet::new(),
        }
    }

    /// The node's `spec.podCIDR`: its existing one, or the lowest free block.
    pub fn allocate(&mut self, node: &str) -> Result<Ipv4Cidr, String> {
        if let Some(cidr) = self.by_node.get(node) {
            return Ok(*cidr);
        }
        let count = 1u64 << (self.node_mask_size - self.cluster_cidr.prefix_len());
        let block = 1u64 << (32 - self.node_mask_size as u32);
        for i in 0..count {
            let Some(network) = self.cluster_cidr.nth(i * block) else {
                break;
            };
            let cidr = Ipv4Cidr::new_unchecked(network, self.node_mask_size);
            if self.used.insert(cidr) {
                self.by_node.insert(node.to_string(), cidr);
                return Ok(cidr);
            }
        }
        // The controller's CIDRNotAvailable event text.
        Err(format!("Node {node} status is now: CIDRNotAvailable"))
    }

    /// The node was deleted: its block can go to the next node.
    pub fn release(&mut self, node: &str) -> Option<Ipv4Cidr> {
        let cidr = self.by_node.remove(node)?;
        self.used.remove(&cidr);
        Some(cidr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node1() -> HostLocalIpam {
        HostLocalIpam::new(Ipv4Cidr::parse("10.244.1.0/24").unwrap()).unwrap()
    }

    fn ip(text: &str) -> Ipv4Addr {
        text.parse().unwrap()
    }

    #[test]
    fn the_first_pod_on_a_node_gets_dot_two_because_dot_one_is_the_gateway() {
        let mut ipam = node1();
        assert_eq!(ipam.gateway(), ip("10.244.1.1"));
        assert_eq!(ipam.allocate("a"), Ok(ip("10.244.1.2")));
        assert_eq!(ipam.allocate("b"), Ok(ip("10.244.1.3")));
        assert_eq!(ipam.holder(ip("10.244.1.3")), Some("b"));
    }

    #[test]
    fn a_released_address_is_not_reused_until_the_range_wraps() {
        // (action, expected address) in order: round-robin from the last reservation.
        let mut ipam = node1();
        let table: [(&str, &str, Option<&str>); 5] = [
            ("add", "a", Some("10.244.1.2")),
            ("add", "b", Some("10.244.1.3")),
            ("del", "a", Some("10.244.1.2")),
            ("add", "c", Some("10.244.1.4")),
            ("del", "nobody", None),
        ];
        for (action, id, want) in table {
            let got = match action {
                "add" => ipam.allocate(id).ok(),
                _ => ipam.release(id),
            };
            assert_eq!(got, want.map(ip), "{action} {id}");
        }
    }

    #[test]
    fn a_full_range_wraps_to_the_lowest_free_address_then_reports_exhaustion() {
        let mut ipam = node1();
        for i in 0..253 {
            ipam.allocate(&format!("pod-{i}")).unwrap();
        }
        assert_eq!(ipam.allocated().count(), 253);
        assert_eq!(ipam.release("pod-10"), Some(ip("10.244.1.12")));
        assert_eq!(ipam.allocate("late"), Ok(ip("10.244.1.12")));
        assert_eq!(
            ipam.allocate("one-too-many").map_err(|e| e.to_string()),
            Err("failed to allocate for range 0: no IP addresses available in range set: 10.244.1.1-10.244.1.254".to_string())
        );
    }

    #[test]
    fn a_second_add_for_the_same_container_is_refused() {
        let mut ipam = node1();
        ipam.allocate("a").unwrap();
        assert_eq!(
            ipam.allocate("a").map_err(|e| e.to_string()),
            Err("failed to allocate for range 0: 10.244.1.2 has been allocated to a, duplicate allocation is not allowed".to_string())
        );
    }

    #[test]
    fn nodes_get_slash_24s_in_registration_order_and_a_freed_one_is_reused() {
        let mut alloc = NodeCidrAllocator::new(super::super::CLUSTER_CIDR, 24);
        let table = [
            ("master", "10.244.0.0/24"),
            ("node1", "10.244.1.0/24"),
            ("node2", "10.244.2.0/24"),
            ("node1", "10.244.1.0/24"),
        ];
        for (node, want) in table {
            assert_eq!(
                alloc.allocate(node).map(|c| c.to_string()),
                Ok(want.to_string())
            );
        }
        alloc.release("node1");
        assert_eq!(
            alloc.allocate("node3").map(|c| c.to_string()),
            Ok("10.244.1.0/24".into())
        );
    }

    #[test]
    fn the_default_nodes_match_the_node_cidr_allocator() {
        let mut alloc = NodeCidrAllocator::new(super::super::CLUSTER_CIDR, 24);
        for node in super::super::default_nodes() {
            assert_eq!(alloc.allocate(&node.name), Ok(node.pod_cidr));
        }
    }
}
