//! Service addresses: ClusterIPs from the service CIDR, NodePorts from 30000-32767, and
//! LoadBalancer ingress IPs from a simulated cloud provider's pool.
//!
//! Mirrors: kube-apiserver's `pkg/registry/core/service/ipallocator` and `portallocator`: a bitmap
//! over the range, **random** choice of a free slot, and the static/dynamic split of KEP-3070
//! (`ServiceIPStaticSubrange`) and KEP-3668 (`ServiceNodePortStaticSubrange`): automatic
//! allocations prefer the upper band so that the low addresses stay free for the ones people
//! pick by hand (10.96.0.10 for kube-dns). The band's size is `min(max(16, size/16), 256)` for
//! IPs (256 for a /12) and `min(max(16, size/32), 128)` for ports (86 for 30000-32767).
//! Random rather than sequential because upstream is random, so `kubectl get svc` shows
//! addresses like `10.104.37.201` as on a real cluster; the draw is from the cluster's seeded
//! [`Rng`], so it is reproducible. The texts of the errors are upstream's.
//! Also mirrors what a cloud controller (or MetalLB) does for `type: LoadBalancer`: until it acts,
//! `EXTERNAL-IP` is `<pending>`; it then writes `status.loadBalancer.ingress[0].ip`.
//!
//! Simplified: one IP family; no IPAddress/ServiceCIDR objects (MultiCIDRServiceAllocator); the
//! load-balancer pool hands out the lowest free address (MetalLB's behaviour), not random ones.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;

use crate::sim::api::core_v1::Service;

use super::cidr::Ipv4Cidr;
use crate::sim::rng::Rng;

/// An allocation failure, shaped so the apiserver can wrap it as it wraps upstream's: a field
/// error in a 422 `Invalid` Status, or a 500 internal error when a range is full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// `spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated`
    Invalid {
        field: String,
        value: String,
        detail: String,
    },
    /// `Internal error occurred: failed to allocate a nodePort: range is full`
    Internal(String),
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllocError::Invalid {
                field,
                value,
                detail,
            } => write!(f, "{field}: Invalid value: {value}: {detail}"),
            AllocError::Internal(message) => write!(f, "Internal error occurred: {message}"),
        }
    }
}

/// A random-scan bitmap over `size` slots whose first `static_band` slots are tried last.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Bitmap {
    size: u64,
    static_band: u64,
    used: BTreeSet<u64>,
}

impl Bitmap {
    fn new(size: u64, step: u64, band_max: u64) -> Self {
        // Ranges below 16 slots reserve nothing; otherwise min(max(16, size/step), band_max).
        let static_band = if size < 16 {
            0
        } else {
            (size / step).clamp(16, band_max)
        };
        Bitmap {
            size,
            static_band,
            used: BTreeSet::new(),
        }
    }

    /// A random free slot: a random start in the dynamic band scanning up and around it, then the
    /// same in the static band (upstream's randomScanStrategyWithOffset).
    fn allocate_next(&mut self, rng: &mut Rng) -> Option<u64> {
        let bands = [(self.static_band, self.size), (0, self.static_band)];
        for (lo, hi) in bands {
            if hi <= lo {
                continue;
            }
            let span = hi - lo;
            let start = rng.below(span);
            for step in 0..span {
                let slot = lo + (start + step) % span;
                if !self.used.contains(&slot) {
                    self.used.insert(slot);
                    return Some(slot);
                }
            }
        }
        None
    }
}

/// kube-apiserver's ClusterIP allocator over `--service-cluster-ip-range`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterIpAllocator {
    cidr: Ipv4Cidr,
    bitmap: Bitmap,
}

impl ClusterIpAllocator {
    /// Slot 0 is the network address + 1; the network and broadcast addresses are never used.
    pub fn new(cidr: Ipv4Cidr) -> Self {
        let size = cidr.size().saturating_sub(2);
        ClusterIpAllocator {
            cidr,
            bitmap: Bitmap::new(size, 16, 256),
        }
    }

    /// kubeadm's range, with nothing allocated yet.
    pub fn kubeadm_default() -> Self {
        ClusterIpAllocator::new(super::SERVICE_CIDR)
    }

    pub fn cidr(&self) -> Ipv4Cidr {
        self.cidr
    }

    /// The first address of the dynamic band: automatic allocations land at or above it.
    pub fn dynamic_band_start(&self) -> Ipv4Addr {
        self.ip_of(self.bitmap.static_band)
    }

    fn ip_of(&self, slot: u64) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.cidr.network()) + 1 + slot as u32)
    }

    fn slot_of(&self, ip: Ipv4Addr) -> Option<u64> {
        let offset = self.cidr.offset_of(ip)?;
        (offset >= 1 && offset <= self.bitmap.size).then(|| offset - 1)
    }

    /// `spec.clusterIP` given by the user (or kubeadm: 10.96.0.1, 10.96.0.10).
    pub fn allocate(&mut self, ip: Ipv4Addr) -> Result<(), AllocError> {
        let invalid = |detail: String| AllocError::Invalid {
            field: "spec.clusterIPs".into(),
            value: format!("[]string{{\"{ip}\"}}"),
            detail: format!("failed to allocate IP {ip}: {detail}"),
        };
        let Some(slot) = self.slot_of(ip) else {
            return Err(invalid(format!(
                "the provided IP ({ip}) is not in the valid range. The range of valid IPs is {}",
                self.cidr
            )));
        };
        if !self.bitmap.used.insert(slot) {
            return Err(invalid("provided IP is already allocated".into()));
        }
        Ok(())
    }

    /// A free address chosen at random, preferring the dynamic band.
    pub fn allocate_next(&mut self, rng: &mut Rng) -> Result<Ipv4Addr, AllocError> {
        let slot = self.bitmap.allocate_next(rng).ok_or_else(|| {
            AllocError::Internal("failed to allocate a serviceIP: range is full".into())
        })?;
        Ok(self.ip_of(slot))
    }

    /// The Service was deleted. Releasing a free or foreign address is a no-op, as upstream.
    pub fn release(&mut self, ip: Ipv4Addr) -> bool {
        self.slot_of(ip)
            .is_some_and(|slot| self.bitmap.used.remove(&slot))
    }

    pub fn is_allocated(&self, ip: Ipv4Addr) -> bool {
        self.slot_of(ip)
            .is_some_and(|slot| self.bitmap.used.contains(&slot))
    }
}

/// kube-apiserver's NodePort allocator over `--service-node-port-range` (30000-32767).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodePortAllocator {
    base: u16,
    bitmap: Bitmap,
}

pub const NODE_PORT_RANGE_START: u16 = 30000;
pub const NODE_PORT_RANGE_END: u16 = 32767;

impl Default for NodePortAllocator {
    fn default() -> Self {
        NodePortAllocator::new(NODE_PORT_RANGE_START, NODE_PORT_RANGE_END)
    }
}

impl NodePortAllocator {
    pub fn new(first: u16, last: u16) -> Self {
        assert!(first <= last, "empty node port range");
        NodePortAllocator {
            base: first,
            bitmap: Bitmap::new((last - first) as u64 + 1, 32, 128),
        }
    }

    fn range_text(&self) -> String {
        format!("{}-{}", self.base, self.base as u64 + self.bitmap.size - 1)
    }

    fn slot_of(&self, port: i64) -> Option<u64> {
        let offset = port.checked_sub(self.base as i64)?;
        (offset >= 0 && (offset as u64) < self.bitmap.size).then_some(offset as u64)
    }

    /// A `nodePort` the user asked for; `port_index` names the field in the error
    /// (`spec.ports[0].nodePort`). Takes an `i64` because that is what a user can type.
    pub fn allocate(&mut self, port: i64, port_index: usize) -> Result<u16, AllocError> {
        let invalid = |detail: String| AllocError::Invalid {
            field: format!("spec.ports[{port_index}].nodePort"),
            value: port.to_string(),
            detail,
        };
        let Some(slot) = self.slot_of(port) else {
            return Err(invalid(format!(
                "provided port is not in the valid range. The range of valid ports is {}",
                self.range_text()
            )));
        };
        if !self.bitmap.used.insert(slot) {
            return Err(invalid("provided port is already allocated".into()));
        }
        Ok(self.base + slot as u16)
    }

    /// A free port chosen at random, preferring the dynamic band (30086 and up).
    pub fn allocate_next(&mut self, rng: &mut Rng) -> Result<u16, AllocError> {
        let slot = self.bitmap.allocate_next(rng).ok_or_else(|| {
            AllocError::Internal("failed to allocate a nodePort: range is full".into())
        })?;
        Ok(self.base + slot as u16)
    }

    pub fn release(&mut self, port: i64) -> bool {
        self.slot_of(port)
            .is_some_and(|slot| self.bitmap.used.remove(&slot))
    }

    pub fn is_allocated(&self, port: i64) -> bool {
        self.slot_of(port)
            .is_some_and(|slot| self.bitmap.used.contains(&slot))
    }
}

/// The simulated cloud provider's pool of external addresses for `type: LoadBalancer`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadBalancerPool {
    first: Ipv4Addr,
    last: Ipv4Addr,
    /// Address → `namespace/name` of the Service holding it.
    assigned: BTreeMap<Ipv4Addr, String>,
}

impl Default for LoadBalancerPool {
    /// 172.16.20.200-172.16.20.250: on the VMs' own network, as a MetalLB L2 pool would be.
    fn default() -> Self {
        LoadBalancerPool::new(
            Ipv4Addr::new(172, 16, 20, 200),
            Ipv4Addr::new(172, 16, 20, 250),
        )
    }
}

impl LoadBalancerPool {
    pub fn new(first: Ipv4Addr, last: Ipv4Addr) -> Self {
        assert!(first <= last, "empty load balancer pool");
        LoadBalancerPool {
            first,
            last,
            assigned: BTreeMap::new(),
        }
    }

    /// The cloud provider's answer for `service_key` (`namespace/name`): the address it already
    /// has, or the lowest free one; `None` when the pool is spent (EXTERNAL-IP stays `<pending>`).
    /// The cluster calls this after its simulated provisioning delay and writes the result to
    /// `status.loadBalancer.ingress[0].ip`.
    pub fn assign(&mut self, service_key: &str) -> Option<Ipv4Addr> {
        if let Some((ip, _)) = self.assigned.iter().find(|(_, k)| *k == service_key) {
            return Some(*ip);
        }
        let free = (u32::from(self.first)..=u32::from(self.last))
            .map(Ipv4Addr::from)
            .find(|ip| !self.assigned.contains_key(ip))?;
        self.assigned.insert(free, service_key.to_string());
        Some(free)
    }

    pub fn release(&mut self, service_key: &str) -> Option<Ipv4Addr> {
        let ip = self
            .assigned
            .iter()
            .find(|(_, k)| *k == service_key)
            .map(|(ip, _)| *ip)?;
        self.assigned.remove(&ip);
        Some(ip)
    }
}

/// kubectl's `EXTERNAL-IP` column for a Service (`getServiceExternalIP` in kubectl's printers).
pub fn external_ip_column(service: &Service) -> String {
    let spec = service.spec.clone().unwrap_or_default();
    let external_ips = spec.external_ips.clone().unwrap_or_default();
    let joined_or = |ips: Vec<String>, empty: &str| {
        if ips.is_empty() {
            empty.to_string()
        } else {
            ips.join(",")
        }
    };
    match spec.type_.as_deref().unwrap_or("ClusterIP") {
        "ClusterIP" | "NodePort" => joined_or(external_ips, "<none>"),
        "LoadBalancer" => {
            let mut ips: Vec<String> = service
                .status
                .as_ref()
                .and_then(|s| s.load_balancer.as_ref())
                .and_then(|lb| lb.ingress.as_ref())
                .map(|ingress| {
                    ingress
                        .iter()
                        .filter_map(|i| i.ip.clone().or_else(|| i.hostname.clone()))
                        .collect()
                })
                .unwrap_or_default();
            ips.extend(external_ips);
            joined_or(ips, "<pending>")
        }
        "ExternalName" => spec.external_name.unwrap_or_default(),
        _ => "<unknown>".to_string(),
    }
}

/// kubectl's `PORT(S)` column: `80/TCP`, `80:30080/TCP`, joined by commas.
pub fn ports_column(service: &Service) -> String {
    let ports = service
        .spec
        .as_ref()
        .and_then(|s| s.ports.as_ref())
        .cloned()
        .unwrap_or_default();
    if ports.is_empty() {
        return "<none>".to_string();
    }
    ports
        .iter()
        .map(|p| {
            let protocol = p.protocol.as_deref().unwrap_or("TCP");
            match p.node_port {
                Some(node_port) if node_port > 0 => format!("{}:{node_port}/{protocol}", p.port),
                _ => format!("{}/{protocol}", p.port),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Ipv4Addr {
        text.parse().unwrap()
    }

    #[test]
    fn kubeadm_takes_the_first_and_tenth_addresses_by_hand() {
        let mut alloc = ClusterIpAllocator::kubeadm_default();
        assert_eq!(alloc.allocate(ip("10.96.0.1")), Ok(()));
        assert_eq!(alloc.allocate(ip("10.96.0.10")), Ok(()));
        assert!(alloc.is_allocated(ip("10.96.0.10")));
        assert_eq!(alloc.dynamic_band_start(), ip("10.96.1.1"));
    }

    #[test]
    fn cluster_ip_requests_are_refused_with_upstreams_texts() {
        let mut alloc = ClusterIpAllocator::kubeadm_default();
        alloc.allocate(ip("10.96.0.10")).unwrap();
        let table = [
            ("10.96.0.10", "spec.clusterIPs: Invalid value: []string{\"10.96.0.10\"}: failed to allocate IP 10.96.0.10: provided IP is already allocated"),
            ("10.200.0.5", "spec.clusterIPs: Invalid value: []string{\"10.200.0.5\"}: failed to allocate IP 10.200.0.5: the provided IP (10.200.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12"),
            ("10.96.0.0", "spec.clusterIPs: Invalid value: []string{\"10.96.0.0\"}: failed to allocate IP 10.96.0.0: the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/12"),
            ("10.111.255.255", "spec.clusterIPs: Invalid value: []string{\"10.111.255.255\"}: failed to allocate IP 10.111.255.255: the provided IP (10.111.255.255) is not in the valid range. The range of valid IPs is 10.96.0.0/12"),
        ];
        for (requested, want) in table {
            assert_eq!(
                alloc.allocate(ip(requested)).map_err(|e| e.to_string()),
                Err(want.to_string())
            );
        }
    }

    #[test]
    fn automatic_cluster_ips_are_random_in_the_dynamic_band_and_reproducible() {
        let draw = |seed| {
            let mut alloc = ClusterIpAllocator::kubeadm_default();
            let mut rng = Rng::new(seed);
            (0..50)
                .map(|_| alloc.allocate_next(&mut rng).unwrap())
                .collect::<Vec<_>>()
        };
        let ips = draw(42);
        assert_eq!(ips, draw(42));
        assert_ne!(ips, draw(43));
        let unique: BTreeSet<_> = ips.iter().collect();
        assert_eq!(unique.len(), 50);
        for a in &ips {
            assert!(super::super::SERVICE_CIDR.contains(*a));
            assert!(*a >= ip("10.96.1.1") && *a < ip("10.111.255.255"), "{a}");
        }
    }

    #[test]
    fn a_small_range_fills_the_dynamic_band_then_the_static_band_then_reports_full() {
        // A /27 has 30 usable addresses; the static band is 16 of them.
        let mut alloc = ClusterIpAllocator::new(Ipv4Cidr::parse("10.0.0.0/27").unwrap());
        let mut rng = Rng::new(1);
        let got: Vec<Ipv4Addr> = (0..30)
            .map(|_| alloc.allocate_next(&mut rng).unwrap())
            .collect();
        assert!(got[..14].iter().all(|a| *a >= ip("10.0.0.17")), "{got:?}");
        assert!(got[14..].iter().all(|a| *a < ip("10.0.0.17")), "{got:?}");
        assert_eq!(
            alloc.allocate_next(&mut rng).map_err(|e| e.to_string()),
            Err("Internal error occurred: failed to allocate a serviceIP: range is full".into())
        );
        assert!(alloc.release(got[0]));
        assert_eq!(alloc.allocate_next(&mut rng), Ok(got[0]));
    }

    #[test]
    fn node_port_requests_are_checked_against_the_range_and_each_other() {
        let mut ports = NodePortAllocator::default();
        let range_error = |p: i64| {
            format!("spec.ports[0].nodePort: Invalid value: {p}: provided port is not in the valid range. The range of valid ports is 30000-32767")
        };
        let table: [(i64, Result<u16, String>); 6] = [
            (30080, Ok(30080)),
            (30080, Err("spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated".into())),
            (30000, Ok(30000)),
            (32767, Ok(32767)),
            (29999, Err(range_error(29999))),
            (32768, Err(range_error(32768))),
        ];
        for (port, want) in table {
            assert_eq!(
                ports.allocate(port, 0).map_err(|e| e.to_string()),
                want,
                "{port}"
            );
        }
        assert_eq!(ports.allocate(-1, 2).map_err(|e| e.to_string()), Err("spec.ports[2].nodePort: Invalid value: -1: provided port is not in the valid range. The range of valid ports is 30000-32767".into()));
        assert!(ports.release(30080));
        assert!(!ports.release(30080));
        assert_eq!(ports.allocate(30080, 0), Ok(30080));
    }

    #[test]
    fn automatic_node_ports_avoid_the_static_band_until_it_is_all_that_is_left() {
        let mut ports = NodePortAllocator::default();
        let mut rng = Rng::new(9);
        let dynamic = 2768 - 86;
        let mut seen = BTreeSet::new();
        for _ in 0..dynamic {
            let p = ports.allocate_next(&mut rng).unwrap();
            assert!(p >= 30086, "{p}");
            assert!(seen.insert(p));
        }
        let next = ports.allocate_next(&mut rng).unwrap();
        assert!((30000..30086).contains(&next));
        for _ in 0..85 {
            ports.allocate_next(&mut rng).unwrap();
        }
        assert_eq!(
            ports.allocate_next(&mut rng).map_err(|e| e.to_string()),
            Err("Internal error occurred: failed to allocate a nodePort: range is full".into())
        );
    }

    #[test]
    fn the_cloud_provider_hands_out_the_lowest_free_address_once_per_service() {
        let mut pool = LoadBalancerPool::new(ip("172.16.20.200"), ip("172.16.20.201"));
        assert_eq!(pool.assign("default/web"), Some(ip("172.16.20.200")));
        assert_eq!(pool.assign("default/web"), Some(ip("172.16.20.200")));
        assert_eq!(pool.assign("default/api"), Some(ip("172.16.20.201")));
        assert_eq!(pool.assign("default/third"), None);
        assert_eq!(pool.release("default/web"), Some(ip("172.16.20.200")));
        assert_eq!(pool.assign("default/third"), Some(ip("172.16.20.200")));
    }

    #[test]
    fn external_ip_is_pending_until_the_load_balancer_status_is_written() {
        let mut svc: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "nodePort": 31234, "protocol": "TCP"}]}
        }))
        .unwrap();
        assert_eq!(external_ip_column(&svc), "<pending>");
        assert_eq!(ports_column(&svc), "80:31234/TCP");
        svc.status = serde_json::from_value(serde_json::json!({
            "loadBalancer": {"ingress": [{"ip": "172.16.20.200"}]}
        }))
        .unwrap();
        assert_eq!(external_ip_column(&svc), "172.16.20.200");
        let cluster_ip: Service =
            serde_json::from_value(serde_json::json!({"spec": {"ports": [{"port": 80}]}})).unwrap();
        assert_eq!(external_ip_column(&cluster_ip), "<none>");
        assert_eq!(ports_column(&cluster_ip), "80/TCP");
    }
}
