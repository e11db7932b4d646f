//! Network latency between components.
//!
//! A link between two components adds a latency drawn from its distribution to every call from
//! one to the other and to every reply back (links are symmetric; each direction draws
//! independently). Pairs without a link use the default latency, zero unless the scenario says
//! otherwise. Each link draws from its own random stream, named after its two ends.

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

/// Latencies between every pair of components.
pub struct Network {
    default: Link,
    links: Vec<Link>,
    /// For each component, the links that start or end there: (other end, link index).
    adjacency: Vec<Vec<(ComponentId, usize)>>,
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
        }
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
