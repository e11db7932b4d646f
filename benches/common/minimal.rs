//! The minimal hand-written event loop the benchmarks compare `sim` with, shared by
//! `benches/engine.rs` (criterion, side by side) and `benches/minimal_loop.rs` (one run, for
//! instruction counts under callgrind).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::SeedableRng;
use rand_distr::{Distribution, Exp};

/// A queueing workload of `benches/scenarios/`, as the minimal loop sees it.
pub struct Workload {
    pub name: &'static str,
    pub scenario: &'static str,
    pub stations: usize,
    pub workers: u32,
    /// Arrival rate [1/s]; every workload has exponential service with mean 1 s.
    pub lambda: f64,
}

pub const WORKLOADS: [Workload; 3] = [
    Workload {
        name: "mm1",
        scenario: "benches/scenarios/mm1.yaml",
        stations: 1,
        workers: 1,
        lambda: 0.9,
    },
    Workload {
        name: "mmc",
        scenario: "benches/scenarios/mmc.yaml",
        stations: 1,
        workers: 8,
        lambda: 7.0,
    },
    Workload {
        name: "lb50",
        scenario: "benches/scenarios/lb50.yaml",
        stations: 50,
        workers: 1,
        lambda: 40.0,
    },
];

/// A station of the minimal loop: busy workers and the arrival times of waiting requests.
#[derive(Default)]
struct Station {
    busy: u32,
    waiting: VecDeque<u64>,
}

/// The minimal loop: Poisson arrivals at `lambda` routed round robin over `stations` FIFO
/// stations of `workers` exponential servers each (rate `mu`). Heap entries are
/// (time [ns], station, arrival time), with `u32::MAX` as the station of an arrival.
/// Returns the mean response time [s].
pub fn minimal_loop(requests: u64, lambda: f64, mu: f64, stations: usize, workers: u32) -> f64 {
    const ARRIVAL: u32 = u32::MAX;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let arrival = Exp::new(lambda).expect("positive rate");
    let service = Exp::new(mu).expect("positive rate");
    let ns = |s: f64| (s * 1e9) as u64;
    let mut heap: BinaryHeap<Reverse<(u64, u32, u64)>> = BinaryHeap::new();
    let mut pool: Vec<Station> = (0..stations).map(|_| Station::default()).collect();
    let (mut arrived, mut departed, mut next_station) = (0u64, 0u64, 0usize);
    let mut total_response = 0u128;
    heap.push(Reverse((ns(arrival.sample(&mut rng)), ARRIVAL, 0)));
    while let Some(Reverse((now, station, born))) = heap.pop() {
        if station == ARRIVAL {
            arrived += 1;
            if arrived < requests {
                heap.push(Reverse((now + ns(arrival.sample(&mut rng)), ARRIVAL, 0)));
            }
            let s = next_station;
            next_station = (next_station + 1) % stations;
            if pool[s].busy < workers {
                pool[s].busy += 1;
                heap.push(Reverse((now + ns(service.sample(&mut rng)), s as u32, now)));
            } else {
                pool[s].waiting.push_back(now);
            }
        } else {
            departed += 1;
            total_response += u128::from(now - born);
            let s = &mut pool[station as usize];
            match s.waiting.pop_front() {
                Some(next_born) => heap.push(Reverse((
                    now + ns(service.sample(&mut rng)),
                    station,
                    next_born,
                ))),
                None => s.busy -= 1,
            }
        }
    }
    total_response as f64 / departed.max(1) as f64 / 1e9
}
