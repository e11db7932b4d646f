//! Value sizes: each key's value has a size [bytes] drawn once from a law, as a pure function
//! of the key and the scenario seed, so every cache of the same data agrees on it and no
//! per-key state is kept.

use crate::engine::rng::{fnv1a64, splitmix64};
use crate::model::support::dist::Z_99;

/// How big values are [bytes].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SizeLaw {
    Constant(u64),
    /// Uniform over `min..=max`.
    Uniform {
        min: u64,
        max: u64,
    },
    /// Log-normal with this median and 99th percentile (`p99 >= median > 0`), rounded to whole
    /// bytes, at least 1.
    LogNormal {
        median: u64,
        p99: u64,
    },
}

/// A uniform number in [0, 1) from 53 bits of `x`.
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

impl SizeLaw {
    pub fn check(&self) -> Result<(), String> {
        match *self {
            SizeLaw::Constant(_) => Ok(()),
            SizeLaw::Uniform { min, max } if min <= max => Ok(()),
            SizeLaw::Uniform { min, max } => Err(format!(
                "uniform size needs min <= max, got min {min} B and max {max} B"
            )),
            SizeLaw::LogNormal { median, p99 } if median > 0 && p99 >= median => Ok(()),
            SizeLaw::LogNormal { median, p99 } => Err(format!(
                "lognormal size needs 0 < median <= p99, got median {median} B and p99 {p99} B"
            )),
        }
    }

    /// Mean size [bytes] (for the log-normal, of the continuous law before rounding).
    pub fn mean(&self) -> f64 {
        match *self {
            SizeLaw::Constant(b) => b as f64,
            SizeLaw::Uniform { min, max } => (min as f64 + max as f64) / 2.0,
            SizeLaw::LogNormal { median, p99 } => {
                let sigma = (p99 as f64 / median as f64).ln() / Z_99;
                median as f64 * (sigma * sigma / 2.0).exp()
            }
        }
    }
}

/// Sizes of the keys' values under a law, for one scenario seed.
#[derive(Clone, Copy, Debug)]
pub struct ValueSizes {
    law: SizeLaw,
    salt: u64,
}

impl ValueSizes {
    pub fn new(law: SizeLaw, seed: u64) -> Self {
        ValueSizes {
            law,
            salt: splitmix64(seed ^ fnv1a64(b"value-size")),
        }
    }

    /// The size of `key`'s value [bytes]. O(1).
    pub fn of(&self, key: u64) -> u64 {
        let h = splitmix64(key ^ self.salt);
        match self.law {
            SizeLaw::Constant(b) => b,
            SizeLaw::Uniform { min, max } => {
                let span = max - min;
                if span == u64::MAX {
                    h
                } else {
                    min + ((u128::from(h) * u128::from(span + 1)) >> 64) as u64
                }
            }
            SizeLaw::LogNormal { median, p99 } => {
                // Box-Muller with two uniforms from the key's hash.
                let sigma = (p99 as f64 / median as f64).ln() / Z_99;
                let u1 = 1.0 - unit(h); // in (0, 1]
                let u2 = unit(splitmix64(h));
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let x = (median as f64 * (sigma * z).exp()).round();
                if x >= u64::MAX as f64 {
                    u64::MAX
                } else {
                    (x as u64).max(1)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_a_function_of_the_key_and_seed() {
        let a = ValueSizes::new(SizeLaw::Uniform { min: 10, max: 20 }, 1);
        let b = ValueSizes::new(SizeLaw::Uniform { min: 10, max: 20 }, 1);
        let c = ValueSizes::new(SizeLaw::Uniform { min: 10, max: 20 }, 2);
        assert_eq!(a.of(5), b.of(5));
        assert!((0..100).any(|k| a.of(k) != c.of(k)));
        assert!((0..1000).all(|k| (10..=20).contains(&a.of(k))));
        assert_eq!(ValueSizes::new(SizeLaw::Constant(7), 1).of(3), 7);
    }

    #[test]
    fn uniform_and_lognormal_have_the_right_moments() {
        let n = 200_000u64;
        let u = ValueSizes::new(SizeLaw::Uniform { min: 0, max: 999 }, 3);
        let mean = (0..n).map(|k| u.of(k) as f64).sum::<f64>() / n as f64;
        // sd of the mean: 289 / sqrt(n) = 0.65.
        assert!((mean - 499.5).abs() < 3.0, "uniform mean {mean}");
        let law = SizeLaw::LogNormal {
            median: 1000,
            p99: 10_000,
        };
        let l = ValueSizes::new(law, 3);
        let mut sizes: Vec<u64> = (0..n).map(|k| l.of(k)).collect();
        sizes.sort_unstable();
        let median = sizes[(n / 2) as usize];
        let p99 = sizes[(n * 99 / 100) as usize];
        assert!((950..=1050).contains(&median), "median {median}");
        assert!((9_000..=11_000).contains(&p99), "p99 {p99}");
        assert!(law.check().is_ok());
        assert!(SizeLaw::LogNormal { median: 5, p99: 4 }.check().is_err());
    }
}
