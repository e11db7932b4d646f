//! JUnit XML for CI systems: one test suite per scenario, one test case per assertion, a
//! `<failure>` with the message for each failed assertion and an `<error>` for a scenario that
//! could not be run. No timestamps or durations, so the file is deterministic.

use std::fmt::Write as _;

use crate::assertions::Verdict;

/// One scenario's part of the report.
pub struct Suite {
    /// The scenario (and variant) name.
    pub name: String,
    /// The file, for the `file` attribute.
    pub file: String,
    pub outcome: SuiteOutcome,
}

pub enum SuiteOutcome {
    /// The scenario ran; its assertions' verdicts (a scenario without assertions gets one
    /// passing case saying it ran).
    Ran(Vec<Verdict>),
    /// It could not be loaded or run: why.
    Error(String),
}

/// Escapes text for XML attributes and content.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newline are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The whole JUnit document.
pub fn to_xml(suites: &[Suite]) -> String {
    let mut tests = 0;
    let mut failures = 0;
    let mut errors = 0;
    let mut body = String::new();
    for suite in suites {
        let name = escape(&suite.name);
        let file = escape(&suite.file);
        match &suite.outcome {
            SuiteOutcome::Error(message) => {
                tests += 1;
                errors += 1;
                let _ = writeln!(
                    body,
                    "  <testsuite name=\"{name}\" tests=\"1\" failures=\"0\" errors=\"1\">\n    \
                     <testcase name=\"run\" classname=\"{name}\" file=\"{file}\">\n      \
                     <error message=\"the scenario could not be run\">{}</error>\n    \
                     </testcase>\n  </testsuite>",
                    escape(message.trim_end())
                );
            }
            SuiteOutcome::Ran(verdicts) => {
                let failed = verdicts.iter().filter(|v| !v.passed).count();
                let cases = verdicts.len().max(1);
                tests += cases;
                failures += failed;
                let _ = writeln!(
                    body,
                    "  <testsuite name=\"{name}\" tests=\"{cases}\" failures=\"{failed}\" errors=\"0\">"
                );
                if verdicts.is_empty() {
                    let _ = writeln!(
                        body,
                        "    <testcase name=\"run (no assertions)\" classname=\"{name}\" file=\"{file}\"/>"
                    );
                }
                for v in verdicts {
                    let case = escape(&v.text);
                    if v.passed {
                        let _ = writeln!(
                            body,
                            "    <testcase name=\"{case}\" classname=\"{name}\" file=\"{file}\">\n      \
                             <system-out>{}</system-out>\n    </testcase>",
                            escape(&v.message)
                        );
                    } else {
                        let _ = writeln!(
                            body,
                            "    <testcase name=\"{case}\" classname=\"{name}\" file=\"{file}\">\n      \
                             <failure message=\"{}\" type=\"assertion\">{}: {}</failure>\n    </testcase>",
                            escape(&v.message),
                            case,
                            escape(&v.message)
                        );
                    }
                }
                body.push_str("  </testsuite>\n");
            }
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"sim\" tests=\"{tests}\" \
         failures=\"{failures}\" errors=\"{errors}\">\n{body}</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_carry_the_message_and_text_is_escaped() {
        let verdict = |passed: bool| Verdict {
            text: "p99 < 250ms".into(),
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
                outcome: SuiteOutcome::Ran(vec![verdict(false), verdict(true)]),
            },
            Suite {
                name: "b".into(),
                file: "b.yaml".into(),
                outcome: SuiteOutcome::Error("bad & broken".into()),
            },
        ]);
        assert!(
            xml.contains("tests=\"3\" failures=\"1\" errors=\"1\""),
            "{xml}"
        );
        assert!(xml.contains("<testcase name=\"p99 &lt; 250ms\" classname=\"a\""));
        assert!(xml.contains("<failure message=\"300ms is 50ms (20%) over the limit 250ms\""));
        assert!(xml.contains("bad &amp; broken"));
    }
}
