//! Where the time of a request goes: a per-hop latency breakdown, and sampled request traces.
//!
//! **Model.** Every call records four instants (see [`super::call::Call`]): `opened` (t0, the
//! caller sends it), `arrived` (t1 = t0 + the link's latency), `started` (ts, when a worker took
//! it up; components that do not queue leave it at t1) and `answered` (t2, the callee replied);
//! the reply reaches the caller at t3. When the caller takes the reply, the callee C is charged
//!
//! - network: (t1 - t0) + (t3 - t2),
//! - queue: ts - t1,
//! - service: t2 - ts,
//!
//! and the caller P is charged -(t3 - t0) on its service: P's own service is the time it held
//! the request minus the time it waited on its calls. Each call adds exactly what it takes away,
//! so a request's row sums to zero while it is in flight. When the request finishes, its
//! end-to-end latency is charged to its traffic source as *client* time (zero for a request
//! answered on its first attempt; with retries, the backoff between attempts and the attempts
//! abandoned on a timeout). A finished request's row therefore sums to its end-to-end latency
//! exactly, in integer nanoseconds, whatever its path.
//!
//! Calls the caller abandoned (timeouts) are not charged: the caller's own time covers the wait.
//! When a traffic source abandons an attempt on its timeout, the request starts a new, empty
//! row ([`Breakdown::abandon`]): calls still running for that attempt charge nothing, and all
//! the time before the abandonment ends up as client time.
//! Work done after the request was answered (message-queue consumers, write-back flushes, health
//! probes) carries no breakdown slot and is left out. A component that waits on several calls at
//! once would see its service go below zero; no component in the model does that today.
//!
//! **Aggregation.** Rows of succeeded requests born after the warm-up are added into fixed
//! tables per request type and per end-to-end latency bucket (quarter-octave buckets: a bucket
//! spans a factor 2^(1/4) ~ 1.19 of latency), so memory depends on the scenario's size, not the
//! run's length. Percentile bands (p0-50, ..., p99-100) are assembled at report time from the
//! buckets; a bucket that straddles a band's boundary is split in proportion to the ranks on
//! each side, assuming requests inside one bucket spend their time alike (see
//! [`Breakdown::bands`]).
//!
//! **Traces.** With a sample size N, the N requests whose `splitmix64(seed, id)` hash is smallest
//! (a bottom-k sample: uniform without replacement, deterministic, and independent of every
//! random stream of the model) keep their calls as spans; `report::trace` writes them out.
//!
//! Tests: `tests/latency_breakdown.rs` (rows sum to each traced request's latency; aggregated
//! sums equal total latency; M/M/1 queue and service means against theory) and
//! `tests/traces.rs`.

use std::collections::BTreeMap;

use super::call::Call;
use super::slab::Slab;
use crate::engine::rng::splitmix64;
use crate::engine::{ComponentId, SimTime};
use crate::stats::Outcome;

/// A request without a breakdown slot.
pub const NO_SLOT: u32 = u32::MAX;

/// Charges per component in a row: queue, service, network.
pub const FIELDS: usize = 3;
pub const QUEUE: usize = 0;
pub const SERVICE: usize = 1;
pub const NETWORK: usize = 2;

/// Latency buckets per octave (a factor of 2 of latency).
const PER_OCTAVE: usize = 4;
/// Buckets cover 1 ns to 2^64 ns.
const BUCKETS: usize = 64 * PER_OCTAVE;

/// The bucket of a latency [ns]: quarter-octaves.
pub fn bucket_of(ns: u64) -> usize {
    if ns == 0 {
        return 0;
    }
    let octave = 63 - ns.leading_zeros() as usize;
    let fraction = if octave >= 2 {
        (ns >> (octave - 2)) & 3
    } else {
        (ns << (2 - octave)) & 3
    };
    octave * PER_OCTAVE + fraction as usize
}

/// One call of a traced request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub caller: ComponentId,
    pub callee: ComponentId,
    /// The instance that served it, or `ANY_INSTANCE` where the callee has no instances.
    pub instance: u32,
    pub opened: SimTime,
    pub arrived: SimTime,
    pub started: SimTime,
    pub answered: SimTime,
    pub returned: SimTime,
    pub outcome: Outcome,
    /// "hit", "miss", "stale" for cache answers; empty otherwise.
    pub detail: &'static str,
}

/// A sampled request, finished.
#[derive(Clone, Debug)]
pub struct TraceRecord {
    pub id: u64,
    pub kind: u16,
    pub key: u64,
    pub client: u32,
    pub source: ComponentId,
    pub born: SimTime,
    pub end: SimTime,
    pub outcome: Outcome,
    /// Nonzero charges: (component, [queue, service, network] ns). Sums to `end - born`.
    pub row: Vec<(ComponentId, [i64; FIELDS])>,
    /// Calls in the order their replies were taken.
    pub spans: Vec<Span>,
}

/// Per-request rows in flight, and the fixed tables they are added into.
pub struct Breakdown {
    components: usize,
    stride: usize,
    warmup_end: SimTime,
    /// Rows of requests in flight, `stride` values per slot.
    rows: Vec<i64>,
    /// Per slot: the owning request's id (0 when free) and its source.
    owners: Slab<(u64, ComponentId)>,
    /// Per request type and bucket: requests, sum of latencies, and the summed row (allocated
    /// on first use).
    tables: Vec<Table>,
    /// Traces: sample size, seed, and the spans of traced slots.
    trace: Option<Tracer>,
}

/// One request type's buckets. Sums are `i64` nanoseconds: they hold 292 years of summed
/// latency per bucket and component, far beyond any run's reach.
struct Table {
    counts: Vec<u64>,
    latency: Vec<u64>,
    /// `BUCKETS` rows of `stride` sums.
    sums: Vec<i64>,
}

struct Tracer {
    limit: usize,
    seed: u64,
    /// Per slot: whether it is sampled, and its spans.
    spans: Vec<Option<Vec<Span>>>,
    /// Kept records by (hash, id): the smallest `limit` hashes.
    kept: BTreeMap<(u64, u64), TraceRecord>,
}

impl Tracer {
    fn hash(&self, id: u64) -> u64 {
        splitmix64(self.seed ^ splitmix64(id ^ 0x7472_6163_6573_0000))
    }

    /// Whether a request with this hash could still enter the sample.
    fn wants(&self, hash: u64) -> bool {
        self.kept.len() < self.limit
            || self
                .kept
                .last_key_value()
                .is_some_and(|((worst, _), _)| hash < *worst)
    }
}

impl Breakdown {
    /// Tables for `components` components and `types` request types; with `trace`, also keep
    /// that many sampled requests' spans (drawn with `seed`).
    pub fn new(
        components: usize,
        types: usize,
        warmup_end: SimTime,
        trace: Option<(usize, u64)>,
    ) -> Self {
        let stride = components * FIELDS;
        Breakdown {
            components,
            stride,
            warmup_end,
            rows: Vec::new(),
            owners: Slab::default(),
            tables: (0..types.max(1))
                .map(|_| Table {
                    counts: vec![0; BUCKETS],
                    latency: vec![0; BUCKETS],
                    sums: vec![0; BUCKETS * stride],
                })
                .collect(),
            trace: trace.filter(|(n, _)| *n > 0).map(|(limit, seed)| Tracer {
                limit,
                seed,
                spans: Vec::new(),
                kept: BTreeMap::new(),
            }),
        }
    }

    /// Gives a new request (`id` > 0) from `source` a slot.
    pub fn begin(&mut self, id: u64, source: ComponentId) -> u32 {
        let slot = self.take_slot(id, source);
        if let Some(t) = &mut self.trace {
            let sampled = t.wants(t.hash(id));
            let spans = &mut t.spans[slot as usize];
            match (sampled, spans.as_mut()) {
                (true, Some(v)) => v.clear(),
                (true, None) => *spans = Some(Vec::new()),
                (false, _) => *spans = None,
            }
        }
        slot
    }

    /// A traffic source abandoned an attempt of `request` (its timeout): the request moves to a
    /// new, empty row and the old slot is freed, so that calls still running for that attempt
    /// charge nothing. Everything before the abandonment (earlier attempts, backoff, the
    /// abandoned attempt) becomes client time at the finish. Later attempts and the finish use
    /// the new slot, which `request` now names.
    pub fn abandon(&mut self, request: &mut super::call::Request) {
        let old = request.slot;
        if old == NO_SLOT || !self.owns(old, request.id) {
            return;
        }
        let source = self.owners[old as usize].1;
        // The abandoned attempt may have charged calls that finished before the timeout: the
        // new row starts empty, and the time so far becomes client time at the finish.
        let new = self.take_slot(request.id, source);
        if let Some(t) = &mut self.trace {
            let spans = t.spans[old as usize].take();
            t.spans[new as usize] = spans;
        }
        self.owners[old as usize].0 = 0;
        self.owners.release(old);
        request.slot = new;
    }

    /// A slot for request `id` from `source`, with an empty row: a released slot, or a new one
    /// (the rows and the trace's spans grow with it).
    fn take_slot(&mut self, id: u64, source: ComponentId) -> u32 {
        let slot = self.owners.insert_with(
            || {
                self.rows.resize(self.rows.len() + self.stride, 0);
                if let Some(t) = &mut self.trace {
                    t.spans.push(None);
                }
                (id, source)
            },
            |owner| *owner = (id, source),
        );
        let start = slot as usize * self.stride;
        self.rows[start..start + self.stride].fill(0);
        slot
    }

    fn owns(&self, slot: u32, id: u64) -> bool {
        self.owners
            .get(slot as usize)
            .is_some_and(|(owner, _)| *owner == id)
    }

    /// Charges a call whose reply its caller took at `now` (see the module docs).
    pub fn charge(&mut self, call: &Call, now: SimTime) {
        let slot = call.request.slot;
        if slot == NO_SLOT || !self.owns(slot, call.request.id) {
            return;
        }
        let t0 = call.opened.as_nanos() as i64;
        let t1 = call.arrived.as_nanos() as i64;
        let t2 = call.answered.as_nanos() as i64;
        let ts = (call.started.as_nanos() as i64).clamp(t1, t2.max(t1));
        let t3 = now.as_nanos() as i64;
        let base = slot as usize * self.stride;
        let callee = base + call.callee.index() * FIELDS;
        let caller = base + call.caller.index() * FIELDS;
        let rows = &mut self.rows;
        rows[callee + NETWORK] += (t1 - t0) + (t3 - t2);
        rows[callee + QUEUE] += ts - t1;
        rows[callee + SERVICE] += t2 - ts;
        rows[caller + SERVICE] -= t3 - t0;
        if let Some(t) = &mut self.trace {
            if let Some(spans) = &mut t.spans[slot as usize] {
                spans.push(Span {
                    caller: call.caller,
                    callee: call.callee,
                    instance: call.served_by,
                    opened: call.opened,
                    arrived: call.arrived,
                    started: SimTime::from_nanos(ts as u64),
                    answered: call.answered,
                    returned: now,
                    outcome: call.outcome,
                    detail: match call.detail {
                        super::call::CallDetail::Hit => "hit",
                        super::call::CallDetail::Miss => "miss",
                        super::call::CallDetail::Stale => "stale",
                        _ => "",
                    },
                });
            }
        }
    }

    /// A request finished at `now`: charges its latency to its source as client time, adds
    /// its row to the tables (succeeded requests born after the warm-up), keeps it if it is
    /// sampled, and frees its slot.
    pub fn finish(&mut self, request: &super::call::Request, now: SimTime, outcome: Outcome) {
        let slot = request.slot;
        if slot == NO_SLOT || !self.owns(slot, request.id) {
            return;
        }
        let source = self.owners[slot as usize].1;
        let base = slot as usize * self.stride;
        let latency = now.as_nanos().saturating_sub(request.born.as_nanos());
        self.rows[base + source.index() * FIELDS + SERVICE] += latency as i64;
        let row = &self.rows[base..base + self.stride];
        if outcome == Outcome::Succeeded && request.born >= self.warmup_end {
            let kind = (request.kind as usize).min(self.tables.len() - 1);
            let table = &mut self.tables[kind];
            let b = bucket_of(latency);
            table.counts[b] += 1;
            table.latency[b] += latency;
            let sums = &mut table.sums[b * self.stride..(b + 1) * self.stride];
            for (sum, &v) in sums.iter_mut().zip(row) {
                *sum += v;
            }
        }
        if let Some(t) = &mut self.trace {
            let hash = t.hash(request.id);
            let keep = request.born >= self.warmup_end && t.wants(hash);
            if let Some(spans) = t.spans[slot as usize].as_mut().filter(|_| keep) {
                let record = TraceRecord {
                    id: request.id,
                    kind: request.kind,
                    key: request.key,
                    client: request.client,
                    source,
                    born: request.born,
                    end: now,
                    outcome,
                    row: row
                        .chunks(FIELDS)
                        .enumerate()
                        .filter(|(_, c)| c.iter().any(|&v| v != 0))
                        .map(|(i, c)| (ComponentId(i as u32), [c[0], c[1], c[2]]))
                        .collect(),
                    spans: std::mem::take(spans),
                };
                t.kept.insert((hash, request.id), record);
                if t.kept.len() > t.limit {
                    t.kept.pop_last();
                }
            }
        }
        self.owners[slot as usize].0 = 0;
        self.owners.release(slot);
    }

    /// The sampled requests, in order of request id.
    pub fn traces(&self) -> Vec<TraceRecord> {
        let mut records: Vec<TraceRecord> = self
            .trace
            .iter()
            .flat_map(|t| t.kept.values().cloned())
            .collect();
        records.sort_by_key(|r| r.id);
        records
    }

    /// The aggregated tables, per request type.
    pub fn tables(&self) -> Vec<TypeTable> {
        self.tables
            .iter()
            .map(|t| {
                let buckets = (0..BUCKETS)
                    .filter(|&b| t.counts[b] > 0)
                    .map(|b| BucketRow {
                        bucket: b,
                        requests: t.counts[b],
                        latency_ns: u128::from(t.latency[b]),
                        sums: t.sums[b * self.stride..(b + 1) * self.stride]
                            .iter()
                            .map(|&v| i128::from(v))
                            .collect(),
                    })
                    .collect();
                TypeTable {
                    components: self.components,
                    buckets,
                }
            })
            .collect()
    }
}

/// One latency bucket's totals.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BucketRow {
    /// Index of the bucket ([`bucket_of`]).
    pub bucket: usize,
    pub requests: u64,
    /// Sum of the end-to-end latencies [ns].
    pub latency_ns: u128,
    /// Per component, [queue, service, network] summed [ns].
    pub sums: Vec<i128>,
}

/// The buckets of one request type, fastest first (empty buckets left out).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TypeTable {
    pub components: usize,
    pub buckets: Vec<BucketRow>,
}

/// A percentile band's mean charges.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    /// Fractions of requests, e.g. 0.99 and 1.0.
    pub from: f64,
    pub to: f64,
    /// Requests in the band (a share of the total; fractional where a bucket is split).
    pub requests: f64,
    /// Mean end-to-end latency [ns].
    pub mean_latency_ns: f64,
    /// Per component, mean [queue, service, network] [ns].
    pub means: Vec<[f64; FIELDS]>,
}

impl TypeTable {
    /// Adds another table (of another request type) into this one.
    pub fn merge(&mut self, other: &TypeTable) {
        self.components = self.components.max(other.components);
        let mut merged: BTreeMap<usize, BucketRow> = BTreeMap::new();
        for r in self.buckets.iter().chain(&other.buckets) {
            let e = merged.entry(r.bucket).or_insert_with(|| BucketRow {
                bucket: r.bucket,
                requests: 0,
                latency_ns: 0,
                sums: vec![0; r.sums.len()],
            });
            e.requests += r.requests;
            e.latency_ns += r.latency_ns;
            for (s, v) in e.sums.iter_mut().zip(&r.sums) {
                *s += v;
            }
        }
        self.buckets = merged.into_values().collect();
    }

    pub fn requests(&self) -> u64 {
        self.buckets.iter().map(|b| b.requests).sum()
    }

    pub fn latency_ns(&self) -> u128 {
        self.buckets.iter().map(|b| b.latency_ns).sum()
    }

    /// Per component, [queue, service, network] summed over every request [ns].
    pub fn totals(&self) -> Vec<[i128; FIELDS]> {
        let mut totals = vec![[0i128; FIELDS]; self.components];
        for b in &self.buckets {
            for (i, c) in b.sums.chunks(FIELDS).enumerate() {
                for f in 0..FIELDS {
                    totals[i][f] += c[f];
                }
            }
        }
        totals
    }

    /// The mean charges of the requests whose latency ranks between `from` and `to` (fractions
    /// of the requests, fastest first). Buckets are ordered by latency; a bucket that straddles
    /// a boundary contributes the share of its requests on the band's side, with its sums
    /// scaled by that share (the approximation: within one bucket, whose latencies differ by
    /// at most a factor 1.19, requests are taken to spend their time alike).
    pub fn band(&self, from: f64, to: f64) -> Band {
        let total = self.requests() as f64;
        let (lo, hi) = (from * total, to * total);
        let mut requests = 0.0;
        let mut latency = 0.0;
        let mut sums = vec![[0.0f64; FIELDS]; self.components];
        let mut rank = 0.0;
        for b in &self.buckets {
            let n = b.requests as f64;
            let overlap = (hi.min(rank + n) - lo.max(rank)).max(0.0);
            rank += n;
            if overlap <= 0.0 || n == 0.0 {
                continue;
            }
            let share = overlap / n;
            requests += overlap;
            latency += b.latency_ns as f64 * share;
            for (i, c) in b.sums.chunks(FIELDS).enumerate() {
                for f in 0..FIELDS {
                    sums[i][f] += c[f] as f64 * share;
                }
            }
        }
        let per = |x: f64| if requests > 0.0 { x / requests } else { 0.0 };
        Band {
            from,
            to,
            requests,
            mean_latency_ns: per(latency),
            means: sums
                .into_iter()
                .map(|c| [per(c[0]), per(c[1]), per(c[2])])
                .collect(),
        }
    }
}

/// What a run's breakdown tables say, for the report layer.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    /// Component names in id order, each with whether it is a traffic source (whose
    /// "service" is client time: retry backoff, abandoned attempts).
    pub components: Vec<(String, bool)>,
    /// Every request type together.
    pub all: TypeTable,
    /// Per request type, when the scenario has more than one.
    pub by_type: Vec<(String, TypeTable)>,
}

impl Figures {
    /// Builds the figures from the run's tables.
    pub fn new(components: Vec<(String, bool)>, types: &[String], tables: Vec<TypeTable>) -> Self {
        let mut all = TypeTable {
            components: components.len(),
            buckets: Vec::new(),
        };
        for t in &tables {
            all.merge(t);
        }
        let by_type = if types.len() > 1 {
            types.iter().cloned().zip(tables).collect()
        } else {
            Vec::new()
        };
        Figures {
            components,
            all,
            by_type,
        }
    }

    /// Component indexes in the order the report lists them: traffic sources first, then the
    /// others in scenario order; only those charged something.
    pub fn order(&self, table: &TypeTable) -> Vec<usize> {
        let totals = table.totals();
        let charged = |i: &usize| totals.get(*i).is_some_and(|t| t.iter().any(|&v| v != 0));
        let sources = (0..self.components.len()).filter(|&i| self.components[i].1);
        let others = (0..self.components.len()).filter(|&i| !self.components[i].1);
        sources.chain(others).filter(charged).collect()
    }

    /// The share of the slowest 1%'s mean latency spent at `component` (queue, service and
    /// network together), if any request was measured.
    pub fn share_of_p99(&self, component: &str) -> Option<f64> {
        let i = self.components.iter().position(|(n, _)| n == component)?;
        let band = self.all.band(0.99, 1.0);
        if band.requests <= 0.0 || band.mean_latency_ns <= 0.0 {
            return None;
        }
        let m = band.means.get(i)?;
        Some((m[0] + m[1] + m[2]) / band.mean_latency_ns)
    }
}

/// The percentile bands reported: p0-50, p50-90, p90-99, p99-100.
pub const BANDS: [(f64, f64, &str); 4] = [
    (0.0, 0.5, "p0-50"),
    (0.5, 0.9, "p50-90"),
    (0.9, 0.99, "p90-99"),
    (0.99, 1.0, "p99-100"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_quarter_octaves_in_order() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1), 0);
        assert_eq!(bucket_of(2), 4);
        assert_eq!(bucket_of(3), 6);
        assert_eq!(bucket_of(4), 8);
        assert_eq!(bucket_of(5), 9);
        assert_eq!(bucket_of(7), 11);
        assert_eq!(bucket_of(8), 12);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        let mut last = 0;
        for ns in (1..100_000u64).step_by(7) {
            let b = bucket_of(ns);
            assert!(b >= last);
            last = b;
        }
    }

    fn table(rows: &[(u64, u128, [i128; 3])]) -> TypeTable {
        TypeTable {
            components: 1,
            buckets: rows
                .iter()
                .enumerate()
                .map(|(bucket, &(requests, latency_ns, s))| BucketRow {
                    bucket,
                    requests,
                    latency_ns,
                    sums: s.to_vec(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_straddling_bucket_is_split_by_rank() {
        // 90 requests of 10 ns (all queue), 10 of 100 ns (all service).
        let t = table(&[(90, 900, [900, 0, 0]), (10, 1000, [0, 1000, 0])]);
        let top = t.band(0.95, 1.0);
        assert!((top.requests - 5.0).abs() < 1e-9);
        assert!((top.mean_latency_ns - 100.0).abs() < 1e-9);
        assert_eq!(top.means[0], [0.0, 100.0, 0.0]);
        let middle = t.band(0.8, 0.95);
        // 10 of the fast, 5 of the slow.
        assert!((middle.requests - 15.0).abs() < 1e-9);
        assert!((middle.mean_latency_ns - (100.0 + 500.0) / 15.0).abs() < 1e-9);
        let all = t.band(0.0, 1.0);
        assert!((all.mean_latency_ns - 19.0).abs() < 1e-9);
    }
}
