//! Reading manifests for `-f`: YAML (several documents) or JSON into `serde_json::Value`s.
//!
//! Mirrors: kubectl's resource builder, which splits a stream on `---`, skips empty documents and
//! flattens a `kind: List` into its items.
//! Simplified: this is the kubectl side only; strict field checking and validation are the
//! apiserver's (`crate::sim::api`), whose errors kubectl prints.

use serde_json::Value;

/// Decodes every non-empty document of a manifest, flattening `List`s.
pub fn decode_documents(text: &str) -> Result<Vec<Value>, String> {
    let trimmed = text.trim_start();
    let docs: Vec<Value> = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Array(items)) => items,
            Ok(v) => vec![v],
            Err(e) => return Err(format!("error converting YAML to JSON: {e}")),
        }
    } else {
        serde_saphyr::from_multiple::<Value>(text)
            .map_err(|e| format!("error converting YAML to JSON: yaml: {e}"))?
    };
    let mut out = Vec::new();
    for doc in docs {
        match doc {
            Value::Null => {}
            Value::Object(ref map) if map.is_empty() => {}
            Value::Object(ref map)
                if map.get("kind").and_then(Value::as_str) == Some("List")
                    && map.get("items").is_some_and(Value::is_array) =>
            {
                if let Some(Value::Array(items)) = map.get("items") {
                    out.extend(items.iter().cloned());
                }
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_documents_decode_in_order_and_empty_ones_are_skipped() {
        let docs = decode_documents(
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n",
        )
        .unwrap_or_default();
        let names: Vec<&str> = docs
            .iter()
            .filter_map(|d| d.pointer("/metadata/name").and_then(Value::as_str))
            .collect();
        assert_eq!(names, vec!["a", "b"]);
    }

    #[test]
    fn a_list_is_flattened_into_its_items() {
        let docs = decode_documents(
            r#"{"apiVersion":"v1","kind":"List","items":[{"kind":"Pod"},{"kind":"Service"}]}"#,
        )
        .unwrap_or_default();
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn broken_yaml_is_an_error_not_a_panic() {
        assert!(decode_documents("a: [1, 2\nb: {").is_err());
    }
}
