//! What a `server` component reports beside the common figures, in `summary.json`'s order
//! (see [`super`]).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

crate::kind_figures! {
    /// What a server pool reports (`summary.json`'s figures of a `server` component).
    pub struct ServerFigures {
        /// Autoscaled pools: the policy and what it did.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub autoscale: Option<AutoscaleFigures>,
        /// Downstream calls abandoned after `call_timeout` (pools that set one).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub call_timeouts: Option<u64>,
        /// Pools with circuit breakers: each breaker by the name of its target, in the order
        /// the targets are configured.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub circuit_breakers: Option<IndexMap<String, BreakerFigures>>,
        /// Time-weighted mean number of open breakers (after the warm-up).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub circuit_breakers_open_mean: Option<f64>,
        /// Instance crashes.
        pub crashes: u64,
        /// The configured number of instances (the initial one when autoscaled).
        pub instances: u64,
        /// Time-weighted mean number of instances up (after the warm-up).
        pub instances_up_mean: f64,
        /// Pools of several instances: each instance's figures, by instance index.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub per_instance: Option<Vec<InstanceFigures>>,
        /// Autoscaled pools: every scaling action, in time order.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub scaling_events: Option<Vec<ScalingEventFigures>>,
        /// Pools that keep users' sessions.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub sessions: Option<SessionsFigures>,
        /// Element k: the fraction of the measured time with at least k instances up (k = 0
        /// included); only for pools small enough to track every count.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub time_with_at_least_k_up: Option<Vec<f64>>,
        /// Concurrent workers per instance.
        pub workers: u64,
    }
}

/// One instance of a pool of several (in the order `summary.json` lists them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InstanceFigures {
    /// Requests the instance took (after the warm-up).
    pub requests: u64,
    /// Mean busy workers out of the instance's workers, over the measured time the instance
    /// existed.
    pub utilization: f64,
}

/// One circuit breaker of a pool (in the order `summary.json` lists them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BreakerFigures {
    /// `closed`, `open` or `half_open`.
    pub state_at_end: String,
    /// Times the breaker opened.
    pub opened: u64,
    /// Calls failed at once because the breaker was open.
    pub fast_failed_calls: u64,
    /// State changes, in time order (the first `breaker::MAX_TRANSITIONS`).
    pub transitions: Vec<BreakerTransition>,
}

/// A breaker's change of state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BreakerTransition {
    /// When [s since the start].
    pub time_s: f64,
    /// The state entered: `closed`, `open` or `half_open`.
    pub state: String,
}

/// An autoscaled pool's policy and what it did (in the order `summary.json` lists them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AutoscaleFigures {
    /// The metric tracked: `utilization`, `queue` or `rate`.
    pub metric: String,
    /// Its target: a fraction, requests per instance, or [req/s] per instance.
    pub target: f64,
    /// The fewest instances the policy allows.
    pub min: u64,
    /// The most instances the policy allows.
    pub max: u64,
    /// Time-weighted mean number of instances in service (after the warm-up).
    pub instances_in_service_mean: f64,
    pub instances_in_service_peak: u64,
    /// Scaling actions that added instances.
    pub scale_outs: u64,
    /// Scaling actions that removed instances.
    pub scale_ins: u64,
}

/// One scaling action (in the order `summary.json` lists them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScalingEventFigures {
    /// When [s since the start].
    pub time_s: f64,
    /// Instances before the action.
    pub from: u64,
    /// Instances after it.
    pub to: u64,
    /// Why, in words.
    pub reason: String,
}

/// A pool's `sessions` figures (in the order `summary.json` lists them).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SessionsFigures {
    /// Where sessions live: the store's name, or `local`.
    pub store: String,
    /// First visits (a new session), after the warm-up.
    pub logins: u64,
    /// Clients that had a session before and had to log in again (it was lost or had
    /// expired), after the warm-up.
    pub relogins: u64,
    /// Live sessions lost with the instance that held them (whatever the warm-up).
    pub lost: u64,
    /// Distinct users who lost a session at least once.
    pub users_logged_out: u64,
    /// Sessions alive and not expired at the end of the run.
    pub active_at_end: u64,
}
