//! Whatever a student pastes into `kubectl apply -f -` or the editor: decode (YAML or JSON, one
//! or many documents) → the kind check → the strict field check → create and update validation,
//! and kubectl's own printers and three-way patch over what decoded. Each step returns a value
//! or an error; none may panic.
#![no_main]

use kube_sandbox::sim::api::{
    check_kind, decode_documents, strict_check, validate_create, validate_update,
};
use kube_sandbox::sim::kubectl::apply::{three_way_patch, with_last_applied};
use kube_sandbox::sim::kubectl::yaml::{to_json, to_yaml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(docs) = decode_documents(&text) else {
        return;
    };
    let mut previous: Option<&serde_json::Value> = None;
    for doc in &docs {
        let _ = to_yaml(doc);
        let _ = to_json(doc);
        if let Ok(info) = check_kind(doc) {
            let _ = strict_check(info, doc);
            let _ = validate_create(info, doc);
            if let Some(old) =
                previous.filter(|old| check_kind(old).is_ok_and(|i| std::ptr::eq(i, info)))
            {
                let _ = validate_update(info, old, doc);
            }
        }
        let (_, applied) = with_last_applied(doc);
        let _ = three_way_patch(previous, doc, &applied);
        previous = Some(doc);
    }
});
