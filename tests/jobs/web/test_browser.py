"""The monitor in a real browser (Playwright driving Debian's chromium), as an instructor uses
it: the standalone monitor on a free port, real worker processes running jobs.

Needs ``pip install playwright`` and ``apt-get install chromium`` (``.ci/run`` and the Makefile
install both); skips, saying so, where either is missing. Screenshots of each tab go to a
temporary folder, or to ``$JOBS_WEB_SCREENSHOTS`` (``docs/screenshots`` for the README).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from jobs.client import Client
from jobs.store import Store
from jobs.web import create_app
from tests.jobs.helpers import WorkerProcess, served, wait_for
from tests.jobs.sample_jobs import Boom, Held, Record
from tests.jobs.timed_jobs import Sleeps, SleepsThenFails

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="pip install playwright (the browser test drives chromium)"
)
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="apt-get install chromium (the browser test needs it)"
)


@pytest.fixture
def monitor_url(store: Store) -> Iterator[str]:
    """The standalone monitor, served by Werkzeug in a thread, on a free loopback port."""
    with served(create_app(store, host="127.0.0.1", environ={})) as url:
        yield url


@pytest.fixture
def browser_page() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
        )
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # the "are you sure?" confirms
        yield page
        context.close()


@pytest.fixture
def workers(redis_url: str, raw: redis.Redis) -> Iterator[list[WorkerProcess]]:
    """One worker for quick jobs, one for a job that stays running until released."""
    running = [
        WorkerProcess(redis_url, "--queue", "default", "--interval", "1"),
        WorkerProcess(redis_url, "--queue", "slow", "--interval", "1"),
    ]
    for worker in running:
        worker.wait_registered(raw)
    yield running
    raw.rpush("test:release:projector", "go")
    for worker in running:
        worker.stop()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("JOBS_WEB_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def number(page: Any, selector: str) -> int:
    return int(page.inner_text(selector).strip())


def test_an_instructor_watches_the_queue_work(
    browser_page: Any,
    monitor_url: str,
    workers: list[WorkerProcess],
    client: Client,
    raw: redis.Redis,
    shots: Path,
) -> None:
    page = browser_page
    client.enqueue_to("slow", Held, "projector")
    wait_for(lambda: raw.llen("test:started"), what="the held job to start")
    client.enqueue_many(Record, [[f"warm-up {n}"] for n in range(5)])
    client.enqueue_to("mail", Record, "waiting for a mail worker")
    wait_for(lambda: raw.llen("test:done") >= 5, what="the warm-up jobs")

    # Overview: the counters move while the page is open, without a reload.
    page.goto(f"{monitor_url}/?refresh=1")
    before = number(page, "#total-processed")
    assert page.locator("#chart rect").count() == 120  # 60 minutes, processed and failed
    client.enqueue_many(Record, [[f"live {n}"] for n in range(3)])
    client.enqueue(Boom, "on the projector")
    # Polled from here: the page's CSP forbids the string evaluation wait_for_function uses.
    wait_for(lambda: number(page, "#total-processed") >= before + 4, what="processed to move")
    wait_for(lambda: number(page, "#total-failed") >= 1, what="failed to move")
    assert "tests.jobs.sample_jobs.Held" in page.inner_text("[data-live=working_table]")
    page.screenshot(path=str(shots / "overview.png"), full_page=True)

    # Paused, the page stands still while the queue moves on.
    page.click("#live-toggle")
    assert page.get_attribute("#live-toggle", "aria-pressed") == "true"
    shown = number(page, "#total-processed")
    done = raw.llen("test:done")
    client.enqueue(Record, "while paused")
    wait_for(lambda: raw.llen("test:done") > done, what="the job run while paused")
    page.wait_for_timeout(1500)  # more than one refresh interval
    assert number(page, "#total-processed") == shown
    page.click("#live-toggle")
    wait_for(lambda: number(page, "#total-processed") > shown, what="live again")

    # Working, then a worker's own page, reached by a click.
    page.click("a.tab[data-tab=working]")
    page.screenshot(path=str(shots / "working.png"), full_page=True)
    page.click("a.tab[data-tab=workers]")
    page.screenshot(path=str(shots / "workers.png"), full_page=True)
    page.click("text=:slow")
    assert "projector" in page.inner_text("main")
    assert str(workers[1].pid) in page.inner_text("main")
    page.screenshot(path=str(shots / "worker.png"), full_page=True)

    # Queues.
    page.click("a.tab[data-tab=queues]")
    page.click("a:text-is('mail')")
    assert "waiting for a mail worker" in page.inner_text("main")
    page.screenshot(path=str(shots / "queue.png"), full_page=True)

    # Failed: retry with a click; the worker runs it (and it fails again: it always does).
    page.click("a.tab[data-tab=failed]")
    page.locator("details summary").first.click()
    page.screenshot(path=str(shots / "failed.png"), full_page=True)
    failed_before = int(raw.get("resque:stat:failed") or 0)
    page.click("button:text-is('Retry')")
    assert "Put the job back on default" in page.inner_text(".flash")
    wait_for(lambda: int(raw.get("resque:stat:failed") or 0) > failed_before, what="the retry")

    page.click("a.tab[data-tab=scheduled]")
    page.screenshot(path=str(shots / "scheduled.png"), full_page=True)

    # Stats: click a key in the keys browser and see its value.
    page.click("a.tab[data-tab=stats]")
    page.fill("input[name=match]", "resque:stat:processed")
    page.click("button:text-is('Scan')")
    page.click("a:text-is('resque:stat:processed')")
    assert page.inner_text("pre.value").strip() == raw.get("resque:stat:processed")
    page.screenshot(path=str(shots / "key.png"), full_page=True)
    page.goto(f"{monitor_url}/stats")
    page.screenshot(path=str(shots / "stats.png"), full_page=True)


def test_the_charts_y_axis_counts_in_whole_distinct_numbers(
    browser_page: Any, monitor_url: str, store: Store, raw: redis.Redis
) -> None:
    minute = store.clock.minute()
    for peak in (1, 3, 7):
        raw.set(f"resque:jobs:history:processed:{minute}", peak)
        browser_page.goto(f"{monitor_url}/")
        labels = browser_page.locator("#chart text.axis").all_text_contents()
        ticks = [int(label) for label in labels if label not in ("-60 min", "now")]
        assert ticks == sorted(set(ticks)) and ticks[0] == 0 and ticks[-1] >= peak, (peak, labels)


def test_an_instructor_reads_the_metrics_of_jobs_of_known_durations(
    browser_page: Any,
    monitor_url: str,
    redis_url: str,
    client: Client,
    raw: redis.Redis,
    shots: Path,
) -> None:
    page = browser_page
    client.enqueue_many(Sleeps, [[0.03]] * 10 + [[0.15]] * 4)
    client.enqueue_many(SleepsThenFails, [[0.06]] * 2)
    client.enqueue_many(Record, [[f"quick {n}"] for n in range(20)])
    client.enqueue_to("mail", Record, "waiting for a mail worker")
    worker = WorkerProcess(
        redis_url, "--queue", "timed,default", "--interval", "0", "--threads", "2", "--no-fork",
        env={"JOBS_IMPORT": "tests.jobs.sample_jobs,tests.jobs.timed_jobs"},
    )  # fmt: skip
    assert worker.wait(60) == 0, worker.output()

    page.goto(f"{monitor_url}/")
    page.click("a.tab[data-tab=metrics]")
    row = page.locator("#class-metrics tbody tr").first  # the most time: the sleeper
    cells = row.locator("td").all_inner_texts()
    assert cells[:3] == ["tests.jobs.timed_jobs.Sleeps", "14", "0"], cells
    assert cells[5].endswith(" ms") and 25 <= float(cells[5].split()[0]) <= 50  # p50: 30 ms
    failing = page.locator("#class-metrics tr", has_text="SleepsThenFails").locator("td")
    assert failing.all_inner_texts()[1:3] == ["2", "2"]
    latency = page.locator("#queue-latency tr", has_text="mail").locator("td.latency")
    assert latency.inner_text().strip() != ""
    page.screenshot(path=str(shots / "monitor-metrics.png"), full_page=True)

    page.click("a:text-is('tests.jobs.timed_jobs.Sleeps')")
    assert number(page, "#class-processed") == 14
    assert page.locator("#histogram rect").count() == 16
    assert page.locator("#runs-per-minute rect").count() >= 60
    assert page.locator("#class-minutes tbody tr").count() >= 1
    page.screenshot(path=str(shots / "monitor-metrics-class.png"), full_page=True)

    page.click("a.tab[data-tab=queues]")
    assert page.locator("tr", has_text="mail").locator("td.latency").inner_text().strip() != ""
