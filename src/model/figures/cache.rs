//! What a cache reports beside the common figures.

crate::kind_figures! {
    /// What a cache reports (`summary.json`'s figures of a `cache` component).
    pub struct CacheFigures {
        /// The size limit in bytes, if the cache has one.
        pub capacity_bytes: Option<u64>,
        /// The limit in entries, if the cache has one.
        pub capacity_entries: Option<u64>,
        pub crashes: u64,
        /// Write-back entries not yet flushed when the cache crashed.
        pub dirty_lost_entries: u64,
        /// The writes those entries held.
        pub dirty_lost_writes: u64,
        pub entries_at_end: u64,
        /// Time-weighted mean number of entries (after the warm-up).
        pub entries_mean: f64,
        pub entries_peak: u64,
        /// The eviction policy (`lru`, `lfu`, `fifo`, `random`).
        pub eviction: String,
        pub evictions: u64,
        pub expirations: u64,
        pub fills: u64,
        pub flush_failures: u64,
        pub flushes: u64,
        /// hits / (hits + misses); `null` without reads.
        pub hit_ratio: Option<f64>,
        pub hits: u64,
        pub invalidations: u64,
        pub memory_bytes_at_end: u64,
        pub memory_bytes_mean: f64,
        pub memory_bytes_peak: u64,
        pub misses: u64,
        /// Hits that returned an older version than the store of record held.
        pub stale_reads: u64,
        /// Of `stale_reads`, by the component the newer write was acknowledged to (the
        /// store's caller that wrote it: this cache itself, a server writing past it, another
        /// cache of the same store), in the order first seen.
        pub stale_reads_by_writer: indexmap::IndexMap<String, u64>,
        /// The store of record the cache holds data of (`null` if none).
        pub store: Option<String>,
        /// `read_through`, `cache_aside`, `write_through`, `write_back`.
        pub strategy: String,
        /// Values larger than the whole cache, never stored.
        pub too_large: u64,
        pub writes: u64,
    }
}
