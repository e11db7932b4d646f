//! Health probes as DNS servers and load balancers send them.
//!
//! A probe is a call of the reserved request type [`PROBE_KIND`] that servers answer without
//! queueing or counting it; the prober tags it with [`PROBE_TOKEN`] and the probe's index, sets
//! a timer for its timeout, and one for the next probe.

use super::call::Request;
use super::timer::TimerKind;
use crate::engine::{ComponentId, SimDuration};
use crate::model::{call, ModelSim, Msg};

/// The request type of health probes: servers answer them at once, outside their queues and
/// statistics, if the instance is up, and not at all if it is down.
pub const PROBE_KIND: u16 = u16::MAX;

/// Marks a call's token as a probe's; the low bits hold the probe's index.
pub const PROBE_TOKEN: u64 = 1 << 63;

/// How a prober paces its probes, and which of its own timer kinds it uses for them.
#[derive(Clone, Copy, Debug)]
pub struct ProbeSchedule<K> {
    pub interval: SimDuration,
    pub timeout: SimDuration,
    /// Timer kind that sends the next probe (its `index` is the probe's, `generation` 0).
    pub send_timer: K,
    /// Timer kind that ends a probe unanswered (its `generation` is the probe's sequence).
    pub timeout_timer: K,
}

/// Sends probe `index` (its `sequence`th) to `target` (`instance` of it, or any), from a
/// client in `region`, and sets the timers of its timeout and of the next probe.
#[allow(clippy::too_many_arguments)]
pub fn send<K: TimerKind>(
    sim: &mut ModelSim,
    me: ComponentId,
    target: ComponentId,
    instance: u32,
    region: u16,
    index: usize,
    sequence: u32,
    schedule: ProbeSchedule<K>,
) {
    let request = Request {
        id: 0,
        kind: PROBE_KIND,
        region,
        client: 0,
        key: 0,
        born: sim.now(),
        slot: super::breakdown::NO_SLOT,
    };
    call(
        sim,
        me,
        target,
        PROBE_TOKEN | index as u64,
        request,
        instance,
    );
    sim.schedule_in(
        schedule.timeout,
        me,
        Msg::timer(schedule.timeout_timer, index as u32, sequence),
    );
    sim.schedule_in(
        schedule.interval,
        me,
        Msg::timer(schedule.send_timer, index as u32, 0),
    );
}

/// Sets the timers of the first probe of each of `probes` targets, staggered evenly over one
/// interval so that they do not all leave at once.
pub fn schedule_first<K: TimerKind>(
    sim: &mut ModelSim,
    me: ComponentId,
    probes: usize,
    schedule: ProbeSchedule<K>,
) {
    let n = probes.max(1) as u64;
    for index in 0..probes {
        let offset = SimDuration::from_nanos(schedule.interval.as_nanos() / n * index as u64);
        sim.schedule_in(offset, me, Msg::timer(schedule.send_timer, index as u32, 0));
    }
}
