//! Failure schedule: what a crash destroys, and the availability of randomly failing pools.

mod common;

use common::{component, run_yaml};

#[test]
fn a_crash_loses_exactly_the_requests_inside_the_instance() {
    // Evenly spaced arrivals every 100 ms from t = 0.1 s, one worker, 1 s constant service:
    // requests finish at 1.1, 2.1, 3.1, 4.1 s, ... At 5.05 s, 50 requests have arrived and 4
    // have finished, so exactly 46 are inside (1 in service, 45 queued). After the crash, new
    // requests are refused ("failed") until the recovery at 8.05 s: arrivals at 5.1 .. 8.0 s,
    // i.e. 30 refusals, none of them "lost" in the crash.
    let r = run_yaml(
        "run: {duration: 8.05s}
traffic:
  - {name: users, to: web, rate: 10/s, arrivals: constant}
components:
  - server: {name: web, workers: 1, service_time: 1s}
failures:
  - {at: 5.05s, crash: web, for: 3s}
",
    );
    let web = component(&r, "web");
    assert_eq!(web.lost.get("requests_in_crashed_instances"), Some(&46));
    assert_eq!(web.outcomes.succeeded, 4);
    assert_eq!(web.outcomes.failed, 46 + 30);
    assert_eq!(r.end_to_end.outcomes.failed, 76);
    assert_eq!(
        r.end_to_end.unfinished.count, 0,
        "nothing left inside after the crash and no arrival since the recovery"
    );
}

#[test]
fn a_crash_of_one_instance_spares_the_others() {
    let r = run_yaml(
        "run: {duration: 20s}
traffic:
  - {name: users, to: lb, rate: 50/s}
components:
  - load_balancer: {name: lb, backends: [web], health: {failures: 1, ejection: 60s}}
  - server: {name: web, instances: 2, workers: 4, service_time: {exponential: 10ms}}
failures:
  - {at: 5s, crash: 'web[1]'}
",
    );
    let web = component(&r, "web");
    // Passive health ejects the dead instance after its first refusal; a handful of requests
    // at most fail, all of them at the crash or just after.
    assert!(web.outcomes.failed <= 3, "failed {}", web.outcomes.failed);
    assert!(r.end_to_end.outcomes.availability() > 0.99);
}

/// P(at least k of n up) for independent instances each up with probability p.
fn binomial_at_least(n: u32, k: u32, p: f64) -> f64 {
    let choose =
        |n: u32, j: u32| (0..j).fold(1.0, |acc, i| acc * f64::from(n - i) / f64::from(i + 1));
    (k..=n)
        .map(|j| choose(n, j) * p.powi(j as i32) * (1.0 - p).powi((n - j) as i32))
        .sum()
}

#[test]
fn random_failures_match_the_binomial_steady_state() {
    // Each of 4 instances alternates between up (exponential, mean 9 s) and down (exponential,
    // mean 1 s): up with probability p = 9 / (9 + 1) = 0.9 in steady state, independently, so
    // the fraction of time with at least k up is the binomial tail.
    //
    // Tolerance: for one two-state Markov process observed for T, the time-average of the up
    // indicator has variance ~ 2 p (1 - p) tau / T with tau = 1 / (1/9 + 1/1) = 0.9 s. With
    // T = 200,000 s that is sd = sqrt(2 * 0.09 * 0.9 / 2e5) = 0.0009 per instance; a fraction
    // over 4 instances is a function of four such averages, so its sd is at most ~4x that:
    // 0.0036. We allow 0.012 (over 3 sd of that conservative bound; the observed errors are far
    // smaller).
    let r = run_yaml(
        "run: {duration: 200000s}
traffic:
  - {name: users, to: web, rate: 0.01/s}
components:
  - server: {name: web, instances: 4, service_time: 1ms}
random_failures:
  - {target: web, mtbf: {exponential: 9s}, mttr: {exponential: 1s}}
",
    );
    let web = component(&r, "web");
    let at_least: Vec<f64> = web.figures_json()["time_with_at_least_k_up"]
        .as_array()
        .expect("fractions reported")
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    assert_eq!(at_least.len(), 5);
    for (k, observed) in at_least.iter().enumerate() {
        let expected = binomial_at_least(4, k as u32, 0.9);
        println!("at least {k} of 4 up: simulated {observed:.4}, binomial {expected:.4}");
        assert!(
            (observed - expected).abs() < 0.012,
            "k={k}: {observed} vs {expected}"
        );
    }
    let mean_up = web.figures_json()["instances_up_mean"]
        .as_f64()
        .unwrap_or(0.0);
    assert!((mean_up - 3.6).abs() < 0.02, "mean instances up {mean_up}");
}

#[test]
fn slow_and_error_failures_apply_only_while_active() {
    let r = run_yaml(
        "run: {duration: 30s}
traffic:
  - {name: users, to: web, rate: 20/s, arrivals: constant}
components:
  - server: {name: web, workers: 10, service_time: 10ms}
failures:
  - {at: 10s, slow: web, factor: 10x, for: 5s}
  - {at: 20s, errors: web, fraction: 100%, for: 5s}
",
    );
    let web = component(&r, "web");
    // 100% errors for 5 s at 20/s: exactly 100 requests fail; the slow-down only stretches
    // latencies (10 ms -> 100 ms), so the maximum is 100 ms.
    assert_eq!(web.outcomes.failed, 100);
    assert!(
        (r.end_to_end.latency.max - 100.0).abs() < 0.01,
        "max {}",
        r.end_to_end.latency.max
    );
    assert!((r.end_to_end.latency.p50 - 10.0).abs() < 0.1);
}

#[test]
fn failure_targets_are_checked() {
    let bad = "run: {duration: 10s}
traffic:
  - {name: users, to: web, rate: 10/s}
components:
  - server: {name: web, instances: 2, service_time: 1ms}
failures:
  - {at: 1s, crash: 'web[2]'}
  - {at: 1s, crash: wbe}
  - {at: 1s, slow: web}
  - {at: 1s, crash: web, errors: web}
";
    let err = sim::scenario::load_str(bad, "bad.yaml", "bad")
        .err()
        .expect("invalid");
    let text = err.render();
    assert!(text.contains("bad.yaml:7:"), "{text}");
    assert!(text.contains("there is no [2]"), "{text}");
    assert!(text.contains("did you mean 'web'?"), "{text}");
    assert!(text.contains("a slow-down needs a factor"), "{text}");
    assert!(
        text.contains("exactly one of crash, slow, errors, partition or latency (found 2)"),
        "{text}"
    );
}

#[test]
fn the_slo_counts_requests_that_succeed_in_time() {
    // 10 evenly spaced requests per second (at 0.1, 0.2, ... 30.0 s), each served in exactly
    // 100 ms without queueing: every success meets a 150 ms objective. The pool crashes at
    // 20.05 s, failing the request that arrived at 20.0 s, and refuses the 10 arriving from
    // 20.1 to 21.0 s, before it recovers at 21.05 s. Of 300 requests, 289 are good: 96.33%
    // < 99%, and the error budget of 3 misses is used 11/3 times over.
    let r = run_yaml(
        "run: {duration: 30.15s}
slo: {latency: 150ms, target: 99%}
traffic:
  - {name: users, to: web, rate: 10/s, arrivals: constant}
components:
  - server: {name: web, workers: 2, service_time: 100ms}
failures:
  - {at: 20.05s, crash: web, for: 1s}
",
    );
    let slo = r.slo.as_ref().expect("slo figures");
    assert_eq!((slo.good, slo.total), (289, 300));
    assert!(
        (slo.budget_used() - 11.0 / 3.0).abs() < 1e-9,
        "{}",
        slo.budget_used()
    );
    let summary = sim::results::summarize::to_json(&r);
    assert_eq!(summary["slo"]["met"], false);
    assert_eq!(summary["slo"]["error_budget"]["misses"], 11);
}
