//! The GSM rate-1/2, constraint-length-5 convolutional code (TS 45.003 §4.1.3):
//! `G0 = 1 + D³ + D⁴`, `G1 = 1 + D + D³ + D⁴`, and a soft-decision Viterbi decoder.
//!
//! The encoder starts in the all-zero state; callers append the four zero tail bits the spec
//! prescribes, so the decoder also ends in state 0.

use super::CodingError;

/// Number of encoder states (2^(K−1), K = 5).
const STATES: usize = 16;
/// Longest input the decoder accepts, in information bits including tail (xCCH: 184 + 40 + 4).
pub const MAX_CONV_INPUT_BITS: usize = 228;

/// The two output bits for input bit `b` in encoder state `state`
/// (`state` bit 0 = u(k−1), bit 1 = u(k−2), bit 2 = u(k−3), bit 3 = u(k−4)).
fn outputs(state: usize, b: usize) -> (u8, u8) {
    let u1 = state & 1;
    let u3 = (state >> 2) & 1;
    let u4 = (state >> 3) & 1;
    let g0 = b ^ u3 ^ u4;
    let g1 = b ^ u1 ^ u3 ^ u4;
    (g0 as u8, g1 as u8)
}

/// Encodes `input` (bits 0/1; tail bits included by the caller) into `output`, two bits per input
/// bit: `c(2k) = u(k) ⊕ u(k−3) ⊕ u(k−4)`, `c(2k+1) = u(k) ⊕ u(k−1) ⊕ u(k−3) ⊕ u(k−4)`.
///
/// Returns [`CodingError::Length`] when `output.len() != 2 * input.len()`.
pub fn conv_encode(input: &[u8], output: &mut [u8]) -> Result<(), CodingError> {
    if output.len() != input.len().saturating_mul(2) {
        return Err(CodingError::Length {
            expected: input.len().saturating_mul(2),
            got: output.len(),
        });
    }
    let mut state = 0usize;
    for (bit, pair) in input.iter().zip(output.chunks_exact_mut(2)) {
        let b = usize::from(*bit != 0);
        let (g0, g1) = outputs(state, b);
        pair[0] = g0;
        pair[1] = g1;
        state = ((state << 1) | b) & (STATES - 1);
    }
    Ok(())
}

/// Soft-decision Viterbi decoder for the code of [`conv_encode`], for a block that starts and ends
/// in state 0 (the tail bits are decoded too and land in `output`).
///
/// `soft` holds two soft bits per information bit (> 0 means 1). Returns the number of coded bits
/// whose hard decision disagrees with the re-encoded decision (a channel-error estimate).
/// Errors: [`CodingError::Length`] when `soft.len() != 2 * output.len()` or `output` is longer
/// than [`MAX_CONV_INPUT_BITS`]. Uses only fixed-size stack arrays.
pub fn viterbi_decode(soft: &[f32], output: &mut [u8]) -> Result<u32, CodingError> {
    let n = output.len();
    if n > MAX_CONV_INPUT_BITS {
        return Err(CodingError::Length {
            expected: MAX_CONV_INPUT_BITS,
            got: n,
        });
    }
    if soft.len() != n.saturating_mul(2) {
        return Err(CodingError::Length {
            expected: n.saturating_mul(2),
            got: soft.len(),
        });
    }
    const NEG: f32 = -1.0e30;
    let mut metric = [NEG; STATES];
    metric[0] = 0.0;
    // decisions[k] bit s = the dropped oldest bit u(k−4) on the survivor into state s at step k.
    let mut decisions = [0u16; MAX_CONV_INPUT_BITS];
    for (k, pair) in soft.chunks_exact(2).enumerate() {
        // Non-finite soft values carry no information.
        let s0 = if pair[0].is_finite() { pair[0] } else { 0.0 };
        let s1 = if pair[1].is_finite() { pair[1] } else { 0.0 };
        let mut next = [NEG; STATES];
        let mut dec = 0u16;
        for (ns, slot) in next.iter_mut().enumerate() {
            let b = ns & 1;
            let mut best = NEG;
            let mut best_x = 0u16;
            for x in 0..2usize {
                let prev = (ns >> 1) | (x << 3);
                let (g0, g1) = outputs(prev, b);
                let bm = if g0 == 1 { s0 } else { -s0 } + if g1 == 1 { s1 } else { -s1 };
                let m = metric[prev] + bm;
                if m > best {
                    best = m;
                    best_x = x as u16;
                }
            }
            *slot = best;
            dec |= best_x << ns;
        }
        if let Some(d) = decisions.get_mut(k) {
            *d = dec;
        }
        metric = next;
    }
    // Trace back from state 0.
    let mut state = 0usize;
    for k in (0..n).rev() {
        let b = (state & 1) as u8;
        if let Some(o) = output.get_mut(k) {
            *o = b;
        }
        let x = usize::from((decisions.get(k).copied().unwrap_or(0) >> state) & 1);
        state = (state >> 1) | (x << 3);
    }
    // Count disagreements between the received hard bits and the re-encoded path.
    let mut errors = 0u32;
    let mut st = 0usize;
    for (bit, pair) in output.iter().zip(soft.chunks_exact(2)) {
        let b = usize::from(*bit != 0);
        let (g0, g1) = outputs(st, b);
        if (pair[0] > 0.0) != (g0 == 1) {
            errors += 1;
        }
        if (pair[1] > 0.0) != (g1 == 1) {
            errors += 1;
        }
        st = ((st << 1) | b) & (STATES - 1);
    }
    Ok(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impulse_response_matches_generators() {
        // A single 1 followed by zeros gives the generator taps: G0 = 1 0 0 1 1, G1 = 1 1 0 1 1.
        let input = [1u8, 0, 0, 0, 0];
        let mut out = [0u8; 10];
        conv_encode(&input, &mut out).unwrap();
        let g0: Vec<u8> = out.iter().step_by(2).copied().collect();
        let g1: Vec<u8> = out.iter().skip(1).step_by(2).copied().collect();
        assert_eq!(g0, vec![1, 0, 0, 1, 1]);
        assert_eq!(g1, vec![1, 1, 0, 1, 1]);
    }

    #[test]
    fn viterbi_round_trip_and_length_errors() {
        let mut rng = 0x1234_5678u32;
        let mut input = [0u8; 100];
        for b in input.iter_mut().take(96) {
            rng = rng.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *b = (rng >> 31) as u8;
        }
        let mut coded = [0u8; 200];
        conv_encode(&input, &mut coded).unwrap();
        let mut soft: Vec<f32> = coded
            .iter()
            .map(|&b| if b == 1 { 1.0 } else { -1.0 })
            .collect();
        // Flip 5 well-separated coded bits: the free distance of 7 corrects them.
        for i in [10usize, 50, 90, 130, 170] {
            soft[i] = -soft[i];
        }
        let mut out = [0u8; 100];
        let errors = viterbi_decode(&soft, &mut out).unwrap();
        assert_eq!(out, input);
        assert_eq!(errors, 5);
        assert!(viterbi_decode(&soft[..199], &mut out).is_err());
        let big = vec![0.0f32; 2 * (MAX_CONV_INPUT_BITS + 1)];
        let mut big_out = vec![0u8; MAX_CONV_INPUT_BITS + 1];
        assert!(viterbi_decode(&big, &mut big_out).is_err());
        assert!(conv_encode(&input, &mut coded[..199]).is_err());
    }
}
