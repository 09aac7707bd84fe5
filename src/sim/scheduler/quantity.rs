//! The one place the scheduler turns a `resource.Quantity` string into a number.
//!
//! Mirrors: `k8s.io/apimachinery/pkg/api/resource` `Quantity.MilliValue()` / `Value()`, both of
//! which round up (a request of `0.1m` CPU is 1 milli-CPU, not 0).
//! Delegates to `sim::api::quantity` (the apiserver's parser), so the scheduler and validation
//! agree on every quantity. A malformed quantity reads as 0: the apiserver's validation rejects
//! such objects before the scheduler can see them, so this only guards against panics.

use crate::sim::api::quantity;

/// `"500m"` → 500, `"2"` → 2000, `"1.5"` → 1500.
pub fn cpu_millis(text: &str) -> i64 {
    quantity::cpu_millis(text).unwrap_or(0)
}

/// `"1Gi"` → 1073741824, `"100M"` → 100000000, `"128974848"` → 128974848.
pub fn bytes(text: &str) -> i64 {
    quantity::memory_bytes(text).unwrap_or(0)
}

/// A plain integer quantity such as the `pods` allocatable (`"110"`).
pub fn count(text: &str) -> i64 {
    quantity::memory_bytes(text).unwrap_or(0)
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
