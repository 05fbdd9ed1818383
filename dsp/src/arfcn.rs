//! GSM bands and ARFCN tables.
