//! The topology diagram: the scenario's components as boxes, left to right in the direction
//! requests travel, with an arrow for each path and the link's mean latency on it.
//!
//! layout-rs places the boxes (a Sugiyama-style layered layout with crossing reduction, in
//! pure Rust) and routes the edges as Bézier curves; the SVG is written here, so that it
//! matches the charts (fonts, colours) and is deterministic. layout-rs hands its drawing calls
//! to a [`RenderBackend`]: ours records where each box and arrow went and draws nothing.

use std::fmt::Write as _;

use layout::core::base::Orientation;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::Point;
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
use layout::topo::layout::VisualGraph;

use crate::format::escape;
use crate::model::kind::Kind;
use crate::scenario::topology::Topology;

/// Graphs larger than this are not laid out: the diagram would be unreadable anyway, and the
/// layout's cost grows faster than linearly.
pub const MAX_NODES: usize = 150;

const NODE_HEIGHT: f64 = 92.0;
const MARGIN: f64 = 24.0;
/// Font size used by layout-rs to size edge labels [px].
const LABEL_FONT: usize = 16;

/// Fill and border of a box, by component kind (Okabe–Ito tints; kinds without a colour of
/// their own are grey).
fn kind_colours(kind: Kind) -> (&'static str, &'static str) {
    const GREY: (&str, &str) = ("#eeeeee", "#555555");
    match kind {
        Kind::Traffic => ("#fbe9c6", "#b07a00"),
        Kind::LoadBalancer => ("#d5ecf9", "#0072b2"),
        Kind::Server => ("#cdeee3", "#007a59"),
        Kind::Database | Kind::ShardedDatabase => ("#f6dccb", "#d55e00"),
        Kind::RateLimiter => ("#f9dccd", "#d55e00"),
        Kind::Queue => ("#eadff0", "#cc79a7"),
        Kind::Cache
        | Kind::Cdn
        | Kind::Dns
        | Kind::Provider
        | Kind::Fanout
        | Kind::IdGenerator
        | Kind::Realtime => GREY,
    }
}

/// How a kind is named on its box.
fn kind_label(kind: Kind) -> String {
    match kind {
        Kind::Traffic => "traffic source".to_string(),
        other => other.name().replace('_', " "),
    }
}

fn node_width(name: &str, kind: Kind, detail: &str) -> f64 {
    let chars = [
        name.chars().count() as f64 * 12.5,
        kind_label(kind).chars().count() as f64 * 9.5,
        detail.chars().count() as f64 * 9.5,
    ];
    (chars.iter().fold(0.0f64, |a, &b| a.max(b)) + 36.0).max(150.0)
}

/// Records where layout-rs put each box and arrow.
#[derive(Default)]
struct Recorder {
    /// (node index, top-left corner, size)
    boxes: Vec<(usize, Point, Point)>,
    /// Bézier paths as layout-rs gives them.
    arrows: Vec<Vec<(Point, Point)>>,
    /// Edge labels: (centre, text). layout-rs routes a labelled edge through a slot sized for
    /// its label and draws the label there.
    labels: Vec<(Point, String)>,
}

impl RenderBackend for Recorder {
    fn draw_rect(
        &mut self,
        xy: Point,
        size: Point,
        _look: &StyleAttr,
        properties: Option<String>,
        _clip: Option<ClipHandle>,
    ) {
        if let Some(index) = properties
            .as_deref()
            .and_then(|p| p.strip_prefix("data-node="))
            .and_then(|p| p.parse::<usize>().ok())
        {
            self.boxes.push((index, xy, size));
        }
    }

    fn draw_line(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}

    fn draw_circle(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}

    fn draw_text(&mut self, at: Point, text: &str, _: &StyleAttr) {
        // Boxes are created without text (we write their lines ourselves): any text is a label.
        if !text.is_empty() {
            self.labels.push((at, text.to_string()));
        }
    }

    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        _dashed: bool,
        _head: (bool, bool),
        _look: &StyleAttr,
        _properties: Option<String>,
        _text: &str,
    ) {
        self.arrows.push(path.to_vec());
    }

    fn create_clip(&mut self, _: Point, _: Point, _: usize) -> ClipHandle {
        0
    }
}

/// Runs layout-rs on the topology.
fn lay_out(t: &Topology) -> Recorder {
    let mut graph = VisualGraph::new(Orientation::LeftToRight);
    let look = StyleAttr::new(
        layout::core::color::Color::fast("black"),
        2,
        None,
        6,
        LABEL_FONT,
    );
    let handles: Vec<_> = t
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let size = Point::new(node_width(&n.name, n.kind, &n.detail), NODE_HEIGHT);
            graph.add_node(Element::create_with_properties(
                ShapeKind::new_box(""),
                look.clone(),
                Orientation::LeftToRight,
                size,
                format!("data-node={i}"),
            ))
        })
        .collect();
    for e in &t.edges {
        let from = t.nodes.iter().position(|n| n.name == e.from);
        let to = t.nodes.iter().position(|n| n.name == e.to);
        if let (Some(a), Some(b)) = (from, to) {
            if a != b {
                let arrow = Arrow::new(
                    LineEndKind::None,
                    LineEndKind::Arrow,
                    LineStyleKind::Normal,
                    &e.label,
                    &look,
                    &None,
                    &None,
                );
                graph.add_edge(arrow, handles[a], handles[b]);
            }
        }
    }
    let mut recorder = Recorder::default();
    graph.do_it(false, false, false, &mut recorder);
    recorder
}

fn num(x: f64) -> String {
    crate::format::decimals(x, 1)
}

/// The topology as an SVG document (`<svg id="topology" ...>`).
pub fn topology_svg(t: &Topology) -> String {
    if t.nodes.is_empty() || t.nodes.len() > MAX_NODES {
        let message = if t.nodes.is_empty() {
            "no components".to_string()
        } else {
            format!(
                "{} components: too many to draw; see the components table",
                t.nodes.len()
            )
        };
        return format!(
            "<svg id=\"topology\" width=\"640\" height=\"80\" viewBox=\"0 0 640 80\" \
             xmlns=\"http://www.w3.org/2000/svg\" role=\"img\">\n<title>Topology</title>\n\
             <text x=\"320\" y=\"45\" text-anchor=\"middle\" font-family=\"sans-serif\" \
             font-size=\"20\">{}</text>\n</svg>\n",
            escape(&message)
        );
    }
    let layout = lay_out(t);
    // Bounding box of everything drawn, to move it to the origin with a margin.
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    let mut grow = |p: Point| {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    };
    for (_, at, size) in &layout.boxes {
        grow(*at);
        grow(at.add(*size));
    }
    for path in &layout.arrows {
        for (a, b) in path {
            grow(*a);
            grow(*b);
        }
    }
    for (p, label) in &layout.labels {
        let half = label.chars().count() as f64 * 4.8 + 6.0;
        grow(Point::new(p.x - half, p.y - 14.0));
        grow(Point::new(p.x + half, p.y + 14.0));
    }
    if x0 > x1 {
        (x0, y0, x1, y1) = (0.0, 0.0, 1.0, 1.0);
    }
    let shift = Point::new(MARGIN - x0, MARGIN - y0);
    let width = (x1 - x0 + 2.0 * MARGIN).ceil();
    let height = (y1 - y0 + 2.0 * MARGIN).ceil();
    let at = |p: Point| {
        let q = p.add(shift);
        format!("{} {}", num(q.x), num(q.y))
    };

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg id=\"topology\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" font-family=\"sans-serif\">",
        w = num(width),
        h = num(height)
    );
    let _ = writeln!(
        svg,
        "<title>Topology: {} components, {} paths</title>",
        t.nodes.len(),
        t.edges.len()
    );
    svg.push_str(
        "<defs><marker id=\"topology-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" \
         markerWidth=\"9\" markerHeight=\"9\" orient=\"auto-start-reverse\">\
         <path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#444444\"/></marker></defs>\n",
    );
    let _ = writeln!(
        svg,
        "<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
        num(width),
        num(height)
    );
    // Arrows first, so that boxes cover their ends.
    for path in &layout.arrows {
        if path.len() < 2 {
            continue;
        }
        let mut d = format!(
            "M {} C {}, {}, {}",
            at(path[0].0),
            at(path[0].1),
            at(path[1].0),
            at(path[1].1)
        );
        for (control, point) in &path[2..] {
            let _ = write!(d, " S {}, {}", at(*control), at(*point));
        }
        let _ = writeln!(
            svg,
            "<path class=\"edge\" d=\"{d}\" fill=\"none\" stroke=\"#444444\" stroke-width=\"2.5\" \
             marker-end=\"url(#topology-arrow)\"/>"
        );
    }
    for (p, label) in &layout.labels {
        let q = p.add(shift);
        let _ = writeln!(
            svg,
            "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" \
             dominant-baseline=\"middle\" font-size=\"16\" fill=\"#333333\" stroke=\"#ffffff\" \
             stroke-width=\"6\" paint-order=\"stroke\">{}</text>",
            num(q.x),
            num(q.y),
            escape(label)
        );
    }
    let mut boxes = layout.boxes.clone();
    boxes.sort_by_key(|b| b.0);
    for (index, corner, size) in boxes {
        let Some(node) = t.nodes.get(index) else {
            continue;
        };
        let (fill, stroke) = kind_colours(node.kind);
        let c = corner.add(shift);
        let cx = c.x + size.x / 2.0;
        let _ = writeln!(
            svg,
            "<g class=\"node\" data-kind=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" \
             rx=\"10\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"2.5\"/>",
            escape(node.kind.name()),
            num(c.x),
            num(c.y),
            num(size.x),
            num(size.y)
        );
        let lines = [
            (28.0, "20", "bold", "#111111", node.name.clone()),
            (54.0, "15", "normal", stroke, kind_label(node.kind)),
            (76.0, "15", "normal", "#333333", node.detail.clone()),
        ];
        for (dy, size, weight, colour, text) in lines {
            if text.is_empty() {
                continue;
            }
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{size}\" \
                 font-weight=\"{weight}\" fill=\"{colour}\">{}</text>",
                num(cx),
                num(c.y + dy),
                escape(&text)
            );
        }
        svg.push_str("</g>\n");
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::topology::{TopologyEdge, TopologyNode};

    fn node(name: &str, kind: &str) -> TopologyNode {
        TopologyNode {
            name: name.into(),
            kind: Kind::from_name(kind).unwrap_or_else(|| panic!("no kind '{kind}'")),
            detail: String::new(),
            backends: Vec::new(),
        }
    }

    fn edge(from: &str, to: &str, label: &str) -> TopologyEdge {
        TopologyEdge {
            from: from.into(),
            to: to.into(),
            label: label.into(),
        }
    }

    #[test]
    fn every_node_and_edge_is_drawn_deterministically() {
        let t = Topology {
            nodes: vec![
                node("users", "traffic"),
                node("lb", "load_balancer"),
                node("web", "server"),
                node("db", "server"),
                node("cache", "server"),
            ],
            edges: vec![
                edge("users", "lb", "20ms"),
                edge("lb", "web", ""),
                edge("web", "db", "1ms"),
                edge("web", "cache", ""),
            ],
            ..Default::default()
        };
        let svg = topology_svg(&t);
        assert_eq!(svg.matches("<g class=\"node\"").count(), 5);
        assert_eq!(svg.matches("<path class=\"edge\"").count(), 4);
        assert!(svg.contains(">20ms</text>"));
        assert!(svg.contains(">1ms</text>"));
        assert!(svg.contains(">traffic source</text>"));
        assert!(svg.starts_with("<svg id=\"topology\" width=\""));
        assert_eq!(svg, topology_svg(&t));
    }

    #[test]
    fn odd_graphs_still_draw() {
        // Empty, one node, disconnected nodes, an unknown name, a self edge.
        assert!(topology_svg(&Topology::default()).contains("no components"));
        let one = Topology {
            nodes: vec![node("a", "server")],
            edges: vec![edge("a", "a", ""), edge("a", "nowhere", "")],
            ..Default::default()
        };
        assert!(topology_svg(&one).contains(">a</text>"));
        let apart = Topology {
            nodes: vec![
                node("a", "server"),
                node("b", "cache"),
                node("c", "traffic"),
            ],
            edges: vec![edge("c", "a", ""), edge("c", "b", ""), edge("b", "a", "")],
            ..Default::default()
        };
        assert_eq!(topology_svg(&apart).matches("<g class=\"node\"").count(), 3);
        let names = "<&\"x'>";
        let escaped = Topology {
            nodes: vec![node(names, "server")],
            ..Default::default()
        };
        assert!(topology_svg(&escaped).contains("&lt;&amp;&quot;x&#39;&gt;"));
    }
}
