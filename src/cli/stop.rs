//! Stopping a study early: the signals and the wall-clock limit, and the exit code of results
//! that were cut short.

use std::time::Instant;

use super::exit::{EXIT_ASSERTION_FAILED, EXIT_OK, EXIT_TRUNCATED};
use super::signals;
use crate::engine::SimDuration;

/// Installs the SIGINT and SIGTERM handlers: runs stop cleanly and write their results marked
/// interrupted. Only commands that check [`stop_check`] install them; the others keep the
/// signals' default behaviour (the process ends at once).
pub(super) fn catch_interrupts() {
    signals::catch();
}

/// The stop check of a study: Ctrl-C or SIGTERM, then the wall-clock limit.
pub(super) fn stop_check(
    started: Instant,
    max_wall: Option<SimDuration>,
) -> impl Fn() -> Option<&'static str> + Sync {
    move || {
        if signals::stop_asked() {
            Some("interrupted")
        } else if max_wall
            .is_some_and(|limit| started.elapsed().as_secs_f64() >= limit.as_secs_f64())
        {
            Some("max_wall")
        } else {
            None
        }
    }
}

/// The exit code of results cut short for `reason` (`stopped_by`): 130 or 143 for a signal,
/// 4 for a limit.
pub(super) fn stopped_exit_code(reason: &str) -> i32 {
    if reason == "interrupted" {
        signals::exit_code()
    } else {
        EXIT_TRUNCATED
    }
}

/// Exit code of a finished study: interrupted, truncated, failed assertion, success.
pub(super) fn study_exit_code(result: &crate::results::RunResult) -> i32 {
    match result.truncated.as_deref() {
        Some(reason) => stopped_exit_code(reason),
        None if result.assertions.iter().any(|v| !v.passed) => EXIT_ASSERTION_FAILED,
        None => EXIT_OK,
    }
}
