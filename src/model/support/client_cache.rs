//! Client-side caching of responses by redirect status: the browser cache of a traffic source.
//!
//! # Model
//!
//! A server pool may answer a request type with a redirect (`per_type.<type>.redirect`):
//! - `301` (permanent): the client's browser keeps the answer, for `max_age` or (without it)
//!   for ever, and answers the next click on the same link from its memory;
//! - `302` (temporary): never kept; every click reaches the server.
//!
//! The server marks a successful 301 answer [`CallDetail::Cacheable`](super::call::CallDetail)
//! and load balancers pass it back to the source. The source keeps one entry per
//! (client, request type, key) and, when a user clicks a link its client already holds (and the
//! entry has not expired), answers the click locally: no request is sent, the click counts as a
//! succeeded request with a latency of 0 in the source's and the end-to-end figures (what the
//! user experiences), and the origin never hears of it (`clicks_unseen_by_origin`: what the
//! origin's click analytics miss). A click whose link is not held, or held but expired, goes to
//! the origin as usual; while that first request is in flight, further clicks on the same link
//! go to the origin too (nothing is cached until the answer is back).
//!
//! # Memory
//!
//! With `client_cache.capacity` on the source, each client holds at most that many entries and
//! forgets its least recently used one to make room (browsers bound their caches too). Without
//! it, a client keeps every entry; in either case one source keeps at most
//! [`MAX_ENTRIES`] entries in all (about 100 bytes of simulator memory each): beyond that, new
//! answers are not stored (`client_cache_not_stored`).
//!
//! # Theory
//!
//! With `n` clicks spread over `m` equally likely (client, key) pairs and entries kept for
//! ever, the origin sees each pair at most once (as long as no click repeats while the first is
//! in flight) and the expected number of distinct pairs is `m (1 - (1 - 1/m)^n)`; with a
//! `max_age` T and Poisson clicks at `r` per pair, each pair costs one origin request per
//! renewal cycle of mean `T + 1/r`, so the hit ratio is `r T / (1 + r T)`.
//! Tests: `tests/client_cache.rs`.

use std::collections::{BTreeMap, HashMap};

use crate::engine::{SimDuration, SimTime};

/// Most entries one source keeps across all its clients.
pub const MAX_ENTRIES: usize = 10_000_000;

/// A source's client cache settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientCacheConfig {
    /// Most entries per client (least recently used forgotten first); `None`: no limit per
    /// client.
    pub capacity: Option<u32>,
}

/// (client, request type, key).
type Entry = (u32, u16, u64);

#[derive(Clone, Copy, Debug)]
struct Held {
    expires: SimTime,
    /// Last use, for the per-client LRU order.
    stamp: u64,
}

/// The browser caches of one source's clients.
pub struct ClientCache {
    config: ClientCacheConfig,
    entries: HashMap<Entry, Held>,
    /// Per-client LRU order, kept only with a capacity: (client, stamp) -> (type, key).
    order: BTreeMap<(u32, u64), (u16, u64)>,
    /// Entries per client, kept only with a capacity.
    per_client: HashMap<u32, u32>,
    next_stamp: u64,
    pub clicks: u64,
    pub hits: u64,
    pub stored: u64,
    pub expired: u64,
    pub evictions: u64,
    pub not_stored: u64,
}

impl ClientCache {
    pub fn new(config: ClientCacheConfig) -> Self {
        ClientCache {
            config,
            entries: HashMap::new(),
            order: BTreeMap::new(),
            per_client: HashMap::new(),
            next_stamp: 0,
            clicks: 0,
            hits: 0,
            stored: 0,
            expired: 0,
            evictions: 0,
            not_stored: 0,
        }
    }

    /// A click: true if the client holds a valid answer (a hit, answered locally).
    pub fn click(&mut self, client: u32, kind: u16, key: u64, now: SimTime) -> bool {
        self.clicks += 1;
        let entry = (client, kind, key);
        let Some(held) = self.entries.get(&entry).copied() else {
            return false;
        };
        if held.expires <= now {
            self.expired += 1;
            self.remove(entry, held);
            return false;
        }
        self.hits += 1;
        if self.config.capacity.is_some() {
            let stamp = self.stamp();
            self.order.remove(&(client, held.stamp));
            self.order.insert((client, stamp), (kind, key));
            if let Some(h) = self.entries.get_mut(&entry) {
                h.stamp = stamp;
            }
        }
        true
    }

    /// A cacheable answer came back: keep it for `max_age` (`SimDuration::MAX`: for ever).
    pub fn store(&mut self, client: u32, kind: u16, key: u64, max_age: SimDuration, now: SimTime) {
        let entry = (client, kind, key);
        let expires = if max_age == SimDuration::MAX {
            SimTime::NEVER
        } else {
            now + max_age
        };
        if let Some(old) = self.entries.get(&entry).copied() {
            // Two clicks were in flight at once: refresh the entry.
            self.remove(entry, old);
        } else if self.entries.len() >= MAX_ENTRIES {
            self.not_stored += 1;
            return;
        }
        let stamp = self.stamp();
        if let Some(capacity) = self.config.capacity {
            let count = self.per_client.entry(client).or_insert(0);
            if *count >= capacity {
                let oldest = self
                    .order
                    .range((client, 0)..=(client, u64::MAX))
                    .next()
                    .map(|(&(_, s), &(k, key))| (s, k, key));
                if let Some((s, k, key)) = oldest {
                    self.order.remove(&(client, s));
                    self.entries.remove(&(client, k, key));
                    *count -= 1;
                    self.evictions += 1;
                }
            }
            *count += 1;
            self.order.insert((client, stamp), (kind, key));
        }
        self.entries.insert(entry, Held { expires, stamp });
        self.stored += 1;
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn stamp(&mut self) -> u64 {
        self.next_stamp += 1;
        self.next_stamp
    }

    fn remove(&mut self, entry: Entry, held: Held) {
        self.entries.remove(&entry);
        if self.config.capacity.is_some() {
            self.order.remove(&(entry.0, held.stamp));
            if let Some(count) = self.per_client.get_mut(&entry.0) {
                *count = count.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_millis(ms)
    }

    #[test]
    fn a_stored_answer_is_a_hit_until_it_expires() {
        let mut c = ClientCache::new(ClientCacheConfig { capacity: None });
        assert!(!c.click(1, 0, 7, at(0)));
        c.store(1, 0, 7, SimDuration::from_millis(100), at(0));
        assert!(c.click(1, 0, 7, at(50)));
        assert!(
            !c.click(2, 0, 7, at(50)),
            "another client does not share it"
        );
        assert!(
            !c.click(1, 1, 7, at(50)),
            "another request type does not share it"
        );
        assert!(!c.click(1, 0, 7, at(100)), "expired at max_age");
        assert_eq!((c.clicks, c.hits, c.expired), (5, 1, 1));
        assert!(c.is_empty());
    }

    #[test]
    fn a_full_client_forgets_its_least_recently_used_entry() {
        let mut c = ClientCache::new(ClientCacheConfig { capacity: Some(2) });
        c.store(1, 0, 1, SimDuration::MAX, at(0));
        c.store(1, 0, 2, SimDuration::MAX, at(0));
        assert!(c.click(1, 0, 1, at(1))); // 2 is now the least recently used
        c.store(1, 0, 3, SimDuration::MAX, at(2));
        c.store(2, 0, 9, SimDuration::MAX, at(2)); // another client: no eviction
        assert_eq!(c.evictions, 1);
        assert!(c.click(1, 0, 1, at(3)));
        assert!(!c.click(1, 0, 2, at(3)));
        assert!(c.click(1, 0, 3, at(3)));
        assert_eq!(c.len(), 3);
    }
}
