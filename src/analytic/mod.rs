//! The analytic twin: what queueing and cache theory expect of a scenario, computed from the
//! checked plan, to print next to the simulated figures.
//!
//! The twin follows the traffic through the design: Poisson sources at a constant rate, split
//! by request type, by load balancers (in proportion to backend weights) and by caches (misses
//! go on to the backing store, at the hit ratio theory gives). Then, from the leaves up, it
//! computes each component's mean response time:
//! - a server pool instance is an M/G/c queue with `c` workers, its share of the pool's
//!   arrivals, and a holding time of the service time plus the downstream calls it waits for
//!   (the worker is held meanwhile). The mean wait is Erlang C, scaled by Allen-Cunneen's
//!   `(1 + scv) / 2` for non-exponential holding times; exact for M/M/c and M/G/1. With a
//!   finite queue and exponential service it is M/M/c/K (blocking and time in system);
//! - a cache's hit ratio is Che's approximation for LRU, the FIFO approximation for FIFO and
//!   RANDOM (both have the same hit ratio under independent requests), the probability mass of
//!   the most popular keys for LFU, and `lambda T / (1 + lambda T)` per key for a TTL-only cache;
//! - a load balancer adds the network hops to its backends;
//! - end to end, a request costs the hop to the source's target and the target's response.
//!
//! Availability: for pools with random failures, each instance is up a fraction
//! `MTBF / (MTBF + MTTR)` of the time and the fraction with at least one up is binomial.
//!
//! Where the scenario breaks the assumptions (time-varying or closed-loop traffic, scripted
//! failures, timeouts and retries), the twin says so instead of printing a misleading number.
//! Each expectation carries the relative tolerance within which the simulation should agree:
//! tighter where the formula is exact, wider where it is an approximation.

mod admission;
mod cdn;
pub mod queueing;

use crate::engine::ComponentId;
use crate::model::cache::eviction::Policy;
use crate::model::cache::{theory, CacheConfig, Strategy};
use crate::model::dist::Distribution;
use crate::model::figures::Figures;
use crate::model::keys::{KeyPopularity, KeySampler};
use crate::model::load_balancer::{Algorithm, BalancerConfig};
use crate::model::server::{ServerConfig, Step};
use crate::model::source::{Arrivals, Load};
use crate::model::ComponentReport;
use crate::scenario::validate::ComponentPlan;
use crate::scenario::Plan;

/// The component name end-to-end expectations are filed under.
pub const END_TO_END: &str = "(end to end)";

/// Largest key space for which the twin computes cache hit ratios (it sums over every key).
const MAX_KEYS_FOR_CACHE_THEORY: u64 = 2_000_000;

/// One figure theory expects.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    pub component: String,
    /// `utilization`, `mean_latency_ms`, `blocking`, `hit_ratio`, `admitted_fraction` or
    /// `at_least_one_up`.
    pub metric: &'static str,
    /// The model used, e.g. "M/M/1", "M/G/4 (Allen-Cunneen)", "Che (LRU)".
    pub model: String,
    /// The expected value; `None` when theory does not apply (see `note`).
    pub theory: Option<f64>,
    /// Relative difference beyond which the simulation is flagged as diverging.
    pub tolerance: f64,
    /// Why theory does not apply, or a caveat.
    pub note: Option<String>,
}

/// An expectation next to the simulated figure.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub expectation: Expectation,
    pub simulated: Option<f64>,
    /// `Some(true)` when both figures exist and agree within the tolerance.
    pub agrees: Option<bool>,
}

/// Puts each expectation next to the run's figure: `end_to_end_mean_ms` is the mean latency of
/// the succeeded requests (`None` when none succeeded), `components` the run's reports.
pub fn compare(
    expectations: &[Expectation],
    end_to_end_mean_ms: Option<f64>,
    components: &[ComponentReport],
) -> Vec<Comparison> {
    expectations
        .iter()
        .map(|e| {
            let simulated = simulated(end_to_end_mean_ms, components, &e.component, e.metric);
            let agrees = match (e.theory, simulated) {
                (Some(t), Some(s)) => Some(relative_difference(s, t) <= e.tolerance),
                _ => None,
            };
            Comparison {
                expectation: e.clone(),
                simulated,
                agrees,
            }
        })
        .collect()
}

/// |simulated - theory| relative to theory (absolute when theory is near zero).
pub fn relative_difference(simulated: f64, theory: f64) -> f64 {
    let scale = if theory.abs() < 1e-3 {
        1.0
    } else {
        theory.abs()
    };
    (simulated - theory).abs() / scale
}

fn simulated(
    end_to_end_mean_ms: Option<f64>,
    components: &[ComponentReport],
    component: &str,
    metric: &str,
) -> Option<f64> {
    if component == END_TO_END {
        return match metric {
            "mean_latency_ms" => end_to_end_mean_ms,
            _ => None,
        };
    }
    let c = components.iter().find(|c| c.name == component)?;
    match metric {
        "utilization" => c.utilization,
        "mean_latency_ms" if c.outcomes.succeeded > 0 => Some(c.latency.mean),
        "blocking" => {
            let total = c.outcomes.total();
            (total > 0).then(|| c.outcomes.rejected as f64 / total as f64)
        }
        "hit_ratio" => c.figures.number("hit_ratio"),
        "admitted_fraction" => {
            let count = |key| c.figures.number(key);
            let (admitted, rejected) = (count("admitted")?, count("rejected")?);
            (admitted + rejected > 0.0).then(|| admitted / (admitted + rejected))
        }
        "at_least_one_up" => match &c.figures {
            Figures::Server(f) => f.time_with_at_least_k_up.as_ref()?.get(1).copied(),
            _ => None,
        },
        _ => None,
    }
}

/// Traffic through one component: arrivals per second, per request type.
type Rates = Vec<f64>;

/// A change to the design the twin can evaluate.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Change {
    None,
    /// One more instance of this server pool.
    AddInstance(usize),
    /// Twice the entries in this cache.
    DoubleCache(usize),
}

/// What one change would do to the mean end-to-end latency, by the twin's reckoning.
#[derive(Clone, Debug, PartialEq)]
pub struct WhatIf {
    pub component: String,
    /// "one more instance", "twice the cache entries".
    pub change: &'static str,
    pub baseline_ms: f64,
    pub after_ms: f64,
}

/// The twin's estimate of what each simple change (one more instance of a pool, twice the
/// entries of a cache) would do to the mean end-to-end latency, best first. Empty where the
/// twin does not apply to the whole path.
pub fn what_ifs(plan: &Plan) -> Vec<WhatIf> {
    what_ifs_until(plan, &mut || true).unwrap_or_default()
}

/// [`what_ifs`], asking `go_on` before each change it evaluates (one twin each, so a model of
/// thousands of components takes long): `None` as soon as it answers false.
pub fn what_ifs_until(plan: &Plan, go_on: &mut dyn FnMut() -> bool) -> Option<Vec<WhatIf>> {
    let end_to_end = |change, go_on: &mut dyn FnMut() -> bool| {
        Twin::new(plan, change).asking(go_on).run().map(|out| {
            out.into_iter()
                .find(|e| e.component == END_TO_END)
                .and_then(|e| e.theory)
        })
    };
    let Some(baseline_ms) = end_to_end(Change::None, go_on)? else {
        return Some(Vec::new());
    };
    let mut found: Vec<WhatIf> = Vec::new();
    for (id, (name, component)) in plan.components.iter().enumerate() {
        let (change, label) = match component {
            ComponentPlan::Server(_) => (Change::AddInstance(id), "one more instance"),
            ComponentPlan::Cache(c) if c.limits.entries.is_some() => {
                (Change::DoubleCache(id), "twice the cache entries")
            }
            _ => continue,
        };
        if !go_on() {
            return None;
        }
        if let Some(after_ms) = end_to_end(change, go_on)? {
            found.push(WhatIf {
                component: name.clone(),
                change: label,
                baseline_ms,
                after_ms,
            });
        }
    }
    found.sort_by(|a, b| a.after_ms.total_cmp(&b.after_ms));
    Some(found)
}

struct Twin<'a> {
    plan: &'a Plan,
    change: Change,
    types: usize,
    rates: Vec<Rates>,
    /// Hit ratio per cache (by component index) once computed: `Some(None)` where theory
    /// gives none.
    hit_ratio: Vec<Option<Option<f64>>>,
    /// Mean response time [s] per component and request type once computed: `Some(None)`
    /// where theory gives none.
    response: Vec<Option<Option<Rates>>>,
    /// Why the flow into a component is only approximate, if it is.
    approximate_flow: Vec<Option<String>>,
    /// Squared coefficient of variation of the time between arrivals at one instance: 1 for
    /// Poisson, `1/k` behind a round-robin balancer over `k` instances (every k-th arrival
    /// of a Poisson stream is Erlang-k).
    arrival_scv: Vec<f64>,
    /// Set when a balancer routes by queue lengths (least connections and the like): no
    /// static split describes it.
    state_dependent: Vec<Option<String>>,
    /// Whether the component and everything it calls form a Jackson network: Poisson arrivals
    /// at exponential single-visit stations, and callers that never make a request wait (so
    /// holding a worker during the calls changes nothing). Then the mean time through it is
    /// exactly the sum of the stations' M/M/c times.
    product_form: Vec<bool>,
    out: Vec<Expectation>,
    /// Asked now and then while the twin works (a model of thousands of components, or of
    /// caches over millions of keys, takes long): false stops it.
    go_on: Option<&'a mut dyn FnMut() -> bool>,
    /// Components worked on since `go_on` was last asked, and whether it said to stop.
    since_asked: u32,
    stopped: bool,
}

/// Components the twin works on between two questions to its `go_on`.
const ASK_EVERY: u32 = 16;

/// What theory expects of `plan`.
pub fn expectations(plan: &Plan) -> Vec<Expectation> {
    expectations_until(plan, &mut || true).unwrap_or_default()
}

/// [`expectations`], asking `go_on` now and then: `None` as soon as it answers false.
pub fn expectations_until(
    plan: &Plan,
    go_on: &mut dyn FnMut() -> bool,
) -> Option<Vec<Expectation>> {
    Twin::new(plan, Change::None).asking(go_on).run()
}

impl<'a> Twin<'a> {
    fn new(plan: &'a Plan, change: Change) -> Self {
        let n = plan.components.len();
        Twin {
            plan,
            change,
            types: plan.request_types.len(),
            rates: vec![vec![0.0; plan.request_types.len()]; n],
            hit_ratio: vec![None; n],
            response: vec![None; n],
            approximate_flow: vec![None; n],
            arrival_scv: vec![1.0; n],
            state_dependent: vec![None; n],
            product_form: vec![false; n],
            out: Vec::new(),
            go_on: None,
            since_asked: 0,
            stopped: false,
        }
    }

    /// This twin, asking `go_on` now and then whether to go on.
    fn asking(mut self, go_on: &'a mut dyn FnMut() -> bool) -> Self {
        self.go_on = Some(go_on);
        self
    }

    /// Whether to go on: asks `go_on` every [`ASK_EVERY`] calls.
    fn keep_going(&mut self) -> bool {
        if self.stopped {
            return false;
        }
        self.since_asked += 1;
        if self.since_asked >= ASK_EVERY {
            self.since_asked = 0;
            if let Some(go_on) = self.go_on.as_mut() {
                self.stopped = !go_on();
            }
        }
        !self.stopped
    }

    /// What theory expects; `None` when `go_on` stopped the twin.
    fn run(mut self) -> Option<Vec<Expectation>> {
        let plan = self.plan;
        self.availability();
        if let Some(why) = self.global_obstacle() {
            for (name, component) in &plan.components {
                if matches!(
                    component,
                    ComponentPlan::Server(_) | ComponentPlan::Cache(_)
                ) {
                    self.out.push(Expectation {
                        component: name.clone(),
                        metric: "mean_latency_ms",
                        model: "-".into(),
                        theory: None,
                        tolerance: 0.0,
                        note: Some(why.clone()),
                    });
                }
            }
            return Some(self.out);
        }
        self.flow();
        for id in 0..plan.components.len() {
            if !self.keep_going() {
                break;
            }
            self.respond(id);
        }
        if self.stopped {
            return None;
        }
        self.end_to_end();
        Some(self.out)
    }

    /// Instances of a pool, with the change applied.
    fn instances(&self, id: usize, server: &ServerConfig) -> u32 {
        server.instances.max(1) + u32::from(self.change == Change::AddInstance(id))
    }

    /// A reason the queueing figures of the whole scenario would mislead, if there is one.
    fn global_obstacle(&self) -> Option<String> {
        if !self.plan.failures.is_empty() || !self.plan.random_failures.is_empty() {
            return Some("not applicable: failures change the capacity during the run".into());
        }
        if !self.plan.geo.data_centers.is_empty() {
            return Some(
                "not applicable: data centers, DNS caching and region latencies are not modelled"
                    .into(),
            );
        }
        let client_caches = self.plan.components.iter().any(|(_, c)| {
            matches!(c, ComponentPlan::Server(s)
                if s.profiles.iter().any(|p| p.client_cache_for.is_some()))
        });
        if client_caches {
            return Some(
                "not applicable: browsers answer repeat clicks on permanent redirects (301) themselves"
                    .into(),
            );
        }
        for (name, component) in &self.plan.components {
            let ComponentPlan::Source(s) = component else {
                continue;
            };
            match &s.load {
                Load::Closed { .. } => {
                    return Some(format!(
                        "not applicable: '{name}' is closed-loop (the twin models open Poisson arrivals)"
                    ))
                }
                Load::Open { profile, arrivals } => {
                    if profile.constant_rate().is_none() {
                        return Some(format!(
                            "not applicable: the rate of '{name}' changes over time"
                        ));
                    }
                    if matches!(arrivals, Arrivals::Constant) {
                        return Some(format!(
                            "not applicable: '{name}' sends evenly spaced requests, not Poisson"
                        ));
                    }
                }
            }
            if s.timeout.is_some() || s.retry.is_some() {
                return Some(format!(
                    "not applicable: timeouts and retries of '{name}' change the load"
                ));
            }
        }
        None
    }

    fn name(&self, id: usize) -> &str {
        &self.plan.components[id].0
    }

    fn mean_latency(&self, from: usize, to: ComponentId) -> f64 {
        let (a, b) = (ComponentId(from as u32), to);
        self.plan
            .links
            .iter()
            .find(|(x, y, _)| (*x == a && *y == b) || (*x == b && *y == a))
            .map_or(&self.plan.default_latency, |(_, _, d)| d)
            .mean_secs()
    }

    /// Propagates arrival rates from the sources, in an order where every component comes
    /// after all its callers (the call graph has no cycles).
    fn flow(&mut self) {
        for (id, (_, component)) in self.plan.components.iter().enumerate() {
            if let ComponentPlan::Source(s) = component {
                if let Load::Open { profile, .. } = &s.load {
                    let rate = profile.constant_rate().unwrap_or(0.0);
                    let total: f64 = s.mix.iter().map(|&(_, w)| w).sum();
                    for &(t, w) in &s.mix {
                        self.rates[s.target.index()][t as usize] += rate * w / total;
                    }
                    self.addressed_directly(s.target);
                    let _ = id;
                }
            }
        }
        self.propagate();
    }

    /// Carries the arrival rates seeded at the sources' targets down the call graph.
    fn propagate(&mut self) {
        for id in self.topological_order() {
            if !self.keep_going() {
                return;
            }
            let rates = self.rates[id].clone();
            match &self.plan.components[id].1 {
                ComponentPlan::Server(server) => self.flow_server(id, server, &rates),
                ComponentPlan::Balancer(b) => self.flow_balancer(id, b, &rates),
                ComponentPlan::Cache(cache) => self.flow_cache(id, cache, &rates),
                ComponentPlan::Source(_) => {}
                ComponentPlan::Cdn(cdn) => self.flow_cdn(id, cdn, &rates),
                ComponentPlan::RateLimiter(limiter) => self.flow_rate_limiter(id, limiter, &rates),
                ComponentPlan::Database(_)
                | ComponentPlan::Sharded(_)
                | ComponentPlan::Queue(_)
                | ComponentPlan::Dns(_)
                | ComponentPlan::Provider(_)
                | ComponentPlan::Fanout(_)
                | ComponentPlan::IdGenerator(_)
                | ComponentPlan::Realtime(_) => {
                    // A kind the twin has no model for: what it passes on is unknown, so
                    // nothing it feeds gets a figure.
                    let why = format!(
                        "not applicable: fed by '{}', which the twin does not model",
                        self.name(id)
                    );
                    for callee in self.callees(id) {
                        self.state_dependent[callee.index()].get_or_insert(why.clone());
                    }
                }
            }
        }
    }

    fn add(&mut self, to: ComponentId, t: usize, rate: f64, from: usize) {
        self.rates[to.index()][t] += rate;
        if let Some(why) = self.approximate_flow[from].clone() {
            self.approximate_flow[to.index()].get_or_insert(why);
        }
    }

    fn flow_server(&mut self, id: usize, server: &ServerConfig, rates: &Rates) {
        for (t, &rate) in rates.iter().enumerate() {
            for step in &server.profiles[t].calls {
                match *step {
                    Step::Call(to) => {
                        self.add(to, t, rate, id);
                        self.addressed_directly(to);
                    }
                    // The cache passes its misses (and the writes) on to the store when its
                    // turn comes, once every caller's lookups are counted.
                    Step::CacheAside(aside) => self.add(aside.cache, t, rate, id),
                }
            }
        }
    }

    /// A pool called by name (not through a balancer) spreads its arrivals round-robin over
    /// its instances, so each instance sees every n-th arrival: Erlang-n, like a round-robin
    /// balancer's backends.
    fn addressed_directly(&mut self, to: ComponentId) {
        if let ComponentPlan::Server(server) = &self.plan.components[to.index()].1 {
            let n = f64::from(self.instances(to.index(), server));
            let scv = &mut self.arrival_scv[to.index()];
            *scv = scv.min(1.0 / n);
        }
    }

    /// How many requests the callers of `id` can have outstanding at it at once, when every
    /// caller is a server pool of fixed size: each of their workers waits for its call, so
    /// it has at most one there. `None` when some caller is not bounded that way.
    fn caller_concurrency(&self, id: usize) -> Option<u64> {
        let mut total = 0u64;
        for caller in 0..self.plan.components.len() {
            if !self.callees(caller).iter().any(|c| c.index() == id) {
                continue;
            }
            match &self.plan.components[caller].1 {
                ComponentPlan::Server(s) if s.autoscale.is_none() => {
                    total += u64::from(self.instances(caller, s)) * u64::from(s.workers.max(1));
                }
                _ => return None,
            }
        }
        (total > 0).then_some(total)
    }

    fn flow_balancer(&mut self, id: usize, b: &BalancerConfig, rates: &Rates) {
        for (t, &rate) in rates.iter().enumerate() {
            let Some(group) = b.groups.get(b.route_of_type[t]) else {
                continue;
            };
            if matches!(group.algorithm, Algorithm::Hash(_)) {
                self.approximate_flow[id].get_or_insert(format!(
                    "'{}' hashes requests: the twin assumes an even split",
                    b.name
                ));
            }
            let pools = self.pools(group);
            let total: f64 = pools.iter().map(|&(_, w, n)| w * n).sum();
            let instances: f64 = pools.iter().map(|&(_, _, n)| n).sum();
            if total <= 0.0 {
                continue;
            }
            for backend in &group.backends {
                let pool = backend.component.index();
                match group.algorithm {
                    Algorithm::RoundRobin => {
                        self.arrival_scv[pool] = 1.0 / instances;
                    }
                    Algorithm::LeastConnections
                    | Algorithm::LeastResponseTime
                    | Algorithm::PowerOfTwoChoices => {
                        self.state_dependent[pool].get_or_insert(format!(
                            "not applicable: '{}' routes by queue lengths, which no static split describes",
                            b.name
                        ));
                    }
                    _ => {}
                }
            }
            for &(pool, weight, n) in &pools {
                self.add(pool, t, rate * weight * n / total, id);
            }
        }
    }

    /// A cache sends its misses to its store (for cache-aside, the callers do, which comes to
    /// the same flow), and its writes as its strategy says.
    /// The pools behind a balancer group: `(pool, weight, instances)`, with the change applied
    /// (the balancer spreads over instances, each with its pool's weight).
    fn pools(
        &self,
        group: &crate::model::load_balancer::GroupConfig,
    ) -> Vec<(ComponentId, f64, f64)> {
        let mut pools: Vec<(ComponentId, f64, f64)> = Vec::new();
        for backend in &group.backends {
            if pools.iter().any(|(p, _, _)| *p == backend.component) {
                continue;
            }
            let n = match &self.plan.components[backend.component.index()].1 {
                ComponentPlan::Server(s) => self.instances(backend.component.index(), s),
                _ => 1,
            };
            pools.push((backend.component, f64::from(backend.weight), f64::from(n)));
        }
        pools
    }

    fn flow_cache(&mut self, id: usize, cache: &CacheConfig, rates: &Rates) {
        let Some(backing) = cache.backing else {
            return;
        };
        let h = self.cache_hit_ratio(id);
        if h.is_none() {
            self.approximate_flow[backing.index()].get_or_insert(format!(
                "the hit ratio of '{}' has no closed form",
                cache.name
            ));
        }
        for (t, &arrivals) in rates.iter().enumerate() {
            let rate = if self.is_write(t) {
                if cache.strategy == Strategy::WriteBack {
                    self.approximate_flow[backing.index()].get_or_insert(format!(
                        "'{}' writes back: flushes coalesce writes",
                        cache.name
                    ));
                }
                arrivals
            } else {
                arrivals * (1.0 - h.unwrap_or(0.0))
            };
            self.add(backing, t, rate, id);
        }
    }

    fn is_write(&self, t: usize) -> bool {
        self.plan.write_types.get(t).copied().unwrap_or(false)
    }

    fn callees(&self, id: usize) -> Vec<ComponentId> {
        self.plan.components[id].1.callees()
    }

    /// Callers before callees (Kahn's algorithm, ties by id for determinism).
    fn topological_order(&self) -> Vec<usize> {
        let n = self.plan.components.len();
        let mut indegree = vec![0usize; n];
        let edges: Vec<Vec<ComponentId>> = (0..n).map(|id| self.callees(id)).collect();
        for out in &edges {
            for c in out {
                indegree[c.index()] += 1;
            }
        }
        let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).rev().collect();
        let mut order = Vec::with_capacity(n);
        while let Some(id) = ready.pop() {
            order.push(id);
            for c in &edges[id] {
                indegree[c.index()] -= 1;
                if indegree[c.index()] == 0 {
                    ready.push(c.index());
                }
            }
        }
        order
    }

    /// The key popularity of the traffic, when there is one source.
    fn keys(&self) -> Option<&KeyPopularity> {
        let mut sources = self.plan.components.iter().filter_map(|(_, c)| match c {
            ComponentPlan::Source(s) => Some(&s.keys),
            _ => None,
        });
        let first = sources.next()?;
        sources.next().is_none().then_some(first)
    }

    /// Theory's hit ratio for the cache `id` under independent requests, if there is one.
    /// Records the expectation the first time.
    fn cache_hit_ratio(&mut self, id: usize) -> Option<f64> {
        if let Some(known) = self.hit_ratio[id] {
            return known;
        }
        let ComponentPlan::Cache(cache) = &self.plan.components[id].1 else {
            return None;
        };
        let (model, tolerance, result) = self.cache_theory(id, cache);
        let theory = result.as_ref().ok().copied();
        self.out.push(Expectation {
            component: cache.name.clone(),
            metric: "hit_ratio",
            model: model.into(),
            theory,
            tolerance,
            note: result.err(),
        });
        self.hit_ratio[id] = Some(theory);
        theory
    }

    fn cache_theory(
        &self,
        id: usize,
        cache: &CacheConfig,
    ) -> (&'static str, f64, Result<f64, String>) {
        let writes = (0..self.types).any(|t| self.is_write(t) && self.rates[id][t] > 0.0);
        let reads: f64 = (0..self.types)
            .filter(|&t| !self.is_write(t))
            .map(|t| self.rates[id][t])
            .sum();
        let Some(keys) = self.keys() else {
            return (
                "-",
                0.0,
                Err("not applicable: several traffic sources".into()),
            );
        };
        if writes {
            return (
                "-",
                0.0,
                Err("not applicable: writes invalidate or update entries".into()),
            );
        }
        let Ok(sampler) = KeySampler::new(keys) else {
            return ("-", 0.0, Err("not applicable: key popularity".into()));
        };
        if sampler.count() > MAX_KEYS_FOR_CACHE_THEORY {
            return (
                "-",
                0.0,
                Err(format!(
                    "not computed: more than {MAX_KEYS_FOR_CACHE_THEORY} keys"
                )),
            );
        }
        if cache.limits.bytes.is_some() || cache.idle_ttl.is_some() {
            return (
                "-",
                0.0,
                Err("not applicable: byte limits and idle expiry have no closed form".into()),
            );
        }
        let probs: Vec<f64> = (0..sampler.count())
            .map(|k| sampler.probability(k))
            .collect();
        match (cache.limits.entries, cache.ttl) {
            (Some(capacity), None) => {
                let capacity = if self.change == Change::DoubleCache(id) {
                    capacity * 2
                } else {
                    capacity
                };
                let c = capacity as f64;
                match cache.policy {
                    Policy::Lru => ("Che (LRU)", 0.05, Ok(theory::lru_hit_ratio(&probs, c))),
                    Policy::Fifo | Policy::Random => (
                        "FIFO approximation",
                        0.05,
                        Ok(theory::fifo_hit_ratio(&probs, c)),
                    ),
                    Policy::Lfu => {
                        let mut sorted = probs.clone();
                        sorted.sort_by(|a, b| b.total_cmp(a));
                        let top: f64 = sorted.iter().take(capacity as usize).sum();
                        ("top-C mass (LFU)", 0.10, Ok(top))
                    }
                }
            }
            (None, Some(ttl)) => (
                "TTL: lambda T / (1 + lambda T)",
                0.05,
                Ok(theory::ttl_hit_ratio(&probs, reads, ttl.as_secs_f64())),
            ),
            (None, None) => (
                "no eviction",
                0.05,
                Err("not applicable: an unbounded cache only has cold misses".into()),
            ),
            (Some(_), Some(_)) => (
                "-",
                0.0,
                Err("not applicable: capacity and TTL together have no closed form".into()),
            ),
        }
    }

    /// Mean response time of `id` per request type [s], computing callees first.
    fn respond(&mut self, id: usize) -> Option<Rates> {
        if let Some(known) = &self.response[id] {
            return known.clone();
        }
        let response = match &self.plan.components[id].1 {
            ComponentPlan::Source(_) => None,
            ComponentPlan::Server(server) => self.respond_server(id, server),
            ComponentPlan::Balancer(b) => self.respond_balancer(id, b),
            ComponentPlan::Cache(cache) => self.respond_cache(id, cache),
            // No response-time model (yet) for these kinds: their callers get no figure.
            ComponentPlan::Database(_)
            | ComponentPlan::Sharded(_)
            | ComponentPlan::RateLimiter(_)
            | ComponentPlan::Queue(_)
            | ComponentPlan::Cdn(_)
            | ComponentPlan::Dns(_)
            | ComponentPlan::Provider(_)
            | ComponentPlan::Fanout(_)
            | ComponentPlan::IdGenerator(_)
            | ComponentPlan::Realtime(_) => None,
        };
        self.response[id] = Some(response.clone());
        response
    }

    /// Mean time a worker is held per request type [s] (service and downstream calls), and
    /// whether downstream calls are part of it.
    fn holding_times(&mut self, id: usize, server: &ServerConfig) -> Option<(Rates, bool)> {
        let mut holding = Vec::with_capacity(self.types);
        let mut downstream = false;
        for t in 0..self.types {
            let mut time = server.profiles[t].service_time.mean_secs();
            for step in &server.profiles[t].calls {
                downstream = true;
                match *step {
                    Step::Call(to) => {
                        time += 2.0 * self.mean_latency(id, to) + self.respond(to.index())?[t];
                    }
                    Step::CacheAside(aside) => {
                        let cache_trip = 2.0 * self.mean_latency(id, aside.cache)
                            + self.respond(aside.cache.index())?[t];
                        let store_trip = 2.0 * self.mean_latency(id, aside.store)
                            + self.respond(aside.store.index())?[t];
                        time += if self.is_write(t) {
                            store_trip + cache_trip
                        } else {
                            let miss = 1.0 - self.cache_hit_ratio(aside.cache.index())?;
                            cache_trip + miss * (store_trip + cache_trip)
                        };
                    }
                }
            }
            holding.push(time);
        }
        Some((holding, downstream))
    }

    fn respond_server(&mut self, id: usize, server: &ServerConfig) -> Option<Rates> {
        let name = self.name(id).to_string();
        let rates = self.rates[id].clone();
        let total: f64 = rates.iter().sum();
        let push = |out: &mut Vec<Expectation>, metric, model: &str, theory, tol, note| {
            out.push(Expectation {
                component: name.clone(),
                metric,
                model: model.to_string(),
                theory,
                tolerance: tol,
                note,
            })
        };
        if total <= 0.0 {
            return Some(vec![0.0; self.types]);
        }
        let Some((holding, downstream)) = self.holding_times(id, server) else {
            push(
                &mut self.out,
                "mean_latency_ms",
                "-",
                None,
                0.0,
                Some("not applicable: a component it calls has no closed form".into()),
            );
            return None;
        };
        if let Some(why) = self.state_dependent[id].clone() {
            push(&mut self.out, "mean_latency_ms", "-", None, 0.0, Some(why));
            return None;
        }
        if server.autoscale.is_some() {
            push(
                &mut self.out,
                "mean_latency_ms",
                "-",
                None,
                0.0,
                Some("not applicable: autoscaling changes the capacity during the run".into()),
            );
            return None;
        }
        if server.timeout.is_some() || server.call_timeout.is_some() {
            push(
                &mut self.out,
                "mean_latency_ms",
                "-",
                None,
                0.0,
                Some("not applicable: requests time out".into()),
            );
            return None;
        }
        // Mixture of the request types: mean and second moment of the holding time.
        let mean: f64 = (0..self.types).map(|t| rates[t] * holding[t]).sum::<f64>() / total;
        let second: f64 = (0..self.types)
            .map(|t| {
                let d: &Distribution = &server.profiles[t].service_time;
                // Downstream response times are taken as exponential (variance = mean^2): an
                // approximation, flagged by the wider tolerance.
                let extra = holding[t] - d.mean_secs();
                let variance = d.variance_secs2() + extra * extra;
                rates[t] * (variance + holding[t] * holding[t])
            })
            .sum::<f64>()
            / total;
        let scv = if mean > 0.0 {
            (second - mean * mean).max(0.0) / (mean * mean)
        } else {
            0.0
        };
        let instances = f64::from(self.instances(id, server));
        let c = server.workers.max(1);
        let lambda = total / instances;
        let utilization = lambda * mean / f64::from(c);
        let mut note = self.approximate_flow[id]
            .clone()
            .map(|w| format!("approximate: {w}"));
        let exponential = (0..self.types)
            .all(|t| rates[t] == 0.0 || (server.profiles[t].service_time.scv() - 1.0).abs() < 1e-9);
        let arrival_scv = self.arrival_scv[id];
        let poisson = arrival_scv == 1.0;
        // Callers that hold a worker per outstanding call can have at most `bound` requests
        // here at once: with no more than the workers of one instance, none ever waits.
        let bound = self.caller_concurrency(id);
        let never_waits = bound.is_some_and(|n| n <= u64::from(c));
        if let Some(n) = bound.filter(|&n| !never_waits && n < 10 * u64::from(c)) {
            note.get_or_insert_with(|| {
                format!("approximate: its callers can have at most {n} requests here at once, which shortens the queue")
            });
        }
        // Jackson: a station with Poisson arrivals is product-form if it is exponential, or
        // if no request ever waits there (an infinite-server station: its departures are
        // Poisson whatever the service time); a caller is, if it never makes a request wait
        // and everything it calls (plain calls) is.
        let ample =
            never_waits || (utilization < 1.0 && queueing::erlang_c(c, lambda * mean) < 1e-6);
        let callees_product_form = (0..self.types).all(|t| {
            rates[t] == 0.0
                || server.profiles[t].calls.iter().all(|step| match *step {
                    Step::Call(to) => self.product_form[to.index()],
                    Step::CacheAside(_) => false,
                })
        });
        let jackson = note.is_none()
            && poisson
            && (server.queue_capacity.is_none() || never_waits)
            && (exponential || ample)
            && (!downstream || (ample && callees_product_form));
        self.product_form[id] = jackson;
        // Exact: M/M/c, M/G/1 (Pollaczek-Khinchine), GI/M/1 (Erlang-k arrivals), a station no
        // request waits at, and a Jackson network.
        let exact = jackson
            || (note.is_none() && never_waits)
            || (!downstream
                && note.is_none()
                && if poisson {
                    exponential || c == 1
                } else {
                    exponential && c == 1
                });
        let tolerance = if exact { 0.10 } else { 0.25 };
        if downstream && !exact {
            note.get_or_insert_with(|| {
                "approximate: workers are held during downstream calls".into()
            });
        }
        let (model, wait, blocking) = match server.queue_capacity {
            _ if never_waits => (
                format!("no wait (callers hold <= {})", bound.unwrap_or(0)),
                0.0,
                None,
            ),
            _ if jackson && downstream => (format!("M/G/{c}, no wait (Jackson)"), 0.0, None),
            Some(queue) => {
                if !exponential || downstream || !poisson {
                    push(
                        &mut self.out,
                        "mean_latency_ms",
                        "-",
                        None,
                        0.0,
                        Some("not applicable: a finite queue needs Poisson arrivals and exponential service".into()),
                    );
                    return None;
                }
                let k = c.saturating_add(queue);
                let (blocking, time) = queueing::mmck(lambda, mean, c, k);
                (format!("M/M/{c}/{k}"), time - mean, Some(blocking))
            }
            None => {
                let k = (1.0 / arrival_scv).round() as u32;
                let model = match (poisson, exponential && !downstream, c) {
                    (true, true, _) => format!("M/M/{c}"),
                    (true, false, 1) => "M/G/1 (Pollaczek-Khinchine)".to_string(),
                    (true, false, _) => format!("M/G/{c} (Allen-Cunneen)"),
                    (false, true, 1) => format!("E{k}/M/1 (round robin)"),
                    (false, _, _) => format!("E{k}/G/{c} (Allen-Cunneen, round robin)"),
                };
                let wait = if !poisson && exponential && !downstream && c == 1 {
                    queueing::erlang_m1_wait(k, lambda, mean)
                } else {
                    queueing::ggc_wait(lambda, mean, arrival_scv, scv, c)
                };
                match wait {
                    Some(wait) => (model, wait, None),
                    None => {
                        push(
                            &mut self.out,
                            "utilization",
                            &model,
                            Some(1.0),
                            0.05,
                            Some(format!(
                                "overloaded: offered load {:.2} per worker; the queue grows without bound",
                                utilization
                            )),
                        );
                        return None;
                    }
                }
            }
        };
        let served_utilization = utilization * (1.0 - blocking.unwrap_or(0.0));
        push(
            &mut self.out,
            "utilization",
            &model,
            Some(served_utilization),
            0.05,
            None,
        );
        if let Some(b) = blocking {
            push(&mut self.out, "blocking", &model, Some(b), 0.10, None);
        }
        let response: Rates = holding.iter().map(|h| h + wait).collect();
        let mean_response: f64 =
            (0..self.types).map(|t| rates[t] * response[t]).sum::<f64>() / total;
        push(
            &mut self.out,
            "mean_latency_ms",
            &model,
            Some(mean_response * 1e3),
            tolerance,
            note,
        );
        Some(response)
    }

    fn respond_balancer(&mut self, id: usize, b: &BalancerConfig) -> Option<Rates> {
        let mut response = vec![0.0; self.types];
        // A random split of a Poisson stream is Poisson: the balancer is part of a Jackson
        // network if every pool it feeds is (round robin makes their arrivals Erlang, and
        // those pools say so themselves).
        let mut product_form = self.approximate_flow[id].is_none();
        for (t, slot) in response.iter_mut().enumerate() {
            if self.rates[id][t] == 0.0 {
                continue;
            }
            let group = b.groups.get(b.route_of_type[t])?;
            let pools = self.pools(group);
            let total: f64 = pools.iter().map(|&(_, w, n)| w * n).sum();
            for (pool, weight, n) in pools {
                let share = weight * n / total;
                let r = self.respond(pool.index())?[t];
                product_form &= self.product_form[pool.index()];
                *slot += share * (2.0 * self.mean_latency(id, pool) + r);
            }
        }
        self.product_form[id] = product_form;
        Some(response)
    }

    fn respond_cache(&mut self, id: usize, cache: &CacheConfig) -> Option<Rates> {
        let h = self.cache_hit_ratio(id)?;
        let (hit, miss) = (cache.hit_time.mean_secs(), cache.miss_time.mean_secs());
        let backing = match (cache.strategy, cache.backing) {
            (Strategy::CacheAside, _) | (_, None) => None,
            (_, Some(b)) => Some((b, self.respond(b.index())?)),
        };
        let trip = |t: usize| {
            backing
                .as_ref()
                .map_or(0.0, |(b, r)| 2.0 * self.mean_latency(id, *b) + r[t])
        };
        Some(
            (0..self.types)
                .map(|t| {
                    if backing.is_none() {
                        // Cache-aside: the cache answers hits and misses itself.
                        h * hit + (1.0 - h) * miss
                    } else if self.is_write(t) {
                        miss + trip(t)
                    } else {
                        h * hit + (1.0 - h) * (miss + trip(t))
                    }
                })
                .collect(),
        )
    }

    fn end_to_end(&mut self) {
        let sources: Vec<usize> = (0..self.plan.components.len())
            .filter(|&i| matches!(self.plan.components[i].1, ComponentPlan::Source(_)))
            .collect();
        let [source] = sources[..] else {
            return;
        };
        let ComponentPlan::Source(s) = &self.plan.components[source].1 else {
            return;
        };
        let Some(Some(response)) = self.response[s.target.index()].clone() else {
            return;
        };
        let total: f64 = s.mix.iter().map(|&(_, w)| w).sum();
        let hop = 2.0 * self.mean_latency(source, s.target);
        let mean: f64 = s
            .mix
            .iter()
            .map(|&(t, w)| w / total * (hop + response[t as usize]))
            .sum();
        let target_name = self.name(s.target.index()).to_string();
        let (model, tolerance) = if self.product_form[s.target.index()] {
            // The sum of the stations' mean times is exact in a Jackson network.
            (format!("Jackson network from '{target_name}'"), 0.10)
        } else {
            let widest = self
                .out
                .iter()
                .filter(|e| e.metric == "mean_latency_ms" && e.theory.is_some())
                .map(|e| e.tolerance)
                .fold(0.10, f64::max);
            (format!("network hop + '{target_name}'"), widest)
        };
        self.out.push(Expectation {
            component: END_TO_END.into(),
            metric: "mean_latency_ms",
            model,
            theory: Some(mean * 1e3),
            tolerance,
            note: None,
        });
    }

    fn availability(&mut self) {
        for f in &self.plan.random_failures {
            let up = f.time_to_failure.mean_secs();
            let down = f.time_to_repair.mean_secs();
            if up + down <= 0.0 {
                continue;
            }
            let a = up / (up + down);
            let n = match &self.plan.components[f.target.index()].1 {
                ComponentPlan::Server(s) => s.instances,
                _ => continue,
            };
            self.out.push(Expectation {
                component: f.target_name.clone(),
                metric: "at_least_one_up",
                model: format!("binomial, {n} instances up {:.4} each", a),
                theory: Some(queueing::at_least_k_up(n, 1, a)),
                tolerance: 0.02,
                note: Some("long-run fraction of time; needs many failure cycles".into()),
            });
        }
    }
}

/// Mean arrivals per second at every component (by component index, then request type) when
/// the source with component index `i` sends `source_rate(i)` requests per second in all: the
/// twin's flow through balancers (by weight) and caches (misses at theory's hit ratio where
/// there is one, every request otherwise), whatever the shape of the rate over time. Used by
/// `sim estimate`.
pub fn arrival_rates(plan: &Plan, source_rate: impl Fn(usize) -> f64) -> Vec<Vec<f64>> {
    let mut twin = Twin::new(plan, Change::None);
    for (id, (_, component)) in plan.components.iter().enumerate() {
        if let ComponentPlan::Source(s) = component {
            let total: f64 = s.mix.iter().map(|&(_, w)| w).sum();
            if total <= 0.0 {
                continue;
            }
            let rate = source_rate(id);
            for &(t, w) in &s.mix {
                twin.rates[s.target.index()][t as usize] += rate * w / total;
            }
        }
    }
    twin.propagate();
    twin.rates
}
