//! `sim compare`'s outputs (in the comparison directory): each design's full results in
//! `<label>/`, `comparison.json`, `comparison.csv`, `comparison-assertions.csv`, `charts/*.svg`
//! (overlaid latency CDFs, p99 and availability over time), `comparison.html`, the terminal
//! table and, on request, JUnit XML of each design's assertions.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::charts::{self, Series, TimeChart};
use super::data::{ReportData, SavedFiles};
use super::html::inline_svg;
use super::render::column_series;
use crate::format::{data_cell, escape};
use crate::output::file::put;
use crate::scenario::validate::HeadlineFigure;
use crate::study::compare::{
    compare, higher_is_better, show, stopped_by, stopped_note, Compared, Comparison, Row, Unit,
    Winner, SUGGESTED_REPLICATIONS,
};

fn round6(x: f64) -> Value {
    if x.is_finite() {
        json!((x * 1e6).round() / 1e6)
    } else {
        Value::Null
    }
}

fn better_name(metric: &str) -> &'static str {
    match higher_is_better(metric) {
        Some(true) => "higher",
        Some(false) => "lower",
        None => "neither",
    }
}

/// The winner column: a design, or why there is none.
fn winner_text(designs: &[Compared], row: &Row) -> String {
    match row.winner {
        Winner::NotApplicable => "-".to_string(),
        Winner::Stopped => "- (stopped early)".to_string(),
        Winner::Tie => "tie".to_string(),
        Winner::Unknown => "unknown (1 run)".to_string(),
        Winner::NotSignificant => "none (n.s.)".to_string(),
        Winner::Design(i) => designs[i].label.clone(),
    }
}

/// A design's assertions as `comparison.json` lists them.
fn assertions_json(d: &Compared) -> Vec<Value> {
    d.study
        .result
        .assertions
        .iter()
        .map(|v| {
            json!({
                "assert": v.text,
                "passed": v.passed,
                "expected": !v.passed && d.expected_to_fail,
                "value": v.value.map_or(Value::Null, round6),
                "limit": round6(v.limit),
                "judged_on": v.judged_on,
                "message": v.message,
            })
        })
        .collect()
}

/// `comparison.json`.
pub fn to_json(designs: &[Compared], cmp: &Comparison) -> Value {
    let list: Vec<Value> = designs
        .iter()
        .map(|d| {
            let r = &d.study.result;
            json!({
                "label": d.label,
                "scenario": r.scenario,
                "scenario_sha256": r.scenario_sha256,
                "overrides": r.overrides,
                "seeds": d.study.summaries.iter().map(|s| s.seed).collect::<Vec<_>>(),
                "truncated": r.truncated.is_some(),
                "expected_to_fail": d.expected_to_fail,
                "assertions_passed": r.assertions.iter().filter(|v| v.passed).count(),
                "assertions_failed": r.assertions.iter().filter(|v| !v.passed).count(),
                "assertions": assertions_json(d),
            })
        })
        .collect();
    let metrics: Vec<Value> = cmp
        .rows
        .iter()
        .map(|row| {
            let mut per: Map<String, Value> = Map::new();
            for (i, d) in designs.iter().enumerate() {
                let value = match (row.values[i], row.deltas[i]) {
                    (Some(v), delta) => {
                        let base = row.mean(0).unwrap_or(f64::NAN);
                        let (delta, significant) = delta.unwrap_or((f64::NAN, None));
                        json!({
                            "mean": round6(v.mean),
                            "ci_low": round6(v.low),
                            "ci_high": round6(v.high),
                            "delta": round6(delta),
                            "delta_relative": if base != 0.0 { round6(delta / base) } else { Value::Null },
                            "significant": significant,
                        })
                    }
                    (None, _) => Value::Null,
                };
                per.insert(d.label.clone(), value);
            }
            json!({
                "metric": row.metric,
                "headline": row.headline,
                "count": row.unit == Unit::Count,
                "better": better_name(&row.metric),
                "designs": per,
                "winner": match row.winner {
                    Winner::Design(i) => Value::from(designs[i].label.clone()),
                    _ => Value::Null,
                },
                "winner_note": winner_text(designs, row),
            })
        })
        .collect();
    json!({
        "sim_version": env!("CARGO_PKG_VERSION"),
        "baseline": designs.first().map(|d| d.label.clone()),
        "replications": cmp.replications,
        "truncated": stopped_by(designs),
        "designs": list,
        "metrics": metrics,
        "equal_in_every_design": cmp.equal,
        "verdicts": verdicts(designs, cmp),
    })
}

/// `comparison.csv`: one row per (metric, design); a design without the figure has empty
/// cells.
pub fn to_csv(designs: &[Compared], cmp: &Comparison) -> String {
    let mut table = crate::output::csv::Table::new([
        "metric",
        "headline",
        "design",
        "mean",
        "ci_low",
        "ci_high",
        "delta",
        "delta_relative",
        "significant",
        "winner",
        "truncated",
    ]);
    for row in &cmp.rows {
        let winner = match row.winner {
            Winner::NotApplicable => String::new(),
            _ => winner_text(designs, row),
        };
        for (i, d) in designs.iter().enumerate() {
            let (mean, low, high) =
                row.values[i].map_or((f64::NAN, f64::NAN, f64::NAN), |v| (v.mean, v.low, v.high));
            let (delta, significant) = row.deltas[i].unwrap_or((f64::NAN, None));
            let base = row.mean(0).unwrap_or(f64::NAN);
            table.row([
                row.metric.clone(),
                row.headline.to_string(),
                d.label.clone(),
                data_cell(mean),
                data_cell(low),
                data_cell(high),
                data_cell(delta),
                if base != 0.0 {
                    data_cell(delta / base)
                } else {
                    String::new()
                },
                significant.map_or(String::new(), |s| s.to_string()),
                winner.clone(),
                d.study.result.truncated.clone().unwrap_or_default(),
            ]);
        }
    }
    table.finish()
}

/// `comparison-assertions.csv`: one row per (design, assertion).
pub fn assertions_csv(designs: &[Compared]) -> String {
    let mut table = crate::output::csv::Table::new([
        "design",
        "assertion",
        "passed",
        "expected_to_fail",
        "value",
        "limit",
        "judged_on",
        "message",
    ]);
    for d in designs {
        for v in &d.study.result.assertions {
            table.row([
                d.label.clone(),
                v.text.clone(),
                v.passed.to_string(),
                d.expected_to_fail.to_string(),
                v.value.map_or(String::new(), data_cell),
                data_cell(v.limit),
                v.judged_on.clone(),
                v.message.clone(),
            ]);
        }
    }
    table.finish()
}

/// JUnit XML of every design's assertions: one suite per design; a design meant to fail has
/// its failures written as skipped.
pub fn junit(designs: &[Compared]) -> String {
    let suites: Vec<super::junit::Suite> = designs
        .iter()
        .map(|d| super::junit::Suite {
            name: d.label.clone(),
            file: d.study.result.scenario.clone(),
            properties: super::junit::properties(&d.study.result),
            outcome: super::junit::SuiteOutcome::Ran(d.study.result.assertions.clone()),
            expected_to_fail: d.expected_to_fail,
        })
        .collect();
    super::junit::to_xml(&suites)
}

fn delta_text(row: &Row, i: usize) -> String {
    if i == 0 {
        return "baseline".to_string();
    }
    let Some((delta, significant)) = row.deltas[i] else {
        return String::new();
    };
    let base = row.mean(0).unwrap_or(f64::NAN);
    let sign = if delta >= 0.0 { "+" } else { "" };
    let relative = if base != 0.0 && delta.is_finite() {
        format!(" ({sign}{:.1}%)", delta / base * 100.0)
    } else {
        String::new()
    };
    let value = if row.unit == Unit::Ratio {
        format!("{sign}{:.4} pts", delta * 100.0)
    } else {
        format!("{sign}{}", show(row.unit, delta))
    };
    let mark = match significant {
        Some(true) => " *",
        Some(false) => " (n.s.)",
        None => "",
    };
    format!("{value}{relative}{mark}")
}

fn value_text(row: &Row, i: usize) -> String {
    row.mean(i).map_or("-".to_string(), |m| show(row.unit, m))
}

/// One line per headline figure, in the style of hyperfine's summary: the best design (or the
/// baseline, for a figure with no better direction), then every other design against it, with
/// its ratio and paired interval when there are replications, and whether the difference is
/// significant.
pub fn verdicts(designs: &[Compared], cmp: &Comparison) -> Vec<String> {
    let n = cmp.replications;
    let mut out = Vec::new();
    for row in cmp.rows.iter().filter(|r| r.headline) {
        let labels = |set: &[usize]| {
            set.iter()
                .map(|&i| designs[i].label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if row.values.iter().all(Option::is_none) {
            out.push(format!("{}: no design has a value", row.metric));
            continue;
        }
        let shown: Vec<String> = (0..designs.len()).map(|i| value_text(row, i)).collect();
        if shown.windows(2).all(|w| w[0] == w[1]) && n < 2 {
            out.push(format!("{}: {} in every design", row.metric, shown[0]));
            continue;
        }
        let best = row.best();
        let (reference, lead) = match higher_is_better(&row.metric) {
            Some(higher) if !best.is_empty() => (
                best.clone(),
                format!(
                    "{}, {}: {}",
                    row.metric,
                    if higher { "highest" } else { "lowest" },
                    labels(&best)
                ),
            ),
            _ => (vec![0], format!("{}: {}", row.metric, designs[0].label)),
        };
        let r = reference[0];
        let others: Vec<String> = (0..designs.len())
            .filter(|i| !reference.contains(i))
            .map(|i| {
                let mut text = format!("{} ({}", shown[i], designs[i].label);
                if n >= 2 {
                    if let Some(ci) = row.paired(r, i) {
                        let base = row.mean(r).unwrap_or(f64::NAN);
                        if base != 0.0 && row.unit != Unit::Ratio && base.is_finite() {
                            let _ = write!(
                                text,
                                ": {:.3}x ± {:.3}",
                                1.0 + ci.mean / base,
                                ci.half_width / base.abs()
                            );
                        } else {
                            let sign = if ci.mean >= 0.0 { "+" } else { "" };
                            let _ = write!(
                                text,
                                ": {sign}{} ± {}",
                                show(row.unit, ci.mean),
                                show(row.unit, ci.half_width)
                            );
                        }
                        let sig = crate::study::compare::significant(&ci);
                        text.push_str(if sig == Some(true) {
                            ", significant"
                        } else {
                            ", not significant"
                        });
                    }
                }
                text.push(')');
                text
            })
            .collect();
        let tail = if n >= 2 {
            format!(" at {n} replications")
        } else if !best.is_empty() {
            "; 1 run per design: significance unknown".to_string()
        } else {
            String::new()
        };
        let versus = if others.is_empty() {
            String::new()
        } else {
            format!(" vs {}", others.join(", "))
        };
        out.push(format!("{lead} {}{versus}{tail}", shown[r]));
    }
    out
}

/// The line saying what a comparison of one run per design cannot say.
fn one_run_note() -> String {
    format!(
        "1 run per design: no winner is declared (a significance test needs at least 2 replications, paired by seed; run with --replications {SUGGESTED_REPLICATIONS})"
    )
}

/// A design's assertion verdicts in one cell: "ok", "FAILED", "FAILED (expected)".
fn assertion_cell(d: &Compared, index: usize) -> String {
    match d.study.result.assertions.get(index) {
        None => "-".to_string(),
        Some(v) if v.passed => "ok".to_string(),
        Some(_) if d.expected_to_fail => "FAILED (expected)".to_string(),
        Some(_) => "FAILED".to_string(),
    }
}

/// The assertions as written (every design checks the same list when they come from one file;
/// designs from several files may differ, so each design's own list is read by index).
fn assertion_texts(designs: &[Compared]) -> Vec<String> {
    let mut texts: Vec<String> = Vec::new();
    for d in designs {
        for (i, v) in d.study.result.assertions.iter().enumerate() {
            if texts.get(i).is_none() {
                texts.push(v.text.clone());
            }
        }
    }
    texts
}

/// The terminal table: figure, each design's value (with its delta to the baseline), winner;
/// then the headline verdicts and each design's assertions.
pub fn table(designs: &[Compared], cmp: &Comparison) -> String {
    let mut out = String::new();
    let width = designs
        .iter()
        .map(|d| d.label.chars().count())
        .max()
        .unwrap_or(0)
        .max(30);
    let name_width = cmp
        .rows
        .iter()
        .map(|r| r.metric.chars().count())
        .max()
        .unwrap_or(0)
        .max(18);
    let _ = write!(out, "{:<name_width$}", "metric");
    for d in designs {
        let _ = write!(out, " {:>width$}", d.label);
    }
    let _ = writeln!(out, "  winner");
    let headline = cmp.rows.iter().any(|r| r.headline);
    for (k, row) in cmp.rows.iter().enumerate() {
        if headline && (k == 0 || cmp.rows[k - 1].headline != row.headline) {
            let _ = writeln!(
                out,
                "{}",
                if row.headline {
                    "-- headline (compare.headline) --"
                } else {
                    "-- other figures that differ --"
                }
            );
        }
        let _ = write!(out, "{:<name_width$}", row.metric);
        for i in 0..designs.len() {
            let cell = if i == 0 || row.values[i].is_none() {
                value_text(row, i)
            } else {
                format!("{} {}", value_text(row, i), delta_text(row, i))
            };
            let _ = write!(out, " {cell:>width$}");
        }
        let _ = writeln!(out, "  {}", winner_text(designs, row));
    }
    if !cmp.equal.is_empty() {
        let _ = writeln!(
            out,
            "{} figure{} equal in every design not shown (listed in comparison.json)",
            cmp.equal.len(),
            if cmp.equal.len() == 1 { "" } else { "s" }
        );
    }
    if cmp.replications > 1 {
        out.push_str(
            "* significant at 95% (paired t interval over the replications); n.s.: not significant\n",
        );
    } else {
        let _ = writeln!(out, "{}", one_run_note());
    }
    if let Some(note) = stopped_note(designs) {
        let _ = writeln!(out, "{note}");
    }
    let lines = verdicts(designs, cmp);
    if !lines.is_empty() {
        out.push_str("\nverdicts:\n");
        for line in lines {
            let _ = writeln!(out, "  {line}");
        }
    }
    let texts = assertion_texts(designs);
    if !texts.is_empty() {
        let aw = texts
            .iter()
            .map(|t| t.chars().count())
            .max()
            .unwrap_or(0)
            .max(18);
        let _ = write!(out, "\n{:<aw$}", "assertions");
        for d in designs {
            let _ = write!(out, " {:>width$}", d.label);
        }
        out.push('\n');
        for (i, text) in texts.iter().enumerate() {
            let _ = write!(out, "{text:<aw$}");
            for d in designs {
                let _ = write!(out, " {:>width$}", assertion_cell(d, i));
            }
            out.push('\n');
        }
        for d in designs {
            for v in d.study.result.assertions.iter().filter(|v| !v.passed) {
                let _ = writeln!(
                    out,
                    "  {}{}: {}: {}",
                    d.label,
                    if d.expected_to_fail {
                        " (expected to fail)"
                    } else {
                        ""
                    },
                    v.text,
                    v.message
                );
            }
        }
    }
    out
}

/// The comparison charts: overlaid latency CDFs, p99 and availability over time.
fn comparison_charts(
    designs: &[Compared],
    data: &[ReportData],
) -> Result<Vec<(String, String, String)>, charts::ChartError> {
    let shown: Vec<usize> = (0..designs.len().min(charts::MAX_SERIES)).collect();
    let mut out = Vec::new();
    let curves: Vec<Series> = shown
        .iter()
        .map(|&i| Series {
            name: designs[i].label.clone(),
            points: data[i].extra.latency_cdf_ms.clone(),
        })
        .collect();
    out.push((
        "latency-cdf.svg".to_string(),
        "Latency distribution".to_string(),
        charts::cdf_curves_chart("Latency distribution", &curves, &[], true)?,
    ));
    let end = data.iter().map(ReportData::end_s).fold(0.0, f64::max);
    for (file, title, column, y_label, unit, scale) in [
        (
            "p99.svg",
            "p99 latency over time",
            "latency_p99_ms",
            "p99 latency",
            "ms",
            1.0,
        ),
        (
            "availability.svg",
            "Availability over time",
            "availability",
            "succeeded / finished",
            "%",
            100.0,
        ),
    ] {
        let series: Vec<Series> = shown
            .iter()
            .filter_map(|&i| column_series(&data[i], &designs[i].label, column, scale, false))
            .collect();
        let spec = TimeChart::new(title, y_label, unit, series, end);
        out.push((
            file.to_string(),
            title.to_string(),
            charts::time_chart(&spec)?,
        ));
    }
    Ok(out)
}

/// The comparison page.
fn page(designs: &[Compared], cmp: &Comparison, charts: &[(String, String, String)]) -> String {
    let mut out = String::new();
    let mut title = designs
        .iter()
        .map(|d| d.label.as_str())
        .collect::<Vec<_>>()
        .join(" vs ");
    let stopped = stopped_note(designs);
    if stopped.is_some() {
        title = format!("STOPPED EARLY: {title}");
    }
    super::page::open(
        &mut out,
        &title,
        "sim comparison",
        env!("CARGO_PKG_VERSION"),
    );
    let replications = cmp.replications;
    let seeds = designs.first().map_or(String::new(), |d| {
        d.study
            .summaries
            .iter()
            .map(|s| s.seed.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    });
    let _ = writeln!(
        out,
        "<p class=\"meta\"><span>common random numbers: seeds {}</span><span>{} replication{}</span>\
         <span>baseline {}</span></p>\n{}</header>",
        escape(&seeds),
        replications,
        if replications == 1 { "" } else { "s" },
        escape(designs.first().map_or("", |d| d.label.as_str())),
        stopped.map_or(String::new(), |note| format!(
            "<p class=\"fail\" role=\"alert\">{}.</p>\n",
            escape(&note)
        ))
    );
    out.push_str("<section id=\"designs\">\n<h2>Designs</h2>\n<div class=\"table-wrap\"><table>\n<thead><tr><th scope=\"col\" class=\"text\">design</th><th scope=\"col\" class=\"text\">scenario</th><th scope=\"col\" class=\"text\">overrides</th><th scope=\"col\" class=\"text\">assertions</th></tr></thead>\n<tbody>\n");
    for d in designs {
        let r = &d.study.result;
        let failed = r.assertions.iter().filter(|v| !v.passed).count();
        let assertions = if r.assertions.is_empty() {
            "-".to_string()
        } else if failed == 0 {
            format!("all {} passed", r.assertions.len())
        } else if d.expected_to_fail {
            format!("{failed} of {} FAILED (expected)", r.assertions.len())
        } else {
            format!("{failed} of {} FAILED", r.assertions.len())
        };
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\" class=\"text\"><a href=\"{0}/report.html\">{0}</a></th><td class=\"text\">{1}</td><td class=\"text\">{2}</td><td class=\"text\">{3}</td></tr>",
            escape(&d.label),
            escape(&r.scenario),
            escape(&r.overrides.join(", ")),
            escape(&assertions)
        );
    }
    out.push_str("</tbody></table></div>\n</section>\n");
    let lines = verdicts(designs, cmp);
    if !lines.is_empty() {
        out.push_str("<section id=\"verdicts\">\n<h2>Verdicts</h2>\n<ul>\n");
        for line in &lines {
            let _ = writeln!(out, "<li>{}</li>", escape(line));
        }
        out.push_str("</ul>\n</section>\n");
    }
    out.push_str("<section id=\"metrics\">\n<h2>Figures that differ</h2>\n<div class=\"table-wrap\"><table>\n<thead><tr><th scope=\"col\" class=\"text\">metric</th>");
    for d in designs {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(&d.label));
    }
    out.push_str("<th scope=\"col\" class=\"text\">winner</th></tr></thead>\n<tbody>\n");
    for row in &cmp.rows {
        let _ = write!(
            out,
            "<tr><th scope=\"row\" class=\"text\">{}{}</th>",
            escape(&row.metric),
            if row.headline { " (headline)" } else { "" }
        );
        for (i, v) in row.values.iter().enumerate() {
            let interval = match v {
                Some(v) if replications > 1 => format!(" ± {}", show(row.unit, v.half_width)),
                _ => String::new(),
            };
            let delta = if i == 0 || v.is_none() {
                String::new()
            } else {
                format!("<br>{}", escape(&delta_text(row, i)))
            };
            let _ = write!(
                out,
                "<td>{}{}{delta}</td>",
                escape(&value_text(row, i)),
                escape(&interval)
            );
        }
        let _ = writeln!(
            out,
            "<td class=\"text\">{}</td></tr>",
            escape(&winner_text(designs, row))
        );
    }
    out.push_str("</tbody></table></div>\n");
    if !cmp.equal.is_empty() {
        let _ = writeln!(
            out,
            "<p>{} figure{} equal in every design not shown: {}.</p>",
            cmp.equal.len(),
            if cmp.equal.len() == 1 { "" } else { "s" },
            escape(&cmp.equal.join(", "))
        );
    }
    if replications > 1 {
        out.push_str("<p>± is the half-width of the 95% confidence interval over the replications; * marks a difference to the baseline that is significant at 95% (paired t interval, common random numbers); n.s.: not significant. A winner is named only when it is significantly better than the runner-up.</p>\n");
    } else {
        let _ = writeln!(out, "<p>{}.</p>", escape(&one_run_note()));
    }
    out.push_str("</section>\n");
    let texts = assertion_texts(designs);
    if !texts.is_empty() {
        out.push_str("<section id=\"assertions\">\n<h2>Assertions</h2>\n<div class=\"table-wrap\"><table>\n<thead><tr><th scope=\"col\" class=\"text\">assertion</th>");
        for d in designs {
            let _ = write!(
                out,
                "<th scope=\"col\" class=\"text\">{}</th>",
                escape(&d.label)
            );
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for (i, text) in texts.iter().enumerate() {
            let _ = write!(
                out,
                "<tr><th scope=\"row\" class=\"text\">{}</th>",
                escape(text)
            );
            for d in designs {
                let cell = assertion_cell(d, i);
                let class = if cell == "FAILED" {
                    "text fail"
                } else {
                    "text"
                };
                let title = d
                    .study
                    .result
                    .assertions
                    .get(i)
                    .map_or(String::new(), |v| v.message.clone());
                let _ = write!(
                    out,
                    "<td class=\"{class}\" title=\"{}\">{}</td>",
                    escape(&title),
                    escape(&cell)
                );
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table></div>\n<ul>\n");
        for d in designs {
            for v in d.study.result.assertions.iter().filter(|v| !v.passed) {
                let _ = writeln!(
                    out,
                    "<li>{}{}: {}: {}</li>",
                    escape(&d.label),
                    if d.expected_to_fail {
                        " (expected to fail)"
                    } else {
                        ""
                    },
                    escape(&v.text),
                    escape(&v.message)
                );
            }
        }
        out.push_str("</ul>\n</section>\n");
    }
    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    for (file, title, svg) in charts {
        let id = file.trim_end_matches(".svg");
        let _ = writeln!(
            out,
            "<figure>{}<figcaption><strong>{}.</strong> One line per design (the first replication).</figcaption>\n</figure>",
            inline_svg(svg, id),
            escape(title)
        );
    }
    out.push_str("</section>\n");
    super::page::close(
        &mut out,
        &format!(
            "Generated by sim {} (sim compare).",
            env!("CARGO_PKG_VERSION")
        ),
    );
    out
}

/// Writes every output of the comparison into `dir`, a folder being prepared (see
/// [`crate::output::OutputFolder`]): each design's run outputs in a folder of its own, then the
/// comparison's files. `headline` is what the scenarios' `compare.headline` names.
pub fn write(
    designs: &[Compared],
    headline: &[HeadlineFigure],
    dir: &Path,
) -> std::io::Result<Comparison> {
    let mut data = Vec::with_capacity(designs.len());
    for d in designs {
        let sub = dir.join(&d.label);
        crate::report::write_outputs(&d.study.result, &sub)?;
        let files = SavedFiles::of(&d.study.result).map_err(std::io::Error::other)?;
        data.push(ReportData::parse(&files, &sub).map_err(std::io::Error::other)?);
    }
    let cmp = compare(designs, headline);
    let mut json_text =
        serde_json::to_string_pretty(&to_json(designs, &cmp)).map_err(std::io::Error::other)?;
    json_text.push('\n');
    put(&dir.join("comparison.json"), json_text.as_bytes())?;
    put(
        &dir.join("comparison.csv"),
        to_csv(designs, &cmp).as_bytes(),
    )?;
    put(
        &dir.join("comparison-assertions.csv"),
        assertions_csv(designs).as_bytes(),
    )?;
    let charts = comparison_charts(designs, &data).map_err(std::io::Error::other)?;
    let chart_dir = dir.join("charts");
    for (file, _, svg) in &charts {
        put(&chart_dir.join(file), svg.as_bytes())?;
    }
    put(
        &dir.join("comparison.html"),
        page(designs, &cmp, &charts).as_bytes(),
    )?;
    Ok(cmp)
}
