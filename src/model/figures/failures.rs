//! What a `failures` component reports beside the common figures, in `summary.json`'s order
//! (see [`super`]).

crate::kind_figures! {
    /// What the failure timeline reports (the `failures` pseudo-component; `summary.json`
    /// lists its figures as the top-level `failures` and `downtime`).
    pub struct FailuresFigures {
        /// Downtime as the clients saw it.
        pub downtime: DowntimeFigures,
        /// Every failure that started, in time order.
        pub events: Vec<FailureEventFigures>,
    }
}

/// Downtime as the clients saw it (in the order `summary.json` lists it).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DowntimeFigures {
    /// The intervals of downtime, in time order (the first `downtime::MAX_INTERVALS`).
    pub intervals: Vec<DowntimeInterval>,
    /// Intervals of downtime, all of them.
    pub count: u64,
    /// Their total length [s] (an interval still open counts up to the end of the run).
    pub total_s: f64,
    /// Consecutive successes that end an interval of downtime.
    pub recovery_streak: u64,
}

/// One interval of downtime (in the order `summary.json` lists it).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DowntimeInterval {
    /// When it began [s since the start].
    pub start_s: f64,
    /// When it ended [s since the start]; `null` if it had not at the end of the run.
    pub end_s: Option<f64>,
    /// Its length [s], up to the end of the run if still open.
    pub duration_s: f64,
    /// Requests that finished unsuccessfully during it.
    pub unsuccessful_requests: u64,
}

/// One failure (in the order `summary.json` lists it).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FailureEventFigures {
    /// `crash`, `slow`, `errors`, `partition`, `latency`, `crash_data_center` or
    /// `clock_jump`.
    pub kind: String,
    /// What it struck, as the scenario names it.
    pub target: String,
    /// The instance it struck; `null` for the whole target.
    pub instance: Option<u64>,
    /// When it began [s since the start].
    pub start_s: f64,
    /// When it was undone [s since the start]; `null` if still in effect at the end.
    pub end_s: Option<f64>,
    /// How long it lasted [s], up to the end of the run if still in effect.
    pub duration_s: f64,
    /// The downtime it caused (the first interval that began while it was in effect) [s];
    /// `null` if clients saw none.
    pub observed_downtime_s: Option<f64>,
    /// From its start to the end of that downtime [s]; `null` if none, or not recovered.
    pub time_to_recover_s: Option<f64>,
    /// The requests it affected (see [`crate::model::support::impact`]).
    pub impact: ImpactFigures,
}

/// The requests one failure affected, attributed to it (in the order `summary.json` lists
/// them): requests born after the warm-up that failed, were rejected, timed out, or (with an
/// `slo`) succeeded slower than its latency.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImpactFigures {
    #[serde(flatten)]
    pub counts: ImpactCounts,
    /// When the first affected request ended [s since the start]; `null` if none.
    pub first_s: Option<f64>,
    /// When the last one ended [s since the start]; `null` if none.
    pub last_s: Option<f64>,
    /// The same counts per request type (only when the scenario has several).
    #[serde(default, skip_serializing_if = "indexmap::IndexMap::is_empty")]
    pub by_type: indexmap::IndexMap<String, ImpactCounts>,
}

/// Affected requests by outcome.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImpactCounts {
    /// All of them.
    pub affected: u64,
    pub failed: u64,
    pub rejected: u64,
    pub timed_out: u64,
    /// Succeeded slower than the objective's latency; `null` without an `slo`.
    pub slow: Option<u64>,
}
