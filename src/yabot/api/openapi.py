"""OpenAPI documentation of the error responses every `/api/v1` route may give."""

from __future__ import annotations

from typing import Any

from yabot.api.schemas import ErrorResponse

_DESCRIPTIONS = {
    401: "missing, malformed, expired or wrongly signed token, or wrong iss/aud",
    403: "the token lacks the scope this operation needs (or a VIP plan is required)",
    404: "what the path names does not exist",
    409: "conflicts with the current state",
    422: "a parameter or the body failed validation; details list the fields",
    429: "too many failed authentications from this client; see Retry-After",
    500: "unexpected error; the message carries the request id",
    503: "a store is unavailable; see Retry-After",
}
COMMON = (401, 403, 422, 429, 500, 503)


def error_responses(*extra: int) -> dict[int | str, dict[str, Any]]:
    """The envelope for the common statuses plus `extra` ones (e.g. 404, 409)."""
    return {status: {"model": ErrorResponse, "description": _DESCRIPTIONS[status]}
            for status in sorted({*COMMON, *extra})}
