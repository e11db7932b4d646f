//! Opens `report.html` in headless Chromium: it loads with no console message, fetches
//! nothing, shows every chart and the topology with a size, and does not render blank. It also
//! prints to PDF (the print stylesheet).
//!
//! Chromium is Debian's `chromium` package (or `SIM_CHROMIUM=/path/to/chrome`). Without it the
//! tests fail under CI (`CI=true`) and are skipped, with a note, elsewhere.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{run_scenario, svg_tags};

/// Element ids of the charts and the diagram the test scenario's page must show.
const SVG_IDS: &[&str] = &[
    "topology",
    "chart-latency",
    "chart-throughput",
    "chart-errors",
    "chart-availability",
    "chart-latency-cdf",
    "chart-latency-histogram",
    "chart-utilisation",
    "chart-queue",
    "chart-component-requests",
    "chart-backends-lb",
];

fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SIM_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|candidate| candidate.is_file())
}

/// Chromium, or None when the test may be skipped (not under CI).
fn chromium() -> Option<PathBuf> {
    let found = find_chromium();
    if found.is_none() {
        let message = "Chromium is not installed: the report browser test needs it \
                       (Debian: apt-get install -y chromium; or set SIM_CHROMIUM)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{message}");
        }
        eprintln!("skipped: {message}");
    }
    found
}

/// Runs headless Chromium on `page` with `args`, in a fresh profile, with every host name
/// unresolvable so that nothing can leave the machine.
fn headless(chromium: &Path, profile: &Path, args: &[String], page: &Path) -> Output {
    Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("start chromium")
}

/// Console messages Chromium logged (`...:CONSOLE...] "message", source: ...`).
fn console_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .map(str::to_string)
        .collect()
}

/// The page cannot fetch anything: no script, no stylesheet or font link, no external URL,
/// no `src=`; links only to anchors in the page.
fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for forbidden in [
        "<script",
        "<link",
        "<iframe",
        "<object",
        "<embed",
        "<img",
        "@import",
        "http://",
        "https://",
        "src=",
        "srcset=",
        "xlink:href",
    ] {
        assert!(
            !lower.contains(forbidden),
            "report.html contains '{forbidden}'"
        );
    }
    for (at, _) in lower.match_indices("href=\"") {
        let target = &lower[at + 6..];
        assert!(
            target.starts_with('#'),
            "a link out of the page: {}",
            &target[..40.min(target.len())]
        );
    }
    for (at, _) in lower.match_indices("url(") {
        let target = &lower[at + 4..];
        assert!(
            target.starts_with('#'),
            "a url() out of the page: {}",
            &target[..40.min(target.len())]
        );
    }
}

#[test]
fn the_report_is_self_contained() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_scenario(dir.path());
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert_self_contained(&html);
    // The scenario's description is escaped, not interpreted.
    assert!(html.contains("Report test: &lt;a load balancer&gt; &amp; two pools"));
    for section in [
        "summary",
        "topology-section",
        "over-time",
        "distribution",
        "components",
        "failures",
        "lost",
        "assertions",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{section}\">")),
            "no section {section}"
        );
    }
    assert!(html.contains("No failures scheduled."));
    assert!(html.contains("Nothing lost."));
    assert!(html.contains("No assertions."));
    assert!(html.contains("@media print"));
}

#[test]
fn chromium_loads_the_report_and_shows_every_chart() {
    let Some(chromium) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_scenario(dir.path());
    let page = out.join("report.html");

    // The DOM after loading: every chart and the topology, each with a size and content.
    let profile = tempfile::tempdir().expect("profile dir");
    let output = headless(
        &chromium,
        profile.path(),
        &["--dump-dom".to_string()],
        &page,
    );
    assert!(
        output.status.success(),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let console = console_lines(&output.stderr);
    assert!(console.is_empty(), "console messages: {console:#?}");
    let dom = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        dom.contains("<h1>report-test</h1>"),
        "the page did not load"
    );
    let svgs = svg_tags(&dom);
    for id in SVG_IDS {
        let Some((_, width, height)) = svgs.iter().find(|(svg_id, _, _)| svg_id == id) else {
            panic!("no <svg id=\"{id}\"> in the loaded page; found {svgs:?}");
        };
        assert!(*width > 0.0 && *height > 0.0, "{id} is {width} x {height}");
        // Each SVG has drawn content: shapes and text.
        let start = dom.find(&format!("<svg id=\"{id}\"")).unwrap_or(0);
        let end = dom[start..].find("</svg>").map_or(dom.len(), |e| start + e);
        let body = &dom[start..end];
        assert!(body.contains("<text"), "{id} has no text");
        assert!(
            body.contains("<polyline")
                || body.contains("<path")
                || body.contains("<rect")
                || body.contains("<polygon"),
            "{id} has no shapes"
        );
    }

    // A screenshot is not blank: plenty of non-white pixels, and colours.
    let profile = tempfile::tempdir().expect("profile dir");
    let shot = dir.path().join("report.png");
    let output = headless(
        &chromium,
        profile.path(),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".to_string(),
            "--hide-scrollbars".to_string(),
        ],
        &page,
    );
    assert!(output.status.success(), "chromium --screenshot failed");
    let console = console_lines(&output.stderr);
    assert!(console.is_empty(), "console messages: {console:#?}");
    let (non_white, colourful, total) = pixel_counts(&shot);
    assert!(
        non_white * 20 > total,
        "{non_white} of {total} pixels are not white"
    );
    assert!(colourful > 1000, "only {colourful} coloured pixels");

    // It prints.
    let profile = tempfile::tempdir().expect("profile dir");
    let pdf = dir.path().join("report.pdf");
    let output = headless(
        &chromium,
        profile.path(),
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".to_string(),
        ],
        &page,
    );
    assert!(output.status.success(), "chromium --print-to-pdf failed");
    let bytes = std::fs::read(&pdf).expect("the PDF");
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    let pages = count(&bytes, b"/Type /Page") - count(&bytes, b"/Type /Pages");
    assert!(pages >= 3, "{pages} printed pages");
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| w == &needle)
        .count()
}

/// (pixels that are not white, pixels with a clear colour, all pixels) of a PNG.
fn pixel_counts(path: &Path) -> (usize, usize, usize) {
    let file = std::fs::File::open(path).expect("the screenshot");
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buffer = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buffer).expect("a frame");
    let channels = info.color_type.samples();
    let pixels = &buffer[..info.buffer_size()];
    let (mut non_white, mut colourful, mut total) = (0, 0, 0);
    for p in pixels.chunks(channels) {
        total += 1;
        let (r, g, b) = if channels >= 3 {
            (p[0], p[1], p[2])
        } else {
            (p[0], p[0], p[0])
        };
        if r < 245 || g < 245 || b < 245 {
            non_white += 1;
        }
        if r.abs_diff(g).max(g.abs_diff(b)).max(r.abs_diff(b)) > 60 {
            colourful += 1;
        }
    }
    (non_white, colourful, total)
}
