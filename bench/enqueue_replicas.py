"""``python -m bench.enqueue_replicas [--jobs 2000]``: what ``JOBS_ENQUEUE_REPLICAS=1`` costs an
enqueue. A primary and one replica on loopback; the same jobs enqueued one call at a time,
without and with waiting (``WAIT 1``) for the replica, alternating in rounds so that a busy
machine weighs on both alike. Prints the median and 99th percentile of one enqueue, in ms.

On loopback the wait is one more hop, primary to replica and back; between machines, add the
network's round trip between the primary and its nearest replica.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from bench.harness import wait_until
from bench.jobs_ours import Noop
from jobs.client import Client
from jobs.dev.local_redis import PrivateRedis, find_redis_server, free_port
from jobs.settings import Settings
from jobs.store import open_store

ROUNDS = 10


def start_replica(primary_port: int, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [
        find_redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
        "--dir", str(folder), "--replicaof", "127.0.0.1", str(primary_port),
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL), port


def timed_enqueues(client: Client, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        client.enqueue(Noop)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, PrivateRedis(Path(folder)) as primary:
        replica, port = start_replica(primary.port, Path(folder))
        try:
            replica_client = redis.Redis(port=port)
            wait_until(
                lambda: replica_client.info("replication").get("master_link_status") == "up",
                30,
                "the replica to sync",
            )
            clients = {
                replicas: Client(
                    open_store(primary.url),
                    Settings(redis_url=primary.url, enqueue_replicas=replicas),
                )
                for replicas in (0, 1)
            }
            times: dict[int, list[float]] = {0: [], 1: []}
            for _ in range(ROUNDS):
                for replicas, client in clients.items():
                    times[replicas] += timed_enqueues(client, options.jobs // ROUNDS)
        finally:
            replica.kill()
            replica.wait()
    for replicas, measured in times.items():
        ms = sorted(t * 1000 for t in measured)
        print(
            f"JOBS_ENQUEUE_REPLICAS={replicas}: median {statistics.median(ms):.3f} ms,"
            f" p99 {ms[int(len(ms) * 0.99)]:.3f} ms per enqueue ({len(ms)} enqueues)"
        )


if __name__ == "__main__":
    main()
