//! Charts as SVG text, drawn with plotters' SVG backend.
//!
//! No font file is read, at build or run time: plotters (without its `ttf`/`ab_glyph`
//! features) estimates text sizes for the layout, and the SVG holds `<text>` elements that the
//! viewer draws with its own sans-serif font. Output is deterministic: integer pixel
//! coordinates, no clock, no randomness; the same input gives the same bytes.
//!
//! Four primitives cover every chart of the report:
//! - [`time_chart`]: named series over time (one line each), with shaded intervals (warm-up,
//!   failures) and an optional horizontal reference line (an SLO). Any component that can
//!   provide a named time series gets a chart through it.
//! - [`cdf_chart`] and [`histogram_chart`]: a latency distribution, linear or log-scale x.
//! - [`bar_chart`]: one horizontal bar per category (requests per backend).

use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::format::{escape, tick};

/// Size of every chart [px]; the page scales them to its width.
pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 460;

/// The Okabe–Ito palette (distinguishable with the common colour-vision deficiencies), in the
/// order series take it; yellow is left out as it does not show on white.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
];

/// At most this many series share one chart: one colour each.
pub const MAX_SERIES: usize = PALETTE.len();

const INK: RGBColor = RGBColor(33, 33, 33);
const GRID: RGBColor = RGBColor(220, 220, 220);
const SHADE: RGBColor = RGBColor(120, 120, 120);
const FONT: &str = "sans-serif";

/// Where a chart goes on the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// End-to-end figures over time.
    Traffic,
    /// The latency distribution.
    Distribution,
    /// Per-component charts.
    Components,
}

/// One drawn chart.
#[derive(Clone, Debug)]
pub struct Chart {
    /// File name in `charts/`, also the base of the element id on the page.
    pub file: String,
    pub title: String,
    /// How to read it, shown under the chart.
    pub caption: String,
    pub section: Section,
    pub svg: String,
}

impl Chart {
    /// The id of the chart's `<svg>` element in `report.html`.
    pub fn id(&self) -> String {
        format!("chart-{}", self.file.trim_end_matches(".svg"))
    }
}

/// A chart that could not be drawn (plotters reports its backend's errors this way).
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart '{title}': {message}")]
pub struct ChartError {
    pub title: String,
    pub message: String,
}

/// A named line: `(x, y)` points in increasing x; a non-finite y leaves a gap.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A labelled interval of time [s] drawn as a grey band behind the lines (warm-up, failures).
#[derive(Clone, Debug, PartialEq)]
pub struct Shade {
    pub start_s: f64,
    pub end_s: f64,
    pub label: String,
    /// None: neutral grey (the warm-up); `Some(i)`: a tint of [`PALETTE`]`[i]` (failures).
    pub colour: Option<usize>,
}

impl Shade {
    fn colour(&self) -> RGBColor {
        self.colour.map_or(SHADE, |i| PALETTE[i % PALETTE.len()])
    }
}

/// A chart of named series over simulated time.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeChart {
    pub title: String,
    /// What the y axis shows, without the unit: "latency".
    pub y_label: String,
    /// The y unit: "ms", "%", "req/s".
    pub unit: String,
    /// Points are `(time [s], value)`.
    pub series: Vec<Series>,
    pub shades: Vec<Shade>,
    /// A horizontal reference line (an SLO target) and its label.
    pub reference: Option<(f64, String)>,
    /// Fixed y range; by default from 0 to a little above the largest value.
    pub y_range: Option<(f64, f64)>,
    /// End of the time axis [s] (the end of the run).
    pub end_s: f64,
}

impl TimeChart {
    /// The common case: (title, y label, unit, named series), time axis up to `end_s`.
    pub fn new(title: &str, y_label: &str, unit: &str, series: Vec<Series>, end_s: f64) -> Self {
        TimeChart {
            title: title.to_string(),
            y_label: y_label.to_string(),
            unit: unit.to_string(),
            series,
            shades: Vec::new(),
            reference: None,
            y_range: None,
            end_s,
        }
    }
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

fn error(title: &str, e: impl std::fmt::Display) -> ChartError {
    ChartError {
        title: title.to_string(),
        message: e.to_string(),
    }
}

fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&INK)
}

/// Picks the time unit of the x axis: seconds up to 20 minutes, then minutes, then hours.
fn time_unit(end_s: f64) -> (f64, &'static str) {
    if end_s > 3.0 * 3600.0 {
        (3600.0, "h")
    } else if end_s > 1200.0 {
        (60.0, "min")
    } else {
        (1.0, "s")
    }
}

/// Splits the chart into a header (title and legend) and the plot; returns the plot area.
///
/// The legend sits in the header, right under the title, so it never hides data.
fn header<'a>(
    root: &Area<'a>,
    title: &str,
    legend: &[(String, Legend)],
) -> Result<Area<'a>, ChartError> {
    let (width, _) = root.dim_in_pixel();
    let err = |e| error(title, e);
    root.fill(&WHITE).map_err(err)?;
    let title_style = font(30.0).pos(Pos::new(HPos::Left, VPos::Top));
    root.draw_text(title, &title_style, (20, 12)).map_err(err)?;
    // Lay the legend out in rows, estimating text widths (about 0.55 em per character).
    let mut rows = 0;
    let mut x = 20i32;
    let mut y = 52i32;
    if !legend.is_empty() {
        rows = 1;
    }
    let item_style = font(20.0).pos(Pos::new(HPos::Left, VPos::Center));
    for (name, kind) in legend {
        let item_width = 34 + (name.chars().count() as f64 * 9.0) as i32 + 24;
        if x + item_width > width as i32 - 20 && x > 20 {
            x = 20;
            y += 24;
            rows += 1;
        }
        let cy = y + 10;
        match kind {
            Legend::Line(color) => {
                root.draw(&PathElement::new(
                    vec![(x, cy), (x + 26, cy)],
                    color.stroke_width(4),
                ))
                .map_err(err)?;
            }
            Legend::Dashed(color) => {
                root.draw(&PathElement::new(
                    vec![(x, cy), (x + 10, cy)],
                    color.stroke_width(3),
                ))
                .map_err(err)?;
                root.draw(&PathElement::new(
                    vec![(x + 16, cy), (x + 26, cy)],
                    color.stroke_width(3),
                ))
                .map_err(err)?;
            }
            Legend::Band(color) => {
                root.draw(&Rectangle::new(
                    [(x, cy - 8), (x + 26, cy + 8)],
                    color.mix(0.25).filled(),
                ))
                .map_err(err)?;
            }
        }
        root.draw_text(name, &item_style, (x + 34, cy))
            .map_err(err)?;
        x += item_width;
    }
    let top = 52 + rows * 24 + 8;
    let (_, plot) = root.split_vertically(top);
    Ok(plot)
}

/// How a legend entry is drawn.
#[derive(Clone, Copy)]
enum Legend {
    Line(RGBColor),
    Dashed(RGBColor),
    Band(RGBColor),
}

/// Splits points at non-finite values into runs of finite points.
fn segments(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for &(x, y) in points {
        if x.is_finite() && y.is_finite() {
            current.push((x, y));
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A y range from 0 (or the smallest value, if negative) to a little above the largest value.
fn auto_range<'a>(values: impl Iterator<Item = &'a f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, f64::NEG_INFINITY);
    for &v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !hi.is_finite() || hi <= lo {
        hi = lo + 1.0;
    }
    (lo, hi + (hi - lo) * 0.06)
}

/// Writes "no data" in the middle of an empty plot.
fn no_data(plot: &Area<'_>, title: &str, message: &str) -> Result<(), ChartError> {
    let (w, h) = plot.dim_in_pixel();
    let style = font(22.0).pos(Pos::new(HPos::Center, VPos::Center));
    plot.draw_text(message, &style, (w as i32 / 2, h as i32 / 2))
        .map_err(|e| error(title, e))
}

/// Adds a `<title>` (shown as a tooltip and read by screen readers) and `role="img"` to the
/// SVG document plotters wrote.
fn finish(svg: String, title: &str) -> String {
    match svg
        .find("<svg ")
        .and_then(|at| svg[at..].find('>').map(|end| at + end))
    {
        Some(end) => {
            let mut out = String::with_capacity(svg.len() + title.len() + 64);
            out.push_str(&svg[..end]);
            out.push_str(" role=\"img\">\n<title>");
            out.push_str(&escape(title));
            out.push_str("</title>");
            out.push_str(&svg[end + 1..]);
            out
        }
        None => svg,
    }
}

/// Draws named series over time; see [`TimeChart`].
pub fn time_chart(c: &TimeChart) -> Result<String, ChartError> {
    let title = c.title.as_str();
    let err = |e| error(title, e);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let mut legend: Vec<(String, Legend)> = c
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), Legend::Line(PALETTE[i % PALETTE.len()])))
            .collect();
        if let Some((_, label)) = &c.reference {
            legend.push((label.clone(), Legend::Dashed(PALETTE[3])));
        }
        let mut shade_labels: Vec<&str> = Vec::new();
        for shade in &c.shades {
            if !shade_labels.contains(&shade.label.as_str()) {
                shade_labels.push(&shade.label);
                legend.push((shade.label.clone(), Legend::Band(shade.colour())));
            }
        }
        let plot = header(&root, title, &legend)?;
        let (scale, time_unit) = time_unit(c.end_s);
        let x_max = if c.end_s > 0.0 { c.end_s / scale } else { 1.0 };
        let (y0, y1) = c.y_range.unwrap_or_else(|| {
            auto_range(
                c.series
                    .iter()
                    .flat_map(|s| s.points.iter().map(|(_, y)| y))
                    .chain(c.reference.as_ref().map(|(v, _)| v)),
            )
        });
        let mut chart = ChartBuilder::on(&plot)
            .margin_left(10)
            .margin_right(30)
            .margin_bottom(10)
            .x_label_area_size(64)
            .y_label_area_size(96)
            .build_cartesian_2d(0f64..x_max, y0..y1)
            .map_err(err)?;
        mesh(
            &mut chart,
            &format!("time [{time_unit}]"),
            &format!("{} [{}]", c.y_label, c.unit),
            title,
            XValues::Any,
        )?;
        for shade in &c.shades {
            let (a, b) = (shade.start_s / scale, shade.end_s / scale);
            if b > a {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(a, y0), (b.min(x_max), y1)],
                        shade.colour().mix(0.18).filled(),
                    )))
                    .map_err(err)?;
            }
        }
        if let Some((value, _)) = &c.reference {
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, *value), (x_max, *value)],
                    12,
                    8,
                    PALETTE[3].stroke_width(3),
                ))
                .map_err(err)?;
        }
        let mut any = false;
        for (i, s) in c.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            for segment in segments(&s.points) {
                any = true;
                let scaled: Vec<(f64, f64)> =
                    segment.iter().map(|&(t, y)| (t / scale, y)).collect();
                if scaled.len() == 1 {
                    chart
                        .draw_series(std::iter::once(Circle::new(scaled[0], 3, color.filled())))
                        .map_err(err)?;
                } else {
                    chart
                        .draw_series(LineSeries::new(scaled, color.stroke_width(3)))
                        .map_err(err)?;
                }
            }
        }
        if !any {
            no_data(&plot, title, "no data")?;
        }
        root.present().map_err(err)?;
    }
    Ok(finish(svg, title))
}

/// Grid, axes, tick labels and axis titles.
/// What the x axis counts: any number, or whole numbers only (instances, replicas), whose
/// axis labels no value in between ("2.5 instances").
#[derive(Clone, Copy, PartialEq, Eq)]
enum XValues {
    Any,
    Whole,
}

fn mesh<X, Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    x_desc: &str,
    y_desc: &str,
    title: &str,
    x_values: XValues,
) -> Result<(), ChartError>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(font(22.0))
        .label_style(font(19.0))
        .axis_style(INK.stroke_width(1))
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(WHITE.stroke_width(0))
        .x_labels(10)
        .y_labels(8)
        .x_label_formatter(&|v| match x_values {
            XValues::Whole if (v - v.round()).abs() > 1e-9 => String::new(),
            _ => tick(*v),
        })
        .y_label_formatter(&|v| tick(*v))
        .draw()
        .map_err(|e| error(title, e))
}

/// The x axis of a latency distribution, linear or logarithmic.
fn latency_axis(lo: f64, hi: f64, log_x: bool) -> (f64, f64) {
    if log_x {
        // Round to 1, 2 or 5 times a power of ten, so that the ends fall on readable values.
        let steps = [1.0, 2.0, 5.0, 10.0];
        let lo = lo.max(1e-6);
        let decade = 10f64.powf(lo.log10().floor());
        let below = steps
            .iter()
            .rev()
            .map(|s| s * decade)
            .find(|v| *v <= lo * (1.0 + 1e-9))
            .unwrap_or(decade);
        let hi = hi.max(below * 2.0);
        let decade = 10f64.powf(hi.log10().floor());
        let above = steps
            .iter()
            .map(|s| s * decade)
            .find(|v| *v >= hi * (1.0 - 1e-9))
            .unwrap_or(decade * 10.0);
        (below, above)
    } else {
        (0.0, if hi > 0.0 { hi * 1.04 } else { 1.0 })
    }
}

/// Tick values of a log axis: 1, 2 and 5 times the powers of ten in `[lo, hi]`, or only the
/// powers of ten when that would make more than 12 ticks.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo) {
        return Vec::new();
    }
    let first = lo.log10().floor() as i32;
    let last = hi.log10().ceil() as i32;
    let in_range = |v: &f64| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9);
    let ticks = |steps: &[f64]| -> Vec<f64> {
        (first..=last)
            .flat_map(|e| steps.iter().map(move |s| s * 10f64.powi(e)))
            .filter(in_range)
            .collect()
    };
    let fine = ticks(&[1.0, 2.0, 5.0]);
    if fine.len() <= 12 {
        fine
    } else {
        ticks(&[1.0])
    }
}

/// Draws `body` on a chart whose x axis is latency, linear or log-scale.
fn with_latency_axis(
    plot: &Area<'_>,
    title: &str,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    log_x: bool,
    y_desc: &str,
    body: &mut Body<'_>,
) -> Result<(), ChartError> {
    let x_desc = if log_x {
        "latency [ms], log scale"
    } else {
        "latency [ms]"
    };
    if log_x {
        let x = (x0..x1).log_scale().with_key_points(log_ticks(x0, x1));
        draw_on(plot, title, x, y0..y1, (x_desc, XValues::Any), y_desc, body)
    } else {
        draw_on(
            plot,
            title,
            x0..x1,
            y0..y1,
            (x_desc, XValues::Any),
            y_desc,
            body,
        )
    }
}

/// How [`draw_on`]'s body draws a list of points.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Line,
    Dashed,
    Filled,
}

/// Draws points on a chart in the given style.
type Draw<'a> = dyn FnMut(Vec<(f64, f64)>, ShapeStyle, Mark) -> Result<(), ChartError> + 'a;
/// The content of a chart, drawn through a [`Draw`].
type Body<'a> = dyn FnMut(&mut Draw<'_>) -> Result<(), ChartError> + 'a;

/// Builds a chart with x range `x` and lets `body` draw on it.
fn draw_on<XR>(
    plot: &Area<'_>,
    title: &str,
    x: XR,
    y: std::ops::Range<f64>,
    (x_desc, x_values): (&str, XValues),
    y_desc: &str,
    body: &mut Body<'_>,
) -> Result<(), ChartError>
where
    XR: AsRangedCoord<Value = f64>,
    XR::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let err = |e| error(title, e);
    let mut chart = ChartBuilder::on(plot)
        .margin_left(10)
        .margin_right(30)
        .margin_bottom(10)
        .x_label_area_size(64)
        .y_label_area_size(96)
        .build_cartesian_2d(x, y)
        .map_err(err)?;
    mesh::<XR::CoordDescType, RangedCoordf64>(&mut chart, x_desc, y_desc, title, x_values)?;
    let mut draw = |points: Vec<(f64, f64)>, style: ShapeStyle, mark: Mark| {
        match mark {
            Mark::Filled => chart
                .draw_series(std::iter::once(Polygon::new(points, style)))
                .map(|_| ()),
            Mark::Dashed => chart
                .draw_series(DashedLineSeries::new(points, 10, 7, style))
                .map(|_| ()),
            Mark::Line => chart
                .draw_series(LineSeries::new(points, style))
                .map(|_| ()),
        }
        .map_err(err)
    };
    body(&mut draw)
}

/// Marks drawn on a distribution chart: `(label, latency [ms])`, e.g. the p50 and p99.
pub type Marks = [(String, f64)];

/// The cumulative distribution: `(latency [ms], fraction at or below)` points, in increasing
/// order, starting at fraction 0; the y axis shows percent of requests.
pub fn cdf_chart(
    title: &str,
    points: &[(f64, f64)],
    marks: &Marks,
    log_x: bool,
) -> Result<String, ChartError> {
    let curve = Series {
        name: "end to end".to_string(),
        points: points.to_vec(),
    };
    cdf_curves_chart(title, std::slice::from_ref(&curve), marks, log_x)
}

/// Several cumulative distributions overlaid (one colour each, e.g. one per design of a
/// comparison), with dashed marks in the colours after theirs.
pub fn cdf_curves_chart(
    title: &str,
    curves: &[Series],
    marks: &Marks,
    log_x: bool,
) -> Result<String, ChartError> {
    let err = |e| error(title, e);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let colour = |i: usize| PALETTE[i % PALETTE.len()];
        let mut legend: Vec<(String, Legend)> = curves
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), Legend::Line(colour(i))))
            .collect();
        for (i, (label, _)) in marks.iter().enumerate() {
            legend.push((label.clone(), Legend::Dashed(colour(curves.len() + i))));
        }
        let plot = header(&root, title, &legend)?;
        let finite: Vec<Vec<(f64, f64)>> = curves
            .iter()
            .map(|c| {
                c.points
                    .iter()
                    .copied()
                    .filter(|(x, y)| x.is_finite() && y.is_finite() && (!log_x || *x > 0.0))
                    .collect()
            })
            .collect();
        let lo = finite
            .iter()
            .filter_map(|c| c.first())
            .map(|p| p.0)
            .fold(f64::INFINITY, f64::min);
        let hi = finite
            .iter()
            .filter_map(|c| c.last())
            .map(|p| p.0)
            .fold(f64::NEG_INFINITY, f64::max);
        match (lo.is_finite(), hi.is_finite()) {
            (true, true) => {
                let range = latency_axis(lo, hi, log_x);
                with_latency_axis(
                    &plot,
                    title,
                    range,
                    (0.0, 100.0),
                    log_x,
                    "requests at or below [%]",
                    &mut |draw: &mut Draw<'_>| {
                        for (i, (_, at)) in marks.iter().enumerate() {
                            if at.is_finite() && *at >= range.0 && *at <= range.1 {
                                let color = colour(curves.len() + i);
                                draw(
                                    vec![(*at, 0.0), (*at, 100.0)],
                                    color.stroke_width(3),
                                    Mark::Dashed,
                                )?;
                            }
                        }
                        for (i, curve) in finite.iter().enumerate() {
                            let line: Vec<(f64, f64)> =
                                curve.iter().map(|&(x, f)| (x, f * 100.0)).collect();
                            draw(line, colour(i).stroke_width(4), Mark::Line)?;
                        }
                        Ok(())
                    },
                )?;
            }
            _ => no_data(&plot, title, "no request succeeded after the warm-up")?,
        }
        root.present().map_err(err)?;
    }
    Ok(finish(svg, title))
}

/// Share of requests per latency bin, from the cumulative points (as in [`cdf_chart`]),
/// interpolating linearly between them: `bins` bins, equal in width on the chosen scale.
pub fn histogram_bins(points: &[(f64, f64)], bins: usize, log_x: bool) -> Vec<(f64, f64, f64)> {
    let finite: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(x, y)| x.is_finite() && y.is_finite() && (!log_x || *x > 0.0))
        .collect();
    let (Some(&(lo, _)), Some(&(hi, _))) = (finite.first(), finite.last()) else {
        return Vec::new();
    };
    let bins = bins.max(1);
    let cdf_at = |x: f64| -> f64 {
        // Linear interpolation of the cumulative fraction between the points around x.
        match finite.iter().position(|&(px, _)| px >= x) {
            None => 1.0,
            Some(0) => {
                if x >= finite[0].0 {
                    finite[0].1
                } else {
                    0.0
                }
            }
            Some(i) => {
                let (x0, f0) = finite[i - 1];
                let (x1, f1) = finite[i];
                if x1 > x0 {
                    f0 + (f1 - f0) * (x - x0) / (x1 - x0)
                } else {
                    f1
                }
            }
        }
    };
    let edge = |i: usize| -> f64 {
        let t = i as f64 / bins as f64;
        if hi <= lo {
            lo + t
        } else if log_x {
            10f64.powf(lo.log10() + t * (hi.log10() - lo.log10()))
        } else {
            lo + t * (hi - lo)
        }
    };
    (0..bins)
        .map(|i| {
            let (a, b) = (edge(i), edge(i + 1));
            let share = if i == 0 {
                cdf_at(b)
            } else {
                cdf_at(b) - cdf_at(a)
            };
            (a, b, share.max(0.0))
        })
        .collect()
}

/// Share of requests per latency bin, drawn as bars (see [`histogram_bins`]).
pub fn histogram_chart(
    title: &str,
    points: &[(f64, f64)],
    log_x: bool,
) -> Result<String, ChartError> {
    let err = |e| error(title, e);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let legend = vec![("end to end".to_string(), Legend::Band(PALETTE[0]))];
        let plot = header(&root, title, &legend)?;
        let bins = histogram_bins(points, 40, log_x);
        match (bins.first(), bins.last()) {
            (Some(first), Some(last)) => {
                let range = if log_x {
                    latency_axis(first.0, last.1, true)
                } else {
                    (0.0, last.1 * 1.04)
                };
                let top = bins.iter().map(|b| b.2 * 100.0).fold(0.0, f64::max);
                let y1 = if top > 0.0 { top * 1.08 } else { 1.0 };
                with_latency_axis(
                    &plot,
                    title,
                    range,
                    (0.0, y1),
                    log_x,
                    "share of requests [%]",
                    &mut |draw: &mut Draw<'_>| {
                        for &(a, b, share) in &bins {
                            if share > 0.0 {
                                let h = share * 100.0;
                                let bar = vec![(a, 0.0), (a, h), (b, h), (b, 0.0)];
                                draw(bar.clone(), PALETTE[0].mix(0.75).filled(), Mark::Filled)?;
                                draw(bar, WHITE.stroke_width(1), Mark::Line)?;
                            }
                        }
                        Ok(())
                    },
                )?;
            }
            _ => no_data(&plot, title, "no request succeeded after the warm-up")?,
        }
        root.present().map_err(err)?;
    }
    Ok(finish(svg, title))
}

/// One horizontal bar per `(label, value)`, top to bottom; the chart grows with the number of
/// bars.
pub fn bar_chart(title: &str, x_label: &str, bars: &[(String, f64)]) -> Result<String, ChartError> {
    let err = |e| error(title, e);
    let mut svg = String::new();
    let height = (150 + 34 * bars.len() as u32).clamp(HEIGHT / 2, 2000);
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let plot = header(&root, title, &[])?;
        if bars.is_empty() {
            no_data(&plot, title, "no data")?;
        } else {
            let top = bars
                .iter()
                .map(|b| b.1)
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max);
            let x1 = if top > 0.0 { top * 1.08 } else { 1.0 };
            let n = bars.len();
            let longest = bars.iter().map(|b| b.0.chars().count()).max().unwrap_or(0);
            let mut chart = ChartBuilder::on(&plot)
                .margin_left(10)
                .margin_right(30)
                .margin_bottom(10)
                .x_label_area_size(64)
                .y_label_area_size((longest as u32 * 11 + 24).clamp(60, 300))
                .build_cartesian_2d(0f64..x1, 0f64..n as f64)
                .map_err(err)?;
            let label_of = |v: &f64| -> String {
                // Labels sit at the middle of each bar; bar i is drawn from the top.
                let slot = *v - 0.5;
                if (slot - slot.round()).abs() < 1e-6 && slot >= 0.0 && (slot.round() as usize) < n
                {
                    bars[n - 1 - slot.round() as usize].0.clone()
                } else {
                    String::new()
                }
            };
            chart
                .configure_mesh()
                .x_desc(x_label)
                .axis_desc_style(font(22.0))
                .label_style(font(19.0))
                .axis_style(INK.stroke_width(1))
                .bold_line_style(GRID.stroke_width(1))
                .light_line_style(WHITE.stroke_width(0))
                .disable_y_mesh()
                .x_labels(8)
                .y_labels(n * 2 + 1)
                .x_label_formatter(&|v| tick(*v))
                .y_label_formatter(&label_of)
                .draw()
                .map_err(err)?;
            chart
                .draw_series(bars.iter().enumerate().map(|(i, (_, value))| {
                    let slot = (n - 1 - i) as f64;
                    Rectangle::new(
                        [(0.0, slot + 0.15), (value.max(0.0), slot + 0.85)],
                        PALETTE[0].filled(),
                    )
                }))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(finish(svg, title))
}

/// Named lines over a numeric x axis (a swept parameter): `(x, y)` points in increasing x.
/// When every x is a whole number (instances, replicas), the axis labels whole numbers only.
pub fn xy_chart(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
) -> Result<String, ChartError> {
    let err = |e| error(title, e);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let legend: Vec<(String, Legend)> = series
            .iter()
            .enumerate()
            .filter(|_| series.len() > 1)
            .map(|(i, s)| (s.name.clone(), Legend::Line(PALETTE[i % PALETTE.len()])))
            .collect();
        let plot = header(&root, title, &legend)?;
        let xs = series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .filter(|x| x.is_finite());
        let x_values = if xs.clone().all(|x| x == x.round()) {
            XValues::Whole
        } else {
            XValues::Any
        };
        let (mut x0, mut x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        if x1.partial_cmp(&x0) != Some(std::cmp::Ordering::Greater) {
            (x0, x1) = (x0.min(0.0), x0.max(0.0) + 1.0);
        }
        let pad = (x1 - x0) * 0.03;
        let (x0, x1) = (x0 - pad, x1 + pad);
        let (y0, y1) = auto_range(series.iter().flat_map(|s| s.points.iter().map(|p| &p.1)));
        if series.iter().all(|s| s.points.is_empty()) {
            no_data(&plot, title, "no data")?;
        } else {
            draw_on(
                &plot,
                title,
                x0..x1,
                y0..y1,
                (x_desc, x_values),
                y_desc,
                &mut |draw: &mut Draw<'_>| {
                    for (i, s) in series.iter().enumerate() {
                        let colour = PALETTE[i % PALETTE.len()];
                        for part in segments(&s.points) {
                            draw(part, colour.stroke_width(4), Mark::Line)?;
                        }
                    }
                    Ok(())
                },
            )?;
        }
        root.present().map_err(err)?;
    }
    Ok(finish(svg, title))
}

/// A heat map: one cell per (column, row) with its value written in it and a colour from
/// light (low) to dark blue (high); NaN cells stay empty. `values[row][column]`.
pub fn heat_map(
    title: &str,
    x_desc: &str,
    columns: &[String],
    y_desc: &str,
    rows: &[String],
    values: &[Vec<f64>],
) -> Result<String, ChartError> {
    let err = |e| error(title, e);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT + 140)).into_drawing_area();
        let plot = header(&root, title, &[])?;
        let finite = values.iter().flatten().copied().filter(|v| v.is_finite());
        let lo = finite.clone().fold(f64::INFINITY, f64::min);
        let hi = finite.fold(f64::NEG_INFINITY, f64::max);
        let (nx, ny) = (columns.len().max(1), rows.len().max(1));
        let label = |labels: &[String], v: &f64| -> String {
            let slot = *v - 0.5;
            if (slot - slot.round()).abs() < 1e-6 && slot >= 0.0 {
                labels
                    .get(slot.round() as usize)
                    .cloned()
                    .unwrap_or_default()
            } else {
                String::new()
            }
        };
        let mut chart = ChartBuilder::on(&plot)
            .margin_left(10)
            .margin_right(30)
            .margin_bottom(10)
            .x_label_area_size(64)
            .y_label_area_size(120)
            .build_cartesian_2d(0f64..nx as f64, 0f64..ny as f64)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .axis_desc_style(font(22.0))
            .label_style(font(19.0))
            .axis_style(INK.stroke_width(1))
            .disable_mesh()
            .x_labels(nx * 2 + 1)
            .y_labels(ny * 2 + 1)
            .x_label_formatter(&|v| label(columns, v))
            .y_label_formatter(&|v| label(rows, v))
            .draw()
            .map_err(err)?;
        for (r, row) in values.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                if !v.is_finite() {
                    continue;
                }
                let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                let shade = |light: f64, dark: f64| (light + (dark - light) * t).round() as u8;
                let colour = RGBColor(shade(235.0, 0.0), shade(243.0, 70.0), shade(250.0, 140.0));
                let (x, y) = (c as f64, r as f64);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y), (x + 1.0, y + 1.0)],
                        colour.filled(),
                    )))
                    .map_err(err)?;
                let ink = if t > 0.5 { WHITE } else { INK };
                let style = (FONT, 18.0)
                    .into_font()
                    .color(&ink)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                chart
                    .draw_series(std::iter::once(Text::new(
                        tick(v),
                        (x + 0.5, y + 0.5),
                        style,
                    )))
                    .map_err(err)?;
            }
        }
        root.present().map_err(err)?;
    }
    Ok(finish(svg, title))
}

/// One segment of a waterfall row: which component (an index into the legend), which phase
/// (0 queue, 1 service, 2 network) and how long [ms].
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub component: usize,
    pub phase: usize,
    pub ms: f64,
}

/// A waterfall: one row per label (a percentile band), top to bottom, each made of segments
/// laid end to end from 0, so a row's length is its mean latency. A component keeps one colour;
/// its service is drawn solid, its queue lighter and its network time lightest.
pub fn waterfall_chart(
    title: &str,
    components: &[String],
    rows: &[(String, Vec<Segment>)],
) -> Result<String, ChartError> {
    let err = |e| error(title, e);
    let mut svg = String::new();
    let height = (190 + 56 * rows.len() as u32).clamp(HEIGHT / 2, 2000);
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let legend: Vec<(String, Legend)> = components
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), Legend::Line(PALETTE[i % PALETTE.len()])))
            .collect();
        let plot = header(&root, title, &legend)?;
        let total = |segments: &[Segment]| segments.iter().map(|s| s.ms.max(0.0)).sum::<f64>();
        let top = rows
            .iter()
            .map(|(_, s)| total(s))
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        if rows.is_empty() || top <= 0.0 {
            no_data(&plot, title, "no data")?;
        } else {
            let n = rows.len();
            let longest = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
            let mut chart = ChartBuilder::on(&plot)
                .margin_left(10)
                .margin_right(40)
                .margin_bottom(10)
                .x_label_area_size(64)
                .y_label_area_size((longest as u32 * 11 + 24).clamp(60, 300))
                .build_cartesian_2d(0f64..top * 1.12, 0f64..n as f64)
                .map_err(err)?;
            let label_of = |v: &f64| -> String {
                let slot = *v - 0.5;
                if (slot - slot.round()).abs() < 1e-6 && slot >= 0.0 && (slot.round() as usize) < n
                {
                    rows[n - 1 - slot.round() as usize].0.clone()
                } else {
                    String::new()
                }
            };
            chart
                .configure_mesh()
                .x_desc("mean latency [ms]")
                .axis_desc_style(font(22.0))
                .label_style(font(19.0))
                .axis_style(INK.stroke_width(1))
                .bold_line_style(GRID.stroke_width(1))
                .light_line_style(WHITE.stroke_width(0))
                .disable_y_mesh()
                .x_labels(8)
                .y_labels(n * 2 + 1)
                .x_label_formatter(&|v| tick(*v))
                .y_label_formatter(&label_of)
                .draw()
                .map_err(err)?;
            for (i, (_, segments)) in rows.iter().enumerate() {
                let slot = (n - 1 - i) as f64;
                let mut x = 0.0;
                for s in segments {
                    // NaN and negative parts take no room.
                    let width = if s.ms.is_finite() { s.ms.max(0.0) } else { 0.0 };
                    if width == 0.0 {
                        continue;
                    }
                    let colour = PALETTE[s.component % PALETTE.len()];
                    let shade = match s.phase {
                        1 => colour.filled(),
                        0 => colour.mix(0.5).filled(),
                        _ => colour.mix(0.2).filled(),
                    };
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(x, slot + 0.2), (x + width, slot + 0.8)],
                            shade,
                        )))
                        .map_err(err)?;
                    x += width;
                }
                let style = font(18.0).pos(Pos::new(HPos::Left, VPos::Center));
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!(" {}ms", tick(x)),
                        (x, slot + 0.5),
                        style,
                    )))
                    .map_err(err)?;
            }
        }
        root.present().map_err(err)?;
    }
    Ok(finish(svg, title))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axes_end_on_round_values() {
        assert_eq!(latency_axis(4.2, 1070.0, true), (2.0, 2000.0));
        assert_eq!(latency_axis(10.0, 100.0, true), (10.0, 100.0));
        assert_eq!(latency_axis(0.3, 0.9, true), (0.2, 1.0));
        assert_eq!(latency_axis(5.0, 5.0, true), (5.0, 10.0));
        assert_eq!(latency_axis(0.0, 50.0, false), (0.0, 52.0));
    }

    #[test]
    fn log_ticks_are_round() {
        assert_eq!(
            log_ticks(2.0, 500.0),
            [2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]
        );
        assert_eq!(
            log_ticks(0.1, 10000.0),
            [0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0]
        );
        assert!(log_ticks(0.0, 1.0).is_empty());
    }

    #[test]
    fn gaps_split_series() {
        let s = segments(&[(0.0, 1.0), (1.0, f64::NAN), (2.0, 2.0), (3.0, 3.0)]);
        assert_eq!(s, vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]);
    }

    #[test]
    fn histogram_bins_add_up_to_one() {
        let points = [(1.0, 0.0), (2.0, 0.5), (4.0, 0.9), (100.0, 1.0)];
        for log_x in [false, true] {
            let bins = histogram_bins(&points, 10, log_x);
            assert_eq!(bins.len(), 10);
            let total: f64 = bins.iter().map(|b| b.2).sum();
            assert!((total - 1.0).abs() < 1e-9, "{total}");
            assert!(bins.windows(2).all(|w| (w[0].1 - w[1].0).abs() < 1e-9));
        }
        assert!(histogram_bins(&[], 10, false).is_empty());
    }

    #[test]
    fn the_title_is_inserted_into_the_svg() {
        let svg = finish("<svg width=\"1\" height=\"1\">\n</svg>".into(), "a < b");
        assert_eq!(
            svg,
            "<svg width=\"1\" height=\"1\" role=\"img\">\n<title>a &lt; b</title>\n</svg>"
        );
    }
}
