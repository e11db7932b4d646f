//! Runs a checked scenario and gathers what the report layer needs.

use serde::{Deserialize, Serialize};

use crate::engine::{ProgressFn, RunLimits, SimTime, StopReason};
use crate::model::dist::Distribution;
use crate::model::load_balancer::{Algorithm, HashOn};
use crate::model::server::Step;
use crate::model::source::Load;
use crate::model::{ComponentReport, RequestStats};
use crate::scenario::build::build;
use crate::scenario::validate::ComponentPlan;
use crate::scenario::Plan;
use crate::stats::{LatencySummary, Outcomes, WindowRow, Windows};

/// Overrides given on the command line.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub seed: Option<u64>,
    pub duration: Option<crate::engine::SimDuration>,
    pub requests: Option<u64>,
    pub max_events: Option<u64>,
    /// Keep the per-hop latency breakdown whatever the scenario says.
    pub breakdown: bool,
    /// Sample this many requests for `trace.json`.
    pub trace: Option<u32>,
    /// `run.max_memory` [bytes].
    pub max_memory: Option<u64>,
}

impl Overrides {
    pub fn apply(&self, plan: &mut Plan) {
        if let Some(seed) = self.seed {
            plan.seed = seed;
        }
        if let Some(d) = self.duration {
            plan.duration = Some(d);
        }
        if let Some(n) = self.requests {
            plan.requests = Some(n);
        }
        if let Some(n) = self.max_events {
            plan.max_events = Some(n);
        }
        if self.breakdown {
            plan.breakdown = true;
        }
        if let Some(n) = self.trace {
            plan.trace = n;
        }
        if let Some(bytes) = self.max_memory {
            plan.max_memory = bytes;
        }
    }
}

/// Summary figures of one group of requests.
#[derive(Clone, Debug)]
pub struct RequestFigures {
    pub arrivals: u64,
    pub outcomes: Outcomes,
    pub latency: LatencySummary,
}

impl RequestFigures {
    fn of(stats: &RequestStats) -> Self {
        RequestFigures {
            arrivals: stats.arrivals,
            outcomes: stats.outcomes,
            latency: stats.latency.summary(),
        }
    }
}

/// Points kept of the end-to-end latency distribution (see [`RunResult::end_to_end_cdf`]).
pub const CDF_POINTS: usize = 200;

/// One component of the scenario, for the topology diagram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopologyNode {
    pub name: String,
    /// `traffic`, `server`, `load_balancer`, ... as in `summary.json`.
    pub kind: String,
    /// A short description: "4 x 16 workers", "least_connections", "200 users".
    pub detail: String,
    /// Load balancers: a label per backend instance ("web#0"), in the order of
    /// `requests_per_backend` in `summary.json`. Empty for other kinds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backends: Vec<String>,
}

/// A path requests take from one component to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopologyEdge {
    pub from: String,
    pub to: String,
    /// Mean network latency of the link ("20ms"), or empty where there is no link.
    pub label: String,
}

/// The scenario's components and the paths between them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    pub nodes: Vec<TopologyNode>,
    pub edges: Vec<TopologyEdge>,
    /// Mean latency of paths without a link of their own ("0.5ms"), or empty when it is 0.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub default_latency: String,
}

/// Everything a run produced. The report layer reads only this.
pub struct RunResult {
    pub scenario: String,
    pub scenario_sha256: String,
    /// Set when the run was cut short by a limit or an interrupt: the reason. Its figures
    /// cover only the simulated time before the stop.
    pub truncated: Option<String>,
    pub description: Option<String>,
    pub seed: u64,
    pub warmup: crate::engine::SimDuration,
    /// Simulated instant the run stopped at.
    pub end: SimTime,
    pub stop_reason: StopReason,
    pub requests_issued: u64,
    /// Requests sent but not answered when the run stopped.
    pub in_flight: u64,
    pub end_to_end: RequestFigures,
    pub end_to_end_windows: Windows<WindowRow>,
    pub request_types: Vec<(String, RequestFigures)>,
    pub components: Vec<ComponentReport>,
    pub events: u64,
    pub peak_calls: usize,
    pub slo: Option<SloFigures>,
    /// End-to-end latency distribution of succeeded requests after the warm-up:
    /// `(latency [ms], fraction at or below)`, at most [`CDF_POINTS`] points.
    pub end_to_end_cdf: Vec<(f64, f64)>,
    /// Components in id order and the calls between them.
    pub topology: Topology,
    /// What queueing and cache theory expect of this scenario (see [`crate::analytic`]).
    pub analytic: Vec<crate::analytic::Expectation>,
    /// The analytic twin's estimate of simple changes, best first.
    pub what_ifs: Vec<crate::analytic::WhatIf>,
    /// How the scenario's assertions did (empty when it has none).
    pub assertions: Vec<crate::assertions::Verdict>,
    /// With replications: `summary.json`'s `replications` section (means, intervals, values).
    pub replications: Option<serde_json::Value>,
    /// Path overrides this run was made with (a variant, a sweep point), as `path=value`.
    pub overrides: Vec<String>,
    /// Where the time goes: the per-hop latency breakdown, when the run kept it.
    pub breakdown: Option<crate::model::breakdown::Figures>,
    /// Sampled requests for `trace.json` (`sim run --trace N`), in order of request id.
    pub traces: Vec<crate::model::breakdown::TraceRecord>,
    /// Prices and what the run cost (see [`crate::cost`]), when the scenario gives prices.
    pub cost: Option<crate::cost::Cost>,
}

impl RunResult {
    /// Components ranked as bottlenecks: by utilisation, busiest first, each with what the
    /// twin says one simple change to it would do.
    pub fn bottlenecks(&self) -> Vec<(&str, f64, Option<&crate::analytic::WhatIf>)> {
        let mut ranked: Vec<(&str, f64, Option<&crate::analytic::WhatIf>)> = self
            .components
            .iter()
            .filter_map(|c| {
                let u = c.utilization?;
                let what_if = self.what_ifs.iter().find(|w| w.component == c.name);
                Some((c.name.as_str(), u, what_if))
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        ranked
    }
}

/// How the run did against its service-level objective.
#[derive(Clone, Debug)]
pub struct SloFigures {
    pub slo: crate::model::Slo,
    /// Requests (born after the warm-up, finished) that met the objective.
    pub good: u64,
    pub total: u64,
    /// Requests that met it, per window.
    pub good_windows: Windows<u64>,
}

impl SloFigures {
    pub fn good_fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.good as f64 / self.total as f64
        }
    }

    /// Requests allowed to miss the objective: (1 - target) of the total.
    pub fn error_budget(&self) -> f64 {
        (1.0 - self.slo.target) * self.total as f64
    }

    /// Share of the error budget used (above 1 when the objective is missed).
    pub fn budget_used(&self) -> f64 {
        let missed = (self.total - self.good) as f64;
        match self.error_budget() {
            b if b > 0.0 => missed / b,
            _ if missed == 0.0 => 0.0,
            _ => f64::INFINITY,
        }
    }
}

impl RunResult {
    /// Seconds of simulated time the summary covers (after the warm-up).
    pub fn measured_secs(&self) -> f64 {
        self.end.since(SimTime::ZERO + self.warmup).as_secs_f64()
    }
}

/// The stall guard of request-count runs: when no request has started or finished for this
/// long of simulated time while the run cannot end by itself (requests still in flight that
/// nothing will ever answer, or events that go on after the last request), the run stops,
/// marked truncated with `stopped_by: stalled`, rather than spinning forever.
pub const STALL_LIMIT: crate::engine::SimDuration =
    crate::engine::SimDuration::from_secs(24 * 3600);

/// `stopped_by` of a run cut short by the stall guard.
pub const STALLED: &str = "stalled";

/// Where a run is, for progress bars.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub now: SimTime,
    pub events: u64,
    pub requests_started: u64,
}

/// `stopped_by` of a run whose heap grew beyond `run.max_memory`.
pub const MAX_MEMORY: &str = "max_memory";

/// Builds and runs `plan`. `progress` is called now and then with the simulated time and the
/// events so far; returning false stops the run early. It is also asked between the phases of
/// the set-up (the analytic twin, its what-ifs, building the model) and within the long ones,
/// with no event delivered yet: a run stopped there ends at time 0, its results empty and
/// marked truncated. A plan estimated to need more memory than `run.max_memory` is refused
/// (see [`crate::scenario::budget`]); a run whose live heap passes it stops, marked truncated
/// with `stopped_by: max_memory`.
pub fn run(
    plan: Plan,
    progress: Option<&mut dyn FnMut(Progress) -> bool>,
) -> Result<RunResult, String> {
    crate::scenario::budget::check(&crate::scenario::budget::estimate(&plan), plan.max_memory)?;
    let until = plan.end();
    let scenario = plan.name.clone();
    let scenario_sha256 = plan.scenario_sha256.clone();
    let max_events = plan.max_events;
    let max_memory = plan.max_memory;
    let description = plan.description.clone();
    let seed = plan.seed;
    let warmup = plan.warmup;
    let types = plan.request_types.clone();
    let mut callback = progress;
    let mut over_memory = false;
    // The guards of the set-up: memory, then the caller's (a signal, the wall clock).
    let mut go_on = || {
        if heap_over(max_memory) {
            over_memory = true;
            return false;
        }
        match callback.as_mut() {
            Some(callback) => callback(Progress {
                now: SimTime::ZERO,
                events: 0,
                requests_started: 0,
            }),
            None => true,
        }
    };
    let topology = topology(&plan);
    let mut stopped = !go_on();
    let analytic = if stopped {
        Vec::new()
    } else {
        crate::analytic::expectations_until(&plan, &topology, &mut go_on).unwrap_or_else(|| {
            stopped = true;
            Vec::new()
        })
    };
    stopped = stopped || !go_on();
    let what_ifs = if stopped {
        Vec::new()
    } else {
        crate::analytic::what_ifs_until(&plan, &mut go_on).unwrap_or_else(|| {
            stopped = true;
            Vec::new()
        })
    };
    stopped = stopped || !go_on();
    let cost_plan = plan.cost.clone();
    let component_roles: Vec<(String, bool)> = plan
        .components
        .iter()
        .map(|(n, c)| (n.clone(), matches!(c, ComponentPlan::Source(_))))
        .collect();
    let type_names = plan.request_types.clone();
    let mut engine = build(plan)?;
    stopped = stopped || !go_on();
    let mut stalled = false;
    let mut hook = |now: SimTime, events: u64, world: &crate::model::World| {
        if world
            .stalled_since()
            .is_some_and(|since| now.since(since) > STALL_LIMIT)
        {
            stalled = true;
            return false;
        }
        if heap_over(max_memory) {
            over_memory = true;
            return false;
        }
        match callback.as_mut() {
            Some(callback) => callback(Progress {
                now,
                events,
                requests_started: world.budget.issued,
            }),
            None => true,
        }
    };
    let progress: Option<&mut ProgressFn<'_, crate::model::World>> = Some(&mut hook);
    let mut stop_reason = engine.run(RunLimits {
        until,
        // Stopped during the set-up: the components start and finish, no event is delivered.
        max_events: if stopped {
            0
        } else {
            max_events.unwrap_or(u64::MAX)
        },
        progress,
    });
    if stopped {
        stop_reason = StopReason::Aborted;
    }
    if stalled {
        stop_reason = StopReason::Requested;
        engine.world_mut().stopped_by_guard = Some(STALLED);
    }
    if over_memory {
        stop_reason = StopReason::Requested;
        engine.world_mut().stopped_by_guard = Some(MAX_MEMORY);
    }
    let end = engine.now();
    let components: Vec<ComponentReport> = engine
        .components()
        .iter()
        .map(|c| c.report_in(end, Some(engine.world())))
        .collect();
    let cost =
        cost_plan.map(|c| c.evaluate(end.since(SimTime::ZERO + warmup).as_secs_f64(), &components));
    // Moved out, not copied: with a latency histogram in every window, a copy would be the
    // largest allocation of the run and set its peak memory.
    let end_to_end_windows = {
        let windows = &mut engine.world_mut().end_to_end.all.windows;
        std::mem::replace(windows, Windows::new(windows.width_ns()))
    };
    let world = engine.world();
    let e2e = &world.end_to_end;
    let rows = end_to_end_windows.rows();
    let finished = rows.iter().map(|r| r.outcomes.total()).sum::<u64>();
    let started = rows.iter().map(|r| r.arrivals).sum::<u64>();
    Ok(RunResult {
        scenario,
        scenario_sha256,
        truncated: match stop_reason {
            StopReason::EventLimit => Some("max_events".to_string()),
            StopReason::Aborted => Some("stopped_by_caller".to_string()),
            StopReason::Requested => engine.world().stopped_by_guard.map(str::to_string),
            _ => None,
        },
        description,
        seed,
        warmup,
        end,
        stop_reason,
        requests_issued: world.budget.issued,
        in_flight: started.saturating_sub(finished),
        end_to_end: RequestFigures::of(&e2e.all),
        end_to_end_windows,
        request_types: types
            .into_iter()
            .zip(e2e.by_type.iter().map(RequestFigures::of))
            .collect(),
        components,
        events: engine.events(),
        slo: e2e.slo.map(|slo| SloFigures {
            slo,
            good: e2e.slo_good,
            total: e2e.all.outcomes.total(),
            good_windows: e2e.slo_good_windows.clone(),
        }),
        peak_calls: world.calls.peak(),
        end_to_end_cdf: e2e.all.latency.cdf_points(CDF_POINTS),
        topology,
        analytic,
        what_ifs,
        assertions: Vec::new(),
        replications: None,
        overrides: Vec::new(),
        breakdown: world.breakdown.as_ref().map(|b| {
            crate::model::breakdown::Figures::new(component_roles, &type_names, b.tables())
        }),
        traces: world
            .breakdown
            .as_ref()
            .map(|b| b.traces())
            .unwrap_or_default(),
        cost,
    })
}

/// Whether the live heap (counted when the `sim` binary runs; 0 otherwise) is beyond `budget`.
fn heap_over(budget: u64) -> bool {
    crate::heap::live_bytes() > budget
}

fn algorithm_name(a: Algorithm) -> &'static str {
    match a {
        Algorithm::RoundRobin => "round_robin",
        Algorithm::WeightedRoundRobin => "weighted_round_robin",
        Algorithm::Random => "random",
        Algorithm::Hash(HashOn::Client) => "client_hash",
        Algorithm::Hash(HashOn::Key) => "key_hash",
        Algorithm::LeastConnections => "least_connections",
        Algorithm::LeastResponseTime => "least_response_time",
        Algorithm::PowerOfTwoChoices => "power_of_two_choices",
    }
}

/// A duration with at most 3 significant digits, for labels: "20ms", "1.5s", "250us".
pub fn short_duration(secs: f64) -> String {
    let (value, unit) = if secs >= 1.0 {
        (secs, "s")
    } else if secs >= 1e-3 {
        (secs * 1e3, "ms")
    } else if secs >= 1e-6 {
        (secs * 1e6, "µs")
    } else {
        (secs * 1e9, "ns")
    };
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{unit}")
}

/// The components of `plan` and the calls between them, labelled with their links' mean
/// latencies (paths without a link take the default latency, given once).
pub fn topology(plan: &Plan) -> Topology {
    let name = |id: crate::engine::ComponentId| {
        plan.components
            .get(id.0 as usize)
            .map_or_else(|| format!("#{}", id.0), |(n, _)| n.clone())
    };
    // The first link between two components, either way round; looked up, not searched, so
    // that a model of thousands of components and links lays out in linear time.
    let mut links: std::collections::HashMap<(u32, u32), &Distribution> =
        std::collections::HashMap::with_capacity(plan.links.len());
    for (a, b, d) in &plan.links {
        links.entry((a.0.min(b.0), a.0.max(b.0))).or_insert(d);
    }
    let latency = |a: crate::engine::ComponentId, b: crate::engine::ComponentId| {
        links
            .get(&(a.0.min(b.0), a.0.max(b.0)))
            .map_or_else(String::new, |d| short_duration(d.mean_secs()))
    };
    let mut nodes = Vec::with_capacity(plan.components.len());
    let mut edges: Vec<TopologyEdge> = Vec::new();
    // An edge's label follows from its ends, so the ends identify it.
    let mut seen: std::collections::HashSet<(u32, u32)> = std::collections::HashSet::new();
    let mut add_edge = |from: crate::engine::ComponentId, to: crate::engine::ComponentId| {
        if seen.insert((from.0, to.0)) {
            edges.push(TopologyEdge {
                from: name(from),
                to: name(to),
                label: latency(from, to),
            });
        }
    };
    for (index, (component, config)) in plan.components.iter().enumerate() {
        let id = crate::engine::ComponentId(index as u32);
        let mut backends = Vec::new();
        let detail = match config {
            ComponentPlan::Source(source) => {
                add_edge(id, source.target);
                match &source.load {
                    Load::Open { .. } => "open loop".to_string(),
                    Load::Closed { users, .. } => format!("{users} users"),
                }
            }
            ComponentPlan::Server(server) => {
                for profile in &server.profiles {
                    for step in &profile.calls {
                        match step {
                            Step::Call(callee) => add_edge(id, *callee),
                            Step::CacheAside(aside) => {
                                add_edge(id, aside.cache);
                                add_edge(id, aside.store);
                            }
                        }
                    }
                }
                if let Some(crate::model::sessions::SessionStore::Shared { store, .. }) =
                    server.sessions.as_ref().map(|x| x.store)
                {
                    add_edge(id, store);
                }
                let per = if server.instances > 1 {
                    format!("{} x {}", server.instances, server.workers)
                } else {
                    server.workers.to_string()
                };
                let workers = if server.workers == 1 {
                    "worker"
                } else {
                    "workers"
                };
                format!("{per} {workers}")
            }
            ComponentPlan::Cache(cache) => {
                if let Some(backing) = cache.backing {
                    add_edge(id, backing);
                }
                format!("{:?}, {:?}", cache.strategy, cache.policy).to_lowercase()
            }
            ComponentPlan::RateLimiter(limiter) => {
                limiter.callees().for_each(|to| add_edge(id, to));
                limiter.describe()
            }
            ComponentPlan::Queue(queue) => {
                add_edge(id, queue.consumer);
                queue.describe()
            }
            ComponentPlan::Cdn(cdn) => {
                add_edge(id, cdn.origin);
                cdn.describe()
            }
            ComponentPlan::Fanout(fanout) => {
                add_edge(id, fanout.target);
                fanout.describe()
            }
            ComponentPlan::Balancer(balancer) => {
                let mut algorithms: Vec<&str> = Vec::new();
                for group in &balancer.groups {
                    let algorithm = algorithm_name(group.algorithm);
                    if !algorithms.contains(&algorithm) {
                        algorithms.push(algorithm);
                    }
                    for backend in &group.backends {
                        add_edge(id, backend.component);
                        backends.push(format!("{}#{}", name(backend.component), backend.instance));
                    }
                }
                algorithms.join(", ")
            }
            ComponentPlan::Dns(dns) => {
                dns.targets.iter().for_each(|t| add_edge(id, t.component));
                format!("geoDNS, TTL {}s", dns.ttl.as_secs_f64())
            }
            ComponentPlan::Provider(provider) => provider.describe(),
            ComponentPlan::IdGenerator(ids) => ids.describe(),
            ComponentPlan::Realtime(rt) => {
                rt.calls.iter().for_each(|&to| add_edge(id, to));
                rt.describe()
            }
            other => match other.data_tier_topology() {
                Some((callees, detail)) => {
                    callees.into_iter().for_each(|callee| add_edge(id, callee));
                    detail
                }
                None => String::new(),
            },
        };
        nodes.push(TopologyNode {
            name: component.clone(),
            kind: config.kind().to_string(),
            detail,
            backends,
        });
    }
    let default_latency = plan.default_latency.mean_secs();
    Topology {
        nodes,
        edges,
        default_latency: if default_latency > 0.0 {
            short_duration(default_latency)
        } else {
            String::new()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_durations_keep_three_digits() {
        assert_eq!(short_duration(0.020), "20ms");
        assert_eq!(short_duration(0.0002), "200µs");
        assert_eq!(short_duration(1.5), "1.5s");
        assert_eq!(short_duration(0.0123456), "12.3ms");
        assert_eq!(short_duration(0.001), "1ms");
        assert_eq!(short_duration(0.0), "0ns");
    }

    #[test]
    fn topology_lists_components_and_calls_with_link_latencies() {
        let text = "
name: t
run: {duration: 1s}
traffic:
  - {name: users, to: lb, rate: 10/s}
components:
  - load_balancer: {name: lb, backends: [web]}
  - server: {name: web, instances: 2, workers: 4, service_time: 1ms, calls: [db]}
  - server: {name: db, service_time: 1ms}
network:
  links:
    - {between: [users, lb], latency: {uniform: {min: 10ms, max: 30ms}}}
    - {between: [db, web], latency: 1ms}
";
        let plan = crate::scenario::load_str(text, "t.yaml", "t").map_err(|e| e.render());
        let plan = plan.unwrap_or_else(|e| panic!("{e}"));
        let t = topology(&plan);
        let nodes: Vec<(&str, &str, &str)> = t
            .nodes
            .iter()
            .map(|n| (n.name.as_str(), n.kind.as_str(), n.detail.as_str()))
            .collect();
        assert_eq!(
            nodes,
            [
                ("lb", "load_balancer", "round_robin"),
                ("web", "server", "2 x 4 workers"),
                ("db", "server", "1 worker"),
                ("users", "traffic", "open loop"),
            ]
        );
        assert_eq!(t.nodes[0].backends, ["web#0", "web#1"]);
        let edges: Vec<(&str, &str, &str)> = t
            .edges
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str(), e.label.as_str()))
            .collect();
        assert_eq!(
            edges,
            [
                ("lb", "web", ""),
                ("web", "db", "1ms"),
                ("users", "lb", "20ms")
            ]
        );
    }
}

/// Why a study could not run.
#[derive(Debug)]
pub enum StudyError {
    /// The scenario (or an override of it) does not check.
    Load(crate::scenario::LoadError),
    /// The scenario checks but cannot be run as asked (no stop condition, ...).
    Usage(String),
    /// The simulation could not be built.
    Run(String),
}

impl StudyError {
    pub fn render(&self) -> String {
        match self {
            StudyError::Load(e) => e.render(),
            StudyError::Usage(m) | StudyError::Run(m) => format!("error: {m}\n"),
        }
    }
}

/// One design to study: a scenario's text, with any path overrides already applied.
pub struct Design {
    /// Shown in messages: the file, and the variant or sweep point.
    pub path: String,
    pub text: String,
    /// The scenario name used when the file has none.
    pub default_name: String,
    /// `path=value` of each override applied, recorded in `summary.json`.
    pub overrides: Vec<String>,
}

impl Design {
    /// A scenario file as it is.
    pub fn read(path: &std::path::Path) -> Result<Self, StudyError> {
        let shown = path.display().to_string();
        // `load` gives the file-level errors (missing, too large, not text) their messages.
        crate::scenario::load(path).map_err(StudyError::Load)?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| StudyError::Usage(format!("{shown}: cannot read: {e}")))?;
        let default_name = path.file_stem().map_or_else(
            || "scenario".to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        Ok(Design {
            path: shown,
            text,
            default_name,
            overrides: Vec::new(),
        })
    }

    /// This design with `overrides` (path, value) applied on top, labelled `label`.
    pub fn with(
        &self,
        label: &str,
        overrides: &[(String, serde_json::Value)],
    ) -> Result<Self, StudyError> {
        let text = crate::overrides::apply(&self.text, overrides)
            .map_err(|e| StudyError::Usage(format!("{} ({label}): {e}", self.path)))?;
        let mut shown: Vec<String> = self.overrides.clone();
        shown.extend(
            overrides
                .iter()
                .map(|(p, v)| format!("{p}={}", crate::overrides::show(v))),
        );
        Ok(Design {
            path: format!("{} [{label}]", self.path),
            text,
            default_name: self.default_name.clone(),
            overrides: shown,
        })
    }

    /// The checked plan.
    pub fn plan(&self) -> Result<Plan, StudyError> {
        crate::scenario::load_str(&self.text, &self.path, &self.default_name)
            .map_err(StudyError::Load)
    }
}

/// How to run a study.
pub struct StudyOptions<'a> {
    pub overrides: &'a Overrides,
    /// Replications (default: the scenario's `run.replications`).
    pub replications: Option<u32>,
    /// Which replications to run, out of all of them (sharding); all when `None`.
    pub only: Option<&'a [u32]>,
    /// Checked now and then; returning a reason ("interrupted", "max_wall") stops every run.
    pub stop: &'a (dyn Fn() -> Option<&'static str> + Sync),
    /// Called as each replication ends (progress bars).
    pub done: &'a (dyn Fn() + Sync),
}

/// A design run one or more times.
pub struct Study {
    /// The first replication run, with the study's `assertions` and `replications` sections.
    pub result: RunResult,
    /// Every replication's `summary.json`, in replication order.
    pub summaries: Vec<serde_json::Value>,
    /// The replication indexes run, in order.
    pub indexes: Vec<u32>,
}

impl Study {
    pub fn passed(&self) -> bool {
        self.result.assertions.iter().all(|v| v.passed)
    }
}

/// The memory a study of `runs` runs of `plan` needs: as many models at once as there are
/// worker threads, and every run's result until the study ends.
pub fn memory_needed(plan: &Plan, runs: u64) -> crate::scenario::budget::Estimate {
    crate::scenario::budget::study(plan, runs, rayon::current_num_threads() as u64)
}

/// Runs `design` once per replication (in parallel; results kept in replication order),
/// judges the assertions over all of them and returns the first run with the study's sections.
pub fn study(design: &Design, options: &StudyOptions<'_>) -> Result<Study, StudyError> {
    use rayon::prelude::*;
    let mut first = design.plan()?;
    options.overrides.apply(&mut first);
    if first.duration.is_none() && first.requests.is_none() {
        return Err(StudyError::Usage(format!(
            "{}: the run has no stop condition; give --duration or --requests",
            design.path
        )));
    }
    if let Some(duration) = options.overrides.duration {
        if duration <= first.warmup {
            return Err(StudyError::Usage(format!(
                "{}: --duration {} is not longer than the scenario's warmup ({}); nothing would be measured",
                design.path, duration, first.warmup
            )));
        }
    }
    let count = options.replications.unwrap_or(first.replications).max(1);
    if count < 2 {
        if let Some((a, loc)) = first
            .assertions
            .iter()
            .find(|(a, _)| a.confidence.is_some())
        {
            return Err(StudyError::Usage(format!(
                "{}:{}:{}: '{}' is judged on a confidence bound, which needs at least 2 replications; set run.replications or pass --replications N",
                design.path, loc.line, loc.column, a.text
            )));
        }
    }
    let base_seed = first.seed;
    // Replication i runs with seed + i: the last seed must exist.
    if base_seed.checked_add(u64::from(count - 1)).is_none() {
        return Err(StudyError::Usage(format!(
            "{}: seed {base_seed} with {count} replications (seeds seed to seed + {}) goes beyond the largest seed, {}; give a seed of at most {}",
            design.path,
            count - 1,
            u64::MAX,
            u64::MAX - u64::from(count - 1)
        )));
    }
    let assertions: Vec<crate::assertions::Assertion> =
        first.assertions.iter().map(|(a, _)| a.clone()).collect();
    let indexes: Vec<u32> = match options.only {
        Some(only) => only.iter().copied().filter(|&i| i < count).collect(),
        None => (0..count).collect(),
    };
    if indexes.is_empty() {
        return Err(StudyError::Usage(format!(
            "{}: this shard has no replication to run",
            design.path
        )));
    }
    let needed = memory_needed(&first, indexes.len() as u64);
    crate::scenario::budget::check(&needed, first.max_memory)
        .map_err(|e| StudyError::Usage(format!("{}: {e}", design.path)))?;
    drop(first);
    let stopped: std::sync::Mutex<Option<&'static str>> = std::sync::Mutex::new(None);
    let runs: Vec<Result<RunResult, StudyError>> = indexes
        .par_iter()
        .map(|&i| {
            let mut plan = design.plan()?;
            options.overrides.apply(&mut plan);
            plan.seed = base_seed.saturating_add(u64::from(i));
            let mut on_progress = |_: Progress| match (options.stop)() {
                Some(reason) => {
                    if let Ok(mut s) = stopped.lock() {
                        s.get_or_insert(reason);
                    }
                    false
                }
                None => true,
            };
            let result = run(plan, Some(&mut on_progress)).map_err(StudyError::Run);
            (options.done)();
            result
        })
        .collect();
    let mut results = Vec::with_capacity(runs.len());
    for r in runs {
        results.push(r?);
    }
    let reason = stopped.lock().ok().and_then(|s| *s);
    for r in &mut results {
        if let Some(reason) = reason {
            r.truncated = Some(reason.to_string());
        }
        r.overrides = design.overrides.clone();
    }
    // A guard that stopped any replication (memory, a stall) cut the study short too.
    let cut = results.iter().find_map(|r| r.truncated.clone());
    let summaries: Vec<serde_json::Value> = results
        .iter()
        .map(crate::report::summary::to_json)
        .collect();
    let refs: Vec<&serde_json::Value> = summaries.iter().collect();
    let mut result = results.swap_remove(0);
    drop(results);
    if result.truncated.is_none() {
        result.truncated = cut;
    }
    if count > 1 {
        let mut section = crate::replications::to_json(&refs, 0.95);
        if let serde_json::Value::Object(m) = &mut section {
            m.insert("count".into(), serde_json::json!(count));
            m.insert("run".into(), serde_json::json!(indexes));
        }
        result.replications = Some(section);
    }
    result.assertions = crate::assertions::judge_all(&assertions, &refs);
    Ok(Study {
        result,
        summaries,
        indexes,
    })
}
