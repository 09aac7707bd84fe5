#![cfg(not(target_arch = "wasm32"))]
//! Runs one sequence of puts, deletes, txns, reads, watches and compactions through a real etcd
//! (via `etcdctl -w json`) and through our Store, and asserts the same revisions,
//! create_revision, mod_revision and version, and the same errors.
//!
//! Needs the `etcd` and `etcdctl` binaries (Debian `etcd-server` and `etcd-client`). When they
//! are missing, the test says so and passes. etcd listens on 127.0.0.1 only, on free ports, with
//! a temporary data dir, and is killed at the end by a Drop guard, even when an assert fails.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use kube_sandbox::sim::etcd::{
    bytes, Compare, CompareResult, CompareTarget, RangeEnd, RangeRequest, Revision, Store,
    StoreError, Txn, TxnOp, WatchEventKind,
};
use serde_json::Value;

/// A running etcd; killed, and its data dir removed, when dropped.
struct Etcd {
    child: Child,
    data_dir: PathBuf,
    endpoint: String,
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

fn installed(binary: &str, version_arg: &str) -> bool {
    Command::new(binary)
        .arg(version_arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Etcd {
    fn start() -> Etcd {
        let client = format!("http://127.0.0.1:{}", free_port());
        let peer = format!("http://127.0.0.1:{}", free_port());
        let data_dir =
            std::env::temp_dir().join(format!("kube-sandbox-etcd-compat-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        let child = Command::new("etcd")
            .args(["--name", "compat", "--data-dir"])
            .arg(&data_dir)
            .args([
                "--listen-client-urls",
                &client,
                "--advertise-client-urls",
                &client,
            ])
            .args([
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
            ])
            .args(["--initial-cluster", &format!("compat={peer}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start etcd");
        let etcd = Etcd {
            child,
            data_dir,
            endpoint: client,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while etcd.ctl(&["get", "ready-check"], None).is_err() {
            assert!(
                Instant::now() < deadline,
                "etcd did not become ready on {}",
                etcd.endpoint
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        etcd
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("etcdctl");
        cmd.env("ETCDCTL_API", "3")
            .args(["--endpoints", &self.endpoint, "-w", "json"]);
        cmd
    }

    /// Runs etcdctl; Ok(its JSON answer) or Err(the text after `Error: `).
    fn ctl(&self, args: &[&str], stdin: Option<&str>) -> Result<Value, String> {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run etcdctl");
        if let Some(mut pipe) = child.stdin.take() {
            pipe.write_all(stdin.unwrap_or("").as_bytes())
                .expect("write etcdctl stdin");
        }
        let out = child.wait_with_output().expect("etcdctl output");
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let error = stderr
                .lines()
                .find_map(|l| l.strip_prefix("Error: "))
                .unwrap_or(&stderr);
            return Err(error.trim().to_string());
        }
        serde_json::from_slice(&out.stdout).map_err(|e| format!("bad JSON from etcdctl: {e}"))
    }

    /// Every event a watch from `rev` on `prefix` prints within a second, or the cancel reason.
    fn watch(&self, prefix: &str, rev: Revision) -> Result<Vec<Value>, String> {
        let mut child = self
            .command()
            .args(["watch", "--prefix", &format!("--rev={rev}"), prefix])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run etcdctl watch");
        std::thread::sleep(Duration::from_millis(1500));
        let _ = child.kill();
        let out = child.wait_with_output().expect("watch output");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut events = Vec::new();
        for line in stdout.lines().filter(|l| l.starts_with('{')) {
            let response: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
            if response["Canceled"].as_bool() == Some(true) {
                // The reason goes to stderr; the compact revision is in the response.
                let reason = stderr
                    .lines()
                    .find_map(|l| l.strip_prefix("watch was canceled ("))
                    .unwrap_or("")
                    .trim_end_matches(')');
                let compact = int(&response["CompactRevision"]);
                return Err(format!("{reason} (compact revision {compact})"));
            }
            events.extend(response["Events"].as_array().cloned().unwrap_or_default());
        }
        Ok(events)
    }
}

fn decode(field: &Value) -> String {
    let text = field.as_str().unwrap_or("");
    String::from_utf8_lossy(&STANDARD.decode(text).expect("base64 from etcd")).into_owned()
}

fn int(field: &Value) -> i64 {
    // etcd's JSON leaves out fields that are 0.
    field
        .as_i64()
        .or_else(|| field.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0)
}

/// (key, create_revision, mod_revision, version, value), the fields compared for each key.
type Shape = (String, Revision, Revision, i64, String);

fn shape_of_json(kv: &Value) -> Shape {
    (
        decode(&kv["key"]),
        int(&kv["create_revision"]),
        int(&kv["mod_revision"]),
        int(&kv["version"]),
        decode(&kv["value"]),
    )
}

fn shape_of(kv: &kube_sandbox::sim::etcd::KeyValue) -> Shape {
    (
        kv.key.clone(),
        kv.create_revision,
        kv.mod_revision,
        kv.version,
        kv.value_lossy().into_owned(),
    )
}

/// One step, run on both sides.
enum Step {
    Put(&'static str, &'static str),
    Del(&'static str),
    DelPrefix(&'static str),
    /// If mod_revision(key) == rev, the puts (value Some) and deletes (None), else a get of key.
    Txn(
        &'static str,
        Revision,
        Vec<(&'static str, Option<&'static str>)>,
    ),
    Get(&'static str, Option<Revision>),
    GetPrefix(&'static str, Option<Revision>),
    Compact(Revision),
    Watch(&'static str, Revision),
}

/// What a step answered, in a form both sides can produce.
#[derive(Debug, PartialEq)]
enum Outcome {
    Write {
        revision: Revision,
        prev: Vec<Shape>,
        deleted: i64,
    },
    Txn {
        revision: Revision,
        succeeded: bool,
    },
    Read {
        revision: Revision,
        kvs: Vec<Shape>,
        count: i64,
    },
    Compacted,
    Events(Vec<(String, Shape)>),
    Error(String),
}

fn on_etcd(etcd: &Etcd, step: &Step) -> Outcome {
    let answer = match step {
        Step::Put(k, v) => etcd.ctl(&["put", "--prev-kv", k, v], None),
        Step::Del(k) => etcd.ctl(&["del", "--prev-kv", k], None),
        Step::DelPrefix(k) => etcd.ctl(&["del", "--prev-kv", "--prefix", k], None),
        Step::Txn(key, rev, ops) => {
            let mut script = format!("mod(\"{key}\") = \"{rev}\"\n\n");
            for (k, v) in ops {
                match v {
                    Some(v) => script += &format!("put {k} {v}\n"),
                    None => script += &format!("del {k}\n"),
                }
            }
            script += &format!("\nget {key}\n\n");
            etcd.ctl(&["txn"], Some(&script))
        }
        Step::Get(k, rev) => etcd.ctl(&["get", k, &format!("--rev={}", rev.unwrap_or(0))], None),
        Step::GetPrefix(k, rev) => etcd.ctl(
            &["get", "--prefix", k, &format!("--rev={}", rev.unwrap_or(0))],
            None,
        ),
        Step::Compact(rev) => {
            // `etcdctl compact` prints text, not JSON, even with -w json.
            return match etcd.ctl(&["compact", &rev.to_string()], None) {
                Ok(_) => Outcome::Compacted,
                Err(e) if e.starts_with("bad JSON") => Outcome::Compacted,
                Err(e) => Outcome::Error(e),
            };
        }
        Step::Watch(prefix, rev) => {
            return match etcd.watch(prefix, *rev) {
                Ok(events) => Outcome::Events(
                    events
                        .iter()
                        .map(|e| {
                            let kind = if int(&e["type"]) == 1 {
                                "DELETE"
                            } else {
                                "PUT"
                            };
                            (kind.to_string(), shape_of_json(&e["kv"]))
                        })
                        .collect(),
                ),
                Err(reason) => Outcome::Error(reason),
            };
        }
    };
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => return Outcome::Error(e),
    };
    let revision = int(&answer["header"]["revision"]);
    let list = |field: &Value| {
        field
            .as_array()
            .map(|a| a.iter().map(shape_of_json).collect())
            .unwrap_or_default()
    };
    match step {
        Step::Put(..) => Outcome::Write {
            revision,
            prev: answer
                .get("prev_kv")
                .map(|p| vec![shape_of_json(p)])
                .unwrap_or_default(),
            deleted: 0,
        },
        Step::Del(..) | Step::DelPrefix(..) => Outcome::Write {
            revision,
            prev: list(&answer["prev_kvs"]),
            deleted: int(&answer["deleted"]),
        },
        Step::Txn(..) => Outcome::Txn {
            revision,
            succeeded: answer["succeeded"].as_bool().unwrap_or(false),
        },
        _ => Outcome::Read {
            revision,
            kvs: list(&answer["kvs"]),
            count: int(&answer["count"]),
        },
    }
}

fn on_store(store: &mut Store, step: &Step) -> Outcome {
    let read = |store: &Store, req: RangeRequest| match store.range(&req) {
        Ok(r) => Outcome::Read {
            revision: r.revision,
            kvs: r.kvs.iter().map(shape_of).collect(),
            count: r.count as i64,
        },
        Err(e) => Outcome::Error(e.to_string()),
    };
    match step {
        Step::Put(k, v) => {
            let r = store.put(k, bytes(v));
            Outcome::Write {
                revision: r.revision,
                prev: r.prev_kv.iter().map(shape_of).collect(),
                deleted: 0,
            }
        }
        Step::Del(k) | Step::DelPrefix(k) => {
            let end = if matches!(step, Step::Del(_)) {
                RangeEnd::Single
            } else {
                RangeEnd::Prefix
            };
            let r = store.delete_range(k, end);
            Outcome::Write {
                revision: r.revision,
                prev: r.prev_kvs.iter().map(shape_of).collect(),
                deleted: r.deleted as i64,
            }
        }
        Step::Txn(key, rev, ops) => {
            let txn = Txn {
                compares: vec![Compare {
                    key: key.to_string(),
                    target: CompareTarget::ModRevision(*rev),
                    result: CompareResult::Equal,
                }],
                success: ops
                    .iter()
                    .map(|(k, v)| match v {
                        Some(v) => TxnOp::Put {
                            key: k.to_string(),
                            value: bytes(v),
                        },
                        None => TxnOp::DeleteRange {
                            key: k.to_string(),
                            range_end: RangeEnd::Single,
                        },
                    })
                    .collect(),
                failure: vec![TxnOp::Range(RangeRequest::single(*key))],
            };
            match store.txn(txn) {
                Ok(r) => Outcome::Txn {
                    revision: r.revision,
                    succeeded: r.succeeded,
                },
                Err(e) => Outcome::Error(e.to_string()),
            }
        }
        Step::Get(k, rev) => read(
            store,
            RangeRequest {
                revision: *rev,
                ..RangeRequest::single(*k)
            },
        ),
        Step::GetPrefix(k, rev) => read(
            store,
            RangeRequest {
                revision: *rev,
                ..RangeRequest::prefix(*k)
            },
        ),
        Step::Compact(rev) => match store.compact(*rev) {
            Ok(()) => Outcome::Compacted,
            Err(e) => Outcome::Error(e.to_string()),
        },
        Step::Watch(prefix, rev) => {
            match store.watch(prefix, RangeEnd::Prefix, Some(*rev), false) {
                Ok(id) => {
                    let events = store.take_events(id);
                    store.cancel_watch(id);
                    Outcome::Events(
                        events
                            .iter()
                            .map(|e| {
                                let kind = match e.kind {
                                    WatchEventKind::Put => "PUT",
                                    WatchEventKind::Delete => "DELETE",
                                };
                                (kind.to_string(), shape_of(&e.kv))
                            })
                            .collect(),
                    )
                }
                Err(e @ StoreError::Compacted { compact_revision }) => {
                    Outcome::Error(format!("{e} (compact revision {compact_revision})"))
                }
                Err(e) => Outcome::Error(e.to_string()),
            }
        }
    }
}

#[test]
fn our_store_answers_like_a_real_etcd() {
    // etcd has a `--version` flag; etcdctl v3 a `version` command.
    for (binary, version_arg) in [("etcd", "--version"), ("etcdctl", "version")] {
        if !installed(binary, version_arg) {
            println!(
                "skipped: `{binary}` is not installed (apt-get install etcd-server etcd-client)"
            );
            return;
        }
    }
    let etcd = Etcd::start();
    let mut store = Store::new();
    let web = "/registry/pods/default/web";
    let db = "/registry/pods/default/db";
    let svc = "/registry/services/default/web";
    let steps = vec![
        Step::Get(web, None), // fresh: revision 1
        Step::Compact(0),     // allowed once on a fresh etcd
        Step::Compact(0),     // then refused
        Step::Put(web, "v1"), // 2
        Step::Put(web, "v2"), // 3: version 2
        Step::Put(db, "d1"),  // 4
        Step::Del(web),       // 5
        Step::Del(web),       // nothing deleted: still 5
        Step::Put(web, "v3"), // 6: created again, version 1
        Step::Txn(web, 6, vec![(web, Some("v4")), (svc, Some("s1"))]), // 7, succeeds
        Step::Txn(web, 6, vec![(web, Some("stale"))]), // stale: fails, still 7
        Step::Txn(db, 4, vec![(db, None), (svc, Some("s2"))]), // 8: delete + put
        Step::Txn(web, 7, vec![(web, Some("a")), (web, Some("b"))]), // duplicate key
        Step::Get(web, Some(3)),
        Step::GetPrefix("/registry/", Some(4)),
        Step::GetPrefix("/registry/", None),
        Step::Get(web, Some(99)), // future
        Step::Watch("/registry/pods/", 2),
        Step::Put(db, "d2"), // 9
        Step::Compact(6),
        Step::Compact(6),        // again: compacted
        Step::Compact(99),       // future
        Step::Get(web, Some(5)), // behind the compaction
        Step::Get(web, Some(6)), // at it: fine
        Step::GetPrefix("/registry/", Some(7)),
        Step::Watch("/registry/", 6),
        Step::Watch("/registry/", 3), // behind the compaction: canceled
        Step::DelPrefix("/registry/pods/"), // 10
        Step::GetPrefix("", None),
    ];
    for (n, step) in steps.iter().enumerate() {
        let theirs = on_etcd(&etcd, step);
        let ours = on_store(&mut store, step);
        assert_eq!(ours, theirs, "step {n} differs from etcd");
    }
    assert_eq!(store.revision(), 10);
    println!("{} steps agreed with etcd", steps.len());
}
