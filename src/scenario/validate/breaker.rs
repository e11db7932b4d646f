//! Circuit breakers on a server pool's downstream calls.

use super::checker::*;
use crate::model::breaker::{BreakerPolicy, CircuitBreakers};

pub(super) fn check_breaker(
    c: &mut Checker,
    at: &At<raw::BreakerSpec>,
    targets: Vec<ComponentId>,
) -> Option<CircuitBreakers> {
    let b = &at.value;
    let errors_before = c.errors.len();
    if targets.is_empty() {
        c.error_help(
            at.loc,
            "a circuit breaker needs downstream calls to guard",
            "it guards the components in 'calls' (plain calls, not cache_aside steps)",
        );
        return None;
    }
    let failure_rate = match &b.failure_rate {
        Some(r) => c
            .parse(r, "circuit_breaker.failure_rate", parse_fraction)
            .filter(|x| {
                let ok = *x > 0.0;
                if !ok {
                    c.error(r.loc, "circuit_breaker.failure_rate must be above 0%");
                }
                ok
            }),
        None => Some(0.5),
    };
    let duration =
        |c: &mut Checker, field: &Option<At<Scalar>>, what: &str, default: u64| match field {
            Some(d) => c.positive_duration(d, what),
            None => Some(SimDuration::from_secs(default)),
        };
    let window = duration(c, &b.window, "circuit_breaker.window", 10);
    let open_for = duration(c, &b.open_for, "circuit_breaker.open_for", 5);
    let min_calls = match &b.min_calls {
        Some(n) => c.int_in(n, "circuit_breaker.min_calls", 1, 1_000_000, ""),
        None => Some(20),
    };
    let probes = match &b.half_open_probes {
        Some(n) => c.int_in(n, "circuit_breaker.half_open_probes", 1, 1_000_000, ""),
        None => Some(3),
    };
    if c.errors.len() > errors_before {
        return None;
    }
    let names = targets
        .into_iter()
        .map(|id| {
            let name = c
                .names
                .iter()
                .find(|(_, (i, _, _))| *i == id)
                .map_or_else(|| format!("#{}", id.0), |(n, _)| n.clone());
            (id, name)
        })
        .collect();
    Some(CircuitBreakers {
        policy: BreakerPolicy {
            failure_rate: failure_rate?,
            window: window?,
            min_calls: min_calls? as u32,
            open_for: open_for?,
            half_open_probes: probes? as u32,
        },
        targets: names,
    })
}
