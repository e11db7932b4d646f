//! One run of the minimal event loop, for instruction counts:
//! `valgrind --tool=callgrind target/release/deps/minimal_loop-* mm1 1000000` (see
//! docs/performance.md). Arguments: a workload name (mm1, mmc, lb50) and a request count.

#[path = "common/minimal.rs"]
mod minimal;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map_or("mm1", String::as_str);
    let requests = args
        .get(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let Some(w) = minimal::WORKLOADS.iter().find(|w| w.name == name) else {
        eprintln!("unknown workload {name}: use mm1, mmc or lb50");
        std::process::exit(2);
    };
    let mean = minimal::minimal_loop(requests, w.lambda, 1.0, w.stations, w.workers);
    println!(
        "{name} ({}): {requests} requests, mean response {mean:.4} s",
        w.scenario
    );
}
