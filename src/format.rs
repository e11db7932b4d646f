//! How sim writes numbers, times and text for people: HTML escaping, chart tick labels,
//! story clocks, one-line descriptions, short durations, "did you mean" suggestions. One place,
//! so the page, the charts, the course, error messages and `sim explain` say things the same
//! way.

use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A tick label: at most 4 significant digits, no trailing zeros.
pub fn tick(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let a = v.abs();
    let text = if a == 0.0 {
        return "0".to_string();
    } else if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        // Enough decimals for 3 significant digits.
        let decimals = (-(a.log10().floor()) as usize + 2).min(9);
        format!("{v:.decimals$}")
    };
    trim_zeros(text)
}

/// A time of the story: `1m30s`, `45s`, `2h`.
pub fn clock(secs: f64) -> String {
    if secs.fract().abs() > 1e-9 {
        return format!("{}s", (secs * 1000.0).round() / 1000.0);
    }
    let s = secs as u64;
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        let _ = write!(out, "{h}h");
    }
    if m > 0 {
        let _ = write!(out, "{m}m");
    }
    if sec > 0 || out.is_empty() {
        let _ = write!(out, "{sec}s");
    }
    out
}

/// A description on one line: whitespace collapsed; a long one cut at its first sentence, or/// at a word boundary with an ellipsis.
pub fn one_line(description: &str, max_chars: usize) -> String {
    let line = description.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max_chars {
        return line;
    }
    if let Some(end) = line.find(". ") {
        if line[..=end].chars().count() <= max_chars {
            return line[..=end].to_string();
        }
    }
    let mut out = String::new();
    for word in line.split(' ') {
        if out.chars().count() + word.chars().count() + 2 > max_chars {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.push('…');
    out
}

/// A duration with at most 3 significant digits, for labels: "20ms", "1.5s", "250us".
pub fn short_duration(secs: f64) -> String {
    let (value, unit) = if secs >= 1.0 {
        (secs, "s")
    } else if secs >= 1e-3 {
        (secs * 1e3, "ms")
    } else if secs >= 1e-6 {
        (secs * 1e6, "µs")
    } else {
        (secs * 1e9, "ns")
    };
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{}{unit}", decimals(value, digits))
}

/// The closest of `candidates` to `name`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // One edit for short names, about one per three characters for longer ones.
    let limit = (name.chars().count().div_ceil(3)).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, c)| (distance, c.to_string()))
        .map(|(_, c)| c)
}

/// "did you mean 'x'?" or a list of what is allowed.
pub fn suggestion<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    match did_you_mean(name, candidates.clone()) {
        Some(best) => format!("did you mean '{best}'?"),
        None => {
            let all: Vec<&str> = candidates.into_iter().collect();
            if all.is_empty() {
                "nothing is defined with that role yet".to_string()
            } else {
                format!("expected one of: {}", all.join(", "))
            }
        }
    }
}

/// 20000 as "20,000".
pub fn thousands(n: u64) -> String {
    group_digits(&n.to_string())
}

/// A count of any size, rounded, with thousands separators: -1234567.4 as "-1,234,567".
pub fn thousands_f64(n: f64) -> String {
    let rounded = n.round();
    let grouped = group_digits(&format!("{:.0}", rounded.abs()));
    if rounded < 0.0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// A string of digits with a comma before each group of three from the right.
fn group_digits(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number's text without the zeros that say nothing: "2.500" as "2.5", "3.000" as "3";
/// text without a decimal point is kept as it is.
pub fn trim_zeros(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// `x` with at most `decimals` decimal places and no trailing zeros: (2.5, 3) as "2.5".
pub fn decimals(x: f64, decimals: usize) -> String {
    trim_zeros(format!("{x:.decimals$}"))
}

/// A figure for a CSV cell or a chart's data: rounded to a millionth, in its shortest form;
/// empty when unknown (a missing cell, not a made-up zero).
pub fn data_cell(x: f64) -> String {
    if x.is_finite() {
        let rounded = (x * 1e6).round() / 1e6;
        format!("{rounded}")
    } else {
        String::new()
    }
}

/// Where a figure is shown: the terminal keeps to ASCII and packs units to the number; the
/// page spaces them and writes µ and an en dash for "nothing measured".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Typography {
    Terminal,
    Page,
}

impl Typography {
    /// What stands for a figure the run could not measure.
    fn missing(self) -> &'static str {
        match self {
            Typography::Terminal => "-",
            Typography::Page => "–",
        }
    }
}

/// A latency given in milliseconds, in the unit a person reads best: "1.25s", "12.3ms",
/// "250us" on the terminal; "1.25 s", "12.3 ms", "250 µs" on the page.
pub fn millis(x: f64, typography: Typography) -> String {
    if !x.is_finite() {
        return typography.missing().to_string();
    }
    let (value, unit) = if x >= 1000.0 {
        (format!("{:.2}", x / 1000.0), "s")
    } else if x >= 1.0 {
        (format!("{x:.1}"), "ms")
    } else {
        let micro = match typography {
            Typography::Terminal => "us",
            Typography::Page => "µs",
        };
        (format!("{:.0}", x * 1000.0), micro)
    };
    match typography {
        Typography::Terminal => format!("{value}{unit}"),
        Typography::Page => format!("{value} {unit}"),
    }
}

/// A share (0.5) as a percentage with three decimals ("50.000%"); `missing` when unknown.
pub fn percent(x: f64, missing: &str) -> String {
    if x.is_finite() {
        format!("{:.3}%", x * 100.0)
    } else {
        missing.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(20_000), "20,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn counts_of_any_size_are_grouped() {
        assert_eq!(thousands_f64(0.4), "0");
        assert_eq!(thousands_f64(-1_234_567.4), "-1,234,567");
        assert_eq!(thousands_f64(1e20), "100,000,000,000,000,000,000");
    }

    #[test]
    fn latencies_read_the_same_on_terminal_and_page() {
        use Typography::{Page, Terminal};
        assert_eq!(millis(1250.0, Terminal), "1.25s");
        assert_eq!(millis(1250.0, Page), "1.25 s");
        assert_eq!(millis(12.34, Terminal), "12.3ms");
        assert_eq!(millis(0.25, Terminal), "250us");
        assert_eq!(millis(0.25, Page), "250 µs");
        assert_eq!(millis(f64::NAN, Terminal), "-");
        assert_eq!(millis(f64::NAN, Page), "–");
        assert_eq!(percent(0.5, "-"), "50.000%");
        assert_eq!(percent(f64::NAN, "unknown"), "unknown");
    }

    #[test]
    fn numbers_lose_only_silent_zeros() {
        assert_eq!(decimals(2.5, 3), "2.5");
        assert_eq!(decimals(10.0, 1), "10");
        assert_eq!(trim_zeros("100".to_string()), "100");
        assert_eq!(data_cell(0.1 + 0.2), "0.3");
        assert_eq!(data_cell(f64::INFINITY), "");
    }

    #[test]
    fn short_durations_keep_three_digits() {
        assert_eq!(short_duration(0.020), "20ms");
        assert_eq!(short_duration(0.0002), "200µs");
        assert_eq!(short_duration(1.5), "1.5s");
        assert_eq!(short_duration(0.0123456), "12.3ms");
        assert_eq!(short_duration(0.001), "1ms");
        assert_eq!(short_duration(0.0), "0ns");
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(250.0), "250");
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(0.1 + 0.2), "0.3");
        assert_eq!(tick(0.00125), "0.00125");
        assert_eq!(tick(12345.6), "12346");
        assert_eq!(tick(f64::NAN), "");
    }

    #[test]
    fn story_clocks() {
        assert_eq!(clock(0.0), "0s");
        assert_eq!(clock(150.0), "2m30s");
        assert_eq!(clock(7200.0), "2h");
        assert_eq!(clock(1.5), "1.5s");
    }

    #[test]
    fn descriptions_fit_on_one_line() {
        assert_eq!(one_line("a\n  b c", 80), "a b c");
        assert_eq!(
            one_line("First sentence. Second one is long enough", 20),
            "First sentence."
        );
        assert_eq!(one_line("aaaa bbbb cccc dddd", 12), "aaaa bbbb…");
    }
}
