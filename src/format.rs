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
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
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
    let text = format!("{value:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{unit}")
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
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
