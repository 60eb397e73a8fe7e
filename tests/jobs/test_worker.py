"""Workers, as real processes against a real Redis: they run jobs in priority order, survive
bad payloads, stop on signals without losing jobs, and put back the jobs of workers that die.
"""

from __future__ import annotations

import json
import os
import signal
import socket

import pytest
import redis

import jobs
from jobs.client import Client
from jobs.job_loader import JobLoader
from jobs.settings import Settings
from jobs.store import Store
from jobs.worker import Worker
from tests.jobs.helpers import WorkerProcess, done, failures, release, started, wait_for
from tests.jobs.sample_jobs import Boom, Counted, Exits, Held, KillsItsProcess, Record


def test_a_worker_runs_resque_and_sidekiq_style_jobs(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    jobs.enqueue(Record, "hello", 1)
    Counted.perform_async(21)
    worker = WorkerProcess(redis_url, "--queue", "default,sidekiq", "--interval", "0")
    assert worker.wait() == 0, worker.output()
    assert done(raw) == ["hello 1", "counted 42"]
    assert raw.get("resque:stat:processed") == "2"
    assert raw.llen("resque:queue:default") == 0


def test_queues_are_worked_in_strict_priority_order(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    for n in range(3):
        client.enqueue_to("low", Record, "low", n)
    for n in range(3):
        client.enqueue_to("high", Record, "high", n)
    worker = WorkerProcess(redis_url, "--queue", "high,low", "--interval", "0")
    assert worker.wait() == 0, worker.output()
    assert done(raw) == ["high 0", "high 1", "high 2", "low 0", "low 1", "low 2"]


def test_star_works_every_queue_and_notices_a_new_queue_within_a_second(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    client.enqueue_to("alpha", Record, "alpha")
    worker = WorkerProcess(redis_url, "--queue", "*")
    try:
        wait_for(lambda: done(raw) == ["alpha"], what="the job on alpha")
        client.enqueue_to("brand-new", Record, "new")
        wait_for(lambda: done(raw) == ["alpha", "new"], timeout=1.0, what="a job on a new queue")
    finally:
        worker.signal(signal.SIGTERM)
        worker.wait()


def test_an_idle_worker_picks_a_job_up_at_once_without_polling(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    # The idle rescan is an hour away, so only the wake-up enqueue publishes can start the job.
    worker = WorkerProcess(redis_url, "--queue", "default", "--interval", "3600")
    try:
        worker.wait_registered(raw)
        jobs.enqueue(Record, "woken")
        wait_for(lambda: done(raw) == ["woken"], timeout=1.0, what="the job to run")
    finally:
        worker.signal(signal.SIGTERM)
        worker.wait()


def test_the_working_record_and_registry_hold_what_resque_reads(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    job_id = jobs.enqueue(Held, "reg")
    worker = WorkerProcess(redis_url, "--queue", "default")
    try:
        [worker_id] = worker.wait_registered(raw)
        wait_for(lambda: started(raw), what="the job to start")
        assert worker_id == f"{socket.gethostname()}:{worker.pid}:default"
        record = json.loads(raw.get(f"resque:worker:{worker_id}") or "")
        assert record["queue"] == "default"
        assert record["payload"]["id"] == job_id and record["payload"]["args"] == ["reg"]
        assert record["run_at"].endswith("Z")
        assert raw.hexists("resque:workers:heartbeat", worker_id)
        assert raw.get(f"resque:worker:{worker_id}:started")
        release(raw, "reg")
        wait_for(lambda: raw.get(f"resque:worker:{worker_id}") is None, what="idle again")
        assert raw.get(f"resque:stat:processed:{worker_id}") == "1"
    finally:
        worker.signal(signal.SIGQUIT)
        assert worker.wait() == 0
    # Unregistered on exit: nothing of this worker is left.
    assert raw.smembers("resque:workers") == set()
    assert raw.keys(f"*{worker.pid}*") == []


def test_quit_lets_the_running_job_finish_then_exits(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    jobs.enqueue(Held, "q")
    jobs.enqueue(Record, "after")
    worker = WorkerProcess(redis_url, "--queue", "default")
    wait_for(lambda: started(raw), what="the job to start")
    worker.signal(signal.SIGQUIT)
    release(raw, "q")
    assert worker.wait() == 0
    assert done(raw) == ["q"]  # finished; the next job was not started
    assert raw.lrange("resque:queue:default", 0, -1)[0].find("after") > 0


def test_term_puts_a_job_still_running_after_the_grace_period_back_first_in_line(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    job_id = jobs.enqueue(Held, "t")
    jobs.enqueue(Record, "second")
    worker = WorkerProcess(redis_url, "--queue", "default", "--shutdown-timeout", "0.3")
    wait_for(lambda: started(raw), what="the job to start")
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0
    assert done(raw) == []
    waiting = [json.loads(p) for p in raw.lrange("resque:queue:default", 0, -1)]
    assert waiting[0]["id"] == job_id and len(waiting) == 2
    assert raw.keys("resque:jobs:inflight:*") == []


def test_a_failing_job_becomes_a_failure_record_and_the_worker_carries_on(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    job_id = jobs.enqueue(Boom, "no good")
    jobs.enqueue(Exits)
    jobs.enqueue(Record, "still here")
    worker = WorkerProcess(redis_url, "--queue", "default", "--interval", "0")
    assert worker.wait() == 0, worker.output()
    boom, exits = failures(raw)
    assert boom["id"] == job_id and boom["exception"] == "ValueError"
    assert boom["error"] == "no good" and boom["queue"] == "default"
    assert any("sample_jobs.py" in line for line in boom["backtrace"])  # type: ignore[union-attr]
    assert exits["exception"] == "SystemExit"
    assert done(raw) == ["still here"]
    assert raw.get("resque:stat:failed") == "2" and raw.get("resque:stat:processed") == "3"


def push_raw(raw: redis.Redis, payload: str) -> None:
    raw.sadd("resque:queues", "default")
    raw.rpush("resque:queue:default", payload)


def test_payloads_that_cannot_be_run_become_failures_and_are_never_executed(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    bad = {
        "{not json": "not JSON",
        '["a list"]': "not a JSON object",
        '{"args": [1]}': 'no "class"',
        '{"class": "tests.jobs.sample_jobs.Nope", "args": []}': "no job class 'Nope'",
        '{"class": "os.system", "args": ["touch /tmp/pwned"]}': "not in the modules",
        '{"class": "tests.jobs.sample_jobs.not_a_job", "args": []}': "is not a job class",
        '{"class": "tests.jobs.sample_jobs.Record", "args": "x"}': '"args" is not a list',
    }
    for payload in bad:
        push_raw(raw, payload)
    jobs.enqueue(Record, "survived")
    worker = WorkerProcess(redis_url, "--queue", "default", "--interval", "0")
    assert worker.wait() == 0, worker.output()
    records = failures(raw)
    assert len(records) == len(bad)
    for record, message in zip(records, bad.values(), strict=True):
        assert message in str(record["error"]), record
        assert record["queue"] == "default"
    assert records[0]["payload"] == {"raw": "{not json"}  # kept, so nothing is lost
    assert done(raw) == ["survived"]  # and not_a_job never ran


def test_a_worker_without_import_refuses_to_start_and_says_how(redis_url: str) -> None:
    worker = WorkerProcess(redis_url, "--queue", "default", env={"JOBS_IMPORT": ""})
    assert worker.wait() == 2
    assert "--import" in worker.output() and "JOBS_IMPORT" in worker.output()


def test_a_job_arriving_while_a_thread_worker_is_busy_runs_on_a_free_thread(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    worker = WorkerProcess(redis_url, "--queue", "default", "--threads", "3")
    try:
        ids = worker.wait_registered(raw, count=3)
        assert sorted(ids) == sorted(
            f"{socket.gethostname()}:{worker.pid}-{n}:default" for n in (1, 2, 3)
        )
        jobs.enqueue(Held, "a")
        jobs.enqueue(Held, "b")
        jobs.enqueue(Record, "quick")
        wait_for(lambda: len(started(raw)) == 2 and done(raw) == ["quick"], what="3 at once")
        release(raw, "a")
        release(raw, "b")
        wait_for(lambda: sorted(done(raw)) == ["a", "b", "quick"], what="all done")
    finally:
        worker.signal(signal.SIGQUIT)
        assert worker.wait() == 0


# -- batches of quick jobs in thread mode ------------------------------------------------------
QUICK = [f"m{n}" for n in range(5)]


def take_a_batch_with_a_slow_job(
    redis_url: str, raw: redis.Redis, env: dict[str, str] | None = None
) -> tuple[WorkerProcess, str]:
    """A one-thread worker runs a job, then takes its next jobs as a batch: the slow
    ``Held("slow")`` first and five quick ones behind it, which it holds but cannot start.
    The batch's size is fixed: left to the worker, it would depend on how fast the warm-up
    ran, which a busy machine changes."""
    jobs.enqueue(Record, "warm-up")
    jobs.enqueue(Held, "slow")
    for token in QUICK:
        jobs.enqueue(Record, token)
    batch = {"JOBS_BATCH_SIZE": str(1 + len(QUICK)), **(env or {})}
    worker = WorkerProcess(
        redis_url, "--queue", "default", "--threads", "1", "--no-fork", env=batch
    )
    [worker_id] = worker.wait_registered(raw)
    wait_for(lambda: started(raw), what="the slow job to start")
    assert raw.llen(f"resque:jobs:inflight:{worker_id}") == 1 + len(QUICK)
    return worker, worker_id


def waiting_tokens(raw: redis.Redis) -> list[str]:
    return [json.loads(p)["args"][0] for p in raw.lrange("resque:queue:default", 0, -1)]


def test_quick_jobs_taken_with_a_slow_one_are_given_back_for_another_worker_to_run(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    first, first_id = take_a_batch_with_a_slow_job(redis_url, raw)
    second = WorkerProcess(redis_url, "--queue", "default", "--threads", "1", "--no-fork")
    try:
        wait_for(lambda: done(raw) == ["warm-up", *QUICK], what="the quick jobs to run")
        assert started(raw) == [f"slow {first.pid}"]  # still running, on the first worker
        assert raw.llen(f"resque:jobs:inflight:{first_id}") == 1  # the slow job's entry
        record = json.loads(raw.get(f"resque:worker:{first_id}"))  # type: ignore[arg-type]
        assert record["payload"]["args"] == ["slow"]
        release(raw, "slow")
        wait_for(lambda: len(done(raw)) == 2 + len(QUICK), what="the slow job to finish")
    finally:
        for worker in (first, second):
            worker.signal(signal.SIGQUIT)
            assert worker.wait() == 0
    assert raw.get("resque:stat:processed") == str(2 + len(QUICK))
    assert raw.llen(f"resque:jobs:inflight:{first_id}") == 0


def test_a_paused_thread_worker_gives_back_the_jobs_it_has_not_started_in_order(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    # Heartbeats far apart: no give-back for a slow job can happen during this test.
    slow_heartbeat = {"JOBS_HEARTBEAT_INTERVAL": "30", "JOBS_DEAD_AFTER": "90"}
    worker, worker_id = take_a_batch_with_a_slow_job(redis_url, raw, slow_heartbeat)
    try:
        worker.signal(signal.SIGUSR2)
        wait_for(lambda: waiting_tokens(raw) == QUICK, what="the quick jobs back on the queue")
        assert raw.llen(f"resque:jobs:inflight:{worker_id}") == 1  # the slow one, still running
        release(raw, "slow")
        worker.signal(signal.SIGCONT)
        wait_for(lambda: len(done(raw)) == 2 + len(QUICK), what="every job done")
        assert done(raw) == ["warm-up", "slow", *QUICK]
    finally:
        worker.signal(signal.SIGQUIT)
        assert worker.wait() == 0
    assert raw.hlen("resque:jobs:crashes") == 0


def test_kill_9_of_a_thread_worker_holding_a_batch_loses_none_of_it(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    victim, _ = take_a_batch_with_a_slow_job(redis_url, raw)
    victim.stop()  # kill -9, holding the slow job and the quick ones behind it
    release(raw, "slow")
    rescuer = WorkerProcess(redis_url, "--queue", "default", "--threads", "2")
    try:
        wait_for(
            lambda: sorted(done(raw)) == sorted(["warm-up", "slow", *QUICK]),
            what="every job to run after all",
        )
    finally:
        rescuer.signal(signal.SIGQUIT)
        assert rescuer.wait() == 0


# -- kill -9: nothing is lost ------------------------------------------------------------------


def test_kill_9_of_a_forking_worker_mid_job_the_job_completes_on_another_worker(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    jobs.enqueue(Held, "k")
    victim = WorkerProcess(redis_url, "--queue", "default")
    wait_for(lambda: started(raw), what="the job to start")
    child_pid = int(started(raw)[0].split()[1])
    victim.signal(signal.SIGKILL)
    victim.wait()
    # The child dies with its parent, so the job never runs twice at the same time.
    wait_for(lambda: not _alive(child_pid), what="the child to die with its parent")
    rescuer = WorkerProcess(redis_url, "--queue", "default")
    try:
        wait_for(lambda: len(started(raw)) == 2, what="the job to start again elsewhere")
        release(raw, "k")
        release(raw, "k")
        wait_for(lambda: "k" in done(raw), what="the job to complete")
        assert raw.llen(f"resque:jobs:inflight:{socket.gethostname()}:{victim.pid}:default") == 0
        assert not any(str(victim.pid) in w for w in raw.smembers("resque:workers"))
    finally:
        rescuer.signal(signal.SIGQUIT)
        rescuer.wait()


def test_kill_9_of_the_child_running_a_job_the_job_is_run_again(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    jobs.enqueue(Held, "c")
    worker = WorkerProcess(redis_url, "--queue", "default")
    try:
        wait_for(lambda: started(raw), what="the job to start")
        os.kill(int(started(raw)[0].split()[1]), signal.SIGKILL)
        wait_for(lambda: len(started(raw)) == 2, what="the job to start again")
        release(raw, "c")
        release(raw, "c")
        wait_for(lambda: done(raw) == ["c"], what="the job to complete")
        assert failures(raw) == []
    finally:
        worker.signal(signal.SIGQUIT)
        worker.wait()


def test_kill_9_of_a_thread_worker_mid_job_the_job_completes_on_another_worker(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    jobs.enqueue(Held, "th")
    victim = WorkerProcess(redis_url, "--queue", "default", "--threads", "4")
    wait_for(lambda: started(raw), what="the job to start")
    victim.signal(signal.SIGKILL)
    victim.wait()
    rescuer = WorkerProcess(redis_url, "--queue", "default", "--threads", "2")
    try:
        wait_for(lambda: len(started(raw)) == 2, what="the job to start again elsewhere")
        release(raw, "th")
        release(raw, "th")
        wait_for(lambda: done(raw) == ["th"], what="the job to complete")
        assert not any(f":{victim.pid}-" in w for w in raw.smembers("resque:workers"))
    finally:
        rescuer.signal(signal.SIGQUIT)
        rescuer.wait()


def test_a_job_that_keeps_killing_its_worker_ends_in_failed(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    job_id = jobs.enqueue(KillsItsProcess)
    jobs.enqueue(Record, "next")
    worker = WorkerProcess(redis_url, "--queue", "default", env={"JOBS_CRASH_LIMIT": "3"})
    try:
        wait_for(lambda: failures(raw), what="the poison job to be failed")
        [record] = failures(raw)
        assert record["id"] == job_id and record["exception"] == "WorkerDied"
        assert "died 3 times" in str(record["error"])
        assert len(started(raw)) == 3
        wait_for(lambda: done(raw) == ["next"], what="the worker to carry on")
    finally:
        worker.signal(signal.SIGQUIT)
        worker.wait()


def test_a_new_worker_with_a_dead_workers_id_puts_its_jobs_back_first(
    settings: Settings,
    store: Store,
    raw: redis.Redis,
    client: Client,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A process that had our pid before us (containers reuse pid 1) died holding a job.
    monkeypatch.setenv("REDIS_URL", redis_url)
    saved = {s: signal.getsignal(s) for s in (signal.SIGQUIT, signal.SIGTERM, signal.SIGINT)}
    queues = ["default"]
    loader = JobLoader(["tests.jobs.sample_jobs"])
    worker = Worker(store, settings, queues, loader, fork_per_job=False, interval=0)
    [my_id] = worker.ids
    store.workers.register(my_id, "earlier", "2026-01-01T00:00:00Z")
    jobs.enqueue(Record, "left behind")
    assert store.queues.fetch(my_id, queues, "2026-01-01T00:00:00Z") is not None
    try:
        worker.run()  # recovers first, then works until the queue is empty (interval 0)
    finally:
        signal.set_wakeup_fd(-1)
        for signum, handler in saved.items():
            signal.signal(signum, handler)
    assert done(raw) == ["left behind"]
    assert failures(raw) == []
    assert raw.keys("resque:jobs:inflight:*") == []


def test_count_starts_supervised_workers_and_term_stops_them_all(
    redis_url: str, raw: redis.Redis, client: Client
) -> None:
    supervisor = WorkerProcess(redis_url, "--queue", "default", "--count", "2")
    ids = wait_for(
        lambda: len(raw.smembers("resque:workers")) == 2 and raw.smembers("resque:workers"),
        what="two workers",
    )
    pids = [int(worker_id.split(":")[1]) for worker_id in ids]
    # One dies: the supervisor starts another.
    os.kill(pids[0], signal.SIGKILL)
    wait_for(lambda: len(raw.smembers("resque:workers") - set(ids)) >= 1, what="a replacement")
    supervisor.signal(signal.SIGTERM)
    assert supervisor.wait() == 0
    wait_for(lambda: not any(_alive(pid) for pid in pids[1:]), what="workers to exit")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is not running.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_worker_whose_import_module_does_not_exist_refuses_to_start(redis_url: str) -> None:
    worker = WorkerProcess(redis_url, "--queue", "default", env={"JOBS_IMPORT": "no.such_module"})
    assert worker.wait() == 1
    assert "cannot import a --import module" in worker.output()
    assert "no.such_module" in worker.output() or "'no'" in worker.output()
