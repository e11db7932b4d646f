//! What a design costs: optional prices in the scenario's `cost` section, applied to what the
//! run used.
//!
//! Prices, per component (all optional, all in the section's `currency`):
//! - `per_hour` [currency / instance / h]: each instance of a server pool (for an autoscaled
//!   pool, the time-average number in service), each node of a database (master + replicas),
//!   each rate-limiter instance; other kinds count as one instance.
//! - `per_gb_hour` [currency / GB / h]: a cache's configured `memory` (1 GB = 10^9 bytes).
//! - `per_million_requests` [currency / 10^6 requests]: requests the component received (a CDN
//!   or an API gateway billed per request).
//!
//! Figures (`summary.json`'s `cost`, typed as [`crate::results::CostSummary`]): the cost of the
//! measured period (after the warm-up), and a month's cost at the same rates and request rate
//! (a month is 730 hours, 8760 / 12). A design's cost is the sum over its priced components.
//!
//! Tests: `tests/cost.rs` (hand-computed figures for each kind of price, an autoscaled pool,
//! validation errors, `sim capacity --cheapest`).

use crate::model::figures::Figures;
use crate::model::ComponentReport;

/// Hours in the month used for monthly figures: 8760 / 12.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// One component's prices.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Price {
    pub per_hour: f64,
    pub per_gb_hour: f64,
    pub per_million_requests: f64,
}

/// A priced component of a checked scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Priced {
    pub name: String,
    /// Instances (or nodes) it has as configured; an autoscaled pool's figure comes from the
    /// run instead.
    pub instances: u32,
    /// Configured cache memory [GB], where `per_gb_hour` applies.
    pub memory_gb: f64,
    pub price: Price,
}

/// The scenario's `cost` section, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct CostPlan {
    pub currency: String,
    pub components: Vec<Priced>,
}

/// What one component cost.
#[derive(Clone, Debug, PartialEq)]
pub struct ComponentCost {
    pub name: String,
    /// Instances paid for: as configured, or an autoscaled pool's time-average in service.
    pub instances: f64,
    /// Rate of the instance and memory prices [currency / h].
    pub per_hour: f64,
    /// Requests it received in the measured period.
    pub requests: u64,
    /// Cost of the measured period.
    pub run: f64,
    /// Cost of a month at the same rates.
    pub per_month: f64,
}

/// What the design cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Cost {
    pub currency: String,
    /// Length of the measured period [h].
    pub hours: f64,
    /// Sum of the components' instance and memory rates [currency / h].
    pub per_hour: f64,
    pub run: f64,
    pub per_month: f64,
    pub components: Vec<ComponentCost>,
}

impl CostPlan {
    /// The cost of a run that measured `measured_secs` seconds, with these component reports.
    pub fn evaluate(&self, measured_secs: f64, reports: &[ComponentReport]) -> Cost {
        let hours = measured_secs.max(0.0) / 3600.0;
        let components: Vec<ComponentCost> = self
            .components
            .iter()
            .map(|p| {
                let report = reports.iter().find(|r| r.name == p.name);
                let instances = match report.map(|r| &r.figures) {
                    Some(Figures::Server(f)) => f.autoscale.as_ref(),
                    _ => None,
                }
                .map_or(f64::from(p.instances), |a| a.instances_in_service_mean);
                let requests = report.map_or(0, |r| r.requests);
                let per_hour = instances * p.price.per_hour + p.memory_gb * p.price.per_gb_hour;
                let per_request = p.price.per_million_requests / 1e6;
                let request_rate = if measured_secs > 0.0 {
                    requests as f64 / measured_secs
                } else {
                    0.0
                };
                ComponentCost {
                    name: p.name.clone(),
                    instances,
                    per_hour,
                    requests,
                    run: per_hour * hours + per_request * requests as f64,
                    per_month: per_hour * HOURS_PER_MONTH
                        + per_request * request_rate * HOURS_PER_MONTH * 3600.0,
                }
            })
            .collect();
        Cost {
            currency: self.currency.clone(),
            hours,
            per_hour: components.iter().map(|c| c.per_hour).sum(),
            run: components.iter().map(|c| c.run).sum(),
            per_month: components.iter().map(|c| c.per_month).sum(),
            components,
        }
    }
}

impl Cost {
    /// A short figure for tables: "412.50 USD/month".
    pub fn monthly_text(&self) -> String {
        format!("{:.2} {}/month", self.per_month, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimTime;
    use crate::model::{RequestStats, StatsClock};

    fn report(name: &str, requests: u64) -> ComponentReport {
        let stats = RequestStats::new(StatsClock {
            warmup_end: SimTime::ZERO,
            window_ns: 1_000_000_000,
        });
        let mut r =
            ComponentReport::from_request_stats(name, crate::model::kind::Kind::Server, &stats);
        r.requests = requests;
        r
    }

    #[test]
    fn instance_memory_and_request_prices_add_up() {
        let plan = CostPlan {
            currency: "USD".into(),
            components: vec![
                Priced {
                    name: "web".into(),
                    instances: 4,
                    memory_gb: 0.0,
                    price: Price {
                        per_hour: 0.10,
                        ..Price::default()
                    },
                },
                Priced {
                    name: "cache".into(),
                    instances: 1,
                    memory_gb: 2.0,
                    price: Price {
                        per_gb_hour: 0.05,
                        ..Price::default()
                    },
                },
                Priced {
                    name: "cdn".into(),
                    instances: 1,
                    memory_gb: 0.0,
                    price: Price {
                        per_million_requests: 0.50,
                        ..Price::default()
                    },
                },
            ],
        };
        // Two hours measured; the CDN received 3.6 million requests (500/s).
        let reports = [
            report("web", 0),
            report("cache", 0),
            report("cdn", 3_600_000),
        ];
        let cost = plan.evaluate(7200.0, &reports);
        // web: 4 x 0.10 = 0.40/h; cache: 2 GB x 0.05 = 0.10/h.
        assert!((cost.per_hour - 0.50).abs() < 1e-12);
        // Run: 0.50 x 2 h + 3.6 x 0.50 = 1.00 + 1.80.
        assert!((cost.run - 2.80).abs() < 1e-9);
        // Month: 0.50 x 730 + 500/s x 2 628 000 s / 10^6 x 0.50 = 365 + 657.
        assert!((cost.per_month - 1022.0).abs() < 1e-6);
    }
}
