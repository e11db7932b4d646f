//! Real-time servers (`realtime`): the load each transport puts on the servers for the same
//! message rate, heartbeats, the connection limit, reconnect storms after a crash, group
//! deliveries, determinism and scenario errors. Run with `--nocapture` for the measured values
//! (docs/validation.md lists them).

mod common;

use assert_cmd::Command;
use common::{component, figure, run_yaml};

/// Message rate 20/s (Poisson) to a pool of 2 instances; `body` completes the component.
fn scenario(clients: u64, body: &str, run: &str, extra: &str) -> String {
    format!(
        "
seed: 3
run: {{{run}}}
traffic:
  - {{name: senders, to: chat, rate: 20/s}}
components:
  - realtime: {{name: chat, clients: {clients}, instances: 2, {body}}}
{extra}"
    )
}

const RUN: &str = "duration: 130s, warmup: 30s";
const MEASURED_S: f64 = 100.0;

#[test]
fn short_polling_load_is_clients_over_interval_and_delay_is_half_an_interval() {
    let (clients, interval, rate): (f64, f64, f64) = (10_000.0, 2.0, 20.0);
    let result = run_yaml(&scenario(
        10_000,
        "transport: short_polling, poll_interval: 2s",
        RUN,
        "",
    ));
    let chat = component(&result, "chat");
    // Each client polls at its own fixed phase + k * interval: over 100 s (50 intervals)
    // every client polls exactly 50 times, whatever the message rate. The count is
    // deterministic, so the only slack is a poll landing exactly on the window's edge.
    let polls = figure(chat, &["polls"]);
    let expected = clients * MEASURED_S / interval;
    println!("short polling: polls {polls} (theory {expected})");
    assert!((polls - expected).abs() <= 2.0, "{polls} vs {expected}");
    let per_s = figure(chat, &["requests_per_s", "polls"]);
    assert!((per_s - clients / interval).abs() < 0.05, "{per_s}");
    // A message waits for its recipient's next poll; the poll phases are independent of the
    // (Poisson) send times, so the wait is uniform on [0, interval): mean interval / 2 (plus
    // 0.1 ms of service). Over n ~ 2000 messages the standard error is
    // interval / sqrt(12 n) = 12.9 ms; 4 sigma = 52 ms, plus 0.1% histogram resolution.
    let mean_ms = figure(chat, &["delivery_latency_ms", "mean"]);
    let n = figure(chat, &["deliveries"]);
    let theory_ms = interval / 2.0 * 1000.0 + 0.1;
    let tolerance = 4.0 * interval * 1000.0 / (12.0 * n).sqrt() + 0.001 * theory_ms;
    println!("short polling: mean delay {mean_ms:.1} ms (theory {theory_ms:.1} ± {tolerance:.1})");
    assert!((mean_ms - theory_ms).abs() < tolerance, "{mean_ms}");
    // A poll finds nothing unless a message came in its interval: one-to-one messages at
    // rate lambda spread over N clients give a Poisson(lambda I / N) count per poll, so the
    // empty fraction is exp(-lambda I / N). The non-empty count (~2000 of 500 000) is
    // binomial: 4 sigma = 4 sqrt(2000) / 500 000 = 3.6e-4 in the fraction.
    let empty = figure(chat, &["empty_poll_fraction"]);
    let theory = (-rate * interval / clients).exp();
    println!("short polling: empty fraction {empty:.6} (theory {theory:.6})");
    assert!((empty - theory).abs() < 3.6e-4, "{empty} vs {theory}");
}

#[test]
fn long_polling_load_is_messages_plus_timeouts() {
    let (clients, timeout, rate): (f64, f64, f64) = (10_000.0, 30.0, 20.0);
    let result = run_yaml(&scenario(
        10_000,
        "transport: long_polling, poll_timeout: 30s",
        RUN,
        "",
    ));
    let chat = component(&result, "chat");
    // Each client's poll ends at its next message (rate mu = lambda / N, memoryless) or at
    // the timeout T, whichever is first; the next opens at once. Per client the cycles form a
    // renewal process with mean min(Exp(mu), T) = (1 - e^{-mu T}) / mu, so the pool answers
    // lambda / (1 - e^{-mu T}) polls per second = lambda + (timeouts), which is about
    // N / T + lambda / 2 for rare messages (mu T = 0.06 here: 343.4/s, against 353.3/s for the
    // cruder "messages + clients / timeout"). Noise: the message count is Poisson (2000 ± 45
    // over 100 s), and the timeouts move against it, so the total varies by under 0.3%; 4
    // sigma plus the start (phases uniform, nearly stationary after one timeout of warm-up)
    // stays within 1.5%.
    let polls = figure(chat, &["requests_per_s", "polls"]);
    let mu = rate / clients;
    let theory = rate / (1.0 - (-mu * timeout).exp());
    println!(
        "long polling: {polls:.1} polls/s (theory {theory:.1}; lambda + N/T = {:.1})",
        rate + clients / timeout
    );
    assert!((polls / theory - 1.0).abs() < 0.015, "{polls} vs {theory}");
    // Empty polls are the timeouts.
    let empty = figure(chat, &["empty_polls"]);
    let timeouts_theory = theory - rate;
    assert!(
        (empty / MEASURED_S / timeouts_theory - 1.0).abs() < 0.015,
        "{empty}"
    );
    // A message answers the open poll at once: delivery is the send and push service.
    let p99 = figure(chat, &["delivery_latency_ms", "p99"]);
    assert!(p99 < 1.0, "{p99}");
}

#[test]
fn websocket_load_is_messages_plus_heartbeats() {
    let (clients, heartbeat) = (10_000.0, 10.0);
    let result = run_yaml(&scenario(
        10_000,
        "transport: websocket, heartbeat_interval: 10s, presence_timeout: 25s",
        RUN,
        "",
    ));
    let chat = component(&result, "chat");
    // Heartbeats are periodic with a fixed phase per client: exactly N / interval per second
    // over a whole number of intervals. Messages are Poisson at 20/s: 2000 ± 45 over 100 s,
    // so the measured rate is 20 ± 0.45 per second; 4 sigma = 1.8.
    let beats = figure(chat, &["requests_per_s", "heartbeats"]);
    let messages = figure(chat, &["requests_per_s", "messages"]);
    let total = figure(chat, &["requests_per_s", "total"]);
    println!("websocket: heartbeats {beats}/s, messages {messages}/s, total {total}/s");
    assert!((beats - clients / heartbeat).abs() < 0.05, "{beats}");
    assert!((messages - 20.0).abs() < 1.8, "{messages}");
    assert_eq!(figure(chat, &["requests_per_s", "polls"]), 0.0);
    assert!(
        (total - beats - messages).abs() < 1e-9,
        "no connects: {total}"
    );
    assert_eq!(figure(chat, &["presence_flaps"]), 0.0);
    assert_eq!(figure(chat, &["connections_mean"]), clients);
}

#[test]
fn the_connection_limit_is_respected() {
    let result = run_yaml(&scenario(
        10_000,
        "max_connections: 4000, memory_per_connection: 20KB",
        "duration: 20s",
        "",
    ));
    let chat = component(&result, "chat");
    assert_eq!(figure(chat, &["connections_peak"]), 8000.0);
    assert_eq!(figure(chat, &["connections_peak_per_instance"]), 4000.0);
    assert_eq!(
        figure(chat, &["memory_peak_per_instance_bytes"]),
        4000.0 * 20_000.0
    );
    // The 2000 that find no room keep trying (back-off doubling to 30 s) and are refused.
    assert_eq!(
        figure(chat, &["still_disconnected"]),
        0.0,
        "none were dropped"
    );
    assert!(figure(chat, &["refused_connections"]) >= 2000.0);
    assert_eq!(figure(chat, &["connections_at_end"]), 8000.0);
}

fn crash_run(jitter: &str) -> sim::results::RunResult {
    run_yaml(&format!(
        "
seed: 5
run: {{duration: 40s}}
traffic:
  - {{name: senders, to: chat, rate: 20/s}}
components:
  - realtime:
      name: chat
      clients: 12000
      instances: 4
      heartbeat_interval: 10s
      presence_timeout: 25s
      reconnect: {{backoff: 2s, jitter: {jitter}}}
failures:
  - {{at: 20.5s, crash: 'chat[2]'}}
"
    ))
}

#[test]
fn a_crash_reconnects_exactly_its_clients_and_jitter_flattens_the_storm() {
    let plain = crash_run("none");
    let jittered = crash_run("full");
    for (name, result) in [("none", &plain), ("full", &jittered)] {
        let chat = component(result, "chat");
        // Least-connections placement puts 3000 clients on each instance; the crash drops
        // exactly those, and each comes back once to a survivor (no limit here).
        assert_eq!(figure(chat, &["dropped_connections"]), 3000.0, "{name}");
        assert_eq!(figure(chat, &["reconnects"]), 3000.0, "{name}");
        assert_eq!(figure(chat, &["reconnect_attempts"]), 3000.0, "{name}");
        assert_eq!(figure(chat, &["refused_connections"]), 0.0, "{name}");
        assert_eq!(figure(chat, &["connections_at_end"]), 12000.0, "{name}");
        assert_eq!(figure(chat, &["still_disconnected"]), 0.0, "{name}");
        // Back within 2 s + 10 s of the last heartbeat < 25 s: nobody shown offline.
        assert_eq!(figure(chat, &["presence_flaps"]), 0.0, "{name}");
    }
    // Without jitter all 3000 come back at 22.5 s: one window of 1 s holds them all. With
    // full jitter they spread uniformly over [20.5 s, 22.5 s]: about half in each of the two
    // or three windows it covers.
    let peak_plain = figure(component(&plain, "chat"), &["reconnect_peak_per_s"]);
    let peak_jitter = figure(component(&jittered, "chat"), &["reconnect_peak_per_s"]);
    let time_plain = figure(component(&plain, "chat"), &["reconnect_time_s"]);
    println!("reconnect peak: {peak_plain}/s without jitter, {peak_jitter}/s with");
    assert_eq!(peak_plain, 3000.0);
    assert!(peak_jitter < 0.6 * peak_plain, "{peak_jitter}");
    assert!((time_plain - 2.0).abs() < 1e-9, "{time_plain}");
}

#[test]
fn survivors_at_their_limit_refuse_the_storm() {
    let result = run_yaml(
        "
seed: 5
run: {duration: 60s}
traffic:
  - {name: senders, to: chat, rate: 20/s}
components:
  - realtime: {name: chat, clients: 9000, instances: 3, max_connections: 4000,
               reconnect: {backoff: 1s, jitter: none}, offline: drop}
failures:
  - {at: 10s, crash: 'chat[0]', for: 20s}
",
    );
    let chat = component(&result, "chat");
    // 3000 dropped; the two survivors have room for 2 x 1000 more: the other 1000 are refused
    // until chat[0] comes back at 30 s, and reach it within one back-off cap (30 s).
    assert_eq!(figure(chat, &["dropped_connections"]), 3000.0);
    assert_eq!(figure(chat, &["connections_peak_per_instance"]), 4000.0);
    assert!(figure(chat, &["refused_connections"]) >= 1000.0);
    assert_eq!(figure(chat, &["reconnects"]), 3000.0);
    let took = figure(chat, &["reconnect_time_s"]);
    assert!(took >= 20.0, "{took}");
    // Deliveries to the 1000 disconnected clients are lost without an offline store.
    assert!(figure(chat, &["messages_lost"]) > 0.0);
}

#[test]
fn group_messages_are_delivered_to_every_member() {
    let result = run_yaml(&scenario(
        10_000,
        "group_fraction: 100%, group_size: {min: 1, max: 9}",
        "duration: 100s",
        "",
    ));
    let chat = component(&result, "chat");
    let messages = figure(chat, &["messages"]);
    let recipients = figure(chat, &["recipients"]);
    let deliveries = figure(chat, &["deliveries"]);
    // Every member gets its delivery (no failures): done, or still queued on its instance
    // when the run ended.
    let queued = figure(chat, &["deliveries_queued_at_end"]);
    assert_eq!(deliveries + queued, recipients);
    // Sizes uniform on 1..=9: mean 5, variance (9^2 - 1) / 12 = 6.67; over ~2000 messages
    // the sum's standard error is sqrt(2000 x 6.67) = 115 on 10 000: 4 sigma = 4.6%.
    let mean = recipients / messages;
    println!("group size: mean {mean:.3} (theory 5)");
    assert!((mean - 5.0).abs() < 5.0 * 0.046, "{mean}");
}

#[test]
fn the_same_seed_gives_the_same_figures() {
    let run = || {
        let result = crash_run("full");
        let chat = component(&result, "chat");
        let windows: Vec<Option<f64>> = chat
            .extra_windows
            .iter()
            .flat_map(|(_, w)| (0..40).map(move |i| w.value(i, 1.0)))
            .collect();
        (format!("{:?}", chat.figures), windows)
    };
    assert_eq!(run(), run());
}

const VALID: &str = "seed: 1
run: {duration: 10s}
traffic:
  - {name: senders, to: chat, rate: 10/s}
components:
  - server: {name: store, service_time: 1ms}
  - realtime:
      name: chat
      clients: 100
      transport: websocket
      reconnect: {backoff: 1s, jitter: full}
      calls: [store]
";

/// Runs `sim validate` on VALID with `from` replaced by `to`: the first line of the error
/// and the help lines.
fn rejected(from: &str, to: &str) -> (String, Vec<String>) {
    common::refusal_of_edit(VALID, from, to)
}

#[test]
fn the_valid_fixture_runs_and_calls_its_store() {
    let result = run_yaml(VALID);
    let chat = component(&result, "chat");
    assert!(chat.requests > 0);
    // Every send calls the store first (a send still on its way at the end may not have).
    let stored = component(&result, "store").requests;
    assert!(
        stored <= chat.requests && stored + 2 >= chat.requests,
        "{stored}"
    );
}

#[test]
fn an_unknown_transport_suggests_one() {
    let (first, helps) = rejected("transport: websocket", "transport: websockets");
    assert_eq!(
        first,
        "error: scenario.yaml:10:18: unknown transport 'websockets'"
    );
    assert_eq!(helps, ["did you mean 'websocket'?"]);
}

#[test]
fn an_unknown_jitter_suggests_one() {
    let (first, helps) = rejected("jitter: full", "jitter: ful");
    assert_eq!(
        first,
        "error: scenario.yaml:11:40: unknown reconnect jitter 'ful'"
    );
    assert_eq!(helps, ["did you mean 'full'?"]);
}

#[test]
fn a_call_target_must_exist() {
    let (first, helps) = rejected("calls: [store]", "calls: [stor]");
    assert_eq!(
        first,
        "error: scenario.yaml:12:15: call target 'stor' is not defined"
    );
    assert_eq!(helps, ["did you mean 'store'?"]);
}

#[test]
fn switching_transport_is_one_field() {
    // The websocket fixture's heartbeat settings are ignored by the polling transports (their
    // polls tell presence), so `chat.transport: long_polling` alone switches the design.
    let yaml = VALID.replace(
        "      transport: websocket\n",
        "      transport: long_polling\n      heartbeat_interval: 10s\n      presence_timeout: 30s\n      max_connections: 100\n",
    );
    let result = run_yaml(&yaml);
    let chat = component(&result, "chat");
    assert_eq!(figure(chat, &["heartbeats"]), 0.0);
    assert!(figure(chat, &["polls"]) > 0.0);
}

#[test]
fn presence_over_websocket_needs_heartbeats() {
    let (first, helps) = rejected("transport: websocket", "presence_timeout: 30s");
    assert_eq!(
        first,
        "error: scenario.yaml:10:25: presence over websocket needs heartbeats"
    );
    assert_eq!(helps, ["add heartbeat_interval, e.g. 30s"]);
}

#[test]
fn errors_cannot_be_injected_into_realtime_servers() {
    let (first, helps) = rejected(
        "      calls: [store]\n",
        "      calls: [store]\nfailures: [{at: 1s, errors: chat, fraction: 10%}]\n",
    );
    assert_eq!(
        first,
        "error: scenario.yaml:13:29: injected errors apply to server pools, not real-time servers"
    );
    assert_eq!(
        helps,
        ["crash the pool (or one instance, chat[0]), or slow it down"]
    );
}

#[test]
fn an_unknown_field_is_rejected() {
    let (first, _) = rejected("clients: 100", "clients: 100\n      max_conections: 10");
    assert!(first.contains("max_conections"), "{first}");
}

#[test]
fn the_chat_study_keeps_its_claims_on_a_full_run() {
    // The shortened scenario test cannot reach the crash at 2 minutes: judge the assertions
    // of scenarios/case-studies/chat.yaml on the full 5-minute run (about 2 s of CPU).
    let out = Command::cargo_bin("sim")
        .expect("the sim binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .args(["check", "scenarios/case-studies/chat.yaml"])
        .output()
        .expect("run sim");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
