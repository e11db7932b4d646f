//! What a `fanout` component reports beside the common figures, in `summary.json`'s order
//! (see [`super`]).

use serde::{Deserialize, Serialize};

crate::kind_figures! {
    /// What a fan-out service reports (`summary.json`'s figures of a `fanout` component).
    pub struct FanoutFigures {
        /// The last celebrity post's delivery time [s]: 0 when it was not fanned out (readers
        /// pull it), `null` when it has not finished (or none was scripted).
        pub celebrity_delivery_s: Option<f64>,
        /// Each scripted celebrity post, in the scenario's order.
        pub celebrity_posts: Vec<CelebrityPostFigures>,
        /// Sub-requests of the scripted celebrity posts.
        pub celebrity_sub_requests: u64,
        /// Longest fan-out completion [ms]; `null` when none completed.
        pub completion_max_ms: Option<f64>,
        /// Fan-out completion time, arrival to last answer [ms]; each `null` when none
        /// completed.
        pub completion_ms: Completion,
        pub completion_p50_ms: Option<f64>,
        pub completion_p99_ms: Option<f64>,
        /// Sub-requests of one fan-out in flight at most.
        pub concurrency: u64,
        /// Requests passed on as one call (not fanned out).
        pub direct_calls: u64,
        /// Fan-outs with fewer than `min_success` of their sub-requests succeeded.
        pub failed_fan_outs: u64,
        pub fan_outs: u64,
        /// Time-weighted mean of the sub-requests in flight.
        pub in_flight_mean: f64,
        pub in_flight_peak: u64,
        /// The largest N of a fan-out.
        pub max_n: u64,
        /// Mean N (sub-requests) per fan-out; `null` without fan-outs.
        pub mean_n: Option<f64>,
        /// `write`, `read` or `hybrid`.
        pub mode: String,
        /// Fan-outs of reads.
        pub on_read: DirectionFigures,
        /// Fan-outs of posts.
        pub on_write: DirectionFigures,
        /// Posts of authors above `celebrity_threshold`, not fanned out (hybrid).
        pub skipped_celebrity_fan_outs: u64,
        /// Sub-requests that did not succeed.
        pub sub_request_failures: u64,
        /// Sub-requests sent, celebrity posts' included.
        pub sub_requests: u64,
        /// Sub-requests per second of the measured period.
        pub sub_requests_per_s: f64,
    }
}

/// The fan-outs of posts or of reads (`on_write`, `on_read`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DirectionFigures {
    pub fan_outs: u64,
    pub sub_requests: u64,
    /// Mean N per fan-out; `null` without fan-outs.
    pub mean_n: Option<f64>,
    pub max_n: u64,
}

/// Fan-out completion time [ms] (`completion_ms`); each `null` when no fan-out completed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

/// One scripted celebrity post (`celebrity_posts`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CelebrityPostFigures {
    /// When it is posted [s of simulated time].
    pub at_s: f64,
    pub followers: u64,
    /// The run reached its time.
    pub posted: bool,
    /// It was fanned out (false: above the hybrid's threshold, pulled by readers).
    pub fanned_out: bool,
    /// Until every follower's feed was written [s]; `null` when not finished or not fanned
    /// out.
    pub delivered_in_s: Option<f64>,
    /// Its sub-requests that did not succeed.
    pub failed_sub_requests: u64,
}
