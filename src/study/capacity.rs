//! `sim capacity`: the highest traffic multiplier at which every assertion (and the SLO) still
//! holds, by doubling or halving to a bracket and then bisection. Every probe uses the same
//! seeds (common random numbers), so the answer does not jump with the seed's luck.

use serde::Serialize;

use super::judge::judge_all;
use super::{study, Design, StudyError, StudyOptions};
use crate::assertions::{Assertion, Metric, Op, Quantity, Scope};
use crate::results::{Figure, Summary};
use crate::scenario::Plan;

/// Largest and smallest multipliers tried when looking for a bracket.
pub const MULTIPLIER_RANGE: (f64, f64) = (1.0 / 1024.0, 1024.0);

/// A search with nothing to meet: no assertion and no SLO.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {command} needs something to meet: an 'assert' section or an 'slo'")]
pub struct NothingToMeet {
    pub path: String,
    /// The command as the user gave it (`capacity`, `--cheapest`).
    pub command: String,
}

/// What a search must meet besides the scenario's own assertions (which every study judges):
/// the SLO, if there is one.
pub fn checks(plan: &Plan, path: &str, command: &str) -> Result<Vec<Assertion>, NothingToMeet> {
    let mut checks: Vec<Assertion> = Vec::new();
    if let Some(slo) = &plan.slo {
        checks.push(Assertion {
            text: format!("slo.good_fraction >= {}%", slo.target * 100.0),
            scope: Scope::Run,
            metric: Metric::SloGoodFraction,
            op: Op::Ge,
            limit: slo.target,
            quantity: Quantity::Ratio,
            confidence: None,
            id: None,
            during: None,
        });
    }
    if checks.is_empty() && plan.assertions.is_empty() {
        return Err(NothingToMeet {
            path: path.to_string(),
            command: command.to_string(),
        });
    }
    Ok(checks)
}

/// How a study of one design did against every check: the first failure, as "check: why".
pub fn first_failure(study: &super::Study, checks: &[Assertion]) -> Option<String> {
    let mut verdicts = study.result.assertions.clone();
    verdicts.extend(judge_all(checks, &study.summaries));
    verdicts
        .iter()
        .find(|v| !v.passed)
        .map(|v| format!("{}: {}", v.text, v.message))
}

/// The mean over the replications of a figure, as `summary.json` shows it (figures with
/// nothing measured left out).
pub fn mean_of(summaries: &[Summary], figure: impl Fn(&Summary) -> Option<Figure>) -> f64 {
    let values: Vec<f64> = summaries
        .iter()
        .filter_map(|s| figure(s)?.written())
        .collect();
    crate::stats::mean(&values)
}

/// One probe of the capacity search (a row of `capacity.csv`, an entry of `capacity.json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Probe {
    pub multiplier: f64,
    pub passed: bool,
    pub offered_rps: f64,
    pub p99_ms: f64,
    /// The first failed check, or empty.
    pub failure: String,
}

/// Where the search ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Capacity {
    /// Every probe, in the order run.
    pub probes: Vec<Probe>,
    /// The highest multiplier found to meet every check; 0 when none did.
    pub highest_passing: f64,
    /// The lowest multiplier found to fail a check; infinite when none did.
    pub lowest_failing: f64,
    /// Why the search stopped before its end, if it did (a signal, a limit): a probe cut
    /// short is not judged, and the bracket is what the finished probes give.
    pub stopped_by: Option<String>,
}

/// Each traffic source's own multiplier (1 unless the scenario gives one), which a probe
/// scales.
pub fn traffic_sources(design: &Design) -> Vec<(String, f64)> {
    let doc: serde_json::Value = serde_saphyr::from_str(&design.text).unwrap_or_default();
    doc["traffic"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let name = t["name"].as_str()?.to_string();
            let own = match &t["multiplier"] {
                serde_json::Value::Null => 1.0,
                v => crate::scenario::units::parse_multiplier(&crate::study::overrides::show(v))
                    .unwrap_or(1.0),
            };
            Some((name, own))
        })
        .collect()
}

impl Capacity {
    /// The offered load [req/s] of the probe at `multiplier`, if one ran there.
    pub fn offered_at(&self, multiplier: f64) -> f64 {
        self.probes
            .iter()
            .find(|p| p.multiplier == multiplier)
            .map_or(f64::NAN, |p| p.offered_rps)
    }

    /// `capacity.json`.
    pub fn report(&self, scenario: &str, seed: u64, replications: u32) -> CapacityReport<'_> {
        let lo = self.highest_passing;
        let hi = self.lowest_failing;
        CapacityReport {
            sim_version: env!("CARGO_PKG_VERSION"),
            scenario: scenario.to_string(),
            seed,
            replications,
            capacity_multiplier: (lo > 0.0).then_some(lo),
            capacity_offered_rps: (lo > 0.0).then(|| self.offered_at(lo)),
            first_failing_multiplier: hi.is_finite().then_some(hi),
            truncated: self.stopped_by.clone(),
            probes: &self.probes,
        }
    }

    /// `capacity.csv`: one row per probe.
    pub fn csv(&self) -> String {
        let mut table = crate::output::csv::Table::new([
            "multiplier",
            "passed",
            "offered_rps",
            "p99_ms",
            "failure",
        ]);
        for p in &self.probes {
            table.row([
                p.multiplier.to_string(),
                p.passed.to_string(),
                p.offered_rps.to_string(),
                p.p99_ms.to_string(),
                p.failure.clone(),
            ]);
        }
        table.finish()
    }
}

/// `capacity.json`, field for field.
#[derive(Debug, Serialize)]
pub struct CapacityReport<'a> {
    pub sim_version: &'static str,
    pub scenario: String,
    pub seed: u64,
    pub replications: u32,
    pub capacity_multiplier: Option<f64>,
    /// `null` also when the probe's offered load was not measured.
    pub capacity_offered_rps: Option<f64>,
    pub first_failing_multiplier: Option<f64>,
    pub truncated: Option<String>,
    pub probes: &'a [Probe],
}

/// Searches the highest multiplier of `base`'s traffic that meets its assertions and
/// `checks`, to within `tolerance` (relative to the bracket's low end). Each probe is a study
/// of `base` with its sources scaled, run with `options`; `on_probe` sees each as it ends.
/// A study that cannot run is an error; a stop (`options.stop`) ends the search with the
/// bracket found so far.
pub fn search(
    base: &Design,
    checks: &[Assertion],
    tolerance: f64,
    options: &StudyOptions<'_>,
    on_probe: &mut dyn FnMut(&Probe),
) -> Result<Capacity, StudyError> {
    let sources = traffic_sources(base);
    let mut probes: Vec<Probe> = Vec::new();
    let mut stopped_by: Option<String> = None;
    // Ok(passed), or Err(None) when a stop cut the probe short, Err(Some) when it failed.
    let mut probe = |m: f64| -> Result<bool, Option<StudyError>> {
        let changes: Vec<(String, serde_json::Value)> = sources
            .iter()
            .map(|(name, own)| {
                (
                    format!("{name}.multiplier"),
                    serde_json::Value::String(format!("{}x", own * m)),
                )
            })
            .collect();
        let s = base
            .with(&format!("x{m}"), &changes)
            .and_then(|design| study(&design, options))
            .map_err(Some)?;
        if let Some(reason) = &s.result.truncated {
            stopped_by = Some(reason.clone());
            return Err(None);
        }
        let failure = first_failure(&s, checks);
        let p = Probe {
            multiplier: m,
            passed: failure.is_none(),
            offered_rps: mean_of(&s.summaries, |s| Some(s.offered_rps)),
            p99_ms: mean_of(&s.summaries, |s| Some(s.latency_ms.p99)),
            failure: failure.unwrap_or_default(),
        };
        on_probe(&p);
        let passed = p.passed;
        probes.push(p);
        Ok(passed)
    };
    let (lowest, highest) = MULTIPLIER_RANGE;
    let outcome = (|| -> Result<(f64, f64), Option<StudyError>> {
        let (mut lo, mut hi);
        if probe(1.0)? {
            lo = 1.0;
            hi = 2.0;
            while probe(hi)? {
                lo = hi;
                if hi >= highest {
                    return Ok((lo, f64::INFINITY));
                }
                hi *= 2.0;
            }
        } else {
            hi = 1.0;
            lo = 0.5;
            while !probe(lo)? {
                hi = lo;
                if lo <= lowest {
                    return Ok((0.0, hi));
                }
                lo /= 2.0;
            }
        }
        while (hi - lo) / lo > tolerance {
            let mid = (lo + hi) / 2.0;
            if probe(mid)? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok((lo, hi))
    })();
    let (highest_passing, lowest_failing) = match outcome {
        Ok(bracket) => bracket,
        Err(Some(e)) => return Err(e),
        // Stopped by a signal or a limit: the bracket the finished probes give.
        Err(None) => (
            probes
                .iter()
                .filter(|p| p.passed)
                .map(|p| p.multiplier)
                .fold(0.0, f64::max),
            probes
                .iter()
                .filter(|p| !p.passed)
                .map(|p| p.multiplier)
                .fold(f64::INFINITY, f64::min),
        ),
    };
    Ok(Capacity {
        probes,
        highest_passing,
        lowest_failing,
        stopped_by,
    })
}
