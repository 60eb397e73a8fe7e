"""Sidekiq as the harness drives it: Debian's ``ruby-sidekiq``, run as its users run it,
``sidekiq -c 10`` (one process of 10 threads; two such processes for the two-process drain).
Its jobs and its client are Ruby, in ``bench/sidekiq/``; logging at WARN like the others.

When the ``sidekiq`` command is missing, :func:`missing` installs ``ruby-sidekiq`` with apt where
it can (as root, with apt-get on PATH); where it cannot, the Sidekiq column is left out and
:func:`missing` says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from bench.harness import REPO
from bench.system import QUEUE, THREADS, WorkerMode

PACKAGE = "ruby-sidekiq"
RUBY = REPO / "bench" / "sidekiq"


class SidekiqPeer:
    name = "Sidekiq"
    bulk_api = "Sidekiq::Client.push_bulk"

    def client_command(self, *args: str) -> list[str]:
        return ["ruby", str(RUBY / "enqueue.rb"), *args]

    def worker_command(self, mode: WorkerMode) -> list[str] | None:
        if mode != "thread":
            return None  # Sidekiq runs jobs on threads only
        jobs = str(RUBY / "jobs.rb")
        return ["sidekiq", "--concurrency", str(THREADS), "--queue", QUEUE, "--require", jobs]


def missing() -> str | None:
    """None when ``sidekiq`` can run (installing it first if need be), else the reason."""
    if _found():
        return None
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return f"Sidekiq left out: no `sidekiq` command (apt-get install {PACKAGE} installs it)"
    print(f"... installing {PACKAGE} with apt-get", file=sys.stderr, flush=True)
    # The package lists may be missing or stale on a fresh machine: update, then try again.
    if not _apt("install", "-y", PACKAGE) and _apt("update"):
        _apt("install", "-y", PACKAGE)
    if _found():
        return None
    return f"Sidekiq left out: `apt-get install -y {PACKAGE}` failed"


def _apt(*args: str) -> bool:
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(["apt-get", *args], capture_output=True, env=environment)
    return done.returncode == 0


def _found() -> bool:
    return shutil.which("sidekiq") is not None and shutil.which("ruby") is not None
