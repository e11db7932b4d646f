//! ID generators: the scheme, its options, the snowflake bit layout and clock jumps.

use super::checker::*;
use crate::model::id_generator::{
    ClockPolicy, IdGeneratorConfig, Scheme, SnowflakeLayout, MAX_NODES,
};

/// Options that belong to one scheme only: (field, present, schemes it applies to).
fn scheme_only(g: &raw::IdGeneratorSpec) -> [(&'static str, Option<Loc>, &'static [Scheme]); 7] {
    const SNOWFLAKE: &[Scheme] = &[Scheme::Snowflake];
    [
        (
            "masters",
            g.masters.as_ref().map(|x| x.loc),
            &[Scheme::MultiMaster],
        ),
        (
            "timestamp_bits",
            g.timestamp_bits.as_ref().map(|x| x.loc),
            SNOWFLAKE,
        ),
        (
            "datacenter_bits",
            g.datacenter_bits.as_ref().map(|x| x.loc),
            SNOWFLAKE,
        ),
        (
            "machine_bits",
            g.machine_bits.as_ref().map(|x| x.loc),
            SNOWFLAKE,
        ),
        (
            "sequence_bits",
            g.sequence_bits.as_ref().map(|x| x.loc),
            SNOWFLAKE,
        ),
        (
            "since_epoch",
            g.since_epoch.as_ref().map(|x| x.loc),
            SNOWFLAKE,
        ),
        (
            "on_clock_backwards",
            g.on_clock_backwards.as_ref().map(|x| x.loc),
            SNOWFLAKE,
        ),
    ]
}

pub(super) fn check_id_generator(
    c: &mut Checker,
    g: &raw::IdGeneratorSpec,
) -> Option<IdGeneratorConfig> {
    let errors_before = c.errors.len();
    let Some(scheme) = Scheme::from_name(&g.scheme.value) else {
        let help = suggestion(&g.scheme.value, Scheme::NAMES.iter().copied());
        c.error_help(
            g.scheme.loc,
            format!("unknown id generator scheme '{}'", g.scheme.value),
            help,
        );
        return None;
    };
    let mut config = IdGeneratorConfig::new(&g.name.value, scheme);
    for (field, loc, schemes) in scheme_only(g) {
        if let Some(loc) = loc {
            if !schemes.contains(&scheme) {
                let names: Vec<&str> = schemes.iter().map(|s| s.name()).collect();
                c.error_help(
                    loc,
                    format!("'{field}' does not apply to the {} scheme", scheme.name()),
                    format!("'{field}' is an option of {}", names.join(" and ")),
                );
            }
        }
    }
    let why = "each node keeps its own queue and statistics";
    let nodes = match (&g.masters, &g.instances) {
        (Some(m), Some(_)) => {
            c.error_help(
                m.loc,
                "give either 'masters' or 'instances', not both",
                "for multi_master they mean the same: the number of masters",
            );
            None
        }
        (Some(n), None) => c.int_in(n, "masters", 1, MAX_NODES, why),
        (None, Some(n)) => c.int_in(n, "instances", 1, MAX_NODES, why),
        (None, None) => Some(if scheme == Scheme::MultiMaster { 2 } else { 1 }),
    };
    if let Some(n) = g.workers.as_ref() {
        if let Some(w) = c.int_in(n, "workers", 1, limits::MAX_WORKERS, "workers are per node") {
            config.workers = w as u32;
        }
    }
    if let Some(q) = g.queue.as_ref() {
        let q = c.int_in(
            q,
            "queue",
            0,
            limits::MAX_QUEUE,
            "leave 'queue' out for an unbounded queue",
        );
        config.queue_capacity = q.map(|q| q as u32);
    }
    if let Some(s) = &g.service_time {
        if let Some(d) = c.distribution(s, "service_time") {
            config.service_time = d;
        }
    }
    if let Some(n) = nodes {
        config.nodes = n as u32;
    }
    if scheme == Scheme::Snowflake {
        check_layout(c, g, &mut config);
    }
    (c.errors.len() == errors_before).then_some(config)
}

fn check_layout(c: &mut Checker, g: &raw::IdGeneratorSpec, config: &mut IdGeneratorConfig) {
    let d = SnowflakeLayout::default();
    let mut bits = |at: &Option<At<u64>>, what: &str, min: u64, default: u32| -> u32 {
        match at {
            Some(b) => c
                .int_in(b, what, min, 63, "a snowflake id has 63 bits")
                .map_or(default, |b| b as u32),
            None => default,
        }
    };
    let layout = SnowflakeLayout {
        timestamp_bits: bits(&g.timestamp_bits, "timestamp_bits", 1, d.timestamp_bits),
        datacenter_bits: bits(&g.datacenter_bits, "datacenter_bits", 0, d.datacenter_bits),
        machine_bits: bits(&g.machine_bits, "machine_bits", 0, d.machine_bits),
        sequence_bits: bits(&g.sequence_bits, "sequence_bits", 0, d.sequence_bits),
    };
    let sum =
        layout.timestamp_bits + layout.datacenter_bits + layout.machine_bits + layout.sequence_bits;
    if sum != 63 {
        let loc = [
            &g.timestamp_bits,
            &g.datacenter_bits,
            &g.machine_bits,
            &g.sequence_bits,
        ]
        .into_iter()
        .flatten()
        .map(|b| b.loc)
        .next()
        .unwrap_or(g.scheme.loc);
        c.error_help(
            loc,
            format!(
                "the snowflake bit widths sum to {sum} (timestamp {} + data center {} + machine {} + sequence {}), not 63",
                layout.timestamp_bits, layout.datacenter_bits, layout.machine_bits, layout.sequence_bits
            ),
            "an id is 63 bits plus the sign bit; e.g. 41 + 5 + 5 + 12 (the defaults)",
        );
    }
    config.layout = layout;
    if let Some(e) = &g.since_epoch {
        if let Some(since) = c.duration(e, "since_epoch") {
            let ms = since.as_nanos() / 1_000_000;
            if sum == 63 && layout.timestamp_bits < 64 && ms >= 1u64 << layout.timestamp_bits {
                c.error_help(
                    e.loc,
                    format!(
                        "since_epoch is {ms} ms, past the {} ms a {}-bit timestamp holds",
                        1u64 << layout.timestamp_bits,
                        layout.timestamp_bits
                    ),
                    "choose a later epoch or more timestamp bits",
                );
            }
            config.since_epoch_ms = ms;
        }
    }
    if let Some(p) = &g.on_clock_backwards {
        match ClockPolicy::from_name(&p.value) {
            Some(policy) => config.on_clock_backwards = policy,
            None => {
                let help = suggestion(&p.value, ClockPolicy::NAMES.iter().copied());
                c.error_help(
                    p.loc,
                    format!("unknown on_clock_backwards policy '{}'", p.value),
                    help,
                );
            }
        }
    }
}

/// Checks that the snowflake machines' data center and machine ids fit their bit widths, once
/// nodes are placed in data centers.
pub(super) fn check_machine_ids(
    c: &mut Checker,
    g: &raw::IdGeneratorSpec,
    config: &IdGeneratorConfig,
) {
    if config.scheme != Scheme::Snowflake {
        return;
    }
    let l = config.layout;
    let ids = config.machine_ids();
    let max_dc = ids.iter().map(|&(dc, _)| dc).max().unwrap_or(0);
    let max_machine = ids.iter().map(|&(_, m)| m).max().unwrap_or(0);
    if l.datacenter_bits < 64 && max_dc >= 1u64 << l.datacenter_bits {
        c.error_help(
            g.name.loc,
            format!(
                "'{}' has a machine in data center number {max_dc}, which {} data center bit(s) cannot hold",
                g.name.value, l.datacenter_bits
            ),
            "give datacenter_bits more bits (and another field fewer)",
        );
    }
    if l.machine_bits < 64 && max_machine >= 1u64 << l.machine_bits {
        c.error_help(
            g.name.loc,
            format!(
                "'{}' has {} machines in one data center, more than {} machine bit(s) can number",
                g.name.value,
                max_machine + 1,
                l.machine_bits
            ),
            format!(
                "at most {} machines per data center; give machine_bits more bits",
                1u64 << l.machine_bits
            ),
        );
    }
}

/// Parses a signed duration such as "-5ms" or "2s" into nanoseconds.
fn signed_nanos(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let (sign, rest) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let d = parse_duration(rest)?;
    let ns = i64::try_from(d.as_nanos()).map_err(|_| format!("'{text}' is too long"))?;
    if ns == 0 {
        return Err(format!(
            "'{text}' is no jump: give a non-zero duration such as -5ms"
        ));
    }
    Ok(sign * ns)
}

/// `{at: 2m, clock_jump: ids[0], by: -5ms}`: the machine's clock jumps at once.
pub(super) fn check_clock_jump(
    c: &mut Checker,
    f: &raw::FailureSpec,
    target: &At<String>,
    snowflakes: &[ComponentId],
) -> Option<ScheduledFailure> {
    let others = [
        f.crash.is_some(),
        f.slow.is_some(),
        f.errors.is_some(),
        f.partition.is_some(),
        f.latency.is_some(),
        f.crash_data_center.is_some(),
    ];
    if others.iter().any(|&x| x) {
        c.error_help(
            f.at.loc,
            "a failure needs exactly one of crash, slow, errors, partition, latency, crash_data_center or clock_jump",
            "e.g. {at: 2m, clock_jump: ids[0], by: -5ms}",
        );
        return None;
    }
    for (field, present) in [
        ("factor", f.factor.is_some()),
        ("fraction", f.fraction.is_some()),
        ("add", f.add.is_some()),
        ("for", f.lasts.is_some()),
    ] {
        if present {
            c.error_help(
                f.at.loc,
                format!("'{field}' does not apply to clock_jump"),
                "a clock jump is instantaneous: the clock stays where it jumped to",
            );
        }
    }
    let at = c.duration(&f.at, "failure time");
    let base = target.value.split('[').next().unwrap_or("").trim();
    let is_generator = c
        .names
        .get(base)
        .is_some_and(|(_, role, _)| *role == Kind::IdGenerator);
    if c.names.contains_key(base) && !is_generator {
        c.error_help(
            target.loc,
            format!("'{base}' has no clock to jump: clock jumps apply to snowflake id generators"),
            "name an id_generator with scheme: snowflake",
        );
        return None;
    }
    let (id, instance) = super::failures::failure_target(c, target)?;
    // Other schemes do not read the clock: the jump changes nothing there, which keeps a
    // study's failures valid when a variant switches the scheme.
    let _ = snowflakes;
    let by_ns = match &f.by {
        Some(by) => c.parse(by, "clock jump", signed_nanos)?,
        None => {
            c.error_help(
                target.loc,
                "a clock jump needs 'by'",
                "e.g. by: -5ms (backwards) or by: 1s (forwards)",
            );
            return None;
        }
    };
    Some(ScheduledFailure {
        at: SimTime::ZERO + at?,
        duration: None,
        target: id,
        target_name: target.value.clone(),
        instance,
        action: FailureAction::ClockJump { by_ns },
        network: None,
    })
}

/// The snowflake generators among the checked components (the targets clock jumps may name).
pub(super) fn snowflakes(c: &Checker, components: &[(String, ComponentPlan)]) -> Vec<ComponentId> {
    components
        .iter()
        .filter(|(_, plan)| {
            matches!(plan, ComponentPlan::IdGenerator(g) if g.scheme == Scheme::Snowflake)
        })
        .filter_map(|(name, _)| c.names.get(name.as_str()).map(|&(id, _, _)| id))
        .collect()
}

/// Nodes placed in data centers (a whole generator puts every node there), then the check that
/// the snowflake machine ids fit their bits.
pub(super) fn place_nodes(
    c: &mut Checker,
    scenario: &raw::Scenario,
    components: &mut [(String, ComponentPlan)],
    geo: &GeoPlan,
) {
    for (name, plan) in components.iter_mut() {
        let ComponentPlan::IdGenerator(g) = plan else {
            continue;
        };
        let Some(&(id, _, _)) = c.names.get(name.as_str()) else {
            continue;
        };
        let nodes = g.nodes as usize;
        for (i, dc) in geo.data_centers.iter().enumerate() {
            let whole = dc.components.contains(&id);
            g.placed_whole |= whole;
            for node in 0..nodes as u32 {
                if whole || dc.nodes.contains(&(id, node)) {
                    g.node_data_centers.resize(nodes, None);
                    g.node_data_centers[node as usize] = Some(i as u16);
                }
            }
        }
        let spec = scenario.components.value.iter().find_map(|s| match s {
            raw::ComponentSpec::IdGenerator(spec) if spec.name.value == *name => Some(spec),
            _ => None,
        });
        if let Some(spec) = spec {
            check_machine_ids(c, spec, g);
        }
    }
}
