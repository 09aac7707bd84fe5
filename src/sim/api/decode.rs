//! From the text a student typed or pasted to one `serde_json::Value` per object.
//!
//! Mirrors: what kubectl does before it talks to the apiserver: `sigs.k8s.io/yaml` converting each
//! YAML document of a stream to JSON (`k8s.io/apimachinery/pkg/util/yaml`), the resource builder
//! flattening `kind: List` into its items (`FlattenListVisitor`), and the REST mapper refusing a kind
//! it does not know (`no matches for kind ...`).
//! Simplified: YAML goes through saphyr-parser's events and our own builder ([`super::yaml`])
//! instead of go-yaml, so a syntax error's wording is saphyr's (the line and column are real);
//! nesting deeper than [`MAX_NESTING_DEPTH`] is refused while parsing, so no input can exhaust
//! the stack.

use std::fmt;

use serde_json::Value;

use super::resources::{by_kind, ResourceInfo, RESOURCES};

/// The deepest nesting of maps and lists accepted in a manifest. The deepest real Kubernetes object
/// (a Deployment's pod affinity with match expressions) nests about 15 levels; 64 leaves room for
/// odd annotations while keeping every recursive walk of a Value far from the stack's end.
pub const MAX_NESTING_DEPTH: usize = 64;

/// The most documents one input may hold, so a pasted stream of `---` cannot stall the tab.
pub const MAX_DOCUMENTS: usize = 1024;

/// Why a manifest never reached the apiserver. `Display` prints what kubectl prints after
/// `error: error parsing web.yaml: ` (syntax) or after `error: ` (kind problems).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub kind: DecodeErrorKind,
    /// The error text without position.
    pub message: String,
    /// 1-based line and column of a syntax error, when the parser knows them.
    pub line: Option<u64>,
    pub column: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The YAML could not be parsed (or converted to JSON: non-string keys, duplicate keys).
    Yaml,
    /// The JSON could not be parsed.
    Json,
    /// Maps and lists nested deeper than [`MAX_NESTING_DEPTH`], or more than [`MAX_DOCUMENTS`].
    TooLarge,
    /// The document is not a map, or has no `kind` / `apiVersion`.
    MissingKind,
    MissingApiVersion,
    /// The REST mapper knows no such kind in that version. kubectl prints
    /// `error: resource mapping not found for name: "web" namespace: "" from "web.yaml": <message>`,
    /// so the object's name and namespace travel with the error.
    NoKindMatch {
        kind: String,
        api_version: String,
        name: String,
        namespace: String,
    },
}

impl DecodeError {
    fn new(kind: DecodeErrorKind, message: impl Into<String>) -> Self {
        DecodeError {
            kind,
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.kind, self.line, self.column) {
            (DecodeErrorKind::Yaml, Some(line), Some(column)) => write!(
                f,
                "error converting YAML to JSON: yaml: line {line}, column {column}: {}",
                self.message
            ),
            (DecodeErrorKind::Yaml, Some(line), None) => write!(
                f,
                "error converting YAML to JSON: yaml: line {line}: {}",
                self.message
            ),
            (DecodeErrorKind::Yaml, None, _) => {
                write!(f, "error converting YAML to JSON: yaml: {}", self.message)
            }
            (DecodeErrorKind::Json, Some(line), Some(column)) => {
                write!(f, "json: line {line}, column {column}: {}", self.message)
            }
            _ => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Splits a YAML stream (`---` between documents) or a JSON stream into objects. Empty documents
/// are skipped and `kind: List` (or any `*List` with `items`) is flattened into its items, as
/// `kubectl apply -f` does.
pub fn decode_documents(text: &str) -> Result<Vec<Value>, DecodeError> {
    let docs = if looks_like_json(text) {
        decode_json(text)?
    } else {
        decode_yaml(text)?
    };
    let mut out = Vec::new();
    for doc in docs {
        flatten_into(doc, &mut out, 0)?;
    }
    if out.len() > MAX_DOCUMENTS {
        return Err(DecodeError::new(
            DecodeErrorKind::TooLarge,
            format!("too many objects: at most {MAX_DOCUMENTS} in one input"),
        ));
    }
    Ok(out)
}

/// kubectl sniffs the first non-space byte: `{` means a JSON stream.
fn looks_like_json(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
}

fn decode_json(text: &str) -> Result<Vec<Value>, DecodeError> {
    // serde_json would stop at its own recursion limit; checking first gives one clear message and
    // keeps the limit the same as for YAML.
    if let Some((line, column)) = json_too_deep_at(text) {
        let mut err = DecodeError::new(
            DecodeErrorKind::TooLarge,
            format!(
                "json: line {line}, column {column}: exceeded max depth of {MAX_NESTING_DEPTH}"
            ),
        );
        err.line = Some(line);
        err.column = Some(column);
        return Err(err);
    }
    let mut docs = Vec::new();
    for item in serde_json::Deserializer::from_slice(text.as_bytes()).into_iter::<Value>() {
        match item {
            Ok(v) => docs.push(v),
            Err(e) => {
                let (line, column) = (e.line() as u64, e.column() as u64);
                let full = e.to_string();
                let suffix = format!(" at line {line} column {column}");
                let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
                return Err(DecodeError {
                    kind: DecodeErrorKind::Json,
                    message,
                    line: Some(line),
                    column: Some(column),
                });
            }
        }
        if docs.len() > MAX_DOCUMENTS {
            break;
        }
    }
    Ok(docs)
}

/// Where (1-based line, column) bracket nesting outside strings first passes the limit.
fn json_too_deep_at(text: &str) -> Option<(u64, u64)> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let (mut line, mut column) = (1u64, 0u64);
    for c in text.chars() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => {
                depth += 1;
                if depth > MAX_NESTING_DEPTH {
                    return Some((line, column));
                }
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn decode_yaml(text: &str) -> Result<Vec<Value>, DecodeError> {
    super::yaml::documents(text)
}

fn flatten_into(doc: Value, out: &mut Vec<Value>, depth: usize) -> Result<(), DecodeError> {
    let is_list = doc
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.ends_with("List"))
        && doc.get("items").is_some_and(Value::is_array);
    if !is_list || depth > 4 {
        out.push(doc);
        return Ok(());
    }
    let list_api_version = doc.get("apiVersion").cloned();
    let item_kind = doc
        .get("kind")
        .and_then(Value::as_str)
        .and_then(|k| k.strip_suffix("List"))
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    let items = match doc {
        Value::Object(mut map) => map.remove("items"),
        _ => None,
    };
    for mut item in items
        .and_then(|i| match i {
            Value::Array(a) => Some(a),
            _ => None,
        })
        .unwrap_or_default()
    {
        // Items of a typed list (`PodList`) carry no kind; kubectl takes it from the list.
        if let (Some(kind), Value::Object(map)) = (&item_kind, &mut item) {
            if !map.contains_key("kind") {
                map.insert("kind".into(), Value::String(kind.clone()));
                if let Some(v) = &list_api_version {
                    map.entry("apiVersion").or_insert_with(|| v.clone());
                }
            }
        }
        flatten_into(item, out, depth + 1)?;
        if out.len() > MAX_DOCUMENTS {
            break;
        }
    }
    Ok(())
}

/// Finds the served resource for a decoded object: the REST mapping step.
pub fn check_kind(obj: &Value) -> Result<&'static ResourceInfo, DecodeError> {
    let compact = || serde_json::to_string(obj).unwrap_or_default();
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind.is_empty() {
        return Err(DecodeError::new(
            DecodeErrorKind::MissingKind,
            format!("Object 'Kind' is missing in '{}'", compact()),
        ));
    }
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if api_version.is_empty() {
        return Err(DecodeError::new(
            DecodeErrorKind::MissingApiVersion,
            format!("Object 'apiVersion' is missing in '{}'", compact()),
        ));
    }
    if let Some(info) = by_kind(api_version, kind) {
        return Ok(info);
    }
    let meta = obj.get("metadata");
    let field = |f: &str| {
        meta.and_then(|m| m.get(f))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    Err(DecodeError::new(
        DecodeErrorKind::NoKindMatch {
            kind: kind.to_string(),
            api_version: api_version.to_string(),
            name: field("name"),
            namespace: field("namespace"),
        },
        format!("no matches for kind {kind:?} in version {api_version:?}"),
    ))
}

/// True when some served kind has this name in another group or version: kubectl then still says
/// `no matches for kind`, but a lesson can hint at the right apiVersion.
pub fn kind_served_elsewhere(kind: &str) -> Option<&'static ResourceInfo> {
    RESOURCES.iter().find(|r| r.kind == kind)
}

/// The nesting depth of a Value, computed without recursion so that a Value built by hand (not by
/// [`decode_documents`]) can be measured safely before any recursive walk.
pub fn nesting_depth(v: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(v, 1usize)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Object(m) => {
                max = max.max(d);
                stack.extend(m.values().map(|c| (c, d + 1)));
            }
            Value::Array(a) => {
                max = max.max(d);
                stack.extend(a.iter().map(|c| (c, d + 1)));
            }
            _ => {}
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_yaml_documents_decode_in_order_and_empty_ones_are_skipped() {
        let text = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n---\n# only a comment\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n";
        let docs = decode_documents(text).unwrap();
        let names: Vec<_> = docs
            .iter()
            .map(|d| d["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn a_v1_list_is_flattened_into_its_items() {
        let text = r#"{"apiVersion":"v1","kind":"List","items":[
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}},
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"b"}}]}"#;
        let docs = decode_documents(text).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1]["kind"], "Secret");
    }

    #[test]
    fn items_of_a_typed_list_take_their_kind_from_the_list() {
        let text = "apiVersion: v1\nkind: PodList\nitems:\n- metadata:\n    name: p\n";
        let docs = decode_documents(text).unwrap();
        assert_eq!(docs[0]["kind"], "Pod");
        assert_eq!(docs[0]["apiVersion"], "v1");
    }

    #[test]
    fn a_json_stream_of_several_objects_decodes() {
        let docs = decode_documents("{\"a\":1}\n{\"b\":2}").unwrap();
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn a_yaml_syntax_error_names_line_and_column() {
        let err = decode_documents("metadata:\n  name: x\n   bad: 1\n").unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::Yaml);
        assert_eq!((err.line, err.column), (Some(3), Some(7)));
        assert_eq!(
            err.to_string(),
            "error converting YAML to JSON: yaml: line 3, column 7: mapping values are not allowed in this context"
        );
    }

    #[test]
    fn a_repeated_key_is_reported_as_go_yaml_does() {
        let err = decode_documents("a: 1\na: 2\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "error converting YAML to JSON: yaml: unmarshal errors:\n  line 2: key \"a\" already set in map"
        );
    }

    #[test]
    fn a_json_syntax_error_names_line_and_column() {
        let err = decode_documents("{\n  \"a\": }").unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::Json);
        assert_eq!(err.line, Some(2));
        assert!(err.to_string().starts_with("json: line 2, column"), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let deep_json = "[".repeat(100_000);
        assert!(decode_documents(&deep_json).is_err());
        let deep_flow_yaml = format!("a: {}", "[".repeat(100_000));
        assert!(decode_documents(&deep_flow_yaml).is_err());
        let mut block = String::new();
        for i in 0..200 {
            block.push_str(&" ".repeat(i));
            block.push_str("a:\n");
        }
        assert!(decode_documents(&block).is_err());
    }

    #[test]
    fn empty_input_is_no_objects() {
        assert_eq!(decode_documents("").unwrap(), Vec::<Value>::new());
        assert_eq!(decode_documents("\n---\n").unwrap(), Vec::<Value>::new());
    }

    #[test]
    fn kinds_are_mapped_or_refused_as_the_rest_mapper_does() {
        let ok = serde_json::json!({"apiVersion":"apps/v1","kind":"Deployment"});
        assert_eq!(check_kind(&ok).unwrap().plural, "deployments");
        let typo = serde_json::json!({"apiVersion":"apps/v1","kind":"Deploymnt","metadata":{"name":"web"}});
        let err = check_kind(&typo).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no matches for kind \"Deploymnt\" in version \"apps/v1\""
        );
        assert!(matches!(err.kind, DecodeErrorKind::NoKindMatch { ref name, .. } if name == "web"));
        let wrong_group = serde_json::json!({"apiVersion":"v1","kind":"Deployment"});
        assert!(check_kind(&wrong_group).is_err());
        let no_kind = serde_json::json!({"apiVersion":"v1"});
        assert_eq!(
            check_kind(&no_kind).unwrap_err().to_string(),
            "Object 'Kind' is missing in '{\"apiVersion\":\"v1\"}'"
        );
        let no_version = serde_json::json!({"kind":"Pod"});
        assert_eq!(
            check_kind(&no_version).unwrap_err().to_string(),
            "Object 'apiVersion' is missing in '{\"kind\":\"Pod\"}'"
        );
    }

    #[test]
    fn nesting_depth_counts_maps_and_lists() {
        assert_eq!(nesting_depth(&serde_json::json!(1)), 0);
        assert_eq!(nesting_depth(&serde_json::json!({"a":[{"b":1}]})), 3);
    }
}
