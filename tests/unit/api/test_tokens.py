"""JWT issue/verify (pure): pinned algorithm, required claims, leeway, scopes, key files."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from yabot.api.tokens import (
    PRIVATE_FILE,
    PUBLIC_FILE,
    TokenError,
    generated_keys,
    issue_token,
    load_keys,
    parse_scopes,
    verify_token,
)
from yabot.settings import JwtSettings

SECRET = "unit-secret-0123456789abcdef-0123456789"


def hs() -> JwtSettings:
    return JwtSettings(algorithm="HS256", secret=SecretStr(SECRET), private_key_path=None,
                       public_key_path=None)


def rs() -> JwtSettings:
    return JwtSettings(algorithm="RS256", secret=None, private_key_path=None,
                       public_key_path=None)


def claims(**over: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {"iss": "yabot-api", "aud": "yabot-internal", "sub": "svc",
                               "iat": now, "exp": now + 60, "scope": ["read"]}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def test_issued_token_verifies_with_service_and_scopes(tmp_path: Path) -> None:
    for settings in (hs(), rs()):
        keys = load_keys(settings, tmp_path)
        token = issue_token(keys, settings, service="admin-panel", scopes=["read", "admin"])
        got = verify_token(token, keys, settings)
        assert got.subject == "admin-panel" and got.scopes == {"read", "admin"}


@pytest.mark.parametrize(("over", "reason"), [
    ({"exp": int(time.time()) - 31}, "expired"),
    ({"aud": "other"}, "audience"),
    ({"iss": "other"}, "issuer"),
    ({"sub": None}, "sub"),
    ({"iat": None}, "iat"),
    ({"scope": None}, "scope"),
    ({"scope": {"read": True}}, "scope"),
    ({"sub": ""}, "sub"),
])
def test_bad_claims(over: dict[str, object], reason: str) -> None:
    keys = load_keys(hs(), Path("."))
    token = jwt.encode(claims(**over), SECRET, algorithm="HS256")
    with pytest.raises(TokenError, match=reason):
        verify_token(token, keys, hs())


def test_leeway_is_at_most_thirty_seconds() -> None:
    keys = load_keys(hs(), Path("."))
    now = int(time.time())
    verify_token(jwt.encode(claims(exp=now - 20), SECRET, algorithm="HS256"), keys, hs())
    with pytest.raises(TokenError, match="expired"):
        verify_token(jwt.encode(claims(exp=now - 40), SECRET, algorithm="HS256"), keys, hs())
    with pytest.raises(ValueError, match="30"):
        JwtSettings(leeway_seconds=31)


def test_algorithm_is_pinned(tmp_path: Path) -> None:
    rs_keys = load_keys(rs(), tmp_path)
    public_pem = (tmp_path / PUBLIC_FILE).read_bytes()
    hs_keys = load_keys(hs(), tmp_path)
    none_token = jwt.encode(claims(), None, algorithm="none")
    for token, keys, settings in [
        (none_token, rs_keys, rs()), (none_token, hs_keys, hs()),
        (jwt.encode(claims(), SECRET, algorithm="HS256"), rs_keys, rs()),
        (issue_token(rs_keys, rs(), service="x"), hs_keys, hs()),
        (jwt.encode(claims(), SECRET, algorithm="HS512"), hs_keys, hs()),
    ]:
        with pytest.raises(TokenError):
            verify_token(token, keys, settings)
    with pytest.raises(jwt.InvalidKeyError):  # PyJWT refuses to HMAC with a PEM public key
        jwt.encode(claims(), public_pem, algorithm="HS256")


def test_wrong_rsa_key(tmp_path: Path) -> None:
    keys = load_keys(rs(), tmp_path)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(TokenError, match="signature"):
        verify_token(jwt.encode(claims(), stranger, algorithm="RS256"), keys, rs())


def test_generated_pair_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    private, public = generated_keys(tmp_path / "data")
    first = private.read_bytes()
    assert generated_keys(tmp_path / "data") == (private, public)
    assert private.read_bytes() == first
    for path in (private, public):
        assert path.stat().st_mode & 0o777 == 0o600
    assert {p.name for p in (tmp_path / "data").iterdir()} == {PRIVATE_FILE, PUBLIC_FILE}


def test_configured_key_files_and_verify_only(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = tmp_path / "pub.pem"
    pub.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    settings = JwtSettings(algorithm="RS256", public_key_path=pub, private_key_path=None)
    keys = load_keys(settings, tmp_path / "unused")
    assert keys.signing_key is None and not (tmp_path / "unused").exists()
    assert verify_token(jwt.encode(claims(), key, algorithm="RS256"), keys, settings).subject
    with pytest.raises(TokenError, match="JWT_PRIVATE_KEY_PATH"):
        issue_token(keys, settings, service="x")


def test_scope_forms() -> None:
    assert parse_scopes("read  write") == {"read", "write"}
    assert parse_scopes(["internal_api", "read"]) == {"internal_api", "read"}
    with pytest.raises(TokenError):
        parse_scopes(["read", 3])
