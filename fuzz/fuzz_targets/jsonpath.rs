//! `-o jsonpath=…`, `-o jsonpath-as-json=…`, `-o custom-columns=…`, a custom-columns file and
//! `--sort-by`'s relaxed expression, each over a Deployment as kubectl prints it and over a
//! document the input may carry after a NUL byte (`TEMPLATE\0JSON`).
#![no_main]

use kube_sandbox::sim::kubectl::jsonpath::{relaxed_expression, JsonPath};
use kube_sandbox::sim::kubectl::printers::{
    custom_columns_spec, custom_columns_template, template_printer,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::OnceLock;

/// The object kubectl 1.32's own jsonpath outputs were captured over.
fn deployment() -> &'static Value {
    static OBJECT: OnceLock<Value> = OnceLock::new();
    OBJECT.get_or_init(|| {
        let fixture: Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/jsonpath_kubectl_v1_32.json"
        ))
        .expect("the jsonpath fixture is JSON");
        let object = fixture["object"].clone();
        serde_json::json!({"kind": "List", "apiVersion": "v1", "items": [object.clone(), object]})
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (template, json) = match text.split_once('\0') {
        Some((t, j)) => (t, serde_json::from_str::<Value>(j).ok()),
        None => (&*text, None),
    };
    let docs: Vec<&Value> = std::iter::once(deployment()).chain(json.as_ref()).collect();
    if let Ok(path) = JsonPath::parse(template) {
        for doc in &docs {
            let _ = path.execute(doc);
            let _ = path.execute_as_json(doc);
        }
    }
    let _ = relaxed_expression(template);
    let _ = custom_columns_spec(template);
    let _ = custom_columns_template(template);
    let file = |_: &str| Some(template.to_string());
    for format in [
        "jsonpath",
        "jsonpath-as-json",
        "custom-columns",
        "jsonpath-file",
        "custom-columns-file",
    ] {
        let value = if format.ends_with("-file") {
            "f"
        } else {
            template
        };
        if let Ok(Some(printer)) = template_printer(&format!("{format}={value}"), &file) {
            for doc in &docs {
                let _ = printer.print(doc, false);
            }
        }
    }
});
