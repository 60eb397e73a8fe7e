"""``python -m chapters lessons``: run every command in the lessons, as written, in order.

Each written chapter's README is read from top to bottom. Every line of a ```` ```sh ````
block is a command, run from the root of a throwaway copy of the repository (as in
:mod:`chapters.prove`). Where the README says ``<!-- lesson: the change is made here -->``,
the copy gets the chapter's solution (``make chapter-N-solution``), as if the learner had
done the work.

Commands that keep running (``make blog``, ``make worker``, ``make monitor``, ``jobs work``)
are started in the background, awaited until they serve (the blog and the monitor answer,
the workers register and empty their queues), and stopped with Ctrl-C (SIGINT) at the end
of the chapter, or when the next workers start. ``make redis-cli`` gets ``PING`` on its
standard input. Everything else must exit 0, and some must print what the lesson says they
print. Exits 1 if any command does not work as written.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests

from chapters.prove import copy_repository
from chapters.tool import CHAPTERS, ROOT
from jobs.dev.local_redis import free_port
from jobs.dev.project_redis import ProjectRedis

CHANGE_MARKER = "<!-- lesson: the change is made here -->"
TIMEOUT = 240.0  # seconds for one command (chapter 4 races fork and threads), or to get ready
# What a command must print, besides exiting 0.
EXPECTED_OUTPUT = {
    "PING": "PONG",
    "time_it.sh publish": "Publishing took",
    "time_it.sh upload": "took",
    "LRANGE resque:queue:sleep": "blog_app.jobs.Sleeper",
    "LRANGE resque:queue:images": "blog_app.jobs.MakeThumbnails",
}
# The chapter targets, for a Makefile that does not have them yet.
MAKEFILE_RULES = """
chapters: $(INSTALLED)
\t$(BIN)/python -m chapters list
chapter-%-start: $(INSTALLED)
\t$(BIN)/python -m chapters start $* $(if $(FORCE),--force)
chapter-%-solution: $(INSTALLED)
\t$(BIN)/python -m chapters solution $* $(if $(FORCE),--force)
chapter-%: $(INSTALLED)
\t$(BIN)/python -m chapters check $*
"""


@dataclass
class Background:
    command: str
    process: subprocess.Popen[bytes]


@dataclass
class Sandbox:
    """The copy of the repository, and what runs in it."""

    root: Path
    env: dict[str, str]
    running: list[Background] = field(default_factory=list)
    measured: list[str] = field(default_factory=list)

    def url(self, port_variable: str) -> str:
        return f"http://127.0.0.1:{self.env[port_variable]}/"

    def redis(self) -> redis.Redis:
        url = ProjectRedis(self.root / "var").running_url()
        assert url, "the project's Redis is not running"
        return redis.Redis.from_url(url, decode_responses=True)


def commands(readme: Path) -> Iterator[str]:
    """The README's commands in order; ``CHANGE_MARKER`` where the change is made."""
    in_sh = False
    for line in readme.read_text().splitlines():
        if line.strip() == CHANGE_MARKER:
            yield CHANGE_MARKER
        elif line.startswith("```"):
            in_sh = line.strip() == "```sh"
        elif in_sh and line.strip() and not line.lstrip().startswith("#"):
            yield line.strip()


def _kind(command: str) -> str:
    if command.startswith("make blog"):
        return "blog"
    if command.startswith("make monitor"):
        return "monitor"
    if command.startswith("make worker") or " jobs work" in command:
        return "worker"
    if command == "make redis-cli":
        return "prompt"
    return "once"


def run_command(box: Sandbox, command: str) -> str:
    """Run one command as the lesson says; returns '' if it worked, else what went wrong.
    A timing command's result goes into ``box.measured``."""
    kind = _kind(command)
    if kind == "once" or kind == "prompt":
        stdin = "PING\n" if kind == "prompt" else None
        done = subprocess.run(
            command, shell=True, cwd=box.root, env=box.env, input=stdin,
            capture_output=True, text=True, timeout=TIMEOUT, check=False,
        )  # fmt: skip
        output = done.stdout + done.stderr
        if done.returncode != 0:
            return f"exited {done.returncode}:\n{output[-2000:]}"
        expected = next((v for k, v in EXPECTED_OUTPUT.items() if k in command), "")
        if kind == "prompt":
            expected = "PONG"
        if "time_it.sh" in command or "measure" in command:
            box.measured.append(f"{command}\n    {output.strip().splitlines()[-1]}")
        return "" if expected in output else f"did not print {expected!r}:\n{output[-2000:]}"
    if kind == "worker":
        stop(box, lambda b: _kind(b.command) == "worker")
    return start(box, command, kind)


def start(box: Sandbox, command: str, kind: str) -> str:
    process = subprocess.Popen(
        command, shell=True, cwd=box.root, env=box.env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    box.running.append(Background(command, process))
    ready = _readiness(box, command, kind)
    deadline = time.monotonic() + TIMEOUT
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            output = _stop_one(box.running.pop())
            return f"did not become ready:\n{output[-2000:]}"
        time.sleep(0.1)  # polling a condition, with a deadline
    return ""


def _readiness(box: Sandbox, command: str, kind: str) -> Callable[[], bool]:
    if kind in ("blog", "monitor"):
        url = box.url("PORT" if kind == "blog" else "MONITOR_PORT")
        return lambda: _answers(url)
    count = int(m.group(1)) if (m := re.search(r"(?:COUNT=|--count )(\d+)", command)) else 1
    queues = m.group(1) if (m := re.search(r"(?:QUEUE=|--queue )(\S+)", command)) else "*"

    def registered_and_done() -> bool:
        client = box.redis()
        live = len(client.smembers("resque:workers")) >= count
        return live and all(client.llen(f"resque:queue:{q}") == 0 for q in queues.split(","))

    return registered_and_done


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


def stop(box: Sandbox, which: Callable[[Background], bool] = lambda _b: True) -> None:
    """Ctrl-C to the background commands chosen, newest first."""
    for background in reversed([b for b in box.running if which(b)]):
        box.running.remove(background)
        _stop_one(background)


def _stop_one(background: Background) -> str:
    process = background.process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.stdout is not None
    return process.stdout.read().decode(errors="replace")


def run_chapter(box: Sandbox, number: int, readme: Path) -> list[tuple[str, str, float]]:
    results = []
    for command in commands(readme):
        started = time.monotonic()
        if command == CHANGE_MARKER:
            command = f"make chapter-{number}-solution"
            problem = run_command(box, command)
            if not problem and any(_kind(b.command) == "blog" for b in box.running):
                stop(box, lambda b: _kind(b.command) == "blog")  # start it on the new code
                problem = run_command(box, "make blog")
        else:
            problem = run_command(box, command)
        results.append((command, problem, time.monotonic() - started))
    stop(box)
    return results


def _sandbox(temp: Path) -> Sandbox:
    root = temp / "repo"
    copy_repository(ROOT, root)
    # The copy uses this virtualenv. Its pyproject.toml and constraints.txt are made older than
    # the install marker, so that make does not reinstall the project (from the copy) into it.
    (root / ".venv").symlink_to(ROOT / ".venv")
    for name in ("pyproject.toml", "constraints.txt"):
        os.utime(root / name, (0, 0))
    makefile = root / "Makefile"
    if "chapter-%-start" not in makefile.read_text():
        print("(The Makefile has no chapter targets yet: using chapters.lessons.MAKEFILE_RULES)")
        makefile.write_text(makefile.read_text() + MAKEFILE_RULES)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        JOBS_VAR_DIR=str(root / "var"), PORT=str(free_port()), MONITOR_PORT=str(free_port()),
        PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1",
    )  # fmt: skip
    return Sandbox(root, env)


def main() -> int:
    started, failed = time.monotonic(), 0
    with tempfile.TemporaryDirectory(prefix="chapters-lessons-") as temp:
        box = _sandbox(Path(temp))
        try:
            for chapter in (c for c in CHAPTERS if c.written):
                print(f"Chapter {chapter.number}: chapters/{chapter.folder}/README.md")
                for command, problem, seconds in run_chapter(
                    box, chapter.number, chapter.path / "README.md"
                ):
                    failed += bool(problem)
                    print(f"  {'ok  ' if not problem else 'FAIL'} {seconds:5.1f}s  {command}")
                    for line in problem.splitlines():
                        print(f"        {line}")
        finally:
            stop(box)
            subprocess.run(["make", "redis-stop"], cwd=box.root, env=box.env,
                           capture_output=True, check=False)  # fmt: skip
        print("\nWhat the timing commands printed, in order:")
        for line in box.measured:
            print(f"  {line}")
    verdict = "every command works as written" if not failed else f"{failed} commands failed"
    print(f"\n{verdict}, in {time.monotonic() - started:.0f} s.")
    return 1 if failed else 0
