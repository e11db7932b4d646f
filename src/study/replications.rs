//! A study's replications: the headline figures of each replication's summary, and
//! `summary.json`'s `replications` section (their means and Student-t confidence intervals,
//! [`crate::stats::Interval`]).
//!
//! Replication `i` (0-based) runs with seed `seed + i`; each seeds ChaCha8 through
//! `seed_from_u64`, so the streams are independent. The figures of one replication are already
//! free of the warm-up (requests born before it are left out of every summary figure), so the
//! replication means are independent, identically distributed estimates and the interval
//! `mean ± t(1 - α/2, n - 1) · s / √n` has coverage 1 - α when they are close to normal
//! (checked for M/M/1 in `tests/replications.rs`).
//!
//! Everything here is sequential: replications run in parallel but their figures are reduced
//! here in replication order, so the result does not depend on the number of threads.

use crate::results::replications::{MetricInterval, Metrics, PartlyMeasured, Replications};
use crate::results::{Figure, Summary};
use crate::stats::Interval;

pub use crate::results::replications::Reading;

/// Reads one headline figure of a summary; `None` where it has none (no SLO, no prices, no
/// request measured).
pub type Read = fn(&Summary) -> Option<Reading>;

fn measure(f: Figure) -> Option<Reading> {
    f.written().map(Reading::Measure)
}

/// Headline figures of a summary, as (name, how to read it), in table order.
pub const HEADLINE: &[(&str, Read)] = &[
    ("availability", |s| measure(s.availability)),
    ("throughput_rps", |s| measure(s.throughput_rps)),
    ("offered_rps", |s| measure(s.offered_rps)),
    ("latency_mean_ms", |s| measure(s.latency_ms.mean)),
    ("latency_p50_ms", |s| measure(s.latency_ms.p50)),
    ("latency_p90_ms", |s| measure(s.latency_ms.p90)),
    ("latency_p95_ms", |s| measure(s.latency_ms.p95)),
    ("latency_p99_ms", |s| measure(s.latency_ms.p99)),
    ("latency_p999_ms", |s| measure(s.latency_ms.p999)),
    ("latency_max_ms", |s| measure(s.latency_ms.max)),
    ("requests", |s| Some(Reading::Count(s.requests.total))),
    ("failed", |s| Some(Reading::Count(s.requests.failed))),
    ("rejected", |s| Some(Reading::Count(s.requests.rejected))),
    ("timed_out", |s| Some(Reading::Count(s.requests.timed_out))),
    ("unfinished", |s| {
        Some(Reading::Count(s.requests.unfinished))
    }),
    ("slo_good_fraction", |s| {
        measure(s.slo.as_ref()?.good_fraction)
    }),
    ("cost_per_month", |s| measure(s.cost.as_ref()?.per_month)),
];

/// Whether a larger value of a headline figure is better (for "winner" columns).
pub fn higher_is_better(name: &str) -> Option<bool> {
    match name {
        "availability" | "throughput_rps" | "slo_good_fraction" => Some(true),
        "offered_rps" | "requests" => None,
        _ => Some(false),
    }
}

/// The headline figures of one summary (figures it has none of, such as the SLO of a scenario
/// without one, are left out).
pub fn headline(summary: &Summary) -> Vec<(&'static str, f64)> {
    HEADLINE
        .iter()
        .filter_map(|&(name, read)| read(summary).map(|r| (name, r.value())))
        .collect()
}

/// Every replication's reading of each headline figure that all of them have, in
/// [`HEADLINE`] order.
fn readings(summaries: &[Summary]) -> Vec<(&'static str, Vec<Reading>)> {
    HEADLINE
        .iter()
        .filter_map(|&(name, read)| {
            let values: Option<Vec<Reading>> = summaries.iter().map(read).collect();
            values.map(|v| (name, v))
        })
        .collect()
}

/// Interval per headline figure over the replications' summaries, in [`HEADLINE`] order.
pub fn intervals(summaries: &[Summary], level: f64) -> Vec<(&'static str, Interval)> {
    readings(summaries)
        .into_iter()
        .map(|(name, values)| {
            let values: Vec<f64> = values.into_iter().map(Reading::value).collect();
            (name, Interval::of(&values, level))
        })
        .collect()
}

/// `summary.json`'s `replications` section: seeds, and per headline figure the mean, the
/// interval and every replication's value. `count` is the study's number of replications and
/// `run` the indexes of those `summaries` are of (a shard runs some of them).
pub fn section(summaries: &[Summary], level: f64, count: u32, run: Vec<u32>) -> Replications {
    let mut metrics = Metrics::default();
    for (name, values) in readings(summaries) {
        let numbers: Vec<f64> = values.iter().map(|r| r.value()).collect();
        let ci = Interval::of(&numbers, level);
        // Every HEADLINE name has its field (tests below), so none is dropped here.
        if let Some(slot) = metrics.slot(name) {
            *slot = Some(MetricInterval {
                mean: Figure(ci.mean),
                ci_low: Figure(ci.low),
                ci_high: Figure(ci.high),
                half_width: Figure(ci.half_width),
                values,
            });
        }
    }
    // A figure some replications have and others not (not one no replication has, such as the
    // objective of a scenario without one) would otherwise vanish from the table unexplained.
    let not_in_every_replication = HEADLINE
        .iter()
        .filter_map(|&(name, read)| {
            let missing: Vec<u64> = summaries
                .iter()
                .filter(|s| read(s).is_none())
                .map(|s| s.seed)
                .collect();
            (!missing.is_empty() && missing.len() < summaries.len()).then(|| PartlyMeasured {
                metric: name.to_string(),
                missing_in_seeds: missing,
            })
        })
        .collect();
    Replications {
        count,
        confidence: level,
        seeds: summaries.iter().map(|s| s.seed).collect(),
        metrics,
        run,
        not_in_every_replication,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_headline_figure_has_its_field_in_the_same_order() {
        let names: Vec<&str> = HEADLINE.iter().map(|&(name, _)| name).collect();
        assert_eq!(names, Metrics::NAMES);
        let mut metrics = Metrics::default();
        for name in &names {
            assert!(metrics.slot(name).is_some(), "{name} has no field");
        }
    }
}
