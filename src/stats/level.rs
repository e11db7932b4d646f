//! Time-weighted averages of a level (busy workers, queue length), overall and per window.

use super::window::Windows;
use crate::engine::SimTime;

/// Integrates a piecewise-constant integer level over time.
///
/// The overall integral counts only time after the warm-up; the per-window integrals cover the
/// whole run, so charts show the warm-up too.
#[derive(Clone, Debug)]
pub struct LevelTracker {
    level: u64,
    last_change: SimTime,
    warmup_end: SimTime,
    /// Integral of the level after the warm-up [level * ns], exact.
    area_after_warmup: u128,
    /// Integral per window [level * ns], exact, unless only the overall mean is wanted.
    windows: Option<Windows<u128>>,
    peak: u64,
    /// Time spent at each level after the warm-up [ns], when asked for (small level ranges
    /// only, e.g. the number of instances up).
    time_at_level: Option<Vec<u128>>,
}

impl LevelTracker {
    pub fn new(warmup_end: SimTime, window_ns: u64) -> Self {
        LevelTracker {
            level: 0,
            last_change: SimTime::ZERO,
            warmup_end,
            area_after_warmup: 0,
            windows: Some(Windows::new(window_ns)),
            peak: 0,
            time_at_level: None,
        }
    }

    /// Also records how long the level spends at each value from 0 to `max_level`.
    pub fn with_time_at_level(mut self, max_level: u64) -> Self {
        self.time_at_level = Some(vec![0; max_level as usize + 1]);
        self
    }

    /// Fraction of the time after the warm-up (up to `end`) spent at each level, if recorded.
    pub fn time_fractions(&self, end: SimTime) -> Option<Vec<f64>> {
        let span = end.since(self.warmup_end).as_nanos();
        let times = self.time_at_level.as_ref()?;
        Some(
            times
                .iter()
                .map(|&t| {
                    if span == 0 {
                        0.0
                    } else {
                        t as f64 / span as f64
                    }
                })
                .collect(),
        )
    }

    /// A tracker of the overall mean only, without per-window integrals.
    pub fn without_windows(warmup_end: SimTime) -> Self {
        LevelTracker {
            windows: None,
            ..Self::new(warmup_end, 1)
        }
    }

    pub fn level(&self) -> u64 {
        self.level
    }

    pub fn peak(&self) -> u64 {
        self.peak
    }

    #[inline]
    pub fn set(&mut self, now: SimTime, level: u64) {
        self.advance_to(now);
        self.level = level;
        self.peak = self.peak.max(level);
    }

    #[inline]
    pub fn increment(&mut self, now: SimTime) {
        self.set(now, self.level + 1);
    }

    #[inline]
    pub fn decrement(&mut self, now: SimTime) {
        self.set(now, self.level.saturating_sub(1));
    }

    /// Accounts for the time up to `now` at the current level.
    ///
    /// The check is inlined into every caller: several changes often come at one instant (a
    /// server's worker freed and taken again), and only the first has time to account for.
    #[inline]
    pub fn advance_to(&mut self, now: SimTime) {
        if now > self.last_change {
            self.advance_past_last_change(now);
        }
    }

    /// [`LevelTracker::advance_to`] when the clock has moved since the last change.
    #[inline(never)]
    fn advance_past_last_change(&mut self, now: SimTime) {
        let start = self.last_change;
        self.last_change = now;
        // The usual case, kept small because servers change levels several times per request:
        // past the warm-up and without time-at-level counters, `account` comes down to these
        // two lines.
        if start < self.warmup_end || self.time_at_level.is_some() {
            self.account(start, now);
        } else if self.level != 0 {
            self.area_after_warmup += u128::from(self.level) * u128::from((now - start).as_nanos());
            self.add_to_windows(start, now);
        }
    }

    /// Accounts for `[start, now)` at the current level, across the end of the warm-up and
    /// into the time-at-level counters.
    #[inline(never)]
    fn account(&mut self, start: SimTime, now: SimTime) {
        let counted_from = start.max(self.warmup_end);
        if let Some(times) = &mut self.time_at_level {
            if now > counted_from {
                if let Some(slot) = times.get_mut(self.level as usize) {
                    *slot += u128::from((now - counted_from).as_nanos());
                }
            }
        }
        if self.level == 0 {
            return;
        }
        if now > counted_from {
            self.area_after_warmup +=
                u128::from(self.level) * u128::from((now - counted_from).as_nanos());
        }
        self.add_to_windows(start, now);
    }

    /// Splits `[start, now)` at the current level across the windows it touches.
    #[inline]
    fn add_to_windows(&mut self, start: SimTime, now: SimTime) {
        let Some(windows) = &mut self.windows else {
            return;
        };
        let mut t = start;
        while t < now {
            let (row, window_end) = windows.at_with_end(t);
            let piece_end = window_end.min(now);
            *row += u128::from(self.level) * u128::from((piece_end - t).as_nanos());
            t = piece_end;
        }
    }

    /// Mean level between the end of the warm-up and `end`.
    pub fn mean(&self, end: SimTime) -> f64 {
        let span = end.since(self.warmup_end).as_nanos();
        if span == 0 {
            0.0
        } else {
            self.area_after_warmup as f64 / span as f64
        }
    }

    /// Integral of the level per window [level * s]; empty for a tracker without windows.
    pub fn windows(&self) -> Windows<f64> {
        match &self.windows {
            Some(windows) => windows.map(|&area_ns| area_ns as f64 / 1e9),
            None => Windows::new(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: f64) -> SimTime {
        SimTime::from_nanos((s * 1e9) as u64)
    }

    #[test]
    fn mean_is_time_weighted_and_skips_warmup() {
        let mut l = LevelTracker::new(t(1.0), 1_000_000_000);
        l.set(t(0.0), 4); // during warm-up: not in the mean
        l.set(t(1.0), 1);
        l.set(t(2.0), 3);
        l.advance_to(t(3.0));
        assert!((l.mean(t(3.0)) - 2.0).abs() < 1e-12);
        assert_eq!(l.peak(), 4);
    }

    #[test]
    fn windows_split_intervals_at_boundaries() {
        let mut l = LevelTracker::new(SimTime::ZERO, 1_000_000_000);
        l.set(t(0.5), 2);
        l.set(t(2.25), 0);
        let windows = l.windows();
        let rows = windows.rows();
        assert!((rows[0] - 1.0).abs() < 1e-9);
        assert!((rows[1] - 2.0).abs() < 1e-9);
        assert!((rows[2] - 0.5).abs() < 1e-9);
    }
}
