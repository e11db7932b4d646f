//! What a command shows on the terminal besides its say! lines: verdicts and the progress bar.

use std::io::IsTerminal;

/// Prints each assertion's verdict: failures on stderr (so CI logs show them, even when
/// quiet), passes on stdout unless `quiet` (a quiet run that passes prints nothing).
pub(super) fn print_verdicts(path: &str, verdicts: &[crate::assertions::Verdict], quiet: bool) {
    for v in verdicts {
        if v.passed {
            if quiet {
                continue;
            }
            say!("assertion ok      {}: {}", v.named(), v.message);
        } else {
            say_err!("assertion FAILED  {path}: {}: {}", v.named(), v.message);
        }
    }
}

/// A progress bar on stderr, only when stderr is a terminal.
pub(super) fn progress_bar(quiet: bool, steps: u64) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(steps);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} simulating [{bar:40}] {pos}/{len} ({elapsed})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    Some(bar)
}
