//! Autoscaling by target tracking: bounds, cooldowns, the response to a step in load, and
//! determinism.

mod common;

use common::{component, run_yaml};
use sim::report::data::TimeSeries;
use sim::results::RunResult;

/// (time [s], from, to) of every scaling action of `pool`.
fn scaling_events(r: &RunResult, pool: &str) -> Vec<(f64, u64, u64, String)> {
    component(r, pool).figures_json()["scaling_events"]
        .as_array()
        .expect("scaling events")
        .iter()
        .map(|e| {
            (
                e["time_s"].as_f64().unwrap_or(f64::NAN),
                e["from"].as_u64().unwrap_or(0),
                e["to"].as_u64().unwrap_or(0),
                e["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn series(r: &RunResult) -> TimeSeries {
    TimeSeries::parse(&sim::report::timeseries::to_csv(r)).expect("timeseries")
}

/// Load that rises, spikes and falls: the pool scales both ways, many times.
const WAVES: &str = "
seed: 3
run: {duration: 1200s, window: 1s}
traffic:
  - name: users
    to: lb
    rate:
      points:
        - {at: 0s, rate: 50/s}
        - {at: 300s, rate: 900/s}
        - {at: 500s, rate: 100/s}
        - {at: 700s, rate: 1500/s}
        - {at: 900s, rate: 50/s}
components:
  - load_balancer: {name: lb, algorithm: least_connections, backends: [web]}
  - server:
      name: web
      workers: 4
      service_time: {exponential: 20ms}
      queue: 100
      autoscale:
        {target: 60%, min: 2, max: 7, interval: 10s, scale_out_cooldown: 30s,
         scale_in_cooldown: 90s, provisioning: 20s}
";

#[test]
fn autoscaling_stays_within_bounds_and_respects_cooldowns() {
    let r = run_yaml(WAVES);
    let events = scaling_events(&r, "web");
    assert!(
        events.len() >= 6,
        "the waves make it scale both ways: {events:?}"
    );
    println!("{events:#?}");
    let (mut outs, mut ins) = (0, 0);
    for (t, from, to, reason) in &events {
        assert!((2..=7).contains(to), "{t}: to {to} outside [2, 7]");
        assert!((2..=7).contains(from), "{t}: from {from} outside [2, 7]");
        assert_ne!(from, to);
        if to > from {
            outs += 1;
            assert!(reason.starts_with("scale out"), "{reason}");
        } else {
            ins += 1;
            assert!(reason.starts_with("scale in"), "{reason}");
        }
    }
    assert!(outs >= 2 && ins >= 2, "outs {outs}, ins {ins}");
    // The load reaches 1500/s against 7 x 200/s: the pool must hit its maximum.
    assert!(events.iter().any(|e| e.2 == 7), "{events:?}");
    for pair in events.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        let cooldown = if pair[1].2 > pair[1].1 { 30.0 } else { 90.0 };
        assert!(
            gap >= cooldown - 1e-9,
            "actions at {} and {} are {gap} s apart, cooldown {cooldown} s",
            pair[0].0,
            pair[1].0
        );
    }
    // Instances in service, per window, never leave the bounds either.
    let ts = series(&r);
    let instances = ts.column("web.instances").expect("instance count column");
    for (i, n) in instances.iter().enumerate() {
        assert!(
            (2.0 - 1e-9..=7.0 + 1e-9).contains(n),
            "window {i}: {n} instances"
        );
    }
    let web = component(&r, "web");
    let autoscale = &web.figures_json()["autoscale"];
    assert_eq!(autoscale["min"], 2);
    assert_eq!(autoscale["max"], 7);
    assert!(web.utilization.unwrap_or(0.0) <= 1.0);
}

#[test]
fn a_load_step_is_scaled_out_after_the_provisioning_delay_and_latency_recovers() {
    // Each instance serves 4 x (1 / 20 ms) = 200 req/s. At 100/s two instances are 25% busy.
    // At t = 100 s the load steps to 600/s: two instances (400/s) are overloaded and the queue
    // grows. The first evaluation after the step (t = 110 s) sees utilisation near 100% and
    // asks for ceil(2 * 1.0 / 0.5) = 4 instances, which take traffic 30 s later (t = 140 s).
    // Further scale-outs follow while the backlog drains; then p99 latency is back near its
    // level before the step.
    let r = run_yaml(
        "
seed: 5
run: {duration: 400s, window: 1s}
traffic:
  - name: users
    to: lb
    rate: {steps: [{at: 0s, rate: 100/s}, {at: 100s, rate: 600/s}]}
components:
  - load_balancer: {name: lb, algorithm: least_connections, backends: [web]}
  - server:
      name: web
      workers: 4
      service_time: {exponential: 20ms}
      autoscale:
        {target: 50%, min: 2, max: 10, interval: 10s, scale_out_cooldown: 30s,
         scale_in_cooldown: 300s, provisioning: 30s}
",
    );
    let events = scaling_events(&r, "web");
    let first = events.first().expect("a scale-out");
    assert_eq!((first.0, first.1, first.2), (110.0, 2, 4), "{events:?}");
    let ts = series(&r);
    let instances = ts.column("web.instances").expect("instances");
    // Window i covers [i, i+1) s.
    assert!((instances[139] - 2.0).abs() < 1e-9, "{}", instances[139]);
    assert!((instances[140] - 4.0).abs() < 1e-9, "{}", instances[140]);
    assert!(instances[..100].iter().all(|&n| (n - 2.0).abs() < 1e-9));
    let p99 = ts.column("latency_p99_ms").expect("p99");
    let before = p99[50..100].iter().cloned().fold(0.0, f64::max);
    let during = p99[130..140].iter().cloned().fold(0.0, f64::max);
    let after = p99[300..400].iter().cloned().fold(0.0, f64::max);
    println!("p99 before {before} ms, overloaded {during} ms, after {after} ms; {events:?}");
    assert!(during > 10.0 * before, "the step overloads the pool");
    assert!(
        after < 2.0 * before,
        "latency recovers: {after} vs {before}"
    );
    assert_eq!(r.end_to_end.outcomes.failed, 0);
}

#[test]
fn crashed_and_absent_instances_do_not_confuse_availability_figures() {
    // Instance slots above the current count do not exist: time_with_at_least_k_up counts
    // only instances that exist and are up.
    let r = run_yaml(
        "
run: {duration: 100s}
traffic:
  - {name: users, to: lb, rate: 20/s}
components:
  - load_balancer: {name: lb, backends: [web]}
  - server:
      name: web
      workers: 4
      service_time: 10ms
      autoscale: {target: 50%, min: 2, max: 5, interval: 10s}
failures:
  - {at: 50s, crash: 'web[1]'}
",
    );
    let web = component(&r, "web");
    let at_least: Vec<f64> = web.figures_json()["time_with_at_least_k_up"]
        .as_array()
        .expect("fractions")
        .iter()
        .filter_map(|v| v.as_f64())
        .collect();
    // 2 up for 50 s, then 1 up: at 2% utilisation the scaler wants min = 2, which it has
    // (the dead instance still counts as allocated; crashed instances are not replaced).
    assert_eq!(at_least.len(), 6);
    assert!((at_least[1] - 1.0).abs() < 1e-9);
    assert!((at_least[2] - 0.5).abs() < 1e-9, "{at_least:?}");
    assert!(at_least[3] == 0.0);
    let mean_up = web.figures_json()["instances_up_mean"]
        .as_f64()
        .unwrap_or(0.0);
    assert!((mean_up - 1.5).abs() < 1e-9, "{mean_up}");
}

#[test]
fn autoscaling_is_deterministic() {
    let a = sim::results::summarize::to_json(&run_yaml(WAVES)).to_string();
    let b = sim::results::summarize::to_json(&run_yaml(WAVES)).to_string();
    assert_eq!(a, b);
    let c = WAVES.replace("seed: 3", "seed: 4");
    let c = sim::results::summarize::to_json(&run_yaml(&c)).to_string();
    assert_ne!(a, c, "another seed gives another run");
}

#[test]
fn autoscale_settings_are_checked() {
    let bad = "run: {duration: 10s}
traffic:
  - {name: users, to: web, rate: 10/s}
components:
  - server:
      name: web
      instances: 9
      service_time: 1ms
      autoscale: {metric: utilisaton, target: 60%, min: 3, max: 2}
";
    let err = sim::scenario::load_str(bad, "bad.yaml", "bad")
        .err()
        .expect("invalid");
    let text = err.render();
    assert!(
        text.contains("unknown autoscaling metric 'utilisaton'"),
        "{text}"
    );
    assert!(text.contains("did you mean 'utilization'?"), "{text}");
    let bad = bad.replace("metric: utilisaton, ", "");
    let text = sim::scenario::load_str(&bad, "bad.yaml", "bad")
        .err()
        .expect("invalid")
        .render();
    assert!(text.contains("bad.yaml:9:"), "{text}");
    assert!(
        text.contains("autoscale.max (2) is below autoscale.min (3)"),
        "{text}"
    );
    let bad = bad.replace("min: 3, max: 2", "min: 2, max: 4");
    let text = sim::scenario::load_str(&bad, "bad.yaml", "bad")
        .err()
        .expect("invalid")
        .render();
    assert!(text.contains("bad.yaml:7:"), "{text}");
    assert!(
        text.contains("instances is 9, outside the autoscaling range 2..=4"),
        "{text}"
    );
}

#[test]
fn scale_in_drains_the_instance_before_it_leaves() {
    // Requests every 10 s (t = 10, 20, ...) straight to the pool, spread round robin over the
    // instances in service, each served for 25 s by one worker. Instance 0 takes the request
    // of t = 10 s, instance 1 that of t = 20 s. At the evaluation of t = 25 s the utilisation
    // is (15 + 5) / (2 * 25) = 0.4 against a target of 0.9: ceil(2 * 0.4 / 0.9) = 1 instance.
    // Instance 1 drains: it takes no new request (those of 30 s and 40 s queue on instance 0)
    // and leaves at 45 s, when its request is done: nothing fails.
    let r = run_yaml(
        "
run: {duration: 60s}
traffic:
  - {name: users, to: web, rate: 0.1/s, arrivals: constant}
components:
  - server:
      name: web
      instances: 2
      service_time: 25s
      autoscale:
        {target: 90%, min: 1, max: 2, interval: 25s, scale_out_cooldown: 1h,
         scale_in_cooldown: 0s}
",
    );
    let events = scaling_events(&r, "web");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!((events[0].0, events[0].1, events[0].2), (25.0, 2, 1));
    assert!(events[0].3.contains("utilization 40.0%"), "{}", events[0].3);
    let o = r.end_to_end.outcomes;
    assert_eq!((o.failed, o.rejected, o.timed_out), (0, 0, 0));
    // The requests of 10 s, 20 s and 30 s end at 35 s, 45 s and 60 s (the end of the run).
    assert_eq!(o.succeeded, 3);
    let web = component(&r, "web");
    let instances = series(&r);
    let instances = instances.column("web.instances").expect("instances");
    assert!((instances[24] - 2.0).abs() < 1e-9 && (instances[25] - 1.0).abs() < 1e-9);
    // Instance 1 existed (and was up) until 45 s: (2 * 45 + 1 * 15) / 60 = 1.75 on average.
    let mean_up = web.figures_json()["instances_up_mean"]
        .as_f64()
        .unwrap_or(0.0);
    assert!((mean_up - 1.75).abs() < 1e-9, "{mean_up}");
    // Busy: instance 0 from 10 s on (50 s), instance 1 from 20 to 45 s (25 s), out of the
    // 105 worker-seconds that existed: 75 / 105.
    let utilization = web.utilization.unwrap_or(0.0);
    assert!((utilization - 75.0 / 105.0).abs() < 1e-9, "{utilization}");
    let figures = web.figures_json();
    let per_instance = figures["per_instance"].as_array().expect("per instance");
    let u1 = per_instance[1]["utilization"].as_f64().unwrap_or(0.0);
    assert!(
        (u1 - 25.0 / 45.0).abs() < 1e-9,
        "instance 1 busy 25 s of its 45: {u1}"
    );
}

#[test]
fn rate_and_queue_metrics_drive_scaling_too() {
    // 100 requests/s, evenly spaced, on 2 instances: over the first 10.005 s, 1000 arrivals,
    // 49.98/s per instance; a target of 20/s per instance asks for ceil(2 * 49.98 / 20) = 5.
    let rate = run_yaml(
        "
run: {duration: 15s}
traffic:
  - {name: users, to: web, rate: 100/s, arrivals: constant}
components:
  - server:
      name: web
      instances: 2
      workers: 4
      service_time: 1ms
      autoscale: {metric: rate, target: 20/s, min: 1, max: 8, interval: 10005ms}
",
    );
    let events = scaling_events(&rate, "web");
    assert_eq!((events[0].1, events[0].2), (2, 5), "{events:?}");
    assert!(
        events[0].3.contains("rate 50.0/s per instance"),
        "{}",
        events[0].3
    );
    // One worker per instance, 10 ms of work per request at 150/s: 1.5 times what one instance
    // can do, so its queue grows by 50/s; a target of 5 waiting per instance scales out.
    let queue = run_yaml(
        "
run: {duration: 15s}
traffic:
  - {name: users, to: web, rate: 150/s, arrivals: constant}
components:
  - server:
      name: web
      service_time: 10ms
      autoscale: {metric: queue, target: 5, min: 1, max: 4, interval: 5s}
",
    );
    let events = scaling_events(&queue, "web");
    assert!(
        events[0].2 > 1 && events[0].3.starts_with("scale out: queue"),
        "{events:?}"
    );
}
