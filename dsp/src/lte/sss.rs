//! Secondary synchronisation signal (TS 36.211 §6.11.2): two interleaved length-31 m-sequences,
//! cyclically shifted by (m0, m1) from N_ID^(1), scrambled by N_ID^(2), swapped between
//! subframe 0 and subframe 5 — so one SSS gives both N_ID^(1) and the frame boundary.

/// Number of N_ID^(1) values (cell-identity groups).
pub const N_ID_1_COUNT: usize = 168;

fn msequence(taps: &[usize]) -> [i8; 31] {
    let mut x = [0u8; 31];
    x[4] = 1;
    for i in 0..26 {
        x[i + 5] = taps.iter().fold(0, |acc, &t| acc ^ x[i + t]);
    }
    let mut s = [0i8; 31];
    for (o, b) in s.iter_mut().zip(x) {
        *o = 1 - 2 * b as i8;
    }
    s
}

/// (m0, m1) for `n_id_1` (0..168).
pub fn m0_m1(n_id_1: u16) -> (usize, usize) {
    let n = n_id_1 as usize;
    let qp = n / 30;
    let q = (n + qp * (qp + 1) / 2) / 30;
    let mp = n + q * (q + 1) / 2;
    let m0 = mp % 31;
    let m1 = (m0 + mp / 31 + 1) % 31;
    (m0, m1)
}

/// The 62 SSS values d(n) (±1) for `n_id_1` (0..168), `n_id_2` (0..3) in subframe 0
/// (`subframe5 = false`) or subframe 5.
pub fn sss_sequence(n_id_1: u16, n_id_2: u8, subframe5: bool) -> [i8; 62] {
    let s = msequence(&[0, 2]);
    let c = msequence(&[0, 3]);
    let z = msequence(&[0, 1, 2, 4]);
    let (m0, m1) = m0_m1(n_id_1 % N_ID_1_COUNT as u16);
    let n2 = (n_id_2 % 3) as usize;
    let mut d = [0i8; 62];
    for n in 0..31 {
        let s0 = s[(n + m0) % 31];
        let s1 = s[(n + m1) % 31];
        let c0 = c[(n + n2) % 31];
        let c1 = c[(n + n2 + 3) % 31];
        let z0 = z[(n + m0 % 8) % 31];
        let z1 = z[(n + m1 % 8) % 31];
        if subframe5 {
            d[2 * n] = s1 * c0;
            d[2 * n + 1] = s0 * c1 * z1;
        } else {
            d[2 * n] = s0 * c0;
            d[2 * n + 1] = s1 * c1 * z0;
        }
    }
    d
}

/// All 2 × 168 SSS sequences for `n_id_2` as f32: index `2·n_id_1 + subframe5`.
pub fn sss_table(n_id_2: u8) -> Vec<[f32; 62]> {
    let mut t = Vec::with_capacity(2 * N_ID_1_COUNT);
    for n1 in 0..N_ID_1_COUNT as u16 {
        for sf5 in [false, true] {
            let d = sss_sequence(n1, n_id_2, sf5);
            let mut f = [0f32; 62];
            for (o, v) in f.iter_mut().zip(d) {
                *o = v as f32;
            }
            t.push(f);
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m_values_from_the_standard_table() {
        // TS 36.211 Table 6.11.2.1-1, a few rows.
        assert_eq!(m0_m1(0), (0, 1));
        assert_eq!(m0_m1(29), (29, 30));
        assert_eq!(m0_m1(30), (0, 2));
        assert_eq!(m0_m1(60), (1, 4));
        assert_eq!(m0_m1(165), (0, 7));
        assert_eq!(m0_m1(167), (2, 9));
    }

    #[test]
    fn m_sequence_is_balanced_and_starts_as_specified() {
        let s = msequence(&[0, 2]);
        // x(0..5) = 0,0,0,0,1 → s̃ = 1,1,1,1,−1.
        assert_eq!(&s[..5], &[1, 1, 1, 1, -1]);
        // A maximal-length sequence of period 31 has 16 ones and 15 zeros.
        assert_eq!(s.iter().filter(|&&v| v == -1).count(), 16);
    }

    #[test]
    fn sequences_are_distinct_and_weakly_correlated() {
        let t = sss_table(1);
        let mut worst = 0i32;
        for a in 0..t.len() {
            for b in (a + 1)..t.len() {
                let c: f32 = t[a].iter().zip(&t[b]).map(|(x, y)| x * y).sum();
                worst = worst.max(c.abs() as i32);
            }
        }
        assert!(worst < 62, "two SSS sequences identical");
        assert!(worst <= 30, "worst cross-correlation {worst}");
    }
}
