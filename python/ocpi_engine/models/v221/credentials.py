"""OCPI 2.2.1 Credentials object (credentials.md section 2)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from ocpi_engine.models._base import CountryCode, CredentialsToken, OcpiStruct, PartyId, Url
from ocpi_engine.models.common import BusinessDetails
from ocpi_engine.models.versions import Role

__all__ = ["Credentials", "CredentialsRole"]


class CredentialsRole(OcpiStruct):
    role: Role
    business_details: BusinessDetails
    party_id: PartyId
    country_code: CountryCode


class Credentials(OcpiStruct):
    token: CredentialsToken
    url: Url
    roles: Annotated[list[CredentialsRole], msgspec.Meta(min_length=1)]
