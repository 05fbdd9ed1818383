//! The streaming pipeline: source thread → bounded channel → DSP thread → observations.
