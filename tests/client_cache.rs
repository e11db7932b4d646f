//! Client-side caching by redirect status (`per_type.<type>.redirect`, `model::client_cache`).
//!
//! - With a 301 kept for ever, the origin sees each (client, key) at most once: clicks are
//!   evenly spaced further apart than a request takes, so no click repeats while the first is in
//!   flight, and with every pair clicked the origin count is exactly the number of pairs.
//! - With a 302 the origin sees every click.
//! - The hit ratio over a finite population matches occupancy theory (uniform and zipf keys),
//!   the renewal formula with a `max_age`, and `1/K` with one entry per client.
//! - Errors name their location.
//!
//! Run with `--nocapture` for the rows of docs/validation.md.

mod common;

use assert_cmd::Command;
use common::{component, run_yaml};
use sim::model::keys::{KeyPopularity, KeySampler};
use sim::model::ComponentReport;

fn figure(report: &ComponentReport, name: &str) -> f64 {
    report
        .figures
        .number(name)
        .unwrap_or_else(|| panic!("no figure {name} on {}", report.name))
}

/// A source behind a load balancer and a web pool that answers `click` with `redirect`.
fn scenario(
    redirect: &str,
    rate: u32,
    arrivals: &str,
    clients: u32,
    keys: &str,
    duration_s: u32,
) -> String {
    format!(
        "
seed: 11
run: {{duration: {duration_s}s}}
traffic:
  - name: users
    to: lb
    rate: {rate}/s
    arrivals: {arrivals}
    clients: {clients}
    keys: {keys}
    mix: {{click: 1}}
components:
  - load_balancer: {{name: lb, backends: [web]}}
  - server:
      name: web
      instances: 2
      workers: 4
      service_time: 1ms
      per_type:
        click: {{{redirect}}}
"
    )
}

#[test]
fn with_a_301_the_origin_sees_each_client_and_key_once() {
    // 20 clients x 10 keys = 200 pairs; 10,000 clicks 5 ms apart, each answered in 1 ms.
    // P(some pair never clicked) <= 200 (1 - 1/200)^10000 ~ 200 e^-50: every pair is clicked.
    let yaml = scenario("redirect: 301", 200, "constant", 20, "{count: 10}", 50);
    let result = run_yaml(&yaml);
    let users = component(&result, "users");
    let web = component(&result, "web");
    let clicks = figure(users, "clicks");
    let hits = figure(users, "client_cache_hits");
    assert!((9_999.0..=10_000.0).contains(&clicks), "{clicks} clicks");
    assert_eq!(web.requests, 200, "one request per (client, key)");
    assert_eq!(clicks - hits, web.requests as f64);
    assert_eq!(figure(users, "clicks_unseen_by_origin"), hits);
    assert_eq!(figure(users, "client_cache_entries"), 200.0);
    // A locally answered click succeeds with latency 0 and counts end to end.
    assert_eq!(result.end_to_end.outcomes.succeeded as f64, clicks);
}

#[test]
fn with_a_302_the_origin_sees_every_click() {
    let yaml = scenario("redirect: 302", 200, "constant", 20, "{count: 10}", 50);
    let result = run_yaml(&yaml);
    let users = component(&result, "users");
    let clicks = figure(users, "clicks");
    assert!(clicks >= 9_999.0);
    assert_eq!(figure(users, "client_cache_hits"), 0.0);
    assert_eq!(component(&result, "web").requests as f64, clicks);
}

/// Expected distinct (client, key) pairs after `n` clicks, each client equally likely and
/// keys drawn from `probs`: sum over pairs of 1 - (1 - p_k / C)^n.
fn expected_distinct(probs: &[f64], clients: u32, n: f64) -> f64 {
    let c = f64::from(clients);
    c * probs
        .iter()
        .map(|p| 1.0 - (1.0 - p / c).powf(n))
        .sum::<f64>()
}

#[test]
fn the_301_hit_ratio_matches_occupancy_theory_for_zipf_keys() {
    // 100 clients x 1000 zipf(1) keys, 6,000 clicks: most pairs are clicked at most once, so
    // the hit ratio is far from 1. The origin count D is the number of distinct pairs; its
    // indicators are negatively associated (multinomial occupancy), so Var(D) <= E[D] and
    // 4 sqrt(E[D]) is a 4-sigma bound.
    let (clients, keys) = (100, 1000);
    let yaml = scenario(
        "redirect: 301",
        100,
        "constant",
        clients,
        "{count: 1000, popularity: zipf, alpha: 1.0}",
        60,
    );
    let result = run_yaml(&yaml);
    let users = component(&result, "users");
    let clicks = figure(users, "clicks");
    assert!((5_999.0..=6_000.0).contains(&clicks));
    let sampler = KeySampler::new(&KeyPopularity::Zipf {
        count: keys,
        alpha: 1.0,
    })
    .expect("zipf");
    let probs: Vec<f64> = (0..keys).map(|k| sampler.probability(k)).collect();
    let expected = expected_distinct(&probs, clients, clicks);
    let seen = component(&result, "web").requests as f64;
    let ratio = figure(users, "client_cache_hit_ratio");
    println!(
        "| 301, zipf(1) over 100 clients x 1000 keys, 6000 clicks | hit ratio | {:.4} | {:.4} |",
        ratio,
        1.0 - expected / clicks
    );
    assert!(
        (seen - expected).abs() <= 4.0 * expected.sqrt(),
        "origin saw {seen}, theory {expected:.1}"
    );
    assert!((ratio - (1.0 - seen / clicks)).abs() < 1e-12);
}

#[test]
fn the_301_hit_ratio_with_a_max_age_matches_the_renewal_formula() {
    // 5 clients x 10 uniform keys = 50 pairs; Poisson clicks at 100/s, so r = 2/s per pair.
    // The origin answers at once (service time 0, no network latency): an entry lives exactly
    // T = 1 s from its miss. Each pair's misses form a renewal process with cycle T + Exp(r):
    // mean mu = 1.5 s, variance s2 = 1/r^2 = 0.25 s^2; over t = 200 s a pair has t / mu misses
    // with variance t s2 / mu^3 (renewal CLT): 50 pairs give 6,667 misses, sd 27. Hit ratio
    // r T / (1 + r T) = 2/3. Bound: 4 sd plus one cycle per pair for the edges of the run.
    let yaml = scenario(
        "redirect: 301, max_age: 1s",
        100,
        "poisson",
        5,
        "{count: 10}",
        200,
    )
    .replace("service_time: 1ms", "service_time: 0s");
    let result = run_yaml(&yaml);
    let users = component(&result, "users");
    let (r, t, duration, pairs) = (2.0_f64, 1.0_f64, 200.0_f64, 50.0_f64);
    let (mu, s2) = (t + 1.0 / r, 1.0 / (r * r));
    let misses_expected = pairs * duration / mu;
    let sd = (pairs * duration * s2 / mu.powi(3)).sqrt();
    let misses = component(&result, "web").requests as f64;
    let ratio = figure(users, "client_cache_hit_ratio");
    println!(
        "| 301 with max_age 1s, 2 clicks/s per pair | hit ratio | {:.4} | {:.4} |",
        ratio,
        r * t / (1.0 + r * t)
    );
    assert!(
        (misses - misses_expected).abs() <= 4.0 * sd + pairs,
        "origin saw {misses}, renewal theory {misses_expected:.0} (sd {sd:.1})"
    );
    assert!(figure(users, "client_cache_expired") > 0.0);
}

#[test]
fn one_entry_per_client_hits_when_the_same_link_is_clicked_twice_in_a_row() {
    // Capacity 1: a client holds only its last link, so a click hits iff its key equals the
    // client's previous key: probability 1/K = 1/4 for uniform keys. Over n = 8000 clicks the
    // binomial sd is sqrt(0.25 * 0.75 / 8000) = 0.0048; 4 sd = 0.02.
    let yaml = scenario("redirect: 301", 200, "constant", 10, "{count: 4}", 40).replace(
        "mix: {click: 1}",
        "mix: {click: 1}\n    client_cache: {capacity: 1}",
    );
    let result = run_yaml(&yaml);
    let users = component(&result, "users");
    let ratio = figure(users, "client_cache_hit_ratio");
    assert!((ratio - 0.25).abs() < 0.02, "hit ratio {ratio}");
    assert!(figure(users, "client_cache_entries") <= 10.0);
    assert!(figure(users, "client_cache_evictions") > 0.0);
}

fn rejected(yaml: &str) -> (String, Vec<String>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("scenario.yaml"), yaml).expect("write");
    let out = Command::cargo_bin("sim")
        .expect("the sim binary")
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["validate", "scenario.yaml"])
        .output()
        .expect("run sim");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let first = stderr.lines().next().unwrap_or("").to_string();
    let helps = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("  = help: "))
        .map(str::to_string)
        .collect();
    (first, helps)
}

#[test]
fn a_308_is_refused_with_a_hint() {
    let yaml = scenario("redirect: 308", 10, "poisson", 10, "{count: 10}", 1);
    let (first, helps) = rejected(&yaml);
    assert_eq!(
        first,
        "error: scenario.yaml:20:27: redirect of 'click' must be 301 or 302, got 308"
    );
    assert_eq!(helps, ["308 is a permanent redirect like 301: write 301"]);
}

#[test]
fn a_max_age_on_a_302_is_refused() {
    let yaml = scenario(
        "redirect: 302, max_age: 1h",
        10,
        "poisson",
        10,
        "{count: 10}",
        1,
    );
    let (first, helps) = rejected(&yaml);
    assert_eq!(
        first,
        "error: scenario.yaml:20:41: max_age of 'click' does not apply to a 302: a temporary redirect is never cached"
    );
    assert_eq!(
        helps,
        ["use 'redirect: 301' to let clients keep the answer"]
    );
}

#[test]
fn a_client_cache_of_no_entries_is_refused() {
    let yaml = scenario("redirect: 301", 10, "poisson", 10, "{count: 10}", 1).replace(
        "mix: {click: 1}",
        "mix: {click: 1}\n    client_cache: {capacity: 0}",
    );
    let (first, _) = rejected(&yaml);
    assert_eq!(
        first,
        "error: scenario.yaml:12:30: client_cache.capacity must be at least 1, got 0"
    );
}
