//! `summary.json`: the machine-readable result of a run, the serde output of
//! [`crate::results::Summary`]. It holds no wall-clock figures, so the same scenario and seed
//! always give the same bytes.

use indexmap::IndexMap;
use serde_json::Value;

use super::RunResult;
use crate::engine::StopReason;
use crate::model::figures::Figures;
use crate::model::kind::Kind;
use crate::model::ComponentReport;
use crate::results::summary::{AnalyticRow, Bottleneck, BusiestPart, Trouble, WhatIfSummary};
use crate::results::{
    ComponentSummary, Engine, ErrorBudget, Figure, Requests, SloSummary, Summary, TypeSummary,
};

/// Why the run stopped, as the outputs name it: the limit or guard that cut it short, or how
/// it ended normally.
pub fn stopped_by(r: &RunResult) -> &str {
    r.truncated
        .as_deref()
        .unwrap_or(stop_reason_name(r.stop_reason))
}

pub fn stop_reason_name(reason: StopReason) -> &'static str {
    match reason {
        StopReason::Drained => "all_requests_done",
        StopReason::TimeLimit => "duration",
        StopReason::Requested => "requested",
        StopReason::Aborted => "interrupted",
        StopReason::EventLimit => "max_events",
    }
}

fn component(c: &ComponentReport, kind: Kind, measured_secs: f64) -> ComponentSummary {
    let throughput = if measured_secs > 0.0 {
        c.outcomes.succeeded as f64 / measured_secs
    } else {
        0.0
    };
    ComponentSummary {
        kind: kind.name().to_string(),
        requests: c.requests,
        succeeded: c.outcomes.succeeded,
        failed: c.outcomes.failed,
        rejected: c.outcomes.rejected,
        timed_out: c.outcomes.timed_out,
        availability: c.outcomes.availability().into(),
        throughput_rps: throughput.into(),
        utilization: c.utilization.map(Figure),
        queue_mean: c.queue_mean.map(Figure),
        queue_peak: c.queue_peak,
        latency_ms: (&c.latency).into(),
        figures: c.figures.clone(),
    }
}

/// What failures destroyed, summed by category over every component; every category a
/// component can report appears, so "nothing lost" is a checkable zero.
pub fn lost(r: &RunResult) -> IndexMap<String, u64> {
    let mut totals: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for c in &r.components {
        for (category, n) in &c.lost {
            *totals.entry(category).or_default() += n;
        }
    }
    totals
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Theory next to the simulation: one entry per expected figure (see [`crate::analytic`]).
fn analytic(r: &RunResult) -> Vec<AnalyticRow> {
    r.analytic
        .iter()
        .cloned()
        .map(|c| {
            let e = c.expectation;
            AnalyticRow {
                component: e.component,
                metric: e.metric.to_string(),
                model: e.model,
                theory: Figure(e.theory.unwrap_or(f64::NAN)),
                simulated: Figure(c.simulated.unwrap_or(f64::NAN)),
                tolerance: e.tolerance.into(),
                agrees: c.agrees,
                note: e.note,
            }
        })
        .collect()
}

/// `summary.json`'s content.
pub fn summary(r: &RunResult) -> Summary {
    let measured = r.measured_secs();
    let e2e = &r.end_to_end;
    let per_second = |n: u64| {
        if measured > 0.0 {
            n as f64 / measured
        } else {
            0.0
        }
    };
    let timeline = r.components.iter().find_map(|c| match &c.figures {
        Figures::Failures(f) => Some(f),
        _ => None,
    });
    Summary {
        scenario: r.scenario.clone(),
        sim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario_sha256: r.scenario_sha256.clone(),
        seed: r.seed,
        duration_s: r.end.as_secs_f64().into(),
        warmup_s: r.warmup.as_secs_f64().into(),
        stopped_by: stopped_by(r).to_string(),
        truncated: r.truncated.is_some(),
        requests: Requests {
            total: e2e.outcomes.total(),
            succeeded: e2e.outcomes.succeeded,
            failed: e2e.outcomes.failed,
            rejected: e2e.outcomes.rejected,
            timed_out: e2e.outcomes.timed_out,
            unfinished: e2e.unfinished.count,
            unfinished_overdue: e2e.unfinished.overdue,
            unfinished_oldest_ms: (e2e.unfinished.oldest_ns as f64 / 1e6).into(),
            patience_ms: r.patience.as_millis_f64().into(),
        },
        availability: e2e.availability().into(),
        throughput_rps: per_second(e2e.outcomes.succeeded).into(),
        offered_rps: per_second(e2e.arrivals).into(),
        latency_ms: (&e2e.latency).into(),
        request_types: r
            .request_types
            .iter()
            .map(|(name, f)| (name.clone(), TypeSummary::of(f)))
            .collect(),
        slo: r.slo.as_ref().map(|s| SloSummary {
            latency_ms: s.slo.latency.as_millis_f64().into(),
            target: s.slo.target.into(),
            good_fraction: s.good_fraction().into(),
            met: s.met(),
            error_budget: ErrorBudget {
                allowed_misses: s.error_budget().into(),
                misses: s.total - s.good,
                used: s.budget_used().into(),
            },
        }),
        lost: lost(r),
        analytic: analytic(r),
        bottlenecks: r
            .bottlenecks
            .iter()
            .map(|b| Bottleneck {
                component: b.component.clone(),
                why: b.why.clone(),
                limits: b.limits,
                refused: b.refused,
                refused_share: b.refused_share.into(),
                queue_mean: Figure(b.queue_mean.unwrap_or(f64::NAN)),
                queue_growing: b.queue_growth.is_some(),
                utilization: Figure(b.utilization.unwrap_or(f64::NAN)),
                busiest: b.busiest.as_ref().map(|(part, u)| BusiestPart {
                    part: part.clone(),
                    utilization: (*u).into(),
                }),
                share_of_p99: Figure(
                    r.breakdown
                        .as_ref()
                        .and_then(|br| br.share_of_p99(&b.component))
                        .unwrap_or(f64::NAN),
                ),
                what_if: r
                    .what_ifs
                    .iter()
                    .find(|w| w.component == b.component)
                    .map(|w| WhatIfSummary {
                        change: w.change.to_string(),
                        end_to_end_mean_ms: w.baseline_ms.into(),
                        after_ms: w.after_ms.into(),
                    }),
            })
            .collect(),
        trouble: r
            .trouble
            .iter()
            .cloned()
            .map(|f| Trouble {
                kind: f.kind.to_string(),
                component: f.component,
                at_s: f.at_s.into(),
                message: f.message,
            })
            .collect(),
        failures: timeline.map(|f| f.events.clone()).unwrap_or_default(),
        downtime: timeline.map(|f| f.downtime.clone()),
        components: r
            .components
            .iter()
            // The failure timeline (no kind) is the `failures` and `downtime` sections above.
            .filter_map(|c| Some((c.name.clone(), component(c, c.kind?, measured))))
            .collect(),
        engine: Engine {
            events: r.events,
            requests_started: r.requests_issued,
            peak_calls_in_flight: r.peak_calls,
        },
        // Sections only studies have, so plain runs keep their exact bytes.
        overrides: r.overrides.clone(),
        replications: r.replications.clone(),
        spans: r.spans.clone(),
        assertions: (!r.assertions.is_empty())
            .then(|| crate::results::summary::AssertionSummary::of(&r.assertions)),
        // Sections of optional features: absent when the run did not ask for them.
        breakdown: super::breakdown::section(r),
        cost: r.cost.as_ref().map(crate::results::CostSummary::from),
    }
}

/// `summary.json`'s content as a JSON value.
pub fn to_json(r: &RunResult) -> Value {
    // A summary of numbers and strings always serialises.
    serde_json::to_value(summary(r)).unwrap_or(Value::Null)
}
