//! Third-party providers (push, SMS, email gateways).

use super::checker::*;
use crate::model::provider::{Dedup, ProviderConfig, RateLimit};

/// Highest provider rate limit [req/s].
const MAX_RATE: f64 = 100_000_000.0;
/// Largest token bucket [requests].
const MAX_BURST: u64 = 100_000_000;

pub(super) fn check_provider(c: &mut Checker, p: &raw::ProviderSpec) -> Option<ProviderConfig> {
    let errors_before = c.errors.len();
    let latency = match &p.latency {
        Some(d) => c.distribution(d, "latency"),
        None => Some(Distribution::constant(SimDuration::from_millis(100))),
    };
    let fraction = |c: &mut Checker, at: &Option<At<Scalar>>, what: &str| match at {
        Some(x) => {
            let v = c.parse(x, what, parse_fraction)?;
            if v >= 1.0 {
                c.error_help(
                    x.loc,
                    format!("{what} must be below 100%, got {}", x.value.0),
                    "at 100% no call would ever succeed, and retries would never end",
                );
                return None;
            }
            Some(v)
        }
        None => Some(0.0),
    };
    let error_rate = fraction(c, &p.error_rate, "error_rate");
    let ack_loss = fraction(c, &p.ack_loss, "ack_loss");
    let rate_limit = match &p.rate_limit {
        None => Some(None),
        Some(limit) => {
            let rate = c.parse(&limit.value.rate, "rate_limit.rate", parse_rate);
            let rate = rate.and_then(|r| {
                if r > 0.0 && r <= MAX_RATE {
                    Some(r)
                } else {
                    c.error(
                        limit.value.rate.loc,
                        format!(
                            "rate_limit.rate must be above 0 and at most {MAX_RATE}/s, got {}",
                            limit.value.rate.value.0
                        ),
                    );
                    None
                }
            });
            let burst = match &limit.value.burst {
                Some(b) => c.int_in(
                    b,
                    "rate_limit.burst",
                    1,
                    MAX_BURST,
                    "the bucket's capacity in requests; use a smaller number",
                ),
                None => rate.map(|r| (r.ceil() as u64).clamp(1, MAX_BURST)),
            };
            match (rate, burst) {
                (Some(rate), Some(burst)) => Some(Some(RateLimit {
                    rate,
                    burst: burst as u32,
                })),
                _ => None,
            }
        }
    };
    let dedup = match &p.dedup {
        None => Some(Dedup::None),
        Some(d) => match Dedup::from_name(&d.value) {
            Some(mode) => Some(mode),
            None => {
                let help = suggestion(&d.value, Dedup::NAMES.iter().copied());
                c.error_help(d.loc, format!("unknown dedup mode '{}'", d.value), help);
                None
            }
        },
    };
    let dedup_window = match &p.dedup_window {
        Some(w) => {
            if dedup != Some(Dedup::IdempotencyKey) {
                c.error_help(
                    w.loc,
                    "dedup_window only applies to dedup: idempotency_key",
                    "a consumer-side store of sent ids keeps them for the whole run",
                );
            }
            c.positive_duration(w, "dedup_window")
        }
        None => Some(SimDuration::from_secs(24 * 3600)),
    };
    if c.errors.len() > errors_before {
        return None;
    }
    Some(ProviderConfig {
        name: p.name.value.clone(),
        latency: latency?,
        error_rate: error_rate?,
        ack_loss: ack_loss?,
        rate_limit: rate_limit?,
        dedup: dedup?,
        dedup_window: dedup_window?,
    })
}
