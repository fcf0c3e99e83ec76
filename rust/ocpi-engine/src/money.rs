//! Exact quantities: money, energy and time as newtypes over `rust_decimal::Decimal`.
//! Arithmetic is checked (overflow is an error, never a wrap or a saturation); rounding happens once,
//! at output, with [`ROUNDING`].

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::Error;

/// The one rounding strategy of the engine: half away from zero ("half-up" for positive amounts).
pub const ROUNDING: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;
/// OCPI numbers carry 4 decimals (types.asciidoc).
pub const OUTPUT_DECIMALS: u32 = 4;
/// Currency rounding (cents) when asked for.
pub const CURRENCY_DECIMALS: u32 = 2;

macro_rules! quantity {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
        pub struct $name(pub(crate) Decimal);

        impl $name {
            pub const ZERO: Self = Self(Decimal::ZERO);
            #[must_use]
            pub fn new(value: Decimal) -> Self { Self(value) }
            #[must_use]
            pub fn as_decimal(self) -> Decimal { self.0 }
            /// Sum, failing on overflow.
            pub fn checked_add(self, other: Self) -> Result<Self, Error> {
                self.0.checked_add(other.0).map(Self).ok_or_else(|| Error::Overflow(stringify!($name)))
            }
            /// Rounded to `dp` decimals with [`ROUNDING`].
            #[must_use]
            pub fn round_dp(self, dp: u32) -> Self { Self(self.0.round_dp_with_strategy(dp, ROUNDING)) }
        }
    };
}

quantity!(
    /// An amount of money excluding or including VAT, in the tariff's currency.
    Money
);
quantity!(
    /// Energy in kWh.
    Kwh
);
quantity!(
    /// A duration in hours.
    Hours
);

/// An amount excluding VAT and including VAT (OCPI `Price`). `incl_vat` is None only when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Price {
    pub excl_vat: Money,
    pub incl_vat: Money,
}

impl Price {
    pub const ZERO: Self = Self { excl_vat: Money::ZERO, incl_vat: Money::ZERO };

    pub fn checked_add(self, other: Self) -> Result<Self, Error> {
        Ok(Self {
            excl_vat: self.excl_vat.checked_add(other.excl_vat)?,
            incl_vat: self.incl_vat.checked_add(other.incl_vat)?,
        })
    }

    #[must_use]
    pub fn round_dp(self, dp: u32) -> Self {
        Self { excl_vat: self.excl_vat.round_dp(dp), incl_vat: self.incl_vat.round_dp(dp) }
    }
}

/// `a * b` failing on overflow.
pub(crate) fn mul(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Error> {
    a.checked_mul(b).ok_or_else(|| Error::Overflow(what))
}

/// `a + b` failing on overflow.
pub(crate) fn add(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Error> {
    a.checked_add(b).ok_or_else(|| Error::Overflow(what))
}

/// `a / b` failing on overflow or division by zero.
pub(crate) fn div(a: Decimal, b: Decimal, what: &'static str) -> Result<Decimal, Error> {
    a.checked_div(b).ok_or_else(|| Error::Overflow(what))
}
