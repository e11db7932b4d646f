//! Key popularity: which key each request asks for.
//!
//! Keys are ranks `0..count`, 0 being the most popular, so that "the c most popular keys" is
//! simply `0..c`. The laws ([`KeyPopularity`]), with their dimensionless parameters:
//!
//! - `Uniform { count }`: every key has probability `1 / count`.
//! - `Zipf { count, alpha }`: key `k` has probability `(k + 1)^-alpha / H(count, alpha)`, with
//!   `alpha >= 0` (0 is uniform; 1 and values below 1 are allowed) and `count <= 2^53`.
//!   `H(n, alpha) = sum_{i=1..n} i^-alpha` is the generalised harmonic number, computed once at
//!   construction: by exact (compensated) summation when `n <= 10^7`, otherwise by the
//!   Euler–Maclaurin formula, accurate to 1e-12 relative (see [`EXACT_HARMONIC_LIMIT`]).
//! - `Hotspot { count, hot_fraction, hot_weight }`: a fraction `hot_weight` of the requests goes
//!   uniformly to the first `ceil(hot_fraction * count)` keys, the rest uniformly to the others.
//!   Both fractions are in (0, 1); there must be at least one cold key, and the hot keys must be
//!   at least as popular as the cold ones (`hot_weight >= hot keys / count`), so that rank 0 is
//!   still a most popular key.
//!
//! [`KeySampler`] draws keys in O(1) without allocation, for counts up to 10^9 and beyond: the
//! Zipf law uses `rand_distr::Zipf` (rejection-inversion), nothing is stored per key.
//!
//! Tests (in this file): `zipf_frequencies_match_probabilities`, `probabilities_sum_to_one`,
//! `billion_key_zipf_is_consistent`, `euler_maclaurin_matches_exact_sum`, `zipf_edge_cases`,
//! `hotspot_splits_its_mass`, `uniform_is_flat`, `invalid_laws_are_rejected` and
//! `same_seed_gives_same_keys`.

use rand::distr::Uniform;
use rand::Rng;

use crate::engine::rng::SimRng;

/// Zipf normalisation `H(n, alpha)` is summed term by term up to this `n` and taken from the
/// Euler–Maclaurin formula above it. Summing 10^7 terms costs about 0.15 s, once per sampler.
pub const EXACT_HARMONIC_LIMIT: u64 = 10_000_000;

/// Largest Zipf key count: `rand_distr::Zipf` works on f64 ranks, which are exact up to 2^53.
pub const MAX_ZIPF_COUNT: u64 = 1 << 53;

/// Euler–Maclaurin: the first `EM_EXACT_PREFIX - 1` terms are summed exactly and the formula is
/// applied from `EM_EXACT_PREFIX` on, where its first omitted term (B_8 / 8! * f^(7)) is below
/// 1e-18 for every alpha up to `EM_NEGLIGIBLE_TAIL_ALPHA`.
const EM_EXACT_PREFIX: u64 = 100;

/// Above this alpha the terms from `EM_EXACT_PREFIX` on add up to less than 99^-39 / 39
/// (about 1e-79) of H, so they are dropped; this also keeps the derivative factors
/// alpha (alpha + 1) ... from overflowing for absurdly large alphas.
const EM_NEGLIGIBLE_TAIL_ALPHA: f64 = 40.0;

/// How keys are chosen. Every parameter is dimensionless; see the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyPopularity {
    Uniform {
        count: u64,
    },
    Zipf {
        count: u64,
        alpha: f64,
    },
    Hotspot {
        count: u64,
        hot_fraction: f64,
        hot_weight: f64,
    },
}

impl KeyPopularity {
    pub fn count(&self) -> u64 {
        match *self {
            KeyPopularity::Uniform { count }
            | KeyPopularity::Zipf { count, .. }
            | KeyPopularity::Hotspot { count, .. } => count,
        }
    }
}

/// A validated [`KeyPopularity`] with its samplers prepared.
#[derive(Clone, Debug, PartialEq)]
pub struct KeySampler {
    popularity: KeyPopularity,
    law: PreparedLaw,
}

#[derive(Clone, Debug, PartialEq)]
enum PreparedLaw {
    Uniform {
        count: u64,
        keys: Uniform<u64>,
    },
    Zipf {
        count: u64,
        alpha: f64,
        /// `H(count, alpha)`, the normalisation of the probabilities.
        harmonic_total: f64,
        /// Draws 1-based ranks as floats.
        ranks: rand_distr::Zipf<f64>,
    },
    Hotspot {
        count: u64,
        /// Keys `0..hot_count` are hot.
        hot_count: u64,
        hot_weight: f64,
        hot_keys: Uniform<u64>,
        cold_keys: Uniform<u64>,
    },
}

impl KeySampler {
    pub fn new(popularity: &KeyPopularity) -> Result<Self, String> {
        let count = popularity.count();
        if count == 0 {
            return Err(format!(
                "key popularity needs count >= 1, got 0 in {popularity:?}"
            ));
        }
        let law = match *popularity {
            KeyPopularity::Uniform { count } => PreparedLaw::Uniform {
                count,
                keys: uniform_keys(0, count)?,
            },
            KeyPopularity::Zipf { count, alpha } => {
                if !(alpha.is_finite() && alpha >= 0.0) {
                    return Err(format!("zipf needs a finite alpha >= 0, got {alpha}"));
                }
                if count > MAX_ZIPF_COUNT {
                    return Err(format!(
                        "zipf count must be at most 2^53 = {MAX_ZIPF_COUNT} (ranks are f64), got {count}"
                    ));
                }
                let ranks = rand_distr::Zipf::new(count as f64, alpha)
                    .map_err(|e| format!("zipf(count {count}, alpha {alpha}): {e}"))?;
                PreparedLaw::Zipf {
                    count,
                    alpha,
                    harmonic_total: generalized_harmonic(count, alpha),
                    ranks,
                }
            }
            KeyPopularity::Hotspot {
                count,
                hot_fraction,
                hot_weight,
            } => {
                check_open_fraction("hot_fraction", hot_fraction)?;
                check_open_fraction("hot_weight", hot_weight)?;
                let hot_count = hot_key_count(count, hot_fraction);
                let cold_count = count - hot_count;
                if cold_count == 0 {
                    return Err(format!(
                        "hotspot with count {count} and hot_fraction {hot_fraction} leaves no cold keys \
                         (ceil(hot_fraction * count) = {hot_count}); use a larger count or a smaller hot_fraction"
                    ));
                }
                // Compares the per-key probabilities hot_weight / hot_count and
                // (1 - hot_weight) / cold_count, both multiplied by hot_count * cold_count; the
                // tolerance lets hot_weight == hot share (a uniform law) through float noise.
                let hot_share = hot_count as f64 / count as f64;
                let hot_per_key_scaled = hot_weight * cold_count as f64;
                let cold_per_key_scaled = (1.0 - hot_weight) * hot_count as f64;
                if hot_per_key_scaled < cold_per_key_scaled * (1.0 - 1e-12) {
                    return Err(format!(
                        "hotspot hot_weight {hot_weight} is below the hot keys' share of the key space \
                         ({hot_count}/{count} = {hot_share}), so the hot keys would be colder than the rest; \
                         use hot_weight >= {hot_share}"
                    ));
                }
                PreparedLaw::Hotspot {
                    count,
                    hot_count,
                    hot_weight,
                    hot_keys: uniform_keys(0, hot_count)?,
                    cold_keys: uniform_keys(hot_count, count)?,
                }
            }
        };
        Ok(KeySampler {
            popularity: popularity.clone(),
            law,
        })
    }

    /// Draws one key in `0..count`. O(1), no allocation.
    #[inline]
    pub fn sample(&self, rng: &mut SimRng) -> u64 {
        match &self.law {
            PreparedLaw::Uniform { keys, .. } => rng.sample(keys),
            PreparedLaw::Zipf { count, ranks, .. } => {
                // Ranks are 1-based floats in [1, count]; the clamp guards against a rank of
                // count + 1 from rounding in the inversion, which exact arithmetic never gives.
                let rank: f64 = rng.sample(ranks);
                (rank as u64).saturating_sub(1).min(count - 1)
            }
            PreparedLaw::Hotspot {
                hot_weight,
                hot_keys,
                cold_keys,
                ..
            } => {
                if rng.random::<f64>() < *hot_weight {
                    rng.sample(hot_keys)
                } else {
                    rng.sample(cold_keys)
                }
            }
        }
    }

    /// The exact probability that [`KeySampler::sample`] returns `key` (0 outside `0..count`).
    pub fn probability(&self, key: u64) -> f64 {
        if key >= self.count() {
            return 0.0;
        }
        match self.law {
            PreparedLaw::Uniform { count, .. } => 1.0 / count as f64,
            PreparedLaw::Zipf {
                alpha,
                harmonic_total,
                ..
            } => zipf_term(key + 1, alpha) / harmonic_total,
            PreparedLaw::Hotspot {
                count,
                hot_count,
                hot_weight,
                ..
            } => {
                if key < hot_count {
                    hot_weight / hot_count as f64
                } else {
                    (1.0 - hot_weight) / (count - hot_count) as f64
                }
            }
        }
    }

    pub fn count(&self) -> u64 {
        self.popularity.count()
    }

    pub fn popularity(&self) -> &KeyPopularity {
        &self.popularity
    }

    /// Probability mass of the `c` most popular keys, `0..c` (1 when `c >= count`). For a Zipf
    /// law this is `H(c, alpha) / H(count, alpha)`, which costs O(min(c, 10^7)): call it once, not
    /// per request.
    pub fn top_mass(&self, c: u64) -> f64 {
        let count = self.count();
        if c >= count {
            return 1.0;
        }
        if c == 0 {
            return 0.0;
        }
        match self.law {
            PreparedLaw::Uniform { count, .. } => c as f64 / count as f64,
            PreparedLaw::Zipf {
                alpha,
                harmonic_total,
                ..
            } => generalized_harmonic(c, alpha) / harmonic_total,
            PreparedLaw::Hotspot {
                count,
                hot_count,
                hot_weight,
                ..
            } => {
                if c <= hot_count {
                    hot_weight * c as f64 / hot_count as f64
                } else {
                    hot_weight
                        + (1.0 - hot_weight) * (c - hot_count) as f64 / (count - hot_count) as f64
                }
            }
        }
    }

    /// A one-line description for humans, e.g. `zipf(count 1000000, alpha 0.99)`.
    pub fn describe(&self) -> String {
        match self.law {
            PreparedLaw::Uniform { count, .. } => format!("uniform(count {count})"),
            PreparedLaw::Zipf { count, alpha, .. } => format!("zipf(count {count}, alpha {alpha})"),
            PreparedLaw::Hotspot {
                count,
                hot_count,
                hot_weight,
                ..
            } => format!(
                "hotspot(count {count}: {}% of requests on the first {hot_count} keys)",
                (hot_weight * 100.0 * 1e6).round() / 1e6
            ),
        }
    }
}

fn uniform_keys(low: u64, high: u64) -> Result<Uniform<u64>, String> {
    Uniform::new(low, high).map_err(|e| format!("uniform keys {low}..{high}: {e}"))
}

fn check_open_fraction(name: &str, value: f64) -> Result<(), String> {
    if value > 0.0 && value < 1.0 {
        Ok(())
    } else {
        Err(format!("hotspot {name} must be in (0, 1), got {value}"))
    }
}

/// `ceil(hot_fraction * count)`, clamped to `1..=count`, except that a product within a relative
/// 1e-9 of an integer is taken as that integer: 0.07 * 100 is 7.000000000000001 in f64, and 8 hot
/// keys would surprise whoever wrote 7%.
fn hot_key_count(count: u64, hot_fraction: f64) -> u64 {
    let exact = hot_fraction * count as f64;
    let nearest = exact.round();
    let hot = if (exact - nearest).abs() <= 1e-9 * nearest.max(1.0) {
        nearest
    } else {
        exact.ceil()
    };
    (hot as u64).clamp(1, count)
}

/// `rank^-alpha`, the unnormalised Zipf weight of a 1-based rank.
fn zipf_term(rank: u64, alpha: f64) -> f64 {
    if alpha == 1.0 {
        1.0 / rank as f64
    } else {
        (rank as f64).powf(-alpha)
    }
}

/// `H(n, alpha) = sum_{i=1..n} i^-alpha`: exact summation up to [`EXACT_HARMONIC_LIMIT`],
/// Euler–Maclaurin above.
fn generalized_harmonic(n: u64, alpha: f64) -> f64 {
    if n <= EXACT_HARMONIC_LIMIT {
        harmonic_exact(n, alpha)
    } else {
        harmonic_euler_maclaurin(n, alpha)
    }
}

/// Sums `i^-alpha` for `i = 1..=n` with Neumaier compensation, so that 10^7 terms lose no more
/// than a few ulps.
fn harmonic_exact(n: u64, alpha: f64) -> f64 {
    let mut sum = 0.0f64;
    let mut compensation = 0.0f64;
    for rank in 1..=n {
        let term = zipf_term(rank, alpha);
        let next = sum + term;
        if sum.abs() >= term.abs() {
            compensation += (sum - next) + term;
        } else {
            compensation += (term - next) + sum;
        }
        sum = next;
    }
    sum + compensation
}

/// `H(n, alpha)` for `n >= EM_EXACT_PREFIX`: the first terms summed exactly, the rest
/// `sum_{i=N..n} f(i)` with `f(x) = x^-alpha` and `N = EM_EXACT_PREFIX` from Euler–Maclaurin:
/// `integral_N^n f + (f(N) + f(n)) / 2 + sum_j B_2j / (2j)! (f^(2j-1)(n) - f^(2j-1)(N))`,
/// j = 1..3. The omitted remainder is below 1e-18 of H (see `EM_EXACT_PREFIX`).
fn harmonic_euler_maclaurin(n: u64, alpha: f64) -> f64 {
    if n < EM_EXACT_PREFIX {
        return harmonic_exact(n, alpha);
    }
    if alpha >= EM_NEGLIGIBLE_TAIL_ALPHA {
        return harmonic_exact(EM_EXACT_PREFIX - 1, alpha);
    }
    let head = harmonic_exact(EM_EXACT_PREFIX - 1, alpha);
    let s = alpha;
    let low = EM_EXACT_PREFIX as f64;
    let high = n as f64;

    // integral_N^n x^-s dx = N^(1-s) (e^t - 1) / (1 - s) with t = (1 - s) ln(n / N), written
    // with expm1(t) / t so that it stays accurate near s = 1 and equals ln(n / N) at s = 1.
    let log_ratio = (high / low).ln();
    let t = (1.0 - s) * log_ratio;
    let expm1_over_t = if t == 0.0 { 1.0 } else { t.exp_m1() / t };
    let integral = low.powf(1.0 - s) * log_ratio * expm1_over_t;

    let ends = (low.powf(-s) + high.powf(-s)) / 2.0;

    // f^(2j-1)(x) = -s (s+1) ... (s+2j-2) x^-(s+2j-1), so each correction is
    // B_2j / (2j)! * s (s+1) ... (s+2j-2) * (N^-(s+2j-1) - n^-(s+2j-1)).
    const BERNOULLI_OVER_FACTORIAL: [f64; 3] = [1.0 / 12.0, -1.0 / 720.0, 1.0 / 30240.0];
    let mut rising = s; // s (s+1) ... (s+2j-2)
    let mut corrections = 0.0;
    for (j, coefficient) in BERNOULLI_OVER_FACTORIAL.iter().enumerate() {
        let order = (2 * j + 1) as f64; // 2j - 1 for the 1-based j of the formula
        let difference = low.powf(-(s + order)) - high.powf(-(s + order));
        corrections += coefficient * rising * difference;
        rising *= (s + order) * (s + order + 1.0);
    }
    head + integral + ends + corrections
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rng::stream;

    fn sampler(popularity: KeyPopularity) -> KeySampler {
        match KeySampler::new(&popularity) {
            Ok(s) => s,
            Err(e) => panic!("valid law {popularity:?} rejected: {e}"),
        }
    }

    /// Counts how often each of the keys `0..tracked` comes out in `n` draws.
    fn frequencies(sampler: &KeySampler, n: usize, tracked: usize) -> Vec<f64> {
        let mut rng = stream(1, "test", "x");
        let mut counts = vec![0u64; tracked];
        for _ in 0..n {
            let key = sampler.sample(&mut rng);
            assert!(
                key < sampler.count(),
                "key {key} out of 0..{}",
                sampler.count()
            );
            if let Some(c) = counts.get_mut(key as usize) {
                *c += 1;
            }
        }
        counts.iter().map(|&c| c as f64 / n as f64).collect()
    }

    /// Each tracked frequency is within 5 standard errors, sqrt(p (1 - p) / n), of its
    /// probability: with a fixed seed a false alarm is impossible, and any seed gives one with
    /// probability < 1e-6 per key.
    fn assert_frequencies_match(sampler: &KeySampler, n: usize, tracked: usize) {
        for (key, frequency) in frequencies(sampler, n, tracked).into_iter().enumerate() {
            let p = sampler.probability(key as u64);
            let tolerance = 5.0 * (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (frequency - p).abs() <= tolerance,
                "{}: key {key} frequency {frequency} vs probability {p} (tolerance {tolerance})",
                sampler.describe()
            );
        }
    }

    #[test]
    fn zipf_frequencies_match_probabilities() {
        for (count, alpha) in [(1000, 0.99), (1000, 1.0), (1_000_000, 0.8)] {
            let zipf = sampler(KeyPopularity::Zipf { count, alpha });
            assert_frequencies_match(&zipf, 1_000_000, 10);
        }
    }

    #[test]
    fn probabilities_sum_to_one() {
        let laws = [
            KeyPopularity::Uniform { count: 1000 },
            KeyPopularity::Zipf {
                count: 1000,
                alpha: 0.0,
            },
            KeyPopularity::Zipf {
                count: 1000,
                alpha: 0.5,
            },
            KeyPopularity::Zipf {
                count: 1000,
                alpha: 0.99,
            },
            KeyPopularity::Zipf {
                count: 1000,
                alpha: 1.0,
            },
            KeyPopularity::Zipf {
                count: 1000,
                alpha: 2.5,
            },
            KeyPopularity::Zipf {
                count: 1000,
                alpha: 1e6,
            },
            KeyPopularity::Hotspot {
                count: 1000,
                hot_fraction: 0.1,
                hot_weight: 0.9,
            },
        ];
        for law in laws {
            let s = sampler(law);
            let total: f64 = (0..s.count()).map(|k| s.probability(k)).sum();
            assert!(
                (total - 1.0).abs() < 1e-12,
                "{}: probabilities sum to {total}",
                s.describe()
            );
            assert_eq!(s.top_mass(s.count()), 1.0);
            assert_eq!(s.top_mass(0), 0.0);
            let top_ten: f64 = (0..10).map(|k| s.probability(k)).sum();
            assert!((s.top_mass(10) - top_ten).abs() < 1e-12, "{}", s.describe());
            // Rank 0 is a most popular key, and popularity never increases with the rank.
            assert!((1..s.count()).all(|k| s.probability(k) <= s.probability(k - 1)));
            assert_eq!(s.probability(s.count()), 0.0);
        }
    }

    #[test]
    fn billion_key_zipf_is_consistent() {
        let count = 1_000_000_000;
        let zipf = sampler(KeyPopularity::Zipf { count, alpha: 0.99 });
        assert!((zipf.top_mass(count) - 1.0).abs() < 1e-9);
        // The Euler–Maclaurin H(count - 1) plus the last term is H(count).
        let last = zipf.probability(count - 1);
        assert!((zipf.top_mass(count - 1) + last - 1.0).abs() < 1e-12);
        // Across the switch from exact summation to Euler–Maclaurin, the masses still differ by
        // exactly one key's probability.
        let step = zipf.top_mass(EXACT_HARMONIC_LIMIT + 1) - zipf.top_mass(EXACT_HARMONIC_LIMIT);
        let key_at_limit = zipf.probability(EXACT_HARMONIC_LIMIT);
        assert!(
            (step - key_at_limit).abs() < 1e-12,
            "step {step} vs probability {key_at_limit}"
        );
        assert_frequencies_match(&zipf, 1_000_000, 10);
    }

    #[test]
    fn euler_maclaurin_matches_exact_sum() {
        for alpha in [
            0.0,
            0.3,
            0.8,
            0.99,
            1.0,
            1.0 + 1e-9,
            1.01,
            1.5,
            3.0,
            12.0,
            45.0,
        ] {
            for n in [100, 1000, 123_457, 3_000_000] {
                let exact = harmonic_exact(n, alpha);
                let approximate = harmonic_euler_maclaurin(n, alpha);
                let relative = (approximate - exact).abs() / exact;
                assert!(
                    relative < 1e-12,
                    "H({n}, {alpha}): exact {exact}, Euler–Maclaurin {approximate}"
                );
            }
        }
        let exact = harmonic_exact(20_000_000, 0.99);
        let approximate = harmonic_euler_maclaurin(20_000_000, 0.99);
        assert!((approximate - exact).abs() / exact < 1e-12);
    }

    #[test]
    fn zipf_edge_cases() {
        // alpha 0 is uniform; a single key is always drawn; a huge alpha puts all mass on key 0.
        let flat = sampler(KeyPopularity::Zipf {
            count: 10,
            alpha: 0.0,
        });
        assert!((0..10).all(|k| (flat.probability(k) - 0.1).abs() < 1e-15));
        assert_frequencies_match(&flat, 100_000, 10);
        let single = sampler(KeyPopularity::Zipf {
            count: 1,
            alpha: 1.0,
        });
        let mut rng = stream(1, "test", "x");
        assert!((0..1000).all(|_| single.sample(&mut rng) == 0));
        let steep = sampler(KeyPopularity::Zipf {
            count: 1_000_000_000,
            alpha: 1e6,
        });
        assert_eq!(steep.probability(0), 1.0);
        assert!((0..1000).all(|_| steep.sample(&mut rng) == 0));
    }

    #[test]
    fn hotspot_splits_its_mass() {
        let hotspot = sampler(KeyPopularity::Hotspot {
            count: 1000,
            hot_fraction: 0.1,
            hot_weight: 0.9,
        });
        assert!((hotspot.top_mass(100) - 0.9).abs() < 1e-15);
        assert!((hotspot.probability(0) - 0.009).abs() < 1e-15);
        assert!((hotspot.probability(999) - 0.1 / 900.0).abs() < 1e-15);
        assert!((hotspot.top_mass(550) - (0.9 + 0.05)).abs() < 1e-12);
        let n = 1_000_000;
        let hot_frequency: f64 = frequencies(&hotspot, n, 100).iter().sum();
        let tolerance = 5.0 * (0.9 * 0.1 / n as f64).sqrt();
        assert!(
            (hot_frequency - 0.9).abs() <= tolerance,
            "hot frequency {hot_frequency}"
        );
        assert_frequencies_match(&hotspot, n, 200);
        // 7% of 100 keys is 7 hot keys, not the 8 that ceil(7.000000000000001) would give.
        let seven = sampler(KeyPopularity::Hotspot {
            count: 100,
            hot_fraction: 0.07,
            hot_weight: 0.5,
        });
        assert!((seven.probability(6) - 0.5 / 7.0).abs() < 1e-15);
        assert!((seven.probability(7) - 0.5 / 93.0).abs() < 1e-15);
        // A fraction that is not a whole number of keys rounds up.
        let rounded_up = sampler(KeyPopularity::Hotspot {
            count: 10,
            hot_fraction: 0.15,
            hot_weight: 0.5,
        });
        assert!((rounded_up.top_mass(2) - 0.5).abs() < 1e-15);
        // hot_weight equal to the hot share is the uniform law, and is allowed.
        let even = sampler(KeyPopularity::Hotspot {
            count: 1000,
            hot_fraction: 0.3,
            hot_weight: 0.3,
        });
        assert!((even.probability(0) - even.probability(999)).abs() < 1e-15);
    }

    #[test]
    fn uniform_is_flat() {
        let uniform = sampler(KeyPopularity::Uniform { count: 10 });
        assert_eq!(uniform.probability(3), 0.1);
        assert!((uniform.top_mass(3) - 0.3).abs() < 1e-15);
        assert_frequencies_match(&uniform, 100_000, 10);
        let huge = sampler(KeyPopularity::Uniform { count: u64::MAX });
        let mut rng = stream(1, "test", "x");
        let mean = (0..10_000)
            .map(|_| huge.sample(&mut rng) as f64)
            .sum::<f64>()
            / 10_000.0;
        assert!((mean / u64::MAX as f64 - 0.5).abs() < 0.02);
        assert_eq!(huge.describe(), format!("uniform(count {})", u64::MAX));
    }

    #[test]
    fn invalid_laws_are_rejected() {
        let cases = [
            (KeyPopularity::Uniform { count: 0 }, "count >= 1"),
            (
                KeyPopularity::Zipf {
                    count: 0,
                    alpha: 1.0,
                },
                "count >= 1",
            ),
            (
                KeyPopularity::Hotspot {
                    count: 0,
                    hot_fraction: 0.1,
                    hot_weight: 0.9,
                },
                "count >= 1",
            ),
            (
                KeyPopularity::Zipf {
                    count: 10,
                    alpha: -0.5,
                },
                "alpha >= 0, got -0.5",
            ),
            (
                KeyPopularity::Zipf {
                    count: 10,
                    alpha: f64::NAN,
                },
                "alpha >= 0, got NaN",
            ),
            (
                KeyPopularity::Zipf {
                    count: 10,
                    alpha: f64::INFINITY,
                },
                "alpha >= 0, got inf",
            ),
            (
                KeyPopularity::Zipf {
                    count: MAX_ZIPF_COUNT + 1,
                    alpha: 1.0,
                },
                "at most 2^53",
            ),
            (
                KeyPopularity::Hotspot {
                    count: 10,
                    hot_fraction: 0.0,
                    hot_weight: 0.9,
                },
                "hot_fraction must be in (0, 1), got 0",
            ),
            (
                KeyPopularity::Hotspot {
                    count: 10,
                    hot_fraction: 1.0,
                    hot_weight: 0.9,
                },
                "hot_fraction must be in (0, 1), got 1",
            ),
            (
                KeyPopularity::Hotspot {
                    count: 10,
                    hot_fraction: f64::NAN,
                    hot_weight: 0.9,
                },
                "hot_fraction must be in (0, 1), got NaN",
            ),
            (
                KeyPopularity::Hotspot {
                    count: 10,
                    hot_fraction: 0.1,
                    hot_weight: 1.5,
                },
                "hot_weight must be in (0, 1), got 1.5",
            ),
            (
                KeyPopularity::Hotspot {
                    count: 10,
                    hot_fraction: 0.1,
                    hot_weight: -0.1,
                },
                "hot_weight must be in (0, 1)",
            ),
            (
                KeyPopularity::Hotspot {
                    count: 1,
                    hot_fraction: 0.5,
                    hot_weight: 0.9,
                },
                "leaves no cold keys",
            ),
            (
                KeyPopularity::Hotspot {
                    count: 10,
                    hot_fraction: 0.95,
                    hot_weight: 0.99,
                },
                "leaves no cold keys",
            ),
            (
                KeyPopularity::Hotspot {
                    count: 10,
                    hot_fraction: 0.5,
                    hot_weight: 0.2,
                },
                "colder than the rest",
            ),
        ];
        for (law, expected) in cases {
            match KeySampler::new(&law) {
                Ok(_) => panic!("{law:?} accepted"),
                Err(e) => assert!(e.contains(expected), "{law:?}: {e}"),
            }
        }
    }

    #[test]
    fn same_seed_gives_same_keys() {
        let laws = [
            KeyPopularity::Uniform { count: 1000 },
            KeyPopularity::Zipf {
                count: 1_000_000,
                alpha: 0.99,
            },
            KeyPopularity::Hotspot {
                count: 1000,
                hot_fraction: 0.1,
                hot_weight: 0.9,
            },
        ];
        for law in laws {
            let s = sampler(law);
            let draw = |seed: u64| {
                let mut rng = stream(seed, "test", "x");
                (0..1000).map(|_| s.sample(&mut rng)).collect::<Vec<u64>>()
            };
            assert_eq!(draw(1), draw(1), "{}", s.describe());
            assert_ne!(draw(1), draw(2), "{}", s.describe());
        }
    }
}
