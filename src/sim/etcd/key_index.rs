//! The key index: for one key, every revision at which it was written, grouped in generations.
//!
//! Mirrors: etcd `server/storage/mvcc/key_index.go` (current main branch).
//! Simplified: `created` keeps only the main revision (that is all a client ever sees of it);
//! lookups walk the revisions with a binary search like etcd does.
//!
//! # Generations
//!
//! A *generation* is one life of a key: from the put that creates it to the delete that ends it.
//! A delete writes a *tombstone* revision at the end of the current generation and opens a new,
//! empty one, waiting for the key to be created again.
//!
//! Writing `/registry/pods/default/web` like this
//!
//! ```text
//!   rev 2: put      rev 3: put      rev 4: delete      rev 6: put      rev 7: delete
//! ```
//!
//! leaves three generations, the newest on top:
//!
//! ```text
//!   generation 2   [ ]                       empty: the key does not exist right now
//!   generation 1   [ 6_0  7_0(t) ]           created 6, version 1 at 6; (t) = tombstone
//!   generation 0   [ 2_0  3_0  4_0(t) ]      created 2, version 1 at 2, version 2 at 3
//! ```
//!
//! Reading the key "at revision 5" finds generation 0, sees that its tombstone (4) is at or
//! before 5, and answers "no such key". Reading at revision 3 answers version 2, created 2.
//! A version counts puts inside one generation, which is why a put after a delete starts again
//! at version 1 with a new create revision.
//!
//! # Compaction
//!
//! `compact(N)` forgets history at or before N but keeps, for each key, the newest revision at
//! or before N, because a read "at N" must still find it. Whole generations that ended before N
//! are dropped. Starting from the picture above:
//!
//! ```text
//!   compact(3)                      compact(5)                   compact(7)
//!   [ ]                             [ ]                          [ ]
//!   [ 6_0  7_0(t) ]                 [ 6_0  7_0(t) ]              [ 7_0(t) ]
//!   [ 3_0  4_0(t) ]   2_0 dropped   (generation 0 dropped)       (generation 1 shrinks)
//! ```
//!
//! A tombstone exactly at N is kept (as etcd does since v3.5; v3.4 dropped it), so a watcher
//! starting at the compact revision still sees that delete. One more `compact(8)` drops it, the
//! index becomes a single empty generation, and the store removes the key from its index.
//! The revisions that survive are reported in `available`, so the store can delete every other
//! revision at or before N from its history (etcd deletes them from bbolt the same way).

use std::collections::BTreeSet;

use super::revision::{Rev, Revision};

/// One life of a key: the revisions from its creating put up to (and including) its tombstone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Generation {
    /// Version of the key at the last revision in `revs` (counts every put of this life, also
    /// the ones compaction removed from `revs`).
    pub version: i64,
    /// Main revision of the put that created the key (0 when only a tombstone was restored).
    pub created: Revision,
    /// Revisions of the writes, oldest first; the last one is a tombstone unless this is the
    /// newest generation.
    pub revs: Vec<Rev>,
}

impl Generation {
    pub fn is_empty(&self) -> bool {
        self.revs.is_empty()
    }

    /// Index of the newest revision whose main revision is at or before `at`.
    fn find_revision_index(&self, at: Revision) -> Option<usize> {
        // revs is sorted, so the count of revisions at or before `at` is a partition point.
        let count = self.revs.partition_point(|rev| rev.main <= at);
        count.checked_sub(1)
    }
}

/// What a key looked like at some revision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// Where its value is kept in the history.
    pub modified: Rev,
    pub created: Revision,
    pub version: i64,
}

/// Returned by [`KeyIndex::tombstone`] when the key does not exist (etcd: `mvcc: revision not found`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevisionNotFound;

/// Every revision of one key, as generations (see the module docs for pictures).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyIndex {
    /// The last revision at which the key was written (put or tombstone).
    modified: Rev,
    /// Never empty; the last generation is empty while the key is deleted.
    generations: Vec<Generation>,
}

impl Default for KeyIndex {
    fn default() -> Self {
        KeyIndex::new()
    }
}

impl KeyIndex {
    pub fn new() -> KeyIndex {
        KeyIndex {
            modified: Rev::new(0, 0),
            generations: vec![Generation::default()],
        }
    }

    pub fn generations(&self) -> &[Generation] {
        &self.generations
    }

    pub fn modified(&self) -> Rev {
        self.modified
    }

    /// True when the key exists now (its newest generation has revisions).
    pub fn is_live(&self) -> bool {
        self.generations.last().is_some_and(|g| !g.is_empty())
    }

    /// True when nothing is left to remember: the store drops such an index.
    pub fn is_empty(&self) -> bool {
        self.generations.len() == 1 && self.generations[0].is_empty()
    }

    /// Records a put at `rev`. Starts a new generation's life when the key did not exist.
    pub fn put(&mut self, rev: Rev) {
        assert!(
            rev > self.modified,
            "put at {rev} is not after {}",
            self.modified
        );
        if self.generations.is_empty() {
            self.generations.push(Generation::default());
        }
        let last = self.generations.len() - 1;
        let g = &mut self.generations[last];
        if g.is_empty() {
            g.created = rev.main;
        }
        g.revs.push(rev);
        g.version += 1;
        self.modified = rev;
    }

    /// Records a delete at `rev`: the tombstone ends the current generation and an empty one
    /// opens. Deleting a key that does not exist is refused, as etcd refuses it.
    pub fn tombstone(&mut self, rev: Rev) -> Result<(), RevisionNotFound> {
        if !self.is_live() {
            return Err(RevisionNotFound);
        }
        self.put(rev);
        self.generations.push(Generation::default());
        Ok(())
    }

    /// Rebuilds the first known revision of a key from a snapshot, whose history may start in the
    /// middle of a generation (compaction removed the beginning), so `created` and `version`
    /// come from the stored value instead of being counted.
    pub fn restore(&mut self, created: Revision, modified: Rev, version: i64) {
        assert!(self.is_empty(), "restore into a key index that has history");
        self.modified = modified;
        self.generations = vec![Generation {
            version,
            created,
            revs: vec![modified],
        }];
    }

    /// Rebuilds a key whose only remembered revision is its tombstone (the put was compacted).
    pub fn restore_tombstone(&mut self, rev: Rev) {
        self.restore(0, rev, 1);
        self.generations.push(Generation::default());
    }

    /// The generation the key belonged to at main revision `at`, or None if it did not exist.
    fn find_generation(&self, at: Revision) -> Option<&Generation> {
        let last = self.generations.len().checked_sub(1)?;
        for (i, g) in self.generations.iter().enumerate().rev() {
            let (Some(first), Some(newest)) = (g.revs.first(), g.revs.last()) else {
                continue;
            };
            // A finished generation whose tombstone is at or before `at`: the key was deleted
            // then, and any older generation is older still.
            if i != last && newest.main <= at {
                return None;
            }
            if first.main <= at {
                return Some(g);
            }
        }
        None
    }

    /// What the key looked like at main revision `at`: None when it did not exist then.
    pub fn get(&self, at: Revision) -> Option<IndexEntry> {
        let g = self.find_generation(at)?;
        let n = g.find_revision_index(at)?;
        // Each later revision in this generation was one more put.
        let newer_puts = (g.revs.len() - n - 1) as i64;
        Some(IndexEntry {
            modified: g.revs[n],
            created: g.created,
            version: g.version - newer_puts,
        })
    }

    /// Forgets history at or before `at`, keeping the newest revision at or before it (see the
    /// module docs). Adds the revisions that must stay in the history to `available`.
    pub fn compact(&mut self, at: Revision, available: &mut BTreeSet<Rev>) {
        let mut gen_idx = 0;
        // Skip whole generations that ended (tombstone) before `at`.
        while gen_idx + 1 < self.generations.len() {
            let tomb = self.generations[gen_idx].revs.last().map_or(0, |r| r.main);
            if tomb >= at {
                break;
            }
            gen_idx += 1;
        }
        let g = &mut self.generations[gen_idx];
        if let Some(rev_idx) = g.find_revision_index(at) {
            available.insert(g.revs[rev_idx]);
            g.revs.drain(..rev_idx);
        }
        self.generations.drain(..gen_idx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(main: Revision) -> Rev {
        Rev::new(main, 0)
    }

    /// put(2) put(3) delete(4) put(6) delete(7), the picture in the module docs.
    fn web_pod_history() -> KeyIndex {
        let mut ki = KeyIndex::new();
        ki.put(rev(2));
        ki.put(rev(3));
        ki.tombstone(rev(4)).unwrap();
        ki.put(rev(6));
        ki.tombstone(rev(7)).unwrap();
        ki
    }

    fn mains(ki: &KeyIndex) -> Vec<Vec<Revision>> {
        ki.generations
            .iter()
            .map(|g| g.revs.iter().map(|r| r.main).collect())
            .collect()
    }

    #[test]
    fn puts_and_tombstones_build_generations() {
        assert_eq!(
            mains(&web_pod_history()),
            vec![vec![2, 3, 4], vec![6, 7], vec![]]
        );
    }

    #[test]
    fn a_read_at_each_revision_sees_the_key_as_it_was() {
        let ki = web_pod_history();
        // (at, Some((modified, created, version)) or None when the key did not exist)
        let table = [
            (1, None),
            (2, Some((2, 2, 1))),
            (3, Some((3, 2, 2))),
            (4, None),
            (5, None),
            (6, Some((6, 6, 1))),
            (7, None),
            (100, None),
        ];
        for (at, want) in table {
            let got = ki.get(at).map(|e| (e.modified.main, e.created, e.version));
            assert_eq!(got, want, "at revision {at}");
        }
    }

    #[test]
    fn a_delete_of_a_missing_key_is_refused() {
        let mut ki = KeyIndex::new();
        assert_eq!(ki.tombstone(rev(2)), Err(RevisionNotFound));
        ki.put(rev(3));
        ki.tombstone(rev(4)).unwrap();
        assert_eq!(ki.tombstone(rev(5)), Err(RevisionNotFound));
    }

    #[test]
    fn compaction_keeps_the_newest_revision_at_or_before_it() {
        // (compact at, generations left, revisions kept in the history)
        let table: [(Revision, Vec<Vec<Revision>>, Vec<Revision>); 6] = [
            (1, vec![vec![2, 3, 4], vec![6, 7], vec![]], vec![]),
            (3, vec![vec![3, 4], vec![6, 7], vec![]], vec![3]),
            (4, vec![vec![4], vec![6, 7], vec![]], vec![4]),
            (5, vec![vec![6, 7], vec![]], vec![]),
            (7, vec![vec![7], vec![]], vec![7]),
            (8, vec![vec![]], vec![]),
        ];
        for (at, want_gens, want_available) in table {
            let mut ki = web_pod_history();
            let mut available = BTreeSet::new();
            ki.compact(at, &mut available);
            assert_eq!(mains(&ki), want_gens, "compact({at})");
            let kept: Vec<Revision> = available.iter().map(|r| r.main).collect();
            assert_eq!(kept, want_available, "compact({at}) available");
        }
    }

    #[test]
    fn a_key_whose_whole_life_was_compacted_is_empty() {
        let mut ki = web_pod_history();
        ki.compact(8, &mut BTreeSet::new());
        assert!(ki.is_empty());
    }

    #[test]
    fn compaction_does_not_change_what_later_reads_see() {
        let mut ki = KeyIndex::new();
        for main in 2..=6 {
            ki.put(rev(main));
        }
        ki.compact(4, &mut BTreeSet::new());
        let at_5 = ki.get(5).unwrap();
        assert_eq!((at_5.modified.main, at_5.created, at_5.version), (5, 2, 4));
        let at_4 = ki.get(4).unwrap();
        assert_eq!((at_4.modified.main, at_4.version), (4, 3));
    }
}
