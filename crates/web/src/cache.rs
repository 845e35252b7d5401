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
//! computed under that same version: a view of an older plan is never
//! served, also with several servers on one database. Nothing here is
//! stored in the database; conflicts are still computed, only not twice for
//! one plan.
//!
//! Entries are also stamped with the minute they describe (milestones turn
//! overdue, "today" moves). When the minute turns, the first request for an
//! entry recomputes it while the others are served the previous minute's
//! (same plan version, at most [`PlanCache::STALE_STAMPS`] minutes old)
//! instead of all recomputing at once.
//!
//! The cache is bounded by an estimate of its entries' sizes and forgets the
//! least recently used first.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

struct Slot<V> {
    value: Arc<V>,
    version: i64,
    stamp: i64,
    /// When a request took on recomputing this entry for a later stamp.
    refreshing: Option<Instant>,
    bytes: usize,
    used: u64,
}

struct Inner<K, V> {
    slots: HashMap<K, Slot<V>>,
    bytes: usize,
    tick: u64,
}

/// What [`PlanCache::get`] found.
#[derive(Debug)]
pub enum Lookup<V> {
    /// Computed under the version for this stamp (or a later one).
    Fresh(Arc<V>),
    /// Computed under the version for a slightly earlier stamp, while
    /// another request recomputes it: serve it.
    Stale(Arc<V>),
    /// Nothing usable: compute it (and [`PlanCache::insert`] it).
    Miss,
}

/// A bounded map from `K` to values computed under a plan version and a
/// stamp (the minute they describe).
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
    /// How many stamps (minutes) an entry may lag while it is recomputed.
    pub const STALE_STAMPS: i64 = 2;
    /// After this long, a recomputation that never arrived (its request was
    /// dropped or failed) is taken on by the next request.
    const REFRESH_PATIENCE: Duration = Duration::from_secs(10);

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

    /// The value of `key` for `stamp` under plan `version`: fresh, stale
    /// while this request's peer recomputes it, or missing (this request
    /// computes it).
    pub fn get(&self, key: &K, version: i64, stamp: i64) -> Lookup<V> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let Some(slot) = inner.slots.get_mut(key) else {
            return Lookup::Miss;
        };
        if slot.version == version && slot.stamp >= stamp {
            slot.used = tick;
            return Lookup::Fresh(Arc::clone(&slot.value));
        }
        if slot.version == version && stamp - slot.stamp <= Self::STALE_STAMPS {
            slot.used = tick;
            let taken = slot
                .refreshing
                .is_some_and(|since| since.elapsed() < Self::REFRESH_PATIENCE);
            if taken {
                return Lookup::Stale(Arc::clone(&slot.value));
            }
            slot.refreshing = Some(Instant::now());
            return Lookup::Miss;
        }
        if slot.version <= version {
            // An older plan (or too old a minute): never useful again.
            if let Some(old) = inner.slots.remove(key) {
                inner.bytes -= old.bytes;
            }
        }
        // A newer version than this request's transaction saw stays for
        // the requests that see it.
        Lookup::Miss
    }

    /// Keeps `value` (about `bytes` large) for `key` under `version` and
    /// `stamp`, forgetting the least recently used entries to stay in
    /// budget. A value larger than half the budget is not kept, nor one
    /// older than what is already kept.
    pub fn insert(&self, key: K, version: i64, stamp: i64, value: Arc<V>, bytes: usize) {
        if bytes > self.budget / 2 {
            return;
        }
        let mut inner = self.lock();
        if let Some(kept) = inner.slots.get(&key)
            && (kept.version, kept.stamp) > (version, stamp)
        {
            return;
        }
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
                stamp,
                refreshing: None,
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

    impl<V> Lookup<V> {
        fn fresh(self) -> Option<Arc<V>> {
            match self {
                Lookup::Fresh(v) => Some(v),
                _ => None,
            }
        }
        fn is_miss(&self) -> bool {
            matches!(self, Lookup::Miss)
        }
    }

    #[test]
    fn an_entry_serves_only_its_own_version() {
        let cache = PlanCache::new(1000);
        cache.insert("month", 3, 0, Arc::new("computed"), 10);
        assert_eq!(
            cache.get(&"month", 3, 0).fresh().as_deref(),
            Some(&"computed")
        );
        assert!(cache.get(&"month", 4, 0).is_miss(), "the plan changed");
        assert!(
            cache.get(&"month", 3, 0).is_miss(),
            "a stale entry is dropped when seen"
        );
        assert_eq!(cache.usage(), (0, 0));
    }

    #[test]
    fn a_newer_plan_is_kept_for_those_who_see_it() {
        let cache = PlanCache::new(1000);
        cache.insert("month", 5, 0, Arc::new("new"), 10);
        assert!(cache.get(&"month", 4, 0).is_miss(), "an older transaction");
        cache.insert("month", 4, 0, Arc::new("old"), 10);
        assert_eq!(cache.get(&"month", 5, 0).fresh().as_deref(), Some(&"new"));
    }

    #[test]
    fn when_the_minute_turns_one_request_recomputes_while_the_others_get_the_last() {
        let cache = PlanCache::new(1000);
        cache.insert("month", 1, 10, Arc::new("10:00"), 10);
        assert!(
            cache.get(&"month", 1, 11).is_miss(),
            "the first request of the new minute recomputes"
        );
        for _ in 0..3 {
            match cache.get(&"month", 1, 11) {
                Lookup::Stale(v) => assert_eq!(*v, "10:00"),
                other => panic!("expected the previous minute's view, got {other:?}"),
            }
        }
        assert!(
            cache.get(&"month", 2, 11).is_miss(),
            "never another plan's view, even while recomputing"
        );
        cache.insert("month", 1, 10, Arc::new("10:00"), 10);
        cache.insert("month", 1, 11, Arc::new("10:01"), 10);
        assert_eq!(
            cache.get(&"month", 1, 11).fresh().as_deref(),
            Some(&"10:01")
        );
        assert_eq!(
            cache.get(&"month", 1, 10).fresh().as_deref(),
            Some(&"10:01"),
            "a late request of the last minute gets the newer view"
        );
        assert!(
            cache
                .get(&"month", 1, 11 + PlanCache::<&str, &str>::STALE_STAMPS + 1)
                .is_miss(),
            "too old to serve while recomputing"
        );
        assert_eq!(cache.usage(), (0, 0));
    }

    #[test]
    fn the_least_recently_used_go_first_and_the_budget_holds() {
        let cache = PlanCache::new(100);
        cache.insert(1, 0, 0, Arc::new(()), 40);
        cache.insert(2, 0, 0, Arc::new(()), 40);
        assert!(
            cache.get(&1, 0, 0).fresh().is_some(),
            "1 is now more recent than 2"
        );
        cache.insert(3, 0, 0, Arc::new(()), 40);
        assert!(
            cache.get(&2, 0, 0).is_miss(),
            "2 was the least recently used"
        );
        assert!(cache.get(&1, 0, 0).fresh().is_some());
        assert!(cache.get(&3, 0, 0).fresh().is_some());
        assert_eq!(cache.usage(), (2, 80));
        cache.insert(4, 0, 0, Arc::new(()), 51);
        assert!(
            cache.get(&4, 0, 0).is_miss(),
            "over half the budget: not kept"
        );
        cache.insert(1, 1, 0, Arc::new(()), 10);
        assert_eq!(
            cache.usage(),
            (2, 50),
            "replacing an entry frees its old size"
        );
        assert!(PlanCache::<u8, ()>::new(0).get(&0, 0, 0).is_miss());
    }
}
