//! Failure schedules: scripted events and random failures.

use super::checker::*;
use crate::model::failures::NetworkFault;
use crate::model::network::FaultKind;

/// Resolves a failure target: `web` (every instance) or `web[2]` (one instance, from 0).
pub(super) fn failure_target(c: &mut Checker, at: &At<String>) -> Option<(ComponentId, u32)> {
    let text = at.value.trim();
    let (name, instance) = match text.strip_suffix(']').and_then(|t| t.split_once('[')) {
        Some((name, index)) => match index.trim().parse::<u32>() {
            Ok(i) => (name.trim(), Some(i)),
            Err(_) => {
                c.error_help(
                    at.loc,
                    format!("'{text}' is not a valid target"),
                    "name a pool (web) or one of its instances, counted from 0 (web[2])",
                );
                return None;
            }
        },
        None => (text, None),
    };
    let id = c.reference(
        &At {
            value: name.to_string(),
            loc: at.loc,
        },
        "failure target",
        Use::Failure,
    )?;
    let instances = c.instances.get(&id).copied().unwrap_or(1);
    match instance {
        Some(i) if i >= instances => {
            c.error(
                at.loc,
                format!(
                    "'{name}' has {instances} instance(s), numbered 0 to {}; there is no [{i}]",
                    instances - 1
                ),
            );
            None
        }
        Some(i) => Some((id, i)),
        None => Some((id, ALL_INSTANCES)),
    }
}

pub(super) fn check_failure(c: &mut Checker, f: &raw::FailureSpec) -> Option<ScheduledFailure> {
    let at = c.duration(&f.at, "failure time");
    let duration = match &f.lasts {
        Some(d) => Some(c.positive_duration(d, "failure duration")?),
        None => None,
    };
    let chosen: Vec<(&str, &At<String>)> = [
        ("crash", &f.crash),
        ("slow", &f.slow),
        ("errors", &f.errors),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    let network = [("partition", &f.partition), ("latency", &f.latency)]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect::<Vec<_>>();
    if f.add.is_some() && f.latency.is_none() {
        c.error(f.at.loc, "'add' only applies to 'latency' failures");
    }
    if let ([], [(kind, sides)]) = (chosen.as_slice(), network.as_slice()) {
        return check_network_fault(c, f, kind, sides, at?, duration);
    }
    let [(kind, target)] = chosen.as_slice() else {
        c.error_help(
            f.at.loc,
            format!(
                "a failure needs exactly one of crash, slow, errors, partition or latency (found {})",
                chosen.len() + network.len()
            ),
            "e.g. {at: 5m, crash: web, for: 2m}",
        );
        return None;
    };
    let (target_id, instance) = failure_target(c, target)?;
    let crash_only = c
        .names
        .values()
        .any(|(id, r, _)| *id == target_id && matches!(r, Kind::RateLimiter | Kind::Queue));
    if crash_only && *kind != "crash" {
        c.error_help(
            target.loc,
            format!("rate limiters and queues can only crash, not '{kind}'"),
            "use crash: <name> (a queue loses its non-durable messages)",
        );
        return None;
    }
    let action = match *kind {
        "crash" => FailureAction::Crash,
        "slow" => match &f.factor {
            Some(m) => FailureAction::Slow {
                factor: c.parse(m, "slow factor", parse_multiplier)?,
            },
            None => {
                c.error_help(target.loc, "a slow-down needs a factor", "e.g. factor: 3x");
                return None;
            }
        },
        _ => {
            if instance != ALL_INSTANCES {
                c.error(
                    target.loc,
                    "errors apply to a whole pool; name the pool without [instance]",
                );
                return None;
            }
            if c.names
                .get(&target.value)
                .is_some_and(|(_, r, _)| *r == Kind::Realtime)
            {
                c.error_help(
                    target.loc,
                    "injected errors apply to server pools, not real-time servers",
                    "crash the pool (or one instance, chat[0]), or slow it down",
                );
                return None;
            }
            if c.names
                .get(&target.value)
                .is_some_and(|(_, r, _)| *r == Kind::Cdn)
            {
                c.error_help(
                    target.loc,
                    "injected errors apply to server pools, not CDNs",
                    "crash the CDN (or one edge, cdn[0]), or slow it down",
                );
                return None;
            }
            if c.names
                .get(&target.value)
                .is_some_and(|(_, r, _)| *r == Kind::Cache)
            {
                c.error_help(
                    target.loc,
                    "injected errors apply to server pools, not caches",
                    "crash the cache, or slow it down",
                );
                return None;
            }
            match &f.fraction {
                Some(x) => FailureAction::Errors {
                    fraction: c.parse(x, "error fraction", parse_fraction)?,
                },
                None => {
                    c.error_help(
                        target.loc,
                        "injected errors need a fraction",
                        "e.g. fraction: 10%",
                    );
                    return None;
                }
            }
        }
    };
    for (field, present, needed_by) in [
        ("factor", f.factor.is_some(), "slow"),
        ("fraction", f.fraction.is_some(), "errors"),
        ("by", f.by.is_some(), "clock_jump"),
    ] {
        if present && *kind != needed_by {
            c.error(
                f.at.loc,
                format!("'{field}' only applies to '{needed_by}' failures"),
            );
        }
    }
    Some(ScheduledFailure {
        at: SimTime::ZERO + at?,
        duration,
        target: target_id,
        target_name: target.value.clone(),
        instance,
        action,
        network: None,
    })
}

/// A partition or added latency between two sides.
fn check_network_fault(
    c: &mut Checker,
    f: &raw::FailureSpec,
    kind: &str,
    sides: &At<Vec<At<raw::Side>>>,
    at: SimDuration,
    duration: Option<SimDuration>,
) -> Option<ScheduledFailure> {
    // Faults sit on the paths between clients, servers, balancers and caches.
    const SIDES: &[Kind] = &[Kind::Traffic, Kind::Server, Kind::LoadBalancer, Kind::Cache];
    let [a, b] = sides.value.as_slice() else {
        c.error_help(
            sides.loc,
            format!("a {kind} joins exactly 2 sides, got {}", sides.value.len()),
            format!("e.g. {kind}: [web, db] or {kind}: [[web-a, web-b], [db]]"),
        );
        return None;
    };
    let resolve = |c: &mut Checker, side: &At<raw::Side>| -> Option<(Vec<ComponentId>, String)> {
        let names: Vec<At<String>> = match &side.value {
            raw::Side::One(name) => vec![At {
                value: name.clone(),
                loc: side.loc,
            }],
            raw::Side::Many(names) => names.clone(),
        };
        if names.is_empty() {
            c.error(
                side.loc,
                format!("a side of a {kind} needs at least one component"),
            );
            return None;
        }
        let ids: Vec<Option<ComponentId>> = names
            .iter()
            .map(|n| c.reference(n, "network fault side", Use::Among(SIDES)))
            .collect();
        let label = names
            .iter()
            .map(|n| n.value.as_str())
            .collect::<Vec<_>>()
            .join(",");
        Some((ids.into_iter().collect::<Option<Vec<_>>>()?, label))
    };
    let a = resolve(c, a);
    let b = resolve(c, b);
    let ((a, a_label), (b, b_label)) = (a?, b?);
    if let Some(both) = a.iter().find(|id| b.contains(id)) {
        let name = c
            .names
            .iter()
            .find(|(_, (id, _, _))| id == both)
            .map_or(String::new(), |(n, _)| n.clone());
        c.error(
            sides.loc,
            format!("'{name}' is on both sides of the {kind}"),
        );
        return None;
    }
    let fault = match kind {
        "partition" => {
            if f.add.is_some() {
                c.error(f.at.loc, "'add' only applies to 'latency' failures");
                return None;
            }
            FaultKind::Partition
        }
        _ => match &f.add {
            Some(d) => FaultKind::AddedLatency(c.positive_duration(d, "added latency")?),
            None => {
                c.error_help(
                    sides.loc,
                    "added latency needs 'add'",
                    "e.g. {at: 5m, for: 1m, latency: [web, db], add: 200ms}",
                );
                return None;
            }
        },
    };
    for (field, present) in [
        ("factor", f.factor.is_some()),
        ("fraction", f.fraction.is_some()),
    ] {
        if present {
            c.error(f.at.loc, format!("'{field}' does not apply to a {kind}"));
        }
    }
    let target = a.first().copied()?;
    Some(ScheduledFailure {
        at: SimTime::ZERO + at,
        duration,
        target,
        target_name: format!("{a_label} | {b_label}"),
        instance: ALL_INSTANCES,
        action: FailureAction::Network,
        network: Some(NetworkFault { kind: fault, a, b }),
    })
}

pub(super) fn check_random_failure(
    c: &mut Checker,
    f: &raw::RandomFailureSpec,
) -> Option<RandomFailures> {
    let target = c.reference(&f.target, "failure target", Use::RandomFailure);
    let mtbf = c.distribution(&f.mtbf, "mtbf");
    let mttr = c.distribution(&f.mttr, "mttr");
    for (law, at, what) in [(&mtbf, &f.mtbf, "mtbf"), (&mttr, &f.mttr, "mttr")] {
        if law.as_ref().is_some_and(|d| d.mean_secs() <= 0.0) {
            c.error(at.loc, format!("{what} must have a positive mean"));
            return None;
        }
    }
    let target = target?;
    Some(RandomFailures {
        target,
        target_name: f.target.value.clone(),
        instances: c.instances.get(&target).copied().unwrap_or(1),
        time_to_failure: mtbf?,
        time_to_repair: mttr?,
    })
}
