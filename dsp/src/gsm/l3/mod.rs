//! LAPDm framing (TS 44.006) and the RR messages a detector needs (TS 44.018, IEs per TS 24.008).
