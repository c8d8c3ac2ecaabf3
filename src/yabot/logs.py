"""structlog set-up with a redaction step that every event passes, exceptions included.

Standard-library loggers (uvicorn, aiogram, SQLAlchemy) are routed through the same chain,
so no secret reaches the output whichever library logs it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import structlog
from structlog.typing import EventDict, Processor

from yabot.settings import LogSettings

MASK = "***"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # user:password@ in any URL
    (re.compile(r"(?P<pre>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)[^@\s/]+(?=@)"), r"\g<pre>" + MASK),
    # Authorization headers, bearer tokens
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(bearer\s+)?[^\s\"',}]+"),
     r"\1\2" + MASK),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-_.=]+"), r"\1" + MASK),
    # Telegram bot tokens (also inside https://api.telegram.org/bot<token>/...)
    (re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}"), MASK),
    # the webhook secret header
    (re.compile(r"(?i)(x-telegram-bot-api-secret-token[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"),
     r"\1" + MASK),
]
_SENSITIVE_KEYS = re.compile(r"(?i)(password|secret|token|authorization|api_key)")


class Redactor:
    """Masks known secret values and secret-shaped substrings in every field of an event."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # longest first, so a secret containing another is masked whole
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def redact_text(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern, repl in _PATTERNS:
            text = pattern.sub(repl, text)
        return text

    def _redact(self, key: str | None, value: Any) -> Any:
        if isinstance(value, str):
            if key is not None and _SENSITIVE_KEYS.search(key) and key != "event":
                return MASK if value else value
            return self.redact_text(value)
        if isinstance(value, Mapping):
            return {k: self._redact(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple | set):
            return [self._redact(None, v) for v in value]
        if isinstance(value, int | float | bool) or value is None:
            return value
        return self.redact_text(repr(value) if isinstance(value, BaseException) else str(value))

    def __call__(self, _logger: Any, _name: str, event_dict: EventDict) -> EventDict:
        return {k: self._redact(k, v) for k, v in event_dict.items()}


def _drop_color_message(_logger: Any, _name: str, event_dict: EventDict) -> EventDict:
    event_dict.pop("color_message", None)  # uvicorn's ANSI duplicate of the message
    return event_dict


def _shared_processors(redactor: Redactor) -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,  # render exceptions to text *before* redaction
        _drop_color_message,
        redactor,
    ]


def configure_logging(settings: LogSettings, secrets: Iterable[str] = (),
                      stream: Any = None) -> None:
    """Configure structlog and the stdlib root logger (called once by the CLI)."""
    redactor = Redactor(secrets)
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if settings.format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared = _shared_processors(redactor)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level)
    for noisy in ("aiosqlite", "asyncio", "pymongo", "sqlalchemy", "httpx", "httpcore",
                  "alembic", "aiogram.event"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)

