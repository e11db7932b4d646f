//! CDN: edge locations, one per client region, caching static content in front of an origin,
//! with an optional origin shield (a mid-tier cache between the edges and the origin).
//!
//! Model and parameters:
//! - **Edges**: each edge serves the client region it names; requests from a region without an
//!   edge go to the first edge listed. `latency` [distribution] is the one-way time between the
//!   region's clients and their edge, drawn once on the way in and once on the way back.
//!   The edge looks the object up when the request reaches the CDN component; the two latency
//!   draws are added around the lookup.
//! - **Objects**: a request of a static type asks for the object (type, key, version). Each
//!   edge keeps objects in an [`eviction::Store`] (the cache's storage: `capacity` entries at
//!   most, evicted by `eviction`, unlimited by default). A hit answers after `hit_time`
//!   [distribution]. On a miss the edge waits `miss_time`, fetches the object from the shield or
//!   the origin, stores it and answers. Concurrent misses of one object each fetch it (no
//!   request collapsing), as the cache does.
//! - **TTL**: an object expires `ttl` after it was stored (per request type with `ttl_by_type`;
//!   default never); a lookup that finds an expired object counts an expiration and a miss.
//!   Under Poisson requests at rate `lambda` for an object, an unbounded edge with an
//!   instantaneous fetch hits with probability `lambda T / (1 + lambda T)` (the renewal
//!   argument of `cache::theory::ttl_hit_ratio`).
//! - **Purges** at scripted times invalidate every object (or those of the listed types) on
//!   every edge and the shield: each purged object misses once per edge afterwards. Purges are
//!   lazy (an epoch per request type: a lookup that finds an object stored before the latest
//!   purge of its type counts a purged miss), so a purge costs O(1).
//! - **Versioned deploys** at scripted times bump the version of the listed types (default
//!   every static type): new requests ask for new object names, which miss once per edge; old
//!   objects are never asked for again and age out by TTL or eviction. No purge needed.
//! - **Shield**: with `shield`, edge misses go to the shield (one-way `latency` each way
//!   between an edge and the shield), which answers from its own store or fetches from the
//!   origin. Purges, TTLs and versions apply to it as to the edges.
//! - **Dynamic types** (those not in `static_types`) pass through the edge to the origin
//!   uncached.
//! - **Origin**: any component; fetches travel over the network link between the CDN and the
//!   origin, so the origin sees the misses, the pass-through requests and, during an outage,
//!   every request.
//! - **Outage**: a crash of the CDN (or of one edge, `cdn[i]`) sends the clients of the edges
//!   down straight to the origin (`bypass_latency` each way, per edge, default the edge's
//!   `latency`), counted as `bypassed`: this is the origin load an outage causes. Requests
//!   inside a crashed edge fail (counted as lost). An edge comes back empty (cold). `slow`
//!   multiplies hit and miss times.
//!
//! Figures: edge hit ratio overall, per edge and per window; origin offload (the fraction of
//! requests the CDN received that did not reach the origin); latency per client region.
//!
//! Tests: `tests/cdn.rs` (TTL hit ratio per edge against `lambda T / (1 + lambda T)`, one miss
//! per object per edge after a purge and after a deploy, an outage sends every request to the
//! origin, the shield), and the unit tests below.

use crate::model::figures::cdn::{CdnFigures, RegionLatency, ShieldFigures, TierFigures};
use crate::model::kind::Kind;
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use indexmap::IndexMap;

use crate::engine::rng::{stream, SimRng};
use crate::engine::{Component, ComponentId, SimDuration, SimTime};
use crate::model::components::cache::eviction::{Limits, Orders, Policy, Store};
use crate::model::support::call::{CallId, Request, ANY_INSTANCE};
use crate::model::support::dist::Distribution;
use crate::model::support::slab::{Generational, Slab};
use crate::model::{
    call, reply, take_reply, ComponentReport, Control, ModelSim, Msg, Node, RequestStats,
    WindowSeries, World, ALL_INSTANCES,
};
use crate::stats::{LatencyHistogram, Outcome, Windows};

/// Most versioned deploys of one request type (the version is 8 bits of the object's name).
pub const MAX_DEPLOYS: usize = 255;

/// One edge location.
#[derive(Clone, Debug)]
pub struct EdgeConfig {
    /// The client region it serves (index into the scenario's regions).
    pub region: u16,
    /// One-way latency between the region's clients and the edge.
    pub latency: Distribution,
    /// One-way latency between the region's clients and the origin, used while the edge is
    /// down.
    pub bypass_latency: Distribution,
}

#[derive(Clone, Debug)]
pub struct ShieldConfig {
    /// One-way latency between an edge and the shield.
    pub latency: Distribution,
    pub capacity: Option<u64>,
}

/// A purge or a deploy: at `at`, for the listed request types (`None`: every static type).
#[derive(Clone, Debug)]
pub struct ScriptedChange {
    pub at: SimTime,
    pub types: Option<Vec<u16>>,
}

#[derive(Clone, Debug)]
pub struct CdnConfig {
    pub name: String,
    /// Where misses, pass-through requests and bypassed requests go.
    pub origin: ComponentId,
    pub edges: Vec<EdgeConfig>,
    /// The scenario's region names (for the report), in index order.
    pub regions: Vec<String>,
    /// Per request type: cached at the edges?
    pub static_types: Vec<bool>,
    /// Per request type: the objects' time to live (`None`: never expire).
    pub ttl: Vec<Option<SimDuration>>,
    /// Objects per edge (`None`: unlimited).
    pub capacity: Option<u64>,
    pub policy: Policy,
    pub hit_time: Distribution,
    pub miss_time: Distribution,
    pub shield: Option<ShieldConfig>,
    pub purges: Vec<ScriptedChange>,
    pub deploys: Vec<ScriptedChange>,
}

impl CdnConfig {
    /// A one-line description for the topology diagram.
    pub fn describe(&self) -> String {
        let shield = if self.shield.is_some() {
            ", shield"
        } else {
            ""
        };
        let n = self.edges.len();
        format!("{n} edge{}{shield}", if n == 1 { "" } else { "s" })
    }
}

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum CdnTimer {
        Op = 0,
        Purge = 1,
        Deploy = 2,
    }
}

/// What an edge or the shield knows about a stored object.
#[derive(Clone, Copy, Debug, Default)]
struct Object {
    stored_at: SimTime,
    /// Purge epoch of its type when it was stored.
    epoch: u32,
    kind: u16,
}

/// The name of an object: key (40 bits; keys are below 10^12), type (16 bits), version
/// (8 bits).
fn object_name(key: u64, kind: u16, version: u8) -> u64 {
    (key << 24) | (u64::from(kind) << 8) | u64::from(version)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    /// A static request through an edge.
    Cached,
    /// A dynamic request through an edge, uncached.
    Pass,
    /// The edge is down: the client goes to the origin directly.
    Bypass,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Free,
    /// Answer the client with this outcome when the timer fires.
    Answer(Outcome),
    /// Travel to the edge (and the miss time) is over: fetch.
    Fetch,
    /// Travel from the edge to the shield is over: look it up there.
    ToShield,
    /// Waiting for the origin.
    Origin,
    /// The object travels back from the shield to the edge.
    FromShield,
}

#[derive(Clone, Copy, Debug)]
struct Op {
    generation: u32,
    phase: Phase,
    flow: Flow,
    upstream: CallId,
    arrived: SimTime,
    edge: u32,
    /// The edge's epoch when the operation started: a crash since fails it.
    epoch: u32,
    object: u64,
    kind: u16,
}

impl Generational for Op {
    fn generation_mut(&mut self) -> &mut u32 {
        &mut self.generation
    }
    fn set_free(&mut self) {
        self.phase = Phase::Free;
    }
}

/// One store of objects (an edge or the shield) with its counters.
struct Tier {
    store: Store<Object>,
    up: bool,
    epoch: u32,
    /// Counts after the warm-up.
    requests: u64,
    hits: u64,
    misses: u64,
    expirations: u64,
    purged: u64,
    evictions: u64,
    bypassed: u64,
    hits_w: Windows<f64>,
    lookups_w: Windows<f64>,
}

impl Tier {
    fn new(limits: Limits, policy: Policy, rng: SimRng, window_ns: u64) -> Self {
        Tier {
            store: Store::new(policy, limits, Orders::default(), rng),
            up: true,
            epoch: 0,
            requests: 0,
            hits: 0,
            misses: 0,
            expirations: 0,
            purged: 0,
            evictions: 0,
            bypassed: 0,
            hits_w: Windows::new(window_ns),
            lookups_w: Windows::new(window_ns),
        }
    }
}

/// Why a lookup missed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lookup {
    Hit,
    Absent,
    Expired,
    Purged,
}

pub struct Cdn {
    config: CdnConfig,
    edges: Vec<Tier>,
    shield: Option<Tier>,
    /// Client region -> edge index.
    edge_of_region: Vec<u32>,
    /// Per request type: purge epoch and deployed version.
    purge_epoch: Vec<u32>,
    version: Vec<u8>,
    ops: Slab<Op>,
    rng: SimRng,
    slowdown: f64,
    warmup_end: SimTime,
    stats: RequestStats,
    /// Requests sent to the origin (after the warm-up) and per window.
    origin_requests: u64,
    origin_w: Windows<f64>,
    bypassed_w: Windows<f64>,
    passed_through: u64,
    lost_in_crashes: u64,
    crashes: u64,
    /// Latency per client region, of requests that succeeded (after the warm-up).
    region_latency: Vec<LatencyHistogram>,
    region_requests: Vec<u64>,
    purge_log: Vec<SimTime>,
    deploy_log: Vec<SimTime>,
}

fn token(index: u32, generation: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(index)
}

fn untoken(token: u64) -> (u32, u32) {
    (token as u32, (token >> 32) as u32)
}

impl Cdn {
    /// Random streams from the scenario `seed` and the CDN's name: "latency" for the edge,
    /// shield and bypass latencies and the hit and miss times, "eviction" for the RANDOM
    /// policy.
    pub fn new(config: CdnConfig, seed: u64, world: &World) -> Self {
        let clock = world.clock;
        let limits = Limits {
            entries: config.capacity,
            bytes: None,
        };
        let edges = (0..config.edges.len())
            .map(|i| {
                let rng = stream(seed, &config.name, &format!("eviction-{i}"));
                Tier::new(limits, config.policy, rng, clock.window_ns)
            })
            .collect();
        let shield = config.shield.as_ref().map(|s| {
            let limits = Limits {
                entries: s.capacity,
                bytes: None,
            };
            let rng = stream(seed, &config.name, "eviction-shield");
            Tier::new(limits, config.policy, rng, clock.window_ns)
        });
        let regions = config.regions.len().max(1);
        let mut edge_of_region = vec![0u32; regions];
        for (i, e) in config.edges.iter().enumerate().rev() {
            if let Some(slot) = edge_of_region.get_mut(e.region as usize) {
                *slot = i as u32;
            }
        }
        let types = config.static_types.len();
        Cdn {
            edges,
            shield,
            edge_of_region,
            purge_epoch: vec![0; types],
            version: vec![0; types],
            ops: Slab::default(),
            rng: stream(seed, &config.name, "latency"),
            slowdown: 1.0,
            warmup_end: clock.warmup_end,
            stats: RequestStats::new(clock),
            origin_requests: 0,
            origin_w: Windows::new(clock.window_ns),
            bypassed_w: Windows::new(clock.window_ns),
            passed_through: 0,
            lost_in_crashes: 0,
            crashes: 0,
            region_latency: (0..regions).map(|_| LatencyHistogram::new()).collect(),
            region_requests: vec![0; regions],
            purge_log: Vec::new(),
            deploy_log: Vec::new(),
            config,
        }
    }

    fn measured(&self, now: SimTime) -> bool {
        now >= self.warmup_end
    }

    fn edge_latency(&mut self, edge: u32) -> SimDuration {
        self.config.edges[edge as usize]
            .latency
            .sample(&mut self.rng)
    }

    fn bypass_latency(&mut self, edge: u32) -> SimDuration {
        self.config.edges[edge as usize]
            .bypass_latency
            .sample(&mut self.rng)
    }

    fn service(&mut self, miss: bool) -> SimDuration {
        let law = if miss {
            &self.config.miss_time
        } else {
            &self.config.hit_time
        };
        let d = law.sample(&mut self.rng);
        if self.slowdown == 1.0 {
            d
        } else {
            SimDuration::from_secs_f64(d.as_secs_f64() * self.slowdown)
        }
    }

    fn new_op(&mut self, op: Op) -> u32 {
        self.ops.insert_next_generation(Op {
            generation: 0,
            ..op
        })
    }

    fn free_op(&mut self, i: u32) {
        self.ops.remove(i);
    }

    fn schedule(
        &mut self,
        me: ComponentId,
        op: u32,
        phase: Phase,
        delay: SimDuration,
        sim: &mut ModelSim,
    ) {
        self.ops[op as usize].phase = phase;
        sim.schedule_in(
            delay,
            me,
            Msg::timer(CdnTimer::Op, op, self.ops[op as usize].generation),
        );
    }

    fn call_origin(&mut self, me: ComponentId, op: u32, sim: &mut ModelSim) {
        let now = sim.now();
        self.ops[op as usize].phase = Phase::Origin;
        *self.origin_w.at(now) += 1.0;
        if self.measured(now) {
            self.origin_requests += 1;
        }
        let o = self.ops[op as usize];
        let request: Request = sim.world.calls.get(o.upstream).request;
        call(
            sim,
            me,
            self.config.origin,
            token(op, o.generation),
            request,
            ANY_INSTANCE,
        );
    }

    /// Looks `object` up in a tier, removing it if it expired or was purged.
    fn lookup(&mut self, tier: Option<u32>, object: u64, now: SimTime) -> Lookup {
        let (purge_epoch, ttl) = (&self.purge_epoch, &self.config.ttl);
        let t = match tier {
            Some(e) => &mut self.edges[e as usize],
            None => match &mut self.shield {
                Some(s) => s,
                None => return Lookup::Absent,
            },
        };
        let Some(slot) = t.store.find(object) else {
            return Lookup::Absent;
        };
        let o = *t.store.value(slot);
        let k = o.kind as usize;
        let result = if purge_epoch.get(k).is_some_and(|&e| e != o.epoch) {
            Lookup::Purged
        } else if ttl
            .get(k)
            .copied()
            .flatten()
            .is_some_and(|ttl| o.stored_at + ttl <= now)
        {
            Lookup::Expired
        } else {
            t.store.touch(slot);
            return Lookup::Hit;
        };
        t.store.remove(slot);
        result
    }

    /// Records a lookup's result in a tier's counters.
    fn count(&mut self, tier: Option<u32>, result: Lookup, now: SimTime) {
        let measured = self.measured(now);
        let t = match tier {
            Some(e) => &mut self.edges[e as usize],
            None => match &mut self.shield {
                Some(s) => s,
                None => return,
            },
        };
        *t.lookups_w.at(now) += 1.0;
        if result == Lookup::Hit {
            *t.hits_w.at(now) += 1.0;
        }
        if measured {
            match result {
                Lookup::Hit => t.hits += 1,
                Lookup::Absent => t.misses += 1,
                Lookup::Expired => {
                    t.misses += 1;
                    t.expirations += 1;
                }
                Lookup::Purged => {
                    t.misses += 1;
                    t.purged += 1;
                }
            }
        }
    }

    /// Stores an object in a tier, evicting as needed.
    fn store(&mut self, tier: Option<u32>, object: u64, kind: u16, now: SimTime) {
        let epoch = self.purge_epoch.get(kind as usize).copied().unwrap_or(0);
        let measured = self.measured(now);
        let t = match tier {
            Some(e) => &mut self.edges[e as usize],
            None => match &mut self.shield {
                Some(s) => s,
                None => return,
            },
        };
        if !t.up {
            return;
        }
        let value = Object {
            stored_at: now,
            epoch,
            kind,
        };
        if let Some(slot) = t.store.find(object) {
            *t.store.value_mut(slot) = value;
            return;
        }
        if !t.store.fits(1) {
            return;
        }
        while t.store.needs_room(1) {
            let Some(victim) = t.store.victim() else {
                break;
            };
            t.store.remove(victim);
            if measured {
                t.evictions += 1;
            }
        }
        t.store.insert(object, 1, value);
    }

    fn on_call(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let now = sim.now();
        self.stats.arrive(now);
        let request = sim.world.calls.get(id).request;
        let region = request.region as usize;
        let edge = self.edge_of_region.get(region).copied().unwrap_or(0);
        let measured = self.measured(now);
        if measured {
            if let Some(n) = self.region_requests.get_mut(region) {
                *n += 1;
            }
            self.edges[edge as usize].requests += 1;
        }
        let kind = request.kind;
        let mut op = Op {
            generation: 0,
            phase: Phase::Free,
            flow: Flow::Cached,
            upstream: id,
            arrived: now,
            edge,
            epoch: self.edges[edge as usize].epoch,
            object: 0,
            kind,
        };
        if !self.edges[edge as usize].up {
            // Clients go straight to the origin.
            op.flow = Flow::Bypass;
            let i = self.new_op(op);
            *self.bypassed_w.at(now) += 1.0;
            if measured {
                self.edges[edge as usize].bypassed += 1;
            }
            let d = self.bypass_latency(edge);
            self.schedule(me, i, Phase::Fetch, d, sim);
            return;
        }
        let cached = self
            .config
            .static_types
            .get(kind as usize)
            .copied()
            .unwrap_or(false);
        if !cached {
            op.flow = Flow::Pass;
            if measured {
                self.passed_through += 1;
            }
            let i = self.new_op(op);
            let d = self.edge_latency(edge);
            self.schedule(me, i, Phase::Fetch, d, sim);
            return;
        }
        let version = self.version.get(kind as usize).copied().unwrap_or(0);
        op.object = object_name(request.key, kind, version);
        let result = self.lookup(Some(edge), op.object, now);
        self.count(Some(edge), result, now);
        let inbound = self.edge_latency(edge);
        let i = self.new_op(op);
        if result == Lookup::Hit {
            let d = inbound + self.service(false) + self.edge_latency(edge);
            self.schedule(me, i, Phase::Answer(Outcome::Succeeded), d, sim);
        } else {
            let d = inbound + self.service(true);
            self.schedule(me, i, Phase::Fetch, d, sim);
        }
    }

    /// Answers the client now.
    fn answer(&mut self, op: u32, outcome: Outcome, sim: &mut ModelSim) {
        let now = sim.now();
        let o = self.ops[op as usize];
        self.free_op(op);
        self.stats.finish(o.arrived, now, outcome);
        if outcome == Outcome::Succeeded && o.arrived >= self.warmup_end {
            let region = sim.world.calls.get(o.upstream).request.region as usize;
            if let Some(h) = self.region_latency.get_mut(region) {
                h.record(now - o.arrived);
            }
        }
        reply(sim, o.upstream, outcome);
    }

    /// The op's edge crashed since it started (bypassed requests never reach the edge).
    fn interrupted(&self, o: &Op) -> bool {
        o.flow != Flow::Bypass && o.epoch != self.edges[o.edge as usize].epoch
    }

    fn on_op_timer(&mut self, me: ComponentId, op: u32, generation: u32, sim: &mut ModelSim) {
        let Some(&o) = self.ops.get(op as usize) else {
            return;
        };
        if o.generation != generation || o.phase == Phase::Free {
            return;
        }
        if self.interrupted(&o) {
            self.lost_in_crashes += 1;
            self.answer(op, Outcome::Failed, sim);
            return;
        }
        let now = sim.now();
        match o.phase {
            Phase::Answer(outcome) => self.answer(op, outcome, sim),
            Phase::Fetch => {
                if o.flow == Flow::Cached && self.shield.is_some() {
                    let d = self.shield_latency();
                    self.schedule(me, op, Phase::ToShield, d, sim);
                } else {
                    self.call_origin(me, op, sim);
                }
            }
            Phase::ToShield => {
                let result = self.lookup(None, o.object, now);
                self.count(None, result, now);
                if result == Lookup::Hit {
                    let d = self.shield_latency();
                    self.schedule(me, op, Phase::FromShield, d, sim);
                } else {
                    self.call_origin(me, op, sim);
                }
            }
            Phase::FromShield => {
                self.store(Some(o.edge), o.object, o.kind, now);
                let d = self.edge_latency(o.edge);
                self.schedule(me, op, Phase::Answer(Outcome::Succeeded), d, sim);
            }
            Phase::Origin | Phase::Free => {}
        }
    }

    fn shield_latency(&mut self) -> SimDuration {
        match &self.config.shield {
            Some(s) => s.latency.sample(&mut self.rng),
            None => SimDuration::ZERO,
        }
    }

    fn on_reply(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let Some((token, _, outcome)) = take_reply(sim, id) else {
            return;
        };
        let (op, generation) = untoken(token);
        let Some(&o) = self.ops.get(op as usize) else {
            return;
        };
        if o.generation != generation || o.phase != Phase::Origin {
            return;
        }
        if self.interrupted(&o) {
            self.lost_in_crashes += 1;
            self.answer(op, Outcome::Failed, sim);
            return;
        }
        let now = sim.now();
        let ok = outcome == Outcome::Succeeded;
        match o.flow {
            Flow::Bypass => {
                let d = self.bypass_latency(o.edge);
                self.schedule(me, op, Phase::Answer(outcome), d, sim);
            }
            Flow::Pass => {
                let d = self.edge_latency(o.edge);
                self.schedule(me, op, Phase::Answer(outcome), d, sim);
            }
            Flow::Cached => {
                if ok && self.shield.is_some() {
                    self.store(None, o.object, o.kind, now);
                    let d = self.shield_latency();
                    self.schedule(me, op, Phase::FromShield, d, sim);
                    return;
                }
                if ok {
                    self.store(Some(o.edge), o.object, o.kind, now);
                }
                let d = self.edge_latency(o.edge);
                self.schedule(me, op, Phase::Answer(outcome), d, sim);
            }
        }
    }

    fn crash_edge(&mut self, e: usize, sim: &mut ModelSim) {
        let t = &mut self.edges[e];
        if !t.up {
            return;
        }
        t.up = false;
        t.epoch = t.epoch.wrapping_add(1);
        t.store.drain(|_, _| {});
        // Requests inside the edge fail now (bypassed ones are not inside it).
        for i in 0..self.ops.len() as u32 {
            let o = self.ops[i as usize];
            if o.phase == Phase::Free || o.flow == Flow::Bypass || o.edge as usize != e {
                continue;
            }
            self.lost_in_crashes += 1;
            self.answer(i, Outcome::Failed, sim);
        }
    }

    fn on_control(&mut self, control: Control, sim: &mut ModelSim) {
        match control {
            Control::Crash { instance } => {
                let edges = self.addressed(instance);
                if edges.clone().any(|e| self.edges[e].up) {
                    self.crashes += 1;
                }
                for e in edges {
                    self.crash_edge(e, sim);
                }
                if instance == ALL_INSTANCES {
                    if let Some(s) = &mut self.shield {
                        s.store.drain(|_, _| {});
                        s.up = false;
                    }
                }
            }
            Control::Recover { instance } => {
                for e in self.addressed(instance) {
                    self.edges[e].up = true;
                }
                if let Some(s) = &mut self.shield {
                    s.up = true;
                }
            }
            Control::Slow { factor, .. } => self.slowdown = f64::from(factor),
            // Validation keeps injected errors to server pools.
            Control::Errors { .. } => {}
            Control::ClockJump { .. } => {}
        }
    }

    fn addressed(&self, instance: u32) -> std::ops::Range<usize> {
        let n = self.edges.len();
        if instance == ALL_INSTANCES {
            0..n
        } else {
            let i = (instance as usize).min(n);
            i..(i + 1).min(n)
        }
    }

    /// The types a purge or deploy applies to.
    fn types_of(&self, change: &ScriptedChange) -> Vec<usize> {
        match &change.types {
            Some(types) => types.iter().map(|&t| t as usize).collect(),
            None => (0..self.config.static_types.len())
                .filter(|&t| self.config.static_types[t])
                .collect(),
        }
    }

    fn on_purge(&mut self, index: u32, sim: &mut ModelSim) {
        let Some(change) = self.config.purges.get(index as usize).cloned() else {
            return;
        };
        for t in self.types_of(&change) {
            if let Some(e) = self.purge_epoch.get_mut(t) {
                *e = e.wrapping_add(1);
            }
        }
        self.purge_log.push(sim.now());
    }

    fn on_deploy(&mut self, index: u32, sim: &mut ModelSim) {
        let Some(change) = self.config.deploys.get(index as usize).cloned() else {
            return;
        };
        for t in self.types_of(&change) {
            if let Some(v) = self.version.get_mut(t) {
                *v = v.wrapping_add(1);
            }
        }
        self.deploy_log.push(sim.now());
    }

    fn hit_ratio(hits: u64, misses: u64) -> Option<f64> {
        let lookups = hits + misses;
        (lookups > 0).then(|| hits as f64 / lookups as f64)
    }
}

impl Component<Msg, World> for Cdn {
    fn start(&mut self, me: ComponentId, sim: &mut ModelSim) {
        for (i, p) in self.config.purges.iter().enumerate() {
            sim.schedule_at(p.at, me, Msg::timer(CdnTimer::Purge, i as u32, 0));
        }
        for (i, d) in self.config.deploys.iter().enumerate() {
            sim.schedule_at(d.at, me, Msg::timer(CdnTimer::Deploy, i as u32, 0));
        }
    }

    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        match msg.typed::<CdnTimer>() {
            Event::Call(id) => self.on_call(me, id, sim),
            Event::Reply(id) => self.on_reply(me, id, sim),
            Event::Timer {
                kind: CdnTimer::Op,
                index,
                generation,
            } => self.on_op_timer(me, index, generation, sim),
            Event::Timer {
                kind: CdnTimer::Purge,
                index,
                ..
            } => self.on_purge(index, sim),
            Event::Timer {
                kind: CdnTimer::Deploy,
                index,
                ..
            } => self.on_deploy(index, sim),
            Event::Control(control) => self.on_control(control, sim),
            Event::UnknownTimer { .. } => {}
        }
    }
}

impl Cdn {
    /// Client region `r`'s name (`default` without regions).
    fn region_name(&self, r: usize) -> String {
        self.config
            .regions
            .get(r)
            .cloned()
            .unwrap_or_else(|| "default".to_string())
    }

    /// The CDN's own figures.
    fn figures(&self) -> crate::model::figures::Figures {
        let (hits, misses) = self
            .edges
            .iter()
            .fold((0, 0), |(h, m), t| (h + t.hits, m + t.misses));
        let sum = |f: fn(&Tier) -> u64| self.edges.iter().map(f).sum::<u64>();
        let requests = self.stats.arrivals;
        let mut edges = IndexMap::new();
        for (e, t) in self.edges.iter().enumerate() {
            edges.insert(
                self.region_name(self.config.edges[e].region as usize),
                TierFigures {
                    requests: t.requests,
                    hits: t.hits,
                    misses: t.misses,
                    hit_ratio: Cdn::hit_ratio(t.hits, t.misses),
                    expirations: t.expirations,
                    purged: t.purged,
                    evictions: t.evictions,
                    bypassed: t.bypassed,
                    objects_at_end: t.store.len(),
                },
            );
        }
        let mut regions = IndexMap::new();
        for (r, h) in self.region_latency.iter().enumerate() {
            if self.region_requests[r] == 0 {
                continue;
            }
            regions.insert(
                self.region_name(r),
                RegionLatency {
                    requests: self.region_requests[r],
                    latency_ms: h.summary(),
                },
            );
        }
        let times = |log: &[SimTime]| log.iter().map(|t| t.as_secs_f64()).collect();
        crate::model::figures::Figures::Cdn(Box::new(CdnFigures {
            bypassed: sum(|t| t.bypassed),
            crashes: self.crashes,
            deploys_s: times(&self.deploy_log),
            edges,
            evictions: sum(|t| t.evictions),
            expirations: sum(|t| t.expirations),
            hit_ratio: Cdn::hit_ratio(hits, misses),
            hits,
            misses,
            origin_offload: (requests > 0)
                .then(|| 1.0 - self.origin_requests as f64 / requests as f64),
            origin_requests: self.origin_requests,
            passed_through: self.passed_through,
            purged: sum(|t| t.purged),
            purges_s: times(&self.purge_log),
            regions,
            shield: self.shield.as_ref().map(|s| ShieldFigures {
                hits: s.hits,
                misses: s.misses,
                hit_ratio: Cdn::hit_ratio(s.hits, s.misses),
                expirations: s.expirations,
                purged: s.purged,
                evictions: s.evictions,
            }),
        }))
    }
}

impl Node for Cdn {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn report(&self, _end: SimTime) -> ComponentReport {
        let mut report =
            ComponentReport::from_request_stats(&self.config.name, Kind::Cdn, &self.stats);
        report.figures = self.figures();
        report
            .lost
            .insert("requests_in_crashed_instances", self.lost_in_crashes);
        // Per window: the edges' hit ratio overall and per edge, origin load, bypasses.
        let window_ns = self.origin_w.width_ns();
        let mut hits_w = Windows::new(window_ns);
        let mut lookups_w = Windows::new(window_ns);
        for t in &self.edges {
            add_into(&mut hits_w, &t.hits_w);
            add_into(&mut lookups_w, &t.lookups_w);
        }
        let mut series = vec![
            (
                "hit_ratio".to_string(),
                WindowSeries::Ratio(hits_w, lookups_w),
            ),
            (
                "origin_requests".to_string(),
                WindowSeries::Count(self.origin_w.clone()),
            ),
            (
                "bypassed".to_string(),
                WindowSeries::Count(self.bypassed_w.clone()),
            ),
        ];
        if self.edges.len() > 1 {
            for (e, t) in self.edges.iter().enumerate() {
                series.push((
                    format!(
                        "hit_ratio.{}",
                        self.region_name(self.config.edges[e].region as usize)
                    ),
                    WindowSeries::Ratio(t.hits_w.clone(), t.lookups_w.clone()),
                ));
            }
        }
        if let Some(s) = &self.shield {
            series.push((
                "shield_hit_ratio".to_string(),
                WindowSeries::Ratio(s.hits_w.clone(), s.lookups_w.clone()),
            ));
        }
        report.extra_windows = series;
        report
    }
}

/// Adds `from`'s rows into `into` (same width).
fn add_into(into: &mut Windows<f64>, from: &Windows<f64>) {
    let width = from.width_ns();
    for (i, v) in from.rows().iter().enumerate() {
        *into.at(SimTime::from_nanos(i as u64 * width)) += *v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_differ_by_key_type_and_version() {
        let a = object_name(5, 1, 0);
        assert_ne!(a, object_name(5, 1, 1));
        assert_ne!(a, object_name(5, 2, 0));
        assert_ne!(a, object_name(6, 1, 0));
        // The largest key (below 10^12 < 2^40) keeps its bits.
        let big = 999_999_999_999u64;
        assert_eq!(object_name(big, 0, 0) >> 24, big);
    }
}
