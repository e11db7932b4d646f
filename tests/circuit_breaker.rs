//! Circuit breaker and call timeout: a slow database must not take the web tier down with it.

mod common;

use common::{component, run_yaml};

/// Half the requests (`page`) call the database, half (`static`) do not. From 30 s to 90 s the
/// database is 50 times slower: it can serve 8 / 0.5 s = 16 calls/s of the 100/s asked.
fn scenario(guard: &str) -> String {
    format!(
        "seed: 4
run: {{duration: 120s}}
traffic:
  - {{name: users, to: web, rate: 200/s, mix: {{page: 1, static: 1}}, timeout: 2s}}
components:
  - server:
      name: web
      workers: 16
      service_time: {{exponential: 2ms}}
      per_type:
        page: {{calls: [db]}}
      {guard}
  - server: {{name: db, workers: 8, service_time: {{exponential: 10ms}}}}
failures:
  - {{at: 30s, slow: db, factor: 50x, for: 60s}}
"
    )
}

fn static_availability(r: &sim::results::RunResult) -> f64 {
    r.request_types
        .iter()
        .find(|(name, _)| name == "static")
        .map_or(0.0, |(_, f)| f.outcomes.availability())
}

#[test]
fn the_breaker_keeps_web_workers_free_for_requests_that_do_not_need_the_database() {
    // Unguarded, every web worker ends up blocked on the slow database (100 page requests/s
    // each holding a worker for seconds), so static requests queue behind them and time out.
    let unguarded = run_yaml(&scenario(""));
    // Guarded, a call unanswered after 300 ms is abandoned; once half the calls of the last
    // second have failed, the breaker opens and page requests fail at once, leaving the
    // workers to static requests.
    let guarded = run_yaml(&scenario(
        "call_timeout: 300ms
      circuit_breaker: {failure_rate: 50%, window: 1s, min_calls: 20, open_for: 5s, half_open_probes: 3}",
    ));
    let (without, with) = (
        static_availability(&unguarded),
        static_availability(&guarded),
    );
    println!("static availability: without a breaker {without:.4}, with {with:.4}");
    assert!(without < 0.8, "{without}");
    assert!(with > 0.995, "{with}");

    let web = component(&guarded, "web");
    let breaker = &web.figures_json()["circuit_breakers"]["db"];
    let opened = breaker["opened"].as_u64().unwrap_or(0);
    // Open for 5 s, then a 300 ms probe that times out, over the 60 s slow-down: about a
    // dozen openings.
    assert!((8..=14).contains(&opened), "opened {opened}");
    assert!(breaker["fast_failed_calls"].as_u64().unwrap_or(0) > 4000);
    let transitions = breaker["transitions"].as_array().expect("transitions");
    let first = transitions[0]["time_s"].as_f64().unwrap_or(0.0);
    assert!(
        (30.3..32.0).contains(&first),
        "opens soon after the first calls time out (30 s + 300 ms): {first}"
    );
    assert_eq!(transitions[0]["state"], "open");
    assert_eq!(
        breaker["state_at_end"], "closed",
        "closes after the recovery"
    );
    // Open from shortly after 30 s until the first probe after 90 s (by 95.3 s at the latest),
    // except ~12 half-open spells of 0.3 s: between (90 - 32 - 12 * 0.3) / 120 = 0.45 and
    // (95.3 - 30.3) / 120 = 0.54 of the run.
    let open_share = web.figures_json()["circuit_breakers_open_mean"]
        .as_f64()
        .unwrap_or(0.0);
    assert!(open_share > 0.45 && open_share < 0.55, "{open_share}");
}

#[test]
fn a_circuit_breaker_needs_calls_to_guard() {
    let bad = "run: {duration: 10s}
traffic:
  - {name: users, to: web, rate: 10/s}
components:
  - server:
      name: web
      service_time: 1ms
      circuit_breaker: {failure_rate: 0%}
";
    let text = sim::scenario::load_str(bad, "bad.yaml", "bad")
        .err()
        .expect("invalid")
        .render();
    assert!(text.contains("bad.yaml:8:"), "{text}");
    assert!(
        text.contains("a circuit breaker needs downstream calls to guard"),
        "{text}"
    );
}
