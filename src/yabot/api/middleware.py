"""The outer ASGI layer of the app: request ids, metrics, and the 500 envelope.

`X-Request-ID` is read (when it is a sane token) or generated, echoed on the response and
made the correlation id of every event built while the request runs. An exception nothing
else handled becomes a 500 envelope carrying the request id, never the exception text.
"""

from __future__ import annotations

import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yabot.api.errors import error_response
from yabot.domain.context import correlation
from yabot.logs import get_logger
from yabot.observability.metrics import Metrics

log = get_logger(__name__)
HEADER = b"x-request-id"
_VALID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == HEADER and _VALID.match(value):
            return bytes(value).decode()
    return uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        start = time.perf_counter()
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", ()) if k != HEADER]
                message = {**message, "headers": [*headers, (HEADER, request_id.encode())]}
            await send(message)

        try:
            with correlation(request_id):
                await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error", method=scope.get("method"),
                          path=scope.get("path"), request_id=request_id)
            if not started:
                response = error_response(
                    500, "internal_error",
                    f"internal server error; quote request id {request_id}",
                    {"request_id": request_id})
                await response(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            method = scope.get("method", "")
            self.metrics.observe_request(method, path, status, time.perf_counter() - start)
