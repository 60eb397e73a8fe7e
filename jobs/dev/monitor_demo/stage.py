"""What the monitor demo starts, uses and stops: Redis, the worker processes, the monitor, the
scheduler process and the stand-in API's file.

Every process it starts runs in a process group of its own and dies with the demo
(:func:`jobs.supervisor.start_workers`), so a terminal's Ctrl-C reaches them only through
:meth:`Stage.stop`, once: running jobs get their shutdown time, as with ``make worker``.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, make_server

from jobs.client import Client
from jobs.dev.demo import demo_redis_url
from jobs.dev.local_redis import port_is_free
from jobs.dev.monitor_demo.demo_jobs import API_STATE_VARIABLE, RatesApi
from jobs.dev.project_redis import ProjectRedis
from jobs.registry import WorkerId
from jobs.settings import Settings
from jobs.store import open_store
from jobs.supervisor import start_workers, stop_workers
from jobs.web import create_app

JOB_MODULE = "jobs.dev.monitor_demo.demo_jobs"
QUEUES = "rates,reports,thumbnails,mail,webhooks,maintenance"
SCHEDULE_FILE = Path(__file__).with_name("schedule.toml")
SHUTDOWN_TIMEOUT = 5.0
# Settings of ours, so that a make variable meant for `make worker` does not reach our workers.
NOT_PASSED_ON = ("QUEUE", "QUEUES", "COUNT", "THREADS", "FORK_PER_JOB", "INTERVAL", "VERBOSE",
                 "VVERBOSE", "JOBS_SCHEDULE", "JOBS_SCHEDULER")  # fmt: skip


class StageError(RuntimeError):
    """The demo cannot start: a port taken, a Redis that does not answer..."""


class Stage:
    """Everything the story started, for the acts to use and for :meth:`stop` to stop."""

    def __init__(self, settings: Settings, url: str, started_redis: ProjectRedis | None) -> None:
        self.url, self.started_redis = url, started_redis
        self.store = open_store(url, settings.namespace)
        self.client = Client(self.store, settings)
        self._folder = tempfile.TemporaryDirectory(prefix="monitor-demo-")
        self.api = RatesApi(Path(self._folder.name) / "rates-api.json")
        self.api.set(down=False)
        self.workers: list[subprocess.Popen[bytes]] = []
        self.scheduler: subprocess.Popen[bytes] | None = None
        self._monitor: BaseWSGIServer | None = None
        self.monitor_url = ""

    @classmethod
    def open(cls, settings: Settings) -> Stage:
        url, started_redis = demo_redis_url(settings)
        stage = cls(settings, url, started_redis)
        stage.store.ping()
        return stage

    # -- the monitor ------------------------------------------------------------------------------
    def start_monitor(self, port: int) -> str:
        """The standalone monitor on 127.0.0.1:``port``, served from a thread of this process."""
        app = create_app(self.store, host="127.0.0.1", environ=os.environ)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per page refresh
        # Werkzeug would print its own advice and exit; ours names the make variable.
        if not port_is_free(port):
            raise StageError(
                f"cannot serve the monitor on port {port} (it is in use):"
                f" try make monitor-demo MONITOR_PORT={port + 1}"
            )
        self._monitor = make_server("127.0.0.1", port, app, threaded=True)
        # Its threads (and the request threads they start) inherit a mask without Ctrl-C, so
        # a Ctrl-C always reaches the main thread, which stops the demo.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            threading.Thread(target=self._monitor.serve_forever, daemon=True).start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        self.monitor_url = f"http://127.0.0.1:{self._monitor.server_port}"
        return self.monitor_url

    # -- workers ----------------------------------------------------------------------------------
    def start_worker(self) -> subprocess.Popen[bytes]:
        """One more worker process (one job at a time, no fork per job: quick to start)."""
        command = [sys.executable, "-m", "jobs", "work", "--queue", QUEUES, "--no-fork"]
        command += ["--import", JOB_MODULE, "--shutdown-timeout", str(SHUTDOWN_TIMEOUT)]
        worker = start_workers(command, self._environment())
        self.workers.append(worker)
        return worker

    def _environment(self) -> dict[str, str]:
        env = {name: value for name, value in os.environ.items() if name not in NOT_PASSED_ON}
        # A heartbeat a second: a killed worker is found (and its job put back) within one.
        env.update(REDIS_URL=self.url, JOBS_HEARTBEAT_INTERVAL="1", PYTHONUNBUFFERED="1")
        env[API_STATE_VARIABLE] = str(self.api.path)
        return env

    def worker_ids(self) -> dict[str, subprocess.Popen[bytes]]:
        """The registry's ids of our workers, with their processes."""
        ours = {worker.pid: worker for worker in self.workers}
        found = {}
        for worker_id in self.store.workers.ids():
            parsed = WorkerId.parse(worker_id)
            if parsed is not None and parsed.pid in ours:
                found[worker_id] = ours[parsed.pid]
        return found

    def kill(self, worker: subprocess.Popen[bytes]) -> None:
        """``kill -9``: no chance to put its job back (another worker will)."""
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        self.workers.remove(worker)

    def signal_workers(self, signum: signal.Signals) -> None:
        for worker in self.workers:
            worker.send_signal(signum)

    # -- the scheduler ----------------------------------------------------------------------------
    def start_scheduler(self) -> None:
        """A scheduler process with the demo's recurring job (schedule.toml)."""
        command = [sys.executable, "-m", "jobs", "scheduler", "--import", JOB_MODULE]
        command += ["--schedule", str(SCHEDULE_FILE)]
        self.scheduler = start_workers(command, self._environment())

    def stop_scheduler(self) -> None:
        # Not stop_workers: it passes a Ctrl-C on and carries on waiting, which in the middle
        # of an act would swallow the Ctrl-C meant for the whole demo. Here it reaches the
        # story, and stop() comes back for the scheduler (a second SIGINT: "stop now").
        if self.scheduler is None:
            return
        self.scheduler.send_signal(signal.SIGINT)
        try:
            self.scheduler.wait(SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.scheduler.kill()
            self.scheduler.wait()
        self.scheduler = None

    # -- the end ----------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop everything this stage started, saying so (a Redis it found running stays)."""
        self.stop_scheduler()
        if self.workers:
            print("Stopping the workers; running jobs may finish first...", flush=True)
        while self.workers:
            stop_workers(self.workers.pop(), SHUTDOWN_TIMEOUT)
        if self._monitor is not None:
            self._monitor.shutdown()
            print("Stopped the workers and the monitor.", flush=True)
        self._folder.cleanup()
        if self.started_redis is not None:
            self.started_redis.stop()
            print(f"Stopped Redis (its data stays in {self.started_redis.shown_dir()}).")
