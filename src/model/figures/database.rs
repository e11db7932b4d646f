//! What a `database` component reports beside the common figures, in `summary.json`'s order
//! (see [`super`]).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::stats::LatencyBrief;

crate::kind_figures! {
    /// What a replicated database reports (`summary.json`'s figures of a `database` component).
    pub struct DatabaseFigures {
        /// How reads are spread over the replicas (`round_robin`, `random`,
        /// `least_connections`, `nearest`).
        pub balance: String,
        /// Reads and stale reads per client region, in the scenario's region order (regions
        /// without reads left out); only where the scenario has regions.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub by_client_region: Option<IndexMap<String, RegionReads>>,
        /// Requests each node serves at once.
        pub connections: u64,
        /// Every failover, in the order the masters crashed.
        pub failovers: Vec<FailoverFigures>,
        /// Time-weighted fraction of the measured period with a master up.
        pub master_available: f64,
        /// Each node, master (node 0 at the start) first.
        pub nodes: Vec<DbNodeFigures>,
        pub reads: u64,
        /// Reads failed because no node was up.
        pub reads_failed_no_node: u64,
        /// `master` or `replicas`.
        pub reads_from: String,
        pub replicas: u64,
        /// `async`, `semi_sync` or `sync`.
        pub replication: String,
        /// Time from the master applying a write to a replica applying it [ms]; `null` when no
        /// write was replicated.
        pub replication_lag_ms: Option<LatencyBrief>,
        /// stale_reads / reads; `null` without reads.
        pub stale_read_ratio: Option<f64>,
        /// Reads a replica served before applying the latest acknowledged write of the key.
        pub stale_reads: u64,
        /// Writes the old master had applied but not acknowledged, discarded at a failover.
        pub unacknowledged_writes_discarded: u64,
        /// Acknowledged writes the promoted replica had not applied, lost at a failover.
        pub unreplicated_writes_lost: u64,
        pub writes: u64,
        /// Writes failed at once because no master was up.
        pub writes_failed_no_master: u64,
    }
}

/// One client region's reads (`by_client_region`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionReads {
    pub reads: u64,
    pub stale_reads: u64,
    /// stale_reads / reads.
    pub stale_read_ratio: f64,
}

/// One node of a database (`nodes`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DbNodeFigures {
    /// `name[i]`.
    pub node: String,
    /// `master` or `replica`, at the end of the run.
    pub role: String,
    pub up_at_end: bool,
    pub requests: u64,
    pub reads: u64,
    pub writes: u64,
    pub stale_reads: u64,
    /// Mean busy connections / connections.
    pub utilization: f64,
}

/// One failover of a database (`failovers`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FailoverFigures {
    /// When the master crashed [s of simulated time].
    pub crashed_at_s: f64,
    /// The crashed master, `name[i]`.
    pub old_master: String,
    /// When the crash was detected [s]; `null` if it was not (yet).
    pub detected_at_s: Option<f64>,
    /// When a replica was promoted [s]; `null` if none was.
    pub promoted_at_s: Option<f64>,
    /// The promoted replica, `name[i]`; `null` if none was.
    pub new_master: Option<String>,
    /// Acknowledged writes the promoted replica had not applied.
    pub lost_writes: u64,
    /// Writes the old master had applied but not acknowledged.
    pub discarded_writes: u64,
    /// The old master came back before a replica was promoted.
    pub cancelled: bool,
}
