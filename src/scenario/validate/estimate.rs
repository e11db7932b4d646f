//! The `estimate` section: sizes and horizons for `sim estimate`.

use super::*;

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

/// The `estimate` section, checked; defaults where it is silent.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct EstimateSettings {
    /// Bytes stored per write (default 1KB = 1000 bytes).
    pub bytes_per_write: u64,
    /// Bytes sent back per read (default 1KB).
    pub response_bytes: u64,
    /// Bytes a client sends per request besides what a write stores (default 0).
    pub request_bytes: u64,
    /// Years of writes the storage figure covers (default 5).
    pub years: f64,
    /// Share of a day's reads the cache should hold (default 0.2).
    pub hot_fraction: f64,
    /// Utilisation pools are sized for (default 0.7).
    pub target_utilisation: f64,
    /// Length of the "day" of the daily figures (default 24h).
    #[serde(serialize_with = "seconds")]
    pub day: SimDuration,
    /// Whether the scenario has an `estimate` section (false: every value is a default).
    pub written: bool,
}

fn seconds<S: serde::Serializer>(d: &SimDuration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Default for EstimateSettings {
    fn default() -> Self {
        EstimateSettings {
            bytes_per_write: 1000,
            response_bytes: 1000,
            request_bytes: 0,
            years: 5.0,
            hot_fraction: 0.2,
            target_utilisation: 0.7,
            day: SimDuration::from_secs(86_400),
            written: false,
        }
    }
}
