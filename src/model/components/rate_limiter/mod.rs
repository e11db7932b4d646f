//! Rate limiter: decides for each request whether it may pass, by a set of rules
//! ([`algorithms`]: token bucket, leaking bucket, fixed window, sliding log, sliding window
//! counter), each counting per client, region, request type, user key or globally.
//!
//! Placement:
//! - **middleware / API gateway**: with a `downstream`, an admitted request is forwarded there
//!   (after its leaking-bucket wait, if any) and the reply relayed back; a rejected one is
//!   answered at once with outcome "rejected" and a Retry-After ([`CallDetail::RetryAfter`]),
//!   HTTP 429's semantics. Traffic sources can honour the Retry-After or retry at once
//!   (`retry.honour_retry_after`).
//! - **inside a server**: without a `downstream`, the limiter answers "succeeded" (admitted) or
//!   "rejected"; a server pool lists it among its `calls` and a rejected check ends the request
//!   as rejected, the Retry-After passed on to the server's caller.
//!
//! Counters:
//! - **local** (default): each of the `instances` limiter nodes keeps its own counters and
//!   applies the full limits. Behind a round-robin balancer a client's requests are spread over
//!   the nodes, so together they admit up to `instances` times the limit: the overshoot. To
//!   measure it, the limiter also runs every request through one shadow set of counters (what a
//!   single shared counter would have decided) and reports both.
//! - **shared store**: every decision is a round trip to the `store` (a server pool standing
//!   for Redis: its service time and the link's latency are each decision's cost); the counters
//!   are shared by every node and updated atomically when the answer arrives, as a Lua script
//!   does in Redis. If the store fails, the limiter fails open (admits, uncounted) or closed
//!   (answers "failed"), as `on_store_failure` says.
//!
//! Instances: a call that names an instance (from a load balancer) goes there; others are
//! spread round-robin. A crashed instance answers "failed", forgets its local counters and
//! fails the requests it was holding; health probes see it down.
//!
//! Figures per rule: requests it applied to, admitted, rejected, and the distribution of the
//! remaining quota (the key's quota left after each decision); admitted and rejected per window.
//!
//! Tests: `algorithms` (unit tests), `theory` (token bucket and fixed window admitted
//! fractions), `tests/rate_limiters.rs` (theory through the simulator, window-edge bursts,
//! Retry-After, local versus shared counters).

pub mod algorithms;
pub mod theory;

use crate::model::figures::rate_limiter::{QuotaFigures, RateLimiterFigures, RuleFigures};
use crate::model::kind::Kind;
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use algorithms::{Counters, Decision, Rule};

use crate::engine::{Component, ComponentId, SimTime};
use crate::model::support::call::{CallDetail, CallId, Request, ANY_INSTANCE};
use crate::model::support::slab::{Generational, Slab};
use crate::model::{
    call, reply, take_reply, ComponentReport, Control, ModelSim, Msg, Node, RequestStats,
    WindowSeries, World, ALL_INSTANCES,
};
use crate::stats::{LatencyHistogram, Outcome, Windows};

/// What the limiter does when its shared counter store fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreFailure {
    /// Admit the request without counting it.
    Open,
    /// Answer "failed".
    Closed,
}

#[derive(Clone, Debug)]
pub struct RateLimiterConfig {
    pub name: String,
    /// Limiter nodes; with local counters each has its own.
    pub instances: u32,
    pub rules: Vec<Rule>,
    /// Where admitted requests go; `None`: answer "admitted" (a check inside a server).
    pub downstream: Option<ComponentId>,
    /// Shared counters held in this component (a round trip per decision); `None`: local.
    pub store: Option<ComponentId>,
    pub on_store_failure: StoreFailure,
}

impl RateLimiterConfig {
    /// The components the limiter calls.
    pub fn callees(&self) -> impl Iterator<Item = ComponentId> + '_ {
        self.downstream.iter().chain(self.store.iter()).copied()
    }

    /// A short description for the topology diagram.
    pub fn describe(&self) -> String {
        let mut algorithms: Vec<&str> = Vec::new();
        for r in &self.rules {
            if !algorithms.contains(&r.algorithm.name()) {
                algorithms.push(r.algorithm.name());
            }
        }
        let counters = if self.store.is_some() {
            "shared"
        } else {
            "local"
        };
        format!("{}, {counters}", algorithms.join(", "))
    }
}

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum RateLimiterTimer {
        Release = 0,
    }
}

/// Remaining quotas above this many buckets share buckets of equal width.
const QUOTA_BUCKETS: u64 = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Free,
    /// Waiting for the counter store's answer, sent at `sent`.
    Lookup {
        sent: SimTime,
    },
    /// Admitted; waiting in a leaking bucket.
    Delayed,
    /// Forwarded downstream.
    Forwarded,
}

/// A request inside the limiter.
#[derive(Clone, Copy, Debug)]
struct Pending {
    generation: u32,
    stage: Stage,
    upstream: CallId,
    instance: u32,
    arrived: SimTime,
}

impl Generational for Pending {
    fn generation_mut(&mut self) -> &mut u32 {
        &mut self.generation
    }
    fn set_free(&mut self) {
        self.stage = Stage::Free;
    }
}

fn token(index: u32, generation: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(index)
}

fn untoken(token: u64) -> (u32, u32) {
    (token as u32, (token >> 32) as u32)
}

/// Counts of remaining quota values, in buckets of `width`.
#[derive(Clone, Debug)]
struct QuotaHistogram {
    width: u64,
    counts: Vec<u64>,
    total: u64,
    sum: u128,
}

impl QuotaHistogram {
    fn new(max: u64) -> Self {
        let width = (max + 1).div_ceil(QUOTA_BUCKETS).max(1);
        QuotaHistogram {
            width,
            counts: vec![0; ((max / width) + 1) as usize],
            total: 0,
            sum: 0,
        }
    }

    fn record(&mut self, value: u64) {
        let i = ((value / self.width) as usize).min(self.counts.len() - 1);
        self.counts[i] += 1;
        self.total += 1;
        self.sum += u128::from(value);
    }

    /// The smallest bucket start below which at least a fraction `q` of the values lie.
    fn quantile(&self, q: f64) -> u64 {
        let target = (q * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= target {
                return i as u64 * self.width;
            }
        }
        0
    }

    fn figures(&self) -> Option<QuotaFigures> {
        (self.total > 0).then(|| QuotaFigures {
            mean: self.sum as f64 / self.total as f64,
            p10: self.quantile(0.10),
            p50: self.quantile(0.50),
            p90: self.quantile(0.90),
            at_zero_fraction: self.counts[0] as f64 / self.total as f64,
        })
    }
}

/// Per-rule statistics.
struct RuleStats {
    applied: u64,
    admitted: u64,
    rejected: u64,
    remaining: QuotaHistogram,
    admitted_windows: Windows<f64>,
    rejected_windows: Windows<f64>,
}

pub struct RateLimiter {
    config: RateLimiterConfig,
    /// Counters of each instance (local), or one set (shared store).
    counters: Vec<Counters>,
    /// What one shared counter would have decided, when local counters are spread over
    /// several instances.
    shadow: Option<Counters>,
    up: Vec<bool>,
    next_instance: usize,
    pending: Slab<Pending>,
    stats: RequestStats,
    warmup_end: SimTime,
    admitted: u64,
    rejected: u64,
    shadow_admitted: u64,
    admitted_beyond_shared_limit: u64,
    store_failures: u64,
    lost_in_crashes: u64,
    crashes: u64,
    lookup_latency: LatencyHistogram,
    rules: Vec<RuleStats>,
    admitted_windows: Windows<f64>,
    rejected_windows: Windows<f64>,
    beyond_windows: Windows<f64>,
}

impl RateLimiter {
    pub fn new(config: RateLimiterConfig, world: &World) -> Self {
        let clock = world.clock;
        let sets = if config.store.is_some() {
            1
        } else {
            config.instances.max(1) as usize
        };
        let counters = (0..sets)
            .map(|_| Counters::new(config.rules.clone()))
            .collect();
        let shadow = (config.store.is_none() && config.instances > 1)
            .then(|| Counters::new(config.rules.clone()));
        let rules = config
            .rules
            .iter()
            .map(|r| RuleStats {
                applied: 0,
                admitted: 0,
                rejected: 0,
                remaining: QuotaHistogram::new(u64::from(r.limit.max(r.burst))),
                admitted_windows: Windows::new(clock.window_ns),
                rejected_windows: Windows::new(clock.window_ns),
            })
            .collect();
        RateLimiter {
            up: vec![true; config.instances.max(1) as usize],
            counters,
            shadow,
            next_instance: 0,
            pending: Slab::default(),
            stats: RequestStats::new(clock),
            warmup_end: clock.warmup_end,
            admitted: 0,
            rejected: 0,
            shadow_admitted: 0,
            admitted_beyond_shared_limit: 0,
            store_failures: 0,
            lost_in_crashes: 0,
            crashes: 0,
            lookup_latency: LatencyHistogram::new(),
            rules,
            admitted_windows: Windows::new(clock.window_ns),
            rejected_windows: Windows::new(clock.window_ns),
            beyond_windows: Windows::new(clock.window_ns),
            config,
        }
    }

    fn pick_instance(&mut self, hint: u32) -> Option<usize> {
        let n = self.up.len();
        if hint != ANY_INSTANCE && (hint as usize) < n {
            return self.up[hint as usize].then_some(hint as usize);
        }
        for _ in 0..n {
            let i = self.next_instance % n;
            self.next_instance = (i + 1) % n;
            if self.up[i] {
                return Some(i);
            }
        }
        None
    }

    fn new_pending(&mut self, upstream: CallId, instance: u32, now: SimTime, stage: Stage) -> u32 {
        self.pending.insert_next_generation(Pending {
            generation: 0,
            stage,
            upstream,
            instance,
            arrived: now,
        })
    }

    fn free_pending(&mut self, index: u32) {
        self.pending.remove(index);
    }

    /// Answers the upstream call and frees the request's slot.
    fn answer(&mut self, index: u32, outcome: Outcome, sim: &mut ModelSim) {
        let p = self.pending[index as usize];
        self.free_pending(index);
        self.stats.finish(p.arrived, sim.now(), outcome);
        reply(sim, p.upstream, outcome);
    }

    /// Turns the pending request away at its limit: rejected, and counted as refused here.
    fn refuse(&mut self, index: u32, sim: &mut ModelSim) {
        let p = self.pending[index as usize];
        self.free_pending(index);
        self.stats.refuse(p.arrived, sim.now());
        reply(sim, p.upstream, Outcome::Rejected);
    }

    fn on_call(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let now = sim.now();
        let (kind, hint) = {
            let c = sim.world.calls.get(id);
            (c.request.kind, c.instance)
        };
        if kind == crate::model::support::probe::PROBE_KIND {
            match self.up.get(hint as usize) {
                Some(true) => reply(sim, id, Outcome::Succeeded),
                _ => sim.world.calls.close(id),
            }
            return;
        }
        self.stats.arrive(now);
        let Some(instance) = self.pick_instance(hint) else {
            self.stats.finish(now, now, Outcome::Failed);
            reply(sim, id, Outcome::Failed);
            return;
        };
        match self.config.store {
            Some(store) => {
                let index = self.new_pending(id, instance as u32, now, Stage::Lookup { sent: now });
                let generation = self.pending[index as usize].generation;
                let request = sim.world.calls.get(id).request;
                call(
                    sim,
                    me,
                    store,
                    token(index, generation),
                    request,
                    ANY_INSTANCE,
                );
            }
            None => {
                let index = self.new_pending(id, instance as u32, now, Stage::Delayed);
                self.decide(me, index, instance, sim);
            }
        }
    }

    /// Applies the rules to the request in slot `index`, with the counters of `set`.
    fn decide(&mut self, me: ComponentId, index: u32, set: usize, sim: &mut ModelSim) {
        let now = sim.now();
        let p = self.pending[index as usize];
        let request: Request = sim.world.calls.get(p.upstream).request;
        let counters = &mut self.counters[set];
        let decision = counters.decide(&request, now);
        let measured = p.arrived >= self.warmup_end;
        let admitted = matches!(decision, Decision::Admit { .. });
        for (stats, verdict) in self.rules.iter_mut().zip(counters.verdicts()) {
            if !verdict.applied {
                continue;
            }
            if verdict.rejected {
                *stats.rejected_windows.at(now) += 1.0;
            } else if admitted {
                *stats.admitted_windows.at(now) += 1.0;
            }
            if measured {
                stats.applied += 1;
                stats.remaining.record(verdict.remaining);
                if verdict.rejected {
                    stats.rejected += 1;
                } else if admitted {
                    stats.admitted += 1;
                }
            }
        }
        if let Some(shadow) = &mut self.shadow {
            let shared_admits = matches!(shadow.decide(&request, now), Decision::Admit { .. });
            if admitted && !shared_admits {
                *self.beyond_windows.at(now) += 1.0;
            }
            if measured {
                self.shadow_admitted += u64::from(shared_admits);
                self.admitted_beyond_shared_limit += u64::from(admitted && !shared_admits);
            }
        }
        match decision {
            Decision::Reject { retry_after } => {
                *self.rejected_windows.at(now) += 1.0;
                if measured {
                    self.rejected += 1;
                }
                sim.world.calls.get_mut(p.upstream).detail = CallDetail::RetryAfter(retry_after);
                self.refuse(index, sim);
            }
            Decision::Admit { delay } => {
                *self.admitted_windows.at(now) += 1.0;
                if measured {
                    self.admitted += 1;
                }
                if delay.is_zero() {
                    self.forward(me, index, sim);
                } else {
                    self.pending[index as usize].stage = Stage::Delayed;
                    let generation = self.pending[index as usize].generation;
                    sim.schedule_in(
                        delay,
                        me,
                        Msg::timer(RateLimiterTimer::Release, index, generation),
                    );
                }
            }
        }
    }

    fn forward(&mut self, me: ComponentId, index: u32, sim: &mut ModelSim) {
        let Some(downstream) = self.config.downstream else {
            self.answer(index, Outcome::Succeeded, sim);
            return;
        };
        let p = &mut self.pending[index as usize];
        p.stage = Stage::Forwarded;
        let (upstream, generation) = (p.upstream, p.generation);
        let request = sim.world.calls.get(upstream).request;
        call(
            sim,
            me,
            downstream,
            token(index, generation),
            request,
            ANY_INSTANCE,
        );
    }

    fn on_reply(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let carried = sim.world.calls.carried(id);
        let Some((token, _, outcome)) = take_reply(sim, id) else {
            return;
        };
        let (index, generation) = untoken(token);
        let Some(p) = self.pending.get(index as usize).copied() else {
            return;
        };
        if p.generation != generation {
            return;
        }
        match p.stage {
            Stage::Lookup { sent } => {
                if p.arrived >= self.warmup_end {
                    self.lookup_latency.record(sim.now() - sent);
                }
                if outcome == Outcome::Succeeded {
                    self.decide(me, index, 0, sim);
                    return;
                }
                self.store_failures += 1;
                match self.config.on_store_failure {
                    StoreFailure::Open => {
                        *self.admitted_windows.at(sim.now()) += 1.0;
                        if p.arrived >= self.warmup_end {
                            self.admitted += 1;
                        }
                        self.forward(me, index, sim);
                    }
                    StoreFailure::Closed => self.answer(index, Outcome::Failed, sim),
                }
            }
            Stage::Forwarded => {
                sim.world.calls.carry(p.upstream, carried);
                self.answer(index, outcome, sim);
            }
            Stage::Delayed | Stage::Free => {}
        }
    }

    fn on_control(&mut self, control: Control, sim: &mut ModelSim) {
        let addressed = |instance: u32, n: usize| {
            if instance == ALL_INSTANCES {
                0..n
            } else {
                let i = (instance as usize).min(n);
                i..(i + 1).min(n)
            }
        };
        match control {
            Control::Crash { instance } => {
                for i in addressed(instance, self.up.len()) {
                    if !self.up[i] {
                        continue;
                    }
                    self.up[i] = false;
                    self.crashes += 1;
                    if self.config.store.is_none() {
                        self.counters[i].clear();
                    }
                    for index in 0..self.pending.len() as u32 {
                        let p = self.pending[index as usize];
                        if p.stage != Stage::Free && p.instance as usize == i {
                            self.lost_in_crashes += 1;
                            self.answer(index, Outcome::Failed, sim);
                        }
                    }
                }
            }
            Control::Recover { instance } => {
                for i in addressed(instance, self.up.len()) {
                    self.up[i] = true;
                }
            }
            // Validation keeps slow-downs and injected errors to servers and caches.
            Control::Slow { .. } | Control::Errors { .. } => {}
            Control::ClockJump { .. } => {}
        }
    }
}

impl Component<Msg, World> for RateLimiter {
    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        match msg.typed::<RateLimiterTimer>() {
            Event::Call(id) => self.on_call(me, id, sim),
            Event::Reply(id) => self.on_reply(me, id, sim),
            Event::Timer {
                kind: RateLimiterTimer::Release,
                index,
                generation,
            } => {
                let live = self
                    .pending
                    .get(index as usize)
                    .is_some_and(|p| p.generation == generation && p.stage == Stage::Delayed);
                if live {
                    self.forward(me, index, sim);
                }
            }
            Event::Control(control) => self.on_control(control, sim),
            Event::UnknownTimer { .. } => {}
        }
    }
}

impl RateLimiter {
    /// The limiter's own figures.
    fn figures(&self) -> crate::model::figures::Figures {
        let rules = self
            .config
            .rules
            .iter()
            .zip(&self.rules)
            .map(|(rule, s)| {
                let figures = RuleFigures {
                    algorithm: rule.algorithm.name().to_string(),
                    key: rule.key_by.name().to_string(),
                    limit: u64::from(rule.limit),
                    per_s: rule.per.as_secs_f64(),
                    burst: u64::from(rule.burst),
                    applied: s.applied,
                    admitted: s.admitted,
                    rejected: s.rejected,
                    remaining_quota: s.remaining.figures(),
                };
                (rule.name.clone(), figures)
            })
            .collect();
        let shadow = self.shadow.is_some();
        let shared = self.config.store.is_some();
        let overshoot = if self.shadow_admitted > 0 {
            self.admitted as f64 / self.shadow_admitted as f64 - 1.0
        } else {
            0.0
        };
        crate::model::figures::Figures::RateLimiter(Box::new(RateLimiterFigures {
            admitted: self.admitted,
            admitted_beyond_shared_limit: shadow.then_some(self.admitted_beyond_shared_limit),
            counters: if shared { "shared" } else { "local" }.to_string(),
            crashes: self.crashes,
            decision_latency_ms: shared.then(|| self.lookup_latency.summary().into()),
            instances: u64::from(self.config.instances),
            overshoot: shadow.then_some(overshoot),
            rejected: self.rejected,
            rules,
            shared_counter_would_admit: shadow.then_some(self.shadow_admitted),
            store_failures: shared.then_some(self.store_failures),
        }))
    }
}

impl Node for RateLimiter {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn report(&self, _end: SimTime) -> ComponentReport {
        let mut report =
            ComponentReport::from_request_stats(&self.config.name, Kind::RateLimiter, &self.stats);
        report.figures = self.figures();
        report
            .lost
            .insert("requests_in_crashed_instances", self.lost_in_crashes);
        let mut series = vec![
            (
                "admitted".to_string(),
                WindowSeries::Count(self.admitted_windows.clone()),
            ),
            (
                "rejected".to_string(),
                WindowSeries::Count(self.rejected_windows.clone()),
            ),
        ];
        if self.shadow.is_some() {
            series.push((
                "admitted_beyond_shared_limit".to_string(),
                WindowSeries::Count(self.beyond_windows.clone()),
            ));
        }
        for (rule, s) in self.config.rules.iter().zip(&self.rules) {
            series.push((
                format!("admitted.{}", rule.name),
                WindowSeries::Count(s.admitted_windows.clone()),
            ));
            series.push((
                format!("rejected.{}", rule.name),
                WindowSeries::Count(s.rejected_windows.clone()),
            ));
        }
        report.extra_windows = series;
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_histogram_quantiles_and_buckets() {
        let mut h = QuotaHistogram::new(10);
        for v in [0, 0, 5, 10] {
            h.record(v);
        }
        assert_eq!(h.quantile(0.5), 0);
        assert_eq!(h.quantile(0.75), 5);
        assert_eq!(h.quantile(1.0), 10);
        let wide = QuotaHistogram::new(1_000_000);
        assert!(wide.counts.len() as u64 <= QUOTA_BUCKETS + 1);
    }
}
