"""OCPI 2.2.1 Tokens module objects (tokens.md section 3)."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from ocpi_engine.models._base import (
    CiString36,
    CountryCode,
    DateTime,
    OcpiStruct,
    PartyId,
    String2,
    String64,
)
from ocpi_engine.models.common import DisplayText

__all__ = [
    "AllowedType",
    "AuthorizationInfo",
    "EnergyContract",
    "LocationReferences",
    "ProfileType",
    "Token",
    "TokenPatch",
    "TokenType",
    "WhitelistType",
]


class TokenType(enum.StrEnum):
    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


class WhitelistType(enum.StrEnum):
    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


class AllowedType(enum.StrEnum):
    ALLOWED = "ALLOWED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    NO_CREDIT = "NO_CREDIT"
    NOT_ALLOWED = "NOT_ALLOWED"


class ProfileType(enum.StrEnum):
    CHEAP = "CHEAP"
    FAST = "FAST"
    GREEN = "GREEN"
    REGULAR = "REGULAR"


class EnergyContract(OcpiStruct):
    supplier_name: String64
    contract_id: String64 | None = None


class Token(OcpiStruct):
    """A driver token (RFID card, app user, ...), owned by an eMSP."""

    country_code: CountryCode
    party_id: PartyId
    uid: CiString36
    type: TokenType
    contract_id: CiString36
    issuer: String64
    valid: bool
    whitelist: WhitelistType
    last_updated: DateTime
    visual_number: String64 | None = None
    group_id: CiString36 | None = None
    language: String2 | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None


class TokenPatch(OcpiStruct):
    """PATCH body: any subset of Token fields; `last_updated` is required (2.2.1 transport rule)."""

    last_updated: DateTime
    country_code: CountryCode | UnsetType = UNSET
    party_id: PartyId | UnsetType = UNSET
    uid: CiString36 | UnsetType = UNSET
    type: TokenType | UnsetType = UNSET
    contract_id: CiString36 | UnsetType = UNSET
    issuer: String64 | UnsetType = UNSET
    valid: bool | UnsetType = UNSET
    whitelist: WhitelistType | UnsetType = UNSET
    visual_number: String64 | None | UnsetType = UNSET
    group_id: CiString36 | None | UnsetType = UNSET
    language: String2 | None | UnsetType = UNSET
    default_profile_type: ProfileType | None | UnsetType = UNSET
    energy_contract: EnergyContract | None | UnsetType = UNSET


class LocationReferences(OcpiStruct):
    location_id: CiString36
    evse_uids: list[CiString36] | None = None


class AuthorizationInfo(OcpiStruct):
    allowed: AllowedType
    token: Token
    location: LocationReferences | None = None
    authorization_reference: CiString36 | None = None
    info: DisplayText | None = None


# A real-time authorization must be answered fast: module-level codecs.
token_decoder = msgspec.json.Decoder(Token)
token_patch_decoder = msgspec.json.Decoder(TokenPatch)
location_references_decoder = msgspec.json.Decoder(LocationReferences)
TokenList = Annotated[list[Token], msgspec.Meta()]
