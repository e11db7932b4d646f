//! A small, general discrete-event engine.
//!
//! It knows nothing of web architecture: it keeps the clock, the pending events and a list of
//! components, and delivers each event to its target component through one trait. Everything
//! about requests, servers and networks lives in `model/`.

pub mod queue;
pub mod rng;
pub mod time;

pub use queue::{ComponentId, Event, EventQueue, Next};
pub use time::{SimDuration, SimTime};

/// A participant in the simulation. `M` is the message type the model defines, `W` the shared
/// state every component may read and write (request tables, the network, global statistics).
pub trait Component<M, W> {
    /// Called once, at time zero and in component order, before any event is delivered.
    fn start(&mut self, _me: ComponentId, _sim: &mut Sim<M, W>) {}

    /// Delivers one event.
    fn handle(&mut self, me: ComponentId, msg: M, sim: &mut Sim<M, W>);

    /// Called once when the run stops, with the clock at the stop time, so that time-weighted
    /// statistics can be closed.
    fn finish(&mut self, _me: ComponentId, _sim: &mut Sim<M, W>) {}
}

impl<M, W, C: Component<M, W> + ?Sized> Component<M, W> for Box<C> {
    fn start(&mut self, me: ComponentId, sim: &mut Sim<M, W>) {
        (**self).start(me, sim)
    }
    fn handle(&mut self, me: ComponentId, msg: M, sim: &mut Sim<M, W>) {
        (**self).handle(me, msg, sim)
    }
    fn finish(&mut self, me: ComponentId, sim: &mut Sim<M, W>) {
        (**self).finish(me, sim)
    }
}

/// What a component sees while it handles an event: the clock, the scheduler and the shared
/// state.
pub struct Sim<M, W> {
    queue: EventQueue<M>,
    /// The clock. Equals the queue's time while events are delivered; set to the stop time by
    /// [`Engine::run`] when a run stops on its time limit.
    now: SimTime,
    pub world: W,
    stop_requested: bool,
}

impl<M: Copy, W> Sim<M, W> {
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `msg` for `target` at absolute time `at` (clamped to now).
    #[inline(always)]
    pub fn schedule_at(&mut self, at: SimTime, target: ComponentId, msg: M) {
        self.queue.push(at, target, msg);
    }

    /// Schedules `msg` for `target` after `delay`.
    #[inline(always)]
    pub fn schedule_in(&mut self, delay: SimDuration, target: ComponentId, msg: M) {
        self.queue.push(self.now + delay, target, msg);
    }

    /// Asks the engine to stop after the current event.
    pub fn request_stop(&mut self) {
        self.stop_requested = true;
    }

    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// No events were left.
    Drained,
    /// The clock reached the time limit.
    TimeLimit,
    /// A component asked to stop.
    Requested,
    /// The progress callback asked to stop (an interrupt or an outside limit).
    Aborted,
    /// The event limit was reached.
    EventLimit,
}

/// A progress callback: clock, events delivered so far, shared state; `false` stops the run.
pub type ProgressFn<'a, W> = dyn FnMut(SimTime, u64, &W) -> bool + 'a;

/// Limits and hooks for [`Engine::run`].
pub struct RunLimits<'a, W> {
    /// Events after this instant are not delivered.
    pub until: SimTime,
    /// At most this many events are delivered.
    pub max_events: u64,
    /// Called every [`PROGRESS_EVERY`] events with the clock, the events so far and the shared
    /// state; returning `false` stops the run.
    pub progress: Option<&'a mut ProgressFn<'a, W>>,
}

/// How often the progress callback runs, in events.
pub const PROGRESS_EVERY: u64 = 1 << 16;

/// The engine: components, shared state and the run loop. `C` is the component type: a boxed
/// trait object for open-ended models, or an enum for static dispatch.
pub struct Engine<M, W, C> {
    components: Vec<C>,
    sim: Sim<M, W>,
    events: u64,
}

impl<M: Copy, W, C: Component<M, W>> Engine<M, W, C> {
    pub fn new(world: W) -> Self {
        Engine {
            components: Vec::new(),
            sim: Sim {
                queue: EventQueue::new(),
                now: SimTime::ZERO,
                world,
                stop_requested: false,
            },
            events: 0,
        }
    }

    /// Adds a component; ids are given in insertion order.
    pub fn add(&mut self, component: C) -> ComponentId {
        let id = ComponentId(self.components.len() as u32);
        self.components.push(component);
        id
    }

    pub fn component(&self, id: ComponentId) -> &C {
        &self.components[id.index()]
    }

    pub fn components(&self) -> &[C] {
        &self.components
    }

    pub fn world(&self) -> &W {
        &self.sim.world
    }

    pub fn world_mut(&mut self) -> &mut W {
        &mut self.sim.world
    }

    pub fn now(&self) -> SimTime {
        self.sim.now
    }

    /// Events delivered so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Schedules an event from outside the run (tests, scripted timelines).
    pub fn schedule_at(&mut self, at: SimTime, target: ComponentId, msg: M) {
        self.sim.queue.push(at, target, msg);
    }

    /// Starts every component, delivers events until a stop condition holds, then finishes
    /// every component.
    pub fn run(&mut self, mut limits: RunLimits<'_, W>) -> StopReason {
        for (i, c) in self.components.iter_mut().enumerate() {
            c.start(ComponentId(i as u32), &mut self.sim);
        }
        let mut next_progress = PROGRESS_EVERY;
        // The event count at which the progress callback or the event limit is next due: one
        // comparison per event for both.
        let mut next_check = next_progress.min(limits.max_events);
        let reason = loop {
            if self.events >= next_check {
                if self.events >= next_progress {
                    next_progress += PROGRESS_EVERY;
                    if let Some(progress) = limits.progress.as_mut() {
                        if !progress(self.sim.now, self.events, &self.sim.world) {
                            break StopReason::Aborted;
                        }
                    }
                }
                if self.events >= limits.max_events {
                    // The event limit counts only when an event would otherwise be delivered.
                    break match self.sim.queue.peek_time() {
                        None => StopReason::Drained,
                        Some(t) if t > limits.until => {
                            self.sim.now = limits.until;
                            StopReason::TimeLimit
                        }
                        Some(_) => StopReason::EventLimit,
                    };
                }
                next_check = next_progress.min(limits.max_events);
            }
            let event = match self.sim.queue.pop_until(limits.until) {
                Next::Event(event) => event,
                Next::Later => {
                    self.sim.now = limits.until;
                    break StopReason::TimeLimit;
                }
                Next::Empty => break StopReason::Drained,
            };
            self.sim.now = event.time;
            self.events += 1;
            self.components[event.target.index()].handle(event.target, event.msg, &mut self.sim);
            if self.sim.stop_requested {
                break StopReason::Requested;
            }
        };
        for (i, c) in self.components.iter_mut().enumerate() {
            c.finish(ComponentId(i as u32), &mut self.sim);
        }
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what it receives and bounces a countdown back to itself.
    struct Echo {
        log: Vec<(u64, u32)>,
    }

    impl Component<u32, ()> for Echo {
        fn start(&mut self, me: ComponentId, sim: &mut Sim<u32, ()>) {
            sim.schedule_in(SimDuration::from_nanos(10), me, 3);
        }
        fn handle(&mut self, me: ComponentId, msg: u32, sim: &mut Sim<u32, ()>) {
            self.log.push((sim.now().as_nanos(), msg));
            if msg > 0 {
                sim.schedule_in(SimDuration::from_nanos(10), me, msg - 1);
            }
        }
    }

    fn log_of(engine: &Engine<u32, (), Echo>) -> Vec<(u64, u32)> {
        engine.component(ComponentId(0)).log.clone()
    }

    #[test]
    fn runs_until_drained() {
        let mut engine = Engine::<u32, (), Echo>::new(());
        engine.add(Echo { log: vec![] });
        let reason = engine.run(RunLimits {
            until: SimTime::NEVER,
            max_events: u64::MAX,
            progress: None,
        });
        assert_eq!(reason, StopReason::Drained);
        assert_eq!(log_of(&engine), vec![(10, 3), (20, 2), (30, 1), (40, 0)]);
        assert_eq!(engine.events(), 4);
    }

    #[test]
    fn stops_at_the_time_limit_with_the_clock_on_the_limit() {
        let mut engine = Engine::<u32, (), Echo>::new(());
        engine.add(Echo { log: vec![] });
        let until = SimTime::from_nanos(25);
        let reason = engine.run(RunLimits {
            until,
            max_events: u64::MAX,
            progress: None,
        });
        assert_eq!(reason, StopReason::TimeLimit);
        assert_eq!(log_of(&engine), vec![(10, 3), (20, 2)]);
        assert_eq!(engine.now(), until);
    }

    #[test]
    fn stops_after_exactly_max_events() {
        let mut engine = Engine::<u32, (), Echo>::new(());
        engine.add(Echo { log: vec![] });
        let reason = engine.run(RunLimits {
            until: SimTime::NEVER,
            max_events: 2,
            progress: None,
        });
        assert_eq!(reason, StopReason::EventLimit);
        assert_eq!(engine.events(), 2);
        assert_eq!(log_of(&engine), vec![(10, 3), (20, 2)]);
    }

    #[test]
    fn identical_runs_deliver_identical_sequences() {
        let run = || {
            let mut engine = Engine::<u32, (), Echo>::new(());
            engine.add(Echo { log: vec![] });
            engine.add(Echo { log: vec![] });
            engine.run(RunLimits {
                until: SimTime::NEVER,
                max_events: u64::MAX,
                progress: None,
            });
            (log_of(&engine), engine.events())
        };
        assert_eq!(run(), run());
    }
}
