//! No two files of `src/` import each other, directly or through others (docs/architecture.md,
//! "Layers"): the layers stay layers. A file A depends on a file B when A's code names an item
//! that B defines — through a `use` line, a `crate::`/`super::` path, or a module it imported —
//! with re-exports (`pub use`) followed to where the item is defined. Unit tests
//! (`#[cfg(test)]` to the end of a file) are left out: a test may reach anywhere.
//!
//! A glob import (`use super::*`) depends on the whole module it names. This is a small reader
//! of Rust paths, not a compiler: macros and method calls are not followed. It is checked against the circles it must find
//! (`the_reader_finds_a_circle`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One source file: its module path, what it defines, what it re-exports, what it names.
#[derive(Debug, Default)]
struct File {
    /// Items defined at the top level.
    defines: BTreeSet<String>,
    /// `pub use` at the top level: name -> the absolute path it stands for.
    reexports: BTreeMap<String, Vec<String>>,
    /// Absolute paths named by the code.
    names: Vec<Vec<String>>,
}

/// Module path of a file under `src/` (`report/html.rs` -> `report::html`).
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs").to_string();
        if stem != "mod" && stem != "lib" {
            parts.push(stem);
        }
    }
    parts
}

/// The code of a file without its unit tests (`#[cfg(test)]` items), comments and string
/// contents.
fn code_of(text: &str) -> String {
    let mut code = without_comments_and_strings(text);
    while let Some(at) = code.find("#[cfg(test)]") {
        // The item after the attribute: to its matching closing brace, or its semicolon.
        let rest = &code[at..];
        let end = match (rest.find('{'), rest.find(';')) {
            (Some(open), semi) if semi.is_none_or(|s| open < s) => {
                let mut depth = 0;
                let mut end = rest.len();
                for (i, c) in rest[open..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (_, Some(semi)) => semi + 1,
            _ => rest.len(),
        };
        code.replace_range(at..at + end, "");
    }
    code
}

/// The text without `//` comments and with string literals emptied.
fn without_comments_and_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_string = false;
        let mut previous = ' ';
        let mut kept = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !in_string && c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            if c == '"' && previous != '\\' {
                in_string = !in_string;
                kept.push('"');
            } else if !in_string {
                kept.push(c);
            }
            previous = if previous == '\\' && c == '\\' {
                ' '
            } else {
                c
            };
            i += 1;
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// The paths of a `use` tree (`a::{b, c::{d, e as f}}`), each with the name it binds.
fn use_paths(tree: &str) -> Vec<(Vec<String>, String)> {
    // `e as f` becomes `e@f` before the white space goes.
    let words: Vec<&str> = tree.split_whitespace().collect();
    let tree: String = words.join(" ").replace(" as ", "@").replace(' ', "");
    let mut out = Vec::new();
    expand(&tree, &mut Vec::new(), &mut out);
    out
}

fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    // Split at top-level commas.
    let mut depth = 0;
    let mut start = 0;
    let mut items = Vec::new();
    for (i, c) in tree.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&tree[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&tree[start..]);
    for item in items.into_iter().filter(|i| !i.is_empty()) {
        if let Some(open) = item.find('{') {
            let head = item[..open].trim_end_matches("::");
            let inner = item[open + 1..]
                .strip_suffix('}')
                .unwrap_or(&item[open + 1..]);
            let added: Vec<String> = head
                .split("::")
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            let n = added.len();
            prefix.extend(added);
            expand(inner, prefix, out);
            prefix.truncate(prefix.len() - n);
        } else {
            let (path, alias) = match item.split_once('@') {
                Some((p, a)) => (p, Some(a)),
                None => (item, None),
            };
            let mut full = prefix.clone();
            full.extend(path.split("::").filter(|s| !s.is_empty()).map(String::from));
            if full.last().is_some_and(|l| l == "self") {
                full.pop();
            }
            let bound = alias
                .map(String::from)
                .or_else(|| full.last().cloned())
                .unwrap_or_default();
            out.push((full, bound));
        }
    }
}

/// An absolute path for `path` named in `module`: `crate::`, `super::`, `self::` resolved; a
/// first segment bound by a `use` of the file expanded; anything else (an external crate, a
/// local name) is `None`.
fn absolute(
    path: &[String],
    module: &[String],
    bound: &BTreeMap<String, Vec<String>>,
) -> Option<Vec<String>> {
    let first = path.first()?;
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => {
            let mut m = module.to_vec();
            let mut rest = path;
            while rest.first().is_some_and(|s| s == "super") {
                m.pop();
                rest = &rest[1..];
            }
            m.extend(rest.iter().cloned());
            return Some(m);
        }
        name => {
            let mut b = bound.get(name)?.clone();
            b.extend(path[1..].iter().cloned());
            return Some(b);
        }
    };
    base.extend(path[1..].iter().cloned());
    Some(base)
}

/// Reads one file.
fn read(text: &str, module: &[String], modules: &BTreeSet<Vec<String>>) -> File {
    let code = code_of(text);
    let mut file = File::default();
    // A file's own submodules are in scope by their names.
    let mut bound: BTreeMap<String, Vec<String>> = modules
        .iter()
        .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
        .filter_map(|m| Some((m.last()?.clone(), m.clone())))
        .collect();
    // Definitions and `pub use` at the top level.
    for line in code.lines() {
        let top = !line.starts_with(' ') && !line.starts_with('\t');
        let words: Vec<&str> = line
            .split(|c: char| {
                c.is_whitespace()
                    || c == '('
                    || c == '<'
                    || c == '{'
                    || c == ':'
                    || c == ';'
                    || c == '='
            })
            .filter(|w| !w.is_empty())
            .collect();
        if top {
            let mut i = 0;
            while i < words.len()
                && matches!(
                    // `pub(crate)` and `pub(super)` split into `pub`, `crate)`.
                    words[i].trim_end_matches(')'),
                    "pub" | "crate" | "super" | "self" | "unsafe" | "async" | "extern" | "in"
                )
            {
                i += 1;
            }
            if let (Some(kind), Some(name)) = (words.get(i), words.get(i + 1)) {
                if matches!(
                    *kind,
                    "fn" | "struct" | "enum" | "const" | "static" | "type" | "trait" | "union"
                ) {
                    file.defines.insert(name.trim_end_matches(')').to_string());
                }
                if *kind == "macro_rules!" {
                    file.defines.insert(name.to_string());
                }
            }
        } else if let ["pub", "struct" | "enum" | "trait" | "type", name, ..] = words.as_slice() {
            // A type declared inside a macro (`kind_figures! { pub struct ... }`) or a macro's
            // body is the file's as much as one written at the top.
            file.defines.insert(name.to_string());
        }
    }
    // `use` statements (anywhere), which may span lines.
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        let after = &rest[at + 4..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = after.find(';') else { break };
        let tree = &after[..end];
        // A re-export (`pub use`) hands a name on; it is followed where the name is used.
        let line_start = code[..code.len() - after.len()]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let reexport = code[line_start..code.len() - after.len()].contains("pub");
        for (path, name) in use_paths(tree) {
            if let Some(abs) = absolute(&path, module, &bound) {
                if !modules.contains(&abs) && !reexport {
                    file.names.push(abs.clone());
                }
                bound.insert(name, abs);
            }
        }
    }
    // `pub use` re-exports at the top level.
    for line in code.lines() {
        if let Some(tree) = line
            .strip_prefix("pub use ")
            .and_then(|l| l.strip_suffix(';'))
        {
            for (path, name) in use_paths(tree) {
                if let Some(abs) = absolute(&path, module, &bound) {
                    file.reexports.insert(name, abs);
                }
            }
        }
    }
    // Paths in the code: `crate::a::b`, `super::a`, `alias::b`.
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts = (i == 0
            || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_' || bytes[i - 1] == ':'))
            && (bytes[i].is_alphabetic() || bytes[i] == '_');
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut segments = Vec::new();
        loop {
            let s = j;
            while j < bytes.len() && (bytes[j].is_alphanumeric() || bytes[j] == '_') {
                j += 1;
            }
            segments.push(bytes[s..j].iter().collect::<String>());
            if j + 2 < bytes.len()
                && bytes[j] == ':'
                && bytes[j + 1] == ':'
                && (bytes[j + 2].is_alphabetic() || bytes[j + 2] == '_')
            {
                j += 2;
            } else {
                break;
            }
        }
        if segments.len() > 1 {
            if let Some(abs) = absolute(&segments, module, &bound) {
                file.names.push(abs);
            }
        }
        i = j.max(i + 1);
    }
    file
}

/// The file that defines the item an absolute path names, following re-exports.
fn defining_file(
    path: &[String],
    files: &BTreeMap<Vec<String>, (PathBuf, File)>,
    depth: usize,
) -> Option<Vec<String>> {
    if depth > 8 {
        return None;
    }
    // The longest prefix that is a module, then the item.
    for cut in (0..path.len()).rev() {
        let (module, item) = (&path[..cut], path.get(cut)?);
        let Some((_, file)) = files.get(module) else {
            continue;
        };
        // `module::*`: whatever is used of it, the module's file is depended on.
        if item == "*" {
            return Some(module.to_vec());
        }
        if file.defines.contains(item) {
            return Some(module.to_vec());
        }
        if let Some(target) = file.reexports.get(item) {
            let mut target = target.clone();
            target.extend(path[cut + 1..].iter().cloned());
            return defining_file(&target, files, depth + 1);
        }
        return None;
    }
    None
}

/// Every file under `src/` by module path.
fn read_crate(src: &Path) -> BTreeMap<Vec<String>, (PathBuf, File)> {
    let mut paths = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("main.rs") {
                paths.push(path);
            }
        }
    }
    let modules: BTreeSet<Vec<String>> = paths
        .iter()
        .map(|p| module_of(p.strip_prefix(src).expect("under src")))
        .collect();
    paths
        .into_iter()
        .map(|p| {
            let module = module_of(p.strip_prefix(src).expect("under src"));
            let text = std::fs::read_to_string(&p).expect("a source file");
            let file = read(&text, &module, &modules);
            (module, (p, file))
        })
        .collect()
}

/// Edges file -> file, with the names that make them.
fn edges(
    files: &BTreeMap<Vec<String>, (PathBuf, File)>,
) -> BTreeMap<Vec<String>, BTreeMap<Vec<String>, BTreeSet<String>>> {
    let mut out: BTreeMap<Vec<String>, BTreeMap<Vec<String>, BTreeSet<String>>> = BTreeMap::new();
    for (module, (_, file)) in files {
        for name in &file.names {
            if let Some(target) = defining_file(name, files, 0) {
                if &target != module {
                    out.entry(module.clone())
                        .or_default()
                        .entry(target)
                        .or_default()
                        .insert(name.join("::"));
                }
            }
        }
    }
    out
}

/// Strongly connected components of more than one file (Tarjan).
fn circles(
    graph: &BTreeMap<Vec<String>, BTreeMap<Vec<String>, BTreeSet<String>>>,
    nodes: &[Vec<String>],
) -> Vec<Vec<Vec<String>>> {
    struct State<'a> {
        graph: &'a BTreeMap<Vec<String>, BTreeMap<Vec<String>, BTreeSet<String>>>,
        index: BTreeMap<Vec<String>, usize>,
        low: BTreeMap<Vec<String>, usize>,
        stack: Vec<Vec<String>>,
        on_stack: BTreeSet<Vec<String>>,
        next: usize,
        found: Vec<Vec<Vec<String>>>,
    }
    fn visit(s: &mut State<'_>, v: &Vec<String>) {
        s.index.insert(v.clone(), s.next);
        s.low.insert(v.clone(), s.next);
        s.next += 1;
        s.stack.push(v.clone());
        s.on_stack.insert(v.clone());
        let targets: Vec<Vec<String>> = s
            .graph
            .get(v)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default();
        for w in &targets {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low[v];
                s.low.insert(v.clone(), lv.min(lw));
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low[v];
                s.low.insert(v.clone(), lv.min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                let done = &w == v;
                component.push(w);
                if done {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in nodes {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.found
}

/// The circles of the crate under `src`, described.
fn circles_of(src: &Path) -> Vec<String> {
    let files = read_crate(src);
    let graph = edges(&files);
    let nodes: Vec<Vec<String>> = files.keys().cloned().collect();
    circles(&graph, &nodes)
        .into_iter()
        .map(|circle| {
            let name = |m: &Vec<String>| {
                files[m]
                    .0
                    .strip_prefix(src)
                    .map_or_else(|_| String::new(), |p| p.display().to_string())
            };
            let mut text = format!(
                "{} files: {}",
                circle.len(),
                circle.iter().map(name).collect::<Vec<_>>().join(", ")
            );
            for a in &circle {
                for b in &circle {
                    if let Some(names) = graph.get(a).and_then(|t| t.get(b)) {
                        text.push_str(&format!(
                            "\n    {} -> {}: {}",
                            name(a),
                            name(b),
                            names.iter().cloned().collect::<Vec<_>>().join(", ")
                        ));
                    }
                }
            }
            text
        })
        .collect()
}

#[test]
fn no_two_files_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = circles_of(&src);
    assert!(
        found.is_empty(),
        "files of src/ that import each other (move the type to the layer that owns it, see docs/architecture.md):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_reader_finds_a_circle() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let src = dir.path();
    std::fs::create_dir_all(src.join("low")).expect("mkdir");
    std::fs::write(src.join("lib.rs"), "pub mod high;\npub mod low;\n").expect("write");
    std::fs::write(
        src.join("high.rs"),
        "use crate::low::thing::Widget;\npub struct Gadget;\npub fn make() -> Widget { Widget }\n",
    )
    .expect("write");
    std::fs::write(
        src.join("low/mod.rs"),
        "pub mod other;\npub mod thing;\npub use thing::Widget;\n",
    )
    .expect("write");
    std::fs::write(
        src.join("low/thing.rs"),
        "pub struct Widget;\n// crate::high::Gadget in a comment is no import\n",
    )
    .expect("write");
    std::fs::write(src.join("low/other.rs"), "pub fn f() {}\n").expect("write");
    assert!(circles_of(src).is_empty());
    // An import back up, through the parent's re-export, by a path in the code.
    std::fs::write(
        src.join("low/thing.rs"),
        "pub struct Widget;\npub fn back() { let _ = crate::high::Gadget; }\n",
    )
    .expect("write");
    expect_one_circle(src, "2 files: high.rs, low/thing.rs");
    // Through a module alias and a `super::` path.
    std::fs::write(src.join("low/thing.rs"), "pub struct Widget;\n").expect("write");
    std::fs::write(
        src.join("low/other.rs"),
        "use crate::high;\npub fn f() { high::make(); }\n",
    )
    .expect("write");
    std::fs::write(
        src.join("high.rs"),
        "use crate::low::thing::Widget;\npub struct Gadget;\npub fn make() -> Widget { super::low::other::f(); Widget }\n",
    )
    .expect("write");
    expect_one_circle(src, "2 files: high.rs, low/other.rs");
    // Through a glob import of a parent that uses its child.
    std::fs::write(
        src.join("low/other.rs"),
        "pub fn f() {}
",
    )
    .expect("write");
    std::fs::write(
        src.join("high.rs"),
        "pub struct Gadget;
",
    )
    .expect("write");
    std::fs::write(
        src.join("low/mod.rs"),
        "pub mod other;\npub mod thing;\npub struct Shared;\npub fn g() { other::f(); }\n",
    )
    .expect("write");
    assert!(circles_of(src).is_empty());
    std::fs::write(
        src.join("low/other.rs"),
        "use super::*;\npub fn f() { let _ = Shared; }\n",
    )
    .expect("write");
    let found = circles_of(src);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("2 files: low/mod.rs, low/other.rs"),
        "{found:?}"
    ); // Through a type declared inside a macro invocation.
    std::fs::write(src.join("low/other.rs"), "pub fn f() {}\n").expect("write");
    std::fs::write(
        src.join("high.rs"),
        "declare! {\n    pub struct Gadget {}\n}\npub fn make() { let _ = crate::low::thing::Widget; }\n",
    )
    .expect("write");
    std::fs::write(
        src.join("low/thing.rs"),
        "pub struct Widget;\npub fn back() { let _ = crate::high::Gadget {}; }\n",
    )
    .expect("write");
    expect_one_circle(src, "2 files: high.rs, low/thing.rs");
}

/// Asserts that the crate under `src` has one circle, of the files `described` starts with.
fn expect_one_circle(src: &Path, described: &str) {
    let found = circles_of(src);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with(described), "{found:?}");
}

/// Layers that must never reach up (docs/architecture.md): studies compute and `report/`
/// writes, so nothing in `study/` uses `report/`; and nothing below a run (results, model,
/// engine, stats, scenario, output) uses a study or an exporter.
#[test]
fn lower_layers_never_use_higher_ones() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = read_crate(&src);
    let graph = edges(&files);
    let rules: [(&str, &[&str]); 7] = [
        ("study", &["report", "cli"]),
        ("results", &["report", "study", "cli", "run"]),
        (
            "model",
            &["report", "study", "cli", "run", "results", "scenario"],
        ),
        (
            "engine",
            &[
                "report", "study", "cli", "run", "results", "scenario", "model",
            ],
        ),
        (
            "stats",
            &[
                "report", "study", "cli", "run", "results", "scenario", "model",
            ],
        ),
        ("scenario", &["report", "study", "cli", "run", "results"]),
        (
            "output",
            &[
                "report", "study", "cli", "run", "results", "scenario", "model",
            ],
        ),
    ];
    // The reader must see the allowed direction, or an empty graph would pass.
    let top = |m: &Vec<String>| m.first().cloned().unwrap_or_default();
    assert!(
        graph
            .iter()
            .any(|(from, to)| top(from) == "report" && to.keys().any(|t| top(t) == "study")),
        "the reader should see report/ using study/"
    );
    let mut wrong = Vec::new();
    for (from, targets) in &graph {
        for (lower, higher) in &rules {
            if from.first().map(String::as_str) != Some(*lower) {
                continue;
            }
            for (to, names) in targets {
                if let Some(top) = to.first().filter(|t| higher.contains(&t.as_str())) {
                    wrong.push(format!(
                        "{} uses {} ({top} is a higher layer): {}",
                        from.join("::"),
                        to.join("::"),
                        names.iter().cloned().collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
