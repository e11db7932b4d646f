//! Downtime as the clients saw it, from the end-to-end stream of finished requests.
//!
//! A downtime interval starts when a request finishes unsuccessfully (failed, rejected or timed
//! out) while the service was up, and ends at the first success of a run of
//! [`RECOVERY_STREAK`] consecutive successes: one lucky request in the middle of an outage is
//! not a recovery. Times are when the clients learnt the outcome, so a failure that shows up
//! as a timeout is seen one timeout after the request left.
//!
//! The failure timeline matches each failure event with the first interval that starts while
//! it is in effect: its time to recover runs from the failure's start to that interval's end.
//!
//! Test: `tests/downtime.rs` (a scripted crash of a single-instance pool is seen as downtime
//! equal to the crash within the derived slack).

use crate::engine::SimTime;
use crate::stats::Outcome;

/// Consecutive successes that end a downtime interval.
pub const RECOVERY_STREAK: u32 = 5;

/// At most this many intervals are kept for the report; more are counted only.
pub const MAX_INTERVALS: usize = 1000;

/// One observed downtime.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub start: SimTime,
    /// `None` while still down at the end of the run.
    pub end: Option<SimTime>,
    /// Requests that finished unsuccessfully during it.
    pub failed: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Downtime {
    open: Option<Interval>,
    /// First success of the current run of successes, while down.
    streak_start: Option<SimTime>,
    streak: u32,
    intervals: Vec<Interval>,
    /// Intervals closed, kept or not.
    closed: u64,
    /// Total length of closed intervals [ns].
    closed_ns: u128,
}

impl Downtime {
    pub fn record(&mut self, now: SimTime, outcome: Outcome) {
        let success = outcome == Outcome::Succeeded;
        let Some(open) = &mut self.open else {
            if !success {
                self.open = Some(Interval {
                    start: now,
                    end: None,
                    failed: 1,
                });
                self.streak = 0;
                self.streak_start = None;
            }
            return;
        };
        if !success {
            open.failed += 1;
            self.streak = 0;
            self.streak_start = None;
            return;
        }
        if self.streak == 0 {
            self.streak_start = Some(now);
        }
        self.streak += 1;
        if self.streak >= RECOVERY_STREAK {
            let end = self.streak_start.unwrap_or(now);
            let interval = Interval {
                end: Some(end),
                ..*open
            };
            self.open = None;
            self.closed += 1;
            self.closed_ns += u128::from(end.since(interval.start).as_nanos());
            if self.intervals.len() < MAX_INTERVALS {
                self.intervals.push(interval);
            }
        }
    }

    /// The kept intervals, the one still open (if any) last.
    pub fn intervals(&self) -> Vec<Interval> {
        let mut out = self.intervals.clone();
        out.extend(self.open);
        out
    }

    /// Number of intervals (all of them, kept or not, the open one included).
    pub fn count(&self) -> u64 {
        self.closed + u64::from(self.open.is_some())
    }

    /// Total downtime up to `end` [s].
    pub fn total_secs(&self, end: SimTime) -> f64 {
        let open = self
            .open
            .map_or(0, |o| u128::from(end.since(o.start).as_nanos()));
        (self.closed_ns + open) as f64 / 1e9
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> SimTime {
        SimTime::from_nanos(ms * 1_000_000)
    }

    #[test]
    fn an_interval_runs_from_the_first_failure_to_a_lasting_recovery() {
        let mut d = Downtime::default();
        d.record(t(1), Outcome::Succeeded);
        d.record(t(2), Outcome::Failed);
        d.record(t(3), Outcome::TimedOut);
        // One success in the middle is not a recovery.
        d.record(t(4), Outcome::Succeeded);
        d.record(t(5), Outcome::Rejected);
        for ms in 6..11 {
            d.record(t(ms), Outcome::Succeeded);
        }
        assert_eq!(
            d.intervals(),
            vec![Interval {
                start: t(2),
                end: Some(t(6)),
                failed: 3
            }]
        );
        d.record(t(20), Outcome::Failed);
        assert_eq!(d.count(), 2);
        assert!((d.total_secs(t(30)) - 0.014).abs() < 1e-12);
        assert_eq!(d.intervals()[1].end, None);
    }
}
