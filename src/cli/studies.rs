//! `sim compare`, `sim sweep`, `sim capacity` and `sim merge`: commands that run a scenario
//! many times (designs, grid points, loads) and reduce the results in a fixed order.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use super::args::{Limits, StudyFlags};
use super::exit::{
    bad_input, bad_input_said, output_failed, Ended, Stopped, EXIT_ASSERTION_FAILED, EXIT_OK,
};
use super::stop::{catch_interrupts, stop_check, stopped_exit_code};
use super::terminal::progress_bar;
use crate::output::file::put;
use crate::output::{self, folder_name, OutputFolder};
use crate::scenario::validate::HeadlineFigure;
use crate::study::compare::Compared;
use crate::study::{study, Design, Study, StudyError, StudyOptions};

/// The designs of a comparison, as (label, design, meant to fail), and the headline figures
/// their scenarios name (each once, in the order of the files).
struct Designs {
    list: Vec<(String, Design, bool)>,
    headline: Vec<HeadlineFigure>,
}

/// The designs of a comparison: each file as it is, or each of its `variants`.
fn designs(paths: &[PathBuf]) -> Result<Designs, String> {
    let mut out: Vec<(String, Design, bool)> = Vec::new();
    let mut headline: Vec<HeadlineFigure> = Vec::new();
    for path in paths {
        let base = Design::read(path).map_err(|e| e.render())?;
        let plan = base.plan().map_err(|e| e.render())?;
        for h in &plan.compare.headline {
            if !headline.iter().any(|k| k.name == h.name) {
                headline.push(h.clone());
            }
        }
        if plan.variants.is_empty() {
            out.push((folder_name(&plan.name), base, false));
            continue;
        }
        for variant in &plan.variants {
            let text = crate::study::overrides::apply_each(
                &base.text,
                variant.overrides.iter().map(|(p, _, v)| (p.as_str(), v)),
            )
            .map_err(|(i, e)| {
                let loc = variant.overrides.get(i).map_or(variant.loc, |o| o.1);
                format!(
                    "error: {}:{}:{}: variant '{}': {e}\n",
                    base.path, loc.line, loc.column, variant.name
                )
            })?;
            let set: Vec<&str> = variant
                .overrides
                .iter()
                .map(|(p, _, _)| p.as_str())
                .collect();
            if let Ok(Some((i, j))) = crate::study::overrides::same_place(&base.text, &set) {
                let loc = variant.overrides.get(j).map_or(variant.loc, |o| o.1);
                return Err(format!(
                    "error: {}:{}:{}: variant '{}': '{}' sets the same value as '{}'; give it once\n",
                    base.path, loc.line, loc.column, variant.name, set[j], set[i]
                ));
            }
            let name = if paths.len() > 1 {
                format!("{}-{}", plan.name, variant.name)
            } else {
                variant.name.clone()
            };
            out.push((
                folder_name(&name),
                Design {
                    path: format!("{} [variant {}]", base.path, variant.name),
                    text,
                    default_name: base.default_name.clone(),
                    overrides: variant
                        .overrides
                        .iter()
                        .map(|(p, _, v)| format!("{p}={}", crate::study::overrides::show(v)))
                        .collect(),
                },
                plan.compare.expect_fail.contains(&variant.name),
            ));
        }
    }
    // Two designs with one name would write into one directory.
    let mut seen: Vec<String> = Vec::new();
    for (name, _, _) in &mut out {
        let mut unique = name.clone();
        let mut n = 2;
        while seen.contains(&unique) {
            unique = format!("{name}-{n}");
            n += 1;
        }
        seen.push(unique.clone());
        *name = unique;
    }
    if out.len() < 2 {
        return Err(
            "error: a comparison needs at least two designs: give two or more scenario files, or one with 'variants'\n"
                .to_string(),
        );
    }
    Ok(Designs {
        list: out,
        headline,
    })
}

/// What `sim compare` is asked.
pub struct CompareArgs {
    pub scenarios: Vec<PathBuf>,
    pub out: Option<PathBuf>,
    /// Seed, simulated time, replications.
    pub study: StudyFlags,
    /// When to stop early.
    pub limits: Limits,
    pub quiet: bool,
    /// Write the assertions' verdicts as JUnit XML here.
    pub junit: Option<PathBuf>,
    /// Designs meant to fail their assertions.
    pub expect_fail: Vec<String>,
}

/// Exit code of studies that ran: a signal, then a limit, else success.
fn stopped_code<'a>(studies: impl IntoIterator<Item = &'a Study>) -> i32 {
    let mut code = EXIT_OK;
    for s in studies {
        match s.result.truncated.as_deref() {
            Some("interrupted") => return stopped_exit_code("interrupted"),
            Some(reason) => code = stopped_exit_code(reason),
            None => {}
        }
    }
    code
}

pub fn compare_command(args: CompareArgs) -> Ended {
    let Designs {
        list: mut designs,
        headline,
    } = designs(&args.scenarios).map_err(bad_input_said)?;
    // `--expect-fail` names designs as the comparison labels them.
    for name in &args.expect_fail {
        match designs.iter_mut().find(|(label, _, _)| label == name) {
            Some(design) => design.2 = true,
            None => {
                let labels: Vec<&str> = designs.iter().map(|(l, _, _)| l.as_str()).collect();
                return Err(bad_input(format!(
                    "--expect-fail {name}: no design is called '{name}'\nhelp: {}",
                    crate::format::suggestion(name, labels.iter().copied())
                )));
            }
        }
    }
    // Common random numbers: every design runs with the same seed(s).
    let seed = match args.study.seed {
        Some(s) => s,
        None => {
            designs[0]
                .1
                .plan()
                .map_err(|e| bad_input_said(e.render()))?
                .seed
        }
    };
    let overrides = args.study.overrides(seed, &args.limits);
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("compare-{}", designs[0].0)));
    let folder = OutputFolder::begin(&dir, "compare")
        .map_err(|e| output_failed(&e, &format!("the comparison to {}", dir.display())))?;
    if let Some(file) = &args.junit {
        output::check_file_target(file)
            .map_err(|e| output_failed(&e, &file.display().to_string()))?;
    }
    catch_interrupts();
    let stop = stop_check(Instant::now(), args.limits.max_wall);
    let replications = args.study.replications.unwrap_or(1);
    let bar = progress_bar(args.quiet, designs.len() as u64 * u64::from(replications));
    let done = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let studies: Vec<Result<Study, StudyError>> = designs
        .par_iter()
        .map(|(_, design, _)| {
            study(
                design,
                &StudyOptions {
                    overrides: &overrides,
                    replications: args.study.replications,
                    only: None,
                    stop: &stop,
                    done: &done,
                },
            )
        })
        .collect();
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut compared = Vec::with_capacity(studies.len());
    for ((name, _, expected_to_fail), s) in designs.into_iter().zip(studies) {
        match s {
            Ok(study) => compared.push(Compared {
                label: name,
                study,
                expected_to_fail,
            }),
            Err(e) => return Err(bad_input_said(e.render())),
        }
    }
    let counts: Vec<usize> = compared.iter().map(|c| c.study.summaries.len()).collect();
    if counts.iter().any(|&n| n != counts[0]) {
        return Err(bad_input(format!(
            "the designs ask for different numbers of replications ({counts:?}); pass --replications N"
        )));
    }
    let written = crate::report::comparison::write(&compared, &headline, folder.path())
        .map_err(|e| output::OutputError::io(&dir, e))
        .and_then(|cmp| folder.commit().map(|()| cmp));
    let cmp =
        written.map_err(|e| output_failed(&e, &format!("the comparison to {}", dir.display())))?;
    if let Some(file) = &args.junit {
        let xml = crate::report::comparison::junit(&compared);
        output::write_file(file, xml.as_bytes())
            .map_err(|e| output_failed(&e, &file.display().to_string()))?;
    }
    if !args.quiet {
        say_raw!("{}", crate::report::comparison::table(&compared, &cmp));
        say!(
            "comparison in {} (report: {})",
            dir.display(),
            dir.join("comparison.html").display()
        );
    }
    // Failures no design was meant to have, on stderr even when quiet, as `sim check` does.
    for c in &compared {
        if c.expected_to_fail {
            continue;
        }
        for v in c.study.result.assertions.iter().filter(|v| !v.passed) {
            say_err!("assertion FAILED  {}: {}: {}", c.label, v.text, v.message);
        }
    }
    Ok(match stopped_code(compared.iter().map(|c| &c.study)) {
        EXIT_OK if compared.iter().any(|c| c.unexpected_failures() > 0) => EXIT_ASSERTION_FAILED,
        code => code,
    })
}

/// What `sim sweep` is asked.
pub struct SweepArgs {
    pub scenario: PathBuf,
    pub params: Vec<crate::study::sweep::Param>,
    pub out: Option<PathBuf>,
    /// Seed, simulated time, replications.
    pub study: StudyFlags,
    pub shard: Option<(usize, usize)>,
    /// When to stop early.
    pub limits: Limits,
    pub quiet: bool,
}

pub fn sweep_command(args: SweepArgs) -> Ended {
    use crate::study::sweep::{self, Meta, Record, ShardFile};
    let (base, plan) = design_and_plan(&args.scenario)?;
    // Bad paths are reported before anything runs.
    for p in &args.params {
        let value = crate::study::overrides::parse_value(&p.values[0]);
        crate::study::overrides::apply(&base.text, &[(p.path.clone(), value)])
            .map_err(|e| bad_input(format!("--param {}: {e}", p.path)))?;
    }
    sweep::check_distinct(&base.text, &args.params).map_err(bad_input)?;
    let grid = sweep::grid(&args.params).map_err(bad_input)?;
    let seed = args.study.seed.unwrap_or(plan.seed);
    let replications = args.study.replications.unwrap_or(plan.replications).max(1);
    let meta = Meta {
        scenario: plan.name.clone(),
        scenario_sha256: plan.scenario_sha256.clone(),
        seed,
        replications,
        params: args.params.clone(),
        points: grid.len(),
    };
    drop(plan);
    let overrides = args.study.overrides(seed, &args.limits);
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!("sweep-{}", folder_name(&meta.scenario)))
    });
    // A shard writes one file into a folder it shares with the other shards.
    let folder = match args.shard {
        Some(_) => None,
        None => match OutputFolder::begin(&dir, "sweep") {
            Ok(f) => Some(f),
            Err(e) => {
                return Err(output_failed(
                    &e,
                    &format!("the sweep to {}", dir.display()),
                ))
            }
        },
    };
    let mine: Vec<usize> = (0..grid.len())
        .filter(|&i| sweep::in_shard(i, args.shard))
        .collect();
    catch_interrupts();
    let stop = stop_check(Instant::now(), args.limits.max_wall);
    let bar = progress_bar(args.quiet, mine.len() as u64 * u64::from(replications));
    let done = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let outcomes: Vec<Option<Result<Record, String>>> = mine
        .par_iter()
        .map(|&i| {
            // Points not started when a stop was asked for are left out, not run.
            if stop().is_some() {
                return None;
            }
            let values: Vec<String> = grid[i]
                .iter()
                .zip(&args.params)
                .map(|(&v, p)| p.values[v].clone())
                .collect();
            let overrides_here: Vec<(String, serde_json::Value)> = args
                .params
                .iter()
                .zip(&values)
                .map(|(p, v)| (p.path.clone(), crate::study::overrides::parse_value(v)))
                .collect();
            let label = format!(
                "point {i}: {}",
                args.params
                    .iter()
                    .zip(&values)
                    .map(|(p, v)| format!("{}={v}", p.path))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            let result = base
                .with(&label, &overrides_here)
                .and_then(|design| {
                    study(
                        &design,
                        &StudyOptions {
                            overrides: &overrides,
                            replications: Some(replications),
                            only: None,
                            stop: &stop,
                            done: &done,
                        },
                    )
                })
                .map(|s| Record::of(i, values, &s))
                .map_err(|e| e.render());
            Some(result)
        })
        .collect();
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut records = Vec::with_capacity(outcomes.len());
    let mut skipped = 0;
    for outcome in outcomes {
        match outcome {
            Some(Ok(r)) => records.push(r),
            Some(Err(e)) => return Err(bad_input_said(e)),
            None => skipped += 1,
        }
    }
    let interrupted = skipped > 0
        || records
            .iter()
            .any(|r| r.truncated.as_deref() == Some("interrupted"));
    let truncated = records.iter().any(|r| r.truncated.is_some());
    let written = match folder {
        None => {
            let (k, n) = args.shard.unwrap_or((1, 1));
            crate::study::sweep::write_shard(
                &ShardFile {
                    meta: meta.clone(),
                    shard: (k, n),
                    records: records.clone(),
                },
                &dir,
            )
            .map(|p| p.display().to_string())
        }
        Some(folder) => crate::report::sweep::write(&meta, &records, interrupted, folder.path())
            .map_err(|e| output::OutputError::io(&dir, e))
            .and_then(|()| folder.commit())
            .map(|()| dir.join("sweep.html").display().to_string()),
    };
    let written =
        written.map_err(|e| output_failed(&e, &format!("the sweep to {}", dir.display())))?;
    if !args.quiet {
        print_points(&meta, &records);
        let share = args
            .shard
            .map_or(String::new(), |(k, n)| format!(" (shard {k} of {n})"));
        say!(
            "{} of {} points{share}{}; results in {written}",
            records.len(),
            meta.points,
            if interrupted { ", INTERRUPTED" } else { "" }
        );
    }
    Ok(if interrupted {
        stopped_exit_code("interrupted")
    } else if truncated {
        stopped_exit_code("max_wall")
    } else {
        EXIT_OK
    })
}

/// One line per point: its parameters, p99, availability and assertions.
fn print_points(meta: &crate::study::sweep::Meta, records: &[crate::study::sweep::Record]) {
    for r in records {
        let params: Vec<String> = meta
            .params
            .iter()
            .zip(&r.params)
            .map(|(p, v)| format!("{}={v}", p.path))
            .collect();
        let figure = |name: &str| r.figures.get(name).and_then(|f| f.0).unwrap_or(f64::NAN);
        let assertions = if r.assertions_total == 0 {
            String::new()
        } else {
            format!(
                "  assertions {}/{}",
                r.assertions_passed, r.assertions_total
            )
        };
        say!(
            "point {:>4}  {}  p99 {:.2}ms  availability {:.4}%{assertions}",
            r.index,
            params.join(" "),
            figure("latency_p99_ms"),
            figure("availability") * 100.0
        );
    }
}

/// `sim merge`: combines the shard files of a sweep into the outputs an unsharded sweep writes.
pub fn merge_command(inputs: &[PathBuf], out: &Path) -> Ended {
    if inputs
        .iter()
        .any(|p| crate::report::shards::is_replication_input(p))
    {
        return merge_replications(inputs, out);
    }
    let (meta, records) = crate::study::sweep::merge(inputs).map_err(bad_input)?;
    let interrupted = records
        .iter()
        .any(|r| r.truncated.as_deref() == Some("interrupted"));
    let written = OutputFolder::begin(out, "merge").and_then(|folder| {
        crate::report::sweep::write(&meta, &records, interrupted, folder.path())
            .map_err(|e| output::OutputError::io(out, e))?;
        folder.commit()
    });
    written.map_err(|e| output_failed(&e, &format!("the sweep to {}", out.display())))?;
    say!(
        "merged {} points into {}",
        records.len(),
        out.join("sweep.html").display()
    );
    Ok(EXIT_OK)
}

/// What `sim capacity` is asked.
pub struct CapacityArgs {
    pub scenario: PathBuf,
    pub out: Option<PathBuf>,
    /// Seed, simulated time, replications.
    pub study: StudyFlags,
    /// Stop bisecting when the bracket is narrower than this fraction of its low end.
    pub tolerance: f64,
    /// When to stop early.
    pub limits: Limits,
    pub quiet: bool,
}

/// `sim capacity`: the highest traffic multiplier at which every check still holds
/// ([`crate::study::capacity::search`]).
pub fn capacity_command(args: CapacityArgs) -> Ended {
    use crate::study::capacity;
    let (base, plan) = design_and_plan(&args.scenario)?;
    let checks = capacity::checks(&plan, &base.path, "capacity").map_err(bad_input)?;
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!("capacity-{}", folder_name(&base.default_name)))
    });
    let folder = OutputFolder::begin(&dir, "capacity")
        .map_err(|e| output_failed(&e, &format!("to {}", dir.display())))?;
    let seed = args.study.seed.unwrap_or(plan.seed);
    let overrides = args.study.overrides(seed, &args.limits);
    drop(plan);
    catch_interrupts();
    let stop = stop_check(Instant::now(), args.limits.max_wall);
    let options = StudyOptions {
        overrides: &overrides,
        replications: args.study.replications,
        only: None,
        stop: &stop,
        done: &|| {},
    };
    let mut print_probe = |p: &capacity::Probe| {
        if !args.quiet {
            say!(
                "multiplier {:>9.4}x  offered {:>10.1}/s  p99 {:>10.2}ms  {}{}",
                p.multiplier,
                p.offered_rps,
                p.p99_ms,
                if p.passed { "ok" } else { "FAILS " },
                p.failure
            );
        }
    };
    let found = capacity::search(&base, &checks, args.tolerance, &options, &mut print_probe)
        .map_err(|e| bad_input_said(e.render()))?;
    let report = found.report(&base.path, seed, args.study.replications.unwrap_or(1));
    let written = (|| {
        let mut text = serde_json::to_string_pretty(&report).map_err(std::io::Error::other)?;
        text.push('\n');
        put(&folder.path().join("capacity.json"), text.as_bytes())?;
        put(&folder.path().join("capacity.csv"), found.csv().as_bytes())
    })()
    .map_err(|e| output::OutputError::io(&dir, e))
    .and_then(|()| folder.commit());
    written.map_err(|e| output_failed(&e, &format!("to {}", dir.display())))?;
    let (lo, hi) = (found.highest_passing, found.lowest_failing);
    if let Some(reason) = &found.stopped_by {
        say_err!(
            "capacity: the search stopped early ({reason}) after {} probes: {}",
            found.probes.len(),
            match (lo > 0.0, hi.is_finite()) {
                (true, true) => format!("{lo:.4}x meets every check and {hi:.4}x does not; the capacity is between them"),
                (true, false) => format!("at least {lo:.4}x meets every check"),
                (false, true) => format!("{hi:.4}x does not meet the checks"),
                (false, false) => "no probe finished".to_string(),
            }
        );
        say_err!(
            "results (marked truncated) in {}",
            dir.join("capacity.json").display()
        );
        return Ok(stopped_exit_code(reason));
    }
    if lo == 0.0 {
        say_err!(
            "capacity: the checks fail even at {}x the scenario's traffic",
            hi
        );
        return Ok(EXIT_ASSERTION_FAILED);
    }
    if !args.quiet {
        if hi.is_finite() {
            say!(
                "capacity: {lo:.4}x the scenario's traffic (offered {:.1} req/s) meets every check; {hi:.4}x does not",
                found.offered_at(lo)
            );
        } else {
            say!("capacity: at least {lo}x the scenario's traffic (the largest tried)");
        }
        say!("results in {}", dir.join("capacity.json").display());
    }
    Ok(EXIT_OK)
}

/// `sim merge` of `sim run --replications N --shard K/N` outputs.
fn merge_replications(inputs: &[PathBuf], out: &Path) -> Ended {
    let (files, verdicts) =
        crate::report::shards::merge(inputs).map_err(|e| bad_input_said(format!("error: {e}")))?;
    let written = OutputFolder::begin(out, "merge").and_then(|folder| {
        crate::report::shards::write_merged(&files, folder.path())
            .map_err(|e| output::OutputError::io(out, e))?;
        folder.commit()
    });
    written.map_err(|e| output_failed(&e, &format!("the results to {}", out.display())))?;
    say!("merged replications into {}", out.display());
    super::terminal::print_verdicts(&out.display().to_string(), &verdicts, false);
    Ok(if verdicts.iter().any(|v| !v.passed) {
        EXIT_ASSERTION_FAILED
    } else {
        EXIT_OK
    })
}

/// The scenario at `path` as a design and its checked plan; on a problem, says it and stops
/// with exit code 2.
pub(super) fn design_and_plan(path: &Path) -> Result<(Design, crate::scenario::Plan), Stopped> {
    let checked = Design::read(path).and_then(|design| {
        let plan = design.plan()?;
        Ok((design, plan))
    });
    checked.map_err(|e| bad_input_said(e.render()))
}
