"""OCPI 2.1.1 controllers, one module per OCPI module; each exports INTERFACES (see api/registry.py)."""
