//! Regions, data centers and geoDNS: the region latency matrix is added exactly, a data-center
//! crash crashes its components, geoDNS weights are honoured, traffic to a dead data center
//! stops within detection + one TTL, and a cross-region replica serves more stale reads.

mod common;

use common::{component, run_file, run_yaml};
use serde_json::Value;

fn summary(r: &sim::results::RunResult) -> Value {
    sim::results::summarize::to_json(r)
}

#[test]
fn the_region_latency_matrix_is_added_to_links_exactly() {
    // Constant times everywhere. A client in us sends to web-eu (dc-eu): 80 ms out; web-eu
    // serves 1 ms, calls db in dc-us: 80 ms region + 1 ms link each way, db serves 2 ms; the
    // reply to the client 80 ms. 80 + 1 + 81 + 2 + 81 + 80 = 325 ms. A client in eu: 10 ms
    // each way to its own region's data center instead: 10 + 1 + 81 + 2 + 81 + 10 = 185 ms.
    let r = run_yaml(
        "run: {duration: 10s}
traffic:
  - {name: from-us, to: web-eu, rate: 10/s, arrivals: constant, regions: {us: 1}}
  - {name: from-eu, to: web-eu, rate: 10/s, arrivals: constant, regions: {eu: 1}}
components:
  - server: {name: web-eu, workers: 100, service_time: 1ms, calls: [db]}
  - server: {name: db, workers: 100, service_time: 2ms}
data_centers:
  - {name: dc-us, region: us, components: [db]}
  - {name: dc-eu, region: eu, components: [web-eu]}
network:
  regions:
    - {between: [us, eu], latency: 80ms}
    - {between: [eu, eu], latency: 10ms}
  links:
    - {between: [web-eu, db], latency: 1ms}
",
    );
    let us = &component(&r, "from-us").latency;
    let eu = &component(&r, "from-eu").latency;
    assert!(component(&r, "from-us").requests > 90);
    for (l, expected) in [(us, 325.0), (eu, 185.0)] {
        assert!(
            (l.mean - expected).abs() < 1e-6,
            "mean {} vs {expected}",
            l.mean
        );
        assert!(
            (l.max - expected).abs() < 1e-6,
            "max {} vs {expected}",
            l.max
        );
    }
    // Within one data center (web-eu -> db both in dc-eu) there is no region latency.
    let r = run_yaml(
        "run: {duration: 10s}
traffic:
  - {name: from-eu, to: web-eu, rate: 10/s, arrivals: constant, regions: {eu: 1}}
components:
  - server: {name: web-eu, workers: 100, service_time: 1ms, calls: [db]}
  - server: {name: db, workers: 100, service_time: 2ms}
data_centers:
  - {name: dc-eu, region: eu, components: [web-eu, db]}
network:
  regions:
    - {between: [eu, eu], latency: 10ms}
  links:
    - {between: [web-eu, db], latency: 1ms}
",
    );
    let l = &component(&r, "from-eu").latency;
    assert!(
        (l.mean - 25.0).abs() < 1e-6,
        "10 + 1 + 1 + 2 + 1 + 10: {}",
        l.mean
    );
}

#[test]
fn a_data_center_crash_crashes_every_component_in_it() {
    let r = run_yaml(
        "run: {duration: 20s}
traffic:
  - {name: users, to: web-a, rate: 50/s, regions: {us: 1}}
components:
  - server: {name: web-a, instances: 2, service_time: 1ms, calls: [cache]}
  - cache: {name: cache, backing: db}
  - database: {name: db, replicas: 2, read_time: 1ms, failover_detection: 1s, failover_promotion: 0s}
  - server: {name: web-b, service_time: 1ms}
data_centers:
  - {name: dc-a, region: us, components: [web-a, cache, 'db[0]', 'db[1]']}
  - {name: dc-b, region: us, components: [web-b, 'db[2]']}
failures:
  - {at: 5s, crash_data_center: dc-a, for: 5s}
",
    );
    let s = summary(&r);
    let failures = s["failures"].as_array().expect("failures");
    let listed: Vec<(String, String)> = failures
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap_or("").to_string(),
                f["target"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected = [
        ("crash_data_center", "dc-a"),
        ("crash", "web-a"),
        ("crash", "cache"),
        ("crash", "db[0]"),
        ("crash", "db[1]"),
    ];
    assert_eq!(
        listed,
        expected
            .iter()
            .map(|(k, t)| (k.to_string(), t.to_string()))
            .collect::<Vec<_>>()
    );
    for f in failures {
        assert_eq!(f["start_s"], 5.0);
        assert_eq!(f["end_s"], 10.0);
    }
    // web-a refuses for five seconds (about 250 requests); web-b and db[2] are untouched.
    let web_a = component(&r, "web-a");
    assert!(web_a.outcomes.failed > 150, "{:?}", web_a.outcomes);
    assert_eq!(component(&r, "web-b").requests, 0);
    let db = &s["components"]["db"];
    assert_eq!(db["nodes"][2]["up_at_end"], true);
    // The master crashed: a failover to the replica outside the data center (db[2]).
    assert_eq!(db["failovers"][0]["new_master"], "db[2]");
}

/// Two data centers behind geoDNS; all clients in eu, routed to dc-a unless it is unhealthy.
fn outage(seed: u64, ttl: &str) -> String {
    format!(
        "seed: {seed}
run: {{duration: 150s}}
traffic:
  - {{name: users, to: geo, rate: 200/s, clients: 500, regions: {{eu: 1}}}}
components:
  - dns:
      name: geo
      targets: [web-a, web-b]
      ttl: {ttl}
      resolution_time: 20ms
      routing: {{eu: {{dc-a: 1}}}}
      health: {{interval: 5s, timeout: 1s, unhealthy: 3, healthy: 2}}
  - server: {{name: web-a, workers: 100, service_time: 1ms}}
  - server: {{name: web-b, workers: 100, service_time: 1ms}}
data_centers:
  - {{name: dc-a, region: eu, components: [web-a]}}
  - {{name: dc-b, region: us, components: [web-b]}}
network:
  regions:
    - {{between: [eu, us], latency: 40ms}}
failures:
  - {{at: 30s, crash_data_center: dc-a, for: 60s}}
"
    )
}

#[test]
fn traffic_to_a_dead_data_center_stops_within_detection_plus_one_ttl() {
    // The bound: the data center dies at t0 = 30 s. The first probe sent after t0 leaves
    // within one interval, the `unhealthy`-th failing one (unhealthy - 1) intervals later, and
    // it fails `timeout` after it was sent: detection before t0 + unhealthy x interval +
    // timeout = 30 + 15 + 1 = 46 s. From then on no answer names dc-a, and an answer given
    // before expires within one TTL. So the last request sent to dc-a while it is down leaves
    // before 46 s + TTL. (Resolution time does not add: the DNS picks at the end of the
    // resolution, and the TTL runs from there.)
    for (seed, ttl, ttl_s) in [(1, "20s", 20.0), (2, "20s", 20.0), (3, "40s", 40.0)] {
        let r = run_yaml(&outage(seed, ttl));
        let s = summary(&r);
        let geo = &s["components"]["geo"];
        let down = &geo["health_events"][0];
        assert_eq!(down["data_center"], "dc-a");
        assert_eq!(down["healthy"], false);
        let detected = down["time_s"].as_f64().expect("detection time");
        // Detection falls within [(unhealthy - 1) x interval + timeout, unhealthy x interval +
        // timeout] after the crash.
        assert!(
            (30.0 + 10.0 + 1.0..=30.0 + 15.0 + 1.0).contains(&detected),
            "seed {seed}: detected at {detected}"
        );
        let last = geo["data_centers"]["dc-a"]["last_sent_while_down_s"]
            .as_f64()
            .expect("requests were sent to the dead data center");
        assert!(
            last < 46.0 + ttl_s && last < detected + ttl_s,
            "seed {seed}: last request to dc-a at {last}, detected at {detected}, ttl {ttl_s}"
        );
        // Clients with a cached answer kept failing until it expired: many requests lost,
        // each counted.
        let sent = geo["sent_to_down_data_center"].as_u64().unwrap_or(0);
        assert!(sent > 1000, "seed {seed}: {sent}");
        assert_eq!(geo["failed_at_down_data_center"], sent);
        assert_eq!(s["lost"]["requests_sent_to_down_data_center"], sent);
        // dc-a comes back at 90 s and is healthy again after 2 good probes; clients move back.
        assert_eq!(geo["health_events"][1]["healthy"], true);
        assert!(
            geo["routing"]["eu"]["dc-b"]["requests"]
                .as_u64()
                .unwrap_or(0)
                > 1000
        );
    }
}

#[test]
fn routing_weights_are_honoured_within_binomial_noise() {
    // TTL 0: every request resolves, so each is an independent draw: the number sent to dc-a
    // is Binomial(n, 0.7). With n ~ 24,000 its standard deviation is sqrt(0.21 / n) = 0.0030
    // in share; 4 sigma = 0.012 (a false alarm once in 15,000 runs; the seed is fixed anyway).
    let r = run_yaml(
        "seed: 5
run: {duration: 120s}
traffic:
  - {name: users, to: geo, rate: 200/s, regions: {eu: 1}}
components:
  - dns:
      name: geo
      targets: [web-a, web-b]
      ttl: 0s
      resolution_time: 1ms
      routing: {eu: {dc-a: 70, dc-b: 30}}
  - server: {name: web-a, workers: 100, service_time: 1ms}
  - server: {name: web-b, workers: 100, service_time: 1ms}
data_centers:
  - {name: dc-a, region: eu, components: [web-a]}
  - {name: dc-b, region: us, components: [web-b]}
network:
  regions:
    - {between: [eu, us], latency: 40ms}
",
    );
    let s = summary(&r);
    let eu = &s["components"]["geo"]["routing"]["eu"];
    let a = eu["dc-a"]["requests"].as_f64().unwrap_or(0.0);
    let b = eu["dc-b"]["requests"].as_f64().unwrap_or(0.0);
    let n = a + b;
    assert!(n > 20_000.0, "{n}");
    let share = a / n;
    let sigma = (0.7_f64 * 0.3 / n).sqrt();
    assert!(
        (share - 0.7).abs() < 4.0 * sigma,
        "share {share}, 4 sigma {}",
        4.0 * sigma
    );
    assert_eq!(s["components"]["geo"]["resolutions"], n as u64);
    assert_eq!(s["components"]["geo"]["served_by"]["eu"], "dc-a");
}

#[test]
fn the_geo_outage_scenario_shows_what_its_header_says() {
    let r = run_file("scenarios/08-geo-dns.yaml");
    let s = summary(&r);
    let geo = &s["components"]["geo"];
    // Detection within 22..32 s of the crash at 240 s; the last request to dc-eu within one
    // TTL (60 s) of detection.
    let detected = geo["health_events"][0]["time_s"].as_f64().unwrap_or(0.0);
    assert!((262.0..=272.0).contains(&detected), "{detected}");
    let last = geo["data_centers"]["dc-eu"]["last_sent_while_down_s"]
        .as_f64()
        .unwrap_or(f64::MAX);
    assert!(last < detected + 60.0, "{last}");
    // The replica in the other region serves European reads 80 ms behind: more stale reads.
    let by_region = &s["components"]["db"]["by_client_region"];
    let eu = by_region["eu"]["stale_read_ratio"].as_f64().unwrap_or(0.0);
    let us = by_region["us"]["stale_read_ratio"].as_f64().unwrap_or(1.0);
    assert!(eu > 3.0 * us, "eu {eu} vs us {us}");
    // The analytic twin does not pretend to model it.
    let notes = s["analytic"].to_string();
    assert!(notes.contains("not applicable"), "{notes}");
}

#[test]
fn the_geo_scenario_is_deterministic() {
    let a = sim::results::summarize::to_json(&run_file("scenarios/08-geo-dns.yaml"));
    let b = sim::results::summarize::to_json(&run_file("scenarios/08-geo-dns.yaml"));
    assert_eq!(a.to_string(), b.to_string());
}
