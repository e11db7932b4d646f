//! Prices in the scenario (`cost`): hand-computed figures, validation errors, and
//! `sim capacity --cheapest`.

use assert_cmd::Command;
use tempfile::TempDir;

fn run(yaml: &str) -> sim::results::RunResult {
    let plan = sim::scenario::load_str(yaml, "test.yaml", "test")
        .unwrap_or_else(|e| panic!("scenario does not load:\n{}", e.render()));
    sim::run::run(plan, None).expect("run")
}

const PRICED: &str = "
name: priced
run: {duration: 100s, warmup: 10s}
traffic:
  - {name: users, to: lb, rate: 100/s, arrivals: constant}
components:
  - load_balancer: {name: lb, backends: [web]}
  - server: {name: web, instances: 4, workers: 8, service_time: 2ms, calls: [{cache_aside: {cache: cache, store: db}}]}
  - cache: {name: cache, strategy: cache_aside, memory: 2GB}
  - database: {name: db, replicas: 1, read_time: 1ms}
cost:
  currency: EUR
  components:
    web: {per_hour: 0.10}
    db: {per_hour: 0.50}
    cache: {per_gb_hour: 0.05}
    lb: {per_million_requests: 0.60}
";

/// web: 4 x 0.10 = 0.40/h; db: (master + 1 replica) x 0.50 = 1.00/h; cache: 2 GB x 0.05 =
/// 0.10/h; in all 1.50/h. The load balancer received n requests in the s (about 90) seconds
/// measured: run = 1.50 s/3600 + 0.60 n / 10^6; month = 1.50 x 730 + 0.60 (n/s) x 730 x 3600 / 10^6.
#[test]
fn cost_is_the_hand_computed_sum() {
    let r = run(PRICED);
    let cost = r.cost.as_ref().expect("cost");
    assert_eq!(cost.currency, "EUR");
    assert!((cost.per_hour - 1.50).abs() < 1e-12, "{}", cost.per_hour);
    // The run drains a little before 100 s (no arrival at or after the end): measured time is
    // the run's, about 90 s.
    let secs = r.measured_secs();
    assert!((secs - 90.0).abs() < 0.1, "{secs}");
    assert!((cost.hours - secs / 3600.0).abs() < 1e-12);
    let n = cost
        .components
        .iter()
        .find(|c| c.name == "lb")
        .map(|c| c.requests)
        .expect("lb");
    // 100/s for 90 s, constant arrivals: 9000, give or take the boundary.
    assert!((8999..=9001).contains(&n), "{n}");
    let n = n as f64;
    let run_cost = 1.50 * secs / 3600.0 + 0.60 * n / 1e6;
    let month = 1.50 * 730.0 + 0.60 * (n / secs) * 730.0 * 3600.0 / 1e6;
    assert!(
        (cost.run - run_cost).abs() < 1e-9,
        "{} vs {run_cost}",
        cost.run
    );
    assert!(
        (cost.per_month - month).abs() < 1e-6,
        "{} vs {month}",
        cost.per_month
    );
    let db = cost.components.iter().find(|c| c.name == "db").expect("db");
    assert_eq!(db.instances, 2.0);
    let summary = sim::results::summarize::to_json(&r);
    assert_eq!(summary["cost"]["currency"], "EUR");
    assert!(summary["cost"]["per_month"].as_f64().is_some());
    assert!(sim::report::table::render(&r).contains("EUR/month"));
}

fn errors(yaml: &str) -> String {
    match sim::scenario::load_str(yaml, "test.yaml", "test") {
        Ok(_) => panic!("should not load"),
        Err(e) => e.render(),
    }
}

#[test]
fn bad_prices_are_reported_with_their_place() {
    let base = "
name: bad
run: {duration: 1s}
traffic:
  - {name: users, to: web, rate: 10/s}
components:
  - server: {name: web, service_time: 1ms}
  - cache: {name: c, backing: web}
cost:
  components:
";
    let e = errors(&format!("{base}    wbe: {{per_hour: 0.1}}\n"));
    assert!(e.contains("priced component 'wbe' is not defined"), "{e}");
    assert!(e.contains("did you mean 'web'"), "{e}");
    let e = errors(&format!("{base}    web: {{per_hour: -1}}\n"));
    assert!(
        e.contains("per_hour must be a number at or above 0, got -1"),
        "{e}"
    );
    assert!(e.contains("test.yaml:11:21"), "{e}");
    let e = errors(&format!("{base}    web: {{per_gb_hour: 1}}\n"));
    assert!(e.contains("per_gb_hour: 'web' is not a cache"), "{e}");
    let e = errors(&format!("{base}    c: {{per_gb_hour: 1}}\n"));
    assert!(e.contains("cache 'c' has no memory limit"), "{e}");
    let e = errors(&format!("{base}    users: {{per_hour: 1}}\n"));
    assert!(e.contains("which cannot be used here"), "{e}");
    let e = errors(&format!("{base}    web: {{}}\n"));
    assert!(e.contains("no price given for 'web'"), "{e}");
}

/// 300 requests/s of 10 ms each is 3 busy workers: utilisation 3/n of n one-worker
/// instances. `web.utilization < 0.7` needs n >= 5 (3/4 = 0.75 fails). Instances cost 0.20/h,
/// so the cheapest passing design is 5 instances at 5 x 0.20 x 730 = 730 per month; the
/// search tries 1, 2, 3, 4, 5 and stops: 6 instances cannot cost less.
#[test]
fn capacity_finds_the_cheapest_design_that_passes() {
    let dir = TempDir::new().expect("temp dir");
    let scenario = dir.path().join("s.yaml");
    std::fs::write(
        &scenario,
        "
name: cheapest
seed: 5
run: {duration: 20s, warmup: 2s}
traffic:
  - {name: users, to: web, rate: 300/s}
components:
  - server: {name: web, instances: 2, workers: 1, service_time: {exponential: 10ms}, queue: 50}
assert:
  - web.utilization < 0.7
cost:
  components:
    web: {per_hour: 0.20}
",
    )
    .expect("write");
    let out = dir.path().join("out");
    let output = Command::cargo_bin("sim")
        .expect("the sim binary")
        .args([
            "capacity",
            "--cheapest",
            "--param",
            "web.instances=1..8",
            "-q",
            "--out",
        ])
        .arg(&out)
        .arg(&scenario)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("cheapest: web.instances=5 at 730.00 USD/month"),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("cheapest.json")).expect("file"))
            .expect("JSON");
    assert_eq!(json["cheapest"]["values"][0], "5");
    assert_eq!(json["tried"].as_array().map(Vec::len), Some(5));
}
