//! LTE downlink receiver (3GPP TS 36.211/36.212/36.213/36.331): cell search, PBCH/MIB, cell
//! measurements, SIB1 (PCFICH/PDCCH/PDSCH), and a downlink generator to test them against.
//!
//! # From the antenna to SIB1
//!
//! 1. **Samples** arrive at any rate that is a multiple of 15 kHz × 128 ([`params`]: FFT size =
//!    rate / 15 kHz, cyclic prefixes scaled from 160/144/512 samples at 30.72 MS/s).
//!    [`search::to_search_rate`] low-passes and resamples them to 1.92 MS/s: the central six
//!    resource blocks, where PSS, SSS and PBCH live whatever the cell's bandwidth.
//! 2. **Cell search** ([`search`], with the sequences of [`pss`] and [`sss`]): impulses blanked,
//!    then the PSS correlated for the three N_ID^(2) on a grid of frequency offsets (±150 kHz by
//!    default: cheap receivers are tens of ppm off) with FFTs, folded modulo the 5 ms half-frame
//!    and normalised by the local energy (TDD switches its power); peaks refined in timing
//!    (fraction of a sample) and frequency (phase between the PSS halves). The PSS alone cannot
//!    tell an offset of whole subcarriers from a timing shift (the Zadoff-Chu ridge), so each
//!    peak's aliases are kept and the **SSS** decides: equalised by the PSS's channel and
//!    correlated with the 2 × 168 sequences at the four SSS–PSS spacings, it gives N_ID^(1), the
//!    frame boundary, the cyclic prefix and FDD/TDD. Co-channel cells on one PSS peak come out as
//!    separate SSS hypotheses.
//! 3. **Per cell** ([`cell`]): the PSS is tracked half-frame by half-frame through the capture
//!    (the receiver's sample clock drifts; the fit gives its error in ppm); subframe 0 of each
//!    frame is demodulated ([`ofdm`]: FFT window a little inside the cyclic prefix, the offset
//!    removed, the window's phase ramp rotated out); the **CRS** ([`crs`]) give a channel estimate
//!    per antenna port (smoothed over ±12 subcarriers, de-rotated by the residual drift) and the
//!    measurements ([`measure`]: RSRP, RSRQ, SINR, frequency offset with its standard error).
//! 4. **PBCH → MIB** ([`pbch`]): the 240 PBCH resource elements of slot 1 (CRS of four ports
//!    skipped) equalised under one port (matched filter) and two or four ports (Alamouti/SFBC),
//!    de-scrambled at the frame position whose repetitions add up best, de-rate-matched,
//!    Viterbi-decoded and checked against the CRC-16 masks: the mask names the port count, the
//!    position gives the SFN's two low bits. Weak cells add up the frames of a 40 ms period. A MIB
//!    is reported only when two decodes from different frames agree, and its fields are parsed by
//!    [`rrc::mib`].
//! 5. **SIB1** ([`sib1`]): subframe 5 of every even frame demodulated at the capture's full rate
//!    (an FFT of `rate / 15 kHz` points: 1280 at 19.2 MS/s, cyclic prefixes of 100/90 samples;
//!    a rate off the LTE grid — 20 MS/s, 10 MS/s — is first resampled onto the lowest grid rate
//!    that holds the cell by [`sib1::to_grid_rate`]; a rate too narrow for the cell is refused
//!    with the reason), the timing
//!    of step 3 scaled up, the CRS channel of every port over the whole band ([`grid`]).
//!    [`pcfich`] gives the CFI (the other two are tried after it); [`pdcch`] builds the control
//!    region (REGs minus PCFICH and PHICH, the quadruplet interleaver and the cell shift) and
//!    blind-decodes DCI 1A/1C for the SI-RNTI in the common search space; [`pdsch`] takes the
//!    allocated resource elements around CRS and PSS/SSS, de-scrambles them and runs the turbo
//!    chain of [`fec`] with SIB1's redundancy version (alone, and combined with the earlier
//!    transmissions); a passing CRC-24A hands the octets to [`rrc::sib1`].
//!
//! [`generator`] builds the other side: PSS, SSS, CRS and PBCH carrying a given MIB, and
//! optionally PCFICH, PDCCH and PDSCH carrying a given SIB1 (1, 2 or 4 ports, FDD/TDD,
//! normal/extended CP, 6-100 resource blocks) with random QPSK load, through a flat or EPA-like
//! channel, with offset, clock error and noise, deterministic from a seed. The
//! real captures (tests `lte_real`) keep the two honest.
//!
//! [`fec`] holds the channel coding (CRCs, Gold sequences, tail-biting convolutional code,
//! turbo code, rate matching, DCI formats) and [`rrc`] the MIB and SIB parsers.

pub mod cell;
pub mod crs;
pub mod fec;
pub mod generator;
pub mod grid;
pub mod measure;
pub mod ofdm;
pub mod params;
pub mod pbch;
pub mod pcfich;
pub mod pdcch;
pub mod pdsch;
pub mod pss;
pub mod rrc;
pub mod search;
pub mod sib1;
pub mod sss;
