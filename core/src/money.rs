//! An amount of US dollars to the micro-dollar: exact in memory, on the wire and in the table.

// Held as whole micro-dollars, never as a float: a cost read back from DynamoDB or from the
// outbox equals the cost written, digit for digit. On the wire it is a JSON number with at most
// six decimals (`1.094521`); in the table a DynamoDB number written from the same digits.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const MICROS_PER_DOLLAR: u64 = 1_000_000;

/// US dollars with six decimals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Usd {
    micros: u64,
}

impl Usd {
    pub const fn from_micros(micros: u64) -> Usd {
        Usd { micros }
    }

    pub const fn micros(self) -> u64 {
        self.micros
    }

    /// A JSON number's value, if it has at most six decimals. A float holds such a number only
    /// approximately, but for amounts below 2^53 micro-dollars it lies far closer to the exact
    /// micro-dollar than a seventh decimal could: the nearest micro-dollar is the exact one.
    pub fn from_f64(value: f64) -> Option<Usd> {
        if !value.is_finite() || value < 0.0 || value > (1u64 << 53) as f64 / 1e6 {
            return None;
        }
        let micros = value * 1e6;
        let whole = micros.round();
        ((micros - whole).abs() < 0.01).then_some(Usd {
            micros: whole as u64,
        })
    }

    /// A decimal text (`12`, `1.5`, `0.000001`) with at most six decimals, as DynamoDB returns a
    /// number attribute.
    pub fn parse_decimal(text: &str) -> Option<Usd> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 6 {
            return None;
        }
        let whole: u64 = whole.parse().ok()?;
        let fraction: u64 = format!("{fraction:0<6}").parse().ok()?;
        whole
            .checked_mul(MICROS_PER_DOLLAR)?
            .checked_add(fraction)
            .map(Usd::from_micros)
    }

    fn as_f64(self) -> f64 {
        self.micros as f64 / 1e6
    }
}

/// The shortest decimal: `1.09`, `0.000001`, `12`.
impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.micros / MICROS_PER_DOLLAR;
        let fraction = self.micros % MICROS_PER_DOLLAR;
        if fraction == 0 {
            return write!(f, "{whole}");
        }
        let decimals = format!("{fraction:06}");
        write!(f, "{whole}.{}", decimals.trim_end_matches('0'))
    }
}

impl Serialize for Usd {
    /// The float nearest the amount, which JSON writers print as its shortest decimal: the
    /// six-decimal amount itself.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for Usd {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Usd::from_f64(value).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{value} is not an amount of US dollars with at most 6 decimals"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_round_trips() {
        for (text, micros) in [
            ("0", 0),
            ("1", 1_000_000),
            ("1.09", 1_090_000),
            ("0.000001", 1),
            ("1000000", 1_000_000_000_000),
            ("123.456789", 123_456_789),
        ] {
            let usd = Usd::parse_decimal(text).unwrap();
            assert_eq!(usd.micros(), micros, "{text}");
            assert_eq!(usd.to_string(), text);
        }
        assert_eq!(Usd::parse_decimal("1.500000").unwrap().to_string(), "1.5");
        for bad in ["", ".5", "1.2345678", "-1", "1e3", "1,5", "x", "1.2.3"] {
            assert_eq!(Usd::parse_decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn json_numbers_round_trip_exactly() {
        for micros in [0, 1, 10, 999_999, 1_094_521, 2_000_000, 1_000_000_000_000] {
            let usd = Usd::from_micros(micros);
            let json = serde_json::to_string(&usd).unwrap();
            assert_eq!(serde_json::from_str::<Usd>(&json).unwrap(), usd, "{json}");
            assert_eq!(
                Usd::parse_decimal(&usd.to_string()),
                Some(usd),
                "{json} via the table's text"
            );
        }
        assert_eq!(
            serde_json::to_string(&Usd::from_micros(1_094_521)).unwrap(),
            "1.094521"
        );
        assert_eq!(Usd::from_f64(0.1234567), None, "seven decimals");
        assert_eq!(Usd::from_f64(-1.0), None);
        assert_eq!(Usd::from_f64(f64::NAN), None);
        assert!(serde_json::from_str::<Usd>("\"1.5\"").is_err());
    }
}
