//! Active health checks: how long a balancer takes to notice a dead backend, and a live one.
//!
//! Probes leave every `interval` I; a probe to a dead instance is not answered and fails after
//! `timeout` T; `unhealthy` u consecutive failures mark the backend down. The first probe after
//! a crash leaves within (0, I] of it, so the u-th failure, and the detection, comes
//! (u - 1) I + T after that first probe: detection takes between (u - 1) I + T (exclusive) and
//! u I + T (inclusive). After a recovery, probes succeed at once, and `healthy` h successes take
//! between (h - 1) I and h I.

mod common;

use common::{component, run_yaml};

fn health_events(crash_at: f64, recover_at: f64) -> Vec<(f64, String)> {
    let yaml = format!(
        "run: {{duration: 60s}}
traffic:
  - {{name: users, to: lb, rate: 20/s}}
components:
  - load_balancer:
      name: lb
      backends: [web]
      health: {{enabled: false, interval: 2s, timeout: 500ms, unhealthy: 3, healthy: 2}}
  - server: {{name: web, instances: 2, workers: 4, service_time: 5ms}}
failures:
  - {{at: {crash_at}s, crash: 'web[0]', for: {}s}}
",
        recover_at - crash_at
    );
    let result = run_yaml(&yaml);
    let lb = component(&result, "lb");
    lb.figures_json()["health_events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["instance"] == 0)
        .map(|e| {
            (
                e["time_s"].as_f64().unwrap_or(f64::NAN),
                e["state"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn detection_and_recovery_times_are_within_their_bounds() {
    let (interval, timeout, unhealthy, healthy) = (2.0, 0.5, 3.0, 2.0);
    for crash_at in [10.3, 11.0, 11.999, 12.0, 13.95] {
        let recover_at = crash_at + 20.0;
        let events = health_events(crash_at, recover_at);
        assert_eq!(events.len(), 2, "down then up: {events:?}");
        let detection = events[0].0 - crash_at;
        assert_eq!(events[0].1, "unhealthy");
        assert!(
            detection > (unhealthy - 1.0) * interval + timeout - 1e-9
                && detection <= unhealthy * interval + timeout + 1e-9,
            "crash at {crash_at}: detected after {detection}"
        );
        let readmission = events[1].0 - recover_at;
        assert_eq!(events[1].1, "healthy");
        assert!(
            readmission > (healthy - 1.0) * interval - 1e-9
                && readmission <= healthy * interval + 1e-9,
            "recovery at {recover_at}: readmitted after {readmission}"
        );
    }
}

#[test]
fn traffic_avoids_the_backend_once_it_is_marked_down() {
    let yaml = "run: {duration: 60s}
traffic:
  - {name: users, to: lb, rate: 50/s}
components:
  - load_balancer:
      name: lb
      backends: [web]
      health: {enabled: false, interval: 1s, timeout: 200ms, unhealthy: 2}
  - server: {name: web, instances: 2, workers: 4, service_time: 5ms}
failures:
  - {at: 10s, crash: 'web[1]'}
";
    let result = run_yaml(yaml);
    // Detection takes at most 2 * 1 s + 0.2 s; round robin sends half the traffic (25/s) to the
    // dead instance until then, so at most ~55 requests fail, and none after.
    let failed = result.end_to_end.outcomes.failed;
    assert!(failed > 0 && failed <= 60, "failed {failed}");
    let late_failures: u64 = result.end_to_end_windows.rows()[15..]
        .iter()
        .map(|w| w.outcomes.failed)
        .sum();
    assert_eq!(late_failures, 0);
}

#[test]
fn a_health_event_names_the_backend_pool_not_only_its_instance() {
    // Two pools of one instance each: both are instance 0 of their pool, so only the pool's
    // name tells which one the balancer marked down.
    let yaml = "run: {duration: 30s}
traffic:
  - {name: users, to: lb, rate: 20/s}
components:
  - load_balancer:
      name: lb
      backends: [cpu1, cpu2]
      health: {enabled: false, interval: 1s, timeout: 200ms, unhealthy: 2, healthy: 2}
  - server: {name: cpu1, workers: 4, service_time: 5ms}
  - server: {name: cpu2, workers: 4, service_time: 5ms}
failures:
  - {at: 10s, crash: cpu2, for: 10s}
";
    let result = run_yaml(yaml);
    let lb = component(&result, "lb");
    let events: Vec<(String, u64, u64, String)> = lb.figures_json()["health_events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["backend"].as_str().unwrap_or("").to_string(),
                e["group"].as_u64().unwrap_or(99),
                e["instance"].as_u64().unwrap_or(99),
                e["state"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("cpu2".to_string(), 0, 0, "unhealthy".to_string()),
            ("cpu2".to_string(), 0, 0, "healthy".to_string()),
        ]
    );
}
