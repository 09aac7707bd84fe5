//! The one place the scheduler turns a `resource.Quantity` string into a number.
//!
//! Mirrors: `k8s.io/apimachinery/pkg/api/resource` `Quantity.MilliValue()` / `Value()`, both of
//! which round up (a request of `0.1m` CPU is 1 milli-CPU, not 0).
//! Simplified: a private parser until the `api` branch's `quantity.rs` lands; switching to it is a
//! change to these two functions only. A malformed quantity reads as 0: the apiserver's validation
//! rejects such objects before the scheduler can see them, so this only guards against panics.

/// `"500m"` → 500, `"2"` → 2000, `"1.5"` → 1500.
pub fn cpu_millis(quantity: &str) -> i64 {
    parse_scaled(quantity, 1000).unwrap_or(0)
}

/// `"1Gi"` → 1073741824, `"100M"` → 100000000, `"128974848"` → 128974848.
pub fn bytes(quantity: &str) -> i64 {
    parse_scaled(quantity, 1).unwrap_or(0)
}

/// A plain integer quantity such as the `pods` allocatable (`"110"`).
pub fn count(quantity: &str) -> i64 {
    parse_scaled(quantity, 1).unwrap_or(0)
}

/// Parses `<sign><digits>[.<digits>][suffix]` and returns `value * scale`, rounded up.
fn parse_scaled(quantity: &str, scale: i128) -> Option<i64> {
    let s = quantity.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    let (negative, number) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number.strip_prefix('+').unwrap_or(number)),
    };
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if (whole.is_empty() && fraction.is_empty()) || whole.len() + fraction.len() > 30 {
        return None;
    }
    if !whole
        .bytes()
        .chain(fraction.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits: i128 = format!("{whole}{fraction}").parse().ok()?;
    // value = digits * 10^-fraction_len * multiplier; multiplier = base^exp
    let (numerator_mult, denominator_mult): (i128, i128) = match suffix {
        "" => (1, 1),
        "m" => (1, 1000),
        "u" => (1, 1_000_000),
        "n" => (1, 1_000_000_000),
        "k" => (1_000, 1),
        "M" => (1_000_000, 1),
        "G" => (1_000_000_000, 1),
        "T" => (1_000_000_000_000, 1),
        "P" => (1_000_000_000_000_000, 1),
        "E" => (1_000_000_000_000_000_000, 1),
        "Ki" => (1 << 10, 1),
        "Mi" => (1 << 20, 1),
        "Gi" => (1 << 30, 1),
        "Ti" => (1 << 40, 1),
        "Pi" => (1 << 50, 1),
        "Ei" => (1 << 60, 1),
        other => {
            // Decimal exponent form: `1e3`, `5E-1`.
            let exp: i32 = other.strip_prefix(['e', 'E'])?.parse().ok()?;
            if !(-18..=18).contains(&exp) {
                return None;
            }
            if exp >= 0 {
                (10i128.pow(exp as u32), 1)
            } else {
                (1, 10i128.pow((-exp) as u32))
            }
        }
    };
    let fraction_div = 10i128.checked_pow(fraction.len() as u32)?;
    let numerator = digits.checked_mul(numerator_mult)?.checked_mul(scale)?;
    let denominator = fraction_div.checked_mul(denominator_mult)?;
    // Round up, as Quantity.MilliValue()/Value() do.
    let value = (numerator + denominator - 1) / denominator;
    let value = if negative { -value } else { value };
    i64::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_quantities_read_in_millis_and_round_up() {
        for (input, want) in [
            ("500m", 500),
            ("2", 2000),
            ("1.5", 1500),
            ("0.1m", 1),
            ("100m", 100),
            ("1e3", 1_000_000),
        ] {
            assert_eq!(cpu_millis(input), want, "{input}");
        }
    }

    #[test]
    fn memory_quantities_read_in_bytes_with_binary_and_decimal_suffixes() {
        for (input, want) in [
            ("1Gi", 1 << 30),
            ("512Mi", 512 << 20),
            ("100M", 100_000_000),
            ("128974848", 128_974_848),
            ("0.5Gi", 1 << 29),
            ("1k", 1000),
        ] {
            assert_eq!(bytes(input), want, "{input}");
        }
    }

    #[test]
    fn malformed_quantities_read_as_zero_without_panicking() {
        for input in [
            "",
            "abc",
            "1.2.3",
            "5Xi",
            "1e99",
            "99999999999999999999999999999999999Ei",
            "-",
        ] {
            assert_eq!(bytes(input), 0, "{input}");
        }
    }
}
