//! Runs a checked scenario and gathers what the report layer needs.

use crate::engine::{RunLimits, SimTime, StopReason};
use crate::model::{ComponentReport, RequestStats};
use crate::scenario::build::build;
use crate::scenario::Plan;
use crate::stats::{LatencySummary, Outcomes, WindowRow, Windows};

/// Overrides given on the command line.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub seed: Option<u64>,
    pub duration: Option<crate::engine::SimDuration>,
    pub requests: Option<u64>,
}

impl Overrides {
    pub fn apply(&self, plan: &mut Plan) {
        if let Some(seed) = self.seed {
            plan.seed = seed;
        }
        if let Some(d) = self.duration {
            plan.duration = Some(d);
        }
        if let Some(n) = self.requests {
            plan.requests = Some(n);
        }
    }
}

/// Summary figures of one group of requests.
#[derive(Clone, Debug)]
pub struct RequestFigures {
    pub arrivals: u64,
    pub outcomes: Outcomes,
    pub latency: LatencySummary,
}

impl RequestFigures {
    fn of(stats: &RequestStats) -> Self {
        RequestFigures {
            arrivals: stats.arrivals,
            outcomes: stats.outcomes,
            latency: stats.latency.summary(),
        }
    }
}

/// Everything a run produced. The report layer reads only this.
pub struct RunResult {
    pub scenario: String,
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

/// Builds and runs `plan`. `progress` is called now and then with the simulated time and the
/// events so far; returning false stops the run early.
pub fn run(
    plan: Plan,
    progress: Option<&mut dyn FnMut(SimTime, u64) -> bool>,
) -> Result<RunResult, String> {
    let until = plan.end();
    let scenario = plan.name.clone();
    let description = plan.description.clone();
    let seed = plan.seed;
    let warmup = plan.warmup;
    let types = plan.request_types.clone();
    let mut engine = build(plan)?;
    let stop_reason = engine.run(RunLimits { until, progress });
    let end = engine.now();
    let components = engine.components().iter().map(|c| c.report(end)).collect();
    let world = engine.world();
    let e2e = &world.end_to_end;
    let finished = e2e
        .all
        .windows
        .rows()
        .iter()
        .map(|r| r.outcomes.total())
        .sum::<u64>();
    let started = e2e
        .all
        .windows
        .rows()
        .iter()
        .map(|r| r.arrivals)
        .sum::<u64>();
    Ok(RunResult {
        scenario,
        description,
        seed,
        warmup,
        end,
        stop_reason,
        requests_issued: world.budget.issued,
        in_flight: started.saturating_sub(finished),
        end_to_end: RequestFigures::of(&e2e.all),
        end_to_end_windows: e2e.all.windows.clone(),
        request_types: types
            .into_iter()
            .zip(e2e.by_type.iter().map(RequestFigures::of))
            .collect(),
        components,
        events: engine.events(),
        slo: e2e.slo.map(|slo| SloFigures {
            slo,
            good: e2e.slo_good,
            total: e2e.all.outcomes.total(),
            good_windows: e2e.slo_good_windows.clone(),
        }),
        peak_calls: world.calls.peak(),
    })
}
