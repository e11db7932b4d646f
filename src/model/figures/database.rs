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
        /// The key most stale reads were of (after the warm-up), where there were any: why
        /// they happen.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub stale_reads_top_key: Option<StaleKey>,
        /// Writes the old master had applied but not acknowledged, discarded at a failover.
        pub unacknowledged_writes_discarded: u64,
        /// Acknowledged writes the promoted replica had not applied, lost at a failover.
        pub unreplicated_writes_lost: u64,
        pub writes: u64,
        /// Writes failed at once because no master was up.
        pub writes_failed_no_master: u64,
    }
}

/// The key most stale reads were of. Both counts are lower bounds (counted in fixed memory,
/// [`crate::model::support::top_keys`]): short of the truth by at most a ninth of the stale
/// reads, and of the writes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StaleKey {
    pub key: u64,
    /// At least this many of the stale reads were of the key.
    pub stale_reads_at_least: u64,
    /// At least this many writes (after the warm-up) were of the key.
    pub writes_at_least: u64,
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

/// Stale reads of one key, at the least, before [`DatabaseFigures::stale_reads_explained`]
/// blames a hot key: fewer are a coincidence of timing, not a pattern.
const HOT_KEY_STALE_READS: u64 = 30;

impl DatabaseFigures {
    /// Where the stale reads come from, in words, over `measured_s` seconds after the
    /// warm-up; `None` without stale reads. A read is stale when the replica serving it had
    /// not applied the latest acknowledged write of its key: so a key written more often than
    /// the replication lag is stale on most of its replica reads, and a hot key that is also
    /// written makes most of them.
    pub fn stale_reads_explained(&self, measured_s: f64) -> Option<String> {
        if self.stale_reads == 0 {
            return None;
        }
        let lag = self
            .replication_lag_ms
            .map_or_else(|| "unknown".to_string(), |l| format!("{:.1}ms", l.mean));
        let cause = format!(
            "a replica served the read before applying the key's latest acknowledged write \
             (replication lag {lag} mean)"
        );
        let Some(top) = &self.stale_reads_top_key else {
            return Some(cause);
        };
        let share = top.stale_reads_at_least as f64 / self.stale_reads as f64;
        let rate = top.writes_at_least as f64 / measured_s.max(f64::MIN_POSITIVE);
        // A pattern, not a coincidence: most stale reads on one key that is written.
        if share < 0.5 || top.stale_reads_at_least < HOT_KEY_STALE_READS || rate <= 0.0 {
            return Some(format!(
                "{cause}; spread over keys (the most, key {}, has at least {} of the {})",
                top.key, top.stale_reads_at_least, self.stale_reads
            ));
        }
        let of_them = if top.stale_reads_at_least == self.stale_reads {
            "all of them are".to_string()
        } else {
            // Floored: a lower bound must not round up.
            format!(
                "at least {:.1}% of them are",
                (share * 1000.0).floor() / 10.0
            )
        };
        let every_ms = 1000.0 / rate;
        let compared = match self.replication_lag_ms {
            Some(l) if every_ms <= l.mean => "more often than the lag",
            Some(_) => "often, against that lag",
            None => "often",
        };
        Some(format!(
            "{cause}; {of_them} reads of one hot key ({}), written at least {rate:.1}/s (one \
             write every {every_ms:.1}ms or less), {compared}: most of its replica reads come \
             before its latest write is applied (read it from the master, or cache it and \
             invalidate on write)",
            top.key
        ))
    }
}
