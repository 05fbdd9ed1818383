//! Deterministic random numbers, tones and noise.
