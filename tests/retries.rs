//! Client retries: back-off timing, the retry budget, and a retry storm against its cure.

mod common;

use common::{run_file, run_yaml};
use sim::results::RunResult;

#[test]
fn backoff_doubles_between_attempts() {
    // One request at t = 1 s to a server that fails everything: attempts at 1.0, 1.1, 1.3 and
    // 1.7 s (waits of 100, 200 and 400 ms without jitter), so the run ends at exactly 1.7 s.
    let r = run_yaml(
        "run: {requests: 1}
traffic:
  - name: users
    to: web
    rate: 1/s
    arrivals: constant
    retry: {attempts: 4, backoff: 100ms, jitter: none}
components:
  - server: {name: web, service_time: 0}
failures:
  - {at: 0s, errors: web, fraction: 100%}
",
    );
    assert_eq!(r.end.as_nanos(), 1_700_000_000);
    let web = r.components.iter().find(|c| c.name == "web").expect("web");
    assert_eq!(web.requests, 4);
    assert_eq!(
        r.end_to_end.outcomes.failed, 1,
        "one request, failed after its last attempt"
    );
}

#[test]
fn the_retry_budget_caps_retries() {
    // Every attempt fails; with a 10% budget the client may retry at most 10 (the starting
    // balance) + 0.1 per request.
    let r = run_yaml(
        "run: {requests: 2000}
traffic:
  - name: users
    to: web
    rate: 100/s
    retry: {attempts: 3, backoff: 10ms, budget: 10%}
components:
  - server: {name: web, service_time: 1ms}
failures:
  - {at: 0s, errors: web, fraction: 100%}
",
    );
    let users = r
        .components
        .iter()
        .find(|c| c.name == "users")
        .expect("users");
    let retries = users.figures_json()["retries"].as_u64().unwrap_or(u64::MAX);
    assert!(retries <= 10 + 200, "retries {retries}");
    assert!(retries >= 190, "the budget is used, not wasted: {retries}");
    let web = r.components.iter().find(|c| c.name == "web").expect("web");
    assert_eq!(web.requests, 2000 + retries);
}

/// Availability from the time series over [from, to) seconds.
fn availability_between(r: &RunResult, from: usize, to: usize) -> f64 {
    let rows = &r.end_to_end_windows.rows()[from..to];
    let ok: u64 = rows.iter().map(|w| w.outcomes.succeeded).sum();
    let all: u64 = rows.iter().map(|w| w.outcomes.total()).sum();
    ok as f64 / all.max(1) as f64
}

#[test]
fn retries_without_backoff_keep_the_overload_after_the_surge() {
    // The course claim of scenarios/retry-storm.yaml and its cure: the surge ends at 80 s; a
    // minute later the storm is still down and the cured design is fully back.
    let storm = run_file("scenarios/retry-storm.yaml");
    let cured = run_file("scenarios/retry-storm-cured.yaml");
    let late_storm = availability_between(&storm, 140, 300);
    let late_cured = availability_between(&cured, 140, 300);
    println!("availability from 140 s: storm {late_storm:.3}, cured {late_cured:.3}");
    assert!(late_storm < 0.2, "the storm persists: {late_storm}");
    assert!(late_cured > 0.99, "the cure recovers: {late_cured}");
    assert!(
        availability_between(&storm, 0, 55) > 0.99,
        "both are healthy before the surge"
    );
}
