//! The scenario's laws and lists in words: distributions, rates, counts, shares.

use indexmap::IndexMap;

use super::written::Written;
use crate::scenario::raw::{self, At, OrMap, Scalar};

/// A distribution of durations in words.
pub fn distribution(d: &OrMap<raw::DistributionSpec>) -> String {
    let law = match d {
        OrMap::Scalar(s) => return format!("{} (constant)", s.written()),
        OrMap::Map(law) => law,
    };
    match law {
        raw::DistributionSpec::Constant(p) => format!("{} (constant)", p.written()),
        raw::DistributionSpec::Exponential(p) => format!("exponential, mean {}", p.written()),
        raw::DistributionSpec::Uniform(p) => {
            let raw::UniformSpec { min, max } = p;
            format!("uniform between {} and {}", min.written(), max.written())
        }
        raw::DistributionSpec::Lognormal(p) => {
            let raw::LognormalSpec {
                mean,
                sigma,
                median,
                p99,
            } = p;
            match (median, p99, mean, sigma) {
                (Some(m), Some(p99), _, _) => {
                    format!("log-normal, median {}, p99 {}", m.written(), p99.written())
                }
                (_, _, Some(mean), Some(s)) => {
                    format!("log-normal, mean {}, sigma {}", mean.written(), s.written())
                }
                _ => format!("log-normal {}", p.written()),
            }
        }
        raw::DistributionSpec::Empirical(p) => format!("measured percentiles {}", p.written()),
    }
}

/// A rate or rate profile in words.
pub fn rate(r: &OrMap<raw::RateProfileSpec>) -> String {
    let profile = match r {
        OrMap::Scalar(s) => return format!("at {}", s.written()),
        OrMap::Map(profile) => profile,
    };
    let points = |points: &[raw::RatePoint]| {
        points
            .iter()
            .map(|p| {
                let raw::RatePoint { at, rate } = p;
                format!("{} at {}", rate.written(), at.written())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match profile {
        raw::RateProfileSpec::Steps(p) => format!("in steps: {}", points(p)),
        raw::RateProfileSpec::Points(p) => format!("changing linearly through {}", points(p)),
        raw::RateProfileSpec::Ramp(p) => {
            let raw::RampSpec {
                from,
                to,
                start,
                end,
            } = p;
            format!(
                "ramping from {} to {} between {} and {}",
                from.written(),
                to.written(),
                start.as_ref().map_or_else(|| "0s".into(), Written::written),
                end.written()
            )
        }
        raw::RateProfileSpec::Daily(p) => {
            let raw::DailySpec {
                mean,
                amplitude,
                peak,
                period,
            } = p;
            format!(
                "on a daily cycle around {} (swing ±{}%, peak at {}, a \"day\" of {})",
                mean.written(),
                amplitude
                    .as_ref()
                    .map_or_else(|| "50".into(), |a| format!("{}", a.value * 100.0)),
                peak.as_ref().map_or_else(|| "20h".into(), Written::written),
                period
                    .as_ref()
                    .map_or_else(|| "24h".into(), Written::written)
            )
        }
    }
}

/// A count law (followers, following) in words.
pub fn count(c: &OrMap<raw::CountSpec>) -> String {
    let law = match c {
        OrMap::Scalar(s) => return s.written(),
        OrMap::Map(law) => law,
    };
    match law {
        raw::CountSpec::Constant(n) => n.written(),
        raw::CountSpec::Pareto(p) => {
            // The tail exponent is a detail of the law's shape, not told.
            let raw::ParetoCountSpec { min, max, alpha: _ } = p;
            format!(
                "between {} and {} (a power law, most near {})",
                min.written(),
                max.written(),
                min.written()
            )
        }
        raw::CountSpec::Lognormal(p) => {
            // Sigma is a detail of the law's shape, not told.
            let raw::LognormalCountSpec {
                median,
                sigma: _,
                max,
            } = p;
            format!(
                "typically {} (log-normal, capped at {})",
                median.written(),
                max.written()
            )
        }
        raw::CountSpec::Empirical(p) => format!("measured percentiles {}", p.written()),
    }
}

/// Seconds of a duration written in the file, for ordering the story (0 when absent).
pub fn seconds(v: Option<&At<Scalar>>) -> f64 {
    v.and_then(|t| crate::scenario::units::parse_duration(&t.value.0).ok())
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A fraction as written, or as a percentage when written as a number (0.2 -> 20%).
pub fn percent(v: &Scalar) -> String {
    match v.0.parse::<f64>() {
        Ok(x) => format!("{}%", (x * 100.0 * 1e6).round() / 1e6),
        Err(_) => v.written(),
    }
}

/// `users'` or `web's`.
pub fn possessive(name: &str) -> String {
    if name.ends_with('s') {
        format!("{name}'")
    } else {
        format!("{name}'s")
    }
}

/// Weights as percentages: `read 90%, write 10%`.
pub fn shares(m: &IndexMap<At<String>, At<f64>>) -> String {
    let total: f64 = m.values().map(|w| w.value).sum();
    m.iter()
        .map(|(k, w)| {
            if total > 0.0 {
                let pct = w.value / total * 100.0;
                let pct = if (pct - pct.round()).abs() < 0.05 {
                    format!("{}", pct.round())
                } else {
                    format!("{pct:.1}")
                };
                format!("{} {pct}%", k.value)
            } else {
                format!("{} {}", k.value, w.written())
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Items as written, joined by `sep`: `web and db`, `lb-us, lb-eu`.
pub fn joined<T: Written>(items: &[T], sep: &str) -> String {
    items
        .iter()
        .map(Written::written)
        .collect::<Vec<_>>()
        .join(sep)
}
