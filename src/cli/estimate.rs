//! `sim estimate FILE`: the back-of-the-envelope table, then the simulation beside it
//! (see [`crate::estimate`]).

use std::path::Path;

use super::exit::{bad_input, bad_input_said, Ended, EXIT_OK, EXIT_OUTPUT_FAILED};
use crate::engine::SimDuration;

pub fn estimate_command(
    path: &Path,
    seed: Option<u64>,
    duration: Option<SimDuration>,
    no_run: bool,
    json: bool,
) -> Ended {
    let mut plan = crate::scenario::load(path).map_err(|e| bad_input_said(e.render()))?;
    if let Some(seed) = seed {
        plan.seed = seed;
    }
    if let Some(d) = duration {
        plan.duration = Some(d);
    }
    let estimate = crate::estimate::estimate(&plan);
    let name = plan.name.clone();
    let mut comparison = None;
    if !no_run {
        let seed = plan.seed;
        let simulated = plan.duration.map_or_else(String::new, |d| {
            format!(
                ", {} simulated",
                crate::format::short_duration(d.as_secs_f64())
            )
        });
        let keep = crate::scenario::load(path).ok();
        let result = crate::run::run(plan, None)
            .map_err(|e| bad_input(format!("{}: {e}", path.display())))?;
        let Some(mut again) = keep else {
            return Err(bad_input(format!(
                "{}: the file changed while the simulation ran; run the estimate again",
                path.display()
            )));
        };
        again.seed = seed;
        if let Some(d) = duration {
            again.duration = Some(d);
        }
        let rows = crate::estimate::compare(&again, &estimate, &result);
        comparison = Some((rows, format!("seed {seed}{simulated}")));
    }
    if json {
        let value = serde_json::json!({
            "scenario": name,
            "estimate": estimate,
            "simulation": comparison.as_ref().map(|(rows, _)| rows),
        });
        return Ok(match serde_json::to_string_pretty(&value) {
            Ok(text) => {
                say!("{text}");
                EXIT_OK
            }
            Err(e) => {
                say_err!("error: cannot render the estimate: {e}");
                EXIT_OUTPUT_FAILED
            }
        });
    }
    say_raw!("{}", crate::estimate::render_estimate(&name, &estimate));
    if let Some((rows, label)) = &comparison {
        say!();
        say_raw!("{}", crate::estimate::render_comparison(rows, label));
    }
    Ok(EXIT_OK)
}
