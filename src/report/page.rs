//! The layout every page shares (the run's `report.html`, `comparison.html`, `sweep.html`):
//! one style, the same head and header, the same footer. A page is self-contained: inline CSS
//! and SVG, no script, no link, no font or image to fetch.

use std::fmt::Write as _;

use crate::format::escape;

/// The style of every page.
pub const STYLE: &str = r#"
:root {
  --ink: #1a1a1a; --muted: #555b61; --line: #d5d8dc; --panel: #f4f6f8;
  --blue: #0072b2; --orange: #e69f00; --green: #009e73; --vermillion: #d55e00;
}
* { box-sizing: border-box; }
html { font-size: 19px; }
body { margin: 0; color: var(--ink); background: #ffffff; line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 1.6rem 2rem 3rem; }
header { border-bottom: 4px solid var(--blue); padding-bottom: 0.8rem; margin-bottom: 1.2rem; }
h1 { font-size: 2.3rem; margin: 0 0 0.3rem; line-height: 1.15; }
h2 { font-size: 1.6rem; margin: 2.4rem 0 0.6rem; padding-bottom: 0.2rem;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 1.25rem; margin: 1.6rem 0 0.4rem; }
.description { font-size: 1.25rem; margin: 0.2rem 0 0.6rem; }
.meta { color: var(--muted); margin: 0; }
.meta span { white-space: nowrap; margin-right: 1.2rem; }
nav { margin: 0.8rem 0 0; font-size: 0.95rem; }
nav a { color: var(--blue); margin-right: 1rem; white-space: nowrap; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr));
  gap: 0.8rem; margin: 1rem 0; }
.card { background: var(--panel); border-left: 7px solid var(--blue); padding: 0.6rem 0.9rem; }
.card.warn { border-left-color: var(--vermillion); }
.card .label { color: var(--muted); font-size: 0.85rem; text-transform: uppercase;
  letter-spacing: 0.04em; }
.card .value { font-size: 1.75rem; font-weight: 700; line-height: 1.25; white-space: nowrap; }
.card .note { color: var(--muted); font-size: 0.85rem; }
table { border-collapse: collapse; width: 100%; margin: 0.6rem 0 1rem;
  font-variant-numeric: tabular-nums; }
th, td { padding: 0.35rem 0.6rem; border-bottom: 1px solid var(--line); text-align: right;
  vertical-align: top; }
thead th { background: var(--panel); font-weight: 600; }
tbody th { font-weight: 600; }
td { white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
td.text, th.text { text-align: left; }
td.prose { white-space: normal; min-width: 18em; }
.table-wrap { overflow-x: auto; }
figure { margin: 1.4rem 0 2rem; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid var(--line);
  border-radius: 6px; background: #ffffff; }
figure svg#topology { width: auto; max-width: 100%; max-height: 85vh; margin: 0 auto;
  padding: 0.4rem; }
figcaption { color: var(--muted); font-size: 0.95rem; margin-top: 0.4rem; max-width: 60em; }
.empty { color: var(--muted); font-style: italic; font-size: 1.1rem; }
.pass { color: #00664a; font-weight: 700; }
.fail { color: #a33f00; font-weight: 700; }
footer { color: var(--muted); font-size: 0.85rem; margin-top: 3rem;
  border-top: 1px solid var(--line); padding-top: 0.6rem; }
@media print {
  html { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; }
  figure, table, .cards, .card { break-inside: avoid; }
  figure svg { border: none; }
  a { color: inherit; text-decoration: none; }
  @page { size: A4; margin: 14mm; }
}
"#;

/// Opens a page: the document head (`title – what`), and the header up to its title. The
/// caller writes the rest of the header (description, facts, navigation) and closes it.
pub fn open(out: &mut String, title: &str, what: &str, sim_version: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"sim {}\">\n<title>{} – {}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n<main>\n<header>\n<h1>{}</h1>\n",
        escape(sim_version),
        escape(title),
        escape(what),
        escape(title)
    );
}

/// Closes a page with its footer (`footer` is markup: escape what it quotes).
pub fn close(out: &mut String, footer: &str) {
    let _ = writeln!(out, "<footer>{footer}</footer>\n</main>\n</body>\n</html>");
}
