"""`yabot run` in a subprocess with an operator (`yabot admin add`) and imported users,
and one headless Chromium (Debian's, driven by Selenium and Debian's chromedriver)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_run import clean_env, service
from tests.fixtures.common import missing_component

OPERATOR, PASSWORD = "operadora", "una contraseña muy larga"
HOSTILE = "<script>alert(1)</script>"
USERS = [
    {"telegram_user_id": 1001, "username": "lucia", "first_name": "Lucía", "besitos": 30},
    {"telegram_user_id": 1002, "username": "hostil", "first_name": HOSTILE},
    {"telegram_user_id": 1003, "username": "mateo", "first_name": "Mateo", "besitos": 5,
     "plan_type": "vip", "plan_end_date": "2099-01-01T00:00:00Z"},
]


def _binary(name: str, fallback: str) -> str | None:
    found = shutil.which(name)
    return found or (fallback if os.path.exists(fallback) else None)


@dataclass(kw_only=True)
class Site:
    base: str
    root: Path  # the service's working directory (data/yabot.db, service.log)

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Test set-up and checks on the service's SQLite file (the panel never does this)."""
        with sqlite3.connect(self.root / "data" / "yabot.db", timeout=30) as conn:
            rows = conn.execute(statement, params).fetchall()
        return rows

    def log(self) -> str:
        return (self.root / "service.log").read_text()


def _yabot(root: Path, *args: str, stdin: str = "") -> None:
    done = subprocess.run([sys.executable, "-m", "yabot", *args], cwd=root, input=stdin,
                          text=True, capture_output=True, env=clean_env(), timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("admin-site")
    (root / "users.jsonl").write_text("".join(json.dumps(u) + "\n" for u in USERS))
    _yabot(root, "migrate")
    _yabot(root, "admin", "add", OPERATOR, stdin=PASSWORD + "\n")
    _yabot(root, "users", "import", "users.jsonl")
    with service(root) as (base, _proc):
        yield Site(base=base, root=root)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = _binary("chromium", "/usr/bin/chromium")
    driver_path = _binary("chromedriver", "/usr/bin/chromedriver")
    if chromium is None or driver_path is None:
        missing_component("headless Chromium and chromedriver",
                          "install them with `apt-get install chromium chromium-driver`")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000", "--lang=es-ES", "--no-first-run"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "es-ES,es"})
    driver = webdriver.Chrome(service=Service(executable_path=str(driver_path)),
                              options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
