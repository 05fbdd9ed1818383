//! The GSM downlink receiver: FCCH search → SCH search → synchronised, normal-burst demodulation.
