//! Long-run admitted fractions of rate limiters under Poisson arrivals, for the validation tests.
//!
//! **Token bucket** (capacity `b` tokens, refilled at `r` tokens/s, Poisson arrivals at
//! `lambda`/s, one token per request). Let `D = b - tokens` be the deficit: it jumps by 1 at
//! each admitted arrival, drains at speed `r` while positive, and an arrival is admitted iff
//! `D <= b - 1`. This is the workload of an M/D/1 queue (service 1/r) that admits a customer only
//! when the workload is at most `(b - 1)/r`. By level crossing, the stationary density `f` of `D`
//! on `(0, b]` and its atom `p0` at 0 satisfy, for every level `x` (rate of down-crossings =
//! rate of up-crossings):
//!
//! `r f(x) = lambda [ p0 1{x < 1} + F(min(x, b - 1)) - F(max(0, x - 1)) ]`, `F(y) = int_0^y f`,
//!
//! since an admitted arrival from level `y <= b - 1` crosses `x` iff `y < x < y + 1`. Tokens
//! are wasted only while the bucket is full (`D = 0`), so the admitted rate is `r (1 - p0)` and
//! the admitted fraction `r (1 - p0) / lambda`. [`token_bucket_admitted_fraction`] integrates
//! the delay equation with Heun's method on a grid of `1/M` token (the delay of one token is a
//! whole number of steps) and normalises `p0 + F(b) = 1`. Check: for `b = 1` it is the M/D/1/1
//! loss system, admitted fraction `1 / (1 + lambda / r)`.
//!
//! **Fixed window counter** (limit `L` per window `W`): the arrivals in a window are
//! Poisson(`lambda W`), independent between windows, and `min(N, L)` of them pass:
//! the admitted fraction is `E[min(N, L)] / (lambda W)`.

/// Admitted fraction of a token bucket of `bucket` tokens refilled at `rate` tokens/s, under
/// Poisson arrivals at `lambda`/s (see the module documentation). Numerical error below 1e-6
/// for the parameters of the tests (checked against the `b = 1` closed form).
pub fn token_bucket_admitted_fraction(lambda: f64, rate: f64, bucket: u32) -> f64 {
    token_bucket_admitted_fraction_on_grid(lambda, rate, bucket, 4000)
}

/// [`token_bucket_admitted_fraction`] with `steps_per_token` integration steps per token
/// (Heun's method: the error falls as the square of the step; 100 steps give about 1e-4).
pub fn token_bucket_admitted_fraction_on_grid(
    lambda: f64,
    rate: f64,
    bucket: u32,
    steps_per_token: usize,
) -> f64 {
    let steps = steps_per_token.max(1);
    let b = bucket.max(1) as usize;
    let n = b * steps;
    let h = 1.0 / steps as f64;
    let a = lambda / rate;
    let threshold = (b - 1) * steps;
    // F[i] = integral of the density from 0 to i h, with p0 = 1 before normalisation.
    let mut big_f = vec![0.0f64; n + 1];
    let density = |i: usize, f_at_i: f64, big_f: &[f64]| -> f64 {
        let atom = if i < steps { 1.0 } else { 0.0 };
        let upper = if i <= threshold {
            f_at_i
        } else {
            big_f[threshold]
        };
        let lower = if i >= steps { big_f[i - steps] } else { 0.0 };
        a * (atom + upper - lower)
    };
    for i in 0..n {
        let f0 = density(i, big_f[i], &big_f);
        let predicted = big_f[i] + h * f0;
        // At the end of the step, the atom's term stops at x = 1 (the step ending on 1 still
        // sees it on its left end only).
        let f1 = if i + 1 == steps {
            density(i + 1, predicted, &big_f) + a
        } else {
            density(i + 1, predicted, &big_f)
        };
        big_f[i + 1] = big_f[i] + h * 0.5 * (f0 + f1);
    }
    let p0 = 1.0 / (1.0 + big_f[n]);
    rate * (1.0 - p0) / lambda
}

/// `E[min(N, limit)]` and `Var[min(N, limit)]` for `N` Poisson with mean `mean`.
pub fn poisson_capped_moments(mean: f64, limit: u32) -> (f64, f64) {
    let mut p = (-mean).exp();
    let (mut below, mut m1, mut m2) = (0.0, 0.0, 0.0);
    for k in 0..limit {
        let k = f64::from(k);
        m1 += k * p;
        m2 += k * k * p;
        below += p;
        p *= mean / (k + 1.0);
    }
    let l = f64::from(limit);
    let tail = (1.0 - below).max(0.0);
    m1 += l * tail;
    m2 += l * l * tail;
    (m1, m2 - m1 * m1)
}

/// Admitted fraction of a fixed window counter: `E[min(N, limit)] / (lambda window)`.
pub fn fixed_window_admitted_fraction(lambda: f64, window_s: f64, limit: u32) -> f64 {
    let mean = lambda * window_s;
    poisson_capped_moments(mean, limit).0 / mean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_token_bucket_is_an_m_d_1_1_loss_system() {
        for (lambda, rate) in [(1.0, 1.0), (5.0, 2.0), (0.5, 3.0)] {
            let exact = 1.0 / (1.0 + lambda / rate);
            let got = token_bucket_admitted_fraction(lambda, rate, 1);
            assert!(
                (got - exact).abs() < 1e-6,
                "{lambda} {rate}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn token_bucket_fraction_behaves_at_the_extremes() {
        // Light load: almost everything passes; heavy load: the refill rate is the limit.
        assert!(token_bucket_admitted_fraction(0.1, 10.0, 5) > 0.999_999);
        let heavy = token_bucket_admitted_fraction(100.0, 10.0, 5);
        assert!((heavy - 0.1).abs() < 1e-4, "{heavy}");
        // A bigger bucket admits more of the same traffic.
        let small = token_bucket_admitted_fraction(10.0, 10.0, 2);
        let large = token_bucket_admitted_fraction(10.0, 10.0, 20);
        assert!(small < large && large < 1.0, "{small} {large}");
    }

    #[test]
    fn capped_poisson_moments() {
        // limit 1: min(N, 1) is Bernoulli(1 - e^-m).
        let (m, v) = poisson_capped_moments(2.0, 1);
        let p = 1.0 - (-2.0f64).exp();
        assert!((m - p).abs() < 1e-12 && (v - p * (1.0 - p)).abs() < 1e-12);
        // A limit far above the mean leaves the Poisson moments.
        let (m, v) = poisson_capped_moments(3.0, 100);
        assert!((m - 3.0).abs() < 1e-9 && (v - 3.0).abs() < 1e-9);
    }
}
