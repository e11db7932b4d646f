//! Cache: one node holding key-value entries in memory in front of a backing store (a database
//! server pool, another cache, ...), with a capacity, an eviction policy, expiry and a
//! strategy for reads and writes.
//!
//! Model and parameters:
//! - Capacity: at most `capacity` entries and/or `memory` bytes, each key's value having a
//!   deterministic size drawn from `value_size` ([`size`]); an entry larger than the memory is
//!   never stored. A full cache evicts by `eviction` policy: LRU, LFU, FIFO or RANDOM, each
//!   O(1) ([`eviction`]).
//! - Expiry: an entry expires `ttl` after it was last written (stored or updated) and/or
//!   `idle_ttl` after it was last read; expired entries are removed at the next operation on the
//!   cache (they are never served) and counted as expirations.
//! - Time: answering from memory takes `hit_time` [distribution]; finding a miss takes
//!   `miss_time` (default: `hit_time`) before the backing store is asked, so a miss costs
//!   `miss_time` plus the store's latency (network included). Writes the cache forwards to the
//!   store cost only the store's latency. The node has no queue: operations do not contend
//!   (a cache answers orders of magnitude faster than the stores behind it).
//! - Keys: a request's `key`; reads and writes by request type ([`World::is_write`]).
//!
//! Strategies ([`Strategy`]); every one but cache-aside loads a missing key from the backing
//! store on a read and stores it (read-through):
//! - `read_through`: writes pass through to the store and leave the cache as it is, so the
//!   cache serves the old value until the entry expires or is evicted (set a `ttl`).
//! - `write_through`: a write goes to the store; once it is acknowledged the cache stores the
//!   new value (inserting it if absent).
//! - `write_around`: a write goes to the store; once it is acknowledged the entry is removed.
//! - `write_back`: a write updates the cache and is acknowledged at once; the entry is dirty
//!   and is written to the store `flush_delay` after it became dirty (several writes in that
//!   time coalesce into one), or at once if it is evicted or expires. A crash loses the dirty
//!   entries; the loss is counted (entries and acknowledged writes).
//! - `cache_aside`: the cache never calls the store; the caller does (see [`aside`]).
//!
//! Stale reads: a hit is stale when the entry's version is older than the latest write to the
//! key that the backing store has acknowledged to its writer ([`crate::model::support::versions`]); dirty
//! write-back entries are never stale (they hold the newest data). Fills never replace an entry
//! holding a newer version. Not counted: with write-back, a read that misses while an evicted
//! dirty entry's flush is on its way loads the older value from the store, which has not
//! acknowledged the newer write yet.
//!
//! Replies carry [`CallDetail::Hit`], [`CallDetail::Stale`] or [`CallDetail::Miss`] on reads.
//!
//! Failures (the scenario's failure schedule, as [`Control`] messages): a crash loses the
//! node's memory (dirty entries are counted as lost) and fails the operations in progress
//! (counted as lost requests); the node answers "failed" until it recovers, empty, and warms up
//! again. A slow-down multiplies hit and miss times. [`Cache::crash`] and [`Cache::restart`]
//! do the same from code.
//!
//! Tests: `eviction` (property tests against naive models), `irm_tests` (hit ratios against
//! Che's approximation, Martina et al., the TTL renewal formula and the top-C mass), the
//! crash accounting test below, and `tests/cache.rs` (strategies, stale reads, crashes and hit
//! ratios end to end).

pub mod aside;
pub mod eviction;
pub mod size;
pub mod theory;

#[cfg(test)]
mod irm_tests;

use crate::engine::rng::{stream, SimRng};
use crate::engine::{Component, ComponentId, SimDuration, SimTime};
use crate::model::figures::cache::CacheFigures;
use crate::model::figures::Figures;
use crate::model::kind::Kind;
use crate::model::support::call::{CallDetail, CallId, Request, ANY_INSTANCE};
use crate::model::support::dist::Distribution;
use crate::model::support::slab::{Generational, Slab};
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use crate::model::{
    call, reply, take_reply, ComponentReport, Control, ModelSim, Msg, Node, RequestStats,
    WindowSeries, World,
};
use crate::stats::{LevelTracker, Outcome, Windows};
use eviction::{Limits, Orders, Policy, Store};
use size::{SizeLaw, ValueSizes};

/// How a cache handles reads and writes; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    CacheAside,
    ReadThrough,
    WriteThrough,
    WriteBack,
    WriteAround,
}

impl Strategy {
    pub const NAMES: [&'static str; 5] = [
        "read_through",
        "cache_aside",
        "write_through",
        "write_back",
        "write_around",
    ];

    pub fn from_name(name: &str) -> Option<Strategy> {
        match name {
            "cache_aside" => Some(Strategy::CacheAside),
            "read_through" => Some(Strategy::ReadThrough),
            "write_through" => Some(Strategy::WriteThrough),
            "write_back" => Some(Strategy::WriteBack),
            "write_around" => Some(Strategy::WriteAround),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Strategy::CacheAside => "cache_aside",
            Strategy::ReadThrough => "read_through",
            Strategy::WriteThrough => "write_through",
            Strategy::WriteBack => "write_back",
            Strategy::WriteAround => "write_around",
        }
    }
}

#[derive(Clone, Debug)]
pub struct CacheConfig {
    pub name: String,
    pub limits: Limits,
    pub policy: Policy,
    /// Sizes of the values, drawn per key.
    pub value_size: SizeLaw,
    /// Expire this long after the last write.
    pub ttl: Option<SimDuration>,
    /// Expire this long after the last read.
    pub idle_ttl: Option<SimDuration>,
    pub hit_time: Distribution,
    pub miss_time: Distribution,
    /// The store of record whose data the cache holds: called on misses and writes (except
    /// under cache-aside, where it is only used to tell stale reads).
    pub backing: Option<ComponentId>,
    pub strategy: Strategy,
    /// Write-back: delay between an entry becoming dirty and its flush.
    pub flush_delay: SimDuration,
}

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum CacheTimer {
        Op = 0,
        Flush = 1,
    }
}

/// What the cache knows about one entry.
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    /// Version of the data held (see [`crate::model::support::versions`]).
    version: u64,
    written_at: SimTime,
    read_at: SimTime,
    /// Write-back: acknowledged writes not yet sent to the store (0: clean).
    unflushed: u32,
    /// Write-back: when the entry last became dirty.
    dirty_since: SimTime,
    /// Write-back: a flush of this entry is on its way to the store.
    flushing: bool,
    /// Write-back: the request type of the latest write, used for the flush.
    write_kind: u16,
}

impl Entry {
    /// A clean entry holding `version`, written and read at `now`.
    fn fresh(version: u64, now: SimTime) -> Self {
        Entry {
            version,
            written_at: now,
            read_at: now,
            ..Entry::default()
        }
    }
}

/// No entry slot (a flush of an entry that has left the cache).
const NO_SLOT: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Free,
    /// Answer the caller (successfully, with this detail) when the timer fires.
    Answer(CallDetail),
    /// A read missed: ask the store when the timer fires.
    MissDelay,
    /// Waiting for the store's answer to a read.
    Load,
    /// Waiting for the store's answer to a write that passes through.
    PassThrough,
    WriteThrough,
    WriteAround,
    /// Waiting for the store's answer to a write-back flush of `writes` writes of the entry in
    /// (`slot`, `generation`), or of an entry that has left the cache (`slot == NO_SLOT`).
    Flush {
        slot: u32,
        generation: u32,
        writes: u32,
    },
}

/// An operation in progress.
#[derive(Clone, Copy, Debug)]
struct Op {
    generation: u32,
    phase: Phase,
    /// The caller's call (not used by flushes).
    upstream: CallId,
    arrived: SimTime,
    /// The node's epoch when the operation started: a crash since makes it fail.
    epoch: u32,
}

impl Generational for Op {
    fn generation_mut(&mut self) -> &mut u32 {
        &mut self.generation
    }
    fn set_free(&mut self) {
        self.phase = Phase::Free;
    }
}

/// Counts over the measured period (after the warm-up).
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    hits: u64,
    stale_reads: u64,
    misses: u64,
    writes: u64,
    fills: u64,
    invalidations: u64,
    evictions: u64,
    expirations: u64,
    too_large: u64,
    flushes: u64,
    flush_failures: u64,
    dirty_lost_entries: u64,
    dirty_lost_writes: u64,
    crashes: u64,
    /// Callers' operations failed by a crash.
    lost_in_crashes: u64,
}

/// Per-window series for timeseries.csv.
struct CacheWindows {
    hits: Windows<f64>,
    misses: Windows<f64>,
    reads: Windows<f64>,
    stale_reads: Windows<f64>,
    evictions: Windows<f64>,
    expirations: Windows<f64>,
}

pub struct Cache {
    config: CacheConfig,
    store: Store<Entry>,
    value_sizes: ValueSizes,
    ops: Slab<Op>,
    service_rng: SimRng,
    up: bool,
    epoch: u32,
    /// Hit and miss times are multiplied by this (a scripted slow-down).
    slowdown: f64,
    dirty_entries: u64,
    warmup_end: SimTime,
    stats: RequestStats,
    counters: Counters,
    windows: CacheWindows,
    memory: LevelTracker,
    entries: LevelTracker,
    dirty: LevelTracker,
    /// Measured stale reads by the component the newer write was acknowledged to (by id), in
    /// the order first seen: who left this cache's copies stale.
    stale_by_writer: Vec<(u32, u64)>,
    /// Every component's name, by id, to name those writers in the report.
    component_names: Vec<String>,
}

fn token(index: u32, generation: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(index)
}

fn untoken(token: u64) -> (u32, u32) {
    (token as u32, (token >> 32) as u32)
}

/// Why an entry leaves the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Removal {
    Evicted,
    Expired,
    Invalidated,
}

impl Cache {
    /// Random streams come from the scenario `seed` and the cache's name: "service" for hit
    /// and miss times, "eviction" for the RANDOM policy; value sizes from the seed alone.
    /// Gives the cache every component's name (by id), so that its report names the writers
    /// that left its copies stale (`stale_reads_by_writer`) instead of numbering them.
    pub fn with_component_names(mut self, names: Vec<String>) -> Self {
        self.component_names = names;
        self
    }

    /// A component's name by id (`#id` if the cache was not given the names).
    fn component_name(&self, id: u32) -> String {
        self.component_names
            .get(id as usize)
            .cloned()
            .unwrap_or_else(|| format!("#{id}"))
    }

    pub fn new(config: CacheConfig, seed: u64, world: &World) -> Self {
        let clock = world.clock;
        let orders = Orders {
            write: config.ttl.is_some(),
            access: config.idle_ttl.is_some(),
        };
        let level = || LevelTracker::new(clock.warmup_end, clock.window_ns);
        let windows = || Windows::new(clock.window_ns);
        let eviction_rng = stream(seed, &config.name, "eviction");
        Cache {
            store: Store::new(config.policy, config.limits, orders, eviction_rng),
            value_sizes: ValueSizes::new(config.value_size, seed),
            service_rng: stream(seed, &config.name, "service"),
            config,
            ops: Slab::default(),
            up: true,
            epoch: 0,
            slowdown: 1.0,
            dirty_entries: 0,
            warmup_end: clock.warmup_end,
            stats: RequestStats::new(clock),
            counters: Counters::default(),
            windows: CacheWindows {
                hits: windows(),
                misses: windows(),
                reads: windows(),
                stale_reads: windows(),
                evictions: windows(),
                expirations: windows(),
            },
            memory: level(),
            entries: level(),
            dirty: level(),
            stale_by_writer: Vec::new(),
            component_names: Vec::new(),
        }
    }

    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// Entries held now.
    pub fn len(&self) -> u64 {
        self.store.len()
    }

    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }

    pub fn is_up(&self) -> bool {
        self.up
    }

    /// Dirty write-back entries lost in crashes so far (and writes in them), whatever the
    /// warm-up.
    pub fn dirty_lost(&self) -> (u64, u64) {
        (
            self.counters.dirty_lost_entries,
            self.counters.dirty_lost_writes,
        )
    }

    /// The node loses its memory: every entry is dropped and the dirty ones are counted as
    /// lost. Operations in progress fail as their next step comes; new calls fail until
    /// [`Cache::restart`].
    pub fn crash(&mut self, now: SimTime) {
        if !self.up {
            return;
        }
        self.up = false;
        self.epoch = self.epoch.wrapping_add(1);
        let (mut entries, mut writes) = (0, 0);
        self.store.drain(|_, e| {
            if e.unflushed > 0 {
                entries += 1;
                writes += u64::from(e.unflushed);
            }
        });
        // Losses are counted whatever the warm-up: they are rare and always matter.
        self.counters.dirty_lost_entries += entries;
        self.counters.dirty_lost_writes += writes;
        self.counters.crashes += 1;
        self.dirty_entries = 0;
        self.note_levels(now);
    }

    /// The node is back, empty.
    pub fn restart(&mut self, now: SimTime) {
        self.up = true;
        self.note_levels(now);
    }

    fn on_control(&mut self, control: Control, sim: &mut ModelSim) {
        match control {
            Control::Crash { .. } => {
                if !self.up {
                    return;
                }
                self.crash(sim.now());
                // The callers' operations in progress fail now (flushes already sent go on).
                for i in 0..self.ops.len() as u32 {
                    let o = self.ops[i as usize];
                    if matches!(o.phase, Phase::Free | Phase::Flush { .. }) {
                        continue;
                    }
                    self.free_op(i);
                    self.counters.lost_in_crashes += 1;
                    self.answer(
                        o.upstream,
                        o.arrived,
                        Outcome::Failed,
                        CallDetail::None,
                        sim,
                    );
                }
            }
            Control::Recover { .. } => self.restart(sim.now()),
            Control::Slow { factor, .. } => self.slowdown = f64::from(factor),
            // Validation keeps injected errors to server pools.
            Control::Errors { .. } => {}
            Control::ClockJump { .. } => {}
        }
    }

    /// A hit or miss time, slowed down if need be.
    fn draw(&mut self, miss: bool) -> SimDuration {
        let law = if miss {
            &self.config.miss_time
        } else {
            &self.config.hit_time
        };
        let d = law.sample(&mut self.service_rng);
        if self.slowdown == 1.0 {
            d
        } else {
            SimDuration::from_secs_f64(d.as_secs_f64() * self.slowdown)
        }
    }

    fn measured(&self, now: SimTime) -> bool {
        now >= self.warmup_end
    }

    fn note_levels(&mut self, now: SimTime) {
        self.memory.set(now, self.store.used_bytes());
        self.entries.set(now, self.store.len());
        self.dirty.set(now, self.dirty_entries);
    }

    fn new_op(&mut self, phase: Phase, upstream: CallId, arrived: SimTime) -> u32 {
        let epoch = self.epoch;
        self.ops.insert_next_generation(Op {
            generation: 0,
            phase,
            upstream,
            arrived,
            epoch,
        })
    }

    fn free_op(&mut self, i: u32) {
        self.ops.remove(i);
    }

    /// Answers the caller's call now.
    fn answer(
        &mut self,
        id: CallId,
        arrived: SimTime,
        outcome: Outcome,
        detail: CallDetail,
        sim: &mut ModelSim,
    ) {
        if detail != CallDetail::None {
            sim.world.calls.get_mut(id).detail = detail;
        }
        self.stats.finish(arrived, sim.now(), outcome);
        reply(sim, id, outcome);
    }

    /// Answers successfully after a hit time.
    fn answer_after_hit_time(
        &mut self,
        me: ComponentId,
        id: CallId,
        detail: CallDetail,
        sim: &mut ModelSim,
    ) {
        let now = sim.now();
        let delay = self.draw(false);
        if delay.is_zero() {
            self.answer(id, now, Outcome::Succeeded, detail, sim);
        } else {
            let op = self.new_op(Phase::Answer(detail), id, now);
            self.schedule_op(me, op, delay, sim);
        }
    }

    fn schedule_op(&self, me: ComponentId, op: u32, delay: SimDuration, sim: &mut ModelSim) {
        sim.schedule_in(
            delay,
            me,
            Msg::timer(CacheTimer::Op, op, self.ops[op as usize].generation),
        );
    }

    /// Sends the request of `op` to the backing store.
    fn call_backing(&mut self, me: ComponentId, op: u32, request: Request, sim: &mut ModelSim) {
        let Some(backing) = self.config.backing else {
            // Validation gives every strategy that calls the store a backing store.
            let o = self.ops[op as usize];
            self.free_op(op);
            self.answer(
                o.upstream,
                o.arrived,
                Outcome::Failed,
                CallDetail::None,
                sim,
            );
            return;
        };
        let generation = self.ops[op as usize].generation;
        call(
            sim,
            me,
            backing,
            token(op, generation),
            request,
            ANY_INSTANCE,
        );
    }

    /// Removes the entries whose time is up.
    fn purge_expired(&mut self, me: ComponentId, sim: &mut ModelSim) {
        let now = sim.now();
        if let Some(ttl) = self.config.ttl {
            while let Some(slot) = self.store.oldest_written() {
                if self.store.value(slot).written_at + ttl > now {
                    break;
                }
                self.remove(me, slot, Removal::Expired, sim);
            }
        }
        if let Some(idle) = self.config.idle_ttl {
            while let Some(slot) = self.store.least_recently_accessed() {
                if self.store.value(slot).read_at + idle > now {
                    break;
                }
                self.remove(me, slot, Removal::Expired, sim);
            }
        }
    }

    /// Takes an entry out of the cache, flushing it first if it is dirty.
    fn remove(&mut self, me: ComponentId, slot: u32, why: Removal, sim: &mut ModelSim) {
        let now = sim.now();
        let (key, entry) = self.store.remove(slot);
        if entry.unflushed > 0 {
            self.dirty_entries -= 1;
            self.flush(me, key, entry.write_kind, entry.unflushed, NO_SLOT, 0, sim);
        }
        let measured = self.measured(now);
        match why {
            Removal::Evicted => {
                *self.windows.evictions.at(now) += 1.0;
                if measured {
                    self.counters.evictions += 1;
                }
            }
            Removal::Expired => {
                *self.windows.expirations.at(now) += 1.0;
                if measured {
                    self.counters.expirations += 1;
                }
            }
            Removal::Invalidated => {
                if measured {
                    self.counters.invalidations += 1;
                }
            }
        }
    }

    /// Stores `key` at `version`, evicting as needed; returns its slot, or `None` if the value
    /// is too large to cache.
    fn insert(
        &mut self,
        me: ComponentId,
        key: u64,
        entry: Entry,
        sim: &mut ModelSim,
    ) -> Option<u32> {
        let size = self.value_sizes.of(key);
        if !self.store.fits(size) {
            if self.measured(sim.now()) {
                self.counters.too_large += 1;
            }
            return None;
        }
        while self.store.needs_room(size) {
            let Some(victim) = self.store.victim() else {
                break;
            };
            self.remove(me, victim, Removal::Evicted, sim);
        }
        Some(self.store.insert(key, size, entry))
    }

    /// Stores data read from the store at `version`, unless the cache holds newer data.
    fn fill(&mut self, me: ComponentId, key: u64, version: u64, sim: &mut ModelSim) {
        let now = sim.now();
        if self.measured(now) {
            self.counters.fills += 1;
        }
        match self.store.find(key) {
            Some(slot) => {
                let e = self.store.value_mut(slot);
                if e.unflushed == 0 && !e.flushing && e.version < version {
                    e.version = version;
                    e.written_at = now;
                    self.store.rewritten(slot);
                }
            }
            None => {
                self.insert(me, key, Entry::fresh(version, now), sim);
            }
        }
    }

    fn invalidate(&mut self, me: ComponentId, key: u64, sim: &mut ModelSim) {
        if let Some(slot) = self.store.find(key) {
            self.remove(me, slot, Removal::Invalidated, sim);
        }
    }

    /// A read: answers from memory on a hit; on a miss, loads from the store if `load`, else
    /// answers "miss".
    fn read(
        &mut self,
        me: ComponentId,
        id: CallId,
        request: Request,
        load: bool,
        sim: &mut ModelSim,
    ) {
        let now = sim.now();
        let measured = self.measured(now);
        *self.windows.reads.at(now) += 1.0;
        if let Some(slot) = self.store.find(request.key) {
            self.store.touch(slot);
            let entry = self.store.value_mut(slot);
            entry.read_at = now;
            let entry = *entry;
            let stale = entry.unflushed == 0
                && !entry.flushing
                && self.config.backing.is_some_and(|store| {
                    entry.version < sim.world.versions.acknowledged(store, request.key)
                });
            *self.windows.hits.at(now) += 1.0;
            if stale {
                *self.windows.stale_reads.at(now) += 1.0;
            }
            if measured {
                self.counters.hits += 1;
                self.counters.stale_reads += u64::from(stale);
                if stale {
                    let writer = self
                        .config
                        .backing
                        .and_then(|store| sim.world.versions.writer(store, request.key));
                    if let Some(writer) = writer {
                        match self.stale_by_writer.iter_mut().find(|w| w.0 == writer.0) {
                            Some(w) => w.1 += 1,
                            None => self.stale_by_writer.push((writer.0, 1)),
                        }
                    }
                }
            }
            let detail = if stale {
                CallDetail::Stale
            } else {
                CallDetail::Hit
            };
            self.answer_after_hit_time(me, id, detail, sim);
            return;
        }
        *self.windows.misses.at(now) += 1.0;
        if measured {
            self.counters.misses += 1;
        }
        let delay = self.draw(true);
        if !load {
            if delay.is_zero() {
                self.answer(id, now, Outcome::Succeeded, CallDetail::Miss, sim);
            } else {
                let op = self.new_op(Phase::Answer(CallDetail::Miss), id, now);
                self.schedule_op(me, op, delay, sim);
            }
            return;
        }
        let op = self.new_op(Phase::MissDelay, id, now);
        if delay.is_zero() {
            self.ops[op as usize].phase = Phase::Load;
            self.call_backing(me, op, request, sim);
        } else {
            self.schedule_op(me, op, delay, sim);
        }
    }

    /// A write, as the strategy says.
    fn write(&mut self, me: ComponentId, id: CallId, request: Request, sim: &mut ModelSim) {
        let now = sim.now();
        if self.measured(now) {
            self.counters.writes += 1;
        }
        let phase = match self.config.strategy {
            Strategy::CacheAside => {
                // A plain write to a cache-aside cache: the caller wrote the store already.
                self.invalidate(me, request.key, sim);
                self.answer_after_hit_time(me, id, CallDetail::None, sim);
                return;
            }
            Strategy::WriteBack => {
                if self.write_back(me, request, sim) {
                    self.answer_after_hit_time(me, id, CallDetail::None, sim);
                    return;
                }
                // Too large to cache: write it through.
                Phase::WriteAround
            }
            Strategy::ReadThrough => Phase::PassThrough,
            Strategy::WriteThrough => Phase::WriteThrough,
            Strategy::WriteAround => Phase::WriteAround,
        };
        let op = self.new_op(phase, id, now);
        self.call_backing(me, op, request, sim);
    }

    /// Write-back: updates (or inserts) the entry and marks it dirty. False if the value is
    /// too large to cache.
    fn write_back(&mut self, me: ComponentId, request: Request, sim: &mut ModelSim) -> bool {
        let now = sim.now();
        let slot = match self.store.find(request.key) {
            Some(slot) => {
                self.store.touch(slot);
                self.store.rewritten(slot);
                slot
            }
            None => match self.insert(me, request.key, Entry::fresh(0, now), sim) {
                Some(slot) => slot,
                None => return false,
            },
        };
        let e = self.store.value_mut(slot);
        e.written_at = now;
        e.write_kind = request.kind;
        e.unflushed = e.unflushed.saturating_add(1);
        if e.unflushed == 1 {
            e.dirty_since = now;
            self.dirty_entries += 1;
            let generation = self.store.generation(slot);
            sim.schedule_in(
                self.config.flush_delay,
                me,
                Msg::timer(CacheTimer::Flush, slot, generation),
            );
        }
        true
    }

    /// Sends `writes` coalesced writes of `key` to the store; `slot`/`generation` name the
    /// entry if it is still cached (else `NO_SLOT`).
    #[allow(clippy::too_many_arguments)]
    fn flush(
        &mut self,
        me: ComponentId,
        key: u64,
        kind: u16,
        writes: u32,
        slot: u32,
        generation: u32,
        sim: &mut ModelSim,
    ) {
        let now = sim.now();
        if self.measured(now) {
            self.counters.flushes += 1;
        }
        let request = Request {
            id: sim.world.next_request_id(),
            kind,
            region: 0,
            client: 0,
            key,
            born: now,
            slot: crate::model::support::breakdown::NO_SLOT,
        };
        let phase = Phase::Flush {
            slot,
            generation,
            writes,
        };
        let op = self.new_op(phase, CallId(u32::MAX), now);
        self.call_backing(me, op, request, sim);
    }

    /// A flush timer: flushes the entry if it is still dirty, its delay is up and no other
    /// flush of it is on its way (that one's reply schedules the next).
    fn on_flush_timer(&mut self, me: ComponentId, slot: u32, generation: u32, sim: &mut ModelSim) {
        if !self.up || !self.store.is_current(slot, generation) {
            return;
        }
        let now = sim.now();
        let key = self.store.key(slot);
        let e = self.store.value_mut(slot);
        if e.unflushed == 0 || e.flushing || e.dirty_since + self.config.flush_delay > now {
            return;
        }
        let (writes, kind) = (e.unflushed, e.write_kind);
        e.unflushed = 0;
        e.flushing = true;
        self.dirty_entries -= 1;
        self.flush(me, key, kind, writes, slot, generation, sim);
        self.note_levels(now);
    }

    fn on_flush_reply(
        &mut self,
        me: ComponentId,
        (slot, generation, writes): (u32, u32, u32),
        ok: bool,
        version: u64,
        sim: &mut ModelSim,
    ) {
        let now = sim.now();
        if !ok && self.measured(now) {
            self.counters.flush_failures += 1;
        }
        if slot == NO_SLOT || !self.store.is_current(slot, generation) {
            if !ok {
                // The entry has left the cache: nothing holds these writes any more.
                self.counters.dirty_lost_entries += 1;
                self.counters.dirty_lost_writes += u64::from(writes);
            }
            return;
        }
        let flush_delay = self.config.flush_delay;
        let e = self.store.value_mut(slot);
        e.flushing = false;
        if ok {
            if e.unflushed == 0 {
                e.version = e.version.max(version);
                return;
            }
        } else {
            // Retry later, with any writes that came in meanwhile.
            if e.unflushed == 0 {
                self.dirty_entries += 1;
            }
            e.unflushed = e.unflushed.saturating_add(writes);
            e.dirty_since = now;
        }
        // Still dirty: flush when its delay is up.
        let at = (e.dirty_since + flush_delay).max(now);
        sim.schedule_at(at, me, Msg::timer(CacheTimer::Flush, slot, generation));
    }

    fn on_call(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let now = sim.now();
        self.stats.arrive(now);
        if !self.up {
            self.answer(id, now, Outcome::Failed, CallDetail::None, sim);
            return;
        }
        self.purge_expired(me, sim);
        let (request, detail, version) = {
            let c = sim.world.calls.get(id);
            (c.request, c.detail, c.version)
        };
        match detail {
            CallDetail::CacheGet => self.read(me, id, request, false, sim),
            CallDetail::CacheFill => {
                self.fill(me, request.key, version, sim);
                self.answer_after_hit_time(me, id, CallDetail::CacheFill, sim);
            }
            CallDetail::CacheInvalidate => {
                self.invalidate(me, request.key, sim);
                self.answer_after_hit_time(me, id, CallDetail::CacheInvalidate, sim);
            }
            _ if sim.world.is_write(&request) => self.write(me, id, request, sim),
            _ => {
                let load = self.config.strategy != Strategy::CacheAside;
                self.read(me, id, request, load, sim);
            }
        }
        self.note_levels(now);
    }

    /// Fails the caller of operation `o`, which a crash of the cache interrupted.
    fn fail_lost_in_crash(&mut self, o: Op, sim: &mut ModelSim) {
        self.counters.lost_in_crashes += 1;
        self.answer(
            o.upstream,
            o.arrived,
            Outcome::Failed,
            CallDetail::None,
            sim,
        );
    }

    fn on_op_timer(&mut self, me: ComponentId, op: u32, generation: u32, sim: &mut ModelSim) {
        let Some(&o) = self.ops.get(op as usize) else {
            return;
        };
        if o.generation != generation || o.phase == Phase::Free {
            return;
        }
        let now = sim.now();
        if o.epoch != self.epoch {
            self.free_op(op);
            self.fail_lost_in_crash(o, sim);
            return;
        }
        match o.phase {
            Phase::Answer(detail) => {
                self.free_op(op);
                self.answer(o.upstream, o.arrived, Outcome::Succeeded, detail, sim);
            }
            Phase::MissDelay => {
                self.ops[op as usize].phase = Phase::Load;
                let request = sim.world.calls.get(o.upstream).request;
                self.call_backing(me, op, request, sim);
            }
            _ => {}
        }
        self.note_levels(now);
    }

    fn on_reply(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let version = sim.world.calls.get(id).version;
        let Some((token, request, outcome)) = take_reply(sim, id) else {
            return;
        };
        let (op, generation) = untoken(token);
        let Some(&o) = self.ops.get(op as usize) else {
            return;
        };
        if o.generation != generation || o.phase == Phase::Free {
            return;
        }
        self.free_op(op);
        let now = sim.now();
        let ok = outcome == Outcome::Succeeded;
        if let Phase::Flush {
            slot,
            generation,
            writes,
        } = o.phase
        {
            self.on_flush_reply(me, (slot, generation, writes), ok, version, sim);
            self.note_levels(now);
            return;
        }
        if o.epoch != self.epoch {
            self.fail_lost_in_crash(o, sim);
            return;
        }
        self.purge_expired(me, sim);
        let detail = match o.phase {
            Phase::Load => {
                if ok {
                    self.fill(me, request.key, version, sim);
                }
                CallDetail::Miss
            }
            Phase::WriteThrough => {
                if ok {
                    self.write_through(me, request.key, version, sim);
                }
                CallDetail::None
            }
            Phase::WriteAround => {
                if ok {
                    self.invalidate(me, request.key, sim);
                }
                CallDetail::None
            }
            _ => CallDetail::None,
        };
        self.answer(o.upstream, o.arrived, outcome, detail, sim);
        self.note_levels(now);
    }

    /// Write-through: the store has the new version; so does the cache now.
    fn write_through(&mut self, me: ComponentId, key: u64, version: u64, sim: &mut ModelSim) {
        let now = sim.now();
        match self.store.find(key) {
            Some(slot) => {
                self.store.touch(slot);
                self.store.rewritten(slot);
                let e = self.store.value_mut(slot);
                e.version = e.version.max(version);
                e.written_at = now;
            }
            None => {
                self.insert(me, key, Entry::fresh(version, now), sim);
            }
        }
    }

    fn hit_ratio(&self) -> Option<f64> {
        let reads = self.counters.hits + self.counters.misses;
        (reads > 0).then(|| self.counters.hits as f64 / reads as f64)
    }
}

impl Component<Msg, World> for Cache {
    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        match msg.typed::<CacheTimer>() {
            Event::Call(id) => self.on_call(me, id, sim),
            Event::Reply(id) => self.on_reply(me, id, sim),
            Event::Timer {
                kind: CacheTimer::Op,
                index,
                generation,
            } => self.on_op_timer(me, index, generation, sim),
            Event::Timer {
                kind: CacheTimer::Flush,
                index,
                generation,
            } => self.on_flush_timer(me, index, generation, sim),
            Event::Control(control) => self.on_control(control, sim),
            Event::UnknownTimer { .. } => {}
        }
    }

    fn finish(&mut self, _me: ComponentId, sim: &mut ModelSim) {
        let end = sim.now();
        self.memory.advance_to(end);
        self.entries.advance_to(end);
        self.dirty.advance_to(end);
    }
}

impl Node for Cache {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn report(&self, end: SimTime) -> ComponentReport {
        let mut report =
            ComponentReport::from_request_stats(&self.config.name, Kind::Cache, &self.stats);
        let c = &self.counters;
        let limits = self.store.limits();
        report.figures = Figures::Cache(Box::new(CacheFigures {
            capacity_bytes: limits.bytes,
            capacity_entries: limits.entries,
            crashes: c.crashes,
            dirty_lost_entries: c.dirty_lost_entries,
            dirty_lost_writes: c.dirty_lost_writes,
            entries_at_end: self.store.len(),
            entries_mean: self.entries.mean(end),
            entries_peak: self.entries.peak(),
            eviction: self.config.policy.name().to_string(),
            evictions: c.evictions,
            expirations: c.expirations,
            fills: c.fills,
            flush_failures: c.flush_failures,
            flushes: c.flushes,
            hit_ratio: self.hit_ratio(),
            hits: c.hits,
            invalidations: c.invalidations,
            memory_bytes_at_end: self.store.used_bytes(),
            memory_bytes_mean: self.memory.mean(end),
            memory_bytes_peak: self.memory.peak(),
            misses: c.misses,
            stale_reads: c.stale_reads,
            stale_reads_by_writer: self
                .stale_by_writer
                .iter()
                .map(|&(id, n)| (self.component_name(id), n))
                .collect(),
            store: self.config.backing.map(|s| self.component_name(s.0)),
            strategy: self.config.strategy.name().to_string(),
            too_large: c.too_large,
            writes: c.writes,
        }));
        report
            .lost
            .insert("requests_in_crashed_instances", c.lost_in_crashes);
        report.lost.insert("write_back_writes", c.dirty_lost_writes);
        let w = &self.windows;
        let mut series = vec![
            (
                "hit_ratio",
                WindowSeries::Ratio(w.hits.clone(), w.reads.clone()),
            ),
            ("hits", WindowSeries::Count(w.hits.clone())),
            ("misses", WindowSeries::Count(w.misses.clone())),
            ("stale_reads", WindowSeries::Count(w.stale_reads.clone())),
            ("evictions", WindowSeries::Count(w.evictions.clone())),
            ("expirations", WindowSeries::Count(w.expirations.clone())),
            (
                "entries",
                WindowSeries::Level(self.entries.windows().clone()),
            ),
            (
                "memory_bytes",
                WindowSeries::Level(self.memory.windows().clone()),
            ),
        ];
        if self.config.strategy == Strategy::WriteBack {
            series.push((
                "dirty_entries",
                WindowSeries::Level(self.dirty.windows().clone()),
            ));
        }
        report.extra_windows = series
            .into_iter()
            .map(|(name, s)| (name.to_string(), s))
            .collect();
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::support::network::Network;
    use crate::model::{RequestBudget, StatsClock};

    fn cache(strategy: Strategy) -> Cache {
        let clock = StatsClock {
            warmup_end: SimTime::ZERO,
            window_ns: 1_000_000_000,
        };
        let budget = RequestBudget {
            limit: None,
            issued: 0,
            stop_issuing_at: SimTime::NEVER,
        };
        let world = World::new(
            Network::new(1, 2, Distribution::constant(SimDuration::ZERO)),
            clock,
            budget,
            vec![false, true],
        );
        let config = CacheConfig {
            name: "cache".into(),
            limits: Limits::default(),
            policy: Policy::Lru,
            value_size: SizeLaw::Constant(100),
            ttl: None,
            idle_ttl: None,
            hit_time: Distribution::constant(SimDuration::ZERO),
            miss_time: Distribution::constant(SimDuration::ZERO),
            backing: Some(ComponentId(1)),
            strategy,
            flush_delay: SimDuration::from_secs(1),
        };
        Cache::new(config, 1, &world)
    }

    fn entry(unflushed: u32, flushing: bool) -> Entry {
        Entry {
            unflushed,
            flushing,
            ..Entry::default()
        }
    }

    #[test]
    fn crash_counts_exactly_the_dirty_entries_and_writes() {
        let mut c = cache(Strategy::WriteBack);
        c.store.insert(1, 100, entry(0, false)); // clean
        c.store.insert(2, 100, entry(3, false)); // 3 writes not yet flushed
        c.store.insert(3, 100, entry(0, true)); // clean, its flush on the way: not lost here
        c.store.insert(4, 100, entry(1, true)); // flushing, and written again since: 1 lost
        c.dirty_entries = 2;
        c.crash(SimTime::from_nanos(5));
        assert_eq!(c.dirty_lost(), (2, 4));
        assert!(c.is_empty() && !c.is_up());
        assert_eq!(c.store.used_bytes(), 0);
        assert_eq!(c.dirty_entries, 0);
        // A second crash while down changes nothing; a restart brings it back empty.
        c.crash(SimTime::from_nanos(6));
        assert_eq!(c.dirty_lost(), (2, 4));
        assert_eq!(c.counters.crashes, 1);
        c.restart(SimTime::from_nanos(7));
        assert!(c.is_up() && c.is_empty());
        c.store.insert(5, 100, entry(2, false));
        c.crash(SimTime::from_nanos(8));
        assert_eq!(c.dirty_lost(), (3, 6));
        let report = c.report(SimTime::from_nanos(9));
        assert_eq!(report.lost.get("write_back_writes"), Some(&6));
        assert_eq!(report.figures.number("crashes"), Some(2.0));
    }
}
