"""ocpi-engine: an OCPI 2.2.1 / 2.1.1 engine for CPOs, eMSPs and hubs, with a Rust tariff engine."""

from ocpi_engine._core import __version__

__all__ = ["__version__"]
