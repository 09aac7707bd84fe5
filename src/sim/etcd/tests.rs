//! Table tests of the store as a whole, named as the etcd behaviour they pin down.
//! Each claim was checked against a real etcd 3.4.23 (`etcdctl -w json`) unless noted.

use super::*;

fn v(text: &str) -> Bytes {
    bytes(text)
}

fn pod(name: &str) -> String {
    format!("/registry/pods/default/{name}")
}

/// (create_revision, mod_revision, version, value) of a key now, or None.
fn shape(store: &Store, key: &str) -> Option<(Revision, Revision, i64, String)> {
    store.get(key).map(|kv| {
        let value = kv.value_lossy().into_owned();
        (kv.create_revision, kv.mod_revision, kv.version, value)
    })
}

fn keys(result: &RangeResult) -> Vec<&str> {
    result.kvs.iter().map(|kv| kv.key.as_str()).collect()
}

// ----- MVCC: puts, deletes, tombstones -----

#[test]
fn a_fresh_store_is_at_revision_one_and_the_first_put_gets_revision_two() {
    let mut store = Store::new();
    assert_eq!(store.revision(), 1);
    assert_eq!(store.compact_revision(), 0);
    let put = store.put(&pod("web"), v("a"));
    assert_eq!(put.revision, 2);
    assert_eq!(put.prev_kv, None);
    assert_eq!(shape(&store, &pod("web")), Some((2, 2, 1, "a".into())));
}

#[test]
fn puts_and_deletes_move_create_revision_mod_revision_and_version_like_etcd() {
    let mut store = Store::new();
    let key = pod("web");
    // (operation, revision after, shape of the key after)
    type Shape = Option<(Revision, Revision, i64, String)>;
    let steps: [(&str, Revision, Shape); 6] = [
        ("put a", 2, Some((2, 2, 1, "a".into()))),
        ("put b", 3, Some((2, 3, 2, "b".into()))),
        ("delete", 4, None),
        ("delete", 4, None), // deleting a missing key writes nothing
        ("put c", 5, Some((5, 5, 1, "c".into()))),
        ("put d", 6, Some((5, 6, 2, "d".into()))),
    ];
    for (op, revision, want) in steps {
        match op.strip_prefix("put ") {
            Some(value) => {
                store.put(&key, v(value));
            }
            None => {
                store.delete_range(&key, RangeEnd::Single);
            }
        }
        assert_eq!(store.revision(), revision, "after {op}");
        assert_eq!(shape(&store, &key), want, "after {op}");
    }
}

#[test]
fn a_put_returns_the_key_value_it_replaced() {
    let mut store = Store::new();
    store.put("k", v("old"));
    let put = store.put("k", v("new"));
    let prev = put.prev_kv.expect("prev_kv");
    assert_eq!(
        (prev.mod_revision, prev.version, &prev.value[..]),
        (2, 1, &b"old"[..])
    );
}

#[test]
fn a_delete_returns_what_it_deleted_and_leaves_a_tombstone_in_the_history() {
    let mut store = Store::new();
    store.put(&pod("a"), v("1"));
    store.put(&pod("b"), v("2"));
    store.put("/registry/services/default/a", v("3"));
    let deleted = store.delete_range("/registry/pods/", RangeEnd::Prefix);
    assert_eq!((deleted.revision, deleted.deleted), (5, 2));
    let prev: Vec<&str> = deleted.prev_kvs.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(prev, vec![pod("a").as_str(), pod("b").as_str()]);
    assert_eq!(store.len(), 1);
    // Both tombstones share revision 5 with sub revisions 0 and 1.
    let index = store.key_index(&pod("b")).expect("key index");
    let tomb = index.generations()[0].revs.last().copied();
    assert_eq!(tomb, Some(revision::Rev::new(5, 1)));
}

// ----- ranges -----

#[test]
fn ranges_at_past_revisions_see_the_store_as_it_was() {
    let mut store = Store::new();
    store.put(&pod("a"), v("a1")); // 2
    store.put(&pod("b"), v("b1")); // 3
    store.put(&pod("a"), v("a2")); // 4
    store.delete_range(&pod("b"), RangeEnd::Single); // 5
    store.put(&pod("c"), v("c1")); // 6
                                   // (revision read at, keys with their values)
    type Row = (Option<Revision>, Vec<(&'static str, &'static str)>);
    let table: [Row; 7] = [
        (Some(1), vec![]),
        (Some(2), vec![("a", "a1")]),
        (Some(3), vec![("a", "a1"), ("b", "b1")]),
        (Some(4), vec![("a", "a2"), ("b", "b1")]),
        (Some(5), vec![("a", "a2")]),
        (Some(6), vec![("a", "a2"), ("c", "c1")]),
        (None, vec![("a", "a2"), ("c", "c1")]),
    ];
    for (at, want) in table {
        let mut req = RangeRequest::prefix("/registry/pods/");
        req.revision = at;
        let result = store.range(&req).expect("range");
        let got: Vec<(String, String)> = result
            .kvs
            .iter()
            .map(|kv| {
                (
                    kv.key.replace("/registry/pods/default/", ""),
                    kv.value_lossy().into(),
                )
            })
            .collect();
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, want, "at {at:?}");
        assert_eq!(result.revision, 6, "the header revision is the newest one");
    }
}

#[test]
fn a_limited_range_counts_every_key_and_says_there_are_more() {
    let mut store = Store::new();
    for name in ["a", "b", "c"] {
        store.put(&pod(name), v(name));
    }
    let result = store
        .range(&RangeRequest::prefix("/registry/pods/").with_limit(2))
        .unwrap();
    assert_eq!(
        (keys(&result).len(), result.count, result.more),
        (2, 3, true)
    );
    let all = store
        .range(&RangeRequest::prefix("/registry/pods/").with_limit(0))
        .unwrap();
    assert_eq!(
        (all.kvs.len(), all.more),
        (3, false),
        "limit 0 means no limit"
    );
}

#[test]
fn keys_only_drops_values_and_count_only_drops_key_values() {
    let mut store = Store::new();
    store.put(&pod("a"), v("x"));
    let mut req = RangeRequest::prefix("/registry/");
    req.keys_only = true;
    let result = store.range(&req).unwrap();
    assert_eq!((result.kvs[0].value.len(), result.kvs[0].version), (0, 1));
    req.keys_only = false;
    req.count_only = true;
    let result = store.range(&req).unwrap();
    assert_eq!((result.kvs.len(), result.count, result.more), (0, 1, false));
}

#[test]
fn live_under_reads_what_a_prefix_range_reads() {
    let mut store = Store::new();
    for key in [
        "/registry/pods/a",
        "/registry/pods/b",
        "/registry/pods/c",
        "/registry/podsx",
    ] {
        store.put(key, v(key));
    }
    store.put("/registry/pods/b", v("again"));
    store.delete_range("/registry/pods/a", RangeEnd::Single);
    store.put("/registry/pods/d", v("d"));
    store.delete_range("/registry/pods/d", RangeEnd::Single);
    for prefix in ["/registry/pods/", "/registry/pods", "/registry/q", ""] {
        let ranged = store.range(&RangeRequest::prefix(prefix)).map(|r| r.kvs);
        let live: Vec<KeyValue> = store.live_under(prefix).cloned().collect();
        assert_eq!(ranged.unwrap_or_default(), live, "{prefix:?}");
    }
    let keys: Vec<&str> = store
        .live_under("/registry/pods/")
        .map(|kv| kv.key.as_str())
        .collect();
    assert_eq!(keys, ["/registry/pods/b", "/registry/pods/c"]);
}

#[test]
fn range_ends_select_single_keys_prefixes_and_half_open_intervals() {
    let mut store = Store::new();
    for key in ["a", "b", "ba", "c", "d"] {
        store.put(key, v(key));
    }
    let table: [(&str, RangeEnd, Vec<&str>); 6] = [
        ("b", RangeEnd::Single, vec!["b"]),
        ("b", RangeEnd::Prefix, vec!["b", "ba"]),
        ("b", RangeEnd::To("d".into()), vec!["b", "ba", "c"]),
        ("b", RangeEnd::To("\0".into()), vec!["b", "ba", "c", "d"]),
        ("d", RangeEnd::To("b".into()), vec![]),
        ("", RangeEnd::Prefix, vec!["a", "b", "ba", "c", "d"]),
    ];
    for (key, range_end, want) in table {
        let req = RangeRequest {
            key: key.into(),
            range_end: range_end.clone(),
            ..RangeRequest::default()
        };
        assert_eq!(
            keys(&store.range(&req).unwrap()),
            want,
            "{key:?} {range_end:?}"
        );
    }
}

#[test]
fn a_range_at_a_future_or_compacted_revision_is_refused() {
    let mut store = Store::new();
    for i in 0..4 {
        store.put("k", v(&i.to_string())); // revisions 2..=5
    }
    store.compact(4).unwrap();
    let table = [
        (6, Err(StoreError::FutureRevision)),
        (
            3,
            Err(StoreError::Compacted {
                compact_revision: 4,
            }),
        ),
        (4, Ok(4)), // the compact revision itself can still be read
        (5, Ok(5)),
    ];
    for (at, want) in table {
        let got = store
            .range(&RangeRequest::single("k").at_revision(at))
            .map(|r| r.kvs[0].mod_revision);
        assert_eq!(got, want, "at {at}");
    }
}

#[test]
fn an_empty_key_is_refused_unless_it_starts_a_prefix() {
    let store = Store::new();
    assert_eq!(
        store.range(&RangeRequest::single("")),
        Err(StoreError::EmptyKey)
    );
    assert!(store.range(&RangeRequest::prefix("")).is_ok());
}

// ----- txns -----

fn cmp(key: &str, target: CompareTarget, result: CompareResult) -> Compare {
    Compare {
        key: key.into(),
        target,
        result,
    }
}

#[test]
fn txn_compares_of_each_kind_decide_the_branch() {
    use CompareResult::*;
    use CompareTarget::*;
    let mut store = Store::new();
    store.put("k", v("b")); // 2
    store.put("k", v("b")); // 3: version 2, create 2, mod 3
                            // (compare, succeeded); "missing" is a key that does not exist
    let table = [
        (cmp("k", Version(2), Equal), true),
        (cmp("k", Version(2), NotEqual), false),
        (cmp("k", Version(1), Greater), true),
        (cmp("k", Version(3), Less), true),
        (cmp("k", CreateRevision(2), Equal), true),
        (cmp("k", CreateRevision(2), Greater), false),
        (cmp("k", ModRevision(3), Equal), true),
        (cmp("k", ModRevision(2), Equal), false),
        (cmp("k", ModRevision(4), Less), true),
        (cmp("k", Value(v("b")), Equal), true),
        (cmp("k", Value(v("a")), Greater), true),
        (cmp("k", Value(v("c")), Less), true),
        (cmp("k", Value(v("b")), NotEqual), false),
        (cmp("missing", Version(0), Equal), true),
        (cmp("missing", CreateRevision(0), Equal), true),
        (cmp("missing", ModRevision(0), Equal), true),
        (cmp("missing", Value(v("x")), NotEqual), false),
        (cmp("missing", Value(v("")), Equal), false),
    ];
    for (compare, want) in table {
        let result = store
            .txn(Txn {
                compares: vec![compare.clone()],
                ..Txn::default()
            })
            .unwrap();
        assert_eq!(result.succeeded, want, "{compare:?}");
    }
    assert_eq!(
        store.revision(),
        3,
        "txns that write nothing do not move the revision"
    );
}

#[test]
fn an_update_with_a_stale_resource_version_takes_the_failure_branch() {
    // The apiserver's GuaranteedUpdate: if mod_revision is what I read, put; else read it again.
    let mut store = Store::new();
    let key = pod("web");
    let read = store.put(&key, v("v1")).revision;
    store.put(&key, v("someone else")); // the object moved on
    let update = |store: &mut Store| {
        store.txn(Txn {
            compares: vec![Compare::mod_revision_equals(&key, read)],
            success: vec![TxnOp::Put {
                key: key.clone(),
                value: v("v2"),
            }],
            failure: vec![TxnOp::Range(RangeRequest::single(&key))],
        })
    };
    let result = update(&mut store).unwrap();
    assert!(!result.succeeded);
    assert_eq!(result.revision, 3);
    match &result.results[..] {
        [TxnOpResult::Range(r)] => assert_eq!(r.kvs[0].mod_revision, 3),
        other => panic!("expected the current object, got {other:?}"),
    }
}

#[test]
fn all_writes_of_a_txn_share_one_revision_and_a_later_read_in_it_sees_them() {
    let mut store = Store::new();
    store.put("old", v("x"));
    let result = store
        .txn(Txn {
            compares: vec![Compare::key_is_absent("new")],
            success: vec![
                TxnOp::Put {
                    key: "new".into(),
                    value: v("1"),
                },
                TxnOp::DeleteRange {
                    key: "old".into(),
                    range_end: RangeEnd::Single,
                },
                TxnOp::Range(RangeRequest::prefix("")),
            ],
            failure: vec![],
        })
        .unwrap();
    assert!(result.succeeded);
    assert_eq!((result.revision, store.revision()), (3, 3));
    match &result.results[..] {
        [TxnOpResult::Put(p), TxnOpResult::DeleteRange(d), TxnOpResult::Range(r)] => {
            assert_eq!((p.revision, d.revision, d.deleted), (3, 3, 1));
            assert_eq!(keys(r), vec!["new"]);
            assert_eq!(r.kvs[0].mod_revision, 3);
        }
        other => panic!("unexpected results {other:?}"),
    }
}

#[test]
fn txns_etcd_refuses_are_refused_before_anything_is_written() {
    let put = |key: &str| TxnOp::Put {
        key: key.into(),
        value: v("x"),
    };
    let table = [
        (vec![put("a"), put("a")], StoreError::DuplicateKey),
        (
            vec![
                put("/registry/pods/x"),
                TxnOp::DeleteRange {
                    key: "/registry/".into(),
                    range_end: RangeEnd::Prefix,
                },
            ],
            StoreError::DuplicateKey,
        ),
        (vec![put("")], StoreError::EmptyKey),
        (
            (0..=MAX_TXN_OPS).map(|i| put(&format!("k{i}"))).collect(),
            StoreError::TooManyOps,
        ),
        (
            vec![
                put("a"),
                TxnOp::Range(RangeRequest::single("a").at_revision(99)),
            ],
            StoreError::FutureRevision,
        ),
    ];
    for (success, want) in table {
        let mut store = Store::new();
        let got = store.txn(Txn {
            success,
            ..Txn::default()
        });
        assert_eq!(got, Err(want.clone()), "{want}");
        assert_eq!(
            (store.revision(), store.len()),
            (1, 0),
            "{want}: nothing written"
        );
    }
}

#[test]
fn a_duplicate_key_in_the_branch_not_taken_is_refused_too() {
    let mut store = Store::new();
    let put = TxnOp::Put {
        key: "a".into(),
        value: v("x"),
    };
    let got = store.txn(Txn {
        compares: vec![],
        success: vec![],
        failure: vec![put.clone(), put],
    });
    assert_eq!(got, Err(StoreError::DuplicateKey));
}

// ----- watches -----

fn summary(events: &[WatchEvent]) -> Vec<(WatchEventKind, String, Revision, Option<Revision>)> {
    events
        .iter()
        .map(|e| {
            let prev = e.prev_kv.as_ref().map(|p| p.mod_revision);
            (e.kind, e.kv.key.clone(), e.kv.mod_revision, prev)
        })
        .collect()
}

#[test]
fn a_watch_from_the_past_replays_every_change_in_order_with_prev_kv() {
    use WatchEventKind::*;
    let mut store = Store::new();
    store.put("/registry/pods/a", v("1")); // 2
    store.put("/registry/pods/a", v("2")); // 3
    store.put("/registry/other", v("x")); // 4
    store.delete_range("/registry/pods/a", RangeEnd::Single); // 5
    let id = store
        .watch("/registry/pods/", RangeEnd::Prefix, Some(2), true)
        .unwrap();
    store.put("/registry/pods/b", v("3")); // 6, live
    assert!(store.has_pending_events());
    let events = store.take_events(id);
    assert_eq!(
        summary(&events),
        vec![
            (Put, "/registry/pods/a".into(), 2, None),
            (Put, "/registry/pods/a".into(), 3, Some(2)),
            (Delete, "/registry/pods/a".into(), 5, Some(3)),
            (Put, "/registry/pods/b".into(), 6, None),
        ]
    );
    // A delete event carries only the key and the deleting revision.
    let delete = &events[2].kv;
    assert_eq!(
        (delete.create_revision, delete.version, delete.value.len()),
        (0, 0, 0)
    );
    assert!(!store.has_pending_events());
    assert!(store.take_events(id).is_empty(), "taking drains");
}

#[test]
fn a_watch_without_prev_kv_gets_none_even_for_updates() {
    let mut store = Store::new();
    let id = store.watch("k", RangeEnd::Single, None, false).unwrap();
    store.put("k", v("1"));
    store.put("k", v("2"));
    let events = store.take_events(id);
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.prev_kv.is_none()));
}

#[test]
fn a_watch_without_a_start_revision_hears_only_future_changes() {
    let mut store = Store::new();
    store.put("k", v("before"));
    let id = store.watch("k", RangeEnd::Single, None, true).unwrap();
    assert!(store.take_events(id).is_empty());
    store.put("k", v("after"));
    let events = store.take_events(id);
    assert_eq!(
        summary(&events),
        vec![(WatchEventKind::Put, "k".into(), 3, Some(2))]
    );
}

#[test]
fn a_watch_from_a_future_revision_waits_for_it() {
    let mut store = Store::new();
    let id = store.watch("k", RangeEnd::Single, Some(4), false).unwrap();
    store.put("k", v("2"));
    store.put("k", v("3"));
    assert!(store.take_events(id).is_empty());
    store.put("k", v("4"));
    assert_eq!(store.take_events(id)[0].kv.mod_revision, 4);
}

#[test]
fn a_watch_behind_the_compacted_revision_is_refused() {
    let mut store = Store::new();
    for i in 0..5 {
        store.put("k", v(&i.to_string())); // 2..=6
    }
    store.compact(5).unwrap();
    let got = store.watch("k", RangeEnd::Single, Some(4), false);
    assert_eq!(
        got,
        Err(StoreError::Compacted {
            compact_revision: 5
        })
    );
    assert_eq!(
        got.unwrap_err().to_string(),
        "etcdserver: mvcc: required revision has been compacted"
    );
    // From the compact revision on is still fine: revision 5 is the newest at or before it.
    let id = store.watch("k", RangeEnd::Single, Some(5), false).unwrap();
    let revs: Vec<Revision> = store.take_events(id).iter().map(|e| e.revision()).collect();
    assert_eq!(revs, vec![5, 6]);
}

#[test]
fn a_watch_at_the_compact_revision_still_sees_a_delete_there() {
    // etcd since v3.5 keeps that tombstone (key_index.go compact); v3.4 dropped it.
    let mut store = Store::new();
    store.put("k", v("1")); // 2
    store.delete_range("k", RangeEnd::Single); // 3
    store.compact(3).unwrap();
    let id = store.watch("k", RangeEnd::Single, Some(3), true).unwrap();
    let events = store.take_events(id);
    // The put at 2 is compacted, so the delete has no prev_kv.
    assert_eq!(
        summary(&events),
        vec![(WatchEventKind::Delete, "k".into(), 3, None)]
    );
    store.compact(4).unwrap_err(); // future
    store.put("other", v("x")); // 4
    store.compact(4).unwrap();
    assert_eq!(
        store.history_len(),
        1,
        "the tombstone goes at the next compaction"
    );
    assert!(store.key_index("k").is_none());
}

#[test]
fn a_cancelled_watch_hears_nothing_more() {
    let mut store = Store::new();
    let a = store.watch("k", RangeEnd::Single, None, false).unwrap();
    let b = store.watch("k", RangeEnd::Single, None, false).unwrap();
    assert_eq!((a, b), (0, 1), "watch ids count from 0 as in etcd");
    assert!(store.cancel_watch(a));
    assert!(!store.cancel_watch(a));
    store.put("k", v("1"));
    assert!(store.take_events(a).is_empty());
    assert_eq!(store.take_events(b).len(), 1);
    assert!(
        store.take_events(42).is_empty(),
        "unknown ids are empty, not a panic"
    );
}

// ----- compaction -----

#[test]
fn compaction_is_refused_at_or_before_the_last_one_and_after_the_newest_revision() {
    let mut store = Store::new();
    store.put("k", v("1")); // 2
    store.put("k", v("2")); // 3
                            // (compact at, result) in order, on one store; etcd allows 0 and 1 once on a fresh store
    let table = [
        (0, Ok(())),
        (
            0,
            Err(StoreError::Compacted {
                compact_revision: 0,
            }),
        ),
        (4, Err(StoreError::FutureRevision)),
        (2, Ok(())),
        (
            2,
            Err(StoreError::Compacted {
                compact_revision: 2,
            }),
        ),
        (
            1,
            Err(StoreError::Compacted {
                compact_revision: 2,
            }),
        ),
        (3, Ok(())),
    ];
    for (at, want) in table {
        assert_eq!(store.compact(at), want, "compact({at})");
    }
    assert_eq!(store.compact_revision(), 3);
}

#[test]
fn compaction_forgets_old_revisions_but_not_what_reads_at_or_after_it_see() {
    let mut store = Store::new();
    store.put("a", v("1")); // 2
    store.put("a", v("2")); // 3
    store.put("b", v("1")); // 4
    store.delete_range("b", RangeEnd::Single); // 5
    store.put("c", v("1")); // 6
    let before: Vec<RangeResult> = (5..=6)
        .map(|at| {
            store
                .range(&RangeRequest::prefix("").at_revision(at))
                .unwrap()
        })
        .collect();
    store.compact(5).unwrap();
    let after: Vec<RangeResult> = (5..=6)
        .map(|at| {
            store
                .range(&RangeRequest::prefix("").at_revision(at))
                .unwrap()
        })
        .collect();
    assert_eq!(before, after);
    // a@3 (newest at or before 5), b's tombstone @5, c@6 remain.
    assert_eq!(store.history_len(), 3);
    assert_eq!(shape(&store, "a"), Some((2, 3, 2, "2".into())));
}

// ----- snapshots -----

fn busy_store() -> Store {
    let mut store = Store::new();
    for i in 0..10 {
        store.put(&pod(&format!("web-{}", i % 4)), v(&i.to_string()));
    }
    store.delete_range(&pod("web-1"), RangeEnd::Single);
    store.compact(8).unwrap();
    store.delete_range(&pod("web-2"), RangeEnd::Single);
    store.put(&pod("web-2"), v("again"));
    store
}

#[test]
fn a_restored_snapshot_has_the_same_state_and_the_same_future() {
    let mut original = busy_store();
    let json = serde_json::to_string(&original.snapshot()).unwrap();
    let snapshot: Snapshot = serde_json::from_str(&json).unwrap();
    let mut restored = Store::restore(snapshot).unwrap();
    assert_eq!(restored.snapshot(), original.snapshot());
    assert_eq!(
        (restored.revision(), restored.len()),
        (original.revision(), original.len())
    );
    assert_eq!(restored.compact_revision(), original.compact_revision());
    for at in original.compact_revision()..=original.revision() {
        let req = RangeRequest::prefix("").at_revision(at);
        assert_eq!(restored.range(&req), original.range(&req), "at {at}");
    }
    // The same next operations give the same answers.
    let next = |store: &mut Store| {
        let put = store.put(&pod("web-0"), v("next"));
        let created = store.put(&pod("web-1"), v("back"));
        let id = store.watch("", RangeEnd::Prefix, Some(9), true).unwrap();
        (
            put,
            created,
            store.take_events(id),
            store.compact(11),
            store.snapshot(),
        )
    };
    assert_eq!(next(&mut restored), next(&mut original));
}

#[test]
fn a_broken_snapshot_is_refused_with_a_reason() {
    let good = busy_store().snapshot();
    let mut table: Vec<(&str, Snapshot)> = Vec::new();
    let mut s = good.clone();
    s.format = 99;
    table.push(("format", s));
    let mut s = good.clone();
    s.revision = 0;
    table.push(("revision", s));
    let mut s = good.clone();
    s.revision = i64::MAX;
    table.push(("revision near overflow", s));
    let mut s = good.clone();
    s.records[0].kv.version = i64::MAX;
    table.push(("first version near overflow", s));
    let mut s = good.clone();
    s.records[0].kv.create_revision = 0;
    table.push(("create_revision 0", s));
    let mut s = good.clone();
    s.compact_revision = s.revision + 1;
    table.push(("compact", s));
    let mut s = good.clone();
    s.records.reverse();
    table.push(("order", s));
    let mut s = good.clone();
    s.records[1].kv.version += 5;
    table.push(("version", s));
    let mut s = good.clone();
    s.records[0].kv.mod_revision = 1;
    table.push(("mod_revision", s));
    let mut s = good.clone();
    let last = s.records.len() - 1;
    s.records[last].main = s.revision + 1;
    table.push(("record after the revision", s));
    for (what, snapshot) in table {
        match Store::restore(snapshot) {
            Err(StoreError::InvalidSnapshot { reason }) => assert!(!reason.is_empty(), "{what}"),
            other => panic!("{what}: expected InvalidSnapshot, got {other:?}"),
        }
    }
}

#[test]
fn odd_keys_and_values_never_panic() {
    let mut store = Store::new();
    let keys = ["", "\0", "\u{10FFFF}", "한국어/키", "/", "//", "a\0b"];
    for key in keys {
        store.put(key, bytes([0xff, 0, 0xfe]));
        for end in [
            RangeEnd::Single,
            RangeEnd::Prefix,
            RangeEnd::To("".into()),
            RangeEnd::To("\0".into()),
        ] {
            let req = RangeRequest {
                key: key.into(),
                range_end: end.clone(),
                revision: Some(i64::MAX),
                ..RangeRequest::default()
            };
            let _ = store.range(&req);
            let _ = store.watch(key, end.clone(), Some(i64::MIN), true);
            let _ = store.watch(key, end.clone(), Some(i64::MAX), true);
            store.delete_range(key, end);
        }
    }
    assert_eq!(store.compact(i64::MAX), Err(StoreError::FutureRevision));
    assert_eq!(
        store.compact(i64::MIN),
        Err(StoreError::Compacted {
            compact_revision: 0
        })
    );
    assert_eq!(store.len(), 0, "every key was deleted again");
}
