//! The memory a run will need, estimated from its plan before anything is built, against
//! `run.max_memory`.
//!
//! The figure is heap memory as sim allocates it (what [`crate::heap`] counts and what
//! `ulimit -v` limits), not the resident set: sim's summary histograms are allocated whole and
//! mostly never written, so the operating system shows about half of it as resident.
//!
//! Calibration: `tests/memory_budget.rs` runs models of each kind at two sizes in the process,
//! as `sim run` does (the study, then every output), with a counting allocator that keeps the
//! peak, and checks that the estimate is at least the measured peak and at most twice it (plus
//! the fixed part). The per-item figures below are those measurements rounded up, on
//! 2026-12-06 (x86_64 Linux, glibc). What grows during a run rather than with the model (calls
//! in flight, unbounded caches and queues, rate-limiter counters, client caches) is left to the
//! run-time guard, which stops a run whose live heap passes the budget.

use super::validate::{ComponentPlan, Plan};
use crate::format::thousands;
use crate::heap::show_bytes;
use crate::model::kind::Kind;
use crate::model::source::Load;
use crate::stats::MAX_WINDOWS;

/// What every run needs whatever its model [bytes]: sim's own tables, the scenario, the
/// result's fixed parts and the outputs of a run of one server (measured: under 1 MB).
const FIXED: u64 = 4_000_000;
/// One window of the end-to-end series, which keeps a latency histogram per window (measured:
/// 1.9 KB).
const PER_END_TO_END_WINDOW: u64 = 2_500;
/// A component of the common kinds (traffic sources, servers, load balancers, caches,
/// providers, id generators): its summary latency histogram (1 ns to 2.8 h at 3 significant
/// digits, 290 KB), its statistics, its part of the result and the outputs (measured: 290 to
/// 320 KB).
const PER_COMPONENT: u64 = 340_000;
/// A component of the kinds that keep a second histogram or more per-window series (queues,
/// rate limiters, fan-outs, real-time pools, DNS): measured 590 to 650 KB.
const PER_RICH_COMPONENT: u64 = 680_000;
/// Each node of a database beyond the master (measured with the base: 600 KB for 3 nodes),
/// each edge of a CDN (measured with the base: 610 KB for 1 edge) and each shard a sharded
/// database places keys on (measured with the base: 1.1 MB for 2 shards).
const PER_NODE: u64 = 340_000;
/// Each instance of a pool beyond the first (servers, limiter nodes, id generator nodes,
/// real-time servers): its queue, level trackers and report rows (measured: 2.0 KB).
const PER_INSTANCE: u64 = 2_400;
/// One time window of one component: its rows of counts and levels, in the model and in the
/// result, and its line of `timeseries.csv` (measured: 112 bytes).
const PER_WINDOW: u64 = 128;
/// One closed-loop user: its pending think-time event and state (measured: 47 bytes).
const PER_USER: u64 = 64;
/// One entry of a bounded cache or CDN edge: the key, the value's size and the policy's links
/// (measured: 145 bytes).
const PER_CACHE_ENTRY: u64 = 180;
/// One real-time client: its connection state and timers (measured: 63 bytes).
const PER_CLIENT: u64 = 80;
/// One point of a consistent-hash ring.
const PER_RING_POINT: u64 = 24;

/// One part of the estimate: "20,000 traffic sources", and their bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub what: String,
    /// Whether `what` is one thing ("needs") or several ("need").
    pub one: bool,
    pub bytes: u64,
}

/// The memory a run of a plan needs, by part.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Estimate {
    pub parts: Vec<Part>,
}

impl Estimate {
    pub fn total(&self) -> u64 {
        self.parts
            .iter()
            .fold(0u64, |sum, p| sum.saturating_add(p.bytes))
    }

    /// The largest part.
    pub fn largest(&self) -> Option<&Part> {
        self.parts.iter().max_by_key(|p| p.bytes)
    }

    /// `count` things of `each` bytes, called `one` or `many`.
    fn add(&mut self, count: u64, one: &str, many: &str, each: u64) {
        if count == 0 {
            return;
        }
        self.parts.push(Part {
            what: format!(
                "{} {}",
                thousands(count),
                if count == 1 { one } else { many }
            ),
            one: count == 1,
            bytes: count.saturating_mul(each),
        });
    }
}

/// Time windows a run fills: its duration in windows, at most [`MAX_WINDOWS`] (beyond that
/// they are merged in pairs); a run that stops on a request count may fill them all.
fn windows(plan: &Plan) -> u64 {
    let cap = MAX_WINDOWS as u64;
    match plan.duration {
        Some(d) => (d.as_nanos() / plan.window.as_nanos().max(1))
            .saturating_add(1)
            .min(cap),
        None => cap,
    }
}

/// What one component of `kind` costs: the kinds that keep per-request tables or per-window
/// series of their own cost more.
fn kind_cost(kind: Kind) -> u64 {
    match kind {
        Kind::Traffic
        | Kind::Server
        | Kind::LoadBalancer
        | Kind::Cache
        | Kind::Database
        | Kind::ShardedDatabase
        | Kind::Provider
        | Kind::IdGenerator
        | Kind::Cdn => PER_COMPONENT,
        Kind::RateLimiter | Kind::Queue | Kind::Dns | Kind::Fanout | Kind::Realtime => {
            PER_RICH_COMPONENT
        }
    }
}

/// The memory one run of `plan` needs.
pub fn estimate(plan: &Plan) -> Estimate {
    let mut e = Estimate::default();
    let window_count = windows(plan);
    e.parts.push(Part {
        what: "sim itself and the end-to-end series".into(),
        one: false,
        bytes: FIXED.saturating_add(window_count.saturating_mul(PER_END_TO_END_WINDOW)),
    });
    // Components by kind, in order of first appearance.
    let mut kinds: Vec<(Kind, u64)> = Vec::new();
    for (_, component) in &plan.components {
        let kind = component.kind();
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((kind, 1)),
        }
    }
    for (kind, count) in kinds {
        let (one, many) = kind.facts().noun;
        let each = kind_cost(kind);
        e.add(count, one, many, each);
    }
    let series = (plan.components.len() as u64).saturating_mul(window_count);
    e.add(
        series,
        "window of a component's time series",
        "windows of the components' time series",
        PER_WINDOW,
    );
    let (mut instances, mut nodes, mut users, mut clients, mut ring) = (0u64, 0, 0, 0, 0);
    for (name, component) in &plan.components {
        let extra = |n: u32| u64::from(n).saturating_sub(1);
        match component {
            ComponentPlan::Source(s) => {
                if let Load::Closed { users: n, .. } = &s.load {
                    users += u64::from(*n);
                }
            }
            ComponentPlan::Server(s) => {
                let most = s
                    .autoscale
                    .as_ref()
                    .map_or(s.instances, |a| a.max.max(s.instances));
                instances += extra(most);
            }
            ComponentPlan::Database(d) => nodes += u64::from(d.replicas),
            ComponentPlan::Sharded(s) => {
                let shards = s.shards.len() as u64;
                nodes += shards;
                ring += shards.saturating_mul(u64::from(s.virtual_nodes));
            }
            ComponentPlan::RateLimiter(r) => instances += extra(r.instances),
            ComponentPlan::IdGenerator(g) => instances += extra(g.nodes),
            ComponentPlan::Realtime(r) => {
                instances += extra(r.instances);
                clients += u64::from(r.clients);
            }
            ComponentPlan::Cache(c) => {
                if let Some(entries) = cache_entries(c) {
                    e.add_entries(name, "cache", entries);
                }
            }
            ComponentPlan::Cdn(c) => {
                let edges = c.edges.len().max(1) as u64;
                nodes += edges;
                let at_edges = c.capacity.map(|n| n.saturating_mul(edges));
                let at_shield = match &c.shield {
                    Some(shield) => shield.capacity,
                    None => Some(0),
                };
                if let (Some(a), Some(b)) = (at_edges, at_shield) {
                    e.add_entries(name, "CDN", a.saturating_add(b));
                }
            }
            _ => {}
        }
    }
    e.add(
        nodes,
        "database replica, CDN edge or shard",
        "database replicas, CDN edges and shards",
        PER_NODE,
    );
    e.add(
        instances,
        "instance beyond the first of a pool",
        "instances beyond the first of each pool",
        PER_INSTANCE,
    );
    e.add(users, "closed-loop user", "closed-loop users", PER_USER);
    e.add(clients, "real-time client", "real-time clients", PER_CLIENT);
    e.add(
        ring,
        "point of a consistent-hash ring",
        "points of consistent-hash rings",
        PER_RING_POINT,
    );
    e
}

impl Estimate {
    /// A cache (or CDN) `name` that holds up to `entries` entries.
    fn add_entries(&mut self, name: &str, kind: &str, entries: u64) {
        self.parts.push(Part {
            what: format!("{kind} '{name}' with up to {} entries", thousands(entries)),
            one: true,
            bytes: entries.saturating_mul(PER_CACHE_ENTRY),
        });
    }
}

/// Entries a cache can hold: its `capacity`, or what its `memory` holds of values of the mean
/// size; `None` when it has no limit (the run-time guard watches those).
fn cache_entries(c: &crate::model::cache::CacheConfig) -> Option<u64> {
    let by_bytes = c
        .limits
        .bytes
        .map(|b| (b as f64 / c.value_size.mean().max(1.0)).ceil() as u64);
    match (c.limits.entries, by_bytes) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The estimate of a study of `runs` runs of `plan`, `at_once` of them at a time: each run
/// at once builds its model; every run's result is kept until the study ends.
pub fn study(plan: &Plan, runs: u64, at_once: u64) -> Estimate {
    let one = estimate(plan);
    let at_once = at_once.clamp(1, runs.max(1));
    if runs <= 1 {
        return one;
    }
    let mut e = Estimate::default();
    for part in one.parts {
        e.parts.push(Part {
            what: format!("{} (x{at_once} runs at once)", part.what),
            one: false,
            bytes: part.bytes.saturating_mul(at_once),
        });
    }
    // A finished run's result keeps its time series and figures, about a third of a model.
    let kept = runs - at_once;
    if kept > 0 {
        let per = estimate(plan).total() / 3;
        e.parts.push(Part {
            what: format!("the results of {} more replications", thousands(kept)),
            one: false,
            bytes: per.saturating_mul(kept),
        });
    }
    e
}

/// Refuses an estimate above `budget`, naming the largest part and the knob.
pub fn check(e: &Estimate, budget: u64) -> Result<(), String> {
    let total = e.total();
    if total <= budget {
        return Ok(());
    }
    let largest = e
        .largest()
        .map(|p| {
            let verb = if p.one { "needs" } else { "need" };
            format!(": {} {verb} about {}", p.what, show_bytes(p.bytes))
        })
        .unwrap_or_default();
    Err(format!(
        "the run would need about {} of memory, more than run.max_memory ({}){largest}\n\
         help: make that part smaller, or raise run.max_memory (or pass --max-memory) if this \
         machine has the memory",
        show_bytes(total),
        show_bytes(budget)
    ))
}
