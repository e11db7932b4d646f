//! Circuit breaker on a server pool's calls to one downstream component.
//!
//! Closed: calls go through; each outcome (a failed, rejected or timed-out reply counts as a
//! failure; so does a call not answered within the pool's `call_timeout`) is counted in a
//! sliding window of `window` (ten buckets). When the window holds at least `min_calls` calls
//! and the failure rate reaches `failure_rate`, the breaker opens: for `open_for` every call
//! fails at once without being sent, freeing the caller's worker (the request ends "failed").
//! Then it is half-open: up to `half_open_probes` calls go through; if all of them succeed it
//! closes (with an empty window), and the first failure opens it again.
//!
//! Tests: the unit tests below and `tests/circuit_breaker.rs` (a slow database: the breaker
//! keeps the web tier's workers free for requests that do not need it).

use crate::engine::{ComponentId, SimDuration, SimTime};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreakerPolicy {
    /// Failure rate (0..1] that opens the breaker.
    pub failure_rate: f64,
    pub window: SimDuration,
    /// Fewest calls in the window before the rate is judged.
    pub min_calls: u32,
    pub open_for: SimDuration,
    pub half_open_probes: u32,
}

/// A pool's breakers: the policy and the downstream components it applies to, with names.
#[derive(Clone, Debug, PartialEq)]
pub struct CircuitBreakers {
    pub policy: BreakerPolicy,
    pub targets: Vec<(ComponentId, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum State {
    Closed,
    Open { until: SimTime },
    HalfOpen { sent: u32, succeeded: u32 },
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open { .. } => "open",
            State::HalfOpen { .. } => "half_open",
        }
    }
}

const BUCKETS: usize = 10;

#[derive(Clone, Copy, Debug, Default)]
struct Bucket {
    /// Index of the bucket-width slot of time this bucket holds.
    epoch: u64,
    calls: u32,
    failures: u32,
}

/// Transitions kept for the report; more are counted only.
pub const MAX_TRANSITIONS: usize = 1000;

#[derive(Clone, Debug)]
pub struct Breaker {
    policy: BreakerPolicy,
    pub state: State,
    buckets: [Bucket; BUCKETS],
    pub opened: u64,
    pub fast_failed: u64,
    /// (time, new state).
    pub transitions: Vec<(SimTime, State)>,
}

impl Breaker {
    pub fn new(policy: BreakerPolicy) -> Self {
        Breaker {
            policy,
            state: State::Closed,
            buckets: [Bucket::default(); BUCKETS],
            opened: 0,
            fast_failed: 0,
            transitions: Vec::new(),
        }
    }

    fn bucket_ns(&self) -> u64 {
        (self.policy.window.as_nanos() / BUCKETS as u64).max(1)
    }

    fn go(&mut self, now: SimTime, state: State) {
        self.state = state;
        if self.transitions.len() < MAX_TRANSITIONS {
            self.transitions.push((now, state));
        }
    }

    /// Whether a call may be sent now; counts the ones refused.
    pub fn allow(&mut self, now: SimTime) -> bool {
        if let State::Open { until } = self.state {
            if now < until {
                self.fast_failed += 1;
                return false;
            }
            self.go(
                now,
                State::HalfOpen {
                    sent: 0,
                    succeeded: 0,
                },
            );
        }
        match &mut self.state {
            State::Closed => true,
            State::HalfOpen { sent, .. } if *sent < self.policy.half_open_probes => {
                *sent += 1;
                true
            }
            _ => {
                self.fast_failed += 1;
                false
            }
        }
    }

    /// Counts the outcome of a call that was let through.
    pub fn record(&mut self, now: SimTime, success: bool) {
        match &mut self.state {
            State::Open { .. } => {} // a late answer to a call sent before it opened
            State::HalfOpen { succeeded, .. } => {
                if !success {
                    self.open(now);
                } else {
                    *succeeded += 1;
                    if *succeeded >= self.policy.half_open_probes {
                        self.buckets = [Bucket::default(); BUCKETS];
                        self.go(now, State::Closed);
                    }
                }
            }
            State::Closed => {
                let epoch = now.as_nanos() / self.bucket_ns();
                let bucket = &mut self.buckets[(epoch % BUCKETS as u64) as usize];
                if bucket.epoch != epoch {
                    *bucket = Bucket {
                        epoch,
                        ..Bucket::default()
                    };
                }
                bucket.calls += 1;
                bucket.failures += u32::from(!success);
                let (calls, failures) = self
                    .buckets
                    .iter()
                    .filter(|b| b.epoch + BUCKETS as u64 > epoch)
                    .fold((0u64, 0u64), |(c, f), b| {
                        (c + u64::from(b.calls), f + u64::from(b.failures))
                    });
                if calls >= u64::from(self.policy.min_calls)
                    && failures as f64 >= self.policy.failure_rate * calls as f64
                {
                    self.open(now);
                }
            }
        }
    }

    fn open(&mut self, now: SimTime) {
        self.opened += 1;
        self.go(
            now,
            State::Open {
                until: now + self.policy.open_for,
            },
        );
    }

    pub fn is_open(&self) -> bool {
        matches!(self.state, State::Open { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> SimTime {
        SimTime::from_nanos(ms * 1_000_000)
    }

    fn breaker() -> Breaker {
        Breaker::new(BreakerPolicy {
            failure_rate: 0.5,
            window: SimDuration::from_secs(10),
            min_calls: 4,
            open_for: SimDuration::from_secs(5),
            half_open_probes: 2,
        })
    }

    #[test]
    fn opens_at_the_failure_rate_then_probes_and_closes() {
        let mut b = breaker();
        b.record(t(0), false);
        b.record(t(1), false);
        b.record(t(2), true);
        assert_eq!(b.state, State::Closed, "fewer than min_calls");
        b.record(t(3), false);
        assert!(b.is_open(), "3 of 4 failed");
        assert!(!b.allow(t(4_000)));
        assert_eq!(b.fast_failed, 1);
        // After open_for: two probes go through, a third waits.
        assert!(b.allow(t(5_003)));
        assert!(b.allow(t(5_004)));
        assert!(!b.allow(t(5_005)));
        b.record(t(5_010), true);
        b.record(t(5_011), true);
        assert_eq!(b.state, State::Closed);
        let names: Vec<&str> = b.transitions.iter().map(|(_, s)| s.name()).collect();
        assert_eq!(names, ["open", "half_open", "closed"]);
    }

    #[test]
    fn a_failed_probe_opens_it_again_and_old_failures_slide_out() {
        let mut b = breaker();
        for ms in 0..4 {
            b.record(t(ms), false);
        }
        assert!(b.allow(t(6_000)));
        b.record(t(6_001), false);
        assert!(b.is_open());
        assert_eq!(b.opened, 2);
        // Failures older than the window do not count.
        let mut b = breaker();
        b.record(t(0), false);
        b.record(t(1), false);
        for ms in [11_000, 11_001, 11_002] {
            b.record(t(ms), true);
        }
        b.record(t(11_003), false);
        assert_eq!(b.state, State::Closed, "1 of 4 in the window");
    }
}
