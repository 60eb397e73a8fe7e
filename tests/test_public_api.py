"""What ``import jobs`` offers, and that every module of the package imports."""

from __future__ import annotations

import importlib
import pkgutil
import tomllib
from pathlib import Path

import pytest

import jobs

ROOT = Path(__file__).resolve().parents[1]

EXPECTED = {
    "Client",
    "Failure",
    "Failures",
    "Job",
    "JobArgumentError",
    "JobNotFound",
    "JobStatus",
    "NotAJobError",
    "PayloadTooLarge",
    "RedisUnavailable",
    "Retry",
    "Settings",
    "Worker",
    "cancel",
    "default_client",
    "delayed",
    "dequeue",
    "enqueue",
    "enqueue_at",
    "enqueue_in",
    "enqueue_many",
    "enqueue_to",
    "failed_jobs",
    "peek",
    "queues",
    "recurring",
    "remove_delayed",
    "retrying",
    "schedule",
    "set_default_client",
    "size",
    "status",
}


def test_all_is_exactly_the_public_api() -> None:
    assert set(jobs.__all__) == EXPECTED
    assert len(jobs.__all__) == len(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_public_name_exists(name: str) -> None:
    assert getattr(jobs, name, None) is not None


def test_star_import_gives_the_public_api() -> None:
    namespace: dict[str, object] = {}
    exec("from jobs import *", namespace)

    assert set(namespace) - {"__builtins__"} == EXPECTED


def test_public_errors_are_the_builtin_kinds_callers_already_catch() -> None:
    assert issubclass(jobs.JobArgumentError, TypeError)
    assert issubclass(jobs.NotAJobError, TypeError)
    assert issubclass(jobs.PayloadTooLarge, ValueError)
    assert issubclass(jobs.RedisUnavailable, ConnectionError)


MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(jobs.__path__, "jobs.")
    if name != "jobs.__main__"  # importing it runs the command line
)


def test_the_module_list_is_not_empty() -> None:
    assert {"jobs.client", "jobs.store", "jobs.store.keys", "jobs.worker"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_every_module_imports(module: str) -> None:
    assert importlib.import_module(module).__name__ == module


def packaged_data_files() -> set[Path]:
    """The files setuptools ships as package data, from pyproject.toml's package-data."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    package_data = config["tool"]["setuptools"].get("package-data", {})
    shipped: set[Path] = set()
    for package, patterns in package_data.items():
        directory = ROOT.joinpath(*package.split("."))
        for pattern in patterns:
            shipped.update(path.resolve() for path in directory.glob(pattern))
    return shipped


def test_the_lua_scripts_are_shipped_as_package_data() -> None:
    # Without them an installed (non-editable) jobs cannot build a Store.
    from jobs.store.scripts import LUA_DIR

    scripts = {path.resolve() for path in LUA_DIR.glob("*.lua")}

    assert scripts
    assert scripts <= packaged_data_files()
