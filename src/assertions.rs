//! Assertions: checks of a run's results for CI (`assert:` in the scenario).
//!
//! An assertion is `<metric> <op> <value>`, e.g. `p99 < 250ms`, `availability >= 99.9%`,
//! `lost.writes == 0`, `web.utilization < 0.8`, `read.p99 < 100ms`. The metric is read from the
//! run's `summary.json` value, so every figure there can be asserted on the same way the file
//! shows it. Parsing happens during validation (with the names of the scenario's components and
//! request types, for did-you-mean help); judging happens after the run.
//!
//! With replications an assertion is judged on the mean over the replications, or, when it asks
//! for a `confidence` (e.g. 95%), on the bound of that confidence interval that is hardest to
//! meet: the upper bound for `<`/`<=`, the lower bound for `>`/`>=`. So a capacity test that
//! passes says "with 95% confidence the true p99 is below 250ms", and does not flake.

use serde_json::Value;

use crate::scenario::units::{parse_duration, parse_rate};

/// Latency figures, as in `latency_ms` of `summary.json`.
pub const LATENCY_METRICS: &[&str] = &["mean", "p50", "p90", "p95", "p99", "p999", "max"];

/// Metrics of the whole run (besides `lost.<category>` and `slo.<figure>`).
pub const RUN_METRICS: &[&str] = &[
    "mean",
    "p50",
    "p90",
    "p95",
    "p99",
    "p999",
    "max",
    "availability",
    "error_rate",
    "throughput",
    "offered",
    "requests",
    "succeeded",
    "failed",
    "rejected",
    "timed_out",
    "in_flight_at_end",
];

/// Metrics of one request type (`read.p99`).
pub const TYPE_METRICS: &[&str] = &[
    "mean",
    "p50",
    "p90",
    "p95",
    "p99",
    "p999",
    "max",
    "availability",
    "error_rate",
    "requests",
    "succeeded",
    "failed",
    "rejected",
    "timed_out",
];

/// Metrics every component reports (`web.utilization`); a component may report more (a cache's
/// `hit_ratio`, ...): any number in its `summary.json` entry can be asserted on.
pub const COMPONENT_METRICS: &[&str] = &[
    "mean",
    "p50",
    "p90",
    "p95",
    "p99",
    "p999",
    "max",
    "availability",
    "error_rate",
    "throughput",
    "utilization",
    "queue_mean",
    "queue_peak",
    "requests",
    "succeeded",
    "failed",
    "rejected",
    "timed_out",
];

/// Figures of the service-level objective (`slo.good_fraction`).
pub const SLO_METRICS: &[&str] = &["good_fraction", "budget_used"];

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    pub fn holds(self, value: f64, limit: f64) -> bool {
        match self {
            Op::Lt => value < limit,
            Op::Le => value <= limit,
            Op::Gt => value > limit,
            Op::Ge => value >= limit,
            Op::Eq => value == limit,
            Op::Ne => value != limit,
        }
    }
}

/// What a metric measures, which decides the units its limit is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// Milliseconds; the limit needs a duration unit (250ms, 1.5s).
    Latency,
    /// A fraction; the limit is a percentage (99.9%) or a number (0.999).
    Ratio,
    /// Requests per second; the limit is a rate (1000/s) or a number.
    Rate,
    /// A count or any other number; a percentage is read as a fraction.
    Number,
}

/// Whose figure an assertion reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Run,
    Type(String),
    Component(String),
}

/// One parsed assertion.
#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    /// As written: "p99 < 250ms".
    pub text: String,
    pub scope: Scope,
    /// The figure within the scope: "p99", "availability", "lost.writes", "hit_ratio".
    pub metric: String,
    pub op: Op,
    /// The limit in the metric's unit (milliseconds for latencies, a fraction for ratios).
    pub limit: f64,
    pub quantity: Quantity,
    /// Judge this two-sided confidence bound (0.95) over replications instead of the mean.
    pub confidence: Option<f64>,
}

/// A problem in an assertion's text, at a byte offset into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
    pub help: Option<String>,
}

/// Names an assertion may refer to: the scenario's components and request types.
pub struct Names<'a> {
    pub components: &'a [String],
    pub types: &'a [String],
    /// The figures of its own each component reports (by position in `components`), where its
    /// kind declares them ([`crate::model::figures::Figures::names_of`]); `None` leaves an
    /// unknown name to be found in the results.
    pub own_figures: &'a [Option<&'static [&'static str]>],
}

const OPERATORS: [(&str, Op); 6] = [
    ("<=", Op::Le),
    (">=", Op::Ge),
    ("==", Op::Eq),
    ("!=", Op::Ne),
    ("<", Op::Lt),
    (">", Op::Gt),
];

fn error(offset: usize, message: impl Into<String>, help: Option<String>) -> ParseError {
    ParseError {
        offset,
        message: message.into(),
        help,
    }
}

fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    crate::format::suggestion(name, candidates)
}

/// Parses `<metric> <op> <value>`.
pub fn parse(text: &str, names: &Names<'_>) -> Result<Assertion, ParseError> {
    let Some((at, symbol, op)) = text.char_indices().find_map(|(i, _)| {
        OPERATORS
            .iter()
            .find(|(s, _)| text[i..].starts_with(s))
            .map(|&(s, op)| (i, s, op))
    }) else {
        let help = if text.contains('=') {
            "compare with <, <=, >, >=, == or != (a single '=' is not a comparison)"
        } else {
            "write <metric> <op> <value>, e.g. 'p99 < 250ms' or 'availability >= 99.9%'"
        };
        return Err(error(
            0,
            "expected a comparison (<, <=, >, >=, == or !=)",
            Some(help.to_string()),
        ));
    };
    let lhs = &text[..at];
    let metric_offset = lhs.len() - lhs.trim_start().len();
    let lhs = lhs.trim();
    let rhs_start = at + symbol.len();
    let rhs_raw = &text[rhs_start..];
    let value_offset = rhs_start + (rhs_raw.len() - rhs_raw.trim_start().len());
    let rhs = rhs_raw.trim();
    if lhs.is_empty() {
        return Err(error(
            metric_offset,
            "the metric is missing before the comparison",
            Some("e.g. 'p99 < 250ms'".to_string()),
        ));
    }
    let (scope, metric) = resolve_metric(lhs, names).map_err(|mut e| {
        e.offset += metric_offset;
        e
    })?;
    if rhs.is_empty() {
        return Err(error(
            value_offset,
            "the value is missing after the comparison",
            None,
        ));
    }
    let quantity = quantity_of(&metric);
    let limit = parse_limit(rhs, quantity, lhs).map_err(|(message, help)| ParseError {
        offset: value_offset,
        message,
        help,
    })?;
    Ok(Assertion {
        text: text.trim().to_string(),
        scope,
        metric,
        op,
        limit,
        quantity,
        confidence: None,
    })
}

fn canonical(metric: &str) -> &str {
    match metric {
        "p99.9" => "p999",
        "p100" => "max",
        "p50.0" => "p50",
        other => other,
    }
}

/// Splits `web.p99` into (component web, p99), `p99` into (run, p99), `lost.writes` into
/// (run, lost.writes).
fn resolve_metric(lhs: &str, names: &Names<'_>) -> Result<(Scope, String), ParseError> {
    let whole = canonical(lhs);
    if RUN_METRICS.contains(&whole) {
        return Ok((Scope::Run, whole.to_string()));
    }
    if let Some(category) = lhs.strip_prefix("lost.") {
        if category.is_empty() {
            return Err(error(5, "name what was lost: lost.writes, lost.total or a category of summary.json's 'lost'", None));
        }
        return Ok((Scope::Run, lhs.to_string()));
    }
    if let Some(figure) = lhs.strip_prefix("slo.") {
        if !SLO_METRICS.contains(&figure) {
            return Err(error(
                4,
                format!("unknown SLO figure '{figure}'"),
                Some(suggest(figure, SLO_METRICS.iter().copied())),
            ));
        }
        return Ok((Scope::Run, lhs.to_string()));
    }
    let Some((owner, metric)) = lhs.split_once('.') else {
        let help = suggest(lhs, RUN_METRICS.iter().copied());
        let help = if names.components.iter().any(|c| c == lhs) {
            format!("'{lhs}' is a component: name one of its figures, e.g. '{lhs}.utilization' or '{lhs}.p99'")
        } else if names.types.iter().any(|t| t == lhs) {
            format!("'{lhs}' is a request type: name one of its figures, e.g. '{lhs}.p99'")
        } else {
            help
        };
        return Err(error(0, format!("unknown metric '{lhs}'"), Some(help)));
    };
    let metric_at = owner.len() + 1;
    let metric = canonical(metric);
    if let Some(index) = names.components.iter().position(|c| c == owner) {
        let own = names.own_figures.get(index).copied().flatten();
        if let Some(own) =
            own.filter(|own| !COMPONENT_METRICS.contains(&metric) && !own.contains(&metric))
        {
            return Err(error(
                metric_at,
                format!("component '{owner}' does not report '{metric}'"),
                Some(suggest(
                    metric,
                    COMPONENT_METRICS.iter().chain(own.iter()).copied(),
                )),
            ));
        }
        if own.is_none() && !COMPONENT_METRICS.contains(&metric) {
            // A component may report figures of its own (a cache's hit_ratio); only a name close
            // to a common one is surely a typo. Unknown names are checked against the results.
            if let Some(close) =
                crate::format::did_you_mean(metric, COMPONENT_METRICS.iter().copied())
            {
                return Err(error(
                    metric_at,
                    format!("unknown metric '{metric}' of component '{owner}'"),
                    Some(format!("did you mean '{close}'?")),
                ));
            }
        }
        return Ok((Scope::Component(owner.to_string()), metric.to_string()));
    }
    if names.types.iter().any(|t| t == owner) {
        if !TYPE_METRICS.contains(&metric) {
            return Err(error(
                metric_at,
                format!("unknown metric '{metric}' of request type '{owner}'"),
                Some(suggest(metric, TYPE_METRICS.iter().copied())),
            ));
        }
        return Ok((Scope::Type(owner.to_string()), metric.to_string()));
    }
    let known: Vec<&str> = names
        .components
        .iter()
        .chain(names.types)
        .map(String::as_str)
        .chain(["lost", "slo"])
        .collect();
    let help = match crate::format::did_you_mean(owner, known.iter().copied()) {
        Some(best) => format!("did you mean '{best}'?"),
        None => format!(
            "before the '.' give a component or request type ({}), or 'lost' or 'slo'",
            known.join(", ")
        ),
    };
    Err(error(
        0,
        format!("'{owner}' is not a component or request type"),
        Some(help),
    ))
}

fn quantity_of(metric: &str) -> Quantity {
    if LATENCY_METRICS.contains(&metric) {
        Quantity::Latency
    } else if matches!(
        metric,
        "availability" | "error_rate" | "utilization" | "slo.good_fraction"
    ) || metric.ends_with("_ratio")
    {
        Quantity::Ratio
    } else if metric == "throughput" || metric == "offered" {
        Quantity::Rate
    } else {
        Quantity::Number
    }
}

fn parse_number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// The limit in the metric's unit, or (message, help).
fn parse_limit(
    text: &str,
    quantity: Quantity,
    metric: &str,
) -> Result<f64, (String, Option<String>)> {
    let percent = |t: &str| {
        t.strip_suffix('%')
            .and_then(|n| parse_number(n.trim()))
            .map(|p| p / 100.0)
    };
    match quantity {
        Quantity::Latency => {
            if parse_number(text).is_some() {
                return Err((
                    format!("'{metric}' is a latency: its limit needs a unit"),
                    Some(format!("e.g. '{text}ms' or '{text}s'")),
                ));
            }
            parse_duration(text)
                .map(|d| d.as_millis_f64())
                .map_err(|e| (format!("limit of '{metric}': {e}"), None))
        }
        Quantity::Ratio => percent(text).or_else(|| parse_number(text)).ok_or_else(|| {
            (
                format!("'{text}' is not a fraction"),
                Some("write a percentage (99.9%) or a number (0.999)".to_string()),
            )
        }),
        Quantity::Rate => parse_number(text)
            .map_or_else(|| parse_rate(text), Ok)
            .map_err(|e| (format!("limit of '{metric}': {e}"), None)),
        Quantity::Number => percent(text).or_else(|| parse_number(text)).ok_or_else(|| {
            (
                format!("'{text}' is not a number"),
                Some("write a number (0, 0.8, 1000) or a percentage (80%)".to_string()),
            )
        }),
    }
}

/// Reads the figure an assertion is about from a run's `summary.json` value.
pub fn measure(summary: &Value, scope: &Scope, metric: &str) -> Result<f64, String> {
    let (base, whose) = match scope {
        Scope::Run => (summary, "the run".to_string()),
        Scope::Type(t) => (
            &summary["request_types"][t.as_str()],
            format!("request type '{t}'"),
        ),
        Scope::Component(c) => (
            &summary["components"][c.as_str()],
            format!("component '{c}'"),
        ),
    };
    if base.is_null() {
        return Err(format!("{whose} has no results"));
    }
    let number = |v: &Value, what: &str| {
        v.as_f64()
            .ok_or_else(|| format!("{whose} has no value for '{what}' (no requests measured?)"))
    };
    if LATENCY_METRICS.contains(&metric) {
        return number(&base["latency_ms"][metric], metric);
    }
    if let Some(category) = metric.strip_prefix("lost.") {
        let lost = summary["lost"].as_object();
        let sum = lost
            .into_iter()
            .flatten()
            .filter(|(name, _)| match category {
                "total" => true,
                "writes" => name.as_str() == "writes" || name.ends_with("_writes"),
                c => name.as_str() == c,
            });
        return Ok(sum.filter_map(|(_, v)| v.as_f64()).sum());
    }
    match (scope, metric) {
        (_, "availability") => number(&base["availability"], metric),
        (_, "error_rate") => number(&base["availability"], metric).map(|a| 1.0 - a),
        (Scope::Run, "slo.good_fraction") => number(&summary["slo"]["good_fraction"], metric),
        (Scope::Run, "slo.budget_used") => number(&summary["slo"]["error_budget"]["used"], metric),
        (Scope::Run | Scope::Component(_), "throughput") => number(&base["throughput_rps"], metric),
        (Scope::Run, "offered") => number(&base["offered_rps"], metric),
        (Scope::Run, "requests") => number(&base["requests"]["total"], metric),
        (Scope::Run, m) => number(&base["requests"][m], m),
        (Scope::Type(_), "requests") => number(&base["total"], metric),
        (_, m) => match base.get(m) {
            Some(v) => number(v, m),
            None => {
                let figures: Vec<&str> = base
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(_, v)| v.is_number())
                    .map(|(k, _)| k.as_str())
                    .chain(LATENCY_METRICS.iter().copied())
                    .chain(["error_rate", "throughput"])
                    .collect();
                Err(format!(
                    "{whose} does not report '{m}'; {}",
                    suggest(m, figures.iter().copied())
                ))
            }
        },
    }
}

/// How an assertion did.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub text: String,
    pub passed: bool,
    /// The figure judged (the value, the mean, or a confidence bound), if it could be read.
    pub value: Option<f64>,
    pub limit: f64,
    /// What `value` is: "value", "mean of 10", "upper 95% bound of 10".
    pub judged_on: String,
    /// One line: what was measured against what, and by how much it missed or held.
    pub message: String,
}

/// A figure in the metric's unit, for messages.
pub fn show(quantity: Quantity, x: f64) -> String {
    match quantity {
        Quantity::Latency => {
            if x.abs() >= 1000.0 {
                format!("{}s", trim(x / 1000.0, 3))
            } else {
                format!("{}ms", trim(x, 3))
            }
        }
        Quantity::Ratio => format!("{}%", trim(x * 100.0, 4)),
        Quantity::Rate => format!("{}/s", trim(x, 2)),
        Quantity::Number => trim(x, 4),
    }
}

fn trim(x: f64, decimals: usize) -> String {
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Judges `assertion` on the values of its metric in each replication (one value without
/// replications). `Err` values are figures that could not be read.
pub fn judge(assertion: &Assertion, values: &[Result<f64, String>]) -> Verdict {
    let fail = |message: String| Verdict {
        text: assertion.text.clone(),
        passed: false,
        value: None,
        limit: assertion.limit,
        judged_on: "value".to_string(),
        message,
    };
    let mut numbers = Vec::with_capacity(values.len());
    for v in values {
        match v {
            Ok(x) => numbers.push(*x),
            Err(e) => return fail(e.clone()),
        }
    }
    let n = numbers.len();
    let (value, judged_on) = match (n, assertion.confidence) {
        (0, _) => return fail("no results".to_string()),
        (1, None) => (numbers[0], "value".to_string()),
        (_, None) => (
            crate::replications::mean(&numbers),
            format!("mean of {n} replications"),
        ),
        (1, Some(_)) => return fail(
            "a confidence bound needs at least 2 replications (run.replications or --replications)"
                .to_string(),
        ),
        (_, Some(level)) => {
            let ci = crate::replications::Interval::of(&numbers, level);
            let pct = trim(level * 100.0, 2);
            match assertion.op {
                Op::Lt | Op::Le => (ci.high, format!("upper {pct}% bound over {n} replications")),
                Op::Gt | Op::Ge => (ci.low, format!("lower {pct}% bound over {n} replications")),
                Op::Eq | Op::Ne => (ci.mean, format!("mean of {n} replications")),
            }
        }
    };
    let passed = assertion.op.holds(value, assertion.limit);
    let q = assertion.quantity;
    let shown = show(q, value);
    let limit = show(q, assertion.limit);
    let gap = (value - assertion.limit).abs();
    let relative = if assertion.limit != 0.0 {
        format!(" ({}%)", trim(gap / assertion.limit.abs() * 100.0, 1))
    } else {
        String::new()
    };
    let what = match judged_on.as_str() {
        "value" => String::new(),
        other => format!(" ({other})"),
    };
    let message = if passed {
        match assertion.op {
            Op::Eq | Op::Ne => format!("{shown}{what}"),
            _ => format!(
                "{shown}{what}, {}{relative} within the limit {limit}",
                show_gap(q, gap)
            ),
        }
    } else {
        match assertion.op {
            Op::Eq => format!("{shown}{what}, expected {limit}"),
            Op::Ne => format!("{shown}{what}, expected anything but {limit}"),
            Op::Lt | Op::Le => format!(
                "{shown}{what} is {}{relative} over the limit {limit}",
                show_gap(q, gap)
            ),
            Op::Gt | Op::Ge => format!(
                "{shown}{what} is {}{relative} under the limit {limit}",
                show_gap(q, gap)
            ),
        }
    };
    Verdict {
        text: assertion.text.clone(),
        passed,
        value: Some(value),
        limit: assertion.limit,
        judged_on,
        message,
    }
}

fn show_gap(q: Quantity, gap: f64) -> String {
    match q {
        Quantity::Ratio => format!("{} points", trim(gap * 100.0, 4)),
        other => show(other, gap),
    }
}

/// Judges every assertion on the `summary.json` values of one or more replications.
pub fn judge_all(assertions: &[Assertion], summaries: &[&Value]) -> Vec<Verdict> {
    assertions
        .iter()
        .map(|a| {
            let values: Vec<Result<f64, String>> = summaries
                .iter()
                .map(|s| measure(s, &a.scope, &a.metric))
                .collect();
            judge(a, &values)
        })
        .collect()
}

/// `summary.json`'s `assertions` section.
pub fn to_json(verdicts: &[Verdict]) -> Value {
    let round = |x: f64| (x * 1e6).round() / 1e6;
    Value::Array(
        verdicts
            .iter()
            .map(|v| {
                serde_json::json!({
                    "assert": v.text,
                    "passed": v.passed,
                    "value": v.value.filter(|x| x.is_finite()).map(round),
                    "limit": round(v.limit),
                    "judged_on": v.judged_on,
                    "message": v.message,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> (Vec<String>, Vec<String>) {
        (
            vec!["web".to_string(), "db".to_string(), "cache".to_string()],
            vec!["read".to_string(), "write".to_string()],
        )
    }

    fn p(text: &str) -> Result<Assertion, ParseError> {
        let (components, types) = names();
        parse(
            text,
            &Names {
                components: &components,
                types: &types,
                own_figures: &[None, None, Some(&["hit_ratio", "hits", "misses"])],
            },
        )
    }

    #[test]
    fn parses_the_documented_forms() {
        let a = p("p99 < 250ms").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            (a.scope, a.metric.as_str(), a.op, a.limit),
            (Scope::Run, "p99", Op::Lt, 250.0)
        );
        let a = p("availability >= 99.9%").unwrap_or_else(|e| panic!("{e:?}"));
        assert!((a.limit - 0.999).abs() < 1e-12);
        let a = p("lost.writes == 0").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((a.metric.as_str(), a.op), ("lost.writes", Op::Eq));
        let a = p("db.utilization < 0.8").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(a.scope, Scope::Component("db".into()));
        let a = p("read.p99.9 <= 1s").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            (a.scope, a.metric.as_str(), a.limit),
            (Scope::Type("read".into()), "p999", 1000.0)
        );
        let a = p("throughput > 1000/s").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(a.limit, 1000.0);
        let a = p("cache.hit_ratio > 80%").unwrap_or_else(|e| panic!("{e:?}"));
        assert!((a.limit - 0.8).abs() < 1e-12);
    }

    #[test]
    fn errors_point_into_the_text_and_suggest_names() {
        let e = p("p99 < 250").err();
        assert_eq!(e.as_ref().map(|e| e.offset), Some(6));
        let e = p("wbe.p99 < 1s")
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert_eq!(
            (e.offset, e.help.as_deref()),
            (0, Some("did you mean 'web'?"))
        );
        let e = p("web.utilisation < 0.8")
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert_eq!(
            (e.offset, e.help.as_deref()),
            (4, Some("did you mean 'utilization'?"))
        );
        let e = p("availabilty > 99%")
            .err()
            .unwrap_or_else(|| panic!("accepted"));
        assert_eq!(e.help.as_deref(), Some("did you mean 'availability'?"));
        assert!(p("p99 = 1s").is_err());
        assert!(p("availability >= lots").is_err());
    }

    #[test]
    fn judges_with_the_gap() {
        let a = p("p99 < 250ms").unwrap_or_else(|e| panic!("{e:?}"));
        let v = judge(&a, &[Ok(312.5)]);
        assert!(!v.passed);
        assert_eq!(v.message, "312.5ms is 62.5ms (25%) over the limit 250ms");
        let v = judge(&a, &[Ok(200.0)]);
        assert!(v.passed);
        let a = p("availability >= 99.9%").unwrap_or_else(|e| panic!("{e:?}"));
        let v = judge(&a, &[Ok(0.998)]);
        assert_eq!(
            v.message,
            "99.8% is 0.1 points (0.1%) under the limit 99.9%"
        );
    }

    #[test]
    fn confidence_judges_the_bound() {
        let mut a = p("p99 < 250ms").unwrap_or_else(|e| panic!("{e:?}"));
        a.confidence = Some(0.95);
        // Mean 240, but the spread puts the upper bound above 250.
        let values: Vec<Result<f64, String>> = [220.0, 260.0, 230.0, 250.0]
            .iter()
            .map(|&x| Ok(x))
            .collect();
        let v = judge(&a, &values);
        assert!(!v.passed, "{v:?}");
        assert!(v.judged_on.starts_with("upper 95% bound"));
        a.confidence = None;
        assert!(judge(&a, &values).passed);
    }
}
