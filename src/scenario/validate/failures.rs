//! Failure schedules: scripted events and random failures.

use super::*;

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
        &[
            Role::Server,
            Role::Cache,
            Role::Database,
            Role::RateLimiter,
            Role::Queue,
        ],
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
    let [(kind, target)] = chosen.as_slice() else {
        c.error_help(
            f.at.loc,
            format!(
                "a failure needs exactly one of crash, slow or errors (found {})",
                chosen.len()
            ),
            "e.g. {at: 5m, crash: web, for: 2m}",
        );
        return None;
    };
    let (target_id, instance) = failure_target(c, target)?;
    let crash_only = c
        .names
        .values()
        .any(|(id, r, _)| *id == target_id && matches!(r, Role::RateLimiter | Role::Queue));
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
                .is_some_and(|(_, r, _)| *r == Role::Cache)
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
    })
}

pub(super) fn check_random_failure(
    c: &mut Checker,
    f: &raw::RandomFailureSpec,
) -> Option<RandomFailures> {
    let target = c.reference(
        &f.target,
        "failure target",
        &[
            Role::Server,
            Role::Cache,
            Role::Database,
            Role::RateLimiter,
            Role::Queue,
        ],
    );
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
