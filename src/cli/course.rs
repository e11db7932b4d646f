//! `sim list`, `sim explain` and `sim course`: the commands of the workshop course.

use std::path::{Path, PathBuf};

use std::time::Instant;

use super::exit::{
    bad_input, bad_input_said, output_failed, Ended, Stopped, EXIT_ASSERTION_FAILED,
    EXIT_BAD_INPUT, EXIT_OK,
};
use super::signals;
use super::stop::{catch_interrupts, stop_check};
use crate::course::{self, ScenarioFile, StepReport};
use crate::output::file::put;
use crate::output::{self, OutputFolder};
use crate::study::{Design, Overrides, StudyOptions};

/// A step's report and its charts (path under the image folder, SVG text), or the rendered
/// error.
type StepRun = Result<(StepReport, Vec<(String, String)>), String>;

/// Width of the description column of `sim list`.
const DESCRIPTION_CHARS: usize = 100;

fn files_of(dir: &Path) -> Result<Vec<ScenarioFile>, Stopped> {
    match course::scenario_files(dir) {
        Ok(files) if files.is_empty() => Err(bad_input(format!(
            "{}: no scenario files (.yaml) in this folder",
            dir.display()
        ))),
        Ok(files) => Ok(files),
        Err(e) => {
            let help = if e.kind() == std::io::ErrorKind::NotFound {
                "\nhelp: give the folder of the scenarios: sim list DIR"
            } else {
                ""
            };
            Err(bad_input(format!(
                "{}: cannot read the folder: {e}{help}",
                dir.display()
            )))
        }
    }
}

/// `sim list [DIR]`: the course steps in order, then the other scenarios, each with its
/// one-line description.
pub fn list_command(dir: &Path) -> Ended {
    let files = files_of(dir)?;
    let mut code = EXIT_OK;
    let rows: Vec<(String, String, String)> = files
        .iter()
        .map(|f| {
            let label = f.step.as_ref().map(|s| s.label()).unwrap_or_default();
            let description = match crate::scenario::load(&f.path) {
                Ok(plan) => plan.description.map_or_else(
                    || "(no description)".to_string(),
                    |d| crate::format::one_line(&d, DESCRIPTION_CHARS),
                ),
                Err(_) => {
                    code = EXIT_BAD_INPUT;
                    format!(
                        "(does not load: sim validate {} says why)",
                        f.path.display()
                    )
                }
            };
            (label, f.path.display().to_string(), description)
        })
        .collect();
    let width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    let steps = files.iter().filter(|f| f.step.is_some()).count();
    if steps > 0 {
        say!("Course, one step at a time (sim run FILE; sim explain FILE says what it simulates):");
        for (label, path, description) in rows.iter().take(steps) {
            say!("  {label:>3}  {path:<width$}  {description}");
        }
    }
    if rows.len() > steps {
        if steps > 0 {
            say!();
        }
        say!("Other scenarios:");
        for (_, path, description) in rows.iter().skip(steps) {
            say!("       {path:<width$}  {description}");
        }
    }
    Ok(code)
}

/// `sim explain FILE`: the scenario in plain words.
pub fn explain_command(path: &Path) -> Ended {
    let plan = crate::scenario::load(path).map_err(|e| bad_input_said(e.render()))?;
    // The file loaded, so it parses into the typed scenario as written.
    let scenario = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_saphyr::from_str::<crate::scenario::raw::Scenario>(&text).ok());
    let Some(scenario) = scenario else {
        return Err(bad_input(format!(
            "{}: cannot read the scenario",
            path.display()
        )));
    };
    say_raw!(
        "{}",
        crate::explain::explain(&scenario, &plan, &path.display().to_string())
    );
    Ok(EXIT_OK)
}

/// `sim course`: runs every course step in `dir` (in parallel), writes the written course to
/// `out` and the charts it shows into the folder beside it named like it (`docs/course.md`,
/// `docs/course/`). Exits 1 if a step's assertion fails (the course is still written), 2 if a
/// step does not load or names a chart its run does not draw, 3 if it cannot write.
pub fn course_command(dir: &Path, out: &Path, quiet: bool) -> Ended {
    use rayon::prelude::*;
    let files = files_of(dir)?;
    let steps: Vec<&ScenarioFile> = files.iter().filter(|f| f.step.is_some()).collect();
    if steps.is_empty() {
        return Err(bad_input(format!(
            "{}: no course steps (files named NN-name.yaml)",
            dir.display()
        )));
    }
    // The course is Markdown, and its charts go into the folder named like it without `.md`.
    if out.extension().and_then(|e| e.to_str()) != Some("md") {
        return Err(bad_input(format!(
            "--out {}: the course is written as Markdown, beside a folder of its charts named like it\nhelp: give a file name ending in .md, e.g. --out docs/course.md",
            out.display()
        )));
    }
    let images_dir: PathBuf = out.with_extension("");
    let images_name = images_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "course".to_string());
    output::check_file_target(out).map_err(|e| output_failed(&e, &out.display().to_string()))?;
    let images = OutputFolder::begin(&images_dir, "course")
        .map_err(|e| output_failed(&e, &format!("the charts to {}", images_dir.display())))?;
    let overrides = Overrides::default();
    catch_interrupts();
    let stop = stop_check(Instant::now(), None);
    let done = || {};
    let runs: Vec<StepRun> = steps
        .par_iter()
        .map(|f| run_step(f, &overrides, &stop, &done))
        .collect();
    // A course is written whole or not at all: an interrupted step's numbers would be read as
    // the step's.
    if signals::stop_asked() {
        say_err!("interrupted: the course was not written");
        return Ok(signals::exit_code());
    }
    let mut code = EXIT_OK;
    let mut reports = Vec::new();
    let mut svgs = Vec::new();
    for run in runs {
        match run {
            Ok((report, files)) => {
                let failed = report.assertions.iter().filter(|v| !v.passed).count();
                if !quiet {
                    say!(
                        "step {:>3}  {}: {}",
                        report.step.label(),
                        report.file,
                        if failed == 0 {
                            format!("ok ({} assertions)", report.assertions.len())
                        } else {
                            format!("FAILED ({failed} of {})", report.assertions.len())
                        }
                    );
                }
                for v in report.assertions.iter().filter(|v| !v.passed) {
                    say_err!(
                        "assertion FAILED  {}: {}: {}",
                        report.file,
                        v.named(),
                        v.message
                    );
                    code = code.max(EXIT_ASSERTION_FAILED);
                }
                svgs.extend(files);
                reports.push(report);
            }
            Err(message) => {
                say_err_raw!("{message}");
                code = EXIT_BAD_INPUT;
            }
        }
    }
    if code == EXIT_BAD_INPUT {
        return Err(Stopped(code));
    }
    let text = course::markdown(&reports, &images_name);
    let written = svgs
        .iter()
        .try_for_each(|(file, svg)| put(&images.path().join(file), svg.as_bytes()))
        .map_err(|e| output::OutputError::io(&images_dir, e))
        .and_then(|()| images.commit())
        .and_then(|()| output::write_file(out, text.as_bytes()));
    written.map_err(|e| output_failed(&e, &format!("the course to {}", out.display())))?;
    if !quiet {
        say!(
            "course in {} ({} steps, charts in {})",
            out.display(),
            reports.len(),
            images_dir.display()
        );
    }
    Ok(code)
}

/// Runs one step as its file says; returns its report and its charts (path under the image
/// folder, SVG text), or the rendered error.
fn run_step(
    f: &ScenarioFile,
    overrides: &Overrides,
    stop: &(dyn Fn() -> Option<&'static str> + Sync),
    done: &(dyn Fn() + Sync),
) -> StepRun {
    let shown = f.path.display().to_string();
    let design = Design::read(&f.path).map_err(|e| e.render())?;
    let text = design.text.clone();
    // A claim of the header that no assertion checks is refused before the run: the course
    // says only what its runs show.
    let plan = design.plan().map_err(|e| e.render())?;
    let ids: Vec<&str> = plan
        .assertions
        .iter()
        .filter_map(|(a, _)| a.id.as_deref())
        .collect();
    let unmatched = course::unmatched_claims(&text, &ids);
    if !unmatched.is_empty() {
        return Err(unmatched.iter().map(|d| d.render(&shown, &text)).collect());
    }
    drop(plan);
    let study = crate::study::study(
        &design,
        &StudyOptions {
            overrides,
            replications: None,
            only: None,
            stop,
            done,
        },
    )
    .map_err(|e| e.render())?;
    let header = course::header(&text);
    let files = crate::report::data::SavedFiles::of(&study.result)
        .map_err(|e| format!("error: {shown}: {e}\n"))?;
    let data = crate::report::data::ReportData::parse(&files, Path::new("."))
        .map_err(|e| format!("error: {shown}: {e}\n"))?;
    let drawn =
        crate::report::render::charts(&data).map_err(|e| format!("error: {shown}: {e}\n"))?;
    let picked = course::pick_charts(&header.charts, &drawn).map_err(|missing| {
        format!(
            "error: {shown}: the header's 'Charts:' names {} that the run does not draw\nhelp: charts drawn: {}\n",
            missing
                .iter()
                .map(|m| format!("'{m}'"))
                .collect::<Vec<_>>()
                .join(", "),
            drawn
                .iter()
                .map(|c| c.file.trim_end_matches(".svg"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let svgs: Vec<(String, String)> = picked
        .iter()
        .map(|c| (format!("{}/{}", f.stem, c.file), c.svg.clone()))
        .collect();
    let step = f.step.clone().unwrap_or(course::Step {
        number: 0,
        part: String::new(),
    });
    let Some(summary) = study.summaries.into_iter().next() else {
        return Err(format!("error: {shown}: the step ran no replication\n"));
    };
    Ok((
        StepReport {
            step,
            file: shown,
            stem: f.stem.clone(),
            header,
            summary,
            assertions: study.result.assertions.clone(),
            images: svgs.iter().map(|(p, _)| p.clone()).collect(),
        },
        svgs,
    ))
}
