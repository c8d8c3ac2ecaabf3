"""Request ids: a sane X-Request-ID is kept, anything else is replaced."""

from __future__ import annotations

from yabot.api.middleware import request_id_of


def scope(value: bytes | None) -> dict[str, object]:
    headers = [] if value is None else [(b"x-request-id", value)]
    return {"type": "http", "headers": headers}


def test_kept_or_generated() -> None:
    assert request_id_of(scope(b"abc-123_x.y:z")) == "abc-123_x.y:z"
    for bad in (None, b"", b"has space", b"x" * 129, b"new\nline"):
        generated = request_id_of(scope(bad))
        assert len(generated) == 32 and generated.isalnum()
