"""JWT keys and tokens: load (or generate once) the keys, issue and verify tokens.

The algorithm is pinned by JWT_ALGORITHM: RS256 verifies with the public key only, HS256
with the secret only, so neither `none` nor an HS token keyed with the RSA public key
(algorithm confusion) can pass. Blocking file work: call `load_keys` in a thread.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from yabot.settings import JwtSettings

PRIVATE_FILE, PUBLIC_FILE = "jwt_rs256_private.pem", "jwt_rs256_public.pem"
REQUIRED = ("iss", "aud", "sub", "iat", "exp", "scope")
DEFAULT_SCOPES = ("read", "write")


class TokenError(Exception):
    """A token that does not authenticate; the message says why (never the token)."""


@dataclass(frozen=True, kw_only=True)
class KeyMaterial:
    algorithm: str
    verify_key: Any  # RSA public key or HS256 secret
    signing_key: Any | None  # None: this process can verify but not sign


@dataclass(frozen=True, kw_only=True)
class Claims:
    subject: str
    scopes: frozenset[str]
    expires_at: int


def _write_private(path: Path, pem: bytes) -> None:
    """Write `path` (mode 0600) only if absent; a concurrent creator wins, we use its file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def generated_keys(data_dir: Path) -> tuple[Path, Path]:
    """The RS256 pair under `data_dir`, generated on first use (both files mode 0600)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    private, public = data_dir / PRIVATE_FILE, data_dir / PUBLIC_FILE
    if not private.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write_private(private, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    if not public.exists():
        loaded = serialization.load_pem_private_key(private.read_bytes(), password=None)
        _write_private(public, loaded.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def load_keys(settings: JwtSettings, data_dir: Path) -> KeyMaterial:
    """The keys JWT_* settings name; for RS256 without paths, the generated pair."""
    if settings.algorithm == "HS256":
        secret = settings.secret.get_secret_value() if settings.secret else ""
        return KeyMaterial(algorithm="HS256", verify_key=secret, signing_key=secret)
    private_path, public_path = settings.private_key_path, settings.public_key_path
    if private_path is None and public_path is None:
        private_path, public_path = generated_keys(data_dir)
    private = (serialization.load_pem_private_key(private_path.read_bytes(), password=None)
               if private_path is not None else None)
    if public_path is not None:
        public: Any = serialization.load_pem_public_key(public_path.read_bytes())
    else:
        assert private is not None
        public = private.public_key()
    if not isinstance(public, rsa.RSAPublicKey) or (
            private is not None and not isinstance(private, rsa.RSAPrivateKey)):
        raise ValueError("RS256 needs RSA keys")
    return KeyMaterial(algorithm="RS256", verify_key=public, signing_key=private)


def issue_token(keys: KeyMaterial, settings: JwtSettings, *, service: str,
                scopes: Sequence[str] = DEFAULT_SCOPES, ttl_seconds: int = 3600) -> str:
    """A signed token for `service` (the `sub`)."""
    if keys.signing_key is None:
        raise TokenError("no private key to sign with (set JWT_PRIVATE_KEY_PATH)")
    now = int(time.time())
    claims = {"iss": settings.issuer, "aud": settings.audience, "sub": service, "iat": now,
              "exp": now + ttl_seconds, "jti": uuid.uuid4().hex, "scope": list(scopes)}
    return jwt.encode(claims, keys.signing_key, algorithm=keys.algorithm)


def parse_scopes(value: object) -> frozenset[str]:
    """`scope` as a list of strings, or one space-separated string."""
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return frozenset(value)
    raise TokenError("claim 'scope' must be a list of strings or a space-separated string")


def verify_token(token: str, keys: KeyMaterial, settings: JwtSettings) -> Claims:
    """Check signature, algorithm, iss, aud and times (with the leeway); TokenError."""
    try:
        claims = jwt.decode(
            token, keys.verify_key, algorithms=[keys.algorithm], audience=settings.audience,
            issuer=settings.issuer, leeway=settings.leeway_seconds,
            options={"require": list(REQUIRED), "verify_signature": True})
    except jwt.ExpiredSignatureError:
        raise TokenError("token expired") from None
    except jwt.InvalidAudienceError:
        raise TokenError("wrong audience") from None
    except jwt.InvalidIssuerError:
        raise TokenError("wrong issuer") from None
    except jwt.MissingRequiredClaimError as exc:
        raise TokenError(f"missing claim '{exc.claim}'") from None
    except jwt.InvalidSignatureError:
        raise TokenError("bad signature") from None
    except jwt.InvalidAlgorithmError:
        raise TokenError("algorithm not allowed") from None
    except jwt.PyJWTError as exc:
        raise TokenError(f"invalid token ({type(exc).__name__})") from None
    for name in ("exp", "iat", "nbf"):  # PyJWT casts with int(): "9999999999" would pass
        if name in claims and (not isinstance(claims[name], int | float)
                               or isinstance(claims[name], bool)):
            raise TokenError(f"claim '{name}' must be a number (NumericDate)")
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise TokenError("claim 'sub' must be a non-empty string")
    return Claims(subject=subject, scopes=parse_scopes(claims["scope"]),
                  expires_at=int(claims["exp"]))
