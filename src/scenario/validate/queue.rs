//! Message queues and their consumers.

use super::checker::*;
use crate::model::queue::{QueueConfig, Scaling};

/// Consumers of one queue: each delivery is tracked individually.
const MAX_CONSUMERS: u64 = 1_000_000;
const MAX_ATTEMPTS: u64 = 1000;

pub(super) fn check_queue(
    c: &mut Checker,
    q: &raw::QueueSpec,
    components: &[raw::ComponentSpec],
) -> Option<QueueConfig> {
    let errors_before = c.errors.len();
    let capacity = match &q.capacity {
        Some(n) => c
            .int_in(
                n,
                "capacity",
                1,
                limits::MAX_QUEUE,
                "leave 'capacity' out for an unbounded queue",
            )
            .map(Some),
        None => Some(None),
    };
    let consumer = c.reference(&q.consumer, "consumer", Use::Among(&[Kind::Server]));
    // Default concurrency: what the consumer pool can serve at once.
    let pool_capacity = components.iter().find_map(|spec| match spec {
        raw::ComponentSpec::Server(s) if s.name.value == q.consumer.value => Some(
            s.instances.as_ref().map_or(1, |n| n.value.max(1))
                * s.workers.as_ref().map_or(1, |n| n.value.max(1)),
        ),
        _ => None,
    });
    let concurrency = match &q.concurrency {
        Some(n) => {
            if let Some(s) = &q.scaling {
                c.error_help(
                    n.loc,
                    "a queue has either a fixed 'concurrency' or 'scaling'",
                    format!(
                        "remove concurrency; scaling starts with min consumers (line {})",
                        s.loc.line
                    ),
                );
            }
            c.int_in(
                n,
                "concurrency",
                1,
                MAX_CONSUMERS,
                "each delivery is tracked individually",
            )
        }
        None => Some(pool_capacity.unwrap_or(1).min(MAX_CONSUMERS)),
    };
    let scaling = match &q.scaling {
        None => Some(None),
        Some(s) => {
            let v = &s.value;
            let why = "each delivery is tracked individually";
            let min = c.int_in(&v.min, "scaling.min", 1, MAX_CONSUMERS, why);
            let max = c.int_in(&v.max, "scaling.max", 1, MAX_CONSUMERS, why);
            if let (Some(min), Some(max)) = (min, max) {
                if max < min {
                    c.error(
                        v.max.loc,
                        format!("scaling.max ({max}) is below scaling.min ({min})"),
                    );
                }
            }
            let per = c.int_in(
                &v.backlog_per_consumer,
                "scaling.backlog_per_consumer",
                1,
                limits::MAX_QUEUE,
                "a consumer per this many waiting messages; use a smaller number",
            );
            let interval = match &v.interval {
                Some(d) => c.positive_duration(d, "scaling.interval"),
                None => Some(SimDuration::from_secs(10)),
            };
            let startup = match &v.startup {
                Some(d) => c.duration(d, "scaling.startup"),
                None => Some(SimDuration::from_secs(10)),
            };
            match (min, max, per, interval, startup) {
                (Some(min), Some(max), Some(per), Some(interval), Some(startup)) => {
                    Some(Some(Scaling {
                        min: min as u32,
                        max: max as u32,
                        backlog_per_consumer: per as u32,
                        interval,
                        startup,
                    }))
                }
                _ => None,
            }
        }
    };
    let visibility_timeout = match &q.visibility_timeout {
        Some(d) => c.positive_duration(d, "visibility_timeout"),
        None => Some(SimDuration::from_secs(30)),
    };
    let max_attempts = match &q.max_attempts {
        Some(n) => c.int_in(
            n,
            "max_attempts",
            1,
            MAX_ATTEMPTS,
            "a message retried this often is better dead-lettered",
        ),
        None => Some(5),
    };
    let retry_backoff = match &q.retry_backoff {
        Some(d) => c.duration(d, "retry_backoff"),
        None => Some(SimDuration::from_secs(1)),
    };
    let max_retry_backoff = match &q.max_retry_backoff {
        Some(d) => c.duration(d, "max_retry_backoff"),
        None => Some(SimDuration::from_secs(60)),
    };
    if c.errors.len() > errors_before {
        return None;
    }
    Some(QueueConfig {
        name: q.name.value.clone(),
        capacity: capacity?.map(|n| n as u32),
        durable: q.durable.unwrap_or(true),
        consumer: consumer?,
        concurrency: concurrency? as u32,
        scaling: scaling?,
        visibility_timeout: visibility_timeout?,
        max_attempts: max_attempts? as u32,
        retry_backoff: retry_backoff?,
        max_retry_backoff: max_retry_backoff?,
        type_names: if c.request_types.len() > 1 {
            c.request_types.keys().cloned().collect()
        } else {
            Vec::new()
        },
    })
}
