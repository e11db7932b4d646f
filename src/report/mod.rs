//! Results out: `summary.json`, `timeseries.csv` and the terminal table. This layer only reads
//! a [`RunResult`]; one module per format; files are written atomically.

pub mod summary;
pub mod table;
pub mod timeseries;

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

/// Writes every output file into `dir` (created if missing).
pub fn write_outputs(result: &RunResult, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let summary = summary::to_json(result);
    let mut text = serde_json::to_string_pretty(&summary).map_err(std::io::Error::other)?;
    text.push('\n');
    write_atomically(&dir.join("summary.json"), text.as_bytes())?;
    write_atomically(
        &dir.join("timeseries.csv"),
        timeseries::to_csv(result).as_bytes(),
    )?;
    Ok(())
}
