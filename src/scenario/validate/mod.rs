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

pub mod assertions;
mod autoscale;
mod balancer;
mod breaker;
mod cache;
mod cdn;
mod cost;
mod database;
mod estimate;
mod failures;
mod fanout;
mod geo;
mod id_generator;
mod provider;
mod queue;
mod rate_limiter;
mod realtime;
mod redirect;
mod server;
mod sessions;
mod traffic;

use balancer::{backend_name, check_balancer};
use cache::check_cache;
use cdn::check_cdn;
use database::{check_database, check_sharded};
use failures::{check_failure, check_random_failure};
pub use geo::{DataCenterPlan, GeoPlan};
use provider::check_provider;
use queue::check_queue;
use rate_limiter::check_rate_limiter;
use server::{check_server, step_targets};
use traffic::check_traffic;

/// Limits that keep a scenario within what one machine can simulate; each message says why.
pub mod limits {
    /// Instances of one pool: each keeps its own queue and statistics.
    pub const MAX_INSTANCES: u64 = 100_000;
    /// Workers are a count, not objects: what they hold is bounded by `run.max_in_flight`.
    pub const MAX_WORKERS: u64 = 10_000_000;
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
    /// Calls open at once, by default: about 600 MB of simulator memory. A scenario that
    /// needs more (it is rare: a design that holds millions of requests is usually overloaded)
    /// can raise it with `run.max_in_flight`.
    pub const DEFAULT_MAX_IN_FLIGHT: u64 = 5_000_000;
    pub const MAX_IN_FLIGHT: u64 = 100_000_000;
    /// `run.max_memory` by default [bytes].
    pub const DEFAULT_MAX_MEMORY: u64 = 2_000_000_000;
    /// The smallest `run.max_memory` [bytes]: sim itself, a scenario and the time series of
    /// the smallest run need about this much.
    pub const MIN_MAX_MEMORY: u64 = 32_000_000;
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
    /// The clients' browser caches (for 301 answers), if any.
    pub client_cache: Option<crate::model::client_cache::ClientCacheConfig>,
}

pub enum ComponentPlan {
    Source(SourcePlan),
    Server(ServerConfig),
    Balancer(BalancerConfig),
    Cache(CacheConfig),
    Database(crate::model::database::DatabaseConfig),
    Sharded(crate::model::shard::ShardedConfig),
    RateLimiter(crate::model::rate_limiter::RateLimiterConfig),
    Queue(crate::model::queue::QueueConfig),
    Cdn(crate::model::cdn::CdnConfig),
    Dns(crate::model::dns::DnsConfig),
    Provider(crate::model::provider::ProviderConfig),
    Fanout(crate::model::fanout::FanoutConfig),
    IdGenerator(crate::model::id_generator::IdGeneratorConfig),
    Realtime(crate::model::realtime::RealtimeConfig),
}

impl ComponentPlan {
    pub fn kind(&self) -> &'static str {
        match self {
            ComponentPlan::Source(_) => "traffic",
            ComponentPlan::Server(_) => "server",
            ComponentPlan::Balancer(_) => "load_balancer",
            ComponentPlan::Cache(_) => "cache",
            ComponentPlan::Database(_) => "database",
            ComponentPlan::Sharded(_) => "sharded_database",
            ComponentPlan::RateLimiter(_) => "rate_limiter",
            ComponentPlan::Queue(_) => "queue",
            ComponentPlan::Cdn(_) => "cdn",
            ComponentPlan::Dns(_) => "dns",
            ComponentPlan::Provider(_) => "provider",
            ComponentPlan::Fanout(_) => "fanout",
            ComponentPlan::IdGenerator(_) => "id_generator",
            ComponentPlan::Realtime(_) => "realtime",
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
    /// Stop the run, marked truncated, when more calls than this are open at once.
    pub max_in_flight: u64,
    /// `run.max_memory` [bytes]: the model must be estimated to fit, and a run whose heap
    /// grows beyond it stops, marked truncated (see [`crate::scenario::budget`]).
    pub max_memory: u64,
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
    /// The `assert` section, with where each assertion is written.
    pub assertions: Vec<(crate::assertions::Assertion, Loc)>,
    /// `run.replications` (default 1).
    pub replications: u32,
    /// Named designs (`variants`), for `sim compare`.
    pub variants: Vec<assertions::Variant>,
    /// Data centers and the region latency matrix (empty without `data_centers`).
    pub geo: GeoPlan,
    /// `run.breakdown`: keep the per-hop latency breakdown.
    pub breakdown: bool,
    /// Requests to sample into `trace.json` (`sim run --trace N`); 0 for none.
    pub trace: u32,
    /// The `cost` section's prices.
    pub cost: Option<crate::cost::CostPlan>,
    /// The `estimate` section's sizes and horizons, for `sim estimate`.
    pub estimate: Option<crate::estimate::EstimateSettings>,
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
    Database,
    Sharded,
    RateLimiter,
    Queue,
    Cdn,
    Dns,
    Provider,
    Fanout,
    IdGenerator,
    Realtime,
}

impl Role {
    fn described(self) -> &'static str {
        match self {
            Role::Source => "a traffic source",
            Role::Server => "a server",
            Role::Balancer => "a load balancer",
            Role::Cache => "a cache",
            Role::Database => "a database",
            Role::Sharded => "a sharded database",
            Role::RateLimiter => "a rate limiter",
            Role::Queue => "a queue",
            Role::Cdn => "a CDN",
            Role::Dns => "a DNS",
            Role::Provider => "a provider",
            Role::Fanout => "a fan-out service",
            Role::IdGenerator => "an id generator",
            Role::Realtime => "a pool of real-time servers",
        }
    }
}

/// Components a server step, a cache's backing store or a traffic source may call.
const CALLABLE: [Role; 12] = [
    Role::Server,
    Role::Balancer,
    Role::Cache,
    Role::Database,
    Role::Sharded,
    Role::RateLimiter,
    Role::Queue,
    Role::Cdn,
    Role::Provider,
    Role::Fanout,
    Role::IdGenerator,
    Role::Realtime,
];

/// Components a traffic source may send to: the callable ones and a DNS. Derived from
/// [`CALLABLE`] so that a new callable kind cannot be forgotten here.
const TRAFFIC_TARGETS: [Role; 13] = joined(CALLABLE, [Role::Dns]);

/// Components a network link may join: every kind.
const LINK_ENDS: [Role; 14] = joined(joined::<1, 12, 13>([Role::Source], CALLABLE), [Role::Dns]);

/// `a` followed by `b`; `N` must be their total length (checked at compile time).
const fn joined<const A: usize, const B: usize, const N: usize>(
    a: [Role; A],
    b: [Role; B],
) -> [Role; N] {
    assert!(A + B == N, "joined role lists: N must be A + B");
    let mut out = [Role::Source; N];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < N {
        out[i] = b[i - A];
        i += 1;
    }
    out
}

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
    /// Some server answers a request type with a redirect (301 or 302).
    redirects: bool,
}

impl Checker {
    fn error(&mut self, loc: Loc, message: impl Into<String>) {
        self.errors.push(Diagnostic::at(loc, message));
    }

    /// The quantile (0 to 1) an empirical table's key names: `min`, `max` or `p0`..`p100`;
    /// an error at the key otherwise.
    fn percentile_key(&mut self, key: &At<String>) -> Option<f64> {
        let quantile = match key.value.as_str() {
            "min" => Some(0.0),
            "max" => Some(1.0),
            k => k
                .strip_prefix('p')
                .and_then(|n| n.parse::<f64>().ok())
                .filter(|q| (0.0..=100.0).contains(q))
                .map(|q| q / 100.0),
        };
        if quantile.is_none() {
            self.error_help(
                key.loc,
                format!("'{}' is not a percentile", key.value),
                "write percentiles as p0..p100 (p50, p99.9) or min/max",
            );
        }
        quantile
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
                    format!("a {what} must be {}", one_of(&allowed)),
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
                    let quantile = self.percentile_key(key)?;
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
        // Each name once: the first place it is listed, and whether a repeat was reported.
        let mut seen: HashMap<String, (Loc, bool)> = HashMap::new();
        for entry in list {
            let listed = backend_name(entry);
            match seen.get_mut(&listed.value) {
                Some((_, true)) => continue,
                Some((first, reported)) => {
                    *reported = true;
                    let first = *first;
                    self.error_help(
                        listed.loc,
                        format!("backend '{}' is listed twice", listed.value),
                        format!(
                            "first listed at line {}, column {}; each instance of a pool is one backend already: to send it a larger share, give it a weight ({{pool: {}, weight: 2}})",
                            first.line, first.column, listed.value
                        ),
                    );
                    continue;
                }
                None => {
                    seen.insert(listed.value.clone(), (listed.loc, false));
                }
            }
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
            if let Some(id) = self.reference(&name, "backend", &[Role::Server, Role::RateLimiter]) {
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
        redirects: false,
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
            raw::ComponentSpec::Database(d) => declared.push((&d.name, Role::Database)),
            raw::ComponentSpec::ShardedDatabase(s) => declared.push((&s.name, Role::Sharded)),
            raw::ComponentSpec::RateLimiter(l) => declared.push((&l.name, Role::RateLimiter)),
            raw::ComponentSpec::Queue(q) => declared.push((&q.name, Role::Queue)),
            raw::ComponentSpec::Cdn(k) => declared.push((&k.name, Role::Cdn)),
            raw::ComponentSpec::Dns(d) => declared.push((&d.name, Role::Dns)),
            raw::ComponentSpec::Provider(p) => declared.push((&p.name, Role::Provider)),
            raw::ComponentSpec::Fanout(f) => declared.push((&f.name, Role::Fanout)),
            raw::ComponentSpec::IdGenerator(g) => declared.push((&g.name, Role::IdGenerator)),
            raw::ComponentSpec::Realtime(r) => declared.push((&r.name, Role::Realtime)),
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
        // A database's nodes are its instances for failure targets: db[0] the first master.
        if let raw::ComponentSpec::Database(d) = spec {
            if let Some(&(id, _, _)) = c.names.get(&d.name.value) {
                let replicas = d.replicas.as_ref().map_or(1, |r| r.value);
                let nodes = replicas.min(database::MAX_REPLICAS) + 1;
                c.instances.insert(id, nodes as u32);
            }
        }
        let (name, instances) = match spec {
            // An autoscaled pool has `max` instance slots, each a backend of its balancers.
            raw::ComponentSpec::Server(s) => (
                &s.name,
                s.autoscale
                    .as_ref()
                    .map(|a| &a.value.max)
                    .or(s.instances.as_ref()),
            ),
            raw::ComponentSpec::RateLimiter(l) => (&l.name, l.instances.as_ref()),
            raw::ComponentSpec::Realtime(r) => (&r.name, r.instances.as_ref()),
            // A CDN's edges are its instances for failure targets: cdn[0] the first edge.
            raw::ComponentSpec::Cdn(k) => {
                if let Some(&(id, _, _)) = c.names.get(&k.name.value) {
                    let edges = k.edges.value.len().clamp(1, limits::MAX_INSTANCES as usize);
                    c.instances.insert(id, edges as u32);
                }
                continue;
            }
            // An id generator's nodes (masters, machines) are its instances: ids[0] the first.
            raw::ComponentSpec::IdGenerator(g) => {
                if let Some(&(id, _, _)) = c.names.get(&g.name.value) {
                    let default = if g.scheme.value == "multi_master" {
                        2
                    } else {
                        1
                    };
                    let nodes = g
                        .masters
                        .as_ref()
                        .or(g.instances.as_ref())
                        .map_or(default, |n| n.value);
                    c.instances
                        .insert(id, nodes.clamp(1, limits::MAX_INSTANCES) as u32);
                }
                continue;
            }
            _ => continue,
        };
        if let (Some(&(id, _, _)), Some(n)) = (c.names.get(&name.value), instances) {
            c.instances
                .insert(id, n.value.clamp(1, limits::MAX_INSTANCES) as u32);
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

    let geo_plan = geo::check_geo(&mut c, scenario, &mut regions);
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
            raw::ComponentSpec::Database(d) => {
                if let Some(db) = check_database(&mut c, d) {
                    components.push((d.name.value.clone(), ComponentPlan::Database(db)));
                }
            }
            raw::ComponentSpec::ShardedDatabase(s) => {
                let default_keys = scenario
                    .traffic
                    .value
                    .iter()
                    .map(|t| t.keys.as_ref().map_or(1_000_000, |k| k.value.count.value))
                    .max()
                    .unwrap_or(1_000_000);
                if let Some(sharded) = check_sharded(&mut c, s, default_keys) {
                    components.push((s.name.value.clone(), ComponentPlan::Sharded(sharded)));
                }
            }
            raw::ComponentSpec::RateLimiter(l) => {
                if let Some(limiter) = check_rate_limiter(&mut c, l) {
                    components.push((l.name.value.clone(), ComponentPlan::RateLimiter(limiter)));
                }
            }
            raw::ComponentSpec::Queue(q) => {
                if let Some(queue) = check_queue(&mut c, q, &scenario.components.value) {
                    components.push((q.name.value.clone(), ComponentPlan::Queue(queue)));
                }
            }
            raw::ComponentSpec::Cdn(k) => {
                if let Some(cdn) = check_cdn(&mut c, k, &regions) {
                    components.push((k.name.value.clone(), ComponentPlan::Cdn(cdn)));
                }
            }
            raw::ComponentSpec::Dns(d) => {
                if let Some(dns) = geo::check_dns(&mut c, d, &geo_plan) {
                    components.push((d.name.value.clone(), ComponentPlan::Dns(dns)));
                }
            }
            raw::ComponentSpec::Provider(p) => {
                if let Some(provider) = check_provider(&mut c, p) {
                    components.push((p.name.value.clone(), ComponentPlan::Provider(provider)));
                }
            }
            raw::ComponentSpec::Fanout(f) => {
                if let Some(fanout) = fanout::check_fanout(&mut c, f) {
                    components.push((f.name.value.clone(), ComponentPlan::Fanout(fanout)));
                }
            }
            raw::ComponentSpec::IdGenerator(g) => {
                if let Some(ids) = id_generator::check_id_generator(&mut c, g) {
                    components.push((g.name.value.clone(), ComponentPlan::IdGenerator(ids)));
                }
            }
            raw::ComponentSpec::Realtime(r) => {
                if let Some(config) = realtime::check_realtime(&mut c, r) {
                    components.push((r.name.value.clone(), ComponentPlan::Realtime(config)));
                }
            }
        }
    }
    id_generator::place_nodes(&mut c, scenario, &mut components, &geo_plan);
    // Database nodes placed in data centers (a whole database puts every node there).
    for (name, plan) in &mut components {
        if let ComponentPlan::Database(db) = plan {
            let Some(&(id, _, _)) = c.names.get(name.as_str()) else {
                continue;
            };
            let nodes = db.replicas as usize + 1;
            for (i, dc) in geo_plan.data_centers.iter().enumerate() {
                for node in 0..nodes as u32 {
                    if dc.components.contains(&id) || dc.nodes.contains(&(id, node)) {
                        db.node_data_centers.resize(nodes, None);
                        db.node_data_centers[node as usize] = Some(i as u16);
                    }
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
    redirect::enable_client_caches(&mut components, c.redirects);

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
            let a = c.reference(&link.between.value[0], "link end", &LINK_ENDS);
            let b = c.reference(&link.between.value[1], "link end", &LINK_ENDS);
            let latency = c.distribution(&link.latency, "link latency");
            if let (Some(a), Some(b), Some(latency)) = (a, b, latency) {
                links.push((a, b, latency));
            }
        }
    }

    check_cycles(&mut c, scenario);
    let cost = scenario
        .cost
        .as_ref()
        .and_then(|at| cost::check_cost(&mut c, at, &components));
    let slo = scenario.slo.as_ref().and_then(|s| {
        let latency = c.positive_duration(&s.value.latency, "slo.latency");
        let target = c.parse(&s.value.target, "slo.target", parse_fraction);
        Some(Slo {
            latency: latency?,
            target: target?,
        })
    });
    let mut failures: Vec<ScheduledFailure> = Vec::new();
    let snowflakes = id_generator::snowflakes(&c, &components);
    for f in scenario.failures.iter().flatten() {
        match (&f.crash_data_center, &f.clock_jump) {
            (_, Some(target)) => failures.extend(id_generator::check_clock_jump(
                &mut c,
                f,
                target,
                &snowflakes,
            )),
            (Some(dc), None) => failures.extend(geo::check_dc_failure(&mut c, f, dc, &geo_plan)),
            (None, None) => failures.extend(check_failure(&mut c, f)),
        }
    }
    let random_failures: Vec<RandomFailures> = scenario
        .random_failures
        .iter()
        .flatten()
        .filter_map(|f| check_random_failure(&mut c, f))
        .collect();
    let write_types = check_write_types(&mut c, scenario.write_types.as_deref());
    fanout::set_post_kinds(&mut c, scenario, &mut components, &write_types);
    let checked = assertions::check(&mut c, scenario);
    let estimate = scenario
        .estimate
        .as_ref()
        .and_then(|at| estimate::check_estimate(&mut c, at));

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
        max_in_flight: run.max_in_flight,
        max_memory: run.max_memory,
        request_types: c.request_types.keys().cloned().collect(),
        write_types,
        regions: regions.keys().cloned().collect(),
        components: reorder(components, &c.names),
        slo,
        failures,
        random_failures,
        default_latency,
        links,
        assertions: checked.assertions,
        replications: checked.replications,
        variants: checked.variants,
        geo: geo_plan,
        breakdown: run.breakdown,
        trace: 0,
        cost,
        estimate,
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
    max_in_flight: u64,
    max_memory: u64,
    breakdown: bool,
}

fn check_run(c: &mut Checker, r: &raw::RunSpec, loc: Loc) -> RunSettings {
    let mut run = RunSettings {
        window: SimDuration::from_secs(1),
        max_in_flight: limits::DEFAULT_MAX_IN_FLIGHT,
        max_memory: limits::DEFAULT_MAX_MEMORY,
        breakdown: r.breakdown.as_ref().is_some_and(|b| b.value),
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
    if let Some(n) = &r.max_in_flight {
        let why = "each open call takes about 110 bytes of simulator memory, more with retries";
        if let Some(n) = c.int_in(n, "max_in_flight", 1, limits::MAX_IN_FLIGHT, why) {
            run.max_in_flight = n;
        }
    }
    if let Some(m) = &r.max_memory {
        if let Some(bytes) = c.parse(m, "max_memory", parse_size) {
            if bytes < limits::MIN_MAX_MEMORY {
                c.error_help(
                    m.loc,
                    format!(
                        "max_memory is {}, below the smallest budget of {}",
                        crate::heap::show_bytes(bytes),
                        crate::heap::show_bytes(limits::MIN_MAX_MEMORY)
                    ),
                    "sim itself and the time series of the smallest run need about that much",
                );
            } else {
                run.max_memory = bytes;
            }
        }
    }
    run
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
                if let Some(OrMap::Map(sessions)) = s.sessions.as_ref().map(|x| &x.value) {
                    out.extend(sessions.store.iter().cloned());
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
            raw::ComponentSpec::Database(_) => {}
            raw::ComponentSpec::ShardedDatabase(s) => {
                edges.insert(s.name.value.clone(), s.shards.value.clone());
            }
            raw::ComponentSpec::RateLimiter(l) => {
                let out = l.downstream.iter().chain(l.store.iter()).cloned().collect();
                edges.insert(l.name.value.clone(), out);
            }
            raw::ComponentSpec::Queue(q) => {
                edges.insert(q.name.value.clone(), vec![q.consumer.clone()]);
            }
            raw::ComponentSpec::Cdn(k) => {
                edges.insert(k.name.value.clone(), vec![k.origin.clone()]);
            }
            raw::ComponentSpec::Dns(d) => {
                edges.insert(d.name.value.clone(), d.targets.value.clone());
            }
            raw::ComponentSpec::Provider(_) => {}
            raw::ComponentSpec::Fanout(f) => {
                edges.insert(f.name.value.clone(), vec![f.to.clone()]);
            }
            raw::ComponentSpec::IdGenerator(_) => {}
            raw::ComponentSpec::Realtime(r) => {
                edges.insert(
                    r.name.value.clone(),
                    r.calls.iter().flatten().cloned().collect(),
                );
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

/// "a", "a or b", "a, b or c": the roles a reference may name.
fn one_of(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [only] => (*only).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}
