//! Load balancer: forwards each call to one backend instance and relays the reply.
//!
//! Layer 4 mode has one backend group. Layer 7 mode routes by request type to different groups
//! (e.g. writes to one pool, reads to another), with a default group for the other types.
//! Backends are server pools; each instance of a pool is a separate backend, with the pool's
//! weight. The balancer adds no delay of its own; links add network latency.
//!
//! Algorithms: round robin, smooth weighted round robin (as in nginx), random, hash of the client
//! or of the key, least connections (fewest calls in flight from this balancer), least response
//! time (lowest EWMA of observed latency times calls in flight + 1), and power of two choices
//! (two distinct random backends, the one with fewer calls in flight).
//!
//! Passive health checking, as in Envoy's outlier detection: after `failures_to_eject`
//! consecutive failed or rejected replies a backend is skipped for `ejection`. If every backend of
//! a group is ejected the balancer uses them all rather than fail every request ("panic mode").
//!
//! Instances of autoscaled pools that are not in service (absent, provisioning or draining)
//! are not backends at the moment: no algorithm picks them, panic mode included, and they are not
//! probed (a new instance starts healthy, as after passing its registration checks).
//!
//! Tests: one unit test per algorithm below; balance and latency in `tests/queueing_theory.rs`.

use crate::model::figures::load_balancer::{BalancerFigures, HealthEvent};
use crate::model::kind::Kind;
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use rand::Rng;

use crate::engine::rng::{splitmix64, SimRng};
use crate::engine::{Component, ComponentId, SimDuration, SimTime};
use crate::model::support::call::CallId;
use crate::model::support::probe::{self, ProbeSchedule, PROBE_KIND, PROBE_TOKEN};
use crate::model::support::slab::Slab;
use crate::model::{
    call, reply, take_reply, ComponentReport, ModelSim, Msg, Node, RequestStats, World,
};
use crate::stats::Outcome;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashOn {
    Client,
    Key,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    RoundRobin,
    WeightedRoundRobin,
    Random,
    Hash(HashOn),
    LeastConnections,
    LeastResponseTime,
    PowerOfTwoChoices,
}

impl Algorithm {
    pub const NAMES: &'static [&'static str] = &[
        "round_robin",
        "weighted_round_robin",
        "random",
        "client_hash",
        "key_hash",
        "least_connections",
        "least_response_time",
        "power_of_two_choices",
    ];

    pub fn from_name(name: &str) -> Option<Algorithm> {
        Some(match name {
            "round_robin" => Algorithm::RoundRobin,
            "weighted_round_robin" => Algorithm::WeightedRoundRobin,
            "random" => Algorithm::Random,
            "client_hash" | "ip_hash" => Algorithm::Hash(HashOn::Client),
            "key_hash" => Algorithm::Hash(HashOn::Key),
            "least_connections" => Algorithm::LeastConnections,
            "least_response_time" => Algorithm::LeastResponseTime,
            "power_of_two_choices" => Algorithm::PowerOfTwoChoices,
            _ => return None,
        })
    }
}

/// One backend instance.
#[derive(Clone, Debug)]
pub struct Backend {
    pub component: ComponentId,
    pub instance: u32,
    pub weight: u32,
}

/// Passive health checking settings.
#[derive(Clone, Copy, Debug)]
pub struct PassiveHealth {
    pub failures_to_eject: u32,
    pub ejection: SimDuration,
}

/// Active health checking: the balancer probes every backend each `interval`; a probe not
/// answered within `timeout` fails; `unhealthy` consecutive failures mark the backend down,
/// `healthy` consecutive successes mark it up again.
#[derive(Clone, Copy, Debug)]
pub struct ActiveHealth {
    pub interval: SimDuration,
    pub timeout: SimDuration,
    pub unhealthy: u32,
    pub healthy: u32,
}

#[derive(Clone, Debug)]
pub struct GroupConfig {
    pub algorithm: Algorithm,
    pub backends: Vec<Backend>,
}

#[derive(Clone, Debug)]
pub struct BalancerConfig {
    pub name: String,
    pub groups: Vec<GroupConfig>,
    /// Group index per request type.
    pub route_of_type: Vec<usize>,
    pub health: Option<PassiveHealth>,
    pub active_health: Option<ActiveHealth>,
    /// The name of each pool among the backends, by component index: what the report names a
    /// backend by (an instance index alone is the same for every pool).
    pub backend_names: std::collections::BTreeMap<u32, String>,
}

/// Per-backend state kept by the balancer.
#[derive(Clone, Debug, Default)]
struct BackendState {
    in_flight: u32,
    /// Exponentially weighted mean of observed latency [ns].
    latency_ewma_ns: f64,
    consecutive_failures: u32,
    ejected_until: SimTime,
    /// Smooth weighted round robin's running weight.
    current_weight: i64,
    requests: u64,
    /// Marked down by active health checks.
    probe_down: bool,
}

/// Weight of the newest observation in the latency EWMA (as in Finagle's peak EWMA defaults,
/// roughly the last ten replies matter).
const EWMA_ALPHA: f64 = 0.1;

/// The pure selection logic of one group, kept apart from the event plumbing so that it can be
/// unit-tested.
pub struct Group {
    algorithm: Algorithm,
    backends: Vec<Backend>,
    state: Vec<BackendState>,
    cursor: usize,
}

/// Takes the position `cursor` points at among `n` (`n > 0`) and moves the cursor to the next,
/// wrapping around: `cursor % n`, then `(that + 1) % n`, dividing only when the cursor is out
/// of range (the ring has shrunk) rather than twice per request.
pub fn rotate(cursor: &mut usize, n: usize) -> usize {
    let i = if *cursor < n { *cursor } else { *cursor % n };
    *cursor = if i + 1 < n { i + 1 } else { 0 };
    i
}

impl Group {
    pub fn new(config: GroupConfig) -> Self {
        let n = config.backends.len();
        Group {
            algorithm: config.algorithm,
            backends: config.backends,
            state: vec![BackendState::default(); n],
            cursor: 0,
        }
    }

    fn healthy(&self, i: usize, now: SimTime) -> bool {
        self.state[i].ejected_until <= now && !self.state[i].probe_down
    }

    /// Picks a backend index for a request with this client and key, among the backends that
    /// are `member`s (in service), or `None` if there is none.
    pub fn pick(
        &mut self,
        client: u32,
        key: u64,
        now: SimTime,
        rng: &mut SimRng,
        member: impl Fn(&Backend) -> bool,
    ) -> Option<usize> {
        let n = self.backends.len();
        // Fast path: every backend in service (pools without autoscaling).
        let all_members = self.backends.iter().all(&member);
        let in_service = |g: &Group, i: usize| all_members || member(&g.backends[i]);
        if !all_members && !(0..n).any(|i| in_service(self, i)) {
            return None;
        }
        let any_healthy = (0..n).any(|i| in_service(self, i) && self.healthy(i, now));
        // In panic mode every backend in service counts as healthy.
        let usable = |g: &Group, i: usize| in_service(g, i) && (!any_healthy || g.healthy(i, now));
        Some(self.pick_usable(client, key, rng, usable))
    }

    fn pick_usable(
        &mut self,
        client: u32,
        key: u64,
        rng: &mut SimRng,
        usable: impl Fn(&Group, usize) -> bool,
    ) -> usize {
        let n = self.backends.len();
        match self.algorithm {
            Algorithm::RoundRobin => {
                for _ in 0..n {
                    let i = rotate(&mut self.cursor, n);
                    if usable(self, i) {
                        return i;
                    }
                }
                0
            }
            Algorithm::WeightedRoundRobin => {
                let mut total = 0i64;
                let mut best: Option<usize> = None;
                for i in 0..n {
                    if !usable(self, i) {
                        continue;
                    }
                    let w = i64::from(self.backends[i].weight);
                    total += w;
                    self.state[i].current_weight += w;
                    if best
                        .is_none_or(|b| self.state[i].current_weight > self.state[b].current_weight)
                    {
                        best = Some(i);
                    }
                }
                let best = best.unwrap_or(0);
                self.state[best].current_weight -= total;
                best
            }
            Algorithm::Random => {
                let candidates = (0..n).filter(|&i| usable(self, i)).count();
                let mut k = rng.random_range(0..candidates.max(1));
                for i in 0..n {
                    if usable(self, i) {
                        if k == 0 {
                            return i;
                        }
                        k -= 1;
                    }
                }
                0
            }
            Algorithm::Hash(on) => {
                let value = match on {
                    HashOn::Client => u64::from(client),
                    HashOn::Key => key,
                };
                let start = (splitmix64(value) % n as u64) as usize;
                // An unhealthy backend's requests move to the next healthy one; the others stay.
                (0..n)
                    .map(|k| (start + k) % n)
                    .find(|&i| usable(self, i))
                    .unwrap_or(start)
            }
            Algorithm::LeastConnections => {
                self.least_by(n, |g, i| u64::from(g.state[i].in_flight) as f64, &usable)
            }
            Algorithm::LeastResponseTime => self.least_by(
                n,
                |g, i| g.state[i].latency_ewma_ns * f64::from(g.state[i].in_flight + 1),
                &usable,
            ),
            Algorithm::PowerOfTwoChoices => {
                let candidates: usize = (0..n).filter(|&i| usable(self, i)).count();
                if candidates <= 1 {
                    return (0..n).find(|&i| usable(self, i)).unwrap_or(0);
                }
                let a = rng.random_range(0..candidates);
                let mut b = rng.random_range(0..candidates - 1);
                if b >= a {
                    b += 1;
                }
                let nth = |k: usize| (0..n).filter(|&i| usable(self, i)).nth(k).unwrap_or(0);
                let (a, b) = (nth(a), nth(b));
                if self.state[b].in_flight < self.state[a].in_flight {
                    b
                } else {
                    a
                }
            }
        }
    }

    /// The usable backend with the lowest score; ties go to the first one at or after a rotating
    /// cursor, so that equal backends share the load instead of the first taking it all.
    fn least_by(
        &mut self,
        n: usize,
        score: impl Fn(&Group, usize) -> f64,
        usable: &impl Fn(&Group, usize) -> bool,
    ) -> usize {
        let start = rotate(&mut self.cursor, n);
        let mut best: Option<(usize, f64)> = None;
        for k in 0..n {
            let i = (start + k) % n;
            if !usable(self, i) {
                continue;
            }
            let s = score(self, i);
            if best.is_none_or(|(_, b)| s < b) {
                best = Some((i, s));
            }
        }
        best.map_or(start, |(i, _)| i)
    }

    pub fn on_sent(&mut self, i: usize) {
        self.state[i].in_flight += 1;
        self.state[i].requests += 1;
    }

    pub fn on_reply(
        &mut self,
        i: usize,
        latency: SimDuration,
        outcome: Outcome,
        now: SimTime,
        health: Option<PassiveHealth>,
    ) {
        let s = &mut self.state[i];
        s.in_flight = s.in_flight.saturating_sub(1);
        // Only least response time reads the mean; the others skip the floating-point work.
        if self.algorithm == Algorithm::LeastResponseTime {
            let observed = latency.as_nanos() as f64;
            s.latency_ewma_ns = if s.latency_ewma_ns == 0.0 {
                observed
            } else {
                s.latency_ewma_ns + EWMA_ALPHA * (observed - s.latency_ewma_ns)
            };
        }
        match outcome {
            Outcome::Succeeded => s.consecutive_failures = 0,
            Outcome::Failed | Outcome::Rejected | Outcome::TimedOut => {
                s.consecutive_failures += 1;
                if let Some(h) = health {
                    if s.consecutive_failures >= h.failures_to_eject {
                        s.ejected_until = now + h.ejection;
                        s.consecutive_failures = 0;
                    }
                }
            }
        }
    }

    pub fn backend(&self, i: usize) -> &Backend {
        &self.backends[i]
    }
}

/// A call being relayed: where it came from and which backend took it.
#[derive(Clone, Copy, Debug)]
struct Relay {
    upstream: CallId,
    group: u32,
    backend: u32,
    sent: SimTime,
    arrived: SimTime,
    probe: bool,
}

pub struct LoadBalancer {
    config_name: String,
    groups: Vec<Group>,
    route_of_type: Vec<usize>,
    health: Option<PassiveHealth>,
    relays: Slab<Option<Relay>>,
    rng: SimRng,
    stats: RequestStats,
    ejections: u64,
    active_health: Option<ActiveHealth>,
    probes: Vec<Probe>,
    /// (time, group, backend, up) for every health-check transition.
    health_events: Vec<(SimTime, usize, usize, bool)>,
    /// See [`BalancerConfig::backend_names`].
    backend_names: std::collections::BTreeMap<u32, String>,
}

/// Active health-check state of one backend of one group.
#[derive(Clone, Copy, Debug)]
struct Probe {
    group: usize,
    backend: usize,
    /// Sequence number of the probe in flight, if any.
    pending: Option<u32>,
    sequence: u32,
    failures: u32,
    successes: u32,
}

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum LoadBalancerTimer {
        ProbeSend = 0,
        ProbeTimeout = 1,
    }
}

impl LoadBalancer {
    pub fn new(config: BalancerConfig, rng: SimRng, world: &World) -> Self {
        LoadBalancer {
            config_name: config.name,
            groups: config.groups.into_iter().map(Group::new).collect(),
            route_of_type: config.route_of_type,
            health: config.health,
            relays: Slab::default(),
            rng,
            stats: RequestStats::new(world.clock),
            ejections: 0,
            active_health: config.active_health,
            probes: Vec::new(),
            health_events: Vec::new(),
            backend_names: config.backend_names,
        }
    }

    fn send_probe(&mut self, me: ComponentId, index: usize, sim: &mut ModelSim) {
        let Some(health) = self.active_health else {
            return;
        };
        if sim.world.requests_done() {
            // A request-count run whose requests have all finished: probing on would keep
            // the run from ever ending (see `World::requests_done`).
            return;
        }
        let probe = &mut self.probes[index];
        let backend = self.groups[probe.group].backend(probe.backend).clone();
        if !sim
            .world
            .membership
            .accepts(backend.component, backend.instance)
        {
            // Not in service: nothing to probe. Whatever is known of the slot is forgotten, so
            // the next instance in it starts healthy.
            probe.pending = None;
            probe.failures = 0;
            probe.successes = 0;
            let state = &mut self.groups[probe.group].state[probe.backend];
            state.probe_down = false;
            state.ejected_until = SimTime::ZERO;
            state.consecutive_failures = 0;
            sim.schedule_in(
                health.interval,
                me,
                Msg::timer(LoadBalancerTimer::ProbeSend, index as u32, 0),
            );
            return;
        }
        probe.sequence = probe.sequence.wrapping_add(1);
        probe.pending = Some(probe.sequence);
        let schedule = probe_schedule(health);
        probe::send(
            sim,
            me,
            backend.component,
            backend.instance,
            0,
            index,
            probe.sequence,
            schedule,
        );
    }

    /// Counts a probe's result and marks the backend down or up when a threshold is reached.
    fn probe_result(&mut self, index: usize, ok: bool, now: SimTime) {
        let Some(health) = self.active_health else {
            return;
        };
        let probe = &mut self.probes[index];
        probe.pending = None;
        let state = &mut self.groups[probe.group].state[probe.backend];
        if ok {
            probe.failures = 0;
            probe.successes += 1;
            if state.probe_down && probe.successes >= health.healthy {
                state.probe_down = false;
                self.health_events
                    .push((now, probe.group, probe.backend, true));
            }
        } else {
            probe.successes = 0;
            probe.failures += 1;
            if !state.probe_down && probe.failures >= health.unhealthy {
                state.probe_down = true;
                self.health_events
                    .push((now, probe.group, probe.backend, false));
            }
        }
    }

    fn on_call(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let now = sim.now();
        let request = sim.world.calls.get(id).request;
        // Health probes relayed for a DNS stay out of the statistics.
        let probe = request.kind == PROBE_KIND;
        if !probe {
            self.stats.arrive(now);
        }
        let group_index = self
            .route_of_type
            .get(request.kind as usize)
            .copied()
            .unwrap_or(0);
        let Some(group) = self
            .groups
            .get_mut(group_index)
            .filter(|g| !g.backends.is_empty())
        else {
            if !probe {
                self.stats.finish(now, now, Outcome::Rejected);
            }
            reply(sim, id, Outcome::Rejected);
            return;
        };
        let membership = &sim.world.membership;
        let (client, key, rng) = (request.client, request.key, &mut self.rng);
        // Without autoscaled pools every backend is in service, and the check compiles away.
        let picked = if membership.is_empty() {
            group.pick(client, key, now, rng, |_| true)
        } else {
            group.pick(client, key, now, rng, |b| {
                membership.accepts(b.component, b.instance)
            })
        };
        let Some(i) = picked else {
            // Every backend instance is out of service.
            if !probe {
                self.stats.finish(now, now, Outcome::Failed);
            }
            reply(sim, id, Outcome::Failed);
            return;
        };
        group.on_sent(i);
        let backend = group.backend(i).clone();
        let relay = Relay {
            upstream: id,
            group: group_index as u32,
            backend: i as u32,
            sent: now,
            arrived: now,
            probe,
        };
        let slot = self.relays.insert(Some(relay));
        let carried = sim.world.calls.carried(id);
        let forwarded = call(
            sim,
            me,
            backend.component,
            u64::from(slot),
            request,
            backend.instance,
        );
        // Transparent to call details and versions, both ways.
        sim.world.calls.carry(forwarded, carried);
    }

    fn on_reply(&mut self, id: CallId, sim: &mut ModelSim) {
        let now = sim.now();
        let carried = sim.world.calls.carried(id);
        let Some((token, _, outcome)) = take_reply(sim, id) else {
            return;
        };
        if token & PROBE_TOKEN != 0 {
            let index = (token & !PROBE_TOKEN) as usize;
            if index < self.probes.len() && self.probes[index].pending.is_some() {
                self.probe_result(index, outcome == Outcome::Succeeded, now);
            }
            return;
        }
        let slot = token as u32;
        let Some(relay) = self.relays.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        self.relays.release(slot);
        let group = &mut self.groups[relay.group as usize];
        let was_ejected = group.state[relay.backend as usize].ejected_until > now;
        // A rate limiter's 429 says the client is over its quota, not that the backend is sick.
        let health_outcome = match carried.detail {
            crate::model::support::call::CallDetail::RetryAfter(_) => Outcome::Succeeded,
            _ => outcome,
        };
        group.on_reply(
            relay.backend as usize,
            now - relay.sent,
            health_outcome,
            now,
            self.health,
        );
        if !was_ejected && group.state[relay.backend as usize].ejected_until > now {
            self.ejections += 1;
        }
        if !relay.probe {
            self.stats.finish(relay.arrived, now, outcome);
        }
        sim.world.calls.carry(relay.upstream, carried);
        reply(sim, relay.upstream, outcome);
    }
}

/// How the balancer paces its active health probes, with its own timer kinds.
fn probe_schedule(health: ActiveHealth) -> ProbeSchedule<LoadBalancerTimer> {
    ProbeSchedule {
        interval: health.interval,
        timeout: health.timeout,
        send_timer: LoadBalancerTimer::ProbeSend,
        timeout_timer: LoadBalancerTimer::ProbeTimeout,
    }
}

impl Component<Msg, World> for LoadBalancer {
    fn start(&mut self, me: ComponentId, sim: &mut ModelSim) {
        let Some(health) = self.active_health else {
            return;
        };
        for (g, group) in self.groups.iter().enumerate() {
            for b in 0..group.backends.len() {
                self.probes.push(Probe {
                    group: g,
                    backend: b,
                    pending: None,
                    sequence: 0,
                    failures: 0,
                    successes: 0,
                });
            }
        }
        probe::schedule_first(sim, me, self.probes.len(), probe_schedule(health));
    }

    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        match msg.typed::<LoadBalancerTimer>() {
            Event::Timer {
                kind: LoadBalancerTimer::ProbeSend,
                index,
                ..
            } => self.send_probe(me, index as usize, sim),
            Event::Timer {
                kind: LoadBalancerTimer::ProbeTimeout,
                index,
                generation,
            } => {
                let pending = self.probes.get(index as usize).and_then(|p| p.pending);
                if pending == Some(generation) {
                    self.probe_result(index as usize, false, sim.now());
                }
            }
            Event::Call(id) => self.on_call(me, id, sim),
            Event::Reply(id) => self.on_reply(id, sim),
            Event::UnknownTimer { .. } | Event::Control(_) => {}
        }
    }
}

impl Node for LoadBalancer {
    fn name(&self) -> &str {
        &self.config_name
    }

    fn report(&self, _end: SimTime) -> ComponentReport {
        let mut report =
            ComponentReport::from_request_stats(&self.config_name, Kind::LoadBalancer, &self.stats);
        let requests_per_backend = self
            .groups
            .iter()
            .flat_map(|g| g.state.iter().map(|s| s.requests))
            .collect();
        let health_events = self.active_health.is_some().then(|| {
            self.health_events
                .iter()
                .map(|&(t, g, b, up)| HealthEvent {
                    time_s: t.as_secs_f64(),
                    backend: self
                        .backend_names
                        .get(&self.groups[g].backend(b).component.0)
                        .cloned()
                        .unwrap_or_else(|| format!("#{}", self.groups[g].backend(b).component.0)),
                    group: g as u64,
                    instance: u64::from(self.groups[g].backend(b).instance),
                    state: if up { "healthy" } else { "unhealthy" }.to_string(),
                })
                .collect()
        });
        report.figures = crate::model::figures::Figures::LoadBalancer(Box::new(BalancerFigures {
            ejections: self.ejections,
            health_events,
            requests_per_backend,
        }));
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;

    #[test]
    fn rotate_matches_the_modulo_rule_even_after_the_ring_shrinks() {
        for n in 1..6usize {
            for start in 0..12usize {
                let (mut cursor, mut reference) = (start, start);
                for _ in 0..20 {
                    let expected = reference % n;
                    reference = (expected + 1) % n;
                    assert_eq!(rotate(&mut cursor, n), expected);
                    assert_eq!(cursor, reference);
                }
            }
        }
    }

    fn group(algorithm: Algorithm, weights: &[u32]) -> Group {
        Group::new(GroupConfig {
            algorithm,
            backends: weights
                .iter()
                .enumerate()
                .map(|(i, &weight)| Backend {
                    component: ComponentId(1),
                    instance: i as u32,
                    weight,
                })
                .collect(),
        })
    }

    fn pick(g: &mut Group, client: u32, key: u64, now: SimTime, rng: &mut SimRng) -> usize {
        g.pick(client, key, now, rng, |_| true)
            .unwrap_or(usize::MAX)
    }

    fn picks(g: &mut Group, n: usize) -> Vec<usize> {
        let mut rng = stream(7, "test", "lb");
        (0..n)
            .map(|k| {
                let i = pick(g, k as u32, k as u64, SimTime::ZERO, &mut rng);
                g.on_sent(i);
                i
            })
            .collect()
    }

    fn counts(picks: &[usize], n: usize) -> Vec<usize> {
        let mut c = vec![0; n];
        for &p in picks {
            c[p] += 1;
        }
        c
    }

    #[test]
    fn round_robin_cycles_in_order() {
        assert_eq!(
            picks(&mut group(Algorithm::RoundRobin, &[1, 1, 1]), 7),
            vec![0, 1, 2, 0, 1, 2, 0]
        );
    }

    #[test]
    fn smooth_weighted_round_robin_interleaves_by_weight() {
        // nginx's example: weights 5, 1, 1 give a a b a c a a, not a a a a a b c.
        let p = picks(&mut group(Algorithm::WeightedRoundRobin, &[5, 1, 1]), 7);
        assert_eq!(p, vec![0, 0, 1, 0, 2, 0, 0]);
    }

    #[test]
    fn random_is_roughly_uniform() {
        let c = counts(
            &picks(&mut group(Algorithm::Random, &[1, 1, 1, 1]), 40_000),
            4,
        );
        // Each count is Binomial(40000, 1/4): sd = 86.6; allow 5 sd.
        assert!(
            c.iter().all(|&k| (k as f64 - 10_000.0).abs() < 433.0),
            "{c:?}"
        );
    }

    #[test]
    fn client_hash_is_sticky() {
        let mut g = group(Algorithm::Hash(HashOn::Client), &[1, 1, 1, 1, 1]);
        let mut rng = stream(1, "t", "t");
        let first: Vec<usize> = (0..50)
            .map(|c| pick(&mut g, c, 0, SimTime::ZERO, &mut rng))
            .collect();
        let again: Vec<usize> = (0..50)
            .map(|c| pick(&mut g, c, 99, SimTime::ZERO, &mut rng))
            .collect();
        assert_eq!(first, again);
        assert!(
            counts(&first, 5).iter().all(|&k| k > 0),
            "every backend gets some clients"
        );
    }

    #[test]
    fn least_connections_prefers_idle_backends() {
        let mut g = group(Algorithm::LeastConnections, &[1, 1, 1]);
        g.on_sent(0);
        g.on_sent(0);
        g.on_sent(1);
        let mut rng = stream(1, "t", "t");
        assert_eq!(pick(&mut g, 0, 0, SimTime::ZERO, &mut rng), 2);
    }

    #[test]
    fn least_response_time_avoids_the_slow_backend() {
        let mut g = group(Algorithm::LeastResponseTime, &[1, 1]);
        let mut rng = stream(1, "t", "t");
        g.on_sent(0);
        g.on_reply(
            0,
            SimDuration::from_millis(100),
            Outcome::Succeeded,
            SimTime::ZERO,
            None,
        );
        g.on_sent(1);
        g.on_reply(
            1,
            SimDuration::from_millis(10),
            Outcome::Succeeded,
            SimTime::ZERO,
            None,
        );
        assert!((0..10).all(|_| pick(&mut g, 0, 0, SimTime::ZERO, &mut rng) == 1));
    }

    #[test]
    fn power_of_two_choices_picks_the_less_loaded_of_two() {
        let mut g = group(Algorithm::PowerOfTwoChoices, &[1, 1]);
        let mut rng = stream(1, "t", "t");
        for _ in 0..5 {
            g.on_sent(1);
        }
        // With two backends both are always sampled, so the idle one always wins.
        assert!((0..20).all(|_| pick(&mut g, 0, 0, SimTime::ZERO, &mut rng) == 0));
    }

    #[test]
    fn failing_backends_are_ejected_then_readmitted() {
        let mut g = group(Algorithm::RoundRobin, &[1, 1]);
        let health = Some(PassiveHealth {
            failures_to_eject: 3,
            ejection: SimDuration::from_secs(10),
        });
        let t0 = SimTime::ZERO;
        for _ in 0..3 {
            g.on_sent(0);
            g.on_reply(0, SimDuration::ZERO, Outcome::Failed, t0, health);
        }
        let mut rng = stream(1, "t", "t");
        assert!(
            (0..6).all(|_| pick(&mut g, 0, 0, t0, &mut rng) == 1),
            "ejected backend skipped"
        );
        let later = t0 + SimDuration::from_secs(10);
        let p: Vec<usize> = (0..4)
            .map(|_| pick(&mut g, 0, 0, later, &mut rng))
            .collect();
        assert!(p.contains(&0), "readmitted after the ejection time: {p:?}");
    }

    #[test]
    fn instances_out_of_service_are_never_picked() {
        for algorithm in [
            Algorithm::RoundRobin,
            Algorithm::WeightedRoundRobin,
            Algorithm::Random,
            Algorithm::Hash(HashOn::Key),
            Algorithm::LeastConnections,
            Algorithm::LeastResponseTime,
            Algorithm::PowerOfTwoChoices,
        ] {
            let mut g = group(algorithm, &[1, 1, 1, 1]);
            let mut rng = stream(1, "t", "t");
            let in_service = |b: &Backend| b.instance == 1 || b.instance == 3;
            for k in 0..50 {
                let i = g.pick(k, u64::from(k), SimTime::ZERO, &mut rng, in_service);
                assert!(matches!(i, Some(1) | Some(3)), "{algorithm:?}: {i:?}");
                g.on_sent(i.unwrap_or(0));
            }
            // Even in panic mode (both in service ejected), the others stay out.
            let health = Some(PassiveHealth {
                failures_to_eject: 1,
                ejection: SimDuration::from_secs(10),
            });
            for i in [1, 3] {
                g.on_reply(i, SimDuration::ZERO, Outcome::Failed, SimTime::ZERO, health);
            }
            let i = g.pick(0, 0, SimTime::ZERO, &mut rng, in_service);
            assert!(matches!(i, Some(1) | Some(3)), "{algorithm:?} panic: {i:?}");
            assert_eq!(g.pick(0, 0, SimTime::ZERO, &mut rng, |_| false), None);
        }
    }

    #[test]
    fn all_ejected_means_panic_mode_not_total_failure() {
        let mut g = group(Algorithm::RoundRobin, &[1, 1]);
        let health = Some(PassiveHealth {
            failures_to_eject: 1,
            ejection: SimDuration::from_secs(10),
        });
        for i in 0..2 {
            g.on_sent(i);
            g.on_reply(
                i,
                SimDuration::ZERO,
                Outcome::Rejected,
                SimTime::ZERO,
                health,
            );
        }
        let mut rng = stream(1, "t", "t");
        let p: Vec<usize> = (0..4)
            .map(|_| pick(&mut g, 0, 0, SimTime::ZERO, &mut rng))
            .collect();
        assert_eq!(counts(&p, 2), vec![2, 2]);
    }
}
