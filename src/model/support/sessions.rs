//! Sessions of a server pool: where a logged-in user's session lives, and what a crash does to
//! it. This is the argument for a stateless web tier, made countable.
//!
//! Model:
//! - A client (the request's `client` id: a user) holds one session: the one its latest login
//!   created. A request that finds no session for its client logs in (a new session); if the
//!   client had logged in before, that is a **re-login**: its user was logged out.
//! - **Local sessions** (`sessions: local`): the session lives in the memory of the instance
//!   that served the login. A request served by another instance finds no session there and
//!   logs in again: without load-balancer affinity (`client_hash`), users are logged out
//!   again and again. When an instance crashes (or leaves the pool by scale-in), the sessions
//!   it held are **lost**: counted in `lost.sessions`, and their users in
//!   `lost.users_logged_out` (distinct users, over the run). With `idle_timeout`, a session
//!   not used for that long expires (it is not counted as lost).
//! - **Shared store** (`sessions: {store: NAME}`): every request first reads its session from
//!   the store, a round trip before its other calls. A cache store answers from its memory:
//!   a miss (a first visit, or a session the cache expired, evicted or lost in a crash) is a
//!   login, and the new session is written to the cache (a second round trip). A server pool
//!   store (a key-value service) always has the sessions it was given. A failing store fails
//!   the request. A web server crash loses nothing: the next request of its users, on another
//!   instance, finds the session in the store.
//!
//! Figures: `sessions` in the pool's summary (`store`, `logins`, `relogins`, `lost`,
//! `users_logged_out`, `active_at_end`); per window `<pool>.logins`, `<pool>.relogins` and
//! `<pool>.sessions_lost`.
//!
//! Tests: `tests/sessions.rs` (sticky sessions lose exactly the sessions of the crashed
//! instance, counted per distinct user; a shared store loses none; round robin with local
//! sessions logs users out on most requests).

use super::stats::{ComponentReport, WindowSeries};
use crate::engine::{ComponentId, SimDuration, SimTime};
use crate::model::figures::server::SessionsFigures;
use crate::model::support::key_map::KeyMap;
use crate::stats::Windows;

/// Session keys sit far above request keys (below 10^12), so a cache shared with data keeps
/// them apart.
pub const SESSION_KEY_BASE: u64 = 1 << 62;

/// The key under which a client's session is stored.
pub fn session_key(client: u32) -> u64 {
    SESSION_KEY_BASE | u64::from(client)
}

/// Where sessions live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStore {
    /// In the memory of the instance that served the login.
    Local,
    /// In a shared store; `remembers` when the store is a cache (it answers hit or miss).
    Shared { store: ComponentId, remembers: bool },
}

#[derive(Clone, Debug)]
pub struct SessionsConfig {
    pub store: SessionStore,
    /// Store name for the report ("local" for local sessions).
    pub store_name: String,
    /// Local sessions expire after this long without a request (default never).
    pub idle_timeout: Option<SimDuration>,
}

/// What a request found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Found,
    /// First visit: a new session.
    Login,
    /// The client had a session before: it must log in again.
    Relogin,
}

#[derive(Clone, Copy, Debug)]
struct Record {
    instance: u32,
    last_seen: SimTime,
    /// The session exists (not lost in a crash).
    alive: bool,
    /// The user has lost a session in a crash at least once.
    logged_out: bool,
    /// Shared store: a login's new session is on its way to the store.
    storing: bool,
}

pub struct Sessions {
    pub config: SessionsConfig,
    /// Client -> its session. Looked up per request, iterated only to count a crash's losses
    /// (order does not matter).
    records: KeyMap<u32, Record>,
    warmup_end: SimTime,
    logins: u64,
    relogins: u64,
    lost: u64,
    users_logged_out: u64,
    logins_w: Windows<f64>,
    relogins_w: Windows<f64>,
    lost_w: Windows<f64>,
}

impl Sessions {
    pub fn new(config: SessionsConfig, warmup_end: SimTime, window_ns: u64) -> Self {
        Sessions {
            config,
            records: KeyMap::default(),
            warmup_end,
            logins: 0,
            relogins: 0,
            lost: 0,
            users_logged_out: 0,
            logins_w: Windows::new(window_ns),
            relogins_w: Windows::new(window_ns),
            lost_w: Windows::new(window_ns),
        }
    }

    pub fn is_local(&self) -> bool {
        self.config.store == SessionStore::Local
    }

    fn expired(&self, r: &Record, now: SimTime) -> bool {
        self.config
            .idle_timeout
            .is_some_and(|t| now.since(r.last_seen) >= t)
    }

    fn count(&mut self, access: Access, now: SimTime) -> Access {
        let measured = now >= self.warmup_end;
        match access {
            Access::Found => {}
            Access::Login => {
                *self.logins_w.at(now) += 1.0;
                self.logins += u64::from(measured);
            }
            Access::Relogin => {
                *self.relogins_w.at(now) += 1.0;
                self.relogins += u64::from(measured);
            }
        }
        access
    }

    /// Local sessions: a request of `client` starts on instance `instance`.
    pub fn local_access(&mut self, client: u32, instance: u32, now: SimTime) -> Access {
        let access = match self.records.get(&client).copied() {
            None => Access::Login,
            Some(r) if r.alive && r.instance == instance && !self.expired(&r, now) => Access::Found,
            Some(_) => Access::Relogin,
        };
        let r = self.records.entry(client).or_insert(Record {
            instance,
            last_seen: now,
            alive: true,
            logged_out: false,
            storing: false,
        });
        r.instance = instance;
        r.last_seen = now;
        r.alive = true;
        self.count(access, now)
    }

    /// Shared store: the store answered; `found` is the cache's hit or miss, `None` for a
    /// store without memory limits (it has every session it was given).
    pub fn shared_access(&mut self, client: u32, found: Option<bool>, now: SimTime) -> Access {
        let record = self.records.get(&client).copied();
        let access = match (found, record) {
            (Some(true), _) | (None, Some(_)) => Access::Found,
            // A second request of a client whose login is being stored joins that login.
            (Some(false), Some(r)) if r.storing => Access::Found,
            (_, None) => Access::Login,
            (Some(false), Some(_)) => Access::Relogin,
        };
        let r = self.records.entry(client).or_insert(Record {
            instance: u32::MAX,
            last_seen: now,
            alive: true,
            logged_out: false,
            storing: false,
        });
        r.last_seen = now;
        if found.is_some() && access != Access::Found {
            r.storing = true;
        }
        self.count(access, now)
    }

    /// Shared store: the store has answered the write of `client`'s new session.
    pub fn stored(&mut self, client: u32) {
        if let Some(r) = self.records.get_mut(&client) {
            r.storing = false;
        }
    }

    /// Instance `instance` lost its memory (a crash, or it left the pool): the local sessions
    /// it held are lost. Counted whatever the warm-up: losses always matter.
    pub fn instance_lost(&mut self, instance: u32, now: SimTime) {
        if !self.is_local() {
            return;
        }
        let idle_timeout = self.config.idle_timeout;
        let (mut lost, mut users) = (0, 0);
        for r in self.records.values_mut() {
            let expired = idle_timeout.is_some_and(|t| now.since(r.last_seen) >= t);
            if r.alive && r.instance == instance && !expired {
                r.alive = false;
                lost += 1;
                if !r.logged_out {
                    r.logged_out = true;
                    users += 1;
                }
            }
        }
        self.lost += lost;
        self.users_logged_out += users;
        if lost > 0 {
            *self.lost_w.at(now) += lost as f64;
        }
    }

    fn active(&self, now: SimTime) -> u64 {
        self.records
            .values()
            .filter(|r| r.alive && !self.expired(r, now))
            .count() as u64
    }

    /// Adds the pool's lost sessions and its session windows to `report`; returns its
    /// `sessions` figures.
    pub fn report(&self, report: &mut ComponentReport, end: SimTime) -> SessionsFigures {
        report.lost.insert("sessions", self.lost);
        report
            .lost
            .insert("users_logged_out", self.users_logged_out);
        for (name, w) in [
            ("logins", &self.logins_w),
            ("relogins", &self.relogins_w),
            ("sessions_lost", &self.lost_w),
        ] {
            report
                .extra_windows
                .push((name.to_string(), WindowSeries::Count(w.clone())));
        }
        SessionsFigures {
            store: self.config.store_name.clone(),
            logins: self.logins,
            relogins: self.relogins,
            lost: self.lost,
            users_logged_out: self.users_logged_out,
            active_at_end: self.active(end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Sessions {
        let config = SessionsConfig {
            store: SessionStore::Local,
            store_name: "local".into(),
            idle_timeout: Some(SimDuration::from_secs(10)),
        };
        Sessions::new(config, SimTime::ZERO, 1_000_000_000)
    }

    fn at(s: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_secs(s)
    }

    #[test]
    fn local_sessions_follow_their_instance() {
        let mut s = local();
        assert_eq!(s.local_access(7, 0, at(0)), Access::Login);
        assert_eq!(s.local_access(7, 0, at(1)), Access::Found);
        // Another instance has no session for it.
        assert_eq!(s.local_access(7, 1, at(2)), Access::Relogin);
        assert_eq!(s.local_access(7, 1, at(3)), Access::Found);
        // Idle for the timeout: expired, not lost.
        assert_eq!(s.local_access(7, 1, at(13)), Access::Relogin);
        s.instance_lost(0, at(14));
        assert_eq!(s.lost, 0, "its session is on instance 1");
    }

    #[test]
    fn a_crash_loses_the_live_sessions_of_its_instance_and_counts_users_once() {
        let mut s = local();
        s.local_access(1, 0, at(0));
        s.local_access(2, 0, at(0));
        s.local_access(3, 1, at(0));
        s.local_access(4, 0, at(0));
        s.local_access(4, 0, at(0));
        s.instance_lost(0, at(5));
        assert_eq!((s.lost, s.users_logged_out), (3, 3));
        // Lost again on the next instance: two more sessions, no new user.
        assert_eq!(s.local_access(1, 1, at(6)), Access::Relogin);
        assert_eq!(s.local_access(2, 1, at(6)), Access::Relogin);
        s.instance_lost(1, at(7));
        assert_eq!((s.lost, s.users_logged_out), (6, 4));
        // An expired session is not lost.
        s.local_access(9, 2, at(8));
        s.instance_lost(2, at(30));
        assert_eq!(s.lost, 6);
    }

    #[test]
    fn a_shared_store_tells_logins_from_relogins() {
        let config = SessionsConfig {
            store: SessionStore::Shared {
                store: ComponentId(0),
                remembers: true,
            },
            store_name: "sessions".into(),
            idle_timeout: None,
        };
        let mut s = Sessions::new(config, SimTime::ZERO, 1_000_000_000);
        assert_eq!(s.shared_access(1, Some(false), at(0)), Access::Login);
        // Before its session is stored, the client's next request joins the login.
        assert_eq!(s.shared_access(1, Some(false), at(0)), Access::Found);
        s.stored(1);
        assert_eq!(s.shared_access(1, Some(true), at(1)), Access::Found);
        assert_eq!(s.shared_access(1, Some(false), at(2)), Access::Relogin);
        s.stored(1);
        assert_eq!(s.shared_access(2, None, at(2)), Access::Login);
        assert_eq!(s.shared_access(2, None, at(3)), Access::Found);
        s.instance_lost(0, at(4));
        assert_eq!(s.lost, 0);
    }
}
