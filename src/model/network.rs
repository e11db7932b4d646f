//! Network latency between components.
//!
//! A link between two components adds a latency drawn from its distribution to every call from
//! one to the other and to every reply back (links are symmetric; each direction draws
//! independently). Pairs without a link use the default latency, zero unless the scenario says
//! otherwise. Each link draws from its own random stream, named after its two ends.
//!
//! Network faults from the failure schedule come and go during a run. Each joins two sides (sets
//! of components): a *partition* drops every message between the sides, in both directions (the
//! callers find out through their timeouts, as with lost packets); *added latency* adds a fixed
//! delay to every message between them. Messages within a side are untouched.
//! Tests: `tests/network_faults.rs`.

use super::dist::Distribution;
use crate::engine::rng::{stream, SimRng};
use crate::engine::{ComponentId, SimDuration};

struct Link {
    latency: Distribution,
    rng: SimRng,
}

impl Link {
    fn sample(&mut self) -> SimDuration {
        if self.latency.is_zero() {
            SimDuration::ZERO
        } else {
            self.latency.sample(&mut self.rng)
        }
    }
}

/// What a network fault does to messages between its two sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    Partition,
    AddedLatency(SimDuration),
}

struct Fault {
    kind: FaultKind,
    /// Per component: 0 outside the fault, 1 or 2 for its side.
    side: Vec<u8>,
    active: bool,
}

/// Latencies between every pair of components.
pub struct Network {
    default: Link,
    links: Vec<Link>,
    /// For each component, the links that start or end there: (other end, link index).
    adjacency: Vec<Vec<(ComponentId, usize)>>,
    faults: Vec<Fault>,
    /// Faults in effect now; 0 keeps the common path to one comparison.
    active_faults: usize,
    /// Messages dropped by partitions.
    dropped: u64,
}

impl Network {
    pub fn new(seed: u64, components: usize, default_latency: Distribution) -> Self {
        Network {
            default: Link {
                latency: default_latency,
                rng: stream(seed, "network", "default-latency"),
            },
            links: Vec::new(),
            adjacency: vec![Vec::new(); components],
            faults: Vec::new(),
            active_faults: 0,
            dropped: 0,
        }
    }

    /// Adds a fault between two sides (inactive until [`Network::set_fault`]); returns its
    /// index.
    pub fn add_fault(&mut self, kind: FaultKind, a: &[ComponentId], b: &[ComponentId]) -> usize {
        let mut side = vec![0u8; self.adjacency.len()];
        for (members, mark) in [(a, 1u8), (b, 2u8)] {
            for id in members {
                if let Some(s) = side.get_mut(id.index()) {
                    *s = mark;
                }
            }
        }
        self.faults.push(Fault {
            kind,
            side,
            active: false,
        });
        self.faults.len() - 1
    }

    /// Puts a fault into effect or ends it.
    pub fn set_fault(&mut self, index: usize, active: bool) {
        let Some(fault) = self.faults.get_mut(index) else {
            return;
        };
        if fault.active != active {
            fault.active = active;
            if active {
                self.active_faults += 1;
            } else {
                self.active_faults -= 1;
            }
        }
    }

    /// Messages dropped by partitions so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The delay of one message from `from` to `to`, or `None` if a partition drops it.
    pub fn route(&mut self, from: ComponentId, to: ComponentId) -> Option<SimDuration> {
        let mut delay = self.latency(from, to);
        if self.active_faults == 0 {
            return Some(delay);
        }
        for fault in self.faults.iter().filter(|f| f.active) {
            let a = fault.side.get(from.index()).copied().unwrap_or(0);
            let b = fault.side.get(to.index()).copied().unwrap_or(0);
            if a == 0 || b == 0 || a == b {
                continue;
            }
            match fault.kind {
                FaultKind::Partition => {
                    self.dropped += 1;
                    return None;
                }
                FaultKind::AddedLatency(extra) => delay = delay + extra,
            }
        }
        Some(delay)
    }

    /// Adds a symmetric link between `a` and `b` (named for its random stream).
    pub fn connect(
        &mut self,
        seed: u64,
        (a, a_name): (ComponentId, &str),
        (b, b_name): (ComponentId, &str),
        latency: Distribution,
    ) {
        let index = self.links.len();
        let owner = format!("link:{a_name}<->{b_name}");
        self.links.push(Link {
            latency,
            rng: stream(seed, &owner, "latency"),
        });
        self.adjacency[a.index()].push((b, index));
        if a != b {
            self.adjacency[b.index()].push((a, index));
        }
    }

    /// Draws the latency of one message from `from` to `to`.
    pub fn latency(&mut self, from: ComponentId, to: ComponentId) -> SimDuration {
        let link = self.adjacency[from.index()]
            .iter()
            .find(|(other, _)| *other == to)
            .map(|&(_, index)| index);
        match link {
            Some(index) => self.links[index].sample(),
            None => self.default.sample(),
        }
    }
}
