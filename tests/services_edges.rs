//! Edges of the wired Service network: node port conflicts, type changes, a stopped kube-proxy,
//! busybox pods, and typed nonsense that must come back as errors, never panics.

use kube_sandbox::sim::cluster::Cluster;
use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

fn service(name: &str, type_: &str, node_port: Option<u16>) -> String {
    let node_port = node_port
        .map(|p| format!("    nodePort: {p}\n"))
        .unwrap_or_default();
    format!(
        "kubectl apply -f - <<EOF
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  type: {type_}
  selector:
    app: web
  ports:
  - port: 80
{node_port}EOF"
    )
}

fn boot(seed: u64) -> Shell<Cluster> {
    Shell::new(Lab::boot(seed).cluster)
}

fn ports_column(shell: &mut Shell<Cluster>, name: &str) -> String {
    let out = shell.run_line(&format!("kubectl get svc {name} --no-headers"));
    out.stdout
        .split_whitespace()
        .nth(4)
        .unwrap_or("")
        .to_string()
}

#[test]
fn a_node_port_already_taken_is_refused_with_upstreams_error() {
    let mut shell = boot(1);
    assert_eq!(
        shell
            .run_line(&service("a", "NodePort", Some(30080)))
            .exit_code,
        0
    );
    let out = shell.run_line(&service("b", "NodePort", Some(30080)));
    assert_eq!(
        out.stderr,
        "The Service \"b\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated\n"
    );
    // An automatic one lands in the upper band (30086 and up).
    assert_eq!(shell.run_line(&service("c", "NodePort", None)).exit_code, 0);
    let ports = ports_column(&mut shell, "c");
    let port: u16 = ports
        .strip_prefix("80:")
        .and_then(|p| p.strip_suffix("/TCP"))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{ports}"));
    assert!((30086..=32767).contains(&port), "{port}");
}

#[test]
fn changing_a_node_port_service_to_cluster_ip_releases_its_port() {
    let mut shell = boot(2);
    assert_eq!(
        shell
            .run_line(&service("a", "NodePort", Some(30080)))
            .exit_code,
        0
    );
    let out = shell.run_line(&service("a", "ClusterIP", None));
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    assert_eq!(ports_column(&mut shell, "a"), "80/TCP");
    assert_eq!(
        shell
            .run_line(&service("b", "NodePort", Some(30080)))
            .exit_code,
        0
    );
    // Re-applying a NodePort manifest without nodePort keeps the one it has.
    assert_eq!(shell.run_line(&service("b", "NodePort", None)).exit_code, 0);
    assert_eq!(ports_column(&mut shell, "b"), "80:30080/TCP");
}

#[test]
fn without_kube_proxy_on_the_vm_a_cluster_ip_goes_nowhere() {
    let mut shell = boot(3);
    shell.run_line("kubectl create deployment web --image=nginx --replicas=2");
    shell.run_line(&service("web", "ClusterIP", None));
    shell.run_line("sleep 60");
    let out = shell.run_line("kubectl get svc web --no-headers");
    let ip = out
        .stdout
        .split_whitespace()
        .nth(2)
        .unwrap_or("")
        .to_string();
    let out = shell.run_line(&format!("curl -s {ip}"));
    assert!(out.stdout.contains("Welcome to nginx!"), "{out:?}");
    assert!(shell.backend_mut().stop_component("kube-proxy@master"));
    let out = shell.run_line(&format!("curl -m 5 {ip}"));
    assert_eq!(
        (out.stderr.as_str(), out.exit_code),
        (
            "curl: (28) Connection timed out after 5001 milliseconds\n",
            28
        )
    );
}

#[test]
fn a_busybox_pod_has_wget_but_no_curl() {
    let mut shell = boot(4);
    shell.run_line("kubectl create deployment web --image=nginx --replicas=1");
    shell.run_line(&service("web", "ClusterIP", None));
    let out = shell.run_line(
        "kubectl apply -f - <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: tmp
spec:
  containers:
  - name: tmp
    image: busybox
    command: [sleep, \"3600\"]
EOF",
    );
    assert_eq!(out.exit_code, 0, "{out:?}");
    shell.run_line("sleep 60");
    let out = shell.run_line("kubectl get pod tmp --no-headers");
    assert!(out.stdout.contains("Running"), "{out:?}");
    let out = shell.run_line("kubectl exec tmp -- wget -qO- web");
    assert!(out.stdout.contains("Welcome to nginx!"), "{out:?}");
    let out = shell.run_line("kubectl exec tmp -- curl web");
    assert_eq!(out.exit_code, 126);
}

#[test]
fn typed_nonsense_is_an_error_never_a_panic() {
    let mut shell = boot(5);
    for line in [
        "curl",
        "curl ''",
        "curl http://",
        "curl :",
        "curl http://web:99999",
        "curl ftp://x",
        "curl -m",
        "curl -o",
        "curl 'http://[::1]:80/'",
        "curl http://ü.example/ä",
        "nslookup",
        "nslookup web 999.1.1.1",
        "iptables-save -t",
        "iptables-save -t raw",
        "iptables -t nat -L",
        "kubectl exec",
        "kubectl exec --",
        "kubectl exec -- curl x",
        "kubectl exec nope -- curl x",
        "kubectl exec -n",
        "kubectl exec x -n -- nslookup",
        "kubectl exec nope -- cat /etc/resolv.conf",
    ] {
        let out = shell.run_line(line);
        assert!(
            out.exit_code != 0 || !out.stdout.is_empty() || line.starts_with("iptables-save"),
            "{line}: {out:?}"
        );
    }
}

#[test]
fn curl_to_a_closed_local_port_is_refused_at_once() {
    let mut shell = boot(1);
    for host in ["localhost", "127.0.0.1"] {
        let out = shell.run_line(&format!("curl http://{host}:8080/"));
        assert_eq!(out.exit_code, 7, "{out:?}");
        assert_eq!(
            out.stderr,
            format!("curl: (7) Failed to connect to {host} port 8080 after 0 ms: Couldn't connect to server\n")
        );
    }
}

#[test]
fn a_short_option_takes_the_rest_of_its_word_as_its_value() {
    let mut shell = boot(1);
    // `-o=x` writes to the file `=x`: the `s` in it does not make curl silent.
    let out = shell.run_line("curl A -o=jsonpath={.items[*].metadata.name}");
    assert_eq!(
        (out.stderr.as_str(), out.exit_code),
        ("curl: (6) Could not resolve host: a\n", 6)
    );
    let quiet = shell.run_line("curl -so /dev/null A");
    assert_eq!((quiet.stderr.as_str(), quiet.exit_code), ("", 6));
}
