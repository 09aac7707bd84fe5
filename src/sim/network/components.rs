//! The networking components that run in the cluster loop: kube-proxy on every node and CoreDNS's
//! `kubernetes` plugin. Both only watch; neither writes to the apiserver.
//!
//! Mirrors: `cmd/kube-proxy` in iptables mode (a Service informer and an EndpointSlice informer
//! feed `syncProxyRules`, which re-renders the node's whole ruleset and logs
//! `"Syncing iptables rules"`), and CoreDNS's `plugin/kubernetes` (a Service and EndpointSlice
//! cache that every query is answered from).
//! Simplified: kube-proxy syncs on the reconcile after a change (no `minSyncPeriod` of 1 s, no
//! partial syncs); the rules live in the component (no kernel), and the shell's `iptables-save`
//! and `curl` read them from it. One CoreDNS component stands for the Deployment's two replicas
//! (they hold the same cache); it does not watch Pods, since the library answers
//! `*.pod.cluster.local` from the name alone (`pods insecure`).

use std::collections::BTreeMap;

use crate::sim::api::core_v1::EndpointSlice;
use crate::sim::api::core_v1::Service;

use super::dns::ClusterDns;
use super::proxy::{build_rules, service_ports, ProxyConfig, ProxyRules};
use crate::sim::apiserver::Credentials;
use crate::sim::component::{Component, Context, Decision, ObjectEvent, Reconcile};
use crate::sim::trace::{Actor, Seq, WatchEventType};

/// The informer caches both components keep: Services and EndpointSlices by key.
#[derive(Clone, Debug, Default)]
struct ServiceCache {
    services: BTreeMap<String, Box<Service>>,
    slices: BTreeMap<String, Box<EndpointSlice>>,
}

impl ServiceCache {
    /// Applies one event; true when the cache changed.
    fn apply(&mut self, event: &ObjectEvent) -> bool {
        let deleted = event.event == WatchEventType::Deleted;
        match event.resource {
            "services" => {
                if deleted {
                    return self.services.remove(&event.key).is_some();
                }
                match crate::sim::api::typed::typed::<Service>(&event.object).ok_or(()) {
                    Ok(svc) => {
                        self.services.insert(event.key.clone(), Box::new(svc));
                        true
                    }
                    Err(_) => false,
                }
            }
            "endpointslices" => {
                if deleted {
                    return self.slices.remove(&event.key).is_some();
                }
                match crate::sim::api::typed::typed::<EndpointSlice>(&event.object).ok_or(()) {
                    Ok(slice) => {
                        self.slices.insert(event.key.clone(), Box::new(slice));
                        true
                    }
                    Err(_) => false,
                }
            }
            _ => false,
        }
    }

    fn services(&self) -> Vec<Service> {
        self.services.values().map(|s| (**s).clone()).collect()
    }

    fn slices(&self) -> Vec<EndpointSlice> {
        self.slices.values().map(|s| (**s).clone()).collect()
    }
}

/// kube-proxy on one node. Its name is `kube-proxy@<node>`.
#[derive(Clone, Debug)]
pub struct KubeProxy {
    config: ProxyConfig,
    cache: ServiceCache,
    /// A change arrived since the last sync, with the delivery that brought the latest one.
    pending: Option<Option<Seq>>,
    rules: ProxyRules,
    syncs: u64,
}

impl KubeProxy {
    pub fn new(node: &str) -> Self {
        let config = ProxyConfig::kubeadm(node);
        KubeProxy {
            rules: build_rules(&config, &[]),
            config,
            cache: ServiceCache::default(),
            pending: Some(None),
            syncs: 0,
        }
    }

    /// One kube-proxy for each of the lab's VMs.
    pub fn lab() -> Vec<Box<dyn Component>> {
        crate::sim::lab::LAB_NODES
            .iter()
            .map(|node| Box::new(KubeProxy::new(node)) as Box<dyn Component>)
            .collect()
    }

    pub fn node(&self) -> &str {
        &self.config.node_name
    }

    /// The rules of the last sync, as `iptables-save` shows them.
    pub fn rules(&self) -> &ProxyRules {
        &self.rules
    }

    /// How many times it has re-rendered its rules.
    pub fn syncs(&self) -> u64 {
        self.syncs
    }
}

impl Component for KubeProxy {
    fn name(&self) -> String {
        format!("kube-proxy@{}", self.config.node_name)
    }

    fn actor(&self) -> Actor {
        Actor::new("kube-proxy", &self.config.node_name)
    }

    fn credentials(&self) -> Credentials {
        // kubeadm's kube-proxy runs as ServiceAccount kube-system/kube-proxy bound to
        // system:node-proxier; it only reads, and watches are not authorized here.
        Credentials::ClientCertificate {
            common_name: "system:kube-proxy".to_string(),
            organizations: Vec::new(),
        }
    }

    fn watches(&self) -> Vec<&'static str> {
        vec!["services", "endpointslices"]
    }

    fn observe(&mut self, event: &ObjectEvent) {
        if self.cache.apply(event) {
            self.pending = Some(Some(event.seq));
        }
    }

    fn reconcile(&mut self, _ctx: &mut Context) -> Reconcile {
        let Some(cause) = self.pending.take() else {
            return Reconcile::default();
        };
        let ports = service_ports(&self.cache.services(), &self.cache.slices());
        let rules = build_rules(&self.config, &ports);
        self.syncs += 1;
        let endpoints: usize = ports.iter().map(|p| p.usable_endpoints().len()).sum();
        let message = format!(
            "Syncing iptables rules: {} service ports, {} endpoints, {} nat rules, {} filter rules",
            ports.len(),
            endpoints,
            rules.nat.rules.len(),
            rules.filter.rules.len(),
        );
        let changed = rules != self.rules;
        self.rules = rules;
        let mut decision = Decision::new("SyncProxyRules", message);
        if !changed {
            decision.message.push_str(" (unchanged)");
        }
        decision.cause = cause;
        Reconcile {
            decisions: vec![decision],
            requeue_after: None,
            more: false,
            unfinished: false,
        }
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}

/// CoreDNS's `kubernetes` plugin: the records every query is answered from. Its name is
/// `coredns`.
#[derive(Clone, Debug, Default)]
pub struct CoreDns {
    cache: ServiceCache,
    dirty: bool,
    dns: ClusterDns,
}

impl CoreDns {
    pub fn new() -> Self {
        CoreDns::default()
    }

    /// The records as of the last change.
    pub fn dns(&self) -> &ClusterDns {
        &self.dns
    }
}

impl Component for CoreDns {
    fn name(&self) -> String {
        "coredns".to_string()
    }

    fn actor(&self) -> Actor {
        Actor::new("coredns", "master")
    }

    fn credentials(&self) -> Credentials {
        Credentials::ClientCertificate {
            common_name: "system:serviceaccount:kube-system:coredns".to_string(),
            organizations: Vec::new(),
        }
    }

    fn watches(&self) -> Vec<&'static str> {
        vec!["services", "endpointslices"]
    }

    fn observe(&mut self, event: &ObjectEvent) {
        self.dirty |= self.cache.apply(event);
    }

    fn reconcile(&mut self, _ctx: &mut Context) -> Reconcile {
        // The plugin answers from its cache; rebuilding it is not a decision worth a trace event.
        if std::mem::take(&mut self.dirty) {
            self.dns = ClusterDns::new(&self.cache.services(), &self.cache.slices());
        }
        Reconcile::default()
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(self)
    }
}

/// All the lab's networking components: a kube-proxy per VM and CoreDNS.
pub fn lab_components() -> Vec<Box<dyn Component>> {
    let mut out = KubeProxy::lab();
    out.push(Box::new(CoreDns::new()));
    out
}
