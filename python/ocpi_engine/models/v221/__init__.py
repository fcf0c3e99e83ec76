"""OCPI 2.2.1 wire models, one module per OCPI module."""
