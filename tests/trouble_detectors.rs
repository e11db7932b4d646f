//! Trouble detectors: they fire where the trouble is, and stay quiet where it is not.

mod common;

use common::{load_file, run_file};
use sim::insight::detect;

fn kinds(path: &str) -> Vec<&'static str> {
    detect(&run_file(path)).iter().map(|f| f.kind).collect()
}

#[test]
fn the_retry_storm_is_metastable_and_its_cure_is_not() {
    let storm = detect(&run_file("scenarios/retry-storm.yaml"));
    let metastable = storm
        .iter()
        .find(|f| f.kind == "metastable_failure")
        .expect("the storm is metastable");
    // The surge lasts from 60 s to 80 s.
    assert!((metastable.at_s - 80.0).abs() <= 1.0, "{metastable:?}");
    assert!(storm.iter().any(|f| f.kind == "goodput_collapse"));
    assert_eq!(
        kinds("scenarios/retry-storm-cured.yaml"),
        Vec::<&str>::new()
    );
}

#[test]
fn an_overloaded_single_server_is_saturated() {
    let found = detect(&run_file("scenarios/01-single-server.yaml"));
    let saturation = found
        .iter()
        .find(|f| f.kind == "saturation")
        .expect("saturated");
    assert_eq!(saturation.component.as_deref(), Some("web"));
}

/// M/M/1 at 90% load and M/M/8 at 87.5%: goodput swings widely from one average to the next
/// (the best of thousands of them is twice the typical one), but a queue that keeps up is not a
/// collapse. Before the detector compared goodput with the offered load and asked it to last,
/// it fired on all six of these runs.
#[test]
fn a_busy_but_healthy_queue_has_no_goodput_collapse() {
    for (file, seed) in [
        ("mm1.yaml", 1),
        ("mm1.yaml", 2),
        ("mm1.yaml", 3),
        ("mmc.yaml", 1),
        ("mmc.yaml", 2),
        ("mmc.yaml", 3),
    ] {
        let mut plan = load_file(&format!("benches/scenarios/{file}"));
        plan.requests = Some(100_000);
        plan.seed = seed;
        let result = sim::run::run(plan, None).expect("runs");
        assert_eq!(detect(&result), Vec::new(), "{file}, seed {seed}");
    }
}

#[test]
fn a_stable_queue_and_a_crash_it_recovers_from_raise_nothing() {
    let mut plan = load_file("benches/scenarios/mmc.yaml");
    plan.requests = Some(300_000);
    let result = sim::run::run(plan, None).expect("runs");
    assert_eq!(detect(&result), Vec::new());
    assert_eq!(kinds("scenarios/03-load-balancer.yaml"), Vec::<&str>::new());
}
