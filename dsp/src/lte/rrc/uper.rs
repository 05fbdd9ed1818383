//! A minimal unaligned PER (ITU-T X.691, UNALIGNED variant) bit reader and writer, with the
//! few encodings the broadcast messages need: constrained whole numbers, fixed bit strings,
//! bounded lengths, extensible enumerations and normally small non-negative numbers.
//! Every read is bounds-checked and returns [`RrcError`] instead of panicking.

use super::RrcError;

/// Reads bits most significant first from octets.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

/// Bits needed for a constrained whole number with `range` values (X.691 §11.5.7.1,
/// unaligned: the minimum number of bits).
pub fn range_bits(range: u64) -> usize {
    if range <= 1 {
        0
    } else {
        (u64::BITS - (range - 1).leading_zeros()) as usize
    }
}

impl<'a> BitReader<'a> {
    /// A reader at the first bit of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0 }
    }

    /// Bits consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bits left.
    pub fn remaining(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.pos)
    }

    /// Reads `n ≤ 32` bits as an unsigned number.
    pub fn bits(&mut self, n: usize) -> Result<u32, RrcError> {
        if n > 32 || n > self.remaining() {
            return Err(RrcError::Truncated { at_bit: self.pos });
        }
        let mut v = 0u32;
        for _ in 0..n {
            let byte = self.data[self.pos / 8];
            let bit = (byte >> (7 - self.pos % 8)) & 1;
            v = (v << 1) | u32::from(bit);
            self.pos += 1;
        }
        Ok(v)
    }

    /// Reads one bit as a boolean.
    pub fn flag(&mut self) -> Result<bool, RrcError> {
        Ok(self.bits(1)? == 1)
    }

    /// Reads a constrained whole number in `lo..=hi`; `field` names it in the error when the
    /// encoded offset lies beyond `hi`.
    pub fn constrained(&mut self, lo: i64, hi: i64, field: &'static str) -> Result<i64, RrcError> {
        let range = (hi - lo + 1) as u64;
        let v = i64::from(self.bits(range_bits(range))?);
        if v > hi - lo {
            return Err(RrcError::OutOfRange { field });
        }
        Ok(lo + v)
    }

    /// Reads an enumeration without extension marker of `count` values.
    pub fn enumerated(&mut self, count: u64, field: &'static str) -> Result<u32, RrcError> {
        Ok(self.constrained(0, count as i64 - 1, field)? as u32)
    }

    /// Reads an extensible enumeration with `root` values: `Ok((false, i))` for a root value,
    /// `Ok((true, i))` for the `i`-th extension value (X.691 §14).
    pub fn extensible_enumerated(
        &mut self,
        root: u64,
        field: &'static str,
    ) -> Result<(bool, u32), RrcError> {
        if self.flag()? {
            Ok((true, self.normally_small()?))
        } else {
            Ok((false, self.enumerated(root, field)?))
        }
    }

    /// Reads a normally small non-negative whole number (X.691 §11.6).
    pub fn normally_small(&mut self) -> Result<u32, RrcError> {
        if !self.flag()? {
            return self.bits(6);
        }
        // Semi-constrained: an octet length then that many octets (bounded to 4 here).
        let len = self.bits(8)? as usize;
        if len == 0 || len > 4 {
            return Err(RrcError::OutOfRange {
                field: "normally small number",
            });
        }
        self.bits(8 * len)
    }

    /// Skips `n` bits.
    pub fn skip(&mut self, n: usize) -> Result<(), RrcError> {
        if n > self.remaining() {
            return Err(RrcError::Truncated { at_bit: self.pos });
        }
        self.pos += n;
        Ok(())
    }
}

/// Writes bits most significant first into octets.
#[derive(Debug, Clone, Default)]
pub struct BitWriter {
    data: Vec<u8>,
    len: usize,
}

impl BitWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the `n ≤ 32` low bits of `v`.
    pub fn bits(&mut self, v: u32, n: usize) {
        for i in (0..n.min(32)).rev() {
            if self.len.is_multiple_of(8) {
                self.data.push(0);
            }
            let bit = ((v >> i) & 1) as u8;
            let last = self.data.len() - 1;
            self.data[last] |= bit << (7 - self.len % 8);
            self.len += 1;
        }
    }

    /// Appends one bit.
    pub fn flag(&mut self, b: bool) {
        self.bits(u32::from(b), 1);
    }

    /// Appends a constrained whole number `v` in `lo..=hi`; `OutOfRange` if it is not.
    pub fn constrained(
        &mut self,
        v: i64,
        lo: i64,
        hi: i64,
        field: &'static str,
    ) -> Result<(), RrcError> {
        if v < lo || v > hi {
            return Err(RrcError::OutOfRange { field });
        }
        self.bits((v - lo) as u32, range_bits((hi - lo + 1) as u64));
        Ok(())
    }

    /// Appends an extensible enumeration value (root index or extension index).
    pub fn extensible_enumerated(
        &mut self,
        extension: bool,
        index: u32,
        root: u64,
        field: &'static str,
    ) -> Result<(), RrcError> {
        self.flag(extension);
        if extension {
            if index < 64 {
                self.flag(false);
                self.bits(index, 6);
            } else {
                self.flag(true);
                self.bits(4, 8);
                self.bits(index, 32);
            }
            Ok(())
        } else {
            self.constrained(i64::from(index), 0, root as i64 - 1, field)
        }
    }

    /// Bits written.
    pub fn len_bits(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The octets, the last one padded with zero bits.
    pub fn into_bytes(self) -> Vec<u8> {
        self.data
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_round_trip() {
        assert_eq!(range_bits(1), 0);
        assert_eq!(range_bits(2), 1);
        assert_eq!(range_bits(49), 6); // q-RxLevMin −70..−22
        assert_eq!(range_bits(64), 6);
        assert_eq!(range_bits(65), 7);
        let mut w = BitWriter::new();
        w.constrained(-22, -70, -22, "q").unwrap();
        w.bits(0xABC, 12);
        w.extensible_enumerated(true, 3, 16, "e").unwrap();
        w.extensible_enumerated(false, 15, 16, "e").unwrap();
        assert!(w.constrained(9, 0, 8, "x").is_err());
        let bits = w.len_bits();
        let bytes = w.into_bytes();
        assert_eq!(bytes.len(), bits.div_ceil(8));
        let mut r = BitReader::new(&bytes);
        assert_eq!(r.constrained(-70, -22, "q").unwrap(), -22);
        assert_eq!(r.bits(12).unwrap(), 0xABC);
        assert_eq!(r.extensible_enumerated(16, "e").unwrap(), (true, 3));
        assert_eq!(r.extensible_enumerated(16, "e").unwrap(), (false, 15));
        assert_eq!(r.position(), bits);
        assert!(r.bits(33).is_err());
        assert!(r.skip(100).is_err());
    }

    #[test]
    fn out_of_range_and_truncation_are_errors() {
        // 6 bits of 63 for a range of 49 values.
        let mut r = BitReader::new(&[0xFC]);
        assert_eq!(
            r.constrained(-70, -22, "q-RxLevMin"),
            Err(RrcError::OutOfRange {
                field: "q-RxLevMin"
            })
        );
        let mut r = BitReader::new(&[]);
        assert_eq!(r.flag(), Err(RrcError::Truncated { at_bit: 0 }));
    }
}
