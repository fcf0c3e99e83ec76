"""ASGI entry point for granian workers: `ocpi_engine.api.asgi:app` (settings from OCPI_ENGINE_* variables)."""

from __future__ import annotations

import logging
import os

from ocpi_engine.api.app import create_app
from ocpi_engine.api.hot_paths import HotPathApp
from ocpi_engine.settings import Settings

_settings = Settings.from_env()
logging.basicConfig(
    level=getattr(logging, _settings.log_level.upper(), logging.INFO),
    format="%(asctime)s %(levelname)s %(name)s %(message)s",
)
logging.getLogger("httpx").setLevel(logging.WARNING)
if os.environ.get("OCPI_ENGINE_ACCESS_LOG", "1") == "0":
    logging.getLogger("ocpi_engine.access").setLevel(logging.WARNING)

litestar_app = create_app(_settings)
app = HotPathApp(litestar_app)
"""What granian serves: the Litestar app behind the real-time authorization hot path (api/hot_paths.py)."""
