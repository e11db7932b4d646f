//! A `HashMap` whose hasher is fixed, for tables keyed by request keys or ids (a cache's entries,
//! a store's versions, sessions). Such maps are only looked up, never iterated, so results
//! cannot depend on their order; the fixed hasher keeps them identical across runs and platforms.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::engine::rng::splitmix64;

/// Hashes a `u64` key with SplitMix64: fixed across runs and platforms, and cheap.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = splitmix64(self.0 ^ u64::from(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = splitmix64(self.0 ^ x);
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }
}

/// A `HashMap` with the fixed [`KeyHasher`].
pub type KeyMap<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;
