//! `sim estimate`: every figure of the back-of-the-envelope table against a hand computation,
//! the comparison with a run, and errors in the `estimate` section.

mod common;

use assert_cmd::Command;
use sim::estimate::estimate;

/// 100/s, with a 2x spike for 5 s from 10 s; 3 reads per write; a `day` of 100 s so that the
/// daily figures are easy to check by hand.
const SCENARIO: &str = "
seed: 5
run: {duration: 20s}
traffic:
  - name: users
    to: lb
    rate: 100/s
    spikes: [{at: 10s, duration: 5s, multiplier: 2x}]
    mix: {read: 3, write: 1}
components:
  - load_balancer: {name: lb, backends: [web]}
  - server:
      name: web
      instances: 2
      workers: 4
      service_time: 10ms
      calls: [db]
      per_type:
        write: {service_time: 20ms}
  - database:
      name: db
      replicas: 1
      connections: 2
      read_time: 5ms
      write_time: 8ms
estimate:
  bytes_per_write: 2KB
  response_bytes: 1000B
  request_bytes: 100B
  years: 2
  hot_fraction: 10%
  target_utilisation: 50%
  day: 100s
";

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn every_figure_matches_the_hand_computation() {
    let plan = sim::scenario::load_str(SCENARIO, "test.yaml", "test")
        .unwrap_or_else(|e| panic!("{}", e.render()));
    let e = estimate(&plan);
    let check = |what: &str, got: f64, want: f64| {
        assert!(close(got, want), "{what}: got {got}, want {want}");
    };
    // Day of 100 s: 95 s at 100/s + 5 s at 200/s = 10,500 requests: 105/s.
    check("requests/s over a day", e.requests_per_s, 105.0);
    // Run of 20 s: 15 s at 100/s + 5 s at 200/s = 2,500 requests: 125/s.
    check("requests/s over the run", e.requests_per_s_run, 125.0);
    check("peak", e.peak_requests_per_s, 200.0);
    // 3 reads per write: 105 x 3/4 = 78.75 reads/s, 105 x 1/4 = 26.25 writes/s.
    check("reads/s", e.reads_per_s, 78.75);
    check("writes/s", e.writes_per_s, 26.25);
    check("write share", e.write_share, 0.25);
    // Per day of 100 s: 7,875 reads and 2,625 writes.
    check("reads per day", e.reads_per_day, 7875.0);
    check("writes per day", e.writes_per_day, 2625.0);
    // 2,625 writes x 2,000 B = 5,250,000 B a day; x 365 x 2 years = 3,832,500,000 B.
    check("storage per day", e.storage_per_day_bytes, 5_250_000.0);
    check("storage after 2 years", e.storage_bytes, 3_832_500_000.0);
    // In: 26.25 writes/s x 2,000 B + 105 req/s x 100 B = 52,500 + 10,500 = 63,000 B/s.
    check("bandwidth in", e.bandwidth_in_bytes_per_s, 63_000.0);
    // Out: 78.75 reads/s x 1,000 B = 78,750 B/s.
    check("bandwidth out", e.bandwidth_out_bytes_per_s, 78_750.0);
    // Hot set: 10% x 7,875 reads x 1,000 B = 787,500 B.
    check("cache hot set", e.cache_hot_set_bytes, 787_500.0);

    assert_eq!(e.pools.len(), 2);
    let web = &e.pools[0];
    assert_eq!(
        (web.name.as_str(), web.workers, web.instances),
        ("web", 4, 2)
    );
    check("web arrivals", web.arrivals_per_s, 125.0);
    check("web peak arrivals", web.peak_arrivals_per_s, 200.0);
    // Mean service: 3/4 x 10 ms + 1/4 x 20 ms = 12.5 ms. Busy workers at the run's rate:
    // 125 x 0.0125 = 1.5625, over 2 x 4 workers = 19.53125%.
    check("web service", web.mean_service_ms, 12.5);
    check("web utilisation", web.utilisation, 0.195_312_5);
    // At the peak: 200 x 0.0125 = 2.5 busy workers; at 50% of 4 workers per instance:
    // ceil(2.5 / 2) = 2 instances.
    assert_eq!(web.instances_needed, 2);

    let db = &e.pools[1];
    assert_eq!((db.name.as_str(), db.workers, db.instances), ("db", 2, 2));
    check("db arrivals", db.arrivals_per_s, 125.0);
    // 3/4 x 5 ms + 1/4 x 8 ms = 5.75 ms; 125 x 0.00575 = 0.71875 busy connections over
    // 2 nodes x 2 connections = 17.96875%.
    check("db service", db.mean_service_ms, 5.75);
    check("db utilisation", db.utilisation, 0.179_687_5);
    // Peak reads: 150/s x 5 ms = 0.75 busy connections -> ceil(0.75 / (2 x 50%)) = 1 replica,
    // plus the master: 2 nodes. The master's writes: 50/s x 8 ms = 0.4 of 2 connections = 20%.
    assert_eq!(db.instances_needed, 2);
    check(
        "master utilisation",
        db.master_peak_utilisation.unwrap_or(f64::NAN),
        0.2,
    );
}

fn sim_estimate(yaml: &str, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("scenario.yaml"), yaml).expect("write");
    Command::cargo_bin("sim")
        .expect("the sim binary")
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .arg("estimate")
        .arg("scenario.yaml")
        .args(args)
        .output()
        .expect("run sim")
}

#[test]
fn the_json_output_puts_the_estimate_beside_the_run() {
    let out = sim_estimate(SCENARIO, &["--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["estimate"]["storage_per_day_bytes"], 5_250_000.0);
    let rows = v["simulation"].as_array().expect("rows");
    let row = |figure: &str| {
        rows.iter()
            .find(|r| r["figure"] == figure)
            .unwrap_or_else(|| panic!("no row {figure}"))
    };
    // 2,500 expected arrivals over the run: the Poisson count is within 4 sd (200) of it.
    let rps = row("requests/s (mean over the run)")["simulated"]
        .as_f64()
        .expect("number");
    assert!((rps - 125.0).abs() < 10.0, "{rps}");
    assert_eq!(row("web utilisation")["estimate"], 0.195_312_5);
    assert!(row("end-to-end p99 latency")["simulated"]
        .as_f64()
        .is_some());
}

#[test]
fn the_table_without_a_run() {
    let out = sim_estimate(SCENARIO, &["--no-run"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("new data per day                       5.2 MB"),
        "{text}"
    );
    assert!(
        text.contains("after 2 years                          3.8 GB"),
        "{text}"
    );
    assert!(!text.contains("Estimate beside the simulation"));
}

#[test]
fn errors_in_the_estimate_section_name_their_place() {
    let yaml = SCENARIO
        .replace("hot_fraction: 10%", "hot_fraction: 120%")
        .replace("years: 2", "years: 0");
    let out = sim_estimate(&yaml, &["--no-run"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(
        errors,
        [
            "error: scenario.yaml:30:10: years must be greater than 0 and at most 1000, got 0",
            "error: scenario.yaml:31:17: hot_fraction: '120%' must be between 0 and 1 (or 0% and 100%)",
        ],
        "{stderr}"
    );
}

#[test]
fn a_misspelt_field_of_the_estimate_section_suggests_the_right_one() {
    let yaml = SCENARIO.replace("bytes_per_write: 2KB", "bytes_per_wirte: 2KB");
    let out = sim_estimate(&yaml, &["--no-run"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bytes_per_wirte"), "{stderr}");
    assert!(
        stderr.contains("did you mean 'bytes_per_write'?"),
        "{stderr}"
    );
}
