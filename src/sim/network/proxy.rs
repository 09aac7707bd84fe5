//! kube-proxy in iptables mode: from Services and EndpointSlices to the `nat` and `filter`
//! rules one node programs.
//!
//! Mirrors: `syncProxyRules` in `pkg/proxy/iptables/proxier.go` (Kubernetes 1.32) with its
//! defaults under kubeadm: `--cluster-cidr=10.244.0.0/16` as the local-traffic detector (hence
//! `! -s 10.244.0.0/16 ... -j KUBE-MARK-MASQ`), masquerade bit 14 (`0x4000`),
//! `MASQUERADE --random-fully`, localhost NodePorts allowed. Per service port: a `KUBE-SERVICES`
//! rule for the ClusterIP, `KUBE-NODEPORTS` and load-balancer rules through `KUBE-EXT-<hash>`,
//! a `KUBE-SVC-<hash>` chain that picks an endpoint with `-m statistic --mode random
//! --probability 1/(n-i)` (1/3, then 1/2, then certainly: each endpoint gets 1/n overall), and
//! a `KUBE-SEP-<hash>` chain per endpoint that DNATs to it. A service port with no usable
//! endpoint gets no nat chains at all but a `filter` rule that REJECTs with the comment
//! `"<svc> has no endpoints"`: that is why `curl` to it is refused at once instead of hanging.
//! Endpoints come from the EndpointSlices labelled `kubernetes.io/service-name`, their first
//! address only, sorted by `ip:port` as a string (endpointslicecache's `byEndpoint`), duplicates
//! across slices merged. Usable endpoints: the ready ones (`ready` unset counts as ready); when
//! none is ready, the ones both serving and terminating (ProxyTerminatingEndpoints, GA in 1.28),
//! so a rolling update's last old pod keeps serving while it drains.
//!
//! Simplified: `internalTrafficPolicy`/`externalTrafficPolicy: Local` are treated as `Cluster`
//! (no `KUBE-SVL-` chains), no session affinity (`-m recent`), no `externalIPs`, no
//! `loadBalancerSourceRanges` firewall (`KUBE-FW-`), no topology hints, no partial syncs and no
//! canary chains; service ports are written in `namespace/name:port` order instead of Go's map
//! order, so the output is the same on every run.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddrV4};

use crate::sim::api::core_v1::EndpointSlice;
use crate::sim::api::core_v1::Service;

use super::chain_hash;
use super::cidr::Ipv4Cidr;
use super::iptables::{Match, Protocol, Rule, Table, Target};
use crate::sim::sort::StableSort;

pub const KUBE_SERVICES: &str = "KUBE-SERVICES";
pub const KUBE_NODEPORTS: &str = "KUBE-NODEPORTS";
pub const KUBE_POSTROUTING: &str = "KUBE-POSTROUTING";
pub const KUBE_MARK_MASQ: &str = "KUBE-MARK-MASQ";
pub const KUBE_EXTERNAL_SERVICES: &str = "KUBE-EXTERNAL-SERVICES";
pub const KUBE_FORWARD: &str = "KUBE-FORWARD";
pub const KUBE_PROXY_FIREWALL: &str = "KUBE-PROXY-FIREWALL";

/// The label an EndpointSlice carries to name its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// kube-proxy's configuration on one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyConfig {
    pub node_name: String,
    /// `clusterCIDR`, the local-traffic detector: traffic to a ClusterIP from outside it is
    /// masqueraded.
    pub cluster_cidr: Ipv4Cidr,
    /// `iptables.masqueradeBit` (14 → mark `0x4000`).
    pub masquerade_bit: u32,
}

impl ProxyConfig {
    pub fn kubeadm(node_name: &str) -> Self {
        ProxyConfig {
            node_name: node_name.to_string(),
            cluster_cidr: super::CLUSTER_CIDR,
            masquerade_bit: 14,
        }
    }

    pub fn masquerade_mark(&self) -> u32 {
        1u32 << self.masquerade_bit.min(31)
    }
}

/// One endpoint of one service port, as kube-proxy's endpoint cache keeps it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EndpointInfo {
    pub addr: SocketAddrV4,
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
    pub node_name: Option<String>,
    /// `hostname`, for headless-service DNS records (StatefulSet pods).
    pub hostname: Option<String>,
}

/// One port of one Service, with its endpoints: kube-proxy's `servicePortInfo`.
#[derive(Clone, Debug, PartialEq)]
pub struct ServicePortInfo {
    pub namespace: String,
    pub service: String,
    /// `spec.ports[].name`, empty when unnamed.
    pub port_name: String,
    pub protocol: Protocol,
    pub cluster_ip: Ipv4Addr,
    pub port: u16,
    pub node_port: Option<u16>,
    pub load_balancer_ips: Vec<Ipv4Addr>,
    /// Sorted by `ip:port` as text; every endpoint, usable or not.
    pub endpoints: Vec<EndpointInfo>,
}

impl ServicePortInfo {
    /// `namespace/name:port`, or `namespace/name` when the port is unnamed (ServicePortName).
    pub fn name_string(&self) -> String {
        if self.port_name.is_empty() {
            format!("{}/{}", self.namespace, self.service)
        } else {
            format!("{}/{}:{}", self.namespace, self.service, self.port_name)
        }
    }

    pub fn service_chain(&self) -> String {
        chain_hash::service_chain(&self.name_string(), self.protocol.as_str())
    }

    pub fn external_chain(&self) -> String {
        chain_hash::external_chain(&self.name_string(), self.protocol.as_str())
    }

    pub fn endpoint_chain(&self, endpoint: &EndpointInfo) -> String {
        chain_hash::endpoint_chain(
            &self.name_string(),
            self.protocol.as_str(),
            &endpoint.addr.to_string(),
        )
    }

    /// The endpoints traffic is sent to: the ready ones, or, when none is ready, those still
    /// serving while they terminate.
    pub fn usable_endpoints(&self) -> Vec<&EndpointInfo> {
        let ready: Vec<&EndpointInfo> = self.endpoints.iter().filter(|e| e.ready).collect();
        if !ready.is_empty() {
            return ready;
        }
        self.endpoints
            .iter()
            .filter(|e| e.serving && e.terminating)
            .collect()
    }

    fn externally_accessible(&self) -> bool {
        self.node_port.is_some() || !self.load_balancer_ips.is_empty()
    }
}

/// The ClusterIP of a Service if it has one kube-proxy would program (`IsServiceIPSet`): not
/// headless, not ExternalName, a valid IPv4 address.
pub fn proxied_cluster_ip(service: &Service) -> Option<Ipv4Addr> {
    let spec = service.spec.as_ref()?;
    if spec.type_.as_deref() == Some("ExternalName") {
        return None;
    }
    spec.cluster_ip.as_deref()?.parse().ok()
}

fn key_of(namespace: Option<&String>, name: Option<&String>) -> (String, String) {
    (
        namespace.cloned().unwrap_or_else(|| "default".to_string()),
        name.cloned().unwrap_or_default(),
    )
}

/// Endpoints per (namespace, service, port name), from every slice of every service.
pub fn endpoints_by_port(
    slices: &[EndpointSlice],
) -> BTreeMap<(String, String, String), Vec<EndpointInfo>> {
    let mut out: BTreeMap<(String, String, String), BTreeMap<String, EndpointInfo>> =
        BTreeMap::new();
    for slice in slices {
        if slice.address_type != "IPv4" {
            continue;
        }
        let Some(service) = slice
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(SERVICE_NAME_LABEL))
        else {
            continue;
        };
        let (namespace, service) = key_of(slice.metadata.namespace.as_ref(), Some(service));
        for port in slice.ports.iter().flatten() {
            let Some(number) = port.port.and_then(|p| u16::try_from(p).ok()) else {
                continue;
            };
            let port_name = port.name.clone().unwrap_or_default();
            let entry = out
                .entry((namespace.clone(), service.clone(), port_name))
                .or_default();
            for endpoint in slice.endpoints.iter().flatten() {
                // kube-proxy uses the first address only.
                let Some(ip) = endpoint
                    .addresses
                    .first()
                    .and_then(|a| a.parse::<Ipv4Addr>().ok())
                else {
                    continue;
                };
                let conditions = endpoint.conditions.clone().unwrap_or_default();
                let info = EndpointInfo {
                    addr: SocketAddrV4::new(ip, number),
                    ready: conditions.ready.unwrap_or(true),
                    serving: conditions.serving.unwrap_or(true),
                    terminating: conditions.terminating.unwrap_or(false),
                    node_name: endpoint.node_name.clone(),
                    hostname: endpoint.hostname.clone(),
                };
                // Keyed by the `ip:port` text: kube-proxy's sort order and its de-duplication.
                entry.entry(info.addr.to_string()).or_insert(info);
            }
        }
    }
    out.into_iter()
        .map(|(k, v)| (k, v.into_values().collect()))
        .collect()
}

/// Every proxied service port with its endpoints, in `namespace/name:port` order.
pub fn service_ports(services: &[Service], slices: &[EndpointSlice]) -> Vec<ServicePortInfo> {
    let endpoints = endpoints_by_port(slices);
    let mut out = Vec::new();
    for service in services {
        let Some(cluster_ip) = proxied_cluster_ip(service) else {
            continue;
        };
        let (namespace, name) = key_of(
            service.metadata.namespace.as_ref(),
            service.metadata.name.as_ref(),
        );
        let Some(spec) = service.spec.as_ref() else {
            continue;
        };
        let load_balancer_ips: Vec<Ipv4Addr> = service
            .status
            .as_ref()
            .and_then(|s| s.load_balancer.as_ref())
            .and_then(|lb| lb.ingress.as_ref())
            .map(|ingress| {
                ingress
                    .iter()
                    .filter_map(|i| i.ip.as_deref()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        for port in spec.ports.iter().flatten() {
            let Some(protocol) = Protocol::from_k8s(port.protocol.as_deref().unwrap_or("TCP"))
            else {
                continue;
            };
            let Ok(number) = u16::try_from(port.port) else {
                continue;
            };
            let port_name = port.name.clone().unwrap_or_default();
            let eps = endpoints
                .get(&(namespace.clone(), name.clone(), port_name.clone()))
                .cloned()
                .unwrap_or_default();
            out.push(ServicePortInfo {
                namespace: namespace.clone(),
                service: name.clone(),
                port_name,
                protocol,
                cluster_ip,
                port: number,
                node_port: port
                    .node_port
                    .and_then(|p| u16::try_from(p).ok())
                    .filter(|p| *p > 0),
                load_balancer_ips: load_balancer_ips.clone(),
                endpoints: eps,
            });
        }
    }
    out.stable_sort_by_key(|a| a.name_string());
    out
}

/// The two tables kube-proxy restores on one node.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyRules {
    pub filter: Table,
    pub nat: Table,
}

impl ProxyRules {
    /// `iptables-save -t nat`
    pub fn render_nat(&self) -> String {
        self.nat.render()
    }

    /// `iptables-save -t filter`
    pub fn render_filter(&self) -> String {
        self.filter.render()
    }

    /// `iptables-save`: filter, then nat.
    pub fn render(&self) -> String {
        format!("{}{}", self.filter.render(), self.nat.render())
    }
}

/// The per-port probability kube-proxy writes: `%0.10f` of 1/n, read back as a number.
pub fn probability(n: usize) -> f64 {
    let written = format!("{:.10}", 1.0 / n.max(1) as f64);
    written.parse().unwrap_or(1.0)
}

/// One full sync: the rules this node's kube-proxy would restore.
pub fn sync_proxy_rules(
    config: &ProxyConfig,
    services: &[Service],
    slices: &[EndpointSlice],
) -> ProxyRules {
    build_rules(config, &service_ports(services, slices))
}

/// The same from already-collected service ports.
pub fn build_rules(config: &ProxyConfig, ports: &[ServicePortInfo]) -> ProxyRules {
    let mark = config.masquerade_mark();
    let mut filter = Table::filter();
    let mut nat = Table::nat();
    let new = || Match::Conntrack("NEW".into());

    // Jumps from the built-in chains (kube-proxy's iptablesJumpChains).
    filter.push(
        Rule::new("INPUT", Target::Jump(KUBE_PROXY_FIREWALL.into()))
            .with(new())
            .comment("kubernetes load balancer firewall"),
    );
    filter.push(
        Rule::new("INPUT", Target::Jump(KUBE_NODEPORTS.into()))
            .comment("kubernetes health check service ports"),
    );
    filter.push(
        Rule::new("INPUT", Target::Jump(KUBE_EXTERNAL_SERVICES.into()))
            .with(new())
            .comment("kubernetes externally-visible service portals"),
    );
    for (chain, target, comment) in [
        (
            "FORWARD",
            KUBE_PROXY_FIREWALL,
            "kubernetes load balancer firewall",
        ),
        ("FORWARD", KUBE_FORWARD, "kubernetes forwarding rules"),
        ("FORWARD", KUBE_SERVICES, "kubernetes service portals"),
        (
            "FORWARD",
            KUBE_EXTERNAL_SERVICES,
            "kubernetes externally-visible service portals",
        ),
        (
            "OUTPUT",
            KUBE_PROXY_FIREWALL,
            "kubernetes load balancer firewall",
        ),
        ("OUTPUT", KUBE_SERVICES, "kubernetes service portals"),
    ] {
        let rule = Rule::new(chain, Target::Jump(target.into()));
        let rule = if target == KUBE_FORWARD {
            rule.comment(comment)
        } else {
            rule.with(new()).comment(comment)
        };
        filter.push(rule);
    }
    for chain in [
        KUBE_SERVICES,
        KUBE_EXTERNAL_SERVICES,
        KUBE_FORWARD,
        KUBE_NODEPORTS,
        KUBE_PROXY_FIREWALL,
    ] {
        filter.declare(chain);
    }
    nat.push(
        Rule::new("PREROUTING", Target::Jump(KUBE_SERVICES.into()))
            .comment("kubernetes service portals"),
    );
    nat.push(
        Rule::new("OUTPUT", Target::Jump(KUBE_SERVICES.into()))
            .comment("kubernetes service portals"),
    );
    nat.push(
        Rule::new("POSTROUTING", Target::Jump(KUBE_POSTROUTING.into()))
            .comment("kubernetes postrouting rules"),
    );
    for chain in [
        KUBE_SERVICES,
        KUBE_NODEPORTS,
        KUBE_POSTROUTING,
        KUBE_MARK_MASQ,
    ] {
        nat.declare(chain);
    }
    nat.push(
        Rule::new(KUBE_POSTROUTING, Target::Return).with(Match::Mark {
            negated: true,
            value: mark,
            mask: mark,
        }),
    );
    nat.push(Rule::new(KUBE_POSTROUTING, Target::MarkXor(mark)));
    nat.push(
        Rule::new(KUBE_POSTROUTING, Target::Masquerade { random_fully: true })
            .comment("kubernetes service traffic requiring SNAT"),
    );
    nat.push(Rule::new(KUBE_MARK_MASQ, Target::MarkOr(mark)));

    for svc in ports {
        write_service_port(config, svc, &mut filter, &mut nat);
    }

    // The NodePort catch-all must come after every ClusterIP rule in KUBE-SERVICES.
    nat.push(
        Rule::new(KUBE_SERVICES, Target::Jump(KUBE_NODEPORTS.into()))
            .comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain")
            .with(Match::DstTypeLocal),
    );
    filter.push(Rule::new(KUBE_FORWARD, Target::Drop).with(Match::Conntrack("INVALID".into())));
    filter.push(
        Rule::new(KUBE_FORWARD, Target::Accept)
            .comment("kubernetes forwarding rules")
            .with(Match::Mark {
                negated: false,
                value: mark,
                mask: mark,
            }),
    );
    filter.push(
        Rule::new(KUBE_FORWARD, Target::Accept)
            .comment("kubernetes forwarding conntrack rule")
            .with(Match::Conntrack("RELATED,ESTABLISHED".into())),
    );
    ProxyRules { filter, nat }
}

fn write_service_port(
    config: &ProxyConfig,
    svc: &ServicePortInfo,
    filter: &mut Table,
    nat: &mut Table,
) {
    let name = svc.name_string();
    let protocol = svc.protocol;
    let port_match = |dport| Match::Port {
        protocol,
        dport: Some(dport),
    };
    let endpoints = svc.usable_endpoints();
    let svc_chain = svc.service_chain();
    let ext_chain = svc.external_chain();

    if endpoints.is_empty() {
        let comment = format!("{name} has no endpoints");
        filter.push(
            Rule::new(KUBE_SERVICES, Target::Reject)
                .destination(svc.cluster_ip)
                .protocol(protocol)
                .comment(&comment)
                .with(port_match(svc.port)),
        );
        for lb in &svc.load_balancer_ips {
            filter.push(
                Rule::new(KUBE_EXTERNAL_SERVICES, Target::Reject)
                    .destination(*lb)
                    .protocol(protocol)
                    .comment(&comment)
                    .with(port_match(svc.port)),
            );
        }
        if let Some(node_port) = svc.node_port {
            filter.push(
                Rule::new(KUBE_EXTERNAL_SERVICES, Target::Reject)
                    .protocol(protocol)
                    .comment(&comment)
                    .with(Match::DstTypeLocal)
                    .with(port_match(node_port)),
            );
        }
        return;
    }

    let cluster_ip_comment = format!("{name} cluster IP");
    nat.push(
        Rule::new(KUBE_SERVICES, Target::Jump(svc_chain.clone()))
            .destination(svc.cluster_ip)
            .protocol(protocol)
            .comment(&cluster_ip_comment)
            .with(port_match(svc.port)),
    );
    for lb in &svc.load_balancer_ips {
        nat.push(
            Rule::new(KUBE_SERVICES, Target::Jump(ext_chain.clone()))
                .destination(*lb)
                .protocol(protocol)
                .comment(&format!("{name} loadbalancer IP"))
                .with(port_match(svc.port)),
        );
    }
    if let Some(node_port) = svc.node_port {
        nat.push(
            Rule::new(KUBE_NODEPORTS, Target::Jump(ext_chain.clone()))
                .protocol(protocol)
                .comment(&name)
                .with(port_match(node_port)),
        );
    }

    // Traffic to the ClusterIP from outside the pod network (a VM's own process) is
    // masqueraded, so the reply comes back through this node.
    nat.push(
        Rule::new(&svc_chain, Target::Jump(KUBE_MARK_MASQ.into()))
            .source(true, config.cluster_cidr)
            .destination(svc.cluster_ip)
            .protocol(protocol)
            .comment(&cluster_ip_comment)
            .with(port_match(svc.port)),
    );
    if svc.externally_accessible() {
        nat.push(
            Rule::new(&ext_chain, Target::Jump(KUBE_MARK_MASQ.into())).comment(&format!(
                "masquerade traffic for {name} external destinations"
            )),
        );
        nat.push(Rule::new(&ext_chain, Target::Jump(svc_chain.clone())));
    }
    let n = endpoints.len();
    for (i, endpoint) in endpoints.iter().enumerate() {
        let mut rule = Rule::new(&svc_chain, Target::Jump(svc.endpoint_chain(endpoint)))
            .comment(&format!("{name} -> {}", endpoint.addr));
        if i + 1 < n {
            // 1/(n-i): the first of three is taken a third of the time, the second half of
            // what is left, the last always, so each endpoint gets 1/n overall.
            rule = rule.with(Match::Random {
                probability: probability(n - i),
            });
        }
        nat.push(rule);
    }
    for endpoint in endpoints {
        let sep = svc.endpoint_chain(endpoint);
        // A pod reaching itself through its own Service: masquerade so the reply is not
        // short-circuited inside the pod.
        nat.push(
            Rule::new(&sep, Target::Jump(KUBE_MARK_MASQ.into()))
                .source(false, Ipv4Cidr::new_unchecked(*endpoint.addr.ip(), 32))
                .comment(&name),
        );
        nat.push(
            Rule::new(&sep, Target::Dnat(endpoint.addr))
                .protocol(protocol)
                .comment(&name)
                .with(Match::Port {
                    protocol,
                    dport: None,
                }),
        );
    }
}

/// The chain names of every service port in a set of rules, for tests and the UI's legend.
pub fn service_chains(rules: &ProxyRules) -> BTreeSet<String> {
    rules
        .nat
        .user_chains
        .iter()
        .filter(|c| c.starts_with("KUBE-SVC-") || c.starts_with("KUBE-SEP-"))
        .cloned()
        .collect()
}
