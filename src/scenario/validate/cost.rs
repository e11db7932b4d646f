//! The `cost` section: prices per component (see [`crate::cost`]).

use super::checker::*;
use crate::cost::{CostPlan, Price, Priced};

/// Checks the prices: each names a priced kind of component, each price is a finite number
/// at or above 0, and `per_gb_hour` goes with a cache that has a `memory` limit.
pub(super) fn check_cost(
    c: &mut Checker,
    at: &At<raw::CostSpec>,
    components: &[(String, ComponentPlan)],
) -> Option<CostPlan> {
    let spec = &at.value;
    let errors_before = c.errors.len();
    let currency = spec
        .currency
        .as_ref()
        .map_or_else(|| "USD".to_string(), |s| s.value.clone());
    if currency.trim().is_empty() {
        if let Some(s) = &spec.currency {
            c.error(s.loc, "cost.currency must not be empty");
        }
    }
    let mut priced = Vec::new();
    for (name, prices) in &spec.components.value {
        const PRICED: &[Kind] = &[
            Kind::Server,
            Kind::LoadBalancer,
            Kind::Cache,
            Kind::Database,
            Kind::ShardedDatabase,
            Kind::RateLimiter,
            Kind::Queue,
        ];
        if c.reference(name, "priced component", Use::Among(PRICED))
            .is_none()
        {
            continue;
        }
        let p = &prices.value;
        let mut price = |field: &Option<At<f64>>, what: &str| -> f64 {
            match field {
                Some(v) if v.value.is_finite() && v.value >= 0.0 => v.value,
                Some(v) => {
                    c.error(
                        v.loc,
                        format!("{what} must be a number at or above 0, got {}", v.value),
                    );
                    0.0
                }
                None => 0.0,
            }
        };
        let price = Price {
            per_hour: price(&p.per_hour, "per_hour"),
            per_gb_hour: price(&p.per_gb_hour, "per_gb_hour"),
            per_million_requests: price(&p.per_million_requests, "per_million_requests"),
        };
        if p.per_hour.is_none() && p.per_gb_hour.is_none() && p.per_million_requests.is_none() {
            c.error_help(
                prices.loc,
                format!("no price given for '{}'", name.value),
                "give per_hour, per_gb_hour or per_million_requests",
            );
        }
        let plan = components
            .iter()
            .find(|(n, _)| *n == name.value)
            .map(|(_, p)| p);
        let (instances, memory_gb) = match plan {
            Some(ComponentPlan::Server(s)) => (s.instances, 0.0),
            Some(ComponentPlan::Database(d)) => (1 + d.replicas, 0.0),
            Some(ComponentPlan::RateLimiter(r)) => (r.instances, 0.0),
            Some(ComponentPlan::Cache(k)) => (1, k.limits.bytes.unwrap_or(0) as f64 / 1e9),
            _ => (1, 0.0),
        };
        if let Some(v) = &p.per_gb_hour {
            match plan {
                Some(ComponentPlan::Cache(k)) if k.limits.bytes.is_some() => {}
                Some(ComponentPlan::Cache(_)) => c.error_help(
                    v.loc,
                    format!("per_gb_hour: cache '{}' has no memory limit", name.value),
                    "give the cache a memory size (e.g. memory: 4GB), or price it per_hour",
                ),
                _ => c.error_help(
                    v.loc,
                    format!("per_gb_hour: '{}' is not a cache", name.value),
                    "per_gb_hour prices a cache's memory; price other components per_hour",
                ),
            }
        }
        priced.push(Priced {
            name: name.value.clone(),
            instances,
            memory_gb,
            price,
        });
    }
    if c.errors.len() > errors_before {
        return None;
    }
    Some(CostPlan {
        currency,
        components: priced,
    })
}
