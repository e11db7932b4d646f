//! Fixed-width time windows with bounded memory.

use std::borrow::Cow;

use crate::engine::SimTime;

/// At most this many windows are kept; when a run would need more, adjacent windows are merged
/// and the width doubles. An hour of 1 s windows fits without merging.
pub const MAX_WINDOWS: usize = 4096;

/// A row type that can absorb the following window's row.
pub trait Mergeable: Default {
    fn merge(&mut self, later: Self);
}

impl Mergeable for f64 {
    fn merge(&mut self, later: Self) {
        *self += later;
    }
}

impl Mergeable for u128 {
    fn merge(&mut self, later: Self) {
        *self += later;
    }
}

impl Mergeable for u64 {
    fn merge(&mut self, later: Self) {
        *self += later;
    }
}

/// Rows indexed by window: row `i` covers `[i * width, (i + 1) * width)`.
#[derive(Clone, Debug)]
pub struct Windows<R> {
    width_ns: u64,
    rows: Vec<R>,
    /// The window used last: `[cursor_start_ns, cursor_start_ns + width_ns)` is row
    /// `cursor_index`. Time mostly moves forward within a window, so this saves a division per
    /// record on the hot path; `usize::MAX` means no cursor.
    cursor_start_ns: u64,
    cursor_index: usize,
}

impl<R: Mergeable> Windows<R> {
    /// `width_ns` must be positive (the scenario layer checks it; zero is treated as 1 ns).
    pub fn new(width_ns: u64) -> Self {
        Windows {
            width_ns: width_ns.max(1),
            rows: Vec::new(),
            cursor_start_ns: 0,
            cursor_index: usize::MAX,
        }
    }

    pub fn width_ns(&self) -> u64 {
        self.width_ns
    }

    pub fn rows(&self) -> &[R] {
        &self.rows
    }

    /// The row for the window holding `t`, created (with every row before it) if missing.
    #[inline]
    pub fn at(&mut self, t: SimTime) -> &mut R {
        let index = self.index_of(t);
        &mut self.rows[index]
    }

    /// The row for the window holding `t` (as [`Windows::at`]) and the end of that window.
    #[inline]
    pub fn at_with_end(&mut self, t: SimTime) -> (&mut R, SimTime) {
        let index = self.index_of(t);
        let end = SimTime::from_nanos(self.cursor_start_ns.saturating_add(self.width_ns));
        (&mut self.rows[index], end)
    }

    /// Index of the row holding `t`, creating rows as needed and moving the cursor there.
    #[inline]
    fn index_of(&mut self, t: SimTime) -> usize {
        let ns = t.as_nanos();
        if self.cursor_index < self.rows.len()
            && ns >= self.cursor_start_ns
            && ns - self.cursor_start_ns < self.width_ns
        {
            return self.cursor_index;
        }
        self.move_cursor(ns)
    }

    /// The slow part of [`Windows::index_of`]: another window than the cursor's.
    #[cold]
    #[inline(never)]
    fn move_cursor(&mut self, ns: u64) -> usize {
        let mut index = (ns / self.width_ns) as usize;
        while index >= MAX_WINDOWS {
            self.double_width();
            index = (ns / self.width_ns) as usize;
        }
        if index >= self.rows.len() {
            self.rows.resize_with(index + 1, R::default);
        }
        self.cursor_index = index;
        self.cursor_start_ns = index as u64 * self.width_ns;
        index
    }

    /// The same windows with every row transformed by `f`.
    pub fn map<S>(&self, f: impl FnMut(&R) -> S) -> Windows<S> {
        Windows {
            width_ns: self.width_ns,
            rows: self.rows.iter().map(f).collect(),
            cursor_start_ns: self.cursor_start_ns,
            cursor_index: self.cursor_index,
        }
    }

    /// Merges pairs of adjacent windows.
    pub fn double_width(&mut self) {
        let old = std::mem::take(&mut self.rows);
        let mut merged = Vec::with_capacity(old.len().div_ceil(2));
        let mut iter = old.into_iter();
        while let Some(mut first) = iter.next() {
            if let Some(second) = iter.next() {
                first.merge(second);
            }
            merged.push(first);
        }
        self.rows = merged;
        self.width_ns = self.width_ns.saturating_mul(2);
        self.cursor_index = usize::MAX;
    }

    /// Merges windows until the width is at least `width_ns`, so that series recorded by
    /// different components line up.
    pub fn coarsen_to(&mut self, width_ns: u64) {
        while self.width_ns < width_ns {
            self.double_width();
        }
    }

    /// These windows at a width of at least `width_ns` (as [`Windows::coarsen_to`]): borrowed
    /// when they are that wide already, else a merged copy. Rows can be large (the end-to-end
    /// series keeps a latency histogram per window), so a copy is made only when needed.
    pub fn coarsened(&self, width_ns: u64) -> Cow<'_, Self>
    where
        R: Clone,
    {
        if self.width_ns >= width_ns {
            Cow::Borrowed(self)
        } else {
            let mut coarser = self.clone();
            coarser.coarsen_to(width_ns);
            Cow::Owned(coarser)
        }
    }

    /// Pads with empty rows up to `len` rows.
    pub fn pad_to(&mut self, len: usize) {
        if self.rows.len() < len {
            self.rows.resize_with(len, R::default);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_created_on_demand() {
        let mut w: Windows<u64> = Windows::new(1_000);
        *w.at(SimTime::from_nanos(2_500)) += 1;
        assert_eq!(w.rows(), &[0, 0, 1]);
    }

    #[test]
    fn too_many_windows_merge_pairwise_and_keep_totals() {
        let mut w: Windows<u64> = Windows::new(1);
        for t in 0..(3 * MAX_WINDOWS as u64) {
            *w.at(SimTime::from_nanos(t)) += 1;
        }
        assert!(w.rows().len() <= MAX_WINDOWS);
        assert_eq!(w.width_ns(), 4);
        assert_eq!(w.rows().iter().sum::<u64>(), 3 * MAX_WINDOWS as u64);
        assert!(w.rows().iter().all(|&n| n == 4));
    }

    #[test]
    fn the_cursor_follows_time_backwards_and_across_merges() {
        let mut w: Windows<u64> = Windows::new(10);
        for t in [5, 7, 25, 3, 25, 19, 10 * MAX_WINDOWS as u64 + 1, 4] {
            *w.at(SimTime::from_nanos(t)) += 1;
        }
        // After one merge (width 20): [0, 20) holds 5, 7, 3, 19 and 4; [20, 40) holds 25 twice.
        assert_eq!(w.width_ns(), 20);
        assert_eq!(&w.rows()[..2], &[5, 2]);
        assert_eq!(w.rows()[MAX_WINDOWS / 2], 1);
        let (row, end) = w.at_with_end(SimTime::from_nanos(41));
        *row += 1;
        assert_eq!(end, SimTime::from_nanos(60));
        assert_eq!(w.rows()[2], 1);
    }
}
