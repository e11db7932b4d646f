//! Runs a checked scenario and gathers what the report layer needs.

use crate::engine::{ProgressFn, RunLimits, SimTime, StopReason};
use crate::model::ComponentReport;
use crate::results::run::{RequestFigures, SloFigures, Unfinished, CDF_POINTS};
use crate::results::RunResult;
use crate::scenario::build::build;
use crate::scenario::topology::topology;
use crate::scenario::validate::ComponentPlan;
use crate::scenario::Plan;
use crate::stats::Windows;

/// The stall guard of request-count runs: when no request has started or finished for this
/// long of simulated time while the run cannot end by itself (requests still in flight that
/// nothing will ever answer, or events that go on after the last request), the run stops,
/// marked truncated with `stopped_by: stalled`, rather than spinning forever.
pub const STALL_LIMIT: crate::engine::SimDuration =
    crate::engine::SimDuration::from_secs(24 * 3600);

/// `stopped_by` of a run cut short by the stall guard.
pub const STALLED: &str = "stalled";

/// Where a run is, for progress bars.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub now: SimTime,
    pub events: u64,
    pub requests_started: u64,
}

/// Why a plan could not be run at all (a run cut short is not an error: its result says so).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The model is estimated to need more memory than `run.max_memory`: the message names
    /// the largest part and the knob.
    #[error("{0}")]
    OverMemory(String),
    /// The model could not be built from a checked plan (not expected: the checker validates
    /// what the build uses).
    #[error("{0}")]
    Build(String),
}

/// How long a request may wait unanswered at the end before it counts against availability:
/// the objective's latency, else the longest client timeout, else the documented default.
fn patience_of(plan: &Plan) -> crate::engine::SimDuration {
    if let Some(slo) = &plan.slo {
        return slo.latency;
    }
    plan.components
        .iter()
        .filter_map(|(_, c)| match c {
            ComponentPlan::Source(s) => s.timeout,
            _ => None,
        })
        .max()
        .unwrap_or(crate::results::run::DEFAULT_PATIENCE)
}

/// The requests born after the warm-up that no one had answered when the run stopped, overall
/// and per request type: the attempts still open (a source's calls, not abandoned on a
/// timeout) and the retries waiting for their back-off.
fn unfinished_requests(
    engine: &crate::scenario::build::ModelEngine,
    is_source: &[bool],
    warmup_end: SimTime,
    end: SimTime,
    patience: crate::engine::SimDuration,
    types: usize,
) -> (Unfinished, Vec<Unfinished>) {
    let mut waiting: Vec<crate::model::call::Request> = engine
        .world()
        .calls
        .open_calls()
        .filter(|c| !c.abandoned && is_source.get(c.caller.index()).copied().unwrap_or(false))
        .map(|c| c.request)
        .collect();
    for c in engine.components() {
        c.requests_between_attempts(&mut waiting);
    }
    let mut all = Unfinished::default();
    // With one type there are no per-type figures: the end-to-end ones are that type's.
    let mut by_type = vec![Unfinished::default(); if types > 1 { types } else { 0 }];
    for r in waiting.iter().filter(|r| r.born >= warmup_end) {
        all.add(r.born, end, patience);
        if let Some(t) = by_type.get_mut(r.kind as usize) {
            t.add(r.born, end, patience);
        }
    }
    (all, by_type)
}

/// `stopped_by` of a run whose heap grew beyond `run.max_memory`.
pub const MAX_MEMORY: &str = "max_memory";

/// Builds and runs `plan`. `progress` is called now and then with the simulated time and the
/// events so far; returning false stops the run early. It is also asked between the phases of
/// the set-up (the analytic twin, its what-ifs, building the model) and within the long ones,
/// with no event delivered yet: a run stopped there ends at time 0, its results empty and
/// marked truncated. A plan estimated to need more memory than `run.max_memory` is refused
/// (see [`crate::scenario::budget`]); a run whose live heap passes it stops, marked truncated
/// with `stopped_by: max_memory`.
pub fn run(
    plan: Plan,
    progress: Option<&mut dyn FnMut(Progress) -> bool>,
) -> Result<RunResult, RunError> {
    crate::scenario::budget::check(&crate::scenario::budget::estimate(&plan), plan.max_memory)
        .map_err(RunError::OverMemory)?;
    let until = plan.end();
    let scenario = plan.name.clone();
    let scenario_sha256 = plan.scenario_sha256.clone();
    let max_events = plan.max_events;
    let max_memory = plan.max_memory;
    let description = plan.description.clone();
    let seed = plan.seed;
    let warmup = plan.warmup;
    let types = plan.request_types.clone();
    // What the assertions judge over a span of time is measured from the windows, which only
    // the run has: summaries (and so replications, comparisons, merged shards) carry the
    // figures, not the windows.
    let spans_wanted: Vec<(
        crate::assertions::Scope,
        crate::assertions::Metric,
        crate::assertions::Span,
    )> = plan
        .assertions
        .iter()
        .filter_map(|(a, _)| Some((a.scope.clone(), a.metric.clone(), a.during?)))
        .collect();
    let mut callback = progress;
    let mut over_memory = false;
    // The guards of the set-up: memory, then the caller's (a signal, the wall clock).
    let mut go_on = || {
        if heap_over(max_memory) {
            over_memory = true;
            return false;
        }
        match callback.as_mut() {
            Some(callback) => callback(Progress {
                now: SimTime::ZERO,
                events: 0,
                requests_started: 0,
            }),
            None => true,
        }
    };
    let topology = topology(&plan);
    let mut stopped = !go_on();
    let expectations = if stopped {
        Vec::new()
    } else {
        crate::analytic::expectations_until(&plan, &mut go_on).unwrap_or_else(|| {
            stopped = true;
            Vec::new()
        })
    };
    stopped = stopped || !go_on();
    let what_ifs = if stopped {
        Vec::new()
    } else {
        crate::analytic::what_ifs_until(&plan, &mut go_on).unwrap_or_else(|| {
            stopped = true;
            Vec::new()
        })
    };
    stopped = stopped || !go_on();
    let cost_plan = plan.cost.clone();
    let patience = patience_of(&plan);
    let component_roles: Vec<(String, bool)> = plan
        .components
        .iter()
        .map(|(n, c)| (n.clone(), matches!(c, ComponentPlan::Source(_))))
        .collect();
    let type_names = plan.request_types.clone();
    let mut engine = build(plan).map_err(RunError::Build)?;
    stopped = stopped || !go_on();
    let mut stalled = false;
    let mut hook = |now: SimTime, events: u64, world: &crate::model::World| {
        if world
            .stalled_since()
            .is_some_and(|since| now.since(since) > STALL_LIMIT)
        {
            stalled = true;
            return false;
        }
        if heap_over(max_memory) {
            over_memory = true;
            return false;
        }
        match callback.as_mut() {
            Some(callback) => callback(Progress {
                now,
                events,
                requests_started: world.budget.issued,
            }),
            None => true,
        }
    };
    let progress: Option<&mut ProgressFn<'_, crate::model::World>> = Some(&mut hook);
    let mut stop_reason = engine.run(RunLimits {
        until,
        // Stopped during the set-up: the components start and finish, no event is delivered.
        max_events: if stopped {
            0
        } else {
            max_events.unwrap_or(u64::MAX)
        },
        progress,
    });
    if stopped {
        stop_reason = StopReason::Aborted;
    }
    if stalled {
        stop_reason = StopReason::Requested;
        engine.world_mut().stopped_by_guard = Some(STALLED);
    }
    if over_memory {
        stop_reason = StopReason::Requested;
        engine.world_mut().stopped_by_guard = Some(MAX_MEMORY);
    }
    let end = engine.now();
    let components: Vec<ComponentReport> = engine
        .components()
        .iter()
        .map(|c| c.report_in(end, Some(engine.world())))
        .collect();
    let cost =
        cost_plan.map(|c| c.evaluate(end.since(SimTime::ZERO + warmup).as_secs_f64(), &components));
    // Moved out, not copied: with a latency histogram in every window, a copy would be the
    // largest allocation of the run and set its peak memory.
    let end_to_end_windows = {
        let windows = &mut engine.world_mut().end_to_end.all.windows;
        std::mem::replace(windows, Windows::new(windows.width_ns()))
    };
    let world = engine.world();
    let e2e = &world.end_to_end;
    let is_source: Vec<bool> = component_roles.iter().map(|r| r.1).collect();
    let (unfinished, unfinished_by_type) = unfinished_requests(
        &engine,
        &is_source,
        SimTime::ZERO + warmup,
        end,
        patience,
        types.len(),
    );
    let mut result = RunResult {
        scenario,
        scenario_sha256,
        truncated: match stop_reason {
            StopReason::EventLimit => Some("max_events".to_string()),
            StopReason::Aborted => Some("stopped_by_caller".to_string()),
            StopReason::Requested => engine.world().stopped_by_guard.map(str::to_string),
            _ => None,
        },
        description,
        seed,
        warmup,
        end,
        stop_reason,
        requests_issued: world.budget.issued,
        patience,
        end_to_end: RequestFigures {
            unfinished,
            ..RequestFigures::of(&e2e.all)
        },
        end_to_end_windows,
        request_types: types
            .into_iter()
            .zip(e2e.by_type.iter().map(RequestFigures::of))
            .zip(unfinished_by_type)
            .map(|((name, figures), unfinished)| {
                (
                    name,
                    RequestFigures {
                        unfinished,
                        ..figures
                    },
                )
            })
            .collect(),
        components,
        events: engine.events(),
        slo: e2e.slo.map(|slo| SloFigures {
            slo,
            good: e2e.slo_good,
            total: e2e.all.outcomes.total() + unfinished.overdue,
            good_windows: e2e.slo_good_windows.clone(),
        }),
        peak_calls: world.calls.peak(),
        end_to_end_cdf: e2e.all.latency.cdf_points(CDF_POINTS),
        topology,
        analytic: Vec::new(),
        what_ifs,
        spans: Vec::new(),
        assertions: Vec::new(),
        replications: None,
        overrides: Vec::new(),
        breakdown: world.breakdown.as_ref().map(|b| {
            crate::model::breakdown::Figures::new(component_roles, &type_names, b.tables())
        }),
        traces: world
            .breakdown
            .as_ref()
            .map(|b| b.traces())
            .unwrap_or_default(),
        cost,
        trouble: Vec::new(),
        bottlenecks: Vec::new(),
    };
    // What theory and the detectors say is part of the result, worked out once here, so every
    // later reader (summary, report, studies) shows the same thing and only reads.
    let end_to_end_mean_ms =
        (result.end_to_end.outcomes.succeeded > 0).then_some(result.end_to_end.latency.mean);
    result.analytic =
        crate::analytic::compare(&expectations, end_to_end_mean_ms, &result.components);
    result.trouble = crate::insight::detect(&result);
    for (scope, metric, span) in &spans_wanted {
        let name = crate::assertions::metric_name(scope, metric);
        if !result.spans.iter().any(|s| s.is(&name, *span)) {
            let figure = crate::results::spans::measure(&result, scope, metric, *span);
            result.spans.push(figure);
        }
    }
    result.bottlenecks = crate::insight::bottlenecks(&result);
    Ok(result)
}

/// Whether the live heap (counted when the `sim` binary runs; 0 otherwise) is beyond `budget`.
fn heap_over(budget: u64) -> bool {
    crate::heap::live_bytes() > budget
}
