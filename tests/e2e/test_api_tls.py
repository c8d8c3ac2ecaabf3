"""`yabot run` over HTTPS (API_TLS_CERTFILE/KEYFILE) with a token from `yabot token create`
(RS256 with the key pair generated under data/), as a calling service would use it."""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import json
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.test_run import clean_env
from tests.fixtures.common import free_port


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def call(url: str, context: ssl.SSLContext, token: str | None = None) -> tuple[int, object]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_https_with_a_cli_token(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    port = free_port()
    env = clean_env(API_PORT=str(port), API_TLS_CERTFILE=str(cert), API_TLS_KEYFILE=str(key))
    context = ssl.create_default_context(cafile=str(cert))
    base = f"https://127.0.0.1:{port}"
    with open(tmp_path / "service.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "yabot", "run"], cwd=tmp_path, env=env,
                                stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, (tmp_path / "service.log").read_text()
                assert time.monotonic() < deadline, "no HTTPS /health/live"
                try:
                    if call(base + "/health/live", context)[0] == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            created = subprocess.run(
                [sys.executable, "-m", "yabot", "token", "create", "--service", "e2e-tool",
                 "--scope", "read"], cwd=tmp_path, env=env, capture_output=True, text=True,
                timeout=60)
            assert created.returncode == 0, created.stderr
            token = created.stdout.strip()
            assert token.count(".") == 2 and "\n" not in token
            for name in ("jwt_rs256_private.pem", "jwt_rs256_public.pem"):
                assert (tmp_path / "data" / name).stat().st_mode & 0o777 == 0o600
            status, body = call(base + "/api/v1/narrative/fragment_001", context, token)
            assert status == 200 and body["fragment_id"] == "fragment_001"  # type: ignore[index]
            status, body = call(base + "/api/v1/user/42/state", context, token)
            assert status == 404
            assert body["error"]["code"] == "user_not_found"  # type: ignore[index]
            assert call(base + "/api/v1/user/42/state", context)[0] == 401
            plain = f"http://127.0.0.1:{port}/health/live"
            try:
                urllib.request.urlopen(plain, timeout=5)
                raise AssertionError("plain HTTP was served")
            except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
                pass
            assert token not in (tmp_path / "service.log").read_text()
        finally:
            proc.terminate()
            assert proc.wait(30) == 0
