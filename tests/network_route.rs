//! Requests from pods and VMs to Services, routed through kube-proxy's rules; CoreDNS answers.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use kube_sandbox::sim::api::core_v1::EndpointSlice;
use kube_sandbox::sim::api::core_v1::Service;
use kube_sandbox::sim::network::dns::{ClusterDns, Lookup, ResolvConf};
use kube_sandbox::sim::network::fixtures::{service, slice};
use kube_sandbox::sim::network::proxy::{sync_proxy_rules, ProxyConfig, ProxyRules};
use kube_sandbox::sim::network::route::{Delivery, Destination, Hop, Network, Outcome, Source};
use kube_sandbox::sim::network::{default_nodes, NodeNet};
use kube_sandbox::sim::rng::Rng;

struct World {
    nodes: Vec<NodeNet>,
    rules: BTreeMap<String, ProxyRules>,
    dns: ClusterDns,
}

fn world() -> World {
    let services: Vec<Service> = vec![
        service("default", "web")
            .type_("NodePort")
            .cluster_ip("10.96.12.34")
            .named_port("", 80, 80, "TCP", Some(30080))
            .build(),
        service("default", "empty")
            .cluster_ip("10.96.0.20")
            .port(80)
            .build(),
        service("default", "db")
            .cluster_ip("None")
            .port(5432)
            .build(),
    ];
    let slices: Vec<EndpointSlice> = vec![
        slice("default", "web")
            .endpoint("10.244.1.5", "node1")
            .endpoint("10.244.2.6", "node2")
            .endpoint("10.244.1.7", "node1")
            .build(),
        slice("default", "db")
            .port("", 5432, "TCP")
            .endpoint("10.244.1.20", "node1")
            .hostname("db-0")
            .endpoint("10.244.2.21", "node2")
            .hostname("db-1")
            .build(),
    ];
    let nodes = default_nodes();
    let rules = nodes
        .iter()
        .map(|n| {
            (
                n.name.clone(),
                sync_proxy_rules(&ProxyConfig::kubeadm(&n.name), &services, &slices),
            )
        })
        .collect();
    World {
        nodes,
        rules,
        dns: ClusterDns::new(&services, &slices),
    }
}

fn pod_on_node1() -> Source {
    Source::Pod {
        ip: "10.244.1.9".parse().unwrap(),
        namespace: "default".into(),
        node: "node1".into(),
    }
}

fn echo(_node: &str, to: SocketAddrV4) -> Delivery {
    if to.port() == 80 || to.port() == 5432 {
        Delivery::Answered(format!("hello from {}", to.ip()))
    } else {
        Delivery::Refused
    }
}

fn addr(text: &str) -> Destination {
    Destination::Addr(text.parse().unwrap())
}

#[test]
fn cluster_dns_answers_services_headless_services_pods_and_nxdomain() {
    let w = world();
    let r = ResolvConf::for_pod("default");
    let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
    let found = |fqdn: &str, addrs: Vec<Ipv4Addr>| Lookup::Found {
        fqdn: fqdn.into(),
        addresses: addrs,
    };
    let table = [
        (
            "web",
            found("web.default.svc.cluster.local", vec![ip("10.96.12.34")]),
        ),
        (
            "web.default",
            found("web.default.svc.cluster.local", vec![ip("10.96.12.34")]),
        ),
        (
            "web.default.svc",
            found("web.default.svc.cluster.local", vec![ip("10.96.12.34")]),
        ),
        (
            "WEB.default.svc.cluster.local.",
            found("WEB.default.svc.cluster.local", vec![ip("10.96.12.34")]),
        ),
        (
            "db",
            found(
                "db.default.svc.cluster.local",
                vec![ip("10.244.1.20"), ip("10.244.2.21")],
            ),
        ),
        (
            "db-1.db",
            found("db-1.db.default.svc.cluster.local", vec![ip("10.244.2.21")]),
        ),
        (
            "10-244-1-5.default.pod.cluster.local",
            found(
                "10-244-1-5.default.pod.cluster.local",
                vec![ip("10.244.1.5")],
            ),
        ),
        (
            "empty",
            found("empty.default.svc.cluster.local", vec![ip("10.96.0.20")]),
        ),
    ];
    for (name, want) in table {
        assert_eq!(w.dns.lookup(name, &r), want, "{name}");
    }
    for bad in [
        "nosuch",
        "web.other",
        "",
        "..",
        "google.com",
        "999-1-1-1.default.pod.cluster.local",
        "\u{1F600}",
    ] {
        assert!(
            matches!(w.dns.lookup(bad, &r), Lookup::NxDomain { .. }),
            "{bad:?}"
        );
    }
}

#[test]
fn nslookup_prints_as_bind_nslookup_does() {
    let w = world();
    let r = ResolvConf::for_pod("default");
    assert_eq!(
        w.dns.nslookup("web", &r),
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tweb.default.svc.cluster.local\nAddress: 10.96.12.34\n\n"
    );
    assert_eq!(
        w.dns.nslookup("nosuch", &r),
        "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\n** server can't find nosuch: NXDOMAIN\n\n"
    );
}

#[test]
fn ten_thousand_seeded_requests_spread_evenly_over_three_endpoints() {
    let w = world();
    let net = Network {
        nodes: &w.nodes,
        rules: &w.rules,
        dns: &w.dns,
    };
    let run = |seed| {
        let mut rng = Rng::new(seed);
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        for _ in 0..10_000 {
            let route = net.request(
                &pod_on_node1(),
                &addr("10.96.12.34:80"),
                &mut rng,
                &mut echo,
            );
            match route.outcome {
                Outcome::Answered { endpoint, .. } => {
                    *counts.entry(endpoint.to_string()).or_default() += 1
                }
                Outcome::Failed(e) => panic!("{e}"),
            }
        }
        counts
    };
    let counts = run(2025);
    assert_eq!(counts.len(), 3, "{counts:?}");
    for (endpoint, n) in &counts {
        // 1/3 each; 3,333 ± 200 is more than six standard deviations (σ ≈ 47).
        assert!(
            (3_133..=3_533).contains(n),
            "{endpoint}: {n} of 10000 ({counts:?})"
        );
    }
    eprintln!("seed 2025: {counts:?}");
    assert_eq!(counts, run(2025), "the same seed routes the same way");
    assert_ne!(counts, run(7));
}

#[test]
fn a_request_by_name_crosses_nodes_over_the_flannel_overlay_when_the_pod_is_elsewhere() {
    let w = world();
    let net = Network {
        nodes: &w.nodes,
        rules: &w.rules,
        dns: &w.dns,
    };
    let mut rng = Rng::new(1);
    // Draw until kube-proxy on node1 picks the endpoint on node2.
    let route = (0..100)
        .map(|_| net.request(&pod_on_node1(), &Destination::Name { host: "web".into(), port: 80 }, &mut rng, &mut echo))
        .find(|r| matches!(&r.outcome, Outcome::Answered { endpoint, .. } if endpoint.to_string() == "10.244.2.6:80"))
        .expect("some request reaches node2");
    assert!(matches!(&route.hops[0], Hop::DnsLookup { node, .. } if node == "node1"));
    assert!(route.hops.iter().any(|h| matches!(h, Hop::Netfilter { table, steps, .. } if table == "nat" && steps.iter().any(|s| s.chain.starts_with("KUBE-SVC-")))));
    assert!(route
        .hops
        .iter()
        .any(|h| matches!(h, Hop::Dnat { to, .. } if to.to_string() == "10.244.2.6:80")));
    let overlay = route.hops.iter().find_map(|h| match h {
        Hop::Link {
            device,
            outer,
            to_node,
            ..
        } if device == "flannel.1" => Some((to_node.clone(), *outer)),
        _ => None,
    });
    assert_eq!(
        overlay,
        Some((
            "node2".to_string(),
            Some((
                "172.16.20.12".parse().unwrap(),
                "172.16.20.13".parse().unwrap()
            ))
        ))
    );
    assert!(matches!(route.hops.last(), Some(Hop::Deliver { node, .. }) if node == "node2"));
}

#[test]
fn a_node_port_on_another_vm_is_dnatted_there_and_masqueraded() {
    let w = world();
    let net = Network {
        nodes: &w.nodes,
        rules: &w.rules,
        dns: &w.dns,
    };
    let mut rng = Rng::new(3);
    let route = net.request(
        &Source::Vm {
            node: "master".into(),
        },
        &addr("172.16.20.13:30080"),
        &mut rng,
        &mut echo,
    );
    assert!(
        matches!(route.outcome, Outcome::Answered { .. }),
        "{route:?}"
    );
    assert!(route.hops.iter().any(|h| matches!(h, Hop::Netfilter { node, steps, .. } if node == "node2" && steps.iter().any(|s| s.chain == "KUBE-NODEPORTS"))));
    assert!(route
        .hops
        .iter()
        .any(|h| matches!(h, Hop::Dnat { node, .. } if node == "node2")));
}

#[test]
fn failures_read_as_curl_prints_them() {
    let w = world();
    let net = Network {
        nodes: &w.nodes,
        rules: &w.rules,
        dns: &w.dns,
    };
    let mut rng = Rng::new(5);
    let vm = Source::Vm {
        node: "node1".into(),
    };
    let table = [
        (pod_on_node1(), addr("10.96.0.20:80"), "curl: (7) Failed to connect to 10.96.0.20 port 80 after 0 ms: Couldn't connect to server"),
        (vm.clone(), addr("10.96.0.20:80"), "curl: (7) Failed to connect to 10.96.0.20 port 80 after 0 ms: Couldn't connect to server"),
        (pod_on_node1(), Destination::Name { host: "nosuch".into(), port: 80 }, "curl: (6) Could not resolve host: nosuch"),
        (vm.clone(), Destination::Name { host: "web".into(), port: 80 }, "curl: (6) Could not resolve host: web"),
        (pod_on_node1(), addr("10.96.99.99:80"), "curl: (28) Failed to connect to 10.96.99.99 port 80 after 127000 ms: Couldn't connect to server"),
        (pod_on_node1(), addr("10.244.2.6:81"), "curl: (7) Failed to connect to 10.244.2.6 port 81 after 0 ms: Couldn't connect to server"),
    ];
    for (source, destination, want) in table {
        let route = net.request(&source, &destination, &mut rng, &mut echo);
        assert_eq!(
            route.outcome,
            Outcome::Failed(want.into()),
            "{destination:?}: {:?}",
            route.hops
        );
    }
    // The REJECT is shown as the filter rule kube-proxy wrote.
    let route = net.request(&pod_on_node1(), &addr("10.96.0.20:80"), &mut rng, &mut echo);
    assert!(route.hops.iter().any(|h| matches!(h, Hop::Netfilter { table, steps, .. } if table == "filter" && steps.iter().any(|s| s.rule.contains("default/empty has no endpoints")))));
}
