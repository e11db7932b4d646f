//! Ctrl-C (SIGINT) and SIGTERM — what a terminal, Slurm, Kubernetes and systemd send — stop
//! a command cleanly: the runs stop at their next progress check, the results so far are
//! written marked interrupted, and the command exits 130 (SIGINT) or 143 (SIGTERM), as a
//! shell reports a process killed by that signal. A second signal of the same kind ends the
//! process at once, with the same code.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use signal_hook::consts::{SIGINT, SIGTERM};

use super::exit::{EXIT_INTERRUPTED, EXIT_TERMINATED};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static TERMINATED: AtomicBool = AtomicBool::new(false);

/// Installs the handlers (once per process).
pub fn catch() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        for (signal, flag, code) in [
            (SIGINT, &INTERRUPTED, EXIT_INTERRUPTED),
            (SIGTERM, &TERMINATED, EXIT_TERMINATED),
        ] {
            // Registered first, so it sees the flag as the previous signal left it: the
            // second signal exits, the first only sets the flag.
            let _ = signal_hook::flag::register_conditional_shutdown(signal, code, flag);
            let _ = signal_hook::flag::register(signal, flag);
        }
    });
}

/// True once SIGINT or SIGTERM has arrived.
pub fn stop_asked() -> bool {
    INTERRUPTED.load(Ordering::SeqCst) || TERMINATED.load(Ordering::SeqCst)
}

/// The exit code of a command a signal stopped: 143 after SIGTERM, else 130.
pub fn exit_code() -> i32 {
    if TERMINATED.load(Ordering::SeqCst) {
        EXIT_TERMINATED
    } else {
        EXIT_INTERRUPTED
    }
}
