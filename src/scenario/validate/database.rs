//! Replicated databases and sharded databases.

use super::checker::*;
use crate::model::database::{DatabaseConfig, ReplicaChoice, Replication};
use crate::model::shard::{Migration, Placement, Reshard, ShardedConfig};

/// Replicas of one database: each node keeps its own queue and replication stream.
pub const MAX_REPLICAS: u64 = 1_000;
/// Shards of one sharded database; each costs per-shard statistics.
pub const MAX_SHARDS: usize = 10_000;
/// Points on the consistent-hashing ring per shard.
pub const MAX_VIRTUAL_NODES: u64 = 10_000;
/// Points on the whole ring.
pub const MAX_RING_POINTS: u64 = 1_000_000;

/// A name from a fixed list, with a did-you-mean; `None` (and an error) if unknown.
fn choice<T>(
    c: &mut Checker,
    at: &At<String>,
    what: &str,
    names: &[&str],
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let parsed = parse(&at.value);
    if parsed.is_none() {
        let help = suggestion(&at.value, names.iter().copied());
        c.error_help(at.loc, format!("unknown {what} '{}'", at.value), help);
    }
    parsed
}

pub(super) fn check_database(c: &mut Checker, d: &raw::DatabaseSpec) -> Option<DatabaseConfig> {
    let errors_before = c.errors.len();
    let replicas = match &d.replicas {
        Some(n) => c.int_in(
            n,
            "replicas",
            0,
            MAX_REPLICAS,
            "each replica keeps its own queue and replication stream",
        ),
        None => Some(1),
    };
    let connections = match &d.connections {
        Some(n) => c.int_in(
            n,
            "connections",
            1,
            limits::MAX_WORKERS,
            "connections are per node",
        ),
        None => Some(1),
    };
    let queue = match &d.queue {
        Some(n) => c.int_in(
            n,
            "queue",
            0,
            limits::MAX_QUEUE,
            "leave 'queue' out for an unbounded queue",
        ),
        None => None,
    };
    let read_time = c.distribution(&d.read_time, "read_time");
    let write_time = match &d.write_time {
        Some(w) => c.distribution(w, "write_time"),
        None => read_time.clone(),
    };
    let replication = match &d.replication {
        Some(r) => choice(
            c,
            r,
            "replication mode",
            &Replication::NAMES,
            Replication::from_name,
        ),
        None => Some(Replication::Async),
    };
    let lag = match &d.lag {
        Some(l) => c.distribution(l, "lag"),
        None => Some(Distribution::constant(SimDuration::from_millis(10))),
    };
    let apply_time = match &d.apply_time {
        Some(t) => c.distribution(t, "apply_time"),
        None => Some(Distribution::constant(SimDuration::ZERO)),
    };
    let reads_from_master = match &d.reads {
        Some(r) => choice(c, r, "read target", &["replicas", "master"], |n| match n {
            "replicas" => Some(false),
            "master" => Some(true),
            _ => None,
        }),
        None => Some(false),
    };
    let balance = match &d.balance {
        Some(b) => choice(
            c,
            b,
            "replica choice",
            &ReplicaChoice::NAMES,
            ReplicaChoice::from_name,
        ),
        None => Some(ReplicaChoice::RoundRobin),
    };
    let detection = match &d.failover_detection {
        Some(t) => c.duration(t, "failover_detection"),
        None => Some(SimDuration::from_secs(10)),
    };
    let promotion = match &d.failover_promotion {
        Some(t) => c.duration(t, "failover_promotion"),
        None => Some(SimDuration::from_secs(1)),
    };
    if c.errors.len() > errors_before {
        return None;
    }
    Some(DatabaseConfig {
        name: d.name.value.clone(),
        replicas: replicas? as u32,
        connections: connections? as u32,
        queue_capacity: queue.map(|q| q as u32),
        read_time: read_time?,
        write_time: write_time?,
        replication: replication?,
        lag: lag?,
        apply_time: apply_time?,
        reads_from_master: reads_from_master?,
        balance: balance?,
        failover_detection: detection?,
        failover_promotion: promotion?,
        node_data_centers: Vec::new(),
    })
}

/// `default_keys`: the largest key count of the traffic sources.
pub(super) fn check_sharded(
    c: &mut Checker,
    s: &raw::ShardedSpec,
    default_keys: u64,
) -> Option<ShardedConfig> {
    let errors_before = c.errors.len();
    let mut shards = Vec::new();
    let mut shard_names: Vec<String> = Vec::new();
    for shard in &s.shards.value {
        if shard.value == s.name.value {
            c.error(shard.loc, "a sharded database cannot be its own shard");
            continue;
        }
        if shard_names.contains(&shard.value) {
            c.error(
                shard.loc,
                format!("shard '{}' is listed twice", shard.value),
            );
            continue;
        }
        if let Some(id) = c.reference(shard, "shard", Use::Among(&[Kind::Database, Kind::Server])) {
            shards.push(id);
            shard_names.push(shard.value.clone());
        }
    }
    let count = s.shards.value.len();
    if count == 0 {
        c.error_help(
            s.shards.loc,
            "a sharded database needs at least one shard",
            "list databases or server pools, e.g. shards: [db-a, db-b]",
        );
    } else if count > MAX_SHARDS {
        c.error(
            s.shards.loc,
            format!("{count} shards, above the limit of {MAX_SHARDS}"),
        );
    }
    let count = count.max(1) as u64;
    let placement = match &s.placement {
        Some(p) => choice(c, p, "placement", &Placement::NAMES, Placement::from_name),
        None => Some(Placement::HashMod),
    };
    let virtual_nodes = match &s.virtual_nodes {
        Some(v) => {
            if placement.is_some_and(|p| p != Placement::Consistent) {
                c.error(v.loc, "virtual_nodes only applies to placement: consistent");
            }
            c.int_in(
                v,
                "virtual_nodes",
                1,
                MAX_VIRTUAL_NODES,
                "each point is a ring entry searched on every request",
            )
        }
        None => Some(100),
    };
    if let (Some(v), Some(Placement::Consistent)) = (virtual_nodes, placement) {
        if v * count > MAX_RING_POINTS {
            let loc = s.virtual_nodes.as_ref().map_or(s.shards.loc, |v| v.loc);
            c.error_help(
                loc,
                format!(
                    "{count} shards x {v} virtual nodes = {} ring points, above the limit of {MAX_RING_POINTS}",
                    v * count
                ),
                "each ring point costs memory and search time; fewer virtual nodes (100 to 1000) balance well enough",
            );
        }
    }
    let active = match &s.active {
        Some(a) => c.int_in(
            a,
            "active",
            1,
            count,
            "active counts the first shards listed",
        ),
        None => Some(count),
    };
    let key_space = match &s.keys {
        Some(k) => c.int_in(
            k,
            "keys",
            1,
            limits::MAX_KEYS,
            "the key space must be finite",
        ),
        None => Some(default_keys.max(1)),
    };
    let reshard = match &s.reshard {
        Some(r) => {
            let r = &r.value;
            let at = c.duration(&r.at, "reshard.at");
            let to = c.int_in(
                &r.to,
                "reshard.to",
                1,
                count,
                "reshard.to counts the first shards listed; add the new shards to 'shards'",
            );
            let migration = match (&r.duration, &r.copy_rate) {
                (Some(d), None) => c.duration(d, "reshard.duration").map(Migration::Lasts),
                (None, Some(rate)) => match c.parse(rate, "reshard.copy_rate", parse_rate) {
                    Some(r) if r > 0.0 && r.is_finite() => Some(Migration::CopyRate(r)),
                    Some(_) => {
                        c.error(rate.loc, "reshard.copy_rate must be greater than 0/s");
                        None
                    }
                    None => None,
                },
                (None, None) => Some(Migration::Lasts(SimDuration::ZERO)),
                (Some(d), Some(_)) => {
                    c.error_help(
                        d.loc,
                        "reshard has both duration and copy_rate",
                        "give one: a fixed migration time, or a copy rate (keys/s) from which the time follows",
                    );
                    None
                }
            };
            let slowdown = match &r.slowdown {
                Some(m) => c.parse(m, "reshard.slowdown", parse_multiplier),
                None => Some(2.0),
            };
            if let (Some(to), Some(active)) = (to, active) {
                if to == active {
                    c.error_help(
                        r.to.loc,
                        format!("reshard.to is {to}, the number of shards already in use"),
                        "resharding changes the number of shards in use",
                    );
                }
            }
            Some(Reshard {
                at: SimTime::ZERO + at?,
                to: to? as u32,
                migration: migration?,
                slowdown: slowdown?,
            })
        }
        None => None,
    };
    if c.errors.len() > errors_before {
        return None;
    }
    Some(ShardedConfig {
        name: s.name.value.clone(),
        shards,
        shard_names,
        placement: placement?,
        virtual_nodes: virtual_nodes? as u32,
        initial: active? as u32,
        key_space: key_space?,
        reshard,
    })
}

impl DatabaseConfig {
    /// For the topology diagram: "master + 2 replicas, async".
    pub fn describe(&self) -> String {
        format!(
            "master + {} replica{}, {}",
            self.replicas,
            if self.replicas == 1 { "" } else { "s" },
            self.replication.name()
        )
    }
}

impl ShardedConfig {
    /// For the topology diagram: "4 shards, hash".
    pub fn describe(&self) -> String {
        format!("{} shards, {}", self.initial, self.placement.name())
    }
}
