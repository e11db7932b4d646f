//! What every part of the validator shares: the checker that collects diagnostics and knows
//! the names declared so far, the roles a name can have, and the parsers every section uses.
//! The imports below are the validator's common vocabulary; each section file takes them with
//! `use super::checker::*`.

pub(super) use std::collections::{BTreeMap, HashMap};

pub(super) use indexmap::IndexMap;

pub(super) use crate::engine::{ComponentId, SimDuration, SimTime};
pub(super) use crate::model::cache::aside::CacheAside;
pub(super) use crate::model::cache::eviction::{Limits, Policy};
pub(super) use crate::model::cache::size::SizeLaw;
pub(super) use crate::model::cache::{CacheConfig, Strategy};
pub(super) use crate::model::dist::Distribution;
pub(super) use crate::model::failures::{FailureAction, RandomFailures, ScheduledFailure};
pub(super) use crate::model::keys::KeyPopularity;
pub(super) use crate::model::kind::Kind;
pub(super) use crate::model::load_balancer::{
    ActiveHealth, Algorithm, Backend, BalancerConfig, GroupConfig, PassiveHealth,
};
pub(super) use crate::model::rate::RateProfile;
pub(super) use crate::model::server::{RequestProfile, ServerConfig, Step};
pub(super) use crate::model::source::{Arrivals, Load, RetryPolicy};
pub(super) use crate::model::{Slo, ALL_INSTANCES};
pub(super) use crate::scenario::diagnostic::{suggestion, Diagnostic};
pub(super) use crate::scenario::raw::{self, At, Loc, OrMap, Scalar};
pub(super) use crate::scenario::units::{
    parse_duration, parse_fraction, parse_multiplier, parse_rate, parse_size,
};

pub(super) use super::plan::{
    limits, ComponentPlan, DataCenterPlan, EstimateSettings, GeoPlan, SourcePlan,
};

/// What a reference to a component is for; the kinds it may name follow from each kind's
/// [`KindFacts`](crate::model::kind::KindFacts).
#[derive(Clone, Copy)]
pub(super) enum Use {
    /// Called by a server step, a cache, a rate limiter, a CDN, a fan-out, a real-time pool.
    Call,
    /// Where a traffic source sends its requests.
    Entry,
    /// One end of a network link: any kind.
    Link,
    /// A component placed in a data center.
    Placement,
    /// The target of a scheduled failure.
    Failure,
    /// The target of random failures (MTBF and MTTR).
    RandomFailure,
    /// One of these kinds, where the referring component's own rules narrow the choice (a
    /// queue's consumer is a server).
    Among(&'static [Kind]),
}

impl Use {
    pub(super) fn allows(self, kind: Kind) -> bool {
        let facts = kind.facts();
        match self {
            Use::Call => facts.callable,
            Use::Entry => facts.entry_point,
            Use::Link => true,
            Use::Placement => facts.placeable,
            Use::Failure => facts.fails,
            Use::RandomFailure => facts.fails_at_random,
            Use::Among(kinds) => kinds.contains(&kind),
        }
    }

    /// The kinds allowed, in the order a message lists them: as the referring rule gives
    /// them, else in [`Kind::ALL`]'s order.
    fn kinds(self) -> impl Iterator<Item = Kind> {
        let listed: &'static [Kind] = match self {
            Use::Among(kinds) => kinds,
            _ => &Kind::ALL,
        };
        listed.iter().copied().filter(move |&k| self.allows(k))
    }
}

pub(super) struct Checker {
    pub(super) errors: Vec<Diagnostic>,
    /// Name -> (id, kind, where it was defined).
    pub(super) names: IndexMap<String, (ComponentId, Kind, Loc)>,
    pub(super) request_types: IndexMap<String, ()>,
    /// Instances per server pool, for expanding load-balancer backends.
    pub(super) instances: HashMap<ComponentId, u32>,
    /// Each cache's strategy as written (None if unknown; check_cache reports it).
    pub(super) cache_strategies: HashMap<String, Option<Strategy>>,
    /// The store each cache-aside cache is used with, and where that was first said.
    pub(super) aside_stores: BTreeMap<ComponentId, (ComponentId, String, Loc)>,
    /// Some server answers a request type with a redirect (301 or 302).
    pub(super) redirects: bool,
}

impl Checker {
    pub(super) fn error(&mut self, loc: Loc, message: impl Into<String>) {
        self.errors.push(Diagnostic::at(loc, message));
    }

    /// The quantile (0 to 1) an empirical table's key names: `min`, `max` or `p0`..`p100`;
    /// an error at the key otherwise.
    pub(super) fn percentile_key(&mut self, key: &At<String>) -> Option<f64> {
        let quantile = match key.value.as_str() {
            "min" => Some(0.0),
            "max" => Some(1.0),
            k => k
                .strip_prefix('p')
                .and_then(|n| n.parse::<f64>().ok())
                .filter(|q| (0.0..=100.0).contains(q))
                .map(|q| q / 100.0),
        };
        if quantile.is_none() {
            self.error_help(
                key.loc,
                format!("'{}' is not a percentile", key.value),
                "write percentiles as p0..p100 (p50, p99.9) or min/max",
            );
        }
        quantile
    }

    pub(super) fn error_help(
        &mut self,
        loc: Loc,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.errors
            .push(Diagnostic::at(loc, message).with_help(help));
    }

    /// Parses a scalar with `parse`, recording the error at its location.
    pub(super) fn parse<T>(
        &mut self,
        at: &At<Scalar>,
        what: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        match parse(&at.value.0) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(at.loc, format!("{what}: {e}"));
                None
            }
        }
    }

    pub(super) fn duration(&mut self, at: &At<Scalar>, what: &str) -> Option<SimDuration> {
        self.parse(at, what, parse_duration)
    }

    pub(super) fn positive_duration(&mut self, at: &At<Scalar>, what: &str) -> Option<SimDuration> {
        let d = self.duration(at, what)?;
        if d.is_zero() {
            self.error(at.loc, format!("{what} must be greater than 0"));
            return None;
        }
        Some(d)
    }

    pub(super) fn int_in(
        &mut self,
        at: &At<u64>,
        what: &str,
        min: u64,
        max: u64,
        why: &str,
    ) -> Option<u64> {
        let v = at.value;
        if v < min {
            self.error(at.loc, format!("{what} must be at least {min}, got {v}"));
            None
        } else if v > max {
            self.error_help(
                at.loc,
                format!("{what} is {v}, above the limit of {max}"),
                why.to_string(),
            );
            None
        } else {
            Some(v)
        }
    }

    pub(super) fn weight(&mut self, at: &At<f64>, what: &str) -> Option<f64> {
        if at.value.is_finite() && at.value > 0.0 {
            Some(at.value)
        } else {
            self.error(
                at.loc,
                format!("{what} must be a positive number, got {}", at.value),
            );
            None
        }
    }

    pub(super) fn reference(
        &mut self,
        at: &At<String>,
        what: &str,
        used: Use,
    ) -> Option<ComponentId> {
        match self.names.get(&at.value) {
            Some(&(id, kind, _)) if used.allows(kind) => Some(id),
            Some(&(_, kind, _)) => {
                let allowed: Vec<&str> = used.kinds().map(|k| k.facts().described).collect();
                self.error_help(
                    at.loc,
                    format!(
                        "{what} '{}' is {}, which cannot be used here",
                        at.value,
                        kind.facts().described
                    ),
                    format!("a {what} must be {}", one_of(&allowed)),
                );
                None
            }
            None => {
                let candidates: Vec<String> = self
                    .names
                    .iter()
                    .filter(|(_, (_, kind, _))| used.allows(*kind))
                    .map(|(n, _)| n.clone())
                    .collect();
                let help = suggestion(&at.value, candidates.iter().map(String::as_str));
                self.error_help(
                    at.loc,
                    format!("{what} '{}' is not defined", at.value),
                    help,
                );
                None
            }
        }
    }

    pub(super) fn request_type(&mut self, at: &At<String>) -> Option<u16> {
        match self.request_types.get_index_of(&at.value) {
            Some(i) => Some(i as u16),
            None => {
                let known: Vec<String> = self.request_types.keys().cloned().collect();
                let help = suggestion(&at.value, known.iter().map(String::as_str));
                self.error_help(
                    at.loc,
                    format!("request type '{}' is not in any traffic mix", at.value),
                    help,
                );
                None
            }
        }
    }

    pub(super) fn distribution(
        &mut self,
        at: &At<OrMap<raw::DistributionSpec>>,
        what: &str,
    ) -> Option<Distribution> {
        use raw::DistributionSpec as D;
        let loc = at.loc;
        let scalar = |c: &mut Checker, s: &At<Scalar>| c.duration(s, what);
        let built = match &at.value {
            OrMap::Scalar(s) => {
                let s = At {
                    value: s.clone(),
                    loc,
                };
                Ok(Distribution::constant(scalar(self, &s)?))
            }
            OrMap::Map(D::Constant(s)) => Ok(Distribution::constant(scalar(self, s)?)),
            OrMap::Map(D::Exponential(mean)) => {
                let mean = self.positive_duration(mean, &format!("{what} (exponential mean)"))?;
                Distribution::exponential(mean)
            }
            OrMap::Map(D::Uniform(u)) => {
                let (min, max) = (scalar(self, &u.min), scalar(self, &u.max));
                Distribution::uniform(min?, max?)
            }
            OrMap::Map(D::Lognormal(l)) => match (&l.mean, &l.sigma, &l.median, &l.p99) {
                (Some(mean), Some(sigma), None, None) => {
                    let mean = self.positive_duration(mean, &format!("{what} (lognormal mean)"))?;
                    Distribution::lognormal_mean_sigma(mean, sigma.value)
                }
                (None, None, Some(median), Some(p99)) => {
                    let median =
                        self.positive_duration(median, &format!("{what} (lognormal median)"))?;
                    let p99 = self.positive_duration(p99, &format!("{what} (lognormal p99)"))?;
                    Distribution::lognormal_median_p99(median, p99)
                }
                _ => Err("lognormal needs either {mean, sigma} or {median, p99}".to_string()),
            },
            OrMap::Map(D::Empirical(table)) => {
                let mut points = Vec::new();
                for (key, value) in table {
                    let quantile = self.percentile_key(key)?;
                    points.push((quantile, scalar(self, value)?));
                }
                Distribution::empirical(&points)
            }
        };
        match built {
            Ok(d) => Some(d),
            Err(e) => {
                self.error(loc, format!("{what}: {e}"));
                None
            }
        }
    }

    pub(super) fn rate_profile(
        &mut self,
        at: &At<OrMap<raw::RateProfileSpec>>,
    ) -> Option<RateProfile> {
        use raw::RateProfileSpec as R;
        let loc = at.loc;
        let rate = |c: &mut Checker, s: &At<Scalar>| c.parse(s, "rate", parse_rate);
        let points = |c: &mut Checker, list: &[raw::RatePoint]| -> Option<Vec<(SimTime, f64)>> {
            let mut out = Vec::new();
            let mut ok = true;
            for p in list {
                let at = c.duration(&p.at, "time");
                let r = rate(c, &p.rate);
                match (at, r) {
                    (Some(at), Some(r)) => out.push((SimTime::ZERO + at, r)),
                    _ => ok = false,
                }
            }
            ok.then_some(out)
        };
        let built = match &at.value {
            OrMap::Scalar(s) => {
                let s = At {
                    value: s.clone(),
                    loc,
                };
                RateProfile::constant(rate(self, &s)?)
            }
            OrMap::Map(R::Steps(list)) => RateProfile::steps(&points(self, list)?),
            OrMap::Map(R::Points(list)) => RateProfile::points(&points(self, list)?),
            OrMap::Map(R::Ramp(r)) => {
                let from = rate(self, &r.from);
                let to = rate(self, &r.to);
                let start = match &r.start {
                    Some(s) => self.duration(s, "ramp start"),
                    None => Some(SimDuration::ZERO),
                };
                let end = self.duration(&r.end, "ramp end");
                RateProfile::ramp(from?, to?, SimTime::ZERO + start?, SimTime::ZERO + end?)
            }
            OrMap::Map(R::Daily(d)) => {
                let mean = rate(self, &d.mean);
                let amplitude = d.amplitude.as_ref().map_or(0.5, |a| a.value);
                let peak = match &d.peak {
                    Some(p) => self.duration(p, "daily peak"),
                    None => Some(SimDuration::from_secs(20 * 3600)),
                };
                let period = match &d.period {
                    Some(p) => self.positive_duration(p, "daily period"),
                    None => Some(SimDuration::from_secs(24 * 3600)),
                };
                RateProfile::daily(mean?, amplitude, peak?, period?)
            }
        };
        match built {
            Ok(p) => Some(p),
            Err(e) => {
                self.error(loc, format!("rate: {e}"));
                None
            }
        }
    }

    pub(super) fn backends(
        &mut self,
        list: &[At<OrMap<raw::BackendSpec>>],
    ) -> Vec<(ComponentId, u32)> {
        let mut out = Vec::new();
        // Each name once: the first place it is listed, and whether a repeat was reported.
        let mut seen: HashMap<String, (Loc, bool)> = HashMap::new();
        for entry in list {
            let listed = backend_name(entry);
            match seen.get_mut(&listed.value) {
                Some((_, true)) => continue,
                Some((first, reported)) => {
                    *reported = true;
                    let first = *first;
                    self.error_help(
                        listed.loc,
                        format!("backend '{}' is listed twice", listed.value),
                        format!(
                            "first listed at line {}, column {}; each instance of a pool is one backend already: to send it a larger share, give it a weight ({{pool: {}, weight: 2}})",
                            first.line, first.column, listed.value
                        ),
                    );
                    continue;
                }
                None => {
                    seen.insert(listed.value.clone(), (listed.loc, false));
                }
            }
            let (name, weight) = match &entry.value {
                OrMap::Scalar(s) => (
                    At {
                        value: s.0.clone(),
                        loc: entry.loc,
                    },
                    1,
                ),
                OrMap::Map(b) => {
                    let weight = match &b.weight {
                        Some(w) => self.int_in(
                            w,
                            "weight",
                            1,
                            1_000_000,
                            "weights are relative; use smaller numbers",
                        ),
                        None => Some(1),
                    };
                    (b.pool.clone(), weight.unwrap_or(1))
                }
            };
            if let Some(id) = self.reference(
                &name,
                "backend",
                Use::Among(&[Kind::Server, Kind::RateLimiter]),
            ) {
                out.push((id, weight as u32));
            }
        }
        out
    }

    pub(super) fn algorithm(&mut self, at: Option<&At<String>>, default: Algorithm) -> Algorithm {
        let Some(at) = at else { return default };
        match Algorithm::from_name(&at.value) {
            Some(a) => a,
            None => {
                let help = suggestion(&at.value, Algorithm::NAMES.iter().copied());
                self.error_help(
                    at.loc,
                    format!("unknown load-balancing algorithm '{}'", at.value),
                    help,
                );
                default
            }
        }
    }
}

pub(super) fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Type names that are writes unless the scenario lists its `write_types`.
pub const CONVENTIONAL_WRITE_NAMES: &[&str] = &[
    "write", "update", "insert", "delete", "post", "put", "patch",
];

pub(super) fn is_conventional_write(name: &str) -> bool {
    CONVENTIONAL_WRITE_NAMES.contains(&name) || name.starts_with("write")
}

pub(super) fn check_write_types(c: &mut Checker, listed: Option<&[At<String>]>) -> Vec<bool> {
    match listed {
        None => c
            .request_types
            .keys()
            .map(|n| is_conventional_write(n))
            .collect(),
        Some(list) => {
            let mut writes = vec![false; c.request_types.len()];
            for name in list {
                if let Some(kind) = c.request_type(name) {
                    writes[kind as usize] = true;
                }
            }
            writes
        }
    }
}

/// Puts checked components in id order (ids were given in declaration order).
pub(super) fn reorder(
    components: Vec<(String, ComponentPlan)>,
    names: &IndexMap<String, (ComponentId, Kind, Loc)>,
) -> Vec<(String, ComponentPlan)> {
    let mut components = components;
    components.sort_by_key(|(name, _)| names.get(name).map_or(u32::MAX, |(id, _, _)| id.0));
    components
}

/// "a", "a or b", "a, b or c": the roles a reference may name.
pub(super) fn one_of(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [only] => (*only).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Names a backend entry refers to.
pub(super) fn backend_name(entry: &At<OrMap<raw::BackendSpec>>) -> At<String> {
    match &entry.value {
        OrMap::Scalar(s) => At {
            value: s.0.clone(),
            loc: entry.loc,
        },
        OrMap::Map(m) => m.pool.clone(),
    }
}
