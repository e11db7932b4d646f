//! Streaming statistics: memory does not grow with the number of requests.
//!
//! - [`LatencyHistogram`]: latency distribution in HdrHistogram's layout, with exact mean and max.
//! - [`Windows`]: fixed-width time windows that merge pairwise when there would be too many, so
//!   a run of any length keeps at most [`MAX_WINDOWS`] rows.
//! - [`LevelTracker`]: time-weighted averages (busy workers, queue length), overall and per window.
//! - [`Interval`]: the Student-t confidence interval of a mean of independent estimates.

mod buckets;
mod histogram;
mod interval;
mod level;
mod window;

pub use histogram::{nan_if_null, LatencyBrief, LatencyHistogram, LatencySummary, WindowHistogram};
pub use interval::{mean, std_dev, student_t_quantile, Interval};
pub use level::LevelTracker;
pub use window::{Mergeable, Windows, MAX_WINDOWS};

use serde::Serialize;

/// How a request (or one hop of it) ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    /// An error: a dependency failed, a backend was down.
    Failed,
    /// Refused for lack of capacity: a full queue, no backend available.
    Rejected,
    /// Not answered within a deadline.
    TimedOut,
}

/// Counts of finished requests by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Outcomes {
    pub succeeded: u64,
    pub failed: u64,
    pub rejected: u64,
    pub timed_out: u64,
}

impl Outcomes {
    pub fn record(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Succeeded => self.succeeded += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Rejected => self.rejected += 1,
            Outcome::TimedOut => self.timed_out += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.succeeded + self.failed + self.rejected + self.timed_out
    }

    /// Succeeded / total; `NaN` when nothing finished: availability is then unknown, and
    /// reading it as 100% would claim what no request showed.
    pub fn availability(&self) -> f64 {
        match self.total() {
            0 => f64::NAN,
            total => self.succeeded as f64 / total as f64,
        }
    }

    pub fn add(&mut self, other: &Outcomes) {
        self.succeeded += other.succeeded;
        self.failed += other.failed;
        self.rejected += other.rejected;
        self.timed_out += other.timed_out;
    }
}

/// One time window of request counts, with an optional coarse latency histogram.
#[derive(Clone, Debug, Default)]
pub struct WindowRow {
    /// Requests that arrived in the window.
    pub arrivals: u64,
    /// Requests that finished in the window, by outcome.
    pub outcomes: Outcomes,
    /// Latency of the requests that succeeded in the window (allocated on first use).
    pub latency: Option<Box<WindowHistogram>>,
}

impl WindowRow {
    pub fn record_latency(&mut self, latency: crate::engine::SimDuration) {
        self.latency
            .get_or_insert_with(|| Box::new(WindowHistogram::new()))
            .record(latency);
    }
}

impl Mergeable for WindowRow {
    fn merge(&mut self, other: Self) {
        self.arrivals += other.arrivals;
        self.outcomes.add(&other.outcomes);
        match (&mut self.latency, other.latency) {
            (Some(mine), Some(theirs)) => mine.merge(&theirs),
            (mine @ None, theirs) => *mine = theirs,
            (Some(_), None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_counts_every_kind_of_failure() {
        let mut o = Outcomes::default();
        for outcome in [
            Outcome::Succeeded,
            Outcome::Succeeded,
            Outcome::Failed,
            Outcome::Rejected,
            Outcome::TimedOut,
        ] {
            o.record(outcome);
        }
        assert_eq!(o.total(), 5);
        assert!((o.availability() - 0.4).abs() < 1e-12);
        assert!(Outcomes::default().availability().is_nan());
    }
}
