"""The queue as a library user meets it: one rule for calls that name a job by id (they raise
jobs.JobNotFound when it is not there), counts for calls that match by class and arguments,
iterable lists, cancelling a waiting job by id, and jobs.web / jobs.cli without importing them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from flask import Flask

import jobs
import jobs.cli
import jobs.testing
from jobs.client import Client
from jobs.settings import LOCAL_REDIS_SWITCH, RedisNotConfigured, Settings
from jobs.store import Store
from tests.jobs.helpers import ROOT
from tests.jobs.sample_jobs import Boom, Record


def test_calls_by_id_raise_the_exported_job_not_found(client: Client) -> None:
    assert issubclass(jobs.JobNotFound, KeyError)
    for call in (
        lambda: jobs.delayed().remove("nope"),
        lambda: jobs.delayed().enqueue_now("nope"),
        lambda: jobs.retrying().find("nope"),
        lambda: jobs.failed_jobs().remove("nope"),
        lambda: jobs.failed_jobs().retry("nope"),
        lambda: jobs.cancel("nope"),
    ):
        with pytest.raises(jobs.JobNotFound):
            call()


def test_removing_by_id_then_by_arguments(client: Client) -> None:
    first = jobs.enqueue_in(60, Record, 1)
    jobs.enqueue_in(60, Record, 2)
    assert first is not None

    assert jobs.delayed().remove(first) is None  # done; a second time raises
    with pytest.raises(jobs.JobNotFound):
        jobs.delayed().remove(first)
    assert jobs.remove_delayed(Record, 2) == 1  # by arguments: how many
    assert jobs.remove_delayed(Record, 2) == 0


def test_waiting_and_failed_jobs_can_be_iterated_and_counted(client: Client, store: Store) -> None:
    ids = {jobs.enqueue_in(60, Record, n) for n in range(3)}
    assert {job.id for job in jobs.delayed()} == ids and len(jobs.delayed()) == 3

    client.enqueue(Boom, "x")
    jobs.testing.drain(["default"], ["tests.jobs.sample_jobs"])
    assert [failure.exception for failure in jobs.failed_jobs()] == ["ValueError"]
    assert len(jobs.failed_jobs()) == 1


def test_recurring_lists_the_schedules(client: Client) -> None:
    assert jobs.recurring() == []  # no scheduler loop has written any


def test_a_waiting_job_is_cancelled_by_its_id_and_others_stay(client: Client) -> None:
    keep, cancel = jobs.enqueue(Record, 1), jobs.enqueue(Record, 2)
    later = jobs.enqueue_in(60, Record, 3)
    assert keep and cancel and later

    jobs.cancel(cancel)
    jobs.cancel(later)

    assert [job["id"] for job in jobs.peek("default", 0, 10)] == [keep]
    assert len(jobs.delayed()) == 0
    with pytest.raises(jobs.JobNotFound):
        jobs.cancel(cancel)  # gone already: a worker may have taken it too


def test_a_job_id_inside_another_jobs_arguments_is_not_cancelled(client: Client) -> None:
    target = jobs.enqueue(Record, 1)
    assert target is not None
    decoy = jobs.enqueue(Record, {"id": target})  # holds the id's text, is another job

    jobs.cancel(target)

    assert [job["id"] for job in jobs.peek("default", 0, 10)] == [decoy]


def test_jobs_web_and_jobs_cli_come_with_import_jobs_alone() -> None:
    code = "import jobs; print(jobs.web.create_blueprint.__name__, jobs.cli.cli.name)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["create_blueprint", "cli"]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        jobs.nothing  # noqa: B018


def test_the_monitor_says_the_host_app_needs_a_secret_key(store: Store) -> None:
    app = Flask("no_secret")
    app.register_blueprint(
        jobs.web.create_blueprint(store, authorize=jobs.web.allow_everyone), url_prefix="/jobs"
    )

    response = app.test_client().get("/jobs/")

    assert response.status_code == 500
    assert "needs a secret key: set app.secret_key" in response.get_data(as_text=True)


def test_a_library_user_without_redis_url_is_told_what_to_set() -> None:
    with pytest.raises(RedisNotConfigured, match=r"set REDIS_URL=|JOBS_LOCAL_REDIS=1"):
        Settings.from_env({}).resolved_redis_url()
    assert Settings.from_env({LOCAL_REDIS_SWITCH: "1"}).local_redis
    assert Settings.from_env({"REDIS_URL": "redis://h:1/0"}).resolved_redis_url() == "redis://h:1/0"


def _without_redis(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", LOCAL_REDIS_SWITCH)}
    return {**env, "JOBS_VAR_DIR": str(var_dir)}


def test_enqueue_without_redis_url_starts_no_server(tmp_path: Path) -> None:
    code = "import jobs\nfrom tests.jobs.sample_jobs import Record\njobs.enqueue(Record, 1)\n"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_without_redis(tmp_path),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "RedisNotConfigured" in done.stderr and "JOBS_LOCAL_REDIS=1" in done.stderr
    assert not (tmp_path / "redis").exists()  # no project Redis was started


def test_a_worker_without_redis_url_says_what_to_set(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "jobs", "work", "--import", "tests.jobs.sample_jobs"]
    done = subprocess.run(
        command, cwd=ROOT, env=_without_redis(tmp_path), capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("Error: REDIS_URL is not set") and "Traceback" not in done.stderr
    assert not (tmp_path / "redis").exists()


# A module set to None in sys.modules is how Python spells "not installed": importing it raises
# ModuleNotFoundError and importlib.util.find_spec finds nothing. (The fresh virtualenv in
# tests/test_packaging.py checks the same with the libraries really absent.)
def _run_without(modules: list[str], code: str) -> subprocess.CompletedProcess[str]:
    hide = "".join(f"sys.modules[{name!r}] = None\n" for name in modules)
    return subprocess.run(
        [sys.executable, "-c", f"import sys\n{hide}{code}"], cwd=ROOT, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip


def test_inline_runs_a_job_without_pytest() -> None:
    code = (
        "import jobs, jobs.testing\n"
        "from tests.jobs.sample_jobs import Boom\n"
        "try:\n"
        "    with jobs.testing.inline():\n"
        "        jobs.enqueue(Boom, 'raised in the caller')\n"
        "except ValueError as error:\n"
        "    print(error)\n"
        "print('fixtures:', hasattr(jobs.testing, 'jobs_client'))\n"
    )
    done = _run_without(["pytest"], code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["raised in the caller", "fixtures: False"]


def test_the_monitor_without_flask_names_the_extra_to_install() -> None:
    message = "pip install 'background-jobs-workshop[web]'"
    done = _run_without(["flask"], "import jobs\njobs.web")
    assert "MissingExtra: jobs.web, the monitor, needs flask, which is not installed" in done.stderr
    assert message in done.stderr

    command = "from jobs.cli import main\nsys.argv = ['jobs', 'web']\nmain()"
    done = _run_without(["flask"], command)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: jobs.web, the monitor, needs flask")
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_fork_per_job_takes_exactly_the_values_the_readme_states() -> None:
    readme = (ROOT / "README.md").read_text().splitlines()
    row = next(line for line in readme if "`FORK_PER_JOB` takes" in line)
    stated = row.split("`FORK_PER_JOB` takes")[1].split("(any case)")[0]
    on, off = (set(re.findall(r"`(\w+)`", part)) for part in stated.split(" or "))
    option = next(param for param in jobs.cli.work.params if param.name == "fork")

    def reading(value: str) -> bool | None:
        try:
            return bool(option.type.convert(value, option, None))
        except click.BadParameter:
            return None  # refused

    assert option.envvar == "FORK_PER_JOB"
    assert {reading(value.swapcase()) for value in on} == {True}
    assert {reading(value.title()) for value in off} == {False}
    # Nothing else: every letter and digit alone, and a few words a person might try.
    others = set("abcdefghijklmnopqrstuvwxyz0123456789") | {"enabled", "disabled", "maybe", "2"}
    assert {value: reading(value) for value in others - on - off} == dict.fromkeys(
        others - on - off
    )
