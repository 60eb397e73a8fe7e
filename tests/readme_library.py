"""The README's section "The queue in your own app", run as written, as chapters/lessons.py
runs the lessons: by tests/test_readme_library.py with this repository's virtualenv, and by
tests/test_packaging.py in a fresh virtualenv that has only the installed wheel.

The section's code blocks, in order, make a small app in a directory of its own, outside this
repository, against the Redis the test gives:

- a ```` ```python ```` block whose first line is ``# myapp/NAME.py`` is that file of the app;
- any other ```` ```python ```` block is a script, run with ``python -c`` in the app's directory;
- each line of a ```` ```sh ```` block is a command, run with bash in the app's directory.
  ``pip install`` lines are left to tests/test_packaging.py, which installs into a fresh
  virtualenv from the wheelhouse. A command that keeps running is started, awaited and
  stopped with Ctrl-C (SIGINT): a worker (``jobs work``) once it is registered and every
  queue is empty, a web app (``flask ... run``) once its monitor page has been fetched.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests

from jobs.dev.local_redis import free_port
from tests.jobs.helpers import ROOT, start_process, wait_for

README = ROOT / "README.md"
SECTION = "## The queue in your own app"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
APP_FILE = re.compile(r"\A# (myapp/[\w/]+\.py)\n")
MONITOR_PATH = "/jobs/"
TIMEOUT = 90.0  # seconds for a command, or for a worker or server to be ready: a busy machine


@dataclass(frozen=True)
class Step:
    kind: str  # "file", "script" or "command"
    text: str
    path: str = ""


@dataclass
class Outcome:
    step: Step
    output: str
    page: requests.Response | None = None  # what the served monitor answered


@dataclass
class LibraryApp:
    """The app the section builds, in ``directory``, run with the programs in ``bin_dir``."""

    directory: Path
    bin_dir: Path
    redis_url: str
    outcomes: list[Outcome] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        # Nothing of the workshop's: no JOBS_LOCAL_REDIS, no PYTHONPATH into this repository.
        skip = ("REDIS_URL", "JOBS_LOCAL_REDIS", "PYTHONPATH", "VIRTUAL_ENV", "JOBS_IMPORT")
        env = {k: v for k, v in os.environ.items() if k not in skip}
        return {
            **env,
            "PATH": f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}",
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": "a key for this test only",
            "FLASK_RUN_PORT": str(free_port()),
            "PYTHONUNBUFFERED": "1",  # a job's print reaches the captured output at once
        }

    def run(self, steps: list[Step]) -> list[Outcome]:
        """Every step but ``pip install`` (the caller installed the package already)."""
        for step in steps:
            if not step.text.startswith("pip install"):
                self.outcomes.append(self._run_one(step))
        return self.outcomes

    def _run_one(self, step: Step) -> Outcome:
        if step.kind == "file":
            target = self.directory / step.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.text)
            return Outcome(step, "")
        if step.kind == "script":
            return Outcome(step, self._finish([str(self.bin_dir / "python"), "-c", step.text]))
        if " jobs work" in step.text:
            return self._worker(step)
        if re.search(r"\bflask .* run\b", step.text):
            return self._web_app(step)
        return Outcome(step, self._finish(["bash", "-c", step.text]))

    def _finish(self, command: list[str]) -> str:
        done = subprocess.run(
            command, cwd=self.directory, env=self.env(), capture_output=True, text=True,
            timeout=TIMEOUT, check=False,
        )  # fmt: skip
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{command[-1]!r} exited {done.returncode}:\n{output}"
        return done.stdout

    def _worker(self, step: Step) -> Outcome:
        raw = redis.Redis.from_url(self.redis_url, decode_responses=True)

        def registered_and_done() -> bool:
            workers = raw.smembers("resque:workers")
            working = any(raw.exists(f"resque:worker:{worker}") for worker in workers)
            waiting = sum(raw.llen(f"resque:queue:{q}") for q in raw.smembers("resque:queues"))
            return bool(workers) and not working and waiting == 0

        with self._background(step.text, self.env()) as process:
            wait_for(registered_and_done, TIMEOUT, f"{step.text!r} to empty the queues")
        return Outcome(step, _output(process))

    def _web_app(self, step: Step) -> Outcome:
        env = self.env()
        url = f"http://127.0.0.1:{env['FLASK_RUN_PORT']}{MONITOR_PATH}"
        with self._background(step.text, env) as process:
            page = wait_for(lambda: _fetch(url), TIMEOUT, f"{url} to answer")
        return Outcome(step, _output(process), page)

    @contextlib.contextmanager
    def _background(self, command: str, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
        """``command`` running, then stopped with Ctrl-C (SIGINT), as a person would."""
        process = start_process(
            ["bash", "-c", f"exec {command}"], cwd=self.directory, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield process
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(TIMEOUT)


def _fetch(url: str) -> requests.Response | None:
    try:
        return requests.get(url, timeout=5)
    except requests.RequestException:
        return None  # not serving yet


def _output(process: subprocess.Popen[bytes]) -> str:
    assert process.stdout is not None
    return process.stdout.read().decode(errors="replace")


def section(readme: Path = README) -> str:
    text = readme.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end != -1 else len(text)]


def steps(readme: Path = README) -> list[Step]:
    """The section's code blocks as steps, in order (see the module's docstring)."""
    found = []
    for language, body in FENCE.findall(section(readme)):
        if language == "python":
            file = APP_FILE.match(body)
            found.append(Step("file", body, file.group(1)) if file else Step("script", body))
        elif language == "sh":
            found.extend(Step("command", line) for line in _commands(body))
    return found


def _commands(block: str) -> Iterator[str]:
    for line in block.splitlines():
        command = line.split("  #")[0].strip()
        if command and not command.startswith("#"):
            yield command


def outcome_of(outcomes: list[Outcome], command_part: str) -> Outcome:
    return next(outcome for outcome in outcomes if command_part in outcome.step.text)


def check_the_queue(outcomes: list[Outcome]) -> None:
    """What the section's scripts and worker say they do, they did."""
    enqueued = outcome_of(outcomes, "client.enqueue(SendWelcome, 42)").output
    # The hook ran here, in the process that enqueued, and the job waits for a worker.
    assert re.search(r"^enqueued SendWelcome on mail: [0-9a-f]{16,}$", enqueued, re.MULTILINE)
    assert "1 job waiting" in enqueued
    worker = outcome_of(outcomes, "python -m jobs work").output
    assert "welcome mail to user 42" in worker and "enqueued" not in worker
    # Inline: the delayed job ran at once, and the job's error came up in the caller.
    inline = outcome_of(outcomes, "jobs.testing.inline()").output
    assert inline.splitlines() == ["welcome mail to user 7", "the job failed: no user 0"]


def check_the_monitor(outcomes: list[Outcome]) -> None:
    """The monitor, mounted in the section's Flask app, shows the queue the worker emptied."""
    monitor = outcome_of(outcomes, "flask --app myapp.web run").page
    assert monitor is not None and monitor.status_code == 200, monitor
    assert "mail" in monitor.text and "Content-Security-Policy" in monitor.headers
