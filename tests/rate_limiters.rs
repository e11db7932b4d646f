//! Rate limiters against theory and against their defining properties.
//!
//! - Token bucket: the admitted fraction under Poisson arrivals against the exact long-run value
//!   from the level-crossing equation of the bucket's deficit
//!   (`sim::model::rate_limiter::theory`), for three (lambda, rate, bucket) settings.
//! - Fixed window: admitted requests per window against `E[min(N, limit)]`, N Poisson.
//! - Window edges: a fixed window lets 2 x limit through within one period across a boundary; the
//!   sliding log never more than the limit in any window of that length.
//! - Retry-After: a retry at once is always refused by an empty token bucket; one that waits the
//!   Retry-After is admitted.
//! - Shared counters hold the limit; local counters on n nodes behind round robin overshoot it.
//!
//! Statistical tolerances are 4.5 standard errors (a false alarm about once in 150,000 runs),
//! estimated by batch means over consecutive time windows (the windows of a token bucket are
//! correlated, the batches of 100 windows nearly not), plus the numerical error of the theory
//! (below 1e-6). Run with `--nocapture` for the rows of docs/validation.md.

mod common;

use common::{component, run_yaml};
use serde_json::Value;
use sim::engine::rng::stream;
use sim::engine::{SimDuration, SimTime};
use sim::model::call::Request;
use sim::model::rate_limiter::algorithms::{Algorithm, Counters, Decision, KeyBy, Rule};
use sim::model::rate_limiter::theory::{
    fixed_window_admitted_fraction, poisson_capped_moments, token_bucket_admitted_fraction,
};
use sim::model::{ComponentReport, WindowSeries};

use rand_distr::{Distribution as _, Exp1};

const Z: f64 = 4.5;
const BATCHES: usize = 40;

fn series<'a>(report: &'a ComponentReport, name: &str) -> &'a [f64] {
    match report.extra_windows.iter().find(|(n, _)| n == name) {
        Some((_, WindowSeries::Count(w))) => w.rows(),
        _ => panic!("no series {name}"),
    }
}

fn figure(report: &ComponentReport, key: &str) -> f64 {
    match report.figures_json().get(key) {
        Some(Value::Number(n)) => n.as_f64().expect("a number"),
        other => panic!("{key}: {other:?}"),
    }
}

/// Admitted / decided over the windows, as a ratio estimator over batches of consecutive
/// windows, with its batch-means standard error (as in tests/cache.rs).
fn admitted_fraction(report: &ComponentReport) -> (f64, f64) {
    let admitted = series(report, "admitted");
    let rejected = series(report, "rejected");
    let n = admitted.len().max(rejected.len());
    let mut batches = vec![(0.0, 0.0); BATCHES];
    for k in 0..n {
        let a = admitted.get(k).copied().unwrap_or(0.0);
        let r = rejected.get(k).copied().unwrap_or(0.0);
        let b = &mut batches[k * BATCHES / n];
        b.0 += a;
        b.1 += a + r;
    }
    let (sy, sx) = batches
        .iter()
        .fold((0.0, 0.0), |(sy, sx), (y, x)| (sy + y, sx + x));
    let ratio = sy / sx;
    let b = BATCHES as f64;
    let s2 = batches
        .iter()
        .map(|(y, x)| (y - ratio * x).powi(2))
        .sum::<f64>()
        / (b - 1.0);
    (ratio, (s2 / b).sqrt() / (sx / b))
}

#[test]
fn token_bucket_admitted_fraction_matches_the_exact_long_run_value() {
    // (name, lambda [1/s], refill rate [tokens/s], bucket [tokens]): under, at and over the rate.
    let cases = [
        ("light", 6.0, 8, 3),
        ("balanced", 10.0, 10, 5),
        ("overloaded", 20.0, 10, 4),
    ];
    let mut yaml = String::from("seed: 21\nrun: {duration: 20000s}\ntraffic:\n");
    for (name, lambda, _, _) in cases {
        yaml += &format!("  - {{name: to-{name}, to: {name}, rate: {lambda}/s, clients: 1}}\n");
    }
    yaml += "components:\n";
    for (name, _, rate, bucket) in cases {
        yaml += &format!(
            "  - rate_limiter: {{name: {name}, rules: [{{algorithm: token_bucket, limit: {rate}, per: 1s, burst: {bucket}}}]}}\n"
        );
    }
    let result = run_yaml(&yaml);
    for (name, lambda, rate, bucket) in cases {
        let theory = token_bucket_admitted_fraction(lambda, f64::from(rate), bucket);
        let (got, se) = admitted_fraction(component(&result, name));
        let tolerance = Z * se + 1e-6;
        println!(
            "| `token_bucket_admitted_fraction_matches_the_exact_long_run_value` | token bucket {name}: lambda {lambda}/s, r {rate}/s, b {bucket} | {theory:.4} | {got:.4} | {:+.4} | ±{tolerance:.4} |",
            got - theory
        );
        assert!(
            (got - theory).abs() < tolerance,
            "{name}: simulated {got:.5}, theory {theory:.5}, tolerance {tolerance:.5}"
        );
        // The deterministic bound: at most b + r T tokens over T, whatever the arrivals.
        let admitted = series(component(&result, name), "admitted")
            .iter()
            .sum::<f64>();
        assert!(admitted <= f64::from(bucket) + f64::from(rate) * 20000.0);
    }
}

#[test]
fn fixed_window_admits_the_expected_minimum_of_poisson_and_limit() {
    // Windows of 1 s aligned with the time series: the admitted count of each window is
    // min(N, limit), N Poisson(lambda), independent between windows; its mean over n windows
    // has standard error sqrt(Var[min(N, limit)] / n), computed exactly.
    let cases = [
        ("under", 8.0, 10),
        ("over", 12.0, 10),
        ("far-over", 30.0, 10),
    ];
    let mut yaml = String::from("seed: 22\nrun: {duration: 20000s}\ntraffic:\n");
    for (name, lambda, _) in cases {
        yaml += &format!("  - {{name: to-{name}, to: {name}, rate: {lambda}/s, clients: 1}}\n");
    }
    yaml += "components:\n";
    for (name, _, limit) in cases {
        yaml += &format!(
            "  - rate_limiter: {{name: {name}, rules: [{{algorithm: fixed_window, limit: {limit}, per: 1s}}]}}\n"
        );
    }
    let result = run_yaml(&yaml);
    for (name, lambda, limit) in cases {
        let admitted = series(component(&result, name), "admitted");
        let windows = 20000.0;
        let mean = admitted.iter().sum::<f64>() / windows;
        let (expected, variance) = poisson_capped_moments(lambda, limit);
        let tolerance = Z * (variance / windows).sqrt();
        let fraction = fixed_window_admitted_fraction(lambda, 1.0, limit);
        println!(
            "| `fixed_window_admits_the_expected_minimum_of_poisson_and_limit` | fixed window {name}: lambda {lambda}/s, limit {limit}/s: admitted fraction {fraction:.4} | {expected:.4} per window | {mean:.4} | {:+.4} | ±{tolerance:.4} |",
            mean - expected
        );
        assert!(
            (mean - expected).abs() < tolerance,
            "{name}: {mean:.4} per window, expected {expected:.4} ± {tolerance:.4}"
        );
        // Windows merge pairwise past 4096 rows: each row then holds whole fixed windows.
        let per_row = 20000.0 / admitted.len() as f64;
        assert!(admitted
            .iter()
            .all(|&a| a <= f64::from(limit) * per_row.ceil()));
    }
}

fn request() -> Request {
    Request {
        id: 0,
        kind: 0,
        region: 0,
        client: 7,
        key: 0,
        born: SimTime::ZERO,
        slot: sim::model::breakdown::NO_SLOT,
    }
}

fn rule(algorithm: Algorithm, limit: u32) -> Rule {
    Rule {
        name: "r".into(),
        algorithm,
        limit,
        per: SimDuration::from_secs(1),
        burst: limit,
        key_by: KeyBy::Client,
        types: Vec::new(),
    }
}

/// Admission times for arrivals at `times`.
fn admitted_times(algorithm: Algorithm, limit: u32, times: &[SimTime]) -> Vec<SimTime> {
    let mut counters = Counters::new(vec![rule(algorithm, limit)]);
    times
        .iter()
        .copied()
        .filter(|&t| matches!(counters.decide(&request(), t), Decision::Admit { .. }))
        .collect()
}

/// The most admissions in any half-open window of one second.
fn most_in_one_second(admitted: &[SimTime]) -> usize {
    let mut best = 0;
    let mut start = 0;
    for (end, t) in admitted.iter().enumerate() {
        while t.as_nanos() - admitted[start].as_nanos() >= 1_000_000_000 {
            start += 1;
        }
        best = best.max(end + 1 - start);
    }
    best
}

#[test]
fn a_fixed_window_lets_twice_the_limit_through_across_a_boundary_and_a_sliding_log_does_not() {
    // 10 requests in the last 50 ms of a window and 10 in the first 50 ms of the next.
    let ms = |m: u64| SimTime::from_nanos(m * 1_000_000);
    let burst: Vec<SimTime> = (0..10)
        .map(|i| ms(950 + i * 5))
        .chain((0..10).map(|i| ms(1000 + i * 5)))
        .collect();
    let fixed = admitted_times(Algorithm::FixedWindow, 10, &burst);
    assert_eq!(fixed.len(), 20, "all 20 within 100 ms");
    assert_eq!(most_in_one_second(&fixed), 20);
    let log = admitted_times(Algorithm::SlidingLog, 10, &burst);
    assert_eq!(log.len(), 10);

    // Random bursty traffic (Poisson at 40/s in 0.3 s bursts every 1.7 s, for 2000 s): the
    // sliding log never exceeds the limit in any one-second window; the fixed window does.
    let mut rng = stream(9, "edge-test", "arrivals");
    let mut times = Vec::new();
    let mut t = 0.0;
    while t < 2000.0 {
        let gap: f64 = Exp1.sample(&mut rng);
        t += gap / 40.0;
        if t % 1.7 < 0.3 {
            times.push(SimTime::from_nanos((t * 1e9) as u64));
        }
    }
    for limit in [3, 10] {
        let log = admitted_times(Algorithm::SlidingLog, limit, &times);
        assert!(most_in_one_second(&log) <= limit as usize);
        let fixed = admitted_times(Algorithm::FixedWindow, limit, &times);
        let worst = most_in_one_second(&fixed);
        assert!(
            worst > limit as usize && worst <= 2 * limit as usize,
            "{worst}"
        );
    }
}

#[test]
fn a_retry_at_once_is_refused_and_a_retry_after_the_retry_after_is_admitted() {
    // One client, Poisson 0.8/s, a bucket of 1 token refilled at 1/s, two attempts per request.
    // A retry sent at once finds the bucket as empty as the first attempt did, so only first
    // attempts succeed: availability is the M/D/1/1 admitted fraction 1 / (1 + 0.8) (the
    // immediate retries take no token). A retry that waits the Retry-After arrives when the
    // token is back, and fails only if another arrival took it first.
    let yaml = |honour: bool| {
        format!(
            r#"
seed: 8
run: {{duration: 20000s}}
traffic:
  - name: client
    to: limiter
    rate: 0.8/s
    clients: 1
    retry: {{attempts: 2, backoff: 0s, honour_retry_after: {honour}}}
components:
  - rate_limiter:
      name: limiter
      rules: [{{algorithm: token_bucket, limit: 1, per: 1s, burst: 1}}]
"#
        )
    };
    let at_once = run_yaml(&yaml(false));
    let availability = at_once.end_to_end.outcomes.availability();
    let n = at_once.end_to_end.outcomes.total() as f64;
    let theory = token_bucket_admitted_fraction(0.8, 1.0, 1);
    // Binomial standard error, inflated by 2 for the correlation between neighbours.
    let tolerance = Z * 2.0 * (theory * (1.0 - theory) / n).sqrt();
    println!(
        "| `a_retry_at_once_is_refused_and_a_retry_after_the_retry_after_is_admitted` | retries at once: availability = 1 / (1 + lambda / r), lambda 0.8/s, r 1/s | {theory:.4} | {availability:.4} | {:+.4} | ±{tolerance:.4} |",
        availability - theory
    );
    assert!((availability - theory).abs() < tolerance);
    // Honoured retries come back exactly when the token does; they fail only when a new arrival
    // or another refused request's retry (told the same instant) takes it first.
    let honoured = run_yaml(&yaml(true));
    let patient = honoured.end_to_end.outcomes.availability();
    println!("honouring Retry-After: availability {patient:.4}");
    assert!(
        patient > availability + 0.2,
        "honouring Retry-After: {patient}, at once: {availability}"
    );
}

#[test]
fn shared_counters_hold_the_limit_and_local_counters_overshoot_it() {
    // 10 clients at 12/s each; rule 4/s per client (sliding log: exact); 4 limiter nodes behind
    // a round-robin balancer. Shared: at most 4 per client per second, so at most
    // 10 x 4 x 60 + 10 x 4 admitted in 60 s. Local: each node sees 3/s per client, under 4/s.
    let yaml = |store: &str| {
        format!(
            r#"
seed: 12
run: {{duration: 60s}}
traffic:
  - {{name: users, to: lb, rate: 120/s, clients: 10}}
components:
  - load_balancer: {{name: lb, backends: [limiter]}}
  - rate_limiter:
      name: limiter
      instances: 4
      downstream: api
      {store}
      rules: [{{name: per-client, algorithm: sliding_log, limit: 4, key: client}}]
  - server: {{name: api, workers: 64, service_time: 5ms}}
  - server: {{name: redis, workers: 4, service_time: 100us}}
network:
  links:
    - {{between: [limiter, redis], latency: 1ms}}
"#
        )
    };
    let shared = run_yaml(&yaml("store: redis"));
    let limiter = component(&shared, "limiter");
    let admitted = figure(limiter, "admitted");
    assert!(admitted <= 10.0 * 4.0 * 61.0, "{admitted}");
    let decision = &limiter.figures_json()["decision_latency_ms"];
    assert!(
        decision["mean"].as_f64().expect("ms") >= 2.1,
        "two hops and the store"
    );

    let local = run_yaml(&yaml(""));
    let limiter = component(&local, "limiter");
    let admitted_locally = figure(limiter, "admitted");
    let shadow = figure(limiter, "shared_counter_would_admit");
    println!(
        "local counters: admitted {admitted_locally}, one shared counter {shadow}, overshoot {:.2}",
        figure(limiter, "overshoot")
    );
    assert!(
        admitted_locally > 2.0 * admitted,
        "{admitted_locally} vs {admitted}"
    );
    assert!(
        (shadow - admitted).abs() < 0.05 * admitted,
        "{shadow} vs {admitted}"
    );
    assert!(figure(limiter, "admitted_beyond_shared_limit") > 0.0);
}

/// The rendered errors of a scenario that must not load.
fn refusal(yaml: &str) -> String {
    match sim::scenario::load_str(yaml, "test.yaml", "test") {
        Ok(_) => panic!("the scenario loaded"),
        Err(e) => e.render(),
    }
}

const LIMITED: &str = r#"
run: {duration: 10s}
traffic:
  - {name: users, to: gateway, rate: 10/s, mix: {read: 1, upload: 1}}
components:
  - rate_limiter:
      name: gateway
      downstream: web
      rules:
        - RULE
  - server: {name: web, service_time: 5ms}
"#;

#[test]
fn rule_mistakes_are_located_and_explained() {
    let cases = [
        (
            "{algorithm: token_buckett, limit: 5}",
            "test.yaml:10:23: unknown rate-limiting algorithm 'token_buckett'",
            "did you mean 'token_bucket'?",
        ),
        (
            "{algorithm: fixed_window, limit: 5, burst: 10}",
            "test.yaml:10:54: 'burst' does not apply to fixed_window",
            "burst is the capacity",
        ),
        (
            "{algorithm: sliding_log, limit: 5, key: users}",
            "test.yaml:10:51: unknown rate-limit key 'users'",
            "expected one of: client, region, type, key, global",
        ),
        (
            "{algorithm: sliding_log, limit: 5, types: [uplaod]}",
            "request type 'uplaod' is not in any traffic mix",
            "did you mean 'upload'?",
        ),
        (
            "{algorithm: token_bucket, limit: 0}",
            "test.yaml:10:44: limit must be at least 1, got 0",
            "",
        ),
    ];
    for (rule, message, help) in cases {
        let text = refusal(&LIMITED.replace("RULE", rule));
        assert!(
            text.contains(message),
            "{rule}: expected {message:?} in\n{text}"
        );
        assert!(text.contains(help), "{rule}: expected {help:?} in\n{text}");
    }
    let two_leaky = LIMITED.replace(
        "        - RULE",
        "        - {algorithm: leaking_bucket, limit: 5}\n        - {name: b, algorithm: leaking_bucket, limit: 9}",
    );
    assert!(refusal(&two_leaky).contains("only one leaking_bucket rule"));
    let same_name = LIMITED.replace(
        "        - RULE",
        "        - {algorithm: fixed_window, limit: 5}\n        - {algorithm: fixed_window, limit: 9}",
    );
    assert!(refusal(&same_name).contains("two rules are named 'client-fixed_window'"));
    let no_store = LIMITED
        .replace("RULE", "{algorithm: fixed_window, limit: 5}")
        .replace(
            "downstream: web",
            "downstream: web\n      on_store_failure: closed",
        );
    assert!(refusal(&no_store).contains("on_store_failure only applies with a shared counter"));
    let slow = format!(
        "{}failures:\n  - {{at: 1s, slow: gateway, factor: 2x}}\n",
        LIMITED.replace("RULE", "{algorithm: fixed_window, limit: 5}")
    );
    assert!(refusal(&slow).contains("rate limiters and queues can only crash, not 'slow'"));
}

#[test]
fn a_limiter_inside_a_server_rejects_the_servers_requests() {
    // The web server checks a global fixed window of 20/s before calling the database: with 50/s
    // offered (constant arrivals, 5 per 100 ms), exactly 20 of each second's 50 pass.
    let result = run_yaml(
        r#"
seed: 1
run: {duration: 10s}
traffic:
  - {name: users, to: web, rate: 50/s, arrivals: constant}
components:
  - server: {name: web, workers: 64, service_time: 1ms, calls: [check, db]}
  - rate_limiter: {name: check, rules: [{algorithm: fixed_window, limit: 20, key: global}]}
  - server: {name: db, workers: 64, service_time: 1ms}
"#,
    );
    let check = component(&result, "check");
    assert_eq!(figure(check, "admitted"), 200.0);
    let db = component(&result, "db");
    assert_eq!(db.requests, 200);
    assert_eq!(result.end_to_end.outcomes.succeeded, 200);
    assert_eq!(
        result.end_to_end.outcomes.rejected,
        result.end_to_end.outcomes.total() - 200
    );

    // The server passes the limiter's Retry-After on: honouring clients get through.
    let yaml = |honour: bool| {
        format!(
            r#"
seed: 8
run: {{duration: 5000s}}
traffic:
  - name: client
    to: web
    rate: 0.8/s
    clients: 1
    retry: {{attempts: 2, backoff: 0s, honour_retry_after: {honour}}}
components:
  - server: {{name: web, workers: 8, service_time: 0s, calls: [check]}}
  - rate_limiter: {{name: check, rules: [{{algorithm: token_bucket, limit: 1, per: 1s, burst: 1}}]}}
"#
        )
    };
    let at_once = run_yaml(&yaml(false)).end_to_end.outcomes.availability();
    let patient = run_yaml(&yaml(true)).end_to_end.outcomes.availability();
    assert!(patient > at_once + 0.2, "{patient} vs {at_once}");
}

#[test]
fn a_leaking_bucket_forwards_at_its_rate_whatever_the_bursts() {
    // 30/s offered in bursts into a leaking bucket draining 10/s with room for 50: requests
    // leave at least 100 ms apart, so no 1 s window of the downstream pool sees more than 10,
    // and the queue is never idle long in this overload (admitted close to 10/s).
    let result = run_yaml(
        r#"
seed: 4
run: {duration: 300s}
traffic:
  - name: users
    to: shaper
    rate: 30/s
    spikes: [{at: 100s, duration: 20s, multiplier: 3x}]
components:
  - rate_limiter:
      name: shaper
      downstream: api
      rules: [{algorithm: leaking_bucket, limit: 10, per: 1s, burst: 50, key: global}]
  - server: {name: api, workers: 8, service_time: 1ms}
"#,
    );
    let api = component(&result, "api");
    let per_window: Vec<u64> = api.windows.rows().iter().map(|r| r.arrivals).collect();
    assert!(per_window.iter().all(|&n| n <= 10), "{per_window:?}");
    let forwarded: u64 = per_window.iter().sum();
    assert!((2950..=3000).contains(&forwarded), "{forwarded}");
    // A full queue of 50 at 10/s: the last admitted waits up to 5 s.
    let shaper = component(&result, "shaper");
    assert!(shaper.latency.max <= 5_000.0 + 2.0, "{:?}", shaper.latency);
    assert!(shaper.latency.max >= 4_800.0, "{:?}", shaper.latency);
}
