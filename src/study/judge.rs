//! The figures an assertion is about, read from each replication's typed summary, and the
//! verdicts over all of them. What a metric's name means is decided once, when the scenario
//! is checked ([`crate::assertions::Metric`]); here each is matched to its field.

use crate::assertions::TYPE_METRICS;
use crate::assertions::{judge, names_of, Assertion, LatencyFigure, Metric, Scope, Verdict};
use crate::results::{ComponentSummary, Figure, Latency, Summary};

fn latency(l: &Latency, which: LatencyFigure) -> Figure {
    match which {
        LatencyFigure::Mean => l.mean,
        LatencyFigure::P50 => l.p50,
        LatencyFigure::P90 => l.p90,
        LatencyFigure::P95 => l.p95,
        LatencyFigure::P99 => l.p99,
        LatencyFigure::P999 => l.p999,
        LatencyFigure::Max => l.max,
    }
}

/// Reads the figure an assertion is about from a run's summary, as `summary.json` shows it.
pub fn measure(summary: &Summary, scope: &Scope, metric: &Metric) -> Result<f64, String> {
    let whose = match scope {
        Scope::Run => "the run".to_string(),
        Scope::Type(t) => format!("request type '{t}'"),
        Scope::Component(c) => format!("component '{c}'"),
    };
    let no_value = || format!("{whose} has no value for '{metric}' (no requests measured?)");
    let written = |f: Figure| f.written().ok_or_else(no_value);
    let count = |n: u64| Ok(n as f64);
    // What lost is counted over the whole run, whatever the scope.
    if let Metric::Lost(category) = metric {
        let lost = summary
            .lost
            .iter()
            .filter(|(name, _)| match category.as_str() {
                "total" => true,
                "writes" => name.as_str() == "writes" || name.ends_with("_writes"),
                c => name.as_str() == c,
            });
        return Ok(lost.map(|(_, &n)| n as f64).sum());
    }
    match scope {
        Scope::Run => {
            let s = summary;
            match metric {
                Metric::Latency(l) => written(latency(&s.latency_ms, *l)),
                Metric::Availability => written(s.availability),
                Metric::ErrorRate => written(s.availability).map(|a| 1.0 - a),
                Metric::Throughput => written(s.throughput_rps),
                Metric::Offered => written(s.offered_rps),
                Metric::Requests => count(s.requests.total),
                Metric::Succeeded => count(s.requests.succeeded),
                Metric::Failed => count(s.requests.failed),
                Metric::Rejected => count(s.requests.rejected),
                Metric::TimedOut => count(s.requests.timed_out),
                Metric::Unfinished => count(s.requests.unfinished),
                Metric::UnfinishedOverdue => count(s.requests.unfinished_overdue),
                Metric::SloGoodFraction => s
                    .slo
                    .as_ref()
                    .map_or_else(|| Err(no_value()), |slo| written(slo.good_fraction)),
                Metric::SloBudgetUsed => s
                    .slo
                    .as_ref()
                    .map_or_else(|| Err(no_value()), |slo| written(slo.error_budget.used)),
                Metric::Utilization
                | Metric::QueueMean
                | Metric::QueuePeak
                | Metric::Lost(_)
                | Metric::Own(_) => Err(no_value()),
            }
        }
        Scope::Type(t) => {
            let Some(s) = summary.request_types.get(t) else {
                return Err(format!("{whose} has no results"));
            };
            match metric {
                Metric::Latency(l) => written(latency(&s.latency_ms, *l)),
                Metric::Availability => written(s.availability),
                Metric::ErrorRate => written(s.availability).map(|a| 1.0 - a),
                Metric::Requests => count(s.total),
                Metric::Succeeded => count(s.succeeded),
                Metric::Failed => count(s.failed),
                Metric::Rejected => count(s.rejected),
                Metric::TimedOut => count(s.timed_out),
                Metric::Unfinished => count(s.unfinished),
                Metric::UnfinishedOverdue => count(s.unfinished_overdue),
                other => Err(format!(
                    "{whose} does not report '{other}'; {}",
                    crate::format::suggestion(&other.to_string(), names_of(TYPE_METRICS))
                )),
            }
        }
        Scope::Component(c) => {
            let Some(s) = summary.components.get(c) else {
                return Err(format!("{whose} has no results"));
            };
            let does_not_report = || {
                let reported = reported_by(s);
                Err(format!(
                    "{whose} does not report '{metric}'; {}",
                    crate::format::suggestion(&metric.to_string(), reported.iter().copied())
                ))
            };
            match metric {
                Metric::Latency(l) => written(latency(&s.latency_ms, *l)),
                Metric::Availability => written(s.availability),
                Metric::ErrorRate => written(s.availability).map(|a| 1.0 - a),
                Metric::Throughput => written(s.throughput_rps),
                Metric::Requests => count(s.requests),
                Metric::Succeeded => count(s.succeeded),
                Metric::Failed => count(s.failed),
                Metric::Rejected => count(s.rejected),
                Metric::TimedOut => count(s.timed_out),
                Metric::Utilization => s.utilization.map_or_else(|| Err(no_value()), written),
                Metric::QueueMean => s.queue_mean.map_or_else(does_not_report, written),
                Metric::QueuePeak => s.queue_peak.map_or_else(does_not_report, count),
                Metric::Own(name) => match s.figures.number(name) {
                    Some(x) => Ok(x),
                    None if s.figures.names().contains(&name.as_str()) => Err(no_value()),
                    None => does_not_report(),
                },
                Metric::Offered
                | Metric::Unfinished
                | Metric::UnfinishedOverdue
                | Metric::SloGoodFraction
                | Metric::SloBudgetUsed
                | Metric::Lost(_) => does_not_report(),
            }
        }
    }
}

/// The figures a component's summary has a number for, in `summary.json`'s order, then the
/// names that stand for figures under another name: what a "did you mean" may offer.
fn reported_by(c: &ComponentSummary) -> Vec<&str> {
    let present = |f: Option<Figure>, name: &'static str| f.and_then(Figure::value).map(|_| name);
    let mut names: Vec<&str> =
        ["requests", "succeeded", "failed", "rejected", "timed_out"].to_vec();
    names.extend(present(Some(c.availability), "availability"));
    names.extend(present(Some(c.throughput_rps), "throughput_rps"));
    names.extend(present(c.utilization, "utilization"));
    names.extend(present(c.queue_mean, "queue_mean"));
    names.extend(c.queue_peak.map(|_| "queue_peak"));
    names.extend(
        c.figures
            .names()
            .into_iter()
            .filter(|n| c.figures.number(n).is_some()),
    );
    names.extend(["mean", "p50", "p90", "p95", "p99", "p999", "max"]);
    names.extend(["error_rate", "throughput"]);
    names
}

/// Reads the figure an assertion judges from a run's summary: over the whole run, or over its
/// span (`during:`) from the summary's `spans`, which the run measured from its windows.
pub fn measure_assertion(summary: &Summary, a: &Assertion) -> Result<f64, String> {
    let Some(span) = a.during else {
        return measure(summary, &a.scope, &a.metric);
    };
    let name = crate::assertions::metric_name(&a.scope, &a.metric);
    let Some(figure) = summary.spans.iter().find(|s| s.is(&name, span)) else {
        return Err(format!(
            "the run did not measure '{name}' during {span} (a summary from another version of sim?)"
        ));
    };
    match (figure.value.written(), &figure.note) {
        (Some(x), _) => Ok(x),
        (None, Some(note)) => Err(format!("'{name}' during {span}: {note}")),
        (None, None) => Err(format!("'{name}' has no value during {span}")),
    }
}

/// Judges every assertion on the summaries of one or more replications.
pub fn judge_all(assertions: &[Assertion], summaries: &[Summary]) -> Vec<Verdict> {
    assertions
        .iter()
        .map(|a| {
            let values: Vec<Result<f64, String>> =
                summaries.iter().map(|s| measure_assertion(s, a)).collect();
            judge(a, &values)
        })
        .collect()
}
