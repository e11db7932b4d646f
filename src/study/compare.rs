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
//! This file works out the comparison ([`rows`]); `report/comparison.rs` writes it. Everything
//! is reduced in design order, so the bytes do not depend on the number of threads.

use crate::stats::Interval;
use crate::study::replications::{higher_is_better, Read, Reading, HEADLINE};
use crate::study::Study;

/// One design's study, with its label.
pub struct Compared {
    pub label: String,
    pub study: Study,
}

fn values_of(study: &Study, read: Read) -> Option<Vec<f64>> {
    study
        .summaries
        .iter()
        .map(|s| read(s).map(Reading::value))
        .collect()
}

/// One row of the comparison: a headline figure for every design.
pub struct Row {
    pub metric: &'static str,
    /// Per design: the mean (the value without replications) and its interval.
    pub values: Vec<Interval>,
    /// Per design: difference to the first design and whether it is significant (paired t
    /// interval at 95% excludes 0; `None` without replications).
    pub deltas: Vec<(f64, Option<bool>)>,
    /// The best design's index, when the figure has a better direction and values differ.
    pub winner: Option<usize>,
    /// Whether the winner is significantly better than the runner-up (`None` without
    /// replications).
    pub winner_significant: Option<bool>,
}

/// Paired difference `b - a` over replications: (mean, significant at 95%).
fn paired(a: &[f64], b: &[f64]) -> (f64, Option<bool>) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let ci = Interval::of(&d, 0.95);
    let significant = (d.len() >= 2).then_some(!ci.contains(0.0));
    (ci.mean, significant)
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

/// The comparison table, in [`HEADLINE`] order; figures a design lacks are left out. No
/// winner is declared when a run was cut short.
pub fn rows(designs: &[Compared]) -> Vec<Row> {
    let fair = stopped_by(designs).is_none();
    let mut out = Vec::new();
    for &(metric, read) in HEADLINE {
        let Some(all) = designs
            .iter()
            .map(|d| values_of(&d.study, read))
            .collect::<Option<Vec<Vec<f64>>>>()
        else {
            continue;
        };
        let values: Vec<Interval> = all.iter().map(|v| Interval::of(v, 0.95)).collect();
        let deltas: Vec<(f64, Option<bool>)> = all
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let (delta, significant) = paired(&all[0], v);
                // The baseline is not compared with itself.
                (delta, significant.filter(|_| i > 0))
            })
            .collect();
        let (winner, winner_significant) = match higher_is_better(metric).filter(|_| fair) {
            Some(higher) => {
                let mut order: Vec<usize> = (0..values.len()).collect();
                order.sort_by(|&a, &b| {
                    let (x, y) = (values[a].mean, values[b].mean);
                    let o = x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal);
                    if higher {
                        o.reverse()
                    } else {
                        o
                    }
                });
                let best = order[0];
                match order.get(1) {
                    Some(&second) if values[second].mean != values[best].mean => {
                        let (_, significant) = paired(&all[second], &all[best]);
                        (Some(best), significant)
                    }
                    _ => (None, None),
                }
            }
            None => (None, None),
        };
        out.push(Row {
            metric,
            values,
            deltas,
            winner,
            winner_significant,
        });
    }
    out
}
