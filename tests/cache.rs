//! The cache component end to end: scenarios loaded from YAML, built and run.
//!
//! - Hit ratios against theory through the whole simulator (LRU against Che's approximation,
//!   a TTL-only cache against the exact renewal formula), with the tolerances of
//!   `src/model/components/cache/irm_tests.rs`: 4.5 standard errors from 40 batch means (here batches of
//!   consecutive time windows of the cache's hit-ratio series), plus 1% of the predicted value
//!   where theory is an approximation. Run with `--nocapture` for the rows of
//!   docs/validation.md.
//! - Consistency: write-through never serves a stale read; read-through without invalidation
//!   and cache-aside (its race) do.
//! - Write-back: a crash (from the scenario's failure schedule) loses exactly the writes not
//!   yet flushed, and they are counted.
//! - A restarted cache starts cold; its per-window hit ratio shows the warm-up.
//! - Scenario errors for caches, and the shipped cache scenarios run.

mod common;

use common::{component, run_yaml};
use serde_json::Value;
use sim::engine::SimDuration;
use sim::model::cache::theory::{lru_hit_ratio, ttl_hit_ratio};
use sim::model::keys::{KeyPopularity, KeySampler};
use sim::model::{ComponentReport, WindowSeries};
use sim::scenario::load_str;

fn figure(report: &ComponentReport, key: &str) -> f64 {
    match report.figures_json().get(key) {
        Some(Value::Number(n)) => n.as_f64().expect("a number"),
        other => panic!("{key}: {other:?}"),
    }
}

fn zipf_probs(count: u64, alpha: f64) -> (KeySampler, Vec<f64>) {
    let sampler = KeySampler::new(&KeyPopularity::Zipf { count, alpha }).expect("valid");
    let probs = (0..count).map(|k| sampler.probability(k)).collect();
    (sampler, probs)
}

const BATCHES: usize = 40;
const Z: f64 = 4.5;

/// The cache's hit ratio over the windows from `from_secs` on, as the ratio estimator
/// `sum hits / sum reads` over 40 batches of consecutive windows, with its batch-means standard
/// error `SE^2 = sum (y_b - R x_b)^2 / ((B - 1) B xbar^2)` (as in tests/queueing_theory.rs).
fn hit_ratio_batch_means(report: &ComponentReport, from_secs: f64) -> (f64, f64) {
    let Some((_, WindowSeries::Ratio(hits, reads))) =
        report.extra_windows.iter().find(|(n, _)| n == "hit_ratio")
    else {
        panic!("no hit_ratio series");
    };
    let width = reads.width_ns() as f64 / 1e9;
    let first = (from_secs / width).round() as usize;
    let n = reads.rows().len() - first;
    assert!(n >= 4 * BATCHES, "only {n} windows");
    let mut batches = vec![(0.0, 0.0); BATCHES];
    for k in 0..n {
        let b = k * BATCHES / n;
        batches[b].0 += hits.rows().get(first + k).copied().unwrap_or(0.0);
        batches[b].1 += reads.rows()[first + k];
    }
    let (sy, sx) = batches
        .iter()
        .fold((0.0, 0.0), |(sy, sx), (y, x)| (sy + y, sx + x));
    let ratio = sy / sx;
    let b = BATCHES as f64;
    let s2 = batches
        .iter()
        .map(|(y, x)| (y - ratio * x).powi(2))
        .sum::<f64>()
        / (b - 1.0);
    (ratio, (s2 / b).sqrt() / (sx / b))
}

/// Prints a row of docs/validation.md and checks the hit ratio.
fn check(test: &str, what: &str, (h, se): (f64, f64), theory: f64, allowance: f64) {
    let width = allowance + Z * se;
    let error = h - theory;
    println!(
        "| `{test}` | {what} | {theory:.4} | {h:.4} | {error:+.4} | ±{width:.4} | {Z} × SE {se:.4} (batch means) + {allowance:.4} approximation |"
    );
    assert!(
        error.abs() <= width,
        "{test}: simulated {h} but theory {theory} (tolerance {width})"
    );
}

/// Read-only Poisson traffic straight to a read-through LRU cache whose store answers at once,
/// so a miss fills the cache at the instant of the request: exactly the independent reference
/// model.
#[test]
fn lru_hit_ratio_end_to_end_matches_che() {
    let result = run_yaml(
        "
run: {duration: 110s, warmup: 10s, window: 0.5s}
traffic:
  - {name: users, to: cache, rate: 20000/s, keys: {count: 10000, popularity: zipf, alpha: 0.8}}
components:
  - cache: {name: cache, capacity: 1000, eviction: lru, backing: db, hit_time: 0, miss_time: 0}
  - server: {name: db, workers: 1000, service_time: 0}
",
    );
    let cache = component(&result, "cache");
    let (_, probs) = zipf_probs(10_000, 0.8);
    let theory = lru_hit_ratio(&probs, 1000.0);
    let estimate = hit_ratio_batch_means(cache, 10.0);
    check(
        "lru_hit_ratio_end_to_end_matches_che",
        "lru hit ratio, C = 1000, 20000 req/s, 2·10⁶ reads",
        estimate,
        theory,
        0.01 * theory,
    );
    // The summary counts the same reads.
    assert!((figure(cache, "hit_ratio") - estimate.0).abs() < 1e-12);
    assert_eq!(figure(cache, "entries_at_end"), 1000.0);
    assert!(figure(cache, "evictions") > 0.0);
}

/// A TTL-only cache (no capacity limit) under Poisson requests: hit ratio of key k is exactly
/// lambda_k T / (1 + lambda_k T), so the tolerance is sampling error only.
#[test]
fn ttl_cache_end_to_end_matches_renewal_formula() {
    let result = run_yaml(
        "
run: {duration: 404s, warmup: 4s}
traffic:
  - {name: users, to: cache, rate: 5000/s, keys: {count: 10000, popularity: zipf, alpha: 0.8}}
components:
  - cache: {name: cache, ttl: 400ms, backing: db, hit_time: 0.1ms, miss_time: 0}
  - server: {name: db, workers: 1000, service_time: 0}
",
    );
    let cache = component(&result, "cache");
    let (_, probs) = zipf_probs(10_000, 0.8);
    let theory = ttl_hit_ratio(&probs, 5000.0, 0.4);
    check(
        "ttl_cache_end_to_end_matches_renewal_formula",
        "TTL 0.4 s, 5000 req/s, 2·10⁶ reads",
        hit_ratio_batch_means(cache, 4.0),
        theory,
        0.0,
    );
    assert!(figure(cache, "expirations") > 0.0);
    assert_eq!(figure(cache, "evictions"), 0.0);
}

/// Reads and writes on few keys, with jittery network and database latencies, so that loads
/// and writes of the same key overlap all the time.
fn consistency_scenario(strategy: &str, web_calls: &str, cache_extra: &str) -> String {
    format!(
        "
seed: 7
run: {{duration: 60s}}
traffic:
  - {{name: users, to: web, rate: 400/s, mix: {{read: 3, write: 1}}, keys: {{count: 20}}}}
components:
  - server: {{name: web, workers: 1000, service_time: 0, calls: {web_calls}}}
  - cache: {{name: cache, strategy: {strategy}, hit_time: 0.2ms {cache_extra}}}
  - server: {{name: db, workers: 8, service_time: {{exponential: 5ms}}}}
network:
  links:
    - {{between: [web, db], latency: {{exponential: 1ms}}}}
    - {{between: [web, cache], latency: {{exponential: 0.5ms}}}}
    - {{between: [cache, db], latency: {{exponential: 1ms}}}}
"
    )
}

#[test]
fn write_through_never_serves_stale_reads() {
    let result = run_yaml(&consistency_scenario(
        "write_through",
        "[cache]",
        ", backing: db",
    ));
    let cache = component(&result, "cache");
    println!(
        "write_through: hits {} misses {} stale {}",
        figure(cache, "hits"),
        figure(cache, "misses"),
        figure(cache, "stale_reads")
    );
    assert!(figure(cache, "hits") > 10_000.0);
    assert_eq!(figure(cache, "stale_reads"), 0.0);
    assert_eq!(result.end_to_end.outcomes.failed, 0);
}

#[test]
fn read_through_without_invalidation_serves_stale_reads() {
    // Writes pass through to the database; the cache keeps the old value until its ttl.
    let result = run_yaml(&consistency_scenario(
        "read_through",
        "[cache]",
        ", backing: db, ttl: 1s",
    ));
    let cache = component(&result, "cache");
    let (hits, stale) = (figure(cache, "hits"), figure(cache, "stale_reads"));
    println!("read_through: hits {hits} stale {stale}");
    assert!(stale > 0.1 * hits, "most keys are rewritten within the ttl");
}

/// The cache-aside race: a reader misses and reads version v; a writer writes v + 1 and
/// invalidates the absent entry; the reader then fills v. The entry is stale until it expires
/// or is overwritten. With few keys and jittery latencies it happens often enough to count.
#[test]
fn cache_aside_race_serves_stale_reads() {
    let result = run_yaml(&consistency_scenario(
        "cache_aside",
        "[{cache_aside: {cache: cache, store: db}}]",
        "",
    ));
    let cache = component(&result, "cache");
    let (hits, stale) = (figure(cache, "hits"), figure(cache, "stale_reads"));
    println!(
        "cache_aside: hits {hits} misses {} stale {stale} invalidations {}",
        figure(cache, "misses"),
        figure(cache, "invalidations")
    );
    assert!(hits > 10_000.0);
    assert!(stale > 0.0, "the race never happened");
    assert!(stale < 0.2 * hits);
    assert_eq!(result.end_to_end.outcomes.failed, 0);
}

/// Writes of one key every 100 ms to a write-back cache that flushes 250 ms after an entry
/// becomes dirty (the database answers at once). Dirty at 0.1 s, flushed at 0.35 s (3
/// writes); dirty at 0.4 s, flushed at 0.65 s; ... so at the crash at 5.05 s the writes of 4.9 s
/// and 5.0 s are in the cache only: exactly 2 writes in 1 entry are lost.
#[test]
fn write_back_crash_loses_exactly_the_unflushed_writes() {
    let yaml = "
run: {duration: 10s}
traffic:
  - {name: users, to: cache, rate: 10/s, arrivals: constant, mix: {write: 1}, keys: {count: 1}}
components:
  - cache: {name: cache, strategy: write_back, flush_delay: 250ms, backing: db, hit_time: 0}
  - server: {name: db, workers: 10, service_time: 0}
failures:
  - {at: 5.05s, crash: cache}
";
    let result = run_yaml(yaml);
    let report = component(&result, "cache");
    assert_eq!(report.lost.get("write_back_writes"), Some(&2));
    assert_eq!(figure(report, "dirty_lost_writes"), 2.0);
    assert_eq!(figure(report, "dirty_lost_entries"), 1.0);
    assert_eq!(figure(report, "crashes"), 1.0);
    // 16 flushes of 3 writes before the crash; the node stays down, so later writes fail.
    assert_eq!(figure(report, "flushes"), 16.0);
    assert_eq!(figure(report, "writes"), 50.0);
    assert_eq!(report.outcomes.failed, 49);
}

/// Many keys, no flush before the crash: every write made so far is lost, in as many entries as
/// the cache held.
#[test]
fn write_back_crash_counts_every_dirty_entry() {
    let yaml = "
run: {duration: 10s}
traffic:
  - {name: users, to: cache, rate: 10/s, arrivals: constant, mix: {write: 1}, keys: {count: 30}}
components:
  - cache: {name: cache, strategy: write_back, flush_delay: 1h, backing: db}
  - server: {name: db, service_time: 1ms}
failures:
  - {at: 5.05s, crash: cache, for: 0.9s}
";
    let result = run_yaml(yaml);
    let report = component(&result, "cache");
    assert_eq!(figure(report, "dirty_lost_writes"), 50.0);
    let held = figure(report, "entries_peak");
    assert!(held > 10.0 && held <= 30.0);
    assert_eq!(figure(report, "dirty_lost_entries"), held);
    // Back at 5.95 s, the node takes writes again (40 more, none flushed by the end).
    assert_eq!(figure(report, "writes"), 90.0);
    assert_eq!(report.outcomes.failed, 9);
    assert_eq!(figure(report, "flushes"), 0.0);
    // No write was in progress (its 0.5 ms hit time) at the crash.
    assert_eq!(report.lost.get("requests_in_crashed_instances"), Some(&0));
}

/// Dirty entries are flushed on eviction: nothing is lost without a crash.
#[test]
fn write_back_flushes_evicted_entries() {
    let result = run_yaml(
        "
run: {duration: 20s}
traffic:
  - {name: users, to: cache, rate: 200/s, mix: {read: 1, write: 1}, keys: {count: 1000}}
components:
  - cache: {name: cache, strategy: write_back, capacity: 100, flush_delay: 5s, backing: db}
  - server: {name: db, workers: 50, service_time: {exponential: 2ms}}
",
    );
    let cache = component(&result, "cache");
    assert!(figure(cache, "evictions") > 1000.0);
    assert!(figure(cache, "flushes") > 1000.0);
    assert_eq!(figure(cache, "dirty_lost_writes"), 0.0);
    assert_eq!(figure(cache, "stale_reads"), 0.0);
    assert!(!cache
        .extra_windows
        .iter()
        .all(|(name, _)| name != "dirty_entries"));
}

/// A cache that crashes and restarts comes back empty: its hit ratio per window drops, then
/// climbs back as it warms up.
#[test]
fn restarted_cache_warms_up_again() {
    let yaml = "
run: {duration: 120s}
traffic:
  - {name: users, to: cache, rate: 2000/s, keys: {count: 100000, popularity: zipf, alpha: 1.0}}
components:
  - cache: {name: cache, capacity: 5000, backing: db}
  - server: {name: db, workers: 100, service_time: 1ms}
failures:
  - {at: 60s, crash: cache, for: 0.5s}
";
    let result = run_yaml(yaml);
    let report = component(&result, "cache");
    let ratio = report
        .extra_windows
        .iter()
        .find(|(name, _)| name == "hit_ratio")
        .map(|(_, s)| s)
        .expect("hit_ratio series");
    assert!(matches!(ratio, WindowSeries::Ratio(..)));
    let at = |i: usize| ratio.value(i, 1.0).unwrap_or(f64::NAN);
    let before = at(59);
    // Window 60 holds the reads after the restart at 60.5 s (reads during the outage fail).
    let cold = at(60);
    let later = at(110);
    println!("hit ratio per window: before {before:.3}, just after restart {cold:.3}, 50 s later {later:.3}");
    assert!(before > 0.5);
    assert!(cold < before - 0.2, "no visible warm-up");
    assert!(later > cold + 0.1);
    // Reads during the outage failed; so did those in progress at the crash.
    assert!(report.outcomes.failed > 500);
    assert!(report
        .lost
        .get("requests_in_crashed_instances")
        .is_some_and(|&n| n > 0));
}

#[test]
fn timeseries_has_the_cache_columns() {
    let result = run_yaml(
        "
run: {duration: 3s}
traffic:
  - {name: users, to: cache, rate: 100/s}
components:
  - cache: {name: cache, backing: db, memory: 1MB, value_size: {uniform: {min: 1KB, max: 3KB}}}
  - server: {name: db, service_time: 1ms}
",
    );
    let csv = sim::report::timeseries::to_csv(&result);
    let header = csv.lines().next().expect("header");
    for column in [
        "cache.hit_ratio",
        "cache.hits",
        "cache.misses",
        "cache.stale_reads",
        "cache.evictions",
        "cache.expirations",
        "cache.entries",
        "cache.memory_bytes",
    ] {
        assert!(header.split(',').any(|c| c == column), "missing {column}");
    }
    assert_eq!(csv.lines().count(), 4);
    let cache = component(&result, "cache");
    assert!(figure(cache, "memory_bytes_peak") <= 1e6);
    assert!(figure(cache, "memory_bytes_peak") > 1e5);
}

fn errors(yaml: &str) -> String {
    match load_str(yaml, "test.yaml", "test") {
        Ok(_) => panic!("expected errors"),
        Err(e) => e
            .diagnostics
            .iter()
            .map(|d| format!("{} | {}\n", d.message, d.help.clone().unwrap_or_default()))
            .collect(),
    }
}

const HEAD: &str = "
run: {duration: 1s}
traffic:
  - {name: users, to: web, rate: 10/s}
components:
  - server: {name: db, service_time: 1ms}
";

#[test]
fn cache_errors_are_explained() {
    let e = errors(&format!(
        "{HEAD}  - server: {{name: web, service_time: 1ms, calls: [c]}}\n  - cache: {{name: c, eviction: lur, backing: db}}\n"
    ));
    assert!(e.contains("unknown eviction policy 'lur'"), "{e}");
    assert!(e.contains("lru"), "{e}");

    let e = errors(&format!(
        "{HEAD}  - server: {{name: web, service_time: 1ms, calls: [c]}}\n  - cache: {{name: c}}\n"
    ));
    assert!(
        e.contains("a read_through cache needs a 'backing' store"),
        "{e}"
    );

    let e = errors(&format!(
        "{HEAD}  - server: {{name: web, service_time: 1ms, calls: [c]}}\n  - cache: {{name: c, strategy: cache_aside}}\n"
    ));
    assert!(e.contains("'c' is a cache_aside cache"), "{e}");

    let e = errors(&format!(
        "{HEAD}  - server: {{name: web, service_time: 1ms, calls: [{{cache_aside: {{cache: c, store: db}}}}]}}\n  - cache: {{name: c, backing: db}}\n"
    ));
    assert!(
        e.contains("a cache_aside step needs strategy: cache_aside"),
        "{e}"
    );

    let e = errors(&format!(
        "{HEAD}  - server: {{name: web, service_time: 1ms, calls: [c]}}\n  - cache: {{name: c, backing: db, flush_delay: 1s, strategy: write_thru}}\n"
    ));
    assert!(e.contains("unknown cache strategy 'write_thru'"), "{e}");
    assert!(e.contains("write_through"), "{e}");

    let e = errors(&format!(
        "{HEAD}  - server: {{name: web, service_time: 1ms, calls: [c]}}\n  - cache: {{name: c, backing: db, flush_delay: 1s}}\n"
    ));
    assert!(
        e.contains("flush_delay only applies to strategy: write_back"),
        "{e}"
    );

    let e = errors(&format!(
        "{HEAD}  - server: {{name: web, service_time: 1ms, calls: [c]}}\n  - cache: {{name: c, backing: web}}\n"
    ));
    assert!(e.contains("calls form a cycle: "), "{e}");

    let e = errors(&format!(
        "{HEAD}  - server: {{name: web, service_time: 1ms, calls: [c]}}\n  - cache: {{name: c, backing: db, memory: 10, value_size: {{lognormal: {{median: 2KB, p99: 1KB}}}}}}\n"
    ));
    assert!(e.contains("memory: '10' has no unit"), "{e}");
    assert!(e.contains("lognormal size needs 0 < median <= p99"), "{e}");
}

#[test]
fn shipped_cache_scenarios_run_and_are_deterministic() {
    for file in [
        "scenarios/05-cache.yaml",
        "scenarios/05b-cache-eviction.yaml",
    ] {
        let shortened = || {
            let mut plan = sim::scenario::load(std::path::Path::new(file))
                .unwrap_or_else(|e| panic!("{}", e.render()));
            plan.duration = Some(plan.warmup + SimDuration::from_secs(30));
            plan
        };
        let a = sim::run::run(shortened(), None).expect("runs");
        let b = sim::run::run(shortened(), None).expect("runs");
        let (ja, jb) = (
            sim::results::summarize::to_json(&a),
            sim::results::summarize::to_json(&b),
        );
        assert_eq!(ja, jb, "{file} is not deterministic");
        assert_eq!(
            sim::report::timeseries::to_csv(&a),
            sim::report::timeseries::to_csv(&b)
        );
        assert!(a.end_to_end.outcomes.succeeded > 1000, "{file}");
    }
}

/// Cache-aside with the store behind a load balancer: the balancer is the versioned store, and
/// versions and details pass through it.
#[test]
fn cache_aside_with_the_store_behind_a_load_balancer() {
    let result = run_yaml("
seed: 3
run: {duration: 30s}
traffic:
  - {name: users, to: web, rate: 300/s, mix: {read: 3, write: 1}, keys: {count: 20}}
components:
  - server: {name: web, workers: 200, service_time: 1ms, calls: [{cache_aside: {cache: cache, store: dbs}}]}
  - cache: {name: cache, strategy: cache_aside, ttl: 2s}
  - load_balancer: {name: dbs, backends: [db]}
  - server: {name: db, instances: 2, workers: 4, service_time: {exponential: 4ms}}
network:
  links:
    - {between: [web, dbs], latency: {exponential: 1ms}}
    - {between: [web, cache], latency: {exponential: 0.5ms}}
");
    let cache = component(&result, "cache");
    let db = component(&result, "db");
    let (hits, misses) = (figure(cache, "hits"), figure(cache, "misses"));
    println!(
        "cache-aside behind a balancer: hits {hits} misses {misses} stale {}",
        figure(cache, "stale_reads")
    );
    assert_eq!(result.end_to_end.outcomes.failed, 0);
    assert!(hits > 2.0 * misses);
    // The database sees the misses and the writes, nothing else.
    let writes = result.end_to_end.outcomes.succeeded as f64 - hits - misses;
    assert!((db.requests as f64 - misses - writes).abs() < 50.0);
    assert!(figure(cache, "stale_reads") > 0.0);
    assert!(figure(cache, "stale_reads") < 0.05 * hits);
}
