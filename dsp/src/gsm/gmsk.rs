//! GMSK modulation (TS 45.004, BT = 0.3).
