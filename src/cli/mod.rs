//! The `sim` command line: parse arguments, call the scenario, run and report layers, map
//! failures to exit codes. Exit codes: 0 success, 1 failed assertion (reserved), 2 bad input or
//! usage, 3 outputs could not be written, 130 interrupted.

use std::cell::Cell;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

use crate::engine::SimDuration;
use crate::report;
use crate::run::{run, Overrides, Progress};
use crate::scenario::{self, units};

/// Writes a line to stdout, ignoring errors: a closed pipe (`sim run ... | head`) must not
/// turn into a panic; the results are already on disk.
macro_rules! say {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Like [`say!`] without the newline.
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

pub const EXIT_OK: i32 = 0;
pub const EXIT_BAD_INPUT: i32 = 2;
pub const EXIT_OUTPUT_FAILED: i32 = 3;
/// The run stopped at --max-events or --max-wall; its results are written, marked truncated.
pub const EXIT_TRUNCATED: i32 = 4;
/// Interrupted by Ctrl-C; the results so far are written, marked interrupted.
pub const EXIT_INTERRUPTED: i32 = 130;

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
        #[arg(long, value_parser = parse_requests_arg)]
        max_events: Option<u64>,
        /// Stop after this much wall-clock time, e.g. 30s; the results are written, marked
        /// truncated.
        #[arg(long, value_parser = parse_duration_arg)]
        max_wall: Option<SimDuration>,
        /// Print nothing but errors.
        #[arg(long, short, conflicts_with = "format")]
        quiet: bool,
        /// What to print on stdout.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
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
}

fn parse_duration_arg(text: &str) -> Result<SimDuration, String> {
    match units::parse_duration(text) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err("the duration must be greater than 0".to_string()),
        Err(e) => Err(e),
    }
}

fn parse_requests_arg(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("the request count must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "'{text}' is not a request count: expected a whole number such as 100000"
        )),
    }
}

/// Entry point; returns the process exit code.
pub fn main() -> i32 {
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
    match cli.command {
        Command::Run {
            scenario,
            seed,
            out,
            duration,
            requests,
            max_events,
            max_wall,
            quiet,
            format,
        } => {
            let overrides = Overrides {
                seed,
                duration,
                requests,
                max_events,
            };
            let options = RunOptions {
                quiet,
                format,
                max_wall,
            };
            run_command(&scenario, &overrides, out.as_deref(), options)
        }
        Command::Report { outdir } => report_command(&outdir),
        Command::Validate { scenarios } => validate_command(&scenarios),
        Command::Schema => {
            let schema = schemars::schema_for!(scenario::raw::Scenario);
            match serde_json::to_string_pretty(&schema) {
                Ok(text) => {
                    say!("{text}");
                    EXIT_OK
                }
                Err(e) => {
                    eprintln!("error: cannot render the schema: {e}");
                    EXIT_OUTPUT_FAILED
                }
            }
        }
    }
}

fn validate_command(paths: &[PathBuf]) -> i32 {
    let mut code = EXIT_OK;
    for path in paths {
        match scenario::load(path) {
            Ok(plan) => say!(
                "{}: ok ({} components)",
                path.display(),
                plan.components.len()
            ),
            Err(e) => {
                eprint!("{}", e.render());
                code = EXIT_BAD_INPUT;
            }
        }
    }
    code
}

/// Redraws the charts and the page from saved files.
fn report_command(dir: &Path) -> i32 {
    let data = match report::data::ReportData::load(dir) {
        Ok(data) => data,
        Err(e) => {
            eprintln!("error: {e}");
            if e.is_missing() {
                eprintln!(
                    "help: give a directory written by `sim run` (it holds {}, {} and {})",
                    report::data::SUMMARY_FILE,
                    report::data::TIMESERIES_FILE,
                    report::data::REPORT_DATA_FILE
                );
            }
            return EXIT_BAD_INPUT;
        }
    };
    if let Err(e) = report::render::write_report(&data, dir) {
        eprintln!("error: cannot write the report to {}: {e}", dir.display());
        return EXIT_OUTPUT_FAILED;
    }
    say!(
        "report in {}",
        dir.join(report::render::REPORT_FILE).display()
    );
    EXIT_OK
}

/// How `sim run` behaves, beyond what the scenario says.
struct RunOptions {
    quiet: bool,
    format: Format,
    /// Wall-clock limit.
    max_wall: Option<SimDuration>,
}

/// Set by the Ctrl-C handler; the run stops at its next progress check.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn run_command(path: &Path, overrides: &Overrides, out: Option<&Path>, options: RunOptions) -> i32 {
    let RunOptions {
        quiet,
        format,
        max_wall,
    } = options;
    let mut plan = match scenario::load(path) {
        Ok(plan) => plan,
        Err(e) => {
            eprint!("{}", e.render());
            return EXIT_BAD_INPUT;
        }
    };
    overrides.apply(&mut plan);
    if plan.duration.is_none() && plan.requests.is_none() {
        eprintln!(
            "error: {}: the run has no stop condition; give --duration or --requests",
            path.display()
        );
        return EXIT_BAD_INPUT;
    }
    // The scenario's warmup was checked against its own duration; a shorter --duration would
    // leave nothing measured.
    if let Some(duration) = overrides.duration {
        if duration <= plan.warmup {
            eprintln!(
                "error: {}: --duration {} is not longer than the scenario's warmup ({}); nothing would be measured",
                path.display(),
                duration,
                plan.warmup,
            );
            return EXIT_BAD_INPUT;
        }
    }
    let out_dir = out.map_or_else(
        || PathBuf::from("output").join(&plan.name),
        Path::to_path_buf,
    );

    let bar = progress_bar(quiet);
    let (horizon, request_limit) = (plan.duration, plan.requests);
    let started = Instant::now();
    let show_progress = |p: Progress| {
        if let Some(bar) = &bar {
            // Whichever stop condition is closer decides how far along the run is.
            let by_time = horizon.map_or(0.0, |h| p.now.as_nanos() as f64 / h.as_nanos() as f64);
            let by_requests = request_limit.map_or(0.0, |n| p.requests_started as f64 / n as f64);
            bar.set_position((by_time.max(by_requests).min(1.0) * 1000.0) as u64);
        }
    };
    // Ctrl-C stops the run cleanly: results so far are written, marked interrupted. A second
    // handler cannot be installed (tests run several commands in one process); then Ctrl-C
    // keeps its default behaviour.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let stopped_because: Cell<Option<&'static str>> = Cell::new(None);
    let mut on_progress = |p: Progress| {
        if INTERRUPTED.load(Ordering::SeqCst) {
            stopped_because.set(Some("interrupted"));
            return false;
        }
        if max_wall.is_some_and(|limit| started.elapsed().as_secs_f64() >= limit.as_secs_f64()) {
            stopped_because.set(Some("max_wall"));
            return false;
        }
        show_progress(p);
        true
    };
    let result = run(plan, Some(&mut on_progress));
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut result = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return EXIT_BAD_INPUT;
        }
    };
    if let Some(reason) = stopped_because.get() {
        result.truncated = Some(reason.to_string());
    }
    let success = match result.truncated.as_deref() {
        None => EXIT_OK,
        Some("interrupted") => EXIT_INTERRUPTED,
        Some(_) => EXIT_TRUNCATED,
    };
    let wall = started.elapsed().as_secs_f64();
    if let Err(e) = report::write_outputs(&result, &out_dir) {
        eprintln!("error: cannot write results to {}: {e}", out_dir.display());
        return EXIT_OUTPUT_FAILED;
    }
    if format == Format::Json {
        let summary = report::summary::to_json(&result);
        return match serde_json::to_string_pretty(&summary) {
            Ok(text) => {
                say!("{text}");
                success
            }
            Err(e) => {
                eprintln!("error: cannot render summary.json: {e}");
                EXIT_OUTPUT_FAILED
            }
        };
    }
    if !quiet {
        say_raw!("{}", report::table::render(&result));
        let events_per_sec = if wall > 0.0 {
            result.events as f64 / wall
        } else {
            0.0
        };
        let requests_per_sec = if wall > 0.0 {
            result.requests_issued as f64 / wall
        } else {
            0.0
        };
        say!();
        say!(
            "wall time {wall:.2}s  {} events ({:.2}M events/s, {:.2}M requests/s)",
            result.events,
            events_per_sec / 1e6,
            requests_per_sec / 1e6
        );
        say!(
            "results in {} (report: {})",
            out_dir.display(),
            out_dir.join(report::render::REPORT_FILE).display()
        );
    }
    success
}

/// A progress bar on stderr, only when stderr is a terminal.
fn progress_bar(quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(1000);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} simulating [{bar:40}] {percent}% ({elapsed})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    Some(bar)
}
