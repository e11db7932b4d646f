//! Checks the `assert` section, `run.replications`, `variants` and `compare`.

use super::checker::{valid_name, Checker, Kind};
use super::plan::{ComparePlan, HeadlineFigure, Variant};
use crate::assertions::{self, Assertion, Names, Span};
use crate::engine::SimDuration;
use crate::model::figures::Figures;
use crate::scenario::raw::{self, At, Loc, OrMap};
use crate::scenario::units::parse_fraction;

/// Most replications of one run: each is a full run, so more is a mistake or a job for
/// `--shard` across machines.
pub const MAX_REPLICATIONS: u64 = 10_000;

/// What this file checks, for the plan.
pub struct Checked {
    pub assertions: Vec<(Assertion, Loc)>,
    pub replications: u32,
    pub variants: Vec<Variant>,
    pub compare: ComparePlan,
}

pub(super) fn check(
    c: &mut Checker,
    scenario: &raw::Scenario,
    duration: Option<SimDuration>,
) -> Checked {
    // Traffic sources come last, so that a "did you mean" prefers a component; a source's
    // figures (what its clients saw: availability, latency) can be asserted too.
    let (components, own_figures): (Vec<String>, Vec<_>) = c
        .names
        .iter()
        .filter(|(_, (_, kind, _))| *kind != Kind::Traffic)
        .chain(
            c.names
                .iter()
                .filter(|(_, (_, kind, _))| *kind == Kind::Traffic),
        )
        .map(|(n, (_, kind, _))| (n.clone(), Figures::names_of(kind.name())))
        .unzip();
    let types: Vec<String> = c.request_types.keys().cloned().collect();
    let names = Names {
        components: &components,
        types: &types,
        own_figures: &own_figures,
    };
    let windowed = Names {
        components: &components,
        types: &types,
        own_figures: &[],
    };
    let mut out = Checked {
        assertions: Vec::new(),
        replications: 1,
        variants: Vec::new(),
        compare: ComparePlan::default(),
    };
    if let Some(r) = scenario
        .run
        .as_ref()
        .and_then(|r| r.value.replications.as_ref())
    {
        if let Some(n) = c.int_in(
            r,
            "replications",
            1,
            MAX_REPLICATIONS,
            "each replication is a whole run; split larger studies with --shard",
        ) {
            out.replications = n as u32;
        }
    }
    // Ids seen so far, with where: an id names one assertion.
    let mut ids: Vec<(String, Loc)> = Vec::new();
    for item in scenario.assertions.iter().flat_map(|a| &a.value) {
        let (text, spec) = match &item.value {
            OrMap::Scalar(s) => (
                At {
                    value: s.0.clone(),
                    loc: item.loc,
                },
                None,
            ),
            OrMap::Map(spec) => (spec.that.clone(), Some(spec)),
        };
        let confidence = spec.and_then(|s| s.confidence.as_ref());
        let id = spec
            .and_then(|s| s.id.as_ref())
            .and_then(|id| check_id(c, id, &mut ids));
        let during = spec
            .and_then(|s| s.during.as_ref())
            .map(|d| check_span(c, d, duration));
        // Over a span, a component's figure of its own is one of the series it keeps per time
        // window (`timeseries.csv`'s `geo.eu.dc-eu`), which its kind does not declare: such a
        // name is looked up in the run's windows, where a typo gets its did-you-mean.
        let names = if during.is_some() { &windowed } else { &names };
        match assertions::parse(&text.value, names) {
            Ok(mut a) => {
                if let Some(level) = confidence {
                    match parse_fraction(&level.value.0) {
                        Ok(l) if l > 0.0 && l < 1.0 => a.confidence = Some(l),
                        Ok(_) => c.error_help(
                            level.loc,
                            "confidence must be between 0% and 100%, exclusive",
                            "e.g. 95%",
                        ),
                        Err(e) => c.error(level.loc, format!("confidence: {e}")),
                    }
                }
                a.id = id;
                if let Some(span) = during {
                    if let Err(why) = assertions::per_window(&a.scope, &a.metric) {
                        c.error_help(
                            text.loc,
                            format!("'{}' cannot be judged during a span of time", a.text),
                            why,
                        );
                    } else if let Some(span) = span {
                        a.text = format!("{} during {span}", a.text);
                        a.during = Some(span);
                    }
                }
                out.assertions.push((a, text.loc));
            }
            Err(e) => {
                // The location of a plain scalar is its first character.
                let loc = inside(text.loc, &text.value, e.offset);
                match e.help {
                    Some(help) => c.error_help(loc, e.message, help),
                    None => c.error(loc, e.message),
                }
            }
        }
    }
    if let Some(variants) = &scenario.variants {
        if variants.value.is_empty() {
            c.error(variants.loc, "variants is empty: name at least one design");
        }
        for (name, overrides) in &variants.value {
            if !valid_name(&name.value) {
                c.error_help(
                    name.loc,
                    format!("'{}' is not a valid variant name", name.value),
                    "names start with a letter or digit and contain only letters, digits, '-' and '_'",
                );
            }
            let mut list = Vec::new();
            for (path, value) in &overrides.value {
                if path.value.trim().is_empty() {
                    c.error(path.loc, "empty override path");
                    continue;
                }
                list.push((path.value.clone(), path.loc, value.clone()));
            }
            out.variants.push(Variant {
                name: name.value.clone(),
                loc: name.loc,
                overrides: list,
            });
        }
    }
    if let Some(compare) = &scenario.compare {
        // A comparison also shows what the traffic sources report (a browser cache's hits).
        let (all, all_figures): (Vec<String>, Vec<_>) = c
            .names
            .iter()
            .map(|(n, (_, kind, _))| (n.clone(), Figures::names_of(kind.name())))
            .unzip();
        let names = Names {
            components: &all,
            types: &types,
            own_figures: &all_figures,
        };
        out.compare = check_compare(c, &compare.value, &names, &out.variants);
    }
    out
}

/// An assertion's `id`: a valid name, not used by another assertion of the scenario.
fn check_id(c: &mut Checker, id: &At<String>, seen: &mut Vec<(String, Loc)>) -> Option<String> {
    if !valid_name(&id.value) {
        c.error_help(
            id.loc,
            format!("'{}' is not a valid assertion id", id.value),
            "ids start with a letter or digit and contain only letters, digits, '-' and '_', e.g. web-crash-dip",
        );
        return None;
    }
    if let Some((_, first)) = seen.iter().find(|(n, _)| *n == id.value) {
        c.error_help(
            id.loc,
            format!("assertion id '{}' is used twice", id.value),
            format!(
                "it is first given at line {}, column {}; each assertion needs its own id",
                first.line, first.column
            ),
        );
        return None;
    }
    seen.push((id.value.clone(), id.loc));
    Some(id.value.clone())
}

/// `during: [from, to]`: two durations from the start of the run, the first before the
/// second, the second no later than the run's end. `None` when it is wrong (the errors are
/// recorded).
fn check_span(
    c: &mut Checker,
    during: &At<Vec<At<raw::Scalar>>>,
    duration: Option<SimDuration>,
) -> Option<Span> {
    let help =
        "write during: [from, to], two times from the start of the run, e.g. during: [60s, 75s]";
    let [from, to] = during.value.as_slice() else {
        c.error_help(
            during.loc,
            format!(
                "during needs two times, a start and an end; {} given",
                during.value.len()
            ),
            help,
        );
        return None;
    };
    let (Some(start), Some(end)) = (c.duration(from, "during"), c.duration(to, "during")) else {
        return None;
    };
    if start >= end {
        c.error_help(
            to.loc,
            format!(
                "the span ends at {}, not after its start {}",
                to.value.0, from.value.0
            ),
            help,
        );
        return None;
    }
    if let Some(d) = duration.filter(|&d| end > d) {
        let run = assertions::show(assertions::Quantity::Latency, d.as_millis_f64());
        c.error_help(
            to.loc,
            format!(
                "the span ends at {}, after the run's end at {run}",
                to.value.0
            ),
            format!("the run lasts {run} (run.duration): end the span by then"),
        );
        return None;
    }
    Some(Span {
        from: start,
        to: end,
    })
}

/// Figures of a run's cost a comparison can put first (`cost.per_month`), and `cost` for all.
const COST_FIGURES: [&str; 2] = ["per_hour", "per_month"];

/// The location `offset` bytes into a plain scalar written at `at`.
fn inside(at: Loc, text: &str, offset: usize) -> Loc {
    Loc {
        line: at.line,
        column: at.column + text.get(..offset).map_or(0, |t| t.chars().count()) as u64,
    }
}

/// `compare: {headline: [...], expect_fail: [...]}`: every headline name is a metric an
/// assertion could read (or a cost figure), every expected failure a variant.
fn check_compare(
    c: &mut Checker,
    spec: &raw::CompareSpec,
    names: &Names<'_>,
    variants: &[Variant],
) -> ComparePlan {
    let mut plan = ComparePlan::default();
    for item in spec.headline.iter().flat_map(|h| &h.value) {
        let text = item.value.trim();
        if let Some(rest) = text.strip_prefix("cost") {
            let figure = rest.strip_prefix('.');
            match figure {
                None if rest.is_empty() => {}
                Some(f) if COST_FIGURES.contains(&f) => {}
                _ => {
                    let f = figure.unwrap_or(rest);
                    c.error_help(
                        item.loc,
                        format!("unknown cost figure '{f}'"),
                        crate::format::suggestion(f, COST_FIGURES),
                    );
                    continue;
                }
            }
            plan.headline.push(HeadlineFigure {
                name: text.to_string(),
                metric: None,
            });
            continue;
        }
        match assertions::parse_metric(&item.value, names) {
            Ok((scope, metric)) => {
                let name = assertions::metric_name(&scope, &metric);
                if plan.headline.iter().any(|h| h.name == name) {
                    c.error(
                        item.loc,
                        format!("'{name}' is named twice in compare.headline"),
                    );
                    continue;
                }
                plan.headline.push(HeadlineFigure {
                    name,
                    metric: Some((scope, metric)),
                });
            }
            Err(e) => {
                let loc = inside(item.loc, &item.value, e.offset);
                match e.help {
                    Some(help) => c.error_help(loc, e.message, help),
                    None => c.error(loc, e.message),
                }
            }
        }
    }
    let known: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
    for name in spec.expect_fail.iter().flat_map(|e| &e.value) {
        if known.contains(&name.value.as_str()) {
            if !plan.expect_fail.contains(&name.value) {
                plan.expect_fail.push(name.value.clone());
            }
        } else if known.is_empty() {
            c.error_help(
                name.loc,
                format!("compare.expect_fail names '{}', but the scenario has no variants", name.value),
                "name variants of this file; for designs given as files use sim compare --expect-fail DESIGN",
            );
        } else {
            c.error_help(
                name.loc,
                format!("'{}' is not a variant", name.value),
                crate::format::suggestion(&name.value, known.iter().copied()),
            );
        }
    }
    plan
}
