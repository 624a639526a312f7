"""A real Redis Cluster for the cluster tests: 3 masters with a replica each, on loopback, stopped by process id.

``FASTWS_TEST_REDIS_CLUSTER_URL`` (set by ``.ci/run``, which builds one)
points at a running cluster; the tests that kill or move things build
their own with ``RedisClusterServers``. Built from Debian's
``redis-server`` and ``redis-cli --cluster create``, about 2 s; without
them the tests skip, unless ``FASTWS_REQUIRE_REDIS=1``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.load.servers import cluster_ports
from tests.helpers.redis_server import require_redis_server

__all__ = ["RedisClusterServers", "shared_cluster_url"]


def command(port: int, *args: str, timeout: float = 5.0) -> str:
    """``redis-cli -p port args...``: its output."""
    result = subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    return result.stdout


class RedisClusterServers:
    """``masters`` masters with ``replicas`` replicas each, on 127.0.0.1, no persistence."""

    def __init__(self, masters: int = 3, replicas: int = 1) -> None:
        self.binary = require_redis_server()
        if shutil.which("redis-cli") is None:
            raise RuntimeError("redis-cli is missing (it comes with redis-server)")
        self.masters = masters
        self.replicas = replicas
        self.count = masters * (1 + replicas)
        self.ports: list[int] = []
        self.processes: dict[int, subprocess.Popen[bytes]] = {}
        self.directory: Path | None = None

    @property
    def url(self) -> str:
        """The cluster URL fastws takes: every master as a startup node."""
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports[: self.masters])

    def start_node(self, port: int) -> None:
        assert self.directory is not None
        node = self.directory / str(port)
        node.mkdir(exist_ok=True)
        self.processes[port] = subprocess.Popen(
            [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
             "--cluster-config-file", str(node / "nodes.conf"), "--cluster-node-timeout", "1000",
             "--repl-diskless-sync-delay", "0", "--save", "", "--appendonly", "no", "--dir", str(node)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while "PONG" not in command(port, "ping", timeout=2):
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.02)

    def start(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="fastws-cluster-"))
        self.ports = cluster_ports(self.count)
        try:
            for port in self.ports:
                self.start_node(port)
            subprocess.run(
                ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
                 "--cluster-replicas", str(self.replicas), "--cluster-yes"],
                capture_output=True, timeout=60, check=True,
            )  # fmt: skip
            self.wait_ok()
        except BaseException:
            self.stop()
            raise

    def wait_ok(self, timeout: float = 30.0) -> None:
        """Until every live node says the cluster is ok and agrees on who serves every slot."""
        deadline = time.monotonic() + timeout
        while True:
            live = [p for p, process in self.processes.items() if process.poll() is None]
            if all("cluster_state:ok" in command(p, "cluster", "info") for p in live) and self._agreed(live):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("the Redis Cluster did not get to cluster_state:ok")
            time.sleep(0.05)

    def _agreed(self, live: list[int]) -> bool:
        views = {command(p, "cluster", "shards").count("master") for p in live}
        return len(views) == 1

    def live(self) -> list[int]:
        return [p for p, process in self.processes.items() if process.poll() is None]

    def master_of(self, key: bytes) -> int:
        """The port of the master that serves ``key``'s slot now."""
        from redis.crc import key_slot

        return self.master_of_slot(key_slot(key))

    def master_of_slot(self, slot: int) -> int:
        for line in command(self.live()[0], "cluster", "nodes").splitlines():
            fields = line.split()
            if "master" in fields[2] and "fail" not in fields[2]:
                for part in fields[8:]:
                    low, _, high = part.partition("-")
                    if low.isdigit() and int(low) <= slot <= int(high or low):
                        return int(fields[1].split(":")[1].split("@")[0])
        raise RuntimeError(f"no master serves slot {slot}")

    def masters_now(self) -> list[int]:
        return sorted({self.master_of_slot(slot) for slot in (0, 8000, 16383)})

    def migrate(self, slot: int, to_port: int) -> None:
        """Move ``slot`` and its keys to the master on ``to_port`` (what ``redis-cli --cluster reshard`` does)."""
        source = self.master_of_slot(slot)
        source_id, target_id = self.node_id(source), self.node_id(to_port)
        command(to_port, "cluster", "setslot", str(slot), "importing", source_id)
        command(source, "cluster", "setslot", str(slot), "migrating", target_id)
        while keys := command(source, "cluster", "getkeysinslot", str(slot), "100").split():
            command(source, "migrate", "127.0.0.1", str(to_port), "", "0", "5000", "keys", *keys)
        for port in (to_port, source, *(p for p in self.masters_now() if p not in (to_port, source))):
            command(port, "cluster", "setslot", str(slot), "node", target_id)

    def node_id(self, port: int) -> str:
        return command(port, "cluster", "myid").strip()

    def kill(self, port: int) -> None:
        """SIGKILL one node (its replica takes over after the node timeout, about 2 s)."""
        process = self.processes[port]
        process.kill()
        process.wait(10)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)
        self.processes.clear()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> RedisClusterServers:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def shared_cluster_url() -> tuple[str, RedisClusterServers | None]:
    """The URL of CI's Redis Cluster, or of one built here (stop the returned cluster after)."""
    url = os.environ.get("FASTWS_TEST_REDIS_CLUSTER_URL")
    if url:
        return url, None
    cluster = RedisClusterServers()
    cluster.start()
    return cluster.url, cluster
