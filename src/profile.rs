//! Hardware profiles: one TOML per receiver in `hardware-profiles/`.
