//! Service-time and latency distributions.
//!
//! A [`Distribution`] is a law for a non-negative duration (a service time, a network delay,
//! a think time). Every law is validated once, by its constructor, and keeps a prepared sampler,
//! so [`Distribution::sample`] does no allocation and no per-call setup: it runs once per request,
//! tens of millions of times a run.
//!
//! The laws and their parameters (every duration is a [`SimDuration`], i.e. whole nanoseconds):
//!
//! - [`Distribution::constant`]`(d)`: always `d`.
//! - [`Distribution::exponential`]`(mean)`: exponential with that mean (`mean > 0`).
//! - [`Distribution::uniform`]`(min, max)`: every whole nanosecond in `[min, max]` equally
//!   likely (both ends included; `min <= max`).
//! - [`Distribution::lognormal_mean_sigma`]`(mean, sigma)`: log-normal with that mean, where
//!   `sigma` (dimensionless) is the standard deviation of `ln X`.
//! - [`Distribution::lognormal_median_p99`]`(median, p99)`: log-normal through a measured median
//!   and 99th percentile: `mu = ln median`, `sigma = (ln p99 - ln median) / z_0.99`.
//! - [`Distribution::empirical`]`(points)`: a percentile table `(quantile, value)`, sampled by
//!   inverse transform with linear interpolation between consecutive points. When the table has
//!   no point at quantile 0, the minimum is taken as 0 ns (a point `(0.0, 0ns)` is prepended).
//!
//! Samples are rounded to the nearest nanosecond; values beyond `SimDuration::MAX` (far
//! log-normal tails) saturate instead of overflowing.
//!
//! The moments ([`Distribution::mean_secs`], [`Distribution::second_moment_secs2`],
//! [`Distribution::scv`]) are exact closed forms, in seconds, for queueing formulas and for
//! checking the simulator against theory.
//!
//! Tests (in this file): `sample_means_match_closed_forms` (every law, 200k samples, mean within
//! 5 standard errors), `closed_forms_are_right`, `exponential_second_moment_matches`,
//! `empirical_quantiles_match_the_table`, `empirical_with_flat_segment_and_single_point`,
//! `uniform_reaches_both_ends`, `lognormal_median_and_p99_are_reproduced`,
//! `lognormal_tail_saturates`, the `*_rejects_*` error tests (one per constructor),
//! `same_seed_gives_same_draws` and `describe_is_readable`.

use std::fmt::Write as _;
use std::sync::Arc;

use rand::Rng;
use rand_distr::{Exp, LogNormal};

use crate::engine::{rng::SimRng, SimDuration};

/// `z_0.99`: the standard normal's 99th percentile, `Phi^-1(0.99)`.
pub const Z_99: f64 = 2.326_347_874_040_841;

const NANOS_PER_SEC: f64 = 1e9;

/// A duration law. Build it with the constructors, which validate the parameters; the payloads
/// of the non-constant variants have private fields so that an invalid law cannot be written
/// by hand, but they can be matched on (e.g. to recognise an exponential for an M/M/c check).
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// Always the same duration.
    Constant(SimDuration),
    Exponential(ExponentialLaw),
    Uniform(UniformLaw),
    LogNormal(LogNormalLaw),
    Empirical(EmpiricalLaw),
}

/// Exponential with a given mean.
#[derive(Clone, Debug, PartialEq)]
pub struct ExponentialLaw {
    mean: SimDuration,
    /// Rate in 1/s; samples are in seconds.
    sampler: Exp<f64>,
}

impl ExponentialLaw {
    pub fn mean(&self) -> SimDuration {
        self.mean
    }
}

/// Uniform over the whole nanoseconds of `[min, max]`.
#[derive(Clone, Debug, PartialEq)]
pub struct UniformLaw {
    min: SimDuration,
    max: SimDuration,
    /// Draws nanoseconds directly, so both ends are reachable and no rounding is needed.
    sampler: rand::distr::Uniform<u64>,
}

impl UniformLaw {
    pub fn min(&self) -> SimDuration {
        self.min
    }
    pub fn max(&self) -> SimDuration {
        self.max
    }
}

/// Log-normal: `ln X ~ Normal(mu, sigma^2)`, with X in seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct LogNormalLaw {
    mu: f64,
    sigma: f64,
    /// Samples are in seconds.
    sampler: LogNormal<f64>,
}

impl LogNormalLaw {
    /// Mean of `ln X`, with X in seconds.
    pub fn mu(&self) -> f64 {
        self.mu
    }
    /// Standard deviation of `ln X`.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }
    pub fn median_secs(&self) -> f64 {
        self.mu.exp()
    }
    pub fn p99_secs(&self) -> f64 {
        (self.mu + self.sigma * Z_99).exp()
    }
}

/// A percentile table, always starting at quantile 0 and ending at quantile 1.
#[derive(Clone, Debug, PartialEq)]
pub struct EmpiricalLaw {
    /// Shared because the table is immutable and a scenario may clone one law into many
    /// components.
    points: Arc<[EmpiricalPoint]>,
    /// Moments computed once at construction, since they need a pass over the table.
    mean_secs: f64,
    variance_secs2: f64,
}

/// One row of an empirical table: `P(X <= value) = quantile`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EmpiricalPoint {
    pub quantile: f64,
    pub value: SimDuration,
}

impl EmpiricalLaw {
    /// The table as sampled, including the `(0, 0ns)` point added when the caller gave none.
    pub fn points(&self) -> &[EmpiricalPoint] {
        &self.points
    }

    /// Inverse transform: `u` in `[0, 1)` to a duration, interpolating linearly inside the
    /// segment that holds `u`.
    fn quantile_function(&self, u: f64) -> SimDuration {
        let points = &self.points[..];
        // Segment i spans [q_i, q_{i+1}); q_0 = 0 <= u and q_last = 1 > u, so the count of
        // points with q <= u is in 1..len. The clamp only guards against a malformed table.
        let last_segment = points.len().saturating_sub(2);
        let segment = points
            .partition_point(|p| p.quantile <= u)
            .saturating_sub(1)
            .min(last_segment);
        let (Some(low), Some(high)) = (points.get(segment), points.get(segment + 1)) else {
            return points.first().map_or(SimDuration::ZERO, |p| p.value);
        };
        let fraction = ((u - low.quantile) / (high.quantile - low.quantile)).clamp(0.0, 1.0);
        // Interpolate on the integer offset from the lower value, so that large values keep
        // their nanosecond precision; `as u64` saturates and the result never passes `high`.
        let span = high.value.as_nanos().saturating_sub(low.value.as_nanos());
        let offset = (fraction * span as f64).round() as u64;
        SimDuration::from_nanos(low.value.as_nanos() + offset.min(span))
    }

    /// `(mean, variance)` in seconds: the table is a mixture of uniform segments, segment i with
    /// weight `q_{i+1} - q_i` on `[v_i, v_{i+1}]`. The variance uses the law of total variance
    /// rather than `E[X^2] - mean^2`, which cancels badly for narrow tables.
    fn moments_secs(points: &[EmpiricalPoint]) -> (f64, f64) {
        let segments = || {
            points.windows(2).map(|pair| {
                let weight = pair[1].quantile - pair[0].quantile;
                let a = pair[0].value.as_secs_f64();
                let b = pair[1].value.as_secs_f64();
                (weight, (a + b) / 2.0, (b - a) * (b - a) / 12.0)
            })
        };
        let mean: f64 = segments().map(|(w, m, _)| w * m).sum();
        let variance: f64 = segments()
            .map(|(w, m, v)| w * (v + (m - mean) * (m - mean)))
            .sum();
        (mean, variance)
    }
}

impl Distribution {
    /// Always `d`.
    pub fn constant(d: SimDuration) -> Distribution {
        Distribution::Constant(d)
    }

    /// Exponential with the given mean, which must be positive (use `constant(0)` for no delay).
    pub fn exponential(mean: SimDuration) -> Result<Distribution, String> {
        if mean.is_zero() {
            return Err(
                "exponential needs a mean > 0, got 0ns (use a constant 0 for no delay)".into(),
            );
        }
        let sampler = Exp::new(1.0 / mean.as_secs_f64())
            .map_err(|e| format!("exponential(mean {mean}): {e}"))?;
        Ok(Distribution::Exponential(ExponentialLaw { mean, sampler }))
    }

    /// Uniform over the whole nanoseconds of `[min, max]`, both ends included.
    pub fn uniform(min: SimDuration, max: SimDuration) -> Result<Distribution, String> {
        if min > max {
            return Err(format!(
                "uniform needs min <= max, got min {min} > max {max}"
            ));
        }
        let sampler = rand::distr::Uniform::new_inclusive(min.as_nanos(), max.as_nanos())
            .map_err(|e| format!("uniform({min}..{max}): {e}"))?;
        Ok(Distribution::Uniform(UniformLaw { min, max, sampler }))
    }

    /// Log-normal with the given mean; `sigma` is the standard deviation of `ln X` (0 gives a
    /// constant). `mu = ln(mean) - sigma^2 / 2`, so that `E[X] = mean`.
    pub fn lognormal_mean_sigma(mean: SimDuration, sigma: f64) -> Result<Distribution, String> {
        if mean.is_zero() {
            return Err("lognormal needs a mean > 0, got 0ns".into());
        }
        check_sigma(sigma)?;
        let mu = mean.as_secs_f64().ln() - sigma * sigma / 2.0;
        Self::lognormal_from_mu_sigma(mu, sigma)
    }

    /// Log-normal through a measured median and 99th percentile: `mu = ln median`,
    /// `sigma = (ln p99 - ln median) / z_0.99`. `p99 == median` gives a constant.
    pub fn lognormal_median_p99(
        median: SimDuration,
        p99: SimDuration,
    ) -> Result<Distribution, String> {
        if median.is_zero() {
            return Err("lognormal needs a median > 0, got 0ns".into());
        }
        if p99 < median {
            return Err(format!(
                "lognormal needs p99 >= median, got p99 {p99} < median {median}"
            ));
        }
        let mu = median.as_secs_f64().ln();
        let sigma = (p99.as_secs_f64().ln() - mu) / Z_99;
        check_sigma(sigma)?;
        Self::lognormal_from_mu_sigma(mu, sigma)
    }

    fn lognormal_from_mu_sigma(mu: f64, sigma: f64) -> Result<Distribution, String> {
        // Queueing formulas downstream use E[X^2] = exp(2 mu + 2 sigma^2); refuse a law whose
        // moments do not fit in an f64 rather than hand out infinities.
        let second_moment = (2.0 * mu + 2.0 * sigma * sigma).exp();
        if !second_moment.is_finite() {
            return Err(format!(
                "lognormal with sigma {sigma} is too wide: E[X^2] overflows (reduce sigma or the mean)"
            ));
        }
        let sampler = LogNormal::new(mu, sigma)
            .map_err(|e| format!("lognormal(mu {mu}, sigma {sigma}): {e}"))?;
        Ok(Distribution::LogNormal(LogNormalLaw { mu, sigma, sampler }))
    }

    /// A percentile table of `(quantile, value)` points. Quantiles must be finite, in `[0, 1]`,
    /// strictly increasing, and end at exactly 1.0; values must be non-decreasing. If the first
    /// quantile is above 0, the minimum is taken as 0 ns: the point `(0.0, 0ns)` is prepended.
    /// Consecutive points with equal values give a flat segment, i.e. an atom at that value.
    pub fn empirical(points: &[(f64, SimDuration)]) -> Result<Distribution, String> {
        let Some(&(last_quantile, _)) = points.last() else {
            return Err(
                "empirical needs at least one (quantile, value) point, got an empty table".into(),
            );
        };
        for (i, &(quantile, value)) in points.iter().enumerate() {
            if !(0.0..=1.0).contains(&quantile) {
                return Err(format!(
                    "empirical quantiles must be in [0, 1], got {quantile} at point {i} ({value})"
                ));
            }
            if i > 0 {
                let (previous_quantile, previous_value) = points[i - 1];
                if quantile <= previous_quantile {
                    return Err(format!(
                        "empirical quantiles must be strictly increasing, got {quantile} after {previous_quantile} at point {i}"
                    ));
                }
                if value < previous_value {
                    return Err(format!(
                        "empirical values must be non-decreasing, got {value} after {previous_value} at point {i} (quantile {quantile})"
                    ));
                }
            }
        }
        if last_quantile != 1.0 {
            return Err(format!(
                "empirical table must end at quantile 1.0 (the maximum), last quantile is {last_quantile}"
            ));
        }
        let mut table = Vec::with_capacity(points.len() + 1);
        if points[0].0 > 0.0 {
            table.push(EmpiricalPoint {
                quantile: 0.0,
                value: SimDuration::ZERO,
            });
        }
        table.extend(
            points
                .iter()
                .map(|&(quantile, value)| EmpiricalPoint { quantile, value }),
        );
        let (mean_secs, variance_secs2) = EmpiricalLaw::moments_secs(&table);
        Ok(Distribution::Empirical(EmpiricalLaw {
            points: table.into(),
            mean_secs,
            variance_secs2,
        }))
    }

    /// One draw, rounded to the nearest nanosecond; saturates at `SimDuration::MAX`.
    /// A constant consumes no random numbers.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        match self {
            Distribution::Constant(d) => *d,
            Distribution::Exponential(law) => SimDuration::from_secs_f64(rng.sample(law.sampler)),
            Distribution::Uniform(law) => SimDuration::from_nanos(rng.sample(law.sampler)),
            Distribution::LogNormal(law) => SimDuration::from_secs_f64(rng.sample(law.sampler)),
            Distribution::Empirical(law) => law.quantile_function(rng.random::<f64>()),
        }
    }

    /// `E[X]` in seconds.
    pub fn mean_secs(&self) -> f64 {
        match self {
            Distribution::Constant(d) => d.as_secs_f64(),
            Distribution::Exponential(law) => law.mean.as_secs_f64(),
            Distribution::Uniform(law) => (law.min.as_secs_f64() + law.max.as_secs_f64()) / 2.0,
            Distribution::LogNormal(law) => (law.mu + law.sigma * law.sigma / 2.0).exp(),
            Distribution::Empirical(law) => law.mean_secs,
        }
    }

    /// `Var[X]` in s^2, from closed forms (not from `E[X^2] - E[X]^2`, which cancels).
    pub fn variance_secs2(&self) -> f64 {
        match self {
            Distribution::Constant(_) => 0.0,
            Distribution::Exponential(law) => law.mean.as_secs_f64().powi(2),
            Distribution::Uniform(law) => {
                // Discrete uniform over n = max - min + 1 whole nanoseconds, which is what
                // `sample` draws: (n^2 - 1) / 12 ns^2. It exceeds the continuous
                // (max - min)^2 / 12 by (max - min) / 6 ns^2, a relative 2 ns / (max - min).
                let n = (law.max.as_nanos() - law.min.as_nanos()) as f64 + 1.0;
                (n * n - 1.0) / 12.0 / (NANOS_PER_SEC * NANOS_PER_SEC)
            }
            Distribution::LogNormal(law) => {
                self.mean_secs().powi(2) * (law.sigma * law.sigma).exp_m1()
            }
            Distribution::Empirical(law) => law.variance_secs2,
        }
    }

    /// `E[X^2]` in s^2.
    pub fn second_moment_secs2(&self) -> f64 {
        match self {
            Distribution::Exponential(law) => 2.0 * law.mean.as_secs_f64().powi(2),
            Distribution::LogNormal(law) => (2.0 * law.mu + 2.0 * law.sigma * law.sigma).exp(),
            _ => self.variance_secs2() + self.mean_secs().powi(2),
        }
    }

    /// Squared coefficient of variation `Var[X] / E[X]^2`: 0 for a constant, 1 for an
    /// exponential; defined as 0 when the mean is 0.
    pub fn scv(&self) -> f64 {
        match self {
            Distribution::Constant(_) => 0.0,
            Distribution::Exponential(_) => 1.0,
            Distribution::LogNormal(law) => (law.sigma * law.sigma).exp_m1(),
            _ => {
                let mean = self.mean_secs();
                if mean == 0.0 {
                    0.0
                } else {
                    self.variance_secs2() / (mean * mean)
                }
            }
        }
    }

    /// True when every draw is 0 ns (a constant 0, or a law whose support is `{0}`).
    pub fn is_zero(&self) -> bool {
        match self {
            Distribution::Constant(d) => d.is_zero(),
            Distribution::Uniform(law) => law.max.is_zero(),
            Distribution::Empirical(law) => law.points.iter().all(|p| p.value.is_zero()),
            Distribution::Exponential(_) | Distribution::LogNormal(_) => false,
        }
    }

    /// A one-line description for humans, e.g. `exponential(mean 20ms)`.
    pub fn describe(&self) -> String {
        match self {
            Distribution::Constant(d) => format!("constant({d})"),
            Distribution::Exponential(law) => format!("exponential(mean {})", law.mean),
            Distribution::Uniform(law) => format!("uniform({}..{})", law.min, law.max),
            Distribution::LogNormal(law) => format!(
                "lognormal(mean {}, median {}, p99 {}, sigma {})",
                SimDuration::from_secs_f64(self.mean_secs()),
                SimDuration::from_secs_f64(law.median_secs()),
                SimDuration::from_secs_f64(law.p99_secs()),
                round_to(law.sigma, 4),
            ),
            Distribution::Empirical(law) => {
                let mut text = String::from("empirical(");
                for (i, point) in law.points.iter().enumerate() {
                    let separator = if i == 0 { "" } else { ", " };
                    // Writing to a String cannot fail.
                    let _ = write!(
                        text,
                        "{separator}p{} {}",
                        round_to(point.quantile * 100.0, 6),
                        point.value
                    );
                }
                text.push(')');
                text
            }
        }
    }
}

fn check_sigma(sigma: f64) -> Result<(), String> {
    if sigma.is_finite() && sigma >= 0.0 {
        Ok(())
    } else {
        Err(format!("lognormal needs a finite sigma >= 0, got {sigma}"))
    }
}

/// Rounds to `digits` decimals, so that 0.999 * 100 prints as 99.9 and not 99.89999999999999.
fn round_to(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;

    const SAMPLES: usize = 200_000;

    fn ms(x: u64) -> SimDuration {
        SimDuration::from_millis(x)
    }

    fn test_rng() -> SimRng {
        stream(1, "test", "x")
    }

    fn draw_secs(dist: &Distribution, n: usize) -> Vec<f64> {
        let mut rng = test_rng();
        (0..n)
            .map(|_| dist.sample(&mut rng).as_secs_f64())
            .collect()
    }

    fn all_laws() -> Vec<Distribution> {
        let ok = |r: Result<Distribution, String>| match r {
            Ok(d) => d,
            Err(e) => panic!("valid test law rejected: {e}"),
        };
        vec![
            Distribution::constant(ms(5)),
            ok(Distribution::exponential(ms(20))),
            ok(Distribution::uniform(ms(2), ms(5))),
            ok(Distribution::lognormal_mean_sigma(ms(20), 0.5)),
            ok(Distribution::lognormal_median_p99(ms(10), ms(80))),
            ok(Distribution::empirical(&[
                (0.0, ms(1)),
                (0.5, ms(10)),
                (0.9, ms(30)),
                (0.99, ms(100)),
                (1.0, ms(250)),
            ])),
            // No quantile-0 point: the minimum is 0 ns.
            ok(Distribution::empirical(&[(0.5, ms(10)), (1.0, ms(20))])),
        ]
    }

    #[test]
    fn sample_means_match_closed_forms() {
        for dist in all_laws() {
            let samples = draw_secs(&dist, SAMPLES);
            let sample_mean = samples.iter().sum::<f64>() / SAMPLES as f64;
            // Standard error of the sample mean = sqrt(Var / n), with
            // Var = second_moment - mean^2. Five of them: a false alarm is a < 1e-6 event. The
            // 1 ns floor covers the rounding of each draw to whole nanoseconds (and the exact
            // constant case, where the standard error is 0).
            let mean = dist.mean_secs();
            let variance = dist.second_moment_secs2() - mean * mean;
            let standard_error = (variance.max(0.0) / SAMPLES as f64).sqrt();
            let tolerance = 5.0 * standard_error + 1e-9;
            assert!(
                (sample_mean - mean).abs() <= tolerance,
                "{}: sample mean {sample_mean} vs exact {mean} (tolerance {tolerance})",
                dist.describe()
            );
            assert!((variance - dist.variance_secs2()).abs() <= 1e-9 * dist.second_moment_secs2());
        }
    }

    #[test]
    fn closed_forms_are_right() {
        let laws = all_laws();
        assert_eq!(laws[0].scv(), 0.0);
        assert_eq!(laws[1].scv(), 1.0);
        assert!((laws[1].second_moment_secs2() - 2.0 * 0.02f64.powi(2)).abs() < 1e-18);
        // uniform 2..5ms: mean 3.5ms, variance ~ (3ms)^2 / 12.
        assert!((laws[2].mean_secs() - 0.0035).abs() < 1e-15);
        let continuous_variance = 0.003f64.powi(2) / 12.0;
        let relative_excess = laws[2].variance_secs2() / continuous_variance - 1.0;
        assert!(
            (relative_excess - 2.0 / 3e6).abs() < 1e-9,
            "{relative_excess}"
        );
        assert!((laws[3].mean_secs() - 0.02).abs() < 1e-15);
        assert!((laws[3].scv() - (0.25f64.exp() - 1.0)).abs() < 1e-12);
        // empirical [(0.5, 10ms), (1, 20ms)] with (0, 0) prepended: two uniform halves.
        let half_mean = 0.5 * 0.005 + 0.5 * 0.015;
        assert!((laws[6].mean_secs() - half_mean).abs() < 1e-15);
        let half_second_moment = 0.5 * (0.01f64.powi(2) / 3.0)
            + 0.5 * (0.01f64.powi(2) + 0.01 * 0.02 + 0.02f64.powi(2)) / 3.0;
        assert!((laws[6].second_moment_secs2() - half_second_moment).abs() < 1e-15);
        // Zero mean: scv defined as 0.
        let zero = Distribution::uniform(SimDuration::ZERO, SimDuration::ZERO);
        assert!(matches!(zero, Ok(ref d) if d.is_zero() && d.scv() == 0.0));
    }

    #[test]
    fn exponential_second_moment_matches() {
        let mean: f64 = 0.02;
        let dist = Distribution::exponential(ms(20));
        let Ok(dist) = dist else {
            panic!("valid exponential rejected")
        };
        let samples = draw_secs(&dist, SAMPLES);
        let sample_second_moment = samples.iter().map(|x| x * x).sum::<f64>() / SAMPLES as f64;
        // Var[X^2] = E[X^4] - E[X^2]^2 = 24 m^4 - 4 m^4 for an exponential of mean m.
        let standard_error = (20.0 * mean.powi(4) / SAMPLES as f64).sqrt();
        let exact = dist.second_moment_secs2();
        assert!(
            (sample_second_moment - exact).abs() <= 5.0 * standard_error,
            "sample E[X^2] {sample_second_moment} vs exact {exact}"
        );
    }

    #[test]
    fn empirical_quantiles_match_the_table() {
        let table = [
            (0.0, ms(1)),
            (0.5, ms(10)),
            (0.9, ms(30)),
            (0.99, ms(100)),
            (1.0, ms(250)),
        ];
        let Ok(dist) = Distribution::empirical(&table) else {
            panic!("valid table rejected")
        };
        let mut rng = test_rng();
        let samples: Vec<SimDuration> = (0..SAMPLES).map(|_| dist.sample(&mut rng)).collect();
        let n = SAMPLES as f64;
        for &(q, value) in &table {
            let below = samples.iter().filter(|&&s| s <= value).count() as f64 / n;
            // The fraction below the q-quantile is a binomial proportion: sd sqrt(q(1-q)/n).
            let tolerance = 4.0 * (q * (1.0 - q) / n).sqrt();
            assert!(
                (below - q).abs() <= tolerance,
                "P(X <= {value}) = {below}, table says {q}"
            );
        }
        assert!(samples.iter().all(|&s| s >= ms(1) && s <= ms(250)));
    }

    #[test]
    fn empirical_with_flat_segment_and_single_point() {
        // A flat segment is an atom: half of the mass sits exactly on 10ms.
        let Ok(atom) = Distribution::empirical(&[(0.0, ms(10)), (0.5, ms(10)), (1.0, ms(20))])
        else {
            panic!("valid table rejected")
        };
        let mut rng = test_rng();
        let at_ten = (0..10_000)
            .filter(|_| atom.sample(&mut rng) == ms(10))
            .count();
        assert!(
            (4_700..=5_300).contains(&at_ten),
            "{at_ten} of 10000 at the atom"
        );
        // One point at quantile 1: uniform from 0 to that value.
        let Ok(single) = Distribution::empirical(&[(1.0, ms(8))]) else {
            panic!("valid table rejected")
        };
        assert!((single.mean_secs() - 0.004).abs() < 1e-15);
        assert_eq!(single.describe(), "empirical(p0 0ns, p100 8ms)");
    }

    #[test]
    fn uniform_reaches_both_ends() {
        let Ok(dist) =
            Distribution::uniform(SimDuration::from_nanos(10), SimDuration::from_nanos(12))
        else {
            panic!("valid uniform rejected")
        };
        let mut rng = test_rng();
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            let ns = dist.sample(&mut rng).as_nanos();
            assert!((10..=12).contains(&ns));
            counts[(ns - 10) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_500..=10_500).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn lognormal_median_and_p99_are_reproduced() {
        let Ok(dist) = Distribution::lognormal_median_p99(ms(10), ms(80)) else {
            panic!("valid lognormal rejected")
        };
        let mut samples = draw_secs(&dist, SAMPLES);
        samples.sort_by(f64::total_cmp);
        let n = SAMPLES as f64;
        let below_median = samples.partition_point(|&x| x <= 0.010) as f64 / n;
        let below_p99 = samples.partition_point(|&x| x <= 0.080) as f64 / n;
        assert!(
            (below_median - 0.5).abs() <= 4.0 * (0.25 / n).sqrt(),
            "{below_median}"
        );
        assert!(
            (below_p99 - 0.99).abs() <= 4.0 * (0.99 * 0.01 / n).sqrt(),
            "{below_p99}"
        );
        assert_eq!(
            dist.describe(),
            "lognormal(mean 14.910753ms, median 10ms, p99 80ms, sigma 0.8939)"
        );
        // p99 == median is a constant.
        let same = Distribution::lognormal_median_p99(ms(10), ms(10));
        assert!(matches!(same, Ok(ref d) if d.scv() == 0.0 && d.sample(&mut test_rng()) == ms(10)));
    }

    #[test]
    fn lognormal_tail_saturates() {
        // mean 10^9 s and sigma 4: about 0.35% of draws exceed u64::MAX nanoseconds (~584 years).
        let Ok(dist) =
            Distribution::lognormal_mean_sigma(SimDuration::from_secs(1_000_000_000), 4.0)
        else {
            panic!("valid lognormal rejected")
        };
        let mut rng = test_rng();
        let saturated = (0..10_000)
            .filter(|_| dist.sample(&mut rng) == SimDuration::MAX)
            .count();
        assert!(saturated > 0);
    }

    #[test]
    fn exponential_rejects_zero_mean() {
        let err = Distribution::exponential(SimDuration::ZERO).unwrap_err();
        assert!(err.contains("mean > 0"), "{err}");
    }

    #[test]
    fn uniform_rejects_min_above_max() {
        let err = Distribution::uniform(ms(5), ms(2)).unwrap_err();
        assert_eq!(err, "uniform needs min <= max, got min 5ms > max 2ms");
    }

    #[test]
    fn lognormal_mean_sigma_rejects_bad_parameters() {
        assert!(Distribution::lognormal_mean_sigma(SimDuration::ZERO, 0.5)
            .unwrap_err()
            .contains("mean > 0"));
        for sigma in [-0.1, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let err = Distribution::lognormal_mean_sigma(ms(20), sigma).unwrap_err();
            assert!(err.contains("sigma >= 0"), "{err}");
        }
        let err = Distribution::lognormal_mean_sigma(ms(20), 30.0).unwrap_err();
        assert!(err.contains("too wide"), "{err}");
    }

    #[test]
    fn lognormal_median_p99_rejects_bad_parameters() {
        assert!(Distribution::lognormal_median_p99(SimDuration::ZERO, ms(5))
            .unwrap_err()
            .contains("median > 0"));
        let err = Distribution::lognormal_median_p99(ms(10), ms(5)).unwrap_err();
        assert_eq!(
            err,
            "lognormal needs p99 >= median, got p99 5ms < median 10ms"
        );
        // The widest law these durations allow (sigma ~ 19) still has finite moments.
        let widest =
            Distribution::lognormal_median_p99(SimDuration::from_nanos(1), SimDuration::MAX);
        assert!(matches!(widest, Ok(ref d) if d.second_moment_secs2().is_finite()));
    }

    #[test]
    fn empirical_rejects_bad_tables() {
        let cases: &[(&[(f64, SimDuration)], &str)] = &[
            (&[], "empty table"),
            (&[(f64::NAN, ms(1)), (1.0, ms(2))], "in [0, 1]"),
            (&[(-0.1, ms(1)), (1.0, ms(2))], "in [0, 1]"),
            (&[(0.5, ms(1)), (1.5, ms(2))], "in [0, 1]"),
            (
                &[(0.5, ms(1)), (0.5, ms(2)), (1.0, ms(3))],
                "strictly increasing",
            ),
            (
                &[(0.6, ms(1)), (0.5, ms(2)), (1.0, ms(3))],
                "strictly increasing",
            ),
            (&[(0.5, ms(2)), (1.0, ms(1))], "non-decreasing"),
            (&[(0.5, ms(1)), (0.9, ms(2))], "end at quantile 1.0"),
            (&[(0.0, ms(1))], "end at quantile 1.0"),
        ];
        for (table, expected) in cases {
            let err = Distribution::empirical(table).unwrap_err();
            assert!(err.contains(expected), "{table:?}: {err}");
        }
    }

    #[test]
    fn same_seed_gives_same_draws() {
        for dist in all_laws() {
            assert_eq!(
                draw_secs(&dist, 1000),
                draw_secs(&dist, 1000),
                "{}",
                dist.describe()
            );
            if !matches!(dist, Distribution::Constant(_)) {
                let mut other = stream(2, "test", "x");
                let other_draws: Vec<f64> = (0..1000)
                    .map(|_| dist.sample(&mut other).as_secs_f64())
                    .collect();
                assert_ne!(draw_secs(&dist, 1000), other_draws, "{}", dist.describe());
            }
        }
    }

    #[test]
    fn describe_is_readable() {
        let laws = all_laws();
        assert_eq!(laws[0].describe(), "constant(5ms)");
        assert_eq!(laws[1].describe(), "exponential(mean 20ms)");
        assert_eq!(laws[2].describe(), "uniform(2ms..5ms)");
        assert_eq!(
            laws[5].describe(),
            "empirical(p0 1ms, p50 10ms, p90 30ms, p99 100ms, p100 250ms)"
        );
        assert_eq!(laws[6].describe(), "empirical(p0 0ns, p50 10ms, p100 20ms)");
    }
}
