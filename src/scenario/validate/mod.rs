//! Checks a raw scenario and turns it into a [`Plan`]: every value parsed with its units, every
//! name resolved to a component index, every range checked. All problems are collected, so one
//! run of `sim validate` lists them all.

use checker::*;

pub mod assertions;
mod autoscale;
mod balancer;
mod breaker;
mod cache;
mod cdn;
mod checker;
mod cost;
mod database;
mod estimate;
mod failures;
mod fanout;
mod geo;
mod id_generator;
mod plan;
mod provider;
mod queue;
mod rate_limiter;
mod realtime;
mod redirect;
mod server;
mod sessions;
mod traffic;

use balancer::check_balancer;
use cache::check_cache;
use cdn::check_cdn;
use database::{check_database, check_sharded};
use failures::{check_failure, check_random_failure};
use provider::check_provider;
use queue::check_queue;
use rate_limiter::check_rate_limiter;
use server::{check_server, step_targets};
use traffic::check_traffic;

pub use plan::{
    limits, ComparePlan, ComponentPlan, DataCenterPlan, EstimateSettings, GeoPlan, HeadlineFigure,
    Plan, SourcePlan, Variant,
};

/// Checks `scenario`; `default_name` is used when the file has no `name`.
pub fn check(scenario: &raw::Scenario, default_name: &str) -> Result<Plan, Vec<Diagnostic>> {
    let mut c = Checker {
        errors: Vec::new(),
        names: IndexMap::new(),
        request_types: IndexMap::new(),
        instances: HashMap::new(),
        cache_strategies: HashMap::new(),
        aside_stores: BTreeMap::new(),
        redirects: false,
    };

    // Names first, so that references can be resolved in any order.
    let mut declared: Vec<(&At<String>, Kind)> = Vec::new();
    for spec in &scenario.components.value {
        declared.push((spec.name(), spec.kind()));
        if let raw::ComponentSpec::Cache(k) = spec {
            let strategy = match &k.strategy {
                Some(s) => Strategy::from_name(&s.value),
                None => Some(Strategy::ReadThrough),
            };
            c.cache_strategies.insert(k.name.value.clone(), strategy);
        }
    }
    for t in &scenario.traffic.value {
        declared.push((&t.name, Kind::Traffic));
    }
    if declared.len() > limits::MAX_COMPONENTS {
        c.error(
            scenario.components.loc,
            format!(
                "more than {} components and sources",
                limits::MAX_COMPONENTS
            ),
        );
    }
    for (name, role) in &declared {
        if !valid_name(&name.value) {
            c.error_help(
                name.loc,
                format!("'{}' is not a valid name", name.value),
                "names start with a letter or digit and contain only letters, digits, '-' and '_'",
            );
        }
        if let Some(&(_, _, first)) = c.names.get(&name.value) {
            c.error_help(
                name.loc,
                format!("'{}' is defined twice", name.value),
                format!("first defined at line {}", first.line),
            );
            continue;
        }
        let id = ComponentId(c.names.len() as u32);
        c.names.insert(name.value.clone(), (id, *role, name.loc));
    }
    for spec in &scenario.components.value {
        // A database's nodes are its instances for failure targets: db[0] the first master.
        if let raw::ComponentSpec::Database(d) = spec {
            if let Some(&(id, _, _)) = c.names.get(&d.name.value) {
                let replicas = d.replicas.as_ref().map_or(1, |r| r.value);
                let nodes = replicas.min(database::MAX_REPLICAS) + 1;
                c.instances.insert(id, nodes as u32);
            }
        }
        let (name, instances) = match spec {
            // An autoscaled pool has `max` instance slots, each a backend of its balancers.
            raw::ComponentSpec::Server(s) => (
                &s.name,
                s.autoscale
                    .as_ref()
                    .map(|a| &a.value.max)
                    .or(s.instances.as_ref()),
            ),
            raw::ComponentSpec::RateLimiter(l) => (&l.name, l.instances.as_ref()),
            raw::ComponentSpec::Realtime(r) => (&r.name, r.instances.as_ref()),
            // A CDN's edges are its instances for failure targets: cdn[0] the first edge.
            raw::ComponentSpec::Cdn(k) => {
                if let Some(&(id, _, _)) = c.names.get(&k.name.value) {
                    let edges = k.edges.value.len().clamp(1, limits::MAX_INSTANCES as usize);
                    c.instances.insert(id, edges as u32);
                }
                continue;
            }
            // An id generator's nodes (masters, machines) are its instances: ids[0] the first.
            raw::ComponentSpec::IdGenerator(g) => {
                if let Some(&(id, _, _)) = c.names.get(&g.name.value) {
                    let default = if g.scheme.value == "multi_master" {
                        2
                    } else {
                        1
                    };
                    let nodes = g
                        .masters
                        .as_ref()
                        .or(g.instances.as_ref())
                        .map_or(default, |n| n.value);
                    c.instances
                        .insert(id, nodes.clamp(1, limits::MAX_INSTANCES) as u32);
                }
                continue;
            }
            _ => continue,
        };
        if let (Some(&(id, _, _)), Some(n)) = (c.names.get(&name.value), instances) {
            c.instances
                .insert(id, n.value.clamp(1, limits::MAX_INSTANCES) as u32);
        }
    }
    if scenario.traffic.value.is_empty() {
        c.error(
            scenario.traffic.loc,
            "at least one traffic source is needed",
        );
    }
    if scenario.components.value.is_empty() {
        c.error(scenario.components.loc, "at least one component is needed");
    }

    // Request types and regions, in order of first appearance.
    let mut regions: IndexMap<String, ()> = IndexMap::new();
    for t in &scenario.traffic.value {
        match &t.mix {
            Some(mix) => {
                for (name, weight) in mix {
                    if !valid_name(&name.value) {
                        c.error(
                            name.loc,
                            format!("'{}' is not a valid request type name", name.value),
                        );
                    }
                    c.weight(weight, &format!("weight of '{}'", name.value));
                    c.request_types.insert(name.value.clone(), ());
                }
                if mix.is_empty() {
                    c.error(t.name.loc, "mix is empty: give at least one request type");
                }
            }
            None => {
                c.request_types.insert("request".to_string(), ());
            }
        }
        for (name, weight) in t.regions.iter().flatten() {
            c.weight(weight, &format!("weight of region '{}'", name.value));
            regions.insert(name.value.clone(), ());
        }
    }

    let mut run = RunSettings::default();
    if let Some(r) = &scenario.run {
        run = check_run(&mut c, &r.value, r.loc);
    } else {
        c.errors.push(
            Diagnostic::whole_file("the scenario has no 'run' section")
                .with_help("add e.g. 'run: {duration: 10m}' or 'run: {requests: 100000}'"),
        );
    }

    let geo_plan = geo::check_geo(&mut c, scenario, &mut regions);
    let mut components: Vec<(String, ComponentPlan)> = Vec::new();
    for spec in &scenario.components.value {
        let checked = match spec {
            raw::ComponentSpec::Server(s) => check_server(&mut c, s).map(ComponentPlan::Server),
            raw::ComponentSpec::LoadBalancer(b) => {
                check_balancer(&mut c, b).map(ComponentPlan::Balancer)
            }
            raw::ComponentSpec::Cache(k) => check_cache(&mut c, k).map(ComponentPlan::Cache),
            raw::ComponentSpec::Database(d) => {
                check_database(&mut c, d).map(ComponentPlan::Database)
            }
            raw::ComponentSpec::ShardedDatabase(s) => {
                let default_keys = scenario
                    .traffic
                    .value
                    .iter()
                    .map(|t| t.keys.as_ref().map_or(1_000_000, |k| k.value.count.value))
                    .max()
                    .unwrap_or(1_000_000);
                check_sharded(&mut c, s, default_keys).map(ComponentPlan::Sharded)
            }
            raw::ComponentSpec::RateLimiter(l) => {
                check_rate_limiter(&mut c, l).map(ComponentPlan::RateLimiter)
            }
            raw::ComponentSpec::Queue(q) => {
                check_queue(&mut c, q, &scenario.components.value).map(ComponentPlan::Queue)
            }
            raw::ComponentSpec::Cdn(k) => check_cdn(&mut c, k, &regions).map(ComponentPlan::Cdn),
            raw::ComponentSpec::Dns(d) => {
                geo::check_dns(&mut c, d, &geo_plan).map(ComponentPlan::Dns)
            }
            raw::ComponentSpec::Provider(p) => {
                check_provider(&mut c, p).map(ComponentPlan::Provider)
            }
            raw::ComponentSpec::Fanout(f) => {
                fanout::check_fanout(&mut c, f).map(ComponentPlan::Fanout)
            }
            raw::ComponentSpec::IdGenerator(g) => {
                id_generator::check_id_generator(&mut c, g).map(ComponentPlan::IdGenerator)
            }
            raw::ComponentSpec::Realtime(r) => {
                realtime::check_realtime(&mut c, r).map(ComponentPlan::Realtime)
            }
        };
        if let Some(plan) = checked {
            components.push((spec.name().value.clone(), plan));
        }
    }
    id_generator::place_nodes(&mut c, scenario, &mut components, &geo_plan);
    // Database nodes placed in data centers (a whole database puts every node there).
    for (name, plan) in &mut components {
        if let ComponentPlan::Database(db) = plan {
            let Some(&(id, _, _)) = c.names.get(name.as_str()) else {
                continue;
            };
            let nodes = db.replicas as usize + 1;
            for (i, dc) in geo_plan.data_centers.iter().enumerate() {
                for node in 0..nodes as u32 {
                    if dc.components.contains(&id) || dc.nodes.contains(&(id, node)) {
                        db.node_data_centers.resize(nodes, None);
                        db.node_data_centers[node as usize] = Some(i as u16);
                    }
                }
            }
        }
    }
    // A cache-aside cache's store is the one its callers name: it tells stale reads.
    for (name, plan) in &mut components {
        if let ComponentPlan::Cache(cache) = plan {
            if cache.strategy == Strategy::CacheAside {
                if let Some(&(id, _, _)) = c.names.get(name.as_str()) {
                    cache.backing = c.aside_stores.get(&id).map(|(store, _, _)| *store);
                }
            }
        }
    }
    for t in &scenario.traffic.value {
        if let Some(source) = check_traffic(&mut c, t, &regions) {
            components.push((t.name.value.clone(), ComponentPlan::Source(source)));
        }
    }
    redirect::enable_client_caches(&mut components, c.redirects);

    let mut default_latency = Distribution::constant(SimDuration::ZERO);
    let mut links = Vec::new();
    if let Some(network) = &scenario.network {
        if let Some(d) = &network.default {
            if let Some(d) = c.distribution(d, "default latency") {
                default_latency = d;
            }
        }
        for link in network.links.iter().flatten() {
            if link.between.value.len() != 2 {
                c.error(
                    link.between.loc,
                    format!(
                        "a link joins exactly 2 components, got {}",
                        link.between.value.len()
                    ),
                );
                continue;
            }
            let a = c.reference(&link.between.value[0], "link end", Use::Link);
            let b = c.reference(&link.between.value[1], "link end", Use::Link);
            let latency = c.distribution(&link.latency, "link latency");
            if let (Some(a), Some(b), Some(latency)) = (a, b, latency) {
                links.push((a, b, latency));
            }
        }
    }

    check_cycles(&mut c, scenario);
    let cost = scenario
        .cost
        .as_ref()
        .and_then(|at| cost::check_cost(&mut c, at, &components));
    let slo = scenario.slo.as_ref().and_then(|s| {
        let latency = c.positive_duration(&s.value.latency, "slo.latency");
        let target = c.parse(&s.value.target, "slo.target", parse_fraction);
        Some(Slo {
            latency: latency?,
            target: target?,
        })
    });
    let mut failures: Vec<ScheduledFailure> = Vec::new();
    let snowflakes = id_generator::snowflakes(&c, &components);
    for f in scenario.failures.iter().flatten() {
        match (&f.crash_data_center, &f.clock_jump) {
            (_, Some(target)) => failures.extend(id_generator::check_clock_jump(
                &mut c,
                f,
                target,
                &snowflakes,
            )),
            (Some(dc), None) => failures.extend(geo::check_dc_failure(&mut c, f, dc, &geo_plan)),
            (None, None) => failures.extend(check_failure(&mut c, f)),
        }
    }
    let random_failures: Vec<RandomFailures> = scenario
        .random_failures
        .iter()
        .flatten()
        .filter_map(|f| check_random_failure(&mut c, f))
        .collect();
    let write_types = check_write_types(&mut c, scenario.write_types.as_deref());
    fanout::set_post_kinds(&mut c, scenario, &mut components, &write_types);
    let checked = assertions::check(&mut c, scenario, run.duration);
    let estimate = scenario
        .estimate
        .as_ref()
        .and_then(|at| estimate::check_estimate(&mut c, at));

    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    let name = scenario
        .name
        .as_ref()
        .map_or(default_name.to_string(), |n| n.value.clone());
    Ok(Plan {
        name,
        scenario_sha256: String::new(),
        max_events: None,
        description: scenario.description.clone(),
        seed: scenario.seed.as_ref().map_or(1, |s| s.value),
        duration: run.duration,
        requests: run.requests,
        warmup: run.warmup,
        window: run.window,
        max_in_flight: run.max_in_flight,
        max_memory: run.max_memory,
        request_types: c.request_types.keys().cloned().collect(),
        write_types,
        regions: regions.keys().cloned().collect(),
        components: reorder(components, &c.names),
        slo,
        failures,
        random_failures,
        default_latency,
        links,
        assertions: checked.assertions,
        replications: checked.replications,
        variants: checked.variants,
        compare: checked.compare,
        geo: geo_plan,
        breakdown: run.breakdown,
        trace: 0,
        cost,
        estimate,
    })
}

#[derive(Default)]
struct RunSettings {
    duration: Option<SimDuration>,
    requests: Option<u64>,
    warmup: SimDuration,
    window: SimDuration,
    max_in_flight: u64,
    max_memory: u64,
    breakdown: bool,
}

fn check_run(c: &mut Checker, r: &raw::RunSpec, loc: Loc) -> RunSettings {
    let mut run = RunSettings {
        window: SimDuration::from_secs(1),
        max_in_flight: limits::DEFAULT_MAX_IN_FLIGHT,
        max_memory: limits::DEFAULT_MAX_MEMORY,
        breakdown: r.breakdown.as_ref().is_some_and(|b| b.value),
        ..Default::default()
    };
    run.duration = r
        .duration
        .as_ref()
        .and_then(|d| c.positive_duration(d, "duration"));
    run.requests = r
        .requests
        .as_ref()
        .and_then(|n| c.int_in(n, "requests", 1, u64::MAX, ""));
    if r.duration.is_none() && r.requests.is_none() {
        c.error_help(
            loc,
            "the run has no stop condition",
            "give a duration (e.g. 10m), a request count, or both",
        );
    }
    if let Some(w) = &r.warmup {
        if let Some(warmup) = c.duration(w, "warmup") {
            if run.duration.is_some_and(|d| warmup >= d) {
                c.error(w.loc, "warmup must be shorter than the duration");
            }
            run.warmup = warmup;
        }
    }
    if let Some(w) = &r.window {
        if let Some(window) = c.positive_duration(w, "window") {
            if window.as_nanos() < limits::MIN_WINDOW_NS {
                c.error(w.loc, "window must be at least 1us");
            }
            run.window = window;
        }
    }
    if let Some(n) = &r.max_in_flight {
        let why = "each open call takes about 110 bytes of simulator memory, more with retries";
        if let Some(n) = c.int_in(n, "max_in_flight", 1, limits::MAX_IN_FLIGHT, why) {
            run.max_in_flight = n;
        }
    }
    if let Some(m) = &r.max_memory {
        if let Some(bytes) = c.parse(m, "max_memory", parse_size) {
            if bytes < limits::MIN_MAX_MEMORY {
                c.error_help(
                    m.loc,
                    format!(
                        "max_memory is {}, below the smallest budget of {}",
                        crate::heap::show_bytes(bytes),
                        crate::heap::show_bytes(limits::MIN_MAX_MEMORY)
                    ),
                    "sim itself and the time series of the smallest run need about that much",
                );
            } else {
                run.max_memory = bytes;
            }
        }
    }
    run
}

/// Rejects call graphs with cycles: a request that can reach the component it came from would
/// never finish.
fn check_cycles(c: &mut Checker, scenario: &raw::Scenario) {
    let mut edges: BTreeMap<String, Vec<At<String>>> = BTreeMap::new();
    for spec in &scenario.components.value {
        match spec {
            raw::ComponentSpec::Server(s) => {
                let mut out: Vec<At<String>> =
                    s.calls.iter().flatten().flat_map(step_targets).collect();
                for (_, over) in s.per_type.iter().flatten() {
                    out.extend(over.calls.iter().flatten().flat_map(step_targets));
                }
                if let Some(OrMap::Map(sessions)) = s.sessions.as_ref().map(|x| &x.value) {
                    out.extend(sessions.store.iter().cloned());
                }
                edges.insert(s.name.value.clone(), out);
            }
            raw::ComponentSpec::Cache(k) => {
                edges.insert(k.name.value.clone(), k.backing.iter().cloned().collect());
            }
            raw::ComponentSpec::LoadBalancer(b) => {
                let mut out: Vec<At<String>> =
                    b.backends.iter().flatten().map(backend_name).collect();
                for r in b.routes.iter().flatten() {
                    out.extend(r.backends.value.iter().map(backend_name));
                }
                edges.insert(b.name.value.clone(), out);
            }
            raw::ComponentSpec::Database(_) => {}
            raw::ComponentSpec::ShardedDatabase(s) => {
                edges.insert(s.name.value.clone(), s.shards.value.clone());
            }
            raw::ComponentSpec::RateLimiter(l) => {
                let out = l.downstream.iter().chain(l.store.iter()).cloned().collect();
                edges.insert(l.name.value.clone(), out);
            }
            raw::ComponentSpec::Queue(q) => {
                edges.insert(q.name.value.clone(), vec![q.consumer.clone()]);
            }
            raw::ComponentSpec::Cdn(k) => {
                edges.insert(k.name.value.clone(), vec![k.origin.clone()]);
            }
            raw::ComponentSpec::Dns(d) => {
                edges.insert(d.name.value.clone(), d.targets.value.clone());
            }
            raw::ComponentSpec::Provider(_) => {}
            raw::ComponentSpec::Fanout(f) => {
                edges.insert(f.name.value.clone(), vec![f.to.clone()]);
            }
            raw::ComponentSpec::IdGenerator(_) => {}
            raw::ComponentSpec::Realtime(r) => {
                edges.insert(
                    r.name.value.clone(),
                    r.calls.iter().flatten().cloned().collect(),
                );
            }
        }
    }
    // Depth-first search with colours; the first back edge found names the cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        Unvisited,
        OnPath,
        Done,
    }
    fn visit(
        node: &str,
        edges: &BTreeMap<String, Vec<At<String>>>,
        colour: &mut BTreeMap<String, Colour>,
        path: &mut Vec<String>,
    ) -> Option<(Vec<String>, Loc)> {
        colour.insert(node.to_string(), Colour::OnPath);
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            match colour
                .get(&next.value)
                .copied()
                .unwrap_or(Colour::Unvisited)
            {
                Colour::OnPath => {
                    let start = path.iter().position(|n| *n == next.value).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next.value.clone());
                    return Some((cycle, next.loc));
                }
                Colour::Unvisited if edges.contains_key(&next.value) => {
                    if let Some(found) = visit(&next.value, edges, colour, path) {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        path.pop();
        colour.insert(node.to_string(), Colour::Done);
        None
    }
    let mut colour: BTreeMap<String, Colour> = BTreeMap::new();
    for node in edges.keys() {
        if colour.get(node).copied().unwrap_or(Colour::Unvisited) == Colour::Unvisited {
            if let Some((cycle, loc)) = visit(node, &edges, &mut colour, &mut Vec::new()) {
                c.error_help(
                    loc,
                    format!("calls form a cycle: {}", cycle.join(" -> ")),
                    "a request would travel round the cycle forever; remove one of the calls",
                );
                return;
            }
        }
    }
}
