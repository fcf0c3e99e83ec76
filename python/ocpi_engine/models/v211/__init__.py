"""OCPI 2.1.1 wire models, one module per OCPI module."""
