//! Studies: one design run once or over several replications, with the assertions judged over
//! all of them. Compare, sweep, capacity, cheapest and shards are studies of many designs.

pub mod capacity;
pub mod cheapest;
pub mod compare;
pub mod judge;
pub mod overrides;
pub mod replications;
pub mod sweep;

use crate::results::{RunResult, Summary};
use crate::run::{run, Progress};
use crate::scenario::Plan;

/// Overrides given on the command line.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub seed: Option<u64>,
    pub duration: Option<crate::engine::SimDuration>,
    pub requests: Option<u64>,
    pub max_events: Option<u64>,
    /// Keep the per-hop latency breakdown whatever the scenario says.
    pub breakdown: bool,
    /// Sample this many requests for `trace.json`.
    pub trace: Option<u32>,
    /// `run.max_memory` [bytes].
    pub max_memory: Option<u64>,
}

impl Overrides {
    pub fn apply(&self, plan: &mut Plan) {
        if let Some(seed) = self.seed {
            plan.seed = seed;
        }
        if let Some(d) = self.duration {
            plan.duration = Some(d);
        }
        if let Some(n) = self.requests {
            plan.requests = Some(n);
        }
        if let Some(n) = self.max_events {
            plan.max_events = Some(n);
        }
        if self.breakdown {
            plan.breakdown = true;
        }
        if let Some(n) = self.trace {
            plan.trace = n;
        }
        if let Some(bytes) = self.max_memory {
            plan.max_memory = bytes;
        }
    }
}

/// Why a study could not run. [`StudyError::render`] is how the CLI shows it.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// The scenario (or an override of it) does not check: every error, with its place.
    #[error("{}", .0.render())]
    Load(crate::scenario::LoadError),
    /// The scenario checks but cannot be run as asked (no stop condition, ...).
    #[error("{0}")]
    Usage(String),
    /// The simulation could not be run (too big for its memory budget, or not buildable).
    #[error("{0}")]
    Run(#[from] crate::run::RunError),
}

impl StudyError {
    pub fn render(&self) -> String {
        match self {
            StudyError::Load(e) => e.render(),
            StudyError::Usage(m) => format!("error: {m}\n"),
            StudyError::Run(e) => format!("error: {e}\n"),
        }
    }
}

/// One design to study: a scenario's text, with any path overrides already applied.
pub struct Design {
    /// Shown in messages: the file, and the variant or sweep point.
    pub path: String,
    pub text: String,
    /// The scenario name used when the file has none.
    pub default_name: String,
    /// `path=value` of each override applied, recorded in `summary.json`.
    pub overrides: Vec<String>,
}

impl Design {
    /// A scenario file as it is.
    pub fn read(path: &std::path::Path) -> Result<Self, StudyError> {
        let shown = path.display().to_string();
        // `load` gives the file-level errors (missing, too large, not text) their messages.
        crate::scenario::load(path).map_err(StudyError::Load)?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| StudyError::Usage(format!("{shown}: cannot read: {e}")))?;
        let default_name = path.file_stem().map_or_else(
            || "scenario".to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        Ok(Design {
            path: shown,
            text,
            default_name,
            overrides: Vec::new(),
        })
    }

    /// This design with `overrides` (path, value) applied on top, labelled `label`.
    pub fn with(
        &self,
        label: &str,
        overrides: &[(String, serde_json::Value)],
    ) -> Result<Self, StudyError> {
        let text = crate::study::overrides::apply(&self.text, overrides)
            .map_err(|e| StudyError::Usage(format!("{} ({label}): {e}", self.path)))?;
        let mut shown: Vec<String> = self.overrides.clone();
        shown.extend(
            overrides
                .iter()
                .map(|(p, v)| format!("{p}={}", crate::study::overrides::show(v))),
        );
        Ok(Design {
            path: format!("{} [{label}]", self.path),
            text,
            default_name: self.default_name.clone(),
            overrides: shown,
        })
    }

    /// The checked plan.
    pub fn plan(&self) -> Result<Plan, StudyError> {
        crate::scenario::load_str(&self.text, &self.path, &self.default_name)
            .map_err(StudyError::Load)
    }
}

/// How to run a study.
pub struct StudyOptions<'a> {
    pub overrides: &'a Overrides,
    /// Replications (default: the scenario's `run.replications`).
    pub replications: Option<u32>,
    /// Which replications to run, out of all of them (sharding); all when `None`.
    pub only: Option<&'a [u32]>,
    /// Checked now and then; returning a reason ("interrupted", "max_wall") stops every run.
    pub stop: &'a (dyn Fn() -> Option<&'static str> + Sync),
    /// Called as each replication ends (progress bars).
    pub done: &'a (dyn Fn() + Sync),
}

/// A design run one or more times.
pub struct Study {
    /// The first replication run, with the study's `assertions` and `replications` sections.
    pub result: RunResult,
    /// Every replication's summary (its `summary.json` before the study's sections), in
    /// replication order.
    pub summaries: Vec<Summary>,
    /// The replication indexes run, in order.
    pub indexes: Vec<u32>,
}

impl Study {
    pub fn passed(&self) -> bool {
        self.result.assertions.iter().all(|v| v.passed)
    }
}

/// The memory a study of `runs` runs of `plan` needs: as many models at once as there are
/// worker threads, and every run's result until the study ends.
pub fn memory_needed(plan: &Plan, runs: u64) -> crate::scenario::budget::Estimate {
    crate::scenario::budget::study(plan, runs, rayon::current_num_threads() as u64)
}

/// Runs `design` once per replication (in parallel; results kept in replication order),
/// judges the assertions over all of them and returns the first run with the study's sections.
pub fn study(design: &Design, options: &StudyOptions<'_>) -> Result<Study, StudyError> {
    use rayon::prelude::*;
    let mut first = design.plan()?;
    options.overrides.apply(&mut first);
    if first.duration.is_none() && first.requests.is_none() {
        return Err(StudyError::Usage(format!(
            "{}: the run has no stop condition; give --duration or --requests",
            design.path
        )));
    }
    if let Some(duration) = options.overrides.duration {
        if duration <= first.warmup {
            return Err(StudyError::Usage(format!(
                "{}: --duration {} is not longer than the scenario's warmup ({}); nothing would be measured",
                design.path, duration, first.warmup
            )));
        }
    }
    let count = options.replications.unwrap_or(first.replications).max(1);
    if count < 2 {
        if let Some((a, loc)) = first
            .assertions
            .iter()
            .find(|(a, _)| a.confidence.is_some())
        {
            return Err(StudyError::Usage(format!(
                "{}:{}:{}: '{}' is judged on a confidence bound, which needs at least 2 replications; set run.replications or pass --replications N",
                design.path, loc.line, loc.column, a.text
            )));
        }
    }
    let base_seed = first.seed;
    // Replication i runs with seed + i: the last seed must exist.
    if base_seed.checked_add(u64::from(count - 1)).is_none() {
        return Err(StudyError::Usage(format!(
            "{}: seed {base_seed} with {count} replications (seeds seed to seed + {}) goes beyond the largest seed, {}; give a seed of at most {}",
            design.path,
            count - 1,
            u64::MAX,
            u64::MAX - u64::from(count - 1)
        )));
    }
    let assertions: Vec<crate::assertions::Assertion> =
        first.assertions.iter().map(|(a, _)| a.clone()).collect();
    let indexes: Vec<u32> = match options.only {
        Some(only) => only.iter().copied().filter(|&i| i < count).collect(),
        None => (0..count).collect(),
    };
    if indexes.is_empty() {
        return Err(StudyError::Usage(format!(
            "{}: this shard has no replication to run",
            design.path
        )));
    }
    let needed = memory_needed(&first, indexes.len() as u64);
    crate::scenario::budget::check(&needed, first.max_memory)
        .map_err(|e| StudyError::Usage(format!("{}: {e}", design.path)))?;
    drop(first);
    let stopped: std::sync::Mutex<Option<&'static str>> = std::sync::Mutex::new(None);
    let runs: Vec<Result<RunResult, StudyError>> = indexes
        .par_iter()
        .map(|&i| {
            let mut plan = design.plan()?;
            options.overrides.apply(&mut plan);
            plan.seed = base_seed.saturating_add(u64::from(i));
            let mut on_progress = |_: Progress| match (options.stop)() {
                Some(reason) => {
                    if let Ok(mut s) = stopped.lock() {
                        s.get_or_insert(reason);
                    }
                    false
                }
                None => true,
            };
            let result = run(plan, Some(&mut on_progress)).map_err(StudyError::Run);
            (options.done)();
            result
        })
        .collect();
    let mut results = Vec::with_capacity(runs.len());
    for r in runs {
        results.push(r?);
    }
    let reason = stopped.lock().ok().and_then(|s| *s);
    for r in &mut results {
        if let Some(reason) = reason {
            r.truncated = Some(reason.to_string());
        }
        r.overrides = design.overrides.clone();
    }
    // A guard that stopped any replication (memory, a stall) cut the study short too.
    let cut = results.iter().find_map(|r| r.truncated.clone());
    let summaries: Vec<Summary> = results
        .iter()
        .map(crate::results::summarize::summary)
        .collect();
    let mut result = results.swap_remove(0);
    drop(results);
    if result.truncated.is_none() {
        result.truncated = cut;
    }
    if count > 1 {
        result.replications = Some(crate::study::replications::section(
            &summaries,
            0.95,
            count,
            indexes.clone(),
        ));
    }
    result.assertions = judge::judge_all(&assertions, &summaries);
    Ok(Study {
        result,
        summaries,
        indexes,
    })
}
