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
        format!("Error from server (BadRequest): container x is not valid for pod {pod}\n")
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
