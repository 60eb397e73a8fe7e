"""What a run measures, the same way for every system.

* :class:`Census` reads the done counter and Redis's ``INFO commandstats`` together, and
  keeps count of its own commands, so that they can be taken out of the workers' numbers.
  Commands run inside Lua scripts are counted too (Redis counts them in commandstats), next to
  the ``evalsha`` that ran them: that is the work Redis does per job. Round trips are the
  commands a client sends: for a script, one ``evalsha``.
* :func:`cpu_seconds` is a process's CPU time, its reaped children's included (fork per job).
* :func:`switches_and_faults` counts a process's context switches and minor page faults.
* :func:`child_pids` finds a supervisor's worker processes, to measure them too.
* :func:`peak_rss_mib` is a process's high-water mark of resident memory (``VmHWM``, Linux).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import redis

from bench.job_body import DONE_KEY


@dataclass(frozen=True)
class Snapshot:
    """The counter and every command's call count, read in one round trip."""

    at: float  # time.perf_counter() when the reply came
    done: int
    calls: dict[str, int]
    census_gets: int  # GETs the census had sent by then, this snapshot's included


class Census:
    """Watches one Redis: how many jobs are done, and how many commands it has run."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._gets = 0

    def done(self) -> int:
        self._gets += 1
        return int(self._client.get(DONE_KEY) or 0)

    def snapshot(self) -> Snapshot:
        pipe = self._client.pipeline(transaction=False)
        pipe.get(DONE_KEY)
        pipe.info("commandstats")
        done, stats = pipe.execute()
        self._gets += 1
        calls = {name.removeprefix("cmdstat_"): int(row["calls"]) for name, row in stats.items()}
        return Snapshot(time.perf_counter(), int(done or 0), calls, self._gets)

    @staticmethod
    def commands_between(start: Snapshot, end: Snapshot) -> dict[str, int]:
        """Commands Redis ran from ``start`` to ``end``, less the census's own: its polling
        GETs, and the INFO of ``start`` (Redis counts a command once it has replied, so an
        INFO never sees itself, and ``end``'s is not in the numbers)."""
        own = {"get": end.census_gets - start.census_gets, "info": 1}
        delta = {
            name: calls - start.calls.get(name, 0) - own.get(name, 0)
            for name, calls in end.calls.items()
        }
        return {name: calls for name, calls in delta.items() if calls > 0}


def per_job(commands: dict[str, int], jobs: int) -> dict[str, float]:
    """Commands per job, busiest first."""
    ordered = sorted(commands.items(), key=lambda item: -item[1])
    return {name: calls / jobs for name, calls in ordered}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and of the children it has waited for."""
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return times.user + times.system + times.children_user + times.children_system


def switches_and_faults(pid: int) -> tuple[int, int]:
    """Context switches of a process's live threads (each one's is in its own ``task/``
    entry), and its minor page faults, its waited-for children's included (Linux; else 0s).
    Threads handing the GIL to one another switch; a forked process faults as it copies the
    memory it shares with its parent."""
    switches = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:
            continue  # the thread has just exited
        switches += sum(int(line.split()[1]) for line in lines if "ctxt_switches:" in line)
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return switches, 0
    return switches, int(fields[7]) + int(fields[8])  # minflt, cminflt


def child_pids(pid: int) -> list[int]:
    """The processes ``pid`` has started and not yet waited for (a supervisor's workers)."""
    try:
        return [child.pid for child in psutil.Process(pid).children()]
    except psutil.NoSuchProcess:
        return []


def peak_rss_mib(pid: int) -> float | None:
    """The most resident memory the process has used so far, in MiB (None off Linux)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


@dataclass
class Measurement:
    """One system's result in one scenario; only the fields that scenario measures are set."""

    scenario: str
    system: str
    what: str  # the worker or API that ran, in words
    jobs: int = 0
    rate: float | None = None  # jobs per second
    p50_ms: float | None = None
    p99_ms: float | None = None
    peak_rss_mib: list[float] = field(default_factory=list)  # one per worker process
    commands: dict[str, float] = field(default_factory=dict)  # per job, by command
    worker_cpu_ms: float | None = None  # per job, all worker processes together
    redis_cpu_ms: float | None = None  # per job
    switches: float | None = None  # context switches per job, all worker processes together
    faults: float | None = None  # minor page faults per job, the same

    @property
    def commands_per_job(self) -> float | None:
        return sum(self.commands.values()) if self.commands else None
