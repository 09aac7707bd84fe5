//! kubectl, etcdctl and the shell end to end, against the in-memory apiserver double.

use super::testing::FakeCluster;
use super::{Output, Shell};
use crate::sim::api::JsonPointer;

fn shell() -> Shell<FakeCluster> {
    Shell::new(FakeCluster::new())
}

/// Runs several lines and returns the output of the last one.
fn run(sh: &mut Shell<FakeCluster>, lines: &[&str]) -> Output {
    let mut last = Output::default();
    for line in lines {
        last = sh.run_line(line);
    }
    last
}

const WEB: &[&str] = &[
    "kubectl apply -f - <<EOF",
    "apiVersion: apps/v1",
    "kind: Deployment",
    "metadata:",
    "  name: web",
    "spec:",
    "  replicas: 2",
    "  selector:",
    "    matchLabels:",
    "      app: web",
    "  template:",
    "    metadata:",
    "      labels:",
    "        app: web",
    "    spec:",
    "      containers:",
    "      - name: nginx",
    "        image: nginx",
    "EOF",
];

#[test]
fn a_heredoc_apply_creates_then_reapplying_is_unchanged() {
    let mut sh = shell();
    for line in WEB.iter().take(WEB.len() - 1) {
        assert_eq!(sh.run_line(line), Output::default(), "{line}");
        assert!(sh.is_continuing());
        assert_eq!(sh.prompt(), "> ");
    }
    let out = sh.run_line("EOF");
    assert_eq!(out.stdout, "deployment.apps/web created\n", "{out:?}");
    assert!(!sh.is_continuing());
    let again = run(&mut sh, WEB);
    assert_eq!(again.stdout, "deployment.apps/web unchanged\n", "{again:?}");
    let stored = sh
        .backend()
        .objects
        .get("/registry/deployments/default/web")
        .cloned()
        .unwrap_or_default();
    let annotation = stored
        .ptr("/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    assert!(
        annotation.starts_with("{\"apiVersion\":\"apps/v1\""),
        "{annotation}"
    );
    assert!(
        annotation.contains("\"namespace\":\"default\""),
        "{annotation}"
    );
}

#[test]
fn a_changed_manifest_is_configured_with_a_strategic_patch() {
    let mut sh = shell();
    run(&mut sh, WEB);
    let changed: Vec<&str> = WEB
        .iter()
        .map(|l| {
            if *l == "  replicas: 2" {
                "  replicas: 5"
            } else {
                l
            }
        })
        .collect();
    let out = run(&mut sh, &changed);
    assert_eq!(out.stdout, "deployment.apps/web configured\n", "{out:?}");
    let last = sh.backend().requests.last().cloned();
    let patch = last.and_then(|r| r.body).unwrap_or_default();
    assert_eq!(patch.ptr("/spec/replicas"), Some(&serde_json::json!(5)));
    assert_eq!(patch.ptr("/spec/template"), None, "{patch}");
}

#[test]
fn get_prints_the_deployment_table_and_no_resources_on_stderr() {
    let mut sh = shell();
    let empty = sh.run_line("kubectl get deploy");
    assert_eq!(empty.stdout, "");
    assert_eq!(empty.stderr, "No resources found in default namespace.\n");
    assert_eq!(empty.exit_code, 0);
    run(&mut sh, WEB);
    sh.backend_mut().clock.advance_by(125_000);
    let out = sh.run_line("kubectl get deployments");
    assert_eq!(
        out.stdout,
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    0/2     0            0           2m5s\n"
    );
    let all = sh.run_line("kubectl get deploy -A");
    assert!(
        all.stdout.starts_with("NAMESPACE   NAME   READY"),
        "{all:?}"
    );
    assert_eq!(
        sh.run_line("kubectl get deploy -n kube-system").stderr,
        "No resources found in kube-system namespace.\n"
    );
    assert_eq!(
        sh.run_line("kubectl get ns -A").stderr,
        "No resources found\n"
    );
}

#[test]
fn flags_are_read_in_any_position_and_form() {
    let mut sh = shell();
    run(&mut sh, &["kubectl create namespace team"]);
    run(
        &mut sh,
        &["kubectl create deployment api --image=nginx -n team"],
    );
    for line in [
        "kubectl get deploy -n team -o name",
        "kubectl -n team get deploy -o name",
        "kubectl get -n=team deploy -o=name",
        "kubectl get deploy --namespace team --output name",
        "kubectl get deploy --namespace=team -oname",
        "kubectl get deploy -nteam -o name",
        "kubectl get deployment/api -n team -o name",
        "kubectl get deployments.apps api -n team -o name",
    ] {
        let out = sh.run_line(line);
        assert_eq!(out.stdout, "deployment.apps/api\n", "{line}: {out:?}");
    }
}

#[test]
fn get_yaml_prints_one_object_as_itself_and_a_list_otherwise() {
    let mut sh = shell();
    run(
        &mut sh,
        &["kubectl create namespace a", "kubectl create namespace b"],
    );
    let one = sh.run_line("kubectl get ns a -o yaml");
    assert!(one.stdout.starts_with("apiVersion: v1\nkind: Namespace\nmetadata:\n  creationTimestamp: \"2025-06-01T00:00:00Z\"\n"), "{}", one.stdout);
    let list = sh.run_line("kubectl get ns -o yaml");
    assert!(
        list.stdout
            .starts_with("apiVersion: v1\nitems:\n- apiVersion: v1\n"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout
            .ends_with("kind: List\nmetadata:\n  resourceVersion: \"\"\n"),
        "{}",
        list.stdout
    );
    let json = sh.run_line("kubectl get ns b -o json");
    assert!(
        json.stdout.starts_with("{\n    \"apiVersion\": \"v1\",\n"),
        "{}",
        json.stdout
    );
}

#[test]
fn errors_read_exactly_as_kubectl_prints_them() {
    let mut sh = shell();
    run(&mut sh, &["kubectl create namespace a"]);
    for (line, stderr, code) in [
        ("kubectl get pods x", "Error from server (NotFound): pods \"x\" not found\n", 1),
        ("kubectl get pdos", "error: the server doesn't have a resource type \"pdos\"\n", 1),
        ("kubectl create namespace a", "Error from server (AlreadyExists): namespaces \"a\" already exists\n", 1),
        ("kubectl delete pod web", "Error from server (NotFound): pods \"web\" not found\n", 1),
        ("kubectl gte pods", "Error: unknown command \"gte\" for \"kubectl\"\n\nDid you mean this?\n\tget\n\n", 1),
        ("kubectl get pods --foo", "Error: unknown flag: --foo\nSee 'kubectl get --help' for usage.\n", 1),
        ("kubectl get pods -x", "Error: unknown shorthand flag: 'x' in -x\nSee 'kubectl get --help' for usage.\n", 1),
        ("kubectl get pods -n", "Error: flag needs an argument: 'n' in -n\nSee 'kubectl get --help' for usage.\n", 1),
        ("kubectl get pods --namespace", "Error: flag needs an argument: --namespace\nSee 'kubectl get --help' for usage.\n", 1),
        ("kubectl get pods --dry-run", "Error: unknown flag: --dry-run\nSee 'kubectl get --help' for usage.\n", 1),
        ("kubectl apply", "error: must specify one of -f and -k\n", 1),
        ("kubectl apply -f nope.yaml", "error: the path \"nope.yaml\" does not exist\n", 1),
        ("kubectl create deployment web", "error: required flag(s) \"image\" not set\n", 1),
        ("kubectl create namespace", "error: exactly one NAME is required, got 0\nSee 'kubectl create namespace -h' for help and examples\n", 1),
        ("kubectl create deployment web --image=nginx --replicas=x", "Error: invalid argument \"x\" for \"-r, --replicas\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\nSee 'kubectl create deployment --help' for usage.\n", 1),
        ("kubectl create deployment web --image=nginx --dry-run=x", "error: Invalid dry-run value (x). Must be \"none\", \"server\", or \"client\".\n", 1),
        ("kubectl get pods -o foo", "error: unable to match a printer suitable for the output format \"foo\", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml\n", 1),
        ("kubectl delete pods", "error: resource(s) were provided, but no name was specified\n", 1),
        ("kubectl foo", "Error: unknown command \"foo\" for \"kubectl\"\n\nDid you mean this?\n\ttop\n\n", 1),
        ("foo --bar", "bash: foo: command not found\n", 127),
        ("echo 'open", "bash: unexpected EOF while looking for matching `''\n", 2),
    ] {
        let out = sh.run_line(line);
        assert_eq!((out.stderr.as_str(), out.exit_code), (stderr, code), "{line}");
    }
}

#[test]
fn invalid_objects_print_the_details_kubectl_rebuilds() {
    let mut sh = shell();
    let out = run(
        &mut sh,
        &[
            "cat <<EOF > bad.yaml",
            "apiVersion: apps/v1",
            "kind: Deployment",
            "metadata:",
            "  name: web",
            "spec:",
            "  template: {}",
            "EOF",
            "kubectl create -f bad.yaml",
        ],
    );
    assert_eq!(
        out.stderr,
        "The Deployment \"web\" is invalid: spec.selector: Required value\n"
    );
    let mapping = run(
        &mut sh,
        &[
            "kubectl apply -f - <<EOF",
            "apiVersion: apps/v1",
            "kind: Deploymnt",
            "metadata:",
            "  name: web",
            "EOF",
        ],
    );
    assert_eq!(
        mapping.stderr,
        "error: resource mapping not found for name: \"web\" namespace: \"\" from \"STDIN\": no matches for kind \"Deploymnt\" in version \"apps/v1\"\nensure CRDs are installed first\n"
    );
}

#[test]
fn create_deployment_dry_run_prints_what_real_kubectl_prints() {
    let mut sh = shell();
    let out = sh.run_line(
        "kubectl create deployment web --image=nginx --replicas=3 --dry-run=client -o yaml",
    );
    assert_eq!(
        out.stdout,
        include_str!("../../../tests/fixtures/shell/create_deployment_web_replicas_3.yaml")
    );
    assert!(
        sh.backend().requests.is_empty(),
        "a client dry run sends nothing"
    );
    assert_eq!(
        sh.run_line("kubectl create deployment web --image=nginx --dry-run=client")
            .stdout,
        "deployment.apps/web created (dry run)\n"
    );
    assert_eq!(
        sh.run_line("kubectl create deployment web --image=nginx")
            .stdout,
        "deployment.apps/web created\n"
    );
    assert_eq!(
        sh.run_line("kubectl delete deploy/web").stdout,
        "deployment.apps \"web\" deleted\n"
    );
}

#[test]
fn files_written_by_heredoc_are_read_back_by_cat_ls_and_kubectl() {
    let mut sh = shell();
    let lines = [
        "cat <<'EOF' > ns.yaml",
        "apiVersion: v1",
        "kind: Namespace",
        "metadata:",
        "  name: lab",
        "---",
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: settings",
        "  namespace: lab",
        "data:",
        "  mode: \"fast\"",
        "EOF",
    ];
    assert_eq!(run(&mut sh, &lines), Output::default());
    assert_eq!(sh.run_line("ls").stdout, "ns.yaml\n");
    assert!(sh
        .run_line("cat ./ns.yaml")
        .stdout
        .starts_with("apiVersion: v1\nkind: Namespace\n"));
    assert_eq!(
        sh.run_line("kubectl apply -f ns.yaml").stdout,
        "namespace/lab created\nconfigmap/settings created\n"
    );
    let cm = sh.run_line("kubectl get cm -n lab");
    assert_eq!(cm.stdout, "NAME       DATA   AGE\nsettings   1      0s\n");
    assert_eq!(
        sh.run_line("kubectl delete -f ns.yaml").stdout,
        "namespace \"lab\" deleted\nconfigmap \"settings\" deleted\n"
    );
    assert_eq!(
        sh.run_line("cat missing").stderr,
        "cat: missing: No such file or directory\n"
    );
}

#[test]
fn several_kinds_print_one_table_each_with_kind_qualified_names() {
    let mut sh = shell();
    run(
        &mut sh,
        &[
            "kubectl create deployment web --image=nginx",
            "kubectl create namespace x",
        ],
    );
    let out = sh.run_line("kubectl get deploy,ns");
    assert_eq!(
        out.stdout,
        "NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\ndeployment.apps/web   0/1     0            0           0s\n\nNAME          STATUS   AGE\nnamespace/x   Active   0s\n"
    );
}

#[test]
fn sleep_advances_simulated_time_and_lines_settle_the_cluster() {
    let mut sh = shell();
    sh.set_settle_ticks(7);
    run(&mut sh, &["kubectl create namespace a"]);
    assert_eq!(sh.backend().settled_ticks, 7);
    assert_eq!(sh.run_line("sleep 90").exit_code, 0);
    assert_eq!(
        sh.run_line("kubectl get ns a --no-headers").stdout,
        "a     Active   90s\n"
    );
    assert_eq!(
        sh.run_line("sleep x").stderr,
        "sleep: invalid time interval 'x'\nTry 'sleep --help' for more information.\n"
    );
}

#[test]
fn lists_and_assignments_work_like_bash() {
    let mut sh = shell();
    assert_eq!(sh.run_line("echo a; echo b").stdout, "a\nb\n");
    assert_eq!(sh.run_line("false && echo no").stdout, "");
    assert_eq!(sh.run_line("true && echo yes").stdout, "yes\n");
    assert_eq!(
        sh.run_line("echo x > f; echo y >> f; cat f").stdout,
        "x\ny\n"
    );
    assert_eq!(sh.run_line("# a comment").stdout, "");
    assert!(sh.run_line("clear").clear_screen);
    assert_eq!(sh.run_line("ETCDCTL_API=3 etcdctl version").exit_code, 0);
}

#[test]
fn etcdctl_lists_keys_and_prints_values_and_json() {
    let mut sh = shell();
    run(&mut sh, &["kubectl create namespace a"]);
    assert_eq!(
        sh.run_line("ETCDCTL_API=3 etcdctl get /registry/namespaces --prefix --keys-only")
            .stdout,
        "/registry/namespaces/a\n\n"
    );
    let value = sh.run_line("etcdctl get /registry/namespaces/a");
    assert!(
        value
            .stdout
            .starts_with("/registry/namespaces/a\n{\"apiVersion\":\"v1\""),
        "{value:?}"
    );
    let json = sh.run_line("etcdctl get /registry/namespaces/a -w json --keys-only");
    assert_eq!(
        json.stdout,
        "{\"header\":{\"cluster_id\":14841639068965178418,\"member_id\":10276657743932975437,\"revision\":2,\"raft_term\":2},\"kvs\":[{\"key\":\"L3JlZ2lzdHJ5L25hbWVzcGFjZXMvYQ==\",\"create_revision\":2,\"mod_revision\":2,\"version\":1}],\"count\":1}\n"
    );
    assert_eq!(
        sh.run_line("etcdctl get").stderr,
        "Error: get command needs one argument as key and an optional argument as range_end\n"
    );
}

#[test]
fn pipes_feed_kubectl_output_to_grep_head_tail_and_wc() {
    let mut sh = shell();
    run(
        &mut sh,
        &[
            "kubectl create namespace alpha",
            "kubectl create namespace beta",
        ],
    );
    assert_eq!(
        sh.run_line("kubectl get ns | grep alp").stdout,
        "alpha   Active   0s\n"
    );
    assert_eq!(sh.run_line("kubectl get ns | grep -c a").stdout, "2\n");
    assert_eq!(sh.run_line("kubectl get ns | grep nothing").exit_code, 1);
    assert_eq!(
        sh.run_line("kubectl get ns -o yaml | head -n 2").stdout,
        "apiVersion: v1\nitems:\n"
    );
    assert_eq!(
        sh.run_line("kubectl get ns --no-headers | tail -1").stdout,
        "beta    Active   0s\n"
    );
    assert_eq!(sh.run_line("kubectl get ns -o name | wc -l").stdout, "2\n");
    assert_eq!(
        sh.run_line("kubectl get ns -o name | grep -v alpha > left; cat left")
            .stdout,
        "namespace/beta\n"
    );
    let bad = sh.run_line("kubectl get pdos | grep x");
    assert_eq!(
        bad.stderr,
        "error: the server doesn't have a resource type \"pdos\"\n"
    );
    assert_eq!(bad.exit_code, 1, "grep found nothing in an empty pipe");
    assert_eq!(sh.run_line("| grep x").exit_code, 2);
}

#[test]
fn dollar_question_mark_is_the_last_exit_status() {
    let mut sh = shell();
    sh.run_line("kubectl get pods x");
    assert_eq!(sh.last_exit_code(), 1);
    assert_eq!(sh.run_line("echo $?").stdout, "1\n");
    assert_eq!(sh.run_line("echo $?").stdout, "0\n");
    assert_eq!(sh.run_line("nope; echo $?").stdout, "127\n");
}

#[test]
fn pasted_text_with_several_lines_runs_line_by_line() {
    let mut sh = shell();
    let out = sh.run_line(
        "kubectl apply -f - <<EOF\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: pasted\nEOF\nkubectl get ns pasted -o name\n",
    );
    assert_eq!(out.stdout, "namespace/pasted created\nnamespace/pasted\n");
    assert!(!sh.is_continuing());
}

#[test]
fn apply_without_a_name_names_the_rest_mapping_as_kubectl_does() {
    let mut sh = shell();
    let out = run(
        &mut sh,
        &[
            "kubectl apply -f - <<EOF",
            "apiVersion: v1",
            "kind: ConfigMap",
            "metadata: {}",
            "EOF",
        ],
    );
    assert_eq!(
        out.stderr,
        "error: error when retrieving current configuration of:\nResource: \"/v1, Resource=configmaps\", GroupVersionKind: \"/v1, Kind=ConfigMap\"\nName: \"\", Namespace: \"default\"\nfrom server for: \"STDIN\": resource name may not be empty\n"
    );
    assert_eq!(out.exit_code, 1);
}

#[test]
fn command_substitution_puts_a_commands_output_in_the_line() {
    let mut sh = shell();
    run(&mut sh, &["kubectl create namespace dev"]);
    let out = run(&mut sh, &["echo ns=$(kubectl get ns dev -o name)"]);
    assert_eq!(out.stdout, "ns=namespace/dev\n");
    // Outside double quotes its lines become words; inside they stay lines.
    run(&mut sh, &["echo a > f", "echo b >> f"]);
    assert_eq!(run(&mut sh, &["echo $(cat f)"]).stdout, "a b\n");
    assert_eq!(run(&mut sh, &["echo \"$(cat f)\""]).stdout, "a\nb\n");
    // Nested, and not inside single quotes.
    assert_eq!(
        run(&mut sh, &["echo $(echo $(echo deep))"]).stdout,
        "deep\n"
    );
    assert_eq!(run(&mut sh, &["echo '$(echo no)'"]).stdout, "$(echo no)\n");
    // The inner command's errors reach the terminal; the substitution is empty.
    let failed = run(&mut sh, &["echo [$(kubectl get nothere)]"]);
    assert_eq!(failed.stdout, "[]\n");
    assert!(
        failed
            .stderr
            .contains("doesn't have a resource type \"nothere\""),
        "{failed:?}"
    );
    // An unclosed `$(` is left as typed.
    assert_eq!(run(&mut sh, &["echo $(echo x"]).stdout, "$(echo x\n");
}
