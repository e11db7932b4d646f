//! Latency histograms.
//!
//! Summary histograms keep 3 significant digits (relative error below 0.1%) over 1 ns to 10^13 ns
//! (2.8 hours); larger values are clamped to the top and still counted. Their exact mean and
//! maximum are kept on the side, since the histogram only knows values to its precision.
//! Window histograms keep 1 significant digit (about 6% relative error) in u32 counters: about
//! 2.5 KiB each, so thousands of windows stay small.

use serde::{Deserialize, Serialize};

use super::buckets::{Count, LogBuckets};
use crate::engine::SimDuration;

/// Largest latency a histogram distinguishes [ns]; larger values are clamped to it.
const HIGHEST_NS: u64 = 10_000_000_000_000;

/// Latency distribution with accurate percentiles, exact mean and exact maximum.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    values: Values<u64>,
    max_ns: u64,
}

/// Latency figures in milliseconds; NaN (written `null`) when no value was recorded, since a
/// latency of nothing is not zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    #[serde(deserialize_with = "nan_if_null")]
    pub mean: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p50: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p90: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p95: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p99: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p999: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub max: f64,
}

/// The short form of [`LatencySummary`] some components report: mean, median, 99th percentile
/// and maximum [ms].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyBrief {
    #[serde(deserialize_with = "nan_if_null")]
    pub mean: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p50: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub p99: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub max: f64,
}

/// Reads a figure written as `null` (NaN, or nothing measured) back as NaN.
pub fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

impl LatencySummary {
    /// The figures of no value at all: unknown, not zero.
    pub const NOTHING: LatencySummary = LatencySummary {
        mean: f64::NAN,
        p50: f64::NAN,
        p90: f64::NAN,
        p95: f64::NAN,
        p99: f64::NAN,
        p999: f64::NAN,
        max: f64::NAN,
    };
}

impl From<LatencySummary> for LatencyBrief {
    fn from(l: LatencySummary) -> Self {
        LatencyBrief {
            mean: l.mean,
            p50: l.p50,
            p99: l.p99,
            max: l.max,
        }
    }
}

/// The part both histogram kinds share: the bucket counts and the exact sum of the values.
#[derive(Clone, Debug)]
struct Values<T: Count> {
    histogram: LogBuckets<T>,
    sum_ns: u128,
}

impl<T: Count> Values<T> {
    fn new(significant_digits: u8) -> Self {
        Values {
            histogram: LogBuckets::new(HIGHEST_NS, significant_digits),
            sum_ns: 0,
        }
    }

    #[inline]
    fn record(&mut self, ns: u64) {
        self.histogram.record(ns.clamp(1, HIGHEST_NS));
        self.sum_ns += u128::from(ns);
    }

    fn count(&self) -> u64 {
        self.histogram.len()
    }

    fn mean_ms(&self) -> f64 {
        match self.count() {
            0 => 0.0,
            n => self.sum_ns as f64 / n as f64 / 1e6,
        }
    }

    fn merge(&mut self, other: &Values<T>) {
        // Same bounds and digits on both sides.
        self.histogram.add(&other.histogram);
        self.sum_ns += other.sum_ns;
    }
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    pub fn new() -> Self {
        LatencyHistogram {
            values: Values::new(3),
            max_ns: 0,
        }
    }

    #[inline]
    pub fn record(&mut self, latency: SimDuration) {
        let ns = latency.as_nanos();
        self.values.record(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    pub fn count(&self) -> u64 {
        self.values.count()
    }

    pub fn mean_ms(&self) -> f64 {
        self.values.mean_ms()
    }

    pub fn max_ms(&self) -> f64 {
        self.max_ns as f64 / 1e6
    }

    /// The latency below which a fraction `q` (0..=1) of the values lie [ms].
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.count() == 0 {
            return 0.0;
        }
        if q >= 1.0 {
            return self.max_ms();
        }
        // The highest value equivalent to the bucket, never above the exact maximum.
        (self.values.histogram.value_at_quantile(q).min(self.max_ns)) as f64 / 1e6
    }

    /// Every figure NaN when nothing was recorded.
    pub fn summary(&self) -> LatencySummary {
        if self.count() == 0 {
            return LatencySummary::NOTHING;
        }
        LatencySummary {
            mean: self.mean_ms(),
            p50: self.quantile_ms(0.50),
            p90: self.quantile_ms(0.90),
            p95: self.quantile_ms(0.95),
            p99: self.quantile_ms(0.99),
            p999: self.quantile_ms(0.999),
            max: self.max_ms(),
        }
    }

    /// Adds every value of `other`: merging by integer counts keeps results independent of the
    /// order in which parallel runs finish.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        self.values.merge(&other.values);
        self.max_ns = self.max_ns.max(other.max_ns);
    }

    /// Fraction of values at or below `latency`.
    pub fn fraction_at_or_below(&self, latency: SimDuration) -> f64 {
        match self.count() {
            0 => 1.0,
            n => {
                let upto = latency.as_nanos().clamp(1, HIGHEST_NS);
                let below = self.values.histogram.count_between(1, upto);
                below as f64 / n as f64
            }
        }
    }
}

impl LatencyHistogram {
    /// The distribution as `(latency [ms], fraction of values at or below it)` points, in
    /// increasing order, at most `max_points` of them (at least 4 are kept whatever is asked).
    ///
    /// The points come from the histogram's recorded buckets (each bucket's highest equivalent
    /// value, capped at the exact maximum), preceded by `(lowest value, 0)` so that the curve
    /// starts at zero. When there are more buckets than points, a bucket is kept once the
    /// fraction or the logarithm of the latency has moved far enough since the last kept one:
    /// half the budget goes to each, so both the body (fraction) and a long tail (latency)
    /// keep their shape. The last bucket (fraction 1) is always kept.
    pub fn cdf_points(&self, max_points: usize) -> Vec<(f64, f64)> {
        let n = self.count();
        if n == 0 {
            return Vec::new();
        }
        let mut buckets: Vec<(u64, u64)> = Vec::new();
        let mut cumulative = 0u64;
        for (highest_ns, count) in self.values.histogram.iter_recorded() {
            cumulative += count;
            buckets.push((highest_ns.min(self.max_ns).max(1), cumulative));
        }
        let Some(&(first, _)) = buckets.first() else {
            return Vec::new();
        };
        let start = self
            .values
            .histogram
            .lowest_equivalent(first)
            .clamp(1, first);
        let to_point = |(ns, count): (u64, u64)| (ns as f64 / 1e6, count as f64 / n as f64);
        let mut points = vec![(start as f64 / 1e6, 0.0)];
        // Budget: the start and the end, and half of the rest for each criterion.
        let half = (max_points.max(4) - 2) / 2;
        let (last_ns, _) = buckets[buckets.len() - 1];
        let log_span = (last_ns as f64).log10() - (start as f64).log10();
        let min_fraction_step = 1.0 / half as f64;
        let min_log_step = log_span / half as f64;
        let (mut kept_ns, mut kept_count) = (start, 0u64);
        for (i, &(ns, count)) in buckets.iter().enumerate() {
            let is_last = i + 1 == buckets.len();
            let fraction_step = (count - kept_count) as f64 / n as f64;
            let log_step = (ns as f64).log10() - (kept_ns as f64).log10();
            if is_last || fraction_step >= min_fraction_step || log_step >= min_log_step {
                points.push(to_point((ns, count)));
                (kept_ns, kept_count) = (ns, count);
            }
        }
        // Merging buckets capped at the maximum can repeat a latency: keep the higher fraction.
        points.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                earlier.1 = earlier.1.max(later.1);
                true
            } else {
                false
            }
        });
        points
    }
}

/// A small latency histogram for one time window.
#[derive(Clone, Debug)]
pub struct WindowHistogram {
    values: Values<u32>,
}

impl Default for WindowHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl WindowHistogram {
    pub fn new() -> Self {
        WindowHistogram {
            values: Values::new(1),
        }
    }

    #[inline]
    pub fn record(&mut self, latency: SimDuration) {
        self.values.record(latency.as_nanos());
    }

    pub fn count(&self) -> u64 {
        self.values.count()
    }

    pub fn mean_ms(&self) -> f64 {
        self.values.mean_ms()
    }

    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.count() == 0 {
            return 0.0;
        }
        self.values.histogram.value_at_quantile(q) as f64 / 1e6
    }

    pub fn merge(&mut self, other: &WindowHistogram) {
        self.values.merge(&other.values);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_within_the_stated_precision() {
        let mut h = LatencyHistogram::new();
        for ms in 1..=1000u64 {
            h.record(SimDuration::from_millis(ms));
        }
        let s = h.summary();
        assert!((s.p50 - 500.0).abs() / 500.0 < 1e-3, "{s:?}");
        assert!((s.p99 - 990.0).abs() / 990.0 < 1e-3, "{s:?}");
        assert_eq!(s.max, 1000.0);
        assert!((s.mean - 500.5).abs() < 1e-9);
    }

    #[test]
    fn huge_values_are_clamped_but_counted() {
        let mut h = LatencyHistogram::new();
        h.record(SimDuration::MAX);
        h.record(SimDuration::ZERO);
        assert_eq!(h.count(), 2);
        assert!(h.quantile_ms(0.99) > 0.0);
    }

    #[test]
    fn window_histograms_are_small() {
        let w = WindowHistogram::new();
        // 1 significant digit and u32 counters: a few KiB, not hundreds.
        assert!(w.values.histogram.distinct_values() * 4 < 4096);
    }

    #[test]
    fn merging_equals_recording_everything_in_one() {
        let mut a = LatencyHistogram::new();
        let mut b = LatencyHistogram::new();
        let mut all = LatencyHistogram::new();
        for i in 0..500u64 {
            let d = SimDuration::from_nanos(i * 7919 % 100_000 + 1);
            if i % 2 == 0 {
                a.record(d)
            } else {
                b.record(d)
            }
            all.record(d);
        }
        a.merge(&b);
        assert_eq!(a.summary(), all.summary());
    }

    #[test]
    fn cdf_points_are_bounded_monotone_and_end_at_one() {
        let mut h = LatencyHistogram::new();
        // A long tail: 1 us .. 10 s, many distinct buckets.
        for i in 0..200_000u64 {
            let ns = 1_000 + (i * i) % 10_000_000_000;
            h.record(SimDuration::from_nanos(ns));
        }
        let points = h.cdf_points(200);
        assert!(points.len() <= 200, "{} points", points.len());
        assert!(points.len() > 100, "{} points", points.len());
        assert_eq!(points[0].1, 0.0);
        assert_eq!(points.last().map(|p| p.1), Some(1.0));
        assert!(points
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1));
        // Never beyond the exact maximum.
        assert!(points.last().map(|p| p.0).unwrap_or(0.0) <= h.max_ms());
        // The median read off the points agrees with the histogram's.
        let median = points
            .iter()
            .find(|p| p.1 >= 0.5)
            .map(|p| p.0)
            .unwrap_or(0.0);
        assert!((median - h.quantile_ms(0.5)).abs() / h.quantile_ms(0.5) < 0.05);
    }

    #[test]
    fn cdf_points_of_few_values_are_exact() {
        let mut h = LatencyHistogram::new();
        assert!(h.cdf_points(200).is_empty());
        h.record(SimDuration::from_millis(10));
        h.record(SimDuration::from_millis(10));
        h.record(SimDuration::from_millis(20));
        h.record(SimDuration::from_millis(40));
        let points = h.cdf_points(200);
        assert_eq!(points.len(), 4);
        assert_eq!(points[0].1, 0.0);
        assert!((points[0].0 - 10.0).abs() < 0.01);
        assert_eq!(points[1].1, 0.5);
        assert_eq!(points[2].1, 0.75);
        assert_eq!(points[3], (40.0, 1.0));
    }
}
