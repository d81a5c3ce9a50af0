//! The "already seen" set of one graph walk, and a small pool that lets walks reuse them.
//!
//! A set is one `u32` stamp per node: a node is visited in this walk when its stamp equals the
//! walk's epoch, so starting a walk is one increment instead of clearing (or hashing) anything.
//! Stamps are cleared only when the epoch wraps, once every 2³² − 1 walks.

use parking_lot::Mutex;

/// Visited marks for the nodes `0..len` of one graph.
pub(crate) struct VisitedSet {
    stamps: Vec<u32>,
    epoch: u32,
}

impl VisitedSet {
    pub(crate) fn new(len: usize) -> Self {
        VisitedSet {
            stamps: vec![0; len],
            epoch: 0,
        }
    }

    /// Forgets every mark.
    pub(crate) fn start_walk(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamps.fill(0);
            self.epoch = 1;
        }
    }

    /// Marks `node`; `true` when it was not marked yet. Nodes outside the set count as seen.
    #[inline]
    pub(crate) fn insert(&mut self, node: u32) -> bool {
        match self.stamps.get_mut(node as usize) {
            Some(stamp) if *stamp != self.epoch => {
                *stamp = self.epoch;
                true
            }
            _ => false,
        }
    }

    #[inline]
    pub(crate) fn contains(&self, node: u32) -> bool {
        self.stamps
            .get(node as usize)
            .is_none_or(|&stamp| stamp == self.epoch)
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
    fn epoch_wrap_clears_the_stamps() {
        let mut set = VisitedSet::new(2);
        set.epoch = u32::MAX - 1;
        set.start_walk();
        assert!(set.insert(1));
        set.start_walk();
        assert_eq!(set.epoch, 1);
        assert!(!set.contains(1));
    }
}
