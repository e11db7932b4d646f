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

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use super::time::SimTime;

/// Index of a component in the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComponentId(pub u32);

impl ComponentId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// An event waiting for delivery.
#[derive(Debug)]
pub struct Event<M> {
    pub time: SimTime,
    pub seq: u64,
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

/// Heap entry: reverse ordering turns the standard max-heap into a min-heap on `(time, seq)`.
struct HeapEntry<M>(Event<M>);

impl<M> PartialEq for HeapEntry<M> {
    fn eq(&self, other: &Self) -> bool {
        self.0.seq == other.0.seq
    }
}
impl<M> Eq for HeapEntry<M> {}
impl<M> PartialOrd for HeapEntry<M> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for HeapEntry<M> {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.0.time, other.0.seq).cmp(&(self.0.time, self.0.seq))
    }
}

/// Pending events ordered by `(time, seq)`.
pub struct EventQueue<M> {
    heap: BinaryHeap<HeapEntry<M>>,
    now_lane: VecDeque<Event<M>>,
    now: SimTime,
    next_seq: u64,
}

impl<M> Default for EventQueue<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M> EventQueue<M> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
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
    pub fn push(&mut self, time: SimTime, target: ComponentId, msg: M) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let event = Event {
            time: time.max(self.now),
            seq,
            target,
            msg,
        };
        if event.time == self.now {
            self.now_lane.push_back(event);
        } else {
            self.heap.push(HeapEntry(event));
        }
    }

    /// Removes and returns the next event, advancing the clock to its time.
    pub fn pop(&mut self) -> Option<Event<M>> {
        let heap_first = matches!(self.heap.peek(), Some(top) if top.0.time == self.now);
        if !heap_first {
            if let Some(event) = self.now_lane.pop_front() {
                return Some(event);
            }
        }
        let event = self.heap.pop()?.0;
        self.now = event.time;
        Some(event)
    }

    /// Removes and returns the next event if it is due at or before `until` (advancing the
    /// clock to its time); otherwise says why not. One look at the heap instead of the two of
    /// [`EventQueue::peek_time`] then [`EventQueue::pop`], for the engine's loop.
    #[inline]
    pub fn pop_until(&mut self, until: SimTime) -> Next<M> {
        if let Some(top) = self.heap.peek() {
            let time = top.0.time;
            // A heap event at the current instant was scheduled before every now-lane event.
            if time == self.now || self.now_lane.is_empty() {
                if time > until {
                    return Next::Later;
                }
                if let Some(HeapEntry(event)) = self.heap.pop() {
                    self.now = event.time;
                    return Next::Event(event);
                }
            }
        }
        // Now-lane events are at the current instant, which is never after `until`: it is the
        // time of an event already delivered (or zero).
        match self.now_lane.pop_front() {
            Some(event) if event.time <= until => Next::Event(event),
            Some(event) => {
                self.now_lane.push_front(event);
                Next::Later
            }
            None => Next::Empty,
        }
    }

    /// Time of the next event, without removing it.
    pub fn peek_time(&self) -> Option<SimTime> {
        if !self.now_lane.is_empty() {
            return Some(self.now);
        }
        self.heap.peek().map(|e| e.0.time)
    }

    pub fn len(&self) -> usize {
        self.heap.len() + self.now_lane.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of events scheduled so far (the next sequence number).
    pub fn scheduled(&self) -> u64 {
        self.next_seq
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
