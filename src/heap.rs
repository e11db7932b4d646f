//! The live heap of the process, counted, for the memory guard (`run.max_memory`).
//!
//! [`Counting`] wraps the system allocator and keeps the number of bytes currently allocated in
//! one relaxed atomic: one uncontended add per allocation and one per release. The simulator's
//! hot path allocates nothing per event, so the count costs nothing measurable there (see
//! docs/performance.md, "Memory"). The `sim` binary installs it (`src/main.rs`); a program that
//! does not (the test harness, a benchmark, a library user) reads 0 from [`live_bytes`], and
//! the run-time guard stays silent.
//!
//! The figure is the heap as the program asked for it: pages that were allocated but never
//! touched count in full, as they do against `ulimit -v`, so it is above the resident set size.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes allocated through [`Counting`] and not yet released.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting the bytes it holds for the program.
pub struct Counting;

// SAFETY: every call is forwarded unchanged to `System`, which upholds `GlobalAlloc`'s
// contract; the counter is only arithmetic on the side and never touches the memory.
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator (hence `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by `System` with `layout`; the caller upholds the rest.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Bytes the program holds on the heap now; 0 when [`Counting`] is not the global allocator.
pub fn live_bytes() -> u64 {
    LIVE.load(Ordering::Relaxed) as u64
}

/// A size in bytes for people: "790 MB", "2.8 GB", "512 KB" (decimal units, as `run.max_memory`
/// accepts them; two significant digits below 10 of a unit).
pub fn show_bytes(bytes: u64) -> String {
    let units = [("GB", 1e9), ("MB", 1e6), ("KB", 1e3)];
    let b = bytes as f64;
    for (unit, scale) in units {
        if b >= scale {
            let v = b / scale;
            return if v < 10.0 {
                let text = format!("{v:.1}");
                format!("{} {unit}", text.trim_end_matches(".0"))
            } else {
                format!("{v:.0} {unit}")
            };
        }
    }
    format!("{bytes} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(show_bytes(0), "0 B");
        assert_eq!(show_bytes(999), "999 B");
        assert_eq!(show_bytes(512_000), "512 KB");
        assert_eq!(show_bytes(2_000_000_000), "2 GB");
        assert_eq!(show_bytes(2_800_000_000), "2.8 GB");
        assert_eq!(show_bytes(790_000_000), "790 MB");
        assert_eq!(show_bytes(1_440_000_000), "1.4 GB");
    }
}
