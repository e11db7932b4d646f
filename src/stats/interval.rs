//! The mean of independent estimates and its Student-t confidence interval (replications of a
//! study: `study::replications`; assertions judged on a confidence bound).
//!
//! Sums run in the order given, so a result does not depend on how the estimates were
//! computed (in parallel or not).

/// The arithmetic mean (0 for no values), summed in order.
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().fold(0.0, |sum, x| sum + x) / values.len() as f64
}

/// The sample standard deviation (n - 1 in the denominator; 0 for fewer than 2 values).
pub fn std_dev(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values);
    let ss: f64 = values.iter().map(|x| (x - m) * (x - m)).sum();
    (ss / (values.len() - 1) as f64).sqrt()
}

/// A two-sided confidence interval for a mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub mean: f64,
    pub low: f64,
    pub high: f64,
    pub half_width: f64,
    pub level: f64,
    pub n: usize,
}

impl Interval {
    /// The Student-t interval at `level` (0.95) for the mean of `values`. With fewer than two
    /// values the interval is the single value (no spread can be estimated).
    pub fn of(values: &[f64], level: f64) -> Self {
        let n = values.len();
        let m = mean(values);
        let half_width = if n < 2 {
            0.0
        } else {
            let t = student_t_quantile(0.5 + level / 2.0, (n - 1) as f64);
            t * std_dev(values) / (n as f64).sqrt()
        };
        Interval {
            mean: m,
            low: m - half_width,
            high: m + half_width,
            half_width,
            level,
            n,
        }
    }

    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom (statrs).
pub fn student_t_quantile(p: f64, df: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) => t.inverse_cdf(p),
        // Only for df <= 0 or NaN, which no caller passes (n >= 2 replications).
        Err(_) => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_published_tables() {
        // Two-sided 95% critical values (any statistics table).
        for (df, expected) in [
            (1.0, 12.706_204_736),
            (2.0, 4.302_652_730),
            (4.0, 2.776_445_105),
            (9.0, 2.262_157_163),
            (29.0, 2.045_229_642),
            (1000.0, 1.962_339_081),
        ] {
            let t = student_t_quantile(0.975, df);
            assert!((t - expected).abs() < 1e-6, "df {df}: {t} vs {expected}");
        }
        assert!((student_t_quantile(0.995, 9.0) - 3.249_835_542).abs() < 1e-6);
        assert!((student_t_quantile(0.025, 4.0) + 2.776_445_105).abs() < 1e-6);
    }

    #[test]
    fn interval_of_known_values() {
        let ci = Interval::of(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.95);
        // mean 3, s = sqrt(2.5), t(0.975, 4) = 2.776445
        let half = 2.776_445_105 * 2.5_f64.sqrt() / 5.0_f64.sqrt();
        assert!((ci.mean - 3.0).abs() < 1e-12);
        assert!((ci.half_width - half).abs() < 1e-6);
        assert_eq!(Interval::of(&[7.0], 0.95).half_width, 0.0);
    }
}
