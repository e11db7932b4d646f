//! A figure of a run over a span of time, as `summary.json`'s `spans` lists it: its own file
//! so that the run, its summary and the code that measures it can all name it.

use serde::{Deserialize, Serialize};

use super::figure::Figure;

/// One metric over one span, as `summary.json`'s `spans` lists it (measured from the run's
/// time windows by the `spans` module).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpanFigure {
    /// The metric as an assertion names it: `availability`, `web.utilization`.
    pub metric: String,
    /// The span asked for [s from the start of the run].
    pub from_s: Figure,
    pub to_s: Figure,
    /// The whole windows it was measured over [s]: the span, widened to window boundaries.
    pub measured_from_s: Figure,
    pub measured_to_s: Figure,
    /// The figure; `null` when the span has none (see `note`).
    pub value: Figure,
    /// Why there is no value, when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl SpanFigure {
    /// Whether this is the figure of `metric` over `span`.
    pub fn is(&self, metric: &str, span: crate::assertions::Span) -> bool {
        self.metric == metric
            && self.from_s.written() == Figure::from(span.from.as_secs_f64()).written()
            && self.to_s.written() == Figure::from(span.to.as_secs_f64()).written()
    }
}
