//! What `sim compare` shows: every figure that differs between the designs (a counter only one
//! design moves included), headline figures first, no winner from one run, and each design's
//! assertion verdicts, with exit 1 when one fails unless the design is meant to fail.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// A cache in front of a server; the `ttl` variant lets entries expire, which only it counts
/// (`cache.expirations`). 10 s of 200 req/s.
const TTL: &str = "
name: ttl
seed: 3
run: {duration: 10s, warmup: 1s}
traffic:
  - name: users
    to: web
    rate: 200/s
    keys: {count: 2000, popularity: zipf, alpha: 0.9}
components:
  - server: {name: web, workers: 16, service_time: 1ms, calls: [cache]}
  - cache: {name: cache, capacity: 1000, backing: db, hit_time: 0.2ms}
  - server: {name: db, workers: 8, service_time: {exponential: 5ms}}
assert:
  - p99 < 1s
  - cache.expirations == 0
variants:
  forever: {}
  ttl: {cache.ttl: 2s}
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the scenario");
    path
}

fn sim() -> Command {
    let mut c = Command::cargo_bin("sim").expect("the sim binary");
    c.env("NO_COLOR", "1");
    c
}

fn json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("JSON")
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    out: PathBuf,
}

fn compare(dir: &TempDir, file: &Path, extra: &[&str]) -> Ran {
    let out = dir.path().join(format!("out{}", extra.len()));
    let result = sim()
        .arg("compare")
        .arg(file)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .output()
        .expect("sim runs");
    Ran {
        code: result.status.code(),
        stdout: String::from_utf8_lossy(&result.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&result.stderr).into_owned(),
        out,
    }
}

fn metric<'a>(comparison: &'a Value, name: &str) -> Option<&'a Value> {
    comparison["metrics"]
        .as_array()
        .expect("a list of metrics")
        .iter()
        .find(|m| m["metric"] == name)
}

#[test]
fn a_counter_only_one_design_moves_is_shown_and_equal_figures_are_left_out() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(dir.path(), "ttl.yaml", TTL);
    let ran = compare(&dir, &file, &["--expect-fail", "ttl"]);
    assert_eq!(ran.code, Some(0), "{}{}", ran.stdout, ran.stderr);
    let cmp = json(&ran.out.join("comparison.json"));
    let row = metric(&cmp, "cache.expirations").expect("cache.expirations is compared");
    assert_eq!(row["designs"]["forever"]["mean"], 0.0);
    assert!(row["designs"]["ttl"]["mean"].as_f64().unwrap_or(0.0) > 0.0);
    assert_eq!(row["count"], true);
    // The line on the terminal, the count printed as a whole number.
    let line = ran
        .stdout
        .lines()
        .find(|l| l.starts_with("cache.expirations "))
        .unwrap_or_else(|| panic!("no cache.expirations row:\n{}", ran.stdout));
    assert!(!line.contains(".0 "), "{line}");
    // Figures the designs share are counted, not shown: the configured worker count.
    let equal = cmp["equal_in_every_design"]
        .as_array()
        .expect("a list of names");
    assert!(equal.iter().any(|n| n == "web.workers"), "{equal:?}");
    assert!(metric(&cmp, "web.workers").is_none());
    assert!(
        ran.stdout.contains(&format!(
            "{} figures equal in every design not shown",
            equal.len()
        )),
        "{}",
        ran.stdout
    );
    let csv = std::fs::read_to_string(ran.out.join("comparison.csv")).expect("comparison.csv");
    assert!(csv.contains("\ncache.expirations,false,ttl,"), "{csv}");
}

#[test]
fn one_replication_declares_no_winner_and_says_how_to_get_one() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(dir.path(), "ttl.yaml", TTL);
    let ran = compare(&dir, &file, &["--expect-fail", "ttl"]);
    assert_eq!(ran.code, Some(0), "{}{}", ran.stdout, ran.stderr);
    let cmp = json(&ran.out.join("comparison.json"));
    for m in cmp["metrics"].as_array().expect("a list of metrics") {
        assert_eq!(m["winner"], Value::Null, "{m}");
        if m["better"] != "neither" {
            assert_eq!(m["winner_note"], "unknown (1 run)", "{m}");
        }
    }
    assert!(ran.stdout.contains("unknown (1 run)"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("run with --replications 5"),
        "{}",
        ran.stdout
    );
    let page = std::fs::read_to_string(ran.out.join("comparison.html")).expect("the page");
    assert!(page.contains("unknown (1 run)"));
    assert!(page.contains("no winner is declared"));
}

#[test]
fn with_replications_a_winner_needs_a_significant_difference() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(dir.path(), "ttl.yaml", TTL);
    let ran = compare(
        &dir,
        &file,
        &["--expect-fail", "ttl", "--replications", "3"],
    );
    assert_eq!(ran.code, Some(0), "{}{}", ran.stdout, ran.stderr);
    let cmp = json(&ran.out.join("comparison.json"));
    for m in cmp["metrics"].as_array().expect("a list of metrics") {
        if let Some(winner) = m["winner"].as_str() {
            // The winner is significantly better than the runner-up, so it differs
            // significantly from the baseline unless it is the baseline.
            if winner != "forever" {
                assert_eq!(m["designs"][winner]["significant"], true, "{m}");
            }
        }
    }
}

#[test]
fn a_failed_assertion_fails_the_comparison_unless_the_design_is_meant_to_fail() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(dir.path(), "ttl.yaml", TTL);
    let ran = compare(&dir, &file, &[]);
    assert_eq!(ran.code, Some(1), "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr
            .contains("assertion FAILED  ttl: cache.expirations == 0:"),
        "{}",
        ran.stderr
    );
    let line = ran
        .stdout
        .lines()
        .find(|l| l.starts_with("cache.expirations == 0"))
        .unwrap_or_else(|| panic!("no assertion row:\n{}", ran.stdout));
    assert!(line.contains("ok") && line.contains("FAILED"), "{line}");

    let junit = dir.path().join("junit.xml");
    let junit_arg = junit.to_string_lossy().into_owned();
    let ran = compare(
        &dir,
        &file,
        &["--expect-fail", "ttl", "--junit", &junit_arg],
    );
    assert_eq!(ran.code, Some(0), "{}{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("FAILED (expected)"), "{}", ran.stdout);
    let xml = std::fs::read_to_string(&junit).expect("the JUnit file");
    assert!(xml.contains("<testsuite name=\"forever\""), "{xml}");
    assert!(
        xml.contains("<skipped message=\"expected to fail: "),
        "{xml}"
    );
    let rows = std::fs::read_to_string(ran.out.join("comparison-assertions.csv"))
        .expect("comparison-assertions.csv");
    assert!(
        rows.contains("\nttl,cache.expirations == 0,false,true,"),
        "{rows}"
    );

    // The scenario can say the same.
    let keyed = write(
        dir.path(),
        "keyed.yaml",
        &format!("{TTL}compare: {{expect_fail: [ttl], headline: [cache.expirations]}}\n"),
    );
    let ran = compare(&dir, &keyed, &["-q"]);
    assert_eq!(ran.code, Some(0), "{}{}", ran.stdout, ran.stderr);
    let cmp = json(&ran.out.join("comparison.json"));
    assert_eq!(cmp["metrics"][0]["metric"], "cache.expirations");
    assert_eq!(cmp["metrics"][0]["headline"], true);
    assert_eq!(cmp["designs"][1]["expected_to_fail"], true);
}

#[test]
fn an_unknown_design_or_headline_figure_is_bad_input() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(dir.path(), "ttl.yaml", TTL);
    let ran = compare(&dir, &file, &["--expect-fail", "tll"]);
    assert_eq!(ran.code, Some(2), "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr.contains(
            "error: --expect-fail tll: no design is called 'tll'\nhelp: did you mean 'ttl'?"
        ),
        "{}",
        ran.stderr
    );

    let bad = write(
        dir.path(),
        "bad.yaml",
        &format!("{TTL}compare: {{headline: [p99, cache.hit_ratoi], expect_fail: [tl]}}\n"),
    );
    let result = sim().arg("validate").arg(&bad).output().expect("sim runs");
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    let line = TTL.lines().count() + 1;
    assert!(
        stderr.contains(&format!(
            "bad.yaml:{line}:33: component 'cache' does not report 'hit_ratoi'"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean 'hit_ratio'?"), "{stderr}");
    assert!(stderr.contains("'tl' is not a variant"), "{stderr}");
    assert!(stderr.contains("did you mean 'ttl'?"), "{stderr}");
}
