//! Golden tests on the structure of the chart SVGs: title, axis titles, tick labels, one line
//! per series in its palette colour, legend entries. Structure rather than pixels: these stay
//! meaningful when a colour or a margin changes, and fail when a series or a label goes
//! missing. The expected tick labels depend on plotters' tick placement (pinned by
//! Cargo.lock).

mod common;

use common::{attribute, run_scenario, svg_tags, texts};
use sim::report::charts::{
    bar_chart, cdf_chart, histogram_chart, time_chart, Series, Shade, TimeChart, HEIGHT, WIDTH,
};

/// The `stroke` colour of every `<polyline>` but the axes' tick marks (drawn in ink), in
/// order.
fn polyline_colours(svg: &str) -> Vec<String> {
    svg.match_indices("<polyline ")
        .map(|(at, _)| {
            let end = svg[at..].find("/>").map_or(svg.len(), |e| at + e);
            attribute(&svg[at..end], "stroke").unwrap_or_default()
        })
        .filter(|colour| colour != "#212121")
        .collect()
}

fn latency_chart() -> TimeChart {
    let series = |name: &str, base: f64| Series {
        name: name.to_string(),
        points: (0..60)
            .map(|i| {
                let y = if i == 30 {
                    f64::NAN
                } else {
                    base + (i % 7) as f64
                };
                (i as f64 + 0.5, y)
            })
            .collect(),
    };
    let mut chart = TimeChart::new(
        "Latency over time",
        "latency",
        "ms",
        vec![series("p50", 20.0), series("p99", 80.0)],
        60.0,
    );
    chart.shades = vec![Shade {
        start_s: 0.0,
        end_s: 10.0,
        label: "warm-up".to_string(),
        colour: None,
    }];
    chart
}

#[test]
fn a_time_chart_has_its_title_legend_axes_and_one_line_per_series() {
    let svg = time_chart(&latency_chart()).expect("chart");
    assert_eq!(
        svg_tags(&svg),
        [(String::new(), f64::from(WIDTH), f64::from(HEIGHT))]
    );
    assert!(svg.contains("<title>Latency over time</title>"));
    assert_eq!(
        texts(&svg),
        [
            "Latency over time",
            "p50",
            "p99",
            "warm-up",
            "latency [ms]",
            "time [s]",
            "0",
            "20",
            "40",
            "60",
            "80",
            "0",
            "10",
            "20",
            "30",
            "40",
            "50",
            "60",
        ]
    );
    // Legend swatches (2), then each series in two pieces around its gap.
    assert_eq!(
        polyline_colours(&svg),
        ["#0072B2", "#E69F00", "#0072B2", "#0072B2", "#E69F00", "#E69F00"]
    );
}

#[test]
fn charts_are_deterministic() {
    let a = time_chart(&latency_chart()).expect("chart");
    let b = time_chart(&latency_chart()).expect("chart");
    assert!(a == b);
}

#[test]
fn a_reference_line_and_long_runs_change_the_legend_and_the_time_unit() {
    let mut chart = TimeChart::new(
        "Availability",
        "succeeded / finished",
        "%",
        vec![Series {
            name: "availability".to_string(),
            points: vec![(0.0, 100.0), (3600.0, 99.0), (7200.0, 100.0)],
        }],
        7200.0,
    );
    chart.reference = Some((99.5, "SLO 99.5%".to_string()));
    chart.y_range = Some((98.0, 100.5));
    let svg = time_chart(&chart).expect("chart");
    let texts = texts(&svg);
    assert_eq!(texts[..3], ["Availability", "availability", "SLO 99.5%"]);
    assert!(texts.contains(&"time [min]".to_string()), "{texts:?}");
    assert!(texts.contains(&"succeeded / finished [%]".to_string()));
}

#[test]
fn an_empty_chart_says_so() {
    let chart = TimeChart::new("Errors", "requests", "req/s", Vec::new(), 10.0);
    let svg = time_chart(&chart).expect("chart");
    assert!(texts(&svg).contains(&"no data".to_string()));
    let svg = cdf_chart("CDF", &[], &[], false).expect("chart");
    assert!(texts(&svg).contains(&"no request succeeded after the warm-up".to_string()));
    let svg = histogram_chart("Histogram", &[], true).expect("chart");
    assert!(texts(&svg).contains(&"no request succeeded after the warm-up".to_string()));
    let svg = bar_chart("Bars", "requests", &[]).expect("chart");
    assert!(texts(&svg).contains(&"no data".to_string()));
}

const CDF: [(f64, f64); 5] = [
    (2.0, 0.0),
    (5.0, 0.3),
    (10.0, 0.6),
    (50.0, 0.95),
    (400.0, 1.0),
];

#[test]
fn a_cdf_chart_has_percent_and_latency_axes_linear_or_log() {
    let marks = [("p50".to_string(), 8.0), ("p99".to_string(), 300.0)];
    let svg = cdf_chart("Latency distribution (CDF)", &CDF, &marks, true).expect("chart");
    let t = texts(&svg);
    assert_eq!(
        t[..4],
        ["Latency distribution (CDF)", "end to end", "p50", "p99"]
    );
    assert!(t.contains(&"latency [ms], log scale".to_string()), "{t:?}");
    assert!(t.contains(&"requests at or below [%]".to_string()));
    for tick in [
        "2", "5", "10", "20", "50", "100", "200", "500", "0", "40", "100",
    ] {
        assert!(t.contains(&tick.to_string()), "tick {tick} missing: {t:?}");
    }
    let linear = cdf_chart("CDF", &CDF, &marks, false).expect("chart");
    assert!(texts(&linear).contains(&"latency [ms]".to_string()));
    assert!(linear != svg);
}

#[test]
fn a_histogram_has_one_bar_per_non_empty_bin() {
    let svg = histogram_chart("Latency histogram", &CDF, false).expect("chart");
    let t = texts(&svg);
    assert_eq!(t[..2], ["Latency histogram", "end to end"]);
    assert!(t.contains(&"share of requests [%]".to_string()));
    // Each non-empty bin is a filled polygon.
    let bars = svg.matches("<polygon ").count();
    assert!((30..=40).contains(&bars), "{bars} bars");
}

#[test]
fn a_bar_chart_labels_every_bar() {
    let bars: Vec<(String, f64)> = (0..4)
        .map(|i| (format!("web[{i}]"), 100.0 + i as f64))
        .collect();
    let svg = bar_chart("Requests per backend: lb", "requests", &bars).expect("chart");
    let t = texts(&svg);
    assert_eq!(t[0], "Requests per backend: lb");
    for label in ["web[0]", "web[1]", "web[2]", "web[3]", "requests"] {
        assert!(t.contains(&label.to_string()), "{label} missing: {t:?}");
    }
    // The background, then one rectangle per bar.
    assert_eq!(svg.matches("<rect ").count(), 1 + 4);
}

#[test]
fn every_chart_of_a_run_has_a_title_and_labelled_axes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_scenario(dir.path());
    for entry in std::fs::read_dir(out.join("charts")).expect("charts/") {
        let path = entry.expect("entry").path();
        let svg = std::fs::read_to_string(&path).expect("read");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        assert!(svg.starts_with("<svg "), "{name}");
        assert!(svg.contains("<title>"), "{name} has no title");
        let t = texts(&svg);
        if name == "topology.svg" {
            for node in [
                "users",
                "lb",
                "web",
                "db",
                "traffic source",
                "load balancer",
            ] {
                assert!(
                    t.contains(&node.to_string()),
                    "{name}: {node} missing: {t:?}"
                );
            }
            for latency in ["20ms", "1ms"] {
                assert!(
                    t.contains(&latency.to_string()),
                    "{name}: {latency} missing"
                );
            }
            continue;
        }
        // An axis title has a unit in brackets; bar charts have one axis title.
        let axis_titles = t
            .iter()
            .filter(|s| s.contains(" [") || *s == "requests")
            .count();
        assert!(axis_titles >= 1, "{name}: no axis title in {t:?}");
        assert!(!t.contains(&"no data".to_string()), "{name} is empty");
    }
    let utilisation = std::fs::read_to_string(out.join("charts/utilisation.svg")).expect("read");
    let t = texts(&utilisation);
    assert_eq!(
        t[..4],
        [
            "Utilisation by server",
            "web",
            "db",
            "warm-up (not in the summary)"
        ]
    );
    assert!(t.contains(&"busy workers [%]".to_string()));
    assert!(t.contains(&"time [s]".to_string()));
}

/// A swept whole-number parameter (instances) is labelled with whole numbers only: no
/// "2.5 instances" on the axis.
#[test]
fn whole_number_parameters_get_whole_number_ticks() {
    let series = [Series {
        name: String::new(),
        points: (2..=6)
            .map(|i| (f64::from(i), 100.0 / f64::from(i)))
            .collect(),
    }];
    let svg =
        sim::report::charts::xy_chart("p99 against web.instances", "web.instances", "ms", &series)
            .expect("chart");
    let t = texts(&svg);
    for whole in ["2", "3", "4", "5", "6"] {
        assert!(t.contains(&whole.to_string()), "{whole} missing: {t:?}");
    }
    assert!(!t.iter().any(|l| l.contains(".5")), "{t:?}");
}
