//! The component kinds: one file (or folder) per kind, each behind the engine's one trait
//! (`engine::Component<Msg, World>`) and [`super::Node`]. What they share (calls, the network,
//! distributions, statistics, the slab of in-flight work) is in [`super::support`], which never
//! reaches back up here.

pub mod cache;
pub mod cdn;
pub mod database;
pub mod dns;
pub mod failures;
pub mod fanout;
pub mod id_generator;
pub mod load_balancer;
pub mod provider;
pub mod queue;
pub mod rate_limiter;
pub mod realtime;
pub mod server;
pub mod shard;
pub mod source;
