//! Assertions for CI: `sim run` and `sim check` exit 1 when an assertion fails and write the
//! verdicts to summary.json and JUnit XML; they exit 0 when every assertion holds.

use std::path::Path;

use assert_cmd::Command;
use tempfile::TempDir;

/// A lightly loaded single server (utilization about 0.5): p99 is far below 250 ms and nothing
/// fails, so the first three assertions hold; `web.utilization < 0.3` fails.
fn scenario(assertions: &str) -> String {
    format!(
        "
name: assert-test
run: {{duration: 20s, warmup: 2s}}
traffic:
  - {{name: users, to: web, rate: 100/s, mix: {{read: 9, write: 1}}}}
components:
  - server: {{name: web, workers: 2, service_time: {{exponential: 10ms}}}}
assert:
{assertions}"
    )
}

const HOLDING: &str = "  - p99 < 250ms\n  - availability >= 99.9%\n  - lost.writes == 0\n";
const FAILING: &str = "  - p99 < 250ms\n  - web.utilization < 0.3\n";

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the scenario");
    path
}

fn sim() -> Command {
    Command::cargo_bin("sim").expect("the sim binary")
}

#[test]
fn a_violated_assertion_exits_1_with_a_junit_failure() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(dir.path(), "failing.yaml", &scenario(FAILING));
    let junit = dir.path().join("junit.xml");
    let out = sim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--junit")
        .arg(&junit)
        .output()
        .expect("sim runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("assertion FAILED")
            && stderr.contains("web.utilization < 0.3: ")
            && stderr.contains("over the limit 30%"),
        "{stderr}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit.xml written");
    assert!(
        xml.contains("tests=\"2\" skipped=\"0\" failures=\"1\" errors=\"0\""),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase name=\"web.utilization &lt; 0.3\""),
        "{xml}"
    );
    assert!(xml.contains("<failure message=\""), "{xml}");
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/summary.json")).expect("summary.json"),
    )
    .expect("JSON");
    assert_eq!(summary["assertions"][0]["passed"], true);
    assert_eq!(summary["assertions"][1]["passed"], false);
    assert_eq!(summary["assertions"][1]["limit"], 0.3);
}

#[test]
fn holding_assertions_exit_0() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(dir.path(), "holding.yaml", &scenario(HOLDING));
    let junit = dir.path().join("junit.xml");
    let out = sim()
        .arg("run")
        .arg(&file)
        .arg("--quiet")
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--junit")
        .arg(&junit)
        .output()
        .expect("sim runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = std::fs::read_to_string(&junit).expect("junit.xml written");
    assert!(
        xml.contains("tests=\"3\" skipped=\"0\" failures=\"0\" errors=\"0\""),
        "{xml}"
    );
}

#[test]
fn check_runs_many_scenarios_in_argument_order() {
    let dir = TempDir::new().expect("a temporary directory");
    let good = write(dir.path(), "b-good.yaml", &scenario(HOLDING));
    let bad = write(dir.path(), "a-bad.yaml", &scenario(FAILING));
    let broken = write(dir.path(), "c-broken.yaml", &scenario("  - p99 < 250\n"));
    let junit = dir.path().join("ci/junit.xml");
    let out = sim()
        .arg("check")
        .arg(&good)
        .arg(&bad)
        .arg("--junit")
        .arg(&junit)
        .output()
        .expect("sim runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let first = stdout.find("b-good.yaml: ok (3 assertions)");
    let second = stdout.find("a-bad.yaml: FAILED (1 of 2)");
    assert!(
        first.is_some() && second.is_some() && first < second,
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit.xml written");
    assert!(
        xml.contains("tests=\"5\" skipped=\"0\" failures=\"1\" errors=\"0\""),
        "{xml}"
    );

    // All holding: 0. A scenario that does not check: 2, and an <error> case.
    let out = sim().arg("check").arg(&good).output().expect("sim runs");
    assert_eq!(out.status.code(), Some(0));
    let out = sim()
        .arg("check")
        .arg(&good)
        .arg(&broken)
        .arg("--junit")
        .arg(&junit)
        .output()
        .expect("sim runs");
    assert_eq!(out.status.code(), Some(2));
    let xml = std::fs::read_to_string(&junit).expect("junit.xml written");
    assert!(
        xml.contains("<error message=\"the scenario could not be run\">"),
        "{xml}"
    );
}

#[test]
fn bad_assertions_are_located_with_did_you_mean() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(
        dir.path(),
        "typo.yaml",
        &scenario("  - web.utilisation < 0.8\n  - p99 < 250\n"),
    );
    let out = sim().arg("validate").arg(&file).output().expect("sim runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown = file.display();
    assert!(
        stderr.contains(&format!(
            "error: {shown}:9:9: component 'web' does not report 'utilisation'"
        )) && stderr.contains("= help: did you mean 'utilization'?"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "error: {shown}:10:11: 'p99' is a latency: its limit needs a unit"
        )),
        "{stderr}"
    );
}

#[test]
fn confidence_bounds_need_replications() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(
        dir.path(),
        "ci.yaml",
        &scenario("  - {that: p99 < 250ms, confidence: 95%}\n"),
    );
    let out = sim()
        .arg("run")
        .arg(&file)
        .arg("--quiet")
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .expect("sim runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("needs at least 2 replications"), "{stderr}");
    let out = sim()
        .arg("run")
        .arg(&file)
        .arg("--quiet")
        .arg("--replications")
        .arg("3")
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .expect("sim runs");
    assert_eq!(out.status.code(), Some(0));
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/summary.json")).expect("summary.json"),
    )
    .expect("JSON");
    assert_eq!(
        summary["assertions"][0]["judged_on"],
        "upper 95% bound over 3 replications"
    );
    assert_eq!(summary["replications"]["count"], 3);
    assert_eq!(
        summary["replications"]["seeds"],
        serde_json::json!([1, 2, 3])
    );
}

/// A component's own figures are known before the run from its kind's declared figures: a
/// name the kind does not report is refused when the scenario is checked, with the closest
/// name, not discovered after a whole run.
#[test]
fn a_figure_the_kind_does_not_report_is_refused_before_the_run() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(
        dir.path(),
        "cache.yaml",
        "name: t
run: {duration: 10s}
traffic:
  - {name: users, to: cache, rate: 10/s, keys: {count: 100}}
components:
  - cache: {name: cache, backing: db, ttl: 60s}
  - server: {name: db, service_time: 1ms}
assert:
  - cache.hit_rate > 0.5
",
    );
    let out = sim().arg("validate").arg(&file).output().expect("sim runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown = file.display();
    assert!(
        stderr.contains(&format!(
            "error: {shown}:9:11: component 'cache' does not report 'hit_rate'"
        )) && stderr.contains("did you mean 'hit_ratio'?"),
        "{stderr}"
    );
}

/// A scenario with a crash from 10 s to 15 s of a single server: nothing else fails.
fn crashing(assertions: &str) -> String {
    format!(
        "
name: span-test
run: {{duration: 30s}}
traffic:
  - {{name: users, to: web, rate: 200/s}}
components:
  - server: {{name: web, workers: 4, service_time: {{exponential: 5ms}}}}
failures:
  - {{at: 10s, crash: web, for: 5s}}
assert:
{assertions}"
    )
}

/// `during: [from, to]` judges a metric over a span of the run, from its time windows: the
/// availability while the only server is down is 0, and 100% before and after, while the
/// whole run's is in between; the verdicts name the span and the assertion's id.
#[test]
fn an_assertion_can_be_judged_during_a_span_of_the_run() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(
        dir.path(),
        "span.yaml",
        &crashing(
            "  - {that: availability < 1%, during: [10s, 15s], id: down}\n  \
             - {that: availability == 100%, during: [0s, 10s], id: before}\n  \
             - {that: availability == 100%, during: [16s, 30s], id: after}\n  \
             - {that: failed > 900, during: [10s, 15s]}\n  \
             - {that: web.requests > 900, during: [10s, 15s]}\n  \
             - {that: web.utilization < 1%, during: [11s, 14s], id: idle-while-down}\n  \
             - {that: availability < 90%, id: whole-run}\n  \
             - {that: availability > 1%, during: [10s, 15s], id: meant-to-fail}\n",
        ),
    );
    let out = sim()
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.path().join("out"))
        .env("NO_COLOR", "1")
        .output()
        .expect("sim runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    for line in [
        "assertion ok      down: availability < 1% during [10s, 15s]: 0%, 1 points (100%) within the limit 1%",
        "assertion ok      before: availability == 100% during [0s, 10s]: 100%",
        "assertion ok      after: availability == 100% during [16s, 30s]: 100%",
        "assertion ok      idle-while-down: web.utilization < 1% during [11s, 14s]: 0%",
    ] {
        assert!(stdout.contains(line), "{line}\n{stdout}");
    }
    assert!(
        stdout.contains("assertion ok      failed > 900 during [10s, 15s]: "),
        "{stdout}"
    );
    assert!(
        stdout.contains("assertion ok      whole-run: availability < 90%: "),
        "{stdout}"
    );
    assert!(
        stderr.contains("assertion FAILED  ")
            && stderr.contains(": meant-to-fail: availability > 1% during [10s, 15s]: 0% is 1 points (100%) under the limit 1%"),
        "{stderr}"
    );
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/summary.json")).expect("summary.json"),
    )
    .expect("JSON");
    assert_eq!(summary["assertions"][0]["id"], "down");
    assert_eq!(summary["assertions"][3].get("id"), None);
    assert_eq!(summary["spans"][0]["metric"], "availability");
    assert_eq!(summary["spans"][0]["from_s"], 10.0);
    assert_eq!(summary["spans"][0]["measured_to_s"], 15.0);
    assert_eq!(summary["spans"][0]["value"], 0.0);
}

/// What cannot be judged over a span is refused before the run, each error at its place: a
/// figure not kept per time window, a span past the run's end or backwards, a list of the
/// wrong length, and an id given twice.
#[test]
fn spans_and_ids_are_checked_before_the_run() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(
        dir.path(),
        "bad.yaml",
        &crashing(
            "  - {that: lost.total == 0, during: [0s, 10s]}\n  \
             - {that: availability > 99%, during: [20s, 40s]}\n  \
             - {that: availability > 99%, during: [20s, 10s]}\n  \
             - {that: availability > 99%, during: [20s]}\n  \
             - {that: web.p99 < 1s, during: [0s, 10s], id: dip}\n  \
             - {that: p99 < 1s, id: dip}\n  \
             - {that: p99 < 1s, id: 'no good'}\n",
        ),
    );
    let out = sim().arg("validate").arg(&file).output().expect("sim runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown = file.display();
    for expected in [
        format!("error: {shown}:11:12: 'lost.total == 0' cannot be judged during a span of time"),
        "= help: 'lost.total' is counted over the whole run only; over a span, the run's"
            .to_string(),
        format!("error: {shown}:12:46: the span ends at 40s, after the run's end at 30s"),
        "= help: the run lasts 30s (run.duration): end the span by then".to_string(),
        format!("error: {shown}:13:46: the span ends at 10s, not after its start 20s"),
        format!("error: {shown}:14:40: during needs two times, a start and an end; 1 given"),
        format!("error: {shown}:15:12: 'web.p99 < 1s' cannot be judged during a span of time"),
        "= help: a component's latency is kept for the whole run only".to_string(),
        format!("error: {shown}:16:26: assertion id 'dip' is used twice"),
        "= help: it is first given at line 15, column 49".to_string(),
        format!("error: {shown}:17:26: 'no good' is not a valid assertion id"),
    ] {
        assert!(stderr.contains(&expected), "{expected}\n---\n{stderr}");
    }
}

/// `--quiet` prints nothing when every assertion passes, and only the failures (on stderr)
/// when one fails: a CI log shows what broke and nothing else.
#[test]
fn a_quiet_run_prints_only_failed_assertions() {
    let dir = TempDir::new().expect("a temporary directory");
    let run = |name: &str, assertions: &str| {
        let file = write(dir.path(), name, &crashing(assertions));
        sim()
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(dir.path().join(name.replace(".yaml", "")))
            .arg("--quiet")
            .env("NO_COLOR", "1")
            .output()
            .expect("sim runs")
    };
    let passing = run("pass.yaml", "  - availability < 90%\n");
    assert_eq!(passing.status.code(), Some(0));
    assert!(passing.stdout.is_empty(), "{passing:?}");
    assert!(passing.stderr.is_empty(), "{passing:?}");
    let failing = run(
        "fail.yaml",
        "  - availability < 90%\n  - availability > 90%\n",
    );
    assert_eq!(failing.status.code(), Some(1));
    assert!(failing.stdout.is_empty(), "{failing:?}");
    let stderr = String::from_utf8_lossy(&failing.stderr);
    assert!(
        stderr.contains("assertion FAILED") && stderr.contains("availability > 90%"),
        "{stderr}"
    );
    assert!(!stderr.contains("availability < 90%"), "{stderr}");
}
