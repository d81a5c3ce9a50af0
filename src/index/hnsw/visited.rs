//! The "already seen" set of one graph walk, and a small pool that lets walks reuse them.
//!
//! A set is one bit per node (12.5 KiB for 100k nodes, so it stays in the L1 cache while the
//! walk streams rows through the others), and the list of the 64-bit words the walk set a bit
//! in: starting the next walk zeroes only those words, so a walk costs what it visits, never the
//! graph's size. A stamp per node (`u32`, 400 KB at 100k nodes) missed the cache on about one
//! check in five on issue 5's dataset; see README's performance section for the figures.

use parking_lot::Mutex;

/// Visited marks for the nodes `0..len` of one graph.
pub(crate) struct VisitedSet {
    bits: Vec<u64>,
    len: usize,
    /// Indexes of the words of `bits` that are not zero.
    touched: Vec<u32>,
}

impl VisitedSet {
    pub(crate) fn new(len: usize) -> Self {
        VisitedSet {
            bits: vec![0; len.div_ceil(64)],
            len,
            touched: Vec::new(),
        }
    }

    /// Forgets every mark.
    pub(crate) fn start_walk(&mut self) {
        // Past an eighth of the words a straight fill is cheaper than the scattered stores.
        if self.touched.len() > self.bits.len() / 8 {
            self.bits.fill(0);
        } else {
            for &word in &self.touched {
                self.bits[word as usize] = 0;
            }
        }
        self.touched.clear();
    }

    /// Marks `node`; `true` when it was not marked yet. Nodes outside the set count as seen.
    #[inline]
    pub(crate) fn insert(&mut self, node: u32) -> bool {
        let i = node as usize;
        if i >= self.len {
            return false;
        }
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        let bits = &mut self.bits[word];
        if *bits & bit != 0 {
            return false;
        }
        if *bits == 0 {
            self.touched.push(word as u32);
        }
        *bits |= bit;
        true
    }

    #[inline]
    pub(crate) fn contains(&self, node: u32) -> bool {
        let i = node as usize;
        i >= self.len || self.bits[i / 64] & (1u64 << (i % 64)) != 0
    }
}

/// Idle visited sets of one graph. Concurrent searches each take one (allocating when none is
/// idle) and return it when done; at most `MAX_IDLE` are kept, about one per search thread.
pub(crate) struct VisitedPool {
    len: usize,
    idle: Mutex<Vec<VisitedSet>>,
}

const MAX_IDLE: usize = 64;

impl VisitedPool {
    pub(crate) fn new(len: usize) -> Self {
        VisitedPool {
            len,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// A set with no marks, returned to the pool when the guard drops.
    pub(crate) fn take(&self) -> VisitedGuard<'_> {
        let mut set = self
            .idle
            .lock()
            .pop()
            .unwrap_or_else(|| VisitedSet::new(self.len));
        set.start_walk();
        VisitedGuard {
            pool: self,
            set: Some(set),
        }
    }
}

pub(crate) struct VisitedGuard<'a> {
    pool: &'a VisitedPool,
    set: Option<VisitedSet>,
}

impl std::ops::Deref for VisitedGuard<'_> {
    type Target = VisitedSet;
    fn deref(&self) -> &VisitedSet {
        self.set.as_ref().expect("set present until drop")
    }
}

impl std::ops::DerefMut for VisitedGuard<'_> {
    fn deref_mut(&mut self) -> &mut VisitedSet {
        self.set.as_mut().expect("set present until drop")
    }
}

impl Drop for VisitedGuard<'_> {
    fn drop(&mut self) {
        if let Some(set) = self.set.take() {
            let mut idle = self.pool.idle.lock();
            if idle.len() < MAX_IDLE {
                idle.push(set);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_walk_forgets_earlier_marks() {
        let pool = VisitedPool::new(4);
        {
            let mut set = pool.take();
            assert!(set.insert(2));
            assert!(!set.insert(2));
            assert!(set.contains(2));
        }
        let set = pool.take();
        assert!(!set.contains(2));
    }

    #[test]
    fn marks_cover_exactly_the_nodes_of_the_graph() {
        let mut set = VisitedSet::new(130);
        assert!(set.insert(0) && set.insert(63) && set.insert(64) && set.insert(129));
        assert!(!set.insert(63));
        assert!(!set.contains(1) && !set.contains(128));
        // Outside the graph: seen, never marked.
        assert!(!set.insert(130) && set.contains(130) && set.contains(u32::MAX));
        set.start_walk();
        assert!((0..130).all(|n| !set.contains(n)));
    }

    #[test]
    fn a_walk_over_most_words_is_cleared_by_a_fill() {
        let mut set = VisitedSet::new(64 * 16);
        for n in (0..64 * 16).step_by(64) {
            assert!(set.insert(n));
        }
        assert_eq!(set.touched.len(), 16);
        set.start_walk();
        assert!(set.touched.is_empty() && set.bits.iter().all(|&w| w == 0));
    }
}
