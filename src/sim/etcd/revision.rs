//! Revisions: the logical clock of the store.
//!
//! Mirrors: etcd `server/storage/mvcc/revision.go`.
//! Simplified: revisions are kept as a pair of integers in memory; etcd also encodes them as
//! 17-byte big-endian keys for bbolt, which we do not need because our "backend" is a `BTreeMap`
//! ordered by this very struct.

use serde::{Deserialize, Serialize};

/// The store-wide revision that clients see (`resourceVersion` in Kubernetes).
///
/// A fresh store is at revision 1; every write transaction that changes something adds one.
pub type Revision = i64;

/// A revision as the store keeps it internally: `main` is the transaction's revision and `sub`
/// counts the changes inside that one transaction (0, 1, 2, ...).
///
/// A txn that puts `/a` and deletes `/b` at main revision 7 writes `7_0` and `7_1`: both carry
/// `mod_revision` 7 for clients, and the sub revision keeps their order for watchers.
///
/// The derived ordering compares `main` first, then `sub`, which is the order in which changes
/// happened. That is what lets the history (a map ordered by `Rev`) be replayed to a watcher.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Rev {
    pub main: Revision,
    pub sub: i64,
}

impl Rev {
    pub const fn new(main: Revision, sub: i64) -> Rev {
        Rev { main, sub }
    }

    /// The first internal revision of main revision `main`: everything at `main` sorts at or after it.
    pub const fn first_of(main: Revision) -> Rev {
        Rev { main, sub: 0 }
    }

    /// The last possible internal revision of main revision `main`.
    pub const fn last_of(main: Revision) -> Rev {
        Rev {
            main,
            sub: i64::MAX,
        }
    }
}

impl std::fmt::Display for Rev {
    /// etcd writes revisions as `main_sub` in its logs and docs (`4_0`, `4_1`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.main, self.sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_order_by_main_then_sub() {
        let table = [
            (Rev::new(1, 0), Rev::new(2, 0)),
            (Rev::new(2, 0), Rev::new(2, 1)),
            (Rev::new(2, 9), Rev::new(3, 0)),
            (Rev::last_of(4), Rev::first_of(5)),
        ];
        for (earlier, later) in table {
            assert!(earlier < later, "{earlier} should sort before {later}");
        }
    }

    #[test]
    fn a_revision_prints_as_main_underscore_sub() {
        assert_eq!(Rev::new(4, 1).to_string(), "4_1");
    }
}
