//! Validation: the simulator against queueing theory.
//!
//! Every test builds a scenario whose answer is known exactly, runs it through the library with
//! fixed seeds, and compares what the simulator reports with the formula. `docs/validation.md`
//! lists every check with the values observed; reproduce them with
//! `cargo test --release --test queueing_theory -- --nocapture`.
//!
//! # Tolerances
//!
//! A tolerance is `Z` standard errors (SE) of the estimator being checked, never a guess. The SE
//! comes from one of three sources, named on every check:
//!
//! - **theory**: the estimator's asymptotic variance is known exactly, so the tolerance is fixed
//!   before the run. Two results are used:
//!   - M/M/1 customer-average response time: `n Var(mean) -> (1 + rho)^2 / (mu^2 (1 - rho)^4)`
//!     (derived in [`mm1_response_time_variance`]);
//!   - time averages of a function of a birth-death process (utilisation, queue length):
//!     `t Var(average) -> 2 sum_n F_n^2 / (pi_n lambda_n)` (derived in
//!     [`BirthDeath::time_average_variance`]); for the busy servers of any M/G/c station this
//!     equals `lambda E[S^2]`.
//! - **batch means**: one long run; the measured part is cut into [`BATCHES`] consecutive batches
//!   of equal simulated time, from the run's time windows, and the SE is that of the ratio
//!   estimator over the batches. Batches hold 10^4 to 10^5 requests, hundreds of times the
//!   relaxation time of every system here, so batch averages are nearly independent.
//! - **replications**: [`REPLICATIONS`] independent runs (seeds 1, 2, ...), each with its own
//!   warm-up; the SE of their average is `s / sqrt(R)`. Used for percentiles, for which a run
//!   keeps no per-window data precise enough for batch means.
//!
//! `Z` is 4.5 with a theoretical SE (normal tail: 7e-6 two-sided) and with 40 batch means
//! (Student t with 39 degrees of freedom: 6e-5), and 5 with 20 replications (t with 19 degrees of
//! freedom: 8e-5). With about 45 checks (half of them on batch means or replications) the chance
//! that a correct simulator fails one after an unrelated change of its random streams is about
//! 0.2%. Percentiles get in addition the histogram's quantisation, at most 1/1024 of the value
//! (3 significant digits).
//!
//! Warm-ups are at least 20 relaxation times `1 / (mu (1 - sqrt(rho))^2)` (about 90 s at
//! rho = 0.8 and 380 s at rho = 0.9), which leaves an initial bias below `e^-20` of the effect of
//! starting empty: nothing next to the SE.

mod common;

use sim::analytic::queueing::erlang_c;

use common::{component, run_yaml};
use sim::results::RunResult;
use sim::stats::{Outcomes, WindowRow, Windows};

// ---------------------------------------------------------------------------------------------
// Statistical constants
// ---------------------------------------------------------------------------------------------

/// Standard errors allowed with a theoretical SE or 40 batch means (see the module docs).
const Z: f64 = 4.5;
/// Standard errors allowed for an average of [`REPLICATIONS`] runs (t with 19 degrees of freedom).
const Z_REPLICATIONS: f64 = 5.0;
/// Number of batches for batch means.
const BATCHES: usize = 40;
/// Number of independent replications.
const REPLICATIONS: u64 = 20;
/// Largest relative error of a percentile read from a 3-significant-digit HdrHistogram: values
/// are kept in sub-buckets of relative width 2^-10 and reported as the top of their bucket.
const QUANTILE_RESOLUTION: f64 = 1.0 / 1024.0;

// ---------------------------------------------------------------------------------------------
// Running scenarios
// ---------------------------------------------------------------------------------------------

/// Runs a file of benches/scenarios/ shortened to `requests`, with a warm-up added.
fn bench_scenario(file: &str, requests: u64, warmup_secs: u64) -> RunResult {
    let mut plan = common::load_file(&format!("benches/scenarios/{file}"));
    plan.requests = Some(requests);
    plan.warmup = sim::engine::SimDuration::from_secs(warmup_secs);
    sim::run::run(plan, None).expect("run")
}

/// Runs `yaml(seed)` for seeds 1..=REPLICATIONS.
fn replicate(yaml: impl Fn(u64) -> String) -> Vec<RunResult> {
    (1..=REPLICATIONS)
        .map(|seed| run_yaml(&yaml(seed)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Estimators and the check itself
// ---------------------------------------------------------------------------------------------

/// An estimate and its standard error.
#[derive(Clone, Copy, Debug)]
struct Estimate {
    value: f64,
    se: f64,
}

/// How far a simulated figure may be from theory: `z` standard errors of its estimator, plus a
/// deterministic bound (histogram quantisation, for percentiles).
#[derive(Clone, Copy, Debug)]
struct Tolerance {
    se: f64,
    z: f64,
    /// Where the standard error comes from.
    source: &'static str,
    quantisation: f64,
}

/// A standard error known from theory before the run; [`Z`] of them.
fn theory(se: f64) -> Tolerance {
    Tolerance {
        se,
        z: Z,
        source: "theory",
        quantisation: 0.0,
    }
}

/// A standard error from [`BATCHES`] batch means; [`Z`] of them.
fn batch_means(se: f64) -> Tolerance {
    Tolerance {
        se,
        z: Z,
        source: "batch means",
        quantisation: 0.0,
    }
}

/// A standard error from [`REPLICATIONS`] independent replications; [`Z_REPLICATIONS`] of them.
fn replications(se: f64) -> Tolerance {
    Tolerance {
        se,
        z: Z_REPLICATIONS,
        source: "replications",
        quantisation: 0.0,
    }
}

impl Tolerance {
    /// Adds the quantisation of a percentile near `value` (see [`QUANTILE_RESOLUTION`]).
    fn plus_quantisation(self, value: f64) -> Self {
        Tolerance {
            quantisation: value * QUANTILE_RESOLUTION,
            ..self
        }
    }

    fn width(&self) -> f64 {
        self.z * self.se + self.quantisation
    }
}

/// Compares `observed` with `expected`, prints one row of the table in docs/validation.md and
/// asserts that the error is within the tolerance.
fn check(test: &str, what: &str, observed: f64, expected: f64, tolerance: Tolerance) {
    let Tolerance {
        se,
        z,
        source,
        quantisation,
    } = tolerance;
    let width = tolerance.width();
    let error = observed - expected;
    let extra = if quantisation > 0.0 {
        format!(" + {quantisation:.4} quantisation")
    } else {
        String::new()
    };
    println!(
        "| {test} | {what} | {expected:.4} | {observed:.4} | {error:+.4} | ±{width:.4} | {z} × SE {se:.4} ({source}){extra} |"
    );
    assert!(
        error.abs() <= width,
        "{test}: {what} = {observed} but theory says {expected} \
         (error {error:+}, tolerance ±{width} = {z} × SE {se} ({source}){extra})"
    );
}

/// Mean and standard error of independent replications.
fn across(values: impl IntoIterator<Item = f64>) -> Estimate {
    let v: Vec<f64> = values.into_iter().collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Estimate {
        value: mean,
        se: (var / n).sqrt(),
    }
}

/// Ratio estimator `sum y / sum x` over batches, with its batch-means standard error:
/// `SE^2 = sum (y_b - R x_b)^2 / ((B - 1) B xbar^2)` (delta method).
fn ratio_batch_means(batches: &[(f64, f64)]) -> Estimate {
    let b = batches.len() as f64;
    let (sy, sx) = batches
        .iter()
        .fold((0.0, 0.0), |(sy, sx), (y, x)| (sy + y, sx + x));
    let ratio = sy / sx;
    let xbar = sx / b;
    let s2 = batches
        .iter()
        .map(|(y, x)| (y - ratio * x).powi(2))
        .sum::<f64>()
        / (b - 1.0);
    Estimate {
        value: ratio,
        se: (s2 / b).sqrt() / xbar,
    }
}

/// Groups the rows of `windows` that start at or after `from_secs` into [`BATCHES`] batches of
/// consecutive windows and sums `(y, x)` over each.
fn batches<R>(
    windows: &Windows<R>,
    from_secs: f64,
    yx: impl Fn(usize, &R) -> (f64, f64),
) -> Vec<(f64, f64)>
where
    R: sim::stats::Mergeable,
{
    let width = windows.width_ns() as f64 / 1e9;
    let first = (from_secs / width).ceil() as usize;
    let rows = windows.rows();
    let n = rows.len().saturating_sub(first);
    assert!(
        n >= 4 * BATCHES,
        "only {n} windows after the warm-up for {BATCHES} batches"
    );
    let mut out = vec![(0.0, 0.0); BATCHES];
    for (k, row) in rows[first..].iter().enumerate() {
        let (y, x) = yx(first + k, row);
        let b = k * BATCHES / n;
        out[b].0 += y;
        out[b].1 += x;
    }
    out
}

/// Mean latency [s] of the requests that succeeded, by batch means on the end-to-end windows
/// that start at or after `from_secs` (a request counts in the window in which it finishes). The
/// summary's mean counts requests *born* after the warm-up instead; the two differ by a few
/// requests at the edge, so the batch SE serves for the summary's mean.
fn latency_batch_means(windows: &Windows<WindowRow>, from_secs: f64) -> Estimate {
    let b = batches(windows, from_secs, |_, row: &WindowRow| {
        match &row.latency {
            Some(h) => (h.mean_ms() * h.count() as f64 / 1e3, h.count() as f64),
            None => (0.0, 0.0),
        }
    });
    ratio_batch_means(&b)
}

/// Fraction `part / whole` of outcomes, by batch means on the end-to-end windows.
fn fraction_batch_means(
    windows: &Windows<WindowRow>,
    from_secs: f64,
    part: impl Fn(&Outcomes) -> u64,
) -> Estimate {
    let b = batches(windows, from_secs, |_, row: &WindowRow| {
        (part(&row.outcomes) as f64, row.outcomes.total() as f64)
    });
    ratio_batch_means(&b)
}

/// Time average of a level from its per-window integrals [level * s], by batch means; the last
/// window is cut at `end_secs`.
fn level_batch_means(windows: &Windows<f64>, from_secs: f64, end_secs: f64) -> Estimate {
    let width = windows.width_ns() as f64 / 1e9;
    let b = batches(windows, from_secs, |i, area: &f64| {
        let start = i as f64 * width;
        (*area, (end_secs.min(start + width) - start).max(0.0))
    });
    ratio_batch_means(&b)
}

/// Completions per second after `from_secs`, by batch means on the end-to-end windows.
fn throughput_batch_means(windows: &Windows<WindowRow>, from_secs: f64, end_secs: f64) -> Estimate {
    let width = windows.width_ns() as f64 / 1e9;
    let b = batches(windows, from_secs, |i, row: &WindowRow| {
        let start = i as f64 * width;
        (
            row.outcomes.total() as f64,
            (end_secs.min(start + width) - start).max(0.0),
        )
    });
    ratio_batch_means(&b)
}

// ---------------------------------------------------------------------------------------------
// Theory
// ---------------------------------------------------------------------------------------------

/// Asymptotic variance of the M/M/1 customer-average response time (sojourn time):
/// `lim n Var(T_bar_n) = (1 + rho)^2 / (mu^2 (1 - rho)^4)`.
///
/// Derivation. Write `T_n = W_n + S_n` (wait plus own service). The asymptotic variance of the
/// mean wait is Daley's (1968) / Blomqvist's (1967) `rho (2 + 5 rho - 4 rho^2 + rho^3) /
/// (mu^2 (1 - rho)^4)`; services are i.i.d. with variance `1/mu^2`; and a service affects only
/// later waits. With `F(s)` the expected sum of later waits given `S_0 = s`, Stein's identity for
/// S ~ Exp(mu) gives `sum_k Cov(S_0, W_k) = E[(S - 1/mu) F(S)] = E[S F'(S)] / mu`, and `F'(s)` is
/// the expected number of later customers in the same busy period (each waits `ds` longer), that
/// is the arrivals during a busy period started by the work `W_0 + s`: `lambda (E[W] + s) /
/// (1 - rho)`. So the cross term is `rho (2 - rho) / (mu^2 (1 - rho)^2)` and
/// `sigma_T^2 = sigma_W^2 + 1/mu^2 + 2 rho (2 - rho) / (mu^2 (1 - rho)^2)
///            = (1 + rho)^2 / (mu^2 (1 - rho)^4)`.
/// Checks: 1/mu^2 as rho -> 0 (plain service times); 4 / (mu^2 (1 - rho)^4) in heavy traffic,
/// the reflected Brownian motion value. Verified by a separate Lindley-recursion simulation
/// (2 x 10^9 customers, rho = 0.5 and 0.8): 35.9 vs 36.0 and 1993 vs 2025 (+-2%).
fn mm1_response_time_variance(lambda: f64, mu: f64) -> f64 {
    let rho = lambda / mu;
    (1.0 + rho).powi(2) / (mu * mu * (1.0 - rho).powi(4))
}

/// A birth-death process on 0, 1, 2, ...: stationary law and time-average statistics.
struct BirthDeath {
    pi: Vec<f64>,
    birth: Vec<f64>,
}

impl BirthDeath {
    /// `birth(n)` is the rate from n to n + 1, `death(n)` from n to n - 1. The state space ends
    /// where `birth` is 0, or where the stationary probability falls below 1e-40 of the largest
    /// (a truncation far below anything the tests can see).
    fn new(birth: impl Fn(usize) -> f64, death: impl Fn(usize) -> f64) -> Self {
        let mut weights = vec![1.0_f64];
        let mut births = Vec::new();
        let mut largest = 1.0_f64;
        loop {
            let n = weights.len() - 1;
            let b = birth(n);
            if b <= 0.0 || weights[n] < 1e-40 * largest || n > 1_000_000 {
                births.push(0.0);
                break;
            }
            births.push(b);
            let next = weights[n] * b / death(n + 1);
            largest = largest.max(next);
            weights.push(next);
        }
        let total: f64 = weights.iter().sum();
        BirthDeath {
            pi: weights.iter().map(|w| w / total).collect(),
            birth: births,
        }
    }

    /// Stationary mean of `f(N)`.
    fn mean(&self, f: impl Fn(usize) -> f64) -> f64 {
        self.pi.iter().enumerate().map(|(n, p)| p * f(n)).sum()
    }

    /// `lim t Var((1/t) integral_0^t f(N_s) ds) = 2 sum_n F_n^2 / (pi_n lambda_n)`, with
    /// `F_n = sum_{k <= n} pi_k (f(k) - mean)`.
    ///
    /// Derivation: the asymptotic variance is `2 sum_n pi_n h_n g_n`, where `h = f - mean` and
    /// `g` solves the Poisson equation `Q g = -h`. For a birth-death generator, multiplying row n
    /// by `pi_n` and using detailed balance `pi_n lambda_n = pi_{n+1} mu_{n+1}` gives
    /// `pi_n lambda_n (g_{n+1} - g_n) = -F_n`; summing `pi_n h_n g_n` by parts then yields the
    /// formula. `F_n` is computed from the tail (`F_n = -sum_{k > n} pi_k h_k`), which keeps its
    /// relative accuracy where `pi_n` is tiny.
    fn time_average_variance(&self, f: impl Fn(usize) -> f64) -> f64 {
        let mean = self.mean(&f);
        let len = self.pi.len();
        let mut tail = vec![0.0; len + 1];
        for n in (0..len).rev() {
            tail[n] = tail[n + 1] + self.pi[n] * (f(n) - mean);
        }
        (0..len.saturating_sub(1))
            .map(|n| {
                let big_f = -tail[n + 1];
                big_f * big_f / (self.pi[n] * self.birth[n])
            })
            .sum::<f64>()
            * 2.0
    }
}

/// M/M/c (or M/M/c/K with `capacity = Some(K)`, K in the system) as a birth-death process.
fn mmc(lambda: f64, mu: f64, c: usize, capacity: Option<usize>) -> BirthDeath {
    BirthDeath::new(
        |n| {
            if capacity.is_some_and(|k| n >= k) {
                0.0
            } else {
                lambda
            }
        },
        |n| mu * n.min(c) as f64,
    )
}

/// Smallest root in (0, 1) of `sigma = A*(mu (1 - sigma))` for GI/M/1, where `A*` is the
/// Laplace-Stieltjes transform of the interarrival time. `g(sigma) = A*(mu (1 - sigma))` is
/// increasing and convex with `g(0) > 0` and `g(1) = 1`, so the iteration from 0 increases
/// monotonically to that root (when rho < 1 it is below 1).
fn gi_m_1_sigma(laplace: impl Fn(f64) -> f64, mu: f64) -> f64 {
    let mut sigma = 0.0;
    for _ in 0..100_000 {
        let next = laplace(mu * (1.0 - sigma));
        if (next - sigma).abs() < 1e-15 {
            return next;
        }
        sigma = next;
    }
    panic!("GI/M/1 fixed point did not converge");
}

/// `p`-quantile of `X + Y`, X ~ Exp(a) and Y ~ Exp(b) independent (a != b), whose survival
/// function is `(b e^{-a t} - a e^{-b t}) / (b - a)`; solved by bisection.
fn hypoexponential_quantile(a: f64, b: f64, p: f64) -> f64 {
    let survival = |t: f64| (b * (-a * t).exp() - a * (-b * t).exp()) / (b - a);
    let (mut lo, mut hi) = (0.0, 1.0);
    while survival(hi) > 1.0 - p {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if survival(mid) > 1.0 - p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Exact Mean Value Analysis of `users` customers alternating between a think time of mean
/// `think` (a delay station) and one FCFS exponential server of mean `service`:
/// `R(n) = S (1 + Q(n-1))`, `X(n) = n / (Z + R(n))`, `Q(n) = X(n) R(n)`. Returns (X, R).
fn mva(users: u32, think: f64, service: f64) -> (f64, f64) {
    let (mut x, mut r, mut q) = (0.0, 0.0, 0.0);
    for n in 1..=users {
        r = service * (1.0 + q);
        x = f64::from(n) / (think + r);
        q = x * r;
    }
    (x, r)
}

// ---------------------------------------------------------------------------------------------
// Unit tests of the theory helpers against published values and closed forms
// ---------------------------------------------------------------------------------------------

#[test]
fn erlang_c_matches_published_values() {
    // c = 8, a = 7 (rho = 7/8): C = 0.6353 (any Erlang C table), so Wq = C / (c mu - lambda)
    // = 0.6353 s with mu = 1/s.
    assert!(
        (erlang_c(8, 7.0) - 0.6353).abs() < 5e-5,
        "{}",
        erlang_c(8, 7.0)
    );
    // c = 1 reduces to rho; c = 2: C = a^2 / (2 + a), 1/3 for a = 1.
    assert!((erlang_c(1, 0.8) - 0.8).abs() < 1e-12);
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    // Against the direct sum: with t = (a^c / c!) / (1 - rho), C = t / (sum_{k<c} a^k / k! + t).
    let (c, a) = (8u32, 7.0f64);
    let term = |k: u32| a.powi(k as i32) / (1..=k).map(f64::from).product::<f64>();
    let top = term(c) / (1.0 - a / f64::from(c));
    let direct = top / ((0..c).map(term).sum::<f64>() + top);
    assert!((erlang_c(c, a) - direct).abs() < 1e-12);
}

#[test]
fn birth_death_matches_closed_forms() {
    let (lambda, mu) = (0.8, 1.0);
    let rho: f64 = lambda / mu;
    let mm1 = mmc(lambda, mu, 1, None);
    // Means: L = rho / (1 - rho), utilisation rho.
    assert!((mm1.mean(|n| n as f64) - rho / (1.0 - rho)).abs() < 1e-9);
    // Number in system: 2 rho (1 + rho) / (1 - rho)^4 (mu = 1), the classical M/M/1 value.
    let v = mm1.time_average_variance(|n| n as f64);
    let closed = 2.0 * rho * (1.0 + rho) / (1.0 - rho).powi(4);
    assert!((v / closed - 1.0).abs() < 1e-6, "{v} vs {closed}");
    // Busy server, and busy servers of M/M/8: lambda E[S^2] (busy time = work arrived - work
    // left, and the arrived work is compound Poisson).
    let v = mm1.time_average_variance(|n| f64::from(n > 0));
    assert!((v - lambda * 2.0 / (mu * mu)).abs() < 1e-9, "{v}");
    let mm8 = mmc(7.0, 1.0, 8, None);
    let v = mm8.time_average_variance(|n| n.min(8) as f64);
    assert!((v - 7.0 * 2.0).abs() < 1e-6, "{v}");
    // M/M/c waiting line: Lq = C rho / (1 - rho).
    let lq = mm8.mean(|n| n.saturating_sub(8) as f64);
    assert!((lq - erlang_c(8, 7.0) * 7.0).abs() < 1e-9, "{lq}");
}

#[test]
fn gi_m_1_and_hypoexponential_and_mva_are_right() {
    // Poisson arrivals make GI/M/1 an M/M/1: sigma = rho.
    let sigma = gi_m_1_sigma(|s| 0.8 / (0.8 + s), 1.0);
    assert!((sigma - 0.8).abs() < 1e-12, "{sigma}");
    // Hypoexponential: the survival function at the computed quantile is 1 - p.
    let q = hypoexponential_quantile(0.5, 0.2, 0.99);
    let s = (0.2 * (-0.5 * q).exp() - 0.5 * (-0.2 * q).exp()) / (0.2 - 0.5);
    assert!((s - 0.01).abs() < 1e-12);
    // MVA with one user: X = 1 / (Z + S). With N users and Z = 0 the server never idles: X = 1/S.
    let (x, r) = mva(1, 9.0, 1.0);
    assert!((x - 0.1).abs() < 1e-12 && (r - 1.0).abs() < 1e-12);
    let (x, _) = mva(10, 0.0, 1.0);
    assert!((x - 1.0).abs() < 1e-12);
    // MVA agrees with the birth-death (machine repairman) solution.
    let (users, think, service) = (10usize, 9.0, 1.0);
    let repairman = BirthDeath::new(|n| (users - n) as f64 / think, |_| 1.0 / service);
    let x_bd = repairman.mean(|n| f64::from(n > 0)) / service;
    let (x, _) = mva(users as u32, think, service);
    assert!((x - x_bd).abs() < 1e-12, "{x} vs {x_bd}");
}

// ---------------------------------------------------------------------------------------------
// 1. M/M/1
// ---------------------------------------------------------------------------------------------

/// M/M/1 with lambda = 0.8/s, mu = 1/s (rho = 0.8), 20 replications of 200 000 requests after a
/// 2000 s warm-up (22 relaxation times of 90 s).
///
/// Theory: response time T ~ Exp(mu - lambda), so E[T] = 1/(mu - lambda) = 5 s and the
/// p-quantile is -ln(1 - p)/(mu - lambda) (p99 = ln(100) / 0.2 = 23.03 s); utilisation rho;
/// time-average number waiting Lq = rho^2 / (1 - rho) = 3.2.
#[test]
fn mm1() {
    let (lambda, mu) = (0.8, 1.0);
    let runs = replicate(|seed| {
        format!(
            "
seed: {seed}
run: {{requests: 200000, warmup: 2000s}}
traffic:
  - {{name: arrivals, to: server, rate: 0.8/s}}
components:
  - server: {{name: server, workers: 1, service_time: {{exponential: 1s}}}}
"
        )
    });
    let test = "M/M/1 rho=0.8";

    // Mean response time: pooled over every measured request, SE from the exact asymptotic
    // variance (theory), which the spread of the replications agrees with (printed).
    let n: u64 = runs.iter().map(|r| r.end_to_end.outcomes.succeeded).sum();
    let mean = runs
        .iter()
        .map(|r| r.end_to_end.latency.mean / 1e3 * r.end_to_end.outcomes.succeeded as f64)
        .sum::<f64>()
        / n as f64;
    let se = (mm1_response_time_variance(lambda, mu) / n as f64).sqrt();
    let spread = across(runs.iter().map(|r| r.end_to_end.latency.mean / 1e3));
    println!(
        "  ({test}: SE of the mean by theory {se:.4}, by replications {:.4})",
        spread.se
    );
    check(
        test,
        "mean response time [s]",
        mean,
        1.0 / (mu - lambda),
        theory(se),
    );

    // Percentiles: averages over the replications.
    for (name, p, get) in [
        (
            "p50",
            0.5,
            (|r: &RunResult| r.end_to_end.latency.p50) as fn(&RunResult) -> f64,
        ),
        ("p90", 0.9, |r| r.end_to_end.latency.p90),
        ("p99", 0.99, |r| r.end_to_end.latency.p99),
        ("p99.9", 0.999, |r| r.end_to_end.latency.p999),
    ] {
        let e = across(runs.iter().map(|r| get(r) / 1e3));
        let expected = -(1.0_f64 - p).ln() / (mu - lambda);
        check(
            test,
            &format!("{name} response time [s]"),
            e.value,
            expected,
            replications(e.se).plus_quantisation(expected),
        );
    }

    // Utilisation and mean queue length: time averages of the birth-death process, SE exact.
    let chain = mmc(lambda, mu, 1, None);
    let t: f64 = runs.iter().map(|r| r.measured_secs()).sum();
    let weighted = |f: fn(&sim::model::ComponentReport) -> f64| {
        runs.iter()
            .map(|r| f(component(r, "server")) * r.measured_secs())
            .sum::<f64>()
            / t
    };
    let busy = |n: usize| f64::from(n > 0);
    let waiting = |n: usize| n.saturating_sub(1) as f64;
    check(
        test,
        "utilisation",
        weighted(|c| c.utilization.unwrap()),
        lambda / mu,
        theory((chain.time_average_variance(busy) / t).sqrt()),
    );
    let rho: f64 = lambda / mu;
    check(
        test,
        "time-average queue length Lq",
        weighted(|c| c.queue_mean.unwrap()),
        rho * rho / (1.0 - rho),
        theory((chain.time_average_variance(waiting) / t).sqrt()),
    );
}

// ---------------------------------------------------------------------------------------------
// 2. M/M/c (Erlang C)
// ---------------------------------------------------------------------------------------------

/// M/M/8 with lambda = 7/s and mean service 1 s (a = 7, rho = 7/8), 3 x 10^6 requests after a
/// 2000 s warm-up.
///
/// Theory: Erlang C, P(wait) = C(8, 7) = 0.6353, Wq = C / (c mu - lambda) = 0.6353 s, so
/// E[T] = 1.6353 s; utilisation rho = 0.875; Lq = lambda Wq = 4.447.
#[test]
fn mmc_erlang_c() {
    let (lambda, mu, c) = (7.0, 1.0, 8usize);
    let r = run_yaml(
        "
seed: 11
run: {requests: 3000000, warmup: 2000s}
traffic:
  - {name: arrivals, to: server, rate: 7/s}
components:
  - server: {name: server, workers: 8, service_time: {exponential: 1s}}
",
    );
    let test = "M/M/8 rho=0.875";
    let wq = erlang_c(c as u32, lambda / mu) / (c as f64 * mu - lambda);
    let warmup = r.warmup.as_secs_f64();
    let e = latency_batch_means(&r.end_to_end_windows, warmup);
    check(
        test,
        "mean response time [s]",
        r.end_to_end.latency.mean / 1e3,
        wq + 1.0 / mu,
        batch_means(e.se),
    );

    let chain = mmc(lambda, mu, c, None);
    let t = r.measured_secs();
    let s = component(&r, "server");
    check(
        test,
        "utilisation",
        s.utilization.unwrap(),
        lambda / (c as f64 * mu),
        theory((chain.time_average_variance(|n| n.min(c) as f64 / c as f64) / t).sqrt()),
    );
    check(
        test,
        "time-average queue length Lq",
        s.queue_mean.unwrap(),
        lambda * wq,
        theory((chain.time_average_variance(|n| n.saturating_sub(c) as f64) / t).sqrt()),
    );
}

// ---------------------------------------------------------------------------------------------
// 3. M/D/1 (Pollaczek-Khinchine)
// ---------------------------------------------------------------------------------------------

/// M/D/1 with lambda = 0.8/s and a constant service of 1 s, 3 x 10^6 requests after 2000 s.
///
/// Theory (Pollaczek-Khinchine, E[S^2] = 1): Wq = lambda E[S^2] / (2 (1 - rho)) =
/// rho / (2 mu (1 - rho)) = 2 s, E[T] = 3 s (half the M/M/1 wait); Lq = lambda Wq = 1.6;
/// utilisation rho, with asymptotic variance lambda E[S^2] = 0.8 (busy time = work arrived -
/// work left, and the arrived work is compound Poisson).
#[test]
fn md1_pollaczek_khinchine() {
    let (lambda, s) = (0.8, 1.0);
    let rho = lambda * s;
    let r = run_yaml(
        "
seed: 12
run: {requests: 3000000, warmup: 2000s}
traffic:
  - {name: arrivals, to: server, rate: 0.8/s}
components:
  - server: {name: server, workers: 1, service_time: 1s}
",
    );
    let test = "M/D/1 rho=0.8";
    let wq = lambda * s * s / (2.0 * (1.0 - rho));
    let warmup = r.warmup.as_secs_f64();
    let end = r.end.as_secs_f64();
    let e = latency_batch_means(&r.end_to_end_windows, warmup);
    check(
        test,
        "mean response time [s]",
        r.end_to_end.latency.mean / 1e3,
        wq + s,
        batch_means(e.se),
    );
    let server = component(&r, "server");
    let q = level_batch_means(server.queue_windows.as_ref().unwrap(), warmup, end);
    check(
        test,
        "time-average queue length Lq",
        server.queue_mean.unwrap(),
        lambda * wq,
        batch_means(q.se),
    );
    check(
        test,
        "utilisation",
        server.utilization.unwrap(),
        rho,
        theory((lambda * s * s / r.measured_secs()).sqrt()),
    );
}

// ---------------------------------------------------------------------------------------------
// 4. M/M/1/K
// ---------------------------------------------------------------------------------------------

/// M/M/1/K with K = 5 in the system (`workers: 1, queue: 4`), lambda = 0.9/s, mu = 1/s,
/// 2 x 10^6 arrivals after 1000 s.
///
/// Theory: pi_n = (1 - rho) rho^n / (1 - rho^(K+1)); by PASTA the fraction of arrivals rejected
/// is P_K = pi_K = 0.1260. Accepted requests spend W = L / (lambda (1 - P_K)) (Little), and the
/// time-average number waiting is sum (n - 1) pi_n.
#[test]
fn mm1k_blocking() {
    let (lambda, mu, k) = (0.9, 1.0, 5usize);
    let rho: f64 = lambda / mu;
    let r = run_yaml(
        "
seed: 13
run: {requests: 2000000, warmup: 1000s}
traffic:
  - {name: arrivals, to: server, rate: 0.9/s}
components:
  - server: {name: server, workers: 1, queue: 4, service_time: {exponential: 1s}}
",
    );
    let test = "M/M/1/5 rho=0.9";
    let warmup = r.warmup.as_secs_f64();
    let p_k = (1.0 - rho) * rho.powi(k as i32) / (1.0 - rho.powi(k as i32 + 1));
    let o = r.end_to_end.outcomes;
    let e = fraction_batch_means(&r.end_to_end_windows, warmup, |o| o.rejected);
    check(
        test,
        "rejected fraction",
        o.rejected as f64 / o.total() as f64,
        p_k,
        batch_means(e.se),
    );

    let chain = mmc(lambda, mu, 1, Some(k));
    assert!((chain.pi[k] - p_k).abs() < 1e-12);
    let w = chain.mean(|n| n as f64) / (lambda * (1.0 - p_k));
    let e = latency_batch_means(&r.end_to_end_windows, warmup);
    check(
        test,
        "mean response time of accepted [s]",
        r.end_to_end.latency.mean / 1e3,
        w,
        batch_means(e.se),
    );
    let waiting = |n: usize| n.saturating_sub(1) as f64;
    check(
        test,
        "time-average queue length Lq",
        component(&r, "server").queue_mean.unwrap(),
        chain.mean(waiting),
        theory((chain.time_average_variance(waiting) / r.measured_secs()).sqrt()),
    );
}

// ---------------------------------------------------------------------------------------------
// 5. The benchmark scenarios
// ---------------------------------------------------------------------------------------------

/// benches/scenarios/mm1.yaml (lambda = 0.9/s, mu = 1/s) at 4 x 10^6 requests, warm-up
/// 10 000 s (26 relaxation times of 380 s). Theory: Wq = rho / (mu - lambda) = 9 s, E[T] = 10 s;
/// the SE is the exact M/M/1 one, and the batch-means SE is checked against it, which supports
/// using batch means where no exact SE is known.
#[test]
fn bench_mm1() {
    let (lambda, mu) = (0.9, 1.0);
    let r = bench_scenario("mm1.yaml", 4_000_000, 10_000);
    let test = "bench mm1.yaml";
    let n = r.end_to_end.outcomes.succeeded as f64;
    let se = (mm1_response_time_variance(lambda, mu) / n).sqrt();
    let wait = r.end_to_end.latency.mean / 1e3 - 1.0 / mu;
    check(
        test,
        "mean wait [s]",
        wait,
        lambda / (mu * (mu - lambda)),
        theory(se),
    );
    // The batch-means SE from 40 batches has a relative standard deviation of about
    // 1/sqrt(2 * 39) = 11%; [0.5, 1.5] is more than 4 of those either side.
    let batch = latency_batch_means(&r.end_to_end_windows, r.warmup.as_secs_f64());
    println!(
        "  ({test}: SE by theory {se:.4}, by batch means {:.4})",
        batch.se
    );
    assert!(
        (0.5..=1.5).contains(&(batch.se / se)),
        "batch-means SE {} vs exact {se}",
        batch.se
    );
}

/// benches/scenarios/mmc.yaml (M/M/8, lambda = 7/s, mean service 1 s) at 3 x 10^6 requests,
/// warm-up 2000 s. Theory: Wq = C(8, 7) / (8 - 7) = 0.6353 s.
#[test]
fn bench_mmc() {
    let (lambda, mu, c) = (7.0, 1.0, 8u32);
    let r = bench_scenario("mmc.yaml", 3_000_000, 2_000);
    let e = latency_batch_means(&r.end_to_end_windows, r.warmup.as_secs_f64());
    let wq = erlang_c(c, lambda / mu) / (f64::from(c) * mu - lambda);
    check(
        "bench mmc.yaml",
        "mean wait [s]",
        r.end_to_end.latency.mean / 1e3 - 1.0 / mu,
        wq,
        batch_means(e.se),
    );
}

/// benches/scenarios/lb50.yaml: Poisson arrivals at 40/s, round robin over 50 single-worker
/// servers with exponential service of mean 1 s; 3 x 10^6 requests, warm-up 2000 s.
///
/// Theory: round robin sends every 50th arrival to the same server, so each server sees
/// Erlang-50 interarrival times of rate 40/s per phase (mean 1.25 s; rho = 0.8): an E50/M/1
/// queue. For GI/M/1, with sigma the root in (0, 1) of sigma = A*(mu (1 - sigma)) and
/// A*(s) = (40 / (40 + s))^50, an arrival waits with probability sigma and the response time is
/// exponential with rate mu (1 - sigma): Wq = sigma / (mu (1 - sigma)), E[T] = 1 / (mu (1 -
/// sigma)). sigma, the probability of waiting, would be rho = 0.8 for Poisson arrivals and 0 for
/// evenly spaced ones; Erlang-50 arrivals give sigma = 0.6349 and Wq = 1.7386 s, far below the
/// M/M/1 value of 4 s.
#[test]
fn bench_lb50_round_robin() {
    let (rate, k, mu) = (40.0, 50, 1.0);
    let sigma = gi_m_1_sigma(|s| (rate / (rate + s)).powi(k), mu);
    assert!((sigma - 0.6349).abs() < 1e-4, "sigma = {sigma}");
    let r = bench_scenario("lb50.yaml", 3_000_000, 2_000);
    let test = "bench lb50.yaml";
    let e = latency_batch_means(&r.end_to_end_windows, r.warmup.as_secs_f64());
    check(
        test,
        "mean wait [s]",
        r.end_to_end.latency.mean / 1e3 - 1.0 / mu,
        sigma / (mu * (1.0 - sigma)),
        batch_means(e.se),
    );
    let server = component(&r, "server");
    // Busy server-time over all 50 servers = work arrived - work left: asymptotic variance
    // lambda E[S^2] = 80, divided by 50^2 for the mean over the servers.
    check(
        test,
        "utilisation",
        server.utilization.unwrap(),
        rate / 50.0 / mu,
        theory((rate * 2.0 / (mu * mu) / r.measured_secs()).sqrt() / 50.0),
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Stations in series
// ---------------------------------------------------------------------------------------------

/// A Jackson tandem of two M/M/1 stations, lambda = 0.5/s, mu1 = 1/s, mu2 = 1.25/s.
///
/// How it is expressed: a server calls its `calls` in order and holds its worker meanwhile, so
/// "s1 calls s2" would block s1's only worker during s2's sojourn, which is not a tandem. Instead
/// a router with zero service time and ample workers (10^4; it holds about lambda E[T] = 1.7 on
/// average) calls s1 and then s2. s1 and s2 make no calls, so each frees its worker as soon as its
/// own service ends: a request queues at s1, is served, and arrives at s2 at that very instant
/// (no network delay). The router never queues (P(more than 10^4 in flight) is nil), so this is
/// exactly two FIFO single-server stations in series.
///
/// Theory: Burke: s1's departures are Poisson(lambda), so s2 is M/M/1; Reich: a customer's
/// sojourns at the two stations are independent. So T = T1 + T2 with T_i ~ Exp(mu_i - lambda),
/// independent: E[T] = 1/(mu1 - lambda) + 1/(mu2 - lambda) = 2 + 1.333 s, and T is
/// hypoexponential, whose p50 and p99 test the independence (a dependent pair with the same
/// marginals would have another distribution of the sum).
///
/// 20 replications of 100 000 requests after 500 s (relaxation times 12 s and 6 s).
#[test]
fn jackson_tandem() {
    let (lambda, mu1, mu2) = (0.5, 1.0, 1.25);
    let runs = replicate(|seed| {
        format!(
            "
seed: {seed}
run: {{requests: 100000, warmup: 500s}}
traffic:
  - {{name: arrivals, to: router, rate: 0.5/s}}
components:
  - server: {{name: router, workers: 10000, service_time: 0s, calls: [s1, s2]}}
  - server: {{name: s1, workers: 1, service_time: {{exponential: 1s}}}}
  - server: {{name: s2, workers: 1, service_time: {{exponential: 800ms}}}}
"
        )
    });
    let test = "Jackson tandem";
    let (a, b) = (mu1 - lambda, mu2 - lambda);
    let e = across(runs.iter().map(|r| r.end_to_end.latency.mean / 1e3));
    check(
        test,
        "mean response time [s]",
        e.value,
        1.0 / a + 1.0 / b,
        replications(e.se),
    );
    for (name, p, get) in [
        (
            "p50",
            0.5,
            (|r: &RunResult| r.end_to_end.latency.p50) as fn(&RunResult) -> f64,
        ),
        ("p99", 0.99, |r| r.end_to_end.latency.p99),
    ] {
        let e = across(runs.iter().map(|r| get(r) / 1e3));
        let expected = hypoexponential_quantile(a, b, p);
        check(
            test,
            &format!("{name} response time [s]"),
            e.value,
            expected,
            replications(e.se).plus_quantisation(expected),
        );
    }
    // Each station alone is an M/M/1 in steady state: its mean sojourn with the exact SE.
    for (station, mu) in [("s1", mu1), ("s2", mu2)] {
        let n: u64 = runs
            .iter()
            .map(|r| component(r, station).outcomes.succeeded)
            .sum();
        let mean = runs
            .iter()
            .map(|r| {
                let c = component(r, station);
                c.latency.mean / 1e3 * c.outcomes.succeeded as f64
            })
            .sum::<f64>()
            / n as f64;
        let se = (mm1_response_time_variance(lambda, mu) / n as f64).sqrt();
        check(
            test,
            &format!("{station} mean sojourn [s]"),
            mean,
            1.0 / (mu - lambda),
            theory(se),
        );
    }
}

/// The blocking chain: `web` (exponential service of mean 2 s, 10^4 workers) calls `db` (one
/// worker, exponential 1 s) and holds its worker until db replies; lambda = 0.8/s.
///
/// Theory: with ample workers web never queues, so request i reaches db at a_i + S1_i. The points
/// (a_i, S1_i) form a Poisson process on the plane of intensity lambda da dF(s), and the map to
/// (a_i + S1_i, S1_i) preserves that intensity, so db arrivals are Poisson(lambda) (the M/G/inf
/// output theorem) and each request's S1 is independent of every other db arrival time. So db is
/// an M/M/1 (rho = 0.8), and T = S1 + T_db with S1 ~ Exp(1/2) and T_db ~ Exp(mu2 - lambda)
/// independent: E[T] = 2 + 5 = 7 s and T is hypoexponential. That web holds its worker during
/// the call shows in its busy workers: lambda E[T] = 5.6 on average (Little), not lambda E[S1] =
/// 1.6.
///
/// 20 replications of 100 000 requests after 2000 s.
#[test]
fn blocking_chain_with_ample_workers() {
    let (lambda, s1, mu2) = (0.8, 2.0, 1.0);
    let runs = replicate(|seed| {
        format!(
            "
seed: {seed}
run: {{requests: 100000, warmup: 2000s}}
traffic:
  - {{name: arrivals, to: web, rate: 0.8/s}}
components:
  - server: {{name: web, workers: 10000, service_time: {{exponential: 2s}}, calls: [db]}}
  - server: {{name: db, workers: 1, service_time: {{exponential: 1s}}}}
"
        )
    });
    let test = "web (M/M/inf) holding a worker while db (M/M/1) serves";
    let (a, b) = (1.0 / s1, mu2 - lambda);
    let e = across(runs.iter().map(|r| r.end_to_end.latency.mean / 1e3));
    check(
        test,
        "mean response time [s]",
        e.value,
        s1 + 1.0 / b,
        replications(e.se),
    );
    let e = across(runs.iter().map(|r| r.end_to_end.latency.p99 / 1e3));
    let expected = hypoexponential_quantile(a, b, 0.99);
    check(
        test,
        "p99 response time [s]",
        e.value,
        expected,
        replications(e.se).plus_quantisation(expected),
    );

    let n: u64 = runs
        .iter()
        .map(|r| component(r, "db").outcomes.succeeded)
        .sum();
    let mean = runs
        .iter()
        .map(|r| {
            let c = component(r, "db");
            c.latency.mean / 1e3 * c.outcomes.succeeded as f64
        })
        .sum::<f64>()
        / n as f64;
    let se = (mm1_response_time_variance(lambda, mu2) / n as f64).sqrt();
    check(test, "db mean sojourn [s]", mean, 1.0 / b, theory(se));
    let e = across(
        runs.iter()
            .map(|r| component(r, "web").utilization.unwrap() * 10_000.0),
    );
    check(
        test,
        "web busy workers (held during the call)",
        e.value,
        lambda * (s1 + 1.0 / b),
        replications(e.se),
    );
}

/// A connection limit in front of one server: `web` (4 workers, a queue of 3, zero service time)
/// calls `db` (one worker, exponential 1 s, unbounded queue); lambda = 0.9/s; 2 x 10^6 requests
/// after 1000 s.
///
/// Theory: web holds a worker for every request at db, so db never holds more than 4 and web's
/// queue holds the rest, up to 3; a request rejected by web found 4 + 3 = 7 in the system. When db
/// finishes one, the freed web worker takes the head of web's queue at once (zero service) and
/// sends it to db. So the system as a whole is one exponential server that works whenever
/// anything is in the system, FIFO, with room for 7: exactly M/M/1/K with K = 7, whatever the
/// split between the two queues. P_K = (1 - rho) rho^7 / (1 - rho^8) = 0.0840.
#[test]
fn connection_limit_is_mm1k() {
    let (lambda, mu, k) = (0.9, 1.0, 7usize);
    let rho: f64 = lambda / mu;
    let r = run_yaml(
        "
seed: 14
run: {requests: 2000000, warmup: 1000s}
traffic:
  - {name: arrivals, to: web, rate: 0.9/s}
components:
  - server: {name: web, workers: 4, queue: 3, service_time: 0s, calls: [db]}
  - server: {name: db, workers: 1, service_time: {exponential: 1s}}
",
    );
    let test = "4-connection limit + M/M/1 = M/M/1/7";
    let warmup = r.warmup.as_secs_f64();
    let p_k = (1.0 - rho) * rho.powi(k as i32) / (1.0 - rho.powi(k as i32 + 1));
    let o = r.end_to_end.outcomes;
    let e = fraction_batch_means(&r.end_to_end_windows, warmup, |o| o.rejected);
    check(
        test,
        "rejected fraction",
        o.rejected as f64 / o.total() as f64,
        p_k,
        batch_means(e.se),
    );
    let chain = mmc(lambda, mu, 1, Some(k));
    let w = chain.mean(|n| n as f64) / (lambda * (1.0 - p_k));
    let e = latency_batch_means(&r.end_to_end_windows, warmup);
    check(
        test,
        "mean response time of accepted [s]",
        r.end_to_end.latency.mean / 1e3,
        w,
        batch_means(e.se),
    );
    // Requests waiting anywhere = web's queue + db's queue = the M/M/1/7 waiting line.
    let waiting = |n: usize| n.saturating_sub(1) as f64;
    let lq = component(&r, "web").queue_mean.unwrap() + component(&r, "db").queue_mean.unwrap();
    check(
        test,
        "time-average waiting, web + db",
        lq,
        chain.mean(waiting),
        theory((chain.time_average_variance(waiting) / r.measured_secs()).sqrt()),
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Closed loop
// ---------------------------------------------------------------------------------------------

/// N = 10 users with exponential think time Z = 9 s against one exponential server of mean
/// S = 1 s, for 10^6 s after a 2000 s warm-up (the knee: N* = (Z + S) / S = 10).
///
/// Theory: exact MVA (equivalently the machine-repairman birth-death chain, with births
/// (N - n)/Z and deaths 1/S): throughput X = 0.8320/s and response time R = N / X - Z =
/// 3.0187 s. The server's utilisation is X S; its SE is exact from the birth-death chain.
#[test]
fn closed_loop_mva() {
    let (users, think, service) = (10usize, 9.0, 1.0);
    let r = run_yaml(
        "
seed: 15
run: {duration: 1000000s, warmup: 2000s}
traffic:
  - {name: users, to: server, users: 10, think_time: {exponential: 9s}}
components:
  - server: {name: server, workers: 1, service_time: {exponential: 1s}}
",
    );
    let test = "closed loop N=10 Z=9s S=1s";
    let (x, resp) = mva(users as u32, think, service);
    let chain = BirthDeath::new(|n| (users - n) as f64 / think, |_| 1.0 / service);
    let warmup = r.warmup.as_secs_f64();
    let end = r.end.as_secs_f64();
    let t = r.measured_secs();
    let busy = |n: usize| f64::from(n > 0);
    check(
        test,
        "utilisation = X S",
        component(&r, "server").utilization.unwrap(),
        x * service,
        theory((chain.time_average_variance(busy) / t).sqrt()),
    );
    let e = throughput_batch_means(&r.end_to_end_windows, warmup, end);
    check(test, "throughput X [1/s]", e.value, x, batch_means(e.se));
    let e = latency_batch_means(&r.end_to_end_windows, warmup);
    check(
        test,
        "mean response time R [s]",
        r.end_to_end.latency.mean / 1e3,
        resp,
        batch_means(e.se),
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Timeouts
// ---------------------------------------------------------------------------------------------

/// M/M/1 (lambda = 0.8/s, mu = 1/s) whose clients give up after tau = 10 s; 2 x 10^6 requests
/// after 2000 s.
///
/// Theory: a client timeout does not remove the work (the server still serves the request and
/// its late reply is dropped), so the queue is an ordinary M/M/1 and T ~ Exp(a), a = mu - lambda.
/// Timed-out fraction P(T > tau) = e^{-a tau} = e^{-2} = 0.1353; the requests that succeed have
/// the truncated mean E[T | T <= tau] = 1/a - tau e^{-a tau} / (1 - e^{-a tau}) = 3.4348 s; and
/// the server still runs at utilisation rho.
#[test]
fn client_timeout_keeps_the_work() {
    let (lambda, mu, tau) = (0.8, 1.0, 10.0);
    let r = run_yaml(
        "
seed: 16
run: {requests: 2000000, warmup: 2000s}
traffic:
  - {name: arrivals, to: server, rate: 0.8/s, timeout: 10s}
components:
  - server: {name: server, workers: 1, service_time: {exponential: 1s}}
",
    );
    let test = "M/M/1 with a 10 s client timeout";
    let warmup = r.warmup.as_secs_f64();
    let a: f64 = mu - lambda;
    let o = r.end_to_end.outcomes;
    let e = fraction_batch_means(&r.end_to_end_windows, warmup, |o| o.timed_out);
    check(
        test,
        "timed-out fraction",
        o.timed_out as f64 / o.total() as f64,
        (-a * tau).exp(),
        batch_means(e.se),
    );
    let truncated = 1.0 / a - tau * (-a * tau).exp() / (1.0 - (-a * tau).exp());
    let e = latency_batch_means(&r.end_to_end_windows, warmup);
    check(
        test,
        "mean response time of succeeded [s]",
        r.end_to_end.latency.mean / 1e3,
        truncated,
        batch_means(e.se),
    );
    check(
        test,
        "utilisation (work not removed)",
        component(&r, "server").utilization.unwrap(),
        lambda / mu,
        theory((lambda * 2.0 / (mu * mu) / r.measured_secs()).sqrt()),
    );
}

/// M/M/1+D: an overloaded server (lambda = 1.2/s, mu = 1/s) with a server-side timeout of
/// tau = 5 s; 2 x 10^6 requests after 1000 s.
///
/// Model: a request still queued at its deadline leaves the queue; one in service is answered
/// "timed out" but its worker finishes the service. So a request joins the work for good exactly
/// when the work in the system V at its arrival is at most tau, and succeeds when V + S <= tau.
///
/// Theory (level crossing on the stationary workload, a = mu - lambda, here negative, which
/// the formulas allow): P(V = 0) = P0, density f(x) = lambda P0 e^{-a x} for 0 < x <= tau and
/// f(tau) e^{-mu (x - tau)} above tau, so P0 = 1 / (1 + lambda (1 - e^{-a tau}) / a +
/// lambda e^{-a tau} / mu). Then P(success) = P(V + S <= tau) = P0 (1 - e^{-a tau}) mu / a =
/// 0.5896 and the utilisation is P(V > 0) = 1 - P0 = 0.9314: the timeout keeps an overloaded
/// server stable. (Checked against a separate workload-recursion simulation of 5 x 10^7
/// arrivals: 0.58959 and 0.93142.)
#[test]
fn server_timeout_is_mm1_plus_d() {
    let (lambda, mu, tau) = (1.2, 1.0, 5.0);
    let r = run_yaml(
        "
seed: 17
run: {requests: 2000000, warmup: 1000s}
traffic:
  - {name: arrivals, to: server, rate: 1.2/s}
components:
  - server: {name: server, workers: 1, timeout: 5s, service_time: {exponential: 1s}}
",
    );
    let test = "M/M/1+D, lambda=1.2 mu=1 tau=5s";
    let warmup = r.warmup.as_secs_f64();
    let a: f64 = mu - lambda;
    let e_tau = (-a * tau).exp();
    let p0 = 1.0 / (1.0 + lambda * (1.0 - e_tau) / a + lambda * e_tau / mu);
    let o = r.end_to_end.outcomes;
    assert_eq!(o.failed + o.rejected, 0);
    let e = fraction_batch_means(&r.end_to_end_windows, warmup, |o| o.succeeded);
    check(
        test,
        "succeeded fraction",
        o.succeeded as f64 / o.total() as f64,
        p0 * (1.0 - e_tau) * mu / a,
        batch_means(e.se),
    );
    let server = component(&r, "server");
    let (busy, capacity) = server.busy_windows.as_ref().unwrap();
    assert_eq!(*capacity, 1);
    let u = level_batch_means(busy, warmup, r.end.as_secs_f64());
    check(
        test,
        "utilisation",
        server.utilization.unwrap(),
        1.0 - p0,
        batch_means(u.se),
    );
}

// ---------------------------------------------------------------------------------------------
// 9. Spreading load over instances
// ---------------------------------------------------------------------------------------------

/// A load balancer choosing uniformly at random among 4 single-worker instances (mu = 1/s),
/// Poisson arrivals at 3.2/s; 2 x 10^6 requests after 2000 s.
///
/// Theory: independent uniform choices split a Poisson stream into 4 independent Poisson
/// streams of 0.8/s, so the instances are 4 independent M/M/1 queues at rho = 0.8: E[T] = 5 s,
/// with the exact M/M/1 SE for the pooled mean (the variance of a pooled mean of independent
/// queues is sigma^2 / n whatever the split).
#[test]
fn random_balancer_makes_independent_mm1s() {
    let (lambda, mu, n_servers) = (3.2, 1.0, 4.0);
    let r = run_yaml(
        "
seed: 18
run: {requests: 2000000, warmup: 2000s}
traffic:
  - {name: arrivals, to: lb, rate: 3.2/s}
components:
  - load_balancer: {name: lb, algorithm: random, backends: [server], health: {enabled: false}}
  - server: {name: server, instances: 4, workers: 1, service_time: {exponential: 1s}}
",
    );
    let test = "random balancer over 4 M/M/1";
    let per = lambda / n_servers;
    let n = r.end_to_end.outcomes.succeeded as f64;
    check(
        test,
        "mean response time [s]",
        r.end_to_end.latency.mean / 1e3,
        1.0 / (mu - per),
        theory((mm1_response_time_variance(per, mu) / n).sqrt()),
    );
    check(
        test,
        "utilisation",
        component(&r, "server").utilization.unwrap(),
        per / mu,
        theory((lambda * 2.0 / (mu * mu) / r.measured_secs()).sqrt() / n_servers),
    );
}

/// A pool of 2 single-worker instances called directly (no balancer): the pool alternates
/// between its instances, so each sees every other arrival of a Poisson stream of 1.6/s:
/// Erlang-2 interarrival times, an E2/M/1 queue at rho = 0.8. 2 x 10^6 requests after 2000 s.
///
/// Theory (GI/M/1): sigma = A*(mu (1 - sigma)) with A*(s) = (1.6 / (1.6 + s))^2 gives
/// sigma = 0.7399; E[T] = 1 / (mu (1 - sigma)) = 3.844 s, below the M/M/1 value of 5 s
/// because the arrivals at each instance are more regular than Poisson.
#[test]
fn pool_instances_alternate_e2_m_1() {
    let (rate, mu) = (1.6, 1.0);
    let sigma = gi_m_1_sigma(|s| (rate / (rate + s)).powi(2), mu);
    let r = run_yaml(
        "
seed: 19
run: {requests: 2000000, warmup: 2000s}
traffic:
  - {name: arrivals, to: server, rate: 1.6/s}
components:
  - server: {name: server, instances: 2, workers: 1, service_time: {exponential: 1s}}
",
    );
    let test = "pool of 2 instances (E2/M/1)";
    let e = latency_batch_means(&r.end_to_end_windows, r.warmup.as_secs_f64());
    check(
        test,
        "mean response time [s]",
        r.end_to_end.latency.mean / 1e3,
        1.0 / (mu * (1.0 - sigma)),
        batch_means(e.se),
    );
}

// ---------------------------------------------------------------------------------------------
// 10. Network links
// ---------------------------------------------------------------------------------------------

/// M/M/1 (lambda = 0.8/s, mu = 1/s) behind a link of exponential latency with mean d = 100 ms;
/// 2 x 10^6 requests after 2000 s.
///
/// Theory: the link delays the call and, drawn independently, the reply. Delaying each point of
/// a Poisson stream by an i.i.d. amount gives a Poisson stream whose delays are independent of
/// its points (the M/G/inf output theorem, as in the blocking chain), so the server is an M/M/1
/// and T = D1 + T_server + D2 with independent terms: E[T] = 2 d + 1/(mu - lambda) = 5.2 s. The
/// SE adds the delays' variance 2 d^2 to the M/M/1 one. The server itself reports the M/M/1
/// sojourn, 5 s.
#[test]
fn network_link_adds_latency_both_ways() {
    let (lambda, mu, d) = (0.8, 1.0, 0.1);
    let r = run_yaml(
        "
seed: 20
run: {requests: 2000000, warmup: 2000s}
traffic:
  - {name: arrivals, to: server, rate: 0.8/s}
components:
  - server: {name: server, workers: 1, service_time: {exponential: 1s}}
network:
  links:
    - {between: [arrivals, server], latency: {exponential: 100ms}}
",
    );
    let test = "M/M/1 behind an exponential 100 ms link";
    let n = r.end_to_end.outcomes.succeeded as f64;
    let variance = mm1_response_time_variance(lambda, mu) + 2.0 * d * d;
    check(
        test,
        "mean response time [s]",
        r.end_to_end.latency.mean / 1e3,
        2.0 * d + 1.0 / (mu - lambda),
        theory((variance / n).sqrt()),
    );
    let server = component(&r, "server");
    let n = server.outcomes.succeeded as f64;
    check(
        test,
        "server sojourn [s]",
        server.latency.mean / 1e3,
        1.0 / (mu - lambda),
        theory((mm1_response_time_variance(lambda, mu) / n).sqrt()),
    );
}
