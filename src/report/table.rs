//! The summary table printed on the terminal after a run.

use crate::format::{millis, percent, Typography};
use crate::model::figures::Figures;
use std::fmt::Write as _;

use super::RunResult;
use crate::results::summarize::stopped_by;

/// A component's requests that did not succeed (the "errors" column).
fn errors(c: &crate::model::support::stats::ComponentReport) -> u64 {
    c.outcomes.total() - c.outcomes.succeeded
}

fn pct(x: f64) -> String {
    percent(x, "unknown")
}

/// A latency; `-` when nothing was measured (no succeeded request to time).
fn ms(x: f64) -> String {
    millis(x, Typography::Terminal)
}

/// What the unfinished requests mean for the figures: those that waited longer than the
/// patience count as failed in availability; the others are not judged.
fn unfinished_note(
    e: &crate::results::run::RequestFigures,
    patience: crate::engine::SimDuration,
) -> String {
    let u = &e.unfinished;
    if u.count == 0 {
        return String::new();
    }
    format!(
        " ({} waiting longer than {}, counted as failed; oldest {})",
        u.overdue,
        ms(patience.as_millis_f64()),
        ms(u.oldest_ns as f64 / 1e6)
    )
}

pub fn render(r: &RunResult) -> String {
    let mut out = String::new();
    let e = &r.end_to_end;
    let o = &e.outcomes;
    let _ = writeln!(
        out,
        "scenario {}  seed {}  simulated {:.1}s (warm-up {:.1}s)  stopped by {}",
        r.scenario,
        r.seed,
        r.end.as_secs_f64(),
        r.warmup.as_secs_f64(),
        stopped_by(r)
    );
    let _ = writeln!(
        out,
        "requests {}  succeeded {}  failed {}  rejected {}  timed out {}  unfinished {}{}",
        o.total(),
        o.succeeded,
        o.failed,
        o.rejected,
        o.timed_out,
        e.unfinished.count,
        unfinished_note(e, r.patience)
    );
    let measured = r.measured_secs();
    let throughput = if measured > 0.0 {
        o.succeeded as f64 / measured
    } else {
        0.0
    };
    let _ = writeln!(
        out,
        "availability {}{}  throughput {:.1} req/s",
        pct(e.availability()),
        if e.judged() == 0 {
            " (no request finished)"
        } else {
            ""
        },
        throughput
    );
    let l = &e.latency;
    if e.outcomes.succeeded == 0 {
        // A latency of nothing is unknown, not zero.
        let _ = writeln!(out, "latency  unknown (no request succeeded)");
    } else {
        let _ = writeln!(
            out,
            "latency  mean {}  p50 {}  p90 {}  p95 {}  p99 {}  p99.9 {}  max {}",
            ms(l.mean),
            ms(l.p50),
            ms(l.p90),
            ms(l.p95),
            ms(l.p99),
            ms(l.p999),
            ms(l.max)
        );
    }
    if let Some(s) = &r.slo {
        let _ = writeln!(
            out,
            "slo {} within {}: {} ({}), error budget used {:.1}%",
            pct(s.slo.target),
            ms(s.slo.latency.as_millis_f64()),
            pct(s.good_fraction()),
            if s.met() {
                "met"
            } else if s.total == 0 {
                "unknown"
            } else {
                "MISSED"
            },
            s.budget_used() * 100.0
        );
    }
    if let Some(reason) = &r.truncated {
        let _ = writeln!(
            out,
            "STOPPED EARLY ({reason}): the figures cover only the {:.1}s simulated before the stop",
            r.end.as_secs_f64()
        );
        if r.events == 0 {
            let _ = writeln!(
                out,
                "  stopped during the set-up, before the first event: nothing was simulated"
            );
        }
        if reason == crate::run::MAX_MEMORY {
            let _ = writeln!(
                out,
                "  the heap grew beyond run.max_memory: something grows without bound (a cache \
                 without a capacity, a queue that never drains); bound it, or raise \
                 run.max_memory (--max-memory) if this machine has the memory"
            );
        }
        if reason == crate::run::STALLED {
            let _ = writeln!(
                out,
                "  no request started or finished for {:.0} h of simulated time, yet events went \
                 on: {} request(s) in flight that nothing answers (give the traffic a timeout) \
                 or periodic events after the last request",
                crate::run::STALL_LIMIT.as_secs_f64() / 3600.0,
                e.unfinished.count
            );
        }
    }
    for finding in &r.trouble {
        let _ = writeln!(out, "TROUBLE {}", finding.message);
    }
    let lost = crate::results::summarize::lost(r);
    // Only what was actually lost; summary.json lists every category, zeros included.
    if lost.values().any(|&v| v != 0) {
        let items: Vec<String> = lost
            .iter()
            .filter(|(_, &v)| v != 0)
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(out, "lost  {}", items.join("  "));
    }
    let timelines = || {
        r.components.iter().filter_map(|c| match &c.figures {
            Figures::Failures(f) => Some(f),
            _ => None,
        })
    };
    let failures = timelines().map(|f| f.events.len()).sum::<usize>();
    if failures > 0 {
        let _ = writeln!(out, "failures  {failures} events (see summary.json)");
    }
    // A component's own errors, for an injected-error failure that no request felt.
    let errors_of = |name: &str| {
        r.components
            .iter()
            .find(|c| c.name == name && c.kind.is_some())
            .map_or(0, errors)
    };
    for f in timelines() {
        let _ = write!(out, "{}", downtime_lines(f, &errors_of));
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<20} {:<14} {:>10} {:>9} {:>8} {:>9} {:>9} {:>9}",
        "component", "kind", "requests", "errors", "util", "queue", "p50", "p99"
    );
    // Not the failure timeline (no kind): its events have their own lines above.
    for (c, kind) in r.components.iter().filter_map(|c| Some((c, c.kind?))) {
        let errors = errors(c);
        let util = c
            .utilization
            .map_or("-".to_string(), |u| format!("{:.1}%", u * 100.0));
        let queue = c.queue_mean.map_or("-".to_string(), |q| format!("{q:.2}"));
        let _ = writeln!(
            out,
            "{:<20} {:<14} {:>10} {:>9} {:>8} {:>9} {:>9} {:>9}",
            c.name,
            kind.name(),
            c.requests,
            errors,
            util,
            queue,
            ms(c.latency.p50),
            ms(c.latency.p99)
        );
    }
    for c in &r.components {
        let Figures::Cache(f) = &c.figures else {
            continue;
        };
        let ratio = f.hit_ratio.map_or("-".to_string(), pct);
        let _ = writeln!(
            out,
            "cache {}: hit ratio {ratio}  hits {}  misses {}  stale reads {}  evictions {}  expirations {}",
            c.name, f.hits, f.misses, f.stale_reads, f.evictions, f.expirations
        );
    }
    for c in &r.components {
        let Figures::Database(f) = &c.figures else {
            continue;
        };
        let lag = f.replication_lag_ms.map_or("-".to_string(), |l| ms(l.mean));
        let _ = writeln!(
            out,
            "database {}: stale reads {} ({})  replication lag {lag}  failovers {}  writes failed without master {}",
            c.name,
            f.stale_reads,
            f.stale_read_ratio.map_or("-".to_string(), pct),
            f.failovers.len(),
            f.writes_failed_no_master,
        );
        if let Some(why) = f.stale_reads_explained(r.measured_secs()) {
            let _ = writeln!(out, "  stale reads: {why}");
        }
    }
    for c in &r.components {
        let Figures::ShardedDatabase(f) = &c.figures else {
            continue;
        };
        let placement = &f.placement;
        let moved = f
            .resharding
            .as_ref()
            .and_then(|r| r.moves.get(placement))
            .map_or(String::new(), |m| {
                format!("  resharding moved {} of the keys", pct(m.moved_fraction))
            });
        let _ = writeln!(
            out,
            "sharded {}: {placement}  busiest shard {:.2}x the mean{moved}",
            c.name, f.busiest_shard_load_ratio
        );
    }
    for c in &r.components {
        let Figures::Server(f) = &c.figures else {
            continue;
        };
        if let Some(a) = &f.autoscale {
            let _ = writeln!(
                out,
                "autoscale {}: {} target {}, {}..{} instances, {} scale-outs, {} scale-ins, {:.1} in service on average (peak {})",
                c.name,
                a.metric,
                a.target,
                a.min,
                a.max,
                a.scale_outs,
                a.scale_ins,
                a.instances_in_service_mean,
                a.instances_in_service_peak,
            );
        }
        for (target, b) in f.circuit_breakers.iter().flatten() {
            let _ = writeln!(
                out,
                "circuit breaker {} -> {target}: opened {} times, {} calls failed fast, {} at the end",
                c.name, b.opened, b.fast_failed_calls, b.state_at_end
            );
        }
    }
    for c in &r.components {
        if let Figures::Dns(f) = &c.figures {
            dns_line(&c.name, f, &mut out);
        }
    }
    analytic(r, &mut out);
    bottlenecks(r, &mut out);
    if let Some(line) = crate::results::breakdown::table_line(r) {
        let _ = writeln!(out, "{line}");
    }
    if let Some(cost) = &r.cost {
        let _ = writeln!(
            out,
            "cost  {:.2} {} per hour, {} ({:.4} {} for the {:.2} h measured)",
            cost.per_hour,
            cost.currency,
            cost.monthly_text(),
            cost.run,
            cost.currency,
            cost.hours
        );
    }
    out
}

/// `dns geo: us -> dc-us 100%  eu -> dc-eu 43% dc-us 57%  sent to a down data center 3998`.
fn dns_line(name: &str, f: &crate::model::figures::dns::DnsFigures, out: &mut String) {
    let mut regions = String::new();
    for (region, dcs) in &f.routing {
        let _ = write!(regions, "  {region} ->");
        for (dc, route) in dcs {
            if route.share > 0.0 {
                let _ = write!(regions, " {dc} {}", pct(route.share));
            }
        }
    }
    let _ = writeln!(
        out,
        "dns {name}: {}  resolutions {}  sent to a down data center {}",
        regions.trim_start(),
        f.resolutions,
        f.sent_to_down_data_center,
    );
}

/// Observed downtime and each failure's time to recover, from the failure timeline's report.
fn downtime_lines(
    f: &crate::model::figures::failures::FailuresFigures,
    errors_of: &dyn Fn(&str) -> u64,
) -> String {
    let mut out = String::new();
    let d = &f.downtime;
    let _ = writeln!(
        out,
        "downtime  {} interval(s) seen by clients, {} in all",
        d.count,
        ms(d.total_s * 1000.0)
    );
    for e in f.events.iter().take(10) {
        let target = &e.target;
        let instance = match e.instance {
            Some(i) if !target.ends_with(']') => format!("[{i}]"),
            _ => String::new(),
        };
        let lasted = match e.end_s {
            Some(_) => format!("for {:.1}s", e.duration_s),
            None => "to the end".to_string(),
        };
        let _ = writeln!(
            out,
            "  {} {target}{instance} at {:.1}s {lasted}: {}",
            e.kind,
            e.start_s,
            impact_text(e, errors_of)
        );
    }
    out
}

/// One failure's impact in words: what it affected, by outcome and type, and when. When an
/// injected-error failure affected no request (a queue redelivered the work, a caller
/// retried), the target's own error count is still given, so "no impact on requests" is not
/// read as "nothing happened".
fn impact_text(
    e: &crate::model::figures::failures::FailureEventFigures,
    errors_of: &dyn Fn(&str) -> u64,
) -> String {
    let i = &e.impact;
    let c = &i.counts;
    if c.affected == 0 {
        let slow = if c.slow.is_some() {
            ", timed out or was slower than the objective"
        } else {
            " or timed out"
        };
        let own = match errors_of(&e.target) {
            n if n > 0 && e.kind == "errors" => format!(
                "; {} still answered {n} calls with an error in the run (from any cause)",
                e.target
            ),
            _ => String::new(),
        };
        return format!(
            "no impact on requests (none failed, was rejected{slow} because of it){own}"
        );
    }
    let parts: Vec<String> = [
        (c.failed, "failed"),
        (c.rejected, "rejected"),
        (c.timed_out, "timed out"),
        (c.slow.unwrap_or(0), "slower than the objective"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let mut text = format!("{} requests affected ({})", c.affected, parts.join(", "));
    if let (Some(first), Some(last)) = (i.first_s, i.last_s) {
        let _ = write!(text, " from {first:.1}s to {last:.1}s");
    }
    let types: Vec<String> = i
        .by_type
        .iter()
        .filter(|(_, t)| t.affected > 0)
        .map(|(name, t)| format!("{name} {}", t.affected))
        .collect();
    if !types.is_empty() {
        let _ = write!(text, "; by type: {}", types.join(", "));
    }
    text
}

/// The three components that limit the system most, each with why it is listed and what the
/// twin says would help.
fn bottlenecks(r: &RunResult, out: &mut String) {
    let ranked = &r.bottlenecks;
    if ranked.is_empty() {
        return;
    }
    for (i, b) in ranked.iter().take(3).enumerate() {
        let name = &b.component;
        let p99 = r
            .breakdown
            .as_ref()
            .and_then(|br| br.share_of_p99(name))
            .map_or_else(String::new, |s| format!("; {} of p99", pct(s)));
        let what_if = r
            .what_ifs
            .iter()
            .find(|w| w.component == *name)
            .map_or_else(String::new, |w| {
                format!(
                    " ({}: mean {} -> {})",
                    w.change,
                    ms(w.baseline_ms),
                    ms(w.after_ms)
                )
            });
        let head = if i == 0 {
            "bottlenecks "
        } else {
            "            "
        };
        let _ = writeln!(
            out,
            "{head} {}. {name}: {}{p99}{what_if}",
            i + 1,
            b.why.join("; ")
        );
    }
}

/// Theory next to the simulation, with a flag where they diverge.
fn analytic(r: &RunResult, out: &mut String) {
    let rows = &r.analytic;
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<20} {:<16} {:>10} {:>10}  {:<28} check",
        "theory", "metric", "expected", "simulated", "model"
    );
    let mut notes: Vec<String> = Vec::new();
    for c in rows {
        let e = &c.expectation;
        let show = |v: Option<f64>| match (v, e.metric) {
            (None, _) => "-".to_string(),
            (Some(v), "mean_latency_ms") => ms(v),
            (Some(v), _) => pct(v),
        };
        let check = match c.agrees {
            Some(true) => format!("ok (within {:.0}%)", e.tolerance * 100.0),
            Some(false) => format!("DIVERGES (tolerance {:.0}%)", e.tolerance * 100.0),
            None => "n/a".to_string(),
        };
        let _ = writeln!(
            out,
            "{:<20} {:<16} {:>10} {:>10}  {:<28} {check}",
            e.component,
            e.metric,
            show(e.theory),
            show(c.simulated),
            e.model
        );
        if let Some(note) = &e.note {
            let line = format!("{}: {note}", e.component);
            if !notes.contains(&line) {
                notes.push(line);
            }
        }
    }
    for note in notes {
        let _ = writeln!(out, "  {note}");
    }
}
