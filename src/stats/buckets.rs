//! Log-linear bucket counts with HdrHistogram's layout.
//!
//! The `hdrhistogram` crate records through a general path (any lower bound, auto-resize,
//! min/max tracking, a `Result` per value) that costs about 70 instructions per value, a tenth
//! of what the whole M/M/1 benchmark spends per request on statistics. Our histograms always
//! cover 1 ns up to a fixed ceiling and never resize, so the index of a value is a
//! leading-zeros count and two shifts. The layout, the quantile rule and the bucket values
//! are HdrHistogram's exactly (same `value_at_quantile`, same equivalent ranges), which the
//! tests check against the crate on random data: results do not depend on which one counts.

/// A counter type: `u64` for summary histograms, `u32` for the many small window ones.
pub trait Count: Copy + Default + Eq {
    fn plus(self, n: u64) -> Self;
    fn get(self) -> u64;
}

impl Count for u64 {
    #[inline]
    fn plus(self, n: u64) -> Self {
        self.saturating_add(n)
    }
    #[inline]
    fn get(self) -> u64 {
        self
    }
}

impl Count for u32 {
    #[inline]
    fn plus(self, n: u64) -> Self {
        self.saturating_add(u32::try_from(n).unwrap_or(u32::MAX))
    }
    #[inline]
    fn get(self) -> u64 {
        u64::from(self)
    }
}

/// Counts of values from 1 to a ceiling, kept to a number of significant decimal digits.
///
/// Bucket `b` holds sub-buckets of width `2^b`; bucket 0 has `2^m` unit-wide sub-buckets (`m`
/// the smallest with `2^m >= 2 * 10^digits`), each later bucket only its upper half, so the
/// relative width of a sub-bucket never exceeds `10^-digits`.
#[derive(Clone, Debug)]
pub struct LogBuckets<C: Count> {
    counts: Box<[C]>,
    total: u64,
    /// Values whose counter would be past the end are counted as this one.
    highest: u64,
    /// `m - 1`: log2 of the number of sub-buckets a bucket adds.
    half_count_magnitude: u32,
    /// `64 - m`: leading zeros of the largest value of bucket 0.
    leading_zero_count_base: u32,
    /// `2^m - 1`: maps values of bucket 0 to bucket 0.
    sub_bucket_mask: u64,
}

impl<C: Count> LogBuckets<C> {
    /// Buckets for values `1..=highest` at `digits` (1 to 5) significant decimal digits.
    pub fn new(highest: u64, digits: u8) -> Self {
        let largest_unit_value = 2 * 10u64.pow(u32::from(digits.clamp(1, 5)));
        let magnitude = 64 - (largest_unit_value - 1).leading_zeros();
        let sub_bucket_count = 1u64 << magnitude;
        // Buckets needed so that `highest` is representable (HdrHistogram's `buckets_to_cover`).
        let mut bucket_count = 1usize;
        let mut smallest_untrackable = sub_bucket_count;
        while smallest_untrackable <= highest {
            if smallest_untrackable > u64::MAX / 2 {
                bucket_count += 1;
                break;
            }
            smallest_untrackable <<= 1;
            bucket_count += 1;
        }
        let half_count = 1usize << (magnitude - 1);
        LogBuckets {
            counts: vec![C::default(); (bucket_count + 1) * half_count].into_boxed_slice(),
            total: 0,
            highest,
            half_count_magnitude: magnitude - 1,
            leading_zero_count_base: 64 - magnitude,
            sub_bucket_mask: sub_bucket_count - 1,
        }
    }

    #[inline]
    fn bucket_of(&self, value: u64) -> u32 {
        self.leading_zero_count_base - (value | self.sub_bucket_mask).leading_zeros()
    }

    /// Index of the counter of `value`; past the end for values above the ceiling.
    #[inline]
    fn index_of(&self, value: u64) -> usize {
        let bucket = self.bucket_of(value);
        let sub_bucket = (value >> bucket) as usize;
        ((bucket as usize + 1) << self.half_count_magnitude) + sub_bucket
            - (1 << self.half_count_magnitude)
    }

    /// The lowest value counted by counter `index`.
    fn value_of(&self, index: usize) -> u64 {
        let half_count = 1usize << self.half_count_magnitude;
        let bucket = (index >> self.half_count_magnitude) as i64 - 1;
        let sub_bucket = (index & (half_count - 1)) + half_count;
        if bucket < 0 {
            (sub_bucket - half_count) as u64
        } else {
            (sub_bucket as u64) << bucket
        }
    }

    /// Adds `value`; a value beyond the last counter is counted as the ceiling (HdrHistogram's
    /// `saturating_record`).
    #[inline]
    pub fn record(&mut self, value: u64) {
        let mut index = self.index_of(value);
        if index >= self.counts.len() {
            index = self.index_of(self.highest).min(self.counts.len() - 1);
        }
        self.counts[index] = self.counts[index].plus(1);
        self.total = self.total.saturating_add(1);
    }

    /// Number of values recorded.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Number of counters (memory is this times the counter size).
    #[cfg(test)]
    pub fn distinct_values(&self) -> usize {
        self.counts.len()
    }

    /// The smallest value counted together with `value`.
    pub fn lowest_equivalent(&self, value: u64) -> u64 {
        let bucket = self.bucket_of(value);
        (value >> bucket) << bucket
    }

    /// The largest value counted together with `value`.
    pub fn highest_equivalent(&self, value: u64) -> u64 {
        if value == u64::MAX {
            return u64::MAX;
        }
        let width = 1u64 << self.bucket_of(value);
        self.lowest_equivalent(value).saturating_add(width) - 1
    }

    /// HdrHistogram's `value_at_quantile`: the highest value equivalent to the counter where
    /// the running count first reaches `ceil(q * len)` (at least 1); the lowest one for
    /// `q = 0`; 0 when empty.
    pub fn value_at_quantile(&self, q: f64) -> u64 {
        let q = q.min(1.0);
        let target = ((q * self.total as f64).ceil() as u64).max(1);
        let mut running = 0u64;
        for (index, count) in self.counts.iter().enumerate() {
            running += count.get();
            if running >= target {
                let value = self.value_of(index);
                return if q == 0.0 {
                    self.lowest_equivalent(value)
                } else {
                    self.highest_equivalent(value)
                };
            }
        }
        0
    }

    /// Values recorded from the counter of `low` to the counter of `high`, both included.
    pub fn count_between(&self, low: u64, high: u64) -> u64 {
        let last = self.counts.len() - 1;
        let (from, to) = (self.index_of(low).min(last), self.index_of(high).min(last));
        self.counts
            .get(from..=to)
            .unwrap_or_default()
            .iter()
            .fold(0u64, |sum, c| sum.saturating_add(c.get()))
    }

    /// `(highest equivalent value, count)` of every counter that is not zero, in order.
    pub fn iter_recorded(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| c.get() != 0)
            .map(|(index, c)| (self.highest_equivalent(self.value_of(index)), c.get()))
    }

    /// Adds every count of `other`, which must have the same layout (same ceiling and digits).
    pub fn add(&mut self, other: &LogBuckets<C>) {
        debug_assert_eq!(self.counts.len(), other.counts.len());
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine = mine.plus(theirs.get());
        }
        self.total = self.total.saturating_add(other.total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::Histogram;
    use proptest::prelude::*;

    const HIGHEST: u64 = 10_000_000_000_000;

    fn both(digits: u8, values: &[u64]) -> (LogBuckets<u64>, Histogram<u64>) {
        let mut ours = LogBuckets::new(HIGHEST, digits);
        let mut theirs = Histogram::new_with_bounds(1, HIGHEST, digits).expect("valid bounds");
        for &v in values {
            ours.record(v);
            theirs.saturating_record(v);
        }
        (ours, theirs)
    }

    #[test]
    fn the_layout_is_hdrhistograms() {
        for digits in 1..=5 {
            let (ours, theirs) = both(digits, &[]);
            assert_eq!(ours.distinct_values(), theirs.distinct_values(), "{digits}");
            for v in [1, 2, 999, 1000, 2047, 2048, 4097, 123_456_789, HIGHEST] {
                assert_eq!(ours.lowest_equivalent(v), theirs.lowest_equivalent(v));
                assert_eq!(ours.highest_equivalent(v), theirs.highest_equivalent(v));
            }
        }
    }

    proptest! {
        #[test]
        fn quantiles_counts_and_buckets_match_hdrhistogram(
            digits in prop::sample::select(vec![1u8, 3]),
            values in prop::collection::vec(
                prop_oneof![1u64..2_000, 1u64..10_000_000, 1u64..=HIGHEST, 1u64..=u64::MAX], 1..300),
            more in prop::collection::vec(1u64..=HIGHEST, 0..50),
            q in 0.0f64..=1.0,
            bounds in (1u64..=HIGHEST, 1u64..=HIGHEST),
        ) {
            let (mut ours, mut theirs) = both(digits, &values);
            let (other_ours, other_theirs) = both(digits, &more);
            ours.add(&other_ours);
            theirs.add(&other_theirs).expect("same bounds");
            prop_assert_eq!(ours.len(), theirs.len());
            for quantile in [0.0, q, 0.5, 0.99, 0.999, 1.0] {
                prop_assert_eq!(
                    ours.value_at_quantile(quantile), theirs.value_at_quantile(quantile));
            }
            let (low, high) = (bounds.0.min(bounds.1), bounds.0.max(bounds.1));
            prop_assert_eq!(ours.count_between(low, high), theirs.count_between(low, high));
            let recorded: Vec<(u64, u64)> = theirs
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_since_last_iteration()))
                .collect();
            prop_assert_eq!(ours.iter_recorded().collect::<Vec<_>>(), recorded);
        }
    }

    #[test]
    fn an_empty_histogram_answers_zero() {
        let (ours, theirs) = both(3, &[]);
        assert_eq!(ours.value_at_quantile(0.5), theirs.value_at_quantile(0.5));
        assert_eq!(ours.value_at_quantile(0.5), 0);
    }
}
