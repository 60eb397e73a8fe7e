"""The soak: a chaos run that checks the queue's two promises under fire (``make soak``).

1. N jobs are enqueued at a steady pace onto a private Redis (append-only, loopback only),
   while workers in all three modes (fork per job, four threads, no fork) work them.
2. Every 0.3 to 3 seconds a worker is killed with ``kill -9`` (one time in four, in fork
   mode, its forked child instead) and a new worker of the same mode is started.
3. Redis is shut down and restarted from its append-only file twice, a third and two thirds
   of the way through.
4. Every run of a job is written down in a second Redis, which is never stopped
   (tests/jobs/soak_jobs.py).

At the end it prints the jobs in, done, lost, run more than once, failed, left in flight, and
the time it took for a killed worker's jobs to be put back (median and max). It fails on any
lost job, and on any false WorkerDied: a job failed for killing workers that was not running
at that many deaths. Bounded in time: it gives up (and fails) after its deadline.

    python -m tests.jobs.soak --jobs 5000 --kills 30
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import redis

from jobs.client import Client
from jobs.dev.local_redis import PrivateRedis
from jobs.settings import Settings
from jobs.store import CONNECTION_ERRORS, RedisUnavailable, Store
from tests.jobs.soak_jobs import Soaked

ROOT = Path(__file__).resolve().parents[2]
MODES = {"fork": [], "threads": ["--threads", "4"], "no-fork": ["--threads", "1", "--no-fork"]}
CRASH_LIMIT = 3
REDIS_DOWN: tuple[type[Exception], ...] = (RedisUnavailable, *CONNECTION_ERRORS)


@dataclass
class Kill:
    at: float
    pid: int
    what: str  # "worker" or "child"
    recovered_after: float | None = None


@dataclass
class Workers:
    """The workers of the run, by pid, each with its mode; killed and replaced at random."""

    redis_url: str
    record_url: str
    log_dir: Path
    running: dict[int, tuple[str, subprocess.Popen[bytes]]] = field(default_factory=dict)

    def start(self, mode: str) -> None:
        env = {
            **os.environ,
            "REDIS_URL": self.redis_url,
            "SOAK_RECORD_URL": self.record_url,
            "JOBS_IMPORT": "tests.jobs.soak_jobs",
            "JOBS_HEARTBEAT_INTERVAL": "0.2",
            "JOBS_CRASH_LIMIT": str(CRASH_LIMIT),
        }
        log = (self.log_dir / f"{mode}-{len(os.listdir(self.log_dir))}.log").open("wb")
        command = [sys.executable, "-m", "jobs", "work", "--queue", "soak", *MODES[mode]]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        self.running[process.pid] = (mode, process)

    def kill_one(self, rng: random.Random) -> Kill:
        """kill -9 a worker, or a forked worker's child; a killed worker is replaced."""
        pid = rng.choice(sorted(self.running))
        mode, process = self.running[pid]
        children = _children(pid) if mode == "fork" else []
        if children and rng.random() < 0.25:
            os.kill(children[0], signal.SIGKILL)
            return Kill(time.monotonic(), children[0], "child")
        process.kill()
        process.wait()
        del self.running[pid]
        self.start(mode)
        return Kill(time.monotonic(), pid, "worker")

    def stop_all(self) -> None:
        for _, process in self.running.values():
            process.send_signal(signal.SIGQUIT)
        for _, process in self.running.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def holds_anything(raw: redis.Redis, pid: int) -> bool:
    """Whether a (dead) worker with this pid is still registered or holds jobs in flight."""
    host = socket.gethostname()
    if any(member.startswith((f"{host}:{pid}:", f"{host}:{pid}-")) for member in _workers(raw)):
        return True
    prefix = f"resque:jobs:inflight:{host}:{pid}"
    return bool(raw.keys(f"{prefix}:*") or raw.keys(f"{prefix}-*"))


def _workers(raw: redis.Redis) -> list[str]:
    return [member.decode() for member in raw.smembers("resque:workers")]  # type: ignore[union-attr]


class Soak:
    def __init__(self, options: argparse.Namespace, server: PrivateRedis, record_url: str) -> None:
        self.options = options
        self.server = server
        self.rng = random.Random(options.seed)
        self.client = Client(Store(server.url), Settings(redis_url=server.url))
        self.raw = redis.Redis.from_url(server.url)
        self.record = redis.Redis.from_url(record_url)
        self.log_dir = Path(tempfile.mkdtemp(prefix="soak-logs-"))
        self.workers = Workers(server.url, record_url, self.log_dir)
        self.kills: list[Kill] = []
        self.enqueued = 0
        self.restarts = 0

    def run(self) -> bool:
        for mode in MODES:
            self.workers.start(mode)
        try:
            self._chaos()
            drained = self._drain()
        finally:
            self.workers.stop_all()
        return self._report(drained)

    def _chaos(self) -> None:
        """Enqueue at a steady pace, kill workers, restart Redis, until all is enqueued and
        every kill is done."""
        options, began = self.options, time.monotonic()
        next_kill = began + self.rng.uniform(0.3, 3.0)
        restart_at = [began + options.seconds / 3, began + 2 * options.seconds / 3]
        while self.enqueued < options.jobs or len(self.kills) < options.kills:
            now = time.monotonic()
            self._enqueue_due(min(1.0, (now - began) / options.seconds))
            if now >= next_kill and len(self.kills) < options.kills:
                self.kills.append(self.workers.kill_one(self.rng))
                next_kill = now + self.rng.uniform(0.3, 3.0)
            if restart_at and now >= restart_at[0]:
                restart_at.pop(0)
                self.server.restart()
                self.restarts += 1
            self._note_recoveries()
            time.sleep(0.01)

    def _enqueue_due(self, share: float) -> None:
        due = round(self.options.jobs * share)
        if due <= self.enqueued:
            return
        batch = [[n, self.options.work_ms] for n in range(self.enqueued, due)]
        try:
            self.client.enqueue_many(Soaked, batch)
        except REDIS_DOWN:
            return  # Redis is restarting: these go in on the next round
        self.enqueued = due

    def _note_recoveries(self) -> None:
        for kill in self.kills:
            if kill.what != "worker" or kill.recovered_after is not None:
                continue
            try:
                if not holds_anything(self.raw, kill.pid):
                    kill.recovered_after = time.monotonic() - kill.at
            except redis.ConnectionError:
                return

    def _drain(self) -> bool:
        """Wait until every job has finished or failed; False at the deadline."""
        deadline = time.monotonic() + self.options.drain_timeout
        while time.monotonic() < deadline:
            self._note_recoveries()
            if len(self._finished()) + len(self._failed_numbers()) >= self.options.jobs:
                return True
            time.sleep(0.1)
        return False

    def _finished(self) -> set[int]:
        return {int(n) for n in self.record.hkeys("soak:finished")}

    def _failed(self) -> list[dict[str, object]]:
        return [json.loads(record) for record in self.raw.lrange("resque:failed", 0, -1)]

    def _failed_numbers(self) -> set[int]:
        numbers = set()
        for record in self._failed():
            args = record["payload"].get("args") if isinstance(record["payload"], dict) else None
            if isinstance(args, list) and args:
                numbers.add(int(args[0]))
        return numbers

    def _report(self, drained: bool) -> bool:
        started = {int(n): int(c) for n, c in self.record.hgetall("soak:started").items()}
        finished = {int(n): int(c) for n, c in self.record.hgetall("soak:finished").items()}
        failed = self._failed()
        lost = set(range(self.options.jobs)) - set(finished) - self._failed_numbers()
        false_died = [
            record
            for record in failed
            if record["exception"] == "WorkerDied"
            and _unfinished_runs(record, started, finished) < CRASH_LIMIT
        ]
        self._print(started, finished, failed, lost, false_died)
        passed = drained and not lost and not false_died
        if passed:
            shutil.rmtree(self.log_dir)
        else:
            print(f"the workers' logs are kept in {self.log_dir}")
        return passed

    def _print(
        self,
        started: dict[int, int],
        finished: dict[int, int],
        failed: list[dict[str, object]],
        lost: set[int],
        false_died: list[dict[str, object]],
    ) -> None:
        recoveries = [k.recovered_after for k in self.kills if k.recovered_after is not None]
        kinds = Counter(kill.what for kill in self.kills)
        tracebacks = sum(log.read_text().count("Traceback") for log in self.log_dir.glob("*.log"))
        print(f"jobs in                {self.options.jobs}")
        print(f"done                   {len(finished)}")
        print(f"lost                   {len(lost)}" + (f"  {sorted(lost)[:10]}" if lost else ""))
        print(f"run more than once     {sum(1 for c in started.values() if c > 1)}")
        by_exception = dict(Counter(record["exception"] for record in failed))
        print(f"failed                 {len(failed)}  {by_exception}")
        print(f"false WorkerDied       {len(false_died)}")
        print(f"left in flight         {self._left_in_flight()}")
        print(f"kills (kill -9)        {len(self.kills)}  {dict(kinds)}")
        print(f"Redis restarts         {self.restarts}")
        if recoveries:
            median, most = statistics.median(recoveries), max(recoveries)
            print(f"recovery after a kill  median {median:.2f}s  max {most:.2f}s")
        print(f"worker log tracebacks  {tracebacks}")

    def _left_in_flight(self) -> int:
        keys = self.raw.keys("resque:jobs:inflight:*")
        waiting = int(self.raw.llen("resque:queue:soak"))
        return waiting + sum(int(self.raw.llen(key)) for key in keys)


def _unfinished_runs(
    record: dict[str, object], started: dict[int, int], finished: dict[int, int]
) -> int:
    """Runs of a failed job that started and never finished: at most the deaths it saw."""
    payload = record["payload"]
    args = payload.get("args") if isinstance(payload, dict) else None
    if not (isinstance(args, list) and args):
        return 0
    n = int(args[0])
    return started.get(n, 0) - finished.get(n, 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0, help="enqueue over this long")
    parser.add_argument("--work-ms", type=float, default=5.0, help="a job's mean running time")
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=None)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="soak-") as directory:
        data = Path(directory)
        with (
            PrivateRedis(data / "queue", appendonly=True) as server,
            PrivateRedis(data / "record") as record,
        ):
            passed = Soak(options, server, record.url).run()
    print("soak: PASSED" if passed else "soak: FAILED")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
