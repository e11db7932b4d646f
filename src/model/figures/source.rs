//! What a `source` component reports beside the common figures, in `summary.json`'s order
//! (see [`super`]).

crate::kind_figures! {
    /// What a traffic source reports (`summary.json`'s figures of a `traffic` component). The
    /// client-cache figures appear only for a source with a `client_cache`, the retry figures
    /// only for one with a `retry` policy.
    pub struct TrafficFigures {
        /// Requests the users made, whether the client cache answered them or the origin did
        /// (the whole run, warm-up included).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub clicks: Option<u64>,
        /// Clicks answered by the client cache, which the origin never saw (equal to
        /// `client_cache_hits`: named for what the origin's click analytics miss).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub clicks_unseen_by_origin: Option<u64>,
        /// Answers held by the clients at the end of the run.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub client_cache_entries: Option<u64>,
        /// Entries forgotten to make room under `client_cache.capacity`.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub client_cache_evictions: Option<u64>,
        /// Clicks that found their answer held but expired (`max_age` passed).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub client_cache_expired: Option<u64>,
        /// client_cache_hits / clicks; 0 without clicks.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub client_cache_hit_ratio: Option<f64>,
        /// Clicks answered from the client's cache.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub client_cache_hits: Option<u64>,
        /// Cacheable answers not stored because the source held its maximum of entries.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub client_cache_not_stored: Option<u64>,
        /// Retries sent after a failed, rejected or timed-out attempt.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub retries: Option<u64>,
        /// Retries not sent because the retry budget was spent.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub retries_refused_by_budget: Option<u64>,
    }
}
