//! `etcdctl` (API v3) against the cluster's etcd: `get` with its output formats, and `version`.
//!
//! Mirrors: etcdctl v3 `get` (`--prefix`, `--from-key`, `--keys-only`, `--print-value-only`,
//! `--count-only`, `--limit`, `--rev`, `-w simple|json`), its simple printer (key line, value
//! line; `--keys-only` leaves the value line empty) and its JSON printer (the RangeResponse with
//! base64 keys and values, zero fields omitted, as protobuf JSON does).
//! Simplified: the kube-apiserver of this sandbox stores objects as JSON, so values print as
//! readable JSON; the real one stores protobuf (`k8s\0...`) unless told otherwise. TLS flags
//! (`--endpoints`, `--cacert`, `--cert`, `--key`) are accepted and ignored: there is one etcd.

use base64::Engine;

use super::{Backend, Output};
use crate::sim::etcd::{RangeEnd, RangeRequest, RangeResult};

/// The ids a fresh single-member etcd named `default` reports; fixed so output is reproducible.
pub const CLUSTER_ID: u64 = 14_841_639_068_965_178_418;
pub const MEMBER_ID: u64 = 10_276_657_743_932_975_437;
pub const RAFT_TERM: u64 = 2;

#[derive(Clone, Copy, PartialEq, Eq)]
enum WriteOut {
    Simple,
    Json,
}

/// Runs `etcdctl ARGS...` (without the leading `etcdctl`).
pub fn run(args: &[String], backend: &dyn Backend) -> Output {
    let mut positional: Vec<&str> = Vec::new();
    let mut prefix = false;
    let mut from_key = false;
    let mut keys_only = false;
    let mut value_only = false;
    let mut count_only = false;
    let mut revision: Option<i64> = None;
    let mut limit: Option<usize> = None;
    let mut write_out = WriteOut::Simple;
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        if !arg.starts_with('-') || arg == "-" {
            positional.push(arg);
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        let value = |i: &mut usize| -> Result<String, Output> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            match args.get(*i) {
                Some(v) => {
                    *i += 1;
                    Ok(v.clone())
                }
                None => Err(Output::fail(format!(
                    "Error: flag needs an argument: {name}\n"
                ))),
            }
        };
        match name {
            "--prefix" => prefix = true,
            "--from-key" => from_key = true,
            "--keys-only" => keys_only = true,
            "--print-value-only" => value_only = true,
            "--count-only" => count_only = true,
            "--rev" | "--limit" => {
                let text = match value(&mut i) {
                    Ok(v) => v,
                    Err(out) => return out,
                };
                let Ok(n) = text.parse::<i64>() else {
                    return Output::fail(format!(
                        "Error: invalid argument \"{text}\" for \"{name}\" flag: strconv.ParseInt: parsing \"{text}\": invalid syntax\n"
                    ));
                };
                if name == "--rev" {
                    revision = (n > 0).then_some(n);
                } else {
                    limit = usize::try_from(n).ok().filter(|l| *l > 0);
                }
            }
            "-w" | "--write-out" => match value(&mut i).as_deref() {
                Ok("simple") => write_out = WriteOut::Simple,
                Ok("json") => write_out = WriteOut::Json,
                Ok(other) => {
                    return Output::fail(format!("Error: unsupported output format \"{other}\" in this sandbox (use simple or json)\n"));
                }
                Err(out) => return out.clone(),
            },
            "--endpoints" | "--cacert" | "--cert" | "--key" | "--user" | "--password"
            | "--dial-timeout" | "--command-timeout" => {
                if let Err(out) = value(&mut i) {
                    return out;
                }
            }
            "--insecure-skip-tls-verify" | "--debug" | "--hex" => {}
            _ => return Output::fail(format!("Error: unknown flag: {name}\n")),
        }
    }
    match positional.first().copied() {
        Some("get") => {}
        Some("version") => {
            return Output::ok("etcdctl version: 3.5.16\nAPI version: 3.5\n");
        }
        Some(other) => {
            return Output::fail(format!(
                "Error: unknown command \"{other}\" for \"etcdctl\"\nRun 'etcdctl --help' for usage.\n"
            ));
        }
        None => {
            return Output::ok(
                "NAME:\n\tetcdctl - A simple command line client for etcd3.\n\nUSAGE:\n\tetcdctl [flags]\n\nCOMMANDS (in this sandbox):\n\tget\t\tGets the key or a range of keys\n\tversion\t\tPrints the version of etcdctl\n",
            );
        }
    }
    let keys = positional.get(1..).unwrap_or(&[]);
    if keys.is_empty() || keys.len() > 2 {
        return Output::fail(
            "Error: get command needs one argument as key and an optional argument as range_end\n",
        );
    }
    let key = keys.first().copied().unwrap_or("").to_string();
    let range_end = match (keys.get(1), prefix, from_key) {
        (Some(_), true, _) => {
            return Output::fail(
                "Error: too many arguments, only accept one argument when `--prefix` is set.\n",
            );
        }
        (Some(end), false, _) => RangeEnd::To(end.to_string()),
        (None, true, _) => RangeEnd::Prefix,
        // etcd spells "every key from here on" as range_end "\0".
        (None, false, true) => RangeEnd::To("\0".to_string()),
        (None, false, false) => RangeEnd::Single,
    };
    let request = RangeRequest {
        key,
        range_end,
        revision,
        limit,
        keys_only,
        count_only,
    };
    let result = match backend.etcd_range(&request) {
        Ok(r) => r,
        Err(err) => return Output::fail(format!("Error: {err}\n")),
    };
    match write_out {
        WriteOut::Json => Output::ok(json_response(&result)),
        WriteOut::Simple if count_only => Output::ok(format!("{}\n", result.count)),
        WriteOut::Simple => {
            let mut out = String::new();
            for kv in &result.kvs {
                if !value_only {
                    out.push_str(&kv.key);
                    out.push('\n');
                }
                out.push_str(&String::from_utf8_lossy(&kv.value));
                out.push('\n');
            }
            Output::ok(out)
        }
    }
}

/// The RangeResponse as `etcdctl -w json` prints it (one line).
pub fn json_response(result: &RangeResult) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = format!(
        "{{\"header\":{{\"cluster_id\":{CLUSTER_ID},\"member_id\":{MEMBER_ID},\"revision\":{},\"raft_term\":{RAFT_TERM}}}",
        result.revision
    );
    if !result.kvs.is_empty() {
        let kvs: Vec<String> = result
            .kvs
            .iter()
            .map(|kv| {
                let mut item = format!(
                    "{{\"key\":\"{}\",\"create_revision\":{},\"mod_revision\":{},\"version\":{}",
                    b64.encode(kv.key.as_bytes()),
                    kv.create_revision,
                    kv.mod_revision,
                    kv.version
                );
                if !kv.value.is_empty() {
                    item.push_str(&format!(",\"value\":\"{}\"", b64.encode(&kv.value)));
                }
                if kv.lease != 0 {
                    item.push_str(&format!(",\"lease\":{}", kv.lease));
                }
                item.push('}');
                item
            })
            .collect();
        out.push_str(&format!(",\"kvs\":[{}]", kvs.join(",")));
    }
    if result.more {
        out.push_str(",\"more\":true");
    }
    if result.count != 0 {
        out.push_str(&format!(",\"count\":{}", result.count));
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::etcd::{bytes, KeyValue};

    #[test]
    fn the_json_response_base64s_keys_and_values_and_omits_zero_fields() {
        let result = RangeResult {
            kvs: vec![KeyValue {
                key: "foo".into(),
                create_revision: 2,
                mod_revision: 3,
                version: 2,
                value: bytes(b"bar"),
                lease: 0,
            }],
            count: 1,
            more: false,
            revision: 3,
        };
        assert_eq!(
            json_response(&result),
            "{\"header\":{\"cluster_id\":14841639068965178418,\"member_id\":10276657743932975437,\"revision\":3,\"raft_term\":2},\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":2,\"mod_revision\":3,\"version\":2,\"value\":\"YmFy\"}],\"count\":1}\n"
        );
        let empty = RangeResult {
            kvs: vec![],
            count: 0,
            more: false,
            revision: 7,
        };
        assert_eq!(
            json_response(&empty),
            "{\"header\":{\"cluster_id\":14841639068965178418,\"member_id\":10276657743932975437,\"revision\":7,\"raft_term\":2}}\n"
        );
    }
}
