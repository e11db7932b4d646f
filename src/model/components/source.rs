//! Traffic sources: where requests are born and where their replies end.
//!
//! Open-loop sources send requests at a rate that may change over time ([`RateProfile`]), with
//! Poisson or evenly spaced arrivals, whatever happens to earlier requests. Closed-loop sources
//! model `users` people who each send a request, wait for the reply, think, and send the next.
//!
//! Each request gets a type from the mix (weights), a client id (uniform over `clients`), the
//! client's region (clients are split between regions by the regions' weights, so a client always
//! stays in one region) and a key from the popularity law. Each of these draws uses its own random
//! stream, so that changing the mix does not move the arrival times.
//!
//! With a `timeout`, a request not answered in time counts as timed out and its late reply is
//! dropped; the work it caused downstream still happens, as in a real system.

use crate::model::figures::source::TrafficFigures;
use crate::model::kind::Kind;
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use rand::Rng;
use rand_distr::{Distribution as _, Exp1};

use crate::engine::rng::{stream, SimRng};
use crate::engine::{Component, ComponentId, SimDuration, SimTime};
use crate::model::support::call::{CallDetail, CallHandle, CallId, Request, ANY_INSTANCE};
use crate::model::support::client_cache::{ClientCache, ClientCacheConfig};
use crate::model::support::dist::Distribution;
use crate::model::support::keys::KeySampler;
use crate::model::support::rate::RateProfile;
use crate::model::support::slab::Slab;
use crate::model::{call, take_reply, ComponentReport, ModelSim, Msg, Node, RequestStats, World};
use crate::stats::Outcome;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrivals {
    Poisson,
    /// Evenly spaced: one request each time the cumulative rate grows by one.
    Constant,
}

pub enum Load {
    Open {
        profile: RateProfile,
        arrivals: Arrivals,
    },
    Closed {
        users: u32,
        think_time: Distribution,
    },
}

pub struct SourceConfig {
    pub name: String,
    pub target: ComponentId,
    pub load: Load,
    /// (request type index, weight); weights need not sum to one.
    pub mix: Vec<(u16, f64)>,
    pub keys: KeySampler,
    pub clients: u32,
    /// (region index, weight).
    pub regions: Vec<(u16, f64)>,
    pub timeout: Option<SimDuration>,
    pub retry: Option<RetryPolicy>,
    /// The clients' browser caches, which answer repeat clicks on a 301 (see
    /// [`crate::model::support::client_cache`]).
    pub client_cache: Option<ClientCacheConfig>,
}

/// How a client retries a request that failed, was rejected or timed out.
///
/// The k-th retry waits `min(max_backoff, backoff * 2^(k-1))`, or, with jitter ("full jitter"),
/// a uniform draw between 0 and that. A retry budget caps retries at a fraction of requests:
/// each new request earns `budget` of a retry, each retry spends one, and the account starts at
/// 10 and holds at most 100 (so short bursts of failures can still be retried).
///
/// With `honour_retry_after`, a request a rate limiter refused with a Retry-After
/// ([`CallDetail::RetryAfter`]) is retried that long after the refusal plus the back-off (test:
/// `tests/rate_limiters.rs`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included.
    pub attempts: u32,
    pub backoff: SimDuration,
    pub max_backoff: SimDuration,
    pub jitter: bool,
    pub budget: Option<f64>,
    /// Wait a 429's Retry-After before the back-off.
    pub honour_retry_after: bool,
}

/// Retry tokens the budget starts with and can hold.
const RETRY_BUDGET_START: f64 = 10.0;
const RETRY_BUDGET_CAP: f64 = 100.0;

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum SourceTimer {
        Arrival = 0,
        ThinkDone = 1,
        Timeout = 2,
        Retry = 3,
    }
}

/// Tokens carry the closed-loop user in the low 32 bits and the attempt number above.
fn token(user: u32, attempt: u32) -> u64 {
    (u64::from(attempt) << 32) | u64::from(user)
}

fn untoken(token: u64) -> (u32, u32) {
    (token as u32, (token >> 32) as u32)
}

/// A retry waiting for its back-off to end.
#[derive(Clone, Copy, Debug)]
struct PendingRetry {
    request: Request,
    user: u32,
    attempt: u32,
}

pub struct Source {
    config: SourceConfig,
    /// Cumulative mix weights, normalised to end at 1.
    mix_cumulative: Vec<f64>,
    /// Cumulative region weights, normalised to end at 1.
    region_cumulative: Vec<f64>,
    arrival_rng: SimRng,
    mix_rng: SimRng,
    client_rng: SimRng,
    key_rng: SimRng,
    think_rng: SimRng,
    /// The source's own request figures, unless [`Source::shares_end_to_end`].
    stats: RequestStats,
    /// This is the scenario's only source, so its figures are exactly the end-to-end ones
    /// (every end-to-end arrival and finish is recorded by a source, with the same arguments,
    /// in `send` and `finish_request`): it records nothing itself and reports those.
    shares_end_to_end: bool,
    /// Whether requests get a client and a key: false when nothing in the scenario reads them
    /// (the build step decides), which saves two draws per request. They come from their own
    /// streams, so skipping them moves no other draw.
    draws_attributes: bool,
    /// Mean time between arrivals [s] when the rate never changes: the common case, which
    /// skips the general rate inversion.
    constant_interval: Option<f64>,
    retry_rng: SimRng,
    pending_retries: Slab<Option<PendingRetry>>,
    retry_tokens: f64,
    retries_sent: u64,
    retries_refused_by_budget: u64,
    client_cache: Option<Box<ClientCache>>,
}

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut sum = 0.0;
    let mut out: Vec<f64> = weights
        .map(|w| {
            sum += w;
            sum
        })
        .collect();
    if sum > 0.0 {
        out.iter_mut().for_each(|c| *c /= sum);
    }
    if let Some(last) = out.last_mut() {
        *last = 1.0;
    }
    out
}

/// Index of the first cumulative weight above `u` (u in [0, 1)).
fn choose(cumulative: &[f64], u: f64) -> usize {
    cumulative
        .iter()
        .position(|&c| u < c)
        .unwrap_or(cumulative.len().saturating_sub(1))
}

impl Source {
    pub fn new(config: SourceConfig, seed: u64, world: &World) -> Self {
        let name = config.name.clone();
        Source {
            mix_cumulative: cumulative(config.mix.iter().map(|&(_, w)| w)),
            region_cumulative: cumulative(config.regions.iter().map(|&(_, w)| w)),
            arrival_rng: stream(seed, &name, "arrivals"),
            mix_rng: stream(seed, &name, "mix"),
            client_rng: stream(seed, &name, "clients"),
            key_rng: stream(seed, &name, "keys"),
            think_rng: stream(seed, &name, "think-time"),
            retry_rng: stream(seed, &name, "retry-jitter"),
            pending_retries: Slab::default(),
            retry_tokens: RETRY_BUDGET_START,
            retries_sent: 0,
            retries_refused_by_budget: 0,
            client_cache: config.client_cache.map(|c| Box::new(ClientCache::new(c))),
            stats: RequestStats::new(world.clock),
            shares_end_to_end: false,
            draws_attributes: true,
            constant_interval: match &config.load {
                Load::Open { profile, .. } => profile
                    .constant_rate()
                    .filter(|r| *r > 0.0)
                    .map(|r| 1.0 / r),
                Load::Closed { .. } => None,
            },
            config,
        }
    }

    /// Marks this source as the scenario's only one: its figures are then the end-to-end
    /// figures, recorded once instead of twice (the build step decides; see `stats`).
    pub fn share_end_to_end(&mut self) {
        self.shares_end_to_end = true;
    }

    /// Leaves every request's client (open loop) and key at 0: nothing in the scenario reads
    /// them (the build step decides).
    pub fn skip_attribute_draws(&mut self) {
        self.draws_attributes = false;
    }

    fn region_of(&self, client: u32) -> u16 {
        if self.config.regions.is_empty() {
            return 0;
        }
        let position = (f64::from(client) + 0.5) / f64::from(self.config.clients.max(1));
        self.config.regions[choose(&self.region_cumulative, position)].0
    }

    fn make_request(
        &mut self,
        me: ComponentId,
        client: Option<u32>,
        sim: &mut ModelSim,
    ) -> Request {
        let kind = match self.config.mix.len() {
            0 | 1 => self.config.mix.first().map_or(0, |&(k, _)| k),
            _ => self.config.mix[choose(&self.mix_cumulative, self.mix_rng.random::<f64>())].0,
        };
        let (client, key) = if self.draws_attributes {
            let client = client
                .unwrap_or_else(|| self.client_rng.random_range(0..self.config.clients.max(1)));
            (client, self.config.keys.sample(&mut self.key_rng))
        } else {
            (client.unwrap_or(0), 0)
        };
        let id = sim.world.next_request_id();
        Request {
            id,
            kind,
            region: self.region_of(client),
            client,
            key,
            born: sim.now(),
            slot: match sim.world.breakdown.as_mut() {
                Some(breakdown) => breakdown.begin(id, me),
                None => crate::model::support::breakdown::NO_SLOT,
            },
        }
    }

    /// Sends a new request; `user` is the closed-loop user, if any.
    fn send(&mut self, me: ComponentId, user: Option<u32>, sim: &mut ModelSim) {
        let request = self.make_request(me, user, sim);
        if !self.shares_end_to_end {
            self.stats.arrive(request.born);
        }
        sim.world.end_to_end.arrive(&request);
        if let Some(cache) = &mut self.client_cache {
            if cache.click(request.client, request.kind, request.key, request.born) {
                // The browser answers from its cache: no request leaves, latency 0.
                self.finish_request(me, &request, Outcome::Succeeded, sim);
                if let Some(user) = user {
                    self.think_then_send(me, user, sim);
                }
                return;
            }
        }
        if let Some(budget) = self.config.retry.and_then(|r| r.budget) {
            self.retry_tokens = (self.retry_tokens + budget).min(RETRY_BUDGET_CAP);
        }
        self.send_attempt(me, request, user.unwrap_or(0), 1, sim);
    }

    /// Sends one attempt of `request` (the first is attempt 1).
    fn send_attempt(
        &mut self,
        me: ComponentId,
        request: Request,
        user: u32,
        attempt: u32,
        sim: &mut ModelSim,
    ) {
        let id = call(
            sim,
            me,
            self.config.target,
            token(user, attempt),
            request,
            ANY_INSTANCE,
        );
        if let Some(timeout) = self.config.timeout {
            let handle = sim.world.calls.handle(id);
            let timer = Msg::timer(SourceTimer::Timeout, handle.id.0, handle.generation);
            sim.schedule_in(timeout, me, timer);
        }
    }

    fn schedule_next_arrival(&mut self, me: ComponentId, sim: &mut ModelSim) {
        let Load::Open { profile, arrivals } = &mut self.config.load else {
            return;
        };
        let area = match arrivals {
            Arrivals::Poisson => Exp1.sample(&mut self.arrival_rng),
            Arrivals::Constant => 1.0,
        };
        let next = match self.constant_interval {
            Some(interval) => Some(sim.now() + SimDuration::from_secs_f64(area * interval)),
            None => profile.advance(sim.now(), area),
        };
        if let Some(next) = next {
            if next < sim.world.budget.stop_issuing_at {
                sim.schedule_at(next, me, Msg::timer(SourceTimer::Arrival, 0, 0));
            }
        }
    }

    fn think_then_send(&mut self, me: ComponentId, user: u32, sim: &mut ModelSim) {
        if let Load::Closed { think_time, .. } = &self.config.load {
            let pause = think_time.sample(&mut self.think_rng);
            sim.schedule_in(pause, me, Msg::timer(SourceTimer::ThinkDone, user, 0));
        }
    }

    fn finish_request(
        &mut self,
        me: ComponentId,
        request: &Request,
        outcome: Outcome,
        sim: &mut ModelSim,
    ) {
        let now = sim.now();
        if let Some(impact) = sim.world.impact.as_mut() {
            impact.finish(me, request, now, outcome);
        }
        if !self.shares_end_to_end {
            self.stats.finish(request.born, now, outcome);
        }
        sim.world.end_to_end.record(request, now, outcome);
        if let Some(breakdown) = sim.world.breakdown.as_mut() {
            breakdown.finish(request, now, outcome);
        }
    }

    fn on_reply(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let detail = sim.world.calls.get(id).detail;
        let retry_after = match detail {
            CallDetail::RetryAfter(wait) => Some(wait),
            _ => None,
        };
        let Some((token, request, outcome)) = take_reply(sim, id) else {
            return;
        };
        if let (CallDetail::Cacheable(max_age), Some(cache)) = (detail, &mut self.client_cache) {
            if outcome == Outcome::Succeeded {
                cache.store(
                    request.client,
                    request.kind,
                    request.key,
                    max_age,
                    sim.now(),
                );
            }
        }
        self.attempt_ended(me, request, token, outcome, retry_after, sim);
    }

    /// An attempt ended: retry it if the policy allows, or else finish the request.
    /// `retry_after` is a rate limiter's Retry-After, if the attempt was refused with one.
    fn attempt_ended(
        &mut self,
        me: ComponentId,
        request: Request,
        token: u64,
        outcome: Outcome,
        retry_after: Option<SimDuration>,
        sim: &mut ModelSim,
    ) {
        let (user, attempt) = untoken(token);
        if outcome != Outcome::Succeeded {
            if let Some(policy) = self.config.retry.filter(|p| attempt < p.attempts) {
                if policy.budget.is_some() && self.retry_tokens < 1.0 {
                    self.retries_refused_by_budget += 1;
                } else {
                    if policy.budget.is_some() {
                        self.retry_tokens -= 1.0;
                    }
                    self.schedule_retry(
                        me,
                        &policy,
                        PendingRetry {
                            request,
                            user,
                            attempt: attempt + 1,
                        },
                        retry_after,
                        sim,
                    );
                    return;
                }
            }
        }
        self.finish_request(me, &request, outcome, sim);
        if matches!(self.config.load, Load::Closed { .. }) {
            self.think_then_send(me, user, sim);
        }
    }

    fn schedule_retry(
        &mut self,
        me: ComponentId,
        policy: &RetryPolicy,
        retry: PendingRetry,
        retry_after: Option<SimDuration>,
        sim: &mut ModelSim,
    ) {
        // The k-th retry (attempt k + 1) backs off base * 2^(k-1), capped.
        let doublings = (retry.attempt - 2).min(62);
        let ceiling =
            SimDuration::from_nanos(policy.backoff.as_nanos().saturating_mul(1 << doublings))
                .min(policy.max_backoff);
        let backoff = if policy.jitter && !ceiling.is_zero() {
            SimDuration::from_nanos(self.retry_rng.random_range(0..=ceiling.as_nanos()))
        } else {
            ceiling
        };
        // Honouring a Retry-After adds the back-off to it: the clients a limiter refused
        // together are told the same instant, and the jitter keeps them from returning as a herd.
        let delay = match retry_after.filter(|_| policy.honour_retry_after) {
            Some(wait) => wait + backoff,
            None => backoff,
        };
        let slot = self.pending_retries.insert(Some(retry));
        sim.schedule_in(delay, me, Msg::timer(SourceTimer::Retry, slot, 0));
    }

    fn on_retry_due(&mut self, me: ComponentId, slot: u32, sim: &mut ModelSim) {
        let Some(retry) = self
            .pending_retries
            .get_mut(slot as usize)
            .and_then(Option::take)
        else {
            return;
        };
        self.pending_retries.release(slot);
        self.retries_sent += 1;
        self.send_attempt(me, retry.request, retry.user, retry.attempt, sim);
    }

    fn on_timeout(&mut self, me: ComponentId, handle: CallHandle, sim: &mut ModelSim) {
        let Some(c) = sim.world.calls.resolve(handle) else {
            return; // answered in time
        };
        if c.abandoned || c.caller != me {
            return;
        }
        let (mut request, token) = (c.request, c.token);
        // Whoever touches the call next (the callee's reply, or the reply landing here) closes it.
        sim.world.calls.get_mut(handle.id).abandoned = true;
        // Calls still running for this attempt must not charge the request's breakdown.
        if let Some(breakdown) = sim.world.breakdown.as_mut() {
            breakdown.abandon(&mut request);
        }
        self.attempt_ended(me, request, token, Outcome::TimedOut, None, sim);
    }
}

impl Component<Msg, World> for Source {
    fn start(&mut self, me: ComponentId, sim: &mut ModelSim) {
        match &self.config.load {
            Load::Open { .. } => self.schedule_next_arrival(me, sim),
            Load::Closed { users, .. } => {
                // Users start after one think time each, so that they do not all arrive at once.
                for user in 0..*users {
                    self.think_then_send(me, user, sim);
                }
            }
        }
    }

    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        match msg.typed::<SourceTimer>() {
            Event::Reply(id) => self.on_reply(me, id, sim),
            Event::Timer {
                kind: SourceTimer::Arrival,
                ..
            } => {
                if sim.world.budget.take(sim.now()) {
                    self.send(me, None, sim);
                    if !sim.world.budget.exhausted() {
                        self.schedule_next_arrival(me, sim);
                    }
                }
            }
            Event::Timer {
                kind: SourceTimer::ThinkDone,
                index,
                ..
            } => {
                if sim.world.budget.take(sim.now()) {
                    self.send(me, Some(index), sim);
                }
            }
            Event::Timer {
                kind: SourceTimer::Timeout,
                index,
                generation,
            } => self.on_timeout(
                me,
                CallHandle {
                    id: CallId(index),
                    generation,
                },
                sim,
            ),
            Event::Timer {
                kind: SourceTimer::Retry,
                index,
                ..
            } => self.on_retry_due(me, index, sim),
            Event::UnknownTimer { .. } | Event::Call(_) | Event::Control(_) => {}
        }
    }
}

impl Node for Source {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn report(&self, end: SimTime) -> ComponentReport {
        self.report_in(end, None)
    }

    fn requests_between_attempts(&self, out: &mut Vec<Request>) {
        out.extend(self.pending_retries.iter().flatten().map(|r| r.request));
    }

    fn report_in(&self, _end: SimTime, world: Option<&World>) -> ComponentReport {
        let mut report = match world.filter(|_| self.shares_end_to_end) {
            Some(world) => ComponentReport::from_request_stats_without_window_latency(
                &self.config.name,
                Kind::Traffic,
                &world.end_to_end.all,
            ),
            None => {
                ComponentReport::from_request_stats(&self.config.name, Kind::Traffic, &self.stats)
            }
        };
        let retries = self.config.retry.is_some();
        let cache = self.client_cache.as_deref();
        let ratio = |cache: &ClientCache| {
            if cache.clicks > 0 {
                cache.hits as f64 / cache.clicks as f64
            } else {
                0.0
            }
        };
        report.figures = crate::model::figures::Figures::Traffic(Box::new(TrafficFigures {
            clicks: cache.map(|c| c.clicks),
            clicks_unseen_by_origin: cache.map(|c| c.hits),
            client_cache_entries: cache.map(|c| c.len() as u64),
            client_cache_evictions: cache.map(|c| c.evictions),
            client_cache_expired: cache.map(|c| c.expired),
            client_cache_hit_ratio: cache.map(ratio),
            client_cache_hits: cache.map(|c| c.hits),
            client_cache_not_stored: cache.map(|c| c.not_stored),
            retries: retries.then_some(self.retries_sent),
            retries_refused_by_budget: retries.then_some(self.retries_refused_by_budget),
        }));
        report
    }
}
