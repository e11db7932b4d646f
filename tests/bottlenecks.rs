//! Bottlenecks are ranked by what limits the system: a component that turns requests away
//! itself, or whose queue grows, comes before one that is only busy, and each says why it is
//! listed. And a database's stale reads say where they come from.

mod common;

use common::{component, run_file, run_yaml};
use sim::model::figures::Figures;

#[test]
fn the_full_shard_ranks_above_the_busy_server_that_waits_on_it() {
    // Step 11: the hot shard's replica is saturated (its queue full at 200, rejecting), while
    // `app` is 78% busy mostly because its workers wait on that shard. `app` passes the
    // shard's rejections on, but refuses nothing itself.
    let r = run_file("scenarios/11-sharding-hotspot.yaml");
    let first = &r.bottlenecks[0];
    assert_eq!(first.component, "shard-d", "{:?}", r.bottlenecks);
    assert!(first.limits && first.refused > 0);
    assert!(first.why[0].starts_with("rejects "), "{:?}", first.why);
    assert!(
        first.why.iter().any(|w| w.starts_with("queue ")),
        "{:?}",
        first.why
    );
    // Its mean over master and replica hides the replica at 100%.
    let (part, busiest) = first.busiest.clone().expect("the busiest node");
    assert_eq!(part, "shard-d[1]");
    assert!(busiest > 0.97, "{busiest}");
    let app = r
        .bottlenecks
        .iter()
        .position(|b| b.component == "app")
        .expect("app is listed");
    assert!(app > 0);
    assert!(!r.bottlenecks[app].limits);
    assert_eq!(r.bottlenecks[app].refused, 0);
    assert_eq!(component(&r, "app").refused, 0);
    assert!(component(&r, "app").outcomes.rejected > 0, "passed on");
}

#[test]
fn a_growing_queue_limits_before_a_busier_pool_that_keeps_up() {
    // `slow` gets 110% of its capacity (an unbounded queue that grows); `busy` gets 90% of
    // its own and keeps up. The mean utilisations are close; only one of them limits.
    let r = run_yaml(
        "run: {duration: 120s, warmup: 10s}
traffic:
  - {name: a, to: slow, rate: 110/s}
  - {name: b, to: busy, rate: 900/s}
components:
  - server: {name: slow, workers: 1, service_time: {exponential: 10ms}}
  - server: {name: busy, workers: 10, service_time: {exponential: 10ms}}
",
    );
    let names: Vec<&str> = r.bottlenecks.iter().map(|b| b.component.as_str()).collect();
    assert_eq!(names, ["slow", "busy"]);
    assert!(r.bottlenecks[0].queue_growth.is_some());
    assert!(
        r.bottlenecks[0].why[0].starts_with("queue growing"),
        "{:?}",
        r.bottlenecks[0].why
    );
    assert!(!r.bottlenecks[1].limits);
    // M/M/10 at 90% load keeps a queue of about 6.7 (Erlang C), which is said, not growing.
    let why = &r.bottlenecks[1].why;
    assert!(
        why[0].starts_with("queue ") && !why[0].contains("growing"),
        "{why:?}"
    );
    assert!(why[1].ends_with("busy"), "{why:?}");
}

#[test]
fn the_hot_shard_s_stale_reads_are_blamed_on_its_hot_written_key() {
    let r = run_file("scenarios/11-sharding-hotspot.yaml");
    let secs = r.measured_secs();
    let explained = |name: &str| {
        let Figures::Database(f) = &component(&r, name).figures else {
            panic!("{name} is a database");
        };
        (f.stale_reads_top_key.clone(), f.stale_reads_explained(secs))
    };
    let (top, why) = explained("shard-d");
    let top = top.expect("a top stale key");
    // The celebrity key takes 30% of 2,000 req/s, a tenth of them writes: 60 writes/s, one
    // every ~17 ms, under the ~20 ms (exponential) lag: almost every read of it is stale.
    let writes_per_s = top.writes_at_least as f64 / secs;
    assert!((45.0..=65.0).contains(&writes_per_s), "{writes_per_s}");
    let why = why.expect("explained");
    assert!(why.contains("one hot key"), "{why}");
    // The cold shards' few stale reads are not blamed on a hot key.
    let (_, why) = explained("shard-a");
    assert!(!why.unwrap_or_default().contains("hot key"));
}
