//! Runs cut short by --max-events, --max-wall or Ctrl-C still write their results, marked as
//! truncated, and exit with a distinct code.

use std::path::Path;
use std::process::Command;

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sim"))
}

fn summary(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary written");
    serde_json::from_str(&text).expect("valid JSON")
}

const MM1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/scenarios/mm1.yaml");

/// Runs the M/M/1 benchmark with `flags` into a fresh directory; returns its exit code and
/// the directory.
fn run_mm1(flags: &[&str]) -> (Option<i32>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = sim()
        .args(["run", MM1, "-q", "--out"])
        .arg(dir.path())
        .args(flags)
        .output()
        .expect("runs");
    if !out.stderr.is_empty() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    }
    (out.status.code(), dir)
}

#[test]
fn max_events_stops_exactly_and_marks_the_results() {
    let (code, dir) = run_mm1(&["--max-events", "100000"]);
    assert_eq!(code, Some(4));
    let s = summary(dir.path());
    assert_eq!(s["stopped_by"], "max_events");
    assert_eq!(s["truncated"], true);
    assert_eq!(s["engine"]["events"], 100_000);
    assert!(dir.path().join("report.html").exists());
}

#[test]
fn max_wall_stops_and_marks_the_results() {
    let (code, dir) = run_mm1(&["--max-wall", "200ms"]);
    assert_eq!(code, Some(4));
    assert_eq!(summary(dir.path())["stopped_by"], "max_wall");
}

#[test]
fn ctrl_c_writes_the_results_so_far() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 10^7 requests take several seconds: long enough to interrupt.
    let mut child = sim()
        .args(["run", MM1, "-q", "--out"])
        .arg(dir.path())
        .spawn()
        .expect("starts");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = child.wait().expect("exits");
    assert_eq!(status.code(), Some(130));
    let s = summary(dir.path());
    assert_eq!(s["stopped_by"], "interrupted");
    assert_eq!(s["truncated"], true);
}

#[test]
fn summaries_record_the_scenario_hash() {
    let (code, dir) = run_mm1(&["--requests", "1000"]);
    assert_eq!(code, Some(0));
    let bytes = std::fs::read(MM1).expect("scenario readable");
    assert_eq!(
        summary(dir.path())["scenario_sha256"],
        sim::scenario::sha256_hex(&bytes)
    );
}

/// An overloaded server with an unbounded queue: every second 1000 requests arrive and one
/// leaves, so the calls in flight grow without end.
const RUNAWAY: &str = "\
name: runaway
run: {duration: 3h, max_in_flight: 20000}
traffic:
  - {name: users, rate: 1000/s, to: web}
components:
  - server: {name: web, service_time: 1s}
";

#[test]
fn the_in_flight_guard_stops_a_runaway_queue() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = dir.path().join("runaway.yaml");
    std::fs::write(&scenario, RUNAWAY).expect("write scenario");
    let out_dir = dir.path().join("out");
    let out = sim()
        .args(["run", "-q", "--out"])
        .arg(&out_dir)
        .arg(&scenario)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let s = summary(&out_dir);
    assert_eq!(s["stopped_by"], "max_in_flight");
    assert_eq!(s["truncated"], true);
    // The guard trips on the first call beyond the limit, within the same instant.
    assert_eq!(s["engine"]["peak_calls_in_flight"], 20_001);
    assert!(s["duration_s"].as_f64().expect("duration") < 30.0);
}

#[test]
fn the_in_flight_guard_has_a_ceiling() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = dir.path().join("greedy.yaml");
    std::fs::write(
        &scenario,
        RUNAWAY.replace("max_in_flight: 20000", "max_in_flight: 1000000000"),
    )
    .expect("write scenario");
    let out = sim().arg("validate").arg(&scenario).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("greedy.yaml:2:36") && stderr.contains("max_in_flight"),
        "{stderr}"
    );
}

/// Every periodic activity at once: DNS and load-balancer health probes, an autoscaler's
/// evaluations, random failures, a queue with its consumer. Each reschedules itself forever,
/// so a request-count run used to spin without end (simulated time racing to 10^7 s) once the
/// last request had finished; they now stop then, and the run ends by itself.
const PERIODIC: &str = "\
name: periodic
seed: 3
run: {requests: 300}
write_types: [upload]
traffic:
  - {name: users, to: geo, rate: 50/s, timeout: 10s, mix: {page: 90, upload: 10}}
components:
  - dns: {name: geo, targets: [lb]}
  - load_balancer:
      name: lb
      algorithm: least_connections
      backends: [web]
      health: {interval: 5s, timeout: 1s, unhealthy: 3, healthy: 2}
  - server:
      name: web
      instances: 2
      workers: 4
      service_time: {exponential: 5ms}
      autoscale: {target: 60%, min: 2, max: 4, interval: 10s}
      per_type:
        upload: {calls: [uploads]}
  - queue: {name: uploads, consumer: processors}
  - server: {name: processors, workers: 10, service_time: {exponential: 2s}}
data_centers:
  - {name: dc, region: us, components: [lb, web]}
random_failures:
  - {target: web, mtbf: {exponential: 2m}, mttr: {exponential: 10s}}
";

/// Runs `yaml` (written to a temporary file) with `flags`; returns the output and the
/// output directory.
fn run_yaml(yaml: &str, flags: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = dir.path().join("scenario.yaml");
    std::fs::write(&scenario, yaml).expect("write scenario");
    let out = sim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.path().join("out"))
        .args(flags)
        .output()
        .expect("runs");
    (out, dir)
}

#[test]
fn a_request_count_run_ends_despite_periodic_events() {
    // The event limit only makes a regression fail fast instead of hanging the test.
    let (out, dir) = run_yaml(PERIODIC, &["-q", "--max-events", "10000000"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let s = summary(&dir.path().join("out"));
    assert_eq!(s["stopped_by"], "all_requests_done");
    assert_eq!(s["requests"]["total"], 300);
    assert_eq!(s["requests"]["unfinished"], 0);
    // 300 requests at 50/s take 6 s and the last upload's processing (2 s exponential, 30 of
    // them) ends within a minute; timers already pending when the last request finished still
    // fire (doing nothing): a probe or evaluation within one interval, a failure within one
    // time to failure (2 min mean per instance). Spinning on, as before, reached 10^5 s here.
    assert!(s["duration_s"].as_f64().expect("duration") < 1800.0, "{s}");
}

/// Requests that nothing will ever answer (a partition with no client timeout) while the load
/// balancer's probes go on: the stall guard stops the run with an explanation.
const STALLED: &str = "\
name: stalled
seed: 1
run: {requests: 20}
traffic:
  - {name: users, to: lb, rate: 10/s}
components:
  - load_balancer: {name: lb, backends: [web], health: {interval: 5s, timeout: 1s}}
  - server: {name: web, workers: 1, service_time: {exponential: 5ms}}
failures:
  - {at: 1s, partition: [lb, web]}
";

#[test]
fn a_stalled_request_count_run_stops_with_an_explanation() {
    let (out, dir) = run_yaml(STALLED, &["--max-events", "10000000"]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let s = summary(&dir.path().join("out"));
    assert_eq!(s["stopped_by"], "stalled");
    assert_eq!(s["truncated"], true);
    assert!(s["requests"]["unfinished"].as_u64().expect("count") > 0);
    // Stopped by the guard (24 h without progress), not by the event limit.
    assert!(s["engine"]["events"].as_u64().expect("events") < 10_000_000);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("give the traffic a timeout"), "{stdout}");
}

/// Real-time servers' clients heartbeat and poll for ever; a request-count run still ends.
const REALTIME: &str = "\
name: realtime-count
seed: 1
run: {requests: 200}
traffic:
  - {name: senders, to: chat, rate: 50/s}
components:
  - realtime:
      name: chat
      clients: 1000
      instances: 2
      transport: short_polling
      poll_interval: 5s
      heartbeat_interval: 30s
      presence_timeout: 65s
";

#[test]
fn a_request_count_run_with_real_time_clients_ends() {
    let (out, dir) = run_yaml(REALTIME, &["-q", "--max-events", "10000000"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let s = summary(&dir.path().join("out"));
    assert_eq!(s["stopped_by"], "all_requests_done");
    assert_eq!(s["requests"]["total"], 200);
    // 200 messages at 50/s take 4 s; pending client timers fire once more within a poll or
    // heartbeat interval, then stop.
    assert!(s["duration_s"].as_f64().expect("duration") < 60.0, "{s}");
}
