"""ocpi-engine: an OCPI 2.2.1 / 2.1.1 engine for CPOs, eMSPs and hubs, with a Rust tariff engine."""

from ocpi_engine._core import Price, PriceReport, __version__
from ocpi_engine.errors import (
    CurrencyMismatchError,
    EngineError,
    InvalidInputError,
    NoValidTariffError,
    UnknownTimeZoneError,
)
from ocpi_engine.services.pricing import lint_tariff, price_cdr, price_session, reprice, reprice_file

__all__ = [
    "__version__",
    "lint_tariff",
    "price_cdr",
    "price_session",
    "reprice",
    "reprice_file",
    "Price",
    "PriceReport",
    "EngineError",
    "InvalidInputError",
    "NoValidTariffError",
    "UnknownTimeZoneError",
    "CurrencyMismatchError",
]
