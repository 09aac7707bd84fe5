//! A log stored in fixed-size chunks: appends at the back, drops from the front, reads by index.
//!
//! The trace grows to tens of thousands of events in a busy session. In one `Vec` every doubling
//! copies the whole log and, for that moment, holds the old buffer and the new one: at 1,000 pods
//! that was 35 MB of a page's 85 MB peak (the old 11.5 MB and the new 23 MB), and the page's wasm
//! memory never shrinks after a peak. In chunks of [`CHUNK`] items a push allocates at most one
//! new chunk and moves nothing. No crate was used: the ones for segmented vectors (`segvec`,
//! `stable-vec`) have no removal from the front, which the trace's budget needs, and this is
//! a few lines over `VecDeque` and `Vec`.
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::VecDeque;

/// Items per chunk: about 700 KB of trace events, small enough that the last chunk's slack is a
/// sliver of the log, large enough that the chunk list stays short.
pub const CHUNK: usize = 4096;

/// Every chunk but the first and the last holds exactly [`CHUNK`] items; the first may have lost
/// some from its front, the last is filling.
#[derive(Clone)]
pub struct Chunked<T> {
    chunks: VecDeque<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: VecDeque::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn push(&mut self, item: T) {
        match self.chunks.back_mut() {
            Some(last) if last.len() < CHUNK => last.push(item),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(item);
                self.chunks.push_back(chunk);
            }
        }
        self.len += 1;
    }

    /// Where the item at `index` from the front is: its chunk and its place in it.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.len {
            return None;
        }
        let first_len = self.chunks.front()?.len();
        if index < first_len {
            return Some((0, index));
        }
        let rest = index - first_len;
        Some((1 + rest / CHUNK, rest % CHUNK))
    }

    /// The item at `index` from the front.
    pub fn get(&self, index: usize) -> Option<&T> {
        let (chunk, at) = self.locate(index)?;
        self.chunks.get(chunk)?.get(at)
    }

    pub fn last(&self) -> Option<&T> {
        self.chunks.back()?.last()
    }

    pub fn last_mut(&mut self) -> Option<&mut T> {
        self.chunks.back_mut()?.last_mut()
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        let (chunk, at) = self.locate(index)?;
        self.chunks.get_mut(chunk)?.get_mut(at)
    }

    /// How many items come before the first for which `pred` is false, the items being
    /// partitioned by it (as `slice::partition_point`).
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let (mut low, mut high) = (0, self.len);
        while low < high {
            let mid = low + (high - low) / 2;
            match self.get(mid) {
                Some(item) if pred(item) => low = mid + 1,
                _ => high = mid,
            }
        }
        low
    }

    /// The items from `start` up to, not including, `end`.
    pub fn range(&self, start: usize, end: usize) -> Slice<'_, T> {
        self.from(start).prefix(end.saturating_sub(start))
    }

    /// Drops the `count` oldest items (all of them when there are fewer).
    pub fn drop_front(&mut self, count: usize) {
        let mut count = count.min(self.len);
        self.len -= count;
        while let Some(first) = self.chunks.front_mut() {
            if count >= first.len() {
                count -= first.len();
                self.chunks.pop_front();
            } else {
                first.drain(..count);
                break;
            }
        }
    }

    /// The items from `start` on.
    pub fn from(&self, start: usize) -> Slice<'_, T> {
        Slice {
            chunks: self,
            start: start.min(self.len),
            end: self.len,
        }
    }

    pub fn all(&self) -> Slice<'_, T> {
        self.from(0)
    }

    pub fn iter(&self) -> Iter<'_, T> {
        self.all().iter()
    }
}

/// A run of a [`Chunked`] log's items, as `&[T]` is of a `Vec`'s.
pub struct Slice<'a, T> {
    chunks: &'a Chunked<T>,
    start: usize,
    end: usize,
}

impl<T> Clone for Slice<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Slice<'_, T> {}

impl<'a, T> Slice<'a, T> {
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn get(&self, index: usize) -> Option<&'a T> {
        if index >= self.len() {
            return None;
        }
        self.chunks.get(self.start + index)
    }

    pub fn first(&self) -> Option<&'a T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&'a T> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// The items of this run from its `index`-th on (none when it is shorter).
    pub fn tail(&self, index: usize) -> Slice<'a, T> {
        Slice {
            start: self.start + index.min(self.len()),
            ..*self
        }
    }

    pub fn to_vec(&self) -> Vec<T>
    where
        T: Clone,
    {
        self.iter().cloned().collect()
    }

    /// The first `len` items of this run (all of them when it is shorter).
    pub fn prefix(&self, len: usize) -> Slice<'a, T> {
        Slice {
            end: self.start + len.min(self.len()),
            ..*self
        }
    }

    pub fn iter(&self) -> Iter<'a, T> {
        Iter(*self)
    }
}

impl<'a, T> IntoIterator for Slice<'a, T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<'a, T> IntoIterator for &Slice<'a, T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> std::ops::Index<usize> for Slice<'_, T> {
    type Output = T;
    fn index(&self, index: usize) -> &T {
        match self.get(index) {
            Some(item) => item,
            None => panic!("index {index} out of a slice of {}", self.len()),
        }
    }
}

/// The items of a [`Slice`], front to back: the slice, shrinking from both ends.
pub struct Iter<'a, T>(Slice<'a, T>);

impl<T> Clone for Iter<'_, T> {
    fn clone(&self) -> Self {
        Iter(self.0)
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;
    fn next(&mut self) -> Option<&'a T> {
        let item = self.0.first()?;
        self.0.start += 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.0.len(), Some(self.0.len()))
    }

    fn nth(&mut self, n: usize) -> Option<&'a T> {
        self.0 = self.0.tail(n);
        self.next()
    }
}

impl<'a, T> DoubleEndedIterator for Iter<'a, T> {
    fn next_back(&mut self) -> Option<&'a T> {
        let item = self.0.last()?;
        self.0.end -= 1;
        Some(item)
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}

impl<T> Extend<T> for Chunked<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for item in items {
            self.push(item);
        }
    }
}

impl<T> FromIterator<T> for Chunked<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut chunked = Chunked::default();
        chunked.extend(items);
        chunked
    }
}

impl<T> IntoIterator for Chunked<T> {
    type Item = T;
    type IntoIter = std::iter::Flatten<std::collections::vec_deque::IntoIter<Vec<T>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.chunks.into_iter().flatten()
    }
}

impl<'a, T> IntoIterator for &'a Chunked<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> std::ops::Index<usize> for Chunked<T> {
    type Output = T;
    fn index(&self, index: usize) -> &T {
        match self.get(index) {
            Some(item) => item,
            None => panic!("index {index} out of a log of {}", self.len),
        }
    }
}

impl<T> std::ops::IndexMut<usize> for Chunked<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        let len = self.len;
        match self.get_mut(index) {
            Some(item) => item,
            None => panic!("index {index} out of a log of {len}"),
        }
    }
}

impl<T: PartialEq> PartialEq for Chunked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: Eq> Eq for Chunked<T> {}

impl<T: std::fmt::Debug> std::fmt::Debug for Chunked<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// As a sequence, the same as a `Vec` of the items.
impl<T: Serialize> Serialize for Chunked<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Chunked<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<T>::deserialize(deserializer)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_across_chunks_after_drops_from_the_front_as_a_vec_would() {
        let mut log = Chunked::default();
        let mut model = Vec::new();
        for i in 0..(3 * CHUNK + 17) {
            log.push(i);
            model.push(i);
        }
        for cut in [5, CHUNK - 5, 1, CHUNK + 3] {
            log.drop_front(cut);
            model.drain(..cut);
            for i in 0..(CHUNK / 2) {
                log.push(100_000 + i);
                model.push(100_000 + i);
            }
            assert_eq!(log.len(), model.len());
            assert!(log.iter().eq(model.iter()));
            assert!(log.iter().rev().eq(model.iter().rev()));
            for probe in [0, 1, CHUNK - 1, CHUNK, model.len() - 1, model.len()] {
                assert_eq!(log.get(probe), model.get(probe), "index {probe}");
            }
            let from = model.len() / 3;
            let slice = log.from(from);
            assert_eq!(slice.len(), model.len() - from);
            assert_eq!(slice.first(), model.get(from));
            assert_eq!(slice.last(), model.last());
            assert!(slice.iter().eq(model[from..].iter()));
            assert_eq!(slice.iter().nth(7), model[from..].get(7));
        }
        log.drop_front(usize::MAX);
        assert!(log.is_empty() && log.iter().next().is_none() && log.last().is_none());
    }

    #[test]
    fn serializes_as_the_vec_of_its_items_and_back() {
        let mut log = Chunked::default();
        for i in 0..(CHUNK + 2) {
            log.push(i as u32);
        }
        log.drop_front(3);
        let json = serde_json::to_string(&log).unwrap();
        let model: Vec<u32> = (3..(CHUNK as u32 + 2)).collect();
        assert_eq!(json, serde_json::to_string(&model).unwrap());
        let back: Chunked<u32> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, log);
    }
}
