//! The one slab behind every component's in-flight table (calls, relays, messages, jobs, cache
//! entries, ...): values in a `Vec`, addressed by a `u32` index that timers and call tokens
//! carry, and a free list of released indices.
//!
//! A released index is reused last-in, first-out: the most recently released slot is taken
//! first. The order matters beyond speed: which index a request gets shows in tokens, in the
//! order of iteration over slots and so in the outputs, which must stay byte-identical from
//! one version to the next. Keep it LIFO.
//!
//! The slab costs what a hand-written `Vec` plus free list costs: no boxing, no generation
//! unless the value keeps one. A table whose timers may outlive a slot keeps a generation in
//! its values ([`Generational`]); a timer carries the generation it was set for and is ignored
//! if the slot has moved on.

use std::ops::{Deref, DerefMut};

/// Values by index; reads like a slice of them (released slots included: the table knows
/// which of its values are live).
#[derive(Clone, Debug)]
pub struct Slab<T> {
    slots: Vec<T>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value` in the most recently released slot, or in a new one; returns its index.
    #[inline]
    pub fn insert(&mut self, value: T) -> u32 {
        match self.free.pop() {
            Some(index) => {
                self.slots[index as usize] = value;
                index
            }
            None => {
                self.slots.push(value);
                self.slots.len() as u32 - 1
            }
        }
    }

    /// Takes the most recently released slot and lets `reuse` update it in place, or, when no
    /// slot is free, appends `new()`; returns the index. For tables that keep part of a
    /// released value (its generation, its allocations) or keep side arrays beside the slab.
    #[inline]
    pub fn insert_with(&mut self, new: impl FnOnce() -> T, reuse: impl FnOnce(&mut T)) -> u32 {
        match self.free.pop() {
            Some(index) => {
                reuse(&mut self.slots[index as usize]);
                index
            }
            None => {
                self.slots.push(new());
                self.slots.len() as u32 - 1
            }
        }
    }

    /// Frees the slot at `index` for the next insert; its value stays until then. Releasing
    /// a slot twice would hand it out twice: the table checks that it is live first.
    #[inline]
    pub fn release(&mut self, index: u32) {
        self.free.push(index);
    }

    /// Frees every slot, so that the next inserts take them from the highest index down (a
    /// component that loses its memory at once, then fills up again).
    pub fn release_all(&mut self) {
        self.free.clear();
        self.free.extend(0..self.slots.len() as u32);
    }

    /// Forgets every slot, keeping the allocations.
    pub fn clear(&mut self) {
        self.slots.clear();
        self.free.clear();
    }

    /// Slots released and not yet reused.
    pub fn free_len(&self) -> usize {
        self.free.len()
    }
}

/// A value whose slot's timers may outlive it: it counts the reuses of its slot.
pub trait Generational {
    fn generation_mut(&mut self) -> &mut u32;
    /// Marks the value gone, when the table reads liveness from it (default: nothing to mark).
    fn set_free(&mut self) {}
}

impl<T: Generational> Slab<T> {
    /// Stores `value` and returns its index. A reused slot's generation is one past its last
    /// value's, so that timers set for that value are recognised as stale; a new slot keeps
    /// `value`'s own.
    #[inline]
    pub fn insert_next_generation(&mut self, mut value: T) -> u32 {
        match self.free.pop() {
            Some(index) => {
                let slot = &mut self.slots[index as usize];
                *value.generation_mut() = slot.generation_mut().wrapping_add(1);
                *slot = value;
                index
            }
            None => {
                self.slots.push(value);
                self.slots.len() as u32 - 1
            }
        }
    }

    /// Marks the value at `index` gone and releases its slot.
    #[inline]
    pub fn remove(&mut self, index: u32) {
        self.slots[index as usize].set_free();
        self.release(index);
    }
}

impl<T> Deref for Slab<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        &self.slots
    }
}

impl<T> DerefMut for Slab<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.slots
    }
}

impl<'a, T> IntoIterator for &'a Slab<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.slots.iter()
    }
}

impl<'a, T> IntoIterator for &'a mut Slab<T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.slots.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Task {
        generation: u32,
        free: bool,
        payload: u8,
    }

    impl Generational for Task {
        fn generation_mut(&mut self) -> &mut u32 {
            &mut self.generation
        }
        fn set_free(&mut self) {
            self.free = true;
        }
    }

    fn task(payload: u8) -> Task {
        Task {
            generation: 0,
            free: false,
            payload,
        }
    }

    #[test]
    fn freed_slots_are_reused_with_the_next_generation() {
        let mut jobs = Slab::default();
        let a = jobs.insert_next_generation(task(1));
        let b = jobs.insert_next_generation(task(2));
        assert_eq!((a, b), (0, 1));
        jobs.remove(a);
        assert!(jobs[0].free);
        let c = jobs.insert_next_generation(task(3));
        assert_eq!(c, a, "the freed slot is taken again");
        assert_eq!(
            jobs[0],
            Task {
                generation: 1,
                free: false,
                payload: 3
            }
        );
        assert_eq!(jobs[1].generation, 0, "other slots keep theirs");
        assert_eq!(jobs.len(), 2);
    }

    #[test]
    fn the_most_recently_released_slot_is_reused_first() {
        let mut slab = Slab::default();
        for v in 0..4 {
            slab.insert(v);
        }
        slab.release(1);
        slab.release(3);
        slab.release(0);
        assert_eq!(slab.insert(10), 0);
        assert_eq!(slab.insert(11), 3);
        assert_eq!(slab.insert(12), 1);
        assert_eq!(slab.insert(13), 4, "a new slot once none is free");
        assert_eq!(&slab[..], &[10, 12, 2, 11, 13]);
    }

    #[test]
    fn insert_with_updates_a_reused_slot_in_place() {
        let mut slab: Slab<(u32, u8)> = Slab::default();
        let a = slab.insert_with(|| (0, 1), |_| unreachable!("nothing is free yet"));
        slab.release(a);
        let again = slab.insert_with(|| unreachable!("a slot is free"), |s| s.0 += 1);
        assert_eq!(
            (again, slab[0]),
            (a, (1, 1)),
            "the old value is kept and updated"
        );
    }

    #[test]
    fn after_release_all_the_highest_slot_is_taken_first() {
        let mut slab = Slab::default();
        for v in 0..3 {
            slab.insert(v);
        }
        slab.release_all();
        assert_eq!(slab.free_len(), 3);
        assert_eq!([slab.insert(7), slab.insert(8), slab.insert(9)], [2, 1, 0]);
        assert_eq!(slab.insert(10), 3);
    }
}
