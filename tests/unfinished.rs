//! Requests that never finished: counted as `unfinished`, those older than the run's patience
//! counted against availability, and a backlog that keeps growing found by its trend.

mod common;

use common::{run_file, run_yaml};
use sim::results::summarize::summary;

/// One worker serving 100 requests/s (exponential, mean 10 ms) under 200 requests/s for 60 s,
/// first come first served, no queue limit, no timeout. The server finishes about μT = 6,000
/// requests: those born before t* where λ t* = μ T, t* = 30 s. So about 6,000 (born in 30–60 s)
/// are unfinished, and those born before 50 s, about 4,000, had waited longer than the default
/// patience of 10 s: availability = 6,000 / (6,000 + 4,000) = 0.6.
const OVERLOADED: &str = "run: {duration: 60s}
traffic:
  - {name: users, to: web, rate: 200/s}
components:
  - server: {name: web, workers: 1, service_time: {exponential: 10ms}}
";

#[test]
fn an_overloaded_run_reports_its_unfinished_requests_and_is_not_available() {
    let r = run_yaml(OVERLOADED);
    let e = &r.end_to_end;
    // Poisson noise: the arrival count has sd √12,000 ≈ 110, the served count sd about
    // √6,000 ≈ 80 (each service is exponential); 5% is over 3 sd on each figure below.
    let near = |x: f64, expected: f64| (x - expected).abs() <= 0.05 * expected;
    assert!(
        near(e.outcomes.succeeded as f64, 6000.0),
        "{:?}",
        e.outcomes
    );
    assert!(
        near(e.unfinished.count as f64, 6000.0),
        "{:?}",
        e.unfinished
    );
    assert!(
        near(e.unfinished.overdue as f64, 4000.0),
        "{:?}",
        e.unfinished
    );
    assert!(near(e.availability(), 0.6), "{}", e.availability());
    // Every request sent is either finished or unfinished.
    assert_eq!(e.arrivals, e.outcomes.total() + e.unfinished.count);
    // The oldest had waited about 30 s.
    assert!((e.unfinished.oldest_ns as f64 / 1e9 - 30.0).abs() < 2.0);

    let s = summary(&r);
    assert_eq!(s.requests.unfinished, e.unfinished.count);
    assert_eq!(s.requests.unfinished_overdue, e.unfinished.overdue);
    assert_eq!(s.requests.patience_ms.value(), Some(10_000.0));
    assert!(s.availability.value().is_some_and(|a| near(a, 0.6)));
    assert!(
        s.trouble.iter().any(|t| t.kind == "unfinished_backlog"),
        "{:?}",
        s.trouble
    );
    let terminal = sim::report::table::render(&r);
    assert!(
        terminal.contains(&format!("unfinished {}", e.unfinished.count)),
        "{terminal}"
    );
}

#[test]
fn the_objective_sets_the_patience_and_counts_the_overdue_as_missed() {
    let r = run_yaml(&format!("{OVERLOADED}slo: {{latency: 2s, target: 99%}}\n"));
    assert_eq!(r.patience.as_nanos(), 2_000_000_000);
    let e = &r.end_to_end;
    // Born before 58 s and unfinished: about 5,600.
    assert!(
        (e.unfinished.overdue as f64 - 5600.0).abs() < 300.0,
        "{:?}",
        e.unfinished
    );
    let slo = r.slo.as_ref().expect("slo");
    assert_eq!(slo.total, e.outcomes.total() + e.unfinished.overdue);
    assert!(!slo.met());
}

#[test]
fn a_run_in_which_nothing_finished_has_an_unknown_availability() {
    // Every request takes 100 s; the run lasts 5 s: nothing finishes, nothing waits 10 s.
    let r = run_yaml(
        "run: {duration: 5s}
traffic:
  - {name: users, to: web, rate: 10/s}
components:
  - server: {name: web, workers: 1000, service_time: 100s}
",
    );
    let e = &r.end_to_end;
    assert_eq!(e.outcomes.total(), 0);
    assert!(e.unfinished.count > 0);
    assert_eq!(e.unfinished.overdue, 0);
    assert!(e.availability().is_nan());
    let s = summary(&r);
    assert_eq!(s.availability.value(), None, "written null, not 100%");
    let json = serde_json::to_value(&s).expect("serializes");
    assert!(json["availability"].is_null());
    let terminal = sim::report::table::render(&r);
    assert!(terminal.contains("availability unknown"), "{terminal}");
    // A component that finished nothing has no availability either.
    assert!(s.components["web"].availability.value().is_none());
    // Nor a latency: nothing was timed, which is not 0 ms.
    assert_eq!(s.latency_ms.p99.value(), None);
    assert!(json["latency_ms"]["p50"].is_null());
    assert_eq!(s.components["web"].latency_ms.mean.value(), None);
    assert!(
        terminal.contains("latency  unknown (no request succeeded)"),
        "{terminal}"
    );
    assert!(!terminal.contains("0us"), "{terminal}");
}

/// An assertion on a latency the run could not measure fails; it does not pass on a 0.
#[test]
fn an_assertion_on_an_unmeasured_latency_fails() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("nothing.yaml");
    std::fs::write(
        &file,
        "name: nothing
run: {duration: 5s}
traffic:
  - {name: users, to: web, rate: 10/s}
components:
  - server: {name: web, workers: 1000, service_time: 100s}
assert:
  - p99 < 1s
  - web.p50 < 1s
",
    )
    .expect("write");
    let out = common::sim()
        .arg("check")
        .arg(&file)
        .output()
        .expect("run sim");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("p99 < 1s: the run has no value for 'p99'"),
        "{err}"
    );
    assert!(
        err.contains("web.p50 < 1s: component 'web' has no value for 'p50'"),
        "{err}"
    );
}

#[test]
fn retries_waiting_for_their_back_off_are_unfinished_too() {
    // Every attempt fails at once; the retries wait 1, 2, 4, 8 and 8 s, so a request takes
    // about 23 s to fail for good: at the end, many sit between attempts, in no open call.
    let r = run_yaml(
        "run: {duration: 30s}
traffic:
  - name: users
    to: web
    rate: 10/s
    retry: {attempts: 6, backoff: 1s, max_backoff: 8s, jitter: none}
components:
  - server: {name: web, service_time: 1ms}
failures:
  - {at: 0s, errors: web, fraction: 100%}
",
    );
    let e = &r.end_to_end;
    assert_eq!(e.outcomes.succeeded, 0);
    assert!(e.unfinished.count > 100, "{:?}", e.unfinished);
    assert_eq!(e.arrivals, e.outcomes.total() + e.unfinished.count);
}

#[test]
fn every_request_sent_is_finished_or_unfinished_in_shipped_scenarios() {
    for file in [
        "scenarios/retry-storm.yaml",
        "scenarios/12-rate-limiters.yaml",
        "scenarios/circuit-breaker.yaml",
    ] {
        let r = run_file(file);
        let e = &r.end_to_end;
        assert_eq!(
            e.arrivals,
            e.outcomes.total() + e.unfinished.count,
            "{file}"
        );
        for (name, t) in &r.request_types {
            assert_eq!(
                t.arrivals,
                t.outcomes.total() + t.unfinished.count,
                "{file} {name}"
            );
        }
    }
}

/// Replications of a path that saturates in a retry storm on some seeds: seed 8 serves
/// nothing, so it has no latency, and the replications table says so instead of dropping the
/// latency figures silently (or, as before, averaging in a p99 of 0 ms).
#[test]
fn replications_say_which_seed_measured_nothing() {
    let text = concat!(
        "name: storm\nseed: 7\nrun: {duration: 8s, warmup: 2s}\n",
        crate::retrying_two_tier_path!()
    );
    let design = sim::study::Design {
        path: "storm.yaml".into(),
        text: text.into(),
        default_name: "storm".into(),
        overrides: Vec::new(),
    };
    let s = sim::study::study(
        &design,
        &sim::study::StudyOptions {
            overrides: &sim::study::Overrides::default(),
            replications: Some(3),
            only: None,
            stop: &|| None,
            done: &|| {},
        },
    )
    .unwrap_or_else(|e| panic!("{}", e.render()));
    let succeeded: Vec<u64> = s.summaries.iter().map(|x| x.requests.succeeded).collect();
    assert_eq!(succeeded[1], 0, "seed 8 serves nothing: {succeeded:?}");
    assert!(succeeded[0] > 0 && succeeded[2] > 0, "{succeeded:?}");
    let section = s.result.replications.expect("a replications section");
    assert!(section.metrics.latency_p99_ms.is_none());
    let partly: Vec<(&str, &[u64])> = section
        .not_in_every_replication
        .iter()
        .map(|p| (p.metric.as_str(), p.missing_in_seeds.as_slice()))
        .collect();
    assert!(partly.contains(&("latency_p99_ms", &[8][..])), "{partly:?}");
    assert!(
        partly.iter().all(|(m, _)| m.starts_with("latency_")),
        "{partly:?}"
    );
}
