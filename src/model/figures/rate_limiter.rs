//! What a `rate_limiter` component reports beside the common figures, in `summary.json`'s order
//! (see [`super`]).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::stats::LatencyBrief;

crate::kind_figures! {
    /// What a rate limiter reports (`summary.json`'s figures of a `rate_limiter` component).
    pub struct RateLimiterFigures {
        pub admitted: u64,
        /// Requests admitted that one shared counter would have rejected; only with local
        /// counters spread over several instances.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub admitted_beyond_shared_limit: Option<u64>,
        /// `local` or `shared`.
        pub counters: String,
        pub crashes: u64,
        /// The shared store's round trip per decision [ms]; only with a shared store.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub decision_latency_ms: Option<LatencyBrief>,
        pub instances: u64,
        /// admitted / shared_counter_would_admit - 1 (0 when that is 0); only with local
        /// counters spread over several instances.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub overshoot: Option<f64>,
        pub rejected: u64,
        /// Each rule by name, in the scenario's order.
        pub rules: IndexMap<String, RuleFigures>,
        /// Requests one shared counter would have admitted; only with local counters spread
        /// over several instances.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub shared_counter_would_admit: Option<u64>,
        /// Decisions the shared store failed; only with a shared store.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub store_failures: Option<u64>,
    }
}

/// One rule of a rate limiter (`rules`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleFigures {
    /// `token_bucket`, `leaking_bucket`, `fixed_window`, `sliding_log` or `sliding_window`.
    pub algorithm: String,
    /// What the rule counts per (`client`, `region`, `type`, `key`, `global`).
    pub key: String,
    /// Requests admitted per `per_s`.
    pub limit: u64,
    /// The rule's period [s].
    pub per_s: f64,
    pub burst: u64,
    /// Requests the rule applied to.
    pub applied: u64,
    pub admitted: u64,
    pub rejected: u64,
    /// The key's quota left after each decision; `null` when the rule decided nothing.
    pub remaining_quota: Option<QuotaFigures>,
}

/// The distribution of the quota left after each decision (`remaining_quota`), in requests;
/// the quantiles are the start of a bucket of a histogram over `[0, limit]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QuotaFigures {
    pub mean: f64,
    pub p10: u64,
    pub p50: u64,
    pub p90: u64,
    /// Decisions that left no quota / all decisions.
    pub at_zero_fraction: f64,
}
