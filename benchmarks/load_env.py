"""Processes for benchmarks/load.py and drills.py: the fake Bot API, `yabot run` instances
on the embedded default or on PostgreSQL + Redis, and per-process CPU and RSS from /proc."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SECRET = "load-hook-secret-0123456789"
TOKEN = "123456:load-token"
JWT_SECRET = "load-jwt-secret-0123456789abcdefghijkl"
PG_ADMIN = os.environ.get("YABOT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str, timeout: float = 10) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def http_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return None


def proc_sample(pid: int) -> tuple[float, float]:
    """(CPU seconds so far, RSS in MB) of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK
    rss = next((int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text()
                .splitlines() if line.startswith("VmRSS:")), 0)  # 0: exited (a zombie)
    return cpu, rss / 1024


def wait_until(predicate: Any, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@dataclass
class Sink:
    """The fake Bot API process; `fail_file` switches on a Telegram outage."""

    tmp: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def fail_file(self) -> Path:
        return self.tmp / "telegram-outage"

    def start(self) -> Sink:
        self.proc = subprocess.Popen([sys.executable, str(HERE / "load_sink.py"), str(self.port),
                                      "--fail-file", str(self.fail_file)])
        assert wait_until(lambda: http_status(self.url + "/_replies") == 200, 20)
        return self

    def records(self, after: int = 0) -> list[list[Any]]:
        return list(get_json(f"{self.url}/_replies?after={after}")["records"])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Backend:
    """The stores. `kind`: `embedded` (SQLite, embedded documents, in-process bus) or
    `pg-redis`; `private_pg` runs a PostgreSQL cluster of our own (initdb in the temp dir, so
    a drill may restart it); `mongo` adds an nx-27017 document store."""

    kind: str
    tmp: Path
    private_pg: bool = False
    mongo: bool = False
    env: dict[str, str] = field(default_factory=dict)
    redis: subprocess.Popen[bytes] | None = None
    redis_port: int = 0
    database: str = ""
    admin_url: str = PG_ADMIN
    pg_port: int = 0
    nx: subprocess.Popen[bytes] | None = None
    nx_port: int = 0
    pg_ctl: list[str] = field(default_factory=list)

    def start(self) -> Backend:
        self.env = {"SQLITE_DATABASE_PATH": str(self.tmp / "yabot.db")}
        if self.mongo:
            self.start_mongo()
            self.env["MONGODB_URI"] = f"mongodb://127.0.0.1:{self.nx_port}"
        if self.kind == "embedded":
            return self
        self.start_redis()
        if self.private_pg:
            self.init_postgres()
        self.database = f"yabot_bench_{uuid.uuid4().hex[:12]}"
        self.psql(f'CREATE DATABASE "{self.database}"')
        base = self.admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        self.env.update(DATABASE_URL=f"{base}/{self.database}",
                        REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0")
        return self

    def start_redis(self) -> None:
        self.redis_port = self.redis_port or free_port()
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL)
        assert wait_until(lambda: _port_open(self.redis_port), 10), "redis did not start"

    def kill_redis(self, sig: int = signal.SIGKILL) -> None:
        if self.redis and self.redis.poll() is None:
            self.redis.send_signal(sig)
            self.redis.wait()

    def start_mongo(self) -> None:
        self.nx_port = self.nx_port or free_port()
        data = self.tmp / "nx-data"
        data.mkdir(exist_ok=True)
        self.nx = subprocess.Popen(
            [str(Path(sys.executable).parent / "nx-27017"), "--host", "127.0.0.1", "--port",
             str(self.nx_port), "--data-dir", str(data), "--pid-file",
             str(self.tmp / "nx.pid"), "--log-file", str(self.tmp / "nx.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        assert wait_until(lambda: _port_open(self.nx_port), 20), "nx-27017 did not start"

    def kill_mongo(self) -> None:
        if self.nx and self.nx.poll() is None:
            self.nx.kill()
            self.nx.wait()

    def init_postgres(self) -> None:
        """A private cluster owned by the postgres user, on a free port (trust auth)."""
        bin_dir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        self.pg_port = free_port()
        data = self.tmp / "pgdata"
        subprocess.run(["install", "-d", "-o", "postgres", "-m", "700", str(data)], check=True)
        subprocess.run(["chmod", "755", str(self.tmp)], check=True)
        subprocess.run(["runuser", "-u", "postgres", "--", str(bin_dir / "initdb"), "-D",
                        str(data), "-A", "trust", "-U", "postgres"], check=True,
                       capture_output=True)
        self.pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l",
                       str(data / "log"), "-o",
                       f"-p {self.pg_port} -k {data} -c listen_addresses=127.0.0.1"]
        self.postgres("start")
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres"

    def postgres(self, action: str) -> None:
        """`start`, `stop` or `restart` the private cluster (fast shutdown)."""
        args = [*self.pg_ctl[:1], action, *self.pg_ctl[1:]]
        if action != "start":
            args += ["-m", "fast"]
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True,
                       capture_output=True)

    def psql(self, sql: str) -> None:
        subprocess.run(["psql", self.admin_url, "-q", "-c", sql], check=True,
                       capture_output=True)

    def stop(self) -> None:
        self.kill_redis()
        self.kill_mongo()
        if self.database and not self.private_pg:
            self.psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        if self.private_pg:
            self.postgres("stop")


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Yabot:
    """One `yabot run` process in webhook mode against the sink."""

    tmp: Path
    sink: Sink
    backend: Backend
    extra: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("BOT_", "WEBHOOK_", "REDIS_", "MONGODB_", "DATABASE_URL",
                                    "API_", "LOG_", "SQLITE_", "JWT_"))}
        # the fake Bot API is not Telegram: lift the send pacing (25/s, 1/s per chat) so the
        # figures measure YABOT, not the limits (--env TELEGRAM_SEND_RATE=25 restores them)
        env.update(TELEGRAM_SEND_RATE="2000", TELEGRAM_CHAT_RATE="50")
        env.update(BOT_TOKEN=TOKEN, BOT_MODE="webhook", TELEGRAM_API_URL=self.sink.url,
                   WEBHOOK_BASE_URL=self.base, WEBHOOK_SECRET=SECRET, API_PORT=str(self.port),
                   JWT_ALGORITHM="HS256", JWT_SECRET=JWT_SECRET, LOG_LEVEL="WARNING",
                   **self.backend.env, **self.extra)
        return env

    def start(self, timeout: float = 90) -> Yabot:
        log = open(self.tmp / f"yabot-{self.port}.log", "ab")  # noqa: SIM115 - child's stdout
        self.proc = subprocess.Popen([sys.executable, "-m", "yabot", "run"], cwd=self.tmp,
                                     env=self.environment(), stdout=log,
                                     stderr=subprocess.STDOUT)
        ok = wait_until(lambda: self.proc is not None and (self.proc.poll() is not None or
                        http_status(self.base + "/health/ready") == 200), timeout)
        assert ok, f"yabot did not become ready ({self.tmp})"
        assert self.proc.poll() is None, f"yabot exited at start ({self.tmp})"
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def cleanup(tmp: Path, *parts: Any, keep: bool = False) -> None:
    for part in parts:
        try:
            part.stop()
        except Exception as exc:  # keep tearing down the rest
            print(f"cleanup: {type(part).__name__}: {exc}", file=sys.stderr)
    if keep:
        print(f"kept {tmp}", file=sys.stderr)
    else:
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Baseline:
    """`bare` aiogram or the `naive` reference design (benchmarks/baselines.py)."""

    kind: str
    tmp: Path
    sink: Sink
    backend: Backend
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Baseline:
        args = [sys.executable, str(HERE / "baselines.py"), self.kind, str(self.port),
                self.sink.url]
        if self.kind == "naive":
            if self.backend.redis is None:
                self.backend.start_redis()
            args += [f"redis://127.0.0.1:{self.backend.redis_port}/0",
                     str(self.tmp / "naive.db")]
        log = open(self.tmp / f"{self.kind}.log", "ab")  # noqa: SIM115 - child's stdout
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        ok = wait_until(lambda: http_status(self.base + "/health/ready") == 200, timeout)
        assert ok, f"{self.kind} did not start"
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        Yabot.stop(self, sig, timeout)  # type: ignore[arg-type]


def import_users(yabot: Yabot, tmp: Path, users: int, uid0: int) -> None:
    """Register the population before the drill: `yabot migrate`, then `yabot users import`
    of `users` rows (about 1 s per 1,000 rows), the way an operator migrates a legacy bot."""
    rows = tmp / "users.jsonl"
    rows.write_text("".join(json.dumps({"telegram_user_id": uid0 + i, "first_name": "Carga",
                                        "language_code": "es", "plan_type": "free"}) + "\n"
                            for i in range(users)))
    for args in (["migrate"], ["users", "import", str(rows)]):
        subprocess.run([sys.executable, "-m", "yabot", *args], cwd=tmp, check=True,
                       env=yabot.environment(), capture_output=True, timeout=600)
