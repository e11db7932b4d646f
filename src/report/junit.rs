//! JUnit XML for CI systems: one test suite per scenario, one test case per assertion, a
//! `<failure>` with the message for each failed assertion and an `<error>` for a scenario that
//! could not be run; a design of `sim compare` meant to fail (`--expect-fail`) has its failed
//! assertions written as skipped, with the message, the way test runners write an expected
//! failure (pytest's xfail). No timestamps or durations, so the file is deterministic. Written with
//! `quick-junit` (the crate cargo-nextest writes its JUnit reports with).

use crate::assertions::Verdict;
use crate::results::RunResult;

/// A run's request counts and availability, as a suite's properties: what finished by outcome,
/// what was still unfinished at the end (and how much of it past the patience).
pub fn properties(r: &RunResult) -> Vec<(String, String)> {
    let e = &r.end_to_end;
    let o = &e.outcomes;
    let availability = e.availability();
    [
        ("requests", o.total().to_string()),
        ("succeeded", o.succeeded.to_string()),
        ("failed", o.failed.to_string()),
        ("rejected", o.rejected.to_string()),
        ("timed_out", o.timed_out.to_string()),
        ("unfinished", e.unfinished.count.to_string()),
        ("unfinished_overdue", e.unfinished.overdue.to_string()),
        (
            "availability",
            if availability.is_finite() {
                format!("{availability:.6}")
            } else {
                "unknown".to_string()
            },
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// One scenario's part of the report.
pub struct Suite {
    /// The scenario (and variant) name.
    pub name: String,
    /// The file, for the `file` attribute.
    pub file: String,
    /// Figures of the run a CI log should show beside the verdicts (requests by outcome,
    /// unfinished, availability), as the suite's properties.
    pub properties: Vec<(String, String)>,
    pub outcome: SuiteOutcome,
    /// Meant to fail its assertions: a failed one is written as skipped ("expected to fail").
    pub expected_to_fail: bool,
}

pub enum SuiteOutcome {
    /// The scenario ran; its assertions' verdicts (a scenario without assertions gets one
    /// passing case saying it ran).
    Ran(Vec<Verdict>),
    /// It could not be loaded or run: why.
    Error(String),
}

/// The whole JUnit document (written with `quick-junit`).
pub fn to_xml(suites: &[Suite]) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("sim");
    for suite in suites {
        let mut test_suite = TestSuite::new(suite.name.as_str());
        for (name, value) in &suite.properties {
            test_suite.add_property(quick_junit::Property::new(name.as_str(), value.as_str()));
        }
        let case = |name: &str, status: TestCaseStatus| {
            let mut case = TestCase::new(name, status);
            case.set_classname(suite.name.as_str());
            case.extra.insert("file".into(), suite.file.as_str().into());
            case
        };
        match &suite.outcome {
            SuiteOutcome::Error(message) => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status
                    .set_message("the scenario could not be run")
                    .set_description(message.trim_end());
                test_suite.add_test_case(case("run", status));
            }
            SuiteOutcome::Ran(verdicts) => {
                if verdicts.is_empty() {
                    test_suite
                        .add_test_case(case("run (no assertions)", TestCaseStatus::success()));
                }
                for v in verdicts {
                    if v.passed {
                        let mut passed = case(&v.named(), TestCaseStatus::success());
                        passed.set_system_out(v.message.as_str());
                        test_suite.add_test_case(passed);
                    } else if suite.expected_to_fail {
                        let mut status = TestCaseStatus::skipped();
                        status
                            .set_message(format!("expected to fail: {}", v.message))
                            .set_type("expected failure");
                        test_suite.add_test_case(case(&v.named(), status));
                    } else {
                        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                        status
                            .set_message(v.message.as_str())
                            .set_type("assertion")
                            .set_description(format!("{}: {}", v.named(), v.message));
                        test_suite.add_test_case(case(&v.named(), status));
                    }
                }
            }
        }
        report.add_test_suite(test_suite);
    }
    // Serialising into memory fails only on a bug of the crate; an empty report says so.
    report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- sim could not write the JUnit report: {e} -->\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_carry_the_message_and_text_is_escaped() {
        let verdict = |passed: bool| Verdict {
            text: "p99 < 250ms".into(),
            id: None,
            passed,
            value: Some(300.0),
            limit: 250.0,
            judged_on: "value".into(),
            message: "300ms is 50ms (20%) over the limit 250ms".into(),
        };
        let xml = to_xml(&[
            Suite {
                name: "a".into(),
                file: "a.yaml".into(),
                properties: vec![("unfinished".into(), "3".into())],
                outcome: SuiteOutcome::Ran(vec![verdict(false), verdict(true)]),
                expected_to_fail: false,
            },
            Suite {
                name: "b".into(),
                file: "b.yaml".into(),
                properties: Vec::new(),
                outcome: SuiteOutcome::Error("bad & broken".into()),
                expected_to_fail: false,
            },
            Suite {
                name: "c".into(),
                file: "c.yaml".into(),
                properties: Vec::new(),
                outcome: SuiteOutcome::Ran(vec![verdict(false)]),
                expected_to_fail: true,
            },
        ]);
        assert!(
            xml.contains("tests=\"4\" skipped=\"1\" failures=\"1\" errors=\"1\""),
            "{xml}"
        );
        assert!(xml.contains("<testcase name=\"p99 &lt; 250ms\" classname=\"a\""));
        assert!(xml.contains("<failure message=\"300ms is 50ms (20%) over the limit 250ms\""));
        assert!(xml.contains("bad &amp; broken"));
        assert!(
            xml.contains("<property name=\"unfinished\" value=\"3\"/>"),
            "{xml}"
        );
        assert!(
            xml.contains("<skipped message=\"expected to fail: 300ms"),
            "{xml}"
        );
    }
}
