//! The memory estimate behind `run.max_memory` (src/scenario/budget.rs), against the heap that
//! models of every size-driving kind really take: each case runs as `sim run` does (the
//! study, then every output) under a counting allocator that keeps the peak, at two sizes.
//! The estimate must cover the peak (it guards the process) without being absurd: at most
//! twice the peak beyond the fixed part.
//!
//! One test per file: the peak is a high-water mark for the whole process, so nothing else may
//! run beside the measurements.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, keeping the live heap and its peak.
struct Peak;

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; the counters are arithmetic on the side.
unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Peak = Peak;

/// The peak heap of running `yaml` as `sim run` does, above what was live before, and the
/// estimate of its plan.
fn measure(yaml: &str) -> (u64, u64) {
    let design = sim::study::Design {
        path: "case.yaml".into(),
        text: yaml.to_string(),
        default_name: "case".into(),
        overrides: Vec::new(),
    };
    let plan = design
        .plan()
        .unwrap_or_else(|e| panic!("{}\n{yaml}", e.render()));
    let estimate = sim::study::memory_needed(&plan, u64::from(plan.replications)).total();
    drop(plan);
    let out = tempfile::tempdir().expect("temporary directory");
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    {
        let overrides = sim::study::Overrides::default();
        let study = sim::study::study(
            &design,
            &sim::study::StudyOptions {
                overrides: &overrides,
                replications: None,
                only: None,
                stop: &|| None,
                done: &|| {},
            },
        )
        .unwrap_or_else(|e| panic!("{}", e.render()));
        sim::report::write_outputs(&study.result, out.path()).expect("outputs");
    }
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    (peak as u64, estimate)
}

/// `n` copies of a component, each called by the web tier on every request.
fn called(n: usize, duration: &str, component: impl Fn(usize) -> String) -> String {
    let names: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    let mut yaml = format!(
        "name: case\nseed: 1\nrun: {{duration: {duration}}}\ntraffic:\n  - {{name: users, to: web, rate: 20/s, keys: {{count: 1000}}}}\n\
         components:\n  - server: {{name: web, workers: 10000, service_time: 1ms, calls: [{}]}}\n",
        names.join(", ")
    );
    for i in 0..n {
        yaml.push_str(&component(i));
    }
    yaml
}

/// The two sizes of every case (in items, or hundreds or thousands of them).
const SIZES: [usize; 2] = [10, 60];

/// Each case at a small and a large size: what grows with it, and the scenario.
fn cases() -> Vec<(&'static str, Vec<String>)> {
    let sizes = SIZES;
    let each = |f: &dyn Fn(usize) -> String| sizes.iter().map(|&n| f(n)).collect::<Vec<_>>();
    vec![
        (
            "traffic sources",
            each(&|n| {
                let mut y = String::from("name: case\nrun: {duration: 10s}\ntraffic:\n");
                for i in 0..n {
                    y.push_str(&format!("  - {{name: s{i}, to: web, rate: 2/s}}\n"));
                }
                y.push_str("components:\n  - server: {name: web, workers: 8, service_time: 1ms}\n");
                y
            }),
        ),
        (
            "servers, 4096 windows",
            each(&|n| {
                called(n, "5000s", |i| {
                    format!("  - server: {{name: c{i}, workers: 4, service_time: 1ms}}\n")
                })
            }),
        ),
        (
            "replications",
            each(&|n| {
                called(20, "600s", |i| {
                    format!("  - server: {{name: c{i}, workers: 4, service_time: 1ms}}\n")
                })
                .replace("run: {", &format!("run: {{replications: {}, ", n / 5))
            }),
        ),
        (
            "server instances",
            each(&|n| {
                format!(
                    "name: case\nrun: {{duration: 60s}}\ntraffic:\n  - {{name: users, to: lb, rate: 2000/s}}\n\
                     components:\n  - load_balancer: {{name: lb, backends: [web]}}\n  \
                     - server: {{name: web, instances: {}, workers: 2, service_time: 1ms}}\n",
                    n * 100
                )
            }),
        ),
        (
            "cache entries",
            each(&|n| {
                format!(
                    "name: case\nrun: {{duration: 20s}}\ntraffic:\n  - {{name: users, to: web, rate: 20000/s, keys: {{count: {k}, popularity: uniform}}}}\n\
                     components:\n  - server: {{name: web, workers: 1000, service_time: 0.1ms, calls: [c]}}\n  \
                     - cache: {{name: c, capacity: {cap}, backing: db, hit_time: 0.1ms}}\n  \
                     - server: {{name: db, workers: 1000, service_time: 0.1ms}}\n",
                    k = n * 10_000,
                    cap = n * 1000
                )
            }),
        ),
        (
            "closed-loop users",
            each(&|n| {
                format!(
                    "name: case\nrun: {{duration: 10s}}\ntraffic:\n  - {{name: users, to: web, users: {}, think_time: {{exponential: 10s}}}}\n\
                     components:\n  - server: {{name: web, workers: 100000, service_time: 1ms}}\n",
                    n * 1000
                )
            }),
        ),
        (
            "real-time clients",
            each(&|n| {
                format!(
                    "name: case\nrun: {{duration: 10s}}\ntraffic:\n  - {{name: senders, to: chat, rate: 100/s}}\n\
                     components:\n  - realtime: {{name: chat, clients: {}, instances: 4, heartbeat_interval: 30s}}\n",
                    n * 1000
                )
            }),
        ),
        (
            "databases",
            each(&|n| {
                called(n, "60s", |i| {
                    format!("  - database: {{name: c{i}, replicas: 2, connections: 4, read_time: 1ms}}\n")
                })
            }),
        ),
        (
            "queues",
            each(&|n| {
                let mut y = called(n, "60s", |i| {
                    format!("  - queue: {{name: c{i}, consumer: w{i}}}\n")
                });
                for i in 0..n {
                    y.push_str(&format!(
                        "  - server: {{name: w{i}, workers: 2, service_time: 1ms}}\n"
                    ));
                }
                y
            }),
        ),
        (
            "rate limiters",
            each(&|n| {
                called(n, "60s", |i| {
                    format!("  - rate_limiter: {{name: c{i}, rules: [{{algorithm: sliding_window, limit: 100, key: key}}]}}\n")
                })
            }),
        ),
        (
            "providers",
            each(&|n| called(n, "60s", |i| format!("  - provider: {{name: c{i}}}\n"))),
        ),
        (
            "load balancers",
            each(&|n| {
                let mut y = called(n, "60s", |i| {
                    format!("  - load_balancer: {{name: c{i}, backends: [b{i}]}}\n")
                });
                for i in 0..n {
                    y.push_str(&format!("  - server: {{name: b{i}, service_time: 1ms}}\n"));
                }
                y
            }),
        ),
        (
            "caches",
            each(&|n| {
                let mut y = called(n, "60s", |i| {
                    format!("  - cache: {{name: c{i}, capacity: 100, backing: db}}\n")
                });
                y.push_str("  - server: {name: db, workers: 100, service_time: 1ms}\n");
                y
            }),
        ),
        (
            "CDNs",
            each(&|n| {
                let mut y = called(n, "60s", |i| {
                    format!("  - cdn: {{name: c{i}, origin: o, capacity: 100, edges: [{{region: us, latency: 1ms}}]}}\n")
                })
                .replace("count: 1000}", "count: 1000}, regions: {us: 1}");
                y.push_str("  - server: {name: o, workers: 100, service_time: 1ms}\n");
                y
            }),
        ),
        (
            "fan-outs",
            each(&|n| {
                let mut y = called(n, "60s", |i| {
                    format!("  - fanout: {{name: c{i}, to: o, followers: {{constant: 3}}}}\n")
                });
                y.push_str("  - server: {name: o, workers: 1000, service_time: 0.1ms}\n");
                y
            }),
        ),
        (
            "sharded databases",
            each(&|n| {
                let mut y = called(n, "60s", |i| {
                    format!("  - sharded_database: {{name: c{i}, shards: [a{i}, b{i}]}}\n")
                });
                for i in 0..n {
                    y.push_str(&format!(
                        "  - database: {{name: a{i}, read_time: 1ms}}\n  - database: {{name: b{i}, read_time: 1ms}}\n"
                    ));
                }
                y
            }),
        ),
        (
            "real-time pools",
            each(&|n| {
                let mut y = String::from("name: case\nrun: {duration: 60s}\ntraffic:\n");
                for i in 0..n {
                    y.push_str(&format!("  - {{name: s{i}, to: c{i}, rate: 2/s}}\n"));
                }
                y.push_str("components:\n");
                for i in 0..n {
                    y.push_str(&format!("  - realtime: {{name: c{i}, clients: 10}}\n"));
                }
                y
            }),
        ),
        (
            "id generators",
            each(&|n| {
                called(n, "60s", |i| {
                    format!("  - id_generator: {{name: c{i}, scheme: snowflake, instances: 4}}\n")
                })
            }),
        ),
    ]
}

#[test]
fn the_memory_estimate_covers_the_peak_heap_without_being_absurd() {
    // The first run sets up what every later one shares (rayon's threads, lazy statics).
    measure(&called(1, "1s", |i| {
        format!("  - server: {{name: c{i}, service_time: 1ms}}\n")
    }));
    let mut table = String::new();
    let mut failures = Vec::new();
    for (what, yamls) in cases() {
        let mut row = Vec::new();
        for yaml in &yamls {
            let (peak, estimate) = measure(yaml);
            row.push((peak, estimate));
            if peak > estimate {
                failures.push(format!(
                    "{what}: peak {peak} bytes above the estimate {estimate}"
                ));
            }
            // The fixed part covers sim itself; beyond it, at most twice what was measured.
            if estimate > 2 * peak + 24_000_000 {
                failures.push(format!(
                    "{what}: estimate {estimate} bytes is more than twice the peak {peak}"
                ));
            }
        }
        let slope = || row[1].0.saturating_sub(row[0].0) as f64 / (SIZES[1] - SIZES[0]) as f64;
        let _ = writeln!(
            table,
            "{what:<24} peak {:>12} -> {:>12}   estimate {:>12} -> {:>12}   per step {:>10.0}",
            row[0].0,
            row[1].0,
            row[0].1,
            row[1].1,
            slope()
        );
    }
    println!("{table}");
    assert!(failures.is_empty(), "{}\n{table}", failures.join("\n"));
}
