//! Versions of the data held by stores of record, so that a cache can tell fresh data from
//! stale.
//!
//! A component named as the backing store of a cache, or as the store of a cache-aside step, is
//! *versioned*: for each key it counts the writes it has applied. When it answers a call
//! successfully ([`crate::model::reply`]), a write is *applied* (the key's version goes up by one) and
//! the reply carries the key's version as it then stands: the version a read returns, or the
//! one a write created. When the successful reply to a write reaches its caller
//! ([`crate::model::take_reply`]), the write is *acknowledged*: the key's acknowledged version becomes
//! at least the one the reply carries.
//!
//! A cache entry remembers the version of the data it holds. A read served from a cache is
//! *stale* when that version is older than the key's acknowledged version at the store: some
//! writer has been told that its write succeeded, and the cache still serves what was there
//! before. Reads concurrent with a write that has not been acknowledged yet may return either
//! version without being stale, as in linearizability.
//!
//! Only keys that have been written take memory; an unwritten key is at version 0.

use crate::engine::ComponentId;
use crate::model::support::key_map::KeyMap;

#[derive(Clone, Copy, Debug, Default)]
struct KeyVersion {
    applied: u64,
    acknowledged: u64,
    /// The component the latest acknowledged write was acknowledged to (the store's caller):
    /// who made older copies stale.
    writer: u32,
}

/// Per (store, key) write counts; see the module documentation.
#[derive(Default)]
pub struct Versions {
    versioned: Vec<bool>,
    keys: KeyMap<(u32, u64), KeyVersion>,
}

impl Versions {
    /// Makes `store` versioned.
    pub fn set_versioned(&mut self, store: ComponentId) {
        if self.versioned.len() <= store.index() {
            self.versioned.resize(store.index() + 1, false);
        }
        self.versioned[store.index()] = true;
    }

    #[inline]
    pub fn is_versioned(&self, component: ComponentId) -> bool {
        self.versioned
            .get(component.index())
            .copied()
            .unwrap_or(false)
    }

    /// The store answers a call successfully: applies it if it is a write, and returns the
    /// version the reply carries.
    pub fn on_answer(&mut self, store: ComponentId, key: u64, write: bool) -> u64 {
        if write {
            let v = self.keys.entry((store.0, key)).or_default();
            v.applied += 1;
            v.applied
        } else {
            self.applied(store, key)
        }
    }

    /// A successful write's reply, carrying `version`, reached its caller, `writer`.
    pub fn on_acknowledged(
        &mut self,
        store: ComponentId,
        key: u64,
        version: u64,
        writer: ComponentId,
    ) {
        let v = self.keys.entry((store.0, key)).or_default();
        if version > v.acknowledged {
            v.acknowledged = version;
            v.writer = writer.0;
        }
    }

    /// The component the latest acknowledged write of `key` was acknowledged to, if any.
    pub fn writer(&self, store: ComponentId, key: u64) -> Option<ComponentId> {
        self.keys
            .get(&(store.0, key))
            .filter(|v| v.acknowledged > 0)
            .map(|v| ComponentId(v.writer))
    }

    /// Writes to `key` the store has applied.
    pub fn applied(&self, store: ComponentId, key: u64) -> u64 {
        self.keys.get(&(store.0, key)).map_or(0, |v| v.applied)
    }

    /// The version of the latest write to `key` acknowledged to its writer.
    pub fn acknowledged(&self, store: ComponentId, key: u64) -> u64 {
        self.keys.get(&(store.0, key)).map_or(0, |v| v.acknowledged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_are_applied_then_acknowledged() {
        let mut v = Versions::default();
        let db = ComponentId(3);
        v.set_versioned(db);
        assert!(v.is_versioned(db));
        assert!(!v.is_versioned(ComponentId(0)));
        assert!(!v.is_versioned(ComponentId(99)));
        assert_eq!(v.on_answer(db, 7, false), 0);
        assert_eq!(v.on_answer(db, 7, true), 1);
        assert_eq!(v.on_answer(db, 7, true), 2);
        assert_eq!(v.on_answer(db, 7, false), 2);
        assert_eq!(v.acknowledged(db, 7), 0);
        // Acknowledgements may arrive out of order; the latest stands.
        assert_eq!(v.writer(db, 7), None);
        v.on_acknowledged(db, 7, 2, ComponentId(5));
        v.on_acknowledged(db, 7, 1, ComponentId(6));
        assert_eq!(v.acknowledged(db, 7), 2);
        assert_eq!(
            v.writer(db, 7),
            Some(ComponentId(5)),
            "the latest write's writer stands"
        );
        assert_eq!(v.applied(db, 8), 0);
    }
}
