//! Statistics every component keeps, and the report it gives after the run.

use std::collections::BTreeMap;

use crate::engine::SimTime;
use crate::model::kind::Kind;
use crate::stats::{
    LatencyHistogram, LatencySummary, LevelTracker, Outcome, Outcomes, WindowRow, Windows,
};

/// When statistics count and how they are windowed.
#[derive(Clone, Copy, Debug)]
pub struct StatsClock {
    /// Requests born before this instant are left out of the summary (but not the windows).
    pub warmup_end: SimTime,
    /// Width of the time windows [ns].
    pub window_ns: u64,
}

/// Counts and latencies of requests (or calls) through one place.
///
/// Summary figures count requests that *arrived* after the warm-up; window rows count arrivals
/// by arrival time and outcomes and latencies by completion time, over the whole run.
pub struct RequestStats {
    clock: StatsClock,
    /// Whether window rows keep a latency histogram (only the end-to-end series needs one; the
    /// others would cost a histogram record and merges for nothing).
    window_latency: bool,
    pub arrivals: u64,
    pub outcomes: Outcomes,
    /// Of `outcomes.rejected`, those this place turned away itself ([`RequestStats::refuse`]):
    /// it was full or at its limit. The others are rejections its callees returned through it.
    pub refused: u64,
    /// Latency of succeeded requests.
    pub latency: LatencyHistogram,
    pub windows: Windows<WindowRow>,
}

impl RequestStats {
    /// Statistics whose windows count requests only.
    pub fn new(clock: StatsClock) -> Self {
        RequestStats {
            clock,
            window_latency: false,
            arrivals: 0,
            outcomes: Outcomes::default(),
            refused: 0,
            latency: LatencyHistogram::new(),
            windows: Windows::new(clock.window_ns),
        }
    }

    pub fn warmup_end(&self) -> SimTime {
        self.clock.warmup_end
    }

    /// Statistics whose windows also keep a coarse latency histogram.
    pub fn with_window_latency(clock: StatsClock) -> Self {
        RequestStats {
            window_latency: true,
            ..Self::new(clock)
        }
    }

    pub fn arrive(&mut self, now: SimTime) {
        if now >= self.clock.warmup_end {
            self.arrivals += 1;
        }
        self.windows.at(now).arrivals += 1;
    }

    /// Records a request that arrived at `arrived` and finished at `now`.
    pub fn finish(&mut self, arrived: SimTime, now: SimTime, outcome: Outcome) {
        let latency = now - arrived;
        let row = self.windows.at(now);
        row.outcomes.record(outcome);
        if self.window_latency && outcome == Outcome::Succeeded {
            row.record_latency(latency);
        }
        if arrived >= self.clock.warmup_end {
            self.outcomes.record(outcome);
            if outcome == Outcome::Succeeded {
                self.latency.record(latency);
            }
        }
    }
}

impl RequestStats {
    /// Records a request (arrived at `arrived`) this place turned away itself at `now`,
    /// because it was full (a full queue) or at its limit (a rate limit): rejected, and counted
    /// in [`RequestStats::refused`], which tells what limits the system from what only passes
    /// a rejection on.
    pub fn refuse(&mut self, arrived: SimTime, now: SimTime) {
        self.finish(arrived, now, Outcome::Rejected);
        if arrived >= self.clock.warmup_end {
            self.refused += 1;
        }
    }
}

/// Request statistics plus time-weighted busy and queue levels.
pub struct NodeStats {
    pub requests: RequestStats,
    /// Busy workers, out of `capacity`.
    pub busy: LevelTracker,
    pub capacity: u64,
    /// Requests waiting.
    pub queue: LevelTracker,
}

impl NodeStats {
    pub fn new(clock: StatsClock, capacity: u64) -> Self {
        NodeStats {
            requests: RequestStats::new(clock),
            busy: LevelTracker::new(clock.warmup_end, clock.window_ns),
            capacity,
            queue: LevelTracker::new(clock.warmup_end, clock.window_ns),
        }
    }

    /// Closes the time-weighted integrals at the end of the run.
    pub fn close(&mut self, end: SimTime) {
        self.busy.advance_to(end);
        self.queue.advance_to(end);
    }

    pub fn utilization(&self, end: SimTime) -> f64 {
        if self.capacity == 0 {
            0.0
        } else {
            self.busy.mean(end) / self.capacity as f64
        }
    }
}

/// A per-window series a component adds to `timeseries.csv`, as column `<name>.<suffix>`.
/// Every kind survives the merging of adjacent windows (its rows are sums).
#[derive(Clone, Debug)]
pub enum WindowSeries {
    /// Events per window.
    Count(Windows<f64>),
    /// `numerator / denominator` per window (e.g. hits / reads); empty where the denominator
    /// is 0.
    Ratio(Windows<f64>, Windows<f64>),
    /// Time integral of a level per window [level * s] (from a [`LevelTracker`]); shown as the
    /// window's time-weighted mean.
    Level(Windows<f64>),
}

impl WindowSeries {
    pub fn width_ns(&self) -> u64 {
        match self {
            WindowSeries::Count(w) | WindowSeries::Level(w) => w.width_ns(),
            WindowSeries::Ratio(n, d) => n.width_ns().max(d.width_ns()),
        }
    }

    pub fn coarsen_to(&mut self, width_ns: u64) {
        match self {
            WindowSeries::Count(w) | WindowSeries::Level(w) => w.coarsen_to(width_ns),
            WindowSeries::Ratio(n, d) => {
                n.coarsen_to(width_ns);
                d.coarsen_to(width_ns);
            }
        }
    }

    /// The value of window `i`, lasting `span_s` seconds; `None` where it is undefined.
    pub fn value(&self, i: usize, span_s: f64) -> Option<f64> {
        let row = |w: &Windows<f64>| w.rows().get(i).copied().unwrap_or(0.0);
        match self {
            WindowSeries::Count(w) => Some(row(w)),
            WindowSeries::Ratio(n, d) => {
                let d = row(d);
                (d > 0.0).then(|| row(n) / d)
            }
            WindowSeries::Level(w) => Some(if span_s > 0.0 { row(w) / span_s } else { 0.0 }),
        }
    }
}

/// What a component reports after a run.
pub struct ComponentReport {
    pub name: String,
    /// The component's kind; `None` for the failure timeline, which drives the scenario's
    /// failures and reports what they did (`summary.json`'s `failures` and `downtime`) but is
    /// not a component: tables, columns and `components` leave it out.
    pub kind: Option<Kind>,
    /// Requests that arrived after the warm-up.
    pub requests: u64,
    pub outcomes: Outcomes,
    /// Of `outcomes.rejected`, the requests the component turned away itself (full, or at its
    /// limit), after the warm-up; see [`RequestStats::refuse`].
    pub refused: u64,
    pub latency: LatencySummary,
    /// Mean fraction of capacity in use, where the component has a capacity.
    pub utilization: Option<f64>,
    /// Time-average number of waiting requests, where the component queues.
    pub queue_mean: Option<f64>,
    pub queue_peak: Option<u64>,
    /// What failures destroyed, by category ("requests_in_crashed_instances", ...): summed over
    /// components into the summary's `lost` section.
    pub lost: BTreeMap<&'static str, u64>,
    /// The kind's own figures.
    pub figures: crate::model::figures::Figures,
    /// Per-window request counts.
    pub windows: Windows<WindowRow>,
    /// Per-window utilisation (busy integral / (capacity * width)) and mean queue length.
    pub busy_windows: Option<(Windows<f64>, u64)>,
    /// Capacity integral per window [workers * s], where capacity changes over time
    /// (autoscaling); utilisation per window is then busy / capacity instead.
    pub capacity_windows: Option<Windows<f64>>,
    pub queue_windows: Option<Windows<f64>>,
    /// Kind-specific per-window series, in column order.
    pub extra_windows: Vec<(String, WindowSeries)>,
}

impl ComponentReport {
    /// The kind's own figures as a JSON object, as `summary.json` lists them (for tests and
    /// tools that probe a figure by name).
    pub fn figures_json(&self) -> serde_json::Value {
        serde_json::Value::Object(self.figures.to_json())
    }

    /// The common part of a report for a component with [`NodeStats`].
    pub fn from_node_stats(name: &str, kind: Kind, stats: &NodeStats, end: SimTime) -> Self {
        let mut report = Self::from_request_stats(name, kind, &stats.requests);
        report.utilization = Some(stats.utilization(end));
        report.queue_mean = Some(stats.queue.mean(end));
        report.queue_peak = Some(stats.queue.peak());
        report.busy_windows = Some((stats.busy.windows(), stats.capacity));
        report.queue_windows = Some(stats.queue.windows());
        report
    }

    /// As [`ComponentReport::from_request_stats`], leaving out the per-window latency
    /// histograms (a component's windows count requests only).
    pub fn from_request_stats_without_window_latency(
        name: &str,
        kind: Kind,
        stats: &RequestStats,
    ) -> Self {
        let mut report = Self::from_request_stats(name, kind, &RequestStats::new(stats.clock));
        report.requests = stats.arrivals;
        report.outcomes = stats.outcomes;
        report.refused = stats.refused;
        report.latency = stats.latency.summary();
        report.windows = stats.windows.map(|row| WindowRow {
            arrivals: row.arrivals,
            outcomes: row.outcomes,
            latency: None,
        });
        report
    }

    pub fn from_request_stats(name: &str, kind: Kind, stats: &RequestStats) -> Self {
        Self::blank(name, Some(kind), stats)
    }

    /// The failure timeline's report (see [`ComponentReport::kind`]), to fill with its figures.
    pub fn failure_timeline(name: &str, stats: &RequestStats) -> Self {
        Self::blank(name, None, stats)
    }

    fn blank(name: &str, kind: Option<Kind>, stats: &RequestStats) -> Self {
        ComponentReport {
            name: name.to_string(),
            kind,
            requests: stats.arrivals,
            outcomes: stats.outcomes,
            refused: stats.refused,
            latency: stats.latency.summary(),
            utilization: None,
            queue_mean: None,
            queue_peak: None,
            lost: BTreeMap::new(),
            figures: crate::model::figures::Figures::default(),
            windows: stats.windows.clone(),
            busy_windows: None,
            capacity_windows: None,
            queue_windows: None,
            extra_windows: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(values: &[f64]) -> Windows<f64> {
        let mut w = Windows::new(1_000);
        for (i, &v) in values.iter().enumerate() {
            *w.at(SimTime::from_nanos(i as u64 * 1_000)) += v;
        }
        w
    }

    #[test]
    fn window_series_values_survive_merging() {
        let ratio = WindowSeries::Ratio(
            windows(&[1.0, 0.0, 3.0, 0.0]),
            windows(&[2.0, 0.0, 4.0, 4.0]),
        );
        assert_eq!(ratio.value(0, 1.0), Some(0.5));
        assert_eq!(ratio.value(1, 1.0), None, "no reads: undefined");
        assert_eq!(ratio.value(7, 1.0), None, "past the end");
        let level = WindowSeries::Level(windows(&[2.0, 4.0]));
        assert_eq!(level.value(1, 2.0), Some(2.0));
        let mut merged = ratio.clone();
        merged.coarsen_to(2_000);
        assert_eq!(merged.width_ns(), 2_000);
        assert_eq!(merged.value(0, 2.0), Some(0.5));
        assert_eq!(merged.value(1, 2.0), Some(3.0 / 8.0));
        let mut count = WindowSeries::Count(windows(&[1.0, 2.0, 3.0]));
        count.coarsen_to(2_000);
        assert_eq!(count.value(0, 2.0), Some(3.0));
        assert_eq!(count.value(1, 2.0), Some(3.0));
    }
}
