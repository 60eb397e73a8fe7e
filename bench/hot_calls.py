"""``python -m bench.hot_calls COUNT``: what redis-py costs our hot paths, run with one of ours'
interpreters (each has its own redis-py: :func:`bench.venvs.ours_python`).

For each hot path, per job: the CPU this process spends (``time.process_time``, which other
programs on a busy machine disturb far less than a rate) and the Python function calls made
(cProfile's count: the same on every run, so a client library's extra layers show exactly).

* ``enqueue``: ``Client.enqueue``, one job;
* ``enqueue_many``: ``Client.enqueue_many`` of 100 jobs, per job;
* ``fetch``: a busy worker's round trip, ``acknowledge_and_fetch`` of 10 finished jobs taking
  10 more, per job;
* ``job INCR``: the benchmark job's own command (:func:`bench.job_body.count_done`).

Prints one JSON object: ``{path: {"cpu_us": ..., "calls": ...}}``.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import sys
import time
from collections.abc import Callable

from bench import job_body, jobs_ours
from bench.system import QUEUE
from jobs.fetch import run_at
from jobs.store import Store

BATCH = 10  # jobs a busy thread-mode worker acknowledges and takes per round trip
BULK = 100


def per_job(call: Callable[[], object], count: int, jobs_per_call: int = 1) -> dict[str, float]:
    """CPU µs and function calls per job of ``count`` calls, after a few to warm up."""
    for _ in range(10):
        call()
    began = time.process_time()
    for _ in range(count):
        call()
    cpu = time.process_time() - began
    profile = cProfile.Profile()
    profile.runcall(call)
    calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return {"cpu_us": cpu * 1e6 / count / jobs_per_call, "calls": calls / jobs_per_call}


class BusyWorker:
    """Takes ``BATCH`` jobs per call and acknowledges the ones it took the call before."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.held: list[bytes] = []

    def round_trip(self) -> None:
        queues = self.store.queues
        taken = queues.acknowledge_and_fetch("bench:1:hot", self.held, [QUEUE], run_at(), BATCH)
        self.held = taken[1]


def main(count: int) -> dict[str, dict[str, float]]:
    client = jobs_ours.client()
    found = {
        "enqueue": per_job(jobs_ours.enqueue_one, count),
        "enqueue_many": per_job(lambda: jobs_ours.enqueue_many(BULK), count // BULK + 1, BULK),
    }
    client.enqueue_many(jobs_ours.Noop, [[] for _ in range(BATCH * (count + 20))])
    worker = BusyWorker(Store(os.environ["REDIS_URL"]))
    found["fetch"] = per_job(worker.round_trip, count, BATCH)
    found["job INCR"] = per_job(job_body.count_done, count)
    return found


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
