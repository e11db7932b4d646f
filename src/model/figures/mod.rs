//! The figures a component of each kind reports beside the common ones (requests, outcomes,
//! latency, utilisation): one typed struct per kind, declared with [`kind_figures!`] in a file
//! of its own here (`figures/cache.rs`), gathered in the [`Figures`] enum. The structs sit
//! below the models that fill them and below [`super::ComponentReport`] that holds them, so
//! no model and this registry import each other. `summary.json` lists a component's figures after the common ones,
//! in the order the struct declares them (alphabetical, as the file always has).
//!
//! An assertion names a figure as `component.figure`; [`Figures::names`] lists, per kind, the
//! names it may use, so an unknown figure is refused when the scenario is checked, before the
//! run.

pub mod cache;
pub mod cdn;
pub mod database;
pub mod dns;
pub mod failures;
pub mod fanout;
pub mod id_generator;
pub mod load_balancer;
pub mod provider;
pub mod queue;
pub mod rate_limiter;
pub mod realtime;
pub mod server;
pub mod shard;
pub mod source;

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
        #[derive(Clone, Debug, Default, PartialEq)]
        pub enum Figures {
            $($variant(Box<$ty>),)*
            /// No figures of its own (a report before its kind fills them in); written as an
            /// empty object.
            #[default]
            None,
        }

        impl Figures {
            /// Every kind with figures of its own, by its `kind` name in `summary.json`.
            pub const KINDS: &'static [&'static str] = &[$($kind),*];

            /// The figure called `name`, if it is a number.
            pub fn number(&self, name: &str) -> Option<f64> {
                match self {
                    $(Figures::$variant(f) => f.number(name),)*
                    Figures::None => None,
                }
            }

            /// Every figure's name.
            pub fn names(&self) -> Vec<&str> {
                match self {
                    $(Figures::$variant(_) => <$ty as KindFigures>::NAMES.to_vec(),)*
                    Figures::None => Vec::new(),
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
                    _ if figures.is_empty() => Ok(Figures::None),
                    _ => Err(serde::de::Error::custom(format!(
                        "a component of kind '{kind}' has no figures of its own"
                    ))),
                }
            }
        }

        impl Serialize for Figures {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Figures::$variant(f) => f.serialize(s),)*
                    Figures::None => serializer_empty(s),
                }
            }
        }
    };
}

figures_of_kinds! {
    Cache(cache::CacheFigures) = "cache",
    Database(database::DatabaseFigures) = "database",
    ShardedDatabase(shard::ShardedDatabaseFigures) = "sharded_database",
    Queue(queue::QueueFigures) = "queue",
    Provider(provider::ProviderFigures) = "provider",
    Realtime(realtime::RealtimeFigures) = "realtime",
    RateLimiter(rate_limiter::RateLimiterFigures) = "rate_limiter",
    Fanout(fanout::FanoutFigures) = "fanout",
    Cdn(cdn::CdnFigures) = "cdn",
    IdGenerator(id_generator::IdGeneratorFigures) = "id_generator",
    Server(server::ServerFigures) = "server",
    LoadBalancer(load_balancer::BalancerFigures) = "load_balancer",
    Traffic(source::TrafficFigures) = "traffic",
    Dns(dns::DnsFigures) = "dns",
    Failures(failures::FailuresFigures) = "failures",
}

/// An empty JSON object.
fn serializer_empty<S: Serializer>(s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    s.serialize_map(Some(0))?.end()
}

impl Figures {
    /// The figures as a JSON object, in `summary.json`'s order.
    pub fn to_json(&self) -> serde_json::Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        }
    }
}
