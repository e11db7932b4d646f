//! Each failure's impact: the requests it affected, attributed to it, against a hand
//! calculation.

mod common;

use common::run_yaml;
use sim::model::figures::failures::FailureEventFigures;
use sim::model::figures::Figures;
use sim::results::RunResult;

fn events(r: &RunResult) -> Vec<FailureEventFigures> {
    r.components
        .iter()
        .find_map(|c| match &c.figures {
            Figures::Failures(f) => Some(f.events.clone()),
            _ => None,
        })
        .expect("a failure timeline")
}

/// Poisson arrivals at 200/s, two request types (3:1), a single-instance server that crashes
/// at 10 s for 5 s; a second server nobody calls crashes too. Every request that arrives during
/// the crash is refused at once: failed = λ × 5 s = 1,000 (sd √1,000 ≈ 32), of which 3/4 reads,
/// all attributed to the crash of `web`, from about 10 s to about 15 s; the idle server's
/// crash affected nothing.
#[test]
fn a_crash_of_a_single_instance_pool_affects_what_arrives_while_it_is_down() {
    let r = run_yaml(
        "run: {duration: 30s}
traffic:
  - name: users
    to: web
    rate: 200/s
    mix: {read: 3, write: 1}
components:
  - server: {name: web, workers: 4, service_time: 1ms}
  - server: {name: idle, service_time: 1ms}
failures:
  - {at: 10s, crash: web, for: 5s}
  - {at: 12s, crash: idle, for: 5s}
",
    );
    let events = events(&r);
    let web = &events[0].impact;
    assert_eq!(events[0].target, "web");
    let failed = web.counts.failed as f64;
    assert!((failed - 1000.0).abs() < 4.0 * 1000f64.sqrt(), "{web:?}");
    assert_eq!(web.counts.affected, web.counts.failed);
    assert_eq!(web.counts.failed, r.end_to_end.outcomes.failed);
    let (first, last) = (web.first_s.expect("first"), web.last_s.expect("last"));
    assert!((10.0..10.1).contains(&first), "{first}");
    assert!((14.9..15.1).contains(&last), "{last}");
    let read = web.by_type["read"].failed as f64;
    // A binomial share of 3/4: sd √(1000 · 3/16) ≈ 14.
    assert!(
        (read / failed - 0.75).abs() < 4.0 * 14.0 / 1000.0,
        "{read} of {failed}"
    );
    assert_eq!(events[1].impact.counts.affected, 0);
    let terminal = sim::report::table::render(&r);
    assert!(
        terminal.contains(&format!(
            "crash web at 10.0s for 5.0s: {} requests affected ({} failed)",
            web.counts.affected, web.counts.failed
        )),
        "{terminal}"
    );
    assert!(
        terminal.contains("crash idle at 12.0s for 5.0s: no impact on requests"),
        "{terminal}"
    );
}

/// Two failures at once on one path: the request is blamed on the component that first
/// failed it, not on every failure in effect.
#[test]
fn a_failure_is_attributed_to_the_component_that_failed_the_request() {
    let r = run_yaml(
        "run: {duration: 20s}
traffic:
  - {name: users, to: web, rate: 100/s}
components:
  - server: {name: web, workers: 8, service_time: 1ms, calls: [db]}
  - server: {name: db, workers: 8, service_time: 1ms}
failures:
  - {at: 0s, slow: web, factor: 1.5}
  - {at: 5s, crash: db, for: 5s}
",
    );
    let events = events(&r);
    assert_eq!(events[0].impact.counts.affected, 0, "{:?}", events[0]);
    let db = &events[1].impact.counts;
    assert!(
        (db.failed as f64 - 500.0).abs() < 4.0 * 500f64.sqrt(),
        "{db:?}"
    );
}

/// With an objective, requests that succeeded slower than it because of a slow-down count.
#[test]
fn with_an_objective_slow_successes_count() {
    let r = run_yaml(
        "run: {duration: 20s}
traffic:
  - {name: users, to: web, rate: 50/s}
components:
  - server: {name: web, workers: 64, service_time: 10ms}
slo: {latency: 50ms, target: 99%}
failures:
  - {at: 5s, slow: web, factor: 10, for: 5s}
",
    );
    let slow = events(&r)[0]
        .impact
        .counts
        .slow
        .expect("counted with an slo");
    // Every request served during the slow-down takes 100 ms: about 50/s × 5 s = 250.
    assert!((slow as f64 - 250.0).abs() < 4.0 * 250f64.sqrt(), "{slow}");
}

/// Errors injected into the workers behind a queue fail no request (the upload succeeded when
/// it was queued; the queue redelivers the job), so no request is affected; the line still
/// says how many errors the workers answered, so it is not read as "nothing happened".
#[test]
fn injected_errors_that_no_request_felt_are_still_named() {
    let r = run_yaml(
        "run: {duration: 20s}
traffic:
  - {name: uploads, to: web, rate: 100/s}
components:
  - server: {name: web, workers: 8, service_time: 1ms, calls: [jobs]}
  - queue: {name: jobs, consumer: workers, visibility_timeout: 5s}
  - server: {name: workers, workers: 8, service_time: 10ms}
failures:
  - {at: 0s, errors: workers, fraction: 10%}
",
    );
    let events = events(&r);
    assert_eq!(events[0].impact.counts.affected, 0, "{:?}", events[0]);
    assert_eq!(r.end_to_end.outcomes.failed, 0);
    let terminal = sim::report::table::render(&r);
    let line = terminal
        .lines()
        .find(|l| l.contains("errors workers at 0.0s"))
        .unwrap_or_else(|| panic!("{terminal}"));
    assert!(line.contains("no impact on requests"), "{line}");
    // About 10% of some 2,000 jobs, each attempt failing with probability 0.1.
    assert!(
        line.contains("workers still answered")
            && line.contains("calls with an error in the run (from any cause)"),
        "{line}"
    );
}
