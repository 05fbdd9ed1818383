//! Bit-level reading and writing for rest octets (CSN.1, TS 24.007 §11 / TS 44.018 §10.5.2.x):
//! bits are taken most significant first; `L`/`H` are the padding bit (0x2B pattern) at that
//! position and its complement.

/// The spare padding octet of rest octets and L2 fill.
pub const PADDING: u8 = 0x2b;

/// The padding bit at absolute bit position `pos` (MSB-first within each octet).
fn pad_bit(pos: usize) -> u8 {
    (PADDING >> (7 - (pos % 8))) & 1
}

/// Reads bits MSB first; reading past the end yields `None`.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    /// A reader at the first bit of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// Bits left.
    pub fn remaining(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.pos)
    }

    /// One bit.
    pub fn bit(&mut self) -> Option<u8> {
        let byte = self.data.get(self.pos / 8)?;
        let b = (byte >> (7 - (self.pos % 8))) & 1;
        self.pos += 1;
        Some(b)
    }

    /// `n` bits (≤ 32) as an unsigned number, first bit most significant.
    pub fn bits(&mut self, n: usize) -> Option<u32> {
        if n > 32 || self.remaining() < n {
            return None;
        }
        let mut v = 0u32;
        for _ in 0..n {
            v = (v << 1) | u32::from(self.bit()?);
        }
        Some(v)
    }

    /// A CSN.1 `L | H` choice: `Some(true)` for H, `Some(false)` for L, `None` at the end (which
    /// callers treat as L: truncated rest octets are padding).
    pub fn lh(&mut self) -> Option<bool> {
        let pos = self.pos;
        self.bit().map(|b| b != pad_bit(pos))
    }

    /// Like [`BitReader::lh`], with the end of data read as L.
    pub fn h(&mut self) -> bool {
        self.lh().unwrap_or(false)
    }
}

/// Writes bits MSB first into a fixed-size buffer; bits past the end are dropped and flagged.
#[derive(Debug)]
pub struct BitWriter<'a> {
    data: &'a mut [u8],
    pos: usize,
    overflow: bool,
}

impl<'a> BitWriter<'a> {
    /// A writer at the first bit of `data` (its contents are overwritten bit by bit).
    pub fn new(data: &'a mut [u8]) -> Self {
        Self {
            data,
            pos: 0,
            overflow: false,
        }
    }

    /// One bit (non-zero = 1).
    pub fn bit(&mut self, b: u8) {
        let pos = self.pos;
        match self.data.get_mut(pos / 8) {
            Some(byte) => {
                let mask = 1u8 << (7 - (pos % 8));
                if b != 0 {
                    *byte |= mask;
                } else {
                    *byte &= !mask;
                }
            }
            None => self.overflow = true,
        }
        self.pos += 1;
    }

    /// The low `n` bits of `v`, most significant first.
    pub fn bits(&mut self, v: u32, n: usize) {
        for i in (0..n.min(32)).rev() {
            self.bit(((v >> i) & 1) as u8);
        }
    }

    /// A CSN.1 `L` (false) or `H` (true).
    pub fn lh(&mut self, h: bool) {
        let p = pad_bit(self.pos);
        self.bit(if h { p ^ 1 } else { p });
    }

    /// Fills the rest of the buffer with the padding pattern.
    pub fn pad(&mut self) {
        while self.pos < self.data.len() * 8 {
            let p = pad_bit(self.pos);
            self.bit(p);
        }
    }

    /// True when something was written past the end of the buffer.
    pub fn overflowed(&self) -> bool {
        self.overflow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lh_follows_the_padding_pattern() {
        // 0x2B read as L/H is all L; its complement all H.
        let mut r = BitReader::new(&[0x2b, 0xd4]);
        assert!((0..8).all(|_| r.lh() == Some(false)));
        assert!((0..8).all(|_| r.lh() == Some(true)));
        assert_eq!(r.lh(), None);
        let mut buf = [0u8; 2];
        let mut w = BitWriter::new(&mut buf);
        w.lh(true);
        w.bits(0b101, 3);
        w.pad();
        assert!(!w.overflowed());
        let mut r = BitReader::new(&buf);
        assert_eq!(r.lh(), Some(true));
        assert_eq!(r.bits(3), Some(0b101));
        assert_eq!(buf[1], 0x2b);
    }
}
