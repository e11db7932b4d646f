//! Feeds arbitrary bytes to the scenario loader. Whatever the input, loading must return a
//! plan or diagnostics (never panic), the diagnostics must render, and a plan that loads must
//! build and run a few thousand events without panicking.

#![no_main]

use libfuzzer_sys::fuzz_target;

/// Enough events to start every component and deliver some requests, few enough that one
/// input takes milliseconds.
const EVENTS_PER_INPUT: u64 = 5_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match sim::scenario::load_str(text, "fuzz.yaml", "fuzz") {
        Err(error) => {
            let rendered = error.render();
            assert!(rendered.contains("fuzz.yaml"), "a diagnostic without the file name");
        }
        Ok(mut plan) => {
            plan.max_events = Some(EVENTS_PER_INPUT);
            // Errors are fine (they are reported to the user); panics are not.
            let _ = sim::run::run(plan, None);
        }
    }
});
