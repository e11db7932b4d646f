//! Typed timers: each component names its timer kinds in one enum, and the conversion to and
//! from the `kind: u16` that [`crate::model::Msg::Timer`] carries happens here, once.
//!
//! A component sets a timer with `Msg::timer(ServerTimer::ServiceDone, index, generation)` and
//! its handler matches `ServerTimer::from_tag(kind)` exhaustively, so a new timer kind without a
//! handler arm is a compile error. A tag no variant owns (`None`) is ignored, as it always was:
//! a component only ever receives the tags it set itself.

/// A component's timer kinds, each with the fixed tag it travels as.
pub trait TimerKind: Copy {
    /// The tag carried in `Msg::Timer { kind, .. }`.
    fn tag(self) -> u16;
    /// The kind a tag stands for, if any.
    fn from_tag(tag: u16) -> Option<Self>;
}

/// Declares a component's timer enum and its [`TimerKind`] conversion from one list of
/// `Variant = tag` lines, so the two directions cannot disagree. Tags are the numbers the
/// component used before it had an enum; a duplicate is an unreachable-pattern warning
/// (an error under clippy's `-D warnings`).
macro_rules! timer_kinds {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $tag:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $crate::model::support::timer::TimerKind for $name {
            #[inline]
            fn tag(self) -> u16 {
                match self {
                    $($name::$variant => $tag,)+
                }
            }

            #[inline]
            fn from_tag(tag: u16) -> Option<Self> {
                match tag {
                    $($tag => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use timer_kinds;

#[cfg(test)]
mod tests {
    use super::*;

    timer_kinds! {
        enum Example {
            First = 0,
            Second = 1,
            Far = 7,
        }
    }

    #[test]
    fn every_kind_comes_back_from_its_tag() {
        for kind in [Example::First, Example::Second, Example::Far] {
            assert_eq!(Example::from_tag(kind.tag()), Some(kind));
        }
        assert_eq!(Example::Far.tag(), 7);
    }

    #[test]
    fn an_unknown_tag_is_no_kind() {
        assert_eq!(Example::from_tag(2), None);
        assert_eq!(Example::from_tag(u16::MAX), None);
    }
}
