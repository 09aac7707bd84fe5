//! Requests across the cluster's network from the shell: `curl`, `nslookup` and `iptables-save`
//! on the master VM, and `kubectl exec POD -- curl|wget|nslookup|cat /etc/resolv.conf` inside a
//! pod.
//!
//! Mirrors: what these commands show on a kubeadm + flannel lab. From the VM, ClusterIPs and
//! NodePorts work (kube-proxy's rules are in the VM's `nat OUTPUT`), but Service names do not
//! resolve: the VM's `/etc/resolv.conf` points at the VirtualBox NAT resolver (10.0.2.3), not at
//! CoreDNS, so `curl web.default.svc.cluster.local` is `curl: (6) Could not resolve host`, while
//! `nslookup web.default.svc.cluster.local 10.96.0.10` (asking CoreDNS directly) answers. From a
//! pod, names go through CoreDNS with the pod's search path. The answer comes from the target
//! pod's app through its node's container runtime, the endpoint chosen by kube-proxy's rules with
//! the cluster's seeded RNG; every hop is recorded in the trace as a `Decision` whose actor is
//! the component and VM where it happens, each caused by the hop before, so the UI can animate
//! the packet.
//! Simplified: `kubectl exec` runs only these network commands (anything else falls through to
//! kubectl, which says it cannot exec yet); a timed-out connection does not make simulated time
//! pass; curl options other than `-s`, `-S`, `-v`, `-m/--max-time`, `-o /dev/null` are ignored;
//! no TLS (https URLs are sent as plain HTTP to port 443); the VM's /etc/hosts knows the three VMs.

use crate::sim::api::JsonPointer;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

use serde_json::Value;

use super::Output;
use crate::sim::cluster::{Cluster, NetworkParts};
use crate::sim::component::Lister;
use crate::sim::kubelet::Kubelet;
use crate::sim::network::components::{CoreDns, KubeProxy};
use crate::sim::network::dns::{ClusterDns, Lookup, ResolvConf};
use crate::sim::network::iptables::{Rule, Table};
use crate::sim::network::proxy::ProxyRules;
use crate::sim::network::route::{Delivery, Destination, Hop, Network, Outcome, Route, Source};
use crate::sim::network::{default_nodes, CLUSTER_DNS_IP};
use crate::sim::runtime::apps::HttpOutcome;
use crate::sim::trace::{Actor, Component, Seq, TraceKind};

/// The VM's resolver: VirtualBox's NAT DNS proxy, as Vagrant leaves `/etc/resolv.conf`.
pub const VM_NAMESERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 3);

/// Debian 12's curl, the one the lab's VMs and the nginx image carry.
const CURL_USER_AGENT: &str = "curl/7.88.1";
const WGET_USER_AGENT: &str = "Wget";

/// The commands this module answers on the VM.
pub const VM_COMMANDS: &[&str] = &["curl", "nslookup", "iptables-save", "iptables"];

/// Where a command runs: on a VM, or inside a pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    Vm(String),
    Pod {
        namespace: String,
        name: String,
        ip: Ipv4Addr,
        node: String,
        image: String,
    },
}

impl Place {
    fn vm(&self) -> &str {
        match self {
            Place::Vm(node) => node,
            Place::Pod { node, .. } => node,
        }
    }

    fn source(&self) -> Source {
        match self {
            Place::Vm(node) => Source::Vm { node: node.clone() },
            Place::Pod {
                namespace,
                ip,
                node,
                ..
            } => Source::Pod {
                ip: *ip,
                namespace: namespace.clone(),
                node: node.clone(),
            },
        }
    }

    fn describe(&self) -> String {
        match self {
            Place::Vm(node) => format!("VM {node}"),
            Place::Pod {
                namespace,
                name,
                ip,
                ..
            } => format!("pod {namespace}/{name} ({ip})"),
        }
    }
}

/// Runs one of [`VM_COMMANDS`] on the VM `node`.
pub fn run_on_vm(node: &str, name: &str, args: &[String], cluster: &mut Cluster) -> Output {
    let place = Place::Vm(node.to_string());
    match name {
        "curl" => curl(&place, args, cluster),
        "nslookup" => nslookup(&place, args, cluster),
        "iptables-save" => iptables_save(node, args, cluster, &TypedRules::default()),
        "iptables" => Output::fail(
            "iptables: only `iptables-save` is simulated here (try `iptables-save -t nat`)\n",
        ),
        _ => Output {
            stderr: format!("bash: {name}: command not found\n"),
            exit_code: 127,
            ..Output::default()
        },
    }
}

// ---- the network -----------------------------------------------------------------------------

/// What the running components know: each node's rules, CoreDNS's records (None when no CoreDNS
/// runs).
fn snapshot(parts: &NetworkParts) -> (BTreeMap<String, ProxyRules>, Option<ClusterDns>) {
    let mut rules = BTreeMap::new();
    let mut dns = None;
    for c in &parts.components {
        let Some(any) = c.as_any() else { continue };
        if let Some(proxy) = any.downcast_ref::<KubeProxy>() {
            rules.insert(proxy.node().to_string(), proxy.rules().clone());
        } else if let Some(core) = any.downcast_ref::<CoreDns>() {
            dns = Some(core.dns().clone());
        }
    }
    (rules, dns)
}

fn pod_at(lister: &Lister, ip: Ipv4Addr) -> Option<Value> {
    let ip = ip.to_string();
    lister.list("pods", None).into_iter().find(|p| {
        p.ptr("/status/podIP").and_then(Value::as_str) == Some(ip.as_str())
            && p.ptr("/spec/hostNetwork").and_then(Value::as_bool) != Some(true)
    })
}

fn text(v: &Value, pointer: &str) -> String {
    v.ptr(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// The VM CoreDNS answers from: the node of a Running `k8s-app=kube-dns` pod, else master.
fn coredns_vm(lister: &Lister) -> String {
    lister
        .list("pods", Some("kube-system"))
        .into_iter()
        .find(|p| {
            p.ptr("/metadata/labels/k8s-app").and_then(Value::as_str) == Some("kube-dns")
                && p.ptr("/status/phase").and_then(Value::as_str) == Some("Running")
        })
        .map(|p| text(&p, "/spec/nodeName"))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "master".to_string())
}

/// One traced step of a request.
struct Tracer<'a> {
    trace: &'a mut crate::sim::trace::Trace,
    now: u64,
    last: Option<Seq>,
}

impl Tracer<'_> {
    fn step(&mut self, component: Component, vm: &str, reason: &str, message: String) {
        self.last = Some(self.trace.record(
            self.now,
            Actor::of(component, vm),
            TraceKind::Decision {
                reason: reason.to_string(),
                message,
            },
            self.last,
        ));
    }
}

fn describe_hop(
    hop: &Hop,
    lister: &Lister,
    dns_vm: &str,
) -> (Component, String, &'static str, String) {
    match hop {
        Hop::DnsLookup {
            server,
            name,
            answer,
            ..
        } => {
            let message = match answer {
                Lookup::Found { fqdn, addresses } => {
                    let ips: Vec<String> = addresses.iter().map(|a| a.to_string()).collect();
                    format!("{server}: A {fqdn} → {}", ips.join(", "))
                }
                Lookup::NxDomain { tried } => {
                    format!("{server}: {name} NXDOMAIN (tried {})", tried.join(", "))
                }
            };
            (Component::CoreDns, dns_vm.to_string(), "DNSLookup", message)
        }
        Hop::Netfilter {
            node,
            table,
            hook,
            steps,
        } => {
            let rules: Vec<String> = steps
                .iter()
                .map(|s| match &s.random {
                    Some((p, hit)) => format!(
                        "{} [probability {p}: {}]",
                        s.rule,
                        if *hit { "matched" } else { "skipped" }
                    ),
                    None => s.rule.clone(),
                })
                .collect();
            (
                Component::Netfilter,
                node.clone(),
                "Netfilter",
                format!("{table} {hook}: {}", rules.join(" | ")),
            )
        }
        Hop::Dnat { node, from, to } => (
            Component::Netfilter,
            node.clone(),
            "DNAT",
            format!("{from} → {to}"),
        ),
        Hop::Masquerade { node, from, to } => (
            Component::Netfilter,
            node.clone(),
            "MASQUERADE",
            format!("source {from} → {to}"),
        ),
        Hop::Link {
            from_node,
            to_node,
            device,
            outer,
        } => {
            let mut message = format!("{from_node} → {to_node} via {device}");
            if let Some((a, b)) = outer {
                message.push_str(&format!(" (VXLAN UDP 8472, outer {a} → {b})"));
            }
            (Component::Network, from_node.clone(), "Forward", message)
        }
        Hop::Deliver { node, to } => {
            let who = pod_at(lister, *to.ip())
                .map(|p| {
                    format!(
                        " (pod {}/{})",
                        text(&p, "/metadata/namespace"),
                        text(&p, "/metadata/name")
                    )
                })
                .unwrap_or_default();
            (
                Component::Containerd,
                node.clone(),
                "Deliver",
                format!("{to}{who}"),
            )
        }
    }
}

/// Sends one HTTP GET and records its hops. Returns the route.
fn send(
    cluster: &mut Cluster,
    place: &Place,
    destination: &Destination,
    path: &str,
    user_agent: &str,
    command: &str,
) -> Route {
    let nodes = default_nodes();
    let parts = cluster.network_parts();
    let (rules, dns) = snapshot(&parts);
    let NetworkParts {
        store,
        trace,
        rng,
        now,
        cause,
        mut components,
    } = parts;
    let lister = Lister::new(store);
    let dns_vm = coredns_vm(&lister);
    let dns_running = dns.is_some();
    let dns = dns.unwrap_or_default();
    let network = Network {
        nodes: &nodes,
        rules: &rules,
        dns: &dns,
    };
    let client_ip = match place {
        Place::Vm(node) => nodes
            .iter()
            .find(|n| &n.name == node)
            .map(|n| n.ip)
            .unwrap_or(Ipv4Addr::LOCALHOST),
        Place::Pod { ip, .. } => *ip,
    }
    .to_string();
    let mut deliver = |node: &str, addr: SocketAddrV4| -> Delivery {
        for c in components.iter_mut() {
            let Some(kubelet) = c.as_any_mut().and_then(|a| a.downcast_mut::<Kubelet>()) else {
                continue;
            };
            if kubelet.node() != node {
                continue;
            }
            return match kubelet.serve_http(
                &addr.ip().to_string(),
                addr.port(),
                path,
                &client_ip,
                user_agent,
                now,
            ) {
                Some(HttpOutcome::Response { body, .. }) => Delivery::Answered(body),
                Some(HttpOutcome::NotHttp) => {
                    Delivery::Answered("curl: (1) Received HTTP/0.9 when not allowed\n".into())
                }
                Some(HttpOutcome::Refused) | None => Delivery::Refused,
            };
        }
        Delivery::Refused
    };
    let route = if !dns_running
        && matches!(place, Place::Pod { .. })
        && matches!(destination, Destination::Name { host, .. } if host.parse::<Ipv4Addr>().is_err())
    {
        // No CoreDNS: the resolver's queries go unanswered.
        let host = match destination {
            Destination::Name { host, .. } => host.clone(),
            Destination::Addr(a) => a.ip().to_string(),
        };
        Route {
            hops: Vec::new(),
            outcome: Outcome::Failed(format!("curl: (6) Could not resolve host: {host}")),
        }
    } else {
        network.request(&place.source(), destination, rng, &mut deliver)
    };
    let mut tracer = Tracer {
        trace,
        now,
        // The first step hangs off the shell's line.
        last: cause,
    };
    let vm = place.vm().to_string();
    // The client is the shell's program (curl, wget): the message names it, since the actor is
    // the terminal it runs from.
    tracer.step(
        Component::Shell,
        &vm,
        "Request",
        format!(
            "{command}: GET {} from {}",
            describe_destination(destination, path),
            place.describe()
        ),
    );
    for hop in &route.hops {
        let (component, hop_vm, reason, message) = describe_hop(hop, &lister, &dns_vm);
        tracer.step(component, &hop_vm, reason, message);
    }
    let message = match &route.outcome {
        Outcome::Answered { endpoint, body } => {
            format!("answered by {endpoint}: {} bytes", body.len())
        }
        Outcome::Failed(text) => text.clone(),
    };
    tracer.step(
        Component::Shell,
        &vm,
        "Response",
        format!("{command}: {message}"),
    );
    route
}

fn describe_destination(destination: &Destination, path: &str) -> String {
    match destination {
        Destination::Addr(a) => format!("http://{a}{path}"),
        Destination::Name { host, port } => format!("http://{host}:{port}{path}"),
    }
}

// ---- curl / wget -----------------------------------------------------------------------------

/// A URL as curl takes it: `[http://]host[:port][/path]`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Url {
    host: String,
    port: u16,
    path: String,
}

fn parse_url(raw: &str) -> Result<Url, (i32, String)> {
    let (default_port, rest) = if let Some(rest) = raw.strip_prefix("http://") {
        (80, rest)
    } else if let Some(rest) = raw.strip_prefix("https://") {
        (443, rest)
    } else if let Some((scheme, _)) = raw.split_once("://") {
        return Err((
            1,
            format!("curl: (1) Protocol \"{scheme}\" not supported or disabled in libcurl"),
        ));
    } else {
        (80, raw)
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => match p.parse::<u16>() {
            Ok(port) => (h, port),
            Err(_) => return Err((
                3,
                "curl: (3) URL rejected: Port number was not a decimal number between 0 and 65535"
                    .into(),
            )),
        },
        None => (authority, default_port),
    };
    if host.is_empty() {
        return Err((3, "curl: (3) URL rejected: No host part in the URL".into()));
    }
    Ok(Url {
        host: host.to_ascii_lowercase(),
        port,
        path,
    })
}

/// The destination a VM's resolver gives a host: an IP, `localhost`, or one of the three VMs from
/// `/etc/hosts`. Anything else is left as a name (which the VM cannot resolve).
fn destination_for(place: &Place, url: &Url) -> Destination {
    if let Ok(ip) = url.host.parse::<Ipv4Addr>() {
        return Destination::Addr(SocketAddrV4::new(ip, url.port));
    }
    if matches!(place, Place::Vm(_)) {
        if url.host == "localhost" {
            return Destination::Addr(SocketAddrV4::new(Ipv4Addr::LOCALHOST, url.port));
        }
        if let Some(n) = default_nodes().into_iter().find(|n| n.name == url.host) {
            return Destination::Addr(SocketAddrV4::new(n.ip, url.port));
        }
    }
    Destination::Name {
        host: url.host.clone(),
        port: url.port,
    }
}

/// curl's exit code is the number in its error text: `curl: (7) ...` exits 7.
fn curl_exit_code(text: &str) -> i32 {
    text.strip_prefix("curl: (")
        .and_then(|r| r.split_once(')'))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(1)
}

/// curl's one-letter options that take a value (`-o FILE`, `-oFILE`); the other letters in
/// [`CURL_FLAGS`] are switches. Any other character in `-...` is an unknown option, as in curl 7.
const CURL_VALUE_LETTERS: &str = "bcdemortuwxyzACDEFHKPQTUXY";
const CURL_FLAGS: &str = "afghijklnpqsvBGIJLMNORSVZ012346#:";
/// Long options that take the next word as their value.
const CURL_VALUE_LONGS: &[&str] = &[
    "--max-time",
    "--connect-timeout",
    "--output",
    "--header",
    "--request",
    "--write-out",
    "--user-agent",
    "--data",
    "--data-raw",
    "--data-binary",
    "--user",
    "--cookie",
    "--proxy",
    "--resolve",
    "--cacert",
    "--cert",
    "--key",
    "--retry",
    "--range",
    "--referer",
    "--form",
    "--upload-file",
    "--config",
    "--interface",
    "--unix-socket",
];

fn curl_usage_error(text: String) -> Output {
    Output {
        stderr: format!(
            "{text}\ncurl: try 'curl --help' or 'curl --manual' for more information\n"
        ),
        exit_code: 2,
        ..Output::default()
    }
}

fn curl(place: &Place, args: &[String], cluster: &mut Cluster) -> Output {
    let mut silent = false;
    let mut show_error = false;
    let mut discard = false;
    let mut max_time_seconds: Option<u64> = None;
    let mut url: Option<&str> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        // (option name, its value) for every option that takes one.
        let mut valued: Option<(char, &str)> = None;
        if let Some(long) = a.strip_prefix("--").filter(|l| !l.is_empty()) {
            if CURL_VALUE_LONGS.contains(&a) {
                let Some(value) = args.get(i + 1) else {
                    return curl_usage_error(format!("curl: option {a}: requires parameter"));
                };
                i += 1;
                let letter = match long {
                    "max-time" | "connect-timeout" => 'm',
                    "output" => 'o',
                    _ => '-',
                };
                valued = Some((letter, value.as_str()));
            }
            silent |= a == "--silent";
            show_error |= a == "--show-error";
        } else if a.starts_with('-') {
            // `-sS`, `-sSo /dev/null`: switches up to a letter that takes a value, which is the
            // rest of the word (`-oFILE`) or else the next word; `-` alone or `-n=x` is unknown.
            if a == "-" {
                return curl_usage_error(format!("curl: option {a}: is unknown"));
            }
            for (at, c) in a.char_indices().skip(1) {
                if CURL_VALUE_LETTERS.contains(c) {
                    let rest = &a[at + c.len_utf8()..];
                    let value = if !rest.is_empty() {
                        rest
                    } else if let Some(next) = args.get(i + 1) {
                        i += 1;
                        next.as_str()
                    } else {
                        return curl_usage_error(format!("curl: option {a}: requires parameter"));
                    };
                    valued = Some((c, value));
                    break;
                }
                if !CURL_FLAGS.contains(c) {
                    return curl_usage_error(format!("curl: option {a}: is unknown"));
                }
                silent |= c == 's';
                show_error |= c == 'S';
            }
        } else if url.is_none() {
            url = Some(a);
        }
        match valued {
            Some(('m', value)) => max_time_seconds = value.parse().ok(),
            Some(('o', value)) => discard = value == "/dev/null",
            _ => {}
        }
        i += 1;
    }
    let Some(raw) = url else {
        // Bare `curl` prints only the hint; with options but no URL it says so first.
        return if args.is_empty() {
            Output {
                stderr: "curl: try 'curl --help' or 'curl --manual' for more information\n".into(),
                exit_code: 2,
                ..Output::default()
            }
        } else {
            curl_usage_error("curl: no URL specified!".into())
        };
    };
    let fail = |code: i32, text: String| Output {
        stderr: if silent && !show_error {
            String::new()
        } else {
            format!("{text}\n")
        },
        exit_code: code,
        ..Output::default()
    };
    let url = match parse_url(raw) {
        Ok(u) => u,
        Err((code, text)) => return fail(code, text),
    };
    let destination = destination_for(place, &url);
    let route = send(
        cluster,
        place,
        &destination,
        &url.path,
        CURL_USER_AGENT,
        "curl",
    );
    match route.outcome {
        Outcome::Answered { body, .. } => Output::ok(if discard { String::new() } else { body }),
        Outcome::Failed(mut text) => {
            if let (Some(s), true) = (max_time_seconds, text.starts_with("curl: (28)")) {
                text = format!(
                    "curl: (28) Connection timed out after {} milliseconds",
                    s * 1000 + 1
                );
            }
            // curl names the host as typed: `localhost`, not the 127.0.0.1 it resolved to.
            if url.host == "localhost" {
                text = text.replacen("to 127.0.0.1 port", "to localhost port", 1);
            }
            fail(curl_exit_code(&text), text)
        }
    }
}

/// busybox `wget -qO- URL`, the usual way to fetch from a busybox pod.
fn wget(place: &Place, args: &[String], cluster: &mut Cluster) -> Output {
    let url = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .find(|a| a.as_str() != "-")
        .map(String::as_str);
    let quiet = args.iter().any(|a| a.starts_with('-') && a.contains('q'));
    let Some(raw) = url else {
        return Output::fail("BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[--no-check-certificate] [-P DIR] [-U AGENT] [-T SEC] URL...\n");
    };
    let url = match parse_url(raw) {
        Ok(u) => u,
        Err(_) => return Output::fail(format!("wget: bad address '{raw}'\n")),
    };
    let destination = destination_for(place, &url);
    let route = send(
        cluster,
        place,
        &destination,
        &url.path,
        WGET_USER_AGENT,
        "wget",
    );
    match route.outcome {
        Outcome::Answered { body, .. } => {
            let mut out = Output::ok(body);
            if !quiet {
                out.stderr = format!(
                    "Connecting to {}:{} ({}:{})\nwriting to stdout\n-                    100% |********************************|  0  0:00:00 ETA\nwritten to stdout\n",
                    url.host, url.port, url.host, url.port
                );
            }
            out
        }
        Outcome::Failed(text) => {
            let message = if text.starts_with("curl: (6)") {
                format!("wget: bad address '{}:{}'", url.host, url.port)
            } else if text.starts_with("curl: (28)") {
                "wget: download timed out".to_string()
            } else {
                format!(
                    "wget: can't connect to remote host ({}): Connection refused",
                    url.host
                )
            };
            Output::fail(format!("{message}\n"))
        }
    }
}

// ---- nslookup --------------------------------------------------------------------------------

fn nslookup(place: &Place, args: &[String], cluster: &mut Cluster) -> Output {
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let Some(name) = words.first().copied() else {
        return Output::fail("Usage: nslookup [-opt ...] name [server]\n");
    };
    let explicit_server = words.get(1).and_then(|s| s.parse::<Ipv4Addr>().ok());
    let parts = cluster.network_parts();
    let (_, dns) = snapshot(&parts);
    let NetworkParts {
        store,
        trace,
        now,
        cause,
        ..
    } = parts;
    let lister = Lister::new(store);
    let resolv = match (place, explicit_server) {
        (_, Some(server)) => ResolvConf {
            nameserver: server,
            search: match place {
                Place::Pod { namespace, .. } => ResolvConf::for_pod(namespace).search,
                Place::Vm(_) => Vec::new(),
            },
            ndots: 1,
        },
        (Place::Pod { namespace, .. }, None) => ResolvConf::for_pod(namespace),
        (Place::Vm(_), None) => ResolvConf {
            nameserver: VM_NAMESERVER,
            search: Vec::new(),
            ndots: 1,
        },
    };
    let server = resolv.nameserver;
    let mut tracer = Tracer {
        trace,
        now,
        // The first step hangs off the shell's line.
        last: cause,
    };
    tracer.step(
        Component::Shell,
        place.vm(),
        "Request",
        format!("nslookup: A {name}? to {server} from {}", place.describe()),
    );
    // CoreDNS answers only on its Service address (or a pod IP of its own, not modelled).
    let cluster_dns = match dns {
        Some(d) if server == CLUSTER_DNS_IP => d,
        Some(_) if server == VM_NAMESERVER => {
            // The VM's resolver knows nothing of cluster.local and has no upstream here.
            tracer.step(
                Component::Shell,
                place.vm(),
                "DNSLookup",
                format!("resolver {server}: {name} NXDOMAIN"),
            );
            return Output {
                stdout: format!(
                    "Server:\t\t{server}\nAddress:\t{server}#53\n\n** server can't find {name}: NXDOMAIN\n\n"
                ),
                exit_code: 1,
                ..Output::default()
            };
        }
        _ => {
            tracer.step(
                Component::Shell,
                place.vm(),
                "Response",
                format!("nslookup: {server}: no answer"),
            );
            return Output {
                stdout: ";; connection timed out; no servers could be reached\n\n".into(),
                exit_code: 1,
                ..Output::default()
            };
        }
    };
    let answer = cluster_dns.lookup(name, &resolv);
    let dns_vm = coredns_vm(&lister);
    let hop = Hop::DnsLookup {
        node: place.vm().to_string(),
        server,
        name: name.to_string(),
        answer: answer.clone(),
    };
    let (component, vm, reason, message) = describe_hop(&hop, &lister, &dns_vm);
    tracer.step(component, &vm, reason, message);
    let text = cluster_dns.nslookup(name, &resolv);
    Output {
        stdout: text,
        exit_code: if matches!(answer, Lookup::Found { .. }) {
            0
        } else {
            1
        },
        ..Output::default()
    }
}

// ---- iptables-save ---------------------------------------------------------------------------

/// `Sun Nov 22 03:54:21 2026`, as iptables-save stamps its output.
fn ctime(unix_seconds: i64) -> String {
    let rfc = crate::sim::clock::rfc3339_from_unix(unix_seconds);
    let days = unix_seconds.div_euclid(86_400);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let year = rfc.get(0..4).unwrap_or("1970");
    let month: usize = rfc.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    let day: u32 = rfc.get(8..10).and_then(|d| d.parse().ok()).unwrap_or(1);
    let hms = rfc.get(11..19).unwrap_or("00:00:00");
    let month = months
        .get(month.saturating_sub(1))
        .copied()
        .unwrap_or("Jan");
    format!("{weekday} {month} {day:>2} {hms} {year}")
}

/// The rules the node's running kube-proxy restored (empty tables when none runs).
pub fn node_rules(cluster: &mut Cluster, node: &str) -> ProxyRules {
    let parts = cluster.network_parts();
    snapshot(&parts).0.remove(node).unwrap_or(ProxyRules {
        filter: Table::filter(),
        nat: Table::nat(),
    })
}

/// Filter rules typed on a VM with `iptables -I|-A` (see `node_cmds.rs`), which iptables-save
/// lists with kube-proxy's: the kernel keeps one table, whoever wrote the rules.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TypedRules {
    /// `iptables -I`: ahead of the chain's other rules, the latest first.
    pub inserted: Vec<Rule>,
    /// `iptables -A`: after them, in the order typed.
    pub appended: Vec<Rule>,
}

impl TypedRules {
    pub fn is_empty(&self) -> bool {
        self.inserted.is_empty() && self.appended.is_empty()
    }

    /// `iptables -D`: removes the first rule equal to `rule`, in chain order. False when none is.
    pub fn delete(&mut self, rule: &Rule) -> bool {
        if let Some(i) = self.inserted.iter().position(|r| r == rule) {
            self.inserted.remove(i);
            return true;
        }
        if let Some(i) = self.appended.iter().position(|r| r == rule) {
            self.appended.remove(i);
            return true;
        }
        false
    }

    /// How many of the rules equal `rule`.
    pub fn count(&self, rule: &Rule) -> usize {
        self.inserted
            .iter()
            .chain(&self.appended)
            .filter(|r| *r == rule)
            .count()
    }
}

/// `iptables-save [-t TABLE]` on VM `node`: kube-proxy's tables, plus the filter rules typed there.
pub fn iptables_save(
    node: &str,
    args: &[String],
    cluster: &mut Cluster,
    typed: &TypedRules,
) -> Output {
    let mut table: Option<&str> = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-t" | "--table" => {
                table = args.get(i + 1).map(String::as_str);
                i += 2;
                continue;
            }
            a if a.starts_with("--table=") => table = a.strip_prefix("--table="),
            _ => {}
        }
        i += 1;
    }
    let mut rules = node_rules(cluster, node);
    for rule in typed.inserted.iter().rev() {
        rules.filter.insert_first(rule.clone());
    }
    for rule in &typed.appended {
        rules.filter.push(rule.clone());
    }
    let stamp = ctime(cluster.unix_seconds());
    let wrap = |t: &Table| {
        format!(
            "# Generated by iptables-save v1.8.9 (nf_tables) on {stamp}\n{}# Completed on {stamp}\n",
            t.render()
        )
    };
    match table {
        None => Output::ok(format!("{}{}", wrap(&rules.filter), wrap(&rules.nat))),
        Some("nat") => Output::ok(wrap(&rules.nat)),
        Some("filter") => Output::ok(wrap(&rules.filter)),
        Some(other) => Output::fail(format!(
            "iptables-save v1.8.9 (nf_tables): Table '{other}' does not exist\n"
        )),
    }
}

// ---- kubectl exec ----------------------------------------------------------------------------

const EXEC_COMMANDS: &[&str] = &["curl", "wget", "nslookup", "cat"];

/// `kubectl exec [-it] [-n NS] [-c C] POD -- CMD ...` for the network commands. None when the
/// line is not such an exec (kubectl then handles it).
pub fn kubectl_exec(args: &[String], cluster: &mut Cluster) -> Option<Output> {
    if args.first().map(String::as_str) != Some("exec") {
        return None;
    }
    let dash = args.iter().position(|a| a == "--")?;
    let (flags, command) = (&args[1..dash], &args[dash + 1..]);
    let program = command.first()?.as_str();
    let program = program.rsplit('/').next().unwrap_or(program);
    if !EXEC_COMMANDS.contains(&program) {
        return None;
    }
    if program == "cat" && command.get(1).map(String::as_str) != Some("/etc/resolv.conf") {
        return None;
    }
    let mut namespace = "default".to_string();
    let mut pod_name: Option<String> = None;
    let mut i = 0;
    while i < flags.len() {
        let f = flags[i].as_str();
        match f {
            "-n" | "--namespace" | "-c" | "--container" => {
                if f == "-n" || f == "--namespace" {
                    namespace = flags.get(i + 1)?.clone();
                }
                i += 2;
                continue;
            }
            _ if f.starts_with("--namespace=") => {
                namespace = f.trim_start_matches("--namespace=").to_string();
            }
            _ if f.starts_with('-') => {}
            _ => pod_name = Some(f.trim_start_matches("pod/").to_string()),
        }
        i += 1;
    }
    let Some(pod_name) = pod_name else {
        return Some(Output::fail(
            "error: expected 'exec POD_NAME COMMAND [ARG1] [ARG2] ... [ARGN]'.\nPOD_NAME and COMMAND are required arguments for the exec command\nSee 'kubectl exec -h' for help and examples\n",
        ));
    };
    let pod = {
        let parts = cluster.network_parts();
        Lister::new(parts.store).get("pods", Some(&namespace), &pod_name)
    };
    let Some(pod) = pod else {
        return Some(Output::fail(format!(
            "Error from server (NotFound): pods \"{pod_name}\" not found\n"
        )));
    };
    let phase = text(&pod, "/status/phase");
    let ip = text(&pod, "/status/podIP").parse::<Ipv4Addr>();
    let (Ok(ip), "Running") = (ip, phase.as_str()) else {
        if phase == "Succeeded" || phase == "Failed" {
            return Some(Output::fail(format!(
                "error: cannot exec into a container in a completed pod; current phase is {phase}\n"
            )));
        }
        return Some(Output::fail(format!(
            "error: unable to upgrade connection: container not found (\"{}\")\n",
            text(&pod, "/spec/containers/0/name")
        )));
    };
    let image = text(&pod, "/spec/containers/0/image");
    let place = Place::Pod {
        namespace: namespace.clone(),
        name: pod_name,
        ip,
        node: text(&pod, "/spec/nodeName"),
        image: image.clone(),
    };
    // busybox has wget and nslookup but no curl; the other images here are Debian-based.
    let busybox = image.contains("busybox") || image.contains("alpine");
    let mut out = match program {
        "curl" if busybox => Output {
            stderr: "OCI runtime exec failed: exec failed: unable to start container process: exec: \"curl\": executable file not found in $PATH: unknown\n".into(),
            exit_code: 126,
            ..Output::default()
        },
        "curl" => curl(&place, &command[1..], cluster),
        "wget" => wget(&place, &command[1..], cluster),
        "nslookup" => nslookup(&place, &command[1..], cluster),
        _ => Output::ok(ResolvConf::for_pod(&namespace).render()),
    };
    if out.exit_code != 0 {
        out.stderr.push_str(&format!(
            "command terminated with exit code {}\n",
            out.exit_code
        ));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split_as_curl_splits_them() {
        let u = parse_url("http://web.default.svc.cluster.local").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("web.default.svc.cluster.local", 80, "/")
        );
        let u = parse_url("10.96.1.2:8080/healthz").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("10.96.1.2", 8080, "/healthz")
        );
        assert_eq!(parse_url("http://:80").unwrap_err().0, 3);
        assert_eq!(parse_url("web:99999").unwrap_err().0, 3);
        assert_eq!(parse_url("ftp://x").unwrap_err().0, 1);
    }

    #[test]
    fn curl_refuses_options_it_does_not_know_as_curl_7_does() {
        let mut cluster = Cluster::new(1);
        let place = Place::Vm("master".into());
        let run = |cluster: &mut Cluster, line: &str| {
            let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
            curl(&place, &args, cluster)
        };
        let out = run(&mut cluster, "- -n=kube-system");
        assert_eq!(
            (out.stderr.as_str(), out.exit_code),
            ("curl: option -: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n", 2)
        );
        let out = run(&mut cluster, "-n=kube-system x");
        assert!(out
            .stderr
            .starts_with("curl: option -n=kube-system: is unknown\n"));
        let out = run(&mut cluster, "-Q x");
        assert!(
            out.stderr.starts_with("curl: no URL specified!\n"),
            "{}",
            out.stderr
        );
        let out = run(&mut cluster, "-sx");
        assert!(out
            .stderr
            .starts_with("curl: option -sx: requires parameter\n"));
        // A switch cluster ending in a value letter still reads the value from the next word.
        let out = run(&mut cluster, "-sSo /dev/null http://nowhere.invalid");
        assert_eq!(out.exit_code, 6);
        assert!(out.stderr.starts_with("curl: (6)"), "{}", out.stderr);
    }

    #[test]
    fn curl_exits_with_the_number_in_its_error() {
        assert_eq!(curl_exit_code("curl: (7) Failed to connect"), 7);
        assert_eq!(curl_exit_code("curl: (28) Failed"), 28);
        assert_eq!(curl_exit_code("other"), 1);
    }

    #[test]
    fn iptables_save_stamps_the_simulated_date() {
        assert_eq!(ctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(ctime(1_795_319_661), "Sun Nov 22 03:54:21 2026");
    }
}
