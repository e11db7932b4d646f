//! `sim run --trace N`: trace.json in the Chrome trace event format.
//!
//! The file parses as JSON with `traceEvents`; every complete event has a name, pid, tid, ts
//! and dur; on each (pid, tid) track, events nest (a child lies inside its parent); each
//! request event's breakdown sums to its latency; the same seed gives the same bytes.

use std::collections::BTreeMap;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// An event on a track: start and end [us], name.
type Span = (f64, f64, String);

const SCENARIO: &str = "
name: traced
seed: 11
run: {duration: 20s, warmup: 1s}
traffic:
  - name: users
    to: lb
    rate: 100/s
    mix: {read: 0.9, write: 0.1}
    timeout: 80ms
    retry: {attempts: 2, backoff: 10ms}
components:
  - load_balancer: {name: lb, backends: [web]}
  - server: {name: web, instances: 2, workers: 1, service_time: {exponential: 6ms}, calls: [db]}
  - server: {name: db, workers: 2, service_time: {exponential: 3ms}}
network:
  links:
    - {between: [users, lb], latency: {uniform: {min: 2ms, max: 8ms}}}
    - {between: [web, db], latency: 500us}
";

fn trace(dir: &TempDir, out: &str) -> Vec<u8> {
    let scenario = dir.path().join("s.yaml");
    std::fs::write(&scenario, SCENARIO).expect("write");
    let out_dir = dir.path().join(out);
    Command::cargo_bin("sim")
        .expect("the sim binary")
        .args(["run", "-q", "--trace", "25", "--out"])
        .arg(&out_dir)
        .arg(&scenario)
        .assert()
        .success();
    std::fs::read(out_dir.join("trace.json")).expect("trace.json")
}

#[test]
fn the_trace_is_valid_nested_and_reproducible() {
    let dir = TempDir::new().expect("temp dir");
    let first = trace(&dir, "a");
    let second = trace(&dir, "b");
    assert!(first == second, "same seed, different trace.json");
    let doc: Value = serde_json::from_slice(&first).expect("JSON");
    let events = doc["traceEvents"].as_array().expect("traceEvents");
    let mut tracks: BTreeMap<(u64, u64), Vec<Span>> = BTreeMap::new();
    let mut requests = 0;
    for e in events {
        let ph = e["ph"].as_str().expect("ph");
        let pid = e["pid"].as_u64().expect("pid");
        assert!(e["name"].is_string());
        match ph {
            "M" => assert!(e["args"].is_object()),
            "X" => {
                let tid = e["tid"].as_u64().expect("tid");
                let ts = e["ts"].as_f64().expect("ts");
                let dur = e["dur"].as_f64().expect("dur");
                assert!(ts >= 0.0 && dur >= 0.0);
                let name = e["name"].as_str().unwrap_or("").to_string();
                tracks
                    .entry((pid, tid))
                    .or_default()
                    .push((ts, ts + dur, name));
                if e["cat"] == "request" {
                    requests += 1;
                    let a = &e["args"];
                    for key in ["request_id", "type", "key", "outcome", "latency_ns"] {
                        assert!(!a[key].is_null(), "request args lack {key}");
                    }
                    let sum: i64 = a["breakdown"]
                        .as_object()
                        .expect("breakdown")
                        .values()
                        .flat_map(|c| {
                            ["queue_ns", "service_ns", "network_ns"]
                                .map(|k| c[k].as_i64().expect("ns"))
                        })
                        .sum();
                    assert_eq!(sum, a["latency_ns"].as_i64().expect("latency"));
                    // The request spans its process's other events.
                    assert!((dur * 1000.0 - sum as f64).abs() < 1.0);
                }
            }
            other => panic!("unexpected phase {other}"),
        }
    }
    assert_eq!(requests, 25);
    // Nesting: on each track, sorted by start (longer first), every event lies inside the
    // innermost open one or starts after it ends. Timestamps are microseconds with nanosecond
    // decimals, so comparisons allow a thousandth of a nanosecond of float error.
    let eps = 1e-6;
    for ((pid, tid), mut spans) in tracks {
        spans.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        let mut open: Vec<Span> = Vec::new();
        for s in spans {
            while open.last().is_some_and(|o| o.1 <= s.0 + eps) {
                open.pop();
            }
            if let Some(parent) = open.last() {
                assert!(
                    s.1 <= parent.1 + eps,
                    "track {pid}/{tid}: {:?} overlaps {:?} without nesting",
                    s,
                    parent
                );
            }
            open.push(s);
        }
    }
    assert_eq!(doc["otherData"]["sampled_requests"], 25);
}
