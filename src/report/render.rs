//! Draws every chart of a [`ReportData`] and writes `charts/*.svg` and `report.html`.

use std::path::Path;

use super::charts::{self, Chart, ChartError, Section, Series, Shade, TimeChart, MAX_SERIES};
use super::data::ReportData;
use super::{html, topology};
use crate::model::figures::Figures;
use crate::output::file::put;

pub const CHARTS_DIR: &str = "charts";
pub const REPORT_FILE: &str = "report.html";

/// Per-component charts beyond this many are left out of the report (the page would be too
/// long to read); `timeseries.csv` still has every column.
pub const MAX_COMPONENT_CHARTS: usize = 24;

/// A figure every component of some kinds can provide, as a column `<component>.<column>` of
/// `timeseries.csv`. A new component kind gets charts by writing such columns and, for a new
/// figure, adding a row here.
pub struct ComponentMetric {
    /// Column suffix in `timeseries.csv`.
    pub column: &'static str,
    /// Chart file name without extension.
    pub file: &'static str,
    pub title: &'static str,
    pub y_label: &'static str,
    pub unit: &'static str,
    /// Multiplies every value (fractions to percent).
    pub scale: f64,
    /// The column counts events per window: divide by the window's length.
    pub per_second: bool,
    /// Fixed y range, if any.
    pub y_range: Option<(f64, f64)>,
    pub caption: &'static str,
}

pub const COMPONENT_METRICS: &[ComponentMetric] = &[
    ComponentMetric {
        column: "hit_ratio",
        file: "cache-hit-ratio",
        title: "Cache hit ratio",
        y_label: "hits / reads",
        unit: "%",
        scale: 100.0,
        per_second: false,
        y_range: Some((0.0, 105.0)),
        caption: "Share of reads answered from each cache per window. A cold cache (at the start, \
                  or after a restart) starts near zero and climbs as it fills; the level it \
                  settles at depends on capacity, eviction policy, TTL and key popularity.",
    },
    ComponentMetric {
        column: "utilization",
        file: "utilisation",
        title: "Utilisation by server",
        y_label: "busy workers",
        unit: "%",
        scale: 100.0,
        per_second: false,
        y_range: Some((0.0, 105.0)),
        caption: "Mean share of each pool's workers that are busy (serving or waiting on a \
                  downstream call) per window. A pool near 100% is the bottleneck: its queue grows \
                  and latency follows.",
    },
    ComponentMetric {
        column: "queue",
        file: "queue",
        title: "Queue length by server and queue",
        y_label: "waiting requests",
        unit: "requests",
        scale: 1.0,
        per_second: false,
        y_range: None,
        caption: "Mean number of requests waiting for a worker, summed over the pool's instances, \
                  and each message queue's backlog (ready or waiting for a retry). A queue that \
                  keeps growing means arrivals exceed capacity.",
    },
    ComponentMetric {
        column: "instances",
        file: "instances",
        title: "Instances in service",
        y_label: "instances taking traffic",
        unit: "instances",
        scale: 1.0,
        per_second: false,
        y_range: None,
        caption: "Time-weighted mean number of instances taking traffic in each autoscaled pool \
                  per window. A step up comes one provisioning delay after the scale-out \
                  decision (summary.json lists each action with its reason); a scale-in drains \
                  an instance before it leaves.",
    },
    ComponentMetric {
        column: "breakers_open",
        file: "circuit-breakers",
        title: "Circuit breakers open",
        y_label: "time open",
        unit: "%",
        scale: 100.0,
        per_second: false,
        y_range: None,
        caption: "Share of each window a pool's circuit breakers were open (summed over its \
                  downstream targets: 100% is one breaker open all the time). While open, calls \
                  fail at once instead of tying up workers; summary.json lists each transition.",
    },
    ComponentMetric {
        column: "requests",
        file: "component-requests",
        title: "Requests by component",
        y_label: "arrivals",
        unit: "req/s",
        scale: 1.0,
        per_second: true,
        y_range: None,
        caption: "Requests arriving at each component per second, counting every call (a \
                  server called twice per request counts twice).",
    },
    ComponentMetric {
        column: "replication_lag_ms",
        file: "replication-lag",
        title: "Replication lag by database",
        y_label: "lag",
        unit: "ms",
        scale: 1.0,
        per_second: false,
        y_range: None,
        caption: "Mean time between the master applying a write and a replica applying it, over \
                  the writes replicas applied in each window. While it is high, replica reads \
                  are more often stale, and a master crash loses more acknowledged writes.",
    },
    ComponentMetric {
        column: "stale_read_ratio",
        file: "stale-reads",
        title: "Stale reads by database",
        y_label: "stale / reads",
        unit: "%",
        scale: 100.0,
        per_second: false,
        y_range: None,
        caption: "Share of each database's reads that were stale: served by a replica that had \
                  not yet applied the latest acknowledged write of the key. Zero with \
                  synchronous replication; grows with the write rate and the replication lag.",
    },
    ComponentMetric {
        column: "admitted",
        file: "rate-limiter-admitted",
        title: "Admitted by rate limiter",
        y_label: "admitted",
        unit: "req/s",
        scale: 1.0,
        per_second: true,
        y_range: None,
        caption: "Requests each rate limiter admitted per second, counted at the decision (a \
                  leaking bucket then forwards them at an even pace). A token bucket passes a \
                  burst then settles at its refill rate; a fixed window shows spikes at each \
                  window start when the time windows are shorter than its period.",
    },
    ComponentMetric {
        column: "rejected",
        file: "rate-limiter-rejected",
        title: "Rejected by rate limiter (429)",
        y_label: "rejected",
        unit: "req/s",
        scale: 1.0,
        per_second: true,
        y_range: None,
        caption: "Requests each rate limiter refused per second, answered 429 with a \
                  Retry-After. Clients that retry at once make this line climb with their \
                  retries; clients that honour Retry-After do not.",
    },
    ComponentMetric {
        column: "acknowledged",
        file: "queue-throughput",
        title: "Messages processed by queue",
        y_label: "acknowledged",
        unit: "msg/s",
        scale: 1.0,
        per_second: true,
        y_range: None,
        caption: "Messages each queue's consumers finished (acknowledged) per second. It is \
                  capped by the consumers, not by the producers: during a burst the backlog \
                  (in the queue-length chart) grows instead.",
    },
];

/// Load balancers with more backends than this get one bar per pool instead of per instance.
pub const MAX_BARS: usize = 40;

/// Shaded intervals of the time charts: the warm-up and every scheduled failure.
pub fn shades(data: &ReportData) -> Vec<Shade> {
    let mut out = Vec::new();
    let warmup = data.summary.warmup_s.0;
    if warmup.is_finite() && warmup > 0.0 {
        out.push(Shade {
            start_s: 0.0,
            end_s: warmup,
            label: "warm-up (not in the summary)".to_string(),
            colour: None,
        });
    }
    let end = data.end_s();
    // Reddish purple, vermillion, orange: apart from the grey warm-up and from each other.
    let tints = [4, 3, 1];
    for (i, f) in data.failures.iter().enumerate() {
        out.push(Shade {
            start_s: f.start_s,
            end_s: f.end_s.unwrap_or(end),
            label: format!("failure: {} {}", f.target, f.label),
            colour: Some(tints[i % tints.len()]),
        });
    }
    out
}

/// Values are plotted at the middle of their window.
fn mid_points(data: &ReportData, points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let widths = data.series.column("window_s").unwrap_or(&[]);
    points
        .into_iter()
        .zip(widths.iter().copied().chain(std::iter::repeat(0.0)))
        .map(|((t, y), w)| (t + w / 2.0, y))
        .collect()
}

/// A column of the time series as a chart series (values at the middle of their window).
pub fn column_series(
    data: &ReportData,
    name: &str,
    column: &str,
    scale: f64,
    per_second: bool,
) -> Option<Series> {
    let points = if per_second {
        data.series.rate_points(column)?
    } else {
        data.series.points(column)?
    };
    Some(Series {
        name: name.to_string(),
        points: mid_points(
            data,
            points.into_iter().map(|(t, y)| (t, y * scale)).collect(),
        ),
    })
}

fn traffic_charts(data: &ReportData, out: &mut Vec<Chart>) -> Result<(), ChartError> {
    let end = data.end_s();
    let shades = shades(data);
    let chart = |file: &str, caption: &str, spec: TimeChart| -> Result<Chart, ChartError> {
        Ok(Chart {
            file: file.to_string(),
            title: spec.title.clone(),
            caption: caption.to_string(),
            section: Section::Traffic,
            svg: charts::time_chart(&spec)?,
        })
    };

    let percentiles: Vec<Series> = [
        ("p50", "latency_p50_ms"),
        ("p95", "latency_p95_ms"),
        ("p99", "latency_p99_ms"),
    ]
    .iter()
    .filter_map(|(name, column)| column_series(data, name, column, 1.0, false))
    .collect();
    let mut spec = TimeChart::new("Latency over time", "latency", "ms", percentiles, end);
    spec.shades = shades.clone();
    out.push(chart(
        "latency.svg",
        "Percentiles of the end-to-end latency of the requests that succeeded in each window \
         (coarse window histograms, about 6% resolution). p99: one request in a hundred was \
         slower. A gap is a window in which nothing succeeded.",
        spec,
    )?);

    let throughput: Vec<Series> = [
        ("offered (arrivals)", "arrivals"),
        ("succeeded", "succeeded"),
    ]
    .iter()
    .filter_map(|(name, column)| column_series(data, name, column, 1.0, true))
    .collect();
    let mut spec = TimeChart::new("Throughput", "requests", "req/s", throughput, end);
    spec.shades = shades.clone();
    out.push(chart(
        "throughput.svg",
        "Requests sent per second (offered load) and requests answered successfully per \
         second. When the succeeded line falls below the offered one, the system is shedding \
         or losing requests.",
        spec,
    )?);

    let errors: Vec<Series> = [
        ("failed", "failed"),
        ("rejected", "rejected"),
        ("timed out", "timed_out"),
    ]
    .iter()
    .filter_map(|(name, column)| column_series(data, name, column, 1.0, true))
    .collect();
    let mut spec = TimeChart::new("Errors and rejections", "requests", "req/s", errors, end);
    spec.shades = shades.clone();
    out.push(chart(
        "errors.svg",
        "Requests that did not succeed, per second, by outcome: failed (an error downstream), \
         rejected (a full queue or no backend), timed out (a deadline passed).",
        spec,
    )?);

    let availability: Vec<Series> =
        column_series(data, "availability", "availability", 100.0, false)
            .into_iter()
            .collect();
    let slo = data.slo.as_ref().map(|s| s.availability * 100.0);
    let lowest = availability
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(slo)
        .filter(|v| v.is_finite())
        .fold(100.0f64, f64::min);
    let y0 = (lowest - ((100.0 - lowest) * 0.1).max(0.5)).max(0.0);
    let mut spec = TimeChart::new(
        "Availability",
        "succeeded / finished",
        "%",
        availability,
        end,
    );
    spec.y_range = Some((y0, 100.0 + (100.0 - y0) * 0.05));
    spec.reference = slo.map(|v| (v, format!("SLO {}%", crate::format::tick(v))));
    spec.shades = shades;
    out.push(chart(
        "availability.svg",
        "Share of the requests finishing in each window that succeeded. Empty windows leave a \
         gap. The dashed line, when shown, is the availability objective.",
        spec,
    )?);
    Ok(())
}

fn distribution_charts(data: &ReportData, out: &mut Vec<Chart>) -> Result<(), ChartError> {
    let points = &data.extra.latency_cdf_ms;
    // A log scale once the latencies span two decades: the tail would be squeezed otherwise.
    let log_x = match (points.iter().find(|p| p.0 > 0.0), points.last()) {
        (Some(first), Some(last)) => last.0 / first.0 >= 100.0,
        _ => false,
    };
    let l = &data.summary.latency_ms;
    let marks = [
        ("p50".to_string(), l.p50.0),
        ("p95".to_string(), l.p95.0),
        ("p99".to_string(), l.p99.0),
    ];
    let title = "Latency distribution (CDF)";
    out.push(Chart {
        file: "latency-cdf.svg".to_string(),
        title: title.to_string(),
        caption: "Share of the requests that succeeded after the warm-up with a latency at or \
                  below each value. Read a percentile by going across from the y axis: the \
                  curve crosses 99% at the p99. The vertical lines mark p50, p95 and p99."
            .to_string(),
        section: Section::Distribution,
        svg: charts::cdf_chart(title, points, &marks, log_x)?,
    });
    let title = "Latency histogram";
    out.push(Chart {
        file: "latency-histogram.svg".to_string(),
        title: title.to_string(),
        caption: "Share of the requests that succeeded after the warm-up in each latency bin \
                  (40 bins, equal on the axis scale). Several humps mean several paths, such as \
                  cache hits and misses."
            .to_string(),
        section: Section::Distribution,
        svg: charts::histogram_chart(title, points, log_x)?,
    });
    Ok(())
}

fn component_charts(data: &ReportData, out: &mut Vec<Chart>) -> Result<(), ChartError> {
    let end = data.end_s();
    let shades = shades(data);
    let mut count = 0;
    for metric in COMPONENT_METRICS {
        let series: Vec<Series> = data
            .summary
            .components
            .keys()
            .filter_map(|name| {
                column_series(
                    data,
                    name,
                    &format!("{name}.{}", metric.column),
                    metric.scale,
                    metric.per_second,
                )
            })
            .collect();
        let groups = series.len().div_ceil(MAX_SERIES);
        for (i, group) in series.chunks(MAX_SERIES).enumerate() {
            if count >= MAX_COMPONENT_CHARTS {
                return Ok(());
            }
            let (file, title) = if groups > 1 {
                (
                    format!("{}-{}.svg", metric.file, i + 1),
                    format!("{} ({} of {})", metric.title, i + 1, groups),
                )
            } else {
                (format!("{}.svg", metric.file), metric.title.to_string())
            };
            let mut spec = TimeChart::new(&title, metric.y_label, metric.unit, group.to_vec(), end);
            spec.y_range = metric.y_range;
            spec.shades = shades.clone();
            out.push(Chart {
                file,
                title,
                caption: metric.caption.to_string(),
                section: Section::Components,
                svg: charts::time_chart(&spec)?,
            });
            count += 1;
        }
    }
    for (name, component) in &data.summary.components {
        let Figures::LoadBalancer(balancer) = &component.figures else {
            continue;
        };
        let per_backend = &balancer.requests_per_backend;
        if count >= MAX_COMPONENT_CHARTS {
            return Ok(());
        }
        let labels = data
            .extra
            .topology
            .nodes
            .iter()
            .find(|n| &n.name == name)
            .map(|n| n.backends.clone())
            .unwrap_or_default();
        let label = |i: usize| {
            labels
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("backend {i}"))
        };
        let mut bars: Vec<(String, f64)> = per_backend
            .iter()
            .enumerate()
            .map(|(i, &n)| (label(i), n as f64))
            .collect();
        let mut caption = "Requests the load balancer sent to each backend instance over the \
                           whole run (warm-up included). Uneven bars show the algorithm (or the \
                           keys' popularity) favouring some instances."
            .to_string();
        if bars.len() > MAX_BARS {
            // One bar per pool: the part of the label before '#'.
            let mut pools: Vec<(String, f64)> = Vec::new();
            for (label, n) in bars {
                let pool = label.split('#').next().unwrap_or(&label).to_string();
                match pools.iter_mut().find(|p| p.0 == pool) {
                    Some(p) => p.1 += n,
                    None => pools.push((pool, n)),
                }
            }
            bars = pools;
            caption = format!(
                "Requests the load balancer sent to each backend pool over the whole run \
                 (warm-up included; more than {MAX_BARS} instances, so summed per pool: \
                 summary.json has every instance)."
            );
        }
        let title = format!("Requests per backend: {name}");
        out.push(Chart {
            file: format!("backends-{name}.svg"),
            svg: charts::bar_chart(&title, "requests", &bars)?,
            title,
            caption,
            section: Section::Components,
        });
        count += 1;
    }
    Ok(())
}

/// Where the time goes: a waterfall of each percentile band's mean latency, split by component
/// and phase (from `summary.json`'s `breakdown`).
fn waterfall_charts(data: &ReportData, out: &mut Vec<Chart>) -> Result<(), ChartError> {
    let Some(b) = &data.summary.breakdown else {
        return Ok(());
    };
    let names: Vec<String> = b
        .all
        .components
        .iter()
        .map(|c| c.component.clone())
        .collect();
    let rows: Vec<(String, Vec<charts::Segment>)> = b
        .all
        .bands
        .iter()
        .map(|band| {
            let mut segments = Vec::new();
            for part in &band.components {
                let Some(component) = names.iter().position(|n| *n == part.component) else {
                    continue;
                };
                // Along the path: network to reach it, its queue, then its own work.
                for (phase, ms) in [
                    (2, part.network_ms),
                    (0, part.queue_ms),
                    (1, part.service_ms),
                ] {
                    segments.push(charts::Segment {
                        component,
                        phase,
                        ms: ms.value().unwrap_or(0.0),
                    });
                }
            }
            (band.band.clone(), segments)
        })
        .collect();
    let title = "Where the time goes (by latency band)";
    out.push(Chart {
        file: "latency-waterfall.svg".to_string(),
        title: title.to_string(),
        caption: "Mean latency of the requests in each band of the latency distribution (p0-50: \
                  the faster half; p99-100: the slowest 1%), laid out as the time spent at each \
                  component: the lightest shade is the network to reach it, the middle shade \
                  waiting in its queue, the solid shade its own work (its calls are drawn as \
                  their own components). A traffic source's solid part is client time: retry \
                  backoff and abandoned attempts. Compare the bottom row with the top: the part \
                  that grows is what the slowest requests wait for."
            .to_string(),
        section: Section::Distribution,
        svg: charts::waterfall_chart(title, &names, &rows)?,
    });
    Ok(())
}

/// Every chart of the report, in page order.
pub fn charts(data: &ReportData) -> Result<Vec<Chart>, ChartError> {
    let mut out = Vec::new();
    traffic_charts(data, &mut out)?;
    distribution_charts(data, &mut out)?;
    waterfall_charts(data, &mut out)?;
    component_charts(data, &mut out)?;
    Ok(out)
}

/// Writes `charts/*.svg` and `report.html` into `dir`, a folder being prepared (see
/// [`crate::output::OutputFolder`]).
pub fn write_report(data: &ReportData, dir: &Path) -> std::io::Result<()> {
    let charts = charts(data).map_err(std::io::Error::other)?;
    let topology = topology::topology_svg(&data.extra.topology);
    let chart_dir = dir.join(CHARTS_DIR);
    for chart in &charts {
        put(&chart_dir.join(&chart.file), chart.svg.as_bytes())?;
    }
    put(&chart_dir.join("topology.svg"), topology.as_bytes())?;
    let page = html::page(data, &charts, &topology);
    put(&dir.join(REPORT_FILE), page.as_bytes())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::report::data::{AssertionResult, FailureEvent, SavedFiles, Slo};

    const SUMMARY: &str = r#"{
      "scenario": "s", "sim_version": "0", "scenario_sha256": "", "seed": 1,
      "duration_s": 4.0, "warmup_s": 1.0, "stopped_by": "duration", "truncated": false,
      "requests": {"total": 10, "succeeded": 9, "failed": 1, "rejected": 0, "timed_out": 0,
                   "unfinished": 0, "unfinished_overdue": 0, "unfinished_oldest_ms": 0,
                   "patience_ms": 10000},
      "request_types": {}, "slo": null, "lost": {}, "analytic": [], "bottlenecks": [],
      "trouble": [], "failures": [], "downtime": null,
      "engine": {"events": 0, "requests_started": 10, "peak_calls_in_flight": 1},
      "availability": 0.9, "throughput_rps": 3.0, "offered_rps": 3.5,
      "latency_ms": {"mean": 1, "p50": 1, "p90": 2, "p95": 2, "p99": 3, "p999": 3, "max": 3},
      "components": {
        "web": {"kind": "server", "requests": 10, "succeeded": 9, "failed": 1, "rejected": 0,
                "timed_out": 0, "availability": 0.9, "throughput_rps": 3.0, "utilization": 0.5,
                "latency_ms": {"mean": 1, "p50": 1, "p90": 2, "p95": 2, "p99": 3, "p999": 3,
                               "max": null},
                "crashes": 0, "instances": 1, "instances_up_mean": 1.0, "workers": 1}
      }
    }"#;

    const CSV: &str = "time_s,window_s,arrivals,succeeded,failed,rejected,timed_out,\
throughput_rps,availability,latency_mean_ms,latency_p50_ms,latency_p90_ms,latency_p95_ms,\
latency_p99_ms,web.requests,web.errors,web.utilization,web.queue
0,1,3,2,1,0,0,2,0.666667,1,1,2,2,3,3,1,0.5,0.1
1,1,3,3,0,0,0,3,1,1,1,2,2,3,3,0,0.6,0
2,1,0,0,0,0,0,0,,,,,,,0,0,0,0
3,1,4,4,0,0,0,4,1,1,1,2,2,3,4,0,0.4,0
";

    fn data() -> ReportData {
        let files = SavedFiles {
            summary: SUMMARY.to_string(),
            timeseries: CSV.to_string(),
            report_data: r#"{"format": 1, "latency_cdf_ms": [[0.5, 0], [1, 0.5], [3, 1]]}"#
                .to_string(),
        };
        let mut data = ReportData::parse(&files, Path::new("")).unwrap_or_else(|e| panic!("{e}"));
        data.failures.push(FailureEvent {
            start_s: 2.0,
            end_s: None,
            target: "web".into(),
            label: "crash <all>".into(),
        });
        data.lost.insert("writes".into(), 12);
        data.assertions = vec![
            AssertionResult {
                name: "availability >= 99%".into(),
                passed: false,
                detail: "90%".into(),
            },
            AssertionResult {
                name: "p99 < 10ms".into(),
                passed: true,
                detail: String::new(),
            },
        ];
        data.slo = Some(Slo { availability: 0.99 });
        data
    }

    #[test]
    fn failures_lost_data_assertions_and_the_slo_are_shown() {
        let data = data();
        let charts = charts(&data).unwrap_or_else(|e| panic!("{e}"));
        let files: Vec<&str> = charts.iter().map(|c| c.file.as_str()).collect();
        assert_eq!(
            files,
            [
                "latency.svg",
                "throughput.svg",
                "errors.svg",
                "availability.svg",
                "latency-cdf.svg",
                "latency-histogram.svg",
                "utilisation.svg",
                "queue.svg",
                "component-requests.svg",
            ]
        );
        let availability = &charts[3].svg;
        assert!(availability.contains(">\nSLO 99%\n</text>"));
        assert!(availability.contains(">\nfailure: web crash &lt;all&gt;\n</text>"));
        assert!(availability.contains(">\nwarm-up (not in the summary)\n</text>"));
        let page = html::page(&data, &charts, "<svg id=\"topology\"></svg>");
        assert!(page.contains("<table id=\"failures-table\">"));
        assert!(page.contains("<td class=\"text\">crash &lt;all&gt;</td>"));
        assert!(page.contains("<td>12</td>"));
        assert!(page.contains("1 of 2 assertions passed."));
        assert!(page.contains("✗ FAILED"));
        assert!(!page.contains("No failures scheduled."));
        assert!(!page.contains("Nothing lost."));
        assert!(!page.contains("No assertions."));
    }
}
