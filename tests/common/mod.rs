//! Helpers shared by the integration tests: running a scenario in-process ([`run_yaml`],
//! [`run_file`], [`component`]) and, for the report tests, a small scenario and the real `sim`
//! binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sim::model::ComponentReport;
use sim::results::RunResult;

/// Loads a scenario given as YAML text (named `test.yaml`) and runs it.
pub fn run_yaml(yaml: &str) -> RunResult {
    let plan = sim::scenario::load_str(yaml, "test.yaml", "test")
        .unwrap_or_else(|e| panic!("scenario does not load:\n{}", e.render()));
    sim::run::run(plan, None).expect("run")
}

/// Loads a scenario file, `path` being relative to the crate root.
pub fn load_file(path: &str) -> sim::scenario::Plan {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    sim::scenario::load(&path)
        .unwrap_or_else(|e| panic!("{} does not load:\n{}", path.display(), e.render()))
}

/// Loads a scenario file, `path` being relative to the crate root, and runs it.
pub fn run_file(path: &str) -> RunResult {
    sim::run::run(load_file(path), None).expect("run")
}

/// A number in a component's own figures, found by following the object keys of `path`.
pub fn figure(report: &ComponentReport, path: &[&str]) -> f64 {
    let Some((first, rest)) = path.split_first() else {
        panic!("empty path");
    };
    let figures = report.figures_json();
    let mut v = figures
        .get(*first)
        .unwrap_or_else(|| panic!("no figure {first}"));
    for p in rest {
        v = &v[*p];
    }
    v.as_f64()
        .unwrap_or_else(|| panic!("{path:?} is not a number: {v}"))
}

/// The report of the component called `name`.
pub fn component<'a>(result: &'a RunResult, name: &str) -> &'a ComponentReport {
    result
        .components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no component {name}"))
}

/// A short scenario with every component kind, queueing, rejections and a warm-up, so that
/// every chart has something to show. It runs in well under a second.
pub const SCENARIO: &str = r#"
name: report-test
description: "Report test: <a load balancer> & two pools"
seed: 7
run:
  duration: 40s
  warmup: 5s
traffic:
  - name: users
    to: lb
    rate:
      ramp: {from: 100/s, to: 700/s, end: 40s}
    mix: {read: 9, write: 1}
    timeout: 2s
components:
  - load_balancer:
      name: lb
      algorithm: least_connections
      backends: [web]
  - server:
      name: web
      instances: 3
      workers: 8
      queue: 40
      service_time: {exponential: 10ms}
      calls: [db]
  - server:
      name: db
      workers: 8
      queue: 30
      service_time: {lognormal: {median: 8ms, p99: 40ms}}
network:
  links:
    - between: [users, lb]
      latency: {uniform: {min: 10ms, max: 30ms}}
    - between: [web, db]
      latency: 1ms
"#;

pub fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sim"))
}

/// Writes [`SCENARIO`] into `dir` and runs it with `--out dir/out`; returns the output
/// directory.
pub fn run_scenario(dir: &Path) -> PathBuf {
    let scenario = dir.join("scenario.yaml");
    std::fs::write(&scenario, SCENARIO).expect("write the scenario");
    let out = dir.join("out");
    let output = sim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .expect("run sim");
    assert_success(&output);
    out
}

pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "sim failed with {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every `<svg ...>` start tag of a document, as (id, width, height).
pub fn svg_tags(text: &str) -> Vec<(String, f64, f64)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("<svg ") {
        let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e);
        let tag = &rest[at..tag_end];
        let number = |name: &str| attribute(tag, name).and_then(|v| v.parse::<f64>().ok());
        out.push((
            attribute(tag, "id").unwrap_or_default(),
            number("width").unwrap_or(0.0),
            number("height").unwrap_or(0.0),
        ));
        rest = &rest[tag_end..];
    }
    out
}

/// The value of `name="..."` in a start tag.
pub fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_string())
}

/// The text content of every `<text>` element, trimmed, in document order.
pub fn texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(at) = rest.find("<text") {
        let Some(open_end) = rest[at..].find('>').map(|e| at + e + 1) else {
            break;
        };
        let Some(close) = rest[open_end..].find("</text>").map(|e| open_end + e) else {
            break;
        };
        out.push(rest[open_end..close].trim().to_string());
        rest = &rest[close..];
    }
    out
}

/// `valid` with `from` (which must occur once) replaced by `to`, checked by `sim validate`
/// in a temporary directory (as `scenario.yaml`): the first line of the refusal and its help
/// lines. Panics unless the refusal has exit code 2.
pub fn refusal_of_edit(valid: &str, from: &str, to: &str) -> (String, Vec<String>) {
    assert_eq!(valid.matches(from).count(), 1, "{from}");
    let yaml = valid.replace(from, to);
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("scenario.yaml"), yaml).expect("write");
    let out = sim()
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["validate", "scenario.yaml"])
        .output()
        .expect("run sim");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let first = stderr.lines().next().unwrap_or("").to_string();
    let helps = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("  = help: "))
        .map(str::to_string)
        .collect();
    (first, helps)
}

/// A path with everything that moves time around, as scenario text to append to a header: two
/// request types, links with random latency, a queueing pool behind a balancer, a database
/// behind it, a client timeout with retries and backoff. A macro, so that a test can build a
/// `const` with `concat!`.
#[macro_export]
macro_rules! retrying_two_tier_path {
    () => {
        "traffic:
  - name: users
    to: lb
    rate: 180/s
    mix: {read: 0.8, write: 0.2}
    timeout: 60ms
    retry: {attempts: 3, backoff: 5ms}
components:
  - load_balancer: {name: lb, backends: [web], algorithm: least_connections}
  - server:
      name: web
      instances: 2
      workers: 2
      service_time: {exponential: 8ms}
      calls: [db]
  - server: {name: db, workers: 4, service_time: {lognormal: {median: 3ms, p99: 30ms}}}
network:
  links:
    - {between: [users, lb], latency: {uniform: {min: 5ms, max: 15ms}}}
    - {between: [web, db], latency: 1ms}
"
    };
}
