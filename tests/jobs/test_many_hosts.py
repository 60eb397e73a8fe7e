"""Workers on many machines against one Redis, played on loopback: each "host" is a group of
worker processes presenting its own host name (``JOBS_HOST``), so no worker can check another
host's pids and death is seen only through heartbeats. One host's clock may be hours off
(libfaketime); Redis's clock is the judge.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis

import jobs
from jobs.client import Client
from tests.jobs.helpers import ROOT, done, release, start_process, started, wait_for
from tests.jobs.sample_jobs import Held

HEARTBEAT = "0.1"


def start_host(
    redis_url: str, host: str, log_dir: Path, *, count: int, dead_after: float, clock: str = ""
) -> list[subprocess.Popen[bytes]]:
    """``count`` forking workers named ``host:pid:*``, each with its job processes in a process
    group of its own, to be killed whole. ``clock``: a libfaketime offset such as ``+2h``.
    (Not ``COUNT``: a supervisor's workers outlive a kill -9 of it long enough to put their
    jobs back, which is not what a machine losing power does.)"""
    return [
        start_worker(redis_url, host, log_dir / f"{host}-{n}.log", dead_after, clock)
        for n in range(count)
    ]


def start_worker(
    redis_url: str, host: str, log_file: Path, dead_after: float, clock: str
) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "REDIS_URL": redis_url,
        "JOBS_HOST": host,
        "JOBS_HEARTBEAT_INTERVAL": HEARTBEAT,
        "JOBS_DEAD_AFTER": str(dead_after),
        "JOBS_IMPORT": "tests.jobs.sample_jobs",
        "PYTHONUNBUFFERED": "1",
    }
    faketime = ["faketime", "-f", clock] if clock else []
    log = log_file.open("wb")
    return start_process(
        [*faketime, sys.executable, "-m", "jobs", "work"],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def workers_of(raw: redis.Redis, host: str) -> list[str]:
    return sorted(w for w in raw.smembers("resque:workers") if w.startswith(f"{host}:"))


CLOCK_FOLLOWING_SLACK_MS = 250


def test_a_host_stopped_abruptly_has_its_jobs_recovered_after_dead_after_by_another_host(
    redis_url: str, raw: redis.Redis, client: Client, tmp_path: Path
) -> None:
    dead_after = 3.0
    job_ids = [jobs.enqueue(Held, token) for token in ("a1", "a2")]
    alpha = start_host(redis_url, "alpha", tmp_path, count=2, dead_after=dead_after)
    wait_for(lambda: len(started(raw)) == 2, 30, "alpha's two workers to start a job each")
    alpha_ids = wait_for(lambda: workers_of(raw, "alpha"), what="alpha's workers")
    start_host(redis_url, "beta", tmp_path, count=1, dead_after=dead_after)
    wait_for(lambda: workers_of(raw, "beta"), 30, "beta's worker to register")

    for worker in alpha:  # the whole machine at once: workers and their jobs' processes
        os.killpg(worker.pid, signal.SIGKILL)
    for worker in alpha:
        worker.wait(10)
    last_beats = [raw.zscore("resque:jobs:heartbeats", worker) for worker in alpha_ids]
    assert None not in last_beats, "alpha's workers were judged dead before dead_after"

    # beta takes both jobs back and runs them, one at a time (it has one worker)
    wait_for(lambda: len(started(raw)) == 3, dead_after + 30, "a1 or a2 to run again on beta")
    rerun = started(raw)[2].split()[0]
    release(raw, rerun)
    wait_for(lambda: len(started(raw)) == 4, 30, "the other job to run again on beta")
    release(raw, started(raw)[3].split()[0])
    wait_for(lambda: sorted(done(raw)) == ["a1", "a2"], 30, "both jobs to finish on beta")

    # Judged by Redis's clock: neither job went back before dead_after without a heartbeat.
    # A worker follows Redis's clock from the replies it gets (jobs.store.clock), so its idea
    # of Redis's time may be off by a reply's delay on a busy machine: allow that much.
    restarted_ms = [
        int(raw.hget(f"resque:jobs:status:{job_id}", "started_at")) for job_id in job_ids
    ]
    silent_ms = min(restarted_ms) - max(int(beat) for beat in last_beats)
    assert silent_ms >= dead_after * 1000 - CLOCK_FOLLOWING_SLACK_MS
    assert workers_of(raw, "alpha") == []  # unregistered by the recovery
    assert raw.keys("resque:jobs:inflight:alpha:*") == []


@pytest.mark.skipif(shutil.which("faketime") is None, reason="needs libfaketime (apt faketime)")
def test_no_live_worker_is_declared_dead_when_host_clocks_disagree_by_hours(
    redis_url: str, raw: redis.Redis, client: Client, tmp_path: Path
) -> None:
    dead_after = 2.0
    for token in ("ahead", "behind", "exact"):
        jobs.enqueue(Held, token)
    start_host(redis_url, "ahead", tmp_path, count=1, dead_after=dead_after, clock="+2h")
    start_host(redis_url, "behind", tmp_path, count=1, dead_after=dead_after, clock="-2h")
    start_host(redis_url, "exact", tmp_path, count=1, dead_after=dead_after)
    wait_for(lambda: len(started(raw)) == 3, 30, "each host to start one job")
    hosts = {host: workers_of(raw, host) for host in ("ahead", "behind", "exact")}

    # Let three dead_after periods pass by Redis's clock, then a heartbeat from everyone after
    # that: every worker has looked for dead ones many times by then.
    seconds, _ = raw.time()
    until_ms = (seconds + 3 * dead_after) * 1000

    def everyone_beat_after_the_wait() -> bool:
        beats = raw.zrange("resque:jobs:heartbeats", 0, -1, withscores=True)
        return len(beats) == 3 and all(score > until_ms for _, score in beats)

    wait_for(everyone_beat_after_the_wait, 3 * dead_after + 30, "three dead_after periods")
    assert len(started(raw)) == 3, f"a job was run twice: {started(raw)}"
    assert {host: workers_of(raw, host) for host in hosts} == hosts
    for token in ("ahead", "behind", "exact"):
        release(raw, token)
    wait_for(lambda: sorted(done(raw)) == ["ahead", "behind", "exact"], 30, "the jobs to finish")
    logs = "".join(path.read_text() for path in tmp_path.glob("*.log"))
    assert "is dead" not in logs
