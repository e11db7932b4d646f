//! Turns a checked [`Plan`] into an engine with its components, ready to run.

use super::validate::{ComponentPlan, Plan};
use crate::engine::rng::stream;
use crate::engine::{ComponentId, Engine, SimTime};
use crate::model::cache::Cache;
use crate::model::database::Database;
use crate::model::failures::Timeline;
use crate::model::keys::KeySampler;
use crate::model::load_balancer::LoadBalancer;
use crate::model::network::Network;
use crate::model::server::ServerPool;
use crate::model::shard::Sharded;
use crate::model::source::{Source, SourceConfig};
use crate::model::{Msg, Node, RequestBudget, StatsClock, World};

pub type ModelEngine = Engine<Msg, World, Box<dyn Node>>;

/// Builds the engine. Fails only if a key popularity cannot be prepared (the checker has already
/// validated its parameters, so this is not expected).
pub fn build(plan: Plan) -> Result<ModelEngine, String> {
    let seed = plan.seed;
    let attributes_are_read = request_attributes_are_read(&plan);
    let end = plan.end();
    let clock = StatsClock {
        warmup_end: SimTime::ZERO + plan.warmup,
        window_ns: plan.window.as_nanos(),
    };
    let budget = RequestBudget {
        limit: plan.requests,
        issued: 0,
        stop_issuing_at: end,
    };
    let mut network = Network::new(seed, plan.components.len(), plan.default_latency.clone());
    place_components(&mut network, seed, &plan);
    let names: Vec<String> = plan.components.iter().map(|(n, _)| n.clone()).collect();
    for (a, b, latency) in plan.links {
        network.connect(
            seed,
            (a, &names[a.index()]),
            (b, &names[b.index()]),
            latency,
        );
    }
    let mut world = World::new(network, clock, budget, plan.write_types);
    if plan.breakdown || plan.trace > 0 {
        world.breakdown = Some(Box::new(crate::model::breakdown::Breakdown::new(
            plan.components.len(),
            plan.request_types.len(),
            clock.warmup_end,
            Some((plan.trace as usize, seed)),
        )));
    }
    if !plan.failures.is_empty() || !plan.random_failures.is_empty() {
        let callees: Vec<Vec<ComponentId>> =
            plan.components.iter().map(|(_, c)| c.callees()).collect();
        let is_source = plan
            .components
            .iter()
            .map(|(_, c)| matches!(c, ComponentPlan::Source(_)))
            .collect();
        world.impact = Some(Box::new(crate::model::impact::ImpactTracker::new(
            &callees,
            is_source,
            plan.slo.map(|s| s.latency),
            clock.warmup_end,
            plan.request_types.clone(),
        )));
    }
    let mut engine: ModelEngine = Engine::new(world);
    engine.world_mut().end_to_end.slo = plan.slo;
    engine.world_mut().max_in_flight = usize::try_from(plan.max_in_flight).unwrap_or(usize::MAX);
    let (failures, random_failures) = (plan.failures, plan.random_failures);
    let sources = plan
        .components
        .iter()
        .filter(|(_, c)| matches!(c, ComponentPlan::Source(_)))
        .count();
    for (name, component) in plan.components {
        let node: Box<dyn Node> = match component {
            ComponentPlan::Source(s) => {
                let keys = KeySampler::new(&s.keys).map_err(|e| format!("{name}: {e}"))?;
                let config = SourceConfig {
                    name: name.clone(),
                    target: s.target,
                    load: s.load,
                    mix: s.mix,
                    keys,
                    clients: s.clients,
                    regions: s.regions,
                    timeout: s.timeout,
                    retry: s.retry,
                    client_cache: s.client_cache,
                };
                let mut source = Source::new(config, seed, engine.world());
                if sources == 1 {
                    source.share_end_to_end();
                }
                if !attributes_are_read {
                    source.skip_attribute_draws();
                }
                Box::new(source)
            }
            ComponentPlan::Server(config) => Box::new(ServerPool::new(
                config,
                stream(seed, &name, "service"),
                stream(seed, &name, "injected-errors"),
                engine.world(),
            )),
            ComponentPlan::Balancer(config) => Box::new(LoadBalancer::new(
                config,
                stream(seed, &name, "balancing"),
                engine.world(),
            )),
            ComponentPlan::Cache(config) => {
                // The store a cache holds data of is versioned, to tell stale reads.
                if let Some(store) = config.backing {
                    engine.world_mut().versions.set_versioned(store);
                }
                Box::new(
                    Cache::new(config, seed, engine.world()).with_component_names(names.clone()),
                )
            }
            ComponentPlan::Database(config) => {
                Box::new(Database::new(config, seed, engine.world()))
            }
            ComponentPlan::Sharded(config) => Box::new(Sharded::new(config, engine.world())),
            ComponentPlan::RateLimiter(config) => Box::new(
                crate::model::rate_limiter::RateLimiter::new(config, engine.world()),
            ),
            ComponentPlan::Queue(config) => {
                Box::new(crate::model::queue::Queue::new(config, engine.world()))
            }
            ComponentPlan::Cdn(config) => {
                Box::new(crate::model::cdn::Cdn::new(config, seed, engine.world()))
            }
            ComponentPlan::Dns(config) => {
                Box::new(crate::model::dns::Dns::new(config, seed, engine.world()))
            }
            ComponentPlan::Provider(config) => Box::new(crate::model::provider::Provider::new(
                config,
                seed,
                engine.world(),
            )),
            ComponentPlan::Realtime(config) => Box::new(crate::model::realtime::Realtime::new(
                config,
                seed,
                engine.world(),
            )),
            ComponentPlan::Fanout(config) => Box::new(crate::model::fanout::Fanout::new(
                config,
                seed,
                engine.world(),
            )),
            ComponentPlan::IdGenerator(config) => Box::new(
                crate::model::id_generator::IdGenerator::new(config, seed, engine.world()),
            ),
        };
        engine.add(node);
    }
    if !failures.is_empty() || !random_failures.is_empty() {
        engine.add(Box::new(Timeline::new(seed, failures, random_failures)));
    }
    Ok(engine)
}

/// Regions, their latency matrix, data centers and where each component sits: in a data
/// center, or on the client's side (traffic sources and DNS, whose messages start in the
/// request's client region). Nothing is placed without `data_centers`.
fn place_components(network: &mut Network, seed: u64, plan: &Plan) {
    use crate::model::network::Place;
    let geo = &plan.geo;
    if geo.data_centers.is_empty() {
        return;
    }
    network.set_regions(plan.regions.clone());
    for &(a, b, ref latency) in &geo.region_links {
        network.set_region_latency(seed, a, b, latency.clone());
    }
    for dc in &geo.data_centers {
        let index = network.add_data_center(&dc.name, dc.region);
        for &id in &dc.components {
            network.set_place(
                id,
                Place::DataCenter {
                    dc: index,
                    region: dc.region,
                },
            );
        }
    }
    for (i, (_, component)) in plan.components.iter().enumerate() {
        if matches!(component, ComponentPlan::Source(_) | ComponentPlan::Dns(_)) {
            network.set_place(crate::engine::ComponentId(i as u32), Place::Client);
        }
    }
}

/// Whether anything may read a request's client or key: a trace, client regions, or any
/// component other than a plain server pool (no sessions) or a load balancer that does not
/// hash. A whitelist, so that a new component kind counts as a reader until it says otherwise.
fn request_attributes_are_read(plan: &Plan) -> bool {
    use crate::model::load_balancer::Algorithm;
    if plan.breakdown || plan.trace > 0 || !plan.regions.is_empty() {
        return true;
    }
    !plan.components.iter().all(|(_, c)| match c {
        // A browser cache keys its entries by client and key.
        ComponentPlan::Source(s) => s.regions.is_empty() && s.client_cache.is_none(),
        ComponentPlan::Server(s) => s.sessions.is_none(),
        ComponentPlan::Balancer(b) => b
            .groups
            .iter()
            .all(|g| !matches!(g.algorithm, Algorithm::Hash(_))),
        _ => false,
    })
}
