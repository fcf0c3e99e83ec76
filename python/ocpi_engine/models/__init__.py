"""msgspec wire models per OCPI version (`v211`, `v221`), with shared base types in `_base`."""
