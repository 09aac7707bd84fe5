#![cfg(not(target_arch = "wasm32"))]
//! Property tests: random puts, deletes, txns and compactions against a simple model, a Vec of
//! every state the store went through, one per revision.
//!
//! Checked after every operation: the revision moves by one exactly when something changed;
//! every range at every revision not compacted equals the model's state at that revision, and
//! every compacted revision is refused; a watcher opened at revision 1 sees every change once,
//! in order, with its prev_kv; a watcher opened later from a past revision replays the same
//! suffix; a snapshot restores to the same state.

use std::collections::BTreeMap;

use kube_sandbox::sim::etcd::{
    bytes, Compare, CompareResult, CompareTarget, RangeEnd, RangeRequest, Revision, Store,
    StoreError, Txn, TxnOp, WatchEvent, WatchEventKind,
};
use proptest::prelude::*;

/// Number of random sequences; each runs up to 40 operations.
const CASES: u32 = 512;

const KEYS: [&str; 6] = [
    "/registry/pods/default/web-0",
    "/registry/pods/default/web-1",
    "/registry/pods/kube-system/coredns-0",
    "/registry/services/default/web",
    "/registry/services/default/web-1",
    "/registry/deployments/default/web",
];

const PREFIXES: [&str; 4] = [
    "",
    "/registry/pods/",
    "/registry/services/default/web",
    "/registry/pods/default/",
];

#[derive(Clone, Debug)]
enum Op {
    Put(usize, u8),
    Delete(usize),
    DeletePrefix(usize),
    /// Compare the key's mod_revision with the model's (`stale` = off by one), then write.
    Txn {
        key: usize,
        stale: bool,
        success: Vec<(usize, Option<u8>)>,
        failure: Vec<(usize, Option<u8>)>,
    },
    /// Compact at `pick` scaled onto 0..=revision+1 (so also refused ones).
    Compact(u8),
    /// Open a watch from a past revision (`pick` scaled onto 1..=revision).
    WatchFromPast(u8),
}

fn writes() -> impl Strategy<Value = Vec<(usize, Option<u8>)>> {
    prop::collection::vec(
        (0..KEYS.len(), prop::option::weighted(0.7, any::<u8>())),
        0..4,
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..KEYS.len(), any::<u8>()).prop_map(|(k, v)| Op::Put(k, v)),
        2 => (0..KEYS.len()).prop_map(Op::Delete),
        1 => (0..PREFIXES.len()).prop_map(Op::DeletePrefix),
        3 => (0..KEYS.len(), any::<bool>(), writes(), writes())
            .prop_map(|(key, stale, success, failure)| Op::Txn { key, stale, success, failure }),
        1 => any::<u8>().prop_map(Op::Compact),
        1 => any::<u8>().prop_map(Op::WatchFromPast),
    ]
}

/// A key as the model remembers it: (create_revision, mod_revision, version, value byte).
type Kv = (Revision, Revision, i64, u8);
type State = BTreeMap<String, Kv>;

/// A change as a watcher should see it: (kind, key, kv, prev kv).
type Change = (WatchEventKind, String, Option<Kv>, Option<Kv>);

struct Model {
    /// `states[r]` is the store at revision r; index 0 is unused.
    states: Vec<State>,
    compact: Revision,
    /// Every change ever made, in order, with the revision it was made at.
    changes: Vec<(Revision, Change)>,
}

impl Model {
    fn new() -> Model {
        Model {
            states: vec![State::new(), State::new()],
            compact: -1,
            changes: Vec::new(),
        }
    }

    fn revision(&self) -> Revision {
        (self.states.len() - 1) as Revision
    }

    fn current(&self) -> &State {
        &self.states[self.states.len() - 1]
    }

    /// Applies writes in order as one revision; returns whether anything changed.
    fn write(&mut self, ops: &[(String, Option<u8>)]) -> bool {
        let rev = self.revision() + 1;
        let mut next = self.current().clone();
        let mut changes = Vec::new();
        for (key, value) in ops {
            let prev = next.get(key).copied();
            match value {
                Some(value) => {
                    let kv = match prev {
                        Some((create, _, version, _)) => (create, rev, version + 1, *value),
                        None => (rev, rev, 1, *value),
                    };
                    next.insert(key.clone(), kv);
                    changes.push((WatchEventKind::Put, key.clone(), Some(kv), prev));
                }
                None => {
                    if let Some(prev) = next.remove(key) {
                        changes.push((WatchEventKind::Delete, key.clone(), None, Some(prev)));
                    }
                }
            }
        }
        if changes.is_empty() {
            return false;
        }
        self.states.push(next);
        self.changes.extend(changes.into_iter().map(|c| (rev, c)));
        true
    }
}

fn kv_of(kv: &kube_sandbox::sim::etcd::KeyValue) -> Kv {
    (
        kv.create_revision,
        kv.mod_revision,
        kv.version,
        kv.value.first().copied().unwrap_or(0),
    )
}

fn change_of(event: &WatchEvent) -> (Revision, Change) {
    let kv = match event.kind {
        WatchEventKind::Put => Some(kv_of(&event.kv)),
        WatchEventKind::Delete => {
            assert_eq!(
                (event.kv.create_revision, event.kv.version),
                (0, 0),
                "delete event shape"
            );
            None
        }
    };
    (
        event.kv.mod_revision,
        (
            event.kind,
            event.kv.key.clone(),
            kv,
            event.prev_kv.as_ref().map(kv_of),
        ),
    )
}

fn check_ranges(store: &Store, model: &Model) -> Result<(), TestCaseError> {
    for rev in 1..=model.revision() {
        for prefix in PREFIXES {
            let got = store.range(&RangeRequest::prefix(prefix).at_revision(rev));
            if rev < model.compact {
                prop_assert_eq!(
                    got,
                    Err(StoreError::Compacted {
                        compact_revision: model.compact
                    })
                );
                continue;
            }
            let got = got.map_err(|e| TestCaseError::fail(format!("range at {rev}: {e}")))?;
            let want: Vec<(String, Kv)> = model.states[rev as usize]
                .iter()
                .filter(|(k, _)| k.starts_with(prefix))
                .map(|(k, kv)| (k.clone(), *kv))
                .collect();
            let got_kvs: Vec<(String, Kv)> = got
                .kvs
                .iter()
                .map(|kv| (kv.key.clone(), kv_of(kv)))
                .collect();
            prop_assert_eq!(&got_kvs, &want, "prefix {:?} at revision {}", prefix, rev);
            prop_assert_eq!(got.count, want.len());
            prop_assert_eq!(got.revision, model.revision());
        }
    }
    prop_assert_eq!(store.len(), model.current().len());
    Ok(())
}

fn key_ops(ops: &[(usize, Option<u8>)]) -> Vec<(String, Option<u8>)> {
    ops.iter()
        .map(|(k, v)| (KEYS[*k].to_string(), *v))
        .collect()
}

fn txn_ops(ops: &[(String, Option<u8>)]) -> Vec<TxnOp> {
    ops.iter()
        .map(|(key, value)| match value {
            Some(value) => TxnOp::Put {
                key: key.clone(),
                value: bytes([*value]),
            },
            None => TxnOp::DeleteRange {
                key: key.clone(),
                range_end: RangeEnd::Single,
            },
        })
        .collect()
}

/// etcd refuses a branch that writes a key twice (a delete of a key counts as a write to it).
fn has_duplicate(ops: &[(String, Option<u8>)]) -> bool {
    let puts: Vec<&String> = ops
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| k)
        .collect();
    puts.iter()
        .enumerate()
        .any(|(i, k)| puts[i + 1..].contains(k))
        || puts
            .iter()
            .any(|k| ops.iter().any(|(d, v)| v.is_none() && d == *k))
}

fn scale(pick: u8, low: Revision, high: Revision) -> Revision {
    low + (pick as Revision * (high - low + 1)) / 256
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut store = Store::new();
    let mut model = Model::new();
    let from_start = store
        .watch("", RangeEnd::Prefix, Some(1), true)
        .expect("watch");
    let mut seen: Vec<(Revision, Change)> = Vec::new();
    let mut late_watches = Vec::new();

    for op in ops {
        let before = store.revision();
        let changed = match &op {
            Op::Put(k, v) => {
                let result = store.put(KEYS[*k], bytes([*v]));
                prop_assert_eq!(result.revision, before + 1);
                model.write(&key_ops(&[(*k, Some(*v))]))
            }
            Op::Delete(k) => {
                let result = store.delete_range(KEYS[*k], RangeEnd::Single);
                let changed = model.write(&key_ops(&[(*k, None)]));
                prop_assert_eq!(result.deleted, usize::from(changed));
                changed
            }
            Op::DeletePrefix(p) => {
                let doomed: Vec<(String, Option<u8>)> = model
                    .current()
                    .keys()
                    .filter(|k| k.starts_with(PREFIXES[*p]))
                    .map(|k| (k.clone(), None))
                    .collect();
                let result = store.delete_range(PREFIXES[*p], RangeEnd::Prefix);
                prop_assert_eq!(result.deleted, doomed.len());
                model.write(&doomed)
            }
            Op::Txn {
                key,
                stale,
                success,
                failure,
            } => {
                let current_mod = model.current().get(KEYS[*key]).map_or(0, |kv| kv.1);
                let expected = current_mod + Revision::from(*stale);
                let (success, failure) = (key_ops(success), key_ops(failure));
                let result = store.txn(Txn {
                    compares: vec![Compare {
                        key: KEYS[*key].into(),
                        target: CompareTarget::ModRevision(expected),
                        result: CompareResult::Equal,
                    }],
                    success: txn_ops(&success),
                    failure: txn_ops(&failure),
                });
                if has_duplicate(&success) || has_duplicate(&failure) {
                    prop_assert_eq!(result, Err(StoreError::DuplicateKey));
                    false
                } else {
                    let result = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert_eq!(result.succeeded, !*stale);
                    let changed = model.write(if *stale { &failure } else { &success });
                    prop_assert_eq!(result.revision, model.revision());
                    changed
                }
            }
            Op::Compact(pick) => {
                let at = scale(*pick, 0, model.revision() + 1);
                let result = store.compact(at);
                if at <= model.compact {
                    prop_assert_eq!(
                        result,
                        Err(StoreError::Compacted {
                            compact_revision: model.compact.max(0)
                        })
                    );
                } else if at > model.revision() {
                    prop_assert_eq!(result, Err(StoreError::FutureRevision));
                } else {
                    prop_assert_eq!(result, Ok(()));
                    model.compact = at;
                }
                false
            }
            Op::WatchFromPast(pick) => {
                let from = scale(*pick, 1, model.revision());
                let result = store.watch("/registry/", RangeEnd::Prefix, Some(from), true);
                if from < model.compact {
                    prop_assert_eq!(
                        result,
                        Err(StoreError::Compacted {
                            compact_revision: model.compact
                        })
                    );
                } else {
                    let id = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
                    late_watches.push((id, from, model.compact));
                }
                false
            }
        };
        // Revisions strictly increase, by one, exactly when something changed.
        prop_assert_eq!(
            store.revision(),
            before + Revision::from(changed),
            "after {:?}",
            op
        );
        prop_assert_eq!(store.revision(), model.revision());
        check_ranges(&store, &model)?;
        seen.extend(store.take_events(from_start).iter().map(change_of));
        prop_assert_eq!(
            &seen,
            &model.changes,
            "the watcher from revision 1 after {:?}",
            op
        );
    }

    // A watcher opened from a past revision replays that revision onwards. Its prev_kv comes
    // from a read at the revision before each event, so it is absent when that was compacted.
    for (id, from, compact_then) in late_watches {
        let got: Vec<(Revision, Change)> = store.take_events(id).iter().map(change_of).collect();
        let want: Vec<(Revision, Change)> = model
            .changes
            .iter()
            .filter(|(rev, _)| *rev >= from)
            .map(|(rev, (kind, key, kv, prev))| {
                let prev = if rev - 1 < compact_then { None } else { *prev };
                (*rev, (*kind, key.clone(), *kv, prev))
            })
            .collect();
        prop_assert_eq!(got, want, "watch from {}", from);
    }

    let restored =
        Store::restore(store.snapshot()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(restored.snapshot(), store.snapshot());
    check_ranges(&restored, &model)?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn the_store_agrees_with_a_model_of_every_revision(ops in prop::collection::vec(op(), 1..40)) {
        run(ops)?;
    }
}
