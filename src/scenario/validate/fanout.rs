//! Fan-out services: target, mode, count laws, concurrency, celebrities.

use super::checker::*;
use crate::model::count::{CountLaw, MAX_COUNT};
use crate::model::fanout::{CelebrityPost, FanoutConfig, Mode};

/// Sub-requests of one fan-out in flight: each is an open call.
const MAX_CONCURRENCY: u64 = 1_000_000;
/// Scripted celebrity posts of one service (each is a timer and a line in the report).
const MAX_CELEBRITY_POSTS: usize = 10_000;

impl Checker {
    /// A count law: a plain number or {constant|pareto|lognormal|empirical: ...}.
    pub(super) fn count_law(
        &mut self,
        at: &At<OrMap<raw::CountSpec>>,
        what: &str,
    ) -> Option<CountLaw> {
        use raw::CountSpec as C;
        let built = match &at.value {
            OrMap::Scalar(s) => match s.0.trim().parse::<u64>() {
                Ok(n) => CountLaw::constant(n),
                Err(_) => {
                    self.error_help(
                        at.loc,
                        format!("{what}: '{}' is not a count", s.0),
                        "give a whole number (300) or a law: {pareto: {min, max, alpha}}, {lognormal: {median, sigma, max}} or {empirical: {p50: .., max: ..}}",
                    );
                    return None;
                }
            },
            OrMap::Map(C::Constant(n)) => CountLaw::constant(n.value),
            OrMap::Map(C::Pareto(p)) => CountLaw::pareto(
                p.min.value,
                p.max.value,
                p.alpha.as_ref().map_or(1.0, |a| a.value),
            ),
            OrMap::Map(C::Lognormal(l)) => {
                CountLaw::lognormal(l.median.value, l.sigma.value, l.max.value)
            }
            OrMap::Map(C::Empirical(table)) => {
                let mut points = Vec::new();
                for (key, value) in table {
                    let quantile = self.percentile_key(key)?;
                    points.push((quantile, value.value));
                }
                CountLaw::empirical(&points)
            }
        };
        match built {
            Ok(law) => Some(law),
            Err(e) => {
                self.error(at.loc, format!("{what}: {e}"));
                None
            }
        }
    }
}

pub(super) fn check_fanout(c: &mut Checker, f: &raw::FanoutSpec) -> Option<FanoutConfig> {
    let errors_before = c.errors.len();
    let target = c.reference(&f.to, "fan-out target", Use::Call);
    if f.to.value == f.name.value {
        c.error(f.to.loc, "a fan-out cannot send to itself");
    }
    let mode = match &f.mode {
        None => Some(Mode::Write),
        Some(m) => match Mode::from_name(&m.value) {
            Some(mode) => Some(mode),
            None => {
                let help = suggestion(&m.value, Mode::NAMES.iter().copied());
                c.error_help(m.loc, format!("unknown fan-out mode '{}'", m.value), help);
                None
            }
        },
    };
    let users = match &f.users {
        Some(n) => c.int_in(
            n,
            "users",
            1,
            limits::MAX_KEYS,
            "users is the size of the id space the sub-requests' keys are drawn from",
        ),
        None => Some(10_000_000),
    };
    let followers = c.count_law(&f.followers, "followers");
    let following = match &f.following {
        Some(l) => c.count_law(l, "following"),
        None => followers.clone(),
    };
    let concurrency = match &f.concurrency {
        Some(n) => c.int_in(
            n,
            "concurrency",
            1,
            MAX_CONCURRENCY,
            "each sub-request in flight is an open call",
        ),
        None => Some(100),
    };
    let min_success = match &f.min_success {
        Some(s) => c.parse(s, "min_success", parse_fraction),
        None => Some(1.0),
    };
    let threshold = match &f.celebrity_threshold {
        Some(n) => c.int_in(n, "celebrity_threshold", 0, MAX_COUNT, ""),
        None => Some(10_000),
    };
    let accounts = match &f.celebrity_accounts {
        Some(n) => c.int_in(
            n,
            "celebrity_accounts",
            1,
            limits::MAX_KEYS,
            "the celebrities are the ids below this",
        ),
        None => Some(1000),
    };
    let celebrities_followed = match &f.celebrities_followed {
        Some(l) => c.count_law(l, "celebrities_followed"),
        None => Some(CountLaw::Constant(0)),
    };
    let hybrid_only = [
        (
            f.celebrity_threshold.as_ref().map(|a| a.loc),
            "celebrity_threshold",
        ),
        (
            f.celebrities_followed.as_ref().map(|a| a.loc),
            "celebrities_followed",
        ),
        (
            f.celebrity_accounts.as_ref().map(|a| a.loc),
            "celebrity_accounts",
        ),
    ];
    if mode.is_some_and(|m| m != Mode::Hybrid) {
        for (loc, field) in hybrid_only {
            if let Some(loc) = loc {
                c.error_help(
                    loc,
                    format!("'{field}' applies only to mode hybrid"),
                    "set mode: hybrid, or remove it",
                );
            }
        }
    }
    // Keys of one fan-out are distinct: no more of them than the id space holds.
    if let (Some(users), Some(law)) = (users, &followers) {
        if law.max() > users {
            c.error_help(
                f.followers.loc,
                format!("followers reach {}, more than the {users} users", law.max()),
                "a fan-out's keys are distinct ids: raise 'users' or lower the law's max",
            );
        }
    }
    if let (Some(users), Some(law), Some(at)) = (users, &following, &f.following) {
        if law.max() > users {
            c.error(
                at.loc,
                format!(
                    "following reaches {}, more than the {users} users",
                    law.max()
                ),
            );
        }
    }
    if let (Some(accounts), Some(law), Some(at)) =
        (accounts, &celebrities_followed, &f.celebrities_followed)
    {
        if law.max() > accounts {
            c.error_help(
                at.loc,
                format!(
                    "celebrities_followed reaches {}, more than the {accounts} celebrity accounts",
                    law.max()
                ),
                "raise celebrity_accounts or lower the law's max",
            );
        }
    }
    let posts = f.celebrity_posts.as_deref().unwrap_or_default();
    if posts.len() > MAX_CELEBRITY_POSTS {
        c.error(
            f.name.loc,
            format!("more than {MAX_CELEBRITY_POSTS} celebrity posts"),
        );
    }
    let mut celebrity_posts = Vec::new();
    for p in posts {
        let at = c.duration(&p.at, "celebrity post time");
        let followers = c.int_in(
            &p.followers,
            "celebrity followers",
            0,
            MAX_COUNT,
            "each follower's sub-request is simulated",
        );
        if let (Some(n), Some(users)) = (followers, users) {
            if n > users {
                c.error_help(
                    p.followers.loc,
                    format!("the celebrity has {n} followers, more than the {users} users"),
                    "raise 'users'",
                );
            }
        }
        if let (Some(at), Some(followers)) = (at, followers) {
            celebrity_posts.push(CelebrityPost {
                at: SimTime::ZERO + at,
                followers,
            });
        }
    }
    if c.errors.len() > errors_before {
        return None;
    }
    Some(FanoutConfig {
        name: f.name.value.clone(),
        target: target?,
        mode: mode?,
        users: users?,
        followers: followers?,
        following: following?,
        concurrency: concurrency? as u32,
        min_success: min_success?,
        celebrity_threshold: threshold?,
        celebrity_accounts: accounts?,
        celebrities_followed: celebrities_followed?,
        celebrity_posts,
        post_kind: 0,
    })
}

/// Scripted celebrity posts are of the first request type that writes (`write_types`).
pub(super) fn set_post_kinds(
    c: &mut Checker,
    scenario: &raw::Scenario,
    components: &mut [(String, ComponentPlan)],
    write_types: &[bool],
) {
    let post_kind = write_types.iter().position(|&w| w).map(|i| i as u16);
    for spec in &scenario.components.value {
        let raw::ComponentSpec::Fanout(f) = spec else {
            continue;
        };
        if f.celebrity_posts.as_ref().is_none_or(|p| p.is_empty()) {
            continue;
        }
        match post_kind {
            None => c.error_help(
                f.name.loc,
                "celebrity_posts need a request type that writes (a post)",
                "add e.g. 'post' to a traffic mix, or list it in write_types",
            ),
            Some(kind) => {
                for (name, plan) in components.iter_mut() {
                    if let ComponentPlan::Fanout(config) = plan {
                        if *name == f.name.value {
                            config.post_kind = kind;
                        }
                    }
                }
            }
        }
    }
}
