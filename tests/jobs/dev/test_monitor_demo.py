"""``make monitor-demo``: the instructor's story in acts, run for real (``make``, Redis, worker
processes, the monitor on a port), stopped by Ctrl-C at any act, and checked by the count it
prints at the end of each act.

The whole story in a real browser takes about two minutes here, and Ctrl-C in each act a few
more, so those run in CI as a step of their own (``MONITOR_DEMO_FULL=1``, see ``.ci/run``); the
rest is part of ``make test``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from jobs.client import Client
from jobs.dev.local_redis import free_port
from jobs.dev.monitor_demo.demo_jobs import SendMail
from jobs.dev.monitor_demo.stage import JOB_MODULE, Stage
from jobs.dev.monitor_demo.tally import settled_tally
from jobs.dev.project_redis import ProjectRedis
from jobs.settings import Settings
from tests.jobs.helpers import ROOT, WorkerProcess, start_process, wait_for
from tests.jobs.web.test_browser import CHROMIUM

TALK_SECONDS = 120.0  # for the demo to reach a line, on a busy machine
WHOLE_STORY = os.environ.get("MONITOR_DEMO_FULL") == "1"
LONG = pytest.mark.skipif(not WHOLE_STORY, reason="minutes: MONITOR_DEMO_FULL=1 (a CI step)")


class DemoRun:
    """``make monitor-demo ...`` in a session of its own (like a terminal's), its output read
    line by line as it comes."""

    def __init__(self, env: dict[str, str], *make_args: str) -> None:
        self.port = free_port()
        command = ["make", "-s", "monitor-demo", f"MONITOR_PORT={self.port}", *make_args]
        self.process = start_process(
            command,
            cwd=ROOT,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.decode(errors="replace").rstrip("\n"))

    def wait_line_index(self, pattern: str, after: int = 0) -> int:
        """The index of the first line from ``after`` on that matches ``pattern``, once the
        demo has printed it."""

        def find() -> int | None:
            ended = not self._reader.is_alive()  # read before looking: no line comes after
            for index in range(after, len(self.lines)):
                if re.search(pattern, self.lines[index]):
                    return index + 1  # (0 would read as "not yet")
            if ended:
                raise AssertionError(f"the demo ended before {pattern!r}:\n{self.text()}")
            return None

        return wait_for(find, timeout=TALK_SECONDS, what=f"{pattern!r} in:\n{self.text()}") - 1

    def wait_line(self, pattern: str, after: int = 0) -> re.Match[str]:
        found = re.search(pattern, self.lines[self.wait_line_index(pattern, after)])
        assert found is not None
        return found

    def enter(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"\n")
        self.process.stdin.flush()

    def ctrl_c(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)  # what a terminal does

    def text(self) -> str:
        return "\n".join(self.lines)


def _session_processes(session: int) -> list[int]:
    """The live processes of a session (every process the demo started but Redis, which runs
    in a session of its own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if fields[0] != "Z" and int(fields[3]) == session:
            found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def own_redis_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """No REDIS_URL: the demo starts the project's Redis, in ``tmp_path``; stopped after the
    test even if the test fails before the demo could stop it."""
    env = {name: value for name, value in os.environ.items() if name != "REDIS_URL"}
    env.update(JOBS_VAR_DIR=str(tmp_path), JOBS_LOCAL_REDIS="1")
    yield env
    ProjectRedis(tmp_path).stop()


def test_enter_moves_on_and_ctrl_c_stops_everything_the_demo_started(
    own_redis_env: dict[str, str], tmp_path: Path
) -> None:
    demo = DemoRun(own_redis_env, "BURST=300")
    demo.wait_line(r"Look: the Overview")
    demo.enter()
    demo.wait_line(r"=> 300 in, \d+ done, .*0 lost")
    demo.wait_line(r"=== Act 2 of 7: Scaling out")
    demo.wait_line(r"\(Enter: start the act\)")
    url = (tmp_path / "redis" / "url").read_text().strip()
    registry = redis.Redis.from_url(url, decode_responses=True)
    assert registry.scard("resque:workers") == 1  # the act waits for Enter
    assert "Another burst" not in demo.text()
    demo.enter()
    demo.wait_line(r"Look: the Workers tab: 4 workers")
    workers = registry.smembers("resque:workers")
    assert len(workers) == 4
    started = _session_processes(demo.process.pid)
    redis_pid = int((tmp_path / "redis" / "redis.pid").read_text())
    assert {int(worker.split(":")[1]) for worker in workers} <= set(started)

    demo.ctrl_c()
    assert demo.process.wait(60) != 0  # make says it was interrupted
    wait_for(lambda: not _session_processes(demo.process.pid), what="every process to stop")
    wait_for(lambda: not _running(redis_pid), what="the demo's Redis to stop")
    output = demo.text()
    assert "Ctrl-C: stopping everything the demo started." in output
    assert "Stopped the workers and the monitor." in output
    assert f"Stopped Redis (its data stays in {tmp_path / 'redis'})" in output


@LONG
@pytest.mark.parametrize("act", range(1, 8))
def test_ctrl_c_in_any_act_stops_everything(
    act: int, own_redis_env: dict[str, str], tmp_path: Path
) -> None:
    demo = DemoRun(own_redis_env, "AUTO=1", "ACT_SECONDS=1", "BURST=60")
    demo.wait_line(rf"=== Act {act} of 7")
    redis_pid = int((tmp_path / "redis" / "redis.pid").read_text())
    demo.ctrl_c()
    demo.process.wait(60)
    wait_for(lambda: not _session_processes(demo.process.pid), what="every process to stop")
    wait_for(lambda: not _running(redis_pid), what="the demo's Redis to stop")
    assert "Ctrl-C: stopping everything the demo started." in demo.text()


def test_a_redis_already_running_is_left_running(redis_url: str, raw: redis.Redis) -> None:
    demo = DemoRun({**os.environ, "REDIS_URL": redis_url}, "BURST=30")
    demo.wait_line(r"Look: the Overview")
    demo.ctrl_c()
    demo.process.wait(60)
    assert raw.ping()
    assert "Stopped Redis" not in demo.text()


def test_a_burst_too_small_or_a_port_taken_is_refused_with_a_message(redis_url: str) -> None:
    env = {**os.environ, "REDIS_URL": redis_url}
    small = subprocess.run(
        ["make", "-s", "monitor-demo", "BURST=5"], cwd=ROOT, env=env, capture_output=True
    )
    assert small.returncode != 0
    assert "--burst 5: a burst needs at least 30 jobs (BURST=30)" in small.stderr.decode()

    demo = DemoRun(env, "BURST=30")
    demo.wait_line(r"Look: the Overview")
    taken = subprocess.run(
        ["make", "-s", "monitor-demo", f"MONITOR_PORT={demo.port}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=TALK_SECONDS,
    )
    demo.ctrl_c()
    assert taken.returncode != 0
    message = f"cannot serve the monitor on port {demo.port} (it is in use)"
    assert message in taken.stderr.decode()
    assert f"MONITOR_PORT={demo.port + 1}" in taken.stderr.decode()


def test_a_redis_that_does_not_answer_is_named_in_the_message() -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    env = {**os.environ, "REDIS_URL": nowhere}
    run = subprocess.run(["make", "-s", "monitor-demo"], cwd=ROOT, env=env, capture_output=True)
    assert run.returncode != 0
    assert f"monitor-demo: cannot reach Redis at {nowhere}" in run.stderr.decode()


def test_the_count_at_the_end_of_an_act_says_when_a_job_was_lost(
    client: Client, raw: redis.Redis, redis_url: str
) -> None:
    ids = client.enqueue_many(SendMail, [[n] for n in range(3)])
    raw.lpop("resque:queue:mail")  # gone behind the queue's back: no worker will ever run it
    worker = WorkerProcess(redis_url, "--queue", "mail", env={"JOBS_IMPORT": JOB_MODULE})
    wait_for(lambda: int(raw.get("resque:stat:processed") or 0) == 2, what="the two jobs left")
    tally = settled_tally(client, ids, retried=0, seconds=0.5)
    worker.stop()
    assert tally.line() == "3 in, 2 done, 1 lost, 0 retried, 0 failed"


# -- the whole story, watched in a real browser ---------------------------------------------------

ACT_SECONDS = 8  # how long each page stays on: long enough for a browser on a busy machine


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the acts' screenshots go: ``$JOBS_WEB_SCREENSHOTS`` (``docs/screenshots``)."""
    folder = Path(os.environ.get("JOBS_WEB_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@LONG
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="apt-get install chromium (make browser)")
def test_a_browser_sees_what_each_act_says(
    browser_page: Any, redis_url: str, raw: redis.Redis, shots: Path
) -> None:
    settings = ("AUTO=1", f"ACT_SECONDS={ACT_SECONDS}", "BURST=150")
    demo = DemoRun({**os.environ, "REDIS_URL": redis_url}, *settings)
    page = Watcher(browser_page, demo, shots)

    page.visit(r"Look: the Overview", "1-burst")
    for queue in ("thumbnails", "mail", "webhooks"):
        assert queue in page.main()
    demo.wait_line(r"=> 150 in, \d+ done, .*0 lost")

    page.visit(r"Look: the Workers tab: 4 workers", "2-scale-out")
    assert _worker_pids(raw) and all(str(pid) in page.main() for pid in _worker_pids(raw))
    assert len(_worker_pids(raw)) == 4
    rates = demo.wait_line(
        r"=> 300 in, 300 done, 0 lost, 0 retried, 0 failed; one worker: (\d+) jobs/s, 4: (\d+)"
    )
    assert int(rates.group(2)) > int(rates.group(1))  # throughput stepped up

    killed = int(demo.wait_line(r"kill -9 (\d+):").group(1))
    page.visit(r"Look: the Workers tab: 3 workers", "3-kill-9")
    assert str(killed) not in page.main() and len(_worker_pids(raw)) == 3
    assert all(str(pid) in page.main() for pid in _worker_pids(raw))
    page.browser.click("a.tab[data-tab=overview]")  # its job: not waiting, not running
    assert "BuildReport" not in page.browser.inner_text("[data-live=working_table]")
    queues = page.browser.inner_text("[data-live=queues_table]")
    assert "reports" not in queues or re.search(r"reports\s+0\b", queues), queues
    demo.wait_line(r"=> 4 in, 4 done, 0 lost, 0 retried, 0 failed; the job of \d+ was put back")

    page.visit(r"Look: the Retries tab", "4-retries")
    assert page.main().count("FetchRates") >= 1
    page.visit(r"Look: the Failed tab", "4-failed")
    assert "TimeoutError" in page.main() and "did not answer request 1 " in page.main()
    page.browser.click("button:text-is('Retry')")  # the retry by hand, from the monitor
    assert "Put the job back on rates" in page.browser.inner_text(".flash")
    demo.wait_line(r"=> 12 in, 12 done, 0 lost, 13 retried, 1 failed")

    page.visit(r"Look: the Scheduled tab", "5-scheduled")
    assert "SendReminder" in page.main()
    page.browser.click("a:text-is('Recurring')")
    assert "sweep_cache" in page.main()
    demo.wait_line(r"=> 3 in, 3 done, 0 lost, 0 retried, 0 failed; .* the sweep ran")

    page.visit(r"Look: the Workers tab: each worker flagged paused", "6-paused")
    assert page.main().count("paused") >= 3
    demo.wait_line(r"=> 20 in, 20 done, 0 lost, 0 retried, 0 failed; 0 ran while paused")

    page.visit(r"Look: the Stats tab", "7-stats")
    page.visit(r"Look: resque:stat:processed's value", "7-key")
    shown = int(page.browser.inner_text("pre.value").strip())
    told = int(demo.wait_line(r"=> resque:stat:processed = ([\d,]+)").group(1).replace(",", ""))
    assert shown == told == int(raw.get("resque:stat:processed") or 0)
    demo.wait_line(r"^The end\.")
    assert demo.process.wait(60) == 0, demo.text()


class Watcher:
    """The instructor's browser: opens the page each "Look:" line names, and screenshots it."""

    def __init__(self, browser: Any, demo: DemoRun, shots: Path) -> None:
        self.browser, self.demo, self.shots = browser, demo, shots
        self.seen = 0

    def visit(self, look: str, shot: str) -> None:
        index = self.demo.wait_line_index(look, after=self.seen)
        self.seen = index + 1
        url = self.demo.wait_line_index(r"^\s+http://", after=index)
        self.browser.goto(self.demo.lines[url].strip())
        self.browser.screenshot(path=str(self.shots / f"monitor-demo-{shot}.png"), full_page=True)

    def main(self) -> str:
        return str(self.browser.inner_text("main"))


def _worker_pids(raw: redis.Redis) -> set[int]:
    return {int(worker.split(":")[1]) for worker in raw.smembers("resque:workers")}


def test_ctrl_c_while_an_act_stops_its_scheduler_still_stops_the_demo(redis_url: str) -> None:
    stage = Stage(Settings(redis_url=redis_url), redis_url, None)
    # A scheduler slow to stop: it ignores the SIGINT the stage sends it.
    stubborn = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); print(1)"
    stage.scheduler = start_process(
        [sys.executable, "-c", stubborn + "; time.sleep(60)"], stdout=subprocess.PIPE
    )
    assert stage.scheduler.stdout is not None and stage.scheduler.stdout.readline()  # ignoring
    ctrl_c = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    ctrl_c.start()
    try:
        with pytest.raises(KeyboardInterrupt):  # it reaches the story, which stops everything
            stage.stop_scheduler()
    finally:
        ctrl_c.cancel()
        if stage.scheduler is not None:
            stage.scheduler.kill()
            stage.scheduler = None
        stage.stop()
