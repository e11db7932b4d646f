//! The twin's view of a CDN: the edges' hit ratio under a TTL, from the cache's renewal formula
//! (`cache::theory::ttl_hit_ratio`: `lambda T / (1 + lambda T)` per object), summed over the
//! edges and static types with each edge's share of the traffic. What the origin receives is
//! not modelled (a TTL cache's misses are not Poisson, and the shield would need its own
//! model), so the components behind a CDN get no figures.

use super::*;
use crate::model::cdn::CdnConfig;

impl Twin<'_> {
    pub(super) fn flow_cdn(&mut self, id: usize, cdn: &CdnConfig, rates: &Rates) {
        let (model, result) = match self.cdn_hit_ratio(id, cdn, rates) {
            Ok(h) => ("TTL per edge: lambda T / (1 + lambda T)", Ok(h)),
            Err(why) => ("-", Err(why)),
        };
        self.out.push(Expectation {
            component: cdn.name.clone(),
            metric: "hit_ratio",
            model: model.into(),
            theory: result.as_ref().ok().copied(),
            tolerance: 0.05,
            note: result.err(),
        });
        let why = format!(
            "not applicable: fed by '{}', whose misses the twin does not model",
            cdn.name
        );
        self.state_dependent[cdn.origin.index()].get_or_insert(why);
    }

    fn cdn_hit_ratio(&self, id: usize, cdn: &CdnConfig, rates: &Rates) -> Result<f64, String> {
        let mut sources = self.plan.components.iter().filter_map(|(_, c)| match c {
            ComponentPlan::Source(s) => Some(s),
            _ => None,
        });
        let (Some(source), None) = (sources.next(), sources.next()) else {
            return Err("not applicable: several traffic sources".into());
        };
        if source.target.index() != id {
            return Err(
                "not applicable: the traffic reaches the CDN through other components".into(),
            );
        }
        if cdn.capacity.is_some() {
            return Err("not applicable: capacity and TTL together have no closed form".into());
        }
        if !cdn.purges.is_empty() || !cdn.deploys.is_empty() {
            return Err("not applicable: purges and deploys restart the objects' cycles".into());
        }
        let sampler = KeySampler::new(&source.keys)
            .map_err(|_| "not applicable: key popularity".to_string())?;
        if sampler.count() > MAX_KEYS_FOR_CACHE_THEORY {
            return Err(format!(
                "not computed: more than {MAX_KEYS_FOR_CACHE_THEORY} keys"
            ));
        }
        let probs: Vec<f64> = (0..sampler.count())
            .map(|k| sampler.probability(k))
            .collect();
        // Each edge's share of the requests: its regions' weights (regions without an edge
        // go to the first edge).
        let mut share = vec![0.0; cdn.edges.len()];
        let total: f64 = source.regions.iter().map(|&(_, w)| w).sum();
        let regions: Vec<(u16, f64)> = if source.regions.is_empty() {
            vec![(0, 1.0)]
        } else {
            source
                .regions
                .iter()
                .map(|&(r, w)| (r, w / total))
                .collect()
        };
        for (region, w) in regions {
            let edge = cdn
                .edges
                .iter()
                .position(|e| e.region == region)
                .unwrap_or(0);
            if let Some(s) = share.get_mut(edge) {
                *s += w;
            }
        }
        let (mut hits, mut lookups) = (0.0, 0.0);
        for (t, &rate) in rates.iter().enumerate() {
            if rate <= 0.0 || !cdn.static_types.get(t).copied().unwrap_or(false) {
                continue;
            }
            let Some(ttl) = cdn.ttl.get(t).copied().flatten() else {
                return Err(
                    "not applicable: without a TTL an unbounded edge only has cold misses".into(),
                );
            };
            for &s in &share {
                let edge_rate = rate * s;
                hits += edge_rate * theory::ttl_hit_ratio(&probs, edge_rate, ttl.as_secs_f64());
                lookups += edge_rate;
            }
        }
        if lookups <= 0.0 {
            return Err("not applicable: no static requests".into());
        }
        Ok(hits / lookups)
    }
}
