//! Hit ratios that theory predicts for caches under the independent reference model (IRM: each
//! request asks for key `k` with a fixed probability `p_k`, independently of the past).
//!
//! - LRU: Che's approximation (Che, Tung and Wang, "Hierarchical Web caching systems: modeling,
//!   design and experimental results", IEEE JSAC 2002). A key stays in the cache for a
//!   "characteristic time" `T` after its last request, where `T` solves
//!   `sum_k (1 - exp(-p_k T)) = C`; key `k` hits with probability `1 - exp(-p_k T)`. Fricker,
//!   Robert and Roberts ("A versatile and accurate approximation for LRU cache performance",
//!   ITC 2012) show it is asymptotically exact as the catalog grows and, for Zipf popularity
//!   with 10^4 keys and caches of 10^2 to 10^3 entries, within a few 10^-3 of the exact hit
//!   ratio.
//! - FIFO and RANDOM: Martina, Garetto and Leonardi ("A unified approach to the performance
//!   analysis of caching systems", INFOCOM 2014). Key `k` is in the cache with probability
//!   `p_k T / (1 + p_k T)`, where `T` solves `sum_k p_k T / (1 + p_k T) = C`; by PASTA that is
//!   also its hit probability. Under IRM FIFO and RANDOM have the same hit ratio (Gelenbe,
//!   "A unified approach to the evaluation of a class of replacement algorithms", IEEE Trans.
//!   Computers 1973). The approximation is of the same (very good) accuracy as Che's for large
//!   catalogs.
//! - LFU: an LFU whose counts survive eviction ("perfect LFU") converges to holding the `C` most
//!   popular keys, so its hit ratio tends to their probability mass. Our LFU keeps counts only
//!   for cached keys ("in-cache LFU"), which is close to it for Zipf popularity once the counts
//!   of the popular keys have grown (see the test and its tolerance).
//! - TTL, no capacity limit, entry stored on a miss and expiring `T` after it was stored (hits
//!   do not refresh it): with Poisson requests at rate `lambda_k` for key `k`, each miss opens a
//!   window of length `T` in which the expected number of hits is `lambda_k T`, so the hit
//!   ratio of key `k` is exactly `lambda_k T / (1 + lambda_k T)` (a renewal-reward argument; see
//!   Fofack, Nain, Neglia and Towsley, "Analysis of TTL-based cache networks", VALUETOOLS 2012).
//!
//! The unit of `T` is whatever the rates are in: with probabilities `p_k` and no rate it is a
//! number of requests.

/// Solves `f(t) = target` for an increasing `f` with `f(0) <= target`, by bisection to a
/// relative precision of 1e-12.
fn solve_increasing(f: impl Fn(f64) -> f64, target: f64) -> f64 {
    let mut lo = 0.0;
    let mut hi = 1.0;
    while f(hi) < target {
        lo = hi;
        hi *= 2.0;
        assert!(hi.is_finite(), "no solution: target {target} out of reach");
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// Keys with a non-zero probability: a cache of at least that many entries holds them all.
fn support(probs: &[f64]) -> usize {
    probs.iter().filter(|&&p| p > 0.0).count()
}

/// Che's characteristic time `T_C` of an LRU cache of `capacity` entries [requests].
/// `capacity` must be below the number of keys with a non-zero probability.
pub fn lru_characteristic_time(probs: &[f64], capacity: f64) -> f64 {
    assert!(
        capacity < support(probs) as f64,
        "the cache holds every key"
    );
    solve_increasing(
        |t| probs.iter().map(|&p| -(-p * t).exp_m1()).sum(),
        capacity,
    )
}

/// Che's approximation of the hit ratio of an LRU cache of `capacity` entries.
pub fn lru_hit_ratio(probs: &[f64], capacity: f64) -> f64 {
    if capacity >= support(probs) as f64 {
        return 1.0;
    }
    let t = lru_characteristic_time(probs, capacity);
    probs.iter().map(|&p| p * -(-p * t).exp_m1()).sum()
}

/// The characteristic time of a FIFO or RANDOM cache of `capacity` entries [requests].
pub fn fifo_characteristic_time(probs: &[f64], capacity: f64) -> f64 {
    assert!(
        capacity < support(probs) as f64,
        "the cache holds every key"
    );
    solve_increasing(
        |t| probs.iter().map(|&p| p * t / (1.0 + p * t)).sum(),
        capacity,
    )
}

/// The hit ratio of a FIFO or RANDOM cache of `capacity` entries (Martina et al. 2014).
pub fn fifo_hit_ratio(probs: &[f64], capacity: f64) -> f64 {
    if capacity >= support(probs) as f64 {
        return 1.0;
    }
    let t = fifo_characteristic_time(probs, capacity);
    probs.iter().map(|&p| p * (p * t / (1.0 + p * t))).sum()
}

/// The hit ratio of an unbounded cache whose entries expire `ttl_secs` after the miss that
/// stored them, under Poisson requests at `rate` [1/s] spread over keys by `probs`. Exact.
pub fn ttl_hit_ratio(probs: &[f64], rate: f64, ttl_secs: f64) -> f64 {
    probs
        .iter()
        .map(|&p| {
            let x = p * rate * ttl_secs;
            p * x / (1.0 + x)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_popularity_has_closed_forms() {
        // Uniform over n keys: every key has the same occupancy C / n, which is its hit
        // probability for LRU, FIFO and RANDOM alike.
        let probs = vec![0.01; 100];
        assert!((lru_hit_ratio(&probs, 30.0) - 0.3).abs() < 1e-9);
        assert!((fifo_hit_ratio(&probs, 30.0) - 0.3).abs() < 1e-9);
        // T_C solves 100 (1 - exp(-0.01 T)) = 30.
        let t = lru_characteristic_time(&probs, 30.0);
        assert!((t - (-100.0 * (0.7f64).ln())).abs() < 1e-6);
        assert_eq!(lru_hit_ratio(&probs, 100.0), 1.0);
    }

    #[test]
    fn ttl_formula_limits() {
        let probs = [0.5, 0.5];
        // lambda_k T = 1 for each key: hit ratio 1/2.
        assert!((ttl_hit_ratio(&probs, 2.0, 1.0) - 0.5).abs() < 1e-12);
        assert_eq!(ttl_hit_ratio(&probs, 2.0, 0.0), 0.0);
    }
}
