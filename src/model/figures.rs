//! The figures a component of each kind reports beside the common ones (requests, outcomes,
//! latency, utilisation): one typed struct per kind, declared with [`kind_figures!`], gathered
//! in the [`Figures`] enum. `summary.json` lists a component's figures after the common ones,
//! in the order the struct declares them (alphabetical, as the file always has).
//!
//! An assertion names a figure as `component.figure`; [`Figures::names`] lists, per kind, the
//! names it may use, so an unknown figure is refused when the scenario is checked, before the
//! run.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use serde_json::Value;

/// A kind's figures: the names an assertion may use, and their values.
pub trait KindFigures: Serialize {
    /// Every field, in declaration order.
    const NAMES: &'static [&'static str];

    /// The figure called `name`, if it is a number.
    fn number(&self, name: &str) -> Option<f64> {
        match serde_json::to_value(self).ok()?.get(name)? {
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }
}

/// Declares a kind's figures: a struct with public fields (written to `summary.json` in the
/// order given) that implements [`KindFigures`] with the field names. Field attributes (docs,
/// `#[serde(...)]`) are kept.
#[macro_export]
macro_rules! kind_figures {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                pub $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                pub $field: $ty,
            )*
        }

        impl $crate::model::figures::KindFigures for $name {
            const NAMES: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}

/// Declares [`Figures`] over the kinds whose figures are typed: one line per kind, its variant,
/// its figures type and its `kind` name in `summary.json`.
macro_rules! figures_of_kinds {
    ($($variant:ident($ty:ty) = $kind:literal),* $(,)?) => {
        /// One component's own figures, by kind.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Figures {
            $($variant(Box<$ty>),)*
            /// A kind whose figures are not declared as a type yet: name -> value, sorted by
            /// name.
            Untyped(BTreeMap<String, Value>),
        }

        impl Figures {
            /// The figure called `name`, if it is a number.
            pub fn number(&self, name: &str) -> Option<f64> {
                match self {
                    $(Figures::$variant(f) => f.number(name),)*
                    Figures::Untyped(map) => map.get(name).and_then(Value::as_f64),
                }
            }

            /// Every figure's name.
            pub fn names(&self) -> Vec<&str> {
                match self {
                    $(Figures::$variant(_) => <$ty as KindFigures>::NAMES.to_vec(),)*
                    Figures::Untyped(map) => map.keys().map(String::as_str).collect(),
                }
            }

            /// The names of the figures a component of `kind` reports, where they are typed.
            pub fn names_of(kind: &str) -> Option<&'static [&'static str]> {
                match kind {
                    $($kind => Some(<$ty as KindFigures>::NAMES),)*
                    _ => None,
                }
            }

            /// Reads the figures of a component of `kind` back from `summary.json`.
            pub fn from_json(
                kind: &str,
                figures: serde_json::Map<String, Value>,
            ) -> Result<Self, serde_json::Error> {
                match kind {
                    $($kind => Ok(Figures::$variant(Box::new(serde_json::from_value(
                        Value::Object(figures),
                    )?))),)*
                    _ => Ok(Figures::Untyped(figures.into_iter().collect())),
                }
            }
        }

        impl Serialize for Figures {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Figures::$variant(f) => f.serialize(s),)*
                    Figures::Untyped(map) => map.serialize(s),
                }
            }
        }
    };
}

figures_of_kinds! {
    Cache(super::cache::CacheFigures) = "cache",
    Server(super::server::ServerFigures) = "server",
    LoadBalancer(super::load_balancer::BalancerFigures) = "load_balancer",
    Traffic(super::source::TrafficFigures) = "traffic",
    Dns(super::dns::DnsFigures) = "dns",
    Failures(super::failures::FailuresFigures) = "failures",
}

impl Default for Figures {
    fn default() -> Self {
        Figures::Untyped(BTreeMap::new())
    }
}

impl Figures {
    /// An untyped figure, whatever it is. Only kinds whose figures are not declared yet have
    /// them; typed kinds are read through their fields.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Figures::Untyped(map) => map.get(name),
            _ => None,
        }
    }

    /// The figures as a JSON object, in `summary.json`'s order.
    pub fn to_json(&self) -> serde_json::Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        }
    }

    /// Adds or replaces an untyped figure (for kinds not declared yet).
    pub fn insert(&mut self, name: String, value: Value) {
        if let Figures::Untyped(map) = self {
            map.insert(name, value);
        }
    }
}
