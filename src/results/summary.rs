//! `summary.json` as types. Field order is the file's order.

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::figure::Figure;
use crate::stats::LatencySummary;

/// Latency percentiles of succeeded requests [ms].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub mean: Figure,
    pub p50: Figure,
    pub p90: Figure,
    pub p95: Figure,
    pub p99: Figure,
    pub p999: Figure,
    pub max: Figure,
}

impl From<&LatencySummary> for Latency {
    fn from(l: &LatencySummary) -> Self {
        Latency {
            mean: l.mean.into(),
            p50: l.p50.into(),
            p90: l.p90.into(),
            p95: l.p95.into(),
            p99: l.p99.into(),
            p999: l.p999.into(),
            max: l.max.into(),
        }
    }
}

impl Latency {
    /// The figure an assertion or a table names (`p99`, `mean`, ...).
    pub fn get(&self, name: &str) -> Option<Figure> {
        Some(match name {
            "mean" => self.mean,
            "p50" => self.p50,
            "p90" => self.p90,
            "p95" => self.p95,
            "p99" => self.p99,
            "p999" => self.p999,
            "max" => self.max,
            _ => return None,
        })
    }
}

/// End-to-end request counts (after the warm-up).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Requests {
    pub total: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub rejected: u64,
    pub timed_out: u64,
    /// Sent after the warm-up but not answered when the run stopped: not counted in `total`.
    pub unfinished: u64,
    /// Of `unfinished`, those older than `patience_ms` at the end: counted against
    /// availability (and the objective) as failures.
    pub unfinished_overdue: u64,
    /// How long the oldest unfinished request had waited at the end; 0 when none.
    pub unfinished_oldest_ms: Figure,
    /// The run's patience: the objective's latency, else the longest client timeout, else 10 s.
    pub patience_ms: Figure,
}

/// One request type's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeSummary {
    pub total: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub rejected: u64,
    pub timed_out: u64,
    pub unfinished: u64,
    pub unfinished_overdue: u64,
    pub availability: Figure,
    pub latency_ms: Latency,
}

impl TypeSummary {
    pub fn of(f: &crate::results::run::RequestFigures) -> Self {
        let o = &f.outcomes;
        TypeSummary {
            total: o.total(),
            succeeded: o.succeeded,
            failed: o.failed,
            rejected: o.rejected,
            timed_out: o.timed_out,
            unfinished: f.unfinished.count,
            unfinished_overdue: f.unfinished.overdue,
            availability: f.availability().into(),
            latency_ms: (&f.latency).into(),
        }
    }
}

/// How the run did against its service-level objective.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SloSummary {
    pub latency_ms: Figure,
    pub target: Figure,
    pub good_fraction: Figure,
    pub met: bool,
    pub error_budget: ErrorBudget,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBudget {
    pub allowed_misses: Figure,
    pub misses: u64,
    pub used: Figure,
}

/// One expectation of the analytic twin beside the simulated figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalyticRow {
    pub component: String,
    pub metric: String,
    pub model: String,
    pub theory: Figure,
    pub simulated: Figure,
    pub tolerance: Figure,
    pub agrees: Option<bool>,
    pub note: Option<String>,
}

/// A component ranked as a bottleneck (most limiting first), why, and what the twin says one
/// change would do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bottleneck {
    pub component: String,
    /// Why it is listed, most limiting reason first: "rejects 5.9% of its requests ...",
    /// "queue 184.3 mean (peak 200)", "55.9% busy (shard-d[1] 99.9% busy)".
    pub why: Vec<String>,
    /// It turns requests away itself or its queue grows: it caps what the system serves.
    pub limits: bool,
    /// Requests it turned away itself (full, or at its limit), after the warm-up.
    pub refused: u64,
    /// `refused` over its requests.
    pub refused_share: Figure,
    /// Mean waiting requests; `null` for kinds without a queue.
    pub queue_mean: Figure,
    /// Whether its queue grew over the end of the run.
    pub queue_growing: bool,
    /// `null` for kinds without a capacity (a rate limiter).
    pub utilization: Figure,
    /// Its busiest node or instance (`name[i]`), where markedly busier than the mean.
    pub busiest: Option<BusiestPart>,
    pub share_of_p99: Figure,
    pub what_if: Option<WhatIfSummary>,
}

/// A bottleneck's busiest node or instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BusiestPart {
    pub part: String,
    pub utilization: Figure,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WhatIfSummary {
    pub change: String,
    pub end_to_end_mean_ms: Figure,
    pub after_ms: Figure,
}

/// A trouble detector's finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trouble {
    pub kind: String,
    pub component: Option<String>,
    pub at_s: Figure,
    pub message: String,
}

/// What the engine did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Engine {
    pub events: u64,
    pub requests_started: u64,
    pub peak_calls_in_flight: usize,
}

/// One component's figures: those every component has, then its kind's own, in alphabetical
/// order. Read back by its `kind`, which says what its own figures are.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComponentSummary {
    pub kind: String,
    pub requests: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub rejected: u64,
    pub timed_out: u64,
    pub availability: Figure,
    pub throughput_rps: Figure,
    /// `null` for a component without a capacity.
    pub utilization: Option<Figure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_mean: Option<Figure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_peak: Option<u64>,
    pub latency_ms: Latency,
    /// The kind's own figures.
    #[serde(flatten)]
    pub figures: crate::model::figures::Figures,
}

/// The figures every component reports, as [`ComponentSummary`] names them in `summary.json`.
const COMMON_FIGURES: &[&str] = &[
    "kind",
    "requests",
    "succeeded",
    "failed",
    "rejected",
    "timed_out",
    "availability",
    "throughput_rps",
    "utilization",
    "queue_mean",
    "queue_peak",
    "latency_ms",
];

impl<'de> Deserialize<'de> for ComponentSummary {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Read {
            kind: String,
            requests: u64,
            succeeded: u64,
            failed: u64,
            rejected: u64,
            timed_out: u64,
            availability: Figure,
            throughput_rps: Figure,
            utilization: Option<Figure>,
            #[serde(default)]
            queue_mean: Option<Figure>,
            #[serde(default)]
            queue_peak: Option<u64>,
            latency_ms: Latency,
        }
        use crate::model::figures::Figures;
        // Read whole first: a kind may report a figure under a common name (a rate limiter's
        // own `rejected`, written once, in the common figure's place), which a flattened read
        // would hand to the common field only.
        let mut all = serde_json::Map::<String, Value>::deserialize(d)?;
        let r = Read::deserialize(Value::Object(all.clone())).map_err(serde::de::Error::custom)?;
        let own = Figures::names_of(&r.kind).unwrap_or_default();
        all.retain(|name, _| {
            own.contains(&name.as_str()) || !COMMON_FIGURES.contains(&name.as_str())
        });
        let figures = Figures::from_json(&r.kind, all).map_err(serde::de::Error::custom)?;
        Ok(ComponentSummary {
            kind: r.kind,
            requests: r.requests,
            succeeded: r.succeeded,
            failed: r.failed,
            rejected: r.rejected,
            timed_out: r.timed_out,
            availability: r.availability,
            throughput_rps: r.throughput_rps,
            utilization: r.utilization,
            queue_mean: r.queue_mean,
            queue_peak: r.queue_peak,
            latency_ms: r.latency_ms,
            figures,
        })
    }
}

/// What a run cost (`summary.json`'s `cost`), from [`crate::cost::Cost`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostSummary {
    pub currency: String,
    /// Length of the measured period [h].
    pub measured_hours: Figure,
    /// Instance and memory prices of every priced component [currency / h].
    pub per_hour: Figure,
    /// Cost of the measured period.
    pub run: Figure,
    /// Cost of a month at the run's rates.
    pub per_month: Figure,
    pub hours_per_month: f64,
    pub components: Vec<ComponentCostSummary>,
}

/// One priced component's cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentCostSummary {
    pub component: String,
    /// Instances paid for: as configured, or an autoscaled pool's time-average in service.
    pub instances: Figure,
    pub per_hour: Figure,
    /// Requests it received in the measured period.
    pub requests: u64,
    pub run: Figure,
    pub per_month: Figure,
}

impl From<&crate::cost::Cost> for CostSummary {
    fn from(c: &crate::cost::Cost) -> Self {
        CostSummary {
            currency: c.currency.clone(),
            measured_hours: c.hours.into(),
            per_hour: c.per_hour.into(),
            run: c.run.into(),
            per_month: c.per_month.into(),
            hours_per_month: crate::cost::HOURS_PER_MONTH,
            components: c
                .components
                .iter()
                .map(|c| ComponentCostSummary {
                    component: c.name.clone(),
                    instances: c.instances.into(),
                    per_hour: c.per_hour.into(),
                    requests: c.requests,
                    run: c.run.into(),
                    per_month: c.per_month.into(),
                })
                .collect(),
        }
    }
}

/// `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub scenario: String,
    pub sim_version: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub duration_s: Figure,
    pub warmup_s: Figure,
    /// Why the run stopped: how it ended, or the limit or guard that cut it short.
    pub stopped_by: String,
    pub truncated: bool,
    pub requests: Requests,
    pub availability: Figure,
    pub throughput_rps: Figure,
    pub offered_rps: Figure,
    pub latency_ms: Latency,
    pub request_types: IndexMap<String, TypeSummary>,
    pub slo: Option<SloSummary>,
    /// What failures destroyed, by category, summed over every component.
    pub lost: IndexMap<String, u64>,
    pub analytic: Vec<AnalyticRow>,
    pub bottlenecks: Vec<Bottleneck>,
    pub trouble: Vec<Trouble>,
    /// Every failure that started (the failure timeline's `events`).
    pub failures: Vec<crate::model::figures::failures::FailureEventFigures>,
    /// Downtime as the clients saw it; `null` without a failure timeline.
    pub downtime: Option<crate::model::figures::failures::DowntimeFigures>,
    pub components: IndexMap<String, ComponentSummary>,
    pub engine: Engine,
    /// Path overrides of a variant or a sweep point, as `path=value`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
    /// With replications: their means, intervals and values (see [`crate::study::replications`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replications: Option<super::replications::Replications>,
    /// Figures over a span of time that assertions ask for (`during:`), when they do.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spans: Vec<super::span_figure::SpanFigure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertions: Option<Vec<AssertionSummary>>,
    /// Where the time goes, when the run kept the per-hop breakdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<super::breakdown::Breakdown>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostSummary>,
}

/// One assertion's verdict, as `summary.json` writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssertionSummary {
    /// The assertion as written.
    pub assert: String,
    /// Its `id`, when the scenario gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub passed: bool,
    /// The figure judged; `null` when it could not be read.
    pub value: Figure,
    pub limit: Figure,
    /// What `value` is: "value", "mean of 10", "upper 95% bound of 10".
    pub judged_on: String,
    pub message: String,
}

impl AssertionSummary {
    /// The verdicts as `summary.json` lists them, in the scenario's order.
    pub fn of(verdicts: &[crate::assertions::Verdict]) -> Vec<Self> {
        verdicts
            .iter()
            .map(|v| AssertionSummary {
                assert: v.text.clone(),
                id: v.id.clone(),
                passed: v.passed,
                value: Figure(v.value.unwrap_or(f64::NAN)),
                limit: Figure(v.limit),
                judged_on: v.judged_on.clone(),
                message: v.message.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `COMMON_FIGURES` names exactly what a component without figures of its own writes.
    #[test]
    fn the_common_figures_are_what_every_component_writes() {
        // A kind with no figures of its own (none is shipped; a report before its kind fills
        // them in).
        let c = ComponentSummary {
            kind: "new_kind".to_string(),
            requests: 3,
            succeeded: 2,
            failed: 1,
            rejected: 0,
            timed_out: 0,
            availability: Figure(0.5),
            throughput_rps: Figure(1.0),
            utilization: Some(Figure(0.25)),
            queue_mean: Some(Figure(0.5)),
            queue_peak: Some(2),
            latency_ms: Latency::default(),
            figures: crate::model::figures::Figures::None,
        };
        let written = serde_json::to_value(&c).unwrap_or_default();
        let names: Vec<&str> = written
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(names, COMMON_FIGURES);
        let back: ComponentSummary =
            serde_json::from_value(written.clone()).unwrap_or_else(|e| panic!("reads back: {e}"));
        assert_eq!(back, c);
    }
}
