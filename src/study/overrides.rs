//! Overrides by path: set a value inside a scenario before it is checked (`variants:`,
//! `sim sweep --param`, `sim capacity`).
//!
//! The scenario's YAML is read into a plain tree, the value is set at the path, and the tree is
//! written back as JSON (which is YAML) and checked like any file: every rule and every error
//! message of the checker applies to the overridden values too. Errors in the file itself are
//! reported against the file before any override is applied, so their locations are exact;
//! errors caused by an override are shown on the line of the generated document that holds it.
//!
//! Path syntax (documented in docs/compare-sweep-assert.md):
//! - `web.instances`: the first segment is a component or traffic source *name*; the rest are
//!   keys inside it (`web.per_type.read.service_time`, `cache.eviction`, `users.rate`);
//! - `run.duration`, `seed`, `slo.target`, `network.default`: a top-level key and keys below it;
//! - `traffic.rate`: a list with a single entry may be skipped; otherwise name the entry
//!   (`users.rate`) or index it (`traffic[1].rate`, `failures[0].at`).

use serde_json::{Map, Value};

use crate::format::did_you_mean;

/// Top-level keys of a scenario, for paths and suggestions.
pub const TOP_LEVEL: &[&str] = &[
    "name",
    "description",
    "seed",
    "run",
    "traffic",
    "components",
    "network",
    "slo",
    "failures",
    "random_failures",
    "write_types",
    "assert",
    "variants",
];

/// Reads a value given on the command line: a number or boolean when it reads as one, else
/// text ("1000/s", "lru", "250ms").
pub fn parse_value(text: &str) -> Value {
    let t = text.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Value::from(n);
    }
    if let Ok(n) = t.parse::<i64>() {
        return Value::from(n);
    }
    if let Some(n) = t
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .and_then(serde_json::Number::from_f64)
    {
        return Value::Number(n);
    }
    match t {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(t.to_string()),
    }
}

/// A value as `path=value` text.
pub fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The name of a list entry: `name:` of a traffic source, or of the one mapping inside a
/// component (`- server: {name: web}`).
fn entry_name(entry: &Value) -> Option<&str> {
    let map = entry.as_object()?;
    if let Some(name) = map.get("name").and_then(Value::as_str) {
        return Some(name);
    }
    if map.len() == 1 {
        return map.values().next()?.get("name")?.as_str();
    }
    None
}

/// The mapping of a list entry that keys go into: the component's inner mapping, or the entry.
fn entry_body(entry: &mut Value) -> &mut Value {
    let inner = entry
        .as_object()
        .filter(|m| m.len() == 1 && !m.contains_key("name"))
        .and_then(|m| m.iter().next())
        .filter(|(_, v)| v.is_object())
        .map(|(k, _)| k.clone());
    match inner {
        Some(kind) => &mut entry[kind.as_str()],
        None => entry,
    }
}

/// Splits `traffic[1]` into ("traffic", Some(1)).
fn split_index(segment: &str) -> Result<(&str, Option<usize>), String> {
    match segment.split_once('[') {
        None => Ok((segment, None)),
        Some((key, rest)) => {
            let index = rest
                .strip_suffix(']')
                .and_then(|i| i.parse::<usize>().ok())
                .ok_or_else(|| format!("'{segment}': write an index as key[0]"))?;
            Ok((key, Some(index)))
        }
    }
}

/// Sets `value` at `path` in `doc` (a scenario's tree).
pub fn set(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let segments: Vec<&str> = path.split('.').map(str::trim).collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(format!("path '{path}' has an empty segment"));
    }
    let Some(root) = doc.as_object_mut() else {
        return Err("the scenario is not a mapping".to_string());
    };
    let (first, first_index) = split_index(segments[0])?;
    let mut rest = &segments[1..];
    let mut current: &mut Value;
    if TOP_LEVEL.contains(&first) || root.contains_key(first) {
        if rest.is_empty() && first_index.is_none() {
            root.insert(first.to_string(), value);
            return Ok(());
        }
        current = root
            .entry(first.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(i) = first_index {
            current = index_into(current, i, first)?;
        }
    } else {
        // A component or traffic source by name.
        let mut found = None;
        for list in ["components", "traffic"] {
            if let Some(entries) = root.get(list).and_then(Value::as_array) {
                if let Some(i) = entries.iter().position(|e| entry_name(e) == Some(first)) {
                    found = Some((list, i));
                    break;
                }
            }
        }
        let Some((list, i)) = found else {
            let mut known: Vec<&str> = ["components", "traffic"]
                .iter()
                .filter_map(|l| root.get(*l).and_then(Value::as_array))
                .flatten()
                .filter_map(entry_name)
                .collect();
            known.extend(TOP_LEVEL);
            let help = match did_you_mean(first, known.iter().copied()) {
                Some(best) => format!("did you mean '{best}'?"),
                None => format!(
                    "a path starts with a component or traffic source name or a top-level key: {}",
                    known.join(", ")
                ),
            };
            return Err(format!(
                "'{first}' in path '{path}' is not a component, traffic source or top-level key; {help}"
            ));
        };
        current = match root.get_mut(list).and_then(|l| l.get_mut(i)) {
            Some(entry) => entry_body(entry),
            None => return Err(format!("'{first}' vanished")),
        };
        if let Some(i) = first_index {
            current = index_into(current, i, first)?;
        }
    }
    loop {
        // Descend into a list by name, index, or as its single entry.
        if let Value::Array(entries) = current {
            let Some(next) = rest.first() else {
                return Err(format!("path '{path}' ends at a list; name an entry"));
            };
            let (key, index) = split_index(next)?;
            if let Some(i) = entries.iter().position(|e| entry_name(e) == Some(key)) {
                current = entry_body(&mut entries[i]);
                rest = &rest[1..];
                if let Some(i) = index {
                    current = index_into(current, i, key)?;
                }
                continue;
            }
            if entries.len() == 1 {
                current = entry_body(&mut entries[0]);
                continue;
            }
            let names: Vec<&str> = entries.iter().filter_map(entry_name).collect();
            return Err(format!(
                "path '{path}': the list has {} entries; name one ({}) or index it ([0])",
                entries.len(),
                names.join(", ")
            ));
        }
        let Some((&segment, after)) = rest.split_first() else {
            return Err(format!("path '{path}' names no key"));
        };
        let (key, index) = split_index(segment)?;
        if !current.is_object() {
            return Err(format!(
                "path '{path}': '{key}' cannot be set inside a plain value ({})",
                show(current)
            ));
        }
        let Some(map) = current.as_object_mut() else {
            return Err(format!("path '{path}' names no mapping"));
        };
        if after.is_empty() && index.is_none() {
            map.insert(key.to_string(), value);
            return Ok(());
        }
        current = map
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(i) = index {
            current = index_into(current, i, key)?;
        }
        rest = after;
    }
}

fn index_into<'a>(value: &'a mut Value, i: usize, key: &str) -> Result<&'a mut Value, String> {
    match value {
        Value::Array(entries) => {
            let n = entries.len();
            match entries.get_mut(i) {
                Some(entry) => Ok(entry_body(entry)),
                None => Err(format!("'{key}' has {n} entries; [{i}] is out of range")),
            }
        }
        _ => Err(format!("'{key}' is not a list; [{i}] cannot apply")),
    }
}

/// The scenario text with `overrides` applied; the text itself when there are none.
pub fn apply(text: &str, overrides: &[(String, Value)]) -> Result<String, String> {
    apply_each(text, overrides.iter().map(|(p, v)| (p.as_str(), v))).map_err(|(_, e)| e)
}

/// Like [`apply`]; an error says which override (its index) failed.
pub fn apply_each<'a>(
    text: &str,
    overrides: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> Result<String, (usize, String)> {
    let mut overrides = overrides.into_iter().peekable();
    if overrides.peek().is_none() {
        return Ok(text.to_string());
    }
    let mut doc: Value = serde_saphyr::from_str(text).map_err(|e| {
        (
            0,
            format!("cannot read the scenario: {}", e.without_snippet()),
        )
    })?;
    for (i, (path, value)) in overrides.enumerate() {
        set(&mut doc, path, value.clone()).map_err(|e| (i, e))?;
    }
    let mut out = serde_json::to_string_pretty(&doc).map_err(|e| (0, e.to_string()))?;
    out.push('\n');
    Ok(out)
}

/// The first two of `paths` that name the same place in the scenario `text` (`web.workers`
/// and `components[0].workers`, or `web.per_type` and `web.per_type.read.service_time`, where
/// one holds the other), by index, if any. Each path is set in turn to a value of its own; a
/// path whose value is gone after a later one was set, or inside whose value a later one
/// cannot be set, shares its place with that one. Each path alone must be valid.
pub fn same_place(text: &str, paths: &[&str]) -> Result<Option<(usize, usize)>, String> {
    let read = || {
        serde_saphyr::from_str::<Value>(text)
            .map_err(|e| format!("cannot read the scenario: {}", e.without_snippet()))
    };
    let marker = |i: usize| Value::String(format!("\u{0}sim-path-{i}"));
    fn holds(v: &Value, wanted: &Value) -> bool {
        match v {
            Value::Array(items) => items.iter().any(|x| holds(x, wanted)),
            Value::Object(map) => map.values().any(|x| holds(x, wanted)),
            other => other == wanted,
        }
    }
    let mut doc = read()?;
    for (j, path) in paths.iter().enumerate() {
        if set(&mut doc, path, marker(j)).is_err() {
            // Path j leads through the value of an earlier one: find which.
            for (i, earlier) in paths.iter().enumerate().take(j) {
                let mut pair = read()?;
                set(&mut pair, earlier, marker(i))?;
                if set(&mut pair, path, marker(j)).is_err() {
                    return Ok(Some((i, j)));
                }
            }
            set(&mut read()?, path, marker(j))?;
        }
        if let Some(i) = (0..j).find(|&i| !holds(&doc, &marker(i))) {
            return Ok(Some((i, j)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "
seed: 1
run: {duration: 10s}
traffic:
  - {name: users, to: web, rate: 100/s}
components:
  - server: {name: web, instances: 2, service_time: 1ms}
  - cache: {name: cache, eviction: lru, backing: web}
";

    fn doc() -> Value {
        serde_saphyr::from_str(DOC).unwrap_or(Value::Null)
    }

    #[test]
    fn paths_to_one_place_are_found() {
        let same = |paths: &[&str]| same_place(DOC, paths).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(same(&["web.instances", "cache.eviction"]), None);
        assert_eq!(same(&["web.instances", "web.instances"]), Some((0, 1)));
        assert_eq!(
            same(&["seed", "web.instances", "components[0].instances"]),
            Some((1, 2))
        );
        assert_eq!(same(&["traffic.rate", "users.rate"]), Some((0, 1)));
        assert_eq!(
            same(&["web.per_type", "web.per_type.read.service_time"]),
            Some((0, 1))
        );
        assert_eq!(
            same(&["web.per_type.read.service_time", "web.per_type"]),
            Some((0, 1))
        );
        assert_eq!(same(&["users.rate", "users.timeout"]), None);
    }

    #[test]
    fn sets_component_traffic_and_top_level_paths() {
        let mut d = doc();
        set(&mut d, "cache.eviction", Value::from("lfu")).unwrap_or_else(|e| panic!("{e}"));
        set(&mut d, "web.instances", Value::from(8)).unwrap_or_else(|e| panic!("{e}"));
        set(&mut d, "traffic.rate", Value::from("5/s")).unwrap_or_else(|e| panic!("{e}"));
        set(&mut d, "users.timeout", Value::from("1s")).unwrap_or_else(|e| panic!("{e}"));
        set(&mut d, "run.duration", Value::from("1m")).unwrap_or_else(|e| panic!("{e}"));
        set(&mut d, "slo.target", Value::from("99%")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d["components"][1]["cache"]["eviction"], "lfu");
        assert_eq!(d["components"][0]["server"]["instances"], 8);
        assert_eq!(d["traffic"][0]["rate"], "5/s");
        assert_eq!(d["traffic"][0]["timeout"], "1s");
        assert_eq!(d["run"]["duration"], "1m");
        assert_eq!(d["slo"]["target"], "99%");
        set(&mut d, "components[0].workers", Value::from(4)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d["components"][0]["server"]["workers"], 4);
    }

    #[test]
    fn bad_paths_name_the_path_and_suggest() {
        let mut d = doc();
        let e = set(&mut d, "cahce.eviction", Value::from("lfu")).err();
        let e = e.unwrap_or_default();
        assert!(
            e.contains("'cahce'") && e.contains("did you mean 'cache'?"),
            "{e}"
        );
        let e = set(&mut d, "components[5].x", Value::from(1))
            .err()
            .unwrap_or_default();
        assert!(e.contains("out of range"), "{e}");
    }

    #[test]
    fn overridden_text_is_checked_like_a_file() {
        let text = apply(DOC, &[("web.instances".into(), Value::from(3))]);
        let text = text.unwrap_or_else(|e| panic!("{e}"));
        assert!(text.contains("\"instances\": 3"));
        assert_eq!(apply(DOC, &[]).ok().as_deref(), Some(DOC));
        assert_eq!(parse_value("4"), Value::from(4));
        assert_eq!(parse_value("0.5"), Value::from(0.5));
        assert_eq!(parse_value("1000/s"), Value::from("1000/s"));
    }
}
