"""Outbound OCPI clients: how we call partners (authorization encoding, envelopes, version discovery)."""

from ocpi_engine.clients.ocpi import OcpiClient, OcpiReply, authorization_header

__all__ = ["OcpiClient", "OcpiReply", "authorization_header"]
