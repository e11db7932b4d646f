//! ID generator: hands out unique ids to its callers, by one of four classic designs.
//!
//! Model and parameters (every scheme):
//! - **Nodes**: the generator has `instances` nodes (default 1; for `multi_master` they are
//!   the masters, also written `masters`, default 2). Each node serves at most
//!   `workers` requests at once and queues at most `queue` more (FIFO; unbounded if not
//!   given); a request that finds both full is rejected. A request takes its id when a worker
//!   starts it, then holds the worker for `service_time` [distribution] (default 1ms for the
//!   database schemes, 0 for the local ones), multiplied by the node's slow-down.
//! - **Routing**: calls go round robin to the nodes that are up; where nodes are placed in data
//!   centers, to those in the caller's region when one is up (the caller's data center, or the
//!   client's region for a traffic source). A call to a node in another region pays the one-way
//!   region latency each way (unless the whole generator is placed in one data center: then the
//!   network already does).
//! - **Crashes**: requests inside a crashed node fail (counted as lost); its share of new calls
//!   moves to the nodes that are up; with none up, calls fail at once. A node keeps its counter
//!   (and a snowflake machine its last timestamp and sequence) across a crash.
//!
//! Schemes:
//! - `auto_increment`: one database, node 0, issues 1, 2, 3, ... Further instances are
//!   standbys that take no id requests and do not take over (so that a study can switch a
//!   multi-node design to auto_increment by the scheme alone). Throughput ceiling `workers /
//!   service_time`; with one worker and exponential service it is an M/M/1 queue (mean wait
//!   rho / (mu - lambda)), with a constant service time M/D/1. A crash of it fails every id
//!   request: a single point of failure.
//! - `multi_master`: `masters` = N databases; master i (from 0) issues i+1, i+1+N, i+1+2N, ...
//!   (offset i+1, step N, as MySQL's auto_increment_offset / auto_increment_increment). Unique,
//!   but not ordered across masters.
//! - `uuid`: random version-4 UUIDs (122 random bits) drawn from the generator's own random
//!   stream; no coordination and no ordering. The report gives the birthday bound on the
//!   probability of any collision among the n ids issued, 1 - exp(-n(n-1) / 2^123).
//! - `snowflake`: a 63-bit id = timestamp [ms since the epoch] | data center | machine |
//!   sequence, with widths `timestamp_bits`, `datacenter_bits`, `machine_bits`,
//!   `sequence_bits` (default 41, 5, 5, 12; they sum to 63). Each instance is a machine with its
//!   own clock and sequence; its data center id is the index of the data center it is placed in
//!   (0 if not placed), its machine id its rank among the instances of that data center. The
//!   clock reads `since_epoch` at the start of the run. Within one millisecond a machine issues
//!   at most 2^sequence_bits ids; the next request waits for the next millisecond of its clock
//!   (counted as `sequence_waits`; the wait shows in latency): the throughput ceiling is
//!   2^sequence_bits ids per ms per machine. A clock that goes backwards (a `clock_jump`
//!   failure with a negative `by`) is handled by `on_clock_backwards`: `wait` (default) holds
//!   requests until the clock passes the last timestamp issued; `fail` answers them failed;
//!   `ignore` keeps issuing with the earlier timestamps, which can repeat ids already issued.
//!   Other schemes do not read a clock: a jump changes nothing there.
//!   A timestamp beyond `timestamp_bits` fails the request (`timestamp_overflow`).
//!
//! Figures: ids issued over the whole run (the warm-up included: uniqueness is about every id),
//! duplicates (checked exactly at the end of the run against every id issued), ids issued out
//! of order (smaller than one the generator issued earlier), sequence waits, clock-backwards
//! events, the most ids one node issued in one millisecond, failures by cause.
//!
//! Tests: `tests/id_generators.rs` (no snowflake duplicate at high load over several machines;
//! the ceiling of 4096 and 256 ids per ms per machine; a clock jump back with `wait` and with
//! `ignore`; multi-master congruences; auto-increment against M/M/1 and M/D/1; uuid
//! uniqueness; scenario errors) and the unit tests below.

use crate::model::figures::id_generator::{
    IdFailures, IdGeneratorFigures, IdNodeFigures, LayoutFigures,
};
use crate::model::kind::Kind;
use std::collections::VecDeque;

use rand::Rng;

use crate::engine::rng::{stream, SimRng};
use crate::engine::{Component, ComponentId, SimDuration, SimTime};
use crate::model::support::call::CallId;
use crate::model::support::dist::Distribution;
use crate::model::support::network::{Place, NO_REGION};
use crate::model::support::slab::{Generational, Slab};
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use crate::model::{reply, ComponentReport, Control, ModelSim, Msg, Node, NodeStats, World};
use crate::stats::Outcome;

/// Most nodes (masters, instances) of one generator: each keeps its own queue and statistics.
pub const MAX_NODES: u64 = 10_000;

/// How ids are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    AutoIncrement,
    MultiMaster,
    Uuid,
    Snowflake,
}

impl Scheme {
    pub const NAMES: [&'static str; 4] = ["auto_increment", "multi_master", "uuid", "snowflake"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "auto_increment" => Some(Scheme::AutoIncrement),
            "multi_master" => Some(Scheme::MultiMaster),
            "uuid" => Some(Scheme::Uuid),
            "snowflake" => Some(Scheme::Snowflake),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::AutoIncrement => "auto_increment",
            Scheme::MultiMaster => "multi_master",
            Scheme::Uuid => "uuid",
            Scheme::Snowflake => "snowflake",
        }
    }

    /// Whether a node is a database round trip (default service time 1ms) rather than a
    /// local computation (default 0).
    pub fn is_database(self) -> bool {
        matches!(self, Scheme::AutoIncrement | Scheme::MultiMaster)
    }
}

/// What a snowflake machine does when its clock reads earlier than its last timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockPolicy {
    Wait,
    Fail,
    Ignore,
}

impl ClockPolicy {
    pub const NAMES: [&'static str; 3] = ["wait", "fail", "ignore"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "wait" => Some(ClockPolicy::Wait),
            "fail" => Some(ClockPolicy::Fail),
            "ignore" => Some(ClockPolicy::Ignore),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ClockPolicy::Wait => "wait",
            ClockPolicy::Fail => "fail",
            ClockPolicy::Ignore => "ignore",
        }
    }
}

/// Bit widths of a snowflake id (they sum to 63: the sign bit stays 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnowflakeLayout {
    pub timestamp_bits: u32,
    pub datacenter_bits: u32,
    pub machine_bits: u32,
    pub sequence_bits: u32,
}

impl Default for SnowflakeLayout {
    fn default() -> Self {
        SnowflakeLayout {
            timestamp_bits: 41,
            datacenter_bits: 5,
            machine_bits: 5,
            sequence_bits: 12,
        }
    }
}

impl SnowflakeLayout {
    /// Ids one machine may issue in one millisecond.
    pub fn per_ms(self) -> u64 {
        1u64 << self.sequence_bits
    }

    /// Packs the fields into an id.
    pub fn id(self, timestamp: u64, dc: u64, machine: u64, sequence: u64) -> u64 {
        let m = self.sequence_bits;
        let d = m + self.machine_bits;
        let t = d + self.datacenter_bits;
        (timestamp << t) | (dc << d) | (machine << m) | sequence
    }

    /// Splits an id into (timestamp, data center, machine, sequence).
    pub fn fields(self, id: u64) -> (u64, u64, u64, u64) {
        let mask = |bits: u32| (1u64 << bits) - 1;
        let m = self.sequence_bits;
        let d = m + self.machine_bits;
        let t = d + self.datacenter_bits;
        (
            id >> t,
            (id >> d) & mask(self.datacenter_bits),
            (id >> m) & mask(self.machine_bits),
            id & mask(self.sequence_bits),
        )
    }
}

#[derive(Clone, Debug)]
pub struct IdGeneratorConfig {
    pub name: String,
    pub scheme: Scheme,
    /// Nodes: 1 (auto_increment), the masters, or the instances.
    pub nodes: u32,
    /// Requests each node serves at once.
    pub workers: u32,
    /// Requests each node holds waiting; `None` is unbounded.
    pub queue_capacity: Option<u32>,
    pub service_time: Distribution,
    pub layout: SnowflakeLayout,
    /// Time from the id epoch to the start of the run [ms].
    pub since_epoch_ms: u64,
    pub on_clock_backwards: ClockPolicy,
    /// The data center of each node, where nodes are placed (empty: none).
    pub node_data_centers: Vec<Option<u16>>,
    /// The whole generator sits in one data center (the network adds region latencies).
    pub placed_whole: bool,
}

impl IdGeneratorConfig {
    /// A generator with the scheme's defaults.
    pub fn new(name: &str, scheme: Scheme) -> Self {
        let service = if scheme.is_database() {
            SimDuration::from_millis(1)
        } else {
            SimDuration::ZERO
        };
        IdGeneratorConfig {
            name: name.to_string(),
            scheme,
            nodes: if scheme == Scheme::MultiMaster { 2 } else { 1 },
            workers: 1,
            queue_capacity: None,
            service_time: Distribution::constant(service),
            layout: SnowflakeLayout::default(),
            since_epoch_ms: 0,
            on_clock_backwards: ClockPolicy::Wait,
            node_data_centers: Vec::new(),
            placed_whole: false,
        }
    }

    /// The most ids per second the generator can issue with every node up, where one applies.
    pub fn ceiling_per_s(&self) -> Option<f64> {
        let nodes = match self.scheme {
            Scheme::AutoIncrement => 1.0,
            _ => f64::from(self.nodes),
        };
        match self.scheme {
            Scheme::Snowflake => Some(nodes * self.layout.per_ms() as f64 * 1000.0),
            _ => {
                let mean = self.service_time.mean_secs();
                (mean > 0.0).then(|| nodes * f64::from(self.workers) / mean)
            }
        }
    }

    /// (data center id, machine id) of each snowflake machine.
    pub fn machine_ids(&self) -> Vec<(u64, u64)> {
        let mut per_dc: std::collections::BTreeMap<u64, u64> = Default::default();
        (0..self.nodes as usize)
            .map(|i| {
                let dc = self
                    .node_data_centers
                    .get(i)
                    .copied()
                    .flatten()
                    .map_or(0, u64::from);
                let rank = per_dc.entry(dc).or_insert(0);
                let machine = *rank;
                *rank += 1;
                (dc, machine)
            })
            .collect()
    }

    /// A one-line description for the topology diagram.
    pub fn describe(&self) -> String {
        match self.scheme {
            Scheme::AutoIncrement => "auto_increment".to_string(),
            Scheme::MultiMaster => format!("multi_master, {} masters", self.nodes),
            Scheme::Uuid => "uuid v4".to_string(),
            Scheme::Snowflake => format!(
                "snowflake, {} machine{}",
                self.nodes,
                if self.nodes == 1 { "" } else { "s" }
            ),
        }
    }
}

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum IdGeneratorTimer {
        Arrived = 0,
        Retry = 1,
        Done = 2,
        Returned = 3,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobState {
    Free,
    /// On its way to a node in another region.
    Arriving,
    Queued,
    /// Holding a worker, waiting for the machine's clock (next millisecond, or catching up
    /// after a jump back) until `wake_at`.
    Waiting,
    /// Holding a worker for the service time, id issued.
    Running,
    /// Answered, on its way back to a caller in another region.
    Returning,
}

#[derive(Clone, Copy, Debug)]
struct Job {
    generation: u32,
    state: JobState,
    upstream: CallId,
    node: u32,
    /// The caller's region (for the way back).
    region: u16,
    arrived: SimTime,
    wake_at: SimTime,
    /// The answer, while it travels back to a caller in another region.
    outcome: Outcome,
    /// Waiting for the machine's clock to catch up after a jump back.
    clock_hold: bool,
}

impl Generational for Job {
    fn generation_mut(&mut self) -> &mut u32 {
        &mut self.generation
    }
    fn set_free(&mut self) {
        self.state = JobState::Free;
    }
}

struct IdNode {
    up: bool,
    busy: u32,
    waiting: VecDeque<(u32, u32)>,
    queued: u32,
    slowdown: f64,
    region: u16,
    /// Next value of a database counter.
    next_value: u64,
    /// Snowflake: clock offset from simulated time [ns], data center and machine ids, last
    /// timestamp issued [ms since the epoch] and sequence within it.
    clock_offset_ns: i64,
    dc_id: u64,
    machine_id: u64,
    last_ms: i64,
    sequence: u64,
    /// Millisecond bucket being counted and the ids issued in it.
    bucket_ms: i64,
    bucket_count: u64,
    peak_per_ms: u64,
    issued: u64,
    /// Smallest and largest id issued (not for uuids).
    min_id: Option<u64>,
    max_id: Option<u64>,
    /// multi_master: ids not congruent to the master's offset modulo the step (always 0; a
    /// check of the scheme).
    off_offset: u64,
    requests: u64,
    clock_backwards_events: u64,
}

#[derive(Default)]
struct Counters {
    sequence_waits: u64,
    clock_backwards_events: u64,
    held_by_clock: u64,
    failed_no_node: u64,
    failed_in_crashes: u64,
    failed_clock_backwards: u64,
    failed_timestamp_overflow: u64,
    failed_injected: u64,
    rejected_queue_full: u64,
    out_of_order: u64,
    cross_region_calls: u64,
}

/// Every id issued, for the exact duplicate check at the end.
enum Issued {
    Ids(Vec<u64>),
    Uuids(Vec<u128>),
}

pub struct IdGenerator {
    config: IdGeneratorConfig,
    nodes: Vec<IdNode>,
    jobs: Slab<Job>,
    next_node: usize,
    service_rng: SimRng,
    uuid_rng: SimRng,
    error_rng: SimRng,
    error_fraction: f64,
    stats: NodeStats,
    counters: Counters,
    issued: Issued,
    /// Largest id issued so far (for `out_of_order`).
    max_issued: Option<u128>,
    ids_issued: u64,
    /// Duplicates found at the end of the run.
    duplicates: u64,
}

const NANOS_PER_MS: i64 = 1_000_000;

impl IdGenerator {
    pub fn new(config: IdGeneratorConfig, seed: u64, world: &World) -> Self {
        let clock = world.clock;
        let network = &world.network;
        let machines = config.machine_ids();
        let nodes = (0..config.nodes as usize)
            .map(|i| IdNode {
                up: true,
                busy: 0,
                waiting: VecDeque::new(),
                queued: 0,
                slowdown: 1.0,
                region: match config.node_data_centers.get(i).copied().flatten() {
                    Some(dc) => network.data_center_region(dc),
                    None => NO_REGION,
                },
                next_value: match config.scheme {
                    Scheme::MultiMaster => i as u64 + 1,
                    _ => 1,
                },
                clock_offset_ns: 0,
                dc_id: machines[i].0,
                machine_id: machines[i].1,
                last_ms: -1,
                sequence: 0,
                bucket_ms: -1,
                bucket_count: 0,
                peak_per_ms: 0,
                issued: 0,
                min_id: None,
                max_id: None,
                off_offset: 0,
                requests: 0,
                clock_backwards_events: 0,
            })
            .collect();
        let capacity = u64::from(config.nodes) * u64::from(config.workers);
        let name = config.name.clone();
        IdGenerator {
            nodes,
            jobs: Slab::default(),
            next_node: 0,
            service_rng: stream(seed, &name, "service"),
            uuid_rng: stream(seed, &name, "uuid"),
            error_rng: stream(seed, &name, "injected-errors"),
            error_fraction: 0.0,
            stats: NodeStats::new(clock, capacity),
            counters: Counters::default(),
            issued: if config.scheme == Scheme::Uuid {
                Issued::Uuids(Vec::new())
            } else {
                Issued::Ids(Vec::new())
            },
            max_issued: None,
            ids_issued: 0,
            duplicates: 0,
            config,
        }
    }

    pub fn config(&self) -> &IdGeneratorConfig {
        &self.config
    }

    fn timer(&self, kind: IdGeneratorTimer, job: u32) -> Msg {
        Msg::timer(kind, job, self.jobs[job as usize].generation)
    }

    fn fail_now(&mut self, id: CallId, now: SimTime, outcome: Outcome, sim: &mut ModelSim) {
        self.stats.requests.finish(now, now, outcome);
        reply(sim, id, outcome);
    }

    /// The region the caller of `id` sits in, for routing and cross-region delays.
    fn caller_region(id: CallId, sim: &ModelSim) -> u16 {
        let call = sim.world.calls.get(id);
        match sim.world.network.place(call.caller) {
            Place::DataCenter { region, .. } => region,
            Place::Client => call.request.region,
            Place::Nowhere => NO_REGION,
        }
    }

    /// Round robin over the nodes that are up, those in `region` first; node 0 alone for
    /// auto_increment.
    fn pick_node(&mut self, region: u16) -> Option<usize> {
        if self.config.scheme == Scheme::AutoIncrement {
            return self.nodes[0].up.then_some(0);
        }
        let n = self.nodes.len();
        let local = region != NO_REGION
            && self
                .nodes
                .iter()
                .any(|node| node.up && node.region == region);
        for _ in 0..n {
            let i = self.next_node % n;
            self.next_node = (i + 1) % n;
            let node = &self.nodes[i];
            if node.up && (!local || node.region == region) {
                return Some(i);
            }
        }
        None
    }

    /// One-way delay between the caller's region and the node's, where the generator itself
    /// adds it.
    fn region_delay(&self, from: u16, to: u16, sim: &mut ModelSim) -> SimDuration {
        if self.config.placed_whole || from == to || from == NO_REGION || to == NO_REGION {
            return SimDuration::ZERO;
        }
        sim.world.network.region_latency(from, to)
    }

    fn on_call(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let now = sim.now();
        self.stats.requests.arrive(now);
        let region = Self::caller_region(id, sim);
        let Some(node) = self.pick_node(region) else {
            self.counters.failed_no_node += 1;
            self.fail_now(id, now, Outcome::Failed, sim);
            return;
        };
        if self.error_fraction > 0.0 && self.error_rng.random::<f64>() < self.error_fraction {
            self.counters.failed_injected += 1;
            self.fail_now(id, now, Outcome::Failed, sim);
            return;
        }
        let job = self.jobs.insert_next_generation(Job {
            generation: 0,
            state: JobState::Arriving,
            upstream: id,
            node: node as u32,
            region,
            arrived: now,
            wake_at: SimTime::NEVER,
            outcome: Outcome::Succeeded,
            clock_hold: false,
        });
        let delay = self.region_delay(region, self.nodes[node].region, sim);
        if delay.is_zero() {
            self.admit(me, job, sim);
        } else {
            self.counters.cross_region_calls += 1;
            let msg = self.timer(IdGeneratorTimer::Arrived, job);
            sim.schedule_in(delay, me, msg);
        }
    }

    /// A request reaches its node: it starts, waits in the queue or is rejected.
    fn admit(&mut self, me: ComponentId, job: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let j = self.jobs[job as usize];
        let node = j.node as usize;
        let n = &mut self.nodes[node];
        if !n.up {
            self.jobs.remove(job);
            self.counters.failed_in_crashes += 1;
            self.stats.requests.finish(j.arrived, now, Outcome::Failed);
            reply(sim, j.upstream, Outcome::Failed);
            return;
        }
        if now >= self.stats.requests.warmup_end() {
            n.requests += 1;
        }
        if n.busy < self.config.workers {
            self.start(me, job, sim);
            self.pump(me, node, sim);
            return;
        }
        if self
            .config
            .queue_capacity
            .is_some_and(|cap| n.queued >= cap)
        {
            self.jobs.remove(job);
            self.counters.rejected_queue_full += 1;
            self.stats.requests.refuse(j.arrived, now);
            reply(sim, j.upstream, Outcome::Rejected);
            return;
        }
        let generation = self.jobs[job as usize].generation;
        self.jobs[job as usize].state = JobState::Queued;
        let n = &mut self.nodes[node];
        n.waiting.push_back((job, generation));
        n.queued += 1;
        self.stats.queue.increment(now);
    }

    /// Starts queued requests while the node has free workers.
    fn pump(&mut self, me: ComponentId, node: usize, sim: &mut ModelSim) {
        let now = sim.now();
        while self.nodes[node].up && self.nodes[node].busy < self.config.workers {
            let Some((next, generation)) = self.nodes[node].waiting.pop_front() else {
                break;
            };
            let j = &self.jobs[next as usize];
            if j.generation == generation && j.state == JobState::Queued {
                self.nodes[node].queued -= 1;
                self.stats.queue.decrement(now);
                self.start(me, next, sim);
            }
        }
    }

    /// A worker takes the request: it is given an id (or waits for the clock).
    fn start(&mut self, me: ComponentId, job: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let node = self.jobs[job as usize].node as usize;
        self.nodes[node].busy += 1;
        self.stats.busy.increment(now);
        let upstream = sim.world.calls.get_mut(self.jobs[job as usize].upstream);
        upstream.started = now;
        upstream.served_by = node as u32;
        self.issue(me, job, sim);
    }

    /// Reads a snowflake machine's clock [ms since the epoch].
    fn clock_ms(&self, node: usize, now: SimTime) -> i64 {
        let ns = now.as_nanos() as i64 + self.nodes[node].clock_offset_ns;
        ns.div_euclid(NANOS_PER_MS) + self.config.since_epoch_ms as i64
    }

    /// The simulated instant at which machine `node`'s clock reads `ms`.
    fn when_clock_reads(&self, node: usize, ms: i64) -> SimTime {
        let ns = (ms - self.config.since_epoch_ms as i64) * NANOS_PER_MS
            - self.nodes[node].clock_offset_ns;
        SimTime::from_nanos(ns.max(0) as u64)
    }

    /// Gives the job its id, or makes it wait for the machine's clock, or fails it.
    fn issue(&mut self, me: ComponentId, job: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let node = self.jobs[job as usize].node as usize;
        let id: u128 = match self.config.scheme {
            Scheme::AutoIncrement | Scheme::MultiMaster => {
                let n = &mut self.nodes[node];
                let id = n.next_value;
                n.next_value += u64::from(self.config.nodes);
                u128::from(id)
            }
            Scheme::Uuid => {
                // Version 4, variant 10: 122 random bits.
                let raw: u128 = self.uuid_rng.random();
                (raw & !(0xF_u128 << 76) & !(0b11_u128 << 62)) | (0x4_u128 << 76) | (0b10 << 62)
            }
            Scheme::Snowflake => {
                let layout = self.config.layout;
                let mut ms = self.clock_ms(node, now);
                let last = self.nodes[node].last_ms;
                if ms < last {
                    match self.config.on_clock_backwards {
                        ClockPolicy::Wait => {
                            if !self.jobs[job as usize].clock_hold {
                                self.jobs[job as usize].clock_hold = true;
                                self.counters.held_by_clock += 1;
                            }
                            self.wait(me, job, self.when_clock_reads(node, last), sim);
                            return;
                        }
                        ClockPolicy::Fail => {
                            self.counters.failed_clock_backwards += 1;
                            self.finish(me, job, Outcome::Failed, sim);
                            return;
                        }
                        ClockPolicy::Ignore => {}
                    }
                }
                let n = &mut self.nodes[node];
                if ms == last {
                    if n.sequence + 1 >= layout.per_ms() {
                        self.counters.sequence_waits += 1;
                        self.wait(me, job, self.when_clock_reads(node, ms + 1), sim);
                        return;
                    }
                    n.sequence += 1;
                } else {
                    n.sequence = 0;
                }
                n.last_ms = ms;
                if ms < 0 || ms as u64 >= 1u64 << layout.timestamp_bits {
                    self.counters.failed_timestamp_overflow += 1;
                    self.finish(me, job, Outcome::Failed, sim);
                    return;
                }
                ms = ms.max(0);
                u128::from(layout.id(ms as u64, n.dc_id, n.machine_id, n.sequence))
            }
        };
        if self.jobs[job as usize].clock_hold {
            // The requests queued behind it waited for the clock too.
            self.jobs[job as usize].clock_hold = false;
            self.counters.held_by_clock += u64::from(self.nodes[node].queued);
        }
        self.record(node, id, now);
        let mut service = self.config.service_time.sample(&mut self.service_rng);
        let slowdown = self.nodes[node].slowdown;
        if slowdown != 1.0 {
            service = SimDuration::from_secs_f64(service.as_secs_f64() * slowdown);
        }
        if service.is_zero() {
            self.finish(me, job, Outcome::Succeeded, sim);
        } else {
            self.jobs[job as usize].state = JobState::Running;
            let msg = self.timer(IdGeneratorTimer::Done, job);
            sim.schedule_in(service, me, msg);
        }
    }

    fn wait(&mut self, me: ComponentId, job: u32, until: SimTime, sim: &mut ModelSim) {
        let until = until.max(sim.now());
        let j = &mut self.jobs[job as usize];
        j.state = JobState::Waiting;
        j.wake_at = until;
        let msg = self.timer(IdGeneratorTimer::Retry, job);
        sim.schedule_at(until, me, msg);
    }

    fn record(&mut self, node: usize, id: u128, now: SimTime) {
        self.ids_issued += 1;
        match &mut self.issued {
            Issued::Ids(ids) => ids.push(id as u64),
            Issued::Uuids(ids) => ids.push(id),
        }
        if self.max_issued.is_some_and(|max| id < max) {
            self.counters.out_of_order += 1;
        }
        self.max_issued = Some(self.max_issued.map_or(id, |max| max.max(id)));
        let bucket = match self.config.scheme {
            Scheme::Snowflake => self.nodes[node].last_ms,
            _ => (now.as_nanos() / NANOS_PER_MS as u64) as i64,
        };
        let step = u128::from(self.config.nodes);
        let multi_master = self.config.scheme == Scheme::MultiMaster;
        let uuid = self.config.scheme == Scheme::Uuid;
        let n = &mut self.nodes[node];
        n.issued += 1;
        if !uuid {
            let small = id as u64;
            n.min_id = Some(n.min_id.map_or(small, |m| m.min(small)));
            n.max_id = Some(n.max_id.map_or(small, |m| m.max(small)));
        }
        if multi_master && id % step != (node as u128 + 1) % step {
            n.off_offset += 1;
        }
        if bucket == n.bucket_ms {
            n.bucket_count += 1;
        } else {
            n.bucket_ms = bucket;
            n.bucket_count = 1;
        }
        n.peak_per_ms = n.peak_per_ms.max(n.bucket_count);
    }

    /// Frees the job's worker and answers (after the way back, for a caller in another
    /// region). The caller pumps the node's queue.
    fn finish(&mut self, me: ComponentId, job: u32, outcome: Outcome, sim: &mut ModelSim) {
        let now = sim.now();
        let j = self.jobs[job as usize];
        let node = j.node as usize;
        self.nodes[node].busy -= 1;
        self.stats.busy.decrement(now);
        let delay = self.region_delay(self.nodes[node].region, j.region, sim);
        if delay.is_zero() {
            self.jobs.remove(job);
            self.stats.requests.finish(j.arrived, now, outcome);
            reply(sim, j.upstream, outcome);
        } else {
            self.jobs[job as usize].state = JobState::Returning;
            self.jobs[job as usize].outcome = outcome;
            let msg = self.timer(IdGeneratorTimer::Returned, job);
            sim.schedule_in(delay, me, msg);
        }
    }

    fn on_timer(
        &mut self,
        me: ComponentId,
        kind: IdGeneratorTimer,
        job: u32,
        gen: u32,
        sim: &mut ModelSim,
    ) {
        let Some(j) = self.jobs.get(job as usize).copied() else {
            return;
        };
        if j.generation != gen {
            return;
        }
        let node = j.node as usize;
        match (kind, j.state) {
            (IdGeneratorTimer::Arrived, JobState::Arriving) => self.admit(me, job, sim),
            (IdGeneratorTimer::Retry, JobState::Waiting) if j.wake_at == sim.now() => {
                self.issue(me, job, sim);
                self.pump(me, node, sim);
            }
            (IdGeneratorTimer::Done, JobState::Running) => {
                self.finish(me, job, Outcome::Succeeded, sim);
                self.pump(me, node, sim);
            }
            (IdGeneratorTimer::Returned, JobState::Returning) => {
                let now = sim.now();
                self.jobs.remove(job);
                self.stats.requests.finish(j.arrived, now, j.outcome);
                reply(sim, j.upstream, j.outcome);
            }
            _ => {}
        }
    }

    fn on_control(&mut self, me: ComponentId, control: Control, sim: &mut ModelSim) {
        let chosen = |instance: u32, i: usize| {
            instance == crate::model::ALL_INSTANCES || i == instance as usize
        };
        match control {
            Control::Crash { instance } => {
                for node in 0..self.nodes.len() {
                    if chosen(instance, node) {
                        self.crash(node, sim);
                    }
                }
            }
            Control::Recover { instance } => {
                for (i, n) in self.nodes.iter_mut().enumerate() {
                    if chosen(instance, i) {
                        n.up = true;
                    }
                }
            }
            Control::Slow { instance, factor } => {
                for (i, n) in self.nodes.iter_mut().enumerate() {
                    if chosen(instance, i) {
                        n.slowdown = f64::from(factor);
                    }
                }
            }
            Control::Errors { fraction } => self.error_fraction = f64::from(fraction),
            Control::ClockJump { instance, by_ns } => {
                let now = sim.now();
                for node in 0..self.nodes.len() {
                    if !chosen(instance, node) {
                        continue;
                    }
                    let n = &mut self.nodes[node];
                    n.clock_offset_ns += by_ns;
                    if by_ns < 0 {
                        n.clock_backwards_events += 1;
                        self.counters.clock_backwards_events += 1;
                    }
                    // Requests waiting for the clock look at it again.
                    for job in 0..self.jobs.len() as u32 {
                        let j = self.jobs[job as usize];
                        if j.state == JobState::Waiting && j.node as usize == node {
                            self.jobs[job as usize].wake_at = now;
                            let msg = self.timer(IdGeneratorTimer::Retry, job);
                            sim.schedule_at(now, me, msg);
                        }
                    }
                }
            }
        }
    }

    fn crash(&mut self, node: usize, sim: &mut ModelSim) {
        let now = sim.now();
        if !self.nodes[node].up {
            return;
        }
        for index in 0..self.jobs.len() {
            let j = self.jobs[index];
            let inside = matches!(
                j.state,
                JobState::Queued | JobState::Waiting | JobState::Running
            );
            if !inside || j.node as usize != node {
                continue;
            }
            self.jobs.remove(index as u32);
            self.counters.failed_in_crashes += 1;
            self.stats.requests.finish(j.arrived, now, Outcome::Failed);
            reply(sim, j.upstream, Outcome::Failed);
        }
        let n = &mut self.nodes[node];
        let (busy, queued) = (u64::from(n.busy), u64::from(n.queued));
        n.up = false;
        n.busy = 0;
        n.waiting.clear();
        n.queued = 0;
        self.stats.busy.set(now, self.stats.busy.level() - busy);
        self.stats.queue.set(now, self.stats.queue.level() - queued);
    }

    /// The birthday bound: the probability that `n` random 122-bit ids hold a collision.
    pub fn uuid_collision_probability(n: u64) -> f64 {
        let n = n as f64;
        let pairs = n * (n - 1.0).max(0.0) / 2.0;
        -(-pairs / 2f64.powi(122)).exp_m1()
    }
}

impl Component<Msg, World> for IdGenerator {
    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        match msg.typed::<IdGeneratorTimer>() {
            Event::Call(id) => self.on_call(me, id, sim),
            Event::Reply(_) => {}
            Event::Timer {
                kind,
                index,
                generation,
            } => self.on_timer(me, kind, index, generation, sim),
            Event::UnknownTimer { .. } => {}
            Event::Control(control) => self.on_control(me, control, sim),
        }
    }

    fn finish(&mut self, _me: ComponentId, sim: &mut ModelSim) {
        self.stats.close(sim.now());
        // The exact duplicate check: sort every id issued and count equal neighbours.
        self.duplicates = match &mut self.issued {
            Issued::Ids(ids) => {
                ids.sort_unstable();
                ids.windows(2).filter(|w| w[0] == w[1]).count() as u64
            }
            Issued::Uuids(ids) => {
                ids.sort_unstable();
                ids.windows(2).filter(|w| w[0] == w[1]).count() as u64
            }
        };
        self.issued = Issued::Ids(Vec::new());
    }
}

impl IdGenerator {
    /// The generator's own figures.
    fn figures(&self) -> crate::model::figures::Figures {
        let c = &self.counters;
        let name = &self.config.name;
        let scheme = self.config.scheme;
        let snowflake = scheme == Scheme::Snowflake;
        let counters = scheme != Scheme::Uuid;
        let multi_master = scheme == Scheme::MultiMaster;
        let nodes = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| IdNodeFigures {
                node: format!("{name}[{i}]"),
                up_at_end: n.up,
                requests: n.requests,
                ids_issued: n.issued,
                peak_ids_per_ms: n.peak_per_ms,
                datacenter_id: snowflake.then_some(n.dc_id),
                machine_id: snowflake.then_some(n.machine_id),
                clock_backwards_events: snowflake.then_some(n.clock_backwards_events),
                clock_offset_ms: snowflake.then(|| n.clock_offset_ns as f64 / 1e6),
                min_id: counters.then_some(n.min_id),
                max_id: counters.then_some(n.max_id),
                offset: multi_master.then_some(i as u64 + 1),
                step: multi_master.then_some(u64::from(self.config.nodes)),
                ids_not_congruent_to_offset: multi_master.then_some(n.off_offset),
            })
            .collect();
        let failures = IdFailures {
            total: c.failed_no_node
                + c.failed_in_crashes
                + c.failed_clock_backwards
                + c.failed_timestamp_overflow
                + c.failed_injected,
            no_node_up: c.failed_no_node,
            in_crashed_nodes: c.failed_in_crashes,
            clock_backwards: c.failed_clock_backwards,
            timestamp_overflow: c.failed_timestamp_overflow,
            injected: c.failed_injected,
            rejected_queue_full: c.rejected_queue_full,
        };
        let l = self.config.layout;
        crate::model::figures::Figures::IdGenerator(Box::new(IdGeneratorFigures {
            ceiling_ids_per_s: self.config.ceiling_per_s(),
            clock_backwards_events: c.clock_backwards_events,
            collision_probability: (scheme == Scheme::Uuid)
                .then(|| Self::uuid_collision_probability(self.ids_issued)),
            cross_region_calls: c.cross_region_calls,
            duplicates: self.duplicates,
            failures,
            held_by_clock: c.held_by_clock,
            ids_issued: self.ids_issued,
            layout: snowflake.then(|| LayoutFigures {
                timestamp_bits: l.timestamp_bits,
                datacenter_bits: l.datacenter_bits,
                machine_bits: l.machine_bits,
                sequence_bits: l.sequence_bits,
                ids_per_ms_per_machine: l.per_ms(),
                on_clock_backwards: self.config.on_clock_backwards.name().to_string(),
            }),
            nodes,
            out_of_order: c.out_of_order,
            out_of_order_ratio: (self.ids_issued > 0)
                .then(|| c.out_of_order as f64 / self.ids_issued as f64),
            peak_ids_per_ms_per_machine: self
                .nodes
                .iter()
                .map(|n| n.peak_per_ms)
                .max()
                .unwrap_or(0),
            scheme: scheme.name().to_string(),
            sequence_waits: c.sequence_waits,
        }))
    }
}

impl Node for IdGenerator {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn report(&self, end: SimTime) -> ComponentReport {
        let mut report = ComponentReport::from_node_stats(
            &self.config.name,
            Kind::IdGenerator,
            &self.stats,
            end,
        );
        report.figures = self.figures();
        let c = &self.counters;
        if c.failed_in_crashes > 0 {
            report
                .lost
                .insert("requests_in_crashed_instances", c.failed_in_crashes);
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflake_layout_packs_and_unpacks() {
        let l = SnowflakeLayout::default();
        assert_eq!(l.per_ms(), 4096);
        let id = l.id(1_288_834_974_657, 3, 17, 4095);
        assert_eq!(l.fields(id), (1_288_834_974_657, 3, 17, 4095));
        assert!(id < 1u64 << 63, "the sign bit stays 0");
        // Later timestamps give larger ids whatever the other fields.
        assert!(l.id(11, 0, 0, 0) > l.id(10, 31, 31, 4095));
    }

    #[test]
    fn machine_ids_rank_within_data_centers() {
        let mut c = IdGeneratorConfig::new("ids", Scheme::Snowflake);
        c.nodes = 4;
        c.node_data_centers = vec![Some(0), Some(1), Some(0), Some(1)];
        assert_eq!(c.machine_ids(), vec![(0, 0), (1, 0), (0, 1), (1, 1)]);
        c.node_data_centers.clear();
        assert_eq!(c.machine_ids(), vec![(0, 0), (0, 1), (0, 2), (0, 3)]);
    }

    #[test]
    fn birthday_bound() {
        assert_eq!(IdGenerator::uuid_collision_probability(0), 0.0);
        assert_eq!(IdGenerator::uuid_collision_probability(1), 0.0);
        // n(n-1)/2 pairs, each colliding with probability 2^-122: about 1e-25 for 1e6 ids.
        let p = IdGenerator::uuid_collision_probability(1_000_000);
        let expected = 1e6 * (1e6 - 1.0) / 2.0 / 2f64.powi(122);
        assert!((p / expected - 1.0).abs() < 1e-9, "{p} vs {expected}");
        // 2.71e18 ids give a 50% chance (the classic figure).
        let half = IdGenerator::uuid_collision_probability(2_710_000_000_000_000_000);
        assert!((half - 0.5).abs() < 0.01, "{half}");
    }

    #[test]
    fn scheme_names_round_trip() {
        for name in Scheme::NAMES {
            assert_eq!(Scheme::from_name(name).map(Scheme::name), Some(name));
        }
        for name in ClockPolicy::NAMES {
            assert_eq!(
                ClockPolicy::from_name(name).map(ClockPolicy::name),
                Some(name)
            );
        }
    }
}
