//! [`Figure`]: how `summary.json` writes a measured number. In a file of its own so that the
//! summary's sections (`breakdown.rs`, `replications.rs`) and the summary itself can all use it
//! without importing each other.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A measured figure, written rounded to 6 decimals (of a millisecond, of a ratio) so that the
/// file stays readable; NaN and infinities — a figure with nothing to measure — are written
/// `null` and read back as NaN.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Figure(pub f64);

impl Figure {
    pub fn value(self) -> Option<f64> {
        self.0.is_finite().then_some(self.0)
    }

    /// The figure as `summary.json` shows it: rounded to 6 decimals, `None` for `null`. What a
    /// study reads (assertions, intervals over replications, searches), so that a study of runs
    /// and a study of their saved files give the same verdicts to the last digit.
    pub fn written(self) -> Option<f64> {
        self.value().map(|x| (x * 1e6).round() / 1e6)
    }
}

impl Serialize for Figure {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() {
            s.serialize_f64((self.0 * 1e6).round() / 1e6)
        } else {
            s.serialize_none()
        }
    }
}

impl<'de> Deserialize<'de> for Figure {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::stats::nan_if_null(d).map(Figure)
    }
}

impl From<Figure> for f64 {
    /// The figure as a number: NaN for `null`.
    fn from(f: Figure) -> Self {
        f.0
    }
}

impl From<f64> for Figure {
    fn from(x: f64) -> Self {
        Figure(x)
    }
}
