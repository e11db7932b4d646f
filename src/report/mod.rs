//! Results out: `summary.json`, `timeseries.csv`, `report-data.json`, `charts/*.svg`,
//! `report.html` and the terminal table. This layer only reads a [`RunResult`]; one module per
//! format; files are written into a folder that is put in place whole (`crate::output`).
//!
//! The charts and the page are drawn from the saved files' text ([`data::ReportData`]), so
//! `sim report DIR` redraws them byte for byte without running the scenario again.

pub mod charts;
pub mod comparison;
pub mod data;
pub mod html;
pub mod junit;
pub mod page;
pub mod render;
pub mod shards;
pub mod sweep;
pub mod table;
pub mod timeseries;
pub mod topology;
pub mod trace;

use std::path::Path;

pub use crate::results::RunResult;

/// Writes every output file of a run into `dir`, a folder being prepared (see
/// [`crate::output::OutputFolder`]): the data files first, then the charts and the report page
/// drawn from them.
pub fn write_outputs(result: &RunResult, dir: &Path) -> std::io::Result<()> {
    let files = data::SavedFiles::of(result).map_err(std::io::Error::other)?;
    files.put(dir)?;
    // The files were made by this very build: failing to read them back is a bug.
    let data = data::ReportData::parse(&files, dir).map_err(std::io::Error::other)?;
    render::write_report(&data, dir)
}
