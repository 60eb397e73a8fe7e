"""A Redis primary, one replica and three Sentinels on free loopback ports, for the failover
tests: real servers (``redis-server`` and ``redis-server --sentinel``), stopped with the test."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import TracebackType
from typing import Self

import redis

from jobs.dev.local_redis import find_redis_server, free_port
from tests.jobs.helpers import start_process, wait_for

SERVICE = "mymaster"
DOWN_AFTER_MS = 1000  # how soon the Sentinels call a silent primary down (default: 30 s)


class SentinelGroup:
    """``ready_for_failover``: also wait until every Sentinel knows the replica and the other
    Sentinels (a few seconds), without which they could not agree to promote it."""

    def __init__(self, directory: Path, *, ready_for_failover: bool = True) -> None:
        self.directory = directory
        self.ready_for_failover = ready_for_failover
        self.primary_port, self.replica_port = free_port(), free_port()
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def __enter__(self) -> Self:
        self._server(self.primary_port)
        self._server(self.replica_port, "--replicaof", "127.0.0.1", str(self.primary_port))
        wait_for(self._replica_in_sync, 20, "the replica to sync with the primary")
        for port in self.sentinel_ports:
            self._sentinel(port)
        if self.ready_for_failover:
            wait_for(self._sentinels_ready, 30, "the Sentinels to find the replica and each other")
        else:
            wait_for(self._sentinels_answer, 30, "the Sentinels to name the primary")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)

    def _server(self, port: int, *options: str) -> None:
        folder = self.directory / str(port)
        folder.mkdir()
        command = [
            find_redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(folder), "--logfile", str(folder / "log"),
            # a primary waits 5 s by default for more replicas before it sends its data
            "--repl-diskless-sync-delay", "0",
            *options,
        ]  # fmt: skip
        self.processes[port] = start_process(command, stdout=subprocess.DEVNULL)

    def _sentinel(self, port: int) -> None:
        config = self.directory / f"sentinel-{port}.conf"
        config.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {self.directory}\n"
            f"logfile {self.directory}/sentinel-{port}.log\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary_port} 2\n"
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {SERVICE} 5000\n"
        )
        command = [find_redis_server(), str(config), "--sentinel"]
        self.processes[port] = start_process(command, stdout=subprocess.DEVNULL)

    def client(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=2, decode_responses=True)

    def _replica_in_sync(self) -> bool:
        try:
            info = self.client(self.replica_port).info("replication")
        except redis.ConnectionError:
            return False
        return info.get("master_link_status") == "up"

    def _sentinels_ready(self) -> bool:
        try:
            return all(
                len(self.client(port).sentinel_slaves(SERVICE)) == 1
                and len(self.client(port).sentinel_sentinels(SERVICE)) == 2
                for port in self.sentinel_ports
            )
        except redis.ConnectionError:
            return False

    def _sentinels_answer(self) -> bool:
        try:
            return all(
                self.client(port).sentinel_get_master_addr_by_name(SERVICE)
                for port in self.sentinel_ports
            )
        except redis.ConnectionError:
            return False

    def primary_port_now(self) -> int:
        """The primary's port as the first Sentinel that answers sees it."""
        for port in self.sentinel_ports:
            try:
                _, primary = self.client(port).sentinel_get_master_addr_by_name(SERVICE)
                return int(primary)
            except redis.ConnectionError:
                continue
        raise AssertionError("no Sentinel answers")

    def kill_primary(self) -> int:
        """kill -9 the server that is the primary now; returns its port."""
        port = self.primary_port_now()
        self.processes[port].kill()
        self.processes[port].wait(10)
        return port

    def wait_failover(self, old: int, timeout: float = 30) -> int:
        """Wait until the Sentinels name another server than ``old`` as the primary, it says
        it is one, and ``old``, if it still runs, has become its replica (until then it takes
        writes that the failover throws away); returns the new primary's port."""

        def new_primary() -> int:
            port = self.primary_port_now()
            if port == old or self._role(port) != "master":
                return 0
            return (
                port if self.processes[old].poll() is not None or self._role(old) == "slave" else 0
            )

        return wait_for(new_primary, timeout, "the Sentinels to promote the replica")

    def _role(self, port: int) -> str:
        try:
            return str(self.client(port).info("replication")["role"])
        except redis.ConnectionError:
            return "unreachable"
