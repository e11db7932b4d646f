//! The kinds of component sim models, and what each kind is allowed to do in a scenario.
//!
//! [`Kind`] is the one list of kinds. Every place that must answer for each kind (its facts
//! below, the checked plan's variants, how a kind is built, its twin model, its topology
//! detail, its explanation, its memory estimate, its colours in the diagram) matches on it or
//! on the plan's variants without a catch-all arm, so a new kind is a compile error in each
//! place until it is answered. `docs/architecture.md` walks through adding one.

use serde::{Deserialize, Serialize};

/// A component kind, written in `summary.json` (and the topology) by its [`Kind::name`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Traffic,
    Server,
    LoadBalancer,
    Cache,
    Database,
    ShardedDatabase,
    RateLimiter,
    Queue,
    Cdn,
    Dns,
    Provider,
    Fanout,
    IdGenerator,
    Realtime,
}

/// What a scenario may do with a component of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindFacts {
    /// The kind in `summary.json`, the topology and assertions (`load_balancer`).
    pub name: &'static str,
    /// The kind in a sentence, with its article ("a load balancer").
    pub described: &'static str,
    /// Singular and plural nouns, for counts ("3 load balancers").
    pub noun: (&'static str, &'static str),
    /// Can be called: by a server step, a cache's backing, a traffic source, a CDN's origin.
    pub callable: bool,
    /// Can be where traffic enters: callable kinds and a DNS that answers with one of them.
    pub entry_point: bool,
    /// Can be placed in a data center (a CDN's edges sit in the clients' regions instead).
    pub placeable: bool,
    /// Can be the target of a scheduled failure.
    pub fails: bool,
    /// Can fail at random (MTBF and MTTR).
    pub fails_at_random: bool,
}

impl Kind {
    /// Every kind, in the order of error messages that list them.
    pub const ALL: [Kind; 14] = [
        Kind::Traffic,
        Kind::Server,
        Kind::LoadBalancer,
        Kind::Cache,
        Kind::Database,
        Kind::ShardedDatabase,
        Kind::RateLimiter,
        Kind::Queue,
        Kind::Cdn,
        Kind::Dns,
        Kind::Provider,
        Kind::Fanout,
        Kind::IdGenerator,
        Kind::Realtime,
    ];

    pub const fn facts(self) -> KindFacts {
        const fn facts(
            name: &'static str,
            described: &'static str,
            noun: (&'static str, &'static str),
            callable: bool,
            placeable: bool,
            fails: bool,
        ) -> KindFacts {
            KindFacts {
                name,
                described,
                noun,
                callable,
                entry_point: callable,
                placeable,
                fails,
                fails_at_random: fails,
            }
        }
        match self {
            Kind::Traffic => facts(
                "traffic",
                "a traffic source",
                ("traffic source", "traffic sources"),
                false,
                false,
                false,
            ),
            Kind::Server => facts(
                "server",
                "a server",
                ("server pool", "server pools"),
                true,
                true,
                true,
            ),
            Kind::LoadBalancer => facts(
                "load_balancer",
                "a load balancer",
                ("load balancer", "load balancers"),
                true,
                true,
                false,
            ),
            Kind::Cache => facts("cache", "a cache", ("cache", "caches"), true, true, true),
            Kind::Database => facts(
                "database",
                "a database",
                ("database", "databases"),
                true,
                true,
                true,
            ),
            Kind::ShardedDatabase => facts(
                "sharded_database",
                "a sharded database",
                ("sharded database", "sharded databases"),
                true,
                true,
                false,
            ),
            Kind::RateLimiter => facts(
                "rate_limiter",
                "a rate limiter",
                ("rate limiter", "rate limiters"),
                true,
                true,
                true,
            ),
            Kind::Queue => facts("queue", "a queue", ("queue", "queues"), true, true, true),
            Kind::Cdn => KindFacts {
                // Fails on a schedule only: random failures of a CDN are not modelled.
                fails_at_random: false,
                ..facts("cdn", "a CDN", ("CDN", "CDNs"), true, false, true)
            },
            Kind::Dns => KindFacts {
                // Not called by components, but traffic may start at one: it answers with
                // the entry point of a data center.
                entry_point: true,
                ..facts("dns", "a DNS", ("DNS", "DNS"), false, false, false)
            },
            Kind::Provider => facts(
                "provider",
                "a provider",
                ("provider", "providers"),
                true,
                false,
                true,
            ),
            Kind::Fanout => facts(
                "fanout",
                "a fan-out service",
                ("fan-out service", "fan-out services"),
                true,
                false,
                false,
            ),
            Kind::IdGenerator => facts(
                "id_generator",
                "an id generator",
                ("id generator", "id generators"),
                true,
                true,
                true,
            ),
            Kind::Realtime => facts(
                "realtime",
                "a pool of real-time servers",
                ("real-time pool", "real-time pools"),
                true,
                false,
                true,
            ),
        }
    }

    /// The kind in `summary.json` (`load_balancer`).
    pub const fn name(self) -> &'static str {
        self.facts().name
    }

    /// The kind called `name` in `summary.json`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_and_round_trip_through_serde() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", kind.name()));
        }
        let mut names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
    }

    #[test]
    fn every_callable_kind_is_an_entry_point() {
        for kind in Kind::ALL {
            let f = kind.facts();
            assert!(!f.callable || f.entry_point, "{kind}");
            assert!(!f.placeable || f.callable, "{kind}");
        }
    }
}
