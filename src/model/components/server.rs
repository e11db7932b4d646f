//! Server pool: `instances` identical machines, each with `workers` concurrent workers and a FIFO
//! queue of at most `queue_capacity` waiting requests (unbounded if none).
//!
//! A request takes a worker for its service time [drawn per request type], then makes the
//! type's downstream calls one after the other (a web server reading its database), holding the
//! worker while it waits, as a thread-per-request server does. It succeeds if every call does;
//! otherwise it ends with the first failing call's outcome. A request that finds every worker busy
//! and the queue full is rejected. With a `timeout`, a request not finished that long after it
//! arrived is answered "timed out": if it was still queued it leaves the queue; if it was being
//! served, the worker finishes its current step and makes no further calls.
//!
//! A step may also be a cache-aside step (`crate::model::components::cache::aside`): read the cache, on a miss
//! read the store and fill the cache; write the store, then invalidate the cache.
//!
//! Calls that name an instance (from a load balancer) go there; others are spread round-robin
//! over the instances that are up. An instance that is down answers "failed" at once, like a
//! refused connection.
//!
//! With `autoscale` (see `crate::model::support::autoscale`) the pool holds up to `max` instance slots; a slot
//! is absent, provisioning, in service or draining. Only instances in service take new
//! requests (load balancers skip the others, through `World::membership`); a draining one
//! finishes what it holds. Utilisation is measured against the workers of the instances that
//! existed (in service or draining) over time.
//!
//! With `call_timeout`, a plain downstream call not answered in time is abandoned and the
//! request ends "timed out", freeing its worker. With `circuit_breaker` (see `crate::model::support::breaker`),
//! each plain downstream call target has a breaker; while it is open, calls to it fail at once.
//!
//! With `sessions` (see `crate::model::support::sessions`), each request uses its client's session: in the
//! memory of the instance (lost when it crashes) or in a shared store, read before the
//! request's other calls.
//!
//! Theory tests: M/M/1, M/M/c (Erlang C), M/D/1 (Pollaczek-Khinchine), M/M/1/K blocking and a
//! Jackson tandem in `tests/queueing_theory.rs`.

use crate::model::figures::server::{
    AutoscaleFigures, BreakerFigures, BreakerTransition, InstanceFigures, ScalingEventFigures,
    ServerFigures,
};
use crate::model::kind::Kind;
use std::collections::VecDeque;

use indexmap::IndexMap;
use rand::Rng;

use crate::engine::rng::SimRng;
use crate::engine::{Component, ComponentId, SimDuration, SimTime};
use crate::model::components::cache::aside::{AsideReply, CacheAside, Progress};
use crate::model::support::autoscale::{Autoscale, Integral, Measured};
use crate::model::support::breaker::{Breaker, CircuitBreakers};
use crate::model::support::call::{CallDetail, CallHandle, CallId, ANY_INSTANCE};
use crate::model::support::dist::Distribution;
use crate::model::support::slab::{Generational, Slab};
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use crate::model::{
    call, reply, take_reply, ComponentReport, ModelSim, Msg, Node, NodeStats, WindowSeries, World,
};
use crate::stats::{LevelTracker, Outcome};

/// One downstream step of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A call to a component.
    Call(ComponentId),
    /// Cache-aside: the cache, then on a miss the store and a fill (see `cache::aside`).
    CacheAside(CacheAside),
}

/// What one request type costs on this pool.
#[derive(Clone, Debug)]
pub struct RequestProfile {
    pub service_time: Distribution,
    /// Downstream steps, in order, after the service time.
    pub calls: Vec<Step>,
    /// A successful answer is a permanent redirect (301) the client may keep this long
    /// (`SimDuration::MAX`: for ever); see `crate::model::support::client_cache`. `None` for any other answer
    /// (a 302 included: it is never cached).
    pub client_cache_for: Option<SimDuration>,
}

#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub name: String,
    pub instances: u32,
    pub workers: u32,
    pub queue_capacity: Option<u32>,
    /// Indexed by request type.
    pub profiles: Vec<RequestProfile>,
    pub timeout: Option<SimDuration>,
    /// Target-tracking autoscaling; `instances` is then the initial number.
    pub autoscale: Option<Autoscale>,
    /// A plain downstream call not answered within this is abandoned ("timed out").
    pub call_timeout: Option<SimDuration>,
    pub circuit_breakers: Option<CircuitBreakers>,
    /// Where users' sessions live (`None`: the pool keeps no sessions).
    pub sessions: Option<crate::model::support::sessions::SessionsConfig>,
}

/// Pools up to this size report the fraction of time with at least k instances up, for every k.
const MAX_INSTANCES_FOR_UP_FRACTIONS: u32 = 64;

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum ServerTimer {
        ServiceDone = 0,
        Deadline = 1,
        Evaluate = 2,
        /// `index` is the instance slot, `generation` its allocation number.
        Provisioned = 3,
        /// `index` and `generation` are the downstream call's handle.
        CallTimeout = 4,
    }
}

/// Where an instance slot is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    /// No machine (an autoscaled pool's unused slot).
    Absent,
    /// Booting: takes no traffic yet.
    Provisioning,
    /// Takes traffic.
    InService,
    /// Takes no new request; leaves when empty.
    Draining,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobState {
    Queued,
    Running,
    Free,
}

/// A request inside the pool.
#[derive(Clone, Debug)]
struct Job {
    generation: u32,
    state: JobState,
    upstream: CallId,
    kind: u16,
    instance: u32,
    arrived: SimTime,
    next_call: u16,
    /// Already answered "timed out"; the worker stops after its current step.
    timed_out: bool,
    /// Where the request stands with its session in a shared store.
    session: SessionStep,
}

impl Generational for Job {
    fn generation_mut(&mut self) -> &mut u32 {
        &mut self.generation
    }
    fn set_free(&mut self) {
        self.state = JobState::Free;
    }
}

/// A request's session read from a shared store, before its other calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SessionStep {
    /// To be read before the first call.
    Pending,
    /// Waiting for the store's answer to the read.
    Get,
    /// A login: waiting for the store to take the new session.
    Fill,
    /// Nothing (more) to do.
    Done,
}

struct Instance {
    up: bool,
    busy: u32,
    /// Queued jobs as (index, generation); entries whose job has left are skipped lazily.
    waiting: VecDeque<(u32, u32)>,
    queued: u32,
    requests: u64,
    /// Busy workers of this instance over time; kept only when the pool has several instances
    /// (otherwise it would equal the pool's).
    busy_level: Option<LevelTracker>,
    /// Service times are multiplied by this (a slow node).
    slowdown: f64,
    life: Life,
    /// Allocation number of the slot, so a stale provisioning timer is recognised.
    allocation: u32,
    /// Service is slower (autoscaling warm-up) until this instant.
    warm_until: SimTime,
    /// Autoscaled pools: 1 while the instance exists, for its utilisation.
    present_level: Option<LevelTracker>,
}

impl Instance {
    /// Exists and holds workers (in service or draining).
    fn present(&self) -> bool {
        matches!(self.life, Life::InService | Life::Draining)
    }
}

/// A scaling action, for the report.
#[derive(Clone, Debug)]
struct ScalingEvent {
    time: SimTime,
    from: u32,
    to: u32,
    reason: String,
}

/// The autoscaler's state.
struct Scaler {
    policy: Autoscale,
    busy: Integral,
    queue: Integral,
    /// In-service instances that are up.
    serving: Integral,
    arrivals: u64,
    /// Instances draining now.
    draining: u32,
    last_action: Option<SimTime>,
    events: Vec<ScalingEvent>,
    /// Instances in service over time, for the report.
    in_service: LevelTracker,
    /// Workers of the instances that exist, over time (the capacity utilisation is out of).
    capacity: LevelTracker,
}

pub struct ServerPool {
    config: ServerConfig,
    instances: Vec<Instance>,
    jobs: Slab<Job>,
    service_rng: SimRng,
    next_instance: usize,
    stats: NodeStats,
    warmup_end: SimTime,
    /// Fraction of arriving requests that fail at once (an injected fault).
    error_fraction: f64,
    error_rng: SimRng,
    /// Requests inside an instance when it crashed, answered "failed".
    lost_in_crashes: u64,
    crashes: u64,
    /// Instances up over time.
    up: LevelTracker,
    scaler: Option<Scaler>,
    /// One breaker per downstream target: (target, its name, breaker).
    breakers: Vec<(ComponentId, String, Breaker)>,
    /// Breakers open over time.
    breakers_open: LevelTracker,
    /// Downstream calls abandoned after `call_timeout`.
    call_timeouts: u64,
    sessions: Option<crate::model::support::sessions::Sessions>,
}

fn token(index: u32, generation: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(index)
}

fn untoken(token: u64) -> (u32, u32) {
    (token as u32, (token >> 32) as u32)
}

impl ServerPool {
    pub fn new(
        config: ServerConfig,
        service_rng: SimRng,
        error_rng: SimRng,
        world: &World,
    ) -> Self {
        let clock = world.clock;
        let slots = config.autoscale.map_or(config.instances, |a| a.max);
        let autoscaled = config.autoscale.is_some();
        let instances = (0..slots)
            .map(|i| Instance {
                up: true,
                busy: 0,
                waiting: VecDeque::new(),
                queued: 0,
                requests: 0,
                busy_level: (slots > 1).then(|| LevelTracker::without_windows(clock.warmup_end)),
                slowdown: 1.0,
                life: if i < config.instances {
                    Life::InService
                } else {
                    Life::Absent
                },
                allocation: 0,
                warm_until: SimTime::ZERO,
                present_level: autoscaled.then(|| {
                    let mut l = LevelTracker::without_windows(clock.warmup_end);
                    l.set(SimTime::ZERO, u64::from(i < config.instances));
                    l
                }),
            })
            .collect();
        let capacity = u64::from(config.instances) * u64::from(config.workers);
        let mut up = LevelTracker::new(clock.warmup_end, clock.window_ns);
        if slots <= MAX_INSTANCES_FOR_UP_FRACTIONS {
            up = up.with_time_at_level(u64::from(slots));
        }
        up.set(SimTime::ZERO, u64::from(config.instances));
        let scaler = config.autoscale.map(|policy| {
            let mut in_service = LevelTracker::new(clock.warmup_end, clock.window_ns);
            in_service.set(SimTime::ZERO, u64::from(config.instances));
            let mut capacity = LevelTracker::new(clock.warmup_end, clock.window_ns);
            capacity.set(SimTime::ZERO, capacity_of(config.instances, config.workers));
            let mut serving = Integral::default();
            serving.set(SimTime::ZERO, u64::from(config.instances));
            Scaler {
                policy,
                busy: Integral::default(),
                queue: Integral::default(),
                serving,
                arrivals: 0,
                draining: 0,
                last_action: None,
                events: Vec::new(),
                in_service,
                capacity,
            }
        });
        let breakers = config
            .circuit_breakers
            .iter()
            .flat_map(|b| {
                b.targets
                    .iter()
                    .map(|(id, name)| (*id, name.clone(), Breaker::new(b.policy)))
            })
            .collect();
        let sessions = config.sessions.clone().map(|c| {
            crate::model::support::sessions::Sessions::new(c, clock.warmup_end, clock.window_ns)
        });
        ServerPool {
            config,
            instances,
            jobs: Slab::default(),
            service_rng,
            next_instance: 0,
            stats: NodeStats::new(clock, capacity),
            warmup_end: clock.warmup_end,
            error_fraction: 0.0,
            error_rng,
            lost_in_crashes: 0,
            crashes: 0,
            up,
            scaler,
            breakers,
            breakers_open: LevelTracker::new(clock.warmup_end, clock.window_ns),
            call_timeouts: 0,
            sessions,
        }
    }

    fn breaker(&mut self, target: ComponentId) -> Option<&mut Breaker> {
        self.breakers
            .iter_mut()
            .find(|(id, _, _)| *id == target)
            .map(|(_, _, b)| b)
    }

    fn count_open_breakers(&mut self, now: SimTime) {
        let open = self.breakers.iter().filter(|(_, _, b)| b.is_open()).count() as u64;
        if open != self.breakers_open.level() {
            self.breakers_open.set(now, open);
        }
    }

    /// Counts a downstream call's outcome in its target's breaker, if it has one.
    fn breaker_record(&mut self, target: ComponentId, success: bool, now: SimTime) {
        if let Some(b) = self.breaker(target) {
            b.record(now, success);
            self.count_open_breakers(now);
        }
    }

    /// Recounts the instances up, in service and present after a change of state.
    fn count_up(&mut self, now: SimTime) {
        let up = self
            .instances
            .iter()
            .filter(|i| i.up && i.present())
            .count() as u64;
        self.up.set(now, up);
        if let Some(scaler) = &mut self.scaler {
            let in_service = self
                .instances
                .iter()
                .filter(|i| i.life == Life::InService)
                .count() as u64;
            let serving_up = self
                .instances
                .iter()
                .filter(|i| i.life == Life::InService && i.up)
                .count() as u64;
            let present = self.instances.iter().filter(|i| i.present()).count() as u32;
            scaler.in_service.set(now, in_service);
            scaler.serving.set(now, serving_up);
            scaler
                .capacity
                .set(now, capacity_of(present, self.config.workers));
            for instance in &mut self.instances {
                let present = u64::from(instance.present());
                if let Some(level) = &mut instance.present_level {
                    level.set(now, present);
                }
            }
        }
    }

    /// Feeds the autoscaler's integrals after the busy or queue level changed.
    /// The metric is of the instances in service: draining ones' work is left out (summed only
    /// while some instance is draining, which is rare and short).
    fn note_load(&mut self, now: SimTime) {
        let Some(scaler) = &mut self.scaler else {
            return;
        };
        let (mut busy, mut queue) = (self.stats.busy.level(), self.stats.queue.level());
        if scaler.draining > 0 {
            for i in self.instances.iter().filter(|i| i.life == Life::Draining) {
                busy = busy.saturating_sub(u64::from(i.busy));
                queue = queue.saturating_sub(u64::from(i.queued));
            }
        }
        scaler.busy.set(now, busy);
        scaler.queue.set(now, queue);
    }

    /// Tells load balancers whether instance `i` takes new requests.
    fn publish(&self, me: ComponentId, i: usize, sim: &mut ModelSim) {
        let member = self.instances[i].life == Life::InService;
        sim.world.membership.set(me, i as u32, member);
    }

    /// One evaluation of the autoscaling policy.
    fn evaluate(&mut self, me: ComponentId, sim: &mut ModelSim) {
        if sim.world.requests_done() {
            // A request-count run whose requests have all finished: the pool keeps its size
            // while the work under way drains, and evaluating on would keep the run from ever
            // ending (see `World::requests_done`).
            return;
        }
        let now = sim.now();
        let workers = self.config.workers;
        let in_service_up = self
            .instances
            .iter()
            .filter(|i| i.life == Life::InService && i.up)
            .count() as u32;
        let allocated = self
            .instances
            .iter()
            .filter(|i| matches!(i.life, Life::InService | Life::Provisioning))
            .count() as u32;
        let Some(scaler) = &mut self.scaler else {
            return;
        };
        let measured = Measured {
            busy_area: scaler.busy.take(now),
            queue_area: scaler.queue.take(now),
            serving_area: scaler.serving.take(now),
            arrivals: std::mem::take(&mut scaler.arrivals),
        };
        let policy = scaler.policy;
        sim.schedule_in(policy.interval, me, Msg::timer(ServerTimer::Evaluate, 0, 0));
        let value = policy.metric_value(&measured, workers);
        let Some(decision) =
            policy.decide(value, in_service_up, allocated, now, scaler.last_action)
        else {
            return;
        };
        scaler.last_action = Some(now);
        scaler.events.push(ScalingEvent {
            time: now,
            from: allocated,
            to: decision.to,
            reason: decision.reason,
        });
        if decision.to > allocated {
            self.scale_out(me, decision.to - allocated, sim);
        } else {
            self.scale_in(me, allocated - decision.to, sim);
        }
        self.count_up(now);
    }

    fn scale_out(&mut self, me: ComponentId, count: u32, sim: &mut ModelSim) {
        let Some(policy) = self.scaler.as_ref().map(|s| s.policy) else {
            return;
        };
        let mut left = count;
        for i in 0..self.instances.len() {
            if left == 0 {
                break;
            }
            let instance = &mut self.instances[i];
            if instance.life != Life::Absent {
                continue;
            }
            left -= 1;
            instance.life = Life::Provisioning;
            instance.up = true;
            instance.slowdown = 1.0;
            instance.allocation = instance.allocation.wrapping_add(1);
            sim.schedule_in(
                policy.provisioning,
                me,
                Msg::timer(ServerTimer::Provisioned, i as u32, instance.allocation),
            );
        }
    }

    /// Cancels instances still provisioning, then drains instances in service (down ones
    /// first), highest-numbered first.
    fn scale_in(&mut self, me: ComponentId, count: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let mut left = count;
        let order: [fn(&Instance) -> bool; 3] = [
            |i| i.life == Life::Provisioning,
            |i| i.life == Life::InService && !i.up,
            |i| i.life == Life::InService,
        ];
        for pick in order {
            for i in (0..self.instances.len()).rev() {
                if left == 0 {
                    return;
                }
                if !pick(&self.instances[i]) {
                    continue;
                }
                left -= 1;
                if self.instances[i].life == Life::Provisioning {
                    self.instances[i].life = Life::Absent;
                } else {
                    self.instances[i].life = Life::Draining;
                    if let Some(scaler) = &mut self.scaler {
                        scaler.draining += 1;
                    }
                    self.note_load(now);
                    self.publish(me, i, sim);
                    self.retire_if_empty(i, now);
                }
            }
        }
    }

    /// A draining instance with nothing left inside leaves the pool.
    fn retire_if_empty(&mut self, i: usize, now: SimTime) {
        let instance = &mut self.instances[i];
        if instance.life == Life::Draining && instance.busy == 0 && instance.queued == 0 {
            instance.life = Life::Absent;
            if let Some(sessions) = &mut self.sessions {
                sessions.instance_lost(i as u32, now);
            }
            if let Some(scaler) = &mut self.scaler {
                scaler.draining -= 1;
            }
            instance.waiting.clear();
            self.count_up(now);
        }
    }

    fn on_provisioned(&mut self, me: ComponentId, i: usize, allocation: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let Some(policy) = self.scaler.as_ref().map(|s| s.policy) else {
            return;
        };
        let Some(instance) = self.instances.get_mut(i) else {
            return;
        };
        if instance.life != Life::Provisioning || instance.allocation != allocation {
            return;
        }
        instance.life = Life::InService;
        instance.warm_until = now + policy.warmup;
        self.publish(me, i, sim);
        self.count_up(now);
    }

    /// The instances a control message addresses.
    fn addressed(&self, instance: u32) -> std::ops::Range<usize> {
        if instance == crate::model::ALL_INSTANCES {
            0..self.instances.len()
        } else {
            let i = (instance as usize).min(self.instances.len());
            i..(i + 1).min(self.instances.len())
        }
    }

    fn on_control(&mut self, control: crate::model::Control, sim: &mut ModelSim) {
        use crate::model::Control;
        match control {
            Control::Crash { instance } => {
                for i in self.addressed(instance) {
                    self.crash_instance(i, sim);
                }
                self.count_up(sim.now());
            }
            Control::Recover { instance } => {
                for i in self.addressed(instance) {
                    self.instances[i].up = true;
                }
                self.count_up(sim.now());
            }
            Control::Slow { instance, factor } => {
                for i in self.addressed(instance) {
                    self.instances[i].slowdown = f64::from(factor);
                }
            }
            Control::Errors { fraction } => self.error_fraction = f64::from(fraction),
            Control::ClockJump { .. } => {}
        }
    }

    /// Stops instance `i`: every request inside it (served or queued) is answered "failed" and
    /// counted as lost; its workers and queue are emptied. Downstream calls it had made still
    /// complete, but their replies find no job and are dropped.
    fn crash_instance(&mut self, i: usize, sim: &mut ModelSim) {
        let now = sim.now();
        if !self.instances[i].up || self.instances[i].life == Life::Absent {
            return;
        }
        if self.instances[i].life == Life::Provisioning {
            // A machine still booting just fails to come up healthy.
            self.instances[i].up = false;
            return;
        }
        self.crashes += 1;
        for index in 0..self.jobs.len() {
            let job = &self.jobs[index];
            if job.state == JobState::Free || job.instance as usize != i {
                continue;
            }
            let (upstream, arrived, already_answered) = (job.upstream, job.arrived, job.timed_out);
            self.free_job(index as u32);
            if !already_answered {
                self.lost_in_crashes += 1;
                self.stats.requests.finish(arrived, now, Outcome::Failed);
                reply(sim, upstream, Outcome::Failed);
            }
        }
        if let Some(sessions) = &mut self.sessions {
            sessions.instance_lost(i as u32, now);
        }
        let instance = &mut self.instances[i];
        let (busy, queued) = (u64::from(instance.busy), u64::from(instance.queued));
        instance.up = false;
        instance.busy = 0;
        instance.queued = 0;
        instance.waiting.clear();
        if let Some(level) = &mut instance.busy_level {
            level.set(now, 0);
        }
        self.stats.busy.set(now, self.stats.busy.level() - busy);
        self.stats.queue.set(now, self.stats.queue.level() - queued);
        self.note_load(now);
        self.retire_if_empty(i, now);
    }

    /// The instance a call goes to: the one a load balancer named (if it still exists: a
    /// draining one finishes calls routed to it before it started draining), or the next one
    /// in service and up.
    fn pick_instance(&mut self, hint: u32) -> Option<usize> {
        let n = self.instances.len();
        if hint != ANY_INSTANCE && (hint as usize) < n {
            return Some(hint as usize).filter(|&i| self.instances[i].present());
        }
        for _ in 0..n {
            let i = crate::model::components::load_balancer::rotate(&mut self.next_instance, n);
            if self.instances[i].up && self.instances[i].life == Life::InService {
                return Some(i);
            }
        }
        None
    }

    fn new_job(&mut self, upstream: CallId, kind: u16, instance: u32, now: SimTime) -> u32 {
        let session = match &self.sessions {
            Some(s) if !s.is_local() => SessionStep::Pending,
            _ => SessionStep::Done,
        };
        self.jobs.insert_next_generation(Job {
            generation: 0,
            state: JobState::Queued,
            upstream,
            kind,
            instance,
            arrived: now,
            next_call: 0,
            timed_out: false,
            session,
        })
    }

    fn free_job(&mut self, index: u32) {
        self.jobs.remove(index);
    }

    fn on_call(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let now = sim.now();
        let (kind, hint) = {
            let c = sim.world.calls.get(id);
            (c.request.kind, c.instance)
        };
        if kind == crate::model::support::probe::PROBE_KIND {
            // Health probes bypass queues and statistics; a dead instance does not answer.
            // A probe for no instance in particular (a DNS checking a pool) is answered if
            // any instance is up.
            let up = if hint == crate::model::support::call::ANY_INSTANCE {
                self.instances.iter().any(|i| i.up && i.present())
            } else {
                self.instances
                    .get(hint as usize)
                    .is_some_and(|i| i.up && i.present())
            };
            if up {
                reply(sim, id, Outcome::Succeeded)
            } else {
                sim.world.calls.close(id)
            }
            return;
        }
        self.stats.requests.arrive(now);
        if let Some(scaler) = &mut self.scaler {
            scaler.arrivals += 1;
        }
        let Some(i) = self.pick_instance(hint).filter(|&i| self.instances[i].up) else {
            self.stats.requests.finish(now, now, Outcome::Failed);
            reply(sim, id, Outcome::Failed);
            return;
        };
        if now >= self.warmup_end {
            self.instances[i].requests += 1;
        }
        if self.error_fraction > 0.0 && self.error_rng.random::<f64>() < self.error_fraction {
            self.stats.requests.finish(now, now, Outcome::Failed);
            reply(sim, id, Outcome::Failed);
            return;
        }
        let workers_free = self.instances[i].busy < self.config.workers;
        let queue_full = self
            .config
            .queue_capacity
            .is_some_and(|cap| self.instances[i].queued >= cap);
        if !workers_free && queue_full {
            self.stats.requests.refuse(now, now);
            reply(sim, id, Outcome::Rejected);
            return;
        }
        let job = self.new_job(id, kind, i as u32, now);
        if let Some(timeout) = self.config.timeout {
            let generation = self.jobs[job as usize].generation;
            sim.schedule_in(
                timeout,
                me,
                Msg::timer(ServerTimer::Deadline, job, generation),
            );
        }
        if workers_free {
            self.start(me, job, sim);
        } else {
            let generation = self.jobs[job as usize].generation;
            let instance = &mut self.instances[i];
            instance.waiting.push_back((job, generation));
            instance.queued += 1;
            self.stats.queue.increment(now);
            self.note_load(now);
        }
    }

    fn start(&mut self, me: ComponentId, job: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let (i, kind, generation) = {
            let j = &mut self.jobs[job as usize];
            j.state = JobState::Running;
            (j.instance as usize, j.kind, j.generation)
        };
        let upstream = sim.world.calls.get_mut(self.jobs[job as usize].upstream);
        upstream.started = now;
        upstream.served_by = i as u32;
        let instance = &mut self.instances[i];
        instance.busy += 1;
        if let Some(level) = &mut instance.busy_level {
            level.set(now, u64::from(instance.busy));
        }
        self.stats.busy.increment(now);
        self.note_load(now);
        if let Some(sessions) = &mut self.sessions {
            if sessions.is_local() {
                let upstream = self.jobs[job as usize].upstream;
                let client = sim.world.calls.get(upstream).request.client;
                sessions.local_access(client, i as u32, now);
            }
        }
        let mut service = match self.config.profiles.get(kind as usize) {
            Some(profile) => profile.service_time.sample(&mut self.service_rng),
            None => SimDuration::ZERO,
        };
        let mut slowdown = self.instances[i].slowdown;
        if now < self.instances[i].warm_until {
            slowdown *= self.scaler.as_ref().map_or(1.0, |s| s.policy.warmup_factor);
        }
        if slowdown != 1.0 {
            service = SimDuration::from_secs_f64(service.as_secs_f64() * slowdown);
        }
        sim.schedule_in(
            service,
            me,
            Msg::timer(ServerTimer::ServiceDone, job, generation),
        );
    }

    /// Makes the job's next downstream call, or completes it when none is left.
    fn next_step(&mut self, me: ComponentId, job: u32, sim: &mut ModelSim) {
        let (kind, step, upstream, generation) = {
            let j = &self.jobs[job as usize];
            (j.kind, j.next_call as usize, j.upstream, j.generation)
        };
        if self.jobs[job as usize].session == SessionStep::Pending {
            self.session_call(me, job, SessionStep::Get, sim);
            return;
        }
        let target = self
            .config
            .profiles
            .get(kind as usize)
            .and_then(|p| p.calls.get(step).copied());
        match target {
            Some(step) => {
                self.jobs[job as usize].next_call += 1;
                let request = sim.world.calls.get(upstream).request;
                let token = token(job, generation);
                match step {
                    Step::Call(target) => {
                        let now = sim.now();
                        if let Some(breaker) = self.breaker(target) {
                            let allowed = breaker.allow(now);
                            self.count_open_breakers(now);
                            if !allowed {
                                self.complete(me, job, Outcome::Failed, sim);
                                return;
                            }
                        }
                        let id = call(sim, me, target, token, request, ANY_INSTANCE);
                        if let Some(timeout) = self.config.call_timeout {
                            let handle = sim.world.calls.handle(id);
                            sim.schedule_in(
                                timeout,
                                me,
                                Msg::timer(
                                    ServerTimer::CallTimeout,
                                    handle.id.0,
                                    handle.generation,
                                ),
                            );
                        }
                    }
                    Step::CacheAside(aside) => aside.start(sim, me, token, request),
                }
            }
            None => self.complete(me, job, Outcome::Succeeded, sim),
        }
    }

    fn complete(&mut self, me: ComponentId, job: u32, outcome: Outcome, sim: &mut ModelSim) {
        let (upstream, arrived, kind) = {
            let j = &self.jobs[job as usize];
            (j.upstream, j.arrived, j.kind)
        };
        self.stats.requests.finish(arrived, sim.now(), outcome);
        if let Some(max_age) = self.config.profiles[kind as usize].client_cache_for {
            if outcome == Outcome::Succeeded {
                sim.world.calls.get_mut(upstream).detail = CallDetail::Cacheable(max_age);
            }
        }
        reply(sim, upstream, outcome);
        self.release(me, job, sim);
    }

    /// Frees the job's worker and starts the next queued job of its instance.
    fn release(&mut self, me: ComponentId, job: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let i = self.jobs[job as usize].instance as usize;
        self.free_job(job);
        let instance = &mut self.instances[i];
        instance.busy -= 1;
        if let Some(level) = &mut instance.busy_level {
            level.set(now, u64::from(instance.busy));
        }
        self.stats.busy.decrement(now);
        while let Some((next, generation)) = self.instances[i].waiting.pop_front() {
            let j = &self.jobs[next as usize];
            if j.generation == generation && j.state == JobState::Queued {
                self.instances[i].queued -= 1;
                self.stats.queue.decrement(now);
                self.start(me, next, sim);
                break;
            }
        }
        self.note_load(now);
        self.retire_if_empty(i, now);
    }

    fn on_reply(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        // Read before take_reply closes the call.
        let answer = AsideReply::of(sim, id);
        let refusal = sim.world.calls.get(id).detail;
        let callee = sim.world.calls.get(id).callee;
        let Some((token, request, outcome)) = take_reply(sim, id) else {
            return;
        };
        if !self.breakers.is_empty() {
            self.breaker_record(callee, outcome == Outcome::Succeeded, sim.now());
        }
        let (job, generation) = untoken(token);
        let Some(j) = self.jobs.get(job as usize) else {
            return;
        };
        if j.generation != generation || j.state != JobState::Running {
            return;
        }
        if j.timed_out {
            self.release(me, job, sim);
            return;
        }
        if matches!(j.session, SessionStep::Get | SessionStep::Fill) {
            self.on_session_reply(me, job, refusal, outcome, sim);
            return;
        }
        let outcome = match self.aside_step(job) {
            Some(aside) => match aside.on_reply(answer, outcome, sim, me, token, request) {
                Progress::Waiting => return,
                Progress::Done(outcome) => outcome,
            },
            None => outcome,
        };
        if outcome != Outcome::Succeeded {
            // A rate limiter's 429 goes back with its Retry-After.
            if let CallDetail::RetryAfter(_) = refusal {
                let upstream = self.jobs[job as usize].upstream;
                sim.world.calls.get_mut(upstream).detail = refusal;
            }
            self.complete(me, job, outcome, sim);
        } else {
            self.next_step(me, job, sim);
        }
    }

    /// Reads (`SessionStep::Get`) or writes (`SessionStep::Fill`) the job's session in the
    /// shared store.
    fn session_call(&mut self, me: ComponentId, job: u32, step: SessionStep, sim: &mut ModelSim) {
        let Some(crate::model::support::sessions::SessionStore::Shared { store, remembers }) =
            self.sessions.as_ref().map(|s| s.config.store)
        else {
            return;
        };
        let j = &mut self.jobs[job as usize];
        j.session = step;
        let (upstream, generation) = (j.upstream, j.generation);
        let mut request = sim.world.calls.get(upstream).request;
        request.key = crate::model::support::sessions::session_key(request.client);
        let id = call(
            sim,
            me,
            store,
            token(job, generation),
            request,
            ANY_INSTANCE,
        );
        if remembers {
            sim.world.calls.get_mut(id).detail = if step == SessionStep::Get {
                CallDetail::CacheGet
            } else {
                CallDetail::CacheFill
            };
        }
    }

    /// The shared store answered a session read or write.
    fn on_session_reply(
        &mut self,
        me: ComponentId,
        job: u32,
        detail: CallDetail,
        outcome: Outcome,
        sim: &mut ModelSim,
    ) {
        let j = &mut self.jobs[job as usize];
        if j.session == SessionStep::Fill {
            // A failed write of a new session is ignored, as a cache-aside fill is.
            j.session = SessionStep::Done;
            let client = sim.world.calls.get(j.upstream).request.client;
            if let Some(sessions) = &mut self.sessions {
                sessions.stored(client);
            }
            self.next_step(me, job, sim);
            return;
        }
        if outcome != Outcome::Succeeded {
            // Without its session the request cannot be served.
            j.session = SessionStep::Done;
            self.complete(me, job, outcome, sim);
            return;
        }
        let now = sim.now();
        let client = sim.world.calls.get(j.upstream).request.client;
        let Some(sessions) = &mut self.sessions else {
            return;
        };
        let remembers = matches!(
            sessions.config.store,
            crate::model::support::sessions::SessionStore::Shared {
                remembers: true,
                ..
            }
        );
        let found = remembers.then(|| detail.is_hit());
        let access = sessions.shared_access(client, found, now);
        if remembers && access != crate::model::support::sessions::Access::Found {
            self.session_call(me, job, SessionStep::Fill, sim);
        } else {
            self.jobs[job as usize].session = SessionStep::Done;
            self.next_step(me, job, sim);
        }
    }

    /// The cache-aside step the job is in, if its current step is one.
    fn aside_step(&self, job: u32) -> Option<CacheAside> {
        let j = &self.jobs[job as usize];
        let step = (j.next_call as usize).checked_sub(1)?;
        match self.config.profiles.get(j.kind as usize)?.calls.get(step)? {
            Step::CacheAside(aside) => Some(*aside),
            Step::Call(_) => None,
        }
    }

    /// A downstream call was not answered within `call_timeout`: abandon it and end the
    /// request "timed out".
    fn on_call_timeout(&mut self, me: ComponentId, handle: CallHandle, sim: &mut ModelSim) {
        let Some(c) = sim.world.calls.resolve(handle) else {
            return; // answered and closed
        };
        if c.caller != me || c.replied || c.abandoned {
            return;
        }
        let (callee, token) = (c.callee, c.token);
        sim.world.calls.get_mut(handle.id).abandoned = true;
        self.call_timeouts += 1;
        let now = sim.now();
        self.breaker_record(callee, false, now);
        let (job, generation) = untoken(token);
        let Some(j) = self.jobs.get(job as usize) else {
            return;
        };
        if j.generation != generation || j.state != JobState::Running {
            return;
        }
        if j.timed_out {
            self.release(me, job, sim);
        } else {
            self.complete(me, job, Outcome::TimedOut, sim);
        }
    }

    fn on_deadline(&mut self, job: u32, generation: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let Some(j) = self.jobs.get_mut(job as usize) else {
            return;
        };
        if j.generation != generation || j.timed_out {
            return;
        }
        let (upstream, arrived, i) = (j.upstream, j.arrived, j.instance as usize);
        match j.state {
            JobState::Free => return,
            JobState::Queued => {
                sim.world.calls.get_mut(upstream).started = now;
                self.instances[i].queued -= 1;
                self.stats.queue.decrement(now);
                self.free_job(job);
                self.note_load(now);
                self.retire_if_empty(i, now);
            }
            JobState::Running => j.timed_out = true,
        }
        self.stats.requests.finish(arrived, now, Outcome::TimedOut);
        reply(sim, upstream, Outcome::TimedOut);
    }
}

fn capacity_of(instances: u32, workers: u32) -> u64 {
    u64::from(instances) * u64::from(workers)
}

impl Component<Msg, World> for ServerPool {
    fn start(&mut self, me: ComponentId, sim: &mut ModelSim) {
        let Some(scaler) = &self.scaler else {
            return;
        };
        let interval = scaler.policy.interval;
        sim.world
            .membership
            .register(me, self.instances.len() as u32);
        for i in 0..self.instances.len() {
            self.publish(me, i, sim);
        }
        sim.schedule_in(interval, me, Msg::timer(ServerTimer::Evaluate, 0, 0));
    }

    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        match msg.typed::<ServerTimer>() {
            Event::Call(id) => self.on_call(me, id, sim),
            Event::Reply(id) => self.on_reply(me, id, sim),
            Event::Timer {
                kind: ServerTimer::ServiceDone,
                index,
                generation,
            } => {
                let Some(j) = self.jobs.get(index as usize) else {
                    return;
                };
                if j.generation != generation || j.state != JobState::Running {
                    return;
                }
                if j.timed_out {
                    self.release(me, index, sim);
                } else {
                    self.next_step(me, index, sim);
                }
            }
            Event::Timer {
                kind: ServerTimer::Deadline,
                index,
                generation,
            } => self.on_deadline(index, generation, sim),
            Event::Control(control) => self.on_control(control, sim),
            Event::Timer {
                kind: ServerTimer::Evaluate,
                ..
            } => self.evaluate(me, sim),
            Event::Timer {
                kind: ServerTimer::Provisioned,
                index,
                generation,
            } => self.on_provisioned(me, index as usize, generation, sim),
            Event::Timer {
                kind: ServerTimer::CallTimeout,
                index,
                generation,
            } => self.on_call_timeout(
                me,
                CallHandle {
                    id: CallId(index),
                    generation,
                },
                sim,
            ),
            Event::UnknownTimer { .. } => {}
        }
    }

    fn finish(&mut self, _me: ComponentId, sim: &mut ModelSim) {
        let end = sim.now();
        self.stats.close(end);
        self.up.advance_to(end);
        for instance in &mut self.instances {
            for level in [&mut instance.busy_level, &mut instance.present_level]
                .into_iter()
                .flatten()
            {
                level.advance_to(end);
            }
        }
        if let Some(scaler) = &mut self.scaler {
            scaler.in_service.advance_to(end);
            scaler.capacity.advance_to(end);
        }
        self.breakers_open.advance_to(end);
    }
}

impl Node for ServerPool {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn report(&self, end: SimTime) -> ComponentReport {
        let mut report =
            ComponentReport::from_node_stats(&self.config.name, Kind::Server, &self.stats, end);
        let workers = f64::from(self.config.workers);
        let at_least_k_up = self.up.time_fractions(end).map(|fractions| {
            // at_least[k] = fraction of the time with at least k instances up.
            let mut at_least: Vec<f64> = fractions
                .iter()
                .rev()
                .scan(0.0, |acc, f| {
                    *acc += f;
                    Some(*acc)
                })
                .collect();
            at_least.reverse();
            at_least
        });
        report
            .lost
            .insert("requests_in_crashed_instances", self.lost_in_crashes);
        let per_instance = (self.instances.len() > 1).then(|| {
            self.instances
                .iter()
                .map(|inst| {
                    // Out of the time the instance existed, for autoscaled pools.
                    let existed = inst.present_level.as_ref().map_or(1.0, |l| l.mean(end));
                    let busy = inst.busy_level.as_ref().map_or(0.0, |l| l.mean(end));
                    let utilization = if existed > 0.0 {
                        busy / (workers * existed)
                    } else {
                        0.0
                    };
                    InstanceFigures {
                        requests: inst.requests,
                        utilization,
                    }
                })
                .collect()
        });
        let (autoscale, scaling_events) = match &self.scaler {
            Some(scaler) => {
                let (autoscale, events) = self.report_scaling(scaler, &mut report, end);
                (Some(autoscale), Some(events))
            }
            None => (None, None),
        };
        let (circuit_breakers, circuit_breakers_open_mean) = if self.breakers.is_empty() {
            (None, None)
        } else {
            let (breakers, open_mean) = self.report_breakers(&mut report, end);
            (Some(breakers), Some(open_mean))
        };
        let sessions = self
            .sessions
            .as_ref()
            .map(|sessions| sessions.report(&mut report, end));
        report.figures = crate::model::figures::Figures::Server(Box::new(ServerFigures {
            autoscale,
            call_timeouts: self.config.call_timeout.map(|_| self.call_timeouts),
            circuit_breakers,
            circuit_breakers_open_mean,
            crashes: self.crashes,
            instances: u64::from(self.config.instances),
            instances_up_mean: self.up.mean(end),
            per_instance,
            scaling_events,
            sessions,
            time_with_at_least_k_up: at_least_k_up,
            workers: u64::from(self.config.workers),
        }));
        report
    }
}

impl ServerPool {
    /// Each breaker's figures and state changes, and the mean number open; adds the open
    /// breakers per window to `report`.
    fn report_breakers(
        &self,
        report: &mut ComponentReport,
        end: SimTime,
    ) -> (IndexMap<String, BreakerFigures>, f64) {
        let breakers = self
            .breakers
            .iter()
            .map(|(_, name, b)| {
                let transitions = b
                    .transitions
                    .iter()
                    .map(|(t, state)| BreakerTransition {
                        time_s: t.as_secs_f64(),
                        state: state.name().to_string(),
                    })
                    .collect();
                (
                    name.clone(),
                    BreakerFigures {
                        state_at_end: b.state.name().to_string(),
                        opened: b.opened,
                        fast_failed_calls: b.fast_failed,
                        transitions,
                    },
                )
            })
            .collect();
        report.extra_windows.push((
            "breakers_open".to_string(),
            WindowSeries::Level(self.breakers_open.windows()),
        ));
        (breakers, self.breakers_open.mean(end))
    }

    /// Autoscaled pools: utilisation out of the capacity that existed, the instance count over
    /// time (into `report`); the policy's figures and every scaling action.
    fn report_scaling(
        &self,
        scaler: &Scaler,
        report: &mut ComponentReport,
        end: SimTime,
    ) -> (AutoscaleFigures, Vec<ScalingEventFigures>) {
        let capacity = scaler.capacity.mean(end);
        report.utilization = Some(if capacity > 0.0 {
            self.stats.busy.mean(end) / capacity
        } else {
            0.0
        });
        report.capacity_windows = Some(scaler.capacity.windows());
        report.extra_windows.push((
            "instances".to_string(),
            WindowSeries::Level(scaler.in_service.windows()),
        ));
        let p = &scaler.policy;
        let events = scaler
            .events
            .iter()
            .map(|e| ScalingEventFigures {
                time_s: e.time.as_secs_f64(),
                from: u64::from(e.from),
                to: u64::from(e.to),
                reason: e.reason.clone(),
            })
            .collect();
        let count = |f: fn(&ScalingEvent) -> bool| scaler.events.iter().filter(|e| f(e)).count();
        let autoscale = AutoscaleFigures {
            metric: p.metric.name().to_string(),
            target: p.target,
            min: u64::from(p.min),
            max: u64::from(p.max),
            instances_in_service_mean: scaler.in_service.mean(end),
            instances_in_service_peak: scaler.in_service.peak(),
            scale_outs: count(|e| e.to > e.from) as u64,
            scale_ins: count(|e| e.to < e.from) as u64,
        };
        (autoscale, events)
    }
}
