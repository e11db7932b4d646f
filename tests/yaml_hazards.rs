//! Hostile YAML: each hazard gives exit code 2 and a located, readable message quickly, with
//! bounded memory (the parser's budgets and our file-size limit stop it early).

use std::process::Command;

fn validate(text: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hazard.yaml");
    std::fs::write(&path, text).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .current_dir(dir.path())
        .args(["validate", "hazard.yaml"])
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn first_line(stderr: &str) -> &str {
    stderr.lines().next().unwrap_or("")
}

#[test]
fn alias_bombs_are_refused() {
    // "Billion laughs": ten levels of ten aliases each would expand to 10^10 nodes.
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let (code, stderr) = validate(&text);
    assert_eq!(code, Some(2));
    assert!(
        first_line(&stderr).starts_with("error: hazard.yaml:"),
        "{stderr}"
    );
    assert!(
        first_line(&stderr).contains("too many YAML nodes"),
        "{stderr}"
    );
}

#[test]
fn deep_nesting_is_refused_and_the_line_is_shown_cut() {
    let text = format!("run: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let (code, stderr) = validate(&text);
    assert_eq!(code, Some(2));
    assert!(
        first_line(&stderr).contains("nested too deeply"),
        "{stderr}"
    );
    assert!(
        stderr.len() < 2_000,
        "the 200,000-character line is not echoed whole"
    );
}

#[test]
fn very_large_files_are_refused_before_parsing() {
    let text = format!("description: \"{}\"\n", "x".repeat(5_000_000));
    let (code, stderr) = validate(&text);
    assert_eq!(code, Some(2));
    assert_eq!(
        first_line(&stderr),
        "error: hazard.yaml: the file is 5000016 bytes; scenarios are limited to 4194304 bytes"
    );
}

#[test]
fn binary_garbage_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hazard.yaml");
    std::fs::write(&path, [0xff, 0xfe, 0x00, 0x41, 0x80]).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .arg("validate")
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not UTF-8"));
}

#[test]
fn custom_tags_are_refused_where_they_are_written() {
    let base = "name: t\nrun: {duration: 1s}\ntraffic:\n  - {name: u, to: web, rate: 1/s}\ncomponents:\n  - server: {name: web, service_time: 1ms}\n";
    let (code, stderr) = validate(&base.replace("rate: 1/s", "rate: !custom 1/s"));
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "error: hazard.yaml:4:30: the YAML tag '!custom' is not supported\n  |\n4 |   - {name: u, to: web, rate: !custom 1/s}\n  |                              ^\n  \
         = help: tags mean nothing to sim, and it ignores nothing silently: remove the tag, or quote the value if the tag is part of its text\n"
    );
    // On a key, on a mapping, with a global name: all refused.
    for tagged in [
        base.replace("run:", "!secret run:"),
        base.replace("run: {", "run: !x {"),
        base.replace("rate: 1/s", "rate: !<tag:example.com,2026:rate> 1/s"),
        base.replace("service_time: 1ms", "service_time: !!binary 1ms"),
    ] {
        let (code, stderr) = validate(&tagged);
        assert_eq!(code, Some(2), "{tagged}");
        assert!(
            first_line(&stderr).starts_with("error: hazard.yaml:"),
            "{tagged}\n{stderr}"
        );
    }
    // YAML's own tags for plain values still read as those values.
    let (code, stderr) = validate(&base.replace("rate: 1/s", "rate: !!str 1/s"));
    assert_eq!(code, Some(0), "{stderr}");
}
