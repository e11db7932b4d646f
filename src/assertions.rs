//! Assertions: checks of a run's results for CI (`assert:` in the scenario).
//!
//! An assertion is `<metric> <op> <value>`, e.g. `p99 < 250ms`, `availability >= 99.9%`,
//! `lost.writes == 0`, `web.utilization < 0.8`, `read.p99 < 100ms`. The metric is a typed
//! [`Metric`]; the study reads it from the run's typed summary, as `summary.json` shows it
//! (`study::judge`), and [`judge`] judges the values. Parsing happens during validation (with the names of the scenario's components and
//! request types, for did-you-mean help); judging happens after the run.
//!
//! With replications an assertion is judged on the mean over the replications, or, when it asks
//! for a `confidence` (e.g. 95%), on the bound of that confidence interval that is hardest to
//! meet: the upper bound for `<`/`<=`, the lower bound for `>`/`>=`. So a capacity test that
//! passes says "with 95% confidence the true p99 is below 250ms", and does not flake.

use crate::engine::SimDuration;
use crate::format::decimals;
use crate::scenario::units::{parse_duration, parse_rate};

/// One of the latency figures (`latency_ms` of `summary.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LatencyFigure {
    Mean,
    P50,
    P90,
    P95,
    P99,
    P999,
    Max,
}

impl LatencyFigure {
    /// Its name in `latency_ms`.
    pub fn name(self) -> &'static str {
        match self {
            LatencyFigure::Mean => "mean",
            LatencyFigure::P50 => "p50",
            LatencyFigure::P90 => "p90",
            LatencyFigure::P95 => "p95",
            LatencyFigure::P99 => "p99",
            LatencyFigure::P999 => "p999",
            LatencyFigure::Max => "max",
        }
    }
}

/// A figure an assertion names. [`parse`] turns a name into one of these through the name
/// tables below, and `study::judge::measure` reads each from its typed field of the run's
/// `results::Summary`: a name
/// accepted when the scenario is checked is one the run can answer, and a renamed field is a
/// compile error here rather than an assertion that can never pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Metric {
    /// A latency figure [ms] of the run, a request type or a component.
    Latency(LatencyFigure),
    Availability,
    /// 1 - availability.
    ErrorRate,
    /// Succeeded requests per second.
    Throughput,
    /// Arrivals per second (the run's).
    Offered,
    Requests,
    Succeeded,
    Failed,
    Rejected,
    TimedOut,
    /// Requests sent after the warm-up but not answered when the run stopped.
    Unfinished,
    /// Of those, the ones older than the run's patience (counted against availability).
    UnfinishedOverdue,
    Utilization,
    QueueMean,
    QueuePeak,
    /// `slo.good_fraction`.
    SloGoodFraction,
    /// `slo.budget_used`: the share of the error budget used.
    SloBudgetUsed,
    /// `lost.<category>`: `total`, `writes` (every category that is or ends in `writes`) or
    /// one category of `summary.json`'s `lost`.
    Lost(String),
    /// A figure of a component's kind of its own (`cache.hit_ratio`).
    Own(String),
}

const fn latency(name: &'static str, figure: LatencyFigure) -> (&'static str, Metric) {
    (name, Metric::Latency(figure))
}

/// Metrics of the whole run (besides `lost.<category>` and `slo.<figure>`).
pub const RUN_METRICS: &[(&str, Metric)] = &[
    latency("mean", LatencyFigure::Mean),
    latency("p50", LatencyFigure::P50),
    latency("p90", LatencyFigure::P90),
    latency("p95", LatencyFigure::P95),
    latency("p99", LatencyFigure::P99),
    latency("p999", LatencyFigure::P999),
    latency("max", LatencyFigure::Max),
    ("availability", Metric::Availability),
    ("error_rate", Metric::ErrorRate),
    ("throughput", Metric::Throughput),
    ("offered", Metric::Offered),
    ("requests", Metric::Requests),
    ("succeeded", Metric::Succeeded),
    ("failed", Metric::Failed),
    ("rejected", Metric::Rejected),
    ("timed_out", Metric::TimedOut),
    ("unfinished", Metric::Unfinished),
    ("unfinished_overdue", Metric::UnfinishedOverdue),
];

/// Former names of run metrics, still read so that existing assertions keep working.
const RENAMED_RUN_METRICS: &[(&str, Metric)] = &[("in_flight_at_end", Metric::Unfinished)];

/// Metrics of one request type (`read.p99`).
pub const TYPE_METRICS: &[(&str, Metric)] = &[
    latency("mean", LatencyFigure::Mean),
    latency("p50", LatencyFigure::P50),
    latency("p90", LatencyFigure::P90),
    latency("p95", LatencyFigure::P95),
    latency("p99", LatencyFigure::P99),
    latency("p999", LatencyFigure::P999),
    latency("max", LatencyFigure::Max),
    ("availability", Metric::Availability),
    ("error_rate", Metric::ErrorRate),
    ("requests", Metric::Requests),
    ("succeeded", Metric::Succeeded),
    ("failed", Metric::Failed),
    ("rejected", Metric::Rejected),
    ("timed_out", Metric::TimedOut),
    ("unfinished", Metric::Unfinished),
    ("unfinished_overdue", Metric::UnfinishedOverdue),
];

/// Metrics every component reports (`web.utilization`); its kind's own figures (a cache's
/// `hit_ratio`, ...) come on top ([`crate::model::figures::Figures::names_of`]).
pub const COMPONENT_METRICS: &[(&str, Metric)] = &[
    latency("mean", LatencyFigure::Mean),
    latency("p50", LatencyFigure::P50),
    latency("p90", LatencyFigure::P90),
    latency("p95", LatencyFigure::P95),
    latency("p99", LatencyFigure::P99),
    latency("p999", LatencyFigure::P999),
    latency("max", LatencyFigure::Max),
    ("availability", Metric::Availability),
    ("error_rate", Metric::ErrorRate),
    ("throughput", Metric::Throughput),
    ("utilization", Metric::Utilization),
    ("queue_mean", Metric::QueueMean),
    ("queue_peak", Metric::QueuePeak),
    ("requests", Metric::Requests),
    ("succeeded", Metric::Succeeded),
    ("failed", Metric::Failed),
    ("rejected", Metric::Rejected),
    ("timed_out", Metric::TimedOut),
];

/// Figures of the service-level objective (`slo.good_fraction`).
pub const SLO_METRICS: &[(&str, Metric)] = &[
    ("good_fraction", Metric::SloGoodFraction),
    ("budget_used", Metric::SloBudgetUsed),
];

/// The metric a table calls `name`.
fn named(table: &[(&str, Metric)], name: &str) -> Option<Metric> {
    table
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, m)| m.clone())
}

/// The names of a table, for help text.
pub fn names_of<'a>(
    table: &'a [(&'static str, Metric)],
) -> impl Iterator<Item = &'static str> + Clone + 'a {
    table.iter().map(|(n, _)| *n)
}

impl std::fmt::Display for Metric {
    /// The metric's name as an assertion writes it (`p99`, `slo.good_fraction`, `lost.writes`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Metric::Latency(l) => l.name(),
            Metric::SloGoodFraction => "slo.good_fraction",
            Metric::SloBudgetUsed => "slo.budget_used",
            Metric::Lost(category) => return write!(f, "lost.{category}"),
            Metric::Own(name) => name,
            other => RUN_METRICS
                .iter()
                .chain(COMPONENT_METRICS)
                .find(|(_, m)| m == other)
                .map_or("?", |(n, _)| n),
        };
        f.write_str(name)
    }
}

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
    /// The figure within the scope: p99, availability, lost.writes, hit_ratio.
    pub metric: Metric,
    pub op: Op,
    /// The limit in the metric's unit (milliseconds for latencies, a fraction for ratios).
    pub limit: f64,
    pub quantity: Quantity,
    /// Judge this two-sided confidence bound (0.95) over replications instead of the mean.
    pub confidence: Option<f64>,
    /// The name the scenario gives this assertion (`id: web-crash-dip`), so that a course
    /// step's header can point at the assertion that checks each of its claims.
    pub id: Option<String>,
    /// Judge the metric over this span of simulated time only (`during: [60s, 75s]`), from
    /// the run's time windows, instead of over the whole run.
    pub during: Option<Span>,
}

/// A span of simulated time an assertion is judged over, from the start of the run
/// (warm-up included: the time windows cover it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub from: SimDuration,
    pub to: SimDuration,
}

impl std::fmt::Display for Span {
    /// `[60s, 75s]`, in seconds, as `during:` is usually written.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |d: SimDuration| decimals(d.as_secs_f64(), 3);
        write!(f, "[{}s, {}s]", s(self.from), s(self.to))
    }
}

/// Whether a metric can be judged over a span of time (`during:`): only the figures the run
/// keeps per time window can. `Err` says why not, and what can.
pub fn per_window(scope: &Scope, metric: &Metric) -> Result<(), String> {
    const RUN: &str = "over a span, the run's mean, p50, p90, p95, p99, p999, max, availability, error_rate, throughput, offered, requests, succeeded, failed, rejected and timed_out can be judged";
    const COMPONENT: &str = "over a span, a component's utilization, queue_mean, availability, error_rate, throughput, requests, succeeded, failed, rejected, timed_out and the series timeseries.csv shows for it (e.g. cache.hit_ratio, web.instances) can be judged";
    match (scope, metric) {
        (Scope::Type(t), _) => Err(format!(
            "request type '{t}' is not kept per time window, so '{t}.{metric}' cannot be judged over a span; {RUN}"
        )),
        (_, Metric::Lost(_)) => Err(format!(
            "'{metric}' is counted over the whole run only; {RUN}"
        )),
        (_, Metric::SloGoodFraction | Metric::SloBudgetUsed) => Err(format!(
            "'{metric}' is a figure of the whole run; {RUN}"
        )),
        (_, Metric::Unfinished | Metric::UnfinishedOverdue) => Err(format!(
            "'{metric}' is counted at the end of the run, not per time window; {RUN}"
        )),
        (Scope::Run, Metric::Utilization | Metric::QueueMean | Metric::QueuePeak | Metric::Own(_)) => {
            Err(format!("'{metric}' is not a figure of the run; {RUN}"))
        }
        (Scope::Component(c), Metric::Latency(_)) => Err(format!(
            "a component's latency is kept for the whole run only, so '{c}.{metric}' cannot be judged over a span; judge the run's ('{metric}') instead"
        )),
        (Scope::Component(c), Metric::QueuePeak | Metric::Offered) => Err(format!(
            "'{c}.{metric}' is not kept per time window; {COMPONENT}"
        )),
        _ => Ok(()),
    }
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
        id: None,
        during: None,
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

/// Parses a metric name alone, as an assertion's left side writes it (`p99`, `web.utilization`,
/// `lost.sessions`): what `compare: {headline: [...]}` names. The error's offset is into `name`.
pub fn parse_metric(name: &str, names: &Names<'_>) -> Result<(Scope, Metric), ParseError> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(error(
            0,
            "the metric is missing",
            Some("e.g. 'p99' or 'web.utilization'".to_string()),
        ));
    }
    let offset = name.len() - name.trim_start().len();
    resolve_metric(trimmed, names).map_err(|mut e| {
        e.offset += offset;
        e
    })
}

/// The name a metric goes by in a comparison's rows: its assertion name, after the component
/// or request type it belongs to (`p99`, `web.p99`, `read.availability`, `lost.sessions`).
pub fn metric_name(scope: &Scope, metric: &Metric) -> String {
    match scope {
        Scope::Run => metric.to_string(),
        Scope::Type(owner) | Scope::Component(owner) => format!("{owner}.{metric}"),
    }
}

/// Splits `web.p99` into (component web, p99), `p99` into (run, p99), `lost.writes` into
/// (run, lost.writes).
fn resolve_metric(lhs: &str, names: &Names<'_>) -> Result<(Scope, Metric), ParseError> {
    let whole = canonical(lhs);
    if let Some(metric) = named(RUN_METRICS, whole).or_else(|| named(RENAMED_RUN_METRICS, whole)) {
        return Ok((Scope::Run, metric));
    }
    if let Some(category) = lhs.strip_prefix("lost.") {
        if category.is_empty() {
            return Err(error(5, "name what was lost: lost.writes, lost.total or a category of summary.json's 'lost'", None));
        }
        return Ok((Scope::Run, Metric::Lost(category.to_string())));
    }
    if let Some(figure) = lhs.strip_prefix("slo.") {
        let Some(metric) = named(SLO_METRICS, figure) else {
            return Err(error(
                4,
                format!("unknown SLO figure '{figure}'"),
                Some(suggest(figure, names_of(SLO_METRICS))),
            ));
        };
        return Ok((Scope::Run, metric));
    }
    let Some((owner, metric)) = lhs.split_once('.') else {
        let help = suggest(lhs, names_of(RUN_METRICS));
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
        let common = named(COMPONENT_METRICS, metric);
        if let Some(own) = own.filter(|own| common.is_none() && !own.contains(&metric)) {
            return Err(error(
                metric_at,
                format!("component '{owner}' does not report '{metric}'"),
                Some(suggest(
                    metric,
                    names_of(COMPONENT_METRICS).chain(own.iter().copied()),
                )),
            ));
        }
        if own.is_none() && common.is_none() {
            // A component may report figures of its own (a cache's hit_ratio); only a name close
            // to a common one is surely a typo. Unknown names are checked against the results.
            if let Some(close) = crate::format::did_you_mean(metric, names_of(COMPONENT_METRICS)) {
                return Err(error(
                    metric_at,
                    format!("unknown metric '{metric}' of component '{owner}'"),
                    Some(format!("did you mean '{close}'?")),
                ));
            }
        }
        let metric = common.unwrap_or_else(|| Metric::Own(metric.to_string()));
        return Ok((Scope::Component(owner.to_string()), metric));
    }
    if names.types.iter().any(|t| t == owner) {
        let Some(metric) = named(TYPE_METRICS, metric) else {
            return Err(error(
                metric_at,
                format!("unknown metric '{metric}' of request type '{owner}'"),
                Some(suggest(metric, names_of(TYPE_METRICS))),
            ));
        };
        return Ok((Scope::Type(owner.to_string()), metric));
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

fn quantity_of(metric: &Metric) -> Quantity {
    match metric {
        Metric::Latency(_) => Quantity::Latency,
        Metric::Availability
        | Metric::ErrorRate
        | Metric::Utilization
        | Metric::SloGoodFraction => Quantity::Ratio,
        Metric::Own(name) | Metric::Lost(name) if name.ends_with("_ratio") => Quantity::Ratio,
        Metric::Throughput | Metric::Offered => Quantity::Rate,
        _ => Quantity::Number,
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

/// How an assertion did.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub text: String,
    /// The assertion's `id`, when the scenario gives one.
    pub id: Option<String>,
    pub passed: bool,
    /// The figure judged (the value, the mean, or a confidence bound), if it could be read.
    pub value: Option<f64>,
    pub limit: f64,
    /// What `value` is: "value", "mean of 10", "upper 95% bound of 10".
    pub judged_on: String,
    /// One line: what was measured against what, and by how much it missed or held.
    pub message: String,
}

impl Verdict {
    /// The assertion as the terminal and JUnit name it: its text, after its id when it has one
    /// (`web-crash-dip: availability < 99% during [60s, 75s]`).
    pub fn named(&self) -> String {
        match &self.id {
            Some(id) => format!("{id}: {}", self.text),
            None => self.text.clone(),
        }
    }
}

/// A figure in the metric's unit, for messages.
pub fn show(quantity: Quantity, x: f64) -> String {
    match quantity {
        Quantity::Latency => {
            if x.abs() >= 1000.0 {
                format!("{}s", decimals(x / 1000.0, 3))
            } else {
                format!("{}ms", decimals(x, 3))
            }
        }
        Quantity::Ratio => format!("{}%", decimals(x * 100.0, 4)),
        Quantity::Rate => format!("{}/s", decimals(x, 2)),
        Quantity::Number => decimals(x, 4),
    }
}

/// Judges `assertion` on the values of its metric in each replication (one value without
/// replications). `Err` values are figures that could not be read.
pub fn judge(assertion: &Assertion, values: &[Result<f64, String>]) -> Verdict {
    let fail = |message: String| Verdict {
        text: assertion.text.clone(),
        id: assertion.id.clone(),
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
            crate::stats::mean(&numbers),
            format!("mean of {n} replications"),
        ),
        (1, Some(_)) => return fail(
            "a confidence bound needs at least 2 replications (run.replications or --replications)"
                .to_string(),
        ),
        (_, Some(level)) => {
            let ci = crate::stats::Interval::of(&numbers, level);
            let pct = decimals(level * 100.0, 2);
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
        format!(" ({}%)", decimals(gap / assertion.limit.abs() * 100.0, 1))
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
        id: assertion.id.clone(),
        passed,
        value: Some(value),
        limit: assertion.limit,
        judged_on,
        message,
    }
}

fn show_gap(q: Quantity, gap: f64) -> String {
    match q {
        Quantity::Ratio => format!("{} points", decimals(gap * 100.0, 4)),
        other => show(other, gap),
    }
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
            (a.scope, a.metric, a.op, a.limit),
            (
                Scope::Run,
                Metric::Latency(LatencyFigure::P99),
                Op::Lt,
                250.0
            )
        );
        let a = p("availability >= 99.9%").unwrap_or_else(|e| panic!("{e:?}"));
        assert!((a.limit - 0.999).abs() < 1e-12);
        let a = p("lost.writes == 0").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            (a.metric.to_string(), a.op),
            ("lost.writes".to_string(), Op::Eq)
        );
        let a = p("db.utilization < 0.8").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(a.scope, Scope::Component("db".into()));
        let a = p("read.p99.9 <= 1s").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            (a.scope, a.metric, a.limit),
            (
                Scope::Type("read".into()),
                Metric::Latency(LatencyFigure::P999),
                1000.0
            )
        );
        let a = p("throughput > 1000/s").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(a.limit, 1000.0);
        let a = p("cache.hit_ratio > 80%").unwrap_or_else(|e| panic!("{e:?}"));
        assert!((a.limit - 0.8).abs() < 1e-12);
        assert_eq!(a.metric, Metric::Own("hit_ratio".into()));
        let a = p("slo.budget_used < 1").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((a.scope, a.metric), (Scope::Run, Metric::SloBudgetUsed));
    }

    #[test]
    fn every_metric_is_named_as_its_table_names_it() {
        for table in [RUN_METRICS, TYPE_METRICS, COMPONENT_METRICS] {
            for (name, metric) in table {
                assert_eq!(metric.to_string(), *name);
            }
        }
        for (name, metric) in SLO_METRICS {
            assert_eq!(metric.to_string(), format!("slo.{name}"));
        }
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
