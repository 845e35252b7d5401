//! What pages compute from a tenant's plan, kept in memory while the plan
//! does not change.
//!
//! A calendar month of a large portfolio reads thousands of deployments and
//! milestones and runs the conflict rules over all of them; a feed renders
//! thousands of events. People look at the same month many times between
//! changes, so [`PlanCache`] keeps the result under the tenant's plan
//! version ([`almanac_db::tenants::plan_version`]: bumped in the same
//! commit as every planning change, by any server or command). A lookup
//! reads the version (one indexed row) and uses an entry only when it was
//! computed under that same version: a stale entry is never served, also
//! with several servers on one database. Nothing here is stored in the
//! database; conflicts are still computed, only not twice for one plan.
//!
//! The cache is bounded by an estimate of its entries' sizes and forgets the
//! least recently used first.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

struct Slot<V> {
    value: Arc<V>,
    version: i64,
    bytes: usize,
    used: u64,
}

struct Inner<K, V> {
    slots: HashMap<K, Slot<V>>,
    bytes: usize,
    tick: u64,
}

/// A bounded map from `K` to values computed under a plan version.
pub struct PlanCache<K, V> {
    inner: Mutex<Inner<K, V>>,
    budget: usize,
}

impl<K, V> std::fmt::Debug for PlanCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanCache")
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq + Clone, V> PlanCache<K, V> {
    /// A cache holding about `budget` bytes (`0` keeps nothing).
    #[must_use]
    pub fn new(budget: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                slots: HashMap::new(),
                bytes: 0,
                tick: 0,
            }),
            budget,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        // A panic while holding the lock leaves a consistent map.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value of `key` if it was computed under `version`.
    pub fn get(&self, key: &K, version: i64) -> Option<Arc<V>> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        match inner.slots.get_mut(key) {
            Some(slot) if slot.version == version => {
                slot.used = tick;
                Some(Arc::clone(&slot.value))
            }
            Some(_) => {
                if let Some(old) = inner.slots.remove(key) {
                    inner.bytes -= old.bytes;
                }
                None
            }
            None => None,
        }
    }

    /// Keeps `value` (about `bytes` large) for `key` under `version`,
    /// forgetting the least recently used entries to stay in budget. A
    /// value larger than half the budget is not kept.
    pub fn insert(&self, key: K, version: i64, value: Arc<V>, bytes: usize) {
        if bytes > self.budget / 2 {
            return;
        }
        let mut inner = self.lock();
        if let Some(old) = inner.slots.remove(&key) {
            inner.bytes -= old.bytes;
        }
        while inner.bytes + bytes > self.budget {
            let Some(oldest) = inner
                .slots
                .iter()
                .min_by_key(|(_, s)| s.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(old) = inner.slots.remove(&oldest) {
                inner.bytes -= old.bytes;
            }
        }
        inner.tick += 1;
        let used = inner.tick;
        inner.bytes += bytes;
        inner.slots.insert(
            key,
            Slot {
                value,
                version,
                bytes,
                used,
            },
        );
    }

    /// Entries and their estimated bytes.
    #[cfg(test)]
    #[must_use]
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.slots.len(), inner.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_serves_only_its_own_version() {
        let cache = PlanCache::new(1000);
        cache.insert("month", 3, Arc::new("computed"), 10);
        assert_eq!(cache.get(&"month", 3).as_deref(), Some(&"computed"));
        assert!(cache.get(&"month", 4).is_none(), "the plan changed");
        assert!(
            cache.get(&"month", 3).is_none(),
            "a stale entry is dropped when seen"
        );
        assert_eq!(cache.usage(), (0, 0));
    }

    #[test]
    fn the_least_recently_used_go_first_and_the_budget_holds() {
        let cache = PlanCache::new(100);
        cache.insert(1, 0, Arc::new(()), 40);
        cache.insert(2, 0, Arc::new(()), 40);
        assert!(cache.get(&1, 0).is_some(), "1 is now more recent than 2");
        cache.insert(3, 0, Arc::new(()), 40);
        assert!(cache.get(&2, 0).is_none(), "2 was the least recently used");
        assert!(cache.get(&1, 0).is_some());
        assert!(cache.get(&3, 0).is_some());
        assert_eq!(cache.usage(), (2, 80));
        cache.insert(4, 0, Arc::new(()), 51);
        assert!(cache.get(&4, 0).is_none(), "over half the budget: not kept");
        cache.insert(1, 1, Arc::new(()), 10);
        assert_eq!(
            cache.usage(),
            (2, 50),
            "replacing an entry frees its old size"
        );
        assert!(PlanCache::<u8, ()>::new(0).get(&0, 0).is_none());
    }
}
