//! `kubectl create configmap|secret|service|serviceaccount|job|cronjob|role|clusterrole|
//! rolebinding|clusterrolebinding|quota|priorityclass` from the terminal of the booted lab.
//!
//! Each `tests/fixtures/create/*.yaml` starts with a command line and holds what a real kubectl
//! v1.32 client printed for it (`regen.sh` there rewrites them; the files the commands read are in
//! `files/`); the `*.json` ones show `-o json` keeping the Go struct's field order. The role and
//! clusterrole ones were printed against `discovery_stub.py`, since
//! kubectl maps `--resource` through discovery even with `--dry-run=client`.
#![cfg(not(target_arch = "wasm32"))]

use std::fs;

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

#[path = "support/lab_shell.rs"]
mod lab_shell;
use lab_shell::{fails, ok};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/create");

/// A shell on the lab with `files/` written to its disk through heredocs, as a student would.
fn lab_with_files() -> Shell<Lab> {
    let mut sh = Shell::new(Lab::boot(1));
    for name in [
        "game.properties",
        "ui.properties",
        "app.env",
        "tls.crt",
        "tls.key",
    ] {
        let text = fs::read_to_string(format!("{FIXTURES}/files/{name}")).unwrap();
        sh.run_line(&format!("cat > {name} <<EOF"));
        for line in text.lines() {
            sh.run_line(line);
        }
        let out = sh.run_line("EOF");
        assert_eq!(out.exit_code, 0, "{}", out.stderr);
    }
    sh
}

#[test]
fn every_generator_builds_the_object_kubectl_1_32_builds() {
    let mut sh = lab_with_files();
    let mut paths: Vec<_> = fs::read_dir(FIXTURES)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 45, "{paths:?}");
    for path in paths {
        let text = fs::read_to_string(&path).unwrap();
        let (first, expected) = text.split_once('\n').unwrap();
        let line = first.strip_prefix("# ").unwrap();
        let out = sh.run_line(line);
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str(), out.exit_code),
            (expected, "", 0),
            "{}: {line}",
            path.display()
        );
    }
}

#[test]
fn created_objects_are_on_the_server_and_do_their_work() {
    let mut sh = lab_with_files();
    for (line, created) in [
        (
            "kubectl create configmap app-config --from-file=game.properties --from-literal=mode=prod",
            "configmap/app-config",
        ),
        (
            "kubectl create secret generic db --from-literal=password=s3cr3t",
            "secret/db",
        ),
        (
            "kubectl create secret tls web-tls --cert=tls.crt --key=tls.key",
            "secret/web-tls",
        ),
        (
            "kubectl create service nodeport web --tcp=80:8080 --node-port=30080",
            "service/web",
        ),
        (
            "kubectl create sa builder -n kube-system",
            "serviceaccount/builder",
        ),
        (
            "kubectl create job hello --image=busybox -- echo hi",
            "job.batch/hello",
        ),
        (
            "kubectl create role pod-reader --verb=get,list --resource=pods",
            "role.rbac.authorization.k8s.io/pod-reader",
        ),
        (
            "kubectl create clusterrole node-reader --verb=get,list --resource=nodes",
            "clusterrole.rbac.authorization.k8s.io/node-reader",
        ),
        (
            "kubectl create rolebinding read-pods --role=pod-reader --serviceaccount=default:default",
            "rolebinding.rbac.authorization.k8s.io/read-pods",
        ),
        (
            "kubectl create clusterrolebinding read-nodes --clusterrole=node-reader --user=alice",
            "clusterrolebinding.rbac.authorization.k8s.io/read-nodes",
        ),
        (
            "kubectl create pc high --value=1000 --description=important",
            "priorityclass.scheduling.k8s.io/high",
        ),
    ] {
        assert_eq!(ok(&mut sh, line), format!("{created} created\n"));
    }
    let cm = ok(&mut sh, "kubectl get cm app-config -o yaml");
    assert!(cm.contains("  mode: prod\n"), "{cm}");
    assert!(cm.contains("enemies=aliens"), "{cm}");
    assert!(cm.contains("  namespace: default\n"), "{cm}");
    assert_eq!(
        ok(
            &mut sh,
            "kubectl get secret db -o jsonpath={.data.password}"
        ),
        "czNjcjN0"
    );
    assert_eq!(
        ok(&mut sh, "kubectl get secret web-tls -o jsonpath={.type}"),
        "kubernetes.io/tls"
    );
    let svc = ok(&mut sh, "kubectl get svc web --no-headers");
    assert!(
        svc.contains("NodePort") && svc.contains("80:30080/TCP"),
        "{svc}"
    );
    assert!(ok(&mut sh, "kubectl get sa -n kube-system").contains("builder"));
    assert_eq!(
        ok(&mut sh, "kubectl get job hello -o name"),
        "job.batch/hello\n"
    );
    // The RBAC objects grant what they say.
    assert_eq!(
        ok(
            &mut sh,
            "kubectl auth can-i list pods --as=system:serviceaccount:default:default"
        ),
        "yes\n"
    );
    assert_eq!(
        ok(&mut sh, "kubectl auth can-i get nodes --as=alice"),
        "yes\n"
    );
    assert_eq!(
        ok(&mut sh, "kubectl get pc high -o jsonpath={.value}"),
        "1000"
    );
    // A second create is the apiserver's conflict.
    assert_eq!(
        fails(&mut sh, "kubectl create sa builder -n kube-system"),
        "error: failed to create serviceaccount: serviceaccounts \"builder\" already exists\n"
    );
}

#[test]
fn dry_runs_and_output_formats_send_nothing() {
    let mut sh = lab_with_files();
    assert_eq!(
        ok(
            &mut sh,
            "kubectl create cm probe --from-literal=a=b --dry-run=server"
        ),
        "configmap/probe created (server dry run)\n"
    );
    assert_eq!(
        ok(
            &mut sh,
            "kubectl create cm probe --from-literal=a=b --dry-run"
        ),
        "configmap/probe created (dry run)\n"
    );
    assert_eq!(
        ok(
            &mut sh,
            "kubectl create clusterrole probe --verb=get --resource=pods --dry-run=client -o name"
        ),
        "clusterrole.rbac.authorization.k8s.io/probe\n"
    );
    assert!(fails(&mut sh, "kubectl get cm probe").contains("NotFound"));
    let json = ok(
        &mut sh,
        "kubectl create sa probe --dry-run=client -o json -n team-a",
    );
    assert!(json.contains("\"namespace\": \"team-a\""), "{json}");
    // --save-config keeps the object as it was sent, for a later `kubectl apply`.
    let yaml = ok(
        &mut sh,
        "kubectl create cm saved --from-literal=a=b --save-config -o yaml",
    );
    assert!(
        yaml.contains("kubectl.kubernetes.io/last-applied-configuration: |\n      {"),
        "{yaml}"
    );
    // The bare `--dry-run` warning is not lost on stderr.
    let out = sh.run_line("kubectl create sa probe --dry-run");
    assert_eq!(
        out.stderr,
        "--dry-run is deprecated and can be replaced with --dry-run=client.\n"
    );
}

#[test]
fn quotas_and_cronjobs_are_served_and_a_job_is_made_from_a_cronjob() {
    let mut sh = lab_with_files();
    assert_eq!(
        ok(&mut sh, "kubectl create quota q --hard=pods=20"),
        "resourcequota/q created\n"
    );
    assert_eq!(
        ok(
            &mut sh,
            "kubectl create cronjob tick --image=busybox --schedule='*/5 * * * *'"
        ),
        "cronjob.batch/tick created\n"
    );
    assert_eq!(
        ok(&mut sh, "kubectl create job now --from=cronjob/tick"),
        "job.batch/now created\n"
    );
    assert_eq!(
        fails(
            &mut sh,
            "kubectl create job now2 --from=cronjob/tick -- echo hi"
        ),
        "error: cannot specify --from and command\n"
    );
}

#[test]
fn common_mistakes_get_kubectls_errors() {
    let mut sh = lab_with_files();
    for (line, expected) in [
        (
            "kubectl create configmap",
            "error: exactly one NAME is required, got 0\nSee 'kubectl create configmap -h' for help and examples\n",
        ),
        (
            "kubectl create secret generic a b",
            "error: exactly one NAME is required, got 2\nSee 'kubectl create secret generic -h' for help and examples\n",
        ),
        (
            "kubectl create cm c --from-literal=ab",
            "error: invalid literal source ab, expected key=value\n",
        ),
        (
            "kubectl create configmap c --bogus",
            "Error: unknown flag: --bogus\nSee 'kubectl create configmap --help' for usage.\n",
        ),
        (
            "kubectl create configmap c --from-file=nofile.txt",
            "error: error reading nofile.txt: no such file or directory\n",
        ),
        (
            "kubectl create configmap c --from-literal=a=b --from-literal=a=c",
            "error: cannot add key \"a\", another key by that name already exists in Data for ConfigMap \"c\"\n",
        ),
        (
            "kubectl create secret bogus x",
            "error: unknown command \"bogus x\"\nSee 'kubectl create secret -h' for help and examples\n",
        ),
        (
            "kubectl create secret tls t --cert=tls.crt",
            "error: key and cert must be specified\n",
        ),
        (
            "kubectl create secret tls t --cert=game.properties --key=tls.key",
            "error: tls: failed to find any PEM data in certificate input\n",
        ),
        (
            "kubectl create service clusterip s",
            "error: at least one tcp port specifier must be provided\n",
        ),
        (
            "kubectl create service clusterip s --tcp=abc",
            "error: strconv.ParseUint: parsing \"abc\": invalid syntax\n",
        ),
        (
            "kubectl create service clusterip s --tcp=80:99999",
            "error: must be between 1 and 65535, inclusive\n",
        ),
        (
            "kubectl create service nodeport s --tcp=80 --node-port=x",
            "Error: invalid argument \"x\" for \"--node-port\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\nSee 'kubectl create service nodeport --help' for usage.\n",
        ),
        (
            "kubectl create service nodeport s --clusterip=None",
            "Error: unknown flag: --clusterip\nSee 'kubectl create service nodeport --help' for usage.\n",
        ),
        (
            "kubectl create job j",
            "error: either --image or --from must be specified\n",
        ),
        (
            "kubectl create job j --image=x --restart=Never",
            "Error: unknown flag: --restart\nSee 'kubectl create job --help' for usage.\n",
        ),
        (
            "kubectl create cronjob cj --image=busybox",
            "error: required flag(s) \"schedule\" not set\n",
        ),
        (
            "kubectl create role r --verb=get",
            "error: at least one resource must be specified\n",
        ),
        (
            "kubectl create role r --verb=get --resource=foo",
            "the server doesn't have a resource type \"foo\"\n",
        ),
        (
            "kubectl create rolebinding rb --user=u",
            "error: exactly one of clusterrole or role must be specified\n",
        ),
        (
            "kubectl create clusterrolebinding crb --clusterrole=view --serviceaccount=bad",
            "error: serviceaccount must be <namespace>:<name>\n",
        ),
        (
            "kubectl create quota q --hard=cpu",
            "error: Invalid argument syntax cpu, expected <resource>=<value>\n",
        ),
        (
            "kubectl create pc p --value=x",
            "Error: invalid argument \"x\" for \"--value\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\nSee 'kubectl create priorityclass --help' for usage.\n",
        ),
        (
            "kubectl create configmap c --from-literal=a=b --dry-run=bogus",
            "error: Invalid dry-run value (bogus). Must be \"none\", \"server\", or \"client\".\n",
        ),
    ] {
        assert_eq!(fails(&mut sh, line), expected, "{line}");
    }
    assert!(fails(&mut sh, "kubectl create secret")
        .starts_with("Usage:\n  kubectl create secret (generic | tls) [options]\n"));
    // A verb kubectl does not know is no error (kubectl only warns; the sandbox says nothing).
    assert_eq!(
        ok(
            &mut sh,
            "kubectl create role r --verb=frob --resource=pods --dry-run=client"
        ),
        "role.rbac.authorization.k8s.io/r created (dry run)\n"
    );
}
