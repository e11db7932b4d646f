//! The scenario's components and the paths between them, as the topology diagram draws them.

use serde::{Deserialize, Serialize};

use crate::format::short_duration;
use crate::model::dist::Distribution;
use crate::model::kind::Kind;
use crate::model::load_balancer::{Algorithm, HashOn};
use crate::model::source::Load;
use crate::scenario::validate::ComponentPlan;
use crate::scenario::Plan;

/// One component of the scenario, for the topology diagram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopologyNode {
    pub name: String,
    /// Written `traffic`, `server`, `load_balancer`, ... as in `summary.json`.
    pub kind: Kind,
    /// A short description: "4 x 16 workers", "least_connections", "200 users".
    pub detail: String,
    /// Load balancers: a label per backend instance ("web[0]"), in the order of
    /// `requests_per_backend` in `summary.json`. Empty for other kinds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub backends: Vec<String>,
}

/// A path requests take from one component to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopologyEdge {
    pub from: String,
    pub to: String,
    /// Mean network latency of the link ("20ms"), or empty where there is no link.
    pub label: String,
}

/// The scenario's components and the paths between them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    pub nodes: Vec<TopologyNode>,
    pub edges: Vec<TopologyEdge>,
    /// Mean latency of paths without a link of their own ("0.5ms"), or empty when it is 0.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub default_latency: String,
}

/// The components of `plan` and the calls between them, labelled with their links' mean
/// latencies (paths without a link take the default latency, given once).
pub fn topology(plan: &Plan) -> Topology {
    let name = |id: crate::engine::ComponentId| {
        plan.components
            .get(id.0 as usize)
            .map_or_else(|| format!("#{}", id.0), |(n, _)| n.clone())
    };
    // The first link between two components, either way round; looked up, not searched, so
    // that a model of thousands of components and links lays out in linear time.
    let mut links: std::collections::HashMap<(u32, u32), &Distribution> =
        std::collections::HashMap::with_capacity(plan.links.len());
    for (a, b, d) in &plan.links {
        links.entry((a.0.min(b.0), a.0.max(b.0))).or_insert(d);
    }
    let latency = |a: crate::engine::ComponentId, b: crate::engine::ComponentId| {
        links
            .get(&(a.0.min(b.0), a.0.max(b.0)))
            .map_or_else(String::new, |d| short_duration(d.mean_secs()))
    };
    let mut nodes = Vec::with_capacity(plan.components.len());
    let mut edges: Vec<TopologyEdge> = Vec::new();
    // An edge's label follows from its ends, so the ends identify it.
    let mut seen: std::collections::HashSet<(u32, u32)> = std::collections::HashSet::new();
    let mut add_edge = |from: crate::engine::ComponentId, to: crate::engine::ComponentId| {
        if seen.insert((from.0, to.0)) {
            edges.push(TopologyEdge {
                from: name(from),
                to: name(to),
                label: latency(from, to),
            });
        }
    };
    for (index, (component, config)) in plan.components.iter().enumerate() {
        let id = crate::engine::ComponentId(index as u32);
        let mut backends = Vec::new();
        for callee in config.callees() {
            add_edge(id, callee);
        }
        let detail = match config {
            ComponentPlan::Source(source) => match &source.load {
                Load::Open { .. } => "open loop".to_string(),
                Load::Closed { users, .. } => format!("{users} users"),
            },
            ComponentPlan::Server(server) => {
                let per = if server.instances > 1 {
                    format!("{} x {}", server.instances, server.workers)
                } else {
                    server.workers.to_string()
                };
                let workers = if server.workers == 1 {
                    "worker"
                } else {
                    "workers"
                };
                format!("{per} {workers}")
            }
            ComponentPlan::Cache(cache) => {
                format!("{:?}, {:?}", cache.strategy, cache.policy).to_lowercase()
            }
            ComponentPlan::RateLimiter(limiter) => limiter.describe(),
            ComponentPlan::Queue(queue) => queue.describe(),
            ComponentPlan::Cdn(cdn) => cdn.describe(),
            ComponentPlan::Fanout(fanout) => fanout.describe(),
            ComponentPlan::Balancer(balancer) => {
                let mut algorithms: Vec<&str> = Vec::new();
                for group in &balancer.groups {
                    let algorithm = algorithm_name(group.algorithm);
                    if !algorithms.contains(&algorithm) {
                        algorithms.push(algorithm);
                    }
                    for backend in &group.backends {
                        backends.push(format!("{}[{}]", name(backend.component), backend.instance));
                    }
                }
                algorithms.join(", ")
            }
            ComponentPlan::Dns(dns) => format!("geoDNS, TTL {}s", dns.ttl.as_secs_f64()),
            ComponentPlan::Provider(provider) => provider.describe(),
            ComponentPlan::IdGenerator(ids) => ids.describe(),
            ComponentPlan::Realtime(rt) => rt.describe(),
            ComponentPlan::Database(database) => database.describe(),
            ComponentPlan::Sharded(sharded) => sharded.describe(),
        };
        nodes.push(TopologyNode {
            name: component.clone(),
            kind: config.kind(),
            detail,
            backends,
        });
    }
    let default_latency = plan.default_latency.mean_secs();
    Topology {
        nodes,
        edges,
        default_latency: if default_latency > 0.0 {
            short_duration(default_latency)
        } else {
            String::new()
        },
    }
}

fn algorithm_name(a: Algorithm) -> &'static str {
    match a {
        Algorithm::RoundRobin => "round_robin",
        Algorithm::WeightedRoundRobin => "weighted_round_robin",
        Algorithm::Random => "random",
        Algorithm::Hash(HashOn::Client) => "client_hash",
        Algorithm::Hash(HashOn::Key) => "key_hash",
        Algorithm::LeastConnections => "least_connections",
        Algorithm::LeastResponseTime => "least_response_time",
        Algorithm::PowerOfTwoChoices => "power_of_two_choices",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topology_lists_components_and_calls_with_link_latencies() {
        let text = "
name: t
run: {duration: 1s}
traffic:
  - {name: users, to: lb, rate: 10/s}
components:
  - load_balancer: {name: lb, backends: [web]}
  - server: {name: web, instances: 2, workers: 4, service_time: 1ms, calls: [db]}
  - server: {name: db, service_time: 1ms}
network:
  links:
    - {between: [users, lb], latency: {uniform: {min: 10ms, max: 30ms}}}
    - {between: [db, web], latency: 1ms}
";
        let plan = crate::scenario::load_str(text, "t.yaml", "t").map_err(|e| e.render());
        let plan = plan.unwrap_or_else(|e| panic!("{e}"));
        let t = topology(&plan);
        let nodes: Vec<(&str, &str, &str)> = t
            .nodes
            .iter()
            .map(|n| (n.name.as_str(), n.kind.name(), n.detail.as_str()))
            .collect();
        assert_eq!(
            nodes,
            [
                ("lb", "load_balancer", "round_robin"),
                ("web", "server", "2 x 4 workers"),
                ("db", "server", "1 worker"),
                ("users", "traffic", "open loop"),
            ]
        );
        assert_eq!(t.nodes[0].backends, ["web[0]", "web[1]"]);
        let edges: Vec<(&str, &str, &str)> = t
            .edges
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str(), e.label.as_str()))
            .collect();
        assert_eq!(
            edges,
            [
                ("lb", "web", ""),
                ("web", "db", "1ms"),
                ("users", "lb", "20ms")
            ]
        );
    }
}
