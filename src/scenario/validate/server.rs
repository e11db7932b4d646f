//! Server pools and the steps their requests take.

use super::checker::*;

pub(super) fn check_server(c: &mut Checker, s: &raw::ServerSpec) -> Option<ServerConfig> {
    let errors_before = c.errors.len();
    let mut instances = match &s.instances {
        Some(n) => c.int_in(
            n,
            "instances",
            1,
            limits::MAX_INSTANCES,
            "each instance keeps its own queue and statistics",
        ),
        None => Some(1),
    };
    let autoscale = match &s.autoscale {
        Some(a) => {
            let policy = super::autoscale::check_autoscale(c, a);
            if let Some(policy) = policy {
                instances = check_initial_instances(c, s, &policy);
            }
            policy
        }
        None => None,
    };
    let workers = match &s.workers {
        Some(n) => c.int_in(
            n,
            "workers",
            1,
            limits::MAX_WORKERS,
            "use more instances for larger pools",
        ),
        None => Some(1),
    };
    let queue = match &s.queue {
        Some(n) => c.int_in(
            n,
            "queue",
            0,
            limits::MAX_QUEUE,
            "leave 'queue' out for an unbounded queue",
        ),
        None => None,
    };
    let service_time = c.distribution(&s.service_time, "service_time");
    let calls: Vec<Step> = s
        .calls
        .iter()
        .flatten()
        .filter_map(|step| check_step(c, step))
        .collect();
    let mut profiles: Vec<Option<RequestProfile>> = vec![None; c.request_types.len()];
    for (type_name, over) in s.per_type.iter().flatten() {
        let Some(kind) = c.request_type(type_name) else {
            continue;
        };
        let st = match &over.service_time {
            Some(d) => c.distribution(d, &format!("service_time of '{}'", type_name.value)),
            None => service_time.clone(),
        };
        let type_calls = match &over.calls {
            Some(list) => list.iter().filter_map(|step| check_step(c, step)).collect(),
            None => calls.clone(),
        };
        let (client_cache_for, redirect) = super::redirect::check_redirect(c, type_name, over);
        c.redirects |= redirect;
        if let Some(service_time) = st {
            profiles[kind as usize] = Some(RequestProfile {
                service_time,
                calls: type_calls,
                client_cache_for,
            });
        }
    }
    let timeout = s
        .timeout
        .as_ref()
        .and_then(|d| c.positive_duration(d, "timeout"));
    let call_timeout = s
        .call_timeout
        .as_ref()
        .and_then(|d| c.positive_duration(d, "call_timeout"));
    let circuit_breakers = s.circuit_breaker.as_ref().and_then(|b| {
        let mut targets: Vec<ComponentId> = Vec::new();
        for p in profiles.iter().flatten() {
            for step in &p.calls {
                if let Step::Call(id) = step {
                    if !targets.contains(id) {
                        targets.push(*id);
                    }
                }
            }
        }
        for step in &calls {
            if let Step::Call(id) = step {
                if !targets.contains(id) {
                    targets.push(*id);
                }
            }
        }
        super::breaker::check_breaker(c, b, targets)
    });
    let sessions = super::sessions::check_sessions(c, s);
    if c.errors.len() > errors_before {
        return None;
    }
    let service_time = service_time?;
    let profiles = profiles
        .into_iter()
        .map(|p| {
            p.unwrap_or_else(|| RequestProfile {
                service_time: service_time.clone(),
                calls: calls.clone(),
                client_cache_for: None,
            })
        })
        .collect();
    Some(ServerConfig {
        name: s.name.value.clone(),
        instances: instances? as u32,
        workers: workers? as u32,
        queue_capacity: queue.map(|q| q as u32),
        profiles,
        timeout,
        autoscale,
        call_timeout,
        circuit_breakers,
        sessions: sessions?,
    })
}

/// An autoscaled pool starts with `instances` (default `min`), which must lie in [min, max].
fn check_initial_instances(
    c: &mut Checker,
    s: &raw::ServerSpec,
    policy: &crate::model::autoscale::Autoscale,
) -> Option<u64> {
    let Some(n) = &s.instances else {
        return Some(u64::from(policy.min));
    };
    if n.value < u64::from(policy.min) || n.value > u64::from(policy.max) {
        c.error_help(
            n.loc,
            format!(
                "instances is {}, outside the autoscaling range {}..={}",
                n.value, policy.min, policy.max
            ),
            "with autoscale, instances is the number the pool starts with (default: min)",
        );
        return None;
    }
    Some(n.value)
}

/// A name or a step written as a map, with its location.
pub(super) fn step_name(step: &At<OrMap<raw::StepSpec>>) -> Option<At<String>> {
    match &step.value {
        OrMap::Scalar(s) => Some(At {
            value: s.0.clone(),
            loc: step.loc,
        }),
        OrMap::Map(_) => None,
    }
}

/// The components a step calls.
pub(super) fn step_targets(step: &At<OrMap<raw::StepSpec>>) -> Vec<At<String>> {
    match &step.value {
        OrMap::Scalar(_) => step_name(step).into_iter().collect(),
        OrMap::Map(raw::StepSpec::CacheAside(a)) => vec![a.cache.clone(), a.store.clone()],
    }
}

pub(super) fn check_step(c: &mut Checker, step: &At<OrMap<raw::StepSpec>>) -> Option<Step> {
    match &step.value {
        OrMap::Scalar(_) => {
            let name = step_name(step)?;
            let id = c.reference(&name, "called component", Use::Call)?;
            if let Some(Some(Strategy::CacheAside)) = c.cache_strategies.get(&name.value) {
                c.error_help(
                    name.loc,
                    format!("'{}' is a cache_aside cache: its callers read the store themselves", name.value),
                    format!(
                        "use a step {{cache_aside: {{cache: {}, store: <database>}}}}, or give the cache another strategy",
                        name.value
                    ),
                );
                return None;
            }
            Some(Step::Call(id))
        }
        OrMap::Map(raw::StepSpec::CacheAside(a)) => {
            let cache = c.reference(&a.cache, "cache", Use::Among(&[Kind::Cache]));
            let store = c.reference(&a.store, "store", Use::Call);
            let (cache, store) = (cache?, store?);
            if cache == store {
                c.error(a.store.loc, "the store must differ from the cache");
                return None;
            }
            match c.cache_strategies.get(&a.cache.value) {
                Some(Some(Strategy::CacheAside)) => {}
                Some(Some(other)) => {
                    c.error_help(
                        a.cache.loc,
                        format!(
                            "cache '{}' has strategy {}; a cache_aside step needs strategy: cache_aside",
                            a.cache.value,
                            other.name()
                        ),
                        format!("set strategy: cache_aside on '{}', or call it directly: calls: [{}]", a.cache.value, a.cache.value),
                    );
                    return None;
                }
                _ => return None,
            }
            match c.aside_stores.get(&cache) {
                Some((first, first_name, loc)) if *first != store => {
                    let help = format!(
                        "a cache holds one store's data; '{}' was used with '{first_name}' at line {}",
                        a.cache.value, loc.line
                    );
                    c.error_help(
                        a.store.loc,
                        format!("cache '{}' is used with two stores", a.cache.value),
                        help,
                    );
                    return None;
                }
                Some(_) => {}
                None => {
                    c.aside_stores
                        .insert(cache, (store, a.store.value.clone(), a.store.loc));
                }
            }
            Some(Step::CacheAside(CacheAside { cache, store }))
        }
    }
}
