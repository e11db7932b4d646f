//! Hit ratios of the eviction structures under the independent reference model, against
//! `super::theory`. Keys come from [`KeySampler`] (Zipf), fed straight into a [`Store`], so
//! millions of requests take a fraction of a second. Run with `--nocapture` to print the rows of
//! docs/validation.md.
//!
//! Tolerances, as in `tests/queueing_theory.rs`: `Z` = 4.5 standard errors of the measured hit
//! ratio, the SE from batch means (the 2*10^6 requests after a warm-up of 10^6 are cut into 40
//! consecutive batches of 5*10^4; a batch is hundreds of times the cache's characteristic time,
//! so batch ratios are nearly independent; Student t with 39 degrees of freedom: 6e-5 two-sided
//! chance of a false failure). Where theory is an approximation, add its error: Che's (LRU) and
//! Martina et al.'s (FIFO, RANDOM) approximations are within 1% of the exact hit ratio for Zipf
//! catalogs of 10^4 keys and caches of 10^2 to 10^3 entries (Fricker, Robert and Roberts, ITC
//! 2012), so `APPROXIMATION` allows 1% of the predicted value. The TTL formula is exact.

use super::eviction::{Limits, Orders, Policy, Store};
use super::theory::{fifo_hit_ratio, lru_hit_ratio, ttl_hit_ratio};
use crate::engine::rng::stream;
use crate::model::support::keys::{KeyPopularity, KeySampler};
use rand_distr::{Distribution as _, Exp};

const KEYS: u64 = 10_000;
const ALPHA: f64 = 0.8;
const WARMUP: u64 = 1_000_000;
const MEASURED: u64 = 2_000_000;
const BATCHES: u64 = 40;
const Z: f64 = 4.5;
/// Relative error allowed for the Che and Martina et al. approximations.
const APPROXIMATION: f64 = 0.01;

fn zipf() -> (KeySampler, Vec<f64>) {
    let sampler = KeySampler::new(&KeyPopularity::Zipf {
        count: KEYS,
        alpha: ALPHA,
    })
    .expect("valid zipf");
    let probs = (0..KEYS).map(|k| sampler.probability(k)).collect();
    (sampler, probs)
}

/// A hit ratio and its batch-means standard error.
struct Estimate {
    value: f64,
    se: f64,
}

/// Hit ratio over equal batches of reads: the mean of the batch ratios, and `s / sqrt(B)`.
fn batch_means(hits: &[u64]) -> Estimate {
    let per_batch = (MEASURED / BATCHES) as f64;
    let ratios: Vec<f64> = hits.iter().map(|&h| h as f64 / per_batch).collect();
    let b = ratios.len() as f64;
    let mean = ratios.iter().sum::<f64>() / b;
    let var = ratios.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (b - 1.0);
    Estimate {
        value: mean,
        se: (var / b).sqrt(),
    }
}

/// Measured hit ratio of a cache-on-miss store of `capacity` entries under IRM.
fn simulate(policy: Policy, capacity: u64, seed: u64) -> Estimate {
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
    let mut hits = vec![0; BATCHES as usize];
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
            hits[((i - WARMUP) * BATCHES / MEASURED) as usize] += 1;
        }
    }
    batch_means(&hits)
}

/// Prints a row of docs/validation.md and checks `|h - theory| <= allowance + Z SE`.
fn check(test: &str, what: &str, h: &Estimate, theory: f64, allowance: f64) {
    let width = allowance + Z * h.se;
    let error = h.value - theory;
    println!(
        "| `{test}` | {what} | {theory:.4} | {:.4} | {error:+.4} | ±{width:.4} | {Z} × SE {:.4} (batch means) + {allowance:.4} approximation |",
        h.value, h.se
    );
    assert!(
        error.abs() <= width,
        "{test}: {what}: simulated {} but theory {theory} (tolerance {width})",
        h.value
    );
}

fn check_policy(test: &str, policy: Policy, capacity: u64, theory: f64) {
    let h = simulate(policy, capacity, 1);
    check(
        test,
        &format!("{} hit ratio, C = {capacity}", policy.name()),
        &h,
        theory,
        APPROXIMATION * theory,
    );
}

#[test]
fn lru_matches_che_approximation() {
    let (_, probs) = zipf();
    for capacity in [100, 1000] {
        check_policy(
            "lru_matches_che_approximation",
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
        check_policy(
            "fifo_matches_martina_approximation",
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
        check_policy(
            "random_matches_fifo_approximation",
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
        println!(
            "| `lfu_approaches_the_top_keys_mass` | lfu hit ratio, C = {capacity} | top-C mass {top:.4} | {:.4} | {:+.4} | in [top − 0.06, top + {:.4}] | upper bound: {Z} × SE {:.4} (batch means) |",
            h.value,
            h.value - top,
            Z * h.se,
            h.se
        );
        assert!(h.value <= top + Z * h.se, "above the IRM optimum");
        assert!(
            h.value >= top - 0.06,
            "LFU {:.5} too far below the top-C mass {top:.5}",
            h.value
        );
        assert!(
            h.value > lru + 0.05,
            "LFU {:.5} should clearly beat LRU {lru:.5} under IRM",
            h.value
        );
    }
}

/// A TTL-only cache (no capacity limit; entries expire `ttl` after the miss that stored them;
/// hits do not refresh) under Poisson requests: the formula is exact, so the tolerance is
/// sampling error only.
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
    let mut now = 0.0;
    let mut hits = vec![0; BATCHES as usize];
    for i in 0..WARMUP + MEASURED {
        now += exp.sample(&mut gaps);
        // Expire from the front of the write order (the value is the insertion time).
        while let Some(slot) = store.oldest_written() {
            if *store.value(slot) + ttl > now {
                break;
            }
            store.remove(slot);
        }
        let key = sampler.sample(&mut rng);
        let hit = store.find(key).is_some();
        if !hit {
            store.insert(key, 1, now);
        }
        if hit && i >= WARMUP {
            hits[((i - WARMUP) * BATCHES / MEASURED) as usize] += 1;
        }
    }
    check(
        "ttl_cache_matches_renewal_formula",
        "TTL 2 s, 1000 req/s, hit ratio",
        &batch_means(&hits),
        theory,
        0.0,
    );
}
