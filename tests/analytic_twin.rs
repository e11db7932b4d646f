//! The analytic twin: theory printed next to the simulation agrees with it where the
//! assumptions hold, and says "not applicable" where they do not.

mod common;

use common::{run_file, run_yaml};
use sim::analytic::{compare, Comparison, END_TO_END};
use sim::run::RunResult;

fn rows(result: &RunResult) -> Vec<Comparison> {
    compare(&result.analytic, result)
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
    let mut plan = sim::scenario::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/scenarios/mm1.yaml"
    )))
    .expect("loads");
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
    let plan = sim::scenario::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/scenarios/lb50.yaml"
    )))
    .expect("loads");
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
