//! Upstream's size limits, with upstream's words (issue 13): the apiserver's request body limit,
//! the ConfigMap and Secret data limit of validation, and etcd's request limit. A refused
//! write leaves the store as it was and the lab working.

use kube_sandbox::present::session::Session;
use kube_sandbox::sim::apiserver::{
    ApiError, ApiRequest, Credentials, StatusReason, Verb, MAX_REQUEST_BODY_BYTES,
};
use kube_sandbox::sim::cluster::Cluster;
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
