"""``make demo`` from a fresh var/ directory, with no Redis running: Redis (the project's own),
the stand-ins, a worker and the blog start, the blog is seeded and answers, the demo account sees
the job monitor on that Redis, and one Ctrl-C stops every one of them."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from blog_app.workshop.seed import DEMO_EMAIL, DEMO_PASSWORD
from jobs.dev.local_redis import free_port
from jobs.dev.project_redis import ProjectRedis
from tests.jobs.helpers import ROOT, start_process, wait_for

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_the_demo_serves_the_seeded_blog_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(JOBS_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    command = [
        sys.executable,
        "-m",
        "blog_app.workshop.demo",
        "--port",
        str(port),
        "--articles",
        "2",
    ]
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
        overview = _monitor_as_the_demo_account(f"http://127.0.0.1:{port}")
        assert "<h1>Overview</h1>" in overview and "needs Redis" not in overview
        family = _descendants(demo.pid)
        commands = " | ".join(family.values())
        for part in ("api_standin", "smtp_sink", "jobs work"):
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
    assert output.count("Demo account") == 1, output
    assert "Seeding\n" not in output, output  # not a bare label without its bar
    pids = [demo.pid, *family, redis_pid]
    wait_for(lambda: not any(_alive(pid) for pid in pids), what="every process to exit")
    assert project.running_url() is None
    assert (tmp_path / "blog" / "blog.sqlite3").is_file()


def test_on_a_busy_port_the_demo_says_which_make_command_to_try(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "JOBS_VAR_DIR": str(tmp_path)}
        command = [sys.executable, "-m", "blog_app.workshop.demo", "--port", str(port)]
        demo = start_process(command, cwd=ROOT, env=env, stderr=subprocess.PIPE)
        error = demo.communicate(timeout=60)[1].decode()
    assert demo.returncode == 1
    assert f"make demo PORT={port + 1}" in error and "--port" not in error, error
    assert not (tmp_path / "redis" / "url").exists()  # it failed before starting anything


def _monitor_as_the_demo_account(blog: str) -> str:
    """Log in as a person would (the form, its CSRF token, the cookie), then open /jobs/."""
    browser = requests.Session()
    token = CSRF.search(browser.get(f"{blog}/login", timeout=10).text)
    assert token, "no CSRF token on the login page"
    form = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    logged_in = browser.post(f"{blog}/login", data=form, timeout=10)
    assert logged_in.history and logged_in.history[0].status_code == 302, logged_in.text
    monitor = browser.get(f"{blog}/jobs/", timeout=10)
    assert monitor.status_code == 200 and monitor.url == f"{blog}/jobs/", monitor.url
    return monitor.text


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()  # after the name: state, ppid, pgrp, ...


def _descendants(ancestor: int) -> dict[int, str]:
    """Every live process started by ``ancestor`` or its children, with its command line
    (Linux: from /proc). The worker is among them, in a process group of its own."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))):
            parents[int(entry.name)] = int(stat[1])
    members: dict[int, str] = {}
    for pid in parents:
        parent = parents.get(pid)
        while parent is not None and parent != ancestor:
            parent = parents.get(parent)
        if parent == ancestor:
            with contextlib.suppress(OSError):  # it may exit while we look
                raw = (Path("/proc") / str(pid) / "cmdline").read_bytes()
                members[pid] = raw.replace(b"\0", b" ").decode(errors="replace")
    return members


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"  # a zombie has exited
