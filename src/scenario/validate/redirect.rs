//! Redirect answers (`per_type.<type>.redirect`) and the browser caches of traffic sources.

use super::checker::*;
use crate::model::client_cache::ClientCacheConfig;

/// Redirect statuses a server may answer with.
const STATUSES: [u64; 2] = [301, 302];

/// What a request type's `redirect` and `max_age` say: `Some(max_age)` for a 301 the client
/// may keep (`SimDuration::MAX`: for ever), `None` for a 302 or no redirect. Also returns
/// whether a redirect was given at all.
pub(super) fn check_redirect(
    c: &mut Checker,
    type_name: &At<String>,
    over: &raw::TypeOverride,
) -> (Option<SimDuration>, bool) {
    let max_age = over
        .max_age
        .as_ref()
        .and_then(|d| c.positive_duration(d, &format!("max_age of '{}'", type_name.value)));
    let Some(status) = &over.redirect else {
        if let Some(d) = &over.max_age {
            c.error_help(
                d.loc,
                format!("max_age of '{}' needs 'redirect: 301'", type_name.value),
                "only a permanent redirect (301) is kept by the client",
            );
        }
        return (None, false);
    };
    match status.value {
        301 => (Some(max_age.unwrap_or(SimDuration::MAX)), true),
        302 => {
            if let Some(d) = &over.max_age {
                c.error_help(
                    d.loc,
                    format!(
                        "max_age of '{}' does not apply to a 302: a temporary redirect is never cached",
                        type_name.value
                    ),
                    "use 'redirect: 301' to let clients keep the answer",
                );
            }
            (None, true)
        }
        other => {
            let help = match other {
                307 => "307 is a temporary redirect like 302: write 302".to_string(),
                308 => "308 is a permanent redirect like 301: write 301".to_string(),
                _ => format!(
                    "expected one of: {}",
                    STATUSES.map(|s| s.to_string()).join(", ")
                ),
            };
            c.error_help(
                status.loc,
                format!(
                    "redirect of '{}' must be 301 or 302, got {other}",
                    type_name.value
                ),
                help,
            );
            (None, true)
        }
    }
}

/// A traffic source's `client_cache` section.
pub(super) fn check_client_cache(
    c: &mut Checker,
    spec: &At<raw::ClientCacheSpec>,
) -> Option<ClientCacheConfig> {
    let capacity = match &spec.value.capacity {
        Some(n) => Some(c.int_in(
            n,
            "client_cache.capacity",
            1,
            u64::from(u32::MAX),
            "a browser keeps a bounded number of entries",
        )? as u32),
        None => None,
    };
    Some(ClientCacheConfig { capacity })
}

/// Sources get a browser cache (without a per-client limit) when some server answers with a
/// redirect and they have none configured, so that both a 301 and a 302 design report clicks.
pub(super) fn enable_client_caches(components: &mut [(String, ComponentPlan)], redirects: bool) {
    if !redirects {
        return;
    }
    for (_, plan) in components.iter_mut() {
        if let ComponentPlan::Source(s) = plan {
            s.client_cache
                .get_or_insert(ClientCacheConfig { capacity: None });
        }
    }
}
