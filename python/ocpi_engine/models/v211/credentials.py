"""OCPI 2.1.1 Credentials object: one party per connection (credentials.md section 7)."""

from __future__ import annotations

from ocpi_engine.models._base import CountryCode, CredentialsToken, OcpiStruct, PartyId, Url
from ocpi_engine.models.common import BusinessDetails

__all__ = ["Credentials"]


class Credentials(OcpiStruct):
    token: CredentialsToken
    url: Url
    business_details: BusinessDetails
    party_id: PartyId
    country_code: CountryCode
