"""Credentials module use cases (credentials.md): both sides of registration, update/rotation, unregistration.

Server side (a partner calls our credentials endpoint) and client side (we register with a partner) share
version negotiation and endpoint discovery. Nothing is half-written: a partner row changes only after every
remote call of the step succeeded, in one store write.

Once a registration is stored (either side), or an update that changed the version or a Receiver endpoint, the
first push of our own objects to that partner starts in the background (`start_initial_push`, services/sync.py
`run_initial_push`): the credentials answer never waits for it and never fails because of it.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

import msgspec

from ocpi_engine.clients.ocpi import OcpiClient, OcpiReply
from ocpi_engine.errors import (
    ClientApiError,
    InvalidParametersError,
    MethodNotAllowedError,
    NoMatchingEndpointsError,
    UnsupportedVersionError,
)
from ocpi_engine.models.v211.versions import VersionDetails as VersionDetails211
from ocpi_engine.models.v221.versions import Version, VersionDetails as VersionDetails221
from ocpi_engine.services.partners import PartnerDirectory, new_token, token_hash
from ocpi_engine.services.sync import initial_modules
from ocpi_engine.settings import Settings
from ocpi_engine.storage.base import PartnerRecord, Store

__all__ = ["SUPPORTED_VERSIONS", "CredentialsService", "own_credentials"]

log = logging.getLogger("ocpi_engine.credentials")

SUPPORTED_VERSIONS = ("2.2.1", "2.1.1")
"""Versions we speak, best first (negotiation picks the first the partner also lists)."""


def _business_details(settings: Settings) -> dict[str, Any]:
    details: dict[str, Any] = {"name": settings.business_name}
    if settings.business_website:
        details["website"] = settings.business_website
    return details


def own_roles(settings: Settings) -> list[dict[str, Any]]:
    """Our CredentialsRole list (2.2.1 form)."""
    return [
        {
            "role": role,
            "business_details": _business_details(settings),
            "party_id": settings.party_id,
            "country_code": settings.country_code,
        }
        for role in settings.roles
    ]


def own_credentials(settings: Settings, token: str, version: str) -> dict[str, Any]:
    """Our Credentials object for a version, carrying `token` (the token the partner must use with us)."""
    if version == "2.1.1":
        return {
            "token": token,
            "url": settings.versions_url,
            "business_details": _business_details(settings),
            "party_id": settings.party_id,
            "country_code": settings.country_code,
        }
    return {"token": token, "url": settings.versions_url, "roles": own_roles(settings)}


def roles_from_credentials(credentials: Any, version: str, *, v211_role: str = "OTHER") -> list[dict[str, Any]]:
    """2.2.1 CredentialsRole dicts from a decoded Credentials struct of either version."""
    if version == "2.1.1":
        return [
            {
                "role": v211_role,
                "business_details": msgspec.to_builtins(credentials.business_details),
                "party_id": credentials.party_id.upper(),
                "country_code": credentials.country_code.upper(),
            }
        ]
    roles = msgspec.to_builtins(credentials.roles)
    for role in roles:
        role["party_id"] = role["party_id"].upper()
        role["country_code"] = role["country_code"].upper()
    return roles




class Discovery(msgspec.Struct, kw_only=True):
    version: str
    endpoints: list[dict[str, Any]]
    auth_mode: str


class CredentialsService:
    def __init__(self, settings: Settings, store: Store, directory: PartnerDirectory, client: OcpiClient) -> None:
        self.settings = settings
        self.store = store
        self.directory = directory
        self.client = client
        self.start_initial_push: Callable[[int, list[str], float], object] | None = None
        """Set by the app: starts in the background the first push of our objects to a partner (its id, the
        modules, seconds the entries wait). Unset (CLI context): nothing is queued at registration."""

    def _registered(self, partner: PartnerRecord, previous: PartnerRecord | None, *, incoming: bool) -> None:
        """The partner's registration (or update) is stored: start the first push of the modules it now receives
        at a new URL or version. A partner registering with us gets `initial_push_delay` to take in our answer."""
        if self.start_initial_push is None:
            return
        wanted = self.settings.initial_push  # `auto`, `none` or a comma list (normalized by Settings)
        modules = initial_modules(partner, previous)
        if wanted != "auto":
            modules = [m for m in modules if m in wanted.split(",")]
        if not modules:
            return
        try:
            self.start_initial_push(partner.id, modules, self.settings.initial_push_delay if incoming else 0.0)
        except Exception:  # the registration stands; the push can be queued by hand
            log.exception("first push to partner %s not started; queue it by hand with `ocpi-engine sync push "
                          "--initial %s`", partner.id, partner.id)

    # -- discovery -----------------------------------------------------------------------------------
    @staticmethod
    def _check(reply: OcpiReply, what: str, url: str) -> Any:
        if reply.http_status == 401:
            raise ClientApiError(f"{what}: the partner at {url} answered 401: the token was refused; check it")
        if reply.http_status >= 400 or reply.status_code is None or not 1000 <= reply.status_code < 2000:
            detail = f"OCPI {reply.status_code} {reply.status_message or ''}".strip()
            raise ClientApiError(f"{what}: the partner at {url} answered HTTP {reply.http_status} ({detail})")
        return reply.data

    async def discover(
        self, versions_url: str, token: str, *, version: str | None = None, auth_mode: str = "auto"
    ) -> Discovery:
        """GET the partner's versions, pick `version` (or the highest mutual one), GET its details."""
        # The version hint picks the Authorization encoding (raw for 2.1.1); unknown: base64, then raw on a 401.
        reply = await self.client.request("GET", versions_url, token=token, version=version, auth_mode=auth_mode)
        if reply.headers.get("x-ocpi-engine-auth-mode") == "raw":
            auth_mode = "raw"
        data = self._check(reply, "GET versions", versions_url)
        try:
            versions = msgspec.convert(data, list[Version])
        except msgspec.ValidationError as exc:
            raise ClientApiError(f"GET versions: {versions_url} did not answer a list of versions ({exc})") from exc
        offered = {str(v.version): v.url for v in versions}
        wanted = [version] if version else list(SUPPORTED_VERSIONS)
        chosen = next((v for v in wanted if v in offered), None)
        if chosen is None:
            raise UnsupportedVersionError(
                f"no mutual OCPI version: the partner offers {sorted(offered) or 'none'}, we need one of {wanted}"
            )
        details_url = offered[chosen]
        reply = await self.client.request(
            "GET", details_url, token=token, version=chosen, auth_mode=auth_mode
        )
        data = self._check(reply, f"GET version details {chosen}", details_url)
        try:
            details: VersionDetails211 | VersionDetails221 = (
                msgspec.convert(data, VersionDetails211) if chosen == "2.1.1" else msgspec.convert(data, VersionDetails221))
        except msgspec.ValidationError as exc:
            raise ClientApiError(f"GET version details: {details_url} answered an invalid object ({exc})") from exc
        endpoints = msgspec.to_builtins(details.endpoints)
        if not any(ep.get("identifier") == "credentials" for ep in endpoints):
            raise NoMatchingEndpointsError(
                f"the partner's {chosen} version details list no credentials endpoint; ask them to publish one"
            )
        return Discovery(version=chosen, endpoints=endpoints, auth_mode=auth_mode)

    # -- server side ---------------------------------------------------------------------------------
    async def register_incoming(
        self, partner: PartnerRecord, credentials: Any, version: str, *, v211_role: str = "OTHER"
    ) -> dict[str, Any]:
        """A partner POSTs its credentials with the Token A we gave it (credentials.md section 3, step 7)."""
        if partner.status == "REGISTERED":
            raise MethodNotAllowedError("already registered: use PUT to update credentials or DELETE to unregister")
        if partner.token_kind != "A" or partner.status != "PENDING":
            raise MethodNotAllowedError("this token cannot register; ask for a new Token A")
        roles = roles_from_credentials(credentials, version, v211_role=v211_role)
        await self._check_parties_free(partner, roles)
        discovery = await self.discover(credentials.url, credentials.token, version=version)
        token_c = new_token()
        previous = copy.copy(partner)
        updated = msgspec.structs.replace(
            partner,
            status="REGISTERED",
            token_kind="C",
            incoming_token_hash=token_hash(token_c),
            next_token_hash=None,
            outbound_token=credentials.token,
            versions_url=credentials.url,
            version=discovery.version,
            endpoints=discovery.endpoints,
            roles=roles,
            outbound_auth=discovery.auth_mode,
        )
        if not await self.directory.save(updated, previous=previous, only_if_unchanged=True):
            raise MethodNotAllowedError("already registered: a concurrent POST with this Token A won; use its token")
        self._registered(updated, None, incoming=True)
        return own_credentials(self.settings, token_c, version)

    async def update_incoming(
        self, partner: PartnerRecord, credentials: Any, version: str, *, v211_role: str = "OTHER"
    ) -> dict[str, Any]:
        """A registered partner PUTs new credentials: re-discover, issue a new token (credentials.md section 4)."""
        if partner.status != "REGISTERED":
            raise MethodNotAllowedError("not registered: POST credentials with a Token A first")
        roles = roles_from_credentials(credentials, version, v211_role=v211_role)
        await self._check_parties_free(partner, roles)
        discovery = await self.discover(credentials.url, credentials.token, version=version)
        token_c = new_token()
        previous = copy.copy(partner)
        updated = msgspec.structs.replace(
            partner,
            token_kind="C",
            incoming_token_hash=token_hash(token_c),
            next_token_hash=None,
            outbound_token=credentials.token,
            versions_url=credentials.url,
            version=discovery.version,
            endpoints=discovery.endpoints,
            roles=roles,
            outbound_auth=discovery.auth_mode,
        )
        if not await self.directory.save(updated, previous=previous, only_if_unchanged=True):
            raise MethodNotAllowedError("credentials changed meanwhile: a concurrent PUT with this token won; use its token")
        self._registered(updated, previous, incoming=True)
        return own_credentials(self.settings, token_c, version)

    async def _undo_remote_registration(self, url: str, token: str, version: str, auth_mode: str) -> None:
        """Best effort DELETE of our credentials at the partner; the caller reports the original error either way."""
        try:
            await self.client.request("DELETE", url, token=token, version=version, auth_mode=auth_mode)
        except ClientApiError:
            return

    async def _check_parties_free(self, partner: PartnerRecord, roles: list[dict[str, Any]]) -> None:
        """Each party (country_code*party_id) belongs to one partner connection and is never ours: client-owned
        objects are stored under the party, so a second holder could read and overwrite them."""
        wanted = {(str(r["country_code"]).upper(), str(r["party_id"]).upper()) for r in roles}
        own = (self.settings.country_code, self.settings.party_id)
        if own in wanted:
            raise InvalidParametersError(
                f"invalid field `roles`: {own[0]}*{own[1]} is this platform's own party; register your own party",
                field="roles",
            )
        for other in await self.store.list_partners():
            if other.id == partner.id or other.status != "REGISTERED":
                continue
            taken = sorted(wanted & other.parties())
            if taken:
                names = ", ".join(f"{cc}*{pid}" for cc, pid in taken)
                raise InvalidParametersError(
                    f"invalid field `roles`: {names} is already registered by another connection on this platform; "
                    "ask its operator to remove that connection first",
                    field="roles",
                )

    async def unregister_incoming(self, partner: PartnerRecord) -> None:
        """A registered partner DELETEs its credentials: its token dies, we stop calling it."""
        if partner.status != "REGISTERED":
            raise MethodNotAllowedError("not registered: nothing to delete")
        await self._forget(partner)

    async def _forget(self, partner: PartnerRecord) -> None:
        previous = copy.copy(partner)
        updated = msgspec.structs.replace(
            partner,
            status="UNREGISTERED",
            incoming_token_hash=None,
            next_token_hash=None,
            outbound_token=None,
        )
        await self.directory.save(updated, previous=previous)

    # -- client side ---------------------------------------------------------------------------------
    async def issue_token_a(self, name: str) -> tuple[PartnerRecord, str]:
        """Create a pending partner holding a fresh Token A (handed over out of band)."""
        token_a = new_token()
        partner = await self.store.create_partner(
            PartnerRecord(id=0, name=name, status="PENDING", token_kind="A", incoming_token_hash=token_hash(token_a))
        )
        return partner, token_a

    async def register_with(self, versions_url: str, token_a: str, *, name: str | None = None) -> PartnerRecord:
        """We are the Sender of the handshake: discover, POST our credentials with a new Token B, store Token C."""
        discovery = await self.discover(versions_url, token_a)
        version = discovery.version
        credentials_url = next(ep["url"] for ep in discovery.endpoints if ep.get("identifier") == "credentials")
        token_b = new_token()
        # The partner calls our versions endpoints with Token B while our POST is open, so Token B must be
        # accepted before the POST; the row is removed again if anything fails.
        partner = await self.store.create_partner(
            PartnerRecord(
                id=0,
                name=name or versions_url,
                status="PENDING",
                token_kind="A",
                incoming_token_hash=token_hash(token_b),
                versions_url=versions_url,
                version=version,
                endpoints=discovery.endpoints,
                outbound_auth=discovery.auth_mode,
            )
        )
        try:
            reply = await self.client.request(
                "POST",
                credentials_url,
                token=token_a,
                version=version,
                auth_mode=discovery.auth_mode,
                body=own_credentials(self.settings, token_b, version),
            )
            if reply.http_status == 405:
                raise MethodNotAllowedError(
                    "the partner says we are already registered (405); use `partners update` instead", http_status=200
                )
            data = self._check(reply, "POST credentials", credentials_url)
            theirs = self._decode_credentials(data, version, credentials_url)
            roles = roles_from_credentials(theirs, version)
            try:
                await self._check_parties_free(partner, roles)
            except InvalidParametersError:
                # The partner registered us already: unregister again so neither side keeps a dead connection.
                await self._undo_remote_registration(credentials_url, theirs.token, version, discovery.auth_mode)
                raise
            updated = msgspec.structs.replace(
                partner,
                status="REGISTERED",
                token_kind="C",
                outbound_token=theirs.token,
                versions_url=theirs.url,
                roles=roles,
            )
            await self.directory.save(updated, previous=partner)
        except BaseException:
            await self.store.delete_partner(partner.id)
            await self.directory.invalidate(partner)
            raise
        self._registered(updated, None, incoming=False)
        return updated

    async def update_with(self, partner: PartnerRecord) -> PartnerRecord:
        """Rotate tokens with a registered partner: PUT our credentials with a new token, store theirs."""
        if partner.status != "REGISTERED" or not partner.outbound_token or not partner.versions_url:
            raise MethodNotAllowedError(f"partner {partner.id} is not registered; register it first")
        discovery = await self.discover(
            partner.versions_url, partner.outbound_token, auth_mode=partner.outbound_auth
        )
        version = discovery.version
        credentials_url = next(ep["url"] for ep in discovery.endpoints if ep.get("identifier") == "credentials")
        new_incoming = new_token()
        # Accept the new token alongside the current one while the PUT is open (the partner re-discovers us).
        staged = msgspec.structs.replace(partner, next_token_hash=token_hash(new_incoming))
        await self.directory.save(staged, previous=partner)
        try:
            reply = await self.client.request(
                "PUT",
                credentials_url,
                token=partner.outbound_token,
                version=version,
                auth_mode=discovery.auth_mode,
                body=own_credentials(self.settings, new_incoming, version),
            )
            data = self._check(reply, "PUT credentials", credentials_url)
            theirs = self._decode_credentials(data, version, credentials_url)
        except BaseException:
            await self.directory.save(msgspec.structs.replace(staged, next_token_hash=None), previous=staged)
            raise
        updated = msgspec.structs.replace(
            staged,
            incoming_token_hash=token_hash(new_incoming),
            next_token_hash=None,
            outbound_token=theirs.token,
            versions_url=theirs.url,
            version=version,
            endpoints=discovery.endpoints,
            roles=roles_from_credentials(theirs, version),
            outbound_auth=discovery.auth_mode,
        )
        await self.directory.save(updated, previous=staged)
        self._registered(updated, partner, incoming=False)
        return updated

    async def unregister_with(self, partner: PartnerRecord, *, force: bool = False) -> None:
        """DELETE our credentials at the partner, then forget its tokens (with force, even if that call fails)."""
        if partner.status == "REGISTERED" and partner.outbound_token:
            url = partner.endpoint("credentials")
            try:
                if url is None:
                    raise NoMatchingEndpointsError("the partner has no credentials endpoint on record")
                reply = await self.client.request(
                    "DELETE", url, token=partner.outbound_token, version=partner.version,
                    auth_mode=partner.outbound_auth,
                )
                self._check(reply, "DELETE credentials", url)
            except Exception:
                if not force:
                    raise
        await self._forget(partner)

    @staticmethod
    def _decode_credentials(data: Any, version: str, url: str) -> Any:
        from ocpi_engine.models.v211.credentials import Credentials as Credentials211
        from ocpi_engine.models.v221.credentials import Credentials as Credentials221

        kind = Credentials211 if version == "2.1.1" else Credentials221
        try:
            return msgspec.convert(data, kind)
        except msgspec.ValidationError as exc:
            raise ClientApiError(f"{url} answered invalid {version} credentials: {exc}") from exc
