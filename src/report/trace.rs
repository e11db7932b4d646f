//! `trace.json`: sampled requests (`sim run --trace N`) in the Chrome trace event format, which
//! Perfetto (ui.perfetto.dev) and chrome://tracing open.
//!
//! Layout: one *process* per sampled request, named "request <id> <type> <latency>" and sorted
//! slowest first, so each request reads as its own waterfall; one *thread* per component it
//! visited (a second "web (2)" thread only if two of its calls to one component overlap).
//! Events are complete events (`"ph": "X"`) with `ts` and `dur` in microseconds:
//! - `request` on the traffic source's thread spans the whole request, with its id, type, key,
//!   client, outcome, latency and per-component breakdown in `args` (the breakdown's values sum
//!   to `latency_ns` exactly);
//! - one event per call on the callee's thread, from the moment the caller sent it to the moment
//!   its reply arrived, with `network`, `queue`, `service` and `network` children inside it.
//!
//! Calls a caller abandoned (timeouts) are not drawn; the caller's span covers the wait.

use serde_json::{json, Map, Value};

use super::RunResult;
use crate::engine::{ComponentId, SimTime};
use crate::model::breakdown::TraceRecord;
use crate::stats::Outcome;

pub const TRACE_FILE: &str = "trace.json";

fn us(t: SimTime) -> f64 {
    t.as_nanos() as f64 / 1000.0
}

fn dur_us(from: SimTime, to: SimTime) -> f64 {
    to.since(from).as_nanos() as f64 / 1000.0
}

pub fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Succeeded => "succeeded",
        Outcome::Failed => "failed",
        Outcome::Rejected => "rejected",
        Outcome::TimedOut => "timed_out",
    }
}

/// Threads of one request: per component, lanes of calls that do not overlap.
struct Lanes {
    /// (component, lane) -> thread id, in order of creation.
    threads: Vec<(ComponentId, usize)>,
    /// Per thread, the end of its last call.
    ends: Vec<SimTime>,
}

impl Lanes {
    fn new() -> Self {
        Lanes {
            threads: Vec::new(),
            ends: Vec::new(),
        }
    }

    /// The thread id for a call to `component` over `[start, end]`.
    fn place(&mut self, component: ComponentId, start: SimTime, end: SimTime) -> usize {
        let free = (0..self.threads.len())
            .find(|&t| self.threads[t].0 == component && self.ends[t] <= start);
        match free {
            Some(t) => {
                self.ends[t] = end;
                t
            }
            None => {
                let lane = self.threads.iter().filter(|(c, _)| *c == component).count();
                self.threads.push((component, lane));
                self.ends.push(end);
                self.threads.len() - 1
            }
        }
    }
}

fn complete(name: &str, cat: &str, pid: usize, tid: usize, from: SimTime, to: SimTime) -> Value {
    json!({
        "name": name,
        "cat": cat,
        "ph": "X",
        "pid": pid,
        "tid": tid,
        "ts": us(from),
        "dur": dur_us(from, to),
    })
}

fn with_args(mut event: Value, args: Value) -> Value {
    if let Value::Object(m) = &mut event {
        m.insert("args".into(), args);
    }
    event
}

fn metadata(name: &str, pid: usize, tid: Option<usize>, args: Value) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    m.insert("ph".into(), json!("M"));
    m.insert("pid".into(), json!(pid));
    if let Some(tid) = tid {
        m.insert("tid".into(), json!(tid));
    }
    m.insert("args".into(), args);
    Value::Object(m)
}

/// The events of one request, as process `pid`.
fn request_events(
    r: &RunResult,
    record: &TraceRecord,
    pid: usize,
    sort_index: usize,
    out: &mut Vec<Value>,
) {
    let name_of = |id: ComponentId| {
        r.topology
            .nodes
            .get(id.index())
            .map_or_else(|| format!("#{}", id.0), |n| n.name.clone())
    };
    let type_name = r
        .request_types
        .get(record.kind as usize)
        .map_or("request", |(n, _)| n.as_str());
    let latency = record.end.since(record.born);
    out.push(metadata(
        "process_name",
        pid,
        None,
        json!({"name": format!(
            "request {} {} {}",
            record.id,
            type_name,
            crate::format::short_duration(latency.as_secs_f64())
        )}),
    ));
    out.push(metadata(
        "process_sort_index",
        pid,
        None,
        json!({"sort_index": sort_index}),
    ));
    let mut lanes = Lanes::new();
    let mut events = Vec::new();
    let root = lanes.place(record.source, record.born, record.end);
    let breakdown: Map<String, Value> = record
        .row
        .iter()
        .map(|(c, v)| {
            (
                name_of(*c),
                json!({"queue_ns": v[0], "service_ns": v[1], "network_ns": v[2]}),
            )
        })
        .collect();
    events.push(with_args(
        complete("request", "request", pid, root, record.born, record.end),
        json!({
            "request_id": record.id,
            "type": type_name,
            "key": record.key,
            "client": record.client,
            "outcome": outcome_name(record.outcome),
            "latency_ns": latency.as_nanos(),
            "breakdown": breakdown,
        }),
    ));
    let mut spans = record.spans.clone();
    spans.sort_by_key(|s| (s.opened, std::cmp::Reverse(s.returned)));
    for s in &spans {
        let tid = lanes.place(s.callee, s.opened, s.returned);
        let mut args = Map::new();
        args.insert("caller".into(), json!(name_of(s.caller)));
        if s.instance != crate::model::call::ANY_INSTANCE {
            args.insert("instance".into(), json!(s.instance));
        }
        args.insert("outcome".into(), json!(outcome_name(s.outcome)));
        if !s.detail.is_empty() {
            args.insert("cache".into(), json!(s.detail));
        }
        events.push(with_args(
            complete(&name_of(s.callee), "call", pid, tid, s.opened, s.returned),
            Value::Object(args),
        ));
        let phases = [
            ("network", s.opened, s.arrived),
            ("queue", s.arrived, s.started),
            ("service", s.started, s.answered),
            ("network", s.answered, s.returned),
        ];
        for (phase, from, to) in phases {
            if to > from {
                events.push(complete(phase, phase, pid, tid, from, to));
            }
        }
    }
    for (tid, (component, lane)) in lanes.threads.iter().enumerate() {
        let name = match lane {
            0 => name_of(*component),
            n => format!("{} ({})", name_of(*component), n + 1),
        };
        out.push(metadata(
            "thread_name",
            pid,
            Some(tid),
            json!({ "name": name }),
        ));
        out.push(metadata(
            "thread_sort_index",
            pid,
            Some(tid),
            json!({ "sort_index": tid }),
        ));
    }
    out.extend(events);
}

/// The whole file. Requests are listed in order of id; the viewer sorts them slowest first.
pub fn to_json(r: &RunResult) -> Value {
    let mut by_latency: Vec<usize> = (0..r.traces.len()).collect();
    by_latency.sort_by_key(|&i| {
        let t = &r.traces[i];
        (std::cmp::Reverse(t.end.since(t.born)), t.id)
    });
    let mut rank = vec![0; r.traces.len()];
    for (position, &i) in by_latency.iter().enumerate() {
        rank[i] = position;
    }
    let mut events = Vec::new();
    for (i, record) in r.traces.iter().enumerate() {
        request_events(r, record, i + 1, rank[i], &mut events);
    }
    json!({
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "scenario": r.scenario,
            "seed": r.seed,
            "scenario_sha256": r.scenario_sha256,
            "sim_version": env!("CARGO_PKG_VERSION"),
            "sampled_requests": r.traces.len(),
            "sampling": "the requests born after the warm-up with the smallest hash of (seed, request id): a uniform sample without replacement that draws from no random stream of the model",
        },
    })
}

/// Writes `trace.json` into `dir`, a folder being prepared.
pub fn write(r: &RunResult, dir: &std::path::Path) -> std::io::Result<std::path::PathBuf> {
    let text = serde_json::to_string(&to_json(r)).map_err(std::io::Error::other)?;
    let path = dir.join(TRACE_FILE);
    crate::output::file::put(&path, text.as_bytes())?;
    Ok(path)
}
