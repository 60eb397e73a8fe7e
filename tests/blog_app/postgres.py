"""A private PostgreSQL server for the tests: ``initdb`` into a temporary directory, started on a
free port on loopback, stopped and deleted at the end. Never anybody else's database."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from jobs.dev.local_redis import free_port

INSTALL_HINT = (
    "PostgreSQL's server programs (initdb, postgres) are not installed, so the PostgreSQL half "
    "of the blog tests is skipped. Install them (Debian/Ubuntu: apt-get install postgresql; "
    "macOS: brew install postgresql) to run it."
)


def find_postgres_bin(
    path: str | None = None, versioned: str = "/usr/lib/postgresql/*/bin"
) -> Path | None:
    """The directory holding initdb and postgres: PATH first, then Debian's versioned dirs
    (Debian keeps them off PATH), newest version first. ``path`` replaces PATH (for tests)."""
    found = shutil.which("initdb", path=path)
    if found and shutil.which("postgres", path=path):
        return Path(found).resolve().parent
    for directory in sorted(glob.glob(versioned), reverse=True):
        if (Path(directory) / "initdb").is_file() and (Path(directory) / "postgres").is_file():
            return Path(directory)
    return None


def _run_as() -> str | None:
    # PostgreSQL refuses to run as root (CI containers often are root): run it as the
    # 'postgres' account the package creates, or 'nobody'.
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root, and there is no 'postgres' or 'nobody' user to run as")


class PrivatePostgres:
    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.user = _run_as()
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="blog-pg-"))
        self.data_dir = self.directory / "data"
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://blog@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        if self.user is not None:
            shutil.chown(self.directory, self.user)
        self._run("initdb", "-D", str(self.data_dir), "-U", "blog", "-A", "trust", "--no-sync")
        command = [
            str(self.bin_dir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port),
            "-h", "127.0.0.1", "-k", str(self.directory), "-F",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        ]  # fmt: skip
        log = (self.directory / "postgres.log").open("ab")
        self._process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, user=self.user, cwd=self.directory
        )
        self._wait_ready()

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "blog", name)
        return self.url(name)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        ready = [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)]
        while subprocess.run(ready, capture_output=True, check=False).returncode != 0:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"postgres exited: {self._log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"postgres did not start in 30 s: {self._log_tail()}")
            time.sleep(0.05)

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            [str(self.bin_dir / program), *args],
            capture_output=True, text=True, check=False, user=self.user, cwd=self.directory,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stderr or result.stdout}")

    def _log_tail(self) -> str:
        log = self.directory / "postgres.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            # SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to leave.
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.stop()
