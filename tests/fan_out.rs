//! The fan-out service end to end.
//!
//! - Counts: the sample mean of N over many posts against the law's mean (CLT bound in
//!   `sample_mean_of_n_matches_the_law`), the sub-requests the target receives equal the sum of
//!   N exactly, and a chi-square test of the shape of N over many authors (pareto and a capped
//!   log-normal, whose atom at the cap is one of the bins).
//! - Modes: read fans out feed reads with M from `following`; hybrid reads fan out to the own
//!   feed plus C celebrities; hybrid skips exactly the authors above the threshold (scripted
//!   posts on both sides of it, plus a binomial check on random authors and the identity
//!   against the same run in write mode).
//! - Concurrency: one fan-out of 10,000 with 7 in flight against a 1 ms target takes exactly
//!   ceil(10000 / 7) ms and never has more than 7 in flight.
//! - `min_success`; determinism; validation errors with their locations and help.

mod common;

use common::{component, figure, run_yaml};
use serde_json::Value;

/// Posts from a source over 10^9 uniform authors (so authors practically never repeat and
/// their follower counts are independent draws), to a fan-out whose target answers at once.
fn posts_scenario(posts: u64, fanout: &str) -> String {
    format!(
        "
seed: 5
run: {{requests: {posts}}}
traffic:
  - name: users
    to: feed
    rate: 200/s
    mix: {{post: 1}}
    keys: {{count: 1000000000}}
components:
  - fanout:
      name: feed
      to: inbox
{fanout}
  - server: {{name: inbox, workers: 100000, service_time: 0s}}
"
    )
}

fn pareto() -> sim::model::count::CountLaw {
    sim::model::count::CountLaw::pareto(10, 1000, 1.2).expect("valid law")
}

#[test]
fn sample_mean_of_n_matches_the_law_and_the_target_sees_the_sum() {
    let posts = 4000;
    let result = run_yaml(&posts_scenario(
        posts,
        "      followers: {pareto: {min: 10, max: 1000, alpha: 1.2}}\n      concurrency: 50",
    ));
    let feed = component(&result, "feed");
    let inbox = component(&result, "inbox");
    let fan_outs = figure(feed, &["fan_outs"]);
    assert_eq!(fan_outs, posts as f64, "every post fans out");
    let sub_requests = figure(feed, &["sub_requests"]);
    // Every sub-request reaches the target, and nothing else does.
    assert_eq!(inbox.requests as f64, sub_requests);
    let mean_n = figure(feed, &["mean_n"]);
    assert_eq!((mean_n * fan_outs).round(), sub_requests, "sum of N");
    // CLT: the mean of K independent draws has standard error sigma / sqrt(K); sigma from
    // the law's exact variance (tail sums, see count.rs). 4 standard errors: a false alarm
    // once in 16,000 seeds, and the seed is fixed.
    let law = pareto();
    let se = law.variance().sqrt() / (posts as f64).sqrt();
    println!(
        "| fan-out N, pareto(10, 1000, 1.2), {posts} posts | {mean_n:.2} | {:.2} | 4 SE = {:.2} |",
        law.mean(),
        4.0 * se
    );
    assert!(
        (mean_n - law.mean()).abs() < 4.0 * se,
        "mean N {mean_n} vs {} (4 SE = {})",
        law.mean(),
        4.0 * se
    );
    assert!(figure(feed, &["max_n"]) <= 1000.0);
    assert_eq!(feed.outcomes.succeeded, posts);
}

/// Chi-square statistic of the counts of N over `authors` keys against the law, in bins
/// `[edges[i], edges[i+1])` (the last bin open-ended).
fn chi_square(law: &sim::model::count::CountLaw, draws: &[u64], edges: &[u64]) -> f64 {
    let n = draws.len() as f64;
    let mut stat = 0.0;
    for (i, &low) in edges.iter().enumerate() {
        let high = edges.get(i + 1).copied();
        let p = law.tail(low) - high.map_or(0.0, |h| law.tail(h));
        let observed = draws
            .iter()
            .filter(|&&d| d >= low && high.is_none_or(|h| d < h))
            .count() as f64;
        let expected = n * p;
        assert!(expected >= 5.0, "bin {low}: expected {expected} < 5");
        stat += (observed - expected).powi(2) / expected;
    }
    stat
}

/// N per author through the service's own mapping (hash of the key through the quantile).
fn followers_of(followers_yaml: &str, keys: u64) -> (Vec<u64>, sim::model::count::CountLaw) {
    let yaml = posts_scenario(10, &format!("      followers: {followers_yaml}"));
    let plan = sim::scenario::load_str(&yaml, "test.yaml", "test").expect("loads");
    let config = plan
        .components
        .iter()
        .find_map(|(_, c)| match c {
            sim::scenario::validate::ComponentPlan::Fanout(f) => Some(f.clone()),
            _ => None,
        })
        .expect("a fan-out");
    let law = config.followers.clone();
    let world = sim::model::World::new(
        sim::model::network::Network::new(
            5,
            2,
            sim::model::dist::Distribution::constant(sim::engine::SimDuration::ZERO),
        ),
        sim::model::StatsClock {
            warmup_end: sim::engine::SimTime::ZERO,
            window_ns: 1_000_000_000,
        },
        sim::model::RequestBudget {
            limit: None,
            issued: 0,
            stop_issuing_at: sim::engine::SimTime::NEVER,
        },
        vec![true],
    );
    let service = sim::model::fanout::Fanout::new(config, 5, &world);
    ((0..keys).map(|k| service.followers_of(k)).collect(), law)
}

#[test]
fn the_shape_of_n_passes_a_chi_square_test() {
    // 20,000 authors (keys 0..20000), 10 bins: 9 degrees of freedom, whose 0.999 quantile is
    // 27.88. The hash-derived uniforms are a fixed function of the seed, so this is one fixed
    // draw; a correct mapping passes with probability 0.999.
    let (draws, law) = followers_of("{pareto: {min: 10, max: 1000, alpha: 1.2}}", 20_000);
    let stat = chi_square(&law, &draws, &[10, 11, 12, 14, 17, 21, 28, 40, 70, 150]);
    println!("| fan-out N shape, pareto, 20,000 authors | chi2 {stat:.1} | 9 dof | < 27.88 |");
    assert!(stat < 27.88, "chi-square {stat}");
    // A capped log-normal: the last bin is the atom at the cap, P(N = 5000) = P(X >= 5000).
    let (draws, law) = followers_of("{lognormal: {median: 200, sigma: 1.5, max: 5000}}", 20_000);
    let atom = law.tail(5000);
    assert!(atom > 0.01, "the cap holds {atom} of the mass");
    let stat = chi_square(
        &law,
        &draws,
        &[0, 30, 60, 100, 150, 200, 300, 500, 1000, 5000],
    );
    println!(
        "| fan-out N shape, capped lognormal, 20,000 authors | chi2 {stat:.1} | 9 dof | < 27.88 |"
    );
    assert!(stat < 27.88, "chi-square {stat}");
    assert!(draws.iter().all(|&d| d <= 5000));
    // An author's count is the same at every post.
    let (again, _) = followers_of("{lognormal: {median: 200, sigma: 1.5, max: 5000}}", 100);
    assert_eq!(&draws[..100], &again[..]);
}

#[test]
fn read_mode_fans_out_reads_and_hybrid_reads_pull_celebrities() {
    let reads = |fanout: &str| {
        let yaml =
            posts_scenario(3000, fanout).replace("mix: {post: 1}", "mix: {post: 1, feed: 3}");
        run_yaml(&yaml)
    };
    let result = reads(
        "      mode: read\n      followers: 50\n      following: {pareto: {min: 10, max: 1000, alpha: 1.2}}",
    );
    let feed = component(&result, "feed");
    let inbox = component(&result, "inbox");
    let (read_fan_outs, posts) = (
        figure(feed, &["on_read", "fan_outs"]),
        figure(feed, &["direct_calls"]),
    );
    assert_eq!(read_fan_outs + posts, 3000.0);
    assert_eq!(
        figure(feed, &["on_write", "fan_outs"]),
        0.0,
        "posts do not fan out"
    );
    assert_eq!(
        inbox.requests as f64,
        figure(feed, &["sub_requests"]) + posts,
        "one call per post, M per read"
    );
    // Same CLT bound as above, over the ~2250 reads.
    let law = pareto();
    let se = law.variance().sqrt() / read_fan_outs.sqrt();
    let mean_m = figure(feed, &["on_read", "mean_n"]);
    assert!(
        (mean_m - law.mean()).abs() < 4.0 * se,
        "{mean_m} vs {}",
        law.mean()
    );

    let result = reads(
        "      mode: hybrid\n      followers: 50\n      celebrity_threshold: 100\n      celebrities_followed: 4\n      celebrity_accounts: 10",
    );
    let feed = component(&result, "feed");
    let read_fan_outs = figure(feed, &["on_read", "fan_outs"]);
    assert_eq!(
        figure(feed, &["on_read", "sub_requests"]),
        5.0 * read_fan_outs,
        "own feed plus 4 celebrities"
    );
    assert_eq!(figure(feed, &["on_write", "mean_n"]), 50.0);
}

#[test]
fn hybrid_skips_exactly_the_authors_above_the_threshold() {
    // Scripted posts at the threshold and just above it: the first fans out, the second not.
    let scripted = "
seed: 2
run: {duration: 10s}
traffic:
  - {name: users, to: feed, rate: 1/s, mix: {feed: 1}}
components:
  - fanout:
      name: feed
      to: inbox
      mode: hybrid
      followers: 10
      celebrity_threshold: 1000
      celebrity_posts: [{at: 1s, followers: 1000}, {at: 2s, followers: 1001}, {at: 3s, followers: 2000000}]
  - server: {name: inbox, workers: 1000, service_time: 1ms}
write_types: [post]
";
    let yaml = scripted.replace("mix: {feed: 1}", "mix: {feed: 1, post: 0.000001}");
    let result = run_yaml(&yaml);
    let feed = component(&result, "feed");
    let posts = &feed.figures_json()["celebrity_posts"];
    let fanned: Vec<bool> = (0..3)
        .map(|i| posts[i]["fanned_out"].as_bool().expect("bool"))
        .collect();
    assert_eq!(fanned, [true, false, false]);
    assert_eq!(figure(feed, &["skipped_celebrity_fan_outs"]), 2.0);
    assert_eq!(
        figure(feed, &["celebrity_delivery_s"]),
        0.0,
        "pulled, not pushed"
    );
    assert!(posts[0]["delivered_in_s"].as_f64().expect("delivered") > 0.0);

    // Random authors: the same posts (same seed) in write and hybrid mode. Hybrid fans out
    // exactly the write-mode fan-outs with N <= threshold; the rest are skipped.
    let law_yaml = "      followers: {pareto: {min: 10, max: 1000, alpha: 1.2}}\n      celebrity_threshold: 200";
    let write = run_yaml(&posts_scenario(
        4000,
        &format!(
            "      mode: write\n{}",
            law_yaml.replace("\n      celebrity_threshold: 200", "")
        ),
    ));
    let hybrid = run_yaml(&posts_scenario(
        4000,
        &format!("      mode: hybrid\n{law_yaml}"),
    ));
    let (w, h) = (component(&write, "feed"), component(&hybrid, "feed"));
    let skipped = figure(h, &["skipped_celebrity_fan_outs"]);
    assert_eq!(figure(h, &["fan_outs"]) + skipped, figure(w, &["fan_outs"]));
    assert!(figure(h, &["max_n"]) <= 200.0);
    // Binomial: skipped ~ Bin(4000, p) with p = P(N > 200); 4 standard deviations.
    let p = pareto().tail(201);
    let sd = (4000.0 * p * (1.0 - p)).sqrt();
    assert!(
        (skipped - 4000.0 * p).abs() < 4.0 * sd,
        "skipped {skipped} vs {}",
        4000.0 * p
    );
}

#[test]
fn concurrency_bounds_the_sub_requests_in_flight_and_sets_the_delivery_time() {
    // One celebrity post to 10,000 followers, 7 in flight, a target that takes exactly 1 ms
    // and no network latency: batches of 7 finish together, so delivery takes
    // ceil(10000 / 7) = 1429 ms, with never more than 7 in flight.
    let yaml = "
seed: 1
run: {duration: 5s}
traffic:
  - {name: users, to: feed, rate: 0.001/s, mix: {post: 1}}
components:
  - fanout:
      name: feed
      to: inbox
      followers: 0
      concurrency: 7
      celebrity_posts: [{at: 1s, followers: 10000}]
  - server: {name: inbox, workers: 100, service_time: 1ms}
";
    let result = run_yaml(yaml);
    let feed = component(&result, "feed");
    assert_eq!(figure(feed, &["in_flight_peak"]), 7.0);
    assert_eq!(figure(feed, &["sub_requests"]), 10_000.0);
    let delivered = figure(feed, &["celebrity_delivery_s"]);
    assert!((delivered - 1.429).abs() < 1e-9, "{delivered}");
    assert_eq!(component(&result, "inbox").requests, 10_000);
}

#[test]
fn min_success_decides_the_outcome() {
    // The target fails 10% of calls. With N = 200: P(no failure) = 0.9^200 ~ 7e-10, so with
    // min_success 100% every fan-out fails; P(more than 100 failures) is below 1e-40, so with
    // 50% none does.
    let run = |min: &str| {
        let yaml = posts_scenario(
            300,
            &format!("      followers: 200\n      min_success: {min}"),
        ) + "failures: [{at: 0s, errors: inbox, fraction: 10%}]\n";
        run_yaml(&yaml)
    };
    let strict = run("100%");
    let feed = component(&strict, "feed");
    assert_eq!(figure(feed, &["failed_fan_outs"]), 300.0);
    assert_eq!(feed.outcomes.succeeded, 0);
    let lenient = run("50%");
    let feed = component(&lenient, "feed");
    assert_eq!(figure(feed, &["failed_fan_outs"]), 0.0);
    assert_eq!(feed.outcomes.succeeded, 300);
    let failures = figure(feed, &["sub_request_failures"]);
    // Bin(60000, 0.1): mean 6000, sd 73; 5 sd.
    assert!((failures - 6000.0).abs() < 5.0 * 73.5, "{failures}");
}

#[test]
fn runs_are_deterministic() {
    let yaml = posts_scenario(
        500,
        "      followers: {lognormal: {median: 50, sigma: 1, max: 2000}}",
    );
    let figures = |r: &sim::results::RunResult| {
        let f = component(r, "feed");
        serde_json::to_string(&f.figures_json()).expect("json")
    };
    let a = figures(&run_yaml(&yaml));
    assert_eq!(a, figures(&run_yaml(&yaml)));
    assert_ne!(a, figures(&run_yaml(&yaml.replace("seed: 5", "seed: 6"))));
}

// Validation errors, with their location and help.

const VALID: &str = "run: {duration: 1s}
traffic:
  - {name: users, to: feed, rate: 10/s, mix: {post: 1, feed: 9}}
components:
  - fanout:
      name: feed
      to: feed-cache
      mode: write
      followers: {pareto: {min: 10, max: 5000, alpha: 1.1}}
  - server: {name: feed-cache, service_time: 1ms}
";

fn rejected(from: &str, to: &str) -> Vec<String> {
    assert_eq!(VALID.matches(from).count(), 1, "{from}");
    let yaml = VALID.replace(from, to);
    let Err(e) = sim::scenario::load_str(&yaml, "scenario.yaml", "test") else {
        panic!("accepted:\n{yaml}");
    };
    e.diagnostics
        .iter()
        .map(|d| {
            let at = d
                .loc
                .map_or(String::new(), |l| format!("{}:{}: ", l.line, l.column));
            match &d.help {
                Some(h) => format!("{at}{} (help: {h})", d.message),
                None => format!("{at}{}", d.message),
            }
        })
        .collect()
}

#[test]
fn the_valid_fixture_runs() {
    let result = run_yaml(VALID);
    assert!(component(&result, "feed").requests > 0);
    let _: &Value = &component(&result, "feed").figures_json()["on_write"];
}

#[test]
fn an_unknown_target_suggests_the_right_name() {
    assert_eq!(
        rejected("to: feed-cache", "to: feed-cach"),
        ["7:11: fan-out target 'feed-cach' is not defined (help: did you mean 'feed-cache'?)"]
    );
    assert_eq!(
        rejected("mode: write", "mode: hybird"),
        ["8:13: unknown fan-out mode 'hybird' (help: did you mean 'hybrid'?)"]
    );
}

#[test]
fn bad_count_laws_are_rejected_with_their_location() {
    assert_eq!(
        rejected("min: 10, max: 5000", "min: 100, max: 50"),
        ["9:18: followers: pareto needs min <= max, got min 100 > max 50"]
    );
    assert_eq!(
        rejected("alpha: 1.1", "alpha: -1"),
        ["9:18: followers: pareto needs an exponent alpha in (0, 100], got -1"]
    );
    assert_eq!(
        rejected(
            "{pareto: {min: 10, max: 5000, alpha: 1.1}}",
            "{empirical: {p50: 200, p99: 100, max: 5000}}"
        ),
        ["9:18: followers: empirical counts must be non-decreasing, got 100 after 200 at point 1"]
    );
    assert_eq!(
        rejected("{pareto: {min: 10, max: 5000, alpha: 1.1}}", "many"),
        ["9:18: followers: 'many' is not a count (help: give a whole number (300) or a law: {pareto: {min, max, alpha}}, {lognormal: {median, sigma, max}} or {empirical: {p50: .., max: ..}})"]
    );
    assert_eq!(
        rejected("mode: write", "mode: write\n      users: 1000"),
        ["10:18: followers reach 5000, more than the 1000 users (help: a fan-out's keys are distinct ids: raise 'users' or lower the law's max)"]
    );
    assert_eq!(
        rejected("mode: write", "mode: write\n      celebrity_threshold: 10"),
        ["9:28: 'celebrity_threshold' applies only to mode hybrid (help: set mode: hybrid, or remove it)"]
    );
}

#[test]
fn the_news_feed_study_keeps_its_claims_on_a_full_run() {
    // The study's assertions (scenarios/case-studies/news-feed.yaml) are judged on a full
    // run here, since tests/scenarios.rs runs it shortened (before the celebrity posts).
    // About 4 s of CPU in release.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/case-studies/news-feed.yaml");
    let out = common::sim()
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .arg("check")
        .arg(&path)
        .output()
        .expect("run sim");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
