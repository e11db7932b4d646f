//! Count distributions: how many followers an author has, how many accounts a reader follows.
//!
//! A [`CountLaw`] is a law for a whole number `N >= 0`, sampled by inverse transform from a
//! uniform `u` in `[0, 1)` ([`CountLaw::quantile`]), so that a caller can derive `u` from a hash
//! (a user's follower count is then a fixed function of the user) or from a random stream.
//!
//! The laws and their parameters (all counts are whole numbers):
//!
//! - `constant(n)`: always `n`.
//! - `pareto(min, max, alpha)`: a bounded power law. `X` has density proportional to
//!   `x^-(alpha+1)` on `[min, max + 1)` and `N = floor(X)`, so `N` is in `[min, max]` and
//!   `P(N >= k) = P(X >= k) = ((min/k)^alpha - (min/(max+1))^alpha) / (1 - (min/(max+1))^alpha)`.
//!   `1 <= min <= max`, `alpha > 0`. Small `alpha` (about 1) is the classic "most have a few,
//!   a few have very many".
//! - `lognormal(median, sigma, max)`: `X = exp(ln(median) + sigma Z)` with `Z` standard normal,
//!   `N = min(floor(X), max)`: a log-normal whose tail beyond `max` is capped at `max` (an
//!   atom, like a platform's limit on friends). `median > 0`, `0 <= sigma <= 10`, `max >= 1`.
//! - `empirical(points)`: a percentile table `(quantile, count)`; `X` is interpolated linearly
//!   between consecutive points (inverse transform) and `N = round(X)`, so the table's values
//!   are reached. As for duration tables, quantiles are strictly increasing and end at 1, values
//!   are non-decreasing, and a table without a point at quantile 0 starts at `(0, 0)`.
//!
//! Every count is at most [`MAX_COUNT`].
//!
//! Moments ([`CountLaw::mean`], [`CountLaw::variance`]) are computed from the tail:
//! `E[N] = sum_{k>=1} P(N >= k)` and `E[N^2] = sum_{k>=1} (2k - 1) P(N >= k)`, exactly up to
//! `k = 100,000` and by Simpson's rule on a logarithmic grid beyond (the tail is smooth there;
//! the relative error is far below 1e-6 for the laws above).
//!
//! Tests (in this file): `quantile_reaches_the_support`, `pareto_tail_matches_sampling`,
//! `moments_match_closed_forms` (constant, a pareto with alpha 2 against the continuous
//! formula, a lognormal without cap), `empirical_rounds_to_its_values`, the `*_rejects_*`
//! tests and `normal_quantile_is_accurate`; the fan-out tests in `tests/fan_out.rs` check
//! sampled means and shapes end to end.

use std::fmt::Write as _;
use std::sync::Arc;

/// Largest count a law may produce (a fan-out to more is beyond what one run can simulate).
pub const MAX_COUNT: u64 = 100_000_000;

/// Terms of the tail sums computed exactly; beyond, Simpson's rule on a log grid.
const EXACT_TERMS: u64 = 100_000;

/// A law of whole numbers; build it with the constructors, which validate the parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum CountLaw {
    Constant(u64),
    Pareto {
        min: u64,
        max: u64,
        alpha: f64,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
        max: u64,
    },
    /// `(quantile, value)` points, starting at quantile 0 and ending at 1.
    Empirical(Arc<[(f64, f64)]>),
}

impl CountLaw {
    pub fn constant(n: u64) -> Result<CountLaw, String> {
        check_max(n, "constant")?;
        Ok(CountLaw::Constant(n))
    }

    pub fn pareto(min: u64, max: u64, alpha: f64) -> Result<CountLaw, String> {
        if min == 0 {
            return Err("pareto needs min >= 1 (a power law starts above 0), got 0".into());
        }
        if max < min {
            return Err(format!(
                "pareto needs min <= max, got min {min} > max {max}"
            ));
        }
        check_max(max, "pareto max")?;
        if !(alpha.is_finite() && alpha > 0.0 && alpha <= 100.0) {
            return Err(format!(
                "pareto needs an exponent alpha in (0, 100], got {alpha}"
            ));
        }
        Ok(CountLaw::Pareto { min, max, alpha })
    }

    pub fn lognormal(median: f64, sigma: f64, max: u64) -> Result<CountLaw, String> {
        if !(median.is_finite() && median > 0.0) {
            return Err(format!("lognormal needs a median > 0, got {median}"));
        }
        if !(sigma.is_finite() && (0.0..=10.0).contains(&sigma)) {
            return Err(format!(
                "lognormal needs sigma (the standard deviation of ln N) in [0, 10], got {sigma}"
            ));
        }
        if max == 0 {
            return Err("lognormal needs max >= 1, got 0".into());
        }
        check_max(max, "lognormal max")?;
        Ok(CountLaw::LogNormal {
            mu: median.ln(),
            sigma,
            max,
        })
    }

    pub fn empirical(points: &[(f64, f64)]) -> Result<CountLaw, String> {
        let Some(&(last_quantile, _)) = points.last() else {
            return Err("empirical needs at least one (quantile, count) point".into());
        };
        for (i, &(q, v)) in points.iter().enumerate() {
            if !(0.0..=1.0).contains(&q) {
                return Err(format!(
                    "empirical quantiles must be in [0, 1], got {q} at point {i}"
                ));
            }
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!(
                    "empirical counts must be >= 0, got {v} at point {i}"
                ));
            }
            check_max(v.round() as u64, "empirical count")?;
            if i > 0 {
                let (pq, pv) = points[i - 1];
                if q <= pq {
                    return Err(format!(
                        "empirical quantiles must be strictly increasing, got {q} after {pq} at point {i}"
                    ));
                }
                if v < pv {
                    return Err(format!(
                        "empirical counts must be non-decreasing, got {v} after {pv} at point {i}"
                    ));
                }
            }
        }
        if last_quantile != 1.0 {
            return Err(format!(
                "empirical table must end at quantile 1.0 (max), last quantile is {last_quantile}"
            ));
        }
        let mut table = Vec::with_capacity(points.len() + 1);
        if points[0].0 > 0.0 {
            table.push((0.0, 0.0));
        }
        table.extend_from_slice(points);
        Ok(CountLaw::Empirical(table.into()))
    }

    /// The count at uniform `u` in `[0, 1)` (inverse transform). No allocation.
    #[inline]
    pub fn quantile(&self, u: f64) -> u64 {
        let u = u.clamp(0.0, 1.0 - f64::EPSILON);
        match *self {
            CountLaw::Constant(n) => n,
            CountLaw::Pareto { min, max, alpha } => {
                let low = min as f64;
                let ratio = (low / (max as f64 + 1.0)).powf(alpha);
                let x = low * (1.0 - u * (1.0 - ratio)).powf(-1.0 / alpha);
                (x.floor() as u64).clamp(min, max)
            }
            CountLaw::LogNormal { mu, sigma, max } => {
                let x = (mu + sigma * normal_quantile(u)).exp();
                if x.is_finite() {
                    (x.floor() as u64).min(max)
                } else {
                    max
                }
            }
            CountLaw::Empirical(ref points) => {
                let segment = points
                    .partition_point(|p| p.0 <= u)
                    .saturating_sub(1)
                    .min(points.len().saturating_sub(2));
                let (Some(low), Some(high)) = (points.get(segment), points.get(segment + 1)) else {
                    return points.first().map_or(0, |p| p.1.round() as u64);
                };
                let f = ((u - low.0) / (high.0 - low.0)).clamp(0.0, 1.0);
                (low.1 + f * (high.1 - low.1)).round() as u64
            }
        }
    }

    /// The largest count the law can produce.
    pub fn max(&self) -> u64 {
        match *self {
            CountLaw::Constant(n) => n,
            CountLaw::Pareto { max, .. } | CountLaw::LogNormal { max, .. } => max,
            CountLaw::Empirical(ref points) => points.last().map_or(0, |p| p.1.round() as u64),
        }
    }

    /// `P(N >= k)`.
    pub fn tail(&self, k: u64) -> f64 {
        if k == 0 {
            return 1.0;
        }
        if k > self.max() {
            return 0.0;
        }
        self.tail_at(k as f64)
    }

    /// `P(N >= x)` for real `x` in `(0, max]` (the law's tail as a smooth function, for the
    /// quadrature): whole `x` give [`CountLaw::tail`].
    fn tail_at(&self, x: f64) -> f64 {
        match *self {
            CountLaw::Constant(n) => {
                if x <= n as f64 {
                    1.0
                } else {
                    0.0
                }
            }
            CountLaw::Pareto { min, max, alpha } => {
                let low = min as f64;
                if x <= low {
                    return 1.0;
                }
                let r = (low / (max as f64 + 1.0)).powf(alpha);
                (((low / x).powf(alpha) - r) / (1.0 - r)).clamp(0.0, 1.0)
            }
            CountLaw::LogNormal { mu, sigma, .. } => {
                // N >= k iff X >= k (for k <= max).
                if sigma == 0.0 {
                    return if mu.exp().floor() >= x { 1.0 } else { 0.0 };
                }
                0.5 * erfc((x.ln() - mu) / (sigma * std::f64::consts::SQRT_2))
            }
            CountLaw::Empirical(ref points) => {
                // round(X) >= k iff X >= k - 0.5: one minus the piecewise-linear CDF there.
                let t = x - 0.5;
                let mut cdf = 1.0;
                for pair in points.windows(2) {
                    let ((q0, v0), (q1, v1)) = (pair[0], pair[1]);
                    if t < v0 {
                        cdf = q0;
                        break;
                    }
                    if t < v1 {
                        cdf = q0 + (q1 - q0) * (t - v0) / (v1 - v0);
                        break;
                    }
                }
                1.0 - cdf
            }
        }
    }

    /// `sum_{k=1}^{max} w(k) P(N >= k)`: exact for the first terms, Simpson's rule on a
    /// logarithmic grid for the rest (midpoint form: the sum over `[a, b]` is the integral over
    /// `[a - 1/2, b + 1/2]`).
    fn tail_sum(&self, w: impl Fn(f64) -> f64) -> f64 {
        let max = self.max();
        let exact_to = max.min(EXACT_TERMS);
        let mut sum: f64 = (1..=exact_to).map(|k| w(k as f64) * self.tail(k)).sum();
        if max > exact_to {
            let (a, b) = ((exact_to as f64 + 0.5).ln(), (max as f64 + 0.5).ln());
            let steps = 4000;
            let h = (b - a) / steps as f64;
            let f = |s: f64| {
                let x = s.exp();
                w(x) * self.tail_at(x.min(max as f64)) * x
            };
            let mut integral = f(a) + f(b);
            for i in 1..steps {
                let s = a + i as f64 * h;
                integral += if i % 2 == 1 { 4.0 } else { 2.0 } * f(s);
            }
            sum += integral * h / 3.0;
        }
        sum
    }

    /// `E[N]`.
    pub fn mean(&self) -> f64 {
        match *self {
            CountLaw::Constant(n) => n as f64,
            _ => self.tail_sum(|_| 1.0),
        }
    }

    /// `Var[N]`.
    pub fn variance(&self) -> f64 {
        match *self {
            CountLaw::Constant(_) => 0.0,
            _ => {
                let mean = self.mean();
                (self.tail_sum(|k| 2.0 * k - 1.0) - mean * mean).max(0.0)
            }
        }
    }

    /// A one-line description, e.g. `pareto(min 20, max 5000, alpha 1.1)`.
    pub fn describe(&self) -> String {
        match self {
            CountLaw::Constant(n) => format!("constant({n})"),
            CountLaw::Pareto { min, max, alpha } => {
                format!("pareto(min {min}, max {max}, alpha {alpha})")
            }
            CountLaw::LogNormal { mu, sigma, max } => {
                format!(
                    "lognormal(median {}, sigma {sigma}, max {max})",
                    round(mu.exp())
                )
            }
            CountLaw::Empirical(points) => {
                let mut text = String::from("empirical(");
                for (i, (q, v)) in points.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    let _ = write!(text, "{sep}p{} {}", round(q * 100.0), round(*v));
                }
                text.push(')');
                text
            }
        }
    }
}

fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn check_max(n: u64, what: &str) -> Result<(), String> {
    if n > MAX_COUNT {
        Err(format!(
            "{what} is {n}, above the limit of {MAX_COUNT} (each sub-request is simulated)"
        ))
    } else {
        Ok(())
    }
}

/// `Phi^-1(p)`, the standard normal quantile (Acklam's rational approximation, relative error
/// below 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.024_25;
    if p < LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    }
}

/// The complementary error function (Numerical Recipes' Chebyshev fit, fractional error below
/// 1.2e-7 everywhere).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_reaches_the_support() {
        let p = CountLaw::pareto(20, 5000, 1.1).unwrap();
        assert_eq!(p.quantile(0.0), 20);
        assert_eq!(p.quantile(0.999_999_999), 5000);
        let l = CountLaw::lognormal(200.0, 1.0, 5000).unwrap();
        assert_eq!(l.quantile(0.999_999_999), 5000, "capped");
        assert!((l.quantile(0.5) as i64 - 200).abs() <= 1);
        assert_eq!(CountLaw::constant(7).unwrap().quantile(0.3), 7);
    }

    #[test]
    fn pareto_tail_matches_sampling() {
        // P(N >= k) from the formula against the fraction of a fine grid of u mapped to >= k.
        let p = CountLaw::pareto(10, 1000, 1.0).unwrap();
        let n = 200_000;
        for k in [10u64, 11, 50, 200, 999, 1000] {
            let hits = (0..n)
                .filter(|i| p.quantile((*i as f64 + 0.5) / n as f64) >= k)
                .count() as f64
                / n as f64;
            assert!(
                (hits - p.tail(k)).abs() < 2e-5,
                "k {k}: {hits} vs {}",
                p.tail(k)
            );
        }
    }

    #[test]
    fn moments_match_closed_forms() {
        assert_eq!(CountLaw::constant(5).unwrap().mean(), 5.0);
        // Pareto alpha 2 on [min, H) with H = max+1: E[X] = 2 min (1 - min/H) / (1 - (min/H)^2),
        // and E[floor X] = E[X] - E[frac X]; with min large the fractional part is close to
        // uniform, so E[N] ~ E[X] - 0.5.
        let (min, max) = (1000.0, 1_000_000.0);
        let p = CountLaw::pareto(1000, 1_000_000, 2.0).unwrap();
        let h = max + 1.0;
        let ex = 2.0 * min * (1.0 - min / h) / (1.0 - (min / h) * (min / h));
        assert!(
            (p.mean() - (ex - 0.5)).abs() < 0.01,
            "{} vs {}",
            p.mean(),
            ex - 0.5
        );
        // Lognormal with a cap far in the tail: E[floor X] ~ exp(mu + sigma^2/2) - 0.5.
        let l = CountLaw::lognormal(1000.0, 0.5, 100_000_000).unwrap();
        let ex = (1000f64.ln() + 0.125).exp();
        assert!(
            (l.mean() - (ex - 0.5)).abs() < 0.01,
            "{} vs {}",
            l.mean(),
            ex - 0.5
        );
        // Var of a lognormal: (e^{s^2} - 1) e^{2 mu + s^2}, plus 1/12 from the floor.
        let var = (0.25f64.exp() - 1.0) * (2.0 * 1000f64.ln() + 0.25).exp();
        assert!((l.variance() / (var + 1.0 / 12.0) - 1.0).abs() < 1e-3);
    }

    #[test]
    fn empirical_rounds_to_its_values() {
        let e = CountLaw::empirical(&[(0.5, 100.0), (1.0, 100.0)]).unwrap();
        assert_eq!(e.quantile(0.75), 100);
        assert_eq!(e.quantile(0.0), 0);
        assert_eq!(e.max(), 100);
        // Uniform on [0, 100] for u < 0.5 then an atom at 100: E ~ 0.5 * 50 + 0.5 * 100.
        assert!((e.mean() - 75.0).abs() < 0.01, "{}", e.mean());
    }

    #[test]
    fn pareto_rejects_bad_parameters() {
        assert!(CountLaw::pareto(0, 10, 1.0).is_err());
        assert!(CountLaw::pareto(10, 5, 1.0).is_err());
        assert!(CountLaw::pareto(1, 5, 0.0).is_err());
        assert!(CountLaw::pareto(1, MAX_COUNT + 1, 1.0).is_err());
    }

    #[test]
    fn lognormal_and_empirical_reject_bad_parameters() {
        assert!(CountLaw::lognormal(0.0, 1.0, 10).is_err());
        assert!(CountLaw::lognormal(10.0, -1.0, 10).is_err());
        assert!(CountLaw::lognormal(10.0, 1.0, 0).is_err());
        assert!(CountLaw::empirical(&[]).is_err());
        assert!(CountLaw::empirical(&[(0.5, 10.0), (0.9, 5.0), (1.0, 20.0)]).is_err());
        assert!(CountLaw::empirical(&[(0.5, 10.0), (0.9, 20.0)]).is_err());
    }

    #[test]
    fn normal_quantile_is_accurate() {
        assert!(normal_quantile(0.5).abs() < 1e-9);
        assert!((normal_quantile(0.99) - 2.326_347_874_040_841).abs() < 1e-8);
        assert!((normal_quantile(0.001) + 3.090_232_306_167_813_5).abs() < 1e-8);
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((0.5 * erfc(-2.326_347_874 / std::f64::consts::SQRT_2) - 0.99).abs() < 1e-7);
    }
}
