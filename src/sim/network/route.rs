//! One request, hop by hop: from a pod or a VM to a Service (ClusterIP:port, NodeIP:NodePort or
//! a DNS name) or straight to a pod, through the very rules kube-proxy wrote on each node.
//!
//! Mirrors: the Linux path of a TCP SYN on a kubeadm + flannel node. A pod's packet leaves its
//! `eth0` through a veth into the `cni0` bridge and enters the node's `nat PREROUTING`; a VM's own
//! process enters `nat OUTPUT`; both jump to `KUBE-SERVICES`. A DNAT picks the endpoint (the
//! `statistic` draws come from the seeded [`Rng`]); the packet is then routed: to a pod on the
//! same node over `cni0`, to a pod on another node through `flannel.1` (VXLAN, UDP 8472, outer
//! addresses the two nodes' IPs), to a node address over `eth0`. With the masquerade mark set,
//! `nat POSTROUTING` rewrites the source to the outgoing interface's address. No DNAT and a
//! `filter` REJECT means `curl: (7) ... Couldn't connect to server` at once; no rule and no
//! route means the SYN goes unanswered and curl times out; a name a VM cannot resolve (VMs do
//! not use cluster DNS) is `curl: (6) Could not resolve host`.
//!
//! Simplified: the DNS query is one hop to CoreDNS (it is itself a Service request, not walked);
//! conntrack is not kept, so every request is a new connection and draws again; the answer
//! comes from the caller (the runtime's simulated app), through [`Delivery`].

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use super::dns::{ClusterDns, Lookup, ResolvConf};
use super::iptables::{evaluate, Packet, Protocol, Step, Verdict};
use super::proxy::ProxyRules;
use super::NodeNet;
use crate::sim::rng::Rng;

/// Where the request starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Pod {
        ip: Ipv4Addr,
        namespace: String,
        node: String,
    },
    /// A process on the VM itself (`curl` in the VM's shell).
    Vm { node: String },
}

/// Where it is sent: an address, or a name to resolve first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    Addr(SocketAddrV4),
    Name { host: String, port: u16 },
}

/// What the process at the final address did with the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// It answered (the HTTP response body).
    Answered(String),
    /// Nothing listens on that port: the kernel answers RST.
    Refused,
}

/// One hop of the animation, with the VM it happens on.
#[derive(Clone, Debug, PartialEq)]
pub enum Hop {
    /// The pod's resolver asked CoreDNS (at `server`) and got `answer`.
    DnsLookup {
        node: String,
        server: Ipv4Addr,
        name: String,
        answer: Lookup,
    },
    /// The packet entered a netfilter hook (`nat PREROUTING` / `nat OUTPUT` / `nat POSTROUTING`
    /// / `filter FORWARD` ...) and matched these rules.
    Netfilter {
        node: String,
        table: String,
        hook: String,
        steps: Vec<Step>,
    },
    /// DNAT rewrote the destination.
    Dnat {
        node: String,
        from: SocketAddrV4,
        to: SocketAddrV4,
    },
    /// MASQUERADE rewrote the source.
    Masquerade {
        node: String,
        from: Ipv4Addr,
        to: Ipv4Addr,
    },
    /// Out of a device on one node into another (or the same) node.
    Link {
        from_node: String,
        to_node: String,
        device: String,
        /// For VXLAN: the outer (node) addresses.
        outer: Option<(Ipv4Addr, Ipv4Addr)>,
    },
    /// The packet reached the socket at `to` on `node`.
    Deliver { node: String, to: SocketAddrV4 },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Answered {
        endpoint: SocketAddrV4,
        body: String,
    },
    /// The error text curl prints.
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub hops: Vec<Hop>,
    pub outcome: Outcome,
}

/// How long an unanswered SYN keeps curl waiting: Linux's 6 SYN retries.
pub const SYN_TIMEOUT_MS: u64 = 127_000;

/// The cluster's network as the router sees it: the VMs, each node's rules, CoreDNS's records.
pub struct Network<'a> {
    pub nodes: &'a [NodeNet],
    pub rules: &'a BTreeMap<String, ProxyRules>,
    pub dns: &'a ClusterDns,
}

impl Network<'_> {
    fn node(&self, name: &str) -> Option<&NodeNet> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// The node that owns an address: as its own IP, or inside its pod CIDR.
    fn owner(&self, ip: Ipv4Addr) -> Option<&NodeNet> {
        self.nodes
            .iter()
            .find(|n| n.ip == ip)
            .or_else(|| self.nodes.iter().find(|n| n.pod_cidr.contains(ip)))
    }

    fn local_addrs(node: &NodeNet) -> Vec<Ipv4Addr> {
        // eth0, cni0 (the gateway, .1), flannel.1 (.0) and loopback.
        let mut addrs = vec![node.ip, Ipv4Addr::LOCALHOST];
        addrs.extend(node.pod_cidr.nth(0));
        addrs.extend(node.pod_cidr.nth(1));
        addrs
    }

    /// Sends one TCP request and follows it to the end.
    pub fn request(
        &self,
        source: &Source,
        destination: &Destination,
        rng: &mut Rng,
        deliver: &mut dyn FnMut(&str, SocketAddrV4) -> Delivery,
    ) -> Route {
        let mut hops = Vec::new();
        let (start_node, src_ip, hook) = match source {
            Source::Pod { ip, node, .. } => (node.clone(), *ip, "PREROUTING"),
            Source::Vm { node } => {
                let ip = self
                    .node(node)
                    .map(|n| n.ip)
                    .unwrap_or(Ipv4Addr::UNSPECIFIED);
                (node.clone(), ip, "OUTPUT")
            }
        };
        let fail = |hops, text: String| Route {
            hops,
            outcome: Outcome::Failed(text),
        };
        let (host_text, target) = match destination {
            Destination::Addr(addr) => (addr.ip().to_string(), *addr),
            Destination::Name { host, port } => {
                let resolved = match source {
                    Source::Pod { namespace, .. } => {
                        let resolv = ResolvConf::for_pod(namespace);
                        let answer = self.dns.lookup(host, &resolv);
                        hops.push(Hop::DnsLookup {
                            node: start_node.clone(),
                            server: resolv.nameserver,
                            name: host.clone(),
                            answer: answer.clone(),
                        });
                        match answer {
                            Lookup::Found { addresses, .. } => addresses.first().copied(),
                            Lookup::NxDomain { .. } => None,
                        }
                    }
                    // A VM resolves through its own /etc/resolv.conf, not cluster DNS.
                    Source::Vm { .. } => host.parse().ok(),
                };
                match resolved {
                    Some(ip) => (host.clone(), SocketAddrV4::new(ip, *port)),
                    None => return fail(hops, format!("curl: (6) Could not resolve host: {host}")),
                }
            }
        };
        let refused = |hops| {
            fail(
                hops,
                format!(
                    "curl: (7) Failed to connect to {host_text} port {} after 0 ms: Couldn't connect to server",
                    target.port()
                ),
            )
        };
        let timed_out = |hops| {
            fail(
                hops,
                format!(
                    "curl: (28) Failed to connect to {host_text} port {} after {SYN_TIMEOUT_MS} ms: Couldn't connect to server",
                    target.port()
                ),
            )
        };

        let mut packet = Packet {
            src: src_ip,
            dst: target,
            protocol: Protocol::Tcp,
            mark: 0,
        };
        let mut here = start_node;
        // At most two nodes process the packet (the sender's, and the NodePort's node).
        for _ in 0..2 {
            let Some(node) = self.node(&here).cloned() else {
                return timed_out(hops);
            };
            let local = Self::local_addrs(&node);
            let hook = if hops.iter().any(|h| matches!(h, Hop::Link { .. })) {
                "PREROUTING"
            } else {
                hook
            };
            let mut dnatted = false;
            if let Some(rules) = self.rules.get(&node.name) {
                let e = evaluate(&rules.nat, hook, packet, &local, rng);
                if !e.steps.is_empty() {
                    hops.push(Hop::Netfilter {
                        node: node.name.clone(),
                        table: "nat".into(),
                        hook: hook.into(),
                        steps: e.steps.clone(),
                    });
                }
                if let Verdict::Dnat(to) = e.verdict {
                    hops.push(Hop::Dnat {
                        node: node.name.clone(),
                        from: packet.dst,
                        to,
                    });
                    dnatted = true;
                }
                packet = e.packet;
                if !dnatted && !local.contains(packet.dst.ip()) {
                    let filter_hook = if hook == "OUTPUT" {
                        "OUTPUT"
                    } else {
                        "FORWARD"
                    };
                    let f = evaluate(&rules.filter, filter_hook, packet, &local, rng);
                    if matches!(f.verdict, Verdict::Reject) {
                        hops.push(Hop::Netfilter {
                            node: node.name.clone(),
                            table: "filter".into(),
                            hook: filter_hook.into(),
                            steps: f.steps,
                        });
                        return refused(hops);
                    }
                }
            }
            let dst_ip = *packet.dst.ip();
            // 127.0.0.1 never leaves the node: whatever listens there answers, or the kernel
            // refuses at once (curl's `(7)`), as on a real VM.
            if dst_ip.is_loopback() {
                return self.finish(hops, &node.name, packet, deliver, refused);
            }
            let Some(owner) = self.owner(dst_ip).cloned() else {
                return timed_out(hops);
            };
            if owner.name == node.name
                && (dnatted || local.contains(&dst_ip) || owner.pod_cidr.contains(dst_ip))
            {
                if owner.pod_cidr.contains(dst_ip) && !local.contains(&dst_ip) {
                    hops.push(Hop::Link {
                        from_node: node.name.clone(),
                        to_node: node.name.clone(),
                        device: "cni0".into(),
                        outer: None,
                    });
                }
                return self.finish(hops, &node.name, packet, deliver, refused);
            }
            // Leaving the node: POSTROUTING may masquerade.
            let via_overlay = owner.pod_cidr.contains(dst_ip) && dst_ip != owner.ip;
            if let Some(rules) = self.rules.get(&node.name) {
                let e = evaluate(&rules.nat, "POSTROUTING", packet, &local, rng);
                if e.verdict == Verdict::Masquerade {
                    let new_src = if via_overlay {
                        node.pod_cidr.nth(0).unwrap_or(node.ip)
                    } else {
                        node.ip
                    };
                    hops.push(Hop::Netfilter {
                        node: node.name.clone(),
                        table: "nat".into(),
                        hook: "POSTROUTING".into(),
                        steps: e.steps,
                    });
                    hops.push(Hop::Masquerade {
                        node: node.name.clone(),
                        from: packet.src,
                        to: new_src,
                    });
                    packet.src = new_src;
                }
                packet.mark = 0;
            }
            hops.push(Hop::Link {
                from_node: node.name.clone(),
                to_node: owner.name.clone(),
                device: if via_overlay { "flannel.1" } else { "eth0" }.into(),
                outer: via_overlay.then_some((node.ip, owner.ip)),
            });
            if dnatted || via_overlay {
                if via_overlay {
                    hops.push(Hop::Link {
                        from_node: owner.name.clone(),
                        to_node: owner.name.clone(),
                        device: "cni0".into(),
                        outer: None,
                    });
                }
                return self.finish(hops, &owner.name, packet, deliver, refused);
            }
            here = owner.name.clone();
        }
        self.finish(hops, &here, packet, deliver, refused)
    }

    fn finish(
        &self,
        mut hops: Vec<Hop>,
        node: &str,
        packet: Packet,
        deliver: &mut dyn FnMut(&str, SocketAddrV4) -> Delivery,
        refused: impl FnOnce(Vec<Hop>) -> Route,
    ) -> Route {
        hops.push(Hop::Deliver {
            node: node.to_string(),
            to: packet.dst,
        });
        match deliver(node, packet.dst) {
            Delivery::Answered(body) => Route {
                hops,
                outcome: Outcome::Answered {
                    endpoint: packet.dst,
                    body,
                },
            },
            Delivery::Refused => refused(hops),
        }
    }
}
