"""Versions module objects (transport.md section 6): shared enums for both OCPI versions."""

from __future__ import annotations

import enum

__all__ = ["InterfaceRole", "ModuleID", "Role", "VersionNumber"]


class VersionNumber(enum.StrEnum):
    V2_0 = "2.0"
    V2_1 = "2.1"
    V2_1_1 = "2.1.1"
    V2_2 = "2.2"
    V2_2_1 = "2.2.1"


class ModuleID(enum.StrEnum):
    cdrs = "cdrs"
    chargingprofiles = "chargingprofiles"
    commands = "commands"
    credentials = "credentials"
    hubclientinfo = "hubclientinfo"
    locations = "locations"
    sessions = "sessions"
    tariffs = "tariffs"
    tokens = "tokens"


class InterfaceRole(enum.StrEnum):
    SENDER = "SENDER"
    RECEIVER = "RECEIVER"


class Role(enum.StrEnum):
    """Role of a party (2.2.1 types.asciidoc); 2.1.1 connections are implicitly CPO or EMSP."""

    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"
