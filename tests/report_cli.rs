//! `sim run` writes the report; `sim report` redraws it byte for byte from the saved files;
//! `--format json` prints summary.json.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{assert_success, run_scenario, sim};

/// The charts every run of the test scenario draws.
const CHARTS: &[&str] = &[
    "availability.svg",
    "backends-lb.svg",
    "component-requests.svg",
    "errors.svg",
    "latency-cdf.svg",
    "latency-histogram.svg",
    "latency.svg",
    "queue.svg",
    "throughput.svg",
    "topology.svg",
    "utilisation.svg",
];

/// report.html and every chart, by name.
fn report_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    files.insert(
        "report.html".to_string(),
        std::fs::read(out.join("report.html")).expect("report.html"),
    );
    for entry in std::fs::read_dir(out.join("charts")).expect("charts/") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        files.insert(
            format!("charts/{name}"),
            std::fs::read(&path).expect("chart"),
        );
    }
    files
}

#[test]
fn a_run_writes_every_chart_and_the_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_scenario(dir.path());
    let files = report_files(&out);
    let charts: Vec<&str> = files
        .keys()
        .filter_map(|k| k.strip_prefix("charts/"))
        .collect();
    assert_eq!(charts, CHARTS);
    for name in ["summary.json", "timeseries.csv", "report-data.json"] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
}

#[test]
fn sim_report_redraws_the_same_bytes_without_running() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_scenario(dir.path());
    let written = report_files(&out);
    std::fs::remove_file(out.join("report.html")).expect("remove report.html");
    std::fs::remove_dir_all(out.join("charts")).expect("remove charts/");
    // Drop the scenario too: the report must not need it.
    std::fs::remove_file(dir.path().join("scenario.yaml")).expect("remove scenario");

    let output = sim()
        .arg("report")
        .arg(&out)
        .output()
        .expect("run sim report");
    assert_success(&output);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("report in {}\n", out.join("report.html").display())
    );
    let redrawn = report_files(&out);
    assert_eq!(
        written.keys().collect::<Vec<_>>(),
        redrawn.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &written {
        assert!(redrawn[name] == *bytes, "{name} differs after sim report");
    }
}

#[test]
fn two_runs_give_identical_reports() {
    let a = tempfile::tempdir().expect("temp dir");
    let b = tempfile::tempdir().expect("temp dir");
    let (out_a, out_b) = (run_scenario(a.path()), run_scenario(b.path()));
    let (files_a, files_b) = (report_files(&out_a), report_files(&out_b));
    assert_eq!(files_a.len(), files_b.len());
    for (name, bytes) in &files_a {
        assert!(files_b[name] == *bytes, "{name} differs between two runs");
    }
    let data = |out: &Path| std::fs::read(out.join("report-data.json")).expect("report-data");
    assert!(data(&out_a) == data(&out_b));
}

/// `sim report` replaces the folder whole, so no chart of an earlier scenario can stay; a file
/// sim did not write stops it instead of being deleted.
#[test]
fn sim_report_refuses_to_delete_a_file_it_did_not_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_scenario(dir.path());
    let notes = out.join("charts").join("notes.txt");
    std::fs::write(&notes, "mine").expect("write");
    let output = sim()
        .arg("report")
        .arg(&out)
        .output()
        .expect("run sim report");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "error: {} holds 'charts/notes.txt', which sim did not write; sim replaces an output folder whole and will not delete it\n\
             help: move it elsewhere, or choose another folder with --out\n",
            out.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&notes).expect("kept"), "mine");
    std::fs::remove_file(&notes).expect("remove");
    assert_success(
        &sim()
            .arg("report")
            .arg(&out)
            .output()
            .expect("run sim report"),
    );
}

#[test]
fn format_json_prints_summary_json_and_nothing_else() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = dir.path().join("scenario.yaml");
    std::fs::write(&scenario, common::SCENARIO).expect("write");
    let out = dir.path().join("out");
    let output = sim()
        .args(["run", "--format", "json", "--out"])
        .arg(&out)
        .arg(&scenario)
        .output()
        .expect("run sim");
    assert_success(&output);
    let saved = std::fs::read(out.join("summary.json")).expect("summary.json");
    assert!(output.stdout == saved, "stdout is not summary.json");
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(parsed["scenario"], "report-test");
}

#[test]
fn format_json_and_quiet_conflict() {
    let output = sim()
        .args(["run", "x.yaml", "--format", "json", "--quiet"])
        .output()
        .expect("run sim");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .starts_with("error: the argument '--format <FORMAT>' cannot be used with '--quiet'\n"));
}

#[test]
fn sim_report_on_a_directory_without_results_says_what_is_missing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = sim()
        .arg("report")
        .arg(dir.path())
        .output()
        .expect("run sim");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "error: {}: no such file\n\
             help: give a directory written by `sim run` (it holds summary.json, \
             timeseries.csv and report-data.json)\n",
            dir.path().join("summary.json").display()
        )
    );
}

#[test]
fn sim_report_rejects_a_malformed_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_scenario(dir.path());
    std::fs::write(out.join("timeseries.csv"), "time_s,window_s\n0,1,2\n").expect("write");
    let output = sim().arg("report").arg(&out).output().expect("run sim");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "error: {}: line 2: 3 cells, the header has 2\n",
            out.join("timeseries.csv").display()
        )
    );
}
