//! Rate limiters and their rules.

use super::checker::*;
use crate::model::rate_limiter::algorithms::{Algorithm as LimitAlgorithm, KeyBy, Rule};
use crate::model::rate_limiter::{RateLimiterConfig, StoreFailure};

/// Limiter nodes: each keeps its own counters and statistics.
const MAX_LIMITER_INSTANCES: u64 = 1000;
/// A limit this large is no limit; a bigger one would only cost memory in the sliding log.
const MAX_LIMIT: u64 = 1_000_000;

pub(super) fn check_rate_limiter(
    c: &mut Checker,
    spec: &raw::RateLimiterSpec,
) -> Option<RateLimiterConfig> {
    let errors_before = c.errors.len();
    let instances = match &spec.instances {
        Some(n) => c.int_in(
            n,
            "instances",
            1,
            MAX_LIMITER_INSTANCES,
            "each limiter node keeps its own counters",
        ),
        None => Some(1),
    };
    if spec.rules.value.is_empty() {
        c.error_help(
            spec.rules.loc,
            "a rate limiter needs at least one rule",
            "e.g. rules: [{algorithm: token_bucket, limit: 5, per: 1s, key: client}]",
        );
    }
    let mut rules: Vec<Rule> = Vec::new();
    let mut names: Vec<(String, Loc)> = Vec::new();
    let mut leaking: Option<Loc> = None;
    for r in &spec.rules.value {
        let algorithm = match LimitAlgorithm::from_name(&r.algorithm.value) {
            Some(a) => Some(a),
            None => {
                let help = suggestion(&r.algorithm.value, LimitAlgorithm::NAMES.iter().copied());
                c.error_help(
                    r.algorithm.loc,
                    format!("unknown rate-limiting algorithm '{}'", r.algorithm.value),
                    help,
                );
                None
            }
        };
        let limit = c.int_in(
            &r.limit,
            "limit",
            1,
            MAX_LIMIT,
            "a limit this large never refuses anything",
        );
        let per = match &r.per {
            Some(p) => c.positive_duration(p, "per"),
            None => Some(SimDuration::from_secs(1)),
        };
        let burst = match &r.burst {
            Some(b) => {
                if algorithm.is_some_and(|a| {
                    !matches!(
                        a,
                        LimitAlgorithm::TokenBucket | LimitAlgorithm::LeakingBucket
                    )
                }) {
                    c.error_help(
                        b.loc,
                        format!("'burst' does not apply to {}", r.algorithm.value),
                        "burst is the capacity of a token_bucket or the queue of a leaking_bucket",
                    );
                }
                c.int_in(b, "burst", 1, MAX_LIMIT, "use a smaller burst")
            }
            None => limit,
        };
        let key_by = match &r.key {
            None => Some(KeyBy::Client),
            Some(k) => {
                let key = KeyBy::from_name(&k.value);
                if key.is_none() {
                    let help = suggestion(&k.value, KeyBy::NAMES.iter().copied());
                    c.error_help(k.loc, format!("unknown rate-limit key '{}'", k.value), help);
                }
                key
            }
        };
        let mut types = Vec::new();
        if let Some(list) = &r.types {
            if list.is_empty() {
                c.error_help(
                    r.algorithm.loc,
                    "the rule's 'types' list is empty: it would limit nothing",
                    "list request types, or remove 'types' to limit every type",
                );
            }
            types = vec![false; c.request_types.len()];
            for t in list {
                if let Some(kind) = c.request_type(t) {
                    types[kind as usize] = true;
                }
            }
        }
        if algorithm == Some(LimitAlgorithm::LeakingBucket) {
            if let Some(first) = leaking {
                c.error_help(
                    r.algorithm.loc,
                    "a rate limiter can have only one leaking_bucket rule",
                    format!(
                        "the first is at line {}; two queues in a row would not compose; use another limiter",
                        first.line
                    ),
                );
            }
            leaking = Some(r.algorithm.loc);
        }
        let (name, name_loc) = match &r.name {
            Some(n) => {
                if !valid_name(&n.value) {
                    c.error_help(
                        n.loc,
                        format!("'{}' is not a valid rule name", n.value),
                        "names start with a letter or digit and contain only letters, digits, '-' and '_'",
                    );
                }
                (n.value.clone(), n.loc)
            }
            None => (
                format!(
                    "{}-{}",
                    key_by.map_or("client", KeyBy::name),
                    r.algorithm.value
                ),
                r.algorithm.loc,
            ),
        };
        if let Some((_, first)) = names.iter().find(|(n, _)| *n == name) {
            c.error_help(
                name_loc,
                format!("two rules are named '{name}'"),
                format!(
                    "the first is at line {}; give each rule a distinct 'name'",
                    first.line
                ),
            );
        }
        names.push((name.clone(), name_loc));
        if let (Some(algorithm), Some(limit), Some(per), Some(burst), Some(key_by)) =
            (algorithm, limit, per, burst, key_by)
        {
            rules.push(Rule {
                name,
                algorithm,
                limit: limit as u32,
                per,
                burst: burst as u32,
                key_by,
                types,
            });
        }
    }
    let downstream = spec
        .downstream
        .as_ref()
        .and_then(|d| c.reference(d, "downstream", Use::Call));
    if let Some(d) = &spec.downstream {
        if d.value == spec.name.value {
            c.error(d.loc, "a rate limiter cannot forward to itself");
        }
    }
    let store = spec
        .store
        .as_ref()
        .and_then(|s| c.reference(s, "counter store", Use::Among(&[Kind::Server])));
    let on_store_failure = match &spec.on_store_failure {
        None => Some(StoreFailure::Open),
        Some(f) => {
            if spec.store.is_none() {
                c.error_help(
                    f.loc,
                    "on_store_failure only applies with a shared counter 'store'",
                    "add store: <server pool>, or remove on_store_failure",
                );
            }
            match f.value.as_str() {
                "open" => Some(StoreFailure::Open),
                "closed" => Some(StoreFailure::Closed),
                other => {
                    let help = suggestion(other, ["open", "closed"]);
                    c.error_help(
                        f.loc,
                        format!("on_store_failure must be open or closed, got '{other}'"),
                        help,
                    );
                    None
                }
            }
        }
    };
    if c.errors.len() > errors_before {
        return None;
    }
    Some(RateLimiterConfig {
        name: spec.name.value.clone(),
        instances: instances? as u32,
        rules,
        downstream,
        store,
        on_store_failure: on_store_failure?,
    })
}
