//! Traffic sources: load, mix, keys, retries.

use super::checker::*;

pub(super) fn check_traffic(
    c: &mut Checker,
    t: &raw::TrafficSpec,
    regions: &IndexMap<String, ()>,
) -> Option<SourcePlan> {
    let errors_before = c.errors.len();
    let target = c.reference(&t.to, "target", Use::Entry);
    let load = match (&t.rate, &t.users) {
        (Some(rate), None) => {
            for (field, present) in [("think_time", t.think_time.is_some())] {
                if present {
                    c.error(
                        t.name.loc,
                        format!("'{field}' only applies to closed-loop traffic (users)"),
                    );
                }
            }
            let mut profile = c.rate_profile(rate);
            for spike in t.spikes.iter().flatten() {
                let at = c.duration(&spike.at, "spike start");
                let duration = c.positive_duration(&spike.duration, "spike duration");
                let m = c.parse(&spike.multiplier, "spike multiplier", parse_multiplier);
                if let (Some(p), Some(at), Some(duration), Some(m)) =
                    (profile.take(), at, duration, m)
                {
                    match p.with_spike(SimTime::ZERO + at, duration, m) {
                        Ok(p) => profile = Some(p),
                        Err(e) => c.error(spike.at.loc, format!("spike: {e}")),
                    }
                }
            }
            if let Some(m) = &t.multiplier {
                let factor = c.parse(m, "multiplier", parse_multiplier);
                if let (Some(p), Some(factor)) = (profile.take(), factor) {
                    match p.scaled(factor) {
                        Ok(p) => profile = Some(p),
                        Err(e) => c.error(m.loc, format!("multiplier: {e}")),
                    }
                }
            }
            let arrivals = match &t.arrivals {
                None => Arrivals::Poisson,
                Some(a) => match a.value.as_str() {
                    "poisson" => Arrivals::Poisson,
                    "constant" => Arrivals::Constant,
                    other => {
                        let help = suggestion(other, ["poisson", "constant"]);
                        c.error_help(a.loc, format!("unknown arrival process '{other}'"), help);
                        Arrivals::Poisson
                    }
                },
            };
            profile.map(|profile| Load::Open { profile, arrivals })
        }
        (None, Some(users)) => {
            for (field, present) in [
                ("arrivals", t.arrivals.is_some()),
                ("spikes", t.spikes.is_some()),
                ("multiplier", t.multiplier.is_some()),
            ] {
                if present {
                    c.error(
                        users.loc,
                        format!("'{field}' only applies to open-loop traffic (rate)"),
                    );
                }
            }
            let n = c.int_in(
                users,
                "users",
                1,
                limits::MAX_USERS,
                "each user is simulated individually",
            );
            let think = match &t.think_time {
                Some(d) => c.distribution(d, "think_time"),
                None => {
                    c.error_help(
                        users.loc,
                        "closed-loop traffic needs a think_time",
                        "e.g. think_time: {exponential: 1s}",
                    );
                    None
                }
            };
            match (n, think) {
                (Some(n), Some(think_time)) => Some(Load::Closed {
                    users: n as u32,
                    think_time,
                }),
                _ => None,
            }
        }
        (Some(rate), Some(_)) => {
            c.error_help(
                rate.loc,
                "traffic has both 'rate' and 'users'",
                "use rate for open-loop traffic, users for closed-loop",
            );
            None
        }
        (None, None) => {
            c.error_help(
                t.name.loc,
                "traffic needs a 'rate' (open loop) or 'users' (closed loop)",
                "e.g. rate: 100/s",
            );
            None
        }
    };
    let mix: Vec<(u16, f64)> = match &t.mix {
        Some(mix) => mix
            .iter()
            .filter_map(|(name, w)| {
                Some((c.request_types.get_index_of(&name.value)? as u16, w.value))
            })
            .collect(),
        None => vec![(
            c.request_types.get_index_of("request").unwrap_or(0) as u16,
            1.0,
        )],
    };
    let keys = match &t.keys {
        Some(k) => check_keys(c, &k.value),
        None => Some(KeyPopularity::Uniform { count: 1_000_000 }),
    };
    let default_clients = match &t.users {
        Some(u) => u.value.clamp(1, limits::MAX_CLIENTS),
        None => 1000,
    };
    let clients = match &t.clients {
        Some(n) => c.int_in(
            n,
            "clients",
            1,
            limits::MAX_CLIENTS,
            "client ids are 32-bit",
        ),
        None => Some(default_clients),
    };
    let region_weights: Vec<(u16, f64)> = t
        .regions
        .iter()
        .flatten()
        .filter_map(|(name, w)| Some((regions.get_index_of(&name.value)? as u16, w.value)))
        .collect();
    let timeout = t
        .timeout
        .as_ref()
        .and_then(|d| c.positive_duration(d, "timeout"));
    let retry = t.retry.as_ref().and_then(|r| check_retry(c, &r.value));
    if c.errors.len() > errors_before {
        return None;
    }
    let client_cache = match &t.client_cache {
        Some(spec) => Some(super::redirect::check_client_cache(c, spec)?),
        None => None,
    };
    Some(SourcePlan {
        target: target?,
        load: load?,
        mix,
        keys: keys?,
        clients: clients? as u32,
        regions: region_weights,
        timeout,
        retry,
        client_cache,
    })
}

pub(super) fn check_retry(c: &mut Checker, r: &raw::RetrySpec) -> Option<RetryPolicy> {
    let attempts = c.int_in(
        &r.attempts,
        "retry.attempts",
        1,
        100,
        "more than 100 attempts per request is a retry storm by design",
    )?;
    let backoff = match &r.backoff {
        Some(b) => c.duration(b, "retry.backoff")?,
        None => SimDuration::from_millis(100),
    };
    let max_backoff = match &r.max_backoff {
        Some(b) => c.duration(b, "retry.max_backoff")?,
        None => SimDuration::from_secs(10),
    };
    let jitter = match &r.jitter {
        None => true,
        Some(j) => match j.value.as_str() {
            "full" => true,
            "none" => false,
            other => {
                let help = suggestion(other, ["full", "none"]);
                c.error_help(j.loc, format!("unknown jitter '{other}'"), help);
                return None;
            }
        },
    };
    let budget = match &r.budget {
        Some(b) => Some(c.parse(b, "retry.budget", parse_fraction)?),
        None => None,
    };
    Some(RetryPolicy {
        attempts: attempts as u32,
        backoff,
        max_backoff,
        jitter,
        budget,
        honour_retry_after: r.honour_retry_after.unwrap_or(false),
    })
}

pub(super) fn check_keys(c: &mut Checker, k: &raw::KeysSpec) -> Option<KeyPopularity> {
    let count = c.int_in(&k.count, "keys.count", 1, limits::MAX_KEYS, "keys are drawn without per-key memory, but beyond 10^12 the popularity law loses precision")?;
    let law = k
        .popularity
        .as_ref()
        .map_or("uniform", |p| p.value.as_str());
    let only = |c: &mut Checker, field: &str, present: Option<Loc>, law_needed: &str| {
        if let Some(loc) = present {
            c.error(
                loc,
                format!("keys.{field} only applies to popularity: {law_needed}"),
            );
        }
    };
    match law {
        "uniform" => {
            only(c, "alpha", k.alpha.as_ref().map(|a| a.loc), "zipf");
            only(
                c,
                "hot_fraction",
                k.hot_fraction.as_ref().map(|a| a.loc),
                "hotspot",
            );
            Some(KeyPopularity::Uniform { count })
        }
        "zipf" => {
            only(
                c,
                "hot_fraction",
                k.hot_fraction.as_ref().map(|a| a.loc),
                "hotspot",
            );
            let alpha = k.alpha.as_ref().map_or(1.0, |a| a.value);
            if !(alpha.is_finite() && (0.0..=10.0).contains(&alpha)) {
                let loc = k.alpha.as_ref().map_or(k.count.loc, |a| a.loc);
                c.error(
                    loc,
                    format!("keys.alpha must be between 0 and 10, got {alpha}"),
                );
                return None;
            }
            Some(KeyPopularity::Zipf { count, alpha })
        }
        "hotspot" => {
            only(c, "alpha", k.alpha.as_ref().map(|a| a.loc), "zipf");
            let hot_fraction = match &k.hot_fraction {
                Some(f) => c.parse(f, "keys.hot_fraction", parse_fraction)?,
                None => 0.2,
            };
            let hot_weight = match &k.hot_weight {
                Some(f) => c.parse(f, "keys.hot_weight", parse_fraction)?,
                None => 0.8,
            };
            Some(KeyPopularity::Hotspot {
                count,
                hot_fraction,
                hot_weight,
            })
        }
        other => {
            let loc = k.popularity.as_ref().map_or(k.count.loc, |p| p.loc);
            let help = suggestion(other, ["uniform", "zipf", "hotspot"]);
            c.error_help(loc, format!("unknown key popularity '{other}'"), help);
            None
        }
    }
}
