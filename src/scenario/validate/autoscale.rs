//! Autoscaling settings of a server pool.

use super::checker::*;
use crate::model::autoscale::{Autoscale, ScalingMetric};

pub(super) fn check_autoscale(c: &mut Checker, at: &At<raw::AutoscaleSpec>) -> Option<Autoscale> {
    let a = &at.value;
    let errors_before = c.errors.len();
    let metric = match &a.metric {
        None => ScalingMetric::Utilization,
        Some(m) => match ScalingMetric::from_name(&m.value) {
            Some(metric) => metric,
            None => {
                let help = suggestion(&m.value, ScalingMetric::NAMES.iter().copied());
                c.error_help(
                    m.loc,
                    format!("unknown autoscaling metric '{}'", m.value),
                    help,
                );
                return None;
            }
        },
    };
    let target = match metric {
        ScalingMetric::Utilization => c
            .parse(&a.target, "autoscale.target", parse_fraction)
            .filter(|t| {
                let ok = *t > 0.0;
                if !ok {
                    c.error(a.target.loc, "autoscale.target must be above 0%");
                }
                ok
            }),
        ScalingMetric::QueuePerInstance => c
            .parse(&a.target, "autoscale.target", |t| {
                t.trim().parse::<f64>().map_err(|_| {
                    "expected a number of waiting requests per instance, e.g. 5".into()
                })
            })
            .filter(|t| {
                let ok = t.is_finite() && *t > 0.0;
                if !ok {
                    c.error(a.target.loc, "autoscale.target must be a positive number");
                }
                ok
            }),
        ScalingMetric::RatePerInstance => c
            .parse(&a.target, "autoscale.target", parse_rate)
            .filter(|t| {
                let ok = *t > 0.0;
                if !ok {
                    c.error(a.target.loc, "autoscale.target must be a positive rate");
                }
                ok
            }),
    };
    let min = c.int_in(
        &a.min,
        "autoscale.min",
        1,
        limits::MAX_INSTANCES,
        "each instance keeps its own queue and statistics",
    );
    let max = c.int_in(
        &a.max,
        "autoscale.max",
        1,
        limits::MAX_INSTANCES,
        "each instance keeps its own queue and statistics",
    );
    if let (Some(lo), Some(hi)) = (min, max) {
        if hi < lo {
            c.error(
                a.max.loc,
                format!("autoscale.max ({hi}) is below autoscale.min ({lo})"),
            );
        }
    }
    let duration =
        |c: &mut Checker, field: &Option<At<Scalar>>, what: &str, default: u64| match field {
            Some(d) => c.positive_duration(d, what),
            None => Some(SimDuration::from_secs(default)),
        };
    let interval = duration(c, &a.interval, "autoscale.interval", 30);
    let cooldown =
        |c: &mut Checker, field: &Option<At<Scalar>>, what: &str, default: u64| match field {
            Some(d) => c.duration(d, what),
            None => Some(SimDuration::from_secs(default)),
        };
    let scale_out_cooldown = cooldown(c, &a.scale_out_cooldown, "autoscale.scale_out_cooldown", 60);
    let scale_in_cooldown = cooldown(c, &a.scale_in_cooldown, "autoscale.scale_in_cooldown", 300);
    let provisioning = cooldown(c, &a.provisioning, "autoscale.provisioning", 60);
    let warmup = cooldown(c, &a.warmup, "autoscale.warmup", 0);
    let warmup_factor = match &a.warmup_factor {
        Some(f) => {
            if a.warmup.is_none() {
                c.error_help(
                    f.loc,
                    "autoscale.warmup_factor needs a warmup",
                    "e.g. warmup: 2m, warmup_factor: 2x",
                );
            }
            c.parse(f, "autoscale.warmup_factor", parse_multiplier)
        }
        None => Some(2.0),
    };
    if c.errors.len() > errors_before {
        return None;
    }
    Some(Autoscale {
        metric,
        target: target?,
        min: min? as u32,
        max: max? as u32,
        interval: interval?,
        scale_out_cooldown: scale_out_cooldown?,
        scale_in_cooldown: scale_in_cooldown?,
        provisioning: provisioning?,
        warmup: warmup?,
        warmup_factor: warmup_factor?,
    })
}
