//! Figures over a span of simulated time (`during: [60s, 75s]` in an assertion), read from the
//! run's time windows: what a claim about one moment of a run ("availability dips while the
//! server is down") is judged on.
//!
//! A span is measured over the whole windows it touches: with 1 s windows, `[60s, 75s]` is the
//! fifteen windows from 60 s to 75 s; with wider windows (`run.window`, or a long run whose
//! windows were merged) the measured span can be wider than the one asked for, and
//! `summary.json`'s `spans` says which was measured. The run's counts are of requests that
//! finished in the span, `offered` of those that arrived; a component's `requests` of those
//! that arrived at it (as `timeseries.csv` counts them); latencies are of
//! the requests that succeeded in the span, from the per-window histograms (about 6%
//! resolution); utilisation is busy time over available capacity, queue_mean the time-average
//! number waiting; a component's own series (a cache's `hit_ratio`, a pool's `instances`) as
//! `timeseries.csv` shows it, summed (counts), divided (ratios) or time-averaged (levels) over
//! the span.

use super::span_figure::SpanFigure;
use super::{Figure, RunResult};
use crate::assertions::{LatencyFigure, Metric, Scope, Span};
use crate::model::WindowSeries;
use crate::stats::{Mergeable, WindowRow, Windows};

/// The windows of a series of width `width_ns` that cover `span`: `first..last`, and the
/// measured span in seconds, cut at the end of the run.
fn covering(width_ns: u64, span: Span, end_ns: u64) -> (usize, usize, f64, f64) {
    let width = width_ns.max(1);
    let first = span.from.as_nanos() / width;
    let last = span.to.as_nanos().div_ceil(width).max(first + 1);
    let from_ns = first * width;
    let to_ns = (last * width).min(end_ns).max(from_ns);
    (
        first as usize,
        last as usize,
        from_ns as f64 / 1e9,
        to_ns as f64 / 1e9,
    )
}

fn sum(w: &Windows<f64>, first: usize, last: usize) -> f64 {
    w.rows().iter().take(last).skip(first).sum()
}

fn merged(w: &Windows<WindowRow>, first: usize, last: usize) -> WindowRow {
    let mut row = WindowRow::default();
    for r in w.rows().iter().take(last).skip(first) {
        row.merge(r.clone());
    }
    row
}

/// `metric` of `scope` over `span` in run `r`. Metrics the scenario check accepts for a span
/// ([`crate::assertions::per_window`]) have a value unless the span holds nothing to measure
/// (no request finished, the run ended before it).
pub fn measure(r: &RunResult, scope: &Scope, metric: &Metric, span: Span) -> SpanFigure {
    let name = crate::assertions::metric_name(scope, metric);
    let end_ns = r.end.as_nanos();
    let mut figure = SpanFigure {
        metric: name.clone(),
        from_s: span.from.as_secs_f64().into(),
        to_s: span.to.as_secs_f64().into(),
        measured_from_s: Figure(f64::NAN),
        measured_to_s: Figure(f64::NAN),
        value: Figure(f64::NAN),
        note: None,
    };
    if span.to.as_nanos() > end_ns {
        figure.note = Some(format!(
            "the run ended at {}, before the span's end",
            crate::assertions::show(
                crate::assertions::Quantity::Latency,
                r.end.as_secs_f64() * 1e3
            )
        ));
        return figure;
    }
    let result = match scope {
        Scope::Run => run_figure(r, metric, span, end_ns),
        Scope::Component(c) => match r.components.iter().find(|x| x.name == *c) {
            Some(component) => component_figure(component, metric, span, end_ns),
            None => Err(format!("component '{c}' has no results")),
        },
        Scope::Type(t) => Err(format!("request type '{t}' is not kept per time window")),
    };
    match result {
        Ok((value, from, to)) => {
            figure.measured_from_s = from.into();
            figure.measured_to_s = to.into();
            figure.value = value.into();
            if !value.is_finite() {
                figure.note = Some(format!("nothing to measure '{name}' on in the span"));
            }
        }
        Err(note) => figure.note = Some(note),
    }
    figure
}

type Measured = Result<(f64, f64, f64), String>;

fn per_second(n: f64, from: f64, to: f64) -> f64 {
    if to > from {
        n / (to - from)
    } else {
        f64::NAN
    }
}

/// The figures of the requests that finished in a span, which the run and a component keep
/// alike; `None` for any other metric.
fn outcome_figure(metric: &Metric, o: &crate::stats::Outcomes, from: f64, to: f64) -> Option<f64> {
    Some(match metric {
        Metric::Availability => o.availability(),
        Metric::ErrorRate => 1.0 - o.availability(),
        Metric::Throughput => per_second(o.succeeded as f64, from, to),
        Metric::Succeeded => o.succeeded as f64,
        Metric::Failed => o.failed as f64,
        Metric::Rejected => o.rejected as f64,
        Metric::TimedOut => o.timed_out as f64,
        _ => return None,
    })
}

fn run_figure(r: &RunResult, metric: &Metric, span: Span, end_ns: u64) -> Measured {
    let w = &r.end_to_end_windows;
    let (first, last, from, to) = covering(w.width_ns(), span, end_ns);
    let row = merged(w, first, last);
    let o = row.outcomes;
    let value = match metric {
        Metric::Latency(which) => {
            let Some(h) = &row.latency else {
                return Err("no request succeeded in the span".to_string());
            };
            match which {
                LatencyFigure::Mean => h.mean_ms(),
                LatencyFigure::P50 => h.quantile_ms(0.5),
                LatencyFigure::P90 => h.quantile_ms(0.9),
                LatencyFigure::P95 => h.quantile_ms(0.95),
                LatencyFigure::P99 => h.quantile_ms(0.99),
                LatencyFigure::P999 => h.quantile_ms(0.999),
                LatencyFigure::Max => h.quantile_ms(1.0),
            }
        }
        Metric::Offered => per_second(row.arrivals as f64, from, to),
        Metric::Requests => o.total() as f64,
        other => outcome_figure(other, &o, from, to)
            .ok_or_else(|| format!("'{other}' is not kept per time window"))?,
    };
    Ok((value, from, to))
}

fn component_figure(
    c: &crate::model::ComponentReport,
    metric: &Metric,
    span: Span,
    end_ns: u64,
) -> Measured {
    let whose = &c.name;
    match metric {
        Metric::Utilization => {
            let Some((busy, capacity)) = &c.busy_windows else {
                return Err(format!("component '{whose}' has no utilisation"));
            };
            let (first, last, from, to) = covering(busy.width_ns(), span, end_ns);
            let area = sum(busy, first, last);
            let available = match &c.capacity_windows {
                Some(w) => {
                    let (first, last, _, _) = covering(w.width_ns(), span, end_ns);
                    sum(w, first, last)
                }
                None => *capacity as f64 * (to - from),
            };
            let value = if available > 0.0 {
                area / available
            } else {
                f64::NAN
            };
            Ok((value, from, to))
        }
        Metric::QueueMean => {
            let Some(queue) = &c.queue_windows else {
                return Err(format!("component '{whose}' has no queue"));
            };
            let (first, last, from, to) = covering(queue.width_ns(), span, end_ns);
            Ok((per_second(sum(queue, first, last), from, to), from, to))
        }
        Metric::Own(name) => {
            let Some((_, series)) = c.extra_windows.iter().find(|(n, _)| n == name) else {
                let kept: Vec<&str> = c.extra_windows.iter().map(|(n, _)| n.as_str()).collect();
                return Err(if kept.is_empty() {
                    format!("component '{whose}' keeps no series of its own per time window")
                } else {
                    format!(
                        "component '{whose}' keeps no series '{name}' per time window; {}",
                        crate::format::suggestion(name, kept.iter().copied())
                    )
                });
            };
            let (first, last, from, to) = covering(series.width_ns(), span, end_ns);
            let value = match series {
                WindowSeries::Count(w) => sum(w, first, last),
                WindowSeries::Ratio(n, d) => {
                    let d = sum(d, first, last);
                    if d > 0.0 {
                        sum(n, first, last) / d
                    } else {
                        f64::NAN
                    }
                }
                WindowSeries::Level(w) => per_second(sum(w, first, last), from, to),
            };
            Ok((value, from, to))
        }
        _ => {
            let w = &c.windows;
            let (first, last, from, to) = covering(w.width_ns(), span, end_ns);
            let row = merged(w, first, last);
            let o = row.outcomes;
            let value = match metric {
                Metric::Requests => row.arrivals as f64,
                other => outcome_figure(other, &o, from, to)
                    .ok_or_else(|| format!("'{whose}.{other}' is not kept per time window"))?,
            };
            Ok((value, from, to))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    #[test]
    fn a_span_covers_the_whole_windows_it_touches() {
        let span = |a: u64, b: u64| Span {
            from: SimDuration::from_millis(a),
            to: SimDuration::from_millis(b),
        };
        let s = 1_000_000_000;
        assert_eq!(
            covering(s, span(60_000, 75_000), 100 * s),
            (60, 75, 60.0, 75.0)
        );
        assert_eq!(
            covering(s, span(60_500, 75_200), 100 * s),
            (60, 76, 60.0, 76.0)
        );
        assert_eq!(
            covering(4 * s, span(61_000, 62_000), 100 * s),
            (15, 16, 60.0, 64.0)
        );
        // Cut at the end of the run.
        assert_eq!(
            covering(4 * s, span(96_000, 99_000), 99 * s),
            (24, 25, 96.0, 99.0)
        );
    }
}
