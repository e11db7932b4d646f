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
    /// Requests of the group still unanswered when the run stopped.
    pub unfinished: Unfinished,
}

impl RequestFigures {
    /// The finished requests' figures; [`RequestFigures::unfinished`] is counted apart, at the
    /// end of the run.
    pub fn of(stats: &RequestStats) -> Self {
        RequestFigures {
            arrivals: stats.arrivals,
            outcomes: stats.outcomes,
            latency: stats.latency.summary(),
            unfinished: Unfinished::default(),
        }
    }

    /// Succeeded over the requests judged: those that finished, and those unfinished past the
    /// run's patience (a request nobody answered in that long is not a success). `NaN`
    /// (written `null`, shown "–") when there is nothing to judge: no request finished and none
    /// waited that long, so availability is unknown, not 100%.
    pub fn availability(&self) -> f64 {
        match self.judged() {
            0 => f64::NAN,
            judged => self.outcomes.succeeded as f64 / judged as f64,
        }
    }

    /// Requests availability is judged on: finished, plus unfinished past the patience.
    pub fn judged(&self) -> u64 {
        self.outcomes.total() + self.unfinished.overdue
    }
}

/// Requests born after the warm-up and not answered when the run stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Unfinished {
    pub count: u64,
    /// Of `count`, those older than the run's patience ([`RunResult::patience`]): they count
    /// against availability and the objective.
    pub overdue: u64,
    /// Age of the oldest one at the end [ns]; 0 when there is none.
    pub oldest_ns: u64,
}

impl Unfinished {
    /// Counts one request born at `born`, at the end `end`, with the run's `patience`.
    pub fn add(&mut self, born: SimTime, end: SimTime, patience: crate::engine::SimDuration) {
        let age = end.since(born);
        self.count += 1;
        if age > patience {
            self.overdue += 1;
        }
        self.oldest_ns = self.oldest_ns.max(age.as_nanos());
    }
}

/// How long an unanswered request may wait before the end counts it against availability,
/// when the scenario has neither an objective nor a client timeout: what people tolerate
/// before giving up on a page is of this order (and HTTP clients commonly wait 10–30 s).
pub const DEFAULT_PATIENCE: crate::engine::SimDuration = crate::engine::SimDuration::from_secs(10);

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
    /// How long a request may have waited unanswered at the end and still not count against
    /// availability: the objective's latency, else the longest client timeout, else
    /// [`DEFAULT_PATIENCE`].
    pub patience: crate::engine::SimDuration,
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
    /// The figures over a span of time the scenario's assertions ask for (`during:`), one per
    /// metric and span, in the order of the assertions.
    pub spans: Vec<super::span_figure::SpanFigure>,
    /// What limits the system, most limiting first (see [`crate::insight::bottlenecks`]).
    pub bottlenecks: Vec<Bottleneck>,
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

/// A component that limits what the system serves, or is busy enough to, with why it is
/// listed (see [`crate::insight::bottlenecks`] for the ranking).
#[derive(Clone, Debug, PartialEq)]
pub struct Bottleneck {
    pub component: String,
    /// It turns requests away itself, or its queue grows: it caps what the system serves.
    pub limits: bool,
    /// Requests it turned away itself (full, or at its limit), after the warm-up.
    pub refused: u64,
    /// `refused` over its requests.
    pub refused_share: f64,
    pub queue_mean: Option<f64>,
    pub queue_peak: Option<u64>,
    /// Where its queue rose over the end of the run (as [`crate::insight`]'s saturation test
    /// finds it): the mean waiting requests in the earlier and the later half of the last
    /// quarter.
    pub queue_growth: Option<(f64, f64)>,
    pub utilization: Option<f64>,
    /// Its busiest node or instance, where that is markedly busier than the mean: `name[i]`
    /// and its utilisation.
    pub busiest: Option<(String, f64)>,
    /// Why it is listed, most limiting reason first, in words.
    pub why: Vec<String>,
}

/// A trouble found in a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// `unfinished_backlog`, `saturation`, `metastable_failure`, `goodput_collapse` or
    /// `stale_cache_unseen_writes`.
    pub kind: &'static str,
    /// The component concerned, for saturation and a stale cache.
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
    /// Requests judged: finished, and unfinished past the patience (which cannot have met it).
    pub total: u64,
    /// Requests that met it, per window.
    pub good_windows: Windows<u64>,
}

impl SloFigures {
    /// Good over judged; `NaN` when nothing was judged (unknown, not met).
    pub fn good_fraction(&self) -> f64 {
        if self.total == 0 {
            f64::NAN
        } else {
            self.good as f64 / self.total as f64
        }
    }

    /// Whether the objective was met; false when nothing was judged (not shown to be met).
    pub fn met(&self) -> bool {
        self.good_fraction() >= self.slo.target
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
