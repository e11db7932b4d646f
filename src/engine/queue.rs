//! The pending-event set.
//!
//! # Ordering contract
//! Events are delivered in increasing `(time, seq)` order, where `seq` is the order in which they
//! were scheduled. Two events at the same instant are therefore delivered in the order they were
//! scheduled, on every machine and in every run: this is what makes runs reproducible.
//!
//! Events scheduled for the current instant skip the heap and go to a FIFO "now lane". This keeps
//! the contract: any heap event at the current instant was scheduled before the clock reached it,
//! so it has a smaller `seq` than every now-lane event and is delivered first.

use std::collections::VecDeque;

use super::time::SimTime;

/// Index of a component in the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComponentId(pub u32);

impl ComponentId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// An event being delivered.
#[derive(Debug)]
pub struct Event<M> {
    pub time: SimTime,
    pub target: ComponentId,
    pub msg: M,
}

/// What [`EventQueue::pop_until`] found.
pub enum Next<M> {
    Event(Event<M>),
    /// The next event is after the limit; it stays queued.
    Later,
    /// No event is left.
    Empty,
}

/// A heap entry: the ordering key and where the event's target and message wait.
///
/// Keys and payloads are kept apart so that sifting moves three words, whatever the message
/// type; the payload is written once when scheduled and read once when delivered.
///
/// Every field is a full word: a padded field would be read back wider than it was written,
/// which defeats the processor's store-to-load forwarding on the hot path.
#[derive(Clone, Copy)]
struct Key {
    time: SimTime,
    seq: u64,
    slot: u64,
}

impl Key {
    /// `(time, seq) < (other.time, other.seq)`, as one 128-bit comparison: no branch for the
    /// processor to mispredict while sifting.
    #[inline]
    fn before(&self, other: &Key) -> bool {
        self.order() < other.order()
    }

    #[inline]
    fn order(&self) -> u128 {
        (u128::from(self.time.as_nanos()) << 64) | u128::from(self.seq)
    }
}

/// Pending events ordered by `(time, seq)`.
///
/// A binary min-heap of [`Key`]s over a slab of payloads, plus the now lane. Written here
/// rather than with `std::collections::BinaryHeap` so that heap entries stay small and plain.
pub struct EventQueue<M> {
    heap: Vec<Key>,
    payloads: Vec<(ComponentId, M)>,
    free_slots: Vec<u64>,
    now_lane: VecDeque<(ComponentId, M)>,
    now: SimTime,
    next_seq: u64,
}

impl<M: Copy> Default for EventQueue<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Copy> EventQueue<M> {
    pub fn new() -> Self {
        EventQueue {
            heap: Vec::new(),
            payloads: Vec::new(),
            free_slots: Vec::new(),
            now_lane: VecDeque::new(),
            now: SimTime::ZERO,
            next_seq: 0,
        }
    }

    /// The instant of the event delivered last.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `msg` for `target` at `time`. Times in the past are delivered at the current
    /// instant: the engine never moves backwards.
    ///
    /// Always inlined, so that the caller builds the message where it is stored: a message
    /// built on the stack in narrow pieces and then copied whole stalls the processor's
    /// store-to-load forwarding (measured at about a tenth of the M/M/1 benchmark's time).
    #[inline(always)]
    pub fn push(&mut self, time: SimTime, target: ComponentId, msg: M) {
        if time <= self.now {
            // Now-lane events need no sequence number: the lane is FIFO, and every heap event
            // at this instant was scheduled before any of them.
            self.now_lane.push_back((target, msg));
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                self.payloads[slot as usize] = (target, msg);
                slot
            }
            None => {
                self.payloads.push((target, msg));
                self.payloads.len() as u64 - 1
            }
        };
        self.sift_up(time, seq, slot);
    }

    /// Adds a key at the end of the heap and moves it up to its place. The key comes in
    /// registers, for the same reason as [`EventQueue::push`] is inlined.
    #[inline(never)]
    fn sift_up(&mut self, time: SimTime, seq: u64, slot: u64) {
        let key = Key { time, seq, slot };
        let hole = self.heap.len();
        self.heap.push(key);
        self.rise(hole, key);
    }

    /// Puts `key` in the hole at `hole`, moving the hole up past every parent that comes after
    /// `key`.
    #[inline(always)]
    fn rise(&mut self, mut hole: usize, key: Key) {
        while hole > 0 {
            let parent = (hole - 1) / 2;
            if !key.before(&self.heap[parent]) {
                break;
            }
            self.heap[hole] = self.heap[parent];
            hole = parent;
        }
        self.heap[hole] = key;
    }

    /// Removes the heap's first key (the heap must not be empty) and returns its event.
    #[inline(always)]
    fn pop_heap(&mut self) -> Event<M> {
        let top = self.heap[0];
        if let Some(last) = self.heap.pop() {
            if !self.heap.is_empty() {
                self.sift_down(last);
            }
        }
        let (target, msg) = self.payloads[top.slot as usize];
        self.free_slots.push(top.slot);
        self.now = top.time;
        Event {
            time: top.time,
            target,
            msg,
        }
    }

    /// Puts `key` in the hole at the root: the hole first sinks to the bottom along the
    /// smaller children, then `key` rises from there (Floyd's variant: the key taken from the
    /// end of the heap usually belongs near the bottom, so this saves a comparison per level).
    #[inline(always)]
    fn sift_down(&mut self, key: Key) {
        let len = self.heap.len();
        let mut hole = 0;
        let mut child = 1;
        while child + 1 < len {
            if self.heap[child + 1].before(&self.heap[child]) {
                child += 1;
            }
            self.heap[hole] = self.heap[child];
            hole = child;
            child = 2 * hole + 1;
        }
        if child + 1 == len {
            self.heap[hole] = self.heap[child];
            hole = child;
        }
        self.rise(hole, key);
    }

    /// Removes and returns the next event, advancing the clock to its time.
    pub fn pop(&mut self) -> Option<Event<M>> {
        match self.pop_until(SimTime::NEVER) {
            Next::Event(event) => Some(event),
            Next::Later | Next::Empty => None,
        }
    }

    /// Removes and returns the next event if it is due at or before `until` (advancing the
    /// clock to its time); otherwise says why not.
    #[inline]
    pub fn pop_until(&mut self, until: SimTime) -> Next<M> {
        if let Some(top) = self.heap.first() {
            // A heap event at the current instant was scheduled before every now-lane event.
            if top.time == self.now || self.now_lane.is_empty() {
                if top.time > until {
                    return Next::Later;
                }
                return Next::Event(self.pop_heap());
            }
        }
        // Now-lane events are at the current instant, which is never after `until`: it is the
        // time of an event already delivered (or zero).
        match self.now_lane.front() {
            Some(_) if self.now > until => Next::Later,
            Some(_) => match self.now_lane.pop_front() {
                Some((target, msg)) => Next::Event(Event {
                    time: self.now,
                    target,
                    msg,
                }),
                None => Next::Empty,
            },
            None => Next::Empty,
        }
    }

    /// Time of the next event, without removing it.
    pub fn peek_time(&self) -> Option<SimTime> {
        if !self.now_lane.is_empty() {
            return Some(self.now);
        }
        self.heap.first().map(|key| key.time)
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.now_lane.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut EventQueue<u32>) -> Vec<(u64, u32)> {
        std::iter::from_fn(|| q.pop().map(|e| (e.time.as_nanos(), e.msg))).collect()
    }

    #[test]
    fn events_come_out_in_time_order() {
        let mut q = EventQueue::new();
        for (t, m) in [(30, 0), (10, 1), (20, 2), (5, 3)] {
            q.push(SimTime::from_nanos(t), ComponentId(0), m);
        }
        assert_eq!(drain(&mut q), vec![(5, 3), (10, 1), (20, 2), (30, 0)]);
    }

    #[test]
    fn ties_come_out_in_scheduling_order() {
        let mut q = EventQueue::new();
        for m in 0..100 {
            q.push(SimTime::from_nanos(7), ComponentId(0), m);
        }
        let order: Vec<u32> = drain(&mut q).into_iter().map(|(_, m)| m).collect();
        assert_eq!(order, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn now_lane_never_overtakes_earlier_scheduled_heap_events() {
        let mut q = EventQueue::new();
        q.push(SimTime::from_nanos(10), ComponentId(0), 1);
        q.push(SimTime::from_nanos(10), ComponentId(0), 2);
        let first = q.pop().map(|e| e.msg);
        assert_eq!(first, Some(1));
        // Scheduled at the current instant (10): must come after event 2, scheduled earlier.
        q.push(SimTime::from_nanos(10), ComponentId(0), 3);
        q.push(SimTime::from_nanos(11), ComponentId(0), 4);
        assert_eq!(drain(&mut q), vec![(10, 2), (10, 3), (11, 4)]);
    }

    #[test]
    fn pop_until_stops_at_the_limit_and_keeps_the_order() {
        let mut q = EventQueue::new();
        for (t, m) in [(10, 1), (10, 2), (30, 3)] {
            q.push(SimTime::from_nanos(t), ComponentId(0), m);
        }
        let limit = SimTime::from_nanos(20);
        let next = |q: &mut EventQueue<u32>| match q.pop_until(limit) {
            Next::Event(e) => Some((e.time.as_nanos(), e.msg)),
            Next::Later => None,
            Next::Empty => Some((0, 0)),
        };
        assert_eq!(next(&mut q), Some((10, 1)));
        // Scheduled at the current instant: after event 2, which was scheduled earlier.
        q.push(SimTime::from_nanos(10), ComponentId(0), 4);
        assert_eq!(next(&mut q), Some((10, 2)));
        assert_eq!(next(&mut q), Some((10, 4)));
        assert_eq!(next(&mut q), None, "event 3 is after the limit");
        assert_eq!(q.len(), 1, "and stays queued");
        assert_eq!(q.pop().map(|e| e.msg), Some(3));
        assert!(matches!(q.pop_until(limit), Next::Empty));
    }

    #[test]
    fn past_times_are_clamped_to_now() {
        let mut q = EventQueue::new();
        q.push(SimTime::from_nanos(50), ComponentId(0), 1);
        q.pop();
        q.push(SimTime::from_nanos(3), ComponentId(0), 2);
        assert_eq!(drain(&mut q), vec![(50, 2)]);
    }

    #[test]
    fn matches_a_sorted_reference_on_random_schedules() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut q = EventQueue::new();
        let mut reference = Vec::new();
        let mut delivered = Vec::new();
        let mut seq = 0u32;
        for _ in 0..2000 {
            if rng.random_bool(0.6) || q.is_empty() {
                let t = q.now().as_nanos() + rng.random_range(0..5);
                q.push(SimTime::from_nanos(t), ComponentId(0), seq);
                reference.push((t, seq));
                seq += 1;
            } else if let Some(e) = q.pop() {
                delivered.push((e.time.as_nanos(), e.msg));
            }
        }
        delivered.extend(drain(&mut q));
        reference.sort();
        assert_eq!(delivered, reference);
    }
}
