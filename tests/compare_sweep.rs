//! `sim compare`, `sim sweep` and `sim merge`: outputs do not depend on the number of threads,
//! shards merged give exactly the unsharded result, bad paths are reported with suggestions,
//! and Ctrl-C stops a sweep with the points so far marked interrupted.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use tempfile::TempDir;

/// A cache in front of a database, with two eviction variants; 15 s of 300 req/s.
const VARIANTS: &str = "
name: cmp
seed: 5
run: {duration: 15s, warmup: 2s}
traffic:
  - name: users
    to: web
    rate: 300/s
    keys: {count: 5000, popularity: zipf, alpha: 0.9}
components:
  - server: {name: web, workers: 32, service_time: 1ms, calls: [cache]}
  - cache: {name: cache, eviction: lru, capacity: 500, backing: db, hit_time: 0.2ms}
  - server: {name: db, workers: 8, service_time: {exponential: 10ms}}
variants:
  lru: {cache.eviction: lru}
  lfu: {cache.eviction: lfu}
";

/// A load balancer over a pool, swept over instances and rate; 10 s per point.
const POOL: &str = "
name: pool
seed: 2
run: {duration: 10s, warmup: 1s}
traffic:
  - {name: users, to: lb, rate: 1000/s}
components:
  - load_balancer: {name: lb, backends: [web]}
  - server: {name: web, instances: 4, workers: 2, service_time: {exponential: 4ms}}
assert:
  - p99 < 50ms
";

const PARAMS: [&str; 4] = [
    "--param",
    "web.instances=3..5",
    "--param",
    "traffic.rate=800/s..1600/s:3",
];

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write the scenario");
    path
}

fn sim(threads: &str) -> Command {
    let mut c = Command::cargo_bin("sim").expect("the sim binary");
    c.env("RAYON_NUM_THREADS", threads);
    c
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn compare_is_identical_with_one_or_two_threads() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(dir.path(), "cmp.yaml", VARIANTS);
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("out{threads}"));
        let result = sim(threads)
            .arg("compare")
            .arg(&file)
            .args(["--replications", "3", "-q", "--out"])
            .arg(&out)
            .output()
            .expect("sim runs");
        assert_eq!(
            result.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        outs.push(out);
    }
    for file in [
        "comparison.json",
        "comparison.csv",
        "comparison.html",
        "charts/latency-cdf.svg",
        "lfu/summary.json",
        "lru/timeseries.csv",
    ] {
        assert!(
            read(&outs[0].join(file)) == read(&outs[1].join(file)),
            "{file} differs"
        );
    }
    let json: serde_json::Value =
        serde_json::from_slice(&read(&outs[0].join("comparison.json"))).expect("JSON");
    assert_eq!(json["baseline"], "lru");
    assert_eq!(json["replications"], 3);
    // Common random numbers: both designs ran the same seeds, and were sent the very same
    // requests.
    assert_eq!(json["designs"][0]["seeds"], json["designs"][1]["seeds"]);
    let started = |design: &str| {
        let s: serde_json::Value =
            serde_json::from_slice(&read(&outs[0].join(design).join("summary.json")))
                .expect("JSON");
        s["engine"]["requests_started"].clone()
    };
    assert_eq!(started("lru"), started("lfu"));
}

#[test]
fn bad_variant_paths_are_located_with_a_suggestion() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(
        dir.path(),
        "bad.yaml",
        &VARIANTS.replace("lfu: {cache.eviction: lfu}", "lfu: {cahce.eviction: lfu}"),
    );
    let result = sim("2")
        .arg("compare")
        .arg(&file)
        .output()
        .expect("sim runs");
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains(&format!(
            "error: {}:16:9: variant 'lfu': 'cahce' in path 'cahce.eviction' is not a component, traffic source or top-level key; did you mean 'cache'?",
            file.display()
        )),
        "{stderr}"
    );
}

#[test]
fn sweep_is_identical_with_one_or_two_threads_and_sharded_and_merged() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(dir.path(), "pool.yaml", POOL);
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("sweep{threads}"));
        let result = sim(threads)
            .arg("sweep")
            .arg(&file)
            .args(PARAMS)
            .args(["--replications", "2", "-q", "--out"])
            .arg(&out)
            .output()
            .expect("sim runs");
        assert_eq!(
            result.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        outs.push(out);
    }
    let files = [
        "sweep.json",
        "sweep.csv",
        "sweep.html",
        "charts/latency_p99_ms.svg",
        "charts/availability-heatmap.svg",
    ];
    for f in files {
        assert!(
            read(&outs[0].join(f)) == read(&outs[1].join(f)),
            "{f} differs"
        );
    }

    // Three shards in three processes at once, then merged.
    let shard_dir = dir.path().join("shards");
    let children: Vec<std::process::Child> = (1..=3)
        .map(|k| {
            Process::new(assert_cmd::cargo::cargo_bin("sim"))
                .arg("sweep")
                .arg(&file)
                .args(PARAMS)
                .args([
                    "--replications",
                    "2",
                    "-q",
                    "--shard",
                    &format!("{k}/3"),
                    "--out",
                ])
                .arg(&shard_dir)
                .env("RAYON_NUM_THREADS", "1")
                .spawn()
                .expect("sim starts")
        })
        .collect();
    for mut child in children {
        assert_eq!(child.wait().expect("sim exits").code(), Some(0));
    }
    let merged = dir.path().join("merged");
    let result = sim("1")
        .arg("merge")
        .arg(&shard_dir)
        .arg("--out")
        .arg(&merged)
        .output()
        .expect("sim runs");
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    for f in files {
        assert!(
            read(&outs[0].join(f)) == read(&merged.join(f)),
            "merged {f} differs"
        );
    }

    // A missing shard is refused, naming the missing points.
    std::fs::remove_file(shard_dir.join("shard-2-of-3.json")).expect("remove a shard");
    let result = sim("1")
        .arg("merge")
        .arg(&shard_dir)
        .arg("--out")
        .arg(dir.path().join("partial"))
        .output()
        .expect("sim runs");
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("3 of 9 points are missing (points 1, 4, 7)"),
        "{stderr}"
    );
}

#[test]
fn ctrl_c_stops_a_sweep_with_the_points_so_far_marked_interrupted() {
    let dir = TempDir::new().expect("a temporary directory");
    // 40 points of 2 simulated hours each: far longer than the test waits.
    let file = write(
        dir.path(),
        "long.yaml",
        &POOL.replace("duration: 10s", "duration: 2h"),
    );
    let out = dir.path().join("out");
    let mut child = Process::new(assert_cmd::cargo::cargo_bin("sim"))
        .arg("sweep")
        .arg(&file)
        .args(["--param", "web.instances=3..42", "-q", "--out"])
        .arg(&out)
        .spawn()
        .expect("sim starts");
    std::thread::sleep(std::time::Duration::from_millis(700));
    let killed = Process::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    assert_eq!(child.wait().expect("sim exits").code(), Some(130));
    let json: serde_json::Value =
        serde_json::from_slice(&read(&out.join("sweep.json"))).expect("JSON");
    assert_eq!(json["interrupted"], true);
    let points = json["points"].as_array().expect("points");
    assert!(points.len() < 40, "{} points", points.len());
    assert!(points.iter().all(|p| p["truncated"] == "interrupted"));
    assert!(out.join("sweep.csv").exists() && out.join("sweep.html").exists());
}

#[test]
fn capacity_of_an_mm1_is_just_below_theory_when_judged_on_the_upper_bound() {
    // M/M/1 with mu = 1000/s at 500/s: mean response time 1/(mu - lambda) < 5 ms holds up to
    // lambda = 800/s, a multiplier of 1.6. Judged on the upper 95% bound over 4 replications,
    // the search must stop below 1.6 (the bound exceeds the true mean with probability 97.5%
    // at each probe), and well above 1.4 (where the mean is 3.3 ms, 20 half-widths away).
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(
        dir.path(),
        "mm1.yaml",
        "
name: capmm1
seed: 3
run: {duration: 30s, warmup: 2s}
traffic:
  - {name: users, to: web, rate: 500/s}
components:
  - server: {name: web, service_time: {exponential: 1ms}}
assert:
  - {that: mean < 5ms, confidence: 95%}
",
    );
    let out = dir.path().join("cap");
    let result = sim("2")
        .arg("capacity")
        .arg(&file)
        .args(["--replications", "4", "-q", "--out"])
        .arg(&out)
        .output()
        .expect("sim runs");
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&read(&out.join("capacity.json"))).expect("JSON");
    let lo = json["capacity_multiplier"].as_f64().expect("a capacity");
    let hi = json["first_failing_multiplier"]
        .as_f64()
        .expect("a failing multiplier");
    assert!(
        1.4 < lo && lo < 1.6 && hi > lo && (hi - lo) / lo <= 0.01,
        "{lo} .. {hi}"
    );
}

#[test]
fn sharded_replications_merge_into_the_unsharded_run() {
    let dir = TempDir::new().expect("a temporary directory");
    let file = write(dir.path(), "pool.yaml", POOL);
    let single = dir.path().join("single");
    let result = sim("2")
        .arg("run")
        .arg(&file)
        .args(["--replications", "5", "-q", "--out"])
        .arg(&single)
        .output()
        .expect("sim runs");
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    // Two shards in two processes at once, each into its own directory, then merged.
    let children: Vec<(std::process::Child, PathBuf)> = (1..=2)
        .map(|k| {
            let out = dir.path().join(format!("shard{k}"));
            let child = Process::new(assert_cmd::cargo::cargo_bin("sim"))
                .arg("run")
                .arg(&file)
                .args([
                    "--replications",
                    "5",
                    "-q",
                    "--shard",
                    &format!("{k}/2"),
                    "--out",
                ])
                .arg(&out)
                .env("RAYON_NUM_THREADS", "1")
                .spawn()
                .expect("sim starts");
            (child, out)
        })
        .collect();
    let mut dirs = Vec::new();
    for (mut child, out) in children {
        assert_eq!(child.wait().expect("sim exits").code(), Some(0));
        dirs.push(out);
    }
    let merged = dir.path().join("merged");
    let result = sim("1")
        .arg("merge")
        .args(&dirs)
        .arg("--out")
        .arg(&merged)
        .output()
        .expect("sim runs");
    assert_eq!(
        result.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    for f in [
        "summary.json",
        "timeseries.csv",
        "report-data.json",
        "report.html",
        "charts/latency.svg",
    ] {
        assert!(
            read(&single.join(f)) == read(&merged.join(f)),
            "merged {f} differs"
        );
    }
    let result = sim("1")
        .arg("merge")
        .arg(&dirs[1])
        .arg("--out")
        .arg(dir.path().join("partial"))
        .output()
        .expect("sim runs");
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("replications 0, 2, 4 are missing"),
        "{stderr}"
    );
}
