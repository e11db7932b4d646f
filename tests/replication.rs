//! The replicated database end to end: scenarios loaded from YAML, built and run.
//!
//! - Stale reads: none under synchronous replication; under asynchronous replication with a
//!   constant lag L, the stale fraction of replica reads against `1 - exp(-w L)` and growing
//!   with L.
//! - Failover: the acknowledged writes lost when the master crashes equal an exact count of the
//!   writes inside the replication window, computed independently from the arrival times;
//!   writes fail while no master is up, and that count is exact too.
//! - Load sharing: replicas picked at random are independent M/M/1 queues (Poisson thinning):
//!   per-replica shares, utilisations and the mean response time against theory.
//!
//! Run with `--nocapture` for the rows of docs/validation.md.

mod common;

use common::{component, run_yaml};
use serde_json::Value;
use sim::model::ComponentReport;

/// Four and a half standard errors: a false alarm about once in 150,000 checks.
const Z: f64 = 4.5;

fn figure(report: &ComponentReport, key: &str) -> f64 {
    match report.figures_json().get(key) {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        other => panic!("{key}: {other:?}"),
    }
}

/// Reads from two replicas (round robin) and writes, Poisson, uniform over `keys` keys; the
/// database answers in constant times and has no queueing (plenty of connections); no network
/// latency.
fn stale_scenario(replication: &str, lag: &str, keys: u64) -> String {
    format!(
        "
name: stale
seed: 5
run: {{duration: 200s, warmup: 5s}}
traffic:
  - {{name: users, to: db, rate: 1000/s, mix: {{read: 4, write: 1}}, keys: {{count: {keys}}}}}
components:
  - database:
      name: db
      replicas: 2
      connections: 1000
      read_time: 1ms
      write_time: 1ms
      replication: {replication}
      lag: {lag}
"
    )
}

/// A read at time t from a replica is stale exactly when a write of its key was acknowledged in
/// (t - L, t] (acknowledged at the master at a, applied at a + L). Writes of one key are a
/// Poisson process of rate w = W / K, independent of the reads, so by PASTA the stale fraction
/// is P(at least one write in a window of length L) = 1 - exp(-w L).
///
/// Standard error: R reads, each stale with probability p; reads of one key less than L apart
/// share their state, which inflates the binomial variance by at most 1 + 2 r L (r = reads per
/// key per second): SE = sqrt(p (1 - p) (1 + 2 r L) / R).
#[test]
fn stale_reads_match_the_replication_window_and_vanish_with_sync() {
    let keys = 100u64;
    let (reads_per_s, writes_per_s) = (800.0, 200.0);
    let w = writes_per_s / keys as f64;
    let r = reads_per_s / keys as f64;
    let mut previous = 0.0;
    for lag_ms in [10.0, 50.0, 100.0] {
        let result = run_yaml(&stale_scenario("async", &format!("{lag_ms}ms"), keys));
        let db = component(&result, "db");
        let reads = figure(db, "reads");
        let stale = figure(db, "stale_reads");
        let observed = stale / reads;
        let l = lag_ms / 1000.0;
        let expected = 1.0 - (-w * l).exp();
        let se = (expected * (1.0 - expected) * (1.0 + 2.0 * r * l) / reads).sqrt();
        println!(
            "| async replication, constant lag {lag_ms} ms, {w} writes/s per key | stale fraction of replica reads | {observed:.4} | 1 - exp(-wL) = {expected:.4} | {:.4} ({Z} SE) |",
            Z * se
        );
        assert!(
            (observed - expected).abs() < Z * se,
            "lag {lag_ms} ms: stale fraction {observed} vs {expected} (SE {se})"
        );
        assert!(observed > previous, "more lag must give more stale reads");
        previous = observed;
    }
    for mode in ["sync", "semi_sync"] {
        // Semi-synchronous with one replica up would be synchronous; with two, the other
        // replica may lag, so only sync guarantees fresh replica reads.
        let result = run_yaml(&stale_scenario(mode, "{exponential: 50ms}", keys));
        let db = component(&result, "db");
        let stale = figure(db, "stale_reads");
        if mode == "sync" {
            assert_eq!(
                stale, 0.0,
                "synchronous replication never serves a stale read"
            );
            // Every write waited for the slower of two replicas: E[max of two Exp(50ms)] = 75ms.
            let writes = &result.request_types[1].1;
            assert!(writes.latency.mean > 70.0, "{}", writes.latency.mean);
        } else {
            assert!(stale > 0.0, "semi-sync: the second replica still lags");
        }
    }
}

/// Writes only, one every 10 ms exactly (constant arrivals: the k-th at k x 10 ms), a constant
/// write time of 1 ms and a constant lag of 95 ms; the master crashes at 10.0005 s (no ties).
fn failover_scenario(replicas: u32) -> String {
    format!(
        "
name: failover
seed: 3
run: {{duration: 20s}}
traffic:
  - {{name: users, to: db, rate: 100/s, arrivals: constant, mix: {{write: 1}}, keys: {{count: 1000}}}}
components:
  - database:
      name: db
      replicas: {replicas}
      connections: 10
      read_time: 1ms
      write_time: 1ms
      replication: async
      lag: 95ms
      failover_detection: 1s
      failover_promotion: 500ms
failures:
  - {{at: 10000500us, crash: db}}
"
    )
}

#[test]
fn failover_loses_exactly_the_writes_in_the_replication_window() {
    let (interval, write_time, lag, crash) = (0.010, 0.001, 0.095, 10.0005);
    let (detection, promotion) = (1.0, 0.5);
    // Independent reference from the arrival times t_k = k x 10 ms: the write is applied and
    // acknowledged at a = t_k + 1 ms and reaches the replicas at a + 95 ms. It is lost when
    // a <= crash < a + lag; it is in service (failed, not acknowledged) when
    // t_k <= crash < a; it fails for want of a master when crash < t_k < promotion time.
    let promoted_at = crash + detection + promotion;
    let (mut lost, mut in_service, mut no_master) = (0u64, 0u64, 0u64);
    for k in 1..2000u64 {
        let t = k as f64 * interval;
        let a = t + write_time;
        if a <= crash && crash < a + lag {
            lost += 1;
        } else if t <= crash && crash < a {
            in_service += 1;
        } else if crash < t && t < promoted_at {
            no_master += 1;
        }
    }
    assert_eq!((lost, in_service, no_master), (9, 1, 150));
    for replicas in [1, 2] {
        let result = run_yaml(&failover_scenario(replicas));
        let db = component(&result, "db");
        assert_eq!(db.lost.get("unreplicated_writes"), Some(&lost));
        assert_eq!(
            db.lost.get("requests_in_crashed_instances"),
            Some(&in_service)
        );
        assert_eq!(figure(db, "writes_failed_no_master"), no_master as f64);
        let figures = db.figures_json();
        let Some(Value::Array(failovers)) = figures.get("failovers") else {
            panic!("no failovers");
        };
        let f = &failovers[0];
        assert_eq!(f["crashed_at_s"].as_f64(), Some(crash));
        assert_eq!(f["detected_at_s"].as_f64(), Some(crash + detection));
        assert_eq!(f["promoted_at_s"].as_f64(), Some(promoted_at));
        assert_eq!(f["new_master"], "db[1]");
        assert_eq!(f["lost_writes"].as_u64(), Some(lost));
        // After the promotion every write succeeds again.
        let writes = &result.end_to_end;
        assert_eq!(
            writes.outcomes.failed,
            in_service + no_master,
            "only the crashed and masterless writes fail"
        );
        println!(
            "| failover, constant writes 100/s, lag 95 ms, {replicas} replica(s) | acknowledged writes lost | {} | {lost} (exact count in the window) | exact |",
            db.lost["unreplicated_writes"]
        );
    }
}

#[test]
fn semi_sync_loses_no_acknowledged_write() {
    let yaml = failover_scenario(2).replace("replication: async", "replication: semi_sync");
    let result = run_yaml(&yaml);
    let db = component(&result, "db");
    assert_eq!(db.lost.get("unreplicated_writes"), Some(&0));
    // The writes waiting for a replica when the master died were never acknowledged: their
    // writers were told they failed.
    assert!(figure(db, "writes_failed_no_master") > 0.0);
}

/// Reads only, Poisson at 150/s, three replicas picked at random, one connection each,
/// exponential read times of mean 10 ms: random choice thins the Poisson stream, so each
/// replica is an M/M/1 queue with lambda = 50/s, mu = 100/s, rho = 0.5.
#[test]
fn replicas_share_reads_as_independent_mm1_queues() {
    let duration = 400.0;
    let yaml = format!(
        "
name: share
seed: 9
run: {{duration: {duration}s, warmup: 10s}}
traffic:
  - {{name: users, to: db, rate: 150/s, mix: {{read: 1}}}}
components:
  - database:
      name: db
      replicas: 3
      connections: 1
      read_time: {{exponential: 10ms}}
      balance: random
"
    );
    let result = run_yaml(&yaml);
    let db = component(&result, "db");
    let (lambda, mu) = (50.0, 100.0);
    let rho: f64 = lambda / mu;
    let measured = duration - 10.0;
    let figures = db.figures_json();
    let Some(Value::Array(nodes)) = figures.get("nodes") else {
        panic!("no nodes");
    };
    let total = db.requests as f64;
    for node in &nodes[1..] {
        let requests = node["requests"].as_f64().unwrap_or(0.0);
        // Binomial(total, 1/3).
        let se = (total / 3.0 * 2.0 / 3.0).sqrt();
        assert!((requests - total / 3.0).abs() < Z * se, "{node}");
        // Busy time = sum of the service times of N ~ Poisson(lambda T) requests: a compound
        // Poisson sum with variance lambda T E[S^2] = 2 lambda T / mu^2.
        let utilization = node["utilization"].as_f64().unwrap_or(0.0);
        let se = (2.0 * lambda * measured).sqrt() / (mu * measured);
        println!(
            "| 3 replicas, random choice, M/M/1 each at rho 0.5 | utilisation of {} | {utilization:.4} | {rho} | {:.4} ({Z} SE) |",
            node["node"],
            Z * se
        );
        assert!((utilization - rho).abs() < Z * se, "{node}");
    }
    assert_eq!(
        nodes[0]["requests"].as_u64(),
        Some(0),
        "the master serves no reads"
    );
    // Mean response time of M/M/1: 1 / (mu - lambda) = 20 ms. Over n requests from three
    // independent queues its standard error is sqrt(sigma_T^2 / n) with the asymptotic
    // variance sigma_T^2 = (1 + rho)^2 / (mu^2 (1 - rho)^4) (derived in
    // tests/queueing_theory.rs).
    let expected_ms = 1000.0 / (mu - lambda);
    let sigma2 = (1.0 + rho).powi(2) / (mu * mu * (1.0 - rho).powi(4));
    let se_ms = (sigma2 / total).sqrt() * 1000.0;
    println!(
        "| 3 replicas, random choice, M/M/1 each at rho 0.5 | mean response time [ms] | {:.3} | {expected_ms} | {:.3} ({Z} SE) |",
        db.latency.mean,
        Z * se_ms
    );
    assert!(
        (db.latency.mean - expected_ms).abs() < Z * se_ms,
        "{} vs {expected_ms} (SE {se_ms})",
        db.latency.mean
    );
}

#[test]
fn reads_go_to_the_master_when_asked_or_when_no_replica_is_up() {
    let yaml = "
name: reads
run: {duration: 20s}
traffic:
  - {name: users, to: db, rate: 100/s, mix: {read: 9, write: 1}}
components:
  - database: {name: db, replicas: 2, connections: 4, read_time: 1ms, reads: master}
";
    let result = run_yaml(yaml);
    let db = component(&result, "db");
    let figures = db.figures_json();
    let Some(Value::Array(nodes)) = figures.get("nodes") else {
        panic!("no nodes");
    };
    assert_eq!(nodes[1]["requests"].as_u64(), Some(0));
    assert_eq!(figure(db, "stale_reads"), 0.0);
    // Both replicas down from 5 s: reads fall back to the master and still succeed.
    let yaml = yaml.replace("reads: master", "reads: replicas")
        + "failures:\n  - {at: 5s, crash: 'db[1]'}\n  - {at: 5s, crash: 'db[2]'}\n";
    let result = run_yaml(&yaml);
    let db = component(&result, "db");
    assert_eq!(result.end_to_end.outcomes.failed, 0);
    let figures = db.figures_json();
    let Some(Value::Array(nodes)) = figures.get("nodes") else {
        panic!("no nodes");
    };
    assert!(nodes[0]["reads"].as_u64().unwrap_or(0) > 1000);
}

#[test]
fn database_errors_are_located_and_suggest_names() {
    let yaml = "
name: bad
run: {duration: 1s}
traffic:
  - {name: users, to: db, rate: 10/s}
components:
  - database: {name: db, read_time: 1ms, replication: asyncc, balance: fastest, replicas: 2}
failures:
  - {at: 1s, crash: 'db[3]'}
";
    let Err(e) = sim::scenario::load_str(yaml, "bad.yaml", "bad") else {
        panic!("must not load");
    };
    let text = e.render();
    assert!(text.contains("unknown replication mode 'asyncc'"), "{text}");
    assert!(text.contains("did you mean 'async'"), "{text}");
    assert!(text.contains("unknown replica choice 'fastest'"), "{text}");
    assert!(text.contains("there is no [3]"), "{text}");
    assert!(text.contains("bad.yaml:7:"), "{text}");
}

/// Synchronous writes wait for every replica that is up: when the replicas crash, the writes
/// waiting for them are answered at once, and later writes need no acknowledgement.
#[test]
fn sync_writes_waiting_for_crashed_replicas_are_released() {
    let yaml = "
name: sync
run: {duration: 20s}
traffic:
  - {name: users, to: db, rate: 10/s, arrivals: constant, mix: {write: 1}}
components:
  - database: {name: db, replicas: 2, connections: 100, read_time: 1ms, replication: sync, lag: 1s}
failures:
  - {at: 5000500us, crash: 'db[1]'}
  - {at: 5000500us, crash: 'db[2]'}
";
    let result = run_yaml(yaml);
    let e2e = &result.end_to_end;
    assert_eq!(e2e.outcomes.failed, 0);
    assert_eq!(e2e.outcomes.succeeded, 199);
    // Writes before 4 s waited the full 1 s lag (plus 1 ms); those in flight at the crash
    // less; the 150 after it, 1 ms.
    assert!(e2e.latency.max < 1001.5, "{}", e2e.latency.max);
    assert!(e2e.latency.p50 < 1.1, "{}", e2e.latency.p50);
}

#[test]
fn an_unknown_replication_mode_is_pointed_at_exactly() {
    let yaml = "name: bad
run: {duration: 1s}
traffic:
  - {name: users, to: db, rate: 10/s}
components:
  - database: {name: db, read_time: 1ms, replication: asyncc}
";
    let Err(e) = sim::scenario::load_str(yaml, "bad.yaml", "bad") else {
        panic!("must not load");
    };
    assert_eq!(
        e.render(),
        "error: bad.yaml:6:55: unknown replication mode 'asyncc'
  |
6 |   - database: {name: db, read_time: 1ms, replication: asyncc}
  |                                                       ^
  = help: did you mean 'async'?
"
    );
}

/// The ratio estimator `sum y / sum x` over 40 batches of consecutive windows from `first`, and
/// its batch-means standard error `SE^2 = sum (y_b - R x_b)^2 / ((B - 1) B xbar^2)` (as in
/// tests/queueing_theory.rs).
fn ratio_batch_means(
    y: &sim::stats::Windows<f64>,
    x: &sim::stats::Windows<f64>,
    first: usize,
) -> (f64, f64) {
    const BATCHES: usize = 40;
    let n = x.rows().len().saturating_sub(first);
    assert!(n >= 4 * BATCHES, "only {n} windows");
    let mut batches = vec![(0.0, 0.0); BATCHES];
    for k in 0..n {
        let b = k * BATCHES / n;
        batches[b].0 += y.rows().get(first + k).copied().unwrap_or(0.0);
        batches[b].1 += x.rows()[first + k];
    }
    let (sy, sx) = batches
        .iter()
        .fold((0.0, 0.0), |(a, b), (y, x)| (a + y, b + x));
    let r = sy / sx;
    let xbar = sx / BATCHES as f64;
    let b = BATCHES as f64;
    let ss: f64 = batches.iter().map(|(y, x)| (y - r * x).powi(2)).sum();
    (r, (ss / ((b - 1.0) * b * xbar * xbar)).sqrt())
}

/// Writes at 80/s (Poisson), applied by the master in a constant 1 ms, reach the replica a
/// constant 50 ms later: Poisson arrivals at its applier, which replays each in a constant
/// 10 ms. The applier is an M/D/1 queue at rho = 0.8, so the observed lag is
/// 50 ms + Wq + 10 ms with the Pollaczek-Khinchine mean Wq = rho D / (2 (1 - rho)) = 20 ms.
#[test]
fn a_replica_applier_is_an_md1_queue() {
    let yaml = "
name: applier
seed: 8
run: {duration: 2000s, warmup: 20s}
traffic:
  - {name: users, to: db, rate: 80/s, mix: {write: 1}}
components:
  - database:
      name: db
      replicas: 1
      connections: 100
      read_time: 1ms
      lag: 50ms
      apply_time: 10ms
";
    let result = run_yaml(yaml);
    let db = component(&result, "db");
    let Some((_, sim::model::WindowSeries::Ratio(lag, applies))) = db
        .extra_windows
        .iter()
        .find(|(n, _)| n == "replication_lag_ms")
    else {
        panic!("no replication_lag_ms series");
    };
    let (observed, se) = ratio_batch_means(lag, applies, 20);
    let (rho, d) = (0.8, 10.0);
    let expected = 50.0 + rho * d / (2.0 * (1.0 - rho)) + d;
    println!(
        "| replica applier M/D/1, rho 0.8, D 10 ms, lag 50 ms | mean observed lag [ms] | {observed:.3} | 50 + Wq + D = {expected} | {:.3} ({Z} SE, batch means) |",
        Z * se
    );
    assert!(
        (observed - expected).abs() < Z * se,
        "{observed} vs {expected} (SE {se})"
    );
    // Above 1 / apply_time writes per second the replica falls behind for good.
    let overloaded = run_yaml(
        &yaml
            .replace("rate: 80/s", "rate: 120/s")
            .replace("duration: 2000s", "duration: 60s"),
    );
    let db = component(&overloaded, "db");
    let max_lag = db.figures_json()["replication_lag_ms"]["max"]
        .as_f64()
        .unwrap_or(0.0);
    // 120 writes/s against 100 replayed per second: 20 writes/s pile up, about 0.2 s of lag
    // more every second, some 10 s after 60 s.
    assert!(max_lag > 5000.0, "{max_lag}");
}
