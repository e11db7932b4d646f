//! Fan-out service: one request in, N sub-requests out to a target (followers' feed caches,
//! group members' inboxes), for the news-feed designs: fan-out on write (push), fan-out on
//! read (pull) and the hybrid that treats celebrities differently.
//!
//! Model and parameters:
//! - **Which requests fan out** ([`Mode`]; posts are the scenario's `write_types`, every other
//!   type is a read):
//!   - `write` (push): a post fans out to its author's N followers (N from `followers`); a
//!     read is one call to the target with the reader's own key (the reader's feed).
//!   - `read` (pull): a post is one call with the author's key (the author's own timeline); a
//!     read fans out to the M accounts the reader follows (M from `following`).
//!   - `hybrid`: a post fans out as in `write` unless its author has more than
//!     `celebrity_threshold` followers: then it is one call with the author's key (counted as
//!     a skipped fan-out, pulled at read time). A read fans out to the reader's own feed plus
//!     the C celebrities the reader follows (C from `celebrities_followed`).
//! - **Counts** ([`CountLaw`]): N (and M, C) is a fixed function of the parent's key: the
//!   uniform `u = hash(key, seed, component, purpose)` mapped through the law's quantile, so
//!   an author has the same number of followers at every post, and a run is deterministic.
//!   Over many distinct keys the counts are independent draws from the law.
//! - **Keys of the sub-requests**: distinct within a fan-out and derived from the parent's
//!   key: `k_i = (a + i b) mod users` for `i < N`, where `a` and `b` come from a hash of the
//!   parent key and `b` is coprime with `users` (an affine permutation of the id space), so a
//!   cache downstream sees N distinct keys (the followers' ids). Celebrity pulls use the same
//!   construction over the `celebrity_accounts` lowest ids (ids below it are the celebrities;
//!   with Zipf popularity they are the most popular keys). Sub-requests keep the parent's type,
//!   client, region and birth time.
//! - **Concurrency**: at most `concurrency` sub-requests of one fan-out are in flight; each
//!   answer lets the next one go, so a fan-out to millions takes about
//!   `N x round trip / concurrency` rather than flooding the target.
//! - **Answer**: the fan-out answers its caller when every sub-request has been answered:
//!   "succeeded" when at least `min_success` of them succeeded (default 100%), "failed"
//!   otherwise. A fan-out of N = 0 answers at once. The service itself adds no time and never
//!   fails or times out (put a timeout on its caller, faults on its target).
//! - **Celebrity posts** (`celebrity_posts`): at each scripted time the service posts, as
//!   account 0 and with the first write type, a post whose author has the given number of
//!   followers, as if the post had arrived from a client; its delivery time (until every
//!   follower's feed was written) is reported.
//!
//! Figures: fan-outs and sub-requests (on write and on read), direct calls, mean and max N,
//! skipped celebrity fan-outs, fan-out completion time (arrival to last answer), sub-requests
//! in flight (peak and mean), failures, and each celebrity post's delivery time.
//!
//! Tests: `tests/fan_out.rs` (sample mean of N against the law's mean within a CLT bound,
//! sub-requests at the target equal to the sum of N, a chi-square test of the shape, hybrid
//! skips exactly the authors above the threshold, the concurrency bound, determinism, and the
//! validation errors), and `count.rs`'s unit tests for the laws.

use crate::model::figures::fanout::{
    CelebrityPostFigures, Completion, DirectionFigures, FanoutFigures,
};
use crate::model::kind::Kind;

use crate::engine::rng::{splitmix64, stream_id};
use crate::engine::{Component, ComponentId, SimDuration, SimTime};
use crate::model::support::call::{CallId, Request, ANY_INSTANCE};
use crate::model::support::count::CountLaw;
use crate::model::support::slab::{Generational, Slab};
use crate::model::support::timer::timer_kinds;
use crate::model::Event;
use crate::model::{
    call, reply, take_reply, ComponentReport, ModelSim, Msg, Node, RequestStats, WindowSeries,
    World,
};
use crate::stats::{LatencyHistogram, LevelTracker, Outcome, Windows};

/// Which requests fan out; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Write,
    Read,
    Hybrid,
}

impl Mode {
    pub const NAMES: [&'static str; 3] = ["write", "read", "hybrid"];

    pub fn from_name(name: &str) -> Option<Mode> {
        match name {
            "write" => Some(Mode::Write),
            "read" => Some(Mode::Read),
            "hybrid" => Some(Mode::Hybrid),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Write => "write",
            Mode::Read => "read",
            Mode::Hybrid => "hybrid",
        }
    }
}

/// A scripted post by a celebrity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CelebrityPost {
    pub at: SimTime,
    pub followers: u64,
}

#[derive(Clone, Debug)]
pub struct FanoutConfig {
    pub name: String,
    /// Where the sub-requests (and direct calls) go.
    pub target: ComponentId,
    pub mode: Mode,
    /// Size of the id space the sub-requests' keys are drawn from.
    pub users: u64,
    /// N: followers of a post's author.
    pub followers: CountLaw,
    /// M: accounts a reader follows (read mode).
    pub following: CountLaw,
    /// Sub-requests of one fan-out in flight at most.
    pub concurrency: u32,
    /// Fraction of sub-requests that must succeed for the fan-out to succeed.
    pub min_success: f64,
    /// Hybrid: authors with more followers than this are not fanned out.
    pub celebrity_threshold: u64,
    /// Hybrid: ids below this are the celebrity accounts readers pull from.
    pub celebrity_accounts: u64,
    /// Hybrid: C, celebrities a reader follows.
    pub celebrities_followed: CountLaw,
    pub celebrity_posts: Vec<CelebrityPost>,
    /// The request type of scripted celebrity posts (the first write type).
    pub post_kind: u16,
}

impl FanoutConfig {
    /// A one-line description for the topology diagram.
    pub fn describe(&self) -> String {
        format!(
            "fan-out on {}, {} in flight",
            self.mode.name(),
            self.concurrency
        )
    }
}

timer_kinds! {
    /// The timers this component sets; each tag is the `kind` of its `Msg::Timer`.
    enum FanoutTimer {
        Celebrity = 0,
    }
}
/// No scripted post.
const NO_SCRIPT: u32 = u32::MAX;

/// Hash purposes, so that N, M, C and the keys of one parent are unrelated.
const PURPOSE_FOLLOWERS: &str = "followers";
const PURPOSE_FOLLOWING: &str = "following";
const PURPOSE_CELEBRITIES: &str = "celebrities-followed";
const PURPOSE_KEYS: &str = "keys";

/// How the keys of a job's sub-requests are made.
#[derive(Clone, Copy, Debug, Default)]
struct KeyPlan {
    /// Sub-request 0 carries the parent's own key (hybrid reads: the reader's feed).
    own_first: bool,
    base: u64,
    stride: u64,
    modulus: u64,
}

impl KeyPlan {
    fn key(&self, own: u64, i: u64) -> u64 {
        let j = if self.own_first {
            if i == 0 {
                return own;
            }
            i - 1
        } else {
            i
        };
        if self.modulus <= 1 {
            return 0;
        }
        ((u128::from(self.base) + u128::from(j) * u128::from(self.stride))
            % u128::from(self.modulus)) as u64
    }
}

/// One fan-out (or direct call) in progress.
#[derive(Clone, Copy, Debug)]
struct Job {
    generation: u32,
    active: bool,
    /// The caller's call (`None` for a scripted post).
    parent: Option<CallId>,
    script: u32,
    request: Request,
    arrived: SimTime,
    n: u64,
    issued: u64,
    in_flight: u32,
    succeeded: u64,
    failed: u64,
    keys: KeyPlan,
    /// A fan-out (false: a direct call).
    fan_out: bool,
    measured: bool,
}

impl Generational for Job {
    fn generation_mut(&mut self) -> &mut u32 {
        &mut self.generation
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Direction {
    fan_outs: u64,
    sub_requests: u64,
    n_sum: u64,
    n_max: u64,
}

#[derive(Clone, Copy, Debug)]
struct CelebrityResult {
    fanned_out: bool,
    delivered_in: Option<SimDuration>,
    failed: u64,
}

pub struct Fanout {
    config: FanoutConfig,
    stats: RequestStats,
    warmup_end: SimTime,
    /// Hash salts per purpose (from the seed and the component's name).
    salt_followers: u64,
    salt_following: u64,
    salt_celebrities: u64,
    salt_keys: u64,
    jobs: Slab<Job>,
    on_write: Direction,
    on_read: Direction,
    direct_calls: u64,
    skipped: u64,
    /// Sub-requests of scripted celebrity posts.
    celebrity_sub_requests: u64,
    sub_request_failures: u64,
    failed_fan_outs: u64,
    completion: LatencyHistogram,
    /// Sub-requests (and direct calls) in flight, all jobs together.
    in_flight: u64,
    in_flight_level: LevelTracker,
    sub_request_windows: Windows<f64>,
    celebrity: Vec<Option<CelebrityResult>>,
}

fn salt(seed: u64, name: &str, purpose: &str) -> u64 {
    splitmix64(seed ^ stream_id(name, purpose))
}

/// A uniform in `[0, 1)` from a key and a salt.
fn unit(key: u64, salt: u64) -> f64 {
    (splitmix64(key ^ salt) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Fanout {
    pub fn new(config: FanoutConfig, seed: u64, world: &World) -> Self {
        let clock = world.clock;
        let name = config.name.clone();
        let celebrity = vec![None; config.celebrity_posts.len()];
        Fanout {
            stats: RequestStats::new(clock),
            warmup_end: clock.warmup_end,
            salt_followers: salt(seed, &name, PURPOSE_FOLLOWERS),
            salt_following: salt(seed, &name, PURPOSE_FOLLOWING),
            salt_celebrities: salt(seed, &name, PURPOSE_CELEBRITIES),
            salt_keys: salt(seed, &name, PURPOSE_KEYS),
            jobs: Slab::default(),
            on_write: Direction::default(),
            on_read: Direction::default(),
            direct_calls: 0,
            skipped: 0,
            celebrity_sub_requests: 0,
            sub_request_failures: 0,
            failed_fan_outs: 0,
            completion: LatencyHistogram::new(),
            in_flight: 0,
            in_flight_level: LevelTracker::new(clock.warmup_end, clock.window_ns),
            sub_request_windows: Windows::new(clock.window_ns),
            celebrity,
            config,
        }
    }

    /// Followers of the author with this key (N on write).
    pub fn followers_of(&self, key: u64) -> u64 {
        self.config
            .followers
            .quantile(unit(key, self.salt_followers))
    }

    /// Accounts the reader with this key follows (M on read).
    pub fn following_of(&self, key: u64) -> u64 {
        self.config
            .following
            .quantile(unit(key, self.salt_following))
    }

    /// Celebrities the reader with this key follows (C on a hybrid read).
    pub fn celebrities_of(&self, key: u64) -> u64 {
        self.config
            .celebrities_followed
            .quantile(unit(key, self.salt_celebrities))
    }

    /// An affine permutation of `[0, modulus)` chosen by the parent's key.
    fn key_plan(&self, key: u64, modulus: u64, own_first: bool) -> KeyPlan {
        let h = splitmix64(key ^ self.salt_keys);
        if modulus <= 1 {
            return KeyPlan {
                own_first,
                base: 0,
                stride: 1,
                modulus,
            };
        }
        let base = h % modulus;
        let mut stride = 1 + splitmix64(h) % (modulus - 1);
        // Coprime strides are dense (6/pi^2 of all numbers): a few steps at most.
        while gcd(stride, modulus) != 1 {
            stride = if stride + 1 >= modulus { 1 } else { stride + 1 };
        }
        KeyPlan {
            own_first,
            base,
            stride,
            modulus,
        }
    }

    fn new_job(&mut self, job: Job) -> u32 {
        self.jobs.insert_next_generation(job)
    }

    fn on_call(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let now = sim.now();
        self.stats.arrive(now);
        let request = sim.world.calls.get(id).request;
        let write = sim.world.is_write(&request);
        self.start(me, Some(id), NO_SCRIPT, request, write, None, sim);
    }

    /// Decides what a request does and starts it. `forced` is a scripted post's follower count.
    #[allow(clippy::too_many_arguments)]
    fn start(
        &mut self,
        me: ComponentId,
        parent: Option<CallId>,
        script: u32,
        request: Request,
        write: bool,
        forced: Option<u64>,
        sim: &mut ModelSim,
    ) {
        let now = sim.now();
        let key = request.key;
        let users = self.config.users;
        // (n, fan-out?, key plan, on write?)
        let (n, fan_out, keys, on_write) = match (self.config.mode, write) {
            (Mode::Write | Mode::Hybrid, true) => {
                let n = forced.unwrap_or_else(|| self.followers_of(key));
                if self.config.mode == Mode::Hybrid && n > self.config.celebrity_threshold {
                    if now >= self.warmup_end {
                        self.skipped += 1;
                    }
                    (1, false, KeyPlan::default(), true)
                } else {
                    (n, true, self.key_plan(key, users, false), true)
                }
            }
            (Mode::Read, true) | (Mode::Write, false) => (1, false, KeyPlan::default(), write),
            (Mode::Read, false) => {
                let m = self.following_of(key);
                (m, true, self.key_plan(key, users, false), false)
            }
            (Mode::Hybrid, false) => {
                let c = self.celebrities_of(key);
                let accounts = self.config.celebrity_accounts;
                (c + 1, true, self.key_plan(key, accounts, true), false)
            }
        };
        // A direct call carries the parent's own key.
        let keys = if fan_out {
            keys
        } else {
            KeyPlan {
                own_first: true,
                ..KeyPlan::default()
            }
        };
        let measured = now >= self.warmup_end;
        // Scripted posts are reported on their own (`celebrity_posts`), not in the counts.
        if measured && script == NO_SCRIPT {
            if fan_out {
                let d = if on_write {
                    &mut self.on_write
                } else {
                    &mut self.on_read
                };
                d.fan_outs += 1;
                d.n_sum += n;
                d.n_max = d.n_max.max(n);
            } else {
                self.direct_calls += 1;
            }
        }
        if let Some(r) = self.celebrity.get_mut(script as usize) {
            *r = Some(CelebrityResult {
                fanned_out: fan_out,
                delivered_in: None,
                failed: 0,
            });
        }
        let job = self.new_job(Job {
            generation: 0,
            active: true,
            parent,
            script,
            request,
            arrived: now,
            n,
            issued: 0,
            in_flight: 0,
            succeeded: 0,
            failed: 0,
            keys,
            fan_out,
            measured,
        });
        if n == 0 {
            self.complete(job, sim);
        } else {
            self.issue(me, job, sim);
        }
    }

    /// Sends sub-requests until the job has `concurrency` in flight or none left to send.
    fn issue(&mut self, me: ComponentId, j: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let target = self.config.target;
        let concurrency = self.config.concurrency;
        let token_generation = self.jobs[j as usize].generation;
        let mut sent = 0u64;
        loop {
            let job = &mut self.jobs[j as usize];
            if job.in_flight >= concurrency || job.issued >= job.n {
                break;
            }
            let i = job.issued;
            job.issued += 1;
            job.in_flight += 1;
            let request = Request {
                key: job.keys.key(job.request.key, i),
                slot: crate::model::support::breakdown::NO_SLOT,
                ..job.request
            };
            let (fan_out, measured, scripted) =
                (job.fan_out, job.measured, job.script != NO_SCRIPT);
            if fan_out {
                *self.sub_request_windows.at(now) += 1.0;
                if measured && scripted {
                    self.celebrity_sub_requests += 1;
                } else if measured {
                    if job_on_write(&self.jobs[j as usize], &sim.world) {
                        self.on_write.sub_requests += 1;
                    } else {
                        self.on_read.sub_requests += 1;
                    }
                }
            }
            let token = (u64::from(j) << 32) | u64::from(token_generation);
            call(sim, me, target, token, request, ANY_INSTANCE);
            sent += 1;
        }
        if sent > 0 {
            self.in_flight += sent;
            self.in_flight_level.set(now, self.in_flight);
        }
    }

    fn on_reply(&mut self, me: ComponentId, id: CallId, sim: &mut ModelSim) {
        let Some((token, _request, outcome)) = take_reply(sim, id) else {
            return;
        };
        let now = sim.now();
        self.in_flight = self.in_flight.saturating_sub(1);
        self.in_flight_level.set(now, self.in_flight);
        let (j, generation) = ((token >> 32) as u32, token as u32);
        let Some(job) = self.jobs.get_mut(j as usize) else {
            return;
        };
        if !job.active || job.generation != generation {
            return;
        }
        job.in_flight -= 1;
        if outcome == Outcome::Succeeded {
            job.succeeded += 1;
        } else {
            job.failed += 1;
            if job.measured && job.fan_out {
                self.sub_request_failures += 1;
            }
        }
        let job = *job;
        if job.succeeded + job.failed >= job.n {
            self.complete(j, sim);
        } else if job.issued < job.n {
            self.issue(me, j, sim);
        }
    }

    /// Every sub-request is answered: answer the caller and free the job.
    fn complete(&mut self, j: u32, sim: &mut ModelSim) {
        let now = sim.now();
        let job = self.jobs[j as usize];
        self.jobs[j as usize].active = false;
        self.jobs.release(j);
        let needed = (self.config.min_success * job.n as f64).ceil() as u64;
        let ok = job.succeeded >= needed.min(job.n);
        let outcome = if ok {
            Outcome::Succeeded
        } else {
            Outcome::Failed
        };
        if job.fan_out && job.measured && job.script == NO_SCRIPT {
            self.completion.record(now - job.arrived);
            if !ok {
                self.failed_fan_outs += 1;
            }
        }
        if let Some(Some(r)) = self.celebrity.get_mut(job.script as usize) {
            r.delivered_in = Some(now - job.arrived);
            r.failed = job.failed;
        }
        if let Some(parent) = job.parent {
            self.stats.finish(job.arrived, now, outcome);
            reply(sim, parent, outcome);
        }
    }

    fn on_celebrity_post(&mut self, me: ComponentId, index: u32, sim: &mut ModelSim) {
        let Some(post) = self.config.celebrity_posts.get(index as usize).copied() else {
            return;
        };
        let now = sim.now();
        let request = Request {
            id: sim.world.next_request_id(),
            kind: self.config.post_kind,
            region: 0,
            client: 0,
            key: 0,
            born: now,
            slot: crate::model::support::breakdown::NO_SLOT,
        };
        self.start(me, None, index, request, true, Some(post.followers), sim);
    }

    fn mean_of(sum: u64, count: u64) -> Option<f64> {
        (count > 0).then(|| sum as f64 / count as f64)
    }
}

fn job_on_write(job: &Job, world: &World) -> bool {
    world.is_write(&job.request)
}

impl Component<Msg, World> for Fanout {
    fn start(&mut self, me: ComponentId, sim: &mut ModelSim) {
        for (i, post) in self.config.celebrity_posts.iter().enumerate() {
            sim.schedule_at(post.at, me, Msg::timer(FanoutTimer::Celebrity, i as u32, 0));
        }
    }

    fn handle(&mut self, me: ComponentId, msg: Msg, sim: &mut ModelSim) {
        match msg.typed::<FanoutTimer>() {
            Event::Call(id) => self.on_call(me, id, sim),
            Event::Reply(id) => self.on_reply(me, id, sim),
            Event::Timer {
                kind: FanoutTimer::Celebrity,
                index,
                ..
            } => self.on_celebrity_post(me, index, sim),
            // The service itself does not fail: faults go to its target.
            Event::UnknownTimer { .. } | Event::Control(_) => {}
        }
    }

    fn finish(&mut self, _me: ComponentId, sim: &mut ModelSim) {
        self.in_flight_level.advance_to(sim.now());
    }
}

impl Fanout {
    /// The service's own figures.
    fn figures(&self, end: SimTime) -> crate::model::figures::Figures {
        let (w, r) = (&self.on_write, &self.on_read);
        let fan_outs = w.fan_outs + r.fan_outs;
        let sub_requests = w.sub_requests + r.sub_requests + self.celebrity_sub_requests;
        let measured = end.since(self.warmup_end).as_secs_f64();
        let direction = |d: &Direction| DirectionFigures {
            fan_outs: d.fan_outs,
            sub_requests: d.sub_requests,
            mean_n: Fanout::mean_of(d.n_sum, d.fan_outs),
            max_n: d.n_max,
        };
        let c = &self.completion;
        let has_completion = c.count() > 0;
        let completion = |q: f64| has_completion.then(|| c.quantile_ms(q));
        let celebrity_posts = self
            .config
            .celebrity_posts
            .iter()
            .zip(&self.celebrity)
            .map(|(post, result)| CelebrityPostFigures {
                at_s: post.at.since(SimTime::ZERO).as_secs_f64(),
                followers: post.followers,
                posted: result.is_some(),
                fanned_out: result.is_some_and(|r| r.fanned_out),
                delivered_in_s: result.and_then(|r| r.delivered_in).map(|d| d.as_secs_f64()),
                failed_sub_requests: result.map_or(0, |r| r.failed),
            })
            .collect();
        // The last celebrity post's delivery time: 0 when it was not fanned out (readers pull
        // it), null when it has not finished (or none was scripted).
        let celebrity_delivery_s = self.celebrity.iter().rev().flatten().next().and_then(|r| {
            if r.fanned_out {
                r.delivered_in.map(|d| d.as_secs_f64())
            } else {
                Some(0.0)
            }
        });
        crate::model::figures::Figures::Fanout(Box::new(FanoutFigures {
            celebrity_delivery_s,
            celebrity_posts,
            celebrity_sub_requests: self.celebrity_sub_requests,
            completion_max_ms: completion(1.0),
            completion_ms: Completion {
                mean: has_completion.then(|| c.mean_ms()),
                p50: completion(0.5),
                p99: completion(0.99),
                max: completion(1.0),
            },
            completion_p50_ms: completion(0.5),
            completion_p99_ms: completion(0.99),
            concurrency: u64::from(self.config.concurrency),
            direct_calls: self.direct_calls,
            failed_fan_outs: self.failed_fan_outs,
            fan_outs,
            in_flight_mean: self.in_flight_level.mean(end),
            in_flight_peak: self.in_flight_level.peak(),
            max_n: w.n_max.max(r.n_max),
            mean_n: Fanout::mean_of(w.n_sum + r.n_sum, fan_outs),
            mode: self.config.mode.name().to_string(),
            on_read: direction(r),
            on_write: direction(w),
            skipped_celebrity_fan_outs: self.skipped,
            sub_request_failures: self.sub_request_failures,
            sub_requests,
            sub_requests_per_s: if measured > 0.0 {
                sub_requests as f64 / measured
            } else {
                0.0
            },
        }))
    }
}

impl Node for Fanout {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn report(&self, end: SimTime) -> ComponentReport {
        let mut report =
            ComponentReport::from_request_stats(&self.config.name, Kind::Fanout, &self.stats);
        report.figures = self.figures(end);
        report.extra_windows = vec![
            (
                "sub_requests".into(),
                WindowSeries::Count(self.sub_request_windows.clone()),
            ),
            (
                "in_flight".into(),
                WindowSeries::Level(self.in_flight_level.windows()),
            ),
        ];
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_plans_give_distinct_keys() {
        let config_keys = |modulus: u64| {
            let plan = KeyPlan {
                own_first: false,
                base: 17 % modulus,
                stride: {
                    let mut s = 6 % modulus;
                    while gcd(s, modulus) != 1 {
                        s += 1;
                    }
                    s
                },
                modulus,
            };
            let mut keys: Vec<u64> = (0..modulus).map(|i| plan.key(99, i)).collect();
            keys.sort_unstable();
            keys.dedup();
            keys.len() as u64
        };
        for m in [2, 3, 10, 12, 97, 1000] {
            assert_eq!(config_keys(m), m, "a permutation of [0, {m})");
        }
        let own = KeyPlan {
            own_first: true,
            base: 0,
            stride: 1,
            modulus: 5,
        };
        assert_eq!(own.key(42, 0), 42);
        assert_eq!(own.key(42, 1), 0);
    }

    #[test]
    fn unit_is_in_range_and_spread() {
        let n = 100_000;
        let mean: f64 = (0..n).map(|k| unit(k, 12345)).sum::<f64>() / n as f64;
        // Uniform mean 1/2, standard error sqrt(1/12/n) ~ 0.0009: 5 sigma.
        assert!((mean - 0.5).abs() < 0.0046, "{mean}");
        assert!((0..n).all(|k| (0.0..1.0).contains(&unit(k, 7))));
    }
}
