//! Stable sorting with one copy of the sort algorithm in the wasm module.
//!
//! Mirrors: `slice::sort`, `sort_by` and `sort_by_key` of the standard library: a stable sort, so
//! elements that compare equal keep their order and the result is exactly the standard one.
//! Simplified: the standard sort is monomorphised once per element type and comparator, about
//! 3 KB of wasm each (measured, README "Size"); here only a permutation of indices is sorted, by
//! one instance of the standard sort behind a `dyn` comparator, and then applied with swaps.

use std::cmp::Ordering;

/// `stable_sort*` on slices (and so on `Vec`), same results as `sort*`.
pub trait StableSort<T> {
    fn stable_sort_by(&mut self, compare: impl FnMut(&T, &T) -> Ordering);

    fn stable_sort_by_key<K: Ord>(&mut self, mut key: impl FnMut(&T) -> K) {
        self.stable_sort_by(|a, b| key(a).cmp(&key(b)));
    }

    fn stable_sort(&mut self)
    where
        T: Ord,
    {
        self.stable_sort_by(T::cmp);
    }
}

impl<T> StableSort<T> for [T] {
    fn stable_sort_by(&mut self, mut compare: impl FnMut(&T, &T) -> Ordering) {
        if self.len() < 2 {
            return;
        }
        let mut order: Vec<usize> = (0..self.len()).collect();
        {
            let items: &[T] = self;
            sort_indices(&mut order, &mut |a, b| compare(&items[a], &items[b]));
        }
        apply(self, &mut order);
    }
}

/// The one instance of the standard stable sort: indices, compared through the caller's items.
fn sort_indices(order: &mut [usize], compare: &mut dyn FnMut(usize, usize) -> Ordering) {
    order.sort_by(|&a, &b| compare(a, b));
}

/// Moves `items[order[k]]` to position `k` for every `k`, one cycle of the permutation at a time;
/// `order` is used up (each visited entry is marked `usize::MAX`).
fn apply<T>(items: &mut [T], order: &mut [usize]) {
    for start in 0..order.len() {
        if order[start] == usize::MAX {
            continue;
        }
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = usize::MAX;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_keep_their_order_as_the_standard_stable_sort_does() {
        let mut ours = vec![(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd'), (0, 'e')];
        let mut std = ours.clone();
        ours.stable_sort_by_key(|p| p.0);
        std.sort_by_key(|p| p.0);
        assert_eq!(ours, std);
        assert_eq!(ours, vec![(0, 'e'), (1, 'b'), (1, 'd'), (2, 'a'), (2, 'c')]);
    }

    #[test]
    fn empty_and_single_slices_are_left_alone() {
        let mut none: Vec<u8> = Vec::new();
        none.stable_sort();
        assert!(none.is_empty());
        let mut one = vec![7];
        one.stable_sort();
        assert_eq!(one, vec![7]);
    }

    #[test]
    fn random_slices_sort_exactly_as_the_standard_sort() {
        let mut rng = crate::sim::rng::Rng::new(7);
        for len in 0..300 {
            let items: Vec<(u64, u64)> = (0..len).map(|_| (rng.below(6), rng.next_u64())).collect();
            let mut ours = items.clone();
            let mut std = items;
            ours.stable_sort_by(|a, b| a.0.cmp(&b.0));
            std.sort_by_key(|p| p.0);
            assert_eq!(ours, std);
            ours.stable_sort();
            std.sort();
            assert_eq!(ours, std);
        }
    }
}
