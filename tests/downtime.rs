//! Downtime seen by the clients and time to recover per failure event.
//!
//! Requests are evenly spaced, one every g = 1/rate, each served in S without queueing, with no
//! network latency. A downtime starts at the first unsuccessful reply and ends at the first
//! success of a lasting run of successes (`RECOVERY_STREAK`).

mod common;

use common::run_yaml;
use serde_json::Value;

const GAP: f64 = 0.010; // 100 requests/s
const SERVICE: f64 = 0.001;

fn run(failure: &str, timeout: &str) -> Value {
    let yaml = format!(
        "run: {{duration: 30s}}
traffic:
  - {{name: users, to: web, rate: 100/s, arrivals: constant{timeout}}}
components:
  - server: {{name: web, service_time: 1ms}}
failures:
  - {failure}
"
    );
    sim::results::summarize::to_json(&run_yaml(&yaml))
}

fn within(x: f64, lo: f64, hi: f64) -> bool {
    x >= lo - 1e-9 && x <= hi + 1e-9
}

#[test]
fn a_crash_of_a_single_instance_pool_is_seen_as_downtime_of_its_length() {
    // Crash at C = 10.005 s for D = 5 s. The first request after C is refused at once: the
    // downtime starts within [C, C + g]. After the recovery at C + D the next request succeeds
    // and so do all later ones: it ends within [C + D, C + D + g + S]. So the observed downtime
    // is D within [-g, g + S], and the time to recover within [D, D + g + S].
    let (c, d) = (10.005, 5.0);
    let s = run("{at: 10.005s, crash: web, for: 5s}", "");
    let down = &s["downtime"];
    assert_eq!(down["count"], 1, "{down}");
    let interval = &down["intervals"][0];
    let start = interval["start_s"].as_f64().unwrap_or(f64::NAN);
    let end = interval["end_s"].as_f64().unwrap_or(f64::NAN);
    println!("crash [{c}, {}]: downtime [{start}, {end}]", c + d);
    assert!(within(start, c, c + GAP), "start {start}");
    assert!(within(end, c + d, c + d + GAP + SERVICE), "end {end}");
    let event = &s["failures"][0];
    let observed = event["observed_downtime_s"].as_f64().unwrap_or(f64::NAN);
    let ttr = event["time_to_recover_s"].as_f64().unwrap_or(f64::NAN);
    assert!(within(observed, d - GAP, d + GAP + SERVICE), "{observed}");
    assert!(within(ttr, d, d + GAP + SERVICE), "{ttr}");
    // Every refused request is counted in the interval: D / g of them, give or take one.
    let failed = interval["unsuccessful_requests"].as_u64().unwrap_or(0);
    assert!((499..=501).contains(&failed), "{failed}");
}

#[test]
fn timeouts_shift_the_observed_downtime_by_the_timeout() {
    // A partition from P = 10.005 s for D = 5 s with a client timeout T = 1 s: requests sent
    // across it fail only T after they left, so the downtime starts within [P + T, P + T + g].
    // Requests sent after P + D succeed at once, but the last ones sent across the partition
    // (before P + D) keep timing out until P + D + T, each one breaking the run of successes:
    // the downtime ends within [P + D + T - g, P + D + T + g]. Its length is still D within
    // 2 g, and the time to recover is D + T within g.
    let (p, d, t) = (10.005, 5.0, 1.0);
    let s = run(
        "{at: 10.005s, partition: [users, web], for: 5s}",
        ", timeout: 1s",
    );
    let interval = &s["downtime"]["intervals"][0];
    let start = interval["start_s"].as_f64().unwrap_or(f64::NAN);
    let end = interval["end_s"].as_f64().unwrap_or(f64::NAN);
    println!(
        "partition [{p}, {}] with timeout {t}: downtime [{start}, {end}]",
        p + d
    );
    assert!(within(start, p + t, p + t + GAP), "start {start}");
    assert!(within(end, p + d + t - GAP, p + d + t + GAP), "end {end}");
    assert_eq!(s["downtime"]["count"], 1);
    let ttr = s["failures"][0]["time_to_recover_s"]
        .as_f64()
        .unwrap_or(f64::NAN);
    assert!(within(ttr, d + t - GAP, d + t + GAP), "{ttr}");
}

#[test]
fn a_failure_that_clients_never_notice_has_no_downtime() {
    let s = run("{at: 10s, slow: web, factor: 2x, for: 5s}", "");
    assert_eq!(s["downtime"]["count"], 0);
    assert_eq!(s["failures"][0]["observed_downtime_s"], Value::Null);
    assert_eq!(s["failures"][0]["time_to_recover_s"], Value::Null);
}
