//! Regions, data centers, the inter-region latency matrix, data-center failures and DNS.

use super::checker::*;
use crate::model::dns::{DnsConfig, DnsHealth, DnsTarget};

/// Checks `data_centers` and `network.regions`; appends the data centers' regions to `regions`.
pub(super) fn check_geo(
    c: &mut Checker,
    scenario: &raw::Scenario,
    regions: &mut IndexMap<String, ()>,
) -> GeoPlan {
    let mut plan = GeoPlan {
        client_regions: regions.len(),
        ..GeoPlan::default()
    };
    let mut dc_names: IndexMap<String, Loc> = IndexMap::new();
    let mut whole: BTreeMap<ComponentId, String> = BTreeMap::new();
    let mut nodes: BTreeMap<(ComponentId, u32), String> = BTreeMap::new();
    let mut region_locs: Vec<(u16, Loc)> = Vec::new();
    let errors_before = c.errors.len();
    for dc in scenario.data_centers.iter().flat_map(|d| d.value.iter()) {
        let name = &dc.name;
        if !valid_name(&name.value) {
            c.error_help(
                name.loc,
                format!("'{}' is not a valid data center name", name.value),
                "names start with a letter or digit and contain only letters, digits, '-' and '_'",
            );
        }
        if let Some(first) = dc_names.get(&name.value) {
            let line = first.line;
            c.error_help(
                name.loc,
                format!("data center '{}' is defined twice", name.value),
                format!("first defined at line {line}"),
            );
            continue;
        }
        dc_names.insert(name.value.clone(), name.loc);
        if !valid_name(&dc.region.value) {
            c.error(
                dc.region.loc,
                format!("'{}' is not a valid region name", dc.region.value),
            );
        }
        let (region, _) = regions.insert_full(dc.region.value.clone(), ());
        region_locs.push((region as u16, dc.region.loc));
        let mut placed = DataCenterPlan {
            name: name.value.clone(),
            region: region as u16,
            ..DataCenterPlan::default()
        };
        for member in &dc.components.value {
            let Some((id, node)) = placed_member(c, member) else {
                continue;
            };
            let base = member.value.split('[').next().unwrap_or("").trim();
            let clash = match node {
                None => whole
                    .get(&id)
                    .map(|d| (base.to_string(), d.clone()))
                    .or_else(|| {
                        nodes
                            .iter()
                            .find(|((n, _), _)| *n == id)
                            .map(|((_, i), d)| (format!("{base}[{i}]"), d.clone()))
                    }),
                Some(i) => whole
                    .get(&id)
                    .map(|d| (base.to_string(), d.clone()))
                    .or_else(|| {
                        nodes
                            .get(&(id, i))
                            .map(|d| (format!("{base}[{i}]"), d.clone()))
                    }),
            };
            if let Some((what, other)) = clash {
                c.error_help(
                    member.loc,
                    format!("'{what}' is already in data center '{other}'"),
                    "a component (or a database node) sits in one data center",
                );
                continue;
            }
            match node {
                None => {
                    whole.insert(id, name.value.clone());
                    placed.components.push(id);
                }
                Some(i) => {
                    nodes.insert((id, i), name.value.clone());
                    placed.nodes.push((id, i));
                }
            }
        }
        plan.data_centers.push(placed);
    }
    if plan.client_regions == 0 && !regions.is_empty() {
        plan.client_regions = 1;
    }
    plan.region_names = regions.keys().cloned().collect();
    plan.incomplete = c.errors.len() > errors_before;

    // The latency matrix.
    let mut given: BTreeMap<(u16, u16), Loc> = BTreeMap::new();
    let links = scenario
        .network
        .as_ref()
        .and_then(|n| n.regions.as_ref())
        .map_or(&[][..], |r| r.value.as_slice());
    for link in links {
        let [a, b] = link.between.value.as_slice() else {
            c.error(
                link.between.loc,
                format!(
                    "a region latency joins exactly 2 regions, got {}",
                    link.between.value.len()
                ),
            );
            continue;
        };
        let a = region_index(c, a, regions);
        let b = region_index(c, b, regions);
        let latency = c.distribution(&link.latency, "region latency");
        let (Some(a), Some(b), Some(latency)) = (a, b, latency) else {
            continue;
        };
        let pair = (a.min(b), a.max(b));
        if given.contains_key(&pair) {
            let names = region_pair(regions, a, b);
            c.error(
                link.between.loc,
                format!("the latency between {names} is given twice"),
            );
            continue;
        }
        given.insert(pair, link.between.loc);
        plan.region_links.push((a, b, latency));
    }
    // Every data center's region needs a latency to every other region in use.
    if c.errors.len() > errors_before {
        return plan;
    }
    let mut reported: BTreeMap<(u16, u16), ()> = BTreeMap::new();
    for &(s, loc) in &region_locs {
        for r in 0..regions.len() as u16 {
            let used = (r as usize) < plan.client_regions || region_locs.iter().any(|x| x.0 == r);
            let pair = (r.min(s), r.max(s));
            if r == s || !used || given.contains_key(&pair) || reported.contains_key(&pair) {
                continue;
            }
            reported.insert(pair, ());
            let (x, y) = (name_of(regions, s), name_of(regions, r));
            c.error_help(
                loc,
                format!("no latency between regions '{x}' and '{y}'"),
                format!("add {{between: [{x}, {y}], latency: 80ms}} to network.regions"),
            );
        }
    }
    plan
}

fn name_of(regions: &IndexMap<String, ()>, i: u16) -> &str {
    regions
        .get_index(i as usize)
        .map_or("?", |(n, _)| n.as_str())
}

fn region_pair(regions: &IndexMap<String, ()>, a: u16, b: u16) -> String {
    format!("'{}' and '{}'", name_of(regions, a), name_of(regions, b))
}

fn region_index(c: &mut Checker, at: &At<String>, regions: &IndexMap<String, ()>) -> Option<u16> {
    match regions.get_index_of(&at.value) {
        Some(i) => Some(i as u16),
        None => {
            let help = suggestion(&at.value, regions.keys().map(String::as_str));
            c.error_help(
                at.loc,
                format!("region '{}' is not defined", at.value),
                help,
            );
            None
        }
    }
}

/// A data center member: a component, or one node of a database (`db[1]`).
fn placed_member(c: &mut Checker, at: &At<String>) -> Option<(ComponentId, Option<u32>)> {
    let text = at.value.trim();
    let (name, node) = match text.strip_suffix(']').and_then(|t| t.split_once('[')) {
        Some((name, index)) => match index.trim().parse::<u32>() {
            Ok(i) => (name.trim(), Some(i)),
            Err(_) => {
                c.error_help(
                    at.loc,
                    format!("'{text}' is not a valid component"),
                    "name a component (web) or one node of a database, counted from 0 (db[1])",
                );
                return None;
            }
        },
        None => (text, None),
    };
    let named = At {
        value: name.to_string(),
        loc: at.loc,
    };
    let id = c.reference(&named, "data center component", Use::Placement)?;
    let Some(i) = node else {
        return Some((id, None));
    };
    // A database's nodes, and an id generator's (masters, machines), may be placed one by one.
    let is_database = c
        .names
        .get(name)
        .is_some_and(|(_, role, _)| matches!(*role, Kind::Database | Kind::IdGenerator));
    if !is_database {
        c.error_help(
            at.loc,
            format!(
                "only a database's nodes can be placed one by one, and '{name}' is not a database"
            ),
            format!("place the whole component: {name}"),
        );
        return None;
    }
    let count = c.instances.get(&id).copied().unwrap_or(1);
    if i >= count {
        c.error(
            at.loc,
            format!(
                "'{name}' has {count} node(s), numbered 0 to {}; there is no [{i}]",
                count - 1
            ),
        );
        return None;
    }
    Some((id, Some(i)))
}

/// `{at: 5m, crash_data_center: dc-east, for: 10m}`: a marker for the data center, then a
/// crash of every crashable component in it (each database node apart).
pub(super) fn check_dc_failure(
    c: &mut Checker,
    f: &raw::FailureSpec,
    target: &At<String>,
    geo: &GeoPlan,
) -> Vec<ScheduledFailure> {
    let others = [
        f.crash.is_some(),
        f.slow.is_some(),
        f.errors.is_some(),
        f.partition.is_some(),
        f.latency.is_some(),
    ];
    if others.iter().any(|&x| x) {
        c.error_help(
            f.at.loc,
            "a failure needs exactly one of crash, slow, errors, partition, latency or crash_data_center",
            "e.g. {at: 5m, crash_data_center: dc-east, for: 10m}",
        );
        return Vec::new();
    }
    for (field, present) in [
        ("factor", f.factor.is_some()),
        ("fraction", f.fraction.is_some()),
        ("add", f.add.is_some()),
    ] {
        if present {
            c.error(
                f.at.loc,
                format!("'{field}' does not apply to crash_data_center"),
            );
        }
    }
    let at = c.duration(&f.at, "failure time");
    let duration = match &f.lasts {
        Some(d) => c.positive_duration(d, "failure duration"),
        None => None,
    };
    let Some(dc) = geo.data_centers.iter().position(|d| d.name == target.value) else {
        let help = suggestion(
            &target.value,
            geo.data_centers.iter().map(|d| d.name.as_str()),
        );
        c.error_help(
            target.loc,
            format!("data center '{}' is not defined", target.value),
            help,
        );
        return Vec::new();
    };
    let (Some(at), true) = (at, f.lasts.is_none() || duration.is_some()) else {
        return Vec::new();
    };
    let plan = &geo.data_centers[dc];
    let at = SimTime::ZERO + at;
    let failure =
        |target: ComponentId, target_name: String, instance: u32, action| ScheduledFailure {
            at,
            duration,
            target,
            target_name,
            instance,
            action,
            network: None,
        };
    let first = plan
        .components
        .first()
        .or(plan.nodes.first().map(|(id, _)| id))
        .copied()
        .unwrap_or(ComponentId(0));
    let mut out = vec![failure(
        first,
        plan.name.clone(),
        ALL_INSTANCES,
        FailureAction::DataCenter { dc: dc as u16 },
    )];
    let name_of = |c: &Checker, id: ComponentId| {
        c.names
            .iter()
            .find(|(_, (i, _, _))| *i == id)
            .map(|(n, (_, role, _))| (n.clone(), *role))
    };
    for &id in &plan.components {
        let Some((name, role)) = name_of(c, id) else {
            continue;
        };
        match role {
            Kind::Server | Kind::Cache | Kind::RateLimiter | Kind::Queue => {
                out.push(failure(id, name, ALL_INSTANCES, FailureAction::Crash));
            }
            Kind::Database | Kind::IdGenerator => {
                for node in 0..c.instances.get(&id).copied().unwrap_or(1) {
                    out.push(failure(
                        id,
                        format!("{name}[{node}]"),
                        node,
                        FailureAction::Crash,
                    ));
                }
            }
            // Routers (load balancers, sharded databases) hold nothing of their own: their
            // backends in the data center crash.
            _ => {}
        }
    }
    for &(id, node) in &plan.nodes {
        if let Some((name, _)) = name_of(c, id) {
            out.push(failure(
                id,
                format!("{name}[{node}]"),
                node,
                FailureAction::Crash,
            ));
        }
    }
    out
}

pub(super) fn check_dns(c: &mut Checker, d: &raw::DnsSpec, geo: &GeoPlan) -> Option<DnsConfig> {
    let errors_before = c.errors.len();
    let mut targets: Vec<DnsTarget> = Vec::new();
    if d.targets.value.is_empty() {
        c.error_help(
            d.targets.loc,
            "a DNS needs at least one target",
            "list each data center's entry component, e.g. targets: [lb-us, lb-eu]",
        );
    }
    let mut targets_ok = !geo.incomplete && !d.targets.value.is_empty();
    for t in &d.targets.value {
        let Some(id) = c.reference(
            t,
            "DNS target",
            Use::Among(&[Kind::Server, Kind::LoadBalancer]),
        ) else {
            targets_ok = false;
            continue;
        };
        let Some(dc) = geo.data_center_of(id) else {
            targets_ok = false;
            if geo.incomplete {
                continue;
            }
            c.error_help(
                t.loc,
                format!("DNS target '{}' is not in any data center", t.value),
                "list it in the components of a data center under data_centers",
            );
            continue;
        };
        if let Some(other) = targets.iter().find(|x| x.dc == dc) {
            let other = c
                .names
                .iter()
                .find(|(_, (i, _, _))| *i == other.component)
                .map_or(String::new(), |(n, _)| n.clone());
            c.error_help(
                t.loc,
                format!(
                    "DNS targets '{other}' and '{}' are both in data center '{}'",
                    t.value, geo.data_centers[dc as usize].name
                ),
                "a DNS answers with one entry point per data center",
            );
            targets_ok = false;
            continue;
        }
        targets.push(DnsTarget { component: id, dc });
    }
    let ttl = match &d.ttl {
        Some(t) => c.duration(t, "ttl"),
        None => Some(SimDuration::from_secs(60)),
    };
    let resolution_time = match &d.resolution_time {
        Some(r) => c.distribution(r, "resolution_time"),
        None => Some(Distribution::constant(SimDuration::from_millis(20))),
    };
    let h = d.health.as_ref().map(|h| &h.value);
    let interval = match h.and_then(|h| h.interval.as_ref()) {
        Some(i) => c.positive_duration(i, "health interval"),
        None => Some(SimDuration::from_secs(10)),
    };
    let timeout = match h.and_then(|h| h.timeout.as_ref()) {
        Some(t) => c.positive_duration(t, "health timeout"),
        None => Some(SimDuration::from_secs(2)),
    };
    let why = "consecutive probes; a larger threshold only delays detection";
    let unhealthy = match h.and_then(|h| h.unhealthy.as_ref()) {
        Some(n) => c.int_in(n, "unhealthy", 1, 100, why),
        None => Some(3),
    };
    let healthy = match h.and_then(|h| h.healthy.as_ref()) {
        Some(n) => c.int_in(n, "healthy", 1, 100, why),
        None => Some(2),
    };

    // Routing weights per client region, over the targets.
    let region_count = geo.client_regions;
    let mut routing: Vec<Option<Vec<f64>>> = vec![None; region_count];
    let client_names: Vec<String> = geo
        .region_names
        .iter()
        .take(region_count)
        .cloned()
        .collect();
    if let Some(r) = &d.routing {
        for (region, weights) in &r.value {
            let Some(ri) = client_names.iter().position(|n| *n == region.value) else {
                let help = suggestion(&region.value, client_names.iter().map(String::as_str));
                c.error_help(
                    region.loc,
                    format!("'{}' is not a client region", region.value),
                    if help.is_empty() {
                        "client regions are named in traffic regions, e.g. {us: 0.7, eu: 0.3}"
                            .to_string()
                    } else {
                        help
                    },
                );
                continue;
            };
            let mut row = vec![0.0; targets.len()];
            for (dc_name, weight) in &weights.value {
                let Some(w) = c.weight(weight, &format!("weight of '{}'", dc_name.value)) else {
                    continue;
                };
                let Some(dc) = geo
                    .data_centers
                    .iter()
                    .position(|x| x.name == dc_name.value)
                else {
                    let help = suggestion(
                        &dc_name.value,
                        geo.data_centers.iter().map(|x| x.name.as_str()),
                    );
                    c.error_help(
                        dc_name.loc,
                        format!("data center '{}' is not defined", dc_name.value),
                        help,
                    );
                    continue;
                };
                match targets.iter().position(|t| t.dc as usize == dc) {
                    Some(t) => row[t] = w,
                    None if !targets_ok => {}
                    None => c.error_help(
                        dc_name.loc,
                        format!(
                            "data center '{}' has no target of DNS '{}'",
                            dc_name.value, d.name.value
                        ),
                        "add the data center's entry component to targets",
                    ),
                }
            }
            routing[ri] = Some(row);
        }
    }
    let mut rows = Vec::new();
    for (ri, row) in routing.into_iter().enumerate() {
        let row = row.unwrap_or_else(|| {
            targets
                .iter()
                .map(|t| {
                    let local = geo.data_centers[t.dc as usize].region as usize == ri;
                    if local {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect()
        });
        if targets_ok && !targets.is_empty() && row.iter().all(|&w| w == 0.0) {
            let region = client_names.get(ri).map_or("?", String::as_str);
            c.error_help(
                d.name.loc,
                format!(
                    "client region '{region}' has no data center of DNS '{}' and no routing entry",
                    d.name.value
                ),
                format!("add e.g. routing: {{{region}: {{<data center>: 1}}}}"),
            );
        }
        rows.push(row);
    }
    if c.errors.len() > errors_before {
        return None;
    }
    Some(DnsConfig {
        name: d.name.value.clone(),
        targets,
        ttl: ttl?,
        resolution_time: resolution_time?,
        routing: rows,
        health: DnsHealth {
            interval: interval?,
            timeout: timeout?,
            unhealthy: unhealthy? as u32,
            healthy: healthy? as u32,
        },
    })
}
