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
//!
//! Regions and data centers (see [`Geo`]): a component placed in a data center sits in that
//! data center's region; traffic sources and DNS act for their clients and sit in each request's
//! client region. A message between two places in different regions (or in two different data
//! centers) takes the inter-region latency *on top of* the link's (or the default) latency: the
//! link stands for the last hop, the region matrix for the distance. Tests: `tests/geo_dns.rs`.

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
    /// Regions, data centers and where each component sits.
    geo: Geo,
    /// No message can take any time: the default latency and every link's are zero and no
    /// component is placed in a region. Kept by the methods that add links and places, so that
    /// [`Network::route_request`], on every message, checks one flag (with the faults).
    zero_latency: bool,
}

/// No client region: messages of such requests (health probes) take no region latency.
pub const NO_REGION: u16 = u16::MAX;

/// Where a component sits, for region latencies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Place {
    /// Not placed: its messages take no region latency.
    #[default]
    Nowhere,
    /// Acts for the client (a traffic source, a DNS resolver): its messages start or end in the
    /// region of the request's client.
    Client,
    /// In data center `dc`, in `region`.
    DataCenter { dc: u16, region: u16 },
}

/// Regions, their latency matrix, data centers and component placement.
#[derive(Default)]
pub struct Geo {
    region_names: Vec<String>,
    /// `regions × regions`: index into `links` of the pair's latency, if given.
    matrix: Vec<Option<usize>>,
    links: Vec<Link>,
    /// Per component; empty when the scenario places nothing (the fast path).
    places: Vec<Place>,
    dc_names: Vec<String>,
    dc_regions: Vec<u16>,
    dc_down: Vec<bool>,
}

impl Network {
    pub fn new(seed: u64, components: usize, default_latency: Distribution) -> Self {
        Network {
            zero_latency: default_latency.is_zero(),
            default: Link {
                latency: default_latency,
                rng: stream(seed, "network", "default-latency"),
            },
            links: Vec::new(),
            adjacency: vec![Vec::new(); components],
            faults: Vec::new(),
            active_faults: 0,
            dropped: 0,
            geo: Geo::default(),
        }
    }

    /// Declares the regions (in the scenario's order: request regions index into it).
    pub fn set_regions(&mut self, names: Vec<String>) {
        let n = names.len();
        self.geo.region_names = names;
        self.geo.matrix = vec![None; n * n];
    }

    /// Sets the one-way latency between two regions (both directions; `a == b` is the latency
    /// within a region, between different data centers or from a client to a data center).
    pub fn set_region_latency(&mut self, seed: u64, a: u16, b: u16, latency: Distribution) {
        let n = self.geo.region_names.len();
        let (ia, ib) = (a as usize, b as usize);
        if ia >= n || ib >= n {
            return;
        }
        let owner = format!(
            "region:{}<->{}",
            self.geo.region_names[ia], self.geo.region_names[ib]
        );
        self.geo.links.push(Link {
            latency,
            rng: stream(seed, &owner, "latency"),
        });
        let index = self.geo.links.len() - 1;
        self.geo.matrix[ia * n + ib] = Some(index);
        self.geo.matrix[ib * n + ia] = Some(index);
    }

    /// Declares a data center in a region; returns its index.
    pub fn add_data_center(&mut self, name: &str, region: u16) -> u16 {
        self.geo.dc_names.push(name.to_string());
        self.geo.dc_regions.push(region);
        self.geo.dc_down.push(false);
        (self.geo.dc_names.len() - 1) as u16
    }

    /// Components the network knows (every component of the scenario).
    pub fn components(&self) -> usize {
        self.adjacency.len()
    }

    /// Places a component (in a data center, or on the client's side).
    pub fn set_place(&mut self, component: ComponentId, place: Place) {
        self.zero_latency = false;
        if self.geo.places.is_empty() {
            self.geo.places = vec![Place::Nowhere; self.adjacency.len()];
        }
        if let Some(p) = self.geo.places.get_mut(component.index()) {
            *p = place;
        }
    }

    /// Where a component sits.
    pub fn place(&self, component: ComponentId) -> Place {
        self.geo
            .places
            .get(component.index())
            .copied()
            .unwrap_or_default()
    }

    /// The region of the data center a component sits in, if it sits in one. (A request's
    /// client region is `request.region`.)
    pub fn region_of(&self, component: ComponentId) -> Option<u16> {
        match self.place(component) {
            Place::DataCenter { region, .. } => Some(region),
            _ => None,
        }
    }

    /// Names of the regions, by index.
    pub fn region_names(&self) -> &[String] {
        &self.geo.region_names
    }

    /// Names of the data centers, by index.
    pub fn data_center_names(&self) -> &[String] {
        &self.geo.dc_names
    }

    /// The region of data center `dc`.
    pub fn data_center_region(&self, dc: u16) -> u16 {
        self.geo
            .dc_regions
            .get(dc as usize)
            .copied()
            .unwrap_or(NO_REGION)
    }

    /// Marks a data center down (a `crash_data_center` failure) or up again.
    pub fn set_data_center_down(&mut self, dc: u16, down: bool) {
        if let Some(d) = self.geo.dc_down.get_mut(dc as usize) {
            *d = down;
        }
    }

    /// Whether a data center is down now (the truth, not what health checks believe).
    pub fn data_center_down(&self, dc: u16) -> bool {
        self.geo.dc_down.get(dc as usize).copied().unwrap_or(false)
    }

    /// Draws the one-way latency of one message from region `from` to region `to`: the
    /// matrix's entry for the pair, 0 where none is given (or either is [`NO_REGION`]).
    /// This is the function other components (a CDN's edges) use for region-to-region delays.
    pub fn region_latency(&mut self, from: u16, to: u16) -> SimDuration {
        let n = self.geo.region_names.len();
        let (a, b) = (from as usize, to as usize);
        if a >= n || b >= n {
            return SimDuration::ZERO;
        }
        match self.geo.matrix[a * n + b] {
            Some(index) => self.geo.links[index].sample(),
            None => SimDuration::ZERO,
        }
    }

    /// The mean one-way latency between two regions [s] (0 where none is given).
    pub fn region_mean_latency(&self, from: u16, to: u16) -> f64 {
        let n = self.geo.region_names.len();
        let (a, b) = (from as usize, to as usize);
        if a >= n || b >= n {
            return 0.0;
        }
        self.geo.matrix[a * n + b].map_or(0.0, |i| self.geo.links[i].latency.mean_secs())
    }

    /// The region latency a message between two components takes, for a request from a
    /// client in `client_region`: between different data centers, or between the client's
    /// side and a data center. Zero within a data center and for unplaced components.
    fn geo_delay(&mut self, from: ComponentId, to: ComponentId, client_region: u16) -> SimDuration {
        let (a, b) = (self.place(from), self.place(to));
        let (ra, rb) = match (a, b) {
            (Place::DataCenter { dc: x, region: r }, Place::DataCenter { dc: y, region: s })
                if x != y =>
            {
                (r, s)
            }
            (Place::Client, Place::DataCenter { region, .. }) => (client_region, region),
            (Place::DataCenter { region, .. }, Place::Client) => (region, client_region),
            _ => return SimDuration::ZERO,
        };
        self.region_latency(ra, rb)
    }

    /// The delay of one message of a request from a client in `client_region`: the link's
    /// latency, the region latency, and network faults; `None` if a partition drops it.
    #[inline]
    pub fn route_request(
        &mut self,
        from: ComponentId,
        to: ComponentId,
        client_region: u16,
    ) -> Option<SimDuration> {
        if self.zero_latency && self.active_faults == 0 {
            return Some(SimDuration::ZERO);
        }
        self.route_request_with_delays(from, to, client_region)
    }

    /// [`Network::route_request`] where some message may take time.
    #[inline(never)]
    fn route_request_with_delays(
        &mut self,
        from: ComponentId,
        to: ComponentId,
        client_region: u16,
    ) -> Option<SimDuration> {
        let delay = self.route(from, to)?;
        if self.geo.places.is_empty() {
            return Some(delay);
        }
        Some(delay + self.geo_delay(from, to, client_region))
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
        self.zero_latency &= latency.is_zero();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (ComponentId, ComponentId) {
        (ComponentId(0), ComponentId(1))
    }

    #[test]
    fn a_network_without_latencies_routes_every_message_instantly() {
        let (a, b) = ids();
        let mut network = Network::new(1, 2, Distribution::Constant(SimDuration::ZERO));
        network.connect(
            1,
            (a, "a"),
            (b, "b"),
            Distribution::Constant(SimDuration::ZERO),
        );
        assert!(network.zero_latency);
        assert_eq!(network.route_request(a, b, 0), Some(SimDuration::ZERO));
    }

    #[test]
    fn a_link_or_a_place_with_a_latency_takes_the_slow_path() {
        let (a, b) = ids();
        let ms = SimDuration::from_nanos(1_000_000);
        let mut linked = Network::new(1, 2, Distribution::Constant(SimDuration::ZERO));
        linked.connect(1, (a, "a"), (b, "b"), Distribution::Constant(ms));
        assert!(!linked.zero_latency);
        assert_eq!(linked.route_request(b, a, 0), Some(ms));

        let mut placed = Network::new(1, 2, Distribution::Constant(SimDuration::ZERO));
        placed.set_regions(vec!["east".into(), "west".into()]);
        placed.set_region_latency(1, 0, 1, Distribution::Constant(ms));
        placed.set_place(a, Place::DataCenter { dc: 0, region: 0 });
        placed.set_place(b, Place::DataCenter { dc: 1, region: 1 });
        assert!(!placed.zero_latency);
        assert_eq!(placed.route_request(a, b, 0), Some(ms));
    }

    #[test]
    fn an_active_partition_drops_messages_even_without_latencies() {
        let (a, b) = ids();
        let mut network = Network::new(1, 2, Distribution::Constant(SimDuration::ZERO));
        let fault = network.add_fault(FaultKind::Partition, &[a], &[b]);
        network.set_fault(fault, true);
        assert_eq!(network.route_request(a, b, 0), None);
        network.set_fault(fault, false);
        assert_eq!(network.route_request(a, b, 0), Some(SimDuration::ZERO));
    }
}
