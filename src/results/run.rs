//! What one run produced, as the run left it: the figures every later layer reads (summary,
//! report, assertions, studies).

use crate::analytic::{Comparison, WhatIf};
use crate::engine::{SimTime, StopReason};
use crate::model::{ComponentReport, RequestStats};
use crate::scenario::topology::Topology;
use crate::stats::{LatencySummary, Outcomes, WindowRow, Windows};

/// Summary figures of one group of requests.
#[derive(Clone, Debug)]
pub struct RequestFigures {
    pub arrivals: u64,
    pub outcomes: Outcomes,
    pub latency: LatencySummary,
}

impl RequestFigures {
    pub fn of(stats: &RequestStats) -> Self {
        RequestFigures {
            arrivals: stats.arrivals,
            outcomes: stats.outcomes,
            latency: stats.latency.summary(),
        }
    }
}

/// Points kept of the end-to-end latency distribution (see [`RunResult::end_to_end_cdf`]).
pub const CDF_POINTS: usize = 200;

/// Everything a run produced. The report layer reads only this.
pub struct RunResult {
    pub scenario: String,
    pub scenario_sha256: String,
    /// Set when the run was cut short by a limit or an interrupt: the reason. Its figures
    /// cover only the simulated time before the stop.
    pub truncated: Option<String>,
    pub description: Option<String>,
    pub seed: u64,
    pub warmup: crate::engine::SimDuration,
    /// Simulated instant the run stopped at.
    pub end: SimTime,
    pub stop_reason: StopReason,
    pub requests_issued: u64,
    /// Requests sent but not answered when the run stopped.
    pub in_flight: u64,
    pub end_to_end: RequestFigures,
    pub end_to_end_windows: Windows<WindowRow>,
    pub request_types: Vec<(String, RequestFigures)>,
    pub components: Vec<ComponentReport>,
    pub events: u64,
    pub peak_calls: usize,
    pub slo: Option<SloFigures>,
    /// End-to-end latency distribution of succeeded requests after the warm-up:
    /// `(latency [ms], fraction at or below)`, at most [`CDF_POINTS`] points.
    pub end_to_end_cdf: Vec<(f64, f64)>,
    /// Components in id order and the calls between them.
    pub topology: Topology,
    /// What queueing and cache theory expect of this scenario, each beside the run's figure
    /// (see [`crate::analytic`]).
    pub analytic: Vec<Comparison>,
    /// The analytic twin's estimate of simple changes, best first.
    pub what_ifs: Vec<WhatIf>,
    /// Patterns in the time series a person should be told about (see [`crate::insight`]).
    pub trouble: Vec<Finding>,
    /// How the scenario's assertions did (empty when it has none).
    pub assertions: Vec<crate::assertions::Verdict>,
    /// With replications: `summary.json`'s `replications` section (means, intervals, values).
    pub replications: Option<super::replications::Replications>,
    /// Path overrides this run was made with (a variant, a sweep point), as `path=value`.
    pub overrides: Vec<String>,
    /// Where the time goes: the per-hop latency breakdown, when the run kept it.
    pub breakdown: Option<crate::model::breakdown::Figures>,
    /// Sampled requests for `trace.json` (`sim run --trace N`), in order of request id.
    pub traces: Vec<crate::model::breakdown::TraceRecord>,
    /// Prices and what the run cost (see [`crate::cost`]), when the scenario gives prices.
    pub cost: Option<crate::cost::Cost>,
}

impl RunResult {
    /// Components ranked as bottlenecks: by utilisation, busiest first, each with what the
    /// twin says one simple change to it would do.
    pub fn bottlenecks(&self) -> Vec<(&str, f64, Option<&WhatIf>)> {
        let mut ranked: Vec<(&str, f64, Option<&WhatIf>)> = self
            .components
            .iter()
            .filter_map(|c| {
                let u = c.utilization?;
                let what_if = self.what_ifs.iter().find(|w| w.component == c.name);
                Some((c.name.as_str(), u, what_if))
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        ranked
    }
}

/// A trouble found in a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// `saturation`, `metastable_failure` or `goodput_collapse`.
    pub kind: &'static str,
    /// The component concerned, for saturation.
    pub component: Option<String>,
    /// When it starts [s of simulated time].
    pub at_s: f64,
    /// What was seen, in numbers.
    pub message: String,
}

/// How the run did against its service-level objective.
#[derive(Clone, Debug)]
pub struct SloFigures {
    pub slo: crate::model::Slo,
    /// Requests (born after the warm-up, finished) that met the objective.
    pub good: u64,
    pub total: u64,
    /// Requests that met it, per window.
    pub good_windows: Windows<u64>,
}

impl SloFigures {
    pub fn good_fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.good as f64 / self.total as f64
        }
    }

    /// Requests allowed to miss the objective: (1 - target) of the total.
    pub fn error_budget(&self) -> f64 {
        (1.0 - self.slo.target) * self.total as f64
    }

    /// Share of the error budget used (above 1 when the objective is missed).
    pub fn budget_used(&self) -> f64 {
        let missed = (self.total - self.good) as f64;
        match self.error_budget() {
            b if b > 0.0 => missed / b,
            _ if missed == 0.0 => 0.0,
            _ => f64::INFINITY,
        }
    }
}

impl RunResult {
    /// Seconds of simulated time the summary covers (after the warm-up).
    pub fn measured_secs(&self) -> f64 {
        self.end.since(SimTime::ZERO + self.warmup).as_secs_f64()
    }
}
