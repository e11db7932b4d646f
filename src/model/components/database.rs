//! Replicated database: one master and `replicas` read replicas, each node with its own
//! connections and queue, replication of every write from the master to the replicas, and
//! failover when the master crashes.
//!
//! Model and parameters:
//! - Nodes: node 0 starts as the master, nodes 1..=`replicas` as replicas. Each node serves at
//!   most `connections` requests at once and queues at most `queue` more (FIFO; unbounded if
//!   not given); a request that finds both full is rejected. A read holds a connection for
//!   `read_time` [distribution], a write for `write_time`, multiplied by the node's slow-down.
//! - Routing: writes (request types in `write_types`, [`World::is_write`]) go to the master;
//!   reads go to a replica chosen by `balance` (round robin, random or least connections, among
//!   the replicas that are up), or to the master with `reads: master`, or when no replica is up.
//!   While no master is up, writes fail at once (counted) and reads keep going to replicas.
//! - Replication: when the master has applied a write (end of its write time) the write gets the
//!   next position of the replication log and reaches each replica that is up `lag`
//!   [distribution] later. The replica's applier replays writes one at a time, in log order
//!   (never before the write ahead of it, as a single replication stream does), for
//!   `apply_time` [distribution, default 0] each: a FIFO single server, so above
//!   1 / `apply_time` writes per second a replica falls further and further behind. The applier
//!   is a thread of its own: applying takes none of the replica's connections.
//!   `async`: the master answers the writer at once; `semi_sync`: once one replica has applied
//!   the write; `sync`: once every replica that is up has. The writer's connection is held while
//!   it waits, so semi-synchronous and synchronous replication add the lag to write latency and
//!   to the master's occupancy. With no replica up, the master answers at once.
//! - Stale reads: a read served by a replica is stale when the replica has not yet applied the
//!   latest write of its key that the database has acknowledged (answered successfully). A
//!   position per key (only written keys take memory) and a position per replica suffice, since
//!   a replica holds exactly the log up to its position. (Unlike [`crate::model::support::versions`], the
//!   acknowledgement is taken when the database answers, not when the answer reaches the writer:
//!   the stricter of the two, by one network delay.)
//!   The keys read stale most often and written most often are counted in fixed memory
//!   ([`crate::model::support::top_keys`]): `stale_reads_top_key` names the key most stale
//!   reads were of, with lower bounds of its stale reads and writes, since a key written more
//!   often than the replication lag is stale on almost every replica read.
//! - Failover: a crash of the master fails the requests inside it and stops the replication
//!   stream (writes not yet applied by a replica never will be). `failover_detection` later the
//!   failure is detected, and `failover_promotion` after that the most advanced replica that is
//!   up becomes the master. Acknowledged writes it had not applied are lost (summary `lost`,
//!   `unreplicated_writes`); writes the old master had applied but not acknowledged are
//!   discarded (counted apart). The surviving replicas re-point to the new master and catch up
//!   at once. A crashed node that recovers rejoins as a replica, caught up with the master (or
//!   as the master again if no replica was promoted in the meantime).
//! - Failure targets: `db` is the node that is master at that instant, `db[i]` node `i`.
//!
//! - Data centers: nodes may be placed in data centers (`db[2]` in a data center's
//!   components). A replica in another data center than the master receives each write `lag`
//!   plus the one-way region latency between the two (cross-data-center replication), and
//!   `balance: nearest` sends a read to a replica in the client's region when one is up. Reads
//!   and stale reads are also counted per client region (`by_client_region`). Test:
//!   `tests/geo_dns.rs` (a remote replica serves more stale reads).
//!
//! Tests: the unit tests below, and `tests/replication.rs` (no stale reads under synchronous
//! replication and more with more lag, lost writes on failover equal to an exact count of the
//! writes inside the replication window, replicas sharing reads as an M/M/c pool predicts).

use crate::model::figures::database::{
    DatabaseFigures, DbNodeFigures, FailoverFigures, RegionReads, StaleKey,
};
use crate::model::kind::Kind;
use std::collections::VecDeque;

use rand::Rng;

use crate::engine::rng::{stream, SimRng};
use crate::engine::{Component, ComponentId, SimDuration, SimTime};
use crate::model::support::call::CallId;
use crate::model::support::dist::Distribution;
use crate::model::support::key_map::KeyMap;
use crate::model::support::network::NO_REGION;
use crate::model::support::slab::{Generational, Slab};
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use crate::model::{
    reply, ComponentReport, Control, ModelSim, Msg, Node, NodeStats, WindowSeries, World,
};
use crate::stats::{LatencyHistogram, LevelTracker, Outcome, Windows};

/// When the master answers a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replication {
    Async,
    SemiSync,
    Sync,
}

impl Replication {
    pub const NAMES: [&'static str; 3] = ["async", "semi_sync", "sync"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "async" => Some(Replication::Async),
            "semi_sync" => Some(Replication::SemiSync),
            "sync" => Some(Replication::Sync),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Replication::Async => "async",
            Replication::SemiSync => "semi_sync",
            Replication::Sync => "sync",
        }
    }
}

/// How a read picks a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaChoice {
    RoundRobin,
    Random,
    LeastConnections,
    /// A replica in the request's client region (round robin among them), else round robin.
    Nearest,
}

impl ReplicaChoice {
    pub const NAMES: [&'static str; 4] = ["round_robin", "random", "least_connections", "nearest"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "round_robin" => Some(ReplicaChoice::RoundRobin),
            "random" => Some(ReplicaChoice::Random),
            "least_connections" => Some(ReplicaChoice::LeastConnections),
            "nearest" => Some(ReplicaChoice::Nearest),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ReplicaChoice::RoundRobin => "round_robin",
            ReplicaChoice::Random => "random",
            ReplicaChoice::LeastConnections => "least_connections",
            ReplicaChoice::Nearest => "nearest",
        }
    }
}

#[derive(Clone, Debug)]
pub struct DatabaseConfig {
    pub name: String,
    /// Read replicas (nodes besides the master).
    pub replicas: u32,
    /// Requests each node serves at once.
    pub connections: u32,
    /// Requests each node holds waiting; `None` is unbounded.
    pub queue_capacity: Option<u32>,
    pub read_time: Distribution,
    pub write_time: Distribution,
    pub replication: Replication,
    /// Delay between the master applying a write and a replica applying it.
    pub lag: Distribution,
    /// Time a replica's applier spends replaying one write (one write at a time).
    pub apply_time: Distribution,
    /// Reads go to the master rather than to the replicas.
    pub reads_from_master: bool,
    pub balance: ReplicaChoice,
    pub failover_detection: SimDuration,
    pub failover_promotion: SimDuration,
    /// The data center of each node, where nodes are placed in `data_centers` (empty: none).
    /// A replica in another data center than the master receives each write `lag` plus the
    /// one-way region latency between them later.
    pub node_data_centers: Vec<Option<u16>>,
}

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum DatabaseTimer {
        ServiceDone = 0,
        Apply = 1,
        Detected = 2,
        Promote = 3,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobState {
    Free,
    Queued,
    Running,
    /// A write applied at the master, waiting for replica acknowledgements.
    AwaitingAcks,
}

#[derive(Clone, Copy, Debug)]
struct Job {
    generation: u32,
    state: JobState,
    upstream: CallId,
    node: u32,
    write: bool,
    key: u64,
    /// The client region of the request.
    region: u16,
    arrived: SimTime,
    /// Log position of a write once the master has applied it.
    position: u64,
}

impl Generational for Job {
    fn generation_mut(&mut self) -> &mut u32 {
        &mut self.generation
    }
    fn set_free(&mut self) {
        self.state = JobState::Free;
    }
}

/// A write on its way to a replica.
#[derive(Clone, Copy, Debug)]
struct Pending {
    position: u64,
    applied_at_master: SimTime,
    due: SimTime,
}

struct DbNode {
    up: bool,
    busy: u32,
    waiting: VecDeque<(u32, u32)>,
    queued: u32,
    busy_level: LevelTracker,
    slowdown: f64,
    /// Log position the node has applied up to (a replica holds exactly the log up to it).
    applied: u64,
    pending: VecDeque<Pending>,
    /// When the replica's applier finishes the last write given to it.
    applier_free: SimTime,
    requests: u64,
    reads: u64,
    writes: u64,
    stale_reads: u64,
}

/// One failover, for the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Failover {
    pub crashed_at: SimTime,
    pub old_master: u32,
    pub detected_at: Option<SimTime>,
    pub promoted_at: Option<SimTime>,
    pub new_master: Option<u32>,
    /// Acknowledged writes the promoted replica had not applied.
    pub lost_writes: u64,
    /// Writes the old master had applied but not acknowledged, discarded.
    pub discarded_writes: u64,
    /// The old master recovered before a replica was promoted.
    pub cancelled: bool,
}

#[derive(Default)]
struct Counters {
    reads: u64,
    writes: u64,
    stale_reads: u64,
    /// The keys read stale most often, and written most often (after the warm-up): where the
    /// stale reads come from.
    stale_keys: crate::model::support::top_keys::TopKeys,
    written_keys: crate::model::support::top_keys::TopKeys,
    writes_failed_no_master: u64,
    reads_failed_no_node: u64,
    lost_in_crashes: u64,
    lost_writes: u64,
    discarded_writes: u64,
}

struct SeriesWindows {
    lag_ms: Windows<f64>,
    applies: Windows<f64>,
    stale_reads: Windows<f64>,
    reads: Windows<f64>,
    writes_failed: Windows<f64>,
}

pub struct Database {
    config: DatabaseConfig,
    nodes: Vec<DbNode>,
    master: u32,
    jobs: Slab<Job>,
    /// Last log position the master has applied.
    log_end: u64,
    /// Log positions not yet applied by every replica that is up, and whether each was
    /// acknowledged: the replication window, for counting lost writes.
    window: VecDeque<(u64, bool)>,
    /// Writes waiting for replica acknowledgements, in log order.
    awaiting: VecDeque<(u32, u32)>,
    /// Log position of the latest acknowledged write of each written key.
    acknowledged: KeyMap<u64, u64>,
    next_replica: usize,
    service_rng: SimRng,
    lag_rng: SimRng,
    apply_rng: SimRng,
    balance_rng: SimRng,
    error_rng: SimRng,
    error_fraction: f64,
    stats: NodeStats,
    warmup_end: SimTime,
    counters: Counters,
    lag: LatencyHistogram,
    windows: SeriesWindows,
    master_up: LevelTracker,
    failovers: Vec<Failover>,
    /// Bumped whenever a pending failover is cancelled or completed, so its timers are ignored.
    failover_epoch: u32,
    /// The node crashed by a failure naming the whole database (`db`), for its recovery.
    crashed_as_master: Option<u32>,
    /// Region of each node's data center ([`NO_REGION`] where not placed).
    node_regions: Vec<u16>,
    /// Region names, and per client region (reads, stale reads) after the warm-up.
    region_names: Vec<String>,
    region_reads: Vec<(u64, u64)>,
}

impl Database {
    pub fn new(config: DatabaseConfig, seed: u64, world: &World) -> Self {
        let clock = world.clock;
        let count = config.replicas as usize + 1;
        let nodes = (0..count)
            .map(|_| DbNode {
                up: true,
                busy: 0,
                waiting: VecDeque::new(),
                queued: 0,
                busy_level: LevelTracker::without_windows(clock.warmup_end),
                slowdown: 1.0,
                applied: 0,
                pending: VecDeque::new(),
                applier_free: SimTime::ZERO,
                requests: 0,
                reads: 0,
                writes: 0,
                stale_reads: 0,
            })
            .collect();
        let capacity = count as u64 * u64::from(config.connections);
        let mut master_up = LevelTracker::new(clock.warmup_end, clock.window_ns);
        master_up.set(SimTime::ZERO, 1);
        let w = || Windows::new(clock.window_ns);
        let name = config.name.clone();
        let network = &world.network;
        let node_regions = (0..count)
            .map(
                |i| match config.node_data_centers.get(i).copied().flatten() {
                    Some(dc) => network.data_center_region(dc),
                    None => NO_REGION,
                },
            )
            .collect();
        let region_names = network.region_names().to_vec();
        Database {
            nodes,
            master: 0,
            jobs: Slab::default(),
            log_end: 0,
            window: VecDeque::new(),
            awaiting: VecDeque::new(),
            acknowledged: KeyMap::default(),
            next_replica: 0,
            service_rng: stream(seed, &name, "service"),
            lag_rng: stream(seed, &name, "replication-lag"),
            apply_rng: stream(seed, &name, "replication-apply"),
            balance_rng: stream(seed, &name, "balancing"),
            error_rng: stream(seed, &name, "injected-errors"),
            error_fraction: 0.0,
            stats: NodeStats::new(clock, capacity),
            warmup_end: clock.warmup_end,
            counters: Counters::default(),
            lag: LatencyHistogram::new(),
            windows: SeriesWindows {
                lag_ms: w(),
                applies: w(),
                stale_reads: w(),
                reads: w(),
                writes_failed: w(),
            },
            master_up,
            failovers: Vec::new(),
            failover_epoch: 0,
            crashed_as_master: None,
            node_regions,
            region_reads: vec![(0, 0); region_names.len()],
            region_names,
            config,
        }
    }

    fn node_dc(&self, node: usize) -> Option<u16> {
        self.config.node_data_centers.get(node).copied().flatten()
    }

    pub fn config(&self) -> &DatabaseConfig {
        &self.config
    }

    /// The node that is master now (it may be down).
    pub fn master(&self) -> u32 {
        self.master
    }

    pub fn failovers(&self) -> &[Failover] {
        &self.failovers
    }

    /// Log position node `i` has applied up to.
    pub fn applied(&self, i: u32) -> u64 {
        self.nodes.get(i as usize).map_or(0, |n| n.applied)
    }

    fn measured(&self, now: SimTime) -> bool {
        now >= self.warmup_end
    }

    fn master_available(&self) -> bool {
        self.nodes[self.master as usize].up
    }

    fn replicas_up(&self) -> impl Iterator<Item = usize> + '_ {
        let master = self.master as usize;
        self.nodes
            .iter()
            .enumerate()
            .filter(move |(i, n)| *i != master && n.up)
            .map(|(i, _)| i)
    }

    /// The node a read goes to, if any is up.
    fn pick_reader(&mut self, region: u16) -> Option<usize> {
        let master_up = self.master_available();
        let replicas = self.replicas_up().count();
        if replicas == 0 || (self.config.reads_from_master && master_up) {
            return master_up.then_some(self.master as usize);
        }
        let master = self.master as usize;
        let n = self.nodes.len();
        match self.config.balance {
            ReplicaChoice::Nearest => {
                let near = |i: usize| self.node_regions.get(i) == Some(&region);
                let local = self.replicas_up().any(near);
                for _ in 0..n {
                    let i = self.next_replica % n;
                    self.next_replica = (i + 1) % n;
                    if i != master && self.nodes[i].up && (!local || near(i)) {
                        return Some(i);
                    }
                }
                None
            }
            ReplicaChoice::RoundRobin => {
                for _ in 0..n {
                    let i = self.next_replica % n;
                    self.next_replica = (i + 1) % n;
                    if i != master && self.nodes[i].up {
                        return Some(i);
                    }
                }
                None
            }
            ReplicaChoice::Random => {
                let k = self.balance_rng.random_range(0..replicas);
                self.replicas_up().nth(k)
            }
            ReplicaChoice::LeastConnections => self
                .replicas_up()
                .min_by_key(|&i| (self.nodes[i].busy + self.nodes[i].queued, i)),
        }
    }

    fn fail_now(&mut self, id: CallId, now: SimTime, outcome: Outcome, sim: &mut ModelSim) {
        self.stats.requests.finish(now, now, outcome);
        reply(sim, id, outcome);
    }

    fn on_call(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let now = sim.now();
        let request = sim.world.calls.get(id).request;
        let write = sim.world.is_write(&request);
        self.stats.requests.arrive(now);
        let node = if write {
            self.master_available().then_some(self.master as usize)
        } else {
            self.pick_reader(request.region)
        };
        let Some(node) = node else {
            if write {
                *self.windows.writes_failed.at(now) += 1.0;
                if self.measured(now) {
                    self.counters.writes_failed_no_master += 1;
                }
            } else if self.measured(now) {
                self.counters.reads_failed_no_node += 1;
            }
            self.fail_now(id, now, Outcome::Failed, sim);
            return;
        };
        if self.measured(now) {
            self.nodes[node].requests += 1;
        }
        if self.error_fraction > 0.0 && self.error_rng.random::<f64>() < self.error_fraction {
            self.fail_now(id, now, Outcome::Failed, sim);
            return;
        }
        let n = &self.nodes[node];
        let free = n.busy < self.config.connections;
        if !free
            && self
                .config
                .queue_capacity
                .is_some_and(|cap| n.queued >= cap)
        {
            self.stats.requests.refuse(now, now);
            reply(sim, id, Outcome::Rejected);
            return;
        }
        let job = self.jobs.insert_next_generation(Job {
            generation: 0,
            state: JobState::Queued,
            upstream: id,
            node: node as u32,
            write,
            key: request.key,
            region: request.region,
            arrived: now,
            position: 0,
        });
        if free {
            self.start(me, job, sim);
        } else {
            let generation = self.jobs[job as usize].generation;
            let n = &mut self.nodes[node];
            n.waiting.push_back((job, generation));
            n.queued += 1;
            self.stats.queue.increment(now);
        }
    }

    fn set_busy(&mut self, node: usize, busy: u32, now: SimTime) {
        let n = &mut self.nodes[node];
        n.busy = busy;
        n.busy_level.set(now, u64::from(busy));
    }

    fn start(&mut self, me: ComponentId, job: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let j = &mut self.jobs[job as usize];
        j.state = JobState::Running;
        let (node, write, generation) = (j.node as usize, j.write, j.generation);
        let upstream = sim.world.calls.get_mut(j.upstream);
        upstream.started = now;
        upstream.served_by = node as u32;
        self.set_busy(node, self.nodes[node].busy + 1, now);
        self.stats.busy.increment(now);
        let law = if write {
            &self.config.write_time
        } else {
            &self.config.read_time
        };
        let mut service = law.sample(&mut self.service_rng);
        let slowdown = self.nodes[node].slowdown;
        if slowdown != 1.0 {
            service = SimDuration::from_secs_f64(service.as_secs_f64() * slowdown);
        }
        sim.schedule_in(
            service,
            me,
            Msg::timer(DatabaseTimer::ServiceDone, job, generation),
        );
    }

    /// Frees the job's connection, starts the next queued job of its node and answers.
    fn finish_job(&mut self, me: ComponentId, job: u32, outcome: Outcome, sim: &mut ModelSim) {
        let now = sim.now();
        let j = self.jobs[job as usize];
        self.stats.requests.finish(j.arrived, now, outcome);
        reply(sim, j.upstream, outcome);
        self.release(me, job, sim);
    }

    fn release(&mut self, me: ComponentId, job: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let node = self.jobs[job as usize].node as usize;
        self.jobs.remove(job);
        self.set_busy(node, self.nodes[node].busy - 1, now);
        self.stats.busy.decrement(now);
        while let Some((next, generation)) = self.nodes[node].waiting.pop_front() {
            let j = &self.jobs[next as usize];
            if j.generation == generation && j.state == JobState::Queued {
                self.nodes[node].queued -= 1;
                self.stats.queue.decrement(now);
                self.start(me, next, sim);
                break;
            }
        }
    }

    fn on_service_done(&mut self, me: ComponentId, job: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let measured = self.measured(now);
        let j = self.jobs[job as usize];
        let node = j.node as usize;
        if !j.write {
            let stale = node != self.master as usize
                && self
                    .acknowledged
                    .get(&j.key)
                    .is_some_and(|&p| p > self.nodes[node].applied);
            *self.windows.reads.at(now) += 1.0;
            if stale {
                *self.windows.stale_reads.at(now) += 1.0;
            }
            if measured {
                if let Some(r) = self.region_reads.get_mut(j.region as usize) {
                    r.0 += 1;
                    r.1 += u64::from(stale);
                }
                self.counters.reads += 1;
                self.counters.stale_reads += u64::from(stale);
                if stale {
                    self.counters.stale_keys.add(j.key);
                }
                self.nodes[node].reads += 1;
                self.nodes[node].stale_reads += u64::from(stale);
            }
            self.finish_job(me, job, Outcome::Succeeded, sim);
            return;
        }
        // The master applies the write: it takes the next log position and is streamed to
        // every replica that is up.
        if measured {
            self.counters.writes += 1;
            self.counters.written_keys.add(j.key);
            self.nodes[node].writes += 1;
        }
        self.log_end += 1;
        let position = self.log_end;
        self.nodes[node].applied = position;
        self.jobs[job as usize].position = position;
        if self.replicas_up().next().is_some() {
            self.window.push_back((position, false));
        }
        for r in 0..self.nodes.len() {
            if r == self.master as usize || !self.nodes[r].up {
                continue;
            }
            let mut lag = self.config.lag.sample(&mut self.lag_rng);
            let (from, to) = (
                self.node_regions[self.master as usize],
                self.node_regions[r],
            );
            if from != NO_REGION && to != NO_REGION && self.node_dc(r) != self.node_dc(node) {
                // Across data centers the write also crosses the distance between them.
                lag = lag + sim.world.network.region_latency(from, to);
            }
            let mut apply = self.config.apply_time.sample(&mut self.apply_rng);
            let n = &mut self.nodes[r];
            if n.slowdown != 1.0 {
                apply = SimDuration::from_secs_f64(apply.as_secs_f64() * n.slowdown);
            }
            // The write reaches the replica `lag` later and waits for the applier, which
            // replays writes one at a time in log order.
            let due = (now + lag).max(n.applier_free) + apply;
            n.applier_free = due;
            n.pending.push_back(Pending {
                position,
                applied_at_master: now,
                due,
            });
            sim.schedule_at(due, me, Msg::timer(DatabaseTimer::Apply, r as u32, 0));
        }
        if self.acks_needed() == 0 {
            self.acknowledge(me, job, sim);
        } else {
            self.jobs[job as usize].state = JobState::AwaitingAcks;
            let generation = self.jobs[job as usize].generation;
            self.awaiting.push_back((job, generation));
        }
    }

    /// Replica acknowledgements a write waits for before the master answers.
    fn acks_needed(&self) -> usize {
        let up = self.replicas_up().count();
        match self.config.replication {
            Replication::Async => 0,
            Replication::SemiSync => up.min(1),
            Replication::Sync => up,
        }
    }

    /// Answers a write the master has applied: it is now acknowledged.
    fn acknowledge(&mut self, me: ComponentId, job: u32, sim: &mut ModelSim) {
        let j = self.jobs[job as usize];
        let latest = self.acknowledged.entry(j.key).or_default();
        *latest = (*latest).max(j.position);
        if let Some(front) = self.window.front().map(|&(p, _)| p) {
            if let Some(entry) = j
                .position
                .checked_sub(front)
                .and_then(|i| self.window.get_mut(i as usize))
            {
                entry.1 = true;
            }
        }
        self.finish_job(me, job, Outcome::Succeeded, sim);
    }

    /// Answers the waiting writes that have enough replica acknowledgements now.
    fn release_acknowledged(&mut self, me: ComponentId, sim: &mut ModelSim) {
        while let Some(&(job, generation)) = self.awaiting.front() {
            let j = self.jobs[job as usize];
            if j.generation != generation || j.state != JobState::AwaitingAcks {
                self.awaiting.pop_front();
                continue;
            }
            let acks = self
                .replicas_up()
                .filter(|&r| self.nodes[r].applied >= j.position)
                .count();
            if acks < self.acks_needed() {
                break;
            }
            self.awaiting.pop_front();
            self.acknowledge(me, job, sim);
        }
    }

    fn on_apply(&mut self, me: ComponentId, replica: usize, sim: &mut ModelSim) {
        let now = sim.now();
        let Some(n) = self.nodes.get_mut(replica) else {
            return;
        };
        while let Some(p) = n.pending.front().copied().filter(|p| p.due <= now) {
            n.pending.pop_front();
            n.applied = n.applied.max(p.position);
            let lag = now - p.applied_at_master;
            *self.windows.lag_ms.at(now) += lag.as_millis_f64();
            *self.windows.applies.at(now) += 1.0;
            if now >= self.warmup_end {
                self.lag.record(lag);
            }
        }
        self.trim_window();
        self.release_acknowledged(me, sim);
    }

    /// Drops the log positions every replica that is up has applied.
    fn trim_window(&mut self) {
        let done = self
            .replicas_up()
            .map(|r| self.nodes[r].applied)
            .min()
            .unwrap_or(u64::MAX);
        while self.window.front().is_some_and(|&(p, _)| p <= done) {
            self.window.pop_front();
        }
    }

    /// Every replica that is up catches up with the master at once (after a failover or a
    /// recovery), and the replication window is emptied.
    fn resync_replicas(&mut self) {
        let end = self.log_end;
        let master = self.master as usize;
        for (i, n) in self.nodes.iter_mut().enumerate() {
            if n.up || i == master {
                n.applied = end;
                n.pending.clear();
                n.applier_free = SimTime::ZERO;
            }
        }
        self.window.clear();
    }

    fn on_control(&mut self, me: ComponentId, control: Control, sim: &mut ModelSim) {
        let all = |instance: u32| instance == crate::model::ALL_INSTANCES;
        match control {
            Control::Crash { instance } => {
                let node = if all(instance) {
                    self.crashed_as_master = Some(self.master);
                    self.master as usize
                } else {
                    instance as usize
                };
                self.crash(me, node, sim);
            }
            Control::Recover { instance } => {
                let node = if all(instance) {
                    self.crashed_as_master.take()
                } else {
                    Some(instance)
                };
                if let Some(node) = node {
                    self.recover(me, node as usize, sim);
                }
            }
            Control::Slow { instance, factor } => {
                for (i, n) in self.nodes.iter_mut().enumerate() {
                    if all(instance) || i == instance as usize {
                        n.slowdown = f64::from(factor);
                    }
                }
            }
            Control::Errors { fraction } => self.error_fraction = f64::from(fraction),
            Control::ClockJump { .. } => {}
        }
    }

    fn crash(&mut self, me: ComponentId, node: usize, sim: &mut ModelSim) {
        let now = sim.now();
        if self.nodes.get(node).is_none_or(|n| !n.up) {
            return;
        }
        // Every request inside the node fails.
        for index in 0..self.jobs.len() {
            let j = self.jobs[index];
            if j.state == JobState::Free || j.node as usize != node {
                continue;
            }
            self.jobs.remove(index as u32);
            self.counters.lost_in_crashes += 1;
            self.stats.requests.finish(j.arrived, now, Outcome::Failed);
            reply(sim, j.upstream, Outcome::Failed);
        }
        let n = &mut self.nodes[node];
        let (busy, queued) = (u64::from(n.busy), u64::from(n.queued));
        n.up = false;
        n.waiting.clear();
        n.queued = 0;
        n.pending.clear();
        n.applier_free = SimTime::ZERO;
        self.set_busy(node, 0, now);
        self.stats.busy.set(now, self.stats.busy.level() - busy);
        self.stats.queue.set(now, self.stats.queue.level() - queued);
        if node == self.master as usize {
            self.master_up.set(now, 0);
            // The replication stream stops: what the replicas have not applied, they never will.
            for n in &mut self.nodes {
                n.pending.clear();
                n.applier_free = SimTime::ZERO;
            }
            self.awaiting.clear();
            self.failover_epoch += 1;
            self.failovers.push(Failover {
                crashed_at: now,
                old_master: node as u32,
                detected_at: None,
                promoted_at: None,
                new_master: None,
                lost_writes: 0,
                discarded_writes: 0,
                cancelled: false,
            });
            sim.schedule_in(
                self.config.failover_detection,
                me,
                Msg::timer(DatabaseTimer::Detected, node as u32, self.failover_epoch),
            );
        } else {
            self.trim_window();
            // A semi-synchronous or synchronous write may need one acknowledgement fewer now.
            self.release_acknowledged(me, sim);
        }
    }

    fn recover(&mut self, me: ComponentId, node: usize, sim: &mut ModelSim) {
        let now = sim.now();
        if self.nodes.get(node).is_none_or(|n| n.up) {
            return;
        }
        self.nodes[node].up = true;
        if node == self.master as usize {
            // Back before any replica was promoted: it is the master again.
            self.failover_epoch += 1;
            if let Some(f) = self.failovers.last_mut() {
                if f.promoted_at.is_none() {
                    f.cancelled = true;
                }
            }
            self.master_up.set(now, 1);
            self.resync_replicas();
        } else if self.master_available() {
            self.nodes[node].applied = self.log_end;
            self.release_acknowledged(me, sim);
        }
    }

    fn on_detected(&mut self, me: ComponentId, epoch: u32, sim: &mut ModelSim) {
        if epoch != self.failover_epoch {
            return;
        }
        if let Some(f) = self.failovers.last_mut() {
            f.detected_at = Some(sim.now());
        }
        sim.schedule_in(
            self.config.failover_promotion,
            me,
            Msg::timer(DatabaseTimer::Promote, 0, epoch),
        );
    }

    fn on_promote(&mut self, epoch: u32, sim: &mut ModelSim) {
        let now = sim.now();
        if epoch != self.failover_epoch {
            return;
        }
        // The most advanced replica that is up (the lowest index among equals).
        let Some(chosen) = self
            .replicas_up()
            .max_by_key(|&r| (self.nodes[r].applied, std::cmp::Reverse(r)))
        else {
            // No replica to promote: wait for the master to recover.
            return;
        };
        let position = self.nodes[chosen].applied;
        let (mut lost, mut discarded) = (0, 0);
        for &(p, acked) in &self.window {
            if p > position {
                if acked {
                    lost += 1;
                } else {
                    discarded += 1;
                }
            }
        }
        self.counters.lost_writes += lost;
        self.counters.discarded_writes += discarded;
        if let Some(f) = self.failovers.last_mut() {
            f.promoted_at = Some(now);
            f.new_master = Some(chosen as u32);
            f.lost_writes = lost;
            f.discarded_writes = discarded;
        }
        self.failover_epoch += 1;
        self.master = chosen as u32;
        self.master_up.set(now, 1);
        // The log goes on after the old master's last position, so that positions of lost
        // writes are never reused.
        self.resync_replicas();
    }
}

impl Component<Msg, World> for Database {
    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        match msg.typed::<DatabaseTimer>() {
            Event::Call(id) => self.on_call(me, id, sim),
            Event::Reply(_) => {}
            Event::Timer {
                kind: DatabaseTimer::ServiceDone,
                index,
                generation,
            } => {
                let valid = self
                    .jobs
                    .get(index as usize)
                    .is_some_and(|j| j.generation == generation && j.state == JobState::Running);
                if valid {
                    self.on_service_done(me, index, sim);
                }
            }
            Event::Timer {
                kind: DatabaseTimer::Apply,
                index,
                ..
            } => self.on_apply(me, index as usize, sim),
            Event::Timer {
                kind: DatabaseTimer::Detected,
                generation,
                ..
            } => self.on_detected(me, generation, sim),
            Event::Timer {
                kind: DatabaseTimer::Promote,
                generation,
                ..
            } => self.on_promote(generation, sim),
            Event::Control(control) => self.on_control(me, control, sim),
            Event::UnknownTimer { .. } => {}
        }
    }

    fn finish(&mut self, _me: ComponentId, sim: &mut ModelSim) {
        let end = sim.now();
        self.stats.close(end);
        self.master_up.advance_to(end);
        for n in &mut self.nodes {
            n.busy_level.advance_to(end);
        }
    }
}

impl Database {
    /// The database's own figures.
    fn figures(&self, end: SimTime) -> crate::model::figures::Figures {
        let c = &self.counters;
        let connections = f64::from(self.config.connections);
        let name = &self.config.name;
        let nodes = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| DbNodeFigures {
                node: format!("{name}[{i}]"),
                role: if i == self.master as usize {
                    "master"
                } else {
                    "replica"
                }
                .to_string(),
                up_at_end: n.up,
                requests: n.requests,
                reads: n.reads,
                writes: n.writes,
                stale_reads: n.stale_reads,
                utilization: n.busy_level.mean(end) / connections,
            })
            .collect();
        let failovers = self
            .failovers
            .iter()
            .map(|f| FailoverFigures {
                crashed_at_s: f.crashed_at.as_secs_f64(),
                old_master: format!("{name}[{}]", f.old_master),
                detected_at_s: f.detected_at.map(SimTime::as_secs_f64),
                promoted_at_s: f.promoted_at.map(SimTime::as_secs_f64),
                new_master: f.new_master.map(|m| format!("{name}[{m}]")),
                lost_writes: f.lost_writes,
                discarded_writes: f.discarded_writes,
                cancelled: f.cancelled,
            })
            .collect();
        let by_client_region = (!self.region_names.is_empty()).then(|| {
            self.region_names
                .iter()
                .zip(&self.region_reads)
                .filter(|(_, &(reads, _))| reads > 0)
                .map(|(name, &(reads, stale))| {
                    let figures = RegionReads {
                        reads,
                        stale_reads: stale,
                        stale_read_ratio: stale as f64 / reads as f64,
                    };
                    (name.clone(), figures)
                })
                .collect()
        });
        crate::model::figures::Figures::Database(Box::new(DatabaseFigures {
            balance: self.config.balance.name().to_string(),
            by_client_region,
            connections: u64::from(self.config.connections),
            failovers,
            master_available: self.master_up.mean(end),
            nodes,
            reads: c.reads,
            reads_failed_no_node: c.reads_failed_no_node,
            reads_from: if self.config.reads_from_master {
                "master"
            } else {
                "replicas"
            }
            .to_string(),
            replicas: u64::from(self.config.replicas),
            replication: self.config.replication.name().to_string(),
            replication_lag_ms: (self.lag.count() > 0).then(|| self.lag.summary().into()),
            stale_read_ratio: (c.reads > 0).then(|| c.stale_reads as f64 / c.reads as f64),
            stale_reads: c.stale_reads,
            stale_reads_top_key: c.stale_keys.top().map(|(key, stale)| StaleKey {
                key,
                stale_reads_at_least: stale,
                writes_at_least: c.written_keys.at_least(key),
            }),
            unacknowledged_writes_discarded: c.discarded_writes,
            unreplicated_writes_lost: c.lost_writes,
            writes: c.writes,
            writes_failed_no_master: c.writes_failed_no_master,
        }))
    }
}

impl Node for Database {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn report(&self, end: SimTime) -> ComponentReport {
        let mut report =
            ComponentReport::from_node_stats(&self.config.name, Kind::Database, &self.stats, end);
        report.figures = self.figures(end);
        let c = &self.counters;
        report
            .lost
            .insert("requests_in_crashed_instances", c.lost_in_crashes);
        report.lost.insert("unreplicated_writes", c.lost_writes);
        let w = &self.windows;
        report.extra_windows = vec![
            (
                "replication_lag_ms".to_string(),
                WindowSeries::Ratio(w.lag_ms.clone(), w.applies.clone()),
            ),
            (
                "stale_read_ratio".to_string(),
                WindowSeries::Ratio(w.stale_reads.clone(), w.reads.clone()),
            ),
            (
                "stale_reads".to_string(),
                WindowSeries::Count(w.stale_reads.clone()),
            ),
            (
                "writes_failed_no_master".to_string(),
                WindowSeries::Count(w.writes_failed.clone()),
            ),
            (
                "master_up".to_string(),
                WindowSeries::Level(self.master_up.windows()),
            ),
        ];
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::support::network::Network;
    use crate::model::{RequestBudget, StatsClock};

    fn database(replicas: u32, balance: ReplicaChoice, reads_from_master: bool) -> Database {
        let clock = StatsClock {
            warmup_end: SimTime::ZERO,
            window_ns: 1_000_000_000,
        };
        let budget = RequestBudget {
            limit: None,
            issued: 0,
            stop_issuing_at: SimTime::NEVER,
        };
        let world = World::new(
            Network::new(1, 1, Distribution::constant(SimDuration::ZERO)),
            clock,
            budget,
            vec![false, true],
        );
        let ms = |n| Distribution::constant(SimDuration::from_millis(n));
        let config = DatabaseConfig {
            name: "db".into(),
            replicas,
            connections: 4,
            queue_capacity: None,
            read_time: ms(1),
            write_time: ms(1),
            replication: Replication::Async,
            lag: ms(10),
            apply_time: ms(0),
            reads_from_master,
            balance,
            failover_detection: SimDuration::from_secs(1),
            failover_promotion: SimDuration::ZERO,
            node_data_centers: Vec::new(),
        };
        Database::new(config, 1, &world)
    }

    #[test]
    fn names_round_trip() {
        for name in Replication::NAMES {
            assert_eq!(
                Replication::from_name(name).map(Replication::name),
                Some(name)
            );
        }
        for name in ReplicaChoice::NAMES {
            assert_eq!(
                ReplicaChoice::from_name(name).map(ReplicaChoice::name),
                Some(name)
            );
        }
        assert_eq!(Replication::from_name("semisync"), None);
    }

    #[test]
    fn round_robin_skips_the_master_and_replicas_that_are_down() {
        let mut db = database(3, ReplicaChoice::RoundRobin, false);
        let picks: Vec<_> = (0..6).filter_map(|_| db.pick_reader(0)).collect();
        assert_eq!(picks, [1, 2, 3, 1, 2, 3]);
        db.nodes[2].up = false;
        let picks: Vec<_> = (0..4).filter_map(|_| db.pick_reader(0)).collect();
        assert_eq!(picks, [1, 3, 1, 3]);
        // After a promotion the new master takes no reads and the old one, back, does.
        db.master = 1;
        let picks: Vec<_> = (0..4).filter_map(|_| db.pick_reader(0)).collect();
        assert_eq!(picks, [0, 3, 0, 3]);
    }

    #[test]
    fn least_connections_picks_the_least_loaded_replica() {
        let mut db = database(3, ReplicaChoice::LeastConnections, false);
        db.nodes[1].busy = 4;
        db.nodes[1].queued = 2;
        db.nodes[2].busy = 3;
        db.nodes[3].busy = 4;
        assert_eq!(db.pick_reader(0), Some(2));
        db.nodes[2].queued = 5;
        assert_eq!(db.pick_reader(0), Some(3));
    }

    #[test]
    fn reads_fall_back_to_the_master_and_fail_with_no_node() {
        let mut db = database(2, ReplicaChoice::Random, true);
        assert_eq!(db.pick_reader(0), Some(0), "reads: master");
        db.config.reads_from_master = false;
        for _ in 0..20 {
            assert!(matches!(db.pick_reader(0), Some(1 | 2)));
        }
        db.nodes[1].up = false;
        db.nodes[2].up = false;
        assert_eq!(db.pick_reader(0), Some(0), "no replica left");
        db.nodes[0].up = false;
        assert_eq!(db.pick_reader(0), None);
        // The master down but a replica up: reads go on, even with reads: master.
        db.nodes[2].up = true;
        db.config.reads_from_master = true;
        assert_eq!(db.pick_reader(0), Some(2));
    }

    #[test]
    fn the_replication_window_keeps_what_some_replica_lacks() {
        let mut db = database(2, ReplicaChoice::RoundRobin, false);
        db.window.extend([(1, true), (2, true), (3, false)]);
        db.nodes[1].applied = 2;
        db.nodes[2].applied = 1;
        db.trim_window();
        assert_eq!(db.window, [(2, true), (3, false)]);
        // A replica that is down does not hold the window back.
        db.nodes[2].up = false;
        db.trim_window();
        assert_eq!(db.window, [(3, false)]);
    }
}
