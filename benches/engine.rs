//! Engine throughput, side by side with a minimal hand-written event loop on the same workload.
//!
//! `minimal/mm1` is the floor: a binary heap of (time, kind) events, exponential draws, one FIFO
//! queue and nothing else. `sim/mm1` runs `benches/scenarios/mm1.yaml` through the whole
//! simulator (scenario, components, histograms, windows). Both process the same number of
//! requests, so the ratio of their times is the overhead of generality.
//!
//! Run with `cargo bench --bench engine`; figures are recorded in docs/performance.md.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::SeedableRng;
use rand_distr::{Distribution, Exp};

const REQUESTS: u64 = 200_000;

/// The minimal M/M/1 loop: arrivals and departures in a binary heap.
fn minimal_mm1(requests: u64, lambda: f64, mu: f64) -> f64 {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let arrival = Exp::new(lambda).expect("positive rate");
    let service = Exp::new(mu).expect("positive rate");
    // (time in ns, 0 = arrival / 1 = departure)
    let mut heap: BinaryHeap<Reverse<(u64, u8)>> = BinaryHeap::new();
    let mut waiting: VecDeque<u64> = VecDeque::new();
    let mut busy_since: Option<u64> = None;
    let mut total_response = 0u128;
    let (mut arrived, mut departed) = (0u64, 0u64);
    let ns = |s: f64| (s * 1e9) as u64;
    heap.push(Reverse((ns(arrival.sample(&mut rng)), 0)));
    while let Some(Reverse((now, kind))) = heap.pop() {
        if kind == 0 {
            arrived += 1;
            if arrived < requests {
                heap.push(Reverse((now + ns(arrival.sample(&mut rng)), 0)));
            }
            if busy_since.is_none() {
                busy_since = Some(now);
                heap.push(Reverse((now + ns(service.sample(&mut rng)), 1)));
            }
            waiting.push_back(now);
        } else {
            departed += 1;
            if let Some(born) = waiting.pop_front() {
                total_response += u128::from(now - born);
            }
            if waiting.is_empty() {
                busy_since = None;
            } else {
                heap.push(Reverse((now + ns(service.sample(&mut rng)), 1)));
            }
        }
    }
    total_response as f64 / departed.max(1) as f64 / 1e9
}

fn sim_scenario(path: &str, requests: u64) -> f64 {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut plan = sim::scenario::load(&root.join(path)).expect("benchmark scenario is valid");
    plan.requests = Some(requests);
    let result = sim::run::run(plan, None).expect("benchmark scenario builds");
    result.end_to_end.latency.mean
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("mm1");
    group.sample_size(10);
    group.throughput(Throughput::Elements(REQUESTS));
    group.bench_function(BenchmarkId::new("minimal", REQUESTS), |b| {
        b.iter(|| minimal_mm1(REQUESTS, 0.9, 1.0))
    });
    group.bench_function(BenchmarkId::new("sim", REQUESTS), |b| {
        b.iter(|| sim_scenario("benches/scenarios/mm1.yaml", REQUESTS))
    });
    group.finish();

    let mut group = c.benchmark_group("mmc");
    group.sample_size(10);
    group.throughput(Throughput::Elements(REQUESTS));
    group.bench_function(BenchmarkId::new("sim", REQUESTS), |b| {
        b.iter(|| sim_scenario("benches/scenarios/mmc.yaml", REQUESTS))
    });
    group.finish();

    let mut group = c.benchmark_group("lb50");
    group.sample_size(10);
    group.throughput(Throughput::Elements(REQUESTS));
    group.bench_function(BenchmarkId::new("sim", REQUESTS), |b| {
        b.iter(|| sim_scenario("benches/scenarios/lb50.yaml", REQUESTS))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
