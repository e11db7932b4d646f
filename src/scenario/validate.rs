//! Checks a raw scenario and turns it into a [`Plan`]: every value parsed with its units, every
//! name resolved to a component index, every range checked. All problems are collected, so one
//! run of `sim validate` lists them all.

use std::collections::{BTreeMap, HashMap};

use indexmap::IndexMap;

use super::diagnostic::{suggestion, Diagnostic};
use super::raw::{self, At, Loc, OrMap, Scalar};
use super::units::{parse_duration, parse_fraction, parse_multiplier, parse_rate, parse_size};
use crate::engine::{ComponentId, SimDuration, SimTime};
use crate::model::cache::aside::CacheAside;
use crate::model::cache::eviction::{Limits, Policy};
use crate::model::cache::size::SizeLaw;
use crate::model::cache::{CacheConfig, Strategy};
use crate::model::dist::Distribution;
use crate::model::failures::{FailureAction, RandomFailures, ScheduledFailure};
use crate::model::keys::KeyPopularity;
use crate::model::load_balancer::{
    ActiveHealth, Algorithm, Backend, BalancerConfig, GroupConfig, PassiveHealth,
};
use crate::model::rate::RateProfile;
use crate::model::server::{RequestProfile, ServerConfig, Step};
use crate::model::source::{Arrivals, Load, RetryPolicy};
use crate::model::{Slo, ALL_INSTANCES};

/// Limits that keep a scenario within what one machine can simulate; each message says why.
pub mod limits {
    /// Instances of one pool: each keeps its own queue and statistics.
    pub const MAX_INSTANCES: u64 = 100_000;
    pub const MAX_WORKERS: u64 = 1_000_000;
    pub const MAX_QUEUE: u64 = 1_000_000_000;
    /// Closed-loop users: each is tracked individually.
    pub const MAX_USERS: u64 = 10_000_000;
    pub const MAX_CLIENTS: u64 = u32::MAX as u64;
    pub const MAX_KEYS: u64 = 1_000_000_000_000;
    pub const MAX_COMPONENTS: usize = 100_000;
    /// Time windows narrower than this would make most windows empty.
    pub const MIN_WINDOW_NS: u64 = 1_000;
    /// Entries of one cache: each costs about 100 bytes of simulator memory.
    pub const MAX_CACHE_ENTRIES: u64 = 100_000_000;
}

/// A traffic source, checked.
pub struct SourcePlan {
    pub target: ComponentId,
    pub load: Load,
    pub mix: Vec<(u16, f64)>,
    pub keys: KeyPopularity,
    pub clients: u32,
    pub regions: Vec<(u16, f64)>,
    pub timeout: Option<SimDuration>,
    pub retry: Option<RetryPolicy>,
}

pub enum ComponentPlan {
    Source(SourcePlan),
    Server(ServerConfig),
    Balancer(BalancerConfig),
    Cache(CacheConfig),
}

impl ComponentPlan {
    pub fn kind(&self) -> &'static str {
        match self {
            ComponentPlan::Source(_) => "traffic",
            ComponentPlan::Server(_) => "server",
            ComponentPlan::Balancer(_) => "load_balancer",
            ComponentPlan::Cache(_) => "cache",
        }
    }
}

/// A checked scenario, ready to build.
pub struct Plan {
    pub name: String,
    /// SHA-256 of the scenario file's bytes, so a result can be traced to its exact input.
    pub scenario_sha256: String,
    /// Stop after this many engine events (a guard against runaway scenarios; set from the
    /// command line).
    pub max_events: Option<u64>,
    pub description: Option<String>,
    pub seed: u64,
    pub duration: Option<SimDuration>,
    pub requests: Option<u64>,
    pub warmup: SimDuration,
    pub window: SimDuration,
    pub request_types: Vec<String>,
    /// Per request type: does it write data? (Caches and databases treat writes differently.)
    pub write_types: Vec<bool>,
    pub regions: Vec<String>,
    /// Components in id order: the file's components, then the traffic sources.
    pub components: Vec<(String, ComponentPlan)>,
    pub slo: Option<Slo>,
    pub failures: Vec<ScheduledFailure>,
    pub random_failures: Vec<RandomFailures>,
    pub default_latency: Distribution,
    pub links: Vec<(ComponentId, ComponentId, Distribution)>,
}

impl Plan {
    /// The instant after which no event is delivered.
    pub fn end(&self) -> SimTime {
        self.duration.map_or(SimTime::NEVER, |d| SimTime::ZERO + d)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Source,
    Server,
    Balancer,
    Cache,
}

impl Role {
    fn described(self) -> &'static str {
        match self {
            Role::Source => "a traffic source",
            Role::Server => "a server",
            Role::Balancer => "a load balancer",
            Role::Cache => "a cache",
        }
    }
}

/// Components a server step, a cache's backing store or a traffic source may call.
const CALLABLE: [Role; 3] = [Role::Server, Role::Balancer, Role::Cache];

struct Checker {
    errors: Vec<Diagnostic>,
    /// Name -> (id, role, where it was defined).
    names: IndexMap<String, (ComponentId, Role, Loc)>,
    request_types: IndexMap<String, ()>,
    /// Instances per server pool, for expanding load-balancer backends.
    instances: HashMap<ComponentId, u32>,
    /// Each cache's strategy as written (None if unknown; check_cache reports it).
    cache_strategies: HashMap<String, Option<Strategy>>,
    /// The store each cache-aside cache is used with, and where that was first said.
    aside_stores: BTreeMap<ComponentId, (ComponentId, String, Loc)>,
}

impl Checker {
    fn error(&mut self, loc: Loc, message: impl Into<String>) {
        self.errors.push(Diagnostic::at(loc, message));
    }

    fn error_help(&mut self, loc: Loc, message: impl Into<String>, help: impl Into<String>) {
        self.errors
            .push(Diagnostic::at(loc, message).with_help(help));
    }

    /// Parses a scalar with `parse`, recording the error at its location.
    fn parse<T>(
        &mut self,
        at: &At<Scalar>,
        what: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        match parse(&at.value.0) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(at.loc, format!("{what}: {e}"));
                None
            }
        }
    }

    fn duration(&mut self, at: &At<Scalar>, what: &str) -> Option<SimDuration> {
        self.parse(at, what, parse_duration)
    }

    fn positive_duration(&mut self, at: &At<Scalar>, what: &str) -> Option<SimDuration> {
        let d = self.duration(at, what)?;
        if d.is_zero() {
            self.error(at.loc, format!("{what} must be greater than 0"));
            return None;
        }
        Some(d)
    }

    fn int_in(&mut self, at: &At<u64>, what: &str, min: u64, max: u64, why: &str) -> Option<u64> {
        let v = at.value;
        if v < min {
            self.error(at.loc, format!("{what} must be at least {min}, got {v}"));
            None
        } else if v > max {
            self.error_help(
                at.loc,
                format!("{what} is {v}, above the limit of {max}"),
                why.to_string(),
            );
            None
        } else {
            Some(v)
        }
    }

    fn weight(&mut self, at: &At<f64>, what: &str) -> Option<f64> {
        if at.value.is_finite() && at.value > 0.0 {
            Some(at.value)
        } else {
            self.error(
                at.loc,
                format!("{what} must be a positive number, got {}", at.value),
            );
            None
        }
    }

    fn reference(&mut self, at: &At<String>, what: &str, allowed: &[Role]) -> Option<ComponentId> {
        match self.names.get(&at.value) {
            Some(&(id, role, _)) if allowed.contains(&role) => Some(id),
            Some(&(_, role, _)) => {
                let allowed: Vec<&str> = allowed.iter().map(|r| r.described()).collect();
                self.error_help(
                    at.loc,
                    format!(
                        "{what} '{}' is {}, which cannot be used here",
                        at.value,
                        role.described()
                    ),
                    format!("a {what} must be {}", allowed.join(" or ")),
                );
                None
            }
            None => {
                let candidates: Vec<String> = self
                    .names
                    .iter()
                    .filter(|(_, (_, role, _))| allowed.contains(role))
                    .map(|(n, _)| n.clone())
                    .collect();
                let help = suggestion(&at.value, candidates.iter().map(String::as_str));
                self.error_help(
                    at.loc,
                    format!("{what} '{}' is not defined", at.value),
                    help,
                );
                None
            }
        }
    }

    fn request_type(&mut self, at: &At<String>) -> Option<u16> {
        match self.request_types.get_index_of(&at.value) {
            Some(i) => Some(i as u16),
            None => {
                let known: Vec<String> = self.request_types.keys().cloned().collect();
                let help = suggestion(&at.value, known.iter().map(String::as_str));
                self.error_help(
                    at.loc,
                    format!("request type '{}' is not in any traffic mix", at.value),
                    help,
                );
                None
            }
        }
    }

    fn distribution(
        &mut self,
        at: &At<OrMap<raw::DistributionSpec>>,
        what: &str,
    ) -> Option<Distribution> {
        use raw::DistributionSpec as D;
        let loc = at.loc;
        let scalar = |c: &mut Checker, s: &At<Scalar>| c.duration(s, what);
        let built = match &at.value {
            OrMap::Scalar(s) => {
                let s = At {
                    value: s.clone(),
                    loc,
                };
                Ok(Distribution::constant(scalar(self, &s)?))
            }
            OrMap::Map(D::Constant(s)) => Ok(Distribution::constant(scalar(self, s)?)),
            OrMap::Map(D::Exponential(mean)) => {
                let mean = self.positive_duration(mean, &format!("{what} (exponential mean)"))?;
                Distribution::exponential(mean)
            }
            OrMap::Map(D::Uniform(u)) => {
                let (min, max) = (scalar(self, &u.min), scalar(self, &u.max));
                Distribution::uniform(min?, max?)
            }
            OrMap::Map(D::Lognormal(l)) => match (&l.mean, &l.sigma, &l.median, &l.p99) {
                (Some(mean), Some(sigma), None, None) => {
                    let mean = self.positive_duration(mean, &format!("{what} (lognormal mean)"))?;
                    Distribution::lognormal_mean_sigma(mean, sigma.value)
                }
                (None, None, Some(median), Some(p99)) => {
                    let median =
                        self.positive_duration(median, &format!("{what} (lognormal median)"))?;
                    let p99 = self.positive_duration(p99, &format!("{what} (lognormal p99)"))?;
                    Distribution::lognormal_median_p99(median, p99)
                }
                _ => Err("lognormal needs either {mean, sigma} or {median, p99}".to_string()),
            },
            OrMap::Map(D::Empirical(table)) => {
                let mut points = Vec::new();
                for (key, value) in table {
                    let quantile = match key.value.as_str() {
                        "min" => Some(0.0),
                        "max" => Some(1.0),
                        k => k
                            .strip_prefix('p')
                            .and_then(|n| n.parse::<f64>().ok())
                            .filter(|q| (0.0..=100.0).contains(q))
                            .map(|q| q / 100.0),
                    };
                    let Some(quantile) = quantile else {
                        self.error_help(
                            key.loc,
                            format!("'{}' is not a percentile", key.value),
                            "write percentiles as p0..p100 (p50, p99.9) or min/max",
                        );
                        return None;
                    };
                    points.push((quantile, scalar(self, value)?));
                }
                Distribution::empirical(&points)
            }
        };
        match built {
            Ok(d) => Some(d),
            Err(e) => {
                self.error(loc, format!("{what}: {e}"));
                None
            }
        }
    }

    fn rate_profile(&mut self, at: &At<OrMap<raw::RateProfileSpec>>) -> Option<RateProfile> {
        use raw::RateProfileSpec as R;
        let loc = at.loc;
        let rate = |c: &mut Checker, s: &At<Scalar>| c.parse(s, "rate", parse_rate);
        let points = |c: &mut Checker, list: &[raw::RatePoint]| -> Option<Vec<(SimTime, f64)>> {
            let mut out = Vec::new();
            let mut ok = true;
            for p in list {
                let at = c.duration(&p.at, "time");
                let r = rate(c, &p.rate);
                match (at, r) {
                    (Some(at), Some(r)) => out.push((SimTime::ZERO + at, r)),
                    _ => ok = false,
                }
            }
            ok.then_some(out)
        };
        let built = match &at.value {
            OrMap::Scalar(s) => {
                let s = At {
                    value: s.clone(),
                    loc,
                };
                RateProfile::constant(rate(self, &s)?)
            }
            OrMap::Map(R::Steps(list)) => RateProfile::steps(&points(self, list)?),
            OrMap::Map(R::Points(list)) => RateProfile::points(&points(self, list)?),
            OrMap::Map(R::Ramp(r)) => {
                let from = rate(self, &r.from);
                let to = rate(self, &r.to);
                let start = match &r.start {
                    Some(s) => self.duration(s, "ramp start"),
                    None => Some(SimDuration::ZERO),
                };
                let end = self.duration(&r.end, "ramp end");
                RateProfile::ramp(from?, to?, SimTime::ZERO + start?, SimTime::ZERO + end?)
            }
            OrMap::Map(R::Daily(d)) => {
                let mean = rate(self, &d.mean);
                let amplitude = d.amplitude.as_ref().map_or(0.5, |a| a.value);
                let peak = match &d.peak {
                    Some(p) => self.duration(p, "daily peak"),
                    None => Some(SimDuration::from_secs(20 * 3600)),
                };
                let period = match &d.period {
                    Some(p) => self.positive_duration(p, "daily period"),
                    None => Some(SimDuration::from_secs(24 * 3600)),
                };
                RateProfile::daily(mean?, amplitude, peak?, period?)
            }
        };
        match built {
            Ok(p) => Some(p),
            Err(e) => {
                self.error(loc, format!("rate: {e}"));
                None
            }
        }
    }

    fn backends(&mut self, list: &[At<OrMap<raw::BackendSpec>>]) -> Vec<(ComponentId, u32)> {
        let mut out = Vec::new();
        for entry in list {
            let (name, weight) = match &entry.value {
                OrMap::Scalar(s) => (
                    At {
                        value: s.0.clone(),
                        loc: entry.loc,
                    },
                    1,
                ),
                OrMap::Map(b) => {
                    let weight = match &b.weight {
                        Some(w) => self.int_in(
                            w,
                            "weight",
                            1,
                            1_000_000,
                            "weights are relative; use smaller numbers",
                        ),
                        None => Some(1),
                    };
                    (b.pool.clone(), weight.unwrap_or(1))
                }
            };
            if let Some(id) = self.reference(&name, "backend", &[Role::Server]) {
                out.push((id, weight as u32));
            }
        }
        out
    }

    fn algorithm(&mut self, at: Option<&At<String>>, default: Algorithm) -> Algorithm {
        let Some(at) = at else { return default };
        match Algorithm::from_name(&at.value) {
            Some(a) => a,
            None => {
                let help = suggestion(&at.value, Algorithm::NAMES.iter().copied());
                self.error_help(
                    at.loc,
                    format!("unknown load-balancing algorithm '{}'", at.value),
                    help,
                );
                default
            }
        }
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Checks `scenario`; `default_name` is used when the file has no `name`.
pub fn check(scenario: &raw::Scenario, default_name: &str) -> Result<Plan, Vec<Diagnostic>> {
    let mut c = Checker {
        errors: Vec::new(),
        names: IndexMap::new(),
        request_types: IndexMap::new(),
        instances: HashMap::new(),
        cache_strategies: HashMap::new(),
        aside_stores: BTreeMap::new(),
    };

    // Names first, so that references can be resolved in any order.
    let mut declared: Vec<(&At<String>, Role)> = Vec::new();
    for spec in &scenario.components.value {
        match spec {
            raw::ComponentSpec::Server(s) => declared.push((&s.name, Role::Server)),
            raw::ComponentSpec::LoadBalancer(b) => declared.push((&b.name, Role::Balancer)),
            raw::ComponentSpec::Cache(k) => {
                declared.push((&k.name, Role::Cache));
                let strategy = match &k.strategy {
                    Some(s) => Strategy::from_name(&s.value),
                    None => Some(Strategy::ReadThrough),
                };
                c.cache_strategies.insert(k.name.value.clone(), strategy);
            }
        }
    }
    for t in &scenario.traffic.value {
        declared.push((&t.name, Role::Source));
    }
    if declared.len() > limits::MAX_COMPONENTS {
        c.error(
            scenario.components.loc,
            format!(
                "more than {} components and sources",
                limits::MAX_COMPONENTS
            ),
        );
    }
    for (name, role) in &declared {
        if !valid_name(&name.value) {
            c.error_help(
                name.loc,
                format!("'{}' is not a valid name", name.value),
                "names start with a letter or digit and contain only letters, digits, '-' and '_'",
            );
        }
        if let Some(&(_, _, first)) = c.names.get(&name.value) {
            c.error_help(
                name.loc,
                format!("'{}' is defined twice", name.value),
                format!("first defined at line {}", first.line),
            );
            continue;
        }
        let id = ComponentId(c.names.len() as u32);
        c.names.insert(name.value.clone(), (id, *role, name.loc));
    }
    for spec in &scenario.components.value {
        if let raw::ComponentSpec::Server(s) = spec {
            if let (Some(&(id, _, _)), Some(n)) = (c.names.get(&s.name.value), &s.instances) {
                c.instances
                    .insert(id, n.value.clamp(1, limits::MAX_INSTANCES) as u32);
            }
        }
    }
    if scenario.traffic.value.is_empty() {
        c.error(
            scenario.traffic.loc,
            "at least one traffic source is needed",
        );
    }
    if scenario.components.value.is_empty() {
        c.error(scenario.components.loc, "at least one component is needed");
    }

    // Request types and regions, in order of first appearance.
    let mut regions: IndexMap<String, ()> = IndexMap::new();
    for t in &scenario.traffic.value {
        match &t.mix {
            Some(mix) => {
                for (name, weight) in mix {
                    if !valid_name(&name.value) {
                        c.error(
                            name.loc,
                            format!("'{}' is not a valid request type name", name.value),
                        );
                    }
                    c.weight(weight, &format!("weight of '{}'", name.value));
                    c.request_types.insert(name.value.clone(), ());
                }
                if mix.is_empty() {
                    c.error(t.name.loc, "mix is empty: give at least one request type");
                }
            }
            None => {
                c.request_types.insert("request".to_string(), ());
            }
        }
        for (name, weight) in t.regions.iter().flatten() {
            c.weight(weight, &format!("weight of region '{}'", name.value));
            regions.insert(name.value.clone(), ());
        }
    }

    let mut run = RunSettings::default();
    if let Some(r) = &scenario.run {
        run = check_run(&mut c, &r.value, r.loc);
    } else {
        c.errors.push(
            Diagnostic::whole_file("the scenario has no 'run' section")
                .with_help("add e.g. 'run: {duration: 10m}' or 'run: {requests: 100000}'"),
        );
    }

    let mut components: Vec<(String, ComponentPlan)> = Vec::new();
    for spec in &scenario.components.value {
        match spec {
            raw::ComponentSpec::Server(s) => {
                if let Some(server) = check_server(&mut c, s) {
                    components.push((s.name.value.clone(), ComponentPlan::Server(server)));
                }
            }
            raw::ComponentSpec::LoadBalancer(b) => {
                if let Some(balancer) = check_balancer(&mut c, b) {
                    components.push((b.name.value.clone(), ComponentPlan::Balancer(balancer)));
                }
            }
            raw::ComponentSpec::Cache(k) => {
                if let Some(cache) = check_cache(&mut c, k) {
                    components.push((k.name.value.clone(), ComponentPlan::Cache(cache)));
                }
            }
        }
    }
    // A cache-aside cache's store is the one its callers name: it tells stale reads.
    for (name, plan) in &mut components {
        if let ComponentPlan::Cache(cache) = plan {
            if cache.strategy == Strategy::CacheAside {
                if let Some(&(id, _, _)) = c.names.get(name.as_str()) {
                    cache.backing = c.aside_stores.get(&id).map(|(store, _, _)| *store);
                }
            }
        }
    }
    for t in &scenario.traffic.value {
        if let Some(source) = check_traffic(&mut c, t, &regions) {
            components.push((t.name.value.clone(), ComponentPlan::Source(source)));
        }
    }

    let mut default_latency = Distribution::constant(SimDuration::ZERO);
    let mut links = Vec::new();
    if let Some(network) = &scenario.network {
        if let Some(d) = &network.default {
            if let Some(d) = c.distribution(d, "default latency") {
                default_latency = d;
            }
        }
        for link in network.links.iter().flatten() {
            if link.between.value.len() != 2 {
                c.error(
                    link.between.loc,
                    format!(
                        "a link joins exactly 2 components, got {}",
                        link.between.value.len()
                    ),
                );
                continue;
            }
            let all = [Role::Source, Role::Server, Role::Balancer, Role::Cache];
            let a = c.reference(&link.between.value[0], "link end", &all);
            let b = c.reference(&link.between.value[1], "link end", &all);
            let latency = c.distribution(&link.latency, "link latency");
            if let (Some(a), Some(b), Some(latency)) = (a, b, latency) {
                links.push((a, b, latency));
            }
        }
    }

    check_cycles(&mut c, scenario);
    let slo = scenario.slo.as_ref().and_then(|s| {
        let latency = c.positive_duration(&s.value.latency, "slo.latency");
        let target = c.parse(&s.value.target, "slo.target", parse_fraction);
        Some(Slo {
            latency: latency?,
            target: target?,
        })
    });
    let failures: Vec<ScheduledFailure> = scenario
        .failures
        .iter()
        .flatten()
        .filter_map(|f| check_failure(&mut c, f))
        .collect();
    let random_failures: Vec<RandomFailures> = scenario
        .random_failures
        .iter()
        .flatten()
        .filter_map(|f| check_random_failure(&mut c, f))
        .collect();
    let write_types = check_write_types(&mut c, scenario.write_types.as_deref());

    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    let name = scenario
        .name
        .as_ref()
        .map_or(default_name.to_string(), |n| n.value.clone());
    Ok(Plan {
        name,
        scenario_sha256: String::new(),
        max_events: None,
        description: scenario.description.clone(),
        seed: scenario.seed.as_ref().map_or(1, |s| s.value),
        duration: run.duration,
        requests: run.requests,
        warmup: run.warmup,
        window: run.window,
        request_types: c.request_types.keys().cloned().collect(),
        write_types,
        regions: regions.keys().cloned().collect(),
        components: reorder(components, &c.names),
        slo,
        failures,
        random_failures,
        default_latency,
        links,
    })
}

/// Resolves a failure target: `web` (every instance) or `web[2]` (one instance, from 0).
fn failure_target(c: &mut Checker, at: &At<String>) -> Option<(ComponentId, u32)> {
    let text = at.value.trim();
    let (name, instance) = match text.strip_suffix(']').and_then(|t| t.split_once('[')) {
        Some((name, index)) => match index.trim().parse::<u32>() {
            Ok(i) => (name.trim(), Some(i)),
            Err(_) => {
                c.error_help(
                    at.loc,
                    format!("'{text}' is not a valid target"),
                    "name a pool (web) or one of its instances, counted from 0 (web[2])",
                );
                return None;
            }
        },
        None => (text, None),
    };
    let id = c.reference(
        &At {
            value: name.to_string(),
            loc: at.loc,
        },
        "failure target",
        &[Role::Server, Role::Cache],
    )?;
    let instances = c.instances.get(&id).copied().unwrap_or(1);
    match instance {
        Some(i) if i >= instances => {
            c.error(
                at.loc,
                format!(
                    "'{name}' has {instances} instance(s), numbered 0 to {}; there is no [{i}]",
                    instances - 1
                ),
            );
            None
        }
        Some(i) => Some((id, i)),
        None => Some((id, ALL_INSTANCES)),
    }
}

fn check_failure(c: &mut Checker, f: &raw::FailureSpec) -> Option<ScheduledFailure> {
    let at = c.duration(&f.at, "failure time");
    let duration = match &f.lasts {
        Some(d) => Some(c.positive_duration(d, "failure duration")?),
        None => None,
    };
    let chosen: Vec<(&str, &At<String>)> = [
        ("crash", &f.crash),
        ("slow", &f.slow),
        ("errors", &f.errors),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    let [(kind, target)] = chosen.as_slice() else {
        c.error_help(
            f.at.loc,
            format!(
                "a failure needs exactly one of crash, slow or errors (found {})",
                chosen.len()
            ),
            "e.g. {at: 5m, crash: web, for: 2m}",
        );
        return None;
    };
    let (target_id, instance) = failure_target(c, target)?;
    let action = match *kind {
        "crash" => FailureAction::Crash,
        "slow" => match &f.factor {
            Some(m) => FailureAction::Slow {
                factor: c.parse(m, "slow factor", parse_multiplier)?,
            },
            None => {
                c.error_help(target.loc, "a slow-down needs a factor", "e.g. factor: 3x");
                return None;
            }
        },
        _ => {
            if instance != ALL_INSTANCES {
                c.error(
                    target.loc,
                    "errors apply to a whole pool; name the pool without [instance]",
                );
                return None;
            }
            if c.names
                .get(&target.value)
                .is_some_and(|(_, r, _)| *r == Role::Cache)
            {
                c.error_help(
                    target.loc,
                    "injected errors apply to server pools, not caches",
                    "crash the cache, or slow it down",
                );
                return None;
            }
            match &f.fraction {
                Some(x) => FailureAction::Errors {
                    fraction: c.parse(x, "error fraction", parse_fraction)?,
                },
                None => {
                    c.error_help(
                        target.loc,
                        "injected errors need a fraction",
                        "e.g. fraction: 10%",
                    );
                    return None;
                }
            }
        }
    };
    for (field, present, needed_by) in [
        ("factor", f.factor.is_some(), "slow"),
        ("fraction", f.fraction.is_some(), "errors"),
    ] {
        if present && *kind != needed_by {
            c.error(
                f.at.loc,
                format!("'{field}' only applies to '{needed_by}' failures"),
            );
        }
    }
    Some(ScheduledFailure {
        at: SimTime::ZERO + at?,
        duration,
        target: target_id,
        target_name: target.value.clone(),
        instance,
        action,
    })
}

fn check_random_failure(c: &mut Checker, f: &raw::RandomFailureSpec) -> Option<RandomFailures> {
    let target = c.reference(&f.target, "failure target", &[Role::Server, Role::Cache]);
    let mtbf = c.distribution(&f.mtbf, "mtbf");
    let mttr = c.distribution(&f.mttr, "mttr");
    for (law, at, what) in [(&mtbf, &f.mtbf, "mtbf"), (&mttr, &f.mttr, "mttr")] {
        if law.as_ref().is_some_and(|d| d.mean_secs() <= 0.0) {
            c.error(at.loc, format!("{what} must have a positive mean"));
            return None;
        }
    }
    let target = target?;
    Some(RandomFailures {
        target,
        target_name: f.target.value.clone(),
        instances: c.instances.get(&target).copied().unwrap_or(1),
        time_to_failure: mtbf?,
        time_to_repair: mttr?,
    })
}

/// Type names that are writes unless the scenario lists its `write_types`.
pub const CONVENTIONAL_WRITE_NAMES: &[&str] = &[
    "write", "update", "insert", "delete", "post", "put", "patch",
];

fn is_conventional_write(name: &str) -> bool {
    CONVENTIONAL_WRITE_NAMES.contains(&name) || name.starts_with("write")
}

fn check_write_types(c: &mut Checker, listed: Option<&[At<String>]>) -> Vec<bool> {
    match listed {
        None => c
            .request_types
            .keys()
            .map(|n| is_conventional_write(n))
            .collect(),
        Some(list) => {
            let mut writes = vec![false; c.request_types.len()];
            for name in list {
                if let Some(kind) = c.request_type(name) {
                    writes[kind as usize] = true;
                }
            }
            writes
        }
    }
}

/// Puts checked components in id order (ids were given in declaration order).
fn reorder(
    components: Vec<(String, ComponentPlan)>,
    names: &IndexMap<String, (ComponentId, Role, Loc)>,
) -> Vec<(String, ComponentPlan)> {
    let mut components = components;
    components.sort_by_key(|(name, _)| names.get(name).map_or(u32::MAX, |(id, _, _)| id.0));
    components
}

#[derive(Default)]
struct RunSettings {
    duration: Option<SimDuration>,
    requests: Option<u64>,
    warmup: SimDuration,
    window: SimDuration,
}

fn check_run(c: &mut Checker, r: &raw::RunSpec, loc: Loc) -> RunSettings {
    let mut run = RunSettings {
        window: SimDuration::from_secs(1),
        ..Default::default()
    };
    run.duration = r
        .duration
        .as_ref()
        .and_then(|d| c.positive_duration(d, "duration"));
    run.requests = r
        .requests
        .as_ref()
        .and_then(|n| c.int_in(n, "requests", 1, u64::MAX, ""));
    if r.duration.is_none() && r.requests.is_none() {
        c.error_help(
            loc,
            "the run has no stop condition",
            "give a duration (e.g. 10m), a request count, or both",
        );
    }
    if let Some(w) = &r.warmup {
        if let Some(warmup) = c.duration(w, "warmup") {
            if run.duration.is_some_and(|d| warmup >= d) {
                c.error(w.loc, "warmup must be shorter than the duration");
            }
            run.warmup = warmup;
        }
    }
    if let Some(w) = &r.window {
        if let Some(window) = c.positive_duration(w, "window") {
            if window.as_nanos() < limits::MIN_WINDOW_NS {
                c.error(w.loc, "window must be at least 1us");
            }
            run.window = window;
        }
    }
    run
}

fn check_traffic(
    c: &mut Checker,
    t: &raw::TrafficSpec,
    regions: &IndexMap<String, ()>,
) -> Option<SourcePlan> {
    let errors_before = c.errors.len();
    let target = c.reference(&t.to, "target", &CALLABLE);
    let load = match (&t.rate, &t.users) {
        (Some(rate), None) => {
            for (field, present) in [("think_time", t.think_time.is_some())] {
                if present {
                    c.error(
                        t.name.loc,
                        format!("'{field}' only applies to closed-loop traffic (users)"),
                    );
                }
            }
            let mut profile = c.rate_profile(rate);
            for spike in t.spikes.iter().flatten() {
                let at = c.duration(&spike.at, "spike start");
                let duration = c.positive_duration(&spike.duration, "spike duration");
                let m = c.parse(&spike.multiplier, "spike multiplier", parse_multiplier);
                if let (Some(p), Some(at), Some(duration), Some(m)) =
                    (profile.take(), at, duration, m)
                {
                    match p.with_spike(SimTime::ZERO + at, duration, m) {
                        Ok(p) => profile = Some(p),
                        Err(e) => c.error(spike.at.loc, format!("spike: {e}")),
                    }
                }
            }
            if let Some(m) = &t.multiplier {
                let factor = c.parse(m, "multiplier", parse_multiplier);
                if let (Some(p), Some(factor)) = (profile.take(), factor) {
                    match p.scaled(factor) {
                        Ok(p) => profile = Some(p),
                        Err(e) => c.error(m.loc, format!("multiplier: {e}")),
                    }
                }
            }
            let arrivals = match &t.arrivals {
                None => Arrivals::Poisson,
                Some(a) => match a.value.as_str() {
                    "poisson" => Arrivals::Poisson,
                    "constant" => Arrivals::Constant,
                    other => {
                        let help = suggestion(other, ["poisson", "constant"]);
                        c.error_help(a.loc, format!("unknown arrival process '{other}'"), help);
                        Arrivals::Poisson
                    }
                },
            };
            profile.map(|profile| Load::Open { profile, arrivals })
        }
        (None, Some(users)) => {
            for (field, present) in [
                ("arrivals", t.arrivals.is_some()),
                ("spikes", t.spikes.is_some()),
                ("multiplier", t.multiplier.is_some()),
            ] {
                if present {
                    c.error(
                        users.loc,
                        format!("'{field}' only applies to open-loop traffic (rate)"),
                    );
                }
            }
            let n = c.int_in(
                users,
                "users",
                1,
                limits::MAX_USERS,
                "each user is simulated individually",
            );
            let think = match &t.think_time {
                Some(d) => c.distribution(d, "think_time"),
                None => {
                    c.error_help(
                        users.loc,
                        "closed-loop traffic needs a think_time",
                        "e.g. think_time: {exponential: 1s}",
                    );
                    None
                }
            };
            match (n, think) {
                (Some(n), Some(think_time)) => Some(Load::Closed {
                    users: n as u32,
                    think_time,
                }),
                _ => None,
            }
        }
        (Some(rate), Some(_)) => {
            c.error_help(
                rate.loc,
                "traffic has both 'rate' and 'users'",
                "use rate for open-loop traffic, users for closed-loop",
            );
            None
        }
        (None, None) => {
            c.error_help(
                t.name.loc,
                "traffic needs a 'rate' (open loop) or 'users' (closed loop)",
                "e.g. rate: 100/s",
            );
            None
        }
    };
    let mix: Vec<(u16, f64)> = match &t.mix {
        Some(mix) => mix
            .iter()
            .filter_map(|(name, w)| {
                Some((c.request_types.get_index_of(&name.value)? as u16, w.value))
            })
            .collect(),
        None => vec![(
            c.request_types.get_index_of("request").unwrap_or(0) as u16,
            1.0,
        )],
    };
    let keys = match &t.keys {
        Some(k) => check_keys(c, &k.value),
        None => Some(KeyPopularity::Uniform { count: 1_000_000 }),
    };
    let default_clients = match &t.users {
        Some(u) => u.value.clamp(1, limits::MAX_CLIENTS),
        None => 1000,
    };
    let clients = match &t.clients {
        Some(n) => c.int_in(
            n,
            "clients",
            1,
            limits::MAX_CLIENTS,
            "client ids are 32-bit",
        ),
        None => Some(default_clients),
    };
    let region_weights: Vec<(u16, f64)> = t
        .regions
        .iter()
        .flatten()
        .filter_map(|(name, w)| Some((regions.get_index_of(&name.value)? as u16, w.value)))
        .collect();
    let timeout = t
        .timeout
        .as_ref()
        .and_then(|d| c.positive_duration(d, "timeout"));
    let retry = t.retry.as_ref().and_then(|r| check_retry(c, &r.value));
    if c.errors.len() > errors_before {
        return None;
    }
    Some(SourcePlan {
        target: target?,
        load: load?,
        mix,
        keys: keys?,
        clients: clients? as u32,
        regions: region_weights,
        timeout,
        retry,
    })
}

fn check_retry(c: &mut Checker, r: &raw::RetrySpec) -> Option<RetryPolicy> {
    let attempts = c.int_in(
        &r.attempts,
        "retry.attempts",
        1,
        100,
        "more than 100 attempts per request is a retry storm by design",
    )?;
    let backoff = match &r.backoff {
        Some(b) => c.duration(b, "retry.backoff")?,
        None => SimDuration::from_millis(100),
    };
    let max_backoff = match &r.max_backoff {
        Some(b) => c.duration(b, "retry.max_backoff")?,
        None => SimDuration::from_secs(10),
    };
    let jitter = match &r.jitter {
        None => true,
        Some(j) => match j.value.as_str() {
            "full" => true,
            "none" => false,
            other => {
                let help = suggestion(other, ["full", "none"]);
                c.error_help(j.loc, format!("unknown jitter '{other}'"), help);
                return None;
            }
        },
    };
    let budget = match &r.budget {
        Some(b) => Some(c.parse(b, "retry.budget", parse_fraction)?),
        None => None,
    };
    Some(RetryPolicy {
        attempts: attempts as u32,
        backoff,
        max_backoff,
        jitter,
        budget,
    })
}

fn check_keys(c: &mut Checker, k: &raw::KeysSpec) -> Option<KeyPopularity> {
    let count = c.int_in(&k.count, "keys.count", 1, limits::MAX_KEYS, "keys are drawn without per-key memory, but beyond 10^12 the popularity law loses precision")?;
    let law = k
        .popularity
        .as_ref()
        .map_or("uniform", |p| p.value.as_str());
    let only = |c: &mut Checker, field: &str, present: Option<Loc>, law_needed: &str| {
        if let Some(loc) = present {
            c.error(
                loc,
                format!("keys.{field} only applies to popularity: {law_needed}"),
            );
        }
    };
    match law {
        "uniform" => {
            only(c, "alpha", k.alpha.as_ref().map(|a| a.loc), "zipf");
            only(
                c,
                "hot_fraction",
                k.hot_fraction.as_ref().map(|a| a.loc),
                "hotspot",
            );
            Some(KeyPopularity::Uniform { count })
        }
        "zipf" => {
            only(
                c,
                "hot_fraction",
                k.hot_fraction.as_ref().map(|a| a.loc),
                "hotspot",
            );
            let alpha = k.alpha.as_ref().map_or(1.0, |a| a.value);
            if !(alpha.is_finite() && (0.0..=10.0).contains(&alpha)) {
                let loc = k.alpha.as_ref().map_or(k.count.loc, |a| a.loc);
                c.error(
                    loc,
                    format!("keys.alpha must be between 0 and 10, got {alpha}"),
                );
                return None;
            }
            Some(KeyPopularity::Zipf { count, alpha })
        }
        "hotspot" => {
            only(c, "alpha", k.alpha.as_ref().map(|a| a.loc), "zipf");
            let hot_fraction = match &k.hot_fraction {
                Some(f) => c.parse(f, "keys.hot_fraction", parse_fraction)?,
                None => 0.2,
            };
            let hot_weight = match &k.hot_weight {
                Some(f) => c.parse(f, "keys.hot_weight", parse_fraction)?,
                None => 0.8,
            };
            Some(KeyPopularity::Hotspot {
                count,
                hot_fraction,
                hot_weight,
            })
        }
        other => {
            let loc = k.popularity.as_ref().map_or(k.count.loc, |p| p.loc);
            let help = suggestion(other, ["uniform", "zipf", "hotspot"]);
            c.error_help(loc, format!("unknown key popularity '{other}'"), help);
            None
        }
    }
}

fn check_server(c: &mut Checker, s: &raw::ServerSpec) -> Option<ServerConfig> {
    let errors_before = c.errors.len();
    let instances = match &s.instances {
        Some(n) => c.int_in(
            n,
            "instances",
            1,
            limits::MAX_INSTANCES,
            "each instance keeps its own queue and statistics",
        ),
        None => Some(1),
    };
    let workers = match &s.workers {
        Some(n) => c.int_in(
            n,
            "workers",
            1,
            limits::MAX_WORKERS,
            "use more instances for larger pools",
        ),
        None => Some(1),
    };
    let queue = match &s.queue {
        Some(n) => c.int_in(
            n,
            "queue",
            0,
            limits::MAX_QUEUE,
            "leave 'queue' out for an unbounded queue",
        ),
        None => None,
    };
    let service_time = c.distribution(&s.service_time, "service_time");
    let calls: Vec<Step> = s
        .calls
        .iter()
        .flatten()
        .filter_map(|step| check_step(c, step))
        .collect();
    let mut profiles: Vec<Option<RequestProfile>> = vec![None; c.request_types.len()];
    for (type_name, over) in s.per_type.iter().flatten() {
        let Some(kind) = c.request_type(type_name) else {
            continue;
        };
        let st = match &over.service_time {
            Some(d) => c.distribution(d, &format!("service_time of '{}'", type_name.value)),
            None => service_time.clone(),
        };
        let type_calls = match &over.calls {
            Some(list) => list.iter().filter_map(|step| check_step(c, step)).collect(),
            None => calls.clone(),
        };
        if let Some(service_time) = st {
            profiles[kind as usize] = Some(RequestProfile {
                service_time,
                calls: type_calls,
            });
        }
    }
    let timeout = s
        .timeout
        .as_ref()
        .and_then(|d| c.positive_duration(d, "timeout"));
    if c.errors.len() > errors_before {
        return None;
    }
    let service_time = service_time?;
    let profiles = profiles
        .into_iter()
        .map(|p| {
            p.unwrap_or_else(|| RequestProfile {
                service_time: service_time.clone(),
                calls: calls.clone(),
            })
        })
        .collect();
    Some(ServerConfig {
        name: s.name.value.clone(),
        instances: instances? as u32,
        workers: workers? as u32,
        queue_capacity: queue.map(|q| q as u32),
        profiles,
        timeout,
    })
}

/// A name or a step written as a map, with its location.
fn step_name(step: &At<OrMap<raw::StepSpec>>) -> Option<At<String>> {
    match &step.value {
        OrMap::Scalar(s) => Some(At {
            value: s.0.clone(),
            loc: step.loc,
        }),
        OrMap::Map(_) => None,
    }
}

/// The components a step calls.
fn step_targets(step: &At<OrMap<raw::StepSpec>>) -> Vec<At<String>> {
    match &step.value {
        OrMap::Scalar(_) => step_name(step).into_iter().collect(),
        OrMap::Map(raw::StepSpec::CacheAside(a)) => vec![a.cache.clone(), a.store.clone()],
    }
}

fn check_step(c: &mut Checker, step: &At<OrMap<raw::StepSpec>>) -> Option<Step> {
    match &step.value {
        OrMap::Scalar(_) => {
            let name = step_name(step)?;
            let id = c.reference(&name, "called component", &CALLABLE)?;
            if let Some(Some(Strategy::CacheAside)) = c.cache_strategies.get(&name.value) {
                c.error_help(
                    name.loc,
                    format!("'{}' is a cache_aside cache: its callers read the store themselves", name.value),
                    format!(
                        "use a step {{cache_aside: {{cache: {}, store: <database>}}}}, or give the cache another strategy",
                        name.value
                    ),
                );
                return None;
            }
            Some(Step::Call(id))
        }
        OrMap::Map(raw::StepSpec::CacheAside(a)) => {
            let cache = c.reference(&a.cache, "cache", &[Role::Cache]);
            let store = c.reference(&a.store, "store", &CALLABLE);
            let (cache, store) = (cache?, store?);
            if cache == store {
                c.error(a.store.loc, "the store must differ from the cache");
                return None;
            }
            match c.cache_strategies.get(&a.cache.value) {
                Some(Some(Strategy::CacheAside)) => {}
                Some(Some(other)) => {
                    c.error_help(
                        a.cache.loc,
                        format!(
                            "cache '{}' has strategy {}; a cache_aside step needs strategy: cache_aside",
                            a.cache.value,
                            other.name()
                        ),
                        format!("set strategy: cache_aside on '{}', or call it directly: calls: [{}]", a.cache.value, a.cache.value),
                    );
                    return None;
                }
                _ => return None,
            }
            match c.aside_stores.get(&cache) {
                Some((first, first_name, loc)) if *first != store => {
                    let help = format!(
                        "a cache holds one store's data; '{}' was used with '{first_name}' at line {}",
                        a.cache.value, loc.line
                    );
                    c.error_help(
                        a.store.loc,
                        format!("cache '{}' is used with two stores", a.cache.value),
                        help,
                    );
                    return None;
                }
                Some(_) => {}
                None => {
                    c.aside_stores
                        .insert(cache, (store, a.store.value.clone(), a.store.loc));
                }
            }
            Some(Step::CacheAside(CacheAside { cache, store }))
        }
    }
}

fn check_size(c: &mut Checker, at: &At<Scalar>, what: &str) -> Option<u64> {
    c.parse(at, what, parse_size)
}

fn check_cache(c: &mut Checker, k: &raw::CacheSpec) -> Option<CacheConfig> {
    let errors_before = c.errors.len();
    let entries = match &k.capacity {
        Some(n) => c.int_in(
            n,
            "capacity",
            1,
            limits::MAX_CACHE_ENTRIES,
            "each cached entry costs about 100 bytes of simulator memory",
        ),
        None => None,
    };
    let bytes = match &k.memory {
        Some(m) => {
            let b = check_size(c, m, "memory");
            if b == Some(0) {
                c.error(m.loc, "memory must be greater than 0");
            }
            b
        }
        None => None,
    };
    let value_size = match &k.value_size {
        None => Some(SizeLaw::Constant(1000)),
        Some(at) => {
            let law = match &at.value {
                OrMap::Scalar(s) => {
                    let s = At {
                        value: s.clone(),
                        loc: at.loc,
                    };
                    check_size(c, &s, "value_size").map(SizeLaw::Constant)
                }
                OrMap::Map(raw::SizeSpec::Constant(s)) => {
                    check_size(c, s, "value_size").map(SizeLaw::Constant)
                }
                OrMap::Map(raw::SizeSpec::Uniform(u)) => {
                    let min = check_size(c, &u.min, "value_size min");
                    let max = check_size(c, &u.max, "value_size max");
                    match (min, max) {
                        (Some(min), Some(max)) => Some(SizeLaw::Uniform { min, max }),
                        _ => None,
                    }
                }
                OrMap::Map(raw::SizeSpec::Lognormal(l)) => {
                    let median = check_size(c, &l.median, "value_size median");
                    let p99 = check_size(c, &l.p99, "value_size p99");
                    match (median, p99) {
                        (Some(median), Some(p99)) => Some(SizeLaw::LogNormal { median, p99 }),
                        _ => None,
                    }
                }
            };
            match law.map(|l| l.check().map(|()| l)) {
                Some(Ok(l)) => Some(l),
                Some(Err(e)) => {
                    c.error(at.loc, format!("value_size: {e}"));
                    None
                }
                None => None,
            }
        }
    };
    let policy = match &k.eviction {
        None => Some(Policy::Lru),
        Some(e) => {
            let p = Policy::from_name(&e.value);
            if p.is_none() {
                let help = suggestion(&e.value, Policy::NAMES.iter().copied());
                c.error_help(
                    e.loc,
                    format!("unknown eviction policy '{}'", e.value),
                    help,
                );
            }
            p
        }
    };
    let strategy = match &k.strategy {
        None => Some(Strategy::ReadThrough),
        Some(s) => {
            let strategy = Strategy::from_name(&s.value);
            if strategy.is_none() {
                let help = suggestion(&s.value, Strategy::NAMES.iter().copied());
                c.error_help(s.loc, format!("unknown cache strategy '{}'", s.value), help);
            }
            strategy
        }
    };
    let ttl = k.ttl.as_ref().and_then(|d| c.positive_duration(d, "ttl"));
    let idle_ttl = k
        .idle_ttl
        .as_ref()
        .and_then(|d| c.positive_duration(d, "idle_ttl"));
    let hit_time = match &k.hit_time {
        Some(d) => c.distribution(d, "hit_time"),
        None => Some(Distribution::constant(SimDuration::from_nanos(500_000))),
    };
    let miss_time = match &k.miss_time {
        Some(d) => c.distribution(d, "miss_time"),
        None => hit_time.clone(),
    };
    let backing = k
        .backing
        .as_ref()
        .and_then(|b| c.reference(b, "backing store", &CALLABLE));
    if let Some(b) = &k.backing {
        if b.value == k.name.value {
            c.error(b.loc, "a cache cannot be its own backing store");
        }
    }
    match (strategy, &k.backing) {
        (Some(Strategy::CacheAside), Some(b)) => c.error_help(
            b.loc,
            "a cache_aside cache does not call a backing store: its callers do",
            "remove 'backing'; servers use it with calls: [{cache_aside: {cache: <this cache>, store: <database>}}]",
        ),
        (Some(s), None) if s != Strategy::CacheAside => c.error_help(
            k.name.loc,
            format!("a {} cache needs a 'backing' store", s.name()),
            "e.g. backing: db (the component that holds the data), or use strategy: cache_aside",
        ),
        _ => {}
    }
    let flush_delay = match &k.flush_delay {
        Some(d) => {
            if strategy.is_some_and(|s| s != Strategy::WriteBack) {
                c.error(d.loc, "flush_delay only applies to strategy: write_back");
            }
            c.duration(d, "flush_delay")
        }
        None => Some(SimDuration::from_secs(1)),
    };
    if c.errors.len() > errors_before {
        return None;
    }
    Some(CacheConfig {
        name: k.name.value.clone(),
        limits: Limits { entries, bytes },
        policy: policy?,
        value_size: value_size?,
        ttl,
        idle_ttl,
        hit_time: hit_time?,
        miss_time: miss_time?,
        backing,
        strategy: strategy?,
        flush_delay: flush_delay?,
    })
}

fn check_balancer(c: &mut Checker, b: &raw::BalancerSpec) -> Option<BalancerConfig> {
    let errors_before = c.errors.len();
    let default_algorithm = c.algorithm(b.algorithm.as_ref(), Algorithm::RoundRobin);
    let mut groups: Vec<GroupConfig> = Vec::new();
    let types = c.request_types.len();
    let mut route_of_type: Vec<Option<usize>> = vec![None; types];
    // Each instance of a pool is one backend, with the pool's weight.
    let expand =
        |list: Vec<(ComponentId, u32)>, instances: &HashMap<ComponentId, u32>| -> Vec<Backend> {
            list.into_iter()
                .flat_map(|(component, weight)| {
                    let n = instances.get(&component).copied().unwrap_or(1);
                    (0..n).map(move |instance| Backend {
                        component,
                        instance,
                        weight,
                    })
                })
                .collect()
        };
    if let Some(list) = &b.backends {
        let backends = c.backends(list);
        groups.push(GroupConfig {
            algorithm: default_algorithm,
            backends: expand(backends, &c.instances),
        });
        route_of_type.iter_mut().for_each(|r| *r = Some(0));
    }
    let mut unknown_route_type = false;
    for route in b.routes.iter().flatten() {
        let algorithm = c.algorithm(route.algorithm.as_ref(), default_algorithm);
        let backends = c.backends(&route.backends.value);
        if route.backends.value.is_empty() {
            c.error(route.backends.loc, "a route needs at least one backend");
        }
        let index = groups.len();
        groups.push(GroupConfig {
            algorithm,
            backends: expand(backends, &c.instances),
        });
        for type_name in &route.types {
            match c.request_type(type_name) {
                Some(kind) => route_of_type[kind as usize] = Some(index),
                None => unknown_route_type = true,
            }
        }
    }
    if b.backends.is_none() && b.routes.is_none() {
        c.error_help(
            b.name.loc,
            "a load balancer needs 'backends' or 'routes'",
            "e.g. backends: [web]",
        );
    }
    // A misspelt type in a route already has its own error ("did you mean"); listing the type
    // it was meant to be as unrouted would only repeat it.
    if b.backends.is_none() && b.routes.is_some() && !unknown_route_type {
        let unrouted: Vec<String> = c
            .request_types
            .keys()
            .enumerate()
            .filter(|(i, _)| route_of_type[*i].is_none())
            .map(|(_, n)| n.clone())
            .collect();
        if !unrouted.is_empty() {
            c.error_help(
                b.name.loc,
                format!("request types with no route: {}", unrouted.join(", ")),
                "add them to a route, or give default 'backends'",
            );
        }
    }
    let health = match &b.health {
        Some(h) if h.enabled == Some(false) => None,
        Some(h) => {
            let failures = match &h.failures {
                Some(f) => c.int_in(f, "health.failures", 1, 1_000_000, ""),
                None => Some(5),
            };
            let ejection = match &h.ejection {
                Some(e) => c.positive_duration(e, "health.ejection"),
                None => Some(SimDuration::from_secs(30)),
            };
            Some(PassiveHealth {
                failures_to_eject: failures.unwrap_or(5) as u32,
                ejection: ejection.unwrap_or(SimDuration::from_secs(30)),
            })
        }
        None => Some(PassiveHealth {
            failures_to_eject: 5,
            ejection: SimDuration::from_secs(30),
        }),
    };
    let active_health = b.health.as_ref().and_then(|h| check_active_health(c, h));
    if c.errors.len() > errors_before {
        return None;
    }
    Some(BalancerConfig {
        name: b.name.value.clone(),
        groups,
        route_of_type: route_of_type.into_iter().map(|r| r.unwrap_or(0)).collect(),
        health,
        active_health,
    })
}

/// Active health checks are on when an `interval` is given.
fn check_active_health(c: &mut Checker, h: &raw::HealthSpec) -> Option<ActiveHealth> {
    let Some(interval) = &h.interval else {
        for (field, at) in [
            ("timeout", h.timeout.as_ref().map(|a| a.loc)),
            ("unhealthy", h.unhealthy.as_ref().map(|a| a.loc)),
            ("healthy", h.healthy.as_ref().map(|a| a.loc)),
        ] {
            if let Some(loc) = at {
                c.error_help(
                    loc,
                    format!("health.{field} only applies to active health checks"),
                    "give an interval, e.g. interval: 5s",
                );
            }
        }
        return None;
    };
    let interval = c.positive_duration(interval, "health.interval")?;
    let timeout = match &h.timeout {
        Some(t) => c.positive_duration(t, "health.timeout")?,
        None => SimDuration::from_secs(1),
    };
    if timeout > interval {
        let loc = h
            .timeout
            .as_ref()
            .map_or(h.interval.as_ref().map_or(Loc::default(), |i| i.loc), |t| {
                t.loc
            });
        c.error(loc, "health.timeout must not exceed health.interval");
        return None;
    }
    let unhealthy = match &h.unhealthy {
        Some(n) => c.int_in(n, "health.unhealthy", 1, 1000, "")?,
        None => 3,
    };
    let healthy = match &h.healthy {
        Some(n) => c.int_in(n, "health.healthy", 1, 1000, "")?,
        None => 2,
    };
    Some(ActiveHealth {
        interval,
        timeout,
        unhealthy: unhealthy as u32,
        healthy: healthy as u32,
    })
}

/// Names a backend entry refers to.
fn backend_name(entry: &At<OrMap<raw::BackendSpec>>) -> At<String> {
    match &entry.value {
        OrMap::Scalar(s) => At {
            value: s.0.clone(),
            loc: entry.loc,
        },
        OrMap::Map(m) => m.pool.clone(),
    }
}

/// Rejects call graphs with cycles: a request that can reach the component it came from would
/// never finish.
fn check_cycles(c: &mut Checker, scenario: &raw::Scenario) {
    let mut edges: BTreeMap<String, Vec<At<String>>> = BTreeMap::new();
    for spec in &scenario.components.value {
        match spec {
            raw::ComponentSpec::Server(s) => {
                let mut out: Vec<At<String>> =
                    s.calls.iter().flatten().flat_map(step_targets).collect();
                for (_, over) in s.per_type.iter().flatten() {
                    out.extend(over.calls.iter().flatten().flat_map(step_targets));
                }
                edges.insert(s.name.value.clone(), out);
            }
            raw::ComponentSpec::Cache(k) => {
                edges.insert(k.name.value.clone(), k.backing.iter().cloned().collect());
            }
            raw::ComponentSpec::LoadBalancer(b) => {
                let mut out: Vec<At<String>> =
                    b.backends.iter().flatten().map(backend_name).collect();
                for r in b.routes.iter().flatten() {
                    out.extend(r.backends.value.iter().map(backend_name));
                }
                edges.insert(b.name.value.clone(), out);
            }
        }
    }
    // Depth-first search with colours; the first back edge found names the cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        Unvisited,
        OnPath,
        Done,
    }
    fn visit(
        node: &str,
        edges: &BTreeMap<String, Vec<At<String>>>,
        colour: &mut BTreeMap<String, Colour>,
        path: &mut Vec<String>,
    ) -> Option<(Vec<String>, Loc)> {
        colour.insert(node.to_string(), Colour::OnPath);
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            match colour
                .get(&next.value)
                .copied()
                .unwrap_or(Colour::Unvisited)
            {
                Colour::OnPath => {
                    let start = path.iter().position(|n| *n == next.value).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next.value.clone());
                    return Some((cycle, next.loc));
                }
                Colour::Unvisited if edges.contains_key(&next.value) => {
                    if let Some(found) = visit(&next.value, edges, colour, path) {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        colour.insert(node.to_string(), Colour::Done);
        None
    }
    let mut colour: BTreeMap<String, Colour> = BTreeMap::new();
    for node in edges.keys() {
        if colour.get(node).copied().unwrap_or(Colour::Unvisited) == Colour::Unvisited {
            if let Some((cycle, loc)) = visit(node, &edges, &mut colour, &mut Vec::new()) {
                c.error_help(
                    loc,
                    format!("calls form a cycle: {}", cycle.join(" -> ")),
                    "a request would travel round the cycle forever; remove one of the calls",
                );
                return;
            }
        }
    }
}
