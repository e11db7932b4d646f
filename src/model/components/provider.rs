//! Third-party provider: an external gateway (push notifications, SMS, email) that the system
//! calls and cannot change.
//!
//! Model and parameters:
//! - **Latency**: every call the provider accepts is answered after a draw from `latency`
//!   (multiplied by a `slow` failure's factor while it lasts). The provider has no queue and no
//!   concurrency limit of its own: its capacity is what its rate limit admits.
//! - **Rate limit** (`rate_limit: {rate, burst}`): one global token bucket
//!   ([`crate::model::components::rate_limiter::algorithms`]) of `burst` tokens refilled at `rate` [req/s]; a call
//!   finding no token is answered at once "rejected" with a Retry-After (HTTP 429) and counted
//!   in `rate_limited`.
//! - **Errors**: `error_rate` of the accepted calls are answered "failed" after their latency,
//!   undelivered (a 5xx). A failure schedule's `errors` fails that fraction at once on arrival.
//! - **Delivery and lost answers**: every other accepted call delivers its notification to the
//!   end user when its latency has elapsed. Then, with probability `ack_loss`, the answer is
//!   lost: the caller sees "failed" (a connection reset or a gateway error after the provider
//!   had delivered), so it retries a notification that was delivered. A caller that gave up
//!   before the answer (its `call_timeout`, a queue's visibility timeout) never learns of the
//!   delivery either.
//! - **Outage** (`crash`): calls are answered "failed" at once while the provider is down, and
//!   calls in progress when it goes down fail at that instant, undelivered.
//! - **Event ids and duplicates**: a notification is identified by its request's id
//!   ([`crate::model::support::call::Request::id`]), which survives every retry (a client's retry of the same
//!   request, a queue's redelivery of the same message). The provider counts `delivered`
//!   (deliveries to end users), `unique_events` (distinct ids delivered) and `duplicates`
//!   (deliveries of an id already delivered): `delivered = unique_events + duplicates`.
//! - **De-duplication** (`dedup`):
//!   - `none`: every delivery reaches the user.
//!   - `idempotency_key`: the caller sends the event id as an idempotency key; the provider
//!     remembers the ids it delivered for `dedup_window` and answers a repeat "succeeded"
//!     without delivering it (`deduplicated`). The check and the record happen together at the
//!     moment of delivery, so two attempts in flight at once still deliver once. Exactly once
//!     within the window, whatever the retries and lost answers.
//!   - `consumer`: check-then-send by the callers, with a shared store of sent ids: before
//!     calling, a caller looks the event id up and skips the send if it is there (`deduplicated`;
//!     the lookup is modelled at the provider's door, taking no time and never failing); it
//!     records the id when the provider's success reaches it. This removes the repeats of a
//!     send whose success was recorded (a queue redelivering a message whose acknowledgement was
//!     lost), but not those of a send whose answer was lost or came after the caller's timeout:
//!     the caller cannot know the provider delivered. Not exactly once.
//!
//! Figures: requests, outcomes and latency (of the answers) as for any component; `delivered`,
//! `duplicates`, `unique_events`, `deduplicated`, `rate_limited`, `errors`, `ack_lost`,
//! `failed_while_down` (counts over the whole run); `delivered`, `duplicates` and
//! `rate_limited` per window.
//!
//! Tests: `tests/providers.rs` (exactly once with an idempotency key under lost answers;
//! duplicates against the geometric-retry formula without it; the rate limit against the token
//! bucket's bound; `error_rate` within a binomial tolerance; no message lost across an outage
//! with a durable queue; bad input).

use crate::model::figures::provider::ProviderFigures;
use crate::model::kind::Kind;
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use std::collections::{HashMap, HashSet, VecDeque};

use rand::Rng;

use crate::engine::rng::SimRng;
use crate::engine::{Component, ComponentId, SimDuration, SimTime};
use crate::model::components::rate_limiter::algorithms::{
    Algorithm, Counters, Decision, KeyBy, Rule,
};
use crate::model::support::call::{CallDetail, CallId};
use crate::model::support::dist::Distribution;
use crate::model::support::slab::Slab;
use crate::model::{
    reply, ComponentReport, Control, ModelSim, Msg, Node, RequestStats, WindowSeries,
};
use crate::model::{World, ALL_INSTANCES};
use crate::stats::{Outcome, Windows};

/// How repeated notifications are suppressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dedup {
    None,
    /// Callers check a shared store of sent ids before sending (check-then-send).
    Consumer,
    /// The provider remembers delivered ids (an idempotency key) for a window.
    IdempotencyKey,
}

impl Dedup {
    pub const NAMES: [&'static str; 3] = ["none", "consumer", "idempotency_key"];

    pub fn from_name(name: &str) -> Option<Dedup> {
        Some(match name {
            "none" => Dedup::None,
            "consumer" => Dedup::Consumer,
            "idempotency_key" => Dedup::IdempotencyKey,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Dedup::None => "none",
            Dedup::Consumer => "consumer",
            Dedup::IdempotencyKey => "idempotency_key",
        }
    }
}

/// A provider's rate limit: a token bucket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Refill rate [req/s].
    pub rate: f64,
    /// Bucket capacity [requests].
    pub burst: u32,
}

#[derive(Clone, Debug)]
pub struct ProviderConfig {
    pub name: String,
    /// Time from a call's arrival to the provider's answer.
    pub latency: Distribution,
    /// Fraction of accepted calls answered "failed", undelivered.
    pub error_rate: f64,
    /// Fraction of delivered notifications whose answer is lost (the caller sees "failed").
    pub ack_loss: f64,
    pub rate_limit: Option<RateLimit>,
    pub dedup: Dedup,
    /// How long an idempotency key is remembered.
    pub dedup_window: SimDuration,
}

impl ProviderConfig {
    /// A short description for the topology diagram.
    pub fn describe(&self) -> String {
        let mut text = format!("latency {}", self.latency.describe());
        if let Some(limit) = self.rate_limit {
            text.push_str(&format!(", {}/s", limit.rate));
        }
        if self.dedup != Dedup::None {
            text.push_str(&format!(", dedup {}", self.dedup.name()));
        }
        text
    }
}

/// The token-bucket rule standing for a rate limit: `LIMIT_TOKENS` tokens per `per`, so that
/// fractional rates (11.6/s) are exact to a nanosecond per token.
const LIMIT_TOKENS: u32 = 1_000_000;

fn bucket(limit: RateLimit) -> Counters {
    let per_ns = (f64::from(LIMIT_TOKENS) * 1e9 / limit.rate)
        .round()
        .max(1.0) as u64;
    Counters::new(vec![Rule {
        name: "rate_limit".into(),
        algorithm: Algorithm::TokenBucket,
        limit: LIMIT_TOKENS,
        per: SimDuration::from_nanos(per_ns),
        burst: limit.burst.max(1),
        key_by: KeyBy::Global,
        types: Vec::new(),
    }])
}

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum ProviderTimer {
        Answer = 0,
    }
}

/// A call in progress (between its arrival and the provider's answer).
#[derive(Clone, Copy, Debug)]
struct Slot {
    generation: u32,
    call: Option<CallId>,
}

#[derive(Default)]
struct Tally {
    delivered: u64,
    duplicates: u64,
    deduplicated: u64,
    rate_limited: u64,
    errors: u64,
    injected_errors: u64,
    ack_lost: u64,
    failed_while_down: u64,
    crashed_in_flight: u64,
    crashes: u64,
}

pub struct Provider {
    config: ProviderConfig,
    up: bool,
    slowdown: f64,
    injected_error_fraction: f64,
    limiter: Option<Counters>,
    slots: Slab<Slot>,
    /// Every event id delivered at least once (membership only; never iterated).
    delivered_ids: HashSet<u64>,
    /// `idempotency_key`: when each remembered id was first delivered; expired ids leave in
    /// the order they came (`remembered_order`).
    remembered: HashMap<u64, SimTime>,
    remembered_order: VecDeque<(SimTime, u64)>,
    /// `consumer`: ids whose success reached a waiting caller (never iterated).
    recorded: HashSet<u64>,
    latency_rng: SimRng,
    error_rng: SimRng,
    ack_rng: SimRng,
    injected_rng: SimRng,
    stats: RequestStats,
    counters: Tally,
    delivered_windows: Windows<f64>,
    duplicate_windows: Windows<f64>,
    rate_limited_windows: Windows<f64>,
}

impl Provider {
    pub fn new(config: ProviderConfig, seed: u64, world: &World) -> Self {
        use crate::engine::rng::stream;
        let clock = world.clock;
        let name = config.name.clone();
        Provider {
            up: true,
            slowdown: 1.0,
            injected_error_fraction: 0.0,
            limiter: config.rate_limit.map(bucket),
            slots: Slab::default(),
            delivered_ids: HashSet::new(),
            remembered: HashMap::new(),
            remembered_order: VecDeque::new(),
            recorded: HashSet::new(),
            latency_rng: stream(seed, &name, "latency"),
            error_rng: stream(seed, &name, "errors"),
            ack_rng: stream(seed, &name, "ack-loss"),
            injected_rng: stream(seed, &name, "injected-errors"),
            stats: RequestStats::new(clock),
            counters: Tally::default(),
            delivered_windows: Windows::new(clock.window_ns),
            duplicate_windows: Windows::new(clock.window_ns),
            rate_limited_windows: Windows::new(clock.window_ns),
            config,
        }
    }

    fn answer(&mut self, sim: &mut ModelSim, id: CallId, outcome: Outcome) {
        let now = sim.now();
        let born = sim.world.calls.get(id).arrived.min(now);
        self.stats.finish(born, now, outcome);
        reply(sim, id, outcome);
    }

    fn on_call(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let now = sim.now();
        self.stats.arrive(now);
        if !self.up {
            self.counters.failed_while_down += 1;
            self.answer(sim, id, Outcome::Failed);
            return;
        }
        if self.injected_error_fraction > 0.0
            && self.injected_rng.random::<f64>() < self.injected_error_fraction
        {
            self.counters.injected_errors += 1;
            self.answer(sim, id, Outcome::Failed);
            return;
        }
        let request = sim.world.calls.get(id).request;
        if self.config.dedup == Dedup::Consumer && self.recorded.contains(&request.id) {
            // The caller found the id in its store of sent ids and skipped the send.
            self.counters.deduplicated += 1;
            self.answer(sim, id, Outcome::Succeeded);
            return;
        }
        if let Some(limiter) = self.limiter.as_mut() {
            if let Decision::Reject { retry_after } = limiter.decide(&request, now) {
                self.counters.rate_limited += 1;
                *self.rate_limited_windows.at(now) += 1.0;
                sim.world.calls.get_mut(id).detail = CallDetail::RetryAfter(retry_after);
                let born = sim.world.calls.get(id).arrived.min(now);
                self.stats.refuse(born, now);
                reply(sim, id, Outcome::Rejected);
                return;
            }
        }
        let index = self.slots.insert_with(
            || Slot {
                generation: 0,
                call: None,
            },
            |_| {},
        );
        let slot = &mut self.slots[index as usize];
        slot.generation = slot.generation.wrapping_add(1);
        slot.call = Some(id);
        let generation = slot.generation;
        let latency = self.config.latency.sample(&mut self.latency_rng);
        let latency = if self.slowdown == 1.0 {
            latency
        } else {
            SimDuration::from_nanos((latency.as_nanos() as f64 * self.slowdown) as u64)
        };
        sim.schedule_in(
            latency,
            me,
            Msg::timer(ProviderTimer::Answer, index, generation),
        );
    }

    fn release(&mut self, index: u32) -> Option<CallId> {
        let slot = &mut self.slots[index as usize];
        let call = slot.call.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.slots.release(index);
        Some(call)
    }

    /// Forgets idempotency keys older than the window.
    fn expire(&mut self, now: SimTime) {
        while let Some(&(at, id)) = self.remembered_order.front() {
            if now.since(at) < self.config.dedup_window {
                break;
            }
            self.remembered_order.pop_front();
            if self.remembered.get(&id) == Some(&at) {
                self.remembered.remove(&id);
            }
        }
    }

    fn on_answer(&mut self, index: u32, generation: u32, sim: &mut ModelSim) {
        if self.slots.get(index as usize).map(|s| s.generation) != Some(generation) {
            return;
        }
        let Some(id) = self.release(index) else {
            return;
        };
        let now = sim.now();
        if self.config.error_rate > 0.0 && self.error_rng.random::<f64>() < self.config.error_rate {
            self.counters.errors += 1;
            self.answer(sim, id, Outcome::Failed);
            return;
        }
        let event = sim.world.calls.get(id).request.id;
        let suppressed = self.config.dedup == Dedup::IdempotencyKey && {
            self.expire(now);
            self.remembered.contains_key(&event)
        };
        if suppressed {
            self.counters.deduplicated += 1;
        } else {
            self.counters.delivered += 1;
            *self.delivered_windows.at(now) += 1.0;
            if !self.delivered_ids.insert(event) {
                self.counters.duplicates += 1;
                *self.duplicate_windows.at(now) += 1.0;
            }
            if self.config.dedup == Dedup::IdempotencyKey {
                self.remembered.insert(event, now);
                self.remembered_order.push_back((now, event));
            }
        }
        if self.config.ack_loss > 0.0 && self.ack_rng.random::<f64>() < self.config.ack_loss {
            self.counters.ack_lost += 1;
            self.answer(sim, id, Outcome::Failed);
            return;
        }
        if self.config.dedup == Dedup::Consumer && !sim.world.calls.get(id).abandoned {
            // The success reaches a caller still waiting: it records the id as sent.
            self.recorded.insert(event);
        }
        self.answer(sim, id, Outcome::Succeeded);
    }

    fn on_control(&mut self, control: Control, sim: &mut ModelSim) {
        match control {
            Control::Crash { .. } => {
                if !self.up {
                    return;
                }
                self.up = false;
                self.counters.crashes += 1;
                for index in 0..self.slots.len() as u32 {
                    if let Some(id) = self.release(index) {
                        self.counters.crashed_in_flight += 1;
                        self.answer(sim, id, Outcome::Failed);
                    }
                }
            }
            Control::Recover { instance } if instance == ALL_INSTANCES || instance == 0 => {
                self.up = true;
            }
            Control::Recover { .. } => {}
            Control::Slow { factor, .. } => self.slowdown = f64::from(factor),
            Control::Errors { fraction } => self.injected_error_fraction = f64::from(fraction),
            // A provider keeps no clock of its own that a failure could move.
            Control::ClockJump { .. } => {}
        }
    }
}

impl Component<Msg, World> for Provider {
    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        match msg.typed::<ProviderTimer>() {
            Event::Call(id) => self.on_call(me, id, sim),
            Event::Timer {
                kind: ProviderTimer::Answer,
                index,
                generation,
            } => self.on_answer(index, generation, sim),
            Event::UnknownTimer { .. } | Event::Reply(_) => {}
            Event::Control(control) => self.on_control(control, sim),
        }
    }
}

impl Node for Provider {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn report(&self, _end: SimTime) -> ComponentReport {
        let mut report =
            ComponentReport::from_request_stats(&self.config.name, Kind::Provider, &self.stats);
        let c = &self.counters;
        report.figures = crate::model::figures::Figures::Provider(Box::new(ProviderFigures {
            ack_lost: c.ack_lost,
            crashed_in_flight: c.crashed_in_flight,
            crashes: c.crashes,
            dedup: self.config.dedup.name().to_string(),
            deduplicated: c.deduplicated,
            delivered: c.delivered,
            duplicate_ratio: if self.delivered_ids.is_empty() {
                0.0
            } else {
                c.duplicates as f64 / self.delivered_ids.len() as f64
            },
            duplicates: c.duplicates,
            errors: c.errors + c.injected_errors,
            failed_while_down: c.failed_while_down,
            rate_limited: c.rate_limited,
            unique_events: self.delivered_ids.len() as u64,
        }));
        report
            .lost
            .insert("requests_in_crashed_instances", c.crashed_in_flight);
        report.extra_windows = vec![
            (
                "delivered".into(),
                WindowSeries::Count(self.delivered_windows.clone()),
            ),
            (
                "duplicates".into(),
                WindowSeries::Count(self.duplicate_windows.clone()),
            ),
            (
                "rate_limited".into(),
                WindowSeries::Count(self.rate_limited_windows.clone()),
            ),
        ];
        report
    }
}
