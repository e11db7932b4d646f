//! Requests and calls.
//!
//! A *request* is what a client sends: it has a type, a client, a key and a birth time. A *call*
//! is one hop of a request between two components: the load balancer's call to a web server, the
//! web server's call to the database. Calls live in a slab ([`CallTable`]) so that events carry
//! only a small [`CallId`]; a slot is reused after the caller has read the reply, and a generation
//! number lets timers recognise a slot that has been reused since they were set.

use super::slab::{Generational, Slab};
use crate::engine::{ComponentId, SimDuration, SimTime};
use crate::stats::Outcome;

/// The attributes of a request, copied into every call made on its behalf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// Unique per run, in order of creation.
    pub id: u64,
    /// Index into the scenario's request types.
    pub kind: u16,
    /// Index into the scenario's client regions.
    pub region: u16,
    pub client: u32,
    /// Popularity rank of the key (0 is the most popular).
    pub key: u64,
    /// When the client sent it.
    pub born: SimTime,
    /// The request's row in the latency breakdown ([`super::breakdown::NO_SLOT`] if none).
    pub slot: u32,
}

/// What a call asks of its callee, or what the callee answered, beyond the request itself.
///
/// The caller sets one of the first group when it opens the call (a plain call is served as the
/// request's type says); a cache sets one of the second group before it replies. Load balancers
/// pass details through in both directions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CallDetail {
    /// A plain call.
    #[default]
    None,
    /// Cache-aside: look the key up; do not load it on a miss.
    CacheGet,
    /// Cache-aside: store the value read from the store (its version is in [`Call::version`]).
    CacheFill,
    /// Cache-aside: remove the key.
    CacheInvalidate,
    /// Answered from the cache with the latest version.
    Hit,
    /// Answered from the cache with a version older than the latest acknowledged write.
    Stale,
    /// Not in the cache.
    Miss,
    /// Refused by a rate limiter (HTTP 429): the client may try again after this long.
    RetryAfter(SimDuration),
    /// A permanent redirect (HTTP 301): the client may keep the answer this long
    /// (`SimDuration::MAX`: for ever) and answer repeat clicks itself (see
    /// [`super::client_cache`]).
    Cacheable(SimDuration),
}

impl CallDetail {
    /// Whether a cache answered from its memory.
    pub fn is_hit(self) -> bool {
        matches!(self, CallDetail::Hit | CallDetail::Stale)
    }
}

/// What a call carries besides its request: its detail and the version of the data. Relays
/// (load balancers, DNS, rate limiters) are transparent to both: they copy them from the call
/// they received to the one they forward, and from the reply back to their caller's call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Carried {
    pub detail: CallDetail,
    pub version: u64,
}

/// No preferred instance: the callee picks one.
pub const ANY_INSTANCE: u32 = u32::MAX;

/// One hop of a request.
#[derive(Clone, Debug)]
pub struct Call {
    generation: u32,
    /// False once the slot is back on the free list.
    open: bool,
    pub caller: ComponentId,
    pub callee: ComponentId,
    /// The caller's bookkeeping, returned untouched with the reply.
    pub token: u64,
    pub request: Request,
    /// Instance of the callee chosen by a load balancer, or [`ANY_INSTANCE`].
    pub instance: u32,
    pub outcome: Outcome,
    /// The caller gave up waiting (a timeout): the reply will be dropped.
    pub abandoned: bool,
    /// A reply has been sent (or dropped) for this call.
    pub replied: bool,
    pub detail: CallDetail,
    /// Version of the key's data the call carries: set by a versioned store when it answers
    /// (see [`super::versions`]) and by a cache-aside caller on a fill.
    pub version: u64,
    /// When the caller sent it, when it reached the callee, when a worker took it up (the
    /// callee sets this when it queues calls; otherwise it stays at `arrived`) and when the
    /// callee answered: the latency breakdown's instants (see [`super::breakdown`]).
    pub opened: SimTime,
    pub arrived: SimTime,
    pub started: SimTime,
    pub answered: SimTime,
    /// The instance that served it, where the callee says ([`ANY_INSTANCE`] otherwise).
    pub served_by: u32,
}

impl Generational for Call {
    fn generation_mut(&mut self) -> &mut u32 {
        &mut self.generation
    }
}

/// Index of a live call in the [`CallTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallId(pub u32);

/// A call id plus the generation it had when the id was taken: survives slot reuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallHandle {
    pub id: CallId,
    pub generation: u32,
}

/// Slab of live calls.
#[derive(Default)]
pub struct CallTable {
    slots: Slab<Call>,
    live: usize,
    peak: usize,
}

impl CallTable {
    pub fn open(
        &mut self,
        caller: ComponentId,
        callee: ComponentId,
        token: u64,
        request: Request,
        instance: u32,
    ) -> CallId {
        self.live += 1;
        self.peak = self.peak.max(self.live);
        let index = self.slots.insert_next_generation(Call {
            generation: 0,
            open: true,
            caller,
            callee,
            token,
            request,
            instance,
            outcome: Outcome::Succeeded,
            abandoned: false,
            replied: false,
            detail: CallDetail::None,
            version: 0,
            opened: SimTime::ZERO,
            arrived: SimTime::ZERO,
            started: SimTime::ZERO,
            answered: SimTime::ZERO,
            served_by: ANY_INSTANCE,
        });
        CallId(index)
    }

    pub fn get(&self, id: CallId) -> &Call {
        &self.slots[id.0 as usize]
    }

    pub fn get_mut(&mut self, id: CallId) -> &mut Call {
        &mut self.slots[id.0 as usize]
    }

    /// What call `id` carries besides its request.
    pub fn carried(&self, id: CallId) -> Carried {
        let call = self.get(id);
        Carried {
            detail: call.detail,
            version: call.version,
        }
    }

    /// Sets what call `id` carries besides its request.
    pub fn carry(&mut self, id: CallId, carried: Carried) {
        let call = self.get_mut(id);
        call.detail = carried.detail;
        call.version = carried.version;
    }

    pub fn handle(&self, id: CallId) -> CallHandle {
        CallHandle {
            id,
            generation: self.get(id).generation,
        }
    }

    /// The call behind `handle`, if its slot has not been reused since.
    pub fn resolve(&self, handle: CallHandle) -> Option<&Call> {
        self.slots
            .get(handle.id.0 as usize)
            .filter(|c| c.open && c.generation == handle.generation)
    }

    /// Releases a call's slot.
    pub fn close(&mut self, id: CallId) {
        let slot = &mut self.slots[id.0 as usize];
        if !slot.open {
            return;
        }
        slot.open = false;
        self.live -= 1;
        self.slots.release(id.0);
    }

    /// The calls open now, in slot order.
    pub fn open_calls(&self) -> impl Iterator<Item = &Call> {
        self.slots.iter().filter(|c| c.open)
    }

    /// Calls currently open.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Most calls open at once during the run.
    pub fn peak(&self) -> usize {
        self.peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            id: 1,
            kind: 0,
            region: 0,
            client: 0,
            key: 0,
            born: SimTime::ZERO,
            slot: crate::model::breakdown::NO_SLOT,
        }
    }

    #[test]
    fn slots_are_reused_and_stale_handles_do_not_resolve() {
        let mut table = CallTable::default();
        let a = table.open(ComponentId(0), ComponentId(1), 7, request(), ANY_INSTANCE);
        let handle = table.handle(a);
        assert_eq!(table.resolve(handle).map(|c| c.token), Some(7));
        table.close(a);
        assert!(table.resolve(handle).is_none());
        let b = table.open(ComponentId(0), ComponentId(1), 8, request(), ANY_INSTANCE);
        assert_eq!(a, b, "slot reused");
        assert!(
            table.resolve(handle).is_none(),
            "old generation must not see the new call"
        );
        assert_eq!(table.live(), 1);
        assert_eq!(table.peak(), 1);
    }

    #[test]
    fn closing_twice_is_harmless() {
        let mut table = CallTable::default();
        let a = table.open(ComponentId(0), ComponentId(1), 0, request(), ANY_INSTANCE);
        table.close(a);
        table.close(a);
        assert_eq!(table.live(), 0);
    }
}
