//! The CDN component end to end.
//!
//! - TTL hit ratio per edge against the renewal formula `lambda T / (1 + lambda T)` per object
//!   (`cache::theory::ttl_hit_ratio`), with Poisson requests spread over uniform objects and
//!   two regions. Tolerance derivation in `ttl_tolerance`. Run with `--nocapture` for the rows
//!   of docs/validation.md.
//! - A purge makes every purged object miss exactly once per edge afterwards (and only the
//!   purged types); a versioned deploy does the same without a purge; a shield turns the
//!   per-edge misses into one origin fetch per object.
//! - An outage sends every request to the origin; a crashed edge sends only its region.
//! - Scenario errors name their location, in the style of tests/cli_errors.rs.

mod common;

use common::{component, run_yaml};
use serde_json::Value;
use sim::model::cache::theory::ttl_hit_ratio;
use sim::model::ComponentReport;

fn number(v: &Value, path: &[&str]) -> f64 {
    let mut v = v;
    for p in path {
        v = &v[*p];
    }
    v.as_f64()
        .unwrap_or_else(|| panic!("{path:?} is not a number: {v}"))
}

fn figure(report: &ComponentReport, path: &[&str]) -> f64 {
    let Some((first, rest)) = path.split_first() else {
        panic!("empty path");
    };
    let figures = report.figures_json();
    let v = figures
        .get(*first)
        .unwrap_or_else(|| panic!("no figure {first}"));
    number(v, rest)
}

/// A CDN in front of an origin that answers at once (service time 0, no network latency), so
/// a miss stores its object at the instant it happened: the renewal formula is then exact.
fn ttl_scenario(rate: f64, keys: u64, ttl_s: f64, duration_s: u64) -> String {
    format!(
        "
seed: 3
run: {{duration: {duration_s}s}}
traffic:
  - name: users
    to: cdn
    rate: {rate}/s
    keys: {{count: {keys}}}
    regions: {{us: 0.7, eu: 0.3}}
    clients: 10000
components:
  - cdn:
      name: cdn
      origin: origin
      ttl: {ttl_s}s
      hit_time: 0s
      miss_time: 0s
      edges: [{{region: us}}, {{region: eu}}]
  - server: {{name: origin, workers: 1000, service_time: 0s}}
"
    )
}

/// Tolerance of an edge's hit ratio.
///
/// Each object's requests at an edge form renewal cycles: a miss stores the object, the
/// `Y ~ Poisson(mu)` requests within the TTL hit (mu = lambda T), the first request after it
/// misses and starts the next cycle. The estimator `sum Y / sum (1 + Y)` over n cycles has, by
/// the delta method, variance `(1 - h)^2 Var(Y) / (n (1 + mu)^2)` with `Var(Y) = mu` and
/// h = mu / (1 + mu); n is the number of misses. We allow 4 standard errors, plus the
/// end-of-run truncation: each object's last cycle is cut short, which can remove at most
/// mu hits per object on average, a bias of at most `objects * mu / requests`.
fn ttl_tolerance(mu: f64, misses: f64, requests: f64, objects: f64) -> f64 {
    let h = mu / (1.0 + mu);
    let se = ((1.0 - h).powi(2) * mu / (misses * (1.0 + mu).powi(2))).sqrt();
    4.0 * se + objects * mu / requests
}

#[test]
fn edge_hit_ratio_under_ttl_matches_lambda_t_over_one_plus_lambda_t() {
    let (rate, keys, ttl) = (300.0, 100u64, 1.0);
    let result = run_yaml(&ttl_scenario(rate, keys, ttl, 400));
    let cdn = component(&result, "cdn");
    let probs = vec![1.0 / keys as f64; keys as usize];
    for (edge, weight) in [("us", 0.7), ("eu", 0.3)] {
        let hits = figure(cdn, &["edges", edge, "hits"]);
        let misses = figure(cdn, &["edges", edge, "misses"]);
        let simulated = hits / (hits + misses);
        let edge_rate = rate * weight;
        let theory = ttl_hit_ratio(&probs, edge_rate, ttl);
        let mu = edge_rate / keys as f64 * ttl;
        let tolerance = ttl_tolerance(mu, misses, hits + misses, keys as f64);
        println!(
            "| CDN edge {edge}: TTL hit ratio, lambda T = {mu:.2} | {simulated:.4} | {theory:.4} | {tolerance:.4} |"
        );
        assert!(
            (simulated - theory).abs() < tolerance,
            "{edge}: simulated {simulated:.4}, theory {theory:.4}, tolerance {tolerance:.4}"
        );
        assert_eq!(figure(cdn, &["edges", edge, "purged"]), 0.0);
    }
    // The CDN's figures add up: every request is a hit or a miss, and only misses reach
    // the origin.
    let requests = cdn.requests as f64;
    assert_eq!(figure(cdn, &["hits"]) + figure(cdn, &["misses"]), requests);
    assert_eq!(figure(cdn, &["origin_requests"]), figure(cdn, &["misses"]));
    assert_eq!(
        component(&result, "origin").requests as f64,
        figure(cdn, &["origin_requests"])
    );
    let offload = figure(cdn, &["origin_offload"]);
    assert!((offload - figure(cdn, &["hit_ratio"])).abs() < 1e-12);
    // The analytic twin predicts the same overall hit ratio, weighting the edges by traffic.
    let twin = result
        .analytic
        .iter()
        .map(|c| &c.expectation)
        .find(|e| e.component == "cdn" && e.metric == "hit_ratio")
        .and_then(|e| e.theory)
        .expect("the twin's hit ratio of the CDN");
    let expected =
        0.7 * ttl_hit_ratio(&probs, rate * 0.7, ttl) + 0.3 * ttl_hit_ratio(&probs, rate * 0.3, ttl);
    assert!((twin - expected).abs() < 1e-12, "{twin} vs {expected}");
    // Tolerance: the edges' standard errors weighted by their shares (0.7 x 0.0013 and
    // 0.3 x 0.0027, about 0.0012 together) times 4, plus the truncation bias (at most 0.0025).
    let overall = figure(cdn, &["hit_ratio"]);
    println!("| CDN overall (twin): TTL hit ratio | {overall:.4} | {twin:.4} | 0.0070 |");
    assert!((overall - twin).abs() < 0.007, "{overall} vs {twin}");
}

/// Two edges, two static types over 50 keys each, no TTL, an origin that answers at once (a
/// fetch takes no time, so no second request can miss while a fetch is on its way: the CDN
/// does not collapse concurrent misses); every (type, key) is asked for
/// thousands of times per edge in each phase, so each is certainly requested before and after
/// the change at 10 s (the chance that the smaller edge never asks for one of the 100 objects
/// in 10 s is below 100 * exp(-15)).
fn change_scenario(change: &str, shield: bool) -> String {
    let shield = if shield { "      shield: {}\n" } else { "" };
    format!(
        "
seed: 9
run: {{duration: 20s}}
traffic:
  - name: users
    to: cdn
    rate: 1000/s
    mix: {{image: 1, css: 1}}
    keys: {{count: 50}}
    regions: {{us: 0.7, eu: 0.3}}
components:
  - cdn:
      name: cdn
      origin: origin
      hit_time: 0s
      miss_time: 0s
      edges: [{{region: us}}, {{region: eu}}]
{shield}      {change}
  - server: {{name: origin, workers: 100, service_time: 0s}}
"
    )
}

#[test]
fn a_purge_costs_exactly_one_miss_per_purged_object_per_edge() {
    let result = run_yaml(&change_scenario("purges: [{at: 10s, types: [css]}]", false));
    let cdn = component(&result, "cdn");
    // Cold start: 2 types x 50 keys per edge; after the purge: the 50 stylesheets again.
    for edge in ["us", "eu"] {
        assert_eq!(figure(cdn, &["edges", edge, "misses"]), 150.0, "{edge}");
        assert_eq!(figure(cdn, &["edges", edge, "purged"]), 50.0, "{edge}");
    }
    assert_eq!(figure(cdn, &["origin_requests"]), 300.0);
    assert_eq!(cdn.figures_json()["purges_s"], serde_json::json!([10.0]));
}

#[test]
fn a_purge_of_everything_misses_every_object_once_per_edge() {
    let result = run_yaml(&change_scenario("purges: [{at: 10s}]", false));
    let cdn = component(&result, "cdn");
    for edge in ["us", "eu"] {
        assert_eq!(figure(cdn, &["edges", edge, "misses"]), 200.0, "{edge}");
    }
}

#[test]
fn a_versioned_deploy_misses_each_new_name_once_per_edge_without_a_purge() {
    let result = run_yaml(&change_scenario(
        "deploys: [{at: 10s, types: [image]}]",
        false,
    ));
    let cdn = component(&result, "cdn");
    for edge in ["us", "eu"] {
        assert_eq!(figure(cdn, &["edges", edge, "misses"]), 150.0, "{edge}");
        assert_eq!(figure(cdn, &["edges", edge, "purged"]), 0.0, "{edge}");
        // The old images are still stored, never asked for again.
        assert_eq!(figure(cdn, &["edges", edge, "objects_at_end"]), 150.0);
    }
}

#[test]
fn a_shield_fetches_each_object_once_for_all_edges() {
    let result = run_yaml(&change_scenario("purges: [{at: 10s, types: [css]}]", true));
    let cdn = component(&result, "cdn");
    // The edges miss as before; the shield misses once per object: 100 cold, 50 purged.
    assert_eq!(figure(cdn, &["misses"]), 300.0);
    assert_eq!(figure(cdn, &["shield", "misses"]), 150.0);
    assert_eq!(figure(cdn, &["shield", "hits"]), 150.0);
    assert_eq!(figure(cdn, &["origin_requests"]), 150.0);
    assert_eq!(component(&result, "origin").requests, 150);
}

/// With `stop`, the run ends when every request has been answered, so requests still on their
/// way to the origin at the end are not a difference.
fn outage_scenario(failure: &str, stop: &str) -> String {
    format!(
        "
seed: 4
run: {{{stop}}}
traffic:
  - name: users
    to: cdn
    rate: 500/s
    mix: {{page: 1, image: 4}}
    keys: {{count: 1000, popularity: zipf, alpha: 1.0}}
    regions: {{us: 0.5, eu: 0.5}}
components:
  - cdn:
      name: cdn
      origin: web
      static_types: [image]
      edges:
        - {{region: us, latency: 10ms, bypass_latency: 50ms}}
        - {{region: eu, latency: 10ms, bypass_latency: 120ms}}
  - server: {{name: web, workers: 200, service_time: {{exponential: 5ms}}}}
failures:
  - {failure}
"
    )
}

#[test]
fn during_an_outage_the_origin_receives_every_request() {
    let result = run_yaml(&outage_scenario("{at: 0s, crash: cdn}", "requests: 10000"));
    let cdn = component(&result, "cdn");
    let web = component(&result, "web");
    assert_eq!(figure(cdn, &["bypassed"]), cdn.requests as f64);
    assert_eq!(web.requests, cdn.requests);
    assert_eq!(figure(cdn, &["origin_offload"]), 0.0);
    assert!(cdn.figures_json()["hit_ratio"].is_null());
    assert_eq!(cdn.outcomes.succeeded, cdn.outcomes.total());
    // Clients pay the way to the origin: at least 2 x 50 ms.
    assert!(figure(cdn, &["regions", "us", "latency_ms", "p50"]) >= 100.0);
    assert!(figure(cdn, &["regions", "eu", "latency_ms", "p50"]) >= 240.0);
}

#[test]
fn a_crashed_edge_sends_only_its_region_to_the_origin() {
    let result = run_yaml(&outage_scenario(
        "{at: 0s, crash: 'cdn[1]'}",
        "requests: 10000",
    ));
    let cdn = component(&result, "cdn");
    assert_eq!(
        figure(cdn, &["edges", "eu", "bypassed"]),
        figure(cdn, &["edges", "eu", "requests"])
    );
    assert_eq!(figure(cdn, &["edges", "us", "bypassed"]), 0.0);
    // The origin gets the us misses and pages, and every eu request.
    let us_origin = figure(cdn, &["edges", "us", "misses"]) + figure(cdn, &["passed_through"]);
    let eu = figure(cdn, &["edges", "eu", "requests"]);
    assert!(figure(cdn, &["passed_through"]) > 0.0);
    // (eu pages are bypassed, not passed through: passed_through counts live edges only.)
    assert_eq!(figure(cdn, &["origin_requests"]), us_origin + eu);
}

#[test]
fn an_outage_in_the_middle_shows_as_origin_load_and_a_cold_restart() {
    let result = run_yaml(&outage_scenario(
        "{at: 10s, crash: cdn, for: 10s}",
        "duration: 30s",
    ));
    let cdn = component(&result, "cdn");
    let series = |name: &str| {
        cdn.extra_windows
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| panic!("no series {name}"))
    };
    let origin = series("origin_requests");
    let bypassed = series("bypassed");
    let arrivals: Vec<f64> = cdn
        .windows
        .rows()
        .iter()
        .map(|r| r.arrivals as f64)
        .collect();
    for (w, &arrived) in arrivals.iter().enumerate().take(19).skip(11) {
        assert_eq!(bypassed.value(w, 1.0), Some(arrived), "window {w}");
        // Sent to the origin 50 or 120 ms after arriving: the same count, shifted.
        let sent = origin.value(w, 1.0).unwrap_or(0.0);
        assert!((sent - arrived).abs() < 0.1 * arrived, "window {w}");
    }
    // Before and after, the edges absorb most of it; right after the restart they are cold.
    let hit = series("hit_ratio");
    let before = hit.value(8, 1.0).unwrap_or(0.0);
    let after = hit.value(20, 1.0).unwrap_or(1.0);
    assert!(before > after, "before {before}, just after {after}");
    assert!(origin.value(8, 1.0).unwrap_or(0.0) < 0.5 * arrivals[8]);
}

// Scenario errors, through the real binary as in tests/cli_errors.rs.

const VALID: &str = "run: {duration: 1s}
traffic:
  - {name: users, to: cdn, rate: 10/s, mix: {page: 1, image: 1}, regions: {us: 1}}
components:
  - cdn:
      name: cdn
      origin: web
      static_types: [image]
      edges: [{region: us, latency: 10ms}]
  - server: {name: web, service_time: 1ms}
";

fn rejected(from: &str, to: &str) -> (String, Vec<String>) {
    common::refusal_of_edit(VALID, from, to)
}

#[test]
fn the_valid_cdn_fixture_runs() {
    let result = run_yaml(VALID);
    assert!(component(&result, "cdn").requests > 0);
}

#[test]
fn an_edge_for_an_unknown_region_suggests_one() {
    let (first, helps) = rejected("{region: us,", "{region: su,");
    assert_eq!(
        first,
        "error: scenario.yaml:9:24: region 'su' is not a client region"
    );
    assert_eq!(helps, ["did you mean 'us'?"]);
}

#[test]
fn a_cdn_origin_must_exist() {
    let (first, helps) = rejected("origin: web", "origin: wbe");
    assert_eq!(
        first,
        "error: scenario.yaml:7:15: origin 'wbe' is not defined"
    );
    assert_eq!(helps, ["did you mean 'web'?"]);
}

#[test]
fn a_purge_of_a_dynamic_type_is_refused() {
    let (first, helps) = rejected(
        "static_types: [image]",
        "static_types: [image]\n      purges: [{at: 1s, types: [page]}]",
    );
    assert_eq!(
        first,
        "error: scenario.yaml:9:33: 'page' is not a static type: the CDN does not cache it"
    );
    assert_eq!(helps, ["add it to static_types"]);
}

#[test]
fn a_static_type_must_be_in_the_mix() {
    let (first, helps) = rejected("static_types: [image]", "static_types: [imag]");
    assert_eq!(
        first,
        "error: scenario.yaml:8:22: request type 'imag' is not in any traffic mix"
    );
    assert_eq!(helps, ["did you mean 'image'?"]);
}

#[test]
fn errors_cannot_be_injected_into_a_cdn() {
    let (first, helps) = rejected(
        "  - server: {name: web, service_time: 1ms}\n",
        "  - server: {name: web, service_time: 1ms}\nfailures: [{at: 1s, errors: cdn, fraction: 10%}]\n",
    );
    assert_eq!(
        first,
        "error: scenario.yaml:11:29: injected errors apply to server pools, not CDNs"
    );
    assert_eq!(
        helps,
        ["crash the CDN (or one edge, cdn[0]), or slow it down"]
    );
}

#[test]
fn a_cdn_needs_regions_in_its_traffic() {
    let (first, helps) = rejected(", regions: {us: 1}}", "}");
    assert_eq!(
        first,
        "error: scenario.yaml:9:24: region 'us' is not a client region"
    );
    assert_eq!(
        helps,
        ["no traffic source has regions: add e.g. regions: {us: 0.6, eu: 0.4} to the traffic"]
    );
}
