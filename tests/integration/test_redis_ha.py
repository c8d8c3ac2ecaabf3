"""Redis Streams transport against real Redis Sentinel and Redis Cluster deployments.

Not only "the client builds": every test sends, claims, reads and acks through
`create_redis_transport` on private redis-server processes (a master + replica + sentinel,
a one-node cluster and a three-master cluster), and the Sentinel test kills the master and
keeps using the same transport object through the promoted replica.

The servers are local processes on free ports with their own --dir under tmp_path, no
persistence, and are all killed at teardown. The fixtures live in this module on purpose
(no conftest change needed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.cluster
from pydantic import SecretStr
from redis.backoff import NoBackoff
from redis.crc import key_slot
from redis.retry import Retry

from tests.fixtures.common import free_port, missing_component
from yabot.events.transports.base import (
    Delivery,
    OutgoingMessage,
    TransportUnavailableError,
    partition_for,
)
from yabot.events.transports.redis_leases import lease_key
from yabot.events.transports.redis_streams import (
    RedisStreamsConfig,
    RedisStreamsTransport,
    create_redis_transport,
)
from yabot.settings import RedisSettings

pytestmark = [pytest.mark.redis, pytest.mark.slow]

PARTITIONS = 16
KEYS = 20
MESSAGES = 200
GROUP = "ha-group"
CONSUMER = "ha-consumer"
PASSWORD = "s3cret-ha-pw"  # a throwaway password of private test servers
MASTER_NAME = "mymaster"
SLOT_RANGES = [(0, 5460), (5461, 10922), (10923, 16383)]


# ----------------------------------------------------------------------------- processes


class Node:
    """One redis-server process (plain, replica, cluster node or sentinel) on a free port."""

    def __init__(self, binary: str, directory: Path, args: Sequence[str], *,
                 sentinel_conf: str | None = None, password: str | None = None) -> None:
        self.binary = binary
        self.dir = directory
        self.args = list(args)
        self.sentinel_conf = sentinel_conf  # config template with a {port} placeholder
        self.password = password
        self.port = 0
        self.bus_port = 0  # cluster nodes only
        self.proc: subprocess.Popen[bytes] | None = None

    def _command(self) -> list[str]:
        common = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                  "--save", "", "--appendonly", "no", "--daemonize", "no",
                  "--protected-mode", "no", "--logfile", str(self.dir / "redis.log")]
        if self.sentinel_conf is not None:
            conf = self.dir / "sentinel.conf"  # sentinel rewrites it: must be writable
            conf.write_text(self.sentinel_conf.format(port=self.port))
            return [self.binary, str(conf), "--sentinel", *common[:6],
                    "--daemonize", "no", "--logfile", str(self.dir / "redis.log")]
        if "--cluster-enabled" in self.args:
            # The bus port defaults to port + 10000, which fails for ports above 55535.
            self.bus_port = free_port()
            common += ["--cluster-port", str(self.bus_port)]
        return [self.binary, *common, *self.args]

    def start(self, timeout: float = 10.0) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        last = ""
        for _ in range(3):  # a free port may be taken between probing and binding
            self.port = free_port()
            self.proc = subprocess.Popen(self._command(), stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                with contextlib.suppress(redis.RedisError):
                    if self.call("PING"):
                        return
                time.sleep(0.05)
            last = f"exit code {self.proc.poll()}"
            self.kill()
        log = self.dir / "redis.log"
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise RuntimeError(f"redis-server in {self.dir} did not start ({last}):\n{tail}")

    def admin(self) -> redis.Redis:
        """A synchronous client for setup and inspection (one connection, short timeouts)."""
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password,
                           decode_responses=True, socket_timeout=2, socket_connect_timeout=2,
                           retry=Retry(NoBackoff(), 0),  # the default backs off for seconds
                           single_connection_client=True)

    def call(self, *args: Any) -> Any:
        client = self.admin()
        try:
            return client.execute_command(*args)  # type: ignore[no-untyped-call]
        finally:
            client.close()

    def info(self, section: str) -> dict[str, Any]:
        client = self.admin()
        try:
            return client.info(section)
        finally:
            client.close()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


def wait_for(what: str, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError, OSError):
            if predicate():
                return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def redis_nodes(tmp_path: Path) -> Iterator[Callable[..., Node]]:
    """`start(name, *args, sentinel_conf=..., password=...)`; every node killed at teardown."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing_component("redis-server",
                          "install it with `apt-get install redis-server` (make test does this)")
        raise AssertionError("unreachable")
    nodes: list[Node] = []

    def start(name: str, *args: str, sentinel_conf: str | None = None,
              password: str | None = None) -> Node:
        node = Node(binary, tmp_path / name, args, sentinel_conf=sentinel_conf,
                    password=password)
        nodes.append(node)
        node.start()
        return node

    yield start
    for node in nodes:
        with contextlib.suppress(Exception):
            node.kill()


# ------------------------------------------------------------------------------ helpers


def messages(start: int, count: int) -> list[OutgoingMessage]:
    """`count` messages spread over KEYS keys; message i belongs to key u{i % KEYS}."""
    return [OutgoingMessage(event_id=f"e{i}", event_type="user_activity", key=f"u{i % KEYS}",
                            data=json.dumps({"i": i})) for i in range(start, start + count)]


async def drain(t: RedisStreamsTransport, expected: int,
                timeout: float = 15.0) -> list[Delivery]:
    """Claim, then read and ack every owned partition until `expected` deliveries."""
    owned = await t.claim_partitions(GROUP, CONSUMER)
    assert owned == set(range(PARTITIONS)), "the only consumer owns every partition"
    got: list[Delivery] = []
    deadline = time.monotonic() + timeout
    while len(got) < expected and time.monotonic() < deadline:
        for p in sorted(owned):
            batch = await t.read(GROUP, CONSUMER, p, count=50, block_ms=0)
            if batch:
                await t.ack(GROUP, p, [d.message_id for d in batch])
                got.extend(batch)
    return got


async def blocking_round_trip(t: RedisStreamsTransport, i: int) -> None:
    """A blocked XREADGROUP (the blocking client) wakes up for a message sent meanwhile."""
    [message] = messages(i, 1)
    assert message.key is not None
    partition = partition_for(message.key, PARTITIONS)
    await t.claim_partitions(GROUP, CONSUMER)
    reader = asyncio.create_task(t.read(GROUP, CONSUMER, partition, count=10, block_ms=5000))
    await asyncio.sleep(0.2)  # the read is blocked on the server by now
    assert not reader.done()
    started = time.monotonic()
    await t.send([message])
    got = await asyncio.wait_for(reader, 5)
    assert time.monotonic() - started < 2, "the blocked read did not wake up on XADD"
    assert [d.event_id for d in got] == [message.event_id]
    await t.ack(GROUP, partition, [got[0].message_id])


def assert_in_key_order(got: Sequence[Delivery], sent: Sequence[OutgoingMessage]) -> None:
    """Exactly the sent messages, each on its key's partition, in send order per key."""
    assert sorted(d.event_id for d in got) == sorted(m.event_id for m in sent)
    per_key: dict[str, list[int]] = {}
    for d in got:
        assert d.key is not None
        assert d.partition == partition_for(d.key, PARTITIONS)
        assert d.delivery_count == 1
        per_key.setdefault(d.key, []).append(json.loads(d.data)["i"])
    expected: dict[str, list[int]] = {}
    for m in sent:
        assert m.key is not None
        expected.setdefault(m.key, []).append(json.loads(m.data)["i"])
    assert per_key == expected


async def round_trip(t: RedisStreamsTransport, start: int = 0,
                     count: int = MESSAGES) -> list[OutgoingMessage]:
    """ensure_group, send `count` messages in batches, drain and check per-key order."""
    await t.ensure_group(GROUP)
    sent = messages(start, count)
    for i in range(0, len(sent), 50):
        await t.send(sent[i:i + 50])
    got = await drain(t, len(sent))
    assert_in_key_order(got, sent)
    return sent


def assert_nothing_pending(client: redis.Redis | redis.cluster.RedisCluster,
                           t: RedisStreamsTransport, total: int) -> None:
    """Every partition stream holds its share, and the group has nothing unacked."""
    lengths = 0
    for p in range(PARTITIONS):
        lengths += client.xlen(t.stream(p))
        assert client.xpending(t.stream(p), GROUP)["pending"] == 0, p
    assert lengths == total


async def send_when_available(t: RedisStreamsTransport, batch: Sequence[OutgoingMessage],
                              timeout: float = 15.0) -> int:
    """Send, retrying TransportUnavailableError (as the relay does); return failures."""
    failures = 0
    deadline = time.monotonic() + timeout
    while True:
        try:
            await t.send(batch)
            return failures
        except TransportUnavailableError:
            failures += 1
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


# ----------------------------------------------------------------------------- sentinel


SENTINEL_CONF = """\
port {{port}}
bind 127.0.0.1
sentinel monitor {name} 127.0.0.1 {master_port} 1
sentinel auth-pass {name} {password}
sentinel down-after-milliseconds {name} 1000
sentinel failover-timeout {name} 10000
sentinel parallel-syncs {name} 1
"""


def sentinel_master_port(sentinel: Node) -> int | None:
    reply = sentinel.call("SENTINEL", "get-master-addr-by-name", MASTER_NAME)
    return int(reply[1]) if reply else None


def sentinel_switched(sentinel: Node, port: int) -> bool:
    """The failover is over as redis-py sees it.

    GET-MASTER-ADDR-BY-NAME names the promoted replica already while the failover runs,
    but redis-py reads SENTINEL MASTERS and refuses a master flagged s_down/o_down (the
    old one, until switch-master): in that window, about a second, every call fails
    with MasterNotFoundError (as TransportUnavailableError).
    """
    client = sentinel.admin()
    try:
        state: Any = client.sentinel_master(MASTER_NAME)
    finally:
        client.close()
    return (int(state["port"]) == port and state["is_master"]
            and not state["is_sdown"] and not state["is_odown"])


def sentinel_knows_replica(sentinel: Node, port: int) -> bool:
    client = sentinel.admin()
    try:
        replicas = client.sentinel_slaves(MASTER_NAME)
    finally:
        client.close()
    return any(int(r["port"]) == port and not r.get("is_disconnected")
               and not r.get("is_sdown") and r.get("master-link-status") == "ok"
               for r in replicas)


def start_sentinel_deployment(redis_nodes: Callable[..., Node]) -> tuple[Node, Node, Node]:
    """A password-protected master, its synced replica and a sentinel that knows both."""
    auth = ("--requirepass", PASSWORD, "--masterauth", PASSWORD,
            "--repl-diskless-sync-delay", "0")
    master = redis_nodes("master", *auth, password=PASSWORD)
    replica = redis_nodes("replica", *auth, "--replicaof", "127.0.0.1", str(master.port),
                          "--replica-announce-ip", "127.0.0.1", password=PASSWORD)
    wait_for("the replica to sync",
             lambda: replica.info("replication").get("master_link_status") == "up")
    conf = SENTINEL_CONF.format(name=MASTER_NAME, master_port=master.port, password=PASSWORD)
    sentinel = redis_nodes("sentinel", sentinel_conf=conf)
    wait_for("the sentinel to report the master",
             lambda: sentinel_master_port(sentinel) == master.port)
    # Known before the kill, or the sentinel has nothing to promote.
    wait_for("the sentinel to know the replica",
             lambda: sentinel_knows_replica(sentinel, replica.port))
    return master, replica, sentinel


async def test_sentinel_round_trip_and_failover(redis_nodes: Callable[..., Node]) -> None:
    master, replica, sentinel = start_sentinel_deployment(redis_nodes)

    settings = RedisSettings(url=None, password=SecretStr(PASSWORD),
                             sentinels=f"127.0.0.1:{sentinel.port}",
                             sentinel_master=MASTER_NAME, cluster=False)
    transport = create_redis_transport(settings, RedisStreamsConfig(partitions=PARTITIONS))
    try:
        await transport.start()
        health = await transport.health()
        assert health.ok and health.detail["role"] == "master", health.detail

        first = await round_trip(transport)
        await blocking_round_trip(transport, MESSAGES)  # the blocking client, via sentinel
        inspector = master.admin()
        try:
            assert_nothing_pending(inspector, transport, MESSAGES + 1)
        finally:
            inspector.close()
        # Everything (streams, group offsets, acks) is on the replica before the crash.
        offset = int(master.info("replication")["master_repl_offset"])
        wait_for("the replica to catch up",
                 lambda: int(replica.info("replication")["slave_repl_offset"]) >= offset)

        master.kill()  # a crash: SIGKILL, no shutdown
        wait_for("the sentinel to switch to the replica",
                 lambda: sentinel_switched(sentinel, replica.port), timeout=20)
        wait_for("the replica to become master",
                 lambda: replica.info("replication")["role"] == "master")

        # Same transport object: both pools reconnect through the sentinel, and the first
        # call already succeeds (its immediate retry re-asks the sentinel for the master).
        after = messages(MESSAGES + 1, MESSAGES)
        failures = await send_when_available(transport, after[:100])
        assert failures == 0, f"{failures} failed sends after the switch"
        await transport.send(after[100:])
        await transport.ensure_group(GROUP)  # idempotent on the new master
        got = await drain(transport, len(after))
        assert_in_key_order(got, after)  # nothing redelivered from before the failover
        await blocking_round_trip(transport, 2 * MESSAGES + 1)  # its pool reconnected too

        health = await transport.health()
        assert health.ok and health.detail["role"] == "master", health.detail
        inspector = replica.admin()
        try:
            assert_nothing_pending(inspector, transport, len(first) + 1 + len(after) + 1)
        finally:
            inspector.close()
    finally:
        await transport.close()


# ------------------------------------------------------------------------------ cluster


CLUSTER_ARGS = ("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "2000")


def cluster_ok(node: Node, size: int) -> bool:
    info = node.call("CLUSTER", "INFO")
    if isinstance(info, bytes | str):
        text = info.decode() if isinstance(info, bytes) else info
        info = dict(line.split(":", 1) for line in text.split() if ":" in line)
    return (str(info.get("cluster_state")) == "ok"
            and int(info.get("cluster_known_nodes", 0)) == size
            and int(info.get("cluster_slots_ok", 0)) == 16384)


def start_cluster(redis_nodes: Callable[..., Node], size: int,
                  password: str | None) -> list[Node]:
    """`size` masters sharing the slots evenly (what `redis-cli --cluster create` does)."""
    auth = ("--requirepass", password, "--masterauth", password) if password else ()
    nodes = [redis_nodes(f"cluster-{i}", *CLUSTER_ARGS, *auth, password=password)
             for i in range(size)]
    ranges = [(0, 16383)] if size == 1 else SLOT_RANGES
    assert len(ranges) == size
    for i, (node, (low, high)) in enumerate(zip(nodes, ranges, strict=True)):
        assert node.call("CLUSTER", "ADDSLOTSRANGE", low, high)
        assert node.call("CLUSTER", "SET-CONFIG-EPOCH", i + 1)
    for node in nodes[1:]:
        assert nodes[0].call("CLUSTER", "MEET", "127.0.0.1", node.port, node.bus_port)
    for node in nodes:
        wait_for(f"cluster_state:ok on port {node.port}", partial(cluster_ok, node, size))
    return nodes


@pytest.mark.parametrize(("size", "password"), [(1, None), (3, PASSWORD)],
                         ids=["one-node", "three-masters-with-password"])
async def test_cluster_round_trip(redis_nodes: Callable[..., Node], size: int,
                                  password: str | None) -> None:
    nodes = start_cluster(redis_nodes, size, password)
    # The URL names one node; the client discovers the others from CLUSTER SLOTS.
    settings = RedisSettings(url=SecretStr(f"redis://127.0.0.1:{nodes[-1].port}"),
                             password=SecretStr(password) if password else None,
                             sentinels=None, sentinel_master=None, cluster=True)
    transport = create_redis_transport(settings, RedisStreamsConfig(partitions=PARTITIONS))
    inspector = redis.cluster.RedisCluster(host="127.0.0.1", port=nodes[0].port,
                                           password=password, decode_responses=True)
    try:
        await transport.start()
        health = await transport.health()
        assert health.ok and health.detail["role"] == "cluster", health.detail

        sent = await round_trip(transport)
        await blocking_round_trip(transport, MESSAGES)  # the blocking cluster client
        assert_nothing_pending(inspector, transport, len(sent) + 1)

        # A partition's stream and its lease share the {pN} hash slot, and the partitions
        # really are spread over every master (so the pipelines crossed nodes).
        for p in range(PARTITIONS):
            stream = transport.stream(p)
            lease = lease_key(transport.config.stream_prefix, GROUP, p)
            assert key_slot(stream.encode()) == key_slot(lease.encode())
            assert inspector.get(lease) == CONSUMER
        for node in nodes:
            streams = [k for k in node.call("KEYS", "yabot:events:{p*}") if ":lease:" not in k]
            assert streams, f"no partition stream on the master on port {node.port}"

        await transport.release(GROUP, CONSUMER)
        prefix = transport.config.stream_prefix
        assert all(inspector.get(lease_key(prefix, GROUP, p)) is None for p in range(PARTITIONS))
    finally:
        await transport.close()
        inspector.close()
