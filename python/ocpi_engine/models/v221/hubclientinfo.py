"""OCPI 2.2.1 HubClientInfo module objects (hubclientinfo.md section 4). The module does not exist in 2.1.1."""

from __future__ import annotations

import enum

import msgspec

from ocpi_engine.models._base import CountryCode, DateTime, OcpiStruct, PartyId
from ocpi_engine.models.versions import Role

__all__ = ["ClientInfo", "ConnectionStatus", "client_info_decoder"]


class ConnectionStatus(enum.StrEnum):
    CONNECTED = "CONNECTED"
    OFFLINE = "OFFLINE"
    PLANNED = "PLANNED"
    SUSPENDED = "SUSPENDED"


class ClientInfo(OcpiStruct):
    """A party reachable through a hub and its connection status."""

    party_id: PartyId
    country_code: CountryCode
    role: Role
    status: ConnectionStatus
    last_updated: DateTime


client_info_decoder = msgspec.json.Decoder(ClientInfo)
