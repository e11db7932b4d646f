//! Bad input and bad usage: every mistake exits with code 2 and says where it is
//! (`error: <file>:<line>:<column>: ...`), with a "did you mean" when a name is close.
//!
//! Most cases break one line of `fixtures/base.yaml`, a small valid scenario, and assert the
//! exact first line of stderr and the help line. The commands run inside a temporary directory
//! holding `scenario.yaml`, so messages show that short relative path.

use std::path::PathBuf;

use assert_cmd::Command;
use tempfile::TempDir;

const BASE: &str = include_str!("fixtures/base.yaml");
const SEVERAL_ERRORS: &str = include_str!("fixtures/several-errors.yaml");

/// What one run of `sim` printed.
struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Output {
    fn first_line(&self) -> &str {
        self.stderr.lines().next().unwrap_or("")
    }

    /// The text of each `  = help: ...` line, in order.
    fn helps(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter_map(|l| l.strip_prefix("  = help: "))
            .collect()
    }

    /// The `error: ...` lines, in order.
    fn errors(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect()
    }
}

/// A temporary directory holding `scenario.yaml`; `sim` runs inside it.
struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn with(yaml: &str) -> Scratch {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("scenario.yaml"), yaml).expect("write scenario.yaml");
        Scratch { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn sim(&self, args: &[&str]) -> Output {
        let out = Command::cargo_bin("sim")
            .expect("the sim binary")
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .expect("run sim");
        Output {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// `BASE` with `from`, which must occur exactly once, replaced by `to`.
fn edit(from: &str, to: &str) -> String {
    assert_eq!(
        BASE.matches(from).count(),
        1,
        "the test expects {from:?} exactly once in fixtures/base.yaml"
    );
    BASE.replacen(from, to, 1)
}

/// Checks that `sim validate` rejects `yaml` with exit code 2, nothing on stdout, exactly one
/// error whose first line is `first`, and the help line `help` (or none). Then checks that
/// `sim run` rejects it with the same first line and writes no output directory.
#[track_caller]
fn assert_rejected(yaml: &str, first: &str, help: Option<&str>) {
    let scratch = Scratch::with(yaml);
    let out = scratch.sim(&["validate", "scenario.yaml"]);
    assert_eq!(out.code, Some(2), "exit code; stderr:\n{}", out.stderr);
    assert_eq!(out.stdout, "", "nothing on stdout");
    assert_eq!(
        out.first_line(),
        first,
        "first line; stderr:\n{}",
        out.stderr
    );
    assert_eq!(out.errors().len(), 1, "one error; stderr:\n{}", out.stderr);
    assert_eq!(
        out.helps(),
        help.into_iter().collect::<Vec<_>>(),
        "help; stderr:\n{}",
        out.stderr
    );

    let run = scratch.sim(&["run", "scenario.yaml", "--out", "out", "--quiet"]);
    assert_eq!(
        run.code,
        Some(2),
        "sim run exit code; stderr:\n{}",
        run.stderr
    );
    assert_eq!(run.first_line(), first, "sim run first line");
    assert!(
        !scratch.path("out").exists(),
        "sim run wrote an output directory"
    );
    assert!(!scratch.path("output").exists(), "sim run wrote output/");
}

#[test]
fn the_base_fixture_is_valid() {
    let out = Scratch::with(BASE).sim(&["validate", "scenario.yaml"]);
    assert_eq!(out.code, Some(0), "stderr:\n{}", out.stderr);
    assert_eq!(out.stdout, "scenario.yaml: ok (4 components)\n");
    assert_eq!(out.stderr, "");
}

#[test]
fn the_whole_diagnostic_shows_the_line_and_a_caret() {
    let out = Scratch::with(&edit("      workers: 4", "      wrokers: 4"))
        .sim(&["validate", "scenario.yaml"]);
    assert_eq!(
        out.stderr,
        "error: scenario.yaml:22:7: unknown key 'wrokers'\n   |\n22 |       wrokers: 4\n   |       ^\n  = help: did you mean 'workers'?\n"
    );
}

// ---- YAML itself -------------------------------------------------------------------------------

#[test]
fn yaml_syntax_errors() {
    assert_rejected(
        &edit("      name: web", "      name: \"web"),
        "error: scenario.yaml:20:13: unclosed quote",
        None,
    );
    assert_rejected(
        &edit("      workers: 4", "        workers: 4"),
        "error: scenario.yaml:22:16: mapping values are not allowed in this context",
        Some("check this line's indentation against the lines above, or quote a value that contains ': '"),
    );
}

#[test]
fn a_syntax_error_is_reported_before_a_type_error_it_causes() {
    // The unclosed '[' makes the next line part of a flow sequence; the typed parse alone would
    // stop at line 11 with "invalid type: sequence".
    let out = Scratch::with(&edit("    rate: 100/s", "    rate: [100/s"))
        .sim(&["validate", "scenario.yaml"]);
    assert_eq!(out.code, Some(2));
    assert_eq!(
        out.first_line(),
        "error: scenario.yaml:12:8: illegal placement of ':' indicator"
    );
}

#[test]
fn a_tab_in_the_indentation() {
    // The parser trips over the tab while still reading the line before; the message points at
    // the tab itself.
    assert_rejected(
        &edit("      workers: 4", "\tworkers: 4"),
        "error: scenario.yaml:22:1: a tab in the indentation",
        Some("YAML indents with spaces only: replace the tab with spaces"),
    );
    assert_rejected(
        &edit("  duration: 10s", "\tduration: 10s"),
        "error: scenario.yaml:6:1: a tab in the indentation",
        Some("YAML indents with spaces only: replace the tab with spaces"),
    );
}

#[test]
fn duplicate_keys() {
    assert_rejected(
        &edit("      workers: 4\n", "      workers: 4\n      workers: 8\n"),
        "error: scenario.yaml:23:7: duplicate key 'workers'",
        Some("first given at line 22; a key may appear only once"),
    );
    assert_rejected(
        &edit("{read: 9, write: 1}", "{read: 9, read: 1}"),
        "error: scenario.yaml:12:20: duplicate key 'read'",
        Some("first given at line 12; a key may appear only once"),
    );
}

#[test]
fn an_empty_file() {
    for text in ["", "# only a comment\n\n"] {
        let out = Scratch::with(text).sim(&["validate", "scenario.yaml"]);
        assert_eq!(out.code, Some(2));
        assert_eq!(out.first_line(), "error: scenario.yaml: the file is empty");
        assert_eq!(
            out.helps(),
            ["a scenario needs at least 'run', 'traffic' and 'components'; `sim schema` lists every key"]
        );
    }
}

#[test]
fn two_yaml_documents() {
    assert_rejected(
        &format!("{BASE}---\n{BASE}"),
        "error: scenario.yaml:31:1: the file holds more than one YAML document",
        Some("a scenario is one document: remove the '---' line and what follows"),
    );
}

// ---- Keys and types ----------------------------------------------------------------------------

#[test]
fn unknown_keys_suggest_the_closest() {
    assert_rejected(
        &edit("      workers: 4", "      wrokers: 4"),
        "error: scenario.yaml:22:7: unknown key 'wrokers'",
        Some("did you mean 'workers'?"),
    );
    assert_rejected(
        &edit("components:", "componets:"),
        "error: scenario.yaml:14:1: unknown key 'componets'",
        Some("did you mean 'components'?"),
    );
}

#[test]
fn an_unknown_key_far_from_any_lists_the_allowed_ones() {
    let out = Scratch::with(&edit("      workers: 4", "      zzzzzzzz: 4"))
        .sim(&["validate", "scenario.yaml"]);
    assert_eq!(out.code, Some(2));
    assert_eq!(
        out.first_line(),
        "error: scenario.yaml:22:7: unknown key 'zzzzzzzz'"
    );
    let help = out.helps();
    assert_eq!(help.len(), 1);
    assert!(
        help[0].starts_with("expected one of: name, instances, workers"),
        "{help:?}"
    );
}

#[test]
fn unknown_kinds_suggest_the_closest() {
    assert_rejected(
        &edit("  - server:\n      name: db", "  - sever:\n      name: db"),
        "error: scenario.yaml:27:5: unknown kind 'sever'",
        Some("did you mean 'server'?"),
    );
    assert_rejected(
        &edit("{exponential: 10ms}", "{exponentail: 10ms}"),
        "error: scenario.yaml:23:22: unknown kind 'exponentail'",
        Some("did you mean 'exponential'?"),
    );
}

#[test]
fn a_missing_required_key() {
    assert_rejected(
        &edit("      service_time: 2ms\n", ""),
        "error: scenario.yaml:29:7: missing required key 'service_time'",
        Some("add 'service_time' to the mapping this line belongs to"),
    );
}

#[test]
fn wrong_types() {
    assert_rejected(
        &edit("      workers: 4", "      workers: four"),
        "error: scenario.yaml:22:16: expected a whole number, 0 or more",
        None,
    );
    assert_rejected(
        &edit("      workers: 4", "      workers: -4"),
        "error: scenario.yaml:22:16: expected a whole number, 0 or more",
        None,
    );
    assert_rejected(
        &edit("seed: 1", "seed: 1.5"),
        "error: scenario.yaml:4:7: expected a whole number, 0 or more",
        None,
    );
    assert_rejected(
        &edit("run:\n  duration: 10s\n  warmup: 1s", "run: 10s"),
        "error: scenario.yaml:5:6: expected a mapping of 'key: value' pairs here",
        None,
    );
}

// ---- Units -------------------------------------------------------------------------------------

const DURATION_HINT: &str =
    "expected a duration such as 250ms, 1.5s, 2m or 1h (units: ns, us, ms, s, m, min, h, d)";

#[test]
fn durations_need_a_known_unit() {
    assert_rejected(
        &edit("  duration: 10s", "  duration: 10"),
        &format!("error: scenario.yaml:6:13: duration: '10' has no unit: {DURATION_HINT}"),
        None,
    );
    assert_rejected(
        &edit("  duration: 10s", "  duration: 5 parsecs"),
        &format!(
            "error: scenario.yaml:6:13: duration: unknown duration unit 'parsecs' in '5 parsecs': {DURATION_HINT}"
        ),
        None,
    );
}

#[test]
fn rates_need_a_unit_and_a_sensible_value() {
    assert_rejected(
        &edit("    rate: 100/s", "    rate: 100"),
        "error: scenario.yaml:11:11: rate: '100' has no unit: expected a rate such as 1200/s, 5/min or 3/h",
        None,
    );
    assert_rejected(
        &edit("    rate: 100/s", "    rate: -100/s"),
        "error: scenario.yaml:11:11: rate: '-100/s' is negative: rates must be >= 0",
        None,
    );
    assert_rejected(
        &edit("    rate: 100/s", "    rate: 1e12/s"),
        "error: scenario.yaml:11:11: rate: '1e12/s' is above the limit of 1e9/s: a run at that rate could not finish",
        None,
    );
}

#[test]
fn fractions_above_one() {
    assert_rejected(
        &edit("hot_weight: 0.8", "hot_weight: 1.5"),
        "error: scenario.yaml:13:58: keys.hot_weight: '1.5' must be between 0 and 1 (or 0% and 100%)",
        None,
    );
}

// ---- Counts and limits -------------------------------------------------------------------------

#[test]
fn zero_workers_and_instances() {
    assert_rejected(
        &edit("      workers: 4", "      workers: 0"),
        "error: scenario.yaml:22:16: workers must be at least 1, got 0",
        None,
    );
    assert_rejected(
        &edit("      instances: 2", "      instances: 0"),
        "error: scenario.yaml:21:18: instances must be at least 1, got 0",
        None,
    );
}

#[test]
fn instances_above_the_limit_name_it() {
    assert_rejected(
        &edit("      instances: 2", "      instances: 1000000000000"),
        "error: scenario.yaml:21:18: instances is 1000000000000, above the limit of 100000",
        Some("each instance keeps its own queue and statistics"),
    );
}

// ---- Names and references ----------------------------------------------------------------------

#[test]
fn a_reference_to_a_missing_component() {
    assert_rejected(
        &edit("    to: lb", "    to: wbe"),
        "error: scenario.yaml:10:9: target 'wbe' is not defined",
        Some("did you mean 'web'?"),
    );
}

#[test]
fn a_backend_that_is_not_defined() {
    assert_rejected(
        &edit("backends: [web]", "backends: [web, api]"),
        "error: scenario.yaml:18:23: backend 'api' is not defined",
        Some("expected one of: web, db"),
    );
}

#[test]
fn a_backend_that_is_a_load_balancer() {
    let yaml = edit(
        "      backends: [web]\n",
        "      backends: [web]\n  - load_balancer:\n      name: edge\n      backends: [lb]\n",
    );
    assert_rejected(
        &yaml.replacen("    to: lb", "    to: edge", 1),
        "error: scenario.yaml:21:18: backend 'lb' is a load balancer, which cannot be used here",
        Some("a backend must be a server or a rate limiter"),
    );
}

#[test]
fn an_unknown_algorithm() {
    assert_rejected(
        &edit("algorithm: round_robin", "algorithm: round_robbin"),
        "error: scenario.yaml:17:18: unknown load-balancing algorithm 'round_robbin'",
        Some("did you mean 'round_robin'?"),
    );
}

#[test]
fn an_unknown_request_type_in_per_type() {
    assert_rejected(
        &edit(
            "        write: {service_time: 20ms}",
            "        wirte: {service_time: 20ms}",
        ),
        "error: scenario.yaml:26:9: request type 'wirte' is not in any traffic mix",
        Some("did you mean 'write'?"),
    );
}

#[test]
fn an_unknown_request_type_in_routes() {
    // Only the misspelling is reported, not also "request types with no route: write".
    assert_rejected(
        &edit(
            "      backends: [web]",
            "      routes:\n        - types: [read, wrte]\n          backends: [web]",
        ),
        "error: scenario.yaml:19:25: request type 'wrte' is not in any traffic mix",
        Some("did you mean 'write'?"),
    );
}

#[test]
fn a_call_cycle() {
    assert_rejected(
        &edit(
            "      service_time: 2ms\n",
            "      service_time: 2ms\n      calls: [web]\n",
        ),
        "error: scenario.yaml:24:15: calls form a cycle: db -> web -> db",
        Some("a request would travel round the cycle forever; remove one of the calls"),
    );
}

#[test]
fn a_duplicate_component_name() {
    assert_rejected(
        &format!("{BASE}  - server:\n      name: web\n      service_time: 1ms\n"),
        "error: scenario.yaml:32:13: 'web' is defined twice",
        Some("first defined at line 20"),
    );
}

// ---- Several errors at once --------------------------------------------------------------------

#[test]
fn validate_reports_every_error_in_line_order_then_a_count() {
    let out = Scratch::with(SEVERAL_ERRORS).sim(&["validate", "scenario.yaml"]);
    assert_eq!(out.code, Some(2));
    assert_eq!(
        out.errors(),
        [
            format!("error: scenario.yaml:4:13: duration: '10' has no unit: {DURATION_HINT}"),
            "error: scenario.yaml:7:9: target 'lbb' is not defined".to_string(),
            "error: scenario.yaml:12:18: unknown load-balancing algorithm 'round_robbin'"
                .to_string(),
            "error: scenario.yaml:16:16: workers must be at least 1, got 0".to_string(),
        ]
    );
    assert_eq!(
        out.helps(),
        ["did you mean 'lb'?", "did you mean 'round_robin'?"]
    );
    assert_eq!(out.stderr.lines().last(), Some("4 errors in scenario.yaml"));
}

/// Issue #26's example: in a copy of scenarios/02-separate-tiers.yaml, `workers:` misspelled
/// twice and a call to a component that does not exist. All three are reported, in file order,
/// by every command that loads a scenario.
#[test]
fn unknown_keys_do_not_hide_the_errors_after_them() {
    let shipped = include_str!("../scenarios/02-separate-tiers.yaml");
    assert_eq!(shipped.matches("      workers: ").count(), 2);
    assert_eq!(shipped.matches("calls: [db]").count(), 1);
    let broken = shipped
        .replace("      workers: ", "      wokers: ")
        .replace("calls: [db]", "calls: [dbb]");
    let scratch = Scratch::with(&broken);
    let line_of = |needle: &str, nth: usize| {
        broken
            .lines()
            .enumerate()
            .filter(|(_, l)| l.contains(needle))
            .nth(nth)
            .map(|(i, _)| i + 1)
            .expect("the edited line")
    };
    let expected = [
        format!(
            "error: scenario.yaml:{}:7: unknown key 'wokers'",
            line_of("wokers:", 0)
        ),
        format!(
            "error: scenario.yaml:{}:15: called component 'dbb' is not defined",
            line_of("calls: [dbb]", 0)
        ),
        format!(
            "error: scenario.yaml:{}:7: unknown key 'wokers'",
            line_of("wokers:", 1)
        ),
    ];
    for args in [
        &["validate", "scenario.yaml"][..],
        &["run", "scenario.yaml", "--out", "out"],
        &["check", "scenario.yaml"],
        &["explain", "scenario.yaml"],
        &["estimate", "scenario.yaml"],
    ] {
        let out = scratch.sim(args);
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert_eq!(out.errors(), expected, "{args:?}");
        assert_eq!(
            out.helps(),
            [
                "did you mean 'workers'?",
                "did you mean 'db'?",
                "did you mean 'workers'?"
            ],
            "{args:?}"
        );
        assert_eq!(
            out.stderr.lines().last(),
            Some("3 errors in scenario.yaml"),
            "{args:?}"
        );
    }
    assert!(!scratch.path("out").exists());
}

/// A misspelled key is read as the key it is closest to, so what follows from it being absent
/// (no rate, so no traffic; `mix` gone, so request types in no mix) is not reported as well.
#[test]
fn a_misspelled_key_is_checked_as_the_key_it_is_closest_to() {
    assert_rejected(
        &edit("    rate: 100/s", "    rat: 100/s"),
        "error: scenario.yaml:11:5: unknown key 'rat'",
        Some("did you mean 'rate'?"),
    );
    assert_rejected(
        &edit(
            "    mix: {read: 9, write: 1}",
            "    mixx: {read: 9, write: 1}",
        ),
        "error: scenario.yaml:12:5: unknown key 'mixx'",
        Some("did you mean 'mix'?"),
    );
    // ... and its value is checked as that key's would be.
    let out = Scratch::with(&edit("      workers: 4", "      wrokers: 0"))
        .sim(&["validate", "scenario.yaml"]);
    assert_eq!(
        out.errors(),
        [
            "error: scenario.yaml:22:7: unknown key 'wrokers'",
            "error: scenario.yaml:22:16: workers must be at least 1, got 0",
        ]
    );
}

/// Unknown keys are found at every depth, in maps that may also be written as a plain value
/// (`backends: [{name: web, weight: 2}]`), and before a value of the wrong type, which still
/// stops the reading.
#[test]
fn unknown_keys_anywhere_then_the_error_that_stops_the_parse() {
    let yaml = edit(
        "      backends: [web]",
        "      backends: [{pool: web, wieght: 2}]",
    )
    .replace("    keys: {count: 1000,", "    keys: {cuont: 1000,")
    .replace("      instances: 2", "      instances: [2]");
    let out = Scratch::with(&yaml).sim(&["validate", "scenario.yaml"]);
    assert_eq!(out.code, Some(2));
    let errors = out.errors();
    assert_eq!(errors.len(), 3, "{}", out.stderr);
    assert_eq!(errors[0], "error: scenario.yaml:13:12: unknown key 'cuont'");
    assert_eq!(
        errors[1],
        "error: scenario.yaml:18:30: unknown key 'wieght'"
    );
    assert!(
        errors[2].starts_with("error: scenario.yaml:21:18: "),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.helps()[..2],
        ["did you mean 'count'?", "did you mean 'weight'?"]
    );
}

/// A file with very many errors shows the first 50 in file order, then how many more.
#[test]
fn many_errors_are_capped() {
    let mut yaml = BASE.to_string();
    for i in 0..100 {
        yaml.push_str(&format!("      zz{i:03}: 1\n"));
    }
    let out = Scratch::with(&yaml).sim(&["validate", "scenario.yaml"]);
    assert_eq!(out.code, Some(2));
    let errors = out.errors();
    assert_eq!(errors.len(), 50);
    for (i, error) in errors.iter().enumerate() {
        assert_eq!(
            *error,
            format!("error: scenario.yaml:{}:7: unknown key 'zz{i:03}'", 31 + i)
        );
    }
    let tail: Vec<&str> = out.stderr.lines().rev().take(3).collect();
    assert_eq!(
        tail,
        [
            "100 errors in scenario.yaml",
            "",
            "... and 50 more errors, not shown"
        ]
    );
}

#[test]
fn validate_checks_every_file_it_is_given() {
    let scratch = Scratch::with(SEVERAL_ERRORS);
    std::fs::write(scratch.path("good.yaml"), BASE).expect("write good.yaml");
    let out = scratch.sim(&["validate", "good.yaml", "scenario.yaml"]);
    assert_eq!(out.code, Some(2));
    assert_eq!(out.stdout, "good.yaml: ok (4 components)\n");
    assert_eq!(out.errors().len(), 4);
}

// ---- The run section ---------------------------------------------------------------------------

#[test]
fn no_run_section() {
    let out = Scratch::with(&edit("run:\n  duration: 10s\n  warmup: 1s\n", ""))
        .sim(&["validate", "scenario.yaml"]);
    assert_eq!(out.code, Some(2));
    assert_eq!(
        out.first_line(),
        "error: scenario.yaml: the scenario has no 'run' section"
    );
    assert_eq!(
        out.helps(),
        ["add e.g. 'run: {duration: 10m}' or 'run: {requests: 100000}'"]
    );
}

#[test]
fn no_stop_condition() {
    assert_rejected(
        &edit("  duration: 10s\n", ""),
        "error: scenario.yaml:6:3: the run has no stop condition",
        Some("give a duration (e.g. 10m), a request count, or both"),
    );
}

#[test]
fn warmup_not_shorter_than_duration() {
    assert_rejected(
        &edit("  warmup: 1s", "  warmup: 10s"),
        "error: scenario.yaml:7:11: warmup must be shorter than the duration",
        None,
    );
}

#[test]
fn a_duration_override_not_longer_than_the_warmup() {
    let scratch = Scratch::with(BASE);
    let out = scratch.sim(&["run", "scenario.yaml", "--duration", "1s", "--out", "out"]);
    assert_eq!(out.code, Some(2));
    assert_eq!(
        out.first_line(),
        "error: scenario.yaml: --duration 1s is not longer than the scenario's warmup (1s); nothing would be measured"
    );
    assert!(!scratch.path("out").exists());
}

// ---- Files -------------------------------------------------------------------------------------

#[test]
fn a_missing_file() {
    let scratch = Scratch::with(BASE);
    for command in ["validate", "run"] {
        let out = scratch.sim(&[command, "missing.yaml"]);
        assert_eq!(out.code, Some(2));
        assert_eq!(
            out.first_line(),
            "error: missing.yaml: cannot read the scenario: no such file"
        );
    }
    assert!(!scratch.path("output").exists());
}

#[test]
fn a_directory_instead_of_a_file() {
    let scratch = Scratch::with(BASE);
    std::fs::create_dir(scratch.path("scenarios")).expect("mkdir");
    for command in ["validate", "run"] {
        let out = scratch.sim(&[command, "scenarios"]);
        assert_eq!(out.code, Some(2));
        assert_eq!(
            out.first_line(),
            "error: scenarios: is a directory; give a scenario file (.yaml)"
        );
    }
    assert!(!scratch.path("output").exists());
}

// ---- Command-line usage ------------------------------------------------------------------------

#[test]
fn usage_errors_exit_with_2() {
    let scratch = Scratch::with(BASE);
    let banana = format!(
        "error: invalid value 'banana' for '--duration <DURATION>': 'banana' is not a duration: {DURATION_HINT}"
    );
    let cases: [(&[&str], &str); 6] = [
        (
            &["run", "scenario.yaml", "--frobnicate"],
            "error: unexpected argument '--frobnicate' found",
        ),
        (
            &["run", "scenario.yaml", "--requests", "0"],
            "error: invalid value '0' for '--requests <REQUESTS>': the request count must be at least 1",
        ),
        (
            &["run", "scenario.yaml", "--requests", "many"],
            "error: invalid value 'many' for '--requests <REQUESTS>': 'many' is not a request count: expected a whole number such as 100000",
        ),
        (&["run", "scenario.yaml", "--duration", "banana"], &banana),
        (
            &["run", "scenario.yaml", "--duration", "0s"],
            "error: invalid value '0s' for '--duration <DURATION>': the duration must be greater than 0",
        ),
        (&["frobnicate"], "error: unrecognized subcommand 'frobnicate'"),
    ];
    for (args, first) in cases {
        let out = scratch.sim(args);
        assert_eq!(out.code, Some(2), "{args:?}: stderr:\n{}", out.stderr);
        assert_eq!(out.first_line(), first, "{args:?}");
        assert!(!scratch.path("output").exists(), "{args:?} wrote output/");
    }
}

#[test]
fn help_and_version_exit_with_0() {
    let scratch = Scratch::with(BASE);
    for args in [&["--help"][..], &["--version"], &["run", "--help"]] {
        let out = scratch.sim(args);
        assert_eq!(out.code, Some(0), "{args:?}");
        assert_eq!(out.stderr, "", "{args:?}");
    }
}
