//! The id generator component end to end.
//!
//! - Snowflake: no duplicate at twice the ceiling over several machines, and the ceiling itself
//!   (2^sequence_bits ids per ms per machine, for 12 and 8 bits); a clock jump back with
//!   `wait` (no duplicate, a delay of about the jump), `ignore` (duplicates, counted exactly)
//!   and `fail`.
//! - Multi-master: unique ids, each congruent to its master's offset modulo the step; a
//!   crashed master's share moves to the others.
//! - Auto-increment: the ceiling (workers / service time) and the mean time in the generator
//!   against M/M/1 and M/D/1.
//! - UUID: unique, and out of order as often as random values are (n minus the records).
//! - Scenario errors name their location, in the style of tests/cli_errors.rs.
//!
//! Run with `--nocapture` for the rows of docs/validation.md.

mod common;

use common::{component, figure, run_yaml};
use serde_json::Value;
use sim::model::ComponentReport;

fn nodes(report: &ComponentReport) -> Vec<Value> {
    match report.figures_json().get("nodes") {
        Some(Value::Array(nodes)) => nodes.clone(),
        _ => panic!("no nodes"),
    }
}

/// A source sending `rate` straight to an id generator for `duration`.
fn scenario(rate: &str, duration: &str, arrivals: &str, generator: &str, extra: &str) -> String {
    format!(
        "
seed: 11
run: {{duration: {duration}}}
traffic:
  - {{name: clients, to: ids, rate: {rate}, arrivals: {arrivals}}}
components:
  - id_generator: {generator}
{extra}"
    )
}

/// The snowflake ceiling. Each machine issues at most 2^b ids in each millisecond of its clock.
/// Offered twice that from the start (Poisson, split evenly by round robin), a machine has
/// 2^b requests waiting before the end of its first millisecond (the chance that a Poisson
/// count of mean 2^(b+1) falls below 2^b is below 1e-100 for b = 8 and much less for b = 12),
/// and from then on its backlog only grows: it issues exactly 2^b ids in every millisecond of
/// the run. A run of T ms holds T + 1 millisecond boundaries (0 to T: events at the instant the
/// run stops are delivered), so a machine issues 2^b (T + 1) ids; we allow one millisecond's
/// worth, 2^b, either way, and the rate per ms is issued / (T + 1).
fn check_ceiling(sequence_bits: u32, machines: u64, ms: u64) -> (f64, f64) {
    let per_ms = 1u64 << sequence_bits;
    let timestamp_bits = 63 - 10 - sequence_bits;
    let rate = 2 * per_ms * 1000 * machines;
    let yaml = scenario(
        &format!("{rate}/s"),
        &format!("{ms}ms"),
        "poisson",
        &format!(
            "{{name: ids, scheme: snowflake, instances: {machines}, sequence_bits: {sequence_bits}, timestamp_bits: {timestamp_bits}}}"
        ),
        "",
    );
    let result = run_yaml(&yaml);
    let ids = component(&result, "ids");
    assert_eq!(figure(ids, &["duplicates"]), 0.0);
    assert_eq!(figure(ids, &["peak_ids_per_ms_per_machine"]), per_ms as f64);
    assert!(figure(ids, &["sequence_waits"]) > 0.0);
    for node in nodes(ids) {
        let issued = node["ids_issued"].as_u64().expect("ids_issued");
        let expected = per_ms * (ms + 1);
        assert!(
            issued.abs_diff(expected) <= per_ms,
            "{issued} ids issued by {}, expected {expected} +- {per_ms}",
            node["node"]
        );
    }
    let issued = figure(ids, &["ids_issued"]);
    let per_ms_per_machine = issued / ((ms + 1) * machines) as f64;
    println!(
        "| snowflake ceiling, {sequence_bits} sequence bits, {machines} machines at 2x | {per_ms} ids/ms/machine | {per_ms_per_machine:.1} |"
    );
    (per_ms_per_machine, per_ms as f64)
}

#[test]
fn snowflake_never_duplicates_and_issues_4096_ids_per_ms_per_machine() {
    let (measured, ceiling) = check_ceiling(12, 4, 20);
    assert!((measured - ceiling).abs() <= ceiling / 21.0);
}

#[test]
fn eight_sequence_bits_cap_a_machine_at_256_ids_per_ms() {
    let (measured, ceiling) = check_ceiling(8, 2, 50);
    assert!((measured - ceiling).abs() <= ceiling / 51.0);
}

/// 100 ids per ms, evenly spaced (every 10us), to one machine whose clock jumps back 5ms at
/// 10.005ms, between two arrivals.
fn clock_jump(policy: &str) -> sim::results::RunResult {
    let yaml = scenario(
        "100000/s",
        "30ms",
        "constant",
        &format!("{{name: ids, scheme: snowflake, on_clock_backwards: {policy}}}"),
        "failures: [{at: 10005us, clock_jump: 'ids[0]', by: -5ms}]\n",
    );
    run_yaml(&yaml)
}

#[test]
fn a_clock_going_back_with_wait_delays_by_about_the_jump_and_duplicates_nothing() {
    let result = clock_jump("wait");
    let ids = component(&result, "ids");
    assert_eq!(figure(ids, &["duplicates"]), 0.0);
    assert_eq!(figure(ids, &["clock_backwards_events"]), 1.0);
    // The first request after the jump (at 10.010ms) finds the clock at 5.010ms, below the
    // last timestamp issued (10ms, at 10.000ms): it waits until the clock reads 10ms again, at
    // 15.000ms, 4.99ms; the requests behind it wait less. The longest wait is thus the jump
    // less the 10us between the jump's last id and the next arrival.
    let max = ids.latency.max;
    assert!((4.9..=5.0).contains(&max), "longest wait {max} ms");
    // Those held (the one waiting and those queued behind it) are the arrivals of the 4.99ms
    // the clock took to catch up: 499 (+- 1 at the edges).
    let held = figure(ids, &["held_by_clock"]);
    assert!((498.0..=500.0).contains(&held), "{held} held");
    assert_eq!(ids.outcomes.failed, 0);
}

#[test]
fn a_clock_going_back_with_ignore_issues_duplicates() {
    let result = clock_jump("ignore");
    let ids = component(&result, "ids");
    // Before the jump, milliseconds 0..9 of the clock each issued 100 ids (sequences 0..99)
    // and millisecond 10 one. After it the clock reads 5.010ms .. : milliseconds 5..9 are
    // issued again from sequence 0 (99 ids in ms 5, then 100 each) and ms 10 again from 0:
    // 99 + 4 * 100 + 1 = 500 repeats (+- 1 for arrivals at the millisecond edges).
    let duplicates = figure(ids, &["duplicates"]);
    assert!((499.0..=501.0).contains(&duplicates), "{duplicates}");
    assert_eq!(figure(ids, &["held_by_clock"]), 0.0);
    assert!(ids.latency.max < 1e-3, "no waiting: {} ms", ids.latency.max);
}

#[test]
fn a_clock_going_back_with_fail_fails_until_it_catches_up() {
    let result = clock_jump("fail");
    let ids = component(&result, "ids");
    assert_eq!(figure(ids, &["duplicates"]), 0.0);
    let failed = figure(ids, &["failures", "clock_backwards"]);
    assert!((498.0..=500.0).contains(&failed), "{failed}");
    assert_eq!(ids.outcomes.failed as f64, failed);
}

#[test]
fn multi_master_ids_are_unique_and_congruent_to_their_offset() {
    let yaml = scenario(
        "3000/s",
        "4s",
        "poisson",
        "{name: ids, scheme: multi_master, masters: 3, service_time: 100us}",
        "failures: [{at: 2s, crash: 'ids[1]'}]\n",
    );
    let result = run_yaml(&yaml);
    let ids = component(&result, "ids");
    assert_eq!(figure(ids, &["duplicates"]), 0.0);
    // (Round robin over masters of equal speed keeps their counters nearly in step, so their
    // ids come out nearly in order here; the unique-ids study shows the disorder when the
    // masters' loads differ.)
    let nodes = nodes(ids);
    for (i, node) in nodes.iter().enumerate() {
        assert_eq!(node["ids_not_congruent_to_offset"], 0);
        assert_eq!(node["offset"], i + 1);
        assert_eq!(node["min_id"], i + 1);
        let (min, max) = (node["min_id"].as_u64(), node["max_id"].as_u64());
        let issued = node["ids_issued"].as_u64().expect("issued");
        // A master's ids are offset, offset + 3, ...: the largest is offset + 3 (n - 1).
        assert_eq!(max, min.map(|m| m + 3 * (issued - 1)));
    }
    // Master 1 crashed half way: masters 0 and 2 took its share (round robin skips it).
    let issued: Vec<u64> = nodes
        .iter()
        .map(|n| n["ids_issued"].as_u64().expect("issued"))
        .collect();
    assert!(issued[1] * 2 < issued[0] + 100, "{issued:?}");
    assert_eq!(figure(ids, &["failures", "no_node_up"]), 0.0);
}

/// Mean time in an auto-increment generator with one worker at rho = 0.8.
///
/// M/M/1 (exponential 1ms): T = 1 / (mu - lambda) = 5ms. M/D/1 (constant 1ms): T = 1/mu +
/// rho / (2 mu (1 - rho)) = 3ms (Pollaczek-Khinchine).
/// Tolerance: the customer-average wait in an M/M/1 queue has asymptotic variance
/// rho (2 + 5 rho - 4 rho^2 + rho^3) / (1 - rho)^4 / mu^2 (the formula of docs/validation.md's
/// M/M/1 row), 1976 ms^2 at rho = 0.8; the service time adds its own 1 ms^2 (and a small
/// positive covariance with the waits of later customers). Over n = 320,000 requests (400 s)
/// the standard error of the mean time is about sqrt(2000 / 320000) = 0.079 ms, 1.6% of 5 ms:
/// we allow 7%, about 4.4 standard errors. M/D/1 has smaller waits and variances, so the same
/// relative bound is looser for it.
fn mean_time(service: &str) -> f64 {
    let yaml = scenario(
        "800/s",
        "400s",
        "poisson",
        &format!("{{name: ids, scheme: auto_increment, service_time: {service}}}"),
        "",
    );
    let result = run_yaml(&yaml);
    let ids = component(&result, "ids");
    assert_eq!(figure(ids, &["duplicates"]), 0.0);
    assert_eq!(figure(ids, &["out_of_order"]), 0.0, "one counter: in order");
    let utilization = ids.utilization.expect("utilisation");
    assert!((utilization - 0.8).abs() < 0.02, "{utilization}");
    ids.latency.mean
}

#[test]
fn auto_increment_matches_mm1_and_md1() {
    let mm1 = mean_time("{exponential: 1ms}");
    println!("| auto_increment M/M/1 rho 0.8, mean time | 5.00 ms | {mm1:.2} ms |");
    assert!((mm1 / 5.0 - 1.0).abs() < 0.07, "M/M/1: {mm1} ms");
    let md1 = mean_time("1ms");
    println!("| auto_increment M/D/1 rho 0.8, mean time | 3.00 ms | {md1:.2} ms |");
    assert!((md1 / 3.0 - 1.0).abs() < 0.07, "M/D/1: {md1} ms");
}

/// At twice its ceiling a one-worker database with a constant 1ms service issues exactly one
/// id per ms once a backlog exists (from the first ms on): 1000 per second, +- 1.
#[test]
fn auto_increment_is_capped_at_workers_over_service_time() {
    let yaml = scenario(
        "2000/s",
        "5s",
        "poisson",
        "{name: ids, scheme: auto_increment, service_time: 1ms}",
        "",
    );
    let result = run_yaml(&yaml);
    let ids = component(&result, "ids");
    let issued = figure(ids, &["ids_issued"]);
    assert!((issued - 5000.0).abs() <= 2.0, "{issued}");
    assert_eq!(figure(ids, &["ceiling_ids_per_s"]), 1000.0);
    // The ids are exactly 1..=n.
    assert_eq!(nodes(ids)[0]["min_id"], 1);
    assert_eq!(nodes(ids)[0]["max_id"].as_f64(), Some(issued));
}

#[test]
fn auto_increment_is_a_single_point_of_failure() {
    let yaml = scenario(
        "500/s",
        "4s",
        "poisson",
        "{name: ids, scheme: auto_increment, service_time: 1ms}",
        "failures: [{at: 1s, crash: ids, for: 1s}]\n",
    );
    let result = run_yaml(&yaml);
    let ids = component(&result, "ids");
    // About a quarter of the requests (those of the second second) fail.
    let failed = ids.outcomes.failed as f64 / ids.requests as f64;
    assert!((0.2..0.3).contains(&failed), "{failed}");
    assert!(figure(ids, &["failures", "no_node_up"]) > 0.0);
}

/// n random values: a value is out of order unless it is a record (larger than all before);
/// the number of records among n iid values has mean H_n = ln n + 0.58 (about 12 for 10^5) and
/// variance below H_n, so n - 40 is more than 8 standard deviations away.
#[test]
fn uuids_are_unique_and_unordered() {
    let yaml = scenario(
        "100000/s",
        "1s",
        "poisson",
        "{name: ids, scheme: uuid, instances: 3}",
        "",
    );
    let result = run_yaml(&yaml);
    let ids = component(&result, "ids");
    let n = figure(ids, &["ids_issued"]);
    assert!(n > 99_000.0);
    assert_eq!(figure(ids, &["duplicates"]), 0.0);
    let out_of_order = figure(ids, &["out_of_order"]);
    assert!(
        out_of_order >= n - 40.0 && out_of_order < n,
        "{out_of_order} of {n}"
    );
    let p = figure(ids, &["collision_probability"]);
    let expected = n * (n - 1.0) / 2f64.powi(123);
    assert!((p / expected - 1.0).abs() < 1e-6, "{p} vs {expected}");
}

#[test]
fn snowflake_machines_in_two_data_centers_get_their_data_center_ids() {
    let yaml = "
seed: 2
run: {duration: 1s}
traffic:
  - {name: clients, to: web, rate: 2000/s, regions: {us: 1, eu: 1}}
components:
  - server: {name: web, service_time: 0s, workers: 100, calls: [ids]}
  - id_generator: {name: ids, scheme: snowflake, instances: 4}
data_centers:
  - {name: dc-us, region: us, components: [web, 'ids[0]', 'ids[2]']}
  - {name: dc-eu, region: eu, components: ['ids[1]', 'ids[3]']}
network:
  regions:
    - {between: [us, eu], latency: 40ms}
";
    let result = run_yaml(yaml);
    let ids = component(&result, "ids");
    let ids_of = |i: usize, key: &str| nodes(ids)[i][key].as_u64();
    assert_eq!(
        (0..4)
            .map(|i| (ids_of(i, "datacenter_id"), ids_of(i, "machine_id")))
            .collect::<Vec<_>>(),
        [(0, 0), (1, 0), (0, 1), (1, 1)].map(|(d, m)| (Some(d), Some(m)))
    );
    // web sits in dc-us: its calls go to the machines there, none to dc-eu.
    assert_eq!(ids_of(1, "ids_issued"), Some(0));
    assert_eq!(figure(ids, &["cross_region_calls"]), 0.0);
    assert_eq!(figure(ids, &["duplicates"]), 0.0);
}

const VALID: &str = "seed: 1
run: {duration: 1s}
traffic:
  - {name: clients, to: ids, rate: 100/s}
components:
  - id_generator: {name: ids, scheme: snowflake}
  - server: {name: web, service_time: 1ms}
failures: [{at: 1s, crash: web}]
";

fn rejected(from: &str, to: &str) -> (String, Vec<String>) {
    common::refusal_of_edit(VALID, from, to)
}

#[test]
fn the_valid_fixture_runs() {
    let result = run_yaml(VALID);
    assert!(component(&result, "ids").requests > 0);
}

#[test]
fn an_unknown_scheme_suggests_one() {
    let (first, helps) = rejected("scheme: snowflake", "scheme: snowflak");
    assert_eq!(
        first,
        "error: scenario.yaml:6:39: unknown id generator scheme 'snowflak'"
    );
    assert_eq!(helps, ["did you mean 'snowflake'?"]);
}

#[test]
fn bit_widths_must_sum_to_63() {
    let (first, helps) = rejected("scheme: snowflake", "scheme: snowflake, sequence_bits: 14");
    assert_eq!(
        first,
        "error: scenario.yaml:6:65: the snowflake bit widths sum to 65 (timestamp 41 + data center 5 + machine 5 + sequence 14), not 63"
    );
    assert_eq!(
        helps,
        ["an id is 63 bits plus the sign bit; e.g. 41 + 5 + 5 + 12 (the defaults)"]
    );
}

#[test]
fn options_of_another_scheme_are_refused() {
    let (first, helps) = rejected("scheme: snowflake", "scheme: uuid, sequence_bits: 10");
    assert_eq!(
        first,
        "error: scenario.yaml:6:60: 'sequence_bits' does not apply to the uuid scheme"
    );
    assert_eq!(helps, ["'sequence_bits' is an option of snowflake"]);
}

#[test]
fn too_many_machines_for_the_machine_bits() {
    let (first, helps) = rejected(
        "scheme: snowflake",
        "scheme: snowflake, instances: 5, machine_bits: 2, timestamp_bits: 44",
    );
    assert_eq!(
        first,
        "error: scenario.yaml:6:26: 'ids' has 5 machines in one data center, more than 2 machine bit(s) can number"
    );
    assert_eq!(
        helps,
        ["at most 4 machines per data center; give machine_bits more bits"]
    );
}

#[test]
fn an_unknown_clock_policy_suggests_one() {
    let (first, helps) = rejected(
        "scheme: snowflake",
        "scheme: snowflake, on_clock_backwards: wiat",
    );
    assert_eq!(
        first,
        "error: scenario.yaml:6:70: unknown on_clock_backwards policy 'wiat'"
    );
    assert_eq!(helps, ["did you mean 'wait'?"]);
}

#[test]
fn clock_jumps_need_a_snowflake_and_a_size() {
    let (first, helps) = rejected("crash: web}", "clock_jump: web, by: -5ms}");
    assert_eq!(
        first,
        "error: scenario.yaml:8:33: 'web' has no clock to jump: clock jumps apply to snowflake id generators"
    );
    assert_eq!(helps, ["name an id_generator with scheme: snowflake"]);
    let (first, helps) = rejected("crash: web}", "clock_jump: 'ids[0]'}");
    assert_eq!(first, "error: scenario.yaml:8:33: a clock jump needs 'by'");
    assert_eq!(helps, ["e.g. by: -5ms (backwards) or by: 1s (forwards)"]);
    let (first, _) = rejected("crash: web}", "clock_jump: ids, by: -5ms, for: 1s}");
    assert_eq!(
        first,
        "error: scenario.yaml:8:17: 'for' does not apply to clock_jump"
    );
    let (first, _) = rejected("crash: web}", "clock_jump: ids, by: 0ms}");
    assert_eq!(
        first,
        "error: scenario.yaml:8:42: clock jump: '0ms' is no jump: give a non-zero duration such as -5ms"
    );
}
