//! Trouble detectors: patterns in a run's time series that a person should be told about, with
//! the evidence in numbers.
//!
//! - **Saturation**: a component's utilisation stays near 1 over the last quarter of the run
//!   while its queue grows: it cannot keep up, and waiting times grow without bound. The queue
//!   grows if its level rose by a fifth within the last quarter, or if it rises steadily over
//!   the last half (a slope test on batch means, see [`steady_rise`]): a backlog that has grown
//!   linearly since the start rises by less than a fifth within any late quarter.
//! - **Unfinished backlog**: requests still unanswered at the end that had waited longer than
//!   the run's patience: the system did not keep up, whatever the queues show.
//! - **Metastable failure**: a trigger (a load surge, or a failure) ends, yet availability does
//!   not come back: the system is stuck in a bad state that sustains itself (a retry storm, a
//!   queue of work whose clients have left), and stays there longer than the trigger lasted.
//! - **Goodput collapse**: the rate of successful requests falls to less than half its best
//!   while the offered load is as high as when that best was reached: more load, less work done.
//!
//! - **Stale cache from unseen writes**: a cache served stale reads because of writes that
//!   reached its store by a path that neither updates nor invalidates it (another region's
//!   cache, a server writing past it): each stale read is blamed on the component the newer
//!   write was acknowledged to, and a writer that does not call the cache cannot have told it.
//!
//! The detectors read only the run's results. They use the end-to-end windows (offered load is
//! the requests born per window, retries excluded) and, for saturation, each component's busy
//! and queue windows. Windows before the warm-up ends are ignored. Test:
//! `tests/trouble_detectors.rs` (fires on `scenarios/retry-storm.yaml`, not on its cure).

use crate::model::figures::Figures;
use crate::model::kind::Kind;
use crate::results::run::{Bottleneck, Finding};
use crate::results::RunResult;
use crate::stats::Windows;

/// Utilisation at or above this is "near 1".
const SATURATED: f64 = 0.97;
/// Availability this far below the pre-trigger level counts as not recovered.
const UNHEALTHY_DROP: f64 = 0.10;
/// Goodput below this fraction of its best, at no less load, is a collapse.
const COLLAPSED: f64 = 0.5;
/// Seconds over which goodput and offered load are averaged before comparing them.
const SMOOTHING_SECS: f64 = 5.0;
/// Consecutive averages (each over `SMOOTHING_SECS`, at least) a goodput collapse must last.
const SUSTAINED: usize = 2;
/// Seconds given to a system to recover after its trigger, at the least.
const GRACE_SECS: f64 = 10.0;

/// Everything the detectors find, in a fixed order.
pub fn detect(r: &RunResult) -> Vec<Finding> {
    let mut found = unfinished_backlog(r).into_iter().collect::<Vec<_>>();
    found.extend(saturation(r));
    found.extend(metastable(r));
    found.extend(goodput_collapse(r));
    found.extend(unseen_writes(r));
    found
}

/// The end-to-end windows of the measured part of the run: `(start [s], width [s], offered,
/// succeeded, finished)`, leaving out the warm-up and a last window cut short.
fn measured_windows(r: &RunResult) -> Vec<(f64, f64, u64, u64, u64)> {
    let windows = &r.end_to_end_windows;
    let width = windows.width_ns() as f64 / 1e9;
    let (warmup, end) = (r.warmup.as_secs_f64(), r.end.as_secs_f64());
    windows
        .rows()
        .iter()
        .enumerate()
        .map(|(i, row)| {
            (
                i as f64 * width,
                width,
                row.arrivals,
                row.outcomes.succeeded,
                row.outcomes.total(),
            )
        })
        .filter(|&(start, w, ..)| start >= warmup && start + w <= end + 1e-9)
        .collect()
}

/// A per-window level series (`area` per window, divided by `per` and the window's width)
/// over the measured windows: `(start [s], level)`, leaving out the warm-up and a last window
/// cut short.
fn levels(r: &RunResult, w: &Windows<f64>, per: f64) -> Vec<(f64, f64)> {
    let width = w.width_ns() as f64 / 1e9;
    w.rows()
        .iter()
        .enumerate()
        .map(|(i, area)| (i as f64 * width, area / (width * per)))
        .filter(|&(start, _)| {
            start >= r.warmup.as_secs_f64() && start + width <= r.end.as_secs_f64() + 1e-9
        })
        .collect()
}

/// How a queue's level moved over the end of the run: the mean level in the earlier and the
/// later half of the last quarter, and whether it grows: by a fifth within that quarter, or
/// steadily over the last half ([`steady_rise`]). `None` with fewer than 8 windows.
fn queue_trend(queue: &[(f64, f64)]) -> Option<(f64, f64, bool)> {
    if queue.len() < 8 {
        return None;
    }
    let q_tail = &queue[queue.len() * 3 / 4..];
    let half = q_tail.len() / 2;
    let mean = |s: &[(f64, f64)]| s.iter().map(|(_, q)| q).sum::<f64>() / s.len().max(1) as f64;
    let (early, late) = (mean(&q_tail[..half]), mean(&q_tail[half..]));
    let grows = late > early * 1.2 || steady_rise(&queue[queue.len() / 2..]);
    Some((early, late, grows))
}

/// A component's queue grows over the end of the run, to at least one waiting request on
/// average: `(earlier, later)` mean levels, as [`queue_trend`] finds them.
fn queue_growth(r: &RunResult, c: &crate::model::ComponentReport) -> Option<(f64, f64)> {
    let queue = levels(r, c.queue_windows.as_ref()?, 1.0);
    let (early, late, grows) = queue_trend(&queue)?;
    (grows && late >= 1.0).then_some((early, late))
}

fn saturation(r: &RunResult) -> Vec<Finding> {
    let mut found = Vec::new();
    for c in &r.components {
        let (Some((busy, capacity)), Some(queue)) = (&c.busy_windows, &c.queue_windows) else {
            continue;
        };
        if *capacity == 0 {
            continue;
        }
        let util = levels(r, busy, *capacity as f64);
        let queue = levels(r, queue, 1.0);
        if util.len() < 8 {
            continue;
        }
        let Some((early, late, grows)) = queue_trend(&queue) else {
            continue;
        };
        let tail = &util[util.len() * 3 / 4..];
        let mean_util = tail.iter().map(|(_, u)| u).sum::<f64>() / tail.len() as f64;
        if mean_util >= SATURATED && grows && late >= 1.0 {
            found.push(Finding {
                kind: "saturation",
                component: Some(c.name.clone()),
                at_s: tail[0].0,
                message: format!(
                    "{} is saturated: {:.1}% busy over the last quarter of the run, and its queue \
                     grew from {:.1} to {:.1} waiting requests on average",
                    c.name,
                    mean_util * 100.0,
                    early,
                    late
                ),
            });
        }
    }
    found
}

/// A node or instance this much busier than its component's mean is named beside it: a mean
/// over a master and its replicas, or over unevenly loaded instances, hides the one that
/// limits.
const BUSIEST_ABOVE_MEAN: f64 = 0.10;
/// A mean queue at least this long is a reason to list a component even when it does not grow.
const LONG_QUEUE: f64 = 1.0;

/// What limits the system, most limiting first. A component that turns requests away itself
/// (a full queue, a rate limit: [`crate::model::RequestStats::refuse`]) or whose queue grows
/// over the end of the run ([`queue_trend`]) caps what the system serves, and comes before any
/// that is merely busy: ranked by the share of its requests it refused, then by a growing
/// queue, then by its mean queue. The others follow by utilisation (of their busiest node or
/// instance where that is markedly busier than the mean), then by name. Components a
/// rejection only passes through (a caller of the full one) are not refusing anything, and
/// rank by how busy they are. Each carries why it is listed, in words.
pub fn bottlenecks(r: &RunResult) -> Vec<Bottleneck> {
    let mut ranked: Vec<Bottleneck> = r
        .components
        .iter()
        .filter(|c| c.kind.is_some() && (c.utilization.is_some() || c.refused > 0))
        .map(|c| {
            let refused_share = if c.requests > 0 {
                c.refused as f64 / c.requests as f64
            } else {
                0.0
            };
            let queue_growth = queue_growth(r, c);
            let busiest = busiest_part(c);
            let mut why = Vec::new();
            if c.refused > 0 {
                let cause = match c.kind {
                    Some(Kind::RateLimiter | Kind::Provider) => "at its rate limit",
                    _ => "its queue full",
                };
                why.push(format!(
                    "rejects {} of its requests ({} turned away, {cause})",
                    share(refused_share),
                    c.refused
                ));
            }
            if let Some((early, late)) = queue_growth {
                why.push(format!(
                    "queue growing ({early:.1} -> {late:.1} waiting over the last quarter)"
                ));
            } else if let Some(q) = c.queue_mean.filter(|&q| q >= LONG_QUEUE) {
                why.push(match c.queue_peak {
                    Some(peak) => format!("queue {q:.1} mean (peak {peak})"),
                    None => format!("queue {q:.1} mean"),
                });
            }
            if let Some(u) = c.utilization {
                why.push(match &busiest {
                    Some((part, b)) => {
                        format!("{} busy ({part} {} busy)", share(u), share(*b))
                    }
                    None => format!("{} busy", share(u)),
                });
            }
            Bottleneck {
                component: c.name.clone(),
                limits: c.refused > 0 || queue_growth.is_some(),
                refused: c.refused,
                refused_share,
                queue_mean: c.queue_mean,
                queue_peak: c.queue_peak,
                queue_growth,
                utilization: c.utilization,
                busiest,
                why,
            }
        })
        .collect();
    let busy = |b: &Bottleneck| {
        b.busiest
            .as_ref()
            .map_or(0.0, |(_, u)| *u)
            .max(b.utilization.unwrap_or(0.0))
    };
    ranked.sort_by(|a, b| {
        b.limits
            .cmp(&a.limits)
            .then(b.refused_share.total_cmp(&a.refused_share))
            .then(b.queue_growth.is_some().cmp(&a.queue_growth.is_some()))
            .then(if a.limits {
                b.queue_mean
                    .unwrap_or(0.0)
                    .total_cmp(&a.queue_mean.unwrap_or(0.0))
            } else {
                std::cmp::Ordering::Equal
            })
            .then(busy(b).total_cmp(&busy(a)))
            .then(a.component.cmp(&b.component))
    });
    ranked
}

/// A share as a percentage with one decimal, or with more where one would round a nonzero
/// share to 0.0%.
fn share(x: f64) -> String {
    if x > 0.0 && x < 0.0005 {
        format!("{:.3}%", x * 100.0)
    } else {
        format!("{:.1}%", x * 100.0)
    }
}

/// The busiest node of a replicated database, or instance of a pool, where it is busier than
/// the component's mean by [`BUSIEST_ABOVE_MEAN`] or more.
fn busiest_part(c: &crate::model::ComponentReport) -> Option<(String, f64)> {
    let mean = c.utilization?;
    let parts: Vec<(String, f64)> = match &c.figures {
        Figures::Database(f) => f
            .nodes
            .iter()
            .map(|n| (n.node.clone(), n.utilization))
            .collect(),
        Figures::Server(f) => f
            .per_instance
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, p)| (format!("{}[{i}]", c.name), p.utilization))
            .collect(),
        _ => Vec::new(),
    };
    parts
        .into_iter()
        .filter(|(_, u)| u.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .filter(|(_, u)| *u >= mean + BUSIEST_ABOVE_MEAN)
}

/// Batches the rise test averages the windows into: their means are close to independent when
/// a batch is much longer than the queue's memory, which a linear trend over the run is not.
const BATCHES: usize = 8;
/// Student's t quantile for a one-sided 0.5% test with `BATCHES - 2` = 6 degrees of freedom.
const T_995_6: f64 = 3.707;

/// Whether a level (queue length) rises steadily over `series` (`(start, level)` windows): the
/// least-squares slope of its batch means is positive at the 0.5% level (a t test on the
/// slope, batch means standing in for the autocorrelated windows) and the fitted rise over the
/// series is at least a tenth of its last level. A stable queue, however busy, wanders without
/// a trend; a backlog that grows by the excess arrival rate rises in a straight line.
fn steady_rise(series: &[(f64, f64)]) -> bool {
    if series.len() < BATCHES {
        return false;
    }
    let size = series.len() / BATCHES;
    let points: Vec<(f64, f64)> = series
        .chunks_exact(size)
        .take(BATCHES)
        .map(|batch| {
            let n = batch.len() as f64;
            (
                batch.iter().map(|p| p.0).sum::<f64>() / n,
                batch.iter().map(|p| p.1).sum::<f64>() / n,
            )
        })
        .collect();
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx <= 0.0 {
        return false;
    }
    let slope = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx;
    let residual: f64 = points
        .iter()
        .map(|p| (p.1 - my - slope * (p.0 - mx)).powi(2))
        .sum();
    let standard_error = (residual / (n - 2.0) / sxx).sqrt();
    let span = points[points.len() - 1].0 - points[0].0;
    let last = points[points.len() - 1].1;
    slope > 0.0 && slope > T_995_6 * standard_error && slope * span >= 0.1 * last
}

/// Requests still unanswered at the end after waiting longer than the run's patience.
fn unfinished_backlog(r: &RunResult) -> Option<Finding> {
    let u = &r.end_to_end.unfinished;
    if u.overdue == 0 {
        return None;
    }
    let sent = r.end_to_end.arrivals.max(1) as f64;
    Some(Finding {
        kind: "unfinished_backlog",
        component: None,
        at_s: r.end.as_secs_f64() - u.oldest_ns as f64 / 1e9,
        message: format!(
            "{} requests ({:.1}% of those sent after the warm-up) were unanswered at the end, {} \
             of them for longer than {:.1}s (the oldest for {:.1}s): the system did not keep up \
             with its load, and availability counts those {} as failed",
            u.count,
            u.count as f64 / sent * 100.0,
            u.overdue,
            r.patience.as_secs_f64(),
            u.oldest_ns as f64 / 1e9,
            u.overdue
        ),
    })
}

/// Windows (by index into `windows`) during which a trigger acts: offered load well above its
/// median (a surge), or a scripted or random failure.
fn trigger_windows(r: &RunResult, windows: &[(f64, f64, u64, u64, u64)]) -> Vec<bool> {
    let mut offered: Vec<f64> = windows.iter().map(|w| w.2 as f64).collect();
    offered.sort_by(f64::total_cmp);
    let median = offered.get(offered.len() / 2).copied().unwrap_or(0.0);
    // A surge: 30% above the median, and beyond Poisson noise (4 standard deviations).
    let surge = median + (0.3 * median).max(4.0 * median.sqrt());
    let failures: Vec<(f64, f64)> = r
        .components
        .iter()
        .filter_map(|c| match &c.figures {
            Figures::Failures(f) => Some(&f.events),
            _ => None,
        })
        .flatten()
        .map(|e| (e.start_s, e.end_s.unwrap_or(r.end.as_secs_f64())))
        .collect();
    windows
        .iter()
        .map(|&(start, width, arrivals, ..)| {
            arrivals as f64 > surge
                || failures
                    .iter()
                    .any(|&(from, until)| from < start + width && until > start)
        })
        .collect()
}

fn availability(windows: &[(f64, f64, u64, u64, u64)]) -> Option<f64> {
    let (ok, all) = windows
        .iter()
        .fold((0, 0), |(ok, all), w| (ok + w.3, all + w.4));
    (all > 0).then(|| ok as f64 / all as f64)
}

fn metastable(r: &RunResult) -> Option<Finding> {
    let windows = measured_windows(r);
    let trigger = trigger_windows(r, &windows);
    let first = trigger.iter().position(|&t| t)?;
    let last = trigger.iter().rposition(|&t| t)?;
    if first < 3 {
        return None;
    }
    let before = availability(&windows[..first])?;
    let width = windows[0].1;
    // Give the system at least as long as its last trigger lasted, and GRACE_SECS.
    let last_start = trigger[..=last]
        .iter()
        .rposition(|&t| !t)
        .map_or(0, |i| i + 1);
    let lasted = last + 1 - last_start;
    let grace = lasted.max((GRACE_SECS / width).ceil() as usize);
    let judged = windows.get(last + 1 + grace..)?;
    if judged.len() < 3 {
        return None;
    }
    let after = availability(judged)?;
    if after >= before - UNHEALTHY_DROP {
        return None;
    }
    let healthy = |w: &(f64, f64, u64, u64, u64)| {
        w.4 == 0 || (w.3 as f64 / w.4 as f64) >= before - UNHEALTHY_DROP / 2.0
    };
    let recovered = (last + 1..windows.len())
        .find(|&i| windows[i..].iter().all(healthy))
        .map(|i| windows[i].0);
    let ended = windows[last].0 + width;
    Some(Finding {
        kind: "metastable_failure",
        component: None,
        at_s: ended,
        message: format!(
            "metastable failure: the trigger (load surge or failure) ended at t={ended:.0}s, but \
             availability stayed at {:.1}% (before it: {:.1}%) {}",
            after * 100.0,
            before * 100.0,
            match recovered {
                Some(t) => format!("until t={t:.0}s, long after the trigger"),
                None => format!(
                    "to the end of the run (t={:.0}s): the bad state sustains itself",
                    r.end.as_secs_f64()
                ),
            }
        ),
    })
}

fn goodput_collapse(r: &RunResult) -> Option<Finding> {
    let windows = measured_windows(r);
    let width = windows.first()?.1;
    let span = ((SMOOTHING_SECS / width).round() as usize).max(1);
    if windows.len() < span * 2 {
        return None;
    }
    let secs = span as f64 * width;
    // Requests offered and succeeded in the `span` windows ending before `end`.
    let counts = |end: usize| {
        let slice = &windows[end - span..end];
        let offered = slice.iter().map(|w| w.2).sum::<u64>() as f64;
        let succeeded = slice.iter().map(|w| w.3).sum::<u64>() as f64;
        (succeeded, offered)
    };
    // Collapsed: under half the best goodput so far, and under half of what is offered, by
    // more than Poisson noise (4 standard deviations). A queue that keeps up finishes about as
    // many requests as arrive, and when demand falls goodput falls with it; the best of many
    // noisy averages, alone, would be far above the typical one.
    let collapsed = |(succeeded, offered): (f64, f64), best: f64| {
        succeeded < COLLAPSED * best
            && succeeded < COLLAPSED * offered
            && offered - succeeded > 4.0 * offered.sqrt()
    };
    let mut best: Option<(f64, f64)> = None; // (succeeded, offered) per span
    for i in span..=windows.len() {
        let now = counts(i);
        match best {
            Some((g, o)) if collapsed(now, g) => {
                // It must last: the following averages too, SUSTAINED in all, end to end.
                let sustained = i + (SUSTAINED - 1) * span <= windows.len()
                    && (1..SUSTAINED).all(|k| collapsed(counts(i + k * span), g));
                if !sustained {
                    continue;
                }
                let start = windows[i - span].0;
                return Some(Finding {
                    kind: "goodput_collapse",
                    component: None,
                    at_s: start,
                    message: format!(
                        "goodput collapse: from t={start:.0}s, {:.1} successful requests/s at \
                         an offered {:.1}/s, against {:.1}/s at an offered {:.1}/s before",
                        now.0 / secs,
                        now.1 / secs,
                        g / secs,
                        o / secs
                    ),
                });
            }
            Some((g, _)) if now.0 <= g => {}
            _ => best = Some(now),
        }
    }
    None
}

/// Stale reads a cache must owe to writers that do not call it before
/// [`unseen_writes`] reports them: a few are a coincidence of timing, not a pattern.
const UNSEEN_MIN_READS: u64 = 10;
/// ... and the share of the cache's hits they must make up.
const UNSEEN_MIN_SHARE: f64 = 0.001;

/// Caches left stale by writes they never saw: a cache's stale reads blamed on writers (the
/// store's callers the newer writes were acknowledged to) that are neither the cache itself
/// nor call it, so their writes change the store without updating or invalidating this copy.
/// Fires when those stale reads are at least [`UNSEEN_MIN_READS`] and
/// [`UNSEEN_MIN_SHARE`] of the cache's hits.
fn unseen_writes(r: &RunResult) -> Vec<Finding> {
    let calls = |from: &str, to: &str| {
        r.topology
            .edges
            .iter()
            .any(|e| e.from == from && e.to == to)
    };
    let mut found = Vec::new();
    for c in &r.components {
        let Figures::Cache(f) = &c.figures else {
            continue;
        };
        let unseen: Vec<(&String, u64)> = f
            .stale_reads_by_writer
            .iter()
            .filter(|(writer, _)| **writer != c.name && !calls(writer, &c.name))
            .map(|(writer, &n)| (writer, n))
            .collect();
        let stale: u64 = unseen.iter().map(|(_, n)| n).sum();
        if stale < UNSEEN_MIN_READS || (stale as f64) < UNSEEN_MIN_SHARE * f.hits as f64 {
            continue;
        }
        let store = f.store.as_deref().unwrap_or("its store");
        let writers: Vec<String> = unseen.iter().map(|(w, n)| format!("{w} ({n})")).collect();
        let names: Vec<&str> = unseen.iter().map(|(w, _)| w.as_str()).collect();
        found.push(Finding {
            kind: "stale_cache_unseen_writes",
            component: Some(c.name.clone()),
            at_s: r.warmup.as_secs_f64(),
            message: format!(
                "{} served {} stale reads ({:.1}% of its {} hits) because writes by {} changed \
                 {store} without updating or invalidating {}: make every writer of {store} \
                 invalidate (or update) each cache of it, e.g. {} also invalidating {}, or put \
                 one shared cache in front of {store} (write-through), or shorten {}'s ttl to \
                 bound how long a copy stays stale",
                c.name,
                stale,
                stale as f64 / f.hits.max(1) as f64 * 100.0,
                f.hits,
                writers.join(", "),
                c.name,
                names.join(" and "),
                c.name,
                c.name
            ),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// A level that wanders like a busy stable queue: an AR(1) process around `mean` whose
    /// windows remember `memory` of the previous one, kept at zero or above.
    fn wandering(seed: u64, windows: usize, mean: f64, memory: f64) -> Vec<(f64, f64)> {
        let mut rng = crate::engine::rng::stream(seed, "test", "queue");
        let mut level = mean;
        (0..windows)
            .map(|i| {
                let shock: f64 = rng.random_range(-1.0..1.0) * mean;
                level = (memory * level + (1.0 - memory) * mean + shock * 0.5).max(0.0);
                (i as f64, level)
            })
            .collect()
    }

    #[test]
    fn a_backlog_growing_in_a_straight_line_rises_steadily() {
        // Linear growth since the start of the run: within the last quarter the level rises by
        // only 1/7 (from 7/8 to 1 of its end value on average), under the relative test's
        // fifth; the trend is plain.
        for seed in 1..=5 {
            let noisy: Vec<(f64, f64)> = wandering(seed, 300, 20.0, 0.9)
                .into_iter()
                .map(|(t, q)| (t, q + 50.0 * t))
                .collect();
            assert!(steady_rise(&noisy[150..]), "seed {seed}");
        }
    }

    #[test]
    fn a_stable_queue_does_not_rise_steadily() {
        // 200 seeds of a level with strong memory (what a queue at 90–99% load looks like from
        // window to window): a 0.5% one-sided test on 8 batch means should fire about once,
        // and the rise must also be a tenth of the last level.
        let fired = (1..=200)
            .filter(|&seed| steady_rise(&wandering(seed, 300, 50.0, 0.8)[150..]))
            .count();
        assert!(fired <= 3, "fired on {fired} of 200 stable series");
    }

    #[test]
    fn too_few_windows_say_nothing() {
        let rising: Vec<(f64, f64)> = (0..7).map(|i| (i as f64, i as f64 * 10.0)).collect();
        assert!(!steady_rise(&rising));
    }
}
