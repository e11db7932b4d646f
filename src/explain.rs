//! `sim explain`: a scenario in plain words, for a room that has not read the YAML.
//!
//! The text is made from the scenario's YAML tree (values as written: `20ms`, not
//! `0.02`), after the scenario has been checked, so everything it describes is valid. It says
//! how long the run is, where the traffic comes from (rate and its shape, mix, keys, clients,
//! timeouts and retries), what each component is and what it calls, the story in time order
//! (traffic changes and failures), the objective and assertions, and what the run writes.
//!
//! Component kinds it does not know in detail (added after it was written) are still
//! described: their kind and settings, as written. Settings it does not know of a known kind
//! are listed the same way, so nothing in the file is left out. Tested in `tests/course.rs`
//! (exact text for `scenarios/03-load-balancer.yaml`, and every shipped scenario's predicted
//! charts against a real run).

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::model::kind::Kind;
use crate::scenario::Plan;

/// A value as written in the file: text as is, numbers in their shortest form, maps and
/// lists in YAML's flow style.
pub fn flow(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{k}: {}", flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A mapping whose keys are taken one by one; what is left is listed as "other settings".
struct Fields {
    map: Map<String, Value>,
}

impl Fields {
    fn of(v: &Value) -> Self {
        Fields {
            map: v.as_object().cloned().unwrap_or_default(),
        }
    }
    fn take(&mut self, key: &str) -> Option<Value> {
        self.map.shift_remove(key)
    }
    fn text(&mut self, key: &str) -> Option<String> {
        self.take(key).map(|v| flow(&v))
    }
    /// `; other settings: a: 1, b: x`, or nothing.
    fn rest(self) -> String {
        if self.map.is_empty() {
            String::new()
        } else {
            format!(
                "; other settings: {}",
                self.map
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", flow(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

/// A distribution of durations in words.
pub fn distribution(v: &Value) -> String {
    let Some(map) = v.as_object() else {
        return format!("{} (constant)", flow(v));
    };
    let Some((law, p)) = map.iter().next() else {
        return flow(v);
    };
    let get = |k: &str| p.get(k).map(flow);
    match law.as_str() {
        "constant" => format!("{} (constant)", flow(p)),
        "exponential" => format!("exponential, mean {}", flow(p)),
        "uniform" => format!(
            "uniform between {} and {}",
            get("min").unwrap_or_default(),
            get("max").unwrap_or_default()
        ),
        "lognormal" => match (get("median"), get("p99"), get("mean"), get("sigma")) {
            (Some(m), Some(p99), _, _) => format!("log-normal, median {m}, p99 {p99}"),
            (_, _, Some(mean), Some(s)) => format!("log-normal, mean {mean}, sigma {s}"),
            _ => format!("log-normal {}", flow(p)),
        },
        "empirical" => format!("measured percentiles {}", flow(p)),
        _ => flow(v),
    }
}

/// A rate or rate profile in words.
fn rate(v: &Value) -> String {
    let Some(map) = v.as_object() else {
        return format!("at {}", flow(v));
    };
    let Some((shape, p)) = map.iter().next() else {
        return flow(v);
    };
    let points = |p: &Value| {
        p.as_array()
            .into_iter()
            .flatten()
            .map(|pt| {
                format!(
                    "{} at {}",
                    pt.get("rate").map(flow).unwrap_or_default(),
                    pt.get("at").map(flow).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let get = |k: &str| p.get(k).map(flow);
    match shape.as_str() {
        "steps" => format!("in steps: {}", points(p)),
        "points" => format!("changing linearly through {}", points(p)),
        "ramp" => format!(
            "ramping from {} to {} between {} and {}",
            get("from").unwrap_or_default(),
            get("to").unwrap_or_default(),
            get("start").unwrap_or_else(|| "0s".into()),
            get("end").unwrap_or_default()
        ),
        "daily" => format!(
            "on a daily cycle around {} (swing ±{}%, peak at {}, a \"day\" of {})",
            get("mean").unwrap_or_default(),
            p.get("amplitude")
                .and_then(Value::as_f64)
                .map_or_else(|| "50".into(), |a| format!("{}", a * 100.0)),
            get("peak").unwrap_or_else(|| "20h".into()),
            get("period").unwrap_or_else(|| "24h".into())
        ),
        _ => flow(v),
    }
}

/// Seconds of a duration written in the file, for ordering the story.
fn seconds(v: Option<&Value>) -> f64 {
    v.map(flow)
        .and_then(|t| crate::scenario::units::parse_duration(&t).ok())
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A fraction as written, or as a percentage when written as a number (0.2 -> 20%).
fn percent(v: &Value) -> String {
    match v.as_f64() {
        Some(x) => format!("{}%", (x * 100.0 * 1e6).round() / 1e6),
        None => flow(v),
    }
}

/// `users'` or `web's`.
fn possessive(name: &str) -> String {
    if name.ends_with('s') {
        format!("{name}'")
    } else {
        format!("{name}'s")
    }
}

/// Weights as percentages: `read 90%, write 10%`.
fn shares(v: &Value) -> String {
    let Some(m) = v.as_object() else {
        return flow(v);
    };
    let total: f64 = m.values().filter_map(Value::as_f64).sum();
    m.iter()
        .map(|(k, w)| match w.as_f64() {
            Some(w) if total > 0.0 => {
                let pct = w / total * 100.0;
                let pct = if (pct - pct.round()).abs() < 0.05 {
                    format!("{}", pct.round())
                } else {
                    format!("{pct:.1}")
                };
                format!("{k} {pct}%")
            }
            _ => format!("{k} {}", flow(w)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn calls(v: &Value) -> String {
    let steps: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|step| match step.get("cache_aside") {
            Some(ca) => format!(
                "{} behind the cache-aside cache named {} (a read asks the cache first; a write goes to {} and deletes the key from the cache)",
                ca.get("store").map(flow).unwrap_or_default(),
                ca.get("cache").map(flow).unwrap_or_default(),
                ca.get("store").map(flow).unwrap_or_default()
            ),
            None => flow(step),
        })
        .collect();
    if steps.is_empty() {
        "nothing".to_string()
    } else {
        steps.join(", then ")
    }
}

fn traffic_source(out: &mut String, v: &Value) {
    let mut f = Fields::of(v);
    let name = f.text("name").unwrap_or_default();
    let to = f.text("to").unwrap_or_default();
    let mut parts = Vec::new();
    if let Some(r) = f.take("rate") {
        let arrivals = match f.text("arrivals").as_deref() {
            Some("constant") => "evenly spaced arrivals",
            _ => "Poisson arrivals",
        };
        parts.push(format!("{arrivals} {}", rate(&r)));
    }
    if let Some(users) = f.text("users") {
        let think = f
            .take("think_time")
            .map(|t| distribution(&t))
            .unwrap_or_default();
        parts.push(format!(
            "{users} users, each sending a request, waiting for its reply and thinking ({think}) before the next"
        ));
    }
    if let Some(m) = f.text("multiplier") {
        parts.push(format!("all multiplied by {m}"));
    }
    if let Some(spikes) = f.take("spikes") {
        for s in spikes.as_array().into_iter().flatten() {
            parts.push(format!(
                "x{} for {} from {}",
                s.get("multiplier")
                    .map(flow)
                    .unwrap_or_default()
                    .trim_end_matches('x'),
                s.get("duration").map(flow).unwrap_or_default(),
                s.get("at").map(flow).unwrap_or_default()
            ));
        }
    }
    match f.take("mix") {
        Some(m) => parts.push(format!("mix {}", shares(&m))),
        None => parts.push("one request type (request)".to_string()),
    }
    match f.take("keys") {
        Some(k) => {
            let count = k.get("count").map(flow).unwrap_or_default();
            let popularity = k
                .get("popularity")
                .and_then(Value::as_str)
                .unwrap_or("uniform");
            let detail = match popularity {
                "zipf" => format!(
                    "Zipf popularity (alpha {})",
                    k.get("alpha").map_or_else(|| "1".into(), flow)
                ),
                "hotspot" => format!(
                    "a hotspot: {} of the requests go to {} of the keys",
                    k.get("hot_weight").map_or_else(|| "80%".into(), percent),
                    k.get("hot_fraction").map_or_else(|| "20%".into(), percent)
                ),
                _ => "uniform popularity".to_string(),
            };
            parts.push(format!("keys: {count}, {detail}"));
        }
        None => parts.push("keys: 1000000, uniform popularity".to_string()),
    }
    if let Some(c) = f.text("clients") {
        parts.push(format!("{c} distinct clients"));
    }
    if let Some(r) = f.take("regions") {
        parts.push(format!("regions {}", shares(&r)));
    }
    if let Some(t) = f.text("timeout") {
        parts.push(format!("clients give up after {t}"));
    }
    if let Some(r) = f.take("retry") {
        let mut rf = Fields::of(&r);
        let attempts = rf.text("attempts").unwrap_or_default();
        let backoff = rf.text("backoff").unwrap_or_else(|| "100ms".into());
        let jitter = rf.text("jitter").unwrap_or_else(|| "full".into());
        let mut text = if backoff.trim_start_matches('0').is_empty() || backoff == "0s" {
            format!("up to {attempts} attempts, retrying at once")
        } else {
            format!(
                "up to {attempts} attempts, backing off from {backoff} (doubling, jitter {jitter})"
            )
        };
        rf.take("max_backoff");
        if let Some(b) = rf.text("budget") {
            let _ = write!(text, ", a retry budget of {b}");
        }
        if rf.take("honour_retry_after") == Some(Value::Bool(true)) {
            text.push_str(", honouring Retry-After");
        }
        text.push_str(&rf.rest());
        parts.push(text);
    }
    if let Some(cc) = f.take("client_cache") {
        let mut cf = Fields::of(&cc);
        parts.push(match cf.text("capacity") {
            Some(n) => format!(
                "each client's browser keeps up to {n} permanent redirects (301), forgetting the least recently used"
            ),
            None => "each client's browser keeps the permanent redirects (301) it gets".into(),
        });
    }
    let _ = writeln!(
        out,
        "- {name} sends to {to}: {}{}.",
        parts.join("; "),
        f.rest()
    );
}

fn server(f: &mut Fields) -> String {
    let instances = f.text("instances").unwrap_or_else(|| "1".into());
    let workers = f.text("workers").unwrap_or_else(|| "1".into());
    let plural = |n: &str, what: &str| {
        if n == "1" {
            format!("1 {what}")
        } else {
            format!("{n} {what}s")
        }
    };
    let mut text = if instances == "1" {
        format!("a server with {}", plural(&workers, "worker"))
    } else {
        format!(
            "a pool of {} servers with {} each",
            instances,
            plural(&workers, "worker")
        )
    };
    match f.text("queue") {
        Some(q) => {
            let _ = write!(
                text,
                " and a queue of {q} (beyond it, requests are rejected)"
            );
        }
        None => text.push_str(" and an unbounded queue"),
    }
    if let Some(st) = f.take("service_time") {
        let _ = write!(text, "; work per request: {}", distribution(&st));
    }
    if let Some(c) = f.take("calls") {
        let _ = write!(text, "; then it calls {}", calls(&c));
    }
    if let Some(pt) = f.take("per_type") {
        for (t, o) in pt.as_object().into_iter().flatten() {
            let mut bits = Vec::new();
            if let Some(st) = o.get("service_time") {
                bits.push(format!("work {}", distribution(st)));
            }
            if let Some(c) = o.get("calls") {
                bits.push(format!("it calls {} instead", calls(c)));
            }
            match o.get("redirect").and_then(Value::as_u64) {
                Some(301) => bits.push(match o.get("max_age") {
                    Some(age) => format!(
                        "it answers with a permanent redirect (301) that the client's browser keeps for {}, answering repeat clicks itself (the server never sees them)",
                        age.as_str().map_or_else(|| age.to_string(), str::to_string)
                    ),
                    None => "it answers with a permanent redirect (301) that the client's browser keeps for ever, answering repeat clicks itself (the server never sees them)".into(),
                }),
                Some(302) => bits.push(
                    "it answers with a temporary redirect (302), never cached: every click reaches the server".into(),
                ),
                _ => {}
            }
            let _ = write!(text, "; for {t} requests: {}", bits.join(", "));
        }
    }
    if let Some(t) = f.text("timeout") {
        let _ = write!(
            text,
            "; it answers \"timed out\" {t} after a request arrived"
        );
    }
    if let Some(t) = f.text("call_timeout") {
        let _ = write!(text, "; it abandons a downstream call after {t}");
    }
    if let Some(cb) = f.take("circuit_breaker") {
        let _ = write!(
            text,
            "; a circuit breaker on each downstream component ({})",
            flow(&cb)
        );
    }
    if let Some(a) = f.take("autoscale") {
        let mut af = Fields::of(&a);
        let metric = af.text("metric").unwrap_or_else(|| "utilization".into());
        let target = af.text("target").unwrap_or_default();
        let min = af.text("min").unwrap_or_default();
        let max = af.text("max").unwrap_or_default();
        let provisioning = af.text("provisioning").unwrap_or_else(|| "60s".into());
        let _ = write!(
            text,
            "; autoscaled between {min} and {max} instances to keep {metric} near {target}, a new instance taking {provisioning} to serve"
        );
        let more = af.rest();
        text.push_str(&more.replace("; other settings", " (other settings"));
        if !more.is_empty() {
            text.push(')');
        }
    }
    text
}

fn balancer(f: &mut Fields) -> String {
    let algorithm = f.text("algorithm").unwrap_or_else(|| "round_robin".into());
    let pools = |v: &Value| {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|b| match b.get("pool") {
                Some(p) => format!(
                    "{} (weight {})",
                    flow(p),
                    b.get("weight").map_or_else(|| "1".into(), flow)
                ),
                None => flow(b),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = format!("a load balancer ({algorithm})");
    if let Some(b) = f.take("backends") {
        let _ = write!(text, " over every instance of {}", pools(&b));
    }
    if let Some(routes) = f.take("routes") {
        for r in routes.as_array().into_iter().flatten() {
            let _ = write!(
                text,
                "; {} requests go to {}",
                r.get("types").map(flow).unwrap_or_default(),
                r.get("backends").map(&pools).unwrap_or_default()
            );
        }
    }
    match f.take("health") {
        Some(h) => {
            let mut hf = Fields::of(&h);
            if hf.take("enabled") == Some(Value::Bool(false)) {
                text.push_str("; passive health checks off");
            } else {
                let failures = hf.text("failures").unwrap_or_else(|| "5".into());
                let ejection = hf.text("ejection").unwrap_or_else(|| "30s".into());
                let _ = write!(
                    text,
                    "; a backend is taken out for {ejection} after {failures} failed replies in a row"
                );
            }
            if let Some(i) = hf.text("interval") {
                let timeout = hf.text("timeout").unwrap_or_else(|| "1s".into());
                let unhealthy = hf.text("unhealthy").unwrap_or_else(|| "3".into());
                let healthy = hf.text("healthy").unwrap_or_else(|| "2".into());
                let _ = write!(
                    text,
                    "; it probes every backend every {i} (timeout {timeout}): {unhealthy} failed probes mark it down, {healthy} good ones up again"
                );
            }
            text.push_str(&hf.rest());
        }
        None => text.push_str(
            "; a backend is taken out for 30s after 5 failed replies in a row (passive health checks)",
        ),
    }
    text
}

fn cache(f: &mut Fields) -> String {
    let strategy = f.text("strategy").unwrap_or_else(|| "read_through".into());
    let mut text = format!("a cache ({strategy})");
    if let Some(b) = f.text("backing") {
        let _ = write!(text, " in front of {b}");
    }
    let capacity = match (f.text("capacity"), f.text("memory")) {
        (Some(c), Some(m)) => format!("{c} entries and {m}"),
        (Some(c), None) => format!("{c} entries"),
        (None, Some(m)) => m,
        (None, None) => "no size limit".to_string(),
    };
    let eviction = f.text("eviction").unwrap_or_else(|| "lru".into());
    let _ = write!(text, "; holds {capacity}, evicting by {eviction}");
    if let Some(t) = f.text("ttl") {
        let _ = write!(text, "; entries expire {t} after they were written");
    }
    if let Some(t) = f.text("idle_ttl") {
        let _ = write!(text, "; or {t} after they were last read");
    }
    let hit = f
        .take("hit_time")
        .map_or_else(|| "0.5ms (constant)".to_string(), |v| distribution(&v));
    let _ = write!(text, "; a hit takes {hit}");
    if let Some(m) = f.take("miss_time") {
        let _ = write!(text, ", a miss {}", distribution(&m));
    }
    if let Some(v) = f.text("value_size") {
        let _ = write!(text, "; values of {v}");
    }
    if let Some(d) = f.text("flush_delay") {
        let _ = write!(text, "; dirty entries are written back after {d}");
    }
    text
}

fn database(f: &mut Fields) -> String {
    let replicas = f.text("replicas").unwrap_or_else(|| "1".into());
    let connections = f.text("connections").unwrap_or_else(|| "1".into());
    let mut text = if replicas == "0" {
        format!("a database: one node with {connections} connections")
    } else {
        format!(
            "a database: a master and {replicas} read replica{}, {connections} connections per node",
            if replicas == "1" { "" } else { "s" }
        )
    };
    match f.text("queue") {
        Some(q) => {
            let _ = write!(text, ", a queue of {q} per node");
        }
        None => text.push_str(", unbounded queues"),
    }
    let read = f.take("read_time").map(|v| distribution(&v));
    let write = f.take("write_time").map(|v| distribution(&v));
    if let Some(r) = read {
        let _ = write!(text, "; a read takes {r}");
    }
    if let Some(w) = write {
        let _ = write!(text, ", a write {w}");
    }
    let reads = f.text("reads").unwrap_or_else(|| "replicas".into());
    let balance = f.text("balance").unwrap_or_else(|| "round_robin".into());
    if replicas != "0" {
        let replication = f.text("replication").unwrap_or_else(|| "async".into());
        let lag = f
            .take("lag")
            .map_or_else(|| "10ms (constant)".to_string(), |v| distribution(&v));
        let _ = write!(
            text,
            "; writes go to the master and reach the replicas {replication}hronously after a lag of {lag}",
        );
        if let Some(a) = f.take("apply_time") {
            let _ = write!(
                text,
                ", each replayed in {}, one at a time",
                distribution(&a)
            );
        }
        if reads == "master" {
            text.push_str("; reads go to the master");
        } else {
            let _ = write!(text, "; reads go to the replicas ({balance})");
        }
        let detection = f.text("failover_detection").unwrap_or_else(|| "10s".into());
        let promotion = f.text("failover_promotion").unwrap_or_else(|| "1s".into());
        let _ = write!(
            text,
            "; if the master crashes, the crash is detected after {detection} and a replica promoted {promotion} later"
        );
    }
    text.replace("semi_synchronously", "semi-synchronously")
}

fn sharded(f: &mut Fields) -> String {
    let shards = f.take("shards").map(|s| flow(&s)).unwrap_or_default();
    let placement = f.text("placement").unwrap_or_else(|| "hash".into());
    let placement = match placement.as_str() {
        "hash" => "hash mod N".to_string(),
        "range" => "key ranges".to_string(),
        "consistent" => format!(
            "consistent hashing ({} virtual nodes per shard)",
            f.text("virtual_nodes").unwrap_or_else(|| "100".into())
        ),
        other => other.to_string(),
    };
    let mut text = format!("a sharded database over {shards}, placing keys by {placement}");
    if let Some(a) = f.text("active") {
        let _ = write!(text, "; {a} shards in use at the start");
    }
    if let Some(k) = f.text("keys") {
        let _ = write!(text, "; key space {k}");
    }
    if let Some(r) = f.take("reshard") {
        let _ = write!(
            text,
            "; resharding to {} shards at {} (moved keys copied {})",
            r.get("to").map(flow).unwrap_or_default(),
            r.get("at").map(flow).unwrap_or_default(),
            match (r.get("copy_rate"), r.get("duration")) {
                (Some(c), _) => format!("at {}", flow(c)),
                (None, Some(d)) => format!("over {}", flow(d)),
                _ => "at once".to_string(),
            }
        );
    }
    text
}

fn rate_limiter(f: &mut Fields) -> String {
    let instances = f.text("instances").unwrap_or_else(|| "1".into());
    let mut text = format!(
        "a rate limiter on {instances} node{}",
        if instances == "1" { "" } else { "s" }
    );
    match f.text("store") {
        Some(s) => {
            let _ = write!(
                text,
                " sharing its counters in {s} (one round trip per decision)"
            );
        }
        None if instances != "1" => text.push_str(", each node counting on its own"),
        None => {}
    }
    f.take("on_store_failure");
    if let Some(rules) = f.take("rules") {
        for r in rules.as_array().into_iter().flatten() {
            let per = r.get("per").map_or_else(|| "1s".into(), flow);
            let key = r.get("key").map_or_else(|| "client".into(), flow);
            let _ = write!(
                text,
                "; rule {}: {} requests per {per} per {key}",
                r.get("algorithm").map(flow).unwrap_or_default(),
                r.get("limit").map(flow).unwrap_or_default()
            );
            if let Some(b) = r.get("burst") {
                let _ = write!(text, " (burst {})", flow(b));
            }
            if let Some(t) = r.get("types") {
                let _ = write!(text, " for {}", flow(t));
            }
        }
    }
    match f.text("downstream") {
        Some(d) => {
            let _ = write!(
                text,
                "; admitted requests go on to {d}, refused ones get a 429 with a Retry-After"
            );
        }
        None => text.push_str("; it answers admitted or refused (429) to its caller"),
    }
    text
}

/// A count law (followers, following) in words.
fn count(v: &Value) -> String {
    let Some(map) = v.as_object() else {
        return flow(v);
    };
    let Some((law, p)) = map.iter().next() else {
        return flow(v);
    };
    let get = |k: &str| p.get(k).map(flow).unwrap_or_default();
    match law.as_str() {
        "constant" => flow(p),
        "pareto" => format!(
            "between {} and {} (a power law, most near {})",
            get("min"),
            get("max"),
            get("min")
        ),
        "lognormal" => format!(
            "typically {} (log-normal, capped at {})",
            get("median"),
            get("max")
        ),
        "empirical" => format!("measured percentiles {}", flow(p)),
        _ => flow(v),
    }
}

fn fanout(f: &mut Fields) -> String {
    let to = f.text("to").unwrap_or_default();
    let mode = f.text("mode").unwrap_or_else(|| "write".into());
    let followers = f.take("followers").map(|v| count(&v)).unwrap_or_default();
    let following = f
        .take("following")
        .map_or_else(|| followers.clone(), |v| count(&v));
    let mut text = match mode.as_str() {
        "read" => format!(
            "a fan-out service on read: a post is one write to {to}; a feed read asks {to} for the timeline of each account the reader follows ({following}), all in parallel"
        ),
        "hybrid" => {
            let threshold = f.text("celebrity_threshold").unwrap_or_else(|| "10000".into());
            let pulled = f
                .take("celebrities_followed")
                .map_or_else(|| "0".to_string(), |v| count(&v));
            format!(
                "a hybrid fan-out service: a post is written into the feed of each of its author's followers ({followers}) in {to}, except an author with more than {threshold} followers (a celebrity), whose posts readers pull: a feed read is the reader's feed plus the timelines of the celebrities they follow ({pulled})"
            )
        }
        _ => format!(
            "a fan-out service on write: a post is written into the feed of each of its author's followers ({followers}) in {to}; a feed read is one read of the reader's feed"
        ),
    };
    let concurrency = f.text("concurrency").unwrap_or_else(|| "100".into());
    let _ = write!(
        text,
        "; at most {concurrency} writes or reads of one fan-out at a time, and it answers when all are answered"
    );
    if let Some(posts) = f
        .take("celebrity_posts")
        .and_then(|p| p.as_array().cloned())
    {
        let list: Vec<String> = posts
            .iter()
            .map(|p| {
                format!(
                    "at {} by a celebrity with {} followers",
                    p.get("at").map(flow).unwrap_or_default(),
                    p.get("followers").map(flow).unwrap_or_default()
                )
            })
            .collect();
        let _ = write!(text, "; a post {}", list.join(", "));
    }
    if mode != "hybrid" {
        // Shown only where they apply.
        f.take("celebrity_threshold");
        f.take("celebrities_followed");
    }
    f.take("celebrity_accounts");
    f.take("users");
    text
}

fn queue(f: &mut Fields) -> String {
    let durable = !matches!(f.take("durable"), Some(Value::Bool(false)));
    let consumer = f.text("consumer").unwrap_or_default();
    let mut text = format!(
        "a {} message queue: a producer gets its answer once the message is stored; the messages are processed by {consumer}",
        if durable { "durable" } else { "non-durable" }
    );
    if let Some(c) = f.text("capacity") {
        let _ = write!(text, "; it holds at most {c} messages");
    }
    if let Some(c) = f.text("concurrency") {
        let _ = write!(text, "; {c} consumers");
    }
    if let Some(s) = f.take("scaling") {
        let _ = write!(
            text,
            "; consumers scale with the backlog, one per {} waiting, between {} and {}",
            s.get("backlog_per_consumer").map(flow).unwrap_or_default(),
            s.get("min").map(flow).unwrap_or_default(),
            s.get("max").map(flow).unwrap_or_default()
        );
    }
    let attempts = f.text("max_attempts").unwrap_or_else(|| "5".into());
    let _ = write!(
        text,
        "; a failed message is retried with back-off, and after {attempts} deliveries goes to the dead-letter queue"
    );
    f.take("visibility_timeout");
    f.take("retry_backoff");
    f.take("max_retry_backoff");
    text
}

fn dns(f: &mut Fields) -> String {
    let targets = f
        .take("targets")
        .map(|t| sides_text(&t).replace(" and ", ", "))
        .unwrap_or_default();
    let ttl = f.text("ttl").unwrap_or_else(|| "60s".into());
    let resolution = f
        .take("resolution_time")
        .map_or_else(|| "20ms".to_string(), |d| distribution(&d));
    let mut text = format!(
        "a geoDNS in front of the data centers' entry points {targets}: each client caches its answer for {ttl} (a resolution takes {resolution})"
    );
    if let Some(Value::Object(routing)) = f.take("routing") {
        let rules: Vec<String> = routing
            .iter()
            .map(|(region, weights)| {
                let shares: Vec<String> = weights
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(dc, w)| format!("{dc} ({})", flow(w)))
                    .collect();
                format!("clients in {region} go to {}", shares.join(", "))
            })
            .collect();
        let _ = write!(text, "; {}", rules.join(", "));
    }
    let health = f.take("health");
    let interval = health
        .as_ref()
        .and_then(|h| h.get("interval"))
        .map_or_else(|| "10s".to_string(), flow);
    let unhealthy = health
        .as_ref()
        .and_then(|h| h.get("unhealthy"))
        .map_or_else(|| "3".to_string(), flow);
    let _ = write!(
        text,
        "; it probes each data center every {interval} and stops answering with one after {unhealthy} failed probes, but clients that cached it keep going there until their answer expires"
    );
    text
}

fn cdn(f: &mut Fields) -> String {
    let origin = f.text("origin").unwrap_or_default();
    let regions: Vec<String> = f
        .take("edges")
        .and_then(|e| e.as_array().cloned())
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("region").map(flow))
        .collect();
    let cached = f.take("static_types").map_or_else(
        || "every request type".to_string(),
        |t| sides_text(&t).replace(" and ", ", "),
    );
    let ttl = f
        .text("ttl")
        .map_or_else(|| "until evicted".to_string(), |t| format!("for {t}"));
    let mut text = format!(
        "a CDN with an edge in each of {} caching {cached} {ttl}; misses and other requests go to {origin}",
        regions.join(", ")
    );
    if f.take("shield").is_some() {
        let _ = write!(
            text,
            " through a shield (a mid-tier cache: one origin fetch per object for all edges)"
        );
    }
    if let Some(p) = f.take("purges").and_then(|p| p.as_array().cloned()) {
        let times: Vec<String> = p.iter().filter_map(|c| c.get("at").map(flow)).collect();
        let _ = write!(text, "; purges at {}", times.join(", "));
    }
    if let Some(d) = f.take("deploys").and_then(|d| d.as_array().cloned()) {
        let times: Vec<String> = d.iter().filter_map(|c| c.get("at").map(flow)).collect();
        let _ = write!(
            text,
            "; versioned deploys (new object names) at {}",
            times.join(", ")
        );
    }
    text
}

fn provider(f: &mut Fields) -> String {
    let latency = f
        .take("latency")
        .map_or_else(|| "100ms".to_string(), |d| distribution(&d));
    let mut text = format!(
        "a third-party provider (a push, SMS or email gateway we call and cannot change), answering in {latency}"
    );
    if let Some(limit) = f.take("rate_limit") {
        let rate = limit.get("rate").map(flow).unwrap_or_default();
        let _ = write!(
            text,
            "; it accepts at most {rate} (a token bucket) and answers 429 beyond"
        );
    }
    if let Some(e) = f.text("error_rate") {
        let _ = write!(text, "; {e} of its answers are errors (not delivered)");
    }
    if let Some(a) = f.text("ack_loss") {
        let _ = write!(
            text,
            "; {a} of the notifications it delivers have their answer lost, so the caller retries a notification the user already got"
        );
    }
    match f.text("dedup").as_deref() {
        Some("idempotency_key") => {
            let window = f.text("dedup_window").unwrap_or_else(|| "24h".into());
            let _ = write!(
                text,
                "; the event id is sent as an idempotency key and the provider drops repeats for {window}: each event reaches the user once"
            );
        }
        Some("consumer") => text.push_str(
            "; callers check a store of sent event ids before sending (check-then-send): repeats after a lost answer still get through",
        ),
        _ => text.push_str("; a retried notification is delivered again (duplicates)"),
    }
    text
}

fn id_generator(f: &mut Fields) -> String {
    let scheme = f.text("scheme").unwrap_or_default();
    let service = f.take("service_time").map(|d| distribution(&d));
    let mut text = match scheme.as_str() {
        "auto_increment" => format!(
            "an id generator: one database hands out 1, 2, 3, ... one at a time ({} each), in order, but every id waits for it and it is a single point of failure",
            service.unwrap_or_else(|| "1ms".into())
        ),
        "multi_master" => {
            let n = f.text("masters").unwrap_or_else(|| "2".into());
            format!(
                "an id generator: {n} database masters, each counting in steps of {n} from its own offset (1, 1+{n}, ...; 2, 2+{n}, ...), called in turn: unique ids, no single point of failure, but not in order across masters"
            )
        }
        "uuid" => "an id generator making random 128-bit UUIDs (122 random bits) locally: no coordination and no single point of failure, but no order and big keys; a collision is possible in theory, never in practice".to_string(),
        "snowflake" => {
            let seq: u32 = f
                .text("sequence_bits")
                .and_then(|s| s.parse().ok())
                .unwrap_or(12);
            let machines = f.text("instances").unwrap_or_else(|| "1".into());
            let policy = f.text("on_clock_backwards").unwrap_or_else(|| "wait".into());
            format!(
                "a snowflake id generator on {machines} machine(s): each id is a millisecond timestamp, a data center, a machine and a sequence, so ids are unique without coordination and roughly ordered by time; a machine issues at most {} ids per millisecond (more wait for the next millisecond), and when its clock goes backwards it will {policy}",
                1u64 << seq.min(62)
            )
        }
        other => format!("an id generator ({other})"),
    };
    for key in [
        "timestamp_bits",
        "datacenter_bits",
        "machine_bits",
        "since_epoch",
    ] {
        f.take(key);
    }
    if let Some(w) = f.text("workers") {
        let _ = write!(text, "; {w} at once per node");
    }
    text
}

fn realtime(f: &mut Fields) -> String {
    let clients = f.take("clients").map(|v| flow(&v)).unwrap_or_default();
    let instances = f
        .take("instances")
        .map_or_else(|| "1".to_string(), |v| flow(&v));
    let transport = f
        .text("transport")
        .unwrap_or_else(|| "websocket".to_string());
    let poll_interval = f.text("poll_interval").unwrap_or_else(|| "5s".into());
    let poll_timeout = f.text("poll_timeout").unwrap_or_else(|| "30s".into());
    let heartbeat = f.text("heartbeat_interval");
    let how = match transport.as_str() {
        "long_polling" => format!(
            "each keeping a request open (long polling) that a message answers at once, or empty after {poll_timeout}"
        ),
        "short_polling" => format!(
            "each asking every {poll_interval} (short polling) whether a message came, so a message waits for the next poll"
        ),
        _ => {
            let beats = heartbeat.as_ref().map_or(String::new(), |h| {
                format!(", sending a heartbeat every {h} for presence")
            });
            format!("each holding a WebSocket connection messages are pushed over{beats}")
        }
    };
    let mut text = format!(
        "{instances} real-time server(s) with {clients} connected clients, {how}; every message sent to it is delivered to its recipient"
    );
    if let Some(g) = f.text("group_fraction") {
        let _ = write!(text, " (or, for {g} of them, to every member of a group)");
    }
    if let Some(m) = f.take("max_connections") {
        let _ = write!(text, "; at most {} connections per server", flow(&m));
    }
    if transport != "short_polling" {
        let _ = write!(
            text,
            "; clients of a crashed server reconnect to the others after a back-off"
        );
    }
    if let Some(c) = f.take("calls") {
        let _ = write!(text, "; each message calls {} first", sides_text(&c));
    }
    text
}

fn component(out: &mut String, entry: &Value) {
    let Some((kind, body)) = entry.as_object().and_then(|m| m.iter().next()) else {
        return;
    };
    let mut f = Fields::of(body);
    let name = f.text("name").unwrap_or_default();
    let known = Kind::from_name(kind);
    let text = match known {
        Some(Kind::Server) => server(&mut f),
        Some(Kind::LoadBalancer) => balancer(&mut f),
        Some(Kind::Cache) => cache(&mut f),
        Some(Kind::Database) => database(&mut f),
        Some(Kind::ShardedDatabase) => sharded(&mut f),
        Some(Kind::RateLimiter) => rate_limiter(&mut f),
        Some(Kind::Queue) => queue(&mut f),
        Some(Kind::Dns) => dns(&mut f),
        Some(Kind::Cdn) => cdn(&mut f),
        Some(Kind::Provider) => provider(&mut f),
        Some(Kind::Fanout) => fanout(&mut f),
        Some(Kind::IdGenerator) => id_generator(&mut f),
        Some(Kind::Realtime) => realtime(&mut f),
        // Traffic is not written under `components`; a key sim does not know is told as is.
        Some(Kind::Traffic) | None => format!("a {}", kind.replace('_', " ")),
    };
    let rest = f.rest();
    let rest = match known {
        Some(Kind::Traffic) | None => rest.replace("; other settings:", ", with"),
        Some(_) => rest,
    };
    let _ = writeln!(out, "- {name}: {text}{rest}.");
}

/// One event of the story: when, and what.
struct Event {
    at: f64,
    order: usize,
    text: String,
}

/// The kind of the component a failure target (`web`, `web[2]`) names.
fn kind_of<'a>(doc: &'a Value, target: &str) -> &'a str {
    let name = target.split('[').next().unwrap_or(target);
    doc["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_object().and_then(|m| m.iter().next()))
        .find(|(_, body)| body.get("name").and_then(Value::as_str) == Some(name))
        .map_or("", |(kind, _)| kind.as_str())
}

fn failure(doc: &Value, v: &Value) -> String {
    let mut f = Fields::of(v);
    f.take("at");
    let lasts = f
        .text("for")
        .map_or_else(|| "until the end".to_string(), |d| format!("for {d}"));
    let text = if let Some(t) = f.text("crash") {
        match kind_of(doc, &t) {
            "database" if !t.contains('[') => format!(
                "the master of {t} crashes ({lasts}): the requests inside it fail, writes fail until a replica is promoted, acknowledged writes not yet replicated are lost"
            ),
            "cache" => format!(
                "{t} crashes {lasts}: it loses its memory, and comes back empty (cold)"
            ),
            "queue" => format!(
                "the broker {t} crashes {lasts}: publishing fails meanwhile; a non-durable queue loses its messages"
            ),
            "provider" => format!(
                "the provider {t} has an outage {lasts}: every call to it fails, and what was in progress is not delivered"
            ),
            _ => format!(
                "{t} crashes {lasts}: the requests inside it fail, and calls to it fail until it is back"
            ),
        }
    } else if let Some(t) = f.text("slow") {
        let factor = f.text("factor").unwrap_or_default();
        let factor = factor.trim_end_matches('x');
        format!("{t} turns slow {lasts}: its service times are multiplied by {factor}")
    } else if let Some(t) = f.text("errors") {
        let fraction = f.text("fraction").unwrap_or_default();
        format!("{fraction} of the requests to {t} fail at once, {lasts}")
    } else if let Some(t) = f.text("clock_jump") {
        let by = f.text("by").unwrap_or_default();
        if by.trim_start().starts_with('-') {
            format!("the clock of {t} jumps back by {}: the machine has already issued ids with the timestamps it will read again", by.trim_start().trim_start_matches('-'))
        } else {
            format!("the clock of {t} jumps forward by {by}")
        }
    } else if let Some(dc) = f.text("crash_data_center") {
        format!(
            "data center {dc} goes dark {lasts}: every component in it crashes and loses what it holds"
        )
    } else if let Some(sides) = f.take("partition") {
        format!("the network between {} is cut {lasts}: messages across are dropped (callers find out through their timeouts)", sides_text(&sides))
    } else if let Some(sides) = f.take("latency") {
        let add = f.text("add").unwrap_or_default();
        format!(
            "every message between {} is {add} later, {lasts}",
            sides_text(&sides)
        )
    } else {
        flow(v)
    };
    format!("{text}{}", f.rest())
}

fn sides_text(v: &Value) -> String {
    v.as_array()
        .into_iter()
        .flatten()
        .map(flow)
        .collect::<Vec<_>>()
        .join(" and ")
}

fn story(doc: &Value) -> Vec<Event> {
    let mut events = Vec::new();
    let mut push = |at: f64, text: String| {
        let order = events.len();
        events.push(Event { at, order, text });
    };
    for t in doc["traffic"].as_array().into_iter().flatten() {
        let name = possessive(&t.get("name").map(flow).unwrap_or_default());
        if let Some(r) = t.get("rate").and_then(Value::as_object) {
            if let Some(ramp) = r.get("ramp") {
                push(
                    seconds(ramp.get("start")),
                    format!(
                        "{name} rate starts ramping from {} to {}",
                        ramp.get("from").map(flow).unwrap_or_default(),
                        ramp.get("to").map(flow).unwrap_or_default()
                    ),
                );
                push(
                    seconds(ramp.get("end")),
                    format!(
                        "{name} ramp ends at {}",
                        ramp.get("to").map(flow).unwrap_or_default()
                    ),
                );
            }
            for key in ["steps", "points"] {
                for p in r.get(key).and_then(Value::as_array).into_iter().flatten() {
                    push(
                        seconds(p.get("at")),
                        format!(
                            "{name} rate is {}",
                            p.get("rate").map(flow).unwrap_or_default()
                        ),
                    );
                }
            }
        }
        for s in t
            .get("spikes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let at = seconds(s.get("at"));
            push(
                at,
                format!(
                    "{name} rate is multiplied by {} for {}",
                    s.get("multiplier")
                        .map(flow)
                        .unwrap_or_default()
                        .trim_end_matches('x'),
                    s.get("duration").map(flow).unwrap_or_default()
                ),
            );
        }
    }
    for f in doc["failures"].as_array().into_iter().flatten() {
        push(seconds(f.get("at")), failure(doc, f));
    }
    for s in doc["components"].as_array().into_iter().flatten() {
        let Some(sd) = s.get("sharded_database") else {
            continue;
        };
        if let Some(r) = sd.get("reshard") {
            push(
                seconds(r.get("at")),
                format!(
                    "{} reshards to {} shards; the moved keys are copied while the shards involved slow down",
                    sd.get("name").map(flow).unwrap_or_default(),
                    r.get("to").map(flow).unwrap_or_default()
                ),
            );
        }
    }
    events.sort_by(|a, b| a.at.total_cmp(&b.at).then(a.order.cmp(&b.order)));
    events
}

/// The chart files (without `.svg`) a run of this scenario draws, from its component kinds.
pub fn expected_charts(doc: &Value, plan: &Plan) -> Vec<String> {
    let mut charts: Vec<String> = [
        "latency",
        "throughput",
        "errors",
        "availability",
        "latency-cdf",
        "latency-histogram",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let kinds: Vec<(&str, &Value)> = doc["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_object().and_then(|m| m.iter().next()))
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let has = |k: &str| kinds.iter().any(|(kind, _)| *kind == k);
    let writes = plan.write_types.iter().any(|w| *w);
    let mut add = |c: &str| {
        if !charts.iter().any(|x| x == c) {
            charts.push(c.to_string());
        }
    };
    if has("cache") || has("cdn") {
        add("cache-hit-ratio");
    }
    if has("server") {
        add("utilisation");
        add("queue");
    }
    if has("queue") {
        add("queue");
    }
    if kinds
        .iter()
        .any(|(k, v)| *k == "server" && v.get("autoscale").is_some())
    {
        add("instances");
    }
    if kinds
        .iter()
        .any(|(k, v)| *k == "server" && v.get("circuit_breaker").is_some())
    {
        add("circuit-breakers");
    }
    add("component-requests");
    if writes
        && kinds
            .iter()
            .any(|(k, v)| *k == "database" && v.get("replicas").and_then(Value::as_u64) != Some(0))
    {
        add("replication-lag");
        add("stale-reads");
    }
    if has("rate_limiter") {
        add("rate-limiter-admitted");
        add("rate-limiter-rejected");
    }
    if has("queue") {
        add("queue-throughput");
    }
    for (k, v) in &kinds {
        if *k == "load_balancer" {
            add(&format!(
                "backends-{}",
                v.get("name").map(flow).unwrap_or_default()
            ));
        }
    }
    add("topology");
    charts
}

/// The scenario in plain words. `doc` is the file's YAML tree, `plan` the checked scenario,
/// `shown` the file as the user named it.
pub fn explain(doc: &Value, plan: &Plan, shown: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({shown})", plan.name);
    if let Some(d) = &plan.description {
        let _ = writeln!(out, "{}", crate::format::one_line(d, usize::MAX));
    }
    out.push('\n');
    let run = &doc["run"];
    let mut line = String::from("Run: ");
    match (run.get("duration"), run.get("requests")) {
        (Some(d), Some(r)) => {
            let _ = write!(
                line,
                "{} of simulated time or {} requests, whichever comes first",
                flow(d),
                flow(r)
            );
        }
        (Some(d), None) => {
            let _ = write!(line, "{} of simulated time", flow(d));
        }
        (None, Some(r)) => {
            let _ = write!(line, "until {} requests have been answered", flow(r));
        }
        (None, None) => line.push_str("no stop condition (give --duration or --requests)"),
    }
    if let Some(w) = run.get("warmup") {
        let _ = write!(
            line,
            "; the first {} are a warm-up, left out of the figures",
            flow(w)
        );
    }
    let _ = write!(line, "; seed {}", plan.seed);
    if plan.replications > 1 {
        let _ = write!(
            line,
            "; {} replications (seeds {} to {})",
            plan.replications,
            plan.seed,
            plan.seed + u64::from(plan.replications) - 1
        );
    }
    if let Some(w) = run.get("window") {
        let _ = write!(line, "; time series in windows of {}", flow(w));
    }
    let _ = writeln!(out, "{line}.\n");

    let _ = writeln!(out, "Traffic:");
    for t in doc["traffic"].as_array().into_iter().flatten() {
        traffic_source(&mut out, t);
    }
    let writes: Vec<&str> = plan
        .request_types
        .iter()
        .zip(&plan.write_types)
        .filter(|(_, w)| **w)
        .map(|(t, _)| t.as_str())
        .collect();
    if !writes.is_empty() {
        let _ = writeln!(out, "Requests that write data: {}.", writes.join(", "));
    }

    let _ = writeln!(out, "\nComponents (each with what it calls):");
    for c in doc["components"].as_array().into_iter().flatten() {
        component(&mut out, c);
    }

    let network = &doc["network"];
    let default = network
        .get("default")
        .map_or_else(|| "no time (instant)".to_string(), distribution);
    let links: Vec<String> = network
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|l| {
            format!(
                "{}: {}",
                sides_text(l.get("between").unwrap_or(&Value::Null)),
                l.get("latency").map(distribution).unwrap_or_default()
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "\nNetwork: a message between two components takes {default}{}.",
        if links.is_empty() {
            String::new()
        } else {
            format!(", except between {}", links.join("; between "))
        }
    );

    for dc in doc["data_centers"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "Data center {} in region {} holds {}.",
            dc.get("name").map(flow).unwrap_or_default(),
            dc.get("region").map(flow).unwrap_or_default(),
            dc.get("components")
                .map(|c| sides_text(c).replace(" and ", ", "))
                .unwrap_or_default()
        );
    }
    let regions: Vec<String> = network
        .get("regions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| {
            format!(
                "{}: {}",
                sides_text(r.get("between").unwrap_or(&Value::Null)),
                r.get("latency").map(distribution).unwrap_or_default()
            )
        })
        .collect();
    if !regions.is_empty() {
        let _ = writeln!(
            out,
            "Between regions (clients and data centers), a message also takes: {}.",
            regions.join("; ")
        );
    }

    let events = story(doc);
    let random = doc["random_failures"].as_array();
    let _ = writeln!(out, "\nStory, in time order:");
    if events.is_empty() && random.is_none_or(|r| r.is_empty()) {
        let _ = writeln!(out, "- nothing changes: steady traffic, no failures.");
    }
    for e in &events {
        let _ = writeln!(out, "- at {}: {}.", crate::format::clock(e.at), e.text);
    }
    for r in random.into_iter().flatten() {
        let _ = writeln!(
            out,
            "- all along: every instance of {} fails after {} and is repaired after {}, at random.",
            r.get("target").map(flow).unwrap_or_default(),
            r.get("mtbf").map(distribution).unwrap_or_default(),
            r.get("mttr").map(distribution).unwrap_or_default()
        );
    }

    if let Some(slo) = doc.get("slo") {
        let _ = writeln!(
            out,
            "\nObjective (SLO): {} of the requests succeed within {}.",
            slo.get("target").map(flow).unwrap_or_default(),
            slo.get("latency").map(flow).unwrap_or_default()
        );
    }
    if let Some(asserts) = doc.get("assert").and_then(Value::as_array) {
        let _ = writeln!(
            out,
            "\nAssertions, checked after the run (sim run and sim check exit 1 if one fails):"
        );
        for a in asserts {
            let text = match a.get("that") {
                Some(that) => format!(
                    "{} (on the {} confidence bound)",
                    flow(that),
                    a.get("confidence").map(flow).unwrap_or_default()
                ),
                None => flow(a),
            };
            let _ = writeln!(out, "- {text}");
        }
    }
    if let Some(variants) = doc.get("variants").and_then(Value::as_object) {
        let _ = writeln!(
            out,
            "\nVariants, for sim compare (the same traffic and failures for each):"
        );
        for (name, overrides) in variants {
            let set: Vec<String> = overrides
                .as_object()
                .into_iter()
                .flatten()
                .map(|(p, v)| format!("{p} = {}", flow(v)))
                .collect();
            let _ = writeln!(
                out,
                "- {name}: {}",
                if set.is_empty() {
                    "as written".to_string()
                } else {
                    set.join(", ")
                }
            );
        }
    }

    let _ = writeln!(
        out,
        "\nOutput, in output/{}/: summary.json (totals, latency percentiles, per component and per request type{}), timeseries.csv (the same per time window), report.html (everything on one page), report-data.json, and charts/: {}.",
        plan.name,
        if doc.get("failures").is_some() || doc.get("random_failures").is_some() {
            ", failures, what was lost, downtime"
        } else {
            ""
        },
        expected_charts(doc, plan).join(", ")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(yaml: &str) -> Value {
        serde_saphyr::from_str(yaml).unwrap_or(Value::Null)
    }

    #[test]
    fn distributions_and_rates_read_as_words() {
        assert_eq!(distribution(&v("20ms")), "20ms (constant)");
        assert_eq!(
            distribution(&v("{exponential: 5ms}")),
            "exponential, mean 5ms"
        );
        assert_eq!(
            distribution(&v("{lognormal: {median: 7ms, p99: 30ms}}")),
            "log-normal, median 7ms, p99 30ms"
        );
        assert_eq!(
            distribution(&v("{uniform: {min: 1ms, max: 3ms}}")),
            "uniform between 1ms and 3ms"
        );
        assert_eq!(rate(&v("100/s")), "at 100/s");
        assert_eq!(
            rate(&v("{ramp: {from: 1/s, to: 2/s, end: 5m}}")),
            "ramping from 1/s to 2/s between 0s and 5m"
        );
        assert_eq!(
            rate(&v("{steps: [{at: 0s, rate: 1/s}, {at: 1m, rate: 3/s}]}")),
            "in steps: 1/s at 0s, 3/s at 1m"
        );
    }

    #[test]
    fn shares_of_a_mix() {
        assert_eq!(shares(&v("{read: 9, write: 1}")), "read 90%, write 10%");
        assert_eq!(shares(&v("{a: 1, b: 2}")), "a 33.3%, b 66.7%");
    }

    #[test]
    fn unknown_kinds_and_settings_are_listed_as_written() {
        let mut out = String::new();
        component(
            &mut out,
            &v("{mystery_box: {name: edge, origin: web, hit_ratio: 0.9}}"),
        );
        assert_eq!(
            out,
            "- edge: a mystery box, with origin: web, hit_ratio: 0.9.\n"
        );
        let mut out = String::new();
        component(
            &mut out,
            &v("{server: {name: web, service_time: 1ms, region: eu}}"),
        );
        assert!(out.ends_with("; other settings: region: eu.\n"), "{out}");
    }

    #[test]
    fn a_geodns_and_a_cdn_in_plain_words() {
        let mut out = String::new();
        component(
            &mut out,
            &v("{dns: {name: geo, targets: [lb-us, lb-eu], ttl: 30s, routing: {eu: {dc-eu: 70, dc-us: 30}}}}"),
        );
        assert_eq!(
            out,
            "- geo: a geoDNS in front of the data centers' entry points lb-us, lb-eu: each client \
             caches its answer for 30s (a resolution takes 20ms); clients in eu go to dc-eu (70), \
             dc-us (30); it probes each data center every 10s and stops answering with one after 3 \
             failed probes, but clients that cached it keep going there until their answer expires.\n"
        );
        let mut out = String::new();
        component(
            &mut out,
            &v("{cdn: {name: cdn, origin: lb, static_types: [image], ttl: 10m, edges: [{region: us}, {region: eu}], purges: [{at: 4m}]}}"),
        );
        assert_eq!(
            out,
            "- cdn: a CDN with an edge in each of us, eu caching image for 10m; misses and other \
             requests go to lb; purges at 4m.\n"
        );
    }
}
