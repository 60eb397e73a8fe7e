"""The acts of the monitor demo, in order. Each sets a scene on the live queue, points at the
monitor page that shows it (``cue.look``, which waits for Enter or the timer), checks what
happened, and returns its closing line.

The acts share the workers the story started: one at first, four from the scaling act, three
after the kill -9. An act waits for its own jobs to finish before it ends, so the next one starts
on a quiet queue and its counts are its own.
"""

from __future__ import annotations

import contextlib
import json
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from jobs.dev.monitor_demo.demo_jobs import (
    BURST_CLASSES,
    BuildReport,
    FetchRates,
    SendMail,
    SendReminder,
)
from jobs.dev.monitor_demo.stage import Stage
from jobs.dev.monitor_demo.tally import Tally, running_tally, settled_tally, states
from jobs.failures import FailureNotFound, Failures
from jobs.job_class import queue_of

WAIT_SECONDS = 60.0  # for a worker to start or a job to come round, on a busy laptop
RATE_WINDOW = 2.0  # seconds over which the jobs-per-second figures are measured
SCALED_TO = 4  # worker processes after the scaling act
FLAKY_CALLS = 12
PAUSED_JOBS = 20
REMINDERS_IN = (3.0, 5.0, 7.0)  # seconds from now: the scheduled act's jobs
RETRIES_PAGE, SCHEDULED_PAGE = "/scheduled/retries", "/scheduled/scheduled"


class ActFailed(RuntimeError):
    """Something an act waits for did not happen in time: the demo stops and says what."""


class Cue(Protocol):
    """How an act talks to the room (see :mod:`jobs.dev.monitor_demo.story`)."""

    def say(self, text: str) -> None: ...

    def look(self, what: str, path: str) -> None: ...


@dataclass
class Notes:
    """What one act leaves for a later one."""

    size: int  # jobs in a burst
    burst_ids: list[str] = field(default_factory=list)
    one_worker_rate: float = 0.0
    started_processed: int = 0


def wait_until(condition: Callable[[], object], what: str, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise ActFailed(f"waited {seconds:.0f}s for {what}")
        time.sleep(0.1)


def measure_rate(stage: Stage, queues: Iterable[str]) -> float:
    """Jobs per second over :data:`RATE_WINDOW`, or less if the queues run dry first."""
    names = list(queues)
    started, before = time.monotonic(), stage.store.stat("processed")
    while time.monotonic() - started < RATE_WINDOW and any(stage.client.size(q) for q in names):
        time.sleep(0.05)
    return (stage.store.stat("processed") - before) / (time.monotonic() - started)


def enqueue_burst(stage: Stage, size: int, first: int = 0) -> list[str]:
    """``size`` quick jobs, spread over the three burst queues."""
    ids: list[str] = []
    for offset, job_class in enumerate(BURST_CLASSES):
        numbers = range(first + offset, first + size, len(BURST_CLASSES))
        ids += stage.client.enqueue_many(job_class, [[number] for number in numbers])
    return ids


BURST_QUEUES = [queue_of(job_class) for job_class in BURST_CLASSES]


def burst(stage: Stage, cue: Cue, notes: Notes) -> str:
    wait_until(lambda: stage.worker_ids(), "the first worker to start")
    notes.started_processed = stage.store.stat("processed")
    cue.say(f"{notes.size:,} jobs land at once on three queues ({', '.join(BURST_QUEUES)}).")
    cue.say("One worker process takes them one at a time, in the order of its queues.")
    notes.burst_ids = enqueue_burst(stage, notes.size)
    notes.one_worker_rate = measure_rate(stage, BURST_QUEUES)
    cue.look("the Overview: the queues shrink, processed climbs, the chart's last bar grows", "/")
    tally = running_tally(stage.client, notes.burst_ids, BURST_QUEUES)
    return tally.line(f"one worker: {notes.one_worker_rate:,.0f} jobs/s")


def scale_out(stage: Stage, cue: Cue, notes: Notes) -> str:
    cue.say(f"Another burst of {notes.size:,}, and three more worker processes start.")
    more = enqueue_burst(stage, notes.size, first=notes.size)
    for _ in range(SCALED_TO - len(stage.workers)):
        stage.start_worker()
    wait_until(lambda: len(stage.worker_ids()) == SCALED_TO, f"{SCALED_TO} workers to register")
    rate = measure_rate(stage, BURST_QUEUES)
    cue.look(f"the Workers tab: {SCALED_TO} workers, each taking jobs", "/workers")
    tally = settled_tally(stage.client, notes.burst_ids + more, retried=0)
    figures = f"one worker: {notes.one_worker_rate:,.0f} jobs/s, {SCALED_TO}: {rate:,.0f} jobs/s"
    return tally.line(figures)


def flaky_api(stage: Stage, cue: Cue, notes: Notes) -> str:
    stage.api.set(down=True, broken=(1,))
    failed_runs = stage.store.stat("failed")
    ids = stage.client.enqueue_many(FetchRates, [[n] for n in range(1, FLAKY_CALLS + 1)])
    cue.say("The rates API is down: every call times out, and waits for an automatic retry.")
    retrying = stage.client.retrying()
    wait_until(lambda: retrying.count() >= FLAKY_CALLS, "the calls to fail once")
    stage.api.set(down=False, broken=(1,))
    cue.say("The API is back, except for request 1: it keeps timing out.")
    cue.look("the Retries tab: the calls wait for a retry (in 6 s), then drain", RETRIES_PAGE)
    failures = Failures(stage.store)
    wait_until(lambda: _failure_of(failures, ids[0]) is not None, "request 1 to run out of retries")
    stage.api.set(down=False)
    cue.say("Request 1 ran out of retries: it is on the Failed tab. Now the API answers it.")
    cue.look("the Failed tab: click Retry on FetchRates [1] (or let the demo do it)", "/failed")
    failure = _failure_of(failures, ids[0])
    # Nobody clicked Retry: do it for them (unless a click wins the race).
    with contextlib.suppress(FailureNotFound):
        if failure is not None:
            failures.retry(failure)
    tally = settled_tally(stage.client, ids, retried=0)
    retried = stage.store.stat("failed") - failed_runs - 1  # all but request 1's last run
    return Tally(len(ids), tally.done, 1, retried, tally.lost).line(
        "request 1 failed, was retried by hand, and is done"
    )


def _failure_of(failures: Failures, job_id: str) -> str | None:
    """The id of the job's failure record, if it has one among the newest."""
    return next((f.id for f in failures.newest(0, 50) if f.payload.get("id") == job_id), None)


def crash(stage: Stage, cue: Cue, notes: Notes) -> str:
    cue.say(f"{len(stage.workers)} slow reports start; one worker will be killed with kill -9.")
    ids = stage.client.enqueue_many(BuildReport, [[n] for n in range(len(stage.workers))])
    victim_id, job_id = _busy_worker(stage, BuildReport.queue)
    victim = stage.worker_ids()[victim_id]
    stage.kill(victim)
    cue.say(f"kill -9 {victim.pid}: {victim_id} died in the middle of report job {job_id}.")
    wait_until(lambda: victim_id not in stage.store.workers.ids(), "the dead worker to be found")
    wait_until(lambda: _state(stage, job_id) == "done", "the killed worker's job to run again")
    cue.look(f"the Workers tab: {len(stage.workers)} workers, {victim.pid} is gone", "/workers")
    tally = settled_tally(stage.client, ids, retried=0)
    return tally.line(f"the job of {victim.pid} was put back and done by another worker")


def _busy_worker(stage: Stage, queue: str) -> tuple[str, str]:
    """A worker of ours running a job from ``queue``, and that job's id."""
    found: list[tuple[str, str]] = []

    def look() -> bool:
        for worker_id in stage.worker_ids():
            record = stage.store.workers.working_record(worker_id)
            if record is not None and json.loads(record).get("queue") == queue:
                found.append((worker_id, str(json.loads(record)["payload"]["id"])))
                return True
        return False

    wait_until(look, f"a worker to start a job from {queue}")
    return found[0]


def _state(stage: Stage, job_id: str) -> str:
    status = stage.client.status(job_id)
    return status.state if status else ""


def pause(stage: Stage, cue: Cue, notes: Notes) -> str:
    stage.signal_workers(signal.SIGUSR2)
    wait_until(lambda: _all_paused(stage, True), "every worker to pause")
    ids = stage.client.enqueue_many(SendMail, [[n] for n in range(PAUSED_JOBS)])
    cue.say(f"USR2 paused every worker; {PAUSED_JOBS} mails wait on their queue.")
    cue.look("the Workers tab: each worker flagged paused (Queues: mail waits)", "/workers")
    ran_while_paused = sum(count for state, count in states(stage.client, ids).items() if state)
    stage.signal_workers(signal.SIGCONT)
    wait_until(lambda: _all_paused(stage, False), "every worker to resume")
    cue.say("CONT: they resume, and the mails go.")
    tally = settled_tally(stage.client, ids, retried=0)
    return tally.line(f"{ran_while_paused} ran while paused")


def _all_paused(stage: Stage, paused: bool) -> bool:
    ids = stage.worker_ids()
    return len(ids) == len(stage.workers) and all(
        ("paused" in stage.store.workers.flags(worker_id)) == paused for worker_id in ids
    )


def schedules(stage: Stage, cue: Cue, notes: Notes) -> str:
    stage.start_scheduler()
    wait_until(lambda: stage.client.recurring(), "the recurring schedule to be published")
    due = {
        stage.client.enqueue_in(seconds, SendReminder, number): time.time() + seconds
        for number, seconds in enumerate(REMINDERS_IN)
    }
    ids = [job_id for job_id in due if job_id is not None]
    cue.say("Three reminders are due in 3, 5 and 7 s; a scheduler sweeps the cache every 2 s.")
    cue.look("the Scheduled tab counts down; Recurring: the sweep's last, next run", SCHEDULED_PAGE)
    tally = settled_tally(stage.client, ids, retried=0)
    late = max(_lateness(stage, job_id, when) for job_id, when in due.items() if job_id)
    swept = any(state.last_run_ms for state in stage.client.recurring())
    stage.stop_scheduler()
    sweep = "the sweep ran on its schedule" if swept else "the sweep has not run yet"
    return tally.line(f"each reminder started at most {late:.2f}s late; {sweep}")


def _lateness(stage: Stage, job_id: str, when: float) -> float:
    status = stage.client.status(job_id)
    started = status.started_at.timestamp() if status and status.started_at else time.time()
    return max(0.0, started - when)


def redis_inside(stage: Stage, cue: Cue, notes: Notes) -> str:
    processed_key = stage.store.keys.stat("processed")
    cue.say("Everything above lives in Redis, under readable keys.")
    cue.look("the Stats tab: Redis's figures and every key, with its type and size", "/stats")
    cue.look(f"{processed_key}'s value", f"/stats/key?key={processed_key.encode().hex()}")
    processed = stage.store.stat("processed")
    grew = processed - notes.started_processed
    return f"{processed_key} = {processed:,} ({grew:,} more than when the story began)"


Act = Callable[[Stage, Cue, Notes], str]
# In the order of the chapters that teach each idea (see docs/instructors.md): workers (2),
# nothing lost (3), retries (4), schedules (5); then a deploy's pause, and Redis inside.
ACTS: list[tuple[str, Act]] = [
    ("A burst on three queues", burst),
    ("Scaling out: one worker to four", scale_out),
    ("kill -9 in the middle of a job", crash),
    ("A flaky third-party API: retries, then Failed, then Retry", flaky_api),
    ("Later and again: scheduled and recurring jobs", schedules),
    ("Pause and resume (USR2, CONT)", pause),
    ("Inside Redis: the Stats tab and a key's value", redis_inside),
]
