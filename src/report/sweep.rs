//! `sim sweep`'s outputs: `sweep.json`, `sweep.csv`, `charts/*.svg` and `sweep.html`.

use std::fmt::Write as _;
use std::path::Path;

use super::charts::{self, Series};
use super::html::inline_svg;
use crate::format::{escape, tick};
use crate::output::file::put;
use crate::study::sweep::{split_number, Meta, Param, Record};

fn number(x: Option<f64>) -> String {
    x.map_or(String::new(), |x| format!("{x}"))
}

/// `sweep.csv`: one row per point: its parameters, each figure's mean (and 95% half-width with
/// replications), the assertions passed, and why it stopped early.
pub fn to_csv(meta: &Meta, records: &[Record]) -> String {
    let figures: Vec<&String> = records
        .first()
        .map(|r| r.figures.keys().collect())
        .unwrap_or_default();
    let mut header = vec!["point".to_string()];
    header.extend(meta.params.iter().map(|p| p.path.clone()));
    for f in &figures {
        header.push(f.to_string());
        if meta.replications > 1 {
            header.push(format!("{f}_ci95"));
        }
    }
    header.extend(["assertions_passed", "assertions_total", "truncated"].map(String::from));
    let mut table = crate::output::csv::Table::new(header);
    for r in records {
        let mut cells = vec![r.index.to_string()];
        cells.extend(r.params.iter().cloned());
        for f in &figures {
            let (mean, half) = r.figures.get(f.as_str()).copied().unwrap_or((None, None));
            cells.push(number(mean));
            if meta.replications > 1 {
                cells.push(number(half));
            }
        }
        cells.push(r.assertions_passed.to_string());
        cells.push(r.assertions_total.to_string());
        cells.push(r.truncated.clone().unwrap_or_default());
        table.row(cells);
    }
    table.finish()
}

/// The x coordinate of a parameter value: its number when every value has one, else its
/// position.
fn x_of(param: &Param, value: usize) -> f64 {
    let numeric: Option<Vec<f64>> = param
        .values
        .iter()
        .map(|v| split_number(v).map(|(x, _)| x))
        .collect();
    numeric.map_or(value as f64, |xs| xs[value])
}

/// Figures drawn against the parameters (and shown in the page's table), with the factor that
/// turns `sweep.csv`'s value into the unit of the label: availability is a fraction in the
/// data files, a percentage wherever a person reads it.
const CHARTED: [(&str, &str, f64); 4] = [
    ("latency_p99_ms", "p99 latency [ms]", 1.0),
    ("latency_mean_ms", "mean latency [ms]", 1.0),
    ("availability", "availability [%]", 100.0),
    ("throughput_rps", "throughput [req/s]", 1.0),
];

/// The sweep charts: each charted figure against the first parameter (one line per value of
/// the second, up to the palette's size), and for two parameters a heat map of each.
fn sweep_charts(
    meta: &Meta,
    records: &[Record],
) -> Result<Vec<(String, String)>, charts::ChartError> {
    let mut out = Vec::new();
    let Some(first) = meta.params.first() else {
        return Ok(out);
    };
    if meta.params.len() > 2 {
        return Ok(out);
    }
    let index_of = |r: &Record, k: usize| {
        meta.params[k]
            .values
            .iter()
            .position(|v| *v == r.params[k])
            .unwrap_or(0)
    };
    let second = meta.params.get(1);
    for (figure, label, scale) in CHARTED {
        let groups = second.map_or(1, |p| p.values.len().min(charts::MAX_SERIES));
        let series: Vec<Series> = (0..groups)
            .map(|g| Series {
                name: second.map_or(String::new(), |p| format!("{} = {}", p.path, p.values[g])),
                points: records
                    .iter()
                    .filter(|r| second.is_none() || index_of(r, 1) == g)
                    .map(|r| (x_of(first, index_of(r, 0)), r.mean(figure) * scale))
                    .collect(),
            })
            .collect();
        let title = format!("{label} against {}", first.path);
        out.push((
            format!("{figure}.svg"),
            charts::xy_chart(&title, &first.path, label, &series)?,
        ));
        if let Some(second) = second {
            let mut cells = vec![vec![f64::NAN; first.values.len()]; second.values.len()];
            for r in records {
                cells[index_of(r, 1)][index_of(r, 0)] = r.mean(figure) * scale;
            }
            let title = format!("{label} by {} and {}", first.path, second.path);
            out.push((
                format!("{figure}-heatmap.svg"),
                charts::heat_map(
                    &title,
                    &first.path,
                    &first.values,
                    &second.path,
                    &second.values,
                    &cells,
                )?,
            ));
        }
    }
    Ok(out)
}

fn page(meta: &Meta, records: &[Record], charts: &[(String, String)], interrupted: bool) -> String {
    let mut out = String::new();
    let title = if interrupted {
        format!("INTERRUPTED: {} sweep", meta.scenario)
    } else {
        format!("{} sweep", meta.scenario)
    };
    super::page::open(&mut out, &title, "sim", env!("CARGO_PKG_VERSION"));
    let params: Vec<String> = meta
        .params
        .iter()
        .map(|p| format!("{} = {}", p.path, p.values.join(", ")))
        .collect();
    let _ = writeln!(
        out,
        "<p class=\"meta\"><span>seed {}</span><span>{} replication(s) per point</span><span>{} of {} points</span>{}</p>\n<p>{}</p>\n</header>",
        meta.seed,
        meta.replications,
        records.len(),
        meta.points,
        if interrupted { "<span class=\"fail\">interrupted</span>" } else { "" },
        escape(&params.join("; "))
    );
    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    for (file, svg) in charts {
        let _ = writeln!(
            out,
            "<figure>{}</figure>",
            inline_svg(svg, file.trim_end_matches(".svg"))
        );
    }
    out.push_str("</section>\n<section id=\"points\">\n<h2>Points</h2>\n<div class=\"table-wrap\"><table>\n<thead><tr><th scope=\"col\">point</th>");
    for p in &meta.params {
        let _ = write!(
            out,
            "<th scope=\"col\" class=\"text\">{}</th>",
            escape(&p.path)
        );
    }
    for (_, label, _) in CHARTED {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(label));
    }
    out.push_str("<th scope=\"col\" class=\"text\">assertions</th></tr></thead>\n<tbody>\n");
    for r in records {
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", r.index);
        for v in &r.params {
            let _ = write!(out, "<td class=\"text\">{}</td>", escape(v));
        }
        for (figure, _, scale) in CHARTED {
            let _ = write!(out, "<td>{}</td>", tick(r.mean(figure) * scale));
        }
        let verdict = match (r.assertions_total, r.truncated.as_deref()) {
            (_, Some(reason)) => format!("stopped: {reason}"),
            (0, None) => "-".to_string(),
            (n, None) if r.assertions_passed == n => format!("all {n} passed"),
            (n, None) => format!("{} of {n} FAILED", n - r.assertions_passed),
        };
        let _ = writeln!(out, "<td class=\"text\">{}</td></tr>", escape(&verdict));
    }
    out.push_str("</tbody></table></div>\n</section>\n");
    super::page::close(
        &mut out,
        &format!(
            "Generated by sim {} (sim sweep).",
            env!("CARGO_PKG_VERSION")
        ),
    );
    out
}

/// Writes `sweep.json`, `sweep.csv`, `charts/*.svg` and `sweep.html` into `dir`, a folder being
/// prepared (see [`crate::output::OutputFolder`]). `records` must be in point order;
/// `interrupted` marks a sweep stopped by a signal (the points that did not run are missing).
pub fn write(
    meta: &Meta,
    records: &[Record],
    interrupted: bool,
    dir: &Path,
) -> std::io::Result<()> {
    let json = serde_json::json!({
        "sim_version": env!("CARGO_PKG_VERSION"),
        "meta": meta,
        "interrupted": interrupted,
        "points": records,
    });
    let mut text = serde_json::to_string_pretty(&json).map_err(std::io::Error::other)?;
    text.push('\n');
    put(&dir.join("sweep.json"), text.as_bytes())?;
    put(&dir.join("sweep.csv"), to_csv(meta, records).as_bytes())?;
    let charts = sweep_charts(meta, records).map_err(std::io::Error::other)?;
    let chart_dir = dir.join("charts");
    for (file, svg) in &charts {
        put(&chart_dir.join(file), svg.as_bytes())?;
    }
    put(
        &dir.join("sweep.html"),
        page(meta, records, &charts, interrupted).as_bytes(),
    )
}
