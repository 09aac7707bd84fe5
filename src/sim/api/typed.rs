//! Typed access to objects, and the apiserver's strict decoding.
//!
//! Mirrors: the apiserver's `serializer.WithStrictDecoding` path
//! (`k8s.io/apimachinery/pkg/runtime/serializer/json`): a body with a field the schema does not
//! have is refused with `<Kind> in version "<v>" cannot be handled as a <Kind>: strict decoding
//! error: unknown field "<path>"`, a BadRequest; so is a field of the wrong JSON type and a
//! quantity that does not parse.
//! Simplified: the body is walked against the compact schema of [`super::schema`] (generated from
//! `k8s-openapi`), not decoded into typed structs. A field of the wrong type is reported with
//! serde's wording and the field path (`spec.replicas: invalid type: string "three", expected
//! i32`), not Go's `json: cannot unmarshal ...` wording. Leaves with their own decoders (quantity,
//! int-or-string, time, base64 bytes) are checked by those decoders, so their errors are theirs:
//! a bad time is Go's `time.Parse` error, as the apiserver's (`metadata.creationTimestamp: parsing
//! time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"`), with the field path
//! before it as for every other error here.

use serde::de::{DeserializeOwned, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::core_v1::{IntOrString, Quantity as QuantityText, TIME_EXPECTED};
use super::decode::{nesting_depth, MAX_NESTING_DEPTH};
use super::quantity::Quantity;
use super::resources::ResourceInfo;
use super::schema::{schema, FieldType, Schema};
use crate::sim::apiserver::request::ApiError;
use crate::sim::clock::{parse_go_time, TimeLayout};

/// Reads a stored object as its typed view (`typed::<Pod>(&value)`, [`super::core_v1`]); `None` if it does not
/// fit, which for an object that went through [`strict_check`] only happens on a bug.
/// Reads through `&Value`'s deserializer, the one strict decoding uses too: no copy of the object
/// first, and the owned `Value` deserializer is not linked into the page.
pub fn typed<T: DeserializeOwned>(obj: &Value) -> Option<T> {
    T::deserialize(obj).ok()
}

/// The apiserver's strict decoding of a create/update body: every field must exist in the schema,
/// have the right JSON type, and every quantity must parse. A BadRequest names each unknown field
/// by its upstream path. The body is not changed: the apiserver stores what it was sent.
pub fn strict_check(info: &ResourceInfo, obj: &Value) -> Result<(), ApiError> {
    let refuse = |detail: String| {
        let mut err = ApiError::bad_request(format!(
            "{kind} in version {version:?} cannot be handled as a {kind}: {detail}",
            kind = info.kind,
            version = info.version
        ));
        err.kind = Some(info.kind.to_string());
        err
    };
    if nesting_depth(obj) > MAX_NESTING_DEPTH {
        return Err(refuse(format!("exceeded max depth of {MAX_NESTING_DEPTH}")));
    }
    let Value::Object(map) = obj else {
        return Err(refuse(
            "json: cannot unmarshal into an object: not a map".to_string(),
        ));
    };
    let schema = schema();
    let Some(root) = schema.kind_type(info.kind) else {
        return Err(refuse(format!("no schema for kind {:?}", info.kind)));
    };
    // The typed decoders of k8s-openapi refuse a body whose apiVersion or kind is not theirs.
    for (key, want) in [
        ("apiVersion", info.api_version()),
        ("kind", info.kind.to_string()),
    ] {
        if let Some(Value::String(got)) = map.get(key) {
            if *got != want {
                return Err(refuse(format!(
                    "{key}: invalid value: string {got:?}, expected {want}"
                )));
            }
        }
    }
    let mut walk = Walk {
        schema,
        path: String::new(),
        unknown: Vec::new(),
        bad_quantity: None,
    };
    walk.value(obj, &root).map_err(refuse)?;
    if !walk.unknown.is_empty() {
        let list: Vec<String> = walk
            .unknown
            .iter()
            .map(|p| format!("unknown field {p:?}"))
            .collect();
        return Err(refuse(format!(
            "strict decoding error: {}",
            list.join(", ")
        )));
    }
    if let Some(message) = walk.bad_quantity {
        return Err(refuse(message));
    }
    Ok(())
}

/// One walk of a body against the schema. Keys are visited in the order serde visits them, so the
/// first type error found is the one a typed decode would have reported.
struct Walk<'s> {
    schema: &'s Schema,
    /// The upstream path of the value being walked: `spec.template.spec.containers[0]`.
    path: String,
    /// Paths of non-null keys the schema does not have.
    unknown: Vec<String>,
    /// The first quantity that does not parse: a decoding error in Kubernetes too, reported after
    /// unknown fields as before.
    bad_quantity: Option<String>,
}

impl Walk<'_> {
    /// Checks one value against its type. `Err` is the first type error, with its path. Recursion
    /// depth is bounded by the caller's nesting check.
    fn value(&mut self, v: &Value, ty: &FieldType) -> Result<(), String> {
        let checked = match ty {
            FieldType::String => String::deserialize(v).map(drop),
            FieldType::Int32 => i32::deserialize(v).map(drop),
            FieldType::Int64 => i64::deserialize(v).map(drop),
            FieldType::Number => f64::deserialize(v).map(drop),
            FieldType::Boolean => bool::deserialize(v).map(drop),
            FieldType::IntOrString => IntOrString::deserialize(v).map(drop),
            FieldType::Time => time(v, TimeLayout::Rfc3339),
            FieldType::MicroTime => time(v, TimeLayout::Rfc3339Micro),
            FieldType::Bytes => bytes(v),
            FieldType::Json => Ok(()),
            FieldType::Quantity => QuantityText::deserialize(v).map(|q| {
                if self.bad_quantity.is_none() {
                    if let Err(e) = Quantity::parse(&q.0) {
                        self.bad_quantity = Some(e.to_string());
                    }
                }
            }),
            FieldType::Array(item) => match v {
                Value::Array(items) => {
                    for (i, child) in items.iter().enumerate() {
                        let len = self.path.len();
                        self.path.push_str(&format!("[{i}]"));
                        self.value(child, item)?;
                        self.path.truncate(len);
                    }
                    Ok(())
                }
                other => Err(mismatch(other, "a sequence")),
            },
            FieldType::Map(value_type) => match v {
                Value::Object(map) => {
                    for (key, child) in map {
                        let len = self.push_key(key);
                        self.value(child, value_type)?;
                        self.path.truncate(len);
                    }
                    Ok(())
                }
                other => Err(mismatch(other, "a map")),
            },
            FieldType::Struct(i) => {
                let Some(def) = self.schema.get(*i) else {
                    return Ok(());
                };
                match v {
                    Value::Object(map) => {
                        for (key, child) in map {
                            // A null field decodes as absent, known or not.
                            if child.is_null() {
                                continue;
                            }
                            let len = self.push_key(key);
                            match def.fields.get(key.as_str()) {
                                Some(field_type) => self.value(child, field_type)?,
                                None => self.unknown.push(self.path.clone()),
                            }
                            self.path.truncate(len);
                        }
                        Ok(())
                    }
                    other => Err(mismatch(other, def.go_name())),
                }
            }
        };
        checked.map_err(|e| {
            let message = e.to_string();
            if self.path.is_empty() {
                message
            } else {
                format!("{}: {message}", self.path)
            }
        })
    }

    /// Appends `.key` (or `key` at the root) to the path; returns the length to truncate back to.
    fn push_key(&mut self, key: &str) -> usize {
        let len = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(key);
        len
    }
}

/// `metav1.Time`'s and `metav1.MicroTime`'s decoders: a string that Go's `time.Parse` takes with
/// their layout, or Go's parse error (`parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot
/// parse "x" as "2006"`).
fn time(v: &Value, layout: TimeLayout) -> Result<(), serde_json::Error> {
    match v {
        Value::String(text) => parse_go_time(text, layout)
            .map(drop)
            .map_err(serde::de::Error::custom),
        other => Err(mismatch(other, TIME_EXPECTED)),
    }
}

/// `[]byte` as `k8s-openapi`'s `ByteString` decodes it: `null`, or a string of standard base64
/// with padding. Its errors keep that decoder's words, which are those of the `base64` 0.22 crate
/// behind it (`Invalid symbol 32, offset 3.`); the newer crate used here words a bad last symbol
/// differently, so that one is reworded.
fn bytes(v: &Value) -> Result<(), serde_json::Error> {
    struct Base64;
    impl<'de> Visitor<'de> for Base64 {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a base64-encoded string")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_str(self)
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<(), E> {
            use base64::{DecodeError, Engine};
            match base64::engine::general_purpose::STANDARD.decode(text) {
                Ok(_) => Ok(()),
                Err(DecodeError::InvalidLastSymbol { offset, symbol, .. }) => Err(E::custom(
                    format!("Invalid last symbol {symbol}, offset {offset}."),
                )),
                Err(e) => Err(E::custom(e)),
            }
        }
    }
    serde::Deserializer::deserialize_option(v, Base64)
}

/// serde's own `invalid type: <what v is>, expected <expected>` error for a value of the wrong
/// JSON type, from a visitor that accepts nothing.
fn mismatch(v: &Value, expected: &str) -> serde_json::Error {
    struct Refuse<'a>(&'a str);
    impl Visitor<'_> for Refuse<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    match serde::Deserializer::deserialize_any(v, Refuse(expected)) {
        Ok(()) => serde::de::Error::custom(format!("invalid type, expected {expected}")),
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::api::resources::by_kind;
    use serde_json::json;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"any.key/x": "y"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{
                        "name": "nginx", "image": "nginx:1.27",
                        "ports": [{"containerPort": 80}],
                        "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}}
                    }]}
                }
            },
            "status": {"replicas": 2}
        })
    }

    fn info(api_version: &str, kind: &str) -> &'static ResourceInfo {
        by_kind(api_version, kind).unwrap()
    }

    #[test]
    fn a_known_object_with_free_form_maps_and_int_or_string_passes() {
        strict_check(info("apps/v1", "Deployment"), &deployment()).unwrap();
    }

    #[test]
    fn a_misspelled_field_is_refused_with_its_upstream_path() {
        let mut d = deployment();
        d["spec"]["template"]["spec"]["containers"][0]["imagee"] = json!("nginx");
        let err = strict_check(info("apps/v1", "Deployment"), &d).unwrap_err();
        assert_eq!(err.code, 400);
        assert_eq!(
            err.message,
            "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.template.spec.containers[0].imagee\""
        );
    }

    #[test]
    fn several_unknown_fields_are_listed_together() {
        let mut d = deployment();
        d["spec"]["replica"] = json!(3);
        d["metadata"]["nam"] = json!("x");
        let err = strict_check(info("apps/v1", "Deployment"), &d).unwrap_err();
        assert!(
            err.message.ends_with(
                "strict decoding error: unknown field \"metadata.nam\", unknown field \"spec.replica\""
            ),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_null_unknown_field_is_ignored_as_json_null_is() {
        let mut d = deployment();
        d["spec"]["nothing"] = Value::Null;
        strict_check(info("apps/v1", "Deployment"), &d).unwrap();
    }

    #[test]
    fn a_field_of_the_wrong_type_is_refused_with_its_path() {
        let mut d = deployment();
        d["spec"]["replicas"] = json!("three");
        let err = strict_check(info("apps/v1", "Deployment"), &d).unwrap_err();
        assert!(
            err.message
                .starts_with("Deployment in version \"v1\" cannot be handled as a Deployment: spec.replicas: invalid type"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_malformed_quantity_is_a_decoding_error() {
        let mut d = deployment();
        d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] =
            json!("half");
        let err = strict_check(info("apps/v1", "Deployment"), &d).unwrap_err();
        assert_eq!(
            err.message,
            "Deployment in version \"v1\" cannot be handled as a Deployment: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
    }

    #[test]
    fn every_served_kind_passes_with_only_its_name() {
        for r in crate::sim::api::resources::RESOURCES {
            let obj =
                json!({"apiVersion": r.api_version(), "kind": r.kind, "metadata": {"name": "x"}});
            strict_check(r, &obj).unwrap_or_else(|e| panic!("{}: {e}", r.kind));
        }
    }

    fn refusal(kind: &str, obj: &Value) -> String {
        let info = crate::sim::api::resources::RESOURCES
            .iter()
            .find(|r| r.kind == kind)
            .unwrap();
        let message = strict_check(info, obj).unwrap_err().message;
        let prefix = format!(
            "{kind} in version \"{}\" cannot be handled as a {kind}: ",
            info.version
        );
        message
            .strip_prefix(&prefix)
            .unwrap_or(&message)
            .to_string()
    }

    #[test]
    fn wrong_types_are_refused_with_serde_wording_and_the_field_path() {
        let cases: &[(&str, Value, &str)] = &[
            ("Deployment", json!({"spec": {"replicas": "three"}}),
             "spec.replicas: invalid type: string \"three\", expected i32"),
            ("Deployment", json!({"spec": {"replicas": 2.5}}),
             "spec.replicas: invalid type: floating point `2.5`, expected i32"),
            ("Deployment", json!({"spec": {"replicas": 3000000000u64}}),
             "spec.replicas: invalid value: integer `3000000000`, expected i32"),
            ("Pod", json!({"spec": {"containers": {"name": "x"}}}),
             "spec.containers: invalid type: map, expected a sequence"),
            ("Pod", json!({"spec": {"containers": [{"name": "a"}, "b"]}}),
             "spec.containers[1]: invalid type: string \"b\", expected Container"),
            ("Pod", json!({"spec": {"containers": [{"name": "a", "args": [null]}]}}),
             "spec.containers[0].args[0]: invalid type: null, expected a string"),
            ("Pod", json!({"metadata": {"labels": {"app": 1}}}),
             "metadata.labels.app: invalid type: integer `1`, expected a string"),
            ("Pod", json!({"metadata": {"labels": ["app"]}}),
             "metadata.labels: invalid type: sequence, expected a map"),
            ("Pod", json!({"spec": {"hostNetwork": "yes"}}),
             "spec.hostNetwork: invalid type: string \"yes\", expected a boolean"),
            ("Pod", json!({"spec": "none"}),
             "spec: invalid type: string \"none\", expected PodSpec"),
            ("Deployment", json!({"spec": {"strategy": {"rollingUpdate": {"maxSurge": 1.5}}}}),
             "spec.strategy.rollingUpdate.maxSurge: invalid type: floating point `1.5`, expected IntOrString"),
            ("Deployment", json!({"apiVersion": "apps/v2"}),
             "apiVersion: invalid value: string \"apps/v2\", expected apps/v1"),
        ];
        for (kind, obj, want) in cases {
            assert_eq!(refusal(kind, obj), *want, "{obj}");
        }
    }

    #[test]
    fn leaves_with_their_own_decoders_refuse_what_those_decoders_refuse() {
        let bad_time = refusal(
            "Pod",
            &json!({"metadata": {"creationTimestamp": "yesterday"}}),
        );
        assert_eq!(
            bad_time,
            r#"metadata.creationTimestamp: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006""#
        );
        assert_eq!(
            refusal("Pod", &json!({"metadata": {"creationTimestamp": 5}})),
            "metadata.creationTimestamp: invalid type: integer `5`, expected a timestamp string"
        );
        let second_precision_lease = json!({"spec": {"renewTime": "2025-06-01T00:00:10Z"}});
        assert_eq!(
            refusal("Lease", &second_precision_lease),
            r#"spec.renewTime: parsing time "2025-06-01T00:00:10Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000""#
        );
        let bad_base64 = refusal("Secret", &json!({"data": {"k": "not base64!"}}));
        assert!(bad_base64.starts_with("data.k: "), "{bad_base64}");
        assert_eq!(bad_base64, "data.k: Invalid symbol 32, offset 3.");
        assert_eq!(
            refusal("Secret", &json!({"data": {"k": "aGVsbG9="}})),
            "data.k: Invalid last symbol 57, offset 6."
        );
        let good = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "creationTimestamp": "2024-01-02T03:04:05+09:00"},
            "data": {"k": "aGVsbG8="}
        });
        strict_check(info("v1", "Secret"), &good).unwrap();
    }

    #[test]
    fn quantities_may_be_written_as_numbers_and_the_body_is_kept_as_sent() {
        let mut d = deployment();
        d["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"] =
            json!({"cpu": 1, "memory": 0.5});
        strict_check(info("apps/v1", "Deployment"), &d).unwrap();
        d["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] =
            json!(true);
        assert_eq!(
            refusal("Deployment", &d),
            "spec.template.spec.containers[0].resources.requests.cpu: invalid type: boolean `true`, expected Quantity"
        );
    }

    #[test]
    fn the_first_type_error_wins_over_unknown_fields() {
        let mut d = deployment();
        d["spec"]["replica"] = json!(3);
        d["spec"]["replicas"] = json!("three");
        assert!(refusal("Deployment", &d).starts_with("spec.replicas: invalid type"));
    }
}
