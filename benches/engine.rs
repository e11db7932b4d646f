//! Engine throughput, side by side with a minimal hand-written event loop on the same workloads.
//!
//! `minimal/*` is the floor: a binary heap of arrival and departure events, exponential draws,
//! round-robin routing over FIFO stations and nothing else. `sim/*` runs the matching file of
//! `benches/scenarios/` through the whole simulator (scenario, components, calls through the
//! network layer, histograms, windows). Both process the same number of requests, so the ratio
//! of their times is the overhead of generality.
//!
//! `pending/*` runs an infinite-server pool with N requests in service on average (N = 10^2 to
//! 10^6), to show how the cost per event grows with the size of the pending-event set.
//!
//! Run with `cargo bench --bench engine`; figures are recorded in docs/performance.md.

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

#[path = "common/minimal.rs"]
mod minimal;
use minimal::{minimal_loop, WORKLOADS};

/// Requests per sample of the queueing workloads: enough that the start of a run (time windows
/// still 1 s wide, each new one allocated) weighs little, as in the 10^7-request scenarios.
const REQUESTS: u64 = 1_000_000;

/// Requests per sample of the `pending` group, after the pool has filled.
const PENDING_REQUESTS: u64 = 200_000;

fn sim_scenario(path: &str, requests: u64) -> f64 {
    sim_path(&Path::new(env!("CARGO_MANIFEST_DIR")).join(path), requests)
}

fn sim_path(path: &Path, requests: u64) -> f64 {
    let mut plan = sim::scenario::load(path).expect("benchmark scenario is valid");
    plan.requests = Some(requests);
    let result = sim::run::run(plan, None).expect("benchmark scenario builds");
    result.end_to_end.latency.mean
}

/// The infinite-server workload of the `pending` group: 1000 requests/s, `in_flight` requests
/// in service on average (Little's law: mean service time = in_flight / 1000 s).
fn pending_scenario(in_flight: u64) -> std::path::PathBuf {
    let yaml = format!(
        "name: pending-{in_flight}\nseed: 1\nrun: {{requests: 1000}}\ntraffic:\n  - name: arrivals\n    to: pool\n    \
         rate: 1000/s\ncomponents:\n  - server:\n      name: pool\n      workers: 10000000\n      \
         service_time: {{exponential: {}ms}}\n",
        in_flight
    );
    let path = std::env::temp_dir().join(format!("sim-bench-pending-{in_flight}.yaml"));
    std::fs::write(&path, yaml).expect("temporary directory is writable");
    path
}

fn bench(c: &mut Criterion) {
    for w in WORKLOADS {
        let (name, scenario, stations, workers, lambda) =
            (w.name, w.scenario, w.stations, w.workers, w.lambda);
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        group.throughput(Throughput::Elements(REQUESTS));
        group.bench_function(BenchmarkId::new("minimal", REQUESTS), |b| {
            b.iter(|| minimal_loop(REQUESTS, lambda, 1.0, stations, workers))
        });
        group.bench_function(BenchmarkId::new("sim", REQUESTS), |b| {
            b.iter(|| sim_scenario(scenario, REQUESTS))
        });
        group.finish();
    }

    // Each sample fills the pool (about 1000 * mean service time requests) and then runs
    // PENDING_REQUESTS more at the steady level, so most events see about `in_flight` pending ones.
    let mut group = c.benchmark_group("pending");
    group.sample_size(10);
    for exponent in 2..=6u32 {
        let in_flight = 10u64.pow(exponent);
        let requests = in_flight + PENDING_REQUESTS;
        let path = pending_scenario(in_flight);
        group.throughput(Throughput::Elements(requests));
        group.bench_function(BenchmarkId::new("sim", in_flight), |b| {
            b.iter(|| sim_path(&path, requests))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
