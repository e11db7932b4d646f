//! `sim estimate`: the classic back-of-the-envelope table of a scenario, then the simulation
//! beside it.
//!
//! # The estimate
//!
//! From the checked plan and the scenario's `estimate` section ([`EstimateSettings`]):
//! - requests per second: each open-loop source's rate profile (steps, ramps, daily curve,
//!   spikes and multiplier included) averaged over a day (`day`, default 24h), over the run,
//!   and its peak (the supremum of the profile); a closed-loop source counts `users / mean
//!   think time` (an upper bound: it ignores the response time). Several sources add up, peaks
//!   too (an upper bound if they peak at different times);
//! - the read/write split, from each source's mix and the scenario's write types;
//! - storage: writes per day x `bytes_per_write`, and that times 365 x `years`;
//! - bandwidth: in = writes/s x `bytes_per_write` + requests/s x `request_bytes`; out = reads/s x
//!   `response_bytes` (daily averages);
//! - cache memory for the hot set: `hot_fraction` x reads per day x `response_bytes` (the
//!   "cache 20% of a day's reads" rule, counting requests, not distinct keys: an upper bound);
//! - per server pool and database: the arrival rate at it, derived through the topology as the
//!   analytic twin does ([`crate::analytic::arrival_rates`]: balancers split by weight, caches
//!   pass their misses on at theory's hit ratio where there is one and every request
//!   otherwise), times the mean service time of each request type (the pool's own work, not
//!   the time its workers wait for downstream calls), over the workers of one instance: the
//!   busy workers. Utilisation at the configured size is that over all the workers; the
//!   instances needed are `ceil(peak work / (workers x target_utilisation))`. A database's
//!   writes all go to its master; its reads go to the replicas (or the master with
//!   `reads: master`), so it needs `1 + ceil(read work / (connections x target))` nodes.
//!
//! # Beside the simulation
//!
//! [`compare`] puts the estimate next to one run: requests per second, the write share, each
//! pool's utilisation and mean latency (the estimate being the service time, i.e. no queueing),
//! cache hit ratios and the end-to-end p99, each with a verdict saying whether the estimate
//! holds and, if not, why (queueing, workers waiting for downstream calls, a cache or browser
//! caches absorbing reads, an overloaded pool). Tests: `tests/estimate.rs`.

use serde::Serialize;

use crate::engine::{SimDuration, SimTime};
use crate::model::figures::Figures;
use crate::model::source::Load;
use crate::results::RunResult;
use crate::scenario::validate::ComponentPlan;
use crate::scenario::validate::EstimateSettings;
use crate::scenario::Plan;

/// One server pool or database, estimated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolEstimate {
    pub name: String,
    /// "server" or "database".
    pub kind: &'static str,
    /// Mean arrivals per second over the run.
    pub arrivals_per_s: f64,
    /// Arrivals per second at the traffic's peak.
    pub peak_arrivals_per_s: f64,
    /// Mean service time of an arriving request [ms] (its own work, weighted by type).
    pub mean_service_ms: f64,
    /// Workers of one instance (a database: connections of one node).
    pub workers: u32,
    /// Instances configured (a database: nodes, master included).
    pub instances: u32,
    /// Busy workers over all the configured ones, at the run's mean rate.
    pub utilisation: f64,
    /// Instances needed at the peak for the target utilisation (a database: nodes, master
    /// included).
    pub instances_needed: u64,
    /// A database: the master's utilisation from writes alone at the peak (it cannot be
    /// spread over more nodes).
    pub master_peak_utilisation: Option<f64>,
}

/// The back-of-the-envelope figures of a scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub settings: EstimateSettings,
    /// Mean requests per second over one `day`.
    pub requests_per_s: f64,
    /// Mean requests per second over the run (what the simulation sends).
    pub requests_per_s_run: f64,
    pub peak_requests_per_s: f64,
    /// Daily means.
    pub reads_per_s: f64,
    pub writes_per_s: f64,
    /// Writes over all requests.
    pub write_share: f64,
    pub reads_per_day: f64,
    pub writes_per_day: f64,
    pub storage_per_day_bytes: f64,
    /// Storage after `years` years of writes.
    pub storage_bytes: f64,
    pub bandwidth_in_bytes_per_s: f64,
    pub bandwidth_out_bytes_per_s: f64,
    /// Cache memory for the hot set: hot_fraction x reads per day x response_bytes.
    pub cache_hot_set_bytes: f64,
    pub pools: Vec<PoolEstimate>,
    /// Caveats (closed-loop sources, several sources' peaks).
    pub notes: Vec<String>,
}

const SECONDS_PER_YEAR_DAYS: f64 = 365.0;

/// The estimate of `plan` (its `estimate` section or the defaults).
pub fn estimate(plan: &Plan) -> Estimate {
    let settings = plan.estimate.clone().unwrap_or_default();
    let day_end = SimTime::ZERO + settings.day;
    let run_end = SimTime::ZERO + plan.duration.unwrap_or(settings.day);
    let mut notes = Vec::new();
    // Per component: (daily mean, run mean, peak) rate of each source.
    let mut rates: Vec<(f64, f64, f64)> = vec![(0.0, 0.0, 0.0); plan.components.len()];
    let (mut day_total, mut run_total, mut peak_total) = (0.0, 0.0, 0.0);
    let (mut reads, mut writes) = (0.0, 0.0);
    let mut sources = 0;
    for (id, (name, component)) in plan.components.iter().enumerate() {
        let ComponentPlan::Source(s) = component else {
            continue;
        };
        sources += 1;
        let r = match &s.load {
            Load::Open { profile, .. } => (
                profile.mean_rate_over(SimTime::ZERO, day_end),
                profile.mean_rate_over(SimTime::ZERO, run_end),
                profile.max_rate(),
            ),
            Load::Closed { users, think_time } => {
                let think = think_time.mean_secs();
                let rate = if think > 0.0 {
                    f64::from(*users) / think
                } else {
                    0.0
                };
                notes.push(format!(
                    "'{name}' is closed-loop: users / mean think time = {rate:.1}/s, an upper bound (the response time slows users down)"
                ));
                (rate, rate, rate)
            }
        };
        rates[id] = r;
        day_total += r.0;
        run_total += r.1;
        peak_total += r.2;
        let weights: f64 = s.mix.iter().map(|&(_, w)| w).sum();
        if weights > 0.0 {
            for &(t, w) in &s.mix {
                if plan.write_types.get(t as usize).copied().unwrap_or(false) {
                    writes += r.0 * w / weights;
                } else {
                    reads += r.0 * w / weights;
                }
            }
        }
    }
    if sources > 1 {
        notes.push(
            "several sources: the peak adds their peaks, an upper bound if they peak at different times"
                .into(),
        );
    }
    let day_s = settings.day.as_secs_f64();
    let reads_per_day = reads * day_s;
    let writes_per_day = writes * day_s;
    let storage_per_day = writes_per_day * settings.bytes_per_write as f64;
    // The flow at the run's mean rate; at the peak every source is scaled to its own peak.
    let run_flow = crate::analytic::arrival_rates(plan, |id| rates[id].1);
    let peak_flow = crate::analytic::arrival_rates(plan, |id| rates[id].2);
    let pools = plan
        .components
        .iter()
        .enumerate()
        .filter_map(|(id, (name, component))| {
            pool_estimate(
                plan,
                &settings,
                name,
                component,
                &run_flow[id],
                &peak_flow[id],
            )
        })
        .collect();
    Estimate {
        requests_per_s: day_total,
        requests_per_s_run: run_total,
        peak_requests_per_s: peak_total,
        reads_per_s: reads,
        writes_per_s: writes,
        write_share: if reads + writes > 0.0 {
            writes / (reads + writes)
        } else {
            0.0
        },
        reads_per_day,
        writes_per_day,
        storage_per_day_bytes: storage_per_day,
        storage_bytes: storage_per_day * SECONDS_PER_YEAR_DAYS * settings.years,
        bandwidth_in_bytes_per_s: writes * settings.bytes_per_write as f64
            + day_total * settings.request_bytes as f64,
        bandwidth_out_bytes_per_s: reads * settings.response_bytes as f64,
        cache_hot_set_bytes: settings.hot_fraction * reads_per_day * settings.response_bytes as f64,
        pools,
        notes,
        settings,
    }
}

/// Busy workers a flow keeps: sum over types of arrivals x mean service time [s].
fn work(flow: &[f64], service_s: impl Fn(usize) -> f64) -> f64 {
    flow.iter()
        .enumerate()
        .map(|(t, rate)| rate * service_s(t))
        .sum()
}

fn pool_estimate(
    plan: &Plan,
    settings: &EstimateSettings,
    name: &str,
    component: &ComponentPlan,
    run_flow: &[f64],
    peak_flow: &[f64],
) -> Option<PoolEstimate> {
    let arrivals: f64 = run_flow.iter().sum();
    let peak: f64 = peak_flow.iter().sum();
    let target = settings.target_utilisation;
    let needed = |busy: f64, workers: u32| (busy / (f64::from(workers) * target)).ceil() as u64;
    match component {
        ComponentPlan::Server(s) => {
            let service = |t: usize| s.profiles[t].service_time.mean_secs();
            let busy = work(run_flow, service);
            let workers = s.workers.max(1);
            let instances = s.instances.max(1);
            Some(PoolEstimate {
                name: name.to_string(),
                kind: "server",
                arrivals_per_s: arrivals,
                peak_arrivals_per_s: peak,
                mean_service_ms: if arrivals > 0.0 {
                    busy / arrivals * 1e3
                } else {
                    0.0
                },
                workers,
                instances,
                utilisation: busy / f64::from(workers * instances),
                instances_needed: needed(work(peak_flow, service), workers).max(1),
                master_peak_utilisation: None,
            })
        }
        ComponentPlan::Database(d) => {
            let is_write = |t: usize| plan.write_types.get(t).copied().unwrap_or(false);
            let service = |t: usize| {
                if is_write(t) {
                    d.write_time.mean_secs()
                } else {
                    d.read_time.mean_secs()
                }
            };
            let busy = work(run_flow, service);
            let connections = d.connections.max(1);
            let nodes = d.replicas + 1;
            let peak_writes = work(peak_flow, |t| {
                if is_write(t) {
                    d.write_time.mean_secs()
                } else {
                    0.0
                }
            });
            let peak_reads = work(peak_flow, service) - peak_writes;
            let nodes_needed = if d.reads_from_master || d.replicas == 0 {
                needed(peak_reads + peak_writes, connections).max(1)
            } else {
                1 + needed(peak_reads, connections).max(1)
            };
            Some(PoolEstimate {
                name: name.to_string(),
                kind: "database",
                arrivals_per_s: arrivals,
                peak_arrivals_per_s: peak,
                mean_service_ms: if arrivals > 0.0 {
                    busy / arrivals * 1e3
                } else {
                    0.0
                },
                workers: connections,
                instances: nodes,
                utilisation: busy / f64::from(connections * nodes),
                instances_needed: nodes_needed,
                master_peak_utilisation: Some(peak_writes / f64::from(connections)),
            })
        }
        _ => None,
    }
}

/// One figure of the estimate beside the simulation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub figure: String,
    pub estimate: Option<f64>,
    pub simulated: Option<f64>,
    /// The unit both are in ("req/s", "", "ms").
    pub unit: &'static str,
    /// Whether the estimate holds (within the row's tolerance).
    pub holds: Option<bool>,
    /// Why it holds or not, in plain words.
    pub verdict: String,
}

/// Relative tolerance within which an estimate "holds".
const HOLDS_WITHIN: f64 = 0.10;

fn close(estimate: f64, simulated: f64, tolerance: f64) -> bool {
    crate::analytic::relative_difference(simulated, estimate) <= tolerance
}

/// The estimate beside one run of the scenario.
pub fn compare(plan: &Plan, e: &Estimate, result: &RunResult) -> Vec<Row> {
    let mut rows = Vec::new();
    let measured_s = (result.end.as_secs_f64() - result.warmup.as_secs_f64()).max(1e-9);
    let component = |name: &str| result.components.iter().find(|c| c.name == name);
    // Browser caches answering clicks locally: what the classic estimate does not know.
    let sources = || {
        result.components.iter().filter_map(|c| match &c.figures {
            Figures::Traffic(f) => Some(f),
            _ => None,
        })
    };
    let local: u64 = sources().filter_map(|f| f.client_cache_hits).sum();
    let clicks: u64 = sources().filter_map(|f| f.clicks).sum();
    let local_share = if clicks > 0 {
        local as f64 / clicks as f64
    } else {
        0.0
    };

    let rps = result.end_to_end.arrivals as f64 / measured_s;
    let holds = close(e.requests_per_s_run, rps, 0.05);
    rows.push(Row {
        figure: "requests/s (mean over the run)".into(),
        estimate: Some(e.requests_per_s_run),
        simulated: Some(rps),
        unit: "req/s",
        holds: Some(holds),
        verdict: if holds {
            "holds: arrivals follow the rate profile".into()
        } else {
            "differs: a short run sees few arrivals (Poisson noise), or closed-loop users wait for replies".into()
        },
    });
    let peak = result
        .end_to_end_windows
        .rows()
        .iter()
        .map(|w| w.arrivals)
        .max()
        .map(|n| n as f64 / plan.window.as_secs_f64());
    if let Some(peak) = peak {
        let holds = close(e.peak_requests_per_s, peak, HOLDS_WITHIN);
        rows.push(Row {
            figure: format!(
                "peak requests/s (busiest {} window)",
                crate::format::short_duration(plan.window.as_secs_f64())
            ),
            estimate: Some(e.peak_requests_per_s),
            simulated: Some(peak),
            unit: "req/s",
            holds: Some(holds),
            verdict: if holds {
                "holds".into()
            } else if peak > e.peak_requests_per_s {
                "above: Poisson arrivals bunch up, so a short window sees more than the mean rate"
                    .into()
            } else {
                "below: the run does not reach the profile's peak (or the peak is shorter than a window)".into()
            },
        });
    }
    let (mut reads, mut writes) = (0u64, 0u64);
    for (t, (_, figures)) in result.request_types.iter().enumerate() {
        if plan.write_types.get(t).copied().unwrap_or(false) {
            writes += figures.arrivals;
        } else {
            reads += figures.arrivals;
        }
    }
    if reads + writes > 0 {
        let share = writes as f64 / (reads + writes) as f64;
        let holds = (share - e.write_share).abs() <= 0.02;
        rows.push(Row {
            figure: "write share".into(),
            estimate: Some(e.write_share),
            simulated: Some(share),
            unit: "",
            holds: Some(holds),
            verdict: if holds {
                "holds: the mix decides it".into()
            } else {
                "differs: the run is short, or sources with different mixes peak at different times"
                    .into()
            },
        });
    }
    for pool in &e.pools {
        let Some(c) = component(&pool.name) else {
            continue;
        };
        let has_calls = plan.components.iter().any(|(n, p)| {
            n == &pool.name
                && matches!(p, ComponentPlan::Server(s) if s.profiles.iter().any(|p| !p.calls.is_empty()))
        });
        if let Some(sim_util) = c.utilization {
            let holds = (sim_util - pool.utilisation).abs() <= 0.05
                || close(pool.utilisation, sim_util, HOLDS_WITHIN);
            let verdict = if holds {
                "holds: utilisation is arrivals x service time / workers".to_string()
            } else if sim_util < pool.utilisation && local_share > 0.0 {
                format!(
                    "below: browsers answered {:.0}% of clicks from their caches",
                    local_share * 100.0
                )
            } else if sim_util < pool.utilisation {
                "below: a cache in front absorbs reads the estimate sends here (it has no hit ratio for it)".into()
            } else if sim_util > 0.95 {
                "saturated: the pool is busy all the time and its queue grows".into()
            } else if has_calls {
                "above: workers stay busy while they wait for downstream calls".into()
            } else {
                "above: more requests arrive than the topology estimate says".into()
            };
            rows.push(Row {
                figure: format!("{} utilisation", pool.name),
                estimate: Some(pool.utilisation),
                simulated: Some(sim_util),
                unit: "",
                holds: Some(holds),
                verdict,
            });
        }
        if c.outcomes.succeeded > 0 {
            let sim_mean = c.latency.mean;
            let holds = close(pool.mean_service_ms, sim_mean, 0.2);
            let wait = sim_mean - pool.mean_service_ms;
            let verdict = if holds {
                "holds: requests hardly queue".to_string()
            } else if has_calls && sim_mean > pool.mean_service_ms {
                format!("above: downstream calls and queueing add {wait:.1} ms")
            } else if sim_mean > pool.mean_service_ms {
                format!(
                    "queueing: requests wait {wait:.1} ms on average at {:.0}% utilisation",
                    c.utilization.unwrap_or(0.0) * 100.0
                )
            } else {
                "below: service times vary by type".into()
            };
            rows.push(Row {
                figure: format!("{} mean latency (estimate: service time)", pool.name),
                estimate: Some(pool.mean_service_ms),
                simulated: Some(sim_mean),
                unit: "ms",
                holds: Some(holds),
                verdict,
            });
            rows.push(Row {
                figure: format!("{} p99 latency", pool.name),
                estimate: None,
                simulated: Some(c.latency.p99),
                unit: "ms",
                holds: None,
                verdict: format!(
                    "the estimate has no tail: p99 is {:.1}x the mean service time",
                    if pool.mean_service_ms > 0.0 {
                        c.latency.p99 / pool.mean_service_ms
                    } else {
                        0.0
                    }
                ),
            });
        }
    }
    for (name, p) in &plan.components {
        if !matches!(p, ComponentPlan::Cache(_)) {
            continue;
        }
        if let Some(h) = component(name).and_then(|c| c.figures.number("hit_ratio")) {
            rows.push(Row {
                figure: format!("{name} hit ratio"),
                estimate: None,
                simulated: Some(h),
                unit: "",
                holds: None,
                verdict: format!(
                    "the estimate sizes the hot set ({}) but cannot say what it hits: popularity decides",
                    bytes(e.cache_hot_set_bytes)
                ),
            });
        }
    }
    if clicks > 0 {
        rows.push(Row {
            figure: "clicks answered by browser caches".into(),
            estimate: Some(0.0),
            simulated: Some(local_share),
            unit: "",
            holds: Some(local_share < 0.01),
            verdict: if local_share < 0.01 {
                "holds: every click reaches the servers".into()
            } else {
                "differs: permanent redirects (301) are kept by browsers; the origin (and its analytics) never sees these clicks".into()
            },
        });
    }
    if result.end_to_end.outcomes.succeeded > 0 {
        rows.push(Row {
            figure: "end-to-end p99 latency".into(),
            estimate: None,
            simulated: Some(result.end_to_end.latency.p99),
            unit: "ms",
            holds: None,
            verdict: "back-of-the-envelope sizing says nothing about the tail: that is what queueing decides".into(),
        });
    }
    rows
}

/// A duration in the largest whole unit: "24h", "90m", "30s", "1.5s".
fn span(d: SimDuration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 3600.0 && secs % 3600.0 == 0.0 {
        format!("{}h", secs / 3600.0)
    } else if secs >= 60.0 && secs % 60.0 == 0.0 {
        format!("{}m", secs / 60.0)
    } else {
        crate::format::short_duration(secs)
    }
}

/// A byte count in decimal units (B, KB, MB, GB, TB, PB).
pub fn bytes(n: f64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = n;
    let mut unit = 0;
    while value.abs() >= 1000.0 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else if value >= 100.0 {
        format!("{value:.0} {}", units[unit])
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

/// A count with thousands separators (1234567 -> "1,234,567"), rounded.
pub fn count(n: f64) -> String {
    crate::format::thousands_f64(n)
}

/// A rate: with thousands separators above 100, one decimal below.
pub fn rate(n: f64) -> String {
    if n >= 100.0 {
        count(n)
    } else {
        format!("{n:.1}")
    }
}

/// The estimate as the text `sim estimate` prints.
pub fn render_estimate(name: &str, e: &Estimate) -> String {
    use std::fmt::Write as _;
    let s = &e.settings;
    let mut out = String::new();
    let _ = writeln!(out, "Back-of-the-envelope estimate: {name}");
    let _ = writeln!(
        out,
        "  assumptions{}: {} per write, {} per response, {} per request, {} years, hot set {:.0}% of a day's reads, pools sized for {:.0}% utilisation, a day of {}",
        if s.written { "" } else { " (defaults: add an 'estimate' section)" },
        bytes(s.bytes_per_write as f64),
        bytes(s.response_bytes as f64),
        bytes(s.request_bytes as f64),
        s.years,
        s.hot_fraction * 100.0,
        s.target_utilisation * 100.0,
        span(s.day),
    );
    let line = |out: &mut String, label: &str, value: String| {
        let _ = writeln!(out, "    {label:<38} {value}");
    };
    let _ = writeln!(out, "\n  Traffic");
    line(
        &mut out,
        "requests/s, mean over a day",
        rate(e.requests_per_s),
    );
    line(
        &mut out,
        "requests/s, mean over the run",
        rate(e.requests_per_s_run),
    );
    line(&mut out, "requests/s, peak", rate(e.peak_requests_per_s));
    let ratio = if e.writes_per_s > 0.0 {
        format!(" ({:.1} reads per write)", e.reads_per_s / e.writes_per_s)
    } else {
        String::new()
    };
    line(
        &mut out,
        "reads/s : writes/s",
        format!("{} : {}{ratio}", rate(e.reads_per_s), rate(e.writes_per_s)),
    );
    line(&mut out, "reads per day", count(e.reads_per_day));
    line(&mut out, "writes per day", count(e.writes_per_day));
    let _ = writeln!(out, "\n  Storage");
    line(
        &mut out,
        "new data per day",
        format!(
            "{}  ({} writes x {})",
            bytes(e.storage_per_day_bytes),
            count(e.writes_per_day),
            bytes(s.bytes_per_write as f64)
        ),
    );
    line(
        &mut out,
        &format!("after {} years", s.years),
        format!("{}  (x 365 x {})", bytes(e.storage_bytes), s.years),
    );
    let _ = writeln!(out, "\n  Bandwidth");
    line(
        &mut out,
        "in",
        format!("{}/s", bytes(e.bandwidth_in_bytes_per_s)),
    );
    line(
        &mut out,
        "out",
        format!("{}/s", bytes(e.bandwidth_out_bytes_per_s)),
    );
    let _ = writeln!(out, "\n  Cache");
    line(
        &mut out,
        &format!("hot set ({:.0}% of a day's reads)", s.hot_fraction * 100.0),
        bytes(e.cache_hot_set_bytes),
    );
    if !e.pools.is_empty() {
        let _ = writeln!(
            out,
            "\n  Pools (needed: at the peak, for {:.0}% utilisation)",
            s.target_utilisation * 100.0
        );
        let width = e
            .pools
            .iter()
            .map(|p| p.name.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let _ = writeln!(
            out,
            "    {:<width$}  {:>10}  {:>10}  {:>10}  {:>7}  {:>10}  {:>11}  {:>6}",
            "pool",
            "arrivals/s",
            "peak/s",
            "service",
            "workers",
            "configured",
            "utilisation",
            "needed"
        );
        for p in &e.pools {
            let _ = writeln!(
                out,
                "    {:<width$}  {:>10}  {:>10}  {:>8.2}ms  {:>7}  {:>10}  {:>10.0}%  {:>6}",
                p.name,
                rate(p.arrivals_per_s),
                rate(p.peak_arrivals_per_s),
                p.mean_service_ms,
                p.workers,
                p.instances,
                p.utilisation * 100.0,
                p.instances_needed
            );
            if let Some(m) = p.master_peak_utilisation {
                if m > s.target_utilisation {
                    let _ = writeln!(
                        out,
                        "    {:<width$}  the master alone is {:.0}% busy with writes at the peak: more replicas do not help (shard the writes)",
                        "", m * 100.0
                    );
                }
            }
        }
    }
    for note in &e.notes {
        let _ = writeln!(out, "\n  note: {note}");
    }
    out
}

/// The comparison as the text `sim estimate` prints after the run.
pub fn render_comparison(rows: &[Row], simulated: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "Estimate beside the simulation ({simulated})");
    let show = |v: Option<f64>, unit: &str| match v {
        None => "-".to_string(),
        Some(v) => match unit {
            "" => format!("{:.1}%", v * 100.0),
            "ms" => format!("{v:.2} ms"),
            _ => format!("{} {unit}", rate(v)),
        },
    };
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                r.figure.clone(),
                show(r.estimate, r.unit),
                show(r.simulated, r.unit),
                r.verdict.clone(),
            ]
        })
        .collect();
    let w0 = cells.iter().map(|c| c[0].len()).max().unwrap_or(6).max(6);
    let w1 = cells.iter().map(|c| c[1].len()).max().unwrap_or(8).max(8);
    let w2 = cells.iter().map(|c| c[2].len()).max().unwrap_or(9).max(9);
    let _ = writeln!(
        out,
        "  {:<w0$}  {:>w1$}  {:>w2$}  where the estimate holds",
        "figure", "estimate", "simulated"
    );
    for c in &cells {
        let _ = writeln!(
            out,
            "  {:<w0$}  {:>w1$}  {:>w2$}  {}",
            c[0], c[1], c[2], c[3]
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_read_as_a_person_writes_them() {
        assert_eq!(bytes(500.0), "500 B");
        assert_eq!(bytes(58_000_000_000.0), "58.0 GB");
        assert_eq!(bytes(211_700_000_000_000.0), "212 TB");
        assert_eq!(count(1_157_407.4), "1,157,407");
        assert_eq!(rate(11_574.07), "11,574");
        assert_eq!(rate(2.25), "2.2");
    }
}
