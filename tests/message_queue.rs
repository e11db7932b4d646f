//! The message queue end to end: scenarios loaded from YAML, built and run.
//!
//! - A durable queue with retries loses nothing across consumer crashes: every published message
//!   is acknowledged (at least once), redeliveries included.
//! - A non-durable queue's broker crash loses exactly the messages queued at that instant
//!   (a deterministic scenario where that number is known by hand); a durable one loses none.
//! - The dead-letter queue after `max_attempts`; the visibility timeout; scaling by backlog; the
//!   producer answering without waiting for the work.

mod common;

use common::{component, run_yaml};
use serde_json::Value;
use sim::model::{ComponentReport, WindowSeries};

fn count(report: &ComponentReport, key: &str) -> u64 {
    match report.figures_json().get(key) {
        Some(Value::Number(n)) => n.as_u64().unwrap_or_else(|| panic!("{key}: {n}")),
        other => panic!("{key}: {other:?}"),
    }
}

/// Every message published is accounted for exactly once.
fn assert_conserved(q: &ComponentReport) {
    assert_eq!(
        count(q, "published"),
        count(q, "acknowledged")
            + count(q, "dead_lettered")
            + count(q, "lost")
            + count(q, "forgotten_in_flight")
            + count(q, "stored_at_end"),
        "conservation of messages"
    );
}

#[test]
fn a_durable_queue_with_retries_loses_nothing_across_consumer_crashes() {
    // 3000 uploads; the workers crash (one instance for 10 s, then all for 5 s) while holding
    // messages. The run ends when every message is done (a request count, no duration).
    let result = run_yaml(
        r#"
seed: 11
run: {requests: 3000}
traffic:
  - {name: users, to: web, rate: 40/s}
components:
  - server: {name: web, workers: 8, service_time: 5ms, calls: [jobs]}
  - queue: {name: jobs, consumer: workers, concurrency: 8, max_attempts: 10, retry_backoff: 200ms}
  - server: {name: workers, instances: 2, workers: 4, service_time: {exponential: 150ms}}
failures:
  - {at: 10s, crash: "workers[0]", for: 10s}
  - {at: 30s, crash: workers, for: 5s}
"#,
    );
    let q = component(&result, "jobs");
    assert_eq!(count(q, "published"), 3000);
    assert_eq!(count(q, "acknowledged"), 3000, "every message processed");
    assert_eq!(count(q, "lost"), 0);
    assert_eq!(count(q, "dead_lettered"), 0);
    assert_eq!(count(q, "stored_at_end"), 0);
    assert!(
        count(q, "redelivered") > 0,
        "the crashes caused redeliveries"
    );
    assert_eq!(count(q, "redelivered"), count(q, "negative_acks"));
    assert_conserved(q);
    assert_eq!(result.end_to_end.outcomes.succeeded, 3000);
}

/// Uploads every 100 ms (constant arrivals, no latency anywhere); one consumer that takes exactly
/// 1 s per job. The broker crashes at 10.05 s: by then 100 messages were published (at 0.1 s,
/// 0.2 s, ..., 10.0 s), 9 acknowledged (the k-th at 0.1 + k s), the 10th is in flight (since
/// 9.1 s), so exactly 90 are queued.
const CRASH_SCENARIO: &str = r#"
seed: 2
run: {duration: 12s}
traffic:
  - {name: users, to: web, rate: 10/s, arrivals: constant}
components:
  - server: {name: web, workers: 4, service_time: 0s, calls: [jobs]}
  - queue: {name: jobs, consumer: workers, concurrency: 1, durable: DURABLE}
  - server: {name: workers, service_time: 1s}
failures:
  - {at: 10050ms, crash: jobs, for: 1s}
"#;

#[test]
fn a_broker_crash_loses_exactly_the_queued_messages_of_a_non_durable_queue() {
    let result = run_yaml(&CRASH_SCENARIO.replace("DURABLE", "false"));
    let q = component(&result, "jobs");
    assert_eq!(count(q, "lost"), 90);
    assert_eq!(count(q, "forgotten_in_flight"), 1);
    let lost = sim::results::summarize::lost(&result);
    assert_eq!(lost["queue_messages"], 90, "summary.json lost section");
    assert_conserved(q);
}

#[test]
fn a_durable_queue_keeps_its_messages_through_a_broker_crash() {
    let result = run_yaml(&CRASH_SCENARIO.replace("DURABLE", "true"));
    let q = component(&result, "jobs");
    assert_eq!(count(q, "lost"), 0);
    assert_eq!(count(q, "forgotten_in_flight"), 0);
    // The one in flight is delivered again after the recovery (at 11.05 s).
    assert_eq!(count(q, "redelivered"), 1);
    assert_conserved(q);
}

#[test]
fn messages_that_always_fail_are_dead_lettered_after_max_attempts() {
    let result = run_yaml(
        r#"
seed: 3
run: {requests: 200}
traffic:
  - {name: users, to: jobs, rate: 20/s}
components:
  - queue: {name: jobs, consumer: workers, max_attempts: 3, retry_backoff: 50ms}
  - server: {name: workers, workers: 4, service_time: 10ms}
failures:
  - {at: 0s, errors: workers, fraction: 100%}
"#,
    );
    let q = component(&result, "jobs");
    assert_eq!(count(q, "dead_lettered"), 200);
    assert_eq!(count(q, "redelivered"), 400, "two redeliveries each");
    assert_eq!(count(q, "acknowledged"), 0);
    assert_conserved(q);
}

#[test]
fn a_delivery_not_acknowledged_in_time_becomes_visible_again() {
    // Processing takes 2 s, the visibility timeout is 1 s: every delivery times out.
    let result = run_yaml(
        r#"
seed: 4
run: {requests: 50}
traffic:
  - {name: users, to: jobs, rate: 5/s}
components:
  - queue: {name: jobs, consumer: workers, visibility_timeout: 1s, max_attempts: 3, retry_backoff: 0s}
  - server: {name: workers, workers: 200, service_time: 2s}
"#,
    );
    let q = component(&result, "jobs");
    assert_eq!(count(q, "visibility_timeouts"), 150);
    assert_eq!(count(q, "dead_lettered"), 50);
    assert_conserved(q);
}

#[test]
fn consumers_scale_with_the_backlog_and_the_producer_does_not_wait() {
    let result = run_yaml(
        r#"
seed: 5
run: {duration: 120s}
traffic:
  - name: users
    to: web
    rate: 20/s
    spikes: [{at: 20s, duration: 20s, multiplier: 5x}]
components:
  - server: {name: web, workers: 16, service_time: 5ms, calls: [jobs]}
  - queue:
      name: jobs
      consumer: workers
      scaling: {min: 4, max: 30, backlog_per_consumer: 20, interval: 2s, startup: 5s}
  - server: {name: workers, instances: 10, workers: 3, service_time: 150ms}
"#,
    );
    let q = component(&result, "jobs");
    assert_eq!(
        count(q, "consumers_peak"),
        30,
        "scaled to the maximum in the burst"
    );
    let mean = q.figures_json()["consumers_mean"]
        .as_f64()
        .expect("a number");
    assert!(mean > 4.0 && mean < 30.0, "{mean}");
    // Uploads take the web tier's 5 ms; processing waits in the backlog far longer.
    assert!(
        result.end_to_end.latency.p99 < 10.0,
        "{:?}",
        result.end_to_end.latency
    );
    assert!(q.latency.p99 > 1000.0, "{:?}", q.latency);
}

#[test]
fn queue_mistakes_are_located_and_explained() {
    let base = r#"
run: {duration: 10s}
traffic:
  - {name: users, to: jobs, rate: 10/s}
components:
  - queue: {name: jobs, consumer: WORKERS}
  - server: {name: workers, service_time: 5ms}
"#;
    let refusal = |yaml: &str| match sim::scenario::load_str(yaml, "test.yaml", "test") {
        Ok(_) => panic!("the scenario loaded:\n{yaml}"),
        Err(e) => e.render(),
    };
    let text = refusal(&base.replace("WORKERS", "wokers"));
    assert!(
        text.contains("test.yaml:6:35: consumer 'wokers' is not defined"),
        "{text}"
    );
    assert!(text.contains("did you mean 'workers'?"), "{text}");
    let both = base.replace(
        "consumer: WORKERS}",
        "consumer: workers, concurrency: 4, scaling: {min: 1, max: 4, backlog_per_consumer: 10}}",
    );
    assert!(refusal(&both).contains("either a fixed 'concurrency' or 'scaling'"));
    let inverted = base.replace(
        "consumer: WORKERS}",
        "consumer: workers, scaling: {min: 8, max: 4, backlog_per_consumer: 10}}",
    );
    assert!(refusal(&inverted).contains("scaling.max (4) is below scaling.min (8)"));
    let errors = format!(
        "{}failures:\n  - {{at: 1s, errors: jobs, fraction: 10%}}\n",
        base.replace("WORKERS", "workers")
    );
    assert!(refusal(&errors).contains("can only crash, not 'errors'"));
    let cycle = base
        .replace("WORKERS", "workers")
        .replace("service_time: 5ms}", "service_time: 5ms, calls: [jobs]}");
    assert!(refusal(&cycle).contains("calls form a cycle"));
}

#[test]
fn failed_messages_come_back_after_a_doubling_back_off() {
    // One message, published at 1 s (the first constant arrival); every delivery fails at once
    // (injected errors), back-off 1 s doubling, 3 attempts: deliveries at 1 s, 2 s and 4 s, and
    // the dead letter at 4 s. Windows of 1 s show when.
    let result = run_yaml(
        r#"
seed: 1
run: {requests: 1}
traffic:
  - {name: users, to: jobs, rate: 1/s, arrivals: constant}
components:
  - queue: {name: jobs, consumer: workers, max_attempts: 3, retry_backoff: 1s}
  - server: {name: workers, service_time: 10ms}
failures:
  - {at: 0s, errors: workers, fraction: 100%}
"#,
    );
    let q = component(&result, "jobs");
    assert_eq!(count(q, "dead_lettered"), 1);
    let rows = |name: &str| -> Vec<f64> {
        match q.extra_windows.iter().find(|(n, _)| n == name) {
            Some((_, WindowSeries::Count(w))) => w.rows()[..5].to_vec(),
            _ => panic!("no series {name}"),
        }
    };
    assert_eq!(rows("redelivered"), [0.0, 0.0, 1.0, 0.0, 1.0]);
    assert_eq!(rows("dead_lettered"), [0.0, 0.0, 0.0, 0.0, 1.0]);
}
