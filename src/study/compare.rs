//! `sim compare`: several designs on the same traffic and failures, with common random numbers.
//!
//! Every design runs with the same seed (and, with replications, the same seeds). Random
//! streams are derived from the seed and each component's *name* and purpose, so components
//! that the designs share draw exactly the same numbers: the traffic arrives at the same
//! instants with the same keys, and failures strike at the same times. The differences between
//! designs are then due to the designs, not to luck, and with replications the per-seed
//! differences are paired (replication i of design A against replication i of design B), which
//! makes a paired t interval the right test of significance.
//!
//! The comparison covers every figure of the summary that differs between the designs, not a
//! fixed list: the run's counts and latencies, what was lost, the SLO, the cost, each request
//! type's and each component's figures, including a kind's own (`cache.hit_ratio`,
//! `web.sessions.relogins`). They are found by walking the typed parts of each
//! [`Summary`] as `summary.json` writes them ([`figures`]), so a figure added to a summary type
//! (a count in `Requests`, a field of a kind's figures) is compared without code here. Figures
//! a scenario names in `compare: {headline: [...]}` come first; figures that print the same for
//! every design are counted and left out.
//!
//! This file works out the comparison ([`compare`]); `report/comparison.rs` writes it.
//! Everything is reduced in design order, so the bytes do not depend on the number of threads.

use indexmap::IndexMap;
use serde_json::Value;

use crate::results::Summary;
use crate::scenario::validate::HeadlineFigure;
use crate::stats::Interval;
use crate::study::replications::Reading;
use crate::study::Study;

/// One design's study, with its label.
pub struct Compared {
    pub label: String,
    pub study: Study,
    /// Meant to fail the scenario's assertions (`--expect-fail`, `compare.expect_fail`): its
    /// failures are shown, marked expected, and do not fail the comparison.
    pub expected_to_fail: bool,
}

impl Compared {
    /// Assertions this design failed that it was not meant to.
    pub fn unexpected_failures(&self) -> usize {
        if self.expected_to_fail {
            return 0;
        }
        self.study
            .result
            .assertions
            .iter()
            .filter(|v| !v.passed)
            .count()
    }
}

/// What a figure measures, which decides how it is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A whole number of things (requests, re-logins).
    Count,
    /// Milliseconds.
    Ms,
    /// Seconds.
    Seconds,
    /// A fraction, printed as a percentage.
    Ratio,
    /// Per second.
    Rate,
    /// Money, in the scenario's currency.
    Money,
    /// Any other number.
    Number,
}

impl Unit {
    fn of(name: &str, count: bool) -> Unit {
        let last = name.rsplit('.').next().unwrap_or(name);
        if count {
            return Unit::Count;
        }
        if name.starts_with("cost.") {
            return Unit::Money;
        }
        match last {
            "mean" | "p50" | "p90" | "p95" | "p99" | "p999" | "max" => Unit::Ms,
            "availability" | "utilization" | "error_rate" | "good_fraction" | "budget_used" => {
                Unit::Ratio
            }
            "throughput" | "offered" => Unit::Rate,
            _ if last.ends_with("_ratio") || last.ends_with("_fraction") => Unit::Ratio,
            _ if last.ends_with("_ms") => Unit::Ms,
            _ if last.ends_with("_s") => Unit::Seconds,
            _ if last.ends_with("_rps") => Unit::Rate,
            _ => Unit::Number,
        }
    }
}

/// A figure as the comparison prints it (terminal and page); `-` for none. Two designs whose
/// figures print the same are "equal" for the comparison.
pub fn show(unit: Unit, x: f64) -> String {
    if !x.is_finite() {
        return "-".to_string();
    }
    match unit {
        Unit::Count if x.fract() == 0.0 && x.abs() < 1e15 => {
            let sign = if x < 0.0 { "-" } else { "" };
            format!("{sign}{}", crate::format::thousands(x.abs() as u64))
        }
        // A mean of counts over replications.
        Unit::Count if x.abs() < 1e15 => {
            let sign = if x < 0.0 { "-" } else { "" };
            let tenths = (x.abs() * 10.0).round() as u64;
            format!(
                "{sign}{}.{}",
                crate::format::thousands(tenths / 10),
                tenths % 10
            )
        }
        Unit::Count => format!("{x:.1}"),
        Unit::Ms => format!("{x:.2}ms"),
        Unit::Seconds => format!("{x:.2}s"),
        Unit::Ratio => format!("{:.4}%", x * 100.0),
        Unit::Rate => format!("{x:.1}/s"),
        Unit::Money => format!("{x:.2}"),
        Unit::Number => {
            let a = x.abs();
            if a >= 100.0 {
                format!("{x:.1}")
            } else if a >= 1.0 {
                format!("{x:.2}")
            } else {
                format!("{x:.4}")
            }
        }
    }
}

/// Whether a larger value of a figure is better (`Some(true)`), worse (`Some(false)`), or
/// neither (`None`: a count of traffic, a size, a setting). Only figures whose direction is
/// plain get a winner; a kind's own figures default to neither.
pub fn higher_is_better(name: &str) -> Option<bool> {
    let last = name.rsplit('.').next().unwrap_or(name);
    if name.starts_with("lost.") || name.starts_with("cost.") {
        return Some(false);
    }
    if name.starts_with("downtime.") {
        return (last != "recovery_streak").then_some(false);
    }
    match last {
        "availability" | "throughput" | "good_fraction" => Some(true),
        _ if last.ends_with("hit_ratio") => Some(true),
        "mean" | "p50" | "p90" | "p95" | "p99" | "p999" | "max" => Some(false),
        "failed" | "rejected" | "timed_out" | "in_flight_at_end" | "unfinished"
        | "unfinished_overdue" | "error_rate" | "budget_used" | "queue_mean" | "queue_peak"
        | "stale_reads" | "relogins" | "lost" | "users_logged_out" | "call_timeouts"
        | "fast_failed_calls" | "dropped" | "dead_lettered" => Some(false),
        _ => None,
    }
}

/// A summary's figures in JSON, by their comparison names. `rename` maps a field's path (as
/// `summary.json` writes it under `prefix`) to its name; `None` leaves it out. Arrays (per
/// instance, per backend) and text are left out; `null` is kept as "no value".
fn walk(
    value: &Value,
    path: &str,
    rename: &dyn Fn(&str) -> Option<String>,
    out: &mut Vec<(String, Option<Reading>)>,
) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let sub = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(v, &sub, rename, out);
            }
        }
        Value::Number(n) => {
            if let Some(name) = rename(path) {
                let reading = match n.as_u64() {
                    Some(c) => Reading::Count(c),
                    None => Reading::Measure(n.as_f64().unwrap_or(f64::NAN)),
                };
                out.push((name, Some(reading)));
            }
        }
        Value::Null => {
            if let Some(name) = rename(path) {
                out.push((name, None));
            }
        }
        Value::Array(_) | Value::String(_) | Value::Bool(_) => {}
    }
}

/// The assertion name of a field every request type and component has (`total` is
/// `requests`, `latency_ms.p99` is `p99`, `throughput_rps` is `throughput`).
fn common_name(field: &str) -> Option<&str> {
    match field {
        "kind" => None,
        "total" => Some("requests"),
        "throughput_rps" => Some("throughput"),
        other => Some(other.strip_prefix("latency_ms.").unwrap_or(other)),
    }
}

fn json<T: serde::Serialize>(value: &T) -> Value {
    // Serialising a summary's part into a JSON tree cannot fail: its maps have string keys.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The run's request counts, every field of [`crate::results::Requests`] by its assertion name
/// (`total` is `requests`): a count added there is compared without a change here.
fn requests(r: &crate::results::Requests) -> Vec<(String, Option<Reading>)> {
    let mut out = Vec::new();
    walk(
        &json(r),
        "",
        &|p| common_name(p).map(str::to_string),
        &mut out,
    );
    out
}

/// Every figure of one summary that a comparison can show, by its name (assertion syntax:
/// `p99`, `lost.sessions`, `web.sessions.relogins`, `read.availability`, `cost.per_month`),
/// in the order rows are shown: the run, the SLO, what was lost, downtime, cost, each request
/// type, each component.
pub fn figures(s: &Summary) -> Vec<(String, Option<Reading>)> {
    let mut out = requests(&s.requests);
    let measure = |f: crate::results::Figure| f.written().map(Reading::Measure);
    out.push(("availability".into(), measure(s.availability)));
    out.push(("throughput".into(), measure(s.throughput_rps)));
    out.push(("offered".into(), measure(s.offered_rps)));
    walk(&json(&s.latency_ms), "", &|p| Some(p.to_string()), &mut out);
    if let Some(slo) = &s.slo {
        out.push(("slo.good_fraction".into(), measure(slo.good_fraction)));
        out.push(("slo.budget_used".into(), measure(slo.error_budget.used)));
    }
    for (category, &n) in &s.lost {
        out.push((format!("lost.{category}"), Some(Reading::Count(n))));
    }
    if let Some(d) = &s.downtime {
        out.push(("downtime.count".into(), Some(Reading::Count(d.count))));
        out.push(("downtime.total_s".into(), Some(Reading::Measure(d.total_s))));
    }
    if let Some(cost) = &s.cost {
        out.push(("cost.per_hour".into(), measure(cost.per_hour)));
        out.push(("cost.per_month".into(), measure(cost.per_month)));
    }
    for (name, t) in &s.request_types {
        walk(
            &json(t),
            "",
            &|p| common_name(p).map(|f| format!("{name}.{f}")),
            &mut out,
        );
    }
    for (name, c) in &s.components {
        walk(
            &json(c),
            "",
            &|p| common_name(p).map(|f| format!("{name}.{f}")),
            &mut out,
        );
    }
    out
}

/// One row of the comparison: a figure for every design.
pub struct Row {
    pub metric: String,
    pub unit: Unit,
    /// Named in the scenario's `compare.headline`.
    pub headline: bool,
    /// Per design: each replication's value, in seed order; `None` when the design (or one of
    /// its replications) has no value for it.
    pub samples: Vec<Option<Vec<f64>>>,
    /// Per design: the mean and its interval over the replications.
    pub values: Vec<Option<Interval>>,
    /// Per design: difference to the first design and whether it is significant (paired t
    /// interval at 95% excludes 0; `None` with one replication).
    pub deltas: Vec<Option<(f64, Option<bool>)>>,
    pub winner: Winner,
}

/// Who wins a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Winner {
    /// Neither higher nor lower is better (traffic, sizes), or a design has no value.
    NotApplicable,
    /// The runs were cut short at different simulated times.
    Stopped,
    /// The best value is shared.
    Tie,
    /// One run per design: no test of significance, so no winner.
    Unknown,
    /// The best design is not significantly better than the runner-up.
    NotSignificant,
    /// This design, significantly better than every other.
    Design(usize),
}

impl Row {
    pub fn mean(&self, i: usize) -> Option<f64> {
        self.values.get(i).copied().flatten().map(|v| v.mean)
    }

    /// The paired interval of `design - reference` over the replications.
    pub fn paired(&self, reference: usize, design: usize) -> Option<Interval> {
        let a = self.samples.get(reference)?.as_ref()?;
        let b = self.samples.get(design)?.as_ref()?;
        let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
        Some(Interval::of(&d, 0.95))
    }

    /// The designs with the best mean (several on a tie); empty when the figure has no better
    /// direction or a design has no value.
    pub fn best(&self) -> Vec<usize> {
        let Some(higher) = higher_is_better(&self.metric) else {
            return Vec::new();
        };
        let Some(means) = (0..self.values.len())
            .map(|i| self.mean(i))
            .collect::<Option<Vec<f64>>>()
        else {
            return Vec::new();
        };
        let pick = if higher { f64::max } else { f64::min };
        let Some(best) = means.iter().copied().reduce(pick) else {
            return Vec::new();
        };
        let shown = show(self.unit, best);
        (0..means.len())
            .filter(|&i| show(self.unit, means[i]) == shown)
            .collect()
    }
}

/// Whether the difference of a paired interval is significant at 95% (`None` with fewer
/// than 2 replications, where no spread can be estimated).
pub fn significant(ci: &Interval) -> Option<bool> {
    (ci.n >= 2).then_some(!ci.contains(0.0))
}

/// The comparison: its rows (headline first) and what was left out.
pub struct Comparison {
    pub rows: Vec<Row>,
    /// Replications per design.
    pub replications: usize,
    /// Figures that print the same for every design, left out of `rows`.
    pub equal: Vec<String>,
}

/// Why the comparison's runs were cut short, if one was (a signal or a limit): its designs
/// then stopped at different simulated times, so no winner is declared and every output says
/// so.
pub fn stopped_by(designs: &[Compared]) -> Option<&str> {
    designs
        .iter()
        .find_map(|d| d.study.result.truncated.as_deref())
}

/// One sentence on a comparison cut short: the reason and each design's simulated time.
pub fn stopped_note(designs: &[Compared]) -> Option<String> {
    let reason = stopped_by(designs)?;
    let ends: Vec<String> = designs
        .iter()
        .map(|d| format!("{} at {:.1}s", d.label, d.study.result.end.as_secs_f64()))
        .collect();
    Some(format!(
        "STOPPED EARLY ({}): the designs were cut at different simulated times ({}), so no winner is declared",
        reason.replace('_', " "),
        ends.join(", ")
    ))
}

/// The replications a comparison with one run per design would need for a test of
/// significance: a paired t interval needs 2 to exist, and 5 give one that can tell a
/// moderate difference from noise (t(0.975, 4) = 2.78, against 12.7 with 2).
pub const SUGGESTED_REPLICATIONS: usize = 5;

/// One figure's readings: (is a count, per design per replication).
type Gathered = (bool, Vec<Vec<Option<f64>>>);

fn gather(designs: &[Compared]) -> IndexMap<String, Gathered> {
    let mut all: IndexMap<String, Gathered> = IndexMap::new();
    for (d, design) in designs.iter().enumerate() {
        let n = design.study.summaries.len();
        for (r, summary) in design.study.summaries.iter().enumerate() {
            for (name, reading) in figures(summary) {
                let entry = all
                    .entry(name)
                    .or_insert_with(|| (false, vec![Vec::new(); designs.len()]));
                if let Some(Reading::Count(_)) = reading {
                    entry.0 = true;
                }
                let slot = &mut entry.1[d];
                slot.resize(n, None);
                slot[r] = reading.map(Reading::value);
            }
        }
    }
    // A count that is a float somewhere (never, for typed counts) is a measure.
    for (_, (count, per)) in all.iter_mut() {
        if per.iter().flatten().flatten().any(|x| x.fract() != 0.0) {
            *count = false;
        }
    }
    all
}

fn row(
    metric: String,
    count: bool,
    per: Vec<Option<Vec<f64>>>,
    headline: bool,
    replications: usize,
    fair: bool,
) -> Row {
    let unit = Unit::of(&metric, count);
    let values: Vec<Option<Interval>> = per
        .iter()
        .map(|s| s.as_ref().map(|v| Interval::of(v, 0.95)))
        .collect();
    let mut row = Row {
        metric,
        unit,
        headline,
        samples: per,
        values,
        deltas: Vec::new(),
        winner: Winner::NotApplicable,
    };
    row.deltas = (0..row.samples.len())
        .map(|i| {
            let ci = row.paired(0, i)?;
            // The baseline is not compared with itself.
            Some((ci.mean, significant(&ci).filter(|_| i > 0)))
        })
        .collect();
    let best = row.best();
    row.winner = if best.is_empty() {
        Winner::NotApplicable
    } else if !fair {
        Winner::Stopped
    } else if replications < 2 {
        // Even a tie in one run says nothing about the next.
        Winner::Unknown
    } else if best.len() > 1 {
        Winner::Tie
    } else {
        let b = best[0];
        // The runner-up: the best of the others.
        let higher = higher_is_better(&row.metric) == Some(true);
        let second = (0..row.samples.len()).filter(|&i| i != b).reduce(|x, y| {
            let (mx, my) = (
                row.mean(x).unwrap_or(f64::NAN),
                row.mean(y).unwrap_or(f64::NAN),
            );
            if (my > mx) == higher {
                y
            } else {
                x
            }
        });
        match second
            .and_then(|s| row.paired(s, b))
            .as_ref()
            .and_then(significant)
        {
            Some(true) => Winner::Design(b),
            _ => Winner::NotSignificant,
        }
    };
    row
}

/// Whether every design prints the same value (or none).
fn all_equal(row: &Row) -> bool {
    let shown: Vec<String> = (0..row.values.len())
        .map(|i| row.mean(i).map_or("-".to_string(), |m| show(row.unit, m)))
        .collect();
    shown.windows(2).all(|w| w[0] == w[1])
}

/// The comparison: headline figures first, in the order named (a name that stands for a group,
/// `web.sessions`, brings every figure under it), then every other figure that differs between
/// the designs, in [`figures`] order. No winner is declared when a run was cut short.
pub fn compare(designs: &[Compared], headline: &[HeadlineFigure]) -> Comparison {
    let fair = stopped_by(designs).is_none();
    let replications = designs.first().map_or(0, |d| d.study.summaries.len());
    let mut all = gather(designs);
    let per_design = |per: Vec<Vec<Option<f64>>>| -> Vec<Option<Vec<f64>>> {
        per.into_iter()
            .map(|v| {
                if v.is_empty() {
                    None
                } else {
                    v.into_iter().collect()
                }
            })
            .collect()
    };
    let mut rows = Vec::new();
    for h in headline {
        let under = format!("{}.", h.name);
        let names: Vec<String> = all
            .keys()
            .filter(|k| **k == h.name || k.starts_with(&under))
            .cloned()
            .collect();
        if names.is_empty() {
            // A figure no summary lists by this name (`lost.total`, `error_rate`): read as an
            // assertion reads it; "no value" where it cannot be.
            let per: Vec<Option<Vec<f64>>> = designs
                .iter()
                .map(|d| {
                    let (scope, metric) = h.metric.as_ref()?;
                    d.study
                        .summaries
                        .iter()
                        .map(|s| crate::study::judge::measure(s, scope, metric).ok())
                        .collect()
                })
                .collect();
            let count = matches!(h.metric, Some((_, crate::assertions::Metric::Lost(_))));
            rows.push(row(h.name.clone(), count, per, true, replications, fair));
            continue;
        }
        for name in names {
            if let Some((count, per)) = all.shift_remove(&name) {
                rows.push(row(name, count, per_design(per), true, replications, fair));
            }
        }
    }
    let mut equal = Vec::new();
    for (name, (count, per)) in all {
        let r = row(name, count, per_design(per), false, replications, fair);
        if r.values.iter().all(Option::is_none) {
            continue;
        }
        if all_equal(&r) {
            equal.push(r.metric);
        } else {
            rows.push(r);
        }
    }
    Comparison {
        rows,
        replications,
        equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_printed_by_unit() {
        assert_eq!(show(Unit::Count, 119983.0), "119,983");
        assert_eq!(show(Unit::Count, -2.0), "-2");
        assert_eq!(show(Unit::Count, 2.5), "2.5");
        assert_eq!(show(Unit::Count, -72223.44), "-72,223.4");
        assert_eq!(show(Unit::Ratio, 0.999917), "99.9917%");
        assert_eq!(show(Unit::Ms, 86.184), "86.18ms");
        assert_eq!(show(Unit::Number, f64::NAN), "-");
    }

    #[test]
    fn every_request_count_is_a_figure() {
        let r = crate::results::Requests {
            total: 10,
            failed: 2,
            ..Default::default()
        };
        let found = requests(&r);
        let fields = match json(&r) {
            Value::Object(map) => map.len(),
            _ => 0,
        };
        assert_eq!(found.len(), fields);
        assert_eq!(found[0], ("requests".to_string(), Some(Reading::Count(10))));
        assert!(found.contains(&("failed".to_string(), Some(Reading::Count(2)))));
    }

    #[test]
    fn directions_are_given_only_where_plain() {
        assert_eq!(higher_is_better("web.sessions.relogins"), Some(false));
        assert_eq!(higher_is_better("lost.sessions"), Some(false));
        assert_eq!(higher_is_better("cache.hit_ratio"), Some(true));
        assert_eq!(higher_is_better("p99"), Some(false));
        assert_eq!(higher_is_better("requests"), None);
        assert_eq!(higher_is_better("users.client_cache_hits"), None);
        assert_eq!(Unit::of("web.p99", false), Unit::Ms);
        assert_eq!(Unit::of("cache.hit_ratio", false), Unit::Ratio);
        assert_eq!(Unit::of("requests", true), Unit::Count);
    }
}
