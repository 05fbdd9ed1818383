//! Primary synchronisation signal (TS 36.211 §6.11.1): a length-63 Zadoff-Chu sequence with the
//! middle element punctured, root 25, 29 or 34 for N_ID^(2) = 0, 1, 2, on the 62 subcarriers
//! around DC (31 below, 31 above; the DC subcarrier is not used).

use super::params::Numerology;
use num_complex::Complex32;
use rustfft::FftPlanner;
use std::f64::consts::PI;

/// Zadoff-Chu roots for N_ID^(2) = 0, 1, 2.
pub const PSS_ROOTS: [u32; 3] = [25, 29, 34];

/// The 62 PSS symbols d_u(n) for `n_id_2` (0..3; other values are taken modulo 3).
pub fn pss_sequence(n_id_2: u8) -> [Complex32; 62] {
    let u = PSS_ROOTS[(n_id_2 % 3) as usize] as f64;
    let mut d = [Complex32::new(0.0, 0.0); 62];
    for (n, v) in d.iter_mut().enumerate() {
        let nn = n as f64;
        let arg = if n < 31 {
            -PI * u * nn * (nn + 1.0) / 63.0
        } else {
            -PI * u * (nn + 1.0) * (nn + 2.0) / 63.0
        };
        *v = Complex32::new(arg.cos() as f32, arg.sin() as f32);
    }
    d
}

/// Resource element (relative to the carrier centre, see [`Numerology::bin`]) of sequence
/// element `n` (0..62) of the PSS and SSS.
pub fn sync_re(n: usize) -> i32 {
    n as i32 - 31
}

/// The PSS as one OFDM symbol in time (no cyclic prefix), `num.n_fft` samples, unit power per
/// occupied subcarrier (inverse FFT scaled by 1/n_fft).
pub fn pss_time(n_id_2: u8, num: &Numerology) -> Vec<Complex32> {
    let n = num.n_fft;
    let mut buf = vec![Complex32::new(0.0, 0.0); n];
    for (i, d) in pss_sequence(n_id_2).iter().enumerate() {
        buf[num.bin(sync_re(i))] = *d;
    }
    FftPlanner::<f32>::new()
        .plan_fft_inverse(n)
        .process(&mut buf);
    let s = 1.0 / n as f32;
    buf.iter_mut().for_each(|v| *v *= s);
    buf
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::lte::params::CyclicPrefix;

    #[test]
    fn zadoff_chu_values_and_symmetry() {
        let d = pss_sequence(0);
        // d_25(0) = exp(0) = 1; d_25(1) = exp(-jπ·25·2/63).
        assert!((d[0] - Complex32::new(1.0, 0.0)).norm() < 1e-6);
        let a = -PI * 25.0 * 2.0 / 63.0;
        assert!((d[1] - Complex32::new(a.cos() as f32, a.sin() as f32)).norm() < 1e-6);
        // Roots 29 and 34 are conjugates (29 + 34 = 63).
        let (d1, d2) = (pss_sequence(1), pss_sequence(2));
        for i in 0..62 {
            assert!((d1[i] - d2[i].conj()).norm() < 1e-5);
            assert!((d[i].norm() - 1.0).abs() < 1e-6);
        }
        // Symmetric around the punctured centre: d(n) = d(61 − n).
        for i in 0..31 {
            assert!((d[i] - d[61 - i]).norm() < 1e-4);
        }
    }

    #[test]
    fn time_replicas_are_nearly_orthogonal() {
        let num = Numerology::new(1.92e6, CyclicPrefix::Normal).unwrap();
        let p: Vec<Vec<Complex32>> = (0..3).map(|u| pss_time(u, &num)).collect();
        let e: f32 = p[0].iter().map(|v| v.norm_sqr()).sum();
        assert!((e - 62.0 / 128.0).abs() < 1e-4);
        for a in 0..3 {
            for b in 0..3 {
                if a != b {
                    let c: Complex32 = p[a].iter().zip(&p[b]).map(|(x, y)| x * y.conj()).sum();
                    assert!(c.norm() < 0.45 * e, "{a} {b} {}", c.norm() / e);
                }
            }
        }
    }
}
