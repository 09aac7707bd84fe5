//! Limits (issue 13). Upstream's, with upstream's words: the apiserver's request body limit, the
//! ConfigMap and Secret data limit of validation, and etcd's request limit; a refused write
//! leaves the store as it was and the lab working. And the sandbox's own, so that no input makes
//! memory grow without bound: the shell's disk, and what the trace keeps of a pasted line.

use kube_sandbox::present::session::Session;
use kube_sandbox::sim::apiserver::{
    ApiError, ApiRequest, Credentials, StatusReason, Verb, MAX_REQUEST_BODY_BYTES,
};
use kube_sandbox::sim::cluster::{Cluster, MAX_TRACED_LINE_BYTES};
use kube_sandbox::sim::kubectl::Shell;
use kube_sandbox::sim::lab::Lab;
use kube_sandbox::sim::trace::TraceKind;
use serde_json::{json, Value};

const MIB: usize = 1024 * 1024;

fn admin(verb: Verb, resource: &str) -> ApiRequest {
    ApiRequest::new(Credentials::admin(), verb, resource)
}

fn configmap(name: &str, value_bytes: usize) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
           "data": {"blob": "x".repeat(value_bytes)}})
}

fn create(c: &mut Cluster, resource: &str, body: Value) -> Result<(), ApiError> {
    c.submit(
        admin(Verb::Create, resource)
            .namespace("default")
            .body(body),
    )
    .map(|_| ())
}

fn exists(c: &mut Cluster, resource: &str, name: &str) -> bool {
    c.submit(admin(Verb::Get, resource).namespace("default").name(name))
        .is_ok()
}

#[test]
fn a_body_over_3_mib_is_refused_before_it_is_decoded() {
    let mut c = Cluster::new(1);
    let err = create(&mut c, "configmaps", configmap("big", 4 * MIB)).unwrap_err();
    assert_eq!(err.code, 413);
    assert_eq!(err.reason, StatusReason::RequestEntityTooLarge);
    assert_eq!(err.message, "Request entity too large: limit is 3145728");
    assert_eq!(MAX_REQUEST_BODY_BYTES, 3_145_728);
    assert!(!exists(&mut c, "configmaps", "big"));
}

#[test]
fn a_configmap_over_1_mib_of_data_fails_validation_and_one_at_the_limit_is_stored() {
    let mut c = Cluster::new(1);
    let err = create(&mut c, "configmaps", configmap("big", MIB + 1)).unwrap_err();
    assert_eq!(err.reason, StatusReason::Invalid);
    assert_eq!(
        err.message,
        "ConfigMap \"big\" is invalid: []: Too long: must have at most 1048576 bytes"
    );
    assert!(!exists(&mut c, "configmaps", "big"));
    // binaryData counts its decoded bytes, with data: 1 MiB - 3 of text and 3 bytes of base64.
    let mut at_limit = configmap("full", MIB - 3);
    at_limit["binaryData"] = json!({"bin": "YWJj"});
    create(&mut c, "configmaps", at_limit).expect("exactly 1 MiB of data is allowed");
    let mut over = configmap("over", MIB - 2);
    over["binaryData"] = json!({"bin": "YWJj"});
    assert_eq!(
        create(&mut c, "configmaps", over).unwrap_err().reason,
        StatusReason::Invalid
    );
}

#[test]
fn a_secret_counts_its_decoded_data_and_its_string_data_and_names_data() {
    let mut c = Cluster::new(1);
    // 4 base64 characters are 3 bytes: 1 MiB of base64 text is 768 KiB of data, allowed.
    let under = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "under"},
                       "data": {"a": "QUJD".repeat(MIB / 4)}});
    create(&mut c, "secrets", under).expect("768 KiB of data is allowed");
    // stringData is merged into data before the rule: 768 KiB + 300 KiB is over.
    let over = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "over"},
                      "data": {"a": "QUJD".repeat(MIB / 4)},
                      "stringData": {"b": "y".repeat(300 * 1024)}});
    let err = create(&mut c, "secrets", over).unwrap_err();
    assert_eq!(
        err.message,
        "Secret \"over\" is invalid: data: Too long: must have at most 1048576 bytes"
    );
    // A stringData key that replaces a data key replaces its size too.
    let replaced = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "replaced"},
                          "data": {"a": "QUJD".repeat(MIB / 4)},
                          "stringData": {"a": "short"}});
    create(&mut c, "secrets", replaced).expect("the replaced value no longer counts");
}

#[test]
fn an_object_over_etcds_request_limit_is_refused_by_etcd_with_etcds_words() {
    let mut c = Cluster::new(1);
    // Under the body limit and with no data limit of its own: 2 MiB in an annotation-free
    // field. A Pod's container args are such a field.
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "huge"},
                     "spec": {"containers": [{"name": "c", "image": "busybox",
                                              "args": ["z".repeat(2 * MIB)]}]}});
    let revision = c.store().revision();
    let err = create(&mut c, "pods", pod).unwrap_err();
    assert_eq!(err.code, 500);
    assert_eq!(err.reason, StatusReason::Unknown);
    assert_eq!(err.message, "etcdserver: request is too large");
    assert_eq!(c.store().revision(), revision, "nothing was written");
}

fn run(session: &mut Session, line: &str) -> (i32, String, String) {
    let (out, _) = session.run_line(line);
    (out.exit_code, out.stdout, out.stderr)
}

#[test]
fn kubectl_prints_the_limits_as_kubectl_does_and_the_lab_goes_on() {
    let mut s = Session::new(1);
    let big = format!(
        "{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"big\"}},\"data\":{{\"blob\":\"{}\"}}}}",
        "x".repeat(4 * MIB)
    );
    let (code, _, err) = run(&mut s, &format!("echo '{big}' | kubectl apply -f -"));
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "Error from server (RequestEntityTooLarge): error when creating \"STDIN\": Request entity too large: limit is 3145728\n"
    );
    let over = big.replace(&"x".repeat(4 * MIB), &"x".repeat(MIB + 1));
    let (code, _, err) = run(&mut s, &format!("echo '{over}' | kubectl create -f -"));
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "The ConfigMap \"big\" is invalid: []: Too long: must have at most 1048576 bytes\n"
    );
    let pod = format!(
        "{{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{{\"name\":\"huge\"}},\"spec\":{{\"containers\":[{{\"name\":\"c\",\"image\":\"busybox\",\"args\":[\"{}\"]}}]}}}}",
        "z".repeat(2 * MIB)
    );
    let (code, _, err) = run(&mut s, &format!("echo '{pod}' | kubectl create -f -"));
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "Error from server: error when creating \"STDIN\": etcdserver: request is too large\n"
    );
    let (code, out, _) = run(&mut s, "kubectl get configmaps,pods --no-headers");
    assert_eq!(code, 0);
    assert!(!out.contains("big") && !out.contains("huge"), "{out}");
    let (code, _, _) = run(
        &mut s,
        "kubectl create deployment web --image=nginx --replicas=1",
    );
    assert_eq!(code, 0);
}

#[test]
fn a_manifest_file_over_the_body_limit_meets_the_apiservers_error_and_the_file_stays() {
    let mut shell = Shell::new(Lab::boot(1));
    let yaml = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: {}\n",
        "x".repeat(3 * MIB + 100)
    );
    shell
        .write_file("big.yaml", &yaml)
        .expect("a 3 MiB file fits");
    let out = shell.run_line("kubectl apply -f big.yaml");
    assert_eq!(out.exit_code, 1);
    assert_eq!(
        out.stderr,
        "Error from server (RequestEntityTooLarge): error when creating \"big.yaml\": Request entity too large: limit is 3145728\n"
    );
    assert_eq!(
        shell.files().get("big.yaml").map(String::len),
        Some(yaml.len())
    );
}

#[test]
fn the_shells_disk_fills_up_with_bashs_words_and_what_was_written_stays() {
    let mut shell = Shell::new(Lab::boot(1));
    let four = "x".repeat(4 * MIB);
    assert_eq!(
        shell.write_file("too-big.txt", &format!("{four}y")),
        Err("bash: too-big.txt: File too large\n".to_string())
    );
    for n in 0..4 {
        shell
            .write_file(&format!("f{n}.txt"), &four)
            .expect("16 MiB fit");
    }
    let out = shell.run_line("echo more > f4.txt");
    assert_eq!(out.exit_code, 1);
    assert_eq!(out.stderr, "bash: f4.txt: No space left on device\n");
    // `>` truncates before it writes: the space of the old text is free for the new.
    let out = shell.run_line("echo small > f0.txt");
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    assert_eq!(
        shell.files().get("f0.txt").map(String::as_str),
        Some("small\n")
    );
    assert_eq!(shell.files().get("f1.txt").map(String::len), Some(4 * MIB));
    assert!(!shell.files().contains_key("too-big.txt"));
}

#[test]
fn a_pasted_10_mb_line_runs_and_the_trace_keeps_only_its_start() {
    let mut shell = Shell::new(Lab::boot(1));
    let paste = format!("kubectl get pods {}", "y".repeat(10 * MIB));
    let out = shell.run_line(&paste);
    assert_eq!(out.exit_code, 1);
    assert!(out
        .stderr
        .starts_with("Error from server (NotFound): pods \"yyy"));
    let line = shell
        .backend()
        .trace()
        .events()
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            TraceKind::Command { line, .. } => Some(line.clone()),
            _ => None,
        })
        .expect("the line is traced");
    assert_eq!(line.len(), MAX_TRACED_LINE_BYTES + "…".len());
    assert!(line.starts_with("kubectl get pods yyy") && line.ends_with("y…"));
    let out = shell.run_line("kubectl get nodes --no-headers");
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);
}
