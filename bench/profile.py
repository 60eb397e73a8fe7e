"""Where a job's time goes in our thread-mode worker: a py-spy profile of one drain.

The queue is filled with N no-op jobs and one worker (``--threads 10 --no-fork --interval 0``,
so it exits once the queue is empty) is started by ``py-spy record --gil``, which samples, a
thousand times a second, the stack of whichever thread holds the GIL, without changing the
worker's code. cProfile would not do: it sees only the main thread, and the jobs run on others.
Stacks outside the worker's loop and its job threads (start-up, imports) are left out.

Only one thread runs Python at a time, so these samples are the worker's Python time: the
summary gives it per job, how much of the time the GIL was held at all, and the functions it
went to: *self* (running, at the top of the stack) and *total* (anywhere on the stack), as
shares of the samples. Near 100% would mean Python itself is the limit. Well under that, with
the worker's CPU per job (the drain table) several times its Python per job, the rest goes to
system calls and to threads waking one another to hand the GIL over.
"""

from __future__ import annotations

import collections
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import Bench, Workers, run_client, wait_until
from bench.measure import Census
from bench.ours import Ours

RATE = 1000  # samples per second
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]*)(?::\d+)?\)$")


@dataclass(frozen=True)
class Profile:
    jobs: int
    seconds: float  # from the first job done to the last
    samples: int  # samples in which the worker's loop or a job thread held the GIL
    self_counts: collections.Counter[str]
    total_counts: collections.Counter[str]
    roles: collections.Counter[str]  # samples by kind of thread (see ROLES)

    @property
    def gil_ms_per_job(self) -> float:
        """Python time per job: the GIL held, by any thread, per job finished."""
        return self.samples / RATE * 1000 / max(1, self.jobs)

    @property
    def gil_share(self) -> float:
        """How much of the time some thread held the GIL (1.0: the process is GIL-bound)."""
        return self.samples / (RATE * self.seconds)


def py_spy() -> str | None:
    found = shutil.which("py-spy") or Path(sys.executable).with_name("py-spy")
    return str(found) if found and Path(found).exists() else None


def profile_thread_worker(bench: Bench, jobs: int) -> Profile | None:
    """Profile one thread-mode worker draining ``jobs`` no-op jobs; None without py-spy."""
    spy = py_spy()
    if spy is None:
        return None
    ours = Ours()
    bench.flush()
    run_client(bench, ours.client_command("bulk", str(jobs)), 60 + jobs / 20)
    worker_command = ours.worker_command("thread")
    assert worker_command is not None
    output = bench.server.data_dir / "profile.txt"
    census = Census(bench.redis)
    # py-spy starts the worker itself: a program may trace its own children even where
    # tracing others needs privileges (Linux's ptrace_scope=1, the usual default).
    record = [spy, "record", "--gil", "--nonblocking", "--format", "raw", "--rate", str(RATE)]
    record += ["--output", str(output), "--"]
    with Workers(bench) as workers:
        spy_process = workers.start([*record, *worker_command, "--interval", "0"])
        wait_until(lambda: census.done() >= 1, 60, "the profiled worker's first job")
        started = time.perf_counter()
        wait_until(lambda: spy_process.poll() is not None, 60 + jobs / 20, "the profiled worker")
        seconds = time.perf_counter() - started
    if not output.exists():
        return None
    return read_profile(output.read_text(), jobs, seconds)


OTHER = "other: start-up, heartbeat, signals (left out below)"
# Where a stack enters the worker's two kinds of thread: below these frames is the work.
ROLES = {
    "Worker._loop (jobs/worker.py)": "main loop: fetch, hand out, collect",
    "ThreadRunner._serve (jobs/runners.py)": "job threads: perform, acknowledge",
}


def read_profile(raw: str, jobs: int, seconds: float) -> Profile:
    """Read py-spy's raw format: one line per distinct stack, ``frame;frame;... count``."""
    self_counts: collections.Counter[str] = collections.Counter()
    total_counts: collections.Counter[str] = collections.Counter()
    roles: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_function(frame) for frame in stack.split(";")]
        role, below = _role(frames)
        roles[role] += count
        if role == OTHER:
            continue  # start-up is not a job's time
        samples += count
        self_counts[frames[-1]] += count
        for name in set(below):
            total_counts[name] += count
    return Profile(jobs, seconds, samples, self_counts, total_counts, roles)


def _role(frames: list[str]) -> tuple[str, list[str]]:
    """Which kind of thread a stack is from, and its frames below the thread's entry point."""
    for depth, frame in enumerate(frames):
        if frame in ROLES:
            return ROLES[frame], frames[depth + 1 :]
    return OTHER, frames


def _function(frame: str) -> str:
    match = FRAME.match(frame)
    if match is None:
        return frame
    return f"{match['function']} ({match['file']})"


def summary(profile: Profile, top: int = 12) -> str:
    lines = [
        f"{profile.jobs} jobs in {profile.seconds:.1f} s; {profile.samples} samples at {RATE}/s"
        f" with the GIL held: {profile.gil_ms_per_job:.3f} ms of Python per job,"
        f" GIL held {100 * profile.gil_share:.0f}% of the time",
        "",
        "by thread:",
        *_ranked(profile.roles, sum(profile.roles.values()), top),
        "",
        f"top {top} by self time (running, top of the stack):",
    ]
    lines += _ranked(profile.self_counts, profile.samples, top)
    lines += ["", f"top {top} by total time (anywhere on the stack below the thread's loop):"]
    lines += _ranked(profile.total_counts, profile.samples, top)
    return "\n".join(lines)


def _ranked(counts: collections.Counter[str], samples: int, top: int) -> list[str]:
    return [f"  {100 * count / samples:5.1f}%  {name}" for name, count in counts.most_common(top)]
