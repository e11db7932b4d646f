//! Autoscaling of a server pool by target tracking.
//!
//! Every `interval` the pool measures one metric over the interval just ended, on the instances
//! that were taking traffic and up:
//! - `utilization`: busy workers / workers, time-weighted (a fraction);
//! - `queue`: waiting requests per instance, time-weighted [requests];
//! - `rate`: requests arriving per instance per second [req/s].
//!
//! Like AWS target tracking, it then asks for `desired = ceil(in_service * metric / target)`
//! instances, clamped to [`min`, `max`]. More than the pool has (counting instances still
//! provisioning) is a scale-out, fewer a scale-in. The ceiling gives a natural hysteresis: a
//! pool of 4 at 50% utilisation with a 60% target stays at 4. A scale-out may happen only
//! `scale_out_cooldown` after the previous scaling action (of either direction), a scale-in
//! only `scale_in_cooldown` after it.
//!
//! A new instance takes traffic after `provisioning`; during its first `warmup` its service
//! times are multiplied by `warmup_factor` (a cold JIT or cache). Scale-in first cancels
//! instances still provisioning, then drains the highest-numbered instances in service (down
//! ones first): a draining instance takes no new request and leaves when its last one is done.
//!
//! Crashed instances are not replaced: the metric is measured on the instances that are up, so
//! the survivors' higher load asks for more instances if it must.
//!
//! Tests: `tests/autoscaling.rs` (bounds, cooldowns, a load step scaled out after the
//! provisioning delay with latency recovering, determinism) and the unit tests below.

use crate::engine::{ComponentId, SimDuration, SimTime};

/// Which instances of autoscaled pools take new requests, for the load balancers in front of
/// them. Pools that are not autoscaled do not register: all their instances always count.
#[derive(Debug, Default)]
pub struct Membership {
    /// Per component index: whether each instance slot takes new requests.
    pools: Vec<Vec<bool>>,
}

impl Membership {
    pub fn register(&mut self, pool: ComponentId, slots: u32) {
        let index = pool.index();
        if self.pools.len() <= index {
            self.pools.resize(index + 1, Vec::new());
        }
        self.pools[index] = vec![false; slots as usize];
    }

    pub fn set(&mut self, pool: ComponentId, instance: u32, member: bool) {
        if let Some(slot) = self
            .pools
            .get_mut(pool.index())
            .and_then(|p| p.get_mut(instance as usize))
        {
            *slot = member;
        }
    }

    /// Whether no pool registered (no autoscaling in the scenario).
    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }

    /// Whether the instance takes new requests (true for pools that did not register).
    pub fn accepts(&self, pool: ComponentId, instance: u32) -> bool {
        match self.pools.get(pool.index()) {
            Some(slots) if !slots.is_empty() => {
                slots.get(instance as usize).copied().unwrap_or(false)
            }
            _ => true,
        }
    }
}

/// What the autoscaler tracks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalingMetric {
    Utilization,
    QueuePerInstance,
    RatePerInstance,
}

impl ScalingMetric {
    pub const NAMES: &'static [&'static str] = &["utilization", "queue", "rate"];

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "utilization" | "utilisation" | "cpu" => ScalingMetric::Utilization,
            "queue" => ScalingMetric::QueuePerInstance,
            "rate" => ScalingMetric::RatePerInstance,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ScalingMetric::Utilization => "utilization",
            ScalingMetric::QueuePerInstance => "queue",
            ScalingMetric::RatePerInstance => "rate",
        }
    }
}

/// Autoscaling settings of a pool.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Autoscale {
    pub metric: ScalingMetric,
    /// Target value of the metric: a fraction, requests per instance, or [req/s] per instance.
    pub target: f64,
    pub min: u32,
    pub max: u32,
    pub interval: SimDuration,
    pub scale_out_cooldown: SimDuration,
    pub scale_in_cooldown: SimDuration,
    /// Time from the decision to the instance taking traffic.
    pub provisioning: SimDuration,
    /// Time after provisioning during which service is slower.
    pub warmup: SimDuration,
    /// Service times are multiplied by this during the warm-up.
    pub warmup_factor: f64,
}

/// Integral of a level over time, read and reset at each evaluation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Integral {
    level: u64,
    last: SimTime,
    /// [level * ns] since the last [`Integral::take`].
    area: u128,
}

impl Integral {
    pub fn set(&mut self, now: SimTime, level: u64) {
        if now > self.last {
            self.area += u128::from(self.level) * u128::from((now - self.last).as_nanos());
            self.last = now;
        }
        self.level = level;
    }

    /// The area since the previous call [level * ns], then starts again from zero.
    pub fn take(&mut self, now: SimTime) -> u128 {
        self.set(now, self.level);
        std::mem::take(&mut self.area)
    }
}

/// What the pool measured over one evaluation interval.
#[derive(Clone, Copy, Debug, Default)]
pub struct Measured {
    /// Integral of busy workers over in-service, up instances [workers * ns].
    pub busy_area: u128,
    /// Integral of waiting requests [requests * ns].
    pub queue_area: u128,
    /// Integral of in-service, up instances [instances * ns].
    pub serving_area: u128,
    /// Requests that arrived.
    pub arrivals: u64,
}

/// A scaling decision.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub to: u32,
    pub reason: String,
}

impl Autoscale {
    /// The metric's value over the interval, or `None` if no instance was in service.
    pub fn metric_value(&self, m: &Measured, workers: u32) -> Option<f64> {
        if m.serving_area == 0 {
            return None;
        }
        let serving = m.serving_area as f64;
        Some(match self.metric {
            ScalingMetric::Utilization => m.busy_area as f64 / (serving * f64::from(workers)),
            ScalingMetric::QueuePerInstance => m.queue_area as f64 / serving,
            ScalingMetric::RatePerInstance => m.arrivals as f64 / (serving / 1e9),
        })
    }

    /// Decides whether to scale. `in_service` instances took traffic (and were up) at the end of
    /// the interval; `allocated` counts them plus those provisioning; `last_action` is when the
    /// previous scaling action happened.
    pub fn decide(
        &self,
        value: Option<f64>,
        in_service: u32,
        allocated: u32,
        now: SimTime,
        last_action: Option<SimTime>,
    ) -> Option<Decision> {
        let value = value?;
        let wanted = (f64::from(in_service) * value / self.target).ceil();
        // Guard against float noise just above an integer (e.g. 4 * 0.6 / 0.6).
        let wanted = if (wanted - 1.0 - f64::from(in_service) * value / self.target).abs() < 1e-9 {
            wanted - 1.0
        } else {
            wanted
        };
        let desired = (wanted.max(0.0).min(f64::from(u32::MAX)) as u32).clamp(self.min, self.max);
        let since = |cooldown: SimDuration| last_action.is_none_or(|t| now.since(t) >= cooldown);
        let shown = match self.metric {
            ScalingMetric::Utilization => format!(
                "utilization {:.1}% vs target {:.1}%",
                value * 100.0,
                self.target * 100.0
            ),
            ScalingMetric::QueuePerInstance => {
                format!("queue {value:.2}/instance vs target {:.2}", self.target)
            }
            ScalingMetric::RatePerInstance => {
                format!(
                    "rate {value:.1}/s per instance vs target {:.1}/s",
                    self.target
                )
            }
        };
        if desired > allocated && since(self.scale_out_cooldown) {
            Some(Decision {
                to: desired,
                reason: format!("scale out: {shown}"),
            })
        } else if desired < allocated && since(self.scale_in_cooldown) {
            Some(Decision {
                to: desired,
                reason: format!("scale in: {shown}"),
            })
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Autoscale {
        Autoscale {
            metric: ScalingMetric::Utilization,
            target: 0.6,
            min: 2,
            max: 10,
            interval: SimDuration::from_secs(10),
            scale_out_cooldown: SimDuration::from_secs(60),
            scale_in_cooldown: SimDuration::from_secs(300),
            provisioning: SimDuration::from_secs(30),
            warmup: SimDuration::ZERO,
            warmup_factor: 1.0,
        }
    }

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    #[test]
    fn target_tracking_asks_for_the_instances_that_bring_the_metric_to_target() {
        let p = policy();
        // 4 instances at 90%: 4 * 0.9 / 0.6 = 6.
        let d = p.decide(Some(0.9), 4, 4, at(100), None);
        assert_eq!(d.map(|d| d.to), Some(6));
        // At target exactly: no change (no float noise pushing it to 5).
        assert_eq!(p.decide(Some(0.6), 4, 4, at(100), None), None);
        // 50% on 4 stays at 4: ceil(3.33) = 4.
        assert_eq!(p.decide(Some(0.5), 4, 4, at(100), None), None);
        // Idle: down to min.
        assert_eq!(
            p.decide(Some(0.0), 4, 4, at(100), None).map(|d| d.to),
            Some(2)
        );
        // Overload: capped at max.
        assert_eq!(
            p.decide(Some(5.0), 4, 4, at(100), None).map(|d| d.to),
            Some(10)
        );
    }

    #[test]
    fn cooldowns_hold_actions_back() {
        let p = policy();
        assert_eq!(p.decide(Some(0.9), 4, 4, at(100), Some(at(50))), None);
        assert!(p.decide(Some(0.9), 4, 4, at(110), Some(at(50))).is_some());
        assert_eq!(p.decide(Some(0.1), 4, 4, at(300), Some(at(50))), None);
        assert!(p.decide(Some(0.1), 4, 4, at(350), Some(at(50))).is_some());
    }

    #[test]
    fn instances_still_provisioning_count_towards_the_desired_number() {
        let p = policy();
        // 4 serving at 90% want 6; 6 are already allocated: nothing to do.
        assert_eq!(p.decide(Some(0.9), 4, 6, at(100), None), None);
    }

    #[test]
    fn integrals_are_exact_and_reset() {
        let mut i = Integral::default();
        i.set(at(0), 2);
        i.set(at(3), 1);
        assert_eq!(i.take(at(5)), (2 * 3 + 2) * 1_000_000_000);
        assert_eq!(i.take(at(6)), 1_000_000_000);
    }
}
