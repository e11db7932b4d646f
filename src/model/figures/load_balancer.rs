//! What a `load_balancer` component reports beside the common figures, in `summary.json`'s order
//! (see [`super`]).

crate::kind_figures! {
    /// What a load balancer reports (`summary.json`'s figures of a `load_balancer` component).
    pub struct BalancerFigures {
        /// Backends ejected by passive health checking (each time one was taken out).
        pub ejections: u64,
        /// Balancers with active health checks: every change of a backend's health, in time
        /// order.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub health_events: Option<Vec<HealthEvent>>,
        /// Calls sent to each backend (over the whole run, warm-up included), group after
        /// group, each group's backends in order (the topology's backend labels follow it).
        pub requests_per_backend: Vec<u64>,
    }
}

/// A backend found healthy or unhealthy by the active health checks (in the order
/// `summary.json` lists them).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HealthEvent {
    /// When [s since the start].
    pub time_s: f64,
    /// The backend's pool (a component named in `backends` or a route's `backends`).
    pub backend: String,
    /// Index of the backend group (`backends`, if given, first, then one per route, in order).
    pub group: u64,
    /// The backend's instance in its pool (`backend[instance]` in a failure's target).
    pub instance: u64,
    /// `healthy` or `unhealthy`.
    pub state: String,
}
