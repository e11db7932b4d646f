//! `sim capacity --cheapest --param PATH=VALUES ...`: the cheapest design of a grid that meets
//! every check (the scenario's assertions and its SLO) at the scenario's own traffic.
//!
//! Search method (exact over the grid, not a heuristic): every design's *price floor* is known
//! without running it: its instance and memory prices per hour (an autoscaled pool counted at
//! its `min`), times 730 hours. Per-request prices and autoscaled instances above `min` only add
//! to that. Designs are run in order of increasing floor (ties in grid order); once one passes
//! with a monthly cost C, every design whose floor is at or above C cannot be cheaper, so the
//! search stops there. In the worst case (nothing passes) every design is run.

use std::path::PathBuf;
use std::time::Instant;

use serde_json::{json, Value};

use super::args::Limits;
use super::exit::{output_failed, EXIT_ASSERTION_FAILED, EXIT_BAD_INPUT, EXIT_OK};
use super::stop::{catch_interrupts, stop_check, stopped_exit_code};
use super::studies::design_and_plan;
use crate::assertions::judge_all;
use crate::cost::HOURS_PER_MONTH;
use crate::engine::SimDuration;
use crate::output::file::put;
use crate::output::{folder_name, OutputError, OutputFolder};
use crate::scenario::validate::{ComponentPlan, Plan};
use crate::study::{study, Design, Overrides, StudyOptions};
use crate::sweep::Param;

pub struct CheapestArgs {
    pub scenario: PathBuf,
    pub params: Vec<Param>,
    pub out: Option<PathBuf>,
    pub seed: Option<u64>,
    pub duration: Option<SimDuration>,
    pub replications: Option<u32>,
    /// When to stop early.
    pub limits: Limits,
    pub quiet: bool,
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

struct Tried {
    values: Vec<String>,
    floor: f64,
    /// Monthly cost after the run, whether every check passed, the first failure.
    cost: f64,
    passed: bool,
    failure: String,
}

pub fn command(args: CheapestArgs) -> i32 {
    let (base, plan) = match design_and_plan(&args.scenario) {
        Ok(both) => both,
        Err(code) => return code,
    };
    if plan.cost.is_none() {
        say_err!(
            "error: {}: --cheapest needs prices: add a 'cost' section (e.g. cost: {{components: {{web: {{per_hour: 0.10}}}}}})",
            base.path
        );
        return EXIT_BAD_INPUT;
    }
    if args.params.is_empty() {
        say_err!("error: --cheapest needs the designs to choose from: give --param PATH=VALUES (e.g. --param web.instances=1..8)");
        return EXIT_BAD_INPUT;
    }
    let Some(checks) = super::studies::slo_checks(&plan, &base.path, "--cheapest") else {
        return EXIT_BAD_INPUT;
    };
    if let Err(e) = crate::sweep::check_distinct(&base.text, &args.params) {
        say_err!("error: {e}");
        return EXIT_BAD_INPUT;
    }
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!("cheapest-{}", folder_name(&base.default_name)))
    });
    let folder = match OutputFolder::begin(&dir, "capacity --cheapest") {
        Ok(f) => f,
        Err(e) => return output_failed(&e, &format!("to {}", dir.display())),
    };
    let grid = match crate::sweep::grid(&args.params) {
        Ok(g) => g,
        Err(e) => {
            say_err!("error: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    // Every design is checked (and priced) before anything runs.
    let mut designs: Vec<(Vec<String>, Design, f64)> = Vec::with_capacity(grid.len());
    for point in &grid {
        let values: Vec<String> = point
            .iter()
            .zip(&args.params)
            .map(|(&v, p)| p.values[v].clone())
            .collect();
        let changes: Vec<(String, Value)> = args
            .params
            .iter()
            .zip(&values)
            .map(|(p, v)| (p.path.clone(), crate::overrides::parse_value(v)))
            .collect();
        let label: Vec<String> = args
            .params
            .iter()
            .zip(&values)
            .map(|(p, v)| format!("{}={v}", p.path))
            .collect();
        let design = match base.with(&label.join(" "), &changes) {
            Ok(d) => d,
            Err(e) => {
                say_err_raw!("{}", e.render());
                return EXIT_BAD_INPUT;
            }
        };
        let floor = match design.plan() {
            Ok(p) => price_floor(&p).unwrap_or(0.0),
            Err(e) => {
                say_err_raw!("{}", e.render());
                return EXIT_BAD_INPUT;
            }
        };
        designs.push((values, design, floor));
    }
    let mut order: Vec<usize> = (0..designs.len()).collect();
    order.sort_by(|&a, &b| designs[a].2.total_cmp(&designs[b].2).then(a.cmp(&b)));
    let seed = args.seed.unwrap_or(plan.seed);
    let currency = plan
        .cost
        .as_ref()
        .map_or_else(String::new, |c| c.currency.clone());
    drop(plan);
    let overrides = Overrides {
        seed: Some(seed),
        duration: args.duration,
        max_memory: args.limits.max_memory,
        ..Overrides::default()
    };
    catch_interrupts();
    let stop = stop_check(Instant::now(), args.limits.max_wall);
    let done = || {};
    let mut tried: Vec<Tried> = Vec::new();
    let mut best: Option<usize> = None;
    // Why the search stopped before its end, if it did: a design cut short is not judged.
    let mut stopped_by: Option<String> = None;
    for &i in &order {
        let (values, design, floor) = &designs[i];
        if let Some(b) = best {
            if *floor >= tried[b].cost {
                break;
            }
        }
        let s = match study(
            design,
            &StudyOptions {
                overrides: &overrides,
                replications: args.replications,
                only: None,
                stop: &stop,
                done: &done,
            },
        ) {
            Ok(s) => s,
            Err(e) => {
                say_err_raw!("{}", e.render());
                return EXIT_BAD_INPUT;
            }
        };
        if let Some(reason) = &s.result.truncated {
            stopped_by = Some(reason.clone());
            break;
        }
        let mut verdicts = s.result.assertions.clone();
        verdicts.extend(judge_all(&checks, &s.summaries));
        let failed = verdicts.iter().find(|v| !v.passed);
        let cost = crate::replications::mean(
            &s.summaries
                .iter()
                .filter_map(|s| s.cost.as_ref()?.per_month.written())
                .collect::<Vec<_>>(),
        );
        let t = Tried {
            values: values.clone(),
            floor: *floor,
            cost,
            passed: failed.is_none(),
            failure: failed.map_or(String::new(), |v| format!("{}: {}", v.text, v.message)),
        };
        if !args.quiet {
            say!(
                "{:<40} {:>12.2} {currency}/month  {}{}",
                design.overrides.join(" "),
                t.cost,
                if t.passed { "ok" } else { "FAILS " },
                t.failure
            );
        }
        let improves = t.passed && best.is_none_or(|b| t.cost < tried[b].cost);
        tried.push(t);
        if improves {
            best = Some(tried.len() - 1);
        }
    }
    let params: Vec<&str> = args.params.iter().map(|p| p.path.as_str()).collect();
    let json = json!({
        "sim_version": env!("CARGO_PKG_VERSION"),
        "scenario": base.path,
        "seed": seed,
        "replications": args.replications.unwrap_or(1),
        "currency": currency,
        "method": "branch and bound over the grid: designs run in order of their price floor (instance and memory prices, autoscaled pools at min); the search stops at the first design whose floor is at or above the cheapest passing design's monthly cost",
        "params": params,
        "designs": designs.len(),
        "truncated": stopped_by,
        "cheapest": best.map(|b| json!({
            "values": tried[b].values,
            "cost_per_month": tried[b].cost,
        })),
        "tried": tried.iter().map(|t| json!({
            "values": t.values,
            "price_floor_per_month": t.floor,
            "cost_per_month": t.cost,
            "passed": t.passed,
            "failure": t.failure,
        })).collect::<Vec<_>>(),
    });
    let written = serde_json::to_string_pretty(&json)
        .map_err(std::io::Error::other)
        .and_then(|mut text| {
            text.push('\n');
            put(&folder.path().join("cheapest.json"), text.as_bytes())
        })
        .map_err(|e| OutputError::io(&dir, e))
        .and_then(|()| folder.commit());
    if let Err(e) = written {
        return output_failed(&e, &format!("to {}", dir.display()));
    }
    if let Some(reason) = &stopped_by {
        say_err!(
            "cheapest: the search stopped early ({reason}) after {} of {} designs; {}",
            tried.len(),
            designs.len(),
            match best {
                Some(b) => format!(
                    "the cheapest that passed so far costs {:.2} {currency}/month, and a cheaper one may not have been run",
                    tried[b].cost
                ),
                None => "none of those run meets every check".to_string(),
            }
        );
        say_err!(
            "results (marked truncated) in {}",
            dir.join("cheapest.json").display()
        );
        return stopped_exit_code(reason);
    }
    match best {
        Some(b) => {
            let t = &tried[b];
            let shown: Vec<String> = params
                .iter()
                .zip(&t.values)
                .map(|(p, v)| format!("{p}={v}"))
                .collect();
            say!(
                "cheapest: {} at {:.2} {currency}/month meets every check ({} of {} designs run)",
                shown.join(" "),
                t.cost,
                tried.len(),
                designs.len()
            );
            if !args.quiet {
                say!("results in {}", dir.join("cheapest.json").display());
            }
            EXIT_OK
        }
        None => {
            say_err!(
                "cheapest: none of the {} designs meets every check",
                designs.len()
            );
            EXIT_ASSERTION_FAILED
        }
    }
}
