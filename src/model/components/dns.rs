//! DNS with geographic routing (geoDNS) in front of data centers.
//!
//! Model: traffic sources send their requests to the DNS component, which stands for the
//! clients' resolvers and the authoritative geoDNS together. Each client (a traffic source's
//! client id) keeps the last answer it received for `ttl` [s]. A request from a client with a
//! valid cached answer goes at once to the data center of that answer; otherwise the client
//! resolves first: after a `resolution_time` [ms] (a distribution) the geoDNS picks a data center
//! for the client's region by the region's `routing` weights (70/30 allowed) among the data
//! centers it believes healthy, the client caches the answer for `ttl`, and the request goes
//! there. The DNS then relays the request to the data center's entry component (its target) and
//! the reply back, like a load balancer; the messages it relays travel from the client's region
//! (the DNS sits on the client's side, see [`crate::model::support::network::Place::Client`]), so they take the
//! region latency from the client's region to the data center's.
//!
//! Health checks: every `interval` [s] the DNS probes each target (a probe not answered within
//! `timeout` fails); `unhealthy` consecutive failures mark the data center unhealthy, `healthy`
//! consecutive successes healthy again. While a data center is unhealthy new answers leave it
//! out: the region's other weighted data centers share its traffic by their weights, or, if none
//! is healthy, the healthy data center nearest the client's region (lowest mean region latency;
//! ties: the first target) takes it. With no healthy data center at all, answers ignore health.
//!
//! Clients that cached an answer naming a data center that has gone down keep sending there
//! until their answer expires: those requests are counted (`sent_to_down_data_center`, and the
//! ones that failed in `lost.requests_sent_to_down_data_center`). After a data center goes down
//! at `t0`, the last request sent there leaves before
//! `t0 + unhealthy × interval + timeout + ttl` (detection, then one TTL); see the docs and
//! `tests/geo_dns.rs`, which checks that bound, the routing weights and the region latencies.

use crate::model::figures::dns::{DataCenterFigures, DnsFigures, DnsHealthEvent, RouteFigures};
use crate::model::kind::Kind;
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use std::collections::HashMap;

use indexmap::IndexMap;
use rand::Rng;

use crate::engine::rng::{stream, SimRng};
use crate::engine::{Component, ComponentId, SimDuration, SimTime};
use crate::model::support::call::{CallId, Request, ANY_INSTANCE};
use crate::model::support::dist::Distribution;
use crate::model::support::network::NO_REGION;
use crate::model::support::probe::{self, ProbeSchedule, PROBE_TOKEN};
use crate::model::support::slab::Slab;
use crate::model::{
    call, reply, take_reply, ComponentReport, ModelSim, Msg, Node, RequestStats, World,
};
use crate::model::{StatsClock, WindowSeries};
use crate::stats::{Outcome, Windows};

/// The entry component of one data center.
#[derive(Clone, Debug)]
pub struct DnsTarget {
    pub component: ComponentId,
    /// Index of its data center.
    pub dc: u16,
}

/// Active health checks of the targets.
#[derive(Clone, Copy, Debug)]
pub struct DnsHealth {
    pub interval: SimDuration,
    pub timeout: SimDuration,
    pub unhealthy: u32,
    pub healthy: u32,
}

#[derive(Clone, Debug)]
pub struct DnsConfig {
    pub name: String,
    pub targets: Vec<DnsTarget>,
    pub ttl: SimDuration,
    pub resolution_time: Distribution,
    /// Per client region (by index), a weight per target (in the order of `targets`).
    pub routing: Vec<Vec<f64>>,
    pub health: DnsHealth,
}

/// A client's cached answer.
#[derive(Clone, Copy, Debug)]
struct Answer {
    target: u16,
    expires: SimTime,
}

/// A request being resolved or relayed.
#[derive(Clone, Copy, Debug)]
struct Relay {
    upstream: CallId,
    arrived: SimTime,
    region: u16,
    target: u16,
    /// Sent while its data center was down.
    to_down: bool,
}

#[derive(Clone, Copy, Debug, Default)]
struct Probe {
    pending: Option<u32>,
    sequence: u32,
    failures: u32,
    successes: u32,
}

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum DnsTimer {
        Resolved = 0,
        ProbeSend = 1,
        ProbeTimeout = 2,
    }
}

pub struct Dns {
    config: DnsConfig,
    region_names: Vec<String>,
    dc_names: Vec<String>,
    /// Mean latency from each region to each target's region [s], for the nearest fallback.
    distance: Vec<Vec<f64>>,
    resolution_rng: SimRng,
    pick_rng: SimRng,
    /// (caller, client) -> cached answer. Looked up only, never iterated.
    answers: HashMap<(u32, u32), Answer>,
    relays: Slab<Relay>,
    stats: RequestStats,
    clock: StatsClock,
    healthy: Vec<bool>,
    probes: Vec<Probe>,
    /// (time, target, healthy) at every health transition.
    health_events: Vec<(SimTime, u16, bool)>,
    resolutions: u64,
    cache_hits: u64,
    /// Per (region, target): requests sent and failed (after the warm-up).
    sent: Vec<u64>,
    failed: Vec<u64>,
    /// Per (region, target): requests sent per window.
    sent_windows: Vec<Windows<f64>>,
    /// Whole run: requests sent to a data center that was down, and those that failed.
    sent_to_down: u64,
    failed_at_down: u64,
    sent_to_down_windows: Windows<f64>,
    /// Per target: when the last request sent while its data center was down left.
    last_sent_while_down: Vec<Option<SimTime>>,
}

impl Dns {
    pub fn new(config: DnsConfig, seed: u64, world: &World) -> Self {
        let network = &world.network;
        let region_names = network.region_names().to_vec();
        let dc_names = network.data_center_names().to_vec();
        let regions = region_names.len().max(1);
        let n = config.targets.len();
        let distance = (0..regions)
            .map(|r| {
                config
                    .targets
                    .iter()
                    .map(|t| {
                        network.region_mean_latency(r as u16, network.data_center_region(t.dc))
                    })
                    .collect()
            })
            .collect();
        let clock = world.clock;
        Dns {
            resolution_rng: stream(seed, &config.name, "resolution"),
            pick_rng: stream(seed, &config.name, "geo-routing"),
            region_names,
            dc_names,
            distance,
            answers: HashMap::new(),
            relays: Slab::default(),
            stats: RequestStats::new(clock),
            clock,
            healthy: vec![true; n],
            probes: vec![Probe::default(); n],
            health_events: Vec::new(),
            resolutions: 0,
            cache_hits: 0,
            sent: vec![0; regions * n],
            failed: vec![0; regions * n],
            sent_windows: (0..regions * n)
                .map(|_| Windows::new(clock.window_ns))
                .collect(),
            sent_to_down: 0,
            failed_at_down: 0,
            sent_to_down_windows: Windows::new(clock.window_ns),
            last_sent_while_down: vec![None; n],
            config,
        }
    }

    /// Picks the target for a client in `region`, as the geoDNS answers now.
    fn pick(&mut self, region: u16) -> u16 {
        let n = self.config.targets.len();
        let weights = self.config.routing.get(region as usize);
        let weight = |i: usize| weights.map_or(1.0, |w| w.get(i).copied().unwrap_or(0.0));
        let healthy_total: f64 = (0..n).filter(|&i| self.healthy[i]).map(&weight).sum();
        if healthy_total > 0.0 {
            let healthy = &self.healthy;
            return draw(&mut self.pick_rng, n, healthy_total, |i| {
                if healthy[i] {
                    weight(i)
                } else {
                    0.0
                }
            });
        }
        // The region's data centers are all unhealthy: the nearest healthy one.
        let distances = self.distance.get(region as usize);
        let nearest = (0..n).filter(|&i| self.healthy[i]).min_by(|&a, &b| {
            let d = |i: usize| distances.map_or(0.0, |d| d[i]);
            d(a).total_cmp(&d(b)).then(a.cmp(&b))
        });
        if let Some(i) = nearest {
            return i as u16;
        }
        // Nothing is healthy: answer as if everything were.
        let total: f64 = (0..n).map(weight).sum();
        if total > 0.0 {
            draw(&mut self.pick_rng, n, total, weight)
        } else {
            0
        }
    }

    fn cell(&self, region: u16, target: u16) -> Option<usize> {
        let n = self.config.targets.len();
        let r = region as usize;
        (r < self.sent.len() / n.max(1)).then_some(r * n + target as usize)
    }

    fn on_call(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let now = sim.now();
        let (caller, request) = {
            let c = sim.world.calls.get(id);
            (c.caller, c.request)
        };
        self.stats.arrive(now);
        let measured = now >= self.clock.warmup_end;
        let slot = self.new_relay(Relay {
            upstream: id,
            arrived: now,
            region: request.region,
            target: 0,
            to_down: false,
        });
        match self.answers.get(&(caller.0, request.client)) {
            Some(answer) if answer.expires > now => {
                if measured {
                    self.cache_hits += 1;
                }
                self.relays[slot as usize].target = answer.target;
                self.forward(me, slot, request, sim);
            }
            _ => {
                if measured {
                    self.resolutions += 1;
                }
                let delay = self.config.resolution_time.sample(&mut self.resolution_rng);
                sim.schedule_in(delay, me, Msg::timer(DnsTimer::Resolved, slot, 0));
            }
        }
    }

    fn new_relay(&mut self, relay: Relay) -> u32 {
        self.relays.insert(relay)
    }

    fn on_resolved(&mut self, me: ComponentId, slot: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let Some(relay) = self.relays.get(slot as usize).copied() else {
            return;
        };
        let call = sim.world.calls.get(relay.upstream);
        let (caller, request) = (call.caller, call.request);
        let target = self.pick(relay.region);
        self.answers.insert(
            (caller.0, request.client),
            Answer {
                target,
                expires: now + self.config.ttl,
            },
        );
        self.relays[slot as usize].target = target;
        self.forward(me, slot, request, sim);
    }

    fn forward(&mut self, me: ComponentId, slot: u32, request: Request, sim: &mut ModelSim) {
        let now = sim.now();
        let relay = self.relays[slot as usize];
        let target = &self.config.targets[relay.target as usize];
        let (component, dc) = (target.component, target.dc);
        let down = sim.world.network.data_center_down(dc);
        if down {
            self.relays[slot as usize].to_down = true;
            self.sent_to_down += 1;
            *self.sent_to_down_windows.at(now) += 1.0;
            self.last_sent_while_down[relay.target as usize] = Some(now);
        }
        if let Some(cell) = self.cell(relay.region, relay.target) {
            *self.sent_windows[cell].at(now) += 1.0;
            if now >= self.clock.warmup_end {
                self.sent[cell] += 1;
            }
        }
        let carried = sim.world.calls.carried(relay.upstream);
        let forwarded = call(sim, me, component, u64::from(slot), request, ANY_INSTANCE);
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
            if self.probes.get(index).is_some_and(|p| p.pending.is_some()) {
                self.probe_result(index, outcome == Outcome::Succeeded, now);
            }
            return;
        }
        let slot = token as u32;
        let Some(relay) = self.relays.get(slot as usize).copied() else {
            return;
        };
        self.relays.release(slot);
        if outcome != Outcome::Succeeded {
            if relay.arrived >= self.clock.warmup_end {
                if let Some(cell) = self.cell(relay.region, relay.target) {
                    self.failed[cell] += 1;
                }
            }
            if relay.to_down {
                self.failed_at_down += 1;
            }
        }
        self.stats.finish(relay.arrived, now, outcome);
        sim.world.calls.carry(relay.upstream, carried);
        reply(sim, relay.upstream, outcome);
    }

    fn send_probe(&mut self, me: ComponentId, index: usize, sim: &mut ModelSim) {
        if sim.world.requests_done() {
            // A request-count run whose requests have all finished: probing on would keep
            // the run from ever ending (see `World::requests_done`).
            return;
        }
        let health = self.config.health;
        let probe = &mut self.probes[index];
        probe.sequence = probe.sequence.wrapping_add(1);
        probe.pending = Some(probe.sequence);
        let sequence = probe.sequence;
        let target = self.config.targets[index].component;
        let schedule = probe_schedule(health);
        probe::send(
            sim,
            me,
            target,
            ANY_INSTANCE,
            NO_REGION,
            index,
            sequence,
            schedule,
        );
    }

    fn probe_result(&mut self, index: usize, ok: bool, now: SimTime) {
        let health = self.config.health;
        let probe = &mut self.probes[index];
        probe.pending = None;
        if ok {
            probe.failures = 0;
            probe.successes += 1;
            if !self.healthy[index] && probe.successes >= health.healthy {
                self.healthy[index] = true;
                self.health_events.push((now, index as u16, true));
            }
        } else {
            probe.successes = 0;
            probe.failures += 1;
            if self.healthy[index] && probe.failures >= health.unhealthy {
                self.healthy[index] = false;
                self.health_events.push((now, index as u16, false));
            }
        }
    }

    fn dc_name(&self, target: usize) -> &str {
        self.config
            .targets
            .get(target)
            .and_then(|t| self.dc_names.get(t.dc as usize))
            .map_or("?", String::as_str)
    }

    fn region_name(&self, region: usize) -> &str {
        self.region_names.get(region).map_or("?", String::as_str)
    }
}

/// Draws one of `n` choices with the given weights (summing to `total`).
fn draw(rng: &mut SimRng, n: usize, total: f64, weight: impl Fn(usize) -> f64) -> u16 {
    let mut x = rng.random::<f64>() * total;
    let mut last = 0;
    for i in 0..n {
        let w = weight(i);
        if w <= 0.0 {
            continue;
        }
        last = i;
        if x < w {
            return i as u16;
        }
        x -= w;
    }
    last as u16
}

/// How the DNS paces its health probes, with its own timer kinds.
fn probe_schedule(health: DnsHealth) -> ProbeSchedule<DnsTimer> {
    ProbeSchedule {
        interval: health.interval,
        timeout: health.timeout,
        send_timer: DnsTimer::ProbeSend,
        timeout_timer: DnsTimer::ProbeTimeout,
    }
}

impl Component<Msg, World> for Dns {
    fn start(&mut self, me: ComponentId, sim: &mut ModelSim) {
        let schedule = probe_schedule(self.config.health);
        probe::schedule_first(sim, me, self.config.targets.len(), schedule);
    }

    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        match msg.typed::<DnsTimer>() {
            Event::Call(id) => self.on_call(me, id, sim),
            Event::Reply(id) => self.on_reply(id, sim),
            Event::Timer {
                kind: DnsTimer::Resolved,
                index,
                ..
            } => self.on_resolved(me, index, sim),
            Event::Timer {
                kind: DnsTimer::ProbeSend,
                index,
                ..
            } => self.send_probe(me, index as usize, sim),
            Event::Timer {
                kind: DnsTimer::ProbeTimeout,
                index,
                generation,
            } => {
                let pending = self.probes.get(index as usize).and_then(|p| p.pending);
                if pending == Some(generation) {
                    self.probe_result(index as usize, false, sim.now());
                }
            }
            Event::UnknownTimer { .. } | Event::Control(_) => {}
        }
    }
}

impl Node for Dns {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn report(&self, end: SimTime) -> ComponentReport {
        let mut report =
            ComponentReport::from_request_stats(&self.config.name, Kind::Dns, &self.stats);
        let n = self.config.targets.len();
        let regions = self.sent.len() / n.max(1);
        // Per client region: requests and failures per data center, and each one's share.
        let mut routing = IndexMap::new();
        let mut served_by = IndexMap::new();
        for r in 0..regions {
            let total: u64 = (0..n).map(|t| self.sent[r * n + t]).sum();
            if total == 0 {
                continue;
            }
            let mut per_dc = IndexMap::new();
            let mut best: Option<(u64, usize)> = None;
            for t in 0..n {
                let sent = self.sent[r * n + t];
                if best.is_none_or(|(b, _)| sent > b) {
                    best = Some((sent, t));
                }
                per_dc.insert(
                    self.dc_name(t).to_string(),
                    RouteFigures {
                        requests: sent,
                        failed: self.failed[r * n + t],
                        share: sent as f64 / total as f64,
                    },
                );
            }
            routing.insert(self.region_name(r).to_string(), per_dc);
            if let Some((_, t)) = best {
                served_by.insert(self.region_name(r).to_string(), self.dc_name(t).to_string());
            }
        }
        let health_events = self
            .health_events
            .iter()
            .map(|&(t, target, up)| DnsHealthEvent {
                time_s: t.as_secs_f64(),
                data_center: self.dc_name(target as usize).to_string(),
                healthy: up,
            })
            .collect();
        let mut data_centers = IndexMap::new();
        for t in 0..n {
            data_centers.insert(
                self.dc_name(t).to_string(),
                DataCenterFigures {
                    healthy_at_end: self.healthy[t],
                    last_sent_while_down_s: self.last_sent_while_down[t].map(|s| s.as_secs_f64()),
                },
            );
        }
        report.figures = crate::model::figures::Figures::Dns(Box::new(DnsFigures {
            cache_hits: self.cache_hits,
            data_centers,
            failed_at_down_data_center: self.failed_at_down,
            health_events,
            resolutions: self.resolutions,
            routing,
            sent_to_down_data_center: self.sent_to_down,
            served_by,
            ttl_s: self.config.ttl.as_secs_f64(),
        }));
        report
            .lost
            .insert("requests_sent_to_down_data_center", self.failed_at_down);
        for r in 0..regions {
            for t in 0..n {
                report.extra_windows.push((
                    format!("{}.{}", self.region_name(r), self.dc_name(t)),
                    WindowSeries::Count(self.sent_windows[r * n + t].clone()),
                ));
            }
        }
        report.extra_windows.push((
            "sent_to_down_data_center".into(),
            WindowSeries::Count(self.sent_to_down_windows.clone()),
        ));
        let _ = end;
        report
    }
}
