//! Resource quantities: `100m` CPU, `128Mi` memory, `1e3`, `0.5`.
//!
//! Mirrors: `k8s.io/apimachinery/pkg/api/resource/quantity.go`: the accepted grammar, the three
//! formats (DecimalSI `k M G T P E` and `m u n`, BinarySI `Ki .. Ei`, DecimalExponent `e3`), the
//! canonical form (`1000m` → `1`, `1024Mi` → `1Gi`, `0.5` → `500m`), rounding up to whole
//! milli-units and bytes (`MilliValue`, `Value`), and the parse error messages.
//! Simplified: the value is an exact `i128` count of nano-units (upstream keeps arbitrary
//! precision); finer fractions round up to 1n as upstream does, and magnitudes above about
//! 10^29 are refused as too large instead of being kept exactly.

use std::cmp::Ordering;
use std::fmt;

/// The regular expression upstream names in its format error.
pub const QUANTITY_REGEX: &str = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

const NANO_PER_UNIT: i128 = 1_000_000_000;
const NANO_PER_MILLI: i128 = 1_000_000;

/// How a quantity prints: by the suffix family it was written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    DecimalSi,
    BinarySi,
    DecimalExponent,
}

/// An exact quantity. Ordering and equality compare values (`1000m == 1`), not spelling.
#[derive(Clone, Copy, Debug)]
pub struct Quantity {
    nano_value: i128,
    pub format: Format,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuantityError {
    /// `ErrFormatWrong`: the text does not match [`QUANTITY_REGEX`].
    FormatWrong,
    /// `ErrNumeric`: the number part does not parse (`1.2.3`).
    Numeric,
    /// `ErrSuffix`: the suffix is not one upstream knows (`1Kb`).
    Suffix,
    /// Beyond the range this simulation keeps exactly.
    TooLarge,
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuantityError::FormatWrong => write!(
                f,
                "quantities must match the regular expression '{QUANTITY_REGEX}'"
            ),
            QuantityError::Numeric => write!(f, "unable to parse numeric part of quantity"),
            QuantityError::Suffix => write!(f, "unable to parse quantity's suffix"),
            QuantityError::TooLarge => write!(f, "quantity is too large"),
        }
    }
}

impl std::error::Error for QuantityError {}

impl Quantity {
    /// Parses a quantity as `resource.ParseQuantity` does.
    pub fn parse(text: &str) -> Result<Quantity, QuantityError> {
        if !matches_regex(text) {
            return Err(QuantityError::FormatWrong);
        }
        let bytes = text.as_bytes();
        let mut i = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                i = 1;
                true
            }
            Some(b'+') => {
                i = 1;
                false
            }
            _ => false,
        };
        let number_end = bytes[i..]
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b'.'))
            .map_or(bytes.len(), |p| i + p);
        let number = &text[i..number_end];
        let suffix = &text[number_end..];
        let (whole, fraction) = match number.split_once('.') {
            Some((w, f)) if !f.contains('.') => (w, f),
            Some(_) => return Err(QuantityError::Numeric),
            None => (number, ""),
        };
        if whole.is_empty() && fraction.is_empty() {
            return Err(QuantityError::Numeric);
        }
        let (base2_power, exponent10, format) = parse_suffix(suffix)?;
        // mantissa × 10^-fraction_digits, without trailing zeros that only cost range.
        let fraction = fraction.trim_end_matches('0');
        let digits = format!("{whole}{fraction}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 36 {
            return Err(QuantityError::TooLarge);
        }
        let mut mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| QuantityError::Numeric)?
        };
        if base2_power > 0 {
            mantissa = mantissa
                .checked_mul(1i128 << base2_power)
                .ok_or(QuantityError::TooLarge)?;
        }
        // value in nano-units = mantissa × 10^(exponent10 + 9 - fraction digits)
        let scale = exponent10 as i64 + 9 - fraction.len() as i64;
        let nano = if mantissa == 0 {
            0
        } else if scale >= 0 {
            let factor = pow10(scale).ok_or(QuantityError::TooLarge)?;
            mantissa
                .checked_mul(factor)
                .ok_or(QuantityError::TooLarge)?
        } else {
            // Upstream rounds anything finer than a nano-unit up.
            match pow10(-scale) {
                Some(divisor) => div_ceil(mantissa, divisor),
                None => 1,
            }
        };
        if nano > 10i128.pow(38) {
            return Err(QuantityError::TooLarge);
        }
        Ok(Quantity {
            nano_value: if negative { -nano } else { nano },
            format,
        })
    }

    pub fn from_millis(millis: i64) -> Quantity {
        Quantity {
            nano_value: millis as i128 * NANO_PER_MILLI,
            format: Format::DecimalSi,
        }
    }

    pub fn from_bytes(bytes: i64) -> Quantity {
        Quantity {
            nano_value: bytes as i128 * NANO_PER_UNIT,
            format: Format::BinarySi,
        }
    }

    /// `q.Add(y)`: the sum keeps the receiver's format, or the other's when the receiver is zero
    /// (a usage summed from nothing prints as its first term: `128Mi`, not `134217728`).
    pub fn plus(self, other: Quantity) -> Quantity {
        Quantity {
            nano_value: self.nano_value + other.nano_value,
            format: if self.is_zero() {
                other.format
            } else {
                self.format
            },
        }
    }

    pub fn minus(self, other: Quantity) -> Quantity {
        self.plus(Quantity {
            nano_value: -other.nano_value,
            format: other.format,
        })
    }

    /// The value in milli-units, rounded up: `MilliValue()`. CPU is counted in these.
    pub fn milli_value(&self) -> i128 {
        div_ceil(self.nano_value, NANO_PER_MILLI)
    }

    /// The value in whole units, rounded up: `Value()`. Memory is counted in bytes.
    pub fn value(&self) -> i128 {
        div_ceil(self.nano_value, NANO_PER_UNIT)
    }

    pub fn nano_value(&self) -> i128 {
        self.nano_value
    }

    pub fn is_negative(&self) -> bool {
        self.nano_value < 0
    }

    pub fn is_zero(&self) -> bool {
        self.nano_value == 0
    }

    /// The canonical spelling upstream serializes: the largest suffix of the quantity's family that
    /// keeps the number whole.
    pub fn canonical(&self) -> String {
        let sign = if self.nano_value < 0 { "-" } else { "" };
        let magnitude = self.nano_value.unsigned_abs() as i128;
        if magnitude == 0 {
            return "0".to_string();
        }
        if self.format == Format::BinarySi
            && magnitude % NANO_PER_UNIT == 0
            && magnitude / NANO_PER_UNIT >= 1024
        {
            let mut units = magnitude / NANO_PER_UNIT;
            let mut power = 0;
            while power < 6 && units % 1024 == 0 {
                units /= 1024;
                power += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][power];
            return format!("{sign}{units}{suffix}");
        }
        // Decimal: the largest exponent (a multiple of 3, -9..=18) that divides exactly.
        let mut exponent = -9i64;
        let mut mantissa = magnitude;
        while exponent < 18 && mantissa % 1000 == 0 {
            mantissa /= 1000;
            exponent += 3;
        }
        let suffix = if self.format == Format::DecimalExponent {
            if exponent == 0 {
                String::new()
            } else {
                format!("e{exponent}")
            }
        } else {
            match exponent {
                -9 => "n",
                -6 => "u",
                -3 => "m",
                0 => "",
                3 => "k",
                6 => "M",
                9 => "G",
                12 => "T",
                15 => "P",
                _ => "E",
            }
            .to_string()
        };
        format!("{sign}{mantissa}{suffix}")
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.nano_value == other.nano_value
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nano_value.cmp(&other.nano_value)
    }
}

/// CPU in millicores, rounded up as the scheduler counts it: `"100m"` → 100, `"0.5"` → 500.
pub fn cpu_millis(text: &str) -> Result<i64, QuantityError> {
    let q = Quantity::parse(text)?;
    i64::try_from(q.milli_value()).map_err(|_| QuantityError::TooLarge)
}

/// Memory in bytes, rounded up: `"128Mi"` → 134217728, `"1G"` → 1000000000.
pub fn memory_bytes(text: &str) -> Result<i64, QuantityError> {
    let q = Quantity::parse(text)?;
    i64::try_from(q.value()).map_err(|_| QuantityError::TooLarge)
}

/// `^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$`, matched by hand (no regex crate in the core).
fn matches_regex(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let start = i;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
        i += 1;
    }
    if i == start {
        return false;
    }
    while i < b.len() && b"eEinumkKMGTP".contains(&b[i]) {
        i += 1;
    }
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i == b.len()
}

/// (power of two, power of ten, format) of a suffix.
fn parse_suffix(suffix: &str) -> Result<(u32, i32, Format), QuantityError> {
    let decimal = |e: i32| Ok((0, e, Format::DecimalSi));
    let binary = |p: u32| Ok((p, 0, Format::BinarySi));
    match suffix {
        "" => decimal(0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ => {
            let rest = suffix
                .strip_prefix('e')
                .or_else(|| suffix.strip_prefix('E'))
                .ok_or(QuantityError::Suffix)?;
            let digits = rest.trim_start_matches(['+', '-']);
            if digits.is_empty()
                || !digits.bytes().all(|b| b.is_ascii_digit())
                || rest.len() - digits.len() > 1
            {
                return Err(QuantityError::Suffix);
            }
            let exponent: i32 = rest.parse().map_err(|_| QuantityError::TooLarge)?;
            if exponent.abs() > 60 {
                return Err(QuantityError::TooLarge);
            }
            Ok((0, exponent, Format::DecimalExponent))
        }
    }
}

fn pow10(exponent: i64) -> Option<i128> {
    u32::try_from(exponent)
        .ok()
        .and_then(|e| 10i128.checked_pow(e))
}

/// Division rounding toward positive infinity.
fn div_ceil(n: i128, d: i128) -> i128 {
    let q = n.div_euclid(d);
    if n.rem_euclid(d) == 0 {
        q
    } else {
        q + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_to_exact_millis_and_bytes() {
        for (text, millis, units) in [
            ("100m", 100, 1),
            ("0.5", 500, 1),
            ("1", 1000, 1),
            ("2", 2000, 2),
            ("128Mi", 134_217_728_000, 134_217_728),
            ("1Gi", 1_073_741_824_000, 1_073_741_824),
            ("1e3", 1_000_000, 1000),
            ("500M", 500_000_000_000, 500_000_000),
            ("1.5Gi", 1_610_612_736_000, 1_610_612_736),
            ("1n", 1, 1),
            ("250u", 1, 1),
            (".5", 500, 1),
            ("+3k", 3_000_000, 3000),
            ("-1", -1000, -1),
            ("0", 0, 0),
            (
                "1E",
                1_000_000_000_000_000_000_000,
                1_000_000_000_000_000_000,
            ),
        ] {
            let q = Quantity::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(q.milli_value(), millis, "{text} millis");
            assert_eq!(q.value(), units, "{text} units");
        }
    }

    #[test]
    fn quantities_print_in_their_canonical_form() {
        for (text, canonical) in [
            ("100m", "100m"),
            ("1000m", "1"),
            ("0.5", "500m"),
            ("0.1", "100m"),
            ("1500", "1500"),
            ("1000", "1k"),
            ("1024Mi", "1Gi"),
            ("1536Mi", "1536Mi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Gi", "512Mi"),
            ("1.5Ki", "1536"),
            ("512", "512"),
            ("1e3", "1e3"),
            ("1E6", "1e6"),
            ("500M", "500M"),
            ("128974848", "128974848"),
            ("129e6", "129e6"),
            ("0", "0"),
            ("-0.5", "-500m"),
            ("0.0000000001", "1n"),
        ] {
            assert_eq!(
                Quantity::parse(text).unwrap().canonical(),
                canonical,
                "{text}"
            );
        }
    }

    #[test]
    fn malformed_quantities_get_upstream_errors() {
        for (text, err) in [
            ("", QuantityError::FormatWrong),
            ("half", QuantityError::FormatWrong),
            ("1 Gi", QuantityError::FormatWrong),
            ("m", QuantityError::FormatWrong),
            ("1.2.3", QuantityError::Numeric),
            (".", QuantityError::Numeric),
            ("1Kb", QuantityError::FormatWrong),
            ("1MM", QuantityError::Suffix),
            ("1K", QuantityError::Suffix),
            ("1e", QuantityError::Suffix),
            ("1e+-3", QuantityError::FormatWrong),
            ("1e999", QuantityError::TooLarge),
        ] {
            assert_eq!(Quantity::parse(text).unwrap_err(), err, "{text}");
        }
        assert_eq!(
            QuantityError::FormatWrong.to_string(),
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
    }

    #[test]
    fn quantities_compare_by_value_not_spelling() {
        let q = |s| Quantity::parse(s).unwrap();
        assert_eq!(q("1000m"), q("1"));
        assert!(q("1Gi") > q("1G"));
        assert!(q("100m") < q("0.2"));
    }

    #[test]
    fn the_scheduler_helpers_round_up() {
        assert_eq!(cpu_millis("100m"), Ok(100));
        assert_eq!(cpu_millis("0.0001"), Ok(1));
        assert_eq!(memory_bytes("128Mi"), Ok(134_217_728));
        assert_eq!(memory_bytes("1k"), Ok(1000));
        assert!(memory_bytes("big").is_err());
    }
}
