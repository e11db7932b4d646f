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

/// A command cut short. What went wrong is already said on stderr; this keeps only the exit
/// code, so a command stops with `?` and the dispatcher turns it into the process's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stopped(pub i32);

/// How a command ended: the exit code of the work it did, or the stop that cut it short.
pub(super) type Ended = Result<i32, Stopped>;

/// The exit code of a command's end.
pub(super) fn exit_code(ended: Ended) -> i32 {
    match ended {
        Ok(code) | Err(Stopped(code)) => code,
    }
}

/// Says `text` as it is (an error already written with its place, such as a scenario's
/// rendered errors) and stops with the exit code of bad input.
pub(super) fn bad_input_said(text: impl std::fmt::Display) -> Stopped {
    let text = text.to_string();
    say_err_raw!("{text}");
    if !text.ends_with('\n') {
        say_err!();
    }
    Stopped(EXIT_BAD_INPUT)
}

/// Says "error: {message}" and stops with the exit code of bad input.
pub(super) fn bad_input(message: impl std::fmt::Display) -> Stopped {
    say_err!("error: {message}");
    Stopped(EXIT_BAD_INPUT)
}

/// Says why an output could not be written and stops: 2 when sim refused the place (it would
/// delete what it did not write), 3 when writing failed.
pub(super) fn output_failed(e: &output::OutputError, what: &str) -> Stopped {
    if e.is_refusal() {
        bad_input_said(e)
    } else {
        say_err!("error: cannot write {what}: {e}");
        Stopped(EXIT_OUTPUT_FAILED)
    }
}
