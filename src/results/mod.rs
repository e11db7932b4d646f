//! What a run says, as types: [`Summary`] is `summary.json`, field for field (its serde
//! output is the file), so everything that reads a run's figures — assertions, replications,
//! comparisons, sweeps, capacity searches, the report — reads a typed field, and a renamed
//! figure is a compile error rather than a silent `null`.
//!
//! Figures are rounded to 6 decimals where they are written ([`Figure`]); counts are integers.

pub mod breakdown;
pub mod figure;
pub mod replications;
pub mod run;
pub mod span_figure;
pub mod spans;
pub mod summarize;
pub mod summary;

pub use run::RunResult;

pub use figure::Figure;
pub use summary::{
    ComponentCostSummary, ComponentSummary, CostSummary, Engine, ErrorBudget, Latency, Requests,
    SloSummary, Summary, TypeSummary,
};
