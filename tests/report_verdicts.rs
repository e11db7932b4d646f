//! The report page says first what the run was judged on: the objective met or missed with its
//! error budget, the assertions (the failed ones named), or that nothing judged it; each
//! failure's impact in the failure table; the bottlenecks with why.

mod common;

use common::sim;

/// `sim run` on `yaml` (the verdicts are judged as a user's run judges them); the page.
fn page(yaml: &str) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("scenario.yaml"), yaml).expect("write");
    let out = sim()
        .current_dir(dir.path())
        .args(["run", "scenario.yaml", "--out", "out", "-q"])
        .output()
        .expect("run sim");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.path().join("out/report.html")).expect("report.html")
}

/// The text of the section with this id, tags removed.
fn section(page: &str, id: &str) -> String {
    let start = page
        .find(&format!("<section id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = page[start..]
        .find("</section>")
        .map_or(page.len(), |e| start + e);
    let mut text = String::new();
    let mut in_tag = false;
    for c in page[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One server at ρ = 0.5 for 20 s, a crash of 5 s at 10 s: a quarter of the requests fail.
const CRASH: &str = "run: {duration: 20s}
traffic:
  - {name: users, to: web, rate: 100/s}
components:
  - server: {name: web, workers: 1, service_time: 5ms}
failures:
  - {at: 10s, crash: web, for: 5s}
";

#[test]
fn a_missed_objective_and_a_failed_assertion_come_first() {
    let yaml = format!(
        "{CRASH}slo: {{target: 99.9%, latency: 100ms}}
assert:
  - availability >= 99%
  - p99 < 1s
"
    );
    let page = page(&yaml);
    let verdicts = section(&page, "verdicts");
    // The verdicts precede every other section.
    assert!(page.find("id=\"verdicts\"") < page.find("id=\"summary\""));
    assert!(
        verdicts.contains("Objective: 99.900% of requests succeed within 100.0 ms: ✗ MISSED"),
        "{verdicts}"
    );
    assert!(verdicts.contains("error budget used"), "{verdicts}");
    assert!(
        verdicts.contains("✗ FAILED (1 of 2 passed)")
            && verdicts.contains("availability &gt;= 99% : 74."),
        "{verdicts}"
    );
    assert!(
        !verdicts.contains("p99 < 1s"),
        "only failed ones are named: {verdicts}"
    );
    // The crash's impact, in the failure table: every failed request is its own.
    let failures = section(&page, "failures");
    assert!(
        failures.contains("requests affected, first – last"),
        "{failures}"
    );
    assert!(failures.contains("web crash 10.0"), "{failures}");
}

#[test]
fn a_met_objective_and_passing_assertions() {
    let yaml = "run: {duration: 20s}
traffic:
  - {name: users, to: web, rate: 100/s}
components:
  - server: {name: web, workers: 1, service_time: 5ms}
slo: {target: 99%, latency: 1s}
assert:
  - availability >= 99%
";
    let verdicts = section(&page(yaml), "verdicts");
    assert!(verdicts.contains("✓ met"), "{verdicts}");
    assert!(
        verdicts.contains("✓ all passed (1 of 1 passed)"),
        "{verdicts}"
    );
    assert!(!verdicts.contains("STOPPED EARLY"), "{verdicts}");
}

#[test]
fn a_run_nothing_judges_says_so() {
    let page = page(
        "run: {duration: 20s}
traffic:
  - {name: users, to: web, rate: 100/s}
components:
  - server: {name: web, workers: 1, service_time: 5ms}
",
    );
    let verdicts = section(&page, "verdicts");
    assert!(verdicts.contains("nothing judged this run"), "{verdicts}");
    // The theory table's notes wrap rather than run off the page.
    assert!(page.contains("<td class=\"text prose\">"), "{page}");
    assert!(page.contains("td.prose { white-space: normal;"));
    let theory = section(&page, "theory");
    assert!(
        theory.contains("Bottlenecks web : ") && theory.contains("% busy"),
        "{theory}"
    );
}
