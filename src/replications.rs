//! Statistics over independent replications: mean and Student-t confidence intervals.
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

use serde::Serialize;
use serde_json::{json, Value};

use crate::results::{Figure, Summary};

/// The arithmetic mean (0 for no values), summed in order.
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().fold(0.0, |sum, x| sum + x) / values.len() as f64
}

/// The sample standard deviation (n - 1 in the denominator; 0 for fewer than 2 values).
pub fn std_dev(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values);
    let ss: f64 = values.iter().map(|x| (x - m) * (x - m)).sum();
    (ss / (values.len() - 1) as f64).sqrt()
}

/// A two-sided confidence interval for a mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    pub half_width: f64,
    pub level: f64,
    pub n: usize,
}

impl Interval {
    /// The Student-t interval at `level` (0.95) for the mean of `values`. With fewer than two
    /// values the interval is the single value (no spread can be estimated).
    pub fn of(values: &[f64], level: f64) -> Self {
        let n = values.len();
        let m = mean(values);
        let half_width = if n < 2 {
            0.0
        } else {
            let t = student_t_quantile(0.5 + level / 2.0, (n - 1) as f64);
            t * std_dev(values) / (n as f64).sqrt()
        };
        Interval {
            mean: m,
            low: m - half_width,
            high: m + half_width,
            half_width,
            level,
            n,
        }
    }

    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom (statrs).
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) => t.inverse_cdf(p),
        // Only for df <= 0 or NaN, which no caller passes (n >= 2 replications).
        Err(_) => f64::NAN,
    }
}

/// A headline figure as `summary.json` shows it: a count stays a whole number.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Reading {
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

fn round6(x: f64) -> Value {
    if x.is_finite() {
        json!((x * 1e6).round() / 1e6)
    } else {
        Value::Null
    }
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
/// interval and every replication's value.
pub fn to_json(summaries: &[Summary], level: f64) -> Value {
    let seeds: Vec<u64> = summaries.iter().map(|s| s.seed).collect();
    let figures: serde_json::Map<String, Value> = readings(summaries)
        .into_iter()
        .map(|(name, values)| {
            let numbers: Vec<f64> = values.iter().map(|r| r.value()).collect();
            let ci = Interval::of(&numbers, level);
            (
                name.to_string(),
                json!({
                    "mean": round6(ci.mean),
                    "ci_low": round6(ci.low),
                    "ci_high": round6(ci.high),
                    "half_width": round6(ci.half_width),
                    "values": values,
                }),
            )
        })
        .collect();
    json!({
        "count": summaries.len(),
        "confidence": level,
        "seeds": seeds,
        "metrics": figures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_published_tables() {
        // Two-sided 95% critical values (any statistics table).
        for (df, expected) in [
            (1.0, 12.706_204_736),
            (2.0, 4.302_652_730),
            (4.0, 2.776_445_105),
            (9.0, 2.262_157_163),
            (29.0, 2.045_229_642),
            (1000.0, 1.962_339_081),
        ] {
            let t = student_t_quantile(0.975, df);
            assert!((t - expected).abs() < 1e-6, "df {df}: {t} vs {expected}");
        }
        assert!((student_t_quantile(0.995, 9.0) - 3.249_835_542).abs() < 1e-6);
        assert!((student_t_quantile(0.025, 4.0) + 2.776_445_105).abs() < 1e-6);
    }

    #[test]
    fn interval_of_known_values() {
        let ci = Interval::of(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95);
        // mean 3, s = sqrt(2.5), t(0.975, 4) = 2.776445
        let half = 2.776_445_105 * 2.5_f64.sqrt() / 5.0_f64.sqrt();
        assert!((ci.mean - 3.0).abs() < 1e-12);
        assert!((ci.half_width - half).abs() < 1e-6);
        assert_eq!(Interval::of(&[7.0], 0.95).half_width, 0.0);
    }
}
