"""OCPI 2.1.1 Tokens module objects (tokens.md section 5): `auth_id` instead of `contract_id`, no owner fields,
AuthorizationInfo without `token`/`authorization_reference`, LocationReferences with `connector_ids`."""

from __future__ import annotations

import enum

import msgspec
from msgspec import UNSET, UnsetType

from ocpi_engine.models._base import CiString39, DateTime, OcpiStruct, String2, String36, String64
from ocpi_engine.models.common import DisplayText
from ocpi_engine.models.v221.tokens import AllowedType, WhitelistType

__all__ = ["AuthorizationInfo", "LocationReferences", "Token", "TokenPatch", "TokenType"]


class TokenType(enum.StrEnum):
    OTHER = "OTHER"
    RFID = "RFID"


class Token(OcpiStruct):
    uid: String36
    type: TokenType
    auth_id: String36
    issuer: String64
    valid: bool
    whitelist: WhitelistType
    last_updated: DateTime
    visual_number: String64 | None = None
    language: String2 | None = None


class TokenPatch(OcpiStruct):
    """2.1.1 PATCH: any subset of fields; `last_updated` is not required in 2.1.1."""

    uid: String36 | UnsetType = UNSET
    type: TokenType | UnsetType = UNSET
    auth_id: String36 | UnsetType = UNSET
    issuer: String64 | UnsetType = UNSET
    valid: bool | UnsetType = UNSET
    whitelist: WhitelistType | UnsetType = UNSET
    last_updated: DateTime | UnsetType = UNSET
    visual_number: String64 | None | UnsetType = UNSET
    language: String2 | None | UnsetType = UNSET


class LocationReferences(OcpiStruct):
    location_id: CiString39
    evse_uids: list[CiString39] | None = None
    connector_ids: list[String36] | None = None


class AuthorizationInfo(OcpiStruct):
    allowed: AllowedType
    location: LocationReferences | None = None
    info: DisplayText | None = None


token_decoder = msgspec.json.Decoder(Token)
token_patch_decoder = msgspec.json.Decoder(TokenPatch)
location_references_decoder = msgspec.json.Decoder(LocationReferences)
