//! What a `realtime` component reports beside the common figures, in `summary.json`'s order
//! (see [`super`]).

use serde::{Deserialize, Serialize};

use crate::stats::LatencyBrief;

crate::kind_figures! {
    /// What real-time servers report (`summary.json`'s figures of a `realtime` component).
    /// Counts are after the warm-up; rates per second of the measured period.
    pub struct RealtimeFigures {
        pub clients: u64,
        /// Connections (or open long polls) held at the end.
        pub connections_at_end: u64,
        /// Time-weighted mean of the connections held.
        pub connections_mean: f64,
        pub connections_peak: u64,
        /// The most connections one instance held at once.
        pub connections_peak_per_instance: u64,
        pub crashes: u64,
        /// Messages delivered to a recipient.
        pub deliveries: u64,
        pub deliveries_per_s: f64,
        /// Pushes sent after the warm-up and still queued on an instance at the end.
        pub deliveries_queued_at_end: u64,
        /// From a message's send to its delivery [ms].
        pub delivery_latency_ms: LatencyBrief,
        /// Connections dropped by crashes.
        pub dropped_connections: u64,
        /// empty_polls / polls; `null` without polls.
        pub empty_poll_fraction: Option<f64>,
        /// Polls answered without a message.
        pub empty_polls: u64,
        pub failed_polls: u64,
        pub heartbeats: u64,
        /// Heartbeats lost on the way (`heartbeat_loss`).
        pub heartbeats_lost: u64,
        /// `connections_peak_per_instance * memory_per_connection` [bytes].
        pub memory_peak_per_instance_bytes: u64,
        /// Messages sent by clients.
        pub messages: u64,
        /// Deliveries kept for a disconnected client and made at its reconnection.
        pub messages_delayed: u64,
        /// Sends that failed.
        pub messages_failed: u64,
        /// Deliveries lost (`offline: drop`).
        pub messages_lost: u64,
        /// Deliveries waiting for a disconnected client at the end.
        pub offline_waiting_at_end: u64,
        pub polls: u64,
        /// Times an online client was shown offline (no heartbeat within `presence_timeout`).
        pub presence_flaps: u64,
        /// Deliveries asked for: one per one-to-one message, the group size per group message.
        pub recipients: u64,
        pub reconnect_attempts: u64,
        /// The most reconnect attempts in one window, per second.
        pub reconnect_peak_per_s: f64,
        /// The longest time from a crash until every client it dropped was back [s]; `null`
        /// while some are still out, or when none was dropped.
        pub reconnect_time_s: Option<f64>,
        pub reconnects: u64,
        /// Connections refused because every instance up was at `max_connections`.
        pub refused_connections: u64,
        pub requests_per_s: RealtimeRates,
        /// Dropped clients not reconnected at the end.
        pub still_disconnected: u64,
        /// `websocket`, `long_polling` or `short_polling`.
        pub transport: String,
    }
}

/// Requests per second of the measured period, by kind (`requests_per_s`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RealtimeRates {
    /// Message sends.
    pub messages: f64,
    pub polls: f64,
    pub heartbeats: f64,
    /// New connections, reconnections included.
    pub connects: f64,
    pub total: f64,
}
