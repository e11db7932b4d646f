//! The analytic twin: theory printed next to the simulation agrees with it where the
//! assumptions hold, and says "not applicable" where they do not.

mod common;

use common::{run_file, run_yaml};
use sim::analytic::{Comparison, END_TO_END};
use sim::results::RunResult;

fn rows(result: &RunResult) -> Vec<Comparison> {
    result.analytic.clone()
}

fn row<'a>(rows: &'a [Comparison], component: &str, metric: &str) -> &'a Comparison {
    rows.iter()
        .find(|r| r.expectation.component == component && r.expectation.metric == metric)
        .unwrap_or_else(|| panic!("no expectation for {component} {metric}"))
}

/// Every expectation with a value agrees with the simulation: the tolerances (5% for
/// utilisation, 10% for exact mean response times) are several standard errors of these
/// runs (the M/M/1 mean response time of 10^6 requests at rho = 0.9 has a relative standard
/// error of about 2%, see docs/validation.md).
fn assert_all_agree(result: &RunResult) {
    let rows = rows(result);
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(
            r.agrees,
            Some(true),
            "{} {}: theory {:?}, simulated {:?}",
            r.expectation.component,
            r.expectation.metric,
            r.expectation.theory,
            r.simulated
        );
    }
}

#[test]
fn mm1_twin_is_m_m_1() {
    let mut plan = common::load_file("benches/scenarios/mm1.yaml");
    plan.requests = Some(1_000_000);
    let result = sim::run::run(plan, None).expect("runs");
    let rows = rows(&result);
    let latency = row(&rows, "server", "mean_latency_ms");
    assert_eq!(latency.expectation.model, "M/M/1");
    assert!((latency.expectation.theory.unwrap() - 10_000.0).abs() < 1e-6);
    assert_eq!(
        row(&rows, END_TO_END, "mean_latency_ms").expectation.theory,
        latency.expectation.theory
    );
    assert_all_agree(&result);
}

#[test]
fn round_robin_twin_is_erlang_arrivals() {
    let result = run_file("benches/scenarios/lb50.yaml");
    let rows = rows(&result);
    let latency = row(&rows, "server", "mean_latency_ms");
    assert_eq!(latency.expectation.model, "E50/M/1 (round robin)");
    // Mean wait 1.7386 s (docs/validation.md) plus the 1 s service.
    assert!((latency.expectation.theory.unwrap() - 2738.6).abs() < 1.0);
    assert_all_agree(&result);
}

#[test]
fn cache_hit_ratios_follow_their_approximations() {
    let result = run_file("scenarios/05b-cache-eviction.yaml");
    let rows = rows(&result);
    assert_eq!(
        row(&rows, "lru", "hit_ratio").expectation.model,
        "Che (LRU)"
    );
    assert_eq!(
        row(&rows, "fifo", "hit_ratio").expectation.model,
        "FIFO approximation"
    );
    assert_all_agree(&result);
}

#[test]
fn finite_queue_is_m_m_c_k() {
    let result = run_yaml(
        "
run: {duration: 20000s, warmup: 100s}
traffic:
  - {name: users, rate: 2/s, to: web}
components:
  - server: {name: web, workers: 2, queue: 3, service_time: {exponential: 1s}}
",
    );
    let rows = rows(&result);
    assert_eq!(row(&rows, "web", "blocking").expectation.model, "M/M/2/5");
    assert_all_agree(&result);
}

#[test]
fn failures_and_varying_load_are_not_applicable() {
    let result = run_yaml(
        "
run: {duration: 100s}
traffic:
  - {name: users, rate: {steps: [{at: 0s, rate: 5/s}, {at: 50s, rate: 10/s}]}, to: web}
components:
  - server: {name: web, service_time: 10ms}
",
    );
    let rows = rows(&result);
    let r = row(&rows, "web", "mean_latency_ms");
    assert_eq!(r.expectation.theory, None);
    assert_eq!(r.agrees, None);
    assert!(
        r.expectation
            .note
            .as_deref()
            .is_some_and(|n| n.contains("changes over time")),
        "{r:?}"
    );
}

#[test]
fn overload_is_called_out() {
    let result = run_yaml(
        "
run: {duration: 100s}
traffic:
  - {name: users, rate: 20/s, to: web}
components:
  - server: {name: web, service_time: 100ms}
",
    );
    let rows = rows(&result);
    let r = row(&rows, "web", "utilization");
    assert!(r
        .expectation
        .note
        .as_deref()
        .is_some_and(|n| n.starts_with("overloaded")));
}

#[test]
fn the_twin_is_in_the_table_the_summary_and_the_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = common::sim()
        .args(["run", "--requests", "20000", "--out"])
        .arg(dir.path())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/scenarios/mmc.yaml"
        ))
        .output()
        .expect("runs");
    common::assert_success(&out);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("M/M/8"), "{table}");
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("summary.json")).expect("summary"),
    )
    .expect("json");
    let first = &summary["analytic"][0];
    assert_eq!(first["component"], "server");
    assert_eq!(first["model"], "M/M/8");
    assert!(first["theory"].as_f64().is_some());
    let html = std::fs::read_to_string(dir.path().join("report.html")).expect("report");
    assert!(html.contains("id=\"theory-table\""));
}

#[test]
fn one_more_instance_behind_round_robin_is_e51_m_1() {
    let plan = common::load_file("benches/scenarios/lb50.yaml");
    let what_ifs = sim::analytic::what_ifs(&plan);
    let more = what_ifs
        .iter()
        .find(|w| w.component == "server")
        .expect("a what-if for the pool");
    assert_eq!(more.change, "one more instance");
    // 51 servers share the 40/s: each sees Erlang-51 arrivals at 40/51 per second.
    let wait = sim::analytic::queueing::erlang_m1_wait(51, 40.0 / 51.0, 1.0).expect("stable");
    assert!((more.after_ms - (1.0 + wait) * 1e3).abs() < 1e-6);
    assert!(more.after_ms < more.baseline_ms);
}

#[test]
fn a_tandem_behind_an_ample_router_is_a_jackson_network() {
    // The router (10^4 workers, no service time) never makes a request wait, so holding its
    // worker during the calls changes nothing: s1 and s2 form a Jackson tandem, and the mean
    // time through it is exactly 1/(mu1 - lambda) + 1/(mu2 - lambda) = 2 + 1.3333 s.
    // 2 x 10^5 requests: the tandem's mean has a relative standard error near 1% (see the
    // replications of docs/validation.md), well inside the 10% of an exact model.
    let result = run_yaml(
        "
seed: 3
run: {requests: 200000, warmup: 500s}
traffic:
  - {name: arrivals, to: router, rate: 0.5/s}
components:
  - server: {name: router, workers: 10000, service_time: 0s, calls: [s1, s2]}
  - server: {name: s1, workers: 1, service_time: {exponential: 1s}}
  - server: {name: s2, workers: 1, service_time: {exponential: 800ms}}
",
    );
    let rows = rows(&result);
    let end = row(&rows, END_TO_END, "mean_latency_ms");
    assert!(end.expectation.model.contains("Jackson"), "{end:?}");
    assert_eq!(end.expectation.tolerance, 0.10);
    assert!((end.expectation.theory.unwrap() - 3333.333).abs() < 0.01);
    assert!(row(&rows, "router", "mean_latency_ms")
        .expectation
        .model
        .contains("Jackson"));
    assert_all_agree(&result);
}

#[test]
fn a_callee_its_callers_cannot_queue_at_has_no_wait() {
    // web has one worker and holds it while db serves, so db never has more than one request:
    // no wait there (M/M/1 would expect 100 ms of it). web's holding time is then exactly
    // S_web + S_db: M/G/1 with E[S] = 0.9 s and E[S^2] = 2(0.25) + 2(0.16) + 2(0.5)(0.4)
    // = 1.22 s^2, so Pollaczek-Khinchine gives 0.9 + 0.5 x 1.22 / (2 x 0.55) = 1.4545 s.
    let result = run_yaml(
        "
seed: 4
run: {requests: 200000, warmup: 500s}
traffic:
  - {name: arrivals, to: web, rate: 0.5/s}
components:
  - server: {name: web, workers: 1, service_time: {exponential: 500ms}, calls: [db]}
  - server: {name: db, workers: 1, service_time: {exponential: 400ms}}
",
    );
    let rows = rows(&result);
    let db = row(&rows, "db", "mean_latency_ms");
    assert!(db.expectation.model.starts_with("no wait"), "{db:?}");
    assert!((db.expectation.theory.unwrap() - 400.0).abs() < 1e-9);
    let web = row(&rows, "web", "mean_latency_ms");
    assert!((web.expectation.theory.unwrap() - 1454.545).abs() < 0.01);
    assert_all_agree(&result);
}

#[test]
fn a_pool_called_by_name_alternates_between_its_instances() {
    // Requests addressed to a two-instance pool go round-robin: each instance sees every
    // other arrival of a Poisson stream (Erlang-2), so E2/M/1, not M/M/1 (3.84 s, not 5 s).
    let result = run_yaml(
        "
seed: 5
run: {requests: 200000, warmup: 500s}
traffic:
  - {name: arrivals, to: web, rate: 1.6/s}
components:
  - server: {name: web, instances: 2, workers: 1, service_time: {exponential: 1s}}
",
    );
    let rows = rows(&result);
    let web = row(&rows, "web", "mean_latency_ms");
    assert_eq!(web.expectation.model, "E2/M/1 (round robin)");
    assert_all_agree(&result);
}

#[test]
fn token_bucket_and_fixed_window_admission_are_in_the_twin() {
    // The exact long-run admitted fractions (model::rate_limiter::theory, checked against the
    // simulation in tests/rate_limiters.rs): a global bucket (lambda 6/s, r 8/s, b 3:
    // 0.9128), a bucket per client (4 clients share 40/s: 10/s each against r 8/s, b 5), a
    // fixed window per key over 10 uniform keys; writes are not limited by the last rule.
    // 20,000 s of traffic: the admitted fraction's standard error is below 0.005 (tests/
    // rate_limiters.rs), well inside the 3% tolerance.
    let result = run_yaml(
        "
seed: 6
run: {duration: 20000s}
traffic:
  - {name: one, to: global, rate: 6/s, clients: 1}
components:
  - rate_limiter: {name: global, rules: [{algorithm: token_bucket, limit: 8, per: 1s, burst: 3, key: global}]}
",
    );
    let global_rows = rows(&result);
    let global = row(&global_rows, "global", "admitted_fraction");
    assert!((global.expectation.theory.unwrap() - 0.9128).abs() < 5e-4);
    assert_all_agree(&result);
    for (limiter, rule, traffic) in [
        (
            "per-client",
            "{algorithm: token_bucket, limit: 8, per: 1s, burst: 5, key: client}",
            "rate: 40/s, clients: 4",
        ),
        (
            "per-key",
            "{algorithm: fixed_window, limit: 3, per: 1s, key: key, types: [read]}",
            "rate: 40/s, mix: {read: 3, write: 1}, keys: {count: 10}",
        ),
    ] {
        let result = run_yaml(&format!(
            "
seed: 7
run: {{duration: 5000s}}
traffic:
  - {{name: users, to: {limiter}, {traffic}}}
components:
  - rate_limiter: {{name: {limiter}, rules: [{rule}]}}
"
        ));
        let rows = rows(&result);
        let r = row(&rows, limiter, "admitted_fraction");
        assert!(r.expectation.model.contains("exact"), "{r:?}");
        assert_all_agree(&result);
    }
}
