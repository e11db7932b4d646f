//! `summary.json` read back is the same file: a summary with every optional section a study can
//! add (`replications`, `assertions`, `breakdown` with its per-type groups, `cost`), written,
//! read as a typed `Summary` and written again, gives the same bytes. `sim merge` relies on
//! this: it rebuilds a study's files from the summaries the shards wrote.

mod common;

use sim::results::Summary;
use sim::study::{study, Design, Overrides, StudyOptions};

/// Two request types (so the breakdown has `by_type`), a client timeout with retries (client
/// time at the source, its `role`), network links, prices (a `cost` section) and an assertion.
const SCENARIO: &str = concat!(
    "
name: round-trip
seed: 7
run: {duration: 8s, warmup: 2s, breakdown: true}
",
    crate::retrying_two_tier_path!(),
    "cost:
  components:
    web: {per_hour: 0.10}
assert:
  - p99 < 500ms
"
);

#[test]
fn a_summary_with_every_section_reads_back_to_the_same_bytes() {
    let design = Design {
        path: "round-trip.yaml".into(),
        // At 180/s the path saturates in a retry storm on some seeds, and a replication in
        // which nothing succeeded has no latency to average; 100/s keeps every replication
        // measured, so that every section is written.
        text: SCENARIO.replace("rate: 180/s", "rate: 100/s"),
        default_name: "round-trip".into(),
        overrides: Vec::new(),
    };
    let s = study(
        &design,
        &StudyOptions {
            overrides: &Overrides::default(),
            replications: Some(3),
            only: None,
            stop: &|| None,
            done: &|| {},
        },
    )
    .unwrap_or_else(|e| panic!("{}", e.render()));
    let summary = sim::results::summarize::summary(&s.result);
    let replications = summary
        .replications
        .as_ref()
        .expect("a replications section");
    assert_eq!(replications.count, 3);
    assert_eq!(replications.run, [0, 1, 2]);
    assert!(replications.metrics.latency_p99_ms.is_some());
    assert!(summary.assertions.is_some(), "an assertions section");
    assert!(summary.cost.is_some(), "a cost section");
    let breakdown = summary.breakdown.as_ref().expect("a breakdown section");
    assert_eq!(
        breakdown.by_type.keys().collect::<Vec<_>>(),
        ["read", "write"],
        "a group per request type"
    );
    assert!(
        breakdown.all.components.iter().any(|c| c.role.is_some()),
        "the source's client time"
    );

    let written = serde_json::to_string_pretty(&summary).expect("summary serialises");
    let read: Summary = serde_json::from_str(&written).expect("summary.json reads back");
    let again = serde_json::to_string_pretty(&read).expect("summary serialises");
    assert_eq!(written, again);
    // What `sim run` writes goes through a JSON value first; the same bytes either way.
    let via_value = serde_json::to_string_pretty(&sim::results::summarize::to_json(&s.result))
        .expect("summary serialises");
    assert_eq!(written, via_value);
}

/// A kind may report a figure under a common name: a rate limiter's own `rejected` is written
/// once, in the common figure's place, and both read it back.
#[test]
fn a_rate_limiters_own_rejected_reads_back() {
    let design = Design {
        path: "limiter.yaml".into(),
        text: "
name: limiter
run: {duration: 20s}
traffic:
  - {name: users, to: gate, rate: 40/s, clients: 4}
components:
  - rate_limiter:
      name: gate
      downstream: api
      rules:
        - {name: per-client, algorithm: token_bucket, limit: 5, per: 1s, burst: 2, key: client}
  - server: {name: api, service_time: 5ms}
"
        .into(),
        default_name: "limiter".into(),
        overrides: Vec::new(),
    };
    let s = study(
        &design,
        &StudyOptions {
            overrides: &Overrides::default(),
            replications: None,
            only: None,
            stop: &|| None,
            done: &|| {},
        },
    )
    .unwrap_or_else(|e| panic!("{}", e.render()));
    let written = serde_json::to_string_pretty(&sim::results::summarize::summary(&s.result))
        .expect("summary serialises");
    let read: Summary = serde_json::from_str(&written).expect("summary.json reads back");
    let gate = &read.components["gate"];
    assert!(gate.rejected > 0, "the limiter rejected requests");
    assert_eq!(gate.figures.number("rejected"), Some(gate.rejected as f64));
    assert_eq!(
        serde_json::to_string_pretty(&read).expect("summary serialises"),
        written
    );
}
