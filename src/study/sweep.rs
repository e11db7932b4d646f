//! `sim sweep`: a grid of parameter values, each point a study (with replications). The files
//! that present it (`sweep.json`, `sweep.csv`, charts of a figure against the parameter or a
//! heat map for two parameters, and `sweep.html`) are written by `report/sweep.rs`.
//!
//! Points are numbered in grid order (the first `--param` varies slowest). `--shard K/N` runs
//! the points whose number modulo N is K - 1 and writes only `shard-K-of-N.json`; `sim merge`
//! reads the shards back and writes the outputs with the very function a single-machine sweep
//! uses, from the same records (numbers survive the JSON round trip exactly), so the merged
//! files are byte-identical to an unsharded run's.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::study::replications::intervals;
use crate::study::Study;

/// Most grid points of one sweep.
pub const MAX_POINTS: usize = 100_000;

/// One swept parameter: a path and its values (as text, e.g. "1000/s").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Param {
    pub path: String,
    pub values: Vec<String>,
}

/// Splits "1000/s" into (1000, "/s").
pub fn split_number(text: &str) -> Option<(f64, &str)> {
    let t = text.trim();
    let end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))))
        .map_or(t.len(), |(i, _)| i);
    let number = t[..end].parse::<f64>().ok().filter(|x| x.is_finite())?;
    Some((number, t[end..].trim()))
}

fn format_number(x: f64) -> String {
    if x == x.round() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        crate::format::decimals(x, 6)
    }
}

/// Parses `path=spec`: `2..12` (whole numbers, step 1), `1000/s..8000/s:8` (8 evenly spaced
/// values, unit kept), `lru,lfu,fifo` (a list) or a single value.
pub fn parse_param(arg: &str) -> Result<Param, String> {
    let Some((path, spec)) = arg.split_once('=') else {
        return Err(format!(
            "'{arg}': write PATH=VALUES, e.g. web.instances=2..12 or traffic.rate=1000/s..8000/s:8"
        ));
    };
    let (path, spec) = (path.trim(), spec.trim());
    if path.is_empty() || spec.is_empty() {
        return Err(format!("'{arg}': both the path and the values are needed"));
    }
    let values = if let Some((from, rest)) = spec.split_once("..") {
        let (to, count) = match rest.rsplit_once(':') {
            Some((to, n)) => {
                let n = n.trim().parse::<usize>().map_err(|_| {
                    format!("'{spec}': the number of points after ':' must be a whole number")
                })?;
                (to, Some(n))
            }
            None => (rest, None),
        };
        let bad = |t: &str| format!("'{t}' in '{spec}' is not a number with an optional unit");
        let (a, unit_a) = split_number(from).ok_or_else(|| bad(from))?;
        let (b, unit_b) = split_number(to).ok_or_else(|| bad(to))?;
        let unit = match (unit_a, unit_b) {
            (u, "") | ("", u) => u,
            (u, v) if u == v => u,
            (u, v) => {
                return Err(format!(
                    "'{spec}': the ends have different units ({u}, {v})"
                ))
            }
        };
        let numbers: Vec<f64> = match count {
            Some(0) => return Err(format!("'{spec}': at least 1 point")),
            Some(1) => vec![a],
            Some(n) if n > MAX_POINTS => {
                return Err(format!("'{spec}': at most {MAX_POINTS} points"))
            }
            Some(n) => (0..n)
                .map(|i| a + (b - a) * i as f64 / (n - 1) as f64)
                .collect(),
            None if a == a.round() && b == b.round() && b >= a => {
                let n = (b - a) as usize + 1;
                if n > MAX_POINTS {
                    return Err(format!("'{spec}': at most {MAX_POINTS} points"));
                }
                (0..n).map(|i| a + i as f64).collect()
            }
            None => {
                return Err(format!(
                    "'{spec}': give the number of points, e.g. '{from}..{to}:8' (a range without it steps by 1 between whole numbers)"
                ))
            }
        };
        numbers
            .into_iter()
            .map(|x| format!("{}{unit}", format_number(x)))
            .collect()
    } else {
        spec.split(',')
            .map(|v| v.trim().to_string())
            .collect::<Vec<_>>()
    };
    if values.iter().any(String::is_empty) {
        return Err(format!("'{spec}': an empty value"));
    }
    Ok(Param {
        path: path.to_string(),
        values,
    })
}

/// Refuses two parameters that set the same value of the scenario `text` (the same path twice,
/// or two paths to one place): the grid would label points with values that never ran.
pub fn check_distinct(text: &str, params: &[Param]) -> Result<(), String> {
    let paths: Vec<&str> = params.iter().map(|p| p.path.as_str()).collect();
    match crate::study::overrides::same_place(text, &paths)? {
        None => Ok(()),
        Some((i, j)) if paths[i] == paths[j] => Err(format!(
            "--param {} is given twice; give all its values in one --param (e.g. {}={},{})",
            paths[i],
            paths[i],
            params[i].values.join(","),
            params[j].values.join(",")
        )),
        Some((i, j)) => Err(format!(
            "--param {} and --param {} set the same value of the scenario; give only one of them",
            paths[i], paths[j]
        )),
    }
}

/// The grid: for each point, the index of each parameter's value (first parameter slowest).
pub fn grid(params: &[Param]) -> Result<Vec<Vec<usize>>, String> {
    let total = params
        .iter()
        .try_fold(1usize, |n, p| n.checked_mul(p.values.len()))
        .filter(|&n| n <= MAX_POINTS)
        .ok_or_else(|| format!("the grid has more than {MAX_POINTS} points"))?;
    Ok((0..total)
        .map(|mut i| {
            let mut at = vec![0; params.len()];
            for (k, p) in params.iter().enumerate().rev() {
                at[k] = i % p.values.len();
                i /= p.values.len();
            }
            at
        })
        .collect())
}

/// Whether point `index` belongs to shard `k` (1-based) of `n`: round robin, so that every
/// shard gets light and heavy points alike.
pub fn in_shard(index: usize, shard: Option<(usize, usize)>) -> bool {
    shard.is_none_or(|(k, n)| index % n == k - 1)
}

/// Parses `K/N`.
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let (k, n) = text
        .split_once('/')
        .ok_or_else(|| format!("'{text}': write the shard as K/N, e.g. 2/8"))?;
    let (k, n) = (
        k.trim()
            .parse::<usize>()
            .map_err(|_| format!("'{text}': K is not a number"))?,
        n.trim()
            .parse::<usize>()
            .map_err(|_| format!("'{text}': N is not a number"))?,
    );
    if n == 0 || k == 0 || k > n {
        return Err(format!("'{text}': shards are numbered 1 to N"));
    }
    Ok((k, n))
}

/// What a sweep is; shards of one sweep must agree on all of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub scenario: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub replications: u32,
    pub params: Vec<Param>,
    pub points: usize,
}

/// One grid point's results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub index: usize,
    /// The value of each parameter, as text.
    pub params: Vec<String>,
    /// Headline figure -> [mean, half-width of the 95% interval] (0 without replications).
    pub figures: indexmap::IndexMap<String, (Option<f64>, Option<f64>)>,
    pub assertions_passed: usize,
    pub assertions_total: usize,
    /// Why the point's runs stopped early, if they did.
    pub truncated: Option<String>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

impl Record {
    pub fn of(index: usize, params: Vec<String>, study: &Study) -> Self {
        let figures = intervals(&study.summaries, 0.95)
            .into_iter()
            .map(|(name, ci)| (name.to_string(), (finite(ci.mean), finite(ci.half_width))))
            .collect();
        let r = &study.result;
        Record {
            index,
            params,
            figures,
            assertions_passed: r.assertions.iter().filter(|v| v.passed).count(),
            assertions_total: r.assertions.len(),
            truncated: r.truncated.clone(),
        }
    }

    pub fn mean(&self, figure: &str) -> f64 {
        self.figures
            .get(figure)
            .and_then(|f| f.0)
            .unwrap_or(f64::NAN)
    }
}

/// A shard's file: what the sweep is, which share this is, and its points.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShardFile {
    pub meta: Meta,
    pub shard: (usize, usize),
    pub records: Vec<Record>,
}

pub fn shard_file_name(k: usize, n: usize) -> String {
    format!("shard-{k}-of-{n}.json")
}

/// Writes one shard's records into `dir`, a folder the shards share (none of them replaces it);
/// the shard file itself is replaced in one step.
pub fn write_shard(file: &ShardFile, dir: &Path) -> Result<PathBuf, crate::output::OutputError> {
    let path = dir.join(shard_file_name(file.shard.0, file.shard.1));
    let mut text = serde_json::to_string_pretty(file)
        .map_err(|e| crate::output::OutputError::io(&path, std::io::Error::other(e)))?;
    text.push('\n');
    crate::output::write_file(&path, text.as_bytes())?;
    Ok(path)
}

/// Reads shard files (or directories holding them) and checks that they are the shards of one
/// sweep, each point present once: returns the sweep and its records in point order.
pub fn merge(inputs: &[PathBuf]) -> Result<(Meta, Vec<Record>), String> {
    let mut files: Vec<PathBuf> = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|e| format!("{}: {e}", input.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("shard-") && n.ends_with(".json"))
                })
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(format!("{}: no shard-K-of-N.json file", input.display()));
            }
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    let mut meta: Option<(Meta, PathBuf)> = None;
    let mut records: Vec<Option<Record>> = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let shard: ShardFile = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}: not a shard file of `sim sweep --shard`: {e}",
                file.display()
            )
        })?;
        match &meta {
            None => {
                records = vec![None; shard.meta.points];
                meta = Some((shard.meta.clone(), file.clone()));
            }
            Some((m, first)) if *m != shard.meta => {
                return Err(format!(
                    "{} and {} are shards of different sweeps (scenario, seed, replications or parameters differ)",
                    first.display(),
                    file.display()
                ))
            }
            Some(_) => {}
        }
        for r in shard.records {
            let index = r.index;
            match records.get_mut(index) {
                Some(slot @ None) => *slot = Some(r),
                Some(Some(_)) => {
                    return Err(format!(
                        "point {index} appears twice (is a shard given twice?); last in {}",
                        file.display()
                    ))
                }
                None => {
                    return Err(format!(
                        "{}: point {index} is outside the grid",
                        file.display()
                    ))
                }
            }
        }
    }
    let Some((meta, _)) = meta else {
        return Err("no shard given".to_string());
    };
    let missing: Vec<usize> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_none())
        .map(|(i, _)| i)
        .collect();
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(10).map(ToString::to_string).collect();
        return Err(format!(
            "{} of {} points are missing (points {}{}): give every shard",
            missing.len(),
            meta.points,
            shown.join(", "),
            if missing.len() > 10 { ", ..." } else { "" }
        ));
    }
    Ok((meta, records.into_iter().flatten().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_lists_and_units() {
        let p = parse_param("web.instances=2..5").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.values, ["2", "3", "4", "5"]);
        let p = parse_param("traffic.rate=1000/s..8000/s:8").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.values[0], "1000/s");
        assert_eq!(p.values[7], "8000/s");
        assert_eq!(p.values.len(), 8);
        let p = parse_param("x=0.5..1:3").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.values, ["0.5", "0.75", "1"]);
        let p = parse_param("cache.eviction=lru, lfu").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.values, ["lru", "lfu"]);
        assert!(parse_param("x=1.5..2").is_err());
        assert!(parse_param("x=1ms..2s:3").is_err());
        assert!(parse_param("x").is_err());
    }

    #[test]
    fn grid_varies_the_first_parameter_slowest_and_shards_partition_it() {
        let params = [
            Param {
                path: "a".into(),
                values: vec!["1".into(), "2".into()],
            },
            Param {
                path: "b".into(),
                values: vec!["x".into(), "y".into(), "z".into()],
            },
        ];
        let g = grid(&params).unwrap_or_default();
        assert_eq!(g, [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
        for i in 0..6 {
            let owners = (1..=4).filter(|&k| in_shard(i, Some((k, 4)))).count();
            assert_eq!(owners, 1);
        }
        assert_eq!(parse_shard("2/8"), Ok((2, 8)));
        assert!(parse_shard("0/8").is_err() && parse_shard("9/8").is_err());
    }
}
