//! The exit codes of every command (the README's table), and the one place that turns an
//! output failure into one.

use crate::output;

/// Everything ran and every assertion held.
pub const EXIT_OK: i32 = 0;
/// An assertion of the scenario failed; the results are written.
pub const EXIT_ASSERTION_FAILED: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;
pub const EXIT_OUTPUT_FAILED: i32 = 3;
/// The run stopped at --max-events or --max-wall; its results are written, marked truncated.
pub const EXIT_TRUNCATED: i32 = 4;
/// Interrupted by Ctrl-C (SIGINT); the results so far are written, marked interrupted.
pub const EXIT_INTERRUPTED: i32 = 130;
/// Stopped by SIGTERM; the results so far are written, marked interrupted.
pub const EXIT_TERMINATED: i32 = 143;

/// Says why an output could not be written; returns the exit code: 2 when sim refused the place
/// (it would delete what it did not write), 3 when writing failed.
pub(super) fn output_failed(e: &output::OutputError, what: &str) -> i32 {
    if e.is_refusal() {
        say_err_raw!("{e}");
        if !e.to_string().ends_with('\n') {
            say_err!();
        }
        EXIT_BAD_INPUT
    } else {
        say_err!("error: cannot write {what}: {e}");
        EXIT_OUTPUT_FAILED
    }
}
