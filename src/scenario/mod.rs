//! The scenario layer: reads a YAML file, checks it and builds the simulation.
//!
//! `raw` mirrors the file; `validate` checks it into a [`Plan`], collecting every problem with
//! its location; `build` turns a plan into an engine ready to run.

pub mod budget;
pub mod build;
pub mod diagnostic;
pub mod raw;
mod tolerant;
pub mod topology;
pub mod units;
pub mod validate;

use std::path::Path;

pub use diagnostic::Diagnostic;
pub use validate::Plan;

use raw::Loc;

/// Largest scenario file accepted [bytes]: real scenarios are a few KiB.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Errors shown for one file: the first ones in file order, then how many more there are (a
/// file in the wrong format can hold thousands, and the first few say what is wrong).
pub const MAX_SHOWN_ERRORS: usize = 50;

/// A scenario that could not be loaded, with everything needed to show why.
#[derive(Debug)]
pub struct LoadError {
    pub path: String,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    fn whole_file(path: &str, message: String) -> Self {
        LoadError {
            path: path.to_string(),
            source: String::new(),
            diagnostics: vec![Diagnostic::whole_file(message)],
        }
    }

    /// The diagnostics, rendered against the file (the first [`MAX_SHOWN_ERRORS`], then how
    /// many more there are), followed by a count.
    pub fn render(&self) -> String {
        let mut out: String = self
            .diagnostics
            .iter()
            .take(MAX_SHOWN_ERRORS)
            .map(|d| d.render(&self.path, &self.source))
            .collect::<Vec<_>>()
            .join("\n");
        let hidden = self.diagnostics.len().saturating_sub(MAX_SHOWN_ERRORS);
        if hidden > 0 {
            let s = if hidden == 1 { "" } else { "s" };
            out.push_str(&format!("\n... and {hidden} more error{s}, not shown\n"));
        }
        if self.diagnostics.len() > 1 {
            out.push_str(&format!(
                "\n{} errors in {}\n",
                self.diagnostics.len(),
                self.path
            ));
        }
        out
    }
}

/// Reads and checks a scenario file.
pub fn load(path: &Path) -> Result<Plan, LoadError> {
    let shown = path.display().to_string();
    let cannot_read = |e: std::io::Error| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::InvalidData => "the file is not UTF-8 text".to_string(),
            _ => e.to_string(),
        };
        LoadError::whole_file(&shown, format!("cannot read the scenario: {why}"))
    };
    let metadata = std::fs::metadata(path).map_err(cannot_read)?;
    if metadata.is_dir() {
        return Err(LoadError::whole_file(
            &shown,
            "is a directory; give a scenario file (.yaml)".to_string(),
        ));
    }
    let size = metadata.len();
    if size > MAX_FILE_BYTES {
        return Err(LoadError::whole_file(
            &shown,
            format!("the file is {size} bytes; scenarios are limited to {MAX_FILE_BYTES} bytes"),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(cannot_read)?;
    let default_name = path.file_stem().map_or_else(
        || "scenario".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    load_str(&text, &shown, &default_name)
}

/// Checks a scenario given as text; `path` is only used in messages.
///
/// Every error found in one pass is reported: each unknown key (the parse reads past them),
/// then, if the file could be read, every error of the checker. A YAML syntax error or a value
/// the types cannot hold (a list where a number belongs, an unknown component kind) stops the
/// parse there, since what follows cannot be read reliably.
pub fn load_str(text: &str, path: &str, default_name: &str) -> Result<Plan, LoadError> {
    let fail = |mut diagnostics: Vec<Diagnostic>| {
        // Report in file order, whatever order the checks ran in.
        diagnostics.sort_by_key(|d| d.loc.map(|l| (l.line, l.column)));
        LoadError {
            path: path.to_string(),
            source: text.to_string(),
            diagnostics,
        }
    };
    let (raw, mut diagnostics) = parse_yaml(text);
    let Some(raw) = raw else {
        return Err(fail(diagnostics));
    };
    match validate::check(&raw, default_name) {
        Ok(mut plan) if diagnostics.is_empty() => {
            plan.scenario_sha256 = sha256_hex(text.as_bytes());
            Ok(plan)
        }
        Ok(_) => Err(fail(diagnostics)),
        Err(checked) => {
            diagnostics.extend(checked);
            Err(fail(diagnostics))
        }
    }
}

/// Lower-case hexadecimal SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Parses YAML into the raw types, reading past unknown keys: the scenario if the rest could
/// be read, and a diagnostic for each unknown key and for the error that stopped the parse.
fn parse_yaml(text: &str) -> (Option<raw::Scenario>, Vec<Diagnostic>) {
    let options = || {
        serde_saphyr::options! {
            duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
            // A tag such as `!custom 1` means something to some program; sim would ignore it.
            reject_unsupported_tags: true,
            reject_tagged_field_names: true,
        }
    };
    if text
        .lines()
        .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
    {
        let empty = Diagnostic::whole_file("the file is empty").with_help(
            "a scenario needs at least 'run', 'traffic' and 'components'; `sim schema` lists every key",
        );
        return (None, vec![empty]);
    }
    // `from_str_with_options` is this same call with `T::deserialize`: the tolerant parse
    // differs only in reading past unknown keys.
    let mut unknown = Vec::new();
    let typed =
        serde_saphyr::with_deserializer_from_str_with_options(text, options(), |deserializer| {
            let (typed, found) = tolerant::deserialize::<raw::Scenario, _>(deserializer);
            unknown = found;
            typed
        });
    let mut diagnostics: Vec<Diagnostic> = unknown.iter().map(unknown_key).collect();
    match typed {
        Ok(scenario) => (Some(scenario), diagnostics),
        Err(typed) => {
            // A file that is not valid YAML is reported as such, and only that: the parse may
            // have stopped earlier on a value that only looked mistyped because of the syntax
            // error (an unclosed '[' reads as "invalid type: sequence"), and keys read before
            // it may belong elsewhere once it is fixed.
            if let Err(syntax) =
                serde_saphyr::from_str_with_options::<serde::de::IgnoredAny>(text, options())
            {
                return (None, vec![diagnostic_from_yaml(&syntax, text)]);
            }
            diagnostics.push(diagnostic_from_yaml(&typed, text));
            (None, diagnostics)
        }
    }
}

/// The diagnostic of a key that its mapping does not accept, worded as serde's own error for
/// it would be (see `unknown_name`), so that one unknown key reads the same either way.
fn unknown_key(key: &tolerant::UnknownKey) -> Diagnostic {
    let loc = Loc {
        line: key.line,
        column: key.column,
    };
    // Control characters are escaped as the YAML library escapes them in its messages, so
    // that a key cannot move the cursor or colour the terminal.
    let name: String = key
        .name
        .chars()
        .flat_map(|c| {
            let escape = c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
            let escaped: Vec<char> = if escape {
                c.escape_debug().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    let diagnostic = Diagnostic::at(loc, format!("unknown key '{name}'"));
    if key.expected.is_empty() {
        return diagnostic;
    }
    diagnostic.with_help(diagnostic::suggestion(&name, key.expected.iter().copied()))
}

fn diagnostic_from_yaml(error: &serde_saphyr::Error, text: &str) -> Diagnostic {
    let plain = error.without_snippet();
    let mut loc = plain.location().map(|l| Loc {
        line: l.line(),
        column: l.column(),
    });
    let mut message = plain.to_string();
    // The library appends its own location; we show ours in front.
    if let Some(cut) = message.find(" at line ") {
        message.truncate(cut);
    }
    if message.starts_with("budget breached") {
        message = "the file expands to too many YAML nodes (aliases of aliases, a \"billion \
                   laughs\" pattern?); scenarios are limited so that loading stays fast and small"
            .to_string();
    } else if message.starts_with("recursion limit exceeded") {
        message = "the YAML is nested too deeply; scenarios are limited so that loading stays \
                   fast and small"
            .to_string();
    }
    // The parser's messages about tabs: "tabs disallowed ...", "tab cannot be used as
    // indentation", "... found a tab", "... cannot start with a tab".
    let about_tabs = message.starts_with("tab") || message.contains(" a tab");
    if let Some(kind) = message.strip_prefix("invalid ") {
        if kind.starts_with('u') {
            message = "expected a whole number, 0 or more".to_string();
        } else if kind.starts_with('i') {
            message = "expected a whole number".to_string();
        }
    }
    let mut help = None;
    if let Some((rewritten, suggestion)) = unknown_name(&message) {
        message = rewritten;
        help = suggestion;
    } else if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
        .map(str::to_string)
    {
        help = Some(format!("add '{field}' to the mapping this line belongs to"));
        message = format!("missing required key '{field}'");
    } else if let serde_saphyr::Error::DuplicateMappingKey { key, .. } = plain {
        // The library's text advises its own API; say what is wrong in the file instead.
        message = match key {
            Some(k) => format!("duplicate key '{k}'"),
            None => "duplicate key".to_string(),
        };
        help = Some(
            match (key, loc) {
                (Some(k), Some(at)) => first_key_line(text, k, at),
                _ => None,
            }
            .map_or_else(
                || "a key may appear only once in a mapping".to_string(),
                |line| format!("first given at line {line}; a key may appear only once"),
            ),
        );
    } else if let serde_saphyr::Error::MultipleDocuments { .. } = plain {
        message = "the file holds more than one YAML document".to_string();
        help = Some("a scenario is one document: remove the '---' line and what follows".into());
        // The parser points at the second document's first value; point at its '---' marker.
        let marker = loc.and_then(|at| {
            text.lines()
                .take(at.line as usize)
                .enumerate()
                .filter(|(_, line)| line.starts_with("---"))
                .last()
        });
        if let Some((i, _)) = marker {
            loc = Some(Loc {
                line: i as u64 + 1,
                column: 1,
            });
        }
    } else if let serde_saphyr::Error::UnsupportedTag { tag, .. }
    | serde_saphyr::Error::TaggedStructFieldName { tag, .. } = plain
    {
        message = format!("the YAML tag '{tag}' is not supported");
        // The parser points at the tagged value; point at the tag, on the same line before it.
        if let Some(at) = loc {
            let line = text.lines().nth(at.line.saturating_sub(1) as usize);
            let before = line.and_then(|l| {
                let end = l
                    .char_indices()
                    .nth(at.column.saturating_sub(1) as usize)
                    .map_or(l.len(), |(i, _)| i);
                l[..end].rfind(tag.as_str()).map(|i| l[..i].chars().count())
            });
            if let Some(column) = before {
                loc = Some(Loc {
                    line: at.line,
                    column: column as u64 + 1,
                });
            }
        }
        help = Some(
            "tags mean nothing to sim, and it ignores nothing silently: remove the tag, or quote the value if the tag is part of its text"
                .to_string(),
        );
    } else if message == "expected mapping start" {
        message = "expected a mapping of 'key: value' pairs here".to_string();
    } else if message == "expected sequence start" {
        message = "expected a list here ('- item' lines or [a, b])".to_string();
    } else if message.starts_with("mapping values are not allowed") {
        help = Some(
            "check this line's indentation against the lines above, or quote a value that contains ': '"
                .to_string(),
        );
    }
    if about_tabs {
        // The parser notices a tab where it cannot continue, which may be the line before.
        let from = loc.map_or(1, |l| l.line.max(1));
        if let Some(tab) = tab_in_indentation(text, from) {
            return Diagnostic::at(tab, "a tab in the indentation")
                .with_help("YAML indents with spaces only: replace the tab with spaces");
        }
    }
    let diagnostic = match loc {
        Some(loc) if loc.line > 0 => Diagnostic::at(loc, message),
        _ => Diagnostic::whole_file(message),
    };
    match help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}

/// The first tab in the leading whitespace of a line, from line `from` (1-based) on.
fn tab_in_indentation(text: &str, from: u64) -> Option<Loc> {
    text.lines()
        .enumerate()
        .skip((from - 1) as usize)
        .find_map(|(i, line)| {
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            line[..indent].find('\t').map(|col| Loc {
                line: i as u64 + 1,
                column: col as u64 + 1,
            })
        })
}

/// The line of an earlier `key:` at the same column as the duplicate at `at`, if any.
fn first_key_line(text: &str, key: &str, at: Loc) -> Option<u64> {
    let column = at.column.checked_sub(1)? as usize;
    let lines: Vec<&str> = text.lines().collect();
    // Same line first (a flow mapping such as {a: 1, a: 2}), then earlier lines.
    let here = lines.get((at.line.checked_sub(1)?) as usize)?;
    let pattern = format!("{key}:");
    if here.get(..column).is_some_and(|before| {
        before.contains(&format!("{{{pattern}")) || before.contains(&format!(" {pattern}"))
    }) {
        return Some(at.line);
    }
    (0..(at.line - 1) as usize)
        .rev()
        .find(|&i| {
            lines[i]
                .get(column..)
                .is_some_and(|rest| rest.starts_with(&pattern))
                && lines[i][..column].chars().all(|c| c == ' ' || c == '-')
        })
        .map(|i| i as u64 + 1)
}

/// Rewrites serde's "unknown field `x`, expected one of `a`, `b`" (or "unknown variant") as
/// "unknown key 'x'", with the closest expected name as help, or the list when none is close.
/// Keeping the list out of the first line keeps that line short and stable as fields are added.
fn unknown_name(message: &str) -> Option<(String, Option<String>)> {
    let (what, rest) = if let Some(at) = message.find("unknown field `") {
        ("key", &message[at + "unknown field `".len()..])
    } else if let Some(at) = message.find("unknown variant `") {
        ("kind", &message[at + "unknown variant `".len()..])
    } else {
        return None;
    };
    let (name, rest) = rest.split_once('`')?;
    let list = rest.split_once("expected").map_or("", |(_, list)| list);
    let list = list.trim_start().strip_prefix("one of").unwrap_or(list);
    let expected: Vec<&str> = list
        .split(',')
        .flat_map(|s| s.split(" or "))
        .map(|s| s.trim().trim_matches('`'))
        .filter(|s| !s.is_empty())
        .collect();
    let help = (!expected.is_empty()).then(|| diagnostic::suggestion(name, expected));
    Some((format!("unknown {what} '{name}'"), help))
}
