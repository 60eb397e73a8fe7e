"""Installing the package: the queue alone needs four libraries, and a wheelhouse installs it
with the package index turned off.

The fresh-virtualenv tests need ``make wheelhouse`` first, and run only when ``WHEELHOUSE``
names it (a step of .ci/run, not ``make test``)::

    make wheelhouse && WHEELHOUSE=var/wheelhouse .venv/bin/python -m pytest tests/test_packaging.py

Each installs from the wheelhouse alone (``pip install --no-index --find-links``), with pip's
configuration files and variables set aside, so nothing else on this machine can supply a
package. Then it runs the README's "The queue in your own app" as written
(tests/readme_library.py): with no extras, the queue, its worker and inline mode, without
Flask or pytest; with the ``web`` extra, also the monitor in a minimal Flask app.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from chapters.prove import copy_repository
from tests.jobs.helpers import ROOT
from tests.readme_library import LibraryApp, check_the_monitor, check_the_queue, steps

CORE = {"redis", "hiredis", "click", "croniter"}
WORKSHOP_ONLY = {"flask", "flask-wtf", "sqlalchemy", "pillow", "waitress", "aiosmtpd", "pytest"}
WHEELHOUSE = os.environ.get("WHEELHOUSE", "")
needs_wheelhouse = pytest.mark.skipif(
    not WHEELHOUSE,
    reason="make wheelhouse, then WHEELHOUSE=var/wheelhouse (a .ci/run step)",
)
PIP_TIMEOUT = 600  # seconds: a busy machine installing dozens of wheels


def names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(text).name) for text in requirements}


def test_the_package_requires_only_the_queues_libraries_and_pins_nothing() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]

    assert names(project["dependencies"]) == CORE
    assert set(extras) == {"web", "workshop", "dev", "bench", "notebooks"}
    assert names(extras["web"]) == {"flask", "flask-wtf", "prometheus-client"}
    assert "background-jobs-workshop" in names(extras["workshop"])  # web, defined once
    everything = project["dependencies"] + [text for group in extras.values() for text in group]
    pinned = [text for text in everything if "==" in str(Requirement(text).specifier)]
    assert pinned == [], "exact versions belong in constraints.txt"
    constraints = (ROOT / "constraints.txt").read_text().splitlines()
    assert any(line.startswith("redis==") for line in constraints)


def pip_env() -> dict[str, str]:
    """No pip configuration of this machine's (extra indexes, find-links, constraints), and no
    variables of a make this test may run under."""
    outer = ("PIP_", "VIRTUAL_ENV", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(outer)}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def fresh_virtualenv(directory: Path, requirement: str) -> Path:
    """A new virtualenv in ``directory`` with ``requirement`` installed from the wheelhouse
    alone; returns its bin directory."""
    subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True, timeout=120)
    started = time.monotonic()
    install = [str(directory / "bin" / "pip"), "install", "--quiet", "--no-index"]
    subprocess.run(
        [*install, "--find-links", str(Path(WHEELHOUSE).resolve()), requirement],
        env=pip_env(), check=True, timeout=PIP_TIMEOUT,
    )  # fmt: skip
    print(f"{requirement}: installed in {time.monotonic() - started:.1f}s")
    return directory / "bin"


def installed(bin_dir: Path) -> set[str]:
    listing = subprocess.run(
        [str(bin_dir / "pip"), "list", "--format=freeze"], env=pip_env(), capture_output=True,
        text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    return {canonicalize_name(line.split("==")[0]) for line in listing.splitlines()}


def run_the_readme(tmp_path: Path, bin_dir: Path, redis_url: str, *, web: bool) -> LibraryApp:
    app = LibraryApp(tmp_path / "someone-elses-app", bin_dir, redis_url)
    app.directory.mkdir()
    wanted = [step for step in steps() if web or not step.text.startswith("flask ")]
    app.run(wanted)
    return app


@needs_wheelhouse
def test_the_queue_alone_installs_offline_and_runs_a_job(tmp_path: Path, redis_url: str) -> None:
    bin_dir = fresh_virtualenv(tmp_path / "venv", "background-jobs-workshop")
    packages = installed(bin_dir)
    assert packages >= CORE and not WORKSHOP_ONLY & packages

    app = run_the_readme(tmp_path, bin_dir, redis_url, web=False)

    check_the_queue(app.outcomes)  # inline mode included: jobs.testing without pytest
    asked_for_web = subprocess.run(
        [str(bin_dir / "python"), "-c", "import jobs; jobs.web"], cwd=app.directory,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "pip install 'background-jobs-workshop[web]'" in asked_for_web.stderr


@needs_wheelhouse
def test_the_web_extra_mounts_the_monitor_as_the_readme_shows(
    tmp_path: Path, redis_url: str
) -> None:
    bin_dir = fresh_virtualenv(tmp_path / "venv", "background-jobs-workshop[web]")
    packages = installed(bin_dir)
    assert packages >= {"flask", "prometheus-client"} and "pytest" not in packages

    app = run_the_readme(tmp_path, bin_dir, redis_url, web=True)

    check_the_queue(app.outcomes)
    check_the_monitor(app.outcomes)


@needs_wheelhouse
def test_make_setup_installs_everything_from_the_wheelhouse(tmp_path: Path) -> None:
    """What an instructor does for a room without network (README: Installing offline)."""
    copy = tmp_path / "repository"
    copy.mkdir()
    copy_repository(ROOT, copy)
    wheelhouse = f"WHEELHOUSE={Path(WHEELHOUSE).resolve()}"

    subprocess.run(
        ["make", "setup", wheelhouse], cwd=copy, env=pip_env(), check=True, timeout=PIP_TIMEOUT
    )

    check = "import jobs.web, blog_app, flask_wtf, sqlalchemy, PIL, pytest, playwright, mypy"
    subprocess.run([str(copy / ".venv/bin/python"), "-c", check], cwd=copy, check=True, timeout=120)
    subprocess.run([str(copy / ".venv/bin/pip"), "check"], env=pip_env(), check=True, timeout=120)
