"""The project's own Redis: one long-lived server that every command shares.

When ``REDIS_URL`` is not set, ``make demo``, the workers, the blog and ``make redis-cli`` all
use this server. It runs daemonized, bound to 127.0.0.1, with append-only persistence under
``var/redis`` (so a restart keeps the queues), and its URL is written to ``var/redis/url``:
that file is how every command finds it without flags. Finding the ``redis-server`` binary
and the helpers shared with test servers are in :mod:`jobs.dev.local_redis`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import redis

from jobs.dev.local_redis import (
    HOST,
    START_TIMEOUT,
    STOP_TIMEOUT,
    answers_ping,
    client_for,
    find_redis_server,
    free_port,
    log_tail,
    pid_alive,
    port_is_free,
    url_for,
    wait_until,
)


class ProjectRedis:
    """The project's own Redis, daemonized, with its files and URL under ``var_dir/redis``.

    ``ensure_running()`` is cheap when the server is already up, so every command can call it
    first. The server outlives the command that started it; ``stop()`` shuts it down.
    """

    def __init__(self, var_dir: Path) -> None:
        # Absolute paths: the daemon must find its files whatever directory we run from.
        self.redis_dir = Path(var_dir).resolve() / "redis"
        self.pid_file = self.redis_dir / "redis.pid"
        self.log_file = self.redis_dir / "redis.log"

    @property
    def url_file(self) -> Path:
        return self.redis_dir / "url"

    def shown_dir(self) -> str:
        """Its directory as a learner would type it: relative when below the current one."""
        here = Path.cwd()
        return str(
            self.redis_dir.relative_to(here)
            if self.redis_dir.is_relative_to(here)
            else self.redis_dir
        )

    def running_url(self) -> str | None:
        """The URL from the url file if our server answers there, else None."""
        url = self._recorded_url()
        if url is not None and self._is_ours(url):
            return url
        return None

    def ensure_running(self) -> str:
        """Return the URL of the running server, starting one first if needed."""
        with self._lock():
            url = self.running_url() or self._wait_for_live_daemon()
            return url if url is not None else self._start()

    def stop(self) -> bool:
        """Shut the server down (writing out its AOF); return whether it was running."""
        if not self.redis_dir.is_dir():
            return False
        with self._lock():
            url = self.running_url()
            if url is not None:
                self._shutdown(url)
            self.url_file.unlink(missing_ok=True)
        return url is not None

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        # Two commands (say `make demo` and a worker) may call ensure_running() at the same
        # moment. The lock makes the second wait and then find the first one's server,
        # instead of starting a rival Redis that writes to the same files.
        self.redis_dir.mkdir(parents=True, exist_ok=True)
        with (self.redis_dir / "lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield  # the lock is released when the file is closed

    def _recorded_url(self) -> str | None:
        try:
            return self.url_file.read_text().strip() or None
        except FileNotFoundError:
            return None

    def _is_ours(self, url: str) -> bool:
        # A stale url file may name a port that another Redis uses now. Using it would mix
        # our jobs into someone else's data, and stop() would shut their server down, so
        # we also check that the server keeps its files in our directory.
        try:
            with client_for(url) as client:
                client.ping()
                reported = client.config_get("dir").get("dir")
        except (redis.RedisError, ValueError):  # ValueError: the url file is garbled
            return False
        return reported is not None and os.path.realpath(reported) == os.path.realpath(
            self.redis_dir
        )

    def _daemon_pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def _wait_for_live_daemon(self) -> str | None:
        """Give our daemon time to answer if its process exists but is silent (say, loading).

        Starting a second server on the same directory would corrupt the AOF, so when the
        process exists but never answers we refuse and explain instead.
        """
        pid = self._daemon_pid()
        if pid is None:
            return None
        if wait_until(lambda: self.running_url() is not None, START_TIMEOUT):
            return self.running_url()
        raise RuntimeError(
            f"redis-server (pid {pid}, from {self.pid_file}) is running but does not answer "
            f"at the URL in {self.url_file}. Stop that process; if it is not a Redis at all, "
            f"delete {self.pid_file}. {log_tail(self.log_file)}"
        )

    def _start(self) -> str:
        url = url_for(self._choose_port())
        self._launch(url)
        if not wait_until(lambda: self._is_ours(url), START_TIMEOUT):
            raise RuntimeError(
                f"redis-server did not answer PING at {url} within {START_TIMEOUT:g} s; "
                f"{log_tail(self.log_file)}"
            )
        self._write_url(url)
        return url

    def _choose_port(self) -> int:
        # Coming back on the previous port keeps URLs that learners already copied into a
        # shell or notebook working after a restart.
        previous = self._recorded_url()
        try:
            port = urllib.parse.urlsplit(previous).port if previous else None
        except ValueError:
            port = None
        return port if port is not None and port_is_free(port) else free_port()

    def _launch(self, url: str) -> None:
        port = urllib.parse.urlsplit(url).port
        command = [
            find_redis_server(),
            "--port", str(port),
            "--bind", HOST,
            "--daemonize", "yes",  # fork into the background: the server outlives this command
            "--pidfile", str(self.pid_file),
            "--logfile", str(self.log_file),
            "--dir", str(self.redis_dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",  # at most one second of writes lost on a power cut
            "--save", "",  # the AOF is our persistence; no RDB snapshots on the side
        ]  # fmt: skip
        # With --daemonize the first process exits as soon as the server has forked; errors
        # in the options are printed before that, so capture them for the message.
        result = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            output = (result.stderr or result.stdout).strip()
            raise RuntimeError(
                f"redis-server failed to start (exit code {result.returncode}): {output}\n"
                f"{log_tail(self.log_file)}"
            )

    def _write_url(self, url: str) -> None:
        # Readers must never see a half-written file: write a temporary file beside it, then
        # rename it over the old one, which the OS does in a single step.
        fd, temp_name = tempfile.mkstemp(dir=self.redis_dir, prefix=".url.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(url + "\n")
            os.replace(temp_name, self.url_file)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def _shutdown(self, url: str) -> None:
        pid = self._daemon_pid()
        # Plain SHUTDOWN (not NOSAVE): Redis flushes and fsyncs the AOF before exiting.
        with client_for(url) as client:
            client.shutdown()  # redis-py expects, and hides, the dropped connection
        if pid is None:
            gone = wait_until(lambda: not answers_ping(url), STOP_TIMEOUT)
        else:
            gone = wait_until(lambda: not pid_alive(pid), STOP_TIMEOUT)
        if not gone:
            raise RuntimeError(
                f"redis-server at {url} still runs {STOP_TIMEOUT:g} s after SHUTDOWN"
            )


def default_var_dir() -> Path:
    """Where the project keeps runtime files: ``$JOBS_VAR_DIR``, else ``var/`` in the repo."""
    configured = os.environ.get("JOBS_VAR_DIR")
    if configured:
        return Path(configured)
    # This file is jobs/dev/project_redis.py, so the repository root is three levels up.
    return Path(__file__).resolve().parents[2] / "var"
