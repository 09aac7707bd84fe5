//! Real kubectl as the judge of ours: each line runs with the real kubectl against
//! `kube-sandbox serve` and with the built-in kubectl on a lab booted from the same seed, after the
//! same earlier lines, and the two answers are compared byte for byte (stdout, stderr, exit code).
//!
//! Needs a real `kubectl` on PATH (kubectl 1.32 is on this project's machines); without one the
//! test says so and passes without comparing. `SERVE_DIFF=1` prints every difference.

use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;

use kube_sandbox::serve::net::{serve, Clock, Options, Started};
use kube_sandbox::serve::{grant_student, STUDENT_USER};
use kube_sandbox::sim::kubectl::words::{tokenize, Token};
use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

/// The corpus: each line, and whether the two must agree byte for byte. A line that does not is
/// listed with the reason (docs/serve.md keeps the same list).
const CORPUS: &[(&str, Expect)] = &[
    (
        "kubectl version",
        Expect::Differs("real kubectl prints its own client version"),
    ),
    ("kubectl get nodes", Expect::Same),
    ("kubectl get nodes -o wide", Expect::Same),
    ("kubectl get no", Expect::Same),
    ("kubectl get node node1", Expect::Same),
    ("kubectl get nodes --show-labels", Expect::Same),
    ("kubectl get pods -A", Expect::Same),
    ("kubectl get pods --all-namespaces -o wide", Expect::Same),
    ("kubectl get pods -n kube-system", Expect::Same),
    (
        "kubectl get pods -n kube-system -l k8s-app=kube-dns",
        Expect::Same,
    ),
    ("kubectl get pods", Expect::Same),
    ("kubectl get ns", Expect::Same),
    ("kubectl get namespaces", Expect::Same),
    ("kubectl get deployments -A", Expect::Same),
    ("kubectl get ds -n kube-system", Expect::Same),
    ("kubectl get rs -n kube-system", Expect::Same),
    ("kubectl get svc -A", Expect::Same),
    ("kubectl get services", Expect::Same),
    ("kubectl get cm -n kube-system", Expect::Same),
    ("kubectl get sa", Expect::Same),
    ("kubectl get endpoints -n kube-system", Expect::Same),
    (
        "kubectl get clusterrolebindings cluster-admin",
        Expect::Same,
    ),
    ("kubectl get pod nope", Expect::Same),
    ("kubectl get pods -n nope", Expect::Same),
    ("kubectl get deploy nope", Expect::Same),
    ("kubectl get node nope", Expect::Same),
    ("kubectl get widgets", Expect::Same),
    ("kubectl run nginx --image=nginx", Expect::Same),
    ("kubectl get pods", Expect::Same),
    ("kubectl get pods -o wide", Expect::Same),
    ("kubectl get pod nginx", Expect::Same),
    ("kubectl label pod nginx tier=web", Expect::Same),
    ("kubectl get pods --show-labels", Expect::Same),
    ("kubectl get pods -l tier=web", Expect::Same),
    ("kubectl annotate pod nginx note=hi", Expect::Same),
    ("kubectl delete pod nginx", Expect::Same),
    ("kubectl get pods", Expect::Same),
    ("kubectl delete pod nginx", Expect::Same),
    ("kubectl create -f DIR/web.yaml", Expect::Same),
    ("kubectl create -f DIR/web.yaml", Expect::Same),
    ("kubectl get deploy", Expect::Same),
    ("kubectl get deployment web -o wide", Expect::Same),
    ("kubectl get rs", Expect::Same),
    ("kubectl get pods -l app=web", Expect::Same),
    ("kubectl get pods -l app=web -o wide", Expect::Same),
    ("kubectl scale deployment web --replicas=3", Expect::Same),
    ("kubectl get deploy web", Expect::Same),
    ("kubectl get pods -l app=web", Expect::Same),
    ("kubectl scale deployment web --replicas=2", Expect::Same),
    ("kubectl get pods -o name", Expect::Same),
    ("kubectl expose deployment web --port=80", Expect::Same),
    ("kubectl describe svc web", Expect::Same),
    ("kubectl get svc web", Expect::Same),
    ("kubectl get endpoints web", Expect::Same),
    ("kubectl get deploy web -o yaml", Expect::Same),
    ("kubectl get svc web -o json", Expect::Same),
    (
        "kubectl set image deployment/web nginx=nginx:1.25",
        Expect::Same,
    ),
    ("kubectl rollout history deployment/web", Expect::Same),
    ("kubectl get rs", Expect::Same),
    ("kubectl rollout undo deployment/web", Expect::Same),
    ("kubectl logs deploy/web", Expect::Same),
    ("kubectl label node node1 gpu=true", Expect::Same),
    ("kubectl get nodes -l gpu=true", Expect::Same),
    ("kubectl cordon node1", Expect::Same),
    ("kubectl get nodes", Expect::Same),
    ("kubectl uncordon node1", Expect::Same),
    (
        "kubectl taint nodes node2 key=value:NoSchedule",
        Expect::Same,
    ),
    ("kubectl taint nodes node2 key-", Expect::Same),
    ("kubectl apply -f DIR/web.yaml", Expect::Same),
    (
        "kubectl describe deployment web",
        Expect::Differs(
            "only the events' ages: the real kubectl ages them by the wall clock, not the \
             lab's",
        ),
    ),
    ("kubectl delete svc web", Expect::Same),
    ("kubectl delete deployment web", Expect::Same),
    ("kubectl get deploy", Expect::Same),
    ("kubectl delete ns nope", Expect::Same),
    ("kubectl create namespace dev", Expect::Same),
    (
        "kubectl create configmap app --from-literal=a=b",
        Expect::Same,
    ),
    (
        "kubectl create deployment api --image=nginx --replicas=2",
        Expect::Same,
    ),
    ("kubectl get deploy api", Expect::Same),
    ("kubectl rollout status deployment/api", Expect::Same),
    ("kubectl auth can-i create pods", Expect::Same),
    ("kubectl auth can-i delete nodes", Expect::Same),
    ("kubectl auth can-i get pods --as=bob", Expect::Same),
    (
        "kubectl auth can-i get pods --as=bob -n kube-system",
        Expect::Same,
    ),
    ("kubectl auth whoami", Expect::Same),
    ("kubectl get all", Expect::Same),
    ("kubectl create namespace dev", Expect::Same),
    ("kubectl get ns", Expect::Same),
    ("kubectl get cm", Expect::Same),
    ("kubectl get cm app -o yaml", Expect::Same),
    ("kubectl get secrets -A", Expect::Same),
    ("kubectl get leases -n kube-node-lease", Expect::Same),
    ("kubectl get priorityclasses", Expect::Same),
    ("kubectl get roles -A", Expect::Same),
    ("kubectl get endpointslices -A", Expect::Same),
    ("kubectl get nodes -o name", Expect::Same),
    ("kubectl get pods -A -o name", Expect::Same),
    ("kubectl get deploy -A -o wide", Expect::Same),
    ("kubectl get svc -A -o wide", Expect::Same),
    ("kubectl get node node9", Expect::Same),
    ("kubectl delete pod nope", Expect::Same),
    ("kubectl delete ns dev", Expect::Same),
    ("kubectl get ns", Expect::Same),
    (
        "kubectl create configmap app --from-literal=a=b",
        Expect::Same,
    ),
    ("kubectl create deployment api --image=nginx", Expect::Same),
    (
        "kubectl create secret generic s1 --from-literal=a=b",
        Expect::Same,
    ),
    (
        "kubectl create secret generic s1 --from-literal=a=b",
        Expect::Same,
    ),
    ("kubectl create serviceaccount robot", Expect::Same),
    ("kubectl create serviceaccount robot", Expect::Same),
    (
        "kubectl create service nodeport np --tcp=80:80",
        Expect::Same,
    ),
    (
        "kubectl create service nodeport np --tcp=80:80",
        Expect::Same,
    ),
    (
        "kubectl create role reader --verb=get --resource=pods",
        Expect::Same,
    ),
    (
        "kubectl create role reader --verb=get --resource=pods",
        Expect::Same,
    ),
    (
        "kubectl create rolebinding read --role=reader --user=bob",
        Expect::Same,
    ),
    (
        "kubectl create rolebinding read --role=reader --user=bob",
        Expect::Same,
    ),
    ("kubectl create job once --image=busybox", Expect::Same),
    ("kubectl create job once --image=busybox", Expect::Same),
    ("kubectl create quota q --hard=pods=20", Expect::Same),
    ("kubectl create quota q --hard=pods=20", Expect::Same),
    (
        "kubectl create priorityclass high --value=1000",
        Expect::Same,
    ),
    (
        "kubectl create priorityclass high --value=1000",
        Expect::Same,
    ),
    ("kubectl get quota", Expect::Same),
    ("kubectl get sa", Expect::Same),
    ("kubectl get secrets", Expect::Same),
    ("kubectl get rolebindings -o wide", Expect::Same),
    ("kubectl get jobs", Expect::Same),
    ("kubectl get svc -o wide", Expect::Same),
    ("kubectl delete configmap app", Expect::Same),
    ("kubectl delete deployment api", Expect::Same),
    ("kubectl get pods", Expect::Same),
    // Chunked lists, patches, replace, selectors and the client-side printers.
    ("kubectl get pods -A --chunk-size=3", Expect::Same),
    ("kubectl get rolebindings", Expect::Same),
    ("kubectl api-versions", Expect::Same),
    ("kubectl api-resources", Expect::Same),
    ("kubectl api-resources --namespaced=false", Expect::Same),
    ("kubectl create -f DIR/web.yaml", Expect::Same),
    (
        "kubectl patch deployment web -p '{\"spec\":{\"replicas\":3}}'",
        Expect::Same,
    ),
    (
        "kubectl patch deployment web --type=json -p '[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":1}]'",
        Expect::Same,
    ),
    (
        "kubectl patch deployment web --type=merge -p '{\"metadata\":{\"labels\":{\"tier\":\"front\"}}}'",
        Expect::Same,
    ),
    ("kubectl get deploy web --show-labels", Expect::Same),
    ("kubectl get deploy web", Expect::Same),
    (
        "kubectl get pods -A --field-selector=spec.nodeName=node1",
        Expect::Same,
    ),
    (
        "kubectl get pods -n kube-system -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName",
        Expect::Same,
    ),
    (
        "kubectl get nodes -o jsonpath={.items[*].metadata.name}",
        Expect::Same,
    ),
    (
        "kubectl get pods -n kube-system --sort-by=.metadata.name",
        Expect::Same,
    ),
    ("kubectl get events --field-selector=reason=Killing", Expect::Same),
    ("kubectl get events -o wide --field-selector=reason=Created", Expect::Same),
    ("kubectl get events --field-selector=reason=Scheduled", Expect::Same),
    ("kubectl delete -f DIR/web.yaml", Expect::Same),
    // The kubeconfig's student, whom RBAC keeps to `default` (the built-in kubectl
    // impersonates them with `--as=student`).
    ("kubectl --context=student@kube-sandbox get pods", Expect::Same),
    ("kubectl --context=student@kube-sandbox get nodes", Expect::Same),
    (
        "kubectl --context=student@kube-sandbox get pods -n kube-system",
        Expect::Same,
    ),
    (
        "kubectl --context=student@kube-sandbox run s1 --image=nginx",
        Expect::Same,
    ),
    (
        "kubectl --context=student@kube-sandbox auth can-i create deployments",
        Expect::Same,
    ),
    (
        "kubectl --context=student@kube-sandbox auth can-i list nodes",
        Expect::Same,
    ),
    (
        "kubectl --context=student@kube-sandbox create namespace mine",
        Expect::Same,
    ),
    (
        "kubectl --context=student@kube-sandbox delete pod s1",
        Expect::Same,
    ),
    // kubectl explain from serve's OpenAPI documents, and manifests with typos.
    ("kubectl explain pods", Expect::Same),
    ("kubectl explain deployment.spec", Expect::Same),
    ("kubectl explain pods.spec.containers", Expect::Same),
    ("kubectl explain svc.spec.ports.port", Expect::Same),
    ("kubectl explain svc.spec.ports.targetPort", Expect::Same),
    (
        "kubectl explain pods.metadata.creationTimestamp",
        Expect::Same,
    ),
    ("kubectl explain cm.data", Expect::Same),
    (
        "kubectl explain deployments.apps.spec.strategy",
        Expect::Same,
    ),
    ("kubectl explain deploy --recursive", Expect::Same),
    (
        "kubectl explain deployments --api-version=apps/v1",
        Expect::Same,
    ),
    ("kubectl explain pods.spec.nope", Expect::Same),
    ("kubectl explain deploy.nope.name", Expect::Same),
    ("kubectl explain widgets", Expect::Same),
    ("kubectl explain widgets.spec", Expect::Same),
    ("kubectl explain deploy --api-version=v1", Expect::Same),
    ("kubectl explain deploy --api-version=apps/v2", Expect::Same),
    ("kubectl explain", Expect::Same),
    ("kubectl explain pod svc", Expect::Same),
    ("kubectl explain pods --api-version=apps/v1", Expect::Same),
    (
        "kubectl explain pods.spec.containers.resources.limits",
        Expect::Same,
    ),
    ("kubectl explain cronjobs.spec.jobTemplate", Expect::Same),
    ("kubectl explain po.metadata.labels", Expect::Same),
    ("kubectl explain clusterrolebindings.subjects", Expect::Same),
    ("kubectl explain node.status --recursive", Expect::Same),
    ("kubectl explain endpointslices --recursive", Expect::Same),
    ("kubectl create -f DIR/typo.yaml", Expect::Same),
    ("kubectl apply -f DIR/typo.yaml", Expect::Same),
    ("kubectl create -f DIR/typo-pod.yaml", Expect::Same),
    ("kubectl apply -f DIR/typo-pod.yaml", Expect::Same),
    ("kubectl apply -f DIR/web.yaml", Expect::Same),
    ("kubectl apply -f DIR/web-typo.yaml", Expect::Same),
    ("kubectl get deploy", Expect::Same),
    ("kubectl get pods", Expect::Same),
    // describe of kinds without events (the real kubectl ages events by the wall clock).
    ("kubectl describe namespace default", Expect::Same),
    ("kubectl describe service kubernetes", Expect::Same),
    ("kubectl describe svc -n kube-system kube-dns", Expect::Same),
    // Not found on both sides: the lab has no root-CA ConfigMap per namespace.
    ("kubectl describe configmap kube-root-ca.crt", Expect::Same),
    // One data key: kubectl 1.32 prints a ConfigMap's keys in Go's random map order (later
    // kubectls sort them, as the built-in one does), so kube-proxy's two would differ by chance.
    ("kubectl describe cm -n kube-system coredns", Expect::Same),
    ("kubectl describe serviceaccount default", Expect::Same),
    ("kubectl describe sa -n kube-system coredns", Expect::Same),
    ("kubectl describe clusterrole view", Expect::Same),
    ("kubectl describe clusterrole system:node-proxier", Expect::Same),
    ("kubectl describe role reader", Expect::Same),
    // Server-side apply: the fields each manager owns, a conflict, and --force-conflicts.
    ("kubectl apply --server-side -f DIR/api.yaml", Expect::Same),
    ("kubectl apply --server-side -f DIR/api.yaml", Expect::Same),
    (
        "kubectl apply --server-side --dry-run=server -f DIR/api.yaml",
        Expect::Same,
    ),
    (
        "kubectl get deploy api -o jsonpath={.metadata.managedFields[*].manager}",
        Expect::Same,
    ),
    (
        "kubectl get deploy api -o jsonpath={.metadata.managedFields[0].fieldsV1}",
        Expect::Same,
    ),
    ("kubectl get deploy api -o yaml", Expect::Same),
    ("kubectl scale deploy api --replicas=3", Expect::Same),
    ("kubectl apply --server-side -f DIR/api.yaml", Expect::Same),
    ("kubectl set image deploy/api nginx=nginx:1.27", Expect::Same),
    (
        "kubectl apply --server-side --field-manager=team -f DIR/api.yaml",
        Expect::Same,
    ),
    (
        "kubectl apply --server-side --force-conflicts -f DIR/api.yaml",
        Expect::Same,
    ),
    (
        "kubectl get deploy api -o jsonpath={.spec.replicas}/{.spec.template.spec.containers[0].image}",
        Expect::Same,
    ),
    ("kubectl apply --force-conflicts -f DIR/api.yaml", Expect::Same),
    (
        "kubectl apply --server-side --dry-run=client -f DIR/api.yaml",
        Expect::Same,
    ),
    // An object a client-side apply made moves over: annotation kept, managers merged.
    ("kubectl apply --server-side -f DIR/web.yaml", Expect::Same),
    (
        "kubectl get deploy web -o jsonpath={.metadata.managedFields[*].manager}",
        Expect::Same,
    ),
    ("kubectl get deploy", Expect::Same),
    ("kubectl delete deployment api", Expect::Same),
    ("kubectl get deploy", Expect::Same),
    // exec over WebSocket (v5.channel.k8s.io), and the errors kubectl gets before the upgrade.
    ("kubectl run box --image=nginx", Expect::Same),
    ("kubectl exec box -- hostname", Expect::Same),
    ("kubectl exec box -- ls /", Expect::Same),
    ("kubectl exec box -- cat /etc/hostname", Expect::Same),
    ("kubectl exec box -- ls /nope", Expect::Same),
    ("kubectl exec box -- nope", Expect::Same),
    ("kubectl exec nope -- ls", Expect::Same),
    ("kubectl exec box -c nope -- ls", Expect::Same),
    ("kubectl exec box", Expect::Same),
    ("kubectl create deployment shop --image=nginx", Expect::Same),
    ("kubectl exec deploy/shop -- env", Expect::Same),
    (
        "kubectl exec deploy/shop -c nginx -- hostname",
        Expect::Same,
    ),
    // logs -f of a container that ended returns after its log, as kubectl does.
    (
        "kubectl run done --image=busybox --restart=Never -- echo hello",
        Expect::Same,
    ),
    ("kubectl logs -f done", Expect::Same),
    ("kubectl logs done --follow --timestamps", Expect::Same),
    ("kubectl exec done -- ls", Expect::Same),
    // exec of a TYPE/NAME with several pods says nothing of them (logs does); `-it` is `-i -t`.
    (
        "kubectl create deployment pair --image=nginx --replicas=2",
        Expect::Same,
    ),
    ("kubectl exec deploy/pair -- hostname", Expect::Same),
    ("kubectl exec pod/box -- hostname", Expect::Same),
    ("kubectl exec -q box -- hostname", Expect::Same),
    (
        "kubectl exec box --container=box -- ls /usr/share/nginx/html",
        Expect::Same,
    ),
    (
        "kubectl exec -it box -- hostname",
        Expect::Differs(
            "the judge runs the real kubectl with no terminal on stdin, so it warns `Unable to \
             use a TTY - input is not a terminal or the right kind of file`; the sandbox's \
             terminal is one",
        ),
    ),
    (
        "kubectl exec -n kube-system etcd-master -- hostname",
        Expect::Same,
    ),
    ("kubectl exec box -- ps", Expect::Same),
    ("kubectl exec rs/nope -- ls", Expect::Same),
    ("kubectl exec box -- cat /nope", Expect::Same),
    // kubectl checks a named container against the pod before it asks for the log.
    ("kubectl logs done -c nope", Expect::Same),
    ("kubectl logs -f done -c nope", Expect::Same),
    // Forwards run until stopped: see `judge_port_forward`.
    ("kubectl port-forward pod/box 18080:80", Expect::Same),
    ("kubectl port-forward pod/box 18081:81", Expect::Same),
    ("kubectl port-forward deploy/shop 18082:80", Expect::Same),
    ("kubectl delete pod box done", Expect::Same),
    ("kubectl delete deployment shop", Expect::Same),
    ("kubectl delete deployment pair", Expect::Same),
    // Two containers: kubectl defaults to the first and says so, or takes -c.
    ("kubectl create -f DIR/two.yaml", Expect::Same),
    ("kubectl exec two -- hostname", Expect::Same),
    ("kubectl exec two -c side -- ps", Expect::Same),
    ("kubectl logs two -c side", Expect::Same),
    // Its side container ignores SIGTERM: a graceful delete would wait out the grace period,
    // which a settled clock never reaches while kubectl only reads.
    ("kubectl delete pod two --grace-period=0 --force", Expect::Same),
    // Draining evicts: last, because it leaves the two clusters' clocks apart.
    (
        "kubectl drain node2 --ignore-daemonsets",
        Expect::Differs(
            "the real kubectl evicts the pods in parallel, so the order of its `evicting pod` \
             and `evicted` lines changes from run to run; the built-in one goes in list order",
        ),
    ),
    // Each eviction settles on its own here, where the built-in drain settles once: from now
    // on the two clocks differ, so only lines without ages or generated names follow.
    (
        "kubectl get node node2 -o jsonpath={.spec.unschedulable}",
        Expect::Same,
    ),
    (
        "kubectl get pods -A --field-selector=spec.nodeName=node2 -o name",
        Expect::Same,
    ),
    ("kubectl uncordon node2", Expect::Same),
];

const WEB_YAML: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx
";

/// A Deployment applied server-side, with a label it later keeps.
const API_YAML: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {tier: back}
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: nginx
        image: nginx
        ports:
        - containerPort: 80
";

/// A Deployment with a misspelled field: strict decoding refuses it.
const TYPO_YAML: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: typo
spec:
  replicass: 2
  selector:
    matchLabels: {app: typo}
  template:
    metadata:
      labels: {app: typo}
    spec:
      containers:
      - name: nginx
        image: nginx
";

/// A Pod whose container has a misspelled field.
const TYPO_POD_YAML: &str = "apiVersion: v1
kind: Pod
metadata:
  name: typo
spec:
  containers:
  - name: nginx
    imagee: nginx
";

/// WEB_YAML with a misspelled field, applied over the Deployment it made: a strategic merge
/// patch with an unknown field.
const WEB_TYPO_YAML: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx
        imagePullPolicyy: Always
";

/// A pod of two containers, for exec and logs with and without `-c`.
const TWO_YAML: &str = "apiVersion: v1
kind: Pod
metadata:
  name: two
spec:
  containers:
  - name: app
    image: nginx
  - name: side
    image: busybox
    command: [sleep, \"3600\"]
";

/// `Differs` carries why, for the reader (and docs/serve.md's list).
#[derive(Clone, Copy, Debug)]
enum Expect {
    Same,
    #[allow(dead_code)]
    Differs(&'static str),
}

/// Runs the real kubectl, killing it after a minute: a watch that never ends fails the line
/// instead of hanging the suite.
fn run_with_deadline(command: &mut Command, line: &str) -> std::process::Output {
    use std::process::Stdio;
    // No stdin: `exec -i` reads it to its end before the command runs.
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().expect("kubectl runs").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the real kubectl did not finish `{line}` within a minute");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("kubectl's output")
}

/// `kubectl port-forward` runs until it is stopped. The real one is started, one page is asked
/// for through its local port as curl asks (`Connection: close`), and it is stopped; the
/// built-in one keeps its forward in the shell, and its `curl` asks for the same page. Their
/// printed lines and the HTTP bodies must be the same. A port nothing listens on: kubectl's
/// error line (its klog prefix and time aside) and an empty reply, on both sides.
fn judge_port_forward<B: kube_sandbox::sim::kubectl::Backend>(
    kubectl: &PathBuf,
    kubeconfig: &std::path::Path,
    args: &[String],
    line: &str,
    shell: &mut Shell<B>,
) -> bool {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let local: u16 = args
        .last()
        .and_then(|pair| pair.split(':').next())
        .and_then(|p| p.parse().ok())
        .expect("a LOCAL:REMOTE pair");
    let mut child = Command::new(kubectl)
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl starts");
    let (lines_tx, lines) = mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for text in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(text);
        }
    });
    let mut stderr = child.stderr.take().expect("stderr");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut real_out = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while real_out.matches("Forwarding from").count() < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(text) = lines.recv_timeout(left) else {
            let _ = child.kill();
            panic!("the real `{line}` did not start forwarding within a minute");
        };
        real_out.push_str(&text);
        real_out.push('\n');
    }
    let mut connection =
        std::net::TcpStream::connect(("127.0.0.1", local)).expect("the forward listens");
    connection
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    connection
        .write_all(
            format!(
                "GET / HTTP/1.1\r\nHost: localhost:{local}\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
    let mut response = Vec::new();
    let _ = connection.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    let real_body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    // The error, if any, is printed as the connection ends; then the process is stopped.
    std::thread::sleep(Duration::from_millis(500));
    let _ = child.kill();
    let _ = child.wait();
    while let Ok(text) = lines.recv_timeout(Duration::from_secs(1)) {
        real_out.push_str(&text);
        real_out.push('\n');
    }
    let real_all = strip_klog(&format!("{real_out}{}", errors.join().unwrap_or_default()));
    let ours = shell.run_line(line);
    let curl = shell.run_line(&format!("curl -s localhost:{local}"));
    // The background kubectl's lines come before curl's page in the terminal.
    let ours_all = format!(
        "{}{}{}{}",
        ours.stdout, ours.stderr, curl.stdout, curl.stderr
    );
    let ours_lines = strip_klog(
        ours_all
            .strip_suffix(real_body.as_str())
            .unwrap_or(&ours_all),
    );
    let identical = real_all == ours_lines && ours_all.ends_with(&real_body);
    if !identical {
        eprintln!("--- {line}\nreal:\n{real_all}[body]\n{real_body}\nours:\n{ours_all}");
    }
    identical
}

/// Text without klog's `E1207 22:46:05.000894   24107 portforward.go:424] ` prefixes: their
/// time and pid are the process's own.
fn strip_klog(text: &str) -> String {
    text.lines()
        .map(|l| {
            let klog = l.len() > 5
                && matches!(l.as_bytes()[0], b'E' | b'W' | b'I')
                && l.as_bytes()[1..5].iter().all(u8::is_ascii_digit);
            match l.split_once("] ") {
                Some((_, rest)) if klog => rest,
                _ => l,
            }
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

fn real_kubectl() -> Option<PathBuf> {
    let out = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .ok()?;
    out.status.success().then(|| PathBuf::from("kubectl"))
}

#[test]
fn real_kubectl_and_the_built_in_kubectl_print_the_same() {
    let Some(kubectl) = real_kubectl() else {
        eprintln!("SKIPPED: no real kubectl on PATH to compare with");
        return;
    };
    let dir = std::env::temp_dir().join(format!("kube-sandbox-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    let (tx, rx) = mpsc::channel::<Started>();
    let options = Options {
        seed: 1,
        // Settle after each write, as the terminal does after each line: the same cluster.
        clock: Clock::Settle,
        port: 0,
        kubeconfig: kubeconfig.clone(),
        settle_seconds: 120,
    };
    std::thread::spawn(move || {
        serve(options, |started| tx.send(started.clone()).unwrap()).unwrap();
    });
    let started = rx.recv().expect("serve starts");
    for (name, text) in [
        ("web.yaml", WEB_YAML),
        ("typo.yaml", TYPO_YAML),
        ("typo-pod.yaml", TYPO_POD_YAML),
        ("web-typo.yaml", WEB_TYPO_YAML),
        ("two.yaml", TWO_YAML),
        ("api.yaml", API_YAML),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let mut lab = Lab::boot(1);
    grant_student(&mut lab).expect("the student's RoleBinding");
    let mut shell = Shell::new(lab);
    shell.set_file_reader(Box::new(|path| std::fs::read_to_string(path).ok()));
    // The docs the real kubectl reads from serve's OpenAPI documents.
    shell.set_explain_docs(kube_sandbox::serve::openapi::EXPLAIN_DOCS.to_string());
    let show = std::env::var_os("SERVE_DIFF").is_some();
    let mut same = 0;
    let mut failures = Vec::new();
    for (line, expect) in CORPUS {
        let line = &line.replace("DIR", &dir.display().to_string());
        // The words the terminal's shell would hand kubectl (quotes removed).
        let args: Vec<String> = tokenize(line)
            .expect("a corpus line splits")
            .into_iter()
            .filter_map(|t| match t {
                Token::Word(w) => Some(w),
                _ => None,
            })
            .skip(1)
            .collect();
        if args.first().map(String::as_str) == Some("port-forward") {
            let identical =
                judge_port_forward(&kubectl, &started.kubeconfig, &args, line, &mut shell);
            same += usize::from(identical);
            if !identical {
                failures.push(line.clone());
            }
            continue;
        }
        let real = run_with_deadline(
            Command::new(&kubectl)
                .args(&args)
                .env("KUBECONFIG", &started.kubeconfig)
                .env("KUBECACHEDIR", dir.join("cache")),
            line,
        );
        // The built-in kubectl has no kubeconfig: the admin impersonates the student.
        let student = format!("--context={STUDENT_USER}@kube-sandbox");
        let ours = shell.run_line(&line.replace(&student, &format!("--as={STUDENT_USER}")));
        let real_out = String::from_utf8_lossy(&real.stdout);
        let real_err = String::from_utf8_lossy(&real.stderr);
        let real_code = real.status.code().unwrap_or(-1);
        let identical =
            real_out == ours.stdout && real_err == ours.stderr && real_code == ours.exit_code;
        if identical {
            same += 1;
        }
        if show && !identical {
            eprintln!(
                "--- {line}\nreal ({real_code}):\n{real_out}{real_err}\nours ({}):\n{}{}",
                ours.exit_code, ours.stdout, ours.stderr
            );
        }
        if matches!(expect, Expect::Same) && !identical {
            failures.push(line.clone());
        }
    }
    eprintln!(
        "serve: {same} of {} lines identical between real kubectl and the built-in one",
        CORPUS.len()
    );
    assert!(
        failures.is_empty(),
        "lines that should print the same do not (SERVE_DIFF=1 shows how): {failures:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
