//! `timeseries.csv`: one row per time window, end-to-end figures first, then each component's.
//!
//! Counts are per window; latencies are of the requests that succeeded in the window (from
//! 1-significant-digit window histograms, about 6% resolution); utilisation is the mean fraction
//! of busy workers over the window; queue is the mean number waiting. Then each component's own
//! series (`ComponentReport::extra_windows`, e.g. a cache's hit ratio), counts as counts,
//! ratios per window, levels as time-weighted means. All windows share one width: if a long
//! run had to merge windows, every series is merged to the same width.

use std::borrow::Cow;

use super::RunResult;
use crate::format::data_cell;
use crate::model::kind::Kind;
use crate::model::WindowSeries;
use crate::stats::{WindowRow, Windows};

fn row_at<R: crate::stats::Mergeable + Clone>(w: &Windows<R>, i: usize) -> R {
    w.rows().get(i).cloned().unwrap_or_default()
}

/// One component's windows, aligned to the common width (borrowed from the result where they
/// are at it already).
struct ComponentSeries<'a> {
    requests: Cow<'a, Windows<WindowRow>>,
    /// Busy-worker integral per window and the capacity it is out of.
    busy: Option<(Cow<'a, Windows<f64>>, u64)>,
    /// Capacity integral per window, when it changes over time.
    capacity: Option<Cow<'a, Windows<f64>>>,
    queue: Option<Cow<'a, Windows<f64>>>,
    extra: Vec<WindowSeries>,
}

pub fn to_csv(r: &RunResult) -> String {
    // Align every series on the widest window width.
    let mut width = r.end_to_end_windows.width_ns();
    for c in &r.components {
        width = width.max(c.windows.width_ns());
        if let Some((b, _)) = &c.busy_windows {
            width = width.max(b.width_ns());
        }
        if let Some(w) = &c.capacity_windows {
            width = width.max(w.width_ns());
        }
        if let Some(q) = &c.queue_windows {
            width = width.max(q.width_ns());
        }
        for (_, series) in &c.extra_windows {
            width = width.max(series.width_ns());
        }
    }
    // Borrowed unless it must be merged: with a latency histogram in every window, a copy
    // would be the largest allocation of the run.
    let e2e = r.end_to_end_windows.coarsened(width);
    let slo_good = r.slo.as_ref().map(|s| s.good_windows.coarsened(width));
    let count = (r.end.as_nanos().div_ceil(width)).max(1) as usize;
    let servers: Vec<_> = r
        .components
        .iter()
        .filter(|c| c.kind.is_some_and(|k| k != Kind::Traffic))
        .collect();
    let per_component: Vec<ComponentSeries> = servers
        .iter()
        .map(|c| {
            let requests = c.windows.coarsened(width);
            let busy = c
                .busy_windows
                .as_ref()
                .map(|(b, capacity)| (b.coarsened(width), *capacity));
            let capacity = c.capacity_windows.as_ref().map(|w| w.coarsened(width));
            let queue = c.queue_windows.as_ref().map(|q| q.coarsened(width));
            let extra = c
                .extra_windows
                .iter()
                .map(|(_, series)| {
                    let mut series = series.clone();
                    series.coarsen_to(width);
                    series
                })
                .collect();
            ComponentSeries {
                requests,
                busy,
                capacity,
                queue,
                extra,
            }
        })
        .collect();

    let mut header: Vec<String> = [
        "time_s",
        "window_s",
        "arrivals",
        "succeeded",
        "failed",
        "rejected",
        "timed_out",
        "throughput_rps",
        "availability",
        "latency_mean_ms",
        "latency_p50_ms",
        "latency_p90_ms",
        "latency_p95_ms",
        "latency_p99_ms",
    ]
    .map(String::from)
    .to_vec();
    if slo_good.is_some() {
        header.push("slo_good_fraction".to_string());
    }
    for c in &servers {
        header.push(format!("{}.requests", c.name));
        header.push(format!("{}.errors", c.name));
        if c.busy_windows.is_some() {
            header.push(format!("{}.utilization", c.name));
            header.push(format!("{}.queue", c.name));
        }
        for (suffix, _) in &c.extra_windows {
            header.push(format!("{}.{suffix}", c.name));
        }
    }
    let mut table = crate::output::csv::Table::new(&header);
    let width_s = width as f64 / 1e9;
    for i in 0..count {
        let start = i as f64 * width_s;
        // The last window may be cut short by the end of the run.
        let span = ((r.end.as_nanos() as f64 / 1e9) - start).clamp(0.0, width_s);
        let row = row_at(&e2e, i);
        let o = row.outcomes;
        let (mean, p50, p90, p95, p99) = match &row.latency {
            Some(h) => (
                h.mean_ms(),
                h.quantile_ms(0.5),
                h.quantile_ms(0.9),
                h.quantile_ms(0.95),
                h.quantile_ms(0.99),
            ),
            None => (f64::NAN, f64::NAN, f64::NAN, f64::NAN, f64::NAN),
        };
        let throughput = if span > 0.0 {
            o.succeeded as f64 / span
        } else {
            0.0
        };
        let availability = if o.total() > 0 {
            data_cell(o.availability())
        } else {
            String::new()
        };
        let mut cells: Vec<String> = vec![
            data_cell(start),
            data_cell(span),
            row.arrivals.to_string(),
            o.succeeded.to_string(),
            o.failed.to_string(),
            o.rejected.to_string(),
            o.timed_out.to_string(),
            data_cell(throughput),
            availability,
            data_cell(mean),
            data_cell(p50),
            data_cell(p90),
            data_cell(p95),
            data_cell(p99),
        ];
        if let Some(good) = &slo_good {
            let fraction = if o.total() > 0 {
                data_cell(row_at(good, i) as f64 / o.total() as f64)
            } else {
                String::new()
            };
            cells.push(fraction);
        }
        for series in &per_component {
            let rrow = row_at(&series.requests, i);
            let errors = rrow.outcomes.total() - rrow.outcomes.succeeded;
            cells.push(rrow.arrivals.to_string());
            cells.push(errors.to_string());
            if let Some((busy, capacity)) = &series.busy {
                let area = row_at(busy, i);
                let available = match &series.capacity {
                    Some(c) => row_at(c, i),
                    None => *capacity as f64 * span,
                };
                let util = if available > 0.0 {
                    area / available
                } else {
                    0.0
                };
                let q = series.queue.as_ref().map_or(0.0, |q| row_at(q, i));
                let qmean = if span > 0.0 { q / span } else { 0.0 };
                cells.push(data_cell(util));
                cells.push(data_cell(qmean));
            }
            for extra in &series.extra {
                cells.push(extra.value(i, span).map_or(String::new(), data_cell));
            }
        }
        table.row(&cells);
    }
    table.finish()
}
