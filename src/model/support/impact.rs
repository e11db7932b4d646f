//! Each failure's impact: the requests it affected, attributed to the failure that caused them.
//!
//! A request (born after the warm-up) is *affected* when it ends failed, rejected or timed out,
//! or succeeds slower than the objective's latency (only with an `slo`). It is attributed to
//! the failure events in effect at some moment of its life (the event started before the
//! request ended, and had not ended before it was born), chosen thus:
//!
//! 1. **Blame.** The first component that answered the request with a failure (any call of any
//!    attempt: a crashed instance refusing it, a component whose own call to a dead dependency
//!    timed out, an injected error) is blamed. The events whose targets include that component
//!    (a data center's event targets every component placed in it; a network fault, both its
//!    sides) caused it.
//! 2. **Path.** Otherwise (a client's timeout, a slow success, or a blamed component that no
//!    event struck, such as an overloaded survivor of a crash elsewhere in the path), every
//!    event in effect whose target is on the request's path: reachable from the request's
//!    traffic source through the call graph.
//!
//! A request no event explains (a failure with nothing in effect, say overload alone) is
//! counted nowhere. Per event: the affected requests by outcome and request type, and the first
//! and last instants an affected request ended. "No impact" is said only when that is zero.
//!
//! Test: `tests/failure_impact.rs` (a crash of a single-instance pool under Poisson traffic:
//! failed = λ × the crash's length within Poisson noise, impact window = the crash).

use std::collections::HashMap;

use crate::engine::{ComponentId, SimDuration, SimTime};
use crate::model::support::call::Request;
use crate::stats::Outcome;

/// What an affected request is counted as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Affected {
    Failed = 0,
    Rejected = 1,
    TimedOut = 2,
    /// Succeeded, slower than the objective.
    Slow = 3,
}

/// Counts by [`Affected`], in its order.
pub type Counts = [u64; 4];

/// What a failure strikes, as the tracker keys its reach sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Struck {
    /// One component (all its instances, or one).
    Component(ComponentId),
    /// Every component placed in this data center.
    DataCenter(u16),
    /// Both sides of the scheduled network fault with this index.
    NetworkFault(usize),
}

/// The components a failure struck, and the traffic sources whose requests can reach one.
struct Reach {
    struck: Vec<bool>,
    /// Indexed by component: true for a source whose requests can reach a struck component.
    sources: Vec<bool>,
}

/// One failure event as the tracker follows it.
struct Tracked {
    start: SimTime,
    end: Option<SimTime>,
    reach: usize,
    /// Per request type (one row when the scenario has one type).
    by_type: Vec<Counts>,
    first: Option<SimTime>,
    last: Option<SimTime>,
}

/// What the tracker found for one event, for the report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventImpact {
    pub by_type: Vec<Counts>,
    pub first: Option<SimTime>,
    pub last: Option<SimTime>,
}

/// Follows every failure event and the requests it affects (see the module's documentation).
pub struct ImpactTracker {
    /// The reverse call graph: who calls each component.
    callers: Vec<Vec<ComponentId>>,
    /// Which components are traffic sources.
    is_source: Vec<bool>,
    /// Reach sets, shared by the events that strike the same components.
    reaches: Vec<Reach>,
    /// Reach set of each thing struck: random failures strike one target again and again.
    reach_of: HashMap<Struck, usize>,
    events: Vec<Tracked>,
    /// The first component that answered each unfinished request with a failure, by request id.
    blame: HashMap<u64, ComponentId>,
    slow_after: Option<SimDuration>,
    warmup_end: SimTime,
    /// The scenario's request types; counts are kept per type when there are several.
    type_names: Vec<String>,
}

impl ImpactTracker {
    /// `callees[i]`: the components component `i` calls; `slow_after`: the objective's latency.
    pub fn new(
        callees: &[Vec<ComponentId>],
        is_source: Vec<bool>,
        slow_after: Option<SimDuration>,
        warmup_end: SimTime,
        type_names: Vec<String>,
    ) -> Self {
        let mut callers = vec![Vec::new(); callees.len()];
        for (caller, list) in callees.iter().enumerate() {
            for callee in list {
                if let Some(c) = callers.get_mut(callee.index()) {
                    c.push(ComponentId(caller as u32));
                }
            }
        }
        ImpactTracker {
            callers,
            is_source,
            reaches: Vec::new(),
            reach_of: HashMap::new(),
            events: Vec::new(),
            blame: HashMap::new(),
            slow_after,
            warmup_end,
            type_names,
        }
    }

    /// Rows of counts per event: one per request type when there are several, else one.
    fn rows(&self) -> usize {
        if self.type_names.len() > 1 {
            self.type_names.len()
        } else {
            1
        }
    }

    /// The request types, in the order of the counts' rows (empty with a single type).
    pub fn type_names(&self) -> &[String] {
        if self.type_names.len() > 1 {
            &self.type_names
        } else {
            &[]
        }
    }

    /// A failure event began (events are numbered in order of beginning, as the timeline numbers
    /// them). `members` lists the components a data center or a network fault strikes; it is
    /// asked only the first time that thing is struck.
    pub fn begin(
        &mut self,
        now: SimTime,
        what: Struck,
        members: impl FnOnce() -> Vec<ComponentId>,
    ) {
        let reach = match self.reach_of.get(&what) {
            Some(&r) => r,
            None => {
                let mut struck = vec![false; self.callers.len()];
                let listed = match what {
                    Struck::Component(c) => vec![c],
                    Struck::DataCenter(_) | Struck::NetworkFault(_) => members(),
                };
                for c in listed {
                    if let Some(x) = struck.get_mut(c.index()) {
                        *x = true;
                    }
                }
                let sources = self.sources_reaching(&struck);
                self.reaches.push(Reach { struck, sources });
                self.reach_of.insert(what, self.reaches.len() - 1);
                self.reaches.len() - 1
            }
        };
        self.events.push(Tracked {
            start: now,
            end: None,
            reach,
            by_type: vec![[0; 4]; self.rows()],
            first: None,
            last: None,
        });
    }

    /// Event `index` (in order of beginning) was undone.
    pub fn end(&mut self, index: usize, now: SimTime) {
        if let Some(e) = self.events.get_mut(index) {
            e.end = Some(now);
        }
    }

    /// Sources from which a request can reach a struck component (a walk up the reverse call
    /// graph from the struck ones).
    fn sources_reaching(&self, struck: &[bool]) -> Vec<bool> {
        let mut seen = struck.to_vec();
        let mut stack: Vec<usize> = (0..struck.len()).filter(|&i| struck[i]).collect();
        while let Some(i) = stack.pop() {
            for caller in &self.callers[i] {
                let c = caller.index();
                if !seen[c] {
                    seen[c] = true;
                    stack.push(c);
                }
            }
        }
        seen.iter()
            .zip(&self.is_source)
            .map(|(&reached, &source)| reached && source)
            .collect()
    }

    /// A component answered a call of `request` with a failure: the first one is blamed.
    pub fn blame(&mut self, request: &Request, component: ComponentId) {
        if self.events.is_empty() {
            return; // nothing has failed yet: nothing to attribute to
        }
        self.blame.entry(request.id).or_insert(component);
    }

    /// A request ended at its source `source` with `outcome`.
    pub fn finish(
        &mut self,
        source: ComponentId,
        request: &Request,
        now: SimTime,
        outcome: Outcome,
    ) {
        let blamed = self.blame.remove(&request.id);
        if request.born < self.warmup_end || self.events.is_empty() {
            return;
        }
        let affected = match outcome {
            Outcome::Failed => Affected::Failed,
            Outcome::Rejected => Affected::Rejected,
            Outcome::TimedOut => Affected::TimedOut,
            Outcome::Succeeded => match self.slow_after {
                Some(limit) if now.since(request.born) > limit => Affected::Slow,
                _ => return,
            },
        };
        let in_life = |e: &Tracked| e.start <= now && e.end.is_none_or(|end| end >= request.born);
        let row = if self.type_names.len() > 1 {
            request.kind as usize
        } else {
            0
        };
        let by_blame = blamed.filter(|b| {
            self.events
                .iter()
                .any(|e| in_life(e) && self.reaches[e.reach].struck[b.index()])
        });
        for e in self.events.iter_mut() {
            if !in_life(e) {
                continue;
            }
            let reach = &self.reaches[e.reach];
            let caused = match by_blame {
                Some(b) => reach.struck[b.index()],
                None => reach.sources.get(source.index()).copied().unwrap_or(false),
            };
            if caused {
                if let Some(counts) = e.by_type.get_mut(row) {
                    counts[affected as usize] += 1;
                }
                e.first = Some(e.first.map_or(now, |f| f.min(now)));
                e.last = Some(e.last.map_or(now, |l| l.max(now)));
            }
        }
    }

    /// Whether slow successes are counted (the scenario has an objective).
    pub fn counts_slow(&self) -> bool {
        self.slow_after.is_some()
    }

    /// What each event affected, in order of beginning.
    pub fn impacts(&self) -> Vec<EventImpact> {
        self.events
            .iter()
            .map(|e| EventImpact {
                by_type: e.by_type.clone(),
                first: e.first,
                last: e.last,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: u64, born_s: u64) -> Request {
        Request {
            id,
            kind: 0,
            region: 0,
            client: 0,
            key: 0,
            born: SimTime::ZERO + SimDuration::from_secs(born_s),
            slot: 0,
        }
    }

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    /// users(0) -> lb(1) -> web(2) -> db(3); cache(4) called by web; other(5) called by nobody.
    fn tracker() -> ImpactTracker {
        let callees = vec![
            vec![ComponentId(1)],
            vec![ComponentId(2)],
            vec![ComponentId(3), ComponentId(4)],
            vec![],
            vec![],
            vec![],
        ];
        let sources = vec![true, false, false, false, false, false];
        ImpactTracker::new(
            &callees,
            sources,
            Some(SimDuration::from_secs(1)),
            at(0),
            vec!["read".into()],
        )
    }

    #[test]
    fn a_blamed_component_names_its_event_and_only_it() {
        let mut t = tracker();
        t.begin(at(10), Struck::Component(ComponentId(3)), Vec::new); // db crashes
        t.begin(at(10), Struck::Component(ComponentId(4)), Vec::new); // cache errors, same time
        let r = request(1, 11);
        t.blame(&r, ComponentId(3));
        t.blame(&r, ComponentId(2)); // web passes the failure on: not the first
        t.finish(ComponentId(0), &r, at(12), Outcome::Failed);
        let impacts = t.impacts();
        assert_eq!(impacts[0].by_type[0], [1, 0, 0, 0]);
        assert_eq!(impacts[1].by_type[0], [0, 0, 0, 0]);
        assert_eq!(impacts[0].first, Some(at(12)));
    }

    #[test]
    fn timeouts_and_slow_successes_go_to_the_events_on_the_path() {
        let mut t = tracker();
        t.begin(at(10), Struck::Component(ComponentId(3)), Vec::new); // on the path
        t.begin(at(10), Struck::Component(ComponentId(5)), Vec::new); // not on it
        t.finish(ComponentId(0), &request(1, 11), at(14), Outcome::TimedOut);
        t.finish(ComponentId(0), &request(2, 11), at(13), Outcome::Succeeded); // 2 s: slow
        t.finish(ComponentId(0), &request(3, 11), at(11), Outcome::Succeeded); // fast
        let impacts = t.impacts();
        assert_eq!(impacts[0].by_type[0], [0, 0, 1, 1]);
        assert_eq!(impacts[1].by_type[0], [0, 0, 0, 0]);
        assert_eq!(
            (impacts[0].first, impacts[0].last),
            (Some(at(13)), Some(at(14)))
        );
    }

    #[test]
    fn an_event_does_not_reach_requests_outside_its_time() {
        let mut t = tracker();
        t.begin(at(10), Struck::Component(ComponentId(3)), Vec::new);
        t.end(0, at(20));
        // Born after it ended, and ended before it began (no event yet then, so not blamed).
        t.finish(ComponentId(0), &request(1, 21), at(22), Outcome::Failed);
        // Born during it, failed after it: counted.
        t.finish(ComponentId(0), &request(2, 19), at(25), Outcome::TimedOut);
        assert_eq!(t.impacts()[0].by_type[0], [0, 0, 1, 0]);
    }

    #[test]
    fn a_data_center_strikes_its_members() {
        let mut t = tracker();
        t.begin(at(10), Struck::DataCenter(0), || {
            vec![ComponentId(2), ComponentId(3)]
        });
        let r = request(1, 11);
        t.blame(&r, ComponentId(3));
        t.finish(ComponentId(0), &r, at(11), Outcome::Rejected);
        assert_eq!(t.impacts()[0].by_type[0], [0, 1, 0, 0]);
    }
}
