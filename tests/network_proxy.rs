//! kube-proxy's rules for a NodePort Service with three endpoints and a Service with none,
//! checked line by line against what `iptables-save` prints on a kubeadm node.

use kube_sandbox::sim::network::fixtures::{service, slice};
use kube_sandbox::sim::network::proxy::{
    probability, service_ports, sync_proxy_rules, ProxyConfig,
};
use serde_json::json;

fn web_three_endpoints() -> (
    Vec<kube_sandbox::sim::api::core_v1::Service>,
    Vec<kube_sandbox::sim::api::core_v1::EndpointSlice>,
) {
    let web = service("default", "web")
        .type_("NodePort")
        .cluster_ip("10.96.12.34")
        .named_port("", 80, 80, "TCP", Some(30080))
        .build();
    let empty = service("default", "empty")
        .cluster_ip("10.96.0.20")
        .port(80)
        .build();
    let slice = slice("default", "web")
        .endpoint("10.244.1.5", "node1")
        .endpoint("10.244.2.6", "node2")
        .endpoint("10.244.1.7", "node1")
        .build();
    (vec![web, empty], vec![slice])
}

const NAT_GOLDEN: &str = r#"*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-EXT-LOLE4ISW44XBNF3G - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-3BXOQLMOWG4452TJ - [0:0]
:KUBE-SEP-77YT4VVOJLTS77WQ - [0:0]
:KUBE-SEP-YUPMFTK3IHSQP2LT - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-LOLE4ISW44XBNF3G - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-EXT-LOLE4ISW44XBNF3G -m comment --comment "masquerade traffic for default/web external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-LOLE4ISW44XBNF3G -j KUBE-SVC-LOLE4ISW44XBNF3G
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web" -m tcp --dport 30080 -j KUBE-EXT-LOLE4ISW44XBNF3G
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SEP-3BXOQLMOWG4452TJ -s 10.244.1.5/32 -m comment --comment "default/web" -j KUBE-MARK-MASQ
-A KUBE-SEP-3BXOQLMOWG4452TJ -p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination 10.244.1.5:80
-A KUBE-SEP-77YT4VVOJLTS77WQ -s 10.244.1.7/32 -m comment --comment "default/web" -j KUBE-MARK-MASQ
-A KUBE-SEP-77YT4VVOJLTS77WQ -p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination 10.244.1.7:80
-A KUBE-SEP-YUPMFTK3IHSQP2LT -s 10.244.2.6/32 -m comment --comment "default/web" -j KUBE-MARK-MASQ
-A KUBE-SEP-YUPMFTK3IHSQP2LT -p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination 10.244.2.6:80
-A KUBE-SERVICES -d 10.96.12.34/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-SVC-LOLE4ISW44XBNF3G
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-LOLE4ISW44XBNF3G ! -s 10.244.0.0/16 -d 10.96.12.34/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-LOLE4ISW44XBNF3G -m comment --comment "default/web -> 10.244.1.5:80" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-3BXOQLMOWG4452TJ
-A KUBE-SVC-LOLE4ISW44XBNF3G -m comment --comment "default/web -> 10.244.1.7:80" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-77YT4VVOJLTS77WQ
-A KUBE-SVC-LOLE4ISW44XBNF3G -m comment --comment "default/web -> 10.244.2.6:80" -j KUBE-SEP-YUPMFTK3IHSQP2LT
COMMIT
"#;

#[test]
fn a_three_endpoint_node_port_service_renders_as_iptables_save_prints_it() {
    let (services, slices) = web_three_endpoints();
    let rules = sync_proxy_rules(&ProxyConfig::kubeadm("node1"), &services, &slices);
    let got = rules.render_nat();
    for (i, (g, w)) in got.lines().zip(NAT_GOLDEN.lines()).enumerate() {
        assert_eq!(g, w, "line {}", i + 1);
    }
    assert_eq!(got.lines().count(), NAT_GOLDEN.lines().count());
}

#[test]
fn a_service_without_endpoints_gets_a_reject_rule_and_no_nat_chains() {
    let (services, slices) = web_three_endpoints();
    let rules = sync_proxy_rules(&ProxyConfig::kubeadm("node1"), &services, &slices);
    assert!(rules.render_filter().contains(
        "-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment \"default/empty has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable"
    ));
    assert!(!rules.render_nat().contains("default/empty"));
}

#[test]
fn the_probability_sequence_is_one_over_n_minus_i() {
    let table = [(3, 0.3333333333), (2, 0.5), (1, 1.0), (4, 0.25)];
    for (n, want) in table {
        assert_eq!(probability(n), want, "n = {n}");
    }
    let (services, slices) = web_three_endpoints();
    let nat = sync_proxy_rules(&ProxyConfig::kubeadm("node1"), &services, &slices).render_nat();
    let seen: Vec<&str> = nat
        .lines()
        .filter(|l| l.starts_with("-A KUBE-SVC-") && l.contains("-> "))
        .map(|l| {
            l.split("--probability ")
                .nth(1)
                .map(|r| &r[..13])
                .unwrap_or("(always)")
        })
        .collect();
    assert_eq!(seen, ["0.33333333349", "0.50000000000", "(always)"]);
}

#[test]
fn endpoints_are_ordered_as_text_and_merged_across_slices() {
    let web = service("default", "web")
        .cluster_ip("10.96.12.34")
        .port(80)
        .build();
    let a = slice("default", "web")
        .endpoint("10.244.1.10", "node1")
        .endpoint("10.244.1.9", "node1")
        .build();
    let b = slice("default", "web")
        .endpoint("10.244.1.9", "node1")
        .build();
    let ports = service_ports(&[web], &[a, b]);
    let addrs: Vec<String> = ports[0]
        .endpoints
        .iter()
        .map(|e| e.addr.to_string())
        .collect();
    // "10.244.1.10:80" sorts before "10.244.1.9:80" as text, as kube-proxy sorts them.
    assert_eq!(addrs, ["10.244.1.10:80", "10.244.1.9:80"]);
}

#[test]
fn only_ready_endpoints_are_used_and_terminating_ones_only_when_nothing_is_ready() {
    let web = || {
        service("default", "web")
            .cluster_ip("10.96.12.34")
            .port(80)
            .build()
    };
    let not_ready = json!({"ready": false, "serving": false, "terminating": false});
    let draining = json!({"ready": false, "serving": true, "terminating": true});
    let table = [
        (
            vec![
                ("10.244.1.5", json!({"ready": true})),
                ("10.244.1.6", not_ready.clone()),
            ],
            vec!["10.244.1.5:80"],
        ),
        (
            vec![("10.244.1.5", draining.clone()), ("10.244.1.6", json!({}))],
            vec!["10.244.1.6:80"],
        ),
        (
            vec![
                ("10.244.1.5", draining.clone()),
                ("10.244.1.6", not_ready.clone()),
            ],
            vec!["10.244.1.5:80"],
        ),
        (vec![("10.244.1.6", not_ready.clone())], vec![]),
    ];
    for (endpoints, want) in table {
        let mut s = slice("default", "web");
        for (ip, conditions) in &endpoints {
            s = s.endpoint_with(ip, "node1", conditions.clone());
        }
        let ports = service_ports(&[web()], &[s.build()]);
        let got: Vec<String> = ports[0]
            .usable_endpoints()
            .iter()
            .map(|e| e.addr.to_string())
            .collect();
        assert_eq!(got, want, "{endpoints:?}");
    }
}

#[test]
fn headless_and_external_name_services_are_not_proxied() {
    let headless = service("default", "db")
        .cluster_ip("None")
        .port(5432)
        .build();
    let external = service("default", "ext")
        .type_("ExternalName")
        .port(80)
        .build();
    let garbage = service("default", "bad")
        .cluster_ip("not-an-ip")
        .port(80)
        .build();
    assert!(service_ports(&[headless, external, garbage], &[]).is_empty());
}

#[test]
fn the_kubernetes_service_gets_the_chain_name_every_kubeadm_cluster_has() {
    let kubernetes = service("default", "kubernetes")
        .cluster_ip("10.96.0.1")
        .named_port("https", 443, 6443, "TCP", None)
        .build();
    let s = slice("default", "kubernetes")
        .port("https", 6443, "TCP")
        .endpoint("172.16.20.11", "master")
        .build();
    let nat = sync_proxy_rules(&ProxyConfig::kubeadm("node1"), &[kubernetes], &[s]).render_nat();
    assert!(nat.contains("-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment \"default/kubernetes:https cluster IP\" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y"), "{nat}");
    assert!(nat.contains("-j DNAT --to-destination 172.16.20.11:6443"));
}
