//! `kubectl get`'s template printers and sorting: `-o jsonpath=…`, `-o jsonpath-as-json=…`,
//! `-o custom-columns=…` and `--sort-by=…`, over the JSONPath engine in [`super::jsonpath`].
//!
//! Mirrors: cli-runtime's `JSONPathPrinter` (`jsonpath.go`: its "error parsing jsonpath" and
//! "error executing jsonpath … Printing more information for debugging the template" texts),
//! `CustomColumnsPrinter` (`customcolumn.go`: `<header>:<json-path-expr>` specs, `<none>` for
//! no value, several values joined by `,`), `RelaxedJSONPathExpression`, and kubectl's
//! `get/sorter.go` (`SortObjects`, `TableSorter`, `isLess`: numbers numerically, two resource
//! quantities by value, other strings in natural order, objects without the field first).
//! `-o jsonpath-file=` and `-o custom-columns-file=` read the shell's files.
//! Simplified: sorting is stable where Go's `sort.Sort` is not (ties keep the list order);
//! values of different types compare as equal instead of ending kubectl with a fatal log.

use std::cmp::Ordering;

use serde_json::Value;

use super::jsonpath::{go_quote, go_sharp_v, go_v, natural_less, relaxed_expression, JsonPath};
use super::table::tabwrite;
use crate::sim::sort::StableSort;

/// A template printer chosen by `-o`.
#[derive(Clone, Debug)]
pub enum TemplatePrinter {
    /// `jsonpath=` (`as_json: false`) or `jsonpath-as-json=`.
    JsonPath {
        raw: String,
        path: JsonPath,
        as_json: bool,
    },
    CustomColumns(Vec<Column>),
}

/// One `HEADER:.field.path` of `-o custom-columns`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub header: String,
    /// Already relaxed to `{.field.path}`.
    pub field_spec: String,
}

/// The template printer for an `-o` value, `Ok(None)` when `format` is not a template format,
/// or kubectl's error line (without `error: `). `read_file` reads `-o jsonpath-file=PATH` and
/// `-o custom-columns-file=PATH`.
pub fn template_printer(
    format: &str,
    read_file: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<TemplatePrinter>, String> {
    let (name, value) = match format.split_once('=') {
        Some((name, value)) => (name, value),
        None => (format, ""),
    };
    let missing = |path: &str| format!("open {path}: no such file or directory");
    match name {
        "jsonpath-file" => {
            if value.is_empty() {
                return Err("template format specified but no template given".to_string());
            }
            let text = read_file(value)
                .ok_or_else(|| format!("error reading --template {value}, {}", missing(value)))?;
            let path = JsonPath::parse(&text)
                .map_err(|e| format!("error parsing jsonpath {text}, {e}"))?;
            Ok(Some(TemplatePrinter::JsonPath {
                raw: text,
                path,
                as_json: false,
            }))
        }
        "custom-columns-file" => {
            if value.is_empty() {
                return Err(
                    "custom-columns format specified but no custom columns given".to_string(),
                );
            }
            let text = read_file(value)
                .ok_or_else(|| format!("error reading template {value}, {}", missing(value)))?;
            custom_columns_template(&text).map(|c| Some(TemplatePrinter::CustomColumns(c)))
        }
        "jsonpath" | "jsonpath-as-json" => {
            if value.is_empty() {
                return Err("template format specified but no template given".to_string());
            }
            let path = JsonPath::parse(value)
                .map_err(|e| format!("error parsing jsonpath {value}, {e}"))?;
            Ok(Some(TemplatePrinter::JsonPath {
                raw: value.to_string(),
                path,
                as_json: name == "jsonpath-as-json",
            }))
        }
        "custom-columns" => {
            if value.is_empty() {
                return Err(
                    "custom-columns format specified but no custom columns given".to_string(),
                );
            }
            custom_columns_spec(value).map(|c| Some(TemplatePrinter::CustomColumns(c)))
        }
        _ => Ok(None),
    }
}

/// Parses `NAME:.metadata.name,NODE:.spec.nodeName`.
pub fn custom_columns_spec(spec: &str) -> Result<Vec<Column>, String> {
    spec.split(',')
        .map(|part| {
            let Some((header, path)) = part.split_once(':') else {
                return Err(format!(
                    "unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>"
                ));
            };
            Ok(Column {
                header: header.to_string(),
                field_spec: relaxed_expression(path)?,
            })
        })
        .collect()
}

/// A custom-columns file: a line of headers, then a line of field specs, space separated.
pub fn custom_columns_template(text: &str) -> Result<Vec<Column>, String> {
    const EXPECTED: &str = "Expected format is one line of space separated headers, one line of space separated column specs.";
    let mut lines = text.lines();
    let headers: Vec<&str> = lines
        .next()
        .ok_or_else(|| format!("invalid template, missing header line. {EXPECTED}"))?
        .split_whitespace()
        .collect();
    let specs: Vec<&str> = lines
        .next()
        .ok_or_else(|| format!("invalid template, missing spec line. {EXPECTED}"))?
        .split_whitespace()
        .collect();
    if headers.len() != specs.len() {
        return Err(format!(
            "number of headers ({}) and field specifications ({}) don't match",
            headers.len(),
            specs.len()
        ));
    }
    headers
        .iter()
        .zip(specs)
        .map(|(header, spec)| {
            Ok(Column {
                header: header.to_string(),
                field_spec: relaxed_expression(spec)?,
            })
        })
        .collect()
}

impl TemplatePrinter {
    /// Prints `doc` (one object, or a `List` whose items are printed one by one for
    /// custom-columns); the error is the whole message after `error: `.
    pub fn print(&self, doc: &Value, no_headers: bool) -> Result<String, String> {
        match self {
            TemplatePrinter::JsonPath { raw, path, as_json } => {
                let result = if *as_json {
                    path.execute_as_json(doc)
                } else {
                    path.execute(doc)
                };
                result.map_err(|e| {
                    format!(
                        "error executing jsonpath {}: Error executing template: {e}. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{raw}\n\tobject given to jsonpath engine was:\n\t\t{}\n\n",
                        go_quote(raw),
                        go_sharp_v(doc)
                    )
                })
            }
            TemplatePrinter::CustomColumns(columns) => {
                print_custom_columns(columns, doc, no_headers)
            }
        }
    }
}

fn print_custom_columns(
    columns: &[Column],
    doc: &Value,
    no_headers: bool,
) -> Result<String, String> {
    let mut paths = Vec::new();
    for column in columns {
        paths.push(JsonPath::parse(&column.field_spec)?);
    }
    let objects: Vec<&Value> = match doc.get("items") {
        Some(Value::Array(items)) if doc.get("kind").and_then(Value::as_str) == Some("List") => {
            items.iter().collect()
        }
        _ => vec![doc],
    };
    let mut rows = Vec::new();
    if !no_headers {
        rows.push(columns.iter().map(|c| c.header.clone()).collect());
    }
    for obj in objects {
        let mut cells = Vec::new();
        for path in &paths {
            let groups = path.find_results(obj)?;
            let values: Vec<String> = groups.iter().flatten().map(|v| go_v(v)).collect();
            if groups.first().is_none_or(|g| g.is_empty()) {
                cells.push("<none>".to_string());
            } else {
                cells.push(values.join(","));
            }
        }
        rows.push(cells);
    }
    Ok(tabwrite(&rows))
}

/// `--sort-by` for the printers that get the whole list (`-o yaml|json|name|jsonpath|…`):
/// kubectl's `SortObjects`; errors as it words them. `object` finds the object in an item.
pub fn sort_objects<T>(
    items: &mut Vec<T>,
    object: impl Fn(&T) -> &Value,
    sort_by: &str,
) -> Result<(), String> {
    if items.is_empty() {
        return Ok(());
    }
    let field = relaxed_expression(sort_by)?;
    let path = JsonPath::parse(&field)?;
    sort_with(items, object, &field, &path)
}

/// `--sort-by` for tables: kubectl's `TableSorter`.
pub fn sort_table_rows<T>(
    items: &mut Vec<T>,
    object: impl Fn(&T) -> &Value,
    sort_by: &str,
) -> Result<(), String> {
    let field = relaxed_expression(sort_by).unwrap_or_else(|_| sort_by.to_string());
    let path = JsonPath::parse(&field).map_err(|e| format!("sorting error: {e}"))?;
    if items.is_empty() {
        return Ok(());
    }
    sort_with(items, object, &field, &path)
}

fn sort_with<T>(
    items: &mut Vec<T>,
    object: impl Fn(&T) -> &Value,
    field: &str,
    path: &JsonPath,
) -> Result<(), String> {
    let mut keys = Vec::new();
    for item in items.iter() {
        let key = path
            .find_results(object(item))?
            .into_iter()
            .next()
            .and_then(|group| group.into_iter().next())
            .map(|v| v.into_owned());
        keys.push(key);
    }
    if keys.iter().all(Option::is_none) {
        return Err(format!(
            "couldn't find any field with path {} in the list of objects",
            go_quote(field)
        ));
    }
    let mut keyed: Vec<(Option<Value>, T)> = keys.into_iter().zip(items.drain(..)).collect();
    keyed.stable_sort_by(|(a, _), (b, _)| match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => {
            if is_less(a, b) {
                Ordering::Less
            } else if is_less(b, a) {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
    });
    items.extend(keyed.into_iter().map(|(_, item)| item));
    Ok(())
}

/// kubectl's `isLess` on two decoded JSON values.
pub fn is_less(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => false,
        (Value::Null, _) => true,
        (_, Value::Null) => false,
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i < j,
            _ if x.is_f64() && y.is_f64() => x.as_f64() < y.as_f64(),
            _ => false,
        },
        (Value::String(x), Value::String(y)) => match (quantity(x), quantity(y)) {
            (Some(i), Some(j)) => i < j,
            _ => natural_less(x, y),
        },
        // Element by element: less only if every compared element is less (upstream's loop).
        (Value::Array(x), Value::Array(y)) => x.iter().zip(y).all(|(i, j)| is_less(i, j)),
        _ => false,
    }
}

/// The value of a Kubernetes resource quantity (`100m`, `1Gi`, `5`, `1e3`), or `None`.
pub fn quantity(text: &str) -> Option<f64> {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let number_len = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, suffix) = body.split_at(number_len);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return None;
    }
    let mut value: f64 = number.parse().ok()?;
    if text.starts_with('-') {
        value = -value;
    }
    let multiplier = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp => {
            let digits = exp.strip_prefix(['e', 'E'])?;
            let unsigned = digits.strip_prefix(['+', '-']).unwrap_or(digits);
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            10f64.powi(digits.parse::<i32>().ok()?)
        }
    };
    Some(value * multiplier)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, node: Option<&str>, cpu: &str) -> Value {
        let mut p = json!({
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": cpu}}}]}
        });
        if let Some(node) = node {
            p["spec"]["nodeName"] = json!(node);
        }
        p
    }

    fn list(items: Vec<Value>) -> Value {
        json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})
    }

    #[test]
    fn output_formats_without_a_template_are_refused_as_kubectl_refuses_them() {
        let table = [
            ("jsonpath", "template format specified but no template given"),
            ("jsonpath=", "template format specified but no template given"),
            (
                "custom-columns",
                "custom-columns format specified but no custom columns given",
            ),
            (
                "custom-columns=NAME",
                "unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>",
            ),
            (
                "custom-columns=A:{{.x}}",
                "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'",
            ),
            ("jsonpath={.items[}", "error parsing jsonpath {.items[}, unterminated array"),
        ];
        let files = |path: &str| match path {
            "cols.txt" => Some("NAME NODE\n.metadata.name .spec.nodeName\n".to_string()),
            "one-line.txt" => Some("NAME NODE\n".to_string()),
            "uneven.txt" => Some("NAME NODE\n.metadata.name\n".to_string()),
            "bad.jsonpath" => Some("{.a[}".to_string()),
            _ => None,
        };
        let table = table.into_iter().chain([
            (
                "jsonpath-file=nope.txt",
                "error reading --template nope.txt, open nope.txt: no such file or directory",
            ),
            ("jsonpath-file=bad.jsonpath", "error parsing jsonpath {.a[}, unterminated array"),
            (
                "custom-columns-file=one-line.txt",
                "invalid template, missing spec line. Expected format is one line of space separated headers, one line of space separated column specs.",
            ),
            (
                "custom-columns-file=uneven.txt",
                "number of headers (2) and field specifications (1) don't match",
            ),
        ]);
        for (format, want) in table {
            assert_eq!(
                template_printer(format, &files).err().as_deref(),
                Some(want),
                "{format}"
            );
        }
        assert!(matches!(template_printer("yaml", &files), Ok(None)));
        let Ok(Some(TemplatePrinter::CustomColumns(columns))) =
            template_printer("custom-columns-file=cols.txt", &files)
        else {
            panic!("the file parses");
        };
        assert_eq!(columns[1].field_spec, "{.spec.nodeName}");
    }

    #[test]
    fn custom_columns_print_one_row_per_item_with_none_for_missing_values() {
        let Ok(Some(printer)) = template_printer(
            "custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,C:spec.containers[*].name",
            &|_| None,
        ) else {
            panic!("spec parses");
        };
        let doc = list(vec![pod("a", Some("node1"), "1"), pod("b", None, "1")]);
        assert_eq!(
            printer.print(&doc, false),
            Ok("NAME   NODE     C\na      node1    app\nb      <none>   app\n".to_string())
        );
        assert_eq!(
            printer.print(&list(vec![]), false),
            Ok("NAME   NODE   C\n".to_string())
        );
    }

    #[test]
    fn a_failing_template_dumps_the_object_as_kubectl_does() {
        let Ok(Some(printer)) = template_printer("jsonpath={.metadata.name}{end}", &|_| None)
        else {
            panic!("template parses");
        };
        let err = printer.print(&json!({"metadata": {"name": "web"}}), false);
        assert_eq!(
            err,
            Err("error executing jsonpath \"{.metadata.name}{end}\": Error executing template: not in range, nothing to end. Printing more information for debugging the template:\n\ttemplate was:\n\t\t{.metadata.name}{end}\n\tobject given to jsonpath engine was:\n\t\tmap[string]interface {}{\"metadata\":map[string]interface {}{\"name\":\"web\"}}\n\n".to_string())
        );
    }

    #[test]
    fn sorting_orders_names_naturally_quantities_by_value_and_missing_fields_first() {
        let names = |objs: &[Value]| -> Vec<String> {
            objs.iter()
                .map(|o| o["metadata"]["name"].as_str().unwrap_or("").to_string())
                .collect()
        };
        let mut objs = vec![
            pod("web-10", Some("node2"), "1"),
            pod("web-2", None, "250m"),
            pod("web-1", Some("node1"), "1500m"),
        ];
        sort_objects(&mut objs, |o| o, ".metadata.name").expect("sorts");
        assert_eq!(names(&objs), ["web-1", "web-2", "web-10"]);
        sort_objects(&mut objs, |o| o, "{.spec.nodeName}").expect("sorts");
        assert_eq!(names(&objs), ["web-2", "web-1", "web-10"]);
        sort_objects(
            &mut objs,
            |o| o,
            ".spec.containers[0].resources.requests.cpu",
        )
        .expect("sorts");
        assert_eq!(names(&objs), ["web-2", "web-10", "web-1"]);
        assert_eq!(
            sort_objects(&mut objs, |o| o, ".metadata.nope"),
            Err(
                "couldn't find any field with path \"{.metadata.nope}\" in the list of objects"
                    .to_string()
            )
        );
        assert_eq!(
            sort_table_rows(&mut objs, |o| o, "{.metadata[}"),
            Err("sorting error: unterminated array".to_string())
        );
    }

    #[test]
    fn quantities_parse_with_every_suffix_kubernetes_accepts() {
        let table = [
            ("100m", Some(0.1)),
            ("1", Some(1.0)),
            ("1Ki", Some(1024.0)),
            ("2Gi", Some(2.0 * 1024f64.powi(3))),
            ("1e3", Some(1000.0)),
            ("1.5", Some(1.5)),
            ("web-1", None),
            ("node1", None),
            ("", None),
        ];
        for (text, want) in table {
            assert_eq!(quantity(text), want, "{text}");
        }
    }
}
