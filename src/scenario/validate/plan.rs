//! What the validator hands on: the checked scenario ([`Plan`]) and its components, ready to
//! build, with the limits that keep a scenario within one machine.

use crate::engine::{ComponentId, SimDuration, SimTime};
use crate::model::cache::CacheConfig;
use crate::model::dist::Distribution;
use crate::model::failures::{RandomFailures, ScheduledFailure};
use crate::model::keys::KeyPopularity;
use crate::model::kind::Kind;
use crate::model::load_balancer::BalancerConfig;
use crate::model::server::{ServerConfig, Step};
use crate::model::sessions::SessionStore;
use crate::model::source::{Load, RetryPolicy};
use crate::model::Slo;
use crate::scenario::raw::Loc;

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
    pub fn kind(&self) -> Kind {
        match self {
            ComponentPlan::Source(_) => Kind::Traffic,
            ComponentPlan::Server(_) => Kind::Server,
            ComponentPlan::Balancer(_) => Kind::LoadBalancer,
            ComponentPlan::Cache(_) => Kind::Cache,
            ComponentPlan::Database(_) => Kind::Database,
            ComponentPlan::Sharded(_) => Kind::ShardedDatabase,
            ComponentPlan::RateLimiter(_) => Kind::RateLimiter,
            ComponentPlan::Queue(_) => Kind::Queue,
            ComponentPlan::Cdn(_) => Kind::Cdn,
            ComponentPlan::Dns(_) => Kind::Dns,
            ComponentPlan::Provider(_) => Kind::Provider,
            ComponentPlan::Fanout(_) => Kind::Fanout,
            ComponentPlan::IdGenerator(_) => Kind::IdGenerator,
            ComponentPlan::Realtime(_) => Kind::Realtime,
        }
    }

    /// The components this one sends requests to, in the order its configuration names them
    /// (repeats included). The one call graph: the topology, the analytic twin's order of
    /// evaluation and the run's report all read it.
    pub fn callees(&self) -> Vec<ComponentId> {
        match self {
            ComponentPlan::Source(source) => vec![source.target],
            ComponentPlan::Server(server) => {
                let mut out: Vec<ComponentId> = Vec::new();
                for profile in &server.profiles {
                    for step in &profile.calls {
                        match *step {
                            Step::Call(callee) => out.push(callee),
                            Step::CacheAside(aside) => out.extend([aside.cache, aside.store]),
                        }
                    }
                }
                if let Some(SessionStore::Shared { store, .. }) =
                    server.sessions.as_ref().map(|x| x.store)
                {
                    out.push(store);
                }
                out
            }
            ComponentPlan::Balancer(balancer) => balancer
                .groups
                .iter()
                .flat_map(|g| g.backends.iter().map(|b| b.component))
                .collect(),
            ComponentPlan::Cache(cache) => cache.backing.into_iter().collect(),
            ComponentPlan::Database(_) => Vec::new(),
            ComponentPlan::Sharded(sharded) => sharded.shards.clone(),
            ComponentPlan::RateLimiter(limiter) => limiter.callees().collect(),
            ComponentPlan::Queue(queue) => vec![queue.consumer],
            ComponentPlan::Cdn(cdn) => vec![cdn.origin],
            ComponentPlan::Dns(dns) => dns.targets.iter().map(|t| t.component).collect(),
            ComponentPlan::Provider(_) => Vec::new(),
            ComponentPlan::Fanout(fanout) => vec![fanout.target],
            ComponentPlan::IdGenerator(_) => Vec::new(),
            ComponentPlan::Realtime(realtime) => realtime.calls.clone(),
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
    pub variants: Vec<Variant>,
    /// The `compare` section: headline figures and designs meant to fail.
    pub compare: ComparePlan,
    /// Data centers and the region latency matrix (empty without `data_centers`).
    pub geo: GeoPlan,
    /// `run.breakdown`: keep the per-hop latency breakdown.
    pub breakdown: bool,
    /// Requests to sample into `trace.json` (`sim run --trace N`); 0 for none.
    pub trace: u32,
    /// The `cost` section's prices.
    pub cost: Option<crate::cost::CostPlan>,
    /// The `estimate` section's sizes and horizons, for `sim estimate`.
    pub estimate: Option<EstimateSettings>,
}

impl Plan {
    /// The instant after which no event is delivered.
    pub fn end(&self) -> SimTime {
        self.duration.map_or(SimTime::NEVER, |d| SimTime::ZERO + d)
    }
}

/// A data center, checked.
#[derive(Clone, Debug, Default)]
pub struct DataCenterPlan {
    pub name: String,
    /// Index into the plan's regions.
    pub region: u16,
    /// Components placed in it as a whole.
    pub components: Vec<ComponentId>,
    /// Database nodes placed in it one by one (`db[1]`).
    pub nodes: Vec<(ComponentId, u32)>,
}

/// Regions and data centers, checked.
#[derive(Clone, Debug, Default)]
pub struct GeoPlan {
    pub data_centers: Vec<DataCenterPlan>,
    /// One-way latency between two regions (by index; both directions).
    pub region_links: Vec<(u16, u16, Distribution)>,
    /// Client regions: the first `client_regions` of the plan's regions (at least 1 when there
    /// are regions: clients of sources without `regions` are in the first).
    pub client_regions: usize,
    /// Every region's name, by index (client regions first).
    pub region_names: Vec<String>,
    /// Some data center member did not resolve: checks that depend on placement are skipped
    /// (their errors would only repeat the first).
    pub incomplete: bool,
}

impl GeoPlan {
    /// The data center a whole component is placed in.
    pub fn data_center_of(&self, id: ComponentId) -> Option<u16> {
        self.data_centers
            .iter()
            .position(|d| d.components.contains(&id))
            .map(|i| i as u16)
    }
}

/// The `compare` section, checked.
#[derive(Clone, Debug, Default)]
pub struct ComparePlan {
    /// The figures the comparison is about, in the order written, each by the name a
    /// comparison's rows give it (`p99`, `web.sessions`, `cost.per_month`).
    pub headline: Vec<HeadlineFigure>,
    /// Variants meant to fail the assertions.
    pub expect_fail: Vec<String>,
}

/// One headline figure of `compare`.
#[derive(Clone, Debug, PartialEq)]
pub struct HeadlineFigure {
    /// The canonical name: a row of the comparison with this name, or every row under it
    /// (`web.sessions` stands for `web.sessions.relogins`, ...).
    pub name: String,
    /// The metric as an assertion reads it, when it is one (`cost.*` is not): read from the
    /// summaries when no row carries the name (`lost.total`, `error_rate`).
    pub metric: Option<(crate::assertions::Scope, crate::assertions::Metric)>,
}

/// One named design of `variants`: overrides by path.
#[derive(Clone, Debug)]
pub struct Variant {
    pub name: String,
    pub loc: Loc,
    /// (path, where the path is written, value).
    pub overrides: Vec<(String, Loc, serde_json::Value)>,
}

/// The `estimate` section, checked; defaults where it is silent.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EstimateSettings {
    /// Bytes stored per write (default 1KB = 1000 bytes).
    pub bytes_per_write: u64,
    /// Bytes sent back per read (default 1KB).
    pub response_bytes: u64,
    /// Bytes a client sends per request besides what a write stores (default 0).
    pub request_bytes: u64,
    /// Years of writes the storage figure covers (default 5).
    pub years: f64,
    /// Share of a day's reads the cache should hold (default 0.2).
    pub hot_fraction: f64,
    /// Utilisation pools are sized for (default 0.7).
    pub target_utilisation: f64,
    /// Length of the "day" of the daily figures (default 24h).
    #[serde(serialize_with = "seconds")]
    pub day: SimDuration,
    /// Whether the scenario has an `estimate` section (false: every value is a default).
    pub written: bool,
}

fn seconds<S: serde::Serializer>(d: &SimDuration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Default for EstimateSettings {
    fn default() -> Self {
        EstimateSettings {
            bytes_per_write: 1000,
            response_bytes: 1000,
            request_bytes: 0,
            years: 5.0,
            hot_fraction: 0.2,
            target_utilisation: 0.7,
            day: SimDuration::from_secs(86_400),
            written: false,
        }
    }
}
