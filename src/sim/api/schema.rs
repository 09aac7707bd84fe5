//! The schema of the served kinds, as strict decoding needs it: for each struct, its fields and
//! each field's type. Nothing else (no descriptions, no validation rules).
//!
//! Mirrors: the OpenAPI definitions the apiserver publishes (`/openapi/v3`) and the Go structs of
//! `k8s.io/api` they describe; a definition's last name part is the Go struct name (`PodSpec`).
//! Simplified: the data is generated from the `k8s-openapi` crate's `schemars` schemas, not from
//! the apiserver's OpenAPI document, and reduced to one line per field in `schema.txt`:
//!
//! ```text
//! kind Pod api.core.v1.Pod          the root definition of a served kind
//! type api.core.v1.PodSpec          one struct...
//!  containers []api.core.v1.Container   ...and its fields: a definition, or a leaf type,
//!  nodeSelector {}string                 `[]T` an array of T, `{}T` a map of string to T
//! ```
//!
//! `schema.txt` has one source of truth, `k8s-openapi`: `tests/api_schema.rs` regenerates it and
//! fails if the committed file differs. After upgrading `k8s-openapi`, rewrite it with
//! `UPDATE_SCHEMA=1 cargo test --test api_schema`.
//!
//! Why not decode into the `k8s-openapi` types: that compiles `Deserialize` (and, to find unknown
//! fields, `Serialize`) of every type of every kind into the wasm bundle; this table is a few KB.

use std::collections::BTreeMap;
use std::sync::OnceLock;

const SCHEMA_TEXT: &str = include_str!("schema.txt");

/// The type of one field, array item or map value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldType {
    String,
    Int32,
    Int64,
    /// A float64 (`number`, `double`).
    Number,
    Boolean,
    /// `intstr.IntOrString`: an int32 or a string.
    IntOrString,
    /// `resource.Quantity`: a string or a number that parses as a quantity.
    Quantity,
    /// `metav1.Time`, RFC 3339 in seconds.
    Time,
    /// `metav1.MicroTime`, RFC 3339 in microseconds.
    MicroTime,
    /// `[]byte`, base64 in JSON (Secret `data`).
    Bytes,
    /// Free JSON (`FieldsV1`, `RawExtension`): anything goes.
    Json,
    Array(Box<FieldType>),
    /// A map from free string keys (labels, data) to values of one type.
    Map(Box<FieldType>),
    /// An index into [`Schema::structs`].
    Struct(usize),
}

/// One definition: a Go struct and its JSON fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructDef {
    /// The definition name without `io.k8s.`: `api.core.v1.PodSpec`.
    pub definition: &'static str,
    pub fields: BTreeMap<&'static str, FieldType>,
}

impl StructDef {
    /// The Go struct name, as upstream decoding errors name it: `PodSpec`.
    pub fn go_name(&self) -> &'static str {
        self.definition
            .rsplit('.')
            .next()
            .unwrap_or(self.definition)
    }
}

/// The parsed `schema.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    pub structs: Vec<StructDef>,
    kinds: BTreeMap<&'static str, usize>,
}

impl Schema {
    /// The root struct of a served kind (`Deployment`), if the schema has it.
    pub fn kind(&self, kind: &str) -> Option<&StructDef> {
        self.kinds.get(kind).and_then(|&i| self.structs.get(i))
    }

    /// The root struct of a served kind, as the type a body is walked against.
    pub fn kind_type(&self, kind: &str) -> Option<FieldType> {
        self.kinds.get(kind).map(|&i| FieldType::Struct(i))
    }

    /// The struct a [`FieldType::Struct`] points at.
    pub fn get(&self, index: usize) -> Option<&StructDef> {
        self.structs.get(index)
    }
}

/// The schema, parsed on first use. `schema.txt` is committed data checked by a native test, so a
/// line this parser cannot read is a bug, and asserts.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| parse(SCHEMA_TEXT))
}

fn parse(text: &'static str) -> Schema {
    // First pass: number the structs, so fields can point at structs defined further down.
    let mut index: BTreeMap<&'static str, usize> = BTreeMap::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("type ") {
            let next = index.len();
            index.insert(name, next);
        }
    }
    let mut structs: Vec<StructDef> = Vec::with_capacity(index.len());
    let mut kinds = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("kind ") {
            let (kind, definition) = rest.split_once(' ').unwrap_or((rest, ""));
            let i = index.get(definition).copied();
            assert!(
                i.is_some(),
                "schema.txt: kind {kind} has no type {definition}"
            );
            kinds.insert(kind, i.unwrap_or_default());
        } else if let Some(definition) = line.strip_prefix("type ") {
            structs.push(StructDef {
                definition,
                fields: BTreeMap::new(),
            });
        } else if let Some(field) = line.strip_prefix(' ') {
            let (name, ty) = field.split_once(' ').unwrap_or((field, ""));
            let ty = field_type(ty, &index);
            let current = structs.last_mut();
            assert!(
                current.is_some(),
                "schema.txt: field {name} before any type"
            );
            if let Some(current) = current {
                current.fields.insert(name, ty);
            }
        } else {
            panic!("schema.txt: unreadable line {line:?}");
        }
    }
    Schema { structs, kinds }
}

fn field_type(text: &str, index: &BTreeMap<&str, usize>) -> FieldType {
    if let Some(item) = text.strip_prefix("[]") {
        return FieldType::Array(Box::new(field_type(item, index)));
    }
    if let Some(value) = text.strip_prefix("{}") {
        return FieldType::Map(Box::new(field_type(value, index)));
    }
    match text {
        "string" => FieldType::String,
        "int32" => FieldType::Int32,
        "int64" => FieldType::Int64,
        "number" => FieldType::Number,
        "boolean" => FieldType::Boolean,
        "int-or-string" => FieldType::IntOrString,
        "quantity" => FieldType::Quantity,
        "time" => FieldType::Time,
        "micro-time" => FieldType::MicroTime,
        "bytes" => FieldType::Bytes,
        "json" => FieldType::Json,
        definition => match index.get(definition) {
            Some(&i) => FieldType::Struct(i),
            None => panic!("schema.txt: unknown type {definition:?}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_kind_has_a_root_struct() {
        for r in crate::sim::api::resources::RESOURCES {
            let root = schema().kind(r.kind);
            assert!(root.is_some(), "{}", r.kind);
            assert_eq!(root.map(StructDef::go_name), Some(r.kind));
        }
    }

    #[test]
    fn shared_definitions_are_written_once_and_pointed_at() {
        let s = schema();
        let specs = s
            .structs
            .iter()
            .filter(|d| d.go_name() == "PodSpec")
            .count();
        assert_eq!(specs, 1);
        let template = s
            .structs
            .iter()
            .find(|d| d.go_name() == "PodTemplateSpec")
            .expect("PodTemplateSpec");
        let Some(FieldType::Struct(i)) = template.fields.get("spec") else {
            panic!("PodTemplateSpec.spec is not a struct");
        };
        assert_eq!(s.get(*i).map(StructDef::go_name), Some("PodSpec"));
    }

    #[test]
    fn field_types_read_as_written() {
        let s = schema();
        let spec = s
            .structs
            .iter()
            .find(|d| d.definition == "api.core.v1.PodSpec")
            .expect("PodSpec");
        assert_eq!(
            spec.fields.get("nodeSelector"),
            Some(&FieldType::Map(Box::new(FieldType::String)))
        );
        assert_eq!(
            spec.fields.get("activeDeadlineSeconds"),
            Some(&FieldType::Int64)
        );
        assert!(matches!(
            spec.fields.get("containers"),
            Some(FieldType::Array(item)) if matches!(**item, FieldType::Struct(_))
        ));
        assert_eq!(spec.fields.get("imagee"), None);
    }
}
