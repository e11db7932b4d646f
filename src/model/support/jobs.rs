//! The requests a component holds, in a slab with generation numbers.
//!
//! A component that keeps requests while it works on them (a database, an id generator) stores
//! each as a job in a slot and refers to it by index in its timers. A slot is reused once its
//! job is done, so each reuse bumps the slot's generation: a timer carries the generation it
//! was set for and is ignored if the slot has moved on.

use std::ops::{Deref, DerefMut};

/// What the slab needs of a job: its generation, and a way to mark it done.
pub trait Job {
    fn generation_mut(&mut self) -> &mut u32;
    /// Marks the job done (its slot is free for the next one).
    fn set_free(&mut self);
}

/// Jobs by index; reads like a slice of jobs.
#[derive(Debug)]
pub struct Jobs<J> {
    slots: Vec<J>,
    free: Vec<u32>,
}

impl<J> Default for Jobs<J> {
    fn default() -> Self {
        Jobs {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<J: Job> Jobs<J> {
    /// Stores `job` and returns its index. A reused slot's generation is one past its last
    /// job's; a new slot keeps the job's own.
    pub fn insert(&mut self, mut job: J) -> u32 {
        match self.free.pop() {
            Some(index) => {
                let slot = &mut self.slots[index as usize];
                *job.generation_mut() = slot.generation_mut().wrapping_add(1);
                *slot = job;
                index
            }
            None => {
                self.slots.push(job);
                self.slots.len() as u32 - 1
            }
        }
    }

    /// Marks the job at `index` done and frees its slot.
    pub fn remove(&mut self, index: u32) {
        self.slots[index as usize].set_free();
        self.free.push(index);
    }
}

impl<J> Deref for Jobs<J> {
    type Target = [J];
    fn deref(&self) -> &[J] {
        &self.slots
    }
}

impl<J> DerefMut for Jobs<J> {
    fn deref_mut(&mut self) -> &mut [J] {
        &mut self.slots
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

    impl Job for Task {
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
        let mut jobs = Jobs::default();
        let a = jobs.insert(task(1));
        let b = jobs.insert(task(2));
        assert_eq!((a, b), (0, 1));
        jobs.remove(a);
        assert!(jobs[0].free);
        let c = jobs.insert(task(3));
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
}
