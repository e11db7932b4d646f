//! CDNs: edges per region, static types, TTLs, purges, deploys and the shield.

use super::checker::*;
use crate::model::cdn::{CdnConfig, EdgeConfig, ScriptedChange, ShieldConfig, MAX_DEPLOYS};

/// Edges of one CDN: each keeps its own store and counters.
const MAX_EDGES: usize = 1000;
/// Purges of one CDN (each is a timer and a line in the report).
const MAX_PURGES: usize = 10_000;

pub(super) fn check_cdn(
    c: &mut Checker,
    k: &raw::CdnSpec,
    regions: &IndexMap<String, ()>,
) -> Option<CdnConfig> {
    let errors_before = c.errors.len();
    let origin = c.reference(&k.origin, "origin", Use::Call);
    let types = c.request_types.len();
    let static_types = match &k.static_types {
        None => vec![true; types],
        Some(list) => {
            if list.is_empty() {
                c.error_help(
                    k.name.loc,
                    "static_types is empty: the CDN would cache nothing",
                    "list the request types the edges cache, or leave static_types out to cache every type",
                );
            }
            let mut v = vec![false; types];
            for t in list {
                if let Some(kind) = c.request_type(t) {
                    v[kind as usize] = true;
                }
            }
            v
        }
    };
    let ttl = k.ttl.as_ref().and_then(|d| c.positive_duration(d, "ttl"));
    let mut ttls = vec![ttl; types];
    for (name, d) in k.ttl_by_type.iter().flatten() {
        let Some(kind) = c.request_type(name) else {
            continue;
        };
        if !static_types[kind as usize] {
            c.error_help(
                name.loc,
                format!(
                    "'{}' is not a static type: the CDN does not cache it",
                    name.value
                ),
                "add it to static_types, or remove its TTL",
            );
        }
        ttls[kind as usize] = c.positive_duration(d, &format!("ttl of '{}'", name.value));
    }
    let capacity = match &k.capacity {
        Some(n) => c.int_in(
            n,
            "capacity",
            1,
            limits::MAX_CACHE_ENTRIES,
            "each object costs about 100 bytes of simulator memory",
        ),
        None => None,
    };
    let policy = match &k.eviction {
        None => Policy::Lru,
        Some(e) => Policy::from_name(&e.value).unwrap_or_else(|| {
            let help = suggestion(&e.value, Policy::NAMES.iter().copied());
            c.error_help(
                e.loc,
                format!("unknown eviction policy '{}'", e.value),
                help,
            );
            Policy::Lru
        }),
    };
    let half_ms = Distribution::constant(SimDuration::from_nanos(500_000));
    let hit_time = match &k.hit_time {
        Some(d) => c.distribution(d, "hit_time").unwrap_or(half_ms),
        None => half_ms,
    };
    let miss_time = match &k.miss_time {
        Some(d) => c
            .distribution(d, "miss_time")
            .unwrap_or_else(|| hit_time.clone()),
        None => hit_time.clone(),
    };
    let edges = check_edges(c, k, regions);
    let shield = k.shield.as_ref().map(|s| {
        let latency = latency_or_zero(c, s.value.latency.as_ref(), "shield latency");
        let capacity = s.value.capacity.as_ref().and_then(|n| {
            c.int_in(
                n,
                "shield capacity",
                1,
                limits::MAX_CACHE_ENTRIES,
                "each object costs about 100 bytes of simulator memory",
            )
        });
        ShieldConfig { latency, capacity }
    });
    let purges = check_changes(c, k.purges.as_deref(), "purge", &static_types);
    let deploys = check_changes(c, k.deploys.as_deref(), "deploy", &static_types);
    if deploys.len() > MAX_DEPLOYS {
        c.error_help(
            k.name.loc,
            format!(
                "{} deploys, above the limit of {MAX_DEPLOYS}",
                deploys.len()
            ),
            "a version is 8 bits of an object's name",
        );
    }
    if c.errors.len() > errors_before {
        return None;
    }
    Some(CdnConfig {
        name: k.name.value.clone(),
        origin: origin?,
        edges,
        regions: regions.keys().cloned().collect(),
        static_types,
        ttl: ttls,
        capacity,
        policy,
        hit_time,
        miss_time,
        shield,
        purges,
        deploys,
    })
}

fn latency_or_zero(
    c: &mut Checker,
    d: Option<&At<OrMap<raw::DistributionSpec>>>,
    what: &str,
) -> Distribution {
    d.and_then(|d| c.distribution(d, what))
        .unwrap_or_else(|| Distribution::constant(SimDuration::ZERO))
}

fn check_edges(
    c: &mut Checker,
    k: &raw::CdnSpec,
    regions: &IndexMap<String, ()>,
) -> Vec<EdgeConfig> {
    if k.edges.value.is_empty() {
        c.error_help(
            k.edges.loc,
            "a CDN needs at least one edge",
            "e.g. edges: [{region: us, latency: 10ms}]",
        );
    }
    if k.edges.value.len() > MAX_EDGES {
        c.error(
            k.edges.loc,
            format!("more than {MAX_EDGES} edges; each keeps its own store"),
        );
    }
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut out = Vec::new();
    for e in &k.edges.value {
        let region = match regions.get_index_of(&e.region.value) {
            Some(r) => Some(r as u16),
            None if regions.is_empty() => {
                c.error_help(
                    e.region.loc,
                    format!("region '{}' is not a client region", e.region.value),
                    "no traffic source has regions: add e.g. regions: {us: 0.6, eu: 0.4} to the traffic",
                );
                None
            }
            None => {
                let help = suggestion(&e.region.value, regions.keys().map(String::as_str));
                c.error_help(
                    e.region.loc,
                    format!("region '{}' is not a client region", e.region.value),
                    help,
                );
                None
            }
        };
        if let Some(first) = seen.get(&e.region.value) {
            c.error_help(
                e.region.loc,
                format!("region '{}' has two edges", e.region.value),
                format!("first edge for it at line {first}"),
            );
        }
        seen.insert(e.region.value.clone(), e.region.loc.line);
        let latency = latency_or_zero(c, e.latency.as_ref(), "edge latency");
        let bypass_latency = match &e.bypass_latency {
            Some(d) => c
                .distribution(d, "bypass_latency")
                .unwrap_or_else(|| latency.clone()),
            None => latency.clone(),
        };
        if let Some(region) = region {
            out.push(EdgeConfig {
                region,
                latency,
                bypass_latency,
            });
        }
    }
    out
}

fn check_changes(
    c: &mut Checker,
    list: Option<&[raw::CdnChangeSpec]>,
    what: &str,
    static_types: &[bool],
) -> Vec<ScriptedChange> {
    let list = list.unwrap_or(&[]);
    let mut out = Vec::new();
    if list.len() > MAX_PURGES {
        if let Some(first) = list.first() {
            c.error(
                first.at.loc,
                format!("more than {MAX_PURGES} {what}s in one CDN"),
            );
        }
        return out;
    }
    for change in list {
        let at = c.duration(&change.at, &format!("{what} time"));
        let types = change.types.as_ref().map(|types| {
            if types.is_empty() {
                c.error_help(
                    change.at.loc,
                    format!("this {what} lists no types"),
                    "leave 'types' out to apply it to every static type",
                );
            }
            let mut kinds = Vec::new();
            for t in types {
                let Some(kind) = c.request_type(t) else {
                    continue;
                };
                if !static_types.get(kind as usize).copied().unwrap_or(false) {
                    c.error_help(
                        t.loc,
                        format!(
                            "'{}' is not a static type: the CDN does not cache it",
                            t.value
                        ),
                        "add it to static_types",
                    );
                    continue;
                }
                kinds.push(kind);
            }
            kinds
        });
        if let Some(at) = at {
            out.push(ScriptedChange {
                at: SimTime::ZERO + at,
                types,
            });
        }
    }
    out
}
