//! sim never harms (README, "Where the results go, and what sim will not touch"): it deletes and
//! replaces only what it wrote, a name from a file never becomes a path as written, an output
//! folder holds one whole set whenever the process is killed, single-file outputs write into
//! FIFOs as they are, files follow the umask, SIGTERM stops a run like Ctrl-C, and a failure
//! to write standard output is reported.

#![cfg(unix)]

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{sim, SCENARIO};
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `sim` run in `dir`, without colour.
fn sim_in(dir: &Path) -> Command {
    let mut c = sim();
    c.current_dir(dir).env("NO_COLOR", "1");
    c
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("a folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("under dir");
                out.insert(rel.to_string_lossy().into_owned());
            }
        }
    }
    out
}

/// A folder with a file of the user's in it.
fn users_folder(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
    std::fs::write(dir.join("todo.txt"), "buy milk").expect("write");
    std::fs::write(dir.join("sub/plan.md"), "# plan").expect("write");
    dir
}

fn assert_untouched(dir: &Path) {
    assert_eq!(
        files_under(dir),
        BTreeSet::from(["todo.txt".to_string(), "sub/plan.md".to_string()])
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("todo.txt")).expect("kept"),
        "buy milk"
    );
}

/// Writes the small test scenario (with an assertion, for `sim capacity`) into `dir`, named
/// `name` unless `name` is empty.
fn scenario_in(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join("scenario.yaml");
    let mut text = if name.is_empty() {
        SCENARIO.to_string()
    } else {
        SCENARIO.replace("name: report-test", &format!("name: {name}"))
    };
    text.push_str("assert:\n  - availability >= 50%\n");
    std::fs::write(&path, text).expect("write the scenario");
    path
}

/// Checks that `dir` holds exactly the files its `sim-manifest.json` lists, with their
/// checksums: one complete set. Returns the summary's seed, which tells the sets apart.
fn assert_one_complete_set(dir: &Path) -> u64 {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("sim-manifest.json")).expect("a manifest"))
            .expect("manifest JSON");
    let listed = manifest["files"].as_object().expect("files");
    let mut expected: BTreeSet<String> = listed.keys().cloned().collect();
    expected.insert("sim-manifest.json".to_string());
    assert_eq!(files_under(dir), expected, "files of {}", dir.display());
    for (name, entry) in listed {
        let bytes = std::fs::read(dir.join(name)).expect("a listed file");
        let sum: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(entry["sha256"].as_str(), Some(sum.as_str()), "{name}");
        assert_eq!(entry["bytes"].as_u64(), Some(bytes.len() as u64), "{name}");
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).expect("summary"))
            .expect("summary JSON");
    summary["seed"].as_u64().expect("a seed")
}

#[test]
fn sim_course_out_dot_deletes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let work = users_folder(dir.path(), "work");
    let course = root().join("tests/fixtures/course");
    let out = sim_in(&work)
        .arg("course")
        .arg(&course)
        .args(["--out", "."])
        .output()
        .expect("run sim");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "error: --out .: the course is written as Markdown, beside a folder of its charts named like it\n\
         help: give a file name ending in .md, e.g. --out docs/course.md\n"
    );
    assert_untouched(&work);

    // `--out notes.md` beside a folder `notes/` of the user's: the charts would go there.
    let notes = users_folder(dir.path(), "notes");
    let out = sim_in(dir.path())
        .arg("course")
        .arg(&course)
        .args(["--out", "notes.md"])
        .output()
        .expect("run sim");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("error: notes exists and was not written by sim"),
        "{}",
        stderr(&out)
    );
    assert_untouched(&notes);
    assert!(!dir.path().join("notes.md").exists());
}

#[test]
fn every_command_refuses_a_folder_it_did_not_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = scenario_in(dir.path(), "");
    let mine = users_folder(dir.path(), "mine");
    let file = scenario.display().to_string();
    let commands: [&[&str]; 4] = [
        &["run", &file],
        &["compare", &file, &file],
        &["sweep", &file, "--param", "web.instances=2,3"],
        &["capacity", &file],
    ];
    for args in commands {
        let out = sim_in(dir.path())
            .args(args)
            .args(["--out", "mine"])
            .output()
            .expect("run sim");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with("error: mine exists and was not written by sim"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_untouched(&mine);
    }
    // `sim check --out DIR` writes each scenario into a folder of its own inside DIR, beside
    // what is there; over a folder of the user's of that name it is refused too.
    let out = sim_in(dir.path())
        .args(["check", &file, "--out", "mine"])
        .output()
        .expect("run sim");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(mine.join("report-test/summary.json").is_file());
    std::fs::remove_dir_all(mine.join("report-test")).expect("tidy");
    assert_untouched(&mine);
    users_folder(&mine, "report-test");
    let out = sim_in(dir.path())
        .args(["check", &file, "--out", "mine"])
        .output()
        .expect("run sim");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_untouched(&mine.join("report-test"));
    // The current folder, and a folder that contains it.
    for out_arg in [".", "..", "./", "../work"] {
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).expect("mkdir");
        let out = sim_in(&work)
            .arg("run")
            .arg(&scenario)
            .args(["--out", out_arg])
            .output()
            .expect("run sim");
        assert_eq!(
            out.status.code(),
            Some(2),
            "--out {out_arg}: {}",
            stderr(&out)
        );
    }
    // A file.
    let out = sim_in(dir.path())
        .arg("run")
        .arg(&scenario)
        .args(["--out", "scenario.yaml"])
        .output()
        .expect("run sim");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: --out scenario.yaml exists and is not a folder\n\
         help: give a folder for the results (sim creates it), e.g. --out results\n"
    );
}

#[test]
fn names_from_a_file_never_climb_out_of_the_output_folder() {
    for (name, folder) in [
        ("../../x", "_.._.._x"),
        ("/tmp/escaped-by-sim", "_tmp_escaped-by-sim"),
        ("a\\\\b", "a__b"),
        ("..", "_.."),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let work = dir.path().join("a/b/work");
        std::fs::create_dir_all(&work).expect("mkdir");
        let scenario = scenario_in(&work, &format!("'{name}'"));
        let out = sim_in(&work)
            .arg("run")
            .arg(&scenario)
            .arg("-q")
            .output()
            .expect("run sim");
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        assert!(
            work.join("output")
                .join(folder)
                .join("summary.json")
                .is_file(),
            "{name}"
        );
        // Nothing was written anywhere else.
        let mut everything = files_under(dir.path());
        everything.retain(|f| !f.starts_with("a/b/work/output/") && f != "a/b/work/scenario.yaml");
        assert!(everything.is_empty(), "{name}: {everything:?}");

        // `sim check --out DIR` maps the name the same way, inside DIR.
        let out = sim_in(&work)
            .arg("check")
            .arg(&scenario)
            .args(["--out", "checked"])
            .output()
            .expect("run sim");
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        assert!(
            work.join("checked")
                .join(folder)
                .join("summary.json")
                .is_file(),
            "{name}"
        );
    }
    assert!(!Path::new("/tmp/escaped-by-sim").exists());
}

#[test]
fn junit_writes_into_a_fifo_and_a_device_as_they_are() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = scenario_in(dir.path(), "");
    let fifo = dir.path().join("junit.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::fs::File::open(&fifo)
                .expect("open the FIFO")
                .read_to_string(&mut text)
                .expect("read the FIFO");
            text
        })
    };
    let out = sim_in(dir.path())
        .arg("run")
        .arg(&scenario)
        .args(["-q", "--out", "out", "--junit"])
        .arg(&fifo)
        .output()
        .expect("run sim");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let xml = reader.join().expect("the reader");
    assert!(xml.starts_with("<?xml"), "{xml}");
    let kind = std::fs::symlink_metadata(&fifo)
        .expect("still there")
        .file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced");

    let out = sim_in(dir.path())
        .arg("run")
        .arg(&scenario)
        .args(["-q", "--out", "out", "--junit", "/dev/stdout"])
        .output()
        .expect("run sim");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("<?xml"));

    // A folder is not a file.
    let out = sim_in(dir.path())
        .arg("run")
        .arg(&scenario)
        .args(["-q", "--out", "out", "--junit", "out"])
        .output()
        .expect("run sim");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("error: out is a folder; sim writes a file there"));
}

#[test]
fn outputs_follow_the_umask() {
    for (umask, file_mode, dir_mode) in [("022", 0o644, 0o755), ("077", 0o600, 0o700)] {
        let dir = tempfile::tempdir().expect("temp dir");
        let scenario = scenario_in(dir.path(), "");
        let status = Command::new("sh")
            .current_dir(dir.path())
            .args(["-c", &format!("umask {umask}; exec \"$0\" \"$@\"")])
            .arg(env!("CARGO_BIN_EXE_sim"))
            .arg("run")
            .arg(&scenario)
            .args(["-q", "--out", "out", "--junit", "junit.xml"])
            .status()
            .expect("run sim");
        assert!(status.success());
        let mode = |p: &str| {
            std::fs::metadata(dir.path().join(p))
                .expect("written")
                .permissions()
                .mode()
                & 0o777
        };
        for file in ["out/summary.json", "out/charts/latency.svg", "junit.xml"] {
            assert_eq!(mode(file), file_mode, "umask {umask}: {file}");
        }
        for folder in ["out", "out/charts"] {
            assert_eq!(mode(folder), dir_mode, "umask {umask}: {folder}");
        }
    }
}

#[test]
fn a_full_stdout_is_an_error_and_a_closed_pipe_is_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = scenario_in(dir.path(), "");
    let full = || std::fs::File::create("/dev/full").expect("/dev/full");
    for args in [
        vec!["schema".to_string()],
        vec![
            "run".to_string(),
            scenario.display().to_string(),
            "--format".to_string(),
            "json".to_string(),
            "--out".to_string(),
            "out".to_string(),
        ],
    ] {
        let out = sim_in(dir.path())
            .args(&args)
            .stdout(full())
            .output()
            .expect("run sim");
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out),
            "error: cannot write to standard output: No space left on device (os error 28)\n"
        );
    }
    // `sim schema | head -c 100`: the reader leaves early, sim ends quietly.
    let mut child = sim_in(dir.path())
        .arg("schema")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sim");
    let mut first = [0u8; 100];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("read");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

/// Starts `sim run` on a run long enough to be stopped in the middle.
fn long_run(dir: &Path, out: &str) -> std::process::Child {
    let scenario = scenario_in(dir, "");
    sim_in(dir)
        .arg("run")
        .arg(&scenario)
        .args(["--duration", "3h", "-q", "--out", out])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sim")
}

fn signal(child: &std::process::Child, name: &str) {
    let sent = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
}

#[test]
fn sigterm_and_ctrl_c_stop_a_run_and_write_what_it_has() {
    for (name, code) in [("-TERM", 143), ("-INT", 130)] {
        let dir = tempfile::tempdir().expect("temp dir");
        let child = long_run(dir.path(), "out");
        // Long enough for the run to be under way (the signal would stop it at any point).
        std::thread::sleep(Duration::from_millis(700));
        signal(&child, name);
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(code), "{name}: {}", stderr(&out));
        let summary: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join("out/summary.json")).expect("written"),
        )
        .expect("JSON");
        assert_eq!(summary["truncated"], true);
        assert_eq!(summary["stopped_by"], "interrupted");
        assert_one_complete_set(&dir.path().join("out"));
    }
}

/// Kills `sim run` with SIGKILL at instants drawn with a fixed seed, over the whole run and its
/// writing; after each kill the folder holds one complete set (the previous run's or the new
/// one's), never a mix, and the next complete run tidies what the killed ones left beside it.
#[test]
fn a_run_killed_at_any_instant_leaves_one_complete_set() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = scenario_in(dir.path(), "");
    let run = |seed: u64| {
        sim_in(dir.path())
            .arg("run")
            .arg(&scenario)
            .args(["--duration", "5m", "-q", "--out", "out", "--seed"])
            .arg(seed.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run sim")
    };
    // A first complete set, and how long a run takes here (only to spread the kills over it).
    let started = std::time::Instant::now();
    let status = run(1).wait().expect("wait");
    assert!(status.success());
    let span = started.elapsed().as_secs_f64() * 1.3;
    let mut seeds_seen = BTreeSet::from([assert_one_complete_set(&dir.path().join("out"))]);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(24);
    for seed in 2..=26u64 {
        let mut child = run(seed);
        std::thread::sleep(Duration::from_secs_f64(rng.random_range(0.0..span)));
        let _ = child.kill();
        let _ = child.wait();
        let found = assert_one_complete_set(&dir.path().join("out"));
        assert!(found == seed || seeds_seen.contains(&found), "seed {found}");
        seeds_seen.insert(found);
    }
    let status = run(100).wait().expect("wait");
    assert!(status.success());
    assert_eq!(assert_one_complete_set(&dir.path().join("out")), 100);
    let beside: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "out" && n != "scenario.yaml")
        .collect();
    assert!(beside.is_empty(), "left beside the folder: {beside:?}");
}

#[test]
fn two_runs_on_one_folder_leave_one_of_their_sets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = scenario_in(dir.path(), "");
    for _ in 0..3 {
        let children: Vec<_> = [7u64, 8]
            .iter()
            .map(|seed| {
                sim_in(dir.path())
                    .arg("run")
                    .arg(&scenario)
                    .args(["--duration", "2m", "-q", "--out", "out", "--seed"])
                    .arg(seed.to_string())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("run sim")
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().expect("wait");
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        }
        let seed = assert_one_complete_set(&dir.path().join("out"));
        assert!(seed == 7 || seed == 8);
    }
}

/// A comparison or a capacity search cut short says so in every output, and declares no
/// winner and no capacity as if the search had ended.
#[test]
fn a_comparison_or_search_cut_short_says_so_everywhere() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = scenario_in(dir.path(), "");
    let file = scenario.display().to_string();
    let out = sim_in(dir.path())
        .args([
            "compare",
            &file,
            &file,
            "--duration",
            "3h",
            "--max-wall",
            "300ms",
        ])
        .args(["--out", "cmp"])
        .output()
        .expect("run sim");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("STOPPED EARLY (max wall)"), "{stdout}");
    let csv = std::fs::read_to_string(dir.path().join("cmp/comparison.csv")).expect("csv");
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .is_some_and(|h| h.ends_with(",winner,truncated")));
    for line in lines {
        // No winner from runs cut short: the winner column is empty (a figure without a
        // better direction) or says why there is none.
        let mut fields = line.rsplitn(3, ',');
        assert_eq!(fields.next(), Some("max_wall"), "{line}");
        let winner = fields.next().unwrap_or_default();
        assert!(winner.is_empty() || winner == "- (stopped early)", "{line}");
    }
    let page = std::fs::read_to_string(dir.path().join("cmp/comparison.html")).expect("page");
    assert!(page.contains("<title>STOPPED EARLY: "), "title");
    assert!(page.contains("so no winner is declared"), "banner");
    let json: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("cmp/comparison.json")).expect("json"),
    )
    .expect("JSON");
    assert_eq!(json["truncated"], "max_wall");

    let out = sim_in(dir.path())
        .args(["capacity", &file, "--duration", "3h", "--max-wall", "300ms"])
        .args(["--out", "cap"])
        .output()
        .expect("run sim");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("capacity: the search stopped early (max_wall) after 0 probes"),
        "{}",
        stderr(&out)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("cap/capacity.json")).expect("json"))
            .expect("JSON");
    assert_eq!(json["truncated"], "max_wall");
    assert_eq!(json["capacity_multiplier"], serde_json::Value::Null);
}
