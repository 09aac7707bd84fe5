//! Services wired into the running lab: the apiserver's address allocation, kube-proxy's rules,
//! CoreDNS, the LoadBalancer controller, and requests from the shell through them to the pods.

use std::collections::BTreeMap;

use kube_sandbox::sim::clock::TICKS_PER_SECOND;
use kube_sandbox::sim::cluster::Cluster;
use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;
use kube_sandbox::sim::trace::TraceKind;

fn service(name: &str, app: &str, extra_spec: &str, port_extra: &str) -> String {
    format!(
        "kubectl apply -f - <<EOF
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
{extra_spec}  selector:
    app: {app}
  ports:
  - port: 80
    targetPort: 8080
{port_extra}EOF"
    )
}

fn boot(seed: u64) -> Shell<Cluster> {
    Shell::new(Lab::boot(seed).cluster)
}

fn run_ok(shell: &mut Shell<Cluster>, line: &str) -> String {
    let out = shell.run_line(line);
    assert_eq!(out.exit_code, 0, "{line}\n{}{}", out.stdout, out.stderr);
    out.stdout
}

fn lab_with_kubia(seed: u64) -> Shell<Cluster> {
    let mut shell = boot(seed);
    run_ok(
        &mut shell,
        "kubectl create deployment kubia --image=luksa/kubia --replicas=3",
    );
    let out = run_ok(&mut shell, &service("kubia", "kubia", "", ""));
    assert_eq!(out, "service/kubia created\n");
    shell.run_line("sleep 60");
    shell
}

/// A column of `kubectl get svc NAME`: 2 = CLUSTER-IP, 3 = EXTERNAL-IP, 4 = PORT(S).
fn svc_column(shell: &mut Shell<Cluster>, name: &str, column: usize) -> String {
    let out = run_ok(shell, &format!("kubectl get svc {name} --no-headers"));
    out.split_whitespace().nth(column).unwrap_or("").to_string()
}

fn pod_names(shell: &mut Shell<Cluster>, prefix: &str) -> Vec<String> {
    run_ok(shell, "kubectl get pods -o name")
        .lines()
        .map(|l| l.trim_start_matches("pod/").to_string())
        .filter(|n| n.starts_with(prefix))
        .collect()
}

fn thirty_curls(seed: u64) -> Vec<String> {
    let mut shell = lab_with_kubia(seed);
    let ip = svc_column(&mut shell, "kubia", 2);
    (0..30)
        .map(|_| run_ok(&mut shell, &format!("curl -s http://{ip}")))
        .collect()
}

#[test]
fn thirty_curls_to_a_cluster_ip_reach_every_one_of_three_pods_the_same_way_per_seed() {
    let answers = thirty_curls(7);
    let mut hits: BTreeMap<String, usize> = BTreeMap::new();
    for a in &answers {
        let pod = a
            .strip_prefix("You've hit ")
            .unwrap_or_else(|| panic!("not kubia's answer: {a:?}"));
        *hits.entry(pod.trim().to_string()).or_default() += 1;
    }
    assert_eq!(hits.len(), 3, "{hits:?}");
    assert!(hits.values().all(|n| *n >= 1), "{hits:?}");
    println!("30 curls over 3 pods: {hits:?}");
    assert_eq!(answers, thirty_curls(7), "same seed, same endpoints");
}

#[test]
fn each_request_is_traced_hop_by_hop_from_curl_to_the_pod() {
    let mut shell = lab_with_kubia(3);
    let ip = svc_column(&mut shell, "kubia", 2);
    let start = shell.backend().trace().len();
    run_ok(&mut shell, &format!("curl {ip}"));
    let events = shell.backend().trace().events().tail(start);
    let hops: Vec<(String, String, String)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::Decision { reason, .. } => Some((
                e.actor.component.to_string(),
                e.actor.vm.clone(),
                reason.clone(),
            )),
            _ => None,
        })
        .collect();
    let reasons: Vec<&str> = hops.iter().map(|h| h.2.as_str()).collect();
    assert_eq!(reasons.first(), Some(&"Request"));
    assert_eq!(reasons.last(), Some(&"Response"));
    assert!(reasons.contains(&"DNAT"), "{reasons:?}");
    assert!(reasons.contains(&"Deliver"), "{reasons:?}");
    // curl runs in the student's terminal; the message names the program.
    assert_eq!(hops[0].0, "shell");
    assert_eq!(hops[0].1, "master");
    let dnat = hops.iter().find(|h| h.2 == "DNAT").unwrap();
    assert_eq!((dnat.0.as_str(), dnat.1.as_str()), ("netfilter", "master"));
    // Each hop is caused by the one before it, so the UI can draw the path.
    let decisions: Vec<_> = events
        .iter()
        .filter(|e| matches!(e.kind, TraceKind::Decision { .. }))
        .collect();
    for pair in decisions.windows(2) {
        assert_eq!(pair[1].cause, Some(pair[0].seq));
    }
}

#[test]
fn a_node_port_answers_on_every_node_ip() {
    let mut shell = lab_with_kubia(2);
    let out = run_ok(
        &mut shell,
        &service(
            "kubia-np",
            "kubia",
            "  type: NodePort\n",
            "    nodePort: 30080\n",
        ),
    );
    assert_eq!(out, "service/kubia-np created\n");
    assert_eq!(svc_column(&mut shell, "kubia-np", 4), "80:30080/TCP");
    for node_ip in ["172.16.20.11", "172.16.20.12", "172.16.20.13"] {
        let out = run_ok(&mut shell, &format!("curl -s {node_ip}:30080"));
        assert!(out.starts_with("You've hit kubia-"), "{node_ip}: {out}");
    }
    // A port nobody opened is refused by the node itself.
    let out = shell.run_line("curl 172.16.20.12:30081");
    assert_eq!(out.exit_code, 7, "{out:?}");
}

#[test]
fn a_service_with_no_ready_endpoints_is_refused_at_once() {
    let mut shell = boot(4);
    run_ok(&mut shell, &service("nothing", "nobody", "", ""));
    let ip = svc_column(&mut shell, "nothing", 2);
    let out = shell.run_line(&format!("curl {ip}"));
    assert_eq!(
        out.stderr,
        format!(
            "curl: (7) Failed to connect to {ip} port 80 after 0 ms: Couldn't connect to server\n"
        )
    );
    assert_eq!(out.exit_code, 7);
    let rules = run_ok(&mut shell, "iptables-save -t filter");
    assert!(
        rules.contains("\"default/nothing has no endpoints\""),
        "{rules}"
    );
}

#[test]
fn names_resolve_inside_pods_but_not_on_the_vm() {
    let mut shell = lab_with_kubia(5);
    let ip = svc_column(&mut shell, "kubia", 2);
    let pod = pod_names(&mut shell, "kubia-").remove(0);
    let out = run_ok(&mut shell, &format!("kubectl exec {pod} -- nslookup kubia"));
    assert_eq!(
        out,
        format!(
            "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tkubia.default.svc.cluster.local\nAddress: {ip}\n\n"
        )
    );
    let out = run_ok(&mut shell, &format!("kubectl exec {pod} -- curl -s kubia"));
    assert!(out.starts_with("You've hit kubia-"), "{out}");
    let out = run_ok(
        &mut shell,
        &format!("kubectl exec {pod} -- cat /etc/resolv.conf"),
    );
    assert_eq!(
        out,
        "search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n"
    );
    // The VM asks its own resolver, which knows nothing of cluster.local.
    let out = shell.run_line("curl http://kubia.default.svc.cluster.local");
    assert_eq!(
        (out.stderr.as_str(), out.exit_code),
        (
            "curl: (6) Could not resolve host: kubia.default.svc.cluster.local\n",
            6
        )
    );
    let out = shell.run_line("nslookup kubia.default.svc.cluster.local");
    assert_eq!(out.exit_code, 1);
    assert!(out.stdout.contains("NXDOMAIN"), "{}", out.stdout);
    // Asking CoreDNS directly works from the VM too.
    let out = run_ok(
        &mut shell,
        "nslookup kubia.default.svc.cluster.local 10.96.0.10",
    );
    assert!(out.contains(&format!("Address: {ip}")), "{out}");
    let out = shell.run_line(&format!("kubectl exec {pod} -- nslookup nope"));
    assert_eq!(out.exit_code, 1);
    assert!(
        out.stdout.contains("** server can't find nope: NXDOMAIN"),
        "{}",
        out.stdout
    );
    assert_eq!(out.stderr, "command terminated with exit code 1\n");
}

#[test]
fn a_load_balancer_is_pending_then_gets_an_address_from_the_pool() {
    let mut shell = lab_with_kubia(6);
    // Settle for one simulated second only, so the provider's delay is visible.
    shell.set_settle_ticks(TICKS_PER_SECOND);
    run_ok(
        &mut shell,
        &service("kubia-lb", "kubia", "  type: LoadBalancer\n", ""),
    );
    assert_eq!(svc_column(&mut shell, "kubia-lb", 3), "<pending>");
    shell.run_line("sleep 5");
    assert_eq!(svc_column(&mut shell, "kubia-lb", 3), "172.16.20.200");
    let ports = svc_column(&mut shell, "kubia-lb", 4);
    assert!(ports.starts_with("80:3"), "{ports}");
    let out = run_ok(&mut shell, "curl -s 172.16.20.200");
    assert!(out.starts_with("You've hit kubia-"), "{out}");
    // The next one gets the next address; a deleted one gives its address back.
    run_ok(
        &mut shell,
        &service("lb2", "kubia", "  type: LoadBalancer\n", ""),
    );
    shell.run_line("sleep 5");
    assert_eq!(svc_column(&mut shell, "lb2", 3), "172.16.20.201");
    run_ok(&mut shell, "kubectl delete svc kubia-lb");
    run_ok(
        &mut shell,
        &service("lb3", "kubia", "  type: LoadBalancer\n", ""),
    );
    shell.run_line("sleep 5");
    assert_eq!(svc_column(&mut shell, "lb3", 3), "172.16.20.200");
    let events = run_ok(&mut shell, "kubectl get events --no-headers");
    assert!(events.contains("EnsuredLoadBalancer"), "{events}");
}

#[test]
fn a_cluster_ip_is_allocated_honoured_refused_and_immutable() {
    let mut shell = boot(8);
    run_ok(
        &mut shell,
        &service("a", "a", "  clusterIP: 10.96.100.100\n", ""),
    );
    assert_eq!(svc_column(&mut shell, "a", 2), "10.96.100.100");
    let noted = shell.backend().trace().events().iter().any(|e| {
        matches!(&e.kind, TraceKind::ApiStage { detail, passed: true, .. }
            if detail == "valid; allocated clusterIP 10.96.100.100")
    });
    assert!(
        noted,
        "the allocation is visible in the apiserver's Validation stage"
    );
    let out = shell.run_line(&service("b", "b", "  clusterIP: 10.96.100.100\n", ""));
    assert_eq!(
        out.stderr,
        "The Service \"b\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.100.100\"}: failed to allocate IP 10.96.100.100: provided IP is already allocated\n"
    );
    let out = shell.run_line(&service("c", "c", "  clusterIP: 10.0.0.1\n", ""));
    assert!(
        out.stderr
            .contains("The range of valid IPs is 10.96.0.0/12"),
        "{}",
        out.stderr
    );
    // Automatic addresses come from the upper band of 10.96.0.0/12.
    run_ok(&mut shell, &service("d", "d", "", ""));
    let auto = svc_column(&mut shell, "d", 2);
    assert!(auto.starts_with("10.") && auto != "10.96.100.100", "{auto}");
    // Applying the same manifest again keeps the address; changing it is refused.
    run_ok(&mut shell, &service("d", "d", "", ""));
    assert_eq!(svc_column(&mut shell, "d", 2), auto);
    let out = shell.run_line(&service("a", "a", "  clusterIP: 10.96.100.101\n", ""));
    assert!(
        out.stderr.contains(
            "spec.clusterIPs[0]: Invalid value: \"10.96.100.101\": may not change once set"
        ),
        "{}",
        out.stderr
    );
    // A deleted Service's address is free again.
    run_ok(&mut shell, "kubectl delete svc a");
    run_ok(
        &mut shell,
        &service("b", "b", "  clusterIP: 10.96.100.100\n", ""),
    );
    assert_eq!(svc_column(&mut shell, "b", 2), "10.96.100.100");
}

#[test]
fn kube_proxy_traces_each_sync_with_its_counts() {
    let shell = lab_with_kubia(9);
    let syncs: Vec<String> = shell
        .backend()
        .trace()
        .events()
        .iter()
        .filter(|e| e.actor.component == "kube-proxy" && e.actor.vm == "node1")
        .filter_map(|e| match &e.kind {
            TraceKind::Decision { reason, message } if reason == "SyncProxyRules" => {
                Some(message.clone())
            }
            _ => None,
        })
        .collect();
    // "Syncing iptables rules: P service ports, E endpoints, ...": the add-ons' Services come
    // first; the kubia Service then adds one service port, and its three pods three endpoints.
    let counts: Vec<(u32, u32)> = syncs
        .iter()
        .filter_map(|m| {
            let rest = m.strip_prefix("Syncing iptables rules: ")?;
            let mut words = rest.split_whitespace();
            let ports = words.next()?.parse().ok()?;
            let endpoints = words.nth(2)?.parse().ok()?;
            Some((ports, endpoints))
        })
        .collect();
    assert_eq!(counts.len(), syncs.len(), "{syncs:#?}");
    let &(ports, endpoints) = counts.last().expect("kube-proxy synced");
    assert!(counts.contains(&(ports - 1, endpoints - 3)), "{syncs:#?}");
}
