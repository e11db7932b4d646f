//! What the component kinds are built from and share: calls and their table, the network,
//! distributions, key and rate schedules, statistics, breakers, probes, the slab of in-flight
//! work. Nothing here imports a component kind (`tests/no_import_circles.rs` would see the
//! circle through `model/mod.rs`), so a kind can use any of it.

pub mod autoscale;
pub mod breakdown;
pub mod breaker;
pub mod call;
pub mod client_cache;
pub mod count;
pub mod dist;
pub mod downtime;
pub mod impact;
pub mod key_map;
pub mod keys;
pub mod network;
pub mod probe;
pub mod rate;
pub mod sessions;
pub mod slab;
pub mod stats;
pub mod timer;
pub mod top_keys;
pub mod versions;
