"""``python -m jobs web``: the standalone monitor, as a real process on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from base64 import b64encode

import pytest

from jobs.dev.local_redis import free_port
from tests.jobs.helpers import ROOT, start_process, wait_for


def start(redis_url: str, *args: str, **env: str) -> subprocess.Popen[bytes]:
    # The password comes from the test alone, never from the environment the tests run in.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("JOBS_WEB_")}
    environment = {**inherited, "REDIS_URL": redis_url, **env}
    return start_process(
        [sys.executable, "-m", "jobs", "web", *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def fetch(url: str, auth: tuple[str, str] | None = None) -> int:
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + b64encode(":".join(auth).encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


@pytest.mark.parametrize("read_only", [False, True])
def test_it_serves_on_loopback_without_a_password(redis_url: str, read_only: bool) -> None:
    port = free_port()
    flags = ["--port", str(port), *(["--read-only"] if read_only else [])]
    process = start(redis_url, *flags)
    try:
        wait_for(lambda: fetch(f"http://127.0.0.1:{port}/") == 200, what="the monitor")
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0].decode()
    assert "no password: loopback only" in output
    assert ("read-only" in output) == read_only


def test_it_asks_for_a_password_when_one_is_set(redis_url: str) -> None:
    port = free_port()
    process = start(redis_url, "--port", str(port), JOBS_WEB_USER="teacher", JOBS_WEB_PASSWORD="pw")
    try:
        wait_for(lambda: fetch(f"http://127.0.0.1:{port}/") == 401, what="the monitor")
        assert fetch(f"http://127.0.0.1:{port}/", ("teacher", "pw")) == 200
    finally:
        process.terminate()
        process.wait(10)


def test_it_refuses_a_public_address_without_a_password(redis_url: str) -> None:
    process = start(redis_url, "--host", "0.0.0.0", "--port", str(free_port()))
    output = process.communicate(timeout=20)[0].decode()
    assert process.returncode != 0
    assert "without a password" in output
