//! Cache-aside, driven by the caller: a server step `{cache_aside: {cache, store}}`.
//!
//! - A read asks the cache ([`CallDetail::CacheGet`]). On a hit the step is done. On a miss, or
//!   if the cache fails (a cache outage degrades to reading the store), it reads the store,
//!   then fills the cache with what it read ([`CallDetail::CacheFill`], with the version the
//!   store's reply carried) and waits for the cache's answer.
//! - A write goes to the store, then invalidates the cache's entry
//!   ([`CallDetail::CacheInvalidate`]): the standard "write the database, delete the cache"
//!   pattern.
//!
//! The step fails only if the store fails; a failed fill or invalidation is ignored, as an
//! application would (a failed invalidation leaves stale data behind, which the cache counts).
//!
//! Known race, visible in the cache's `stale_reads`: a reader misses and reads version v; a
//! writer writes v + 1 and invalidates the (absent) entry; the reader's fill then stores v,
//! which is served stale until it expires or is evicted. Hits between a write's
//! acknowledgement by the store and its invalidation are stale too.
//!
//! The step's progress needs no state in the server: which call a reply answers follows from
//! its callee (cache or store) and its detail.

use crate::engine::ComponentId;
use crate::model::support::call::{CallDetail, CallId, Carried, Request, ANY_INSTANCE};
use crate::model::{call, ModelSim};
use crate::stats::Outcome;

/// A cache-aside step: the cache and the store of record it caches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheAside {
    pub cache: ComponentId,
    pub store: ComponentId,
}

/// What a reply said, read before its call is closed.
#[derive(Clone, Copy, Debug)]
pub struct AsideReply {
    callee: ComponentId,
    detail: CallDetail,
    version: u64,
}

impl AsideReply {
    pub fn of(sim: &ModelSim, id: CallId) -> Self {
        let c = sim.world.calls.get(id);
        AsideReply {
            callee: c.callee,
            detail: c.detail,
            version: c.version,
        }
    }
}

/// Where a step stands after a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Another call of the step is on its way.
    Waiting,
    /// The step is over, with this outcome.
    Done(Outcome),
}

fn open(
    sim: &mut ModelSim,
    me: ComponentId,
    to: ComponentId,
    token: u64,
    request: Request,
    detail: CallDetail,
    version: u64,
) {
    let id = call(sim, me, to, token, request, ANY_INSTANCE);
    sim.world.calls.carry(id, Carried { detail, version });
}

impl CacheAside {
    /// Makes the step's first call; replies come back to `me` with `token`.
    pub fn start(&self, sim: &mut ModelSim, me: ComponentId, token: u64, request: Request) {
        if sim.world.is_write(&request) {
            open(sim, me, self.store, token, request, CallDetail::None, 0);
        } else {
            open(sim, me, self.cache, token, request, CallDetail::CacheGet, 0);
        }
    }

    /// Handles the reply to one of the step's calls, making the next call if there is one.
    pub fn on_reply(
        &self,
        answer: AsideReply,
        outcome: Outcome,
        sim: &mut ModelSim,
        me: ComponentId,
        token: u64,
        request: Request,
    ) -> Progress {
        let ok = outcome == Outcome::Succeeded;
        if answer.callee == self.store {
            if !ok {
                return Progress::Done(outcome);
            }
            let detail = if sim.world.is_write(&request) {
                CallDetail::CacheInvalidate
            } else {
                CallDetail::CacheFill
            };
            open(sim, me, self.cache, token, request, detail, answer.version);
            return Progress::Waiting;
        }
        match answer.detail {
            CallDetail::Hit | CallDetail::Stale if ok => Progress::Done(Outcome::Succeeded),
            CallDetail::CacheFill | CallDetail::CacheInvalidate => {
                Progress::Done(Outcome::Succeeded)
            }
            _ => {
                // A miss, or the cache failed: read the store.
                open(sim, me, self.store, token, request, CallDetail::None, 0);
                Progress::Waiting
            }
        }
    }
}
