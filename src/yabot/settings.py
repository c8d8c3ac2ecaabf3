"""Service configuration: one section per concern, read from the environment and `.env`.

`load_settings()` validates every section plus the cross-field rules and raises
`ConfigError` listing each bad variable, so start-up can refuse cleanly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(Exception):
    """Invalid configuration; `problems` holds (VARIABLE, what is wrong) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{var}: {msg}" for var, msg in problems))


def _config(prefix: str = "") -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", env_ignore_empty=True, extra="ignore"
    )


class StorageSettings(BaseSettings):
    model_config = _config()

    sqlite_database_path: Path = Path("data/yabot.db")
    database_url: SecretStr | None = None
    mongodb_uri: SecretStr | None = None
    mongodb_database: str = Field("yabot", min_length=1)

    @field_validator("database_url")
    @classmethod
    def _sql_url(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None:
            return v
        url = v.get_secret_value()
        if url.startswith(("postgres://", "postgresql://")):
            url = "postgresql+asyncpg://" + url.split("://", 1)[1]
        if not url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("must be a postgresql+asyncpg:// (or sqlite+aiosqlite://) URL")
        return SecretStr(url)

    @field_validator("mongodb_uri")
    @classmethod
    def _mongo_url(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return v


class RedisSettings(BaseSettings):
    model_config = _config("REDIS_")

    url: SecretStr | None = None
    password: SecretStr | None = None
    sentinels: str | None = None
    sentinel_master: str | None = None
    cluster: bool = False

    @field_validator("url")
    @classmethod
    def _redis_url(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith(("redis://", "rediss://")):
            raise ValueError("must start with redis:// or rediss://")
        return v

    @field_validator("sentinels")
    @classmethod
    def _hosts(cls, v: str | None) -> str | None:
        if v is not None:
            parse_hosts(v)
        return v

    def sentinel_hosts(self) -> list[tuple[str, int]]:
        return parse_hosts(self.sentinels) if self.sentinels else []


def parse_hosts(value: str) -> list[tuple[str, int]]:
    """Parse comma-separated `host:port` pairs."""
    hosts = []
    for part in value.split(","):
        host, sep, port = part.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{part.strip()!r} is not host:port")
        hosts.append((host, int(port)))
    return hosts


class ApiSettings(BaseSettings):
    model_config = _config("API_")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    tls_certfile: Path | None = None
    tls_keyfile: Path | None = None


class JwtSettings(BaseSettings):
    model_config = _config("JWT_")

    algorithm: Literal["RS256", "HS256"] = "RS256"
    private_key_path: Path | None = None
    public_key_path: Path | None = None
    secret: SecretStr | None = None
    issuer: str = Field("yabot-api", min_length=1)
    audience: str = Field("yabot-internal", min_length=1)
    leeway_seconds: int = Field(30, ge=0, le=30)


class BotSettings(BaseSettings):
    model_config = _config()

    bot_token: SecretStr | None = None
    bot_mode: Literal["polling", "webhook"] = "polling"
    telegram_api_url: str = "https://api.telegram.org"
    webhook_base_url: str | None = None
    webhook_path: str = "/telegram/webhook"
    webhook_secret: SecretStr | None = None
    reaction_reward_besitos: int = Field(1, ge=0)
    # the send queue: messages/s for the whole deployment, per chat, and a claim's lease
    telegram_send_rate: float = Field(25.0, gt=0, le=100_000)
    telegram_chat_rate: float = Field(1.0, gt=0, le=1000)
    telegram_send_lease_seconds: float = Field(30.0, ge=1, le=3600)

    @field_validator("webhook_path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError("must start with '/'")
        return v


class EventSettings(BaseSettings):
    """Event bus tuning (extends the contract; every variable has a safe default)."""

    model_config = _config("EVENTS_")

    partitions: int = Field(16, ge=1, le=1024)
    max_deliveries: int = Field(5, ge=1, le=100)
    concurrency: int = Field(32, ge=1, le=1024)
    log_retention_days: int = Field(30, ge=1)
    processed_retention_days: int = Field(7, ge=1)
    # sent outbox rows kept to send again when Redis loses data (shorter than the marks')
    replay_window_seconds: int = Field(900, ge=0, le=86_400)
    publish_channel: bool = False


class AdminSettings(BaseSettings):
    """Admin panel under /admin (extends the contract)."""

    model_config = _config("ADMIN_")

    session_ttl_minutes: int = Field(480, ge=1, le=10_080)
    # HMAC key of the session cookie; unset = generated once in the data directory
    session_secret: SecretStr | None = None
    # mark the cookie Secure over plain HTTP too (behind a TLS-terminating proxy)
    secure_cookie: bool = False

    @field_validator("session_secret")
    @classmethod
    def _secret_length(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes")
        return v


class EconomySettings(BaseSettings):
    """The economy (extends the contract): VIP multiplier, anti-farming cap, missions, gift."""

    model_config = _config()

    vip_besitos_multiplier: int = Field(2, ge=1, le=100)
    # reaction rewards per user and local day (on top of one per message); 0 = no cap
    reaction_daily_cap: int = Field(20, ge=0)
    missions_per_day: int = Field(3, ge=0, le=20)
    daily_gift_besitos: int = Field(2, ge=1)  # day 1 of a streak
    daily_gift_streak_cap: int = Field(7, ge=1, le=365)  # the gift stops growing here
    default_timezone: str = "America/Mexico_City"

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {v!r}") from None
        return v


class PaymentSettings(BaseSettings):
    """VIP sold in Telegram Stars, and the private channel it opens (contract, issue 16)."""

    model_config = _config()

    vip_price_stars: int = Field(250, ge=1, le=100_000)
    vip_channel_id: int | None = None  # unset: no channel (the log says so at start)
    # how often plans are ended, reminders sent and removals carried out (60 s rule)
    vip_sweep_seconds: float = Field(10, ge=1, le=50)


class LogSettings(BaseSettings):
    model_config = _config("LOG_")

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    format: Literal["console", "json"] = "console"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, v: object) -> object:
        return v.upper() if isinstance(v, str) else v


@dataclass(frozen=True, kw_only=True)
class Settings:
    storage: StorageSettings
    redis: RedisSettings
    api: ApiSettings
    jwt: JwtSettings
    bot: BotSettings
    events: EventSettings
    log: LogSettings
    admin: AdminSettings = _field(default_factory=AdminSettings)
    economy: EconomySettings = _field(default_factory=EconomySettings)
    payments: PaymentSettings = _field(default_factory=PaymentSettings)

    @classmethod
    def of(cls, **sections: BaseSettings) -> Settings:
        """The given sections, every other one read from the environment as usual (for
        embedding, tests and benchmarks; `load_settings()` is what validates a deployment)."""
        unknown = sorted(set(sections) - set(_SECTIONS))
        if unknown:
            raise TypeError(f"unknown settings section(s): {', '.join(unknown)}")
        return cls(**{name: sections.get(name) or section()  # type: ignore[arg-type]
                      for name, (section, _) in _SECTIONS.items()})

    def secrets(self) -> list[str]:
        """Every configured secret value, for log redaction."""
        values = [
            self.storage.database_url, self.storage.mongodb_uri, self.redis.url,
            self.redis.password, self.jwt.secret, self.bot.bot_token, self.bot.webhook_secret,
            self.admin.session_secret,
        ]
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]


_SECTIONS: dict[str, tuple[type[BaseSettings], str]] = {
    "storage": (StorageSettings, ""),
    "redis": (RedisSettings, "REDIS_"),
    "api": (ApiSettings, "API_"),
    "jwt": (JwtSettings, "JWT_"),
    "bot": (BotSettings, ""),
    "events": (EventSettings, "EVENTS_"),
    "log": (LogSettings, "LOG_"),
    "admin": (AdminSettings, "ADMIN_"),
    "economy": (EconomySettings, ""),
    "payments": (PaymentSettings, ""),
}


def load_settings() -> Settings:
    """Read and validate all sections; raise ConfigError naming every bad variable."""
    problems: list[tuple[str, str]] = []
    built: dict[str, BaseSettings] = {}
    for name, (cls, prefix) in _SECTIONS.items():
        try:
            built[name] = cls()
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err["loc"] else name
                message = err["msg"].removeprefix("Value error, ")
                problems.append(((prefix + field).upper(), message))
    for name, section in built.items():
        rule = _RULES.get(name)
        if rule is not None:
            problems.extend(rule(section))
    if problems:
        raise ConfigError(problems)
    return Settings(**built)  # type: ignore[arg-type]


Problems = list[tuple[str, str]]


def _jwt_rules(jwt: JwtSettings) -> Problems:
    problems: Problems = []
    if jwt.algorithm == "HS256":
        secret = jwt.secret.get_secret_value() if jwt.secret else ""
        if len(secret.encode()) < 32:
            problems.append(("JWT_SECRET", "HS256 needs a secret of at least 32 bytes"))
    else:
        for var, path in (("JWT_PRIVATE_KEY_PATH", jwt.private_key_path),
                          ("JWT_PUBLIC_KEY_PATH", jwt.public_key_path)):
            if path is not None and not path.is_file():
                problems.append((var, f"file {path} does not exist"))
    return problems


def _bot_rules(bot: BotSettings) -> Problems:
    problems: Problems = []
    if bot.bot_mode != "webhook":
        return problems
    if not bot.webhook_base_url:
        problems.append(("WEBHOOK_BASE_URL", "required when BOT_MODE=webhook"))
    elif not bot.webhook_base_url.startswith(("http://", "https://")):
        problems.append(("WEBHOOK_BASE_URL", "must be an http(s) URL"))
    secret = bot.webhook_secret.get_secret_value() if bot.webhook_secret else ""
    if not secret:
        problems.append(("WEBHOOK_SECRET", "required when BOT_MODE=webhook"))
    elif not all(c.isalnum() or c in "_-" for c in secret) or len(secret) > 256:
        problems.append(("WEBHOOK_SECRET", "1-256 characters of A-Z, a-z, 0-9, _ and -"))
    return problems


def _redis_rules(redis: RedisSettings) -> Problems:
    problems: Problems = []
    if redis.sentinels and not redis.sentinel_master:
        problems.append(("REDIS_SENTINEL_MASTER", "required when REDIS_SENTINELS is set"))
    if redis.cluster and redis.sentinels:
        problems.append(("REDIS_CLUSTER", "cannot be combined with REDIS_SENTINELS"))
    if redis.cluster and not redis.url:
        problems.append(("REDIS_URL", "required when REDIS_CLUSTER=true (a seed node)"))
    return problems


def _api_rules(api: ApiSettings) -> Problems:
    problems: Problems = []
    tls = (api.tls_certfile, api.tls_keyfile)
    if any(tls) and not all(tls):
        problems.append(("API_TLS_KEYFILE", "API_TLS_CERTFILE and API_TLS_KEYFILE go together"))
    for var, path in (("API_TLS_CERTFILE", tls[0]), ("API_TLS_KEYFILE", tls[1])):
        if path is not None and not path.is_file():
            problems.append((var, f"file {path} does not exist"))
    return problems


# rules that involve more than one variable, per section
_RULES: dict[str, Callable[[Any], Problems]] = {
    "jwt": _jwt_rules, "bot": _bot_rules, "redis": _redis_rules, "api": _api_rules,
}
