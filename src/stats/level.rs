//! Time-weighted averages of a level (busy workers, queue length), overall and per window.

use super::window::Windows;
use crate::engine::SimTime;

/// Integrates a piecewise-constant integer level over time.
///
/// The overall integral counts only time after the warm-up; the per-window integrals cover the
/// whole run, so charts show the warm-up too.
///
/// A change only adds to one running integral, `area`, from time zero: what the warm-up and the
/// windows need is read off it at a few instants (the end of the warm-up, the end of each window),
/// the "marks". Until the next mark, accounting for a change is a multiplication and an addition;
/// servers change levels several times per request, so this is on the hot path.
#[derive(Clone, Debug)]
pub struct LevelTracker {
    level: u64,
    /// The instant up to which `area` is accounted.
    last_change: SimTime,
    /// Changes up to this instant need only add to `area` (`SimTime::ZERO` when every change
    /// takes the slow path, with time-at-level counters).
    next_mark: SimTime,
    /// Integral of the level from time zero to `last_change` [level * ns], exact.
    area: u128,
    warmup_end: SimTime,
    /// `area` at the end of the warm-up, once the clock has passed it.
    area_at_warmup_end: Option<u128>,
    /// Integral per window [level * ns], exact, unless only the overall mean is wanted. The
    /// window being accumulated is added when the clock leaves it (or when read).
    windows: Option<Windows<u128>>,
    /// Where the part of `area` not yet added to a window starts, and `area` there.
    pending_from: SimTime,
    area_at_pending_from: u128,
    peak: u64,
    /// Time spent at each level after the warm-up [ns], when asked for (small level ranges
    /// only, e.g. the number of instances up).
    time_at_level: Option<Vec<u128>>,
}

impl LevelTracker {
    pub fn new(warmup_end: SimTime, window_ns: u64) -> Self {
        Self::with_windows(warmup_end, Some(Windows::new(window_ns)))
    }

    fn with_windows(warmup_end: SimTime, windows: Option<Windows<u128>>) -> Self {
        let mut tracker = LevelTracker {
            level: 0,
            last_change: SimTime::ZERO,
            next_mark: SimTime::ZERO,
            area: 0,
            warmup_end,
            area_at_warmup_end: (warmup_end == SimTime::ZERO).then_some(0),
            windows,
            pending_from: SimTime::ZERO,
            area_at_pending_from: 0,
            peak: 0,
            time_at_level: None,
        };
        tracker.next_mark = tracker.fast_path_end();
        tracker
    }

    /// Also records how long the level spends at each value from 0 to `max_level`.
    pub fn with_time_at_level(mut self, max_level: u64) -> Self {
        self.time_at_level = Some(vec![0; max_level as usize + 1]);
        self.next_mark = self.fast_path_end();
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
        Self::with_windows(warmup_end, None)
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
        if now <= self.next_mark {
            self.area += u128::from(self.level) * u128::from((now - self.last_change).as_nanos());
            self.last_change = now;
        } else {
            self.advance_across_marks(now);
        }
    }

    /// [`LevelTracker::advance_past_last_change`] when `now` is past the next mark: stops at
    /// each mark on the way to record what it needs.
    #[inline(never)]
    fn advance_across_marks(&mut self, now: SimTime) {
        if let Some(times) = &mut self.time_at_level {
            let counted_from = self.last_change.max(self.warmup_end);
            if now > counted_from {
                if let Some(slot) = times.get_mut(self.level as usize) {
                    *slot += u128::from((now - counted_from).as_nanos());
                }
            }
        }
        loop {
            let warmup_mark = self.area_at_warmup_end.is_none().then_some(self.warmup_end);
            let window_mark = self.window_end();
            let mark = warmup_mark
                .unwrap_or(SimTime::NEVER)
                .min(window_mark.unwrap_or(SimTime::NEVER));
            let until = now.min(mark);
            self.area += u128::from(self.level) * u128::from((until - self.last_change).as_nanos());
            self.last_change = until;
            if now <= mark {
                break;
            }
            if warmup_mark == Some(mark) {
                self.area_at_warmup_end = Some(self.area);
            }
            if window_mark == Some(mark) {
                self.add_pending_to_window();
                if self.level == 0 {
                    self.skip_empty_windows(now.min(warmup_mark.unwrap_or(SimTime::NEVER)));
                }
            }
        }
        self.next_mark = self.fast_path_end();
    }

    /// At level zero, moves straight to the start of the window holding `target` (a later
    /// instant): the windows in between get nothing, and a long idle spell would otherwise be
    /// walked window by window.
    fn skip_empty_windows(&mut self, target: SimTime) {
        let Some(windows) = &self.windows else {
            return;
        };
        let width = windows.width_ns();
        let start = SimTime::from_nanos(target.as_nanos() / width * width);
        if start > self.last_change {
            self.last_change = start;
            self.pending_from = start;
        }
    }

    /// The end of the window that holds `pending_from`, if windows are kept.
    fn window_end(&self) -> Option<SimTime> {
        let width = self.windows.as_ref()?.width_ns();
        let index = self.pending_from.as_nanos() / width;
        Some(SimTime::from_nanos(
            index.saturating_add(1).saturating_mul(width),
        ))
    }

    /// Until when a change needs only add to `area`.
    fn fast_path_end(&self) -> SimTime {
        if self.time_at_level.is_some() {
            return SimTime::ZERO;
        }
        let warmup_mark = self.area_at_warmup_end.is_none().then_some(self.warmup_end);
        warmup_mark
            .unwrap_or(SimTime::NEVER)
            .min(self.window_end().unwrap_or(SimTime::NEVER))
    }

    /// Adds the area since `pending_from` to its window and starts a new pending part at
    /// `last_change`. Windows without area get no row, as if nothing had touched them.
    fn add_pending_to_window(&mut self) {
        let pending = self.area - self.area_at_pending_from;
        if let Some(windows) = &mut self.windows {
            if pending != 0 {
                *windows.at(self.pending_from) += pending;
            }
        }
        self.pending_from = self.last_change;
        self.area_at_pending_from = self.area;
    }

    /// Integral of the level after the warm-up, up to the last change [level * ns].
    fn area_after_warmup(&self) -> u128 {
        self.area_at_warmup_end
            .map_or(0, |at_warmup_end| self.area - at_warmup_end)
    }

    /// Mean level between the end of the warm-up and `end`.
    pub fn mean(&self, end: SimTime) -> f64 {
        let span = end.since(self.warmup_end).as_nanos();
        if span == 0 {
            0.0
        } else {
            self.area_after_warmup() as f64 / span as f64
        }
    }

    /// Integral of the level per window [level * s]; empty for a tracker without windows.
    pub fn windows(&self) -> Windows<f64> {
        match &self.windows {
            Some(_) => {
                let mut closed = self.clone();
                closed.add_pending_to_window();
                let windows = closed.windows.unwrap_or_else(|| Windows::new(1));
                windows.map(|&area_ns| area_ns as f64 / 1e9)
            }
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

    /// The integrals the obvious way: every interval split at the window boundaries and added
    /// piece by piece, and the warm-up part counted separately.
    struct Reference {
        level: u64,
        last: u64,
        warmup_end: u64,
        after_warmup: u128,
        windows: Windows<u128>,
        time_at_level: Vec<u128>,
    }

    impl Reference {
        fn advance(&mut self, now: u64) {
            if now <= self.last {
                return;
            }
            let counted_from = self.last.max(self.warmup_end);
            if now > counted_from {
                let span = u128::from(now - counted_from);
                self.after_warmup += u128::from(self.level) * span;
                self.time_at_level[self.level as usize] += span;
            }
            let mut t = self.last;
            while t < now && self.level != 0 {
                let (row, end) = self.windows.at_with_end(SimTime::from_nanos(t));
                let piece_end = end.as_nanos().min(now);
                *row += u128::from(self.level) * u128::from(piece_end - t);
                t = piece_end;
            }
            self.last = now;
        }
    }

    proptest::proptest! {
        /// Whatever the steps (several at one instant, steps across many windows, across the
        /// warm-up, enough windows to merge), the running integral read at the marks gives
        /// exactly the piece-by-piece figures.
        #[test]
        fn marks_give_the_same_integrals_as_splitting_every_interval(
            warmup_end in 0u64..5_000,
            width in 1u64..400,
            steps in proptest::collection::vec((0u64..3_000, 0u64..6), 1..200),
            time_at_level: bool,
        ) {
            let mut tracker = LevelTracker::new(SimTime::from_nanos(warmup_end), width);
            if time_at_level {
                tracker = tracker.with_time_at_level(5);
            }
            let mut reference = Reference {
                level: 0,
                last: 0,
                warmup_end,
                after_warmup: 0,
                windows: Windows::new(width),
                time_at_level: vec![0; 6],
            };
            let mut now = 0;
            for (gap, level) in steps {
                // Many steps at one instant and some very long ones (thousands of windows).
                now += if gap % 7 == 0 { 0 } else if gap % 11 == 0 { gap * 500 } else { gap };
                tracker.set(SimTime::from_nanos(now), level);
                reference.advance(now);
                reference.level = level;
            }
            let end = now + width;
            tracker.advance_to(SimTime::from_nanos(end));
            reference.advance(end);
            proptest::prop_assert_eq!(tracker.area_after_warmup(), reference.after_warmup);
            let expected = reference.windows.map(|&area| area as f64 / 1e9);
            let windows = tracker.windows();
            proptest::prop_assert_eq!(windows.width_ns(), expected.width_ns());
            proptest::prop_assert_eq!(windows.rows(), expected.rows());
            if time_at_level {
                let span = end.saturating_sub(warmup_end);
                let fractions = tracker.time_fractions(SimTime::from_nanos(end)).unwrap_or_default();
                for (fraction, time) in fractions.iter().zip(&reference.time_at_level) {
                    let expected = if span == 0 { 0.0 } else { *time as f64 / span as f64 };
                    proptest::prop_assert_eq!(*fraction, expected);
                }
            }
        }
    }
}
