//! Caches: the storage structures with their eviction policies ([`eviction`]) and the hit
//! ratios theory predicts for them ([`theory`]).

pub mod eviction;
pub mod theory;

#[cfg(test)]
mod irm_tests;
