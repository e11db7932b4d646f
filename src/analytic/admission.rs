//! The twin's view of a rate limiter: the long-run fraction of requests a token bucket or a
//! fixed window admits under Poisson arrivals (`model::rate_limiter::theory`, exact up to the
//! numerical integration). Each counter (one per client, key, region or type, or one in all)
//! sees a Poisson stream, the traffic thinned by how the requests spread over the counters;
//! the limiter's admitted fraction is the traffic-weighted mean over the counters, with the
//! requests of the types the rule ignores always admitted.
//!
//! What the limiter lets through is not Poisson (a bucket smooths bursts away), so the
//! components behind it get no queueing figures.

use super::*;
use crate::model::rate_limiter::algorithms::{Algorithm as LimitAlgorithm, KeyBy, Rule};
use crate::model::rate_limiter::theory;
use crate::model::rate_limiter::RateLimiterConfig;

/// Most integration steps for one token bucket's admitted fraction (the grid shrinks from
/// 4000 steps per token, down to 100, for deep buckets; Heun's error is O(h^2)).
const MAX_BUCKET_STEPS: u32 = 400_000;

/// Most distinct counter rates the twin solves for.
const MAX_COUNTER_RATES: usize = 64;

impl Twin<'_> {
    pub(super) fn flow_rate_limiter(
        &mut self,
        id: usize,
        limiter: &RateLimiterConfig,
        rates: &Rates,
    ) {
        let (model, result) = match self.admitted_fraction(id, limiter, rates) {
            Ok((model, fraction)) => (model, Ok(fraction)),
            Err(why) => ("-".to_string(), Err(why)),
        };
        self.out.push(Expectation {
            component: limiter.name.clone(),
            metric: "admitted_fraction",
            model,
            theory: result.as_ref().ok().copied(),
            tolerance: 0.03,
            note: result.err(),
        });
        let why = format!(
            "not applicable: fed by '{}', whose admitted stream is not Poisson",
            limiter.name
        );
        for callee in limiter.callees() {
            self.state_dependent[callee.index()].get_or_insert(why.clone());
        }
    }

    fn admitted_fraction(
        &self,
        id: usize,
        limiter: &RateLimiterConfig,
        rates: &Rates,
    ) -> Result<(String, f64), String> {
        let total: f64 = rates.iter().sum();
        if total <= 0.0 {
            return Err("not applicable: no traffic reaches it".into());
        }
        if let Some(why) = &self.approximate_flow[id] {
            return Err(format!("not applicable: {why}"));
        }
        let [rule] = &limiter.rules[..] else {
            return Err("not applicable: several rules interact".into());
        };
        if limiter.instances > 1 && limiter.store.is_none() {
            return Err(
                "not applicable: each node counts its own share of a round-robin split".into(),
            );
        }
        let applies = |t: usize| rule.types.is_empty() || rule.types.get(t) == Some(&true);
        let counted: Vec<(usize, f64)> = rates
            .iter()
            .enumerate()
            .filter(|&(t, &r)| applies(t) && r > 0.0)
            .map(|(t, &r)| (t, r))
            .collect();
        let counted_rate: f64 = counted.iter().map(|&(_, r)| r).sum();
        // Each counter's arrival rate, and how many counters have it.
        let counters: Vec<(f64, f64)> = match rule.key_by {
            KeyBy::Global => vec![(counted_rate, 1.0)],
            KeyBy::Type => counted.iter().map(|&(_, r)| (r, 1.0)).collect(),
            KeyBy::Client | KeyBy::Region | KeyBy::Key => self.counter_rates(rule, counted_rate)?,
        };
        if counters.len() > MAX_COUNTER_RATES {
            return Err("not applicable: too many distinct counter rates".into());
        }
        let (model, admitted) = match rule.algorithm {
            LimitAlgorithm::TokenBucket => {
                let refill = f64::from(rule.limit) / rule.per.as_secs_f64();
                let steps = MAX_BUCKET_STEPS / rule.burst.max(1);
                if steps < 100 {
                    return Err("not applicable: the bucket is too deep to integrate".into());
                }
                let steps = steps.min(4000) as usize;
                let admitted: f64 = counters
                    .iter()
                    .map(|&(lambda, n)| {
                        n * lambda
                            * theory::token_bucket_admitted_fraction_on_grid(
                                lambda, refill, rule.burst, steps,
                            )
                    })
                    .sum();
                ("token bucket, Poisson (exact)", admitted)
            }
            LimitAlgorithm::FixedWindow => {
                let window = rule.per.as_secs_f64();
                let admitted: f64 = counters
                    .iter()
                    .map(|&(lambda, n)| {
                        n * lambda
                            * theory::fixed_window_admitted_fraction(lambda, window, rule.limit)
                    })
                    .sum();
                ("fixed window, Poisson (exact)", admitted)
            }
            other => {
                return Err(format!(
                    "not applicable: no closed form for {} here",
                    other.name()
                ))
            }
        };
        let passed_unchecked = total - counted_rate;
        Ok((model.to_string(), (passed_unchecked + admitted) / total))
    }

    /// `(rate, counters with that rate)` for a rule keyed by client, region or key: the
    /// single source's traffic spread uniformly over its clients, by weight over its regions,
    /// or uniformly over its keys.
    fn counter_rates(&self, rule: &Rule, rate: f64) -> Result<Vec<(f64, f64)>, String> {
        let mut sources = self.plan.components.iter().filter_map(|(_, c)| match c {
            ComponentPlan::Source(s) => Some(s),
            _ => None,
        });
        let (Some(source), None) = (sources.next(), sources.next()) else {
            return Err("not applicable: several sources share the counters".into());
        };
        Ok(match rule.key_by {
            KeyBy::Client => {
                let n = f64::from(source.clients.max(1));
                vec![(rate / n, n)]
            }
            KeyBy::Region => {
                let total: f64 = source.regions.iter().map(|&(_, w)| w).sum();
                if source.regions.is_empty() || total <= 0.0 {
                    vec![(rate, 1.0)]
                } else {
                    source
                        .regions
                        .iter()
                        .map(|&(_, w)| (rate * w / total, 1.0))
                        .collect()
                }
            }
            _ => match self.keys() {
                Some(&KeyPopularity::Uniform { count }) => {
                    let n = count as f64;
                    vec![(rate / n, n)]
                }
                _ => return Err(
                    "not applicable: keys of unequal popularity give every counter its own rate"
                        .into(),
                ),
            },
        })
    }
}
