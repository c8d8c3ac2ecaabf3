"""Settings: defaults, each kind of bad configuration, and the cross-field rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from yabot.settings import ConfigError, load_settings

CONTRACT_VARS = [
    "SQLITE_DATABASE_PATH", "DATABASE_URL", "MONGODB_URI", "MONGODB_DATABASE", "REDIS_URL",
    "REDIS_PASSWORD", "REDIS_SENTINELS", "REDIS_SENTINEL_MASTER", "REDIS_CLUSTER", "API_HOST",
    "API_PORT", "API_TLS_CERTFILE", "API_TLS_KEYFILE", "JWT_ALGORITHM", "JWT_PRIVATE_KEY_PATH",
    "JWT_PUBLIC_KEY_PATH", "JWT_SECRET", "JWT_ISSUER", "JWT_AUDIENCE", "BOT_TOKEN", "BOT_MODE",
    "TELEGRAM_API_URL", "WEBHOOK_BASE_URL", "WEBHOOK_PATH", "WEBHOOK_SECRET",
    "REACTION_REWARD_BESITOS", "LOG_LEVEL", "LOG_FORMAT",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in CONTRACT_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def problems(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, str]:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as info:
        load_settings()
    return dict(info.value.problems)


def test_defaults_match_the_contract() -> None:
    s = load_settings()
    assert s.storage.sqlite_database_path == Path("data/yabot.db")
    assert s.storage.database_url is None and s.storage.mongodb_uri is None
    assert s.storage.mongodb_database == "yabot"
    assert s.redis.url is None and not s.redis.cluster
    assert (s.api.host, s.api.port) == ("127.0.0.1", 8000)
    assert s.jwt.algorithm == "RS256"
    assert (s.jwt.issuer, s.jwt.audience) == ("yabot-api", "yabot-internal")
    assert s.bot.bot_token is None and s.bot.bot_mode == "polling"
    assert s.bot.webhook_path == "/telegram/webhook"
    assert s.bot.reaction_reward_besitos == 1
    assert (s.log.level, s.log.format) == ("INFO", "console")


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("API_PORT=9123\nLOG_FORMAT=json\n")
    s = load_settings()
    assert s.api.port == 9123 and s.log.format == "json"


def test_postgres_url_is_normalised_to_asyncpg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db:5432/yabot")
    s = load_settings()
    assert s.storage.database_url is not None
    assert s.storage.database_url.get_secret_value().startswith("postgresql+asyncpg://")


@pytest.mark.parametrize(("env", "variable"), [
    ({"API_PORT": "not-a-port"}, "API_PORT"),
    ({"API_PORT": "70000"}, "API_PORT"),
    ({"JWT_ALGORITHM": "none"}, "JWT_ALGORITHM"),
    ({"BOT_MODE": "push"}, "BOT_MODE"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"REACTION_REWARD_BESITOS": "-1"}, "REACTION_REWARD_BESITOS"),
    ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL"),
    ({"MONGODB_URI": "http://mongo"}, "MONGODB_URI"),
    ({"REDIS_URL": "http://redis"}, "REDIS_URL"),
    ({"REDIS_SENTINELS": "host-without-port"}, "REDIS_SENTINELS"),
    ({"REDIS_CLUSTER": "maybe"}, "REDIS_CLUSTER"),
    ({"WEBHOOK_PATH": "no-slash"}, "WEBHOOK_PATH"),
])
def test_bad_values_name_their_variable(monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                        variable: str) -> None:
    assert variable in problems(monkeypatch, **env)


def test_every_bad_variable_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    found = problems(monkeypatch, API_PORT="x", LOG_FORMAT="xml", BOT_MODE="push")
    assert {"API_PORT", "LOG_FORMAT", "BOT_MODE"} <= found.keys()


def test_hs256_needs_a_32_byte_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "JWT_SECRET" in problems(monkeypatch, JWT_ALGORITHM="HS256")
    assert "JWT_SECRET" in problems(monkeypatch, JWT_ALGORITHM="HS256", JWT_SECRET="x" * 31)
    monkeypatch.setenv("JWT_SECRET", "x" * 32)
    assert load_settings().jwt.secret is not None


def test_webhook_mode_needs_url_and_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    found = problems(monkeypatch, BOT_MODE="webhook")
    assert {"WEBHOOK_BASE_URL", "WEBHOOK_SECRET"} <= found.keys()
    found = problems(monkeypatch, BOT_MODE="webhook", WEBHOOK_BASE_URL="https://x.example",
                     WEBHOOK_SECRET="bad secret!")
    assert set(found) == {"WEBHOOK_SECRET"}


def test_rs256_key_paths_must_exist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    found = problems(monkeypatch, JWT_PRIVATE_KEY_PATH=str(tmp_path / "missing.pem"))
    assert "missing.pem" in found["JWT_PRIVATE_KEY_PATH"]
    (tmp_path / "pub.pem").write_text("key")
    monkeypatch.delenv("JWT_PRIVATE_KEY_PATH")
    monkeypatch.setenv("JWT_PUBLIC_KEY_PATH", str(tmp_path / "pub.pem"))
    assert load_settings().jwt.public_key_path == tmp_path / "pub.pem"


def test_sentinel_needs_master_name(monkeypatch: pytest.MonkeyPatch) -> None:
    found = problems(monkeypatch, REDIS_SENTINELS="s1:26379,s2:26379")
    assert "REDIS_SENTINEL_MASTER" in found
    monkeypatch.setenv("REDIS_SENTINEL_MASTER", "mymaster")
    assert load_settings().redis.sentinel_hosts() == [("s1", 26379), ("s2", 26379)]


def test_tls_files_go_together(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("c")
    assert "API_TLS_KEYFILE" in problems(monkeypatch, API_TLS_CERTFILE=str(tmp_path / "cert.pem"))


def test_secrets_lists_every_configured_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    monkeypatch.setenv("REDIS_PASSWORD", "redispass")
    monkeypatch.setenv("JWT_ALGORITHM", "HS256")
    monkeypatch.setenv("JWT_SECRET", "s" * 40)
    assert {"123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", "redispass", "s" * 40} <= set(
        load_settings().secrets())


def test_event_bus_tuning(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings()
    assert (s.events.partitions, s.events.max_deliveries, s.events.log_retention_days) == (
        16, 5, 30)
    assert "EVENTS_PARTITIONS" in problems(monkeypatch, EVENTS_PARTITIONS="0")
    assert "EVENTS_MAX_DELIVERIES" in problems(monkeypatch, EVENTS_MAX_DELIVERIES="lots")


def test_settings_of_fills_the_other_sections_and_refuses_unknown_ones() -> None:
    from yabot.settings import ApiSettings, Settings

    settings = Settings.of(api=ApiSettings(port=9001))
    assert settings.api.port == 9001
    assert settings.events.partitions == 16 and settings.log.format == "console"
    with pytest.raises(TypeError, match="unknown settings section"):
        Settings.of(nope=ApiSettings())
