//! The workshop course: `sim list`, `sim explain`, `sim course`, and `docs/course.md` kept up
//! to date with the course scenarios (every step run with its own seed and duration, every
//! step's assertions judged).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::sim;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `sim` in the crate's root, without colour.
fn sim_in_root(args: &[&str]) -> Output {
    sim()
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("run sim")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn sim_list_shows_the_course_steps_in_order_then_the_others() {
    let out = sim_in_root(&["list", "tests/fixtures/course"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "\
Course, one step at a time (sim run FILE; sim explain FILE says what it simulates):
    1  tests/fixtures/course/01-one-server.yaml    One server, far from saturation.
   1b  tests/fixtures/course/01b-two-servers.yaml  Two servers behind a round-robin balancer.
    2  tests/fixtures/course/02-bigger.yaml        (no description)

Other scenarios:
       tests/fixtures/course/topic.yaml            A topic scenario.
"
    );
}

#[test]
fn sim_list_of_the_shipped_scenarios_puts_the_course_first() {
    let out = sim_in_root(&["list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let mut files: Vec<String> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    files.sort();
    for f in &files {
        assert!(
            text.contains(&format!("scenarios/{f} ")),
            "{f} missing:\n{text}"
        );
    }
    // Step labels in order: 1, 2, 3, 4, 4b, 5, ...; every line has a description.
    let labels: Vec<(u32, String)> = text
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let label = l.split_whitespace().next().unwrap_or_default();
            let digits: String = label.chars().filter(char::is_ascii_digit).collect();
            (digits.parse().unwrap_or(0), label.to_string())
        })
        .collect();
    assert!(labels.len() >= 13, "{text}");
    assert!(labels.windows(2).all(|w| w[0] < w[1]), "{labels:?}");
    assert_eq!(labels[0].1, "1");
    assert_eq!(labels.last().map(|l| l.1.as_str()), Some("13"));
    assert!(text.contains("\nOther scenarios:\n"), "{text}");
    assert!(!text.contains("(no description)"), "{text}");
    assert!(!text.contains("does not load"), "{text}");
}

#[test]
fn sim_list_names_a_missing_folder() {
    let out = sim_in_root(&["list", "no-such-folder"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: no-such-folder: cannot read the folder: No such file or directory (os error 2)\n\
         help: give the folder of the scenarios: sim list DIR\n"
    );
}

#[test]
fn sim_explain_describes_a_scenario_in_plain_words() {
    let out = sim_in_root(&["explain", "tests/fixtures/explain.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "\
shop (tests/fixtures/explain.yaml)
A shop: a balancer, a web tier with a cache, a replicated database and a job queue; the master crashes at 2 minutes.

Run: 5m of simulated time; the first 30s are a warm-up, left out of the figures; seed 5; 2 replications (seeds 5 to 6).

Traffic:
- shoppers sends to lb: Poisson arrivals in steps: 100/s at 0s, 300/s at 2m; x3 for 20s from 4m; mix browse 80%, buy 20%; keys: 5000, a hotspot: 50% of the requests go to 1% of the keys; 2000 distinct clients; clients give up after 2s; up to 3 attempts, retrying at once.
Requests that write data: buy.

Components (each with what it calls):
- lb: a load balancer (round_robin) over every instance of web; a backend is taken out for 30s after 5 failed replies in a row (passive health checks).
- web: a pool of 3 servers with 8 workers each and an unbounded queue; work per request: uniform between 2ms and 6ms; then it calls db behind the cache-aside cache named cache (a read asks the cache first; a write goes to db and deletes the key from the cache); for buy requests: it calls db, then jobs instead.
- cache: a cache (cache_aside); holds 1000 entries, evicting by lru; entries expire 1m after they were written; a hit takes 0.5ms (constant).
- db: a database: a master and 1 read replica, 8 connections per node, unbounded queues; a read takes 2ms (constant), a write exponential, mean 5ms; writes go to the master and reach the replicas asynchronously after a lag of 10ms (constant); reads go to the replicas (round_robin); if the master crashes, the crash is detected after 10s and a replica promoted 1s later.
- jobs: a non-durable message queue: a producer gets its answer once the message is stored; the messages are processed by workers; it holds at most 1000 messages; a failed message is retried with back-off, and after 5 deliveries goes to the dead-letter queue.
- workers: a server with 2 workers and an unbounded queue; work per request: 50ms (constant).

Network: a message between two components takes no time (instant).

Story, in time order:
- at 0s: shoppers' rate is 100/s.
- at 2m: shoppers' rate is 300/s.
- at 2m: the master of db crashes (until the end): the requests inside it fail, writes fail until a replica is promoted, acknowledged writes not yet replicated are lost.
- at 3m: workers turns slow for 30s: its service times are multiplied by 4.
- at 4m: shoppers' rate is multiplied by 3 for 20s.

Objective (SLO): 99.9% of the requests succeed within 250ms.

Assertions, checked after the run (sim run and sim check exit 1 if one fails):
- p99 < 250ms
- availability >= 99% (on the 95% confidence bound)

Variants, for sim compare (the same traffic and failures for each):
- more-web: web.instances = 4

Output, in output/shop/: summary.json (totals, latency percentiles, per component and per request type, failures, what was lost, downtime), timeseries.csv (the same per time window), report.html (everything on one page), report-data.json, and charts/: latency, throughput, errors, availability, latency-cdf, latency-histogram, cache-hit-ratio, utilisation, queue, component-requests, replication-lag, stale-reads, queue-throughput, backends-lb, topology.
"
    );
}

#[test]
fn sim_explain_refuses_a_scenario_that_does_not_check() {
    let out = sim_in_root(&["explain", "tests/fixtures/several-errors.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: tests/fixtures/several-errors.yaml:"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

/// The chart files a run draws, with parts (`utilisation-1.svg`) under their base name.
fn drawn_bases(charts: &[sim::report::charts::Chart]) -> Vec<String> {
    let mut bases: Vec<String> = charts
        .iter()
        .map(|c| {
            let name = c.file.trim_end_matches(".svg");
            match name.rsplit_once('-') {
                Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                    base.to_string()
                }
                _ => name.to_string(),
            }
        })
        .collect();
    bases.push("topology".to_string());
    bases
}

#[test]
fn explain_names_the_charts_every_shipped_scenario_draws() {
    use rayon::prelude::*;
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.push(root().join("tests/fixtures/explain.yaml"));
    files.sort();
    // Charts whose presence explain predicts; charts of kinds it does not know are ignored.
    let known = [
        "latency",
        "throughput",
        "errors",
        "availability",
        "latency-cdf",
        "latency-histogram",
        "cache-hit-ratio",
        "utilisation",
        "queue",
        "instances",
        "circuit-breakers",
        "component-requests",
        "replication-lag",
        "stale-reads",
        "rate-limiter-admitted",
        "rate-limiter-rejected",
        "queue-throughput",
        "topology",
    ];
    let problems: Vec<String> = files
        .par_iter()
        .filter_map(|path| {
            let plan = sim::scenario::load(path).unwrap_or_else(|e| panic!("{}", e.render()));
            let text = std::fs::read_to_string(path).expect("read");
            let scenario: sim::scenario::raw::Scenario =
                serde_saphyr::from_str(&text).expect("the typed scenario");
            let expected = sim::explain::expected_charts(&scenario, &plan);
            let mut short = plan;
            // 40 s past the warm-up: long enough for every component to see traffic.
            short.duration = Some(short.warmup + sim::engine::SimDuration::from_secs(40));
            let result = sim::run::run(short, None).expect("runs");
            let files = sim::report::data::SavedFiles::of(&result).expect("saved files");
            let data = sim::report::data::ReportData::parse(&files, Path::new("."))
                .expect("report data");
            let drawn = drawn_bases(&sim::report::render::charts(&data).expect("charts"));
            let missing: Vec<&String> = expected.iter().filter(|c| !drawn.contains(c)).collect();
            let unexpected: Vec<&String> = drawn
                .iter()
                .filter(|c| {
                    (known.contains(&c.as_str()) || c.starts_with("backends-"))
                        && !expected.contains(c)
                })
                .collect();
            (!missing.is_empty() || !unexpected.is_empty()).then(|| {
                format!(
                    "{}: explain names {missing:?} that the run does not draw, and leaves out {unexpected:?}",
                    path.display()
                )
            })
        })
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every file under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// The course runs every step at its own seed and duration, every step's assertions pass, and
/// `docs/course.md` is exactly what the generator writes today.
#[test]
fn the_course_runs_its_checks_and_docs_course_md_is_up_to_date() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out_md = dir.path().join("course.md");
    let out = sim_in_root(&[
        "course",
        "scenarios",
        "--out",
        &out_md.display().to_string(),
        "-q",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a course step failed its checks:\n{}",
        stderr(&out)
    );
    let fresh = std::fs::read_to_string(&out_md).expect("the course is written");
    let committed = std::fs::read_to_string(root().join("docs/course.md")).unwrap_or_default();
    if fresh != committed {
        let line = fresh
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| fresh.lines().count().min(committed.lines().count()));
        panic!(
            "docs/course.md is out of date (first difference at line {}):\n  generated: {:?}\n  committed: {:?}\n\
             Regenerate it with `cargo run --release -- course` and commit docs/course.md and docs/course/.",
            line + 1,
            fresh.lines().nth(line).unwrap_or(""),
            committed.lines().nth(line).unwrap_or("")
        );
    }
    assert_eq!(
        files_under(&dir.path().join("course")),
        files_under(&root().join("docs/course")),
        "docs/course/ does not hold exactly the charts of the course: regenerate it with `cargo run --release -- course`"
    );
    // Every step of the scenarios folder is in the document, with its checks.
    for line in stdout(&sim_in_root(&["list"])).lines() {
        if let Some(path) = line.split_whitespace().nth(1).filter(|_| {
            line.starts_with(' ') && line.trim_start().starts_with(|c: char| c.is_ascii_digit())
        }) {
            assert!(
                committed.contains(&format!("sim run {path}\n")),
                "docs/course.md lacks {path}"
            );
        }
    }
}

#[test]
fn sim_course_writes_the_steps_of_a_folder_and_their_charts() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let md = dir.path().join("out/course.md");
    let args = [
        "course",
        "tests/fixtures/course",
        "--out",
        &md.display().to_string(),
    ];
    let out = sim_in_root(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).lines().take(3).collect::<Vec<_>>(),
        [
            "step   1  tests/fixtures/course/01-one-server.yaml: ok (3 assertions)",
            "step  1b  tests/fixtures/course/01b-two-servers.yaml: ok (1 assertions)",
            "step   2  tests/fixtures/course/02-bigger.yaml: ok (0 assertions)",
        ]
    );
    let text = std::fs::read_to_string(&md).expect("written");
    let headings: Vec<&str> = text.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        headings,
        [
            "## Step 1: one server.",
            "## Step 1b: two servers behind a balancer.",
            "## Step 2: a bigger server."
        ]
    );
    assert!(!text.contains("topic.yaml"), "{text}");
    assert!(
        text.contains(
            "**Look at:**\n- the latency chart, &lt;p99&gt; in particular: it stays low [claim: `p99-low`].\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "|  | `availability >= 99.9%` | ok | 100%, 0.1 points (0.1%) within the limit 99.9% |"
        ),
        "{text}"
    );
    assert!(text.contains("![latency](course/01-one-server/latency.svg)"));
    assert_eq!(
        files_under(&dir.path().join("out/course")),
        [
            "01-one-server/latency.svg",
            "01b-two-servers/backends-lb.svg",
            "01b-two-servers/utilisation.svg",
            "02-bigger/utilisation.svg",
            "sim-manifest.json"
        ]
    );
    // Deterministic: a second run writes the same bytes.
    let again = sim_in_root(&args);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&md).expect("written"), text);
}

#[test]
fn sim_course_fails_on_a_failed_claim_or_an_unknown_chart() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let steps = dir.path().join("steps");
    std::fs::create_dir_all(&steps).expect("mkdir");
    let one = std::fs::read_to_string(root().join("tests/fixtures/course/01-one-server.yaml"))
        .expect("fixture");
    // A claim the run contradicts: exit 1, the course is still written, the claim marked.
    std::fs::write(
        steps.join("01-one-server.yaml"),
        one.replace("web.utilization < 0.5", "web.utilization > 0.5"),
    )
    .expect("write");
    let md = dir.path().join("course.md");
    let out = sim()
        .args(["course", &steps.display().to_string(), "--out"])
        .arg(&md)
        .arg("-q")
        .output()
        .expect("run sim");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("01-one-server.yaml: web.utilization > 0.5: "),
        "{}",
        stderr(&out)
    );
    let text = std::fs::read_to_string(&md).expect("written");
    assert!(
        text.contains("|  | `web.utilization > 0.5` | **FAILED** |"),
        "{text}"
    );
    assert!(text.contains("| 2 of 3 |"), "{text}");
    assert!(
        text.contains("| `p99-low` | `p99 < 100ms during [5s, 15s]` | ok |"),
        "{text}"
    );
    // A chart the run does not draw: exit 2, with the charts it does draw.
    std::fs::write(
        steps.join("01-one-server.yaml"),
        one.replace("# Charts: latency", "# Charts: latency, cache-hit-ratio"),
    )
    .expect("write");
    let out = sim()
        .args(["course", &steps.display().to_string(), "--out"])
        .arg(&md)
        .output()
        .expect("run sim");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("01-one-server.yaml: the header's 'Charts:' names 'cache-hit-ratio' that the run does not draw\nhelp: charts drawn: latency, throughput, errors, availability, latency-cdf, latency-histogram, utilisation, queue, component-requests\n"),
        "{err}"
    );
}

/// A step's header may claim only what an assertion checks: a `[claim: ID]` marker whose id no
/// assertion of the step has fails the course (exit 2) before anything runs, naming the file,
/// the place and the closest id.
#[test]
fn sim_course_fails_on_a_header_claim_that_no_assertion_checks() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let steps = dir.path().join("steps");
    std::fs::create_dir_all(&steps).expect("mkdir");
    let one = std::fs::read_to_string(root().join("tests/fixtures/course/01-one-server.yaml"))
        .expect("fixture");
    let course = |text: &str| {
        std::fs::write(steps.join("01-one-server.yaml"), text).expect("write");
        sim()
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .args(["course", "steps", "--out", "course.md", "-q"])
            .output()
            .expect("run sim")
    };
    // A claim with a typo in its id: the closest id is suggested.
    let out = course(&one.replace("[claim: p99-low]", "[claim: p99-lwo]"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "error: steps/01-one-server.yaml:6:66: the header claims 'p99-lwo', but no assertion has that id\n  \
         |\n\
         6 | # - the latency chart, <p99> in particular: it stays low [claim: p99-lwo].\n  \
         |                                                                  ^\n  \
         = help: did you mean 'p99-low'?\n"
    );
    assert!(!dir.path().join("course.md").exists());
    // A second claim in the same marker that nothing checks, and an empty marker.
    let out = course(&one.replace("[claim: p99-low]", "[claim: p99-low, fast] [claim: ]"));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the header claims 'fast', but no assertion has that id")
            && err.contains("help: the step's assertion ids are p99-low; give the one that checks this claim `id: fast`")
            && err.contains("a claim marker names no assertion id"),
        "{err}"
    );
    // Without the marker's assertion the claim is unchecked too.
    let out = course(&one.replace(", id: p99-low", ""));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no assertion of this step has an id"),
        "{}",
        stderr(&out)
    );
}

/// Every claim marker in the shipped course has its assertion (the test above shows a missing
/// one fails `sim course`; this one names every shipped step whose header has no claim at all,
/// which would mean its claims went unmarked).
#[test]
fn every_shipped_course_step_marks_its_claims() {
    let files = sim::course::scenario_files(&root().join("scenarios")).expect("scenarios/");
    let mut problems = Vec::new();
    for f in files.iter().filter(|f| f.step.is_some()) {
        let text = std::fs::read_to_string(&f.path).expect("read");
        let markers = sim::course::claim_markers(&text);
        if markers.is_empty() {
            problems.push(format!("{}: no [claim: ID] marker in the header", f.stem));
        }
        let plan = sim::scenario::load(&f.path).unwrap_or_else(|e| panic!("{}", e.render()));
        let ids: Vec<&str> = plan
            .assertions
            .iter()
            .filter_map(|(a, _)| a.id.as_deref())
            .collect();
        for d in sim::course::unmatched_claims(&text, &ids) {
            problems.push(d.render(&f.path.display().to_string(), &text));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
