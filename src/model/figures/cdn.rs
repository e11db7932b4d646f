//! What a `cdn` component reports beside the common figures, in `summary.json`'s order
//! (see [`super`]).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::stats::LatencySummary;

crate::kind_figures! {
    /// What a CDN reports (`summary.json`'s figures of a `cdn` component). Counts are the
    /// edges' together unless said otherwise.
    pub struct CdnFigures {
        /// Requests sent straight to the origin while their edge was down.
        pub bypassed: u64,
        pub crashes: u64,
        /// The scripted versioned deploys' times [s of simulated time].
        pub deploys_s: Vec<f64>,
        /// Each edge, by its client region's name (`default` without regions), in the
        /// scenario's order.
        pub edges: IndexMap<String, TierFigures>,
        pub evictions: u64,
        pub expirations: u64,
        /// hits / (hits + misses) at the edges; `null` without lookups.
        pub hit_ratio: Option<f64>,
        pub hits: u64,
        pub misses: u64,
        /// 1 - origin_requests / requests: the fraction of the requests the CDN received that
        /// did not reach the origin; `null` without requests.
        pub origin_offload: Option<f64>,
        /// Requests sent to the origin (misses, pass-throughs, bypasses).
        pub origin_requests: u64,
        /// Requests of dynamic (uncached) types passed through to the origin.
        pub passed_through: u64,
        /// Misses on objects stored before the latest purge of their type.
        pub purged: u64,
        /// The scripted purges' times [s of simulated time].
        pub purges_s: Vec<f64>,
        /// Requests and latency per client region, in the scenario's order (regions without
        /// requests left out).
        pub regions: IndexMap<String, RegionLatency>,
        /// The origin shield, where there is one.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub shield: Option<ShieldFigures>,
    }
}

/// One edge's figures (`edges`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TierFigures {
    pub requests: u64,
    pub hits: u64,
    pub misses: u64,
    /// hits / (hits + misses); `null` without lookups.
    pub hit_ratio: Option<f64>,
    pub expirations: u64,
    pub purged: u64,
    pub evictions: u64,
    pub bypassed: u64,
    /// Objects stored at the end.
    pub objects_at_end: u64,
}

/// The origin shield's figures (`shield`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShieldFigures {
    pub hits: u64,
    pub misses: u64,
    /// hits / (hits + misses); `null` without lookups.
    pub hit_ratio: Option<f64>,
    pub expirations: u64,
    pub purged: u64,
    pub evictions: u64,
}

/// One client region's requests and latency (`regions`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionLatency {
    pub requests: u64,
    /// [ms]
    pub latency_ms: LatencySummary,
}
