//! What a `id_generator` component reports beside the common figures, in `summary.json`'s order
//! (see [`super`]).

use serde::{Deserialize, Serialize};

crate::kind_figures! {
    /// What an ID generator reports (`summary.json`'s figures of an `id_generator`
    /// component). Ids are counted over the whole run, the warm-up included; the other counts
    /// after it.
    pub struct IdGeneratorFigures {
        /// The most ids per second the generator can issue with every node up; `null` where
        /// none applies (a database scheme with a zero service time).
        pub ceiling_ids_per_s: Option<f64>,
        /// Times a node's clock went backwards (snowflake).
        pub clock_backwards_events: u64,
        /// The birthday bound on the probability of a collision among the ids issued; only
        /// for `uuid`.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub collision_probability: Option<f64>,
        /// Calls to a node in another region than the caller's.
        pub cross_region_calls: u64,
        /// Ids issued more than once (checked exactly against every id issued).
        pub duplicates: u64,
        pub failures: IdFailures,
        /// Requests held until a node's clock passed its last timestamp (snowflake, `wait`).
        pub held_by_clock: u64,
        pub ids_issued: u64,
        /// The snowflake id's layout; only for `snowflake`.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pub layout: Option<LayoutFigures>,
        /// Each node, in order.
        pub nodes: Vec<IdNodeFigures>,
        /// Ids smaller than one the generator issued earlier.
        pub out_of_order: u64,
        /// out_of_order / ids_issued; `null` when no id was issued.
        pub out_of_order_ratio: Option<f64>,
        /// The most ids one node issued in one millisecond.
        pub peak_ids_per_ms_per_machine: u64,
        /// `auto_increment`, `multi_master`, `uuid` or `snowflake`.
        pub scheme: String,
        /// Requests that waited for the next millisecond because the sequence was used up
        /// (snowflake).
        pub sequence_waits: u64,
    }
}

/// Failed id requests by cause (`failures`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IdFailures {
    pub total: u64,
    pub no_node_up: u64,
    pub in_crashed_nodes: u64,
    /// Failed by a clock going backwards (snowflake, `fail`).
    pub clock_backwards: u64,
    /// Timestamps beyond `timestamp_bits`.
    pub timestamp_overflow: u64,
    /// Failed by a failure schedule's `errors`.
    pub injected: u64,
    /// Rejected because the node's workers and queue were full.
    pub rejected_queue_full: u64,
}

/// A snowflake id's layout (`layout`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LayoutFigures {
    pub timestamp_bits: u32,
    pub datacenter_bits: u32,
    pub machine_bits: u32,
    pub sequence_bits: u32,
    /// 2^sequence_bits.
    pub ids_per_ms_per_machine: u64,
    /// `wait`, `fail` or `ignore`.
    pub on_clock_backwards: String,
}

/// One node of an ID generator (`nodes`). The optional figures are those of its scheme.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IdNodeFigures {
    /// `name[i]`.
    pub node: String,
    pub up_at_end: bool,
    pub requests: u64,
    pub ids_issued: u64,
    /// The most ids it issued in one millisecond.
    pub peak_ids_per_ms: u64,
    /// Snowflake only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub datacenter_id: Option<u64>,
    /// Snowflake only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub machine_id: Option<u64>,
    /// Snowflake only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub clock_backwards_events: Option<u64>,
    /// The node's clock minus simulated time at the end [ms]; snowflake only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub clock_offset_ms: Option<f64>,
    /// The smallest id issued, `null` if none; every scheme but `uuid` (absent there).
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "present"
    )]
    pub min_id: Option<Option<u64>>,
    /// The largest id issued, `null` if none; every scheme but `uuid` (absent there).
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "present"
    )]
    pub max_id: Option<Option<u64>>,
    /// The master's first id (`multi_master` only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub offset: Option<u64>,
    /// The masters' count, the difference between two ids of one master (`multi_master`
    /// only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub step: Option<u64>,
    /// Ids not congruent to the offset modulo the step, always 0: a check of the scheme
    /// (`multi_master` only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ids_not_congruent_to_offset: Option<u64>,
}

/// Reads a figure that is present, `null` or not (absent figures take the default, `None`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
