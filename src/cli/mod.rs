//! The `sim` command line: parse arguments, call the scenario, run and report layers, map
//! failures to exit codes. Exit codes: 0 success, 1 failed assertion, 2 bad input or usage, 3
//! outputs could not be written, 4 truncated by a limit, 130 interrupted.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

use crate::engine::SimDuration;
use crate::output::{self, OutputFolder};
use crate::report;
use crate::scenario;
use crate::study::{Design, Overrides, StudyOptions};

/// Writes a line to stdout. A failure is remembered and reported when the command ends
/// (exit 3); a closed pipe (`sim run ... | head`) ends the output quietly. Never panics.
macro_rules! say {
    () => {
        $crate::output::stdout::print(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::stdout::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Like [`say!`] without the newline.
macro_rules! say_raw {
    ($($arg:tt)*) => {
        $crate::output::stdout::print(format_args!($($arg)*))
    };
}

/// Writes a line to stderr; unlike `eprintln!`, never panics (a full disk behind `2>`).
macro_rules! say_err {
    () => {
        $crate::output::stdout::print_err(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::stdout::print_err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Like [`say_err!`] without the newline.
macro_rules! say_err_raw {
    ($($arg:tt)*) => {
        $crate::output::stdout::print_err(format_args!($($arg)*))
    };
}

mod args;
mod cheapest;
mod course;
mod estimate;
mod exit;
mod signals;
mod stop;
mod studies;
mod terminal;

use args::{
    parse_duration_arg, parse_events_arg, parse_replications_arg, parse_requests_arg,
    parse_tolerance_arg, Limits, StudyFlags,
};
use exit::{bad_input, bad_input_said, exit_code, output_failed, Ended, Stopped};
pub use exit::{
    EXIT_ASSERTION_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_OUTPUT_FAILED,
    EXIT_TERMINATED, EXIT_TRUNCATED,
};
use stop::{catch_interrupts, stop_check, stopped_exit_code, study_exit_code};
use terminal::{print_verdicts, progress_bar};

#[derive(Parser, Debug)]
#[command(
    name = "sim",
    version,
    about = "Deterministic discrete-event simulator of scale-out web architectures"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What `sim run` prints on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A short summary table.
    Table,
    /// The content of summary.json (nothing else on stdout).
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario; write summary.json, timeseries.csv, charts/ and report.html.
    Run {
        /// The scenario file.
        scenario: PathBuf,
        /// Seed of every random stream (overrides the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Output directory (default: output/<scenario name>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Simulated time to run, e.g. 10m (overrides the scenario's).
        #[arg(long, value_parser = parse_duration_arg)]
        duration: Option<SimDuration>,
        /// Stop after this many requests (overrides the scenario's).
        #[arg(long, value_parser = parse_requests_arg)]
        requests: Option<u64>,
        /// Stop after this many engine events; the results are written, marked truncated.
        #[arg(long, value_parser = parse_events_arg)]
        max_events: Option<u64>,
        #[command(flatten)]
        limits: Limits,
        /// Print nothing but errors.
        #[arg(long, short, conflicts_with = "format")]
        quiet: bool,
        /// What to print on stdout.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Independent runs with seeds seed, seed+1, ... (overrides run.replications); the
        /// summary gives means and 95% confidence intervals.
        #[arg(long, value_parser = parse_replications_arg)]
        replications: Option<u32>,
        /// Write the assertions' verdicts as JUnit XML to this file.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Run only the replications whose index modulo N is K-1 and write
        /// replications-shard-K-of-N.json into --out (combine the shards with `sim merge`).
        #[arg(long, value_parser = crate::study::sweep::parse_shard, requires = "replications")]
        shard: Option<(usize, usize)>,
        /// Keep the per-hop latency breakdown (as `run: {breakdown: true}` does): summary.json's
        /// `breakdown`, the report's waterfall chart, each bottleneck's share of p99.
        #[arg(long)]
        breakdown: bool,
        /// Sample N requests and write their calls to trace.json (Chrome trace event format,
        /// opened by ui.perfetto.dev); turns the breakdown on.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
        trace: Option<u32>,
    },
    /// Run many scenarios (in parallel) and judge their assertions; exit 1 if any fails.
    #[command(
        mut_arg("seed", |a| a.help("Seed of every random stream (overrides each scenario's)")),
        mut_arg("duration", |a| a.help("Simulated time to run (overrides each scenario's)")),
        mut_arg("replications", |a| a.help("Replications of each scenario (overrides run.replications)"))
    )]
    Check {
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        #[command(flatten)]
        study: StudyFlags,
        /// Write the verdicts as JUnit XML to this file (one test case per assertion).
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Also write each scenario's results into DIR/<scenario name>/.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        limits: Limits,
    },
    /// Compare designs on the same traffic and failures (common random numbers): several
    /// scenario files, or one with `variants`.
    #[command(
        mut_arg("seed", |a| a.help("Seed of every design (default: the first design's)")),
        mut_arg("duration", |a| a.help("Simulated time to run (overrides the scenarios')")),
        mut_arg("replications", |a| a.help("Replications of every design (paired by seed); differences get a significance test"))
    )]
    Compare {
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        /// Output directory (default: output/compare-<first design>/).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        study: StudyFlags,
        #[command(flatten)]
        limits: Limits,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
        /// Write each design's assertion verdicts as JUnit XML to this file (one suite per
        /// design; an expected failure is written as skipped).
        #[arg(long)]
        junit: Option<PathBuf>,
        /// A design meant to fail the assertions (repeatable): its failures are shown, marked
        /// expected, and do not make the comparison exit 1 (as the scenario's
        /// `compare: {expect_fail: [...]}`).
        #[arg(long = "expect-fail", value_name = "DESIGN")]
        expect_fail: Vec<String>,
    },
    /// Run a grid of parameter values (in parallel); write sweep.csv, charts and sweep.html.
    #[command(
        mut_arg("seed", |a| a.help("Seed of every point (default: the scenario's)")),
        mut_arg("duration", |a| a.help("Simulated time to run (overrides the scenario's)")),
        mut_arg("replications", |a| a.help("Replications of every point"))
    )]
    Sweep {
        scenario: PathBuf,
        /// PATH=VALUES: 2..12 (step 1), 1000/s..8000/s:8 (8 values), lru,lfu (a list).
        /// Repeat for a grid; the first varies slowest.
        #[arg(long = "param", required = true, value_parser = crate::study::sweep::parse_param)]
        params: Vec<crate::study::sweep::Param>,
        /// Output directory (default: output/sweep-<scenario>/).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        study: StudyFlags,
        /// Run only the K-th of N shares of the points and write shard-K-of-N.json (combine
        /// the shards with `sim merge`).
        #[arg(long, value_parser = crate::study::sweep::parse_shard)]
        shard: Option<(usize, usize)>,
        #[command(flatten)]
        limits: Limits,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Find the highest traffic multiplier that still meets the assertions and the SLO
    /// (doubling or halving, then bisection; every probe with the same seeds).
    #[command(
        mut_arg("seed", |a| a.help("Seed of every probe (default: the scenario's)")),
        mut_arg("duration", |a| a.help("Simulated time to run (overrides the scenario's)")),
        mut_arg("replications", |a| a.help("Replications of every probe (use with `confidence:` assertions for a stable answer)"))
    )]
    Capacity {
        scenario: PathBuf,
        /// Output directory for capacity.json and capacity.csv (default: output/capacity-<file>/).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        study: StudyFlags,
        /// Stop when the bracket is narrower than this, relative to its low end, e.g. 1%.
        #[arg(long, default_value = "1%", value_parser = parse_tolerance_arg)]
        tolerance: f64,
        #[command(flatten)]
        limits: Limits,
        /// Print nothing but errors and the answer.
        #[arg(long, short)]
        quiet: bool,
        /// Instead of the traffic capacity, find the cheapest design that meets every check at
        /// the scenario's traffic, among those the --param grid spans (needs a 'cost' section).
        #[arg(long, requires = "params")]
        cheapest: bool,
        /// With --cheapest: PATH=VALUES, as in `sim sweep` (e.g. web.instances=1..8); repeat
        /// for a grid.
        #[arg(long = "param", value_parser = crate::study::sweep::parse_param, requires = "cheapest")]
        params: Vec<crate::study::sweep::Param>,
    },
    /// Combine the shard files of `sim sweep --shard` into the outputs of an unsharded sweep.
    Merge {
        /// Shard files, or directories holding shard-K-of-N.json files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output directory.
        #[arg(long, required = true)]
        out: PathBuf,
    },
    /// Redraw charts/ and report.html from the files a run saved in OUTDIR, without running.
    Report {
        /// A directory written by `sim run` (summary.json, timeseries.csv, report-data.json).
        outdir: PathBuf,
    },
    /// Check scenarios without running them; reports every error.
    Validate {
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the scenario format.
    Schema,
    /// List the scenarios of a folder with their descriptions: the course steps first, in
    /// order, then the others.
    List {
        /// The folder (default: scenarios).
        #[arg(default_value = "scenarios")]
        dir: PathBuf,
    },
    /// Describe a scenario in plain words: its traffic, components, story, checks and outputs.
    Explain {
        /// The scenario file.
        scenario: PathBuf,
    },
    /// Run every course step of a folder and write the course (Markdown with each step's
    /// numbers, verdicts and charts); exit 1 if a step's assertion fails.
    Course {
        /// The folder of the course steps (default: scenarios).
        #[arg(default_value = "scenarios")]
        dir: PathBuf,
        /// The Markdown file to write; its charts go into the folder of the same name.
        #[arg(long, default_value = "docs/course.md")]
        out: PathBuf,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// The back-of-the-envelope estimate of a scenario (requests/s, read/write split, storage,
    /// bandwidth, cache memory, servers needed), then the simulation beside it: where the
    /// estimate holds and where queueing makes it wrong.
    Estimate {
        /// The scenario file.
        scenario: PathBuf,
        /// Seed of the simulation (overrides the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Simulated time to run (overrides the scenario's).
        #[arg(long, value_parser = parse_duration_arg)]
        duration: Option<SimDuration>,
        /// Print only the estimate; do not run the simulation.
        #[arg(long)]
        no_run: bool,
        /// Print the estimate (and the comparison) as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Entry point; returns the process exit code.
pub fn main() -> i32 {
    let code = dispatch();
    match output::stdout::finish() {
        Ok(()) => code,
        Err(e) => {
            say_err!("error: cannot write to standard output: {e}");
            // Lost results outrank a failed assertion or a truncation, not a refusal or a
            // signal.
            match code {
                EXIT_OK | EXIT_ASSERTION_FAILED | EXIT_TRUNCATED => EXIT_OUTPUT_FAILED,
                other => other,
            }
        }
    }
}

/// Parses the command line and runs the command.
fn dispatch() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            };
        }
    };
    let ended = match cli.command {
        Command::Run {
            scenario,
            seed,
            out,
            duration,
            requests,
            max_events,
            limits,
            quiet,
            format,
            replications,
            junit,
            shard,
            breakdown,
            trace,
        } => {
            let overrides = Overrides {
                seed,
                duration,
                requests,
                max_events,
                breakdown,
                trace,
                max_memory: limits.max_memory,
            };
            let options = RunOptions {
                quiet,
                format,
                max_wall: limits.max_wall,
                replications,
                junit,
                shard,
            };
            run_command(&scenario, &overrides, out.as_deref(), options)
        }
        Command::Check {
            scenarios,
            study,
            junit,
            out,
            limits,
        } => {
            let overrides = Overrides {
                seed: study.seed,
                duration: study.duration,
                max_memory: limits.max_memory,
                ..Overrides::default()
            };
            let options = CheckOptions {
                replications: study.replications,
                junit,
                out,
                max_wall: limits.max_wall,
            };
            check_command(&scenarios, &overrides, options)
        }
        Command::Compare {
            scenarios,
            out,
            study,
            limits,
            quiet,
            junit,
            expect_fail,
        } => studies::compare_command(studies::CompareArgs {
            scenarios,
            out,
            study,
            limits,
            quiet,
            junit,
            expect_fail,
        }),
        Command::Sweep {
            scenario,
            params,
            out,
            study,
            shard,
            limits,
            quiet,
        } => studies::sweep_command(studies::SweepArgs {
            scenario,
            params,
            out,
            study,
            shard,
            limits,
            quiet,
        }),
        Command::Capacity {
            scenario,
            out,
            study,
            tolerance: _,
            limits,
            quiet,
            cheapest: true,
            params,
        } => cheapest::command(cheapest::CheapestArgs {
            scenario,
            params,
            out,
            study,
            limits,
            quiet,
        }),
        Command::Capacity {
            scenario,
            out,
            study,
            tolerance,
            limits,
            quiet,
            ..
        } => studies::capacity_command(studies::CapacityArgs {
            scenario,
            out,
            study,
            tolerance,
            limits,
            quiet,
        }),
        Command::Merge { inputs, out } => studies::merge_command(&inputs, &out),
        Command::Report { outdir } => report_command(&outdir),
        Command::Validate { scenarios } => validate_command(&scenarios),
        Command::Schema => {
            let schema = schemars::schema_for!(scenario::raw::Scenario);
            match serde_json::to_string_pretty(&schema) {
                Ok(text) => {
                    say!("{text}");
                    Ok(EXIT_OK)
                }
                Err(e) => {
                    say_err!("error: cannot render the schema: {e}");
                    Err(Stopped(EXIT_OUTPUT_FAILED))
                }
            }
        }
        Command::List { dir } => course::list_command(&dir),
        Command::Explain { scenario } => course::explain_command(&scenario),
        Command::Course { dir, out, quiet } => course::course_command(&dir, &out, quiet),
        Command::Estimate {
            scenario,
            seed,
            duration,
            no_run,
            json,
        } => estimate::estimate_command(&scenario, seed, duration, no_run, json),
    };
    exit_code(ended)
}

fn validate_command(paths: &[PathBuf]) -> Ended {
    let mut code = EXIT_OK;
    for path in paths {
        match scenario::load(path) {
            Ok(plan) => say!(
                "{}: ok ({} components)",
                path.display(),
                plan.components.len()
            ),
            Err(e) => {
                say_err_raw!("{}", e.render());
                code = EXIT_BAD_INPUT;
            }
        }
    }
    Ok(code)
}

/// Redraws the charts and the page from saved files.
fn report_command(dir: &Path) -> Ended {
    let data = report::data::ReportData::load(dir).map_err(|e| {
        let help = if e.is_missing() {
            format!(
                "\nhelp: give a directory written by `sim run` (it holds {}, {} and {})",
                report::data::SUMMARY_FILE,
                report::data::TIMESERIES_FILE,
                report::data::REPORT_DATA_FILE
            )
        } else {
            String::new()
        };
        bad_input(format!("{e}{help}"))
    })?;
    // The folder is replaced whole: the data files are carried over, the charts and the page
    // drawn anew.
    let drawn = |file: &str| {
        file == report::render::REPORT_FILE
            || file.starts_with(&format!("{}/", report::render::CHARTS_DIR))
    };
    let written = OutputFolder::begin(dir, "report").and_then(|folder| {
        folder.carry_over(|file| !drawn(file))?;
        report::render::write_report(&data, folder.path())
            .map_err(|e| output::OutputError::io(dir, e))?;
        folder.commit()
    });
    written.map_err(|e| output_failed(&e, &format!("the report to {}", dir.display())))?;
    say!(
        "report in {}",
        dir.join(report::render::REPORT_FILE).display()
    );
    Ok(EXIT_OK)
}

/// How `sim run` behaves, beyond what the scenario says.
struct RunOptions {
    quiet: bool,
    format: Format,
    /// Wall-clock limit.
    max_wall: Option<SimDuration>,
    /// Replications (default: the scenario's).
    replications: Option<u32>,
    /// Write a JUnit XML file of the assertions here.
    junit: Option<PathBuf>,
    /// Run only this share of the replications (K of N).
    shard: Option<(usize, usize)>,
}

fn run_command(
    path: &Path,
    overrides: &Overrides,
    out: Option<&Path>,
    options: RunOptions,
) -> Ended {
    let RunOptions {
        quiet,
        format,
        max_wall,
        replications,
        junit,
        shard,
    } = options;
    let design = Design::read(path).map_err(|e| bad_input_said(e.render()))?;
    let name = design.plan().map_err(|e| bad_input_said(e.render()))?.name;
    let out_dir = out.map_or_else(
        || PathBuf::from("output").join(output::folder_name(&name)),
        Path::to_path_buf,
    );
    // Checked before the run, so a refused place costs nothing. A shard writes one file into
    // a folder it shares with the other shards instead.
    let folder = match shard {
        Some(_) => None,
        None => match OutputFolder::begin(&out_dir, "run") {
            Ok(f) => Some(f),
            Err(e) => {
                return Err(output_failed(
                    &e,
                    &format!("results to {}", out_dir.display()),
                ))
            }
        },
    };
    if let Some(file) = &junit {
        output::check_file_target(file)
            .map_err(|e| output_failed(&e, &file.display().to_string()))?;
    }
    let bar = progress_bar(quiet, replications.unwrap_or(1).into());
    let started = Instant::now();
    catch_interrupts();
    let stop = stop_check(started, max_wall);
    let done = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let only: Option<Vec<u32>> = shard.map(|(k, n)| {
        (0..crate::scenario::validate::assertions::MAX_REPLICATIONS as u32)
            .filter(|i| *i as usize % n == k - 1)
            .collect()
    });
    let study = crate::study::study(
        &design,
        &StudyOptions {
            overrides,
            replications,
            only: only.as_deref(),
            stop: &stop,
            done: &done,
        },
    );
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let study = study.map_err(|e| bad_input_said(e.render()))?;
    let result = &study.result;
    let Some(folder) = folder else {
        let shard = shard.unwrap_or((1, 1));
        let count = replications.unwrap_or(1);
        let code = result
            .truncated
            .as_deref()
            .map_or(EXIT_OK, stopped_exit_code);
        return match crate::report::shards::write(&study, &design, count, shard, &out_dir) {
            Ok(file) => {
                if !quiet {
                    say!(
                        "replications {:?} of {count} (shard {} of {}) in {}",
                        study.indexes,
                        shard.0,
                        shard.1,
                        file.display()
                    );
                }
                Ok(code)
            }
            Err(e) => Err(output_failed(
                &e,
                &format!("the shard to {}", out_dir.display()),
            )),
        };
    };
    let code = study_exit_code(result);
    let wall = started.elapsed().as_secs_f64();
    let written = report::write_outputs(result, folder.path())
        .and_then(|()| match overrides.trace {
            Some(_) => report::trace::write(result, folder.path()).map(|_| ()),
            None => Ok(()),
        })
        .map_err(|e| output::OutputError::io(&out_dir, e))
        .and_then(|()| folder.commit());
    written.map_err(|e| output_failed(&e, &format!("results to {}", out_dir.display())))?;
    if let Some(file) = &junit {
        write_junit(file, &[junit_suite(&design.path, Ok(result))])?;
    }
    if format == Format::Json {
        let summary = crate::results::summarize::to_json(result);
        return match serde_json::to_string_pretty(&summary) {
            Ok(text) => {
                say!("{text}");
                Ok(code)
            }
            Err(e) => {
                say_err!("error: cannot render summary.json: {e}");
                Err(Stopped(EXIT_OUTPUT_FAILED))
            }
        };
    }
    if !quiet {
        say_raw!("{}", report::table::render(result));
        if let Some(section) = &result.replications {
            say_raw!("{}", replications_table(section));
        }
        let events: u64 = study.summaries.iter().map(|s| s.engine.events).sum();
        let requests: u64 = study
            .summaries
            .iter()
            .map(|s| s.engine.requests_started)
            .sum();
        let per_sec = |n: u64| if wall > 0.0 { n as f64 / wall } else { 0.0 };
        say!();
        say!(
            "wall time {wall:.2}s  {events} events ({:.2}M events/s, {:.2}M requests/s)",
            per_sec(events) / 1e6,
            per_sec(requests) / 1e6
        );
        say!(
            "results in {} (report: {})",
            out_dir.display(),
            out_dir.join(report::render::REPORT_FILE).display()
        );
    }
    print_verdicts(&design.path, &result.assertions, quiet);
    Ok(code)
}

/// Mean and 95% interval of each headline figure, as a terminal table.
fn replications_table(section: &crate::results::replications::Replications) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let seeds: Vec<String> = section.seeds.iter().map(ToString::to_string).collect();
    let _ = writeln!(
        out,
        "\nover {} replications (seeds {}): mean and 95% confidence interval",
        section.count,
        seeds.join(", ")
    );
    for (name, m) in section.metrics.iter() {
        // As summary.json writes them (rounded; NaN where it writes null).
        let f = |x: crate::results::Figure| x.written().unwrap_or(f64::NAN);
        let _ = writeln!(
            out,
            "  {name:<20} {:>14.6} ± {:<12.6} [{:.6}, {:.6}]",
            f(m.mean),
            f(m.half_width),
            f(m.ci_low),
            f(m.ci_high)
        );
    }
    for partly in &section.not_in_every_replication {
        let seeds: Vec<String> = partly.missing_in_seeds.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "  {:<20} no interval: nothing to measure with seed {}",
            partly.metric,
            seeds.join(", ")
        );
    }
    out
}

/// A JUnit suite for one scenario's outcome.
fn junit_suite(
    file: &str,
    outcome: Result<&crate::results::RunResult, String>,
) -> report::junit::Suite {
    match outcome {
        Ok(r) => report::junit::Suite {
            name: r.scenario.clone(),
            file: file.to_string(),
            properties: report::junit::properties(r),
            outcome: report::junit::SuiteOutcome::Ran(r.assertions.clone()),
            expected_to_fail: false,
        },
        Err(message) => report::junit::Suite {
            name: file.to_string(),
            file: file.to_string(),
            properties: Vec::new(),
            outcome: report::junit::SuiteOutcome::Error(message),
            expected_to_fail: false,
        },
    }
}

fn write_junit(file: &Path, suites: &[report::junit::Suite]) -> Result<(), Stopped> {
    let xml = report::junit::to_xml(suites);
    output::write_file(file, xml.as_bytes())
        .map_err(|e| output_failed(&e, &file.display().to_string()))
}

/// `sim check`: runs every scenario (in parallel), judges its assertions, prints the verdicts
/// in argument order and exits 1 if any failed.
fn check_command(paths: &[PathBuf], overrides: &Overrides, options: CheckOptions) -> Ended {
    use rayon::prelude::*;
    let mut folders = check_folders(paths, options.out.as_deref())?;
    catch_interrupts();
    let started = Instant::now();
    let stop = stop_check(started, options.max_wall);
    let done = || {};
    let outcomes: Vec<(
        String,
        Result<crate::study::Study, crate::study::StudyError>,
    )> = paths
        .par_iter()
        .map(|path| {
            let shown = path.display().to_string();
            let study = Design::read(path).and_then(|design| {
                crate::study::study(
                    &design,
                    &StudyOptions {
                        overrides,
                        replications: options.replications,
                        only: None,
                        stop: &stop,
                        done: &done,
                    },
                )
            });
            (shown, study)
        })
        .collect();
    let mut code = EXIT_OK;
    let mut suites = Vec::new();
    let worse = |code: i32, new: i32| {
        // Bad input outranks interruption and truncation, which outrank failed assertions.
        let rank = |c: i32| match c {
            EXIT_OK => 0,
            EXIT_ASSERTION_FAILED => 1,
            EXIT_TRUNCATED => 2,
            EXIT_INTERRUPTED | EXIT_TERMINATED => 3,
            _ => 4,
        };
        if rank(new) > rank(code) {
            new
        } else {
            code
        }
    };
    for (index, (path, outcome)) in outcomes.iter().enumerate() {
        match outcome {
            Ok(study) => {
                let r = &study.result;
                if let Some((dir, folder)) = folders.get_mut(index).and_then(Option::take) {
                    let written = report::write_outputs(r, folder.path())
                        .map_err(|e| output::OutputError::io(&dir, e))
                        .and_then(|()| folder.commit());
                    if let Err(e) = written {
                        let Stopped(failed) =
                            output_failed(&e, &format!("results to {}", dir.display()));
                        code = worse(code, failed);
                    }
                }
                let failed = r.assertions.iter().filter(|v| !v.passed).count();
                let status = match (r.truncated.as_deref(), failed) {
                    (Some(reason), _) => format!("STOPPED ({reason})"),
                    (None, 0) => "ok".to_string(),
                    (None, n) => format!("FAILED ({n} of {})", r.assertions.len()),
                };
                say!("{path}: {status} ({} assertions)", r.assertions.len());
                print_verdicts(path, &r.assertions, false);
                code = worse(code, study_exit_code(r));
                suites.push(junit_suite(path, Ok(r)));
            }
            Err(e) => {
                let text = e.render();
                say_err_raw!("{text}");
                code = worse(code, EXIT_BAD_INPUT);
                suites.push(junit_suite(path, Err(text)));
            }
        }
    }
    if let Some(file) = &options.junit {
        if let Err(Stopped(c)) = write_junit(file, &suites) {
            code = worse(code, c);
        }
    }
    Ok(code)
}

/// The output folders of `sim check --out DIR`, one per scenario in argument order
/// (`DIR/<scenario name>/`), checked before anything runs; `None` for a file that does not load
/// (its error is reported by its run). Two scenarios with one name would write one folder:
/// refused.
#[allow(clippy::type_complexity)]
fn check_folders(
    paths: &[PathBuf],
    out: Option<&Path>,
) -> Result<Vec<Option<(PathBuf, OutputFolder)>>, Stopped> {
    let Some(out) = out else {
        return Ok(Vec::new());
    };
    let mut folders: Vec<Option<(PathBuf, OutputFolder)>> = Vec::with_capacity(paths.len());
    let mut seen: Vec<(String, &Path)> = Vec::new();
    for path in paths {
        let Ok(plan) = Design::read(path).and_then(|d| d.plan()) else {
            folders.push(None);
            continue;
        };
        let name = output::folder_name(&plan.name);
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            return Err(bad_input(format!(
                "{} and {} both write their results to {}\nhelp: give the scenarios different names, or run them with separate --out folders",
                first.display(),
                path.display(),
                out.join(&name).display()
            )));
        }
        let dir = out.join(&name);
        match OutputFolder::begin(&dir, "check") {
            Ok(folder) => folders.push(Some((dir, folder))),
            Err(e) => return Err(output_failed(&e, &format!("results to {}", dir.display()))),
        }
        seen.push((name, path));
    }
    Ok(folders)
}

/// How `sim check` behaves.
struct CheckOptions {
    replications: Option<u32>,
    junit: Option<PathBuf>,
    out: Option<PathBuf>,
    max_wall: Option<SimDuration>,
}
