"""Recurring jobs: when ticks fall (no Redis needed), declaring schedules in code and in a
file, and enqueueing each tick exactly once with several scheduler loops racing."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from jobs.client import Client
from jobs.job_loader import JobLoader
from jobs.schedule import Recurring, Schedule, ScheduleError
from jobs.scheduler import Scheduler
from jobs.settings import Settings
from jobs.store import Store
from tests.jobs.retry_jobs import Maintenance
from tests.jobs.sample_jobs import Record


def ms(text: str) -> int:
    """``2026-11-26 10:05:00`` (UTC) as Unix ms."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def every(seconds: float, name: str = "sweep") -> Recurring:
    return Recurring(name, "app.Sweep", (), "maintenance", every=seconds)


def cron(expression: str, name: str = "nightly") -> Recurring:
    return Recurring(name, "app.Nightly", (), "maintenance", cron=expression)


# -- ticks, without Redis -------------------------------------------------------------------------
def test_every_ticks_at_multiples_of_its_period_since_the_epoch() -> None:
    entry = every(300)

    assert entry.latest_tick(ms("2026-11-26 10:07:30")) == ms("2026-11-26 10:05:00")
    assert entry.next_tick(ms("2026-11-26 10:07:30")) == ms("2026-11-26 10:10:00")


def test_a_tick_exactly_now_is_the_latest_not_the_next() -> None:
    for entry in (every(300), cron("*/5 * * * *")):
        assert entry.latest_tick(ms("2026-11-26 10:05:00")) == ms("2026-11-26 10:05:00")
        assert entry.next_tick(ms("2026-11-26 10:05:00")) == ms("2026-11-26 10:10:00")


def test_cron_ticks_at_its_matching_times_in_utc() -> None:
    entry = cron("30 3 * * 1")  # Mondays 03:30 UTC; 2026-11-26 is a Thursday

    assert entry.latest_tick(ms("2026-11-26 12:00:00")) == ms("2026-11-23 03:30:00")
    assert entry.next_tick(ms("2026-11-26 12:00:00")) == ms("2026-11-30 03:30:00")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Recurring("x", "a.B", (), "q"), "either every or cron"),
        (lambda: Recurring("x", "a.B", (), "q", every=5, cron="* * * * *"), "either"),
        (lambda: every(0.5), "at least 1 second"),
        (lambda: every(float("nan")), "at least 1 second"),
        (lambda: cron("every day"), "not a cron expression"),
    ],
)
def test_schedules_that_cannot_work_are_refused(make: object, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        make()  # type: ignore[operator]


def test_declaring_in_code_takes_the_class_queue_and_name() -> None:
    schedule = Schedule()

    entry = schedule.every(60, Maintenance, "sessions")
    other = schedule.cron("0 3 * * *", Record, 1, name="nightly", queue="low")

    assert entry == Recurring(
        "tests.jobs.retry_jobs.Maintenance",
        "tests.jobs.retry_jobs.Maintenance",
        ("sessions",),
        "maintenance",
        every=60,
    )
    assert (other.name, other.queue, other.cron) == ("nightly", "low", "0 3 * * *")
    assert list(schedule.entries) == [entry.name, "nightly"]


def test_two_different_schedules_cannot_share_a_name() -> None:
    schedule = Schedule()
    schedule.every(60, Maintenance, name="sweep")
    schedule.every(60, Maintenance, name="sweep")  # the same again is fine (a re-import)

    with pytest.raises(ScheduleError, match="two different schedules"):
        schedule.every(120, Maintenance, name="sweep")


def test_a_schedule_file_in_toml(tmp_path: Path) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text(
        '[expire_sessions]\nclass = "tests.jobs.retry_jobs.Maintenance"\nevery = 300\n\n'
        '[digest]\nclass = "tests.jobs.sample_jobs.Record"\ncron = "0 3 * * *"\n'
        'args = ["digest", 7]\nqueue = "mail"\n'
    )
    schedule = Schedule()

    schedule.load_file(path, JobLoader(["tests.jobs"]).load)

    assert schedule.entries["expire_sessions"].describe() == "every 300s"
    assert schedule.entries["expire_sessions"].queue == "maintenance"
    digest = schedule.entries["digest"]
    assert (digest.args, digest.queue, digest.cron) == (("digest", 7), "mail", "0 3 * * *")


def test_a_schedule_file_may_only_name_classes_the_worker_may_run(tmp_path: Path) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text('[evil]\nclass = "os.system"\nevery = 60\nargs = ["rm -rf /"]\n')

    with pytest.raises(LookupError, match="os"):
        Schedule().load_file(path, JobLoader(["tests.jobs"]).load)


def test_the_definition_round_trips_through_json() -> None:
    for entry in (every(300), cron("*/5 * * * *")):
        assert Recurring.from_json(entry.name, entry.to_json()) == entry


# -- enqueueing ticks, against Redis --------------------------------------------------------------
class Clock:
    def __init__(self, now_ms: int) -> None:
        self.now = now_ms / 1000

    def __call__(self) -> float:
        return self.now


def loops(redis_url: str, settings: Settings, schedule: Schedule, clock: Clock, count: int):  # type: ignore[no-untyped-def]
    return [Scheduler(Store(redis_url), settings, schedule, clock=clock) for _ in range(count)]


def tick_together(schedulers: list[Scheduler]) -> None:
    """Every loop ticks at the same moment, each on its own thread and connection."""
    start = threading.Barrier(len(schedulers))

    def run(loop: Scheduler) -> None:
        start.wait()
        loop.tick()

    threads = [threading.Thread(target=run, args=(loop,)) for loop in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)


def test_every_and_cron_enqueue_once_per_tick_with_three_schedulers(
    client: Client, settings: Settings, redis_url: str
) -> None:
    schedule = Schedule()
    schedule.every(60, Maintenance, "every minute", name="minutely")
    schedule.cron("*/5 * * * *", Maintenance, "every five", name="five")
    clock = Clock(ms("2026-11-26 10:00:30"))
    schedulers = loops(redis_url, settings, schedule, clock, 3)

    tick_together(schedulers)  # first sight: counting starts, nothing runs yet
    assert client.size("maintenance") == 0
    for _ in range(10 * 6):  # ten minutes, in ten-second steps
        clock.now += 10
        tick_together(schedulers)

    args = [job["args"][0] for job in client.peek("maintenance", 0, 100)]
    assert args.count("every minute") == 10
    assert args.count("every five") == 2  # 10:05 and 10:10


def test_missed_ticks_run_once_on_catch_up(
    client: Client, settings: Settings, redis_url: str
) -> None:
    schedule = Schedule()
    schedule.every(60, Maintenance, name="minutely")
    clock = Clock(ms("2026-11-26 10:00:30"))
    [first] = loops(redis_url, settings, schedule, clock, 1)
    first.tick()

    clock.now += 3 * 3600  # everything was down for three hours
    [after_restart] = loops(redis_url, settings, schedule, clock, 1)
    after_restart.tick()
    after_restart.tick()

    assert client.size("maintenance") == 1
    assert client.store.recurring.last_ticks() == {"minutely": ms("2026-11-26 13:00:00")}


def test_a_scheduler_that_runs_for_a_while_sleeps_until_the_next_tick(
    client: Client, settings: Settings, redis_url: str
) -> None:
    schedule = Schedule()
    schedule.every(60, Maintenance, name="minutely")
    clock = Clock(ms("2026-11-26 10:00:59.600"))
    [loop] = loops(redis_url, settings, schedule, clock, 1)

    assert loop.tick() == pytest.approx(0.4)


def test_the_definitions_and_last_runs_are_published_for_the_monitor(
    client: Client, settings: Settings, redis_url: str, raw: redis.Redis
) -> None:
    schedule = Schedule()
    schedule.cron("*/5 * * * *", Maintenance, 1, name="five")
    clock = Clock(ms("2026-11-26 10:01:00"))
    [loop] = loops(redis_url, settings, schedule, clock, 1)

    loop.tick()
    clock.now += 300
    loop.tick()

    assert json.loads(raw.hget("resque:jobs:recurring", "five") or "") == {
        "class": "tests.jobs.retry_jobs.Maintenance",
        "args": [1],
        "queue": "maintenance",
        "cron": "*/5 * * * *",
    }
    assert raw.hget("resque:jobs:recurring:last", "five") == str(ms("2026-11-26 10:05:00"))
    [state] = client.recurring(now_ms=int(clock.now * 1000))
    assert state.entry == schedule.entries["five"]
    assert state.last_run_ms == ms("2026-11-26 10:05:00")
    assert state.next_run_ms == ms("2026-11-26 10:10:00")
