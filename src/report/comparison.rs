//! `sim compare`'s outputs (in the comparison directory): each design's full results in
//! `<label>/`, `comparison.json`, `comparison.csv`, `charts/*.svg` (overlaid latency CDFs, p99
//! and availability over time), `comparison.html`, and the terminal table.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::charts::{self, Series, TimeChart};
use super::data::{ReportData, SavedFiles};
use super::html::inline_svg;
use super::render::column_series;
use crate::format::escape;
use crate::output::file::put;
use crate::study::compare::{rows, stopped_by, stopped_note, Compared, Row};
use crate::study::replications::higher_is_better;

fn round6(x: f64) -> Value {
    if x.is_finite() {
        json!((x * 1e6).round() / 1e6)
    } else {
        Value::Null
    }
}

/// `comparison.json`.
pub fn to_json(designs: &[Compared], rows: &[Row]) -> Value {
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
                "assertions_passed": r.assertions.iter().filter(|v| v.passed).count(),
                "assertions_failed": r.assertions.iter().filter(|v| !v.passed).count(),
            })
        })
        .collect();
    let metrics: Vec<Value> = rows
        .iter()
        .map(|row| {
            let mut per: Map<String, Value> = Map::new();
            for (i, d) in designs.iter().enumerate() {
                let v = &row.values[i];
                let (delta, significant) = row.deltas[i];
                let base = row.values[0].mean;
                per.insert(
                    d.label.clone(),
                    json!({
                        "mean": round6(v.mean),
                        "ci_low": round6(v.low),
                        "ci_high": round6(v.high),
                        "delta": round6(delta),
                        "delta_relative": if base != 0.0 { round6(delta / base) } else { Value::Null },
                        "significant": significant,
                    }),
                );
            }
            json!({
                "metric": row.metric,
                "better": match higher_is_better(row.metric) {
                    Some(true) => "higher",
                    Some(false) => "lower",
                    None => "neither",
                },
                "designs": per,
                "winner": row.winner.map(|i| designs[i].label.clone()),
                "winner_significant": row.winner_significant,
            })
        })
        .collect();
    json!({
        "sim_version": env!("CARGO_PKG_VERSION"),
        "baseline": designs.first().map(|d| d.label.clone()),
        "replications": designs.first().map_or(0, |d| d.study.summaries.len()),
        "truncated": stopped_by(designs),
        "designs": list,
        "metrics": metrics,
    })
}

fn number(x: f64) -> String {
    if x.is_finite() {
        let r = (x * 1e6).round() / 1e6;
        format!("{r}")
    } else {
        String::new()
    }
}

/// `comparison.csv`: one row per (metric, design).
pub fn to_csv(designs: &[Compared], rows: &[Row]) -> String {
    let mut table = crate::output::csv::Table::new([
        "metric",
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
    for row in rows {
        for (i, d) in designs.iter().enumerate() {
            let v = &row.values[i];
            let (delta, significant) = row.deltas[i];
            let base = row.values[0].mean;
            table.row([
                row.metric.to_string(),
                d.label.clone(),
                number(v.mean),
                number(v.low),
                number(v.high),
                number(delta),
                if base != 0.0 {
                    number(delta / base)
                } else {
                    String::new()
                },
                significant.map_or(String::new(), |s| s.to_string()),
                (row.winner == Some(i)).to_string(),
                d.study.result.truncated.clone().unwrap_or_default(),
            ]);
        }
    }
    table.finish()
}

/// A figure for the terminal and the page.
fn shown(metric: &str, x: f64) -> String {
    if !x.is_finite() {
        return "-".to_string();
    }
    if metric.ends_with("_ms") {
        format!("{x:.2}ms")
    } else if metric == "availability" || metric == "slo_good_fraction" {
        format!("{:.4}%", x * 100.0)
    } else if metric.ends_with("_rps") {
        format!("{x:.1}/s")
    } else {
        format!("{x:.1}")
    }
}

fn delta_text(metric: &str, row: &Row, i: usize) -> String {
    if i == 0 {
        return "baseline".to_string();
    }
    let (delta, significant) = row.deltas[i];
    let base = row.values[0].mean;
    let sign = if delta >= 0.0 { "+" } else { "" };
    let relative = if base != 0.0 && delta.is_finite() {
        format!(" ({sign}{:.1}%)", delta / base * 100.0)
    } else {
        String::new()
    };
    let value = if metric == "availability" || metric == "slo_good_fraction" {
        format!("{sign}{:.4} pts", delta * 100.0)
    } else {
        format!("{sign}{}", shown(metric, delta))
    };
    let mark = match significant {
        Some(true) => " *",
        Some(false) => " (n.s.)",
        None => "",
    };
    format!("{value}{relative}{mark}")
}

fn winner_text(designs: &[Compared], row: &Row) -> String {
    match (row.winner, row.winner_significant) {
        (None, _) => "-".to_string(),
        (Some(i), Some(false)) => format!("{} (n.s.)", designs[i].label),
        (Some(i), _) => designs[i].label.clone(),
    }
}

/// The terminal table: figure, each design's value (with its delta to the baseline), winner.
pub fn table(designs: &[Compared], rows: &[Row]) -> String {
    let mut out = String::new();
    let width = designs
        .iter()
        .map(|d| d.label.chars().count())
        .max()
        .unwrap_or(0)
        .max(30);
    let _ = write!(out, "{:<18}", "metric");
    for d in designs {
        let _ = write!(out, " {:>width$}", d.label);
    }
    let _ = writeln!(out, "  winner");
    for row in rows {
        let _ = write!(out, "{:<18}", row.metric);
        for (i, v) in row.values.iter().enumerate() {
            let cell = if i == 0 {
                shown(row.metric, v.mean)
            } else {
                format!(
                    "{} {}",
                    shown(row.metric, v.mean),
                    delta_text(row.metric, row, i)
                )
            };
            let _ = write!(out, " {cell:>width$}");
        }
        let _ = writeln!(out, "  {}", winner_text(designs, row));
    }
    if designs.first().is_some_and(|d| d.study.summaries.len() > 1) {
        out.push_str(
            "* significant at 95% (paired t interval over the replications); n.s.: not significant\n",
        );
    }
    if let Some(note) = stopped_note(designs) {
        let _ = writeln!(out, "{note}");
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
fn page(designs: &[Compared], rows: &[Row], charts: &[(String, String, String)]) -> String {
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
    let replications = designs.first().map_or(1, |d| d.study.summaries.len());
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
    out.push_str("<section id=\"metrics\">\n<h2>Headline figures</h2>\n<div class=\"table-wrap\"><table>\n<thead><tr><th scope=\"col\" class=\"text\">metric</th>");
    for d in designs {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(&d.label));
    }
    out.push_str("<th scope=\"col\" class=\"text\">winner</th></tr></thead>\n<tbody>\n");
    for row in rows {
        let _ = write!(
            out,
            "<tr><th scope=\"row\" class=\"text\">{}</th>",
            escape(row.metric)
        );
        for (i, v) in row.values.iter().enumerate() {
            let interval = if replications > 1 {
                format!(" ± {}", shown(row.metric, v.half_width))
            } else {
                String::new()
            };
            let delta = if i == 0 {
                String::new()
            } else {
                format!("<br>{}", escape(&delta_text(row.metric, row, i)))
            };
            let _ = write!(
                out,
                "<td>{}{}{delta}</td>",
                escape(&shown(row.metric, v.mean)),
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
    if replications > 1 {
        out.push_str("<p>± is the half-width of the 95% confidence interval over the replications; * marks a difference to the baseline that is significant at 95% (paired t interval, common random numbers); n.s.: not significant.</p>\n");
    }
    out.push_str("</section>\n<section id=\"charts\">\n<h2>Charts</h2>\n");
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
/// comparison's files.
pub fn write(designs: &[Compared], dir: &Path) -> std::io::Result<Vec<Row>> {
    let mut data = Vec::with_capacity(designs.len());
    for d in designs {
        let sub = dir.join(&d.label);
        crate::report::write_outputs(&d.study.result, &sub)?;
        let files = SavedFiles::of(&d.study.result).map_err(std::io::Error::other)?;
        data.push(ReportData::parse(&files, &sub).map_err(std::io::Error::other)?);
    }
    let rows = rows(designs);
    let mut json_text =
        serde_json::to_string_pretty(&to_json(designs, &rows)).map_err(std::io::Error::other)?;
    json_text.push('\n');
    put(&dir.join("comparison.json"), json_text.as_bytes())?;
    put(
        &dir.join("comparison.csv"),
        to_csv(designs, &rows).as_bytes(),
    )?;
    let charts = comparison_charts(designs, &data).map_err(std::io::Error::other)?;
    let chart_dir = dir.join("charts");
    for (file, _, svg) in &charts {
        put(&chart_dir.join(file), svg.as_bytes())?;
    }
    put(
        &dir.join("comparison.html"),
        page(designs, &rows, &charts).as_bytes(),
    )?;
    Ok(rows)
}
