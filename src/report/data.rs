//! [`ReportData`]: everything the charts and `report.html` show, read back from the files a run
//! saved, so that `sim report OUTDIR` can redraw them without running again.
//!
//! A run writes three files and the report is drawn from their *text*, never from the
//! in-memory results: `sim run` and `sim report` therefore go through the same rounding and
//! produce the same bytes.
//! - `summary.json`: totals, latency percentiles, per-component figures;
//! - `timeseries.csv`: one row per time window;
//! - `report-data.json` ([`Extra`]): what the report needs beyond those two: the scenario's
//!   description, the end-to-end latency distribution and the topology. The failures, lost
//!   data, verdicts and objective the page shows are read from `summary.json`, written once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::RunResult;
use crate::scenario::topology::Topology;

pub const SUMMARY_FILE: &str = "summary.json";
pub const TIMESERIES_FILE: &str = "timeseries.csv";
pub const REPORT_DATA_FILE: &str = "report-data.json";

/// Version of the `report-data.json` layout; bumped when a field changes meaning.
/// 2: the failures, lost data, assertions and objective are no longer repeated from
/// `summary.json`.
pub const REPORT_DATA_FORMAT: u32 = 2;

/// `summary.json`, read back as the one typed result the run wrote it from.
pub use crate::results::summary::Summary;

/// `timeseries.csv`: every column by name; empty cells are NaN.
#[derive(Clone, Debug, Default)]
pub struct TimeSeries {
    pub columns: IndexMap<String, Vec<f64>>,
}

impl TimeSeries {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let header = match records.next() {
            Some(record) => record.map_err(|e| format!("line 1: {e}"))?,
            None => return Err("the file is empty".to_string()),
        };
        let mut columns: IndexMap<String, Vec<f64>> = IndexMap::new();
        for name in &header {
            if columns.insert(name.to_string(), Vec::new()).is_some() {
                return Err(format!("column '{name}' appears twice"));
            }
        }
        for record in records {
            let record = record.map_err(|e| e.to_string())?;
            let line = record.position().map_or(0, |p| p.line());
            if record.len() != header.len() {
                return Err(format!(
                    "line {line}: {} cells, the header has {}",
                    record.len(),
                    header.len()
                ));
            }
            for (cell, column) in record.iter().zip(columns.values_mut()) {
                let value = if cell.is_empty() {
                    f64::NAN
                } else {
                    cell.parse::<f64>()
                        .map_err(|_| format!("line {line}: '{cell}' is not a number"))?
                };
                column.push(value);
            }
        }
        for required in ["time_s", "window_s"] {
            if !columns.contains_key(required) {
                return Err(format!("no '{required}' column"));
            }
        }
        Ok(TimeSeries { columns })
    }

    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.columns.get(name).map(Vec::as_slice)
    }

    /// Window start times [s].
    pub fn times(&self) -> &[f64] {
        self.column("time_s").unwrap_or(&[])
    }

    /// `(window start [s], value)` pairs of a column, or None if there is no such column.
    pub fn points(&self, name: &str) -> Option<Vec<(f64, f64)>> {
        let values = self.column(name)?;
        Some(
            self.times()
                .iter()
                .copied()
                .zip(values.iter().copied())
                .collect(),
        )
    }

    /// Like [`Self::points`] for a per-window count, divided by the window's length: a rate
    /// per second.
    pub fn rate_points(&self, name: &str) -> Option<Vec<(f64, f64)>> {
        let values = self.column(name)?;
        let widths = self.column("window_s")?;
        Some(
            self.times()
                .iter()
                .zip(values.iter().zip(widths))
                .map(|(&t, (&v, &w))| (t, if w > 0.0 { v / w } else { f64::NAN }))
                .collect(),
        )
    }
}

/// A failure of the run (from `summary.json`'s `failures`), shown on the timeline and shaded
/// on the time charts.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureEvent {
    pub start_s: f64,
    /// None: lasts until the end of the run.
    pub end_s: Option<f64>,
    /// What fails: a component name, or a description.
    pub target: String,
    /// What happens: "crash", "slow 5x", "partition".
    pub label: String,
}

/// The result of one assertion of the scenario (from `summary.json`'s `assertions`).
#[derive(Clone, Debug, PartialEq)]
pub struct AssertionResult {
    /// The assertion as written: "availability >= 99.9%".
    pub name: String,
    pub passed: bool,
    /// The measured value, or why it failed.
    pub detail: String,
}

/// A service level objective drawn as a line on the availability chart (from `summary.json`'s
/// `slo`).
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// Target availability as a fraction: 0.999.
    pub availability: f64,
}

/// `report-data.json`: what the report needs beyond `summary.json` and `timeseries.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Extra {
    pub format: u32,
    #[serde(default)]
    pub description: Option<String>,
    /// End-to-end latency distribution of succeeded requests after the warm-up:
    /// `[latency_ms, fraction at or below]`.
    #[serde(default)]
    pub latency_cdf_ms: Vec<(f64, f64)>,
    #[serde(default)]
    pub topology: Topology,
}

/// The failures that happened, as `summary.json` lists them.
fn failure_events(summary: &Summary) -> Vec<FailureEvent> {
    summary
        .failures
        .iter()
        .map(|e| {
            let target = match e.instance {
                Some(i) if !e.target.ends_with(']') => format!("{}[{i}]", e.target),
                _ => e.target.clone(),
            };
            FailureEvent {
                start_s: round6(e.start_s),
                end_s: e.end_s.map(round6),
                target,
                label: e.kind.clone(),
            }
        })
        .collect()
}

/// Rounds as `summary.json` does (6 decimals), so the text is short and stable.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

impl Extra {
    pub fn of(r: &RunResult) -> Self {
        Extra {
            format: REPORT_DATA_FORMAT,
            description: r.description.clone(),
            latency_cdf_ms: r
                .end_to_end_cdf
                .iter()
                .map(|&(ms, f)| (round6(ms), round6(f)))
                .collect(),
            topology: r.topology.clone(),
        }
    }

    /// Pretty JSON, with each latency point on one line.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut bytes = Vec::new();
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut bytes, InnerArraysInline::default());
        self.serialize(&mut serializer)?;
        bytes.push(b'\n');
        // serde_json writes UTF-8 only.
        String::from_utf8(bytes).map_err(serde::ser::Error::custom)
    }
}

/// serde_json's pretty layout, except that an array directly inside an array is written on one
/// line: `[25.1, 0.5]` rather than four lines per point.
#[derive(Default)]
struct InnerArraysInline {
    pretty: serde_json::ser::PrettyFormatter<'static>,
    /// Open containers, true for arrays.
    open: Vec<bool>,
    /// Depth (length of `open`) of the array being written inline, if any.
    inline_from: Option<usize>,
}

impl InnerArraysInline {
    fn inline(&self) -> bool {
        self.inline_from.is_some()
    }

    /// Starts an array value or object key: nothing before the first item of an inline array,
    /// ", " before the others, and the pretty layout (`pretty`) everywhere else.
    fn begin_item<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
        pretty: impl FnOnce(
            &mut serde_json::ser::PrettyFormatter<'static>,
            &mut W,
            bool,
        ) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        match (self.inline(), first) {
            (true, true) => Ok(()),
            (true, false) => w.write_all(b", "),
            (false, _) => pretty(&mut self.pretty, w, first),
        }
    }
}

impl serde_json::ser::Formatter for InnerArraysInline {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if !self.inline() && self.open.last() == Some(&true) {
            self.inline_from = Some(self.open.len() + 1);
        }
        self.open.push(true);
        if self.inline() {
            w.write_all(b"[")
        } else {
            self.pretty.begin_array(w)
        }
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        let result = if self.inline() {
            w.write_all(b"]")
        } else {
            self.pretty.end_array(w)
        };
        if self.inline_from == Some(self.open.len()) {
            self.inline_from = None;
        }
        self.open.pop();
        result
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.begin_item(w, first, |pretty, w, first| {
            pretty.begin_array_value(w, first)
        })
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.inline() {
            Ok(())
        } else {
            self.pretty.end_array_value(w)
        }
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open.push(false);
        if self.inline() {
            w.write_all(b"{")
        } else {
            self.pretty.begin_object(w)
        }
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open.pop();
        if self.inline() {
            w.write_all(b"}")
        } else {
            self.pretty.end_object(w)
        }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.begin_item(w, first, |pretty, w, first| {
            pretty.begin_object_key(w, first)
        })
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.inline() {
            w.write_all(b": ")
        } else {
            self.pretty.begin_object_value(w)
        }
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.inline() {
            Ok(())
        } else {
            self.pretty.end_object_value(w)
        }
    }
}

/// The text of the three files a run saves.
pub struct SavedFiles {
    pub summary: String,
    pub timeseries: String,
    pub report_data: String,
}

impl SavedFiles {
    pub fn of(r: &RunResult) -> Result<Self, serde_json::Error> {
        let mut summary = serde_json::to_string_pretty(&crate::results::summarize::to_json(r))?;
        summary.push('\n');
        Ok(SavedFiles {
            summary,
            timeseries: super::timeseries::to_csv(r),
            report_data: Extra::of(r).to_json()?,
        })
    }

    /// Writes the three files into `dir`, a folder being prepared.
    pub fn put(&self, dir: &Path) -> std::io::Result<()> {
        use crate::output::file::put;
        put(&dir.join(SUMMARY_FILE), self.summary.as_bytes())?;
        put(&dir.join(TIMESERIES_FILE), self.timeseries.as_bytes())?;
        put(&dir.join(REPORT_DATA_FILE), self.report_data.as_bytes())
    }
}

/// A saved file that could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{}: {}", path.display(), read_failure(source))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

fn read_failure(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::InvalidData => "the file is not UTF-8 text".to_string(),
        _ => format!("cannot read: {e}"),
    }
}

impl DataError {
    /// True when a file is missing altogether (rather than unreadable or malformed).
    pub fn is_missing(&self) -> bool {
        matches!(self, DataError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Everything the charts and the report page are drawn from.
#[derive(Clone, Debug)]
pub struct ReportData {
    pub summary: Summary,
    pub series: TimeSeries,
    pub extra: Extra,
    /// The failures of the run, from the summary, for the timeline and the chart bands.
    pub failures: Vec<FailureEvent>,
    /// What was lost, by kind ("writes", "messages"), from the summary.
    pub lost: BTreeMap<String, u64>,
    /// The assertions' verdicts, from the summary.
    pub assertions: Vec<AssertionResult>,
    /// The availability objective, from the summary.
    pub slo: Option<Slo>,
}

impl ReportData {
    /// Parses the files' text; `dir` only names them in messages.
    pub fn parse(files: &SavedFiles, dir: &Path) -> Result<Self, DataError> {
        let invalid = |file: &str, message: String| DataError::Invalid {
            path: dir.join(file),
            message,
        };
        let summary: Summary = serde_json::from_str(&files.summary).map_err(|e| {
            invalid(
                SUMMARY_FILE,
                format!(
                    "{e}; not a summary this sim ({}) writes: run the scenario again to \
                     rewrite it",
                    env!("CARGO_PKG_VERSION")
                ),
            )
        })?;
        let series =
            TimeSeries::parse(&files.timeseries).map_err(|e| invalid(TIMESERIES_FILE, e))?;
        let extra: Extra = serde_json::from_str(&files.report_data)
            .map_err(|e| invalid(REPORT_DATA_FILE, e.to_string()))?;
        if extra.format > REPORT_DATA_FORMAT {
            return Err(invalid(
                REPORT_DATA_FILE,
                format!(
                    "format {} is newer than this sim understands ({REPORT_DATA_FORMAT}); \
                     use the sim that wrote it",
                    extra.format
                ),
            ));
        }
        // What the summary already says is read from it, not written twice.
        let assertions = summary
            .assertions
            .iter()
            .flatten()
            .map(|v| AssertionResult {
                name: v.assert.clone(),
                passed: v.passed,
                detail: v.message.clone(),
            })
            .collect();
        Ok(ReportData {
            failures: failure_events(&summary),
            lost: summary.lost.iter().map(|(k, &n)| (k.clone(), n)).collect(),
            assertions,
            slo: summary.slo.as_ref().map(|s| Slo {
                availability: s.target.into(),
            }),
            summary,
            series,
            extra,
        })
    }

    /// The report data of a run, through the same text as the saved files (so exactly what
    /// [`Self::load`] would read back).
    pub fn from_run(r: &RunResult) -> Result<Self, DataError> {
        let files = SavedFiles::of(r).map_err(|e| DataError::Invalid {
            path: PathBuf::from("(run)"),
            message: e.to_string(),
        })?;
        Self::parse(&files, Path::new(""))
    }

    /// Reads the files a run saved in `dir`.
    pub fn load(dir: &Path) -> Result<Self, DataError> {
        let read = |file: &str| {
            let path = dir.join(file);
            std::fs::read_to_string(&path).map_err(|source| DataError::Read { path, source })
        };
        let files = SavedFiles {
            summary: read(SUMMARY_FILE)?,
            timeseries: read(TIMESERIES_FILE)?,
            report_data: read(REPORT_DATA_FILE)?,
        };
        Self::parse(&files, dir)
    }

    /// The end of the time axis [s]: the run's end, or the end of the last window.
    pub fn end_s(&self) -> f64 {
        let d = self.summary.duration_s.0;
        if d.is_finite() && d > 0.0 {
            return d;
        }
        let times = self.series.times();
        let widths = self.series.column("window_s").unwrap_or(&[]);
        match (times.last(), widths.last()) {
            (Some(t), Some(w)) => t + w,
            _ => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_data_json_is_pretty_with_one_point_per_line() {
        let extra = Extra {
            format: 2,
            description: Some("d".into()),
            latency_cdf_ms: vec![(1.5, 0.0), (2.0, 1.0)],
            topology: Topology::default(),
        };
        let text = extra.to_json().unwrap_or_default();
        assert_eq!(
            text,
            r#"{
  "format": 2,
  "description": "d",
  "latency_cdf_ms": [
    [1.5, 0.0],
    [2.0, 1.0]
  ],
  "topology": {
    "nodes": [],
    "edges": []
  }
}
"#
        );
        let back: Extra = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, extra);
        // A format 1 file repeated what summary.json says; those copies are ignored.
        let old = text.replace("\"format\": 2", "\"format\": 1").replace(
            "\n  }\n}",
            "\n  },\n  \"failures\": [],\n  \"lost\": {\"writes\": 3},\n  \"assertions\": [],\n  \"slo\": null\n}",
        );
        let read: Extra = serde_json::from_str(&old).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.format, 1);
        assert_eq!(read.topology, extra.topology);
    }

    #[test]
    fn timeseries_columns_are_read_by_name_with_gaps() {
        let t = TimeSeries::parse("time_s,window_s,a,b.requests\n0,1,1.5,3\n1,0.5,,4\n")
            .unwrap_or_default();
        assert_eq!(t.column("a").map(|c| c[0]), Some(1.5));
        assert!(t.column("a").is_some_and(|c| c[1].is_nan()));
        assert_eq!(
            t.rate_points("b.requests"),
            Some(vec![(0.0, 3.0), (1.0, 8.0)])
        );
        assert!(t.column("nope").is_none());
    }

    #[test]
    fn malformed_timeseries_say_where() {
        assert_eq!(
            TimeSeries::parse("time_s,window_s\n0,1,2\n").err(),
            Some("line 2: 3 cells, the header has 2".to_string())
        );
        assert_eq!(
            TimeSeries::parse("time_s,window_s\n0,x\n").err(),
            Some("line 2: 'x' is not a number".to_string())
        );
        assert_eq!(
            TimeSeries::parse("a,b\n").err(),
            Some("no 'time_s' column".to_string())
        );
    }
}
