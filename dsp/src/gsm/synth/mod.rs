//! The GSM scene generator: cells, multiframe scheduling, channel impairments and mixing.
