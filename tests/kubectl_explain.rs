//! `kubectl explain` from the terminal, with the docs the page fetches (`www/explain.txt`):
//! kubectl v1.32's plaintext layout (header, FIELD, DESCRIPTION wrapped at 76 columns and
//! indented, FIELDS with types and `-required-`, `--recursive`), its resource names and error
//! texts, and the honest answer while the docs are not loaded.
#![cfg(not(target_arch = "wasm32"))]

use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;

#[path = "support/lab_shell.rs"]
mod lab_shell;
use lab_shell::ok;

const DOCS: &str = include_str!("../www/explain.txt");

fn shell() -> Shell<Lab> {
    let mut sh = Shell::new(Lab::boot(1));
    sh.set_explain_docs(DOCS.to_string());
    sh
}

fn fails(sh: &mut Shell<Lab>, line: &str) -> String {
    let out = sh.run_line(line);
    assert_ne!(out.exit_code, 0, "{line} succeeded:\n{}", out.stdout);
    assert_eq!(out.stdout, "", "{line}");
    out.stderr
}

#[test]
fn a_kind_prints_its_header_description_and_fields() {
    let mut sh = shell();
    let out = ok(&mut sh, "kubectl explain pod");
    assert!(
        out.starts_with(
            "KIND:       Pod\nVERSION:    v1\n\nDESCRIPTION:\n    Pod is a collection of containers that can run on a host. This resource is\n    created by clients and scheduled onto hosts.\n    \nFIELDS:\n  apiVersion\t<string>\n    APIVersion defines the versioned schema of this representation of an object.\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("\n  metadata\t<ObjectMeta>\n    Standard object's metadata."),
        "{out}"
    );
    assert!(out.contains("\n  spec\t<PodSpec>\n"), "{out}");
    assert!(out.ends_with("\n  status\t<PodStatus>\n    Most recently observed status of the pod. This data may not be up to date.\n    Populated by the system. Read-only. More info:\n    https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status\n\n\n"), "{out}");
    // Every line of a description fits in 80 columns but for a word longer than the limit.
    for line in out.lines() {
        assert!(line.len() <= 80 || !line.trim().contains(' '), "{line}");
    }
    // Short names and kinds in any case name the same resource.
    assert_eq!(ok(&mut sh, "kubectl explain po"), out);
    assert_eq!(ok(&mut sh, "k explain Pods"), out);
}

#[test]
fn a_field_path_prints_the_field_and_its_type() {
    let mut sh = shell();
    let replicas = "GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nFIELD: replicas <integer>\n\n\nDESCRIPTION:\n    Number of desired pods. This is a pointer to distinguish between explicit\n    zero and not specified. Defaults to 1.\n    \n\n";
    assert_eq!(
        ok(&mut sh, "kubectl explain deploy.spec.replicas"),
        replicas
    );
    assert_eq!(
        ok(&mut sh, "kubectl explain deployments.apps.spec.replicas"),
        replicas
    );
    assert_eq!(
        ok(
            &mut sh,
            "kubectl explain deployment.spec.replicas --api-version=apps/v1"
        ),
        replicas
    );

    let containers = ok(&mut sh, "kubectl explain pods.spec.containers");
    assert!(
        containers.starts_with("KIND:       Pod\nVERSION:    v1\n\nFIELD: containers <[]Container>\n\n\nDESCRIPTION:\n    List of containers belonging to the pod."),
        "{containers}"
    );
    // The field's own description, then its type's.
    assert!(
        containers.contains("\n    A single application container that you want to run within a pod.\n    \nFIELDS:\n  args\t<[]string>\n"),
        "{containers}"
    );
    assert!(
        containers.contains(
            "\n  name\t<string> -required-\n    Name of the container specified as a DNS_LABEL."
        ),
        "{containers}"
    );
    assert!(containers.contains("\n  env\t<[]EnvVar>\n"), "{containers}");
    assert!(
        containers.contains("\n  resources\t<ResourceRequirements>\n"),
        "{containers}"
    );

    let labels = ok(&mut sh, "kubectl explain pod.metadata.labels");
    assert!(
        labels.contains("FIELD: labels <map[string]string>\n"),
        "{labels}"
    );
    let limits = ok(
        &mut sh,
        "kubectl explain pod.spec.containers.resources.limits",
    );
    assert!(
        limits.contains("FIELD: limits <map[string]Quantity>\n"),
        "{limits}"
    );
    let node_name = ok(&mut sh, "kubectl explain pod.spec.nodeName");
    assert!(node_name.contains("FIELD: nodeName <string>\n\n\nDESCRIPTION:\n    NodeName indicates in which node this pod is scheduled."), "{node_name}");
}

#[test]
fn recursive_prints_the_field_tree_with_types_only() {
    let mut sh = shell();
    assert_eq!(
        ok(&mut sh, "kubectl explain deploy.spec.strategy --recursive"),
        "GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nFIELD: strategy <DeploymentStrategy>\n\n\nDESCRIPTION:\n    The deployment strategy to use to replace existing pods with new ones.\n    DeploymentStrategy describes how to replace existing pods with new ones.\n    \nFIELDS:\n  rollingUpdate\t<RollingUpdateDeployment>\n    maxSurge\t<IntOrString>\n    maxUnavailable\t<IntOrString>\n  type\t<string>\n\n"
    );
    let tree = ok(&mut sh, "kubectl explain pods --recursive");
    assert!(
        tree.contains("\n  spec\t<PodSpec>\n    activeDeadlineSeconds\t<integer>\n"),
        "{tree}"
    );
    assert!(
        tree.contains("\n      name\t<string> -required-\n"),
        "{tree}"
    );
    assert!(!tree.contains("APIVersion defines"), "{tree}");
}

#[test]
fn errors_are_kubectls() {
    let mut sh = shell();
    // A missing field: its template has printed the header already.
    let out = sh.run_line("kubectl explain pod.spec.bogus");
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.exit_code),
        (
            "KIND:       Pod\nVERSION:    v1\n\n",
            "error: field \"bogus\" does not exist\n",
            1
        )
    );
    // kubectl names the last word of the path, whichever is missing.
    let out = sh.run_line("kubectl explain deploy.bogus.name");
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        (
            "GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\n",
            "error: field \"name\" does not exist\n"
        )
    );
    // A NoResourceMatchError, which kubectl prints without `error: `.
    assert_eq!(
        fails(&mut sh, "kubectl explain bogus"),
        "the server doesn't have a resource type \"bogus\"\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl explain bogus.spec"),
        "the server doesn't have a resource type \"bogus\"\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl explain"),
        "error: You must specify the type of resource to explain. Use \"kubectl api-resources\" for a complete list of supported resources.\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl explain pod svc"),
        "error: We accept only this format: explain RESOURCE\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl explain deploy --api-version=v1"),
        "error: GVR (/v1, Resource=deployments) not found in OpenAPI schema\n"
    );
    assert_eq!(
        fails(&mut sh, "kubectl explain deploy --api-version=apps/v2"),
        "error: couldn't find resource for \"apps/v2, Resource=deployments\"\n"
    );
}

#[test]
fn without_the_docs_explain_says_they_are_not_loaded() {
    let mut sh = Shell::new(Lab::boot(1));
    assert!(sh.wants_explain_docs("kubectl explain pod"));
    assert!(!sh.wants_explain_docs("kubectl get pods"));
    assert!(sh.wants_explain_docs("kubectl -n kube-system --as bob explain pod"));
    assert!(!sh.wants_explain_docs("kubectl get pods -l app=explain"));
    assert!(!sh.wants_explain_docs("echo explain"));
    let err = fails(&mut sh, "kubectl explain pod");
    assert!(
        err == "error: kubectl explain's docs (explain.txt) are not loaded yet\n",
        "{err}"
    );
    // Usage errors need no docs.
    assert!(fails(&mut sh, "kubectl explain").contains("You must specify the type"));
    sh.set_explain_docs(DOCS.to_string());
    assert!(!sh.wants_explain_docs("kubectl explain pod"));
    assert!(ok(&mut sh, "kubectl explain pod").starts_with("KIND:       Pod\n"));
}
