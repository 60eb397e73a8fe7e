"""``python -m bench.enqueuer MODULE ACTION COUNT [RATE]``: one system's client side, run with
that system's own interpreter (its virtualenv), as an application using it would run.

``MODULE`` is a job module (:mod:`bench.jobs_ours`, :mod:`bench.jobs_huey`, :mod:`bench.jobs_rq`)
with three functions: ``enqueue_one()``, ``enqueue_many(count)`` and
``enqueue_pickup(enqueued_at)``. Actions:

* ``one COUNT``: COUNT no-op jobs, one call each;
* ``bulk COUNT``: COUNT no-op jobs with the system's bulk API;
* ``pickup COUNT RATE``: COUNT pickup jobs arriving steadily at RATE per second, each stamped
  with ``time.time()`` just before its enqueue call.

It prints ``{"seconds": ..., "cpu_seconds": ...}``: the time the calls took and the CPU this
process spent on them, so that start-up is left out of both.
``bench/sidekiq/enqueue.rb`` is the same program for Sidekiq. Only the standard library is
imported here: a peer's virtualenv holds the peer and nothing of ours.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from types import ModuleType


def one_by_one(jobs: ModuleType, count: int) -> None:
    for _ in range(count):
        jobs.enqueue_one()


def steadily(jobs: ModuleType, count: int, rate: float) -> None:
    began = time.perf_counter()
    for n in range(count):
        pause = began + n / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        jobs.enqueue_pickup(time.time())


def main(argv: list[str]) -> int:
    module, action, count, *rest = argv
    jobs = importlib.import_module(module)
    began, cpu_began = time.perf_counter(), time.process_time()
    if action == "one":
        one_by_one(jobs, int(count))
    elif action == "bulk":
        jobs.enqueue_many(int(count))
    elif action == "pickup":
        steadily(jobs, int(count), float(rest[0]))
    else:
        raise SystemExit(f"unknown action {action!r}: one, bulk or pickup")
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu_began
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
