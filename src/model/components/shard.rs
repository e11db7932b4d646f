//! Sharded database: a router that sends each request to one of its shards by the request's
//! key. Each shard is a component of its own: a replicated [`crate::model::components::database`] or a plain
//! server pool, so per-shard queueing, utilisation and failures are those components'.
//!
//! Model and parameters:
//! - Shard key: the request's `key` (its popularity rank, 0 the most popular).
//! - Placement over the `n` shards in use (the first `n` of `shards`):
//!   `hash`: `h(key) mod n`, with `h` the SplitMix64 hash;
//!   `range`: contiguous ranges of the key space `[0, keys)`, `key * n / keys`; since keys are
//!   popularity ranks, the lowest range holds the most popular keys (as with time-ordered ids,
//!   where recent is hot);
//!   `consistent`: a hash ring on which each shard has `virtual_nodes` points (hashes of its
//!   name and the point's index); a key goes to the first point clockwise of `h(key)`.
//! - Resharding: at `reshard.at` the router places keys over `reshard.to` shards. The keys
//!   that move are counted over the key space for all three placements (exactly up to
//!   [`MAX_ENUMERATED_KEYS`] keys, else on an evenly spaced sample of that many, scaled). For
//!   `reshard.duration`, the shards that send or receive keys under the scenario's placement
//!   run `reshard.slowdown` times slower (the copy competes with the traffic): a
//!   [`Control::Slow`] message to each, undone at the end.
//! - Per-shard load: requests, outcomes and latency (as seen by the router, network included)
//!   per shard, and the ratio of the busiest shard's requests to the mean, which shows hotspots.
//!
//! Theory: with hashes spread uniformly, `mod n` to `n + 1` keeps a key only when
//! `h mod n = h mod (n + 1)`, a fraction `1 / (n + 1)` (so `n / (n + 1)` move); consistent
//! hashing moves the keys of the arcs the new shard takes, `1 / (n + 1)` in expectation. Tests:
//! the unit tests below and `tests/sharding.rs`.

use crate::model::figures::shard::{
    KeyMoves, Resharding, ShardFigures, ShardLatency, ShardedDatabaseFigures,
};
use crate::model::kind::Kind;

use crate::engine::rng::{fnv1a64, splitmix64};
use crate::engine::{Component, ComponentId, SimDuration, SimTime};
use crate::model::support::call::{CallId, ANY_INSTANCE};
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use crate::model::{
    call, reply, take_reply, ComponentReport, Control, ModelSim, Msg, Node, RequestStats,
    WindowSeries, World, ALL_INSTANCES,
};
use crate::stats::Windows;

/// Keys counted one by one when counting moves; larger key spaces are sampled.
pub const MAX_ENUMERATED_KEYS: u64 = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    HashMod,
    Range,
    Consistent,
}

impl Placement {
    pub const NAMES: [&'static str; 3] = ["hash", "range", "consistent"];
    pub const ALL: [Placement; 3] = [Placement::HashMod, Placement::Range, Placement::Consistent];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "hash" => Some(Placement::HashMod),
            "range" => Some(Placement::Range),
            "consistent" => Some(Placement::Consistent),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Placement::HashMod => "hash",
            Placement::Range => "range",
            Placement::Consistent => "consistent",
        }
    }
}

/// The hash of a key: SplitMix64, stable across platforms.
pub fn key_hash(key: u64) -> u64 {
    splitmix64(key)
}

/// Maps keys to shard indices for one placement and shard count.
#[derive(Clone, Debug)]
pub struct Placer {
    placement: Placement,
    count: u32,
    key_space: u64,
    /// Consistent hashing: (point, shard), sorted by point.
    ring: Vec<(u64, u32)>,
}

impl Placer {
    /// Places keys of `[0, key_space)` over the first `count` of `names` (at least 1).
    pub fn new(
        placement: Placement,
        names: &[String],
        count: u32,
        virtual_nodes: u32,
        key_space: u64,
    ) -> Self {
        let count = count.clamp(1, names.len().max(1) as u32);
        let mut ring = Vec::new();
        if placement == Placement::Consistent {
            for (shard, name) in names.iter().take(count as usize).enumerate() {
                let base = fnv1a64(name.as_bytes());
                for v in 0..virtual_nodes.max(1) {
                    ring.push((splitmix64(base ^ splitmix64(u64::from(v))), shard as u32));
                }
            }
            ring.sort_unstable();
        }
        Placer {
            placement,
            count,
            key_space: key_space.max(1),
            ring,
        }
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    pub fn shard(&self, key: u64) -> usize {
        match self.placement {
            Placement::HashMod => (key_hash(key) % u64::from(self.count)) as usize,
            Placement::Range => {
                let key = key.min(self.key_space - 1);
                (u128::from(key) * u128::from(self.count) / u128::from(self.key_space)) as usize
            }
            Placement::Consistent => {
                let h = key_hash(key);
                let i = self.ring.partition_point(|&(p, _)| p < h);
                let (_, shard) = self
                    .ring
                    .get(i)
                    .or(self.ring.first())
                    .copied()
                    .unwrap_or((0, 0));
                shard as usize
            }
        }
    }
}

/// Keys that change shard between two placers, over a key space.
#[derive(Clone, Debug, PartialEq)]
pub struct Moves {
    /// Keys that move (scaled up from the sample when the key space was sampled).
    pub moved: u64,
    pub key_space: u64,
    /// The count is an estimate from an evenly spaced sample.
    pub sampled: bool,
    /// Per shard (of the larger count): does it send or receive keys?
    pub involved: Vec<bool>,
}

impl Moves {
    pub fn fraction(&self) -> f64 {
        self.moved as f64 / self.key_space.max(1) as f64
    }
}

/// Counts the keys of `[0, key_space)` that `before` and `after` place on different shards.
pub fn count_moves(before: &Placer, after: &Placer, key_space: u64) -> Moves {
    let key_space = key_space.max(1);
    let shards = before.count().max(after.count()) as usize;
    let mut involved = vec![false; shards];
    let sampled = key_space > MAX_ENUMERATED_KEYS;
    let n = key_space.min(MAX_ENUMERATED_KEYS);
    let mut moved = 0u64;
    for i in 0..n {
        let key = if sampled {
            (u128::from(i) * u128::from(key_space) / u128::from(n)) as u64
        } else {
            i
        };
        let (a, b) = (before.shard(key), after.shard(key));
        if a != b {
            moved += 1;
            involved[a] = true;
            involved[b] = true;
        }
    }
    let moved = if sampled {
        (moved as f64 * key_space as f64 / n as f64).round() as u64
    } else {
        moved
    };
    Moves {
        moved,
        key_space,
        sampled,
        involved,
    }
}

/// A scripted change of the number of shards.
#[derive(Clone, Debug)]
pub struct Reshard {
    pub at: SimTime,
    pub to: u32,
    pub migration: Migration,
    /// Service-time multiplier of the shards involved while the migration runs.
    pub slowdown: f64,
}

/// How long moving the keys takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Migration {
    /// A fixed time.
    Lasts(SimDuration),
    /// Keys copied per second: the time is the moved keys over this rate, so a placement that
    /// moves more keys migrates longer.
    CopyRate(f64),
}

#[derive(Clone, Debug)]
pub struct ShardedConfig {
    pub name: String,
    pub shards: Vec<ComponentId>,
    pub shard_names: Vec<String>,
    pub placement: Placement,
    pub virtual_nodes: u32,
    /// Shards in use at the start.
    pub initial: u32,
    /// Keys are `[0, key_space)`.
    pub key_space: u64,
    pub reshard: Option<Reshard>,
}

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum ShardTimer {
        Reshard = 0,
        MigrationDone = 1,
    }
}

pub struct Sharded {
    config: ShardedConfig,
    placer: Placer,
    /// Keys moved by the resharding under each placement, in [`Placement::ALL`] order.
    moves: Vec<Moves>,
    /// Requests through the router, all shards together.
    all: RequestStats,
    per_shard: Vec<RequestStats>,
    per_shard_windows: Vec<Windows<f64>>,
    /// When each upstream call (by call slot) was sent on to its shard.
    sent_at: Vec<SimTime>,
    resharded_at: Option<SimTime>,
    /// How long the migration lasts under the scenario's placement.
    migration: SimDuration,
    slowed: Vec<bool>,
}

impl Sharded {
    pub fn new(config: ShardedConfig, world: &World) -> Self {
        let placer = Placer::new(
            config.placement,
            &config.shard_names,
            config.initial,
            config.virtual_nodes,
            config.key_space,
        );
        let moves = match &config.reshard {
            Some(r) => Placement::ALL
                .iter()
                .map(|&p| {
                    let before = Placer::new(
                        p,
                        &config.shard_names,
                        config.initial,
                        config.virtual_nodes,
                        config.key_space,
                    );
                    let after = Placer::new(
                        p,
                        &config.shard_names,
                        r.to,
                        config.virtual_nodes,
                        config.key_space,
                    );
                    count_moves(&before, &after, config.key_space)
                })
                .collect(),
            None => Vec::new(),
        };
        let n = config.shards.len();
        let moved = Placement::ALL
            .iter()
            .position(|&p| p == config.placement)
            .and_then(|i| moves.get(i))
            .map_or(0, |m| m.moved);
        let migration = match config.reshard.as_ref().map(|r| r.migration) {
            Some(Migration::Lasts(d)) => d,
            Some(Migration::CopyRate(rate)) if rate > 0.0 => {
                SimDuration::from_secs_f64(moved as f64 / rate)
            }
            _ => SimDuration::ZERO,
        };
        Sharded {
            migration,
            placer,
            moves,
            all: RequestStats::new(world.clock),
            per_shard: (0..n).map(|_| RequestStats::new(world.clock)).collect(),
            per_shard_windows: (0..n)
                .map(|_| Windows::new(world.clock.window_ns))
                .collect(),
            sent_at: Vec::new(),
            resharded_at: None,
            slowed: vec![false; n],
            config,
        }
    }

    /// Keys moved by the scripted resharding under `placement`.
    pub fn moves(&self, placement: Placement) -> Option<&Moves> {
        let i = Placement::ALL.iter().position(|&p| p == placement)?;
        self.moves.get(i)
    }

    fn on_call(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let now = sim.now();
        let request = sim.world.calls.get(id).request;
        let shard = self.placer.shard(request.key);
        let (Some(&target), Some(stats)) =
            (self.config.shards.get(shard), self.per_shard.get_mut(shard))
        else {
            reply(sim, id, crate::stats::Outcome::Failed);
            return;
        };
        stats.arrive(now);
        self.all.arrive(now);
        *self.per_shard_windows[shard].at(now) += 1.0;
        let slot = id.0 as usize;
        if self.sent_at.len() <= slot {
            self.sent_at.resize(slot + 1, SimTime::ZERO);
        }
        self.sent_at[slot] = now;
        let token = (u64::from(shard as u32) << 32) | u64::from(id.0);
        call(sim, me, target, token, request, ANY_INSTANCE);
    }

    fn on_reply(&mut self, id: CallId, sim: &mut ModelSim) {
        let Some((token, _, outcome)) = take_reply(sim, id) else {
            return;
        };
        let upstream = CallId(token as u32);
        let shard = (token >> 32) as usize;
        let sent = self
            .sent_at
            .get(upstream.0 as usize)
            .copied()
            .unwrap_or(SimTime::ZERO);
        if let Some(stats) = self.per_shard.get_mut(shard) {
            stats.finish(sent, sim.now(), outcome);
        }
        self.all.finish(sent, sim.now(), outcome);
        reply(sim, upstream, outcome);
    }

    fn on_reshard(&mut self, me: ComponentId, sim: &mut ModelSim) {
        let Some(r) = self.config.reshard.clone() else {
            return;
        };
        let now = sim.now();
        self.resharded_at = Some(now);
        self.placer = Placer::new(
            self.config.placement,
            &self.config.shard_names,
            r.to,
            self.config.virtual_nodes,
            self.config.key_space,
        );
        if self.migration.is_zero() || r.slowdown == 1.0 {
            return;
        }
        let involved = self
            .moves(self.config.placement)
            .map(|m| m.involved.clone())
            .unwrap_or_default();
        for (i, &inv) in involved.iter().enumerate() {
            if let (true, Some(&shard)) = (inv, self.config.shards.get(i)) {
                self.slowed[i] = true;
                let slow = Control::Slow {
                    instance: ALL_INSTANCES,
                    factor: r.slowdown as f32,
                };
                sim.schedule_at(now, shard, Msg::Control(slow));
            }
        }
        sim.schedule_in(
            self.migration,
            me,
            Msg::timer(ShardTimer::MigrationDone, 0, 0),
        );
    }

    fn on_migration_done(&mut self, sim: &mut ModelSim) {
        let now = sim.now();
        for (i, &shard) in self.config.shards.iter().enumerate() {
            if self.slowed[i] {
                let normal = Control::Slow {
                    instance: ALL_INSTANCES,
                    factor: 1.0,
                };
                sim.schedule_at(now, shard, Msg::Control(normal));
            }
        }
    }
}

impl Component<Msg, World> for Sharded {
    fn start(&mut self, me: ComponentId, sim: &mut ModelSim) {
        if let Some(r) = &self.config.reshard {
            sim.schedule_at(r.at, me, Msg::timer(ShardTimer::Reshard, 0, 0));
        }
    }

    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        match msg.typed::<ShardTimer>() {
            Event::Call(id) => self.on_call(me, id, sim),
            Event::Reply(id) => self.on_reply(id, sim),
            Event::Timer {
                kind: ShardTimer::Reshard,
                ..
            } => self.on_reshard(me, sim),
            Event::Timer {
                kind: ShardTimer::MigrationDone,
                ..
            } => self.on_migration_done(sim),
            Event::UnknownTimer { .. } | Event::Control(_) => {}
        }
    }
}

impl Sharded {
    /// The router's own figures.
    fn figures(&self) -> crate::model::figures::Figures {
        let total: u64 = self.per_shard.iter().map(|s| s.arrivals).sum();
        let in_use = self.placer.count() as usize;
        let used = &self.per_shard[..in_use.min(self.per_shard.len())];
        let mean = if used.is_empty() {
            0.0
        } else {
            used.iter().map(|s| s.arrivals as f64).sum::<f64>() / used.len() as f64
        };
        let busiest = used.iter().map(|s| s.arrivals).max().unwrap_or(0);
        let shards = self
            .per_shard
            .iter()
            .zip(&self.config.shard_names)
            .map(|(s, name)| {
                let l = s.latency.summary();
                ShardFigures {
                    shard: name.clone(),
                    requests: s.arrivals,
                    share: if total > 0 {
                        s.arrivals as f64 / total as f64
                    } else {
                        0.0
                    },
                    succeeded: s.outcomes.succeeded,
                    failed: s.outcomes.total() - s.outcomes.succeeded,
                    latency_ms: ShardLatency {
                        mean: l.mean,
                        p50: l.p50,
                        p99: l.p99,
                    },
                }
            })
            .collect();
        let resharding = self.config.reshard.as_ref().map(|r| Resharding {
            at_s: r.at.as_secs_f64(),
            from: u64::from(self.config.initial),
            to: u64::from(r.to),
            done: self.resharded_at.is_some(),
            migration_s: self.migration.as_secs_f64(),
            slowdown: r.slowdown,
            shards_slowed: self
                .config
                .shard_names
                .iter()
                .zip(&self.slowed)
                .filter(|(_, &s)| s)
                .map(|(n, _)| n.clone())
                .collect(),
            moves: Placement::ALL
                .iter()
                .zip(&self.moves)
                .map(|(p, m)| {
                    let moves = KeyMoves {
                        moved_keys: m.moved,
                        moved_fraction: m.fraction(),
                        estimated: m.sampled,
                    };
                    (p.name().to_string(), moves)
                })
                .collect(),
        });
        crate::model::figures::Figures::ShardedDatabase(Box::new(ShardedDatabaseFigures {
            busiest_shard_load_ratio: if mean > 0.0 {
                busiest as f64 / mean
            } else {
                0.0
            },
            key_space: self.config.key_space,
            placement: self.config.placement.name().to_string(),
            resharding,
            shards,
            shards_in_use: in_use as u64,
            virtual_nodes: u64::from(self.config.virtual_nodes),
        }))
    }
}

impl Node for Sharded {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn report(&self, _end: SimTime) -> ComponentReport {
        let mut report = ComponentReport::from_request_stats(
            &self.config.name,
            Kind::ShardedDatabase,
            &self.all,
        );
        report.figures = self.figures();
        report.extra_windows = self
            .config
            .shard_names
            .iter()
            .zip(&self.per_shard_windows)
            .map(|(name, w)| (format!("requests_{name}"), WindowSeries::Count(w.clone())))
            .collect();
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("shard-{i}")).collect()
    }

    #[test]
    fn every_placement_spreads_keys_over_the_shards_in_use() {
        let names = names(5);
        for p in Placement::ALL {
            let placer = Placer::new(p, &names, 4, 200, 10_000);
            let mut counts = [0u64; 5];
            for k in 0..10_000 {
                counts[placer.shard(k)] += 1;
            }
            assert_eq!(counts[4], 0, "{p:?} used a shard not in use");
            assert!(counts[..4].iter().all(|&c| c > 1_500), "{p:?}: {counts:?}");
        }
    }

    #[test]
    fn range_placement_is_contiguous_and_moves_only_boundaries() {
        let names = names(4);
        let placer = Placer::new(Placement::Range, &names, 4, 1, 100);
        assert_eq!(placer.shard(0), 0);
        assert_eq!(placer.shard(24), 0);
        assert_eq!(placer.shard(25), 1);
        assert_eq!(placer.shard(99), 3);
        assert_eq!(
            placer.shard(1_000),
            3,
            "keys past the space go to the last range"
        );
        // 2 -> 4 ranges over 100 keys: keys 25..50 move to shard 1, 50..75 to 2 and 75..100
        // to 3; 0..25 stay.
        let before = Placer::new(Placement::Range, &names, 2, 1, 100);
        let m = count_moves(&before, &placer, 100);
        assert_eq!(m.moved, 75);
        assert!(!m.sampled);
    }

    #[test]
    fn large_key_spaces_are_sampled() {
        let names = names(3);
        let a = Placer::new(Placement::HashMod, &names, 2, 1, 1 << 30);
        let b = Placer::new(Placement::HashMod, &names, 3, 1, 1 << 30);
        let m = count_moves(&a, &b, 1 << 30);
        assert!(m.sampled);
        // 2/3 move (see the module docs); the sample of 2^20 keys has a standard error of
        // sqrt(2/9 / 2^20) = 0.00046 of the fraction: 0.003 is over 6 of them.
        assert!((m.fraction() - 2.0 / 3.0).abs() < 0.003, "{}", m.fraction());
        assert_eq!(m.involved, vec![true, true, true]);
    }
}
