"""Build redis.asyncio clients from REDIS_* settings: URL (TLS), Sentinel or Cluster.

Clients connect lazily, fail fast (short timeouts, `retries` immediate retries) and never
log the URL or the password. Below every user of Redis: the event transport, the
authentication-failure limiter (security/) and the bot's FSM storage.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import (
    Sentinel,
    SentinelManagedConnection,
    SentinelManagedSSLConnection,
)
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from yabot.settings import RedisSettings

DEFAULT_URL = "redis://127.0.0.1:6379/0"


def without_password(url: str) -> str:
    """The URL with its password removed (keeps a username)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    username = userinfo.split(":", 1)[0]
    netloc = f"{username}@{hostport}" if username else hostport
    return urlunsplit(parts._replace(netloc=netloc))


class _MasterResolving:
    """Ask the sentinels for the master on every (re)connect, retries included.

    redis-py (8.1; redis/redis-py#3874) re-resolves the master only in `connect()`: a
    command retried after a dropped connection reconnects to the last host:port, so after
    a failover the one immediate retry goes to the dead old master and the call fails.
    """

    async def connect_check_health(self, check_health: bool = True,
                                   retry_socket_connect: bool = True) -> None:
        conn: Any = self
        if not conn.is_connected and conn.connection_pool.is_master:
            conn.host, conn.port = await conn.connection_pool.get_master_address()
        await super().connect_check_health(  # type: ignore[misc]
            check_health=check_health, retry_socket_connect=retry_socket_connect)


class _SentinelConnection(_MasterResolving, SentinelManagedConnection):
    pass


class _SentinelSSLConnection(_MasterResolving, SentinelManagedSSLConnection):
    pass


def build_client(settings: RedisSettings, *, socket_timeout: float, connect_timeout: float,
                 retries: int) -> Redis | RedisCluster:
    """One client for the configured topology; nothing connects until the first command."""
    url = settings.url.get_secret_value() if settings.url else DEFAULT_URL
    password = settings.password.get_secret_value() if settings.password else None
    if password:
        url = without_password(url)
    options: dict[str, Any] = {
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": connect_timeout,
        "retry": Retry(NoBackoff(), retries,
                       supported_errors=(RedisConnectionError, RedisTimeoutError)),
        "decode_responses": True,
    }
    if password:
        options["password"] = password
    if settings.cluster:
        return RedisCluster.from_url(url, **options)
    if settings.sentinels:
        parts = urlsplit(url)
        if parts.username:
            options["username"] = parts.username
        if parts.password and not password:
            options["password"] = parts.password
        if parts.scheme == "rediss":
            options["ssl"] = True
        db = parts.path.strip("/")
        if db.isdigit():
            options["db"] = int(db)
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            settings.sentinel_hosts(),
            sentinel_kwargs={"socket_timeout": socket_timeout, "retry": options["retry"],
                             "socket_connect_timeout": connect_timeout},
            **options,
        )
        master = settings.sentinel_master or "mymaster"
        connection_class = _SentinelSSLConnection if options.get("ssl") else _SentinelConnection
        client: Redis = sentinel.master_for(master, redis_class=Redis,
                                            connection_class=connection_class)
        return client
    return Redis.from_url(url, **options)
