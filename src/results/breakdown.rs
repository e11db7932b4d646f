//! Where the time goes: `summary.json`'s `breakdown` section and its terminal line, from the
//! run's per-hop latency breakdown (see [`crate::model::breakdown`]).

use serde_json::{json, Map, Value};

use super::RunResult;
use crate::model::breakdown::{Figures, TypeTable, BANDS, FIELDS};

/// How the bands are made, written into the section so that a reader of the file knows.
pub const METHOD: &str = "Per succeeded request after the warm-up: queue (waiting for a worker), \
service (own work, not counting calls it waited on) and network (both ways) at each component; \
a traffic source's service is client time (retry backoff, abandoned attempts). Every request's \
charges sum to its end-to-end latency exactly. Requests are aggregated in quarter-octave \
latency buckets; a percentile band takes the buckets its ranks cover, splitting a boundary \
bucket in proportion (within a bucket, latencies differ by at most 19% and are assumed to be \
spent alike).";

fn number(x: f64) -> Value {
    if x.is_finite() {
        json!((x * 1e6).round() / 1e6)
    } else {
        Value::Null
    }
}

fn integer(x: i128) -> Value {
    match i64::try_from(x) {
        Ok(v) => json!(v),
        Err(_) => json!(x as f64),
    }
}

const NAMES: [&str; FIELDS] = ["queue", "service", "network"];

/// One group (all requests, or one type): totals, means and bands.
fn group(f: &Figures, table: &TypeTable) -> Value {
    let order = f.order(table);
    let requests = table.requests();
    let latency = table.latency_ns();
    let totals = table.totals();
    let per = |ns: f64| {
        if requests > 0 {
            ns / requests as f64 / 1e6
        } else {
            0.0
        }
    };
    let components: Vec<Value> = order
        .iter()
        .map(|&i| {
            let t = totals[i];
            let mut m = Map::new();
            m.insert("component".into(), json!(f.components[i].0));
            if f.components[i].1 {
                m.insert("role".into(), json!("client"));
            }
            for (k, name) in NAMES.iter().enumerate() {
                m.insert(format!("{name}_ms"), number(per(t[k] as f64)));
            }
            for (k, name) in NAMES.iter().enumerate() {
                m.insert(format!("{name}_ns_total"), integer(t[k]));
            }
            let all: i128 = t.iter().sum();
            let share = if latency > 0 {
                all as f64 / latency as f64
            } else {
                0.0
            };
            m.insert("share".into(), number(share));
            Value::Object(m)
        })
        .collect();
    let bands: Vec<Value> = BANDS
        .iter()
        .map(|&(from, to, label)| {
            let band = table.band(from, to);
            let parts: Vec<Value> = order
                .iter()
                .map(|&i| {
                    let m = band.means[i];
                    json!({
                        "component": f.components[i].0,
                        "queue_ms": number(m[0] / 1e6),
                        "service_ms": number(m[1] / 1e6),
                        "network_ms": number(m[2] / 1e6),
                    })
                })
                .collect();
            json!({
                "band": label,
                "requests": number(band.requests),
                "mean_latency_ms": number(band.mean_latency_ns / 1e6),
                "components": parts,
            })
        })
        .collect();
    json!({
        "requests": requests,
        "latency_ns_total": integer(latency as i128),
        "mean_latency_ms": number(per(latency as f64)),
        "components": components,
        "bands": bands,
    })
}

/// The `breakdown` section, or `None` when the run did not keep one.
pub fn to_json(r: &RunResult) -> Option<Value> {
    let f = r.breakdown.as_ref()?;
    let mut section = match group(f, &f.all) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    section.insert("method".into(), json!(METHOD));
    if !f.by_type.is_empty() {
        let by_type: Map<String, Value> = f
            .by_type
            .iter()
            .map(|(name, table)| (name.clone(), group(f, table)))
            .collect();
        section.insert("by_type".into(), Value::Object(by_type));
    }
    Some(Value::Object(section))
}

/// Terminal line: where the slowest 1% spend their time, biggest share first.
pub fn table_line(r: &RunResult) -> Option<String> {
    let f = r.breakdown.as_ref()?;
    if f.all.requests() == 0 {
        return None;
    }
    let band = f.all.band(0.99, 1.0);
    if band.mean_latency_ns <= 0.0 {
        return None;
    }
    let mut parts: Vec<(f64, String)> = Vec::new();
    for i in f.order(&f.all) {
        let m = band.means[i];
        let name = &f.components[i].0;
        let labels = if f.components[i].1 {
            ["", "client", ""]
        } else {
            ["queue", "service", "network"]
        };
        for k in 0..FIELDS {
            let share = m[k] / band.mean_latency_ns;
            if share >= 0.005 {
                parts.push((share, format!("{name} {} {:.0}%", labels[k], share * 100.0)));
            }
        }
    }
    parts.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let items: Vec<String> = parts.into_iter().take(4).map(|p| p.1).collect();
    Some(format!(
        "slowest 1%  mean {:.1}ms: {}",
        band.mean_latency_ns / 1e6,
        items.join(", ")
    ))
}
