//! The web-architecture model: requests travel as calls between components (traffic sources,
//! server pools, load balancers, ...), each component behind the engine's one trait.
//!
//! A component that receives a [`Msg::Call`] eventually answers it with [`reply`]; in between it
//! may queue it, forward it (a load balancer opens a call of its own to a backend) or start
//! sub-requests (a web server calls its database). Every message between two components crosses
//! the [`network::Network`], which adds the link's latency.

pub mod components;
pub mod figures;
pub mod kind;
pub mod support;

// Every module keeps its old path (`crate::model::server`, `crate::model::dist`, ...): one
// `pub use` a line, so that `tests/no_import_circles.rs` (which reads them line by line) follows them.
pub use components::cache;
pub use components::cdn;
pub use components::database;
pub use components::dns;
pub use components::failures;
pub use components::fanout;
pub use components::id_generator;
pub use components::load_balancer;
pub use components::provider;
pub use components::queue;
pub use components::rate_limiter;
pub use components::realtime;
pub use components::server;
pub use components::shard;
pub use components::source;
pub use support::autoscale;
pub use support::breakdown;
pub use support::breaker;
pub use support::call;
pub use support::client_cache;
pub use support::count;
pub use support::dist;
pub use support::downtime;
pub use support::impact;
pub use support::key_map;
pub use support::keys;
pub use support::network;
pub use support::probe;
pub use support::rate;
pub use support::sessions;
pub use support::slab;
pub use support::stats;
pub use support::timer;
pub use support::versions;

use crate::engine::{Component, ComponentId, Sim, SimDuration, SimTime};
use crate::stats::Outcome;
use call::{CallId, CallTable, Request};
use network::Network;
pub use stats::{ComponentReport, NodeStats, RequestStats, StatsClock, WindowSeries};
use timer::TimerKind;
use versions::Versions;

/// Every event in the model.
#[derive(Clone, Copy, Debug)]
pub enum Msg {
    /// A call arrives at its callee.
    Call(CallId),
    /// The reply to a call arrives back at its caller; the outcome is in the call.
    Reply(CallId),
    /// A failure or repair applied to the component (from the scenario's failure schedule).
    Control(Control),
    /// A component's own timer; `kind`, `index` and `generation` mean what the component says.
    /// Components build it with [`Msg::timer`] and read it with [`Msg::typed`].
    Timer {
        kind: u16,
        index: u32,
        generation: u32,
    },
}

impl Msg {
    /// A timer of one of the component's own kinds (see [`timer::timer_kinds!`]).
    #[inline]
    pub fn timer<K: TimerKind>(kind: K, index: u32, generation: u32) -> Msg {
        Msg::Timer {
            kind: kind.tag(),
            index,
            generation,
        }
    }

    /// The message as a component with timer kinds `K` reads it: its timer's tag typed.
    #[inline]
    pub fn typed<K: TimerKind>(self) -> Event<K> {
        match self {
            Msg::Call(id) => Event::Call(id),
            Msg::Reply(id) => Event::Reply(id),
            Msg::Control(control) => Event::Control(control),
            Msg::Timer {
                kind,
                index,
                generation,
            } => match K::from_tag(kind) {
                Some(kind) => Event::Timer {
                    kind,
                    index,
                    generation,
                },
                None => Event::UnknownTimer { kind },
            },
        }
    }
}

/// A [`Msg`] as one component reads it, its own timer kinds typed, so that its handler
/// matches every kind by name and the compiler names a kind without an arm.
#[derive(Clone, Copy, Debug)]
pub enum Event<K> {
    Call(CallId),
    Reply(CallId),
    Control(Control),
    Timer {
        kind: K,
        index: u32,
        generation: u32,
    },
    /// A timer whose tag is none of the component's kinds. A component receives only the
    /// timers it set, so this does not happen; handlers ignore it, as they always ignored an
    /// unknown tag.
    UnknownTimer {
        kind: u16,
    },
}

pub type ModelSim = Sim<Msg, World>;

/// Every instance of a pool, for [`Control`] messages.
pub const ALL_INSTANCES: u32 = u32::MAX;

/// Failures and repairs a component can be told to apply.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Control {
    /// The instance (or [`ALL_INSTANCES`]) stops: requests inside it fail, new ones are refused.
    Crash { instance: u32 },
    /// The instance comes back, empty.
    Recover { instance: u32 },
    /// Service times are multiplied by `factor` (1 restores normal speed).
    Slow { instance: u32, factor: f32 },
    /// This fraction of arriving requests fails at once (0 restores normal behaviour).
    Errors { fraction: f32 },
    /// The instance's clock (or every instance's) jumps by `by_ns` nanoseconds (negative:
    /// backwards). Only components that read a clock (a snowflake id generator) react.
    ClockJump { instance: u32, by_ns: i64 },
}

/// A component of the model: an engine component that can describe its results.
pub trait Node: Component<Msg, World> {
    fn name(&self) -> &str;
    fn report(&self, end: SimTime) -> ComponentReport;

    /// The report, for components whose figures may live in the shared state (a single traffic
    /// source's are the end-to-end ones); the others need not override it.
    fn report_in(&self, end: SimTime, _world: Option<&World>) -> ComponentReport {
        self.report(end)
    }

    /// Requests this component holds between two attempts (a traffic source's retries waiting
    /// for their back-off): not in any open call, yet not finished. The run's end counts them
    /// as unfinished; only traffic sources hold any.
    fn requests_between_attempts(&self, _out: &mut Vec<Request>) {}
}

/// How many requests the sources may still start.
#[derive(Clone, Copy, Debug)]
pub struct RequestBudget {
    pub limit: Option<u64>,
    pub issued: u64,
    /// Sources start no request at or after this instant.
    pub stop_issuing_at: SimTime,
}

impl RequestBudget {
    /// Whether the request limit has been reached.
    pub fn exhausted(&self) -> bool {
        self.limit.is_some_and(|limit| self.issued >= limit)
    }

    /// Takes one request from the budget, if any is left at `now`.
    pub fn take(&mut self, now: SimTime) -> bool {
        if now >= self.stop_issuing_at || self.exhausted() {
            return false;
        }
        self.issued += 1;
        true
    }
}

/// End-to-end statistics of requests, as the clients see them.
/// A service-level objective: `target` of requests succeed within `latency`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Slo {
    pub latency: SimDuration,
    pub target: f64,
}

pub struct EndToEnd {
    pub all: RequestStats,
    pub slo: Option<Slo>,
    /// Requests born after the warm-up that met the SLO (succeeded within its latency).
    pub slo_good: u64,
    /// Requests that met the SLO, per window of completion.
    pub slo_good_windows: crate::stats::Windows<u64>,
    /// Per request type, in the order of the scenario's types; empty when there is only one
    /// type (its figures are those of `all`).
    pub by_type: Vec<RequestStats>,
    /// Downtime intervals as the clients saw them.
    pub downtime: downtime::Downtime,
    /// Requests started and finished over the whole run (warm-up included).
    pub started: u64,
    pub finished: u64,
    /// When a request last started or finished (see [`World::stalled_since`]).
    pub last_progress: SimTime,
}

impl EndToEnd {
    pub fn record(&mut self, request: &Request, now: SimTime, outcome: Outcome) {
        self.finished += 1;
        self.last_progress = now;
        self.all.finish(request.born, now, outcome);
        self.downtime.record(now, outcome);
        if let Some(slo) = self.slo {
            if outcome == Outcome::Succeeded && now - request.born <= slo.latency {
                *self.slo_good_windows.at(now) += 1;
                if request.born >= self.all.warmup_end() {
                    self.slo_good += 1;
                }
            }
        }
        if let Some(stats) = self.by_type.get_mut(request.kind as usize) {
            stats.finish(request.born, now, outcome);
        }
    }

    pub fn arrive(&mut self, request: &Request) {
        self.started += 1;
        self.last_progress = request.born;
        self.all.arrive(request.born);
        if let Some(stats) = self.by_type.get_mut(request.kind as usize) {
            stats.arrive(request.born);
        }
    }
}

/// State shared by every component.
pub struct World {
    pub calls: CallTable,
    pub network: Network,
    pub clock: StatsClock,
    pub budget: RequestBudget,
    pub end_to_end: EndToEnd,
    /// Per request type: does it write data?
    pub write_types: Vec<bool>,
    /// Versions of the data in stores of record (for stale reads from caches).
    pub versions: Versions,
    /// Most calls open at once before the run is stopped (memory guard).
    pub max_in_flight: usize,
    /// Set when a guard stopped the run: its name, as `summary.json` reports it.
    pub stopped_by_guard: Option<&'static str>,
    /// Which instances of autoscaled pools take new requests.
    pub membership: autoscale::Membership,
    next_request_id: u64,
    /// Per-hop latency breakdown and sampled traces, when the run keeps them.
    pub breakdown: Option<Box<breakdown::Breakdown>>,
    /// Each failure's impact, when the scenario has failures.
    pub impact: Option<Box<impact::ImpactTracker>>,
}

impl World {
    pub fn new(
        network: Network,
        clock: StatsClock,
        budget: RequestBudget,
        write_types: Vec<bool>,
    ) -> Self {
        let request_types = write_types.len();
        World {
            calls: CallTable::default(),
            network,
            clock,
            budget,
            end_to_end: EndToEnd {
                all: RequestStats::with_window_latency(clock),
                slo: None,
                slo_good: 0,
                slo_good_windows: crate::stats::Windows::new(clock.window_ns),
                by_type: (0..request_types)
                    .filter(|_| request_types > 1)
                    .map(|_| RequestStats::new(clock))
                    .collect(),
                downtime: downtime::Downtime::default(),
                started: 0,
                finished: 0,
                last_progress: SimTime::ZERO,
            },
            write_types,
            versions: Versions::default(),
            max_in_flight: usize::MAX,
            stopped_by_guard: None,
            membership: autoscale::Membership::default(),
            next_request_id: 0,
            breakdown: None,
            impact: None,
        }
    }

    /// Whether requests of this type write data.
    pub fn is_write(&self, request: &Request) -> bool {
        is_write_kind(&self.write_types, request.kind)
    }

    /// Whether a request-count run has nothing left to do for its clients: the sources may
    /// start no more requests and every request started has finished. Periodic activities
    /// (health probes, autoscaler evaluations, random failures) stop then, so that the run ends
    /// ("all_requests_done") once the work still under way (abandoned attempts, queued
    /// messages) has drained; otherwise their timers would keep the engine busy forever.
    /// Always false in a run without a request limit.
    pub fn requests_done(&self) -> bool {
        self.budget.exhausted() && self.end_to_end.finished >= self.end_to_end.started
    }

    /// In a request-count run, the instant since which no request has started or finished
    /// although the run cannot end by itself: requests are still in flight or the request limit
    /// is reached. `None` while the run is progressing normally (or waiting, request-free,
    /// for the sources' next request). The run's stall guard reads it.
    pub fn stalled_since(&self) -> Option<SimTime> {
        self.budget.limit?;
        let in_flight = self.end_to_end.finished < self.end_to_end.started;
        (in_flight || self.budget.exhausted()).then_some(self.end_to_end.last_progress)
    }

    pub fn next_request_id(&mut self) -> u64 {
        self.next_request_id += 1;
        self.next_request_id
    }
}

fn is_write_kind(write_types: &[bool], kind: u16) -> bool {
    write_types.get(kind as usize).copied().unwrap_or(false)
}

/// Opens a call from `caller` to `callee` and sends it across the network.
pub fn call(
    sim: &mut ModelSim,
    caller: ComponentId,
    callee: ComponentId,
    token: u64,
    request: Request,
    instance: u32,
) -> CallId {
    let id = sim
        .world
        .calls
        .open(caller, callee, token, request, instance);
    if sim.world.calls.live() > sim.world.max_in_flight && sim.world.stopped_by_guard.is_none() {
        // Runaway growth (an unbounded queue under overload, a retry storm): stop before
        // memory runs out; the results so far are written, marked truncated.
        sim.world.stopped_by_guard = Some("max_in_flight");
        sim.request_stop();
    }
    // A partition drops the call: the caller finds out through its timeout.
    let now = sim.now();
    let region = request.region;
    let route = sim.world.network.route_request(caller, callee, region);
    let arrived = route.map_or(SimTime::NEVER, |latency| now + latency);
    let c = sim.world.calls.get_mut(id);
    c.opened = now;
    c.arrived = arrived;
    c.started = arrived;
    if let Some(latency) = route {
        sim.schedule_in(latency, callee, Msg::Call(id));
    }
    id
}

/// Answers a call. If the caller has given up on it, the reply is dropped and the call closed.
/// A versioned store applies a write here and stamps the reply with the key's version.
pub fn reply(sim: &mut ModelSim, id: CallId, outcome: Outcome) {
    let now = sim.now();
    let world = &mut sim.world;
    let call = world.calls.get_mut(id);
    if call.replied {
        return;
    }
    call.replied = true;
    call.outcome = outcome;
    call.answered = now;
    if outcome != Outcome::Succeeded {
        if let Some(impact) = world.impact.as_mut() {
            impact.blame(&call.request, call.callee);
        }
    }
    if outcome == Outcome::Succeeded && world.versions.is_versioned(call.callee) {
        let write = is_write_kind(&world.write_types, call.request.kind);
        call.version = world
            .versions
            .on_answer(call.callee, call.request.key, write);
    }
    if call.abandoned {
        sim.world.calls.close(id);
        return;
    }
    let (caller, callee, region) = (call.caller, call.callee, call.request.region);
    if let Some(latency) = sim.world.network.route_request(callee, caller, region) {
        sim.schedule_in(latency, caller, Msg::Reply(id));
    }
}

/// Takes a reply that arrived at its caller: returns the call's token, request and outcome and
/// closes the call, or `None` if the caller had already abandoned it. A successful write's
/// reply from a versioned store acknowledges the write.
pub fn take_reply(sim: &mut ModelSim, id: CallId) -> Option<(u64, Request, Outcome)> {
    let now = sim.now();
    let world = &mut sim.world;
    let call = world.calls.get(id);
    let result = (!call.abandoned).then_some((call.token, call.request, call.outcome));
    if result.is_some() {
        if let Some(breakdown) = world.breakdown.as_mut() {
            breakdown.charge(call, now);
        }
    }
    if result.is_some_and(|(_, request, outcome)| {
        outcome == Outcome::Succeeded
            && world.versions.is_versioned(call.callee)
            && is_write_kind(&world.write_types, request.kind)
    }) {
        world
            .versions
            .on_acknowledged(call.callee, call.request.key, call.version, call.caller);
    }
    world.calls.close(id);
    result
}
