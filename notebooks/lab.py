"""What the notebooks share: private servers they start and stop, and where figures go.

A notebook opens a :class:`Lab`, which starts what it asks for and stops all of it on
``close()`` (the notebook's last cell), as a learner would by hand:

* ``lab.redis()`` — a private Redis on a free port, its data in a temporary folder
  (:class:`jobs.dev.local_redis.PrivateRedis`); never the Redis on 6379, never the project's own;
* ``lab.client()`` — a queue client on it, also made the default, so ``jobs.enqueue`` works;
* ``lab.workers(...)`` — real worker processes, ``python -m jobs work``, one per process so the
  notebook knows each one's pid. They die with the notebook's kernel, even if it is killed.

:func:`commands_sent` counts what a piece of code asks of Redis, from the server's side
(``MONITOR``), and :func:`save` writes a figure where ``make notebooks`` collects them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import redis

from jobs.client import Client, set_default_client
from jobs.dev.local_redis import PrivateRedis
from jobs.registry import WorkerId
from jobs.runners import signal_when_parent_dies
from jobs.settings import Settings
from jobs.store import Store
from jobs.store.keys import Keys
from jobs.store.scripts import LUA_DIR, lua_source

ROOT = Path(__file__).resolve().parent.parent
FIGURES_VARIABLE = "NOTEBOOK_FIGURES"  # where save() writes; make notebooks sets it
SIZE_VARIABLE = "NOTEBOOK_SIZE"  # "small" for CI's quick run; anything else: the full size
JOB_MODULE = "notebooks.lab_jobs"
T = TypeVar("T")


def small_run() -> bool:
    """True when CI (or you) asked for the small, quick size: ``NOTEBOOK_SIZE=small``."""
    return os.environ.get(SIZE_VARIABLE, "") == "small"


def figures_dir() -> Path:
    folder = Path(os.environ.get(FIGURES_VARIABLE) or ROOT / "var" / "notebooks" / "figures")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(figure: Any, name: str) -> Path:
    """Write a matplotlib figure as ``NAME.png`` with the others; returns its path."""
    path = figures_dir() / f"{name}.png"
    figure.savefig(path, dpi=110, bbox_inches="tight")
    return path


@dataclass
class Workers:
    """Worker processes started by :meth:`Lab.workers`."""

    processes: list[subprocess.Popen[bytes]]

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def stop(self) -> None:
        """Stop them as Ctrl-C would (INT: stop now, put back what is running)."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


class Lab:
    """A private Redis and worker processes for one notebook; ``close()`` stops them all."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="notebook-lab-"))
        self._stack = ExitStack()
        self._redis: PrivateRedis | None = None

    def redis(self) -> str:
        """Start the private Redis (once); returns its URL."""
        if self._redis is None:
            self._redis = self._stack.enter_context(PrivateRedis(self.folder / "redis"))
            _load_scripts(self._redis.url)
        return self._redis.url

    def client(self) -> Client:
        url = self.redis()
        settings = Settings(redis_url=url)
        client = Client(Store(url, settings.namespace), settings)
        set_default_client(client)
        self._stack.callback(set_default_client, None)
        return client

    def workers(
        self, queues: Sequence[str], count: int = 1, threads: int = 1, fork: bool = True
    ) -> Workers:
        """Start ``count`` worker processes on ``queues`` and wait until each has registered."""
        command = [sys.executable, "-m", "jobs", "work", "--queue", ",".join(queues)]
        command += ["--threads", str(threads), "--interval", "1", "--import", JOB_MODULE]
        command += ["--fork" if fork else "--no-fork"]
        environment = {
            **os.environ,
            "REDIS_URL": self.redis(),
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            "JOBS_HEARTBEAT_INTERVAL": "0.5",
        }
        log = self.folder / "workers.log"
        started = Workers([_start_worker(command, environment, log) for _ in range(count)])
        self._stack.callback(started.stop)
        _wait_registered(redis.Redis.from_url(self.redis()), started.pids)
        return started

    def close(self) -> None:
        self._stack.close()


def _load_scripts(url: str) -> None:
    """Load the queue's Lua scripts now. A fresh Redis answers a script's first call with
    NOSCRIPT and the client loads it then: done here, the commands a notebook counts are the
    ones every later job costs."""
    raw = redis.Redis.from_url(url)
    for path in sorted(LUA_DIR.glob("*.lua")):
        raw.script_load(lua_source(path.stem))


def _start_worker(
    command: list[str], environment: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    # If the notebook's kernel dies (even by kill -9), its workers get TERM and stop too.
    with log.open("ab") as output:  # their log, not the notebook's cells
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: signal_when_parent_dies(signal.SIGTERM) and None,
        )


def _wait_registered(raw: redis.Redis, pids: list[int], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ids = (WorkerId.parse(member.decode()) for member in raw.smembers(Keys().workers))
        if set(pids) <= {worker.pid for worker in ids if worker is not None}:
            return
        time.sleep(0.05)
    raise RuntimeError(f"workers {pids} did not register within {timeout:.0f} s")


def who_ran(log: Path, worker_pids: list[int]) -> dict[int, int]:
    """Job number -> the pid of the worker that ran it, from the lines :mod:`lab_jobs` notes.
    A forked child is not the worker itself: its parent is."""
    ran_by = {}
    for line in log.read_text().splitlines():
        note = json.loads(line)
        ran_by[note["number"]] = note["pid"] if note["pid"] in worker_pids else note["ppid"]
    return ran_by


def started_at(log: Path) -> dict[int, float]:
    """Job number -> when it started (``time.time()``), from :class:`lab_jobs.Timed` notes."""
    return {
        note["number"]: note["started"] for note in map(json.loads, log.read_text().splitlines())
    }


def attempts_per_job(log: Path) -> dict[int, tuple[int, bool]]:
    """Job number -> (how many calls it made, whether one of them worked), from the lines a
    :class:`lab_jobs.CallsFlakyApi` notes."""
    calls: Counter[int] = Counter()
    worked: set[int] = set()
    for line in log.read_text().splitlines():
        note = json.loads(line)
        calls[note["number"]] += 1
        if note["ok"]:
            worked.add(note["number"])
    return {number: (count, number in worked) for number, count in calls.items()}


# -- what Redis is asked to do ---------------------------------------------------------------

STOP_WORD = "notebook-lab-stop-listening"


@dataclass(frozen=True)
class Command:
    name: str  # upper case, e.g. "EVALSHA"
    args: list[str]
    from_script: bool  # run by a Lua script on the server, not sent by a client


def commands_sent(url: str, action: Callable[..., T], *args: Any) -> tuple[T, list[Command]]:
    """Run ``action(*args)``; returns what it returned and every command Redis ran meanwhile,
    as ``MONITOR`` shows them (the commands a Lua script runs are marked ``from_script``)."""
    raw = redis.Redis.from_url(url)
    seen: list[Command] = []
    with raw.monitor() as monitor:
        listening = threading.Thread(target=_listen, args=(monitor, seen), daemon=True)
        listening.start()
        time.sleep(0.05)  # MONITOR shows only what arrives after it started
        value = action(*args)
        raw.echo(STOP_WORD)
        listening.join(10)
    return value, seen


def _listen(monitor: Any, seen: list[Command]) -> None:
    while True:
        entry = monitor.next_command()
        words = entry["command"].split(" ")
        if STOP_WORD in entry["command"]:
            return
        name = words[0].upper()
        if name in ("MONITOR",):
            continue
        seen.append(Command(name, words[1:], entry.get("client_type") == "lua"))


def print_commands(commands: list[Command]) -> None:
    """One line per command: what a client sent, and indented, what its script ran."""
    for command in commands:
        words = " ".join(_short(arg) for arg in command.args)
        print(f"{'    in the script: ' if command.from_script else ''}{command.name} {words}")


def _short(arg: str, limit: int = 60) -> str:
    return arg if len(arg) <= limit else arg[: limit - 3] + '..."'


def print_keys(url: str, pattern: str = "*") -> None:
    """Every key matching ``pattern`` with its type and value, as the monitor's Stats tab
    shows them (what ``redis-cli`` would show, without typing each command)."""
    raw = redis.Redis.from_url(url, decode_responses=True)
    for key in sorted(raw.scan_iter(pattern)):
        kind = raw.type(key)
        print(f"{key}  ({kind})")
        for line in _value_lines(raw, key, kind):
            print(f"    {line}")


def _value_lines(raw: redis.Redis, key: str, kind: str) -> list[str]:
    readers: dict[str, Callable[[], Any]] = {
        "string": lambda: [raw.get(key)],
        "list": lambda: raw.lrange(key, 0, -1),
        "set": lambda: sorted(raw.smembers(key)),
        "zset": lambda: [f"{m}  score {s:.0f}" for m, s in raw.zrange(key, 0, -1, withscores=True)],
        "hash": lambda: [f"{f} = {v}" for f, v in sorted(raw.hgetall(key).items())],
    }
    return [str(value) for value in readers.get(kind, lambda: ["?"])()]


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``condition`` until it is true (returning its value); fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.02)
    return value


def count_by_name(commands: list[Command]) -> Counter[str]:
    """``{"EVALSHA": 1, "LMOVE (in a script)": 1, ...}``."""
    return Counter(f"{c.name} (in a script)" if c.from_script else c.name for c in commands)
