//! A traffic source in plain words.

use std::fmt::Write as _;

use super::words::{distribution, percent, rate, shares};
use super::written::{Settings, Written};
use crate::scenario::raw;

/// `- users sends to lb: ...`, one line.
pub fn traffic_source(out: &mut String, t: &raw::TrafficSpec) {
    let raw::TrafficSpec {
        name,
        to,
        rate: profile,
        arrivals,
        spikes,
        multiplier,
        users,
        think_time,
        mix,
        keys,
        clients,
        regions,
        timeout,
        retry,
        client_cache,
    } = t;
    // Told only with what they belong to; listed as written otherwise.
    let mut arrivals = arrivals.as_ref();
    let mut think_time = think_time.as_ref();
    let mut parts = Vec::new();
    if let Some(r) = profile {
        let arrivals = match arrivals.take().map(|a| a.value.as_str()) {
            Some("constant") => "evenly spaced arrivals",
            _ => "Poisson arrivals",
        };
        parts.push(format!("{arrivals} {}", rate(&r.value)));
    }
    if let Some(users) = users {
        let think = think_time
            .take()
            .map(|t| distribution(&t.value))
            .unwrap_or_default();
        parts.push(format!(
            "{} users, each sending a request, waiting for its reply and thinking ({think}) before the next",
            users.written()
        ));
    }
    if let Some(m) = multiplier {
        parts.push(format!("all multiplied by {}", m.written()));
    }
    for s in spikes.iter().flatten() {
        let raw::SpikeSpec {
            at,
            duration,
            multiplier,
        } = s;
        parts.push(format!(
            "x{} for {} from {}",
            multiplier.written().trim_end_matches('x'),
            duration.written(),
            at.written()
        ));
    }
    match mix {
        Some(m) => parts.push(format!("mix {}", shares(m))),
        None => parts.push("one request type (request)".to_string()),
    }
    match keys {
        Some(k) => parts.push(keys_text(&k.value)),
        None => parts.push("keys: 1000000, uniform popularity".to_string()),
    }
    if let Some(c) = clients {
        parts.push(format!("{} distinct clients", c.written()));
    }
    if let Some(r) = regions {
        parts.push(format!("regions {}", shares(r)));
    }
    if let Some(t) = timeout {
        parts.push(format!("clients give up after {}", t.written()));
    }
    if let Some(r) = retry {
        parts.push(retry_text(&r.value));
    }
    if let Some(cc) = client_cache {
        let raw::ClientCacheSpec { capacity } = &cc.value;
        parts.push(match capacity {
            Some(n) => format!(
                "each client's browser keeps up to {} permanent redirects (301), forgetting the least recently used",
                n.written()
            ),
            None => "each client's browser keeps the permanent redirects (301) it gets".into(),
        });
    }
    let rest = Settings::new()
        .with("arrivals", arrivals)
        .with("think_time", think_time);
    let _ = writeln!(
        out,
        "- {} sends to {}: {}{}.",
        name.value,
        to.value,
        parts.join("; "),
        rest.other()
    );
}

fn keys_text(k: &raw::KeysSpec) -> String {
    // Each parameter is told with the popularity it shapes.
    let raw::KeysSpec {
        count,
        popularity,
        alpha,
        hot_fraction,
        hot_weight,
    } = k;
    let detail = match popularity.as_ref().map_or("uniform", |p| p.value.as_str()) {
        "zipf" => format!(
            "Zipf popularity (alpha {})",
            alpha.as_ref().map_or_else(|| "1".into(), Written::written)
        ),
        "hotspot" => format!(
            "a hotspot: {} of the requests go to {} of the keys",
            hot_weight
                .as_ref()
                .map_or_else(|| "80%".into(), |w| percent(&w.value)),
            hot_fraction
                .as_ref()
                .map_or_else(|| "20%".into(), |f| percent(&f.value))
        ),
        _ => "uniform popularity".to_string(),
    };
    format!("keys: {}, {detail}", count.written())
}

fn retry_text(r: &raw::RetrySpec) -> String {
    // The longest back-off is a detail of the doubling, not told.
    let raw::RetrySpec {
        attempts,
        backoff,
        max_backoff: _,
        jitter,
        budget,
        honour_retry_after,
    } = r;
    let attempts = attempts.written();
    let backoff = backoff
        .as_ref()
        .map_or_else(|| "100ms".into(), Written::written);
    let jitter = jitter
        .as_ref()
        .map_or_else(|| "full".into(), Written::written);
    let mut text = if backoff.trim_start_matches('0').is_empty() || backoff == "0s" {
        format!("up to {attempts} attempts, retrying at once")
    } else {
        format!("up to {attempts} attempts, backing off from {backoff} (doubling, jitter {jitter})")
    };
    if let Some(b) = budget {
        let _ = write!(text, ", a retry budget of {}", b.written());
    }
    if *honour_retry_after == Some(true) {
        text.push_str(", honouring Retry-After");
    }
    text
}
