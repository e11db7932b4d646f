//! The five classic rate-limiting algorithms, as counters that decide one request at a time.
//!
//! Every rule counts per *key* (a client, a region, a request type, a user key, or one global
//! key) and allows `limit` requests per `per`:
//!
//! - **token bucket**: a bucket of `burst` tokens (default `limit`), full at the start, refilled
//!   continuously at `limit / per`; a request takes one token or is rejected. Bursts of up to
//!   `burst` pass at once; the long-run rate is at most `limit / per`.
//! - **leaking bucket**: a FIFO queue drained at `limit / per`: each admitted request leaves the
//!   queue (is forwarded) `per / limit` after the one before it (at once if the queue is empty),
//!   so the output is smooth and admitted requests wait. At most `burst` requests (default
//!   `limit`) wait; a request finding the queue full is rejected.
//!   Kept as the time the last queued request leaves, so no queue is stored.
//! - **fixed window counter**: windows `[k per, (k + 1) per)` aligned on time zero; at most
//!   `limit` requests per window. Up to `2 limit` can pass within `per` across a boundary.
//! - **sliding window log**: the times of the requests admitted in the last `per`; a request is
//!   admitted if fewer than `limit` are logged. Never more than `limit` in any window of length
//!   `per`. Rejected requests are not logged (a client that keeps retrying is not locked out).
//! - **sliding window counter**: the fixed window's count plus the previous window's count
//!   weighted by the share of the previous window still inside the sliding window:
//!   `estimate = current + previous * (1 - elapsed / per)`; admitted if `estimate < limit`
//!   (Cloudflare's approximation of the sliding log, with two counters per key).
//!
//! A request must pass every rule that applies to it; a rejected request consumes no quota in
//! any rule (each rule is checked first, then every rule is charged). A rejection carries a
//! Retry-After: the time after which the rejecting rule (the latest of several) would admit.
//!
//! Tests: the unit tests below (each algorithm's decisions on hand-made arrival sequences), and
//! `tests/rate_limiters.rs` (admitted fractions against theory, bursts at window edges).

use std::collections::{HashMap, VecDeque};

use crate::engine::{SimDuration, SimTime};
use crate::model::support::call::Request;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    TokenBucket,
    LeakingBucket,
    FixedWindow,
    SlidingLog,
    SlidingWindow,
}

impl Algorithm {
    pub const NAMES: [&'static str; 5] = [
        "token_bucket",
        "leaking_bucket",
        "fixed_window",
        "sliding_log",
        "sliding_window",
    ];

    pub fn from_name(name: &str) -> Option<Algorithm> {
        Some(match name {
            "token_bucket" => Algorithm::TokenBucket,
            "leaking_bucket" => Algorithm::LeakingBucket,
            "fixed_window" => Algorithm::FixedWindow,
            "sliding_log" => Algorithm::SlidingLog,
            "sliding_window" => Algorithm::SlidingWindow,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::TokenBucket => "token_bucket",
            Algorithm::LeakingBucket => "leaking_bucket",
            Algorithm::FixedWindow => "fixed_window",
            Algorithm::SlidingLog => "sliding_log",
            Algorithm::SlidingWindow => "sliding_window",
        }
    }
}

/// What a rule counts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyBy {
    /// The client id (one IP address or API token per client).
    Client,
    /// The client's region.
    Region,
    /// The request type (an endpoint).
    Type,
    /// The request's key (a user or account).
    Key,
    /// One counter for everything.
    Global,
}

impl KeyBy {
    pub const NAMES: [&'static str; 5] = ["client", "region", "type", "key", "global"];

    pub fn from_name(name: &str) -> Option<KeyBy> {
        Some(match name {
            "client" => KeyBy::Client,
            "region" => KeyBy::Region,
            "type" => KeyBy::Type,
            "key" => KeyBy::Key,
            "global" => KeyBy::Global,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            KeyBy::Client => "client",
            KeyBy::Region => "region",
            KeyBy::Type => "type",
            KeyBy::Key => "key",
            KeyBy::Global => "global",
        }
    }

    fn of(self, request: &Request) -> u64 {
        match self {
            KeyBy::Client => u64::from(request.client),
            KeyBy::Region => u64::from(request.region),
            KeyBy::Type => u64::from(request.kind),
            KeyBy::Key => request.key,
            KeyBy::Global => 0,
        }
    }
}

/// One rule: `limit` requests per `per`, counted per key.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub name: String,
    pub algorithm: Algorithm,
    /// Requests per window [requests], or the refill/drain amount per `per`.
    pub limit: u32,
    /// Window length, or the time over which `limit` tokens are refilled or drained [ns].
    pub per: SimDuration,
    /// Token bucket: capacity [tokens]; leaking bucket: queue capacity [requests].
    pub burst: u32,
    pub key_by: KeyBy,
    /// Request types the rule applies to (indexed by type); empty: every type.
    pub types: Vec<bool>,
}

impl Rule {
    fn applies_to(&self, request: &Request) -> bool {
        self.types.is_empty() || self.types.get(request.kind as usize) == Some(&true)
    }

    /// Nanoseconds per token (or per leaked request), at least 1.
    fn interval_ns(&self) -> u64 {
        (self.per.as_nanos() / u64::from(self.limit.max(1))).max(1)
    }
}

/// Tokens short of a whole one by less than this count as a whole one.
const TOKEN_EPSILON: f64 = 1e-9;

/// What a rule remembers about one key.
#[derive(Clone, Debug)]
enum KeyState {
    /// Token bucket: tokens at `last` (fractional).
    Bucket { tokens: f64, last: SimTime },
    /// Leaking bucket: when the last queued request leaves (None: the queue is empty).
    Leaky { last_departure: Option<SimTime> },
    /// Fixed and sliding window counters: the current window's index and count, and the
    /// previous window's count.
    Window {
        index: u64,
        count: u32,
        previous: u32,
    },
    /// Sliding log: times of admitted requests, oldest first.
    Log(VecDeque<SimTime>),
}

/// The outcome of one rule's check, before anything is charged.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Check {
    /// Admitted after `delay` (leaking bucket), leaving `remaining` quota.
    Pass {
        delay: SimDuration,
        remaining: u64,
    },
    Fail {
        retry_after: SimDuration,
    },
}

/// One rule's counters for every key.
#[derive(Clone, Debug)]
struct RuleCounters {
    keys: HashMap<u64, KeyState>,
}

/// A decision on one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Forward the request after `delay` (zero except for a leaking bucket).
    Admit { delay: SimDuration },
    /// Answer 429: retry after this long.
    Reject { retry_after: SimDuration },
}

/// Per-rule verdict of the last decision, for statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleVerdict {
    /// The rule applied to the request.
    pub applied: bool,
    /// The rule would have rejected it.
    pub rejected: bool,
    /// Quota left for the key after the decision [requests].
    pub remaining: u64,
}

/// The counters of every rule of one limiter (one instance, or the shared store).
#[derive(Clone, Debug)]
pub struct Counters {
    rules: Vec<Rule>,
    counters: Vec<RuleCounters>,
    checks: Vec<Option<Check>>,
    verdicts: Vec<RuleVerdict>,
}

impl Counters {
    pub fn new(rules: Vec<Rule>) -> Self {
        let n = rules.len();
        Counters {
            rules,
            counters: (0..n)
                .map(|_| RuleCounters {
                    keys: HashMap::new(),
                })
                .collect(),
            checks: vec![None; n],
            verdicts: vec![RuleVerdict::default(); n],
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// What each rule said about the last decision.
    pub fn verdicts(&self) -> &[RuleVerdict] {
        &self.verdicts
    }

    /// Forgets every key (a limiter node that restarts with empty memory).
    pub fn clear(&mut self) {
        for c in &mut self.counters {
            c.keys.clear();
        }
    }

    /// Decides on `request` at `now`, charging every rule if it is admitted.
    pub fn decide(&mut self, request: &Request, now: SimTime) -> Decision {
        let mut delay = SimDuration::ZERO;
        let mut retry_after: Option<SimDuration> = None;
        for (i, rule) in self.rules.iter().enumerate() {
            if !rule.applies_to(request) {
                self.checks[i] = None;
                continue;
            }
            let state = self.counters[i]
                .keys
                .entry(rule.key_by.of(request))
                .or_insert_with(|| fresh(rule, now));
            let check = check(rule, state, now);
            match check {
                Check::Pass { delay: d, .. } => delay = delay.max(d),
                Check::Fail { retry_after: r } => {
                    retry_after = Some(retry_after.map_or(r, |x: SimDuration| x.max(r)));
                }
            }
            self.checks[i] = Some(check);
        }
        let admitted = retry_after.is_none();
        for (i, rule) in self.rules.iter().enumerate() {
            let verdict = &mut self.verdicts[i];
            *verdict = RuleVerdict::default();
            let Some(check) = self.checks[i] else {
                continue;
            };
            verdict.applied = true;
            match check {
                Check::Pass { remaining, .. } if admitted => {
                    verdict.remaining = remaining;
                    if let Some(state) = self.counters[i].keys.get_mut(&rule.key_by.of(request)) {
                        charge(rule, state, now);
                    }
                }
                // Passed, but another rule refused: nothing charged, one more request's worth
                // of quota is still there.
                Check::Pass { remaining, .. } => verdict.remaining = remaining + 1,
                Check::Fail { .. } => verdict.rejected = true,
            }
        }
        match retry_after {
            None => Decision::Admit { delay },
            Some(retry_after) => Decision::Reject {
                retry_after: retry_after.max(SimDuration::from_nanos(1)),
            },
        }
    }
}

fn fresh(rule: &Rule, now: SimTime) -> KeyState {
    match rule.algorithm {
        Algorithm::TokenBucket => KeyState::Bucket {
            tokens: f64::from(rule.burst),
            last: now,
        },
        Algorithm::LeakingBucket => KeyState::Leaky {
            last_departure: None,
        },
        Algorithm::FixedWindow | Algorithm::SlidingWindow => KeyState::Window {
            index: window_index(rule, now),
            count: 0,
            previous: 0,
        },
        Algorithm::SlidingLog => KeyState::Log(VecDeque::new()),
    }
}

fn window_index(rule: &Rule, now: SimTime) -> u64 {
    now.as_nanos() / rule.per.as_nanos().max(1)
}

/// Brings a window counter to the window holding `now` (state only moves with time, so doing
/// this during the check changes no decision).
fn roll(rule: &Rule, index: &mut u64, count: &mut u32, previous: &mut u32, now: SimTime) {
    let current = window_index(rule, now);
    if current == *index {
        return;
    }
    *previous = if current == *index + 1 { *count } else { 0 };
    *count = 0;
    *index = current;
}

/// Checks one rule for one key without charging it (time-driven updates aside).
fn check(rule: &Rule, state: &mut KeyState, now: SimTime) -> Check {
    let per_ns = rule.per.as_nanos().max(1);
    let limit = u64::from(rule.limit);
    match state {
        KeyState::Bucket { tokens, last } => {
            let rate_per_ns = f64::from(rule.limit) / per_ns as f64;
            let elapsed = now.since(*last).as_nanos() as f64;
            *tokens = (*tokens + elapsed * rate_per_ns).min(f64::from(rule.burst));
            *last = now;
            // A client that waited its Retry-After must find the token: forgive the rounding
            // of the refill arithmetic.
            if *tokens >= 1.0 - TOKEN_EPSILON {
                Check::Pass {
                    delay: SimDuration::ZERO,
                    remaining: (*tokens - 1.0 + TOKEN_EPSILON).max(0.0).floor() as u64,
                }
            } else {
                Check::Fail {
                    retry_after: SimDuration::from_nanos(
                        ((1.0 - *tokens) / rate_per_ns).ceil() as u64
                    ),
                }
            }
        }
        KeyState::Leaky { last_departure } => {
            let gap = rule.interval_ns();
            let waiting = match *last_departure {
                Some(last) if last > now => (last.as_nanos() - now.as_nanos() - 1) / gap + 1,
                _ => 0,
            };
            let capacity = u64::from(rule.burst);
            if waiting < capacity {
                let departs = match *last_departure {
                    Some(last) => now.max(SimTime::from_nanos(last.as_nanos().saturating_add(gap))),
                    None => now,
                };
                Check::Pass {
                    delay: departs.since(now),
                    remaining: capacity - waiting - 1,
                }
            } else {
                // A place frees when the queue is down to capacity - 1 waiting.
                let last = last_departure.map_or(0, SimTime::as_nanos);
                let frees_at = last.saturating_sub((capacity - 1).saturating_mul(gap));
                Check::Fail {
                    retry_after: SimDuration::from_nanos(frees_at.saturating_sub(now.as_nanos())),
                }
            }
        }
        KeyState::Window {
            index,
            count,
            previous,
        } => {
            roll(rule, index, count, previous, now);
            let next_window = index.saturating_add(1).saturating_mul(per_ns);
            let to_next = next_window.saturating_sub(now.as_nanos());
            if rule.algorithm == Algorithm::FixedWindow {
                if u64::from(*count) < limit {
                    Check::Pass {
                        delay: SimDuration::ZERO,
                        remaining: limit - u64::from(*count) - 1,
                    }
                } else {
                    Check::Fail {
                        retry_after: SimDuration::from_nanos(to_next),
                    }
                }
            } else {
                let elapsed = now.as_nanos().saturating_sub(*index * per_ns) as f64 / per_ns as f64;
                let weight = 1.0 - elapsed;
                let estimate = f64::from(*count) + f64::from(*previous) * weight;
                if estimate < limit as f64 {
                    Check::Pass {
                        delay: SimDuration::ZERO,
                        remaining: (limit as f64 - estimate - 1.0).max(0.0).floor() as u64,
                    }
                } else {
                    Check::Fail {
                        retry_after: SimDuration::from_nanos(sliding_wait(
                            f64::from(*count),
                            f64::from(*previous),
                            limit as f64,
                            elapsed,
                            per_ns,
                        )),
                    }
                }
            }
        }
        KeyState::Log(log) => {
            let horizon = now.as_nanos().saturating_sub(per_ns);
            while log
                .front()
                .is_some_and(|t| t.as_nanos() <= horizon && now.as_nanos() >= per_ns)
            {
                log.pop_front();
            }
            if (log.len() as u64) < limit {
                Check::Pass {
                    delay: SimDuration::ZERO,
                    remaining: limit - log.len() as u64 - 1,
                }
            } else {
                let oldest = log.front().map_or(now.as_nanos(), |t| t.as_nanos());
                Check::Fail {
                    retry_after: SimDuration::from_nanos(
                        oldest.saturating_add(per_ns).saturating_sub(now.as_nanos()),
                    ),
                }
            }
        }
    }
}

/// Sliding window counter: nanoseconds until `count + previous * (1 - elapsed) < limit`, with
/// `elapsed` the fraction of the current window gone. Within the window the estimate falls as
/// the previous window slides out; after the boundary the current count becomes the previous one.
fn sliding_wait(count: f64, previous: f64, limit: f64, elapsed: f64, per_ns: u64) -> u64 {
    let per = per_ns as f64;
    if count < limit && previous > 0.0 {
        // count + previous * (1 - e) < limit  <=>  e > 1 - (limit - count) / previous
        let e = 1.0 - (limit - count) / previous;
        return ((e - elapsed) * per).max(0.0).floor() as u64 + 1;
    }
    let to_boundary = (1.0 - elapsed) * per;
    // In the next window: count * (1 - e) < limit  <=>  e > 1 - limit / count
    let e = if count > 0.0 {
        (1.0 - limit / count).max(0.0)
    } else {
        0.0
    };
    (to_boundary + e * per).floor() as u64 + 1
}

/// Charges an admitted request to one rule (after [`check`] passed at the same instant).
fn charge(rule: &Rule, state: &mut KeyState, now: SimTime) {
    match state {
        KeyState::Bucket { tokens, .. } => *tokens -= 1.0,
        KeyState::Leaky { last_departure } => {
            let gap = rule.interval_ns();
            let departs = match *last_departure {
                Some(last) => now.max(SimTime::from_nanos(last.as_nanos().saturating_add(gap))),
                None => now,
            };
            *last_departure = Some(departs);
        }
        KeyState::Window { count, .. } => *count += 1,
        KeyState::Log(log) => log.push_back(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(algorithm: Algorithm, limit: u32, per_ms: u64) -> Rule {
        Rule {
            name: "r".into(),
            algorithm,
            limit,
            per: SimDuration::from_millis(per_ms),
            burst: limit,
            key_by: KeyBy::Client,
            types: Vec::new(),
        }
    }

    fn request(client: u32) -> Request {
        Request {
            id: 0,
            kind: 0,
            region: 0,
            client,
            key: 0,
            born: SimTime::ZERO,
            slot: crate::model::support::breakdown::NO_SLOT,
        }
    }

    fn at_ms(ms: u64) -> SimTime {
        SimTime::from_nanos(ms * 1_000_000)
    }

    /// Decisions for requests of client 0 at the given milliseconds: true = admitted.
    fn run(rule: Rule, times_ms: &[u64]) -> Vec<bool> {
        let mut c = Counters::new(vec![rule]);
        times_ms
            .iter()
            .map(|&t| matches!(c.decide(&request(0), at_ms(t)), Decision::Admit { .. }))
            .collect()
    }

    #[test]
    fn token_bucket_allows_a_burst_then_the_refill_rate() {
        // 2 tokens, 2 per second: a token every 500 ms.
        let got = run(
            rule(Algorithm::TokenBucket, 2, 1000),
            &[0, 0, 0, 499, 500, 700, 1000],
        );
        assert_eq!(got, [true, true, false, false, true, false, true]);
        let mut c = Counters::new(vec![rule(Algorithm::TokenBucket, 2, 1000)]);
        c.decide(&request(0), at_ms(0));
        c.decide(&request(0), at_ms(0));
        assert_eq!(
            c.decide(&request(0), at_ms(100)),
            Decision::Reject {
                retry_after: SimDuration::from_millis(400)
            }
        );
    }

    #[test]
    fn keys_are_counted_apart() {
        let mut c = Counters::new(vec![rule(Algorithm::FixedWindow, 1, 1000)]);
        assert!(matches!(
            c.decide(&request(0), at_ms(0)),
            Decision::Admit { .. }
        ));
        assert!(matches!(
            c.decide(&request(1), at_ms(0)),
            Decision::Admit { .. }
        ));
        assert!(matches!(
            c.decide(&request(0), at_ms(1)),
            Decision::Reject { .. }
        ));
    }

    #[test]
    fn fixed_window_resets_on_the_boundary_and_says_when() {
        let got = run(
            rule(Algorithm::FixedWindow, 2, 1000),
            &[900, 950, 990, 1000, 1001, 1002],
        );
        assert_eq!(got, [true, true, false, true, true, false]);
        let mut c = Counters::new(vec![rule(Algorithm::FixedWindow, 1, 1000)]);
        c.decide(&request(0), at_ms(300));
        assert_eq!(
            c.decide(&request(0), at_ms(400)),
            Decision::Reject {
                retry_after: SimDuration::from_millis(600)
            }
        );
    }

    #[test]
    fn sliding_log_counts_the_last_period_exactly() {
        let got = run(
            rule(Algorithm::SlidingLog, 2, 1000),
            &[900, 950, 990, 1000, 1899, 1900, 1950],
        );
        // 1900 is admitted: the request at 900 is exactly one period old.
        assert_eq!(got, [true, true, false, false, false, true, true]);
    }

    #[test]
    fn sliding_window_weights_the_previous_window() {
        // limit 4: 4 at 0.5 s fill window 0. In window 1 the estimate is count + 4 (1 - elapsed):
        // at 1.25 s, 0 + 3 passes, 1 + 3 does not; at 1.251 s, 1 + 2.996 passes; at 1.4 s,
        // 2 + 2.4 does not; at 1.5 s, 2 + 2 does not; just after, it passes.
        let times = [500, 500, 500, 500, 1250, 1250, 1251, 1400, 1500, 1501];
        let got = run(rule(Algorithm::SlidingWindow, 4, 1000), &times);
        assert_eq!(
            got,
            [true, true, true, true, true, false, true, false, false, true]
        );
        let mut c = Counters::new(vec![rule(Algorithm::SlidingWindow, 4, 1000)]);
        for _ in 0..4 {
            c.decide(&request(0), at_ms(500));
        }
        for _ in 0..2 {
            assert!(matches!(
                c.decide(&request(0), at_ms(1300)),
                Decision::Admit { .. }
            ));
        }
        // 2 + 4 (1 - e) < 4 once e > 0.5: 200 ms after 1.3 s.
        let Decision::Reject { retry_after } = c.decide(&request(0), at_ms(1300)) else {
            panic!("admitted");
        };
        assert!(
            (retry_after.as_millis_f64() - 200.0).abs() < 0.01,
            "{retry_after:?}"
        );
    }

    #[test]
    fn leaking_bucket_queues_and_spaces_requests_out() {
        // Drains 2 per second (one every 500 ms); at most 2 wait. The first leaves at once.
        let mut c = Counters::new(vec![rule(Algorithm::LeakingBucket, 2, 1000)]);
        let ms = SimDuration::from_millis;
        let got: Vec<Decision> = (0..4).map(|_| c.decide(&request(0), at_ms(0))).collect();
        assert_eq!(
            got,
            [
                Decision::Admit { delay: ms(0) },
                Decision::Admit { delay: ms(500) },
                Decision::Admit { delay: ms(1000) },
                // The request leaving at 500 ms makes room.
                Decision::Reject {
                    retry_after: ms(500)
                },
            ]
        );
        assert!(matches!(
            c.decide(&request(0), at_ms(1)),
            Decision::Reject { .. }
        ));
        assert_eq!(
            c.decide(&request(0), at_ms(500)),
            Decision::Admit { delay: ms(1000) }
        );
    }

    #[test]
    fn a_rejected_request_charges_no_rule() {
        let by_client = rule(Algorithm::FixedWindow, 10, 1000);
        let global = Rule {
            key_by: KeyBy::Global,
            ..rule(Algorithm::FixedWindow, 1, 1000)
        };
        let mut c = Counters::new(vec![by_client, global]);
        assert!(matches!(
            c.decide(&request(0), at_ms(0)),
            Decision::Admit { .. }
        ));
        for _ in 0..5 {
            assert!(matches!(
                c.decide(&request(0), at_ms(1)),
                Decision::Reject { .. }
            ));
            assert_eq!(
                c.verdicts()[0].remaining,
                9,
                "the client rule was not charged"
            );
            assert!(c.verdicts()[1].rejected && !c.verdicts()[0].rejected);
        }
    }

    #[test]
    fn rules_limited_to_types_skip_the_others() {
        let mut only_type_1 = rule(Algorithm::FixedWindow, 1, 1000);
        only_type_1.types = vec![false, true];
        let mut c = Counters::new(vec![only_type_1]);
        for _ in 0..3 {
            assert!(matches!(
                c.decide(&request(0), at_ms(0)),
                Decision::Admit { .. }
            ));
        }
        assert!(!c.verdicts()[0].applied);
    }
}
