"""Counting an act's jobs, by the status each one's id has in Redis, into the act's last line:
"2,000 in, 2,000 done, 0 lost, 3 retried, 1 failed".

A job is *lost* when it is neither finished (done, failed) nor anywhere it could still be
finished from: waiting on its queue, running, or waiting for a retry. The acts wait for their
jobs to finish, with a generous deadline, so at the end of an act a lost job is one the queue
let go of. The count asks Redis for one status per job: a few thousand small reads.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from jobs.client import Client

SETTLE_SECONDS = 120.0  # how long an act waits for its jobs to finish, on a busy laptop
FINISHED = ("done", "failed")


@dataclass(frozen=True)
class Tally:
    enqueued: int
    done: int
    failed: int = 0
    retried: int = 0
    lost: int = 0
    waiting: int = 0  # not finished yet, and accounted for (an act that leaves some running)

    def line(self, note: str = "") -> str:
        parts = [f"{self.enqueued:,} in", f"{self.done:,} done"]
        if self.waiting:
            parts.append(f"{self.waiting:,} still to run")
        parts += [f"{self.lost:,} lost", f"{self.retried:,} retried", f"{self.failed:,} failed"]
        return ", ".join(parts) + (f"; {note}" if note else "")


def states(client: Client, job_ids: Sequence[str]) -> Counter[str]:
    """How many of the jobs are in each state; "" for those no worker has taken yet."""
    found: Counter[str] = Counter()
    for job_id in job_ids:
        status = client.status(job_id)
        found[status.state if status else ""] += 1
    return found


def settle(client: Client, job_ids: Sequence[str], seconds: float = SETTLE_SECONDS) -> Counter[str]:
    """Wait until every job is finished, or ``seconds`` pass; returns their states then."""
    deadline = time.monotonic() + seconds
    unfinished = list(job_ids)
    while unfinished and time.monotonic() < deadline:
        unfinished = [job_id for job_id in unfinished if not _finished(client, job_id)]
        if unfinished:
            time.sleep(0.2)
    return states(client, job_ids)


def _finished(client: Client, job_id: str) -> bool:
    status = client.status(job_id)
    return status is not None and status.finished


def settled_tally(
    client: Client, job_ids: Sequence[str], retried: int, seconds: float = SETTLE_SECONDS
) -> Tally:
    """The act's count once its jobs had their time to finish: anything unfinished is lost."""
    found = settle(client, job_ids, seconds)
    done, failed = found["done"], found["failed"]
    return Tally(len(job_ids), done, failed, retried, lost=len(job_ids) - done - failed)


def running_tally(client: Client, job_ids: Sequence[str], queues: Sequence[str]) -> Tally:
    """A count taken while the jobs still run. The queues' sizes are read first: a job with
    no status was on its queue then too (it only leaves its queue with a status), so more
    jobs without a status than waited on the queues would be jobs lost."""
    on_queues = sum(client.size(queue) for queue in queues)
    found = states(client, job_ids)
    never_taken = found[""]
    lost = max(0, never_taken - on_queues)
    done, failed = found["done"], found["failed"]
    waiting = len(job_ids) - done - failed - lost
    return Tally(len(job_ids), done, failed, lost=lost, waiting=waiting)
