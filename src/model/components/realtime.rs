//! Real-time servers: a population of clients kept up to date over long-lived connections
//! (WebSocket), long polling or short polling, with heartbeats for presence and reconnect
//! storms after a crash.
//!
//! Model and parameters:
//! - **Clients**: `clients` users, each online for the whole run. Per-client state is 16
//!   bytes (instance, timer generation, last time seen [ms], reconnect attempt, flags), so a
//!   million clients take 16 MB plus one pending timer each in the event queue.
//! - **Instances**: `instances` servers, each one FIFO lane (an event loop): every operation
//!   (a push, a poll, a heartbeat, a message send) takes `service_time` [distribution] on it
//!   and a new connection `connect_time` [distribution] (TLS and authentication). The lane is
//!   a `free_at` instant, so queueing costs no event. `max_connections` [per instance] caps
//!   the connections (or open long polls) an instance holds; each takes
//!   `memory_per_connection` [bytes].
//! - **Messages** arrive as calls (from a traffic source or a server): each is a message a
//!   client sends. The send takes `service_time` on an instance (round robin over those up),
//!   then calls `calls` in order (an ID generator, a message store), then is delivered and
//!   the sender answered. A fraction `group_fraction` of messages goes to a group: one
//!   delivery to each of `group_size` members (uniform between its `min` and `max`); the
//!   others to one recipient. Recipients are drawn uniformly among the clients.
//! - **Transports** (`transport`):
//!   - `websocket`: each client holds one connection to one instance (least connections at
//!     connect time). A delivery is a push over it: `service_time` on that instance.
//!     Requests = sends + heartbeats (+ connects).
//!   - `long_polling`: each client keeps one poll open on one instance. A message answers it
//!     at once; the client opens the next poll immediately (no client round trip is
//!     modelled). A poll with no message is answered empty after `poll_timeout`. Polls =
//!     deliveries + clients / poll_timeout for rare messages.
//!   - `short_polling`: every `poll_interval` each client asks (phase fixed per client),
//!     whatever the message rate: polls = clients / poll_interval. A message waits for its
//!     recipient's next poll: mean delay ≈ poll_interval / 2. Polls go to any instance up;
//!     there are no held connections, so a crash causes no reconnects.
//! - **Heartbeats** (websocket): every `heartbeat_interval` each connected client sends one
//!   (`heartbeat_loss` of them are lost on the way). Polls refresh presence for the polling
//!   transports. A client is shown offline when `presence_timeout` passes without a heartbeat
//!   (or poll): each time an online client's gap exceeds it counts one presence flap (checked
//!   when the next heartbeat, poll or reconnection arrives, and at the end of the run).
//! - **Crash** (`failures: crash` on the component or one instance, `chat[1]`): the
//!   instance's connections and open polls drop. Each client reconnects after
//!   `reconnect.backoff` (doubling per refused attempt up to `reconnect.max_backoff`), drawn
//!   uniformly in [0, backoff] with `jitter: full` or exactly with `jitter: none`, to the
//!   instance with fewest connections among those up; one that finds every survivor at
//!   `max_connections` is refused and tries again later. Pushes still queued on the instance
//!   and deliveries to disconnected clients are kept and delivered at reconnection
//!   (`offline: store`, counted delayed) or lost (`offline: drop`). Sends in progress on the
//!   instance fail. A recovered instance comes back empty: connections do not rebalance.
//!   `slow` multiplies service and connect times.
//!
//! Figures: connections mean/peak and per instance, memory per instance at the peak,
//! requests per second by kind, empty polls, delivery latency (send to delivery), reconnects,
//! peak reconnect attempts per second, refused connections, time until every dropped client
//! is back, presence flaps, messages delayed and lost. Per-window columns `connections` and
//! `reconnects` (attempts).
//!
//! Tests: `tests/long_lived_connections.rs` (short-polling load clients / interval and delay
//! interval / 2, long-polling load, websocket load, the connection limit, a crash's
//! reconnects with and without jitter, group deliveries, determinism, errors).

use crate::model::figures::realtime::{RealtimeFigures, RealtimeRates};
use crate::model::kind::Kind;
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use std::collections::{BTreeMap, VecDeque};

use crate::engine::rng::{splitmix64, stream, SimRng};
use crate::engine::{Component, ComponentId, SimDuration, SimTime};
use crate::model::support::call::{CallId, Request, ANY_INSTANCE};
use crate::model::support::dist::Distribution;
use crate::model::support::slab::{Generational, Slab};
use crate::model::{
    call, reply, take_reply, ComponentReport, Control, ModelSim, Msg, Node, WindowSeries, World,
    ALL_INSTANCES,
};
use crate::stats::{LatencyBrief, LatencyHistogram, LevelTracker, Outcome, Windows};
use rand::Rng;

/// How clients learn about new messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    WebSocket,
    LongPolling,
    ShortPolling,
}

impl Transport {
    pub const NAMES: [&'static str; 3] = ["websocket", "long_polling", "short_polling"];

    pub fn from_name(name: &str) -> Option<Transport> {
        match name {
            "websocket" => Some(Transport::WebSocket),
            "long_polling" => Some(Transport::LongPolling),
            "short_polling" => Some(Transport::ShortPolling),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Transport::WebSocket => "websocket",
            Transport::LongPolling => "long_polling",
            Transport::ShortPolling => "short_polling",
        }
    }

    /// Whether each client holds a connection (or an open poll) on one instance.
    fn holds_connection(self) -> bool {
        self != Transport::ShortPolling
    }
}

/// How reconnect back-offs are spread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// Exactly the back-off: every dropped client comes back at the same instant.
    None,
    /// Uniform in [0, back-off].
    Full,
}

#[derive(Clone, Debug)]
pub struct RealtimeConfig {
    pub name: String,
    pub clients: u32,
    pub instances: u32,
    pub transport: Transport,
    /// Connections (or open polls) per instance at most.
    pub max_connections: Option<u64>,
    /// Memory each connection holds on its instance [bytes].
    pub memory_per_connection: u64,
    /// Time an instance spends on one push, poll, heartbeat or send.
    pub service_time: Distribution,
    /// Time an instance spends accepting one connection.
    pub connect_time: Distribution,
    pub heartbeat_interval: Option<SimDuration>,
    pub heartbeat_loss: f64,
    pub presence_timeout: Option<SimDuration>,
    pub poll_interval: SimDuration,
    pub poll_timeout: SimDuration,
    pub backoff: SimDuration,
    pub max_backoff: SimDuration,
    pub jitter: Jitter,
    pub group_fraction: f64,
    /// Members a group message is delivered to: uniform in [min, max].
    pub group_size: (u32, u32),
    /// Keep deliveries for disconnected clients until they reconnect.
    pub store_offline: bool,
    /// Components every send calls, in order, before its deliveries.
    pub calls: Vec<ComponentId>,
}

impl RealtimeConfig {
    /// A one-line description for the topology diagram.
    pub fn describe(&self) -> String {
        format!(
            "{}, {} clients, {} instance{}",
            self.transport.name(),
            self.clients,
            self.instances,
            if self.instances == 1 { "" } else { "s" }
        )
    }
}

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum RealtimeTimer {
        Client = 0,
        Send = 1,
    }
}

const NO_INSTANCE: u32 = u32::MAX;
const NEVER_SEEN: u32 = u32::MAX;
/// Short polling: a message waits for the client's next poll.
const FLAG_PENDING: u8 = 1;
/// Dropped by a crash and not reconnected yet.
const FLAG_DROPPED: u8 = 2;

/// One client: 16 bytes.
#[derive(Clone, Copy, Debug)]
struct Client {
    /// The instance holding its connection or open poll ([`NO_INSTANCE`]: disconnected); the
    /// instance its short polls go to.
    instance: u32,
    /// Bumped to cancel the client's pending timer.
    generation: u32,
    /// When its last heartbeat, poll or connection was processed [ms], or [`NEVER_SEEN`].
    last_seen_ms: u32,
    /// Refused or dropped attempts since the last connection (sets the back-off).
    attempts: u8,
    flags: u8,
}

/// A delivery queued on an instance's lane.
#[derive(Clone, Copy, Debug)]
struct Push {
    finish: SimTime,
    client: u32,
    /// When the message was sent.
    sent: SimTime,
}

struct Instance {
    up: bool,
    epoch: u32,
    free_at: SimTime,
    slow: f64,
    connections: u64,
    peak_connections: u64,
    /// Service time charged after the warm-up [ns].
    busy_ns: u128,
    pushes: VecDeque<Push>,
}

#[derive(Clone, Copy, Debug)]
struct Send {
    generation: u32,
    live: bool,
    upstream: CallId,
    instance: u32,
    epoch: u32,
    step: u16,
    arrived: SimTime,
    request: Request,
}

impl Generational for Send {
    fn generation_mut(&mut self) -> &mut u32 {
        &mut self.generation
    }
}

/// Counts after the warm-up.
#[derive(Default, Debug)]
struct Counters {
    sends: u64,
    sends_failed: u64,
    /// Deliveries asked for: one per one-to-one message, the group size per group message.
    recipients: u64,
    deliveries: u64,
    polls: u64,
    empty_polls: u64,
    failed_polls: u64,
    heartbeats: u64,
    heartbeats_lost: u64,
    connects: u64,
    reconnect_attempts: u64,
    reconnects: u64,
    refused: u64,
    dropped: u64,
    delayed: u64,
    lost: u64,
    flaps: u64,
    crashes: u64,
}

pub struct Realtime {
    config: RealtimeConfig,
    warmup_end: SimTime,
    clients: Vec<Client>,
    instances: Vec<Instance>,
    sends: Slab<Send>,
    /// Deliveries waiting for their client to reconnect: client -> send times.
    offline: BTreeMap<u32, Vec<SimTime>>,
    next_send_instance: usize,
    service_rng: SimRng,
    recipient_rng: SimRng,
    backoff_rng: SimRng,
    heartbeat_rng: SimRng,
    phase_seed: u64,
    counters: Counters,
    /// Message sends: arrivals and outcomes.
    stats: crate::model::RequestStats,
    latency: LatencyHistogram,
    connections: LevelTracker,
    reconnect_windows: Windows<f64>,
    deliveries_windows: Windows<f64>,
    /// Clients dropped by crashes and not back yet, and the latest crash that dropped some.
    dropped_out: u64,
    last_crash: Option<SimTime>,
    /// Longest time from a crash until every dropped client was back.
    reconnect_time: Option<SimDuration>,
}

fn millis(t: SimTime) -> u32 {
    (t.as_nanos() / 1_000_000).min(u64::from(NEVER_SEEN - 1)) as u32
}

impl Realtime {
    pub fn new(config: RealtimeConfig, seed: u64, world: &World) -> Self {
        let name = config.name.clone();
        let clock = world.clock;
        let instances = (0..config.instances)
            .map(|_| Instance {
                up: true,
                epoch: 0,
                free_at: SimTime::ZERO,
                slow: 1.0,
                connections: 0,
                peak_connections: 0,
                busy_ns: 0,
                pushes: VecDeque::new(),
            })
            .collect();
        let clients = vec![
            Client {
                instance: NO_INSTANCE,
                generation: 0,
                last_seen_ms: NEVER_SEEN,
                attempts: 0,
                flags: 0,
            };
            config.clients as usize
        ];
        Realtime {
            warmup_end: clock.warmup_end,
            clients,
            instances,
            sends: Slab::default(),
            offline: BTreeMap::new(),
            next_send_instance: 0,
            service_rng: stream(seed, &name, "service"),
            recipient_rng: stream(seed, &name, "recipients"),
            backoff_rng: stream(seed, &name, "reconnect"),
            heartbeat_rng: stream(seed, &name, "heartbeats"),
            phase_seed: crate::engine::rng::stream_id(&name, "phase") ^ seed,
            counters: Counters::default(),
            stats: crate::model::RequestStats::new(clock),
            latency: LatencyHistogram::new(),
            connections: LevelTracker::new(clock.warmup_end, clock.window_ns),
            reconnect_windows: Windows::new(clock.window_ns),
            deliveries_windows: Windows::new(clock.window_ns),
            dropped_out: 0,
            last_crash: None,
            reconnect_time: None,
            config,
        }
    }

    fn counting(&self, now: SimTime) -> bool {
        now >= self.warmup_end
    }

    /// Charges one operation on an instance's lane; returns when it finishes.
    fn charge(&mut self, instance: usize, now: SimTime, connect: bool) -> SimTime {
        let law = if connect {
            &self.config.connect_time
        } else {
            &self.config.service_time
        };
        let mut service = law.sample(&mut self.service_rng);
        let counting = now >= self.warmup_end;
        let inst = &mut self.instances[instance];
        if inst.slow != 1.0 {
            service = SimDuration::from_secs_f64(service.as_secs_f64() * inst.slow);
        }
        let start = inst.free_at.max(now);
        inst.free_at = start + service;
        if counting {
            inst.busy_ns += u128::from(service.as_nanos());
        }
        inst.free_at
    }

    /// A fixed offset of the client's periodic activity in [0, period).
    fn phase(&self, client: u32, period: SimDuration) -> SimDuration {
        let period = period.as_nanos().max(1);
        SimDuration::from_nanos(splitmix64(self.phase_seed ^ u64::from(client)) % period)
    }

    fn schedule_client(&mut self, me: ComponentId, client: u32, at: SimTime, sim: &mut ModelSim) {
        let c = &mut self.clients[client as usize];
        c.generation = c.generation.wrapping_add(1);
        sim.schedule_at(
            at,
            me,
            Msg::timer(RealtimeTimer::Client, client, c.generation),
        );
    }

    /// Records that the client was seen at `at`, counting a flap if it had been shown offline.
    fn seen(&mut self, client: u32, at: SimTime) {
        let timeout = self.config.presence_timeout;
        let counting = self.counting(at);
        let c = &mut self.clients[client as usize];
        if let Some(timeout) = timeout {
            if c.last_seen_ms != NEVER_SEEN {
                let gap_ms = millis(at).saturating_sub(c.last_seen_ms);
                if u128::from(gap_ms) * 1_000_000 > u128::from(timeout.as_nanos()) && counting {
                    self.counters.flaps += 1;
                }
            }
        }
        c.last_seen_ms = millis(at);
    }

    fn backoff(&mut self, attempts: u8) -> SimDuration {
        let doublings = u32::from(attempts.saturating_sub(1)).min(40);
        let base = self.config.backoff.as_nanos();
        let wait = base
            .saturating_mul(1u64 << doublings)
            .min(self.config.max_backoff.as_nanos().max(base));
        match self.config.jitter {
            Jitter::None => SimDuration::from_nanos(wait),
            Jitter::Full => SimDuration::from_nanos(self.backoff_rng.random_range(0..=wait)),
        }
    }

    fn set_connections_level(&mut self, now: SimTime, delta: i64) {
        let level = self.connections.level() as i64 + delta;
        self.connections.set(now, level.max(0) as u64);
    }

    /// A connection attempt by a disconnected client (websocket, long polling).
    fn connect(&mut self, me: ComponentId, client: u32, sim: &mut ModelSim, initial: bool) {
        let now = sim.now();
        let counting = self.counting(now);
        if !initial {
            *self.reconnect_windows.at(now) += 1.0;
            if counting {
                self.counters.reconnect_attempts += 1;
            }
        }
        if counting && !initial {
            self.counters.connects += 1;
        }
        let limit = self.config.max_connections.unwrap_or(u64::MAX);
        let chosen = self
            .instances
            .iter()
            .enumerate()
            .filter(|(_, i)| i.up)
            .min_by_key(|(_, i)| i.connections)
            .map(|(j, _)| j)
            .filter(|&j| self.instances[j].connections < limit);
        let Some(j) = chosen else {
            if counting {
                self.counters.refused += 1;
            }
            let c = &mut self.clients[client as usize];
            c.attempts = c.attempts.saturating_add(1);
            let attempts = c.attempts;
            let wait = self.backoff(attempts);
            self.schedule_client(me, client, now + wait, sim);
            return;
        };
        // The population is connected when the run starts: those connections cost nothing.
        let finish = if initial {
            now
        } else {
            self.charge(j, now, true)
        };
        let inst = &mut self.instances[j];
        inst.connections += 1;
        inst.peak_connections = inst.peak_connections.max(inst.connections);
        self.set_connections_level(now, 1);
        let c = &mut self.clients[client as usize];
        c.instance = j as u32;
        c.attempts = 0;
        if c.flags & FLAG_DROPPED != 0 {
            c.flags &= !FLAG_DROPPED;
            if counting {
                self.counters.reconnects += 1;
            }
            self.dropped_out -= 1;
            if self.dropped_out == 0 {
                if let Some(crash) = self.last_crash {
                    let took = now.since(crash);
                    self.reconnect_time = Some(self.reconnect_time.map_or(took, |t| t.max(took)));
                }
            }
        }
        self.seen(client, finish);
        // Deliveries kept while it was away.
        if let Some(waiting) = self.offline.remove(&client) {
            for sent in waiting {
                if counting {
                    self.counters.delayed += 1;
                }
                self.push(j, client, sent, now);
            }
        }
        // Its periodic activity: heartbeats, or the open poll's timeout. After the initial
        // connection the phase is random (clients connected at different times in the past).
        let period = match self.config.transport {
            Transport::WebSocket => self.config.heartbeat_interval,
            Transport::LongPolling => Some(self.config.poll_timeout),
            Transport::ShortPolling => None,
        };
        if let Some(period) = period {
            let first = if initial {
                self.phase(client, period)
            } else {
                period
            };
            self.schedule_client(me, client, now + first, sim);
        }
    }

    /// Queues one delivery on the instance holding the client's connection or open poll.
    fn push(&mut self, instance: usize, client: u32, sent: SimTime, now: SimTime) {
        self.retire_pushes(instance, now);
        let finish = self.charge(instance, now, false);
        self.instances[instance].pushes.push_back(Push {
            finish,
            client,
            sent,
        });
    }

    /// Records the deliveries that have finished by `now`.
    fn retire_pushes(&mut self, instance: usize, now: SimTime) {
        while let Some(p) = self.instances[instance].pushes.front().copied() {
            if p.finish > now {
                break;
            }
            self.instances[instance].pushes.pop_front();
            self.delivered(p.sent, p.finish);
        }
    }

    fn delivered(&mut self, sent: SimTime, at: SimTime) {
        *self.deliveries_windows.at(at) += 1.0;
        if sent >= self.warmup_end {
            self.counters.deliveries += 1;
            self.latency.record(at.since(sent));
        }
    }

    /// Delivers one message to `client`.
    fn deliver(&mut self, me: ComponentId, client: u32, sent: SimTime, sim: &mut ModelSim) {
        let now = sim.now();
        let transport = self.config.transport;
        if transport == Transport::ShortPolling {
            // It waits for the client's next poll (phase + k * interval).
            let interval = self.config.poll_interval.as_nanos().max(1);
            let phase = self.phase(client, self.config.poll_interval).as_nanos();
            let t = now.as_nanos();
            let next = if t <= phase {
                phase
            } else {
                phase + (t - phase).div_ceil(interval) * interval
            };
            let service = self.config.service_time.sample(&mut self.service_rng);
            self.clients[client as usize].flags |= FLAG_PENDING;
            self.delivered(sent, SimTime::from_nanos(next) + service);
            return;
        }
        let instance = self.clients[client as usize].instance;
        if instance == NO_INSTANCE {
            self.keep_or_lose(client, sent, now);
            return;
        }
        self.push(instance as usize, client, sent, now);
        if transport == Transport::LongPolling {
            // The message answers the open poll; the client opens the next one at once.
            if self.counting(now) {
                self.counters.polls += 1;
            }
            let finish = self.instances[instance as usize].free_at;
            self.seen(client, finish);
            let timeout = self.config.poll_timeout;
            self.schedule_client(me, client, now + timeout, sim);
        }
    }

    fn keep_or_lose(&mut self, client: u32, sent: SimTime, now: SimTime) {
        if self.config.store_offline {
            self.offline.entry(client).or_default().push(sent);
        } else if self.counting(now) || sent >= self.warmup_end {
            self.counters.lost += 1;
        }
    }

    /// A client's timer: a heartbeat, a poll, a poll timeout or a reconnection attempt.
    fn on_client_timer(&mut self, me: ComponentId, client: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let counting = self.counting(now);
        let transport = self.config.transport;
        let instance = self.clients[client as usize].instance;
        if transport.holds_connection() && instance == NO_INSTANCE {
            self.connect(me, client, sim, false);
            return;
        }
        match transport {
            Transport::WebSocket => {
                let Some(interval) = self.config.heartbeat_interval else {
                    return;
                };
                let loss = self.config.heartbeat_loss;
                if loss > 0.0 && self.heartbeat_rng.random::<f64>() < loss {
                    if counting {
                        self.counters.heartbeats_lost += 1;
                    }
                } else {
                    if counting {
                        self.counters.heartbeats += 1;
                    }
                    let finish = self.charge(instance as usize, now, false);
                    self.seen(client, finish);
                }
                self.schedule_client(me, client, now + interval, sim);
            }
            Transport::LongPolling => {
                // The open poll times out empty; the client opens the next one.
                if counting {
                    self.counters.polls += 1;
                    self.counters.empty_polls += 1;
                }
                let finish = self.charge(instance as usize, now, false);
                self.seen(client, finish);
                let timeout = self.config.poll_timeout;
                self.schedule_client(me, client, now + timeout, sim);
            }
            Transport::ShortPolling => {
                let interval = self.config.poll_interval;
                let n = self.instances.len();
                let home = (instance as usize).min(n.saturating_sub(1));
                let target = (0..n)
                    .map(|k| (home + k) % n)
                    .find(|&j| self.instances[j].up);
                let c = &mut self.clients[client as usize];
                let had_message = c.flags & FLAG_PENDING != 0;
                c.flags &= !FLAG_PENDING;
                match target {
                    Some(j) => {
                        self.clients[client as usize].instance = j as u32;
                        if counting {
                            self.counters.polls += 1;
                            if !had_message {
                                self.counters.empty_polls += 1;
                            }
                        }
                        let finish = self.charge(j, now, false);
                        self.seen(client, finish);
                    }
                    None => {
                        if counting {
                            self.counters.failed_polls += 1;
                        }
                    }
                }
                self.schedule_client(me, client, now + interval, sim);
            }
        }
    }

    fn on_send(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let now = sim.now();
        let counting = self.counting(now);
        if counting {
            self.counters.sends += 1;
        }
        self.stats.arrive(now);
        let n = self.instances.len();
        let start = self.next_send_instance;
        let Some(j) = (0..n)
            .map(|k| (start + k) % n)
            .find(|&j| self.instances[j].up)
        else {
            if counting {
                self.counters.sends_failed += 1;
            }
            self.stats.finish(now, now, Outcome::Failed);
            reply(sim, id, Outcome::Failed);
            return;
        };
        self.next_send_instance = (j + 1) % n;
        let finish = self.charge(j, now, false);
        let send = Send {
            generation: 0,
            live: true,
            upstream: id,
            instance: j as u32,
            epoch: self.instances[j].epoch,
            step: 0,
            arrived: now,
            request: sim.world.calls.get(id).request,
        };
        let index = self.sends.insert_next_generation(send);
        let generation = self.sends[index as usize].generation;
        sim.schedule_at(
            finish,
            me,
            Msg::timer(RealtimeTimer::Send, index, generation),
        );
    }

    fn finish_send(&mut self, index: u32, outcome: Outcome, sim: &mut ModelSim) {
        let send = &mut self.sends[index as usize];
        send.live = false;
        let (upstream, arrived) = (send.upstream, send.arrived);
        self.sends.release(index);
        self.stats.finish(arrived, sim.now(), outcome);
        if outcome != Outcome::Succeeded && self.counting(sim.now()) {
            self.counters.sends_failed += 1;
        }
        reply(sim, upstream, outcome);
    }

    /// The send's next step: its next downstream call, or its deliveries and the answer.
    fn advance_send(&mut self, me: ComponentId, index: u32, sim: &mut ModelSim) {
        let send = self.sends[index as usize];
        if let Some(&callee) = self.config.calls.get(send.step as usize) {
            self.sends[index as usize].step += 1;
            call(
                sim,
                me,
                callee,
                u64::from(index),
                send.request,
                ANY_INSTANCE,
            );
            return;
        }
        let sent = send.request.born;
        let clients = self.config.clients;
        let group = self.config.group_fraction > 0.0
            && self.recipient_rng.random::<f64>() < self.config.group_fraction;
        let recipients = if group {
            let (min, max) = self.config.group_size;
            self.recipient_rng.random_range(min..=max)
        } else {
            1
        };
        if sent >= self.warmup_end {
            self.counters.recipients += u64::from(recipients);
        }
        for _ in 0..recipients {
            let client = self.recipient_rng.random_range(0..clients);
            self.deliver(me, client, sent, sim);
        }
        self.finish_send(index, Outcome::Succeeded, sim);
    }

    fn on_send_timer(&mut self, me: ComponentId, index: u32, generation: u32, sim: &mut ModelSim) {
        let Some(send) = self.sends.get(index as usize).copied() else {
            return;
        };
        if !send.live || send.generation != generation {
            return;
        }
        if self.instances[send.instance as usize].epoch != send.epoch {
            // The instance crashed while the send was on it.
            self.finish_send(index, Outcome::Failed, sim);
            return;
        }
        self.advance_send(me, index, sim);
    }

    fn on_reply(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let Some((token, _, outcome)) = take_reply(sim, id) else {
            return;
        };
        let index = token as u32;
        if !self.sends.get(index as usize).is_some_and(|s| s.live) {
            return;
        }
        if outcome == Outcome::Succeeded {
            self.advance_send(me, index, sim);
        } else {
            self.finish_send(index, outcome, sim);
        }
    }

    fn crash(&mut self, me: ComponentId, j: usize, sim: &mut ModelSim) {
        let now = sim.now();
        if !self.instances[j].up {
            return;
        }
        if self.counting(now) {
            self.counters.crashes += 1;
        }
        self.retire_pushes(j, now);
        let inst = &mut self.instances[j];
        inst.up = false;
        inst.epoch = inst.epoch.wrapping_add(1);
        inst.free_at = now;
        let dropped_connections = inst.connections;
        inst.connections = 0;
        let queued: Vec<Push> = inst.pushes.drain(..).collect();
        self.set_connections_level(now, -(dropped_connections as i64));
        // Deliveries still queued on it: kept for reconnection or lost.
        for p in queued {
            self.keep_or_lose(p.client, p.sent, now);
        }
        if !self.config.transport.holds_connection() {
            return;
        }
        let mut dropped = 0;
        for client in 0..self.clients.len() as u32 {
            if self.clients[client as usize].instance != j as u32 {
                continue;
            }
            let c = &mut self.clients[client as usize];
            c.instance = NO_INSTANCE;
            c.flags |= FLAG_DROPPED;
            c.attempts = 1;
            dropped += 1;
            let wait = self.backoff(1);
            self.schedule_client(me, client, now + wait, sim);
        }
        if dropped > 0 {
            self.dropped_out += dropped;
            self.last_crash = Some(now);
            if self.counting(now) {
                self.counters.dropped += dropped;
            }
        }
    }
}

impl Component<Msg, World> for Realtime {
    fn start(&mut self, me: ComponentId, sim: &mut ModelSim) {
        match self.config.transport {
            Transport::ShortPolling => {
                let interval = self.config.poll_interval;
                let n = self.config.instances.max(1);
                for client in 0..self.config.clients {
                    self.clients[client as usize].instance = client % n;
                    let first = self.phase(client, interval);
                    self.schedule_client(me, client, SimTime::ZERO + first, sim);
                }
            }
            Transport::WebSocket | Transport::LongPolling => {
                for client in 0..self.config.clients {
                    self.connect(me, client, sim, true);
                }
            }
        }
    }

    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        match msg.typed::<RealtimeTimer>() {
            Event::Call(id) => self.on_send(me, id, sim),
            Event::Reply(id) => self.on_reply(me, id, sim),
            Event::Timer {
                kind: RealtimeTimer::Client,
                index,
                generation,
            } => {
                // Heartbeats, polls and reconnections would go on for ever: a run that counts
                // requests ends once they are all done (see `World::requests_done`).
                if sim.world.requests_done() {
                    return;
                }
                if self
                    .clients
                    .get(index as usize)
                    .is_some_and(|c| c.generation == generation)
                {
                    self.on_client_timer(me, index, sim);
                }
            }
            Event::Timer {
                kind: RealtimeTimer::Send,
                index,
                generation,
            } => self.on_send_timer(me, index, generation, sim),
            Event::UnknownTimer { .. } => {}
            Event::Control(control) => {
                let n = self.instances.len();
                let pick = |instance: u32| -> Vec<usize> {
                    if instance == ALL_INSTANCES {
                        (0..n).collect()
                    } else {
                        (instance as usize..n).take(1).collect()
                    }
                };
                let now = sim.now();
                match control {
                    Control::Crash { instance } => {
                        for j in pick(instance) {
                            self.crash(me, j, sim);
                        }
                    }
                    Control::Recover { instance } => {
                        for j in pick(instance) {
                            let inst = &mut self.instances[j];
                            inst.up = true;
                            inst.free_at = inst.free_at.max(now);
                        }
                    }
                    Control::Slow { instance, factor } => {
                        for j in pick(instance) {
                            self.instances[j].slow = f64::from(factor.max(0.0));
                        }
                    }
                    // Rejected by the checker: real-time servers crash or slow down.
                    Control::Errors { .. } | Control::ClockJump { .. } => {}
                }
            }
        }
    }

    fn finish(&mut self, _me: ComponentId, sim: &mut ModelSim) {
        let now = sim.now();
        for j in 0..self.instances.len() {
            self.retire_pushes(j, now);
        }
        self.connections.advance_to(now);
        // Clients shown offline at the end are flaps that have not ended.
        if let Some(timeout) = self.config.presence_timeout {
            let now_ms = millis(now);
            let timeout_ns = u128::from(timeout.as_nanos());
            let offline = self
                .clients
                .iter()
                .filter(|c| {
                    c.last_seen_ms != NEVER_SEEN
                        && u128::from(now_ms.saturating_sub(c.last_seen_ms)) * 1_000_000
                            > timeout_ns
                })
                .count() as u64;
            self.counters.flaps += offline;
        }
    }
}

impl Node for Realtime {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn report(&self, end: SimTime) -> ComponentReport {
        let mut report =
            ComponentReport::from_request_stats(&self.config.name, Kind::Realtime, &self.stats);
        let c = &self.counters;
        let measured = end.since(self.warmup_end).as_secs_f64();
        let per_s = |n: u64| {
            if measured > 0.0 {
                n as f64 / measured
            } else {
                0.0
            }
        };
        let busy: u128 = self.instances.iter().map(|i| i.busy_ns).sum();
        let capacity_ns = measured * 1e9 * self.instances.len() as f64;
        report.utilization = Some(if capacity_ns > 0.0 {
            busy as f64 / capacity_ns
        } else {
            0.0
        });
        report.latency = self.latency.summary();
        let peak_per_instance = self
            .instances
            .iter()
            .map(|i| i.peak_connections)
            .max()
            .unwrap_or(0);
        let reconnect_peak = self
            .reconnect_windows
            .rows()
            .iter()
            .copied()
            .fold(0.0, f64::max)
            / (self.reconnect_windows.width_ns() as f64 / 1e9);
        let requests = c.sends + c.polls + c.heartbeats + c.connects;
        let empty_fraction = if c.polls > 0 {
            Some(c.empty_polls as f64 / c.polls as f64)
        } else {
            None
        };
        let still_out = self.dropped_out;
        report.figures = crate::model::figures::Figures::Realtime(Box::new(RealtimeFigures {
            clients: u64::from(self.config.clients),
            connections_at_end: self.connections.level(),
            connections_mean: self.connections.mean(end),
            connections_peak: self.connections.peak(),
            connections_peak_per_instance: peak_per_instance,
            crashes: c.crashes,
            deliveries: c.deliveries,
            deliveries_per_s: per_s(c.deliveries),
            deliveries_queued_at_end: self
                .instances
                .iter()
                .map(|i| {
                    i.pushes
                        .iter()
                        .filter(|p| p.sent >= self.warmup_end)
                        .count() as u64
                })
                .sum(),
            delivery_latency_ms: LatencyBrief {
                mean: self.latency.mean_ms(),
                p50: self.latency.quantile_ms(0.50),
                p99: self.latency.quantile_ms(0.99),
                max: self.latency.max_ms(),
            },
            dropped_connections: c.dropped,
            empty_poll_fraction: empty_fraction,
            empty_polls: c.empty_polls,
            failed_polls: c.failed_polls,
            heartbeats: c.heartbeats,
            heartbeats_lost: c.heartbeats_lost,
            memory_peak_per_instance_bytes: peak_per_instance
                .saturating_mul(self.config.memory_per_connection),
            messages: c.sends,
            messages_delayed: c.delayed,
            messages_failed: c.sends_failed,
            messages_lost: c.lost,
            offline_waiting_at_end: self.offline.values().map(|v| v.len() as u64).sum(),
            polls: c.polls,
            presence_flaps: c.flaps,
            recipients: c.recipients,
            reconnect_attempts: c.reconnect_attempts,
            reconnect_peak_per_s: reconnect_peak,
            reconnect_time_s: if still_out == 0 {
                self.reconnect_time.map(|t| t.as_secs_f64())
            } else {
                None
            },
            reconnects: c.reconnects,
            refused_connections: c.refused,
            requests_per_s: RealtimeRates {
                messages: per_s(c.sends),
                polls: per_s(c.polls),
                heartbeats: per_s(c.heartbeats),
                connects: per_s(c.connects),
                total: per_s(requests),
            },
            still_disconnected: still_out,
            transport: self.config.transport.name().to_string(),
        }));
        report.lost.insert("realtime_messages", c.lost);
        report.extra_windows = vec![
            (
                "connections".into(),
                WindowSeries::Level(self.connections.windows()),
            ),
            (
                "reconnects".into(),
                WindowSeries::Count(self.reconnect_windows.clone()),
            ),
            (
                "deliveries".into(),
                WindowSeries::Count(self.deliveries_windows.clone()),
            ),
        ];
        report
    }
}
