//! The scenario layer: reads a YAML file, checks it and builds the simulation.
//!
//! `raw` mirrors the file; `validate` checks it into a [`Plan`], collecting every problem with
//! its location; `build` turns a plan into an engine ready to run.

pub mod build;
pub mod diagnostic;
pub mod raw;
pub mod units;
pub mod validate;

use std::path::Path;

pub use diagnostic::Diagnostic;
pub use validate::Plan;

use raw::Loc;

/// Largest scenario file accepted [bytes]: real scenarios are a few KiB.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

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

    /// Every diagnostic, rendered against the file, followed by a count.
    pub fn render(&self) -> String {
        let mut out: String = self
            .diagnostics
            .iter()
            .map(|d| d.render(&self.path, &self.source))
            .collect::<Vec<_>>()
            .join("\n");
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
    let size = std::fs::metadata(path)
        .map_err(|e| LoadError::whole_file(&shown, format!("cannot read the scenario: {e}")))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(LoadError::whole_file(
            &shown,
            format!("the file is {size} bytes; scenarios are limited to {MAX_FILE_BYTES} bytes"),
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| LoadError::whole_file(&shown, format!("cannot read the scenario: {e}")))?;
    let default_name = path.file_stem().map_or_else(
        || "scenario".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    load_str(&text, &shown, &default_name)
}

/// Checks a scenario given as text; `path` is only used in messages.
pub fn load_str(text: &str, path: &str, default_name: &str) -> Result<Plan, LoadError> {
    let fail = |diagnostics| LoadError {
        path: path.to_string(),
        source: text.to_string(),
        diagnostics,
    };
    let raw: raw::Scenario = parse_yaml(text).map_err(|d| fail(vec![d]))?;
    validate::check(&raw, default_name).map_err(|mut diagnostics| {
        // Report in file order, whatever order the checks ran in.
        diagnostics.sort_by_key(|d| d.loc.map(|l| (l.line, l.column)));
        fail(diagnostics)
    })
}

/// Parses YAML into the raw types, turning parser errors into diagnostics.
fn parse_yaml(text: &str) -> Result<raw::Scenario, Diagnostic> {
    let options = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| diagnostic_from_yaml(&e))
}

fn diagnostic_from_yaml(error: &serde_saphyr::Error) -> Diagnostic {
    let plain = error.without_snippet();
    let loc = plain.location().map(|l| Loc {
        line: l.line(),
        column: l.column(),
    });
    let mut message = plain.to_string();
    // The library appends its own location; we show ours in front.
    if let Some(cut) = message.find(" at line ") {
        message.truncate(cut);
    }
    if let Some(kind) = message.strip_prefix("invalid ") {
        if kind.starts_with('u') {
            message = "expected a whole number, 0 or more".to_string();
        } else if kind.starts_with('i') {
            message = "expected a whole number".to_string();
        }
    }
    let help = unknown_field_help(&message);
    let diagnostic = match loc {
        Some(loc) if loc.line > 0 => Diagnostic::at(loc, message),
        _ => Diagnostic::whole_file(message),
    };
    match help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}

/// For serde's "unknown field `x`, expected one of `a`, `b`", suggests the closest field.
fn unknown_field_help(message: &str) -> Option<String> {
    let rest = message
        .split("unknown field `")
        .nth(1)
        .or_else(|| message.split("unknown variant `").nth(1))?;
    let (name, rest) = rest.split_once('`')?;
    let list = rest.split_once("expected one of")?.1;
    let expected: Vec<&str> = list
        .split(',')
        .map(|s| s.trim().trim_matches('`'))
        .filter(|s| !s.is_empty())
        .collect();
    diagnostic::did_you_mean(name, expected.iter().copied())
        .map(|best| format!("did you mean '{best}'?"))
}
