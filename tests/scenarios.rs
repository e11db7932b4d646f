//! Every shipped scenario (`scenarios/`, `scenarios/case-studies/` and `benches/scenarios/`) passes `sim validate`,
//! validates against the JSON Schema that `sim schema` prints, and runs, shortened, to exit 0.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The YAML files of `scenarios/`, `scenarios/case-studies/` and `benches/scenarios/`, sorted.
fn shipped_scenarios() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["scenarios", "scenarios/case-studies", "benches/scenarios"] {
        let entries = std::fs::read_dir(root.join(dir)).expect("read the scenario folder");
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 6,
        "expected the shipped scenarios, found {files:?}"
    );
    files
}

fn sim() -> Command {
    let mut command = Command::cargo_bin("sim").expect("the sim binary");
    command.env("NO_COLOR", "1");
    command
}

/// The scenario file as JSON, the way an editor's schema check would see it.
fn scenario_as_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read scenario");
    serde_saphyr::from_str::<Value>(&text)
        .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

fn schema() -> Value {
    let out = sim().arg("schema").output().expect("run sim schema");
    assert_eq!(out.status.code(), Some(0));
    serde_json::from_slice(&out.stdout).expect("sim schema prints JSON")
}

#[test]
fn every_scenario_passes_validate() {
    let files = shipped_scenarios();
    let out = sim()
        .arg("validate")
        .args(&files)
        .output()
        .expect("run sim");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.lines().count(), files.len(), "{stdout}");
    assert!(stdout.lines().all(|l| l.contains(": ok (")), "{stdout}");
}

#[test]
fn every_scenario_matches_the_json_schema() {
    let validator = jsonschema::validator_for(&schema()).expect("the schema compiles");
    for path in shipped_scenarios() {
        let instance = scenario_as_json(&path);
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{}: {e}", e.instance_path))
            .collect();
        assert!(
            errors.is_empty(),
            "{} does not match the schema:\n{}",
            path.display(),
            errors.join("\n")
        );
    }
}

#[test]
fn the_schema_rejects_what_validate_rejects_structurally() {
    // Guards against a schema so loose that the test above would pass on anything.
    let validator = jsonschema::validator_for(&schema()).expect("the schema compiles");
    let mut scenario = scenario_as_json(&shipped_scenarios()[0]);
    scenario["wrokers"] = Value::from(4);
    assert!(!validator.is_valid(&scenario), "an unknown top-level key");
    let mut scenario = scenario_as_json(&shipped_scenarios()[0]);
    scenario
        .as_object_mut()
        .expect("an object")
        .remove("components");
    assert!(!validator.is_valid(&scenario), "no components");
}

#[test]
fn the_schema_is_json_and_names_every_top_level_key() {
    let schema = schema();
    let properties = schema["properties"]
        .as_object()
        .expect("the schema has top-level properties");
    for key in [
        "name",
        "description",
        "seed",
        "run",
        "traffic",
        "components",
        "network",
    ] {
        assert!(properties.contains_key(key), "schema lacks '{key}'");
    }
    // And every key a shipped scenario uses.
    for path in shipped_scenarios() {
        for key in scenario_as_json(&path)
            .as_object()
            .expect("a mapping")
            .keys()
        {
            assert!(
                properties.contains_key(key),
                "schema lacks '{key}' used by {}",
                path.display()
            );
        }
    }
    let required: Vec<&str> = schema["required"]
        .as_array()
        .expect("required keys")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(required.contains(&"traffic") && required.contains(&"components"));
}

#[test]
fn every_scenario_runs_shortened() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for path in shipped_scenarios() {
        let has_duration = scenario_as_json(&path)["run"]["duration"].is_string();
        let stem = path.file_stem().expect("a file name").to_string_lossy();
        let out_dir = dir.path().join(&*stem);
        let mut command = sim();
        command.arg("run").arg(&path).arg("--out").arg(&out_dir);
        // Scenarios with a duration run 20 s; the request-count benchmarks run 20 000 requests.
        if has_duration {
            command.args(["--duration", "20s"]);
        } else {
            command.args(["--requests", "20000"]);
        }
        let out = command.output().expect("run sim");
        // A cut-short run may fail the scenario's assertions (exit 1): they are judged on the
        // full runs, in tests/course.rs for the course steps.
        let has_assertions = !scenario_as_json(&path)["assert"].is_null();
        let accepted: &[i32] = if has_assertions { &[0, 1] } else { &[0] };
        assert!(
            out.status.code().is_some_and(|c| accepted.contains(&c)),
            "{} failed ({:?}):\n{}",
            path.display(),
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: Value = serde_json::from_slice(
            &std::fs::read(out_dir.join("summary.json")).expect("summary.json"),
        )
        .expect("summary.json is JSON");
        let total = summary["requests"]["total"]
            .as_u64()
            .expect("requests.total");
        assert!(total > 0, "{} measured no requests", path.display());
        if !has_duration {
            assert_eq!(
                summary["engine"]["requests_started"],
                20_000,
                "{}",
                path.display()
            );
        }
        assert!(out_dir.join("timeseries.csv").is_file());
    }
}
