//! What a `provider` component reports beside the common figures, in `summary.json`'s order
//! (see [`super`]).

crate::kind_figures! {
    /// What a third-party provider reports (`summary.json`'s figures of a `provider`
    /// component). Counts over the whole run.
    pub struct ProviderFigures {
        /// Deliveries whose answer was lost (the caller saw a failure).
        pub ack_lost: u64,
        /// Calls in progress that failed when the provider went down.
        pub crashed_in_flight: u64,
        pub crashes: u64,
        /// `none`, `idempotency_key` or `consumer`.
        pub dedup: String,
        /// Repeats answered without delivering them.
        pub deduplicated: u64,
        /// Deliveries to end users (`unique_events + duplicates`).
        pub delivered: u64,
        /// duplicates / unique_events (0 when nothing was delivered).
        pub duplicate_ratio: f64,
        /// Deliveries of an event id already delivered.
        pub duplicates: u64,
        /// Calls answered "failed" by `error_rate` or a failure schedule's `errors`.
        pub errors: u64,
        /// Calls failed at once while the provider was down.
        pub failed_while_down: u64,
        /// Calls refused by the provider's rate limit (HTTP 429).
        pub rate_limited: u64,
        /// Distinct event ids delivered.
        pub unique_events: u64,
    }
}
