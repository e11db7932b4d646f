//! Standard output and standard error, written without ever panicking.
//!
//! Results printed on stdout (`--format json`, `sim schema`, `sim explain`, `sim list`) are
//! data: if they cannot be written (a full disk, `> /dev/full`), the command must say so and
//! fail (exit 3), not exit 0 with the data lost. A pipe whose reader has gone (`| head`) is the
//! reader's choice, and ends the output quietly. Rust ignores SIGPIPE, so both arrive here as
//! write errors.

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Set when stdout's reader has gone: nothing more is written.
static CLOSED: AtomicBool = AtomicBool::new(false);
/// The first error writing stdout, other than a closed pipe.
static FAILED: Mutex<Option<String>> = Mutex::new(None);

/// Writes to stdout, remembering a failure for [`finish`].
pub fn print(args: fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let written = std::io::stdout().lock().write_fmt(args);
    if let Err(e) = written {
        record(e);
    }
}

/// Writes to stderr; a failure there has nowhere to be reported, and is ignored.
pub fn print_err(args: fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

fn record(e: std::io::Error) {
    // Whatever went wrong, nothing more is written: a full disk stays full.
    CLOSED.store(true, Ordering::Relaxed);
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return;
    }
    if let Ok(mut failed) = FAILED.lock() {
        failed.get_or_insert_with(|| e.to_string());
    }
}

/// Flushes stdout; returns the first failure to write it (a closed pipe is none).
pub fn finish() -> Result<(), String> {
    if !CLOSED.load(Ordering::Relaxed) {
        if let Err(e) = std::io::stdout().lock().flush() {
            record(e);
        }
    }
    match FAILED.lock() {
        Ok(failed) => failed.clone().map_or(Ok(()), Err),
        Err(_) => Ok(()),
    }
}
