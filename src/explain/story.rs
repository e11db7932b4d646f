//! The story of a run in time order: traffic changes, scripted failures, reshardings.

use super::words::{possessive, seconds};
use super::written::{Settings, Written};
use crate::model::kind::Kind;
use crate::scenario::raw::{self, OrMap};

/// One event of the story: when, and what.
pub struct Event {
    pub at: f64,
    order: usize,
    pub text: String,
}

/// The scripted events of the scenario, in time order (events at the same time in the order
/// they are written).
pub fn story(scenario: &raw::Scenario) -> Vec<Event> {
    let mut events = Vec::new();
    let mut push = |at: f64, text: String| {
        let order = events.len();
        events.push(Event { at, order, text });
    };
    for t in &scenario.traffic.value {
        let name = possessive(&t.name.value);
        if let Some(OrMap::Map(profile)) = t.rate.as_ref().map(|r| &r.value) {
            match profile {
                raw::RateProfileSpec::Ramp(ramp) => {
                    let raw::RampSpec {
                        from,
                        to,
                        start,
                        end,
                    } = ramp;
                    push(
                        seconds(start.as_ref()),
                        format!(
                            "{name} rate starts ramping from {} to {}",
                            from.written(),
                            to.written()
                        ),
                    );
                    push(
                        seconds(Some(end)),
                        format!("{name} ramp ends at {}", to.written()),
                    );
                }
                raw::RateProfileSpec::Steps(points) | raw::RateProfileSpec::Points(points) => {
                    for p in points {
                        push(
                            seconds(Some(&p.at)),
                            format!("{name} rate is {}", p.rate.written()),
                        );
                    }
                }
                // A daily cycle changes all the time: it is told with the traffic.
                raw::RateProfileSpec::Daily(_) => {}
            }
        }
        for s in t.spikes.iter().flatten() {
            push(
                seconds(Some(&s.at)),
                format!(
                    "{name} rate is multiplied by {} for {}",
                    s.multiplier.written().trim_end_matches('x'),
                    s.duration.written()
                ),
            );
        }
    }
    for f in scenario.failures.iter().flatten() {
        push(seconds(Some(&f.at)), failure(scenario, f));
    }
    for c in &scenario.components.value {
        let raw::ComponentSpec::ShardedDatabase(sd) = c else {
            continue;
        };
        if let Some(r) = &sd.reshard {
            push(
                seconds(Some(&r.value.at)),
                format!(
                    "{} reshards to {} shards; the moved keys are copied while the shards involved slow down",
                    sd.name.value,
                    r.value.to.written()
                ),
            );
        }
    }
    events.sort_by(|a, b| a.at.total_cmp(&b.at).then(a.order.cmp(&b.order)));
    events
}

/// The kind of the component a failure target (`web`, `web[2]`) names.
fn kind_of(scenario: &raw::Scenario, target: &str) -> Option<Kind> {
    let name = target.split('[').next().unwrap_or(target);
    scenario
        .components
        .value
        .iter()
        .find(|c| c.name().value == name)
        .map(raw::ComponentSpec::kind)
}

/// What a crash does to a component, by its kind.
fn crash(scenario: &raw::Scenario, t: &str, lasts: &str) -> String {
    match kind_of(scenario, t) {
        Some(Kind::Database) if !t.contains('[') => format!(
            "the master of {t} crashes ({lasts}): the requests inside it fail, writes fail until a replica is promoted, acknowledged writes not yet replicated are lost"
        ),
        Some(Kind::Cache) => {
            format!("{t} crashes {lasts}: it loses its memory, and comes back empty (cold)")
        }
        Some(Kind::Queue) => format!(
            "the broker {t} crashes {lasts}: publishing fails meanwhile; a non-durable queue loses its messages"
        ),
        Some(Kind::Provider) => format!(
            "the provider {t} has an outage {lasts}: every call to it fails, and what was in progress is not delivered"
        ),
        Some(
            Kind::Database
            | Kind::Traffic
            | Kind::Server
            | Kind::LoadBalancer
            | Kind::ShardedDatabase
            | Kind::RateLimiter
            | Kind::Cdn
            | Kind::Dns
            | Kind::Fanout
            | Kind::IdGenerator
            | Kind::Realtime,
        )
        | None => format!(
            "{t} crashes {lasts}: the requests inside it fail, and calls to it fail until it is back"
        ),
    }
}

/// A scripted failure in words; settings that belong to another kind of failure are listed
/// as written.
fn failure(scenario: &raw::Scenario, f: &raw::FailureSpec) -> String {
    let raw::FailureSpec {
        at,
        lasts,
        crash: crashed,
        slow,
        factor,
        errors,
        fraction,
        partition,
        latency,
        add,
        crash_data_center,
        clock_jump,
        by,
    } = f;
    let mut crashed = crashed.as_ref();
    let mut slow = slow.as_ref();
    let mut factor = factor.as_ref();
    let mut errors = errors.as_ref();
    let mut fraction = fraction.as_ref();
    let mut partition = partition.as_ref();
    let mut latency = latency.as_ref();
    let mut add = add.as_ref();
    let mut crash_data_center = crash_data_center.as_ref();
    let mut clock_jump = clock_jump.as_ref();
    let mut by = by.as_ref();
    let lasts = lasts.as_ref().map_or_else(
        || "until the end".to_string(),
        |d| format!("for {}", d.written()),
    );
    let sides = |s: &[raw::At<raw::Side>]| {
        s.iter()
            .map(Written::written)
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let text = if let Some(t) = crashed.take() {
        crash(scenario, &t.value, &lasts)
    } else if let Some(t) = slow.take() {
        let factor = factor.take().map(Written::written).unwrap_or_default();
        let factor = factor.trim_end_matches('x');
        format!(
            "{} turns slow {lasts}: its service times are multiplied by {factor}",
            t.value
        )
    } else if let Some(t) = errors.take() {
        let fraction = fraction.take().map(Written::written).unwrap_or_default();
        format!(
            "{fraction} of the requests to {} fail at once, {lasts}",
            t.value
        )
    } else if let Some(t) = clock_jump.take() {
        let by = by.take().map(Written::written).unwrap_or_default();
        if by.trim_start().starts_with('-') {
            format!(
                "the clock of {} jumps back by {}: the machine has already issued ids with the timestamps it will read again",
                t.value,
                by.trim_start().trim_start_matches('-')
            )
        } else {
            format!("the clock of {} jumps forward by {by}", t.value)
        }
    } else if let Some(dc) = crash_data_center.take() {
        format!(
            "data center {} goes dark {lasts}: every component in it crashes and loses what it holds",
            dc.value
        )
    } else if let Some(s) = partition.take() {
        format!(
            "the network between {} is cut {lasts}: messages across are dropped (callers find out through their timeouts)",
            sides(&s.value)
        )
    } else if let Some(s) = latency.take() {
        let add = add.take().map(Written::written).unwrap_or_default();
        format!(
            "every message between {} is {add} later, {lasts}",
            sides(&s.value)
        )
    } else {
        // No kind of failure (the validator refuses it): the failure as written.
        Settings::new()
            .with("at", Some(at))
            .with("for", f.lasts.as_ref())
            .with("factor", factor)
            .with("fraction", fraction)
            .with("add", add)
            .with("by", by)
            .flow()
    };
    let rest = Settings::new()
        .with("crash", crashed)
        .with("slow", slow)
        .with("factor", factor)
        .with("errors", errors)
        .with("fraction", fraction)
        .with("partition", partition)
        .with("latency", latency)
        .with("add", add)
        .with("crash_data_center", crash_data_center)
        .with("clock_jump", clock_jump)
        .with("by", by);
    format!("{text}{}", rest.other())
}
