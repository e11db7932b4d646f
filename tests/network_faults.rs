//! Network faults from the failure schedule: partitions drop messages, added latency delays
//! them, and both end on time.

mod common;

use common::run_yaml;

fn scenario(fault: &str) -> String {
    // Evenly spaced requests every 100 ms from t = 0.1 s, served in 1 ms, no link latency. The
    // fault lasts from 10.05 s to 15.05 s, so exactly the 50 requests sent at 10.1 .. 15.0 s
    // cross it; the others never meet it (each is answered 1 ms after it is sent).
    format!(
        "run: {{duration: 30.05s}}
traffic:
  - {{name: users, to: web, rate: 10/s, arrivals: constant, timeout: 1s}}
components:
  - server: {{name: web, workers: 4, service_time: 1ms}}
failures:
  - {{at: 10.05s, for: 5s, {fault}}}
"
    )
}

#[test]
fn a_partition_drops_exactly_the_messages_sent_across_it() {
    let r = run_yaml(&scenario("partition: [users, web]"));
    let o = r.end_to_end.outcomes;
    assert_eq!(o.total(), 300);
    assert_eq!(
        o.timed_out, 50,
        "every request sent across the partition times out"
    );
    assert_eq!(o.succeeded, 250);
    let summary = sim::results::summarize::to_json(&r);
    assert_eq!(summary["lost"]["messages_dropped_by_partitions"], 50);
    let failure = &summary["failures"][0];
    assert_eq!(failure["kind"], "partition");
    assert_eq!(failure["target"], "users | web");
    // The server never saw the dropped calls.
    let web = common::component(&r, "web");
    assert_eq!(web.requests, 250);
}

#[test]
fn added_latency_delays_both_directions_while_it_lasts() {
    let r = run_yaml(&scenario("latency: [[users], [web]], add: 200ms"));
    let o = r.end_to_end.outcomes;
    assert_eq!(o.succeeded, 300);
    // The delay applies to messages sent while it lasts. Requests sent at 10.1 .. 14.8 s take
    // 200 ms out + 1 ms of service + 200 ms back; those sent at 14.9 and 15.0 s arrive after
    // 15.05 s, so their replies come back at once (201 ms); the other 250 take 1 ms.
    let l = r.end_to_end.latency;
    assert!((l.max - 401.0).abs() < 1e-6, "max {}", l.max);
    let mean = (250.0 * 1.0 + 48.0 * 401.0 + 2.0 * 201.0) / 300.0;
    assert!((l.mean - mean).abs() < 1e-6, "mean {} vs {mean}", l.mean);
}

#[test]
fn a_partition_between_groups_spares_traffic_within_a_side() {
    // web calls db; the partition cuts {web} from {db, cache}: every request that needs db
    // fails through web's own timeout, while the users -> web hop keeps working.
    let r = run_yaml(
        "run: {duration: 20s}
traffic:
  - {name: users, to: web, rate: 10/s, arrivals: constant, timeout: 5s}
components:
  - server: {name: web, workers: 100, service_time: 1ms, calls: [db], timeout: 500ms}
  - server: {name: db, workers: 4, service_time: 1ms}
  - cache: {name: cache, backing: db}
failures:
  - {at: 5.05s, for: 2s, partition: [web, [db, cache]]}
",
    );
    let o = r.end_to_end.outcomes;
    assert_eq!(o.timed_out, 20, "{o:?}");
    assert_eq!(o.failed + o.rejected, 0);
}

#[test]
fn network_faults_are_checked() {
    let bad = "run: {duration: 10s}
traffic:
  - {name: users, to: web, rate: 10/s}
components:
  - server: {name: web, service_time: 1ms}
failures:
  - {at: 1s, partition: [web]}
  - {at: 1s, partition: [web, [users, web]]}
  - {at: 1s, latency: [web, users]}
  - {at: 1s, partition: [web, usres]}
  - {at: 1s, partition: [web, users], add: 1s}
";
    let text = sim::scenario::load_str(bad, "bad.yaml", "bad")
        .err()
        .expect("invalid")
        .render();
    assert!(text.contains("bad.yaml:7:"), "{text}");
    assert!(
        text.contains("a partition joins exactly 2 sides, got 1"),
        "{text}"
    );
    assert!(
        text.contains("'web' is on both sides of the partition"),
        "{text}"
    );
    assert!(text.contains("added latency needs 'add'"), "{text}");
    assert!(text.contains("did you mean 'users'?"), "{text}");
    assert!(
        text.contains("'add' only applies to 'latency' failures"),
        "{text}"
    );
}
