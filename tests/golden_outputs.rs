//! Every output of every shipped scenario, byte for byte: the SHA-256 of each file that `sim
//! run` (and a comparison, a sweep, replications and a capacity search) writes, recorded in
//! `tests/golden/outputs.sha256` before a change that must not alter them (a restructuring, an
//! optimisation), and checked here after it.
//!
//! When a change is *meant* to alter outputs (a model fix, a new figure), record the new ones
//! with `SIM_BLESS=1 cargo test --release --test golden_outputs` and say in the commit which
//! outputs changed and why. Under `CI=true` the file is only read.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Files that describe an output folder rather than the run (their checksums are the other
/// files'): left out of the comparison.
const NOT_COMPARED: &[&str] = &["sim-manifest.json"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn golden_file() -> PathBuf {
    root().join("tests/golden/outputs.sha256")
}

/// The shipped scenario files, sorted, relative to the crate root.
fn shipped_scenarios() -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["scenarios", "scenarios/case-studies"] {
        for entry in std::fs::read_dir(root().join(dir)).expect("a scenario folder") {
            let name = entry.expect("an entry").file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".yaml") {
                files.push(format!("{dir}/{name}"));
            }
        }
    }
    files.sort();
    files
}

/// One command whose outputs are recorded: its label (the folder under which its files are
/// listed) and its arguments; `{out}` stands for its output folder.
fn commands() -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = shipped_scenarios()
        .into_iter()
        .map(|file| {
            let stem = Path::new(&file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                format!("run/{stem}"),
                vec!["run".into(), file, "--quiet".into()],
            )
        })
        .collect();
    let more: [(&str, &[&str]); 4] = [
        (
            "compare/url-shortener",
            &[
                "compare",
                "scenarios/case-studies/url-shortener.yaml",
                "--quiet",
            ],
        ),
        (
            "sweep/01-single-server",
            &[
                "sweep",
                "scenarios/01-single-server.yaml",
                "--param",
                "traffic.rate=100/s..400/s:3",
                "--duration",
                "60s",
                "--quiet",
            ],
        ),
        (
            "replications/05-cache",
            &[
                "run",
                "scenarios/05-cache.yaml",
                "--replications",
                "3",
                "--duration",
                "60s",
                "--quiet",
            ],
        ),
        (
            "capacity/capacity-check",
            &[
                "capacity",
                "scenarios/capacity-check.yaml",
                "--duration",
                "30s",
                "--replications",
                "2",
                "--quiet",
            ],
        ),
    ];
    for (label, args) in more {
        out.push((label.into(), args.iter().map(|a| a.to_string()).collect()));
    }
    out
}

/// `path` relative to `base`, with '/' separators.
fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .expect("under the base folder")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// SHA-256 of every file under `dir`, by relative path.
fn checksums(dir: &Path, base: &Path, into: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).expect("an output folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            checksums(&path, base, into);
        } else {
            let name = relative(&path, base);
            if NOT_COMPARED.iter().any(|n| name.ends_with(n)) {
                continue;
            }
            let bytes = std::fs::read(&path).expect("an output file");
            let digest = Sha256::digest(&bytes);
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            into.insert(name, hex);
        }
    }
}

/// Runs every command (two at a time) and returns the checksums of their outputs, each file
/// listed as `<label>/<path in its output folder>`.
fn current_outputs() -> BTreeMap<String, String> {
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let commands = commands();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let found = std::sync::Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((label, args)) = commands.get(i) else {
                    break;
                };
                let out = scratch.path().join(format!("{i}"));
                let output = common::sim()
                    .current_dir(root())
                    .env("NO_COLOR", "1")
                    .args(args)
                    .arg("--out")
                    .arg(&out)
                    .output()
                    .expect("run sim");
                assert!(
                    matches!(output.status.code(), Some(0 | 1)),
                    "{label}: sim exited with {:?}\n{}",
                    output.status.code(),
                    String::from_utf8_lossy(&output.stderr)
                );
                let mut sums = BTreeMap::new();
                checksums(&out, &out, &mut sums);
                let mut found = found.lock().expect("no thread panicked");
                for (name, sum) in sums {
                    found.insert(format!("{label}/{name}"), sum);
                }
            });
        }
    });
    found.into_inner().expect("no thread panicked")
}

fn parse_golden(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (sum, name) = l.split_once("  ").expect("'<sha256>  <file>' lines");
            (name.to_string(), sum.to_string())
        })
        .collect()
}

#[test]
fn every_output_of_the_shipped_scenarios_is_unchanged() {
    let current = current_outputs();
    let bless = std::env::var_os("SIM_BLESS").is_some() && std::env::var_os("CI").is_none();
    if bless {
        let text: String = current
            .iter()
            .map(|(name, sum)| format!("{sum}  {name}\n"))
            .collect();
        std::fs::create_dir_all(root().join("tests/golden")).expect("tests/golden");
        std::fs::write(golden_file(), text).expect("write the golden checksums");
        return;
    }
    let golden = parse_golden(
        &std::fs::read_to_string(golden_file())
            .expect("tests/golden/outputs.sha256 (record it with SIM_BLESS=1)"),
    );
    let mut problems = Vec::new();
    for (name, sum) in &golden {
        match current.get(name) {
            None => problems.push(format!("missing: {name}")),
            Some(s) if s != sum => problems.push(format!("changed: {name}")),
            Some(_) => {}
        }
    }
    for name in current.keys().filter(|n| !golden.contains_key(*n)) {
        problems.push(format!("new: {name}"));
    }
    assert!(
        problems.is_empty(),
        "{} output files differ from tests/golden/outputs.sha256 (if the change is meant, \
         record them with SIM_BLESS=1 and say why in the commit):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
