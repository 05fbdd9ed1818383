//! Top-level `--help`: subcommands grouped by who uses them (field, investigation, lab,
//! configuration) instead of one flat list of twenty.
//!
//! clap has no subcommand groups, so the list is drawn here from the command tree itself (the
//! one-line `about` of each subcommand) and put into the help template. A subcommand missing
//! from [`GROUPS`] still shows, under "Other", and a test keeps that group empty.

use clap::Command;

/// Which subcommands each group holds, in the order shown.
pub(crate) const GROUPS: &[(&str, &[&str])] = &[
    (
        "Field (a live receiver)",
        &[
            "scan", "find", "locate", "hub", "record", "spectrum", "devices",
        ],
    ),
    (
        "Investigation (recordings and evidence)",
        &[
            "replay",
            "decode",
            "decode-bursts",
            "info",
            "verify",
            "evidence",
            "report",
        ],
    ),
    (
        "Lab (synthetic signals, speed)",
        &["demo", "synth", "eval", "bench"],
    ),
    (
        "Configuration",
        &["baseline", "survey", "detectors", "profiles"],
    ),
];

/// Name of the group that collects subcommands no group lists.
pub(crate) const OTHER: &str = "Other";

/// The grouped subcommand list, as printed in `towerwatch --help`.
pub(crate) fn grouped_list(cmd: &Command) -> String {
    let subs: Vec<&Command> = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .collect();
    let width = subs.iter().map(|c| c.get_name().len()).max().unwrap_or(0);
    let line = |c: &Command| {
        let about = c.get_about().map(|a| a.to_string()).unwrap_or_default();
        format!(
            "  {:width$}  {}\n",
            c.get_name(),
            first_sentence(&about, 96usize.saturating_sub(width + 4))
        )
    };
    let mut out = String::new();
    for (heading, names) in GROUPS {
        out.push_str(&format!("{heading}:\n"));
        for name in *names {
            if let Some(c) = subs.iter().find(|c| c.get_name() == *name) {
                out.push_str(&line(c));
            }
        }
        out.push('\n');
    }
    let others: Vec<&&Command> = subs
        .iter()
        .filter(|c| !GROUPS.iter().any(|(_, n)| n.contains(&c.get_name())))
        .collect();
    if !others.is_empty() {
        out.push_str(&format!("{OTHER}:\n"));
        for c in others {
            out.push_str(&line(c));
        }
        out.push('\n');
    }
    out
}

/// The first sentence of `about`, cut at a word boundary to at most `max_chars` characters.
fn first_sentence(about: &str, max_chars: usize) -> String {
    let sentence = about
        .split(". ")
        .next()
        .unwrap_or_default()
        .trim_end_matches('.');
    if sentence.chars().count() <= max_chars {
        return sentence.to_string();
    }
    let mut out = String::new();
    for word in sentence.split_whitespace() {
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

/// The root command with the grouped list in its help.
pub(crate) fn with_groups(cmd: Command) -> Command {
    let list = grouped_list(&cmd);
    cmd.help_template(format!(
        "{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{list}Options:\n{{options}}{{after-help}}"
    ))
}
