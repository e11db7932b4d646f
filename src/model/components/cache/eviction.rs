//! The cache's storage: a keyed slab of entries with a capacity (entries and/or bytes) and an
//! eviction policy, every operation O(1).
//!
//! Entries live in a [`Slab`] of slots and are chained by index into intrusive doubly-linked
//! lists, so that in steady state no operation allocates. A `HashMap<u64, u32>` with a fixed
//! hasher ([`KeyHasher`](crate::model::support::key_map::KeyHasher)) finds a key's slot; it is only ever looked up, never iterated, so
//! results cannot depend on its internal order.
//!
//! Policies ([`Policy`]) and their tie-breaking, which the reference models in the tests copy:
//! - `Lru`: one list in order of last access; evicts the least recently used entry.
//! - `Fifo`: one list in order of insertion; hits do not move an entry; evicts the oldest.
//! - `Lfu`: the constant-time structure of Shah, Mitra and Matani, "An O(1) algorithm for
//!   implementing the LFU cache eviction scheme" (2010): a list of frequency buckets in
//!   increasing order of access count, each holding its entries in order of arrival in the
//!   bucket. An access moves an entry to the next bucket (created if missing, removed when
//!   empty). Evicts the entry that has had the lowest count longest, i.e. the least recently
//!   used of the least frequently used. Counts are *in-cache*: an evicted key starts again at 1.
//! - `Random`: a dense array of the entries; evicts one chosen uniformly with the store's own
//!   random stream.
//!
//! Independently of the policy, the store can keep entries in order of last write and of last
//! access, so that expiry ("TTL after write", "TTL after access") finds the next entry to expire
//! in O(1): with one TTL per cache, expiry times are in the same order as those instants.
//!
//! Tests: property tests against naive `Vec`-based models of each policy (`proptest_*`), and
//! hit ratios under the independent reference model against theory in `super::theory`.

use rand::Rng;

use crate::engine::rng::SimRng;
use crate::model::support::key_map::KeyMap;
use crate::model::support::slab::Slab;

/// Which entry a full cache evicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Lru,
    Lfu,
    Fifo,
    Random,
}

impl Policy {
    pub const NAMES: [&'static str; 4] = ["lru", "lfu", "fifo", "random"];

    pub fn from_name(name: &str) -> Option<Policy> {
        match name {
            "lru" => Some(Policy::Lru),
            "lfu" => Some(Policy::Lfu),
            "fifo" => Some(Policy::Fifo),
            "random" => Some(Policy::Random),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Policy::Lru => "lru",
            Policy::Lfu => "lfu",
            Policy::Fifo => "fifo",
            Policy::Random => "random",
        }
    }
}

/// No slot / no bucket.
const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Link {
    prev: u32,
    next: u32,
}

const UNLINKED: Link = Link {
    prev: NIL,
    next: NIL,
};

/// An intrusive doubly-linked list over the nodes of a slab; `front` is the oldest end.
#[derive(Clone, Copy, Debug)]
struct List {
    front: u32,
    back: u32,
}

const EMPTY: List = List {
    front: NIL,
    back: NIL,
};

impl List {
    fn push_back<T>(&mut self, nodes: &mut [T], i: u32, link: fn(&mut T) -> &mut Link) {
        *link(&mut nodes[i as usize]) = Link {
            prev: self.back,
            next: NIL,
        };
        match self.back {
            NIL => self.front = i,
            back => link(&mut nodes[back as usize]).next = i,
        }
        self.back = i;
    }

    /// Inserts `i` right after `after` (which must be in the list).
    fn insert_after<T>(
        &mut self,
        nodes: &mut [T],
        after: u32,
        i: u32,
        link: fn(&mut T) -> &mut Link,
    ) {
        let next = link(&mut nodes[after as usize]).next;
        *link(&mut nodes[i as usize]) = Link { prev: after, next };
        link(&mut nodes[after as usize]).next = i;
        match next {
            NIL => self.back = i,
            next => link(&mut nodes[next as usize]).prev = i,
        }
    }

    /// Inserts `i` at the front.
    fn push_front<T>(&mut self, nodes: &mut [T], i: u32, link: fn(&mut T) -> &mut Link) {
        *link(&mut nodes[i as usize]) = Link {
            prev: NIL,
            next: self.front,
        };
        match self.front {
            NIL => self.back = i,
            front => link(&mut nodes[front as usize]).prev = i,
        }
        self.front = i;
    }

    fn unlink<T>(&mut self, nodes: &mut [T], i: u32, link: fn(&mut T) -> &mut Link) {
        let Link { prev, next } = *link(&mut nodes[i as usize]);
        match prev {
            NIL => self.front = next,
            prev => link(&mut nodes[prev as usize]).next = next,
        }
        match next {
            NIL => self.back = prev,
            next => link(&mut nodes[next as usize]).prev = prev,
        }
        *link(&mut nodes[i as usize]) = UNLINKED;
    }

    fn move_to_back<T>(&mut self, nodes: &mut [T], i: u32, link: fn(&mut T) -> &mut Link) {
        if self.back != i {
            self.unlink(nodes, i, link);
            self.push_back(nodes, i, link);
        }
    }
}

/// One entry's slot.
#[derive(Clone, Debug)]
struct Slot<V> {
    key: u64,
    size: u64,
    /// Incremented each time the slot takes a new entry, so that timers can tell them apart.
    generation: u32,
    live: bool,
    /// Place in the policy's list (LRU, FIFO, LFU bucket); for `Random`, `prev` is the index in
    /// the dense array.
    policy: Link,
    /// LFU: the frequency bucket holding the entry.
    bucket: u32,
    written: Link,
    accessed: Link,
    value: V,
}

fn policy_link<V>(s: &mut Slot<V>) -> &mut Link {
    &mut s.policy
}
fn written_link<V>(s: &mut Slot<V>) -> &mut Link {
    &mut s.written
}
fn accessed_link<V>(s: &mut Slot<V>) -> &mut Link {
    &mut s.accessed
}

/// LFU: the entries accessed exactly `count` times.
#[derive(Clone, Debug)]
struct Bucket {
    count: u64,
    entries: List,
    link: Link,
}

fn bucket_link(b: &mut Bucket) -> &mut Link {
    &mut b.link
}

/// Capacity of a store; `None` is unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    pub entries: Option<u64>,
    pub bytes: Option<u64>,
}

/// Which orders the store keeps besides its policy's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Orders {
    /// Keep entries in order of last write ([`Store::oldest_written`]).
    pub write: bool,
    /// Keep entries in order of last access ([`Store::least_recently_accessed`]).
    pub access: bool,
}

/// Entries with a capacity and an eviction policy. `V` is the caller's per-entry data.
pub struct Store<V> {
    policy: Policy,
    limits: Limits,
    orders: Orders,
    map: KeyMap<u64, u32>,
    slots: Slab<Slot<V>>,
    len: u64,
    used_bytes: u64,
    /// LRU and FIFO order.
    queue: List,
    /// LFU buckets in increasing count, and their slab.
    buckets: Slab<Bucket>,
    bucket_list: List,
    /// Random: the live slots, densely.
    dense: Vec<u32>,
    written: List,
    accessed: List,
    rng: SimRng,
}

impl<V: Copy + Default> Store<V> {
    /// `rng` is used only by the `Random` policy.
    pub fn new(policy: Policy, limits: Limits, orders: Orders, rng: SimRng) -> Self {
        Store {
            policy,
            limits,
            orders,
            map: KeyMap::default(),
            slots: Slab::default(),
            len: 0,
            used_bytes: 0,
            queue: EMPTY,
            buckets: Slab::default(),
            bucket_list: EMPTY,
            dense: Vec::new(),
            written: EMPTY,
            accessed: EMPTY,
            rng,
        }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Entries stored.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sum of the sizes of the entries stored [bytes].
    pub fn used_bytes(&self) -> u64 {
        self.used_bytes
    }

    /// The slot holding `key`, without counting an access.
    #[inline]
    pub fn find(&self, key: u64) -> Option<u32> {
        self.map.get(&key).copied()
    }

    pub fn key(&self, slot: u32) -> u64 {
        self.slots[slot as usize].key
    }

    pub fn size(&self, slot: u32) -> u64 {
        self.slots[slot as usize].size
    }

    pub fn generation(&self, slot: u32) -> u32 {
        self.slots[slot as usize].generation
    }

    /// Whether `slot` holds an entry of generation `generation` (for timers set earlier).
    pub fn is_current(&self, slot: u32, generation: u32) -> bool {
        self.slots
            .get(slot as usize)
            .is_some_and(|s| s.live && s.generation == generation)
    }

    pub fn value(&self, slot: u32) -> &V {
        &self.slots[slot as usize].value
    }

    pub fn value_mut(&mut self, slot: u32) -> &mut V {
        &mut self.slots[slot as usize].value
    }

    /// LFU: the entry's access count (1 after insertion); 0 for other policies.
    pub fn count(&self, slot: u32) -> u64 {
        match self.policy {
            Policy::Lfu => self.buckets[self.slots[slot as usize].bucket as usize].count,
            _ => 0,
        }
    }

    /// Whether an entry of `size` bytes could be stored at all (in an otherwise empty store).
    pub fn fits(&self, size: u64) -> bool {
        self.limits.entries.is_none_or(|n| n >= 1) && self.limits.bytes.is_none_or(|b| size <= b)
    }

    /// Whether an entry of `size` bytes must wait for an eviction before it can be inserted.
    pub fn needs_room(&self, size: u64) -> bool {
        self.len > 0
            && (self.limits.entries.is_some_and(|n| self.len >= n)
                || self
                    .limits
                    .bytes
                    .is_some_and(|b| self.used_bytes + size > b))
    }

    /// The entry the policy would evict now (`Random` draws it, so two calls may differ).
    pub fn victim(&mut self) -> Option<u32> {
        match self.policy {
            Policy::Lru | Policy::Fifo => Some(self.queue.front).filter(|&s| s != NIL),
            Policy::Lfu => match self.bucket_list.front {
                NIL => None,
                b => Some(self.buckets[b as usize].entries.front),
            },
            Policy::Random => match self.dense.len() {
                0 => None,
                n => Some(self.dense[self.rng.random_range(0..n)]),
            },
        }
    }

    /// An access to the entry (a read or a write hit): LRU moves it to the back, LFU counts it.
    pub fn touch(&mut self, slot: u32) {
        match self.policy {
            Policy::Lru => self
                .queue
                .move_to_back(&mut self.slots, slot, policy_link::<V>),
            Policy::Lfu => self.lfu_increment(slot),
            Policy::Fifo | Policy::Random => {}
        }
        if self.orders.access {
            self.accessed
                .move_to_back(&mut self.slots, slot, accessed_link::<V>);
        }
    }

    /// The entry's value was replaced: it moves to the back of the write order.
    pub fn rewritten(&mut self, slot: u32) {
        if self.orders.write {
            self.written
                .move_to_back(&mut self.slots, slot, written_link::<V>);
        }
    }

    /// The entry written longest ago (kept only with `Orders::write`).
    pub fn oldest_written(&self) -> Option<u32> {
        Some(self.written.front).filter(|&s| s != NIL)
    }

    /// The entry accessed longest ago (kept only with `Orders::access`).
    pub fn least_recently_accessed(&self) -> Option<u32> {
        Some(self.accessed.front).filter(|&s| s != NIL)
    }

    /// Inserts `key`, which must be absent; the caller makes room first (see
    /// [`Store::needs_room`]). Counts as the entry's first access and write.
    pub fn insert(&mut self, key: u64, size: u64, value: V) -> u32 {
        debug_assert!(!self.map.contains_key(&key), "key {key} inserted twice");
        let slot = self.slots.insert_with(
            || Slot {
                key,
                size,
                generation: 0,
                live: true,
                policy: UNLINKED,
                bucket: NIL,
                written: UNLINKED,
                accessed: UNLINKED,
                value,
            },
            // A freed slot's links were undone when it was removed.
            |s| {
                s.generation = s.generation.wrapping_add(1);
                s.key = key;
                s.size = size;
                s.live = true;
                s.value = value;
            },
        );
        self.map.insert(key, slot);
        self.len += 1;
        self.used_bytes += size;
        match self.policy {
            Policy::Lru | Policy::Fifo => {
                self.queue
                    .push_back(&mut self.slots, slot, policy_link::<V>)
            }
            Policy::Lfu => self.lfu_insert(slot),
            Policy::Random => {
                self.slots[slot as usize].policy.prev = self.dense.len() as u32;
                self.dense.push(slot);
            }
        }
        if self.orders.write {
            self.written
                .push_back(&mut self.slots, slot, written_link::<V>);
        }
        if self.orders.access {
            self.accessed
                .push_back(&mut self.slots, slot, accessed_link::<V>);
        }
        slot
    }

    /// Removes the entry in `slot`, returning its key and value.
    pub fn remove(&mut self, slot: u32) -> (u64, V) {
        let (key, size, value) = {
            let s = &self.slots[slot as usize];
            debug_assert!(s.live, "removing a free slot");
            (s.key, s.size, s.value)
        };
        self.map.remove(&key);
        match self.policy {
            Policy::Lru | Policy::Fifo => {
                self.queue.unlink(&mut self.slots, slot, policy_link::<V>)
            }
            Policy::Lfu => self.lfu_remove(slot),
            Policy::Random => {
                let index = self.slots[slot as usize].policy.prev as usize;
                self.dense.swap_remove(index);
                if let Some(&moved) = self.dense.get(index) {
                    self.slots[moved as usize].policy.prev = index as u32;
                }
                self.slots[slot as usize].policy = UNLINKED;
            }
        }
        if self.orders.write {
            self.written
                .unlink(&mut self.slots, slot, written_link::<V>);
        }
        if self.orders.access {
            self.accessed
                .unlink(&mut self.slots, slot, accessed_link::<V>);
        }
        let s = &mut self.slots[slot as usize];
        s.live = false;
        s.value = V::default();
        self.slots.release(slot);
        self.len -= 1;
        self.used_bytes -= size;
        (key, value)
    }

    /// Calls `f` with every entry, in slot order (deterministic), then empties the store. Used
    /// when a cache node loses its memory.
    pub fn drain(&mut self, mut f: impl FnMut(u64, &V)) {
        for s in &self.slots {
            if s.live {
                f(s.key, &s.value);
            }
        }
        // Keep the allocations: a restarted node fills up again.
        self.map.clear();
        for s in self.slots.iter_mut() {
            if s.live {
                s.generation = s.generation.wrapping_add(1);
            }
            s.live = false;
            s.value = V::default();
            s.policy = UNLINKED;
            s.written = UNLINKED;
            s.accessed = UNLINKED;
            s.bucket = NIL;
        }
        self.slots.release_all();
        self.buckets.clear();
        self.bucket_list = EMPTY;
        self.dense.clear();
        self.queue = EMPTY;
        self.written = EMPTY;
        self.accessed = EMPTY;
        self.len = 0;
        self.used_bytes = 0;
    }

    fn new_bucket(&mut self, count: u64) -> u32 {
        let bucket = Bucket {
            count,
            entries: EMPTY,
            link: UNLINKED,
        };
        self.buckets.insert(bucket)
    }

    fn lfu_insert(&mut self, slot: u32) {
        let front = self.bucket_list.front;
        let bucket = if front != NIL && self.buckets[front as usize].count == 1 {
            front
        } else {
            let b = self.new_bucket(1);
            self.bucket_list
                .push_front(&mut self.buckets, b, bucket_link);
            b
        };
        self.add_to_bucket(slot, bucket);
    }

    fn add_to_bucket(&mut self, slot: u32, bucket: u32) {
        self.slots[slot as usize].bucket = bucket;
        let mut entries = self.buckets[bucket as usize].entries;
        entries.push_back(&mut self.slots, slot, policy_link::<V>);
        self.buckets[bucket as usize].entries = entries;
    }

    /// Takes `slot` out of its bucket, deleting the bucket if it empties; returns the bucket
    /// before it in the list (or `NIL`) if deleted, else the bucket itself, as the place where
    /// the next count's bucket belongs after.
    fn take_from_bucket(&mut self, slot: u32) -> (u32, bool) {
        let bucket = self.slots[slot as usize].bucket;
        let mut entries = self.buckets[bucket as usize].entries;
        entries.unlink(&mut self.slots, slot, policy_link::<V>);
        self.buckets[bucket as usize].entries = entries;
        self.slots[slot as usize].bucket = NIL;
        if entries.front == NIL {
            let before = self.buckets[bucket as usize].link.prev;
            self.bucket_list
                .unlink(&mut self.buckets, bucket, bucket_link);
            self.buckets.release(bucket);
            (before, true)
        } else {
            (bucket, false)
        }
    }

    fn lfu_increment(&mut self, slot: u32) {
        let old = self.slots[slot as usize].bucket;
        let count = self.buckets[old as usize].count + 1;
        let next = self.buckets[old as usize].link.next;
        let (anchor, _) = self.take_from_bucket(slot);
        let target = if next != NIL && self.buckets[next as usize].count == count {
            next
        } else {
            let b = self.new_bucket(count);
            match anchor {
                NIL => self
                    .bucket_list
                    .push_front(&mut self.buckets, b, bucket_link),
                anchor => self
                    .bucket_list
                    .insert_after(&mut self.buckets, anchor, b, bucket_link),
            }
            b
        };
        self.add_to_bucket(slot, target);
    }

    fn lfu_remove(&mut self, slot: u32) {
        self.take_from_bucket(slot);
        self.slots[slot as usize].policy = UNLINKED;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::{splitmix64, stream};
    use proptest::prelude::*;

    fn store(policy: Policy, entries: Option<u64>, bytes: Option<u64>) -> Store<u64> {
        Store::new(
            policy,
            Limits { entries, bytes },
            Orders {
                write: true,
                access: true,
            },
            stream(1, "test", "eviction"),
        )
    }

    /// A read of `key` through a cache-on-miss store: true on a hit. Evicted keys are appended
    /// to `evicted`.
    fn access(s: &mut Store<u64>, key: u64, size: u64, evicted: &mut Vec<u64>) -> bool {
        if let Some(slot) = s.find(key) {
            s.touch(slot);
            return true;
        }
        if !s.fits(size) {
            return false;
        }
        while s.needs_room(size) {
            let victim = s.victim().expect("a full store has a victim");
            evicted.push(s.remove(victim).0);
        }
        s.insert(key, size, key);
        false
    }

    #[test]
    fn lru_evicts_the_least_recently_used() {
        let mut s = store(Policy::Lru, Some(3), None);
        let mut ev = vec![];
        for k in [1, 2, 3, 1, 4] {
            access(&mut s, k, 1, &mut ev);
        }
        assert_eq!(ev, vec![2]);
        access(&mut s, 5, 1, &mut ev);
        assert_eq!(ev, vec![2, 3]);
    }

    #[test]
    fn fifo_ignores_hits() {
        let mut s = store(Policy::Fifo, Some(3), None);
        let mut ev = vec![];
        for k in [1, 2, 3, 1, 1, 4] {
            access(&mut s, k, 1, &mut ev);
        }
        assert_eq!(ev, vec![1]);
    }

    #[test]
    fn lfu_evicts_the_least_frequent_then_least_recent() {
        let mut s = store(Policy::Lfu, Some(3), None);
        let mut ev = vec![];
        // Counts: 1 -> 3, 2 -> 1, 3 -> 2; then 4 evicts 2 (count 1).
        for k in [1, 2, 3, 1, 1, 3, 4] {
            access(&mut s, k, 1, &mut ev);
        }
        assert_eq!(ev, vec![2]);
        assert_eq!(s.count(s.find(1).unwrap()), 3);
        assert_eq!(s.count(s.find(3).unwrap()), 2);
        assert_eq!(s.count(s.find(4).unwrap()), 1);
        // 5 evicts 4 (count 1, the only one).
        access(&mut s, 5, 1, &mut ev);
        assert_eq!(ev, vec![2, 4]);
        // Tie at count 2 between 3 (reached 2 earlier) and 5 (after one hit): 6 evicts... the
        // count-1 entry first, then among count 2 the earliest to reach it.
        access(&mut s, 5, 1, &mut ev);
        access(&mut s, 6, 1, &mut ev);
        assert_eq!(ev, vec![2, 4, 3]);
    }

    #[test]
    fn byte_capacity_evicts_until_the_new_entry_fits() {
        let mut s = store(Policy::Lru, None, Some(10));
        let mut ev = vec![];
        access(&mut s, 1, 4, &mut ev);
        access(&mut s, 2, 4, &mut ev);
        access(&mut s, 3, 8, &mut ev);
        assert_eq!(ev, vec![1, 2]);
        assert_eq!(s.used_bytes(), 8);
        assert!(!access(&mut s, 4, 11, &mut ev), "too large to cache");
        assert_eq!(s.find(4), None);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn write_and_access_orders_follow_writes_and_touches() {
        let mut s = store(Policy::Fifo, None, None);
        let a = s.insert(1, 1, 0);
        let b = s.insert(2, 1, 0);
        assert_eq!(s.oldest_written(), Some(a));
        s.rewritten(a);
        assert_eq!(s.oldest_written(), Some(b));
        assert_eq!(s.least_recently_accessed(), Some(a));
        s.touch(a);
        assert_eq!(s.least_recently_accessed(), Some(b));
        s.remove(b);
        assert_eq!(s.oldest_written(), Some(a));
        assert_eq!(s.least_recently_accessed(), Some(a));
    }

    #[test]
    fn slots_are_reused_with_a_new_generation_and_drain_empties() {
        let mut s = store(Policy::Random, Some(2), None);
        let a = s.insert(1, 1, 10);
        let g = s.generation(a);
        s.remove(a);
        assert!(!s.is_current(a, g));
        let b = s.insert(2, 1, 20);
        assert_eq!(a, b);
        assert!(s.is_current(b, g.wrapping_add(1)));
        s.insert(3, 1, 30);
        let mut seen = vec![];
        s.drain(|k, v| seen.push((k, *v)));
        assert_eq!(seen, vec![(2, 20), (3, 30)]);
        assert!(s.is_empty());
        assert_eq!(s.used_bytes(), 0);
        assert_eq!(s.find(2), None);
        assert_eq!(s.victim(), None);
        let c = s.insert(4, 1, 40);
        assert_eq!(s.find(4), Some(c));
        assert_eq!(s.victim(), Some(c));
    }

    /// Naive models: a `Vec` of (key, size, count, last touch), with the same tie-breaking.
    #[derive(Default)]
    struct Model {
        entries: Vec<(u64, u64, u64, u64)>,
        tick: u64,
    }

    impl Model {
        fn access(
            &mut self,
            policy: Policy,
            limits: Limits,
            key: u64,
            size: u64,
        ) -> (bool, Vec<u64>) {
            self.tick += 1;
            if let Some(e) = self.entries.iter_mut().find(|e| e.0 == key) {
                e.2 += 1;
                if policy != Policy::Fifo {
                    e.3 = self.tick;
                }
                return (true, vec![]);
            }
            if limits.bytes.is_some_and(|b| size > b) {
                return (false, vec![]);
            }
            let mut evicted = vec![];
            loop {
                let used: u64 = self.entries.iter().map(|e| e.1).sum();
                let full = !self.entries.is_empty()
                    && (limits
                        .entries
                        .is_some_and(|n| self.entries.len() as u64 >= n)
                        || limits.bytes.is_some_and(|b| used + size > b));
                if !full {
                    break;
                }
                // LRU and FIFO: smallest last touch (FIFO never updates it after insertion);
                // LFU: smallest (count, time the count was reached).
                let victim = match policy {
                    Policy::Lfu => (0..self.entries.len())
                        .min_by_key(|&i| (self.entries[i].2, self.entries[i].3)),
                    _ => (0..self.entries.len()).min_by_key(|&i| self.entries[i].3),
                };
                let i = victim.expect("non-empty");
                evicted.push(self.entries.remove(i).0);
            }
            self.entries.push((key, size, 1, self.tick));
            (false, evicted)
        }

        fn remove(&mut self, key: u64) {
            self.entries.retain(|e| e.0 != key);
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        Read(u64),
        Remove(u64),
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec(
            prop_oneof![
                9 => (0u64..24).prop_map(Op::Read),
                1 => (0u64..24).prop_map(Op::Remove),
            ],
            0..400,
        )
    }

    /// Deterministic per-key sizes 1..=5.
    fn size_of(key: u64) -> u64 {
        1 + splitmix64(key) % 5
    }

    fn check_against_model(
        policy: Policy,
        limits: Limits,
        sized: bool,
        ops: &[Op],
    ) -> Result<(), TestCaseError> {
        let mut s = store(policy, limits.entries, limits.bytes);
        let mut model = Model::default();
        for op in ops {
            match *op {
                Op::Read(key) => {
                    let size = if sized { size_of(key) } else { 1 };
                    let mut evicted = vec![];
                    let hit = access(&mut s, key, size, &mut evicted);
                    let (model_hit, model_evicted) = model.access(policy, limits, key, size);
                    prop_assert_eq!(hit, model_hit, "hit/miss of key {}", key);
                    prop_assert_eq!(evicted, model_evicted, "evictions for key {}", key);
                    if policy == Policy::Lfu && hit {
                        let count = model.entries.iter().find(|e| e.0 == key).unwrap().2;
                        prop_assert_eq!(s.count(s.find(key).unwrap()), count);
                    }
                }
                Op::Remove(key) => {
                    if let Some(slot) = s.find(key) {
                        s.remove(slot);
                    }
                    model.remove(key);
                }
            }
            prop_assert_eq!(s.len(), model.entries.len() as u64);
            let used: u64 = model.entries.iter().map(|e| e.1).sum();
            prop_assert_eq!(s.used_bytes(), used);
            prop_assert!(limits.entries.is_none_or(|n| s.len() <= n));
            prop_assert!(limits.bytes.is_none_or(|b| s.used_bytes() <= b));
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn proptest_lru_matches_model(ops in ops(), cap in 1u64..10, bytes in prop::option::of(3u64..20)) {
            check_against_model(Policy::Lru, Limits { entries: Some(cap), bytes }, bytes.is_some(), &ops)?;
        }

        #[test]
        fn proptest_fifo_matches_model(ops in ops(), cap in 1u64..10, bytes in prop::option::of(3u64..20)) {
            check_against_model(Policy::Fifo, Limits { entries: Some(cap), bytes }, bytes.is_some(), &ops)?;
        }

        #[test]
        fn proptest_lfu_matches_model(ops in ops(), cap in 1u64..10, bytes in prop::option::of(3u64..20)) {
            check_against_model(Policy::Lfu, Limits { entries: Some(cap), bytes }, bytes.is_some(), &ops)?;
        }

        #[test]
        fn proptest_random_respects_capacity_and_evicts_present_keys(
            ops in ops(), cap in 1u64..10, bytes in prop::option::of(3u64..20)
        ) {
            let limits = Limits { entries: Some(cap), bytes };
            let mut s = store(Policy::Random, limits.entries, limits.bytes);
            let mut present: Vec<u64> = vec![];
            for op in &ops {
                match *op {
                    Op::Read(key) => {
                        let size = if bytes.is_some() { size_of(key) } else { 1 };
                        let was_present = present.contains(&key);
                        let mut evicted = vec![];
                        let hit = access(&mut s, key, size, &mut evicted);
                        prop_assert_eq!(hit, was_present);
                        for k in evicted {
                            prop_assert!(present.contains(&k), "evicted absent key {}", k);
                            prop_assert!(k != key);
                            present.retain(|&p| p != k);
                        }
                        if !hit && s.find(key).is_some() {
                            present.push(key);
                        }
                    }
                    Op::Remove(key) => {
                        if let Some(slot) = s.find(key) {
                            s.remove(slot);
                        }
                        present.retain(|&p| p != key);
                    }
                }
                prop_assert_eq!(s.len(), present.len() as u64);
                prop_assert!(s.len() <= cap);
                prop_assert!(bytes.is_none_or(|b| s.used_bytes() <= b));
                for &k in &present {
                    prop_assert!(s.find(k).is_some());
                }
            }
        }
    }
}
