"""OCPI 2.2.1 controllers, one module per OCPI module; each exports INTERFACES (see api/registry.py)."""
