//! FIR design, frequency shifting, decimation and rational resampling.
