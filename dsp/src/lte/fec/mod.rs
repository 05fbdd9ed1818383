//! LTE channel coding (3GPP TS 36.212) and pseudo-random sequences (TS 36.211 §7.2).
