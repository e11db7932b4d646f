//! Simulated time: integer nanoseconds, so that sums of many small steps never drift.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A point in simulated time, in nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A length of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

pub const NANOS_PER_SEC: f64 = 1e9;

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    /// Later than any event a run can schedule; used as "never".
    pub const NEVER: SimTime = SimTime(u64::MAX);

    pub const fn from_nanos(nanos: u64) -> Self {
        SimTime(nanos)
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC
    }
    /// Time elapsed since `earlier`, or zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    pub const fn from_nanos(nanos: u64) -> Self {
        SimDuration(nanos)
    }
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1_000_000)
    }
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * 1_000_000_000)
    }
    /// Converts seconds to nanoseconds, rounding to the nearest nanosecond. Negative and NaN
    /// inputs give zero; values beyond ~584 years saturate.
    #[inline]
    pub fn from_secs_f64(secs: f64) -> Self {
        let nanos = secs * NANOS_PER_SEC;
        if nanos.is_nan() || nanos <= 0.0 {
            SimDuration(0)
        } else if nanos >= u64::MAX as f64 {
            SimDuration(u64::MAX)
        } else {
            // `f64::round` (half away from zero) without the libm call: the conversion
            // truncates, and `nanos - whole` is exact (below 2^53 `whole` is exact; above,
            // `nanos` is already whole).
            let whole = nanos as u64;
            SimDuration(whole + u64::from(nanos - whole as f64 >= 0.5))
        }
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC
    }
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    /// Saturates at [`SimTime::NEVER`] instead of wrapping.
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    /// Saturates at zero.
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n >= 1_000_000_000 {
            write!(f, "{}s", self.as_secs_f64())
        } else if n >= 1_000_000 {
            write!(f, "{}ms", n as f64 / 1e6)
        } else if n >= 1_000 {
            write!(f, "{}us", n as f64 / 1e3)
        } else {
            write!(f, "{n}ns")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addition_saturates_instead_of_wrapping() {
        assert_eq!(SimTime::NEVER + SimDuration::from_secs(1), SimTime::NEVER);
        assert_eq!(SimTime::ZERO - SimTime::from_nanos(5), SimDuration::ZERO);
    }

    #[test]
    fn float_seconds_round_like_f64_round() {
        use rand::{Rng, SeedableRng};
        let reference = |secs: f64| {
            let nanos = (secs * NANOS_PER_SEC).round();
            if nanos.is_nan() || nanos <= 0.0 {
                0
            } else if nanos >= u64::MAX as f64 {
                u64::MAX
            } else {
                nanos as u64
            }
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let halves = (0..2000).map(|i| (i as f64 + 0.5) / NANOS_PER_SEC);
        let edges = [
            0.0,
            -0.0,
            0.49e-9,
            0.5e-9,
            2.5e-9,
            4.5e9,
            1.8446744073709552e10,
            f64::MAX,
        ];
        let random = (0..100_000).map(|_| {
            let exponent = rng.random_range(-12..12);
            rng.random::<f64>() * 10f64.powi(exponent)
        });
        for secs in halves.chain(edges).chain(random) {
            assert_eq!(
                SimDuration::from_secs_f64(secs).as_nanos(),
                reference(secs),
                "{secs}"
            );
        }
    }

    #[test]
    fn float_seconds_round_to_nearest_nanosecond() {
        assert_eq!(SimDuration::from_secs_f64(1.5e-9).as_nanos(), 2);
        assert_eq!(SimDuration::from_secs_f64(-3.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(f64::NAN), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs_f64(1e30), SimDuration::MAX);
        assert_eq!(SimDuration::from_secs_f64(0.25).as_nanos(), 250_000_000);
    }

    #[test]
    fn display_picks_a_readable_unit() {
        assert_eq!(SimDuration::from_millis(250).to_string(), "250ms");
        assert_eq!(SimDuration::from_secs(2).to_string(), "2s");
        assert_eq!(SimDuration::from_nanos(1500).to_string(), "1.5us");
    }
}
