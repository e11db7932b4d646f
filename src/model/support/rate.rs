//! Time-varying arrival rates and the inversion of their cumulative rate.
//!
//! # Model and units
//!
//! A [`RateProfile`] is an exact description of a rate function `r(t) >= 0`, in requests per
//! second, over simulated time `t >= 0` (a [`SimTime`], integer nanoseconds). It is the product
//!
//! ```text
//! r(t) = base(t) * factor(t)
//! ```
//!
//! * `base` is piecewise linear, given as a list of *segments* with integer-nanosecond ends and
//!   the rate at each end (a discontinuity is just two adjacent segments whose rates differ at
//!   the shared end). Either the segments cover `[0, NEVER)` (constant, steps, points, ramp) or
//!   they cover one period `[0, period)` that repeats forever (the daily curve).
//! * `factor` is piecewise constant with finitely many breakpoints: it holds the spikes and the
//!   overall scale. It starts at 1 and, after the last spike, stays at the scale forever.
//!
//! Keeping the two apart means spikes never force the periodic curve to be expanded: while
//! walking forward in time the profile cuts the timeline at the union of both breakpoint sets
//! on the fly, so each *piece* it looks at is linear with a constant factor. Memory stays
//! `O(segments per period + spikes)` however far away a spike is.
//!
//! # Exactness
//!
//! [`RateProfile::advance`] inverts the cumulative rate: within a linear piece
//! `r(u) = a + s (u - t)` the offset `x` with `a x + s x^2 / 2 = area` is solved in closed form
//! with the cancellation-free root `x = 2 area / (a + sqrt(a^2 + 2 s area))` (see
//! `offset_for_area`). Pieces start and end on whole nanoseconds and every call starts from
//! the exact `from`, so there is no drift: the only errors are f64 rounding and the final
//! rounding to the nearest nanosecond. Whole periods of the daily curve are skipped in one step,
//! so a call costs `O(1)` amortised (a cursor remembers the current segment and spike) and never
//! loops for long, whatever the area. Tests: `constant_rate_advances_by_area_over_rate_exactly`,
//! `steps_match_brute_force_integration`, `points_match_brute_force_integration`,
//! `cursor_gives_the_same_answers_as_a_fresh_profile`, and the Poisson-count tests.
//!
//! The daily curve is the one approximation; see [`RateProfile::daily`] and the test
//! `daily_preserves_the_mean_and_approximates_the_peak`.

use std::f64::consts::TAU;

use crate::engine::time::NANOS_PER_SEC;
use crate::engine::{SimDuration, SimTime};

/// Pieces per period of the daily curve (`n` below): one a minute for a 24 h period. The
/// linear interpolation error of the cosine is about `pi^2 / (2 n^2) ≈ 2.4e-6` of
/// `mean * amplitude`; see [`RateProfile::daily`].
pub const DAILY_PIECES_PER_PERIOD: u64 = 1440;

/// One linear piece of the base curve, over `[start, end)` nanoseconds (relative to the start
/// of the period for a periodic base). `rate_end` is the left limit at `end`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Segment {
    start: u64,
    end: u64,
    rate_start: f64,
    rate_end: f64,
}

impl Segment {
    fn contains(&self, local: u64) -> bool {
        self.start <= local && local < self.end
    }

    /// The rate at `local`, interpolating between the two ends so that both are reproduced
    /// exactly and adjacent segments meet where the input said (a stored slope would not).
    fn rate_at(&self, local: u64) -> f64 {
        if self.rate_start == self.rate_end {
            return self.rate_start;
        }
        let fraction = local.saturating_sub(self.start) as f64 / (self.end - self.start) as f64;
        // Rounding can only undershoot zero by an ulp; the rate must never be negative.
        (self.rate_start + (self.rate_end - self.rate_start) * fraction).max(0.0)
    }

    fn area(&self) -> f64 {
        0.5 * (self.rate_start + self.rate_end) * secs(self.end - self.start)
    }
}

/// The factor (spikes times scale) from `start` until the next step's start.
#[derive(Clone, Copy, Debug, PartialEq)]
struct FactorStep {
    start: u64,
    factor: f64,
}

/// Where the last query ended: only a hint that makes the next query `O(1)`. Answers never
/// depend on it, so a stale or reset cursor is always safe.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Cursor {
    cycle: u64,
    segment: usize,
    factor: usize,
}

/// A stretch `[start, end)` over which the rate is linear, from `rate_start` to (the left
/// limit) `rate_end`, both already multiplied by `factor`.
#[derive(Clone, Copy, Debug)]
struct Piece {
    start: u64,
    end: u64,
    rate_start: f64,
    rate_end: f64,
    factor: f64,
    factor_end: u64,
    /// True when `start` is the first instant of a period of a periodic base.
    at_cycle_start: bool,
}

impl Piece {
    fn rate_at(&self, t: u64) -> f64 {
        if t >= self.end {
            return self.rate_end;
        }
        let fraction = (t - self.start) as f64 / (self.end - self.start) as f64;
        (self.rate_start + (self.rate_end - self.rate_start) * fraction).max(0.0)
    }
}

/// An exact, piecewise-linear arrival-rate function of simulated time. See the module docs.
#[derive(Clone, Debug)]
pub struct RateProfile {
    /// Contiguous, non-empty segments covering `[0, cycle_len)`; never empty.
    segments: Vec<Segment>,
    /// The period of a periodic base; `u64::MAX` (only one "cycle") otherwise.
    cycle_len: u64,
    periodic: bool,
    /// Integral of the base over one period, in requests; only used when periodic.
    area_per_cycle: f64,
    /// Sorted by start, the first at 0; never empty.
    factors: Vec<FactorStep>,
    cursor: Cursor,
}

fn secs(nanos: u64) -> f64 {
    nanos as f64 / NANOS_PER_SEC
}

fn check_rate(what: &str, rate: f64) -> Result<f64, String> {
    if rate.is_finite() && rate >= 0.0 {
        Ok(rate)
    } else {
        Err(format!(
            "{what} must be a finite number of requests per second >= 0, got {rate}"
        ))
    }
}

fn check_positive_multiplier(what: &str, value: f64) -> Result<f64, String> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(format!("{what} must be a finite number > 0, got {value}"))
    }
}

/// The smallest `x >= 0` (seconds) with `rate * x + slope * x^2 / 2 = area`, for `rate >= 0`,
/// `area > 0`; infinite if the rate never accumulates `area` (zero rate, or a falling rate that
/// reaches zero first).
///
/// The textbook root `(-rate + sqrt(rate^2 + 2 slope area)) / slope` loses every digit to
/// cancellation when `slope * area` is tiny next to `rate^2`, and divides by zero when
/// `slope == 0`. Multiplying by the conjugate gives `2 area / (rate + sqrt(...))`: both terms
/// of the denominator are >= 0, so nothing cancels, and `slope == 0` gives `area / rate`
/// exactly (`sqrt(rate^2) == rate` in IEEE arithmetic).
fn offset_for_area(rate: f64, slope: f64, area: f64) -> f64 {
    // A negative discriminant means the falling rate reaches zero before `area` accumulates.
    // The caller only asks when the piece holds enough area, so that is rounding, and clamping
    // to 0 answers with the instant where the rate reaches zero (`rate / -slope`).
    let discriminant = (rate * rate + 2.0 * slope * area).max(0.0);
    let denominator = rate + discriminant.sqrt();
    if denominator > 0.0 {
        2.0 * area / denominator
    } else {
        f64::INFINITY
    }
}

impl RateProfile {
    /// A profile from segments covering `[0, period)` if `period` is given (repeating
    /// forever), or `[0, u64::MAX)` otherwise.
    fn from_segments(segments: Vec<Segment>, period: Option<u64>) -> Result<Self, String> {
        let cycle_len = period.unwrap_or(u64::MAX);
        let contiguous = segments.windows(2).all(|pair| pair[0].end == pair[1].start);
        let covering = segments.first().is_some_and(|first| first.start == 0)
            && segments.last().is_some_and(|last| last.end == cycle_len);
        if !(contiguous && covering && segments.iter().all(|s| s.start < s.end)) {
            return Err("internal error: rate segments do not cover the timeline".to_string());
        }
        RateProfile {
            area_per_cycle: segments.iter().map(Segment::area).sum(),
            segments,
            cycle_len,
            periodic: period.is_some(),
            factors: vec![FactorStep {
                start: 0,
                factor: 1.0,
            }],
            cursor: Cursor::default(),
        }
        .check_finite()
    }

    /// The rate, if it is the same at every instant: lets a source skip the general inversion
    /// on the hot path (a constant rate's answer is simply `from + area / rate`).
    pub fn constant_rate(&self) -> Option<f64> {
        let flat =
            self.factors
                .iter()
                .all(|f| f.factor == self.factors[0].factor)
                && self.segments.iter().all(|s| {
                    s.rate_start == s.rate_end && s.rate_start == self.segments[0].rate_start
                });
        flat.then(|| self.segments[0].rate_start * self.factors[0].factor)
    }

    /// Rejects profiles whose rate overflowed f64 (huge rates times multipliers). NaN is
    /// checked for separately because `f64::max` ignores it.
    fn check_finite(self) -> Result<Self, String> {
        let valid = |rate: f64| rate.is_finite() && rate >= 0.0;
        let segments_valid = self
            .segments
            .iter()
            .all(|segment| valid(segment.rate_start) && valid(segment.rate_end));
        let factors_valid = self.factors.iter().all(|step| valid(step.factor));
        let max = self.max_rate();
        if segments_valid && factors_valid && max.is_finite() {
            Ok(self)
        } else {
            Err("the rate overflows: it exceeds the largest f64 somewhere".to_string())
        }
    }

    /// The same rate forever, in requests per second.
    pub fn constant(rate: f64) -> Result<Self, String> {
        let rate = check_rate("constant rate", rate)?;
        let forever = Segment {
            start: 0,
            end: u64::MAX,
            rate_start: rate,
            rate_end: rate,
        };
        Self::from_segments(vec![forever], None)
    }

    /// Piecewise constant: each `(time, rate)` holds from its time until the next step's time;
    /// the last rate holds forever. The rate is 0 before the first step (so start it at
    /// `SimTime::ZERO` to have traffic from the beginning). Times must be strictly increasing.
    pub fn steps(steps: &[(SimTime, f64)]) -> Result<Self, String> {
        if steps.is_empty() {
            return Err("steps: the list of steps is empty".to_string());
        }
        for (index, &(_, rate)) in steps.iter().enumerate() {
            check_rate(&format!("steps: rate of step {index}"), rate)?;
        }
        if let Some(index) = steps.windows(2).position(|pair| pair[0].0 >= pair[1].0) {
            return Err(format!(
                "steps: times must be strictly increasing, but step {} at {} is not after step {} at {}",
                index + 1,
                steps[index + 1].0,
                index,
                steps[index].0
            ));
        }
        let mut segments = Vec::with_capacity(steps.len() + 1);
        let mut push_constant = |start: u64, end: u64, rate: f64| {
            if end > start {
                segments.push(Segment {
                    start,
                    end,
                    rate_start: rate,
                    rate_end: rate,
                });
            }
        };
        let first_start = steps[0].0.as_nanos();
        push_constant(0, first_start, 0.0);
        for (index, &(time, rate)) in steps.iter().enumerate() {
            let end = steps
                .get(index + 1)
                .map_or(u64::MAX, |next| next.0.as_nanos());
            push_constant(time.as_nanos(), end, rate);
        }
        Self::from_segments(segments, None)
    }

    /// Piecewise linear through the `(time, rate)` points; constant at the first rate before
    /// the first point and at the last rate after the last point. Times must be non-decreasing;
    /// two points at the same time make a jump there (the later point's rate applies from that
    /// instant on).
    pub fn points(points: &[(SimTime, f64)]) -> Result<Self, String> {
        if points.is_empty() {
            return Err("points: the list of points is empty".to_string());
        }
        for (index, &(_, rate)) in points.iter().enumerate() {
            check_rate(&format!("points: rate of point {index}"), rate)?;
        }
        if let Some(index) = points.windows(2).position(|pair| pair[0].0 > pair[1].0) {
            return Err(format!(
                "points: times must be sorted, but point {} at {} is before point {} at {}",
                index + 1,
                points[index + 1].0,
                index,
                points[index].0
            ));
        }
        let mut segments = Vec::with_capacity(points.len() + 1);
        let mut push_linear = |start: u64, end: u64, rate_start: f64, rate_end: f64| {
            if end > start {
                segments.push(Segment {
                    start,
                    end,
                    rate_start,
                    rate_end,
                });
            }
        };
        let (first_time, first_rate) = points[0];
        push_linear(0, first_time.as_nanos(), first_rate, first_rate);
        for pair in points.windows(2) {
            let ((start, rate_start), (end, rate_end)) = (pair[0], pair[1]);
            push_linear(start.as_nanos(), end.as_nanos(), rate_start, rate_end);
        }
        let (last_time, last_rate) = points[points.len() - 1];
        push_linear(last_time.as_nanos(), u64::MAX, last_rate, last_rate);
        Self::from_segments(segments, None)
    }

    /// `from_rate` until `start`, linear to `to_rate` at `end`, `to_rate` after.
    pub fn ramp(
        from_rate: f64,
        to_rate: f64,
        start: SimTime,
        end: SimTime,
    ) -> Result<Self, String> {
        if end < start {
            return Err(format!("ramp: end {end} is before start {start}"));
        }
        Self::points(&[(start, from_rate), (end, to_rate)])
            .map_err(|message| message.replacen("points", "ramp", 1))
    }

    /// A daily (or any periodic) cycle
    /// `r(t) = mean * (1 + amplitude * cos(2 pi (t - peak_at) / period))`, forever.
    ///
    /// It is represented exactly as a periodic piecewise-linear curve through samples of the
    /// cosine at [`DAILY_PIECES_PER_PERIOD`] breakpoints per period (fewer only if the period
    /// is shorter than that many nanoseconds), placed on the nearest whole nanosecond.
    /// Consequences:
    ///
    /// * Rate error: pieces span at most `period / n + 1` ns, so the curve differs from the
    ///   cosine by at most `mean * amplitude * pi^2 / (2 n^2) * (1 + n / period_ns)^2`, i.e.
    ///   `2.4e-6 * mean * amplitude` for periods of a second or more. That is relative to the
    ///   mean rate; near a trough with amplitude 1 the error relative to the *local* rate is
    ///   unbounded, as the true rate goes to 0. The peak is that much below
    ///   `mean * (1 + amplitude)` when `peak_at` falls between breakpoints, never above it.
    /// * Mean: for equally spaced samples the trapezoid integral of a full cosine period is
    ///   exactly zero, so sampling at the piece ends preserves the mean by construction. The
    ///   samples are then rescaled by `mean * period / actual integral`, which removes the
    ///   small error of rounding breakpoints to nanoseconds (a relative change of about 1e-14
    ///   in practice). So the integral over any full period equals `mean * period` up to f64
    ///   rounding.
    pub fn daily(
        mean: f64,
        amplitude: f64,
        peak_at: SimDuration,
        period: SimDuration,
    ) -> Result<Self, String> {
        let mean = check_rate("daily: mean rate", mean)?;
        if !(0.0..=1.0).contains(&amplitude) {
            return Err(format!(
                "daily: amplitude must be between 0 and 1, got {amplitude}"
            ));
        }
        let period = period.as_nanos();
        if period == 0 {
            return Err("daily: the period must be longer than zero".to_string());
        }
        let pieces = DAILY_PIECES_PER_PERIOD.min(period);
        let peak_offset = u128::from(peak_at.as_nanos() % period);
        let period_wide = u128::from(period);
        // Breakpoints round(j * period / pieces): strictly increasing because period >= pieces.
        let breakpoint = |j: u64| -> u64 {
            let wide = (u128::from(j) * period_wide + u128::from(pieces) / 2) / u128::from(pieces);
            u64::try_from(wide).unwrap_or(period)
        };
        // The phase is reduced modulo the period in integers so that late peaks and long periods
        // lose no precision.
        let sample = |t: u64| -> f64 {
            let phase = (u128::from(t) + period_wide - peak_offset) % period_wide;
            let angle = TAU * (phase as f64 / period as f64);
            (mean * (1.0 + amplitude * angle.cos())).max(0.0)
        };
        let mut segments: Vec<Segment> = (0..pieces)
            .map(|j| {
                let (start, end) = (breakpoint(j), breakpoint(j + 1));
                Segment {
                    start,
                    end,
                    rate_start: sample(start),
                    rate_end: sample(end),
                }
            })
            .collect();
        let actual_area: f64 = segments.iter().map(Segment::area).sum();
        let wanted_area = mean * secs(period);
        if actual_area > 0.0 {
            let correction = wanted_area / actual_area;
            for segment in &mut segments {
                segment.rate_start *= correction;
                segment.rate_end *= correction;
            }
        }
        Self::from_segments(segments, Some(period))
    }

    /// Multiplies the rate by `multiplier` during `[at, at + duration)`. Spikes may overlap;
    /// overlapping multipliers multiply. A zero duration changes nothing.
    pub fn with_spike(
        mut self,
        at: SimTime,
        duration: SimDuration,
        multiplier: f64,
    ) -> Result<Self, String> {
        let multiplier = check_positive_multiplier("spike multiplier", multiplier)?;
        let start = at.as_nanos();
        let end = (at + duration).as_nanos();
        if end <= start {
            return Ok(self);
        }
        self.split_factor_at(start);
        if end < u64::MAX {
            self.split_factor_at(end);
        }
        for step in &mut self.factors {
            if start <= step.start && step.start < end {
                step.factor *= multiplier;
            }
        }
        // Inserting steps shifted the indices the cursor remembers.
        self.cursor = Cursor::default();
        self.check_finite()
    }

    /// Multiplies the whole profile by `factor` (for "3x traffic" what-if runs).
    pub fn scaled(mut self, factor: f64) -> Result<Self, String> {
        let factor = check_positive_multiplier("scale factor", factor)?;
        for step in &mut self.factors {
            step.factor *= factor;
        }
        self.check_finite()
    }

    /// Makes `t` the start of a factor step, copying the factor in force there.
    fn split_factor_at(&mut self, t: u64) {
        let after = self.factors.partition_point(|step| step.start <= t);
        let Some(previous) = after.checked_sub(1).and_then(|i| self.factors.get(i)) else {
            return;
        };
        if previous.start != t {
            let factor = previous.factor;
            self.factors.insert(after, FactorStep { start: t, factor });
        }
    }

    /// The rate at `t` in requests per second (the right limit at a jump).
    pub fn rate_at(&self, t: SimTime) -> f64 {
        let mut cursor = self.cursor;
        let (cycle_start, segment, factor) = self.seek(&mut cursor, t.as_nanos());
        factor * segment.rate_at(t.as_nanos() - cycle_start)
    }

    /// The supremum of the rate over all time, in requests per second.
    pub fn max_rate(&self) -> f64 {
        let cycle_max = self
            .segments
            .iter()
            .map(|segment| segment.rate_start.max(segment.rate_end))
            .fold(0.0, f64::max);
        let mut cursor = Cursor::default();
        let mut max: f64 = 0.0;
        for (index, step) in self.factors.iter().enumerate() {
            let step_end = self.factor_step_end(index);
            if self.periodic && step_end - step.start >= self.cycle_len {
                max = max.max(step.factor * cycle_max);
                continue;
            }
            // Shorter than a period (or not periodic at all): linear pieces peak at an end.
            let mut pos = step.start;
            while pos < step_end {
                let piece = self.piece_from(&mut cursor, pos);
                if piece.end <= pos {
                    break;
                }
                max = max.max(piece.rate_start).max(piece.rate_end);
                pos = piece.end;
            }
        }
        max
    }

    /// The exact mean rate over `[start, end)` (integral divided by length), in requests per
    /// second; the rate at `start` when the interval is empty. Multiply by the length in
    /// seconds for the expected number of arrivals.
    pub fn mean_rate_over(&self, start: SimTime, end: SimTime) -> f64 {
        if end <= start {
            return self.rate_at(start);
        }
        let mut cursor = self.cursor;
        self.integral(&mut cursor, start.as_nanos(), end.as_nanos()) / (end - start).as_secs_f64()
    }

    /// The next arrival: the smallest `t >= from` with `∫_from^t r(u) du = area` (area in
    /// expected requests), rounded to the nearest nanosecond and never before `from`.
    ///
    /// Poisson arrivals pass `area ~ Exp(1)`, evenly spaced arrivals pass `1.0`. An area of 0
    /// (or less) gives `from`. `None` means the area is never reached: the rate is zero from
    /// some point on, the area is NaN or infinite, or the answer lies beyond `SimTime::NEVER`.
    ///
    /// Calls with non-decreasing `from` cost `O(1)` amortised thanks to an internal cursor;
    /// earlier `from` values are answered correctly too, only a little slower.
    pub fn advance(&mut self, from: SimTime, area: f64) -> Option<SimTime> {
        let mut cursor = self.cursor;
        let next = self.advance_with(&mut cursor, from.as_nanos(), area);
        self.cursor = cursor;
        next.map(SimTime::from_nanos)
    }

    fn advance_with(&self, cursor: &mut Cursor, from: u64, area: f64) -> Option<u64> {
        if area.is_nan() || area == f64::INFINITY {
            return None;
        }
        if area <= 0.0 {
            return Some(from);
        }
        if self.periodic && self.area_per_cycle <= 0.0 {
            // The periodic base is zero everywhere and factors cannot revive it.
            return None;
        }
        let mut remaining = area;
        let mut pos = from;
        while pos < u64::MAX {
            let piece = self.piece_from(cursor, pos);
            if piece.end <= pos {
                // Cannot happen for valid segments; refuse rather than spin.
                return None;
            }
            if piece.factor <= 0.0 {
                // A factor that underflowed to zero: nothing arrives until it changes.
                pos = piece.factor_end;
                continue;
            }
            if piece.at_cycle_start {
                if let Some(cycles) = self.whole_cycles_to_skip(&piece, remaining) {
                    remaining -= cycles as f64 * piece.factor * self.area_per_cycle;
                    pos += cycles * self.cycle_len;
                    continue;
                }
            }
            let length_nanos = piece.end - pos;
            let length = secs(length_nanos);
            let piece_area = 0.5 * (piece.rate_start + piece.rate_end) * length;
            if remaining <= piece_area {
                let slope = (piece.rate_end - piece.rate_start) / length;
                let offset = offset_for_area(piece.rate_start, slope, remaining);
                let nanos = (offset * NANOS_PER_SEC).round();
                // Rounding may overshoot the piece by a hair; the answer lies inside it.
                let step = if nanos >= length_nanos as f64 {
                    length_nanos
                } else if nanos > 0.0 {
                    nanos as u64
                } else {
                    0
                };
                return Some(pos + step);
            }
            remaining -= piece_area;
            pos = piece.end;
        }
        None
    }

    /// How many whole periods, starting at `piece.start`, can be skipped while looking for
    /// `remaining` requests: those within the current factor step that leave some area to find.
    fn whole_cycles_to_skip(&self, piece: &Piece, remaining: f64) -> Option<u64> {
        let cycle_area = piece.factor * self.area_per_cycle;
        if !(cycle_area > 0.0 && remaining > cycle_area) {
            return None;
        }
        let mut cycles = (remaining / cycle_area).floor();
        // Keep a positive remainder, so that the answer is solved for inside a period instead
        // of landing on a period boundary because `floor(remaining / cycle_area) * cycle_area`
        // rounded up past `remaining`.
        if cycles * cycle_area >= remaining {
            cycles -= 1.0;
        }
        let cycles_in_step = (piece.factor_end - piece.start) / self.cycle_len;
        // `as` saturates for huge quotients, which the minimum then bounds.
        let cycles = (cycles as u64).min(cycles_in_step);
        (cycles > 0).then_some(cycles)
    }

    fn integral(&self, cursor: &mut Cursor, start: u64, end: u64) -> f64 {
        let mut total = 0.0;
        let mut pos = start;
        while pos < end {
            let piece = self.piece_from(cursor, pos);
            if piece.end <= pos {
                break;
            }
            if piece.at_cycle_start {
                let cycles =
                    ((end - pos) / self.cycle_len).min((piece.factor_end - pos) / self.cycle_len);
                if cycles > 0 {
                    total += cycles as f64 * piece.factor * self.area_per_cycle;
                    pos += cycles * self.cycle_len;
                    continue;
                }
            }
            let stop = piece.end.min(end);
            total += 0.5 * (piece.rate_start + piece.rate_at(stop)) * secs(stop - pos);
            pos = stop;
        }
        total
    }

    fn factor_step_end(&self, index: usize) -> u64 {
        self.factors
            .get(index + 1)
            .map_or(u64::MAX, |next| next.start)
    }

    /// Moves the cursor to `pos` and returns the start of its period, its segment and its
    /// factor. Checks the current and the next segment first (the common case), and only
    /// then searches.
    fn seek(&self, cursor: &mut Cursor, pos: u64) -> (u64, Segment, f64) {
        let (cycle, local) = if self.periodic {
            (pos / self.cycle_len, pos % self.cycle_len)
        } else {
            (0, pos)
        };
        let holds = |index: usize| self.segments.get(index).is_some_and(|s| s.contains(local));
        if !(cursor.cycle == cycle && holds(cursor.segment)) {
            cursor.segment = if cursor.cycle == cycle && holds(cursor.segment + 1) {
                cursor.segment + 1
            } else if cursor.cycle.checked_add(1) == Some(cycle) && holds(0) {
                0
            } else {
                // `min` only matters for `pos == u64::MAX`, past the last segment's end.
                self.segments
                    .partition_point(|segment| segment.end <= local)
                    .min(self.segments.len().saturating_sub(1))
            };
            cursor.cycle = cycle;
        }

        let step_holds = |index: usize| {
            self.factors
                .get(index)
                .is_some_and(|step| step.start <= pos)
                && self.factor_step_end(index) > pos
        };
        if !step_holds(cursor.factor) {
            cursor.factor = if step_holds(cursor.factor + 1) {
                cursor.factor + 1
            } else {
                self.factors
                    .partition_point(|step| step.start <= pos)
                    .saturating_sub(1)
            };
        }
        let segment = self
            .segments
            .get(cursor.segment)
            .copied()
            .unwrap_or(Segment {
                start: 0,
                end: u64::MAX,
                rate_start: 0.0,
                rate_end: 0.0,
            });
        let factor = self
            .factors
            .get(cursor.factor)
            .map_or(1.0, |step| step.factor);
        // No overflow: a periodic cycle start is <= pos, and an aperiodic cycle is always 0.
        (cycle * self.cycle_len, segment, factor)
    }

    /// The linear piece that starts at `pos`: it ends at the next segment end or factor step,
    /// whichever comes first.
    fn piece_from(&self, cursor: &mut Cursor, pos: u64) -> Piece {
        let (cycle_start, segment, factor) = self.seek(cursor, pos);
        let factor_end = self.factor_step_end(cursor.factor);
        // Both ends lie after `pos` for valid segments; the `max` keeps `end - cycle_start`
        // from underflowing if they ever did not.
        let end = cycle_start
            .saturating_add(segment.end)
            .min(factor_end)
            .max(pos);
        Piece {
            start: pos,
            end,
            rate_start: factor * segment.rate_at(pos - cycle_start),
            rate_end: factor * segment.rate_at(end - cycle_start),
            factor,
            factor_end,
            at_cycle_start: self.periodic && pos == cycle_start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::Exp1;

    fn ms(millis: u64) -> SimTime {
        SimTime::from_nanos(millis * 1_000_000)
    }

    fn s(secs: u64) -> SimTime {
        SimTime::from_nanos(secs * 1_000_000_000)
    }

    /// The integral of the profile over `[start, end)`, in requests.
    fn expected_count(profile: &RateProfile, start: SimTime, end: SimTime) -> f64 {
        profile.mean_rate_over(start, end) * (end - start).as_secs_f64()
    }

    /// Counts Poisson arrivals in `[0, end)` generated the way a source does.
    fn poisson_count(profile: &mut RateProfile, end: SimTime, seed: u64) -> u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut now = SimTime::ZERO;
        let mut count = 0;
        while let Some(next) = profile.advance(now, rng.sample(Exp1)) {
            if next >= end {
                break;
            }
            count += 1;
            now = next;
        }
        count
    }

    /// The number of arrivals N of a Poisson process with expected count m is Poisson(m):
    /// mean m, standard deviation sqrt(m). A 5-sigma band fails by chance with probability
    /// below 1e-6, so a failure means the arrivals do not follow the rate.
    fn assert_poisson_count_matches(count: u64, expected: f64) {
        let deviation = (count as f64 - expected).abs();
        assert!(
            deviation < 5.0 * expected.sqrt(),
            "{count} arrivals, expected {expected} ± {}",
            5.0 * expected.sqrt()
        );
    }

    #[test]
    fn constant_rate_advances_by_area_over_rate_exactly() -> Result<(), String> {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..1000 {
            let rate = rng.random_range(1e-3..1e5);
            let mut profile = RateProfile::constant(rate)?;
            let from = SimTime::from_nanos(rng.random_range(0..1_000_000_000_000_000));
            let area: f64 = rng.sample(Exp1);
            let expected = from + SimDuration::from_secs_f64(area / rate);
            assert_eq!(
                profile.advance(from, area),
                Some(expected),
                "rate {rate} area {area}"
            );
        }
        Ok(())
    }

    #[test]
    fn deterministic_arrivals_on_four_per_second_are_250_ms_apart() -> Result<(), String> {
        let mut profile = RateProfile::constant(4.0)?;
        let mut now = SimTime::ZERO;
        for k in 1..=10_000 {
            now = profile.advance(now, 1.0).ok_or("no arrival")?;
            assert_eq!(now, ms(250 * k));
        }
        Ok(())
    }

    /// An independent statement of `steps` semantics.
    fn reference_step_rate(steps: &[(SimTime, f64)], t: u64) -> f64 {
        steps
            .iter()
            .rev()
            .find(|(start, _)| start.as_nanos() <= t)
            .map_or(0.0, |&(_, rate)| rate)
    }

    /// An independent statement of `points` semantics.
    fn reference_point_rate(points: &[(SimTime, f64)], t: u64) -> f64 {
        let after = points.partition_point(|(time, _)| time.as_nanos() <= t);
        match (after.checked_sub(1).map(|i| points[i]), points.get(after)) {
            (None, Some(&(_, first))) => first,
            (Some((_, last)), None) => last,
            (Some((t0, r0)), Some(&(t1, r1))) => {
                let fraction = (t - t0.as_nanos()) as f64 / (t1 - t0).as_nanos() as f64;
                r0 + (r1 - r0) * fraction
            }
            (None, None) => 0.0,
        }
    }

    /// The brute-force grid: breakpoints and starts lie on it, so the midpoint rule is exact on
    /// every cell of a piecewise-linear rate and the crossing is found to within one cell.
    const CELL_NANOS: u64 = 10_000;

    /// Finds where the integral from `from` reaches `area` by summing `rate` over a fine grid,
    /// interpolating inside the crossing cell; `None` if not reached before `horizon`.
    fn brute_force_advance(
        rate: impl Fn(u64) -> f64,
        from: u64,
        area: f64,
        horizon: u64,
    ) -> Option<f64> {
        let cell_secs = CELL_NANOS as f64 / 1e9;
        let mut total = 0.0;
        let mut t = from;
        while t < horizon {
            let cell_area = rate(t + CELL_NANOS / 2) * cell_secs;
            if cell_area > 0.0 && total + cell_area >= area {
                return Some(t as f64 + (area - total) / cell_area * CELL_NANOS as f64);
            }
            total += cell_area;
            t += CELL_NANOS;
        }
        None
    }

    /// A random rate in requests per second; zero often, to create gaps.
    fn random_rate(rng: &mut ChaCha8Rng) -> f64 {
        if rng.random_bool(0.3) {
            0.0
        } else {
            rng.random_range(0.5..50.0)
        }
    }

    /// Checks `profile.advance` against the brute force for queries with increasing `from`
    /// (so the cursor is exercised), and against a fresh copy of the profile.
    fn check_against_brute_force(
        profile: &RateProfile,
        reference: impl Fn(u64) -> f64,
        rng: &mut ChaCha8Rng,
    ) {
        let horizon = 30_000_000_000;
        let mut walking = profile.clone();
        let mut froms: Vec<u64> = (0..40)
            .map(|_| rng.random_range(0..250_000u64) * CELL_NANOS)
            .collect();
        froms.sort_unstable();
        for from in froms {
            let t = rng.random_range(0..3_000_000_000);
            let rate = profile.rate_at(SimTime::from_nanos(t));
            assert!(
                (rate - reference(t)).abs() <= 1e-9 * (1.0 + rate),
                "rate at {t}"
            );

            let area = rng.sample::<f64, _>(Exp1) * 3.0;
            let got = walking.advance(SimTime::from_nanos(from), area);
            let fresh = profile.clone().advance(SimTime::from_nanos(from), area);
            assert_eq!(got, fresh, "cursor changed the answer");
            match (got, brute_force_advance(&reference, from, area, horizon)) {
                (Some(got), Some(want)) => assert!(
                    (got.as_nanos() as f64 - want).abs() <= CELL_NANOS as f64 + 1.0,
                    "from {from} area {area}: advance {got:?}, brute force {want} in {profile:?}"
                ),
                (None, None) => {}
                (Some(got), None) => assert!(got.as_nanos() >= horizon - CELL_NANOS),
                (None, Some(want)) => panic!("advance found nothing, brute force {want}"),
            }
        }
    }

    #[test]
    fn steps_match_brute_force_integration() -> Result<(), String> {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..40 {
            let count = rng.random_range(1..8);
            let mut times: Vec<u64> = (0..count).map(|_| rng.random_range(0..2000)).collect();
            if rng.random_bool(0.5) {
                times[0] = 0;
            }
            times.sort_unstable();
            times.dedup();
            let steps: Vec<(SimTime, f64)> = times
                .iter()
                .map(|&t| (ms(t), random_rate(&mut rng)))
                .collect();
            let profile = RateProfile::steps(&steps)?;
            check_against_brute_force(&profile, |t| reference_step_rate(&steps, t), &mut rng);
        }
        Ok(())
    }

    #[test]
    fn points_match_brute_force_integration() -> Result<(), String> {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..40 {
            let count = rng.random_range(1..8);
            let mut times: Vec<u64> = (0..count).map(|_| rng.random_range(0..2000)).collect();
            times.sort_unstable();
            // Repeated times make jumps.
            for i in 1..times.len() {
                if rng.random_bool(0.25) {
                    times[i] = times[i - 1];
                }
            }
            let points: Vec<(SimTime, f64)> = times
                .iter()
                .map(|&t| (ms(t), random_rate(&mut rng)))
                .collect();
            let profile = RateProfile::points(&points)?;
            check_against_brute_force(&profile, |t| reference_point_rate(&points, t), &mut rng);
        }
        Ok(())
    }

    #[test]
    fn every_answer_accumulates_exactly_the_area() -> Result<(), String> {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let day = SimDuration::from_secs(86_400);
        let mut profile = RateProfile::daily(30.0, 0.9, SimDuration::from_secs(50_000), day)?
            .with_spike(s(100_000), SimDuration::from_secs(3_600), 4.0)?
            .with_spike(s(101_000), SimDuration::from_secs(60), 0.5)?
            .scaled(0.5)?;
        let mut now = SimTime::ZERO;
        for _ in 0..20_000 {
            let area = rng.sample::<f64, _>(Exp1) * 500.0;
            let next = profile.advance(now, area).ok_or("no arrival")?;
            let integral = expected_count(&profile, now, next);
            // The answer is rounded to 1 ns, which moves the integral by at most rate * 0.5 ns.
            let rounding = profile.max_rate() * 0.5e-9;
            assert!(
                (integral - area).abs() <= 1e-9 * area + rounding,
                "{integral} vs {area}"
            );
            now = next;
        }
        Ok(())
    }

    #[test]
    fn daily_preserves_the_mean_and_approximates_the_peak() -> Result<(), String> {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let periods = [86_400_000_000_000, 1_000_000_000, 1_000_003, 100, 7];
        for period_nanos in periods {
            for amplitude in [0.0, 0.3, 1.0] {
                let mean = rng.random_range(0.1..1000.0);
                let period = SimDuration::from_nanos(period_nanos);
                let peak_at = SimDuration::from_nanos(rng.random_range(0..3 * period_nanos));
                let profile = RateProfile::daily(mean, amplitude, peak_at, period)?;

                for start in [0, rng.random_range(0..40 * period_nanos)] {
                    let start = SimTime::from_nanos(start);
                    let over_period = profile.mean_rate_over(start, start + period);
                    assert!(
                        (over_period - mean).abs() <= 1e-9 * mean,
                        "period {period_nanos}: mean {over_period} instead of {mean}"
                    );
                }

                // The documented bound: chord error of the cosine over pieces up to 1 ns longer
                // than period / n, plus a margin for the rescaling to the exact mean.
                let pieces = DAILY_PIECES_PER_PERIOD.min(period_nanos) as f64;
                let widening = 1.0 + pieces / period_nanos as f64;
                let interpolation = mean * amplitude * std::f64::consts::PI.powi(2)
                    / (2.0 * pieces * pieces)
                    * widening
                    * widening;
                let rescaling = 1e-12 * mean * (1.0 + amplitude);
                let bound = interpolation + rescaling;
                let peak = mean * (1.0 + amplitude);
                let max = profile.max_rate();
                assert!(max <= peak + rescaling, "max {max} above {peak}");
                assert!(max >= peak - bound, "max {max} too far below {peak}");

                for _ in 0..2000 {
                    let t = rng.random_range(0..50 * period_nanos);
                    let phase = (t + 3 * period_nanos - peak_at.as_nanos()) % period_nanos;
                    let angle = TAU * phase as f64 / period_nanos as f64;
                    let exact = mean * (1.0 + amplitude * angle.cos());
                    let rate = profile.rate_at(SimTime::from_nanos(t));
                    assert!((rate - exact).abs() <= bound, "at {t}: {rate} vs {exact}");
                }
            }
        }
        Ok(())
    }

    #[test]
    fn poisson_counts_match_the_integral_for_a_ramp() -> Result<(), String> {
        let mut profile = RateProfile::ramp(10.0, 110.0, s(100), s(900))?;
        let end = s(1000);
        // 10/s for 100 s, a mean of 60/s for 800 s, 110/s for 100 s.
        let expected = 1000.0 + 48_000.0 + 11_000.0;
        assert!((expected_count(&profile, SimTime::ZERO, end) - expected).abs() < 1e-6);
        assert_poisson_count_matches(poisson_count(&mut profile, end, 6), expected);
        Ok(())
    }

    #[test]
    fn poisson_counts_match_the_integral_for_a_daily_curve() -> Result<(), String> {
        let period = SimDuration::from_secs(100);
        let mut profile = RateProfile::daily(50.0, 0.8, SimDuration::from_secs(30), period)?;
        let end = s(1000);
        let expected = 50.0 * 1000.0;
        assert!((expected_count(&profile, SimTime::ZERO, end) - expected).abs() < 1e-6);
        assert_poisson_count_matches(poisson_count(&mut profile, end, 7), expected);

        // Half a period around the peak holds more than half the arrivals.
        let peak_half = expected_count(&profile, s(5), s(55));
        let exact_peak_half = 50.0 * (50.0 + 0.8 * 100.0 / std::f64::consts::PI);
        assert!((peak_half - exact_peak_half).abs() < 1e-3 * exact_peak_half);
        Ok(())
    }

    #[test]
    fn poisson_counts_match_the_integral_for_a_spiked_constant_rate() -> Result<(), String> {
        // Two overlapping spikes: x5 on [100, 150) s and x3 on [120, 200) s.
        let mut profile = RateProfile::constant(20.0)?
            .with_spike(s(100), SimDuration::from_secs(50), 5.0)?
            .with_spike(s(120), SimDuration::from_secs(80), 3.0)?;
        assert_eq!(profile.rate_at(s(110)), 100.0);
        assert_eq!(profile.rate_at(s(130)), 300.0);
        assert_eq!(profile.rate_at(s(150)), 60.0);
        assert_eq!(profile.rate_at(s(200)), 20.0);
        assert_eq!(profile.max_rate(), 300.0);
        let end = s(500);
        let expected = 20.0 * 500.0 + 80.0 * 20.0 + 280.0 * 30.0 + 40.0 * 50.0;
        assert!((expected_count(&profile, SimTime::ZERO, end) - expected).abs() < 1e-6);
        assert_poisson_count_matches(poisson_count(&mut profile, end, 8), expected);
        Ok(())
    }

    #[test]
    fn cursor_gives_the_same_answers_as_a_fresh_profile() -> Result<(), String> {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let period = SimDuration::from_secs(10);
        let original = RateProfile::daily(5.0, 1.0, SimDuration::from_secs(3), period)?
            .with_spike(s(25), SimDuration::from_secs(7), 3.0)?
            .with_spike(s(400), SimDuration::from_secs(30), 2.0)?;
        let mut walking = original.clone();
        let mut from = SimTime::ZERO;
        let mut froms = Vec::new();
        for _ in 0..20_000 {
            // Mostly small steps, sometimes jumps over many periods, sometimes no step at all.
            let step = match rng.random_range(0..10) {
                0 => 0,
                1 => rng.random_range(0..100_000_000_000),
                _ => rng.random_range(0..300_000_000),
            };
            from += SimDuration::from_nanos(step);
            froms.push(from);
            let area = rng.sample::<f64, _>(Exp1);
            assert_eq!(
                walking.advance(from, area),
                original.clone().advance(from, area)
            );
            assert_eq!(walking.rate_at(from), original.rate_at(from));
        }
        // Going back in time is allowed too, only slower.
        for &from in froms.iter().rev().step_by(97) {
            assert_eq!(
                walking.advance(from, 2.5),
                original.clone().advance(from, 2.5)
            );
        }
        Ok(())
    }

    #[test]
    fn advance_handles_degenerate_areas_and_dead_profiles() -> Result<(), String> {
        let mut live = RateProfile::constant(3.0)?;
        let t = s(7);
        assert_eq!(live.advance(t, 0.0), Some(t));
        assert_eq!(live.advance(t, -1.0), Some(t));
        assert_eq!(live.advance(t, f64::NAN), None);
        assert_eq!(live.advance(t, f64::INFINITY), None);
        assert_eq!(live.advance(SimTime::NEVER, 1.0), None);
        // Beyond the representable time.
        assert_eq!(live.advance(t, 1e12), None);

        assert_eq!(RateProfile::constant(0.0)?.advance(t, 1.0), None);
        let zero_daily =
            RateProfile::daily(0.0, 0.5, SimDuration::ZERO, SimDuration::from_secs(1))?;
        assert_eq!(zero_daily.clone().advance(t, 1.0), None);
        assert_eq!(
            zero_daily
                .with_spike(s(1), SimDuration::from_secs(1), 9.0)?
                .advance(t, 1.0),
            None
        );

        // Traffic that stops: 2/s for 10 s holds 20 requests, then nothing.
        let mut stopping = RateProfile::steps(&[(SimTime::ZERO, 2.0), (s(10), 0.0)])?;
        assert_eq!(stopping.advance(SimTime::ZERO, 20.0), Some(s(10)));
        assert_eq!(stopping.advance(SimTime::ZERO, 20.5), None);
        assert_eq!(stopping.advance(s(10), 1e-9), None);

        // No traffic before the first step, then one second's worth.
        let mut late = RateProfile::steps(&[(s(5), 1.0)])?;
        assert_eq!(late.rate_at(s(4)), 0.0);
        assert_eq!(late.advance(SimTime::ZERO, 1.0), Some(s(6)));
        Ok(())
    }

    #[test]
    fn falling_and_flat_ramps_use_the_stable_root() -> Result<(), String> {
        // 10/s falling to 0 over 1 s holds exactly 5 requests, reached at the very end;
        // 10x - 5x^2 = a gives x = 1 - sqrt(1 - a/5).
        let mut falling = RateProfile::ramp(10.0, 0.0, SimTime::ZERO, s(1))?;
        assert_eq!(falling.advance(SimTime::ZERO, 5.0), Some(s(1)));
        assert_eq!(falling.advance(SimTime::ZERO, 5.000_001), None);
        let x = 1.0 - (1.0 - 3.2 / 5.0_f64).sqrt();
        assert_eq!(
            falling.advance(SimTime::ZERO, 3.2),
            Some(SimTime::ZERO + SimDuration::from_secs_f64(x))
        );

        // Starting from zero rate: 4x^2/2 = 2 gives x = 1.
        let mut rising = RateProfile::ramp(0.0, 4.0, SimTime::ZERO, s(1))?;
        assert_eq!(rising.advance(SimTime::ZERO, 2.0), Some(s(1)));

        // A huge rate with a tiny slope: the textbook root would lose all digits here.
        let mut almost_flat = RateProfile::ramp(1e6, 1e6 + 1e-3, SimTime::ZERO, s(10_000))?;
        for k in 1..1000u64 {
            let from = s(k);
            let expected = from + SimDuration::from_secs_f64(1.0 / 1e6);
            assert_eq!(almost_flat.advance(from, 1.0), Some(expected));
        }
        Ok(())
    }

    #[test]
    fn huge_areas_skip_whole_periods_quickly() -> Result<(), String> {
        let period = SimDuration::from_secs(1);
        let mut profile = RateProfile::daily(10.0, 1.0, SimDuration::ZERO, period)?.with_spike(
            s(1_000_000),
            SimDuration::from_secs(10),
            2.0,
        )?;
        // Eleven and a half million seconds' worth, past the spike.
        let area = 10.0 * 11_500_000.3;
        let next = profile.advance(SimTime::ZERO, area).ok_or("no arrival")?;
        let integral = expected_count(&profile, SimTime::ZERO, next);
        assert!(
            (integral - area).abs() <= 1e-9 * area,
            "{integral} vs {area}"
        );
        assert!(next > s(11_499_000) && next < s(11_500_000));
        Ok(())
    }

    #[test]
    fn scaling_multiplies_everything() -> Result<(), String> {
        let base = RateProfile::points(&[(s(1), 2.0), (s(3), 6.0)])?.with_spike(
            s(2),
            SimDuration::from_secs(1),
            2.0,
        )?;
        let tripled = base.clone().scaled(3.0)?;
        for t in [0, 1, 2, 3, 4] {
            assert_eq!(tripled.rate_at(s(t)), 3.0 * base.rate_at(s(t)));
        }
        assert_eq!(tripled.max_rate(), 3.0 * base.max_rate());
        assert_eq!(base.max_rate(), 12.0);
        Ok(())
    }

    #[test]
    fn invalid_inputs_are_errors_not_panics() -> Result<(), String> {
        assert!(RateProfile::constant(-1.0).is_err());
        assert!(RateProfile::constant(f64::NAN).is_err());
        assert!(RateProfile::constant(f64::INFINITY).is_err());
        assert!(RateProfile::steps(&[]).is_err());
        assert!(RateProfile::steps(&[(s(2), 1.0), (s(1), 1.0)]).is_err());
        assert!(RateProfile::steps(&[(s(1), 1.0), (s(1), 2.0)]).is_err());
        assert!(RateProfile::points(&[]).is_err());
        assert!(RateProfile::points(&[(s(2), 1.0), (s(1), 1.0)]).is_err());
        assert!(RateProfile::points(&[(s(1), -0.5)]).is_err());
        assert!(RateProfile::ramp(1.0, 2.0, s(2), s(1)).is_err());
        let day = SimDuration::from_secs(86_400);
        assert!(RateProfile::daily(1.0, 1.5, SimDuration::ZERO, day).is_err());
        assert!(RateProfile::daily(1.0, -0.1, SimDuration::ZERO, day).is_err());
        assert!(RateProfile::daily(1.0, f64::NAN, SimDuration::ZERO, day).is_err());
        assert!(RateProfile::daily(1.0, 0.5, SimDuration::ZERO, SimDuration::ZERO).is_err());
        assert!(RateProfile::daily(f64::MAX, 0.5, SimDuration::ZERO, day).is_err());
        let one = RateProfile::constant(1.0)?;
        assert!(one.clone().with_spike(s(1), day, 0.0).is_err());
        assert!(one.clone().with_spike(s(1), day, f64::NAN).is_err());
        assert!(one.clone().scaled(-2.0).is_err());
        assert!(one.clone().scaled(f64::INFINITY).is_err());
        assert!(one.clone().scaled(1e300)?.scaled(1e300).is_err());
        let zero = RateProfile::constant(0.0)?.with_spike(s(1), day, 1e300)?;
        assert!(zero.with_spike(s(1), day, 1e300).is_err());

        // Extreme but valid inputs work.
        let forever = one.clone().with_spike(s(5), SimDuration::MAX, 2.0)?;
        assert_eq!(forever.rate_at(SimTime::NEVER), 2.0);
        let edge = RateProfile::points(&[(SimTime::NEVER, 3.0)])?;
        assert_eq!(edge.rate_at(s(1)), 3.0);
        let message = RateProfile::steps(&[(s(2), 1.0), (s(1), 1.0)]).err();
        assert!(message.is_some_and(|m| m.contains("strictly increasing")));
        Ok(())
    }
}
