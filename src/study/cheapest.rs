//! `sim capacity --cheapest --param PATH=VALUES ...`: the cheapest design of a grid that meets
//! every check (the scenario's assertions and its SLO) at the scenario's own traffic.
//!
//! Search method (exact over the grid, not a heuristic): every design's *price floor* is known
//! without running it: its instance and memory prices per hour (an autoscaled pool counted at
//! its `min`), times 730 hours. Per-request prices and autoscaled instances above `min` only add
//! to that. Designs are run in order of increasing floor (ties in grid order); once one passes
//! with a monthly cost C, every design whose floor is at or above C cannot be cheaper, so the
//! search stops there. In the worst case (nothing passes) every design is run.

use serde::Serialize;

use super::capacity::{first_failure, mean_of};
use super::{study, Design, StudyError, StudyOptions};
use crate::assertions::Assertion;
use crate::cost::HOURS_PER_MONTH;
use crate::scenario::validate::{ComponentPlan, Plan};
use crate::study::sweep::Param;

/// How the search goes, as `cheapest.json` states it.
pub const METHOD: &str = "branch and bound over the grid: designs run in order of their price floor (instance and memory prices, autoscaled pools at min); the search stops at the first design whose floor is at or above the cheapest passing design's monthly cost";

/// Why a cheapest-design search cannot start.
#[derive(Debug, thiserror::Error)]
pub enum CheapestError {
    #[error("{path}: --cheapest needs prices: add a 'cost' section (e.g. cost: {{components: {{web: {{per_hour: 0.10}}}}}})")]
    NoPrices { path: String },
    #[error("--cheapest needs the designs to choose from: give --param PATH=VALUES (e.g. --param web.instances=1..8)")]
    NoDesigns,
    #[error(transparent)]
    NothingToMeet(#[from] super::capacity::NothingToMeet),
    /// Two parameters set one value, or the grid is too large.
    #[error("{0}")]
    Grid(String),
    /// A design does not check.
    #[error(transparent)]
    Design(StudyError),
}

/// A design's monthly price floor: instance and memory prices (autoscaled pools at `min`).
pub fn price_floor(plan: &Plan) -> Option<f64> {
    let cost = plan.cost.as_ref()?;
    let per_hour: f64 = cost
        .components
        .iter()
        .map(|p| {
            let instances = plan
                .components
                .iter()
                .find(|(n, _)| *n == p.name)
                .and_then(|(_, c)| match c {
                    ComponentPlan::Server(s) => s.autoscale.as_ref().map(|a| a.min),
                    _ => None,
                })
                .unwrap_or(p.instances);
            f64::from(instances) * p.price.per_hour + p.memory_gb * p.price.per_gb_hour
        })
        .sum();
    Some(per_hour * HOURS_PER_MONTH)
}

/// What a search must meet besides each design's assertions, once the scenario is known to
/// have prices and the grid to have designs; and the parameters to set two values at once
/// are refused.
pub fn checks(
    base: &Design,
    plan: &Plan,
    params: &[Param],
) -> Result<Vec<Assertion>, CheapestError> {
    if plan.cost.is_none() {
        return Err(CheapestError::NoPrices {
            path: base.path.clone(),
        });
    }
    if params.is_empty() {
        return Err(CheapestError::NoDesigns);
    }
    let checks = super::capacity::checks(plan, &base.path, "--cheapest")?;
    crate::study::sweep::check_distinct(&base.text, params).map_err(CheapestError::Grid)?;
    Ok(checks)
}

/// One design of the grid, checked and priced before anything runs.
pub struct Candidate {
    /// Each parameter's value, in `--param` order.
    pub values: Vec<String>,
    pub design: Design,
    /// Its monthly price floor ([`price_floor`]).
    pub floor: f64,
}

/// Every design of the grid `params` spans over `base`.
pub fn candidates(base: &Design, params: &[Param]) -> Result<Vec<Candidate>, CheapestError> {
    let grid = crate::study::sweep::grid(params).map_err(CheapestError::Grid)?;
    let mut out: Vec<Candidate> = Vec::with_capacity(grid.len());
    for point in &grid {
        let values: Vec<String> = point
            .iter()
            .zip(params)
            .map(|(&v, p)| p.values[v].clone())
            .collect();
        let changes: Vec<(String, serde_json::Value)> = params
            .iter()
            .zip(&values)
            .map(|(p, v)| (p.path.clone(), crate::study::overrides::parse_value(v)))
            .collect();
        let label: Vec<String> = params
            .iter()
            .zip(&values)
            .map(|(p, v)| format!("{}={v}", p.path))
            .collect();
        let design = base
            .with(&label.join(" "), &changes)
            .map_err(CheapestError::Design)?;
        let plan = design.plan().map_err(CheapestError::Design)?;
        let floor = price_floor(&plan).unwrap_or(0.0);
        out.push(Candidate {
            values,
            design,
            floor,
        });
    }
    Ok(out)
}

/// A design that was run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tried {
    pub values: Vec<String>,
    #[serde(rename = "price_floor_per_month")]
    pub floor: f64,
    /// Monthly cost after the run (the mean over the replications).
    #[serde(rename = "cost_per_month")]
    pub cost: f64,
    pub passed: bool,
    /// The first failed check, or empty.
    pub failure: String,
}

/// Where the search ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Cheapest {
    /// The designs run, in the order run.
    pub tried: Vec<Tried>,
    /// The cheapest of `tried` that passed.
    pub best: Option<usize>,
    /// Why the search stopped before its end, if it did: a design cut short is not judged,
    /// and a cheaper design than `best` may not have been run.
    pub stopped_by: Option<String>,
}

/// Runs `candidates` in order of their price floor (ties in grid order) with `options`, until
/// the floor reaches the cheapest passing design's cost; `on_tried` sees each design as it
/// ends.
pub fn search(
    candidates: &[Candidate],
    checks: &[Assertion],
    options: &StudyOptions<'_>,
    on_tried: &mut dyn FnMut(&Candidate, &Tried),
) -> Result<Cheapest, StudyError> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| {
        candidates[a]
            .floor
            .total_cmp(&candidates[b].floor)
            .then(a.cmp(&b))
    });
    let mut tried: Vec<Tried> = Vec::new();
    let mut best: Option<usize> = None;
    let mut stopped_by: Option<String> = None;
    for &i in &order {
        let candidate = &candidates[i];
        if let Some(b) = best {
            if candidate.floor >= tried[b].cost {
                break;
            }
        }
        let s = study(&candidate.design, options)?;
        if let Some(reason) = &s.result.truncated {
            stopped_by = Some(reason.clone());
            break;
        }
        let failure = first_failure(&s, checks);
        let t = Tried {
            values: candidate.values.clone(),
            floor: candidate.floor,
            cost: mean_of(&s.summaries, |s| Some(s.cost.as_ref()?.per_month)),
            passed: failure.is_none(),
            failure: failure.unwrap_or_default(),
        };
        on_tried(candidate, &t);
        let improves = t.passed && best.is_none_or(|b| t.cost < tried[b].cost);
        tried.push(t);
        if improves {
            best = Some(tried.len() - 1);
        }
    }
    Ok(Cheapest {
        tried,
        best,
        stopped_by,
    })
}

/// `cheapest.json`'s choice.
#[derive(Debug, Serialize)]
pub struct Choice<'a> {
    pub values: &'a [String],
    pub cost_per_month: f64,
}

/// `cheapest.json`, field for field.
#[derive(Debug, Serialize)]
pub struct CheapestReport<'a> {
    pub sim_version: &'static str,
    pub scenario: &'a str,
    pub seed: u64,
    pub replications: u32,
    pub currency: &'a str,
    pub method: &'static str,
    pub params: Vec<&'a str>,
    pub designs: usize,
    pub truncated: Option<&'a str>,
    pub cheapest: Option<Choice<'a>>,
    pub tried: &'a [Tried],
}

impl Cheapest {
    /// `cheapest.json` of a search of `designs` designs over `params`.
    pub fn report<'a>(
        &'a self,
        scenario: &'a str,
        seed: u64,
        replications: u32,
        currency: &'a str,
        params: &'a [Param],
        designs: usize,
    ) -> CheapestReport<'a> {
        CheapestReport {
            sim_version: env!("CARGO_PKG_VERSION"),
            scenario,
            seed,
            replications,
            currency,
            method: METHOD,
            params: params.iter().map(|p| p.path.as_str()).collect(),
            designs,
            truncated: self.stopped_by.as_deref(),
            cheapest: self.best.map(|b| Choice {
                values: &self.tried[b].values,
                cost_per_month: self.tried[b].cost,
            }),
            tried: &self.tried,
        }
    }
}
