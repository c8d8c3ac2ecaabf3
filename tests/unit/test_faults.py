"""The one fault-injection hook: what it does, and that no other module defines its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from yabot.faults import FAIL_ENV, InjectedFailure, checkpoint

SRC = Path(__file__).resolve().parents[2] / "src" / "yabot"


def test_a_named_step_fails_and_others_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FAIL_ENV, "payments.before_grant")
    checkpoint("sagas.other_step")
    with pytest.raises(InjectedFailure, match="before_grant"):
        checkpoint("payments.before_grant")


def test_the_checkpoint_has_one_home() -> None:
    homes = sorted(str(path.relative_to(SRC)) for path in SRC.rglob("*.py")
                   if any(isinstance(node, ast.FunctionDef) and node.name == "checkpoint"
                          for node in ast.walk(ast.parse(path.read_text()))))
    assert homes == ["faults.py"]
