//! `summary.json`: the machine-readable result of a run. It holds no wall-clock figures, so the
//! same scenario and seed always give the same bytes.

use serde_json::{json, Map, Value};

use super::RunResult;
use crate::engine::StopReason;
use crate::model::ComponentReport;
use crate::stats::{LatencySummary, Outcomes};

/// Rounds to 6 significant decimals of a millisecond/ratio so that the file stays readable;
/// NaN and infinities (which no figure should produce) become null.
fn number(x: f64) -> Value {
    if x.is_finite() {
        json!((x * 1e6).round() / 1e6)
    } else {
        Value::Null
    }
}

fn latency(l: &LatencySummary) -> Value {
    json!({
        "mean": number(l.mean),
        "p50": number(l.p50),
        "p90": number(l.p90),
        "p95": number(l.p95),
        "p99": number(l.p99),
        "p999": number(l.p999),
        "max": number(l.max),
    })
}

fn counts(o: &Outcomes) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("total".into(), json!(o.total()));
    m.insert("succeeded".into(), json!(o.succeeded));
    m.insert("failed".into(), json!(o.failed));
    m.insert("rejected".into(), json!(o.rejected));
    m.insert("timed_out".into(), json!(o.timed_out));
    m
}

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

fn component(c: &ComponentReport, measured_secs: f64) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), json!(c.kind));
    m.insert("requests".into(), json!(c.requests));
    for (k, v) in counts(&c.outcomes) {
        if k != "total" {
            m.insert(k, v);
        }
    }
    m.insert("availability".into(), number(c.outcomes.availability()));
    let throughput = if measured_secs > 0.0 {
        c.outcomes.succeeded as f64 / measured_secs
    } else {
        0.0
    };
    m.insert("throughput_rps".into(), number(throughput));
    m.insert(
        "utilization".into(),
        c.utilization.map_or(Value::Null, number),
    );
    if let Some(q) = c.queue_mean {
        m.insert("queue_mean".into(), number(q));
    }
    if let Some(q) = c.queue_peak {
        m.insert("queue_peak".into(), json!(q));
    }
    m.insert("latency_ms".into(), latency(&c.latency));
    for (k, v) in &c.extra {
        m.insert(k.clone(), v.clone());
    }
    Value::Object(m)
}

/// What failures destroyed, summed by category over every component; every category a
/// component can report appears, so "nothing lost" is a checkable zero.
pub fn lost(r: &RunResult) -> Map<String, Value> {
    let mut totals: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for c in &r.components {
        for (category, n) in &c.lost {
            *totals.entry(category).or_default() += n;
        }
    }
    totals
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect()
}

/// Theory next to the simulation: one entry per expected figure (see [`crate::analytic`]).
fn analytic(r: &RunResult) -> Value {
    let rows: Vec<Value> = crate::analytic::compare(&r.analytic, r)
        .into_iter()
        .map(|c| {
            let e = c.expectation;
            json!({
                "component": e.component,
                "metric": e.metric,
                "model": e.model,
                "theory": e.theory.map_or(Value::Null, number),
                "simulated": c.simulated.map_or(Value::Null, number),
                "tolerance": number(e.tolerance),
                "agrees": c.agrees,
                "note": e.note,
            })
        })
        .collect();
    Value::Array(rows)
}

pub fn to_json(r: &RunResult) -> Value {
    let mut summary = headline_json(r);
    // Sections only studies have, so plain runs keep their exact bytes.
    if let Value::Object(m) = &mut summary {
        if !r.overrides.is_empty() {
            m.insert("overrides".into(), json!(r.overrides));
        }
        if let Some(replications) = &r.replications {
            m.insert("replications".into(), replications.clone());
        }
        if !r.assertions.is_empty() {
            m.insert(
                "assertions".into(),
                crate::assertions::to_json(&r.assertions),
            );
        }
        // Sections of optional features: absent when the run did not ask for them.
        if let Some(breakdown) = super::breakdown::to_json(r) {
            m.insert("breakdown".into(), breakdown);
        }
        if let Some(cost) = &r.cost {
            m.insert("cost".into(), cost.to_json());
        }
    }
    summary
}

fn headline_json(r: &RunResult) -> Value {
    let measured = r.measured_secs();
    let e2e = &r.end_to_end;
    let mut requests = counts(&e2e.outcomes);
    requests.insert("in_flight_at_end".into(), json!(r.in_flight));
    let throughput = if measured > 0.0 {
        e2e.outcomes.succeeded as f64 / measured
    } else {
        0.0
    };
    let offered = if measured > 0.0 {
        e2e.arrivals as f64 / measured
    } else {
        0.0
    };
    let types: Map<String, Value> = r
        .request_types
        .iter()
        .map(|(name, f)| {
            let mut m = counts(&f.outcomes);
            m.insert("availability".into(), number(f.outcomes.availability()));
            m.insert("latency_ms".into(), latency(&f.latency));
            (name.clone(), Value::Object(m))
        })
        .collect();
    let components: Map<String, Value> = r
        .components
        .iter()
        .filter(|c| c.kind != "failures")
        .map(|c| (c.name.clone(), component(c, measured)))
        .collect();
    let failures: Vec<Value> = r
        .components
        .iter()
        .filter(|c| c.kind == "failures")
        .filter_map(|c| c.extra.get("events"))
        .filter_map(Value::as_array)
        .flatten()
        .cloned()
        .collect();
    json!({
        "scenario": r.scenario,
        "sim_version": env!("CARGO_PKG_VERSION"),
        "scenario_sha256": r.scenario_sha256,
        "seed": r.seed,
        "duration_s": number(r.end.as_secs_f64()),
        "warmup_s": number(r.warmup.as_secs_f64()),
        "stopped_by": stopped_by(r),
        "truncated": r.truncated.is_some(),
        "requests": requests,
        "availability": number(e2e.outcomes.availability()),
        "throughput_rps": number(throughput),
        "offered_rps": number(offered),
        "latency_ms": latency(&e2e.latency),
        "request_types": types,
        "slo": r.slo.as_ref().map_or(Value::Null, |s| json!({
            "latency_ms": number(s.slo.latency.as_millis_f64()),
            "target": number(s.slo.target),
            "good_fraction": number(s.good_fraction()),
            "met": s.good_fraction() >= s.slo.target,
            "error_budget": {
                "allowed_misses": number(s.error_budget()),
                "misses": s.total - s.good,
                "used": number(s.budget_used()),
            },
        })),
        "lost": lost(r),
        "analytic": analytic(r),
        "bottlenecks": r.bottlenecks()
            .into_iter()
            .map(|(name, utilization, what_if)| json!({
                "component": name,
                "utilization": number(utilization),
                "share_of_p99": r.breakdown.as_ref()
                    .and_then(|b| b.share_of_p99(name))
                    .map_or(Value::Null, number),
                "what_if": what_if.map(|w| json!({
                    "change": w.change,
                    "end_to_end_mean_ms": number(w.baseline_ms),
                    "after_ms": number(w.after_ms),
                })),
            }))
            .collect::<Vec<_>>(),
        "trouble": crate::insight::detect(r)
            .into_iter()
            .map(|f| json!({
                "kind": f.kind,
                "component": f.component,
                "at_s": number(f.at_s),
                "message": f.message,
            }))
            .collect::<Vec<_>>(),
        "failures": failures,
        "downtime": r
            .components
            .iter()
            .filter(|c| c.kind == "failures")
            .find_map(|c| c.extra.get("downtime"))
            .cloned()
            .unwrap_or(Value::Null),
        "components": components,
        "engine": {
            "events": r.events,
            "requests_started": r.requests_issued,
            "peak_calls_in_flight": r.peak_calls,
        },
    })
}
