//! Results out: `summary.json`, `timeseries.csv`, `report-data.json`, `charts/*.svg`,
//! `report.html` and the terminal table. This layer only reads a [`RunResult`]; one module per
//! format; files are written atomically.
//!
//! The charts and the page are drawn from the saved files' text ([`data::ReportData`]), so
//! `sim report DIR` redraws them byte for byte without running the scenario again.

pub mod breakdown;
pub mod charts;
pub mod data;
pub mod html;
pub mod junit;
pub mod render;
pub mod summary;
pub mod table;
pub mod timeseries;
pub mod topology;
pub mod trace;

use std::io::Write;
use std::path::Path;

pub use crate::run::RunResult;

/// Writes `contents` to `path` through a temporary file in the same directory and a rename, so
/// that a crash never leaves a half-written file behind.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes every output file into `dir` (created if missing): the data files first, then the
/// charts and the report page drawn from them.
pub fn write_outputs(result: &RunResult, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let files = data::SavedFiles::of(result).map_err(std::io::Error::other)?;
    write_atomically(&dir.join(data::SUMMARY_FILE), files.summary.as_bytes())?;
    write_atomically(
        &dir.join(data::TIMESERIES_FILE),
        files.timeseries.as_bytes(),
    )?;
    write_atomically(
        &dir.join(data::REPORT_DATA_FILE),
        files.report_data.as_bytes(),
    )?;
    // The files were made by this very build: failing to read them back is a bug.
    let data = data::ReportData::parse(&files, dir).map_err(std::io::Error::other)?;
    render::write_report(&data, dir)
}
