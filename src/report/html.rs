//! `report.html`: one self-contained page (inline CSS and SVG; no script, no link, no font
//! or image to fetch) that can be projected in a workshop, printed, or opened from CI
//! artifacts.
//!
//! Every piece of text from the scenario or the results goes through [`escape`].

use std::fmt::Write as _;

use super::charts::{Chart, Section};
use super::data::ReportData;
use crate::format::{escape, millis, percent, thousands, tick, Typography};
use crate::results::summary::Latency;

fn ms(x: impl Into<f64>) -> String {
    millis(x.into(), Typography::Page)
}

fn pct(x: impl Into<f64>) -> String {
    percent(x.into(), "–")
}

fn rate(x: impl Into<f64>) -> String {
    let x: f64 = x.into();
    if x.is_finite() {
        format!("{x:.1}/s")
    } else {
        "–".to_string()
    }
}

fn secs(x: impl Into<f64>) -> String {
    let x: f64 = x.into();
    if !x.is_finite() {
        "–".to_string()
    } else if x >= 3600.0 {
        format!("{:.2} h", x / 3600.0)
    } else if x >= 120.0 {
        format!("{:.1} min", x / 60.0)
    } else {
        format!("{} s", tick(x))
    }
}

/// Writes a table: header cells, then rows; the first `text` columns are text (left-aligned),
/// the rest numbers, except a "note" column, which is prose: left-aligned and wrapped, so a
/// long note is read whole rather than cut off at the page's edge.
fn table(out: &mut String, id: &str, text: usize, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "<div class=\"table-wrap\"><table id=\"{id}\">");
    out.push_str("<thead><tr>");
    for (i, h) in header.iter().enumerate() {
        let class = if i < text { " class=\"text\"" } else { "" };
        let _ = write!(out, "<th scope=\"col\"{class}>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            if i == 0 {
                let _ = write!(
                    out,
                    "<th scope=\"row\" class=\"text\">{}</th>",
                    escape(cell)
                );
            } else if header.get(i) == Some(&"note") {
                let _ = write!(out, "<td class=\"text prose\">{}</td>", escape(cell));
            } else if i < text {
                let _ = write!(out, "<td class=\"text\">{}</td>", escape(cell));
            } else {
                let _ = write!(out, "<td>{}</td>", escape(cell));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
}

fn card(out: &mut String, label: &str, value: &str, note: &str, warn: bool) {
    let class = if warn { "card warn" } else { "card" };
    let _ = writeln!(
        out,
        "<div class=\"{class}\"><div class=\"label\">{}</div><div class=\"value\">{}</div>\
         <div class=\"note\">{}</div></div>",
        escape(label),
        escape(value),
        escape(note)
    );
}

fn latency_cells(l: &Latency) -> Vec<String> {
    vec![
        ms(l.mean),
        ms(l.p50),
        ms(l.p95),
        ms(l.p99),
        ms(l.p999),
        ms(l.max),
    ]
}

/// Makes a standalone SVG document fit for inlining: gives it `id` (unless it has one) and
/// drops the XML namespace declaration, which HTML does not need.
pub fn inline_svg(svg: &str, id: &str) -> String {
    let svg = svg.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    if svg.starts_with("<svg id=") {
        svg
    } else {
        svg.replacen("<svg ", &format!("<svg id=\"{}\" ", escape(id)), 1)
    }
}

fn figure(out: &mut String, chart: &Chart) {
    let _ = writeln!(out, "<figure>");
    out.push_str(&inline_svg(&chart.svg, &chart.id()));
    let _ = writeln!(
        out,
        "<figcaption><strong>{}.</strong> {}</figcaption>\n</figure>",
        escape(&chart.title),
        escape(&chart.caption)
    );
}

fn summary_section(out: &mut String, data: &ReportData) {
    let s = &data.summary;
    let r = &s.requests;
    out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">\n");
    card(
        out,
        "requests",
        &thousands(r.total),
        "finished after the warm-up",
        false,
    );
    let lost = r.total - r.succeeded;
    card(
        out,
        "availability",
        &pct(s.availability),
        &format!("{} did not succeed", thousands(lost)),
        lost > 0,
    );
    card(
        out,
        "throughput",
        &rate(s.throughput_rps),
        &format!("offered {}", rate(s.offered_rps)),
        false,
    );
    card(
        out,
        "latency p50",
        &ms(s.latency_ms.p50),
        "half the requests were faster",
        false,
    );
    card(
        out,
        "latency p99",
        &ms(s.latency_ms.p99),
        "1 in 100 was slower",
        false,
    );
    out.push_str("</div>\n");

    out.push_str("<h3>Requests</h3>\n");
    let mut rows = vec![vec![
        "end to end".to_string(),
        thousands(r.total),
        thousands(r.succeeded),
        thousands(r.failed),
        thousands(r.rejected),
        thousands(r.timed_out),
        thousands(r.unfinished),
        pct(s.availability),
    ]];
    if s.request_types.len() > 1 {
        for (name, t) in &s.request_types {
            rows.push(vec![
                format!("type: {name}"),
                thousands(t.total),
                thousands(t.succeeded),
                thousands(t.failed),
                thousands(t.rejected),
                thousands(t.timed_out),
                thousands(t.unfinished),
                pct(t.availability),
            ]);
        }
    }
    table(
        out,
        "requests-table",
        1,
        &[
            "requests",
            "finished",
            "succeeded",
            "failed",
            "rejected",
            "timed out",
            "unfinished",
            "availability",
        ],
        &rows,
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">Requests sent after the warm-up: finished by the end (succeeded, \
         failed, rejected, timed out) or still unfinished when the run stopped. Availability \
         counts the {} unfinished requests that had waited longer than {} as failed. Offered \
         load {}, throughput {}.</p>",
        thousands(r.unfinished_overdue),
        ms(r.patience_ms),
        rate(s.offered_rps),
        rate(s.throughput_rps)
    );

    out.push_str("<h3>Latency of succeeded requests</h3>\n");
    let mut rows = vec![{
        let mut row = vec!["end to end".to_string()];
        row.extend(latency_cells(&s.latency_ms));
        row
    }];
    if s.request_types.len() > 1 {
        for (name, t) in &s.request_types {
            let mut row = vec![format!("type: {name}")];
            row.extend(latency_cells(&t.latency_ms));
            rows.push(row);
        }
    }
    table(
        out,
        "latency-table",
        1,
        &["requests", "mean", "p50", "p95", "p99", "p99.9", "max"],
        &rows,
    );

    out.push_str("<h3>Components</h3>\n");
    let rows: Vec<Vec<String>> = s
        .components
        .iter()
        .map(|(name, c)| {
            let errors = c.failed + c.rejected + c.timed_out;
            vec![
                name.clone(),
                c.kind.replace('_', " "),
                thousands(c.requests),
                thousands(errors),
                pct(c.availability),
                c.utilization
                    .map_or("–".to_string(), |u| format!("{:.1}%", u.0 * 100.0)),
                c.queue_mean
                    .map_or("–".to_string(), |q| format!("{:.2}", q.0)),
                ms(c.latency_ms.p50),
                ms(c.latency_ms.p99),
            ]
        })
        .collect();
    table(
        out,
        "components-table",
        2,
        &[
            "component",
            "kind",
            "requests",
            "errors",
            "availability",
            "utilisation",
            "mean queue",
            "p50",
            "p99",
        ],
        &rows,
    );
    out.push_str(
        "<p class=\"meta\">Requests and errors (failed, rejected, timed out) after the warm-up. \
         Latency of a component: from a request's arrival at it to its reply, including its \
         downstream calls. Utilisation: mean share of busy workers.</p>\n",
    );
    out.push_str("</section>\n");
}

fn topology_section(out: &mut String, data: &ReportData, topology_svg: &str) {
    out.push_str("<section id=\"topology-section\">\n<h2>Topology</h2>\n<figure>\n");
    out.push_str(&inline_svg(topology_svg, "topology"));
    let t = &data.extra.topology;
    let default = if t.default_latency.is_empty() {
        String::new()
    } else {
        format!(
            " Paths without a number take the default latency, {}.",
            t.default_latency
        )
    };
    let _ = writeln!(
        out,
        "<figcaption><strong>Topology.</strong> {} components and {} paths. Requests flow left \
         to right; the number on an arrow is the mean network latency of its link.{}\
         </figcaption>\n</figure>\n</section>",
        t.nodes.len(),
        t.edges.len(),
        escape(&default)
    );
}

fn charts_section(out: &mut String, id: &str, title: &str, charts: &[Chart], section: Section) {
    let mut any = false;
    for chart in charts.iter().filter(|c| c.section == section) {
        if !any {
            let _ = writeln!(out, "<section id=\"{id}\">\n<h2>{}</h2>", escape(title));
            any = true;
        }
        figure(out, chart);
    }
    if any {
        out.push_str("</section>\n");
    }
}

/// What the run was judged on, first, for the projector: whether it stopped early, the
/// objective met or missed with its error budget, the assertions (the failed ones named), and
/// whether anything judged it at all.
fn verdicts_section(out: &mut String, data: &ReportData) {
    let s = &data.summary;
    out.push_str("<section id=\"verdicts\">\n<h2>Verdicts</h2>\n<ul class=\"verdicts\">\n");
    if s.truncated {
        let _ = writeln!(
            out,
            "<li><span class=\"fail\">STOPPED EARLY</span> ({}): the figures cover only the {} \
             simulated before the stop.</li>",
            escape(&s.stopped_by.replace('_', " ")),
            secs(s.duration_s)
        );
    }
    if let Some(slo) = &s.slo {
        let good: f64 = slo.good_fraction.into();
        let (class, word) = if !good.is_finite() {
            ("", "unknown (no request finished)")
        } else if slo.met {
            ("pass", "✓ met")
        } else {
            ("fail", "✗ MISSED")
        };
        let _ = writeln!(
            out,
            "<li>Objective: {} of requests succeed within {}: <span class=\"{class}\">{word}</span> \
             ({} did); error budget used {} ({} misses of {} allowed).</li>",
            pct(slo.target),
            ms(slo.latency_ms),
            pct(good),
            pct(slo.error_budget.used),
            thousands(slo.error_budget.misses),
            thousands(f64::from(slo.error_budget.allowed_misses).round().max(0.0) as u64)
        );
    }
    let assertions = &data.assertions;
    if !assertions.is_empty() {
        let failed: Vec<_> = assertions.iter().filter(|a| !a.passed).collect();
        let (class, word) = if failed.is_empty() {
            ("pass", "✓ all passed")
        } else {
            ("fail", "✗ FAILED")
        };
        let _ = writeln!(
            out,
            "<li><a href=\"#assertions\">Assertions</a>: <span class=\"{class}\">{word}</span> \
             ({} of {} passed).",
            assertions.len() - failed.len(),
            assertions.len()
        );
        if !failed.is_empty() {
            out.push_str("<ul>\n");
            for a in failed {
                let _ = writeln!(
                    out,
                    "<li><span class=\"fail\">{}</span>: {}</li>",
                    escape(&a.name),
                    escape(&a.detail)
                );
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</li>\n");
    }
    if s.slo.is_none() && assertions.is_empty() {
        out.push_str(
            "<li>No objective (<code>slo</code>) and no assertion (<code>assert</code>): \
             nothing judged this run; the figures below are what it measured.</li>\n",
        );
    }
    if !s.trouble.is_empty() {
        let _ = writeln!(
            out,
            "<li><a href=\"#theory\">Trouble</a>: {}.</li>",
            escape(
                &s.trouble
                    .iter()
                    .map(|t| t.kind.replace('_', " "))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        );
    }
    out.push_str("</ul>\n</section>\n");
}

fn failures_section(out: &mut String, data: &ReportData) {
    out.push_str("<section id=\"failures\">\n<h2>Failure timeline</h2>\n");
    let failures = &data.failures;
    if failures.is_empty() {
        out.push_str("<p class=\"empty\">No failures scheduled.</p>\n");
    } else {
        let end = data.end_s();
        // Each event's impact, from the summary (in the same order as the timeline).
        let impacts = &data.summary.failures;
        let rows: Vec<Vec<String>> = failures
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let impact = impacts.get(i).map(|e| &e.impact);
                let count = |n: Option<u64>| n.map_or("–".to_string(), thousands);
                let when = impact.map_or("–".to_string(), |i| match (i.first_s, i.last_s) {
                    (Some(a), Some(b)) => format!("{} – {}", secs(a), secs(b)),
                    _ => "no impact on requests".to_string(),
                });
                vec![
                    secs(f.start_s),
                    secs(f.end_s.unwrap_or(end)),
                    f.target.clone(),
                    f.label.clone(),
                    when,
                    count(impact.map(|i| i.counts.affected)),
                    count(impact.map(|i| i.counts.failed)),
                    count(impact.map(|i| i.counts.rejected)),
                    count(impact.map(|i| i.counts.timed_out)),
                    count(impact.and_then(|i| i.counts.slow)),
                ]
            })
            .collect();
        table(
            out,
            "failures-table",
            5,
            &[
                "from",
                "until",
                "target",
                "what",
                "requests affected, first – last",
                "affected",
                "failed",
                "rejected",
                "timed out",
                "slower than the objective",
            ],
            &rows,
        );
        out.push_str(
            "<p class=\"meta\">Failures are shaded on the charts over time. A request is \
             counted against the failure that caused it: the component that failed it was \
             struck, or, for a timeout or a slow success, a struck component was on its path \
             (\"slower than the objective\" only with an <code>slo</code>).</p>\n",
        );
    }
    out.push_str("</section>\n");
}

fn analytic_section(out: &mut String, data: &ReportData) {
    out.push_str("<section id=\"theory\">\n<h2>Theory and trouble</h2>\n");
    if !data.summary.trouble.is_empty() {
        out.push_str("<ul class=\"trouble\">\n");
        for t in &data.summary.trouble {
            let _ = writeln!(
                out,
                "<li><strong>{}</strong>: {}</li>",
                escape(&t.kind.replace('_', " ")),
                escape(&t.message)
            );
        }
        out.push_str("</ul>\n");
    }
    let bottlenecks = &data.summary.bottlenecks;
    if !bottlenecks.is_empty() {
        out.push_str("<h3>Bottlenecks</h3>\n<ol id=\"bottlenecks\">\n");
        for b in bottlenecks.iter().take(3) {
            let _ = writeln!(
                out,
                "<li><strong>{}</strong>: {}</li>",
                escape(&b.component),
                escape(&b.why.join("; "))
            );
        }
        out.push_str(
            "</ol>\n<p class=\"meta\">Ranked by what limits the system: requests a component \
             turns away itself, then a growing queue, then how busy it is.</p>\n",
        );
    }
    let rows = &data.summary.analytic;
    if rows.is_empty() {
        out.push_str("<p class=\"empty\">No part of this design has a closed form.</p>\n");
    } else {
        let show = |metric: &str, v: Option<f64>| match v {
            None => "-".to_string(),
            Some(v) if metric == "mean_latency_ms" => ms(v),
            Some(v) => pct(v),
        };
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let check = match r.agrees {
                    Some(true) => format!("agrees (within {:.0}%)", r.tolerance.0 * 100.0),
                    Some(false) => format!("diverges (tolerance {:.0}%)", r.tolerance.0 * 100.0),
                    None => "n/a".to_string(),
                };
                vec![
                    r.component.clone(),
                    r.metric.clone(),
                    r.model.clone(),
                    show(&r.metric, r.theory.value()),
                    show(&r.metric, r.simulated.value()),
                    check,
                    r.note.clone().unwrap_or_default(),
                ]
            })
            .collect();
        table(
            out,
            "theory-table",
            3,
            &[
                "component",
                "metric",
                "model",
                "theory",
                "simulated",
                "check",
                "note",
            ],
            &cells,
        );
    }
    out.push_str("</section>\n");
}

fn lost_section(out: &mut String, data: &ReportData) {
    out.push_str("<section id=\"lost\">\n<h2>What was lost</h2>\n");
    let lost: Vec<(&String, &u64)> = data.lost.iter().filter(|(_, &n)| n > 0).collect();
    if lost.is_empty() {
        out.push_str("<p class=\"empty\">Nothing lost.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = lost
            .iter()
            .map(|(what, n)| vec![(*what).clone(), thousands(**n)])
            .collect();
        table(out, "lost-table", 1, &["what", "count"], &rows);
    }
    out.push_str("</section>\n");
}

fn assertions_section(out: &mut String, data: &ReportData) {
    out.push_str("<section id=\"assertions\">\n<h2>Assertions</h2>\n");
    let assertions = &data.assertions;
    if assertions.is_empty() {
        out.push_str("<p class=\"empty\">No assertions.</p>\n");
    } else {
        let passed = assertions.iter().filter(|a| a.passed).count();
        let _ = writeln!(
            out,
            "<p>{passed} of {} assertions passed.</p>",
            assertions.len()
        );
        out.push_str(
            "<div class=\"table-wrap\"><table id=\"assertions-table\"><thead><tr>\
             <th scope=\"col\">assertion</th><th scope=\"col\" class=\"text\">result</th>\
             <th scope=\"col\" class=\"text\">detail</th></tr></thead>\n<tbody>\n",
        );
        for a in assertions {
            let (class, word) = if a.passed {
                ("pass", "✓ passed")
            } else {
                ("fail", "✗ FAILED")
            };
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\" class=\"text\">{}</th><td class=\"text {class}\">{word}</td>\
                 <td class=\"text\">{}</td></tr>",
                escape(&a.name),
                escape(&a.detail)
            );
        }
        out.push_str("</tbody></table></div>\n");
    }
    out.push_str("</section>\n");
}

/// The whole page.
pub fn page(data: &ReportData, charts: &[Chart], topology_svg: &str) -> String {
    let s = &data.summary;
    let mut out = String::with_capacity(
        64 * 1024 + charts.iter().map(|c| c.svg.len()).sum::<usize>() + topology_svg.len(),
    );
    super::page::open(&mut out, &s.scenario, "sim report", &s.sim_version);
    if let Some(description) = data.extra.description.as_deref().filter(|d| !d.is_empty()) {
        let _ = writeln!(out, "<p class=\"description\">{}</p>", escape(description));
    }
    let _ = writeln!(
        out,
        "<p class=\"meta\"><span>seed {}</span><span>simulated {}</span>\
         <span>warm-up {}</span><span>stopped by {}</span><span>sim {}</span></p>",
        s.seed,
        secs(s.duration_s),
        secs(s.warmup_s),
        escape(&s.stopped_by.replace('_', " ")),
        escape(&s.sim_version)
    );
    out.push_str(
        "<nav><a href=\"#verdicts\">Verdicts</a><a href=\"#summary\">Summary</a>\
         <a href=\"#topology-section\">Topology</a>\
         <a href=\"#over-time\">Over time</a><a href=\"#distribution\">Distribution</a>\
         <a href=\"#components\">Components</a><a href=\"#failures\">Failures</a>\
         <a href=\"#theory\">Theory and trouble</a><a href=\"#lost\">Lost</a>\
         <a href=\"#assertions\">Assertions</a></nav>\n</header>\n",
    );
    verdicts_section(&mut out, data);
    summary_section(&mut out, data);
    topology_section(&mut out, data, topology_svg);
    charts_section(&mut out, "over-time", "Over time", charts, Section::Traffic);
    charts_section(
        &mut out,
        "distribution",
        "Latency distribution",
        charts,
        Section::Distribution,
    );
    charts_section(
        &mut out,
        "components",
        "Components",
        charts,
        Section::Components,
    );
    failures_section(&mut out, data);
    analytic_section(&mut out, data);
    cost_section(&mut out, data);
    lost_section(&mut out, data);
    assertions_section(&mut out, data);
    super::page::close(
        &mut out,
        &format!(
            "Generated by sim {} from summary.json, timeseries.csv and report-data.json \
             (redraw with <code>sim report DIR</code>). Windows include the warm-up; summary \
             figures do not.",
            escape(&s.sim_version)
        ),
    );
    out
}

/// What the design cost, when the scenario gives prices.
fn cost_section(out: &mut String, data: &ReportData) {
    let Some(c) = &data.summary.cost else {
        return;
    };
    let money = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"));
    out.push_str("<section id=\"cost\">\n<h2>Cost</h2>\n");
    let _ = writeln!(
        out,
        "<p>{} {} per month ({} per hour of instances and memory; {} for the {:.2} h measured). \
         A month is 730 hours at the measured request rate.</p>",
        money(c.per_month.value()),
        escape(&c.currency),
        money(c.per_hour.value()),
        money(c.run.value()),
        c.measured_hours.value().unwrap_or(0.0)
    );
    let cells: Vec<Vec<String>> = c
        .components
        .iter()
        .map(|p| {
            vec![
                p.component.clone(),
                p.instances
                    .value()
                    .map_or_else(|| "-".to_string(), |v| format!("{v:.2}")),
                money(p.per_hour.value()),
                thousands(p.requests),
                money(p.run.value()),
                money(p.per_month.value()),
            ]
        })
        .collect();
    table(
        out,
        "cost-table",
        1,
        &[
            "component",
            "instances",
            "per hour",
            "requests",
            "measured period",
            "per month",
        ],
        &cells,
    );
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(escape("plain text, é ✓"), "plain text, é ✓");
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn numbers_are_readable() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(163557), "163,557");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(ms(0.25), "250 µs");
        assert_eq!(ms(87.94), "87.9 ms");
        assert_eq!(ms(1500.0), "1.50 s");
        assert_eq!(pct(0.96132), "96.132%");
        assert_eq!(secs(600.0), "10.0 min");
        assert_eq!(secs(10.0), "10 s");
    }

    #[test]
    fn inlined_svgs_get_an_id_and_lose_the_namespace() {
        let svg = "<svg width=\"1\" height=\"2\" xmlns=\"http://www.w3.org/2000/svg\">\n</svg>";
        assert_eq!(
            inline_svg(svg, "chart-x"),
            "<svg id=\"chart-x\" width=\"1\" height=\"2\">\n</svg>"
        );
        let with_id = "<svg id=\"topology\" xmlns=\"http://www.w3.org/2000/svg\"></svg>";
        assert_eq!(inline_svg(with_id, "other"), "<svg id=\"topology\"></svg>");
    }
}
