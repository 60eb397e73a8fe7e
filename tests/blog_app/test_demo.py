"""``make demo`` from a fresh var/ directory: Redis (the project's own), the stand-ins, a worker
and the blog start, the blog is seeded and answers, and one Ctrl-C stops every one of them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from jobs.local_redis import free_port
from jobs.project_redis import ProjectRedis
from tests.jobs.helpers import ROOT, start_process, wait_for


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_the_demo_serves_the_seeded_blog_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(JOBS_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "blog_app.demo", "--port", str(port), "--articles", "2"]
    demo = start_process(
        [*command, "--comments", "3"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )  # fmt: skip
    project = ProjectRedis(tmp_path)
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/"), timeout=60, what="the blog")
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=5).text
        assert page.count('class="card summary"') == 2  # the seeded articles
        group = _process_group(demo.pid)
        commands = " | ".join(group.values())
        for part in ("blog_app.demo", "api_standin", "smtp_sink", "jobs work"):
            assert part in commands, commands
        redis_pid = int((tmp_path / "redis" / "redis.pid").read_text())
        os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        output = demo.communicate(timeout=60)[0].decode()
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            project.stop()
    assert demo.returncode == 0, output
    for line in (
        "Seeding",
        "Demo account:",
        "The blog:",
        "Everything the demo started has stopped",
    ):
        assert line in output, output
    pids = [*group, redis_pid]
    wait_for(lambda: not any(_alive(pid) for pid in pids), what="every process to exit")
    assert project.running_url() is None
    assert (tmp_path / "blog" / "blog.sqlite3").is_file()


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()  # after the name: state, ppid, pgrp, ...


def _process_group(pgid: int) -> dict[int, str]:
    """Every live process in the group, with its command line (Linux: from /proc)."""
    members = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) and int(stat[2]) == pgid:
            with contextlib.suppress(OSError):  # it may exit while we look
                raw = (entry / "cmdline").read_bytes()
                members[int(entry.name)] = raw.replace(b"\0", b" ").decode(errors="replace")
    return members


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"  # a zombie has exited
