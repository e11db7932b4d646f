//! `summary.json`'s `replications` section, as types ([`Replications`]). What goes into it is
//! computed by [`crate::study::replications`]; this is only its shape, so that a summary read
//! back from a file (a shard, `sim merge`) has it typed too.

use serde::{Deserialize, Serialize};

use super::figure::Figure;

/// A headline figure as `summary.json` shows it: a count stays a whole number.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Reading {
    /// Read back from an integer: serde tries the variants in order, and a number written
    /// with a fraction or an exponent (`3.0`) is not a `u64`, so a measure stays a measure.
    Count(u64),
    Measure(f64),
}

impl Reading {
    pub fn value(self) -> f64 {
        match self {
            Reading::Count(n) => n as f64,
            Reading::Measure(x) => x,
        }
    }
}

/// `summary.json`'s `replications`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Replications {
    /// Replications of the study (all of them, also those another shard ran).
    pub count: u32,
    /// Level of the intervals (0.95).
    pub confidence: f64,
    /// The seed of each replication the figures are over, in replication order.
    pub seeds: Vec<u64>,
    /// Per headline figure that every replication has.
    pub metrics: Metrics,
    /// Indexes (0-based) of the replications the figures are over.
    pub run: Vec<u32>,
    /// Headline figures some replications measured and others could not (a latency where
    /// nothing succeeded): no interval is given for them, and here is why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_in_every_replication: Vec<PartlyMeasured>,
}

/// A headline figure missing from some replications (`not_in_every_replication`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartlyMeasured {
    pub metric: String,
    /// The seeds of the replications that have no value for it.
    pub missing_in_seeds: Vec<u64>,
}

/// One headline figure over the replications: the mean, its Student-t interval and every
/// replication's value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricInterval {
    pub mean: Figure,
    pub ci_low: Figure,
    pub ci_high: Figure,
    pub half_width: Figure,
    pub values: Vec<Reading>,
}

/// Declares [`Metrics`], one optional field per headline figure, in the file's order, with
/// the list of its fields for readers that show every figure.
macro_rules! headline_metrics {
    ($($name:ident),* $(,)?) => {
        /// The `metrics` of the replications section: one field per headline figure of
        /// `study::replications::HEADLINE`, in its order (a test checks both agree), absent
        /// where some replication lacks the figure (no SLO, no prices).
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        pub struct Metrics {
            $(
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $name: Option<MetricInterval>,
            )*
        }

        impl Metrics {
            /// Names of the fields, in order (as `summary.json` writes them).
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];

            /// The figures present, as (name, interval), in the file's order.
            pub fn iter(&self) -> impl Iterator<Item = (&'static str, &MetricInterval)> {
                [$((stringify!($name), self.$name.as_ref())),*]
                    .into_iter()
                    .filter_map(|(name, m)| m.map(|m| (name, m)))
            }

            /// The field of the headline figure `name`, where there is one.
            pub fn slot(&mut self, name: &str) -> Option<&mut Option<MetricInterval>> {
                match name {
                    $(stringify!($name) => Some(&mut self.$name),)*
                    _ => None,
                }
            }
        }
    };
}

headline_metrics! {
    availability,
    throughput_rps,
    offered_rps,
    latency_mean_ms,
    latency_p50_ms,
    latency_p90_ms,
    latency_p95_ms,
    latency_p99_ms,
    latency_p999_ms,
    latency_max_ms,
    requests,
    failed,
    rejected,
    timed_out,
    unfinished,
    slo_good_fraction,
    cost_per_month,
}
