//! Message queue (a broker such as RabbitMQ or SQS) with a pool of consumers.
//!
//! Model and parameters:
//! - **Publish**: a call to the queue is a message (the request it carries: its type, key and
//!   client). The broker stores it and answers "succeeded" at once, so a producer (a web server
//!   whose `calls` include the queue) replies to its own caller without waiting for the work. A
//!   full queue (`capacity` messages stored, in flight included) answers "rejected"; a crashed
//!   broker answers "failed".
//! - **Consumers**: the queue delivers messages in FIFO order to the `consumer` server pool, at
//!   most `concurrency` at a time (the number of consumer processes; the pool's instances and
//!   workers bound what they can do at once). The request type's service time and calls on the
//!   consumer pool are the work. With `scaling`, every `interval` the queue sets the number of
//!   consumers to `ceil(backlog / backlog_per_consumer)` within `[min, max]`; new consumers start
//!   after `startup`, surplus ones stop taking messages at once.
//! - **Acknowledgements**: a delivery whose call succeeds is acknowledged and the message
//!   removed. A failed, rejected or timed-out delivery is a negative acknowledgement; a delivery
//!   not answered within `visibility_timeout` is abandoned (the consumer may still finish it) and
//!   the message becomes visible again. Either way the message is retried after
//!   `retry_backoff * 2^(attempt - 1)` (at most `max_retry_backoff`; 0: at once), and after
//!   `max_attempts` deliveries it is moved to the dead-letter queue (kept aside and counted).
//!   Deliveries after the first are counted as redeliveries (at-least-once: a consumer may do the
//!   same work twice).
//! - **Durability**: when the broker crashes (the failure schedule), a durable queue keeps its
//!   messages; the deliveries in flight lose their acknowledgements and are delivered again first
//!   after the broker recovers. A non-durable queue loses every message it holds that is not in a
//!   consumer's hands (ready or waiting for a retry): counted in `lost` as `queue_messages`.
//!   Messages in flight are forgotten by the broker (their consumers finish them; the
//!   acknowledgement finds nothing): counted as `forgotten_in_flight`.
//!
//! Figures: published, acknowledged, redelivered, dead-lettered, lost; processing latency from
//! publish to acknowledgement (the component's `latency_ms`); backlog (ready + waiting for a
//! retry), messages in flight and consumers over time.
//!
//! Tests: `tests/message_queue.rs` (nothing lost across a consumer crash with a durable queue and
//! retries; a broker crash loses exactly the queued messages of a non-durable queue; the
//! dead-letter queue after N attempts; the visibility timeout; scaling by backlog).

use crate::model::figures::queue::QueueFigures;
use crate::model::kind::Kind;
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use std::collections::VecDeque;

use crate::engine::{Component, ComponentId, SimDuration, SimTime};
use crate::model::support::call::{CallHandle, CallId, Request, ANY_INSTANCE};
use crate::model::support::slab::Slab;
use crate::model::{
    call, reply, take_reply, ComponentReport, Control, ModelSim, Msg, Node, RequestStats,
    WindowSeries, World,
};
use crate::stats::{LatencyHistogram, LevelTracker, Outcome, Windows};

/// Consumers scaled by backlog.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scaling {
    pub min: u32,
    pub max: u32,
    /// Backlog each consumer is meant to handle [messages].
    pub backlog_per_consumer: u32,
    /// How often the backlog is checked.
    pub interval: SimDuration,
    /// Time for a new consumer to start taking messages.
    pub startup: SimDuration,
}

#[derive(Clone, Debug)]
pub struct QueueConfig {
    pub name: String,
    /// Most messages stored, in flight included; `None`: unbounded.
    pub capacity: Option<u32>,
    pub durable: bool,
    pub consumer: ComponentId,
    /// Consumers at the start (fixed unless `scaling`).
    pub concurrency: u32,
    pub scaling: Option<Scaling>,
    pub visibility_timeout: SimDuration,
    /// Deliveries before a message is dead-lettered.
    pub max_attempts: u32,
    pub retry_backoff: SimDuration,
    pub max_retry_backoff: SimDuration,
    /// Names of the scenario's request types when there are several (processing latency is
    /// then also reported per type); empty otherwise.
    pub type_names: Vec<String>,
}

impl QueueConfig {
    pub fn describe(&self) -> String {
        let durability = if self.durable {
            "durable"
        } else {
            "non-durable"
        };
        match self.scaling {
            Some(s) => format!("{durability}, {}-{} consumers", s.min, s.max),
            None => format!("{durability}, {} consumers", self.concurrency),
        }
    }
}

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum QueueTimer {
        Visibility = 0,
        Retry = 1,
        Scale = 2,
        ConsumersReady = 3,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    Ready,
    /// Waiting for its retry back-off.
    Delayed,
    InFlight,
}

#[derive(Clone, Copy, Debug)]
struct Message {
    /// Bumped at every change of state, so stale queue entries, timers and replies are ignored.
    generation: u32,
    state: State,
    request: Request,
    published: SimTime,
    attempts: u32,
    delivery: Option<CallHandle>,
}

fn token(index: u32, generation: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(index)
}

fn untoken(token: u64) -> (u32, u32) {
    (token as u32, (token >> 32) as u32)
}

#[derive(Default)]
struct Counters {
    published: u64,
    refused: u64,
    acknowledged: u64,
    redelivered: u64,
    negative_acks: u64,
    visibility_timeouts: u64,
    dead_lettered: u64,
    lost: u64,
    forgotten_in_flight: u64,
    crashes: u64,
}

pub struct Queue {
    config: QueueConfig,
    messages: Slab<Message>,
    ready: VecDeque<(u32, u32)>,
    ready_count: u32,
    delayed_count: u32,
    in_flight: u32,
    consumers: u32,
    /// Consumers started but not yet taking messages.
    starting: u32,
    up: bool,
    warmup_end: SimTime,
    stats: RequestStats,
    counters: Counters,
    processing: LatencyHistogram,
    /// Per request type, when there are several (see `QueueConfig::type_names`).
    processing_by_type: Vec<LatencyHistogram>,
    backlog: LevelTracker,
    in_flight_level: LevelTracker,
    consumers_level: LevelTracker,
    published_windows: Windows<f64>,
    acked_windows: Windows<f64>,
    redelivered_windows: Windows<f64>,
    dead_letter_windows: Windows<f64>,
    lost_windows: Windows<f64>,
}

impl Queue {
    pub fn new(config: QueueConfig, world: &World) -> Self {
        let clock = world.clock;
        let level = || LevelTracker::new(clock.warmup_end, clock.window_ns);
        let windows = || Windows::new(clock.window_ns);
        let consumers = match config.scaling {
            Some(s) => s.min,
            None => config.concurrency,
        };
        let mut consumers_level = level();
        consumers_level.set(SimTime::ZERO, u64::from(consumers));
        Queue {
            messages: Slab::default(),
            ready: VecDeque::new(),
            ready_count: 0,
            delayed_count: 0,
            in_flight: 0,
            consumers,
            starting: 0,
            up: true,
            warmup_end: clock.warmup_end,
            stats: RequestStats::new(clock),
            counters: Counters::default(),
            processing: LatencyHistogram::new(),
            processing_by_type: config
                .type_names
                .iter()
                .map(|_| LatencyHistogram::new())
                .collect(),
            backlog: level(),
            in_flight_level: level(),
            consumers_level,
            published_windows: windows(),
            acked_windows: windows(),
            redelivered_windows: windows(),
            dead_letter_windows: windows(),
            lost_windows: windows(),
            config,
        }
    }

    /// Messages stored: ready, waiting for a retry, or in flight.
    pub fn stored(&self) -> u32 {
        self.ready_count + self.delayed_count + self.in_flight
    }

    fn note_levels(&mut self, now: SimTime) {
        self.backlog
            .set(now, u64::from(self.ready_count + self.delayed_count));
        self.in_flight_level.set(now, u64::from(self.in_flight));
    }

    /// Puts a message at the back of the ready queue, or at the front when `first` (a
    /// delivery the broker lost track of keeps its place, as RabbitMQ requeues it).
    fn make_ready_at(&mut self, index: u32, first: bool) {
        let m = &mut self.messages[index as usize];
        m.generation = m.generation.wrapping_add(1);
        m.state = State::Ready;
        if first {
            self.ready.push_front((index, m.generation));
        } else {
            self.ready.push_back((index, m.generation));
        }
        self.ready_count += 1;
    }

    fn make_ready(&mut self, index: u32) {
        self.make_ready_at(index, false);
    }

    fn free_message(&mut self, index: u32) {
        let m = &mut self.messages[index as usize];
        m.generation = m.generation.wrapping_add(1);
        m.state = State::Free;
        m.delivery = None;
        self.messages.release(index);
    }

    fn on_publish(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let now = sim.now();
        self.stats.arrive(now);
        if !self.up {
            self.stats.finish(now, now, Outcome::Failed);
            reply(sim, id, Outcome::Failed);
            return;
        }
        if self.config.capacity.is_some_and(|c| self.stored() >= c) {
            self.counters.refused += 1;
            self.stats.refuse(now, now);
            reply(sim, id, Outcome::Rejected);
            return;
        }
        // The consumers' work happens after the producer has its answer: it is not part of
        // the request's latency breakdown.
        let request = crate::model::support::call::Request {
            slot: crate::model::support::breakdown::NO_SLOT,
            ..sim.world.calls.get(id).request
        };
        let message = Message {
            generation: 0,
            state: State::Free,
            request,
            published: now,
            attempts: 0,
            delivery: None,
        };
        // A freed message's generation was moved on when it was freed: keep it.
        let index = self.messages.insert_with(
            || message,
            |m| {
                *m = Message {
                    generation: m.generation,
                    ..message
                }
            },
        );
        self.make_ready(index);
        self.counters.published += 1;
        *self.published_windows.at(now) += 1.0;
        self.stats.finish(now, now, Outcome::Succeeded);
        reply(sim, id, Outcome::Succeeded);
        self.dispatch(me, sim);
    }

    /// Delivers ready messages while consumers are free.
    fn dispatch(&mut self, me: ComponentId, sim: &mut ModelSim) {
        let now = sim.now();
        while self.up && self.in_flight < self.consumers {
            let Some((index, generation)) = self.ready.pop_front() else {
                break;
            };
            let m = self.messages[index as usize];
            if m.generation != generation || m.state != State::Ready {
                continue;
            }
            self.ready_count -= 1;
            self.in_flight += 1;
            let m = &mut self.messages[index as usize];
            m.generation = m.generation.wrapping_add(1);
            m.state = State::InFlight;
            m.attempts += 1;
            let (generation, request, attempts) = (m.generation, m.request, m.attempts);
            if attempts > 1 {
                self.counters.redelivered += 1;
                *self.redelivered_windows.at(now) += 1.0;
            }
            let id = call(
                sim,
                me,
                self.config.consumer,
                token(index, generation),
                request,
                ANY_INSTANCE,
            );
            self.messages[index as usize].delivery = Some(sim.world.calls.handle(id));
            sim.schedule_in(
                self.config.visibility_timeout,
                me,
                Msg::timer(QueueTimer::Visibility, index, generation),
            );
        }
        self.note_levels(now);
    }

    fn on_reply(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let Some((token, _, outcome)) = take_reply(sim, id) else {
            return;
        };
        let (index, generation) = untoken(token);
        let live = self
            .messages
            .get(index as usize)
            .is_some_and(|m| m.generation == generation && m.state == State::InFlight);
        if !live || !self.up {
            return;
        }
        self.in_flight -= 1;
        let now = sim.now();
        if outcome == Outcome::Succeeded {
            let m = &self.messages[index as usize];
            let (published, kind) = (m.published, m.request.kind);
            self.counters.acknowledged += 1;
            *self.acked_windows.at(now) += 1.0;
            if published >= self.warmup_end {
                self.processing.record(now - published);
                if let Some(h) = self.processing_by_type.get_mut(kind as usize) {
                    h.record(now - published);
                }
            }
            self.free_message(index);
        } else {
            self.counters.negative_acks += 1;
            self.retry_or_dead_letter(me, index, sim);
        }
        self.dispatch(me, sim);
    }

    /// After a failed delivery: back to the queue after the back-off, or to the dead letters.
    fn retry_or_dead_letter(&mut self, me: ComponentId, index: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let attempts = self.messages[index as usize].attempts;
        if attempts >= self.config.max_attempts {
            self.counters.dead_lettered += 1;
            *self.dead_letter_windows.at(now) += 1.0;
            self.free_message(index);
            return;
        }
        let doublings = (attempts - 1).min(62);
        let backoff = SimDuration::from_nanos(
            self.config
                .retry_backoff
                .as_nanos()
                .saturating_mul(1 << doublings),
        )
        .min(self.config.max_retry_backoff);
        if backoff.is_zero() {
            self.make_ready(index);
            return;
        }
        let m = &mut self.messages[index as usize];
        m.generation = m.generation.wrapping_add(1);
        m.state = State::Delayed;
        let generation = m.generation;
        self.delayed_count += 1;
        sim.schedule_in(
            backoff,
            me,
            Msg::timer(QueueTimer::Retry, index, generation),
        );
    }

    fn on_visibility_timeout(&mut self, me: ComponentId, index: u32, sim: &mut ModelSim) {
        let m = self.messages[index as usize];
        // The consumer may still finish; its late acknowledgement is dropped.
        if let Some(handle) = m.delivery {
            if sim.world.calls.resolve(handle).is_some() {
                sim.world.calls.get_mut(handle.id).abandoned = true;
            }
        }
        self.in_flight -= 1;
        self.counters.visibility_timeouts += 1;
        self.retry_or_dead_letter(me, index, sim);
        self.dispatch(me, sim);
    }

    /// The broker crashes: see the module documentation for what survives.
    fn crash(&mut self, now: SimTime) {
        if !self.up {
            return;
        }
        self.up = false;
        self.counters.crashes += 1;
        for index in 0..self.messages.len() as u32 {
            let m = self.messages[index as usize];
            match (m.state, self.config.durable) {
                (State::Free, _) => {}
                (State::InFlight, true) => {
                    // Its acknowledgement will find the broker gone: delivered again first.
                    self.in_flight -= 1;
                    self.make_ready_at(index, true);
                }
                (State::InFlight, false) => {
                    self.in_flight -= 1;
                    self.counters.forgotten_in_flight += 1;
                    self.free_message(index);
                }
                (State::Ready | State::Delayed, true) => {}
                (State::Ready | State::Delayed, false) => {
                    self.counters.lost += 1;
                    *self.lost_windows.at(now) += 1.0;
                    self.free_message(index);
                }
            }
        }
        if !self.config.durable {
            self.ready.clear();
            self.ready_count = 0;
            self.delayed_count = 0;
        }
        self.note_levels(now);
    }

    fn on_control(&mut self, me: ComponentId, control: Control, sim: &mut ModelSim) {
        match control {
            Control::Crash { .. } => self.crash(sim.now()),
            Control::Recover { .. } => {
                self.up = true;
                self.dispatch(me, sim);
            }
            // Validation keeps slow-downs and injected errors to servers and caches.
            Control::Slow { .. } | Control::Errors { .. } => {}
            Control::ClockJump { .. } => {}
        }
    }

    fn set_consumers(&mut self, n: u32, now: SimTime) {
        self.consumers = n;
        self.consumers_level.set(now, u64::from(n));
    }

    fn on_scale_check(&mut self, me: ComponentId, sim: &mut ModelSim) {
        let Some(s) = self.config.scaling else {
            return;
        };
        let now = sim.now();
        let backlog = self.ready_count + self.delayed_count;
        let wanted = backlog
            .div_ceil(s.backlog_per_consumer.max(1))
            .clamp(s.min, s.max);
        let coming = self.consumers + self.starting;
        if wanted > coming {
            let more = wanted - coming;
            self.starting += more;
            sim.schedule_in(
                s.startup,
                me,
                Msg::timer(QueueTimer::ConsumersReady, more, 0),
            );
        } else if wanted < self.consumers && self.starting == 0 {
            self.set_consumers(wanted, now);
        }
        // A run stopped by a request count ends when no event is left: stop checking once no
        // more messages can come and none is left.
        if sim.world.budget.exhausted() && self.stored() == 0 && self.starting == 0 {
            return;
        }
        sim.schedule_in(s.interval, me, Msg::timer(QueueTimer::Scale, 0, 0));
    }
}

impl Component<Msg, World> for Queue {
    fn start(&mut self, me: ComponentId, sim: &mut ModelSim) {
        if let Some(s) = self.config.scaling {
            sim.schedule_in(s.interval, me, Msg::timer(QueueTimer::Scale, 0, 0));
        }
    }

    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        match msg.typed::<QueueTimer>() {
            Event::Call(id) => self.on_publish(me, id, sim),
            Event::Reply(id) => self.on_reply(me, id, sim),
            Event::Timer {
                kind,
                index,
                generation,
            } => {
                let live = |state| {
                    self.messages
                        .get(index as usize)
                        .is_some_and(|m| m.generation == generation && m.state == state)
                };
                match kind {
                    QueueTimer::Visibility if live(State::InFlight) && self.up => {
                        self.on_visibility_timeout(me, index, sim)
                    }
                    QueueTimer::Retry if live(State::Delayed) => {
                        self.delayed_count -= 1;
                        self.make_ready(index);
                        self.dispatch(me, sim);
                    }
                    QueueTimer::Scale => self.on_scale_check(me, sim),
                    QueueTimer::ConsumersReady => {
                        self.starting -= index.min(self.starting);
                        let n = self.consumers + index;
                        self.set_consumers(n, sim.now());
                        self.dispatch(me, sim);
                    }
                    _ => {}
                }
            }
            Event::UnknownTimer { .. } => {}
            Event::Control(control) => self.on_control(me, control, sim),
        }
    }

    fn finish(&mut self, _me: ComponentId, sim: &mut ModelSim) {
        let end = sim.now();
        self.backlog.advance_to(end);
        self.in_flight_level.advance_to(end);
        self.consumers_level.advance_to(end);
    }
}

impl Queue {
    /// The queue's own figures.
    fn figures(&self, end: SimTime) -> crate::model::figures::Figures {
        let c = &self.counters;
        let measured = end.since(self.warmup_end).as_secs_f64();
        let latency_by_type_ms = (!self.processing_by_type.is_empty()).then(|| {
            self.config
                .type_names
                .iter()
                .zip(&self.processing_by_type)
                .filter(|(_, h)| h.count() > 0)
                .map(|(name, h)| (name.clone(), h.summary()))
                .collect()
        });
        crate::model::figures::Figures::Queue(Box::new(QueueFigures {
            acknowledged: c.acknowledged,
            acknowledged_per_s: if measured > 0.0 {
                self.processing.count() as f64 / measured
            } else {
                0.0
            },
            backlog_mean: self.backlog.mean(end),
            backlog_peak: self.backlog.peak(),
            capacity: self.config.capacity.map(u64::from),
            consumers_mean: self.consumers_level.mean(end),
            consumers_peak: self.consumers_level.peak(),
            crashes: c.crashes,
            dead_lettered: c.dead_lettered,
            durable: self.config.durable,
            forgotten_in_flight: c.forgotten_in_flight,
            in_flight_mean: self.in_flight_level.mean(end),
            latency_by_type_ms,
            lost: c.lost,
            negative_acks: c.negative_acks,
            published: c.published,
            redelivered: c.redelivered,
            refused_full: c.refused,
            stored_at_end: u64::from(self.stored()),
            visibility_timeouts: c.visibility_timeouts,
        }))
    }
}

impl Node for Queue {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn report(&self, end: SimTime) -> ComponentReport {
        let mut report =
            ComponentReport::from_request_stats(&self.config.name, Kind::Queue, &self.stats);
        report.latency = self.processing.summary();
        report.queue_mean = Some(self.backlog.mean(end));
        report.queue_peak = Some(self.backlog.peak());
        report.queue_windows = Some(self.backlog.windows());
        report.figures = self.figures(end);
        report.lost.insert("queue_messages", self.counters.lost);
        report.extra_windows = vec![
            (
                "in_flight".into(),
                WindowSeries::Level(self.in_flight_level.windows()),
            ),
            (
                "consumers".into(),
                WindowSeries::Level(self.consumers_level.windows()),
            ),
            (
                "published".into(),
                WindowSeries::Count(self.published_windows.clone()),
            ),
            (
                "acknowledged".into(),
                WindowSeries::Count(self.acked_windows.clone()),
            ),
            (
                "redelivered".into(),
                WindowSeries::Count(self.redelivered_windows.clone()),
            ),
            (
                "dead_lettered".into(),
                WindowSeries::Count(self.dead_letter_windows.clone()),
            ),
            (
                "lost".into(),
                WindowSeries::Count(self.lost_windows.clone()),
            ),
        ];
        report
    }
}
