//! Hit ratios of the eviction structures under the independent reference model, against
//! `super::theory`. Keys come from [`KeySampler`] (Zipf), fed straight into a [`Store`], so
//! millions of requests take a fraction of a second.
//!
//! Tolerances: the approximations of Che (LRU) and Martina et al. (FIFO, RANDOM) are within
//! about 1e-3 of the exact hit ratio for Zipf catalogs of 10^4 keys and caches of 10^2 to 10^3
//! entries (Fricker, Robert and Roberts, ITC 2012); we allow `APPROXIMATION` = 2e-3 for it,
//! plus 4 binomial standard errors of the measured ratio, `sqrt(h (1 - h) / n)` with n = 2*10^6
//! requests after a warm-up of 10^6 (several times the characteristic time, so the cache is in
//! its stationary regime). Successive hits are slightly correlated through the cache's state,
//! so the true standard error is somewhat above the binomial one; 4 sigma leaves room for that.
//! Across seeds 1 to 3 the measured ratios were within 5e-4 of theory.

use super::eviction::{Limits, Orders, Policy, Store};
use super::theory::{fifo_hit_ratio, lru_hit_ratio, ttl_hit_ratio};
use crate::engine::rng::stream;
use crate::model::keys::{KeyPopularity, KeySampler};
use rand_distr::{Distribution as _, Exp};

const KEYS: u64 = 10_000;
const ALPHA: f64 = 0.8;
const WARMUP: u64 = 1_000_000;
const MEASURED: u64 = 2_000_000;
const APPROXIMATION: f64 = 2e-3;

fn zipf() -> (KeySampler, Vec<f64>) {
    let sampler = KeySampler::new(&KeyPopularity::Zipf {
        count: KEYS,
        alpha: ALPHA,
    })
    .expect("valid zipf");
    let probs = (0..KEYS).map(|k| sampler.probability(k)).collect();
    (sampler, probs)
}

/// Measured hit ratio of a cache-on-miss store of `capacity` entries under IRM.
fn simulate(policy: Policy, capacity: u64, seed: u64) -> f64 {
    let (sampler, _) = zipf();
    let mut store: Store<()> = Store::new(
        policy,
        Limits {
            entries: Some(capacity),
            bytes: None,
        },
        Orders::default(),
        stream(seed, "irm", "eviction"),
    );
    let mut rng = stream(seed, "irm", "keys");
    let mut hits = 0;
    for i in 0..WARMUP + MEASURED {
        let key = sampler.sample(&mut rng);
        let hit = match store.find(key) {
            Some(slot) => {
                store.touch(slot);
                true
            }
            None => {
                while store.needs_room(1) {
                    let victim = store.victim().expect("full store has a victim");
                    store.remove(victim);
                }
                store.insert(key, 1, ());
                false
            }
        };
        if hit && i >= WARMUP {
            hits += 1;
        }
    }
    hits as f64 / MEASURED as f64
}

fn standard_error(h: f64) -> f64 {
    (h * (1.0 - h) / MEASURED as f64).sqrt()
}

fn check(policy: Policy, capacity: u64, theory: f64) {
    let h = simulate(policy, capacity, 1);
    let tolerance = APPROXIMATION + 4.0 * standard_error(h);
    println!(
        "{} C={capacity}: simulated {h:.5}, theory {theory:.5}, tolerance {tolerance:.5}",
        policy.name()
    );
    assert!(
        (h - theory).abs() <= tolerance,
        "{} with {capacity} entries: simulated hit ratio {h:.5}, theory {theory:.5} (tolerance {tolerance:.5})",
        policy.name()
    );
}

#[test]
fn lru_matches_che_approximation() {
    let (_, probs) = zipf();
    for capacity in [100, 1000] {
        check(
            Policy::Lru,
            capacity,
            lru_hit_ratio(&probs, capacity as f64),
        );
    }
}

#[test]
fn fifo_matches_martina_approximation() {
    let (_, probs) = zipf();
    for capacity in [100, 1000] {
        check(
            Policy::Fifo,
            capacity,
            fifo_hit_ratio(&probs, capacity as f64),
        );
    }
}

#[test]
fn random_matches_fifo_approximation() {
    let (_, probs) = zipf();
    for capacity in [100, 1000] {
        check(
            Policy::Random,
            capacity,
            fifo_hit_ratio(&probs, capacity as f64),
        );
    }
}

/// In-cache LFU against the mass of the `C` most popular keys.
///
/// Upper bound: under IRM no demand-fetching policy beats keeping the `C` most popular keys
/// (Aho, Denning and Ullman, "Principles of optimal page replacement", JACM 1971), so the hit
/// ratio may exceed `top_mass(C)` only by sampling error. A "perfect" LFU, whose counts survive
/// eviction, converges to that bound; ours forgets the count of an evicted key (as the
/// structure of Shah et al. does), so a key re-enters at count 1 and a few unpopular keys that
/// got lucky hold their places: it settles a few points lower. That gap has no closed form we
/// know of; it was 0.036 (C = 100) and 0.051 (C = 1000) for Zipf(0.8) over 10^4 keys, the same
/// for warm-ups of 10^5 to 10^7 requests and seeds 1 to 3 (within 0.002). The lower bound
/// allows 0.06: a regression that breaks the frequency ordering (e.g. evicting the most
/// frequent) falls far below it, to the FIFO/LRU level or worse.
#[test]
fn lfu_approaches_the_top_keys_mass() {
    let (sampler, probs) = zipf();
    for capacity in [100, 1000] {
        let h = simulate(Policy::Lfu, capacity, 1);
        let top = sampler.top_mass(capacity);
        let lru = lru_hit_ratio(&probs, capacity as f64);
        println!("lfu C={capacity}: simulated {h:.5}, top-C mass {top:.5}, LRU (Che) {lru:.5}");
        assert!(h <= top + 4.0 * standard_error(h), "above the IRM optimum");
        assert!(
            h >= top - 0.06,
            "LFU {h:.5} too far below the top-C mass {top:.5}"
        );
        assert!(
            h > lru + 0.05,
            "LFU {h:.5} should clearly beat LRU {lru:.5} under IRM"
        );
    }
}

/// A TTL-only cache (no capacity limit; entries expire `ttl` after the miss that stored them;
/// hits do not refresh) under Poisson requests: exact formula, so the tolerance is sampling
/// error only (4 binomial standard errors; the TTL windows of different keys are independent
/// and one key's hits are a renewal process, so correlation is mild).
#[test]
fn ttl_cache_matches_renewal_formula() {
    let (sampler, probs) = zipf();
    let rate = 1000.0; // requests per second
    let ttl = 2.0; // seconds
    let theory = ttl_hit_ratio(&probs, rate, ttl);
    let mut store: Store<f64> = Store::new(
        Policy::Fifo,
        Limits::default(),
        Orders {
            write: true,
            access: false,
        },
        stream(1, "ttl", "eviction"),
    );
    let mut rng = stream(1, "ttl", "keys");
    let mut gaps = stream(1, "ttl", "arrivals");
    let exp = Exp::new(rate).expect("positive rate");
    let (mut now, mut hits, mut expirations) = (0.0, 0u64, 0u64);
    let warmup = 10.0 * ttl;
    let mut measured = 0u64;
    while measured < MEASURED {
        now += exp.sample(&mut gaps);
        // Expire from the front of the write order (the value is the insertion time).
        while let Some(slot) = store.oldest_written() {
            if *store.value(slot) + ttl > now {
                break;
            }
            store.remove(slot);
            expirations += 1;
        }
        let key = sampler.sample(&mut rng);
        let hit = store.find(key).is_some();
        if !hit {
            store.insert(key, 1, now);
        }
        if now >= warmup {
            measured += 1;
            hits += u64::from(hit);
        }
    }
    let h = hits as f64 / measured as f64;
    let tolerance = 4.0 * standard_error(h);
    println!("ttl {ttl}s at {rate}/s: simulated {h:.5}, theory {theory:.5}, tolerance {tolerance:.5}, {expirations} expirations");
    assert!((h - theory).abs() <= tolerance);
}
