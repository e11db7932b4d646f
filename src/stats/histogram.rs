//! Latency histograms.
//!
//! Summary histograms keep 3 significant digits (relative error below 0.1%) over 1 ns to 10^13 ns
//! (2.8 hours); larger values are clamped to the top and still counted. Their exact mean and
//! maximum are kept on the side, since the histogram only knows values to its precision.
//! Window histograms keep 1 significant digit (about 6% relative error) in u32 counters: about
//! 2.5 KiB each, so thousands of windows stay small.

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::engine::SimDuration;

/// Largest latency a histogram distinguishes [ns]; larger values are clamped to it.
const HIGHEST_NS: u64 = 10_000_000_000_000;

/// Latency distribution with accurate percentiles, exact mean and exact maximum.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    histogram: Histogram<u64>,
    sum_ns: u128,
    max_ns: u64,
}

/// Latency figures in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

fn new_histogram<T: hdrhistogram::Counter>(significant_digits: u8) -> Histogram<T> {
    // The bounds are constants that hdrhistogram accepts; failure would be a programming error
    // caught by every test that records a latency.
    Histogram::new_with_bounds(1, HIGHEST_NS, significant_digits)
        .expect("constant histogram bounds are valid")
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    pub fn new() -> Self {
        LatencyHistogram {
            histogram: new_histogram(3),
            sum_ns: 0,
            max_ns: 0,
        }
    }

    pub fn record(&mut self, latency: SimDuration) {
        let ns = latency.as_nanos();
        self.histogram.saturating_record(ns.clamp(1, HIGHEST_NS));
        self.sum_ns += u128::from(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    pub fn mean_ms(&self) -> f64 {
        match self.count() {
            0 => 0.0,
            n => self.sum_ns as f64 / n as f64 / 1e6,
        }
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
        // hdrhistogram reports the highest value equivalent to the bucket; never above the
        // exact maximum.
        (self.histogram.value_at_quantile(q).min(self.max_ns)) as f64 / 1e6
    }

    pub fn summary(&self) -> LatencySummary {
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
        // Same bounds on both sides, so `add` cannot fail.
        let _ = self.histogram.add(&other.histogram);
        self.sum_ns += other.sum_ns;
        self.max_ns = self.max_ns.max(other.max_ns);
    }

    /// Fraction of values at or below `latency`.
    pub fn fraction_at_or_below(&self, latency: SimDuration) -> f64 {
        match self.count() {
            0 => 1.0,
            n => {
                let upto = latency.as_nanos().clamp(1, HIGHEST_NS);
                let below = self.histogram.count_between(1, upto);
                below as f64 / n as f64
            }
        }
    }
}

/// A small latency histogram for one time window.
#[derive(Clone, Debug)]
pub struct WindowHistogram {
    histogram: Histogram<u32>,
    sum_ns: u128,
}

impl Default for WindowHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl WindowHistogram {
    pub fn new() -> Self {
        WindowHistogram {
            histogram: new_histogram(1),
            sum_ns: 0,
        }
    }

    pub fn record(&mut self, latency: SimDuration) {
        let ns = latency.as_nanos();
        self.histogram.saturating_record(ns.clamp(1, HIGHEST_NS));
        self.sum_ns += u128::from(ns);
    }

    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    pub fn mean_ms(&self) -> f64 {
        match self.count() {
            0 => 0.0,
            n => self.sum_ns as f64 / n as f64 / 1e6,
        }
    }

    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.count() == 0 {
            return 0.0;
        }
        self.histogram.value_at_quantile(q) as f64 / 1e6
    }

    pub fn merge(&mut self, other: &WindowHistogram) {
        let _ = self.histogram.add(&other.histogram);
        self.sum_ns += other.sum_ns;
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
        assert!(w.histogram.distinct_values() * 4 < 4096);
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
}
