"""OCPI objects identical in 2.1.1 and 2.2.1 (locations.md: BusinessDetails, Image; transport.md: DisplayText)."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec

from ocpi_engine.models._base import CiString4, OcpiStruct, String2, String100, String512, Url

__all__ = ["BusinessDetails", "DisplayText", "Image", "ImageCategory"]


class ImageCategory(enum.StrEnum):
    CHARGER = "CHARGER"
    ENTRANCE = "ENTRANCE"
    LOCATION = "LOCATION"
    NETWORK = "NETWORK"
    OPERATOR = "OPERATOR"
    OTHER = "OTHER"
    OWNER = "OWNER"


class Image(OcpiStruct):
    """Image reference (locations.md, Image class)."""

    url: Url
    category: ImageCategory
    type: CiString4
    thumbnail: Url | None = None
    width: Annotated[int, msgspec.Meta(ge=0, le=99999)] | None = None
    height: Annotated[int, msgspec.Meta(ge=0, le=99999)] | None = None


class BusinessDetails(OcpiStruct):
    """Company details (locations.md, BusinessDetails class)."""

    name: String100
    website: Url | None = None
    logo: Image | None = None


class DisplayText(OcpiStruct):
    """Text in one language for an end user (transport.md, DisplayText)."""

    language: String2
    text: String512
