//! The node side from the terminal, on the booted lab: logs, top, describe, exec, ssh + crictl,
//! and the failures a teacher demonstrates.

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

fn lab_with_web() -> Shell<Lab> {
    let mut sh = Shell::new(Lab::boot(1));
    let out = sh.run_line("kubectl create deployment web --image=nginx");
    assert_eq!(out.stdout, "deployment.apps/web created\n");
    sh
}

fn web_pod(sh: &mut Shell<Lab>) -> String {
    let out = sh.run_line("kubectl get pods -o name");
    out.stdout
        .lines()
        .find(|l| l.starts_with("pod/web-"))
        .and_then(|l| l.strip_prefix("pod/"))
        .expect("a web pod")
        .to_string()
}

#[test]
fn logs_of_a_running_nginx_show_its_startup_lines() {
    let mut sh = lab_with_web();
    let pod = web_pod(&mut sh);
    let out = sh.run_line(&format!("kubectl logs {pod}"));
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    assert!(out
        .stdout
        .starts_with("/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration\n"));
    assert!(out
        .stdout
        .contains("Configuration complete; ready for start up\n"));
    let tail = sh.run_line(&format!("kubectl logs {pod} --tail 1"));
    assert_eq!(tail.stdout.lines().count(), 1);
    assert!(tail.stdout.contains("start worker process"));
    let ts = sh.run_line("kubectl logs deploy/web --tail=1 --timestamps");
    assert!(ts.stdout.starts_with("2025-06-01T00:"), "{}", ts.stdout);
    let prev = sh.run_line(&format!("kubectl logs {pod} --previous"));
    assert_eq!(
        prev.stderr,
        format!("Error from server (BadRequest): previous terminated container \"nginx\" in pod \"{pod}\" not found\n")
    );
    let bad = sh.run_line(&format!("kubectl logs {pod} -c x"));
    assert_eq!(
        bad.stderr,
        format!("error: container x is not valid for pod {pod}\n")
    );
    let missing = sh.run_line("kubectl logs nope");
    assert_eq!(
        missing.stderr,
        "Error from server (NotFound): pods \"nope\" not found\n"
    );
}

#[test]
fn top_prints_metrics_server_columns() {
    let mut sh = lab_with_web();
    let nodes = sh.run_line("kubectl top nodes");
    let mut lines = nodes.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("NAME     CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)")
    );
    assert_eq!(nodes.stdout.lines().count(), 4);
    assert!(nodes.stdout.contains("\nnode1    "));
    let pods = sh.run_line("kubectl top pods");
    assert!(pods.stdout.starts_with("NAME "));
    assert!(
        pods.stdout.contains("CPU(cores)   MEMORY(bytes)\nweb-"),
        "{}",
        pods.stdout
    );
    let all = sh.run_line("kubectl top pods -A");
    assert!(all.stdout.starts_with("NAMESPACE "));
    assert!(
        all.stdout.lines().any(|l| l.starts_with("kube-system ")
            && l.split_whitespace().nth(1) == Some("kube-apiserver-master")),
        "{}",
        all.stdout
    );
}

#[test]
fn describe_pod_shows_scheduling_and_image_pull_events() {
    let mut sh = lab_with_web();
    let pod = web_pod(&mut sh);
    let out = sh.run_line(&format!("kubectl describe pod {pod}"));
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    let text = out.stdout;
    assert!(text.starts_with(&format!("Name:             {pod}\nNamespace:        default\nPriority:         0\nService Account:  default\n")), "{text}");
    assert!(text.contains("Controlled By:  ReplicaSet/web-"), "{text}");
    assert!(text.contains("    State:          Running\n"), "{text}");
    assert!(text.contains("    Restart Count:  0\n"), "{text}");
    assert!(text.contains("QoS Class:"), "{text}");
    assert!(text.contains("Events:\n  Type    Reason"), "{text}");
    for reason in ["Scheduled", "Pulling", "Pulled", "Created", "Started"] {
        assert!(
            text.contains(&format!("  Normal  {reason} ")),
            "{reason} in {text}"
        );
    }
    let node = sh.run_line("kubectl describe node node1");
    assert!(
        node.stdout
            .starts_with("Name:               node1\nRoles:              <none>\n"),
        "{}",
        node.stdout
    );
    assert!(
        node.stdout.contains("  InternalIP:  172.16.20.12\n"),
        "{}",
        node.stdout
    );
}

#[test]
fn exec_runs_a_command_in_the_container() {
    let mut sh = lab_with_web();
    let pod = web_pod(&mut sh);
    let out = sh.run_line(&format!("kubectl exec {pod} -- hostname"));
    assert_eq!(out.stdout, format!("{pod}\n"), "{}", out.stderr);
    let old = sh.run_line(&format!("kubectl exec {pod} hostname"));
    assert!(old
        .stderr
        .starts_with("error: exec [POD] [COMMAND] is not supported anymore."));
    let none = sh.run_line(&format!("kubectl exec {pod} --"));
    assert_eq!(
        none.stderr,
        "error: you must specify at least one command for the container\n"
    );
}

#[test]
fn ssh_to_node1_switches_the_prompt_and_crictl_lists_its_containers() {
    let mut sh = lab_with_web();
    assert_eq!(sh.prompt(), "[root@master ~]# ");
    sh.run_line("ssh node1");
    assert_eq!(sh.prompt(), "[root@node1 ~]# ");
    let ps = sh.run_line("crictl ps");
    assert!(ps.stdout.starts_with("CONTAINER "), "{}", ps.stdout);
    let kubectl = sh.run_line("kubectl get pods");
    assert_eq!(
        kubectl.stderr,
        "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n"
    );
    assert_eq!(sh.run_line("hostname").stdout, "node1\n");
    sh.run_line("exit");
    assert_eq!(sh.prompt(), "[root@master ~]# ");
    let unknown = sh.run_line("ssh node9");
    assert_eq!(unknown.exit_code, 255);
}

#[test]
fn a_stopped_kubelet_on_node2_turns_the_node_not_ready() {
    let mut sh = lab_with_web();
    sh.run_line("ssh node2");
    assert_eq!(sh.run_line("systemctl stop kubelet").exit_code, 0);
    assert_eq!(
        sh.run_line("systemctl is-active kubelet").stdout,
        "inactive\n"
    );
    sh.run_line("exit");
    sh.run_line("sleep 60");
    let nodes = sh.run_line("kubectl get nodes");
    let node2 = nodes
        .stdout
        .lines()
        .find(|l| l.starts_with("node2"))
        .expect("node2 listed");
    assert!(node2.contains("NotReady"), "{}", nodes.stdout);
    let node1 = nodes
        .stdout
        .lines()
        .find(|l| l.starts_with("node1"))
        .expect("node1");
    assert!(!node1.contains("NotReady"));
}

#[test]
fn a_kubelet_started_again_after_its_node_went_not_ready_reports_its_pods_ready_again() {
    let mut sh = lab_with_web();
    let pod = web_pod(&mut sh);
    let node = sh
        .run_line(&format!(
            "kubectl get pod {pod} -o jsonpath='{{.spec.nodeName}}'"
        ))
        .stdout;
    let ready = |sh: &mut Shell<Lab>| {
        sh.run_line(&format!(
            "kubectl get pod {pod} -o jsonpath='{{.status.conditions[?(@.type==\"Ready\")].status}}'"
        ))
        .stdout
    };
    assert_eq!(ready(&mut sh), "True");
    assert_eq!(
        sh.run_line(&format!("ssh {node} systemctl stop kubelet"))
            .exit_code,
        0
    );
    // Past the node monitor grace period: the node lifecycle controller marks the pod NotReady
    // (MarkPodsNotReady), though its container still runs.
    sh.run_line("sleep 60");
    assert_eq!(ready(&mut sh), "False");
    sh.run_line(&format!("ssh {node} systemctl start kubelet"));
    // Nothing changed on the node, but the apiserver's status is not what the kubelet last sent:
    // it sends it again (needsReconcile), and the Deployment counts the pod.
    assert_eq!(ready(&mut sh), "True");
    let deploy = sh.run_line("kubectl get deploy web --no-headers").stdout;
    assert!(deploy.starts_with("web   1/1 "), "{deploy}");
}

#[test]
fn a_killed_container_is_restarted_once() {
    let mut sh = lab_with_web();
    let pod = web_pod(&mut sh);
    let wide = sh.run_line(&format!("kubectl get pod {pod} -o wide"));
    let node = if wide.stdout.contains("node1") {
        "node1"
    } else {
        "node2"
    };
    sh.run_line(&format!("ssh {node}"));
    let ps = sh.run_line("crictl ps");
    let id = ps
        .stdout
        .lines()
        .find(|l| l.contains(" nginx "))
        .and_then(|l| l.split_whitespace().next())
        .expect("nginx container")
        .to_string();
    let killed = sh.run_line(&format!("docker kill {id}"));
    assert_eq!(killed.stdout, format!("{id}\n"), "{}", killed.stderr);
    sh.run_line("exit");
    sh.run_line("sleep 30");
    let pods = sh.run_line(&format!("kubectl get pod {pod}"));
    let row = pods.stdout.lines().nth(1).expect("pod row");
    let restarts: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(restarts.get(3), Some(&"1"), "{}", pods.stdout);
    let prev = sh.run_line(&format!("kubectl logs {pod} --previous --tail 1"));
    assert_eq!(prev.exit_code, 0, "{}", prev.stderr);
}

#[test]
fn vagrant_halt_powers_a_node_off_and_up_brings_it_back() {
    let mut sh = lab_with_web();
    let halt = sh.run_line("vagrant halt node2");
    assert_eq!(
        halt.stdout,
        "==> node2: Attempting graceful shutdown of VM...\n"
    );
    assert!(sh.run_line("ssh node2").stderr.contains("No route to host"));
    sh.run_line("sleep 60");
    let nodes = sh.run_line("kubectl get nodes");
    assert!(nodes
        .stdout
        .lines()
        .any(|l| l.starts_with("node2") && l.contains("NotReady")));
    sh.run_line("vagrant up node2");
    sh.run_line("sleep 30");
    let nodes = sh.run_line("kubectl get nodes");
    assert!(
        nodes
            .stdout
            .lines()
            .any(|l| l.starts_with("node2") && !l.contains("NotReady")),
        "{}",
        nodes.stdout
    );
}

#[test]
fn random_node_lines_never_panic() {
    let mut sh = Shell::new(Lab::boot(3));
    let words = [
        "kubectl",
        "logs",
        "top",
        "describe",
        "exec",
        "--",
        "-c",
        "--tail",
        "-1",
        "x",
        "pod",
        "node",
        "nodes",
        "pods",
        "-A",
        "deploy/",
        "/",
        "ssh",
        "node1",
        "exit",
        "crictl",
        "ps",
        "-a",
        "stop",
        "docker",
        "kill",
        "images",
        "systemctl",
        "start",
        "kubelet",
        "containerd",
        "vagrant",
        "halt",
        "up",
        "node2",
        "poweroff",
        "-p",
        "--previous",
        "-n",
        "é",
        "''",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..300 {
        let mut line = Vec::new();
        for _ in 0..(state % 6 + 1) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            line.push(words[(state % words.len() as u64) as usize]);
        }
        let _ = sh.run_line(&line.join(" "));
    }
}

#[test]
fn a_failing_image_pull_shows_in_describe_events_and_logs_refuses() {
    let mut sh = Shell::new(Lab::boot(1));
    sh.run_line("kubectl create deployment bad --image=nginx:nope");
    sh.run_line("sleep 20");
    let out = sh.run_line("kubectl describe pod -l app=bad");
    assert!(
        out.stdout
            .contains("    State:          Waiting\n      Reason:       ImagePullBackOff\n")
            || out.stdout.contains("      Reason:       ErrImagePull\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("  Warning  Failed "), "{}", out.stdout);
    assert!(out
        .stdout
        .contains("Failed to pull image \"nginx:nope\": rpc error: code = NotFound"));
    let logs = sh.run_line("kubectl logs deploy/bad");
    assert!(logs
        .stderr
        .starts_with("Error from server (BadRequest): container \"nginx\" in pod \"bad-"));
    assert!(
        logs.stderr
            .ends_with("is waiting to start: trying and failing to pull image\n"),
        "{}",
        logs.stderr
    );
    let none = sh.run_line("kubectl describe pod -l app=zzz");
    assert_eq!(none.stderr, "No resources found in default namespace.\n");
}

#[test]
fn a_stopped_containerd_refuses_crictl_and_docker_until_started() {
    let mut sh = lab_with_web();
    sh.run_line("ssh node1");
    sh.run_line("systemctl stop containerd");
    sh.run_line("sleep 2");
    let ps = sh.run_line("crictl ps");
    assert!(ps.stderr.starts_with("time=\"2025-06-01T"), "{}", ps.stderr);
    assert!(ps
        .stderr
        .contains("level=fatal msg=\"validate service connection"));
    assert_eq!(
        sh.run_line("docker ps").stderr,
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n"
    );
    assert_eq!(
        sh.run_line("systemctl is-active containerd").stdout,
        "inactive\n"
    );
    sh.run_line("systemctl start containerd");
    sh.run_line("sleep 2");
    assert!(sh.run_line("crictl pods").stdout.starts_with("POD ID "));
    assert!(sh
        .run_line("docker images")
        .stdout
        .starts_with("REPOSITORY "));
}

#[test]
fn poweroff_on_a_worker_closes_the_session_and_the_vm_stays_off() {
    let mut sh = lab_with_web();
    sh.run_line("ssh node1");
    let off = sh.run_line("poweroff");
    assert_eq!(
        off.stdout,
        "Connection to node1 closed by remote host.\nConnection to node1 closed.\n"
    );
    assert_eq!(sh.prompt(), "[root@master ~]# ");
    let status = sh.run_line("vagrant status");
    assert!(status
        .stdout
        .contains("node1                     poweroff (virtualbox)\n"));
    assert!(sh.run_line("poweroff").exit_code != 0, "master stays up");
}

#[test]
fn get_events_lists_a_pods_events_in_the_order_they_happened() {
    // Pulled, Created and Started fall in one simulated millisecond; upstream's event names end
    // in the nanosecond they were made, so they list in that order, and so do ours.
    for seed in 1..=4 {
        let mut sh = Shell::new(Lab::boot(seed));
        sh.run_line("kubectl create deployment web --image=nginx");
        let pod = web_pod(&mut sh);
        let events = sh.run_line("kubectl get events");
        let reasons: Vec<&str> = events
            .stdout
            .lines()
            .filter(|l| l.contains(&format!("pod/{pod} ")))
            .filter_map(|l| l.split_whitespace().nth(2))
            .collect();
        assert_eq!(
            reasons,
            ["Scheduled", "Pulling", "Pulled", "Created", "Started"],
            "seed {seed}:\n{}",
            events.stdout
        );
    }
}

#[test]
fn describe_counts_a_repeated_event_once_as_client_go_correlates_it() {
    let mut sh = Shell::new(Lab::boot(1));
    let created = sh.run_line(
        "kubectl apply -f - <<EOF\napiVersion: v1\nkind: Pod\nmetadata:\n  name: typo\nspec:\n  containers:\n  - name: app\n    image: ngnix\nEOF",
    );
    assert_eq!(created.stdout, "pod/typo created\n", "{}", created.stderr);
    sh.run_line("sleep 60");
    let text = sh.run_line("kubectl describe pod typo").stdout;
    let pulling: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" Pulling ") && l.contains("kubelet"))
        .collect();
    assert_eq!(pulling.len(), 1, "{text}");
    assert!(pulling[0].contains(" (x4 over 83s)"), "{text}");
    let events = sh.run_line("kubectl get events --field-selector involvedObject.name=typo");
    let rows = events
        .stdout
        .lines()
        .filter(|l| l.contains("Pulling"))
        .count();
    assert_eq!(rows, 1, "{}", events.stdout);
}

// ---- the page's Failures buttons: one line each, typed on master ---------------------------

/// `kubectl get nodes --no-headers`: node's STATUS column.
fn node_status(sh: &mut Shell<Lab>, node: &str) -> String {
    let out = sh.run_line("kubectl get nodes --no-headers");
    out.stdout
        .lines()
        .find(|l| l.starts_with(&format!("{node} ")))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("")
        .to_string()
}

/// `kubectl get pods -n kube-system --no-headers`: (name, status) of each.
fn system_pods(sh: &mut Shell<Lab>) -> Vec<(String, String)> {
    let out = sh.run_line("kubectl get pods -n kube-system --no-headers");
    out.stdout
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[2].to_string())
        })
        .collect()
}

/// `kubectl get pods --no-headers -o wide`: (name, status, node) of the pods named `prefix*`.
fn pods(sh: &mut Shell<Lab>, prefix: &str) -> Vec<(String, String, String)> {
    let out = sh.run_line("kubectl get pods -o wide --no-headers");
    out.stdout
        .lines()
        .filter(|l| l.starts_with(prefix))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[0].to_string(), f[2].to_string(), f[6].to_string())
        })
        .collect()
}

#[test]
fn ssh_with_a_command_runs_it_on_that_vm_and_the_terminal_stays_where_it_was() {
    let mut sh = lab_with_web();
    for target in ["node2", "root@node2", "172.16.20.13", "-p 22 node2"] {
        let out = sh.run_line(&format!("ssh {target} hostname"));
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str(), out.exit_code),
            ("node2\n", "", 0),
            "{target}"
        );
        assert_eq!(sh.prompt(), "[root@master ~]# ");
        assert_eq!(sh.host(), "master");
    }
    // OpenSSH hands the remote shell one line: the words joined, quoting gone.
    let both = sh.run_line("ssh node1 'hostname; hostname'");
    assert_eq!(both.stdout, "node1\nnode1\n");
    let ps = sh.run_line("ssh node1 crictl ps");
    assert!(ps.stdout.starts_with("CONTAINER "), "{}", ps.stdout);
    // The exit status is the remote command's.
    let kubectl = sh.run_line("ssh node1 kubectl get pods");
    assert_eq!(kubectl.stderr, "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n");
    assert_eq!(kubectl.exit_code, 1);
    let exit = sh.run_line("ssh node1 exit 3");
    assert_eq!((exit.stdout.as_str(), exit.exit_code), ("", 3));
    assert_eq!(sh.run_line("echo $?").stdout, "3\n");
    assert_eq!(sh.host(), "master");
    // Redirects belong to the local shell.
    sh.run_line("ssh node2 hostname > where.txt");
    assert_eq!(sh.run_line("cat where.txt").stdout, "node2\n");

    // From a worker, to another: the session stays on the worker.
    sh.run_line("ssh node1");
    let out = sh.run_line("ssh node2 hostname");
    assert_eq!(out.stdout, "node2\n");
    assert_eq!(sh.prompt(), "[root@node1 ~]# ");
    sh.run_line("exit");
    assert_eq!(sh.prompt(), "[root@master ~]# ");

    let unknown = sh.run_line("ssh node9 systemctl stop kubelet");
    assert_eq!(
        (unknown.stderr.as_str(), unknown.exit_code),
        (
            "ssh: Could not resolve hostname node9: Name or service not known\n",
            255
        )
    );
    sh.run_line("vagrant halt node2");
    let halted = sh.run_line("ssh node2 systemctl start containerd");
    assert_eq!(
        (halted.stderr.as_str(), halted.exit_code),
        (
            "ssh: connect to host node2 port 22: No route to host\n",
            255
        )
    );
    let usage = sh.run_line("ssh -p 22");
    assert_eq!(usage.exit_code, 255);
    assert!(usage.stderr.starts_with("usage: ssh "), "{}", usage.stderr);
}

#[test]
fn ssh_node2_systemctl_stops_and_starts_its_kubelet_and_containerd_from_master() {
    let mut sh = lab_with_web();
    let stop = sh.run_line("ssh node2 systemctl stop kubelet");
    assert_eq!((stop.stdout.as_str(), stop.stderr.as_str()), ("", ""));
    assert_eq!(stop.exit_code, 0);
    let active = sh.run_line("ssh node2 systemctl is-active kubelet");
    assert_eq!(
        (active.stdout.as_str(), active.exit_code),
        ("inactive\n", 3)
    );
    assert_eq!(
        sh.run_line("systemctl is-active kubelet").stdout,
        "active\n",
        "master's own kubelet runs on"
    );
    sh.run_line("sleep 60");
    assert_eq!(node_status(&mut sh, "node2"), "NotReady");
    assert_eq!(node_status(&mut sh, "node1"), "Ready");
    assert_eq!(
        sh.run_line("ssh node2 systemctl start kubelet").exit_code,
        0
    );
    sh.run_line("sleep 30");
    assert_eq!(node_status(&mut sh, "node2"), "Ready");

    assert_eq!(
        sh.run_line("ssh node2 systemctl stop containerd").exit_code,
        0
    );
    let down = sh.run_line("ssh node2 crictl ps");
    assert_eq!(down.exit_code, 1);
    assert!(
        down.stderr.contains("connection refused"),
        "{}",
        down.stderr
    );
    assert_eq!(
        sh.run_line("ssh node2 systemctl start containerd")
            .exit_code,
        0
    );
    let up = sh.run_line("ssh node2 systemctl is-active containerd");
    assert_eq!(up.stdout, "active\n");
    assert_eq!(sh.host(), "master");
}

#[test]
fn ssh_node_crictl_stop_stops_a_container_there_and_the_kubelet_restarts_it() {
    let mut sh = lab_with_web();
    let pod = web_pod(&mut sh);
    let wide = sh.run_line(&format!("kubectl get pod {pod} -o wide"));
    let node = if wide.stdout.contains("node1") {
        "node1"
    } else {
        "node2"
    };
    let ps = sh.run_line(&format!("ssh {node} crictl ps"));
    let id = ps
        .stdout
        .lines()
        .find(|l| l.contains(" nginx "))
        .and_then(|l| l.split_whitespace().next())
        .expect("nginx container")
        .to_string();
    let stopped = sh.run_line(&format!("ssh {node} crictl stop {id}"));
    assert_eq!(stopped.stdout, format!("{id}\n"), "{}", stopped.stderr);
    assert_eq!(sh.prompt(), "[root@master ~]# ");
    sh.run_line("sleep 30");
    let row = sh.run_line(&format!("kubectl get pod {pod} --no-headers"));
    let fields: Vec<&str> = row.stdout.split_whitespace().collect();
    assert_eq!(
        (fields.get(2), fields.get(3)),
        (Some(&"Running"), Some(&"1")),
        "{}",
        row.stdout
    );
}

/// The rule as iptables-save lists it.
const DROP_TO_MASTER: &str = "-A OUTPUT -d 172.16.20.11/32 -j DROP";

#[test]
fn an_iptables_drop_to_master_cuts_node2_off_until_the_rule_is_deleted() {
    let mut sh = lab_with_web();
    let cut = sh.run_line("ssh node2 iptables -A OUTPUT -d 172.16.20.11 -j DROP");
    assert_eq!(
        (cut.stdout.as_str(), cut.stderr.as_str(), cut.exit_code),
        ("", "", 0)
    );
    let saved = sh.run_line("ssh node2 iptables-save -t filter");
    let output_rules: Vec<&str> = saved
        .stdout
        .lines()
        .filter(|l| l.starts_with("-A OUTPUT "))
        .collect();
    assert_eq!(
        output_rules.last(),
        Some(&DROP_TO_MASTER),
        "appended after kube-proxy's rules:\n{}",
        saved.stdout
    );
    assert!(!sh
        .run_line("ssh node1 iptables-save")
        .stdout
        .contains(DROP_TO_MASTER));
    sh.run_line("sleep 25");
    assert_eq!(
        node_status(&mut sh, "node2"),
        "Ready",
        "within the 40 s grace period"
    );
    sh.run_line("sleep 35");
    assert_eq!(node_status(&mut sh, "node2"), "NotReady");
    assert_eq!(node_status(&mut sh, "node1"), "Ready");
    let json = sh.run_line("kubectl get node node2 -o json");
    let node: serde_json::Value = serde_json::from_str(&json.stdout).expect("node JSON");
    let ready = node["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
        .expect("a Ready condition");
    assert_eq!(ready["status"], "Unknown");
    assert_eq!(ready["reason"], "NodeStatusUnknown");
    assert_eq!(ready["message"], "Kubelet stopped posting node status.");

    let mended = sh.run_line("ssh node2 iptables -D OUTPUT -d 172.16.20.11 -j DROP");
    assert_eq!((mended.stderr.as_str(), mended.exit_code), ("", 0));
    let again = sh.run_line("ssh node2 iptables -D OUTPUT -d 172.16.20.11 -j DROP");
    assert_eq!(
        (again.stderr.as_str(), again.exit_code),
        (
            "iptables: Bad rule (does a matching rule exist in that chain?).\n",
            1
        )
    );
    sh.run_line("sleep 30");
    assert_eq!(node_status(&mut sh, "node2"), "Ready");
    let saved = sh.run_line("ssh node2 iptables-save -t filter");
    assert!(!saved.stdout.contains(DROP_TO_MASTER), "{}", saved.stdout);
}

#[test]
fn iptables_insert_puts_the_drop_first_and_master_cannot_cut_itself_off() {
    let mut sh = lab_with_web();
    assert_eq!(
        sh.run_line("ssh node1 iptables -I OUTPUT -d 172.16.20.11/32 -j DROP")
            .exit_code,
        0
    );
    let saved = sh.run_line("ssh node1 iptables-save -t filter");
    let output_rules: Vec<&str> = saved
        .stdout
        .lines()
        .filter(|l| l.starts_with("-A OUTPUT "))
        .collect();
    assert_eq!(
        output_rules.first(),
        Some(&DROP_TO_MASTER),
        "{}",
        saved.stdout
    );
    assert!(output_rules.len() > 1, "kube-proxy's rules follow");
    sh.run_line("sleep 60");
    assert_eq!(node_status(&mut sh, "node1"), "NotReady");
    // A reboot forgets rules typed by hand.
    sh.run_line("vagrant halt node1");
    sh.run_line("vagrant up node1");
    sh.run_line("sleep 30");
    assert_eq!(node_status(&mut sh, "node1"), "Ready");
    assert!(!sh
        .run_line("ssh node1 iptables-save")
        .stdout
        .contains(DROP_TO_MASTER));

    let own = sh.run_line("iptables -A OUTPUT -d 172.16.20.11 -j DROP");
    assert_eq!(own.exit_code, 1);
    assert!(
        own.stderr.starts_with("iptables: the sandbox keeps master"),
        "{}",
        own.stderr
    );
    let other = sh.run_line("ssh node2 iptables -L");
    assert_eq!(
        other.stderr,
        "iptables: only `iptables-save` is simulated here (try `iptables-save -t nat`)\n"
    );
}

#[test]
fn moving_the_scheduler_manifest_out_stops_its_static_pod_and_new_pods_wait_until_it_is_back() {
    let mut sh = Shell::new(Lab::boot(1));
    let all = "etcd.yaml  kube-apiserver.yaml  kube-controller-manager.yaml  kube-scheduler.yaml\n";
    assert_eq!(sh.run_line("ls /etc/kubernetes/manifests").stdout, all);
    let manifest = sh.run_line("cat /etc/kubernetes/manifests/kube-scheduler.yaml");
    assert!(
        manifest
            .stdout
            .contains("image: registry.k8s.io/kube-scheduler:v1.32.0\n"),
        "{}",
        manifest.stdout
    );
    assert!(system_pods(&mut sh)
        .iter()
        .any(|(n, s)| n == "kube-scheduler-master" && s == "Running"));

    let out = sh.run_line("mv /etc/kubernetes/manifests/kube-scheduler.yaml /etc/kubernetes/");
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    assert_eq!(out.exit_code, 0);
    assert_eq!(
        sh.run_line("ls /etc/kubernetes/manifests").stdout,
        "etcd.yaml  kube-apiserver.yaml  kube-controller-manager.yaml\n"
    );
    assert!(sh
        .run_line("ls /etc/kubernetes")
        .stdout
        .contains("  kube-scheduler.yaml  "));
    let system = system_pods(&mut sh);
    assert!(
        !system.iter().any(|(n, _)| n == "kube-scheduler-master"),
        "{system:?}"
    );
    assert!(system
        .iter()
        .any(|(n, _)| n == "kube-controller-manager-master"));
    let ps = sh.run_line("crictl ps");
    assert!(
        !ps.stdout.contains(" kube-scheduler "),
        "its container stopped:\n{}",
        ps.stdout
    );
    assert!(ps.stdout.contains(" kube-apiserver "));

    let again = sh.run_line("mv /etc/kubernetes/manifests/kube-scheduler.yaml /tmp/");
    assert_eq!(
        (again.stderr.as_str(), again.exit_code),
        (
            "mv: cannot stat '/etc/kubernetes/manifests/kube-scheduler.yaml': No such file or directory\n",
            1
        )
    );

    sh.run_line("kubectl create deployment web --image=nginx --replicas=2");
    sh.run_line("sleep 30");
    let pending = pods(&mut sh, "web-");
    assert_eq!(pending.len(), 2, "the controllers still create the pods");
    assert!(
        pending.iter().all(|p| p.1 == "Pending" && p.2 == "<none>"),
        "{pending:?}"
    );

    let back = sh.run_line("mv /etc/kubernetes/kube-scheduler.yaml /etc/kubernetes/manifests/");
    assert_eq!((back.stderr.as_str(), back.exit_code), ("", 0));
    sh.run_line("sleep 10");
    assert_eq!(sh.run_line("ls /etc/kubernetes/manifests").stdout, all);
    assert!(system_pods(&mut sh)
        .iter()
        .any(|(n, s)| n == "kube-scheduler-master" && s == "Running"));
    let placed = pods(&mut sh, "web-");
    assert_eq!(placed.len(), 2);
    assert!(
        placed
            .iter()
            .all(|p| p.1 == "Running" && (p.2 == "node1" || p.2 == "node2")),
        "{placed:?}"
    );
}

#[test]
fn moving_the_controller_manager_manifest_out_stops_every_controller_until_it_is_back() {
    let mut sh = Shell::new(Lab::boot(2));
    let out = sh.run_line("mv /etc/kubernetes/manifests/kube-controller-manager.yaml ~");
    assert_eq!((out.stderr.as_str(), out.exit_code), ("", 0));
    assert_eq!(sh.run_line("ls").stdout, "kube-controller-manager.yaml\n");
    assert!(!system_pods(&mut sh)
        .iter()
        .any(|(n, _)| n == "kube-controller-manager-master"));
    sh.run_line("kubectl create deployment web --image=nginx");
    sh.run_line("kubectl create namespace dev");
    sh.run_line("sleep 30");
    assert_eq!(
        sh.run_line("kubectl get rs").stderr,
        "No resources found in default namespace.\n",
        "nobody makes the ReplicaSet"
    );
    assert_eq!(
        sh.run_line("kubectl get sa -n dev").stderr,
        "No resources found in dev namespace.\n",
        "nor the namespace's default ServiceAccount"
    );

    let back = sh.run_line("mv /root/kube-controller-manager.yaml /etc/kubernetes/manifests");
    assert_eq!((back.stderr.as_str(), back.exit_code), ("", 0));
    sh.run_line("sleep 10");
    assert_eq!(sh.run_line("ls").stdout, "");
    assert!(system_pods(&mut sh)
        .iter()
        .any(|(n, s)| n == "kube-controller-manager-master" && s == "Running"));
    let web = pods(&mut sh, "web-");
    assert_eq!(web.len(), 1);
    assert_eq!(web[0].1, "Running", "{web:?}");
    assert!(sh
        .run_line("kubectl get sa -n dev")
        .stdout
        .contains("default"));
}

#[test]
fn etcd_and_the_apiserver_stay_and_mv_answers_as_coreutils_does() {
    let mut sh = Shell::new(Lab::boot(3));
    for file in ["etcd.yaml", "kube-apiserver.yaml"] {
        let out = sh.run_line(&format!("mv /etc/kubernetes/manifests/{file} /tmp/"));
        assert_eq!(out.exit_code, 1, "{file}");
        let name = file.trim_end_matches(".yaml");
        assert!(
            out.stderr
                .starts_with(&format!("mv: the sandbox keeps {name} running: ")),
            "{}",
            out.stderr
        );
    }
    assert_eq!(
        sh.run_line("ls /etc/kubernetes/manifests").stdout,
        "etcd.yaml  kube-apiserver.yaml  kube-controller-manager.yaml  kube-scheduler.yaml\n"
    );
    assert_eq!(system_pods(&mut sh).len(), system_pods(&mut sh).len());
    assert!(system_pods(&mut sh).iter().any(|(n, _)| n == "etcd-master"));

    // A worker has an empty manifests directory.
    let worker = sh.run_line("ssh node1 mv /etc/kubernetes/manifests/kube-scheduler.yaml /tmp/");
    assert_eq!(
        worker.stderr,
        "mv: cannot stat '/etc/kubernetes/manifests/kube-scheduler.yaml': No such file or directory\n"
    );
    assert_eq!(
        sh.run_line("ssh node1 ls /etc/kubernetes/manifests").stdout,
        ""
    );

    let missing = sh.run_line("mv");
    assert_eq!(
        missing.stderr,
        "mv: missing file operand\nTry 'mv --help' for more information.\n"
    );
    let one = sh.run_line("mv /etc/kubernetes/manifests/kube-scheduler.yaml");
    assert_eq!(
        one.stderr,
        "mv: missing destination file operand after '/etc/kubernetes/manifests/kube-scheduler.yaml'\nTry 'mv --help' for more information.\n"
    );
    let nowhere = sh.run_line("mv /etc/kubernetes/manifests/kube-scheduler.yaml /nope/x.yaml");
    assert_eq!(
        nowhere.stderr,
        "mv: cannot move '/etc/kubernetes/manifests/kube-scheduler.yaml' to '/nope/x.yaml': No such file or directory\n"
    );
    let no_dir = sh.run_line("mv /etc/kubernetes/manifests/kube-scheduler.yaml /nope/");
    assert_eq!(
        no_dir.stderr,
        "mv: cannot move '/etc/kubernetes/manifests/kube-scheduler.yaml' to '/nope/': Not a directory\n"
    );
    let same =
        sh.run_line("mv /etc/kubernetes/manifests/kube-scheduler.yaml /etc/kubernetes/manifests");
    assert_eq!(
        same.stderr,
        "mv: '/etc/kubernetes/manifests/kube-scheduler.yaml' and '/etc/kubernetes/manifests/kube-scheduler.yaml' are the same file\n"
    );
    // Files of the home directory are renamed as usual.
    sh.run_line("echo hi > a.txt");
    assert_eq!(sh.run_line("mv a.txt b.txt").exit_code, 0);
    assert_eq!(sh.run_line("ls").stdout, "b.txt\n");
    assert_eq!(sh.run_line("cat ~/b.txt").stdout, "hi\n");
}
