//! kubectl's node and access verbs on the booted lab: cordon, uncordon, drain, taint,
//! port-forward (then curl through it), auth can-i, cluster-info and api-versions.
#![cfg(not(target_arch = "wasm32"))]

use kube_sandbox::sim::apiserver::{ApiRequest, Credentials, Verb};
use kube_sandbox::sim::kubectl::{Output, Shell};
use kube_sandbox::sim::lab::Lab;
use kube_sandbox::sim::trace::TraceKind;
use proptest::prelude::*;

fn lab() -> Shell<Lab> {
    Shell::new(Lab::boot(1))
}

fn run_ok(sh: &mut Shell<Lab>, line: &str) -> String {
    let out = sh.run_line(line);
    assert_eq!(out.exit_code, 0, "{line}\n{}{}", out.stdout, out.stderr);
    out.stdout
}

/// `(name, node)` of each pod in `kubectl get pods -o wide` output whose name starts with
/// `prefix`.
fn pods_on_nodes(sh: &mut Shell<Lab>, args: &str, prefix: &str) -> Vec<(String, String)> {
    run_ok(sh, &format!("kubectl get pods {args} -o wide --no-headers"))
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            // With -A the namespace comes first.
            let (name, node) = if args.contains("-A") {
                (cols.get(1)?, cols.get(7)?)
            } else {
                (cols.first()?, cols.get(6)?)
            };
            name.starts_with(prefix)
                .then(|| (name.to_string(), node.to_string()))
        })
        .collect()
}

fn lab_with_web(replicas: u32) -> Shell<Lab> {
    let mut sh = lab();
    run_ok(
        &mut sh,
        &format!("kubectl create deployment web --image=nginx --replicas={replicas}"),
    );
    sh
}

#[test]
fn cordon_and_uncordon_flip_spec_unschedulable_and_say_when_nothing_changed() {
    let mut sh = lab();
    assert_eq!(
        run_ok(&mut sh, "kubectl cordon node1"),
        "node/node1 cordoned\n"
    );
    assert_eq!(
        run_ok(&mut sh, "kubectl cordon node1"),
        "node/node1 already cordoned\n"
    );
    let nodes = run_ok(&mut sh, "kubectl get nodes");
    assert!(nodes.contains("Ready,SchedulingDisabled"), "{nodes}");
    assert_eq!(
        run_ok(&mut sh, "kubectl uncordon node1"),
        "node/node1 uncordoned\n"
    );
    assert_eq!(
        run_ok(&mut sh, "kubectl uncordon node1"),
        "node/node1 already uncordoned\n"
    );
    assert!(!run_ok(&mut sh, "kubectl get nodes").contains("SchedulingDisabled"));
    let missing = sh.run_line("kubectl cordon node9");
    assert_eq!(
        missing.stderr,
        "Error from server (NotFound): nodes \"node9\" not found\n"
    );
    let usage = sh.run_line("kubectl drain");
    assert_eq!(
        usage.stderr,
        "error: USAGE: drain NODE [flags]\nSee 'kubectl drain -h' for help and examples\n"
    );
    assert_eq!(
        run_ok(
            &mut sh,
            "kubectl cordon -l kubernetes.io/hostname=node2 --dry-run=client"
        ),
        "node/node2 cordoned (dry run)\n"
    );
    assert!(!run_ok(&mut sh, "kubectl get nodes").contains("SchedulingDisabled"));
}

#[test]
fn drain_refuses_daemonset_pods_without_ignore_daemonsets_and_lists_them() {
    let mut sh = lab_with_web(4);
    let out = sh.run_line("kubectl drain node2");
    assert_eq!(out.exit_code, 1);
    assert_eq!(out.stdout, "node/node2 cordoned\n");
    let ds_pods: Vec<String> = pods_on_nodes(&mut sh, "-A", "")
        .into_iter()
        .filter(|(n, node)| {
            node == "node2" && (n.starts_with("kube-proxy-") || n.starts_with("kube-flannel-ds-"))
        })
        .map(|(n, _)| n)
        .collect();
    assert_eq!(ds_pods.len(), 2, "{ds_pods:?}");
    let listed = ds_pods
        .iter()
        .map(|n| {
            if n.starts_with("kube-proxy") {
                format!("kube-system/{n}")
            } else {
                format!("kube-flannel/{n}")
            }
        })
        .collect::<Vec<_>>();
    let mut listed = listed;
    listed.sort();
    let reason = format!(
        "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {}",
        listed.join(", ")
    );
    assert_eq!(
        out.stderr,
        format!(
            "error: unable to drain node \"node2\" due to error: {reason}, continuing command...\nThere are pending nodes to be drained:\n node2\nerror: {reason}\n"
        )
    );
    // Nothing was evicted.
    let web = pods_on_nodes(&mut sh, "", "web-");
    assert!(web.iter().any(|(_, node)| node == "node2"), "{web:?}");
}

#[test]
fn drain_evicts_the_web_pods_to_node1_and_leaves_daemonset_pods() {
    let mut sh = lab_with_web(4);
    let before = pods_on_nodes(&mut sh, "", "web-");
    let on_node2: Vec<String> = before
        .iter()
        .filter(|(_, node)| node == "node2")
        .map(|(n, _)| n.clone())
        .collect();
    assert!(!on_node2.is_empty(), "{before:?}");
    let out = sh.run_line("kubectl drain node2 --ignore-daemonsets");
    assert_eq!(out.exit_code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with("node/node2 cordoned\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.ends_with("node/node2 drained\n"),
        "{}",
        out.stdout
    );
    for pod in &on_node2 {
        assert!(
            out.stdout
                .contains(&format!("evicting pod default/{pod}\n")),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains(&format!("pod/{pod} evicted\n")));
    }
    assert!(
        out.stderr
            .starts_with("Warning: ignoring DaemonSet-managed Pods: kube-flannel/kube-flannel-ds-"),
        "{}",
        out.stderr
    );
    // The ReplicaSet replaced them, on node1: node2 is cordoned.
    sh.run_line("sleep 30");
    let after = pods_on_nodes(&mut sh, "", "web-");
    assert_eq!(after.len(), 4, "{after:?}");
    assert!(after.iter().all(|(_, node)| node == "node1"), "{after:?}");
    assert!(
        run_ok(&mut sh, "kubectl get pods")
            .matches("Running")
            .count()
            >= 4
    );
    // The DaemonSet pods stay on node2.
    let all = pods_on_nodes(&mut sh, "-A", "kube-proxy-");
    assert!(all.iter().any(|(_, node)| node == "node2"), "{all:?}");
    // The evictions went through the eviction subresource.
    let evictions = sh
        .backend()
        .trace()
        .events()
        .iter()
        .filter(|e| {
            matches!(&e.kind, TraceKind::Request { subresource: Some(s), .. } if s == "eviction")
        })
        .count();
    assert!(evictions >= on_node2.len(), "{evictions}");
    assert_eq!(
        run_ok(&mut sh, "kubectl uncordon node2"),
        "node/node2 uncordoned\n"
    );
    // Drained again: nothing but DaemonSet pods is left to evict.
    let again = run_ok(
        &mut sh,
        "kubectl drain node2 --ignore-daemonsets --dry-run=client",
    );
    assert_eq!(
        again,
        "node/node2 cordoned (dry run)\nnode/node2 drained (dry run)\n"
    );
}

#[test]
fn drain_refuses_bare_pods_without_force() {
    let mut sh = lab();
    run_ok(
        &mut sh,
        "kubectl apply -f - <<EOF\napiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\nspec:\n  nodeName: node1\n  containers:\n  - name: c\n    image: nginx\nEOF",
    );
    let out = sh.run_line("kubectl drain node1 --ignore-daemonsets");
    assert_eq!(out.exit_code, 1);
    assert!(
        out.stderr.ends_with(
            "error: cannot delete Pods that declare no controller (use --force to override): default/bare\n"
        ),
        "{}",
        out.stderr
    );
    let forced = sh.run_line("kubectl drain node1 --ignore-daemonsets --force --grace-period=0");
    assert_eq!(forced.exit_code, 0, "{}", forced.stderr);
    assert!(forced
        .stderr
        .contains("deleting Pods that declare no controller: default/bare"));
    assert!(
        forced.stdout.contains("pod/bare evicted\n"),
        "{}",
        forced.stdout
    );
    let gone = sh.run_line("kubectl get pod bare");
    assert_eq!(
        gone.stderr,
        "Error from server (NotFound): pods \"bare\" not found\n"
    );
}

#[test]
fn a_taint_keeps_new_pods_pending_with_the_schedulers_words_until_it_is_removed() {
    let mut sh = lab();
    assert_eq!(
        run_ok(
            &mut sh,
            "kubectl taint nodes node1 dedicated=gpu:NoSchedule"
        ),
        "node/node1 tainted\n"
    );
    assert_eq!(
        run_ok(&mut sh, "kubectl taint node node2 dedicated=gpu:NoSchedule"),
        "node/node2 tainted\n"
    );
    let again = sh.run_line("kubectl taint nodes node1 dedicated=other:NoSchedule");
    assert_eq!(
        again.stderr,
        "error: node node1 already has dedicated taint(s) with same effect(s) and --overwrite is false\n"
    );
    assert_eq!(
        run_ok(
            &mut sh,
            "kubectl taint nodes node1 dedicated=gpu:NoSchedule --overwrite"
        ),
        "node/node1 modified\n"
    );
    run_ok(
        &mut sh,
        "kubectl create deployment web --image=nginx --replicas=2",
    );
    let pods = run_ok(&mut sh, "kubectl get pods");
    assert_eq!(pods.matches("Pending").count(), 2, "{pods}");
    // The command settled once the scheduler gave up for now, not at the settle limit: the
    // scheduler retries an unschedulable pod on a cluster event (or after 5 minutes), and its own
    // unchanged PodScheduled=False condition is not written again.
    assert!(
        pods.lines().skip(1).all(|l| l.trim_end().ends_with("10s")),
        "{pods}"
    );
    let events = run_ok(&mut sh, "kubectl get events");
    assert!(
        events.contains("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) had untolerated taint {dedicated: gpu}."),
        "{events}"
    );
    assert_eq!(
        run_ok(&mut sh, "kubectl taint nodes node1 dedicated:NoSchedule-"),
        "node/node1 untainted\n"
    );
    let missing = sh.run_line("kubectl taint nodes node1 dedicated:NoSchedule-");
    assert_eq!(
        missing.stderr,
        "error: taint \"dedicated:NoSchedule\" not found\n"
    );
    // The untaint is a Node update: the waiting pods are retried at once, no `sleep` needed.
    let placed = pods_on_nodes(&mut sh, "", "web-");
    assert_eq!(placed.len(), 2);
    assert!(placed.iter().all(|(_, node)| node == "node1"), "{placed:?}");
    assert_eq!(
        run_ok(&mut sh, "kubectl taint nodes node2 dedicated-"),
        "node/node2 untainted\n"
    );
    let yaml = run_ok(&mut sh, "kubectl get node node2 -o yaml");
    assert!(!yaml.contains("dedicated"), "{yaml}");
    // The master keeps its control-plane taint through other changes.
    run_ok(
        &mut sh,
        "kubectl taint nodes master extra=1:PreferNoSchedule",
    );
    let master = run_ok(&mut sh, "kubectl get node master -o yaml");
    assert!(
        master.contains("node-role.kubernetes.io/control-plane"),
        "{master}"
    );
    assert!(master.contains("extra"), "{master}");
}

#[test]
fn taint_errors_are_kubectls() {
    let mut sh = lab();
    let table: [(&str, &str); 7] = [
        (
            "kubectl taint nodes node1 a=b:Bad",
            "error: invalid taint effect: Bad, unsupported taint effect\nSee 'kubectl taint -h' for help and examples\n",
        ),
        (
            "kubectl taint nodes node1",
            "error: at least one taint update is required\n",
        ),
        (
            "kubectl taint pods web a=b:NoSchedule",
            "error: invalid resource type pods, only node types are supported\n",
        ),
        (
            "kubectl taint nodes a=b:NoSchedule",
            "error: at least one resource name must be specified since 'all' parameter is not set\n",
        ),
        (
            "kubectl taint nodes node1 a=b:NoSchedule a-",
            "error: can not both modify and remove the following taint(s) in the same command: {\"a\":\"\"}\n",
        ),
        (
            "kubectl taint nodes node1 a=b:NoSchedule x",
            "error: all resources must be specified before taint changes: x\n",
        ),
        (
            "kubectl taint nodes node9 a=b:NoSchedule",
            "Error from server (NotFound): nodes \"node9\" not found\n",
        ),
    ];
    for (line, want) in table {
        let out = sh.run_line(line);
        assert_eq!(out.stderr, want, "{line}");
        assert_eq!(out.exit_code, 1, "{line}");
    }
}

fn first_web_pod(sh: &mut Shell<Lab>) -> String {
    pods_on_nodes(sh, "", "web-")
        .into_iter()
        .map(|(n, _)| n)
        .next()
        .expect("a web pod")
}

#[test]
fn port_forward_stays_up_and_curl_on_localhost_reaches_the_pod() {
    let mut sh = lab_with_web(1);
    let out = run_ok(&mut sh, "kubectl port-forward deployment/web 8080:80");
    assert_eq!(
        out,
        "Forwarding from 127.0.0.1:8080 -> 80\nForwarding from [::1]:8080 -> 80\n"
    );
    let page = sh.run_line("curl localhost:8080");
    assert_eq!(page.exit_code, 0, "{}", page.stderr);
    assert!(
        page.stdout
            .starts_with("Handling connection for 8080\n<!DOCTYPE html>"),
        "{}",
        page.stdout
    );
    assert!(page.stdout.contains("Welcome to nginx!"));
    let again = sh.run_line("curl -s http://127.0.0.1:8080/");
    assert!(again.stdout.contains("Welcome to nginx!"));
    // The forward writes to the terminal, not into curl's pipe or file; `&` is accepted.
    run_ok(&mut sh, "kubectl port-forward deploy/web 8081:80 &");
    assert_eq!(
        run_ok(&mut sh, "curl -s localhost:8081 > page.html"),
        "Handling connection for 8081\n"
    );
    assert!(run_ok(&mut sh, "cat page.html").starts_with("<!DOCTYPE html>"));
    assert_eq!(
        run_ok(&mut sh, "curl -s localhost:8081 | head -1"),
        "Handling connection for 8081\n<!DOCTYPE html>\n"
    );
    // The port is taken now.
    let busy = sh.run_line("kubectl port-forward deployment/web 8080:80");
    assert_eq!(busy.exit_code, 1);
    assert!(busy
        .stderr
        .ends_with("error: unable to listen on any of the requested ports: [{8080 80}]\n"));
    // A Service port goes to its targetPort.
    run_ok(
        &mut sh,
        "kubectl apply -f - <<EOF\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 8000\n    targetPort: 80\nEOF",
    );
    assert_eq!(
        run_ok(&mut sh, "kubectl port-forward svc/web 9000:8000"),
        "Forwarding from 127.0.0.1:9000 -> 80\nForwarding from [::1]:9000 -> 80\n"
    );
    assert!(sh
        .run_line("curl localhost:9000")
        .stdout
        .contains("Welcome to nginx!"));
    let pod = first_web_pod(&mut sh);
    // Nothing listens on 81: kubectl takes curl's connection, prints the kubelet's error and
    // ends the forward; curl gets an empty reply.
    run_ok(&mut sh, &format!("kubectl port-forward {pod} 7001:81"));
    let refused = sh.run_line("curl localhost:7001");
    assert!(
        refused.stdout.starts_with("Handling connection for 7001\nE0601 ")
            && refused.stdout.contains(
                " portforward.go:424] \"Unhandled Error\" err=\"an error occurred forwarding 7001 -> 81: error forwarding port 81 to pod "
            )
            && refused.stdout.contains("IPv4: dial tcp4 127.0.0.1:81: connect: connection refused")
            && refused.stdout.ends_with("\nerror: lost connection to pod\n"),
        "{}",
        refused.stdout
    );
    assert_eq!(
        (refused.stderr.as_str(), refused.exit_code),
        ("curl: (52) Empty reply from server\n", 52)
    );
    // The forward ended: the port is free again and nothing answers on it.
    assert_eq!(sh.run_line("curl -s localhost:7001").exit_code, 7);
    assert_eq!(
        run_ok(&mut sh, &format!("kubectl port-forward {pod} 7000:80")),
        "Forwarding from 127.0.0.1:7000 -> 80\nForwarding from [::1]:7000 -> 80\n"
    );
    // When the pod is gone, the forward ends.
    run_ok(&mut sh, "kubectl delete deployment web");
    let lost = sh.run_line("curl localhost:7000");
    assert!(
        lost.stdout.starts_with("error: lost connection to pod\n"),
        "{}",
        lost.stdout
    );
    assert_ne!(lost.exit_code, 0);
}

#[test]
fn port_forward_errors_are_kubectls() {
    let mut sh = lab();
    let missing = sh.run_line("kubectl port-forward pod/nope 8080:80");
    assert_eq!(
        missing.stderr,
        "Error from server (NotFound): pods \"nope\" not found\n"
    );
    let usage = sh.run_line("kubectl port-forward nope");
    assert_eq!(
        usage.stderr,
        "error: TYPE/NAME and list of ports are required for port-forward\nSee 'kubectl port-forward -h' for help and examples\n"
    );
    // A pod that cannot be scheduled stays Pending.
    run_ok(
        &mut sh,
        "kubectl apply -f - <<EOF\napiVersion: v1\nkind: Pod\nmetadata:\n  name: stuck\nspec:\n  nodeSelector:\n    disk: ssd\n  containers:\n  - name: c\n    image: nginx\nEOF",
    );
    let pending = sh.run_line("kubectl port-forward stuck 8080:80");
    assert_eq!(
        pending.stderr,
        "error: unable to forward port because pod is not running. Current status=Pending\n"
    );
}

#[test]
fn auth_can_i_answers_from_rbac_for_the_admin_and_for_student() {
    let mut sh = lab();
    sh.backend_mut()
        .add_user_token("student-token", "student", &[]);
    assert_eq!(run_ok(&mut sh, "kubectl auth can-i create pods"), "yes\n");
    assert_eq!(run_ok(&mut sh, "kubectl auth can-i '*' '*' -A"), "yes\n");
    // can-i agrees with what the apiserver does with the student's own token.
    let as_student = |verb: Verb, ns: &str| {
        ApiRequest::new(
            Credentials::BearerToken("student-token".into()),
            verb,
            "pods",
        )
        .namespace(ns.to_string())
    };
    let no = sh.run_line("kubectl auth can-i list pods --as=student");
    assert_eq!((no.stdout.as_str(), no.exit_code), ("no\n", 1));
    assert!(sh
        .backend_mut()
        .submit(as_student(Verb::List, "default"))
        .is_err());
    run_ok(
        &mut sh,
        "kubectl apply -f - <<EOF\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: pod-reader\n  namespace: default\nrules:\n- apiGroups: [\"\"]\n  resources: [\"pods\"]\n  verbs: [\"get\", \"list\"]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: student-reads-pods\n  namespace: default\nsubjects:\n- kind: User\n  name: student\n  apiGroup: rbac.authorization.k8s.io\nroleRef:\n  kind: Role\n  name: pod-reader\n  apiGroup: rbac.authorization.k8s.io\nEOF",
    );
    assert_eq!(
        run_ok(&mut sh, "kubectl auth can-i list pods --as=student"),
        "yes\n"
    );
    assert!(sh
        .backend_mut()
        .submit(as_student(Verb::List, "default"))
        .is_ok());
    assert!(sh
        .backend_mut()
        .submit(as_student(Verb::List, "kube-system"))
        .is_err());
    assert_eq!(
        run_ok(&mut sh, "kubectl auth can-i get po/web --as student"),
        "yes\n"
    );
    assert_eq!(
        run_ok(&mut sh, "kubectl --as student auth can-i list pods"),
        "yes\n"
    );
    let other_ns = sh.run_line("kubectl auth can-i list pods --as=student -n kube-system");
    assert_eq!(other_ns.stdout, "no\n");
    let delete = sh.run_line("kubectl auth can-i delete pods --as=student");
    assert_eq!(delete.stdout, "no\n");
    let quiet = sh.run_line("kubectl auth can-i delete pods --as=student -q");
    assert_eq!((quiet.stdout.as_str(), quiet.exit_code), ("", 1));
    // A group given with --as-group counts: kubeadm binds cluster-admin to it.
    assert_eq!(
        run_ok(
            &mut sh,
            "kubectl auth can-i delete nodes --as=student --as-group=kubeadm:cluster-admins"
        ),
        "yes\n"
    );
    let unknown = sh.run_line("kubectl auth can-i get foo");
    assert_eq!(
        unknown.stderr,
        "Warning: the server doesn't have a resource type 'foo'\n"
    );
    let usage = sh.run_line("kubectl auth can-i get");
    assert_eq!(
        usage.stderr,
        "error: you must specify two arguments: verb resource or verb resource/resourceName.\nSee 'kubectl auth can-i -h' for help and examples.\n"
    );
}

#[test]
fn cluster_info_and_api_versions_print_what_kubectl_prints() {
    let mut sh = lab();
    assert_eq!(
        run_ok(&mut sh, "kubectl cluster-info"),
        "Kubernetes control plane is running at https://172.16.20.11:6443\n\
         CoreDNS is running at https://172.16.20.11:6443/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n\
         \n\
         To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n"
    );
    let versions = run_ok(&mut sh, "kubectl api-versions");
    let lines: Vec<&str> = versions.lines().collect();
    assert!(
        lines.contains(&"apps/v1") && lines.contains(&"v1"),
        "{versions}"
    );
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
}

#[test]
fn the_new_verbs_are_no_longer_later_commands() {
    let mut sh = lab();
    for verb in [
        "cordon",
        "uncordon",
        "drain",
        "taint",
        "port-forward",
        "auth",
        "cluster-info",
        "api-versions",
    ] {
        let out: Output = sh.run_line(&format!("kubectl {verb}"));
        assert!(
            !out.stderr.contains("does not run yet"),
            "{verb}: {}",
            out.stderr
        );
    }
}

const VERB_WORDS: &[&str] = &[
    "node1",
    "node2",
    "master",
    "nope",
    "nodes",
    "node",
    "pods",
    "pod/web",
    "deploy/web",
    "svc/web",
    "svc/kube-dns",
    "web",
    "8080:80",
    ":80",
    "80",
    "0",
    "65536",
    "a:b:c",
    "k=v:NoSchedule",
    "k:NoExecute",
    "k-",
    "k:NoSchedule-",
    "=:-",
    ":",
    "-",
    "--ignore-daemonsets",
    "--force",
    "--delete-emptydir-data",
    "--grace-period=0",
    "--grace-period=x",
    "--timeout=1s",
    "--timeout",
    "--dry-run=client",
    "--dry-run=bogus",
    "--overwrite",
    "--all",
    "-l",
    "app=web",
    "--as=student",
    "--as-group=g",
    "-q",
    "-A",
    "-n",
    "kube-system",
    "--address=0.0.0.0",
    "--subresource=log",
    "can-i",
    "get",
    "list",
    "*",
    "/healthz",
    "dump",
    "--bogus",
    "ü",
];

fn verb_args() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(
        prop_oneof![
            4 => proptest::sample::select(VERB_WORDS).prop_map(str::to_string),
            1 => "[ -~]{0,10}",
        ],
        0..6,
    )
}

fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', ""))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn no_arguments_make_the_new_verbs_panic(
        verb in proptest::sample::select(&[
            "cordon", "uncordon", "drain", "taint", "port-forward", "auth", "cluster-info",
            "api-versions",
        ][..]),
        args in verb_args(),
        then_curl in any::<bool>(),
    ) {
        let mut sh = lab();
        sh.set_settle_ticks(2_000);
        let line = format!(
            "kubectl {verb} {}",
            args.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
        );
        let out = sh.run_line(&line);
        // Every failure says something (can-i's "no" is its answer, on stdout).
        if out.exit_code != 0 && verb != "auth" {
            prop_assert!(!out.stderr.is_empty(), "silent failure for {line:?}");
        }
        if then_curl {
            sh.run_line("curl localhost:8080");
        }
    }
}

#[test]
fn drain_of_a_node_whose_kubelet_is_stopped_times_out_with_the_pods_terminating() {
    let mut sh = lab_with_web(2);
    sh.run_line("ssh node2");
    run_ok(&mut sh, "systemctl stop kubelet");
    sh.run_line("exit");
    let stuck: Vec<String> = pods_on_nodes(&mut sh, "", "web-")
        .into_iter()
        .filter(|(_, node)| node == "node2")
        .map(|(n, _)| n)
        .collect();
    let [pod] = stuck.as_slice() else {
        panic!("one web pod on node2: {stuck:?}");
    };
    let out = sh.run_line("kubectl drain node2 --ignore-daemonsets --timeout=20s");
    assert_eq!(out.exit_code, 1);
    assert!(out
        .stdout
        .contains(&format!("evicting pod default/{pod}\n")));
    assert!(!out.stdout.contains("evicted"), "{}", out.stdout);
    let waiting = format!(
        "error when waiting for pod \"{pod}\" in namespace \"default\" to terminate: global timeout reached: 20s"
    );
    assert!(out.stderr.contains(&waiting), "{}", out.stderr);
    assert!(out
        .stderr
        .contains("There are pending pods in node \"node2\" when an error occurred: "));
    assert!(out.stderr.contains(&format!("\npod/{pod}\n")));
    assert!(out
        .stderr
        .contains("There are pending nodes to be drained:\n node2\n"));
    // No kubelet confirms the deletion: the pod stays Terminating, its replacement runs on node1.
    let pods = run_ok(&mut sh, "kubectl get pods -o wide");
    assert!(pods.contains("Terminating"), "{pods}");
}

#[test]
fn the_eviction_subresource_deletes_the_named_pod_and_nothing_else() {
    let mut sh = lab_with_web(1);
    let pod = first_web_pod(&mut sh);
    let evict = |name: &str, body_name: &str| {
        ApiRequest::new(Credentials::admin(), Verb::Create, "pods")
            .namespace("default")
            .name(name)
            .subresource("eviction")
            .body(serde_json::json!({
                "apiVersion": "policy/v1",
                "kind": "Eviction",
                "metadata": {"name": body_name, "namespace": "default"}
            }))
    };
    let mismatch = sh.backend_mut().submit(evict(&pod, "other"));
    assert_eq!(
        mismatch.map_err(|e| e.message),
        Err("name in URL does not match name in Eviction object".to_string())
    );
    let missing = sh.backend_mut().submit(evict("nope", "nope"));
    assert_eq!(
        missing.map_err(|e| e.message),
        Err("pods \"nope\" not found".to_string())
    );
    let done = sh.backend_mut().submit(evict(&pod, &pod));
    let done = done.expect("eviction allowed");
    assert_eq!(done.code, 201);
    assert_eq!(done.body["status"], "Success");
    sh.run_line("sleep 40");
    let names: Vec<String> = pods_on_nodes(&mut sh, "", "web-")
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert_ne!(names.first(), Some(&pod));
}

#[test]
fn drain_keeps_pods_with_emptydir_data_unless_told_to_delete_it() {
    let mut sh = lab();
    run_ok(
        &mut sh,
        "kubectl apply -f - <<EOF\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cache\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: cache\n  template:\n    metadata:\n      labels:\n        app: cache\n    spec:\n      volumes:\n      - name: scratch\n        emptyDir: {}\n      containers:\n      - name: c\n        image: nginx\nEOF",
    );
    let on_node1: Vec<String> = pods_on_nodes(&mut sh, "", "cache-")
        .into_iter()
        .filter(|(_, node)| node == "node1")
        .map(|(n, _)| format!("default/{n}"))
        .collect();
    assert!(!on_node1.is_empty());
    let refused = sh.run_line("kubectl drain node1 --ignore-daemonsets");
    assert_eq!(refused.exit_code, 1);
    assert!(refused.stderr.ends_with(&format!(
        "error: cannot delete Pods with local storage (use --delete-emptydir-data to override): {}\n",
        on_node1.join(", ")
    )));
    let out = sh.run_line("kubectl drain node1 --ignore-daemonsets --delete-emptydir-data");
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    assert!(out.stderr.starts_with(&format!(
        "Warning: deleting Pods with local storage: {}; ignoring DaemonSet-managed Pods: ",
        on_node1.join(", ")
    )));
    assert!(out.stdout.ends_with("node/node1 drained\n"));
}
