//! What a `shard` component reports beside the common figures, in `summary.json`'s order
//! (see [`super`]).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

crate::kind_figures! {
    /// What a sharded database's router reports (`summary.json`'s figures of a
    /// `sharded_database` component).
    pub struct ShardedDatabaseFigures {
        /// Requests to the busiest shard in use / the mean over the shards in use (0 without
        /// requests).
        pub busiest_shard_load_ratio: f64,
        /// Keys are popularity ranks in `[0, key_space)`.
        pub key_space: u64,
        /// `hash`, `range` or `consistent`.
        pub placement: String,
        /// The resharding, `null` when none is scripted.
        pub resharding: Option<Resharding>,
        /// Every shard listed, in use or not, in the scenario's order.
        pub shards: Vec<ShardFigures>,
        /// Shards in use at the end (the first `shards_in_use` of `shards`).
        pub shards_in_use: u64,
        /// Points per shard on the hash ring (`consistent` placement).
        pub virtual_nodes: u64,
    }
}

/// One shard's load as the router saw it (`shards`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardFigures {
    pub shard: String,
    pub requests: u64,
    /// This shard's requests / the router's (0 without requests).
    pub share: f64,
    pub succeeded: u64,
    pub failed: u64,
    /// Latency seen by the router, network included [ms].
    pub latency_ms: ShardLatency,
}

/// Mean, median and 99th percentile [ms].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardLatency {
    #[serde(deserialize_with = "crate::stats::nan_if_null")]
    pub mean: f64,
    #[serde(deserialize_with = "crate::stats::nan_if_null")]
    pub p50: f64,
    #[serde(deserialize_with = "crate::stats::nan_if_null")]
    pub p99: f64,
}

/// A scripted resharding (`resharding`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Resharding {
    /// When it starts [s of simulated time].
    pub at_s: f64,
    /// Shards in use before.
    pub from: u64,
    /// Shards in use after.
    pub to: u64,
    /// The router placed keys over the new shards during the run.
    pub done: bool,
    /// How long the migration lasts under the scenario's placement [s].
    pub migration_s: f64,
    /// Factor the shards moving keys are slowed down by during the migration.
    pub slowdown: f64,
    /// The shards that send or receive keys under the scenario's placement.
    pub shards_slowed: Vec<String>,
    /// The keys that move under each placement, by placement name (`hash`, `range`,
    /// `consistent`, in that order).
    pub moves: IndexMap<String, KeyMoves>,
}

/// The keys one placement moves (`resharding.moves`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyMoves {
    pub moved_keys: u64,
    /// moved_keys / key_space.
    pub moved_fraction: f64,
    /// Counted on an evenly spaced sample of the key space and scaled up.
    pub estimated: bool,
}
