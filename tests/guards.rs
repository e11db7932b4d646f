//! The guards of issue #24, one by one, through the real binary: the memory budget before a
//! run and during it, --max-wall during the set-up, and the refusals of the same value set
//! twice, a backend listed twice and a seed that would overflow. (A custom YAML tag is in
//! tests/yaml_hazards.rs; the whole hostile corpus in tests/hostile_corpus.rs.)

use std::path::Path;
use std::process::{Command, Output};

fn sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sim"))
}

/// Runs `sim ARGS` in a fresh folder holding `yaml` as `case.yaml`.
fn in_folder(yaml: &str, args: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("case.yaml"), yaml).expect("write scenario");
    let out = sim()
        .args(args)
        .current_dir(dir.path())
        .output()
        .expect("sim runs");
    (out, dir)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn summary(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary written");
    serde_json::from_str(&text).expect("valid JSON")
}

/// `n` open-loop traffic sources sending to one server.
fn sources(n: usize, run: &str) -> String {
    let mut yaml = format!("name: sources\nrun: {run}\ntraffic:\n");
    for i in 0..n {
        yaml.push_str(&format!("  - {{name: s{i}, to: web, rate: 1/s}}\n"));
    }
    yaml.push_str("components:\n  - server: {name: web, workers: 8, service_time: 1ms}\n");
    yaml
}

#[test]
fn a_model_too_big_for_the_memory_budget_is_refused_before_it_is_built() {
    let (out, dir) = in_folder(&sources(20_000, "{duration: 10s}"), &["run", "case.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        stderr(&out),
        "error: case.yaml: the run would need about 6.8 GB of memory, more than run.max_memory (2 GB): 20,000 traffic sources need about 6.8 GB\n\
         help: make that part smaller, or raise run.max_memory (or pass --max-memory) if this machine has the memory\n"
    );
    assert!(
        !dir.path().join("output/sources/summary.json").exists(),
        "nothing is written"
    );
}

#[test]
fn the_budget_is_a_scenario_knob_with_a_command_line_override() {
    let yaml = sources(200, "{duration: 2s, max_memory: 64MB}");
    let (out, _dir) = in_folder(&yaml, &["run", "case.yaml", "-q"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        stderr(&out).contains("more than run.max_memory (64 MB): 200 traffic sources need about"),
        "{}",
        stderr(&out)
    );
    let (out, dir) = in_folder(
        &yaml,
        &[
            "run",
            "case.yaml",
            "-q",
            "--max-memory",
            "256MB",
            "--out",
            "out",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(summary(&dir.path().join("out"))["truncated"], false);
}

#[test]
fn a_budget_below_the_smallest_is_refused_where_it_is_written() {
    let (out, _dir) = in_folder(
        &sources(1, "{duration: 2s, max_memory: 10MB}"),
        &["validate", "case.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(
        text.starts_with(
            "error: case.yaml:2:33: max_memory is 10 MB, below the smallest budget of 32 MB"
        ),
        "{text}"
    );
    let (out, _dir) = in_folder(
        &sources(1, "{duration: 2s, max_memory: lots}"),
        &["validate", "case.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: case.yaml:2:33: max_memory: 'lots' is not a size"),
        "{}",
        stderr(&out)
    );
}

/// A cache with no capacity, sent a new key on nearly every request: it grows without end.
const UNBOUNDED_CACHE: &str = "\
name: unbounded
run: {duration: 10m}
traffic:
  - {name: u, to: web, rate: 200000/s, keys: {count: 1000000000000, popularity: uniform}}
components:
  - server: {name: web, workers: 1000, service_time: 0.1ms, calls: [c]}
  - cache: {name: c, backing: db, hit_time: 0.1ms}
  - server: {name: db, workers: 1000, service_time: 0.1ms}
";

#[test]
fn a_run_that_outgrows_the_budget_stops_with_its_results_marked() {
    let (out, dir) = in_folder(
        UNBOUNDED_CACHE,
        &["run", "case.yaml", "--out", "out", "--max-memory", "64MB"],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let s = summary(&dir.path().join("out"));
    assert_eq!(s["stopped_by"], "max_memory");
    assert_eq!(s["truncated"], true);
    assert!(s["duration_s"].as_f64().expect("duration") < 600.0, "{s}");
    let text = stdout(&out);
    assert!(text.contains("STOPPED EARLY (max_memory)"), "{text}");
    assert!(
        text.contains("the heap grew beyond run.max_memory: something grows without bound"),
        "{text}"
    );
}

/// `n` idle server pools: the analytic twin's what-ifs take about n² steps.
fn idle_servers(n: usize) -> String {
    let mut yaml = String::from(
        "name: idle\nrun: {duration: 10s}\ntraffic:\n  - {name: u, to: s0, rate: 1/s}\ncomponents:\n",
    );
    for i in 0..n {
        yaml.push_str(&format!(
            "  - server: {{name: s{i}, workers: 1, service_time: 1ms}}\n"
        ));
    }
    yaml
}

#[test]
fn max_wall_holds_during_the_set_up() {
    // 2,000 pools take a few seconds to set up (the what-ifs of the analytic twin).
    let (out, dir) = in_folder(
        &idle_servers(2000),
        &["run", "case.yaml", "--out", "out", "--max-wall", "100ms"],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let s = summary(&dir.path().join("out"));
    assert_eq!(s["stopped_by"], "max_wall");
    assert_eq!(s["engine"]["events"], 0);
    assert_eq!(s["duration_s"], 0.0);
    assert!(
        stdout(&out).contains("stopped during the set-up, before the first event"),
        "{}",
        stdout(&out)
    );
}

const SMALL: &str = "\
name: small
run: {duration: 10s}
traffic:
  - {name: users, to: lb, rate: 10/s}
components:
  - load_balancer: {name: lb, backends: [web]}
  - server: {name: web, workers: 2, service_time: 1ms}
";

#[test]
fn one_value_set_twice_by_param_is_refused() {
    let sweep = |params: &[&str]| {
        let mut args = vec!["sweep", "case.yaml", "-q", "--out", "out"];
        for p in params {
            args.extend(["--param", p]);
        }
        in_folder(SMALL, &args)
    };
    let (out, dir) = sweep(&["web.workers=1,2", "web.workers=4"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: --param web.workers is given twice; give all its values in one --param (e.g. web.workers=1,2,4)\n"
    );
    assert!(!dir.path().join("out").exists());
    let (out, _dir) = sweep(&["web.workers=1,2", "components[1].workers=4"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: --param web.workers and --param components[1].workers set the same value of the scenario; give only one of them\n"
    );
    let (out, _dir) = sweep(&["traffic.rate=1/s,2/s", "users.rate=3/s"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let yaml = format!("{SMALL}cost: {{components: {{web: {{per_hour: 0.1}}}}}}\nslo: {{latency: 100ms, target: 99%}}\n");
    let (out, _dir) = in_folder(
        &yaml,
        &[
            "capacity",
            "case.yaml",
            "-q",
            "--out",
            "out",
            "--cheapest",
            "--param",
            "web.workers=1,2",
            "--param",
            "web.workers=3",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--param web.workers is given twice"));
    let (out, _dir) = sweep(&["web.workers=1,2", "lb.algorithm=random,round_robin"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_variant_that_sets_one_value_twice_is_refused() {
    let yaml = format!(
        "{SMALL}variants:\n  more:\n    web.workers: 4\n    components[1].workers: 8\n  less: {{web.workers: 1}}\n"
    );
    let (out, _dir) = in_folder(&yaml, &["compare", "case.yaml", "-q", "--out", "out"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: case.yaml:11:5: variant 'more': 'components[1].workers' sets the same value as 'web.workers'; give it once\n"
    );
}

#[test]
fn a_backend_listed_twice_is_refused_where_it_is_repeated() {
    let yaml = SMALL.replace("backends: [web]", "backends: [web, web, web]");
    let (out, _dir) = in_folder(&yaml, &["validate", "case.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: case.yaml:6:47: backend 'web' is listed twice\n  |\n6 |   - load_balancer: {name: lb, backends: [web, web, web]}\n  |                                               ^\n  \
         = help: first listed at line 6, column 42; each instance of a pool is one backend already: to send it a larger share, give it a weight ({pool: web, weight: 2})\n"
    );
    // In routes too, and by pool name in the long form.
    let yaml = SMALL.replace(
        "backends: [web]",
        "routes: [{types: [request], backends: [web, {pool: web, weight: 2}]}]",
    );
    let (out, _dir) = in_folder(&yaml, &["validate", "case.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("backend 'web' is listed twice"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn seeds_that_would_overflow_are_refused() {
    let (out, dir) = in_folder(
        SMALL,
        &[
            "run",
            "case.yaml",
            "-q",
            "--out",
            "out",
            "--seed",
            "18446744073709551615",
            "--replications",
            "3",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: case.yaml: seed 18446744073709551615 with 3 replications (seeds seed to seed + 2) goes beyond the largest seed, 18446744073709551615; give a seed of at most 18446744073709551613\n"
    );
    assert!(!dir.path().join("out").join("summary.json").exists());
    // The largest seed that fits runs.
    let (out, _dir) = in_folder(
        SMALL,
        &[
            "run",
            "case.yaml",
            "-q",
            "--out",
            "out",
            "--seed",
            "18446744073709551613",
            "--replications",
            "3",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn max_events_speaks_of_events() {
    let (out, _dir) = in_folder(SMALL, &["run", "case.yaml", "--max-events", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with(
            "error: invalid value '0' for '--max-events <MAX_EVENTS>': the event count must be at least 1"
        ),
        "{}",
        stderr(&out)
    );
    let (out, _dir) = in_folder(SMALL, &["run", "case.yaml", "--max-events", "lots"]);
    assert!(
        stderr(&out).contains("'lots' is not an event count"),
        "{}",
        stderr(&out)
    );
}
