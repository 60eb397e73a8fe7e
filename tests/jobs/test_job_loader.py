"""Turning a payload's class name back into a class, safely: a payload is data anyone who can
write to Redis may have written, so only job classes from the modules a worker was told to
import are ever loaded."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs import Job
from jobs.job_loader import JobClassError, JobLoader
from tests.jobs.sample_jobs import Counted, Record

SAMPLES = "tests.jobs.sample_jobs"
THIS_MODULE = "tests.jobs.test_job_loader"


class LocalJob:
    """A job class defined here, for loaders that allow this module."""

    queue = "default"

    @staticmethod
    def perform() -> None:
        pass


def test_loads_a_resque_style_job_class_from_an_allowed_module() -> None:
    assert JobLoader([SAMPLES]).load(f"{SAMPLES}.Record") is Record


def test_loads_a_sidekiq_style_job_class() -> None:
    assert JobLoader([SAMPLES]).load(f"{SAMPLES}.Counted") is Counted


def test_loads_job_classes_from_submodules_of_an_allowed_package() -> None:
    assert JobLoader(["tests.jobs"]).load(f"{SAMPLES}.Record") is Record


def test_loads_from_any_of_several_allowed_modules() -> None:
    loader = JobLoader([SAMPLES, THIS_MODULE])

    assert loader.load(f"{THIS_MODULE}.LocalJob") is LocalJob
    assert loader.load(f"{SAMPLES}.Record") is Record


def test_a_loaded_class_is_the_same_object_every_time() -> None:
    loader = JobLoader([SAMPLES])

    assert loader.load(f"{SAMPLES}.Record") is loader.load(f"{SAMPLES}.Record")


NOT_ALLOWED = "is not in the modules this worker runs jobs from (tests.jobs.sample_jobs)"

REFUSED = [
    pytest.param("os.system", NOT_ALLOWED, id="os.system"),
    pytest.param("subprocess.Popen", NOT_ALLOWED, id="subprocess.Popen"),
    pytest.param("builtins.eval", NOT_ALLOWED, id="builtins.eval"),
    pytest.param("eval", NOT_ALLOWED, id="no-module"),
    pytest.param("Record", NOT_ALLOWED, id="bare-class-name"),
    pytest.param("tests.jobs.Record", NOT_ALLOWED, id="parent-package"),
    pytest.param("tests.jobs.sample_jobs_evil.Record", NOT_ALLOWED, id="name-prefix-is-not-enough"),
    pytest.param(
        f"{SAMPLES}.not_a_job",
        "'tests.jobs.sample_jobs.not_a_job' is not a job class (a job is a class with a perform",
        id="a-function",
    ),
    pytest.param(f"{SAMPLES}.NoPerform", "is not a job class", id="class-without-perform"),
    pytest.param(f"{SAMPLES}.os", "is not a job class", id="an-imported-module"),
    pytest.param(f"{SAMPLES}._connections", "is not a job class", id="a-variable"),
    pytest.param(
        f"{SAMPLES}.Missing",
        "no job class 'Missing' in module 'tests.jobs.sample_jobs'",
        id="missing",
    ),
    pytest.param(
        f"{SAMPLES}.Record.perform",
        "cannot import 'tests.jobs.sample_jobs.Record' for 'tests.jobs.sample_jobs.Record.perform'",
        id="a-method",
    ),
    pytest.param(
        f"{SAMPLES}.nowhere.Record",
        "cannot import 'tests.jobs.sample_jobs.nowhere'",
        id="unimportable-submodule",
    ),
]


@pytest.mark.parametrize(("class_name", "why"), REFUSED)
def test_refuses_what_is_not_an_allowed_job_class_and_says_why(class_name: str, why: str) -> None:
    loader = JobLoader([SAMPLES])

    with pytest.raises(JobClassError) as raised:
        loader.load(class_name)

    assert why in str(raised.value)


def test_the_not_allowed_message_tells_how_to_allow_a_module() -> None:
    with pytest.raises(JobClassError, match="add its module to --import"):
        JobLoader([SAMPLES]).load("os.system")


@pytest.mark.parametrize(
    ("class_name", "defined_in"),
    [
        pytest.param(f"{THIS_MODULE}.Record", "tests.jobs.sample_jobs.Record", id="from-samples"),
        pytest.param(f"{THIS_MODULE}.Job", f"{Job.__module__}.Job", id="jobs.Job"),
    ],
)
def test_refuses_a_job_class_imported_into_an_allowed_module_from_elsewhere(
    class_name: str, defined_in: str
) -> None:
    # This module imports Record and jobs.Job: both have perform, but neither is defined here.
    loader = JobLoader([THIS_MODULE])

    with pytest.raises(JobClassError) as raised:
        loader.load(class_name)

    assert f"is {defined_in}, defined outside the modules this worker runs jobs from" in str(
        raised.value
    )


def test_a_refusal_is_a_lookup_error() -> None:
    assert issubclass(JobClassError, LookupError)


def test_a_missing_import_module_stops_the_loader_at_construction() -> None:
    with pytest.raises(ImportError, match=re.escape("tests.jobs.no_such_module")):
        JobLoader([SAMPLES, "tests.jobs.no_such_module"])


@pytest.fixture
def package_with_a_broken_module(tmp_path: Path) -> Iterator[str]:
    """An importable package ``brokenpkg`` whose submodule ``bad`` raises when imported."""
    package = tmp_path / "brokenpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "bad.py").write_text("raise RuntimeError('broken at import')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        yield "brokenpkg"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.startswith("brokenpkg")]:
            del sys.modules[name]


def test_a_module_that_fails_to_import_is_refused_as_a_job_class_error(
    package_with_a_broken_module: str,
) -> None:
    loader = JobLoader([package_with_a_broken_module])

    with pytest.raises(JobClassError, match=re.escape("cannot import 'brokenpkg.bad'")):
        loader.load("brokenpkg.bad.Job")
