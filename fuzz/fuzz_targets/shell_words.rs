//! The shell's and kubectl's parsers over one typed line: bash word splitting (quotes, heredoc
//! markers, redirections, `;` `&&` `|`), kubectl's flag parser over the words, and the selector
//! and quantity parsers that flag values reach (`-l`, `--field-selector`, `--limits`).
#![no_main]

use kube_sandbox::sim::api::{cpu_millis, memory_bytes, parse_selector, FieldSelector, Quantity};
use kube_sandbox::sim::kubectl::cmd;
use kube_sandbox::sim::kubectl::words::{tokenize, Token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    if let Ok(tokens) = tokenize(&line) {
        let words: Vec<String> = tokens
            .into_iter()
            .filter_map(|t| match t {
                Token::Word(w) => Some(w),
                _ => None,
            })
            .collect();
        let _ = cmd::parse(&words);
    }
    let _ = parse_selector(&line);
    let _ = FieldSelector::parse(&line);
    let _ = Quantity::parse(&line).map(|q| (q.canonical(), q.milli_value()));
    let _ = cpu_millis(&line);
    let _ = memory_bytes(&line);
});
