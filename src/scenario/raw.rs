//! The scenario file as written: serde types that mirror the YAML, with source locations on
//! every value that validation may need to point at. Nothing here checks meaning; see
//! `validate.rs`.
//!
//! Components use the externally tagged form (`- server: {name: web, ...}`) so that serde keeps
//! the location of every field inside them.

use std::fmt;
use std::marker::PhantomData;

use indexmap::IndexMap;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::model::kind::Kind;

/// A value with the place in the file it came from.
#[derive(Clone, Debug)]
pub struct At<T> {
    pub value: T,
    pub loc: Loc,
}

/// A position in the scenario file (1-based line and column).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Loc {
    pub line: u64,
    pub column: u64,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for At<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<T>::deserialize(deserializer)?;
        Ok(At {
            loc: Loc {
                line: spanned.referenced.line(),
                column: spanned.referenced.column(),
            },
            value: spanned.value,
        })
    }
}

impl<T: JsonSchema> JsonSchema for At<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
    fn inline_schema() -> bool {
        T::inline_schema()
    }
}

impl<T: PartialEq> PartialEq for At<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl<T: Eq> Eq for At<T> {}
impl<T: std::hash::Hash> std::hash::Hash for At<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state)
    }
}

/// A scalar kept as text, parsed later with its units ("250ms", "1200/s", "3x", 0.5).
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl Visitor<'_> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value with a unit, such as 250ms, 1200/s or 3x")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
}

impl JsonSchema for Scalar {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ValueWithUnit".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A value with a unit: a duration (250ms, 1.5s, 2m), a rate (1200/s, 5/min), a multiplier (3x) or a plain number.",
            "type": ["string", "number"]
        })
    }
}

/// Either a plain scalar or a map of the form `M` (e.g. `rate: 100/s` or `rate: {steps: ...}`).
#[derive(Clone, Debug)]
pub enum OrMap<M> {
    Scalar(Scalar),
    Map(M),
}

impl<'de, M: Deserialize<'de>> Deserialize<'de> for OrMap<M> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<M>(PhantomData<M>);
        impl<'de, M: Deserialize<'de>> Visitor<'de> for V<M> {
            type Value = OrMap<M>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value with a unit or a map")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                ScalarVisitor.visit_str(v).map(OrMap::Scalar)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                ScalarVisitor.visit_i64(v).map(OrMap::Scalar)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                ScalarVisitor.visit_u64(v).map(OrMap::Scalar)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                ScalarVisitor.visit_f64(v).map(OrMap::Scalar)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                // Through `map_into`, so that a tolerant parse knows the struct's keys here too.
                super::tolerant::map_into(map).map(OrMap::Map)
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

impl<M: JsonSchema> JsonSchema for OrMap<M> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("{}OrValue", M::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let map = generator.subschema_for::<M>();
        json_schema!({ "anyOf": [ { "type": ["string", "number"] }, map ] })
    }
}

/// A whole scenario file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name used for the output directory; defaults to the file name.
    pub name: Option<At<String>>,
    /// What the scenario shows and what to look at in the output.
    pub description: Option<String>,
    /// Seed of every random stream (default 1).
    pub seed: Option<At<u64>>,
    /// Stop conditions and statistics settings.
    pub run: Option<At<RunSpec>>,
    /// Where requests come from.
    pub traffic: At<Vec<TrafficSpec>>,
    /// Servers, load balancers and the rest of the topology.
    pub components: At<Vec<ComponentSpec>>,
    /// Latency between components.
    pub network: Option<NetworkSpec>,
    /// Service-level objective, e.g. {latency: 300ms, target: 99.9%}: that fraction of requests
    /// must succeed within that latency.
    pub slo: Option<At<SloSpec>>,
    /// Failures at given times: crash, slow down or inject errors into a component.
    pub failures: Option<Vec<FailureSpec>>,
    /// Instances that fail and are repaired at random (MTBF / MTTR).
    pub random_failures: Option<Vec<RandomFailureSpec>>,
    /// Request types that write data (default: types named write, update, insert, delete,
    /// post, put or patch, or starting with "write").
    pub write_types: Option<Vec<At<String>>>,
    /// Checks for CI, e.g. `p99 < 250ms`, `availability >= 99.9%`, `web.utilization < 0.8`:
    /// `sim run` and `sim check` exit 1 when one fails.
    #[serde(rename = "assert")]
    pub assertions: Option<At<Vec<At<OrMap<AssertSpec>>>>>,
    /// Named designs inside one scenario, each a set of overrides by path, e.g.
    /// {lru: {cache.eviction: lru}, lfu: {cache.eviction: lfu}}, for `sim compare`.
    pub variants: Option<At<IndexMap<At<String>, At<VariantSpec>>>>,
    /// What `sim compare` puts first and which designs are meant to fail, e.g.
    /// {headline: [web.sessions, p99], expect_fail: [no-cache]}.
    pub compare: Option<At<CompareSpec>>,
    /// Data centers: each a name, a region and the components in it (`db[1]` places one node
    /// of a database). Messages between data centers and from clients take the region latency
    /// of `network.regions`.
    pub data_centers: Option<At<Vec<DataCenterSpec>>>,
    /// Prices, so that outputs show what a design costs and `sim capacity --cheapest` can
    /// search for the cheapest design that passes.
    pub cost: Option<At<CostSpec>>,
    /// Sizes and horizons for `sim estimate`'s back-of-the-envelope table, e.g.
    /// {bytes_per_write: 500B, response_bytes: 500B, years: 10, hot_fraction: 20%}.
    pub estimate: Option<At<EstimateSpec>>,
}

/// The `estimate` section: what `sim estimate` needs beyond the topology.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateSpec {
    /// Bytes stored per write, e.g. 500B (default 1KB).
    pub bytes_per_write: Option<At<Scalar>>,
    /// Bytes sent back per read, e.g. 500B (default 1KB).
    pub response_bytes: Option<At<Scalar>>,
    /// Bytes a client sends per request, besides what a write stores (default 0).
    pub request_bytes: Option<At<Scalar>>,
    /// How long stored data is kept, in years, for the storage figure (default 5).
    pub years: Option<At<f64>>,
    /// Share of a day's reads the cache should hold, e.g. 20% (default 20%).
    pub hot_fraction: Option<At<Scalar>>,
    /// Utilisation each pool is sized for, e.g. 70% (default 70%).
    pub target_utilisation: Option<At<Scalar>>,
    /// Length of the "day" the daily figures are taken over (default 24h).
    pub day: Option<At<Scalar>>,
}

/// One data center.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataCenterSpec {
    pub name: At<String>,
    /// The region it is in, e.g. us (client regions are named in traffic `regions`).
    pub region: At<String>,
    /// Components in it; `db[1]` places one node of a database.
    pub components: At<Vec<At<String>>>,
}

/// The one-way latency between two regions (both directions).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionLinkSpec {
    /// Two regions, e.g. [us, eu]; [us, us] is the latency within a region.
    pub between: At<Vec<At<String>>>,
    pub latency: At<OrMap<DistributionSpec>>,
}

/// Per client region, weights over data centers.
pub type DnsRouting = IndexMap<At<String>, At<IndexMap<At<String>, At<f64>>>>;

/// A DNS resolver with geographic routing (geoDNS) in front of data centers.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsSpec {
    pub name: At<String>,
    /// The entry point of each data center (a load balancer or a server pool placed in one).
    pub targets: At<Vec<At<String>>>,
    /// How long clients cache an answer (default 60s).
    pub ttl: Option<At<Scalar>>,
    /// Time to resolve when the client's cache has no valid answer (default 20ms).
    pub resolution_time: Option<At<OrMap<DistributionSpec>>>,
    /// Per client region, weights over data centers, e.g. {eu: {dc-eu: 70, dc-us: 30}}
    /// (default: the data centers in the client's region).
    pub routing: Option<At<DnsRouting>>,
    /// Health checks of the targets.
    pub health: Option<At<DnsHealthSpec>>,
}

/// Active health checks of a DNS's targets.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsHealthSpec {
    /// Probe every target this often (default 10s).
    pub interval: Option<At<Scalar>>,
    /// A probe not answered within this fails (default 2s).
    pub timeout: Option<At<Scalar>>,
    /// Consecutive failed probes that mark a data center unhealthy (default 3).
    pub unhealthy: Option<At<u64>>,
    /// Consecutive successful probes that mark it healthy again (default 2).
    pub healthy: Option<At<u64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// Simulated time to run, e.g. 10m. At least one of duration and requests is required.
    pub duration: Option<At<Scalar>>,
    /// Stop after this many requests have been sent (and answered).
    pub requests: Option<At<u64>>,
    /// Requests born before this are left out of the summary (default 0s).
    pub warmup: Option<At<Scalar>>,
    /// Width of the time windows in timeseries.csv (default 1s).
    pub window: Option<At<Scalar>>,
    /// Stop the run, marked truncated, when more calls than this are open at once (default
    /// 5000000): a guard against runaway queues and retry storms exhausting memory.
    pub max_in_flight: Option<At<u64>>,
    /// The most heap memory a run may use, e.g. 512MB or 8GB (default 2GB). Before a run, sim
    /// estimates what the model needs and refuses one that would not fit; during the run, a
    /// run whose heap grows beyond it (an unbounded cache, a queue that never drains) stops,
    /// marked truncated. `sim run --max-memory` overrides it.
    pub max_memory: Option<At<Scalar>>,
    /// Independent runs with seeds seed, seed+1, ... (default 1); summaries give the mean and a
    /// 95% confidence interval.
    pub replications: Option<At<u64>>,
    /// Keep the per-hop latency breakdown: summary.json's `breakdown`, the report's waterfall,
    /// each bottleneck's share of p99 (default false: it costs about 12% more time per
    /// request on the simplest scenarios; `sim run --breakdown` and `--trace N` turn it on).
    pub breakdown: Option<At<bool>>,
}

/// A traffic source: open-loop (`rate`) or closed-loop (`users` with `think_time`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TrafficSpec {
    pub name: At<String>,
    /// The component that receives the requests.
    pub to: At<String>,
    /// Open loop: a rate (100/s) or a profile (steps, points, ramp, daily).
    pub rate: Option<At<OrMap<RateProfileSpec>>>,
    /// poisson (default) or constant (evenly spaced).
    pub arrivals: Option<At<String>>,
    /// Temporary surges: the rate is multiplied during each spike.
    pub spikes: Option<Vec<SpikeSpec>>,
    /// Multiplies the whole rate ("3x") for what-if runs.
    pub multiplier: Option<At<Scalar>>,
    /// Closed loop: number of users, each waiting for a reply before thinking and sending again.
    pub users: Option<At<u64>>,
    /// Closed loop: pause between a reply and the next request.
    pub think_time: Option<At<OrMap<DistributionSpec>>>,
    /// Request types and their weights, e.g. {read: 9, write: 1} (default: one type "request").
    pub mix: Option<IndexMap<At<String>, At<f64>>>,
    /// Key popularity.
    pub keys: Option<At<KeysSpec>>,
    /// Number of distinct clients (default 1000; the number of users in closed loop).
    pub clients: Option<At<u64>>,
    /// Client regions and their weights, e.g. {us: 0.7, eu: 0.3}.
    pub regions: Option<IndexMap<At<String>, At<f64>>>,
    /// The client gives up on a request not answered within this time.
    pub timeout: Option<At<Scalar>>,
    /// Retry failed, rejected and timed-out requests.
    pub retry: Option<At<RetrySpec>>,
    /// The clients' browser caches, which keep permanent redirects (301): e.g. {capacity: 100}
    /// entries per client. On by default (without a per-client limit) when a server answers
    /// with a `redirect`.
    pub client_cache: Option<At<ClientCacheSpec>>,
}

/// A traffic source's browser caches (see `per_type.<type>.redirect` on servers).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientCacheSpec {
    /// Entries each client keeps at most; the least recently used is forgotten first
    /// (default: no limit per client; 10,000,000 entries per source in all).
    pub capacity: Option<At<u64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetrySpec {
    /// Attempts in total, the first included (e.g. 3 = up to two retries).
    pub attempts: At<u64>,
    /// Wait before the first retry; doubles for each further retry (default 100ms; 0 retries at once).
    pub backoff: Option<At<Scalar>>,
    /// Longest wait between attempts (default 10s).
    pub max_backoff: Option<At<Scalar>>,
    /// full (default: wait a uniform draw up to the back-off) or none.
    pub jitter: Option<At<String>>,
    /// At most this many retries per request over time, e.g. 10% (default: no budget).
    pub budget: Option<At<Scalar>>,
    /// After a rate limiter's 429, wait its Retry-After, then the back-off (default false).
    pub honour_retry_after: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum RateProfileSpec {
    /// Piecewise constant: the rate jumps at each step.
    Steps(Vec<RatePoint>),
    /// Piecewise linear between points.
    Points(Vec<RatePoint>),
    /// Linear change from one rate to another.
    Ramp(RampSpec),
    /// A daily cosine curve: mean * (1 + amplitude * cos(2 pi (t - peak) / period)).
    Daily(DailySpec),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RatePoint {
    pub at: At<Scalar>,
    pub rate: At<Scalar>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RampSpec {
    pub from: At<Scalar>,
    pub to: At<Scalar>,
    /// When the ramp starts (default 0s).
    pub start: Option<At<Scalar>>,
    pub end: At<Scalar>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DailySpec {
    pub mean: At<Scalar>,
    /// Relative swing around the mean, 0 to 1 (default 0.5).
    pub amplitude: Option<At<f64>>,
    /// Time of day of the peak (default 20h).
    pub peak: Option<At<Scalar>>,
    /// Length of a "day" (default 24h; shorten it to compress a day into a short run).
    pub period: Option<At<Scalar>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpikeSpec {
    pub at: At<Scalar>,
    pub duration: At<Scalar>,
    pub multiplier: At<Scalar>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeysSpec {
    /// Number of distinct keys.
    pub count: At<u64>,
    /// uniform (default), zipf or hotspot.
    pub popularity: Option<At<String>>,
    /// Zipf exponent (default 1.0).
    pub alpha: Option<At<f64>>,
    /// Hotspot: fraction of the keys that are hot (default 0.2).
    pub hot_fraction: Option<At<Scalar>>,
    /// Hotspot: fraction of the requests that go to hot keys (default 0.8).
    pub hot_weight: Option<At<Scalar>>,
}

/// A distribution of durations: a plain duration is constant; a map names the law.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum DistributionSpec {
    Constant(At<Scalar>),
    /// Exponential with this mean.
    Exponential(At<Scalar>),
    Uniform(UniformSpec),
    /// Log-normal given by mean and sigma, or by median and p99.
    Lognormal(LognormalSpec),
    /// Percentile table, e.g. {p50: 10ms, p90: 30ms, p99: 120ms, p100: 300ms}.
    Empirical(IndexMap<At<String>, At<Scalar>>),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UniformSpec {
    pub min: At<Scalar>,
    pub max: At<Scalar>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LognormalSpec {
    pub mean: Option<At<Scalar>>,
    /// Standard deviation of the logarithm.
    pub sigma: Option<At<f64>>,
    pub median: Option<At<Scalar>>,
    pub p99: Option<At<Scalar>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum ComponentSpec {
    Server(Box<ServerSpec>),
    LoadBalancer(Box<BalancerSpec>),
    Cache(Box<CacheSpec>),
    Database(Box<DatabaseSpec>),
    ShardedDatabase(Box<ShardedSpec>),
    RateLimiter(Box<RateLimiterSpec>),
    Queue(Box<QueueSpec>),
    Cdn(Box<CdnSpec>),
    Dns(Box<DnsSpec>),
    Provider(Box<ProviderSpec>),
    Fanout(Box<FanoutSpec>),
    IdGenerator(Box<IdGeneratorSpec>),
    Realtime(Box<RealtimeSpec>),
}

impl ComponentSpec {
    /// The component's name, where the file gives it.
    pub fn name(&self) -> &At<String> {
        match self {
            ComponentSpec::Server(s) => &s.name,
            ComponentSpec::LoadBalancer(b) => &b.name,
            ComponentSpec::Cache(k) => &k.name,
            ComponentSpec::Database(d) => &d.name,
            ComponentSpec::ShardedDatabase(s) => &s.name,
            ComponentSpec::RateLimiter(l) => &l.name,
            ComponentSpec::Queue(q) => &q.name,
            ComponentSpec::Cdn(k) => &k.name,
            ComponentSpec::Dns(d) => &d.name,
            ComponentSpec::Provider(p) => &p.name,
            ComponentSpec::Fanout(f) => &f.name,
            ComponentSpec::IdGenerator(g) => &g.name,
            ComponentSpec::Realtime(r) => &r.name,
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            ComponentSpec::Server(_) => Kind::Server,
            ComponentSpec::LoadBalancer(_) => Kind::LoadBalancer,
            ComponentSpec::Cache(_) => Kind::Cache,
            ComponentSpec::Database(_) => Kind::Database,
            ComponentSpec::ShardedDatabase(_) => Kind::ShardedDatabase,
            ComponentSpec::RateLimiter(_) => Kind::RateLimiter,
            ComponentSpec::Queue(_) => Kind::Queue,
            ComponentSpec::Cdn(_) => Kind::Cdn,
            ComponentSpec::Dns(_) => Kind::Dns,
            ComponentSpec::Provider(_) => Kind::Provider,
            ComponentSpec::Fanout(_) => Kind::Fanout,
            ComponentSpec::IdGenerator(_) => Kind::IdGenerator,
            ComponentSpec::Realtime(_) => Kind::Realtime,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    pub name: At<String>,
    /// Identical machines in the pool (default 1).
    pub instances: Option<At<u64>>,
    /// Requests each instance serves at once (default 1).
    pub workers: Option<At<u64>>,
    /// Waiting requests each instance holds before rejecting (default: unbounded).
    pub queue: Option<At<u64>>,
    /// Time a worker spends on a request, before its downstream calls.
    pub service_time: At<OrMap<DistributionSpec>>,
    /// Components called, in order, for every request: names, or steps such as
    /// {cache_aside: {cache: c, store: db}}.
    pub calls: Option<Vec<At<OrMap<StepSpec>>>>,
    /// Overrides per request type.
    pub per_type: Option<IndexMap<At<String>, TypeOverride>>,
    /// A request not finished this long after arriving is answered "timed out".
    pub timeout: Option<At<Scalar>>,
    /// Target-tracking autoscaling between `min` and `max` instances.
    pub autoscale: Option<At<AutoscaleSpec>>,
    /// A downstream call not answered within this is abandoned and the request times out.
    pub call_timeout: Option<At<Scalar>>,
    /// A circuit breaker on each component in `calls`.
    pub circuit_breaker: Option<At<BreakerSpec>>,
    /// Users' sessions: `local` (in the instance's memory, lost when it crashes) or
    /// {store: NAME} (a shared cache or key-value pool read by every request).
    pub sessions: Option<At<OrMap<SessionsSpec>>>,
}

/// Where a server pool keeps its users' sessions.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionsSpec {
    /// A cache or server pool holding every session (default: local sessions).
    pub store: Option<At<String>>,
    /// Local sessions expire after this long without a request (default: never).
    pub idle_timeout: Option<At<Scalar>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TypeOverride {
    pub service_time: Option<At<OrMap<DistributionSpec>>>,
    pub calls: Option<Vec<At<OrMap<StepSpec>>>>,
    /// Answer with a redirect: 301 (permanent: the client's browser keeps it and answers
    /// repeat clicks itself) or 302 (temporary: every click reaches the server).
    pub redirect: Option<At<u64>>,
    /// With a 301: how long the browser keeps it, e.g. 1h (default: for ever).
    pub max_age: Option<At<Scalar>>,
}

/// A downstream step other than a plain call.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum StepSpec {
    /// Read the cache; on a miss read the store and fill the cache. Writes go to the store,
    /// then invalidate the cache.
    CacheAside(CacheAsideSpec),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CacheAsideSpec {
    /// A cache with strategy cache_aside.
    pub cache: At<String>,
    /// The store of record (e.g. the database pool).
    pub store: At<String>,
}

/// A cache node in front of a backing store.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CacheSpec {
    pub name: At<String>,
    /// Most entries held (default: no limit on entries).
    pub capacity: Option<At<u64>>,
    /// Most bytes held, e.g. 64MB (default: no limit on bytes); entry sizes from value_size.
    pub memory: Option<At<Scalar>>,
    /// Size of each key's value: a size (1KB), {uniform: {min, max}} or
    /// {lognormal: {median, p99}}; fixed per key (default 1KB).
    pub value_size: Option<At<OrMap<SizeSpec>>>,
    /// lru (default), lfu, fifo or random.
    pub eviction: Option<At<String>>,
    /// Entries expire this long after they were written (default: never).
    pub ttl: Option<At<Scalar>>,
    /// Entries expire this long after they were last read (default: never).
    pub idle_ttl: Option<At<Scalar>>,
    /// Time to answer from memory (default 0.5ms).
    pub hit_time: Option<At<OrMap<DistributionSpec>>>,
    /// Time to find a miss, before the backing store is asked (default: hit_time).
    pub miss_time: Option<At<OrMap<DistributionSpec>>>,
    /// The store the cache reads and writes (required except for cache_aside).
    pub backing: Option<At<String>>,
    /// read_through (default), cache_aside, write_through, write_back or write_around.
    pub strategy: Option<At<String>>,
    /// write_back: delay between an entry becoming dirty and its write to the store (default 1s).
    pub flush_delay: Option<At<Scalar>>,
}

/// A law of value sizes [bytes].
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum SizeSpec {
    Constant(At<Scalar>),
    Uniform(SizeRangeSpec),
    Lognormal(SizeLognormalSpec),
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SizeRangeSpec {
    pub min: At<Scalar>,
    pub max: At<Scalar>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SizeLognormalSpec {
    pub median: At<Scalar>,
    pub p99: At<Scalar>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BalancerSpec {
    pub name: At<String>,
    /// round_robin (default), weighted_round_robin, random, client_hash, key_hash,
    /// least_connections, least_response_time, power_of_two_choices.
    pub algorithm: Option<At<String>>,
    /// Layer 4: every request goes to these server pools.
    pub backends: Option<Vec<At<OrMap<BackendSpec>>>>,
    /// Layer 7: requests of the listed types go to the route's backends; others to `backends`.
    pub routes: Option<Vec<RouteSpec>>,
    /// Passive health checking (on by default).
    pub health: Option<HealthSpec>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackendSpec {
    pub pool: At<String>,
    /// For weighted_round_robin (default 1).
    pub weight: Option<At<u64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// Request types sent to this route.
    pub types: Vec<At<String>>,
    pub backends: At<Vec<At<OrMap<BackendSpec>>>>,
    /// Defaults to the balancer's algorithm.
    pub algorithm: Option<At<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthSpec {
    /// Set to false to turn passive health checking off.
    pub enabled: Option<bool>,
    /// Consecutive failed replies before a backend is ejected (default 5).
    pub failures: Option<At<u64>>,
    /// How long an ejected backend is skipped (default 30s).
    pub ejection: Option<At<Scalar>>,
    /// Active health checks: probe every backend this often (off unless given).
    pub interval: Option<At<Scalar>>,
    /// A probe not answered within this fails (default 1s).
    pub timeout: Option<At<Scalar>>,
    /// Consecutive failed probes that mark a backend down (default 3).
    pub unhealthy: Option<At<u64>>,
    /// Consecutive successful probes that mark it up again (default 2).
    pub healthy: Option<At<u64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Latency between components without a link (default 0).
    pub default: Option<At<OrMap<DistributionSpec>>>,
    pub links: Option<Vec<LinkSpec>>,
    /// One-way latency between regions, added to the link latency of messages between data
    /// centers and between clients and data centers.
    pub regions: Option<At<Vec<RegionLinkSpec>>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// The two components the link joins; it applies in both directions.
    pub between: At<Vec<At<String>>>,
    pub latency: At<OrMap<DistributionSpec>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloSpec {
    /// A request meets the objective if it succeeds within this latency.
    pub latency: At<Scalar>,
    /// The fraction of requests that must meet it, e.g. 99.9%.
    pub target: At<Scalar>,
}

/// One scripted failure: exactly one of `crash`, `slow` or `errors`, naming the target
/// (`web` for the whole pool, `web[2]` for its third instance).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FailureSpec {
    /// When it starts.
    pub at: At<Scalar>,
    /// How long it lasts (default: until the end of the run).
    #[serde(rename = "for")]
    pub lasts: Option<At<Scalar>>,
    /// Crash the target: requests inside fail, new ones are refused until it recovers.
    pub crash: Option<At<String>>,
    /// Slow the target down: service times are multiplied by `factor`.
    pub slow: Option<At<String>>,
    /// For `slow`: the multiplier of service times, e.g. 3x.
    pub factor: Option<At<Scalar>>,
    /// Make a fraction of the target's requests fail at once.
    pub errors: Option<At<String>>,
    /// For `errors`: the fraction of requests that fail, e.g. 10%.
    pub fraction: Option<At<Scalar>>,
    /// Cut the network between two sides, each a component or a list of components:
    /// [web, db] or [[web-a, web-b], [db]]. Messages across are dropped.
    pub partition: Option<At<Vec<At<Side>>>>,
    /// Add latency between two sides (as for `partition`); the delay is `add`.
    pub latency: Option<At<Vec<At<Side>>>>,
    /// For `latency`: the delay added to every message across, e.g. 200ms.
    pub add: Option<At<Scalar>>,
    /// Crash every component of a data center (each loses what it loses in a crash).
    pub crash_data_center: Option<At<String>>,
    /// Make a snowflake id generator's clock jump (`ids` every machine, `ids[0]` one) by `by`.
    pub clock_jump: Option<At<String>>,
    /// For `clock_jump`: how far the clock jumps, e.g. -5ms (backwards) or 2s (forwards).
    pub by: Option<At<Scalar>>,
}

/// Every instance of `target` fails after a time drawn from `mtbf` and is repaired after a time
/// drawn from `mttr`, independently of the others.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RandomFailureSpec {
    pub target: At<String>,
    /// Time to failure (mean time between failures when exponential).
    pub mtbf: At<OrMap<DistributionSpec>>,
    /// Time to repair.
    pub mttr: At<OrMap<DistributionSpec>>,
}

/// A replicated database: a master that takes every write and read replicas.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSpec {
    pub name: At<String>,
    /// Read replicas besides the master (default 1; 0 for a single node).
    pub replicas: Option<At<u64>>,
    /// Requests each node serves at once (default 1).
    pub connections: Option<At<u64>>,
    /// Waiting requests each node holds before rejecting (default: unbounded).
    pub queue: Option<At<u64>>,
    /// Time a node spends on a read.
    pub read_time: At<OrMap<DistributionSpec>>,
    /// Time the master spends on a write (default: read_time).
    pub write_time: Option<At<OrMap<DistributionSpec>>>,
    /// async (default), semi_sync (wait for one replica) or sync (wait for every replica).
    pub replication: Option<At<String>>,
    /// Delay between the master applying a write and a replica applying it (default 10ms).
    pub lag: Option<At<OrMap<DistributionSpec>>>,
    /// Time a replica's applier spends replaying one write, one at a time (default 0).
    pub apply_time: Option<At<OrMap<DistributionSpec>>>,
    /// replicas (default) or master: where reads go.
    pub reads: Option<At<String>>,
    /// How a read picks a replica: round_robin (default), random or least_connections.
    pub balance: Option<At<String>>,
    /// Time from a master crash to its detection (default 10s).
    pub failover_detection: Option<At<Scalar>>,
    /// Time from detection to a replica serving as the new master (default 1s).
    pub failover_promotion: Option<At<Scalar>>,
}

/// A sharded database: requests go to one of the shards by their key.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShardedSpec {
    pub name: At<String>,
    /// The shards, in order: databases or server pools.
    pub shards: At<Vec<At<String>>>,
    /// hash (default: hash mod N), range or consistent.
    pub placement: Option<At<String>>,
    /// Consistent hashing: points per shard on the ring (default 100).
    pub virtual_nodes: Option<At<u64>>,
    /// Shards in use at the start: the first ones listed (default: all).
    pub active: Option<At<u64>>,
    /// The key space [0, keys) (default: the largest key count of the traffic sources).
    pub keys: Option<At<u64>>,
    /// Change the number of shards in use at a given time.
    pub reshard: Option<At<ReshardSpec>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReshardSpec {
    /// When the new placement takes effect.
    pub at: At<Scalar>,
    /// Shards in use afterwards (the first ones listed).
    pub to: At<u64>,
    /// How long the migration of the moved keys lasts (default 0s; or give copy_rate).
    pub duration: Option<At<Scalar>>,
    /// Keys copied per second, e.g. 1000/s: the migration lasts moved keys / copy_rate.
    pub copy_rate: Option<At<Scalar>>,
    /// Service times of the shards involved are multiplied by this during the migration
    /// (default 2x).
    pub slowdown: Option<At<Scalar>>,
}

/// A rate limiter: in front of a component (`downstream`) or called by a server as a check.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimiterSpec {
    pub name: At<String>,
    /// Limiter nodes (default 1); with local counters each keeps its own.
    pub instances: Option<At<u64>>,
    /// Rules a request must all pass, e.g. {algorithm: token_bucket, limit: 5, per: 1s, key: client}.
    pub rules: At<Vec<RateRuleSpec>>,
    /// Where admitted requests go (default: none; the limiter answers "admitted" to its caller).
    pub downstream: Option<At<String>>,
    /// A server pool holding shared counters (e.g. Redis): one round trip per decision
    /// (default: each node counts locally).
    pub store: Option<At<String>>,
    /// With a store: open (default: admit when the store fails) or closed (fail the request).
    pub on_store_failure: Option<At<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateRuleSpec {
    /// Name in the report (default: <key>-<algorithm>).
    pub name: Option<At<String>>,
    /// token_bucket, leaking_bucket, fixed_window, sliding_log or sliding_window.
    pub algorithm: At<String>,
    /// Requests allowed per `per` (the refill or drain amount for the buckets).
    pub limit: At<u64>,
    /// The window, or the time over which `limit` tokens refill or leak (default 1s).
    pub per: Option<At<Scalar>>,
    /// Token bucket: capacity; leaking bucket: queue length (default: limit).
    pub burst: Option<At<u64>>,
    /// What is counted apart: client (default), region, type, key (a user) or global.
    pub key: Option<At<String>>,
    /// Only requests of these types count and are limited (default: every type).
    pub types: Option<Vec<At<String>>>,
}

/// A message queue (broker) delivering to a consumer pool.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    pub name: At<String>,
    /// Most messages stored, in flight included (default: unbounded).
    pub capacity: Option<At<u64>>,
    /// Messages survive a broker crash (default true).
    pub durable: Option<bool>,
    /// The server pool that processes the messages.
    pub consumer: At<String>,
    /// Messages delivered at once: the number of consumers (default: the consumer pool's
    /// instances x workers).
    pub concurrency: Option<At<u64>>,
    /// Scale the consumers by backlog instead of a fixed concurrency.
    pub scaling: Option<At<QueueScalingSpec>>,
    /// A delivery not acknowledged within this is delivered again (default 30s).
    pub visibility_timeout: Option<At<Scalar>>,
    /// Deliveries before a message goes to the dead-letter queue (default 5).
    pub max_attempts: Option<At<u64>>,
    /// Wait before a failed message is delivered again; doubles per attempt (default 1s).
    pub retry_backoff: Option<At<Scalar>>,
    /// Longest wait between deliveries (default 60s).
    pub max_retry_backoff: Option<At<Scalar>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueScalingSpec {
    /// Fewest consumers (at the start too).
    pub min: At<u64>,
    /// Most consumers.
    pub max: At<u64>,
    /// Backlog one consumer is meant to handle: consumers = ceil(backlog / this).
    pub backlog_per_consumer: At<u64>,
    /// How often the backlog is checked (default 10s).
    pub interval: Option<At<Scalar>>,
    /// Time for a new consumer to start taking messages (default 10s).
    pub startup: Option<At<Scalar>>,
}

/// Target tracking: the pool adds or removes instances to keep `metric` near `target`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoscaleSpec {
    /// utilization (default), queue (waiting requests per instance) or rate (requests per
    /// second per instance).
    pub metric: Option<At<String>>,
    /// Value to keep the metric at: 60% (utilization), 5 (queue), 100/s (rate).
    pub target: At<Scalar>,
    /// Fewest instances.
    pub min: At<u64>,
    /// Most instances.
    pub max: At<u64>,
    /// How often the metric is measured and a decision taken (default 30s).
    pub interval: Option<At<Scalar>>,
    /// Least time between a scaling action and a scale-out (default 60s).
    pub scale_out_cooldown: Option<At<Scalar>>,
    /// Least time between a scaling action and a scale-in (default 300s).
    pub scale_in_cooldown: Option<At<Scalar>>,
    /// Time from the decision until a new instance takes traffic (default 60s).
    pub provisioning: Option<At<Scalar>>,
    /// After provisioning, a new instance serves more slowly for this long (default 0s).
    pub warmup: Option<At<Scalar>>,
    /// Service times are multiplied by this during the warm-up (default 2x).
    pub warmup_factor: Option<At<Scalar>>,
}

/// One side of a network fault: a component name or a list of names.
#[derive(Debug)]
pub enum Side {
    One(String),
    Many(Vec<At<String>>),
}

impl<'de> Deserialize<'de> for Side {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Side;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a component name or a list of names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Side, E> {
                Ok(Side::One(v.to_string()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Side, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<At<String>>()? {
                    names.push(name);
                }
                Ok(Side::Many(names))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for Side {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "NetworkSide".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A component name, or a list of component names.",
            "anyOf": [ { "type": "string" }, { "type": "array", "items": { "type": "string" } } ]
        })
    }
}

/// Circuit breaker on a pool's calls to each downstream component.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakerSpec {
    /// Share of failed calls in the window that opens the breaker (default 50%).
    pub failure_rate: Option<At<Scalar>>,
    /// Sliding window the rate is measured over (default 10s).
    pub window: Option<At<Scalar>>,
    /// Fewest calls in the window before the rate is judged (default 20).
    pub min_calls: Option<At<u64>>,
    /// How long it stays open, failing calls at once (default 5s).
    pub open_for: Option<At<Scalar>>,
    /// Trial calls let through when half-open; all must succeed to close (default 3).
    pub half_open_probes: Option<At<u64>>,
}

/// One assertion with options: `{that: p99 < 250ms, confidence: 95%}` judges the bound of the
/// confidence interval over replications instead of the mean.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssertSpec {
    /// The check: `<metric> <op> <value>`, e.g. `p99 < 250ms`.
    pub that: At<String>,
    /// Judge the bound of this two-sided confidence interval (e.g. 95%) over the replications:
    /// the upper bound for `<`/`<=`, the lower bound for `>`/`>=`.
    pub confidence: Option<At<Scalar>>,
    /// A name for this assertion, unique in the scenario, e.g. `web-crash-dip`: shown beside
    /// its verdict, and what a course step's header names in a `[claim: web-crash-dip]` marker.
    pub id: Option<At<String>>,
    /// Judge the metric over this span of simulated time only, from the run's time windows:
    /// `[60s, 75s]` (from the start of the run, warm-up included), e.g. the availability
    /// during an outage.
    pub during: Option<At<Vec<At<Scalar>>>>,
}

/// The `compare` section: how `sim compare` presents this scenario's designs.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareSpec {
    /// Figures the comparison is about, shown first with a one-line verdict each; metric names
    /// as assertions write them (`p99`, `availability`, `lost.sessions`, `cache.hit_ratio`), a
    /// component's group of figures (`web.sessions`), or `cost.per_month`.
    pub headline: Option<At<Vec<At<String>>>>,
    /// Variants meant to fail the scenario's assertions: their failures are shown, marked
    /// expected, and do not make `sim compare` exit 1 (as `--expect-fail` does).
    pub expect_fail: Option<At<Vec<At<String>>>>,
}

/// One variant: override paths and their values, e.g. {cache.eviction: lfu, web.instances: 8}.
pub type VariantSpec = IndexMap<At<String>, serde_json::Value>;

/// A CDN: edge locations per client region caching static content in front of an origin.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CdnSpec {
    pub name: At<String>,
    /// The component that serves misses and dynamic requests (e.g. the web tier's balancer).
    pub origin: At<String>,
    /// Edge locations, one per client region, e.g. {region: eu, latency: 10ms}.
    pub edges: At<Vec<CdnEdgeSpec>>,
    /// Request types the edges cache (default: every type); others pass through to the origin.
    pub static_types: Option<Vec<At<String>>>,
    /// Objects expire this long after they were stored (default: never).
    pub ttl: Option<At<Scalar>>,
    /// TTL per request type, overriding `ttl`, e.g. {css: 5m, image: 1h}.
    pub ttl_by_type: Option<IndexMap<At<String>, At<Scalar>>>,
    /// Objects each edge holds at most (default: no limit).
    pub capacity: Option<At<u64>>,
    /// lru (default), lfu, fifo or random.
    pub eviction: Option<At<String>>,
    /// Time an edge takes to answer from its store (default 0.5ms).
    pub hit_time: Option<At<OrMap<DistributionSpec>>>,
    /// Time an edge takes to find a miss before fetching (default: hit_time).
    pub miss_time: Option<At<OrMap<DistributionSpec>>>,
    /// A mid-tier cache between the edges and the origin.
    pub shield: Option<At<CdnShieldSpec>>,
    /// Invalidate objects at given times, e.g. [{at: 5m}, {at: 8m, types: [css]}].
    pub purges: Option<Vec<CdnChangeSpec>>,
    /// Versioned deploys: new object names from then on, e.g. [{at: 6m, types: [css]}].
    pub deploys: Option<Vec<CdnChangeSpec>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CdnEdgeSpec {
    /// The client region this edge serves (from the traffic's `regions`).
    pub region: At<String>,
    /// One-way latency between the region's clients and the edge (default 0).
    pub latency: Option<At<OrMap<DistributionSpec>>>,
    /// One-way latency between the region's clients and the origin, used while the edge is
    /// down (default: latency).
    pub bypass_latency: Option<At<OrMap<DistributionSpec>>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CdnShieldSpec {
    /// One-way latency between an edge and the shield (default 0).
    pub latency: Option<At<OrMap<DistributionSpec>>>,
    /// Objects the shield holds at most (default: no limit).
    pub capacity: Option<At<u64>>,
}

/// A purge or a deploy at a given time.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CdnChangeSpec {
    pub at: At<Scalar>,
    /// Only objects of these request types (default: every static type).
    pub types: Option<Vec<At<String>>>,
}

/// The `cost` section: prices per component.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CostSpec {
    /// Currency label shown with the figures (default USD).
    pub currency: Option<At<String>>,
    /// Prices by component name, e.g. {web: {per_hour: 0.10}, cache: {per_gb_hour: 0.02}}.
    pub components: At<IndexMap<At<String>, At<PriceSpec>>>,
}

/// One component's prices, in the section's currency.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceSpec {
    /// Price of one instance for one hour: each instance of a server pool (autoscaled: the
    /// time-average in service), each node of a database (master and replicas), each
    /// rate-limiter instance; other kinds count as one instance.
    pub per_hour: Option<At<f64>>,
    /// Price of one GB (10^9 bytes) of a cache's `memory` for one hour.
    pub per_gb_hour: Option<At<f64>>,
    /// Price of one million requests the component receives (a CDN, an API gateway).
    pub per_million_requests: Option<At<f64>>,
}

/// A third-party provider (push, SMS or email gateway): an external dependency with its own
/// latency, error rate and rate limit, counting deliveries and duplicates per event id.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    pub name: At<String>,
    /// Time from a call's arrival to the provider's answer (default 100ms).
    pub latency: Option<At<OrMap<DistributionSpec>>>,
    /// Fraction of accepted calls answered "failed", undelivered (default 0).
    pub error_rate: Option<At<Scalar>>,
    /// Fraction of delivered notifications whose answer is lost: the caller sees "failed"
    /// although the user got it (default 0).
    pub ack_loss: Option<At<Scalar>>,
    /// Token bucket: {rate: 100/s, burst: 200}; excess calls are answered "rejected" (429).
    pub rate_limit: Option<At<ProviderRateLimitSpec>>,
    /// none (default), consumer (check-then-send against a store of sent ids) or
    /// idempotency_key (the provider suppresses repeats of an event id).
    pub dedup: Option<At<String>>,
    /// How long the provider remembers an idempotency key (default 24h).
    pub dedup_window: Option<At<Scalar>>,
}

/// A fan-out service: one request in, N sub-requests out to `to` (news-feed designs).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FanoutSpec {
    pub name: At<String>,
    /// The component every sub-request (and direct call) goes to, e.g. the feed cache.
    pub to: At<String>,
    /// write (default: a post fans out to its author's followers), read (a feed read fans
    /// out to the accounts the reader follows) or hybrid (write, except for celebrities, whom
    /// readers pull).
    pub mode: Option<At<String>>,
    /// Size of the user id space the sub-requests' keys are drawn from (default 10000000).
    pub users: Option<At<u64>>,
    /// N, followers of a post's author: a count (300) or a law, e.g.
    /// {pareto: {min: 20, max: 5000, alpha: 1.1}} or {lognormal: {median: 200, sigma: 1, max: 5000}}.
    pub followers: At<OrMap<CountSpec>>,
    /// M, accounts a reader follows, for fan-out on read (default: followers).
    pub following: Option<At<OrMap<CountSpec>>>,
    /// Sub-requests of one fan-out in flight at most (default 100).
    pub concurrency: Option<At<u64>>,
    /// Share of sub-requests that must succeed for the fan-out to succeed (default 100%).
    pub min_success: Option<At<Scalar>>,
    /// Hybrid: authors with more followers than this are not fanned out (default 10000).
    pub celebrity_threshold: Option<At<u64>>,
    /// Hybrid: the celebrity accounts are the ids below this (default 1000).
    pub celebrity_accounts: Option<At<u64>>,
    /// Hybrid: C, celebrities a reader follows and pulls from at each read (default 0).
    pub celebrities_followed: Option<At<OrMap<CountSpec>>>,
    /// Scripted posts by a celebrity (account 0), e.g. [{at: 60s, followers: 2000000}].
    pub celebrity_posts: Option<Vec<CelebrityPostSpec>>,
}

/// A law of whole numbers: a plain number is constant; a map names the law.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum CountSpec {
    Constant(At<u64>),
    /// A bounded power law on [min, max] with exponent alpha.
    Pareto(ParetoCountSpec),
    /// A log-normal with this median and sigma (of ln N), capped at max.
    Lognormal(LognormalCountSpec),
    /// Percentile table of counts, e.g. {p50: 200, p99: 3000, max: 5000}.
    Empirical(IndexMap<At<String>, At<f64>>),
}

/// Real-time servers: clients connected over WebSocket, long polling or short polling, with
/// heartbeats for presence and reconnections after a crash.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RealtimeSpec {
    pub name: At<String>,
    /// Connected users (online for the whole run).
    pub clients: At<u64>,
    /// Servers holding the connections (default 1).
    pub instances: Option<At<u64>>,
    /// websocket (default), long_polling or short_polling.
    pub transport: Option<At<String>>,
    /// Connections (or open long polls) each instance holds at most (default: no limit).
    pub max_connections: Option<At<u64>>,
    /// Memory one connection takes on its instance, e.g. 20KB (default 0).
    pub memory_per_connection: Option<At<Scalar>>,
    /// Time an instance spends on one push, poll, heartbeat or message send (default 50us).
    pub service_time: Option<At<OrMap<DistributionSpec>>>,
    /// Time an instance spends accepting one connection: TLS and authentication (default 1ms).
    pub connect_time: Option<At<OrMap<DistributionSpec>>>,
    /// WebSocket clients send a heartbeat this often (default: no heartbeats).
    pub heartbeat_interval: Option<At<Scalar>>,
    /// Fraction of heartbeats lost on the way, e.g. 1% (default 0).
    pub heartbeat_loss: Option<At<Scalar>>,
    /// A client is shown offline after this long without a heartbeat or poll (default: no
    /// presence).
    pub presence_timeout: Option<At<Scalar>>,
    /// Short polling: each client asks this often (default 5s).
    pub poll_interval: Option<At<Scalar>>,
    /// Long polling: an open poll is answered empty after this long (default 30s).
    pub poll_timeout: Option<At<Scalar>>,
    /// How dropped or refused clients reconnect.
    pub reconnect: Option<At<ReconnectSpec>>,
    /// Fraction of messages sent to a group, e.g. 20% (default 0).
    pub group_fraction: Option<At<Scalar>>,
    /// Members a group message is delivered to: a number or {min, max} (uniform; default
    /// {min: 2, max: 100}).
    pub group_size: Option<At<OrMap<GroupSizeSpec>>>,
    /// store (default): deliveries for a disconnected client wait for it to reconnect; drop:
    /// they are lost.
    pub offline: Option<At<String>>,
    /// Components every message send calls, in order, before its deliveries (an ID
    /// generator, a message store).
    pub calls: Option<Vec<At<String>>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderRateLimitSpec {
    /// Sustained rate, e.g. 100/s.
    pub rate: At<Scalar>,
    /// Requests that may pass at once after a quiet spell (default: one second's worth).
    pub burst: Option<At<u64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconnectSpec {
    /// Wait before the first reconnection attempt; doubles per refused attempt (default 1s).
    pub backoff: Option<At<Scalar>>,
    /// Longest wait between attempts (default 30s).
    pub max_backoff: Option<At<Scalar>>,
    /// full (default): each wait is uniform in [0, backoff]; none: exactly backoff.
    pub jitter: Option<At<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParetoCountSpec {
    pub min: At<u64>,
    pub max: At<u64>,
    /// Tail exponent (default 1.0): smaller means heavier.
    pub alpha: Option<At<f64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LognormalCountSpec {
    pub median: At<f64>,
    /// Standard deviation of ln N.
    pub sigma: At<f64>,
    /// Larger draws count as max.
    pub max: At<u64>,
}

/// A celebrity's post at a given time.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CelebrityPostSpec {
    pub at: At<Scalar>,
    /// Followers of the celebrity: the fan-out's N.
    pub followers: At<u64>,
}

/// An id generator: auto_increment, multi_master, uuid or snowflake.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdGeneratorSpec {
    pub name: At<String>,
    /// auto_increment, multi_master, uuid or snowflake.
    pub scheme: At<String>,
    /// Time a node spends on one id (default 1ms for auto_increment and multi_master, 0 for
    /// uuid and snowflake).
    pub service_time: Option<At<OrMap<DistributionSpec>>>,
    /// Requests each node serves at once (default 1).
    pub workers: Option<At<u64>>,
    /// Waiting requests each node holds before rejecting (default: unbounded).
    pub queue: Option<At<u64>>,
    /// multi_master: the number of masters N; master i issues i+1, i+1+N, ... (default 2).
    pub masters: Option<At<u64>>,
    /// uuid and snowflake: the number of generator instances (machines) (default 1).
    pub instances: Option<At<u64>>,
    /// snowflake: bits of the millisecond timestamp (default 41).
    pub timestamp_bits: Option<At<u64>>,
    /// snowflake: bits of the data center id (default 5).
    pub datacenter_bits: Option<At<u64>>,
    /// snowflake: bits of the machine id (default 5).
    pub machine_bits: Option<At<u64>>,
    /// snowflake: bits of the per-millisecond sequence (default 12: 4096 ids per ms).
    pub sequence_bits: Option<At<u64>>,
    /// snowflake: time from the id epoch to the start of the run (default 0), e.g. 3650d.
    pub since_epoch: Option<At<Scalar>>,
    /// snowflake: wait (default), fail or ignore when a machine's clock goes backwards.
    pub on_clock_backwards: Option<At<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupSizeSpec {
    pub min: At<u64>,
    pub max: At<u64>,
}
