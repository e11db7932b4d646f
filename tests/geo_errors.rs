//! Bad geography: every mistake in `data_centers`, `network.regions`, a `dns` component or a
//! `crash_data_center` failure exits with code 2, says where it is, and suggests a fix.
//!
//! Each case breaks one line of `fixtures/geo-base.yaml`, a small valid scenario with two data
//! centers behind a DNS, and asserts the exact error and help lines of `sim validate`, run
//! inside a temporary directory holding `scenario.yaml`.

use assert_cmd::Command;

const BASE: &str = include_str!("fixtures/geo-base.yaml");

/// `BASE` with `from`, which must occur exactly once, replaced by `to`.
fn edit(from: &str, to: &str) -> String {
    assert_eq!(
        BASE.matches(from).count(),
        1,
        "the test expects {from:?} exactly once in fixtures/geo-base.yaml"
    );
    BASE.replacen(from, to, 1)
}

/// Runs `sim validate` on `yaml`; returns the exit code and the `error:` and `= help:` lines.
fn validate(yaml: &str) -> (Option<i32>, Vec<String>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("scenario.yaml"), yaml).expect("write scenario.yaml");
    let out = Command::cargo_bin("sim")
        .expect("the sim binary")
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["validate", "scenario.yaml"])
        .output()
        .expect("run sim");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines = stderr
        .lines()
        .filter(|l| l.starts_with("error: ") || l.starts_with("  = help: "))
        .map(str::to_string)
        .collect();
    (out.status.code(), lines)
}

#[track_caller]
fn assert_rejected(yaml: &str, expected: &[&str]) {
    let (code, lines) = validate(yaml);
    assert_eq!(code, Some(2), "exit code; lines: {lines:#?}");
    assert_eq!(lines, expected);
}

#[test]
fn the_geo_fixture_is_valid() {
    let (code, lines) = validate(BASE);
    assert_eq!(code, Some(0), "{lines:#?}");
}

#[test]
fn unknown_data_centers_and_regions_suggest_the_right_name() {
    assert_rejected(
        &edit("crash_data_center: dc-eu", "crash_data_center: dc-ue"),
        &[
            "error: scenario.yaml:23:33: data center 'dc-ue' is not defined",
            "  = help: did you mean 'dc-eu'?",
        ],
    );
    assert_rejected(
        &edit("between: [us, eu]", "between: [us, ue]"),
        &[
            "error: scenario.yaml:21:22: region 'ue' is not defined",
            "  = help: did you mean 'eu'?",
        ],
    );
    assert_rejected(
        &edit(
            "        eu: {dc-eu: 70, dc-us: 30}",
            "        eu: {dc-ue: 70, dc-us: 30}",
        ),
        &[
            "error: scenario.yaml:12:14: data center 'dc-ue' is not defined",
            "  = help: did you mean 'dc-eu'?",
        ],
    );
    assert_rejected(
        &edit(
            "        eu: {dc-eu: 70, dc-us: 30}",
            "        ue: {dc-eu: 70, dc-us: 30}",
        ),
        &[
            "error: scenario.yaml:12:9: 'ue' is not a client region",
            "  = help: did you mean 'eu'?",
        ],
    );
    assert_rejected(
        &edit(
            "components: [web-eu, 'db[1]']",
            "components: [web-ue, 'db[1]']",
        ),
        &[
            "error: scenario.yaml:18:44: data center component 'web-ue' is not defined",
            "  = help: did you mean 'web-eu'?",
        ],
    );
}

#[test]
fn a_component_sits_in_one_data_center() {
    assert_rejected(
        &edit(
            "components: [web-eu, 'db[1]']",
            "components: [web-eu, web-us, 'db[1]']",
        ),
        &[
            "error: scenario.yaml:18:52: 'web-us' is already in data center 'dc-us'",
            "  = help: a component (or a database node) sits in one data center",
        ],
    );
    assert_rejected(
        &edit("components: [web-eu, 'db[1]']", "components: [web-eu, db]"),
        &[
            "error: scenario.yaml:18:52: 'db[0]' is already in data center 'dc-us'",
            "  = help: a component (or a database node) sits in one data center",
        ],
    );
    assert_rejected(
        &edit(
            "components: [web-eu, 'db[1]']",
            "components: [web-eu, 'db[2]']",
        ),
        &["error: scenario.yaml:18:52: 'db' has 2 node(s), numbered 0 to 1; there is no [2]"],
    );
    assert_rejected(
        &edit("components: [web-eu, 'db[1]']", "components: [web-eu, 'web-us[1]']"),
        &[
            "error: scenario.yaml:18:52: only a database's nodes can be placed one by one, and 'web-us' is not a database",
            "  = help: place the whole component: web-us",
        ],
    );
    assert_rejected(
        &edit("components: [web-eu, 'db[1]']", "components: [web-eu, geo, 'db[1]']"),
        &[
            "error: scenario.yaml:18:52: data center component 'geo' is a DNS, which cannot be used here",
            "  = help: a data center component must be a server, a load balancer, a cache, a database, a sharded database, a rate limiter, a queue or an id generator",
        ],
    );
}

#[test]
fn every_region_pair_in_use_needs_a_latency() {
    assert_rejected(
        &edit("region: eu,", "region: ap,"),
        &[
            "error: scenario.yaml:17:27: no latency between regions 'us' and 'ap'",
            "  = help: add {between: [us, ap], latency: 80ms} to network.regions",
            "error: scenario.yaml:18:27: no latency between regions 'ap' and 'eu'",
            "  = help: add {between: [ap, eu], latency: 80ms} to network.regions",
        ],
    );
    assert_rejected(
        &edit(
            "    - {between: [us, eu], latency: 80ms}\n",
            "    - {between: [us, eu], latency: 80ms}\n    - {between: [eu, us], latency: 90ms}\n",
        ),
        &["error: scenario.yaml:22:17: the latency between 'eu' and 'us' is given twice"],
    );
}

#[test]
fn dns_targets_and_routing_are_checked() {
    assert_rejected(
        &edit("components: [web-us, 'db[0]']", "components: ['db[0]']"),
        &[
            "error: scenario.yaml:10:17: DNS target 'web-us' is not in any data center",
            "  = help: list it in the components of a data center under data_centers",
        ],
    );
    assert_rejected(
        &edit("targets: [web-us, web-eu]", "targets: [web-us, web-eu, db]"),
        &[
            "error: scenario.yaml:10:33: DNS target 'db' is a database, which cannot be used here",
            "  = help: a DNS target must be a server or a load balancer",
        ],
    );
    assert_rejected(
        &edit(
            "        eu: {dc-eu: 70, dc-us: 30}",
            "        eu: {dc-eu: 70, dc-us: -1}",
        ),
        &["error: scenario.yaml:12:32: weight of 'dc-us' must be a positive number, got -1"],
    );
    // Without a routing entry, clients go to the DNS's data centers in their own region; a
    // client region with none there needs an entry.
    assert_rejected(
        &edit(
            "    - {between: [us, eu], latency: 80ms}\n",
            "    - {between: [us, eu], latency: 80ms}\n    - {between: [us, sa], latency: 120ms}\n    - {between: [eu, sa], latency: 190ms}\n",
        )
        .replace("regions: {us: 0.5, eu: 0.5}", "regions: {us: 0.5, eu: 0.4, sa: 0.1}"),
        &[
            "error: scenario.yaml:9:13: client region 'sa' has no data center of DNS 'geo' and no routing entry",
            "  = help: add e.g. routing: {sa: {<data center>: 1}}",
        ],
    );
}

#[test]
fn a_data_center_failure_is_checked() {
    assert_rejected(
        &edit("crash_data_center: dc-eu, for: 2s", "crash_data_center: dc-eu, crash: web-us"),
        &[
            "error: scenario.yaml:23:10: a failure needs exactly one of crash, slow, errors, partition, latency or crash_data_center",
            "  = help: e.g. {at: 5m, crash_data_center: dc-east, for: 10m}",
        ],
    );
    assert_rejected(
        &edit("crash_data_center: dc-eu, for: 2s", "crash: geo"),
        &[
            "error: scenario.yaml:23:21: failure target 'geo' is a DNS, which cannot be used here",
            "  = help: a failure target must be a server, a cache, a database, a rate limiter, a queue, a CDN, a provider, an id generator or a pool of real-time servers",
        ],
    );
}
