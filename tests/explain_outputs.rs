//! What `sim explain` says of every shipped scenario, byte for byte: the SHA-256 of its text
//! for each file under `scenarios/` (and `tests/fixtures/explain.yaml`), recorded in
//! `tests/golden/explain.sha256` and checked here, so a change to how explain reads the
//! scenario (a restructuring, a renamed field) cannot silently change or drop a sentence.
//! `tests/course.rs` shows the whole text of one fixture.
//!
//! When a change is *meant* to alter the text, record the new checksums with
//! `SIM_BLESS=1 cargo test --release --test explain_outputs` and say in the commit which
//! scenarios' text changed and why. Under `CI=true` the file is only read.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn golden_file() -> PathBuf {
    root().join("tests/golden/explain.sha256")
}

/// The `.yaml` files under `dir` (relative to the crate root), at any depth.
fn yaml_files(dir: &str, into: &mut Vec<String>) {
    for entry in std::fs::read_dir(root().join(dir)).expect("a scenario folder") {
        let entry = entry.expect("an entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = format!("{dir}/{name}");
        if entry.path().is_dir() {
            yaml_files(&path, into);
        } else if name.ends_with(".yaml") {
            into.push(path);
        }
    }
}

/// Every shipped scenario and the explain fixture, sorted, relative to the crate root.
fn explained_files() -> Vec<String> {
    let mut files = vec!["tests/fixtures/explain.yaml".to_string()];
    yaml_files("scenarios", &mut files);
    files.sort();
    files
}

/// SHA-256 of `sim explain FILE`'s output, by file.
fn current() -> BTreeMap<String, String> {
    explained_files()
        .into_iter()
        .map(|file| {
            let output = common::sim()
                .current_dir(root())
                .env("NO_COLOR", "1")
                .args(["explain", &file])
                .output()
                .expect("run sim");
            assert!(
                output.status.success(),
                "sim explain {file} exited with {:?}\n{}",
                output.status.code(),
                String::from_utf8_lossy(&output.stderr)
            );
            let hex: String = Sha256::digest(&output.stdout)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            (file, hex)
        })
        .collect()
}

#[test]
fn what_explain_says_of_every_shipped_scenario_is_unchanged() {
    let current = current();
    if std::env::var_os("SIM_BLESS").is_some() && std::env::var_os("CI").is_none() {
        let text: String = current
            .iter()
            .map(|(file, sum)| format!("{sum}  {file}\n"))
            .collect();
        std::fs::write(golden_file(), text).expect("write the explain checksums");
        return;
    }
    let golden: BTreeMap<String, String> = std::fs::read_to_string(golden_file())
        .expect("tests/golden/explain.sha256 (record it with SIM_BLESS=1)")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (sum, file) = l.split_once("  ").expect("'<sha256>  <file>' lines");
            (file.to_string(), sum.to_string())
        })
        .collect();
    let mut problems = Vec::new();
    for (file, sum) in &golden {
        match current.get(file) {
            None => problems.push(format!("missing: {file}")),
            Some(s) if s != sum => problems.push(format!("changed: {file}")),
            Some(_) => {}
        }
    }
    for file in current.keys().filter(|f| !golden.contains_key(*f)) {
        problems.push(format!("new: {file}"));
    }
    assert!(
        problems.is_empty(),
        "{} explanations differ from tests/golden/explain.sha256 (see them with `sim explain \
         FILE`; if the change is meant, record them with SIM_BLESS=1 and say why in the \
         commit):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
