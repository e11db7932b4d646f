//! Real-time servers: transports, connection limits, heartbeats, presence and reconnection.

use super::checker::*;
use crate::model::realtime::{Jitter, RealtimeConfig, Transport};

/// Clients are tracked individually (16 bytes each plus a pending timer).
pub const MAX_CLIENTS: u64 = 50_000_000;
/// Instances of one pool of real-time servers (a crash scans every client).
const MAX_INSTANCES: u64 = 10_000;
/// Members of one group: each is a delivery.
const MAX_GROUP: u64 = 100_000;

/// A named choice among `names`, with a suggestion when it is none of them.
fn choice<T>(
    c: &mut Checker,
    at: &At<String>,
    what: &str,
    names: &[&str],
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let parsed = parse(&at.value);
    if parsed.is_none() {
        c.error_help(
            at.loc,
            format!("unknown {what} '{}'", at.value),
            suggestion(&at.value, names.iter().copied()),
        );
    }
    parsed
}

fn optional_duration(
    c: &mut Checker,
    at: Option<&At<Scalar>>,
    what: &str,
    default: Option<SimDuration>,
) -> Result<Option<SimDuration>, ()> {
    match at {
        Some(at) => c.positive_duration(at, what).map(Some).ok_or(()),
        None => Ok(default),
    }
}

pub(super) fn check_realtime(c: &mut Checker, r: &raw::RealtimeSpec) -> Option<RealtimeConfig> {
    let errors_before = c.errors.len();
    let clients = c.int_in(
        &r.clients,
        "clients",
        1,
        MAX_CLIENTS,
        "each client is tracked individually (about 60 bytes with its pending timer)",
    );
    let instances = match &r.instances {
        Some(n) => c.int_in(
            n,
            "instances",
            1,
            MAX_INSTANCES,
            "a crash looks at every client of the pool",
        ),
        None => Some(1),
    };
    let transport = match &r.transport {
        Some(t) => choice(c, t, "transport", &Transport::NAMES, Transport::from_name),
        None => Some(Transport::WebSocket),
    };
    let max_connections = match &r.max_connections {
        Some(n) => c
            .int_in(
                n,
                "max_connections",
                1,
                u64::MAX,
                "leave 'max_connections' out for no limit",
            )
            .map(Some),
        None => Some(None),
    };
    let memory_per_connection = match &r.memory_per_connection {
        Some(m) => c.parse(m, "memory_per_connection", parse_size),
        None => Some(0),
    };
    let service_time = match &r.service_time {
        Some(d) => c.distribution(d, "service_time"),
        None => Some(Distribution::constant(SimDuration::from_nanos(50_000))),
    };
    let connect_time = match &r.connect_time {
        Some(d) => c.distribution(d, "connect_time"),
        None => Some(Distribution::constant(SimDuration::from_millis(1))),
    };
    let heartbeat_interval =
        optional_duration(c, r.heartbeat_interval.as_ref(), "heartbeat_interval", None);
    let heartbeat_loss = match &r.heartbeat_loss {
        Some(f) => c.parse(f, "heartbeat_loss", parse_fraction),
        None => Some(0.0),
    };
    let presence_timeout =
        optional_duration(c, r.presence_timeout.as_ref(), "presence_timeout", None);
    if let (Some(p), None, Some(Transport::WebSocket)) =
        (&r.presence_timeout, &r.heartbeat_interval, transport)
    {
        c.error_help(
            p.loc,
            "presence over websocket needs heartbeats",
            "add heartbeat_interval, e.g. 30s",
        );
    }
    let poll_interval = optional_duration(
        c,
        r.poll_interval.as_ref(),
        "poll_interval",
        Some(SimDuration::from_secs(5)),
    );
    let poll_timeout = optional_duration(
        c,
        r.poll_timeout.as_ref(),
        "poll_timeout",
        Some(SimDuration::from_secs(30)),
    );
    let (mut backoff, mut max_backoff, mut jitter) = (
        Ok(Some(SimDuration::from_secs(1))),
        Ok(Some(SimDuration::from_secs(30))),
        Some(Jitter::Full),
    );
    if let Some(spec) = &r.reconnect {
        let s = &spec.value;
        backoff = optional_duration(
            c,
            s.backoff.as_ref(),
            "reconnect.backoff",
            Some(SimDuration::from_secs(1)),
        );
        max_backoff = optional_duration(
            c,
            s.max_backoff.as_ref(),
            "reconnect.max_backoff",
            Some(SimDuration::from_secs(30)),
        );
        if let Some(j) = &s.jitter {
            jitter = choice(c, j, "reconnect jitter", &["full", "none"], |n| match n {
                "full" => Some(Jitter::Full),
                "none" => Some(Jitter::None),
                _ => None,
            });
        }
        if let (Ok(Some(b)), Ok(Some(m)), Some(at)) = (&backoff, &max_backoff, &s.max_backoff) {
            if m < b {
                c.error(
                    at.loc,
                    "reconnect.max_backoff must be at least reconnect.backoff",
                );
            }
        }
    }
    let group_fraction = match &r.group_fraction {
        Some(f) => c.parse(f, "group_fraction", parse_fraction),
        None => Some(0.0),
    };
    let group_size = match &r.group_size {
        None => Some((2, 100)),
        Some(at) => match &at.value {
            OrMap::Scalar(s) => match s.0.trim().parse::<u64>() {
                Ok(n) if (1..=MAX_GROUP).contains(&n) => Some((n as u32, n as u32)),
                _ => {
                    c.error_help(
                        at.loc,
                        format!("group_size '{}' is not a member count", s.0),
                        format!("a whole number from 1 to {MAX_GROUP}, or {{min: 2, max: 100}}"),
                    );
                    None
                }
            },
            OrMap::Map(m) => {
                let why = "each member is a delivery";
                let min = c.int_in(&m.min, "group_size.min", 1, MAX_GROUP, why);
                let max = c.int_in(&m.max, "group_size.max", 1, MAX_GROUP, why);
                match (min, max) {
                    (Some(min), Some(max)) if min > max => {
                        c.error(m.max.loc, "group_size.max must be at least group_size.min");
                        None
                    }
                    (Some(min), Some(max)) => Some((min as u32, max as u32)),
                    _ => None,
                }
            }
        },
    };
    let store_offline = match &r.offline {
        Some(o) => choice(c, o, "offline policy", &["store", "drop"], |n| match n {
            "store" => Some(true),
            "drop" => Some(false),
            _ => None,
        }),
        None => Some(true),
    };
    let calls: Vec<Option<ComponentId>> = r
        .calls
        .iter()
        .flatten()
        .map(|name| c.reference(name, "call target", Use::Call))
        .collect();
    if c.errors.len() > errors_before {
        return None;
    }
    Some(RealtimeConfig {
        name: r.name.value.clone(),
        clients: clients? as u32,
        instances: instances? as u32,
        transport: transport?,
        max_connections: max_connections?,
        memory_per_connection: memory_per_connection?,
        service_time: service_time?,
        connect_time: connect_time?,
        heartbeat_interval: heartbeat_interval.ok()?,
        heartbeat_loss: heartbeat_loss?,
        presence_timeout: presence_timeout.ok()?,
        poll_interval: poll_interval.ok()??,
        poll_timeout: poll_timeout.ok()??,
        backoff: backoff.ok()??,
        max_backoff: max_backoff.ok()??,
        jitter: jitter?,
        group_fraction: group_fraction?,
        group_size: group_size?,
        store_offline: store_offline?,
        calls: calls.into_iter().collect::<Option<Vec<_>>>()?,
    })
}
