"""One Settings object, read from `OCPI_ENGINE_*` environment variables and overridable by CLI flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import msgspec

from ocpi_engine.models.versions import Role

__all__ = ["Settings", "SettingsError"]

ENV_PREFIX = "OCPI_ENGINE_"


INITIAL_PUSH_MODULES = frozenset({"tokens", "locations", "tariffs", "sessions"})
"""Modules a first push may carry (pushed by PUT; CDRs are POSTed and go by hand: `sync push --initial --module cdrs`)."""


class SettingsError(ValueError):
    """A setting has an invalid value; the message names the environment variable and the fix."""


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Configuration of one ocpi-engine platform. Every field maps to `OCPI_ENGINE_<FIELD>` (upper case)."""

    country_code: str = "NL"
    """ISO 3166-1 alpha-2 country of our own party (all our roles share it)."""
    party_id: str = "OCE"
    """Our own party id (ISO 15118, 3 characters)."""
    roles: tuple[str, ...] = ("CPO", "EMSP")
    """Roles this platform hosts (comma separated in the environment)."""
    business_name: str = "ocpi-engine"
    business_website: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    """Base URL partners reach us at (behind a proxy: the proxy's URL); every OCPI URL we publish starts with it."""
    database_url: str = "sqlite:///var/ocpi-engine.sqlite3"
    """`sqlite:///relative/path`, `sqlite:////absolute/path` or `sqlite://:memory:`."""
    redis_url: str | None = None
    """Redis for the token cache; unset means an in-process cache (single worker)."""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    admin_token: str | None = None
    """Token for the admin API; unset means one is generated and kept in the store."""
    page_size: int = 100
    """Default and maximum page size of every list endpoint (X-Limit)."""
    outbound_timeout: float = 10.0
    """Seconds before an outbound OCPI request to a partner gives up."""
    authorize_timeout: float = 3.0
    """Seconds a CPO waits for an eMSP's real-time authorization before the whitelist fallback applies."""
    redis_timeout: float = 0.2
    """Seconds a Redis call may take before the request falls back to the store (and Redis is paused for 1 s)."""
    cache: str = "auto"
    """`auto`: with OCPI_ENGINE_REDIS_URL, Redis plus an in-process tier kept coherent by Redis invalidation
    messages (cache/tiered.py), else in-process only; `redis`: Redis only, one round trip per lookup; `none`: no
    cache, every lookup reads the store (for measurements)."""
    warm_cache: bool = False
    """Fill the token cache from the store at start-up."""
    cache_ttl: int = 3600
    """Seconds a cached partner/token entry lives in the cache."""
    log_level: str = "INFO"
    charger_adapter: str = "simulated"
    """What a CPO hands commands and charging profiles to: `simulated` (in-process chargers that really charge),
    `none` (everything NOT_SUPPORTED) or `package.module:factory` (see docs/CHARGERS.md)."""
    simulated_tick: float = 60.0
    """Seconds between the charging periods a simulated charger appends to a running session."""
    command_timeout: int = 60
    """Seconds a command or charging profile result may take (CommandResponse.timeout); an eMSP records TIMEOUT
    when a CPO's result does not arrive within the timeout the CPO announced."""
    command_result_attempts: int = 3
    """How many times a CPO tries to POST one asynchronous result to its response_url (1 s, 2 s, ... apart)."""
    push_worker: bool = True
    """Run the partner push worker inside the server, so our changes reach partners without anyone running
    `ocpi-engine sync push` (which drains the outbox once); 0 to push only by hand."""
    push_concurrency: int = 4
    """Pushes in flight per partner (entries of one object always go one at a time, in order)."""
    push_max_backoff: float = 300.0
    """Seconds: cap of the exponential backoff between attempts of one push (and of a partner's Retry-After)."""
    initial_push: str = "auto"
    """What a partner gets pushed when it registers: `auto` (every own object of every module it receives by PUT:
    tokens, locations, tariffs, sessions), `none` (it pulls what it wants), or a comma list of those modules."""
    initial_push_delay: float = 5.0
    """Seconds the first push of our objects to a partner that registered with us waits: it may accept the token
    it gave us on functional endpoints only once it has our credentials answer (ours do)."""

    def __post_init__(self) -> None:
        self.country_code = self.country_code.upper()
        self.party_id = self.party_id.upper()
        self.public_url = self.public_url.rstrip("/")
        if len(self.country_code) != 2 or not self.country_code.isalpha():
            raise SettingsError("OCPI_ENGINE_COUNTRY_CODE must be 2 letters (ISO 3166-1 alpha-2), e.g. NL")
        if len(self.party_id) != 3 or not self.party_id.isalnum():
            raise SettingsError("OCPI_ENGINE_PARTY_ID must be 3 letters or digits, e.g. OCE")
        roles = tuple(r.strip().upper() for r in self.roles if r.strip())
        unknown = [r for r in roles if r not in Role.__members__]
        if unknown or not roles:
            raise SettingsError(
                f"OCPI_ENGINE_ROLES has unknown role(s) {unknown or roles}; use a comma list of {', '.join(Role)}"
            )
        self.roles = roles
        if not self.public_url.startswith(("http://", "https://")):
            raise SettingsError("OCPI_ENGINE_PUBLIC_URL must start with http:// or https://")
        if not 1 <= self.page_size <= 10_000:
            raise SettingsError("OCPI_ENGINE_PAGE_SIZE must be between 1 and 10000")
        if self.cache not in ("auto", "redis", "none"):
            raise SettingsError("OCPI_ENGINE_CACHE must be auto, redis or none")
        if self.command_timeout < 1 or self.simulated_tick <= 0 or not 1 <= self.command_result_attempts <= 10:
            raise SettingsError("OCPI_ENGINE_COMMAND_TIMEOUT and OCPI_ENGINE_SIMULATED_TICK must be positive and "
                                "OCPI_ENGINE_COMMAND_RESULT_ATTEMPTS between 1 and 10")
        if self.workers < 1:
            raise SettingsError("OCPI_ENGINE_WORKERS must be at least 1")
        push = {m.strip().lower() for m in self.initial_push.split(",") if m.strip()}
        if push not in ({"auto"}, {"none"}) and (not push or not push <= INITIAL_PUSH_MODULES):
            raise SettingsError(f"OCPI_ENGINE_INITIAL_PUSH must be auto, none or a comma list of "
                                f"{', '.join(sorted(INITIAL_PUSH_MODULES))}, not {self.initial_push!r}")
        self.initial_push = ",".join(sorted(push))
        if not 0 <= self.initial_push_delay <= 3600:
            raise SettingsError("OCPI_ENGINE_INITIAL_PUSH_DELAY must be between 0 and 3600 seconds")

    def __repr__(self) -> str:
        shown = {f: getattr(self, f) for f in self.__struct_fields__}
        if shown["admin_token"]:
            shown["admin_token"] = "***"
        if shown["redis_url"] and "@" in shown["redis_url"]:
            shown["redis_url"] = "redis://***@" + shown["redis_url"].split("@", 1)[1]
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from the environment, then apply non-None keyword overrides (CLI flags)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name in cls.__struct_fields__:
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is not None and raw != "":
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        if isinstance(values.get("roles"), str):
            values["roles"] = values["roles"].split(",")
        try:
            return msgspec.convert(values, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(f"invalid setting: {exc} (environment variables are OCPI_ENGINE_<FIELD>)") from exc

    @property
    def versions_url(self) -> str:
        return f"{self.public_url}/ocpi/versions"

    def sqlite_path(self) -> str | None:
        """The SQLite file path of `database_url`, or None if it is not a SQLite URL."""
        if not self.database_url.startswith("sqlite://"):
            return None
        rest = self.database_url[len("sqlite://") :]
        if rest in (":memory:", "/:memory:"):
            return ":memory:"
        return rest[1:] if rest.startswith("/") else rest
