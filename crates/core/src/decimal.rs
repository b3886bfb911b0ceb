//! Exact decimal numbers as they appear in CSV files ("12", "0.125", "-0,031"), and
//! exact rendering of fractions. No floats: a tie must stay a tie.

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};

use crate::error::CoreError;

/// Parse a plain decimal number exactly. Accepts an optional sign, digits, and one
/// decimal point (a single decimal comma is accepted too, as CBS exports use it).
/// Rejects exponents, thousands separators, NaN and empty text with a message saying so.
pub fn parse_decimal(text: &str) -> Result<BigRational, CoreError> {
    let t = text.trim();
    let bad = |why: &str| CoreError::invalid(format!("'{t}' is not a number: {why}"));
    if t.is_empty() {
        return Err(bad("the value is empty"));
    }
    let (neg, body) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let body = if !body.contains('.') && body.matches(',').count() == 1 {
        body.replacen(',', ".", 1)
    } else {
        body.to_string()
    };
    let (int, frac) = body.split_once('.').unwrap_or((&body, ""));
    if int.is_empty() && frac.is_empty() {
        return Err(bad("no digits"));
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad("use digits with at most one decimal point, e.g. 1234.5 (no exponent or thousands separator)"));
    }
    let digits = format!("{int}{frac}");
    let mantissa: BigInt = if digits.is_empty() { BigInt::zero() } else { digits.parse().expect("digits") };
    let denom = BigInt::from(10u8).pow(frac.len() as u32);
    let value = BigRational::new(mantissa, denom);
    Ok(if neg { -value } else { value })
}

/// Parse a non-negative decimal weight.
pub fn parse_weight(text: &str) -> Result<BigRational, CoreError> {
    let v = parse_decimal(text)?;
    if v.is_negative() {
        return Err(CoreError::invalid(format!("'{}' is negative: weights must be zero or more", text.trim())));
    }
    Ok(v)
}

/// Turn non-negative exact rationals into whole numbers with the same ratios
/// (multiply by the least common multiple of the denominators). Apportionment is
/// invariant to this scaling.
pub fn to_whole_weights(values: &[BigRational]) -> Vec<BigUint> {
    let lcm = values.iter().fold(BigInt::one(), |acc, v| acc.lcm(v.denom()));
    values
        .iter()
        .map(|v| {
            let n = v.numer() * (&lcm / v.denom());
            n.to_biguint().expect("weights are non-negative")
        })
        .collect()
}

/// Render `n / d` with exactly `digits` decimals, rounded half up (exact).
pub fn ratio_to_decimal(n: &BigUint, d: &BigUint, digits: u32) -> String {
    if d.is_zero() {
        return "-".to_string();
    }
    let scale = BigUint::from(10u8).pow(digits);
    let scaled = n * &scale * 2u8 + d;
    let q = scaled / (d * 2u8);
    let (int, frac) = q.div_rem(&scale);
    if digits == 0 { int.to_string() } else { format!("{int}.{:0>width$}", frac.to_string(), width = digits as usize) }
}

/// Render a signed rational with `digits` decimals, rounded half away from zero.
pub fn rational_to_decimal(v: &BigRational, digits: u32) -> String {
    let neg = v.is_negative();
    let n = v.numer().abs().to_biguint().expect("abs");
    let d = v.denom().to_biguint().expect("positive denominator");
    let s = ratio_to_decimal(&n, &d, digits);
    if neg && s.chars().any(|c| c.is_ascii_digit() && c != '0') { format!("-{s}") } else { s }
}

/// A rational as `BigRational` from a sign-less ratio.
pub fn ratio(n: &BigUint, d: &BigUint) -> BigRational {
    BigRational::new(BigInt::from_biguint(Sign::Plus, n.clone()), BigInt::from_biguint(Sign::Plus, d.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly() {
        assert_eq!(parse_decimal("0.1").unwrap(), BigRational::new(1.into(), 10.into()));
        assert_eq!(parse_decimal("-0,25").unwrap(), BigRational::new((-1).into(), 4.into()));
        assert_eq!(parse_decimal("12").unwrap(), BigRational::from_integer(12.into()));
        assert!(parse_decimal("1e3").is_err());
        assert!(parse_decimal("").is_err());
        assert!(parse_decimal("1.2.3").is_err());
        assert!(parse_weight("-1").is_err());
    }

    #[test]
    fn whole_weights_keep_ratios() {
        let v = [parse_weight("0.5").unwrap(), parse_weight("1.25").unwrap(), parse_weight("2").unwrap()];
        let w = to_whole_weights(&v);
        assert_eq!(w, vec![BigUint::from(2u8), BigUint::from(5u8), BigUint::from(8u8)]);
    }

    #[test]
    fn rounding_half_up_is_exact() {
        assert_eq!(ratio_to_decimal(&BigUint::from(1u8), &BigUint::from(8u8), 2), "0.13");
        assert_eq!(ratio_to_decimal(&BigUint::from(2u8), &BigUint::from(3u8), 4), "0.6667");
        assert_eq!(ratio_to_decimal(&BigUint::from(7u8), &BigUint::from(1u8), 0), "7");
    }
}
