//! Manifests as published in the kubernetes.io documentation decode, pass strict decoding and
//! validation. (That their typed `k8s-openapi` form keeps every field is
//! checked natively in `tests/api_schema.rs`, against the same fixtures.)

use std::collections::BTreeSet;

use kube_sandbox::sim::api::{
    check_kind, decode_documents, strict_check, validate_create, DecodeErrorKind,
};

const FIXTURES: &[(&str, &str)] = &[
    (
        "workloads.yaml",
        include_str!("fixtures/manifests/workloads.yaml"),
    ),
    (
        "config.yaml",
        include_str!("fixtures/manifests/config.yaml"),
    ),
    (
        "network.yaml",
        include_str!("fixtures/manifests/network.yaml"),
    ),
    ("rbac.yaml", include_str!("fixtures/manifests/rbac.yaml")),
];

#[test]
fn every_documented_manifest_decodes_and_passes_strict_decoding_and_validation() {
    let mut kinds = BTreeSet::new();
    for (file, text) in FIXTURES {
        let docs = decode_documents(text).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(!docs.is_empty(), "{file}");
        for doc in docs {
            let info = check_kind(&doc).unwrap_or_else(|e| panic!("{file}: {e}"));
            let name = doc["metadata"]["name"].as_str().unwrap_or("").to_string();
            strict_check(info, &doc).unwrap_or_else(|e| panic!("{file} {name}: {e}"));
            validate_create(info, &doc).unwrap_or_else(|e| panic!("{file} {name}: {e}"));
            kinds.insert(info.kind);
        }
    }
    let served: BTreeSet<&str> = kube_sandbox::sim::api::resources::RESOURCES
        .iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(kinds, served, "one documented manifest per served kind");
}

#[test]
fn a_misspelled_field_is_refused_as_the_apiserver_refuses_it() {
    let docs = decode_documents(include_str!("fixtures/manifests/web-typo.yaml")).unwrap();
    let info = check_kind(&docs[0]).unwrap();
    let err = strict_check(info, &docs[0]).unwrap_err();
    assert_eq!(err.code, 400);
    assert_eq!(
        format!("Error from server ({}): error when creating \"web.yaml\": {}", err.reason.as_str(), err),
        "Error from server (BadRequest): error when creating \"web.yaml\": Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.template.spec.containers[0].imagee\""
    );
}

#[test]
fn a_yaml_syntax_error_names_its_line_and_column() {
    let err = decode_documents(include_str!("fixtures/manifests/syntax-error.yaml")).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::Yaml);
    assert_eq!((err.line, err.column), (Some(5), Some(10)));
    assert_eq!(
        err.to_string(),
        "error converting YAML to JSON: yaml: line 5, column 10: mapping values are not allowed in this context"
    );
}

#[test]
fn a_multi_document_file_keeps_document_order() {
    let docs = decode_documents(include_str!("fixtures/manifests/rbac.yaml")).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]
    );
}

#[test]
fn an_unknown_kind_is_a_resource_mapping_error() {
    let docs =
        decode_documents("apiVersion: apps/v1\nkind: Deploymnt\nmetadata:\n  name: web\n").unwrap();
    let err = check_kind(&docs[0]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no matches for kind \"Deploymnt\" in version \"apps/v1\""
    );
}
