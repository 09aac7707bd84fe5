//! Kubernetes protobuf bodies, decoded to the JSON object the apiserver would have read.
//!
//! Mirrors: `k8s.io/apimachinery/pkg/runtime/serializer/protobuf`: the 4-byte magic `k8s\0`,
//! then a `runtime.Unknown` whose `typeMeta` names the kind and whose `raw` is the object's
//! message; the messages of `k8s.io/api` (`generated.proto`, field numbers in
//! `proto_schema.txt`); the special encodings of `metav1.Time` and `MicroTime`, `Quantity`,
//! `IntOrString`, `RawExtension` and `FieldsV1`; and Go's embedded (`json:",inline"`) fields.
//! Simplified: the apiserver decodes into Go structs and encodes JSON with `omitempty`; here a
//! single scalar at its zero value (`""`, `0`, `false`) is left out as `omitempty` would, except
//! the fields listed in [`ZERO_MEANS_SOMETHING`] where a client's explicit zero is a choice
//! (`replicas: 0`). The real kubectl's typed clients (`kubectl create deployment`,
//! `create namespace`, ...) send protobuf; nothing else here does.

use std::collections::HashMap;
use std::sync::OnceLock;

use base64::Engine;
use serde_json::{Map, Value};

const SCHEMA_TEXT: &str = include_str!("proto_schema.txt");

/// Fields whose zero is set on purpose by the client (pointers in the Go types) or required.
const ZERO_MEANS_SOMETHING: &[&str] = &[
    "replicas",
    "value",
    "port",
    "containerPort",
    "parallelism",
    "completions",
    "backoffLimit",
    "terminationGracePeriodSeconds",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Label {
    Single,
    Repeated,
    Map,
}

#[derive(Debug)]
struct Field {
    name: &'static str,
    label: Label,
    ty: &'static str,
    /// A Go embedded struct: its fields belong to the parent object in JSON.
    inline: bool,
}

type Schema = HashMap<&'static str, HashMap<u64, Field>>;

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut out: Schema = HashMap::new();
        let mut current: Option<&'static str> = None;
        for line in SCHEMA_TEXT.lines() {
            if let Some(name) = line.strip_prefix("message ") {
                current = Some(name);
                out.entry(name).or_default();
                continue;
            }
            let (Some(message), Some(rest)) = (current, line.strip_prefix(' ')) else {
                continue;
            };
            let words: Vec<&'static str> = rest.split(' ').collect();
            let (label, ty) = match words.as_slice() {
                [_, _, "o", ty] => (Label::Single, *ty),
                [_, _, "r", ty] => (Label::Repeated, *ty),
                [_, _, "m", _key, ty] => (Label::Map, *ty),
                _ => continue,
            };
            let (Ok(number), name) = (words[0].parse::<u64>(), words[1]) else {
                continue;
            };
            let short = ty.rsplit('.').next().unwrap_or(ty);
            let inline = label == Label::Single && EMBEDDED.contains(&(name, short));
            if let Some(fields) = out.get_mut(message) {
                fields.insert(
                    number,
                    Field {
                        name,
                        label,
                        ty,
                        inline,
                    },
                );
            }
        }
        out
    })
}

/// Go's embedded structs among the served kinds' types (`json:",inline"`): the field and its
/// type. Named like their types in the protobuf, but so is `roleRef RoleRef`, which is not
/// embedded: hence a list, not a rule.
const EMBEDDED: &[(&str, &str)] = &[
    ("localObjectReference", "LocalObjectReference"),
    ("handler", "ProbeHandler"),
    ("ephemeralContainerCommon", "EphemeralContainerCommon"),
    ("volumeSource", "VolumeSource"),
];

/// One wire value.
enum Wire<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.at).ok_or("truncated varint")?;
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or("truncated field")?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn field(&mut self) -> Result<(u64, Wire<'a>), String> {
        let key = self.varint()?;
        let wire = match key & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => Wire::Fixed64(u64::from_le_bytes(
                self.take(8)?.try_into().unwrap_or([0; 8]),
            )),
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| "length too large")?;
                Wire::Bytes(self.take(len)?)
            }
            5 => Wire::Fixed32(u32::from_le_bytes(
                self.take(4)?.try_into().unwrap_or([0; 4]),
            )),
            w => return Err(format!("unsupported wire type {w}")),
        };
        Ok((key >> 3, wire))
    }
}

fn text(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| "a string field is not UTF-8".to_string())
}

/// RFC 3339 in UTC, as `metav1.Time` (`frac` 0) and `MicroTime` (`frac` 6) marshal to JSON.
fn rfc3339(seconds: i64, nanos: i64, frac: usize) -> String {
    let whole = crate::sim::clock::rfc3339_from_unix(seconds);
    if frac == 0 {
        return whole;
    }
    let digits = format!("{:09}", nanos.clamp(0, 999_999_999));
    format!("{}.{}Z", whole.trim_end_matches('Z'), &digits[..frac])
}

/// The scalar or message of one wire value, by the field's type.
fn value_of(ty: &str, wire: &Wire) -> Result<Value, String> {
    Ok(match (ty, wire) {
        ("string", Wire::Bytes(b)) => Value::String(text(b)?),
        ("bytes", Wire::Bytes(b)) => {
            Value::String(base64::engine::general_purpose::STANDARD.encode(b))
        }
        ("bool", Wire::Varint(v)) => Value::Bool(*v != 0),
        ("int32" | "int64", Wire::Varint(v)) => Value::from(*v as i64),
        ("uint32" | "uint64", Wire::Varint(v)) => Value::from(*v),
        ("double", Wire::Fixed64(v)) => Value::from(f64::from_bits(*v)),
        ("float", Wire::Fixed32(v)) => Value::from(f64::from(f32::from_bits(*v))),
        (message, Wire::Bytes(b)) if schema().contains_key(message) => decode_message(b, message)?,
        (ty, _) => return Err(format!("a {ty} field has the wrong wire type")),
    })
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Null => true,
        _ => false,
    }
}

/// One message as JSON; the special apimachinery types by their JSON encodings.
fn decode_message(bytes: &[u8], message: &str) -> Result<Value, String> {
    let short = message.rsplit('.').next().unwrap_or(message);
    let apimachinery = message.starts_with("k8s.io.apimachinery.");
    if apimachinery
        && matches!(
            short,
            "Time" | "MicroTime" | "Quantity" | "IntOrString" | "RawExtension" | "FieldsV1"
        )
    {
        let mut fields: HashMap<u64, Wire> = HashMap::new();
        let mut r = Reader::new(bytes);
        while !r.done() {
            let (n, w) = r.field()?;
            fields.insert(n, w);
        }
        let varint = |n: u64| match fields.get(&n) {
            Some(Wire::Varint(v)) => *v as i64,
            _ => 0,
        };
        return Ok(match short {
            "Time" | "MicroTime" => {
                let (seconds, nanos) = (varint(1), varint(2));
                if seconds == 0 && nanos == 0 {
                    Value::Null
                } else {
                    let frac = if short == "MicroTime" { 6 } else { 0 };
                    Value::String(rfc3339(seconds, nanos, frac))
                }
            }
            "Quantity" => match fields.get(&1) {
                Some(Wire::Bytes(b)) => Value::String(text(b)?),
                _ => Value::String("0".into()),
            },
            "IntOrString" => match (fields.get(&1), fields.get(&2), fields.get(&3)) {
                (Some(Wire::Varint(1)), _, Some(Wire::Bytes(s))) => Value::String(text(s)?),
                (Some(Wire::Varint(1)), _, _) => Value::String(String::new()),
                (_, Some(Wire::Varint(v)), _) => Value::from(*v as i64 as i32),
                _ => Value::from(0),
            },
            _ => match fields.get(&1) {
                Some(Wire::Bytes(b)) if !b.is_empty() => {
                    serde_json::from_slice(b).map_err(|e| format!("embedded JSON: {e}"))?
                }
                _ => Value::Null,
            },
        });
    }
    let fields = schema()
        .get(message)
        .ok_or_else(|| format!("no protobuf schema for {message}"))?;
    let mut obj = Map::new();
    let mut r = Reader::new(bytes);
    while !r.done() {
        let (number, wire) = r.field()?;
        let Some(field) = fields.get(&number) else {
            continue;
        };
        match field.label {
            Label::Single => {
                let v = value_of(field.ty, &wire)?;
                if field.inline {
                    if let Value::Object(inner) = v {
                        obj.extend(inner);
                    }
                } else if !is_zero(&v)
                    || ZERO_MEANS_SOMETHING.contains(&field.name) && !v.is_null()
                    || v.is_null() && field.ty.ends_with("Time")
                {
                    // A zero `metav1.Time` on the wire is a struct field (not a pointer): Go's
                    // JSON writes it as `null` (`creationTimestamp: null`); a nil pointer is
                    // not on the wire at all.
                    obj.insert(field.name.to_string(), v);
                }
            }
            Label::Repeated => {
                let list = obj
                    .entry(field.name.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                let Value::Array(list) = list else { continue };
                match (&wire, field.ty) {
                    // Packed numbers.
                    (Wire::Bytes(b), "int32" | "int64" | "bool") => {
                        let mut packed = Reader::new(b);
                        while !packed.done() {
                            list.push(value_of(field.ty, &Wire::Varint(packed.varint()?))?);
                        }
                    }
                    _ => list.push(value_of(field.ty, &wire)?),
                }
            }
            Label::Map => {
                let Wire::Bytes(entry) = wire else {
                    return Err(format!("map {} has the wrong wire type", field.name));
                };
                let (mut key, mut value) = (String::new(), None);
                let mut e = Reader::new(entry);
                while !e.done() {
                    match e.field()? {
                        (1, Wire::Bytes(k)) => key = text(k)?,
                        (2, w) => value = Some(value_of(field.ty, &w)?),
                        _ => {}
                    }
                }
                let value = value.unwrap_or_else(|| match field.ty {
                    "string" | "bytes" => Value::String(String::new()),
                    _ => Value::Null,
                });
                let map = obj
                    .entry(field.name.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(map) = map {
                    map.insert(key, value);
                }
            }
        }
    }
    Ok(Value::Object(obj))
}

/// The protobuf package of an apiVersion: `apps/v1` → `k8s.io.api.apps.v1`,
/// `rbac.authorization.k8s.io/v1` → `k8s.io.api.rbac.v1`, `v1` → `k8s.io.api.core.v1`.
fn package_of(api_version: &str) -> String {
    match api_version.split_once('/') {
        Some((group, version)) => {
            let short = group.split('.').next().unwrap_or(group);
            format!("k8s.io.api.{short}.{version}")
        }
        None => format!("k8s.io.api.core.{api_version}"),
    }
}

/// A whole request body: `k8s\0`, then `runtime.Unknown`.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let rest = body
        .strip_prefix(b"k8s\0")
        .ok_or("the protobuf body does not start with the Kubernetes magic number")?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    let mut r = Reader::new(rest);
    while !r.done() {
        match r.field()? {
            (1, Wire::Bytes(type_meta)) => {
                let mut t = Reader::new(type_meta);
                while !t.done() {
                    match t.field()? {
                        (1, Wire::Bytes(v)) => api_version = text(v)?,
                        (2, Wire::Bytes(k)) => kind = text(k)?,
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(b)) => raw = b,
            _ => {}
        }
    }
    let message = format!("{}.{kind}", package_of(&api_version));
    let Value::Object(fields) = decode_message(raw, &message)? else {
        return Err(format!("{message} did not decode to an object"));
    };
    let mut obj = Map::new();
    obj.insert("apiVersion".into(), Value::String(api_version));
    obj.insert("kind".into(), Value::String(kind));
    obj.extend(fields);
    Ok(Value::Object(obj))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn bytes_field(number: u64, bytes: &[u8], out: &mut Vec<u8>) {
        varint(number << 3 | 2, out);
        varint(bytes.len() as u64, out);
        out.extend_from_slice(bytes);
    }

    fn varint_field(number: u64, v: u64, out: &mut Vec<u8>) {
        varint(number << 3, out);
        varint(v, out);
    }

    /// What the real kubectl sends for `kubectl create namespace dev`, built by hand: the
    /// zero-valued fields gogo-protobuf writes for non-pointer fields are there, as on the wire.
    fn namespace_body() -> Vec<u8> {
        let mut meta = Vec::new();
        bytes_field(1, b"dev", &mut meta); // name
        bytes_field(2, b"", &mut meta); // generateName: empty
        varint_field(7, 0, &mut meta); // generation: 0
        bytes_field(8, b"", &mut meta); // creationTimestamp: zero time
        let mut entry = Vec::new();
        bytes_field(1, b"team", &mut entry);
        bytes_field(2, b"a", &mut entry);
        bytes_field(11, &entry, &mut meta); // labels: {team: a}
        let mut ns = Vec::new();
        bytes_field(1, &meta, &mut ns);
        bytes_field(2, b"", &mut ns); // spec: {}
        bytes_field(3, b"", &mut ns); // status: {}
        let mut type_meta = Vec::new();
        bytes_field(1, b"v1", &mut type_meta);
        bytes_field(2, b"Namespace", &mut type_meta);
        let mut unknown = Vec::new();
        bytes_field(1, &type_meta, &mut unknown);
        bytes_field(2, &ns, &mut unknown);
        bytes_field(3, b"", &mut unknown);
        bytes_field(4, b"", &mut unknown);
        let mut body = b"k8s\0".to_vec();
        body.extend(unknown);
        body
    }

    #[test]
    fn a_namespace_decodes_as_its_json_with_the_omitempty_zero_values_left_out() {
        assert_eq!(
            decode(&namespace_body()).unwrap(),
            json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "dev", "creationTimestamp": null, "labels": {"team": "a"}},
                "spec": {}, "status": {}})
        );
    }

    #[test]
    fn special_types_take_their_json_forms() {
        // IntOrString: type 0 is the int, type 1 the string.
        let mut port = Vec::new();
        varint_field(3, 80, &mut port);
        let mut target = Vec::new();
        varint_field(1, 1, &mut target);
        bytes_field(3, b"http", &mut target);
        bytes_field(4, &target, &mut port);
        assert_eq!(
            decode_message(&port, "k8s.io.api.core.v1.ServicePort").unwrap(),
            json!({"port": 80, "targetPort": "http"})
        );
        // Time: seconds since the epoch.
        let mut time = Vec::new();
        varint_field(1, 1_748_736_000, &mut time);
        assert_eq!(
            decode_message(&time, "k8s.io.apimachinery.pkg.apis.meta.v1.Time").unwrap(),
            json!("2025-06-01T00:00:00Z")
        );
        // A Quantity is its string; replicas 0 is kept, minReadySeconds 0 is not.
        let mut spec = Vec::new();
        varint_field(1, 0, &mut spec);
        varint_field(5, 0, &mut spec);
        assert_eq!(
            decode_message(&spec, "k8s.io.api.apps.v1.DeploymentSpec").unwrap(),
            json!({"replicas": 0})
        );
        // Go's embedded LocalObjectReference is inline in JSON.
        let mut reference = Vec::new();
        bytes_field(1, b"app-config", &mut reference);
        let mut selector = Vec::new();
        bytes_field(1, &reference, &mut selector);
        bytes_field(2, b"key", &mut selector);
        assert_eq!(
            decode_message(&selector, "k8s.io.api.core.v1.ConfigMapKeySelector").unwrap(),
            json!({"name": "app-config", "key": "key"})
        );
    }

    #[test]
    fn broken_bodies_are_errors_not_panics() {
        assert!(decode(b"{}").is_err());
        let body = namespace_body();
        for cut in 4..body.len() {
            let _ = decode(&body[..cut]);
        }
        let mut unknown_kind = b"k8s\0".to_vec();
        let mut type_meta = Vec::new();
        bytes_field(1, b"v1", &mut type_meta);
        bytes_field(2, b"Widget", &mut type_meta);
        bytes_field(1, &type_meta, &mut unknown_kind);
        assert!(decode(&unknown_kind).unwrap_err().contains("Widget"));
    }

    #[test]
    fn a_role_reference_is_a_field_not_an_embedded_struct() {
        let mut role_ref = Vec::new();
        bytes_field(1, b"rbac.authorization.k8s.io", &mut role_ref);
        bytes_field(2, b"Role", &mut role_ref);
        bytes_field(3, b"r1", &mut role_ref);
        let mut binding = Vec::new();
        bytes_field(3, &role_ref, &mut binding);
        assert_eq!(
            decode_message(&binding, "k8s.io.api.rbac.v1.RoleBinding").unwrap(),
            json!({"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r1"}})
        );
    }
}
