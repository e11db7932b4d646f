//! What several commands accept alike: the parsers of their flags' values, the limits that
//! stop a study and the flags of a study's runs (flattened into each command with
//! `#[command(flatten)]`).

use crate::engine::SimDuration;
use crate::scenario::{self, units};

/// When to stop early: the wall clock and the heap. Every command that runs scenarios takes
/// these, with the same meaning.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct Limits {
    /// Stop after this much wall-clock time, e.g. 30s (checked during the set-up too); what
    /// ran is written, marked truncated.
    #[arg(long, value_parser = parse_duration_arg)]
    pub max_wall: Option<SimDuration>,
    /// The most heap memory a run may use, e.g. 512MB or 8GB (overrides run.max_memory,
    /// default 2GB): a larger model is refused, a run that outgrows it stops, marked
    /// truncated.
    #[arg(long, value_name = "SIZE", value_parser = parse_size_arg)]
    pub max_memory: Option<u64>,
}

/// The seed, the simulated time and the replications of a study's runs: `check`, `compare`,
/// `sweep` and `capacity` take them alike. What they mean differs a little from command to
/// command (the seed of every design, of every point, of every probe), so each command words
/// their help itself (`mut_arg` on the command); the help below is the default.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct StudyFlags {
    /// Seed of every random stream (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Simulated time to run (overrides the scenario's).
    #[arg(long, value_parser = parse_duration_arg)]
    pub duration: Option<SimDuration>,
    /// Replications of every run (overrides run.replications).
    #[arg(long, value_parser = parse_replications_arg)]
    pub replications: Option<u32>,
}

impl StudyFlags {
    /// The overrides of a study of several designs, every one with `seed` (common random
    /// numbers) and this simulated time, within `limits`' memory.
    pub fn overrides(&self, seed: u64, limits: &Limits) -> crate::study::Overrides {
        crate::study::Overrides {
            seed: Some(seed),
            duration: self.duration,
            max_memory: limits.max_memory,
            ..crate::study::Overrides::default()
        }
    }
}

pub(super) fn parse_duration_arg(text: &str) -> Result<SimDuration, String> {
    match units::parse_duration(text) {
        Ok(d) if !d.is_zero() => Ok(d),
        Ok(_) => Err("the duration must be greater than 0".to_string()),
        Err(e) => Err(e),
    }
}

pub(super) fn parse_size_arg(text: &str) -> Result<u64, String> {
    let bytes = units::parse_size(text)?;
    let least = scenario::validate::limits::MIN_MAX_MEMORY;
    if bytes < least {
        return Err(format!(
            "{} is below the smallest budget of {}",
            crate::heap::show_bytes(bytes),
            crate::heap::show_bytes(least)
        ));
    }
    Ok(bytes)
}

pub(super) fn parse_replications_arg(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(0) => Err("at least 1 replication".to_string()),
        Ok(n) if u64::from(n) > crate::scenario::validate::assertions::MAX_REPLICATIONS => {
            Err(format!(
                "at most {} replications in one run; split larger studies with --shard",
                crate::scenario::validate::assertions::MAX_REPLICATIONS
            ))
        }
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{text}' is not a number of replications")),
    }
}

pub(super) fn parse_tolerance_arg(text: &str) -> Result<f64, String> {
    match units::parse_fraction(text) {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        Ok(_) => Err("the tolerance must be between 0% and 100%, e.g. 1%".to_string()),
        Err(e) => Err(e),
    }
}

pub(super) fn parse_requests_arg(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("the request count must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "'{text}' is not a request count: expected a whole number such as 100000"
        )),
    }
}

pub(super) fn parse_events_arg(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("the event count must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "'{text}' is not an event count: expected a whole number such as 1000000"
        )),
    }
}
