//! Where the time goes: `summary.json`'s `breakdown` section ([`Breakdown`]) and its terminal
//! line, from the run's per-hop latency breakdown (see [`crate::model::breakdown`]).

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::figure::Figure;
use super::RunResult;
use crate::model::breakdown::{Figures, TypeTable, BANDS, FIELDS};

/// How the bands are made, written into the section so that a reader of the file knows.
pub const METHOD: &str = "Per succeeded request after the warm-up: queue (waiting for a worker), \
service (own work, not counting calls it waited on) and network (both ways) at each component; \
a traffic source's service is client time (retry backoff, abandoned attempts). Every request's \
charges sum to its end-to-end latency exactly. Requests are aggregated in quarter-octave \
latency buckets; a percentile band takes the buckets its ranks cover, splitting a boundary \
bucket in proportion (within a bucket, latencies differ by at most 19% and are assumed to be \
spent alike).";

/// `summary.json`'s `breakdown`: the figures of all requests, how they are made, and (with
/// more than one request type) the same figures per type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// All succeeded requests after the warm-up; its fields open the section.
    #[serde(flatten)]
    pub all: BreakdownGroup,
    /// [`METHOD`].
    pub method: String,
    /// Per request type, in the scenario's order; absent with a single type.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub by_type: IndexMap<String, BreakdownGroup>,
}

/// One group of requests (all of them, or one type): totals, means and percentile bands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BreakdownGroup {
    pub requests: u64,
    /// Sum of the group's end-to-end latencies [ns].
    pub latency_ns_total: NsTotal,
    pub mean_latency_ms: Figure,
    /// Every component on the requests' paths, in path order.
    pub components: Vec<BreakdownComponent>,
    /// One per band of [`BANDS`], fastest first.
    pub bands: Vec<BreakdownBand>,
}

/// What a component added to a group's latency: per request on average [ms], in total [ns],
/// and its share of the group's total latency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BreakdownComponent {
    pub component: String,
    /// `client` for a traffic source (its service is client time); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    pub queue_ms: Figure,
    pub service_ms: Figure,
    pub network_ms: Figure,
    pub queue_ns_total: NsTotal,
    pub service_ns_total: NsTotal,
    pub network_ns_total: NsTotal,
    pub share: Figure,
}

/// What a component's `service` means in the breakdown, where it is not its own work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A traffic source: its service is client time (retry backoff, abandoned attempts).
    Client,
}

/// One percentile band of a group (`p99-100`: the slowest 1%).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BreakdownBand {
    pub band: String,
    /// Requests in the band (a boundary bucket is split in proportion, so not whole).
    pub requests: Figure,
    pub mean_latency_ms: Figure,
    /// Each component's mean time per request of the band, in the group's component order.
    pub components: Vec<BandPart>,
}

/// A component's mean time per request of a band [ms].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BandPart {
    pub component: String,
    pub queue_ms: Figure,
    pub service_ms: Figure,
    pub network_ms: Figure,
}

/// A total of nanoseconds, written as an integer while it fits an `i64` (292 years) and as a
/// float beyond, as JSON readers that parse numbers as `i64` or `f64` expect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NsTotal(pub i128);

impl Serialize for NsTotal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match i64::try_from(self.0) {
            Ok(v) => s.serialize_i64(v),
            Err(_) => s.serialize_f64(self.0 as f64),
        }
    }
}

impl<'de> Deserialize<'de> for NsTotal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = NsTotal;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number of nanoseconds")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<NsTotal, E> {
                Ok(NsTotal(i128::from(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<NsTotal, E> {
                Ok(NsTotal(i128::from(v)))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<NsTotal, E> {
                // Written as a float only beyond i64, where it is a whole number.
                Ok(NsTotal(v as i128))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// One group (all requests, or one type): totals, means and bands.
fn group(f: &Figures, table: &TypeTable) -> BreakdownGroup {
    let order = f.order(table);
    let requests = table.requests();
    let latency = table.latency_ns();
    let totals = table.totals();
    let per = |ns: f64| {
        if requests > 0 {
            ns / requests as f64 / 1e6
        } else {
            0.0
        }
    };
    let components = order
        .iter()
        .map(|&i| {
            let t = totals[i];
            let all: i128 = t.iter().sum();
            let share = if latency > 0 {
                all as f64 / latency as f64
            } else {
                0.0
            };
            BreakdownComponent {
                component: f.components[i].0.clone(),
                role: f.components[i].1.then_some(Role::Client),
                queue_ms: Figure(per(t[0] as f64)),
                service_ms: Figure(per(t[1] as f64)),
                network_ms: Figure(per(t[2] as f64)),
                queue_ns_total: NsTotal(t[0]),
                service_ns_total: NsTotal(t[1]),
                network_ns_total: NsTotal(t[2]),
                share: Figure(share),
            }
        })
        .collect();
    let bands = BANDS
        .iter()
        .map(|&(from, to, label)| {
            let band = table.band(from, to);
            BreakdownBand {
                band: label.to_string(),
                requests: Figure(band.requests),
                mean_latency_ms: Figure(band.mean_latency_ns / 1e6),
                components: order
                    .iter()
                    .map(|&i| {
                        let m = band.means[i];
                        BandPart {
                            component: f.components[i].0.clone(),
                            queue_ms: Figure(m[0] / 1e6),
                            service_ms: Figure(m[1] / 1e6),
                            network_ms: Figure(m[2] / 1e6),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    BreakdownGroup {
        requests,
        latency_ns_total: NsTotal(latency as i128),
        mean_latency_ms: Figure(per(latency as f64)),
        components,
        bands,
    }
}

/// The `breakdown` section, or `None` when the run did not keep one.
pub fn section(r: &RunResult) -> Option<Breakdown> {
    let f = r.breakdown.as_ref()?;
    Some(Breakdown {
        all: group(f, &f.all),
        method: METHOD.to_string(),
        by_type: f
            .by_type
            .iter()
            .map(|(name, table)| (name.clone(), group(f, table)))
            .collect(),
    })
}

/// Terminal line: where the slowest 1% spend their time, biggest share first.
pub fn table_line(r: &RunResult) -> Option<String> {
    let f = r.breakdown.as_ref()?;
    if f.all.requests() == 0 {
        return None;
    }
    let band = f.all.band(0.99, 1.0);
    if band.mean_latency_ns <= 0.0 {
        return None;
    }
    let mut parts: Vec<(f64, String)> = Vec::new();
    for i in f.order(&f.all) {
        let m = band.means[i];
        let name = &f.components[i].0;
        let labels = if f.components[i].1 {
            ["", "client", ""]
        } else {
            ["queue", "service", "network"]
        };
        for k in 0..FIELDS {
            let share = m[k] / band.mean_latency_ns;
            if share >= 0.005 {
                parts.push((share, format!("{name} {} {:.0}%", labels[k], share * 100.0)));
            }
        }
    }
    parts.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let items: Vec<String> = parts.into_iter().take(4).map(|p| p.1).collect();
    Some(format!(
        "slowest 1%  mean {:.1}ms: {}",
        band.mean_latency_ns / 1e6,
        items.join(", ")
    ))
}
