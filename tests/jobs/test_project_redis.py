"""The project's own Redis: daemonized, found again through var/redis/url, persistent."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs.dev import project_redis
from jobs.dev.local_redis import PrivateRedis
from jobs.dev.project_redis import ProjectRedis, default_var_dir
from tests.jobs.redis_server_helpers import client_for, process_gone, wait_for


def daemon_pid(project: ProjectRedis) -> int:
    return int((project.redis_dir / "redis.pid").read_text().strip())


@pytest.fixture
def project(tmp_path: Path) -> Iterator[ProjectRedis]:
    project = ProjectRedis(tmp_path / "var")
    try:
        yield project
    finally:
        pid_file = project.redis_dir / "redis.pid"
        pid = int(pid_file.read_text()) if pid_file.exists() else None
        try:
            project.stop()
        finally:
            # Belt and braces: never leave a daemon behind, even if stop() failed.
            if pid is not None and not process_gone(pid):
                os.kill(pid, 9)


def test_project_redis_runs_daemonized_and_is_reused(project: ProjectRedis) -> None:
    url = project.ensure_running()

    assert project.url_file == project.redis_dir / "url"
    assert project.url_file.read_text() == url + "\n"
    assert url.startswith("redis://127.0.0.1:") and url.endswith("/0")
    assert project.running_url() == url
    pid = daemon_pid(project)
    # Daemonized: the server runs in its own session, not as part of ours.
    assert os.getsid(pid) != os.getsid(0)

    assert project.ensure_running() == url
    assert daemon_pid(project) == pid  # no second server was started


def test_project_redis_data_survives_stop_and_start(project: ProjectRedis) -> None:
    url = project.ensure_running()
    client_for(url).rpush("queue:default", "job-1", "job-2")
    pid = daemon_pid(project)

    assert project.stop() is True

    assert wait_for(lambda: process_gone(pid))
    assert not project.url_file.exists()
    assert project.running_url() is None
    assert project.stop() is False

    new_url = project.ensure_running()
    assert client_for(new_url).lrange("queue:default", 0, -1) == ["job-1", "job-2"]


def test_project_redis_comes_back_on_the_port_from_a_stale_url_file(
    project: ProjectRedis,
) -> None:
    url = project.ensure_running()
    client_for(url).set("greeting", "hello")
    pid = daemon_pid(project)
    # The server goes away without stop() (as after a reboot): the url file stays behind.
    client_for(url).shutdown()
    assert wait_for(lambda: process_gone(pid))
    assert project.url_file.exists()
    assert project.running_url() is None

    assert project.ensure_running() == url
    assert client_for(url).get("greeting") == "hello"


def test_project_redis_ignores_a_stale_url_owned_by_another_server(
    project: ProjectRedis, tmp_path: Path
) -> None:
    with PrivateRedis(tmp_path / "someone-else") as other:
        project.redis_dir.mkdir(parents=True)
        project.url_file.write_text(other.url + "\n")

        assert project.running_url() is None
        url = project.ensure_running()

        assert url != other.url
        assert project.stop() is True
        assert client_for(other.url).ping()  # stop() did not shut the other server down


def test_default_var_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JOBS_VAR_DIR", str(tmp_path))
    assert default_var_dir() == tmp_path

    monkeypatch.delenv("JOBS_VAR_DIR")
    repository_root = Path(str(project_redis.__file__)).resolve().parents[2]
    assert default_var_dir() == repository_root / "var"


def test_its_directory_is_shown_as_a_learner_would_type_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert ProjectRedis(tmp_path / "var").shown_dir() == os.path.join("var", "redis")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert ProjectRedis(tmp_path / "var").shown_dir() == str(tmp_path.resolve() / "var" / "redis")
