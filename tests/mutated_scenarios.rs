//! Random mutations of every shipped scenario (deleted lines, duplicated lines, wrong types,
//! swapped units, huge and negative numbers, NaN, empty strings, unicode) never panic: each
//! either loads and runs, or is refused with messages that name the file (and, for everything
//! but whole-file problems, the line and column).
//!
//! Mutations are drawn from a fixed seed, so a failure always reproduces.

use rand::{Rng, SeedableRng};

const REPLACEMENTS: &[&str] = &[
    "-1",
    "0",
    "NaN",
    ".nan",
    "1e300",
    "-1e300",
    "\"\"",
    "ü",
    "🙂",
    "10",
    "abc",
    "[]",
    "{}",
    "~",
    "true",
    "18446744073709551616",
    "0.0000000001ns",
    "5/0s",
    "3x",
    "100%",
    "150%",
    "10ms",
    "1200/s",
    "'web[9]'",
];

fn mutate(text: &str, rng: &mut rand_chacha::ChaCha8Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return String::new();
    }
    for _ in 0..rng.random_range(1..=3) {
        let i = rng.random_range(0..lines.len());
        match rng.random_range(0..6) {
            0 => {
                lines.remove(i);
                if lines.is_empty() {
                    break;
                }
            }
            1 => {
                let copy = lines[i].clone();
                lines.insert(i, copy);
            }
            2 | 3 => {
                // Replace the value after the first ':' (or the whole line).
                let with = REPLACEMENTS[rng.random_range(0..REPLACEMENTS.len())];
                let line = &lines[i];
                lines[i] = match line.find(": ") {
                    Some(at) => format!("{}: {with}", &line[..at]),
                    None => with.to_string(),
                };
            }
            4 => lines[i] = lines[i].replace("ms", "/s").replace("/s", "ms"),
            _ => lines[i] = lines[i].replacen(' ', "\t", 1),
        }
    }
    lines.join("\n") + "\n"
}

#[test]
fn mutated_scenarios_never_panic_and_errors_are_located() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = ["scenarios", "benches/scenarios"]
        .iter()
        .flat_map(|dir| {
            std::fs::read_dir(root.join(dir))
                .expect("scenario folder")
                .filter_map(Result::ok)
        })
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 8);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let (mut refused, mut accepted) = (0, 0);
    for file in &files {
        let original = std::fs::read_to_string(file).expect("readable");
        for _ in 0..150 {
            let text = mutate(&original, &mut rng);
            match sim::scenario::load_str(&text, "mutant.yaml", "mutant") {
                Err(e) => {
                    refused += 1;
                    let rendered = e.render();
                    assert!(!e.diagnostics.is_empty());
                    assert!(
                        rendered.starts_with("error: mutant.yaml"),
                        "{rendered}\n--- from ---\n{text}"
                    );
                    for d in &e.diagnostics {
                        if let Some(loc) = d.loc {
                            assert!(loc.line >= 1 && loc.column >= 1, "{rendered}");
                        }
                    }
                }
                Ok(mut plan) => {
                    accepted += 1;
                    // Short, bounded runs: a mutant may describe an overload or a huge rate.
                    plan.duration = Some(sim::engine::SimDuration::from_secs(2));
                    plan.requests = Some(300);
                    plan.max_events = Some(200_000);
                    sim::run::run(plan, None).expect("a valid plan builds");
                }
            }
        }
    }
    println!("{refused} mutants refused, {accepted} accepted and run");
    assert!(refused > 400, "the mutations should break most files");
}
