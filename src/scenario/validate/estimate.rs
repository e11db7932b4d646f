//! The `estimate` section: sizes and horizons for `sim estimate`.

use super::checker::*;

/// Longest horizon for the storage figure [years].
const MAX_YEARS: f64 = 1000.0;

pub(super) fn check_estimate(
    c: &mut Checker,
    at: &At<raw::EstimateSpec>,
) -> Option<EstimateSettings> {
    let e = &at.value;
    let errors_before = c.errors.len();
    let defaults = EstimateSettings::default();
    let size = |c: &mut Checker, v: &Option<At<Scalar>>, what: &str, default: u64| match v {
        Some(v) => c.parse(v, what, parse_size),
        None => Some(default),
    };
    let bytes_per_write = size(
        c,
        &e.bytes_per_write,
        "bytes_per_write",
        defaults.bytes_per_write,
    );
    let response_bytes = size(
        c,
        &e.response_bytes,
        "response_bytes",
        defaults.response_bytes,
    );
    let request_bytes = size(c, &e.request_bytes, "request_bytes", defaults.request_bytes);
    let years = match &e.years {
        Some(y) if y.value.is_finite() && y.value > 0.0 && y.value <= MAX_YEARS => y.value,
        Some(y) => {
            c.error_help(
                y.loc,
                format!(
                    "years must be greater than 0 and at most {MAX_YEARS}, got {}",
                    y.value
                ),
                "the storage figure covers this many years of writes, e.g. 5",
            );
            defaults.years
        }
        None => defaults.years,
    };
    let hot_fraction = match &e.hot_fraction {
        Some(f) => c.parse(f, "hot_fraction", parse_fraction),
        None => Some(defaults.hot_fraction),
    };
    let target = match &e.target_utilisation {
        Some(f) => match c.parse(f, "target_utilisation", parse_fraction) {
            Some(x) if x > 0.0 => Some(x),
            Some(_) => {
                c.error_help(
                    f.loc,
                    "target_utilisation must be greater than 0",
                    "pools are sized so that each is busy this fraction of the time, e.g. 70%",
                );
                None
            }
            None => None,
        },
        None => Some(defaults.target_utilisation),
    };
    let day = match &e.day {
        Some(d) => c.positive_duration(d, "day"),
        None => Some(defaults.day),
    };
    if c.errors.len() > errors_before {
        return None;
    }
    Some(EstimateSettings {
        bytes_per_write: bytes_per_write?,
        response_bytes: response_bytes?,
        request_bytes: request_bytes?,
        years,
        hot_fraction: hot_fraction?,
        target_utilisation: target?,
        day: day?,
        written: true,
    })
}
