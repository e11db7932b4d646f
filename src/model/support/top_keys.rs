//! The most frequent keys of a stream, in fixed memory: the Misra–Gries summary (Misra and
//! Gries, "Finding repeated elements", 1982) with `SLOTS` counters.
//!
//! Each kept count is a lower bound of the key's true count, short of it by at most
//! total / (`SLOTS` + 1); so a key that makes up more than 1 / (`SLOTS` + 1) of the stream is
//! always kept. Deterministic: ties and evictions follow the slots' order.

/// Counters kept; a key above 1/9 of the stream is always among them.
pub const SLOTS: usize = 8;

#[derive(Clone, Debug, Default)]
pub struct TopKeys {
    slots: Vec<(u64, u64)>,
    total: u64,
}

impl TopKeys {
    /// Counts one occurrence of `key`.
    pub fn add(&mut self, key: u64) {
        self.total += 1;
        if let Some(slot) = self.slots.iter_mut().find(|s| s.0 == key) {
            slot.1 += 1;
        } else if self.slots.len() < SLOTS {
            self.slots.push((key, 1));
        } else {
            // No room: every count goes down by one, and counts at zero free their slot.
            for slot in &mut self.slots {
                slot.1 -= 1;
            }
            self.slots.retain(|s| s.1 > 0);
        }
    }

    /// Occurrences counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The key with the highest kept count (the first such, on a tie) and that count: at
    /// least that many of the stream were this key.
    pub fn top(&self) -> Option<(u64, u64)> {
        self.slots
            .iter()
            .copied()
            .reduce(|best, s| if s.1 > best.1 { s } else { best })
    }

    /// At least this many of the stream were `key` (0 if it is not kept).
    pub fn at_least(&self, key: u64) -> u64 {
        self.slots.iter().find(|s| s.0 == key).map_or(0, |s| s.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_above_a_ninth_of_the_stream_is_kept_within_its_bound() {
        // Key 7 is 30% of 10,000 occurrences; the rest cycle over 1,000 other keys.
        let mut top = TopKeys::default();
        for i in 0..10_000u64 {
            top.add(if i % 10 < 3 { 7 } else { 1_000 + i % 1_000 });
        }
        let (key, count) = top.top().expect("a key");
        assert_eq!(key, 7);
        // The lower bound: true count 3,000, short by at most 10,000 / 9.
        assert!((3_000 - 10_000 / 9..=3_000).contains(&count), "{count}");
        assert_eq!(top.at_least(7), count);
        assert_eq!(top.total(), 10_000);
    }

    #[test]
    fn an_empty_stream_has_no_top_key() {
        assert_eq!(TopKeys::default().top(), None);
    }
}
