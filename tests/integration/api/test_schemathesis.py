"""Property test against the app's own OpenAPI: schemathesis generates >= 500 requests over
every `/api/v1` operation (valid and invalid inputs) to a real uvicorn server on real stores;
no response may be a 5xx, and every response must match its documented status, content type,
headers and schema."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import hypothesis
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fixtures.common import free_port
from tests.integration.api.conftest import bearer, close_env, hs_token, make_settings, open_env
from yabot.settings import StorageSettings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
MODES = {schemathesis.GenerationMode.POSITIVE: 50, schemathesis.GenerationMode.NEGATIVE: 20}


class _Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:  # not the main thread: no signals
        yield


@contextmanager
def served(tmp_path: Path) -> Iterator[str]:
    """The API over a real stack, on a free port, in a thread with its own event loop."""
    port = free_port()
    ready, holder = threading.Event(), {}

    async def main() -> None:
        settings = make_settings(StorageSettings(sqlite_database_path=tmp_path / "yabot.db"))
        env, _ = await open_env(settings)
        for uid in (1, 2, 12, 123):
            await env.register(uid)
            await env.services.domain.besitos.award(str(uid), 50, "seed", f"seed-{uid}")
        config = uvicorn.Config(env.client._transport.app,  # type: ignore[attr-defined]
                                host="127.0.0.1", port=port, log_config=None,
                                lifespan="off", access_log=False)
        server = _Server(config)
        holder["server"] = server
        ready.set()
        try:
            await server.serve()
        finally:
            await close_env(env)

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    assert ready.wait(30)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(base + "/health/live", timeout=1)
            break
        except requests.ConnectionError:
            threading.Event().wait(0.05)
    try:
        yield base
    finally:
        holder["server"].should_exit = True
        thread.join(30)


def exercise(op: schemathesis.APIOperation, mode: schemathesis.GenerationMode, examples: int,
             base: str, session: requests.Session, counts: dict[str, int]) -> None:
    """Run `examples` generated cases of one operation; raise on the first failed check."""
    headers = bearer(hs_token(["read", "write", "admin"]))

    @hypothesis.settings(max_examples=examples, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck),
                         phases=[hypothesis.Phase.generate])
    @hypothesis.given(case=op.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        counts[op.label] = counts.get(op.label, 0) + 1
        case.call_and_validate(base_url=base, session=session, headers=headers, checks=CHECKS)

    run()


@pytest.mark.slow
def test_generated_requests_match_the_schema(tmp_path: Path) -> None:
    counts: dict[str, int] = {}
    with served(tmp_path) as base:
        schema = schemathesis.openapi.from_url(base + "/openapi.json")
        operations = [r.ok() for r in schema.get_all_operations()]
        operations = [op for op in operations if op.path.startswith("/api/v1")]
        assert len(operations) == 26
        session = requests.Session()
        for op in operations:
            for mode, examples in MODES.items():
                exercise(op, mode, examples, base, session, counts)
    print("schemathesis cases per operation:", counts)
    assert sum(counts.values()) >= 500, counts
    assert len(counts) == 26
