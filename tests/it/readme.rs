//! The README's commands run as written on a fresh clone: every `towerwatch …` (or
//! `cargo run --release -- …`) line in its `sh` blocks names a real subcommand and real flags, and
//! every repository file it names ships. The cheap read-only ones are run.

use crate::common;
use std::path::Path;

fn readme_commands() -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut in_sh = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        // Drop the comment and a shell redirection; keep the command words.
        let cmd = line.split(" #").next().unwrap_or("").trim();
        let cmd = cmd.split(" > ").next().unwrap_or("").trim();
        if let Some(rest) = cmd.strip_prefix("cargo run --release -- ") {
            out.push(format!("towerwatch {rest}"));
        } else if cmd.starts_with("towerwatch ") {
            out.push(cmd.to_string());
        }
    }
    out
}

/// Split a command line into words, keeping a double-quoted word whole.
fn words(cmd: &str) -> Vec<String> {
    let mut v = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in cmd.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    v.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        v.push(cur);
    }
    v
}

#[test]
fn readme_commands_name_real_subcommands_flags_and_files() {
    let cmds = readme_commands();
    assert!(cmds.len() >= 15, "too few commands found: {cmds:#?}");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for cmd in &cmds {
        let w = words(cmd);
        // The subcommand path: `baseline operators` has two levels.
        let mut path: Vec<&str> = vec![w[1].as_str()];
        if w[1] == "baseline" && w.len() > 2 && !w[2].starts_with('-') {
            path.push(w[2].as_str());
        }
        let mut help = common::towerwatch();
        help.args(&path).arg("--help");
        let out = help.output().unwrap();
        assert!(
            out.status.success(),
            "`{cmd}`: no subcommand {path:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let help_text = String::from_utf8_lossy(&out.stdout);
        for flag in w.iter().filter(|x| x.starts_with("--")) {
            let name = flag.split('=').next().unwrap();
            assert!(help_text.contains(name), "`{cmd}`: {path:?} has no {name}");
        }
        for word in &w {
            let file = word
                .strip_prefix("scene:")
                .map_or(word.as_str(), |s| s.split(',').next().unwrap_or(s));
            if file.starts_with("recordings/") || file.starts_with("hardware-profiles/") {
                assert!(
                    root.join(file).exists(),
                    "`{cmd}` names a missing file {file}"
                );
            }
        }
    }
}

#[test]
fn readme_read_only_commands_run() {
    for cmd in readme_commands() {
        let w = words(&cmd);
        if !matches!(w[1].as_str(), "info" | "verify") {
            continue;
        }
        let out = common::towerwatch()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(&w[1..])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`{cmd}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
