//! The workload verbs from the terminal, on the booted lab: the course's `kubectl run` /
//! `kubectl expose` story, labels steering the scheduler, a rollout with its status, history and
//! undo, scaling, patches, and kubectl's error texts.
#![cfg(not(target_arch = "wasm32"))]

use kube_sandbox::sim::clock::TICKS_PER_SECOND;
use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

#[path = "support/lab_shell.rs"]
mod lab_shell;
use lab_shell::{fails, lab, ok};
use proptest::prelude::*;

/// A column of `kubectl get svc NAME`: 2 = CLUSTER-IP, 3 = EXTERNAL-IP, 4 = PORT(S).
fn svc_column(sh: &mut Shell<Lab>, name: &str, column: usize) -> String {
    ok(sh, &format!("kubectl get svc {name} --no-headers"))
        .split_whitespace()
        .nth(column)
        .unwrap_or("")
        .to_string()
}

/// NODE of every pod whose name starts with `prefix`.
fn pod_nodes(sh: &mut Shell<Lab>, prefix: &str) -> Vec<String> {
    ok(sh, "kubectl get pods -o wide --no-headers")
        .lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.split_whitespace().nth(6).map(String::from))
        .collect()
}

fn image_of(sh: &mut Shell<Lab>, deployment: &str) -> String {
    let yaml = ok(sh, &format!("kubectl get deploy {deployment} -o yaml"));
    yaml.lines()
        .find_map(|l| {
            l.trim()
                .trim_start_matches("- ")
                .strip_prefix("image: ")
                .map(String::from)
        })
        .unwrap_or_default()
}

#[test]
fn the_courses_run_and_expose_reach_kubia_through_the_load_balancer() {
    let mut sh = lab();
    assert_eq!(
        sh.run_line("kubectl run kubia --image=luksa/kubia --port=8080 --generator=run/v1")
            .stderr,
        "Error: unknown flag: --generator\nSee 'kubectl run --help' for usage.\n"
    );
    assert_eq!(
        ok(&mut sh, "kubectl run kubia --image=luksa/kubia --port=8080"),
        "pod/kubia created\n"
    );
    assert!(ok(&mut sh, "kubectl get pods --show-labels").contains("run=kubia"));
    // Settle only a moment after each line, to see the provider's delay.
    sh.set_settle_ticks(TICKS_PER_SECOND / 10);
    assert_eq!(
        ok(
            &mut sh,
            "kubectl expose pod kubia --type=LoadBalancer --name kubia-http"
        ),
        "service/kubia-http exposed\n"
    );
    assert_eq!(svc_column(&mut sh, "kubia-http", 3), "<pending>");
    let ports = svc_column(&mut sh, "kubia-http", 4);
    assert!(
        ports.starts_with("8080:") && ports.ends_with("/TCP"),
        "{ports}"
    );
    ok(&mut sh, "sleep 10");
    let external_soon = svc_column(&mut sh, "kubia-http", 3);
    assert!(external_soon.starts_with("172.16.20."), "{external_soon}");
    // The image pull takes a while; then the pod answers.
    ok(&mut sh, "sleep 60");
    let external = svc_column(&mut sh, "kubia-http", 3);
    assert!(external.starts_with("172.16.20."), "{external}");
    assert_eq!(
        ok(&mut sh, &format!("curl -s {external}:8080")),
        "You've hit kubia\n"
    );
    let cluster_ip = svc_column(&mut sh, "kubia-http", 2);
    assert_eq!(
        ok(&mut sh, &format!("curl -s {cluster_ip}:8080")),
        "You've hit kubia\n"
    );
    let svc = ok(&mut sh, "kubectl get svc kubia-http -o yaml");
    assert!(svc.contains("  selector:\n    run: kubia\n"), "{svc}");
    assert!(svc.contains("  labels:\n    run: kubia\n"), "{svc}");
}

#[test]
fn expose_takes_the_selector_and_port_of_a_replication_controller() {
    let mut sh = lab();
    ok(
        &mut sh,
        "kubectl apply -f - <<EOF
apiVersion: v1
kind: ReplicationController
metadata:
  name: kubia
spec:
  replicas: 3
  selector:
    app: kubia
  template:
    metadata:
      labels:
        app: kubia
    spec:
      containers:
      - name: kubia
        image: luksa/kubia
        ports:
        - containerPort: 8080
EOF",
    );
    assert_eq!(
        ok(
            &mut sh,
            "kubectl expose rc kubia --type=LoadBalancer --name kubia-http"
        ),
        "service/kubia-http exposed\n"
    );
    let svc = ok(&mut sh, "kubectl get svc kubia-http -o yaml");
    assert!(
        svc.contains("    port: 8080\n    protocol: TCP\n    targetPort: 8080\n"),
        "{svc}"
    );
    assert!(svc.contains("  selector:\n    app: kubia\n"));
    ok(&mut sh, "sleep 60");
    let pods = ok(&mut sh, "kubectl get pods");
    assert_eq!(pods.matches("Running").count(), 3, "{pods}");
    let external = svc_column(&mut sh, "kubia-http", 3);
    let hit = ok(&mut sh, &format!("curl -s {external}:8080"));
    // kubia answers with its hostname: one of the controller's pods.
    assert!(hit.starts_with("You've hit kubia-"), "{hit}");
    // Without a port to find, expose says why.
    ok(&mut sh, "kubectl run bare --image=nginx");
    assert_eq!(
        fails(&mut sh, "kubectl expose pod bare"),
        "error: couldn't find port via --port flag or introspection\nSee 'kubectl expose -h' for help and examples\n"
    );
    assert_eq!(
        ok(
            &mut sh,
            "kubectl expose pod bare --port=80 --target-port=8080 --type=NodePort"
        ),
        "service/bare exposed\n"
    );
    assert!(svc_column(&mut sh, "bare", 4).starts_with("80:"));
    assert_eq!(
        fails(&mut sh, "kubectl expose node node1 --port=80"),
        "error: cannot expose a Node\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl expose deploy nope --port=80"),
        "Error from server (NotFound): deployments.apps \"nope\" not found\n"
    );
}

#[test]
fn run_with_dry_run_prints_the_pod_kubectl_would_send() {
    let mut sh = lab();
    let yaml = ok(
        &mut sh,
        "kubectl run busy --image=busybox --restart=Never --env=A=1 --dry-run=client -o yaml -- sleep 3600",
    );
    assert_eq!(
        yaml,
        "apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: null
  labels:
    run: busy
  name: busy
spec:
  containers:
  - args:
    - sleep
    - \"3600\"
    env:
    - name: A
      value: \"1\"
    image: busybox
    name: busy
    resources: {}
  dnsPolicy: ClusterFirst
  restartPolicy: Never
status: {}
"
    );
    assert_eq!(
        sh.run_line("kubectl get pod busy").stderr,
        "Error from server (NotFound): pods \"busy\" not found\n"
    );
    let cmd = ok(
        &mut sh,
        "kubectl run busy --image=busybox --command --labels=tier=db -o yaml --dry-run=client -- sh -c true",
    );
    assert!(
        cmd.contains("  - command:\n    - sh\n    - -c\n    - \"true\"\n"),
        "{cmd}"
    );
    assert!(cmd.contains("  labels:\n    tier: db\n"), "{cmd}");
    assert_eq!(
        fails(&mut sh, "kubectl run x"),
        "error: required flag(s) \"image\" not set\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl run --image=nginx"),
        "error: NAME is required for run\nSee 'kubectl run -h' for help and examples\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl run x --image=nginx --restart=Sometimes"),
        "error: invalid restart policy: Sometimes\nSee 'kubectl run -h' for help and examples\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl run x --image=nginx --port=http"),
        "error: strconv.Atoi: parsing \"http\": invalid syntax\n"
    );
    assert_eq!(
        ok(
            &mut sh,
            "kubectl run front --image=nginx --port=80 --expose"
        ),
        "service/front created\npod/front created\n"
    );
    assert!(ok(&mut sh, "kubectl get svc front").contains("80/TCP"));
    assert_eq!(
        fails(&mut sh, "kubectl run back --image=nginx --expose"),
        "error: --port must be set when exposing a service\n"
    );
    ok(&mut sh, "kubectl run web --image=nginx");
    assert_eq!(
        fails(&mut sh, "kubectl run web --image=nginx"),
        "Error from server (AlreadyExists): pods \"web\" already exists\n"
    );
}

#[test]
fn a_node_label_steers_pods_with_a_node_selector_to_that_node() {
    let mut sh = lab();
    assert_eq!(
        ok(&mut sh, "kubectl label node node1 gpu=true"),
        "node/node1 labeled\n"
    );
    assert!(ok(&mut sh, "kubectl get nodes --show-labels").contains("gpu=true"));
    ok(
        &mut sh,
        "kubectl create deployment gpu --image=nginx --replicas=4",
    );
    assert_eq!(
        ok(
            &mut sh,
            r#"kubectl patch deployment gpu -p '{"spec":{"template":{"spec":{"nodeSelector":{"gpu":"true"}}}}}'"#
        ),
        "deployment.apps/gpu patched\n"
    );
    ok(&mut sh, "sleep 60");
    let nodes = pod_nodes(&mut sh, "gpu-");
    assert_eq!(nodes, vec!["node1"; 4], "{nodes:?}");
}

#[test]
fn label_and_annotate_answer_as_kubectl_does() {
    let mut sh = lab();
    ok(&mut sh, "kubectl run web --image=nginx");
    let cases: &[(&str, &str, &str)] = &[
        ("kubectl label pod web tier=front", "pod/web labeled\n", ""),
        ("kubectl label pod web tier=front", "pod/web not labeled\n", ""),
        (
            "kubectl label pod web tier=back",
            "",
            "error: 'tier' already has a value (front), and --overwrite is false\n",
        ),
        ("kubectl label pod web tier=back --overwrite", "pod/web labeled\n", ""),
        ("kubectl label pod/web tier-", "pod/web unlabeled\n", ""),
        (
            "kubectl label pod web tier-",
            "label \"tier\" not found.\npod/web not labeled\n",
            "",
        ),
        (
            "kubectl label pod web",
            "",
            "error: at least one label update is required\nSee 'kubectl label -h' for help and examples\n",
        ),
        (
            "kubectl label gpu=true",
            "",
            "error: one or more resources must be specified as <resource> <name> or <resource>/<name>\n",
        ),
        (
            "kubectl label pods --all -l run=web x=y",
            "",
            "error: cannot set --all and --selector at the same time\n",
        ),
        ("kubectl label pods -l run=web env=dev", "pod/web labeled\n", ""),
        (
            "kubectl label pod nope a=b",
            "",
            "Error from server (NotFound): pods \"nope\" not found\n",
        ),
        (
            "kubectl annotate pod web description='my frontend'",
            "pod/web annotated\n",
            "",
        ),
        (
            "kubectl annotate pod web description=other",
            "",
            "error: 'description' already has a value (my frontend), and --overwrite is false\n",
        ),
        ("kubectl annotate pod web description-", "pod/web annotated\n", ""),
        (
            "kubectl label pod web a=1 --dry-run=client",
            "pod/web labeled (dry run)\n",
            "",
        ),
    ];
    for (line, stdout, stderr) in cases {
        let out = sh.run_line(line);
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str()),
            (*stdout, *stderr),
            "{line}"
        );
    }
    let labels = ok(&mut sh, "kubectl get pod web --show-labels --no-headers");
    assert!(labels.contains("env=dev,run=web"), "{labels}");
    assert!(
        !labels.contains("a=1"),
        "a dry run changed nothing: {labels}"
    );
}

#[test]
fn a_rollout_shows_its_progress_history_and_undo() {
    let mut sh = lab();
    ok(
        &mut sh,
        "kubectl create deployment web --image=nginx:1.26 --replicas=3",
    );
    // `&&` keeps the cluster from settling between the two, so status sees the rollout move.
    let out = ok(
        &mut sh,
        "kubectl set image deployment/web nginx=nginx:1.27 && kubectl rollout status deployment/web",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.first(), Some(&"deployment.apps/web image updated"));
    assert_eq!(
        lines.last(),
        Some(&"deployment \"web\" successfully rolled out")
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Waiting for deployment \"web\" rollout to finish: ")),
        "{out}"
    );
    assert_eq!(image_of(&mut sh, "web"), "nginx:1.27");
    // The same image again patches nothing and prints nothing, as kubectl.
    assert_eq!(
        ok(&mut sh, "kubectl set image deployment/web nginx=nginx:1.27"),
        ""
    );
    assert_eq!(
        ok(&mut sh, "kubectl rollout history deployment/web"),
        "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
    );
    let rev1 = ok(&mut sh, "kubectl rollout history deploy/web --revision=1");
    assert!(
        rev1.starts_with(
            "deployment.apps/web with revision #1\nPod Template:\n  Labels:  app=web\n"
        ),
        "{rev1}"
    );
    assert!(rev1.contains("    Image:  nginx:1.26\n"), "{rev1}");
    assert_eq!(
        ok(&mut sh, "kubectl rollout undo deployment/web"),
        "deployment.apps/web rolled back\n"
    );
    assert_eq!(image_of(&mut sh, "web"), "nginx:1.26");
    // The old ReplicaSet is reused: it becomes revision 3, and no third ReplicaSet appears.
    assert_eq!(
        ok(&mut sh, "kubectl rollout history deployment/web"),
        "deployment.apps/web \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n"
    );
    assert_eq!(
        ok(&mut sh, "kubectl get rs --no-headers").lines().count(),
        2
    );
    assert_eq!(
        ok(&mut sh, "kubectl rollout status deployment/web"),
        "deployment \"web\" successfully rolled out\n"
    );
    assert_eq!(
        ok(
            &mut sh,
            "kubectl rollout undo deployment/web --to-revision=3"
        ),
        "deployment.apps/web skipped rollback (current template already matches revision 3)\n"
    );
    assert_eq!(
        fails(
            &mut sh,
            "kubectl rollout undo deployment/web --to-revision=9"
        ),
        "error: unable to find specified revision 9 in history\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl set image deployment/web php=php:8"),
        "error: unable to find container named \"php\"\n"
    );
}

#[test]
fn pause_resume_and_restart_patch_the_deployment() {
    let mut sh = lab();
    ok(
        &mut sh,
        "kubectl create deployment web --image=nginx --replicas=2",
    );
    assert_eq!(
        ok(&mut sh, "kubectl rollout pause deployment/web"),
        "deployment.apps/web paused\n"
    );
    assert_eq!(
        ok(&mut sh, "kubectl rollout pause deployment/web"),
        "deployment.apps/web already paused\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl rollout restart deployment/web"),
        "error: deployments.apps \"web\" can't restart paused deployment (run rollout resume first)\n"
    );
    // A paused Deployment's new template does not roll out: status gives up at --timeout.
    let out = sh.run_line(
        "kubectl set image deploy/web nginx=nginx:1.27 && kubectl rollout status deploy/web --timeout=5s",
    );
    assert_eq!(out.stderr, "error: timed out waiting for the condition\n");
    assert!(
        out.stdout
            .contains("0 out of 2 new replicas have been updated"),
        "{}",
        out.stdout
    );
    assert_eq!(
        ok(&mut sh, "kubectl rollout resume deployment/web"),
        "deployment.apps/web resumed\n"
    );
    assert_eq!(
        ok(&mut sh, "kubectl rollout resume deployment/web"),
        "deployment.apps/web already resumed\n"
    );
    assert_eq!(
        ok(&mut sh, "kubectl rollout restart deployment/web"),
        "deployment.apps/web restarted\n"
    );
    assert!(ok(&mut sh, "kubectl get deploy web -o yaml")
        .contains("kubectl.kubernetes.io/restartedAt: \"20"));
    assert_eq!(
        ok(&mut sh, "kubectl rollout history deployment/web")
            .lines()
            .filter(|l| l.ends_with("<none>"))
            .count(),
        3
    );
}

#[test]
fn scale_changes_the_number_of_pods_up_and_down_to_zero() {
    let mut sh = lab();
    ok(&mut sh, "kubectl create deployment web --image=nginx");
    assert_eq!(
        ok(&mut sh, "kubectl scale deployment/web --replicas=5"),
        "deployment.apps/web scaled\n"
    );
    assert_eq!(pod_nodes(&mut sh, "web-").len(), 5);
    assert!(ok(&mut sh, "kubectl get deploy web").contains("5/5"));
    assert_eq!(
        ok(&mut sh, "kubectl scale deployment web --replicas=0"),
        "deployment.apps/web scaled\n"
    );
    ok(&mut sh, "sleep 60");
    assert_eq!(pod_nodes(&mut sh, "web-"), Vec::<String>::new());
    assert_eq!(
        fails(&mut sh, "kubectl scale deployment web"),
        "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n"
    );
    assert_eq!(
        fails(
            &mut sh,
            "kubectl scale deployment web --replicas=2 --current-replicas=3"
        ),
        "error: Expected replicas to be 3, was 0\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl scale deployment nope --replicas=2"),
        "Error from server (NotFound): deployments.apps \"nope\" not found\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl scale pod web-x --replicas=2"),
        "Error from server (NotFound): the server could not find the requested resource\n"
    );
    let rs = ok(&mut sh, "kubectl get rs -o name");
    let rs = rs.lines().next().unwrap_or("").to_string();
    assert_eq!(
        ok(&mut sh, &format!("kubectl scale {rs} --replicas=1")),
        format!("{rs} scaled\n")
    );
}

#[test]
fn patch_reports_no_change_and_speaks_all_three_patch_types() {
    let mut sh = lab();
    ok(&mut sh, "kubectl create deployment web --image=nginx");
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"kubectl patch deployment web -p '{"spec":{"replicas":2}}'"#,
            "deployment.apps/web patched\n",
            "",
        ),
        (
            r#"kubectl patch deployment web -p '{"spec":{"replicas":2}}'"#,
            "deployment.apps/web patched (no change)\n",
            "",
        ),
        (
            r#"kubectl patch deploy/web --type=merge -p 'spec: {replicas: 3}'"#,
            "deployment.apps/web patched\n",
            "",
        ),
        (
            r#"kubectl patch deployment web --type=json -p '[{"op":"replace","path":"/spec/replicas","value":1}]'"#,
            "deployment.apps/web patched\n",
            "",
        ),
        (
            r#"kubectl patch deployment web --type=xml -p '{}'"#,
            "",
            "error: --type must be one of [json merge strategic], not \"xml\"\n",
        ),
        (
            "kubectl patch deployment web",
            "",
            "error: must specify --patch or --patch-file containing the contents of the patch\nSee 'kubectl patch -h' for help and examples\n",
        ),
        (
            r#"kubectl patch deployment nope -p '{"spec":{}}'"#,
            "",
            "Error from server (NotFound): deployments.apps \"nope\" not found\n",
        ),
        (
            r#"kubectl patch node node2 -p '{"spec":{"unschedulable":true}}'"#,
            "node/node2 patched\n",
            "",
        ),
    ];
    for (line, stdout, stderr) in cases {
        let out = sh.run_line(line);
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str()),
            (*stdout, *stderr),
            "{line}"
        );
    }
    assert!(ok(&mut sh, "kubectl get deploy web").contains("1/1"));
    assert!(ok(&mut sh, "kubectl get node node2").contains("SchedulingDisabled"));
}

#[test]
fn the_verbs_are_no_longer_listed_as_not_run_yet() {
    let mut sh = lab();
    for verb in [
        "run", "expose", "label", "annotate", "scale", "set", "patch", "rollout",
    ] {
        let out = sh.run_line(&format!("kubectl {verb}"));
        assert!(
            !out.stderr.contains("does not run yet"),
            "kubectl {verb}: {}",
            out.stderr
        );
    }
    let help = ok(&mut sh, "kubectl help");
    assert!(help.contains("  rollout "), "{help}");
}

#[test]
fn the_same_lines_on_the_same_seed_print_the_same_rollout() {
    let story = |seed: u64| {
        let mut sh = Shell::new(Lab::boot(seed));
        let mut all = String::new();
        for line in [
            "kubectl create deployment web --image=nginx:1.26 --replicas=3",
            "kubectl set image deployment/web nginx=nginx:1.27 && kubectl rollout status deployment/web",
            "kubectl scale deployment web --replicas=5 && kubectl rollout status deployment/web",
            "kubectl rollout undo deployment/web && kubectl rollout status deployment/web",
            "kubectl get pods -o wide",
        ] {
            let out = sh.run_line(line);
            all.push_str(&out.stdout);
            all.push_str(&out.stderr);
        }
        all
    };
    let first = story(7);
    assert!(first.contains("successfully rolled out"), "{first}");
    assert_eq!(first, story(7));
}

const WORDS: &[&str] = &[
    "run",
    "expose",
    "label",
    "annotate",
    "scale",
    "set",
    "image",
    "patch",
    "rollout",
    "status",
    "history",
    "undo",
    "pause",
    "resume",
    "restart",
    "web",
    "deployment/web",
    "deploy",
    "pod",
    "node",
    "node1",
    "rc",
    "svc",
    "rs/",
    "/",
    "=",
    "-",
    "a=b",
    "a-",
    "nginx=nginx:1.27",
    "*=x",
    "--image=nginx",
    "--image",
    "--port=8080",
    "--port=x",
    "--port",
    "--replicas=2",
    "--replicas=-1",
    "--replicas=x",
    "--current-replicas=1",
    "--overwrite",
    "--overwrite=maybe",
    "--all",
    "-l",
    "app=web",
    "-lrun=web",
    "--type=json",
    "--type=merge",
    "--type=LoadBalancer",
    "-p",
    "{\"spec\":{\"replicas\":1}}",
    "[{\"op\":\"remove\",\"path\":\"/spec\"}]",
    "[1,",
    "null",
    "--to-revision=1",
    "--to-revision=x",
    "--revision=2",
    "--timeout=1s",
    "--timeout=x",
    "--dry-run=client",
    "--dry-run",
    "-o",
    "yaml",
    "--name",
    "--target-port=http",
    "--labels=a=b,c",
    "--env=A",
    "--restart=Never",
    "--command",
    "--",
    "-it",
    "--rm",
    "-n",
    "kube-system",
    "한글",
    "",
];

fn line() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        6 => proptest::sample::select(WORDS).prop_map(|w| format!("'{w}'")),
        1 => "[ -~]{0,10}".prop_map(|w| format!("'{}'", w.replace('\'', ""))),
    ];
    (
        proptest::sample::select(
            &[
                "run", "expose", "label", "annotate", "scale", "set", "patch", "rollout",
            ][..],
        ),
        proptest::collection::vec(word, 0..8),
    )
        .prop_map(|(verb, words)| format!("kubectl {verb} {}", words.join(" ")))
}

fn shell() -> Shell<Lab> {
    let mut sh = lab();
    sh.set_settle_ticks(2 * TICKS_PER_SECOND);
    sh.run_line("kubectl create deployment web --image=nginx --port=80");
    sh
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_line_of_the_workload_verbs_panics(lines in proptest::collection::vec(line(), 1..6)) {
        let mut sh = shell();
        for l in &lines {
            let out = sh.run_line(l);
            prop_assert!(out.exit_code == 0 || !out.stderr.is_empty(), "{l}: failed without a word");
        }
    }
}

#[test]
fn a_change_cause_annotation_shows_in_rollout_history_per_revision() {
    // The deployment controller copies the Deployment's annotations to its new ReplicaSet, and
    // `rollout history` reads each revision's `kubernetes.io/change-cause` from its ReplicaSet.
    let mut sh = lab();
    ok(
        &mut sh,
        "kubectl create deployment web --image=nginx:1.26 --replicas=2",
    );
    ok(
        &mut sh,
        "kubectl annotate deployment web kubernetes.io/change-cause='nginx 1.26'",
    );
    ok(&mut sh, "kubectl set image deployment/web nginx=nginx:1.27");
    ok(
        &mut sh,
        "kubectl annotate deployment web kubernetes.io/change-cause='upgrade to 1.27' --overwrite",
    );
    let history = ok(&mut sh, "kubectl rollout history deployment/web");
    assert_eq!(
        history,
        "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         nginx 1.26\n2         upgrade to 1.27\n\n"
    );
    ok(&mut sh, "kubectl rollout undo deployment/web");
    let history = ok(&mut sh, "kubectl rollout history deployment/web");
    assert!(
        history.ends_with("2         upgrade to 1.27\n3         nginx 1.26\n\n"),
        "{history}"
    );
}

#[test]
fn every_verb_answers_a_bad_flag_as_cobra_does() {
    // kubectl 1.32, offline: `kubectl cordon --bogus`, `kubectl logs web -c`, `kubectl exec -z`.
    let mut sh = lab();
    for (line, said) in [
        ("kubectl cordon node1 --bogus", "unknown flag: --bogus"),
        ("kubectl drain node1 --bogus", "unknown flag: --bogus"),
        ("kubectl taint nodes node1 --bogus", "unknown flag: --bogus"),
        ("kubectl logs web -c", "flag needs an argument: 'c' in -c"),
        ("kubectl exec -z", "unknown shorthand flag: 'z' in -z"),
        ("kubectl describe pods --bogus", "unknown flag: --bogus"),
        ("kubectl top nodes --bogus", "unknown flag: --bogus"),
        (
            "kubectl auth can-i get pods --bogus",
            "unknown flag: --bogus",
        ),
        (
            "kubectl port-forward web 8080:80 --bogus",
            "unknown flag: --bogus",
        ),
        (
            "kubectl logs web --follow=maybe",
            "invalid argument \"maybe\" for \"-f, --follow\" flag",
        ),
    ] {
        let verb = line.split(' ').nth(1).expect("a verb");
        let verb = match verb {
            "auth" => "auth can-i",
            "top" => "top node",
            verb => verb,
        };
        let err = fails(&mut sh, line);
        assert!(err.starts_with(&format!("Error: {said}")), "{line}: {err}");
        assert!(
            err.ends_with(&format!("See 'kubectl {verb} --help' for usage.\n")),
            "{line}: {err}"
        );
    }
}

#[test]
fn one_command_table_finds_the_command_after_global_flags_and_gives_each_its_own_flags() {
    let mut sh = lab();
    // `-n NS` before a command with subcommands: the subcommand is still found.
    let out = ok(
        &mut sh,
        "kubectl -n kube-system rollout status deployment/coredns",
    );
    assert_eq!(out, "deployment \"coredns\" successfully rolled out\n");
    ok(&mut sh, "kubectl create deployment web --image=nginx");
    let out = ok(
        &mut sh,
        "kubectl -n default set image deployment/web nginx=nginx:1.27",
    );
    assert_eq!(out, "deployment.apps/web image updated\n");
    // A flag belongs to the (sub)command that defines it, as in kubectl 1.32.
    for (line, said, path) in [
        (
            "kubectl create -f web.yaml --image=nginx",
            "unknown flag: --image",
            "kubectl create",
        ),
        (
            "kubectl create namespace x --replicas=2",
            "unknown flag: --replicas",
            "kubectl create namespace",
        ),
        (
            "kubectl get pods --dry-run",
            "unknown flag: --dry-run",
            "kubectl get",
        ),
        (
            "kubectl apply -f x --now",
            "unknown flag: --now",
            "kubectl apply",
        ),
        (
            "kubectl version --bogus",
            "unknown flag: --bogus",
            "kubectl version",
        ),
    ] {
        let err = fails(&mut sh, line);
        assert_eq!(
            err,
            format!("Error: {said}\nSee '{path} --help' for usage.\n"),
            "{line}"
        );
    }
    // -w is get's --watch (it used to be an unknown shorthand).
    assert!(fails(&mut sh, "kubectl get pods -w").contains("--watch is a real kubectl flag"));
    assert_eq!(
        fails(&mut sh, "kubectl apply web.yaml"),
        "error: Unexpected args: [web.yaml]\nSee 'kubectl apply -h' for help and examples\n"
    );
}

#[test]
fn kubectl_help_lists_kubectls_groups_and_marks_what_the_sandbox_does_not_run() {
    let mut sh = lab();
    let help = ok(&mut sh, "kubectl --help");
    assert_eq!(help, ok(&mut sh, "kubectl"));
    let groups: Vec<&str> = help
        .lines()
        .filter(|l| l.ends_with("Commands:") || l.ends_with("):"))
        .collect();
    assert_eq!(
        groups,
        [
            "Basic Commands (Beginner):",
            "Basic Commands (Intermediate):",
            "Deploy Commands:",
            "Cluster Management Commands:",
            "Troubleshooting and Debugging Commands:",
            "Advanced Commands:",
            "Settings Commands:",
            "Other Commands:",
        ]
    );
    assert!(help.contains("\n  get             Display one or many resources\n"));
    assert!(help.contains("\n  explain         Get documentation for a resource\n"));
    assert!(help.contains("\n  proxy           Run a proxy to the Kubernetes API server *\n"));
    assert!(help.contains("\n  edit            Edit a resource on the server\n"));
    // Every line the help offers runs, or says honestly that it does not run yet.
    let commands = help
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("  kubectl"));
    for line in commands {
        let name = line.split_whitespace().next().expect("a command");
        let out = sh.run_line(&format!("kubectl {name} --bogus"));
        assert!(
            !out.stderr.contains("unknown command"),
            "{name}: {}",
            out.stderr
        );
        assert_eq!(
            out.stderr.contains("does not run yet"),
            line.ends_with(" *"),
            "{name}: {}",
            out.stderr
        );
    }
}

#[test]
fn exec_with_stdin_hands_the_command_the_lines_pipe_or_heredoc() {
    let mut sh = shell();
    sh.run_line("kubectl run box --image=busybox -- sleep 3600");
    sh.run_line("sleep 30");
    let piped = sh.run_line("echo hello | kubectl exec -i box -- cat");
    assert_eq!((piped.stdout.as_str(), piped.exit_code), ("hello\n", 0));
    // Without -i, kubectl sends no stdin: cat reads nothing.
    let ignored = sh.run_line("echo hello | kubectl exec box -- cat");
    assert_eq!(ignored.stdout, "");
    // A shell without -c reads stdin as its script.
    let script = sh.run_line("kubectl exec -i box -- sh <<EOF\nhostname\nexit 4\nEOF");
    assert_eq!(
        (
            script.stdout.as_str(),
            script.stderr.as_str(),
            script.exit_code
        ),
        ("box\n", "command terminated with exit code 4\n", 4)
    );
}
