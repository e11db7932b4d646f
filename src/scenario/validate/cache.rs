//! Caches.

use super::checker::*;

pub(super) fn check_size(c: &mut Checker, at: &At<Scalar>, what: &str) -> Option<u64> {
    c.parse(at, what, parse_size)
}

pub(super) fn check_cache(c: &mut Checker, k: &raw::CacheSpec) -> Option<CacheConfig> {
    let errors_before = c.errors.len();
    let entries = match &k.capacity {
        Some(n) => c.int_in(
            n,
            "capacity",
            1,
            limits::MAX_CACHE_ENTRIES,
            "each cached entry costs about 100 bytes of simulator memory",
        ),
        None => None,
    };
    let bytes = match &k.memory {
        Some(m) => {
            let b = check_size(c, m, "memory");
            if b == Some(0) {
                c.error(m.loc, "memory must be greater than 0");
            }
            b
        }
        None => None,
    };
    let value_size = match &k.value_size {
        None => Some(SizeLaw::Constant(1000)),
        Some(at) => {
            let law = match &at.value {
                OrMap::Scalar(s) => {
                    let s = At {
                        value: s.clone(),
                        loc: at.loc,
                    };
                    check_size(c, &s, "value_size").map(SizeLaw::Constant)
                }
                OrMap::Map(raw::SizeSpec::Constant(s)) => {
                    check_size(c, s, "value_size").map(SizeLaw::Constant)
                }
                OrMap::Map(raw::SizeSpec::Uniform(u)) => {
                    let min = check_size(c, &u.min, "value_size min");
                    let max = check_size(c, &u.max, "value_size max");
                    match (min, max) {
                        (Some(min), Some(max)) => Some(SizeLaw::Uniform { min, max }),
                        _ => None,
                    }
                }
                OrMap::Map(raw::SizeSpec::Lognormal(l)) => {
                    let median = check_size(c, &l.median, "value_size median");
                    let p99 = check_size(c, &l.p99, "value_size p99");
                    match (median, p99) {
                        (Some(median), Some(p99)) => Some(SizeLaw::LogNormal { median, p99 }),
                        _ => None,
                    }
                }
            };
            match law.map(|l| l.check().map(|()| l)) {
                Some(Ok(l)) => Some(l),
                Some(Err(e)) => {
                    c.error(at.loc, format!("value_size: {e}"));
                    None
                }
                None => None,
            }
        }
    };
    let policy = match &k.eviction {
        None => Some(Policy::Lru),
        Some(e) => {
            let p = Policy::from_name(&e.value);
            if p.is_none() {
                let help = suggestion(&e.value, Policy::NAMES.iter().copied());
                c.error_help(
                    e.loc,
                    format!("unknown eviction policy '{}'", e.value),
                    help,
                );
            }
            p
        }
    };
    let strategy = match &k.strategy {
        None => Some(Strategy::ReadThrough),
        Some(s) => {
            let strategy = Strategy::from_name(&s.value);
            if strategy.is_none() {
                let help = suggestion(&s.value, Strategy::NAMES.iter().copied());
                c.error_help(s.loc, format!("unknown cache strategy '{}'", s.value), help);
            }
            strategy
        }
    };
    let ttl = k.ttl.as_ref().and_then(|d| c.positive_duration(d, "ttl"));
    let idle_ttl = k
        .idle_ttl
        .as_ref()
        .and_then(|d| c.positive_duration(d, "idle_ttl"));
    let hit_time = match &k.hit_time {
        Some(d) => c.distribution(d, "hit_time"),
        None => Some(Distribution::constant(SimDuration::from_nanos(500_000))),
    };
    let miss_time = match &k.miss_time {
        Some(d) => c.distribution(d, "miss_time"),
        None => hit_time.clone(),
    };
    let backing = k
        .backing
        .as_ref()
        .and_then(|b| c.reference(b, "backing store", Use::Call));
    if let Some(b) = &k.backing {
        if b.value == k.name.value {
            c.error(b.loc, "a cache cannot be its own backing store");
        }
    }
    match (strategy, &k.backing) {
        (Some(Strategy::CacheAside), Some(b)) => c.error_help(
            b.loc,
            "a cache_aside cache does not call a backing store: its callers do",
            "remove 'backing'; servers use it with calls: [{cache_aside: {cache: <this cache>, store: <database>}}]",
        ),
        (Some(s), None) if s != Strategy::CacheAside => c.error_help(
            k.name.loc,
            format!("a {} cache needs a 'backing' store", s.name()),
            "e.g. backing: db (the component that holds the data), or use strategy: cache_aside",
        ),
        _ => {}
    }
    let flush_delay = match &k.flush_delay {
        Some(d) => {
            if strategy.is_some_and(|s| s != Strategy::WriteBack) {
                c.error(d.loc, "flush_delay only applies to strategy: write_back");
            }
            c.duration(d, "flush_delay")
        }
        None => Some(SimDuration::from_secs(1)),
    };
    if c.errors.len() > errors_before {
        return None;
    }
    Some(CacheConfig {
        name: k.name.value.clone(),
        limits: Limits { entries, bytes },
        policy: policy?,
        value_size: value_size?,
        ttl,
        idle_ttl,
        hit_time: hit_time?,
        miss_time: miss_time?,
        backing,
        strategy: strategy?,
        flush_delay: flush_delay?,
    })
}
