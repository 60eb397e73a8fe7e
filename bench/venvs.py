"""The benchmark's own virtualenvs: each peer runs with the packages a plain install gives it.

A peer measured inside our ``.venv`` would run on the redis-py we chose, and the client
library alone moves a queue's figures by up to a fifth (issue 19). So RQ gets what ``pip install
rq`` gives, Huey what ``pip install huey redis`` gives, each in a virtualenv of its own under
``var/bench/venvs/``, made on first use (this needs the package index) and reused after. Our
queue gets such a virtualenv too when it is measured on another redis-py version: its core
dependencies with that redis-py, and the worktree's own code (``PYTHONPATH``), so no copy of
``jobs/`` goes stale.

A virtualenv is made without pip of its own (this interpreter's pip installs into it, which is
quicker), and a stamp file holding its requirements marks it complete: a virtualenv whose stamp
is missing or different is made again. A lock file keeps two runs from making the same one.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from bench.harness import REPO

VENVS = REPO / "var" / "bench" / "venvs"
STAMP = ".bench-requirements"
PEERS = {"rq": ["rq"], "huey": ["huey", "redis"]}
# What our queue itself needs to run a worker and a client: the core group of pyproject.toml.
OURS_CORE = ["hiredis", "click", "croniter"]


class VenvError(RuntimeError):
    """A virtualenv could not be made (no package index, say); the message says which."""


def python(name: str, requirements: list[str], root: Path = VENVS) -> str:
    """The interpreter of the virtualenv ``name`` (under ``root``) holding ``requirements``,
    made if needed."""
    home = root / name
    wanted = "\n".join(requirements) + "\n"
    with _locked(root):
        if _stamp(home) != wanted:
            _make(home, requirements)
            (home / STAMP).write_text(wanted)
    return str(home / "bin" / "python")


def peer_python(peer: str) -> str:
    """The interpreter of a peer's own virtualenv (``rq`` or ``huey``)."""
    return python(peer, PEERS[peer])


def ours_python(redis_py: str) -> str:
    """An interpreter with our core dependencies on redis-py ``redis_py`` (a version)."""
    return python(f"ours-redis-{redis_py}", [f"redis=={redis_py}", *OURS_CORE])


def version_in(interpreter: str, package: str) -> str:
    """The version of ``package`` installed for ``interpreter``."""
    code = f"from importlib.metadata import version; print(version({package!r}))"
    found = subprocess.run([interpreter, "-c", code], capture_output=True, text=True)
    if found.returncode != 0:
        raise VenvError(f"{package} is not installed for {interpreter}: {found.stderr.strip()}")
    return found.stdout.strip()


def _stamp(home: Path) -> str | None:
    try:
        return (home / STAMP).read_text()
    except OSError:
        return None


def _make(home: Path, requirements: list[str]) -> None:
    print(f"... making {home}: {' '.join(requirements)}", file=sys.stderr)
    shutil.rmtree(home, ignore_errors=True)
    pip = [sys.executable, "-m", "pip", "--python", str(home / "bin" / "python"), "install"]
    steps = [
        [sys.executable, "-m", "venv", "--without-pip", str(home)],
        [*pip, "--quiet", "--disable-pip-version-check", *requirements],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            shutil.rmtree(home, ignore_errors=True)
            reason = done.stderr.strip().splitlines()[-1:] or ["no message"]
            raise VenvError(f"could not make {home} ({' '.join(requirements)}): {reason[0]}")


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
