//! Each component kind in plain words, made from its typed spec.
//!
//! Every spec is destructured without `..`, so a field added to a kind does not compile until
//! its sentence says what becomes of it: put into words, listed as written among the "other
//! settings" ([`Settings`]), or left out on purpose with the reason beside it (`field: _`).
//! A field told only in some cases (a database's replication, which means nothing without
//! replicas) is taken where it is told and listed as written where it is not.

use std::fmt::Write as _;

use super::words::{count, distribution, joined};
use super::written::{Settings, Written};
use crate::scenario::raw::{self, At, OrMap};

/// `- web: a pool of 3 servers ...`, one line.
pub fn component(out: &mut String, spec: &raw::ComponentSpec) {
    let (text, rest) = match spec {
        raw::ComponentSpec::Server(s) => server(s),
        raw::ComponentSpec::LoadBalancer(b) => balancer(b),
        raw::ComponentSpec::Cache(c) => cache(c),
        raw::ComponentSpec::Database(d) => database(d),
        raw::ComponentSpec::ShardedDatabase(s) => sharded(s),
        raw::ComponentSpec::RateLimiter(l) => rate_limiter(l),
        raw::ComponentSpec::Queue(q) => queue(q),
        raw::ComponentSpec::Cdn(c) => cdn(c),
        raw::ComponentSpec::Dns(d) => dns(d),
        raw::ComponentSpec::Provider(p) => provider(p),
        raw::ComponentSpec::Fanout(f) => fanout(f),
        raw::ComponentSpec::IdGenerator(g) => id_generator(g),
        raw::ComponentSpec::Realtime(r) => realtime(r),
    };
    let _ = writeln!(out, "- {}: {text}{}.", spec.name().value, rest.other());
}

/// A sentence and the settings it leaves to be listed as written.
type Sentence = (String, Settings);

/// `1 worker` or `8 workers`.
fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// A value as written, or `default` when the file leaves it out.
fn or<T: Written>(v: &Option<T>, default: &str) -> String {
    v.as_ref()
        .map_or_else(|| default.to_string(), Written::written)
}

/// A server's (or a type's) downstream steps in words.
fn calls(steps: &[At<OrMap<raw::StepSpec>>]) -> String {
    let steps: Vec<String> = steps
        .iter()
        .map(|step| match &step.value {
            OrMap::Map(raw::StepSpec::CacheAside(ca)) => {
                let raw::CacheAsideSpec { cache, store } = ca;
                format!(
                    "{} behind the cache-aside cache named {} (a read asks the cache first; a write goes to {} and deletes the key from the cache)",
                    store.written(),
                    cache.written(),
                    store.written()
                )
            }
            OrMap::Scalar(name) => name.written(),
        })
        .collect();
    if steps.is_empty() {
        "nothing".to_string()
    } else {
        steps.join(", then ")
    }
}

fn server(s: &raw::ServerSpec) -> Sentence {
    let raw::ServerSpec {
        name: _,
        instances,
        workers,
        queue,
        service_time,
        calls: steps,
        per_type,
        timeout,
        autoscale,
        call_timeout,
        circuit_breaker,
        sessions,
    } = s;
    let instances = instances.as_ref().map_or(1, |n| n.value);
    let workers = workers.as_ref().map_or(1, |n| n.value);
    let mut text = if instances == 1 {
        format!("a server with {}", plural(workers, "worker"))
    } else {
        format!(
            "a pool of {instances} servers with {} each",
            plural(workers, "worker")
        )
    };
    match queue {
        Some(q) => {
            let _ = write!(
                text,
                " and a queue of {} (beyond it, requests are rejected)",
                q.written()
            );
        }
        None => text.push_str(" and an unbounded queue"),
    }
    let _ = write!(
        text,
        "; work per request: {}",
        distribution(&service_time.value)
    );
    if let Some(c) = steps {
        let _ = write!(text, "; then it calls {}", calls(c));
    }
    for (t, o) in per_type.iter().flatten() {
        let raw::TypeOverride {
            service_time,
            calls: steps,
            redirect,
            max_age,
        } = o;
        let mut bits = Vec::new();
        if let Some(st) = service_time {
            bits.push(format!("work {}", distribution(&st.value)));
        }
        if let Some(c) = steps {
            bits.push(format!("it calls {} instead", calls(c)));
        }
        match redirect.as_ref().map(|r| r.value) {
            Some(301) => bits.push(match max_age {
                Some(age) => format!(
                    "it answers with a permanent redirect (301) that the client's browser keeps for {}, answering repeat clicks itself (the server never sees them)",
                    age.written()
                ),
                None => "it answers with a permanent redirect (301) that the client's browser keeps for ever, answering repeat clicks itself (the server never sees them)".into(),
            }),
            Some(302) => bits.push(
                "it answers with a temporary redirect (302), never cached: every click reaches the server".into(),
            ),
            _ => {}
        }
        let _ = write!(text, "; for {} requests: {}", t.value, bits.join(", "));
    }
    if let Some(t) = timeout {
        let _ = write!(
            text,
            "; it answers \"timed out\" {} after a request arrived",
            t.written()
        );
    }
    if let Some(t) = call_timeout {
        let _ = write!(
            text,
            "; it abandons a downstream call after {}",
            t.written()
        );
    }
    if let Some(cb) = circuit_breaker {
        let _ = write!(
            text,
            "; a circuit breaker on each downstream component ({})",
            cb.written()
        );
    }
    if let Some(a) = autoscale {
        text.push_str(&autoscale_text(&a.value));
    }
    (text, Settings::new().with("sessions", sessions.as_ref()))
}

fn autoscale_text(a: &raw::AutoscaleSpec) -> String {
    let raw::AutoscaleSpec {
        metric,
        target,
        min,
        max,
        interval,
        scale_out_cooldown,
        scale_in_cooldown,
        provisioning,
        warmup,
        warmup_factor,
    } = a;
    let mut text = format!(
        "; autoscaled between {} and {} instances to keep {} near {}, a new instance taking {} to serve",
        min.written(),
        max.written(),
        or(metric, "utilization"),
        target.written(),
        or(provisioning, "60s")
    );
    let more = Settings::new()
        .with("interval", interval.as_ref())
        .with("scale_out_cooldown", scale_out_cooldown.as_ref())
        .with("scale_in_cooldown", scale_in_cooldown.as_ref())
        .with("warmup", warmup.as_ref())
        .with("warmup_factor", warmup_factor.as_ref());
    if !more.is_empty() {
        let _ = write!(text, " (other settings: {})", more.list());
    }
    text
}

/// A balancer's backends in words: `web (weight 3), web2`.
fn pools(backends: &[At<OrMap<raw::BackendSpec>>]) -> String {
    backends
        .iter()
        .map(|b| match &b.value {
            OrMap::Map(raw::BackendSpec { pool, weight }) => {
                format!("{} (weight {})", pool.written(), or(weight, "1"))
            }
            OrMap::Scalar(name) => name.written(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn balancer(b: &raw::BalancerSpec) -> Sentence {
    let raw::BalancerSpec {
        name: _,
        algorithm,
        backends,
        routes,
        health,
    } = b;
    let mut text = format!("a load balancer ({})", or(algorithm, "round_robin"));
    if let Some(b) = backends {
        let _ = write!(text, " over every instance of {}", pools(b));
    }
    for r in routes.iter().flatten() {
        // A route's own algorithm is not told (the balancer's is).
        let raw::RouteSpec {
            types,
            backends,
            algorithm: _,
        } = r;
        let _ = write!(
            text,
            "; {} requests go to {}",
            types.written(),
            pools(&backends.value)
        );
    }
    match health {
        Some(h) => text.push_str(&health_text(h)),
        None => text.push_str(
            "; a backend is taken out for 30s after 5 failed replies in a row (passive health checks)",
        ),
    }
    (text, Settings::new())
}

fn health_text(h: &raw::HealthSpec) -> String {
    let raw::HealthSpec {
        enabled,
        failures,
        ejection,
        interval,
        timeout,
        unhealthy,
        healthy,
    } = h;
    let mut failures = failures.as_ref();
    let mut ejection = ejection.as_ref();
    let mut timeout = timeout.as_ref();
    let mut unhealthy = unhealthy.as_ref();
    let mut healthy = healthy.as_ref();
    let mut text = String::new();
    if *enabled == Some(false) {
        text.push_str("; passive health checks off");
    } else {
        let failures = failures.take().map_or_else(|| "5".into(), Written::written);
        let ejection = ejection
            .take()
            .map_or_else(|| "30s".into(), Written::written);
        let _ = write!(
            text,
            "; a backend is taken out for {ejection} after {failures} failed replies in a row"
        );
    }
    if let Some(i) = interval {
        let timeout = timeout.take().map_or_else(|| "1s".into(), Written::written);
        let unhealthy = unhealthy
            .take()
            .map_or_else(|| "3".into(), Written::written);
        let healthy = healthy.take().map_or_else(|| "2".into(), Written::written);
        let _ = write!(
            text,
            "; it probes every backend every {} (timeout {timeout}): {unhealthy} failed probes mark it down, {healthy} good ones up again",
            i.written()
        );
    }
    let rest = Settings::new()
        .with("failures", failures)
        .with("ejection", ejection)
        .with("timeout", timeout)
        .with("unhealthy", unhealthy)
        .with("healthy", healthy);
    text.push_str(&rest.other());
    text
}

fn cache(c: &raw::CacheSpec) -> Sentence {
    let raw::CacheSpec {
        name: _,
        capacity,
        memory,
        value_size,
        eviction,
        ttl,
        idle_ttl,
        hit_time,
        miss_time,
        backing,
        strategy,
        flush_delay,
    } = c;
    let mut text = format!("a cache ({})", or(strategy, "read_through"));
    if let Some(b) = backing {
        let _ = write!(text, " in front of {}", b.written());
    }
    let capacity = match (capacity, memory) {
        (Some(c), Some(m)) => format!("{} entries and {}", c.written(), m.written()),
        (Some(c), None) => format!("{} entries", c.written()),
        (None, Some(m)) => m.written(),
        (None, None) => "no size limit".to_string(),
    };
    let _ = write!(
        text,
        "; holds {capacity}, evicting by {}",
        or(eviction, "lru")
    );
    if let Some(t) = ttl {
        let _ = write!(
            text,
            "; entries expire {} after they were written",
            t.written()
        );
    }
    if let Some(t) = idle_ttl {
        let _ = write!(text, "; or {} after they were last read", t.written());
    }
    let hit = hit_time.as_ref().map_or_else(
        || "0.5ms (constant)".to_string(),
        |v| distribution(&v.value),
    );
    let _ = write!(text, "; a hit takes {hit}");
    if let Some(m) = miss_time {
        let _ = write!(text, ", a miss {}", distribution(&m.value));
    }
    if let Some(v) = value_size {
        let _ = write!(text, "; values of {}", v.written());
    }
    if let Some(d) = flush_delay {
        let _ = write!(
            text,
            "; dirty entries are written back after {}",
            d.written()
        );
    }
    (text, Settings::new())
}

fn database(d: &raw::DatabaseSpec) -> Sentence {
    let raw::DatabaseSpec {
        name: _,
        replicas,
        connections,
        queue,
        read_time,
        write_time,
        replication,
        lag,
        apply_time,
        reads,
        balance,
        failover_detection,
        failover_promotion,
    } = d;
    // Replication, lag, apply time, where reads go and failover mean something only with
    // replicas: told with them, listed as written without (as is the balance of reads that go
    // to the master).
    let mut reads = reads.as_ref();
    let mut balance = balance.as_ref();
    let mut replication = replication.as_ref();
    let mut lag = lag.as_ref();
    let mut apply_time = apply_time.as_ref();
    let mut failover_detection = failover_detection.as_ref();
    let mut failover_promotion = failover_promotion.as_ref();
    let replicas = replicas.as_ref().map_or(1, |r| r.value);
    let connections = or(connections, "1");
    let mut text = if replicas == 0 {
        format!("a database: one node with {connections} connections")
    } else {
        format!(
            "a database: a master and {replicas} read replica{}, {connections} connections per node",
            if replicas == 1 { "" } else { "s" }
        )
    };
    match queue {
        Some(q) => {
            let _ = write!(text, ", a queue of {} per node", q.written());
        }
        None => text.push_str(", unbounded queues"),
    }
    let _ = write!(text, "; a read takes {}", distribution(&read_time.value));
    if let Some(w) = write_time {
        let _ = write!(text, ", a write {}", distribution(&w.value));
    }
    if replicas != 0 {
        let replication = replication
            .take()
            .map_or_else(|| "async".into(), Written::written);
        let lag = lag
            .take()
            .map_or_else(|| "10ms (constant)".to_string(), |v| distribution(&v.value));
        let _ = write!(
            text,
            "; writes go to the master and reach the replicas {replication}hronously after a lag of {lag}",
        );
        if let Some(a) = apply_time.take() {
            let _ = write!(
                text,
                ", each replayed in {}, one at a time",
                distribution(&a.value)
            );
        }
        if reads.take().is_some_and(|r| r.value == "master") {
            text.push_str("; reads go to the master");
        } else {
            let balance = balance
                .take()
                .map_or_else(|| "round_robin".into(), Written::written);
            let _ = write!(text, "; reads go to the replicas ({balance})");
        }
        let detection = failover_detection
            .take()
            .map_or_else(|| "10s".into(), Written::written);
        let promotion = failover_promotion
            .take()
            .map_or_else(|| "1s".into(), Written::written);
        let _ = write!(
            text,
            "; if the master crashes, the crash is detected after {detection} and a replica promoted {promotion} later"
        );
    }
    let rest = Settings::new()
        .with("replication", replication)
        .with("lag", lag)
        .with("apply_time", apply_time)
        .with("failover_detection", failover_detection)
        .with("failover_promotion", failover_promotion)
        .with("reads", reads)
        .with("balance", balance);
    (
        text.replace("semi_synchronously", "semi-synchronously"),
        rest,
    )
}

fn sharded(s: &raw::ShardedSpec) -> Sentence {
    let raw::ShardedSpec {
        name: _,
        shards,
        placement,
        virtual_nodes,
        active,
        keys,
        reshard,
    } = s;
    // Virtual nodes are told with consistent hashing, listed as written otherwise.
    let mut virtual_nodes = virtual_nodes.as_ref();
    let placement = match placement.as_ref().map_or("hash", |p| p.value.as_str()) {
        "hash" => "hash mod N".to_string(),
        "range" => "key ranges".to_string(),
        "consistent" => format!(
            "consistent hashing ({} virtual nodes per shard)",
            virtual_nodes
                .take()
                .map_or_else(|| "100".into(), Written::written)
        ),
        other => other.to_string(),
    };
    let mut text = format!(
        "a sharded database over {}, placing keys by {placement}",
        shards.written()
    );
    if let Some(a) = active {
        let _ = write!(text, "; {} shards in use at the start", a.written());
    }
    if let Some(k) = keys {
        let _ = write!(text, "; key space {}", k.written());
    }
    if let Some(r) = reshard {
        // The slowdown of the shards involved is not told.
        let raw::ReshardSpec {
            at,
            to,
            duration,
            copy_rate,
            slowdown: _,
        } = &r.value;
        let _ = write!(
            text,
            "; resharding to {} shards at {} (moved keys copied {})",
            to.written(),
            at.written(),
            match (copy_rate, duration) {
                (Some(c), _) => format!("at {}", c.written()),
                (None, Some(d)) => format!("over {}", d.written()),
                _ => "at once".to_string(),
            }
        );
    }
    (text, Settings::new().with("virtual_nodes", virtual_nodes))
}

fn rate_limiter(l: &raw::RateLimiterSpec) -> Sentence {
    // What a node does when the store fails is not told.
    let raw::RateLimiterSpec {
        name: _,
        instances,
        rules,
        downstream,
        store,
        on_store_failure: _,
    } = l;
    let instances = instances.as_ref().map_or(1, |n| n.value);
    let mut text = format!(
        "a rate limiter on {instances} node{}",
        if instances == 1 { "" } else { "s" }
    );
    match store {
        Some(s) => {
            let _ = write!(
                text,
                " sharing its counters in {} (one round trip per decision)",
                s.written()
            );
        }
        None if instances != 1 => text.push_str(", each node counting on its own"),
        None => {}
    }
    for r in &rules.value {
        // A rule's name is only its label in the report.
        let raw::RateRuleSpec {
            name: _,
            algorithm,
            limit,
            per,
            burst,
            key,
            types,
        } = r;
        let _ = write!(
            text,
            "; rule {}: {} requests per {} per {}",
            algorithm.written(),
            limit.written(),
            or(per, "1s"),
            or(key, "client")
        );
        if let Some(b) = burst {
            let _ = write!(text, " (burst {})", b.written());
        }
        if let Some(t) = types {
            let _ = write!(text, " for {}", t.written());
        }
    }
    match downstream {
        Some(d) => {
            let _ = write!(
                text,
                "; admitted requests go on to {}, refused ones get a 429 with a Retry-After",
                d.written()
            );
        }
        None => text.push_str("; it answers admitted or refused (429) to its caller"),
    }
    (text, Settings::new())
}

fn fanout(f: &raw::FanoutSpec) -> Sentence {
    // The celebrity accounts and the size of the user id space shape the keys, not the story.
    let raw::FanoutSpec {
        name: _,
        to,
        mode,
        users: _,
        followers,
        following,
        concurrency,
        min_success,
        celebrity_threshold,
        celebrity_accounts: _,
        celebrities_followed,
        celebrity_posts,
    } = f;
    let to = to.written();
    let mode = or(mode, "write");
    let followers = count(&followers.value);
    let following = following
        .as_ref()
        .map_or_else(|| followers.clone(), |v| count(&v.value));
    // The celebrities' settings are shown only in hybrid mode, where they apply.
    let mut text = match mode.as_str() {
        "read" => format!(
            "a fan-out service on read: a post is one write to {to}; a feed read asks {to} for the timeline of each account the reader follows ({following}), all in parallel"
        ),
        "hybrid" => {
            let threshold = or(celebrity_threshold, "10000");
            let pulled = celebrities_followed
                .as_ref()
                .map_or_else(|| "0".to_string(), |v| count(&v.value));
            format!(
                "a hybrid fan-out service: a post is written into the feed of each of its author's followers ({followers}) in {to}, except an author with more than {threshold} followers (a celebrity), whose posts readers pull: a feed read is the reader's feed plus the timelines of the celebrities they follow ({pulled})"
            )
        }
        _ => format!(
            "a fan-out service on write: a post is written into the feed of each of its author's followers ({followers}) in {to}; a feed read is one read of the reader's feed"
        ),
    };
    let _ = write!(
        text,
        "; at most {} writes or reads of one fan-out at a time, and it answers when all are answered",
        or(concurrency, "100")
    );
    if let Some(posts) = celebrity_posts {
        let list: Vec<String> = posts
            .iter()
            .map(|p| {
                let raw::CelebrityPostSpec { at, followers } = p;
                format!(
                    "at {} by a celebrity with {} followers",
                    at.written(),
                    followers.written()
                )
            })
            .collect();
        let _ = write!(text, "; a post {}", list.join(", "));
    }
    (
        text,
        Settings::new().with("min_success", min_success.as_ref()),
    )
}

fn queue(q: &raw::QueueSpec) -> Sentence {
    // The redelivery timings are details of the retries, not told.
    let raw::QueueSpec {
        name: _,
        capacity,
        durable,
        consumer,
        concurrency,
        scaling,
        visibility_timeout: _,
        max_attempts,
        retry_backoff: _,
        max_retry_backoff: _,
    } = q;
    let durable = *durable != Some(false);
    let mut text = format!(
        "a {} message queue: a producer gets its answer once the message is stored; the messages are processed by {}",
        if durable { "durable" } else { "non-durable" },
        consumer.written()
    );
    if let Some(c) = capacity {
        let _ = write!(text, "; it holds at most {} messages", c.written());
    }
    if let Some(c) = concurrency {
        let _ = write!(text, "; {} consumers", c.written());
    }
    if let Some(s) = scaling {
        // How often the backlog is checked and how long a consumer takes to start are not told.
        let raw::QueueScalingSpec {
            min,
            max,
            backlog_per_consumer,
            interval: _,
            startup: _,
        } = &s.value;
        let _ = write!(
            text,
            "; consumers scale with the backlog, one per {} waiting, between {} and {}",
            backlog_per_consumer.written(),
            min.written(),
            max.written()
        );
    }
    let _ = write!(
        text,
        "; a failed message is retried with back-off, and after {} deliveries goes to the dead-letter queue",
        or(max_attempts, "5")
    );
    (text, Settings::new())
}

fn dns(d: &raw::DnsSpec) -> Sentence {
    let raw::DnsSpec {
        name: _,
        targets,
        ttl,
        resolution_time,
        routing,
        health,
    } = d;
    let resolution = resolution_time
        .as_ref()
        .map_or_else(|| "20ms".to_string(), |d| distribution(&d.value));
    let mut text = format!(
        "a geoDNS in front of the data centers' entry points {}: each client caches its answer for {} (a resolution takes {resolution})",
        joined(&targets.value, ", "),
        or(ttl, "60s")
    );
    if let Some(routing) = routing {
        let rules: Vec<String> = routing
            .value
            .iter()
            .map(|(region, weights)| {
                let shares: Vec<String> = weights
                    .value
                    .iter()
                    .map(|(dc, w)| format!("{} ({})", dc.value, w.written()))
                    .collect();
                format!("clients in {} go to {}", region.value, shares.join(", "))
            })
            .collect();
        let _ = write!(text, "; {}", rules.join(", "));
    }
    // A probe's timeout and the probes that bring a data center back are not told.
    let (interval, unhealthy) = match health {
        Some(h) => {
            let raw::DnsHealthSpec {
                interval,
                timeout: _,
                unhealthy,
                healthy: _,
            } = &h.value;
            (or(interval, "10s"), or(unhealthy, "3"))
        }
        None => ("10s".to_string(), "3".to_string()),
    };
    let _ = write!(
        text,
        "; it probes each data center every {interval} and stops answering with one after {unhealthy} failed probes, but clients that cached it keep going there until their answer expires"
    );
    (text, Settings::new())
}

fn cdn(c: &raw::CdnSpec) -> Sentence {
    let raw::CdnSpec {
        name: _,
        origin,
        edges,
        static_types,
        ttl,
        ttl_by_type,
        capacity,
        eviction,
        hit_time,
        miss_time,
        shield,
        purges,
        deploys,
    } = c;
    // The edges' latencies are told by the network, not here.
    let regions: Vec<String> = edges
        .value
        .iter()
        .map(|e| {
            let raw::CdnEdgeSpec {
                region,
                latency: _,
                bypass_latency: _,
            } = e;
            region.written()
        })
        .collect();
    let cached = static_types
        .as_ref()
        .map_or_else(|| "every request type".to_string(), |t| joined(t, ", "));
    let ttl = ttl.as_ref().map_or_else(
        || "until evicted".to_string(),
        |t| format!("for {}", t.written()),
    );
    let mut text = format!(
        "a CDN with an edge in each of {} caching {cached} {ttl}; misses and other requests go to {}",
        regions.join(", "),
        origin.written()
    );
    // The shield's latency and size are not told.
    if shield.is_some() {
        let _ = write!(
            text,
            " through a shield (a mid-tier cache: one origin fetch per object for all edges)"
        );
    }
    // The request types a purge or a deploy is limited to are not told.
    let times = |changes: &[raw::CdnChangeSpec]| {
        changes
            .iter()
            .map(|c| {
                let raw::CdnChangeSpec { at, types: _ } = c;
                at.written()
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(p) = purges {
        let _ = write!(text, "; purges at {}", times(p));
    }
    if let Some(d) = deploys {
        let _ = write!(
            text,
            "; versioned deploys (new object names) at {}",
            times(d)
        );
    }
    let rest = Settings::new()
        .with("ttl_by_type", ttl_by_type.as_ref())
        .with("capacity", capacity.as_ref())
        .with("eviction", eviction.as_ref())
        .with("hit_time", hit_time.as_ref())
        .with("miss_time", miss_time.as_ref());
    (text, rest)
}

fn provider(p: &raw::ProviderSpec) -> Sentence {
    let raw::ProviderSpec {
        name: _,
        latency,
        error_rate,
        ack_loss,
        rate_limit,
        dedup,
        dedup_window,
    } = p;
    // The window is told with idempotency keys, listed as written otherwise.
    let mut dedup_window = dedup_window.as_ref();
    let latency = latency
        .as_ref()
        .map_or_else(|| "100ms".to_string(), |d| distribution(&d.value));
    let mut text = format!(
        "a third-party provider (a push, SMS or email gateway we call and cannot change), answering in {latency}"
    );
    if let Some(limit) = rate_limit {
        // The bucket's burst is not told.
        let raw::ProviderRateLimitSpec { rate, burst: _ } = &limit.value;
        let _ = write!(
            text,
            "; it accepts at most {} (a token bucket) and answers 429 beyond",
            rate.written()
        );
    }
    if let Some(e) = error_rate {
        let _ = write!(
            text,
            "; {} of its answers are errors (not delivered)",
            e.written()
        );
    }
    if let Some(a) = ack_loss {
        let _ = write!(
            text,
            "; {} of the notifications it delivers have their answer lost, so the caller retries a notification the user already got",
            a.written()
        );
    }
    match dedup.as_ref().map(|d| d.value.as_str()) {
        Some("idempotency_key") => {
            let window = dedup_window
                .take()
                .map_or_else(|| "24h".into(), Written::written);
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
    (text, Settings::new().with("dedup_window", dedup_window))
}

fn id_generator(g: &raw::IdGeneratorSpec) -> Sentence {
    // The bit widths and the epoch are details of the id's layout, not told; the service time
    // is told for the schemes that go to a database.
    let raw::IdGeneratorSpec {
        name: _,
        scheme,
        service_time,
        workers,
        queue,
        masters,
        instances,
        timestamp_bits: _,
        datacenter_bits: _,
        machine_bits: _,
        sequence_bits,
        since_epoch: _,
        on_clock_backwards,
    } = g;
    // Told with the scheme they belong to, listed as written otherwise.
    let mut masters = masters.as_ref();
    let mut instances = instances.as_ref();
    let mut sequence_bits = sequence_bits.as_ref();
    let mut on_clock_backwards = on_clock_backwards.as_ref();
    let service = service_time.as_ref().map(|d| distribution(&d.value));
    let mut text = match scheme.value.as_str() {
        "auto_increment" => format!(
            "an id generator: one database hands out 1, 2, 3, ... one at a time ({} each), in order, but every id waits for it and it is a single point of failure",
            service.unwrap_or_else(|| "1ms".into())
        ),
        "multi_master" => {
            let n = masters.take().map_or_else(|| "2".into(), Written::written);
            format!(
                "an id generator: {n} database masters, each counting in steps of {n} from its own offset (1, 1+{n}, ...; 2, 2+{n}, ...), called in turn: unique ids, no single point of failure, but not in order across masters"
            )
        }
        "uuid" => "an id generator making random 128-bit UUIDs (122 random bits) locally: no coordination and no single point of failure, but no order and big keys; a collision is possible in theory, never in practice".to_string(),
        "snowflake" => {
            let seq = sequence_bits.take().map_or(12, |s| s.value);
            let machines = instances.take().map_or_else(|| "1".into(), Written::written);
            let policy = on_clock_backwards
                .take()
                .map_or_else(|| "wait".into(), Written::written);
            format!(
                "a snowflake id generator on {machines} machine(s): each id is a millisecond timestamp, a data center, a machine and a sequence, so ids are unique without coordination and roughly ordered by time; a machine issues at most {} ids per millisecond (more wait for the next millisecond), and when its clock goes backwards it will {policy}",
                1u64 << seq.min(62)
            )
        }
        other => format!("an id generator ({other})"),
    };
    if let Some(w) = workers {
        let _ = write!(text, "; {} at once per node", w.written());
    }
    let rest = Settings::new()
        .with("queue", queue.as_ref())
        .with("masters", masters)
        .with("instances", instances)
        .with("sequence_bits", sequence_bits)
        .with("on_clock_backwards", on_clock_backwards);
    (text, rest)
}

fn realtime(r: &raw::RealtimeSpec) -> Sentence {
    let raw::RealtimeSpec {
        name: _,
        clients,
        instances,
        transport,
        max_connections,
        memory_per_connection,
        service_time,
        connect_time,
        heartbeat_interval,
        heartbeat_loss,
        presence_timeout,
        poll_interval,
        poll_timeout,
        reconnect,
        group_fraction,
        group_size,
        offline,
        calls: steps,
    } = r;
    let transport = or(transport, "websocket");
    // Each transport's timing is told with it; the others' are not, as they do not apply.
    let how = match transport.as_str() {
        "long_polling" => format!(
            "each keeping a request open (long polling) that a message answers at once, or empty after {}",
            or(poll_timeout, "30s")
        ),
        "short_polling" => format!(
            "each asking every {} (short polling) whether a message came, so a message waits for the next poll",
            or(poll_interval, "5s")
        ),
        _ => {
            let beats = heartbeat_interval.as_ref().map_or(String::new(), |h| {
                format!(", sending a heartbeat every {} for presence", h.written())
            });
            format!("each holding a WebSocket connection messages are pushed over{beats}")
        }
    };
    let mut text = format!(
        "{} real-time server(s) with {} connected clients, {how}; every message sent to it is delivered to its recipient",
        or(instances, "1"),
        clients.written()
    );
    if let Some(g) = group_fraction {
        let _ = write!(
            text,
            " (or, for {} of them, to every member of a group)",
            g.written()
        );
    }
    if let Some(m) = max_connections {
        let _ = write!(text, "; at most {} connections per server", m.written());
    }
    if transport != "short_polling" {
        let _ = write!(
            text,
            "; clients of a crashed server reconnect to the others after a back-off"
        );
    }
    if let Some(c) = steps {
        let _ = write!(text, "; each message calls {} first", joined(c, " and "));
    }
    let rest = Settings::new()
        .with("memory_per_connection", memory_per_connection.as_ref())
        .with("service_time", service_time.as_ref())
        .with("connect_time", connect_time.as_ref())
        .with("heartbeat_loss", heartbeat_loss.as_ref())
        .with("presence_timeout", presence_timeout.as_ref())
        .with("reconnect", reconnect.as_ref())
        .with("group_size", group_size.as_ref())
        .with("offline", offline.as_ref());
    (text, rest)
}
