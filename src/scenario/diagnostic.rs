//! Errors in scenario files, rendered as `file:line:column` with the offending line, a caret and
//! a hint, like a compiler.

use std::fmt::Write as _;

use super::raw::Loc;

/// One problem found in a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where; `None` for problems with the file as a whole.
    pub loc: Option<Loc>,
    pub message: String,
    /// A suggestion ("did you mean 'web'?") or what is expected.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn at(loc: Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            loc: Some(loc),
            message: message.into(),
            help: None,
        }
    }

    pub fn whole_file(message: impl Into<String>) -> Self {
        Diagnostic {
            loc: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Renders the diagnostic against the file's text.
    pub fn render(&self, path: &str, source: &str) -> String {
        let mut out = String::new();
        match self.loc.filter(|l| l.line > 0) {
            Some(loc) => {
                let _ = writeln!(
                    out,
                    "error: {path}:{}:{}: {}",
                    loc.line, loc.column, self.message
                );
                if let Some(text) = source.lines().nth((loc.line - 1) as usize) {
                    let number = loc.line.to_string();
                    let pad = " ".repeat(number.len());
                    // Tabs would misplace the caret: render them as single spaces.
                    let text = text.replace('\t', " ");
                    let caret_at = (loc.column.max(1) - 1) as usize;
                    // Very long lines (a generated file, a deep nest) are cut to a window
                    // around the column, marked with "...".
                    let (text, caret_at) = window_around(&text, caret_at);
                    let _ = writeln!(out, "{pad} |");
                    let _ = writeln!(out, "{number} | {text}");
                    let _ = writeln!(
                        out,
                        "{pad} | {}^",
                        " ".repeat(caret_at.min(text.chars().count()))
                    );
                }
            }
            None => {
                let _ = writeln!(out, "error: {path}: {}", self.message);
            }
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}

/// Characters of a source line shown on each side of the error column.
const LINE_WINDOW: usize = 60;

/// `text` cut to at most about `2 * LINE_WINDOW` characters around `column`, and the column
/// within the cut text.
fn window_around(text: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 2 * LINE_WINDOW + 10 {
        return (text.to_string(), column);
    }
    let column = column.min(chars.len());
    let start = column.saturating_sub(LINE_WINDOW);
    let end = (column + LINE_WINDOW).min(chars.len());
    let mut shown = String::new();
    let mut caret = column - start;
    if start > 0 {
        shown.push_str("...");
        caret += 3;
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push_str("...");
    }
    (shown, caret)
}

pub use crate::format::{did_you_mean, suggestion};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_line_and_caret() {
        let source = "a: 1\nworkers: 0\n";
        let d = Diagnostic::at(
            Loc {
                line: 2,
                column: 10,
            },
            "workers must be at least 1",
        )
        .with_help("try 4");
        assert_eq!(
            d.render("s.yaml", source),
            "error: s.yaml:2:10: workers must be at least 1\n  |\n2 | workers: 0\n  |          ^\n  = help: try 4\n"
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let (shown, caret) = window_around(&line, 500);
        assert!(shown.len() < 140, "{}", shown.len());
        assert_eq!(shown.chars().nth(caret), Some('X'));
        assert!(shown.starts_with("...") && shown.ends_with("..."));
        assert_eq!(window_around("short", 2), ("short".to_string(), 2));
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("dbb", ["db", "web"]), Some("db"));
        assert_eq!(
            did_you_mean("round_robbin", ["round_robin", "random"]),
            Some("round_robin")
        );
        assert_eq!(did_you_mean("zzzzzz", ["db", "web"]), None);
        assert_eq!(suggestion("qq", ["db", "web"]), "expected one of: db, web");
    }
}
