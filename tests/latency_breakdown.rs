//! Where the time goes: the per-hop latency breakdown (`run.breakdown`).
//!
//! - Every sampled request's charges (queue, service, network per component, and client time
//!   at its source) sum to its end-to-end latency exactly, in integer nanoseconds, on a path
//!   with a load balancer, a server pool, a database, network links, retries and timeouts.
//! - The aggregated charges sum to the total latency of the requests aggregated, overall and
//!   per request type.
//! - On M/M/1 the server's mean service and mean queueing match theory.

mod common;

use sim::model::breakdown::{Figures, FIELDS};
use sim::results::RunResult;

fn run(yaml: &str, breakdown: bool, trace: u32) -> RunResult {
    let mut plan = sim::scenario::load_str(yaml, "test.yaml", "test")
        .unwrap_or_else(|e| panic!("scenario does not load:\n{}", e.render()));
    plan.breakdown = breakdown;
    plan.trace = trace;
    sim::run::run(plan, None).expect("run")
}

/// A path with everything that moves time around: links with random latency, a queueing
/// pool, a database behind it, a client timeout with retries and backoff.
const PATH: &str = concat!(
    "
name: path
seed: 7
run: {duration: 30s, warmup: 2s}
",
    crate::retrying_two_tier_path!()
);

#[test]
fn every_sampled_request_sums_to_its_latency_exactly() {
    let r = run(PATH, false, 400);
    assert_eq!(r.traces.len(), 400);
    let mut retried = 0;
    for t in &r.traces {
        let latency = (t.end.as_nanos() - t.born.as_nanos()) as i64;
        let sum: i64 = t.row.iter().map(|(_, v)| v.iter().sum::<i64>()).sum();
        assert_eq!(sum, latency, "request {}: {:?}", t.id, t.row);
        let source = t.row.iter().find(|(c, _)| *c == t.source);
        if source.is_some_and(|(_, v)| v[1] > 0) {
            retried += 1;
        }
        for (_, v) in &t.row {
            // Queue and network time are never negative; with calls made one at a time,
            // neither is a component's own service.
            assert!(v.iter().all(|&x| x >= 0), "request {}: {:?}", t.id, t.row);
        }
    }
    assert!(retried > 0, "some sampled request should have been retried");
}

fn check_totals(f: &Figures, table: &sim::model::breakdown::TypeTable) {
    let charged: i128 = table.totals().iter().map(|t| t.iter().sum::<i128>()).sum();
    assert_eq!(charged, table.latency_ns() as i128);
    assert!(table.requests() > 0);
    // Bands cover every request once.
    let bands: f64 = sim::model::breakdown::BANDS
        .iter()
        .map(|&(a, b, _)| table.band(a, b).requests)
        .sum();
    assert!((bands - table.requests() as f64).abs() < 1e-6);
    assert_eq!(table.totals().len(), f.components.len());
    assert_eq!(FIELDS, 3);
}

#[test]
fn aggregated_sums_equal_total_latency() {
    let r = run(PATH, true, 0);
    let f = r.breakdown.as_ref().expect("breakdown kept");
    check_totals(f, &f.all);
    assert_eq!(f.by_type.len(), 2);
    for (_, t) in &f.by_type {
        check_totals(f, t);
    }
    // The requests aggregated are the succeeded ones after the warm-up, as in the headline.
    assert_eq!(f.all.requests(), r.end_to_end.outcomes.succeeded);
    let mean_ms = f.all.latency_ns() as f64 / f.all.requests() as f64 / 1e6;
    assert!((mean_ms - r.end_to_end.latency.mean).abs() / r.end_to_end.latency.mean < 0.01);
    // The summary section carries the same integers.
    let summary = sim::results::summarize::to_json(&r);
    let b = &summary["breakdown"];
    let total = b["latency_ns_total"].as_i64().expect("total");
    let charged: i64 = b["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|c| {
            ["queue_ns_total", "service_ns_total", "network_ns_total"]
                .iter()
                .map(|k| c[k].as_i64().expect("integer"))
                .sum::<i64>()
        })
        .sum();
    assert_eq!(charged, total);
    assert_eq!(b["bands"].as_array().map(Vec::len), Some(4));
    assert!(b["by_type"]["write"]["requests"].as_u64().is_some());
}

#[test]
fn without_the_option_there_is_no_section() {
    let r = run(PATH, false, 0);
    assert!(r.breakdown.is_none());
    assert!(r.traces.is_empty());
    assert!(sim::results::summarize::to_json(&r)
        .get("breakdown")
        .is_none());
}

/// M/M/1 with lambda = 0.5/s and mu = 1/s (rho = 0.5), 200 000 requests.
/// - Mean service 1/mu = 1 s: the mean of n i.i.d. exponential(1) draws has standard deviation
///   1/sqrt(n) = 0.22%; 1% is 4.5 sigma.
/// - Mean wait in queue Wq = rho/(mu - lambda) = 1 s. The customer-average wait of M/M/1 has
///   asymptotic variance rho(2 + 5rho - 4rho^2 + rho^3)/(1 - rho)^4 / mu^2 (Daley 1968), 29 at
///   rho = 0.5: a standard deviation of sqrt(29/n) = 1.2% of Wq; 5% is about 4 sigma.
/// - The slowest 1% wait far longer than the fastest half: their queue share is larger.
#[test]
fn mm1_queue_and_service_match_theory() {
    let yaml = "
name: mm1
seed: 3
run: {requests: 200000, warmup: 200s}
traffic:
  - {name: arrivals, to: server, rate: 0.5/s}
components:
  - server: {name: server, workers: 1, service_time: {exponential: 1s}}
";
    let r = run(yaml, true, 0);
    let f = r.breakdown.as_ref().expect("breakdown");
    let server = f
        .components
        .iter()
        .position(|(n, _)| n == "server")
        .expect("server");
    let n = f.all.requests() as f64;
    let totals = f.all.totals();
    let queue_s = totals[server][0] as f64 / n / 1e9;
    let service_s = totals[server][1] as f64 / n / 1e9;
    assert_eq!(totals[server][2], 0, "no network");
    assert!((service_s - 1.0).abs() < 0.01, "mean service {service_s}");
    assert!((queue_s - 1.0).abs() < 0.05, "mean wait {queue_s}");
    let fast = f.all.band(0.0, 0.5);
    let slow = f.all.band(0.99, 1.0);
    let share = |b: &sim::model::breakdown::Band| b.means[server][0] / b.mean_latency_ns;
    assert!(share(&slow) > share(&fast));
    assert!(f
        .share_of_p99("server")
        .is_some_and(|s| (s - 1.0).abs() < 1e-9));
}
