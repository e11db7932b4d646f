//! Human units in scenarios: durations ("250ms", "1.5s", "2m"), rates ("1200/s", "5/min"),
//! multipliers ("3x"), fractions ("0.3", "30%") and sizes ("512B", "64KB", "1GiB").
//!
//! Written here rather than taken from `humantime` because scenarios need fractional values
//! ("0.5ms", "1.5s") and rates, and because every message must say what was expected.

use crate::engine::SimDuration;

/// Duration units and their length in seconds; a unit must match one of these names exactly.
const DURATION_UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("us", 1e-6),
    ("µs", 1e-6),
    ("ms", 1e-3),
    ("min", 60.0),
    ("s", 1.0),
    ("m", 60.0),
    ("h", 3600.0),
    ("d", 86400.0),
];

/// Longest duration a scenario may name: 100 years, far below the u64 nanosecond limit.
const MAX_DURATION_SECS: f64 = 100.0 * 365.0 * 86400.0;

/// Splits "1.5ms" into (1.5, "ms").
fn split_number(text: &str) -> Option<(f64, &str)> {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|&(_, c)| {
            !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')
        })
        .map_or(text.len(), |(i, _)| i);
    // "1e3s" is fine, but a trailing 'e' would swallow nothing useful; let the parse decide.
    let (number, unit) = text.split_at(end);
    let value: f64 = number.parse().ok()?;
    Some((value, unit.trim()))
}

/// Reads a non-negative number followed by one of `units` (which a bare 0 may omit) and returns
/// the number and the unit's scale; `noun` ("duration", "size") and `hint` make the messages.
fn split_quantity(
    text: &str,
    noun: &str,
    units: &[(&str, f64)],
    hint: &str,
) -> Result<(f64, f64), String> {
    let Some((value, unit)) = split_number(text) else {
        return Err(format!("'{text}' is not a {noun}: {hint}"));
    };
    if !value.is_finite() {
        return Err(format!("'{text}' is not a finite {noun}"));
    }
    if value < 0.0 {
        return Err(format!("'{text}' is negative: {noun}s must be >= 0"));
    }
    let scale = if unit.is_empty() {
        if value == 0.0 {
            1.0
        } else {
            return Err(format!("'{text}' has no unit: {hint}"));
        }
    } else {
        match units.iter().find(|(name, _)| *name == unit) {
            Some(&(_, scale)) => scale,
            None => return Err(format!("unknown {noun} unit '{unit}' in '{text}': {hint}")),
        }
    };
    Ok((value, scale))
}

/// Parses a duration such as "250ms", "1.5s", "2m", "1h", "0".
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let hint =
        "expected a duration such as 250ms, 1.5s, 2m or 1h (units: ns, us, ms, s, m, min, h, d)";
    let (value, scale) = split_quantity(text, "duration", DURATION_UNITS, hint)?;
    let secs = value * scale;
    if secs > MAX_DURATION_SECS {
        return Err(format!("'{text}' is too long: at most 100 years (36500d)"));
    }
    if secs > 0.0 && secs < 1e-9 {
        return Err(format!(
            "'{text}' is shorter than the 1 ns resolution of simulated time"
        ));
    }
    Ok(SimDuration::from_secs_f64(secs))
}

/// Largest rate a scenario may name [1/s]: beyond this a run could not finish in any useful time
/// (each request costs at least a few events).
pub const MAX_RATE_PER_SEC: f64 = 1e9;

/// Parses a rate such as "1200/s", "5/min", "3/h", "0.9/s" into requests per second.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let hint = "expected a rate such as 1200/s, 5/min or 3/h";
    let Some((number, per)) = text.split_once('/') else {
        return Err(format!("'{text}' has no unit: {hint}"));
    };
    let number = number.trim();
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a rate: {hint}"))?;
    let per_secs = match per.trim() {
        "s" | "sec" | "second" => 1.0,
        "min" | "m" | "minute" => 60.0,
        "h" | "hour" => 3600.0,
        "d" | "day" => 86400.0,
        other => match parse_duration(other) {
            Ok(d) if !d.is_zero() => d.as_secs_f64(),
            Ok(_) => {
                return Err(format!(
                    "'{text}' is per zero time: the period after '/' must be longer than 0"
                ))
            }
            Err(_) => return Err(format!("unknown rate unit '/{other}' in '{text}': {hint}")),
        },
    };
    if !value.is_finite() {
        return Err(format!("'{text}' is not a finite rate"));
    }
    if value < 0.0 {
        return Err(format!("'{text}' is negative: rates must be >= 0"));
    }
    let rate = value / per_secs;
    if rate > MAX_RATE_PER_SEC {
        return Err(format!(
            "'{text}' is above the limit of {MAX_RATE_PER_SEC:e}/s: a run at that rate could not finish"
        ));
    }
    Ok(rate)
}

/// Parses a multiplier: "3x", "0.5x" or a plain number. Must be positive.
pub fn parse_multiplier(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let number = trimmed.strip_suffix(['x', 'X']).unwrap_or(trimmed);
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(_) => Err(format!(
            "'{text}' must be a positive multiplier such as 3x or 0.5x"
        )),
        Err(_) => Err(format!(
            "'{text}' is not a multiplier: expected e.g. 3x, 0.5x or 2"
        )),
    }
}

/// Size units: decimal (KB = 1000 B) and binary (KiB = 1024 B).
const SIZE_UNITS: &[(&str, f64)] = &[
    ("B", 1.0),
    ("KB", 1e3),
    ("MB", 1e6),
    ("GB", 1e9),
    ("TB", 1e12),
    ("KiB", 1024.0),
    ("MiB", 1048576.0),
    ("GiB", 1073741824.0),
    ("TiB", 1099511627776.0),
];

/// Largest size a scenario may name [bytes]: 1 PB, far beyond any one cache.
const MAX_SIZE_BYTES: f64 = 1e15;

/// Parses a size such as "512B", "4KB", "1.5MB" or "64MiB" into whole bytes (rounded).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let hint = "expected a size such as 512B, 4KB, 64MB or 1GiB (KB = 1000 B, KiB = 1024 B)";
    let (value, scale) = split_quantity(text, "size", SIZE_UNITS, hint)?;
    let bytes = (value * scale).round();
    if bytes > MAX_SIZE_BYTES {
        return Err(format!("'{text}' is above the limit of 1PB"));
    }
    Ok(bytes as u64)
}

/// Parses a fraction: "0.3" or "30%", within [0, 1].
pub fn parse_fraction(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let (number, scale) = match trimmed.strip_suffix('%') {
        Some(n) => (n, 0.01),
        None => (trimmed, 1.0),
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=1.0).contains(&(v * scale)) => Ok(v * scale),
        Ok(_) => Err(format!("'{text}' must be between 0 and 1 (or 0% and 100%)")),
        Err(_) => Err(format!(
            "'{text}' is not a fraction: expected e.g. 0.3 or 30%"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let ms = |t: &str| parse_duration(t).map(|d| d.as_nanos() as f64 / 1e6);
        assert_eq!(ms("250ms"), Ok(250.0));
        assert_eq!(ms("1.5s"), Ok(1500.0));
        assert_eq!(ms("2m"), Ok(120_000.0));
        assert_eq!(ms("2min"), Ok(120_000.0));
        assert_eq!(ms("1h"), Ok(3_600_000.0));
        assert_eq!(ms("500us"), Ok(0.5));
        assert_eq!(ms("0"), Ok(0.0));
        assert_eq!(ms(" 10 ms "), Ok(10.0));
        assert!(parse_duration("10").unwrap_err().contains("no unit"));
        assert!(parse_duration("-1s").unwrap_err().contains("negative"));
        assert!(parse_duration("5 parsecs")
            .unwrap_err()
            .contains("unknown duration unit"));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("1e300s").unwrap_err().contains("too long"));
        assert!(parse_duration("NaNs").is_err());
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("1200/s"), Ok(1200.0));
        assert_eq!(parse_rate("60/min"), Ok(1.0));
        assert_eq!(parse_rate("7200/h"), Ok(2.0));
        assert_eq!(parse_rate("0.9/s"), Ok(0.9));
        assert_eq!(parse_rate("10/100ms"), Ok(100.0));
        assert!(parse_rate("1200").unwrap_err().contains("no unit"));
        assert!(parse_rate("-5/s").unwrap_err().contains("negative"));
        assert!(parse_rate("1e12/s").unwrap_err().contains("limit"));
        assert!(parse_rate("10/0s").unwrap_err().contains("per zero time"));
        assert!(parse_rate("5/fortnight")
            .unwrap_err()
            .contains("unknown rate unit"));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512B"), Ok(512));
        assert_eq!(parse_size("1KB"), Ok(1000));
        assert_eq!(parse_size("1.5MB"), Ok(1_500_000));
        assert_eq!(parse_size("2KiB"), Ok(2048));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("0"), Ok(0));
        assert!(parse_size("100").unwrap_err().contains("no unit"));
        assert!(parse_size("-1KB").unwrap_err().contains("negative"));
        assert!(parse_size("3 parsecs")
            .unwrap_err()
            .contains("unknown size unit"));
        assert!(parse_size("2PB").is_err());
    }

    #[test]
    fn multipliers_and_fractions() {
        assert_eq!(parse_multiplier("3x"), Ok(3.0));
        assert_eq!(parse_multiplier("0.5"), Ok(0.5));
        assert!(parse_multiplier("0x").is_err());
        assert!(parse_multiplier("lots").is_err());
        assert_eq!(parse_fraction("30%"), Ok(0.3));
        assert_eq!(parse_fraction("0.25"), Ok(0.25));
        assert!(parse_fraction("1.5").is_err());
        assert!(parse_fraction("-0.1").is_err());
    }
}
