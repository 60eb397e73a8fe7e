"""``make demo`` on a machine with no Redis configured: it starts the project's own Redis and two
workers, jobs flow, and Ctrl-C stops everything it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import redis

from jobs.dev.project_redis import ProjectRedis
from tests.jobs.helpers import ROOT, start_process, wait_for


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def test_the_demo_runs_jobs_and_ctrl_c_stops_everything_it_started(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(JOBS_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1", JOBS_HEARTBEAT_INTERVAL="0.2")
    demo = start_process(
        [sys.executable, "-m", "jobs", "demo", "--rate", "20"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    project = ProjectRedis(tmp_path)
    try:
        url = wait_for(project.running_url, what="the demo to start Redis")
        client = redis.Redis.from_url(url, decode_responses=True)
        wait_for(lambda: int(client.get("resque:stat:processed") or 0) >= 5, what="jobs to run")
        workers = client.smembers("resque:workers")
        assert len(workers) == 2
        pids = [int(worker.split(":")[1]) for worker in workers]
        redis_pid = int((tmp_path / "redis" / "redis.pid").read_text())
        os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        output = demo.communicate(timeout=30)[0].decode()
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            project.stop()
    assert demo.returncode == 0, output
    assert re.search(r"processed: \d+ \| failed: \d+", output)
    assert "Stopped the workers" in output and "Stopped Redis" in output
    wait_for(lambda: not any(_running(pid) for pid in [*pids, redis_pid]), what="all to exit")
    assert project.running_url() is None
