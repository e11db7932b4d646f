//! Checks the `assert` section, `run.replications` and `variants`.

use super::checker::{valid_name, Checker, Kind};
use super::plan::Variant;
use crate::assertions::{self, Assertion, Names};
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
}

pub(super) fn check(c: &mut Checker, scenario: &raw::Scenario) -> Checked {
    let (components, own_figures): (Vec<String>, Vec<_>) = c
        .names
        .iter()
        .filter(|(_, (_, kind, _))| *kind != Kind::Traffic)
        .map(|(n, (_, kind, _))| (n.clone(), Figures::names_of(kind.name())))
        .unzip();
    let types: Vec<String> = c.request_types.keys().cloned().collect();
    let names = Names {
        components: &components,
        types: &types,
        own_figures: &own_figures,
    };
    let mut out = Checked {
        assertions: Vec::new(),
        replications: 1,
        variants: Vec::new(),
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
    for item in scenario.assertions.iter().flat_map(|a| &a.value) {
        let (text, confidence) = match &item.value {
            OrMap::Scalar(s) => (
                At {
                    value: s.0.clone(),
                    loc: item.loc,
                },
                None,
            ),
            OrMap::Map(spec) => (spec.that.clone(), spec.confidence.as_ref()),
        };
        match assertions::parse(&text.value, &names) {
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
                out.assertions.push((a, text.loc));
            }
            Err(e) => {
                // The location of a plain scalar is its first character.
                let loc = Loc {
                    line: text.loc.line,
                    column: text.loc.column + text.value[..e.offset].chars().count() as u64,
                };
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
    out
}
