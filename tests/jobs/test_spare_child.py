"""Fork per job with a spare child (jobs/children.py): the next job goes to a child forked
before it was fetched; every job still gets a fresh child; no spare outlives its worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis

import jobs
from jobs.client import Client
from tests.jobs.helpers import ROOT, WorkerProcess, done, start_process, wait_for
from tests.jobs.spare_jobs import CountsItsRuns, SaysItsPid

IMPORTS = {"JOBS_IMPORT": "tests.jobs.sample_jobs,tests.jobs.spare_jobs"}


def _children(pid: int) -> set[int]:
    try:
        return {int(word) for word in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except FileNotFoundError:
        return set()


def _descendants(pid: int) -> set[int]:
    found = _children(pid)
    for child in list(found):
        found |= _descendants(child)
    return found


def _alive(pid: int) -> bool:
    """Running, or asleep (a zombie, exited but not yet reaped, is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _pid_of(raw: redis.Redis, token: str) -> int:
    """The pid the job ``token`` reported (see spare_jobs.SaysItsPid)."""
    [line] = [line for line in done(raw) if line.split()[0] == token]
    return int(line.split()[1])


def _spare_of(worker: int, not_these: set[int]) -> int:
    """The worker's one live child that is not one of ``not_these`` (a child that ran a job
    may still be exiting)."""

    def spare() -> int | None:
        waiting = {pid for pid in _children(worker) - not_these if _alive(pid)}
        return waiting.pop() if len(waiting) == 1 else None

    return wait_for(spare, timeout=20, what=f"a spare child of worker {worker}")


def test_a_workers_second_job_runs_in_a_child_forked_before_the_job_was_fetched(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    worker = WorkerProcess(redis_url, "--queue", "default", env=IMPORTS)
    try:
        worker.wait_registered(raw)
        jobs.enqueue(SaysItsPid, "first")
        wait_for(lambda: done(raw), timeout=20, what="the first job")
        first = _pid_of(raw, "first")
        spare = _spare_of(worker.pid, {first})
        jobs.enqueue(SaysItsPid, "second")  # only now: the spare existed before the fetch
        wait_for(lambda: len(done(raw)) == 2, timeout=20, what="the second job")
        assert _pid_of(raw, "second") == spare
    finally:
        worker.signal(signal.SIGQUIT)
        worker.wait()


def test_a_jobs_module_level_state_does_not_reach_the_next_job(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    for token in ("one", "two", "three"):
        jobs.enqueue(CountsItsRuns, token)
    worker = WorkerProcess(redis_url, "--queue", "default", "--interval", "0", env=IMPORTS)
    assert worker.wait(timeout=30) == 0, worker.output()
    assert done(raw) == ["one 1", "two 1", "three 1"]


def test_a_spare_exits_when_its_worker_is_killed(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    worker = WorkerProcess(redis_url, "--queue", "default", env=IMPORTS)
    jobs.enqueue(SaysItsPid, "first")
    wait_for(lambda: done(raw), timeout=20, what="the first job")
    spare = _spare_of(worker.pid, {_pid_of(raw, "first")})
    worker.signal(signal.SIGKILL)
    worker.wait()
    wait_for(lambda: not _alive(spare), timeout=20, what=f"the spare {spare} to exit")


@pytest.mark.parametrize("stop", ["QUIT", "TERM", "Ctrl-C"])
def test_no_spare_is_left_once_a_supervisor_stops(
    redis_url: str, raw: redis.Redis, client: Client, stop: str
) -> None:
    command = [sys.executable, "-m", "jobs", "work", "--queue", "default", "--count", "2"]
    env = {**os.environ, "REDIS_URL": redis_url, "JOBS_HEARTBEAT_INTERVAL": "0.2", **IMPORTS}
    supervisor = start_process(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,  # as a terminal starts it: Ctrl-C reaches the whole group
    )  # fmt: skip
    for token in ("a", "b", "c", "d"):
        jobs.enqueue(SaysItsPid, token)
    wait_for(lambda: len(done(raw)) == 4, timeout=30, what="the jobs")
    ran_jobs = {_pid_of(raw, token) for token in ("a", "b", "c", "d")}

    def spares() -> set[int]:
        workers = _children(supervisor.pid)
        return {pid for pid in _descendants(supervisor.pid) - workers - ran_jobs if _alive(pid)}

    waiting = wait_for(spares, timeout=20, what="a worker's spare child")
    if stop == "Ctrl-C":
        os.killpg(supervisor.pid, signal.SIGINT)
    else:
        supervisor.send_signal(signal.Signals[f"SIG{stop}"])
    output = supervisor.communicate(timeout=60)[0].decode(errors="replace")
    assert supervisor.returncode == 0, output
    # Each worker stopped and reaped its spare before it exited, and the supervisor waited for
    # its workers: nothing is left, not even for a moment.
    assert not [pid for pid in waiting if _alive(pid)]
