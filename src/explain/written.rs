//! Values of the typed scenario shown as written in the file: text as is (`20ms`, not
//! `0.02`), numbers in their shortest form, maps and lists in YAML's flow style, the keys of a
//! map in the order the file gives them (each value's place in the file says where it was).
//!
//! [`Settings`] is a list of `name: value` pairs in file order: a mapping of the file shown
//! as written, or the settings of a component that its sentence does not put into words.

use indexmap::IndexMap;

use crate::scenario::raw::{self, At, Loc, OrMap, Scalar, Side};

/// A value of the scenario file, shown as written.
pub trait Written {
    /// The value as written, in YAML's flow style.
    fn written(&self) -> String;
    /// Where the value starts in the file, when known (settings are listed in file order).
    fn loc(&self) -> Option<Loc> {
        None
    }
}

impl<T: Written + ?Sized> Written for &T {
    fn written(&self) -> String {
        (**self).written()
    }
    fn loc(&self) -> Option<Loc> {
        (**self).loc()
    }
}

impl<T: Written> Written for At<T> {
    fn written(&self) -> String {
        self.value.written()
    }
    fn loc(&self) -> Option<Loc> {
        Some(self.loc)
    }
}

impl<T: Written> Written for Box<T> {
    fn written(&self) -> String {
        (**self).written()
    }
    fn loc(&self) -> Option<Loc> {
        (**self).loc()
    }
}

impl Written for String {
    fn written(&self) -> String {
        self.clone()
    }
}

impl Written for Scalar {
    fn written(&self) -> String {
        self.0.clone()
    }
}

impl Written for u64 {
    fn written(&self) -> String {
        self.to_string()
    }
}

/// A number the file gives as a float: its shortest form (`0.5`; `70` for 70 or 70.0, which
/// the typed scenario no longer tells apart).
impl Written for f64 {
    fn written(&self) -> String {
        self.to_string()
    }
}

impl Written for bool {
    fn written(&self) -> String {
        self.to_string()
    }
}

impl<T: Written> Written for Vec<T> {
    fn written(&self) -> String {
        format!(
            "[{}]",
            self.iter()
                .map(Written::written)
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
    fn loc(&self) -> Option<Loc> {
        self.first().and_then(Written::loc)
    }
}

impl<K: Written, V: Written> Written for IndexMap<K, V> {
    fn written(&self) -> String {
        format!(
            "{{{}}}",
            self.iter()
                .map(|(k, v)| format!("{}: {}", k.written(), v.written()))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
    fn loc(&self) -> Option<Loc> {
        self.keys().next().and_then(Written::loc)
    }
}

impl<M: Written> Written for OrMap<M> {
    fn written(&self) -> String {
        match self {
            OrMap::Scalar(s) => s.written(),
            OrMap::Map(m) => m.written(),
        }
    }
    fn loc(&self) -> Option<Loc> {
        match self {
            OrMap::Scalar(_) => None,
            OrMap::Map(m) => m.loc(),
        }
    }
}

/// An untyped value (a variant's override): text as is, maps and lists in flow style.
impl Written for serde_json::Value {
    fn written(&self) -> String {
        use serde_json::Value;
        match self {
            Value::String(s) => s.clone(),
            Value::Null => "null".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Array(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Written::written)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Value::Object(m) => format!(
                "{{{}}}",
                m.iter()
                    .map(|(k, v)| format!("{k}: {}", v.written()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

impl Written for Side {
    fn written(&self) -> String {
        match self {
            Side::One(name) => name.clone(),
            Side::Many(names) => names.written(),
        }
    }
    fn loc(&self) -> Option<Loc> {
        match self {
            Side::One(_) => None,
            Side::Many(names) => names.loc(),
        }
    }
}

/// `{law: parameters}`, as a one-key map of the file.
fn tagged(law: &str, parameters: &dyn Written) -> String {
    format!("{{{law}: {}}}", parameters.written())
}

impl Written for raw::DistributionSpec {
    fn written(&self) -> String {
        match self {
            raw::DistributionSpec::Constant(p) => tagged("constant", p),
            raw::DistributionSpec::Exponential(p) => tagged("exponential", p),
            raw::DistributionSpec::Uniform(p) => tagged("uniform", p),
            raw::DistributionSpec::Lognormal(p) => tagged("lognormal", p),
            raw::DistributionSpec::Empirical(p) => tagged("empirical", p),
        }
    }
    fn loc(&self) -> Option<Loc> {
        match self {
            raw::DistributionSpec::Constant(p) => p.loc(),
            raw::DistributionSpec::Exponential(p) => p.loc(),
            raw::DistributionSpec::Uniform(p) => p.loc(),
            raw::DistributionSpec::Lognormal(p) => p.loc(),
            raw::DistributionSpec::Empirical(p) => p.loc(),
        }
    }
}

impl Written for raw::SizeSpec {
    fn written(&self) -> String {
        match self {
            raw::SizeSpec::Constant(p) => tagged("constant", p),
            raw::SizeSpec::Uniform(p) => tagged("uniform", p),
            raw::SizeSpec::Lognormal(p) => tagged("lognormal", p),
        }
    }
    fn loc(&self) -> Option<Loc> {
        match self {
            raw::SizeSpec::Constant(p) => p.loc(),
            raw::SizeSpec::Uniform(p) => p.loc(),
            raw::SizeSpec::Lognormal(p) => p.loc(),
        }
    }
}

impl Written for raw::CountSpec {
    fn written(&self) -> String {
        match self {
            raw::CountSpec::Constant(p) => tagged("constant", p),
            raw::CountSpec::Pareto(p) => tagged("pareto", p),
            raw::CountSpec::Lognormal(p) => tagged("lognormal", p),
            raw::CountSpec::Empirical(p) => tagged("empirical", p),
        }
    }
    fn loc(&self) -> Option<Loc> {
        match self {
            raw::CountSpec::Constant(p) => p.loc(),
            raw::CountSpec::Pareto(p) => p.loc(),
            raw::CountSpec::Lognormal(p) => p.loc(),
            raw::CountSpec::Empirical(p) => p.loc(),
        }
    }
}

impl Written for raw::StepSpec {
    fn written(&self) -> String {
        match self {
            raw::StepSpec::CacheAside(p) => tagged("cache_aside", p),
        }
    }
    fn loc(&self) -> Option<Loc> {
        match self {
            raw::StepSpec::CacheAside(p) => p.loc(),
        }
    }
}

/// A struct of the file shown as the mapping it was written as: its `settings` lists every
/// field (destructured without `..`, so a new field does not compile until it is listed).
macro_rules! written_as_mapping {
    ($($ty:ty => |$s:ident| $settings:expr;)*) => {$(
        impl Written for $ty {
            fn written(&self) -> String {
                let $s = self;
                let settings: Settings = $settings;
                settings.flow()
            }
            fn loc(&self) -> Option<Loc> {
                let $s = self;
                let settings: Settings = $settings;
                settings.loc()
            }
        }
    )*};
}

written_as_mapping! {
    raw::UniformSpec => |s| {
        let raw::UniformSpec { min, max } = s;
        Settings::new().with("min", Some(min)).with("max", Some(max))
    };
    raw::LognormalSpec => |s| {
        let raw::LognormalSpec { mean, sigma, median, p99 } = s;
        Settings::new()
            .with("mean", mean.as_ref())
            .with("sigma", sigma.as_ref())
            .with("median", median.as_ref())
            .with("p99", p99.as_ref())
    };
    raw::SizeRangeSpec => |s| {
        let raw::SizeRangeSpec { min, max } = s;
        Settings::new().with("min", Some(min)).with("max", Some(max))
    };
    raw::SizeLognormalSpec => |s| {
        let raw::SizeLognormalSpec { median, p99 } = s;
        Settings::new().with("median", Some(median)).with("p99", Some(p99))
    };
    raw::ParetoCountSpec => |s| {
        let raw::ParetoCountSpec { min, max, alpha } = s;
        Settings::new()
            .with("min", Some(min))
            .with("max", Some(max))
            .with("alpha", alpha.as_ref())
    };
    raw::LognormalCountSpec => |s| {
        let raw::LognormalCountSpec { median, sigma, max } = s;
        Settings::new()
            .with("median", Some(median))
            .with("sigma", Some(sigma))
            .with("max", Some(max))
    };
    raw::CacheAsideSpec => |s| {
        let raw::CacheAsideSpec { cache, store } = s;
        Settings::new().with("cache", Some(cache)).with("store", Some(store))
    };
    raw::BreakerSpec => |s| {
        let raw::BreakerSpec { failure_rate, window, min_calls, open_for, half_open_probes } = s;
        Settings::new()
            .with("failure_rate", failure_rate.as_ref())
            .with("window", window.as_ref())
            .with("min_calls", min_calls.as_ref())
            .with("open_for", open_for.as_ref())
            .with("half_open_probes", half_open_probes.as_ref())
    };
    raw::SessionsSpec => |s| {
        let raw::SessionsSpec { store, idle_timeout } = s;
        Settings::new()
            .with("store", store.as_ref())
            .with("idle_timeout", idle_timeout.as_ref())
    };
    raw::ReconnectSpec => |s| {
        let raw::ReconnectSpec { backoff, max_backoff, jitter } = s;
        Settings::new()
            .with("backoff", backoff.as_ref())
            .with("max_backoff", max_backoff.as_ref())
            .with("jitter", jitter.as_ref())
    };
    raw::GroupSizeSpec => |s| {
        let raw::GroupSizeSpec { min, max } = s;
        Settings::new().with("min", Some(min)).with("max", Some(max))
    };
}

/// `name: value` pairs, each value as written, listed in the order of the file.
#[derive(Default)]
pub struct Settings {
    items: Vec<(Option<Loc>, String)>,
}

impl Settings {
    pub fn new() -> Self {
        Settings::default()
    }

    /// Adds `name: value` when the value is given.
    pub fn with<T: Written + ?Sized>(mut self, name: &str, value: Option<&T>) -> Self {
        if let Some(v) = value {
            self.items
                .push((v.loc(), format!("{name}: {}", v.written())));
        }
        self
    }

    /// The pairs in file order; those whose place is unknown (an empty map) last.
    fn ordered(&self) -> Vec<&str> {
        let mut items: Vec<&(Option<Loc>, String)> = self.items.iter().collect();
        items.sort_by_key(|(loc, _)| (loc.is_none(), loc.map(|l| (l.line, l.column))));
        items.iter().map(|(_, text)| text.as_str()).collect()
    }

    /// Where the first of them is in the file.
    pub fn loc(&self) -> Option<Loc> {
        self.items
            .iter()
            .filter_map(|(loc, _)| *loc)
            .min_by_key(|l| (l.line, l.column))
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// `a: 1, b: x`.
    pub fn list(&self) -> String {
        self.ordered().join(", ")
    }

    /// `{a: 1, b: x}`: the mapping as written.
    pub fn flow(&self) -> String {
        format!("{{{}}}", self.list())
    }

    /// `; other settings: a: 1, b: x`, or nothing: the settings a sentence leaves out.
    pub fn other(&self) -> String {
        if self.is_empty() {
            String::new()
        } else {
            format!("; other settings: {}", self.list())
        }
    }
}
