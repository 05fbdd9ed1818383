//! Welch PSD.
