//! Load balancers and their health checks.

use super::checker::*;

pub(super) fn check_balancer(c: &mut Checker, b: &raw::BalancerSpec) -> Option<BalancerConfig> {
    let errors_before = c.errors.len();
    let default_algorithm = c.algorithm(b.algorithm.as_ref(), Algorithm::RoundRobin);
    let mut groups: Vec<GroupConfig> = Vec::new();
    let types = c.request_types.len();
    let mut route_of_type: Vec<Option<usize>> = vec![None; types];
    // Each instance of a pool is one backend, with the pool's weight.
    let expand =
        |list: Vec<(ComponentId, u32)>, instances: &HashMap<ComponentId, u32>| -> Vec<Backend> {
            list.into_iter()
                .flat_map(|(component, weight)| {
                    let n = instances.get(&component).copied().unwrap_or(1);
                    (0..n).map(move |instance| Backend {
                        component,
                        instance,
                        weight,
                    })
                })
                .collect()
        };
    if let Some(list) = &b.backends {
        let backends = c.backends(list);
        groups.push(GroupConfig {
            algorithm: default_algorithm,
            backends: expand(backends, &c.instances),
        });
        route_of_type.iter_mut().for_each(|r| *r = Some(0));
    }
    let mut unknown_route_type = false;
    for route in b.routes.iter().flatten() {
        let algorithm = c.algorithm(route.algorithm.as_ref(), default_algorithm);
        let backends = c.backends(&route.backends.value);
        if route.backends.value.is_empty() {
            c.error(route.backends.loc, "a route needs at least one backend");
        }
        let index = groups.len();
        groups.push(GroupConfig {
            algorithm,
            backends: expand(backends, &c.instances),
        });
        for type_name in &route.types {
            match c.request_type(type_name) {
                Some(kind) => route_of_type[kind as usize] = Some(index),
                None => unknown_route_type = true,
            }
        }
    }
    if b.backends.is_none() && b.routes.is_none() {
        c.error_help(
            b.name.loc,
            "a load balancer needs 'backends' or 'routes'",
            "e.g. backends: [web]",
        );
    }
    // A misspelt type in a route already has its own error ("did you mean"); listing the type
    // it was meant to be as unrouted would only repeat it.
    if b.backends.is_none() && b.routes.is_some() && !unknown_route_type {
        let unrouted: Vec<String> = c
            .request_types
            .keys()
            .enumerate()
            .filter(|(i, _)| route_of_type[*i].is_none())
            .map(|(_, n)| n.clone())
            .collect();
        if !unrouted.is_empty() {
            c.error_help(
                b.name.loc,
                format!("request types with no route: {}", unrouted.join(", ")),
                "add them to a route, or give default 'backends'",
            );
        }
    }
    let health = match &b.health {
        Some(h) if h.enabled == Some(false) => None,
        Some(h) => {
            let failures = match &h.failures {
                Some(f) => c.int_in(f, "health.failures", 1, 1_000_000, ""),
                None => Some(5),
            };
            let ejection = match &h.ejection {
                Some(e) => c.positive_duration(e, "health.ejection"),
                None => Some(SimDuration::from_secs(30)),
            };
            Some(PassiveHealth {
                failures_to_eject: failures.unwrap_or(5) as u32,
                ejection: ejection.unwrap_or(SimDuration::from_secs(30)),
            })
        }
        None => Some(PassiveHealth {
            failures_to_eject: 5,
            ejection: SimDuration::from_secs(30),
        }),
    };
    let active_health = b.health.as_ref().and_then(|h| check_active_health(c, h));
    if c.errors.len() > errors_before {
        return None;
    }
    // Each pool's name, so that what the balancer reports of a backend names it.
    let pools: std::collections::BTreeSet<ComponentId> = groups
        .iter()
        .flat_map(|g| g.backends.iter().map(|b| b.component))
        .collect();
    let backend_names = c
        .names
        .iter()
        .filter(|(_, (id, ..))| pools.contains(id))
        .map(|(name, (id, ..))| (id.0, name.clone()))
        .collect();
    Some(BalancerConfig {
        name: b.name.value.clone(),
        backend_names,
        groups,
        route_of_type: route_of_type.into_iter().map(|r| r.unwrap_or(0)).collect(),
        health,
        active_health,
    })
}

/// Active health checks are on when an `interval` is given.
pub(super) fn check_active_health(c: &mut Checker, h: &raw::HealthSpec) -> Option<ActiveHealth> {
    let Some(interval) = &h.interval else {
        for (field, at) in [
            ("timeout", h.timeout.as_ref().map(|a| a.loc)),
            ("unhealthy", h.unhealthy.as_ref().map(|a| a.loc)),
            ("healthy", h.healthy.as_ref().map(|a| a.loc)),
        ] {
            if let Some(loc) = at {
                c.error_help(
                    loc,
                    format!("health.{field} only applies to active health checks"),
                    "give an interval, e.g. interval: 5s",
                );
            }
        }
        return None;
    };
    let interval = c.positive_duration(interval, "health.interval")?;
    let timeout = match &h.timeout {
        Some(t) => c.positive_duration(t, "health.timeout")?,
        None => SimDuration::from_secs(1),
    };
    if timeout > interval {
        let loc = h
            .timeout
            .as_ref()
            .map_or(h.interval.as_ref().map_or(Loc::default(), |i| i.loc), |t| {
                t.loc
            });
        c.error(loc, "health.timeout must not exceed health.interval");
        return None;
    }
    let unhealthy = match &h.unhealthy {
        Some(n) => c.int_in(n, "health.unhealthy", 1, 1000, "")?,
        None => 3,
    };
    let healthy = match &h.healthy {
        Some(n) => c.int_in(n, "health.healthy", 1, 1000, "")?,
        None => 2,
    };
    Some(ActiveHealth {
        interval,
        timeout,
        unhealthy: unhealthy as u32,
        healthy: healthy as u32,
    })
}
