"""The deployment files stay in step with the code: valid YAML, known variables, real commands."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _readme_variables() -> set[str]:
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", (ROOT / "README.md").read_text()))


def test_every_variable_in_the_env_example_is_documented() -> None:
    keys = {line.split("=", 1)[0].lstrip("# ").strip()
            for line in (DEPLOY / "yabot.env.example").read_text().splitlines()
            if "=" in line and re.match(r"#? ?[A-Z_]+=", line)}
    assert keys, "no variables found"
    assert keys - _readme_variables() == set()


def test_compose_runs_the_service_commands() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "mongo", "redis", "redis-sentinel", "yabot", "nginx"} <= set(services)
    assert services["migrate"]["command"] == ["yabot", "migrate"]
    assert services["yabot"]["env_file"] == "yabot.env"
    assert set(services["yabot"]["secrets"]) <= set(compose["secrets"])


def test_systemd_unit_runs_migrate_then_run() -> None:
    unit = (DEPLOY / "systemd" / "yabot@.service").read_text()
    assert "ExecStartPre=/opt/yabot/bin/yabot migrate" in unit
    assert "ExecStart=/opt/yabot/bin/yabot run" in unit
    assert "RestartPreventExitStatus=2" in unit  # invalid configuration: do not loop
