//! Sharding: key placement, keys moved by resharding against theory, and the sharded database
//! end to end (hotspot shares, resharding, migration slow-down, errors).
//!
//! Run with `--nocapture` for the rows of docs/validation.md.

mod common;

use common::{component, run_yaml};
use serde_json::Value;
use sim::model::shard::{count_moves, Placement, Placer, MAX_ENUMERATED_KEYS};

/// Four and a half standard errors: a false alarm about once in 150,000 checks.
const Z: f64 = 4.5;

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("shard-{i}")).collect()
}

/// Adding a shard to N under `h mod N`: a key stays only when h mod N = h mod (N + 1), which
/// for h uniform holds for N of every N (N + 1) residues (Chinese remainder theorem): a fraction
/// 1 / (N + 1) stays, N / (N + 1) moves. Over K keys with independent hashes the count is
/// binomial: SE = sqrt(p (1 - p) / K).
#[test]
fn mod_n_moves_n_over_n_plus_one_of_the_keys() {
    let keys = MAX_ENUMERATED_KEYS;
    for n in [3u32, 4, 9, 16] {
        let names = names(n as usize + 1);
        let before = Placer::new(Placement::HashMod, &names, n, 1, keys);
        let after = Placer::new(Placement::HashMod, &names, n + 1, 1, keys);
        let m = count_moves(&before, &after, keys);
        let expected = f64::from(n) / f64::from(n + 1);
        let se = (expected * (1.0 - expected) / keys as f64).sqrt();
        println!(
            "| hash mod N, N = {n} -> {} over 2^20 keys | fraction of keys moved | {:.4} | N/(N+1) = {expected:.4} | {:.4} ({Z} SE) |",
            n + 1,
            m.fraction(),
            Z * se
        );
        assert!(!m.sampled);
        assert!(
            (m.fraction() - expected).abs() < Z * se,
            "N = {n}: {}",
            m.fraction()
        );
    }
}

/// Consistent hashing, N -> N + 1 shards with V virtual nodes each: a key moves exactly when
/// its successor point on the ring becomes one of the new shard's V points, so the moved
/// fraction is the new shard's share of the ring. With the M = (N + 1) V points placed like
/// independent uniform draws, the arcs are Dirichlet(1, ..., 1) and the sum of V of them is
/// Beta(V, M - V): mean 1 / (N + 1), variance p (1 - p) / (M + 1). Counting over K keys adds
/// the binomial term p (1 - p) / K.
#[test]
fn consistent_hashing_moves_one_over_n_plus_one_of_the_keys() {
    let keys = MAX_ENUMERATED_KEYS;
    let v = 1000u32;
    for n in [4u32, 10] {
        let names = names(n as usize + 1);
        let before = Placer::new(Placement::Consistent, &names, n, v, keys);
        let after = Placer::new(Placement::Consistent, &names, n + 1, v, keys);
        let m = count_moves(&before, &after, keys);
        let p = 1.0 / f64::from(n + 1);
        let points = f64::from((n + 1) * v);
        let se = (p * (1.0 - p) * (1.0 / (points + 1.0) + 1.0 / keys as f64)).sqrt();
        println!(
            "| consistent hashing, {v} virtual nodes, N = {n} -> {} | fraction of keys moved | {:.4} | 1/(N+1) = {p:.4} | {:.4} ({Z} SE) |",
            n + 1,
            m.fraction(),
            Z * se
        );
        assert!(
            (m.fraction() - p).abs() < Z * se,
            "N = {n}: {}",
            m.fraction()
        );
        // Only keys that go to the new shard move: every old shard loses some, none gains.
        let new_shard = n as usize;
        for k in 0..10_000u64 {
            let (a, b) = (before.shard(k), after.shard(k));
            assert!(a == b || b == new_shard, "key {k} moved from {a} to {b}");
        }
    }
}

/// Range placement over [0, K): key k is on shard floor(k N / K), so the count of moved keys
/// has a direct form to compare with.
#[test]
fn range_moves_match_the_boundaries() {
    let keys = 10_007u64;
    let names = names(7);
    for (n, m) in [(2u32, 3u32), (4, 5), (6, 3)] {
        let before = Placer::new(Placement::Range, &names, n, 1, keys);
        let after = Placer::new(Placement::Range, &names, m, 1, keys);
        let direct = (0..keys)
            .filter(|&k| k * u64::from(n) / keys != k * u64::from(m) / keys)
            .count() as u64;
        assert_eq!(count_moves(&before, &after, keys).moved, direct);
    }
}

fn shards(report: &sim::model::ComponentReport) -> Vec<Value> {
    match report.figures_json().get("shards") {
        Some(Value::Array(a)) => a.clone(),
        other => panic!("shards: {other:?}"),
    }
}

/// A celebrity key with 30% of the requests over 4 hash shards: its shard gets
/// 0.3 + 0.7 / 4 = 0.475 of the requests, the others 0.175. Each request lands on a shard
/// independently: binomial shares, SE = sqrt(p (1 - p) / n).
#[test]
fn a_celebrity_key_makes_its_shard_a_hotspot() {
    let yaml = "
name: hot
seed: 2
run: {duration: 30s}
traffic:
  - name: users
    to: sharded
    rate: 1000/s
    keys: {count: 100000, popularity: hotspot, hot_fraction: 0.00001, hot_weight: 30%}
components:
  - sharded_database: {name: sharded, shards: [a, b, c, d]}
  - server: {name: a, workers: 100, service_time: 1ms}
  - server: {name: b, workers: 100, service_time: 1ms}
  - server: {name: c, workers: 100, service_time: 1ms}
  - server: {name: d, workers: 100, service_time: 1ms}
";
    let result = run_yaml(yaml);
    let router = component(&result, "sharded");
    let total = router.requests as f64;
    let shard_names: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
    let hot = Placer::new(Placement::HashMod, &shard_names, 4, 1, 100_000).shard(0);
    for (i, s) in shards(router).iter().enumerate() {
        let p = if i == hot { 0.475 } else { 0.175 };
        let share = s["share"].as_f64().unwrap_or(0.0);
        let se = (p * (1.0 - p) / total).sqrt();
        assert!((share - p).abs() < Z * se, "shard {i}: {share} vs {p}");
        // Each shard's own component saw exactly the requests the router sent it.
        let own = component(&result, &shard_names[i]);
        assert_eq!(Some(own.requests), s["requests"].as_u64());
    }
    let ratio = router.figures_json()["busiest_shard_load_ratio"]
        .as_f64()
        .unwrap_or(0.0);
    assert!((ratio - 1.9).abs() < 0.05, "{ratio}");
}

#[test]
fn resharding_moves_keys_and_slows_the_shards_involved_for_the_copy_time() {
    let yaml = "
name: reshard
seed: 4
run: {duration: 40s}
traffic:
  - {name: users, to: ring, rate: 500/s, keys: {count: 20000}}
components:
  - sharded_database:
      name: ring
      shards: [s1, s2, s3, s4]
      placement: consistent
      active: 3
      reshard: {at: 10s, to: 4, copy_rate: 500/s, slowdown: 4x}
  - server: {name: s1, workers: 50, service_time: 10ms}
  - server: {name: s2, workers: 50, service_time: 10ms}
  - server: {name: s3, workers: 50, service_time: 10ms}
  - database: {name: s4, replicas: 1, connections: 50, read_time: 10ms}
";
    let result = run_yaml(yaml);
    let router = component(&result, "ring");
    let resharding = &router.figures_json()["resharding"];
    let names: Vec<String> = ["s1", "s2", "s3", "s4"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for p in Placement::ALL {
        let before = Placer::new(p, &names, 3, 100, 20_000);
        let after = Placer::new(p, &names, 4, 100, 20_000);
        let moved = count_moves(&before, &after, 20_000).moved;
        assert_eq!(
            resharding["moves"][p.name()]["moved_keys"].as_u64(),
            Some(moved),
            "{p:?}"
        );
    }
    let moved = resharding["moves"]["consistent"]["moved_keys"]
        .as_f64()
        .unwrap_or(0.0);
    let migration = resharding["migration_s"].as_f64().unwrap_or(0.0);
    assert!((migration - moved / 500.0).abs() < 1e-6, "{migration}");
    assert_eq!(
        resharding["shards_slowed"],
        serde_json::json!(["s1", "s2", "s3", "s4"])
    );
    // The fourth shard takes requests only after 10 s; while the copy runs, the slowed shards
    // answer in 40 ms instead of 10 ms.
    let s4 = component(&result, "s4");
    let first_busy_window = s4.windows.rows().iter().position(|r| r.arrivals > 0);
    assert_eq!(first_busy_window, Some(10));
    let s1 = component(&result, "s1");
    assert!(s1.latency.max >= 39.9, "{}", s1.latency.max);
    assert!(
        s1.latency.p50 < 11.0,
        "most requests run after the migration"
    );
}

#[test]
fn sharding_errors_are_located() {
    let yaml = "
name: bad
run: {duration: 1s}
traffic:
  - {name: users, to: sharded, rate: 10/s}
components:
  - sharded_database:
      name: sharded
      shards: [a, cache, a]
      placement: consistant
      reshard: {at: 1s, to: 5, duration: 1s, copy_rate: 10/s}
  - server: {name: a, service_time: 1ms}
  - cache: {name: cache, backing: a}
";
    let Err(e) = sim::scenario::load_str(yaml, "bad.yaml", "bad") else {
        panic!("must not load");
    };
    let text = e.render();
    for expected in [
        "shard 'cache' is a cache, which cannot be used here",
        "shard 'a' is listed twice",
        "unknown placement 'consistant'",
        "did you mean 'consistent'",
        "reshard.to is 5, above the limit of 3",
        "reshard has both duration and copy_rate",
        "bad.yaml:9:",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}
