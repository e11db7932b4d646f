//! sim: a deterministic discrete-event simulator of scale-out web architectures.
//!
//! Layers, from the bottom: [`engine`] (time, events, random streams; no web concepts),
//! [`model`] (requests, servers, load balancers, traffic), [`stats`] (streaming histograms,
//! windows, confidence intervals), [`scenario`] (YAML in, checked plan, built engine),
//! [`report`] (results out), [`study`] (replications, overrides, shards, the capacity and
//! cheapest-design searches) and [`cli`]. Everything written to disk or stdout goes through [`output`], which keeps sim from
//! deleting or replacing what it did not write.

pub mod analytic;
pub mod assertions;
pub mod cli;
pub mod cost;
pub mod course;
pub mod engine;
pub mod estimate;
pub mod explain;
pub mod format;
pub mod heap;
pub mod insight;
pub mod model;
pub mod output;
pub mod report;
pub mod results;
pub mod run;
pub mod scenario;
pub mod stats;
pub mod study;
