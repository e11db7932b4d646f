//! Closed-form queueing results the analytic twin uses. Rates in [1/s], times in [s].
//!
//! Each formula is checked here against a textbook value and, through the simulator, in
//! `tests/queueing_theory.rs`.

/// Erlang C: the probability that an arrival waits in an M/M/c queue with offered load
/// `a = lambda / mu` (in Erlangs) and `c` servers. Requires `a < c`.
///
/// Computed from the Erlang B recursion `B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1))`, which is
/// stable for any `c` (no factorials), then `C = c B / (c - a (1 - B))`.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let b = erlang_b(c, a);
    let c = f64::from(c);
    c * b / (c - a * (1.0 - b))
}

/// Erlang B: the probability that an arrival finds all `c` servers busy in an M/M/c/c system
/// (no waiting room) with offered load `a`.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
        // The recursion only shrinks once k > a; once b underflows it stays 0, so a pool with
        // millions of workers and a small load costs a few hundred steps, not millions.
        if b == 0.0 {
            break;
        }
    }
    b
}

/// Mean wait in queue of an M/G/c queue, by the Allen-Cunneen approximation: the M/M/c wait
/// scaled by `(1 + scv) / 2`, where `scv` is the squared coefficient of variation of the
/// service time. Exact for M/M/c (`scv = 1`) and for M/G/1 (Pollaczek-Khinchine).
/// `None` when the queue is unstable (`lambda * service >= c`).
pub fn mgc_wait(lambda: f64, service: f64, scv: f64, c: u32) -> Option<f64> {
    let a = lambda * service;
    if a >= f64::from(c) || !a.is_finite() {
        return None;
    }
    if a == 0.0 {
        return Some(0.0);
    }
    let wait_mmc = erlang_c(c, a) * service / (f64::from(c) - a);
    Some(wait_mmc * (1.0 + scv) / 2.0)
}

/// Mean wait in queue of a GI/G/c queue by Allen-Cunneen: the M/M/c wait scaled by
/// `(ca2 + cs2) / 2`, with `ca2` and `cs2` the squared coefficients of variation of the
/// interarrival and service times.
pub fn ggc_wait(lambda: f64, service: f64, ca2: f64, cs2: f64, c: u32) -> Option<f64> {
    mgc_wait(lambda, service, 1.0, c).map(|w| w * (ca2 + cs2) / 2.0)
}

/// Exact mean wait of an E_k/M/1 queue (Erlang-k interarrival times of rate `lambda`,
/// exponential service of mean `service`): the GI/M/1 result `Wq = sigma / (mu (1 - sigma))`,
/// where `sigma` solves `sigma = A*(mu (1 - sigma))` and `A*(s) = (k lambda / (k lambda + s))^k`
/// is the interarrival time's Laplace transform. Solved by fixed-point iteration, which
/// converges monotonically from 0 for a stable queue.
pub fn erlang_m1_wait(k: u32, lambda: f64, service: f64) -> Option<f64> {
    let mu = 1.0 / service;
    if lambda >= mu || k == 0 {
        return None;
    }
    let rate = f64::from(k) * lambda;
    let mut sigma = 0.0_f64;
    for _ in 0..100_000 {
        let next = (rate / (rate + mu * (1.0 - sigma))).powi(k as i32);
        if (next - sigma).abs() < 1e-15 {
            sigma = next;
            break;
        }
        sigma = next;
    }
    Some(sigma / (mu * (1.0 - sigma)))
}

/// M/M/c/K: `c` servers and room for `k` requests in all (in service or waiting). Returns the
/// blocking probability and the mean time in the system of admitted requests.
pub fn mmck(lambda: f64, service: f64, c: u32, k: u32) -> (f64, f64) {
    // Unnormalised state probabilities p_n, n = 0..=k, built by ratios to stay finite.
    let a = lambda * service;
    let mut p = Vec::with_capacity(k as usize + 1);
    let mut term = 1.0_f64;
    p.push(term);
    for n in 1..=k {
        term *= a / f64::from(n.min(c));
        p.push(term);
    }
    let total: f64 = p.iter().sum();
    let blocking = p[k as usize] / total;
    let in_system: f64 = p
        .iter()
        .enumerate()
        .map(|(n, q)| n as f64 * q / total)
        .sum();
    let admitted = lambda * (1.0 - blocking);
    let time = if admitted > 0.0 {
        in_system / admitted
    } else {
        service
    };
    (blocking, time)
}

/// Fraction of time at least `k` of `n` independent instances are up, each up a fraction `a`
/// of the time (binomial steady state of alternating renewal processes).
pub fn at_least_k_up(n: u32, k: u32, a: f64) -> f64 {
    (k..=n)
        .map(|i| binomial(n, i) * a.powi(i as i32) * (1.0 - a).powi((n - i) as i32))
        .sum()
}

fn binomial(n: u32, k: u32) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * f64::from(n - i) / f64::from(i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-12)
    }

    #[test]
    fn erlang_c_matches_tables() {
        // Classic call-centre example: 10 agents, 8 Erlangs -> P(wait) = 0.4092.
        assert!(close(erlang_c(10, 8.0), 0.4092, 1e-3));
        // One server: P(wait) = rho.
        assert!(close(erlang_c(1, 0.9), 0.9, 1e-12));
    }

    #[test]
    fn erlang_b_matches_tables() {
        // 5 servers, 3 Erlangs -> blocking 0.1101.
        assert!(close(erlang_b(5, 3.0), 0.1101, 1e-3));
        // Far more servers than load: nobody is ever blocked or waits.
        assert_eq!(erlang_b(10_000_000, 100.0), 0.0);
        assert_eq!(erlang_c(10_000_000, 100.0), 0.0);
    }

    #[test]
    fn mm1_and_md1_waits() {
        // M/M/1, rho 0.9, mean service 1 s: Wq = rho / (mu - lambda) = 9 s.
        assert!(close(mgc_wait(0.9, 1.0, 1.0, 1).unwrap(), 9.0, 1e-12));
        // M/D/1: half of that.
        assert!(close(mgc_wait(0.9, 1.0, 0.0, 1).unwrap(), 4.5, 1e-12));
        assert_eq!(mgc_wait(1.0, 1.0, 1.0, 1), None);
    }

    #[test]
    fn erlang_arrivals_into_one_server() {
        // E1/M/1 is M/M/1.
        assert!(close(erlang_m1_wait(1, 0.9, 1.0).unwrap(), 9.0, 1e-9));
        // Round robin over 50 M/M/1 servers at rho 0.8: per-server arrivals are Erlang-50.
        // Mean wait 1.7386 s (docs/validation.md, lb50).
        assert!(close(erlang_m1_wait(50, 0.8, 1.0).unwrap(), 1.7386, 1e-3));
    }

    #[test]
    fn mm1k_blocking() {
        // M/M/1/K: P_K = (1 - rho) rho^K / (1 - rho^(K+1)).
        let (rho, k) = (0.8_f64, 5);
        let expected = (1.0 - rho) * rho.powi(k) / (1.0 - rho.powi(k + 1));
        let (blocking, _) = mmck(0.8, 1.0, 1, k as u32);
        assert!(close(blocking, expected, 1e-12));
    }

    #[test]
    fn availability_of_a_pool() {
        assert!(close(
            at_least_k_up(3, 1, 0.9),
            1.0 - 0.1_f64.powi(3),
            1e-12
        ));
        assert!(close(at_least_k_up(2, 2, 0.9), 0.81, 1e-12));
    }
}
