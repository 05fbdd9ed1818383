//! Numbers as people write them, in text and JSON: a rate of 1559.999 per minute is 1560, an
//! MNC is `1` and not `1.0`, a trend of −0.04 dB/s is `+0.0`, never `-0.0`.
//!
//! Floating-point sums leave tails (`0.8400000000000034`); values shown to a user or written as
//! evidence are cut to [`SIGNIFICANT_DIGITS`] significant digits and at most three decimals,
//! and whole numbers are written as integers.

use serde::Serializer;

/// Significant digits kept by [`tidy`]: far below a measurement's precision, far above a float's
/// rounding noise.
pub const SIGNIFICANT_DIGITS: i32 = 6;

/// `x` with at most [`SIGNIFICANT_DIGITS`] significant digits and three decimals; `-0` becomes
/// `0`; non-finite values pass through.
pub fn tidy(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return if x == 0.0 { 0.0 } else { x };
    }
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (SIGNIFICANT_DIGITS - 1 - magnitude).clamp(-15, 3);
    let scale = 10f64.powi(decimals);
    let r = (x * scale).round() / scale;
    if r == 0.0 { 0.0 } else { r }
}

/// The largest magnitude written as a JSON integer (2^53: every integer below it is exact).
const MAX_EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// Serde: a tidied number, written as an integer when it is whole.
pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    let t = tidy(*x);
    if t.fract() == 0.0 && t.abs() < MAX_EXACT_INT {
        s.serialize_i64(t as i64)
    } else {
        s.serialize_f64(t)
    }
}

/// Serde: [`serialize`] for an optional number (use with `skip_serializing_if`).
pub fn serialize_opt<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(v) => serialize(v, s),
        None => s.serialize_none(),
    }
}

/// Text: [`tidy`]'s value with Rust's shortest round-trip formatting (`60`, `0.511`, `1560`).
pub fn text(x: f64) -> String {
    format!("{}", tidy(x))
}

/// Text with a sign and one decimal (`+1.2`, `-3.0`, and `+0.0` for anything that rounds to
/// zero, including −0.04).
pub fn signed1(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    format!("{:+.1}", if r == 0.0 { 0.0 } else { r })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_tails_are_cut_and_whole_numbers_stay_whole() {
        assert_eq!(tidy(1_559.999_999_7), 1560.0);
        assert_eq!(tidy(0.840_000_000_000_003_4), 0.84);
        assert_eq!(tidy(0.511_23), 0.511);
        assert_eq!(tidy(-0.000_1), 0.0);
        assert!(tidy(-0.000_1).is_sign_positive());
        assert_eq!(tidy(939_200_000.0), 939_200_000.0);
        assert_eq!(tidy(123_456_789.0), 123_457_000.0);
        assert!(tidy(f64::NAN).is_nan());
        assert_eq!(text(60.0), "60");
        assert_eq!(text(1559.9999), "1560");
    }

    #[test]
    fn json_writes_whole_numbers_as_integers() {
        #[derive(serde::Serialize)]
        struct T {
            #[serde(serialize_with = "serialize")]
            a: f64,
            #[serde(serialize_with = "serialize")]
            b: f64,
            #[serde(serialize_with = "serialize_opt")]
            c: Option<f64>,
        }
        let j = serde_json::to_string(&T {
            a: 1.0,
            b: 0.840_000_000_000_003_4,
            c: Some(262.0),
        })
        .unwrap();
        assert_eq!(j, r#"{"a":1,"b":0.84,"c":262}"#);
    }

    #[test]
    fn a_rate_that_rounds_to_zero_has_no_minus_sign() {
        assert_eq!(signed1(-0.04), "+0.0");
        assert_eq!(signed1(-0.06), "-0.1");
        assert_eq!(signed1(1.25), "+1.3");
    }
}
