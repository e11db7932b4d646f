//! The workshop course: the numbered scenarios of `scenarios/`, their headers, and the written
//! course (`docs/course.md`) generated from real runs of them.
//!
//! A scenario file is a **course step** when its name starts with a two-digit step number, an
//! optional lower-case part letter and a dash: `01-single-server.yaml` is step 1,
//! `05b-cache-eviction.yaml` is step 5, part b. Steps are ordered by number, then part; `sim
//! list` shows them first, then the other scenarios by name.
//!
//! A step's **header** is the comment block at the top of its file, in paragraphs separated by
//! empty comment lines:
//!
//! ```text
//! # Step 3: a load balancer and several web servers; kill one.      <- the title
//! #
//! # What changed: ...                                                <- paragraphs, as Markdown
//! #
//! # Look at:
//! # - the requests-per-backend chart ...
//! #
//! # Question for the room: ...
//! #
//! # Answer: ...
//! #
//! # Charts: backends-lb, errors                                      <- charts for the course
//! ```
//!
//! The first paragraph is the title (`Step <label>:` is dropped). A paragraph starting
//! `Charts:` lists the charts (file names in `charts/` without `.svg`) that the written course
//! shows; a chart drawn in parts (`utilisation-1.svg`, `utilisation-2.svg`) is shown whole by
//! its base name. Every other paragraph goes into the course as Markdown, its leading
//! `Label:` in bold. Tested in `tests/course.rs`.
//!
//! A header says only what its run shows: every claim in it that names a number, a direction
//! or a visible effect carries a marker naming the assertion that checks it,
//! `... a visible p99 bump [claim: p99-bump]` (several ids: `[claim: a, b]`), and the step's
//! `assert` section has an assertion with that `id` (`{that: p99 > 250ms, during: [120s,
//! 140s], id: p99-bump}`). `sim course` refuses a step whose header names an id no assertion
//! has ([`unmatched_claims`]); `docs/course.md` shows each verdict beside its id.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::results::Summary;

/// Where a course step sits: `05b-...` is number 5, part "b".
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Step {
    pub number: u32,
    /// "" or one lower-case letter.
    pub part: String,
}

impl Step {
    /// The step a file stem names, if it is a course step (`NN-name` or `NNx-name`).
    pub fn of(stem: &str) -> Option<Step> {
        let digits = stem.get(..2)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number = digits.parse().ok()?;
        let rest = &stem[2..];
        let (part, rest) = match rest.bytes().next() {
            Some(b) if b.is_ascii_lowercase() => (&rest[..1], &rest[1..]),
            _ => ("", rest),
        };
        let name = rest.strip_prefix('-')?;
        if name.is_empty() {
            return None;
        }
        Some(Step {
            number,
            part: part.to_string(),
        })
    }

    /// "3", "5b".
    pub fn label(&self) -> String {
        format!("{}{}", self.number, self.part)
    }
}

/// A scenario file found in a folder.
#[derive(Clone, Debug)]
pub struct ScenarioFile {
    pub path: PathBuf,
    /// The file name without `.yaml`.
    pub stem: String,
    /// Set for course steps.
    pub step: Option<Step>,
}

/// The scenario files (`.yaml`, `.yml`) directly in `dir`: course steps first, in step order,
/// then the others by name.
pub fn scenario_files(dir: &Path) -> std::io::Result<Vec<ScenarioFile>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if !is_yaml || !path.is_file() {
            continue;
        }
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let step = Step::of(&stem);
        files.push(ScenarioFile { path, stem, step });
    }
    files.sort_by(|a, b| match (&a.step, &b.step) {
        (Some(x), Some(y)) => (x, &a.stem).cmp(&(y, &b.stem)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.stem.cmp(&b.stem),
    });
    Ok(files)
}

/// A step's header comment, parsed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Header {
    /// The first paragraph, without its `Step N:` prefix.
    pub title: String,
    /// The other paragraphs, one string each (lines kept), without the `Charts:` one.
    pub paragraphs: Vec<String>,
    /// Chart names from the `Charts:` paragraph.
    pub charts: Vec<String>,
}

/// Parses the comment block at the top of a scenario file.
pub fn header(text: &str) -> Header {
    let mut paragraphs: Vec<Vec<String>> = vec![Vec::new()];
    for line in text.lines() {
        let trimmed = line.trim_start();
        let content = if let Some(rest) = trimmed.strip_prefix('#') {
            rest.strip_prefix(' ').unwrap_or(rest).trim_end()
        } else if trimmed.is_empty() {
            ""
        } else {
            break;
        };
        if content.is_empty() {
            if paragraphs.last().is_some_and(|p| !p.is_empty()) {
                paragraphs.push(Vec::new());
            }
        } else if let Some(last) = paragraphs.last_mut() {
            last.push(content.to_string());
        }
    }
    paragraphs.retain(|p| !p.is_empty());
    let mut header = Header::default();
    let mut rest = paragraphs.into_iter();
    if let Some(first) = rest.next() {
        let title = first.join(" ");
        header.title = match title.strip_prefix("Step ").and_then(|t| t.split_once(": ")) {
            Some((_, t)) => t.to_string(),
            None => title,
        };
    }
    for p in rest {
        let joined = p.join(" ");
        if let Some(list) = joined.strip_prefix("Charts:") {
            header.charts.extend(
                list.split(',')
                    .map(|c| c.trim().trim_end_matches(".svg").to_string())
                    .filter(|c| !c.is_empty()),
            );
        } else {
            header.paragraphs.push(p.join("\n"));
        }
    }
    header
}

/// A `[claim: id]` marker in a step's header: the id of the assertion that checks the claim
/// before it, and where the id is written (1-based line and column in the file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimMarker {
    pub id: String,
    pub line: u64,
    pub column: u64,
}

const CLAIM_OPEN: &str = "[claim:";

/// The claim markers of the comment block at the top of a scenario file (the header), in
/// order; an empty id stands for a marker that names none (`[claim: ]`) or is not closed. A
/// marker may break across comment lines, as wrapped text does.
pub fn claim_markers(text: &str) -> Vec<ClaimMarker> {
    // The header's comment text, joined with spaces, and where each line's text starts in the
    // joined string and in the file (line, byte offset in the line).
    let mut joined = String::new();
    let mut starts: Vec<(usize, u64, &str, usize)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix('#') else {
            if trimmed.is_empty() {
                continue;
            }
            break;
        };
        let content_at = line.len() - rest.len();
        starts.push((joined.len(), index as u64 + 1, line, content_at));
        joined.push_str(rest);
        joined.push(' ');
    }
    // Line and column (1-based, in characters) of a byte offset into `joined`.
    let place = |at: usize| -> (u64, u64) {
        let i = starts.partition_point(|s| s.0 <= at).saturating_sub(1);
        let Some(&(start, line, original, content_at)) = starts.get(i) else {
            return (1, 1);
        };
        let byte = (content_at + (at - start)).min(original.len());
        let column = original.get(..byte).map_or(byte, |t| t.chars().count()) as u64 + 1;
        (line, column)
    };
    let mut markers = Vec::new();
    let mut from = 0;
    while let Some(at) = joined[from..].find(CLAIM_OPEN).map(|i| from + i) {
        let inside_start = at + CLAIM_OPEN.len();
        let close = joined[inside_start..]
            .find(']')
            .map(|i| inside_start + i)
            // A marker is closed before the next one opens.
            .filter(|&c| !joined[inside_start..c].contains(CLAIM_OPEN));
        let mut any = false;
        if let Some(close) = close {
            let mut offset = inside_start;
            for part in joined[inside_start..close].split(',') {
                let lead = part.len() - part.trim_start().len();
                let id = part.trim();
                if !id.is_empty() {
                    any = true;
                    let (line, column) = place(offset + lead);
                    markers.push(ClaimMarker {
                        id: id.to_string(),
                        line,
                        column,
                    });
                }
                offset += part.len() + 1;
            }
        }
        if !any {
            let (line, column) = place(at);
            markers.push(ClaimMarker {
                id: String::new(),
                line,
                column,
            });
        }
        from = close.map_or(inside_start, |c| c + 1);
    }
    markers
}

/// The errors of a step whose header names claims no assertion checks: every marker whose id
/// is not among `ids` (the ids of the step's assertions), each as a diagnostic at the marker
/// with the closest id to suggest.
pub fn unmatched_claims(text: &str, ids: &[&str]) -> Vec<crate::scenario::Diagnostic> {
    use crate::scenario::raw::Loc;
    claim_markers(text)
        .into_iter()
        .filter(|m| !ids.contains(&m.id.as_str()))
        .map(|m| {
            let loc = Loc {
                line: m.line,
                column: m.column,
            };
            if m.id.is_empty() {
                return crate::scenario::Diagnostic::at(loc, "a claim marker names no assertion id")
                    .with_help("write [claim: ID], ID the id of the assertion that checks the claim");
            }
            let help = match crate::format::did_you_mean(&m.id, ids.iter().copied()) {
                Some(close) => format!("did you mean '{close}'?"),
                None if ids.is_empty() => format!(
                    "no assertion of this step has an id: give the one that checks this claim `id: {}`",
                    m.id
                ),
                None => format!(
                    "the step's assertion ids are {}; give the one that checks this claim `id: {}`",
                    ids.join(", "),
                    m.id
                ),
            };
            crate::scenario::Diagnostic::at(
                loc,
                format!("the header claims '{}', but no assertion has that id", m.id),
            )
            .with_help(help)
        })
        .collect()
}

/// A header's text with its claim markers as the course shows them: `[claim: a, b]` becomes
/// `[claim: `a`, `b`]`, the ids set as code so they read as the names in the verdict table.
fn claims_as_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(CLAIM_OPEN) {
        let inside = &rest[at + CLAIM_OPEN.len()..];
        let Some(close) = inside.find(']') else {
            break;
        };
        out.push_str(&rest[..at]);
        let ids: Vec<String> = inside[..close]
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(|id| format!("`{id}`"))
            .collect();
        out.push_str(&format!("[claim: {}]", ids.join(", ")));
        rest = &inside[close + 1..];
    }
    out.push_str(rest);
    out
}

/// A paragraph of a header as Markdown: a leading `Label:` in bold, `<` and `>` outside code
/// spans escaped (so `components.<cache>` is not read as an HTML tag), claim ids as code.
pub fn paragraph_markdown(paragraph: &str) -> String {
    let escaped = escape_outside_code(&claims_as_code(paragraph));
    let label_end = escaped.find(':').filter(|&i| {
        let label = &escaped[..i];
        i <= 40
            && label.starts_with(|c: char| c.is_ascii_uppercase())
            && label
                .chars()
                .all(|c| c.is_alphanumeric() || c == ' ' || c == ',' || c == '(' || c == ')')
    });
    match label_end {
        Some(i) => format!("**{}:**{}", &escaped[..i], &escaped[i + 1..]),
        None => escaped,
    }
}

fn escape_outside_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '<' if !in_code => out.push_str("&lt;"),
            '>' if !in_code => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// One course step run for the written course.
pub struct StepReport {
    pub step: Step,
    /// The file as the course names it (`scenarios/01-single-server.yaml`).
    pub file: String,
    pub stem: String,
    pub header: Header,
    /// The run's summary (its `summary.json`).
    pub summary: Summary,
    pub assertions: Vec<crate::assertions::Verdict>,
    /// Chart files shown, relative to the course's image folder (`01-single-server/x.svg`).
    pub images: Vec<String>,
}

/// Picks the charts a header asks for among those a run drew: `name.svg`, or its parts
/// `name-1.svg`, `name-2.svg`, ... Returns the files, or the names that match nothing.
pub fn pick_charts<'a>(
    wanted: &[String],
    drawn: &'a [crate::report::charts::Chart],
) -> Result<Vec<&'a crate::report::charts::Chart>, Vec<String>> {
    let mut picked = Vec::new();
    let mut missing = Vec::new();
    for name in wanted {
        let exact = format!("{name}.svg");
        let found: Vec<_> = match drawn.iter().find(|c| c.file == exact) {
            Some(c) => vec![c],
            None => drawn
                .iter()
                .filter(|c| {
                    c.file
                        .strip_prefix(name.as_str())
                        .and_then(|r| r.strip_prefix('-'))
                        .and_then(|r| r.strip_suffix(".svg"))
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                })
                .collect(),
        };
        if found.is_empty() {
            missing.push(name.clone());
        }
        picked.extend(found);
    }
    if missing.is_empty() {
        Ok(picked)
    } else {
        Err(missing)
    }
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| crate::format::percent(v, "-"))
}

fn ms(x: Option<f64>) -> String {
    x.map_or_else(
        || "-".to_string(),
        |v| crate::assertions::show(crate::assertions::Quantity::Latency, v),
    )
}

/// The headline figures of a run, as one Markdown table row's cells.
fn headline(summary: &Summary) -> [String; 5] {
    [
        summary.requests.total.to_string(),
        pct(summary.availability.written()),
        summary
            .throughput_rps
            .written()
            .map_or_else(|| "-".to_string(), |v| format!("{v:.1}/s")),
        ms(summary.latency_ms.p50.written()),
        ms(summary.latency_ms.p99.written()),
    ]
}

/// Markdown anchor of a heading, as GitHub makes it.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => Some(c),
            ' ' => Some('-'),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

fn heading(step: &StepReport) -> String {
    format!("Step {}: {}", step.step.label(), step.header.title)
}

fn cell(text: &str) -> String {
    escape_outside_code(text).replace('|', "\\|")
}

/// The written course: an index, then every step with its header, its figures, the verdicts
/// of its assertions and its charts. `images` is the folder of the charts, relative to the
/// document. Deterministic: the same runs give the same text.
pub fn markdown(steps: &[StepReport], images: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The workshop course: from one server to millions of users\n\n\
         <!-- Generated by `sim course` from real runs of the course scenarios: do not edit.\n     \
         Edit the scenarios' header comments and run `cargo run --release -- course`. -->\n\n\
         Each step is one scenario in `scenarios/`: run it with `sim run FILE`, open\n\
         `output/<step>/report.html`, and `sim explain FILE` says in plain words what it\n\
         simulates. Every step states what changed from the previous one, what to look at in the\n\
         charts, a question for the room and the answer the numbers give; each claim it makes\n\
         carries the id of the assertion that checks it (`[claim: id]`), and its `assert` section\n\
         checks them on every CI run (`sim check`), so the course cannot silently stop teaching\n\
         what it says. The figures and charts below come from the runs that generated\n\
         this page (the scenario's seed and duration).\n"
    );
    let _ = writeln!(
        out,
        "| step | scenario | requests | availability | throughput | p50 | p99 | claims checked |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---|");
    for s in steps {
        let [requests, availability, throughput, p50, p99] = headline(&s.summary);
        let passed = s.assertions.iter().filter(|v| v.passed).count();
        let _ = writeln!(
            out,
            "| [{}](#{}) | `{}` | {requests} | {availability} | {throughput} | {p50} | {p99} | {passed} of {} |",
            s.step.label(),
            anchor(&heading(s)),
            s.file,
            s.assertions.len()
        );
    }
    for s in steps {
        let _ = writeln!(out, "\n## {}\n", cell(&heading(s)));
        let _ = writeln!(out, "```sh\nsim run {}\n```\n", s.file);
        for p in &s.header.paragraphs {
            let _ = writeln!(out, "{}\n", paragraph_markdown(p));
        }
        let duration = s.summary.duration_s.written().unwrap_or(0.0);
        let warmup = s.summary.warmup_s.written().unwrap_or(0.0);
        let _ = writeln!(
            out,
            "**The numbers** (seed {}, {} simulated{}):\n",
            s.summary.seed,
            crate::format::clock(duration),
            if warmup > 0.0 {
                format!(
                    ", the first {} left out as warm-up",
                    crate::format::clock(warmup)
                )
            } else {
                String::new()
            }
        );
        let [requests, availability, throughput, p50, p99] = headline(&s.summary);
        let _ = writeln!(
            out,
            "| requests | availability | throughput | p50 | p99 |\n|---:|---:|---:|---:|---:|\n\
             | {requests} | {availability} | {throughput} | {p50} | {p99} |\n"
        );
        let lost: Vec<String> = s
            .summary
            .lost
            .iter()
            .filter(|(_, &n)| n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if !lost.is_empty() {
            let _ = writeln!(out, "Lost: {}.\n", lost.join(", "));
        }
        if let Some(slo) = &s.summary.slo {
            let _ = writeln!(
                out,
                "SLO: {} of requests within {}: {} ({}), error budget used {}.\n",
                pct(slo.target.written()),
                ms(slo.latency_ms.written()),
                pct(slo.good_fraction.written()),
                if slo.met { "met" } else { "missed" },
                pct(slo.error_budget.used.written()),
            );
        }
        if !s.assertions.is_empty() {
            let _ = writeln!(
                out,
                "**The claims, checked** (the scenario's `assert` section):\n\n| id | assertion | verdict | measured |\n|---|---|---|---|"
            );
            for v in &s.assertions {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} | {} |",
                    v.id.as_deref()
                        .map_or_else(String::new, |id| format!("`{id}`")),
                    v.text.replace('|', "\\|"),
                    if v.passed { "ok" } else { "**FAILED**" },
                    cell(&v.message)
                );
            }
            out.push('\n');
        }
        for image in &s.images {
            let name = image
                .rsplit('/')
                .next()
                .unwrap_or(image)
                .trim_end_matches(".svg");
            let _ = writeln!(out, "![{name}]({images}/{image})\n");
        }
    }
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_named_by_two_digits_an_optional_part_and_a_dash() {
        let s = |n: u32, p: &str| {
            Some(Step {
                number: n,
                part: p.into(),
            })
        };
        assert_eq!(Step::of("01-single-server"), s(1, ""));
        assert_eq!(Step::of("05b-cache-eviction"), s(5, "b"));
        assert_eq!(Step::of("13-capstone"), s(13, ""));
        assert_eq!(Step::of("1-x"), None);
        assert_eq!(Step::of("05-"), None);
        assert_eq!(Step::of("05bb-x"), None);
        assert_eq!(Step::of("retry-storm"), None);
        assert_eq!(Step::of("05B-x"), None);
        assert_eq!(s(5, "b").map(|s| s.label()).as_deref(), Some("5b"));
    }

    #[test]
    fn the_header_gives_title_paragraphs_and_charts() {
        let h = header(
            "# Step 2: separate tiers;\n# and a limit.\n#\n# What changed: a.\n# b <c>.\n#\n# Look at:\n# - x\n#   y\n#\n# Charts: utilisation, errors.svg\nname: x\n# not header\n",
        );
        assert_eq!(h.title, "separate tiers; and a limit.");
        assert_eq!(
            h.paragraphs,
            ["What changed: a.\nb <c>.", "Look at:\n- x\n  y"]
        );
        assert_eq!(h.charts, ["utilisation", "errors"]);
        assert_eq!(
            paragraph_markdown(&h.paragraphs[0]),
            "**What changed:** a.\nb &lt;c&gt;."
        );
        assert_eq!(
            paragraph_markdown("see `a <b>` and x: y"),
            "see `a <b>` and x: y"
        );
    }

    #[test]
    fn claim_markers_are_found_in_the_header_only() {
        let text = "# Step 1: x.\n#\n# a dip [claim: dip] and a bump [claim: bump, p99-x]\n# none [claim: ] or [claim: open\nname: x # [claim: after]\n";
        // A marker broken over two comment lines, as wrapped text breaks it.
        let wrapped = claim_markers("# a dip [claim:\n#   dip, bump]\n");
        assert_eq!(
            wrapped
                .iter()
                .map(|m| (m.id.as_str(), m.line, m.column))
                .collect::<Vec<_>>(),
            [("dip", 2, 5), ("bump", 2, 10)]
        );
        let found: Vec<(String, u64, u64)> = claim_markers(text)
            .into_iter()
            .map(|m| (m.id, m.line, m.column))
            .collect();
        assert_eq!(
            found,
            [
                ("dip".to_string(), 3, 17),
                ("bump".to_string(), 3, 41),
                ("p99-x".to_string(), 3, 47),
                (String::new(), 4, 8),
                (String::new(), 4, 21),
            ]
        );
        let errors = unmatched_claims(text, &["dip", "bump", "p99-y"]);
        assert_eq!(errors.len(), 3);
        assert_eq!(errors[0].help.as_deref(), Some("did you mean 'p99-y'?"));
        assert_eq!(
            claims_as_code("a [claim: x, y] b [claim: z]"),
            "a [claim: `x`, `y`] b [claim: `z`]"
        );
    }

    #[test]
    fn anchors_follow_github() {
        assert_eq!(
            anchor("Step 5b: which entry should a full cache throw away? LRU, LFU"),
            "step-5b-which-entry-should-a-full-cache-throw-away-lru-lfu"
        );
    }
}
