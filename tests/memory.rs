//! Memory does not grow with the number of requests: histograms have fixed sizes, time windows
//! are capped (merged pairwise beyond `MAX_WINDOWS`) and nothing is kept per finished request.
//!
//! One test per file: the heap is counted by a global allocator (dhat's), and its peak is a
//! high-water mark for the whole process, so nothing else may run beside the measurement.

mod common;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Runs benches/scenarios/mm1.yaml for `requests` and writes every output, as `sim run` does.
fn run_mm1(requests: u64) {
    let mut plan = common::load_file("benches/scenarios/mm1.yaml");
    plan.requests = Some(requests);
    let result = sim::run::run(plan, None).expect("run");
    assert_eq!(result.end_to_end.outcomes.succeeded, requests);
    let out = tempfile::tempdir().expect("temporary directory");
    sim::report::write_outputs(&result, out.path()).expect("outputs");
}

/// The peak heap of a run of 10^6 requests is that of a run of 10^5 within 1 MB, about one
/// byte per extra request: keeping even one 8-byte number per request would add 7.2 MB. Both
/// runs are long enough to fill the 4096 windows (111,000 and 1.1 million seconds of 1 s
/// windows), so both reach the same structures at their largest.
#[test]
fn the_peak_heap_does_not_grow_with_the_request_count() {
    let _profiler = dhat::Profiler::builder().testing().build();
    run_mm1(100_000);
    let short = dhat::HeapStats::get();
    run_mm1(1_000_000);
    let long = dhat::HeapStats::get();
    println!(
        "peak heap (a high-water mark): {} bytes after the run of 10^5 requests, {} after 10^6",
        short.max_bytes, long.max_bytes
    );
    assert!(
        long.max_bytes <= short.max_bytes + 1_000_000,
        "the peak heap grew from {} to {} bytes between 10^5 and 10^6 requests",
        short.max_bytes,
        long.max_bytes
    );
    assert!(
        long.curr_bytes <= short.curr_bytes + 100_000,
        "a finished run left memory behind: {} bytes live after the first run, {} after the second",
        short.curr_bytes,
        long.curr_bytes
    );
}
