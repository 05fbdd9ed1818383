//! Parser for burst listings in gr-gsm's text form, one burst per line: `FN TS SUBTYPE BITS`, where
//! BITS is 148 characters `0`/`1` (tail to tail) and SUBTYPE is the GSMTAP burst subtype
//! (1 FCCH, 3 SCH, 6 normal, 7 dummy).

use crate::gsm::burst::hard_to_soft;

/// One parsed line of a burst listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BurstLine {
    /// TDMA frame number.
    pub frame_number: u32,
    /// Timeslot, 0–7.
    pub timeslot: u8,
    /// GSMTAP burst subtype as written by gr-gsm (1 FCCH, 3 SCH, 6 normal, 7 dummy, …).
    pub subtype: u8,
    /// The 148 hard bits, tail to tail.
    pub bits: [u8; 148],
}

impl BurstLine {
    /// The bits as soft bits (`2b − 1`).
    pub fn soft(&self) -> [f32; 148] {
        self.bits.map(hard_to_soft)
    }
}

/// Why a listing line did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BurstLineError {
    /// The line does not have exactly four whitespace-separated fields.
    #[error("expected 4 fields (FN TS SUBTYPE BITS), found {0}")]
    Fields(usize),
    /// A numeric field is not a number or is out of range.
    #[error("bad {field}: {value:?}")]
    Number {
        /// Which field.
        field: &'static str,
        /// What was there (truncated to 32 characters).
        value: String,
    },
    /// The bit field is not 148 characters long.
    #[error("expected 148 bits, found {0}")]
    BitCount(usize),
    /// The bit field holds a character other than `0` or `1`.
    #[error("bit field holds {0:?}, not 0/1")]
    BitChar(char),
}

fn number<T: std::str::FromStr>(field: &'static str, s: &str) -> Result<T, BurstLineError> {
    s.parse().map_err(|_| BurstLineError::Number {
        field,
        value: s.chars().take(32).collect(),
    })
}

/// Parses one listing line `FN TS SUBTYPE BITS` (surrounding whitespace is ignored).
pub fn parse_burst_line(line: &str) -> Result<BurstLine, BurstLineError> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [fn_s, ts_s, sub_s, bits_s] = fields.as_slice() else {
        return Err(BurstLineError::Fields(fields.len()));
    };
    let frame_number: u32 = number("frame number", fn_s)?;
    let timeslot: u8 = number("timeslot", ts_s)?;
    if timeslot > 7 {
        return Err(BurstLineError::Number {
            field: "timeslot",
            value: (*ts_s).to_string(),
        });
    }
    let subtype: u8 = number("subtype", sub_s)?;
    let count = bits_s.chars().count();
    if count != 148 {
        return Err(BurstLineError::BitCount(count));
    }
    let mut bits = [0u8; 148];
    for (slot, c) in bits.iter_mut().zip(bits_s.chars()) {
        *slot = match c {
            '0' => 0,
            '1' => 1,
            other => return Err(BurstLineError::BitChar(other)),
        };
    }
    Ok(BurstLine {
        frame_number,
        timeslot,
        subtype,
        bits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let bits: String = (0..148)
            .map(|i| if i % 3 == 0 { '1' } else { '0' })
            .collect();
        let line = format!("860901 1 7 {bits}\n");
        let parsed = parse_burst_line(&line).unwrap();
        assert_eq!(
            (parsed.frame_number, parsed.timeslot, parsed.subtype),
            (860_901, 1, 7)
        );
        assert_eq!(parsed.bits[0], 1);
        assert_eq!(parsed.bits[1], 0);
        assert_eq!(parsed.soft()[0], 1.0);
        assert_eq!(parsed.soft()[1], -1.0);
        assert_eq!(parse_burst_line("1 2 3"), Err(BurstLineError::Fields(3)));
        assert!(matches!(
            parse_burst_line(&format!("x 1 7 {bits}")),
            Err(BurstLineError::Number { .. })
        ));
        assert!(matches!(
            parse_burst_line(&format!("1 8 7 {bits}")),
            Err(BurstLineError::Number { .. })
        ));
        assert_eq!(
            parse_burst_line("1 1 7 0101"),
            Err(BurstLineError::BitCount(4))
        );
        let bad: String = bits.replacen('0', "2", 1);
        assert_eq!(
            parse_burst_line(&format!("1 1 7 {bad}")),
            Err(BurstLineError::BitChar('2'))
        );
        assert_eq!(parse_burst_line(""), Err(BurstLineError::Fields(0)));
    }
}
