"""ocpi-engine: an OCPI 2.2.1 / 2.1.1 engine for CPOs, eMSPs and hubs, with a Rust tariff engine."""

from ocpi_engine._core import LocationOp, Price, PriceReport, __version__
from ocpi_engine.errors import (
    CurrencyMismatchError,
    EngineError,
    InvalidInputError,
    NoValidTariffError,
    UnknownTimeZoneError,
)
from ocpi_engine.services.location_diff import apply_location_ops, diff_locations
from ocpi_engine.services.pricing import lint_tariff, price_cdr, price_session, reprice, reprice_file

__all__ = [
    "__version__",
    "apply_location_ops",
    "diff_locations",
    "lint_tariff",
    "price_cdr",
    "price_session",
    "reprice",
    "reprice_file",
    "LocationOp",
    "Price",
    "PriceReport",
    "EngineError",
    "InvalidInputError",
    "NoValidTariffError",
    "UnknownTimeZoneError",
    "CurrencyMismatchError",
]
