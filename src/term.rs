//! Safe terminal and standard-output handling.
//!
//! - [`escape`]: every text that came from a file or the air (SigMF `core:hw`, descriptions,
//!   annotation labels, profile and scene names, operator names, SMS text with
//!   `--reveal-identities`) goes through it before it reaches a terminal, the dashboard or a log,
//!   so a recording cannot clear the screen, retitle the window or hide text.
//! - [`install_stdout_guard`] and [`NamedWriter`]: standard output going away or filling up is an
//!   outcome, not a panic. A closed pipe (`towerwatch info X | head -1`) ends the program quietly
//!   with [`EXIT_BROKEN_PIPE`] (141, what a shell reports for a program killed by SIGPIPE); any
//!   other write error (a full disk: `> /dev/full`) prints one line naming what could not be
//!   written and exits with [`EXIT_WRITE_ERROR`] (2).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

pub use crate::exit::EXIT_BROKEN_PIPE;
/// Exit status when an output could not be written (full disk, I/O error).
pub const EXIT_WRITE_ERROR: u8 = 2;

/// Whether `c` must not reach a terminal as is: C0 and C1 controls, DEL, and the Unicode
/// bidirectional overrides and isolates (which reorder what is shown).
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character (and bidi override) shown escaped: `\x1b`, `\n`, `\u{202e}`.
/// Text without them is returned as is.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) && (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether `e` (or an error it wraps) is standard output's reader going away.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(BrokenPipe))
    })
}

/// Makes the standard library's print macros (which panic when standard output fails) end the
/// program like any other write error: quietly with [`EXIT_BROKEN_PIPE`] on a closed pipe, with
/// one line and [`EXIT_WRITE_ERROR`] otherwise. Other panics keep the default report.
pub fn install_stdout_guard() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if let Some(why) = msg.strip_prefix("failed printing to stdout: ") {
            if why.contains("Broken pipe") || why.contains("os error 32") {
                std::process::exit(i32::from(EXIT_BROKEN_PIPE));
            }
            eprintln!("towerwatch: error: cannot write to standard output: {why}");
            std::process::exit(i32::from(EXIT_WRITE_ERROR));
        }
        if msg.starts_with("failed printing to stderr") {
            // Nowhere left to say anything (the terminal is gone): end without a word.
            std::process::exit(i32::from(EXIT_WRITE_ERROR));
        }
        default(info);
    }));
}

/// A writer whose errors name what was being written (`standard output`, a file path), keeping
/// the error kind (so a closed pipe is still recognised).
pub struct NamedWriter<W: Write> {
    inner: W,
    name: String,
}

impl<W: Write> NamedWriter<W> {
    /// Wraps `inner`, naming it `name` in errors.
    pub fn new(inner: W, name: impl Into<String>) -> Self {
        NamedWriter {
            inner,
            name: name.into(),
        }
    }

    fn named(&self, e: std::io::Error) -> std::io::Error {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return e;
        }
        std::io::Error::new(e.kind(), format!("cannot write to {}: {e}", self.name))
    }
}

impl<W: Write> Write for NamedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).map_err(|e| self.named(e))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().map_err(|e| self.named(e))
    }
}

/// Buffered standard output whose errors say `standard output`.
pub fn stdout() -> std::io::BufWriter<NamedWriter<std::io::StdoutLock<'static>>> {
    std::io::BufWriter::new(NamedWriter::new(
        std::io::stdout().lock(),
        "standard output",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(escape("plain text é"), "plain text é");
        assert_eq!(
            escape("\u{1b}[2J\u{1b}]0;pwned\u{7}"),
            "\\x1b[2J\\x1b]0;pwned\\x07"
        );
        assert_eq!(escape("a\nb\u{9b}c\u{202e}d"), "a\\nb\\u{9b}c\\u{202e}d");
    }
}
