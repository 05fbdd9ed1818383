//! Exit statuses shared by every command (the README's table lists them all).

/// `towerwatch eval`: a label of the corpus was not met.
pub const EXIT_LABEL_NOT_MET: u8 = 1;

/// Errors: bad input, bad arguments, device failure (a one-line message on stderr).
pub const EXIT_ERROR: u8 = 2;

/// An alert at or above the reporting threshold was raised.
pub const EXIT_ALERT: u8 = 10;

/// A run stopped by Ctrl-C / SIGTERM / SIGHUP before its input ended (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Standard output was closed by its reader (128 + SIGPIPE).
pub const EXIT_BROKEN_PIPE: u8 = 141;
