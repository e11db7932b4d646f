//! `sim explain`: a scenario in plain words, for a room that has not read the YAML.
//!
//! The text is made from the typed scenario as written (`scenario::raw::Scenario`, values as
//! written: `20ms`, not `0.02`) and, for what only the check works out (the request types
//! that write, the seed, the replications), from the checked `Plan`; it is made after the
//! scenario has been checked, so everything it describes is valid. It says how long the run
//! is, where the traffic comes from (rate and its shape, mix, keys, clients, timeouts and
//! retries), what each component is and what it calls, the story in time order (traffic
//! changes and failures), the objective and assertions, and what the run writes.
//!
//! Each kind's sentence is made from its typed spec (`components.rs`), matched without a
//! catch-all arm and destructured without `..`: a kind or a field added to the scenario does
//! not compile until explain says what becomes of it. A setting a sentence does not put into
//! words is listed after it as written ("other settings: sessions: local", in the file's
//! order; `written.rs`), or left out on purpose with the reason in the code. Tested in
//! `tests/course.rs` (exact text for `tests/fixtures/explain.yaml`, and every shipped
//! scenario's predicted charts against a real run) and `tests/explain_outputs.rs` (the text
//! of every shipped scenario, by checksum).
//!
//! Parts: `written.rs` (values as written, settings in file order), `words.rs` (laws, rates,
//! shares in words), `traffic.rs` (a traffic source), `components.rs` (one sentence per
//! kind), `story.rs` (events in time order).

mod components;
mod story;
mod traffic;
mod words;
mod written;

use std::fmt::Write as _;

use crate::scenario::raw;
use crate::scenario::Plan;
use words::{distribution, joined};
use written::Written;

/// The chart files (without `.svg`) a run of this scenario draws, from its components.
pub fn expected_charts(scenario: &raw::Scenario, plan: &Plan) -> Vec<String> {
    let mut charts: Vec<String> = [
        "latency",
        "throughput",
        "errors",
        "availability",
        "latency-cdf",
        "latency-histogram",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // What the components call for, kind by kind.
    let mut hit_ratio = false;
    let mut servers = false;
    let mut queues = false;
    let mut autoscaled = false;
    let mut breakers = false;
    let mut replicated = false;
    let mut limiters = false;
    let mut balancers = Vec::new();
    for c in &scenario.components.value {
        match c {
            raw::ComponentSpec::Server(s) => {
                servers = true;
                autoscaled |= s.autoscale.is_some();
                breakers |= s.circuit_breaker.is_some();
            }
            raw::ComponentSpec::Cache(_) | raw::ComponentSpec::Cdn(_) => hit_ratio = true,
            raw::ComponentSpec::Queue(_) => queues = true,
            raw::ComponentSpec::Database(d) => {
                replicated |= d.replicas.as_ref().map(|r| r.value) != Some(0);
            }
            raw::ComponentSpec::RateLimiter(_) => limiters = true,
            raw::ComponentSpec::LoadBalancer(b) => balancers.push(b.name.value.as_str()),
            raw::ComponentSpec::ShardedDatabase(_)
            | raw::ComponentSpec::Dns(_)
            | raw::ComponentSpec::Provider(_)
            | raw::ComponentSpec::Fanout(_)
            | raw::ComponentSpec::IdGenerator(_)
            | raw::ComponentSpec::Realtime(_) => {}
        }
    }
    let writes = plan.write_types.iter().any(|w| *w);
    let mut add = |c: &str| {
        if !charts.iter().any(|x| x == c) {
            charts.push(c.to_string());
        }
    };
    if hit_ratio {
        add("cache-hit-ratio");
    }
    if servers {
        add("utilisation");
        add("queue");
    }
    if queues {
        add("queue");
    }
    if autoscaled {
        add("instances");
    }
    if breakers {
        add("circuit-breakers");
    }
    add("component-requests");
    if writes && replicated {
        add("replication-lag");
        add("stale-reads");
    }
    if limiters {
        add("rate-limiter-admitted");
        add("rate-limiter-rejected");
    }
    if queues {
        add("queue-throughput");
    }
    for name in balancers {
        add(&format!("backends-{name}"));
    }
    add("topology");
    charts
}

/// `Run: 10m of simulated time; ...`.
fn run_line(run: Option<&raw::RunSpec>, plan: &Plan) -> String {
    // The guards (in flight, memory) and the breakdown change what a run keeps, not what it
    // simulates; the replications are told from the plan.
    let (duration, requests, warmup, window) = match run {
        Some(raw::RunSpec {
            duration,
            requests,
            warmup,
            window,
            max_in_flight: _,
            max_memory: _,
            replications: _,
            breakdown: _,
        }) => (
            duration.as_ref(),
            requests.as_ref(),
            warmup.as_ref(),
            window.as_ref(),
        ),
        None => (None, None, None, None),
    };
    let mut line = String::from("Run: ");
    match (duration, requests) {
        (Some(d), Some(r)) => {
            let _ = write!(
                line,
                "{} of simulated time or {} requests, whichever comes first",
                d.written(),
                r.written()
            );
        }
        (Some(d), None) => {
            let _ = write!(line, "{} of simulated time", d.written());
        }
        (None, Some(r)) => {
            let _ = write!(line, "until {} requests have been answered", r.written());
        }
        (None, None) => line.push_str("no stop condition (give --duration or --requests)"),
    }
    if let Some(w) = warmup {
        let _ = write!(
            line,
            "; the first {} are a warm-up, left out of the figures",
            w.written()
        );
    }
    let _ = write!(line, "; seed {}", plan.seed);
    if plan.replications > 1 {
        let _ = write!(
            line,
            "; {} replications (seeds {} to {})",
            plan.replications,
            plan.seed,
            plan.seed + u64::from(plan.replications) - 1
        );
    }
    if let Some(w) = window {
        let _ = write!(line, "; time series in windows of {}", w.written());
    }
    line
}

/// The network, the data centers and the regions, a line each.
fn network(
    out: &mut String,
    network: Option<&raw::NetworkSpec>,
    data_centers: Option<&raw::At<Vec<raw::DataCenterSpec>>>,
) {
    let (default, links, regions) = match network {
        Some(raw::NetworkSpec {
            default,
            links,
            regions,
        }) => (default.as_ref(), links.as_ref(), regions.as_ref()),
        None => (None, None, None),
    };
    let default = default.map_or_else(
        || "no time (instant)".to_string(),
        |d| distribution(&d.value),
    );
    let links: Vec<String> = links
        .into_iter()
        .flatten()
        .map(|l| {
            let raw::LinkSpec { between, latency } = l;
            format!(
                "{}: {}",
                joined(&between.value, " and "),
                distribution(&latency.value)
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "\nNetwork: a message between two components takes {default}{}.",
        if links.is_empty() {
            String::new()
        } else {
            format!(", except between {}", links.join("; between "))
        }
    );
    for dc in data_centers.into_iter().flat_map(|d| &d.value) {
        let raw::DataCenterSpec {
            name,
            region,
            components,
        } = dc;
        let _ = writeln!(
            out,
            "Data center {} in region {} holds {}.",
            name.value,
            region.value,
            joined(&components.value, ", ")
        );
    }
    let regions: Vec<String> = regions
        .into_iter()
        .flat_map(|r| &r.value)
        .map(|r| {
            let raw::RegionLinkSpec { between, latency } = r;
            format!(
                "{}: {}",
                joined(&between.value, " and "),
                distribution(&latency.value)
            )
        })
        .collect();
    if !regions.is_empty() {
        let _ = writeln!(
            out,
            "Between regions (clients and data centers), a message also takes: {}.",
            regions.join("; ")
        );
    }
}

/// The scenario in plain words. `scenario` is the file as written, `plan` the checked
/// scenario, `shown` the file as the user named it.
pub fn explain(scenario: &raw::Scenario, plan: &Plan, shown: &str) -> String {
    // The name, the description, the seed and the request types that write are told from the
    // plan, which works out their defaults; prices are told by `sim run`'s outputs and the
    // estimate's sizes by `sim estimate`.
    let raw::Scenario {
        name: _,
        description: _,
        seed: _,
        run,
        traffic,
        components,
        network: network_spec,
        slo,
        failures,
        random_failures,
        write_types: _,
        assertions,
        variants,
        compare,
        data_centers,
        cost: _,
        estimate: _,
    } = scenario;
    let mut out = String::new();
    let _ = writeln!(out, "{} ({shown})", plan.name);
    if let Some(d) = &plan.description {
        let _ = writeln!(out, "{}", crate::format::one_line(d, usize::MAX));
    }
    out.push('\n');
    let _ = writeln!(out, "{}.\n", run_line(run.as_ref().map(|r| &r.value), plan));

    let _ = writeln!(out, "Traffic:");
    for t in &traffic.value {
        traffic::traffic_source(&mut out, t);
    }
    let writes: Vec<&str> = plan
        .request_types
        .iter()
        .zip(&plan.write_types)
        .filter(|(_, w)| **w)
        .map(|(t, _)| t.as_str())
        .collect();
    if !writes.is_empty() {
        let _ = writeln!(out, "Requests that write data: {}.", writes.join(", "));
    }

    let _ = writeln!(out, "\nComponents (each with what it calls):");
    for c in &components.value {
        components::component(&mut out, c);
    }

    network(&mut out, network_spec.as_ref(), data_centers.as_ref());

    let events = story::story(scenario);
    let _ = writeln!(out, "\nStory, in time order:");
    if events.is_empty() && random_failures.as_ref().is_none_or(|r| r.is_empty()) {
        let _ = writeln!(out, "- nothing changes: steady traffic, no failures.");
    }
    for e in &events {
        let _ = writeln!(out, "- at {}: {}.", crate::format::clock(e.at), e.text);
    }
    for r in random_failures.iter().flatten() {
        let raw::RandomFailureSpec { target, mtbf, mttr } = r;
        let _ = writeln!(
            out,
            "- all along: every instance of {} fails after {} and is repaired after {}, at random.",
            target.value,
            distribution(&mtbf.value),
            distribution(&mttr.value)
        );
    }

    if let Some(slo) = slo {
        let raw::SloSpec { latency, target } = &slo.value;
        let _ = writeln!(
            out,
            "\nObjective (SLO): {} of the requests succeed within {}.",
            target.written(),
            latency.written()
        );
    }
    if let Some(asserts) = assertions {
        let _ = writeln!(
            out,
            "\nAssertions, checked after the run (sim run and sim check exit 1 if one fails):"
        );
        for a in &asserts.value {
            let text = match &a.value {
                raw::OrMap::Map(raw::AssertSpec {
                    that,
                    confidence,
                    id,
                    during,
                }) => {
                    let mut text = that.value.clone();
                    if let Some(d) = during {
                        let times: Vec<String> = d.value.iter().map(|t| t.written()).collect();
                        text = format!(
                            "{text}, from {} to {}",
                            times.first().map_or("?", |t| t),
                            times.get(1).map_or("?", |t| t)
                        );
                    }
                    if let Some(c) = confidence {
                        text = format!("{text} (on the {} confidence bound)", c.written());
                    }
                    match id {
                        Some(id) => format!("{}: {text}", id.value),
                        None => text,
                    }
                }
                raw::OrMap::Scalar(s) => s.written(),
            };
            let _ = writeln!(out, "- {text}");
        }
    }
    if let Some(variants) = variants {
        let _ = writeln!(
            out,
            "\nVariants, for sim compare (the same traffic and failures for each):"
        );
        for (name, overrides) in &variants.value {
            let set: Vec<String> = overrides
                .value
                .iter()
                .map(|(p, v)| format!("{} = {}", p.value, v.written()))
                .collect();
            let _ = writeln!(
                out,
                "- {}: {}",
                name.value,
                if set.is_empty() {
                    "as written".to_string()
                } else {
                    set.join(", ")
                }
            );
        }
    }
    if let Some(compare) = compare {
        let list = |l: &Option<raw::At<Vec<raw::At<String>>>>| {
            l.as_ref().map_or(String::new(), |l| {
                l.value
                    .iter()
                    .map(|n| n.value.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        };
        let headline = list(&compare.value.headline);
        if !headline.is_empty() {
            let _ = writeln!(out, "sim compare shows first: {headline}.");
        }
        let expected = list(&compare.value.expect_fail);
        if !expected.is_empty() {
            let _ = writeln!(
                out,
                "Meant to fail the assertions (sim compare shows their failures as expected, and they do not make it exit 1): {expected}."
            );
        }
    }

    let _ = writeln!(
        out,
        "\nOutput, in output/{}/: summary.json (totals, latency percentiles, per component and per request type{}), timeseries.csv (the same per time window), report.html (everything on one page), report-data.json, and charts/: {}.",
        plan.name,
        if failures.is_some() || random_failures.is_some() {
            ", failures, what was lost, downtime"
        } else {
            ""
        },
        expected_charts(scenario, plan).join(", ")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::components::component;
    use super::words::{distribution, rate, shares};
    use crate::scenario::raw;

    fn typed<T: for<'de> serde::Deserialize<'de>>(yaml: &str) -> T {
        match serde_saphyr::from_str(yaml) {
            Ok(v) => v,
            Err(e) => panic!("{yaml}: {e}"),
        }
    }

    fn explained(yaml: &str) -> String {
        let mut out = String::new();
        component(&mut out, &typed::<raw::ComponentSpec>(yaml));
        out
    }

    #[test]
    fn distributions_and_rates_read_as_words() {
        let d = |y: &str| distribution(&typed(y));
        assert_eq!(d("20ms"), "20ms (constant)");
        assert_eq!(d("{exponential: 5ms}"), "exponential, mean 5ms");
        assert_eq!(
            d("{lognormal: {median: 7ms, p99: 30ms}}"),
            "log-normal, median 7ms, p99 30ms"
        );
        assert_eq!(
            d("{uniform: {min: 1ms, max: 3ms}}"),
            "uniform between 1ms and 3ms"
        );
        let r = |y: &str| rate(&typed(y));
        assert_eq!(r("100/s"), "at 100/s");
        assert_eq!(
            r("{ramp: {from: 1/s, to: 2/s, end: 5m}}"),
            "ramping from 1/s to 2/s between 0s and 5m"
        );
        assert_eq!(
            r("{steps: [{at: 0s, rate: 1/s}, {at: 1m, rate: 3/s}]}"),
            "in steps: 1/s at 0s, 3/s at 1m"
        );
    }

    #[test]
    fn shares_of_a_mix() {
        assert_eq!(shares(&typed("{read: 9, write: 1}")), "read 90%, write 10%");
        assert_eq!(shares(&typed("{a: 1, b: 2}")), "a 33.3%, b 66.7%");
    }

    #[test]
    fn settings_a_sentence_does_not_tell_are_listed_as_written_in_file_order() {
        let out = explained("{server: {name: web, sessions: local, service_time: 1ms}}");
        assert!(
            out.ends_with("; other settings: sessions: local.\n"),
            "{out}"
        );
        let out = explained(
            "{cdn: {name: cdn, origin: lb, eviction: fifo, edges: [{region: us}], hit_time: {lognormal: {p99: 3ms, median: 1ms}}, capacity: 10}}",
        );
        assert!(
            out.ends_with(
                "; other settings: eviction: fifo, hit_time: {lognormal: {p99: 3ms, median: 1ms}}, capacity: 10.\n"
            ),
            "{out}"
        );
        let out = explained(
            "{database: {name: db, replicas: 0, lag: 5ms, read_time: 1ms, reads: master, replication: sync, balance: random}}",
        );
        assert!(
            out.ends_with(
                "; other settings: lag: 5ms, reads: master, replication: sync, balance: random.\n"
            ),
            "{out}"
        );
        let out =
            explained("{database: {name: db, balance: random, read_time: 1ms, reads: master}}");
        assert!(
            out.ends_with("; reads go to the master; if the master crashes, the crash is detected after 10s and a replica promoted 1s later; other settings: balance: random.\n"),
            "{out}"
        );
    }

    #[test]
    fn an_assertion_without_a_confidence_reads_as_written() {
        let yaml = "run: {duration: 1m}\ntraffic: [{name: u, to: web, rate: 1/s}]\n\
                    components: [{server: {name: web, service_time: 1ms}}]\n\
                    assert: [{that: p99 < 1s}, {that: p50 < 1s, confidence: 95%}]\n";
        let plan = match crate::scenario::load_str(yaml, "t.yaml", "t") {
            Ok(plan) => plan,
            Err(e) => panic!("{}", e.render()),
        };
        let out = super::explain(&typed(yaml), &plan, "t.yaml");
        assert!(
            out.contains("\n- p99 < 1s\n- p50 < 1s (on the 95% confidence bound)\n"),
            "{out}"
        );
    }

    #[test]
    fn a_geodns_and_a_cdn_in_plain_words() {
        assert_eq!(
            explained(
                "{dns: {name: geo, targets: [lb-us, lb-eu], ttl: 30s, routing: {eu: {dc-eu: 70, dc-us: 30}}}}"
            ),
            "- geo: a geoDNS in front of the data centers' entry points lb-us, lb-eu: each client \
             caches its answer for 30s (a resolution takes 20ms); clients in eu go to dc-eu (70), \
             dc-us (30); it probes each data center every 10s and stops answering with one after 3 \
             failed probes, but clients that cached it keep going there until their answer expires.\n"
        );
        assert_eq!(
            explained(
                "{cdn: {name: cdn, origin: lb, static_types: [image], ttl: 10m, edges: [{region: us}, {region: eu}], purges: [{at: 4m}]}}"
            ),
            "- cdn: a CDN with an edge in each of us, eu caching image for 10m; misses and other \
             requests go to lb; purges at 4m.\n"
        );
    }
}
