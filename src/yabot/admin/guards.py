"""Cookie signing, the session key, CSRF tokens and the security headers of every page."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
KEY_FILE = "admin_session.key"


def load_or_create_key(directory: Path) -> bytes:
    """The generated session key (blocking file I/O: call it in a thread)."""
    path = directory / KEY_FILE
    if path.exists():
        return path.read_bytes()
    directory.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


class Signer:
    """HMAC-SHA256 signatures for cookie values and login CSRF tokens."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def mac(self, value: str) -> str:
        digest = hmac.new(self._key, value.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(self, value: str) -> str:
        return f"{value}.{self.mac(value)}"

    def unsign(self, signed: str | None) -> str | None:
        """The value when the signature is right, else None."""
        if not signed or "." not in signed:
            return None
        value, sig = signed.rsplit(".", 1)
        return value if hmac.compare_digest(sig, self.mac(value)) else None

    def login_csrf(self, nonce: str) -> str:
        return self.mac("login-csrf:" + nonce)


def same(a: object, b: str) -> bool:
    """Constant-time equality of a submitted token with the expected one."""
    return isinstance(a, str) and bool(a) and hmac.compare_digest(a.encode(), b.encode())


async def security_headers(request: Request,
                           call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.url.path.startswith(request.scope.get("root_path", "") + "/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response
