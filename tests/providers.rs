//! Third-party providers (push, SMS, email gateways) end to end: scenarios loaded from YAML,
//! built and run.
//!
//! - De-duplication by event id: with an idempotency key each event is delivered exactly once
//!   under retries caused by lost answers; without it the duplicates match the geometric-retry
//!   formula; a consumer-side check-then-send store removes the repeats of a queue redelivery
//!   but not those of a lost answer.
//! - The rate limit admits what its token bucket admits; `error_rate` within a binomial
//!   tolerance; an outage with a durable queue and enough attempts loses nothing.
//! - Bad input is refused with its location and a "did you mean".

mod common;

use common::{component, run_yaml};
use serde_json::Value;
use sim::model::ComponentReport;

fn count(report: &ComponentReport, key: &str) -> u64 {
    match report.figures_json().get(key) {
        Some(Value::Number(n)) => n.as_u64().unwrap_or_else(|| panic!("{key}: {n}")),
        other => panic!("{key}: {other:?}"),
    }
}

/// 2000 notification events go through a durable queue to a worker pool that calls the
/// provider. The provider delivers every call (no errors), but loses the answer of 20% of
/// them: the worker sees "failed", the queue redelivers (up to 50 attempts), the worker calls
/// again. Latency 20-80 ms and no timeout shorter than it: lost answers are the only cause of
/// retries.
fn lost_answers(dedup: &str) -> String {
    format!(
        r#"
seed: 5
run: {{requests: 2000}}
traffic:
  - {{name: events, to: jobs, rate: 100/s}}
components:
  - queue: {{name: jobs, consumer: workers, concurrency: 32, max_attempts: 50, retry_backoff: 50ms, max_retry_backoff: 200ms}}
  - server: {{name: workers, workers: 32, service_time: 1ms, calls: [push]}}
  - provider: {{name: push, latency: {{uniform: {{min: 20ms, max: 80ms}}}}, ack_loss: 20%, dedup: {dedup}}}
"#
    )
}

const EVENTS: u64 = 2000;
const ACK_LOSS: f64 = 0.2;

#[test]
fn without_dedup_lost_answers_cause_the_predicted_duplicates() {
    // Each attempt delivers, and its answer is lost with probability p independently, so the
    // attempts per event are geometric: P(k) = p^(k-1) (1-p), k = 1..M (M = 50, p^50 ~ 1e-35:
    // never reached). Duplicates per event = attempts - 1, mean p/(1-p) = 0.25, variance
    // p/(1-p)^2 = 0.3125. Over N = 2000 independent events: mean 500, sd sqrt(625) = 25;
    // tolerance 4 sd = 100.
    let result = run_yaml(&lost_answers("none"));
    let push = component(&result, "push");
    let n = EVENTS as f64;
    let expected = n * ACK_LOSS / (1.0 - ACK_LOSS);
    let sd = (n * ACK_LOSS / (1.0 - ACK_LOSS).powi(2)).sqrt();
    let duplicates = count(push, "duplicates") as f64;
    eprintln!(
        "dedup none: duplicates {duplicates}, expected {expected} ± {}",
        4.0 * sd
    );
    assert!(
        (duplicates - expected).abs() < 4.0 * sd,
        "duplicates {duplicates}, expected {expected} ± {}",
        4.0 * sd
    );
    assert_eq!(
        count(push, "unique_events"),
        EVENTS,
        "every event delivered"
    );
    assert_eq!(
        count(push, "delivered"),
        count(push, "unique_events") + count(push, "duplicates")
    );
    assert_eq!(count(push, "deduplicated"), 0);
    // Every lost answer caused one redelivery (none dead-lettered).
    let jobs = component(&result, "jobs");
    assert_eq!(count(jobs, "acknowledged"), EVENTS);
    assert_eq!(count(jobs, "redelivered"), count(push, "ack_lost"));
    assert_eq!(count(push, "duplicates"), count(push, "ack_lost"));
}

#[test]
fn an_idempotency_key_delivers_each_event_exactly_once_under_retries() {
    let result = run_yaml(&lost_answers("idempotency_key"));
    let push = component(&result, "push");
    assert_eq!(count(push, "delivered"), EVENTS);
    assert_eq!(count(push, "unique_events"), EVENTS);
    assert_eq!(count(push, "duplicates"), 0);
    // The retries still happen (the answers are still lost): the provider suppresses them.
    // Retries per event: geometric as above, mean 0.25 per event, 4 sd = 100 over 2000.
    let suppressed = count(push, "deduplicated") as f64;
    eprintln!(
        "idempotency_key: delivered {}, deduplicated {suppressed}",
        count(push, "delivered")
    );
    assert!(
        (suppressed - 500.0).abs() < 100.0,
        "deduplicated {suppressed}"
    );
    assert_eq!(count(component(&result, "jobs"), "acknowledged"), EVENTS);
}

#[test]
fn a_consumer_side_store_cannot_stop_duplicates_after_a_lost_answer() {
    // Check-then-send: the worker records an event as sent only when the provider's success
    // reaches it. A lost answer never reaches it, so the retry is sent again: the duplicates
    // are those of `dedup: none`, within the same tolerance (4 sd = 100 around 500).
    let result = run_yaml(&lost_answers("consumer"));
    let push = component(&result, "push");
    let duplicates = count(push, "duplicates") as f64;
    eprintln!("dedup consumer: duplicates {duplicates}");
    assert!(
        (duplicates - 500.0).abs() < 100.0,
        "duplicates {duplicates}"
    );
    assert_eq!(count(push, "duplicates"), count(push, "ack_lost"));
    assert_eq!(
        count(push, "deduplicated"),
        0,
        "nothing recorded was retried"
    );
}

/// Every delivery outlives the queue's visibility timeout: the provider answers after exactly
/// 200 ms, the queue gives up on the delivery after 150 ms and redelivers the message 500 ms
/// later. The worker itself still gets the provider's success at 200 ms.
fn slow_acknowledgements(dedup: &str) -> String {
    format!(
        r#"
seed: 6
run: {{requests: 300}}
traffic:
  - {{name: events, to: jobs, rate: 20/s}}
components:
  - queue: {{name: jobs, consumer: workers, concurrency: 50, visibility_timeout: 150ms, max_attempts: 3, retry_backoff: 500ms}}
  - server: {{name: workers, workers: 50, service_time: 0s, calls: [push]}}
  - provider: {{name: push, latency: 200ms, dedup: {dedup}}}
"#
    )
}

#[test]
fn a_consumer_side_store_removes_the_duplicates_of_a_queue_redelivery() {
    // Without dedup every attempt delivers and every attempt times out at the queue: each of
    // the 300 events is delivered max_attempts = 3 times, then dead-lettered.
    let none = run_yaml(&slow_acknowledgements("none"));
    let push = component(&none, "push");
    assert_eq!(count(push, "delivered"), 900);
    assert_eq!(count(push, "duplicates"), 600);
    assert_eq!(count(component(&none, "jobs"), "dead_lettered"), 300);
    // With a store of sent ids, the worker recorded the first send (its own call succeeded);
    // the redelivery 500 ms later finds it there and is acknowledged without sending.
    let consumer = run_yaml(&slow_acknowledgements("consumer"));
    let push = component(&consumer, "push");
    assert_eq!(count(push, "delivered"), 300);
    assert_eq!(count(push, "duplicates"), 0);
    assert_eq!(count(push, "deduplicated"), 300);
    let jobs = component(&consumer, "jobs");
    assert_eq!(count(jobs, "acknowledged"), 300);
    assert_eq!(count(jobs, "dead_lettered"), 0);
}

#[test]
fn the_rate_limit_admits_what_its_token_bucket_admits() {
    // Poisson arrivals at 200/s for 60 s against a bucket of 20 tokens refilled at 50/s. A
    // token bucket admits at most burst + r T = 20 + 3000 = 3020 over T. Offered at four times
    // the rate, the bucket never refills to full (that needs 0.4 s without an arrival:
    // probability e^-80), so no token is wasted; the tokens left unused at the end are below
    // 1 after the last admission plus the refill since the last arrival (r x a gap of mean
    // 5 ms), below 2 with overwhelming probability. So 3017 < admitted <= 3020.
    let result = run_yaml(
        r#"
seed: 8
run: {duration: 60s}
traffic:
  - {name: senders, to: sms, rate: 200/s}
components:
  - provider: {name: sms, latency: 10ms, rate_limit: {rate: 50/s, burst: 20}}
"#,
    );
    let sms = component(&result, "sms");
    let admitted = sms.requests - count(sms, "rate_limited");
    eprintln!("rate limit: admitted {admitted} of {}", sms.requests);
    assert!(
        (3018..=3020).contains(&admitted),
        "admitted {admitted} of {}",
        sms.requests
    );
    assert_eq!(sms.outcomes.rejected, count(sms, "rate_limited"));
    // Admitted calls are delivered 10 ms later: those admitted in the last 10 ms (at most
    // one token's refill, 0.5, plus what was left) are still in flight at the end.
    let delivered = count(sms, "delivered");
    assert!(
        delivered <= admitted && admitted - delivered <= 2,
        "{delivered}"
    );
}

#[test]
fn the_error_rate_fails_its_fraction_of_calls() {
    // Each accepted call fails with probability 0.1, independently: over N calls the failed
    // fraction has sd sqrt(0.1 x 0.9 / N) (N ~ 10000: 0.003); tolerance 4 sd.
    let result = run_yaml(
        r#"
seed: 9
run: {duration: 100s}
traffic:
  - {name: senders, to: email, rate: 100/s}
components:
  - provider: {name: email, latency: {exponential: 200ms}, error_rate: 10%}
"#,
    );
    let email = component(&result, "email");
    let n = (count(email, "errors") + count(email, "delivered")) as f64;
    let fraction = count(email, "errors") as f64 / n;
    let tolerance = 4.0 * (0.1 * 0.9 / n).sqrt();
    eprintln!("error rate: {fraction} over {n} calls, tolerance {tolerance}");
    assert!(
        (fraction - 0.1).abs() < tolerance,
        "failed fraction {fraction} over {n} calls, tolerance {tolerance}"
    );
    assert_eq!(count(email, "duplicates"), 0, "nobody retries");
}

#[test]
fn a_provider_outage_loses_no_message_with_a_durable_queue_and_enough_attempts() {
    // The SMS gateway is down from 10 s to 25 s. Messages wait in the durable queue and are
    // retried with back-off capped at 2 s: 30 attempts span far more than the outage.
    let result = run_yaml(
        r#"
seed: 10
run: {requests: 1500}
traffic:
  - {name: events, to: web, rate: 50/s}
components:
  - server: {name: web, workers: 8, service_time: 2ms, calls: [sms-queue]}
  - queue: {name: sms-queue, consumer: sms-workers, concurrency: 16, max_attempts: 30, retry_backoff: 250ms, max_retry_backoff: 2s}
  - server: {name: sms-workers, workers: 16, service_time: 1ms, calls: [sms], call_timeout: 3s}
  - provider: {name: sms, latency: {lognormal: {median: 300ms, p99: 1s}}}
failures:
  - {at: 10s, crash: sms, for: 15s}
"#,
    );
    let sms = component(&result, "sms");
    let queue = component(&result, "sms-queue");
    assert_eq!(count(queue, "published"), 1500);
    assert_eq!(count(queue, "acknowledged"), 1500, "every message sent");
    assert_eq!(count(queue, "dead_lettered"), 0);
    assert_eq!(count(queue, "lost"), 0);
    assert_eq!(count(sms, "unique_events"), 1500);
    assert!(count(sms, "failed_while_down") > 0, "the outage was felt");
    assert!(
        count(sms, "crashed_in_flight") > 0,
        "calls in progress failed"
    );
    assert_eq!(result.end_to_end.outcomes.succeeded, 1500);
}

// ---- bad input ----

const VALID: &str = "seed: 1
run: {duration: 10s}
traffic:
  - {name: events, to: workers, rate: 10/s}
components:
  - server: {name: workers, service_time: 1ms, calls: [push]}
  - provider:
      name: push
      latency: 50ms
      dedup: idempotency_key
";

/// Loads VALID with `from` replaced by `to`; returns the first error line and the helps.
fn rejected(from: &str, to: &str) -> (String, Vec<String>) {
    assert_eq!(VALID.matches(from).count(), 1, "{from}");
    let yaml = VALID.replace(from, to);
    let error = match sim::scenario::load_str(&yaml, "scenario.yaml", "test") {
        Ok(_) => panic!("accepted:\n{yaml}"),
        Err(e) => e.render(),
    };
    let first = error.lines().next().unwrap_or("").to_string();
    let helps = error
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("= help: "))
        .map(str::to_string)
        .collect();
    (first, helps)
}

#[test]
fn the_valid_provider_fixture_runs() {
    let result = run_yaml(VALID);
    assert!(count(component(&result, "push"), "delivered") > 0);
}

#[test]
fn an_unknown_dedup_mode_suggests_one() {
    let (first, helps) = rejected("dedup: idempotency_key", "dedup: idempotency");
    assert_eq!(
        first,
        "error: scenario.yaml:10:14: unknown dedup mode 'idempotency'"
    );
    assert_eq!(helps, ["did you mean 'idempotency_key'?"]);
}

#[test]
fn a_call_to_a_misspelt_provider_suggests_it() {
    let (first, helps) = rejected("calls: [push]", "calls: [psuh]");
    assert!(first.contains("'psuh' is not defined"), "{first}");
    assert_eq!(helps, ["did you mean 'push'?"]);
}

#[test]
fn an_ack_loss_of_one_is_refused() {
    let (first, helps) = rejected("latency: 50ms", "latency: 50ms\n      ack_loss: 100%");
    assert_eq!(
        first,
        "error: scenario.yaml:10:17: ack_loss must be below 100%, got 100%"
    );
    assert_eq!(
        helps,
        ["at 100% no call would ever succeed, and retries would never end"]
    );
}

#[test]
fn a_dedup_window_needs_an_idempotency_key() {
    let (first, _) = rejected(
        "dedup: idempotency_key",
        "dedup: consumer\n      dedup_window: 1h",
    );
    assert_eq!(
        first,
        "error: scenario.yaml:11:21: dedup_window only applies to dedup: idempotency_key"
    );
}

#[test]
fn a_rate_limit_needs_a_rate() {
    let (first, _) = rejected(
        "latency: 50ms",
        "latency: 50ms\n      rate_limit: {rate: 0/s}",
    );
    assert!(first.contains("rate_limit.rate must be above 0"), "{first}");
}

#[test]
fn an_unknown_provider_field_is_refused_with_its_location() {
    let (first, _) = rejected("latency: 50ms", "latency: 50ms\n      error_rte: 1%");
    assert!(first.starts_with("error: scenario.yaml:10:"), "{first}");
    assert!(first.contains("error_rte"), "{first}");
}

#[test]
fn every_error_is_reported_at_once() {
    let yaml = VALID.replace(
        "dedup: idempotency_key",
        "dedup: nope\n      error_rate: 150%\n      ack_loss: 1",
    );
    let Err(e) = sim::scenario::load_str(&yaml, "scenario.yaml", "test") else {
        panic!("accepted");
    };
    let text = e.render();
    assert!(text.contains("3 errors"), "{text}");
}

#[test]
fn the_notifications_case_study_holds_its_claims() {
    // The full eight-minute run takes about a second: `sim check` judges its assertions.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/case-studies/notifications.yaml");
    let out = common::sim()
        .current_dir(dir.path())
        .arg("check")
        .arg(&file)
        .output()
        .expect("sim runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
