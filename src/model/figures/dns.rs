//! What a `dns` component reports beside the common figures, in `summary.json`'s order
//! (see [`super`]).

use indexmap::IndexMap;

crate::kind_figures! {
    /// What a geoDNS reports (`summary.json`'s figures of a `dns` component). Counts are
    /// after the warm-up unless said otherwise.
    pub struct DnsFigures {
        /// Requests whose client held a valid answer (no resolution).
        pub cache_hits: u64,
        /// Each data center, by name, in the order of the DNS's targets.
        pub data_centers: IndexMap<String, DataCenterFigures>,
        /// Requests sent to a data center that was down and failed (the whole run).
        pub failed_at_down_data_center: u64,
        /// Every change of a data center's health as the DNS saw it, in time order.
        pub health_events: Vec<DnsHealthEvent>,
        /// Requests whose client resolved first (no valid cached answer).
        pub resolutions: u64,
        /// Per client region (in the scenario's region order, regions that sent nothing left
        /// out): per data center, in target order, what the region sent there.
        pub routing: IndexMap<String, IndexMap<String, RouteFigures>>,
        /// Requests sent to a data center while it was down (the whole run).
        pub sent_to_down_data_center: u64,
        /// Per client region (as in `routing`): the data center that took most of its
        /// requests (ties: the first target).
        pub served_by: IndexMap<String, String>,
        /// How long a client keeps an answer [s].
        pub ttl_s: f64,
    }
}

/// What one client region sent to one data center (in the order `summary.json` lists them).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RouteFigures {
    pub requests: u64,
    /// Of those, the ones that did not succeed.
    pub failed: u64,
    /// requests / the region's requests to every data center.
    pub share: f64,
}

/// One data center at the end of the run (in the order `summary.json` lists them).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DataCenterFigures {
    /// Whether the DNS believed it healthy at the end.
    pub healthy_at_end: bool,
    /// The last time a request was sent to it while it was down [s since the start]; `null`
    /// if none was.
    pub last_sent_while_down_s: Option<f64>,
}

/// A data center found healthy or unhealthy by the DNS's health checks (in the order
/// `summary.json` lists them).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DnsHealthEvent {
    /// When [s since the start].
    pub time_s: f64,
    pub data_center: String,
    pub healthy: bool,
}
