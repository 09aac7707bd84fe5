//! Cluster DNS: what CoreDNS's `kubernetes` plugin answers, how a pod's resolver walks its
//! search path, and the texts `nslookup` and `/etc/resolv.conf` show.
//!
//! Mirrors: CoreDNS's `kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure }` as kubeadm
//! configures it: `<svc>.<ns>.svc.cluster.local` is the ClusterIP, or for a headless Service the
//! ready endpoints' addresses; `<hostname>.<svc>.<ns>.svc.cluster.local` is one endpoint with a
//! `hostname` (StatefulSet pods); `10-244-1-5.<ns>.pod.cluster.local` is 10.244.1.5 (`pods
//! insecure` answers from the name alone). The kubelet writes a ClusterFirst pod's resolv.conf
//! (search line, nameserver, `options ndots:5`, in the order containerd writes them); the glibc
//! resolver tries the search domains first when a name has fewer than five dots. `nslookup`'s
//! layout is bind9's.
//!
//! Simplified: A records only (no SRV, PTR, AAAA, CNAME for ExternalName); names outside
//! `cluster.local` are NXDOMAIN because the sandbox has no upstream resolver to forward to;
//! answers are not cached (CoreDNS's `cache 30`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use crate::sim::api::core_v1::EndpointSlice;
use crate::sim::api::core_v1::Service;

use super::proxy::{endpoints_by_port, proxied_cluster_ip};
use super::{CLUSTER_DNS_IP, CLUSTER_DOMAIN};

/// What CoreDNS knows about one Service.
#[derive(Clone, Debug, PartialEq, Eq)]
struct DnsService {
    /// `None` for a headless Service.
    cluster_ip: Option<Ipv4Addr>,
    /// Ready endpoint addresses with their hostnames, sorted, de-duplicated.
    endpoints: BTreeMap<Ipv4Addr, Option<String>>,
}

/// CoreDNS's view of the cluster, rebuilt from Services and EndpointSlices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterDns {
    services: BTreeMap<(String, String), DnsService>,
}

/// A pod's `/etc/resolv.conf`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvConf {
    pub nameserver: Ipv4Addr,
    pub search: Vec<String>,
    pub ndots: usize,
}

impl ResolvConf {
    /// What the kubelet gives a `dnsPolicy: ClusterFirst` pod in `namespace`.
    pub fn for_pod(namespace: &str) -> Self {
        ResolvConf {
            nameserver: CLUSTER_DNS_IP,
            search: vec![
                format!("{namespace}.svc.{CLUSTER_DOMAIN}"),
                format!("svc.{CLUSTER_DOMAIN}"),
                CLUSTER_DOMAIN.to_string(),
            ],
            ndots: 5,
        }
    }

    pub fn render(&self) -> String {
        format!(
            "search {}\nnameserver {}\noptions ndots:{}\n",
            self.search.join(" "),
            self.nameserver,
            self.ndots
        )
    }

    /// The names the resolver asks for, in order: with fewer than `ndots` dots the search
    /// domains come first; a trailing dot means the name is already absolute.
    pub fn candidates(&self, name: &str) -> Vec<String> {
        let name = name.trim();
        if let Some(absolute) = name.strip_suffix('.') {
            return vec![absolute.to_string()];
        }
        let searched = self.search.iter().map(|d| format!("{name}.{d}"));
        if name.matches('.').count() < self.ndots {
            searched.chain(std::iter::once(name.to_string())).collect()
        } else {
            std::iter::once(name.to_string()).chain(searched).collect()
        }
    }
}

/// The outcome of a lookup through a resolver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// `fqdn` answered with `addresses` (never empty).
    Found {
        fqdn: String,
        addresses: Vec<Ipv4Addr>,
    },
    /// Every candidate was NXDOMAIN; `tried` lists them in order.
    NxDomain { tried: Vec<String> },
}

impl ClusterDns {
    pub fn new(services: &[Service], slices: &[EndpointSlice]) -> Self {
        let endpoints = endpoints_by_port(slices);
        let mut out = BTreeMap::new();
        for service in services {
            let (Some(namespace), Some(name)) = (
                service
                    .metadata
                    .namespace
                    .clone()
                    .or(Some("default".into())),
                service.metadata.name.clone(),
            ) else {
                continue;
            };
            let spec = service.spec.clone().unwrap_or_default();
            if spec.type_.as_deref() == Some("ExternalName") {
                continue;
            }
            let headless = spec.cluster_ip.as_deref() == Some("None");
            let mut eps = BTreeMap::new();
            for ((ns, svc, _port), list) in &endpoints {
                if *ns == namespace && *svc == name {
                    for e in list.iter().filter(|e| e.ready) {
                        eps.insert(*e.addr.ip(), e.hostname.clone());
                    }
                }
            }
            out.insert(
                (namespace, name),
                DnsService {
                    cluster_ip: if headless {
                        None
                    } else {
                        proxied_cluster_ip(service)
                    },
                    endpoints: eps,
                },
            );
        }
        ClusterDns { services: out }
    }

    /// The A records for one fully-qualified name, or `None` for NXDOMAIN.
    pub fn answer(&self, fqdn: &str) -> Option<Vec<Ipv4Addr>> {
        let fqdn = fqdn.trim_end_matches('.').to_ascii_lowercase();
        let rest = fqdn.strip_suffix(&format!(".{CLUSTER_DOMAIN}"))?;
        let labels: Vec<&str> = rest.split('.').collect();
        match labels.as_slice() {
            [svc, ns, "svc"] => {
                let s = self.services.get(&(ns.to_string(), svc.to_string()))?;
                match s.cluster_ip {
                    Some(ip) => Some(vec![ip]),
                    None if !s.endpoints.is_empty() => Some(s.endpoints.keys().copied().collect()),
                    None => None,
                }
            }
            [host, svc, ns, "svc"] => {
                let s = self.services.get(&(ns.to_string(), svc.to_string()))?;
                let ip = s
                    .endpoints
                    .iter()
                    .find(|(_, h)| h.as_deref() == Some(host))
                    .map(|(ip, _)| *ip)?;
                Some(vec![ip])
            }
            [dashed, _ns, "pod"] => {
                let ip: Ipv4Addr = dashed.replace('-', ".").parse().ok()?;
                Some(vec![ip])
            }
            _ => None,
        }
    }

    /// A lookup as a pod's resolver does it: each search candidate in turn.
    pub fn lookup(&self, name: &str, resolv: &ResolvConf) -> Lookup {
        let tried = resolv.candidates(name);
        for candidate in &tried {
            if let Some(addresses) = self.answer(candidate) {
                return Lookup::Found {
                    fqdn: candidate.clone(),
                    addresses,
                };
            }
        }
        Lookup::NxDomain { tried }
    }

    /// `nslookup <name>` run inside a pod.
    pub fn nslookup(&self, name: &str, resolv: &ResolvConf) -> String {
        let server = resolv.nameserver;
        let mut out = format!("Server:\t\t{server}\nAddress:\t{server}#53\n\n");
        match self.lookup(name, resolv) {
            Lookup::Found { fqdn, addresses } => {
                for ip in addresses {
                    let _ = write!(out, "Name:\t{fqdn}\nAddress: {ip}\n");
                }
            }
            Lookup::NxDomain { .. } => {
                let _ = writeln!(out, "** server can't find {}: NXDOMAIN", name.trim());
            }
        }
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pods_resolv_conf_reads_as_the_kubelet_writes_it() {
        assert_eq!(
            ResolvConf::for_pod("default").render(),
            "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"
        );
    }

    #[test]
    fn short_names_try_the_search_path_first_and_absolute_names_do_not() {
        let r = ResolvConf::for_pod("shop");
        assert_eq!(
            r.candidates("web"),
            [
                "web.shop.svc.cluster.local",
                "web.svc.cluster.local",
                "web.cluster.local",
                "web"
            ]
        );
        assert_eq!(
            r.candidates("web.default.svc.cluster.local.")[..],
            ["web.default.svc.cluster.local"]
        );
        assert_eq!(r.candidates("a.b.c.d.e.f")[0], "a.b.c.d.e.f");
    }
}
