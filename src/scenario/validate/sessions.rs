//! A server pool's sessions: local or in a shared store.

use super::checker::*;
use crate::model::sessions::{SessionStore, SessionsConfig};

/// `Some(None)`: no sessions; `None`: an error was reported.
pub(super) fn check_sessions(
    c: &mut Checker,
    s: &raw::ServerSpec,
) -> Option<Option<SessionsConfig>> {
    let Some(spec) = &s.sessions else {
        return Some(None);
    };
    let local = SessionsConfig {
        store: SessionStore::Local,
        store_name: "local".into(),
        idle_timeout: None,
    };
    let map = match &spec.value {
        OrMap::Scalar(word) if word.0 == "local" => return Some(Some(local)),
        OrMap::Scalar(word) => {
            let help = match suggestion(&word.0, ["local"]) {
                h if h.starts_with("did you mean") => h,
                _ => "write sessions: local, or sessions: {store: <cache or pool>}".to_string(),
            };
            c.error_help(
                spec.loc,
                format!("sessions: '{}' is neither 'local' nor a map", word.0),
                help,
            );
            return None;
        }
        OrMap::Map(map) => map,
    };
    let idle_timeout = match &map.idle_timeout {
        Some(d) => Some(c.positive_duration(d, "sessions.idle_timeout")?),
        None => None,
    };
    let Some(name) = &map.store else {
        return Some(Some(SessionsConfig {
            idle_timeout,
            ..local
        }));
    };
    if let Some(d) = &map.idle_timeout {
        c.error_help(
            d.loc,
            "idle_timeout applies to local sessions only",
            format!(
                "sessions in '{}' expire as the store says: give the cache a ttl or idle_ttl",
                name.value
            ),
        );
        return None;
    }
    if name.value == s.name.value {
        c.error_help(
            name.loc,
            format!("'{}' cannot be its own session store", name.value),
            "name a cache or another server pool",
        );
        return None;
    }
    let store = c.reference(
        name,
        "session store",
        Use::Among(&[Kind::Cache, Kind::Server]),
    )?;
    let remembers = c
        .names
        .get(&name.value)
        .is_some_and(|(_, role, _)| *role == Kind::Cache);
    Some(Some(SessionsConfig {
        store: SessionStore::Shared { store, remembers },
        store_name: name.value.clone(),
        idle_timeout: None,
    }))
}
