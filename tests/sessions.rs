//! Sessions end to end: sticky sessions (client-hash affinity, sessions in the web servers'
//! memory) against a shared session store, with web server crashes.
//!
//! - Sticky sessions lose exactly the sessions of the crashed instance: the clients the
//!   balancer's hash sends there (computed here with the balancer's own hash), counted once
//!   per session in `lost.sessions` and once per user in `lost.users_logged_out`; each of them
//!   logs in again on the instance it is moved to.
//! - A shared store loses none and nobody logs in again; every request pays its round trip.
//! - Local sessions without affinity log users out on most requests.
//! - Scenario errors name their location, in the style of tests/cli_errors.rs.

mod common;

use common::{component, run_yaml};
use sim::engine::rng::splitmix64;
use sim::results::RunResult;

const CLIENTS: u32 = 100;

/// 100 clients, 5 requests/s each, hashed over 4 web servers; web[1] crashes at 20 s and
/// web[2] at 40 s, for good. Every client sends about 100 requests in each 20-second phase,
/// so each one certainly comes back after every move.
fn scenario(algorithm: &str, sessions: &str) -> String {
    format!(
        "
seed: 2
run: {{duration: 60s}}
traffic:
  - {{name: users, to: lb, rate: 500/s, clients: {CLIENTS}}}
components:
  - load_balancer: {{name: lb, algorithm: {algorithm}, backends: [web]}}
  - server:
      name: web
      instances: 4
      workers: 50
      service_time: 1ms
      sessions: {sessions}
  - cache: {{name: sc, strategy: cache_aside, hit_time: 0.5ms}}
network:
  links:
    - between: [web, sc]
      latency: 1ms
failures:
  - {{at: 20s, crash: 'web[1]'}}
  - {{at: 40s, crash: 'web[2]'}}
"
    )
}

fn lost(result: &RunResult, what: &str) -> u64 {
    sim::results::summarize::lost(result)
        .get(what)
        .copied()
        .unwrap_or_else(|| panic!("no lost.{what}"))
}

fn sessions(result: &RunResult, figure: &str) -> u64 {
    component(result, "web").figures_json()["sessions"][figure]
        .as_u64()
        .unwrap_or_else(|| panic!("no sessions.{figure}"))
}

/// The clients the balancer's `client_hash` sends to `instance` of 4.
fn hashed_to(instance: u64) -> u64 {
    (0..CLIENTS)
        .filter(|&c| splitmix64(u64::from(c)) % 4 == instance)
        .count() as u64
}

#[test]
fn sticky_sessions_lose_exactly_the_sessions_of_the_crashed_instance() {
    let result = run_yaml(&scenario("client_hash", "local"));
    let (n1, n2) = (hashed_to(1), hashed_to(2));
    assert!(n1 > 0 && n2 > 0);
    // web[1] loses its own clients' sessions; they move to web[2] (the next healthy backend)
    // and log in there; web[2] then loses its own and theirs.
    assert_eq!(lost(&result, "sessions"), n1 + (n2 + n1));
    assert_eq!(lost(&result, "users_logged_out"), n1 + n2);
    assert_eq!(sessions(&result, "logins"), u64::from(CLIENTS));
    // web[1]'s clients log in again twice (on web[2], then web[3]), web[2]'s once.
    assert_eq!(sessions(&result, "relogins"), 2 * n1 + n2);
    assert_eq!(sessions(&result, "active_at_end"), u64::from(CLIENTS));
    println!(
        "sticky: lost {} sessions of {} users (n1 = {n1}, n2 = {n2})",
        lost(&result, "sessions"),
        lost(&result, "users_logged_out")
    );
    // The re-logins show in the time series, right after each crash.
    let web = component(&result, "web");
    let (_, relogins) = web
        .extra_windows
        .iter()
        .find(|(n, _)| n == "relogins")
        .expect("a relogins series");
    let total = |from: usize, to: usize| -> f64 {
        (from..to)
            .map(|w| relogins.value(w, 1.0).unwrap_or(0.0))
            .sum()
    };
    assert_eq!(total(0, 20), 0.0);
    assert_eq!(total(20, 40), n1 as f64);
    assert_eq!(total(40, 60), (n1 + n2) as f64);
}

#[test]
fn a_shared_session_store_loses_nothing() {
    let result = run_yaml(&scenario("client_hash", "{store: sc}"));
    assert_eq!(lost(&result, "sessions"), 0);
    assert_eq!(lost(&result, "users_logged_out"), 0);
    assert_eq!(sessions(&result, "relogins"), 0);
    assert_eq!(sessions(&result, "logins"), u64::from(CLIENTS));
    // Every request read its session from the cache: one lookup per request served (and per
    // request a crash interrupted after its lookup), plus one fill per login.
    let sc = component(&result, "sc");
    let web = component(&result, "web");
    let served = web.outcomes.succeeded + u64::from(CLIENTS);
    let interrupted = lost(&result, "requests_in_crashed_instances");
    assert!(
        sc.requests >= served && sc.requests <= served + interrupted,
        "{} lookups and fills for {served} (+ up to {interrupted})",
        sc.requests
    );
    // And paid for it: 1 ms each way plus the cache's 0.5 ms, on top of the 1 ms service.
    let local = run_yaml(&scenario("client_hash", "local"));
    let delta = web.latency.p50 - component(&local, "web").latency.p50;
    assert!((2.4..2.6).contains(&delta), "p50 grows by {delta} ms");
}

#[test]
fn a_shared_store_works_without_affinity() {
    let result = run_yaml(&scenario("round_robin", "{store: sc}"));
    assert_eq!(lost(&result, "sessions"), 0);
    assert_eq!(sessions(&result, "relogins"), 0);
}

#[test]
fn local_sessions_without_affinity_log_users_out_again_and_again() {
    let result = run_yaml(&scenario("round_robin", "local"));
    let served = component(&result, "web").outcomes.succeeded;
    // Round robin over 4 (then 3, then 2) instances: a client's next request lands on the
    // instance holding its session only by chance, so most requests log in again.
    let relogins = sessions(&result, "relogins");
    assert!(relogins * 2 > served, "{relogins} of {served}");
}

#[test]
fn idle_sessions_expire_and_are_not_lost() {
    let result = run_yaml(&scenario("client_hash", "{idle_timeout: 100ms}"));
    // At 5 requests/s a client is idle about 200 ms: most sessions expire before the crash,
    // and those that expired are not counted as lost.
    let lost_sessions = lost(&result, "sessions");
    assert!(
        lost_sessions < hashed_to(1) + 2 * hashed_to(2),
        "{lost_sessions}"
    );
    assert!(sessions(&result, "relogins") > 1000);
}

// Scenario errors, through the real binary as in tests/cli_errors.rs.

const VALID: &str = "run: {duration: 1s}
traffic:
  - {name: users, to: lb, rate: 10/s}
components:
  - load_balancer: {name: lb, algorithm: client_hash, backends: [web]}
  - server:
      name: web
      service_time: 1ms
      sessions: local
  - cache: {name: sc, strategy: cache_aside}
";

fn rejected(from: &str, to: &str) -> (String, Vec<String>) {
    common::refusal_of_edit(VALID, from, to)
}

#[test]
fn the_valid_sessions_fixture_runs() {
    let result = run_yaml(VALID);
    assert!(component(&result, "web").requests > 0);
}

#[test]
fn a_misspelt_local_is_caught() {
    let (first, helps) = rejected("sessions: local", "sessions: locla");
    assert_eq!(
        first,
        "error: scenario.yaml:9:17: sessions: 'locla' is neither 'local' nor a map"
    );
    assert_eq!(helps, ["did you mean 'local'?"]);
}

#[test]
fn a_session_store_must_be_a_cache_or_a_pool() {
    let (first, helps) = rejected("sessions: local", "sessions: {store: users}");
    assert_eq!(
        first,
        "error: scenario.yaml:9:25: session store 'users' is a traffic source, which cannot be used here"
    );
    assert_eq!(helps, ["a session store must be a cache or a server"]);
    let (first, helps) = rejected("sessions: local", "sessions: {store: cs}");
    assert_eq!(
        first,
        "error: scenario.yaml:9:25: session store 'cs' is not defined"
    );
    assert_eq!(helps, ["did you mean 'sc'?"]);
}

#[test]
fn idle_timeout_is_for_local_sessions() {
    let (first, helps) = rejected(
        "sessions: local",
        "sessions: {store: sc, idle_timeout: 30m}",
    );
    assert_eq!(
        first,
        "error: scenario.yaml:9:43: idle_timeout applies to local sessions only"
    );
    assert_eq!(
        helps,
        ["sessions in 'sc' expire as the store says: give the cache a ttl or idle_ttl"]
    );
}
