//! Replications split across machines: `sim run --replications N --shard K/N` runs the
//! replications whose index modulo N is K - 1 and writes `replications-shard-K-of-N.json`
//! (each replication's `summary.json` value and the scenario text), plus, in the shard that ran
//! replication 0, that run's own files in `replication-0/`. `sim merge` puts them back together
//! exactly as an unsharded `sim run --replications N` writes them: the first replication's
//! files with the `replications` and `assertions` sections computed over all N.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::output::{OutputError, OutputFolder};
use crate::report::data::{Extra, ReportData, SavedFiles};
use crate::results::Summary;
use crate::study::{Design, Study};

/// A shard's file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReplicationShard {
    pub scenario: String,
    pub scenario_sha256: String,
    /// The scenario as run (with overrides applied), so `sim merge` can judge its assertions.
    pub scenario_text: String,
    pub path: String,
    pub default_name: String,
    pub overrides: Vec<String>,
    /// Replications in the whole study.
    pub count: u32,
    pub shard: (usize, usize),
    /// (replication index, its summary).
    pub summaries: Vec<(u32, Summary)>,
}

/// The directory, inside a shard's output directory, holding replication 0's own files.
pub const FIRST_DIR: &str = "replication-0";

pub fn file_name(k: usize, n: usize) -> String {
    format!("replications-shard-{k}-of-{n}.json")
}

/// Writes a shard of a study into `dir`, a folder the shards share (none of them replaces it):
/// the shard file, replaced in one step, and for the shard that ran replication 0 its own
/// output folder `replication-0/`. Returns the shard file's path.
pub fn write(
    study: &Study,
    design: &Design,
    count: u32,
    shard: (usize, usize),
    dir: &Path,
) -> Result<PathBuf, OutputError> {
    let r = &study.result;
    let file = ReplicationShard {
        scenario: r.scenario.clone(),
        scenario_sha256: r.scenario_sha256.clone(),
        scenario_text: design.text.clone(),
        path: design.path.clone(),
        default_name: design.default_name.clone(),
        overrides: design.overrides.clone(),
        count,
        shard,
        summaries: study
            .indexes
            .iter()
            .copied()
            .zip(study.summaries.iter().cloned())
            .collect(),
    };
    if study.indexes.first() == Some(&0) {
        // Replication 0's own files, without the study's sections and verdicts (merge adds
        // them): its summary is the replication's, which has none.
        let first = dir.join(FIRST_DIR);
        let folder = OutputFolder::begin(&first, "run --shard")?;
        let io = |e: std::io::Error| OutputError::io(&first, e);
        let mut plain = SavedFiles::of(r).map_err(|e| io(std::io::Error::other(e)))?;
        plain.summary = {
            let mut text = serde_json::to_string_pretty(&study.summaries[0])
                .map_err(|e| io(std::io::Error::other(e)))?;
            text.push('\n');
            text
        };
        plain.put(folder.path()).map_err(io)?;
        folder.commit()?;
    }
    let path = dir.join(file_name(shard.0, shard.1));
    let mut text = serde_json::to_string_pretty(&file)
        .map_err(|e| OutputError::io(&path, std::io::Error::other(e)))?;
    text.push('\n');
    crate::output::write_file(&path, text.as_bytes())?;
    Ok(path)
}

/// Whether `path` is (or holds) replication shards rather than sweep shards.
pub fn is_replication_input(path: &Path) -> bool {
    let named = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("replications-shard-") && n.ends_with(".json"))
    };
    if path.is_dir() {
        std::fs::read_dir(path)
            .map(|entries| entries.filter_map(Result::ok).any(|e| named(&e.path())))
            .unwrap_or(false)
    } else {
        named(path)
    }
}

/// Combines replication shards into the files of the unsharded run and the verdicts of its
/// assertions.
pub fn merge(inputs: &[PathBuf]) -> Result<(SavedFiles, Vec<crate::assertions::Verdict>), String> {
    let mut files: Vec<PathBuf> = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|e| format!("{}: {e}", input.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| is_replication_input(p) && !p.is_dir())
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    let mut head: Option<ReplicationShard> = None;
    let mut summaries: Vec<Option<Summary>> = Vec::new();
    let mut first_dir: Option<PathBuf> = None;
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let shard: ReplicationShard = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}: not a shard file of `sim run --shard`: {e}",
                file.display()
            )
        })?;
        if let Some(h) = &head {
            if h.scenario_sha256 != shard.scenario_sha256
                || h.count != shard.count
                || h.scenario_text != shard.scenario_text
            {
                return Err(format!(
                    "{} is a shard of a different run (scenario or replications differ)",
                    file.display()
                ));
            }
        } else {
            summaries = vec![None; shard.count as usize];
        }
        for (i, summary) in &shard.summaries {
            if *i == 0 {
                first_dir = file.parent().map(|d| d.join(FIRST_DIR));
            }
            match summaries.get_mut(*i as usize) {
                Some(slot @ None) => *slot = Some(summary.clone()),
                Some(Some(_)) => return Err(format!("replication {i} appears twice")),
                None => return Err(format!("replication {i} is outside the run")),
            }
        }
        if head.is_none() {
            head = Some(shard);
        }
    }
    let head = head.ok_or("no replication shard given")?;
    let missing: Vec<String> = summaries
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| i.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "replications {} are missing: give every shard",
            missing.join(", ")
        ));
    }
    let summaries: Vec<Summary> = summaries.into_iter().flatten().collect();
    let first_dir = first_dir.ok_or("no shard holds replication 0")?;
    let read = |name: &str| {
        std::fs::read_to_string(first_dir.join(name))
            .map_err(|e| format!("{}: {e}", first_dir.join(name).display()))
    };
    let timeseries = read(crate::report::data::TIMESERIES_FILE)?;
    let extra: Extra = serde_json::from_str(&read(crate::report::data::REPORT_DATA_FILE)?)
        .map_err(|e| e.to_string())?;
    let design = Design {
        path: head.path.clone(),
        text: head.scenario_text.clone(),
        default_name: head.default_name.clone(),
        overrides: head.overrides.clone(),
    };
    let plan = design.plan().map_err(|e| e.render())?;
    let assertions: Vec<crate::assertions::Assertion> =
        plan.assertions.into_iter().map(|(a, _)| a).collect();
    let verdicts = crate::study::judge::judge_all(&assertions, &summaries);
    // The same sections as crate::results::summarize::summary gives a study.
    let mut summary = summaries[0].clone();
    summary.overrides = head.overrides.clone();
    if head.count > 1 {
        summary.replications = Some(crate::study::replications::section(
            &summaries,
            0.95,
            head.count,
            (0..head.count).collect(),
        ));
    }
    if !verdicts.is_empty() {
        summary.assertions = Some(crate::results::summary::AssertionSummary::of(&verdicts));
    }
    let mut summary_text = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?;
    summary_text.push('\n');
    Ok((
        SavedFiles {
            summary: summary_text,
            timeseries,
            report_data: extra.to_json().map_err(|e| e.to_string())?,
        },
        verdicts,
    ))
}

/// Writes merged files into `dir`, a folder being prepared, and draws the report from them.
pub fn write_merged(files: &SavedFiles, dir: &Path) -> std::io::Result<()> {
    files.put(dir)?;
    let data = ReportData::parse(files, dir).map_err(std::io::Error::other)?;
    crate::report::render::write_report(&data, dir)
}
