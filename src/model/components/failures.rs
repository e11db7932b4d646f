//! The failure schedule: scripted failures at given times, and random failures drawn from
//! time-to-failure (MTBF) and time-to-repair (MTTR) distributions.
//!
//! The timeline is a component of its own. At each scheduled instant it sends a [`Control`]
//! message to the target, which applies it (a server pool fails the requests inside a crashed
//! instance and refuses new ones until it recovers). With random failures, every instance of
//! the target alternates independently between up (a time to failure drawn from `mtbf`) and down
//! (a repair time drawn from `mttr`): an alternating renewal process whose long-run fraction of
//! time up is MTBF / (MTBF + MTTR). Each (target, purpose) pair has its own random stream.
//!
//! Network faults (a partition or added latency between two sides) are applied by the timeline
//! itself to the shared [`crate::model::support::network::Network`].
//!
//! Test: the fraction of time with at least k of n instances up against the binomial formula in
//! `tests/failures.rs`; network faults in `tests/network_faults.rs`.

use crate::engine::rng::{stream, SimRng};
use crate::engine::{Component, ComponentId, SimDuration, SimTime};
use crate::model::figures::failures::{
    DowntimeFigures, DowntimeInterval, FailureEventFigures, FailuresFigures, ImpactCounts,
    ImpactFigures,
};
use crate::model::support::dist::Distribution;
use crate::model::support::downtime::{Interval, RECOVERY_STREAK};
use crate::model::support::impact::Struck;
use crate::model::support::impact::{Affected, Counts, EventImpact};
use crate::model::support::network::{FaultKind, Place};
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use crate::model::{ComponentReport, Control, ModelSim, Msg, Node, World, ALL_INSTANCES};

/// A failure at a fixed time, undone after `duration` if given.
#[derive(Clone, Debug)]
pub struct ScheduledFailure {
    pub at: SimTime,
    pub duration: Option<SimDuration>,
    pub target: ComponentId,
    pub target_name: String,
    pub instance: u32,
    pub action: FailureAction,
    /// For [`FailureAction::Network`]: the fault and its two sides.
    pub network: Option<NetworkFault>,
}

/// A partition or added latency between two sets of components.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkFault {
    pub kind: FaultKind,
    pub a: Vec<ComponentId>,
    pub b: Vec<ComponentId>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FailureAction {
    Crash,
    Slow {
        factor: f64,
    },
    Errors {
        fraction: f64,
    },
    /// A network fault (the failure's `network` says which); applied by the timeline itself.
    Network,
    /// A data center goes down (its components' crashes are failures of their own); the
    /// timeline marks it in the network, where a DNS sees it.
    DataCenter {
        dc: u16,
    },
    /// A machine's clock jumps by `by_ns` nanoseconds (negative: backwards); instantaneous.
    ClockJump {
        by_ns: i64,
    },
}

impl FailureAction {
    fn start(self, instance: u32) -> Control {
        match self {
            FailureAction::Crash => Control::Crash { instance },
            FailureAction::Slow { factor } => Control::Slow {
                instance,
                factor: factor as f32,
            },
            FailureAction::Errors { fraction } => Control::Errors {
                fraction: fraction as f32,
            },
            FailureAction::ClockJump { by_ns } => Control::ClockJump { instance, by_ns },
            // Never sent: the timeline applies network faults and data centers itself.
            FailureAction::Network | FailureAction::DataCenter { .. } => {
                Control::Errors { fraction: 0.0 }
            }
        }
    }

    fn end(self, instance: u32) -> Control {
        match self {
            FailureAction::Crash => Control::Recover { instance },
            FailureAction::Slow { .. } => Control::Slow {
                instance,
                factor: 1.0,
            },
            // A jump is not undone: the clock stays where it jumped to.
            FailureAction::ClockJump { .. } => Control::ClockJump { instance, by_ns: 0 },
            FailureAction::Errors { .. }
            | FailureAction::Network
            | FailureAction::DataCenter { .. } => Control::Errors { fraction: 0.0 },
        }
    }

    fn name(self) -> &'static str {
        match self {
            FailureAction::Crash => "crash",
            FailureAction::Slow { .. } => "slow",
            FailureAction::Errors { .. } => "errors",
            FailureAction::Network => "network",
            FailureAction::DataCenter { .. } => "crash_data_center",
            FailureAction::ClockJump { .. } => "clock_jump",
        }
    }
}

/// Random crashes and repairs of every instance of a pool.
#[derive(Clone, Debug)]
pub struct RandomFailures {
    pub target: ComponentId,
    pub target_name: String,
    pub instances: u32,
    pub time_to_failure: Distribution,
    pub time_to_repair: Distribution,
}

/// One failure as it happened, for the report.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureEvent {
    pub start: SimTime,
    /// `None` while it was still in effect at the end of the run.
    pub end: Option<SimTime>,
    pub target: String,
    pub instance: Option<u32>,
    pub kind: &'static str,
}

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum FailuresTimer {
        ScheduledStart = 0,
        ScheduledEnd = 1,
        RandomFail = 2,
        RandomRepair = 3,
    }
}

pub struct Timeline {
    scheduled: Vec<ScheduledFailure>,
    random: Vec<RandomFailures>,
    rngs: Vec<SimRng>,
    /// Index in `events` of each scheduled failure's record.
    scheduled_events: Vec<Option<usize>>,
    /// Index in `events` of each random target's open failure, per instance.
    random_open: Vec<Vec<Option<usize>>>,
    events: Vec<FailureEvent>,
    /// Index of each scheduled network fault in the network, set at start.
    network_faults: Vec<Option<usize>>,
    /// Messages partitions dropped, read from the network at the end.
    dropped_messages: u64,
    /// Downtime the clients saw, read from the end-to-end statistics at the end.
    downtime: Vec<Interval>,
    downtime_count: u64,
    downtime_total_s: f64,
}

/// Name under which the timeline appears among the components (not a valid scenario name, so it
/// cannot collide with one).
pub const TIMELINE_NAME: &str = "(failures)";

impl Timeline {
    pub fn new(seed: u64, scheduled: Vec<ScheduledFailure>, random: Vec<RandomFailures>) -> Self {
        let rngs = random
            .iter()
            .map(|r| stream(seed, &r.target_name, "random-failures"))
            .collect();
        let random_open = random
            .iter()
            .map(|r| vec![None; r.instances as usize])
            .collect();
        Timeline {
            scheduled_events: vec![None; scheduled.len()],
            network_faults: vec![None; scheduled.len()],
            dropped_messages: 0,
            downtime: Vec::new(),
            downtime_count: 0,
            downtime_total_s: 0.0,
            scheduled,
            random,
            rngs,
            random_open,
            events: Vec::new(),
        }
    }

    pub fn events(&self) -> &[FailureEvent] {
        &self.events
    }

    fn timer(kind: FailuresTimer, index: usize, instance: u32) -> Msg {
        Msg::timer(kind, index as u32, instance)
    }

    fn schedule_random(
        &mut self,
        me: ComponentId,
        kind: FailuresTimer,
        index: usize,
        instance: u32,
        sim: &mut ModelSim,
    ) {
        if kind == FailuresTimer::RandomFail && sim.world.requests_done() {
            // A request-count run whose requests have all finished: no further failures, or
            // the crash-repair cycle would keep the run from ever ending (see
            // `World::requests_done`).
            return;
        }
        let spec = &self.random[index];
        let law = if kind == FailuresTimer::RandomFail {
            &spec.time_to_failure
        } else {
            &spec.time_to_repair
        };
        let delay = law.sample(&mut self.rngs[index]);
        sim.schedule_in(delay, me, Self::timer(kind, index, instance));
    }
}

impl Component<Msg, World> for Timeline {
    fn start(&mut self, me: ComponentId, sim: &mut ModelSim) {
        for (i, failure) in self.scheduled.iter().enumerate() {
            if let Some(n) = &failure.network {
                self.network_faults[i] = Some(sim.world.network.add_fault(n.kind, &n.a, &n.b));
            }
            sim.schedule_at(
                failure.at,
                me,
                Self::timer(FailuresTimer::ScheduledStart, i, 0),
            );
        }
        for index in 0..self.random.len() {
            for instance in 0..self.random[index].instances {
                self.schedule_random(me, FailuresTimer::RandomFail, index, instance, sim);
            }
        }
    }

    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        let Event::Timer {
            kind,
            index,
            generation: instance,
        } = msg.typed::<FailuresTimer>()
        else {
            return;
        };
        let index = index as usize;
        let now = sim.now();
        match kind {
            FailuresTimer::ScheduledStart => {
                let Some(f) = self.scheduled.get(index) else {
                    return;
                };
                match (self.network_faults[index], f.action) {
                    (Some(fault), _) => sim.world.network.set_fault(fault, true),
                    (None, FailureAction::DataCenter { dc }) => {
                        sim.world.network.set_data_center_down(dc, true)
                    }
                    (None, _) => {
                        sim.schedule_at(now, f.target, Msg::Control(f.action.start(f.instance)))
                    }
                }
                if let Some(d) = f.duration {
                    sim.schedule_in(d, me, Self::timer(FailuresTimer::ScheduledEnd, index, 0));
                }
                self.scheduled_events[index] = Some(self.events.len());
                if let Some(impact) = sim.world.impact.as_mut() {
                    let network = &sim.world.network;
                    let (struck, sides) = match (&f.network, f.action) {
                        (Some(n), _) => (Struck::NetworkFault(index), Some(n)),
                        (None, FailureAction::DataCenter { dc }) => (Struck::DataCenter(dc), None),
                        (None, _) => (Struck::Component(f.target), None),
                    };
                    impact.begin(now, struck, || match (sides, struck) {
                        (Some(n), _) => n.a.iter().chain(&n.b).copied().collect(),
                        (None, Struck::DataCenter(dc)) => (0..network.components())
                            .map(|i| ComponentId(i as u32))
                            .filter(|&c| {
                                matches!(network.place(c), Place::DataCenter { dc: d, .. } if d == dc)
                            })
                            .collect(),
                        _ => Vec::new(),
                    });
                    if matches!(f.action, FailureAction::ClockJump { .. }) {
                        // Instantaneous: what it did later is not "while it was in effect".
                        impact.end(self.events.len(), now);
                    }
                }
                self.events.push(FailureEvent {
                    start: now,
                    end: None,
                    target: f.target_name.clone(),
                    instance: (f.instance != ALL_INSTANCES).then_some(f.instance),
                    kind: match &f.network {
                        Some(NetworkFault {
                            kind: FaultKind::Partition,
                            ..
                        }) => "partition",
                        Some(_) => "latency",
                        None => f.action.name(),
                    },
                });
            }
            FailuresTimer::ScheduledEnd => {
                let Some(f) = self.scheduled.get(index) else {
                    return;
                };
                match (self.network_faults[index], f.action) {
                    (Some(fault), _) => sim.world.network.set_fault(fault, false),
                    (None, FailureAction::DataCenter { dc }) => {
                        sim.world.network.set_data_center_down(dc, false)
                    }
                    (None, _) => {
                        sim.schedule_at(now, f.target, Msg::Control(f.action.end(f.instance)))
                    }
                }
                if let Some(i) = self.scheduled_events[index] {
                    if let Some(e) = self.events.get_mut(i) {
                        e.end = Some(now);
                    }
                    if let Some(impact) = sim.world.impact.as_mut() {
                        impact.end(i, now);
                    }
                }
            }
            FailuresTimer::RandomFail => {
                let Some(spec) = self.random.get(index) else {
                    return;
                };
                // An autoscaled pool's slot without an instance in service has nothing to
                // fail: draw the next time to failure instead (memoryless for exponential
                // laws, so in-service instances still fail at the MTBF rate).
                if !sim.world.membership.accepts(spec.target, instance) {
                    self.schedule_random(me, FailuresTimer::RandomFail, index, instance, sim);
                    return;
                }
                sim.schedule_at(now, spec.target, Msg::Control(Control::Crash { instance }));
                self.random_open[index][instance as usize] = Some(self.events.len());
                if let Some(impact) = sim.world.impact.as_mut() {
                    impact.begin(now, Struck::Component(spec.target), Vec::new);
                }
                self.events.push(FailureEvent {
                    start: now,
                    end: None,
                    target: spec.target_name.clone(),
                    instance: Some(instance),
                    kind: "crash",
                });
                self.schedule_random(me, FailuresTimer::RandomRepair, index, instance, sim);
            }
            FailuresTimer::RandomRepair => {
                let Some(spec) = self.random.get(index) else {
                    return;
                };
                sim.schedule_at(
                    now,
                    spec.target,
                    Msg::Control(Control::Recover { instance }),
                );
                if let Some(e) = self.random_open[index][instance as usize].take() {
                    self.events[e].end = Some(now);
                    if let Some(impact) = sim.world.impact.as_mut() {
                        impact.end(e, now);
                    }
                }
                self.schedule_random(me, FailuresTimer::RandomFail, index, instance, sim);
            }
        }
    }

    fn finish(&mut self, _me: ComponentId, sim: &mut ModelSim) {
        self.dropped_messages = sim.world.network.dropped();
        let downtime = &sim.world.end_to_end.downtime;
        self.downtime = downtime.intervals();
        self.downtime_count = downtime.count();
        self.downtime_total_s = downtime.total_secs(sim.now());
    }
}

impl Timeline {
    /// The impact figures of event `index`, from the tracker.
    fn impact_of(
        impacts: &[EventImpact],
        type_names: &[String],
        index: usize,
        slow_counted: bool,
    ) -> ImpactFigures {
        let Some(i) = impacts.get(index) else {
            return ImpactFigures::default();
        };
        let total = |row: &Counts| ImpactCounts {
            affected: row.iter().sum(),
            failed: row[Affected::Failed as usize],
            rejected: row[Affected::Rejected as usize],
            timed_out: row[Affected::TimedOut as usize],
            slow: slow_counted.then_some(row[Affected::Slow as usize]),
        };
        let mut all: Counts = [0; 4];
        for row in &i.by_type {
            for (a, x) in all.iter_mut().zip(row) {
                *a += x;
            }
        }
        let secs = |t: SimTime| t.as_secs_f64();
        ImpactFigures {
            counts: total(&all),
            first_s: i.first.map(secs),
            last_s: i.last.map(secs),
            by_type: type_names
                .iter()
                .zip(&i.by_type)
                .map(|(name, row)| (name.clone(), total(row)))
                .collect(),
        }
    }

    /// The downtime a failure caused: the first interval that started while it was in effect.
    fn downtime_of(&self, e: &FailureEvent, end: SimTime) -> Option<Interval> {
        let until = e.end.unwrap_or(end);
        self.downtime
            .iter()
            .find(|d| d.start >= e.start && d.start <= until)
            .copied()
    }
}

impl Node for Timeline {
    fn name(&self) -> &str {
        TIMELINE_NAME
    }

    fn report(&self, end: SimTime) -> ComponentReport {
        self.report_in(end, None)
    }

    fn report_in(&self, end: SimTime, world: Option<&World>) -> ComponentReport {
        let tracker = world.and_then(|w| w.impact.as_deref());
        let impacts = tracker.map(|t| t.impacts()).unwrap_or_default();
        let type_names = tracker.map(|t| t.type_names()).unwrap_or_default();
        let slow_counted = tracker.is_some_and(|t| t.counts_slow());
        let mut report = ComponentReport::failure_timeline(
            TIMELINE_NAME,
            &crate::model::RequestStats::new(crate::model::StatsClock {
                warmup_end: SimTime::ZERO,
                window_ns: 1,
            }),
        );
        let secs = |t: SimTime| t.as_secs_f64();
        let events = self
            .events
            .iter()
            .enumerate()
            .map(|(index, e)| {
                let seen = self.downtime_of(e, end);
                FailureEventFigures {
                    kind: e.kind.to_string(),
                    target: e.target.clone(),
                    instance: e.instance.map(u64::from),
                    start_s: secs(e.start),
                    end_s: e.end.map(secs),
                    duration_s: e.end.unwrap_or(end).since(e.start).as_secs_f64(),
                    observed_downtime_s: seen
                        .map(|d| d.end.unwrap_or(end).since(d.start).as_secs_f64()),
                    time_to_recover_s: seen
                        .and_then(|d| d.end)
                        .map(|t| t.since(e.start).as_secs_f64()),
                    impact: Self::impact_of(&impacts, type_names, index, slow_counted),
                }
            })
            .collect();
        let intervals = self
            .downtime
            .iter()
            .map(|d| DowntimeInterval {
                start_s: secs(d.start),
                end_s: d.end.map(secs),
                duration_s: d.end.unwrap_or(end).since(d.start).as_secs_f64(),
                unsuccessful_requests: d.failed,
            })
            .collect();
        report.figures = crate::model::figures::Figures::Failures(Box::new(FailuresFigures {
            downtime: DowntimeFigures {
                intervals,
                count: self.downtime_count,
                total_s: self.downtime_total_s,
                recovery_streak: u64::from(RECOVERY_STREAK),
            },
            events,
        }));
        if self.network_faults.iter().any(Option::is_some) {
            report
                .lost
                .insert("messages_dropped_by_partitions", self.dropped_messages);
        }
        report
    }
}
