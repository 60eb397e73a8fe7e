"""Redis going away and coming back, with real worker processes and a real Redis server that
the tests stop and start (append-only persistence on, as the project runs its own)."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from jobs.client import Client
from jobs.dev.local_redis import PrivateRedis, free_port
from jobs.settings import Settings
from jobs.store import RedisUnavailable, Store
from tests.jobs.helpers import WorkerProcess, wait_for
from tests.jobs.sample_jobs import HeldByFile, Record, Tracked, WithoutRedis


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PrivateRedis]:
    with PrivateRedis(tmp_path, appendonly=True) as server:
        yield server


def client_for(server: PrivateRedis) -> Client:
    settings = Settings(redis_url=server.url)
    return Client(Store(server.url), settings)


def look(server: PrivateRedis) -> redis.Redis:
    return redis.Redis.from_url(server.url, decode_responses=True)


def test_enqueue_with_redis_unreachable_names_the_url_but_never_its_password() -> None:
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    client = Client(Store(url), Settings(redis_url=url))
    with pytest.raises(RedisUnavailable) as refused:
        client.enqueue(Record, 1)
    message = str(refused.value)
    assert f"redis://:***@127.0.0.1:{url.rsplit(':', 1)[1]}" in message
    assert "s3cret" not in message


def test_a_worker_waits_out_an_outage_says_so_once_and_carries_on(server: PrivateRedis) -> None:
    client, raw = client_for(server), look(server)
    worker = WorkerProcess(server.url, "--queue", "default")
    try:
        worker.wait_registered(raw)
        server.stop()
        time.sleep(1.5)  # the outage itself: many reconnection attempts happen meanwhile
        server.start()
        client.enqueue(Record, "after the outage")
        wait_for(
            lambda: raw.lrange("test:done", 0, -1) == ["after the outage"],
            what="the job to run once Redis is back",
        )
    finally:
        worker.signal(signal.SIGQUIT)
        worker.wait()
    output = worker.output()
    assert output.count("lost Redis at") == 1, output
    assert "Redis is back after" in output


def test_a_redis_restart_mid_run_loses_no_job_and_never_runs_one_twice_at_once(
    server: PrivateRedis,
) -> None:
    client, raw = client_for(server), look(server)
    client.enqueue_many(Tracked, [[n] for n in range(500)])
    workers = [
        WorkerProcess(server.url, "--queue", "default"),
        WorkerProcess(server.url, "--queue", "default", "--threads", "4", "--no-fork"),
    ]
    try:
        wait_for(lambda: raw.scard("test:done") >= 100, what="some jobs to be done")
        server.restart()
        wait_for(lambda: raw.scard("test:done") == 500, timeout=60, what="all 500 jobs")
        wait_for(lambda: not raw.keys("resque:jobs:inflight:*"), what="nothing in flight")
    finally:
        for worker in workers:
            worker.signal(signal.SIGQUIT)
        for worker in workers:
            worker.wait()
    assert raw.lrange("test:overlap", 0, -1) == []
    assert raw.llen("resque:failed") == 0 and raw.llen("resque:queue:default") == 0


def test_after_an_outage_longer_than_the_heartbeat_timeout_no_job_runs_twice(
    server: PrivateRedis, tmp_path: Path
) -> None:
    # Two workers hold a job each; a third is idle, ready to take any job put back. When Redis
    # returns, every heartbeat in it is older than JOBS_DEAD_AFTER — yet no one is dead.
    client, raw = client_for(server), look(server)
    env = {"JOBS_DEAD_AFTER": "0.5", "JOBS_HEARTBEAT_INTERVAL": "0.1"}
    release = tmp_path / "release"
    client.enqueue(HeldByFile, "a", str(release))
    client.enqueue(HeldByFile, "b", str(release))
    workers = [WorkerProcess(server.url, "--queue", "default", env=env) for _ in range(3)]
    try:
        wait_for(lambda: raw.llen("test:started") == 2, what="two jobs to start")
        server.stop()
        time.sleep(1.5)  # the outage: three times JOBS_DEAD_AFTER
        server.start()
        # Every worker heartbeats again, then several recovery rounds pass.
        back = int(time.time() * 1000)
        wait_for(
            lambda: all(
                score > back + 1500
                for _, score in raw.zrange("resque:jobs:heartbeats", 0, -1, withscores=True)
            ),
            what="heartbeats well after Redis came back",
        )
        assert raw.llen("test:started") == 2  # nothing was put back and started again
        release.touch()
        wait_for(lambda: sorted(raw.lrange("test:done", 0, -1)) == ["a", "b"], what="both done")
    finally:
        for worker in workers:
            worker.signal(signal.SIGQUIT)
        for worker in workers:
            worker.wait()
    assert raw.llen("test:started") == 2 and raw.llen("resque:queue:default") == 0


def test_a_forked_job_that_finishes_while_redis_is_away_is_settled_once_it_is_back(
    server: PrivateRedis, tmp_path: Path
) -> None:
    # The child reports its outcome to its worker, which settles it in Redis when it can: the
    # job is not put back and run again just because Redis was away when it ended.
    client, raw = client_for(server), look(server)
    job_id = client.enqueue(WithoutRedis, str(tmp_path))
    worker = WorkerProcess(server.url, "--queue", "default")
    try:
        wait_for(lambda: (tmp_path / "started").exists(), what="the job to start")
        server.stop()
        (tmp_path / "release").touch()
        wait_for(lambda: (tmp_path / "finished").exists(), what="the job to end, Redis away")
        server.start()
        wait_for(lambda: raw.get("resque:stat:processed") == "1", what="the job to be settled")
    finally:
        worker.signal(signal.SIGQUIT)
        worker.wait()
    assert (tmp_path / "started").read_text().count("\n") == 1  # it ran once
    assert raw.llen("resque:queue:default") == 0 and raw.llen("resque:failed") == 0
    assert job_id is not None


@pytest.mark.parametrize("mode", [["--threads", "3"], []], ids=["threads", "fork per job"])
def test_a_busy_worker_logs_an_outage_once_going_and_once_back_with_no_traceback(
    mode: list[str], server: PrivateRedis
) -> None:
    client, raw = client_for(server), look(server)
    client.enqueue_many(Record, [[n] for n in range(20_000)])  # quick jobs that need Redis
    worker = WorkerProcess(server.url, "--queue", "default", *mode)
    try:
        wait_for(lambda: raw.llen("test:done") >= 50, what="jobs under way")
        for _ in range(2):  # two outages, each while the worker is busy
            server.stop()
            time.sleep(1.0)
            server.start()
            back_ms = int(raw.time()[0]) * 1000
            wait_for(
                lambda: any(
                    score > back_ms  # noqa: B023
                    for _, score in raw.zrange("resque:jobs:heartbeats", 0, -1, withscores=True)
                ),
                what="the worker to see Redis back",
            )
    finally:
        worker.signal(signal.SIGQUIT)
        worker.wait(30)
    output = worker.output()
    assert "Traceback" not in output, output
    assert output.count("lost Redis at") == 2, output
    back = re.findall(rf"Redis is back after [0-9.]+s, at {re.escape(server.url)}\n", output)
    assert len(back) == 2, output
