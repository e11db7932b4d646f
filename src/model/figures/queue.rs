//! What a `queue` component reports beside the common figures, in `summary.json`'s order
//! (see [`super`]).

use indexmap::IndexMap;

use crate::stats::LatencySummary;

crate::kind_figures! {
    /// What a message queue reports (`summary.json`'s figures of a `queue` component).
    pub struct QueueFigures {
        /// Messages removed after a successful delivery.
        pub acknowledged: u64,
        /// Acknowledged messages per second of the measured period.
        pub acknowledged_per_s: f64,
        /// Time-weighted mean of the messages ready or waiting for a retry.
        pub backlog_mean: f64,
        pub backlog_peak: u64,
        /// Messages the queue holds at most; `null` when unbounded.
        pub capacity: Option<u64>,
        /// Time-weighted mean number of consumers.
        pub consumers_mean: f64,
        pub consumers_peak: u64,
        pub crashes: u64,
        /// Messages moved to the dead-letter queue after their last attempt.
        pub dead_lettered: u64,
        /// A durable queue keeps its messages when the broker crashes.
        pub durable: bool,
        /// Messages in consumers' hands the broker forgot when it crashed (non-durable).
        pub forgotten_in_flight: u64,
        /// Time-weighted mean of the messages in consumers' hands.
        pub in_flight_mean: f64,
        /// Processing latency from publish to acknowledgement per request type [ms], in the
        /// scenario's type order (types without an acknowledged message left out); only when
        /// the queue carries several types.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub latency_by_type_ms: Option<IndexMap<String, LatencySummary>>,
        /// Messages a non-durable queue lost when the broker crashed.
        pub lost: u64,
        /// Deliveries that failed, were rejected or timed out.
        pub negative_acks: u64,
        pub published: u64,
        /// Deliveries after a message's first.
        pub redelivered: u64,
        /// Messages refused because the queue was full.
        pub refused_full: u64,
        /// Messages held at the end, in flight included.
        pub stored_at_end: u64,
        /// Deliveries not answered within the visibility timeout.
        pub visibility_timeouts: u64,
    }
}
