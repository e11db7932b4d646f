//! `sim capacity --cheapest --param PATH=VALUES ...`: the cheapest design of a grid that meets
//! every check at the scenario's own traffic; the search is [`crate::study::cheapest`].

use std::path::PathBuf;
use std::time::Instant;

use super::args::{Limits, StudyFlags};
use super::exit::{
    bad_input, bad_input_said, output_failed, Ended, Stopped, EXIT_ASSERTION_FAILED, EXIT_OK,
};
use super::stop::{catch_interrupts, stop_check, stopped_exit_code};
use super::studies::design_and_plan;
use crate::output::file::put;
use crate::output::{folder_name, OutputError, OutputFolder};
use crate::study::cheapest::{self, Candidate, CheapestError, Tried};
use crate::study::sweep::Param;
use crate::study::StudyOptions;

pub struct CheapestArgs {
    pub scenario: PathBuf,
    pub params: Vec<Param>,
    pub out: Option<PathBuf>,
    /// Seed, simulated time, replications.
    pub study: StudyFlags,
    /// When to stop early.
    pub limits: Limits,
    pub quiet: bool,
}

pub fn command(args: CheapestArgs) -> Ended {
    let (base, plan) = design_and_plan(&args.scenario)?;
    let checks = cheapest::checks(&base, &plan, &args.params).map_err(|e| refused(&e))?;
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!("cheapest-{}", folder_name(&base.default_name)))
    });
    let folder = OutputFolder::begin(&dir, "capacity --cheapest")
        .map_err(|e| output_failed(&e, &format!("to {}", dir.display())))?;
    // Every design is checked (and priced) before anything runs.
    let candidates = cheapest::candidates(&base, &args.params).map_err(|e| refused(&e))?;
    let seed = args.study.seed.unwrap_or(plan.seed);
    let currency = plan
        .cost
        .as_ref()
        .map_or_else(String::new, |c| c.currency.clone());
    drop(plan);
    let overrides = args.study.overrides(seed, &args.limits);
    catch_interrupts();
    let stop = stop_check(Instant::now(), args.limits.max_wall);
    let options = StudyOptions {
        overrides: &overrides,
        replications: args.study.replications,
        only: None,
        stop: &stop,
        done: &|| {},
    };
    let mut print_tried = |c: &Candidate, t: &Tried| {
        if !args.quiet {
            say!(
                "{:<40} {:>12.2} {currency}/month  {}{}",
                c.design.overrides.join(" "),
                t.cost,
                if t.passed { "ok" } else { "FAILS " },
                t.failure
            );
        }
    };
    let found = cheapest::search(&candidates, &checks, &options, &mut print_tried)
        .map_err(|e| bad_input_said(e.render()))?;
    let designs = candidates.len();
    let report = found.report(
        &base.path,
        seed,
        args.study.replications.unwrap_or(1),
        &currency,
        &args.params,
        designs,
    );
    let written = serde_json::to_string_pretty(&report)
        .map_err(std::io::Error::other)
        .and_then(|mut text| {
            text.push('\n');
            put(&folder.path().join("cheapest.json"), text.as_bytes())
        })
        .map_err(|e| OutputError::io(&dir, e))
        .and_then(|()| folder.commit());
    written.map_err(|e| output_failed(&e, &format!("to {}", dir.display())))?;
    let tried = &found.tried;
    if let Some(reason) = &found.stopped_by {
        say_err!(
            "cheapest: the search stopped early ({reason}) after {} of {designs} designs; {}",
            tried.len(),
            match found.best {
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
        return Ok(stopped_exit_code(reason));
    }
    match found.best {
        Some(b) => {
            let t = &tried[b];
            let shown: Vec<String> = args
                .params
                .iter()
                .zip(&t.values)
                .map(|(p, v)| format!("{}={v}", p.path))
                .collect();
            say!(
                "cheapest: {} at {:.2} {currency}/month meets every check ({} of {designs} designs run)",
                shown.join(" "),
                t.cost,
                tried.len(),
            );
            if !args.quiet {
                say!("results in {}", dir.join("cheapest.json").display());
            }
            Ok(EXIT_OK)
        }
        None => {
            say_err!("cheapest: none of the {designs} designs meets every check");
            Ok(EXIT_ASSERTION_FAILED)
        }
    }
}

/// Says why the search cannot start, and stops with the exit code of bad input.
fn refused(e: &CheapestError) -> Stopped {
    match e {
        // Its own rendering: the scenario's errors with their places.
        CheapestError::Design(e) => bad_input_said(e.render()),
        other => bad_input(other),
    }
}
